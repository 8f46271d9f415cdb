package demo_test

import (
	"testing"
	"time"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/demo"
	"github.com/zhangye-backstop/backstop/server"
	"github.com/zhangye-backstop/backstop/server/servertest"
	"github.com/zhangye-backstop/backstop/storetest"
)

// TestDemoLoans: the demo's loans are written through the use cases —
// granted, topped up, granted with a paper missing, applied, and one
// extended after a verified loss report — and a second run adds none.
func TestDemoLoans(t *testing.T) {
	db := storetest.OpenSQLite(t)
	ctx := storetest.Admin()
	if _, err := demo.Fill(ctx, db, 300, 1, nil); err != nil {
		t.Fatal(err)
	}
	app, _ := servertest.New(t, db, server.Config{})
	now := time.Now()
	for range 2 {
		if err := demo.Loans(ctx, db, app.Loans, app.Screening, now); err != nil {
			t.Fatal(err)
		}
	}
	counts, err := app.Loans.LoanCounts(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, n := range counts {
		total += n
	}
	if total != 6 || counts["extended"] != 1 || counts["applied"] != 1 {
		t.Errorf("demo loans by state: %v", counts)
	}
	papers, _, err := app.Loans.MissingPapers(ctx, "", 0, 10)
	if err != nil || len(papers) != 1 {
		t.Errorf("demo papers missing: %v %v", papers, err)
	}
	ls, _, err := app.Loans.Loans(ctx, backstop.LoanFilter{Kind: backstop.LoanExtension})
	if err != nil || len(ls) != 1 || ls[0].State != backstop.LoanGranted && ls[0].State != backstop.LoanRepaying {
		t.Errorf("the demo's extension: %+v %v", ls, err)
	}
}
