package main

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/zhangye-backstop/backstop/storetest"
)

// Tests here run the real binary, as processes, to show what holds across
// processes: one clock fired once by two servers, a clock's handler killed
// mid-run, dispatch resuming soon after a restart.

var (
	binaryOnce sync.Once
	binaryPath string
	binaryErr  error
)

// binary builds backstop once per test run.
func binary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	binaryOnce.Do(func() {
		dir, err := os.MkdirTemp("", "backstop-bin-")
		if err != nil {
			binaryErr = err
			return
		}
		binaryPath = filepath.Join(dir, "backstop")
		out, err := exec.Command("go", "build", "-o", binaryPath, ".").CombinedOutput()
		if err != nil {
			binaryErr = fmt.Errorf("build: %v\n%s", err, out)
		}
	})
	if binaryErr != nil {
		t.Fatal(binaryErr)
	}
	return binaryPath
}

// freeAddr picks a free local address for a server to listen on.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// process is a running `backstop serve`.
type process struct {
	cmd  *exec.Cmd
	logs *syncBuffer
	// ready is when it logged that it serves.
	ready time.Time
}

// serveProcess starts `backstop serve` with args and env and waits until
// it listens.
func serveProcess(t *testing.T, env []string, args ...string) *process {
	t.Helper()
	// The coming year's plan reminders (from 1 December) are not what
	// these tests count.
	cmd := exec.Command(binary(t), append([]string{"serve", "--plan-years=false"}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	p := &process{cmd: cmd, logs: &syncBuffer{}}
	pr, pw := io.Pipe()
	cmd.Stderr, cmd.Stdout = pw, io.Discard
	go func() {
		s := bufio.NewScanner(pr)
		s.Buffer(make([]byte, 64<<10), 1<<20)
		for s.Scan() {
			p.logs.Write([]byte(s.Text() + "\n"))
		}
	}()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait(); pw.Close() })
	waitFor(t, "the server to listen", 90*time.Second, func() bool { return strings.Contains(p.logs.String(), "backstop serving") })
	p.ready = time.Now()
	return p
}

// kill ends the process with SIGKILL: nothing it had in hand is finished.
func (p *process) kill(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	p.cmd.Wait()
}

// escalations are the township escalation messages the gateway got:
// per (address, text) the unique keys it saw.
func escalations(g *fakeGateway) (byTarget map[string]int, total int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	byTarget = map[string]int{}
	for _, b := range g.unique {
		text, _ := b["text"].(string)
		if strings.Contains(text, "【督办】") {
			to, _ := b["to"].(string)
			byTarget[to+"\x00"+text]++
			total++
		}
	}
	return byTarget, total
}

// clockAnswer is a clock as GET /api/v1/clocks shows it.
type clockAnswer struct {
	Items []struct {
		ID      int64  `json:"id"`
		Kind    string `json:"kind"`
		Subject string `json:"subject"`
		State   string `json:"state"`
		Stage   int    `json:"stage"`
		Overdue bool   `json:"overdue"`
	} `json:"items"`
}

// shortRelease makes the confirmation clock of red releases 3 seconds and
// releases a red warning over 临泽县 to key groups and helpers; it returns
// the release.
func shortRelease(t *testing.T, api *apiClient) releaseAnswer {
	t.Helper()
	if code := api.call(t, "POST", "/api/v1/policies", `{"key":"release.confirm_minutes.red","value":0.05,"unit":"minutes","effective_from":"2026-01-01","source":"test: a 3-second clock"}`, nil); code != 201 {
		t.Fatalf("policy: %d", code)
	}
	var w struct{ ID int64 }
	if code := api.call(t, "POST", "/api/v1/warnings", `{"hazard":"暴雨","level":"红","areas":[{"desc":"临泽县","regions":["620723"]}]}`, &w); code != 201 {
		t.Fatalf("warning: %d", code)
	}
	var rel releaseAnswer
	if code := api.call(t, "POST", fmt.Sprintf("/api/v1/warnings/%d/releases", w.ID), `{"audiences":["key_groups","helpers"],"channels":["sms"]}`, &rel); code != 201 {
		t.Fatalf("release: %d", code)
	}
	return rel
}

func (a *apiClient) clock(t *testing.T, release int64) (state string, stage int) {
	t.Helper()
	var c clockAnswer
	a.call(t, "GET", fmt.Sprintf("/api/v1/clocks?subject=release:%d", release), "", &c)
	if len(c.Items) != 1 {
		t.Fatalf("clocks of release %d: %+v", release, c)
	}
	return c.Items[0].State, c.Items[0].Stage
}

// TestTwoServesOneClock: two `serve` processes on one PostgreSQL database
// and one clock coming due: its handler runs once (the clock reaches stage
// 1, not 2) and each township duty officer is told once.
func TestTwoServesOneClock(t *testing.T) {
	dbURL := storetest.PostgresURL(t)
	gw := newFakeGateway(t, 0)
	env := []string{"BACKSTOP_ADMIN_PASSWORD=first admin password", "BACKSTOP_SMS_WEBHOOK=" + gw.srv.URL, "BACKSTOP_DEMO_SENDS=1", "BACKSTOP_SMS_RATE=1000", "BACKSTOP_DB=" + dbURL}
	a, b := freeAddr(t), freeAddr(t)
	serveProcess(t, env, "--demo", "--demo-households", "1500", "--addr", a, "--data", t.TempDir(), "--poll-interval", "100ms")
	serveProcess(t, env, "--addr", b, "--data", t.TempDir(), "--poll-interval", "100ms")
	api := signIn(t, "http://"+a, "first admin password")
	rel := shortRelease(t, api)
	waitFor(t, "the release's clock to fire", 60*time.Second, func() bool { _, stage := api.clock(t, rel.ID); return stage >= 1 })
	waitFor(t, "the escalation messages", 30*time.Second, func() bool { _, n := escalations(gw); return n > 0 })
	time.Sleep(2 * time.Second) // a second run, were there one, would have written by now
	if _, stage := api.clock(t, rel.ID); stage != 1 {
		t.Fatalf("the clock is at stage %d: its handler ran %d times", stage, stage)
	}
	byTarget, total := escalations(gw)
	for target, n := range byTarget {
		if n != 1 {
			t.Errorf("%q was told %d times", strings.ReplaceAll(target, "\x00", ": "), n)
		}
	}
	if total == 0 {
		t.Fatal("nobody was told")
	}
}

// TestKill9WhileClockRuns kills `serve` while a clock's handler is in the
// middle of its run (its writes held up by a lock the test takes), starts
// it again, and checks that the handler ran again and its messages reached
// the gateway exactly once.
func TestKill9WhileClockRuns(t *testing.T) {
	dbURL := storetest.PostgresURL(t)
	gw := newFakeGateway(t, 0)
	env := []string{"BACKSTOP_ADMIN_PASSWORD=first admin password", "BACKSTOP_SMS_WEBHOOK=" + gw.srv.URL, "BACKSTOP_DEMO_SENDS=1", "BACKSTOP_SMS_RATE=1000", "BACKSTOP_DB=" + dbURL}
	addr, data := freeAddr(t), t.TempDir()
	first := serveProcess(t, env, "--demo", "--demo-households", "1500", "--addr", addr, "--data", data, "--poll-interval", "100ms")
	api := signIn(t, "http://"+addr, "first admin password")
	db, err := sql.Open("pgx", dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rel := shortRelease(t, api)
	// Once the release's own messages are out, the outbox is locked for
	// writing: the clock's run blocks writing its escalation.
	waitFor(t, "the release to be sent", 60*time.Second, func() bool {
		var r releaseAnswer
		api.call(t, "GET", fmt.Sprintf("/api/v1/releases/%d", rel.ID), "", &r)
		return r.State == "done"
	})
	lock, err := db.BeginTx(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Rollback()
	if _, err := lock.Exec(`LOCK TABLE messages IN EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the clock's run to block on the lock", 60*time.Second, func() bool {
		var claimed, waiting int
		db.QueryRow(`SELECT count(*) FROM clocks WHERE subject = $1 AND claim_owner <> ''`, fmt.Sprintf("release:%d", rel.ID)).Scan(&claimed)
		db.QueryRow(`SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query ILIKE '%messages%' AND pid <> pg_backend_pid()`).Scan(&waiting)
		return claimed == 1 && waiting > 0
	})
	first.kill(t)
	lock.Rollback()
	if _, n := escalations(gw); n != 0 {
		t.Fatalf("%d escalation messages were sent by the killed run", n)
	}
	serveProcess(t, env, "--addr", addr, "--data", data, "--poll-interval", "100ms")
	api = signIn(t, "http://"+addr, "first admin password")
	waitFor(t, "the clock to run again after the restart", 60*time.Second, func() bool { _, stage := api.clock(t, rel.ID); return stage == 1 })
	waitFor(t, "the escalation messages", 30*time.Second, func() bool { _, n := escalations(gw); return n > 0 })
	time.Sleep(2 * time.Second)
	byTarget, _ := escalations(gw)
	for target, n := range byTarget {
		if n != 1 {
			t.Errorf("%q was told %d times", strings.ReplaceAll(target, "\x00", ": "), n)
		}
	}
	if _, stage := api.clock(t, rel.ID); stage != 1 {
		t.Errorf("clock at stage %d after the restart", stage)
	}
	_, calls := gw.count()
	unique, _ := gw.count()
	if calls != unique {
		t.Errorf("the gateway got %d requests for %d messages", calls, unique)
	}
}
