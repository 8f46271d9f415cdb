package backstop

import (
	"regexp"
	"strings"
)

// secretParams are the names of URL query parameters and "name=value"
// pairs whose values are credentials: a 企业微信 robot's key, API and
// gateway tokens, passwords, signatures and access keys.
var secretParams = `key|token|access_token|secret|password|passwd|pwd|signature|sign|accesskeyid|accesskeysecret|access_key|secret_key|api_key|apikey|appsecret|app_secret|auth|authorization`

// secretPair matches name=value (in a query string or free text) and
// name: value, for the names above, case-insensitive.
var secretPair = regexp.MustCompile(`(?i)(^|[?&;,\s"'(])(` + secretParams + `)(=|:\s*|%3D)([^&\s"'<>;,)]+)`)

// urlUserinfo matches the user:password@ part of a URL.
var urlUserinfo = regexp.MustCompile(`(?i)(\b[a-z][a-z0-9+.-]*://)([^/\s:@]+):([^/\s@]+)@`)

// bearer matches an Authorization header's credential.
var bearer = regexp.MustCompile(`(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}`)

// Redacted is what a secret value reads as once redacted.
const Redacted = "***"

// RedactSecrets replaces every credential in s — the value of a key=,
// token=, password=… parameter (a 企业微信 robot URL's key among them), a
// URL's user:password@ and a bearer token — by ***. Every text that leaves
// for the audit log, a log line, a stored error or a page passes through
// it where it may carry a configured address.
func RedactSecrets(s string) string {
	if s == "" {
		return s
	}
	if !strings.ContainsAny(s, "=:%") {
		return s
	}
	s = bearer.ReplaceAllString(s, "${1} "+Redacted)
	s = secretPair.ReplaceAllString(s, "${1}${2}${3}"+Redacted)
	s = urlUserinfo.ReplaceAllString(s, "${1}${2}:"+Redacted+"@")
	return s
}
