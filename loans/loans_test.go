package loans_test

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/clock"
	"github.com/zhangye-backstop/backstop/loans"
	"github.com/zhangye-backstop/backstop/sqlstore"
	"github.com/zhangye-backstop/backstop/storetest"
	"github.com/zhangye-backstop/backstop/workday"
)

// fakeNow is a clock the test moves.
type fakeNow struct {
	mu sync.Mutex
	t  time.Time
}

func (f *fakeNow) now() time.Time  { f.mu.Lock(); defer f.mu.Unlock(); return f.t }
func (f *fakeNow) set(t time.Time) { f.mu.Lock(); defer f.mu.Unlock(); f.t = t }

// sent takes the texts of the messages due in the outbox.
func sent(t *testing.T, db *sqlstore.DB, now time.Time) []string {
	t.Helper()
	ctx := storetest.Admin()
	bs, err := db.DueBatches(ctx, now, 100)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, b := range bs {
		ms, err := db.LeaseBatch(ctx, b, "test", now, now.Add(time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		var rs []backstop.MessageResult
		for _, m := range ms {
			out = append(out, m.Address+" "+m.Text)
			rs = append(rs, backstop.MessageResult{ID: m.ID, Channel: m.Channel, Audience: m.Audience, Status: backstop.MessageSent, At: now})
		}
		if err := db.FinishBatch(ctx, b, "test", rs); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// TestLoanReminders: a loan granted with the contract missing reminds the
// household's helper before the papers' due day (counted in working
// days) and tells them once it is past, the paper then flagged overdue;
// the helper is reminded before the first instalment, and the clock then
// waits for the next one; the paper filled meets the papers' clock.
func TestLoanReminders(t *testing.T) {
	for _, e := range storetest.Engines {
		t.Run(e.Name, func(t *testing.T) {
			db := e.Open(t)
			storetest.LoadRegions(t, db)
			ctx := storetest.Admin()
			if _, err := storetest.ImportRoster(ctx, db, storetest.SharedData(t, "templates/households.csv"), backstop.ImportOptions{}); err != nil {
				t.Fatal(err)
			}
			if err := db.CreatePolicy(ctx, &backstop.Policy{Key: backstop.PolicyLoanSubsidyPct, Region: backstop.NationalScope, Value: 60,
				EffectiveFrom: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Source: "test"}); err != nil {
				t.Fatal(err)
			}
			clk := &fakeNow{t: time.Date(2026, 11, 2, 10, 0, 0, 0, backstop.Beijing)}
			cal := &workday.Service{Store: db}
			if err := cal.Load(ctx); err != nil {
				t.Fatal(err)
			}
			engine := &clock.Engine{Store: db, Calendar: cal, Now: clk.now, Owner: "test"}
			s := &loans.Service{Store: db, Clocks: engine, Now: clk.now}
			engine.Register(backstop.ClockLoanPapers, s.PapersDue)
			engine.Register(backstop.ClockLoanInstalment, s.InstalmentDue)
			run := func(at time.Time) []string {
				t.Helper()
				clk.set(at)
				if _, err := engine.RunDue(context.Background()); err != nil {
					t.Fatal(err)
				}
				return sent(t, db, at)
			}

			l, err := s.Apply(ctx, "6207231012010001", loans.ApplyInput{Kind: "new", Bank: "临泽农商银行", Amount: 30000, TermMonths: 12, Purpose: "planting",
				Borrower: "620723196106054054", AppliedOn: "2026-10-20"})
			if err != nil {
				t.Fatal(err)
			}
			g, err := s.Grant(ctx, l.ID, loans.GrantInput{GrantedOn: "2026-10-28", MissingPapers: []string{"contract"}})
			if err != nil {
				t.Fatal(err)
			}
			// 20 working days from 2026-10-28 (a Wednesday): 2026-11-25.
			if len(g.Papers) != 1 || g.Papers[0].Due != "2026-11-25" || g.FirstDue != "2027-01-28" || g.Due != "2027-10-28" {
				t.Fatalf("granted: papers %+v, first instalment %s, due %s", g.Papers, g.FirstDue, g.Due)
			}
			if got := run(time.Date(2026, 11, 2, 10, 0, 0, 0, backstop.Beijing)); len(got) != 0 {
				t.Errorf("messages before any reminder is due: %q", got)
			}
			got := run(time.Date(2026, 11, 24, 10, 0, 0, 0, backstop.Beijing))
			if len(got) != 1 || !strings.HasPrefix(got[0], "13909361234 ") || !strings.Contains(got[0], "须于2026-11-25前补齐") || !strings.Contains(got[0], "借款合同") {
				t.Errorf("the reminder before the papers' due day: %q", got)
			}
			got = run(time.Date(2026, 11, 26, 10, 0, 0, 0, backstop.Beijing))
			if len(got) != 1 || !strings.Contains(got[0], "已超过补齐期限2026-11-25") {
				t.Errorf("the notice after the due day: %q", got)
			}
			if got := run(time.Date(2026, 12, 10, 10, 0, 0, 0, backstop.Beijing)); len(got) != 0 {
				t.Errorf("the overdue notice sent again: %q", got)
			}
			ps, _, err := s.MissingPapers(ctx, "", 0, 10)
			if err != nil || len(ps) != 1 || !ps[0].Overdue {
				t.Errorf("the overdue paper: %+v %v", ps, err)
			}
			// 7 days before the first instalment (2027-01-28).
			if got := run(time.Date(2027, 1, 20, 10, 0, 0, 0, backstop.Beijing)); len(got) != 0 {
				t.Errorf("an instalment reminder 8 days before: %q", got)
			}
			got = run(time.Date(2027, 1, 21, 10, 0, 0, 0, backstop.Beijing))
			if len(got) != 1 || !strings.Contains(got[0], "将于2027-01-28付息") {
				t.Errorf("the instalment reminder: %q", got)
			}
			c, err := db.FindClock(ctx, backstop.ClockLoanInstalment, "loan:"+itoa(l.ID))
			if err != nil || c.FireAt == nil || !c.FireAt.Equal(time.Date(2027, 4, 21, 9, 0, 0, 0, backstop.Beijing)) {
				t.Errorf("the next instalment reminder: %+v %v", c, err)
			}
			if _, err := s.FillPaper(ctx, l.ID, loans.PaperInput{Code: "contract", FilledOn: "2027-01-21"}); err != nil {
				t.Fatal(err)
			}
			if c, err := db.FindClock(ctx, backstop.ClockLoanPapers, "loan:"+itoa(l.ID)); err != nil || c.State != backstop.ClockMet {
				t.Errorf("the papers' clock after the paper: %+v %v", c, err)
			}
		})
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestLoanRenewal: a renewal (续贷) repays a granted loan with a new one of
// at most its amount, once (loans.renewal_max_times); its grant settles
// the old loan; a refused application cannot be granted.
func TestLoanRenewal(t *testing.T) {
	db := storetest.OpenSQLite(t)
	storetest.LoadRegions(t, db)
	ctx := storetest.Admin()
	if _, err := storetest.ImportRoster(ctx, db, storetest.SharedData(t, "templates/households.csv"), backstop.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	cal := &workday.Service{Store: db}
	if err := cal.Load(ctx); err != nil {
		t.Fatal(err)
	}
	s := &loans.Service{Store: db, Clocks: &clock.Engine{Store: db, Calendar: cal}}
	in := loans.ApplyInput{Kind: "new", Bank: "临泽农商银行", Amount: 20000, TermMonths: 12, Purpose: "planting", Borrower: "620723196106054054", AppliedOn: "2024-03-01"}
	old, err := s.Apply(ctx, "6207231012010001", in)
	if err != nil {
		t.Fatal(err)
	}
	// 2024-03 to 2025-02: the 70% row throughout.
	if old.SubsidyPct != 70 {
		t.Errorf("subsidy of a 2024 loan: %v", old.SubsidyPct)
	}
	if _, err := s.Grant(ctx, old.ID, loans.GrantInput{GrantedOn: "2024-03-05"}); err != nil {
		t.Fatal(err)
	}
	in.Kind, in.AppliedOn, in.Amount = "renewal", "2025-02-20", 25000
	if _, err := s.Apply(ctx, "6207231012010001", in); backstop.ErrorCode(err) != backstop.EINVALID || !strings.Contains(backstop.ErrorMessageZH(err), "续贷金额不能超过原贷款金额") {
		t.Errorf("a renewal above the loan it repays: %v", err)
	}
	in.Amount, in.TermMonths = 20000, 10
	renewal, err := s.Apply(ctx, "6207231012010001", in)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Grant(ctx, renewal.ID, loans.GrantInput{GrantedOn: "2025-03-05"}); err != nil {
		t.Fatal(err)
	}
	if l, err := s.Loan(ctx, old.ID); err != nil || l.State != backstop.LoanRepaid || l.RepaidOn != "2025-03-05" {
		t.Errorf("the renewed loan: %+v %v", l, err)
	}
	in.ParentID, in.AppliedOn, in.TermMonths = renewal.ID, "2025-12-20", 6
	if _, err := s.Apply(ctx, "6207231012010001", in); backstop.ErrorCode(err) != backstop.EINVALID || !strings.Contains(backstop.ErrorMessage(err), "loans.renewal_max_times") {
		t.Errorf("a second renewal: %v", err)
	}
	in.Kind, in.ParentID, in.AppliedOn = "new", 0, "2025-06-01"
	in.Amount = 10000
	l, err := s.Apply(ctx, "6207231012010001", in)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Refuse(ctx, l.ID, loans.StateInput{On: "2025-06-10"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Grant(ctx, l.ID, loans.GrantInput{GrantedOn: "2025-06-11"}); backstop.ErrorCode(err) != backstop.ECONFLICT {
		t.Errorf("a refused loan granted: %v", err)
	}
}
