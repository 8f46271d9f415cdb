package workday_test

import (
	"encoding/json"
	"math/rand/v2"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/storetest"
	"github.com/zhangye-backstop/backstop/workday"
)

func date(t testing.TB, s string) workday.Date {
	t.Helper()
	d, err := workday.ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// dataFile parses the real 2023–2026 calendar in ../shared.
func dataFile(t testing.TB) *workday.File {
	t.Helper()
	f, err := os.Open(storetest.SharedData(t, storetest.CalendarCSV))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	file, err := workday.Parse(f)
	if err != nil {
		t.Fatalf("parse the shared calendar: %v %v", err, backstop.ErrorDetails(err))
	}
	return file
}

func dataCalendar(t testing.TB) *workday.Calendar {
	t.Helper()
	f := dataFile(t)
	c, err := workday.New(f.Days, f.Years)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestCalendarDate checks Date against the time package on every day of
// 1900–2100, and its edges and forms.
func TestCalendarDate(t *testing.T) {
	start := time.Date(1900, 1, 1, 0, 0, 0, 0, backstop.Beijing)
	prev := workday.Date(0)
	for tm := start; tm.Year() <= 2100; tm = tm.AddDate(0, 0, 1) {
		d := workday.DateOf(tm)
		y, m, dd := d.Civil()
		if y != tm.Year() || m != tm.Month() || dd != tm.Day() || d.Weekday() != tm.Weekday() || d.Year() != tm.Year() {
			t.Fatalf("%s: Date gives %d-%d-%d %s", tm.Format("2006-01-02 Mon"), y, m, dd, d.Weekday())
		}
		if prev != 0 && d != prev+1 {
			t.Fatalf("%s is %d, the day before %d", tm.Format("2006-01-02"), d, prev)
		}
		if s := d.String(); s != tm.Format("2006-01-02") {
			t.Fatalf("String %q, want %q", s, tm.Format("2006-01-02"))
		}
		if back, err := workday.ParseDate(d.String()); err != nil || back != d {
			t.Fatalf("ParseDate(%s) = %d, %v", d, back, err)
		}
		if !d.Time().Equal(tm) {
			t.Fatalf("Time of %s = %v", d, d.Time())
		}
		prev = d
	}
	if workday.NewDate(1, 1, 1) != workday.MinDate || workday.NewDate(9999, 12, 31) != workday.MaxDate || workday.MaxDate.String() != "9999-12-31" {
		t.Errorf("edges: %d %d", workday.NewDate(1, 1, 1), workday.NewDate(9999, 12, 31))
	}
	if workday.NewDate(10000, 1, 1) != 0 || workday.NewDate(0, 12, 31) != 0 {
		t.Error("a date outside years 1–9999 is not zero")
	}
	if workday.NewDate(2026, 2, 29) != date(t, "2026-03-01") || workday.NewDate(2026, 13, 1) != date(t, "2027-01-01") || workday.NewDate(2026, 0, 1) != date(t, "2025-12-01") {
		t.Error("NewDate does not carry over like time.Date")
	}
	// 23:30 UTC on 31 December is already New Year's Day in Beijing.
	if d := workday.DateOf(time.Date(2026, 12, 31, 23, 30, 0, 0, time.UTC)); d.String() != "2027-01-01" {
		t.Errorf("DateOf 2026-12-31T23:30Z = %s, want 2027-01-01 (Beijing)", d)
	}
	for _, bad := range []string{"", "2026-2-14", "2026/02/14", "2026-02-30", "2026-13-01", "2025-02-29", "0000-01-01", "2026-02-1x", "２０２６-02-14"} {
		if _, err := workday.ParseDate(bad); err == nil {
			t.Errorf("ParseDate(%q) accepted", bad)
		}
	}
	if _, err := workday.ParseDate("2024-02-29"); err != nil {
		t.Errorf("leap day refused: %v", err)
	}
	var zero workday.Date
	if !zero.IsZero() || zero.Valid() || zero.String() != "" || !zero.Time().IsZero() || workday.DateOf(time.Time{}) != 0 {
		t.Error("the zero Date is not 'no date'")
	}
	b, _ := json.Marshal(workday.Result{Date: date(t, "2026-10-10")})
	if string(b) != `{"date":"2026-10-10","provisional":false}` {
		t.Errorf("JSON %s", b)
	}
	var r workday.Result
	if err := json.Unmarshal([]byte(`{"date":"2026-02-14"}`), &r); err != nil || r.Date != date(t, "2026-02-14") {
		t.Errorf("unmarshal: %v %v", r, err)
	}
	if err := json.Unmarshal([]byte(`{"date":"2026-02-30"}`), &r); err == nil {
		t.Error("unmarshal of 2026-02-30 accepted")
	}
}

// TestCalendarFromData: the 2023–2026 holidays and make-up days of the
// shared data, and the deadlines of the brief.
func TestCalendarFromData(t *testing.T) {
	f := dataFile(t)
	if !slices.Equal(f.Years, []int{2023, 2024, 2025, 2026}) {
		t.Fatalf("the data covers %v, want 2023–2026 (2022-12-31 belongs to 2023)", f.Years)
	}
	if f.Days[0].Date.Format("2006-01-02") != "2022-12-31" || f.Days[0].Year != 2023 {
		t.Errorf("first day %+v, want 2022-12-31 of 2023", f.Days[0])
	}
	c := dataCalendar(t)
	add := []struct {
		from string
		n    int
		want string
	}{
		{"2026-02-12", 2, "2026-02-14"}, // Thursday + 2: Friday, then the make-up Saturday
		{"2026-09-30", 3, "2026-10-10"}, // the National Day week, then Thursday, Friday, make-up Saturday
		{"2026-02-13", 1, "2026-02-14"},
		{"2026-02-14", 1, "2026-02-24"}, // over the nine days of the Spring Festival
		{"2026-02-13", 5, "2026-02-27"},
		{"2026-02-27", 1, "2026-02-28"}, // make-up Saturday
		{"2025-01-24", 7, "2025-02-10"},
		{"2024-09-13", 1, "2024-09-14"}, // Mid-Autumn make-up Saturday
		{"2024-09-14", 1, "2024-09-18"},
		{"2023-09-28", 1, "2023-10-07"}, // 中秋 and 国庆 2023 in one period, then two make-up days
		{"2023-10-07", 1, "2023-10-08"},
		{"2023-10-08", 1, "2023-10-09"},
		{"2023-12-29", 1, "2024-01-02"}, // 2024-01-01 Monday is New Year's Day
		{"2026-10-08", -1, "2026-09-30"},
		{"2026-02-24", -2, "2026-02-13"}, // back over the Spring Festival: make-up Saturday, Friday
		{"2026-10-01", 0, "2026-10-01"},  // 0 is the date itself, even on a holiday
		{"2026-04-01", 10, "2026-04-16"}, // Qingming (4–6 April) in the way
	}
	for _, tc := range add {
		r := c.Add(date(t, tc.from), tc.n)
		if r.Date.String() != tc.want || r.Provisional || r.UnloadedYear != 0 {
			t.Errorf("%s %+d working days = %+v, want %s exactly", tc.from, tc.n, r, tc.want)
		}
	}
	between := []struct {
		a, b string
		want int
	}{
		{"2026-02-13", "2026-02-27", 5}, // across the Spring Festival; Monday to Friday would say 10
		{"2025-01-24", "2025-02-10", 7},
		{"2026-02-27", "2026-02-13", -5},
		{"2026-09-30", "2026-10-10", 3},
		{"2026-10-01", "2026-10-07", 0},
		{"2026-10-10", "2026-10-10", 0},
	}
	for _, tc := range between {
		r := c.Between(date(t, tc.a), date(t, tc.b))
		if r.Days != tc.want || r.Provisional {
			t.Errorf("Between(%s, %s) = %+v, want %d exactly", tc.a, tc.b, r, tc.want)
		}
	}
	// Every listed day is what the data says; every other day of
	// 2023–2026 follows the week.
	listed := map[workday.Date]backstop.CalendarDayKind{}
	for _, d := range f.Days {
		listed[workday.DateOf(d.Date)] = d.Kind
		if got := c.IsWorkday(workday.DateOf(d.Date)); got != (d.Kind == backstop.CalendarWorkday) {
			t.Errorf("%s (%s %s): IsWorkday %v", d.Date.Format("2006-01-02"), d.Kind, d.Name, got)
		}
	}
	for d := date(t, "2023-01-01"); d <= date(t, "2026-12-31"); d++ {
		if _, ok := listed[d]; ok {
			continue
		}
		if w := d.Weekday(); c.IsWorkday(d) != (w != time.Saturday && w != time.Sunday) {
			t.Errorf("%s (%s, not listed): IsWorkday %v", d, w, c.IsWorkday(d))
		}
	}
	if i := c.Info(date(t, "2026-10-01")); i.Workday || i.Kind != backstop.CalendarHoliday || i.Name != "国庆节" || i.Provisional {
		t.Errorf("Info(2026-10-01) = %+v", i)
	}
	if i := c.Info(date(t, "2026-10-10")); !i.Workday || i.Kind != backstop.CalendarWorkday || i.Name != "国庆节" {
		t.Errorf("Info(2026-10-10) = %+v", i)
	}
	if i := c.Info(date(t, "2027-03-01")); !i.Workday || i.Kind != "" || !i.Provisional {
		t.Errorf("Info(2027-03-01) = %+v, want an ordinary provisional Monday", i)
	}
}

// TestCalendarUnloadedYears: outside the loaded years, Monday to Friday,
// provisional, naming the year; counting runs on over New Year.
func TestCalendarUnloadedYears(t *testing.T) {
	c := dataCalendar(t)
	cases := []struct {
		from string
		n    int
		want string
		year int // first unloaded year counted; 0 for exact
	}{
		{"2026-12-30", 1, "2026-12-31", 0},
		{"2026-12-31", 1, "2027-01-01", 2027}, // a Friday: a working day until 2027 is loaded
		{"2026-12-25", 10, "2027-01-08", 2027},
		{"2027-03-05", 1, "2027-03-08", 2027},
		{"2027-01-04", -1, "2027-01-01", 2027},
		{"2027-01-01", -1, "2026-12-31", 0}, // only 2026-12-31 is counted
		{"2027-01-04", -2, "2026-12-31", 2027},
		{"2022-12-30", 1, "2023-01-03", 2022}, // 2022-12-31 counted, in 2022, not loaded
		{"2022-06-01", 1, "2022-06-02", 2022},
		{"2031-01-01", 1, "2031-01-02", 2031},
	}
	for _, tc := range cases {
		r := c.Add(date(t, tc.from), tc.n)
		if r.Date.String() != tc.want || r.Provisional != (tc.year != 0) || r.UnloadedYear != tc.year {
			t.Errorf("%s %+d = %+v, want %s (unloaded year %d)", tc.from, tc.n, r, tc.want, tc.year)
		}
	}
	if r := c.Between(date(t, "2026-12-31"), date(t, "2027-01-08")); r.Days != 6 || !r.Provisional || r.UnloadedYear != 2027 {
		t.Errorf("Between over New Year 2027 = %+v, want 6 provisional", r)
	}
	if r := c.Between(date(t, "2026-12-24"), date(t, "2026-12-31")); r.Days != 5 || r.Provisional {
		t.Errorf("Between inside 2026 = %+v", r)
	}
	// A calendar with nothing loaded counts Monday to Friday everywhere.
	empty, err := workday.New(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r := empty.Add(date(t, "2026-09-30"), 3); r.Date.String() != "2026-10-05" || !r.Provisional || r.UnloadedYear != 2026 {
		t.Errorf("empty calendar: %+v", r)
	}
	// Beyond the dates a Date holds: the zero Result, no panic.
	if r := c.Add(workday.MaxDate, 1); r != (workday.Result{}) {
		t.Errorf("after 9999-12-31: %+v", r)
	}
	if r := c.Add(workday.MinDate, -1); r != (workday.Result{}) {
		t.Errorf("before 0001-01-01: %+v", r)
	}
	if r := c.Add(date(t, "2026-01-01"), 1<<62); r != (workday.Result{}) {
		t.Errorf("huge n: %+v", r)
	}
	if r := c.Add(0, 1); r != (workday.Result{}) {
		t.Errorf("zero date: %+v", r)
	}
}

// TestCalendarAgainstDayByDay compares Add and Between with counting one
// day at a time, on a calendar with a gap (2024 not loaded) and far
// outside it.
func TestCalendarAgainstDayByDay(t *testing.T) {
	f := dataFile(t)
	loaded := []int{2023, 2025, 2026}
	var days []backstop.CalendarDay
	kind := map[workday.Date]backstop.CalendarDayKind{}
	for _, d := range f.Days {
		if d.Year != 2024 {
			days = append(days, d)
			kind[workday.DateOf(d.Date)] = d.Kind
		}
	}
	c, err := workday.New(days, loaded)
	if err != nil {
		t.Fatal(err)
	}
	work := func(d workday.Date) bool {
		if k, ok := kind[d]; ok {
			return k == backstop.CalendarWorkday
		}
		return d.Weekday() != time.Saturday && d.Weekday() != time.Sunday
	}
	unloaded := func(from, to workday.Date) int {
		for d := from; d <= to; d++ {
			if !slices.Contains(loaded, d.Year()) {
				return d.Year()
			}
		}
		return 0
	}
	rng := rand.New(rand.NewPCG(8, 2026))
	lo, hi := date(t, "2021-06-01"), date(t, "2028-06-30")
	for i := 0; i < 20000; i++ {
		a := lo + workday.Date(rng.IntN(int(hi-lo)))
		n := rng.IntN(121) - 60
		want := a
		if n > 0 {
			for k := 0; k < n; {
				want++
				if work(want) {
					k++
				}
			}
		} else if n < 0 {
			for k := 0; k > n; {
				want--
				if work(want) {
					k--
				}
			}
		}
		var u int
		switch {
		case n > 0:
			u = unloaded(a+1, want)
		case n < 0:
			u = unloaded(want, a-1)
		}
		got := c.Add(a, n)
		if got.Date != want || got.UnloadedYear != u || got.Provisional != (u != 0) {
			t.Fatalf("Add(%s, %d) = %+v, want %s (unloaded %d)", a, n, got, want, u)
		}
		if n > 0 {
			if b := c.Between(a, got.Date); b.Days != n || b.UnloadedYear != u {
				t.Fatalf("Between(%s, Add(%s, %d) = %s) = %+v", a, a, n, got.Date, b)
			}
		} else if n < 0 {
			if b := c.Between(got.Date-1, a-1); b.Days != -n {
				t.Fatalf("Between(%s, %s) = %+v, want %d", got.Date-1, a-1, b, -n)
			}
		}
		b := lo + workday.Date(rng.IntN(int(hi-lo)))
		x, y, sign := a, b, 1
		if y < x {
			x, y, sign = y, x, -1
		}
		count := 0
		for d := x + 1; d <= y; d++ {
			if work(d) {
				count++
			}
		}
		uu := 0
		if x != y {
			uu = unloaded(x+1, y)
		}
		if got := c.Between(a, b); got.Days != sign*count || got.UnloadedYear != uu || got.Provisional != (uu != 0) {
			t.Fatalf("Between(%s, %s) = %+v, want %d (unloaded %d)", a, b, got, sign*count, uu)
		}
	}
	if r := c.Add(date(t, "2023-12-29"), 1); r.Date.String() != "2024-01-01" || r.UnloadedYear != 2024 {
		t.Errorf("into the unloaded 2024: %+v (its New Year's Day is not known here)", r)
	}
}

func TestCalendarNewRefusesContradictions(t *testing.T) {
	day := func(s string, k backstop.CalendarDayKind) backstop.CalendarDay {
		return backstop.CalendarDay{Date: date(t, s).Time(), Kind: k, Name: "春节", Year: date(t, s).Year()}
	}
	for name, tc := range map[string]struct {
		days  []backstop.CalendarDay
		years []int
	}{
		"twice":             {[]backstop.CalendarDay{day("2026-02-15", backstop.CalendarHoliday), day("2026-02-15", backstop.CalendarHoliday)}, []int{2026}},
		"weekday workday":   {[]backstop.CalendarDay{day("2026-02-12", backstop.CalendarWorkday)}, []int{2026}},
		"unknown kind":      {[]backstop.CalendarDay{day("2026-02-15", "rest")}, []int{2026}},
		"year out of range": {nil, []int{2207}},
		"date out of range": {[]backstop.CalendarDay{day("1999-02-15", backstop.CalendarHoliday)}, nil},
	} {
		if _, err := workday.New(tc.days, tc.years); backstop.ErrorCode(err) != backstop.EINVALID {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestCalendarAddAllocatesNothing(t *testing.T) {
	c := dataCalendar(t)
	a, b := date(t, "2026-02-12"), date(t, "2027-03-01")
	if n := testing.AllocsPerRun(100, func() {
		c.Add(a, 2)
		c.Add(b, -7)
		c.Between(a, b)
		c.IsWorkday(a)
	}); n != 0 {
		t.Errorf("%v allocations per Add/Between", n)
	}
}

var benchSink workday.Date

// BenchmarkCalendarAdd is a deadline sweep: 100,000 clocks started on
// different days of 2023–2027, each moved on by 5, 15 and 20 working days.
func BenchmarkCalendarAdd(b *testing.B) {
	c := dataCalendar(b)
	starts := make([]workday.Date, 100000)
	first := date(b, "2023-01-01")
	for i := range starts {
		starts[i] = first + workday.Date(i%1800)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		for _, s := range starts {
			benchSink ^= c.Add(s, 5).Date ^ c.Add(s, 15).Date ^ c.Add(s, 20).Date
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/300000, "ns/add")
}
