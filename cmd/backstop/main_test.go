package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zhangye-backstop/backstop/storetest"
)

func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

// TestDoneWhen walks the foundation's acceptance path with the CLI on both
// databases: load regions, import the template roster, import it again,
// refuse a bad roster with row/column messages and exit status 1, and keep
// a township's token out of another township.
func TestDoneWhen(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			common := []string{"--data", t.TempDir()}
			if engine == "postgres" {
				common = append(common, "--db", storetest.PostgresURL(t))
			}
			cli := func(args ...string) (int, string, string) {
				// Flags may come after the positional arguments.
				return runCLI(t, append(args, common...)...)
			}
			data := func(rel string) string { return storetest.SharedData(t, rel) }
			code, out, errs := cli("regions", "import", data("boundaries/gansu-620000-counties.wgs84.simplified.geojson"),
				data("boundaries/zhangye-townships-2023.csv"), data("templates/villages.csv"))
			if code != 0 || !strings.Contains(out, "101 regions created") || !strings.Contains(out, "78 regions created") {
				t.Fatalf("regions import: %d\n%s\n%s", code, out, errs)
			}
			code, out, errs = cli("import", "households", data("templates/households.csv"))
			if code != 0 || !strings.Contains(out, "households: 3 created, 0 updated, 0 unchanged") || !strings.Contains(out, "people: 7 created") {
				t.Fatalf("first import: %d\n%s\n%s", code, out, errs)
			}
			code, out, _ = cli("import", "households", data("templates/households.csv"))
			if code != 0 || !strings.Contains(out, "households: 0 created, 0 updated, 3 unchanged") || !strings.Contains(out, "people: 0 created, 0 updated, 7 unchanged") {
				t.Errorf("second import changed something: %d\n%s", code, out)
			}
			bad := storetest.ReplaceCell(t, storetest.ReplaceCell(t, storetest.TemplateRoster(t), 3, "证件号码", "620723196309043751"), 6, "人均纯收入", "abc")
			code, out, errs = cli("import", "households", storetest.WriteFile(t, "bad.csv", bad))
			if code != 1 || !strings.Contains(errs, "row 3, column 证件号码: ID number check digit is 1, should be 0") ||
				!strings.Contains(errs, "row 6, column 人均纯收入: must be a number") {
				t.Errorf("bad roster: exit %d\nstdout %s\nstderr %s", code, out, errs)
			}
			code, _, errs = cli("import", "households", "--dry-run", storetest.WriteFile(t, "roster.xlsx", "not a zip"))
			if code != 1 || !strings.Contains(errs, "not a valid xlsx") {
				t.Errorf("fake xlsx: %d %s", code, errs)
			}

			os.Setenv("BACKSTOP_USER_PASSWORD", "correct horse battery")
			defer os.Unsetenv("BACKSTOP_USER_PASSWORD")
			if code, _, errs := cli("user", "add", "shahe", "--role", "township", "--region", "620723101"); code != 0 {
				t.Fatalf("user add: %s", errs)
			}
			code, token, errs := cli("token", "create", "--user", "shahe")
			if code != 0 || !strings.HasPrefix(token, "bst_") {
				t.Fatalf("token create: %d %s %s", code, token, errs)
			}
			dir := t.TempDir()
			out1 := filepath.Join(dir, "export.csv")
			code, _, errs = cli("export", "households", out1)
			b, _ := os.ReadFile(out1)
			if code != 0 || !strings.Contains(string(b), "620723********4054") || strings.Contains(string(b), "620723196106054054") {
				t.Errorf("export: %d %s\n%s", code, errs, b)
			}
		})
	}
}

func TestHelp(t *testing.T) {
	code, out, _ := runCLI(t, "help")
	for _, c := range []string{"serve", "migrate", "demo", "regions import", "import households", "export households", "user add", "token create"} {
		if !strings.Contains(out, c) {
			t.Errorf("help lacks %q", c)
		}
	}
	if code != 0 {
		t.Errorf("help exit %d", code)
	}
	code, _, errs := runCLI(t, "import", "households", "-h")
	if code != 0 || !strings.Contains(errs, "--skip-invalid") && !strings.Contains(errs, "-skip-invalid") || !strings.Contains(errs, "-data") || !strings.Contains(errs, "-db") {
		t.Errorf("import households -h: %d\n%s", code, errs)
	}
	if code, _, _ := runCLI(t, "nonsense"); code != 2 {
		t.Errorf("unknown command exit %d, want 2", code)
	}
}

// syncBuffer collects a command's output while it runs.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestServeDemo runs the README's run command (serve --demo) on an empty
// data directory and signs in with the admin password it was given.
func TestServeDemo(t *testing.T) {
	os.Setenv("BACKSTOP_ADMIN_PASSWORD", "first admin password")
	defer os.Unsetenv("BACKSTOP_ADMIN_PASSWORD")
	ctx, cancel := context.WithCancel(context.Background())
	var out, errs syncBuffer
	done := make(chan int)
	go func() {
		done <- run(ctx, []string{"serve", "--demo", "--demo-households", "300", "--addr", "127.0.0.1:0", "--data", t.TempDir()}, &out, &errs)
	}()
	var base string
	for i := 0; i < 200 && base == ""; i++ {
		time.Sleep(50 * time.Millisecond)
		if m := regexp.MustCompile(`url=(http://[0-9.:]+)`).FindStringSubmatch(errs.String()); m != nil {
			base = m[1]
		}
	}
	if base == "" {
		cancel()
		t.Fatalf("server did not start:\n%s", errs.String())
	}
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar}
	resp, err := client.PostForm(base+"/login", url.Values{"name": {"admin"}, "password": {"first admin password"}})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "甘州区") {
		t.Errorf("after login: %d\n%s", resp.StatusCode, body)
	}
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("serve exit %d: %s", code, errs.String())
	}
}

// TestServeDemoRefusesRealTexts: the demo's numbers look like real
// mobiles, so serve will not start on demo data with an SMS gateway
// unless told the gateway is a test one.
func TestServeDemoRefusesRealTexts(t *testing.T) {
	t.Setenv("BACKSTOP_ADMIN_PASSWORD", "first admin password")
	t.Setenv("BACKSTOP_SMS_WEBHOOK", "http://127.0.0.1:9/sms")
	var out, errs syncBuffer
	code := run(context.Background(), []string{"serve", "--demo", "--demo-households", "50", "--addr", "127.0.0.1:0", "--data", t.TempDir()}, &out, &errs)
	if code == 0 || !strings.Contains(errs.String(), "--demo-sends") {
		t.Fatalf("serve on demo data with an SMS gateway: exit %d\n%s", code, errs.String())
	}
}
