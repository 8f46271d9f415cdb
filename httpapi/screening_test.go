package httpapi_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/channel"
	"github.com/zhangye-backstop/backstop/dispatch"
	"github.com/zhangye-backstop/backstop/server"
	"github.com/zhangye-backstop/backstop/storetest"
)

// smsGateway records what the SMS webhook was sent.
type smsGateway struct {
	mu   sync.Mutex
	srv  *httptest.Server
	sent []struct{ To, Text string }
}

func newSMSGateway(t *testing.T) *smsGateway {
	g := &smsGateway{}
	g.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b struct{ To, Text, Key string }
		json.NewDecoder(r.Body).Decode(&b)
		g.mu.Lock()
		g.sent = append(g.sent, struct{ To, Text string }{b.To, b.Text})
		g.mu.Unlock()
		w.Write([]byte(`{"id":"x"}`))
	}))
	t.Cleanup(g.srv.Close)
	return g
}

func (g *smsGateway) texts() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	var out []string
	for _, s := range g.sent {
		out = append(out, s.Text)
	}
	return out
}

// jsonDo sends a JSON body and decodes nothing.
func (f *fixture) json(t *testing.T, method, path, token, body string) (*http.Response, []byte) {
	t.Helper()
	return f.do(t, method, path, token, strings.NewReader(body), "application/json")
}

// wantError checks an error answer's status, field and Chinese text.
func wantError(t *testing.T, what string, resp *http.Response, body []byte, status int, field string) {
	t.Helper()
	if resp.StatusCode != status {
		t.Errorf("%s: %d %s, want %d", what, resp.StatusCode, body, status)
		return
	}
	e := decode[httpErrorBody](t, body)
	// Sign-in and role refusals come from the auth layer, whose texts the
	// error catalog translates; every input error has its Chinese here.
	if status != 401 && status != 403 && e.Error.MessageZH == "" && !containsHan(e.Error.Message) {
		t.Errorf("%s: no Chinese message in %s", what, body)
	}
	if field == "" {
		return
	}
	for _, d := range e.Error.Details {
		if d.Path == field && d.ReasonZH != "" {
			return
		}
	}
	t.Errorf("%s: no problem at %s with a Chinese reason in %s", what, field, body)
}

type httpErrorBody struct {
	Error struct {
		Code      string             `json:"code"`
		Message   string             `json:"message"`
		MessageZH string             `json:"message_zh"`
		Details   []backstop.Problem `json:"details"`
	} `json:"error"`
}

func containsHan(s string) bool {
	for _, r := range s {
		if r >= 0x4e00 && r <= 0x9fff {
			return true
		}
	}
	return false
}

func pngBytes(t *testing.T) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 4, 3))
	img.Set(1, 1, color.RGBA{200, 10, 10, 255})
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestScreeningAPI walks the "done when" on the demo data over the
// API, on both engines: warning → event → campaign → visits with their
// helpers' SMS links → a loss report from a visit → an assessment with
// reasons → the at-risk queue and the event's statistics; verification,
// corrections, photos, and each bad input of the issue.
func TestScreeningAPI(t *testing.T) {
	for _, e := range storetest.Engines {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			db := e.Open(t)
			storetest.DemoExposure(t, db, 2000, 9)
			gw := newSMSGateway(t)
			senders, _ := channel.Build(channel.Config{SMSWebhook: gw.srv.URL})
			d := &dispatch.Service{Senders: senders, BaseURL: "https://b.test"}
			dataDir := t.TempDir()
			f := serve(t, db, server.Config{CAPSender: "backstop.test", CAPRegion: "620700", Dispatch: d, DataDir: dataDir, MaxPhotoBytes: 4096})
			city := f.token(t, "city", backstop.RoleCity, "620700")
			dept := f.token(t, "weather", backstop.RoleDepartment, "620700")
			testScreening(t, f, gw, d, dataDir, city, dept)
		})
	}
}

func testScreening(t *testing.T, f *fixture, gw *smsGateway, d *dispatch.Service, dataDir, city, dept string) {
	ctx := storetest.Admin()
	resp, body := f.json(t, "POST", "/api/v1/warnings", dept, `{"hazard":"暴雨","level":"红","headline":"临泽县暴雨红色预警","areas":[{"desc":"临泽县","regions":["620723"]}]}`)
	if resp.StatusCode != 201 {
		t.Fatalf("warning: %d %s", resp.StatusCode, body)
	}
	w := decode[struct{ ID int64 }](t, body)

	// The event, in one click from the warning.
	resp, body = f.json(t, "POST", "/api/v1/events", city, fmt.Sprintf(`{"warning_id": %d}`, w.ID))
	if resp.StatusCode != 201 {
		t.Fatalf("event: %d %s", resp.StatusCode, body)
	}
	ev := decode[backstop.DisasterEvent](t, body)
	if ev.ID == 0 || ev.Hazard != "rainstorm" || len(ev.Regions) != 1 || ev.Regions[0] != "620723000000" || ev.State != backstop.EventOngoing {
		t.Fatalf("event %+v", ev)
	}
	resp, body = f.do(t, "GET", fmt.Sprintf("/api/v1/events/%d", ev.ID), city, nil, "")
	detail := decode[struct {
		Clocks []backstop.Clock `json:"clocks"`
	}](t, body)
	if resp.StatusCode != 200 || len(detail.Clocks) != 1 || detail.Clocks[0].Kind != backstop.ClockEventInitial || detail.Clocks[0].Due.Sub(ev.StartedAt) != 2*time.Hour {
		t.Fatalf("event detail: %d %s", resp.StatusCode, body)
	}

	// A campaign on the event: one visit per must-visit household.
	resp, body = f.json(t, "POST", "/api/v1/campaigns", city, fmt.Sprintf(`{"kind":"post_disaster","event_id":%d,"due_workdays":3}`, ev.ID))
	if resp.StatusCode != 201 {
		t.Fatalf("campaign: %d %s", resp.StatusCode, body)
	}
	camp := decode[struct {
		ID          int64               `json:"id"`
		Visits      int                 `json:"visits"`
		DueWorkdays int                 `json:"due_workdays"`
		Cohorts     []backstop.ListItem `json:"cohorts"`
		Checklist   []backstop.ListItem `json:"checklist"`
		PolicyIDs   []int64             `json:"policy_ids"`
	}](t, body)
	if camp.Visits == 0 || camp.DueWorkdays != 3 || len(camp.Cohorts) != 7 || len(camp.Checklist) != 6 || len(camp.PolicyIDs) != 2 {
		t.Fatalf("campaign %s", body)
	}
	// Every key-group household of 临泽县 has a visit, and no other one.
	keyGroups := backstop.GroupFormerlyPoor | backstop.GroupMonitored | backstop.GroupDibao | backstop.GroupDisability | backstop.GroupLowIncome
	var want int
	if err := f.db.WriteDB().QueryRow(f.db.Rebind(`SELECT count(*) FROM households WHERE village_code BETWEEN '620723000000' AND '620723999999' AND NOT deleted AND ((groups & ?) <> 0 OR assistance = ?)`),
		int64(keyGroups), string(backstop.SocialTekunDispersed)).Scan(&want); err != nil {
		t.Fatal(err)
	}
	if camp.Visits != want {
		t.Fatalf("%d visits, %d must-visit households in the county", camp.Visits, want)
	}
	resp, body = f.do(t, "GET", fmt.Sprintf("/api/v1/campaigns/%d", camp.ID), city, nil, "")
	prog := decode[struct {
		Visits, Done, Overdue int
		Villages              []backstop.RegionProgress
		Townships             []backstop.RegionProgress
	}](t, body)
	if resp.StatusCode != 200 || prog.Visits != camp.Visits || prog.Done != 0 || prog.Overdue != 0 || len(prog.Villages) == 0 || len(prog.Townships) == 0 {
		t.Fatalf("progress %d %s", resp.StatusCode, body)
	}
	// The helpers get their link by SMS.
	for i := 0; i < 5 && len(gw.texts()) == 0; i++ {
		if err := d.Sweep(ctx); err != nil {
			t.Fatal(err)
		}
	}
	link := regexp.MustCompile(`https://b\.test/c/([0-9a-f]+)`)
	texts := gw.texts()
	if len(texts) == 0 || !link.MatchString(texts[0]) || !strings.Contains(texts[0], "入户排查") {
		t.Fatalf("helpers' SMS: %v", texts)
	}

	// A visit of a household that is not monitored.
	resp, body = f.do(t, "GET", fmt.Sprintf("/api/v1/campaigns/%d/visits?limit=1000", camp.ID), city, nil, "")
	visits := decode[struct{ Items []backstop.FieldTask }](t, body)
	var visit *backstop.FieldTask
	for i, v := range visits.Items {
		monitored := false
		for _, g := range v.Groups {
			monitored = monitored || g == "monitored"
		}
		if !monitored && v.Kind == backstop.TaskVisit && v.Visit != nil && v.Visit.Campaign == camp.ID {
			visit = &visits.Items[i]
			break
		}
	}
	if visit == nil {
		t.Fatalf("no visit of an unmonitored household among %d", len(visits.Items))
	}
	// Each visit goes to the household's helper, else its village's cadre
	// (the store suite checks which cadre).
	for _, v := range visits.Items {
		if v.Assignee == "" || v.AssigneePhone == "" {
			t.Fatalf("visit %d has nobody to do it", v.ID)
		}
		var helper string
		f.db.WriteDB().QueryRow(f.db.Rebind(`SELECT helper_name FROM households WHERE number = ?`), v.HouseholdNumber).Scan(&helper)
		if helper != "" && v.Assignee != helper {
			t.Fatalf("visit %d goes to %s, not the helper %s", v.ID, v.Assignee, helper)
		}
	}
	if strings.Count(visit.Phone, "*") == 0 && visit.Phone != "" {
		t.Errorf("visit phone not masked: %s", visit.Phone)
	}
	number := visit.HouseholdNumber
	village := visit.VillageCode
	var farVillage string
	if err := f.db.WriteDB().QueryRow(`SELECT min(village_code) FROM households WHERE village_code NOT LIKE '620723%'`).Scan(&farVillage); err != nil || farVillage == "" {
		t.Fatalf("a village outside the county: %v", err)
	}
	township := f.token(t, "town", backstop.RoleTownship, village[:9])
	otherTown := f.token(t, "othertown", backstop.RoleTownship, farVillage[:9])
	cadre := f.token(t, "cadre", backstop.RoleVillage, village)

	// Bad input, each named by its field, in Chinese.
	lossPath := "/api/v1/households/" + number + "/loss-reports"
	for _, c := range []struct{ what, body, field string }{
		{"loss over 100%", `{"house_damage":"none","crop_area_mu":3,"crop_loss_pct":150}`, "crop_loss_pct"},
		{"negative claims", `{"house_damage":"none","claims_yuan":-5}`, "claims_yuan"},
		{"rooms over the limit", `{"house_damage":"collapsed","house_rooms":500}`, "house_rooms"},
		{"unknown damage class", `{"house_damage":"flattened"}`, "house_damage"},
		{"negative water", `{"house_damage":"none","water":{"litres_per_person_day":-1}}`, "water.litres_per_person_day"},
	} {
		resp, body := f.json(t, "POST", lossPath, cadre, c.body)
		wantError(t, c.what, resp, body, 400, c.field)
	}
	resp, body = f.json(t, "POST", lossPath, f.token(t, "farcadre", backstop.RoleVillage, farVillage), `{"house_damage":"none"}`)
	wantError(t, "household outside the region", resp, body, 404, "")

	// The loss report from the visit: the crops failed, the house
	// collapsed. The projected income falls below the line.
	report := fmt.Sprintf(`{"task_id":%d,"house_damage":"collapsed","house_rooms":3,"house_loss_yuan":60000,"crop_area_mu":8,"crop_loss_pct":85,"crop_loss_yuan":90000,
 "livestock_loss_yuan":3000,"claims_yuan":2000,"relief_yuan":1000,"medical_self_paid_yuan":500,"relocated":2,"relief_needed":3,
 "water":{"litres_per_person_day":15,"quality_ok":false,"trip_minutes":40,"outage_days":10},"food_clothing_ok":true,
 "checklist":{"income_change":false,"housing_safety":false},"location":{"lon":100.16,"lat":39.23}}`, visit.ID)
	resp, body = f.json(t, "POST", lossPath, cadre, report)
	if resp.StatusCode != 201 {
		t.Fatalf("loss report: %d %s", resp.StatusCode, body)
	}
	filed := decode[struct {
		ID         int64                `json:"id"`
		EventID    int64                `json:"event_id"`
		CampaignID int64                `json:"campaign_id"`
		Assessment *backstop.Assessment `json:"assessment"`
	}](t, body)
	a := filed.Assessment
	if filed.EventID != ev.ID || filed.CampaignID != camp.ID || a == nil || !a.AtRisk || !a.HasReason(backstop.ReasonIncome) || !a.HasReason(backstop.ReasonHousing) || !a.HasReason(backstop.ReasonWater) {
		t.Fatalf("filed %s", body)
	}
	if a.MonitoringLine == nil || *a.MonitoringLine != 7800 || a.ProjectedPerCapitaIncome == nil || *a.ProjectedPerCapitaIncome >= 7800 || len(a.PolicyIDs) < 8 {
		t.Fatalf("income: %+v", a)
	}
	if len(a.RiskTypes) == 0 || a.RiskTypes[0].Code != "100A27006" || a.RiskTypes[0].Name != "因自然灾害" || a.RiskTypes[0].SubItem != "洪涝灾害" || a.GreenChannel {
		t.Fatalf("risk types %+v, green %t", a.RiskTypes, a.GreenChannel)
	}
	resp, body = f.do(t, "GET", fmt.Sprintf("/api/v1/campaigns/%d", camp.ID), city, nil, "")
	if prog := decode[struct{ Done int }](t, body); prog.Done != 1 {
		t.Fatalf("after the report: %s", body)
	}
	resp, body = f.json(t, "POST", lossPath, cadre, `{"house_damage":"none","event_id":`+fmt.Sprint(ev.ID)+`}`)
	wantError(t, "a second first report for the event", resp, body, 409, "")

	// The stored assessment, by the interface's names.
	resp, body = f.do(t, "GET", "/api/v1/households/"+number+"/assessment", city, nil, "")
	var raw map[string]any
	json.Unmarshal(body, &raw)
	for _, k := range []string{"at_risk", "reasons", "projected_per_capita_income", "monitoring_line", "policy_ids", "suggested_monitor_type", "risk_types", "green_channel"} {
		if _, ok := raw[k]; !ok || resp.StatusCode != 200 {
			t.Fatalf("assessment lacks %s: %d %s", k, resp.StatusCode, body)
		}
	}
	reasons := raw["reasons"].([]any)
	if r0 := reasons[0].(map[string]any); r0["code"] != backstop.ReasonIncome || !strings.Contains(r0["text"].(string), "7800") {
		t.Fatalf("first reason %v", r0)
	}

	// In the county's at-risk queue, with days since the report.
	resp, body = f.do(t, "GET", "/api/v1/at-risk?region=620723", city, nil, "")
	queue := decode[struct {
		Items []backstop.AtRiskEntry
		Total int
	}](t, body)
	if resp.StatusCode != 200 || queue.Total != 1 || queue.Items[0].Assessment.HouseholdNumber != number || queue.Items[0].DaysSinceReport != 0 || len(queue.Items[0].Assessment.Reasons) == 0 {
		t.Fatalf("queue %d %s", resp.StatusCode, body)
	}

	// Verification: township or above, in its region.
	verify := fmt.Sprintf("/api/v1/loss-reports/%d/verify", filed.ID)
	resp, body = f.do(t, "POST", verify, cadre, nil, "")
	wantError(t, "a village verifies", resp, body, 403, "")
	resp, body = f.do(t, "POST", verify, otherTown, nil, "")
	wantError(t, "another township verifies", resp, body, 403, "")
	resp, body = f.do(t, "POST", verify, township, nil, "")
	verified := decode[struct {
		State      string               `json:"state"`
		Assessment *backstop.Assessment `json:"assessment"`
	}](t, body)
	if resp.StatusCode != 200 || verified.State != backstop.LossVerified || !verified.Assessment.GreenChannel {
		t.Fatalf("verify: %d %s", resp.StatusCode, body)
	}
	resp, body = f.do(t, "POST", verify, township, nil, "")
	wantError(t, "verified twice", resp, body, 409, "")

	// A correction is a new version that needs verifying again.
	resp, body = f.json(t, "POST", fmt.Sprintf("/api/v1/loss-reports/%d/corrections", filed.ID), cadre, strings.Replace(report, fmt.Sprintf(`"task_id":%d,`, visit.ID), "", 1))
	corrected := decode[struct {
		ID, Chain  int64
		Version    int
		State      string
		Assessment *backstop.Assessment `json:"assessment"`
	}](t, body)
	if resp.StatusCode != 201 || corrected.Chain != filed.ID || corrected.Version != 2 || corrected.State != backstop.LossSubmitted || corrected.Assessment.GreenChannel {
		t.Fatalf("correction: %d %s", resp.StatusCode, body)
	}
	resp, body = f.do(t, "POST", verify, township, nil, "")
	wantError(t, "verifying an old version", resp, body, 409, "")
	resp, body = f.do(t, "GET", lossPath+"?all=1", city, nil, "")
	if versions := decode[struct{ Total int }](t, body); versions.Total != 2 {
		t.Fatalf("versions: %s", body)
	}

	// Photos: images only, by content, within the limit, stored as files.
	photos := fmt.Sprintf("/api/v1/loss-reports/%d/photos", corrected.ID)
	resp, body = f.do(t, "POST", photos, cadre, strings.NewReader("%PDF-1.4 a document named photo.jpg"), "image/jpeg")
	wantError(t, "a photo that is no image", resp, body, 415, "photo")
	resp, body = f.do(t, "POST", photos, cadre, bytes.NewReader(pngBytes(t)[:40]), "image/png")
	wantError(t, "a cut-off image", resp, body, 415, "photo")
	big := append(pngBytes(t), bytes.Repeat([]byte{0}, 5000)...)
	resp, body = f.do(t, "POST", photos, cadre, bytes.NewReader(big), "image/png")
	wantError(t, "a photo over the limit", resp, body, 413, "photo")
	img := pngBytes(t)
	resp, body = f.do(t, "POST", photos, cadre, bytes.NewReader(img), "application/octet-stream")
	photo := decode[backstop.Photo](t, body)
	if resp.StatusCode != 201 || photo.ContentType != "image/png" || photo.Width != 4 || photo.Height != 3 {
		t.Fatalf("photo: %d %s", resp.StatusCode, body)
	}
	if b, err := os.ReadFile(filepath.Join(dataDir, "photos", photo.Hash[:2], photo.Hash)); err != nil || !bytes.Equal(b, img) {
		t.Fatalf("photo file: %v", err)
	}
	resp, body = f.do(t, "GET", photos+"/"+photo.Hash, city, nil, "")
	if resp.StatusCode != 200 || !bytes.Equal(body, img) || resp.Header.Get("Content-Type") != "image/png" {
		t.Fatalf("photo read: %d", resp.StatusCode)
	}

	// The event's statistics, with entered figures.
	resp, body = f.json(t, "PUT", fmt.Sprintf("/api/v1/events/%d/figures", ev.ID), city, `{"region":"620723","deaths":1,"missing":0,"relocated":10,"other_loss_yuan":100000}`)
	if resp.StatusCode != 200 {
		t.Fatalf("figures: %d %s", resp.StatusCode, body)
	}
	resp, body = f.do(t, "GET", fmt.Sprintf("/api/v1/events/%d/statistics?region=620723", ev.ID), city, nil, "")
	st := decode[backstop.DisasterStatistics](t, body)
	if resp.StatusCode != 200 || st.Reports != 1 || st.CollapsedHouseholds != 1 || st.CollapsedRooms != 3 || st.CropAffectedMu != 8 || st.CropFailedMu != 8 ||
		st.Deaths != 1 || st.Relocated != 12 || st.ReliefNeeded != 3 || st.AffectedPeople == 0 || st.WaterDifficulty != st.AffectedPeople || st.DirectLossYuan != 60000+90000+3000+100000 {
		t.Fatalf("statistics %d %s", resp.StatusCode, body)
	}
	if len(st.Rows) != 1 || st.Rows[0].Region != village[:9]+"000" || st.Rows[0].Name == "" || st.Rows[0].Deaths != 0 {
		t.Fatalf("rows %+v", st.Rows)
	}
	names := map[string]float64{}
	for _, in := range st.Indicators {
		names[in.Name] = in.Value
	}
	if names["受灾人口"] == 0 || names["倒塌房屋户数"] != 1 || names["农作物绝收面积（公顷）"] != 8.0/15 || names["因灾死亡人口"] != 1 {
		t.Fatalf("indicators by name %v", names)
	}
	resp, body = f.do(t, "GET", fmt.Sprintf("/api/v1/events/%d/statistics/export?format=xlsx&region=620723", ev.ID), city, nil, "")
	if resp.StatusCode != 200 || !bytes.HasPrefix(body, []byte("PK")) {
		t.Fatalf("statistics xlsx: %d", resp.StatusCode)
	}
	resp, body = f.do(t, "GET", fmt.Sprintf("/api/v1/events/%d/ledger", ev.ID), city, nil, "")
	if resp.StatusCode != 200 || !strings.Contains(string(body), number) || !strings.Contains(string(body), "倒塌") || strings.Count(string(body), "\n") != 2 {
		t.Fatalf("ledger: %d %s", resp.StatusCode, body)
	}
	resp, body = f.json(t, "POST", fmt.Sprintf("/api/v1/events/%d/reports", ev.ID), city, `{"kind":"initial"}`)
	if resp.StatusCode != 201 {
		t.Fatalf("初报: %d %s", resp.StatusCode, body)
	}
	if c, err := f.db.FindClock(ctx, backstop.ClockEventInitial, fmt.Sprintf("event:%d", ev.ID)); err != nil || c.State != backstop.ClockMet {
		t.Fatalf("初报 clock after the report: %+v %v", c, err)
	}
	// Each report while the event goes on makes the next 续报 due (24 hours).
	initial := decode[backstop.EventReport](t, body)
	first, err := f.db.FindClock(ctx, backstop.ClockEventFollowup, fmt.Sprintf("event:%d:%d", ev.ID, initial.ID))
	if err != nil || first.State != backstop.ClockRunning || first.LimitValue != 24 || first.LimitUnit != backstop.UnitHours {
		t.Fatalf("续报 clock after the 初报: %+v %v", first, err)
	}
	resp, body = f.json(t, "POST", fmt.Sprintf("/api/v1/events/%d/reports", ev.ID), city, `{"kind":"followup","note":"续报一"}`)
	followup := decode[backstop.EventReport](t, body)
	if resp.StatusCode != 201 || followup.Statistics == nil || followup.Statistics.Reports != 1 {
		t.Fatalf("续报: %d %s", resp.StatusCode, body)
	}
	if c, _ := f.db.FindClock(ctx, backstop.ClockEventFollowup, first.Subject); c.State != backstop.ClockMet {
		t.Fatalf("the first 续报 clock after the 续报: %s", c.State)
	}
	second, err := f.db.FindClock(ctx, backstop.ClockEventFollowup, fmt.Sprintf("event:%d:%d", ev.ID, followup.ID))
	if err != nil || second.State != backstop.ClockRunning {
		t.Fatalf("the next 续报 clock: %+v %v", second, err)
	}
	resp, body = f.do(t, "GET", fmt.Sprintf("/api/v1/events/%d", ev.ID), city, nil, "")
	if d := decode[struct{ Clocks []backstop.Clock }](t, body); len(d.Clocks) != 2 || d.Clocks[1].ID != second.ID {
		t.Fatalf("event clocks: %s", body)
	}
	// Stabilised: no more follow-ups; the 核报 is due.
	resp, body = f.json(t, "POST", fmt.Sprintf("/api/v1/events/%d/state", ev.ID), city, `{"state":"stabilised"}`)
	if resp.StatusCode != 200 {
		t.Fatalf("stabilise: %d %s", resp.StatusCode, body)
	}
	if c, _ := f.db.FindClock(ctx, backstop.ClockEventFollowup, second.Subject); c.State != backstop.ClockCancelled {
		t.Fatalf("the 续报 clock of a stabilised event: %s", c.State)
	}
	if c, err := f.db.FindClock(ctx, backstop.ClockEventFinal, fmt.Sprintf("event:%d", ev.ID)); err != nil || c.State != backstop.ClockRunning || c.LimitUnit != backstop.UnitWorkdays {
		t.Fatalf("核报 clock: %+v %v", c, err)
	}
	resp, body = f.json(t, "POST", fmt.Sprintf("/api/v1/events/%d/state", ev.ID), city, `{"state":"ongoing"}`)
	wantError(t, "an event back to ongoing", resp, body, 409, "")

	// Overdue visits go to the townships through the outbox.
	later := time.Now().AddDate(0, 0, 14)
	f.app.Clocks.Now = func() time.Time { return later }
	f.app.Screening.Now = func() time.Time { return later }
	if _, err := f.app.Clocks.RunDue(ctx); err != nil {
		t.Fatal(err)
	}
	resp, body = f.do(t, "GET", fmt.Sprintf("/api/v1/campaigns/%d", camp.ID), city, nil, "")
	late := decode[struct{ Visits, Done, Overdue, Escalated int }](t, body)
	if late.Overdue != camp.Visits-1 || late.Escalated != camp.Visits-1 {
		t.Fatalf("after the due date: %s", body)
	}
	var officers int
	f.db.WriteDB().QueryRow(f.db.Rebind(`SELECT count(*) FROM messages m JOIN campaigns c ON c.stream_id = m.stream_id WHERE c.id = ? AND m.audience = ?`), camp.ID, backstop.AudienceOfficers).Scan(&officers)
	if officers == 0 {
		t.Fatal("no township officer was told of the overdue visits")
	}
	f.app.Clocks.Now, f.app.Screening.Now = nil, nil

	// A campaign on a cancelled warning.
	resp, body = f.json(t, "POST", "/api/v1/warnings", dept, fmt.Sprintf(`{"msg_type":"Cancel","supersedes":%d,"hazard":"暴雨","level":"红","areas":[{"desc":"临泽县","regions":["620723"]}]}`, w.ID))
	if resp.StatusCode != 201 {
		t.Fatalf("cancel: %d %s", resp.StatusCode, body)
	}
	resp, body = f.json(t, "POST", "/api/v1/campaigns", city, fmt.Sprintf(`{"kind":"post_disaster","warning_id":%d}`, w.ID))
	wantError(t, "a campaign on a cancelled warning", resp, body, 400, "warning_id")
	resp, body = f.json(t, "POST", "/api/v1/campaigns", city, `{"kind":"flood_season","region":"620723"}`)
	wantError(t, "an unknown campaign kind", resp, body, 400, "kind")

	testIntake(t, f, city, dept, village, cadre)
}

func testIntake(t *testing.T, f *fixture, city, dept, village, cadre string) {
	ctx := storetest.Admin()
	// A registered person's ID number, to be matched.
	var id string
	if err := f.db.WriteDB().QueryRow(f.db.Rebind(`SELECT m.id_number FROM members m JOIN households h ON h.id = m.household_id WHERE h.village_code = ? ORDER BY m.id LIMIT 1`), village).Scan(&id); err != nil {
		t.Fatal(err)
	}
	bad := id[:17] + string("0123456789X"[(strings.IndexByte("0123456789X", id[17])+1)%11])
	report := func(idNumber, phone string, consent bool) string {
		return fmt.Sprintf(`{"village":%q,"name":"王秀英","phone":%q,"id_number":%q,"difficulty":"房子被冲坏了，住不了人","risk_type":"100A27006","consent":%t}`, village, phone, idNumber, consent)
	}
	resp, body := f.json(t, "POST", "/api/v1/self-reports", "", report(id, "13912345678", false))
	wantError(t, "a self-report without consent", resp, body, 400, "consent")
	resp, body = f.json(t, "POST", "/api/v1/self-reports", "", report(bad, "13912345678", true))
	wantError(t, "a wrong check digit", resp, body, 400, "id_number")
	resp, body = f.json(t, "POST", "/api/v1/self-reports", "", report(id, "13912345678", true))
	if resp.StatusCode != 201 {
		t.Fatalf("self-report: %d %s", resp.StatusCode, body)
	}
	first := decode[struct {
		Code string
		Due  backstop.IntakeDue
	}](t, body)
	if len(first.Code) != 10 || first.Due.Check == "" || first.Due.Answer <= first.Due.Check || first.Due.Approval <= first.Due.Answer {
		t.Fatalf("self-report answer %s", body)
	}
	if strings.Contains(string(body), id) || strings.Contains(string(body), "13912345678") {
		t.Fatalf("the public answer shows personal data: %s", body)
	}
	resp, body = f.do(t, "GET", "/api/v1/self-reports/"+strings.ToLower(first.Code), "", nil, "")
	if got := decode[struct{ Code, State, Name string }](t, body); resp.StatusCode != 200 || got.State != string(backstop.IntakeReceived) || got.Name != "王**" {
		t.Fatalf("lookup: %d %s", resp.StatusCode, body)
	}
	// The same ID again: merged into the open report, same code.
	resp, body = f.json(t, "POST", "/api/v1/self-reports", "", report(id, "13912345678", true))
	if got := decode[struct {
		Code   string
		Merged bool
	}](t, body); resp.StatusCode != 201 || got.Code != first.Code || !got.Merged {
		t.Fatalf("duplicate: %d %s", resp.StatusCode, body)
	}
	// A flood from one address: the per-phone limit first, then the
	// per-address one (policy rows, lowered here).
	for _, p := range []*backstop.Policy{{Key: backstop.PolicyIntakePerAddress, Value: 5}, {Key: backstop.PolicyIntakePerPhone, Value: 2}} {
		p.Region, p.EffectiveFrom, p.Source = village, time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), "test: lower limits"
		if err := f.db.CreatePolicy(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	other := func(n int) string { // valid ID numbers of people not registered
		first17 := fmt.Sprintf("62072319800101%03d", n)
		return first17 + string(backstop.IDCheckDigit(first17))
	}
	resp, body = f.json(t, "POST", "/api/v1/self-reports", "", report(other(1), "13912345678", true))
	wantError(t, "a third report with one phone", resp, body, 429, "")
	for i := 2; i < 5; i++ {
		resp, body = f.json(t, "POST", "/api/v1/self-reports", "", report(other(i), fmt.Sprintf("1370000000%d", i), true))
		if resp.StatusCode != 201 {
			t.Fatalf("report %d: %d %s", i, resp.StatusCode, body)
		}
		if decode[struct{ Code string }](t, body).Code == "" {
			t.Fatalf("report %d has no code", i)
		}
	}
	resp, body = f.json(t, "POST", "/api/v1/self-reports", "", report(other(9), "13700000009", true))
	wantError(t, "a flood from one address", resp, body, 429, "")
	if e := decode[httpErrorBody](t, body); !strings.Contains(e.Error.MessageZH, "每天最多提交5次") {
		t.Fatalf("429 message: %s", body)
	}

	// Referrals: a department's token and a reason.
	referral := fmt.Sprintf(`{"department":"civil_affairs","village":%q,"name":"李建国","id_number":%q,"reason":"低保边缘，因灾房屋倒塌"}`, village, other(20))
	resp, body = f.json(t, "POST", "/api/v1/referrals", "bst_notarealtoken", referral)
	wantError(t, "a referral with an unknown token", resp, body, 401, "")
	resp, body = f.json(t, "POST", "/api/v1/referrals", cadre, referral)
	wantError(t, "a referral by a village cadre", resp, body, 403, "")
	resp, body = f.json(t, "POST", "/api/v1/referrals", dept, strings.Replace(referral, "civil_affairs", "tax_bureau", 1))
	wantError(t, "an unknown department", resp, body, 400, "department")
	resp, body = f.json(t, "POST", "/api/v1/referrals", dept, referral)
	if resp.StatusCode != 201 {
		t.Fatalf("referral: %d %s", resp.StatusCode, body)
	}

	// Intake: both sources, matched or not, with their due dates.
	resp, body = f.do(t, "GET", "/api/v1/intake?region="+village, city, nil, "")
	items := decode[struct {
		Items []backstop.IntakeItem
		Total int
	}](t, body)
	if resp.StatusCode != 200 || items.Total != 5 {
		t.Fatalf("intake: %d %s", resp.StatusCode, body)
	}
	sources := map[backstop.IntakeSource]int{}
	matched := 0
	for _, it := range items.Items {
		sources[it.Source]++
		if it.Matched {
			matched++
		}
		if it.Due.Check == "" || strings.Contains(it.IDNumber, id[6:14]) || len(it.Overdue) != 0 {
			t.Fatalf("item %+v", it)
		}
	}
	if sources[backstop.SourceSelfReport] != 4 || sources[backstop.SourceReferral] != 1 || matched != 1 {
		t.Fatalf("sources %v, matched %d", sources, matched)
	}
	// Steps: the village checks; a county approves.
	var item int64
	for _, it := range items.Items {
		if it.Matched {
			item = it.ID
		}
	}
	steps := fmt.Sprintf("/api/v1/intake/%d/steps", item)
	resp, body = f.json(t, "POST", steps, cadre, `{"step":"approve"}`)
	wantError(t, "a village approves", resp, body, 403, "")
	resp, body = f.json(t, "POST", steps, cadre, `{"step":"check","note":"入户核实，属实"}`)
	if got := decode[backstop.IntakeItem](t, body); resp.StatusCode != 200 || got.State != backstop.IntakeChecked {
		t.Fatalf("check: %d %s", resp.StatusCode, body)
	}
	resp, body = f.json(t, "POST", steps, cadre, `{"step":"check"}`)
	wantError(t, "a second check", resp, body, 409, "")
	if c, err := f.db.FindClock(ctx, backstop.ClockIntakeCheck, fmt.Sprintf("intake:%d", item)); err != nil || c.State != backstop.ClockMet {
		t.Fatalf("check clock %+v %v", c, err)
	}
	// Overdue turns up in the list (orange in the UI) after the dates.
	f.app.Screening.Now = func() time.Time { return time.Now().AddDate(0, 1, 0) }
	resp, body = f.do(t, "GET", "/api/v1/intake?overdue=1&region="+village, city, nil, "")
	if over := decode[struct{ Total int }](t, body); over.Total != 5 {
		t.Fatalf("overdue: %s", body)
	}
	// The overdue steps go to the township through the items' streams.
	month := time.Now().AddDate(0, 1, 0)
	f.app.Clocks.Now = func() time.Time { return month }
	if _, err := f.app.Clocks.RunDue(ctx); err != nil {
		t.Fatal(err)
	}
	f.app.Clocks.Now = nil
	var told int
	f.db.WriteDB().QueryRow(f.db.Rebind(`SELECT count(DISTINCT s.subject_id) FROM messages m JOIN streams s ON s.id = m.stream_id WHERE s.kind = ? AND m.audience = ?`),
		backstop.StreamIntake, backstop.AudienceOfficers).Scan(&told)
	if told != 5 {
		t.Fatalf("%d of 5 overdue items escalated to the township", told)
	}
	if c, err := f.db.FindClock(ctx, backstop.ClockIntakeCheck, fmt.Sprintf("intake:%d", item)); err != nil || c.State != backstop.ClockMet || c.Stage != 0 {
		t.Fatalf("a check done in time is not escalated: %+v %v", c, err)
	}
	f.app.Screening.Now = nil
}

// TestAssessmentWithoutLine: a year nobody set a monitoring line for has
// no line (the template roster, without the demo's lines): the assessment
// says so and never assumes one; once an admin adds the year's line, the
// re-evaluation shows what it changes, and nothing is written.
func TestAssessmentWithoutLine(t *testing.T) {
	for _, e := range storetest.Engines {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, e.Open)
			admin := f.token(t, "boss", backstop.RoleCity, "620700")
			if resp, body := f.upload(t, admin, storetest.SharedData(t, "templates/households.csv"), "households.csv", ""); resp.StatusCode != 201 {
				t.Fatalf("import: %d %s", resp.StatusCode, body)
			}
			// 张建国's household: 9,800 a head, 3 people; 9,000 of crops lost.
			path := "/api/v1/households/6207231012010001"
			resp, body := f.json(t, "POST", path+"/loss-reports", admin, `{"house_damage":"none","crop_area_mu":4,"crop_loss_pct":60,"crop_loss_yuan":9000}`)
			if resp.StatusCode != 201 {
				t.Fatalf("loss report: %d %s", resp.StatusCode, body)
			}
			got := decode[struct{ Assessment backstop.Assessment }](t, body).Assessment
			if got.MonitoringLine != nil || got.AtRisk || got.ProjectedPerCapitaIncome == nil || *got.ProjectedPerCapitaIncome != 6800 {
				t.Fatalf("without a line: %s", body)
			}
			if len(got.Notes) != 1 || got.Notes[0].Code != backstop.NoteNoLine || !strings.Contains(got.Notes[0].Text, "未设定") {
				t.Fatalf("the assessment must say no line is set: %+v", got.Notes)
			}
			line := storetest.SetLine(t, f.db, "620000000000", 7800)
			resp, body = f.do(t, "GET", path+"/assessment/reevaluation", admin, nil, "")
			change := decode[backstop.AssessmentChange](t, body)
			if resp.StatusCode != 200 || !change.Changed || !change.Now.AtRisk || change.Stored.AtRisk || !strings.Contains(strings.Join(change.Changes, "\n"), "监测范围：未设定 → 7800") {
				t.Fatalf("re-evaluation: %d %s", resp.StatusCode, body)
			}
			found := false
			for _, id := range change.Now.PolicyIDs {
				found = found || id == line.ID
			}
			if !found {
				t.Fatalf("the re-evaluation does not name the new line's version %d: %v", line.ID, change.Now.PolicyIDs)
			}
			// Nothing was written: the stored assessment is as it was.
			resp, body = f.do(t, "GET", path+"/assessment", admin, nil, "")
			if a := decode[backstop.Assessment](t, body); a.AtRisk || a.MonitoringLine != nil || a.ID != change.Stored.ID {
				t.Fatalf("stored assessment changed: %s", body)
			}
		})
	}
}
