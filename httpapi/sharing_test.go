package httpapi_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/dispatch"
	"github.com/zhangye-backstop/backstop/egress"
	"github.com/zhangye-backstop/backstop/server"
	"github.com/zhangye-backstop/backstop/sharing"
	"github.com/zhangye-backstop/backstop/storetest"
)

// receiver is a department's local webhook endpoint: it checks each
// delivery's signature and records what it was given; mode says how it
// answers (ok, down, 500, slow).
type receiver struct {
	t      *testing.T
	secret string
	srv    *httptest.Server

	mu       sync.Mutex
	mode     string
	got      []sharing.Envelope // accepted, in order
	attempts map[string]int     // by delivery id
	events   []string           // X-Backstop-Event of accepted deliveries
}

func newReceiver(t *testing.T, secret string) *receiver {
	rc := &receiver{t: t, secret: secret, mode: "ok", attempts: map[string]int{}}
	rc.srv = httptest.NewServer(http.HandlerFunc(rc.serve))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) set(mode string) { rc.mu.Lock(); rc.mode = mode; rc.mu.Unlock() }

func (rc *receiver) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	m := hmac.New(sha256.New, []byte(rc.secret))
	m.Write(body)
	want := "sha256=" + hex.EncodeToString(m.Sum(nil))
	if r.Header.Get("X-Backstop-Signature") != want {
		rc.t.Errorf("signature %q, want %q", r.Header.Get("X-Backstop-Signature"), want)
		w.WriteHeader(401)
		return
	}
	if r.Header.Get("X-Backstop-Timestamp") == "" || r.Header.Get("Content-Type") != "application/json; charset=utf-8" {
		rc.t.Errorf("headers: %v", r.Header)
	}
	id := r.Header.Get("X-Backstop-Delivery")
	rc.mu.Lock()
	mode := rc.mode
	rc.attempts[id]++
	rc.mu.Unlock()
	switch mode {
	case "down":
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	case "500":
		w.WriteHeader(http.StatusInternalServerError)
		return
	case "slow":
		time.Sleep(600 * time.Millisecond) // past the sender's timeout
		w.WriteHeader(200)
		return
	}
	var e sharing.Envelope
	if err := json.Unmarshal(body, &e); err != nil {
		rc.t.Errorf("body: %v", err)
	}
	if e.Type != r.Header.Get("X-Backstop-Event") {
		rc.t.Errorf("body type %s, header %s", e.Type, r.Header.Get("X-Backstop-Event"))
	}
	rc.mu.Lock()
	rc.got = append(rc.got, e)
	rc.events = append(rc.events, r.Header.Get("X-Backstop-Event"))
	rc.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

func (rc *receiver) received() []string {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]string(nil), rc.events...)
}

// fakeTime is the dispatcher's clock, moved by the test past backoffs.
type fakeTime struct {
	mu sync.Mutex
	t  time.Time
}

func (f *fakeTime) now() time.Time      { f.mu.Lock(); defer f.mu.Unlock(); return f.t }
func (f *fakeTime) add(d time.Duration) { f.mu.Lock(); f.t = f.t.Add(d); f.mu.Unlock() }

// sweep sends everything due now, batch after batch, as the background
// sweep does.
func sweep(t *testing.T, app *server.Server) {
	t.Helper()
	for range 20 {
		if err := app.Dispatch.Sweep(context.Background()); err != nil {
			t.Fatal(err)
		}
		due, err := app.DB.DueBatches(context.Background(), app.Dispatch.Now(), 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(due) == 0 {
			return
		}
	}
	t.Fatal("the outbox never settled")
}

// TestSubscriptionWebhooks: a department's subscription gets a warning
// ingested and a case opened in its region as signed webhooks, in order,
// once each, through a receiver that was down for a while, one that
// timed out and one that kept answering 500; the delivery log says what
// happened; events outside its region or of other types do not reach it.
func TestSubscriptionWebhooks(t *testing.T) {
	for _, e := range storetest.Engines {
		t.Run(e.Name, func(t *testing.T) {
			db := e.Open(t)
			storetest.LoadRegions(t, db)
			// Ahead of the wall clock, so that what was written now is due.
			clock := &fakeTime{t: time.Now().Add(time.Minute)}
			const secret = "s3cret-of-the-emergency-bureau"
			rc := newReceiver(t, secret)
			u, _ := url.Parse(rc.srv.URL)
			allow, err := egress.NewPolicy(u.Host)
			if err != nil {
				t.Fatal(err)
			}
			f := serve(t, db, server.Config{CAPSender: "backstop.test", CAPRegion: "620700", Outbound: allow, WebhookTimeout: 300 * time.Millisecond, Dispatch: &dispatch.Service{Now: clock.now}})
			admin := f.token(t, "admin1", backstop.RoleAdmin, backstop.NationalScope)
			dept := f.token(t, "emergency1", backstop.RoleDepartment, "620700000000")

			resp, body := f.do(t, "POST", "/api/v1/organisations", admin, strings.NewReader(`{"kind":"emergency","region":"620700","contact":"王应急","phone":"13912345678","members":["emergency1"]}`), "application/json")
			if resp.StatusCode != 201 {
				t.Fatalf("organisation: %d %s", resp.StatusCode, body)
			}
			if strings.Contains(string(body), "13912345678") {
				t.Errorf("the contact's phone is shown unmasked: %s", body)
			}
			// Bad subscriptions: named problems.
			resp, body = f.do(t, "POST", "/api/v1/subscriptions", dept, strings.NewReader(`{"url":"`+rc.srv.URL+`/hook","secret":"short","events":["warning.ingested","weather.sunny"],"region":"62x"}`), "application/json")
			if resp.StatusCode != 400 || !strings.Contains(string(body), "secret") || !strings.Contains(string(body), "events") || !strings.Contains(string(body), "region") {
				t.Errorf("bad subscription: %d %s", resp.StatusCode, body)
			}
			resp, body = f.do(t, "POST", "/api/v1/subscriptions", dept, strings.NewReader(`{"url":"http://10.0.0.8/hook","secret":"`+secret+`","events":["warning.ingested"],"region":"620702"}`), "application/json")
			if resp.StatusCode != 400 || !strings.Contains(string(body), "url") {
				t.Errorf("an internal URL: %d %s", resp.StatusCode, body)
			}
			resp, body = f.do(t, "POST", "/api/v1/subscriptions", dept, strings.NewReader(`{"url":"`+rc.srv.URL+`/hook","secret":"`+secret+`","events":["warning.ingested"],"region":"620900"}`), "application/json")
			if resp.StatusCode != 403 {
				t.Errorf("a region outside the department's: %d %s", resp.StatusCode, body)
			}
			resp, body = f.do(t, "POST", "/api/v1/subscriptions", dept, strings.NewReader(`{"url":"`+rc.srv.URL+`/hook","secret":"`+secret+`","events":["warning.ingested","warning.updated","case.opened"],"region":"620702"}`), "application/json")
			if resp.StatusCode != 201 {
				t.Fatalf("subscription: %d %s", resp.StatusCode, body)
			}
			sub := decode[backstop.Subscription](t, body)
			if strings.Contains(string(body), secret) || sub.SecretHint != "…reau" {
				t.Errorf("the secret is shown: %s", body)
			}

			// A warning for 甘州区 while the receiver is down.
			rc.set("down")
			resp, body = f.do(t, "POST", "/api/v1/warnings", admin, strings.NewReader(`{"hazard":"rainstorm","level":"orange","headline":"甘州区暴雨橙色预警","areas":[{"desc":"甘州区","regions":["620702"]}]}`), "application/json")
			if resp.StatusCode != 201 {
				t.Fatalf("warning: %d %s", resp.StatusCode, body)
			}
			w := decode[struct{ ID int64 }](t, body)
			// A warning elsewhere (临泽县) does not concern the subscription.
			if resp, body := f.do(t, "POST", "/api/v1/warnings", admin, strings.NewReader(`{"hazard":"gale","level":"blue","areas":[{"regions":["620723"]}]}`), "application/json"); resp.StatusCode != 201 {
				t.Fatalf("warning elsewhere: %d %s", resp.StatusCode, body)
			}
			// The cases use case opens a case in one of 甘州区's villages.
			if err := f.app.Sharing.CaseOpened(context.Background(), sharing.CaseNotice{ID: 41, Household: "620702001001000123", Village: "620702001001", MonitorType: "突发严重困难户", GreenChannel: true, At: clock.now()}); err != nil {
				t.Fatal(err)
			}
			// Published twice by its source: sent once.
			if err := f.app.Sharing.CaseOpened(context.Background(), sharing.CaseNotice{ID: 41, Household: "620702001001000123", Village: "620702001001", At: clock.now()}); err != nil {
				t.Fatal(err)
			}
			for i := range 3 {
				sweep(t, f.app)
				if got := rc.received(); len(got) != 0 {
					t.Fatalf("round %d: accepted while down: %v", i, got)
				}
				clock.add(time.Hour) // past any backoff
			}
			rc.mu.Lock()
			if len(rc.attempts) != 1 {
				t.Errorf("while the first delivery fails, the second is held back; attempts %v", rc.attempts)
			}
			rc.mu.Unlock()
			rc.set("ok")
			sweep(t, f.app)
			if got := rc.received(); strings.Join(got, ",") != "warning.ingested,case.opened" {
				t.Fatalf("after the receiver came back: %v", got)
			}
			rc.mu.Lock()
			first, second := rc.got[0], rc.got[1]
			rc.mu.Unlock()
			if first.Subject != "warning:"+itoa(w.ID) || first.Regions[0] != "620702000000" || second.Subject != "case:41" || first.Subscription != sub.ID {
				t.Errorf("bodies: %+v %+v", first, second)
			}
			if strings.Contains(string(second.Data), "13") && strings.Contains(string(second.Data), "phone") {
				t.Errorf("a case notice carries a phone: %s", second.Data)
			}
			// Nothing more comes, however often the sweep runs.
			clock.add(time.Hour)
			sweep(t, f.app)
			if got := rc.received(); len(got) != 2 {
				t.Fatalf("a delivery arrived twice: %v", got)
			}

			// A receiver that times out: the same delivery id again, then
			// accepted.
			rc.set("slow")
			if resp, body := f.do(t, "POST", "/api/v1/warnings", admin, strings.NewReader(`{"hazard":"hail","level":"yellow","areas":[{"regions":["620702"]}]}`), "application/json"); resp.StatusCode != 201 {
				t.Fatalf("warning: %d %s", resp.StatusCode, body)
			}
			sweep(t, f.app)
			rc.set("ok")
			clock.add(time.Hour)
			sweep(t, f.app)
			if got := rc.received(); len(got) != 3 {
				t.Fatalf("after a timeout: %v", got)
			}

			// A receiver that keeps answering 500 fails the delivery after
			// the policy's attempts; the next event then goes.
			if err := db.CreatePolicy(storetest.Admin(), &backstop.Policy{Key: backstop.PolicyWebhookAttempts, Region: backstop.NationalScope, Value: 3,
				EffectiveFrom: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), Source: "test: three attempts"}); err != nil {
				t.Fatal(err)
			}
			rc.set("500")
			if resp, body := f.do(t, "POST", "/api/v1/warnings", admin, strings.NewReader(`{"hazard":"frost","level":"blue","areas":[{"regions":["620702"]}]}`), "application/json"); resp.StatusCode != 201 {
				t.Fatalf("warning: %d %s", resp.StatusCode, body)
			}
			for range 4 {
				sweep(t, f.app)
				clock.add(time.Hour)
			}
			rc.set("ok")
			if err := f.app.Sharing.CaseOpened(context.Background(), sharing.CaseNotice{ID: 42, Household: "620702001001000124", Village: "620702001001", At: clock.now()}); err != nil {
				t.Fatal(err)
			}
			sweep(t, f.app)
			if got := rc.received(); len(got) != 4 || got[3] != "case.opened" {
				t.Fatalf("after a final failure: %v", got)
			}

			// The delivery log, newest first.
			resp, body = f.do(t, "GET", "/api/v1/subscriptions/"+itoa(sub.ID)+"/deliveries", dept, nil, "")
			if resp.StatusCode != 200 {
				t.Fatalf("deliveries: %d %s", resp.StatusCode, body)
			}
			log := decode[struct {
				Items []backstop.Delivery
				Total int
			}](t, body)
			if log.Total != 5 || len(log.Items) != 5 {
				t.Fatalf("log: %+v", log)
			}
			failed, slow, down := log.Items[1], log.Items[2], log.Items[4]
			if failed.Status != backstop.MessageFailed || failed.Attempts != 3 || !strings.Contains(failed.Error, "gave up after 3 attempts: HTTP 500") {
				t.Errorf("the 500 delivery: %+v", failed)
			}
			if slow.Status != backstop.MessageDelivered || slow.Attempts != 2 {
				t.Errorf("the timed-out delivery: %+v", slow)
			}
			if down.Status != backstop.MessageDelivered || down.Attempts != 4 || down.Event != backstop.EventWarningIngested {
				t.Errorf("the delivery through the outage: %+v", down)
			}
			rc.mu.Lock()
			if rc.attempts[down.Key] != 4 {
				t.Errorf("the delivery through the outage reached the receiver %d times", rc.attempts[down.Key])
			}
			if rc.attempts[slow.Key] != 2 {
				t.Errorf("the timed-out delivery reached the receiver %d times under its id", rc.attempts[slow.Key])
			}
			rc.mu.Unlock()
			// Another department's user sees none of it.
			other := f.token(t, "water1", backstop.RoleDepartment, "620700000000")
			f.do(t, "POST", "/api/v1/organisations", admin, strings.NewReader(`{"kind":"water","region":"620700","contact":"李水务","members":["water1"]}`), "application/json")
			if resp, _ := f.do(t, "GET", "/api/v1/subscriptions/"+itoa(sub.ID)+"/deliveries", other, nil, ""); resp.StatusCode != 404 {
				t.Errorf("another department's log: %d", resp.StatusCode)
			}
		})
	}
}

// TestPushes: a department pushes disaster information with an
// idempotency key, recorded once however often it is replayed; a bad
// token is 401, a region outside the department's 403, another body
// under a used key 409, a kind the department does not push 400; what is
// shown masks ID numbers and phones.
func TestPushes(t *testing.T) {
	for _, e := range storetest.Engines {
		t.Run(e.Name, func(t *testing.T) {
			f := newFixture(t, e.Open)
			admin := f.token(t, "admin1", backstop.RoleAdmin, backstop.NationalScope)
			dept := f.token(t, "civil1", backstop.RoleDepartment, "620702000000")
			if resp, body := f.do(t, "POST", "/api/v1/organisations", admin, strings.NewReader(`{"kind":"civil_affairs","region":"620702","contact":"赵民政","members":["civil1"]}`), "application/json"); resp.StatusCode != 201 {
				t.Fatalf("organisation: %d %s", resp.StatusCode, body)
			}
			push := func(token, key, body string) (*http.Response, []byte) {
				req, _ := http.NewRequest("POST", f.srv.URL+"/api/v1/pushes", strings.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+token)
				req.Header.Set("Content-Type", "application/json")
				if key != "" {
					req.Header.Set("Idempotency-Key", key)
				}
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				b, _ := io.ReadAll(resp.Body)
				return resp, b
			}
			const change = `{"kind":"dibao_change","region":"620702001001","household":"620702001001000123","data":{"id_number":"620702199001011236","phone":"13812345678","birth_date":"1990-01-01","change":"纳入低保"}}`
			resp, body := push(dept, "mz-2026-0001", change)
			if resp.StatusCode != 201 {
				t.Fatalf("push: %d %s", resp.StatusCode, body)
			}
			p := decode[backstop.InboundPush](t, body)
			if p.Destination != backstop.DestReferral || p.Assignee != "赵民政" || p.State != "received" {
				t.Errorf("push record: %+v", p)
			}
			if strings.Contains(string(body), "199001011236") || strings.Contains(string(body), "13812345678") || strings.Contains(string(body), "1990-01-01") {
				t.Errorf("personal data shown: %s", body)
			}
			for range 3 {
				resp, body = push(dept, "mz-2026-0001", change)
				if resp.StatusCode != 200 || decode[backstop.InboundPush](t, body).ID != p.ID {
					t.Fatalf("replay: %d %s", resp.StatusCode, body)
				}
			}
			resp, body = f.do(t, "GET", "/api/v1/pushes", dept, nil, "")
			if resp.StatusCode != 200 || decode[struct{ Total int }](t, body).Total != 1 {
				t.Fatalf("recorded more than once: %s", body)
			}
			if resp, body := push(dept, "mz-2026-0001", strings.Replace(change, "纳入低保", "退出低保", 1)); resp.StatusCode != 409 {
				t.Errorf("another body under the key: %d %s", resp.StatusCode, body)
			}
			if resp, _ := push("bst_not-a-token", "mz-2026-0002", change); resp.StatusCode != 401 {
				t.Errorf("bad token: %d", resp.StatusCode)
			}
			outside := strings.Replace(strings.Replace(change, `"620702001001"`, `"620723101201"`, 1), `"620702001001000123"`, `"620723101201000001"`, 1)
			if resp, body := push(dept, "mz-2026-0003", outside); resp.StatusCode != 403 {
				t.Errorf("a region outside the department's: %d %s", resp.StatusCode, body)
			}
			if resp, body := push(dept, "mz-2026-0004", `{"kind":"water_outage","region":"620702","data":{"villages":3}}`); resp.StatusCode != 400 || !strings.Contains(string(body), "dibao_change") {
				t.Errorf("a kind civil affairs does not push: %d %s", resp.StatusCode, body)
			}
			if resp, body := push(dept, "", change); resp.StatusCode != 400 || !strings.Contains(string(body), "key") {
				t.Errorf("no key: %d %s", resp.StatusCode, body)
			}
			if resp, body := push(dept, "mz-2026-0005", `{"kind":"dibao_change","region":"620702","data":[1,2]}`); resp.StatusCode != 400 || !strings.Contains(string(body), "data") {
				t.Errorf("data not an object: %d %s", resp.StatusCode, body)
			}
			// A county officer (no organisation) may not push.
			county := f.token(t, "county1", backstop.RoleCounty, "620702000000")
			if resp, _ := push(county, "mz-2026-0006", change); resp.StatusCode != 403 {
				t.Errorf("a county officer pushing: %d", resp.StatusCode)
			}
			// …but sees what its region received.
			if resp, body := f.do(t, "GET", "/api/v1/pushes", county, nil, ""); resp.StatusCode != 200 || decode[struct{ Total int }](t, body).Total != 1 {
				t.Errorf("the county's pushes: %d %s", resp.StatusCode, body)
			}
		})
	}
}

// TestPushLandsAsReferral: a civil affairs push of a 低保 change naming a
// person of a village lands in the screening intake as the department's
// referral; one without the person stays a received record.
func TestPushLandsAsReferral(t *testing.T) {
	f := newFixture(t, storetest.OpenSQLite)
	admin := f.token(t, "admin1", backstop.RoleAdmin, backstop.NationalScope)
	dept := f.token(t, "civil1", backstop.RoleDepartment, "620723000000")
	county := f.token(t, "county1", backstop.RoleCounty, "620723000000")
	if resp, body := f.do(t, "POST", "/api/v1/organisations", admin, strings.NewReader(`{"kind":"civil_affairs","region":"620723","contact":"赵民政","members":["civil1"]}`), "application/json"); resp.StatusCode != 201 {
		t.Fatalf("organisation: %d %s", resp.StatusCode, body)
	}
	resp, body := f.do(t, "POST", "/api/v1/pushes", dept, strings.NewReader(`{"key":"mz-1","kind":"dibao_change","region":"620723101201","data":{"name":"张建国","id_number":"620723196106054054","change":"退出低保，家庭收入骤降"}}`), "application/json")
	if resp.StatusCode != 201 {
		t.Fatalf("push: %d %s", resp.StatusCode, body)
	}
	p := decode[backstop.InboundPush](t, body)
	if p.State != "routed" || !strings.HasPrefix(p.Target, "intake:") {
		t.Fatalf("the push did not land: %+v", p)
	}
	resp, body = f.do(t, "GET", "/api/v1/intake", county, nil, "")
	if resp.StatusCode != 200 || !strings.Contains(string(body), "civil_affairs") || !strings.Contains(string(body), "退出低保") {
		t.Errorf("the referral in the intake: %d %s", resp.StatusCode, body)
	}
	resp, body = f.do(t, "POST", "/api/v1/pushes", dept, strings.NewReader(`{"key":"mz-2","kind":"tekun_change","region":"620723","data":{"households":3}}`), "application/json")
	if p := decode[backstop.InboundPush](t, body); resp.StatusCode != 201 || p.State != "received" || p.Target != "" {
		t.Errorf("a push naming nobody: %d %s", resp.StatusCode, body)
	}
}

// TestScreeningEventsPublished: a disaster event opened and a loss report
// verified are written to a subscription that asks for them.
func TestScreeningEventsPublished(t *testing.T) {
	f := newFixture(t, storetest.OpenSQLite)
	city := f.token(t, "city1", backstop.RoleCity, "620700000000")
	town := f.token(t, "town1", backstop.RoleTownship, "620723101000")
	f.token(t, "emergency1", backstop.RoleDepartment, "620700000000")
	if resp, body := f.upload(t, city, storetest.SharedData(t, "templates/households.csv"), "households.csv", ""); resp.StatusCode != 201 {
		t.Fatalf("import: %d %s", resp.StatusCode, body)
	}
	resp, body := f.do(t, "POST", "/api/v1/organisations", city, strings.NewReader(`{"kind":"emergency","region":"620700","contact":"王应急","members":["emergency1"]}`), "application/json")
	if resp.StatusCode != 201 {
		t.Fatalf("organisation: %d %s", resp.StatusCode, body)
	}
	org := decode[backstop.Organisation](t, body)
	resp, body = f.do(t, "POST", "/api/v1/subscriptions", city, strings.NewReader(fmt.Sprintf(`{"organisation_id":%d,"url":"https://hooks.example.org/yj","secret":"0123456789abcdefgh","events":["event.opened","loss_report.verified"],"region":"620723"}`, org.ID)), "application/json")
	if resp.StatusCode != 201 {
		t.Fatalf("subscription: %d %s", resp.StatusCode, body)
	}
	sub := decode[backstop.Subscription](t, body)
	started := time.Now().Add(-24 * time.Hour).Format(time.RFC3339)
	resp, body = f.json(t, "POST", "/api/v1/events", city, fmt.Sprintf(`{"hazard":"flood","title":"临泽县洪水","started_at":%q,"regions":["620723"]}`, started))
	if resp.StatusCode != 201 {
		t.Fatalf("event: %d %s", resp.StatusCode, body)
	}
	event := decode[backstop.DisasterEvent](t, body)
	resp, body = f.json(t, "POST", "/api/v1/households/6207231012010001/loss-reports", city, fmt.Sprintf(`{"event_id":%d,"house_damage":"severe","house_rooms":2}`, event.ID))
	if resp.StatusCode != 201 {
		t.Fatalf("loss report: %d %s", resp.StatusCode, body)
	}
	report := decode[backstop.LossReport](t, body)
	if resp, body := f.do(t, "POST", fmt.Sprintf("/api/v1/loss-reports/%d/verify", report.ID), town, nil, ""); resp.StatusCode != 200 {
		t.Fatalf("verify: %d %s", resp.StatusCode, body)
	}
	resp, body = f.do(t, "GET", fmt.Sprintf("/api/v1/subscriptions/%d/deliveries", sub.ID), city, nil, "")
	log := decode[struct{ Items []backstop.Delivery }](t, body)
	if resp.StatusCode != 200 || len(log.Items) != 2 || log.Items[0].Event != backstop.EventLossReportVerified || log.Items[1].Event != backstop.EventEventOpened {
		t.Fatalf("deliveries: %d %s", resp.StatusCode, body)
	}
}
