package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/channel"
	"github.com/zhangye-backstop/backstop/dispatch"
	"github.com/zhangye-backstop/backstop/httpapi"
	"github.com/zhangye-backstop/backstop/server"
	"github.com/zhangye-backstop/backstop/storetest"
)

func TestReleaseAPI(t *testing.T) {
	db := storetest.OpenSQLite(t)
	ctx := storetest.Admin()
	storetest.DemoExposure(t, db, 2000, 9)
	var mu sync.Mutex
	sent := map[string]string{} // key → phone
	gw := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b struct{ To, Text, Key string }
		json.NewDecoder(r.Body).Decode(&b)
		mu.Lock()
		sent[b.Key] = b.To
		mu.Unlock()
		w.Write([]byte(`{"id":"x"}`))
	}))
	defer gw.Close()
	senders, _ := channel.Build(channel.Config{SMSWebhook: gw.URL})
	d := &dispatch.Service{Senders: senders, BaseURL: "https://b.test"}
	f := serve(t, db, server.Config{CAPSender: "backstop.test", CAPRegion: "620700", Dispatch: d, ReceiptSecret: "receipt-secret"})
	city := f.token(t, "city", backstop.RoleCity, "620700")
	dept := f.token(t, "weather", backstop.RoleDepartment, "620700")

	resp, body := f.do(t, "POST", "/api/v1/warnings", dept, strings.NewReader(`{"hazard":"暴雨","level":"红","headline":"临泽县暴雨红色预警","areas":[{"desc":"临泽县","regions":["620723"]}]}`), "application/json")
	if resp.StatusCode != 201 {
		t.Fatalf("warning: %d %s", resp.StatusCode, body)
	}
	w := decode[struct{ ID int64 }](t, body)
	req := `{"audiences": ["key_groups", "helpers", "households"], "channels": ["sms"], "test": false}`
	// A department may push warnings but not release to households.
	if resp, _ := f.do(t, "POST", fmt.Sprintf("/api/v1/warnings/%d/releases", w.ID), dept, strings.NewReader(req), "application/json"); resp.StatusCode != 403 {
		t.Errorf("department release: %d", resp.StatusCode)
	}
	resp, body = f.do(t, "POST", fmt.Sprintf("/api/v1/warnings/%d/releases/preview", w.ID), city, strings.NewReader(req), "application/json")
	if resp.StatusCode != 200 {
		t.Fatalf("preview: %d %s", resp.StatusCode, body)
	}
	pv := decode[dispatch.Preview](t, body)
	resp, body = f.do(t, "POST", fmt.Sprintf("/api/v1/warnings/%d/releases", w.ID), city, strings.NewReader(req), "application/json")
	if resp.StatusCode != 201 || resp.Header.Get("Location") == "" {
		t.Fatalf("release: %d %s", resp.StatusCode, body)
	}
	rel := decode[struct {
		ID     int64            `json:"id"`
		Counts []backstop.Count `json:"counts"`
	}](t, body)
	if rel.ID == 0 || len(rel.Counts) != len(pv.Counts) {
		t.Fatalf("release %s, preview %+v", body, pv.Counts)
	}
	// The city's release on 临泽县's warning belongs to 临泽县: its
	// confirmation clock is on the county officers' list, and its audit
	// row on the county auditor's.
	county := f.token(t, "lz_county", backstop.RoleCounty, "620723")
	countyAuditor := f.token(t, "lz_audit", backstop.RoleAuditor, "620723")
	subject := fmt.Sprintf("release:%d", rel.ID)
	_, body = f.do(t, "GET", "/api/v1/clocks?subject="+subject, county, nil, "")
	if clocks := decode[struct {
		Items []backstop.Clock `json:"items"`
	}](t, body); len(clocks.Items) != 1 || clocks.Items[0].Region != "620723000000" {
		t.Errorf("the county's officers see the release's clock: %s", body)
	}
	_, body = f.do(t, "GET", "/api/v1/audit?action=release.create&record="+fmt.Sprint(rel.ID), countyAuditor, nil, "")
	if audit := decode[struct {
		Total int `json:"total"`
	}](t, body); audit.Total != 1 {
		t.Errorf("the county's auditor sees the release's audit row: %s", body)
	}
	for i := 0; i < 5 && len(sent) < pv.Messages; i++ {
		if err := d.Sweep(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if len(sent) != pv.Messages {
		t.Fatalf("gateway got %d of %d", len(sent), pv.Messages)
	}
	// Receipts: signed, or with the token; forged and unknown ones are refused.
	var key string
	for k := range sent {
		key = k
		break
	}
	receipt := fmt.Sprintf(`{"key":%q,"status":"delivered"}`, key)
	post := func(path, body, sig string) int {
		r, _ := http.NewRequest("POST", f.srv.URL+path, strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		if sig != "" {
			r.Header.Set("X-Backstop-Signature", sig)
		}
		res, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if code := post("/api/v1/receipts/sms", receipt, "sha256=00"); code != 401 {
		t.Errorf("forged signature: %d", code)
	}
	if code := post("/api/v1/receipts/sms", receipt, ""); code != 401 {
		t.Errorf("unsigned receipt: %d", code)
	}
	if code := post("/api/v1/receipts/sms?token=wrong", receipt, ""); code != 401 {
		t.Errorf("wrong token: %d", code)
	}
	if code := post("/api/v1/receipts/sms", `{"key":"bst-1-99999999","status":"delivered"}`, httpapi.ReceiptSignature("receipt-secret", []byte(`{"key":"bst-1-99999999","status":"delivered"}`))); code != 404 {
		t.Errorf("unknown message: %d", code)
	}
	if code := post("/api/v1/receipts/sms", receipt, httpapi.ReceiptSignature("receipt-secret", []byte(receipt))); code != 200 {
		t.Errorf("signed receipt: %d", code)
	}
	var other string
	for k := range sent {
		if k != key {
			other = k
			break
		}
	}
	aliyun := fmt.Sprintf(`[{"phone_number":"10000000000","send_time":"2026-07-15 08:00:01","report_time":"2026-07-15 08:00:05","success":false,"err_code":"MK:0001","err_msg":"用户关机","sms_size":"1","biz_id":"1","out_id":%q}]`, other)
	if code := post("/api/v1/receipts/sms?token=receipt-secret", aliyun, ""); code != 200 {
		t.Errorf("Alibaba Cloud report with token: %d", code)
	}
	if code := post("/api/v1/receipts/fax", receipt, httpapi.ReceiptSignature("receipt-secret", []byte(receipt))); code != 404 {
		t.Errorf("unknown channel: %d", code)
	}
	resp, body = f.do(t, "GET", fmt.Sprintf("/api/v1/releases/%d", rel.ID), city, nil, "")
	if resp.StatusCode != 200 {
		t.Fatalf("release dashboard: %d %s", resp.StatusCode, body)
	}
	dash := decode[struct {
		Stats backstop.ReleaseStats `json:"stats"`
	}](t, body)
	statuses := map[string]int{}
	for _, c := range dash.Stats.Messages {
		statuses[c.Status] += c.N
	}
	if statuses["delivered"] != 1 || statuses["failed"] != 1 || dash.Stats.FirstDelivered == nil || dash.Stats.Tasks.Total == 0 {
		t.Fatalf("dashboard %s", body)
	}
	// Tasks: phones masked; a village cadre sees the village only and can
	// confirm there — the cadre of a village the release has tasks in.
	_, body = f.do(t, "GET", fmt.Sprintf("/api/v1/releases/%d/tasks?limit=1", rel.ID), city, nil, "")
	first := decode[struct {
		Items []backstop.FieldTask `json:"items"`
	}](t, body)
	if len(first.Items) == 0 {
		t.Fatal("the release has no tasks")
	}
	cadreVillage := first.Items[0].VillageCode
	village := f.token(t, "cadre", backstop.RoleVillage, cadreVillage)
	resp, body = f.do(t, "GET", fmt.Sprintf("/api/v1/releases/%d/tasks?open=1&limit=1000", rel.ID), village, nil, "")
	if resp.StatusCode != 200 {
		t.Fatalf("village tasks: %d %s", resp.StatusCode, body)
	}
	tasks := decode[struct {
		Items []backstop.FieldTask `json:"items"`
		Total int                  `json:"total"`
	}](t, body)
	for _, tk := range tasks.Items {
		if tk.VillageCode != cadreVillage || (tk.Phone != "" && !strings.Contains(tk.Phone, "****")) {
			t.Fatalf("task outside the village or unmasked: %+v", tk)
		}
	}
	_, body = f.do(t, "GET", fmt.Sprintf("/api/v1/releases/%d/tasks?limit=1000", rel.ID), city, nil, "")
	all := decode[struct {
		Items []backstop.FieldTask `json:"items"`
		Total int                  `json:"total"`
	}](t, body)
	if all.Total <= tasks.Total || all.Total != dash.Stats.Tasks.Total {
		t.Fatalf("city sees %d tasks, village %d, dashboard %d", all.Total, tasks.Total, dash.Stats.Tasks.Total)
	}
	var outside int64
	for _, tk := range all.Items {
		if tk.VillageCode != cadreVillage {
			outside = tk.ID
			break
		}
	}
	if resp, _ := f.do(t, "POST", fmt.Sprintf("/api/v1/tasks/%d/confirm", outside), village, strings.NewReader(`{"outcome":"phone"}`), "application/json"); resp.StatusCode != 403 {
		t.Errorf("confirming outside the village: %d", resp.StatusCode)
	}
	if tasks.Total == 0 {
		t.Fatal("the village has no tasks to confirm")
	}
	resp, body = f.do(t, "POST", fmt.Sprintf("/api/v1/tasks/%d/confirm", tasks.Items[0].ID), village, strings.NewReader(`{"outcome":"in_person","note":"上门告知"}`), "application/json")
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"outcome":"in_person"`) {
		t.Fatalf("confirm: %d %s", resp.StatusCode, body)
	}
	// Templates: an unknown placeholder is refused at save.
	resp, body = f.do(t, "POST", "/api/v1/templates", city, strings.NewReader(`{"hazard":"hail","text":"冰雹{levl}预警"}`), "application/json")
	if resp.StatusCode != 400 || !strings.Contains(string(body), "{levl}") {
		t.Errorf("bad template: %d %s", resp.StatusCode, body)
	}
	resp, body = f.do(t, "POST", "/api/v1/templates/preview", city, strings.NewReader(fmt.Sprintf(`{"text":"{hazard}{level}预警：{area}，{time}。{action}","warning_id":%d}`, w.ID)), "application/json")
	if resp.StatusCode != 200 || !strings.Contains(string(body), "临泽县") || !strings.Contains(string(body), `"sms_segments":1`) {
		t.Errorf("template preview: %d %s", resp.StatusCode, body)
	}
	// Contacts are listed masked; channels say what is configured.
	resp, body = f.do(t, "GET", "/api/v1/contacts?kind=duty_officer", city, nil, "")
	if resp.StatusCode != 200 || !strings.Contains(string(body), "****") {
		t.Errorf("contacts: %d %.200s", resp.StatusCode, body)
	}
	resp, body = f.do(t, "GET", "/api/v1/channels", city, nil, "")
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"channel":"sms","configured":true`) {
		t.Errorf("channels: %d %s", resp.StatusCode, body)
	}
	// A test message goes out at once, for admins only, audited.
	if resp, _ := f.do(t, "POST", "/api/v1/channels/sms/test", city, strings.NewReader(`{"address":"10012345678"}`), "application/json"); resp.StatusCode != 403 {
		t.Errorf("city test send: %d", resp.StatusCode)
	}
	admin := f.token(t, "root2", backstop.RoleAdmin, backstop.NationalScope)
	resp, body = f.do(t, "POST", "/api/v1/channels/sms/test", admin, strings.NewReader(`{"address":"10012345678"}`), "application/json")
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"accepted":true`) {
		t.Fatalf("test send: %d %s", resp.StatusCode, body)
	}
	entries, _, _ := db.FindAudit(ctx, backstop.AuditFilter{Action: "channel.test"})
	if len(entries) != 1 || strings.Contains(entries[0].Detail, "10012345678") {
		t.Errorf("audit of the test send: %+v", entries)
	}
	// A CAP alert from another sender, once released here, goes out in the CAP feed.
	capDoc := `<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>62072341600000_20260715090000_1</identifier><sender>linze_weather</sender><sent>2026-07-15T09:00:00+08:00</sent>
<status>Actual</status><msgType>Alert</msgType><scope>Public</scope><info><language>zh-CN</language><category>Met</category><event>大风</event><urgency>Expected</urgency>
<severity>Severe</severity><certainty>Likely</certainty><headline>临泽县气象台发布大风橙色预警</headline><area><areaDesc>临泽县</areaDesc>
<geocode><valueName>CPEAS Geographic Code</valueName><value>620723000000</value></geocode></area></info></alert>`
	resp, body = f.do(t, "POST", "/api/v1/warnings", dept, strings.NewReader(capDoc), "application/cap+xml")
	if resp.StatusCode != 201 {
		t.Fatalf("CAP warning: %d %s", resp.StatusCode, body)
	}
	cw := decode[struct{ ID int64 }](t, body)
	_, feed := f.do(t, "GET", "/cap/feed.atom", "", nil, "")
	if strings.Contains(string(feed), fmt.Sprintf("urn:backstop:warning:%d<", cw.ID)) {
		t.Fatal("a CAP warning from another sender is in the feed before any release")
	}
	if resp, body := f.do(t, "POST", fmt.Sprintf("/api/v1/warnings/%d/releases", cw.ID), city, strings.NewReader(`{"audiences":["officers"],"channels":["sms"]}`), "application/json"); resp.StatusCode != 201 {
		t.Fatalf("release of the CAP warning: %d %s", resp.StatusCode, body)
	}
	_, feed = f.do(t, "GET", "/cap/feed.atom", "", nil, "")
	if !strings.Contains(string(feed), fmt.Sprintf("urn:backstop:warning:%d<", cw.ID)) || !strings.Contains(string(feed), "临泽县气象台发布大风橙色预警") {
		t.Errorf("the released warning is not in the CAP feed:\n%.1500s", feed)
	}
	_ = time.Now
}
