package sqlstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/sqlstore"
	"github.com/zhangye-backstop/backstop/storetest"
)

// TestUpgradeCaseLoop: cases written under schema 17 get what the loop's
// dashboard reads from migration 0018 — the older episode of a household
// superseded, helped from a started measure, the report date in Beijing —
// and the dashboard's stage lists count the household once.
func TestUpgradeCaseLoop(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			ctx := context.Background()
			old, opt := openAtSchema(t, engine, 17)
			writeOldRegions(t, old)
			// 20:00 UTC on 1 March is 2 March in Beijing.
			opened := time.Date(2026, 3, 1, 20, 0, 0, 0, time.UTC)
			for _, q := range []string{
				`INSERT INTO households (id, number, village_code, size, people, row_hash, rev, created_at, updated_at) VALUES (1, '6207231012017777', '620723101201', 1, 1, 0, 1, ?, ?)`,
				`INSERT INTO cases (id, household_id, household, village_code, source, procedure_name, policy_id, procedure_steps, state, green_channel, episode, created_by, created_at, updated_at)
 VALUES (1, 1, '6207231012017777', '620723101201', 'manual', 'gansu_normal', 1, '[]', 'refused', FALSE, 1, 'test', ?, ?)`,
				`INSERT INTO cases (id, household_id, household, village_code, source, procedure_name, policy_id, procedure_steps, state, green_channel, episode, identified_on, created_by, created_at, updated_at)
 VALUES (2, 1, '6207231012017777', '620723101201', 'manual', 'gansu_normal', 1, '[]', 'active', FALSE, 2, '2026-03-10', 'test', ?, ?)`,
				`INSERT INTO measures (case_id, household, village_code, category, item, status, started_on, created_by, created_at, updated_at)
 VALUES (2, '6207231012017777', '620723101201', '产业帮扶', '养殖业', 'in_progress', '2026-03-11', 'test', ?, ?)`,
			} {
				if err := old.ExecForTest(ctx, q, opened, opened); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			old.Close()
			opt.StopAtVersion = 0
			db, err := sqlstore.Open(ctx, opt)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			for q, want := range map[string]int64{
				`SELECT COUNT(*) FROM cases WHERE superseded`:                       1,
				`SELECT COUNT(*) FROM cases WHERE superseded AND id = 1`:            1,
				`SELECT COUNT(*) FROM cases WHERE helped AND id = 2`:                1,
				`SELECT COUNT(*) FROM cases WHERE helped`:                           1,
				`SELECT COUNT(*) FROM cases WHERE reported_on = '2026-03-02'`:       2,
				`SELECT COUNT(*) FROM measures WHERE village_code = '620723101201'`: 1,
			} {
				if n, err := db.QueryIntForTest(ctx, q); err != nil || n != want {
					t.Errorf("%s: %d, want %d (%v)", q, n, want, err)
				}
			}
			admin := storetest.Admin()
			for stage, want := range map[string]int{"found": 1, "monitored": 1, "helped": 1, "cleared": 0} {
				if _, total, err := db.FindCases(admin, backstop.CaseFilter{Stage: stage}); err != nil || total != want {
					t.Errorf("stage %s: %d cases, want %d (%v)", stage, total, want, err)
				}
			}
		})
	}
}
