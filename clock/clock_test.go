package clock_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/clock"
	"github.com/zhangye-backstop/backstop/storetest"
	"github.com/zhangye-backstop/backstop/workday"
)

// TestClockRecountedWhenYearLoaded: a clock counted in working days into
// 2027, before 2027's calendar is loaded, is provisional (Monday to
// Friday); once the year is imported its due date moves to the exact
// working day, and it is no longer provisional.
func TestClockRecountedWhenYearLoaded(t *testing.T) {
	for _, e := range storetest.Engines {
		t.Run(e.Name, func(t *testing.T) {
			db := e.Open(t)
			ctx := storetest.Admin()
			cal := &workday.Service{Store: db}
			if err := cal.Load(ctx); err != nil {
				t.Fatal(err)
			}
			eng := &clock.Engine{Store: db, Calendar: cal}
			cal.OnLoaded = func(ctx context.Context, years []int) {
				if _, err := eng.Recount(ctx); err != nil {
					t.Error(err)
				}
			}
			// A report on Wednesday 2026-12-30, to be checked within 3
			// working days.
			start := time.Date(2026, 12, 30, 10, 0, 0, 0, backstop.Beijing)
			c, err := eng.New(ctx, "test.check", "report:1", "620723101201", start, &backstop.Policy{ID: 7, Value: 3, Unit: "workdays"})
			if err != nil {
				t.Fatal(err)
			}
			// Monday to Friday: Thu 12-31, Fri 01-01, Mon 01-04.
			if c.DueDate != "2027-01-04" || !c.Provisional || !c.Due.Equal(time.Date(2027, 1, 5, 0, 0, 0, 0, backstop.Beijing)) || c.PolicyID != 7 {
				t.Fatalf("before 2027 is loaded: due %s (%v), provisional %v", c.DueDate, c.Due, c.Provisional)
			}
			if err := db.StartClock(ctx, c); err != nil {
				t.Fatal(err)
			}
			if _, err := cal.Import(ctx, strings.NewReader(storetest.Calendar2027), "2027.csv"); err != nil {
				t.Fatal(err)
			}
			got, err := db.FindClock(ctx, "test.check", "report:1")
			if err != nil {
				t.Fatal(err)
			}
			// With 2027-01-01 a holiday: Thu 12-31, Mon 01-04, Tue 01-05.
			if got.DueDate != "2027-01-05" || got.Provisional || !got.Due.Equal(time.Date(2027, 1, 6, 0, 0, 0, 0, backstop.Beijing)) {
				t.Errorf("after 2027 is loaded: due %s (%v), provisional %v", got.DueDate, got.Due, got.Provisional)
			}
			if got.FireAt == nil || !got.FireAt.Equal(got.Due) {
				t.Errorf("the clock still fires at %v, not at its new due time", got.FireAt)
			}
		})
	}
}

// TestDueUnits: calendar days end with their last day; working days skip
// the Spring Festival (2026-02-12 + 2 is the make-up Saturday 02-14).
func TestDueUnits(t *testing.T) {
	db := storetest.OpenSQLite(t)
	cal := &workday.Service{Store: db}
	if err := cal.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	eng := &clock.Engine{Store: db, Calendar: cal}
	start := time.Date(2026, 2, 12, 16, 0, 0, 0, backstop.Beijing)
	for _, c := range []struct {
		limit float64
		unit  backstop.ClockUnit
		due   time.Time
		date  string
	}{
		{2, backstop.UnitWorkdays, time.Date(2026, 2, 15, 0, 0, 0, 0, backstop.Beijing), "2026-02-14"},
		{5, backstop.UnitDays, time.Date(2026, 2, 18, 0, 0, 0, 0, backstop.Beijing), "2026-02-17"},
		{2, backstop.UnitHours, start.Add(2 * time.Hour), ""},
		{90, backstop.UnitMinutes, start.Add(90 * time.Minute), ""},
	} {
		due, date, provisional, err := eng.Due(context.Background(), start, c.limit, c.unit)
		if err != nil || !due.Equal(c.due) || date != c.date || provisional {
			t.Errorf("%g %s: %v %s %v %v; want %v %s", c.limit, c.unit, due, date, provisional, err, c.due, c.date)
		}
	}
	if _, _, _, err := eng.Due(context.Background(), start, 1.5, backstop.UnitWorkdays); backstop.ErrorCode(err) != backstop.EINVALID {
		t.Errorf("a fraction of a working day: %v", err)
	}
}
