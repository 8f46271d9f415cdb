package main

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/zhangye-backstop/backstop/storetest"
)

// TestUserAndTokenCLI runs the user and token commands on both engines:
// tokens are listed without secrets and revoked by id; lifetimes are
// bounded; a password reset and a disable revoke a user's tokens.
func TestUserAndTokenCLI(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			common := []string{"--data", t.TempDir()}
			if engine == "postgres" {
				common = append(common, "--db", storetest.PostgresURL(t))
			}
			cli := func(args ...string) (int, string, string) { return runCLI(t, append(args, common...)...) }
			if code, out, errs := cli("regions", "import", storetest.SharedData(t, "boundaries/gansu-620000-counties.wgs84.simplified.geojson"),
				storetest.SharedData(t, "boundaries/zhangye-townships-2023.csv"), storetest.SharedData(t, "templates/villages.csv")); code != 0 {
				t.Fatalf("regions import: %s %s", out, errs)
			}
			t.Setenv("BACKSTOP_USER_PASSWORD", "correct horse battery")
			if code, _, errs := cli("user", "add", "xizhai", "--role", "village", "--region", "620723101201", "--display-name", "西寨村"); code != 0 {
				t.Fatalf("user add: %s", errs)
			}
			if code, out, _ := cli("user", "list"); code != 0 || !regexp.MustCompile(`xizhai\s+西寨村\s+village\s+620723101201\s+active`).MatchString(out) {
				t.Errorf("user list: %d\n%s", code, out)
			}

			for _, ttl := range []string{"-1h", "0", "9000h", "30m"} {
				if code, _, errs := cli("token", "create", "--user", "xizhai", "--ttl", ttl); code != 1 || !strings.Contains(errs, "8760h") && !strings.Contains(errs, "8760 hours") {
					t.Errorf("token create --ttl %s: %d %s", ttl, code, errs)
				}
			}
			code, secret, errs := cli("token", "create", "--user", "xizhai", "--name", "phone")
			secret = strings.TrimSpace(secret)
			if code != 0 || !strings.HasPrefix(secret, "bst_") || !strings.Contains(errs, "expires") {
				t.Fatalf("token create: %d %s %s", code, secret, errs)
			}
			code, out, _ := cli("token", "list", "--user", "xizhai")
			m := regexp.MustCompile(`(?m)^(\d+)\s+phone\s+\d{4}-\d\d-\d\d \d\d:\d\d\s+\d{4}-\d\d-\d\d \d\d:\d\d\s+-\s+active$`).FindStringSubmatch(out)
			if code != 0 || m == nil || strings.Contains(out, secret) || strings.Contains(out, "bst_") {
				t.Fatalf("token list: %d\n%s", code, out)
			}
			if code, _, errs := cli("token", "revoke", "--user", "xizhai", "abc"); code != 1 || !strings.Contains(errs, "positive number") {
				t.Errorf("revoke abc: %d %s", code, errs)
			}
			if code, out, errs := cli("token", "revoke", "--user", "xizhai", m[1]); code != 0 || !strings.Contains(out, "revoked") {
				t.Errorf("token revoke: %d %s %s", code, out, errs)
			}
			if code, _, errs := cli("token", "revoke", "--user", "xizhai", m[1]); code != 1 || !strings.Contains(errs, "no token") {
				t.Errorf("revoke twice: %d %s", code, errs)
			}
			if code, out, _ := cli("token", "list", "--user", "xizhai"); code != 0 || strings.Contains(out, "phone") {
				t.Errorf("revoked token still listed:\n%s", out)
			}

			// A reset and a disable both revoke the user's tokens.
			for _, step := range [][]string{{"user", "password", "xizhai"}, {"user", "disable", "xizhai"}} {
				if code, _, errs := cli("token", "create", "--user", "xizhai", "--name", "t-"+step[1]); code != 0 {
					t.Fatalf("token: %s", errs)
				}
				if code, out, errs := cli(step...); code != 0 || !strings.Contains(out, "xizhai") {
					t.Fatalf("%v: %d %s %s", step, code, out, errs)
				}
				if _, out, _ := cli("token", "list", "--user", "xizhai"); strings.Contains(out, "t-"+step[1]) {
					t.Errorf("after %v the token is still there:\n%s", step, out)
				}
			}
			if _, out, _ := cli("user", "list"); !regexp.MustCompile(`xizhai\s+西寨村\s+village\s+620723101201\s+disabled`).MatchString(out) {
				t.Errorf("disabled user listed as:\n%s", out)
			}
			if code, _, errs := cli("token", "create", "--user", "xizhai"); code != 1 || !strings.Contains(errs, "disabled") {
				t.Errorf("token for a disabled user: %d %s", code, errs)
			}
			if code, _, _ := cli("user", "enable", "xizhai"); code != 0 {
				t.Error("user enable")
			}
		})
	}
}

// TestServeTrustedProxiesRefused: a bad --trusted-proxies entry stops
// serve before it opens anything, naming the entry, from the flag or the
// environment.
func TestServeTrustedProxiesRefused(t *testing.T) {
	data := t.TempDir()
	code, _, errs := runCLI(t, "serve", "--data", data, "--addr", "127.0.0.1:0", "--trusted-proxies", "10.0.0.0/8,proxy.internal")
	if code != 1 || !strings.Contains(errs, `"proxy.internal"`) || !strings.Contains(errs, "CIDR") {
		t.Errorf("--trusted-proxies with a host name: %d %s", code, errs)
	}
	t.Setenv("BACKSTOP_TRUSTED_PROXIES", "10.0.0.0/33")
	if code, _, errs := runCLI(t, "serve", "--data", data, "--addr", "127.0.0.1:0"); code != 1 || !strings.Contains(errs, "10.0.0.0/33") {
		t.Errorf("BACKSTOP_TRUSTED_PROXIES=10.0.0.0/33: %d %s", code, errs)
	}
	if entries, _ := os.ReadDir(data); len(entries) != 0 {
		t.Errorf("serve made %d files before refusing its configuration", len(entries))
	}
}
