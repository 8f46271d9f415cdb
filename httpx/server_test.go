package httpx

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
)

// trickle sends a request's headers at once and its body a byte at a
// time, and says how long the server kept reading before it cut the
// connection (or answered).
func trickle(t *testing.T, addr, path string, length int, every time.Duration) (time.Duration, string) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	start := time.Now()
	fmt.Fprintf(c, "POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nContent-Length: %d\r\n\r\n", path, length)
	answer := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(c).ReadString('\n')
		answer <- line
	}()
	for i := 0; i < length; i++ {
		select {
		case line := <-answer:
			return time.Since(start), line
		case <-time.After(every):
		}
		if _, err := c.Write([]byte("x")); err != nil {
			break
		}
	}
	select {
	case line := <-answer:
		return time.Since(start), line
	case <-time.After(5 * time.Second):
		return time.Since(start), ""
	}
}

// TestTrickledBodiesCutOff: a body trickled in slower than the read
// timeout (JSON) or than the upload's minimum rate is cut off; an upload
// sent at speed passes even when it takes longer than the read timeout
// would allow.
func TestTrickledBodiesCutOff(t *testing.T) {
	defer func(w time.Duration) { uploadWindow = w }(uploadWindow)
	uploadWindow = 400 * time.Millisecond
	mux := http.NewServeMux()
	mux.HandleFunc("POST /json", func(w http.ResponseWriter, r *http.Request) {
		var v map[string]any
		if err := DecodeJSON(w, r, &v); err != nil {
			http.Error(w, "bad", 400)
			return
		}
		io.WriteString(w, "ok")
	})
	mux.HandleFunc("POST /upload", func(w http.ResponseWriter, r *http.Request) {
		path, _, _, err := SaveUpload(w, r, t.TempDir(), 8<<20)
		if err != nil {
			http.Error(w, "refused", 400)
			return
		}
		os.Remove(path)
		io.WriteString(w, "saved")
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := NewServer(mux, Timeouts{ReadHeader: time.Second, Read: 400 * time.Millisecond, Write: 5 * time.Second, Idle: time.Second})
	go srv.Serve(ln)
	defer srv.Close()
	for _, path := range []string{"/json", "/upload"} {
		took, line := trickle(t, ln.Addr().String(), path, 200, 50*time.Millisecond)
		if took > 3*time.Second || strings.Contains(line, " 200 ") {
			t.Errorf("%s: a trickled body held the connection %s (answer %q)", path, took.Round(time.Millisecond), line)
		}
	}
	// 2 MiB over about a second: longer than the read timeout, but steady.
	pr, pw := io.Pipe()
	go func() {
		chunk := make([]byte, 64<<10)
		for i := 0; i < 32; i++ {
			pw.Write(chunk)
			time.Sleep(30 * time.Millisecond)
		}
		pw.Close()
	}()
	resp, err := http.Post("http://"+ln.Addr().String()+"/upload", "application/octet-stream", pr)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "saved" {
		t.Errorf("a steady upload: %d %s", resp.StatusCode, body)
	}
}
