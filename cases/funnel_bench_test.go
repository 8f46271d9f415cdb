package cases_test

import (
	"sort"
	"testing"
	"time"

	"github.com/zhangye-backstop/backstop/funnel"
	"github.com/zhangye-backstop/backstop/loans"
	"github.com/zhangye-backstop/backstop/storetest"
	"github.com/zhangye-backstop/backstop/workday"
)

// BenchmarkFunnel reads the loop's dashboard of the city (all 100,000
// open cases of the province-sized registry, its counties as the
// sub-regions, loans by state among them), on the registry BenchmarkCases
// builds; p50 and p95 are reported. Target (issue 12): ≤ 200 ms.
//
//	CI=true nice go test ./cases -run '^$' -bench Funnel -benchtime 20x -timeout 30m
func BenchmarkFunnel(b *testing.B) {
	for _, e := range storetest.Engines {
		b.Run(e.Name, func(b *testing.B) {
			big := loadBig(b, e.Name, e.Open)
			cal := &workday.Service{Store: big.db}
			if err := cal.Load(storetest.Admin()); err != nil {
				b.Fatal(err)
			}
			svc := &funnel.Service{Store: big.db, Calendar: cal, Loans: &loans.Service{Store: big.db}}
			b.Run("CityDashboard", func(b *testing.B) {
				ctx := storetest.Admin()
				var took []time.Duration
				for b.Loop() {
					start := time.Now()
					d, err := svc.Read(ctx, "620700")
					took = append(took, time.Since(start))
					if err != nil || d.Found != len(big.ids) || len(d.Children) == 0 || d.Loans["overdue"] == 0 || d.Loans["repaying"] == 0 {
						b.Fatalf("city dashboard: %+v %v", d, err)
					}
				}
				sort.Slice(took, func(i, j int) bool { return took[i] < took[j] })
				b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "p50-ms")
				b.ReportMetric(float64(took[len(took)*95/100].Microseconds())/1000, "p95-ms")
			})
		})
	}
}
