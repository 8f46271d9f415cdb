package web_test

import (
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/server"
	"github.com/zhangye-backstop/backstop/server/servertest"
	"github.com/zhangye-backstop/backstop/storetest"
	"github.com/zhangye-backstop/backstop/web"
)

func usersSite(t *testing.T) *site {
	t.Helper()
	db := storetest.OpenSQLite(t)
	storetest.LoadRegions(t, db)
	_, srv := servertest.New(t, db, server.Config{})
	for _, u := range []*backstop.User{
		{Name: "linze-admin", Role: backstop.RoleAdmin, Region: "620723"},
		{Name: "xizhai", DisplayName: "西寨村 王会计", Role: backstop.RoleVillage, Region: "620723101201"},
		{Name: "cadre", Role: backstop.RoleVillage, Region: "620723101201"},
		{Name: "minle-town", Role: backstop.RoleTownship, Region: "620722107"},
	} {
		if err := db.CreateUser(storetest.Admin(), u, password); err != nil {
			t.Fatal(err)
		}
	}
	return &site{db: db, srv: srv}
}

// postForm sends a form without following the redirect.
func postForm(t *testing.T, c *http.Client, u string, form url.Values) (int, string, string) {
	t.Helper()
	nc := *c
	nc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := nc.PostForm(u, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Location"), string(b)
}

func cleanPage(t *testing.T, what, body string) {
	t.Helper()
	noKeys(t, what, body)
	if strings.Contains(body, "%!") {
		t.Errorf("%s: a format error on the page", what)
	}
}

// TestUsersPages drives the user pages as a county admin and as a village
// cadre: the list and the region choice hold only the county; a new user
// is a village cadre by default; edit, disable, reset and token
// revocation work, each destructive one behind a confirmation; another
// county's user is not found; a cadre reaches only its own page.
func TestUsersPages(t *testing.T) {
	s := usersSite(t)
	admin := s.client(t, "linze-admin", web.LangZH)

	status, body := get(t, admin, s.srv.URL+"/users")
	cleanPage(t, "/users", body)
	if status != 200 || !strings.Contains(body, `data-user="xizhai"`) || strings.Contains(body, "minle-town") || !strings.Contains(body, "西寨村") {
		t.Fatalf("user list: %d\n%s", status, body)
	}
	if !regexp.MustCompile(`<option value="village" selected>村级</option>`).MatchString(body) {
		t.Error("the add form does not default to the village role")
	}
	// The region is chosen with the cascader of the admin's county (its
	// townships first), never typed.
	if !strings.Contains(body, `data-testid="regionpick-region"`) || !strings.Contains(body, `<option value="620723101000">`) || strings.Contains(body, `value="620722107000"`) ||
		strings.Contains(body, `value="000000000000"`) || strings.Contains(body, `inputmode="numeric" maxlength="12"`) || !strings.Contains(body, "不选择则为本级：临泽县") {
		t.Error("the region choice is not the cascader of the admin's county")
	}
	if i, j := strings.Index(body, `value="village"`), strings.Index(body, `value="admin"`); i < 0 || j < i {
		t.Error("roles not listed lowest first")
	}
	if _, body := get(t, admin, s.srv.URL+"/users?size=50"); !strings.Contains(body, `<option value="50" selected>`) {
		t.Error("page size 50 not kept")
	}
	status, body = get(t, admin, s.srv.URL+"/users?q=xizhai")
	if status != 200 || !strings.Contains(body, `data-user="xizhai"`) || strings.Contains(body, `data-user="cadre"`) || !strings.Contains(body, "共 1 条") {
		t.Errorf("search by name: %d", status)
	}

	// Create: no role given means village; outside the county refused on
	// the page, in Chinese.
	status, loc, _ := postForm(t, admin, s.srv.URL+"/users", url.Values{"name": {"newbie"}, "region": {"620723101000", "620723101201"}, "password": {password}})
	if status != http.StatusSeeOther || loc != "/users/newbie?done=created" {
		t.Fatalf("create: %d %s", status, loc)
	}
	if u, _ := s.db.FindUser(storetest.Admin(), "newbie"); u == nil || u.Role != backstop.RoleVillage || u.Region != "620723101201" {
		t.Errorf("new user: %+v", u)
	}
	// None chosen is the admin's own county.
	if status, _, body := postForm(t, admin, s.srv.URL+"/users", url.Values{"name": {"county-duty"}, "role": {"county"}, "region": {"", ""}, "password": {password}}); status != http.StatusSeeOther {
		t.Errorf("create at the admin's level: %d %s", status, pageText(body))
	} else if u, _ := s.db.FindUser(storetest.Admin(), "county-duty"); u == nil || u.Region != "620723000000" {
		t.Errorf("a user created with no region chosen: %+v", u)
	}
	_, body = get(t, admin, s.srv.URL+loc)
	if !strings.Contains(body, "已创建用户 newbie") {
		t.Error("no notice after creating")
	}
	status, _, body = postForm(t, admin, s.srv.URL+"/users", url.Values{"name": {"outsider"}, "role": {"village"}, "region": {"620722107206"}, "password": {password}})
	if status != 403 || !strings.Contains(body, "不在您的管辖范围内") || !strings.Contains(body, `value="outsider"`) {
		t.Errorf("create outside the county: %d", status)
	}
	status, _, body = postForm(t, admin, s.srv.URL+"/users", url.Values{"name": {"boss"}, "role": {"city"}, "region": {"620700"}, "password": {password}})
	if status != 403 {
		t.Errorf("create a city officer: %d\n%s", status, body)
	}

	// A user's page: facts, tokens without secrets, confirmations.
	secret, tok, err := s.db.CreateToken(storetest.Admin(), "xizhai", "村务手机", 0)
	if err != nil {
		t.Fatal(err)
	}
	status, body = get(t, admin, s.srv.URL+"/users/xizhai")
	cleanPage(t, "/users/xizhai", body)
	if status != 200 || !strings.Contains(body, "村务手机") || strings.Contains(body, secret) || !strings.Contains(body, "西寨村") {
		t.Fatalf("user page: %d\n%s", status, body)
	}
	for _, action := range []string{"/users/xizhai/disable", "/users/xizhai/password", "/users/xizhai/tokens/" + strconv.FormatInt(tok.ID, 10) + "/revoke"} {
		re := regexp.MustCompile(`(?s)<details class="confirm"[^>]*><summary[^>]*>[^<]+</summary>(?:(?:[^<]|<[^/d]|</[^d])*?)action="` + regexp.QuoteMeta(action) + `"`)
		if !re.MatchString(body) {
			t.Errorf("%s is not behind a confirmation", action)
		}
	}

	// Revoke the token.
	status, loc, _ = postForm(t, admin, s.srv.URL+"/users/xizhai/tokens/"+strconv.FormatInt(tok.ID, 10)+"/revoke", nil)
	if status != http.StatusSeeOther || loc != "/users/xizhai?done=revoked" {
		t.Errorf("revoke: %d %s", status, loc)
	}
	if _, err := s.db.UserByToken(t.Context(), secret); backstop.ErrorCode(err) != backstop.EUNAUTHORIZED {
		t.Errorf("revoked token still works: %v", err)
	}
	_, body = get(t, admin, s.srv.URL+loc)
	if !strings.Contains(body, "已吊销令牌") || !strings.Contains(body, "没有令牌") {
		t.Error("after revoking: no notice or the token still listed")
	}

	// Edit role and region.
	status, _, _ = postForm(t, admin, s.srv.URL+"/users/xizhai", url.Values{"display_name": {"沙河镇 王"}, "role": {"township"}, "region": {"620723101"}})
	if u, _ := s.db.FindUser(storetest.Admin(), "xizhai"); status != http.StatusSeeOther || u.Role != backstop.RoleTownship || u.Region != "620723101000" || u.DisplayName != "沙河镇 王" {
		t.Errorf("edit: %d %+v", status, u)
	}
	status, _, body = postForm(t, admin, s.srv.URL+"/users/xizhai", url.Values{"role": {"township"}, "region": {"620722107"}})
	if status != 403 || !strings.Contains(body, "不在您的管辖范围内") {
		t.Errorf("move out of the county: %d", status)
	}
	status, _, body = postForm(t, admin, s.srv.URL+"/users/xizhai", url.Values{"role": {"village"}, "region": {"620723101"}})
	if status != 400 || !strings.Contains(body, "村级用户的管辖区划须为村一级") {
		t.Errorf("village role with a township: %d", status)
	}

	// Reset the password: both fields must agree.
	status, _, body = postForm(t, admin, s.srv.URL+"/users/xizhai/password", url.Values{"password": {"new password one"}, "password2": {"new password two"}})
	if status != 400 || !strings.Contains(body, "两次输入的新密码不一致") {
		t.Errorf("mismatched reset: %d", status)
	}
	status, _, _ = postForm(t, admin, s.srv.URL+"/users/xizhai/password", url.Values{"password": {"new password one"}, "password2": {"new password one"}})
	if _, err := s.db.Authenticate(t.Context(), "xizhai", "new password one"); status != http.StatusSeeOther || err != nil {
		t.Errorf("reset: %d %v", status, err)
	}

	// Disable, then enable.
	status, loc, _ = postForm(t, admin, s.srv.URL+"/users/xizhai/disable", nil)
	if u, _ := s.db.FindUser(storetest.Admin(), "xizhai"); status != http.StatusSeeOther || !u.Disabled {
		t.Errorf("disable: %d %+v", status, u)
	}
	_, body = get(t, admin, s.srv.URL+loc)
	if !strings.Contains(body, "已停用该用户") || !strings.Contains(body, `action="/users/xizhai/enable"`) {
		t.Error("after disabling: no notice or no enable button")
	}
	postForm(t, admin, s.srv.URL+"/users/xizhai/enable", nil)
	if u, _ := s.db.FindUser(storetest.Admin(), "xizhai"); u.Disabled {
		t.Error("enable did not enable")
	}
	// One's own page offers no role change or disable.
	_, body = get(t, admin, s.srv.URL+"/users/linze-admin")
	if strings.Contains(body, `data-testid="disable"`) || strings.Contains(body, `data-testid="user-edit"`) || !strings.Contains(body, `data-testid="change-password"`) {
		t.Error("own page offers to change one's own role or flag")
	}

	// Another county's user does not exist for this admin.
	if status, body := get(t, admin, s.srv.URL+"/users/minle-town"); status != 404 || !strings.Contains(body, "不在您的管辖范围内") {
		t.Errorf("other county's user page: %d", status)
	}
	if status, _, _ := postForm(t, admin, s.srv.URL+"/users/minle-town/disable", nil); status != 404 {
		t.Errorf("disable another county's user: %d", status)
	}
	if u, _ := s.db.FindUser(storetest.Admin(), "minle-town"); u.Disabled {
		t.Error("another county's user was disabled")
	}

	// English catalog beside the Chinese one.
	en := s.client(t, "linze-admin", web.LangEN)
	for _, path := range []string{"/users", "/users/xizhai", "/users/linze-admin"} {
		status, body := get(t, en, s.srv.URL+path)
		cleanPage(t, "en "+path, body)
		if status != 200 {
			t.Errorf("en %s: %d", path, status)
		}
	}

	// A village cadre: its own page only, with its tokens; changing its
	// password needs the current one and signs it out everywhere.
	cadre := s.client(t, "cadre", web.LangZH)
	own, _, err := s.db.CreateToken(storetest.Admin(), "cadre", "自己的", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if status, _ := get(t, cadre, s.srv.URL+"/users"); status != 403 {
		t.Errorf("cadre lists users: %d", status)
	}
	if status, _ := get(t, cadre, s.srv.URL+"/users/xizhai"); status != 403 {
		t.Errorf("cadre opens another user's page: %d", status)
	}
	status, body = get(t, cadre, s.srv.URL+"/users/cadre")
	cleanPage(t, "/users/cadre", body)
	if status != 200 || !strings.Contains(body, "自己的") || strings.Contains(body, `data-testid="user-edit"`) {
		t.Errorf("cadre's own page: %d", status)
	}
	status, _, body = postForm(t, cadre, s.srv.URL+"/users/cadre/password", url.Values{"current": {"not my password"}, "password": {"cadre new password"}, "password2": {"cadre new password"}})
	if status != 400 || !strings.Contains(body, "当前密码不正确") {
		t.Errorf("change with a wrong current password: %d", status)
	}
	status, loc, _ = postForm(t, cadre, s.srv.URL+"/users/cadre/password", url.Values{"current": {password}, "password": {"cadre new password"}, "password2": {"cadre new password"}})
	if status != http.StatusSeeOther || loc != "/login?changed=1" {
		t.Errorf("change own password: %d %s", status, loc)
	}
	if _, err := s.db.UserByToken(t.Context(), own); backstop.ErrorCode(err) != backstop.EUNAUTHORIZED {
		t.Errorf("own token after the password change: %v", err)
	}
	resp, err := cadre.Get(s.srv.URL + "/users/cadre")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Request.URL.Path != "/login" {
		t.Errorf("after changing its password the cadre is still signed in (at %s)", resp.Request.URL)
	}
	_, body = get(t, cadre, s.srv.URL+"/login?changed=1")
	if !strings.Contains(body, "密码已修改，请用新密码重新登录") {
		t.Error("no notice on the login page")
	}
}
