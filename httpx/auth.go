package httpx

import (
	"net"
	"net/http"
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
	// Logins limits password attempts per client address and user name.
	Logins *RateLimiter
}

// ClientAddr is the remote address of a request without the port.
func ClientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func (a *Auth) secure(r *http.Request) bool { return a.Secure || r.TLS != nil }

// UserOf authenticates a request; it returns nil without credentials and an
// error for bad ones.
func (a *Auth) UserOf(r *http.Request) (*backstop.User, error) {
	ctx := r.Context()
	if h := r.Header.Get("Authorization"); h != "" {
		token, ok := strings.CutPrefix(h, "Bearer ")
		if !ok {
			return nil, backstop.Errorf(backstop.EUNAUTHORIZED, "Authorization must be \"Bearer <token>\".")
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

// Login checks a password and starts a session cookie.
func (a *Auth) Login(w http.ResponseWriter, r *http.Request, name, password string) (*backstop.User, error) {
	key := ClientAddr(r) + "|" + name
	if !a.Logins.Allow(key) {
		return nil, backstop.Localized(backstop.ERATELIMIT, "登录尝试过多，请稍后再试", "Too many sign-in attempts; try again in a minute.")
	}
	u, err := a.Users.Authenticate(r.Context(), name, password)
	if err != nil {
		return nil, err
	}
	secret, err := a.Users.CreateSession(r.Context(), u.ID, a.SessionTTL)
	if err != nil {
		return nil, err
	}
	c := &http.Cookie{Name: SessionCookie, Value: secret, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode, MaxAge: int(a.SessionTTL.Seconds())}
	if a.secure(r) {
		c.Name, c.Secure = secureSessionCookie, true
	}
	http.SetCookie(w, c)
	u.Via, u.Addr = "session", ClientAddr(r)
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

// RateLimiter is a token bucket per key, with idle keys forgotten.
type RateLimiter struct {
	mu      sync.Mutex
	rate    float64 // tokens per second
	burst   float64
	buckets map[string]*bucket
	last    time.Time
	now     func() time.Time
}

type bucket struct {
	tokens float64
	at     time.Time
}

// NewRateLimiter allows burst requests at once and rate per second after.
func NewRateLimiter(rate float64, burst int) *RateLimiter {
	return &RateLimiter{rate: rate, burst: float64(burst), buckets: map[string]*bucket{}, now: time.Now}
}

// Allow takes a token for key, if one is left.
func (l *RateLimiter) Allow(key string) bool {
	if l == nil {
		return true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if now.Sub(l.last) > time.Minute {
		for k, b := range l.buckets {
			if now.Sub(b.at).Seconds()*l.rate > l.burst {
				delete(l.buckets, k)
			}
		}
		l.last = now
	}
	b, ok := l.buckets[key]
	if !ok {
		b = &bucket{tokens: l.burst, at: now}
		l.buckets[key] = b
	}
	b.tokens = min(l.burst, b.tokens+now.Sub(b.at).Seconds()*l.rate)
	b.at = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}
