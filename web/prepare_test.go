package web_test

import (
	"bytes"
	"html"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/storetest"
	"github.com/zhangye-backstop/backstop/web"
)

var (
	tags         = regexp.MustCompile(`(?s)<script.*?</script>|<style.*?</style>|<[^>]*>`)
	twelveDigits = regexp.MustCompile(`\b\d{12}\b`)
	sentence     = regexp.MustCompile(`\b[A-Za-z]{2,}(?:[ ,'’-]+[A-Za-z]{2,}){2,}\b`)
	rawValue     = regexp.MustCompile(`\b(?:missing|draft|submitted|approved|in_step|rejected|not_started|underway|pending|delivered|failed|operating|public_welfare|house|agriculture|proposed|planned|held|township|county|city|losses|referral)\b`)
)

// shown is the text a page shows: no tags, scripts or attribute values.
func shown(page string) string {
	return html.UnescapeString(tags.ReplaceAllString(page, " "))
}

// checkShown reports codes, English and raw values on a Chinese page.
func checkShown(t *testing.T, who, path, page string) {
	t.Helper()
	text := strings.ReplaceAll(shown(page), "English", "")
	for _, bad := range []*regexp.Regexp{twelveDigits, sentence, rawValue, regexp.MustCompile(`⟦|%!|MiB`)} {
		if m := bad.FindString(text); m != "" {
			i := strings.Index(text, m)
			t.Errorf("%s %s: %q on the page: …%s…", who, path, m, text[max(0, i-60):min(len(text), i+60)])
		}
	}
}

func prepPost(t *testing.T, c *http.Client, u string, form url.Values) (int, string, string) {
	t.Helper()
	noFollow := *c
	noFollow.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := noFollow.PostForm(u, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Location"), string(b)
}

func postFile(t *testing.T, c *http.Client, u, name string, content []byte) (int, string, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, _ := mw.CreateFormFile("file", name)
	fw.Write(content)
	mw.Close()
	noFollow := *c
	noFollow.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := noFollow.Post(u, mw.FormDataContentType(), &buf)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Location"), string(b)
}

// TestPreparePages walks the 预案与协同 group as the city, a county, a
// township and a department: a plan drafted, its document refused when
// it is an image and kept when it is a PDF, submitted and approved, and
// the readiness view saying so; an officer added and the villages left
// uncovered; a project proposed, reviewed and approved; an asset damaged
// and its disposal approved by another officer; insurance and publicity;
// every page in Chinese without codes, every list as Excel.
func TestPreparePages(t *testing.T) {
	s := newSite(t)
	for _, u := range []*backstop.User{
		{Name: "linze", Role: backstop.RoleCounty, Region: "620723"},
		{Name: "linze2", Role: backstop.RoleCounty, Region: "620723"},
	} {
		if err := s.db.CreateUser(storetest.Admin(), u, password); err != nil {
			t.Fatal(err)
		}
	}
	boss, county, town, dept := s.client(t, "boss", web.LangZH), s.client(t, "linze", web.LangZH), s.client(t, "shahe", web.LangZH), s.client(t, "weather", web.LangZH)
	next := time.Now().In(backstop.Beijing).Year() + 1
	year := strconv.Itoa

	// The menu: the group for the city; only the sharing page for a
	// department.
	_, home := get(t, boss, s.srv.URL+"/")
	if !strings.Contains(home, "预案与协同") || !strings.Contains(home, `href="/prepare/readiness"`) || !strings.Contains(home, `href="/prepare/subscriptions"`) {
		t.Fatal("the city's menu lacks the 预案与协同 group")
	}
	_, home = get(t, dept, s.srv.URL+"/")
	if strings.Contains(home, `href="/prepare/readiness"`) || !strings.Contains(home, `href="/prepare/subscriptions"`) {
		t.Error("a department's menu: readiness shown or sharing missing")
	}

	// A county opens, drafts, attaches and submits its plan.
	status, loc, body := prepPost(t, county, s.srv.URL+"/prepare/plans", url.Values{"county": {"620723000000"}, "year": {year(next)}})
	if status != 303 || !strings.HasPrefix(loc, "/prepare/plans/") {
		t.Fatalf("open: %d %s %.300s", status, loc, body)
	}
	plan := strings.TrimSuffix(strings.Split(loc, "?")[0], "/")
	status, _, body = prepPost(t, county, s.srv.URL+plan, url.Values{"title": {"临泽县防范因灾返贫预案"}, "section.risk_analysis": {"暴雨山洪"}})
	if status != 303 {
		t.Fatalf("draft: %d %.300s", status, body)
	}
	status, _, body = prepPost(t, county, s.srv.URL+plan+"/submit", url.Values{})
	if status != 400 || !strings.Contains(shown(body), "预案缺少必备内容") || !strings.Contains(shown(body), "救灾物资储备") {
		t.Errorf("submitting a plan lacking items: %d %.400s", status, shown(body))
	}
	status, _, body = postFile(t, county, s.srv.URL+plan+"/document", "预案.pdf", []byte("\x89PNG\r\n\x1a\n0000"))
	if status != 415 || !strings.Contains(shown(body), "只接受 PDF 或 Word 文档") {
		t.Errorf("an image as the plan: %d %.400s", status, shown(body))
	}
	if status, _, body = postFile(t, county, s.srv.URL+plan+"/document", "预案.pdf", []byte("%PDF-1.4\n%%EOF\n")); status != 303 {
		t.Fatalf("a PDF: %d %.300s", status, body)
	}
	full := url.Values{"title": {"临泽县防范因灾返贫预案"}}
	for _, k := range []string{"risk_analysis", "key_groups", "warning_release", "response", "relief_stock", "responsible"} {
		full.Set("section."+k, "已编制")
	}
	prepPost(t, county, s.srv.URL+plan, full)
	if status, _, body = prepPost(t, county, s.srv.URL+plan+"/submit", url.Values{}); status != 303 {
		t.Fatalf("submit: %d %.300s", status, shown(body))
	}
	if status, _, _ = prepPost(t, county, s.srv.URL+plan+"/approve", url.Values{}); status != 403 {
		t.Errorf("a county approving: %d", status)
	}
	if status, _, body = prepPost(t, boss, s.srv.URL+plan+"/approve", url.Values{}); status != 303 {
		t.Fatalf("approve: %d %.300s", status, shown(body))
	}
	_, page := get(t, boss, s.srv.URL+"/prepare/readiness?year="+year(next))

	if text := shown(page); !strings.Contains(text, "临泽县") || !strings.Contains(text, "已批准") || !strings.Contains(text, "未编制") {
		t.Errorf("readiness: %.600s", text)
	}

	// Officers: 西寨村 covered, the other two villages are gaps.
	if status, _, body = prepPost(t, county, s.srv.URL+"/prepare/officers", url.Values{"name": {"王信息"}, "phone": {"13800001111"}, "region": {"620723101201"}, "since": {"2024-01-01"}}); status != 303 {
		t.Fatalf("officer: %d %.300s", status, shown(body))
	}
	_, page = get(t, boss, s.srv.URL+"/prepare/officers/coverage")
	if text := shown(page); !strings.Contains(text, "硖口村") || !strings.Contains(text, "炒面庄村") || strings.Contains(text, "西寨村") {
		t.Errorf("coverage gaps: %.600s", text)
	}
	if _, page = get(t, boss, s.srv.URL+"/prepare/officers"); strings.Contains(page, "13800001111") {
		t.Error("an officer's phone shown unmasked")
	}

	// A project through the procedure.
	status, loc, body = prepPost(t, town, s.srv.URL+"/prepare/projects", url.Values{"name": {"西寨村灌渠水毁修复"}, "type": {"infrastructure_repair"}, "village": {"620723101201"},
		"fast_track": {"1"}, "event": {"临泽暴雨"}})
	if status != 303 {
		t.Fatalf("propose: %d %.300s", status, shown(body))
	}
	project := strings.Split(loc, "?")[0]
	if status, _, body = prepPost(t, town, s.srv.URL+project+"/decision", url.Values{"step": {"township_review"}, "outcome": {"passed"}}); status != 303 {
		t.Fatalf("township review: %d %.300s", status, shown(body))
	}
	if status, _, body = prepPost(t, county, s.srv.URL+project+"/decision", url.Values{"step": {"township_review"}, "outcome": {"passed"}}); status != 409 {
		t.Errorf("a stale decision: %d %.300s", status, shown(body))
	}
	if status, _, body = prepPost(t, county, s.srv.URL+project+"/decision", url.Values{"step": {"county_approval"}, "outcome": {"passed"}}); status != 303 {
		t.Fatalf("county approval: %d %.300s", status, shown(body))
	}
	_, page = get(t, boss, s.srv.URL+project)
	if text := shown(page); !strings.Contains(text, "已入库") || !strings.Contains(text, "快速入库") {
		t.Errorf("the project: %.600s", text)
	}

	// An asset damaged and disposed of.
	status, loc, body = prepPost(t, county, s.srv.URL+"/prepare/assets", url.Values{"name": {"西寨村光伏电站"}, "class": {"operating"}, "owner": {"村集体"}, "village": {"620723101201"}, "value": {"480000"}})
	if status != 303 {
		t.Fatalf("asset: %d %.300s", status, shown(body))
	}
	asset := strings.Split(loc, "?")[0]
	prepPost(t, county, s.srv.URL+asset+"/damages", url.Values{"event": {"临泽暴雨"}, "date": {time.Now().In(backstop.Beijing).Format(time.DateOnly)}, "loss": {"120000"}, "description": {"支架倒塌"}})
	_, page = get(t, county, s.srv.URL+asset)
	damage := regexp.MustCompile(`/prepare/asset-damages/(\d+)/proposal`).FindStringSubmatch(page)
	if damage == nil {
		t.Fatalf("no proposal form on the damaged asset: %.600s", shown(page))
	}
	prepPost(t, county, s.srv.URL+"/prepare/asset-damages/"+damage[1]+"/proposal", url.Values{"from": {""}, "decision": {"dispose"}, "note": {"修复成本过高"}})
	if _, page = get(t, county, s.srv.URL+asset); strings.Contains(page, "/decision") {
		t.Error("the proposer is offered its own approval")
	}
	linze2 := s.client(t, "linze2", web.LangZH)
	if status, _, body = prepPost(t, linze2, s.srv.URL+"/prepare/asset-damages/"+damage[1]+"/decision", url.Values{"approve": {"1"}, "record": {"县局批复报废"}}); status != 303 {
		t.Fatalf("approval: %d %.300s", status, shown(body))
	}
	_, page = get(t, boss, s.srv.URL+"/prepare/asset-damages?event="+url.QueryEscape("临泽暴雨"))
	if text := shown(page); !strings.Contains(text, "西寨村光伏电站") || !strings.Contains(text, "处置 · 已批准") {
		t.Errorf("damages of the event: %.600s", text)
	}

	// Insurance and publicity.
	if status, _, body = prepPost(t, boss, s.srv.URL+"/prepare/insurance", url.Values{"code": {"ZY-NF"}, "name": {"张掖市农房保险"}, "kind": {"house"}, "insurer": {"人保财险"}, "region": {"620700000000"},
		"cover": {"50000"}, "premium": {"30"}, "payer": {"government"}, "perils": {"暴雨、洪水"}}); status != 303 {
		t.Fatalf("product: %d %.300s", status, shown(body))
	}
	_, page = get(t, boss, s.srv.URL+"/prepare/insurance/gaps")
	if text := shown(page); !strings.Contains(text, "6207231012010001") {
		t.Errorf("gaps: %.600s", text)
	}
	if status, _, body = prepPost(t, boss, s.srv.URL+"/prepare/publicity/calendar", url.Values{"region": {"620700000000"}, "year": {year(time.Now().Year())}}); status != 303 {
		t.Fatalf("calendar: %d %.300s", status, shown(body))
	}
	_, page = get(t, county, s.srv.URL+"/prepare/publicity")
	if text := shown(page); !strings.Contains(text, "全国防灾减灾日") || !strings.Contains(text, "拟办") {
		t.Errorf("publicity: %.600s", text)
	}

	// Organisations and a subscription by the city.
	if status, _, body = prepPost(t, boss, s.srv.URL+"/prepare/organisations", url.Values{"kind": {"meteorology"}, "region": {"620700000000"}, "contact": {"李气象"}, "members": {"weather"}}); status != 303 {
		t.Fatalf("organisation: %d %.300s", status, shown(body))
	}

	// Every page in Chinese, without codes; every list as Excel.
	pages := []string{"/prepare/readiness", "/prepare/plans", plan, "/prepare/department-plans", "/prepare/officers", "/prepare/officers/coverage", "/prepare/trainings",
		"/prepare/organisations", "/prepare/subscriptions", "/prepare/pushes", "/prepare/projects", project, "/prepare/assets", asset, "/prepare/asset-damages",
		"/prepare/insurance", "/prepare/insurance/policies", "/prepare/insurance/claims", "/prepare/insurance/gaps", "/prepare/publicity", "/prepare/publicity/coverage"}
	for _, p := range pages {
		for who, c := range map[string]*http.Client{"boss": boss, "linze": county} {
			status, page := get(t, c, s.srv.URL+p)
			if status != 200 {
				t.Errorf("%s %s: %d", who, p, status)
				continue
			}
			checkShown(t, who, p, page)
		}
	}
	for _, p := range []string{"/prepare/readiness", "/prepare/plans", "/prepare/officers", "/prepare/projects", "/prepare/assets", "/prepare/insurance/gaps", "/prepare/publicity", "/prepare/organisations"} {
		resp, err := boss.Get(s.srv.URL + p + "?format=xlsx")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Type"), "spreadsheetml") || !bytes.HasPrefix(b, []byte("PK")) {
			t.Errorf("%s as Excel: %d %s", p, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
	}
	// A township sees no plan page of the county; the department no project.
	if status, _ := get(t, town, s.srv.URL+plan); status != 404 {
		t.Errorf("a township reading the county's plan: %d", status)
	}
	if status, _ := get(t, dept, s.srv.URL+"/prepare/projects"); status != 403 {
		t.Errorf("a department reading the project library: %d", status)
	}
}
