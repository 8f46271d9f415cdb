package web_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/alerting"
	"github.com/zhangye-backstop/backstop/channel"
	"github.com/zhangye-backstop/backstop/demo"
	"github.com/zhangye-backstop/backstop/dispatch"
	"github.com/zhangye-backstop/backstop/server"
	"github.com/zhangye-backstop/backstop/server/servertest"
	"github.com/zhangye-backstop/backstop/storetest"
	"github.com/zhangye-backstop/backstop/web"
)

func post(t *testing.T, c *http.Client, u string, form url.Values) (*http.Response, string) {
	t.Helper()
	resp, err := c.PostForm(u, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func noKeys(t *testing.T, what, page string) {
	t.Helper()
	if i := strings.Index(page, "⟦"); i >= 0 {
		t.Errorf("%s: untranslated key %s", what, page[i:min(len(page), i+40)])
	}
}

// releaseSite is a site with demo data, a release service whose SMS go to
// a local gateway, and a red warning over 临泽县.
type releaseSite struct {
	*site
	d       *dispatch.Service
	warning *backstop.Warning
	mu      sync.Mutex
	texts   []string // SMS texts the gateway received
}

func newReleaseSite(t *testing.T) *releaseSite {
	t.Helper()
	db := storetest.OpenSQLite(t)
	ctx := storetest.Admin()
	storetest.DemoExposure(t, db, 1500, 4)
	rs := &releaseSite{}
	gw := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b struct{ To, Text, Key string }
		json.NewDecoder(r.Body).Decode(&b)
		rs.mu.Lock()
		rs.texts = append(rs.texts, b.Text)
		rs.mu.Unlock()
		w.Write([]byte(`{}`))
	}))
	t.Cleanup(gw.Close)
	senders, _ := channel.Build(channel.Config{SMSWebhook: gw.URL})
	rs.d = &dispatch.Service{Senders: senders}
	app, srv := servertest.New(t, db, server.Config{CAPSender: "backstop.test", CAPRegion: "620700", Dispatch: rs.d})
	alerts := app.Alerting
	rs.d.BaseURL = srv.URL
	for _, u := range []*backstop.User{{Name: "boss", Role: backstop.RoleCity, Region: "620700"}, {Name: "weather", Role: backstop.RoleDepartment, Region: "620700"}} {
		if err := db.CreateUser(ctx, u, password); err != nil {
			t.Fatal(err)
		}
	}
	rs.site = &site{db: db, srv: srv, alerts: alerts}
	var err error
	rs.warning, err = alerts.IngestInput(ctx, &alerting.Input{Hazard: "rainstorm", Level: "red", Headline: "临泽县暴雨红色预警", Instruction: "请远离河道", Areas: []alerting.InputArea{{Desc: "临泽县", Regions: []string{"620723"}}}}, "json")
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

// link is a confirmation link the gateway received.
func (rs *releaseSite) link(t *testing.T) string {
	t.Helper()
	rs.mu.Lock()
	defer rs.mu.Unlock()
	for _, text := range rs.texts {
		if m := regexp.MustCompile(`/c/[0-9a-f]{32}`).FindString(text); m != "" {
			return m
		}
	}
	t.Fatal("no confirmation link was sent")
	return ""
}

func TestReleasePages(t *testing.T) {
	rs := newReleaseSite(t)
	s, d, w, db, srv, ctx := rs.site, rs.d, rs.warning, rs.db, rs.srv, storetest.Admin()
	boss := s.client(t, "boss", web.LangZH)
	status, page := get(t, boss, fmt.Sprintf("%s/warnings/%d", srv.URL, w.ID))
	if status != 200 || !strings.Contains(page, `data-testid="release-form"`) {
		t.Fatalf("warning page: %d, release form shown: %v", status, strings.Contains(page, "release-form"))
	}
	form := url.Values{"audience": {"key_groups", "helpers", "households"}, "channel": {"sms"}}
	resp, page := post(t, boss, fmt.Sprintf("%s/warnings/%d/release-preview", srv.URL, w.ID), form)
	if resp.StatusCode != 200 || !strings.Contains(page, `data-testid="preview-counts"`) || !strings.Contains(page, "条") {
		t.Fatalf("preview: %d\n%s", resp.StatusCode, page)
	}
	noKeys(t, "preview", page)
	// 企业微信 reaches the duty officers only: chosen without them, the
	// preview says it sends nothing there.
	unused := url.Values{"audience": {"key_groups", "households"}, "channel": {"sms", "wecom"}}
	if resp, page := post(t, boss, fmt.Sprintf("%s/warnings/%d/release-preview", srv.URL, w.ID), unused); resp.StatusCode != 200 ||
		!strings.Contains(page, `data-testid="unused-channels"`) || !strings.Contains(pageText(page), "这些渠道不会发送任何消息") || !strings.Contains(pageText(page), "企业微信") {
		t.Errorf("a preview with 企业微信 and no officers does not say it sends nothing there: %d", resp.StatusCode)
	}
	if strings.Contains(page, `data-testid="unused-channels"`) {
		t.Error("a preview whose channels are all used says one is not")
	}
	bad := url.Values{"audience": {"key_groups"}, "channel": {"sms"}, "template": {"{hazard}{weather}"}}
	if resp, page := post(t, boss, fmt.Sprintf("%s/warnings/%d/release-preview", srv.URL, w.ID), bad); resp.StatusCode != 400 || !strings.Contains(page, "{weather}") {
		t.Errorf("bad template in the form: %d", resp.StatusCode)
	}
	// A real red release is asked once more: without the tick it is refused.
	if resp, page := post(t, boss, fmt.Sprintf("%s/warnings/%d/releases", srv.URL, w.ID), form); resp.StatusCode != 400 || !strings.Contains(page, "已核对") {
		t.Errorf("a red release without the second check: %d", resp.StatusCode)
	}
	form.Set("checked", "1")
	resp, page = post(t, boss, fmt.Sprintf("%s/warnings/%d/releases", srv.URL, w.ID), form)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Request.URL.Path, "/releases/") || !strings.Contains(page, `data-testid="message-table"`) || !strings.Contains(page, `data-testid="task-cards"`) {
		t.Fatalf("release page: %d %s\n%.2000s", resp.StatusCode, resp.Request.URL, page)
	}
	noKeys(t, "release page", page)
	releasePath := resp.Request.URL.Path
	// A department reads the release's figures, not its list of persons,
	// nor a link to a page it may not open.
	weather := s.client(t, "weather", web.LangZH)
	if status, page := get(t, weather, srv.URL+releasePath); status != 200 || !strings.Contains(page, `data-testid="task-cards"`) ||
		strings.Contains(page, `data-testid="task-list"`) || strings.Contains(page, releasePath+`/tasks"`) || strings.Contains(page, "#tasks") {
		t.Errorf("a department's release page: %d, persons list %v, links to persons %v", status, strings.Contains(page, `data-testid="task-list"`), strings.Contains(page, "#tasks"))
	}
	for i := 0; i < 3; i++ {
		if err := d.Sweep(ctx); err != nil {
			t.Fatal(err)
		}
	}
	_, page = get(t, boss, srv.URL+releasePath)
	if !strings.Contains(page, "已发送") {
		t.Error("the release page does not show sent messages")
	}
	// A helper opens the link from the SMS without an account.
	link := rs.link(t)
	anon := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	status, page = get(t, anon, srv.URL+link)
	if status != 200 || !strings.Contains(page, `class="phone"`) || !strings.Contains(page, "电话已告知") {
		t.Fatalf("link page: %d\n%.1500s", status, page)
	}
	noKeys(t, "link page", page)
	ids := regexp.MustCompile(`data-testid="task-(\d+)"`).FindAllStringSubmatch(page, -1)
	if len(ids) == 0 {
		t.Fatal("no tasks on the link page")
	}
	resp, _ = post(t, anon, srv.URL+link+"/tasks/"+ids[0][1], url.Values{"outcome": {"phone"}, "note": {"已告知"}})
	if resp.StatusCode != 303 {
		t.Fatalf("confirm by link: %d", resp.StatusCode)
	}
	_, page = get(t, anon, srv.URL+link)
	if !strings.Contains(page, "✔") {
		t.Error("the confirmation does not show")
	}
	// Calling reveals the number through an audited redirect.
	resp, _ = func() (*http.Response, string) {
		r, err := anon.Get(srv.URL + link + "/tasks/" + ids[len(ids)-1][1] + "/call")
		if err != nil {
			t.Fatal(err)
		}
		r.Body.Close()
		return r, ""
	}()
	if loc := resp.Header.Get("Location"); resp.StatusCode != 303 || !strings.HasPrefix(loc, "tel:") || !demo.SyntheticPhone(strings.TrimPrefix(loc, "tel:")) {
		t.Errorf("call: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	if e, _, _ := db.FindAudit(ctx, backstop.AuditFilter{Action: "pii.reveal"}); len(e) == 0 || !strings.HasPrefix(e[0].Actor, "link:") {
		t.Errorf("reveal by link not audited: %+v", e)
	}
	// A forged link, or another assignee's task, finds nothing.
	if status, _ := get(t, anon, srv.URL+"/c/00000000000000000000000000000000"); status != 404 {
		t.Errorf("forged link: %d", status)
	}
	all, _, _ := db.FindTasks(ctx, backstop.TaskFilter{ReleaseID: 1, Limit: 1000})
	mine := map[string]bool{}
	for _, m := range ids {
		mine[m[1]] = true
	}
	// The household's page lists the warning that reached it and the
	// confirmation the helper just made.
	for _, tk := range all {
		if fmt.Sprint(tk.ID) != ids[0][1] {
			continue
		}
		_, page := get(t, boss, srv.URL+"/households/"+tk.HouseholdNumber)
		row := regexp.MustCompile(`(?s)<tr data-testid="household-task">.*?</tr>`).FindAllString(page, -1)
		if len(row) == 0 || !strings.Contains(page, "临泽县暴雨红色预警") || !strings.Contains(strings.Join(row, ""), "电话已告知") {
			t.Errorf("the household page does not show its warning and confirmation: %d rows\n%s", len(row), row)
		}
		noKeys(t, "household page", page)
	}
	for _, tk := range all {
		if !mine[fmt.Sprint(tk.ID)] {
			if resp, _ := post(t, anon, srv.URL+link+"/tasks/"+fmt.Sprint(tk.ID), url.Values{"outcome": {"phone"}}); resp.StatusCode != 404 {
				t.Errorf("another assignee's task through the link: %d", resp.StatusCode)
			}
			break
		}
	}
	// The signed-in phone page and the settings pages, in both languages.
	for _, lang := range []string{web.LangZH, web.LangEN} {
		c := s.client(t, "boss", lang)
		for _, path := range []string{releasePath, releasePath + "/tasks", releasePath + "?show=unreachable", "/templates", "/contacts", "/contacts?kind=duty_officer", "/channels"} {
			status, page := get(t, c, srv.URL+path)
			if status != 200 {
				t.Errorf("%s %s: %d", lang, path, status)
			}
			noKeys(t, lang+" "+path, page)
		}
	}
	if resp, page := post(t, boss, srv.URL+"/templates", url.Values{"id": {"0"}, "hazard": {"hail"}, "text": {"冰雹{levle}预警"}}); resp.StatusCode != 400 || !strings.Contains(page, "{levle}") {
		t.Errorf("bad template saved: %d", resp.StatusCode)
	}
	if resp, page := post(t, boss, srv.URL+"/contacts", url.Values{"kind": {"duty_officer"}, "name": {"值班员"}, "region": {"620723"}, "phone": {"12345"}}); resp.StatusCode != 400 || !strings.Contains(page, "电话号码") {
		t.Errorf("bad contact saved: %d", resp.StatusCode)
	}
}
