package httpx

import (
	"fmt"
	"net/http/httptest"
	"testing"
	"time"
)

// clock is a settable time for the limiters of a guard.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func guardAt(c *clock) *LoginGuard {
	g := NewLoginGuard()
	for _, l := range []*RateLimiter{g.addrs, g.nameAddrs, g.names} {
		l.now = c.now
	}
	return g
}

// fail runs an attempt that the password check refuses; it reports
// whether the guard let the attempt be checked.
func fail(g *LoginGuard, addr, name string) bool {
	a, _, err := g.Begin(addr, name)
	if err != nil {
		return false
	}
	a.Failed()
	return true
}

func TestLoginGuardPerAddressAndName(t *testing.T) {
	c := &clock{t: time.Date(2025, 7, 1, 8, 30, 0, 0, time.UTC)}
	g := guardAt(c)
	// Five failures per name from one address, then refused; another
	// address still gets its attempts checked for the same name.
	for i := range 5 {
		if !fail(g, "10.0.0.1", "town") {
			t.Fatalf("attempt %d refused", i+1)
		}
	}
	_, wait, err := g.Begin("10.0.0.1", "town")
	if err == nil || wait <= 0 || wait > time.Minute {
		t.Errorf("sixth failure from the same address: err %v, wait %s; want refused for up to a minute", err, wait)
	}
	if !fail(g, "10.0.0.2", "town") {
		t.Error("one address locked the name for another")
	}
	// After a minute, one more try.
	c.t = c.t.Add(61 * time.Second)
	if !fail(g, "10.0.0.1", "town") {
		t.Error("no attempt a minute later")
	}
	// Per address, whatever the name: 30 failures, then refused.
	g = guardAt(c)
	for i := range 30 {
		if !fail(g, "192.0.2.7", fmt.Sprintf("user%d", i)) {
			t.Fatalf("attempt %d on a new name refused", i+1)
		}
	}
	if fail(g, "192.0.2.7", "yet-another-name") {
		t.Error("31st failure from one address on a new name was checked")
	}
	// An IPv6 client is limited by its /64: changing the low bits does
	// not give it new tokens.
	g = guardAt(c)
	for i := range 30 {
		fail(g, fmt.Sprintf("2001:db8:1:2::%x", i+1), fmt.Sprintf("n%d", i))
	}
	if fail(g, "2001:db8:1:2:ffff::1", "fresh") {
		t.Error("a new address in the same /64 got a fresh limit")
	}
	if !fail(g, "2001:db8:1:3::1", "fresh") {
		t.Error("another /64 was limited")
	}
}

func TestLoginGuardSuccessCostsNothing(t *testing.T) {
	c := &clock{t: time.Date(2025, 7, 1, 8, 30, 0, 0, time.UTC)}
	g := guardAt(c)
	// Thirty officers behind one NAT address sign in, many times each:
	// correct passwords give their tokens back.
	for i := range 300 {
		a, _, err := g.Begin("203.0.113.9", fmt.Sprintf("officer%d", i%30))
		if err != nil {
			t.Fatalf("sign-in %d refused: %v", i+1, err)
		}
		a.Succeeded()
	}
	// A busy server did not check the password: the name's limits are
	// not spent (five real failures still get checked after ten busy
	// answers), but the address's are, so that one address cannot keep
	// the server busy for everyone.
	for i := range 10 {
		a, _, err := g.Begin("203.0.113.10", "town")
		if err != nil {
			t.Fatalf("attempt %d after busy answers refused: %v", i+1, err)
		}
		a.NotChecked()
	}
	for i := range 5 {
		if !fail(g, "203.0.113.10", "town") {
			t.Fatalf("failure %d after busy answers refused", i+1)
		}
	}
	if fail(g, "203.0.113.10", "town") {
		t.Error("sixth failure checked")
	}
	for i := 0; ; i++ {
		a, _, err := g.Begin("203.0.113.10", fmt.Sprintf("n%d", i))
		if err != nil {
			if i != 30-10-5 {
				t.Errorf("address refused after %d more busy answers, want 15", i)
			}
			break
		}
		a.NotChecked()
	}
}

func TestLoginGuardInflight(t *testing.T) {
	g := NewLoginGuard()
	a1, _, err1 := g.Begin("192.0.2.1", "a")
	_, _, err2 := g.Begin("192.0.2.1", "b")
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	if _, _, err := g.Begin("192.0.2.1", "c"); err == nil {
		t.Error("a third sign-in of one address at once was let through")
	}
	if a, _, err := g.Begin("192.0.2.2", "c"); err != nil {
		t.Error("another address waited for the first")
	} else {
		a.Failed()
	}
	a1.Succeeded()
	if _, _, err := g.Begin("192.0.2.1", "c"); err != nil {
		t.Errorf("after one ended: %v", err)
	}
}

func TestLoginGuardNoLockout(t *testing.T) {
	c := &clock{t: time.Date(2025, 7, 1, 8, 30, 0, 0, time.UTC)}
	g := guardAt(c)
	// A crowd of addresses fails on one name until its shared bucket
	// (50) is empty.
	for i := range 50 {
		if !fail(g, fmt.Sprintf("198.51.100.%d", i+1), "town") {
			t.Fatalf("attempt %d refused", i+1)
		}
	}
	// An address that has failed on the name is refused now, although
	// its own per-name bucket has four tries left.
	if fail(g, "198.51.100.1", "town") {
		t.Error("a repeat address was checked while the name is under attack")
	}
	// A new address is still checked: the owner, with the right
	// password, gets in, and that costs the crowd's bucket nothing.
	a, _, err := g.Begin("172.16.5.5", "town")
	if err != nil {
		t.Fatalf("a new address was locked out of the name: %v", err)
	}
	a.Succeeded()
	// Other names are not affected.
	if !fail(g, "198.51.100.1", "other") {
		t.Error("an attack on one name limited another name from the same address")
	}
}

func TestRateLimiterBoundedKeys(t *testing.T) {
	l := NewRateLimiter(1, 5)
	l.maxKeys = 100
	for i := range 10_000 {
		l.Allow(fmt.Sprintf("k%d", i))
		if len(l.buckets) > l.maxKeys {
			t.Fatalf("%d keys kept, at most %d", len(l.buckets), l.maxKeys)
		}
	}
}

func TestTrustedProxies(t *testing.T) {
	if _, err := ParseTrustedProxies("10.0.0.0/8, nonsense"); err == nil {
		t.Error("a bad entry was accepted")
	}
	p, err := ParseTrustedProxies("127.0.0.1, 10.0.0.0/8, fd00::/8")
	if err != nil {
		t.Fatal(err)
	}
	if got := p.String(); got != "127.0.0.1/32,10.0.0.0/8,fd00::/8" {
		t.Errorf("String() = %q", got)
	}
	for _, c := range []struct {
		name, peer string
		xff        []string
		realIP     string
		want       string
	}{
		{"untrusted peer's headers are ignored", "203.0.113.5:4000", []string{"1.2.3.4"}, "5.6.7.8", "203.0.113.5"},
		{"no proxies trusted", "203.0.113.5:4000", nil, "", "203.0.113.5"},
		{"trusted proxy, one hop", "127.0.0.1:5000", []string{"198.51.100.7"}, "", "198.51.100.7"},
		{"a client's own X-Forwarded-For to the left is ignored", "127.0.0.1:5000", []string{"6.6.6.6, 198.51.100.7"}, "", "198.51.100.7"},
		{"chain of trusted proxies is skipped", "127.0.0.1:5000", []string{"198.51.100.7, 10.1.2.3", "10.9.9.9"}, "", "198.51.100.7"},
		{"entry with a port", "127.0.0.1:5000", []string{"198.51.100.7:61000"}, "", "198.51.100.7"},
		{"IPv6 entry with a port", "127.0.0.1:5000", []string{"[2001:db8::7]:443"}, "", "2001:db8::7"},
		{"garbage ends the walk at the proxy that added it", "127.0.0.1:5000", []string{"not-an-ip, 10.1.2.3"}, "", "10.1.2.3"},
		{"all hops trusted", "127.0.0.1:5000", []string{"10.1.2.3"}, "", "10.1.2.3"},
		{"X-Real-IP without X-Forwarded-For", "[fd00::1]:5000", nil, "198.51.100.8", "198.51.100.8"},
		{"bad X-Real-IP falls back to the peer", "127.0.0.1:5000", nil, "x", "127.0.0.1"},
		{"IPv4-mapped peer", "[::ffff:127.0.0.1]:5000", []string{"198.51.100.9"}, "", "198.51.100.9"},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = c.peer
		for _, v := range c.xff {
			r.Header.Add("X-Forwarded-For", v)
		}
		if c.realIP != "" {
			r.Header.Set("X-Real-IP", c.realIP)
		}
		proxies := p
		if c.name == "no proxies trusted" {
			proxies = nil
		}
		if got := proxies.Client(r); got != c.want {
			t.Errorf("%s: client %q, want %q", c.name, got, c.want)
		}
	}
}
