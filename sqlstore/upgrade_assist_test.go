package sqlstore_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/sqlstore"
	"github.com/zhangye-backstop/backstop/storetest"
)

// TestUpgradeGivesRepairsClocks: water repairs opened under schema 18
// (no clock, no stream) get a stream — the household's open case's, else
// their own — and the open ones a running clock due the day after their
// due date; a referral clock that fired the handler that told nobody is
// due again from the township's stage.
func TestUpgradeGivesRepairsClocks(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			ctx := storetest.Admin()
			old, opt := openAtSchema(t, engine, 18)
			storetest.LoadRegions(t, old)
			for i, number := range []string{"6207231012019101", "6207231012019102"} {
				first17 := fmt.Sprintf("62072319800101%03d", i+1)
				h := &backstop.Household{Number: number, VillageCode: number[:12], HeadName: "户主" + number[12:], Type: "一般农户",
					Members: []*backstop.Member{{Number: number + "01", Name: "户主" + number[12:], Relation: "户主", IDNumber: first17 + string(backstop.IDCheckDigit(first17))}}}
				if err := old.CreateHousehold(ctx, h); err != nil {
					t.Fatal(err)
				}
			}
			c := &backstop.Case{Household: "6207231012019101", Source: backstop.CaseSource("assessment"), State: backstop.CaseActive}
			if err := old.CreateCase(ctx, c, nil); err != nil {
				t.Fatal(err)
			}
			opened := time.Date(2026, 11, 20, 10, 0, 0, 0, backstop.Beijing).UTC()
			repairs := []struct {
				number, state string
			}{{"6207231012019101", "open"}, {"6207231012019102", "open"}, {"6207231012019102", "done"}}
			for _, r := range repairs {
				if err := old.ExecForTest(ctx, `INSERT INTO water_repairs (household_id, village_code, problem, assignee, due_on, state, created_by, created_at) VALUES ((SELECT id FROM households WHERE number = ?), '620723101201', '管道', '王', '2026-12-04', ?, 'test', ?)`,
					r.number, r.state, opened); err != nil {
					t.Fatal(err)
				}
			}
			ref := &backstop.Clock{Kind: backstop.ClockReferralAnswer, Subject: "measure:7", Region: "620723101201", StartedAt: opened, LimitValue: 10, LimitUnit: backstop.UnitWorkdays,
				Due: time.Date(2026, 12, 5, 0, 0, 0, 0, backstop.Beijing), DueDate: "2026-12-04"}
			if err := old.StartClock(ctx, ref); err != nil {
				t.Fatal(err)
			}
			if err := old.ExecForTest(ctx, `UPDATE clocks SET stage = 1, fire_at = NULL WHERE id = ?`, ref.ID); err != nil {
				t.Fatal(err)
			}
			old.Close()

			opt.StopAtVersion = 0
			db, err := sqlstore.Open(context.Background(), opt)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			rs, _, err := db.FindWaterRepairs(ctx, "", "", false, 0, 10)
			if err != nil || len(rs) != 3 {
				t.Fatalf("repairs: %d %v", len(rs), err)
			}
			streams := map[int64]bool{}
			due := time.Date(2026, 12, 5, 0, 0, 0, 0, backstop.Beijing)
			for _, r := range rs {
				streams[r.StreamID] = true
				switch {
				case r.Household == "6207231012019101" && r.StreamID != c.StreamID:
					t.Errorf("the repair of the household with a case: stream %d, not the case's %d", r.StreamID, c.StreamID)
				case r.Household == "6207231012019102" && (r.StreamID == 0 || r.StreamID == c.StreamID):
					t.Errorf("the repair of a household without a case: stream %d", r.StreamID)
				}
				clk, err := db.FindClock(ctx, backstop.ClockWaterRepair, fmt.Sprintf("water_repair:%d", r.ID))
				if r.State == backstop.RepairDone {
					if backstop.ErrorCode(err) != backstop.ENOTFOUND {
						t.Errorf("a repair done got a clock: %+v %v", clk, err)
					}
					continue
				}
				if err != nil {
					t.Fatal(err)
				}
				if clk.State != backstop.ClockRunning || !clk.Due.Equal(due) || clk.FireAt == nil || !clk.FireAt.Equal(due) || clk.DueDate != "2026-12-04" ||
					clk.LimitUnit != backstop.UnitDays || clk.LimitValue != 14 || clk.Region != "620723101201" || clk.Provisional || !clk.StartedAt.Equal(opened) {
					t.Errorf("the clock of an open repair: %+v", clk)
				}
			}
			if len(streams) != 3 {
				t.Errorf("streams %v: each repair of the household without a case needs its own", streams)
			}
			if n, err := db.QueryIntForTest(context.Background(), `SELECT count(*) FROM streams WHERE kind = 'water_repair'`); err != nil || n != 2 {
				t.Errorf("repair streams: %d %v", n, err)
			}
			clk, err := db.FindClock(ctx, backstop.ClockReferralAnswer, "measure:7")
			if err != nil || clk.Stage != 0 || clk.FireAt == nil || !clk.FireAt.Equal(clk.Due) || clk.State != backstop.ClockRunning {
				t.Errorf("the referral clock after the upgrade: %+v %v", clk, err)
			}
			// A repair opened after the upgrade gets the next ids.
			r := &backstop.WaterRepair{Household: "6207231012019102", Problem: "水窖", Assignee: "李", DueOn: "2026-12-20"}
			if err := db.CreateWaterRepair(ctx, r, &backstop.Clock{StartedAt: opened, LimitValue: 10, LimitUnit: backstop.UnitWorkdays, Due: due, DueDate: r.DueOn}); err != nil {
				t.Fatal(err)
			}
			if streams[r.StreamID] {
				t.Errorf("a new repair reused stream %d", r.StreamID)
			}
		})
	}
}
