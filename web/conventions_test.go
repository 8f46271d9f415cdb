package web_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/zhangye-backstop/backstop/web"
)

// TestNextStaysOnSite: the login's next and the language switch's back
// take a path of this site only; what a browser would read as another
// host goes home.
func TestNextStaysOnSite(t *testing.T) {
	s := newSite(t)
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, back := range []string{"/%09/evil.example", "//evil.example", "/\\evil.example", "https://evil.example/", "/%0a/evil.example", "/%5Cevil.example",
		"javascript:alert(1)", "/\u3000/evil.example", "evil.example"} {
		resp, err := noFollow.Get(s.srv.URL + "/lang/zh-CN?back=" + strings.ReplaceAll(url.QueryEscape(back), "%25", "%"))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if loc := resp.Header.Get("Location"); loc != "/" {
			t.Errorf("back=%q redirects to %q, want /", back, loc)
		}
	}
	for _, back := range []string{"/households?region=620723&page=2", "/warnings/3#release"} {
		resp, err := noFollow.Get(s.srv.URL + "/lang/zh-CN?back=" + url.QueryEscape(back))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if loc := resp.Header.Get("Location"); loc != back {
			t.Errorf("back=%q redirects to %q", back, loc)
		}
	}
	// The login form's next, the same way.
	resp, err := noFollow.PostForm(s.srv.URL+"/login", url.Values{"name": {"boss"}, "password": {password}, "next": {"/\t/evil.example"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if loc := resp.Header.Get("Location"); loc != "/" {
		t.Errorf("login next with a tab redirects to %q", loc)
	}
}

// TestPagingClamped: page numbers that overflow, are negative or are not
// numbers, and sizes not offered, give a list, never an error.
func TestPagingClamped(t *testing.T) {
	s := newSite(t)
	c := s.client(t, "boss", web.LangZH)
	for _, q := range []string{"page=99999999999999999999999", "page=-5", "page=abc", "page=9223372036854775807&size=100", "size=100000", "size=-1", "page=1e9"} {
		for _, path := range []string{"/households", "/warnings", "/releases", "/contacts", "/quarantine"} {
			status, body := get(t, c, s.srv.URL+path+"?"+q)
			if status != 200 || !strings.Contains(body, `data-testid="pager"`) {
				t.Errorf("%s?%s: %d", path, q, status)
			}
		}
	}
	// Past the end is the last page: the template roster's 3 households.
	_, body := get(t, c, s.srv.URL+"/households?page=99999999999999999999999")
	if !strings.Contains(body, "第 1 / 1 页") || !strings.Contains(body, "6207231012010001") {
		t.Errorf("a huge page does not show the last page")
	}
}

// TestChinesePages: an unknown path, a refused action and a link that
// expired answer in Chinese, and a helper is never sent to log in.
func TestChinesePages(t *testing.T) {
	us := newUISite(t, 300)
	c := us.client(t, "cadre", web.LangZH)
	for path, want := range map[string]string{"/no/such/page": "没有这个页面", "/users": "没有权限", "/warnings/new": "没有权限", "/warnings/999999": "找不到"} {
		status, body := get(t, c, us.url(path))
		if status < 400 || !strings.Contains(body, want) {
			t.Errorf("%s: %d, want %q", path, status, want)
		}
	}
	anon := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	status, body := get(t, anon, us.url("/no/such/page"))
	if status != 404 || !strings.Contains(body, "没有这个页面") {
		t.Errorf("unknown path, signed out: %d", status)
	}
	link := us.helperLink(t)
	// Two months later the link has expired.
	us.d.Now = func() time.Time { return time.Now().Add(60 * 24 * time.Hour) }
	defer func() { us.d.Now = nil }()
	resp, err := anon.Get(us.url(link))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	page := string(b)
	if resp.StatusCode != http.StatusGone || resp.Header.Get("Location") != "" || !strings.Contains(page, "链接已于") || !strings.Contains(page, "乡镇值班人员") || strings.Contains(page, "/login") {
		t.Errorf("expired link: %d %q\n%.600s", resp.StatusCode, resp.Header.Get("Location"), page)
	}
	// Its call link as well: no number, no login.
	resp, err = anon.Get(us.url(link + "/tasks/1/call"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusGone || strings.HasPrefix(resp.Header.Get("Location"), "tel:") {
		t.Errorf("expired call link: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
}
