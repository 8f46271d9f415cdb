package web

import (
	"net/http"
	"net/url"
	"sort"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/httpx"
	"github.com/zhangye-backstop/backstop/sheet"
)

// The loop's dashboard (帮扶闭环): found → monitored → helped → cleared of
// a region, a funnel, a map of the sub-regions, bars of measures and
// loans, and a table whose every figure opens its list.

func (h *Handler) funnelRoutes() {
	h.handle("GET /funnel", h.funnelPage)
	h.handle("GET /funnel/export.xlsx", h.funnelSheet)
}

// funnelLink is a figure's list: the cases of region with the query.
func funnelLink(region string, q url.Values) string {
	q.Set("region", region)
	return "/cases?" + q.Encode()
}

// funnelStage is one bar of the funnel with its list.
type funnelStage struct {
	Key   string
	Label string
	Value int
	Href  string
}

func (h *Handler) funnelStages(r *http.Request, region string, f backstop.FunnelFigures) []funnelStage {
	return []funnelStage{
		{"found", h.tr(r, "funnel.found"), f.Found, funnelLink(region, url.Values{"stage": {"found"}})},
		{"monitored", h.tr(r, "funnel.monitored"), f.Monitored, funnelLink(region, url.Values{"stage": {"monitored"}})},
		{"helped", h.tr(r, "funnel.helped"), f.Helped, funnelLink(region, url.Values{"stage": {"helped"}})},
		{"cleared", h.tr(r, "funnel.cleared"), f.Cleared, funnelLink(region, url.Values{"stage": {"cleared"}})},
	}
}

func (h *Handler) funnelPage(w http.ResponseWriter, r *http.Request) error {
	d, err := h.cfg.Funnel.Read(r.Context(), r.URL.Query().Get("region"))
	if err != nil {
		return err
	}
	cat := h.cats[langOf(r)]
	stages := h.funnelStages(r, d.Region, d.FunnelFigures)
	chart := map[string]any{"stages": stages}
	var rows []regionRow
	monitored := map[string]int{}
	for _, c := range d.Children {
		rows = append(rows, regionRow{Region: &backstop.Region{Code: c.Code, Name: c.Name}})
		monitored[c.Code] = c.Monitored
	}
	median := ""
	if d.MedianWorkdays != nil {
		median = cat.translate("funnel.median.value", *d.MedianWorkdays)
	}
	data := map[string]any{"D": d, "Median": median, "Stages": stages, "Chart": chart, "Export": "/funnel/export.xlsx?region=" + d.Region,
		"CasesHref": func(q ...string) string {
			v := url.Values{}
			for i := 0; i+1 < len(q); i += 2 {
				v.Set(q[i], q[i+1])
			}
			return funnelLink(d.Region, v)
		}}
	if len(rows) > 0 && d.Level != backstop.LevelTownship.String() {
		if m := h.regionMap(r, rows, monitored); m != nil {
			m["unit"], m["href"], m["villageHref"] = cat.translate("unit.households"), "/funnel?region=", "/cases?region="
			data["Map"] = m
		}
	}
	var measures []map[string]any
	for _, m := range d.Measures {
		measures = append(measures, map[string]any{"name": m.Category, "value": m.Measures, "started": m.Started, "href": funnelLink(d.Region, url.Values{"category": {m.Category}})})
	}
	data["MeasureBars"] = map[string]any{"items": measures, "unit": cat.translate("unit.measures")}
	var loans []map[string]any
	for _, st := range loanStateOrder(d.Loans) {
		loans = append(loans, map[string]any{"name": cat.translate("loan.state." + st), "value": d.Loans[st], "href": "/loans?" + url.Values{"region": {d.Region}, "state": {st}}.Encode()})
	}
	data["LoanBars"] = map[string]any{"items": loans, "unit": cat.translate("unit.loans")}
	anyLoan := false
	for _, n := range d.Loans {
		anyLoan = anyLoan || n > 0
	}
	data["LoanAny"] = anyLoan // no chart of zeros: the table says it
	var crumbs []crumb
	if d.Parent != nil {
		crumbs = append(crumbs, crumb{Label: d.Parent.Name, Href: "/funnel?region=" + d.Parent.Code})
	}
	crumbs = append(crumbs, crumb{Label: d.Name})
	h.render(w, r, http.StatusOK, "funnel.html", &page{Title: h.tr(r, "menu.funnel"), Menu: "funnel", Crumbs: h.casesCrumbs(r, crumbs...), Data: data, ComputedAt: d.ComputedAt})
	return nil
}

// loanStateOrder lists the states counted, in the loans' own order, then
// any other.
func loanStateOrder(counts map[string]int) []string {
	var out []string
	seen := map[string]bool{}
	for _, st := range backstop.LoanStates {
		if _, ok := counts[string(st)]; ok {
			out, seen[string(st)] = append(out, string(st)), true
		}
	}
	var rest []string
	for st := range counts {
		if !seen[st] {
			rest = append(rest, st)
		}
	}
	sort.Strings(rest)
	return append(out, rest...)
}

// funnelSheet is the dashboard as xlsx: the region's line, then each
// sub-region's, then measures by category and loans by state.
func (h *Handler) funnelSheet(w http.ResponseWriter, r *http.Request) error {
	d, err := h.cfg.Funnel.Read(r.Context(), r.URL.Query().Get("region"))
	if err != nil {
		return err
	}
	cat := h.cats[langOf(r)]
	out, err := sheet.NewXLSX(httpx.NewDownload(w, "xlsx", "帮扶闭环-"+d.Region+".xlsx"), "帮扶闭环")
	if err != nil {
		return err
	}
	head := []any{cat.translate("col.region.code"), cat.translate("col.region")}
	for _, k := range funnelColumns {
		head = append(head, cat.translate("funnel."+k))
	}
	if err := out.Write(head); err != nil {
		return err
	}
	line := func(code, name string, f backstop.FunnelFigures, share float64) error {
		return out.Write([]any{code, sheet.EscapeFormula(name), f.Found, f.Unopened, f.Monitored, f.Helped, f.Cleared, f.Held, f.Open, f.Overdue, share * 100, f.OpenDebts, f.OverdueDebts, f.GreenChannel})
	}
	if err := line(d.Region, d.Name, d.FunnelFigures, d.OverdueShare); err != nil {
		return err
	}
	for _, c := range d.Children {
		if err := line(c.Code, c.Name, c.FunnelFigures, c.OverdueShare); err != nil {
			return err
		}
	}
	median := ""
	if d.MedianWorkdays != nil {
		median = cat.translate("funnel.median.value", *d.MedianWorkdays)
	}
	if err := out.Write([]any{}); err != nil {
		return err
	}
	if err := out.Write([]any{cat.translate("funnel.median"), median}); err != nil {
		return err
	}
	if err := out.Write([]any{cat.translate("funnel.measures"), cat.translate("funnel.measures.count"), cat.translate("funnel.measures.started")}); err != nil {
		return err
	}
	for _, m := range d.Measures {
		if err := out.Write([]any{m.Category, m.Measures, m.Started}); err != nil {
			return err
		}
	}
	if d.Loans != nil {
		if err := out.Write([]any{cat.translate("funnel.loans"), cat.translate("funnel.loans.count")}); err != nil {
			return err
		}
		for _, st := range loanStateOrder(d.Loans) {
			if err := out.Write([]any{cat.translate("loan.state." + st), d.Loans[st]}); err != nil {
				return err
			}
		}
	}
	return out.Close()
}

// funnelColumns are the sheet's figure columns, in the line's order.
var funnelColumns = []string{"found", "unopened", "monitored", "helped", "cleared", "held", "open", "overdue", "overdue_share", "open_debts", "overdue_debts", "green_channel"}
