package httpapi_test

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/cases"
	"github.com/zhangye-backstop/backstop/exposure"
	"github.com/zhangye-backstop/backstop/screening"
	"github.com/zhangye-backstop/backstop/server"
	"github.com/zhangye-backstop/backstop/storetest"
)

// Cases through the server's root handler, on both engines: the green
// channel (debts, 程序未完成, the household monitored at once and counted
// so by an exposure computed after), the normal procedure in order (out
// of order, two officers at once, a short notice, roles), refusal and
// 复核, a county's named procedure set up as data, clearing (eligibility
// reasons, 暂不标注, the clearing procedure, 回退, 再标注), and the
// comparison with the national system.

type caseAnswer struct {
	ID             int64  `json:"id"`
	State          string `json:"state"`
	Step           string `json:"step"`
	Procedure      string `json:"procedure"`
	Version        int    `json:"version"`
	Incomplete     bool   `json:"incomplete"`
	OpenDebts      int    `json:"open_debts"`
	Episode        int    `json:"episode"`
	PreviousCaseID int64  `json:"previous_case_id"`
	IdentifiedOn   string `json:"identified_on"`
	Debts          []struct {
		Step   string     `json:"step"`
		Due    string     `json:"due"`
		PaidAt *time.Time `json:"paid_at"`
	} `json:"debts"`
	Steps []struct {
		Step    string   `json:"step"`
		Outcome string   `json:"outcome"`
		Staff   []string `json:"staff"`
	} `json:"steps"`
	Measures []struct {
		ID int64 `json:"id"`
	} `json:"measures"`
	Problems []backstop.Problem `json:"problems"`
}

func TestCasesAPI(t *testing.T) {
	for _, e := range storetest.Engines {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			db := e.Open(t)
			storetest.LoadRegions(t, db)
			f := serve(t, db, server.Config{MaxUploadBytes: 1 << 20, DataDir: t.TempDir()})
			testCases(t, f)
		})
	}
}

// caseHousehold makes a household of a village with its labour, social
// assistance, income and house.
func caseHousehold(t *testing.T, f *fixture, number, labour string, assistance backstop.SocialAssistance, income float64, dangerous bool) {
	t.Helper()
	safe := true
	h := &backstop.Household{Number: number, VillageCode: number[:12], HeadName: "户主" + number[12:], Type: "一般农户", IncomePerCapita: &income, SafeWater: &safe, DangerousHouse: &dangerous,
		SocialAssistance: assistance, Location: &backstop.Point{Lon: 100.1, Lat: 39.3},
		Members: []*backstop.Member{{Number: number + "01", Name: "户主" + number[12:], IDNumber: idNumber(number[:6], int(number[15]-'0')+40), Relation: "户主", Labour: labour}}}
	if err := f.db.CreateHousehold(storetest.Admin(), h); err != nil {
		t.Fatalf("household %s: %v", number, err)
	}
}

func (f *fixture) caseDo(t *testing.T, token, method, path, body string) (*http.Response, caseAnswer, []byte) {
	t.Helper()
	resp, b := f.json(t, method, path, token, body)
	var a caseAnswer
	if resp.StatusCode < 300 {
		a = decode[caseAnswer](t, b)
	}
	return resp, a, b
}

func testCases(t *testing.T, f *fixture) {
	ctx := storetest.Admin()
	village := f.token(t, "cadre", backstop.RoleVillage, "620723101201")
	township := f.token(t, "town", backstop.RoleTownship, "620723101000")
	county := f.token(t, "linze", backstop.RoleCounty, "620723")
	other := f.token(t, "ganzhou", backstop.RoleCounty, "620702")
	admin := f.token(t, "root", backstop.RoleAdmin, "000000000000")
	storetest.SetLine(t, f.db, "620723000000", 7800)
	png := matrixPNG()
	attach := func(id int64) string {
		resp, b := f.do(t, "POST", fmt.Sprintf("/api/v1/cases/%d/attachments", id), village, bytes.NewReader(png), "image/png")
		if resp.StatusCode != 201 {
			t.Fatalf("attachment: %d %s", resp.StatusCode, b)
		}
		return decode[struct {
			Hash string `json:"hash"`
		}](t, b).Hash
	}
	step := func(token string, id int64, code, body string) (*http.Response, caseAnswer, []byte) {
		return f.caseDo(t, token, "POST", fmt.Sprintf("/api/v1/cases/%d/steps/%s", id, code), body)
	}
	mustStep := func(token string, id int64, code, body string) caseAnswer {
		t.Helper()
		resp, a, b := step(token, id, code, body)
		if resp.StatusCode != 200 {
			t.Fatalf("step %s of case %d: %d %s", code, id, resp.StatusCode, b)
		}
		return a
	}

	// The green channel needs a township-verified loss report.
	const green = "6207231012017001"
	caseHousehold(t, f, green, "普通劳动力", "", 5000, false)
	loss, err := f.app.Screening.FileLossReport(ctx, green, screening.LossInput{HouseDamage: "collapsed", HouseRooms: 2})
	if err != nil {
		t.Fatal(err)
	}
	body := `{"household":"` + green + `","source":"assessment","green_channel":true,"risk_types":["100A27006"],"disaster_sub_item":"洪涝灾害"}`
	resp, _, b := f.caseDo(t, village, "POST", "/api/v1/cases", body)
	wantError(t, "green channel without a verified report", resp, b, 400, "")
	if !strings.Contains(string(b), "核实") {
		t.Errorf("the refusal does not say the report is unverified: %s", b)
	}
	if _, err := f.app.Screening.VerifyLossReport(ctx, loss.ID); err != nil {
		t.Fatal(err)
	}
	resp, g, b := f.caseDo(t, village, "POST", "/api/v1/cases", body)
	if resp.StatusCode != 201 || g.State != "active" || len(g.Debts) != 8 || g.Debts[0].Step != "application" || g.Debts[0].Due == "" || !g.Incomplete || g.OpenDebts != 8 {
		t.Fatalf("green channel: %d %s", resp.StatusCode, b)
	}
	if g.IdentifiedOn != time.Now().In(backstop.Beijing).Format(time.DateOnly) {
		t.Errorf("identified on %q, not today", g.IdentifiedOn)
	}
	// The household is 监测对象 at once, in the registry and in an exposure
	// computed after.
	h, _ := f.db.FindHousehold(ctx, green)
	if h.Groups&backstop.GroupMonitored == 0 {
		t.Errorf("the green-channel household is not monitored: %v", h.Groups.Names())
	}
	if err := f.app.Exposure.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	ix := f.app.Exposure.Index()
	hits := ix.Query(exposure.AreaOf(&backstop.Warning{Areas: []backstop.WarningArea{{Circles: []backstop.CircleArea{{Centre: backstop.Point{Lon: 100.1, Lat: 39.3}, RadiusKM: 1}}}}}))
	snap := exposure.Summarise(ix, &hits, make([]float64, 64), 60, time.Now())
	if vc := snap.Villages["620723101201"]; vc == nil || vc.Groups["monitored"] < 1 {
		t.Errorf("an exposure computed after the green channel does not count the household as monitored: %+v", vc)
	}
	// Paying debts is doing their steps, in order.
	resp, _, b = step(village, g.ID, "home_check", `{"outcome":"pass","staff":["王一","李二"]}`)
	wantError(t, "a debt out of order", resp, b, 409, "")
	if !strings.Contains(string(b), "application") {
		t.Errorf("the out-of-order refusal does not name the step due: %s", b)
	}
	paid := mustStep(village, g.ID, "application", `{"outcome":"pass","attachments":["`+attach(g.ID)+`"]}`)
	if paid.OpenDebts != 7 || paid.Debts[0].PaidAt == nil || !paid.Incomplete || paid.State != "active" {
		t.Errorf("after paying a debt: %+v", paid)
	}

	// The normal procedure, step by step in order.
	const normal = "6207231012017002"
	caseHousehold(t, f, normal, "普通劳动力", "", 5000, false)
	resp, n, b := f.caseDo(t, village, "POST", "/api/v1/cases", `{"household":"`+normal+`","source":"manual","green_channel":false}`)
	if resp.StatusCode != 201 || n.State != "in_procedure" || n.Step != "application" || len(n.Debts) != 0 || n.Procedure != "gansu_normal" {
		t.Fatalf("normal case: %d %s", resp.StatusCode, b)
	}
	// Its clock: the application's 2 working days, on the case and in
	// the list.
	due := func(token, query string) string {
		t.Helper()
		resp, b := f.json(t, "GET", "/api/v1/cases?"+query, token, "")
		l := decode[struct {
			Items []struct {
				ID        int64 `json:"id"`
				StepClock *struct {
					DueDate string `json:"due_date"`
					State   string `json:"state"`
				} `json:"step_clock"`
			} `json:"items"`
		}](t, b)
		if resp.StatusCode != 200 || len(l.Items) != 1 || l.Items[0].StepClock == nil || l.Items[0].StepClock.State != "running" {
			t.Fatalf("cases of %s: %d %s", query, resp.StatusCode, b)
		}
		return l.Items[0].StepClock.DueDate
	}
	resp, b = f.json(t, "GET", fmt.Sprintf("/api/v1/cases/%d", n.ID), village, "")
	clockView := decode[struct {
		NextClock struct {
			DueDate string `json:"due_date"`
		} `json:"next_clock"`
	}](t, b)
	if want := due(village, "household="+normal); clockView.NextClock.DueDate == "" || clockView.NextClock.DueDate != want || want < time.Now().In(backstop.Beijing).Format(time.DateOnly) {
		t.Errorf("the application's clock: case %s, list %s", clockView.NextClock.DueDate, want)
	}
	resp, _, b = f.caseDo(t, village, "POST", "/api/v1/cases", `{"household":"`+normal+`","source":"manual"}`)
	wantError(t, "a second open case", resp, b, 409, "")
	resp, _, b = step(village, n.ID, "home_check", `{"outcome":"pass","staff":["王一","李二"]}`)
	wantError(t, "a step out of order", resp, b, 409, "")
	resp, _, b = step(village, n.ID, "application", `{"outcome":"pass"}`)
	wantError(t, "an application without the consent", resp, b, 400, "attachments")
	mustStep(village, n.ID, "application", `{"outcome":"pass","note":"已签授权书","attachments":["`+attach(n.ID)+`"]}`)
	resp, _, b = step(village, n.ID, "home_check", `{"outcome":"pass","staff":["王一"]}`)
	wantError(t, "a home check by one", resp, b, 400, "staff")
	// Two officers doing the home check at once: one wins.
	var wg sync.WaitGroup
	codes := make([]int, 2)
	start := make(chan struct{})
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			r, _ := f.json(t, "POST", fmt.Sprintf("/api/v1/cases/%d/steps/home_check", n.ID), village, `{"outcome":"pass","staff":["王一","李二"]}`)
			codes[i] = r.StatusCode
		}()
	}
	close(start)
	wg.Wait()
	if !(codes[0] == 200 && codes[1] == 409 || codes[0] == 409 && codes[1] == 200) {
		t.Errorf("two home checks at once: %v, want one 200 and one 409", codes)
	}
	resp, _, b = step(village, n.ID, "cross_check", `{"outcome":"pass","answers":[{"department":"民政","answer":"无低保","ok":true}]}`)
	wantError(t, "a cross-check by the village", resp, b, 403, "")
	resp, _, b = step(township, n.ID, "cross_check", `{"outcome":"pass"}`)
	wantError(t, "a cross-check without answers", resp, b, 400, "answers")
	mustStep(township, n.ID, "cross_check", `{"outcome":"pass","answers":[{"department":"民政","answer":"无低保","ok":true},{"department":"医保","answer":"已参保","ok":true}]}`)
	mustStep(village, n.ID, "village_review", `{"outcome":"pass"}`)
	resp, _, b = step(village, n.ID, "notice", `{"outcome":"pass","notice_from":"2026-07-01","notice_to":"2026-07-03"}`)
	wantError(t, "a notice of three days", resp, b, 400, "")
	if !strings.Contains(string(b), "case.notice_min_days") {
		t.Errorf("the short notice's refusal does not name the rule: %s", b)
	}
	mustStep(village, n.ID, "notice", `{"outcome":"pass","notice_from":"2026-07-01","notice_to":"2026-07-05"}`)
	mustStep(township, n.ID, "township_review", `{"outcome":"pass"}`)
	resp, _, b = step(township, n.ID, "county_approval", `{"outcome":"pass"}`)
	wantError(t, "a county approval by the township", resp, b, 403, "")
	if h, _ := f.db.FindHousehold(ctx, normal); h.Groups&backstop.GroupMonitored != 0 {
		t.Errorf("monitored before the county approved")
	}
	approved := mustStep(county, n.ID, "county_approval", `{"outcome":"pass"}`)
	if approved.State != "active" || approved.Step != "national_entry" || approved.IdentifiedOn == "" {
		t.Errorf("after the approval: %+v", approved)
	}
	if h, _ := f.db.FindHousehold(ctx, normal); h.Groups&backstop.GroupMonitored == 0 {
		t.Errorf("not monitored after the county approved")
	}
	done := mustStep(county, n.ID, "national_entry", `{"outcome":"pass"}`)
	if done.Step != "" || len(done.Steps) != 8 || done.Steps[1].Step != "home_check" || len(done.Steps[1].Staff) != 2 {
		t.Errorf("procedure done: %+v", done)
	}
	// Outside the region: not found to read, forbidden to write.
	if resp, _ := f.json(t, "GET", fmt.Sprintf("/api/v1/cases/%d", n.ID), other, ""); resp.StatusCode != 404 {
		t.Errorf("a case outside read: %d", resp.StatusCode)
	}
	if resp, _ := f.json(t, "POST", fmt.Sprintf("/api/v1/cases/%d/steps/x", n.ID), other, `{"outcome":"pass"}`); resp.StatusCode != 403 {
		t.Errorf("a case outside written: %d", resp.StatusCode)
	}

	// A refusal with its reason, and a re-check on appeal.
	const refused = "6207231012017003"
	caseHousehold(t, f, refused, "普通劳动力", "", 5000, false)
	_, r, _ := f.caseDo(t, village, "POST", "/api/v1/cases", `{"household":"`+refused+`","source":"self_report"}`)
	resp, _, b = step(village, r.ID, "application", `{"outcome":"fail"}`)
	wantError(t, "a refusal without its reason", resp, b, 400, "note")
	if a := mustStep(village, r.ID, "application", `{"outcome":"fail","note":"不符合条件"}`); a.State != "refused" {
		t.Errorf("after the refusal: %s", a.State)
	}
	resp, _, b = step(village, r.ID, "application", `{"outcome":"recheck","note":"申请复核"}`)
	wantError(t, "a re-check by the village", resp, b, 403, "")
	if a := mustStep(township, r.ID, "application", `{"outcome":"recheck","note":"农户申请复核"}`); a.State != "in_procedure" || a.Step != "application" {
		t.Errorf("after the re-check: %+v", a)
	}
	// Refused again, then applied for anew: the appeal of the old episode
	// goes to the newer one (which the loop's figures count).
	mustStep(village, r.ID, "application", `{"outcome":"fail","note":"仍不符合条件"}`)
	resp, newer, b := f.caseDo(t, village, "POST", "/api/v1/cases", `{"household":"`+refused+`","source":"self_report"}`)
	if resp.StatusCode != 201 {
		t.Fatalf("a new application after a refusal: %d %s", resp.StatusCode, b)
	}
	mustStep(village, newer.ID, "application", `{"outcome":"fail","note":"不符合条件"}`)
	resp, _, b = step(township, r.ID, "application", `{"outcome":"recheck","note":"农户申请复核"}`)
	wantError(t, "a re-check of a superseded episode", resp, b, 409, "")
	if !strings.Contains(string(b), fmt.Sprintf("案件%d", newer.ID)) {
		t.Errorf("the refusal does not name the newer case: %s", b)
	}

	// A county's named procedure ("831"), set up as data: other steps,
	// roles and clocks drive a case without code.
	for _, p := range []string{
		`{"key":"case.procedures.zy831","region":"620722000000","unit":"steps","effective_from":"2024-01-01","source":"测试：张掖831工作机制",
		  "data":[{"code":"register","zh":"登记建档","role":"village","limit":1,"unit":"workdays"},{"code":"decide","zh":"县级认定","role":"county","limit":2,"unit":"workdays","kind":"approval"}]}`,
		`{"key":"case.procedure","region":"620722000000","unit":"name","effective_from":"2024-01-01","source":"测试：民乐县使用831机制","data":[{"code":"zy831","zh":"张掖831工作机制"}]}`,
	} {
		if resp, b := f.json(t, "POST", "/api/v1/policies", admin, p); resp.StatusCode != 201 {
			t.Fatalf("policy: %d %s", resp.StatusCode, b)
		}
	}
	const minle = "6207221072067001"
	caseHousehold(t, f, minle, "普通劳动力", "", 5000, false)
	minleCounty := f.token(t, "minle", backstop.RoleCounty, "620722")
	resp, c831, b := f.caseDo(t, minleCounty, "POST", "/api/v1/cases", `{"household":"`+minle+`","source":"manual"}`)
	if resp.StatusCode != 201 || c831.Procedure != "zy831" || c831.Step != "register" {
		t.Fatalf("a case on the 831 procedure: %d %s", resp.StatusCode, b)
	}
	mustStep(minleCounty, c831.ID, "register", `{"outcome":"pass"}`)
	if a := mustStep(minleCounty, c831.ID, "decide", `{"outcome":"pass"}`); a.State != "active" || a.Step != "" {
		t.Errorf("the 831 procedure's end: %+v", a)
	}
	if clk, err := f.db.FindClock(ctx, backstop.ClockCaseStep, fmt.Sprintf("case:%d:v2:decide", c831.ID)); err != nil || clk.LimitValue != 2 || clk.State != backstop.ClockMet {
		t.Errorf("the 831 step's clock: %+v %v", clk, err)
	}

	// Clearing.
	force := func(id int64, state backstop.CaseState, identified time.Time) {
		t.Helper()
		c, err := f.db.FindCase(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		c.State, c.Step, c.IdentifiedOn = state, "", identified.In(backstop.Beijing).Format(time.DateOnly)
		d := &backstop.MonitoringDecision{Monitored: state != backstop.CaseCleared, IdentifiedOn: c.IdentifiedOn, MonitorType: backstop.MonitorSuddenHardship}
		if err := f.db.UpdateCase(ctx, c, &backstop.CaseChange{Action: "case.update", Detail: "test: as if the procedure ran", Decision: d}); err != nil {
			t.Fatal(err)
		}
	}
	type clearing struct {
		Eligible bool `json:"eligible"`
		Held     bool `json:"held"`
		Reasons  []struct {
			Code string `json:"code"`
		} `json:"reasons"`
	}
	reasons := func(number string) (clearing, map[string]bool) {
		t.Helper()
		resp, b := f.json(t, "GET", "/api/v1/households/"+number+"/clearing", village, "")
		if resp.StatusCode != 200 {
			t.Fatalf("clearing of %s: %d %s", number, resp.StatusCode, b)
		}
		c := decode[clearing](t, b)
		got := map[string]bool{}
		for _, r := range c.Reasons {
			got[r.Code] = true
		}
		return c, got
	}
	// Identified two months ago, house unsafe, no measure: not eligible.
	const young = "6207231012017004"
	caseHousehold(t, f, young, "普通劳动力", "", 30000, true)
	_, y, _ := f.caseDo(t, village, "POST", "/api/v1/cases", `{"household":"`+young+`","source":"manual"}`)
	force(y.ID, backstop.CaseActive, time.Now().AddDate(0, -2, 0))
	if c, got := reasons(young); c.Eligible || !got["observation_period"] || !got["basic_needs"] || !got["no_measure"] || got["income_below_line"] {
		t.Errorf("a young case with an unsafe house: %+v", c)
	}
	resp, _, b = f.caseDo(t, village, "POST", fmt.Sprintf("/api/v1/cases/%d/clearing", y.ID), `{"way":"help"}`)
	wantError(t, "a clearing before six months", resp, b, 400, "observation_period")
	// Seven months, a measure done, income above the line: eligible, and
	// the clearing procedure runs to 已消除风险.
	const old = "6207231012017005"
	caseHousehold(t, f, old, "普通劳动力", "", 30000, false)
	_, o, _ := f.caseDo(t, village, "POST", "/api/v1/cases", `{"household":"`+old+`","source":"manual"}`)
	force(o.ID, backstop.CaseActive, time.Now().AddDate(0, -7, 0))
	if c, got := reasons(old); c.Eligible || !got["no_measure"] || len(got) != 1 {
		t.Errorf("seven months without a measure: %+v", c)
	}
	resp, b = f.json(t, "POST", fmt.Sprintf("/api/v1/cases/%d/measures", o.ID), village, `{"category":"产业帮扶","item":"养殖业","department":"agriculture","person":"张技术员","status":"done","amount":3000,"started_on":"2026-01-05","done_on":"2026-03-01"}`)
	if resp.StatusCode != 201 {
		t.Fatalf("measure: %d %s", resp.StatusCode, b)
	}
	doneMeasure := decode[struct {
		ID int64 `json:"id"`
	}](t, b).ID
	resp, b = f.json(t, "POST", fmt.Sprintf("/api/v1/cases/%d/measures", o.ID), village, `{"category":"产业帮扶","item":"开飞机","status":"planned"}`)
	wantError(t, "a measure item not in the list", resp, b, 400, "item")
	resp, b = f.json(t, "POST", fmt.Sprintf("/api/v1/cases/%d/measures", o.ID), village, `{"category":"产业帮扶","item":"养殖业","status":"done","started_on":"2026-03-01","done_on":"2026-01-05"}`)
	wantError(t, "a measure done before it started", resp, b, 400, "done_on")
	if c, _ := reasons(old); !c.Eligible {
		t.Fatalf("not eligible after a measure: %+v", c)
	}
	mustClear := func() caseAnswer {
		resp, a, b := f.caseDo(t, village, "POST", fmt.Sprintf("/api/v1/cases/%d/clearing", o.ID), `{"way":"help"}`)
		if resp.StatusCode != 200 || a.State != "clearing" || a.Step != "proposal" {
			t.Fatalf("clearing proposed: %d %s", resp.StatusCode, b)
		}
		return a
	}
	mustClear()
	mustStep(village, o.ID, "proposal", `{"outcome":"pass"}`)
	mustStep(village, o.ID, "home_check", `{"outcome":"pass","staff":["王一","李二"]}`)
	mustStep(village, o.ID, "village_review", `{"outcome":"pass"}`)
	mustStep(village, o.ID, "notice", `{"outcome":"pass","notice_from":"2026-07-01","notice_to":"2026-07-07"}`)
	mustStep(township, o.ID, "township_check", `{"outcome":"pass"}`)
	if a := mustStep(county, o.ID, "county_approval", `{"outcome":"pass"}`); a.State != "cleared" || a.Step != "national_mark" {
		t.Errorf("after the clearing's approval: %+v", a)
	}
	// The plan a clearing rests on is not changed after it.
	resp, b = f.json(t, "POST", fmt.Sprintf("/api/v1/cases/%d/measures/%d", o.ID, doneMeasure), village, `{"category":"产业帮扶","item":"养殖业","status":"refused"}`)
	wantError(t, "a measure of a cleared case changed", resp, b, 409, "")
	if !strings.Contains(string(b), "不能再修改措施") {
		t.Errorf("the refusal does not say why: %s", b)
	}
	// Departments are told of a case opened (the green channel's) and of
	// a clearing (its subject names the clearing's time), once each.
	for typ, id := range map[string]int64{backstop.EventCaseOpened: g.ID, backstop.EventCaseCleared: o.ID} {
		if n, err := f.db.QueryIntForTest(ctx, fmt.Sprintf(`SELECT COUNT(*) FROM shared_events WHERE type = '%s' AND (subject = 'case:%d' OR subject LIKE 'case:%d:%%')`, typ, id, id)); err != nil || n != 1 {
			t.Errorf("%s events of case %d: %d (%v), want 1", typ, id, n, err)
		}
	}
	if h, _ := f.db.FindHousehold(ctx, old); h.Groups&backstop.GroupMonitored != 0 {
		t.Errorf("still monitored after the clearing")
	}
	// 回退: the same episode, monitored again.
	resp, _, b = f.caseDo(t, village, "POST", fmt.Sprintf("/api/v1/cases/%d/revert", o.ID), `{"note":"消除不实"}`)
	wantError(t, "a revert by the village", resp, b, 403, "")
	if resp, a, b := f.caseDo(t, township, "POST", fmt.Sprintf("/api/v1/cases/%d/revert", o.ID), `{"note":"消除不实"}`); resp.StatusCode != 200 || a.State != "active" || a.ID != o.ID {
		t.Errorf("revert: %d %s", resp.StatusCode, b)
	}
	if h, _ := f.db.FindHousehold(ctx, old); h.Groups&backstop.GroupMonitored == 0 {
		t.Errorf("not monitored after the revert")
	}
	// 再标注: a valid clearing, then a new risk opens a new episode linked
	// to the old case.
	force(o.ID, backstop.CaseCleared, time.Now().AddDate(0, -8, 0))
	if resp, a, b := f.caseDo(t, village, "POST", "/api/v1/cases", `{"household":"`+old+`","source":"manual"}`); resp.StatusCode != 201 || a.PreviousCaseID != o.ID || a.Episode != 2 {
		t.Errorf("再标注: %d %s", resp.StatusCode, b)
	}
	// No labour at all, on 低保: 暂不标注, never cleared.
	const held = "6207231012017006"
	caseHousehold(t, f, held, "无劳动力", backstop.SocialDibao, 30000, false)
	_, hc, _ := f.caseDo(t, village, "POST", "/api/v1/cases", `{"household":"`+held+`","source":"manual"}`)
	force(hc.ID, backstop.CaseActive, time.Now().AddDate(0, -7, 0))
	if c, got := reasons(held); c.Eligible || !c.Held || !got["no_labour_safety_net"] {
		t.Errorf("a household without labour on 低保: %+v", c)
	}
	resp, _, b = f.caseDo(t, village, "POST", fmt.Sprintf("/api/v1/cases/%d/clearing", hc.ID), `{"way":"natural"}`)
	wantError(t, "a 暂不标注 household cleared", resp, b, 400, "no_labour_safety_net")
	if resp, a, b := f.caseDo(t, village, "POST", fmt.Sprintf("/api/v1/cases/%d/hold", hc.ID), `{"note":"整户无劳动力，纳入低保"}`); resp.StatusCode != 200 || a.State != "held" {
		t.Errorf("hold: %d %s", resp.StatusCode, b)
	}
	if h, _ := f.db.FindHousehold(ctx, held); h.Groups&backstop.GroupMonitored == 0 {
		t.Errorf("a held household left the monitored group")
	}

	// Lists and the comparison with the national system.
	list := func(token, q string) (int, []byte) {
		t.Helper()
		resp, b := f.json(t, "GET", q, token, "")
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d %s", q, resp.StatusCode, b)
		}
		return decode[struct {
			Total int `json:"total"`
		}](t, b).Total, b
	}
	if n, b := list(county, "/api/v1/cases?green_channel=1"); n != 1 || !strings.Contains(string(b), green) {
		t.Errorf("green-channel cases: %d %s", n, b)
	}
	if n, _ := list(county, "/api/v1/cases?has_debts=1"); n != 1 {
		t.Errorf("cases with debts: %d", n)
	}
	if n, _ := list(county, "/api/v1/cases?state=refused"); n != 2 {
		t.Errorf("refused cases (the re-checked episode refused again, and the newer one): %d", n)
	}
	if n, _ := list(other, "/api/v1/cases"); n != 0 {
		t.Errorf("another county's cases: %d", n)
	}
	if n, b := list(county, "/api/v1/cases/national-diff?kind=local_only"); n < 2 || !strings.Contains(string(b), green) || !strings.Contains(string(b), normal) {
		t.Errorf("local only: %d %s", n, b)
	}
	resp, b = f.json(t, "GET", "/api/v1/cases/national-diff?kind=everything", county, "")
	wantError(t, "a bad comparison kind", resp, b, 400, "")
	// The national checks: 因自然灾害 without its sub-item is a problem.
	const nosub = "6207231012017007"
	caseHousehold(t, f, nosub, "普通劳动力", "", 5000, false)
	_, ns, _ := f.caseDo(t, village, "POST", "/api/v1/cases", `{"household":"`+nosub+`","source":"manual","risk_types":["100A27006"]}`)
	_, view, b := f.caseDo(t, village, "GET", fmt.Sprintf("/api/v1/cases/%d", ns.ID), "")
	if len(view.Problems) != 1 || view.Problems[0].Path != "check.disaster_sub_item" || view.Problems[0].ReasonZH == "" {
		t.Errorf("problems of a case without the sub-item: %s", b)
	}
	resp, _, b = f.caseDo(t, village, "POST", "/api/v1/cases", `{"household":"`+nosub+`","source":"manual","risk_types":["1","2","3","4","5","6"]}`)
	wantError(t, "six risk types", resp, b, 400, "risk_types")
}

// TestCaseDebtsEscalate: a green-channel case's debts past due go to the
// township's duty officers, and after the policy's working days to the
// county's, on the clock engine, each once.
func TestCaseDebtsEscalate(t *testing.T) {
	for _, e := range storetest.Engines {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			db := e.Open(t)
			storetest.LoadRegions(t, db)
			f := serve(t, db, server.Config{MaxUploadBytes: 1 << 20, DataDir: t.TempDir()})
			ctx := storetest.Admin()
			if err := db.CreateContacts(ctx,
				&backstop.Contact{Kind: backstop.ContactDutyOfficer, Name: "沙河镇值班", Region: "620723101000", Phone: "13900000001"},
				&backstop.Contact{Kind: backstop.ContactDutyOfficer, Name: "临泽县值班", Region: "620723000000", Phone: "13900000002"}); err != nil {
				t.Fatal(err)
			}
			const number = "6207231012017101"
			caseHousehold(t, f, number, "普通劳动力", "", 5000, false)
			loss, err := f.app.Screening.FileLossReport(ctx, number, screening.LossInput{HouseDamage: "collapsed", HouseRooms: 2})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := f.app.Screening.VerifyLossReport(ctx, loss.ID); err != nil {
				t.Fatal(err)
			}
			v, err := f.app.Cases.Open(ctx, casesOpen(number))
			if err != nil {
				t.Fatal(err)
			}
			c, _ := db.FindCase(ctx, v.ID)
			sent := func() map[string]int {
				t.Helper()
				rows, err := db.WriteDB().Query(db.Rebind(`SELECT address FROM messages WHERE stream_id = ?`), c.StreamID)
				if err != nil {
					t.Fatal(err)
				}
				defer rows.Close()
				out := map[string]int{}
				for rows.Next() {
					var a string
					rows.Scan(&a)
					out[a]++
				}
				return out
			}
			// A month later every debt is overdue: the township is told of
			// each of the 8; nobody at the county yet.
			later := time.Now().AddDate(0, 1, 0)
			// The engine and the use case read the same clock.
			f.app.Clocks.Now = func() time.Time { return later }
			f.app.Cases.Now = f.app.Clocks.Now
			defer func() { f.app.Clocks.Now, f.app.Cases.Now = nil, nil }()
			if _, err := f.app.Clocks.RunDue(ctx); err != nil {
				t.Fatal(err)
			}
			if got := sent(); got["13900000001"] != 8 || got["13900000002"] != 0 {
				t.Errorf("after the debts' due: %v, want the township told of 8", got)
			}
			// Past the policy's working days: the county.
			f.app.Clocks.Now = func() time.Time { return later.AddDate(0, 0, 10) }
			f.app.Cases.Now = f.app.Clocks.Now
			if _, err := f.app.Clocks.RunDue(ctx); err != nil {
				t.Fatal(err)
			}
			if got := sent(); got["13900000001"] != 8 || got["13900000002"] != 8 {
				t.Errorf("after the county's interval: %v", got)
			}
			clocks, _, err := db.FindClocks(ctx, backstop.ClockFilter{Kind: backstop.ClockCaseDebt, Limit: 100})
			if err != nil || len(clocks) != 8 {
				t.Fatalf("debt clocks: %d %v", len(clocks), err)
			}
			for _, clk := range clocks {
				if clk.Stage != 2 || clk.State != backstop.ClockRunning {
					t.Errorf("debt clock %s: stage %d, %s", clk.Subject, clk.Stage, clk.State)
				}
			}
			// Once more: nothing new is sent (stage 2 is the last).
			f.app.Clocks.RunDue(ctx)
			if got := sent(); got["13900000001"] != 8 || got["13900000002"] != 8 {
				t.Errorf("a third run sent more: %v", got)
			}
		})
	}
}

func casesOpen(number string) cases.OpenInput {
	return cases.OpenInput{Household: number, Source: "assessment", GreenChannel: true, RiskTypes: []string{"100A27006"}, DisasterSubItem: "洪涝灾害"}
}
