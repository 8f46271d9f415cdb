package web_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/alerting"
	"github.com/zhangye-backstop/backstop/channel"
	"github.com/zhangye-backstop/backstop/dispatch"
	"github.com/zhangye-backstop/backstop/server"
	"github.com/zhangye-backstop/backstop/server/servertest"
	"github.com/zhangye-backstop/backstop/sqlstore"
	"github.com/zhangye-backstop/backstop/storetest"
	"github.com/zhangye-backstop/backstop/web"
)

func screeningPost(t *testing.T, c *http.Client, u string, form url.Values, fetch bool) (int, string, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if fetch {
		req.Header.Set("X-Requested-With", "fetch")
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Request.URL.Path
}

func untranslated(t *testing.T, what, body string) {
	t.Helper()
	if i := strings.Index(body, "⟦"); i >= 0 {
		t.Errorf("%s: untranslated key %s", what, body[i:min(len(body), i+40)])
	}
}

// TestScreeningPages goes through the 排查 pages as people would: a city
// officer makes an event from a warning page and a campaign from the
// event page; the helper opens the SMS link, sees the visit beside any
// confirmations, fills the loss form on the phone; the assessment, the
// at-risk queue, the statistics and intake show it; a household reports
// on the village's public page reached by the poster's QR code.
func TestScreeningPages(t *testing.T) {
	for _, e := range storetest.Engines {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			testScreeningPages(t, e.Open(t))
		})
	}
}

func testScreeningPages(t *testing.T, db *sqlstore.DB) {
	storetest.DemoExposure(t, db, 1500, 9)
	var mu sync.Mutex
	var texts []string
	gw := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b struct{ To, Text string }
		json.NewDecoder(r.Body).Decode(&b)
		mu.Lock()
		texts = append(texts, b.Text)
		mu.Unlock()
		w.Write([]byte(`{"id":"x"}`))
	}))
	defer gw.Close()
	senders, _ := channel.Build(channel.Config{SMSWebhook: gw.URL})
	d := &dispatch.Service{Senders: senders}
	app, srv := servertest.New(t, db, server.Config{CAPSender: "backstop.test", CAPRegion: "620700", Dispatch: d})
	d.BaseURL = srv.URL
	app.Screening.LinkBase = srv.URL
	if err := db.CreateUser(storetest.Admin(), &backstop.User{Name: "boss", Role: backstop.RoleCity, Region: "620700"}, password); err != nil {
		t.Fatal(err)
	}
	s := &site{db: db, srv: srv, alerts: app.Alerting}
	c := s.client(t, "boss", web.LangZH)
	w, err := app.Alerting.IngestInput(storetest.Admin(), &alerting.Input{Hazard: "rainstorm", Level: "red", Headline: "临泽县暴雨红色预警", Areas: []alerting.InputArea{{Desc: "临泽县", Regions: []string{"620723"}}}}, "json")
	if err != nil {
		t.Fatal(err)
	}
	status, body := get(t, c, fmt.Sprintf("%s/warnings/%d", srv.URL, w.ID))
	if status != 200 || !strings.Contains(body, `data-testid="screening-from-warning"`) {
		t.Fatalf("warning page: %d", status)
	}
	status, body, path := screeningPost(t, c, srv.URL+"/screening/events", url.Values{"warning_id": {fmt.Sprint(w.ID)}}, false)
	if status != 200 || !strings.HasPrefix(path, "/screening/events/") || !strings.Contains(body, `data-testid="statistics"`) || !strings.Contains(body, "初报时限") {
		t.Fatalf("event from the warning: %d %s", status, path)
	}
	untranslated(t, "event page", body)
	eventPath := path
	eventID := strings.TrimPrefix(path, "/screening/events/")
	status, body, path = screeningPost(t, c, srv.URL+"/screening/campaigns", url.Values{"event_id": {eventID}, "kind": {"post_disaster"}}, false)
	if status != 200 || !strings.HasPrefix(path, "/screening/campaigns/") || !strings.Contains(body, `data-testid="visit-list"`) || !strings.Contains(body, `id="warning-map-data"`) {
		t.Fatalf("campaign from the event: %d %s", status, path)
	}
	untranslated(t, "campaign page", body)
	if !strings.Contains(body, "本地默认，未核实") || !strings.Contains(body, `data-testid="policy-sources"`) {
		t.Errorf("the campaign page does not mark its unverified local lists")
	}
	for i := 0; i < 5 && len(texts) == 0; i++ {
		if err := d.Sweep(storetest.Admin()); err != nil {
			t.Fatal(err)
		}
	}
	mu.Lock()
	link := regexp.MustCompile(regexp.QuoteMeta(srv.URL) + `/c/[0-9a-f]+`).FindString(strings.Join(texts, "\n"))
	mu.Unlock()
	if link == "" {
		t.Fatalf("no link in the helpers' SMS: %v", texts)
	}

	// The helper's phone page: no account, the visit beside confirmations.
	jar, _ := cookiejar.New(nil)
	phone := &http.Client{Jar: jar}
	status, body = get(t, phone, link)
	visit := regexp.MustCompile(`data-testid="visit-(\d+)"`).FindStringSubmatch(body)
	if status != 200 || visit == nil || !strings.Contains(body, "填写走访和灾损") {
		t.Fatalf("phone page: %d\n%s", status, body)
	}
	form := link + "/visits/" + visit[1]
	status, body = get(t, phone, form)
	if status != 200 || !strings.Contains(body, `data-draft="visit-`+visit[1]+`"`) || !strings.Contains(body, "医疗和教育刚性支出") || !strings.Contains(body, "饮水安全") {
		t.Fatalf("phone loss form: %d\n%s", status, body)
	}
	untranslated(t, "loss form", body)
	loss := url.Values{"house_damage": {"collapsed"}, "house_rooms": {"2"}, "crop_area_mu": {"6"}, "crop_loss_pct": {"150"}, "crop_loss_yuan": {"80000"},
		"check.income_change": {"problem"}, "check.rigid_costs": {"ok"}, "check.compulsory_education": {"ok"}, "check.basic_medical": {"ok"}, "check.housing_safety": {"problem"},
		"check.water_safety": {"ok"}, "water.quality_ok": {"yes"}, "food_clothing_ok": {"yes"}}
	status, body, _ = screeningPost(t, phone, form, loss, false)
	if status != 400 || !strings.Contains(body, "农作物损失比例须在0至100之间") || !strings.Contains(body, `value="80000"`) {
		t.Fatalf("a bad loss form: %d\n%s", status, body)
	}
	status, body, _ = screeningPost(t, phone, form, loss, true)
	if status != 400 || !strings.Contains(body, "农作物损失比例") {
		t.Fatalf("a bad queued form: %d %s", status, body)
	}
	loss.Set("crop_loss_pct", "90")
	if status, body, _ = screeningPost(t, phone, form, loss, true); status != http.StatusNoContent {
		t.Fatalf("the queued loss form: %d %s", status, body)
	}
	status, body = get(t, phone, link)
	if !strings.Contains(body, "✔ 已走访") || !strings.Contains(body, `data-testid="photo-form-`+visit[1]+`"`) {
		t.Fatalf("phone page after the visit: %d", status)
	}
	// A photo from the phone: images only, by content.
	upload := func(data []byte) (int, string) {
		var b bytes.Buffer
		mw := multipart.NewWriter(&b)
		fw, _ := mw.CreateFormFile("photo", "IMG_0001.jpg")
		fw.Write(data)
		mw.Close()
		resp, err := phone.Post(form+"/photos", mw.FormDataContentType(), &b)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		out, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(out)
	}
	if status, body := upload([]byte("%PDF-1.4 not a photo")); status != http.StatusUnsupportedMediaType || !strings.Contains(body, "不是图片") {
		t.Fatalf("a document as a photo: %d", status)
	}
	var img bytes.Buffer
	png.Encode(&img, image.NewGray(image.Rect(0, 0, 3, 3)))
	if status, _ := upload(img.Bytes()); status != 200 {
		t.Fatalf("a photo from the phone: %d", status)
	}

	// The assessment, the queue, the ranking, the statistics.
	task, err := db.FindVisit(storetest.Admin(), mustInt(t, visit[1]))
	if err != nil {
		t.Fatal(err)
	}
	if rep, err := db.FindLossReport(storetest.Admin(), task.Visit.LossReport); err != nil || len(rep.Photos) != 1 || rep.Photos[0].ContentType != "image/png" {
		t.Fatalf("the report's photos: %+v %v", rep, err)
	}
	status, body = get(t, c, srv.URL+"/screening/households/"+task.HouseholdNumber+"/assessment")
	if status != 200 || !strings.Contains(body, "住房安全无保障") || !strings.Contains(body, "100A27006 因自然灾害（洪涝灾害）") {
		t.Fatalf("assessment page: %d\n%s", status, body)
	}
	untranslated(t, "assessment page", body)
	monitored := false
	for _, g := range task.Groups {
		monitored = monitored || g == "monitored"
	}
	for _, p := range []string{"/screening/assessments", "/screening/at-risk?region=620723", eventPath} {
		status, body = get(t, c, srv.URL+p)
		queued := strings.Contains(body, task.HouseholdNumber)
		if status != 200 || (p == eventPath) == queued && !(monitored && strings.Contains(p, "at-risk")) {
			t.Errorf("%s: %d, household missing", p, status)
		}
		untranslated(t, p, body)
	}
	if !strings.Contains(body, "倒塌房屋户数") || !regexp.MustCompile(`<strong>1</strong>`).MatchString(body) {
		t.Errorf("the event's statistics lack the collapsed house")
	}

	// The public self-report page, from the village's poster.
	village := task.VillageCode
	status, body = get(t, c, srv.URL+"/screening/villages/"+village+"/poster")
	if status != 200 || !strings.Contains(body, "<svg") || !strings.Contains(body, "/r/"+village) {
		t.Fatalf("poster: %d", status)
	}
	public := &http.Client{}
	status, body = get(t, public, srv.URL+"/r/"+village)
	if status != 200 || !strings.Contains(body, `data-testid="self-report"`) || strings.Contains(body, "vendor/echarts") {
		t.Fatalf("public page: %d", status)
	}
	id := "62072319850203" + "011"
	id += string(backstop.IDCheckDigit(id))
	report := url.Values{"name": {"张桂兰"}, "phone": {"13812345678"}, "id_number": {id}, "difficulty": {"房子塌了"}, "risk_type": {"100A27006"}}
	status, body, _ = screeningPost(t, public, srv.URL+"/r/"+village, report, false)
	if status != 400 || !strings.Contains(body, "须同意") {
		t.Fatalf("without consent: %d", status)
	}
	report.Set("consent", "yes")
	status, body, _ = screeningPost(t, public, srv.URL+"/r/"+village, report, false)
	code := regexp.MustCompile(`class="mono code">([A-Z0-9]+)<`).FindStringSubmatch(body)
	if status != 201 || code == nil {
		t.Fatalf("self-report: %d\n%s", status, body)
	}
	status, body = get(t, public, srv.URL+"/r/lookup?code="+code[1])
	if status != 200 || !strings.Contains(body, "待核实") || strings.Contains(body, "13812345678") {
		t.Fatalf("lookup: %d", status)
	}
	status, body = get(t, c, srv.URL+"/screening/intake")
	if status != 200 || !strings.Contains(body, code[1]) || !strings.Contains(body, "系统外") || !strings.Contains(body, "138****5678") {
		t.Fatalf("intake page: %d\n%s", status, body)
	}
	// Every 排查 page in English has its words.
	en := s.client(t, "boss", web.LangEN)
	for _, p := range []string{"/screening/events", eventPath, "/screening/campaigns", "/screening/intake", "/screening/assessments", "/screening/at-risk",
		"/screening/households/" + task.HouseholdNumber + "/assessment?reevaluate=1", "/screening/households/" + task.HouseholdNumber + "/loss"} {
		status, body := get(t, en, srv.URL+p)
		if status != 200 {
			t.Errorf("en %s: %d", p, status)
		}
		untranslated(t, "en "+p, body)
	}
}

func mustInt(t *testing.T, s string) int64 {
	var n int64
	if _, err := fmt.Sscan(s, &n); err != nil {
		t.Fatal(err)
	}
	return n
}
