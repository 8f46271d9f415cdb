package sqlstore_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/sqlstore"
	"github.com/zhangye-backstop/backstop/storetest"
)

const pw = "correct horse battery"

func mustCreate(t *testing.T, db *sqlstore.DB, ctx context.Context, name string, role backstop.Role, region string) *backstop.User {
	t.Helper()
	u := &backstop.User{Name: name, Role: role, Region: region}
	if err := db.CreateUser(ctx, u, pw); err != nil {
		t.Fatalf("create %s (%s, %s): %v", name, role, region, err)
	}
	return u
}

func signedIn(t *testing.T, db *sqlstore.DB, name string) context.Context {
	t.Helper()
	u, err := db.Authenticate(context.Background(), name, pw)
	if err != nil {
		t.Fatalf("authenticate %s: %v", name, err)
	}
	return backstop.NewContextWithUser(context.Background(), u)
}

func wantCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	if backstop.ErrorCode(err) != code {
		t.Errorf("%s: %v, want %s", what, err, code)
	}
}

// TestScopedAdmins holds that an admin with a region manages only the users
// inside it: it lists, creates, changes, disables and resets only those,
// grants no wider region (national included) and no higher role, and
// cannot change its own role, region or flag.
func TestScopedAdmins(t *testing.T) {
	for _, e := range storetest.Engines {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			testScopedAdmins(t, e.Open(t))
		})
	}
}

func testScopedAdmins(t *testing.T, db *sqlstore.DB) {
	storetest.LoadRegions(t, db)
	cli := storetest.Admin()
	mustCreate(t, db, cli, "linze-admin", backstop.RoleAdmin, "620723")
	mustCreate(t, db, cli, "minle-admin", backstop.RoleAdmin, "620722")
	mustCreate(t, db, cli, "root", backstop.RoleAdmin, backstop.NationalScope)
	mustCreate(t, db, cli, "city-officer", backstop.RoleCity, "620700")
	mustCreate(t, db, cli, "minle-town", backstop.RoleTownship, "620722107")
	mustCreate(t, db, cli, "minle-village", backstop.RoleVillage, "620722107206")
	mustCreate(t, db, cli, "auditor-all", backstop.RoleAuditor, backstop.NationalScope)
	linze := signedIn(t, db, "linze-admin")

	// Creating: inside the county, any role up to admin; nothing wider.
	mustCreate(t, db, linze, "shahe-town", backstop.RoleTownship, "620723101")
	mustCreate(t, db, linze, "xizhai", backstop.RoleVillage, "620723101201")
	mustCreate(t, db, linze, "linze-weather", backstop.RoleDepartment, "620723")
	mustCreate(t, db, linze, "linze-deputy", backstop.RoleAdmin, "620723")
	for _, c := range []struct {
		what   string
		role   backstop.Role
		region string
	}{
		{"a national admin", backstop.RoleAdmin, backstop.NationalScope},
		{"a national auditor", backstop.RoleAuditor, backstop.NationalScope},
		{"a city officer (a wider region)", backstop.RoleCity, "620700"},
		{"an admin of the city", backstop.RoleAdmin, "620700"},
		{"a township officer in another county", backstop.RoleTownship, "620722107"},
		{"a village cadre in another county", backstop.RoleVillage, "620722107206"},
	} {
		err := db.CreateUser(linze, &backstop.User{Name: "x" + strings.ReplaceAll(string(c.role), " ", ""), Role: c.role, Region: c.region}, pw)
		wantCode(t, "scoped admin creates "+c.what, err, backstop.EFORBIDDEN)
	}

	// Listing: only the county's users, the admin itself included.
	users, total, err := db.FindUsers(linze, backstop.UserFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, u := range users {
		names = append(names, u.Name)
	}
	want := []string{"linze-admin", "linze-deputy", "linze-weather", "shahe-town", "xizhai"}
	if !slices.Equal(names, want) || total != len(want) {
		t.Errorf("scoped admin lists %v (total %d), want %v", names, total, want)
	}
	if _, total, _ := db.FindUsers(linze, backstop.UserFilter{Region: "620722"}); total != 0 {
		t.Errorf("a filter on another county found %d users", total)
	}
	if users, total, _ := db.FindUsers(linze, backstop.UserFilter{Role: backstop.RoleVillage}); total != 1 || users[0].Name != "xizhai" {
		t.Errorf("role filter: %d", total)
	}
	if users, _, _ := db.FindUsers(linze, backstop.UserFilter{Query: "shahe"}); len(users) != 1 || users[0].Name != "shahe-town" {
		t.Errorf("name search: %v", users)
	}
	if _, total, _ := db.FindUsers(signedIn(t, db, "root"), backstop.UserFilter{}); total != 11 {
		t.Errorf("national admin lists %d users, want all 11", total)
	}

	// Reading, changing, disabling, resetting and tokens of users
	// outside: not found, exactly like a name that does not exist.
	for _, name := range []string{"minle-town", "minle-village", "root", "city-officer", "auditor-all", "minle-admin", "nobody"} {
		_, err := db.FindUser(linze, name)
		wantCode(t, "find "+name, err, backstop.ENOTFOUND)
		wantCode(t, "update "+name, db.UpdateUser(linze, &backstop.User{Name: name, Role: backstop.RoleTownship, Region: "620723101"}), backstop.ENOTFOUND)
		wantCode(t, "reset password of "+name, db.SetPassword(linze, name, "", "a new password here"), backstop.ENOTFOUND)
		_, _, err = db.FindTokens(linze, name, 10, 0)
		wantCode(t, "tokens of "+name, err, backstop.ENOTFOUND)
		_, _, err = db.CreateToken(linze, name, "x", 0)
		wantCode(t, "token for "+name, err, backstop.ENOTFOUND)
		wantCode(t, "revoke a token of "+name, db.RevokeToken(linze, name, 1), backstop.ENOTFOUND)
	}
	if msg := backstop.ErrorMessageZH(db.UpdateUser(linze, &backstop.User{Name: "minle-town", Role: backstop.RoleTownship, Region: "620723101"})); !strings.Contains(msg, "不在您的管辖范围内") {
		t.Errorf("not-found message: %q", msg)
	}
	// The out-of-scope user is untouched.
	if u, _ := db.FindUser(cli, "minle-town"); u.Region != "620722107000" || u.Disabled {
		t.Errorf("out-of-scope user changed: %+v", u)
	}

	// Changing a user inside: not to a region outside, not to a higher
	// role or a national scope.
	u, _ := db.FindUser(linze, "shahe-town")
	moved := *u
	moved.Region = "620722107"
	wantCode(t, "move a user out of the scope", db.UpdateUser(linze, &moved), backstop.EFORBIDDEN)
	promoted := *u
	promoted.Role, promoted.Region = backstop.RoleAuditor, backstop.NationalScope
	wantCode(t, "make a user a national auditor", db.UpdateUser(linze, &promoted), backstop.EFORBIDDEN)
	promoted.Role, promoted.Region = backstop.RoleCity, "620700"
	wantCode(t, "make a user a city officer", db.UpdateUser(linze, &promoted), backstop.EFORBIDDEN)
	down := *u
	down.Role, down.Region, down.DisplayName = backstop.RoleVillage, "620723101201", "沙河 村干部"
	if err := db.UpdateUser(linze, &down); err != nil {
		t.Fatalf("change inside the scope: %v", err)
	}
	if got, _ := db.FindUser(cli, "shahe-town"); got.Role != backstop.RoleVillage || got.Region != "620723101201" || got.DisplayName != "沙河 村干部" {
		t.Errorf("after the change: %+v", got)
	}

	// Nobody changes its own role, region or flag.
	me, _ := db.FindUser(linze, "linze-admin")
	self := *me
	self.Disabled = true
	wantCode(t, "disable oneself", db.UpdateUser(linze, &self), backstop.EFORBIDDEN)
	self = *me
	self.Role, self.Region = backstop.RoleAdmin, "620723101"
	wantCode(t, "narrow one's own scope", db.UpdateUser(linze, &self), backstop.EFORBIDDEN)
	self = *me
	self.DisplayName = "临泽县管理员"
	if err := db.UpdateUser(linze, &self); err != nil {
		t.Errorf("own display name: %v", err)
	}

	// Bad input names the field, in Chinese too.
	for _, c := range []struct {
		u    backstop.User
		want string
	}{
		{backstop.User{Name: "a b", Role: backstop.RoleVillage, Region: "620723101201"}, "用户名"},
		{backstop.User{Name: "a?b", Role: backstop.RoleVillage, Region: "620723101201"}, "用户名"},
		{backstop.User{Name: strings.Repeat("长", 65), Role: backstop.RoleVillage, Region: "620723101201"}, "用户名"},
		{backstop.User{Name: "ok", DisplayName: "x\x00y", Role: backstop.RoleVillage, Region: "620723101201"}, "显示名"},
		{backstop.User{Name: "ok", Role: "boss", Region: "620723101201"}, "角色"},
		{backstop.User{Name: "ok", Role: backstop.RoleVillage, Region: "620723101"}, "村级用户的管辖区划须为村一级"},
		{backstop.User{Name: "ok", Role: backstop.RoleVillage, Region: "6207231"}, "区划代码"},
		{backstop.User{Name: "ok", Role: backstop.RoleVillage, Region: "620723101299"}, "不存在"},
	} {
		err := db.CreateUser(linze, &c.u, pw)
		if backstop.ErrorCode(err) != backstop.EINVALID || !strings.Contains(backstop.ErrorMessageZH(err), c.want) {
			t.Errorf("create %+v: %v (%s), want invalid naming %q", c.u, err, backstop.ErrorMessageZH(err), c.want)
		}
	}
	err = db.CreateUser(linze, &backstop.User{Name: "pw", Role: backstop.RoleVillage, Region: "620723101201"}, strings.Repeat("p", 257))
	wantCode(t, "a 257-character password", err, backstop.EINVALID)

	// Disabling a user inside ends its sessions and revokes its tokens,
	// for good: enabling it again does not bring them back.
	secret, _, err := db.CreateToken(linze, "xizhai", "ci", 0)
	if err != nil {
		t.Fatal(err)
	}
	sess, err := db.CreateSession(cli, mustFind(t, db, "xizhai").ID, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	x := mustFind(t, db, "xizhai")
	x.Disabled = true
	if err := db.UpdateUser(linze, x); err != nil {
		t.Fatal(err)
	}
	x.Disabled = false
	if err := db.UpdateUser(linze, x); err != nil {
		t.Fatal(err)
	}
	if _, err := db.UserByToken(context.Background(), secret); backstop.ErrorCode(err) != backstop.EUNAUTHORIZED {
		t.Errorf("token after disable and enable: %v", err)
	}
	if _, err := db.UserBySession(context.Background(), sess); backstop.ErrorCode(err) != backstop.EUNAUTHORIZED {
		t.Errorf("session after disable: %v", err)
	}
	entries, _, _ := db.FindAudit(cli, backstop.AuditFilter{Action: "user.update", Record: "xizhai"})
	if len(entries) != 2 || !strings.Contains(entries[1].Detail, "disabled false → true; 1 token(s) revoked") || entries[1].Actor != "linze-admin" {
		t.Errorf("audit of the disable: %+v", entries)
	}
	// Non-admins manage nobody, not even to list.
	_, _, err = db.FindUsers(signedIn(t, db, "city-officer"), backstop.UserFilter{})
	wantCode(t, "a city officer lists users", err, backstop.EFORBIDDEN)
	_, err = db.FindUser(signedIn(t, db, "city-officer"), "xizhai")
	wantCode(t, "a city officer reads a user", err, backstop.EFORBIDDEN)
}

func secretHash(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

func mustFind(t *testing.T, db *sqlstore.DB, name string) *backstop.User {
	t.Helper()
	u, err := db.FindUser(storetest.Admin(), name)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// TestTokens holds the token rules on both engines: every token expires
// (a default, a cap, no negative or tiny lifetimes, old never-expiring
// ones end a year after they were made); a user lists and revokes its own
// and an admin those it manages; a password change revokes them all; at
// most 20 are active; revocations and creations are audited.
func TestTokens(t *testing.T) {
	for _, e := range storetest.Engines {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			testTokens(t, e.Open(t))
		})
	}
}

func testTokens(t *testing.T, db *sqlstore.DB) {
	storetest.LoadRegions(t, db)
	cli := storetest.Admin()
	mustCreate(t, db, cli, "xizhai", backstop.RoleVillage, "620723101201")
	mustCreate(t, db, cli, "other", backstop.RoleVillage, "620723101201")
	me := signedIn(t, db, "xizhai")

	for _, ttl := range []time.Duration{-time.Hour, time.Minute, backstop.MaxTokenTTL + time.Hour, 100 * 365 * 24 * time.Hour} {
		_, _, err := db.CreateToken(me, "xizhai", "bad", ttl)
		if backstop.ErrorCode(err) != backstop.EINVALID || !strings.Contains(backstop.ErrorMessageZH(err), "365 天") {
			t.Errorf("ttl %s: %v", ttl, err)
		}
	}
	_, _, err := db.CreateToken(me, "xizhai", strings.Repeat("n", 65), 0)
	wantCode(t, "a 65-character token name", err, backstop.EINVALID)
	before := time.Now()
	secret, tok, err := db.CreateToken(me, "xizhai", "手机", 0)
	if err != nil {
		t.Fatal(err)
	}
	if tok.ExpiresAt == nil || tok.ExpiresAt.Before(before.Add(backstop.DefaultTokenTTL-time.Minute)) || tok.ExpiresAt.After(time.Now().Add(backstop.DefaultTokenTTL)) {
		t.Errorf("default expiry %v, want 90 days from now", tok.ExpiresAt)
	}
	if _, _, err := db.CreateToken(me, "xizhai", "year", backstop.MaxTokenTTL); err != nil {
		t.Errorf("a year's token: %v", err)
	}
	_, _, err = db.CreateToken(me, "other", "steal", 0)
	wantCode(t, "token for another user by a village cadre", err, backstop.EFORBIDDEN)
	_, _, err = db.FindTokens(me, "other", 10, 0)
	wantCode(t, "another user's tokens by a village cadre", err, backstop.EFORBIDDEN)
	wantCode(t, "revoke another user's token", db.RevokeToken(me, "other", tok.ID), backstop.EFORBIDDEN)

	// Listed newest first; last use written when the token is used.
	if _, err := db.UserByToken(context.Background(), secret); err != nil {
		t.Fatal(err)
	}
	list, total, err := db.FindTokens(me, "xizhai", 10, 0)
	if err != nil || total != 2 || list[0].Name != "year" || list[1].Name != "手机" || list[1].LastUsed == nil || list[0].LastUsed != nil {
		t.Fatalf("tokens = %+v (total %d), %v", list, total, err)
	}

	// A token made before every token had to expire ends a year after it
	// was made.
	u := mustFind(t, db, "xizhai")
	old, recent := "bst_legacy-old-0000000000000000000000000", "bst_legacy-recent-00000000000000000000000"
	for _, c := range []struct {
		secret string
		age    time.Duration
	}{{old, 400 * 24 * time.Hour}, {recent, 10 * 24 * time.Hour}} {
		if err := db.ExecForTest(context.Background(), `INSERT INTO tokens (user_id, name, secret_hash, created_at) VALUES (?, ?, ?, ?)`,
			u.ID, "legacy", secretHash(c.secret), time.Now().UTC().Add(-c.age)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.UserByToken(context.Background(), old); backstop.ErrorCode(err) != backstop.EUNAUTHORIZED {
		t.Errorf("a never-expiring token 400 days old still works: %v", err)
	}
	if _, err := db.UserByToken(context.Background(), recent); err != nil {
		t.Errorf("a never-expiring token 10 days old: %v", err)
	}
	list, _, _ = db.FindTokens(me, "xizhai", 10, 0)
	for _, tk := range list {
		if tk.ExpiresAt == nil {
			t.Errorf("token %d listed without an expiry", tk.ID)
		}
	}

	// Revoking: stops at once, audited, a second time not found.
	if err := db.RevokeToken(me, "xizhai", tok.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := db.UserByToken(context.Background(), secret); backstop.ErrorCode(err) != backstop.EUNAUTHORIZED {
		t.Errorf("revoked token: %v", err)
	}
	wantCode(t, "revoke twice", db.RevokeToken(me, "xizhai", tok.ID), backstop.ENOTFOUND)
	for _, action := range []string{"token.create", "token.revoke"} {
		entries, _, _ := db.FindAudit(cli, backstop.AuditFilter{Action: action, Record: "xizhai"})
		if len(entries) == 0 || entries[0].Actor != "xizhai" || !strings.Contains(entries[0].Detail, "token") {
			t.Errorf("audit %s: %+v", action, entries)
		}
	}

	// At most 20 active tokens; expired ones are swept when a new one is
	// made.
	for i := 0; ; i++ {
		_, _, err := db.CreateToken(me, "xizhai", "bulk", time.Hour)
		if err != nil {
			if backstop.ErrorCode(err) != backstop.ETOOLARGE || i+2 != backstop.MaxTokensPerUser {
				t.Errorf("token %d: %v (after %d made in the loop)", i+1, err, i)
			}
			break
		}
		if i > 30 {
			t.Fatal("no limit on tokens")
		}
	}

	// A password change needs the current password, and revokes every
	// token and session of the user.
	wantCode(t, "change with a wrong current password", db.SetPassword(me, "xizhai", "wrong password", "a brand new password"), backstop.EINVALID)
	list, _, _ = db.FindTokens(me, "xizhai", 1, 0)
	if err := db.RevokeToken(me, "xizhai", list[0].ID); err != nil {
		t.Fatal(err)
	}
	afterSecret, _, err := db.CreateToken(me, "xizhai", "after", 0)
	if err != nil {
		t.Fatalf("a token once one is revoked: %v", err)
	}
	sess, _ := db.CreateSession(cli, u.ID, time.Hour)
	if err := db.SetPassword(me, "xizhai", pw, "a brand new password"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.UserByToken(context.Background(), afterSecret); backstop.ErrorCode(err) != backstop.EUNAUTHORIZED {
		t.Errorf("token after the password change: %v", err)
	}
	if _, err := db.UserBySession(context.Background(), sess); backstop.ErrorCode(err) != backstop.EUNAUTHORIZED {
		t.Errorf("session after the password change: %v", err)
	}
	if _, total, _ := db.FindTokens(cli, "xizhai", 10, 0); total != 0 {
		t.Errorf("%d tokens left after the password change", total)
	}
	if _, err := db.Authenticate(context.Background(), "xizhai", "a brand new password"); err != nil {
		t.Errorf("new password: %v", err)
	}
	entries, _, _ := db.FindAudit(cli, backstop.AuditFilter{Action: "user.password", Record: "xizhai"})
	if len(entries) != 1 || !strings.Contains(entries[0].Detail, "changed by the user") || !strings.Contains(entries[0].Detail, "token(s) revoked") {
		t.Errorf("password audit: %+v", entries)
	}
	// A village cadre cannot reset another's password.
	wantCode(t, "reset another's password", db.SetPassword(me, "other", "", "a brand new password"), backstop.EFORBIDDEN)
}

// TestSignInAudit holds that sign-ins write audit rows: success with the
// session, failure with the anonymous actor, the name as given (bounded,
// control characters replaced) and the reason; the address is recorded.
func TestSignInAudit(t *testing.T) {
	for _, e := range storetest.Engines {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			db := e.Open(t)
			storetest.LoadRegions(t, db)
			cli := storetest.Admin()
			mustCreate(t, db, cli, "xizhai", backstop.RoleVillage, "620723101201")
			mustCreate(t, db, cli, "gone", backstop.RoleVillage, "620723101201")
			g := mustFind(t, db, "gone")
			g.Disabled = true
			if err := db.UpdateUser(cli, g); err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			u, secret, err := db.SignIn(ctx, "xizhai", pw, "198.51.100.7", time.Hour)
			if err != nil || u.Name != "xizhai" || u.Addr != "198.51.100.7" {
				t.Fatalf("sign-in: %+v %v", u, err)
			}
			if got, err := db.UserBySession(ctx, secret); err != nil || got.Name != "xizhai" {
				t.Errorf("session of the sign-in: %v", err)
			}
			long := "e\x1bvil" + strings.Repeat("名", 100)
			for _, c := range []struct{ name, password string }{{"xizhai", "wrong password"}, {"nobody", pw}, {"gone", pw}, {long, pw}} {
				if _, _, err := db.SignIn(ctx, c.name, c.password, "203.0.113.9", time.Hour); backstop.ErrorCode(err) != backstop.EUNAUTHORIZED {
					t.Errorf("sign-in as %q: %v", c.name, err)
				}
			}
			ok, _, _ := db.FindAudit(cli, backstop.AuditFilter{Action: "user.signin"})
			if len(ok) != 1 || ok[0].Actor != "xizhai" || ok[0].Addr != "198.51.100.7" || ok[0].Via != "session" {
				t.Errorf("success rows: %+v", ok)
			}
			failed, _, _ := db.FindAudit(cli, backstop.AuditFilter{Action: "user.signin_failed"})
			if len(failed) != 4 {
				t.Fatalf("failure rows: %+v", failed)
			}
			want := map[string]string{"xizhai": "wrong password", "nobody": "unknown user", "gone": "user disabled", "e?vil" + strings.Repeat("名", 59) + "…": "unknown user"}
			for _, e := range failed {
				if e.Actor != sqlstore.AnonymousActor || e.Addr != "203.0.113.9" || want[e.Record] != e.Detail {
					t.Errorf("failure row %+v", e)
				}
				if strings.ContainsAny(e.Record, "\x1b") {
					t.Errorf("control character stored: %q", e.Record)
				}
			}
		})
	}
}
