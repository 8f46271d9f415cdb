package channel

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"mime"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/egress"
)

// The example of Alibaba Cloud's signature documentation: these
// parameters, signed for GET with "testSecret", give this signature.
func TestAliyunSignatureKnownAnswer(t *testing.T) {
	p := url.Values{}
	for k, v := range map[string]string{
		"AccessKeyId": "testId", "Action": "SendSms", "Format": "XML", "OutId": "123", "PhoneNumbers": "15300000001", "RegionId": "cn-hangzhou",
		"SignName": "阿里云短信测试专用", "SignatureMethod": "HMAC-SHA1", "SignatureNonce": "45e25e9b-0a6f-4070-8c85-2956eda1b466", "SignatureVersion": "1.0",
		"TemplateCode": "SMS_71390007", "TemplateParam": `{"customer":"test"}`, "Timestamp": "2017-07-12T02:42:19Z", "Version": "2017-05-25",
	} {
		p.Set(k, v)
	}
	if got, want := AliyunSignature("GET", p, "testSecret"), "zJDF+Lrzhj/ThnlvIToysFRq6t4="; got != want {
		t.Fatalf("signature %s, want %s", got, want)
	}
	if got := AliyunPercentEncode("a b*c~d+"); got != "a%20b%2Ac~d%2B" {
		t.Errorf("percent encoding: %s", got)
	}
}

func msg(key, to, text string) *backstop.Message {
	return &backstop.Message{Key: key, Address: to, Text: text, Channel: backstop.ChannelSMS}
}

func TestAliyunSend(t *testing.T) {
	var mu sync.Mutex
	answer := `{"Code":"OK","Message":"OK","BizId":"900619746936498440^0","RequestId":"F655A8D5-B967-440B-8683-DAD6FF8DE990"}`
	status := http.StatusOK
	var got url.Values
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
			t.Errorf("request %s %s", r.Method, r.Header.Get("Content-Type"))
		}
		r.ParseForm()
		got = r.PostForm
		// The gateway checks the signature as Alibaba Cloud does.
		if sig := AliyunSignature(http.MethodPost, got, "s3cret"); sig != got.Get("Signature") {
			t.Errorf("signature %s, recomputed %s", got.Get("Signature"), sig)
		}
		w.WriteHeader(status)
		io.WriteString(w, answer)
	}))
	defer srv.Close()
	a := &Aliyun{Endpoint: srv.URL + "/", KeyID: "LTAI5tTEST", KeySecret: "s3cret", SignName: "张掖应急", TemplateCode: "SMS_123456", HTTP: srv.Client(),
		Now: func() time.Time { return time.Date(2026, 7, 15, 0, 1, 2, 0, time.UTC) }, Nonce: func() string { return "nonce-1" }}
	res, err := a.Send(context.Background(), msg("bst-7-42", "10012345678", "暴雨红色预警"))
	if err != nil || res.GatewayID != "900619746936498440^0" {
		t.Fatalf("send: %v %+v", err, res)
	}
	for k, want := range map[string]string{
		"Action": "SendSms", "Version": "2017-05-25", "Format": "JSON", "RegionId": "cn-hangzhou", "AccessKeyId": "LTAI5tTEST", "PhoneNumbers": "10012345678",
		"SignName": "张掖应急", "TemplateCode": "SMS_123456", "OutId": "bst-7-42", "SignatureMethod": "HMAC-SHA1", "SignatureVersion": "1.0",
		"SignatureNonce": "nonce-1", "Timestamp": "2026-07-15T00:01:02Z", "TemplateParam": `{"content":"暴雨红色预警"}`,
	} {
		if got.Get(k) != want {
			t.Errorf("%s = %q, want %q", k, got.Get(k), want)
		}
	}
	for _, c := range []struct {
		status    int
		body      string
		temporary bool
	}{
		{200, `{"Code":"isv.BUSINESS_LIMIT_CONTROL","Message":"触发分钟级流控"}`, true},
		{200, `{"Code":"isv.MOBILE_NUMBER_ILLEGAL","Message":"非法手机号"}`, false},
		{500, `{"Code":"InternalError"}`, true},
		{200, `<html>busy</html>`, true},
	} {
		mu.Lock()
		status, answer = c.status, c.body
		mu.Unlock()
		_, err := a.Send(context.Background(), msg("bst-7-43", "10012345678", "x"))
		if err == nil || IsTemporary(err) != c.temporary {
			t.Errorf("answer %d %s: err %v, temporary %v, want %v", c.status, c.body, err, IsTemporary(err), c.temporary)
		}
	}
}

func TestWebhookSend(t *testing.T) {
	var mu sync.Mutex
	reply, status := `{"id":"gw-1"}`, 200
	var bodies []map[string]string
	var delay time.Duration
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		d := delay
		mu.Unlock()
		time.Sleep(d)
		if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct != "application/json" || r.Method != http.MethodPost {
			t.Errorf("request %s %s", r.Method, r.Header.Get("Content-Type"))
		}
		var b map[string]string
		if err := json.NewDecoder(r.Body).Decode(&b); err != nil {
			t.Errorf("body: %v", err)
		}
		mu.Lock()
		bodies = append(bodies, b)
		w.WriteHeader(status)
		io.WriteString(w, reply)
		mu.Unlock()
	}))
	defer srv.Close()
	client := srv.Client()
	client.Timeout = 300 * time.Millisecond
	wh := &Webhook{URL: srv.URL, SignName: "张掖应急", HTTP: client}
	res, err := wh.Send(context.Background(), msg("bst-1-2", "10012345678", "大风蓝色预警"))
	if err != nil || res.GatewayID != "gw-1" {
		t.Fatalf("send: %v %+v", err, res)
	}
	want := map[string]string{"to": "10012345678", "text": "【张掖应急】大风蓝色预警", "key": "bst-1-2"}
	if len(bodies) != 1 || len(bodies[0]) != 3 || bodies[0]["to"] != want["to"] || bodies[0]["text"] != want["text"] || bodies[0]["key"] != want["key"] {
		t.Fatalf("body %v, want exactly %v", bodies, want)
	}
	for _, c := range []struct {
		status    int
		body      string
		delay     time.Duration
		ok        bool
		temporary bool
	}{
		{200, `{"error":"blacklisted number"}`, 0, false, false}, // 200 with an error body is a failure
		{200, `{"error":{"code":17}}`, 0, false, false},
		{200, ``, 0, true, false},
		{202, `{"queued":true}`, 0, true, false},
		{500, `oops`, 0, false, true},
		{429, ``, 0, false, true},
		{400, `bad number`, 0, false, false},
		{200, `{}`, time.Second, false, true}, // a timeout
	} {
		mu.Lock()
		status, reply, delay = c.status, c.body, c.delay
		mu.Unlock()
		_, err := wh.Send(context.Background(), msg("bst-1-3", "10012345678", "x"))
		if (err == nil) != c.ok || (err != nil && IsTemporary(err) != c.temporary) {
			t.Errorf("answer %d %q (delay %s): err %v, temporary %v", c.status, c.body, c.delay, err, err != nil && IsTemporary(err))
		}
	}
}

func TestWeComSend(t *testing.T) {
	var got []map[string]any
	var paths []string
	code := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b map[string]any
		json.NewDecoder(r.Body).Decode(&b)
		got = append(got, b)
		paths = append(paths, r.URL.RequestURI())
		json.NewEncoder(w).Encode(map[string]any{"errcode": code, "errmsg": "ok"})
	}))
	defer srv.Close()
	wc := &WeCom{Default: srv.URL + "/cgi-bin/webhook/send?key=city-key", HTTP: srv.Client(), Rate: 1000}
	res, err := wc.Send(context.Background(), &backstop.Message{Channel: backstop.ChannelWeCom, Text: "**暴雨预警**", Key: "bst-1-1"})
	if err != nil || !res.Delivered {
		t.Fatalf("send: %v %+v", err, res)
	}
	md, _ := got[0]["markdown"].(map[string]any)
	if got[0]["msgtype"] != "markdown" || md["content"] != "**暴雨预警**" || paths[0] != "/cgi-bin/webhook/send?key=city-key" {
		t.Fatalf("request %s %v", paths[0], got[0])
	}
	// A county group named by its robot key goes to the same endpoint.
	if _, err := wc.Send(context.Background(), &backstop.Message{Address: "county-key", Text: "t", Key: "bst-1-2"}); err != nil || paths[1] != "/cgi-bin/webhook/send?key=county-key" {
		t.Fatalf("by key: %v %s", err, paths[1])
	}
	for c, temporary := range map[int]bool{93000: false, 45009: true} {
		code = c
		if _, err := wc.Send(context.Background(), &backstop.Message{Text: "t", Key: "k"}); err == nil || IsTemporary(err) != temporary {
			t.Errorf("errcode %d: %v", c, err)
		}
	}
}

// TestWeComContactRobots: robots that contacts give as webhook URLs are
// user input and go through the guarded client; the configured robot and
// keys on its host are the operator's and go as configured.
func TestWeComContactRobots(t *testing.T) {
	var mu sync.Mutex
	var paths []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		paths = append(paths, r.URL.RequestURI())
		mu.Unlock()
		io.WriteString(w, `{"errcode":0,"errmsg":"ok"}`)
	}))
	defer srv.Close()
	requests := func() int { mu.Lock(); defer mu.Unlock(); return len(paths) }
	contactURL := srv.URL + "/cgi-bin/webhook/send?key=county-secret-key"
	strict := &WeCom{Default: srv.URL + "/cgi-bin/webhook/send?key=city-key", HTTP: srv.Client(), Rate: 1000}
	for _, address := range []string{contactURL, strings.Replace(contactURL, "http://", "HTTPS://", 1), "https://169.254.169.254/cgi-bin/webhook/send?key=x"} {
		_, err := strict.Send(context.Background(), &backstop.Message{Address: address, Text: "t", Key: "k"})
		if err == nil || IsTemporary(err) || !strings.Contains(err.Error(), "refused") || strings.Contains(err.Error(), "secret") {
			t.Errorf("contact robot %s without allow-list: %v; want a final refusal that does not show the key", address, err)
		}
	}
	if n := requests(); n != 0 {
		t.Fatalf("refused robots reached the server: %d requests", n)
	}
	// The operator's robot and a key on its host are not user URLs.
	for _, address := range []string{DefaultRobot, "county-key"} {
		if _, err := strict.Send(context.Background(), &backstop.Message{Address: address, Text: "t", Key: "k"}); err != nil {
			t.Errorf("%s: %v", address, err)
		}
	}
	// With the server allowed, the contact's robot is reached.
	p, err := egress.NewPolicy(strings.TrimPrefix(srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := Build(Config{WeComWebhook: strict.Default, HTTP: srv.Client(), RobotHTTP: p.Client(5 * time.Second), WeComRate: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if res, err := s[backstop.ChannelWeCom].Send(context.Background(), &backstop.Message{Address: contactURL, Text: "t", Key: "k"}); err != nil || !res.Delivered {
		t.Fatalf("allowed contact robot: %v %+v", err, res)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(paths) != 3 || paths[2] != "/cgi-bin/webhook/send?key=county-secret-key" {
		t.Errorf("requests %v", paths)
	}
}

func TestBroadcastSend(t *testing.T) {
	var got map[string]any
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		json.NewDecoder(r.Body).Decode(&got)
		io.WriteString(w, `{"id":"play-9"}`)
	}))
	defer srv.Close()
	b := &Broadcast{Endpoint: srv.URL + "/tts", Repeat: 4, HTTP: srv.Client()}
	res, err := b.Send(context.Background(), &backstop.Message{Address: "tg-620723101201", Text: "请注意防范暴雨", Key: "bst-3-9"})
	if err != nil || res.GatewayID != "play-9" || !res.Delivered {
		t.Fatalf("send: %v %+v", err, res)
	}
	if got["terminal_group"] != "tg-620723101201" || got["text"] != "请注意防范暴雨" || got["repeat"] != float64(4) || got["key"] != "bst-3-9" || len(got) != 4 {
		t.Fatalf("body %v", got)
	}
}

// smtpServer is a minimal SMTP server: it records one mail per session.
type smtpServer struct {
	ln    net.Listener
	mu    sync.Mutex
	mails []mail
	code  string // RCPT reply code
}

type mail struct {
	from, to string
	data     string
}

func newSMTP(t *testing.T) *smtpServer {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &smtpServer{ln: ln, code: "250"}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go s.session(c)
		}
	}()
	t.Cleanup(func() { ln.Close() })
	return s
}

func (s *smtpServer) session(c net.Conn) {
	defer c.Close()
	r := bufio.NewReader(c)
	say := func(line string) { io.WriteString(c, line+"\r\n") }
	say("220 test ESMTP")
	var m mail
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		cmd := strings.ToUpper(strings.TrimSpace(line))
		switch {
		case strings.HasPrefix(cmd, "EHLO"), strings.HasPrefix(cmd, "HELO"):
			say("250-test")
			say("250 8BITMIME")
		case strings.HasPrefix(cmd, "MAIL FROM:"):
			m.from = strings.TrimSpace(line[10:])
			say("250 ok")
		case strings.HasPrefix(cmd, "RCPT TO:"):
			m.to = strings.TrimSpace(line[8:])
			s.mu.Lock()
			code := s.code
			s.mu.Unlock()
			say(code + " rcpt")
		case cmd == "DATA":
			say("354 go")
			var b strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil || l == ".\r\n" {
					break
				}
				b.WriteString(l)
			}
			m.data = b.String()
			s.mu.Lock()
			s.mails = append(s.mails, m)
			s.mu.Unlock()
			say("250 queued")
		case cmd == "QUIT":
			say("221 bye")
			return
		default:
			say("250 ok")
		}
	}
}

func TestEmailSend(t *testing.T) {
	s := newSMTP(t)
	e := &Email{Addr: s.ln.Addr().String(), From: "warn@backstop.example"}
	text := "暴雨橙色（Ⅱ级/严重）预警：甘州区。请做好防范。"
	if _, err := e.Send(context.Background(), &backstop.Message{Address: "dept@example.org", Text: text, Key: "bst-5-6"}); err != nil {
		t.Fatalf("send: %v", err)
	}
	s.mu.Lock()
	m := s.mails[0]
	s.mu.Unlock()
	if from, _, _ := strings.Cut(m.from, " "); from != "<warn@backstop.example>" || m.to != "<dept@example.org>" {
		t.Fatalf("envelope %q → %q", m.from, m.to)
	}
	head, body, _ := strings.Cut(m.data, "\r\n\r\n")
	if !strings.Contains(head, "Message-ID: <bst-5-6@backstop.example>") || !strings.Contains(head, "Content-Type: text/plain; charset=UTF-8") {
		t.Fatalf("headers:\n%s", head)
	}
	dec := new(mime.WordDecoder)
	for _, h := range strings.Split(head, "\r\n") {
		if v, ok := strings.CutPrefix(h, "Subject: "); ok {
			if s, err := dec.DecodeHeader(v); err != nil || s != "预警信息" {
				t.Errorf("subject %q (%v)", s, err)
			}
		}
	}
	raw, err := base64.StdEncoding.DecodeString(strings.ReplaceAll(body, "\r\n", ""))
	if err != nil || string(raw) != text {
		t.Fatalf("body %q (%v)", raw, err)
	}
	// A 5xx refusal is final, a 4xx one temporary; header injection is refused.
	for code, temporary := range map[string]bool{"550": false, "451": true} {
		s.mu.Lock()
		s.code = code
		s.mu.Unlock()
		if _, err := e.Send(context.Background(), &backstop.Message{Address: "x@example.org", Text: "t", Key: "k"}); err == nil || IsTemporary(err) != temporary {
			t.Errorf("RCPT %s: %v", code, err)
		}
	}
	if _, err := e.Send(context.Background(), &backstop.Message{Address: "a@example.org\r\nBcc: b@example.org", Text: "t", Key: "k"}); err == nil || IsTemporary(err) {
		t.Errorf("injected address: %v", err)
	}
}

func TestPacerSpacesSends(t *testing.T) {
	p := NewPacer(50)
	start := time.Now()
	for i := 0; i < 21; i++ {
		if err := p.Wait(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	// 20 intervals of 20 ms after the first: never faster than that,
	// whatever the machine (only a lower bound is asserted).
	if d := time.Since(start); d < 300*time.Millisecond {
		t.Errorf("21 sends at 50/s took %s", d)
	}
	// A send that has to wait gives up when its context ends.
	slow := NewPacer(0.001)
	slow.Wait(context.Background())
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := slow.Wait(ctx); err == nil {
		t.Error("a cancelled wait went through")
	}
}

func TestBuild(t *testing.T) {
	if _, err := Build(Config{AliyunEndpoint: "https://dysmsapi.aliyuncs.com/"}); backstop.ErrorCode(err) != backstop.EINVALID {
		t.Errorf("Alibaba Cloud without keys: %v", err)
	}
	s, err := Build(Config{SMSWebhook: "http://127.0.0.1:1/sms", WeComWebhook: "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abcdefgh1234", SMTPAddr: "127.0.0.1:25", SMTPFrom: "a@b.c"})
	if err != nil || len(s) != 3 {
		t.Fatalf("build: %v %v", err, s)
	}
	if d := s[backstop.ChannelWeCom].Describe(); strings.Contains(d, "abcdefgh1234") {
		t.Errorf("the robot key shows: %s", d)
	}
}
