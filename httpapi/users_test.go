package httpapi_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/storetest"
)

func jsonBody(s string) *strings.Reader { return strings.NewReader(s) }

// TestUsersAPI runs user management and tokens through the real root
// handler on both engines: a county admin sees and changes only its
// county's users and grants nothing wider; a new user is a village cadre
// unless said otherwise; tokens are listed without secrets, revoked, and
// die with a password change or a disable; lifetimes are bounded.
func TestUsersAPI(t *testing.T) {
	for _, e := range storetest.Engines {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, e.Open)
			linze := f.token(t, "linze-admin", backstop.RoleAdmin, "620723")
			minleTown := f.token(t, "minle-town", backstop.RoleTownship, "620722107")
			f.token(t, "root", backstop.RoleAdmin, backstop.NationalScope)
			const json = "application/json"

			// Create: the role defaults to village; nothing outside.
			resp, body := f.do(t, "POST", "/api/v1/users", linze, jsonBody(`{"name":"xizhai","region":"620723101201","password":"correct horse battery"}`), json)
			if resp.StatusCode != 201 || decode[backstop.User](t, body).Role != backstop.RoleVillage {
				t.Fatalf("create without a role: %d %s", resp.StatusCode, body)
			}
			for _, c := range []string{
				`{"name":"boss","role":"admin","region":"000000000000","password":"correct horse battery"}`,
				`{"name":"boss","role":"auditor","region":"000000000000","password":"correct horse battery"}`,
				`{"name":"boss","role":"city","region":"620700","password":"correct horse battery"}`,
				`{"name":"boss","role":"township","region":"620722107","password":"correct horse battery"}`,
			} {
				resp, body := f.do(t, "POST", "/api/v1/users", linze, jsonBody(c), json)
				if resp.StatusCode != 403 || !strings.Contains(string(body), "message_zh") {
					t.Errorf("county admin creates %s: %d %s, want 403", c, resp.StatusCode, body)
				}
			}
			resp, body = f.do(t, "GET", "/api/v1/users", linze, nil, "")
			users := decode[struct {
				Items []backstop.User `json:"items"`
				Total int             `json:"total"`
			}](t, body)
			if resp.StatusCode != 200 || users.Total != 2 || users.Items[0].Name != "linze-admin" || users.Items[1].Name != "xizhai" {
				t.Errorf("county admin's list: %d %s", resp.StatusCode, body)
			}
			// Another county's user: not found (as if it did not exist),
			// for reading, changing, resetting and tokens alike.
			for _, c := range []struct{ method, path, body string }{
				{"GET", "/api/v1/users/minle-town", ""},
				{"PUT", "/api/v1/users/minle-town", `{"disabled":true}`},
				{"PUT", "/api/v1/users/root", `{"role":"village","region":"620723101201"}`},
				{"PUT", "/api/v1/users/minle-town/password", `{"password":"taken over now!"}`},
				{"GET", "/api/v1/users/minle-town/tokens", ""},
				{"POST", "/api/v1/users/minle-town/tokens", `{}`},
				{"DELETE", "/api/v1/users/minle-town/tokens/1", ""},
			} {
				var rd *strings.Reader
				if c.body != "" {
					rd = jsonBody(c.body)
				}
				var resp *http.Response
				if rd != nil {
					resp, _ = f.do(t, c.method, c.path, linze, rd, json)
				} else {
					resp, _ = f.do(t, c.method, c.path, linze, nil, "")
				}
				if resp.StatusCode != 404 {
					t.Errorf("county admin %s %s: %d, want 404", c.method, c.path, resp.StatusCode)
				}
			}
			// Without users:manage another user is forbidden, whether it
			// exists or not; oneself is readable.
			for _, name := range []string{"linze-admin", "nobody"} {
				if resp, _ := f.do(t, "GET", "/api/v1/users/"+name, minleTown, nil, ""); resp.StatusCode != 403 {
					t.Errorf("township reads user %s: %d, want 403", name, resp.StatusCode)
				}
			}
			if resp, body := f.do(t, "GET", "/api/v1/users/minle-town", minleTown, nil, ""); resp.StatusCode != 200 || decode[backstop.User](t, body).Region != "620722107000" {
				t.Errorf("township reads itself: %d %s", resp.StatusCode, body)
			}
			// Out-of-scope user untouched; the minle user still works.
			if resp, _ := f.do(t, "GET", "/api/v1/me", minleTown, nil, ""); resp.StatusCode != 200 {
				t.Errorf("minle's token after the refused disable: %d", resp.StatusCode)
			}
			// In scope: change only what is given; not to a wider region.
			resp, body = f.do(t, "PUT", "/api/v1/users/xizhai", linze, jsonBody(`{"display_name":"西寨村 王"}`), json)
			if u := decode[backstop.User](t, body); resp.StatusCode != 200 || u.DisplayName != "西寨村 王" || u.Role != backstop.RoleVillage || u.Region != "620723101201" {
				t.Errorf("partial update: %d %s", resp.StatusCode, body)
			}
			if resp, _ := f.do(t, "PUT", "/api/v1/users/xizhai", linze, jsonBody(`{"role":"county","region":"620722"}`), json); resp.StatusCode != 403 {
				t.Errorf("move a user to another county: %d, want 403", resp.StatusCode)
			}
			if resp, _ := f.do(t, "PUT", "/api/v1/users/linze-admin", linze, jsonBody(`{"region":"620723101"}`), json); resp.StatusCode != 403 {
				t.Errorf("change one's own region: %d, want 403", resp.StatusCode)
			}
			// Non-admins: no list, no changes of others.
			if resp, _ := f.do(t, "GET", "/api/v1/users", minleTown, nil, ""); resp.StatusCode != 403 {
				t.Errorf("township lists users: %d", resp.StatusCode)
			}
			if resp, _ := f.do(t, "PUT", "/api/v1/users/xizhai", minleTown, jsonBody(`{"disabled":true}`), json); resp.StatusCode != 403 {
				t.Errorf("township disables a user: %d", resp.StatusCode)
			}

			// Tokens: a user makes, lists and revokes its own.
			if err := f.db.SetPassword(storetest.Admin(), "xizhai", "", "correct horse battery"); err != nil {
				t.Fatal(err)
			}
			sess, _, err := f.db.CreateToken(storetest.Admin(), "xizhai", "bootstrap", time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			for _, ttl := range []string{"-5", "8761", "1000000"} {
				resp, body := f.do(t, "POST", "/api/v1/users/xizhai/tokens", sess, jsonBody(`{"name":"x","ttl_hours":`+ttl+`}`), json)
				if resp.StatusCode != 400 || !strings.Contains(string(body), "8760") {
					t.Errorf("ttl_hours %s: %d %s", ttl, resp.StatusCode, body)
				}
			}
			resp, body = f.do(t, "POST", "/api/v1/users/xizhai/tokens", sess, jsonBody(`{"name":"脚本"}`), json)
			made := decode[struct {
				ID        int64     `json:"id"`
				Secret    string    `json:"secret"`
				ExpiresAt time.Time `json:"expires_at"`
			}](t, body)
			if resp.StatusCode != 201 || !strings.HasPrefix(made.Secret, "bst_") || made.ExpiresAt.Sub(time.Now()) < 89*24*time.Hour || made.ExpiresAt.Sub(time.Now()) > 90*24*time.Hour {
				t.Fatalf("create token: %d %s", resp.StatusCode, body)
			}
			resp, body = f.do(t, "GET", "/api/v1/users/xizhai/tokens", made.Secret, nil, "")
			if resp.StatusCode != 200 || !strings.Contains(string(body), `"total":2`) || strings.Contains(string(body), "bst_") ||
				strings.Contains(string(body), "secret") || !strings.Contains(string(body), `"name":"脚本"`) {
				t.Errorf("own tokens: %d %s", resp.StatusCode, body)
			}
			if resp, _ := f.do(t, "GET", "/api/v1/users/linze-admin/tokens", made.Secret, nil, ""); resp.StatusCode != 403 {
				t.Errorf("village cadre lists an admin's tokens: %d, want 403", resp.StatusCode)
			}
			// The admin of the county lists and revokes them too.
			resp, body = f.do(t, "GET", "/api/v1/users/xizhai/tokens", linze, nil, "")
			if resp.StatusCode != 200 || !strings.Contains(string(body), `"total":2`) {
				t.Errorf("admin lists a user's tokens: %d %s", resp.StatusCode, body)
			}
			if resp, _ := f.do(t, "DELETE", "/api/v1/users/xizhai/tokens/"+itoa(made.ID), linze, nil, ""); resp.StatusCode != 204 {
				t.Errorf("revoke: %d", resp.StatusCode)
			}
			if resp, _ := f.do(t, "GET", "/api/v1/me", made.Secret, nil, ""); resp.StatusCode != 401 {
				t.Errorf("revoked token: %d", resp.StatusCode)
			}
			if resp, _ := f.do(t, "DELETE", "/api/v1/users/xizhai/tokens/"+itoa(made.ID), sess, nil, ""); resp.StatusCode != 404 {
				t.Errorf("revoke twice: %d", resp.StatusCode)
			}
			// A password change needs the current one and kills the tokens.
			if resp, _ := f.do(t, "PUT", "/api/v1/users/xizhai/password", sess, jsonBody(`{"current":"guess guess guess","password":"another fine password"}`), json); resp.StatusCode != 400 {
				t.Errorf("change with a wrong current password: %d", resp.StatusCode)
			}
			if resp, _ := f.do(t, "PUT", "/api/v1/users/xizhai/password", sess, jsonBody(`{"current":"correct horse battery","password":"another fine password"}`), json); resp.StatusCode != 204 {
				t.Errorf("change own password: %d", resp.StatusCode)
			}
			if resp, _ := f.do(t, "GET", "/api/v1/me", sess, nil, ""); resp.StatusCode != 401 {
				t.Errorf("token after the password change: %d", resp.StatusCode)
			}
			// Disabling kills them as well.
			again, _, err := f.db.CreateToken(storetest.Admin(), "xizhai", "again", time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			if resp, _ := f.do(t, "PUT", "/api/v1/users/xizhai", linze, jsonBody(`{"disabled":true}`), json); resp.StatusCode != 200 {
				t.Errorf("disable: %d", resp.StatusCode)
			}
			if resp, _ := f.do(t, "PUT", "/api/v1/users/xizhai", linze, jsonBody(`{"disabled":false}`), json); resp.StatusCode != 200 {
				t.Errorf("enable: %d", resp.StatusCode)
			}
			if resp, _ := f.do(t, "GET", "/api/v1/me", again, nil, ""); resp.StatusCode != 401 {
				t.Errorf("token after disable and enable: %d", resp.StatusCode)
			}
			// Every one of these is in the audit trail.
			for _, action := range []string{"user.create", "user.update", "user.password", "token.create", "token.revoke"} {
				if _, total, _ := f.db.FindAudit(storetest.Admin(), backstop.AuditFilter{Action: action, Record: "xizhai"}); total == 0 {
					t.Errorf("no %s audit row", action)
				}
			}
		})
	}
}
