// Package workday counts working days on China's official calendar: the
// statutory holidays and the make-up working days (调休) that the State
// Council announces each year. Every deadline of backstop (self-report
// checks, case steps, visits) is a number of working days.
//
// The package is pure: a Calendar is built from day rows and the set of
// loaded years, and answers without I/O or allocation. Service (service.go)
// keeps the current Calendar of a process and imports new years through a
// narrow store interface.
//
// Rules:
//   - A working day is Monday to Friday unless it is a listed holiday, or
//     a listed make-up workday (always a Saturday or Sunday).
//   - Counting starts after the start date: a report on Wednesday
//     2026-09-30 with 3 working days is due on Saturday 2026-10-10, the
//     make-up day after the National Day week.
//   - In a year whose calendar is not loaded, days are counted Monday to
//     Friday, and the answer is Provisional: never a silent guess, never a
//     stop at New Year.
package workday

import (
	"fmt"
	"slices"
	"sort"

	"github.com/zhangye-backstop/backstop"
)

// Years a calendar may hold. The notices follow the 1999 holiday rules
// (全国年节及纪念日放假办法); a row outside these years is a typo
// (2207 for 2027), and the bound keeps a Calendar's tables small.
const (
	MinYear = 2000
	MaxYear = 2099
)

// maxSpan is more working days than years 1–9999 hold: beyond it, Add
// cannot land on a date and says so without overflowing.
const maxSpan = 3_000_000

// Result is the answer of Add.
type Result struct {
	// Date is the working day reached; zero when it would fall outside
	// years 1–9999.
	Date Date `json:"date"`
	// Provisional is true when a day counted lies in a year whose calendar
	// is not loaded, where Monday to Friday were taken as working days.
	Provisional bool `json:"provisional"`
	// UnloadedYear is the first such year, 0 when there is none.
	UnloadedYear int `json:"unloaded_year,omitempty"`
}

// Count is the answer of Between.
type Count struct {
	// Days is the number of working days after a up to and including b;
	// negative when b is before a.
	Days        int  `json:"days"`
	Provisional bool `json:"provisional"`
	// UnloadedYear is the first year counted that is not loaded, 0 when
	// every day counted lies in a loaded year.
	UnloadedYear int `json:"unloaded_year,omitempty"`
}

// DayInfo describes one date.
type DayInfo struct {
	Date    Date `json:"date"`
	Workday bool `json:"workday"`
	// Kind and Name are the listed day's, empty for an ordinary day.
	Kind backstop.CalendarDayKind `json:"kind,omitempty"`
	Name string                   `json:"name,omitempty"`
	// Provisional is true when the date's year is not loaded.
	Provisional bool `json:"provisional"`
}

// Calendar answers working-day questions. It is immutable: a new import
// makes a new Calendar, so readers never lock.
//
// Inside one dense span of days, from the first listed or loaded day to
// the last, cum holds the running count of working days and nth the
// offset of each working day; outside it days follow the week. Add and
// Between are then a few array reads and integer steps, whatever n is.
type Calendar struct {
	years []int // loaded, ascending
	first int   // first loaded year, 0 when none
	last  int
	// nextUnloaded[y-first] is the first year ≥ y that is not loaded,
	// for y in [first, last]; last+1 when every year up to last is.
	nextUnloaded []int32
	// exactLo–exactHi are the days of first–last when no year between
	// is missing: the common case answers without finding years.
	exactLo, exactHi Date

	lo   Date    // first day of the span; 0 when there is none
	cum  []int32 // cum[i]: working days in [lo, lo+i]
	nth  []int32 // nth[k]: offset from lo of the (k+1)-th working day
	base int     // weekdays(lo-1): working days before the span
	// delta is how many more working days the span holds than Monday to
	// Friday would give; days after the span count that much more.
	delta int

	days  []backstop.CalendarDay // by date
	dates []Date                 // days' dates, for binary search
}

// New builds a Calendar from listed days and the loaded years. It refuses
// days that contradict themselves (a date twice, a workday on a weekday,
// an unknown kind) and years outside MinYear–MaxYear.
func New(days []backstop.CalendarDay, loaded []int) (*Calendar, error) {
	c := &Calendar{years: slices.Clone(loaded)}
	sort.Ints(c.years)
	c.years = slices.Compact(c.years)
	for _, y := range c.years {
		if y < MinYear || y > MaxYear {
			return nil, backstop.Localized(backstop.EINVALID, "年份 %d 超出 %d–%d 的范围", "year %d is outside %d–%d", y, MinYear, MaxYear)
		}
	}
	c.days = slices.Clone(days)
	c.dates = make([]Date, len(days))
	for i := range c.days {
		c.dates[i] = DateOf(c.days[i].Date)
	}
	sort.Sort(byDate{c})
	for i, d := range c.dates {
		day := c.days[i]
		switch {
		case !d.Valid() || d.Year() < MinYear || d.Year() > MaxYear:
			return nil, backstop.Localized(backstop.EINVALID, "日期 %s 超出 %d–%d 年的范围", "date %s is outside the years %d–%d", d, MinYear, MaxYear)
		case i > 0 && c.dates[i-1] == d:
			return nil, backstop.Localized(backstop.EINVALID, "日期 %s 出现两次", "date %s is listed twice", d)
		case day.Kind == backstop.CalendarWorkday && !weekend(d):
			return nil, backstop.Localized(backstop.EINVALID, "调休上班日 %s 不是星期六或星期日", "make-up workday %s is not a Saturday or Sunday", d)
		case day.Kind != backstop.CalendarWorkday && day.Kind != backstop.CalendarHoliday:
			return nil, backstop.Localized(backstop.EINVALID, "日期 %s 的类型 %q 未知", "date %s has an unknown kind %q", d, string(day.Kind))
		}
	}

	if len(c.years) > 0 {
		c.first, c.last = c.years[0], c.years[len(c.years)-1]
		c.nextUnloaded = make([]int32, c.last-c.first+1)
		next := int32(c.last + 1)
		for y := c.last; y >= c.first; y-- {
			if _, ok := slices.BinarySearch(c.years, y); !ok {
				next = int32(y)
			}
			c.nextUnloaded[y-c.first] = next
		}
		if int(c.nextUnloaded[0]) == c.last+1 {
			c.exactLo, c.exactHi = NewDate(c.first, 1, 1), NewDate(c.last, 12, 31)
		}
	}

	var lo, hi Date
	if c.first != 0 {
		lo, hi = NewDate(c.first, 1, 1), NewDate(c.last, 12, 31)
	}
	if n := len(c.dates); n > 0 {
		if lo == 0 || c.dates[0] < lo {
			lo = c.dates[0]
		}
		if hi == 0 || c.dates[n-1] > hi {
			hi = c.dates[n-1]
		}
	}
	if lo == 0 {
		return c, nil
	}
	c.lo = lo
	n := int(hi-lo) + 1
	c.cum = make([]int32, n)
	c.nth = make([]int32, 0, n*5/7+len(c.dates))
	k, run := 0, int32(0)
	for i := 0; i < n; i++ {
		d := lo + Date(i)
		work := !weekend(d)
		if k < len(c.dates) && c.dates[k] == d {
			work = c.days[k].Kind == backstop.CalendarWorkday
			k++
		}
		if work {
			run++
			c.nth = append(c.nth, int32(i))
		}
		c.cum[i] = run
	}
	c.base = weekdays(lo - 1)
	c.delta = int(run) - (weekdays(hi) - c.base)
	return c, nil
}

type byDate struct{ c *Calendar }

func (b byDate) Len() int           { return len(b.c.dates) }
func (b byDate) Less(i, j int) bool { return b.c.dates[i] < b.c.dates[j] }
func (b byDate) Swap(i, j int) {
	b.c.dates[i], b.c.dates[j] = b.c.dates[j], b.c.dates[i]
	b.c.days[i], b.c.days[j] = b.c.days[j], b.c.days[i]
}

func weekend(d Date) bool {
	w := d % 7 // 0 Sunday … 6 Saturday
	return w == 0 || w == 6
}

// weekdays counts the days Monday to Friday in [MinDate, d] (0001-01-01
// was a Monday, so every 7 days hold 5).
func weekdays(d Date) int {
	if d <= 0 {
		return 0
	}
	return int(d)/7*5 + min(int(d)%7, 5)
}

// weekdayNumber is the inverse of weekdays: the t-th Monday-to-Friday day
// (t ≥ 1).
func weekdayNumber(t int) Date {
	return Date((t-1)/5*7 + (t-1)%5 + 1)
}

// count is the number of working days in [MinDate, d].
func (c *Calendar) count(d Date) int {
	switch {
	case d <= 0:
		return 0
	case c.lo == 0 || d < c.lo:
		return weekdays(d)
	case int(d-c.lo) < len(c.cum):
		return c.base + int(c.cum[d-c.lo])
	}
	return weekdays(d) + c.delta
}

// numbered is the inverse of count: the t-th working day; 0 when there is
// none in years 1–9999.
func (c *Calendar) numbered(t int) Date {
	var d Date
	switch {
	case t <= 0:
		return 0
	case c.lo == 0 || t <= c.base:
		d = weekdayNumber(t)
	case t-c.base <= len(c.nth):
		d = c.lo + Date(c.nth[t-c.base-1])
	default:
		d = weekdayNumber(t - c.delta)
	}
	if d > MaxDate {
		return 0
	}
	return d
}

// unloadedIn returns the first year of the days [from, to] that is not
// loaded, or 0.
func (c *Calendar) unloadedIn(from, to Date) int {
	if c.exactLo != 0 && from >= c.exactLo && to <= c.exactHi {
		return 0
	}
	return c.firstUnloaded(from.Year(), to.Year())
}

// firstUnloaded returns the first year in [from, to] that is not loaded,
// or 0.
func (c *Calendar) firstUnloaded(from, to int) int {
	if c.first == 0 || from < c.first || from > c.last {
		return from
	}
	if u := int(c.nextUnloaded[from-c.first]); u <= to {
		return u
	}
	return 0
}

// Add returns the working day n working days after d, d itself not
// counted: the n-th working day after d. n = 0 returns d unchanged, even
// when d is not a working day (nothing is counted, so the answer is not
// provisional). A negative n counts back: Add(d, -1) is the last working
// day before d, and the days counted are those from the answer up to the
// day before d. A zero or invalid d, or an answer outside years 1–9999,
// gives the zero Result.
func (c *Calendar) Add(d Date, n int) Result {
	if !d.Valid() || n > maxSpan || n < -maxSpan {
		return Result{}
	}
	if n == 0 {
		return Result{Date: d}
	}
	var to Date
	var from, until Date // the days counted
	if n > 0 {
		to = c.numbered(c.count(d) + n)
		from, until = d+1, to
	} else {
		to = c.numbered(c.count(d-1) + n + 1)
		from, until = to, d-1
	}
	if to == 0 {
		return Result{}
	}
	u := c.unloadedIn(from, until)
	return Result{Date: to, Provisional: u != 0, UnloadedYear: u}
}

// Between counts the working days after a up to and including b (the
// start day not counted, as in Add: Between(d, Add(d, n).Date) is n).
// When b is before a the count is negative: -Between(b, a). Invalid dates
// give the zero Count.
func (c *Calendar) Between(a, b Date) Count {
	if !a.Valid() || !b.Valid() || a == b {
		return Count{}
	}
	sign := 1
	if b < a {
		a, b, sign = b, a, -1
	}
	u := c.unloadedIn(a+1, b)
	return Count{Days: sign * (c.count(b) - c.count(a)), Provisional: u != 0, UnloadedYear: u}
}

// IsWorkday reports whether offices work on d. In a year that is not
// loaded it is Monday to Friday (Info says whether the year is loaded).
func (c *Calendar) IsWorkday(d Date) bool {
	if !d.Valid() {
		return false
	}
	if c.lo != 0 && d >= c.lo && int(d-c.lo) < len(c.cum) {
		i := int(d - c.lo)
		if i == 0 {
			return c.cum[0] == 1
		}
		return c.cum[i] != c.cum[i-1]
	}
	return !weekend(d)
}

// Info describes d: working day or not, the listed day if any, and
// whether its year is loaded.
func (c *Calendar) Info(d Date) DayInfo {
	info := DayInfo{Date: d, Workday: c.IsWorkday(d)}
	if !d.Valid() {
		return info
	}
	if i, ok := slices.BinarySearch(c.dates, d); ok {
		info.Kind, info.Name = c.days[i].Kind, c.days[i].Name
	}
	info.Provisional = !c.Loaded(d.Year())
	return info
}

// Loaded reports whether year's calendar is loaded.
func (c *Calendar) Loaded(year int) bool {
	_, ok := slices.BinarySearch(c.years, year)
	return ok
}

// Years returns the loaded years, ascending.
func (c *Calendar) Years() []int { return slices.Clone(c.years) }

// Days returns the listed days, by date.
func (c *Calendar) Days() []backstop.CalendarDay { return slices.Clone(c.days) }

// String summarises the calendar for logs.
func (c *Calendar) String() string {
	return fmt.Sprintf("working-day calendar: %d listed days, years %v loaded", len(c.days), c.years)
}
