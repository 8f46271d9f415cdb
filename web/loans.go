package web

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/loans"
)

// 小额信贷 under 监测帮扶 (issue 12 item 5): the loans list with filters,
// paging and export, the extension proposals, the papers granted missing,
// and a household's loans with the application and grant forms.

func init() {
	navItems["loans"] = []backstop.Permission{backstop.PermReadLoans}
	for action, fn := range map[string]func(h *Handler, cat catalog, detail string, _ func(string) string) (string, bool){
		"loan.apply":     loanApplyDetail,
		"loan.exception": loanExceptionDetail,
	} {
		detailFuncs[action] = fn
	}
	detailPatterns = append(detailPatterns,
		detailPattern{"loan.grant", regexp.MustCompile(`^granted (\S+), due (\S+)$`), "audit.detail.loan_grant"},
		detailPattern{"loan.grant", regexp.MustCompile(`^granted (\S+), due (\S+), (\d+) papers missing$`), "audit.detail.loan_grant_papers"},
		detailPattern{"loan.refused", regexp.MustCompile(`^(\d{4}-\d{2}-\d{2})$`), "audit.detail.loan_day"},
		detailPattern{"loan.repaid", regexp.MustCompile(`^(\d{4}-\d{2}-\d{2})$`), "audit.detail.loan_day"},
		detailPattern{"loan.paper", regexp.MustCompile(`^(.+) filled on (\S+)$`), "audit.detail.loan_paper"},
		detailPattern{"loan.export", regexp.MustCompile(`^region (\S*) state (\S*) kind (\S*) bank (.*) rows (\d+)$`), "audit.detail.loan_export"},
	)
}

var loanApplyPattern = regexp.MustCompile(`^household (\d+), kind (\w+), ([\d.]+) yuan, (\d+) months$`)

// loanApplyDetail: "household N, kind top_up, 70000 yuan, 36 months".
func loanApplyDetail(h *Handler, cat catalog, detail string, _ func(string) string) (string, bool) {
	m := loanApplyPattern.FindStringSubmatch(detail)
	if m == nil {
		return "", false
	}
	return cat.translate("audit.detail.loan_apply", m[1], cat.translate("loan.kind."+m[2]), m[3], m[4]), true
}

// loanExceptionDetail: "rules loans.amount_cap,loans.term_max_months: why".
func loanExceptionDetail(h *Handler, cat catalog, detail string, _ func(string) string) (string, bool) {
	rules, reason, ok := strings.Cut(strings.TrimPrefix(detail, "rules "), ": ")
	if !ok {
		return "", false
	}
	var names []string
	for _, k := range strings.Split(rules, ",") {
		pk, ok := backstop.PolicyKeyOf(k)
		if !ok {
			return "", false
		}
		names = append(names, pk.ZH)
	}
	return cat.translate("audit.detail.loan_exception", strings.Join(names, "、"), reason), true
}

func (h *Handler) loanPages() {
	h.handle("GET /loans", h.loansPage)
	h.handle("GET /loans/proposals", h.loanProposalsPage)
	h.handle("GET /loans/papers", h.loanPapersPage)
	h.handle("POST /loans/papers", h.fillLoanPaper)
	h.handle("GET /households/{number}/loans", h.householdLoansPage)
	h.handle("POST /households/{number}/loans", h.applyLoan)
	h.handle("POST /households/{number}/loans/grant", h.grantLoan)
}

func (h *Handler) loanLinks(r *http.Request) []pair {
	return []pair{{Label: h.tr(r, "loan.list"), Value: h.tr(r, "action.view"), Href: "/loans"},
		{Label: h.tr(r, "loan.proposals"), Value: h.tr(r, "action.view"), Href: "/loans/proposals"},
		{Label: h.tr(r, "loan.papers"), Value: h.tr(r, "action.view"), Href: "/loans/papers"}}
}

// loanPage renders a page of the group with its crumbs.
func (h *Handler) loanPage(w http.ResponseWriter, r *http.Request, title string, v *prepView) error {
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
	h.render(w, r, status, "prepare.html", &page{Title: title, Menu: "loans", Notice: notice, Error: msg,
		Crumbs: []crumb{{Label: h.tr(r, "menu.group.cases")}, {Label: h.tr(r, "menu.loans"), Href: "/loans"}, {Label: title}}, Data: v})
	return nil
}

func (h *Handler) loanState(r *http.Request, s backstop.LoanState) cell {
	tag := ""
	switch s {
	case backstop.LoanOverdue:
		tag = "late"
	case backstop.LoanRepaid:
		tag = "ok"
	case backstop.LoanExtended, backstop.LoanApplied:
		tag = "warn"
	}
	return cell{Text: h.tr(r, "loan.state."+string(s)), Tag: tag}
}

func (h *Handler) loanRow(r *http.Request, rn *regionNames, l *backstop.Loan) []cell {
	papers := "—"
	if l.PapersOpen > 0 {
		papers = h.tr(r, "loan.papers.open", l.PapersOpen)
	}
	exc := "—"
	if l.Exception != nil {
		exc = h.tr(r, "loan.exception.by", l.Exception.ApprovedBy)
	}
	return []cell{{Text: l.Household, Href: "/households/" + l.Household + "/loans"}, {Text: l.HeadName}, {Text: rn.path(l.Village)}, {Text: h.tr(r, "loan.kind."+string(l.Kind))},
		{Text: l.Bank}, {Text: yuan(l.Amount), Num: true}, {Text: fmt.Sprint(l.TermMonths), Num: true}, {Text: l.PurposeName}, {Text: l.Borrower + " " + l.BorrowerID},
		{Text: l.AppliedOn}, {Text: dash(l.GrantedOn)}, {Text: dash(l.Due)}, h.loanState(r, l.State), {Text: fmt.Sprintf("%.2f%%", l.SubsidyPct), Num: true}, {Text: papers}, {Text: exc}}
}

func dash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

func todayText() string { return time.Now().In(backstop.Beijing).Format(time.DateOnly) }

func (h *Handler) loanHeader(r *http.Request) []string {
	return []string{h.tr(r, "col.household.number"), h.tr(r, "col.head"), h.tr(r, "col.location"), h.tr(r, "loan.kind"), h.tr(r, "loan.bank"), h.tr(r, "loan.amount"),
		h.tr(r, "loan.term"), h.tr(r, "loan.purpose"), h.tr(r, "loan.borrower"), h.tr(r, "loan.applied_on"), h.tr(r, "loan.granted_on"), h.tr(r, "loan.due_on"),
		h.tr(r, "loan.state"), h.tr(r, "loan.subsidy_pct"), h.tr(r, "loan.papers"), h.tr(r, "loan.exception")}
}

func (h *Handler) loansPage(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := backstop.LoanFilter{Region: q.Get("region"), State: backstop.LoanState(q.Get("state")), Kind: backstop.LoanKind(q.Get("kind")), Bank: strings.TrimSpace(q.Get("bank")),
		Household: strings.TrimSpace(q.Get("household"))}
	if exporting(r) {
		if err := h.cfg.Loans.AuditExport(r.Context(), fmt.Sprintf("region %s state %s kind %s bank %s rows 0", f.Region, f.State, f.Kind, f.Bank)); err != nil {
			return err
		}
	}
	rn := h.namer(r)
	tb := &table{ID: "loans", Header: h.loanHeader(r), Empty: h.tr(r, "loan.none")}
	pg, err := h.rows(r, tb, func(limit, offset int) (int, [][]cell, error) {
		f.Limit, f.Offset = limit, offset
		items, total, err := h.cfg.Loans.Loans(r.Context(), f)
		var out [][]cell
		for _, l := range items {
			out = append(out, h.loanRow(r, rn, l))
		}
		return total, out, err
	})
	if err != nil {
		return err
	}
	states := make([]string, len(backstop.LoanStates))
	for i, s := range backstop.LoanStates {
		states[i] = string(s)
	}
	kinds := make([]string, len(backstop.LoanKinds))
	for i, k := range backstop.LoanKinds {
		kinds[i] = string(k)
	}
	counts, err := h.cfg.Loans.LoanCounts(r.Context(), f.Region)
	if err != nil {
		return err
	}
	summary := h.loanLinks(r)
	for _, s := range backstop.LoanStates {
		summary = append(summary, pair{Label: h.tr(r, "loan.state."+string(s)), Value: fmt.Sprint(counts[string(s)]), Href: "/loans?state=" + string(s)})
	}
	v := &prepView{Heading: h.tr(r, "menu.loans"), Table: tb, Pager: pg, Summary: summary, Note: h.tr(r, "loan.note"), Filters: &form{Get: true, Action: "/loans", Fields: []field{
		{Label: h.tr(r, "col.region"), Name: "region", Value: f.Region, Hint: h.tr(r, "loan.region.hint"), Max: 12},
		{Label: h.tr(r, "loan.state"), Name: "state", Type: "select", Options: withBlank(h.tr(r, "all"), opts(string(f.State), states, func(c string) string { return h.tr(r, "loan.state."+c) }))},
		{Label: h.tr(r, "loan.kind"), Name: "kind", Type: "select", Options: withBlank(h.tr(r, "all"), opts(string(f.Kind), kinds, func(c string) string { return h.tr(r, "loan.kind."+c) }))},
		{Label: h.tr(r, "loan.bank"), Name: "bank", Value: f.Bank, Max: backstop.MaxLoanBankRunes},
		{Label: h.tr(r, "col.household.number"), Name: "household", Value: f.Household, Max: 32}}}}
	return h.loanPage(w, r, h.tr(r, "menu.loans"), v)
}

func (h *Handler) loanProposalsPage(w http.ResponseWriter, r *http.Request) error {
	rn := h.namer(r)
	tb := &table{ID: "loan-proposals", Header: []string{h.tr(r, "col.household.number"), h.tr(r, "col.head"), h.tr(r, "col.location"), h.tr(r, "loan.amount"),
		h.tr(r, "loan.due_on"), h.tr(r, "loan.production_loss"), h.tr(r, "loan.loss_report")}, Empty: h.tr(r, "loan.proposals.none")}
	pg, err := h.rows(r, tb, func(limit, offset int) (int, [][]cell, error) {
		items, total, err := h.cfg.Loans.ExtensionProposals(r.Context(), "", offset, limit)
		var out [][]cell
		for _, p := range items {
			out = append(out, []cell{{Text: p.Household, Href: "/households/" + p.Household + "/loans"}, {Text: p.HeadName}, {Text: rn.path(p.Village)}, {Text: yuan(p.Amount), Num: true},
				{Text: p.Due}, {Text: yuan(p.ProductLoss), Num: true}, {Text: fmt.Sprint(p.LossReport)}})
		}
		return total, out, err
	})
	if err != nil {
		return err
	}
	return h.loanPage(w, r, h.tr(r, "loan.proposals"), &prepView{Table: tb, Pager: pg, Summary: h.loanLinks(r), Note: h.tr(r, "loan.proposals.note")})
}

func (h *Handler) loanPapersPage(w http.ResponseWriter, r *http.Request) error {
	rn := h.namer(r)
	tb := &table{ID: "loan-papers", Header: []string{h.tr(r, "col.household.number"), h.tr(r, "col.head"), h.tr(r, "col.location"), h.tr(r, "loan.paper"), h.tr(r, "loan.paper.due"),
		h.tr(r, "loan.state")}, Empty: h.tr(r, "loan.papers.none")}
	var choices []option
	pg, err := h.rows(r, tb, func(limit, offset int) (int, [][]cell, error) {
		items, total, err := h.cfg.Loans.MissingPapers(r.Context(), "", offset, limit)
		var out [][]cell
		for _, p := range items {
			st := cell{Text: h.tr(r, "loan.paper.open"), Tag: "warn"}
			if p.Overdue {
				st = cell{Text: h.tr(r, "loan.paper.overdue"), Tag: "late"}
			}
			out = append(out, []cell{{Text: p.Household, Href: "/households/" + p.Household + "/loans"}, {Text: p.HeadName}, {Text: rn.path(p.Village)}, {Text: p.Name}, {Text: p.Due}, st})
			choices = append(choices, option{Value: fmt.Sprintf("%d:%s", p.LoanID, p.Code), Label: p.HeadName + " · " + p.Name})
		}
		return total, out, err
	})
	if err != nil {
		return err
	}
	v := &prepView{Table: tb, Pager: pg, Summary: h.loanLinks(r), Note: h.tr(r, "loan.papers.note")}
	if backstop.UserFromContext(r.Context()).Can(backstop.PermManageLoans) && len(choices) > 0 {
		v.Forms = append(v.Forms, &form{ID: "loan-paper", Title: h.tr(r, "loan.paper.fill"), Action: "/loans/papers", Submit: h.tr(r, "action.save"), Fields: []field{
			{Label: h.tr(r, "loan.paper"), Name: "paper", Type: "select", Options: choices},
			{Label: h.tr(r, "loan.paper.filled_on"), Name: "filled_on", Type: "date", Required: true, Value: todayText()}}})
	}
	return h.loanPage(w, r, h.tr(r, "loan.papers"), v)
}

func (h *Handler) fillLoanPaper(w http.ResponseWriter, r *http.Request) error {
	f, err := formValues(w, r)
	if err != nil {
		return err
	}
	id, code, _ := strings.Cut(f.Get("paper"), ":")
	if _, err := h.cfg.Loans.FillPaper(r.Context(), atoi(id), loans.PaperInput{Code: code, FilledOn: f.Get("filled_on")}); err != nil {
		return h.prepFail(w, r, err, h.loanPapersPage)
	}
	return done(w, r, "/loans/papers")
}

func (h *Handler) householdLoansPage(w http.ResponseWriter, r *http.Request) error {
	number := r.PathValue("number")
	hh, err := h.cfg.Registry.FindHousehold(r.Context(), number)
	if err != nil {
		return err
	}
	items, err := h.cfg.Loans.HouseholdLoans(r.Context(), number)
	if err != nil {
		return err
	}
	rn := h.namer(r)
	tb := &table{ID: "household-loans", Header: h.loanHeader(r), Empty: h.tr(r, "loan.none")}
	var applied []option
	for _, l := range items {
		tb.Rows = append(tb.Rows, h.loanRow(r, rn, l))
		if l.State == backstop.LoanApplied {
			applied = append(applied, option{Value: fmt.Sprint(l.ID), Label: h.tr(r, "loan.kind."+string(l.Kind)) + " · " + l.Bank + " · " + yuan(l.Amount)})
		}
	}
	title := h.tr(r, "loan.household", hh.HeadName, hh.Number)
	v := &prepView{Heading: title, Table: tb, Summary: append([]pair{{Label: h.tr(r, "col.household.number"), Value: hh.Number, Href: "/households/" + hh.Number}}, h.loanLinks(r)...)}
	if backstop.UserFromContext(r.Context()).Can(backstop.PermManageLoans) {
		var members []option
		for _, m := range hh.Members {
			members = append(members, option{Value: m.Number, Label: m.Name + " " + backstop.MaskIDNumber(m.IDNumber)})
		}
		kinds := make([]string, len(backstop.LoanKinds))
		for i, k := range backstop.LoanKinds {
			kinds[i] = string(k)
		}
		purposes, _ := h.cfg.Loans.Purposes(r.Context(), hh.VillageCode)
		var popts []option
		for _, p := range purposes {
			popts = append(popts, option{Value: p.Code, Label: p.ZH})
		}
		v.Forms = append(v.Forms, &form{ID: "loan-new", Title: h.tr(r, "loan.new"), Action: "/households/" + hh.Number + "/loans", Submit: h.tr(r, "loan.apply"), Hint: h.tr(r, "loan.new.hint"),
			Fields: []field{
				{Label: h.tr(r, "loan.kind"), Name: "kind", Type: "select", Options: opts("new", kinds, func(c string) string { return h.tr(r, "loan.kind."+c) })},
				{Label: h.tr(r, "loan.bank"), Name: "bank", Required: true, Max: backstop.MaxLoanBankRunes},
				{Label: h.tr(r, "loan.amount"), Name: "amount", Type: "number", Required: true, Hint: h.tr(r, "loan.amount.hint")},
				{Label: h.tr(r, "loan.term"), Name: "term_months", Type: "number", Required: true},
				{Label: h.tr(r, "loan.purpose"), Name: "purpose", Type: "select", Options: popts},
				{Label: h.tr(r, "loan.borrower"), Name: "borrower_member", Type: "select", Options: members},
				{Label: h.tr(r, "loan.applied_on"), Name: "applied_on", Type: "date", Required: true, Value: todayText()},
				{Label: h.tr(r, "loan.exception.reason"), Name: "exception", Max: backstop.MaxLoanNoteRunes, Hint: h.tr(r, "loan.exception.hint")}}})
		if len(applied) > 0 {
			papers, _ := h.cfg.Loans.Papers(r.Context(), hh.VillageCode)
			var missing []option
			for _, p := range papers {
				missing = append(missing, option{Value: p.Code, Label: p.ZH})
			}
			v.Forms = append(v.Forms, &form{ID: "loan-grant", Title: h.tr(r, "loan.grant"), Action: "/households/" + hh.Number + "/loans/grant", Submit: h.tr(r, "action.save"),
				Hint: h.tr(r, "loan.grant.hint"), Fields: []field{
					{Label: h.tr(r, "loan.which"), Name: "loan", Type: "select", Options: applied},
					{Label: h.tr(r, "loan.granted_on"), Name: "granted_on", Type: "date", Required: true, Value: todayText()},
					{Label: h.tr(r, "loan.missing"), Name: "missing", Type: "select", Options: withBlank(h.tr(r, "loan.missing.none"), missing)}}})
		}
	}
	return h.loanPage(w, r, title, v)
}

func (h *Handler) applyLoan(w http.ResponseWriter, r *http.Request) error {
	f, err := formValues(w, r)
	if err != nil {
		return err
	}
	number := r.PathValue("number")
	in := loans.ApplyInput{Kind: f.Get("kind"), Bank: f.Get("bank"), Amount: atof(f.Get("amount")), TermMonths: int(atoi(f.Get("term_months"))), Purpose: f.Get("purpose"),
		BorrowerMember: f.Get("borrower_member"), AppliedOn: f.Get("applied_on")}
	if reason := strings.TrimSpace(f.Get("exception")); reason != "" {
		in.Exception = &loans.ExceptionInput{Reason: reason}
	}
	if _, err := h.cfg.Loans.Apply(r.Context(), number, in); err != nil {
		return h.prepFail(w, r, err, h.householdLoansPage)
	}
	return done(w, r, "/households/"+number+"/loans")
}

func (h *Handler) grantLoan(w http.ResponseWriter, r *http.Request) error {
	f, err := formValues(w, r)
	if err != nil {
		return err
	}
	number := r.PathValue("number")
	in := loans.GrantInput{GrantedOn: f.Get("granted_on")}
	if m := f.Get("missing"); m != "" {
		in.MissingPapers = []string{m}
	}
	if _, err := h.cfg.Loans.Grant(r.Context(), atoi(f.Get("loan")), in); err != nil {
		return h.prepFail(w, r, err, h.householdLoansPage)
	}
	return done(w, r, "/households/"+number+"/loans")
}
