package web

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/httpx"
	"github.com/zhangye-backstop/backstop/sheet"
)

// The pages of the 预案与协同 menu group (issue 13) share one page shape:
// a heading, figures, a filter bar (查询 / 重置 / 导出Excel), a table with
// its pager, sections of details with their own tables, and forms. Each
// capability's file builds the shape; every table is the one its Excel
// export writes, so that what a list shows and what it exports cannot
// drift.

// cell is one table cell: its text, a link, and whether it is a number.
type cell struct {
	Text string
	Href string
	Num  bool
	Tag  string // a class for state tags (ok, warn, late)
}

// table is a list as shown and exported.
type table struct {
	ID     string
	Header []string
	Rows   [][]cell
	Empty  string
}

// option is one choice of a select field.
type option struct {
	Value, Label string
	Selected     bool
}

// field is one form field.
type field struct {
	Label, Name, Type, Value, Hint string
	Options                        []option
	Required                       bool
	Max                            int
	Accept                         string
}

// form is a form of a page: filters (GET) or an action (POST).
type form struct {
	ID, Title, Action, Submit, Hint string
	Get, Multipart                  bool
	Fields                          []field
}

// pair is one labelled figure.
type pair struct {
	Label, Value, Href string
	Tag                string
}

// section is a part of a detail page.
type section struct {
	Title string
	Note  string
	Pairs []pair
	Table *table
	Forms []*form
}

// prepView is what the shared template renders.
type prepView struct {
	Heading  string
	Note     string
	Summary  []pair
	Filters  *form
	Reset    string
	Export   string
	Table    *table
	Pager    *listPage
	Sections []section
	Forms    []*form
}

// prepNav: the menu items of the group and the permission of each.
var prepNav = map[string][]backstop.Permission{
	"prepare": {backstop.PermReadPrepared},
	"sharing": {backstop.PermReadSharing},
}

func init() {
	for k, v := range prepNav {
		navItems[k] = v
	}
}

func (h *Handler) prepareRoutes() {
	h.planPages()
	h.officerPages()
	h.sharingPages()
	h.projectPages()
	h.assetPages()
	h.insurancePages()
	h.publicityPages()
}

// exporting tells a request for the Excel file of a list.
func exporting(r *http.Request) bool { return r.URL.Query().Get("format") == "xlsx" }

// exportHref is the page's own list as an Excel file.
func exportHref(r *http.Request) string {
	q := r.URL.Query()
	q.Del("page")
	q.Del("size")
	q.Set("format", "xlsx")
	return r.URL.Path + "?" + q.Encode()
}

// maxExportRows bounds one Excel export.
const maxExportRows = 50000

// rows loads a table's rows with fn (limit, offset → total and rows):
// a page of them for the page, with the running number first, or all of
// them (to maxExportRows) for the export.
func (h *Handler) rows(r *http.Request, tb *table, fn func(limit, offset int) (int, [][]cell, error)) (*listPage, error) {
	tb.Header = append([]string{h.tr(r, "col.seq")}, tb.Header...)
	seq := func(offset int, rows [][]cell) [][]cell {
		out := make([][]cell, len(rows))
		for i, row := range rows {
			out[i] = append([]cell{{Text: strconv.Itoa(offset + i + 1), Num: true}}, row...)
		}
		return out
	}
	if exporting(r) {
		for offset := 0; offset < maxExportRows; offset += 1000 {
			total, rows, err := fn(1000, offset)
			if err != nil {
				return nil, err
			}
			if total == len(rows) && offset == 0 {
				tb.Rows = seq(0, rows)
				break
			}
			tb.Rows = append(tb.Rows, seq(offset, rows)...)
			if len(rows) == 0 || offset+len(rows) >= total {
				break
			}
		}
		return nil, nil
	}
	pg := pageOf(r, 20)
	err := pg.load(func(limit, offset int) (int, error) {
		total, rows, err := fn(limit, offset)
		if err != nil {
			return 0, err
		}
		if len(rows) > limit {
			// A list read whole: page it here.
			rows = pageSlice(pg, rows)
			offset = pg.Offset()
		}
		tb.Rows = seq(offset, rows)
		return total, nil
	})
	return pg, err
}

// writeSheet writes a table as an Excel file named name.xlsx.
func writeSheet(w http.ResponseWriter, name string, tb *table) error {
	d := httpx.NewDownload(w, "xlsx", name+".xlsx")
	sw, err := sheet.NewXLSX(d, truncateRunes(name, 31))
	if err != nil {
		return err
	}
	head := make([]any, len(tb.Header))
	for i, s := range tb.Header {
		head[i] = s
	}
	if err := sw.Write(head); err != nil {
		return err
	}
	for _, row := range tb.Rows {
		cells := make([]any, len(row))
		for i, c := range row {
			if c.Num {
				if f, err := strconv.ParseFloat(strings.ReplaceAll(c.Text, ",", ""), 64); err == nil {
					cells[i] = f
					continue
				}
			}
			cells[i] = c.Text
		}
		if err := sw.Write(cells); err != nil {
			return err
		}
	}
	return sw.Close()
}

func truncateRunes(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		return string(r[:n])
	}
	return s
}

// prepPage renders a page of the group, or its table as Excel.
func (h *Handler) prepPage(w http.ResponseWriter, r *http.Request, menu, title string, v *prepView) error {
	if exporting(r) && v.Table != nil {
		return writeSheet(w, title, v.Table)
	}
	if v.Heading == "" {
		v.Heading = title
	}
	if v.Table != nil && v.Export == "" {
		v.Export = exportHref(r)
	}
	if v.Reset == "" {
		v.Reset = r.URL.Path
	}
	notice := ""
	if r.URL.Query().Get("done") != "" {
		notice = h.tr(r, "prep.saved")
	}
	status, msg := http.StatusOK, ""
	if e, ok := r.Context().Value(prepErrorKey{}).(prepError); ok {
		status, msg, notice = e.status, e.msg, ""
	}
	h.render(w, r, status, "prepare.html", &page{Title: title, Menu: menu, Notice: notice, Error: msg, Crumbs: []crumb{{Label: h.tr(r, "menu.group.prepare")}, {Label: title}}, Data: v})
	return nil
}

// prepFail renders a page again with an error, for a form that was
// refused: the page shows the reason in the user's language, with the
// error's status.
func (h *Handler) prepFail(w http.ResponseWriter, r *http.Request, err error, again func(w http.ResponseWriter, r *http.Request) error) error {
	code := backstop.ErrorCode(err)
	if code == backstop.EUNAUTHORIZED || code == backstop.EINTERNAL || code == backstop.ENOTFOUND {
		return err
	}
	get := r.Clone(context.WithValue(r.Context(), prepErrorKey{}, prepError{msg: h.errorText(r, err), status: httpx.ErrorStatus(err)}))
	get.Method = http.MethodGet
	return again(w, get)
}

type prepErrorKey struct{}

type prepError struct {
	msg    string
	status int
}

// formValues reads a posted form (64 KiB at most).
func formValues(w http.ResponseWriter, r *http.Request) (url.Values, error) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		return nil, backstop.E(backstop.EINVALID, "invalid.form")
	}
	return r.PostForm, nil
}

// done sends the browser to a page after a form succeeded.
func done(w http.ResponseWriter, r *http.Request, to string) error {
	sep := "?"
	if strings.Contains(to, "?") {
		sep = "&"
	}
	http.Redirect(w, r, to+sep+"done=1", http.StatusSeeOther)
	return nil
}

// regionNames names region codes, each looked up once per request.
type regionNames struct {
	h     *Handler
	ctx   context.Context
	lang  string
	names map[string]string
}

func (h *Handler) namer(r *http.Request) *regionNames {
	return &regionNames{h: h, ctx: r.Context(), lang: langOf(r), names: map[string]string{}}
}

// of is a region's name ("" for none).
func (n *regionNames) of(code string) string {
	if code == "" {
		return ""
	}
	if s, ok := n.names[code]; ok {
		return s
	}
	s := n.h.regionName(n.ctx, code, n.lang)
	n.names[code] = s
	return s
}

// path is a region with the regions above it down from the county
// (临泽县 沙河镇 西寨村).
func (n *regionNames) path(code string) string {
	if code == "" {
		return ""
	}
	var parts []string
	for c := code; c != "" && backstop.LevelOfCode(c) >= backstop.LevelCounty; c = backstop.ParentCodeOf(c) {
		parts = append([]string{n.of(c)}, parts...)
	}
	if len(parts) == 0 {
		return n.of(code)
	}
	return strings.Join(parts, " ")
}

// yuan writes an amount in yuan as offices do (12,345.6).
func yuan(f float64) string {
	s := strconv.FormatFloat(f, 'f', 2, 64)
	s = strings.TrimSuffix(strings.TrimSuffix(s, "0"), "0")
	s = strings.TrimSuffix(s, ".")
	whole, frac, _ := strings.Cut(s, ".")
	if frac != "" {
		return groupThousands(whole) + "." + frac
	}
	return groupThousands(whole)
}

// day writes a time's date in Beijing.
func day(t time.Time) string { return t.In(backstop.Beijing).Format("2006-01-02") }

// opts builds select options from codes and a label function.
func opts(selected string, codes []string, label func(string) string) []option {
	out := make([]option, 0, len(codes)+1)
	for _, c := range codes {
		out = append(out, option{Value: c, Label: label(c), Selected: c == selected})
	}
	return out
}

// withBlank puts a choice of nothing first.
func withBlank(label string, o []option) []option {
	return append([]option{{Value: "", Label: label}}, o...)
}

// levelOptions are the regions of a level inside the user's region, for
// a select.
func (h *Handler) levelOptions(r *http.Request, level backstop.RegionLevel, selected string) []option {
	u := backstop.UserFromContext(r.Context())
	f := backstop.RegionFilter{Within: u.Region, Level: level, Limit: 1000}
	regs, _, err := h.cfg.Registry.Regions(r.Context(), f)
	if err != nil {
		return nil
	}
	var out []option
	for _, g := range regs {
		label := g.Name
		if level > backstop.LevelCounty {
			label = h.namer(r).path(g.Code)
		}
		out = append(out, option{Value: g.Code, Label: label, Selected: g.Code == selected})
	}
	return out
}

// countyOfUser is the county a user's region lies in, if any.
func countyOfUser(u *backstop.User) string {
	if backstop.LevelOfCode(u.Region) >= backstop.LevelCounty {
		return u.Region[:6] + "000000"
	}
	return ""
}

// pathID reads a numeric path value as a record that exists or not.
func pathID(r *http.Request) (int64, error) { return httpx.PathID(r, "Record") }

// atoi reads a form number (0 when empty or not a number).
func atoi(s string) int64 {
	n, _ := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	return n
}

func atof(s string) float64 {
	f, _ := strconv.ParseFloat(strings.ReplaceAll(strings.TrimSpace(s), ",", ""), 64)
	return f
}

// lines splits a textarea into its non-empty lines (or comma-separated
// values).
func lines(s string) []string {
	var out []string
	for _, l := range strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == ',' || r == '，' || r == '、' || r == '\r' }) {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

func fmtInt(n int) string { return groupThousands(strconv.Itoa(n)) }

func ifText(b bool, yes, no string) string {
	if b {
		return yes
	}
	return no
}

// removeQuietly removes an upload's temporary file.
func removeQuietly(path string) { os.Remove(path) }
