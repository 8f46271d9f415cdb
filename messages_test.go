package backstop

import (
	"fmt"
	"strings"
	"testing"
	"unicode"
)

func hasHan(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			return true
		}
	}
	return false
}

// TestCatalog: every entry has both languages with the same arguments.
func TestCatalog(t *testing.T) {
	for key, m := range errorCatalog {
		if !hasHan(m.ZH) || m.EN == "" || hasHan(m.EN) {
			t.Errorf("%s: %+v", key, m)
		}
		if a, b := strings.Count(m.ZH, "%"), strings.Count(m.EN, "%"); a != b {
			t.Errorf("%s: %d arguments in Chinese, %d in English", key, a, b)
		}
	}
	for code, m := range codeMessages {
		if !hasHan(m.ZH) || m.EN == "" {
			t.Errorf("code %s: %+v", code, m)
		}
	}
	for _, r := range Roles {
		if n := RoleName(r); !hasHan(n.ZH) {
			t.Errorf("role %s has no Chinese name", r)
		}
	}
	for _, rp := range rolePermissions {
		for _, p := range rp {
			if n := PermissionName(p); !hasHan(n.ZH) || n.EN == string(p) {
				t.Errorf("permission %s has no names", p)
			}
		}
	}
}

// TestErrorsReadInChinese: whatever an error carries, its Chinese message
// is Chinese — a permission error names the role and the action in
// Chinese; an error written only in English falls back to its code's
// sentence, never to the English.
func TestErrorsReadInChinese(t *testing.T) {
	u := &User{Name: "x", Role: RoleTownship, Region: "620723101000"}
	err := u.Require(PermRelease)
	if ErrorCode(err) != EFORBIDDEN || ErrorKey(err) != "forbidden.role" || ErrorMessageZH(err) != "您的角色（乡镇）无权定向发布预警" ||
		ErrorMessage(err) != "Your role (township) may not make targeted releases." {
		t.Errorf("permission error: %q / %q", ErrorMessageZH(err), ErrorMessage(err))
	}
	for _, code := range []string{ECONFLICT, EINTERNAL, EINVALID, ENOTFOUND, EUNAUTHORIZED, EFORBIDDEN, ETOOLARGE, ERATELIMIT, EUNAVAILABLE, EUNSUPPORTED} {
		if zh := ErrorMessageZH(Errorf(code, "English only %d", 1)); !hasHan(zh) {
			t.Errorf("%s: %q", code, zh)
		}
	}
	if zh := ErrorMessageZH(fmt.Errorf("driver: connection refused")); !hasHan(zh) || strings.Contains(zh, "driver") {
		t.Errorf("an internal error reads %q", zh)
	}
	if zh := ErrorMessageZH(E(ENOTFOUND, "notfound.thing", Named{"农户6207", "Household 6207"})); zh != "找不到农户6207" {
		t.Errorf("named argument: %q", zh)
	}
}
