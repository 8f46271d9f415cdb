package server_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/clock"
	"github.com/zhangye-backstop/backstop/server"
	"github.com/zhangye-backstop/backstop/server/servertest"
	"github.com/zhangye-backstop/backstop/sqlstore"
	"github.com/zhangye-backstop/backstop/storetest"
	"github.com/zhangye-backstop/backstop/workday"
)

// TestRequiredPolicies: a required policy key without any version stops
// the server from starting, naming the key, instead of a decision falling
// back to a constant later.
func TestRequiredPolicies(t *testing.T) {
	db := storetest.OpenSQLite(t)
	if _, err := server.New(context.Background(), db, server.Config{DataDir: t.TempDir()}); err != nil {
		t.Fatalf("a seeded database does not start: %v", err)
	}
	if _, err := db.WriteDB().Exec(`DELETE FROM policies WHERE key = 'release.escalate_county_minutes'`); err != nil {
		t.Fatal(err)
	}
	_, err := server.New(context.Background(), db, server.Config{DataDir: t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), "release.escalate_county_minutes") {
		t.Fatalf("started without a required policy: %v", err)
	}
}

// provisionalClock starts a clock of 3 working days from Wednesday
// 2026-12-30 while 2027 is not loaded: Monday to Friday put it on
// 2027-01-04; with 2027's calendar (01-01 a holiday) it is 2027-01-05.
func provisionalClock(t *testing.T, db *sqlstore.DB, subject string) {
	t.Helper()
	ctx := storetest.Admin()
	cal := &workday.Service{Store: db}
	if err := cal.Load(ctx); err != nil {
		t.Fatal(err)
	}
	eng := &clock.Engine{Store: db, Calendar: cal}
	start := time.Date(2026, 12, 30, 10, 0, 0, 0, backstop.Beijing)
	c, err := eng.New(ctx, "test.check", subject, "620723101201", start, &backstop.Policy{ID: 7, Value: 3, Unit: "workdays"})
	if err != nil {
		t.Fatal(err)
	}
	if c.DueDate != "2027-01-04" || !c.Provisional {
		t.Fatalf("fixture: due %s, provisional %v", c.DueDate, c.Provisional)
	}
	if err := db.StartClock(ctx, c); err != nil {
		t.Fatal(err)
	}
}

func clockDue(t *testing.T, db *sqlstore.DB, subject string) (string, bool) {
	t.Helper()
	c, err := db.FindClock(storetest.Admin(), "test.check", subject)
	if err != nil {
		t.Fatal(err)
	}
	return c.DueDate, c.Provisional
}

// TestCalendarYearMovesClocks: a running clock counted Monday to Friday
// into an unloaded year moves to its exact date when the year is loaded —
// through POST /api/v1/calendar on a running server, and by `backstop
// calendar import` (a process of its own) while no server runs, when the
// server starts next.
func TestCalendarYearMovesClocks(t *testing.T) {
	for _, e := range storetest.Engines {
		t.Run(e.Name, func(t *testing.T) {
			db := e.Open(t)
			provisionalClock(t, db, "report:api")
			_, srv := servertest.New(t, db, server.Config{})
			if err := db.CreateUser(storetest.Admin(), &backstop.User{Name: "root", Role: backstop.RoleAdmin, Region: backstop.NationalScope}, "correct horse battery"); err != nil {
				t.Fatal(err)
			}
			token, _, err := db.CreateToken(storetest.Admin(), "root", "test", 0)
			if err != nil {
				t.Fatal(err)
			}
			req, _ := http.NewRequest("POST", srv.URL+"/api/v1/calendar?filename=2027.csv", strings.NewReader(storetest.Calendar2027))
			req.Header.Set("Authorization", "Bearer "+token)
			req.Header.Set("Content-Type", "text/csv")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 && resp.StatusCode != 201 {
				t.Fatalf("POST /api/v1/calendar: %d %s", resp.StatusCode, body)
			}
			if due, provisional := clockDue(t, db, "report:api"); due != "2027-01-05" || provisional {
				t.Errorf("after the API loaded 2027: due %s, provisional %v", due, provisional)
			}

			// The CLI's import, with no server running: it reaches no
			// server's OnLoaded.
			db2 := e.Open(t)
			provisionalClock(t, db2, "report:cli")
			cli := &workday.Service{Store: db2}
			if err := cli.Load(storetest.Admin()); err != nil {
				t.Fatal(err)
			}
			if _, err := cli.Import(storetest.Admin(), strings.NewReader(storetest.Calendar2027), "2027.csv"); err != nil {
				t.Fatal(err)
			}
			if due, _ := clockDue(t, db2, "report:cli"); due != "2027-01-04" {
				t.Fatalf("fixture: the import alone moved the clock to %s", due)
			}
			servertest.New(t, db2, server.Config{})
			if due, provisional := clockDue(t, db2, "report:cli"); due != "2027-01-05" || provisional {
				t.Errorf("a server started after the CLI loaded 2027: due %s, provisional %v", due, provisional)
			}
		})
	}
}

// TestCrossSiteRefusedInChinese: an unsafe request from another site is
// refused 403 in Chinese — the API's error body, the UI's error page —
// not with net/http's English line.
func TestCrossSiteRefusedInChinese(t *testing.T) {
	db := storetest.OpenSQLite(t)
	_, srv := servertest.New(t, db, server.Config{})
	for _, c := range []struct{ path, ctype, want string }{
		{"/api/v1/warnings", "application/json", `"message_zh":"请求来自其他网站`},
		{"/login", "text/html", "请求来自其他网站"},
	} {
		req, _ := http.NewRequest("POST", srv.URL+c.path, strings.NewReader("name=a&password=b"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 403 || !strings.Contains(resp.Header.Get("Content-Type"), c.ctype) || !strings.Contains(string(body), c.want) || strings.Contains(string(body), "cross-origin request detected") {
			t.Errorf("cross-site POST %s: %d %s\n%.300s", c.path, resp.StatusCode, resp.Header.Get("Content-Type"), body)
		}
	}
}
