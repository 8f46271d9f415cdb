package web_test

import (
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/channel"
	"github.com/zhangye-backstop/backstop/dispatch"
	"github.com/zhangye-backstop/backstop/server"
	"github.com/zhangye-backstop/backstop/server/servertest"
	"github.com/zhangye-backstop/backstop/storetest"
	"github.com/zhangye-backstop/backstop/web"
)

var (
	markupTags  = regexp.MustCompile(`(?s)<script.*?</script>|<style.*?</style>|<[^>]+>`)
	spaceRuns   = regexp.MustCompile(`\s+`)
	pageOfPages = regexp.MustCompile(`第 \d+ / (\d+) 页`)
)

// pageText is a page's text as it reads, without markup.
func pageText(body string) string {
	return strings.TrimSpace(spaceRuns.ReplaceAllString(html.UnescapeString(markupTags.ReplaceAllString(body, " ")), " "))
}

// TestAuditReadsInWords does what an office does in its first days — a
// roster loaded (the demo), a policy version, a year of the calendar, an
// export, an exposure recomputed, a channel tested, a household's
// monitoring decided — and reads the audit trail, the import and the
// household's history in Chinese: every row in words, none shown as the
// store recorded it in English ("file …: 9456 rows, 0 invalid; households
// +3000 ~0 …; written true"), no missing catalog key.
func TestAuditReadsInWords(t *testing.T) {
	db := storetest.OpenSQLite(t)
	storetest.DemoExposure(t, db, 60, 3)
	gw := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(`{"id":"gw-1"}`)) }))
	defer gw.Close()
	senders, err := channel.Build(channel.Config{SMSWebhook: gw.URL})
	if err != nil {
		t.Fatal(err)
	}
	_, srv := servertest.New(t, db, server.Config{CAPSender: "backstop.test", CAPRegion: "620700", Dispatch: &dispatch.Service{Senders: senders, BaseURL: "https://b.test"}})
	admin := storetest.Admin()
	for _, u := range []*backstop.User{{Name: "root", Role: backstop.RoleAdmin, Region: backstop.NationalScope}, {Name: "audit", Role: backstop.RoleAuditor, Region: backstop.NationalScope}} {
		if err := db.CreateUser(admin, u, password); err != nil {
			t.Fatal(err)
		}
	}
	token, _, err := db.CreateToken(admin, "root", "test", 0)
	if err != nil {
		t.Fatal(err)
	}
	api := func(method, path, ctype, body string) string {
		t.Helper()
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode >= 300 {
			t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, b)
		}
		return string(b)
	}
	api("POST", "/api/v1/policies", "application/json", `{"key":"release.escalate_county_minutes","region":"620702","value":20,"unit":"minutes","effective_from":"2026-01-01","source":"甘州区应急管理局通知"}`)
	api("POST", "/api/v1/calendar?filename=2027.csv", "text/csv", storetest.Calendar2027)
	api("GET", "/api/v1/export/households?group=dibao&q=王", "", "")
	var w struct{ ID int64 }
	json.Unmarshal([]byte(api("POST", "/api/v1/warnings", "application/json", `{"hazard":"暴雨","level":"橙","areas":[{"regions":["620702"]}]}`)), &w)
	api("POST", fmt.Sprintf("/api/v1/warnings/%d/exposure", w.ID), "", "")
	api("POST", "/api/v1/channels/sms/test", "application/json", `{"address":"13800138000"}`)
	// A household the national view does not monitor, decided here.
	all, _, err := db.FindHouseholds(admin, backstop.HouseholdFilter{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var hs []*backstop.Household
	for _, h := range all {
		if !h.NationalMonitored() {
			hs = append(hs, h)
			break
		}
	}
	if len(hs) == 0 {
		t.Fatal("no household outside monitoring")
	}
	if err := db.DecideMonitoring(admin, &backstop.MonitoringDecision{Household: hs[0].Number, Monitored: true, MonitorType: backstop.MonitorSuddenHardship, IdentifiedOn: "2026-07-20", Source: "manual"}); err != nil {
		t.Fatal(err)
	}

	jar, _ := cookiejar.New(nil)
	base, _ := url.Parse(srv.URL)
	jar.SetCookies(base, []*http.Cookie{{Name: "lang", Value: web.LangZH}})
	auditor := &http.Client{Jar: jar}
	if resp, err := auditor.PostForm(srv.URL+"/login", url.Values{"name": {"audit"}, "password": {password}, "next": {"/"}}); err != nil || resp.StatusCode != 200 {
		t.Fatalf("sign in: %v", err)
	}
	seen := map[string]bool{}
	for page, pages := 1, 1; page <= pages; page++ {
		status, body := get(t, auditor, fmt.Sprintf("%s/audit?size=100&page=%d", srv.URL, page))
		if status != 200 {
			t.Fatalf("audit page %d: %d", page, status)
		}
		if m := pageOfPages.FindStringSubmatch(body); m != nil {
			fmt.Sscan(m[1], &pages)
		}
		if i := strings.Index(body, "data-raw"); i >= 0 {
			t.Errorf("audit page %d shows a row as recorded: …%s…", page, pageText(body[i:min(len(body), i+300)]))
		}
		text := pageText(body)
		checkWords(t, "auditor", fmt.Sprintf("/audit?page=%d", page), text)
		for _, want := range []string{"文件“演示数据（60户，随机种子3）”", "适用区划：甘州区；自2026-01-01起施行", "2027年：休息日", "格式：CSV；人群：低保；查询：王", "受影响", "测试消息发往138****8000", "纳入监测（突发严重困难户）；依据：人工认定"} {
			if strings.Contains(text, want) {
				seen[want] = true
			}
		}
	}
	for _, want := range []string{"文件“演示数据（60户，随机种子3）”", "适用区划：甘州区；自2026-01-01起施行", "2027年：休息日", "格式：CSV；人群：低保；查询：王", "受影响", "测试消息发往138****8000", "纳入监测（突发严重困难户）；依据：人工认定"} {
		if !seen[want] {
			t.Errorf("the audit trail does not say %q", want)
		}
	}

	// The demo's import and a household's history read in words too.
	imports, err := db.FindImports(admin, 10)
	if err != nil || len(imports) == 0 {
		t.Fatal("no import")
	}
	rootJar, _ := cookiejar.New(nil)
	rootJar.SetCookies(base, []*http.Cookie{{Name: "lang", Value: web.LangZH}})
	root := &http.Client{Jar: rootJar}
	if resp, err := root.PostForm(srv.URL+"/login", url.Values{"name": {"root"}, "password": {password}, "next": {"/"}}); err != nil || resp.StatusCode != 200 {
		t.Fatalf("sign in: %v", err)
	}
	for _, p := range []struct{ path, want string }{
		{fmt.Sprintf("/imports/%d", imports[len(imports)-1].ID), "演示数据"},
		{"/households/" + hs[0].Number, "纳入监测（突发严重困难户）；依据：人工认定"},
		// The household page says where the local decision and the
		// national system's view (the roster's) disagree.
		{"/households/" + hs[0].Number, "本地认定 纳入监测（突发严重困难户） · 人工认定"},
		{"/households/" + hs[0].Number, "本地已纳入监测，全国系统尚未纳入"},
	} {
		status, body := get(t, root, srv.URL+p.path)
		text := pageText(body)
		if status != 200 || !strings.Contains(text, p.want) {
			t.Errorf("%s: %d, does not say %q", p.path, status, p.want)
		}
		noKeys(t, p.path, body)
		checkWords(t, "admin", p.path, text)
	}
}
