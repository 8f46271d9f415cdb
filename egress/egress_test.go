package egress

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"

	"github.com/zhangye-backstop/backstop"
)

func mustPolicy(t *testing.T, entries ...string) *Policy {
	t.Helper()
	p, err := NewPolicy(entries...)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCheckURL(t *testing.T) {
	strict := mustPolicy(t)
	for _, c := range []struct {
		url  string
		want string // "" accepted, else a part of the English message
	}{
		{"https://alert.cma.gov.cn/cap/index.atom", ""},
		{"HTTPS://Alert.Example.org:8443/feed?x=1", ""},
		{"https://8.8.8.8/feed", ""},
		{"https://[2400:3200::1]/feed", ""},
		{"https://张掖.中国/预警.atom", ""},
		{"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7xxx", ""},
		{"https://a_b.example.org/", ""},

		{"http://alert.example.org/feed", "only https is allowed"},
		{"ftp://alert.example.org/feed", `not "ftp:"`},
		{"file:///etc/passwd", `not "file:"`},
		{"gopher://127.0.0.1:6379/_FLUSHALL", `not "gopher:"`},
		{"//alert.example.org/feed", `not ":"`},
		{"https:alert.example.org", "names no host"},
		{"https:///feed", "names no host"},
		{"https://user:secret@alert.example.org/", "user name or password"},
		{"https://user@alert.example.org/", "user name or password"},
		{"https://alert.example.org:0/", `port "0"`},
		{"https://alert.example.org:99999/", `port "99999"`},
		{"https://exa mple.org/", "cannot be read"},
		// Parser confusion: what each part really is, as Go reads it.
		{"https://alert.example.org:443@127.0.0.1/", "user name or password"},
		{"https://alert.example.org%2f@127.0.0.1/", "user name or password"},
		{"https://127.0.0.1#@alert.example.org/", "loopback"},
		{`https://127.0.0.1\@alert.example.org/`, "cannot be read"},
		{"https://%31%32%37.0.0.1/", "cannot be read"},
		{"https://alert.example.org/" + strings.Repeat("a", MaxURLBytes), "too long"},

		{"https://127.0.0.1/", "127.0.0.1 are not allowed: it is a loopback address"},
		{"https://127.8.9.10:8443/", "127.8.9.10:8443 are not allowed: it is a loopback"},
		{"https://10.1.2.3/", "private"},
		{"https://172.16.0.1/", "private"},
		{"https://172.31.255.255/", "private"},
		{"https://192.168.1.1/", "private"},
		{"https://169.254.169.254/latest/meta-data/", "link-local"},
		{"https://100.100.100.200/latest/meta-data/", "carrier-grade NAT"},
		{"https://100.64.0.1/", "carrier-grade NAT"},
		{"https://0.0.0.0/", "unspecified"},
		{"https://0.1.2.3/", "this network"},
		{"https://224.0.0.1/", "multicast"},
		{"https://255.255.255.255/", "reserved"},
		{"https://198.18.0.1/", "reserved"},
		{"https://[::1]/", "loopback"},
		{"https://[::]/", "unspecified"},
		{"https://[::ffff:127.0.0.1]/", "loopback"},
		{"https://[::ffff:7f00:1]/", "loopback"},
		{"https://[::ffff:169.254.169.254]/", "link-local"},
		{"https://[::127.0.0.1]/", "reserved"},
		{"https://[fc00::1]/", "private"},
		{"https://[fd12:3456::1]/", "private"},
		{"https://[fec0::1]/", "private"},
		{"https://[fe80::1%25eth0]/", "link-local"},
		{"https://[ff02::1]/", "multicast"},
		{"https://[64:ff9b::a9fe:a9fe]/", "link-local"}, // NAT64 of 169.254.169.254
		{"https://[2002:7f00:1::]/", "loopback"},        // 6to4 of 127.0.0.1

		// Numbers that the C library (inet_aton) and URL parsers read as
		// IPv4 addresses, while Go would send them to DNS.
		{"https://0x7f.1/", "non-standard way of writing the IP address 127.0.0.1"},
		{"https://2130706433/", "non-standard way of writing the IP address 127.0.0.1"},
		{"https://0177.0.0.1/", "non-standard way of writing the IP address 127.0.0.1"},
		{"https://127.1/", "non-standard way of writing the IP address 127.0.0.1"},
		{"https://0x7f000001/", "non-standard way of writing the IP address 127.0.0.1"},
		{"https://0xa9fea9fe/", "non-standard way of writing the IP address 169.254.169.254"},
		{"https://134744072/", "non-standard way of writing the IP address 8.8.8.8"},
		{"https://1.2.3.4.5/", "neither a valid IP address nor a valid host name"},
		{"https://08.1/", "neither a valid IP address nor a valid host name"},

		{"https://localhost/", "localhost always names this machine"},
		{"https://LOCALHOST./", "localhost always names this machine"},
		{"https://feeds.localhost:8443/", "localhost always names this machine"},
		{"https://ｌｏｃａｌｈｏｓｔ/", "localhost always names this machine"},  // full-width letters map to localhost
		{"https://１２７．０．０．１/", "the IP address 127.0.0.1, a loopback"}, // full-width digits and dots
		{"https://-bad-.example.org/", "not a valid host name"},
		{"https://a..b/", "not a valid host name"},
		{"https://" + strings.Repeat("a", 64) + ".org/", "not a valid host name"},
	} {
		err := strict.CheckURL(c.url)
		if c.want == "" {
			if err != nil {
				t.Errorf("%s refused: %v", c.url, err)
			}
			continue
		}
		var e *backstop.Error
		if !errors.As(err, &e) || e.Code != backstop.EINVALID || e.ZH == "" || !strings.Contains(e.Message, c.want) {
			t.Errorf("%s: %v; want EINVALID with a Chinese text and %q", c.url, err, c.want)
		}
	}
}

func TestCheckURLMessages(t *testing.T) {
	err := mustPolicy(t).CheckURL("http://127.0.0.1:9000/feed")
	if zh := backstop.ErrorMessageZH(err); zh != "不允许访问 127.0.0.1:9000：只允许 https；http 仅限出站允许列表中的主机。可信的内网主机可由管理员加入 BACKSTOP_OUTBOUND_ALLOW (--outbound-allow)。" {
		t.Errorf("zh: %s", zh)
	}
	// The allow-list cannot help with user info: no hint at it.
	err = mustPolicy(t).CheckURL("https://robot:secret@qyapi.weixin.qq.com/cgi-bin/webhook/send")
	if zh, en := backstop.ErrorMessageZH(err), backstop.ErrorMessage(err); zh != "网址（主机 qyapi.weixin.qq.com）不可用：网址不能包含用户名或密码。" ||
		en != "The URL (host qyapi.weixin.qq.com) is refused: the URL must not carry a user name or password." {
		t.Errorf("user info: %s / %s", zh, en)
	}
	err = mustPolicy(t).CheckURL("https://169.254.169.254/latest/meta-data/")
	if zh, en := backstop.ErrorMessageZH(err), backstop.ErrorMessage(err); !strings.Contains(zh, "169.254.169.254：这是链路本地地址（云服务器的元数据服务") ||
		!strings.Contains(en, "Requests to 169.254.169.254 are not allowed: it is a link-local address") {
		t.Errorf("metadata address: %s / %s", zh, en)
	}
}

func TestCheckURLAllowList(t *testing.T) {
	p := mustPolicy(t, "127.0.0.1:8080", "LocalHost", "[::1]:9000", "fd00::5", "feeds.intranet.local.:81")
	for _, c := range []struct {
		url string
		ok  bool
	}{
		{"http://127.0.0.1:8080/feed", true},
		{"https://127.0.0.1:8080/feed", true},
		{"http://127.0.0.1:8081/feed", false},      // another port
		{"https://127.0.0.1/feed", false},          // 443
		{"http://[::ffff:127.0.0.1]:8080/", false}, // the same address written otherwise is not the host allowed
		{"http://localhost/", true},
		{"http://localhost:5000/", true},
		{"http://LOCALHOST.:5000/", true},
		{"http://[::1]:9000/", true},
		{"http://[0:0::1]:9000/", true},
		{"http://[::1]:9001/", false},
		{"http://[fd00::5]:1234/", true},
		{"http://feeds.intranet.local:81/", true},
		{"http://feeds.intranet.local:82/", false},
		{"http://user:pw@127.0.0.1:8080/", false}, // allow-listed, yet no user info
		{"ftp://127.0.0.1:8080/", false},
	} {
		if err := p.CheckURL(c.url); (err == nil) != c.ok {
			t.Errorf("%s: %v, want ok=%v", c.url, err, c.ok)
		}
	}
}

func TestParseAllow(t *testing.T) {
	p, err := ParseAllow(" 127.0.0.1:8080, ,gateway.intranet ,[::1]:9000,::2 ")
	if err != nil {
		t.Fatal(err)
	}
	if p.String() != "127.0.0.1:8080,gateway.intranet,[::1]:9000,::2" || !p.Allowed("gateway.intranet", "1") || !p.Allowed("::2", "80") || p.Allowed("127.0.0.1", "80") {
		t.Errorf("parsed %s", p)
	}
	if p, err := ParseAllow(""); err != nil || p.Allowed("127.0.0.1", "80") || p.String() != "(none)" {
		t.Errorf("empty list: %v %s", err, p)
	}
	for entry, want := range map[string]string{
		"http://127.0.0.1:8080":  "not a URL",
		"10.0.0.0/8":             "not a URL or a network range",
		"*.example.org":          "wildcards are not supported",
		"127.0.0.1:http":         `port "http"`,
		"127.0.0.1:0":            `port "0"`,
		"host:1:2:3":             "not a valid host name",
		"[::1":                   "cannot be read as host:port",
		"0x7f.1":                 "non-standard way of writing the IP address 127.0.0.1",
		strings.Repeat("a", 301): "too long",
	} {
		_, err := ParseAllow("gateway.intranet," + entry)
		var e *backstop.Error
		if !errors.As(err, &e) || e.Code != backstop.EINVALID || !strings.Contains(e.Message, "entry 2") || !strings.Contains(e.Message, want) || !strings.Contains(e.ZH, "第 2 项") {
			t.Errorf("%q: %v; want EINVALID naming entry 2 and %q", entry, err, want)
		}
	}
	if _, err := ParseAllow(strings.Repeat("a.example,", MaxAllowEntries+1)); !strings.Contains(backstop.ErrorMessage(err), "the limit is 256") {
		t.Errorf("too many entries: %v", err)
	}
}

func TestLegacyIPv4(t *testing.T) {
	for in, want := range map[string]string{
		"0x7f.1": "127.0.0.1", "2130706433": "127.0.0.1", "0177.0.0.1": "127.0.0.1", "127.1": "127.0.0.1",
		"0x7f000001": "127.0.0.1", "017700000001": "127.0.0.1", "10.0x10.1": "10.16.0.1", "0": "0.0.0.0", "0x": "0.0.0.0",
		"256.1": "", "1.2.3.4.5": "", "08": "", "1.2.3.256": "", "4294967296": "", "1.16777216": "", "1..2": "",
	} {
		a, ok := legacyIPv4(in)
		if (want == "" && ok) || (want != "" && (!ok || a.String() != want)) {
			t.Errorf("%s read as %v %v, want %q", in, a, ok, want)
		}
	}
}

func TestForbidden(t *testing.T) {
	for _, s := range []string{"1.1.1.1", "8.8.8.8", "114.114.114.114", "100.63.255.255", "100.128.0.0", "172.32.0.1", "192.0.2.1",
		"2400:3200::1", "2001:4860:4860::8888", "::ffff:8.8.8.8", "64:ff9b::808:808", "2002:808:808::1"} {
		if why := Forbidden(netip.MustParseAddr(s)); why != nil {
			t.Errorf("%s forbidden: %s", s, why.EN)
		}
	}
	for s, want := range map[string]*Reason{"127.0.0.1": whyLoopback, "::ffff:10.0.0.1": whyPrivate, "64:ff9b::7f00:1": whyLoopback,
		"64:ff9b:1::1": whyPrivate, "fe80::1%eth0": whyLinkLocal, "100::1": whyReserved, "239.1.1.1": whyMulticast, "ff05::2": whyMulticast} {
		if why := Forbidden(netip.MustParseAddr(s)); why != want {
			t.Errorf("%s: %v, want %s", s, why, want.EN)
		}
	}
}

// server is an httptest server that counts the connections it got.
type server struct {
	*httptest.Server
	conns atomic.Int32
	hits  atomic.Int32
}

func newServer(t *testing.T, tls bool, h http.HandlerFunc) *server {
	s := &server{}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		h(w, r)
	}))
	s.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			s.conns.Add(1)
		}
	}
	if tls {
		s.StartTLS()
	} else {
		s.Start()
	}
	t.Cleanup(s.Close)
	return s
}

func (s *server) hostPort() string {
	return strings.TrimPrefix(strings.TrimPrefix(s.URL, "http://"), "https://")
}

func (s *server) port() string { _, p, _ := net.SplitHostPort(s.hostPort()); return p }

func ok(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "feed") }

// trusting makes a client of p trust the test server's certificate.
func trusting(p *Policy, s *server) *http.Client {
	c := p.Client(5 * time.Second)
	c.Transport.(*transport).next.TLSClientConfig = s.Client().Transport.(*http.Transport).TLSClientConfig.Clone()
	return c
}

func get(c *http.Client, u string) (string, error) {
	resp, err := c.Get(u)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

func refusal(err error) *Refusal {
	var r *Refusal
	errors.As(err, &r)
	return r
}

func TestClientAllowList(t *testing.T) {
	plain, tls := newServer(t, false, ok), newServer(t, true, ok)
	// Without an allow-list: http is refused before any connection, https
	// at connect time (127.0.0.1 is loopback); neither server is reached.
	if _, err := get(mustPolicy(t).Client(5*time.Second), plain.URL); !IsRefused(err) || !strings.Contains(err.Error(), "only https") {
		t.Errorf("http to 127.0.0.1 without allow-list: %v", err)
	}
	if _, err := get(trusting(mustPolicy(t), tls), tls.URL); !IsRefused(err) || refusal(err).Addr != netip.MustParseAddr("127.0.0.1") {
		t.Errorf("https to 127.0.0.1 without allow-list: %v", err)
	}
	var nilPolicy *Policy
	if _, err := get(nilPolicy.Client(5*time.Second), plain.URL); !IsRefused(err) {
		t.Errorf("nil policy: %v", err)
	}
	if plain.conns.Load() != 0 || tls.conns.Load() != 0 {
		t.Fatalf("refused requests reached the servers: %d, %d connections", plain.conns.Load(), tls.conns.Load())
	}
	// With the servers' host:port on the allow-list both are reached.
	p := mustPolicy(t, plain.hostPort(), tls.hostPort())
	if body, err := get(p.Client(5*time.Second), plain.URL+"/feed"); err != nil || body != "feed" {
		t.Errorf("allowed http: %q %v", body, err)
	}
	if body, err := get(trusting(p, tls), tls.URL+"/feed"); err != nil || body != "feed" {
		t.Errorf("allowed https: %q %v", body, err)
	}
	// The host as the URL names it is what is allowed: localhost is
	// another host than 127.0.0.1, and resolves to loopback.
	if _, err := get(p.Client(5*time.Second), "https://localhost:"+tls.port()+"/"); !IsRefused(err) {
		t.Errorf("localhost with 127.0.0.1 allowed: %v", err)
	}
	if plain.hits.Load() != 1 || tls.hits.Load() != 1 {
		t.Errorf("hits %d, %d; want 1 each", plain.hits.Load(), tls.hits.Load())
	}
}

// fakeDNS is a DNS server that answers every A question with addr: a
// hostile name, or one rebound after it was checked.
func fakeDNS(t *testing.T, addr string) *net.Resolver {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	a := netip.MustParseAddr(addr).As4()
	go func() {
		buf := make([]byte, 1500)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			var p dnsmessage.Parser
			h, err := p.Start(buf[:n])
			if err != nil {
				continue
			}
			q, err := p.Question()
			if err != nil {
				continue
			}
			b := dnsmessage.NewBuilder(nil, dnsmessage.Header{ID: h.ID, Response: true, Authoritative: true})
			b.StartQuestions()
			b.Question(q)
			b.StartAnswers()
			if q.Type == dnsmessage.TypeA {
				b.AResource(dnsmessage.ResourceHeader{Name: q.Name, Class: dnsmessage.ClassINET, TTL: 0}, dnsmessage.AResource{A: a})
			}
			out, _ := b.Finish()
			pc.WriteTo(out, from)
		}
	}()
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "udp", pc.LocalAddr().String())
	}}
}

func TestResolvedAddressChecked(t *testing.T) {
	tls := newServer(t, true, ok)
	p := mustPolicy(t)
	p.resolver = fakeDNS(t, "127.0.0.1")
	// The name passes the URL check (it is a name), and is refused at
	// connect time for what it resolves to.
	u := "https://feeds.example.org:" + tls.port() + "/index.atom"
	if err := p.CheckURL(u); err != nil {
		t.Fatalf("check: %v", err)
	}
	_, err := get(trusting(p, tls), u)
	if r := refusal(err); r == nil || r.Addr != netip.MustParseAddr("127.0.0.1") || !strings.Contains(err.Error(), "resolves to 127.0.0.1, a loopback address") {
		t.Errorf("name resolving to 127.0.0.1: %v", err)
	}
	if tls.conns.Load() != 0 {
		t.Errorf("the server got %d connections", tls.conns.Load())
	}
	// localhost, resolved by the system (/etc/hosts), at the dialer itself.
	d := &dialer{policy: mustPolicy(t)}
	if c, err := d.DialContext(context.Background(), "tcp", "localhost:"+tls.port()); refusal(err) == nil || !refusal(err).Addr.IsLoopback() {
		t.Errorf("dial localhost: %v", err)
		if c != nil {
			c.Close()
		}
	}
	// The metadata address behind a name: refused without a packet sent.
	meta := mustPolicy(t)
	meta.resolver = fakeDNS(t, "169.254.169.254")
	if _, err := get(meta.Client(5*time.Second), "https://metadata.example.org/latest/meta-data/"); !IsRefused(err) || !strings.Contains(err.Error(), "link-local") {
		t.Errorf("name resolving to the metadata address: %v", err)
	}
	if tls.conns.Load() != 0 {
		t.Errorf("the server got %d connections", tls.conns.Load())
	}
}

func TestRedirects(t *testing.T) {
	target := newServer(t, true, ok)
	var allowed *server
	allowed = newServer(t, false, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/to-name":
			http.Redirect(w, r, "https://feeds.example.org:"+target.port()+"/", http.StatusFound)
		case "/to-loopback":
			http.Redirect(w, r, target.URL+"/", http.StatusFound)
		case "/to-http":
			http.Redirect(w, r, "http://"+target.hostPort()+"/", http.StatusFound)
		case "/to-mapped":
			http.Redirect(w, r, "http://[::ffff:127.0.0.1]:"+allowed.port()+"/ok", http.StatusFound)
		case "/to-metadata":
			http.Redirect(w, r, "http://169.254.169.254/latest/meta-data/", http.StatusFound)
		case "/loop":
			http.Redirect(w, r, "/loop", http.StatusFound)
		case "/hop":
			http.Redirect(w, r, "/ok", http.StatusMovedPermanently)
		default:
			io.WriteString(w, "feed")
		}
	})
	p := mustPolicy(t, allowed.hostPort())
	p.resolver = fakeDNS(t, "127.0.0.1")
	c := trusting(p, target)
	for path, want := range map[string]string{
		"/to-name":     "resolves to 127.0.0.1, a loopback address",
		"/to-loopback": "it is a loopback address",
		"/to-http":     "only https is allowed",
		"/to-mapped":   "only https is allowed",
		"/to-metadata": "only https is allowed",
	} {
		_, err := get(c, allowed.URL+path)
		if !IsRefused(err) || !strings.Contains(err.Error(), want) {
			t.Errorf("redirect %s: %v; want refused, %q", path, err, want)
		}
	}
	if target.conns.Load() != 0 {
		t.Errorf("redirects reached the forbidden server: %d connections", target.conns.Load())
	}
	if body, err := get(c, allowed.URL+"/hop"); err != nil || body != "feed" {
		t.Errorf("redirect within the allowed host: %q %v", body, err)
	}
	before := allowed.hits.Load()
	if _, err := get(c, allowed.URL+"/loop"); err == nil || !strings.Contains(err.Error(), fmt.Sprintf("stopped after %d redirects", MaxRedirects)) {
		t.Errorf("redirect loop: %v", err)
	}
	if n := allowed.hits.Load() - before; n != MaxRedirects {
		t.Errorf("redirect loop: %d requests, want %d", n, MaxRedirects)
	}
}

// TestAddressForms: other spellings of 127.0.0.1. Go itself reads
// [::ffff:127.0.0.1] as 127.0.0.1 and connects there (shown below with an
// unguarded client). It does not read 0x7f.1, 2130706433, 0177.0.0.1 or
// 127.1 as addresses: its own resolver asks DNS for 0x7f.1 and refuses
// all-digit names without asking ("no such host"), while the C library's
// getaddrinfo (the cgo resolver, GODEBUG=netdns=cgo) reads every one of
// them as 127.0.0.1, as inet_aton does. The guard refuses each form
// before a connection, even with 127.0.0.1 itself on the allow-list, and
// at connect time when whatever resolves a name answers 127.0.0.1.
func TestAddressForms(t *testing.T) {
	srv := newServer(t, false, ok)
	port := srv.port()
	resp, err := http.Get("http://[::ffff:127.0.0.1]:" + port + "/")
	if err != nil || srv.conns.Load() != 1 {
		t.Fatalf("unguarded client to [::ffff:127.0.0.1]: %v, %d connections (want 1: Go connects to 127.0.0.1)", err, srv.conns.Load())
	}
	resp.Body.Close()
	p := mustPolicy(t, "127.0.0.1:"+port)
	c := p.Client(5 * time.Second)
	for _, host := range []string{"[::ffff:127.0.0.1]", "[::ffff:7f00:1]", "0x7f.1", "2130706433", "0177.0.0.1", "127.1", "0x7f000001", "017700000001", "[::1]"} {
		for _, scheme := range []string{"http", "https"} {
			u := scheme + "://" + host + ":" + port + "/"
			if _, err := get(c, u); !IsRefused(err) {
				t.Errorf("%s: %v, want refused", u, err)
			}
			if err := p.CheckURL(u); backstop.ErrorCode(err) != backstop.EINVALID {
				t.Errorf("check %s: %v", u, err)
			}
		}
	}
	if srv.conns.Load() != 1 {
		t.Errorf("the guarded client reached the server: %d connections", srv.conns.Load())
	}
	// Below the URL check: a resolver that reads 0x7f.1 as 127.0.0.1.
	q := mustPolicy(t)
	q.resolver = fakeDNS(t, "127.0.0.1")
	d := &dialer{policy: q, net: net.Dialer{Resolver: q.resolver}}
	for _, addr := range []string{"0x7f.1:" + port, "[::ffff:127.0.0.1]:" + port, "[::ffff:7f00:1]:" + port} {
		if c, err := d.DialContext(context.Background(), "tcp", addr); refusal(err) == nil || !refusal(err).Addr.IsLoopback() {
			t.Errorf("dial %s: %v, want refused", addr, err)
			if c != nil {
				c.Close()
			}
		}
	}
	if srv.conns.Load() != 1 {
		t.Errorf("the dialer reached the server: %d connections", srv.conns.Load())
	}
}

func TestRefusedBodyClosed(t *testing.T) {
	body := &closeRecorder{Reader: strings.NewReader("{}")}
	req, _ := http.NewRequest(http.MethodPost, "http://127.0.0.1:1/", body)
	if _, err := mustPolicy(t).Client(time.Second).Do(req); !IsRefused(err) || !body.closed {
		t.Errorf("refused POST: %v, body closed %v", err, body.closed)
	}
	var ue *url.Error
	if _, err := mustPolicy(t).Client(time.Second).Get("https://10.0.0.1/"); !errors.As(err, &ue) || !IsRefused(err) {
		t.Errorf("refusal not reported as the request's error: %v", err)
	}
}

type closeRecorder struct {
	io.Reader
	closed bool
}

func (c *closeRecorder) Close() error { c.closed = true; return nil }
