package web_test

import (
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/storetest"
	"github.com/zhangye-backstop/backstop/web"
)

// loanSubsidyRow adds the interest subsidy period the seed leaves open
// (2026 on): without it every loan is refused.
func loanSubsidyRow(t *testing.T, s *site) {
	t.Helper()
	p := &backstop.Policy{Key: backstop.PolicyLoanSubsidyPct, Region: backstop.NationalScope, Value: 60, EffectiveFrom: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Source: "test"}
	if err := s.db.CreatePolicy(storetest.Admin(), p); err != nil {
		t.Fatal(err)
	}
}

// TestLoanPages walks 小额信贷 as the city: a household's loan applied for
// through the form (the borrower picked by name, the ID never shown), a
// loan over the cap refused naming the rule in Chinese, a grant with the
// contract missing, the list with its counts and export, the missing
// papers and the extension proposals — in Chinese, without codes.
func TestLoanPages(t *testing.T) {
	s := newSite(t)
	loanSubsidyRow(t, s)
	boss, dept := s.client(t, "boss", web.LangZH), s.client(t, "weather", web.LangZH)
	_, home := get(t, boss, s.srv.URL+"/")
	if !strings.Contains(home, `href="/loans"`) {
		t.Error("the city's menu has no 小额信贷")
	}
	if _, home = get(t, dept, s.srv.URL+"/"); strings.Contains(home, `href="/loans"`) {
		t.Error("a department's menu shows 小额信贷")
	}
	base := s.srv.URL + "/households/6207231012010001/loans"
	status, body := get(t, boss, base)
	if status != 200 || !strings.Contains(body, `data-testid="loan-new"`) || strings.Contains(body, "620723196106054054") || !strings.Contains(body, "张建国 620723********4054") {
		t.Fatalf("the household's loans: %d %.500s", status, shown(body))
	}
	checkShown(t, "boss", "/households/…/loans", body)
	form := url.Values{"kind": {"new"}, "bank": {"临泽农商银行"}, "amount": {"60000"}, "term_months": {"36"}, "purpose": {"planting"}, "borrower_member": {"620723101201000101"},
		"applied_on": {"2026-11-02"}}
	status, _, body = prepPost(t, boss, base, form)
	if status != 400 || !strings.Contains(shown(body), "不符合政策规则“loans.amount_cap”") {
		t.Errorf("over the cap: %d %.500s", status, shown(body))
	}
	form.Set("amount", "30000")
	if status, _, body = prepPost(t, boss, base, form); status != 303 {
		t.Fatalf("apply: %d %.500s", status, shown(body))
	}
	status, body = get(t, boss, base)
	if status != 200 || !strings.Contains(shown(body), "临泽农商银行") || !strings.Contains(shown(body), "已申请") || !strings.Contains(body, `data-testid="loan-grant"`) {
		t.Fatalf("after applying: %d %.800s", status, shown(body))
	}
	checkShown(t, "boss", "/households/…/loans", body)
	ls, _, err := s.db.FindLoans(storetest.Admin(), backstop.LoanFilter{Household: "6207231012010001"})
	if err != nil || len(ls) != 1 {
		t.Fatalf("loans: %v %v", ls, err)
	}
	if status, _, body = prepPost(t, boss, base+"/grant", url.Values{"loan": {strconv.FormatInt(ls[0].ID, 10)}, "granted_on": {"2026-11-05"}, "missing": {"contract"}}); status != 303 {
		t.Fatalf("grant: %d %.500s", status, shown(body))
	}
	for _, p := range []struct{ path, want string }{
		{"/loans", "临泽农商银行"},
		{"/loans?state=granted", "已放款"},
		{"/loans/papers", "借款合同"},
		{"/loans/proposals", "没有建议展期的贷款"},
	} {
		status, body := get(t, boss, s.srv.URL+p.path)
		if status != 200 || !strings.Contains(shown(body), p.want) {
			t.Errorf("%s: %d, does not say %q: %.600s", p.path, status, p.want, shown(body))
		}
		checkShown(t, "boss", p.path, body)
	}
	if status, body := get(t, boss, s.srv.URL+"/loans?format=xlsx"); status != 200 || !strings.HasPrefix(body, "PK") {
		t.Errorf("export: %d", status)
	}
	// The household's page links to its loans; the audit trail says what
	// was done in words.
	if _, body := get(t, boss, s.srv.URL+"/households/6207231012010001"); !strings.Contains(body, `href="/households/6207231012010001/loans"`) {
		t.Error("the household page has no link to its loans")
	}
	_, body = get(t, s.client(t, "audit", web.LangZH), s.srv.URL+"/audit?size=100")
	if strings.Contains(body, "data-raw") {
		t.Errorf("the audit page shows a loan's detail as recorded: %.300s", body[strings.Index(body, "data-raw"):])
	}
	for _, want := range []string{"登记小额信贷申请", "户编号 6207231012010001；新增；30000元；36个月", "登记小额信贷放款", "放款日期 2026-11-05；到期日期 2029-11-05；容缺材料 1 项"} {
		if !strings.Contains(shown(body), want) {
			t.Errorf("the audit trail does not say %q", want)
		}
	}
	if status, _ := get(t, dept, s.srv.URL+"/loans"); status != 403 {
		t.Errorf("a department opened the loans: %d", status)
	}
}

// TestBrowserLoanForm fills the loan form in Chromium at phone and desk
// size: the loan is listed after the form is sent.
func TestBrowserLoanForm(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	for _, size := range []struct {
		name string
		w, h int64
	}{{"phone", 390, 844}, {"desk", 1440, 900}} {
		t.Run(size.name, func(t *testing.T) {
			ctx := newBrowser(t, chromedp.WindowSize(max(int(size.w), 500), int(size.h)))
			s := newSite(t)
			loanSubsidyRow(t, s)
			step := func(what string, steps ...chromedp.Action[chromedp.Void]) {
				t.Helper()
				if err := chromedp.Do(ctx, steps...); err != nil {
					t.Fatalf("browser, %s: %v", what, err)
				}
			}
			if size.w < 500 {
				step("phone screen", chromedp.EmulateViewport(size.w, size.h, chromedp.EmulateScale(2), chromedp.EmulateMobile))
			}
			step("sign in",
				chromedp.Navigate(s.srv.URL+"/lang/zh-CN?back=/households/6207221072060012/loans"),
				chromedp.WaitVisible(chromedp.CSS(`#name`)),
				chromedp.SendKeys(chromedp.CSS(`#name`), "boss"),
				chromedp.SendKeys(chromedp.CSS(`#password`), password),
				chromedp.Click(chromedp.CSS(`#login`)),
				chromedp.WaitVisible(chromedp.CSS(`[data-testid="loan-new"]`)),
			)
			f := `[data-testid="loan-new"] `
			step("fill the form",
				chromedp.SendKeys(chromedp.CSS(f+`input[name="bank"]`), "民乐农商银行"),
				chromedp.SendKeys(chromedp.CSS(f+`input[name="amount"]`), "20000"),
				chromedp.SendKeys(chromedp.CSS(f+`input[name="term_months"]`), "24"),
				chromedp.SetValue(chromedp.CSS(f+`select[name="purpose"]`), "breeding"),
				chromedp.SetValue(chromedp.CSS(f+`input[name="applied_on"]`), "2026-11-02"),
				chromedp.Click(chromedp.CSS(f+`button[type="submit"]`)),
				chromedp.WaitVisible(chromedp.CSS(`[data-testid="loan-grant"]`)),
			)
			table, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`[data-testid="household-loans"]`)))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(table, "民乐农商银行") || !strings.Contains(table, "养殖业") || !strings.Contains(table, "已申请") || strings.Contains(table, "620722197509140617") {
				t.Errorf("the loans after the form: %s", table)
			}
			width, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth`))
			if err == nil && int64(width) > size.w+1 && size.w < 500 {
				t.Errorf("the page is %dpx wide on a %dpx phone", width, size.w)
			}
		})
	}
}
