package httpx

import (
	"math"
	"net/netip"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/zhangye-backstop/backstop"
)

// LoginGuard decides which sign-in attempts get their password checked.
// Each check costs an argon2id computation (19 MiB, tens of milliseconds),
// so the limits come before it, and only failed checks spend them: a
// correct password gives its tokens back, so that a township office behind
// one NAT address where thirty people sign in at 8:30 is never limited.
//
// Three buckets, each spent by a failed check:
//   - per client address, whatever the name (IPv6 by /64): one address
//     cannot try many names, nor flood the server; an attempt the busy
//     server did not check spends it too, so that one address cannot keep
//     the password gate full for everyone;
//   - per name from one address: the usual "five tries, then one a
//     minute" for someone who forgot their password;
//   - per name from everywhere, with a much higher threshold. When it is
//     empty, only addresses that have already failed on the name are
//     refused; an address that has not gets its attempt checked. So a
//     crowd of addresses guessing at one name slows to the bucket's
//     refill, and still nobody can lock the name: its owner, signing in
//     with the right password from an address of its own, passes.
//
// And at most maxInflightPerAddr attempts of one address at once.
//
// A pure per-name lock would let any one attacker lock any user out; a
// pure per-name-and-address limit would let a crowd of addresses guess at
// its combined rate.
type LoginGuard struct {
	addrs     *RateLimiter
	nameAddrs *RateLimiter
	names     *RateLimiter

	mu       sync.Mutex
	inflight map[string]int
}

// maxInflightPerAddr is how many sign-ins of one address may be checked
// at once: more than the password gate's slots would only queue.
const maxInflightPerAddr = 2

// NewLoginGuard returns a guard with the limits described on LoginGuard:
// 30 failures per address, then one per 6 s; 5 per name from an address,
// then one a minute; 50 per name from all addresses, then one per 30 s.
func NewLoginGuard() *LoginGuard {
	return &LoginGuard{
		addrs:     NewRateLimiter(1.0/6, 30),
		nameAddrs: NewRateLimiter(1.0/60, 5),
		names:     NewRateLimiter(1.0/30, 50),
		inflight:  map[string]int{},
	}
}

// LoginAttempt is one attempt that the guard let through; tell it how the
// check went.
type LoginAttempt struct {
	g                      *LoginGuard
	addr, nameAddr, name   string
	spentName, spentAddrNm bool
}

// addrKey is the key of a client address: IPv6 clients get a /64 each, as
// one household or office does.
func addrKey(addr string) string {
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return addr
	}
	a = a.Unmap()
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.String()
	}
	return a.String()
}

// nameKey bounds the key of a name (no stored name is longer).
func nameKey(name string) string {
	if utf8.RuneCountInString(name) > 64 {
		name = string([]rune(name)[:64])
	}
	return name
}

func tooMany(wait time.Duration) error {
	secs := int(math.Ceil(wait.Seconds()))
	return backstop.Localized(backstop.ERATELIMIT, "登录失败次数过多，请 %d 秒后再试", "Too many failed sign-ins; try again in %d seconds.", max(secs, 1))
}

// Begin asks whether a sign-in as name from addr may be checked. When it
// may not, the error says so and wait says for how long. An attempt let
// through must end with Succeeded, Failed or NotChecked.
func (g *LoginGuard) Begin(addr, name string) (*LoginAttempt, time.Duration, error) {
	a := &LoginAttempt{g: g, addr: addrKey(addr), name: nameKey(name)}
	a.nameAddr = a.name + "\x00" + a.addr
	g.mu.Lock()
	busy := g.inflight[a.addr] >= maxInflightPerAddr
	if !busy {
		g.inflight[a.addr]++
	}
	g.mu.Unlock()
	if busy {
		return nil, time.Second, backstop.Localized(backstop.ERATELIMIT, "同一地址同时登录的请求过多，请稍候再试", "Too many sign-ins at once from your address; wait a moment.")
	}
	if !g.addrs.Allow(a.addr) {
		a.release()
		w := g.addrs.Wait(a.addr)
		return nil, w, tooMany(w)
	}
	failedHere := g.nameAddrs.Spent(a.nameAddr)
	if !g.nameAddrs.Allow(a.nameAddr) {
		g.addrs.Refund(a.addr)
		a.release()
		w := g.nameAddrs.Wait(a.nameAddr)
		return nil, w, tooMany(w)
	}
	a.spentAddrNm = true
	if g.names.Allow(a.name) {
		a.spentName = true
	} else if failedHere {
		// The name is under attack and this address is one of those
		// that failed on it.
		g.addrs.Refund(a.addr)
		g.nameAddrs.Refund(a.nameAddr)
		a.release()
		w := g.names.Wait(a.name)
		return nil, w, tooMany(w)
	}
	return a, 0, nil
}

func (a *LoginAttempt) release() {
	a.g.mu.Lock()
	defer a.g.mu.Unlock()
	if a.g.inflight[a.addr]--; a.g.inflight[a.addr] <= 0 {
		delete(a.g.inflight, a.addr)
	}
}

// Succeeded gives the attempt's tokens back: a correct password costs no
// limit.
func (a *LoginAttempt) Succeeded() {
	a.g.addrs.Refund(a.addr)
	a.refundNames()
	a.release()
}

// Failed ends an attempt whose password was wrong: its tokens stay spent.
func (a *LoginAttempt) Failed() { a.release() }

// NotChecked ends an attempt whose password was not checked (the server
// was busy, the database failed): the names get their tokens back, since
// nothing was learnt about them, but the address does not.
func (a *LoginAttempt) NotChecked() {
	a.refundNames()
	a.release()
}

func (a *LoginAttempt) refundNames() {
	if a.spentAddrNm {
		a.g.nameAddrs.Refund(a.nameAddr)
	}
	if a.spentName {
		a.g.names.Refund(a.name)
	}
}

// retryAfter is a Retry-After header value for a wait.
func retryAfter(wait time.Duration) string {
	return strconv.Itoa(max(1, int(math.Ceil(wait.Seconds()))))
}
