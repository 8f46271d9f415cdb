package httpapi_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/server"
	"github.com/zhangye-backstop/backstop/storetest"
)

// TestAssistancePlan: a labour-capable household's case gets the
// development-type proposals first, then those of its risk types; the
// national checks list the risk types without their measure until people
// choose them; a household without labour is proposed a referral to civil
// affairs whose answer is tracked and recorded once; each department sees
// its queue; the dry run of a new subsidy table and a new line lists what
// would change and writes nothing.
func TestAssistancePlan(t *testing.T) {
	for _, e := range storetest.Engines {
		t.Run(e.Name, func(t *testing.T) {
			db := e.Open(t)
			storetest.LoadRegions(t, db)
			f := serve(t, db, server.Config{MaxUploadBytes: 1 << 20, DataDir: t.TempDir()})
			testAssistancePlan(t, f)
		})
	}
}

func testAssistancePlan(t *testing.T, f *fixture) {
	ctx := storetest.Admin()
	village := f.token(t, "cadre", backstop.RoleVillage, "620723101201")
	county := f.token(t, "linze", backstop.RoleCounty, "620723")
	other := f.token(t, "ganzhou", backstop.RoleCounty, "620702")
	admin := f.token(t, "root", backstop.RoleAdmin, "000000000000")
	storetest.SetLine(t, f.db, "620723000000", 7800)
	capable := f.openCase(t, village, "6207231012018001", "普通劳动力", "100A27006", "100A27003", "100A27001")
	resp, b := f.json(t, "GET", fmt.Sprintf("/api/v1/cases/%d/plan", capable), village, "")
	plan := decode[backstop.MeasurePlan](t, b)
	if resp.StatusCode != 200 || plan.Labour != "capable" || len(plan.Proposals) < 5 || !plan.Proposals[0].Development || plan.Proposals[0].Category != "产业帮扶" || len(plan.PolicyIDs) != 2 {
		t.Fatalf("plan: %d %s", resp.StatusCode, b)
	}
	rules := map[string]bool{}
	for i, p := range plan.Proposals {
		rules[p.Rule] = true
		if i > 0 && p.Development && !plan.Proposals[i-1].Development {
			t.Errorf("a development-type proposal after another: %+v", plan.Proposals)
		}
	}
	for _, r := range []string{"labour_industry", "labour_employment", "housing", "illness", "disaster"} {
		if !rules[r] {
			t.Errorf("rule %s not proposed: %s", r, b)
		}
	}
	if rules["no_labour_dibao"] || rules["water"] {
		t.Errorf("a rule proposed without its condition: %s", b)
	}
	if resp, b := f.json(t, "GET", fmt.Sprintf("/api/v1/cases/%d/plan", capable), other, ""); resp.StatusCode != 404 {
		t.Errorf("another county read the plan: %d %s", resp.StatusCode, b)
	}
	problems := func(id int64) string {
		t.Helper()
		resp, b := f.json(t, "GET", fmt.Sprintf("/api/v1/cases/%d", id), village, "")
		if resp.StatusCode != 200 {
			t.Fatalf("case: %d %s", resp.StatusCode, b)
		}
		var codes []string
		for _, p := range decode[caseAnswer](t, b).Problems {
			codes = append(codes, p.Path)
		}
		return strings.Join(codes, ",")
	}
	// 因病 and 因安全住房 lack their measures; 因病 without an ill member.
	if got := problems(capable); !strings.Contains(got, "check.measure_for_risk") || !strings.Contains(got, "check.illness_unfounded") {
		t.Fatalf("problems before the plan: %s", got)
	}
	for _, bad := range []struct{ body, field string }{
		{`{"measures":[]}`, "measures"},
		{`{"measures":[{"rule":"nonesuch","person":"王志强"}]}`, "measures[0].rule"},
		{`{"measures":[{"category":"产业帮扶","item":"挖矿","department":"agriculture","person":"王志强"}]}`, "measures[0].item"},
		{`{"measures":[{"rule":"housing"}]}`, "measures[0].person"},
	} {
		if resp, b := f.json(t, "POST", fmt.Sprintf("/api/v1/cases/%d/plan", capable), village, bad.body); resp.StatusCode != 400 || !strings.Contains(string(b), bad.field) {
			t.Errorf("%s: %d %s", bad.body, resp.StatusCode, b)
		}
	}
	resp, b = f.json(t, "POST", fmt.Sprintf("/api/v1/cases/%d/plan", capable), village,
		`{"measures":[{"rule":"labour_industry","person":"王志强"},{"rule":"housing","person":"李建华","amount":38500},{"rule":"illness","person":"赵医生"},{"category":"社会帮扶","item":"社会捐助","department":"rural_revitalisation","person":"王志强"}]}`)
	adopted := decode[struct{ Items []backstop.Measure }](t, b).Items
	if resp.StatusCode != 201 || len(adopted) != 4 || adopted[1].Department != "housing" || adopted[1].Rule != "housing" || adopted[0].Status != "planned" || adopted[1].Category != "住房安全保障" {
		t.Fatalf("adopt: %d %s", resp.StatusCode, b)
	}
	if got := problems(capable); strings.Contains(got, "check.measure_for_risk") {
		t.Errorf("problems after the plan still want a measure: %s", got)
	}
	resp, b = f.json(t, "GET", fmt.Sprintf("/api/v1/cases/%d/plan", capable), village, "")
	if plan := decode[backstop.MeasurePlan](t, b); plan.Proposals[0].Existing == 0 {
		t.Errorf("the adopted proposal is not marked: %s", b)
	}

	// No labour: a 低保/特困 referral to civil affairs, answered once.
	none := f.openCase(t, village, "6207231012018002", "无劳动力")
	resp, b = f.json(t, "GET", fmt.Sprintf("/api/v1/cases/%d/plan", none), village, "")
	plan = decode[backstop.MeasurePlan](t, b)
	if resp.StatusCode != 200 || plan.Labour != "none" || plan.Proposals[0].Rule != "no_labour_dibao" || !plan.Proposals[0].Referral || plan.Proposals[0].Development {
		t.Fatalf("no-labour plan: %d %s", resp.StatusCode, b)
	}
	resp, b = f.json(t, "POST", fmt.Sprintf("/api/v1/cases/%d/plan", none), village, `{"measures":[{"rule":"no_labour_dibao","person":"民政办张敏"}]}`)
	if resp.StatusCode != 201 {
		t.Fatalf("referral: %d %s", resp.StatusCode, b)
	}
	referral := decode[struct{ Items []backstop.Measure }](t, b).Items[0]
	clocks, _, err := f.db.FindClocks(ctx, backstop.ClockFilter{Kind: "assist.referral_answer", Subject: fmt.Sprintf("measure:%d", referral.ID)})
	if err != nil || len(clocks) != 1 || clocks[0].State != backstop.ClockRunning || clocks[0].DueDate == "" {
		t.Fatalf("the referral's clock: %+v %v", clocks, err)
	}
	answer := fmt.Sprintf("/api/v1/measures/%d/referral-answer", referral.ID)
	if resp, b := f.json(t, "POST", answer, village, `{"answer":"maybe","note":"x"}`); resp.StatusCode != 400 || !strings.Contains(string(b), "answer") {
		t.Errorf("a bad answer: %d %s", resp.StatusCode, b)
	}
	resp, b = f.json(t, "POST", answer, village, `{"answer":"approved","note":"民政局同意纳入低保"}`)
	if m := decode[backstop.Measure](t, b); resp.StatusCode != 200 || m.Status != "in_progress" || m.StartedOn == "" {
		t.Fatalf("answer: %d %s", resp.StatusCode, b)
	}
	if resp, b := f.json(t, "POST", answer, village, `{"answer":"refused","note":"again"}`); resp.StatusCode != 409 {
		t.Errorf("answered twice: %d %s", resp.StatusCode, b)
	}
	clocks, _, _ = f.db.FindClocks(ctx, backstop.ClockFilter{Kind: "assist.referral_answer", Subject: fmt.Sprintf("measure:%d", referral.ID)})
	if len(clocks) != 1 || clocks[0].State != backstop.ClockMet {
		t.Errorf("the clock after the answer: %+v", clocks)
	}

	// Each department's queue.
	resp, b = f.json(t, "GET", "/api/v1/measures/queue?department=housing", county, "")
	if q := decode[struct {
		Items []backstop.Measure
		Total int
	}](t, b); resp.StatusCode != 200 || q.Total != 1 || q.Items[0].Item != "危房改造" {
		t.Errorf("housing queue: %d %s", resp.StatusCode, b)
	}
	if resp, b := f.json(t, "GET", "/api/v1/measures/queue?department=housing", other, ""); resp.StatusCode != 200 || decode[struct{ Total int }](t, b).Total != 0 {
		t.Errorf("another county's queue: %d %s", resp.StatusCode, b)
	}
	if resp, b := f.json(t, "GET", "/api/v1/measures/queue", county, ""); resp.StatusCode != 400 {
		t.Errorf("a queue without a department: %d %s", resp.StatusCode, b)
	}
	// A department user reads its own organisation's queue, whatever
	// department it names, and no case.
	housing := f.token(t, "zhujian", backstop.RoleDepartment, "620723")
	org := &backstop.Organisation{Kind: backstop.DeptHousing, Name: "临泽县住房和城乡建设局", Region: "620723000000", Contact: "住建联络员"}
	if err := f.db.CreateOrganisation(ctx, org); err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.SetMembers(ctx, org.ID, []string{"zhujian"}); err != nil {
		t.Fatal(err)
	}
	resp, b = f.json(t, "GET", "/api/v1/measures/queue?department=civil_affairs", housing, "")
	if q := decode[struct {
		Items []backstop.Measure
		Total int
	}](t, b); resp.StatusCode != 200 || q.Total != 1 || q.Items[0].Item != "危房改造" || q.Items[0].Household != "" || strings.Contains(string(b), "户主") {
		t.Errorf("the housing department's own queue: %d %s", resp.StatusCode, b)
	}
	if resp, b := f.json(t, "GET", "/api/v1/cases", housing, ""); resp.StatusCode != 403 {
		t.Errorf("a department reading cases: %d %s, want 403", resp.StatusCode, b)
	}

	// The list across cases.
	resp, b = f.json(t, "GET", "/api/v1/cases/problems", county, "")
	if l := decode[struct {
		Items   []map[string]any
		Total   int
		Checked int `json:"checked_cases"`
	}](t, b); resp.StatusCode != 200 || l.Checked != 2 || l.Total == 0 || !strings.Contains(string(b), "illness_unfounded") {
		t.Errorf("problems across cases: %d %s", resp.StatusCode, b)
	}

	// Dry runs: nothing written. Both households are 监测对象 now (the
	// green channel): min(2 × 20,000, 35,000) × 1.15 = 40,250.
	countPolicies := func(key string) int {
		ps, err := f.db.FindPolicies(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		return len(ps)
	}
	before := countPolicies("housing_subsidy")
	dry := func(body string) (int, map[string]any, string) {
		resp, b := f.json(t, "POST", "/api/v1/policies/dry-run", county, body)
		var out map[string]any
		if resp.StatusCode == 200 {
			out = decode[map[string]any](t, b)
		}
		return resp.StatusCode, out, string(b)
	}
	table := `{"per_room":{"collapsed":20000,"severe":8000,"moderate":2000},"household_cap":{"collapsed":35000,"severe":20000,"moderate":5000},"uplift_pct":{"formerly_poor":10,"monitored":15}}`
	code, out, raw := dry(`{"key":"housing_subsidy","region":"620723","data":` + table + `,"effective_from":"2031-01-01","source":"拟调整标准"}`)
	if code != 200 || out["written"] != false || len(out["subsidies"].([]any)) != 2 || !strings.Contains(raw, `"current":null`) || !strings.Contains(raw, `"candidate":40250`) {
		t.Fatalf("subsidy dry run without a table in force: %d %s", code, raw)
	}
	if code, _, raw := dry(`{"key":"housing_subsidy","region":"620723101201","data":` + table + `,"effective_from":"2031-01-01","source":"x"}`); code != 400 || !strings.Contains(raw, "region") {
		t.Errorf("a village table: %d %s", code, raw)
	}
	if code, _, raw := dry(`{"key":"housing_subsidy","region":"620723","data":{"per_room":{}},"effective_from":"2031-01-01","source":"x"}`); code != 400 {
		t.Errorf("a malformed candidate: %d %s", code, raw)
	}
	if resp, b := f.json(t, "POST", "/api/v1/policies", admin, `{"key":"housing_subsidy","region":"620723","data":`+table+`,"unit":"yuan","effective_from":"2020-01-01","source":"测试"}`); resp.StatusCode != 201 {
		t.Fatalf("table: %d %s", resp.StatusCode, b)
	}
	if code, out, raw := dry(`{"key":"housing_subsidy","region":"620723","data":` + table + `,"effective_from":"2031-01-01","source":"同一标准"}`); code != 200 || len(out["subsidies"].([]any)) != 0 {
		t.Errorf("the same table changes subsidies: %d %s", code, raw)
	}
	higher := strings.Replace(table, `"collapsed":35000`, `"collapsed":45000`, 1)
	if code, _, raw := dry(`{"key":"housing_subsidy","region":"620723","data":` + higher + `,"effective_from":"2031-01-01","source":"提高上限"}`); code != 200 || !strings.Contains(raw, `"current":40250`) || !strings.Contains(raw, `"candidate":46000`) {
		t.Errorf("a higher cap: %d %s", code, raw)
	}
	if n := countPolicies("housing_subsidy"); n != before+1 {
		t.Errorf("dry runs wrote policies: %d, want %d", n, before+1)
	}
	// A line of 4,000 puts both households (5,000 a head) above it.
	code, out, raw = dry(`{"key":"monitoring_line","region":"620000","value":4000,"unit":"yuan/person/year","effective_from":"2031-01-01","source":"拟定监测范围"}`)
	if code != 200 || len(out["open_cases"].([]any)) != 2 || len(out["clearing"].([]any)) != 2 || !strings.Contains(raw, `"below_now":true`) || !strings.Contains(raw, `"below_then":false`) {
		t.Errorf("line dry run: %d %s", code, raw)
	}
	if code, _, raw := dry(`{"key":"release.confirm_minutes.red","region":"620000","value":5,"unit":"minutes","effective_from":"2031-01-01","source":"x"}`); code != 400 || !strings.Contains(raw, "key") {
		t.Errorf("an unsupported key: %d %s", code, raw)
	}
}
