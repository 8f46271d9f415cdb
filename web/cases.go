package web

import (
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/cases"
	"github.com/zhangye-backstop/backstop/httpx"
	"github.com/zhangye-backstop/backstop/sheet"
)

// The 监测帮扶 pages (issue 12): the cases list with its clocks and debts,
// the case page (steps as a timeline, debts, measures, national-check
// problems; a block for loans), the printable public notice and the
// clearing candidates. Handlers decode, call the cases use case, render.

func (h *Handler) caseRoutes() {
	h.handle("GET /cases", h.casesPage)
	h.handle("POST /cases", h.openCase)
	h.handle("GET /cases/export.xlsx", h.casesSheet)
	h.handle("GET /cases/clearing", h.clearingPage)
	h.handle("GET /cases/{id}", h.casePage)
	h.handle("GET /cases/{id}/notice", h.caseNotice)
	h.handle("POST /cases/{id}/steps/{step}", h.caseStep)
	h.handle("POST /cases/{id}/measures", h.caseMeasure)
	h.handle("POST /cases/{id}/measures/{mid}", h.caseMeasureEdit)
	h.handle("POST /cases/{id}/clearing", h.caseClearing)
	h.handle("POST /cases/{id}/hold", h.caseHoldOrRevert)
	h.handle("POST /cases/{id}/revert", h.caseHoldOrRevert)
}

func (h *Handler) casesCrumbs(r *http.Request, items ...crumb) []crumb {
	return append([]crumb{{Label: h.tr(r, "menu.group.cases"), Href: "/cases"}}, items...)
}

// caseFilter reads the list's filters.
func caseFilter(r *http.Request) backstop.CaseFilter {
	q := r.URL.Query()
	f := backstop.CaseFilter{State: q.Get("state"), HasDebts: q.Get("debts") != "", Overdue: q.Get("overdue") != "", Region: strings.TrimSpace(q.Get("region")),
		Household: strings.TrimSpace(q.Get("household")), Stage: q.Get("stage"), Category: strings.TrimSpace(q.Get("category"))}
	switch q.Get("green") {
	case "1":
		g := true
		f.GreenChannel = &g
	case "0":
		g := false
		f.GreenChannel = &g
	}
	return f
}

func (h *Handler) casesPage(w http.ResponseWriter, r *http.Request) error {
	pg := pageOf(r, 20)
	f := caseFilter(r)
	var items []*backstop.Case
	err := pg.load(func(limit, offset int) (int, error) {
		var total int
		var err error
		f.Limit, f.Offset = limit, offset
		items, total, err = h.cfg.Cases.Cases(r.Context(), f)
		return total, err
	})
	if err != nil {
		return err
	}
	h.render(w, r, http.StatusOK, "cases.html", &page{Title: h.tr(r, "menu.cases"), Menu: "cases", Crumbs: h.casesCrumbs(r),
		Data: map[string]any{"Items": items, "Pager": pg, "Offset": pg.Offset(), "Q": r.URL.Query(), "States": backstop.CaseStates, "Stages": caseStages, "Export": "/cases/export.xlsx?" + r.URL.RawQuery}})
	return nil
}

// caseStages are the loop's dashboard's figures a list can select.
var caseStages = []string{"found", "monitored", "helped", "cleared", "held"}

// casesHeader is the export's first row.
var casesHeader = []any{"案件编号", "户编号", "户主", "村代码", "状态", "当前步骤", "绿色通道", "待补程序", "风险识别时间", "风险类型", "第几次认定"}

func (h *Handler) casesSheet(w http.ResponseWriter, r *http.Request) error {
	f := caseFilter(r)
	var rows []*backstop.Case
	for off := 0; ; off += 1000 {
		f.Limit, f.Offset = 1000, off
		items, total, err := h.cfg.Cases.Cases(r.Context(), f)
		if err != nil {
			return err
		}
		rows = append(rows, items...)
		if off+1000 >= total || len(rows) >= 100_000 {
			break
		}
	}
	out, err := sheet.NewXLSX(httpx.NewDownload(w, "xlsx", "监测帮扶案件.xlsx"), "监测帮扶案件")
	if err != nil {
		return err
	}
	if err := out.Write(casesHeader); err != nil {
		return err
	}
	cat := h.cats[langOf(r)]
	for _, c := range rows {
		step := ""
		if st, _, ok := c.NextStep(); ok {
			step = st.ZH
		}
		green := cat.translate("no")
		if c.GreenChannel {
			green = cat.translate("yes")
		}
		if err := out.Write([]any{c.ID, c.Household, sheet.EscapeFormula(c.HeadName), c.Village, cat.translate("case.state." + string(c.State)), step, green, c.OpenDebts,
			c.IdentifiedOn, strings.Join(c.RiskTypes, "、"), c.Episode}); err != nil {
			return err
		}
	}
	return out.Close()
}

func (h *Handler) openCase(w http.ResponseWriter, r *http.Request) error {
	if err := h.parseForm(w, r); err != nil {
		return err
	}
	in := cases.OpenInput{Household: strings.TrimSpace(r.PostFormValue("household")), Source: r.PostFormValue("source"), GreenChannel: r.PostFormValue("green_channel") != ""}
	if v := strings.TrimSpace(r.PostFormValue("risk_types")); v != "" {
		for _, code := range strings.FieldsFunc(v, func(c rune) bool { return c == ',' || c == '，' || c == ' ' }) {
			in.RiskTypes = append(in.RiskTypes, code)
		}
	}
	in.DisasterSubItem = strings.TrimSpace(r.PostFormValue("disaster_sub_item"))
	v, err := h.cfg.Cases.Open(r.Context(), in)
	if err != nil {
		return err
	}
	http.Redirect(w, r, fmt.Sprintf("/cases/%d", v.ID), http.StatusSeeOther)
	return nil
}

func (h *Handler) casePage(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "Record")
	if err != nil {
		return err
	}
	v, err := h.cfg.Cases.View(r.Context(), id)
	if err != nil {
		return err
	}
	cats, _, err := h.cfg.Cases.Categories(r.Context(), v.Village)
	if err != nil {
		return err
	}
	names, err := h.cfg.Cases.RiskTypeNames(r.Context(), v.Village)
	if err != nil {
		return err
	}
	steps := v.Steps
	if v.ClearingPhase() {
		steps = v.ClearingSteps
	}
	// Loans only for a user who may read them: the block shows nothing
	// of them otherwise.
	var caseLoans []caseLoan
	if h.cfg.Loans != nil && backstop.UserFromContext(r.Context()).Can(backstop.PermReadLoans) {
		if caseLoans, err = h.caseLoans(r, v.Household); err != nil {
			return err
		}
	}
	status, msg, done := http.StatusOK, "", r.URL.Query().Get("done")
	// A refused measure form comes back here (prepFail): the reason is
	// shown, and the measure's edit form (its id still in the path) open.
	editing, _ := strconv.ParseInt(r.PathValue("mid"), 10, 64)
	if e, ok := r.Context().Value(prepErrorKey{}).(prepError); ok {
		status, msg, done = e.status, e.msg, ""
	} else {
		editing = 0
	}
	h.render(w, r, status, "case.html", &page{Title: h.tr(r, "case.title") + " " + v.Household, Menu: "cases", Crumbs: h.casesCrumbs(r, crumb{Label: v.Household}), Error: msg,
		Data: map[string]any{"V": v, "Procedure": steps, "Categories": cats, "RiskNames": names, "Done": done,
			"Stepper": stepper(v), "Statuses": backstop.MeasureStatuses, "Editing": editing, "Loans": caseLoans}})
	return nil
}

// caseLoan is a loan as the case page's block shows it, in words.
type caseLoan struct {
	Kind, Bank, Amount, Term, Due string
	State                         cell
	PapersOpen                    int
	PapersOverdue                 bool
}

// caseLoans reads the household's loans (masked by the loans use case;
// the block shows no borrower anyway) for the case page.
func (h *Handler) caseLoans(r *http.Request, number string) ([]caseLoan, error) {
	ls, err := h.cfg.Loans.HouseholdLoans(r.Context(), number)
	if err != nil {
		return nil, err
	}
	out := []caseLoan{}
	for _, l := range ls {
		cl := caseLoan{Kind: h.tr(r, "loan.kind."+string(l.Kind)), Bank: l.Bank, Amount: yuan(l.Amount), Term: strconv.Itoa(l.TermMonths), Due: dash(l.Due),
			State: h.loanState(r, l.State), PapersOpen: l.PapersOpen}
		// The list counts open papers only; whether one is past its day
		// is on the loan itself.
		if l.PapersOpen > 0 {
			full, err := h.cfg.Loans.Loan(r.Context(), l.ID)
			if err != nil {
				return nil, err
			}
			for _, p := range full.Papers {
				cl.PapersOverdue = cl.PapersOverdue || p.Overdue
			}
		}
		out = append(out, cl)
	}
	return out, nil
}

// caseNotice is the printable public notice: names, village and reason
// only — never an ID number, phone, bank account or health.
func (h *Handler) caseNotice(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "Record")
	if err != nil {
		return err
	}
	v, err := h.cfg.Cases.View(r.Context(), id)
	if err != nil {
		return err
	}
	names, err := h.cfg.Cases.RiskTypeNames(r.Context(), v.Village)
	if err != nil {
		return err
	}
	var reasons []string
	for _, code := range v.RiskTypes {
		if n, ok := names[code]; ok {
			reasons = append(reasons, n)
		}
	}
	if v.DisasterSubItem != "" {
		reasons = append(reasons, v.DisasterSubItem)
	}
	village := h.regionName(r.Context(), v.Village, langOf(r))
	kind := "case.notice.identify"
	if v.ClearingPhase() {
		kind = "case.notice.clear"
	}
	h.render(w, r, http.StatusOK, "case_notice.html", &page{Title: h.tr(r, kind), Menu: "cases",
		Data: map[string]any{"Head": v.HeadName, "Village": village, "Reasons": strings.Join(reasons, "、"), "Kind": kind, "People": blockPeople(v.Case)}})
	return nil
}

func blockPeople(c *backstop.Case) int {
	if c.Identification != nil {
		return c.Identification.People
	}
	return 0
}

// stepInput reads a step's form.
func stepInput(r *http.Request) cases.StepInput {
	in := cases.StepInput{Outcome: r.PostFormValue("outcome"), Note: r.PostFormValue("note"), NoticeFrom: r.PostFormValue("notice_from"), NoticeTo: r.PostFormValue("notice_to")}
	in.Version, _ = strconv.Atoi(r.PostFormValue("version"))
	for _, s := range []string{r.PostFormValue("staff1"), r.PostFormValue("staff2")} {
		if s = strings.TrimSpace(s); s != "" {
			in.Staff = append(in.Staff, s)
		}
	}
	for i := 1; i <= 5; i++ {
		d, a := strings.TrimSpace(r.PostFormValue(fmt.Sprintf("dept%d", i))), strings.TrimSpace(r.PostFormValue(fmt.Sprintf("answer%d", i)))
		if d != "" || a != "" {
			in.Answers = append(in.Answers, backstop.DepartmentAnswer{Department: d, Answer: a, OK: true})
		}
	}
	return in
}

func (h *Handler) caseStep(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "Record")
	if err != nil {
		return err
	}
	r.Body = http.MaxBytesReader(w, r.Body, 16<<20)
	in := cases.StepInput{}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/") {
		if err := r.ParseMultipartForm(16 << 20); err != nil {
			return backstop.Localized(backstop.EINVALID, "上传表单有误或文件过大", "The upload form cannot be read.")
		}
		in = stepInput(r)
		if f, _, err := r.FormFile("consent"); err == nil {
			a, err := h.cfg.Cases.Attach(r.Context(), id, f)
			f.Close()
			if err != nil {
				return err
			}
			in.Attachments = append(in.Attachments, a.Hash)
		}
	} else {
		if err := h.parseForm(w, r); err != nil {
			return err
		}
		in = stepInput(r)
	}
	if _, err := h.cfg.Cases.Step(r.Context(), id, r.PathValue("step"), in); err != nil {
		return err
	}
	http.Redirect(w, r, fmt.Sprintf("/cases/%d?done=%s", id, url.QueryEscape(r.PathValue("step"))), http.StatusSeeOther)
	return nil
}

// measureForm reads a measure's form: the add form, or a row's edit form.
func measureForm(r *http.Request) (cases.MeasureInput, error) {
	cat, item, _ := strings.Cut(r.PostFormValue("item"), "|")
	in := cases.MeasureInput{Category: cat, Item: item, Department: r.PostFormValue("department"), Person: r.PostFormValue("person"), Status: r.PostFormValue("status"),
		PlannedOn: r.PostFormValue("planned_on"), StartedOn: r.PostFormValue("started_on"), DoneOn: r.PostFormValue("done_on"), Note: r.PostFormValue("note")}
	if v := strings.TrimSpace(r.PostFormValue("amount")); v != "" {
		n, err := strconv.ParseFloat(v, 64)
		// ParseFloat takes "NaN" and "Inf", which no one means as yuan.
		if err != nil || math.IsNaN(n) || math.IsInf(n, 0) {
			return in, backstop.Localized(backstop.EINVALID, "金额须为数字（元），如 3000", "The amount must be a number of yuan.")
		}
		in.Amount = &n
	}
	return in, nil
}

func (h *Handler) caseMeasure(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "Record")
	if err != nil {
		return err
	}
	if err := h.parseForm(w, r); err != nil {
		return err
	}
	in, err := measureForm(r)
	if err == nil {
		_, err = h.cfg.Cases.AddMeasure(r.Context(), id, in)
	}
	if err != nil {
		return h.prepFail(w, r, err, h.casePage)
	}
	http.Redirect(w, r, fmt.Sprintf("/cases/%d?done=measure#measures", id), http.StatusSeeOther)
	return nil
}

// caseMeasureEdit changes a measure from its row's form, by compare-and-set
// on the version the page was read at.
func (h *Handler) caseMeasureEdit(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "Record")
	if err != nil {
		return err
	}
	mid, err := httpx.PathInt(r, "mid", "Measure")
	if err != nil {
		return err
	}
	if err := h.parseForm(w, r); err != nil {
		return err
	}
	in, err := measureForm(r)
	if err == nil {
		// Without the version read, the use case would write over
		// whatever changed meanwhile.
		if in.Version, _ = strconv.Atoi(r.PostFormValue("version")); in.Version < 1 {
			err = backstop.Localized(backstop.EINVALID, "表单缺少帮扶措施的版本，请刷新页面后重试", "The form lacks the measure's version: reload the page and try again.")
		}
	}
	if err == nil {
		_, err = h.cfg.Cases.UpdateMeasure(r.Context(), id, mid, in)
	}
	if err != nil {
		return h.prepFail(w, r, err, h.casePage)
	}
	http.Redirect(w, r, fmt.Sprintf("/cases/%d?done=measure#measures", id), http.StatusSeeOther)
	return nil
}

func (h *Handler) caseClearing(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "Record")
	if err != nil {
		return err
	}
	if err := h.parseForm(w, r); err != nil {
		return err
	}
	if _, err := h.cfg.Cases.ProposeClearing(r.Context(), id, cases.ClearingInput{Way: r.PostFormValue("way"), Note: r.PostFormValue("note")}); err != nil {
		return err
	}
	http.Redirect(w, r, fmt.Sprintf("/cases/%d?done=clearing", id), http.StatusSeeOther)
	return nil
}

func (h *Handler) clearingPage(w http.ResponseWriter, r *http.Request) error {
	pg := pageOf(r, 20)
	var items []*cases.Clearing
	err := pg.load(func(limit, offset int) (int, error) {
		var total int
		var err error
		items, total, err = h.cfg.Cases.Candidates(r.Context(), r.URL.Query().Get("region"), offset, limit)
		return total, err
	})
	if err != nil {
		return err
	}
	h.render(w, r, http.StatusOK, "cases_clearing.html", &page{Title: h.tr(r, "menu.cases.clearing"), Menu: "cases-clearing", Crumbs: h.casesCrumbs(r, crumb{Label: h.tr(r, "menu.cases.clearing")}),
		Data: map[string]any{"Items": items, "Pager": pg, "Offset": pg.Offset(), "Region": r.URL.Query().Get("region")}})
	return nil
}

// timelineStep is one step of the procedure as the timeline shows it.
type timelineStep struct {
	backstop.ProcedureStep
	Done, Current bool
	Record        *backstop.CaseStep
	Debt          *backstop.CaseDebt
}

// stepper lays the procedure out for the timeline: each step done (with
// its latest record), the current one, or a debt.
func stepper(v *cases.View) []timelineStep {
	steps, phase := v.Steps, backstop.PhaseIdentify
	if v.ClearingPhase() {
		steps, phase = v.ClearingSteps, backstop.PhaseClear
	}
	current := v.Step
	if v.State == backstop.CaseRefused {
		current = ""
	}
	// A green-channel case pays its first open debt next.
	for _, d := range v.Debts {
		if d.PaidAt == nil && v.State == backstop.CaseActive {
			current = d.Step
			break
		}
	}
	var out []timelineStep
	for _, st := range steps {
		ts := timelineStep{ProcedureStep: st, Current: st.Code == current}
		for _, rec := range v.History {
			if rec.Phase == phase && rec.Step == st.Code {
				ts.Record = rec
				ts.Done = rec.Outcome == backstop.OutcomePass
			}
		}
		for _, d := range v.Debts {
			if d.Step == st.Code && phase == backstop.PhaseIdentify {
				ts.Debt = d
			}
		}
		out = append(out, ts)
	}
	return out
}

// caseHoldOrRevert marks a case 暂不标注 (hold) or reverses its clearing
// (回退, revert), with the reason given.
func (h *Handler) caseHoldOrRevert(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "Record")
	if err != nil {
		return err
	}
	if err := h.parseForm(w, r); err != nil {
		return err
	}
	note := r.PostFormValue("note")
	if strings.HasSuffix(r.URL.Path, "/hold") {
		_, err = h.cfg.Cases.Hold(r.Context(), id, note)
	} else {
		_, err = h.cfg.Cases.Revert(r.Context(), id, note)
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, fmt.Sprintf("/cases/%d?done=1", id), http.StatusSeeOther)
	return nil
}
