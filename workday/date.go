package workday

import (
	"fmt"
	"time"

	"github.com/zhangye-backstop/backstop"
)

// Date is a civil date in Beijing time (backstop.Beijing), counted in
// days: 0001-01-01 is 1, each day one more. Deadlines are dates, not
// instants, so there is no time of day and no zone to get wrong; adding
// days is adding integers. The zero Date is "no date" (IsZero), never
// 1 January of some year. Text and JSON form: "2006-01-02".
type Date int32

// MinDate and MaxDate bound the dates a Date represents (years 1–9999).
const (
	MinDate Date = 1
	MaxDate Date = 3652059 // 9999-12-31
)

// unixDay is the Date of 1970-01-01, where the civil-date arithmetic below
// counts from.
const unixDay = 719163

// NewDate returns the date of year, month and day; like time.Date, values
// out of their range carry over (February 30 is March 1 or 2). A date
// outside years 1–9999 is the zero Date.
func NewDate(year int, month time.Month, day int) Date {
	if month < 1 || month > 12 {
		m := int(month) - 1
		year += floorDiv(m, 12)
		month = time.Month(m - floorDiv(m, 12)*12 + 1)
	}
	if year < 1 || year > 9999 {
		return 0
	}
	d := daysFromCivil(year, int(month), 1) + unixDay + (day - 1)
	if d < int(MinDate) || d > int(MaxDate) {
		return 0
	}
	return Date(d)
}

// DateOf returns the civil date of an instant in Beijing time: 23:30 UTC
// is already the next day there. The zero time gives the zero Date.
func DateOf(t time.Time) Date {
	if t.IsZero() {
		return 0
	}
	y, m, d := t.In(backstop.Beijing).Date()
	return NewDate(y, m, d)
}

// ParseDate reads "2006-01-02" exactly (four-digit year, two-digit month
// and day, a real day of that month).
func ParseDate(s string) (Date, error) {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return 0, fmt.Errorf("%q is not a date in the form YYYY-MM-DD", s)
	}
	y, ok1 := digits(s[0:4])
	m, ok2 := digits(s[5:7])
	d, ok3 := digits(s[8:10])
	if !ok1 || !ok2 || !ok3 {
		return 0, fmt.Errorf("%q is not a date in the form YYYY-MM-DD", s)
	}
	if y < 1 || m < 1 || m > 12 || d < 1 || d > daysIn(y, m) {
		return 0, fmt.Errorf("%q is not a day of the calendar", s)
	}
	return NewDate(y, time.Month(m), d), nil
}

func digits(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, len(s) > 0
}

func isLeap(y int) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }

func daysIn(y, m int) int {
	switch m {
	case 2:
		if isLeap(y) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// IsZero reports whether d is the zero Date ("no date").
func (d Date) IsZero() bool { return d == 0 }

// Valid reports whether d is a date (not zero, within years 1–9999).
func (d Date) Valid() bool { return d >= MinDate && d <= MaxDate }

// Civil returns the year, month and day of d.
func (d Date) Civil() (year int, month time.Month, day int) {
	y, m, dd := civilFromDays(int(d) - unixDay)
	return y, time.Month(m), dd
}

// Year returns the year of d.
func (d Date) Year() int {
	y, _, _ := civilFromDays(int(d) - unixDay)
	return y
}

// Weekday returns the day of the week of d (0001-01-01 was a Monday).
func (d Date) Weekday() time.Weekday { return time.Weekday(int(d) % 7) }

// AddDays returns the date n calendar days after d (before, for n < 0).
func (d Date) AddDays(n int) Date { return d + Date(n) }

// Time returns 00:00 of d in Beijing time; the zero Date gives the zero
// time.
func (d Date) Time() time.Time {
	if !d.Valid() {
		return time.Time{}
	}
	y, m, dd := d.Civil()
	return time.Date(y, m, dd, 0, 0, 0, 0, backstop.Beijing)
}

// String returns "2006-01-02", or "" for the zero Date.
func (d Date) String() string {
	if !d.Valid() {
		return ""
	}
	y, m, dd := d.Civil()
	b := make([]byte, 10)
	put := func(i, n, w int) {
		for j := w - 1; j >= 0; j-- {
			b[i+j] = byte('0' + n%10)
			n /= 10
		}
	}
	put(0, y, 4)
	b[4] = '-'
	put(5, int(m), 2)
	b[7] = '-'
	put(8, dd, 2)
	return string(b)
}

// MarshalText writes "2006-01-02" ("" for the zero Date).
func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads "2006-01-02"; "" is the zero Date.
func (d *Date) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*d = 0
		return nil
	}
	v, err := ParseDate(string(b))
	if err != nil {
		return backstop.Localized(backstop.EINVALID, "日期 %q 无效，应为 YYYY-MM-DD", "%q is not a date (YYYY-MM-DD)", string(b))
	}
	*d = v
	return nil
}

func floorDiv(a, b int) int {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// daysFromCivil and civilFromDays are Howard Hinnant's algorithms
// (proleptic Gregorian calendar, days relative to 1970-01-01): constant
// time, no allocation, exact for every year here.
func daysFromCivil(y, m, d int) int {
	if m <= 2 {
		y--
	}
	era := floorDiv(y, 400)
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

func civilFromDays(z int) (y, m, d int) {
	z += 719468
	era := floorDiv(z, 146097)
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y = yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d = doy - (153*mp+2)/5 + 1
	if mp < 10 {
		m = mp + 3
	} else {
		m = mp - 9
	}
	if m <= 2 {
		y++
	}
	return y, m, d
}
