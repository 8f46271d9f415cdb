package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zhangye-backstop/backstop/httpapi"
	"github.com/zhangye-backstop/backstop/httpx"
)

// fakeGateway records what a JSON gateway receives, deduplicating by the
// idempotency key as real gateways do by OutId.
type fakeGateway struct {
	mu     sync.Mutex
	srv    *httptest.Server
	unique map[string]map[string]any
	calls  int
	delay  time.Duration
}

func newFakeGateway(t *testing.T, delay time.Duration) *fakeGateway {
	g := &fakeGateway{unique: map[string]map[string]any{}, delay: delay}
	g.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(g.delay)
		var b map[string]any
		json.NewDecoder(r.Body).Decode(&b)
		key, _ := b["key"].(string)
		g.mu.Lock()
		g.calls++
		if key == "" { // 企业微信 robots carry no key: every post counts
			key = fmt.Sprintf("post-%d", g.calls)
		}
		if _, dup := g.unique[key]; !dup {
			g.unique[key] = b
		}
		g.mu.Unlock()
		io.WriteString(w, `{"errcode":0,"errmsg":"ok"}`)
	}))
	t.Cleanup(g.srv.Close)
	return g
}

func (g *fakeGateway) count() (unique, calls int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.unique), g.calls
}

func (g *fakeGateway) texts() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	var out []string
	for _, b := range g.unique {
		for _, f := range []string{"text", "content"} {
			if s, ok := b[f].(string); ok {
				out = append(out, s)
			}
		}
		if md, ok := b["markdown"].(map[string]any); ok {
			out = append(out, fmt.Sprint(md["content"]))
		}
	}
	return out
}

// apiClient signs in as admin and calls the JSON API.
type apiClient struct {
	base string
	c    *http.Client
}

func signIn(t *testing.T, base, password string) *apiClient {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 30 * time.Second}
	resp, err := c.PostForm(base+"/login", url.Values{"name": {"admin"}, "password": {password}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return &apiClient{base: base, c: c}
}

func (a *apiClient) call(t *testing.T, method, path, body string, out any) int {
	t.Helper()
	req, _ := http.NewRequest(method, a.base+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := a.c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, b)
		}
	}
	if resp.StatusCode >= 300 {
		t.Logf("%s %s: %d %s", method, path, resp.StatusCode, b)
	}
	return resp.StatusCode
}

type releaseAnswer struct {
	ID     int64  `json:"id"`
	State  string `json:"state"`
	Counts []struct {
		Audience, Channel string
		N                 int
	} `json:"counts"`
	Stats struct {
		Messages []struct {
			Channel, Audience, Status string
			N                         int
		} `json:"messages"`
		FirstDelivered *float64 `json:"first_delivered_seconds"`
		Tasks          struct{ Total, Confirmed, Open, Escalated int }
	} `json:"stats"`
}

func (r *releaseAnswer) byStatus() map[string]int {
	out := map[string]int{}
	for _, m := range r.Stats.Messages {
		out[m.Channel+"/"+m.Status] += m.N
	}
	return out
}

func waitFor(t *testing.T, what string, limit time.Duration, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestServeReleaseEndToEnd walks the release's acceptance path in one
// server on the demo data: a warning posted over the API, a release whose
// messages reach local SMS, 企业微信 and loudspeaker servers, receipts
// that show on the dashboard, and unconfirmed key-group persons escalated
// after a (shortened) deadline. A county duty group's robot is a contact
// given by URL, on a local server that the outbound allow-list names.
func TestServeReleaseEndToEnd(t *testing.T) {
	sms, wecom, loud, robot := newFakeGateway(t, 0), newFakeGateway(t, 0), newFakeGateway(t, 0), newFakeGateway(t, 0)
	t.Setenv("BACKSTOP_OUTBOUND_ALLOW", strings.TrimPrefix(robot.srv.URL, "http://"))
	t.Setenv("BACKSTOP_ADMIN_PASSWORD", "first admin password")
	t.Setenv("BACKSTOP_SMS_WEBHOOK", sms.srv.URL)
	t.Setenv("BACKSTOP_DEMO_SENDS", "1")
	t.Setenv("BACKSTOP_WECOM_WEBHOOK", wecom.srv.URL+"/cgi-bin/webhook/send?key=city")
	t.Setenv("BACKSTOP_WECOM_RATE", "100")
	t.Setenv("BACKSTOP_BROADCAST_ENDPOINT", loud.srv.URL)
	t.Setenv("BACKSTOP_RECEIPT_SECRET", "receipts")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errs syncBuffer
	done := make(chan int)
	go func() {
		done <- run(ctx, []string{"serve", "--plan-years=false", "--demo", "--demo-households", "2000", "--addr", "127.0.0.1:0", "--data", t.TempDir(), "--poll-interval", "200ms"}, &out, &errs)
	}()
	var base string
	waitFor(t, "the server", 60*time.Second, func() bool {
		if m := regexp.MustCompile(`url=(http://[0-9.:]+)`).FindStringSubmatch(errs.String()); m != nil {
			base = m[1]
		}
		return base != ""
	})
	api := signIn(t, base, "first admin password")
	// Robots and feeds are user input: the operator's own gateways (on
	// 127.0.0.1 too) are not thereby allowed, the allow-listed server is.
	var refused httpx.ErrorBody
	if code := api.call(t, "POST", "/api/v1/contacts", `{"kind":"wecom_group","name":"临泽县值班群","region":"620723","address":"`+wecom.srv.URL+`/cgi-bin/webhook/send?key=county"}`, &refused); code != 400 ||
		!strings.Contains(refused.Error.MessageZH, "不允许访问 "+strings.TrimPrefix(wecom.srv.URL, "http://")) {
		t.Fatalf("robot contact on a host not allowed: %d %+v", code, refused)
	}
	if code := api.call(t, "POST", "/api/v1/feeds", `{"name":"x","url":"https://169.254.169.254/latest/meta-data/"}`, &refused); code != 400 || !strings.Contains(refused.Error.Message, "link-local") {
		t.Fatalf("feed at the metadata address: %d %+v", code, refused)
	}
	if code := api.call(t, "POST", "/api/v1/contacts", `{"kind":"wecom_group","name":"临泽县值班群","region":"620723","address":"`+robot.srv.URL+`/cgi-bin/webhook/send?key=county"}`, nil); code != 201 {
		t.Fatalf("robot contact on the allowed host: %d", code)
	}
	if code := api.call(t, "POST", "/api/v1/feeds", `{"name":"内网","url":"`+robot.srv.URL+`/cap/index.atom"}`, nil); code != 201 {
		t.Fatalf("feed on the allowed host: %d", code)
	}
	// Key groups must be confirmed within 6 seconds of a red release.
	if code := api.call(t, "POST", "/api/v1/policies", `{"key":"release.confirm_minutes.red","region":"000000000000","value":0.1,"unit":"minutes","effective_from":"2026-01-01T00:00:00Z","source":"test: a short clock"}`, nil); code != 201 {
		t.Fatalf("policy: %d", code)
	}
	var w struct{ ID int64 }
	if code := api.call(t, "POST", "/api/v1/warnings", `{"hazard":"暴雨","level":"红","headline":"临泽县气象台暴雨红色预警","instruction":"请远离河道","areas":[{"desc":"临泽县","regions":["620723"]}]}`, &w); code != 201 {
		t.Fatalf("warning: %d", code)
	}
	var rel releaseAnswer
	if code := api.call(t, "POST", fmt.Sprintf("/api/v1/warnings/%d/releases", w.ID), `{"audiences":["key_groups","helpers","households","villages","officers","subscribers"],"channels":["sms","wecom","broadcast"],"test":false}`, &rel); code != 201 {
		t.Fatalf("release: %d", code)
	}
	want := map[string]int{}
	for _, c := range rel.Counts {
		want[c.Channel] += c.N
	}
	if want["sms"] == 0 || want["wecom"] == 0 || want["broadcast"] == 0 {
		t.Fatalf("planned %v", want)
	}
	waitFor(t, "every message at its gateway", 60*time.Second, func() bool {
		s, _ := sms.count()
		wc, _ := wecom.count()
		rb, _ := robot.count()
		b, _ := loud.count()
		return s >= want["sms"] && rb >= 1 && wc+rb >= want["wecom"] && b >= want["broadcast"]
	})
	// Receipts for half the SMS, signed with the shared secret.
	var keys []string
	sms.mu.Lock()
	for k := range sms.unique {
		keys = append(keys, k)
	}
	sms.mu.Unlock()
	var batch []map[string]string
	for _, k := range keys[:len(keys)/2] {
		batch = append(batch, map[string]string{"key": k, "status": "delivered"})
	}
	body, _ := json.Marshal(batch)
	req, _ := http.NewRequest("POST", base+"/api/v1/receipts/sms", strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Backstop-Signature", httpapi.ReceiptSignature("receipts", body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("receipts: %v %v", err, resp)
	}
	resp.Body.Close()
	var got releaseAnswer
	api.call(t, "GET", fmt.Sprintf("/api/v1/releases/%d", rel.ID), "", &got)
	if s := got.byStatus(); s["sms/delivered"] != len(keys)/2 || s["wecom/delivered"] < want["wecom"] || s["broadcast/delivered"] != want["broadcast"] || got.Stats.FirstDelivered == nil {
		t.Fatalf("dashboard after receipts: %v", s)
	}
	// After the deadline the township duty officers are told.
	waitFor(t, "escalation", 30*time.Second, func() bool {
		var r releaseAnswer
		api.call(t, "GET", fmt.Sprintf("/api/v1/releases/%d", rel.ID), "", &r)
		return r.Stats.Tasks.Escalated > 0 && r.Stats.Tasks.Escalated == r.Stats.Tasks.Open
	})
	seen := func(text string) func() bool {
		return func() bool {
			for _, got := range append(sms.texts(), wecom.texts()...) {
				if strings.Contains(got, text) {
					return true
				}
			}
			return false
		}
	}
	waitFor(t, "the escalation message", 30*time.Second, seen("【督办】"))
	waitFor(t, "the duty groups' progress summary", 30*time.Second, seen("定向发布确认情况"))
	// The warning is cancelled: the duty groups hear of it.
	var cancelled struct{ ID int64 }
	if code := api.call(t, "POST", "/api/v1/warnings", fmt.Sprintf(`{"msg_type":"Cancel","supersedes":%d,"hazard":"暴雨","level":"红","areas":[{"regions":["620723"]}]}`, w.ID), &cancelled); code != 201 {
		t.Fatalf("cancel: %d", code)
	}
	waitFor(t, "the duty groups told of the cancel", 30*time.Second, seen("预警已解除"))
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("serve exit %d", code)
	}
}

// TestServeOutboundAllowRefused: a bad allow-list stops serve before it
// opens anything, naming the entry, in the environment or the flag.
func TestServeOutboundAllowRefused(t *testing.T) {
	data := t.TempDir()
	code, _, errs := runCLI(t, "serve", "--data", data, "--addr", "127.0.0.1:0", "--outbound-allow", "127.0.0.1:8080,http://10.0.0.5/")
	if code != 1 || !strings.Contains(errs, `entry 2 "http://10.0.0.5/"`) || !strings.Contains(errs, "not a URL") {
		t.Errorf("--outbound-allow with a URL: %d %s", code, errs)
	}
	t.Setenv("BACKSTOP_OUTBOUND_ALLOW", "0x7f.1")
	if code, _, errs := runCLI(t, "serve", "--data", data, "--addr", "127.0.0.1:0"); code != 1 || !strings.Contains(errs, "127.0.0.1") {
		t.Errorf("BACKSTOP_OUTBOUND_ALLOW=0x7f.1: %d %s", code, errs)
	}
	if entries, _ := os.ReadDir(data); len(entries) != 0 {
		t.Errorf("serve made %d files before refusing its configuration", len(entries))
	}
}

// TestKill9MidRelease kills the server with SIGKILL in the middle of a
// release and starts it again: dispatch resumes within 10 s of the restart
// (with the default lease), and the gateway, which deduplicates by the
// idempotency key, ends with every message exactly once, and the database
// with every message sent.
func TestKill9MidRelease(t *testing.T) {
	gw := newFakeGateway(t, 2*time.Millisecond)
	addr, data := freeAddr(t), t.TempDir()
	env := []string{"BACKSTOP_ADMIN_PASSWORD=first admin password", "BACKSTOP_SMS_WEBHOOK=" + gw.srv.URL, "BACKSTOP_DEMO_SENDS=1", "BACKSTOP_SMS_RATE=600"}
	args := []string{"--demo", "--demo-households", "4000", "--addr", addr, "--data", data, "--poll-interval", "200ms", "--dispatch-batch", "100"}
	first := serveProcess(t, env, args...)
	base := "http://" + addr
	api := signIn(t, base, "first admin password")
	var w struct{ ID int64 }
	if code := api.call(t, "POST", "/api/v1/warnings", `{"hazard":"暴雨","level":"红","areas":[{"desc":"甘州区","regions":["620702"]},{"desc":"临泽县","regions":["620723"]}]}`, &w); code != 201 {
		t.Fatalf("warning: %d", code)
	}
	var rel releaseAnswer
	if code := api.call(t, "POST", fmt.Sprintf("/api/v1/warnings/%d/releases", w.ID), `{"audiences":["key_groups","helpers","households"],"channels":["sms"]}`, &rel); code != 201 {
		t.Fatalf("release: %d", code)
	}
	total := 0
	for _, c := range rel.Counts {
		total += c.N
	}
	if total < 1000 {
		t.Fatalf("only %d messages planned", total)
	}
	// Kill it a quarter of the way through.
	waitFor(t, "a quarter of the messages", 60*time.Second, func() bool { n, _ := gw.count(); return n >= total/4 })
	first.kill(t)
	time.Sleep(200 * time.Millisecond) // requests the killed process had in flight land first
	atKill, callsAtKill := gw.count()
	if atKill >= total {
		t.Fatalf("the release finished before the kill (%d of %d)", atKill, total)
	}
	second := serveProcess(t, env, args...)
	waitFor(t, "dispatch to resume after the restart", 30*time.Second, func() bool { _, calls := gw.count(); return calls > callsAtKill })
	if took := time.Since(second.ready); took > 10*time.Second {
		t.Errorf("dispatch resumed %s after the restart; within 10 s is the promise", took.Round(100*time.Millisecond))
	}
	api = signIn(t, base, "first admin password")
	waitFor(t, "the release to finish after the restart", 120*time.Second, func() bool {
		var r releaseAnswer
		api.call(t, "GET", fmt.Sprintf("/api/v1/releases/%d", rel.ID), "", &r)
		return r.State == "done"
	})
	unique, calls := gw.count()
	var r releaseAnswer
	api.call(t, "GET", fmt.Sprintf("/api/v1/releases/%d", rel.ID), "", &r)
	if s := r.byStatus(); s["sms/sent"] != total || unique != total {
		t.Fatalf("after the restart: database %v, gateway %d unique keys (%d requests), %d planned", s, unique, calls, total)
	}
	// Resent are at most the messages the killed process had leased and
	// not yet recorded: its batches in flight, not the release again.
	if resent := calls - unique; resent > 4*100 {
		t.Errorf("%d messages were sent twice (the killed process held at most 4 batches of 100)", resent)
	}
}
