package cases_test

import (
	"os"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/assist"
	"github.com/zhangye-backstop/backstop/cases"
	"github.com/zhangye-backstop/backstop/clock"
	"github.com/zhangye-backstop/backstop/demo"
	"github.com/zhangye-backstop/backstop/sqlstore"
	"github.com/zhangye-backstop/backstop/storetest"
	"github.com/zhangye-backstop/backstop/workday"
)

// A province-sized registry of open cases (issue 12's speed targets):
// 100,000 households of the synthetic Zhangye, one open case each (a third
// on the green channel with three open debts, the rest in procedure at a
// step with its clock), one recorded step and one measure each, and 1 %
// of the clocks overdue. The cases are written by SQL in bulk (making
// them one by one through the use case is what the API tests do).
//
//	CI=true nice go test ./cases -run '^$' -bench . -benchtime 20x -timeout 30m

const benchCases = 100_000

// benchSize is benchCases, or BACKSTOP_BENCH_CASES for a quick run.
func benchSize() int {
	if n, err := strconv.Atoi(os.Getenv("BACKSTOP_BENCH_CASES")); err == nil && n > 0 {
		return n
	}
	return benchCases
}

type bigCases struct {
	db  *sqlstore.DB
	svc *cases.Service
	ids []int64
}

func loadBig(b *testing.B, name string, open func(testing.TB) *sqlstore.DB) *bigCases {
	b.Helper()
	db := open(b)
	ctx := storetest.Admin()
	start := time.Now()
	if _, err := demo.Fill(ctx, db, benchSize(), 7, nil); err != nil {
		b.Fatal(err)
	}
	b.Logf("%s: %d households in %s", name, benchSize(), time.Since(start).Round(time.Millisecond))
	start = time.Now()
	steps := `[{"code":"application","zh":"申请","role":"village","limit":2,"unit":"workdays","kind":"application"},{"code":"home_check","zh":"入户核实","role":"village","limit":3,"unit":"workdays","kind":"home_check"},{"code":"county_approval","zh":"县级审批","role":"county","limit":4,"unit":"workdays","kind":"approval"}]`
	now := time.Now().UTC()
	w := db.WriteDB()
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO cases (household_id, household, village_code, source, procedure_name, policy_id, procedure_steps, state, step, green_channel, identified_on, risk_types,
 disaster_sub_item, episode, open_debts, created_by, created_at, updated_at)
 SELECT id, number, village_code, 'manual', 'gansu_normal', 1, ?, CASE WHEN id % 3 = 0 THEN 'active' ELSE 'in_procedure' END, CASE WHEN id % 3 = 0 THEN '' ELSE 'home_check' END,
 (id % 3 = 0), CASE WHEN id % 3 = 0 THEN '2026-01-05' ELSE '' END, '["100A27006"]', CASE WHEN id % 7 = 0 THEN '' ELSE '洪涝灾害' END, 1,
 CASE WHEN id % 3 = 0 THEN 3 ELSE 0 END, 'bench', ?, ? FROM households WHERE NOT deleted`, []any{steps, now, now}},
		{`INSERT INTO case_steps (case_id, phase, step, ordinal, role, outcome, done_by, done_at) SELECT id, 'identify', 'application', 1, 'village', 'pass', 'bench', ? FROM cases`, []any{now}},
		{`INSERT INTO measures (case_id, household, village_code, category, item, department, person, status, planned_on, created_by, created_at, updated_at)
 SELECT id, household, village_code, '产业帮扶', '养殖业', 'agriculture', '张工', CASE WHEN id % 2 = 0 THEN 'done' ELSE 'planned' END, '2026-02-01', 'bench', ?, ? FROM cases WHERE id % 4 <> 0`, []any{now, now}},
		// A loan for a third of the households (microcredit, in several
		// states), which the dashboard counts by state.
		{`INSERT INTO loans (household_id, village_code, kind, bank, amount, term_months, rate, purpose, purpose_name, borrower_member, borrower_name, borrower_id_number,
 borrower_age, applied_on, granted_on, first_due_on, due_on, state, subsidized_principal, subsidy_pct, policy_ids, stream_id, created_by, created_at, updated_at)
 SELECT id, village_code, 'new', '农商银行', 30000, 36, 3.45, 'planting', '种植业', number || '01', head_name, '620702198001010000', 46, '2025-01-01',
 CASE WHEN id % 7 = 0 THEN '' ELSE '2025-01-10' END, '2025-04-10', CASE WHEN id % 7 = 0 THEN '' WHEN id % 7 = 1 THEN '2025-12-10' ELSE '2028-01-10' END,
 CASE id % 7 WHEN 0 THEN 'applied' WHEN 5 THEN 'repaid' WHEN 6 THEN 'extended' ELSE 'granted' END, 30000, 70, '[1]', 0, 'bench', ?, ?
 FROM households WHERE NOT deleted AND id % 3 = 0`, []any{now, now}},
		// What the store keeps beside a case for the loop's dashboard.
		{`UPDATE cases SET helped = EXISTS (SELECT 1 FROM measures m WHERE m.case_id = cases.id AND (m.status IN ('in_progress', 'done') OR m.started_on <> '')), reported_on = ?`,
			[]any{now.In(backstop.Beijing).Format(time.DateOnly)}},
		// The step clocks of the cases in procedure: 1 % overdue.
		{`INSERT INTO clocks (kind, subject, region_code, started_at, limit_value, limit_unit, due_at, due_date, provisional, state, fire_at)
 SELECT 'case.step', 'case:' || id || ':v2:home_check', village_code, ?, 3, 'workdays', ?, '', (1 = 0), 'running', ? FROM cases WHERE state = 'in_procedure' AND id % 100 = 1`,
			[]any{now, now.Add(-time.Hour), now.Add(-time.Hour)}},
		{`INSERT INTO clocks (kind, subject, region_code, started_at, limit_value, limit_unit, due_at, due_date, provisional, state, fire_at)
 SELECT 'case.step', 'case:' || id || ':v2:home_check', village_code, ?, 3, 'workdays', ?, '', (1 = 0), 'running', ? FROM cases WHERE state = 'in_procedure' AND id % 100 <> 1`,
			[]any{now, now.Add(72 * time.Hour), now.Add(72 * time.Hour)}},
		{`INSERT INTO case_debts (case_id, step, zh, due_date, due_at, created_at) SELECT id, 'application', '申请', '2026-12-31', ?, ? FROM cases WHERE green_channel = ?`, []any{now.Add(72 * time.Hour), now, true}},
		{`INSERT INTO case_debts (case_id, step, zh, due_date, due_at, created_at) SELECT id, 'home_check', '入户核实', '2026-12-31', ?, ? FROM cases WHERE green_channel = ?`, []any{now.Add(72 * time.Hour), now, true}},
		{`INSERT INTO case_debts (case_id, step, zh, due_date, due_at, created_at) SELECT id, 'county_approval', '县级审批', '2026-12-31', ?, ? FROM cases WHERE green_channel = ?`, []any{now.Add(72 * time.Hour), now, true}},
	} {
		if _, err := w.ExecContext(ctx, db.Rebind(q.sql), q.args...); err != nil {
			b.Fatalf("%s: %v", q.sql[:40], err)
		}
	}
	// PostgreSQL's autovacuum would have run after so many inserts (it
	// sets the visibility map that index-only scans read); do it now.
	analyze := `ANALYZE`
	if db.Dialect() == sqlstore.Postgres {
		analyze = `VACUUM ANALYZE`
	}
	if _, err := w.ExecContext(ctx, analyze); err != nil {
		b.Fatal(err)
	}
	rows, err := db.WriteDB().QueryContext(ctx, `SELECT id FROM cases ORDER BY id`)
	if err != nil {
		b.Fatal(err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		rows.Scan(&id)
		ids = append(ids, id)
	}
	rows.Close()
	b.Logf("%s: %d cases with steps, measures, clocks and debts in %s", name, len(ids), time.Since(start).Round(time.Millisecond))
	cal := &workday.Service{Store: db}
	if err := cal.Load(ctx); err != nil {
		b.Fatal(err)
	}
	big := &bigCases{db: db, svc: &cases.Service{Store: db, Clocks: &clock.Engine{Store: db, Calendar: cal}}, ids: ids}
	return big
}

// BenchmarkCases loads the registry once per engine and measures each
// target on it.
func BenchmarkCases(b *testing.B) {
	for _, e := range storetest.Engines {
		b.Run(e.Name, func(b *testing.B) {
			big := loadBig(b, e.Name, e.Open)
			b.Run("OverdueSweep", func(b *testing.B) { benchOverdueSweep(b, big) })
			b.Run("ClaimDue", func(b *testing.B) { benchClaimDue(b, big) })
			b.Run("CasePage", func(b *testing.B) { benchCasePage(b, big) })
			b.Run("NationalChecks", func(b *testing.B) { benchNationalChecks(b, big) })
			b.Run("ProblemsList", func(b *testing.B) { benchProblemsList(b, big) })
		})
	}
}

// benchOverdueSweep finds every overdue case clock among the
// running ones (1,000 of the 66,667 step clocks, beside the debts): the
// list the sweep and the overdue filter read.
func benchOverdueSweep(b *testing.B, big *bigCases) {
	{
		ctx := storetest.Admin()
		for b.Loop() {
			n := 0
			for off := 0; ; off += 1000 {
				cs, total, err := big.db.FindClocks(ctx, backstop.ClockFilter{Kind: backstop.ClockCaseStep, State: "overdue", Now: time.Now(), Offset: off, Limit: 1000})
				if err != nil {
					b.Fatal(err)
				}
				n += len(cs)
				if off+1000 >= total {
					break
				}
			}
			if n < len(big.ids)/300 {
				b.Fatalf("%d overdue clocks", n)
			}
		}
	}
}

// benchClaimDue claims the due clocks as the engine's sweep does
// (a batch of 50 claimed among 100,000 open cases' clocks), then gives
// them back.
func benchClaimDue(b *testing.B, big *bigCases) {
	{
		ctx := storetest.Admin()
		for b.Loop() {
			now := time.Now()
			cs, err := big.db.ClaimDueClocks(ctx, "bench", now, now.Add(time.Minute), 50)
			if err != nil || len(cs) == 0 {
				b.Fatalf("claimed %d: %v", len(cs), err)
			}
			b.StopTimer()
			for _, c := range cs {
				big.db.FailClock(ctx, c.ID, "bench", "bench", now.Add(-time.Minute))
			}
			b.StartTimer()
		}
	}
}

// benchCasePage reads case pages (the case, its steps, debts, measures
// and problems) by id, spread over the registry, 100 an op; p50 and p95
// of one page are reported.
func benchCasePage(b *testing.B, big *bigCases) {
	{
		ctx := storetest.Admin()
		var took []time.Duration
		i := 0
		for b.Loop() {
			// 100 pages an op, so that a short run has a median.
			for range 100 {
				id := big.ids[(i*7919)%len(big.ids)]
				i++
				start := time.Now()
				v, err := big.svc.View(ctx, id)
				took = append(took, time.Since(start))
				if err != nil || v.ID != id {
					b.Fatalf("case %d: %v", id, err)
				}
			}
		}
		sort.Slice(took, func(i, j int) bool { return took[i] < took[j] })
		b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(took[len(took)*95/100].Microseconds())/1000, "p95-ms")
	}
}

// benchNationalChecks runs the national checks over every case.
func benchNationalChecks(b *testing.B, big *bigCases) {
	{
		ctx := storetest.Admin()
		for b.Loop() {
			problems := 0
			n, err := big.svc.CheckAll(ctx, "", func(c *backstop.Case, ps []backstop.Problem) error {
				problems += len(ps)
				return nil
			})
			if err != nil || n != len(big.ids) {
				b.Fatalf("checked %d of %d: %v", n, len(big.ids), err)
			}
			if problems == 0 {
				b.Fatal("no problem found")
			}
			b.ReportMetric(float64(problems), "problems")
		}
	}
}

// benchProblemsList is GET /api/v1/cases/problems end to end below HTTP:
// every check (this package's and assist's, with each case's household,
// members and measures read from the store) over every case of the city,
// the first page of problems.
func benchProblemsList(b *testing.B, big *bigCases) {
	ctx := storetest.Admin()
	svc := &assist.Service{Store: big.db}
	for b.Loop() {
		page, total, checked, truncated, err := svc.Problems(ctx, "620700", 0, 100)
		if err != nil || checked != len(big.ids) || truncated || total == 0 || len(page) != 100 {
			b.Fatalf("checked %d of %d (truncated %v), %d problems: %v", checked, len(big.ids), truncated, total, err)
		}
		b.ReportMetric(float64(total), "problems")
	}
}
