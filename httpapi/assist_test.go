package httpapi_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/storetest"
)

const linzeSubsidyTable = `{"per_room":{"collapsed":20000,"severe":8000,"moderate":2000},"household_cap":{"collapsed":35000,"severe":20000,"moderate":5000},"uplift_pct":{"formerly_poor":10,"monitored":15}}`

// TestHousingSubsidy: a county without a table gets an error naming the
// missing table, never an amount; with the county's table the amount is
// min(rooms × per room, cap) × (1 + uplift), the 脱贫户 uplift, in whole
// yuan, with the version used; payment waits for the township's
// verification and the only-dwelling confirmation, and never passes the
// amount.
func TestHousingSubsidy(t *testing.T) {
	for _, e := range storetest.Engines {
		t.Run(e.Name, func(t *testing.T) {
			f := newFixture(t, e.Open)
			city := f.token(t, "city1", backstop.RoleCity, "620700000000")
			admin := f.token(t, "admin1", backstop.RoleAdmin, backstop.NationalScope)
			village := f.token(t, "village1", backstop.RoleVillage, "620723101201")
			if resp, body := f.upload(t, city, storetest.SharedData(t, "templates/households.csv"), "households.csv", ""); resp.StatusCode != 201 {
				t.Fatalf("import: %d %s", resp.StatusCode, body)
			}
			path := "/api/v1/households/6207231012010001"
			if resp, body := f.do(t, "GET", path+"/housing-subsidy", city, nil, ""); resp.StatusCode != 404 || !strings.Contains(string(body), "灾损报告") {
				t.Fatalf("no loss report: %d %s", resp.StatusCode, body)
			}
			resp, body := f.json(t, "POST", path+"/loss-reports", city, `{"house_damage":"collapsed","house_rooms":2}`)
			if resp.StatusCode != 201 {
				t.Fatalf("loss report: %d %s", resp.StatusCode, body)
			}
			report := decode[backstop.LossReport](t, body)
			// No table for 临泽县 (nor a national one that could stand in).
			resp, body = f.do(t, "GET", path+"/housing-subsidy", city, nil, "")
			if resp.StatusCode != 503 || !strings.Contains(string(body), "housing_subsidy") || !strings.Contains(string(body), "620723000000") || strings.Contains(string(body), `"amount"`) {
				t.Fatalf("a county without a table: %d %s", resp.StatusCode, body)
			}
			// A city-wide version is not the county's table either.
			resp, body = f.json(t, "POST", "/api/v1/policies", admin, `{"key":"housing_subsidy","region":"620700","data":`+linzeSubsidyTable+`,"unit":"yuan","effective_from":"2020-01-01","source":"测试：市级表"}`)
			if resp.StatusCode != 201 {
				t.Fatalf("city table: %d %s", resp.StatusCode, body)
			}
			if resp, body := f.do(t, "GET", path+"/housing-subsidy", city, nil, ""); resp.StatusCode != 503 || !strings.Contains(string(body), "620723000000") {
				t.Fatalf("a city table stood in for the county's: %d %s", resp.StatusCode, body)
			}
			// A malformed table is refused, naming what is wrong.
			resp, body = f.json(t, "POST", "/api/v1/policies", admin, `{"key":"housing_subsidy","region":"620723","data":{"per_room":{"collapsed":1,"severe":1,"moderate":1},"household_cap":{"collapsed":1,"severe":1},"uplift_pct":{"formerly_poor":1,"monitored":1}},"unit":"yuan","effective_from":"2020-01-01","source":"测试"}`)
			if resp.StatusCode != 400 || !strings.Contains(string(body), "household_cap") {
				t.Fatalf("a table without the moderate cap: %d %s", resp.StatusCode, body)
			}
			resp, body = f.json(t, "POST", "/api/v1/policies", admin, `{"key":"housing_subsidy","region":"620723","data":`+linzeSubsidyTable+`,"unit":"yuan","effective_from":"2020-01-01","source":"测试：临泽县表"}`)
			if resp.StatusCode != 201 {
				t.Fatalf("county table: %d %s", resp.StatusCode, body)
			}
			table := decode[backstop.Policy](t, body)
			resp, body = f.do(t, "GET", path+"/housing-subsidy", city, nil, "")
			sub := decode[backstop.HousingSubsidy](t, body)
			// min(2 × 20,000, 35,000) × 1.10 = 38,500 (a 脱贫户).
			if resp.StatusCode != 200 || sub.Amount != 38500 || len(sub.PolicyIDs) != 1 || sub.PolicyIDs[0] != table.ID || sub.Verified || sub.Computation.UpliftGroup != "formerly_poor" ||
				sub.LossReportID != report.ID || sub.Payable {
				t.Fatalf("subsidy: %d %s", resp.StatusCode, body)
			}
			pay := `{"amount":20000,"paid_on":"` + time.Now().In(backstop.Beijing).Format(time.DateOnly) + `","paid_by":"临泽县住建局"}`
			if resp, body := f.json(t, "POST", path+"/housing-subsidy/disbursements", city, pay); resp.StatusCode != 409 || !strings.Contains(string(body), "乡镇核实") {
				t.Fatalf("paid before verification: %d %s", resp.StatusCode, body)
			}
			if resp, body := f.json(t, "POST", path+"/housing-subsidy/disbursements", village, pay); resp.StatusCode != 403 {
				t.Fatalf("a village cadre paid: %d %s", resp.StatusCode, body)
			}
			if resp, body := f.json(t, "POST", fmt.Sprintf("/api/v1/loss-reports/%d/verify", report.ID), city, ""); resp.StatusCode != 200 {
				t.Fatalf("verify: %d %s", resp.StatusCode, body)
			}
			if resp, body := f.json(t, "POST", path+"/housing-subsidy/only-dwelling", village, `{"note":"入户核实"}`); resp.StatusCode != 400 || !strings.Contains(string(body), "only_dwelling") {
				t.Fatalf("only-dwelling without the answer: %d %s", resp.StatusCode, body)
			}
			resp, body = f.json(t, "POST", path+"/housing-subsidy/only-dwelling", village, `{"only_dwelling":true,"note":"入户核实，无其他住房"}`)
			if sub := decode[backstop.HousingSubsidy](t, body); resp.StatusCode != 201 || !sub.Verified || !sub.Payable || sub.OnlyDwelling == nil || sub.OnlyDwelling.RecordedBy != "village1" {
				t.Fatalf("only dwelling: %d %s", resp.StatusCode, body)
			}
			if resp, body := f.json(t, "POST", path+"/housing-subsidy/disbursements", city, `{"amount":40000,"paid_by":"临泽县住建局"}`); resp.StatusCode != 409 || !strings.Contains(string(body), "38500") {
				t.Fatalf("paid over the amount: %d %s", resp.StatusCode, body)
			}
			// Two payments of the rest at once: one is stored.
			var wg sync.WaitGroup
			codes := make([]int, 2)
			for i := range codes {
				wg.Add(1)
				go func() {
					defer wg.Done()
					resp, _ := f.json(t, "POST", path+"/housing-subsidy/disbursements", city, `{"amount":38500,"paid_by":"临泽县住建局"}`)
					codes[i] = resp.StatusCode
				}()
			}
			wg.Wait()
			if !(codes[0] == 201 && codes[1] == 409 || codes[0] == 409 && codes[1] == 201) {
				t.Fatalf("two payments of the whole amount: %v", codes)
			}
			resp, body = f.do(t, "GET", path+"/housing-subsidy", city, nil, "")
			if sub := decode[backstop.HousingSubsidy](t, body); sub.Disbursed != 38500 || sub.Outstanding != 0 || sub.Payable || len(sub.Records) != 2 {
				t.Fatalf("after payment: %s", body)
			}
		})
	}
}

// TestHousingSubsidyCompute: the formula's edges: the cap, the larger
// uplift of a household both 脱贫户 and 监测对象, rounding half up to the
// yuan, and nothing for an undamaged house.
func TestHousingSubsidyCompute(t *testing.T) {
	p := &backstop.Policy{ID: 7, Key: backstop.PolicyHousingSubsidy, Data: []byte(`{"per_room":{"collapsed":10001,"severe":3333.3,"moderate":1000},"household_cap":{"collapsed":30000,"severe":9000,"moderate":2500},"uplift_pct":{"formerly_poor":10,"monitored":15}}`)}
	tab, err := backstop.HousingSubsidyTableOf(p)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		class       backstop.HouseDamage
		rooms       int
		poor, watch bool
		want        int64
		group       string
	}{
		{backstop.DamageCollapsed, 2, false, false, 20002, ""},
		{backstop.DamageCollapsed, 5, false, false, 30000, ""},         // capped
		{backstop.DamageCollapsed, 5, true, true, 34500, "monitored"},  // the larger uplift
		{backstop.DamageSevere, 1, true, false, 3667, "formerly_poor"}, // 3666.63 → 3667
		{backstop.DamageModerate, 3, false, true, 2875, "monitored"},   // 2500 × 1.15
		{backstop.DamageNone, 0, true, true, 0, ""},
	} {
		got := tab.Compute(c.class, c.rooms, c.poor, c.watch)
		if got.Amount != c.want || got.UpliftGroup != c.group || got.PolicyID != 7 {
			t.Errorf("%s × %d (poor %v, monitored %v): %d %q, want %d %q", c.class, c.rooms, c.poor, c.watch, got.Amount, got.UpliftGroup, c.want, c.group)
		}
	}
}

// TestReliefCountsAsTransferIncome: relief granted after the event began
// is transfer income in the household's assessment: a household under the
// line rises above it.
func TestReliefCountsAsTransferIncome(t *testing.T) {
	for _, e := range storetest.Engines {
		t.Run(e.Name, func(t *testing.T) {
			f := newFixture(t, e.Open)
			city := f.token(t, "city1", backstop.RoleCity, "620700000000")
			outside := f.token(t, "county2", backstop.RoleCounty, "620702000000")
			if resp, body := f.upload(t, city, storetest.SharedData(t, "templates/households.csv"), "households.csv", ""); resp.StatusCode != 201 {
				t.Fatalf("import: %d %s", resp.StatusCode, body)
			}
			storetest.SetLine(t, f.db, "620000000000", 7800)
			today := time.Now().In(backstop.Beijing)
			started := today.AddDate(0, 0, -10)
			resp, body := f.json(t, "POST", "/api/v1/events", city, fmt.Sprintf(`{"hazard":"rainstorm","title":"临泽县暴雨","started_at":%q,"regions":["620723"]}`, started.Format(time.RFC3339)))
			if resp.StatusCode != 201 {
				t.Fatalf("event: %d %s", resp.StatusCode, body)
			}
			event := decode[backstop.DisasterEvent](t, body)
			path := "/api/v1/households/6207231012010001"
			resp, body = f.json(t, "POST", path+"/loss-reports", city, fmt.Sprintf(`{"event_id":%d,"house_damage":"moderate","house_rooms":2,"crop_area_mu":4,"crop_loss_pct":60,"crop_loss_yuan":9000}`, event.ID))
			if resp.StatusCode != 201 {
				t.Fatalf("loss report: %d %s", resp.StatusCode, body)
			}
			if a := decode[struct{ Assessment backstop.Assessment }](t, body).Assessment; !a.AtRisk || *a.ProjectedPerCapitaIncome != 6800 {
				t.Fatalf("before relief: %s", body)
			}
			for _, bad := range []struct{ body, field string }{
				{`{"kind":"gift","amount":100}`, "kind"},
				{`{"kind":"temporary","amount":0}`, "amount"},
				{`{"kind":"temporary","amount":100000000}`, "amount"},
				{`{"kind":"temporary","amount":100,"granted_on":"2999-01-01"}`, "granted_on"},
			} {
				if resp, body := f.json(t, "POST", path+"/relief", city, bad.body); resp.StatusCode != 400 || !strings.Contains(string(body), bad.field) {
					t.Errorf("%s: %d %s", bad.body, resp.StatusCode, body)
				}
			}
			if resp, body := f.json(t, "POST", path+"/relief", outside, `{"kind":"temporary","amount":100}`); resp.StatusCode != 404 {
				t.Fatalf("relief outside the region: %d %s", resp.StatusCode, body)
			}
			resp, body = f.json(t, "POST", path+"/relief", city, fmt.Sprintf(`{"kind":"temporary","amount":3600,"granted_on":%q,"event_id":%d}`, started.AddDate(0, 0, 1).Format(time.DateOnly), event.ID))
			if g := decode[backstop.ReliefGrant](t, body); resp.StatusCode != 201 || g.Amount != 3600 || !strings.Contains(strings.Join(g.KeyGroups, ","), "formerly_poor") {
				t.Fatalf("relief: %d %s", resp.StatusCode, body)
			}
			// Relief granted before the event does not count.
			if resp, body := f.json(t, "POST", path+"/relief", city, fmt.Sprintf(`{"kind":"basic_living","amount":9000,"granted_on":%q}`, started.AddDate(0, 0, -30).Format(time.DateOnly))); resp.StatusCode != 201 {
				t.Fatalf("old relief: %d %s", resp.StatusCode, body)
			}
			resp, body = f.json(t, "POST", path+"/relief", city, fmt.Sprintf(`{"kind":"basic_living","amount":2400,"granted_on":%q}`, today.Format(time.DateOnly)))
			if resp.StatusCode != 201 {
				t.Fatalf("relief: %d %s", resp.StatusCode, body)
			}
			// (29,400 − 9,000 + 3,600 + 2,400) ÷ 3 = 8,800: above the line.
			resp, body = f.do(t, "GET", path+"/assessment/reevaluation", city, nil, "")
			change := decode[backstop.AssessmentChange](t, body)
			if resp.StatusCode != 200 || !change.Changed || change.Now.AtRisk || change.Now.ProjectedPerCapitaIncome == nil || *change.Now.ProjectedPerCapitaIncome != 8800 {
				t.Fatalf("after relief: %d %s", resp.StatusCode, body)
			}
			resp, body = f.do(t, "GET", path+"/relief", city, nil, "")
			if l := decode[struct{ Total int }](t, body); resp.StatusCode != 200 || l.Total != 3 {
				t.Fatalf("relief list: %d %s", resp.StatusCode, body)
			}
		})
	}
}

// TestDrinkingWater: a re-check judges the four indicators against the
// standard in force (its version recorded); a repair is due in working
// days and is finished once (a stale version gets 409); a supply point
// needs its position and households served.
func TestDrinkingWater(t *testing.T) {
	for _, e := range storetest.Engines {
		t.Run(e.Name, func(t *testing.T) {
			f := newFixture(t, e.Open)
			city := f.token(t, "city1", backstop.RoleCity, "620700000000")
			if resp, body := f.upload(t, city, storetest.SharedData(t, "templates/households.csv"), "households.csv", ""); resp.StatusCode != 201 {
				t.Fatalf("import: %d %s", resp.StatusCode, body)
			}
			path := "/api/v1/households/6207231012010001"
			if resp, body := f.json(t, "POST", path+"/water/rechecks", city, `{"water":{"litres_per_person_day":40}}`); resp.StatusCode != 400 || !strings.Contains(string(body), "water") {
				t.Fatalf("a partial re-check: %d %s", resp.StatusCode, body)
			}
			resp, body := f.json(t, "POST", path+"/water/rechecks", city, `{"water":{"litres_per_person_day":18,"quality_ok":true,"trip_minutes":10,"outage_days":3}}`)
			rec := decode[backstop.WaterRecord](t, body)
			if resp.StatusCode != 201 || rec.Pass || len(rec.Failures) != 1 || !strings.Contains(rec.Failures[0], "35") || rec.PolicyID == 0 {
				t.Fatalf("failing re-check: %d %s", resp.StatusCode, body)
			}
			resp, body = f.json(t, "POST", path+"/water/rechecks", city, `{"water":{"litres_per_person_day":50,"quality_ok":true,"trip_minutes":10,"outage_days":3}}`)
			if rec := decode[backstop.WaterRecord](t, body); resp.StatusCode != 201 || !rec.Pass {
				t.Fatalf("passing re-check: %d %s", resp.StatusCode, body)
			}
			if resp, body := f.json(t, "POST", path+"/water/tests", city, `{"lab":"临泽县疾控中心"}`); resp.StatusCode != 400 || !strings.Contains(string(body), "pass") {
				t.Fatalf("a test without its result: %d %s", resp.StatusCode, body)
			}
			if resp, body := f.json(t, "POST", path+"/water/tests", city, `{"lab":"临泽县疾控中心","pass":false}`); resp.StatusCode != 201 || !strings.Contains(string(body), "水质检测不达标") {
				t.Fatalf("test: %d %s", resp.StatusCode, body)
			}
			resp, body = f.do(t, "GET", path+"/water", city, nil, "")
			if l := decode[struct{ Total int }](t, body); resp.StatusCode != 200 || l.Total != 3 {
				t.Fatalf("water records: %d %s", resp.StatusCode, body)
			}
			resp, body = f.json(t, "POST", path+"/water/repairs", city, `{"problem":"入户管道冻裂","assignee":"王志强","department":"临泽县水务局"}`)
			repair := decode[backstop.WaterRepair](t, body)
			if resp.StatusCode != 201 || repair.DueOn <= time.Now().In(backstop.Beijing).Format(time.DateOnly) || repair.State != "open" {
				t.Fatalf("repair: %d %s", resp.StatusCode, body)
			}
			done := fmt.Sprintf("/api/v1/water/repairs/%d/done", repair.ID)
			if resp, body := f.json(t, "POST", done, city, fmt.Sprintf(`{"version":%d,"note":"已更换管道"}`, repair.Version)); resp.StatusCode != 200 {
				t.Fatalf("done: %d %s", resp.StatusCode, body)
			}
			if resp, body := f.json(t, "POST", done, city, fmt.Sprintf(`{"version":%d}`, repair.Version)); resp.StatusCode != 409 {
				t.Fatalf("done twice: %d %s", resp.StatusCode, body)
			}
			if resp, body := f.json(t, "POST", "/api/v1/water/supply-points", city, `{"village":"620723101201","name":"西寨村应急送水点","location":{"lon":100.17,"lat":39.15},"households_served":0}`); resp.StatusCode != 400 || !strings.Contains(string(body), "households_served") {
				t.Fatalf("a point serving nobody: %d %s", resp.StatusCode, body)
			}
			if resp, body := f.json(t, "POST", "/api/v1/water/supply-points", city, `{"village":"620723101201","name":"西寨村应急送水点","location":{"lon":100.17,"lat":39.15},"households_served":42}`); resp.StatusCode != 201 {
				t.Fatalf("supply point: %d %s", resp.StatusCode, body)
			}
			resp, body = f.do(t, "GET", "/api/v1/water/supply-points", city, nil, "")
			if resp.StatusCode != 200 || !strings.Contains(string(body), "西寨村应急送水点") {
				t.Fatalf("supply points: %d %s", resp.StatusCode, body)
			}
		})
	}
}
