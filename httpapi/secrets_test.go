package httpapi_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/channel"
	"github.com/zhangye-backstop/backstop/dispatch"
	"github.com/zhangye-backstop/backstop/egress"
	"github.com/zhangye-backstop/backstop/server"
	"github.com/zhangye-backstop/backstop/storetest"
)

// lockedBuffer collects log lines written from several goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestNoSecretLeaves sends channel tests to 企业微信 robots whose URLs
// carry their key — one unreachable (the error quotes the URL), one that
// refuses with a body echoing it — and reads every answer, every audit row
// and every log line for the key.
func TestNoSecretLeaves(t *testing.T) {
	db := storetest.OpenSQLite(t)
	const secret = "c0ffee00-robot-key-5ec4e7"
	gone := httptest.NewServer(http.NotFoundHandler())
	goneURL := gone.URL + "/cgi-bin/webhook/send?key=" + secret
	gone.Close()
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "invalid webhook url "+r.URL.String(), http.StatusBadRequest)
	}))
	defer echo.Close()
	allow, err := egress.NewPolicy(strings.TrimPrefix(echo.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	senders, err := channel.Build(channel.Config{WeComWebhook: goneURL, RobotHTTP: allow.Client(5 * time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	var logs lockedBuffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	d := &dispatch.Service{Senders: senders, BaseURL: "https://b.test", Logger: logger}
	f := serve(t, db, server.Config{Logger: logger, Dispatch: d, ReceiptSecret: "receipt-secret", Outbound: allow})
	admin := f.token(t, "root", backstop.RoleAdmin, backstop.NationalScope)
	var answers []string
	for _, body := range []string{`{}`, `{"address":"` + echo.URL + `/cgi-bin/webhook/send?key=` + secret + `"}`, `{"address":"` + secret + `"}`} {
		resp, b := f.do(t, "POST", "/api/v1/channels/wecom/test", admin, strings.NewReader(body), "application/json")
		if resp.StatusCode >= 500 {
			t.Fatalf("test send %s: %d %s", body, resp.StatusCode, b)
		}
		answers = append(answers, string(b))
	}
	if !strings.Contains(answers[0], `"accepted":false`) || !strings.Contains(answers[0], "unreachable") {
		t.Errorf("the unreachable robot's answer says nothing of it: %s", answers[0])
	}
	if !strings.Contains(answers[1], "answered 400") {
		t.Errorf("the refusing robot's answer says nothing of it: %s", answers[1])
	}
	for i, a := range answers {
		if strings.Contains(a, secret) {
			t.Errorf("answer %d holds the robot key: %s", i, a)
		}
	}
	resp, b := f.do(t, "GET", "/api/v1/channels", admin, nil, "")
	if resp.StatusCode != 200 || strings.Contains(string(b), secret) {
		t.Errorf("channels: %d %s", resp.StatusCode, b)
	}
	entries, total, err := db.FindAudit(storetest.Admin(), backstop.AuditFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	tests := 0
	for _, e := range entries {
		if e.Action == "channel.test" {
			tests++
		}
		if row := strings.Join([]string{e.Action, e.Entity, e.Record, e.Detail}, " "); strings.Contains(row, secret) {
			t.Errorf("audit row holds the robot key: %s", row)
		}
	}
	if tests != 3 || total < 3 {
		t.Errorf("%d channel.test rows of %d, want 3", tests, total)
	}
	for _, line := range strings.Split(logs.String(), "\n") {
		if strings.Contains(line, secret) {
			t.Errorf("log line holds the robot key: %s", line)
		}
	}
}
