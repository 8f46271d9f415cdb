package sqlstore_test

import (
	"sync"
	"testing"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/demo"
	"github.com/zhangye-backstop/backstop/sqlstore"
	"github.com/zhangye-backstop/backstop/storetest"
)

// The loans of a city: 20,000 demo households with five loans each
// (100,000 loans, every state), written in one statement; the benchmarks
// time the dashboard's counts by state and the loans list of the city.
//
//	go test ./sqlstore -run '^$' -bench Loans -benchtime 20x

var (
	loanBenchMu  sync.Mutex
	loanBenchDBs = map[string]*sqlstore.DB{}
)

const loanBenchInsert = `WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 4)
INSERT INTO loans (household_id, village_code, kind, bank, amount, term_months, rate, purpose, purpose_name, borrower_member, borrower_name, borrower_id_number,
 borrower_age, applied_on, granted_on, first_due_on, due_on, state, subsidized_principal, subsidy_pct, policy_ids, stream_id, created_by, created_at, updated_at)
SELECT h.id, h.village_code, CASE WHEN n.i = 0 THEN 'new' ELSE 'top_up' END, '农商银行', 10000, 36, 3.45, 'planting', '种植业', h.number || '01', h.head_name, '620702198001010000',
 46, '2025-01-01', CASE WHEN (h.id + n.i) % 7 = 0 THEN '' ELSE '2025-01-10' END, '2025-04-10',
 CASE WHEN (h.id + n.i) % 7 = 0 THEN '' WHEN (h.id + n.i) % 7 = 1 THEN '2025-12-10' ELSE '2028-01-10' END,
 CASE (h.id + n.i) % 7 WHEN 0 THEN 'applied' WHEN 5 THEN 'repaid' WHEN 6 THEN 'extended' ELSE 'granted' END,
 10000, 70, '[1]', 0, 'bench', '2026-01-01 00:00:00+00:00', '2026-01-01 00:00:00+00:00'
FROM households h CROSS JOIN n`

func loanBenchDB(b *testing.B, engine string, open func(testing.TB) *sqlstore.DB) *sqlstore.DB {
	b.Helper()
	loanBenchMu.Lock()
	defer loanBenchMu.Unlock()
	if db := loanBenchDBs[engine]; db != nil {
		return db
	}
	db := open(b)
	ctx := storetest.Admin()
	if _, err := demo.Fill(ctx, db, 20000, 1, nil); err != nil {
		b.Fatal(err)
	}
	if err := db.ExecForTest(ctx, loanBenchInsert); err != nil {
		b.Fatal(err)
	}
	if err := db.ExecForTest(ctx, "ANALYZE"); err != nil {
		b.Fatal(err)
	}
	n, err := db.QueryIntForTest(ctx, `SELECT count(*) FROM loans`)
	if err != nil || n != 100000 {
		b.Fatalf("%d loans: %v", n, err)
	}
	loanBenchDBs[engine] = db
	return db
}

func BenchmarkLoans(b *testing.B) {
	for _, e := range storetest.Engines {
		b.Run(e.Name, func(b *testing.B) {
			db := loanBenchDB(b, e.Name, e.Open)
			city := storetest.UserContext(b, db, "bench-city", backstop.RoleCity, "620700000000")
			today := "2026-12-01"
			b.Run("counts/city", func(b *testing.B) {
				for b.Loop() {
					c, err := db.LoanCounts(city, "620700", today)
					if err != nil || c["overdue"] == 0 || c["repaying"] == 0 {
						b.Fatalf("%v %v", c, err)
					}
				}
			})
			b.Run("list/city/first-page", func(b *testing.B) {
				for b.Loop() {
					if ls, total, err := db.FindLoans(city, backstop.LoanFilter{Region: "620700", Today: today, Limit: 100}); err != nil || total != 100000 || len(ls) != 100 {
						b.Fatalf("%d %d %v", len(ls), total, err)
					}
				}
			})
			b.Run("list/city/overdue/page-50", func(b *testing.B) {
				for b.Loop() {
					if _, total, err := db.FindLoans(city, backstop.LoanFilter{Region: "620700", State: backstop.LoanOverdue, Today: today, Offset: 5000, Limit: 100}); err != nil || total == 0 {
						b.Fatalf("%d %v", total, err)
					}
				}
			})
		})
	}
}
