package backstop

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
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
	id = strings.TrimSpace(id)
	if len(id) != 18 {
		n := utf8.RuneCountInString(id)
		return "", time.Time{}, Localized(EINVALID, "证件号码应为18位，现为%d位", "ID number must have 18 characters, has %d", n)
	}
	id = strings.ToUpper(id)
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
		// The date is not quoted: those are the digits a masked ID number
		// hides.
		return "", time.Time{}, Localized(EINVALID, "证件号码第7至14位不是有效的出生日期", "ID number carries no valid birth date (characters 7 to 14)")
	}
	if want := IDCheckDigit(id[:17]); id[17] != want {
		return "", time.Time{}, Localized(EINVALID, "证件号码校验位为%c，应为%c（GB 11643）", "ID number check digit is %c, should be %c (GB 11643)", id[17], want)
	}
	return id, birth, nil
}

// MaskIDNumber shows the first 6 and last 4 characters of an ID number.
// A value that is no ID number (too long, not digits) gets MaskCell's
// shortened form.
func MaskIDNumber(id string) string {
	if len(id) > 20 || !isASCII(id) {
		return MaskCell(id)
	}
	if len(id) < 10 {
		return strings.Repeat("*", len(id))
	}
	return id[:6] + strings.Repeat("*", len(id)-10) + id[len(id)-4:]
}

// MaskPhone shows the first 3 and last 4 digits of a phone number. A value
// that is no phone number (too long, not digits) gets MaskCell's shortened
// form.
func MaskPhone(phone string) string {
	if len(phone) > 16 || !isASCII(phone) {
		return MaskCell(phone)
	}
	if len(phone) < 8 {
		return strings.Repeat("*", len(phone))
	}
	return phone[:3] + strings.Repeat("*", len(phone)-7) + phone[len(phone)-4:]
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// maxShownCell is how many characters of a cell MaskCell keeps.
const maxShownCell = 40

// MaskCell returns a value as a message may quote it: every run of seven
// or more digits (which may end in X, as ID numbers do) masked, so that no
// phone or ID number shows whole in whatever column it was typed, and long
// values shortened to their first and last characters. Runs of 15 or more
// keep their first 6 and last 4 digits, as MaskIDNumber; of 11 to 14,
// their first 3 and last 4, as MaskPhone; shorter ones their first and
// last 2.
func MaskCell(s string) string {
	var b strings.Builder
	masked := false
	for i := 0; i < len(s); {
		if s[i] < '0' || s[i] > '9' {
			j := i + 1
			for j < len(s) && (s[j] < '0' || s[j] > '9') {
				j++
			}
			b.WriteString(s[i:j])
			i = j
			continue
		}
		j := i
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		if j < len(s) && (s[j] == 'X' || s[j] == 'x') && j-i >= 14 {
			j++
		}
		b.WriteString(maskRun(s[i:j]))
		masked = masked || j-i >= 7
		i = j
	}
	out := s
	if masked {
		out = b.String()
	}
	if utf8.RuneCountInString(out) <= maxShownCell {
		return out
	}
	r := []rune(out)
	return string(r[:maxShownCell-8]) + "…" + string(r[len(r)-5:])
}

func maskRun(run string) string {
	n := len(run)
	switch {
	case n >= 15:
		return run[:6] + strings.Repeat("*", n-10) + run[n-4:]
	case n >= 11:
		return run[:3] + strings.Repeat("*", n-7) + run[n-4:]
	case n >= 7:
		return run[:2] + strings.Repeat("*", n-4) + run[n-2:]
	}
	return run
}

// MaskPersonalNumbers masks what looks like a phone number or an ID number
// in a text (a message, a problem's reason): 11-digit mobile numbers,
// landlines with area code, 15-digit old ID numbers and 18-character ID
// numbers with a valid check digit. Other numbers (household and person
// numbers, region codes, amounts, dates) are left as they are. It is the
// last guard before a text is shown or written out; the values a message
// quotes are masked where it is built (MaskCell).
func MaskPersonalNumbers(s string) string {
	var b strings.Builder
	last := 0
	for i := 0; i < len(s); {
		if s[i] < '0' || s[i] > '9' {
			i++
			continue
		}
		j := i
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		if j-i == 17 && j < len(s) && (s[j] == 'X' || s[j] == 'x') {
			j++
		}
		run := s[i:j]
		var masked string
		switch n := len(run); {
		case n == 11 && run[0] == '1', n >= 10 && n <= 12 && run[0] == '0':
			masked = MaskPhone(run)
		case n == 15:
			masked = MaskIDNumber(run)
		case n == 18:
			if _, _, err := ValidateIDNumber(run); err == nil || run[17] == 'X' || run[17] == 'x' {
				masked = MaskIDNumber(run)
			}
		}
		if masked != "" {
			b.WriteString(s[last:i])
			b.WriteString(masked)
			last = j
		}
		i = j
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// BirthYear reduces a birth date (YYYY-MM-DD) to its year, as a masked
// view shows it: the 8 digits a masked ID number hides are the birth date,
// so a full date beside it would give them back.
func BirthYear(date string) string {
	if len(date) >= 4 {
		return date[:4]
	}
	return ""
}

// Mask returns a copy of m as a reader without the reveal permission sees
// it: ID number and phone masked, the birth date reduced to its year.
func (m *Member) Mask() *Member {
	c := *m
	c.IDNumber = MaskIDNumber(m.IDNumber)
	c.Phone = MaskPhone(m.Phone)
	c.BirthDate = BirthYear(m.BirthDate)
	return &c
}

// Age returns the member's age in whole years on the day of on (take it
// in Beijing time), from the birth date, or -1 when the birth date is not
// known. When the birth date holds only a year, as in a masked member, it
// is the age reached in on's year.
func (m *Member) Age(on time.Time) int {
	y, mo, d := on.Date()
	if t, ok := ParseISODate(m.BirthDate); ok {
		age := y - t.Year()
		if mo < t.Month() || mo == t.Month() && d < t.Day() {
			age--
		}
		if age < 0 {
			return -1
		}
		return age
	}
	if len(m.BirthDate) == 4 {
		if by, err := strconv.Atoi(m.BirthDate); err == nil && by >= 1880 && by <= y {
			return y - by
		}
	}
	return -1
}

var phoneSeparators = strings.NewReplacer(" ", "", "-", "")

// ValidatePhone accepts a mainland mobile number (11 digits starting with 1)
// or a landline with area code (0 followed by 9 to 11 digits, an optional
// dash after the area code). It returns the number without separators.
func ValidatePhone(phone string) (string, error) {
	if len(phone) > MaxPhoneInputLength {
		return "", Localized(EINVALID, "电话号码过长（%d个字符，上限为%d个）：一格只填一个号码", "phone number is too long (%d characters, the limit is %d): one number per cell",
			utf8.RuneCountInString(phone), MaxPhoneInputLength)
	}
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

// Mask returns a copy of h with ID numbers and phones masked and birth
// dates reduced to the year (Member.Mask), as every reader without the
// reveal permission sees it.
func (h *Household) Mask() *Household {
	c := *h
	c.Phone = MaskPhone(h.Phone)
	c.HelperPhone = MaskPhone(h.HelperPhone)
	c.Members = make([]*Member, len(h.Members))
	for i, m := range h.Members {
		c.Members[i] = m.Mask()
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
