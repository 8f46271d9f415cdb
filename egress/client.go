package egress

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"
)

// Client is an HTTP client for user-supplied URLs: each request, the
// first and every redirect, is checked as CheckURL checks, at most
// MaxRedirects redirects are followed, and each connection is refused at
// connect time when the address it would reach is forbidden (the host
// not being on the allow-list). The whole exchange takes at most timeout.
// Environment proxies are not used: a proxy would resolve and connect
// where these checks cannot see.
func (p *Policy) Client(timeout time.Duration) *http.Client {
	return &http.Client{Timeout: timeout, Transport: p.Transport(), CheckRedirect: checkRedirect}
}

func checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= MaxRedirects {
		return fmt.Errorf("egress: stopped after %d redirects (at %s)", len(via), req.URL.Redacted())
	}
	return nil
}

// Transport is the guarded round tripper of Client, for clients that set
// their own timeouts or redirect rules.
func (p *Policy) Transport() http.RoundTripper {
	d := &dialer{policy: p, net: net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}}
	if p != nil {
		d.net.Resolver = p.resolver
	}
	return &transport{policy: p, next: &http.Transport{
		Proxy:                  nil,
		DialContext:            d.DialContext,
		ForceAttemptHTTP2:      true,
		MaxIdleConns:           64,
		MaxIdleConnsPerHost:    8,
		IdleConnTimeout:        90 * time.Second,
		TLSHandshakeTimeout:    10 * time.Second,
		ExpectContinueTimeout:  time.Second,
		ResponseHeaderTimeout:  30 * time.Second,
		MaxResponseHeaderBytes: 64 << 10,
	}}
}

// transport checks each request's URL before it goes out.
type transport struct {
	policy *Policy
	next   *http.Transport
}

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if r := t.policy.refuseURL(req.URL); r != nil {
		if req.Body != nil {
			req.Body.Close() // a RoundTripper closes the body, also on errors
		}
		return nil, r
	}
	return t.next.RoundTrip(req)
}

// CloseIdleConnections lets http.Client.CloseIdleConnections reach the
// pool.
func (t *transport) CloseIdleConnections() { t.next.CloseIdleConnections() }

// dialer connects to allow-listed hosts as asked, and to any other host
// only at an address that is not forbidden, checked on the socket itself
// after the name is resolved: every address tried (IPv4 and IPv6, each
// of several records) is checked, and a name that resolves differently
// now than when it was stored gains nothing.
type dialer struct {
	policy *Policy
	net    net.Dialer
}

func (d *dialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	nd := d.net
	if !d.policy.Allowed(host, port) {
		nd.Control = func(_, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return &Refusal{Host: addr, ZH: "无法确认要连接的地址", EN: "the address to connect to cannot be read (" + address + ")"}
			}
			if why := Forbidden(ap.Addr()); why != nil {
				a := ap.Addr().Unmap()
				if _, err := netip.ParseAddr(host); err == nil {
					return &Refusal{Host: addr, Addr: a, ZH: "这是" + why.ZH, EN: "it is " + why.EN, Allowable: true}
				}
				return &Refusal{Host: addr, Addr: a, ZH: "它解析到 " + a.String() + "，这是" + why.ZH, EN: "it resolves to " + a.String() + ", " + why.EN, Allowable: true}
			}
			return nil
		}
	}
	return nd.DialContext(ctx, network, addr)
}

// IsRefused tells whether err is (or wraps) a refusal of the policy.
func IsRefused(err error) bool {
	var r *Refusal
	return errors.As(err, &r)
}
