package demo_test

import (
	"testing"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/demo"
	"github.com/zhangye-backstop/backstop/server"
	"github.com/zhangye-backstop/backstop/server/servertest"
	"github.com/zhangye-backstop/backstop/storetest"
)

// TestCasesDemo: the case demo that `make run` loads walks issue 12's
// "Done when": a green-channel case with open debts, a normal case mid
// procedure, a household that may clear, one held as 暂不标注.
func TestCasesDemo(t *testing.T) {
	db := storetest.OpenSQLite(t)
	ctx := storetest.Admin()
	if _, err := demo.Fill(ctx, db, 2000, 1, nil); err != nil {
		t.Fatal(err)
	}
	app, _ := servertest.New(t, db, server.Config{DataDir: t.TempDir()})
	dc, err := demo.Cases(ctx, db, app.Screening, app.Cases)
	if err != nil || dc == nil {
		t.Fatalf("case demo: %+v %v", dc, err)
	}
	open := func(number string) *backstop.Case {
		t.Helper()
		c, err := db.OpenCase(ctx, number)
		if err != nil {
			t.Fatalf("case of %s: %v", number, err)
		}
		return c
	}
	if g := open(dc.Green); !g.GreenChannel || g.State != backstop.CaseActive || g.OpenDebts != 7 {
		t.Errorf("green channel: %+v", g)
	}
	if n := open(dc.Normal); n.State != backstop.CaseInProcedure || n.Step != "village_review" {
		t.Errorf("normal: %s at %s", n.State, n.Step)
	}
	e, err := app.Cases.Eligibility(ctx, dc.Clearable)
	if err != nil || !e.Eligible {
		t.Errorf("clearable: %+v %v", e, err)
	}
	if h := open(dc.Held); h.State != backstop.CaseHeld {
		t.Errorf("held: %s", h.State)
	}
	cands, n, err := app.Cases.Candidates(ctx, "", 0, 100)
	if err != nil || n != 1 || cands[0].Household != dc.Clearable {
		t.Errorf("candidates: %d %v", n, err)
	}
	if again, err := demo.Cases(ctx, db, app.Screening, app.Cases); err != nil || again != nil {
		t.Errorf("a second load: %+v %v", again, err)
	}
}
