package httpapi

import (
	"context"
	"fmt"
	"net/http"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/httpx"
	"github.com/zhangye-backstop/backstop/loans"
)

// Microcredit (脱贫人口小额信贷, issue 12 item 5).

type contextT = context.Context

func init() {
	for name, v := range map[string]any{
		"Loan":              backstop.Loan{},
		"LoanIn":            loans.ApplyInput{},
		"LoanList":          list[backstop.Loan]{},
		"LoanGrant":         loans.GrantInput{},
		"LoanStateIn":       loans.StateInput{},
		"LoanPaperIn":       loans.PaperInput{},
		"LoanCounts":        map[string]int{},
		"LoanProposalList":  list[backstop.LoanExtensionProposal]{},
		"LoanMissingPapers": list[backstop.LoanMissingPaper]{},
	} {
		schemaTypes[name] = v
	}
}

func (s *Server) applyLoan(w http.ResponseWriter, r *http.Request) error {
	var in loans.ApplyInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	l, err := s.cfg.Loans.Apply(r.Context(), r.PathValue("number"), in)
	if err != nil {
		return err
	}
	w.Header().Set("Location", fmt.Sprintf("/api/v1/loans/%d", l.ID))
	writeJSON(w, http.StatusCreated, l)
	return nil
}

func (s *Server) householdLoans(w http.ResponseWriter, r *http.Request) error {
	items, err := s.cfg.Loans.HouseholdLoans(r.Context(), r.PathValue("number"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(items, len(items)))
	return nil
}

func loanFilter(r *http.Request) backstop.LoanFilter {
	q := r.URL.Query()
	return backstop.LoanFilter{Region: q.Get("region"), State: backstop.LoanState(q.Get("state")), Kind: backstop.LoanKind(q.Get("kind")), Bank: q.Get("bank"), Household: q.Get("household")}
}

func (s *Server) listLoans(w http.ResponseWriter, r *http.Request) error {
	f := loanFilter(r)
	var err error
	if f.Limit, f.Offset, err = page(r, 100); err != nil {
		return err
	}
	items, total, err := s.cfg.Loans.Loans(r.Context(), f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(items, total))
	return nil
}

func (s *Server) exportLoans(w http.ResponseWriter, r *http.Request) error {
	format, err := httpx.SheetFormat(r)
	if err != nil {
		return err
	}
	return s.cfg.Loans.WriteLoans(r.Context(), httpx.NewDownload(w, format, "loans."+format), format, loanFilter(r))
}

func (s *Server) loanCounts(w http.ResponseWriter, r *http.Request) error {
	c, err := s.cfg.Loans.LoanCounts(r.Context(), r.URL.Query().Get("region"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

func (s *Server) loanProposals(w http.ResponseWriter, r *http.Request) error {
	limit, offset, err := page(r, 100)
	if err != nil {
		return err
	}
	items, total, err := s.cfg.Loans.ExtensionProposals(r.Context(), r.URL.Query().Get("region"), offset, limit)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(items, total))
	return nil
}

func (s *Server) loanMissingPapers(w http.ResponseWriter, r *http.Request) error {
	limit, offset, err := page(r, 100)
	if err != nil {
		return err
	}
	items, total, err := s.cfg.Loans.MissingPapers(r.Context(), r.URL.Query().Get("region"), offset, limit)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(items, total))
	return nil
}

func (s *Server) getLoan(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "Loan")
	if err != nil {
		return err
	}
	l, err := s.cfg.Loans.Loan(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, l)
	return nil
}

func (s *Server) grantLoan(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "Loan")
	if err != nil {
		return err
	}
	var in loans.GrantInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	l, err := s.cfg.Loans.Grant(r.Context(), id, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, l)
	return nil
}

func (s *Server) moveLoan(move func(*loans.Service) func(ctx contextT, id int64, in loans.StateInput) (*backstop.Loan, error)) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := httpx.PathID(r, "Loan")
		if err != nil {
			return err
		}
		var in loans.StateInput
		if err := decodeJSON(w, r, &in); err != nil {
			return err
		}
		l, err := move(s.cfg.Loans)(r.Context(), id, in)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, l)
		return nil
	}
}

func (s *Server) fillLoanPaper(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "Loan")
	if err != nil {
		return err
	}
	var in loans.PaperInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	l, err := s.cfg.Loans.FillPaper(r.Context(), id, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, l)
	return nil
}

func (s *Server) loanRoutes() []*route {
	read := access{perm: backstop.PermReadLoans, scope: scopeRead}
	write := access{perm: backstop.PermManageLoans, scope: scopeWrite}
	lists := access{perm: backstop.PermReadLoans}
	idParam := param{name: "id", in: "path", typ: "integer", required: true, desc: "loan id"}
	filters := append([]param{{name: "region", in: "query", typ: "string", desc: "region code: loans of households inside it"},
		{name: "state", in: "query", typ: "string", desc: "applied, granted, repaying, extended, overdue, repaid or refused (repaying and overdue computed on today's date)"},
		{name: "kind", in: "query", typ: "string", desc: "new, top_up, extension or renewal"}, {name: "bank", in: "query", typ: "string", desc: "lending bank"},
		{name: "household", in: "query", typ: "string", desc: "户编号"}}, pageParams...)
	region := []param{{name: "region", in: "query", typ: "string", desc: "region code (your region when absent)"}}
	return []*route{
		{method: "POST", path: "/api/v1/households/{number}/loans", summary: "Apply for a household's microcredit loan (小额信贷: new, top-up, extension, renewal) under the policy rules in force; 400 names the rule broken", tag: "loans",
			params: []param{numberParam}, body: "LoanIn", response: "Loan", status: http.StatusCreated, handle: s.applyLoan, access: access{perm: backstop.PermManageLoans, scope: scopeRead}},
		{method: "GET", path: "/api/v1/households/{number}/loans", summary: "A household's loans (borrower ID numbers masked)", tag: "loans", params: []param{numberParam}, response: "LoanList",
			handle: s.householdLoans, access: read},
		{method: "GET", path: "/api/v1/loans", summary: "Loans of your region, newest first, with filters", tag: "loans", params: filters, response: "LoanList", handle: s.listLoans, access: lists},
		{method: "GET", path: "/api/v1/loans/export", summary: "The loans list as csv or xlsx (format=), borrower ID numbers masked; audited", tag: "loans",
			params: append(filters, param{name: "format", in: "query", typ: "string", desc: "csv or xlsx"}), response: "file", handle: s.exportLoans, access: lists},
		{method: "GET", path: "/api/v1/loans/counts", summary: "Loans of a region by state today", tag: "loans", params: region, response: "LoanCounts", handle: s.loanCounts, access: lists},
		{method: "GET", path: "/api/v1/loans/extension-proposals", summary: "Granted loans proposed for extension (展期): the household's verified loss report shows repayment difficulty (policy loans.difficulty_loss_share)", tag: "loans",
			params: append(region, pageParams...), response: "LoanProposalList", handle: s.loanProposals, access: lists},
		{method: "GET", path: "/api/v1/loans/missing-papers", summary: "Papers granted missing (容缺办理) and not filled, soonest due first, overdue flagged", tag: "loans",
			params: append(region, pageParams...), response: "LoanMissingPapers", handle: s.loanMissingPapers, access: lists},
		{method: "GET", path: "/api/v1/loans/{id}", summary: "One loan with its papers missing", tag: "loans", params: []param{idParam}, response: "Loan", handle: s.getLoan, access: read},
		{method: "POST", path: "/api/v1/loans/{id}/grant", summary: "Record an applied loan granted, with papers granted missing (due in working days) and instalment reminders", tag: "loans",
			params: []param{idParam}, body: "LoanGrant", response: "Loan", handle: s.grantLoan, access: write},
		{method: "POST", path: "/api/v1/loans/{id}/refuse", summary: "Record an applied loan refused by the bank", tag: "loans", params: []param{idParam}, body: "LoanStateIn", response: "Loan",
			handle: s.moveLoan(func(l *loans.Service) func(contextT, int64, loans.StateInput) (*backstop.Loan, error) {
				return l.Refuse
			}), access: write},
		{method: "POST", path: "/api/v1/loans/{id}/repaid", summary: "Record a granted loan repaid", tag: "loans", params: []param{idParam}, body: "LoanStateIn", response: "Loan",
			handle: s.moveLoan(func(l *loans.Service) func(contextT, int64, loans.StateInput) (*backstop.Loan, error) {
				return l.Repaid
			}), access: write},
		{method: "POST", path: "/api/v1/loans/{id}/papers", summary: "Record a paper granted missing as filled", tag: "loans", params: []param{idParam}, body: "LoanPaperIn", response: "Loan",
			handle: s.fillLoanPaper, access: write},
	}
}
