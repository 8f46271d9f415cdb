// Package egress guards the requests backstop makes to addresses that
// users supply — CAP feeds, 企业微信 robot URLs of contacts — so that
// they cannot be pointed at this machine, the internal network or a cloud
// metadata service (server-side request forgery).
//
// A URL is checked before it is stored (CheckURL): https only, no user
// name or password, a host that is a plain IP address or a host name, and
// no address of a forbidden range written out. Every request of the
// guarded client (Client) is checked the same way, redirects included, and
// every connection is checked again at connect time against the address
// the name resolved to, so that neither a name that resolves (or later
// re-resolves) to a forbidden address nor a redirect reaches one.
//
// The allow-list (BACKSTOP_OUTBOUND_ALLOW) names hosts or host:port that
// are trusted although internal (tests, closed networks): for them http
// is allowed and the address checks are lifted. A host matches only as the
// URL names it: allowing 127.0.0.1 does not allow localhost.
//
// Gateways the operator configures (SMS, the city robot, loudspeakers,
// SMTP) are not user input and do not go through here.
package egress

import (
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"

	"golang.org/x/net/idna"

	"github.com/zhangye-backstop/backstop"
)

// Limits of what is checked.
const (
	// MaxURLBytes is the longest URL accepted.
	MaxURLBytes = 2048
	// MaxAllowEntries is the most allow-list entries.
	MaxAllowEntries = 256
	// MaxRedirects is how many redirects the client follows.
	MaxRedirects = 5
)

// AllowSetting names the setting of the allow-list in messages.
const AllowSetting = "BACKSTOP_OUTBOUND_ALLOW (--outbound-allow)"

// Policy is the allow-list. The zero value, and a nil *Policy, allow no
// internal host.
type Policy struct {
	hosts     map[string]bool // canonical host: any port
	hostPorts map[string]bool // canonical host:port
	entries   []string
	resolver  *net.Resolver // nil: the system's; tests give a DNS server of their own
}

// ParseAllow reads a comma-separated allow-list of hosts or host:port
// (IPv6 addresses in brackets when a port follows).
func ParseAllow(list string) (*Policy, error) {
	var entries []string
	for _, e := range strings.Split(list, ",") {
		if e = strings.TrimSpace(e); e != "" {
			entries = append(entries, e)
		}
	}
	return NewPolicy(entries...)
}

// NewPolicy builds a policy that allows the hosts or host:port given.
func NewPolicy(entries ...string) (*Policy, error) {
	if len(entries) > MaxAllowEntries {
		return nil, backstop.Localized(backstop.EINVALID, "出站允许列表 %s 有 %d 项，上限 %d 项",
			"The outbound allow-list %s has %d entries; the limit is %d.", AllowSetting, len(entries), MaxAllowEntries)
	}
	p := &Policy{hosts: map[string]bool{}, hostPorts: map[string]bool{}}
	for i, e := range entries {
		host, port, err := parseEntry(e)
		if err != nil {
			return nil, &backstop.Error{Code: backstop.EINVALID,
				ZH:      fmt.Sprintf("出站允许列表 %s 第 %d 项“%s”：%s", AllowSetting, i+1, e, err.ZH),
				Message: fmt.Sprintf("Outbound allow-list %s, entry %d %q: %s.", AllowSetting, i+1, e, err.EN)}
		}
		if port == "" {
			p.hosts[host] = true
		} else {
			p.hostPorts[net.JoinHostPort(host, port)] = true
		}
		p.entries = append(p.entries, e)
	}
	return p, nil
}

// entryError is why an allow-list entry is refused.
type entryError struct{ ZH, EN string }

func parseEntry(e string) (host, port string, _ *entryError) {
	switch {
	case len(e) > 300:
		return "", "", &entryError{"过长（上限 300 个字符）", "too long (the limit is 300 characters)"}
	case strings.Contains(e, "/"):
		return "", "", &entryError{"应为主机名或“主机:端口”，不是网址或网段", "an entry is a host or host:port, not a URL or a network range"}
	case strings.Contains(e, "*"):
		return "", "", &entryError{"不支持通配符，请逐一列出主机", "wildcards are not supported; list each host"}
	}
	host = e
	if strings.HasPrefix(e, "[") || strings.Count(e, ":") == 1 {
		h, p, err := net.SplitHostPort(e)
		if err != nil && strings.HasPrefix(e, "[") && strings.HasSuffix(e, "]") {
			h, err = e[1:len(e)-1], nil
		}
		if err != nil {
			return "", "", &entryError{"无法读作“主机:端口”", "cannot be read as host:port"}
		}
		if p != "" {
			if !validPort(p) {
				return "", "", &entryError{"端口“" + p + "”不是 1–65535 之间的数字", "port \"" + p + "\" is not a number from 1 to 65535"}
			}
			port = strconv.Itoa(mustAtoi(p))
		}
		host = h
	}
	if a, err := netip.ParseAddr(host); err == nil {
		return a.String(), port, nil
	}
	name, why := hostName(host)
	if why != nil {
		return "", "", &entryError{why.ZH, why.EN}
	}
	return name, port, nil
}

func validPort(p string) bool {
	n, err := strconv.Atoi(p)
	return err == nil && n >= 1 && n <= 65535 && strings.Trim(p, "0123456789") == ""
}

func mustAtoi(s string) int { n, _ := strconv.Atoi(s); return n }

// String lists the allow-list, for logs.
func (p *Policy) String() string {
	if p == nil || len(p.entries) == 0 {
		return "(none)"
	}
	return strings.Join(p.entries, ",")
}

// Allowed tells whether a host and port (as a URL or a dial address names
// them) are on the allow-list.
func (p *Policy) Allowed(host, port string) bool {
	if p == nil || (len(p.hosts) == 0 && len(p.hostPorts) == 0) {
		return false
	}
	host = canonicalHost(host)
	if p.hosts[host] {
		return true
	}
	if n, err := strconv.Atoi(port); err == nil {
		port = strconv.Itoa(n)
	}
	return p.hostPorts[net.JoinHostPort(host, port)]
}

// canonicalHost is how hosts are compared: lower case, without a final
// dot, IP addresses in their standard form, names in their ASCII
// (punycode) form.
func canonicalHost(h string) string {
	h = strings.TrimSuffix(strings.ToLower(h), ".")
	if a, err := netip.ParseAddr(h); err == nil {
		return a.String()
	}
	if ascii, err := idna.Lookup.ToASCII(h); err == nil {
		return ascii
	}
	return h
}

// Refusal is a URL, request or connection the policy does not allow.
type Refusal struct {
	Host string     // the host (and port) as the URL or dial address names it
	Addr netip.Addr // the address refused, when an address is the reason
	ZH   string     // why, in Chinese (a clause: 这是本机回环地址)
	EN   string     // why, in English (a clause: it is a loopback address)
	// Allowable: the allow-list would lift it (an address, or http).
	Allowable bool
}

func (r *Refusal) Error() string { return "egress: " + r.Host + " refused: " + r.EN }

// Localized is the refusal as the project's error, for a user who gave
// the URL.
func (r *Refusal) Localized() *backstop.Error {
	if !r.Allowable {
		return &backstop.Error{Code: backstop.EINVALID, ZH: fmt.Sprintf("网址（主机 %s）不可用：%s。", r.Host, r.ZH),
			Message: fmt.Sprintf("The URL (host %s) is refused: %s.", r.Host, r.EN)}
	}
	return &backstop.Error{Code: backstop.EINVALID,
		ZH:      fmt.Sprintf("不允许访问 %s：%s。可信的内网主机可由管理员加入 %s。", r.Host, r.ZH, AllowSetting),
		Message: fmt.Sprintf("Requests to %s are not allowed: %s. An administrator can allow a trusted internal host in %s.", r.Host, r.EN, AllowSetting)}
}

// CheckURL checks a URL a user gives before it is stored. Its error is
// EINVALID, in Chinese and English, naming the host and why.
func (p *Policy) CheckURL(raw string) error {
	if len(raw) > MaxURLBytes {
		return backstop.Localized(backstop.EINVALID, "网址过长（%d 字节，上限 %d 字节）", "The URL is too long (%d bytes; the limit is %d).", len(raw), MaxURLBytes)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return backstop.Localized(backstop.EINVALID, "网址“%s”无法解析", "The URL %q cannot be read.", shorten(raw))
	}
	if r := p.refuseURL(u); r != nil {
		return r.Localized()
	}
	return nil
}

func shorten(s string) string {
	if r := []rune(s); len(r) > 100 {
		return string(r[:100]) + "…"
	}
	return s
}

// refuseURL says why a URL may not be requested, or nil.
func (p *Policy) refuseURL(u *url.URL) *Refusal {
	scheme := strings.ToLower(u.Scheme)
	shown := u.Host
	if shown == "" {
		shown = shorten(u.String())
	}
	switch {
	case scheme != "http" && scheme != "https":
		return &Refusal{Host: shown, ZH: "只支持 https 网址（不支持“" + u.Scheme + ":”）", EN: "only https URLs are supported (not \"" + u.Scheme + ":\")"}
	case u.Opaque != "" || u.Host == "":
		return &Refusal{Host: shown, ZH: "网址缺少主机名", EN: "the URL names no host"}
	case u.User != nil:
		return &Refusal{Host: u.Host, ZH: "网址不能包含用户名或密码", EN: "the URL must not carry a user name or password"}
	}
	host, port := u.Hostname(), u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[scheme]
	} else if !validPort(port) {
		return &Refusal{Host: u.Host, ZH: "端口“" + port + "”不是 1–65535 之间的数字", EN: "port \"" + port + "\" is not a number from 1 to 65535"}
	}
	if p.Allowed(host, port) {
		return nil
	}
	if scheme == "http" {
		return &Refusal{Host: u.Host, ZH: "只允许 https；http 仅限出站允许列表中的主机", EN: "only https is allowed; http only to hosts on the outbound allow-list", Allowable: true}
	}
	return refuseHost(u.Host, host)
}

// refuseHost checks a host (not allow-listed) as written: shown is how
// messages name it.
func refuseHost(shown, host string) *Refusal {
	if a, err := netip.ParseAddr(host); err == nil {
		if why := Forbidden(a); why != nil {
			return &Refusal{Host: shown, Addr: a, ZH: "这是" + why.ZH, EN: "it is " + why.EN, Allowable: true}
		}
		return nil
	}
	name, why := hostName(host)
	if why != nil {
		return &Refusal{Host: shown, ZH: why.ZH, EN: why.EN}
	}
	if a, err := netip.ParseAddr(name); err == nil {
		// A name that maps to an address (full-width digits and dots).
		if why := Forbidden(a); why != nil {
			return &Refusal{Host: shown, Addr: a, ZH: "它即 IP 地址 " + a.String() + "，" + why.ZH, EN: "it is the IP address " + a.String() + ", " + why.EN, Allowable: true}
		}
		return nil
	}
	if name == "localhost" || strings.HasSuffix(name, ".localhost") {
		return &Refusal{Host: shown, ZH: "localhost 总是指本机", EN: "localhost always names this machine", Allowable: true}
	}
	return nil
}

// hostName checks a host that is not an IP address and returns its
// ASCII form. A name whose last label is a number is an IPv4 address to
// URL parsers and to the C library (inet_aton: 0x7f.1, 2130706433,
// 0177.0.0.1, 127.1 all mean 127.0.0.1), while Go would ask DNS: it is
// refused unless written in the standard dotted form.
func hostName(host string) (string, *entryError) {
	name := strings.ToLower(host)
	if !isASCII(name) {
		ascii, err := idna.Lookup.ToASCII(name)
		if err != nil {
			return "", &entryError{"“" + host + "”不是有效的主机名", "\"" + host + "\" is not a valid host name"}
		}
		name = ascii
	}
	name = strings.TrimSuffix(name, ".")
	if _, err := netip.ParseAddr(name); err == nil {
		return name, nil
	}
	labels := strings.Split(name, ".")
	if numericLabel(labels[len(labels)-1]) {
		if a, ok := legacyIPv4(name); ok {
			return "", &entryError{"这是 IP 地址 " + a.String() + " 的非标准写法，请写成 " + a.String(),
				"it is a non-standard way of writing the IP address " + a.String() + "; write " + a.String()}
		}
		return "", &entryError{"“" + host + "”既不是有效的 IP 地址，也不是有效的主机名", "\"" + host + "\" is neither a valid IP address nor a valid host name"}
	}
	if len(name) == 0 || len(name) > 253 {
		return "", &entryError{"主机名长度应为 1–253 个字符", "a host name is 1 to 253 characters long"}
	}
	for _, l := range labels {
		if !validLabel(l) {
			return "", &entryError{"“" + host + "”不是有效的主机名（只能有字母、数字、连字符，每段 1–63 个字符）",
				"\"" + host + "\" is not a valid host name (letters, digits and hyphens, 1 to 63 in each label)"}
		}
	}
	return name, nil
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// validLabel is a DNS label of letters, digits, hyphens (not at either
// end) and underscores, which resolvers accept in practice.
func validLabel(l string) bool {
	if len(l) == 0 || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
		return false
	}
	for i := 0; i < len(l); i++ {
		c := l[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// numericLabel is a label URL parsers read as a number: decimal digits,
// or 0x and hex digits.
func numericLabel(l string) bool {
	if strings.HasPrefix(l, "0x") {
		return strings.Trim(l[2:], "0123456789abcdef") == ""
	}
	return l != "" && strings.Trim(l, "0123456789") == ""
}

// legacyIPv4 reads an IPv4 address as inet_aton does: one to four parts,
// each decimal, octal (leading 0) or hex (0x); the last fills the
// remaining bytes.
func legacyIPv4(s string) (netip.Addr, bool) {
	parts := strings.Split(s, ".")
	if len(parts) > 4 {
		return netip.Addr{}, false
	}
	nums := make([]uint64, len(parts))
	for i, p := range parts {
		base := 10
		switch {
		case strings.HasPrefix(p, "0x"):
			base, p = 16, p[2:]
			if p == "" {
				p = "0"
			}
		case len(p) > 1 && p[0] == '0':
			base, p = 8, p[1:]
		}
		n, err := strconv.ParseUint(p, base, 32)
		if err != nil || p == "" {
			return netip.Addr{}, false
		}
		nums[i] = n
	}
	var v uint64
	for i, n := range nums[:len(nums)-1] {
		if n > 255 {
			return netip.Addr{}, false
		}
		v |= n << (24 - 8*i)
	}
	last := nums[len(nums)-1]
	if last >= 1<<(32-8*(len(nums)-1)) {
		return netip.Addr{}, false
	}
	v |= last
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}), true
}

// Reason is why an address is forbidden.
type Reason struct{ ZH, EN string }

var (
	whyLoopback    = &Reason{"本机回环地址", "a loopback address (this machine)"}
	whyPrivate     = &Reason{"内网地址", "a private (internal network) address"}
	whyLinkLocal   = &Reason{"链路本地地址（云服务器的元数据服务即在 169.254.169.254）", "a link-local address (where cloud metadata services live, 169.254.169.254)"}
	whyShared      = &Reason{"运营商级 NAT 共享地址 100.64.0.0/10（阿里云的元数据服务即在 100.100.100.200）", "a carrier-grade NAT shared address, 100.64.0.0/10 (Alibaba Cloud's metadata service is 100.100.100.200)"}
	whyUnspecified = &Reason{"未指定地址（连接它即连接本机）", "the unspecified address (connecting to it reaches this machine)"}
	whyThisNetwork = &Reason{"“本网络”地址 0.0.0.0/8", "a \"this network\" address, 0.0.0.0/8"}
	whyMulticast   = &Reason{"组播地址", "a multicast address"}
	whyReserved    = &Reason{"保留地址", "a reserved address"}
)

var (
	cgnat      = netip.MustParsePrefix("100.64.0.0/10")
	thisNet    = netip.MustParsePrefix("0.0.0.0/8")
	ietf       = netip.MustParsePrefix("192.0.0.0/24")
	benchmark  = netip.MustParsePrefix("198.18.0.0/15") // also the fake-IP range of local proxy clients
	class4     = netip.MustParsePrefix("240.0.0.0/4")   // reserved, with 255.255.255.255
	siteLocal  = netip.MustParsePrefix("fec0::/10")
	compatible = netip.MustParsePrefix("::/96")        // IPv4-compatible IPv6, deprecated
	nat64      = netip.MustParsePrefix("64:ff9b::/96") // well-known NAT64: an IPv4 address inside
	nat64Local = netip.MustParsePrefix("64:ff9b:1::/48")
	sixToFour  = netip.MustParsePrefix("2002::/16") // 6to4: an IPv4 address in bytes 2–5
	discard    = netip.MustParsePrefix("100::/64")
)

// Forbidden says why an address may not be reached, or nil. IPv4
// addresses inside IPv6 ones (mapped, NAT64, 6to4) are judged as the IPv4
// address they carry.
func Forbidden(a netip.Addr) *Reason {
	a = a.WithZone("").Unmap()
	if a.Is4() {
		return forbidden4(a)
	}
	b := a.As16()
	switch {
	case a.IsUnspecified():
		return whyUnspecified
	case a.IsLoopback():
		return whyLoopback
	case a.IsMulticast():
		return whyMulticast
	case a.IsLinkLocalUnicast():
		return whyLinkLocal
	case a.IsPrivate(), siteLocal.Contains(a), nat64Local.Contains(a):
		return whyPrivate
	case compatible.Contains(a), discard.Contains(a):
		return whyReserved
	case nat64.Contains(a):
		return forbidden4(netip.AddrFrom4([4]byte(b[12:16])))
	case sixToFour.Contains(a):
		return forbidden4(netip.AddrFrom4([4]byte(b[2:6])))
	}
	return nil
}

func forbidden4(a netip.Addr) *Reason {
	switch {
	case a.IsUnspecified():
		return whyUnspecified
	case thisNet.Contains(a):
		return whyThisNetwork
	case a.IsLoopback():
		return whyLoopback
	case a.IsPrivate():
		return whyPrivate
	case a.IsLinkLocalUnicast():
		return whyLinkLocal
	case cgnat.Contains(a):
		return whyShared
	case a.IsMulticast():
		return whyMulticast
	case ietf.Contains(a), benchmark.Contains(a), class4.Contains(a):
		return whyReserved
	}
	return nil
}
