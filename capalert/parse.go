package capalert

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"golang.org/x/text/encoding/ianaindex"

	"github.com/zhangye-backstop/backstop"
)

// Limits on what Parse reads. Each is refused with its number in the error.
// They are set well above real alerts and well below what would make one
// alert cost seconds and hundreds of megabytes downstream (an alert of
// 40,000 circles took 4.9 s and 900 MB to ingest and made a 121 MB warning
// page):
//
//   - MaxBytes: the largest real alerts seen (Environment Canada's bilingual
//     NAADS alerts, DWD's multi-area ones, national polygons of a few
//     thousand points at ~20 bytes a point) are well under 1 MiB.
//   - MaxInfos: one <info> per language and, for some publishers, per time
//     segment; real alerts have one to a handful (MeteoAlarm countries with
//     three or four languages).
//   - MaxAreasPerInfo: DWD and NAADS name one <area> per warning cell or
//     forecast region; a warning over a whole province stays below a few
//     hundred.
//   - MaxPolygonsPerArea, MaxCirclesPerArea: an area is one or a few
//     polygons (coasts with islands: dozens); circles are rare (an
//     earthquake's felt radius, a plant's evacuation zones).
//   - MaxGeocodesPerArea: NWS lists a few hundred SAME/UGC codes at most; a
//     Chinese alert over every township of a province lists about 1,500.
//   - MaxPolygonPoints, MaxAlertPoints: real national and provincial
//     boundaries in CAP have thousands of points; point-in-polygon tests
//     cost points × households, so the whole alert is bounded too.
//   - MaxAlertShapes: polygons and circles of all areas of all infos
//     together; what the 40,000 circles broke.
const (
	MaxBytes           = 2 << 20 // 2 MiB
	MaxInfos           = 32
	MaxAreasPerInfo    = 500
	MaxPolygonsPerArea = 200
	MaxCirclesPerArea  = 100
	MaxGeocodesPerArea = 5000
	MaxPolygonPoints   = 20000
	MaxAlertPoints     = 100000
	MaxAlertShapes     = 2000
)

// Limits on the XML itself, for alerts and feeds. encoding/xml expands no
// entities but the five predefined ones and character references (a
// DOCTYPE is refused outright, so no entity can be defined), so the cost
// of a document is its tokens: elements, nesting, and the comments,
// processing instructions and text between them.
type xmlLimits struct{ depth, elements, tokens int }

var (
	// alertXML: CAP nests 5 deep; 5,000 geocodes are 15,000 elements; a
	// start, an end and the white space between are about 3 tokens an
	// element.
	alertXML = xmlLimits{depth: 32, elements: 50000, tokens: 250000}
	// feedXML: a feed may be 4 times the size of an alert (MaxFeedBytes),
	// and national index feeds list a thousand entries of twenty elements
	// each; an Atom entry embedding CAP nests 8 deep.
	feedXML = xmlLimits{depth: 32, elements: 200000, tokens: 1000000}
)

// maxProblems bounds the problems and the notes kept of one alert: past
// it, one more says how many were left out. A document of 40,000 empty
// polygons would otherwise carry 40,000 notes onto its warning page.
const maxProblems = 100

// coordSlack is how far past ±90° latitude or ±180° longitude a position
// may lie and still be read as on the limit: CAP positions are written to
// 4–7 decimals, and a point about a metre past the antimeridian
// (180.0000001 after a reprojection's rounding) is rounding, not a place.
const coordSlack = 1e-5

// maxRadiusKM is half the Earth's circumference: a larger circle covers
// the globe and is a mistake, not an area.
const maxRadiusKM = 20038

// node is an element of the document as read.
type node struct {
	name  xml.Name
	text  strings.Builder
	kids  []*node
	line  int
	path  string
	count map[string]int // children seen by local name, for paths
}

// parser collects problems with their element paths.
type parser struct {
	errs  []backstop.Problem
	warns []backstop.Problem
	ns    string
	// overLimit is set when a limit, not a rule, refused the alert.
	overLimit bool
	// shapes and points count the alert's polygons, circles and polygon
	// positions against MaxAlertShapes and MaxAlertPoints.
	shapes, points int
	shapesFull     bool
	pointsFull     bool
	// moreErrs and moreWarns count what was left out past maxProblems.
	moreErrs, moreWarns int
}

func (p *parser) fail(path, zh, en string, args ...any) {
	if len(p.errs) >= maxProblems {
		p.moreErrs++
		return
	}
	p.errs = append(p.errs, backstop.Problem{Path: path, Reason: fmt.Sprintf(en, args...), ReasonZH: fmt.Sprintf(zh, args...)})
}

// warn records a note: something real publishers do that is read anyway.
func (p *parser) warn(path, zh, en string, args ...any) {
	if len(p.warns) >= maxProblems {
		p.moreWarns++
		return
	}
	p.warns = append(p.warns, backstop.Problem{Path: path, Reason: fmt.Sprintf(en, args...), ReasonZH: fmt.Sprintf(zh, args...)})
}

// finish closes the lists of problems and notes cut at maxProblems.
func (p *parser) finish() {
	if p.moreErrs > 0 {
		p.errs = append(p.errs, backstop.Problem{Path: "alert", Reason: fmt.Sprintf("and %d more problems, not listed", p.moreErrs), ReasonZH: fmt.Sprintf("另有 %d 处问题未列出", p.moreErrs)})
	}
	if p.moreWarns > 0 {
		p.warns = append(p.warns, backstop.Problem{Path: "alert", Reason: fmt.Sprintf("and %d more notes, not listed", p.moreWarns), ReasonZH: fmt.Sprintf("另有 %d 条提示未列出", p.moreWarns)})
	}
}

// limit records a limit exceeded: the alert is refused as too large.
func (p *parser) limit(path, zh, en string, args ...any) {
	p.overLimit = true
	p.fail(path, zh, en, args...)
}

// Result is a parsed alert with the notes about it: deviations real feeds
// make (elements out of schema order, an empty polygon, lower-case
// values) that do not stop it.
type Result struct {
	Alert    *Alert
	Warnings []backstop.Problem
}

func charsetReader(label string, input io.Reader) (io.Reader, error) {
	enc, err := ianaindex.IANA.Encoding(label)
	if err != nil || enc == nil {
		return nil, fmt.Errorf("unsupported encoding %q", label)
	}
	return enc.NewDecoder().Reader(input), nil
}

// Parse reads and checks one CAP alert. A document that is not CAP, not
// well-formed, declares a DOCTYPE (external entities are refused, never
// resolved), exceeds a limit, or breaks a rule of the standard is refused
// with an *backstop.Error (code invalid, or too_large for a limit) whose
// Details name each element path and rule in English and Chinese, e.g.
// "alert/info[0]/area[1]/polygon: a polygon needs at least 4 positions".
func Parse(data []byte) (*Result, error) {
	res, errs, err := ParseLenient(data)
	if err != nil {
		return nil, err
	}
	if len(errs) > 0 {
		return nil, refusal(errs, res.errCount, res.overLimit)
	}
	return &Result{Alert: res.Alert, Warnings: res.Warnings}, nil
}

// LenientResult is what ParseLenient read.
type LenientResult struct {
	Result
	overLimit bool
	errCount  int // problems found, those left out past maxProblems too
}

// ParseLenient reads an alert as far as it can: the alert as read, its
// notes, and the rules it breaks (which make Parse refuse it). Elements
// that break a rule are left out of the alert (a bad polygon is not in
// Polygons); parts over a limit are not read. The error is only for a
// document that cannot be read as CAP at all: too large, not well-formed,
// with a DOCTYPE, nested too deep, or not an <alert> of a CAP namespace.
// It serves an administrator accepting a refused alert by hand.
func ParseLenient(data []byte) (*LenientResult, []backstop.Problem, error) {
	if len(data) > MaxBytes {
		return nil, nil, &backstop.Error{Code: backstop.ETOOLARGE,
			Message: fmt.Sprintf("The CAP document has %d bytes; the limit is %d (2 MiB).", len(data), MaxBytes),
			ZH:      fmt.Sprintf("CAP 文档过大：%d 字节，最多 %d 字节（2 MiB）", len(data), MaxBytes),
			Details: []backstop.Problem{{Path: "/", Reason: fmt.Sprintf("document too large: %d bytes, at most %d (2 MiB)", len(data), MaxBytes),
				ReasonZH: fmt.Sprintf("文档过大：%d 字节，最多 %d 字节（2 MiB）", len(data), MaxBytes)}}}
	}
	root, err := readTree(data, alertXML)
	if err != nil {
		return nil, nil, err
	}
	p := &parser{}
	switch {
	case root.name.Local != "alert":
		return nil, nil, notCAP(fmt.Sprintf("the root element is <%s>, not <alert>", root.name.Local), fmt.Sprintf("根元素是 <%s>，不是 <alert>", root.name.Local))
	case root.name.Space != NS12 && root.name.Space != NS11 && root.name.Space != NS10:
		return nil, nil, notCAP(fmt.Sprintf("the root element's namespace is %q, not CAP's (%s)", root.name.Space, NS12),
			fmt.Sprintf("根元素的命名空间是“%s”，不是 CAP 的（%s）", root.name.Space, NS12))
	}
	p.ns = root.name.Space
	a := p.alert(root)
	count := len(p.errs) + p.moreErrs
	p.finish()
	return &LenientResult{Result: Result{Alert: a, Warnings: p.warns}, overLimit: p.overLimit, errCount: count}, p.errs, nil
}

// refusal is the error of an alert that breaks rules or limits; count is
// how many problems were found, listed or not.
func refusal(errs []backstop.Problem, count int, overLimit bool) error {
	msg := "The CAP alert is refused: " + errs[0].String()
	zh := "CAP 预警信息不符合标准，已拒收：" + errs[0].Path + "：" + errs[0].ReasonZH
	if count > 1 {
		msg += fmt.Sprintf(" (and %d more)", count-1)
		zh += fmt.Sprintf("（另有 %d 处问题）", count-1)
	}
	code := backstop.EINVALID
	if overLimit {
		code = backstop.ETOOLARGE
	}
	return &backstop.Error{Code: code, Message: msg, ZH: zh, Details: errs}
}

func notCAP(why, whyZH string) error {
	return &backstop.Error{Code: backstop.EINVALID, Message: "Not a CAP alert: " + why + ".", ZH: "不是 CAP 预警信息：" + whyZH,
		Details: []backstop.Problem{{Path: "/", Reason: "not CAP: " + why, ReasonZH: "不是 CAP：" + whyZH}}}
}

// xmlError is the error of a document readTree refuses.
func xmlError(code, en, zh string) error {
	return &backstop.Error{Code: code, Message: en + ".", ZH: zh, Details: []backstop.Problem{{Path: "/", Reason: en, ReasonZH: zh}}}
}

// readTree parses the XML into nodes, refusing DOCTYPEs and documents past
// the limits.
func readTree(data []byte, lim xmlLimits) (*node, error) {
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = true
	d.CharsetReader = charsetReader
	var stack []*node
	var root *node
	elements, tokens := 0, 0
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			line, _ := d.InputPos()
			return nil, xmlError(backstop.EINVALID, fmt.Sprintf("not well-formed XML at line %d: %v", line, err),
				fmt.Sprintf("XML 格式错误（第 %d 行）：%v", line, err))
		}
		if tokens++; tokens > lim.tokens {
			line, _ := d.InputPos()
			return nil, xmlError(backstop.ETOOLARGE, fmt.Sprintf("too many XML tokens (elements, text, comments): more than %d, at line %d", lim.tokens, line),
				fmt.Sprintf("XML 内容过多（元素、文本、注释）：最多 %d 个，超出于第 %d 行", lim.tokens, line))
		}
		switch t := tok.(type) {
		case xml.Directive:
			if bytes.HasPrefix(bytes.TrimSpace(t), []byte("DOCTYPE")) {
				return nil, xmlError(backstop.EINVALID, "DOCTYPE declarations (and the entities they define) are not allowed: CAP needs none, and DTDs with external entities are refused",
					"不允许 DOCTYPE 声明（及其定义的实体）：CAP 不需要 DTD，含外部实体的 DTD 一律拒收")
			}
		case xml.StartElement:
			line, _ := d.InputPos()
			if elements++; elements > lim.elements {
				return nil, xmlError(backstop.ETOOLARGE, fmt.Sprintf("too many XML elements: more than %d, at line %d", lim.elements, line),
					fmt.Sprintf("XML 元素过多：最多 %d 个，超出于第 %d 行", lim.elements, line))
			}
			if len(stack) >= lim.depth {
				return nil, xmlError(backstop.ETOOLARGE, fmt.Sprintf("XML nested too deep: more than %d levels, at line %d", lim.depth, line),
					fmt.Sprintf("XML 嵌套过深：最多 %d 层，超出于第 %d 行", lim.depth, line))
			}
			n := &node{name: t.Name, line: line, count: map[string]int{}}
			if len(stack) == 0 {
				if root != nil {
					return nil, xmlError(backstop.EINVALID, "the document has more than one root element", "文档有多个根元素")
				}
				root = n
				n.path = t.Name.Local
			} else {
				parent := stack[len(stack)-1]
				parent.kids = append(parent.kids, n)
			}
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].text.Write(t)
			}
		}
	}
	if root == nil {
		return nil, xmlError(backstop.EINVALID, "the document is empty: no root element", "文档为空：没有根元素")
	}
	return root, nil
}

// childSpec is one child element in a parent's schema sequence.
type childSpec struct {
	name     string
	required bool
	many     bool
	// indexed children always carry [i] in paths; others only when
	// repeated.
	indexed bool
}

var schema = map[string][]childSpec{
	"alert": {
		{name: "identifier", required: true}, {name: "sender", required: true}, {name: "sent", required: true},
		{name: "status", required: true}, {name: "msgType", required: true}, {name: "source"}, {name: "scope", required: true},
		{name: "restriction"}, {name: "addresses"}, {name: "code", many: true}, {name: "note"}, {name: "references"},
		{name: "incidents"}, {name: "info", many: true, indexed: true},
	},
	"info": {
		{name: "language"}, {name: "category", required: true, many: true}, {name: "event", required: true},
		{name: "responseType", many: true}, {name: "urgency", required: true}, {name: "severity", required: true},
		{name: "certainty", required: true}, {name: "audience"}, {name: "eventCode", many: true, indexed: true},
		{name: "effective"}, {name: "onset"}, {name: "expires"}, {name: "senderName"}, {name: "headline"},
		{name: "description"}, {name: "instruction"}, {name: "web"}, {name: "contact"},
		{name: "parameter", many: true, indexed: true}, {name: "resource", many: true, indexed: true}, {name: "area", many: true, indexed: true},
	},
	"resource": {
		{name: "resourceDesc", required: true}, {name: "mimeType", required: true}, {name: "size"}, {name: "uri"},
		{name: "derefUri"}, {name: "digest"},
	},
	"area": {
		{name: "areaDesc", required: true}, {name: "polygon", many: true}, {name: "circle", many: true},
		{name: "geocode", many: true, indexed: true}, {name: "altitude"}, {name: "ceiling"},
	},
	"eventCode": {{name: "valueName", required: true}, {name: "value", required: true}},
	"parameter": {{name: "valueName", required: true}, {name: "value", required: true}},
	"geocode":   {{name: "valueName", required: true}, {name: "value", required: true}},
}

// children checks a complex element's children against its schema
// sequence and returns them by name, with their paths set. Out of order is
// a note (real feeds do it); unknown, duplicated or missing elements are
// errors.
func (p *parser) children(n *node) map[string][]*node {
	specs := schema[n.name.Local]
	pos := map[string]int{}
	for i, s := range specs {
		pos[s.name] = i
	}
	if t := strings.TrimSpace(n.text.String()); t != "" {
		p.fail(n.path, "<%[2]s> 中不允许直接出现文本“%[1]s”", "text %q is not allowed directly inside <%s>", truncate(t, 40), n.name.Local)
	}
	out := map[string][]*node{}
	total := map[string]int{}
	for _, k := range n.kids {
		if k.name.Space == p.ns {
			total[k.name.Local]++
		}
	}
	last, warnedOrder := -1, false
	for _, k := range n.kids {
		if k.name.Space != p.ns {
			if n.name.Local == "alert" {
				continue // signatures and extensions after the CAP elements
			}
			k.path = n.path + "/" + k.name.Local
			p.fail(k.path, "此处不允许元素 {%s}%s", "element {%s}%s is not allowed here", k.name.Space, k.name.Local)
			continue
		}
		i, known := pos[k.name.Local]
		idx := n.count[k.name.Local]
		n.count[k.name.Local]++
		k.path = n.path + "/" + k.name.Local
		if known && (specs[i].indexed || total[k.name.Local] > 1) {
			k.path += "[" + strconv.Itoa(idx) + "]"
		}
		if !known {
			p.fail(k.path, "<%[2]s> 中有未知元素 <%[1]s>", "unknown element <%s> in <%s>", k.name.Local, n.name.Local)
			continue
		}
		if !specs[i].many && idx > 0 {
			p.fail(k.path, "<%[1]s> 在 <%[2]s> 中只能出现一次", "<%s> may appear only once in <%s>", k.name.Local, n.name.Local)
			continue
		}
		if i < last && !warnedOrder {
			p.warn(k.path, "<%s> 出现在标准规定应在其后的元素之后（顺序不符，已接受）", "<%s> comes after elements the schema puts after it (out of order; accepted)", k.name.Local)
			warnedOrder = true
		}
		last = max(last, i)
		out[k.name.Local] = append(out[k.name.Local], k)
	}
	for _, s := range specs {
		if s.required && len(out[s.name]) == 0 {
			p.fail(n.path+"/"+s.name, "缺少必需元素 <%s>", "required element <%s> is missing", s.name)
		}
	}
	return out
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

// text returns the trimmed text of the first child named name, checking
// it has no element children.
func (p *parser) text(kids map[string][]*node, name string) (string, string) {
	ns := kids[name]
	if len(ns) == 0 {
		return "", ""
	}
	n := ns[0]
	if len(n.kids) > 0 {
		p.fail(n.path, "<%s> 只能包含文本，不能包含元素", "<%s> must hold text, not elements", name)
	}
	return strings.TrimSpace(n.text.String()), n.path
}

func (p *parser) texts(kids map[string][]*node, name string) []*node {
	for _, n := range kids[name] {
		if len(n.kids) > 0 {
			p.fail(n.path, "<%s> 只能包含文本，不能包含元素", "<%s> must hold text, not elements", name)
		}
	}
	return kids[name]
}

func oneOf(v string, list []string) bool {
	for _, s := range list {
		if s == v {
			return true
		}
	}
	return false
}

// enum checks a CAP code value and returns it as the standard spells it.
// A value that differs only in case (real publishers write "actual",
// "MET") is read as the standard's, with a note; anything else is an
// error.
func (p *parser) enum(v, path, what string, list []string) string {
	if oneOf(v, list) {
		return v
	}
	for _, s := range list {
		if strings.EqualFold(v, s) {
			p.warn(path, "%[1]s“%[2]s”按“%[3]s”读取（大小写不符，已接受）", "%s %q read as %s (case differs; accepted)", what, v, s)
			return s
		}
	}
	if v == "" {
		p.fail(path, "%s 为空；须为 %s 之一", "%s is empty; it must be one of %s", what, strings.Join(list, ", "))
	} else {
		p.fail(path, "%s“%s”不是 %s 之一", "%s %q is not one of %s", what, v, strings.Join(list, ", "))
	}
	return v
}

// capTime is CAP's dateTime: seconds precision and an explicit offset.
var capTime = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?([+-]\d{2}:\d{2}|Z)$`)

func (p *parser) time(v, path string) *time.Time {
	if v == "" {
		return nil
	}
	if !capTime.MatchString(v) {
		p.fail(path, "“%s”不是 CAP 日期时间（YYYY-MM-DDThh:mm:ss±hh:mm）", "%q is not a CAP date-time (YYYY-MM-DDThh:mm:ss±hh:mm)", v)
		return nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		p.fail(path, "“%[1]s”不是有效的日期时间", "%q is not a valid date-time: %v", v, strings.TrimPrefix(err.Error(), "parsing time "))
		return nil
	}
	if t.Year() < 1 {
		p.fail(path, "“%s”的年份 0000 无效", "%q: year 0000 does not exist", v)
		return nil
	}
	if _, off := t.Zone(); off > 14*3600 || off < -14*3600 {
		p.fail(path, "“%s”的时区偏移超出范围（±14:00）", "time zone offset of %q is out of range (±14:00)", v)
		return nil
	}
	switch {
	case strings.HasSuffix(v, "Z"):
		p.warn(path, "CAP 以 -00:00 表示 UTC，而非 Z（已接受）", "CAP writes UTC as -00:00, not Z (accepted)")
	case strings.Contains(v, "."):
		p.warn(path, "CAP 日期时间不带小数秒（已接受）", "CAP date-times have no fractional seconds (accepted)")
	}
	return &t
}

var languageTag = regexp.MustCompile(`^[a-zA-Z]{1,8}(-[a-zA-Z0-9]{1,8})*$`)

func (p *parser) alert(n *node) *Alert {
	a := &Alert{Namespace: p.ns}
	k := p.children(n)
	var path string
	a.Identifier, path = p.text(k, "identifier")
	p.idLike(a.Identifier, path, "identifier")
	a.Sender, path = p.text(k, "sender")
	p.idLike(a.Sender, path, "sender")
	var sent string
	sent, path = p.text(k, "sent")
	if t := p.time(sent, path); t != nil {
		a.Sent = *t
	}
	a.Status, path = p.text(k, "status")
	if len(k["status"]) > 0 {
		a.Status = p.enum(a.Status, path, "status", Statuses)
	}
	a.MsgType, path = p.text(k, "msgType")
	if len(k["msgType"]) > 0 {
		a.MsgType = p.enum(a.MsgType, path, "msgType", MsgTypes)
	}
	a.Source, _ = p.text(k, "source")
	var scopePath string
	a.Scope, scopePath = p.text(k, "scope")
	if len(k["scope"]) > 0 {
		a.Scope = p.enum(a.Scope, scopePath, "scope", Scopes)
	}
	var restrictionPath string
	a.Restriction, restrictionPath = p.text(k, "restriction")
	a.Addresses, _ = p.text(k, "addresses")
	for _, c := range p.texts(k, "code") {
		a.Codes = append(a.Codes, strings.TrimSpace(c.text.String()))
	}
	a.Note, _ = p.text(k, "note")
	refs, refPath := p.text(k, "references")
	if len(k["references"]) > 0 {
		a.References = p.references(refs, refPath, a)
	}
	a.Incidents, _ = p.text(k, "incidents")
	switch {
	case a.Scope == "Restricted" && a.Restriction == "":
		p.fail(n.path+"/restriction", "scope 为 Restricted 时须有 <restriction>", "scope Restricted needs a <restriction>")
	case a.Scope == "Private" && a.Addresses == "":
		p.fail(n.path+"/addresses", "scope 为 Private 时须有 <addresses>", "scope Private needs <addresses>")
	case a.Restriction != "" && a.Scope != "Restricted" && a.Scope != "":
		p.warn(restrictionPath, "<restriction> 仅用于 scope 为 Restricted 的预警", "<restriction> is meant for scope Restricted only")
	}
	switch {
	case a.MsgType == "Cancel" && len(a.References) == 0:
		p.fail(n.path+"/references", "msgType 为 Cancel 时须有 <references> 指明所撤销的预警", "msgType Cancel needs <references> naming what it cancels")
	case a.MsgType == "Update" && len(a.References) == 0:
		p.warn(n.path+"/references", "msgType 为 Update 但没有 <references>：不更新任何已有预警", "msgType Update without <references>: nothing is superseded")
	}
	if a.Status == "Exercise" && a.Note == "" {
		p.warn(n.path+"/note", "status 为 Exercise 时应在 <note> 中说明演练内容", "status Exercise should say in <note> what the exercise is")
	}
	infos := k["info"]
	if len(infos) > MaxInfos {
		p.limit(infos[MaxInfos].path, "预警信息块 <info> 过多：%d 个，最多 %d 个", "too many <info> blocks: %d, at most %d", len(infos), MaxInfos)
		infos = infos[:MaxInfos]
	}
	for _, in := range infos {
		a.Infos = append(a.Infos, p.info(in))
	}
	p.chinaProfile(a, n.path)
	return a
}

// idLike checks identifier and sender: no spaces, commas or < &.
func (p *parser) idLike(v, path, what string) {
	if v == "" {
		if path != "" {
			p.fail(path, "%s 为空", "%s is empty", what)
		}
		return
	}
	if strings.ContainsAny(v, " \t\r\n,<&") {
		p.fail(path, "%s“%s”不能包含空格、逗号、< 或 &", "%s %q may not contain spaces, commas, < or &", what, truncate(v, 60))
	}
}

func (p *parser) references(v, path string, a *Alert) []Reference {
	if v == "" {
		p.fail(path, "<references> 为空；请删除该元素，或按“发送者,标识符,发送时间”列出所引用的预警", "<references> is empty; leave it out or name messages as sender,identifier,sent")
		return nil
	}
	var out []Reference
	for f := range strings.FieldsSeq(v) {
		parts := strings.Split(f, ",")
		if len(parts) != 3 || parts[0] == "" || parts[1] == "" || parts[2] == "" {
			p.fail(path, "引用“%s”不是“发送者,标识符,发送时间”格式", "reference %q is not sender,identifier,sent", truncate(f, 120))
			continue
		}
		r := Reference{Sender: parts[0], Identifier: parts[1], Sent: parts[2]}
		if !capTime.MatchString(r.Sent) {
			p.fail(path, "引用“%s”的发送时间无效", "reference %q has no valid sent time", truncate(f, 120))
			continue
		}
		if r.Sender == a.Sender && r.Identifier == a.Identifier {
			// Publishers that keep one identifier through a warning's
			// updates reference it (the CMA copies the current sent time
			// into references too): read it as the earlier versions of
			// that identifier, never as the alert itself.
			p.warn(path, "引用“%s”指向本预警自己的标识符：按该标识符的早先版本处理（已接受）",
				"reference %q names this alert's own identifier: read as the earlier versions of that identifier (accepted)", truncate(f, 120))
		} else if t, err := time.Parse(time.RFC3339, r.Sent); err == nil && !a.Sent.IsZero() && t.After(a.Sent) {
			p.warn(path, "引用“%s”的发送时间晚于本预警", "reference %q was sent after this alert", truncate(f, 120))
		}
		out = append(out, r)
	}
	return out
}

// veryLikely is CAP 1.0's certainty, which CAP 1.1 and 1.2 say to read as
// Likely.
const veryLikely = "very likely"

func (p *parser) info(n *node) Info {
	in := Info{}
	k := p.children(n)
	var path string
	in.Language, path = p.text(k, "language")
	switch {
	case len(k["language"]) == 0 || in.Language == "":
		in.Language = "en-US"
	case !languageTag.MatchString(in.Language):
		p.fail(path, "语言“%s”不是 RFC 3066 语言标签", "language %q is not an RFC 3066 tag", in.Language)
	}
	for _, c := range p.texts(k, "category") {
		v := strings.TrimSpace(c.text.String())
		in.Categories = append(in.Categories, p.enum(v, c.path, "category", Categories))
	}
	in.Event, path = p.text(k, "event")
	if len(k["event"]) > 0 && in.Event == "" {
		p.fail(path, "event 为空", "event is empty")
	}
	for _, c := range p.texts(k, "responseType") {
		v := strings.TrimSpace(c.text.String())
		in.ResponseTypes = append(in.ResponseTypes, p.enum(v, c.path, "responseType", ResponseTypes))
	}
	in.Urgency, path = p.text(k, "urgency")
	if len(k["urgency"]) > 0 {
		in.Urgency = p.enum(in.Urgency, path, "urgency", Urgencies)
	}
	in.Severity, path = p.text(k, "severity")
	if len(k["severity"]) > 0 {
		in.Severity = p.enum(in.Severity, path, "severity", Severities)
	}
	in.Certainty, path = p.text(k, "certainty")
	if strings.EqualFold(in.Certainty, veryLikely) {
		p.warn(path, "CAP 1.0 的 certainty“Very Likely”按 Likely 读取", "CAP 1.0 certainty \"Very Likely\" read as Likely")
		in.Certainty = "Likely"
	}
	if len(k["certainty"]) > 0 {
		in.Certainty = p.enum(in.Certainty, path, "certainty", Certainties)
	}
	in.Audience, _ = p.text(k, "audience")
	in.EventCodes = p.namedValues(k["eventCode"])
	for _, f := range []struct {
		name string
		dst  **time.Time
	}{{"effective", &in.Effective}, {"onset", &in.Onset}, {"expires", &in.Expires}} {
		v, path := p.text(k, f.name)
		*f.dst = p.time(v, path)
	}
	if in.Onset != nil && in.Expires != nil && in.Expires.Before(*in.Onset) {
		p.warn(n.path+"/expires", "失效时间早于开始时间", "expires before onset")
	}
	in.SenderName, _ = p.text(k, "senderName")
	in.Headline, _ = p.text(k, "headline")
	in.Description, _ = p.text(k, "description")
	in.Instruction, _ = p.text(k, "instruction")
	in.Web, path = p.text(k, "web")
	if in.Web != "" {
		if u, err := url.Parse(in.Web); err != nil || !u.IsAbs() {
			p.warn(path, "web“%s”不是绝对 URI", "web %q is not an absolute URI", truncate(in.Web, 60))
		}
	}
	in.Contact, _ = p.text(k, "contact")
	in.Parameters = p.namedValues(k["parameter"])
	for _, r := range k["resource"] {
		in.Resources = append(in.Resources, p.resource(r))
	}
	areas := k["area"]
	if len(areas) > MaxAreasPerInfo {
		p.limit(areas[MaxAreasPerInfo].path, "预警区域 <area> 过多：%d 个，每个 <info> 最多 %d 个", "too many <area> in one <info>: %d, at most %d", len(areas), MaxAreasPerInfo)
		areas = areas[:MaxAreasPerInfo]
	}
	for _, ar := range areas {
		in.Areas = append(in.Areas, p.area(ar))
	}
	return in
}

func (p *parser) namedValues(ns []*node) []NamedValue {
	var out []NamedValue
	for _, n := range ns {
		k := p.children(n)
		name, _ := p.text(k, "valueName")
		value, _ := p.text(k, "value")
		out = append(out, NamedValue{Name: name, Value: value})
	}
	return out
}

var mimeType = regexp.MustCompile(`^[\w.+-]+/[\w.+-]+`)

func (p *parser) resource(n *node) Resource {
	k := p.children(n)
	var r Resource
	r.Desc, _ = p.text(k, "resourceDesc")
	var path string
	r.MimeType, path = p.text(k, "mimeType")
	if r.MimeType != "" && !mimeType.MatchString(r.MimeType) {
		p.fail(path, "mimeType“%s”不是 MIME 类型", "mimeType %q is not a MIME type", truncate(r.MimeType, 60))
	}
	size, path := p.text(k, "size")
	if size != "" {
		v, err := strconv.ParseInt(size, 10, 64)
		if err != nil || v < 0 {
			p.fail(path, "size“%s”不是非负整数", "size %q is not a non-negative whole number", truncate(size, 30))
		} else {
			r.Size = &v
		}
	}
	r.URI, path = p.text(k, "uri")
	if r.URI != "" {
		if _, err := url.Parse(r.URI); err != nil {
			p.fail(path, "uri“%s”不是 URI", "uri %q is not a URI", truncate(r.URI, 60))
		}
	}
	r.DerefURI, path = p.text(k, "derefUri")
	if r.DerefURI != "" {
		// CAP carries the resource itself here, base64-encoded; line
		// breaks inside are usual.
		if _, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(r.DerefURI), "")); err != nil {
			p.fail(path, "derefUri 不是 base64 编码的内容", "derefUri is not base64-encoded content")
		}
	}
	r.Digest, _ = p.text(k, "digest")
	return r
}

func (p *parser) area(n *node) Area {
	k := p.children(n)
	var a Area
	var path string
	a.Desc, path = p.text(k, "areaDesc")
	if len(k["areaDesc"]) > 0 && a.Desc == "" {
		p.fail(path, "areaDesc 为空", "areaDesc is empty")
	}
	polygons := p.texts(k, "polygon")
	if len(polygons) > MaxPolygonsPerArea {
		p.limit(polygons[MaxPolygonsPerArea].path, "多边形 <polygon> 过多：%d 个，每个预警区域最多 %d 个", "too many <polygon> in one <area>: %d, at most %d", len(polygons), MaxPolygonsPerArea)
		polygons = polygons[:MaxPolygonsPerArea]
	}
	for _, pn := range polygons {
		if poly, ok := p.polygon(pn.text.String(), pn.path); ok {
			a.Polygons = append(a.Polygons, poly)
		}
	}
	circles := p.texts(k, "circle")
	if len(circles) > MaxCirclesPerArea {
		p.limit(circles[MaxCirclesPerArea].path, "圆形区域 <circle> 过多：%d 个，每个预警区域最多 %d 个", "too many <circle> in one <area>: %d, at most %d", len(circles), MaxCirclesPerArea)
		circles = circles[:MaxCirclesPerArea]
	}
	for _, cn := range circles {
		if c, ok := p.circle(cn.text.String(), cn.path); ok {
			a.Circles = append(a.Circles, c)
		}
	}
	geocodes := k["geocode"]
	if len(geocodes) > MaxGeocodesPerArea {
		p.limit(geocodes[MaxGeocodesPerArea].path, "地理编码 <geocode> 过多：%d 个，每个预警区域最多 %d 个", "too many <geocode> in one <area>: %d, at most %d", len(geocodes), MaxGeocodesPerArea)
		geocodes = geocodes[:MaxGeocodesPerArea]
	}
	for i, g := range p.namedValues(geocodes) {
		if g.Value == "" {
			// A publisher's template with the code left blank: it locates
			// nothing.
			p.warn(geocodes[i].path, "地理编码“%s”的值为空，已忽略", "geocode %q has an empty value: ignored", truncate(g.Name, 60))
			continue
		}
		if IsCPEAS(g) && !p.checkCPEAS(g.Value, geocodes[i].path+"/value") {
			continue
		}
		a.Geocodes = append(a.Geocodes, g)
	}
	alt, altPath := p.text(k, "altitude")
	ceil, ceilPath := p.text(k, "ceiling")
	a.Altitude = p.number(alt, altPath, "altitude")
	a.Ceiling = p.number(ceil, ceilPath, "ceiling")
	switch {
	case a.Ceiling != nil && a.Altitude == nil:
		p.fail(ceilPath, "有 <ceiling> 时须有 <altitude>", "<ceiling> needs an <altitude>")
	case a.Ceiling != nil && *a.Altitude > *a.Ceiling:
		p.fail(ceilPath, "高度 %g 高于上限 %g", "altitude %g is above ceiling %g", *a.Altitude, *a.Ceiling)
	}
	if len(a.Polygons)+len(a.Circles)+len(a.Geocodes) == 0 && a.Altitude == nil {
		p.warn(n.path, "该区域没有多边形、圆形或地理编码：只能凭描述定位", "the area has no polygon, circle or geocode: only its description locates it")
	}
	return a
}

func (p *parser) number(v, path, what string) *float64 {
	if v == "" {
		return nil
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		p.fail(path, "%s“%s”不是数字", "%s %q is not a number", what, truncate(v, 30))
		return nil
	}
	return &f
}

// latLon reads "lat,lon". A coordinate within coordSlack past its range
// is set on the limit and counted in *clamped.
func (p *parser) latLon(s, path string, clamped *int) (LatLon, bool) {
	lats, lons, ok := strings.Cut(s, ",")
	if !ok || strings.Contains(lons, ",") {
		p.fail(path, "位置“%s”不是“纬度,经度”格式", "position %q is not latitude,longitude", truncate(s, 40))
		return LatLon{}, false
	}
	lat, err1 := strconv.ParseFloat(lats, 64)
	lon, err2 := strconv.ParseFloat(lons, 64)
	if err1 != nil || err2 != nil || math.IsNaN(lat) || math.IsNaN(lon) || math.IsInf(lat, 0) || math.IsInf(lon, 0) {
		p.fail(path, "位置“%s”不是两个数字", "position %q is not two numbers", truncate(s, 40))
		return LatLon{}, false
	}
	if math.Abs(lat) > 90+coordSlack || math.Abs(lon) > 180+coordSlack {
		p.fail(path, "位置“%s”超出范围（纬度 ±90°，经度 ±180°）", "position %q is out of range (latitude ±90, longitude ±180)", truncate(s, 40))
		return LatLon{}, false
	}
	if math.Abs(lat) > 90 {
		lat = math.Copysign(90, lat)
		*clamped++
	}
	if math.Abs(lon) > 180 {
		lon = math.Copysign(180, lon)
		*clamped++
	}
	return LatLon{Lat: lat, Lon: lon}, true
}

func (p *parser) clampedNote(path string, clamped int) {
	if clamped > 0 {
		p.warn(path, "%d 个坐标略超出 ±90°/±180°（舍入误差），已按边界值处理", "%d coordinates a hair past ±90°/±180° (rounding) were set on the limit", clamped)
	}
}

// shape counts one polygon or circle against MaxAlertShapes; false once the
// alert has too many.
func (p *parser) shape(path string) bool {
	if p.shapes++; p.shapes <= MaxAlertShapes {
		return true
	}
	if !p.shapesFull {
		p.shapesFull = true
		p.limit(path, "多边形和圆形总数过多：整条预警最多 %d 个", "too many polygons and circles in the alert: at most %d in all", MaxAlertShapes)
	}
	return false
}

// polygon reads a ring of "lat,lon" positions separated by any white
// space. An empty <polygon/> (publishers' templates write one beside
// their geocodes) is ignored; a ring whose closing position is missing is
// closed; both with a note.
func (p *parser) polygon(s, path string) (Polygon, bool) {
	n := 0
	for range strings.FieldsSeq(s) {
		n++
	}
	if n == 0 {
		p.warn(path, "空的 <polygon> 已忽略", "empty <polygon> ignored")
		return nil, false
	}
	if !p.shape(path) {
		return nil, false
	}
	if n > MaxPolygonPoints {
		p.limit(path, "多边形顶点过多：%d 个，最多 %d 个", "too many positions in one polygon: %d, at most %d", n, MaxPolygonPoints)
		return nil, false
	}
	if p.points += n; p.points > MaxAlertPoints {
		if !p.pointsFull {
			p.pointsFull = true
			p.limit(path, "多边形顶点总数过多：整条预警最多 %d 个", "too many polygon positions in the alert: at most %d in all", MaxAlertPoints)
		}
		return nil, false
	}
	poly := make(Polygon, 0, n+1)
	clamped := 0
	for f := range strings.FieldsSeq(s) {
		ll, ok := p.latLon(f, path, &clamped)
		if !ok {
			return nil, false
		}
		poly = append(poly, ll)
	}
	closed := poly[0] == poly[len(poly)-1]
	if !closed {
		poly = append(poly, poly[0])
	}
	if len(poly) < 4 || !threeDistinct(poly) {
		p.fail(path, "多边形至少需要 4 个位置（3 个不同的点，首点在末尾重复），现有 %d 个", "a polygon needs at least 4 positions (3 different ones, the first repeated last); it has %d", n)
		return nil, false
	}
	if !closed {
		p.warn(path, "多边形未闭合：已在末尾补上首点 %s（已接受）", "ring not closed: the first position %s was repeated at the end (accepted)", formatLatLon(poly[0]))
	}
	p.clampedNote(path, clamped)
	return poly, true
}

// threeDistinct tells a ring with an area at all: three different
// positions.
func threeDistinct(ring Polygon) bool {
	a := ring[0]
	for i, b := range ring {
		if b == a {
			continue
		}
		for _, c := range ring[i+1:] {
			if c != a && c != b {
				return true
			}
		}
		return false
	}
	return false
}

// circle reads "lat,lon radius". An empty <circle/> is ignored with a note.
func (p *parser) circle(s, path string) (Circle, bool) {
	fields := strings.Fields(s)
	if len(fields) == 0 {
		p.warn(path, "空的 <circle> 已忽略", "empty <circle> ignored")
		return Circle{}, false
	}
	if len(fields) != 2 {
		p.fail(path, "圆形“%s”不是“纬度,经度 半径”格式", "circle %q is not \"latitude,longitude radius\"", truncate(s, 60))
		return Circle{}, false
	}
	if !p.shape(path) {
		return Circle{}, false
	}
	clamped := 0
	centre, ok := p.latLon(fields[0], path, &clamped)
	if !ok {
		return Circle{}, false
	}
	r, err := strconv.ParseFloat(fields[1], 64)
	if err != nil || math.IsNaN(r) || math.IsInf(r, 0) {
		p.fail(path, "圆形半径“%s”不是数字", "circle radius %q is not a number", truncate(fields[1], 30))
		return Circle{}, false
	}
	if r < 0 {
		p.fail(path, "圆形半径 %g 公里为负数", "circle radius %g km is negative", r)
		return Circle{}, false
	}
	if r > maxRadiusKM {
		p.fail(path, "圆形半径 %g 公里超过地球周长的一半（%d 公里）", "circle radius %g km is more than half the Earth's circumference (%d km)", r, maxRadiusKM)
		return Circle{}, false
	}
	p.clampedNote(path, clamped)
	return Circle{Centre: centre, RadiusKM: r}, true
}
