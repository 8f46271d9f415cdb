package web_test

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/alerting"
	"github.com/zhangye-backstop/backstop/server"
	"github.com/zhangye-backstop/backstop/server/servertest"
	"github.com/zhangye-backstop/backstop/sqlstore"
	"github.com/zhangye-backstop/backstop/storetest"
	"github.com/zhangye-backstop/backstop/web"
)

type site struct {
	db     *sqlstore.DB
	srv    *httptest.Server
	alerts *alerting.Service
}

const password = "correct horse battery"

func newSite(t *testing.T) *site {
	t.Helper()
	db := storetest.OpenSQLite(t)
	storetest.LoadRegions(t, db)
	if _, err := storetest.ImportRoster(storetest.Admin(), db, storetest.SharedData(t, "templates/households.csv"), backstop.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	app, srv := servertest.New(t, db, server.Config{CAPSender: "backstop.test", CAPRegion: "620700"})
	alerts := app.Alerting
	for _, u := range []*backstop.User{
		{Name: "boss", Role: backstop.RoleCity, Region: "620700"},
		{Name: "shahe", Role: backstop.RoleTownship, Region: "620723101"},
		{Name: "audit", Role: backstop.RoleAuditor, Region: backstop.NationalScope},
		{Name: "weather", Role: backstop.RoleDepartment, Region: "620700"},
	} {
		if err := db.CreateUser(storetest.Admin(), u, password); err != nil {
			t.Fatal(err)
		}
	}
	return &site{db: db, srv: srv, alerts: alerts}
}

// client signs in through the login form and returns a client with the
// session cookie.
func (s *site) client(t *testing.T, name, lang string) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	u, _ := url.Parse(s.srv.URL)
	jar.SetCookies(u, []*http.Cookie{{Name: "lang", Value: lang}})
	c := &http.Client{Jar: jar}
	resp, err := c.PostForm(s.srv.URL+"/login", url.Values{"name": {name}, "password": {password}, "next": {"/"}})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || strings.Contains(string(body), `data-testid="error"`) {
		t.Fatalf("login as %s: %d\n%s", name, resp.StatusCode, body)
	}
	return c
}

func get(t *testing.T, c *http.Client, u string) (int, string) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestPages(t *testing.T) {
	s := newSite(t)
	for _, lang := range []string{web.LangZH, web.LangEN} {
		c := s.client(t, "boss", lang)
		for _, path := range []string{"/", "/?region=620723", "/households", "/households?group=monitored&group=dibao", "/households/6207231012010001", "/import", "/audit", "/users"} {
			status, body := get(t, c, s.srv.URL+path)
			if strings.Contains(body, "⟦") {
				i := strings.Index(body, "⟦")
				t.Errorf("%s %s: untranslated key %s", lang, path, body[i:min(len(body), i+40)])
			}
			want := 200
			if path == "/audit" || path == "/users" {
				want = 403 // a city officer is neither auditor nor admin
			}
			if status != want {
				t.Errorf("%s %s: status %d, want %d", lang, path, status, want)
			}
		}
	}
	c := s.client(t, "boss", web.LangZH)
	_, body := get(t, c, s.srv.URL+"/")
	for _, want := range []string{"因灾返贫防范平台", "甘州区", "临泽县", "脱贫户", "监测对象"} {
		if !strings.Contains(body, want) {
			t.Errorf("home lacks %q", want)
		}
	}
	_, body = get(t, c, s.srv.URL+"/households")
	if !strings.Contains(body, "共 3 条") || !strings.Contains(body, "138****2186") || strings.Contains(body, "13893652186") {
		t.Errorf("household list: total or masking wrong\n%s", body)
	}
	_, body = get(t, c, s.srv.URL+"/households/6207231012010001")
	if !strings.Contains(body, "620723********4054") || strings.Contains(body, "620723196106054054") || !strings.Contains(body, `id="map"`) {
		t.Errorf("household page: masking or map wrong")
	}
	// Reveal is a POST that leaves an audit row.
	resp, err := c.PostForm(s.srv.URL+"/households/6207231012010001/reveal", nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(b), "620723196106054054") {
		t.Errorf("reveal did not show the ID number")
	}
	auditor := s.client(t, "audit", web.LangZH)
	status, body := get(t, auditor, s.srv.URL+"/audit?action=pii.reveal")
	if status != 200 || !strings.Contains(body, "boss") || !strings.Contains(body, "6207231012010001") {
		t.Errorf("audit page: %d", status)
	}
	// A township officer sees only her township in the tree and lists.
	town := s.client(t, "shahe", web.LangZH)
	_, body = get(t, town, s.srv.URL+"/households")
	if !strings.Contains(body, "共 1 条") || strings.Contains(body, "马福林") {
		t.Errorf("township list shows other townships")
	}
	status, _ = get(t, town, s.srv.URL+"/households/6207221072060012")
	if status != 404 {
		t.Errorf("other township's household page: %d, want 404", status)
	}
}

func TestLoginRequiredAndCSRF(t *testing.T) {
	s := newSite(t)
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(s.srv.URL + "/households")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login?next=") {
		t.Errorf("anonymous page: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	status, body := func() (int, string) {
		req, _ := http.NewRequest("POST", s.srv.URL+"/login", strings.NewReader("name=boss&password=wrong"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}()
	if status != 401 || !strings.Contains(body, "用户名或密码错误") {
		t.Errorf("wrong password: %d", status)
	}
	// A cross-site form post is refused before it reaches a handler.
	logged := s.client(t, "boss", web.LangZH)
	req, _ := http.NewRequest("POST", s.srv.URL+"/households/6207231012010001/reveal", nil)
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	resp, err = logged.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site POST: %d, want 403", resp.StatusCode)
	}
}

func TestImportPage(t *testing.T) {
	s := newSite(t)
	c := s.client(t, "boss", web.LangZH)
	bad := storetest.ReplaceCell(t, storetest.TemplateRoster(t), 3, "证件号码", "620723196309043751")
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, _ := mw.CreateFormFile("file", "名单.csv")
	io.WriteString(fw, bad)
	mw.Close()
	resp, err := c.Post(s.srv.URL+"/import", mw.FormDataContentType(), &buf)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	jobURL := resp.Request.URL.String()
	if !strings.Contains(jobURL, "/import/jobs/") {
		t.Fatalf("after upload at %s", jobURL)
	}
	var body string
	for i := 0; i < 100; i++ {
		_, body = get(t, c, jobURL)
		if strings.Contains(body, `data-testid="import-result"`) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !strings.Contains(body, "导入未写入") || !strings.Contains(body, "校验位") || !strings.Contains(body, `data-testid="error-sheet"`) {
		t.Fatalf("import result page:\n%s", body)
	}
	i := strings.Index(body, `href="/imports/`)
	href := body[i+6 : i+6+strings.Index(body[i+6:], `"`)]
	resp, err = c.Get(s.srv.URL + strings.ReplaceAll(href, "&amp;", "&"))
	if err != nil {
		t.Fatal(err)
	}
	sheet, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || len(sheet) < 100 || !bytes.HasPrefix(sheet, []byte("PK")) {
		t.Errorf("error sheet download: %d, %d bytes", resp.StatusCode, len(sheet))
	}
}

func TestCatalogsMatch(t *testing.T) {
	load := func(lang string) map[string]string {
		b, err := os.ReadFile("locale/" + lang + ".json")
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]string
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	zh, en := load(web.LangZH), load(web.LangEN)
	for k := range zh {
		if _, ok := en[k]; !ok {
			t.Errorf("key %s has no English text", k)
		}
	}
	for k := range en {
		if _, ok := zh[k]; !ok {
			t.Errorf("key %s has no Chinese text", k)
		}
	}
}

func TestWarningPages(t *testing.T) {
	s := newSite(t)
	dept := s.client(t, "weather", web.LangZH)
	form := url.Values{"hazard": {"rainstorm"}, "level": {"orange"}, "status": {"Actual"}, "onset": {"2026-07-15T10:00"}, "expires": {"2026-07-16T10:00"},
		"region": {"620723101000", "620722107000"}, "description": {"预计有大到暴雨"}}
	resp, err := dept.PostForm(s.srv.URL+"/warnings/new", form)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	page := string(body)
	if resp.StatusCode != 200 || !strings.Contains(resp.Request.URL.Path, "/warnings/") || !strings.Contains(page, "暴雨橙色预警") {
		t.Fatalf("after the form: %d %s\n%s", resp.StatusCode, resp.Request.URL, page)
	}
	// The template roster's households in 沙河镇 and 南丰镇 are exposed.
	if !strings.Contains(page, `data-testid="exposed-households">2<`) || !strings.Contains(page, `id="warning-map"`) {
		t.Errorf("warning page lacks exposure or map")
	}
	// A department sees the counts, never a household.
	if strings.Contains(page, "马福林") || strings.Contains(page, "张建国") {
		t.Errorf("the department's warning page names households")
	}
	// The city officer sees the ranked households.
	boss := s.client(t, "boss", web.LangZH)
	if status, body := get(t, boss, resp.Request.URL.String()); status != 200 || !strings.Contains(body, "马福林") {
		t.Errorf("city warning page: %d, ranked list shown: %v", status, strings.Contains(body, "马福林"))
	}
	for _, path := range []string{"/households", "/households/6207231012010001"} {
		if status, _ := get(t, dept, s.srv.URL+path); status != 403 {
			t.Errorf("department %s: %d, want 403", path, status)
		}
	}
	if strings.Contains(page, "⟦") {
		i := strings.Index(page, "⟦")
		t.Errorf("untranslated key %s", page[i:min(len(page), i+40)])
	}
	// A bad form names what is wrong, in Chinese.
	resp, _ = dept.PostForm(s.srv.URL+"/warnings/new", url.Values{"hazard": {"rainstorm"}, "level": {"orange"}})
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 400 || !strings.Contains(string(body), "请至少指定一个预警区域") {
		t.Errorf("empty area: %d", resp.StatusCode)
	}
	for _, path := range []string{"/warnings", "/warnings?state=active", "/feeds", "/warnings/new"} {
		status, body := get(t, dept, s.srv.URL+path)
		if status != 200 || strings.Contains(body, "⟦") {
			t.Errorf("%s: %d (untranslated: %v)", path, status, strings.Contains(body, "⟦"))
		}
	}
	// A township officer sees the warning but cannot enter one.
	town := s.client(t, "shahe", web.LangZH)
	if status, _ := get(t, town, s.srv.URL+"/warnings/new"); status != 403 {
		t.Errorf("township form: %d", status)
	}
}
