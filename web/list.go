package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/httpx"
	"github.com/zhangye-backstop/backstop/sheet"
)

// Page sizes a list offers, as users of government back offices know
// them; the first is the default.
var pageSizes = []int{20, 50, 100}

// maxPage bounds the page number a request may ask for: a larger one
// (or one that does not parse, like 1e30) is read as the last page.
const maxPage = 1_000_000

// listPage is the paging of one list request: the page asked for and its
// size, clamped, and after the list is read its total.
type listPage struct {
	Page, Size, Total, Pages int
	Query                    url.Values
	Sizes                    []int
	// Param is the query parameter of the page number: "page", or a
	// section's own (tasks_page) where a page holds several lists.
	Param string
}

// PageParam is the query parameter of the page number.
func (p *listPage) PageParam() string {
	if p.Param == "" {
		return "page"
	}
	return p.Param
}

// sectionPageOf reads the page of one of several lists on a page, from
// its own parameter, at a fixed size.
func sectionPageOf(r *http.Request, param string, size int) *listPage {
	q := r.URL.Query()
	p := &listPage{Page: 1, Size: size, Query: q, Param: param}
	if n, err := strconv.Atoi(strings.TrimSpace(q.Get(param))); err == nil && n >= 1 {
		p.Page = min(n, maxPage)
	}
	return p
}

// Offset is where the page starts.
func (p *listPage) Offset() int { return (p.Page - 1) * p.Size }

// pageOf reads ?page= and ?size= from the request. Sizes other than the
// offered ones fall back to def; pages below 1 are 1, and pages that do
// not parse as a number (too large, or not digits) are maxPage, which
// settle clamps to the last page once the total is known.
func pageOf(r *http.Request, def int) *listPage {
	q := r.URL.Query()
	p := &listPage{Page: 1, Size: def, Query: q, Sizes: pageSizes}
	if v := strings.TrimSpace(q.Get("size")); v != "" {
		if n, err := strconv.Atoi(v); err == nil {
			for _, s := range pageSizes {
				if n == s {
					p.Size = n
				}
			}
		}
	}
	if v := strings.TrimSpace(q.Get("page")); v != "" {
		n, err := strconv.Atoi(v)
		var ne *strconv.NumError
		switch {
		case err == nil && n >= 1:
			p.Page = min(n, maxPage)
		case err != nil && errors.As(err, &ne) && ne.Err == strconv.ErrRange && !strings.HasPrefix(v, "-"):
			p.Page = maxPage
		}
	}
	return p
}

// load reads the page with fn (limit, offset → total); a page past the
// last one is read again as the last page, so that a stale or huge page
// number shows the end of the list instead of nothing.
func (p *listPage) load(fn func(limit, offset int) (int, error)) error {
	total, err := fn(p.Size, p.Offset())
	if err != nil {
		return err
	}
	p.settle(total)
	if last := p.Page; total > 0 && (last-1)*p.Size >= total {
		p.Page = p.Pages
		if total, err = fn(p.Size, p.Offset()); err != nil {
			return err
		}
		p.settle(total)
	}
	return nil
}

// settle records the total and the page count, and clamps the page.
func (p *listPage) settle(total int) {
	p.Total = total
	p.Pages = max((total+p.Size-1)/p.Size, 1)
	if p.Page > p.Pages && total == 0 {
		p.Page = 1
	}
}

// slice pages a list held in memory.
func pageSlice[T any](p *listPage, all []T) []T {
	p.settle(len(all))
	if p.Page > p.Pages {
		p.Page = p.Pages
	}
	return all[min(p.Offset(), len(all)):min(p.Offset()+p.Size, len(all))]
}

// errorKeys names the catalog sentence shown for an error that carries no
// Chinese message of its own: a page never shows the English one.
var errorKeys = map[string]string{
	backstop.ECONFLICT:     "error.conflict",
	backstop.EINTERNAL:     "error.internal",
	backstop.EINVALID:      "error.invalid",
	backstop.ENOTFOUND:     "error.not_found",
	backstop.EUNAUTHORIZED: "error.unauthorized",
	backstop.EFORBIDDEN:    "error.forbidden",
	backstop.ETOOLARGE:     "error.too_large",
	backstop.ERATELIMIT:    "error.rate_limited",
	backstop.EUNAVAILABLE:  "error.unavailable",
	backstop.EUNSUPPORTED:  "error.unsupported",
}

// errorText is an error as a page shows it in the user's language. In
// Chinese it is the error's own Chinese message, or else a sentence for
// its code (never the English message: the users read Chinese). Internal
// errors never show their text.
func (h *Handler) errorText(r *http.Request, err error) string {
	return h.errorTextIn(langOf(r), err)
}

func (h *Handler) errorTextIn(lang string, err error) string {
	cat := h.cats[lang]
	code := backstop.ErrorCode(err)
	if code == backstop.EINTERNAL {
		return cat.translate("error.internal")
	}
	var e *backstop.Error
	if errors.As(err, &e) {
		if lang == LangEN && e.Message != "" {
			return e.Message
		}
		if lang == LangZH && e.ZH != "" {
			return e.ZH
		}
	}
	if key, ok := errorKeys[code]; ok {
		return cat.translate(key)
	}
	return cat.translate("error.internal")
}

// problemText is a located problem in the user's language; in Chinese a
// problem without a Chinese reason is named by where it is and a sentence
// that says it must be corrected.
func (h *Handler) problemText(r *http.Request, p backstop.Problem) string {
	return problemIn(h.cats[langOf(r)], langOf(r), p)
}

func problemIn(cat catalog, lang string, p backstop.Problem) string {
	if lang == LangEN {
		return p.String()
	}
	where := ""
	switch {
	case p.Row > 0 && p.Column != "":
		where = cat.translate("problem.row_column", p.Row, p.Column)
	case p.Row > 0:
		where = cat.translate("problem.row", p.Row)
	case p.Column != "":
		where = cat.translate("problem.column", p.Column)
	case p.Path != "":
		where = cat.translate("problem.path", capPathText(cat, p.Path))
	}
	reason := p.ReasonZH
	if reason == "" {
		reason = cat.translate("problem.unexplained")
	}
	return where + reason
}

// maxListExportRows bounds a list export: past it the sheet ends with a row
// that says so, never silently.
const maxListExportRows = 50_000

// listExport is a list page's export: its name (for the file and the
// audit row), the permission its data needs, the column heads, and a
// reader of the filtered list a chunk at a time (limit, offset → rows,
// total).
type listExport struct {
	name string
	perm backstop.Permission
	head []string
	rows func(limit, offset int) ([][]string, int, error)
}

// exportFormat reads ?export=csv|xlsx: "" when the page is asked for.
func exportFormat(r *http.Request) (string, error) {
	switch v := r.URL.Query().Get("export"); v {
	case "":
		return "", nil
	case "csv", "xlsx":
		return v, nil
	default:
		return "", backstop.Localized(backstop.EINVALID, "导出格式只能是 csv 或 xlsx，不能是“%s”", "export must be csv or xlsx, not %q.", v)
	}
}

// exportLinks are the 导出 buttons of a list: the page's own query with
// export=xlsx and export=csv.
func exportLinks(cat catalog, r *http.Request) []string {
	q := r.URL.Query()
	q.Del("page")
	q.Del("size")
	out := []string{}
	for _, f := range []string{"xlsx", "csv"} {
		q.Set("export", f)
		out = append(out, cat.translate("action.export."+f), r.URL.Path+"?"+q.Encode())
	}
	return out
}

// write audits the export, then writes every row of the filtered list
// (masked as the page shows it) as a sheet in format.
func (e *listExport) write(h *Handler, w http.ResponseWriter, r *http.Request, format string) error {
	q := r.URL.Query()
	q.Del("export")
	if err := h.cfg.Accounts.RecordListExport(r.Context(), e.perm, e.name, q.Encode()); err != nil {
		return err
	}
	var all [][]string
	cut := false
	const chunk = 1000
	for offset := 0; ; offset += chunk {
		rows, total, err := e.rows(chunk, offset)
		if err != nil {
			return err
		}
		all = append(all, rows...)
		if len(all) >= maxListExportRows {
			all, cut = all[:maxListExportRows], total > maxListExportRows
			break
		}
		if offset+chunk >= total || len(rows) == 0 {
			break
		}
	}
	if cut {
		all = append(all, []string{h.cats[langOf(r)].translate("export.cut", maxListExportRows)})
	}
	name := e.name + "." + format
	if format == "csv" {
		httpx.SetDownload(w, "csv", name)
		return writeCSV(w, e.head, all)
	}
	out, err := sheet.NewXLSX(httpx.NewDownload(w, "xlsx", name), e.name)
	if err != nil {
		return err
	}
	for _, row := range append([][]string{e.head}, all...) {
		cells := make([]any, len(row))
		for i, c := range row {
			cells[i] = c
		}
		if err := out.Write(cells); err != nil {
			return err
		}
	}
	return out.Close()
}

// capPathText reads a CAP element path (alert/info[0]/area[1]/polygon) in
// the catalog's words: 预警 › 信息（第1项） › 区域（第2项） › 多边形. An
// element the catalog does not name keeps its name.
func capPathText(cat catalog, path string) string {
	if path == "/" || path == "" {
		return cat.translate("cap.el.document")
	}
	parts := strings.Split(strings.Trim(path, "/"), "/")
	out := make([]string, 0, len(parts))
	for _, part := range parts {
		name, index := part, -1
		if i := strings.IndexByte(part, '['); i > 0 && strings.HasSuffix(part, "]") {
			if n, err := strconv.Atoi(part[i+1 : len(part)-1]); err == nil {
				name, index = part[:i], n
			}
		}
		word := cat.translateOr("cap.el."+name, name)
		if index >= 0 {
			word = cat.translate("cap.el.nth", word, index+1)
		}
		out = append(out, word)
	}
	return strings.Join(out, " › ")
}
