package workday

import (
	"context"
	"io"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zhangye-backstop/backstop"
)

// Store is what the service needs of storage (sqlstore.DB has it).
type Store interface {
	CalendarDays(ctx context.Context) ([]backstop.CalendarDay, []backstop.CalendarYear, error)
	ReplaceCalendarYears(ctx context.Context, source string, years []int, days []backstop.CalendarDay) error
}

// MaxAddDays bounds n in Service.Add: deadlines are days to weeks, and a
// number beyond ten thousand working days (about 40 years) is a mistake.
const MaxAddDays = 10000

// Service holds a process's current Calendar, loaded from the store, and
// imports new years. Reads are lock-free: an import builds a new Calendar
// and swaps it in.
type Service struct {
	Store Store
	// OnLoaded, when set, is called after an import (or a Reload that
	// found changes) with the years whose calendar changed, so that
	// running clocks with deadlines in them are computed again.
	OnLoaded func(ctx context.Context, years []int)

	cal   atomic.Pointer[Calendar]
	years atomic.Pointer[[]backstop.CalendarYear]
	mu    sync.Mutex // one import or reload at a time
}

// Load reads the calendar from the store. Call it once at start; Reload
// later picks up imports made by another process (a CLI import while the
// server runs).
func (s *Service) Load(ctx context.Context) error {
	_, err := s.Reload(ctx)
	return err
}

// Reload reads the calendar from the store again and returns the years
// whose records changed since the last load (a year newly loaded, loaded
// again from another file, or gone); OnLoaded hears of them. A first load
// reports nothing changed.
func (s *Service) Reload(ctx context.Context) ([]int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	days, years, err := s.Store.CalendarDays(ctx)
	if err != nil {
		return nil, err
	}
	cal, err := New(days, yearNumbers(years))
	if err != nil {
		return nil, err
	}
	var changed []int
	if old := s.years.Load(); old != nil {
		changed = changedYears(*old, years)
	}
	s.cal.Store(cal)
	s.years.Store(&years)
	if len(changed) > 0 && s.OnLoaded != nil {
		s.OnLoaded(ctx, changed)
	}
	return changed, nil
}

func yearNumbers(years []backstop.CalendarYear) []int {
	out := make([]int, len(years))
	for i, y := range years {
		out[i] = y.Year
	}
	return out
}

func changedYears(old, cur []backstop.CalendarYear) []int {
	key := func(y backstop.CalendarYear) string {
		return y.Source + "\x00" + y.LoadedBy + "\x00" + y.LoadedAt.UTC().Format(time.RFC3339Nano)
	}
	was := map[int]string{}
	for _, y := range old {
		was[y.Year] = key(y)
	}
	var out []int
	for _, y := range cur {
		if k, ok := was[y.Year]; !ok || k != key(y) {
			out = append(out, y.Year)
		}
		delete(was, y.Year)
	}
	for y := range was {
		out = append(out, y)
	}
	slices.Sort(out)
	return out
}

// Calendar returns the current calendar, or an error when Load has not
// run: an empty calendar would make every answer provisional without
// saying why.
func (s *Service) Calendar() (*Calendar, error) {
	c := s.cal.Load()
	if c == nil {
		return nil, backstop.Localized(backstop.EUNAVAILABLE, "工作日历尚未加载", "The working-day calendar is not loaded.")
	}
	return c, nil
}

// Years lists the loaded years with their sources, as last loaded.
func (s *Service) Years() []backstop.CalendarYear {
	if y := s.years.Load(); y != nil {
		return slices.Clone(*y)
	}
	return nil
}

// Add returns the date n working days after d (Calendar.Add): EINVALID
// for a zero date, |n| > MaxAddDays or an answer beyond year 9999.
func (s *Service) Add(ctx context.Context, d Date, n int) (Result, error) {
	c, err := s.Calendar()
	if err != nil {
		return Result{}, err
	}
	if !d.Valid() {
		return Result{}, backstop.Localized(backstop.EINVALID, "缺少起始日期", "A start date is required.")
	}
	if n > MaxAddDays || n < -MaxAddDays {
		return Result{}, backstop.Localized(backstop.EINVALID, "工作日数 %d 超出 ±%d 的范围", "%d working days is beyond the limit of ±%d.", n, MaxAddDays)
	}
	r := c.Add(d, n)
	if r.Date == 0 {
		return Result{}, backstop.Localized(backstop.EINVALID, "%s 加 %d 个工作日超出可表示的日期", "%s plus %d working days is beyond the dates backstop represents.", d, n)
	}
	return r, nil
}

// Between counts the working days after a up to and including b
// (Calendar.Between).
func (s *Service) Between(ctx context.Context, a, b Date) (Count, error) {
	c, err := s.Calendar()
	if err != nil {
		return Count{}, err
	}
	if !a.Valid() || !b.Valid() {
		return Count{}, backstop.Localized(backstop.EINVALID, "需要起止两个日期", "Both dates are required.")
	}
	return c.Between(a, b), nil
}

// YearLoad is what an import loaded for one year.
type YearLoad struct {
	Year     int `json:"year"`
	Rows     int `json:"rows"`
	Holidays int `json:"holidays"`
	Workdays int `json:"workdays"`
	// Replaced is true when the year was loaded before (from Source).
	Replaced       bool   `json:"replaced"`
	ReplacedSource string `json:"replaced_source,omitempty"`
}

// ImportResult reports an import.
type ImportResult struct {
	Source string     `json:"source"`
	Years  []YearLoad `json:"years"`
}

// Import reads a calendar file (Parse) and loads the years it covers,
// replacing what those years held before; other years stay. Only an
// admin may: the calendar is national reference data that every deadline
// of every county depends on (the same rule as policy versions; no
// permission of a lesser role fits). The years are stored in one
// transaction with the audit row (calendar.import), then the in-memory
// calendar is swapped and OnLoaded is told the years. name is the file's
// name, recorded as the years' source.
func (s *Service) Import(ctx context.Context, r io.Reader, name string) (*ImportResult, error) {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return nil, err
	}
	if u.Role != backstop.RoleAdmin || u.Disabled || u.Region != backstop.NationalScope {
		return nil, backstop.Localized(backstop.EFORBIDDEN, "只有全国范围（%s）的管理员可以导入节假日安排：日历是每个县区共用的基础数据", "Only an admin of the national scope (%s) may load the working-day calendar, which every county's deadlines share.", backstop.NationalScope)
	}
	name = strings.TrimSpace(name)
	if name == "" {
		return nil, backstop.Localized(backstop.EINVALID, "缺少文件名", "The file needs a name (it is recorded as the source).")
	}
	if n := len([]rune(name)); n > 200 {
		return nil, backstop.Localized(backstop.EINVALID, "文件名过长（%d 字，上限 200）", "The file name is too long (%d characters; the limit is 200).", n)
	}
	f, err := Parse(r)
	if err != nil {
		return nil, err
	}

	s.mu.Lock()
	// Merge with what is stored now, not with this process's copy: another
	// process may have imported since.
	stored, years, err := s.Store.CalendarDays(ctx)
	if err != nil {
		s.mu.Unlock()
		return nil, err
	}
	days, loaded, err := f.Merge(stored, yearNumbers(years))
	if err != nil {
		s.mu.Unlock()
		return nil, err
	}
	cal, err := New(days, loaded)
	if err != nil {
		s.mu.Unlock()
		return nil, err
	}
	if err := s.Store.ReplaceCalendarYears(ctx, name, f.Years, f.Days); err != nil {
		s.mu.Unlock()
		return nil, err
	}
	res := &ImportResult{Source: name}
	before := map[int]backstop.CalendarYear{}
	for _, y := range years {
		before[y.Year] = y
	}
	for _, y := range f.Years {
		l := YearLoad{Year: y}
		for _, d := range f.Days {
			if d.Year != y {
				continue
			}
			l.Rows++
			if d.Kind == backstop.CalendarHoliday {
				l.Holidays++
			} else {
				l.Workdays++
			}
		}
		if old, ok := before[y]; ok {
			l.Replaced, l.ReplacedSource = true, old.Source
		}
		res.Years = append(res.Years, l)
	}
	// Read back what was stored, so that the records (who, when) are the
	// database's and a later Reload does not take this import for another.
	// Should that read fail, the merged calendar is what was stored, and
	// the next Reload reports the years once more.
	recs := years
	if d, y, err := s.Store.CalendarDays(ctx); err == nil {
		if c, err := New(d, yearNumbers(y)); err == nil {
			cal, recs = c, y
		}
	}
	s.cal.Store(cal)
	s.years.Store(&recs)
	s.mu.Unlock()

	if s.OnLoaded != nil {
		s.OnLoaded(ctx, slices.Clone(f.Years))
	}
	return res, nil
}

// MissingYears returns the years admins should load now: the year of now
// (Beijing time) when it is not loaded, and from 1 December on the next
// year too when it is not. The State Council publishes the next year's
// notice in late October to early December (2023's on 2022-12-08), so a
// reminder from December is neither early nagging nor late.
func (s *Service) MissingYears(now time.Time) []int {
	c := s.cal.Load()
	y, m, _ := now.In(backstop.Beijing).Date()
	var out []int
	if c == nil || !c.Loaded(y) {
		out = append(out, y)
	}
	if m == time.December && (c == nil || !c.Loaded(y+1)) {
		out = append(out, y+1)
	}
	return out
}
