package storetest

import (
	"testing"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/sqlstore"
)

// The loans half of the store: two loans of one household stored at once
// against the same outstanding principal (one wins: the caps cannot be
// passed by a race), two grants of one loan (one wins), scope in every
// query, and the counts by state computed on the day asked.
func testLoansStore(t *testing.T, db *sqlstore.DB) {
	LoadRegions(t, db)
	importTemplate(t, db)
	ctx := Admin()
	const number = "6207231012010001"
	loan := func(kind backstop.LoanKind, amount float64) *backstop.Loan {
		return &backstop.Loan{Household: number, Kind: kind, Bank: "临泽农商银行", Amount: amount, TermMonths: 12, Rate: 3, Purpose: "planting", PurposeName: "种植业",
			Borrower: "张建国", BorrowerID: "620723196106054054", BorrowerMember: "620723101201000101", BorrowerAge: 65, AppliedOn: "2026-11-02", PolicyIDs: []int64{1}}
	}
	first := loan(backstop.LoanNew, 30000)
	if err := db.CreateLoan(ctx, first, 0); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateLoan(ctx, loan(backstop.LoanTopUp, 1), 0); backstop.ErrorCode(err) != backstop.ECONFLICT {
		t.Fatalf("a loan against a stale outstanding principal: %v", err)
	}
	oneWins(t, "two top-ups at once", twice(func(i int) error { return db.CreateLoan(ctx, loan(backstop.LoanTopUp, 60000), 30000) }))
	g := *first
	g.GrantedOn, g.FirstDue, g.Due = "2026-11-05", "2027-02-05", "2026-11-20"
	oneWins(t, "two grants at once", twice(func(i int) error { c := g; return db.GrantLoan(ctx, &c, first.Version, nil) }))

	// Counts on two days: granted, then overdue after its due day.
	for day, want := range map[string]map[string]int{"2026-11-10": {"granted": 1, "applied": 1}, "2026-11-21": {"overdue": 1, "applied": 1}} {
		got, err := db.LoanCounts(ctx, "620723", day)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range backstop.LoanStates {
			if got[string(s)] != want[string(s)] {
				t.Errorf("counts on %s: %v, want %v", day, got, want)
				break
			}
			// The list filtered by the state says the same.
			if _, total, err := db.FindLoans(ctx, backstop.LoanFilter{State: s, Today: day}); err != nil || total != want[string(s)] {
				t.Errorf("loans %s on %s: %d, want %d (%v)", s, day, total, want[string(s)], err)
			}
		}
	}
	// Another county sees none of them.
	other := UserContext(t, db, "loans-ganzhou", backstop.RoleCounty, "620702000000")
	if _, err := db.FindLoan(other, first.ID); backstop.ErrorCode(err) != backstop.ENOTFOUND {
		t.Errorf("another county read the loan: %v", err)
	}
	if ls, total, err := db.FindLoans(other, backstop.LoanFilter{}); err != nil || total != 0 || len(ls) != 0 {
		t.Errorf("another county's list: %d %v", total, err)
	}
	if c, err := db.LoanCounts(other, "", "2026-11-10"); err != nil || c["granted"] != 0 || c["applied"] != 0 {
		t.Errorf("another county's counts: %v %v", c, err)
	}
	if _, err := db.HouseholdLoans(other, number); backstop.ErrorCode(err) != backstop.ENOTFOUND {
		t.Errorf("another county read the household's loans: %v", err)
	}
}
