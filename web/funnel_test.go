package web_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/storetest"
)

// The loop's dashboard as the county and the village see it: the four
// stages with their lists, the timeliness figures, the sub-regions' table
// that drills down, the xlsx; in words; drawn in a browser (the funnel
// and the map), at desk and phone size.

func TestFunnelPage(t *testing.T) {
	us, _, _ := caseSite(t)
	c := us.client(t, "xian01", "zh-CN")
	status, body := get(t, c, us.url("/funnel"))
	if status != 200 {
		t.Fatalf("funnel page: %d\n%.2000s", status, body)
	}
	for _, want := range []string{"帮扶闭环", "发现风险户", "纳入监测", "已落实帮扶", "风险消除", "程序待补", "沙河镇", `href="/cases?region=620723000000&amp;stage=helped"`,
		`href="/funnel?region=620723101000"`, `href="/funnel/export.xlsx?region=620723000000"`, "住房安全保障"} {
		if !strings.Contains(body, want) {
			t.Errorf("the county's dashboard lacks %q", want)
		}
	}
	checkWords(t, "xian01", "/funnel", pageText(body))
	// The helped list the figure opens holds the household.
	if status, body := get(t, c, us.url("/cases?region=620723000000&stage=helped")); status != 200 || !strings.Contains(body, caseNumber) {
		t.Errorf("the helped list: %d", status)
	}
	// A township drills down; the village has no sub-region table.
	if status, body := get(t, c, us.url("/funnel?region=620723101000")); status != 200 || !strings.Contains(body, "西寨村") {
		t.Errorf("the township's dashboard: %d", status)
	}
	v := us.client(t, "cadre", "zh-CN")
	if status, body := get(t, v, us.url("/funnel")); status != 200 || strings.Contains(body, `data-testid="funnel-children"`) {
		t.Errorf("the village's dashboard: %d", status)
	}
	// Outside the region: not found, in Chinese.
	if status, body := get(t, v, us.url("/funnel?region=620702")); status != 404 || !strings.Contains(body, "管辖范围") {
		t.Errorf("another county from the village: %d\n%.800s", status, pageText(body))
	}
	resp, err := c.Get(us.url("/funnel/export.xlsx?region=620723"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Type"), "spreadsheetml") {
		t.Errorf("xlsx: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
}

func TestFunnelBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	us, _, _ := caseSite(t)
	// The city sees its counties on the map (townships have no boundaries
	// in the test data).
	if err := us.site.db.CreateUser(storetest.Admin(), &backstop.User{Name: "shi01", Role: backstop.RoleCity, Region: "620700"}, password); err != nil {
		t.Fatal(err)
	}
	for _, size := range []struct {
		name string
		w, h int
	}{{"desk", 1440, 900}, {"phone", 390, 844}} {
		t.Run(size.name, func(t *testing.T) {
			b := us.browser(t, size.w, size.h)
			b.signIn("shi01")
			if st := b.open("/funnel"); st != 200 {
				t.Fatalf("funnel page: %d", st)
			}
			for _, sel := range []string{`[data-testid="loop-funnel"] canvas`, `[data-testid="region-map"] canvas`, `[data-testid="measure-bars"] canvas`} {
				if n := b.count(sel); n < 1 {
					t.Errorf("%s not drawn", sel)
				}
			}
			overflow, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth + 1`))
			if err != nil {
				t.Fatal(err)
			}
			if overflow && size.w < 500 {
				t.Errorf("the dashboard scrolls sideways at %d px", size.w)
			}
			checkWords(t, "shi01", "/funnel", b.shownText())
			if *screenshots != "" {
				b.do("let the charts draw", chromedp.Sleep(400*time.Millisecond))
				b.shot(*screenshots, size.name+"-funnel-city")
				if st := b.open("/cases?stage=helped"); st == 200 {
					b.shot(*screenshots, size.name+"-funnel-helped-list")
				}
			}
		})
	}
}
