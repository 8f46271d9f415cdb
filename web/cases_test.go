package web_test

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/cases"
	"github.com/zhangye-backstop/backstop/screening"
	"github.com/zhangye-backstop/backstop/server"
	"github.com/zhangye-backstop/backstop/server/servertest"
	"github.com/zhangye-backstop/backstop/storetest"
)

// The 监测帮扶 pages: the list with its filters and export, the case page
// (timeline, debts with 程序未完成, measures, problems, the loans block),
// the printable notice (names, village and reason only), clearing
// candidates; in words, never codes; in a browser at desk and phone size.

const (
	caseVillage = "620723101201" // 沙河镇西寨村
	caseNumber  = "6207231012018001"
	caseIDNo    = "620723198001011233"
	casePhone   = "13912345678"
)

func caseSite(t *testing.T) (*uiSite, *server.Server, int64) {
	t.Helper()
	db := storetest.OpenSQLite(t)
	storetest.LoadRegions(t, db)
	app, srv := servertest.New(t, db, server.Config{DataDir: t.TempDir()})
	ctx := storetest.Admin()
	for _, u := range []*backstop.User{{Name: "cadre", Role: backstop.RoleVillage, Region: caseVillage}, {Name: "xian01", Role: backstop.RoleCounty, Region: "620723"}} {
		if err := db.CreateUser(ctx, u, password); err != nil {
			t.Fatal(err)
		}
	}
	income := 5000.0
	h := &backstop.Household{Number: caseNumber, VillageCode: caseVillage, HeadName: "王秀英", Type: "脱贫户", IncomePerCapita: &income, Phone: casePhone,
		Members: []*backstop.Member{{Number: caseNumber + "01", Name: "王秀英", IDNumber: caseIDNo, Relation: "户主", Health: "患有大病", Labour: "普通劳动力", Phone: casePhone}}}
	if err := db.CreateHousehold(ctx, h); err != nil {
		t.Fatal(err)
	}
	a, err := app.Screening.FileLossReport(ctx, caseNumber, screening.LossInput{HouseDamage: "collapsed", HouseRooms: 2})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := app.Screening.VerifyLossReport(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	v, err := app.Cases.Open(ctx, cases.OpenInput{Household: caseNumber, Source: "assessment", GreenChannel: true, RiskTypes: []string{"100A27006", "100A27001"}, DisasterSubItem: "洪涝灾害"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := app.Cases.AddMeasure(ctx, v.ID, cases.MeasureInput{Category: "住房安全保障", Item: "危房改造", Department: "housing", Person: "李工", Status: "in_progress", StartedOn: "2026-07-02"}); err != nil {
		t.Fatal(err)
	}
	us := &uiSite{links: map[string]string{}}
	us.site = &site{db: db, srv: srv, alerts: app.Alerting}
	return us, app, v.ID
}

func TestCasePages(t *testing.T) {
	us, _, id := caseSite(t)
	c := us.client(t, "cadre", "zh-CN")
	status, body := get(t, c, us.url("/cases"))
	if status != 200 || !strings.Contains(body, caseNumber) || !strings.Contains(body, "程序未完成") || !strings.Contains(body, "查询") || !strings.Contains(body, "重置") || !strings.Contains(body, "导出") ||
		!strings.Contains(body, "本步期限") || !strings.Contains(body, "环节") {
		t.Errorf("cases list: %d\n%.2000s", status, body)
	}
	checkWords(t, "cadre", "/cases", pageText(body))
	status, body = get(t, c, us.url("/cases?state=refused"))
	if status != 200 || strings.Contains(body, caseNumber) {
		t.Errorf("a filter that excludes the case: %d", status)
	}
	// The dashboard's figures as list filters, the stage kept selected.
	status, body = get(t, c, us.url("/cases?stage=helped"))
	if status != 200 || !strings.Contains(body, caseNumber) || !strings.Contains(body, `<option value="helped" selected>已落实帮扶</option>`) {
		t.Errorf("the helped cases: %d", status)
	}
	if status, body = get(t, c, us.url("/cases?stage=cleared")); status != 200 || strings.Contains(body, caseNumber) {
		t.Errorf("the cleared cases list the active one: %d", status)
	}
	status, body = get(t, c, us.url(fmt.Sprintf("/cases/%d", id)))
	for _, want := range []string{"程序未完成", "监测帮扶中", "农户申请并签署家庭经济状况核查授权书", "待补程序", "危房改造", "小额信贷", "data-testid=\"case-loans\"", "洪涝灾害", "因病", "<td>住房和城乡建设局</td>", `<option value="civil_affairs">民政局</option>`} {
		if !strings.Contains(body, want) {
			t.Errorf("case page: no %q", want)
		}
	}
	if status != 200 {
		t.Fatalf("case page: %d", status)
	}
	checkWords(t, "cadre", "/cases/id", pageText(body))
	// The notice shows name, village and reason, never the ID number, a
	// phone, a bank account or health.
	status, body = get(t, c, us.url(fmt.Sprintf("/cases/%d/notice", id)))
	if status != 200 || !strings.Contains(body, "王秀英") || !strings.Contains(body, "西寨村") || !strings.Contains(body, "因自然灾害") {
		t.Errorf("notice: %d\n%s", status, body)
	}
	for _, never := range []string{caseIDNo, caseIDNo[:6] + "****", casePhone, casePhone[:3] + "****", "患有大病", "健康", "银行", "账号", "卡号", "1234"} {
		if strings.Contains(body, never) {
			t.Errorf("the notice shows %q", never)
		}
	}
	status, body = get(t, c, us.url("/cases/clearing"))
	if status != 200 || !strings.Contains(body, "风险消除候选") {
		t.Errorf("clearing candidates: %d", status)
	}
	resp, err := c.Get(us.url("/cases/export.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Type"), "spreadsheet") {
		t.Errorf("export: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	// Paying the first debt through the page's form (the consent photo
	// uploaded with it).
	var img bytes.Buffer
	png.Encode(&img, image.NewGray(image.Rect(0, 0, 2, 2)))
	resp, err = postMultipart(c, us.url(fmt.Sprintf("/cases/%d/steps/application", id)), map[string]string{"outcome": "pass"}, "consent", img.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(resp.Request.URL.String(), "done=application") {
		t.Errorf("pay a debt from the page: %d %s", resp.StatusCode, resp.Request.URL)
	}
	// A step out of order answers in Chinese.
	resp, err = c.PostForm(us.url(fmt.Sprintf("/cases/%d/steps/notice", id)), url.Values{"outcome": {"pass"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusConflict {
		t.Errorf("a step out of order from the page: %d", resp.StatusCode)
	}
}

func TestCasePageBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	us, _, id := caseSite(t)
	for _, size := range []struct {
		name string
		w, h int
	}{{"desk", 1440, 900}, {"phone", 390, 844}} {
		t.Run(size.name, func(t *testing.T) {
			b := us.browser(t, size.w, size.h)
			b.signIn("cadre")
			if st := b.open(fmt.Sprintf("/cases/%d", id)); st != 200 {
				t.Fatalf("case page: %d", st)
			}
			if n := b.count(`[data-testid="case-timeline"] li`); n != 8 {
				t.Errorf("timeline steps: %d, want 8", n)
			}
			if s := b.text(`[data-testid="case-incomplete"]`); !strings.Contains(s, "程序未完成") {
				t.Errorf("incomplete badge: %q", s)
			}
			if n := b.count(`[data-testid="step-form"]`); n != 1 {
				t.Errorf("step forms: %d", n)
			}
			overflow, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth + 1`))
			if err != nil {
				t.Fatal(err)
			}
			if overflow && size.w < 500 {
				t.Errorf("the case page scrolls sideways at %d px", size.w)
			}
			checkWords(t, "cadre", "/cases/id", b.shownText())
		})
	}
}

// postMultipart posts a form with one file, as a browser sends it.
func postMultipart(c *http.Client, u string, fields map[string]string, fileField string, data []byte) (*http.Response, error) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	fw, _ := mw.CreateFormFile(fileField, "consent.png")
	fw.Write(data)
	mw.Close()
	return c.Post(u, mw.FormDataContentType(), &buf)
}
