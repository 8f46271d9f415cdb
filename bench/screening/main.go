// Command screening measures what comes after a disaster on a large
// registry (docs/performance.md): making a campaign over an event that
// covers about 300,000 households (its visits written in one
// transaction), a loss report POST with its assessment over HTTP, the
// statistics of a city with 100,000 loss reports, and a county's at-risk
// queue.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/screening"
	"github.com/zhangye-backstop/backstop/server"
	"github.com/zhangye-backstop/backstop/sqlstore"
)

func fail(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "screening bench:", err, backstop.ErrorDetails(err))
		os.Exit(1)
	}
}

func percentile(ds []time.Duration, p float64) time.Duration {
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	return ds[min(len(ds)-1, int(p*float64(len(ds))))]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }

func main() {
	dataDir := flag.String("data", "", "SQLite data directory with demo households")
	dbURL := flag.String("db", "", "PostgreSQL URL with demo households (instead of -data)")
	target := flag.Int("households", 300000, "households the event should cover (townships are added until reached)")
	posts := flag.Int("posts", 300, "loss reports to POST one after another for the latency figures")
	reports := flag.Int("reports", 100000, "loss reports (and assessments) in the city for the statistics and queue figures")
	runs := flag.Int("runs", 21, "runs of each read")
	flag.Parse()
	ctx := backstop.NewContextWithUser(context.Background(), backstop.CommandLineUser("bench"))
	db, err := sqlstore.Open(ctx, sqlstore.Options{URL: *dbURL, DataDir: *dataDir})
	fail(err)
	defer db.Close()
	dir, err := os.MkdirTemp("", "screening-bench")
	fail(err)
	defer os.RemoveAll(dir)
	t0 := time.Now()
	srv, err := server.New(ctx, db, server.Config{DataDir: dir, RequestsPerSecond: 1e6})
	fail(err)
	fmt.Printf("server built (exposure index loaded) in %s\n", time.Since(t0).Round(time.Millisecond))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	fail(err)
	go http.Serve(ln, srv.Handler())
	base := "http://" + ln.Addr().String()
	name := fmt.Sprintf("bench%d", time.Now().UnixNano())
	fail(db.CreateUser(ctx, &backstop.User{Name: name, Role: backstop.RoleCity, Region: "620700000000"}, "correct horse battery"))
	token, _, err := db.CreateToken(ctx, name, "bench", time.Hour)
	fail(err)

	// Townships, county by county, until the target is covered.
	counts, err := db.RegionCounts(ctx, "620700000000")
	fail(err)
	var counties []string
	for code := range counts {
		if backstop.LevelOfCode(code) == backstop.LevelCounty {
			counties = append(counties, code)
		}
	}
	sort.Strings(counties)
	var regions []string
	covered := 0
	for _, county := range counties {
		towns, err := db.RegionCounts(ctx, county)
		fail(err)
		var tcodes []string
		for code := range towns {
			if backstop.LevelOfCode(code) == backstop.LevelTownship {
				tcodes = append(tcodes, code)
			}
		}
		sort.Strings(tcodes)
		for _, t := range tcodes {
			if covered < *target {
				regions = append(regions, t)
				covered += towns[t].Households
			}
		}
	}
	registry := counts["620700000000"].Households
	e, err := srv.Screening.CreateEvent(ctx, screening.EventInput{Hazard: "flood", Title: "基准测试洪涝", StartedAt: time.Now().Add(-time.Hour), Regions: regions})
	fail(err)
	fmt.Printf("registry %d households; event %d over %d townships: %d households\n", registry, e.ID, len(regions), covered)

	// Campaign creation: the default must-visit rules, then every household.
	t0 = time.Now()
	c, err := srv.Screening.CreateCampaign(ctx, screening.CampaignInput{Kind: "post_disaster", EventID: e.ID})
	fail(err)
	fmt.Printf("campaign (must-visit cohorts): %d visits in %s\n", c.Visits, time.Since(t0).Round(time.Millisecond))
	all := &backstop.Policy{Key: backstop.PolicyMustVisit + "pre_season", Region: "620700000000", Data: json.RawMessage(`[{"code":"all","zh":"全部农户（基准测试）"}]`),
		EffectiveFrom: time.Now().AddDate(0, 0, -1), Source: "benchmark: every household"}
	fail(db.CreatePolicy(ctx, all))
	t0 = time.Now()
	c2, err := srv.Screening.CreateCampaign(ctx, screening.CampaignInput{Kind: "pre_season", EventID: e.ID})
	fail(err)
	fmt.Printf("campaign (every household): %d visits in %s\n", c2.Visits, time.Since(t0).Round(time.Millisecond))

	// Loss report POSTs with their assessments, one after another.
	rows, err := db.WriteDB().QueryContext(ctx, db.Rebind(`SELECT h.number FROM households h WHERE h.village_code BETWEEN ? AND ? AND NOT h.deleted ORDER BY h.id LIMIT ?`),
		regions[0][:9]+"000", regions[0][:9]+"999", *posts)
	fail(err)
	var numbers []string
	for rows.Next() {
		var n string
		fail(rows.Scan(&n))
		numbers = append(numbers, n)
	}
	rows.Close()
	client := &http.Client{}
	var lat []time.Duration
	for i, n := range numbers {
		body := fmt.Sprintf(`{"event_id":%d,"house_damage":"%s","house_rooms":%d,"crop_area_mu":5,"crop_loss_pct":%d,"crop_loss_yuan":%d,"claims_yuan":500,
 "water":{"litres_per_person_day":30,"quality_ok":true,"trip_minutes":10,"outage_days":3},"food_clothing_ok":true,"checklist":{"income_change":false,"housing_safety":true}}`,
			e.ID, []string{"none", "moderate", "severe", "collapsed"}[i%4], map[bool]int{true: 0, false: 2}[i%4 == 0], 20+i%70, 3000+i*37%20000)
		req, _ := http.NewRequest("POST", base+"/api/v1/households/"+n+"/loss-reports", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		t := time.Now()
		resp, err := client.Do(req)
		fail(err)
		var out bytes.Buffer
		out.ReadFrom(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 201 {
			fail(fmt.Errorf("POST %s: %d %s", n, resp.StatusCode, out.String()))
		}
		lat = append(lat, time.Since(t))
	}
	fmt.Printf("loss report POST with its assessment (%d, sequential): p50 %s, p95 %s, p99 %s\n", len(lat), ms(percentile(lat, .5)), ms(percentile(lat, .95)), ms(percentile(lat, .99)))

	// 100,000 loss reports (and assessments) in the city, written in bulk.
	t0 = time.Now()
	bulk(ctx, db, e.ID, regions, *reports)
	fmt.Printf("%d more loss reports and assessments written in bulk in %s\n", *reports, time.Since(t0).Round(time.Millisecond))
	get := func(path string) time.Duration {
		req, _ := http.NewRequest("GET", base+path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		t := time.Now()
		resp, err := client.Do(req)
		fail(err)
		var out bytes.Buffer
		out.ReadFrom(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			fail(fmt.Errorf("GET %s: %d %s", path, resp.StatusCode, out.String()))
		}
		return time.Since(t)
	}
	measure := func(what, path string) {
		get(path)
		var ds []time.Duration
		for range *runs {
			ds = append(ds, get(path))
		}
		fmt.Printf("%s: median %s, max %s (%d runs)\n", what, ms(percentile(ds, .5)), ms(percentile(ds, 1)), len(ds))
	}
	measure("statistics of the city (GET /api/v1/events/{id}/statistics?region=620700)", fmt.Sprintf("/api/v1/events/%d/statistics?region=620700", e.ID))
	county := regions[0][:6]
	var queued int
	db.WriteDB().QueryRowContext(ctx, db.Rebind(`SELECT count(*) FROM assessments a JOIN households h ON h.id = a.household_id WHERE a.is_current AND a.at_risk AND (h.groups & 2) = 0 AND a.village_code BETWEEN ? AND ?`),
		county+"000000", county+"999999").Scan(&queued)
	measure(fmt.Sprintf("at-risk queue of county %s, first page of 100 (%d queued)", county, queued), "/api/v1/at-risk?region="+county+"&limit=100")
	if db.Dialect() == sqlstore.Postgres {
		// Right after the bulk write the visibility map is empty and index-only
		// scans visit the heap; autovacuum sets it soon after. Measured both.
		t0 = time.Now()
		_, err = db.WriteDB().ExecContext(ctx, `VACUUM (ANALYZE) households, assessments, loss_reports`)
		fail(err)
		fmt.Printf("after VACUUM (ANALYZE) (%s), as autovacuum leaves the tables:\n", time.Since(t0).Round(time.Millisecond))
		measure("  statistics of the city", fmt.Sprintf("/api/v1/events/%d/statistics?region=620700", e.ID))
		measure("  at-risk queue of the county", "/api/v1/at-risk?region="+county+"&limit=100")
	}
}

// bulk writes n loss reports of the event's households with their
// assessments in one transaction, by INSERT … SELECT: the figures vary
// with the household id so that every class and indicator is counted.
func bulk(ctx context.Context, db *sqlstore.DB, event int64, regions []string, n int) {
	tx, err := db.WriteDB().BeginTx(ctx, nil)
	fail(err)
	var conds []string
	var args []any
	for _, r := range regions {
		lo, hi := backstop.CodeRange(r)
		conds, args = append(conds, "h.village_code BETWEEN ? AND ?"), append(args, lo, hi)
	}
	where := "NOT h.deleted AND (" + strings.Join(conds, " OR ") + ") AND NOT EXISTS (SELECT 1 FROM loss_reports x WHERE x.household_id = h.id AND x.event_id = ?)"
	args = append(args, event)
	var next int64
	fail(tx.QueryRowContext(ctx, `SELECT COALESCE(max(id), 0) + 1 FROM loss_reports`).Scan(&next))
	now := time.Now().UTC()
	_, err = tx.ExecContext(ctx, db.Rebind(`INSERT INTO loss_reports (id, household_id, village_code, people, event_id, chain, version, is_current, house_damage, house_rooms, house_loss,
 water_litres, water_quality_ok, crop_area_mu, crop_loss_pct, crop_loss, livestock_loss, relocated, relief_needed, state, reported_by, reported_at)
 SELECT ? + h.id, h.id, h.village_code, CASE WHEN h.size > h.people THEN h.size WHEN h.people > 0 THEN h.people ELSE 1 END, ?, ? + h.id, 1, ?, CASE h.id % 7 WHEN 0 THEN 'collapsed' WHEN 1 THEN 'severe' WHEN 2 THEN 'moderate' ELSE 'none' END,
 CASE WHEN h.id % 7 < 3 THEN 1 + h.id % 4 ELSE 0 END, (h.id % 7) * 1000.0, 10 + h.id % 40, h.id % 9 <> 0, h.id % 10, h.id % 100, (h.id % 50) * 200.0, (h.id % 5) * 300.0,
 h.id % 3, h.id % 2, 'submitted', 'bench', ?
 FROM households h WHERE `+where+` ORDER BY h.id LIMIT ?`), append(append([]any{next, event, next, true}, now), append(args, n)...)...)
	fail(err)
	_, err = tx.ExecContext(ctx, db.Rebind(`UPDATE assessments SET is_current = ? WHERE is_current AND household_id IN (SELECT household_id FROM loss_reports WHERE id >= ?)`), false, next)
	fail(err)
	data := `{"household_number":"","village_code":"","loss_report_id":0,"at_risk":true,"score":40,"reasons":[{"code":"income_below_line","text":"基准测试","en":"benchmark","source":"loss_report"}],` +
		`"income_per_capita":null,"projected_per_capita_income":null,"monitoring_line":7800,"people":3,"policy_ids":[],"risk_types":[],"disaster_caused":true,"green_channel":false,` +
		`"green_channel_why":"","report_date":"` + now.Format("2006-01-02") + `","assessed_at":"` + now.Format(time.RFC3339) + `","current":true}`
	_, err = tx.ExecContext(ctx, db.Rebind(`INSERT INTO assessments (household_id, village_code, loss_report_id, event_id, at_risk, score, is_current, report_date, data, assessed_at)
 SELECT l.household_id, l.village_code, l.id, l.event_id, l.id % 3 = 0, (l.id % 100) * 1.0, ?, ?, ?, ? FROM loss_reports l WHERE l.id >= ?`), true, now.Format("2006-01-02"), data, now, next)
	fail(err)
	fail(tx.Commit())
	if db.Dialect() == sqlstore.Postgres {
		_, err = db.WriteDB().ExecContext(ctx, `ANALYZE loss_reports; ANALYZE assessments`)
		fail(err)
	}
}
