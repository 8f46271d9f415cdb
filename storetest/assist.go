package storetest

import (
	"sync"
	"testing"
	"time"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/sqlstore"
)

// The assistance half of the store: subsidy disbursements capped inside
// the transaction (two at once: one wins), relief summed from a date, a
// water repair finished once by compare-and-set, and every read and write
// limited to the user's region.
func testAssistStore(t *testing.T, db *sqlstore.DB) {
	LoadRegions(t, db)
	importTemplate(t, db)
	ctx := Admin()
	const linze = "6207231012010001"
	outside := UserContext(t, db, "ganzhou-assist", backstop.RoleCounty, "620702000000")
	if err := db.CreateSubsidyRecord(ctx, &backstop.SubsidyRecord{Household: linze, LossReportID: 7, OnlyDwelling: true}); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateSubsidyRecord(outside, &backstop.SubsidyRecord{Household: linze, LossReportID: 7, OnlyDwelling: true}); backstop.ErrorCode(err) != backstop.ENOTFOUND {
		t.Errorf("a subsidy record outside the region: %v", err)
	}
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = db.PayHousingSubsidy(ctx, &backstop.SubsidyRecord{Household: linze, LossReportID: 7, Amount: 30000, PaidOn: "2026-11-01", PaidBy: "财政局"}, 40000)
		}()
	}
	wg.Wait()
	if (errs[0] == nil) == (errs[1] == nil) || (backstop.ErrorCode(errs[0]) != backstop.ECONFLICT && backstop.ErrorCode(errs[1]) != backstop.ECONFLICT) {
		t.Errorf("two payments past the amount: %v, %v", errs[0], errs[1])
	}
	recs, err := db.FindSubsidyRecords(ctx, linze)
	if err != nil || len(recs) != 2 || recs[1].Amount != 30000 || recs[0].Kind != backstop.SubsidyOnlyDwelling {
		t.Errorf("records: %+v %v", recs, err)
	}
	if _, err := db.FindSubsidyRecords(outside, linze); backstop.ErrorCode(err) != backstop.ENOTFOUND {
		t.Errorf("records read outside the region: %v", err)
	}
	for _, g := range []*backstop.ReliefGrant{{Household: linze, Kind: backstop.ReliefTemporary, Amount: 1000, GrantedOn: "2026-10-01"},
		{Household: linze, Kind: backstop.ReliefBasicLiving, Amount: 500, GrantedOn: "2026-11-02"}} {
		if err := db.CreateRelief(ctx, g); err != nil {
			t.Fatal(err)
		}
	}
	gs, total, err := db.FindRelief(ctx, linze, "", 0, 10)
	if err != nil || total != 2 || gs[0].GrantedOn != "2026-11-02" {
		t.Fatalf("relief: %+v %d %v", gs, total, err)
	}
	if sum, ids, err := db.ReliefIncome(ctx, gs[0].HouseholdID, "2026-10-15"); err != nil || sum != 500 || len(ids) != 1 {
		t.Errorf("relief since a date: %v %v %v", sum, ids, err)
	}
	if _, total, _ := db.FindRelief(outside, "", "", 0, 10); total != 0 {
		t.Errorf("relief seen outside the region: %d", total)
	}
	r := &backstop.WaterRepair{Household: linze, Problem: "管道", Assignee: "王", DueOn: "2026-12-10"}
	due := time.Date(2026, 12, 11, 0, 0, 0, 0, backstop.Beijing)
	if err := db.CreateWaterRepair(ctx, r, &backstop.Clock{StartedAt: due.AddDate(0, 0, -14), LimitValue: 10, LimitUnit: backstop.UnitWorkdays, Due: due, DueDate: r.DueOn}); err != nil {
		t.Fatal(err)
	}
	// The repair's clock starts with it, and a household without an open
	// case gives the repair a stream of its own.
	subject := "water_repair:" + itoa(r.ID)
	if clk, err := db.FindClock(ctx, backstop.ClockWaterRepair, subject); err != nil || clk.State != backstop.ClockRunning || clk.Region != "620723101201" || !clk.Due.Equal(due) {
		t.Fatalf("the repair's clock: %+v %v", clk, err)
	}
	if got, err := db.FindWaterRepair(ctx, r.ID); err != nil || got.StreamID == 0 || got.StreamID != r.StreamID || got.HeadName == "" {
		t.Fatalf("the repair read back: %+v %v", got, err)
	}
	if _, err := db.FindWaterRepair(outside, r.ID); backstop.ErrorCode(err) != backstop.ENOTFOUND {
		t.Errorf("a repair read outside the region: %v", err)
	}
	if _, err := db.FinishWaterRepair(outside, r.ID, r.Version, "2026-12-01", ""); backstop.ErrorCode(err) != backstop.ENOTFOUND {
		t.Errorf("a repair finished outside the region: %v", err)
	}
	done, err := db.FinishWaterRepair(ctx, r.ID, r.Version, "2026-12-01", "换管")
	if err != nil || done.State != backstop.RepairDone || done.Version != 2 {
		t.Fatalf("finish: %+v %v", done, err)
	}
	if clk, err := db.FindClock(ctx, backstop.ClockWaterRepair, subject); err != nil || clk.State != backstop.ClockMet || clk.FireAt != nil {
		t.Errorf("the clock of a repair done: %+v %v", clk, err)
	}
	if _, err := db.FinishWaterRepair(ctx, r.ID, r.Version, "2026-12-01", ""); backstop.ErrorCode(err) != backstop.ECONFLICT {
		t.Errorf("finished twice: %v", err)
	}
	w := &backstop.WaterRecord{Kind: backstop.WaterRecheck, Household: linze, On: "2026-12-01", Failures: []string{"人均日供水量18升，低于35升"}}
	if err := db.CreateWaterRecord(ctx, w); err != nil {
		t.Fatal(err)
	}
	if ws, err := db.FindWaterRecords(ctx, linze); err != nil || len(ws) != 1 || len(ws[0].Failures) != 1 {
		t.Errorf("water records: %+v %v", ws, err)
	}
	if err := db.CreateSupplyPoint(outside, &backstop.SupplyPoint{VillageCode: "620723101201", Name: "x", Households: 1}); backstop.ErrorCode(err) != backstop.EFORBIDDEN {
		t.Errorf("a supply point outside the region: %v", err)
	}
}
