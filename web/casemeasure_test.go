package web_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/cases"
	"github.com/zhangye-backstop/backstop/loans"
	"github.com/zhangye-backstop/backstop/server"
	"github.com/zhangye-backstop/backstop/storetest"
)

// The case page's measures and loans (issue 12 item 9): a measure changed
// from its row's form by compare-and-set (a stale form refused in
// Chinese, bad input refused naming the field, nothing written), only by
// a user who may write cases in the case's region; the household's loans
// in words for a user who may read loans.

// caseMeasure reads the case's one measure as stored.
func caseMeasure(t *testing.T, us *uiSite, id int64) *backstop.Measure {
	t.Helper()
	ms, _, err := us.site.db.FindMeasures(storetest.Admin(), backstop.MeasureFilter{CaseID: id, Limit: 10})
	if err != nil || len(ms) != 1 {
		t.Fatalf("the case's measures: %v %v", ms, err)
	}
	return ms[0]
}

// helpedCases lists the ids of GET /api/v1/cases?stage=helped.
func helpedCases(t *testing.T, us *uiSite, c *http.Client) []int64 {
	t.Helper()
	status, body := get(t, c, us.url("/api/v1/cases?stage=helped&limit=100"))
	if status != 200 {
		t.Fatalf("helped cases: %d %.300s", status, body)
	}
	var l struct {
		Items []struct {
			ID int64 `json:"id"`
		} `json:"items"`
	}
	if err := json.Unmarshal([]byte(body), &l); err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, c := range l.Items {
		ids = append(ids, c.ID)
	}
	return ids
}

func TestCaseMeasureEdit(t *testing.T) {
	us, _, id := caseSite(t)
	ctx := storetest.Admin()
	for _, u := range []*backstop.User{{Name: "audit", Role: backstop.RoleAuditor, Region: backstop.NationalScope}, {Name: "ganzhou", Role: backstop.RoleCounty, Region: "620702"}} {
		if err := us.site.db.CreateUser(ctx, u, password); err != nil {
			t.Fatal(err)
		}
	}
	cadre := us.client(t, "cadre", "zh-CN")
	m := caseMeasure(t, us, id)
	page := us.url(fmt.Sprintf("/cases/%d", id))
	edit := us.url(fmt.Sprintf("/cases/%d/measures/%d", id, m.ID))
	status, body := get(t, cadre, page)
	if status != 200 || !strings.Contains(body, fmt.Sprintf(`action="/cases/%d/measures/%d"`, id, m.ID)) || !strings.Contains(body, fmt.Sprintf(`name="version" value="%d"`, m.Version)) {
		t.Fatalf("the case page offers no edit of measure %d: %d", m.ID, status)
	}
	form := func(version int, change func(url.Values)) url.Values {
		f := url.Values{"version": {fmt.Sprint(version)}, "item": {m.Category + "|" + m.Item}, "department": {m.Department}, "person": {"李工"}, "status": {"planned"},
			"amount": {""}, "planned_on": {"2026-07-01"}, "started_on": {""}, "done_on": {""}, "note": {""}}
		if change != nil {
			change(f)
		}
		return f
	}

	// Back to planned, not started: the case is no longer helped.
	if !slices.Contains(helpedCases(t, us, cadre), id) {
		t.Fatalf("the case with a measure under way is not helped")
	}
	status, loc, body := prepPost(t, cadre, edit, form(m.Version, nil))
	if status != 303 || loc != fmt.Sprintf("/cases/%d?done=measure#measures", id) {
		t.Fatalf("edit to planned: %d %q %.600s", status, loc, shown(body))
	}
	if got := caseMeasure(t, us, id); got.Status != backstop.MeasurePlanned || got.StartedOn != "" || got.Version != m.Version+1 {
		t.Fatalf("after the edit: %+v", got)
	}
	if slices.Contains(helpedCases(t, us, cadre), id) {
		t.Errorf("a case whose only measure is planned is helped")
	}
	status, body = get(t, cadre, us.url(loc))
	if status != 200 || !strings.Contains(body, `data-testid="measure-done"`) || !strings.Contains(body, "帮扶措施已保存") || !strings.Contains(shown(body), "计划") {
		t.Errorf("after the edit, the page: %d %.600s", status, shown(body))
	}
	checkWords(t, "cadre", "/cases/id", pageText(body))

	// Under way, with its amount: helped again.
	m = caseMeasure(t, us, id)
	status, _, body = prepPost(t, cadre, edit, form(m.Version, func(f url.Values) {
		f.Set("status", "in_progress")
		f.Set("started_on", "2026-07-05")
		f.Set("amount", "30000")
		f.Set("person", "张工")
		f.Set("note", "已开工")
	}))
	if status != 303 {
		t.Fatalf("edit to in progress: %d %.600s", status, shown(body))
	}
	m = caseMeasure(t, us, id)
	if m.Status != backstop.MeasureInProgress || m.StartedOn != "2026-07-05" || m.Amount == nil || *m.Amount != 30000 || m.Person != "张工" || m.Note != "已开工" || m.Item != "危房改造" {
		t.Fatalf("after the edit: %+v", m)
	}
	if !slices.Contains(helpedCases(t, us, cadre), id) {
		t.Errorf("a case with a measure under way is not helped")
	}
	_, body = get(t, cadre, page)
	if !strings.Contains(body, `value="30000"`) || !strings.Contains(shown(body), "30,000 元") || !strings.Contains(shown(body), "张工") {
		t.Errorf("the page does not show the measure as changed: %.1500s", shown(body))
	}

	// Refused, nothing written, the reason in Chinese on the case page with
	// the measure's form open: a stale form, bad input, no version.
	for _, c := range []struct {
		what   string
		form   url.Values
		status int
		want   string
	}{
		{"a stale version", form(m.Version-1, func(f url.Values) {
			f.Set("status", "done")
			f.Set("started_on", "2026-07-05")
			f.Set("done_on", "2026-08-01")
		}), 409,
			fmt.Sprintf("帮扶措施%d已被他人修改，请刷新后重试", m.ID)},
		{"an amount in words", form(m.Version, func(f url.Values) { f.Set("amount", "三万") }), 400, "金额须为数字"},
		{"an amount NaN", form(m.Version, func(f url.Values) { f.Set("amount", "NaN") }), 400, "金额须为数字"},
		{"a negative amount", form(m.Version, func(f url.Values) { f.Set("amount", "-5") }), 400, "金额须在0至"},
		{"a bad date", form(m.Version, func(f url.Values) { f.Set("status", "in_progress"); f.Set("started_on", "2026-13-01") }), 400, "开始日期须为有效日期"},
		{"done before started", form(m.Version, func(f url.Values) {
			f.Set("status", "done")
			f.Set("started_on", "2026-07-05")
			f.Set("done_on", "2026-07-01")
		}), 400, "完成日期（2026-07-01）不能早于开始日期（2026-07-05）"},
		{"done without its day", form(m.Version, func(f url.Values) { f.Set("status", "done"); f.Set("started_on", "2026-07-05") }), 400, "已完成的措施须填写完成日期"},
		{"an unknown status", form(m.Version, func(f url.Values) { f.Set("status", "finished") }), 400, "状态须为计划、实施中、已完成或未实施"},
		{"no version", form(m.Version, func(f url.Values) { f.Del("version") }), 400, "表单缺少帮扶措施的版本，请刷新页面后重试"},
	} {
		status, _, body := prepPost(t, cadre, edit, c.form)
		if status != c.status || !strings.Contains(shown(body), c.want) || !strings.Contains(body, `data-testid="error"`) {
			t.Errorf("%s: %d, want %d saying %q: %.800s", c.what, status, c.status, c.want, shown(body))
		}
		if !strings.Contains(body, `data-testid="measure-edit" open`) {
			t.Errorf("%s: the measure's form is not open again", c.what)
		}
		checkWords(t, "cadre", "/cases/id (refused: "+c.what+")", pageText(body))
		if got := caseMeasure(t, us, id); got.Version != m.Version || got.Status != m.Status || got.DoneOn != "" || *got.Amount != 30000 {
			t.Errorf("%s: the measure changed: %+v", c.what, got)
		}
	}

	// The add form shares the decoding: refused on the case page too.
	status, _, body = prepPost(t, cadre, us.url(fmt.Sprintf("/cases/%d/measures", id)), url.Values{"item": {m.Category + "|" + m.Item}, "status": {"planned"}, "amount": {"三千"}})
	if status != 400 || !strings.Contains(shown(body), "金额须为数字") || !strings.Contains(body, `data-testid="measure-form"`) {
		t.Errorf("a measure added with an amount in words: %d", status)
	}
	if ms, _, _ := us.site.db.FindMeasures(ctx, backstop.MeasureFilter{CaseID: id, Limit: 10}); len(ms) != 1 {
		t.Errorf("a refused measure was added: %d measures", len(ms))
	}

	// Outside the region: no page, no write.
	other := us.client(t, "ganzhou", "zh-CN")
	if status, body := get(t, other, page); status != 403 && status != 404 || strings.Contains(body, "危房改造") {
		t.Errorf("another county's case page: %d", status)
	}
	if status, _, body := prepPost(t, other, edit, form(m.Version, func(f url.Values) { f.Set("person", "外县") })); status != 403 && status != 404 || strings.Contains(body, "危房改造") {
		t.Errorf("another county edits the measure: %d %s", status, strings.Join(strings.Fields(shown(body)), " "))
	}
	// Reading cases without writing them: no form, and a post is refused.
	audit := us.client(t, "audit", "zh-CN")
	status, body = get(t, audit, page)
	if status != 200 || strings.Contains(body, `data-testid="measure-edit"`) || strings.Contains(body, `data-testid="measure-form"`) || !strings.Contains(body, "危房改造") {
		t.Errorf("the auditor's case page: %d, with an edit form: %v", status, strings.Contains(body, "measure-edit"))
	}
	if status, _, body := prepPost(t, audit, edit, form(m.Version, func(f url.Values) { f.Set("person", "审计") })); status != 403 || !strings.Contains(shown(body), "无权办理监测帮扶案件") {
		t.Errorf("the auditor edits the measure: %d %.600s", status, shown(body))
	}
	if got := caseMeasure(t, us, id); got.Version != m.Version || got.Person != "张工" {
		t.Errorf("after the refused edits: %+v", got)
	}
}

// caseLoan applies for a loan of the case's household and grants it with
// the contract missing.
func caseLoan(t *testing.T, us *uiSite, app *server.Server) {
	t.Helper()
	loanSubsidyRow(t, us.site)
	ctx := storetest.Admin()
	day := func(d int) string { return time.Now().In(backstop.Beijing).AddDate(0, 0, d).Format(time.DateOnly) }
	l, err := app.Loans.Apply(ctx, caseNumber, loans.ApplyInput{Kind: "new", Bank: "临泽农商银行", Amount: 30000, TermMonths: 36, Purpose: "planting",
		BorrowerMember: caseNumber + "01", AppliedOn: day(-3)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := app.Loans.Grant(ctx, l.ID, loans.GrantInput{GrantedOn: day(-1), MissingPapers: []string{"contract"}}); err != nil {
		t.Fatal(err)
	}
}

func TestCaseLoansBlock(t *testing.T) {
	us, app, id := caseSite(t)
	caseLoan(t, us, app)
	ctx := storetest.Admin()
	for _, u := range []*backstop.User{{Name: "audit", Role: backstop.RoleAuditor, Region: backstop.NationalScope}, {Name: "weather", Role: backstop.RoleDepartment, Region: "620700"},
		{Name: "xinxi", Role: backstop.RoleInfoOfficer, Region: caseVillage}} {
		if err := us.site.db.CreateUser(ctx, u, password); err != nil {
			t.Fatal(err)
		}
	}
	page := us.url(fmt.Sprintf("/cases/%d", id))
	for _, who := range []string{"cadre", "audit"} {
		status, body := get(t, us.client(t, who, "zh-CN"), page)
		i := strings.Index(body, `data-testid="case-loans"`)
		if status != 200 || i < 0 {
			t.Fatalf("%s: the case page: %d, loans block: %v", who, status, i >= 0)
		}
		block := shown(body[i:min(len(body), i+strings.Index(body[i:], "</section>"))])
		for _, want := range []string{"贷款类型", "放贷银行", "新增", "临泽农商银行", "30,000", "36", "已放款", "容缺办理：1项待补", "查看和办理该户的小额信贷"} {
			if !strings.Contains(block, want) {
				t.Errorf("%s: the loans block does not say %q: %s", who, want, block)
			}
		}
		for _, never := range []string{caseIDNo, caseIDNo[:6] + "********" + caseIDNo[14:], "王秀英", "已逾期", "granted", "planting", "contract", "new"} {
			if strings.Contains(block, never) {
				t.Errorf("%s: the loans block shows %q: %s", who, never, block)
			}
		}
		checkWords(t, who, "/cases/id", pageText(body))
	}
	// The missing contract past its day (as the papers' clock would find
	// it weeks later): the block says so.
	if err := us.site.db.ExecForTest(ctx, `UPDATE loan_papers SET due_on = ?`, "2026-01-05"); err != nil {
		t.Fatal(err)
	}
	if _, body := get(t, us.client(t, "cadre", "zh-CN"), page); !strings.Contains(shown(body), "容缺材料已逾期") {
		t.Errorf("the loans block does not say the contract is overdue")
	}
	// In English too, every word from the catalog.
	status, body := get(t, us.client(t, "cadre", "en"), page)
	noKeys(t, "the case page in English", body)
	if status != 200 || !strings.Contains(shown(body), "Granted with papers missing: 1 to fill") {
		t.Errorf("the case page in English: %d", status)
	}
	// Without the permission to read loans (no role reads cases without
	// reading loans today: these read no case at all), nothing of them.
	for _, who := range []string{"weather", "xinxi"} {
		status, body := get(t, us.client(t, who, "zh-CN"), page)
		if status != 403 || strings.Contains(body, "case-loans") || strings.Contains(body, "临泽农商银行") || strings.Contains(body, "30,000") {
			t.Errorf("%s: the case page: %d, %.300s", who, status, shown(body))
		}
	}
}

// TestCaseMeasureBrowser changes a measure's status on the case page in
// Chromium at desk and phone size, and sees it changed; with -screenshots
// DIR it writes the page before and after.
func TestCaseMeasureBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	for _, size := range []struct {
		name string
		w, h int
	}{{"desk", 1440, 900}, {"phone", 390, 844}} {
		t.Run(size.name, func(t *testing.T) {
			us, app, id := caseSite(t)
			caseLoan(t, us, app)
			m := caseMeasure(t, us, id)
			b := us.browser(t, size.w, size.h)
			b.signIn("cadre")
			if st := b.open(fmt.Sprintf("/cases/%d", id)); st != 200 {
				t.Fatalf("case page: %d", st)
			}
			if s := b.text(`[data-testid="measure-status"]`); s != "实施中" {
				t.Fatalf("the measure's status before: %q", s)
			}
			if s := b.text(`[data-testid="case-loans-table"]`); !strings.Contains(s, "临泽农商银行") || !strings.Contains(s, "已放款") {
				t.Errorf("the loans block: %q", s)
			}
			f := `[data-testid="measure-edit-form"] `
			b.do("open the measure's form",
				chromedp.ScrollIntoView(chromedp.CSS(`[data-testid="measure-edit"] > summary`)),
				chromedp.Click(chromedp.CSS(`[data-testid="measure-edit"] > summary`)),
				chromedp.WaitVisible(chromedp.CSS(f+`select[name="status"]`)),
			)
			// What a phone cannot reach sideways, a cadre cannot fill in.
			overflow, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth + 1`))
			if err != nil {
				t.Fatal(err)
			}
			if overflow && size.w < 500 {
				t.Errorf("the case page with the form open scrolls sideways at %d px", size.w)
			}
			if *screenshots != "" {
				b.shot(*screenshots, size.name+"-case-measure-edit")
			}
			b.do("mark the measure done",
				chromedp.SetValue(chromedp.CSS(f+`select[name="status"]`), "done"),
				chromedp.SetValue(chromedp.CSS(f+`input[name="done_on"]`), "2026-08-01"),
				chromedp.SendKeys(chromedp.CSS(f+`input[name="amount"]`), "30000"),
				chromedp.Click(chromedp.CSS(f+`button[type="submit"]`)),
				chromedp.WaitVisible(chromedp.CSS(`[data-testid="measure-done"]`)),
			)
			if s := b.text(`[data-testid="measure-status"]`); s != "已完成" {
				t.Errorf("the measure's status after: %q", s)
			}
			if got := caseMeasure(t, us, id); got.Status != backstop.MeasureDone || got.DoneOn != "2026-08-01" || got.Version != m.Version+1 || got.Amount == nil || *got.Amount != 30000 {
				t.Errorf("the measure as stored: %+v", got)
			}
			checkWords(t, "cadre", "/cases/id", b.shownText())
			if *screenshots != "" {
				b.shot(*screenshots, size.name+"-case-measure-saved")
			}
			// Someone else changes it while the form is open: the form's
			// version is stale, and the page says so.
			b.do("open the form again",
				chromedp.Click(chromedp.CSS(`[data-testid="measure-edit"] > summary`)),
				chromedp.WaitVisible(chromedp.CSS(f+`input[name="note"]`)),
			)
			now := caseMeasure(t, us, id)
			if _, err := app.Cases.UpdateMeasure(storetest.Admin(), id, now.ID, cases.MeasureInput{Category: now.Category, Item: now.Item, Department: now.Department, Person: "王工",
				Status: now.Status, Amount: now.Amount, StartedOn: now.StartedOn, DoneOn: now.DoneOn, Version: now.Version}); err != nil {
				t.Fatal(err)
			}
			b.do("send the stale form",
				chromedp.SendKeys(chromedp.CSS(f+`input[name="note"]`), "验收合格"),
				chromedp.Click(chromedp.CSS(f+`button[type="submit"]`)),
				chromedp.WaitVisible(chromedp.CSS(`[data-testid="error"]`)),
			)
			if s := b.text(`[data-testid="error"]`); s != fmt.Sprintf("帮扶措施%d已被他人修改，请刷新后重试", now.ID) {
				t.Errorf("the stale form: %q", s)
			}
			if got := caseMeasure(t, us, id); got.Note != "" || got.Person != "王工" {
				t.Errorf("the stale form wrote: %+v", got)
			}
			if *screenshots != "" {
				b.shot(*screenshots, size.name+"-case-measure-conflict")
			}
		})
	}
}
