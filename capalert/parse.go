package capalert

import (
	"bytes"
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

// Limits on what Parse reads.
const (
	MaxBytes    = 2 << 20 // 2 MiB: a CAP alert with many polygons stays far below
	maxDepth    = 32
	maxElements = 50000
)

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
}

func (p *parser) fail(path, format string, args ...any) {
	p.errs = append(p.errs, backstop.Problem{Path: path, Reason: fmt.Sprintf(format, args...)})
}

func (p *parser) warn(path, format string, args ...any) {
	p.warns = append(p.warns, backstop.Problem{Path: path, Reason: fmt.Sprintf(format, args...)})
}

// Result is a parsed alert with the warnings about it: deviations real feeds
// make (elements out of schema order, say) that do not stop it.
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
// resolved), exceeds MaxBytes, or breaks a rule of the standard is refused
// with an *backstop.Error (code invalid) whose Details name each element
// path and rule, e.g. "alert/info[0]/area[1]/polygon: ring not closed".
func Parse(data []byte) (*Result, error) {
	if len(data) > MaxBytes {
		return nil, backstop.Errorf(backstop.ETOOLARGE, "The CAP document has %d bytes; the limit is %d (2 MiB).", len(data), MaxBytes)
	}
	root, err := readTree(data)
	if err != nil {
		return nil, err
	}
	p := &parser{}
	switch {
	case root.name.Local != "alert":
		return nil, notCAP(fmt.Sprintf("the root element is <%s>, not <alert>", root.name.Local))
	case root.name.Space != NS12 && root.name.Space != NS11 && root.name.Space != NS10:
		return nil, notCAP(fmt.Sprintf("the root element's namespace is %q, not CAP's (%s)", root.name.Space, NS12))
	}
	p.ns = root.name.Space
	a := p.alert(root)
	if len(p.errs) > 0 {
		msg := "The CAP alert is refused: " + p.errs[0].String()
		if len(p.errs) > 1 {
			msg += fmt.Sprintf(" (and %d more)", len(p.errs)-1)
		}
		return nil, &backstop.Error{Code: backstop.EINVALID, Message: msg, Details: p.errs}
	}
	return &Result{Alert: a, Warnings: p.warns}, nil
}

func notCAP(why string) error {
	return &backstop.Error{Code: backstop.EINVALID, Message: "Not a CAP alert: " + why + ".", Details: []backstop.Problem{{Path: "/", Reason: "not CAP: " + why}}}
}

// readTree parses the XML into nodes, refusing DOCTYPEs.
func readTree(data []byte) (*node, error) {
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = true
	d.CharsetReader = charsetReader
	var stack []*node
	var root *node
	elements := 0
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			line, _ := d.InputPos()
			return nil, &backstop.Error{Code: backstop.EINVALID, Message: fmt.Sprintf("The document is not well-formed XML (line %d): %v.", line, err),
				Details: []backstop.Problem{{Path: "/", Reason: fmt.Sprintf("not well-formed XML at line %d: %v", line, err)}}}
		}
		switch t := tok.(type) {
		case xml.Directive:
			if bytes.HasPrefix(bytes.TrimSpace(t), []byte("DOCTYPE")) {
				return nil, &backstop.Error{Code: backstop.EINVALID, Message: "The document declares a DOCTYPE; CAP needs none, and DTDs with external entities are refused.",
					Details: []backstop.Problem{{Path: "/", Reason: "DOCTYPE declarations (and the entities they define) are not allowed"}}}
			}
		case xml.StartElement:
			elements++
			if elements > maxElements || len(stack) >= maxDepth {
				return nil, backstop.Errorf(backstop.EINVALID, "The document has more than %d elements or is nested deeper than %d.", maxElements, maxDepth)
			}
			line, _ := d.InputPos()
			n := &node{name: t.Name, line: line, count: map[string]int{}}
			if len(stack) == 0 {
				if root != nil {
					return nil, backstop.Errorf(backstop.EINVALID, "The document has more than one root element.")
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
		return nil, &backstop.Error{Code: backstop.EINVALID, Message: "The document is empty.", Details: []backstop.Problem{{Path: "/", Reason: "no root element"}}}
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
// a warning (real feeds do it); unknown, duplicated or missing elements
// are errors.
func (p *parser) children(n *node) map[string][]*node {
	specs := schema[n.name.Local]
	pos := map[string]int{}
	for i, s := range specs {
		pos[s.name] = i
	}
	if strings.TrimSpace(n.text.String()) != "" {
		p.fail(n.path, "text %q is not allowed directly inside <%s>", truncate(strings.TrimSpace(n.text.String()), 40), n.name.Local)
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
			p.fail(k.path, "element {%s}%s is not allowed here", k.name.Space, k.name.Local)
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
			p.fail(k.path, "unknown element <%s> in <%s>", k.name.Local, n.name.Local)
			continue
		}
		if !specs[i].many && idx > 0 {
			p.fail(k.path, "<%s> may appear only once in <%s>", k.name.Local, n.name.Local)
			continue
		}
		if i < last && !warnedOrder {
			p.warn(k.path, "<%s> comes after elements the schema puts after it (out of order; accepted)", k.name.Local)
			warnedOrder = true
		}
		last = max(last, i)
		out[k.name.Local] = append(out[k.name.Local], k)
	}
	for _, s := range specs {
		if s.required && len(out[s.name]) == 0 {
			p.fail(n.path+"/"+s.name, "required element <%s> is missing", s.name)
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
		p.fail(n.path, "<%s> must hold text, not elements", name)
	}
	return strings.TrimSpace(n.text.String()), n.path
}

func (p *parser) texts(kids map[string][]*node, name string) []*node {
	for _, n := range kids[name] {
		if len(n.kids) > 0 {
			p.fail(n.path, "<%s> must hold text, not elements", name)
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

func (p *parser) enum(v, path, what string, list []string) string {
	if !oneOf(v, list) {
		if v == "" {
			p.fail(path, "%s is empty; it must be one of %s", what, strings.Join(list, ", "))
		} else {
			p.fail(path, "%s %q is not one of %s", what, v, strings.Join(list, ", "))
		}
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
		p.fail(path, "%q is not a CAP date-time (YYYY-MM-DDThh:mm:ss±hh:mm)", v)
		return nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		p.fail(path, "%q is not a valid date-time: %v", v, strings.TrimPrefix(err.Error(), "parsing time "))
		return nil
	}
	switch {
	case strings.HasSuffix(v, "Z"):
		p.warn(path, "CAP writes UTC as -00:00, not Z (accepted)")
	case strings.Contains(v, "."):
		p.warn(path, "CAP date-times have no fractional seconds (accepted)")
	}
	if _, off := t.Zone(); off > 14*3600 || off < -14*3600 {
		p.fail(path, "time zone offset of %q is out of range", v)
		return nil
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
		p.enum(a.Status, path, "status", Statuses)
	}
	a.MsgType, path = p.text(k, "msgType")
	if len(k["msgType"]) > 0 {
		p.enum(a.MsgType, path, "msgType", MsgTypes)
	}
	a.Source, _ = p.text(k, "source")
	a.Scope, path = p.text(k, "scope")
	if len(k["scope"]) > 0 {
		p.enum(a.Scope, path, "scope", Scopes)
	}
	a.Restriction, path = p.text(k, "restriction")
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
		p.fail(n.path+"/restriction", "scope Restricted needs a <restriction>")
	case a.Scope == "Private" && a.Addresses == "":
		p.fail(n.path+"/addresses", "scope Private needs <addresses>")
	case a.Restriction != "" && a.Scope != "Restricted" && a.Scope != "":
		p.warn(path, "<restriction> is meant for scope Restricted only")
	}
	switch {
	case a.MsgType == "Cancel" && len(a.References) == 0:
		p.fail(n.path+"/references", "msgType Cancel needs <references> naming what it cancels")
	case a.MsgType == "Update" && len(a.References) == 0:
		p.warn(n.path+"/references", "msgType Update without <references>: nothing is superseded")
	}
	if a.Status == "Exercise" && a.Note == "" {
		p.warn(n.path+"/note", "status Exercise should say in <note> what the exercise is")
	}
	for _, in := range k["info"] {
		a.Infos = append(a.Infos, p.info(in))
	}
	p.chinaProfile(a, n.path)
	return a
}

// idLike checks identifier and sender: no spaces, commas or < &.
func (p *parser) idLike(v, path, what string) {
	if v == "" {
		if path != "" {
			p.fail(path, "%s is empty", what)
		}
		return
	}
	if strings.ContainsAny(v, " \t\r\n,<&") {
		p.fail(path, "%s %q may not contain spaces, commas, < or &", what, truncate(v, 60))
	}
}

func (p *parser) references(v, path string, a *Alert) []Reference {
	if v == "" {
		p.fail(path, "<references> is empty; leave it out or name messages as sender,identifier,sent")
		return nil
	}
	var out []Reference
	for _, f := range strings.Fields(v) {
		parts := strings.Split(f, ",")
		if len(parts) != 3 || parts[0] == "" || parts[1] == "" || parts[2] == "" {
			p.fail(path, "reference %q is not sender,identifier,sent", f)
			continue
		}
		r := Reference{Sender: parts[0], Identifier: parts[1], Sent: parts[2]}
		if !capTime.MatchString(r.Sent) {
			p.fail(path, "reference %q has no valid sent time", f)
			continue
		}
		if r.Sender == a.Sender && r.Identifier == a.Identifier {
			p.fail(path, "the alert references itself")
			continue
		}
		if t, err := time.Parse(time.RFC3339, r.Sent); err == nil && !a.Sent.IsZero() && t.After(a.Sent) {
			p.warn(path, "reference %q was sent after this alert", f)
		}
		out = append(out, r)
	}
	return out
}

func (p *parser) info(n *node) Info {
	in := Info{}
	k := p.children(n)
	var path string
	in.Language, path = p.text(k, "language")
	switch {
	case len(k["language"]) == 0 || in.Language == "":
		in.Language = "en-US"
	case !languageTag.MatchString(in.Language):
		p.fail(path, "language %q is not an RFC 3066 tag", in.Language)
	}
	for _, c := range p.texts(k, "category") {
		v := strings.TrimSpace(c.text.String())
		in.Categories = append(in.Categories, p.enum(v, c.path, "category", Categories))
	}
	in.Event, path = p.text(k, "event")
	if len(k["event"]) > 0 && in.Event == "" {
		p.fail(path, "event is empty")
	}
	for _, c := range p.texts(k, "responseType") {
		v := strings.TrimSpace(c.text.String())
		in.ResponseTypes = append(in.ResponseTypes, p.enum(v, c.path, "responseType", ResponseTypes))
	}
	in.Urgency, path = p.text(k, "urgency")
	if len(k["urgency"]) > 0 {
		p.enum(in.Urgency, path, "urgency", Urgencies)
	}
	in.Severity, path = p.text(k, "severity")
	if len(k["severity"]) > 0 {
		p.enum(in.Severity, path, "severity", Severities)
	}
	in.Certainty, path = p.text(k, "certainty")
	if in.Certainty == "Very Likely" && p.ns == NS10 {
		p.warn(path, "CAP 1.0 certainty \"Very Likely\" read as Likely")
		in.Certainty = "Likely"
	}
	if len(k["certainty"]) > 0 {
		p.enum(in.Certainty, path, "certainty", Certainties)
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
		p.warn(n.path+"/expires", "expires before onset")
	}
	in.SenderName, _ = p.text(k, "senderName")
	in.Headline, _ = p.text(k, "headline")
	in.Description, _ = p.text(k, "description")
	in.Instruction, _ = p.text(k, "instruction")
	in.Web, path = p.text(k, "web")
	if in.Web != "" {
		if u, err := url.Parse(in.Web); err != nil || !u.IsAbs() {
			p.warn(path, "web %q is not an absolute URI", truncate(in.Web, 60))
		}
	}
	in.Contact, _ = p.text(k, "contact")
	in.Parameters = p.namedValues(k["parameter"])
	for _, r := range k["resource"] {
		in.Resources = append(in.Resources, p.resource(r))
	}
	for _, ar := range k["area"] {
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

func (p *parser) resource(n *node) Resource {
	k := p.children(n)
	var r Resource
	r.Desc, _ = p.text(k, "resourceDesc")
	var path string
	r.MimeType, path = p.text(k, "mimeType")
	if r.MimeType != "" && !regexp.MustCompile(`^[\w.+-]+/[\w.+-]+`).MatchString(r.MimeType) {
		p.fail(path, "mimeType %q is not a MIME type", r.MimeType)
	}
	size, path := p.text(k, "size")
	if size != "" {
		v, err := strconv.ParseInt(size, 10, 64)
		if err != nil || v < 0 {
			p.fail(path, "size %q is not a non-negative whole number", size)
		} else {
			r.Size = &v
		}
	}
	r.URI, path = p.text(k, "uri")
	if r.URI != "" {
		if _, err := url.Parse(r.URI); err != nil {
			p.fail(path, "uri %q is not a URI", truncate(r.URI, 60))
		}
	}
	r.DerefURI, _ = p.text(k, "derefUri")
	r.Digest, _ = p.text(k, "digest")
	return r
}

func (p *parser) area(n *node) Area {
	k := p.children(n)
	var a Area
	var path string
	a.Desc, path = p.text(k, "areaDesc")
	if len(k["areaDesc"]) > 0 && a.Desc == "" {
		p.fail(path, "areaDesc is empty")
	}
	for _, pn := range p.texts(k, "polygon") {
		if poly, ok := p.polygon(strings.TrimSpace(pn.text.String()), pn.path); ok {
			a.Polygons = append(a.Polygons, poly)
		}
	}
	for _, cn := range p.texts(k, "circle") {
		if c, ok := p.circle(strings.TrimSpace(cn.text.String()), cn.path); ok {
			a.Circles = append(a.Circles, c)
		}
	}
	a.Geocodes = p.namedValues(k["geocode"])
	alt, altPath := p.text(k, "altitude")
	ceil, ceilPath := p.text(k, "ceiling")
	a.Altitude = p.number(alt, altPath, "altitude")
	a.Ceiling = p.number(ceil, ceilPath, "ceiling")
	switch {
	case a.Ceiling != nil && a.Altitude == nil:
		p.fail(ceilPath, "<ceiling> needs an <altitude>")
	case a.Ceiling != nil && *a.Altitude > *a.Ceiling:
		p.fail(ceilPath, "altitude %g is above ceiling %g", *a.Altitude, *a.Ceiling)
	}
	if len(a.Polygons)+len(a.Circles)+len(a.Geocodes) == 0 && a.Altitude == nil {
		p.warn(n.path, "the area has no polygon, circle or geocode: only its description locates it")
	}
	return a
}

func (p *parser) number(v, path, what string) *float64 {
	if v == "" {
		return nil
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		p.fail(path, "%s %q is not a number", what, v)
		return nil
	}
	return &f
}

func (p *parser) latLon(s, path string) (LatLon, bool) {
	parts := strings.Split(s, ",")
	if len(parts) != 2 {
		p.fail(path, "position %q is not latitude,longitude", s)
		return LatLon{}, false
	}
	lat, err1 := strconv.ParseFloat(parts[0], 64)
	lon, err2 := strconv.ParseFloat(parts[1], 64)
	if err1 != nil || err2 != nil || math.IsNaN(lat) || math.IsNaN(lon) {
		p.fail(path, "position %q is not two numbers", s)
		return LatLon{}, false
	}
	if lat < -90 || lat > 90 || lon < -180 || lon > 180 {
		p.fail(path, "position %q is out of range (latitude ±90, longitude ±180)", s)
		return LatLon{}, false
	}
	return LatLon{Lat: lat, Lon: lon}, true
}

func (p *parser) polygon(s, path string) (Polygon, bool) {
	fields := strings.Fields(s)
	if len(fields) < 4 {
		p.fail(path, "a polygon needs at least 4 positions (the first repeated last), has %d", len(fields))
		return nil, false
	}
	poly := make(Polygon, 0, len(fields))
	for _, f := range fields {
		ll, ok := p.latLon(f, path)
		if !ok {
			return nil, false
		}
		poly = append(poly, ll)
	}
	if poly[0] != poly[len(poly)-1] {
		p.fail(path, "ring not closed: the first position %s must be repeated last", fields[0])
		return nil, false
	}
	return poly, true
}

func (p *parser) circle(s, path string) (Circle, bool) {
	fields := strings.Fields(s)
	if len(fields) != 2 {
		p.fail(path, "circle %q is not \"latitude,longitude radius\"", s)
		return Circle{}, false
	}
	centre, ok := p.latLon(fields[0], path)
	if !ok {
		return Circle{}, false
	}
	r, err := strconv.ParseFloat(fields[1], 64)
	if err != nil || math.IsNaN(r) || math.IsInf(r, 0) {
		p.fail(path, "circle radius %q is not a number", fields[1])
		return Circle{}, false
	}
	if r < 0 {
		p.fail(path, "circle radius %g km is negative", r)
		return Circle{}, false
	}
	return Circle{Centre: centre, RadiusKM: r}, true
}
