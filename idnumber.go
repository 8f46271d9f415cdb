package backstop

import (
	"strings"
	"time"
)

// idWeights are the GB 11643-1999 weights of the first 17 digits.
var idWeights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

// idCheckChars maps the weighted sum mod 11 to the check character.
const idCheckChars = "10X98765432"

// IDCheckDigit computes the GB 11643 check character for the first 17
// digits of a citizen ID number.
func IDCheckDigit(first17 string) byte {
	sum := 0
	for i := 0; i < 17; i++ {
		sum += int(first17[i]-'0') * idWeights[i]
	}
	return idCheckChars[sum%11]
}

// ValidateIDNumber checks an 18-character citizen ID number (GB 11643):
// digits, a real birth date, and the check character. It returns the
// number with a lower-case x upper-cased, and the birth date.
func ValidateIDNumber(id string) (string, time.Time, error) {
	id = strings.ToUpper(strings.TrimSpace(id))
	if len(id) != 18 {
		return "", time.Time{}, Localized(EINVALID, "证件号码应为18位，现为%d位", "ID number must have 18 characters, has %d", len([]rune(id)))
	}
	for i := 0; i < 17; i++ {
		if id[i] < '0' || id[i] > '9' {
			return "", time.Time{}, Localized(EINVALID, "证件号码第%d位应为数字", "ID number character %d must be a digit", i+1)
		}
	}
	if c := id[17]; (c < '0' || c > '9') && c != 'X' {
		return "", time.Time{}, Localized(EINVALID, "证件号码末位应为数字或X", "ID number must end with a digit or X")
	}
	birth, err := time.Parse("20060102", id[6:14])
	if err != nil || birth.Year() < 1880 || birth.After(time.Now()) {
		return "", time.Time{}, Localized(EINVALID, "证件号码中的出生日期无效（%s）", "ID number carries no valid birth date (%s)", id[6:14])
	}
	if want := IDCheckDigit(id[:17]); id[17] != want {
		return "", time.Time{}, Localized(EINVALID, "证件号码校验位为%c，应为%c（GB 11643）", "ID number check digit is %c, should be %c (GB 11643)", id[17], want)
	}
	return id, birth, nil
}

// MaskIDNumber shows the first 6 and last 4 characters of an ID number.
func MaskIDNumber(id string) string {
	if len(id) < 10 {
		return strings.Repeat("*", len(id))
	}
	return id[:6] + strings.Repeat("*", len(id)-10) + id[len(id)-4:]
}

// MaskPhone shows the first 3 and last 4 digits of a phone number.
func MaskPhone(phone string) string {
	if len(phone) < 8 {
		return strings.Repeat("*", len(phone))
	}
	return phone[:3] + strings.Repeat("*", len(phone)-7) + phone[len(phone)-4:]
}

var phoneSeparators = strings.NewReplacer(" ", "", "-", "")

// ValidatePhone accepts a mainland mobile number (11 digits starting with 1)
// or a landline with area code (0 followed by 9 to 11 digits, an optional
// dash after the area code). It returns the number without separators.
func ValidatePhone(phone string) (string, error) {
	p := phoneSeparators.Replace(strings.TrimSpace(phone))
	p = strings.TrimPrefix(p, "+86")
	for _, c := range p {
		if c < '0' || c > '9' {
			return "", Localized(EINVALID, "电话号码%s只能包含数字", "phone number %s may contain only digits", MaskPhone(phone))
		}
	}
	switch {
	case len(p) == 11 && p[0] == '1':
	case p != "" && p[0] == '0' && len(p) >= 10 && len(p) <= 12:
	default:
		return "", Localized(EINVALID, "电话号码%s既不是11位手机号，也不是带区号的固定电话", "phone number %s is neither an 11-digit mobile nor a landline with area code", MaskPhone(p))
	}
	return p, nil
}

// Mask returns a copy of h with ID numbers and phones masked, as every
// reader without the reveal permission sees it.
func (h *Household) Mask() *Household {
	c := *h
	c.Phone = MaskPhone(h.Phone)
	c.HelperPhone = MaskPhone(h.HelperPhone)
	c.Members = make([]*Member, len(h.Members))
	for i, m := range h.Members {
		mc := *m
		mc.IDNumber = MaskIDNumber(m.IDNumber)
		mc.Phone = MaskPhone(m.Phone)
		c.Members[i] = &mc
	}
	return &c
}

// ParseISODate reads a YYYY-MM-DD date between 1900 and 2100 without
// time.Parse: roster imports and index builds read millions of them.
func ParseISODate(s string) (time.Time, bool) {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return time.Time{}, false
	}
	num := func(s string) int {
		n := 0
		for i := 0; i < len(s); i++ {
			if s[i] < '0' || s[i] > '9' {
				return -1
			}
			n = n*10 + int(s[i]-'0')
		}
		return n
	}
	y, m, d := num(s[:4]), num(s[5:7]), num(s[8:])
	if y < 1900 || y > 2100 || m < 1 || m > 12 || d < 1 || d > 31 {
		return time.Time{}, false
	}
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	if t.Day() != d { // 2023-02-30 and the like
		return time.Time{}, false
	}
	return t, true
}
