package httpx

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/zhangye-backstop/backstop"
)

// Cookie names: with Secure cookies the __Host- prefix binds the cookie to
// this host and path /.
const (
	SessionCookie       = "backstop_session"
	secureSessionCookie = "__Host-backstop_session"
)

// Auth finds the user of a request from its session cookie or bearer token.
type Auth struct {
	Users backstop.UserService
	// Secure sets the Secure flag on the session cookie: always when true,
	// and for requests that arrived over TLS in any case.
	Secure     bool
	SessionTTL time.Duration
	// Logins limits password checks per client address and user name.
	Logins *LoginGuard
}

// ClientAddr is the address of the client of a request without the port:
// the one TrustedProxies.Handler found behind a trusted reverse proxy, or
// the direct peer.
func ClientAddr(r *http.Request) string {
	if a, ok := r.Context().Value(clientAddrKey{}).(string); ok {
		return a
	}
	return peerAddr(r)
}

func peerAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

type clientAddrKey struct{}

// TrustedProxies are the reverse proxies whose X-Forwarded-For and
// X-Real-IP headers are believed. A request from anywhere else is from
// its direct peer, whatever its headers say: otherwise any client could
// choose the address that the sign-in limits and the audit trail see.
type TrustedProxies struct {
	nets []netip.Prefix
}

// ParseTrustedProxies reads comma-separated CIDRs or single addresses
// (--trusted-proxies, BACKSTOP_TRUSTED_PROXIES); empty trusts none.
func ParseTrustedProxies(s string) (*TrustedProxies, error) {
	p := &TrustedProxies{}
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		if pfx, err := netip.ParsePrefix(item); err == nil {
			p.nets = append(p.nets, pfx.Masked())
			continue
		}
		a, err := netip.ParseAddr(item)
		if err != nil {
			return nil, backstop.Localized(backstop.EINVALID, "可信代理“%s”不是 IP 地址或 CIDR 网段（如 10.0.0.0/8、192.168.1.10、fd00::/8）",
				"trusted proxy %q is not an IP address or CIDR (e.g. 10.0.0.0/8, 192.168.1.10, fd00::/8)", item)
		}
		a = a.Unmap()
		p.nets = append(p.nets, netip.PrefixFrom(a, a.BitLen()))
	}
	return p, nil
}

// String lists the trusted networks.
func (p *TrustedProxies) String() string {
	if p == nil {
		return ""
	}
	out := make([]string, len(p.nets))
	for i, n := range p.nets {
		out[i] = n.String()
	}
	return strings.Join(out, ",")
}

func (p *TrustedProxies) trusts(a netip.Addr) bool {
	if p == nil {
		return false
	}
	a = a.Unmap()
	for _, n := range p.nets {
		if n.Contains(a) {
			return true
		}
	}
	return false
}

// parseHop reads one X-Forwarded-For entry: an address, possibly with a
// port ("1.2.3.4:5678", "[2001:db8::1]:443").
func parseHop(s string) (netip.Addr, bool) {
	s = strings.TrimSpace(s)
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap(), true
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap(), true
	}
	return netip.Addr{}, false
}

// Client is the client address of a request. Only when the direct peer is
// trusted are the headers read: X-Forwarded-For from the right (the
// nearest hop), skipping trusted proxies, so that the first address no
// trusted proxy vouches for is the client and whatever a client wrote to
// the left of it is ignored; without it, X-Real-IP. An entry that is not
// an address ends the walk at the proxy that appended it.
func (p *TrustedProxies) Client(r *http.Request) string {
	peer := peerAddr(r)
	pa, ok := parseHop(peer)
	if !ok || !p.trusts(pa) {
		return peer
	}
	var hops []string
	for _, h := range r.Header.Values("X-Forwarded-For") {
		hops = append(hops, strings.Split(h, ",")...)
	}
	if len(hops) > 0 {
		last := pa
		for i := len(hops) - 1; i >= 0; i-- {
			a, ok := parseHop(hops[i])
			if !ok {
				return last.String()
			}
			if !p.trusts(a) {
				return a.String()
			}
			last = a
		}
		return last.String()
	}
	if a, ok := parseHop(r.Header.Get("X-Real-IP")); ok {
		return a.String()
	}
	return peer
}

// Handler finds each request's client address once, for ClientAddr.
func (p *TrustedProxies) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), clientAddrKey{}, p.Client(r))))
	})
}

func (a *Auth) secure(r *http.Request) bool { return a.Secure || r.TLS != nil }

// UserOf authenticates a request; it returns nil without credentials and an
// error for bad ones.
func (a *Auth) UserOf(r *http.Request) (*backstop.User, error) {
	ctx := r.Context()
	if h := r.Header.Get("Authorization"); h != "" {
		token, ok := strings.CutPrefix(h, "Bearer ")
		if !ok {
			return nil, backstop.Localized(backstop.EUNAUTHORIZED, "Authorization请求头应为“Bearer <令牌>”", "Authorization must be \"Bearer <token>\".")
		}
		u, err := a.Users.UserByToken(ctx, strings.TrimSpace(token))
		if err != nil {
			return nil, err
		}
		u.Addr = ClientAddr(r)
		return u, nil
	}
	for _, name := range []string{secureSessionCookie, SessionCookie} {
		if c, err := r.Cookie(name); err == nil && c.Value != "" {
			u, err := a.Users.UserBySession(ctx, c.Value)
			if err != nil {
				return nil, err
			}
			u.Addr = ClientAddr(r)
			return u, nil
		}
	}
	return nil, nil
}

// Login checks a password and starts a session cookie. The guard decides
// first whether the password may be checked at all.
func (a *Auth) Login(w http.ResponseWriter, r *http.Request, name, password string) (*backstop.User, error) {
	if name == "" || password == "" {
		return nil, backstop.Localized(backstop.EUNAUTHORIZED, "用户名或密码错误", "Wrong user name or password.")
	}
	addr := ClientAddr(r)
	attempt, wait, err := a.Logins.Begin(addr, name)
	if err != nil {
		w.Header().Set("Retry-After", retryAfter(wait))
		return nil, err
	}
	u, secret, err := a.Users.SignIn(r.Context(), name, password, addr, a.SessionTTL)
	switch {
	case err == nil:
		attempt.Succeeded()
	case backstop.ErrorCode(err) == backstop.EUNAUTHORIZED:
		attempt.Failed()
	default:
		attempt.NotChecked()
		if backstop.ErrorCode(err) == backstop.EUNAVAILABLE {
			w.Header().Set("Retry-After", "2")
		}
	}
	if err != nil {
		return nil, err
	}
	c := &http.Cookie{Name: SessionCookie, Value: secret, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode, MaxAge: int(a.SessionTTL.Seconds())}
	if a.secure(r) {
		c.Name, c.Secure = secureSessionCookie, true
	}
	http.SetCookie(w, c)
	return u, nil
}

// Logout ends the session of the request, if any.
func (a *Auth) Logout(w http.ResponseWriter, r *http.Request) {
	for _, name := range []string{secureSessionCookie, SessionCookie} {
		if c, err := r.Cookie(name); err == nil {
			a.Users.DeleteSession(r.Context(), c.Value)
			http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: name == secureSessionCookie})
		}
	}
}

// RateLimiter is a token bucket per key, with idle keys forgotten and at
// most maxKeys kept, so that a flood of new keys (addresses, names) cannot
// grow it without bound.
type RateLimiter struct {
	mu      sync.Mutex
	rate    float64 // tokens per second
	burst   float64
	maxKeys int
	buckets map[string]*bucket
	last    time.Time
	now     func() time.Time
}

type bucket struct {
	tokens float64
	at     time.Time
}

// defaultMaxKeys bounds a limiter's memory to a few megabytes.
const defaultMaxKeys = 1 << 16

// NewRateLimiter allows burst requests at once and rate per second after.
func NewRateLimiter(rate float64, burst int) *RateLimiter {
	return &RateLimiter{rate: rate, burst: float64(burst), maxKeys: defaultMaxKeys, buckets: map[string]*bucket{}, now: time.Now}
}

// sweep forgets keys whose buckets have refilled; the caller holds mu.
func (l *RateLimiter) sweep(now time.Time) {
	for k, b := range l.buckets {
		if now.Sub(b.at).Seconds()*l.rate+b.tokens >= l.burst {
			delete(l.buckets, k)
		}
	}
	l.last = now
}

// get returns key's bucket brought up to now; the caller holds mu.
func (l *RateLimiter) get(key string, now time.Time) *bucket {
	if now.Sub(l.last) > time.Minute {
		l.sweep(now)
	}
	b, ok := l.buckets[key]
	if !ok {
		if len(l.buckets) >= l.maxKeys {
			l.sweep(now)
			for k := range l.buckets {
				if len(l.buckets) < l.maxKeys {
					break
				}
				// Still full of active keys (a flood from many
				// addresses): forget one. What it loses is a limit on
				// its own attempts, which the password gate still bounds.
				delete(l.buckets, k)
			}
		}
		b = &bucket{tokens: l.burst, at: now}
		l.buckets[key] = b
	}
	b.tokens = min(l.burst, b.tokens+now.Sub(b.at).Seconds()*l.rate)
	b.at = now
	return b
}

// Allow takes a token for key, if one is left.
func (l *RateLimiter) Allow(key string) bool {
	if l == nil {
		return true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.get(key, l.now())
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// Refund gives key a token back (up to the burst).
func (l *RateLimiter) Refund(key string) {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.get(key, l.now())
	b.tokens = min(l.burst, b.tokens+1)
}

// Spent reports whether key has used a token that has not refilled yet.
func (l *RateLimiter) Spent(key string) bool {
	if l == nil {
		return false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[key]
	if !ok {
		return false
	}
	return b.tokens+l.now().Sub(b.at).Seconds()*l.rate < l.burst
}

// Wait is how long until key has a token again.
func (l *RateLimiter) Wait(key string) time.Duration {
	if l == nil {
		return 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.get(key, l.now())
	if b.tokens >= 1 || l.rate <= 0 {
		return 0
	}
	return time.Duration((1 - b.tokens) / l.rate * float64(time.Second))
}
