package web_test

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/httpx"
	"github.com/zhangye-backstop/backstop/server"
	"github.com/zhangye-backstop/backstop/server/servertest"
	"github.com/zhangye-backstop/backstop/sqlstore"
	"github.com/zhangye-backstop/backstop/storetest"
)

// loginServer starts the real server with one township user, trusting
// the given proxies.
func loginServer(t *testing.T, trusted string) (*sqlstore.DB, string) {
	t.Helper()
	db := storetest.OpenSQLite(t)
	storetest.LoadRegions(t, db)
	if err := db.CreateUser(storetest.Admin(), &backstop.User{Name: "town", Role: backstop.RoleTownship, Region: "620723101"}, password); err != nil {
		t.Fatal(err)
	}
	proxies, err := httpx.ParseTrustedProxies(trusted)
	if err != nil {
		t.Fatal(err)
	}
	_, srv := servertest.New(t, db, server.Config{TrustedProxies: proxies, MetricsToken: "metrics-secret"})
	return db, srv.URL
}

type loginAnswer struct {
	status     int
	retryAfter string
	body       string
	took       time.Duration
}

var noRedirect = &http.Client{
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	Transport:     &http.Transport{MaxIdleConnsPerHost: 300},
}

func postLogin(t *testing.T, base, forwardedFor, name, pass string) loginAnswer {
	req, _ := http.NewRequest("POST", base+"/login", strings.NewReader(url.Values{"name": {name}, "password": {pass}, "next": {"/"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if forwardedFor != "" {
		req.Header.Set("X-Forwarded-For", forwardedFor)
	}
	start := time.Now()
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Error(err)
		return loginAnswer{}
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return loginAnswer{status: resp.StatusCode, retryAfter: resp.Header.Get("Retry-After"), body: string(b), took: time.Since(start)}
}

// flood sends n bad sign-ins at once, the i-th from forwardedFor(i).
func flood(t *testing.T, base string, n int, forwardedFor func(i int) string) []loginAnswer {
	var wg sync.WaitGroup
	start := make(chan struct{})
	out := make([]loginAnswer, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			name := "town"
			if i%2 == 1 {
				name = fmt.Sprintf("guess%d", i)
			}
			out[i] = postLogin(t, base, forwardedFor(i), name, "wrong password attempt")
		}()
	}
	close(start)
	wg.Wait()
	return out
}

func countStatus(answers []loginAnswer) map[int]int {
	n := map[int]int{}
	for _, a := range answers {
		n[a.status]++
	}
	return n
}

func failedRows(t *testing.T, db *sqlstore.DB) []*backstop.AuditEntry {
	t.Helper()
	rows, _, err := db.FindAudit(storetest.Admin(), backstop.AuditFilter{Action: "user.signin_failed", Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// TestLoginFlood sends 240 bad sign-ins at once, as the issue did, to the
// real server. From 240 addresses behind a trusted proxy the per-address
// limits do not apply, and the password gate does: at most its limit of
// argon2id computations ever run at once (memory is bounded by that
// count, not by the attempts), the rest are answered 503 at once, and
// every answer comes within seconds. From one address (headers that an
// untrusted peer sends ignored), the per-address limit answers 429 after
// 30 failures. Audit rows are written only for attempts that were checked.
func TestLoginFlood(t *testing.T) {
	db, base := loginServer(t, "127.0.0.1")
	before := sqlstore.PasswordHashes()
	answers := flood(t, base, 240, func(i int) string { return fmt.Sprintf("10.%d.%d.%d", i/65536, i/256%256, i%256+1) })
	after := sqlstore.PasswordHashes()
	n := countStatus(answers)
	if n[401]+n[503] != 240 || n[503] == 0 || n[401] == 0 {
		t.Errorf("answers %v: want 401s and 503s only, some of each", n)
	}
	if after.Peak > int64(after.Limit) || after.Limit < 2 {
		t.Errorf("%d password hashes ran at once, limit %d", after.Peak, after.Limit)
	}
	if after.Refused-before.Refused != int64(n[503]) {
		t.Errorf("gate refused %d, server answered 503 %d times", after.Refused-before.Refused, n[503])
	}
	if after.Running != 0 {
		t.Errorf("%d hashes still running", after.Running)
	}
	for _, a := range answers {
		if a.took > 5*time.Second {
			t.Errorf("an answer took %s", a.took)
		}
		if a.status == 503 && (a.retryAfter == "" || !strings.Contains(a.body, "服务器正忙")) {
			t.Errorf("busy answer without Retry-After or Chinese text: %q", a.retryAfter)
		}
	}
	req, _ := http.NewRequest("GET", base+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer metrics-secret")
	if resp, err := http.DefaultClient.Do(req); err != nil {
		t.Error(err)
	} else {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !regexp.MustCompile(`(?m)^backstop_password_hashes_refused_total [1-9]`).Match(b) || !strings.Contains(string(b), "backstop_password_hashes_running 0") {
			t.Errorf("metrics lack the password gate:\n%s", b)
		}
	}
	rows := failedRows(t, db)
	if len(rows) != n[401] {
		t.Errorf("%d failed-sign-in rows for %d checked attempts", len(rows), n[401])
	}
	for _, r := range rows {
		if !strings.HasPrefix(r.Addr, "10.") {
			t.Errorf("audit row from %q, want the forwarded client address", r.Addr)
		}
	}

	// One address, spoofing X-Forwarded-For: the server does not trust it.
	db, base = loginServer(t, "")
	answers = flood(t, base, 240, func(i int) string { return fmt.Sprintf("192.0.2.%d", i%250+1) })
	n = countStatus(answers)
	if n[401] > 31 || n[429] < 150 || n[401]+n[429]+n[503] != 240 {
		t.Errorf("answers from one address %v: want at most 30 checked, the rest mostly 429", n)
	}
	for _, a := range answers {
		if a.status == 429 && (a.retryAfter == "" || !strings.Contains(a.body, "登录失败次数过多") && !strings.Contains(a.body, "同一地址同时登录的请求过多")) {
			t.Errorf("429 without Retry-After or the Chinese text: %q", a.retryAfter)
			break
		}
	}
	rows = failedRows(t, db)
	if len(rows) != n[401] {
		t.Errorf("%d failed-sign-in rows for %d checked attempts", len(rows), n[401])
	}
	for _, r := range rows {
		if r.Addr != "127.0.0.1" {
			t.Errorf("audit row from %q: an untrusted X-Forwarded-For was believed", r.Addr)
		}
	}
}

// TestLoginNoLockout holds that an attacker cannot lock a user out: one
// address failing on a name is limited while the owner signs in from
// another, and when a crowd of addresses has spent the name's shared
// limit, the addresses that failed are refused and a new one with the
// right password still gets in.
func TestLoginNoLockout(t *testing.T) {
	db, base := loginServer(t, "127.0.0.1")
	for i := range 8 {
		a := postLogin(t, base, "10.0.0.1", "town", "wrong password attempt")
		want := 401
		if i >= 5 {
			want = 429
		}
		if a.status != want {
			t.Fatalf("attacker's attempt %d: %d, want %d", i+1, a.status, want)
		}
	}
	if a := postLogin(t, base, "10.0.0.2", "town", password); a.status != http.StatusSeeOther {
		t.Fatalf("the owner from another address: %d", a.status)
	}
	// A crowd of 50 addresses, one failure each.
	for i := range 50 {
		if a := postLogin(t, base, fmt.Sprintf("10.1.0.%d", i+1), "town", "wrong password attempt"); a.status != 401 {
			t.Fatalf("crowd attempt %d: %d", i+1, a.status)
		}
	}
	if a := postLogin(t, base, "10.1.0.1", "town", "wrong password attempt"); a.status != 429 {
		t.Errorf("a crowd address again while the name is under attack: %d, want 429", a.status)
	}
	if a := postLogin(t, base, "10.2.0.1", "town", password); a.status != http.StatusSeeOther {
		t.Errorf("the owner from a new address while the name is under attack: %d, want a sign-in", a.status)
	}
	// Another name from a crowd address is not affected.
	if a := postLogin(t, base, "10.1.0.1", "someone-else", "wrong password attempt"); a.status != 401 {
		t.Errorf("another name from a crowd address: %d, want 401", a.status)
	}
	ok, _, _ := db.FindAudit(storetest.Admin(), backstop.AuditFilter{Action: "user.signin"})
	if len(ok) != 2 || ok[0].Addr != "10.2.0.1" || ok[1].Addr != "10.0.0.2" || ok[0].Actor != "town" {
		t.Errorf("sign-in rows: %+v", ok)
	}
	if rows := failedRows(t, db); len(rows) != 5+50+1 {
		t.Errorf("%d failed-sign-in rows, want one per checked attempt (56)", len(rows))
	}
}
