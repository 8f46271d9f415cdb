package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/sqlstore"
)

// The case half of the store: a case's changes by compare-and-set (two at
// once: one wins, one ECONFLICT), one open case per household, the green
// channel's debts and monitoring decision in the case's transaction, the
// step clocks, measures and the national comparison lists, all scoped.

func caseClock(now time.Time, days int) *backstop.Clock {
	due := now.AddDate(0, 0, days)
	return &backstop.Clock{StartedAt: now, LimitValue: float64(days), LimitUnit: backstop.UnitDays, Due: due, DueDate: due.In(backstop.Beijing).Format(time.DateOnly)}
}

func testCasesStore(t *testing.T, db *sqlstore.DB) {
	LoadRegions(t, db)
	importTemplate(t, db)
	ctx := Admin()
	now := time.Now()
	const green, normal = "6207231012010001", "6207221072060012" // 临泽, 民乐
	steps := []backstop.ProcedureStep{
		{Code: "application", ZH: "申请", Role: backstop.RoleVillage, Limit: 2, Unit: backstop.UnitWorkdays, Kind: backstop.StepKindApplication},
		{Code: "home_check", ZH: "入户核实", Role: backstop.RoleVillage, Limit: 3, Unit: backstop.UnitWorkdays, Kind: backstop.StepKindHomeCheck},
		{Code: "county_approval", ZH: "县级审批", Role: backstop.RoleCounty, Limit: 4, Unit: backstop.UnitWorkdays, Kind: backstop.StepKindApproval},
	}
	// A normal case: in procedure at its first step with that step's clock.
	c := &backstop.Case{Household: normal, Source: backstop.CaseFromManual, Procedure: "gansu_normal", PolicyID: 1, Steps: steps,
		State: backstop.CaseInProcedure, Step: "application", RiskTypes: []string{"100A27006"}, DisasterSubItem: "洪涝灾害",
		Identification: &backstop.CaseBlock{NetIncome: 12000, People: 3, IncomePerCapita: 4000, HousingUnsafe: true}}
	if err := db.CreateCase(ctx, c, &backstop.CaseChange{Start: caseClock(now, 3)}); err != nil {
		t.Fatal(err)
	}
	if c.ID == 0 || c.Episode != 1 || c.Version != 1 || c.Village != "620722107206" {
		t.Fatalf("created %+v", c)
	}
	got, err := db.FindCase(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != backstop.CaseInProcedure || got.Step != "application" || len(got.Steps) != 3 || got.Identification == nil || !got.Identification.HousingUnsafe ||
		got.DisasterSubItem != "洪涝灾害" || !slices.Equal(got.RiskTypes, []string{"100A27006"}) || got.HeadName == "" {
		t.Fatalf("read back %+v", got)
	}
	clk, err := db.FindClock(ctx, backstop.ClockCaseStep, "case:"+itoa(c.ID)+":v1:application")
	if err != nil || clk.State != backstop.ClockRunning || clk.Region != c.Village {
		t.Fatalf("step clock %+v %v", clk, err)
	}
	// One open case per household.
	if err := db.CreateCase(ctx, &backstop.Case{Household: normal, Source: backstop.CaseFromManual, Procedure: "gansu_normal", State: backstop.CaseInProcedure}, nil); backstop.ErrorCode(err) != backstop.ECONFLICT {
		t.Fatalf("second open case: %v", err)
	}
	// Two officers doing the same step at once: one wins.
	errs := twice(func(i int) error {
		cp := *got
		cp.Step = "home_check"
		return db.UpdateCase(ctx, &cp, &backstop.CaseChange{Step: &backstop.CaseStep{Phase: backstop.PhaseIdentify, Step: "application", Ordinal: 1, Role: backstop.RoleVillage, Outcome: backstop.OutcomePass,
			Note: "签字", Attachments: []backstop.Attachment{{Hash: "ab", ContentType: "image/jpeg", Bytes: 10}}}, Start: caseClock(now, 5)})
	})
	oneWins(t, "two advances", errs)
	got, _ = db.FindCase(ctx, c.ID)
	recorded, err := db.CaseSteps(ctx, c.ID)
	if err != nil || len(recorded) != 1 || recorded[0].Step != "application" || recorded[0].By == "" || len(recorded[0].Attachments) != 1 || got.Version != 2 || got.Step != "home_check" {
		t.Fatalf("after the advance: %+v, steps %+v, %v", got, recorded, err)
	}
	if clk, _ := db.FindClock(ctx, backstop.ClockCaseStep, "case:"+itoa(c.ID)+":v1:application"); clk.State != backstop.ClockMet {
		t.Errorf("the done step's clock: %s", clk.State)
	}
	if clk, err := db.FindClock(ctx, backstop.ClockCaseStep, "case:"+itoa(c.ID)+":v2:home_check"); err != nil || clk.State != backstop.ClockRunning {
		t.Errorf("the next step's clock: %+v %v", clk, err)
	}
	// A stale version loses.
	stale := *got
	stale.Version = 1
	if err := db.UpdateCase(ctx, &stale, nil); backstop.ErrorCode(err) != backstop.ECONFLICT {
		t.Errorf("stale update: %v", err)
	}

	// Scope: a county officer elsewhere neither reads nor writes it; the
	// county's own does.
	other := UserContext(t, db, "gz-cases", backstop.RoleCounty, "620702")
	// Outside the region a case is not found, as if it did not exist (the
	// use case answers a write with EFORBIDDEN, backstop.NotInRegion).
	if _, err := db.FindCase(other, c.ID); backstop.ErrorCode(err) != backstop.ENOTFOUND {
		t.Errorf("find outside: %v", err)
	}
	if err := db.UpdateCase(other, got, nil); backstop.ErrorCode(err) != backstop.ENOTFOUND {
		t.Errorf("update outside: %v", err)
	}
	if _, err := db.CaseSteps(other, c.ID); backstop.ErrorCode(err) != backstop.ENOTFOUND {
		t.Errorf("steps outside: %v", err)
	}
	if err := db.CreateCase(other, &backstop.Case{Household: green, Source: backstop.CaseFromManual, Procedure: "gansu_normal", State: backstop.CaseInProcedure}, nil); backstop.ErrorCode(err) != backstop.EFORBIDDEN {
		t.Errorf("create outside: %v", err)
	}
	if list, total, err := db.FindCases(other, backstop.CaseFilter{}); err != nil || total != 0 || len(list) != 0 {
		t.Errorf("list outside: %d %v", total, err)
	}
	minle := UserContext(t, db, "ml-cases", backstop.RoleCounty, "620722")
	if _, err := db.FindCase(minle, c.ID); err != nil {
		t.Errorf("find inside: %v", err)
	}
	if _, err := db.FindCase(ctx, 999999); backstop.ErrorCode(err) != backstop.ENOTFOUND {
		t.Errorf("absent case: %v", err)
	}

	// The green channel: active at once, the steps as debts with their
	// clocks, the household monitored in the same transaction.
	g := &backstop.Case{Household: green, Source: backstop.CaseFromAssessment, Procedure: "gansu_normal", PolicyID: 1, Steps: steps, State: backstop.CaseActive,
		GreenChannel: true, LossReportID: 7, IdentifiedOn: now.In(backstop.Beijing).Format(time.DateOnly), RiskTypes: []string{"100A27006"}, MonitorType: backstop.MonitorSuddenHardship}
	var debts []*backstop.CaseDebt
	var clocks []*backstop.Clock
	for i, st := range steps {
		debts, clocks = append(debts, &backstop.CaseDebt{Step: st.Code, ZH: st.ZH}), append(clocks, caseClock(now, i+1))
	}
	if err := db.CreateCase(ctx, g, &backstop.CaseChange{NewDebts: debts, DebtClocks: clocks, Action: "case.green_channel",
		Decision: &backstop.MonitoringDecision{Monitored: true, MonitorType: g.MonitorType, IdentifiedOn: g.IdentifiedOn, RiskTypes: g.RiskTypes}}); err != nil {
		t.Fatal(err)
	}
	if g.OpenDebts != 3 || debts[0].ClockID == 0 || debts[0].Due == "" {
		t.Fatalf("green channel %+v, debt %+v", g, debts[0])
	}
	h, _ := db.FindHousehold(ctx, green)
	if h.Groups&backstop.GroupMonitored == 0 || h.LocalDecision == nil || h.LocalDecision.Source != "case:"+itoa(g.ID) {
		t.Fatalf("household after the green channel: %v %+v", h.Groups.Names(), h.LocalDecision)
	}
	// Paying a debt is doing its step; a debt is paid once.
	g, _ = db.FindCase(ctx, g.ID)
	pay := func(cs *backstop.Case) error {
		return db.UpdateCase(ctx, cs, &backstop.CaseChange{PayDebt: "application",
			Step: &backstop.CaseStep{Phase: backstop.PhaseIdentify, Step: "application", Ordinal: 1, Role: backstop.RoleVillage, Outcome: backstop.OutcomePass, Late: true}})
	}
	if err := pay(g); err != nil {
		t.Fatal(err)
	}
	if g.OpenDebts != 2 {
		t.Errorf("open debts after paying one: %d", g.OpenDebts)
	}
	if err := pay(g); backstop.ErrorCode(err) != backstop.ECONFLICT {
		t.Errorf("paying twice: %v", err)
	}
	ds, err := db.CaseDebts(ctx, g.ID, now.AddDate(0, 0, 10))
	if err != nil || len(ds) != 3 || ds[0].PaidAt == nil || ds[1].PaidAt != nil || !ds[1].Overdue || ds[0].Overdue {
		t.Fatalf("debts %+v %v", ds, err)
	}
	if clk, _ := db.FindClock(ctx, backstop.ClockCaseDebt, "case:"+itoa(g.ID)+":debt:application"); clk.State != backstop.ClockMet {
		t.Errorf("a paid debt's clock: %s", clk.State)
	}

	// Filters.
	yes := true
	for _, tc := range []struct {
		name string
		f    backstop.CaseFilter
		want int
	}{
		{"all", backstop.CaseFilter{}, 2},
		{"state", backstop.CaseFilter{State: "active"}, 1},
		{"green", backstop.CaseFilter{GreenChannel: &yes}, 1},
		{"debts", backstop.CaseFilter{HasDebts: true}, 1},
		{"overdue later", backstop.CaseFilter{Overdue: true, Now: now.AddDate(0, 1, 0)}, 2},
		{"overdue now", backstop.CaseFilter{Overdue: true, Now: now}, 0},
		{"region", backstop.CaseFilter{Region: "620722"}, 1},
		{"household", backstop.CaseFilter{Household: green}, 1},
	} {
		if list, total, err := db.FindCases(ctx, tc.f); err != nil || total != tc.want || len(list) != tc.want {
			t.Errorf("filter %s: %d (%d) %v, want %d", tc.name, total, len(list), err, tc.want)
		}
	}
	if _, _, err := db.FindCases(ctx, backstop.CaseFilter{State: "closed"}); backstop.ErrorCode(err) != backstop.EINVALID {
		t.Errorf("bad state filter: %v", err)
	}
	if oc, err := db.OpenCase(ctx, green); err != nil || oc.ID != g.ID {
		t.Errorf("open case: %v", err)
	}

	// The comparison lists: the green-channel household is approved here
	// and not in the national system.
	local, n, err := db.NationalDiff(ctx, backstop.DiffLocalOnly, "", 0, 50)
	if err != nil || n != 1 || local[0].Household != green || local[0].CaseID != g.ID {
		t.Errorf("local only: %+v %d %v", local, n, err)
	}
	national, _, err := db.NationalDiff(ctx, backstop.DiffNationalOnly, "", 0, 50)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range national {
		if r.Household == green {
			t.Errorf("national only lists a household with a local case")
		}
	}
	if _, n, _ := db.NationalDiff(other, backstop.DiffLocalOnly, "", 0, 50); n != 0 {
		t.Errorf("local only outside: %d", n)
	}
	if _, _, err := db.NationalDiff(ctx, "both", "", 0, 50); backstop.ErrorCode(err) != backstop.EINVALID {
		t.Errorf("bad kind: %v", err)
	}

	// Measures: a case's plan and a department's queue, changed by
	// compare-and-set, scoped.
	amount := 30000.0
	m := &backstop.Measure{CaseID: g.ID, Category: "住房安全保障", Item: "危房改造", Department: "housing", Person: "王工", Status: backstop.MeasurePlanned, Amount: &amount,
		PlannedOn: "2026-07-01"}
	if err := db.CreateMeasure(ctx, m); err != nil {
		t.Fatal(err)
	}
	if m.Household != green || m.Village != g.Village || m.Version != 1 {
		t.Fatalf("measure %+v", m)
	}
	if err := db.CreateMeasure(ctx, &backstop.Measure{CaseID: c.ID, Category: "健康帮扶", Item: "医疗救助", Department: "medical_insurance", Status: backstop.MeasurePlanned}); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateMeasure(other, &backstop.Measure{CaseID: g.ID, Category: "健康帮扶", Item: "医疗救助", Status: backstop.MeasurePlanned}); backstop.ErrorCode(err) != backstop.ENOTFOUND {
		t.Errorf("measure outside: %v", err)
	}
	errs = twice(func(i int) error {
		cp := *m
		cp.Status, cp.StartedOn = backstop.MeasureInProgress, "2026-07-02"
		return db.UpdateMeasure(ctx, &cp)
	})
	oneWins(t, "two measure updates", errs)
	got2, err := db.FindMeasure(ctx, m.ID)
	if err != nil || got2.Status != backstop.MeasureInProgress || got2.StartedOn != "2026-07-02" || got2.Version != 2 || got2.Amount == nil || *got2.Amount != amount {
		t.Fatalf("measure after update %+v %v", got2, err)
	}
	if _, err := db.FindMeasure(other, m.ID); backstop.ErrorCode(err) != backstop.ENOTFOUND {
		t.Errorf("find measure outside: %v", err)
	}
	wrongCase := *got2
	wrongCase.CaseID = c.ID
	if err := db.UpdateMeasure(ctx, &wrongCase); backstop.ErrorCode(err) != backstop.ENOTFOUND {
		t.Errorf("measure of another case: %v", err)
	}
	if ms, n, err := db.FindMeasures(ctx, backstop.MeasureFilter{CaseID: g.ID}); err != nil || n != 1 || ms[0].ID != m.ID {
		t.Errorf("a case's measures: %d %v", n, err)
	}
	if ms, n, err := db.FindMeasures(ctx, backstop.MeasureFilter{Department: "medical_insurance"}); err != nil || n != 1 || ms[0].CaseID != c.ID {
		t.Errorf("a department's queue: %d %v", n, err)
	}
	if _, n, _ := db.FindMeasures(minle, backstop.MeasureFilter{}); n != 1 {
		t.Errorf("measures in 民乐: %d", n)
	}
	// Every change left its audit row in the case's region.
	entries, _, err := db.FindAudit(ctx, backstop.AuditFilter{Limit: 200})
	if err != nil {
		t.Fatal(err)
	}
	actions := map[string]int{}
	for _, e := range entries {
		actions[e.Action]++
	}
	for _, a := range []string{"case.create", "case.green_channel", "case.update", "measure.create", "measure.update", "monitoring.decide"} {
		if actions[a] == 0 {
			t.Errorf("no audit row %s (have %v)", a, actions)
		}
	}
}
