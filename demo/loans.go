package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/loans"
	"github.com/zhangye-backstop/backstop/screening"
)

// DemoSubsidySource marks the demo's interest subsidy row for the years
// after 2025, which no document known here sets: without a row every loan
// running into 2026 is refused (a missing period is never a default).
const DemoSubsidySource = "演示数据（未核实）：2026年起的小额信贷贴息比例未找到出处，演示按70%设定；正式使用须按文件另设政策行"

// LoanStore is what the demo's loans read: households with their members.
type LoanStore interface {
	Store
	FindHousehold(ctx context.Context, number string) (*backstop.Household, error)
}

// Loans writes the demo's microcredit through the use cases, as officers
// would: four 脱贫户 with loans (one with a top-up, one granted with its
// contract missing), and one household whose verified loss report after a
// disaster shows repayment difficulty, its loan extended. It does nothing
// when loans exist already.
func Loans(ctx context.Context, store LoanStore, ls *loans.Service, sc *screening.Service, now time.Time) error {
	if _, total, err := ls.Loans(ctx, backstop.LoanFilter{Limit: 1}); err != nil || total > 0 {
		return err
	}
	if _, err := store.PolicyAt(ctx, backstop.PolicyLoanSubsidyPct, "620700000000", time.Date(2026, 1, 1, 0, 0, 0, 0, backstop.Beijing)); backstop.ErrorCode(err) == backstop.ENOTFOUND {
		p := &backstop.Policy{Key: backstop.PolicyLoanSubsidyPct, Region: "620700000000", Value: 70, EffectiveFrom: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Source: DemoSubsidySource}
		if err := store.CreatePolicy(ctx, p); err != nil {
			return err
		}
	} else if err != nil {
		return err
	}
	hs, _, err := store.FindHouseholds(ctx, backstop.HouseholdFilter{Groups: backstop.GroupFormerlyPoor, Limit: 200})
	if err != nil {
		return err
	}
	// Borrowers: the first adult of working age of each household.
	type pick struct{ number, member string }
	var picks []pick
	for _, listed := range hs {
		h, err := store.FindHousehold(ctx, listed.Number)
		if err != nil {
			return err
		}
		for _, m := range h.Members {
			_, birth, err := backstop.ValidateIDNumber(m.IDNumber)
			if err != nil {
				continue
			}
			if age := (&backstop.Member{BirthDate: birth.Format(time.DateOnly)}).Age(now); age >= 25 && age <= 60 {
				picks = append(picks, pick{h.Number, m.Number})
				break
			}
		}
		if len(picks) == 4 {
			break
		}
	}
	if len(picks) < 4 {
		return nil // a registry too small for the demo's loans
	}
	day := func(d time.Time) string { return d.In(backstop.Beijing).Format(time.DateOnly) }
	apply := func(p pick, kind string, amount float64, months int, purpose, applied string) (*backstop.Loan, error) {
		l, err := ls.Apply(ctx, p.number, loans.ApplyInput{Kind: kind, Bank: "甘肃省农村信用社", Amount: amount, TermMonths: months, Purpose: purpose, BorrowerMember: p.member, AppliedOn: applied})
		if err != nil {
			return nil, fmt.Errorf("demo loan of %s: %w", p.number, err)
		}
		return l, nil
	}
	grant := func(l *backstop.Loan, on string, missing ...string) error {
		_, err := ls.Grant(ctx, l.ID, loans.GrantInput{GrantedOn: on, MissingPapers: missing})
		return err
	}
	// A cattle loan, granted; a top-up on it.
	a, err := apply(picks[0], "new", 30000, 36, "breeding", "2025-03-01")
	if err != nil {
		return err
	}
	if err := grant(a, "2025-03-10"); err != nil {
		return err
	}
	top, err := apply(picks[0], "top_up", 40000, 24, "breeding", day(now.AddDate(0, 0, -20)))
	if err != nil {
		return err
	}
	if err := grant(top, day(now.AddDate(0, 0, -15))); err != nil {
		return err
	}
	// Granted with the contract missing (容缺办理), due in working days.
	b, err := apply(picks[1], "new", 50000, 36, "planting", day(now.AddDate(0, 0, -10)))
	if err != nil {
		return err
	}
	if err := grant(b, day(now.AddDate(0, 0, -7)), "contract"); err != nil {
		return err
	}
	// Applied, not yet granted.
	if _, err := apply(picks[2], "new", 20000, 24, "rural_tourism", day(now.AddDate(0, 0, -3))); err != nil {
		return err
	}
	// After the disaster: the greenhouse household's verified loss report
	// shows repayment difficulty; its loan is proposed and extended.
	d, err := apply(picks[3], "new", 30000, 12, "planting", day(now.AddDate(-1, 0, -20)))
	if err != nil {
		return err
	}
	if err := grant(d, day(now.AddDate(-1, 0, -10))); err != nil {
		return err
	}
	report, err := sc.FileLossReport(ctx, picks[3].number, screening.LossInput{HouseDamage: "none", ProductionNote: "暴雨冲毁蔬菜大棚", ProductionLoss: 18000, CropAreaMu: 3, CropLossPct: 80, CropLoss: 6000})
	if err != nil {
		return fmt.Errorf("demo loss report: %w", err)
	}
	if _, err := sc.VerifyLossReport(ctx, report.ID); err != nil {
		return fmt.Errorf("demo verification: %w", err)
	}
	ext, err := ls.Apply(ctx, picks[3].number, loans.ApplyInput{Kind: "extension", Bank: "甘肃省农村信用社", TermMonths: 6, Purpose: "planting", BorrowerMember: picks[3].member,
		AppliedOn: day(now), ParentID: d.ID})
	if err != nil {
		return fmt.Errorf("demo extension: %w", err)
	}
	return grant(ext, day(now))
}
