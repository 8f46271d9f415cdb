package httpapi_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/cases"
	"github.com/zhangye-backstop/backstop/screening"
	"github.com/zhangye-backstop/backstop/server"
	"github.com/zhangye-backstop/backstop/storetest"
)

// The loop's dashboard through the root handler on both engines, on a
// hand-worked region: two green-channel households (helped, one with a
// measure started; reports on Wednesday 2026-09-30 included on Saturday
// 2026-10-10, the make-up working day, and on Monday 2026-10-12: 3 and 4
// working days, median 3.5), one on the normal procedure, one at risk
// with no case; every figure checked, then scope.
func TestFunnelAPI(t *testing.T) {
	for _, e := range storetest.Engines {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			db := e.Open(t)
			storetest.LoadRegions(t, db)
			f := serve(t, db, server.Config{MaxUploadBytes: 1 << 20, DataDir: t.TempDir()})
			testFunnel(t, f)
		})
	}
}

type funnelAnswer struct {
	Region       string   `json:"region"`
	Found        int      `json:"found"`
	Unopened     int      `json:"unopened"`
	Monitored    int      `json:"monitored"`
	Helped       int      `json:"helped"`
	Cleared      int      `json:"cleared"`
	Held         int      `json:"held"`
	Open         int      `json:"open"`
	Overdue      int      `json:"overdue"`
	OverdueShare float64  `json:"overdue_share"`
	OpenDebts    int      `json:"open_debts"`
	OverdueDebts int      `json:"overdue_debts"`
	GreenChannel int      `json:"green_channel"`
	Median       *float64 `json:"median_workdays_to_inclusion"`
	Measures     []struct {
		Category string `json:"category"`
		Measures int    `json:"measures"`
		Started  int    `json:"started"`
	} `json:"measures_by_category"`
	Children []struct {
		Region    string `json:"region"`
		Name      string `json:"name"`
		Found     int    `json:"found"`
		Monitored int    `json:"monitored"`
	} `json:"children"`
}

func testFunnel(t *testing.T, f *fixture) {
	ctx := storetest.Admin()
	village := f.token(t, "cadre", backstop.RoleVillage, "620723101201")
	county := f.token(t, "linze", backstop.RoleCounty, "620723")
	other := f.token(t, "ganzhou", backstop.RoleCounty, "620702")
	department := f.token(t, "water", backstop.RoleDepartment, "620700")
	storetest.SetLine(t, f.db, "620723000000", 7800)

	green := func(number string) int64 {
		t.Helper()
		caseHousehold(t, f, number, "普通劳动力", "", 5000, false)
		loss, err := f.app.Screening.FileLossReport(ctx, number, screening.LossInput{HouseDamage: "collapsed", HouseRooms: 2})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.app.Screening.VerifyLossReport(ctx, loss.ID); err != nil {
			t.Fatal(err)
		}
		resp, a, b := f.caseDo(t, village, "POST", "/api/v1/cases", `{"household":"`+number+`","source":"assessment","green_channel":true,"risk_types":["100A27006"],"disaster_sub_item":"洪涝灾害"}`)
		if resp.StatusCode != 201 {
			t.Fatalf("green channel %s: %d %s", number, resp.StatusCode, b)
		}
		return a.ID
	}
	g1, g2 := green("6207231012018001"), green("6207231012018002")
	for id, on := range map[int64]string{g1: "2026-10-10", g2: "2026-10-12"} {
		if err := f.db.ExecForTest(ctx, `UPDATE cases SET created_at = ?, reported_on = ?, identified_on = ? WHERE id = ?`, time.Date(2026, 9, 30, 9, 0, 0, 0, backstop.Beijing).UTC(), "2026-09-30", on, id); err != nil {
			t.Fatal(err)
		}
	}
	resp, b := f.json(t, "POST", fmt.Sprintf("/api/v1/cases/%d/measures", g1), village, `{"category":"产业帮扶","item":"养殖业","department":"agriculture","person":"张技术员","status":"in_progress","started_on":"2026-10-12"}`)
	if resp.StatusCode != 201 {
		t.Fatalf("measure: %d %s", resp.StatusCode, b)
	}
	resp, b = f.json(t, "POST", fmt.Sprintf("/api/v1/cases/%d/measures", g2), village, `{"category":"产业帮扶","item":"种植业","department":"agriculture","person":"张技术员","status":"planned"}`)
	if resp.StatusCode != 201 {
		t.Fatalf("measure: %d %s", resp.StatusCode, b)
	}
	g2Planned := decode[struct {
		ID int64 `json:"id"`
	}](t, b).ID
	const normal, atRisk = "6207231012018003", "6207231012018004"
	caseHousehold(t, f, normal, "普通劳动力", "", 5000, false)
	resp, first, b := f.caseDo(t, village, "POST", "/api/v1/cases", `{"household":"`+normal+`","source":"manual"}`)
	if resp.StatusCode != 201 {
		t.Fatalf("normal case: %d %s", resp.StatusCode, b)
	}
	// Refused at its application, then applied for again: the household
	// counts once, by its latest case.
	if resp, _, b := f.caseDo(t, village, "POST", fmt.Sprintf("/api/v1/cases/%d/steps/application", first.ID), `{"outcome":"fail","note":"材料不全"}`); resp.StatusCode != 200 {
		t.Fatalf("refusing the application: %d %s", resp.StatusCode, b)
	}
	if resp, _, b := f.caseDo(t, village, "POST", "/api/v1/cases", `{"household":"`+normal+`","source":"manual"}`); resp.StatusCode != 201 {
		t.Fatalf("applying again: %d %s", resp.StatusCode, b)
	}
	caseHousehold(t, f, atRisk, "普通劳动力", "", 5000, false)
	if a, err := f.app.Screening.FileLossReport(ctx, atRisk, screening.LossInput{HouseDamage: "collapsed", HouseRooms: 3}); err != nil || !a.Assessment.AtRisk {
		t.Fatalf("at-risk household: %v", err)
	}

	read := func(token, query string, at time.Time) (int, funnelAnswer, []byte) {
		t.Helper()
		f.app.Funnel.Now = func() time.Time { return at }
		resp, b := f.json(t, "GET", "/api/v1/funnel"+query, token, "")
		var a funnelAnswer
		if resp.StatusCode == 200 {
			a = decode[funnelAnswer](t, b)
		}
		return resp.StatusCode, a, b
	}
	// Today: nothing is overdue yet.
	code, a, b := read(county, "", time.Now())
	if code != 200 || a.Region != "620723000000" || a.Found != 4 || a.Unopened != 1 || a.Monitored != 2 || a.Helped != 1 || a.Cleared != 0 || a.Held != 0 ||
		a.Open != 3 || a.Overdue != 0 || a.OpenDebts != 16 || a.OverdueDebts != 0 || a.GreenChannel != 2 {
		t.Fatalf("the county's loop today: %d %s", code, b)
	}
	if a.Median == nil || *a.Median != 3.5 {
		t.Errorf("median working days from report to inclusion: %v, want 3.5 (3 and 4): %s", a.Median, b)
	}
	if len(a.Measures) != 1 || a.Measures[0].Category != "产业帮扶" || a.Measures[0].Measures != 2 || a.Measures[0].Started != 1 {
		t.Errorf("measures by category: %+v", a.Measures)
	}
	var shahe *struct {
		Region    string `json:"region"`
		Name      string `json:"name"`
		Found     int    `json:"found"`
		Monitored int    `json:"monitored"`
	}
	for i := range a.Children {
		if a.Children[i].Region == "620723101000" {
			shahe = &a.Children[i]
		}
	}
	if shahe == nil || shahe.Name != "沙河镇" || shahe.Found != 4 || shahe.Monitored != 2 || len(a.Children) < 5 {
		t.Errorf("the county's townships: %+v", a.Children)
	}
	// Sixty days on, every step and debt is past due.
	code, a, b = read(county, "", time.Now().AddDate(0, 0, 60))
	if code != 200 || a.Overdue != 3 || a.OverdueShare != 1 || a.OverdueDebts != 16 {
		t.Errorf("sixty days on: %d %s", code, b)
	}
	// The village sees its own, with no sub-regions; a county elsewhere
	// sees nothing of it, and naming this county finds nothing.
	if code, a, b := read(village, "", time.Now()); code != 200 || a.Found != 4 || len(a.Children) != 0 {
		t.Errorf("the village's loop: %d %s", code, b)
	}
	if code, a, b := read(other, "", time.Now()); code != 200 || a.Found != 0 || a.Monitored != 0 {
		t.Errorf("another county's loop: %d %s", code, b)
	}
	if code, _, b := read(other, "?region=620723", time.Now()); code != 404 {
		t.Errorf("another county naming this one: %d %s, want 404", code, b)
	}
	if code, _, b := read(county, "?region=62x", time.Now()); code != 400 {
		t.Errorf("a malformed region: %d %s, want 400", code, b)
	}
	if code, _, b := read(department, "", time.Now()); code != 403 {
		t.Errorf("the department role (no case data): %d %s, want 403", code, b)
	}
	// The lists each figure opens: monitored and helped.
	for _, c := range []struct {
		query string
		want  int
	}{{"stage=found", 3}, {"stage=monitored", 2}, {"stage=helped", 1}, {"category=产业帮扶", 2}, {"", 4}} {
		resp, b := f.json(t, "GET", "/api/v1/cases?region=620723&"+c.query, county, "")
		if resp.StatusCode != 200 || decode[struct {
			Total int `json:"total"`
		}](t, b).Total != c.want {
			t.Errorf("cases of %s: %d %s, want %d", c.query, resp.StatusCode, b, c.want)
		}
	}
	resp, b = f.json(t, "GET", "/api/v1/cases?stage=nonsense", county, "")
	wantError(t, "an unknown stage", resp, b, 400, "")

	// Two officers changing two measures of one case at once, one
	// starting its measure while the other un-starts the other: the case
	// stays 已落实帮扶 (its helped flag read the other's write, not a
	// snapshot from before it).
	second, err := f.app.Cases.AddMeasure(ctx, g2, cases.MeasureInput{Category: "产业帮扶", Item: "养殖业", Department: "agriculture", Person: "李技术员", Status: "planned"})
	if err != nil {
		t.Fatal(err)
	}
	set := func(id int64, started bool) error {
		in := cases.MeasureInput{Category: "产业帮扶", Item: "种植业", Department: "agriculture", Person: "张技术员", Status: "planned"}
		if id == second.ID {
			in.Item, in.Person = "养殖业", "李技术员"
		}
		if started {
			in.Status, in.StartedOn = "in_progress", "2026-10-20"
		}
		_, err := f.app.Cases.UpdateMeasure(ctx, g2, id, in)
		return err
	}
	for round := range 8 {
		on, off := g2Planned, second.ID
		if round%2 == 1 {
			on, off = off, on
		}
		var wg sync.WaitGroup
		errs := make([]error, 2)
		wg.Go(func() { errs[0] = set(on, true) })
		wg.Go(func() { errs[1] = set(off, false) })
		wg.Wait()
		if errs[0] != nil || errs[1] != nil {
			t.Fatalf("round %d: %v", round, errs)
		}
		resp, b := f.json(t, "GET", "/api/v1/cases?region=620723&stage=helped", county, "")
		if n := decode[struct {
			Total int `json:"total"`
		}](t, b).Total; resp.StatusCode != 200 || n != 2 {
			t.Fatalf("round %d: %d helped cases, want 2 (a measure of each case is started)", round, n)
		}
	}
}
