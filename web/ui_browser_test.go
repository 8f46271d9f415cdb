package web_test

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/storetest"
)

var screenshots = flag.String("screenshots", "", "write screenshots of the main pages at 1440×900 and 390×844 to this directory (go test ./web/ -run Screenshots -screenshots DIR)")

// browser is a Chromium tab on the UI, signed in as one user at a time.
type browser struct {
	t   *testing.T
	ctx context.Context
	us  *uiSite
}

func (us *uiSite) browser(t *testing.T, w, h int) *browser {
	// A browser in China asks for Chinese.
	b := &browser{t: t, ctx: newBrowser(t, chromedp.WindowSize(max(w, 500), h), chromedp.Flag("lang", "zh-CN"), chromedp.Flag("accept-lang", "zh-CN,zh")), us: us}
	// A window is at least 500 wide: a phone's screen is emulated.
	if w < 500 {
		b.do("phone screen", chromedp.EmulateViewport(int64(w), int64(h), chromedp.EmulateScale(2), chromedp.EmulateMobile))
	}
	return b
}

func (b *browser) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, steps...); err != nil {
		b.t.Fatalf("browser, %s: %v", what, err)
	}
}

// signIn signs in as name through the login form, after dropping any
// earlier session.
func (b *browser) signIn(name string) {
	b.t.Helper()
	if _, err := chromedp.Call(b.ctx, network.ClearBrowserCookies, cdp.Empty{}); err != nil {
		b.t.Fatal(err)
	}
	b.do("sign in as "+name,
		chromedp.Navigate(b.us.url("/login")),
		chromedp.WaitVisible(chromedp.CSS(`#name`)),
		chromedp.SendKeys(chromedp.CSS(`#name`), name),
		chromedp.SendKeys(chromedp.CSS(`#password`), password),
		chromedp.Click(chromedp.CSS(`#login`)),
		// Hidden at phone size, but there once signed in.
		chromedp.WaitReady(chromedp.CSS(`[data-testid="who"]`)),
	)
}

// open navigates and returns the status of the page.
func (b *browser) open(path string) int64 {
	b.t.Helper()
	resp, err := chromedp.Run(b.ctx, chromedp.NavigateResponse(b.us.url(path)))
	if err != nil {
		b.t.Fatalf("open %s: %v", path, err)
	}
	b.do("wait for "+path, chromedp.WaitReady(chromedp.CSS(`body`)))
	if resp == nil {
		return 0
	}
	return resp.Status
}

func (b *browser) text(sel string) string {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("read %s: %v", sel, err)
	}
	return strings.TrimSpace(v)
}

// shownText is the page's visible text without what is shown as
// recorded (an alert's document, a record's own text: data-raw).
func (b *browser) shownText() string {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`(function () {
		var c = document.body.cloneNode(true);
		c.querySelectorAll("[data-raw], script, style, pre").forEach(function (e) { e.remove(); });
		var n = document.createElement("div"); n.style.position = "absolute"; n.style.left = "-10000px";
		n.appendChild(c); document.documentElement.appendChild(n);
		var t = c.innerText + "\n" + document.title;
		n.remove();
		return t;
	})()`))
	if err != nil {
		b.t.Fatalf("page text: %v", err)
	}
	return v
}

func (b *browser) count(sel string) int {
	b.t.Helper()
	n, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](fmt.Sprintf(`document.querySelectorAll(%q).length`, sel)))
	if err != nil {
		b.t.Fatal(err)
	}
	return n
}

// shot writes the page's first screen (name.png) and the whole page
// (name-full.png).
func (b *browser) shot(dir, name string) {
	b.t.Helper()
	png, err := chromedp.Run(b.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	png, err = chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+"-full.png"), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// Words that must not reach a page: English sentences, raw codes of the
// system's vocabularies, Go's format errors, missing catalog keys.
var (
	emailAddress    = regexp.MustCompile(`[\w.+-]+@[\w-]+(?:\.[\w-]+)+`)
	englishSentence = regexp.MustCompile(`\b[A-Za-z]{2,}(?:[ ,'’-]+[A-Za-z]{2,}){2,}\b`)
	rawCodes        = []*regexp.Regexp{
		regexp.MustCompile(`%!`), regexp.MustCompile(`⟦`),
		regexp.MustCompile(`\b[a-z]+(?:\.[a-z_]+)+\b`),    // warning.create, pii.reveal
		regexp.MustCompile(`\b[a-z]+_[a-z_]+\b`),          // key_groups, not_found
		regexp.MustCompile(`\b(?:cli|job|link|feed|tg):`), // actor and source prefixes
		regexp.MustCompile(`\b\d{12}\b`),                  // region codes
		regexp.MustCompile(`MiB|BACKSTOP_|\bmigration\b|tg-\d`),
		regexp.MustCompile(`[+~=]\d+ [+~=]\d+`),
	}
	enumWords = regexp.MustCompile(`\b(?:active|expired|cancelled|updated|sending|done|confirming|red|orange|yellow|blue|Actual|Exercise|Alert|Update|Cancel|open|accepted|dismissed|sms|wecom|broadcast|admin|city|county|township|village|department|auditor|in_person|neighbour|unreachable|rainstorm|hail|gale|snowstorm|pending|sent|delivered|failed|simulated|session|token|true|false|invalid|forbidden|conflict|internal|unauthorized)\b`)
)

// checkWords reports what a page shows that a user must not meet.
func checkWords(t *testing.T, who, path, text string) {
	t.Helper()
	// The language switch names its language in that language.
	text = strings.ReplaceAll(text, "English", "")
	// E-mail addresses are data, not codes.
	text = emailAddress.ReplaceAllString(text, "")
	if m := englishSentence.FindString(text); m != "" {
		t.Errorf("%s %s: English on the page: %q", who, path, m)
	}
	for _, re := range rawCodes {
		if m := re.FindString(text); m != "" {
			i := strings.Index(text, m)
			t.Errorf("%s %s: raw code %q in …%s…", who, path, m, text[max(0, i-40):min(len(text), i+40)])
		}
	}
	if m := enumWords.FindString(text); m != "" {
		i := strings.Index(text, m)
		t.Errorf("%s %s: raw value %q in …%s…", who, path, m, text[max(0, i-40):min(len(text), i+40)])
	}
}

var bigSite struct {
	once sync.Once
}

// TestBrowserUI drives the pages as each of their users does, in
// headless Chromium.
func TestBrowserUI(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	us := newUISite(t, 3000)
	if us.totalTasks <= 500 {
		t.Fatalf("the release has %d tasks; the paging test needs more than 500", us.totalTasks)
	}

	t.Run("helper calls from the phone", func(t *testing.T) {
		b := us.browser(t, 390, 844)
		link := us.helperLink(t)
		var mu sync.Mutex
		var tels []string
		var anchor bool
		chromedp.Listen(b.ctx, func(ev any) {
			mu.Lock()
			defer mu.Unlock()
			switch e := ev.(type) {
			case *network.EventRequestWillBeSent:
				if strings.HasPrefix(e.Request.URL, "tel:") && e.RedirectResponse != nil && e.RedirectResponse.Status == 303 {
					tels = append(tels, e.Request.URL)
				}
			}
		})
		if _, err := chromedp.Call(b.ctx, network.Enable, network.EnableParams{}); err != nil {
			t.Fatal(err)
		}
		b.open(link)
		card := b.text(`[data-testid="warning-card"]`)
		for _, want := range []string{"红色", "特别严重", "暴雨", "临泽县、甘州区", "请远离河道", "剩余"} {
			if !strings.Contains(card, want) {
				t.Errorf("the warning card lacks %q: %s", want, card)
			}
		}
		house := b.text(`[data-testid="household"]`)
		if !strings.Contains(house, "户主") || !regexp.MustCompile(`村`).MatchString(house) {
			t.Errorf("the household card does not name the head and village: %s", house)
		}
		href, err := chromedp.Run(b.ctx, chromedp.AttributeValue(chromedp.CSS(`a[data-testid="call"]`), "href"))
		if err != nil || !href.Exists {
			t.Fatalf("no call link: %v", err)
		}
		id := regexp.MustCompile(`/tasks/(\d+)/call$`).FindStringSubmatch(href.Value)
		if id == nil {
			t.Fatalf("call link %q", href.Value)
		}
		taskID, _ := strconv.ParseInt(id[1], 10, 64)
		ts, _, err := us.db.FindTasks(storetest.Admin(), backstop.TaskFilter{ReleaseID: us.release.ID, ID: taskID, Limit: 1})
		if err != nil || len(ts) != 1 {
			t.Fatalf("task %d: %v", taskID, err)
		}
		before, _, _ := us.db.FindAudit(storetest.Admin(), backstop.AuditFilter{Action: "pii.reveal", Record: ts[0].HouseholdNumber})
		b.do("tap 拨打", chromedp.Click(chromedp.CSS(`a[data-testid="call"]`)))
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) {
			mu.Lock()
			n := len(tels)
			mu.Unlock()
			if n > 0 {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		mu.Lock()
		got := append([]string(nil), tels...)
		_ = anchor
		mu.Unlock()
		if len(got) != 1 || got[0] != "tel:"+ts[0].Phone {
			t.Errorf("tel: navigations %q, want tel:%s once", got, ts[0].Phone)
		}
		after, _, _ := us.db.FindAudit(storetest.Admin(), backstop.AuditFilter{Action: "pii.reveal", Record: ts[0].HouseholdNumber})
		if len(after) != len(before)+1 || !strings.HasPrefix(after[0].Actor, "link:") || !strings.Contains(after[0].Detail, ts[0].PersonName) {
			t.Errorf("the call was not audited: %d rows before, %d after %+v", len(before), len(after), after)
		}
		// The page is still there: the dialer opened over it.
		if n := b.count(`[data-testid="warning-card"]`); n == 0 {
			t.Error("the helper's page was left for the dialer")
		}
	})

	t.Run("township home shows the warning and its progress", func(t *testing.T) {
		b := us.browser(t, 1440, 900)
		b.signIn("town")
		b.open("/")
		aw := b.text(`[data-testid="active-warning"]`)
		_, st, err := us.d.Release(ctxAs(t, us, "town"), us.release.ID)
		if err != nil {
			t.Fatal(err)
		}
		want := fmt.Sprintf("%d / %d", st.Tasks.Confirmed, st.Tasks.Total)
		if !strings.Contains(aw, "暴雨红色") && !strings.Contains(aw, "红色") || !strings.Contains(aw, want) || !strings.Contains(aw, "确认进行中") {
			t.Errorf("township home: active warning %q, want its level, %q and the phase", aw, want)
		}
		if st.Tasks.Total >= us.totalTasks {
			t.Errorf("the township sees %d of the release's %d tasks: not its own scope", st.Tasks.Total, us.totalTasks)
		}
		b.do("open the dashboard", chromedp.Click(chromedp.CSS(`[data-testid="open-dashboard"]`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid="task-cards"]`)))
	})

	t.Run("village menu", func(t *testing.T) {
		b := us.browser(t, 1440, 900)
		b.signIn("cadre")
		b.open("/")
		menu := b.text(`[data-testid="menu"]`)
		for _, no := range []string{"用户管理", "审计日志", "录入预警", "发布渠道", "短信模板", "隔离的预警"} {
			if strings.Contains(menu, no) {
				t.Errorf("the village menu offers %s: %s", no, menu)
			}
		}
		for _, yes := range []string{"首页", "预警信息", "发布记录", "农户信息"} {
			if !strings.Contains(menu, yes) {
				t.Errorf("the village menu lacks %s", yes)
			}
		}
		// A village has no sub-regions: its households instead.
		if b.count(`[data-testid="village-households"] tbody tr`) == 0 {
			t.Error("the village home lists no households")
		}
		// At phone size the menu folds behind 菜单.
		b.do("phone size", chromedp.EmulateViewport(390, 844))
		visible, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`getComputedStyle(document.querySelector('[data-testid="menu"]')).display !== "none"`))
		if err != nil || visible {
			t.Errorf("the menu shows at phone size before 菜单 is tapped (%v)", err)
		}
		b.do("tap 菜单", chromedp.Click(chromedp.CSS(`[data-testid="menu-button"]`)))
		visible, _ = chromedp.Run(b.ctx, chromedp.Evaluate[bool](`getComputedStyle(document.querySelector('[data-testid="menu"]')).display !== "none"`))
		if !visible {
			t.Error("菜单 does not open the menu")
		}
		wraps, _ := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`document.querySelector(".topbar").getBoundingClientRect().height > 60`))
		if wraps {
			t.Error("the top bar wraps at phone size")
		}
	})

	t.Run("crawl as each role", func(t *testing.T) {
		b := us.browser(t, 1440, 900)
		hs, _, err := us.db.FindHouseholds(storetest.Admin(), backstop.HouseholdFilter{Region: us.village, Limit: 1})
		if err != nil || len(hs) == 0 {
			t.Fatal("no household in the village")
		}
		extra := []string{"/", fmt.Sprintf("/warnings/%d", us.red.ID), fmt.Sprintf("/warnings/%d", us.expired.ID), fmt.Sprintf("/warnings/%d", us.yellow.ID),
			us.releasePath(), us.releasePath() + "/tasks", us.releasePath() + "?show=all", "/households/" + hs[0].Number, "/households?page=99999999999999999999",
			"/warnings?page=-3&size=7", "/no/such/page", "/calendar", "/quarantine"}
		for _, u := range uiUsers {
			b.signIn(u.Name)
			b.open("/")
			links, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](`Array.prototype.map.call(document.querySelectorAll('[data-testid="menu"] a'), function (a) { return a.getAttribute("href"); })`))
			if err != nil {
				t.Fatal(err)
			}
			seen := map[string]bool{}
			for _, p := range append(links, extra...) {
				// The users page is the accounts helper's (issue 10 item 10).
				if seen[p] || p == "/users" {
					continue
				}
				seen[p] = true
				status := b.open(p)
				if status >= 500 {
					t.Errorf("%s %s: status %d", u.Name, p, status)
				}
				checkWords(t, u.Name, p, b.shownText())
			}
		}
		// The helper's pages, signed in or not.
		b.open(us.helperLink(t))
		checkWords(t, "helper", "link", b.shownText())
		b.open("/c/00000000000000000000000000000000")
		checkWords(t, "helper", "bad link", b.shownText())
	})

	t.Run("confirmation list pages past 500", func(t *testing.T) {
		b := us.browser(t, 1440, 900)
		b.signIn("boss")
		b.open(us.releasePath() + "/tasks")
		total := b.text(`[data-testid="total"]`)
		if !strings.Contains(total, fmt.Sprintf("%d", us.totalTasks)) && !strings.Contains(total, groupDigits(us.totalTasks)) {
			t.Errorf("the confirmation page says %q, want the total %d", total, us.totalTasks)
		}
		// The pager's next link leads to page 2.
		b.do("next page", chromedp.Click(chromedp.CSS(`[data-testid="next-page"]`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid="page-of"]`)))
		deadline := time.Now().Add(5 * time.Second)
		for !strings.Contains(b.text(`[data-testid="page-of"]`), "第 2 /") && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
		if pageOf := b.text(`[data-testid="page-of"]`); !strings.Contains(pageOf, "第 2 /") {
			t.Errorf("after 下一页: %q", pageOf)
		}
		// Every page, to the last: nobody is left out.
		seen := map[string]bool{}
		pages := (us.totalTasks + 49) / 50
		for page := 1; page <= pages; page++ {
			b.open(fmt.Sprintf("%s/tasks?page=%d", us.releasePath(), page))
			ids, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](`Array.prototype.map.call(document.querySelectorAll('.person'), function (e) { return e.id; })`))
			if err != nil {
				t.Fatal(err)
			}
			for _, id := range ids {
				if seen[id] {
					t.Fatalf("person %s on two pages", id)
				}
				seen[id] = true
			}
			if last := page == pages; last != (b.count(`[data-testid="next-page"]`) == 0) {
				t.Errorf("page %d of %d: a next link %v", page, pages, !last)
			}
		}
		if len(seen) != us.totalTasks {
			t.Errorf("the pages list %d persons; the release has %d", len(seen), us.totalTasks)
		}
		// A page number past the end shows the last page, not an error.
		if status := b.open(us.releasePath() + "/tasks?page=1000000000000000000000"); status != 200 || b.count(`.person`) == 0 {
			t.Errorf("a huge page number: %d, %d persons", status, b.count(`.person`))
		}
	})

	t.Run("no release form for an expired warning", func(t *testing.T) {
		b := us.browser(t, 1440, 900)
		b.signIn("boss")
		b.open(fmt.Sprintf("/warnings/%d", us.expired.ID))
		if n := b.count(`[data-testid="release-form"]`); n != 0 {
			t.Error("the release form is offered for an expired warning")
		}
		if why := b.text(`[data-testid="release-blocked"]`); !strings.Contains(why, "已过期") {
			t.Errorf("the expired warning says %q", why)
		}
		b.open(fmt.Sprintf("/warnings/%d", us.yellow.ID))
		if n := b.count(`[data-testid="release-form"]`); n != 0 {
			t.Error("the release form is offered for a yellow warning without an approved consultation")
		}
		if why := b.text(`[data-testid="release-blocked"]`); !strings.Contains(why, "会商") {
			t.Errorf("the yellow warning says %q", why)
		}
		b.open(fmt.Sprintf("/warnings/%d", us.red.ID))
		if n := b.count(`[data-testid="release-form"]`); n != 1 {
			t.Error("the red warning in force has no release form")
		}
	})
}

// ctxAs is a context acting as one of the site's users.
func ctxAs(t *testing.T, us *uiSite, name string) context.Context {
	t.Helper()
	u, err := us.db.FindUser(storetest.Admin(), name)
	if err != nil {
		t.Fatal(err)
	}
	return backstop.NewContextWithUser(context.Background(), u)
}

func groupDigits(n int) string {
	s := strconv.Itoa(n)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// TestScreenshots writes screenshots of the main pages, as each of their
// users sees them, at desk (1440×900) and phone (390×844) size, to the
// directory -screenshots names (kept out of the repository):
//
//	go test ./web/ -run Screenshots -screenshots /tmp/shots
func TestScreenshots(t *testing.T) {
	dir := *screenshots
	if dir == "" {
		t.Skip("no -screenshots DIR")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	us := newUISite(t, 3000)
	// A confirmation or two, so that the dashboard and the phone page show
	// both states.
	tasks, _, err := us.db.FindTasks(storetest.Admin(), backstop.TaskFilter{ReleaseID: us.release.ID, Village: us.village, Limit: 3})
	if err != nil {
		t.Fatal(err)
	}
	for i, tk := range tasks[:min(2, len(tasks))] {
		outcome := backstop.ReachedPhone
		if i == 1 {
			outcome = backstop.NotReachable
		}
		if _, err := us.d.Confirm(storetest.Admin(), tk.ID, outcome, "外出务工，电话未接通", ""); err != nil {
			t.Fatal(err)
		}
	}
	hs, _, err := us.db.FindHouseholds(storetest.Admin(), backstop.HouseholdFilter{Region: us.village, Limit: 1})
	if err != nil || len(hs) == 0 {
		t.Fatal("no household")
	}
	pages := []struct{ user, name, path string }{
		{"boss", "home-city", "/"},
		{"town", "home-township", "/"},
		{"cadre", "home-village", "/"},
		{"guanli", "home-admin", "/"},
		{"boss", "warnings", "/warnings"},
		{"boss", "warning-red", fmt.Sprintf("/warnings/%d", us.red.ID)},
		{"boss", "warning-expired", fmt.Sprintf("/warnings/%d", us.expired.ID)},
		{"boss", "releases", "/releases"},
		{"boss", "release-dashboard", us.releasePath()},
		{"town", "release-dashboard-township", us.releasePath()},
		{"cadre", "tasks-cadre", us.releasePath() + "/tasks"},
		{"boss", "households", "/households"},
		{"town", "household", "/households/" + hs[0].Number},
		{"boss", "import", "/import"},
		{"boss", "contacts", "/contacts"},
		{"guanli", "quarantine", "/quarantine"},
		{"guanli", "calendar", "/calendar"},
		{"audit", "audit", "/audit"},
		{"boss", "not-found", "/no/such/page"},
	}
	for _, size := range []struct {
		name string
		w, h int
	}{{"desk", 1440, 900}, {"phone", 390, 844}} {
		// A browser for each user: each has its own time budget.
		var b *browser
		who := ""
		for _, p := range pages {
			if p.user != who {
				b = us.browser(t, size.w, size.h)
				b.signIn(p.user)
				who = p.user
			}
			b.open(p.path)
			b.do("let the charts draw", chromedp.Sleep(400*time.Millisecond))
			b.shot(dir, size.name+"-"+p.name)
		}
		// The helper's page needs no account.
		b = us.browser(t, size.w, size.h)
		b.open(us.helperLink(t))
		b.shot(dir, size.name+"-helper")
		b.open("/c/00000000000000000000000000000000")
		b.shot(dir, size.name+"-helper-bad-link")
	}
	t.Logf("screenshots in %s", dir)
}
