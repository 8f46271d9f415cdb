package httpapi_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/loans"
)

// The loan routes' rows of the authorization matrix, with their fixtures:
// per region a household with an applied loan and a granted one with a
// paper missing, made on first use; a request expected to succeed that
// changes a loan gets a fresh one.

type loanObjects struct {
	household, borrower string
	applied, granted    int64
}

var (
	loanMu        sync.Mutex
	loanFix       = map[*objects]*loanObjects{}
	loanSubsidy   = map[*matrix]bool{}
	loanAppliedOn = "2026-11-02"
)

// loanHousehold is a new household of the region with a borrower.
func (m *matrix) loanHousehold(t *testing.T, o *objects) (string, string) {
	t.Helper()
	o.seq++
	number := fmt.Sprintf("%s%04d", o.village, 7000+o.seq)
	id := idNumber(o.village, m.next())
	h := &backstop.Household{Number: number, VillageCode: o.village, HeadName: "矩阵贷款户", Type: "脱贫户",
		Members: []*backstop.Member{{Number: number + "01", Name: "矩阵贷款户", IDNumber: id, Relation: "户主"}}}
	if err := m.db.CreateHousehold(m.admin, h); err != nil {
		t.Fatalf("household %s: %v", number, err)
	}
	return number, id
}

// freshLoan is a new applied loan of a new household of the region.
func (m *matrix) freshLoan(t *testing.T, o *objects) (*backstop.Loan, string, string) {
	t.Helper()
	number, id := m.loanHousehold(t, o)
	l, err := m.app.Loans.Apply(m.admin, number, loans.ApplyInput{Kind: "new", Bank: "矩阵银行", Amount: 10000, TermMonths: 24, Purpose: "planting", Borrower: id, AppliedOn: loanAppliedOn})
	if err != nil {
		t.Fatalf("loan of %s: %v", number, err)
	}
	return l, number, id
}

// loans makes (once) the region's loan fixtures.
func (m *matrix) loans(t *testing.T, o *objects) *loanObjects {
	t.Helper()
	loanMu.Lock()
	defer loanMu.Unlock()
	if !loanSubsidy[m] {
		p := &backstop.Policy{Key: backstop.PolicyLoanSubsidyPct, Region: backstop.NationalScope, Value: 60, EffectiveFrom: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
			Source: "test: the matrix's loans run past 2025"}
		if err := m.db.CreatePolicy(m.admin, p); err != nil {
			t.Fatal(err)
		}
		loanSubsidy[m] = true
	}
	if f := loanFix[o]; f != nil {
		return f
	}
	l, number, id := m.freshLoan(t, o)
	f := &loanObjects{household: number, borrower: id, applied: l.ID}
	g, err := m.app.Loans.Apply(m.admin, number, loans.ApplyInput{Kind: "top_up", Bank: "矩阵银行", Amount: 5000, TermMonths: 12, Purpose: "breeding", Borrower: id, AppliedOn: loanAppliedOn})
	if err != nil {
		t.Fatalf("top-up of %s: %v", number, err)
	}
	if _, err := m.app.Loans.Grant(m.admin, g.ID, loans.GrantInput{GrantedOn: "2026-11-05", MissingPapers: []string{"contract"}}); err != nil {
		t.Fatalf("grant in %s: %v", o.village, err)
	}
	f.granted = g.ID
	m.householdMarks = append(m.householdMarks, number)
	loanFix[o] = f
	return f
}

func init() {
	type req = func(t *testing.T, m *matrix, c *caller, o *objects, fresh bool) matrixReq
	get := func(p func(f *loanObjects, o *objects) string) req {
		return func(t *testing.T, m *matrix, c *caller, o *objects, fresh bool) matrixReq {
			return matrixReq{path: p(m.loans(t, o), o)}
		}
	}
	listed := func(p string) req {
		return func(t *testing.T, m *matrix, c *caller, o *objects, fresh bool) matrixReq {
			f := m.loans(t, o)
			return matrixReq{path: p, marker: f.household}
		}
	}
	move := func(suffix, body string, granted bool) req {
		return func(t *testing.T, m *matrix, c *caller, o *objects, fresh bool) matrixReq {
			f := m.loans(t, o)
			id := f.applied
			if granted {
				id = f.granted
			}
			if fresh {
				l, _, _ := m.freshLoan(t, o)
				id = l.ID
				if granted {
					if _, err := m.app.Loans.Grant(m.admin, id, loans.GrantInput{GrantedOn: "2026-11-05", MissingPapers: []string{"contract"}}); err != nil {
						t.Fatal(err)
					}
				}
			}
			return matrixReq{path: fmt.Sprintf("/api/v1/loans/%d/%s", id, suffix), body: body}
		}
	}
	rows := map[string]matrixRow{
		"POST /api/v1/households/{number}/loans": {req: func(t *testing.T, m *matrix, c *caller, o *objects, fresh bool) matrixReq {
			m.loans(t, o)
			number, id := m.loanHousehold(t, o)
			return matrixReq{path: "/api/v1/households/" + number + "/loans", body: toJSON(map[string]any{"kind": "new", "bank": "矩阵银行", "amount": 1000, "term_months": 12,
				"purpose": "planting", "borrower_id_number": id, "applied_on": loanAppliedOn})}
		}},
		"GET /api/v1/households/{number}/loans": {req: get(func(f *loanObjects, o *objects) string { return "/api/v1/households/" + f.household + "/loans" })},
		"GET /api/v1/loans":                     {req: listed("/api/v1/loans?limit=1000")},
		"GET /api/v1/loans/export":              {req: listed("/api/v1/loans/export?format=csv")},
		"GET /api/v1/loans/counts":              {req: get(func(f *loanObjects, o *objects) string { return "/api/v1/loans/counts?region=" + o.village })},
		"GET /api/v1/loans/extension-proposals": {req: get(func(f *loanObjects, o *objects) string { return "/api/v1/loans/extension-proposals" })},
		"GET /api/v1/loans/missing-papers":      {req: listed("/api/v1/loans/missing-papers?limit=1000")},
		"GET /api/v1/loans/{id}":                {req: get(func(f *loanObjects, o *objects) string { return fmt.Sprintf("/api/v1/loans/%d", f.granted) })},
		"POST /api/v1/loans/{id}/grant":         {req: move("grant", `{"granted_on":"2026-11-06"}`, false)},
		"POST /api/v1/loans/{id}/refuse":        {req: move("refuse", `{"on":"2026-11-06"}`, false)},
		"POST /api/v1/loans/{id}/repaid":        {req: move("repaid", `{"on":"2026-11-30"}`, true)},
		"POST /api/v1/loans/{id}/papers":        {req: move("papers", `{"code":"contract","filled_on":"2026-11-20"}`, true)},
	}
	for k, v := range rows {
		if _, dup := matrixRows[k]; dup {
			panic("matrix row twice: " + k)
		}
		matrixRows[k] = v
	}
}
