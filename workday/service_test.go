package workday_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/storetest"
	"github.com/zhangye-backstop/backstop/workday"
)

// TestCalendarService runs the service on the real store, on both
// engines: the seeded 2023–2026, 2027 provisional until a file for it is
// imported, then exact; imports refused for non-admins and bad files; a
// second process catching up with Reload.
func TestCalendarService(t *testing.T) {
	for _, e := range storetest.Engines {
		t.Run(e.Name, func(t *testing.T) {
			db := e.Open(t)
			var mu sync.Mutex
			var told [][]int
			svc := &workday.Service{Store: db, OnLoaded: func(ctx context.Context, years []int) {
				mu.Lock()
				told = append(told, years)
				mu.Unlock()
			}}
			ctx := context.Background()
			if _, err := svc.Add(ctx, date(t, "2026-02-12"), 2); backstop.ErrorCode(err) != backstop.EUNAVAILABLE {
				t.Errorf("Add before Load: %v, want unavailable", err)
			}
			if err := svc.Load(ctx); err != nil {
				t.Fatal(err)
			}
			if got := yearsOf(svc.Years()); !slices.Equal(got, []int{2023, 2024, 2025, 2026}) {
				t.Fatalf("loaded years %v", got)
			}
			if r, err := svc.Add(ctx, date(t, "2026-09-30"), 3); err != nil || r.Date.String() != "2026-10-10" || r.Provisional {
				t.Errorf("2026-09-30 + 3 = %+v, %v", r, err)
			}
			r, err := svc.Add(ctx, date(t, "2026-12-31"), 1)
			if err != nil || r.Date.String() != "2027-01-01" || !r.Provisional || r.UnloadedYear != 2027 {
				t.Errorf("before 2027 is loaded: %+v, %v; want Friday 2027-01-01, provisional", r, err)
			}
			if b, err := svc.Between(ctx, date(t, "2026-12-31"), date(t, "2027-01-08")); err != nil || b.Days != 6 || !b.Provisional {
				t.Errorf("Between before 2027: %+v %v", b, err)
			}
			if _, err := svc.Add(ctx, date(t, "2026-12-31"), workday.MaxAddDays+1); backstop.ErrorCode(err) != backstop.EINVALID {
				t.Errorf("n over the limit: %v", err)
			}
			if _, err := svc.Add(ctx, 0, 1); backstop.ErrorCode(err) != backstop.EINVALID {
				t.Errorf("no date: %v", err)
			}

			// Reminders: the current year when missing, the next from
			// 1 December (Beijing time).
			for _, tc := range []struct {
				at   time.Time
				want []int
			}{
				{time.Date(2026, 11, 30, 12, 0, 0, 0, backstop.Beijing), nil},
				{time.Date(2026, 11, 30, 16, 30, 0, 0, time.UTC), []int{2027}}, // 00:30 on 1 December in Beijing
				{time.Date(2027, 3, 1, 9, 0, 0, 0, backstop.Beijing), []int{2027}},
				{time.Date(2028, 12, 15, 9, 0, 0, 0, backstop.Beijing), []int{2028, 2029}},
			} {
				if got := svc.MissingYears(tc.at); !slices.Equal(got, tc.want) {
					t.Errorf("MissingYears(%v) = %v, want %v", tc.at, got, tc.want)
				}
			}

			// Who may import.
			if _, err := svc.Import(ctx, strings.NewReader(storetest.Calendar2027), "2027.csv"); backstop.ErrorCode(err) != backstop.EUNAUTHORIZED {
				t.Errorf("import without a user: %v", err)
			}
			county := backstop.NewContextWithUser(ctx, &backstop.User{Name: "linze", Role: backstop.RoleCounty, Region: "620723000000"})
			if _, err := svc.Import(county, strings.NewReader(storetest.Calendar2027), "2027.csv"); backstop.ErrorCode(err) != backstop.EFORBIDDEN {
				t.Errorf("import by a county officer: %v", err)
			}
			admin := storetest.Admin()
			// A bad file: the row problems, nothing stored.
			bad := strings.Replace(storetest.Calendar2027, "2027-02-20,workday", "2027-02-19,workday", 1)
			_, err = svc.Import(admin, strings.NewReader(bad), "2027-bad.csv")
			if ps := backstop.ErrorDetails(err); backstop.ErrorCode(err) != backstop.EINVALID || len(ps) != 1 || ps[0].Row != 15 || !strings.Contains(ps[0].Reason, "2027-02-19 is a Friday") {
				t.Errorf("bad file: %v %v", err, ps)
			}
			if ys, _ := db.CalendarYears(ctx); len(ys) != 4 {
				t.Errorf("a refused file stored something: %v", ys)
			}
			if len(told) != 0 {
				t.Errorf("OnLoaded told of %v before any import", told)
			}

			other := &workday.Service{Store: db} // another process on the same database
			if err := other.Load(ctx); err != nil {
				t.Fatal(err)
			}

			res, err := svc.Import(admin, strings.NewReader(storetest.Calendar2027), "cn-holidays-2027.csv")
			if err != nil {
				t.Fatalf("import 2027: %v %v", err, backstop.ErrorDetails(err))
			}
			if len(res.Years) != 1 || res.Years[0] != (workday.YearLoad{Year: 2027, Rows: 35, Holidays: 29, Workdays: 6}) {
				t.Errorf("import result %+v", res.Years)
			}
			if len(told) != 1 || !slices.Equal(told[0], []int{2027}) {
				t.Errorf("OnLoaded told %v, want [[2027]]", told)
			}
			r, err = svc.Add(ctx, date(t, "2026-12-31"), 1)
			if err != nil || r.Date.String() != "2027-01-04" || r.Provisional || r.UnloadedYear != 0 {
				t.Errorf("after 2027 is loaded: %+v, %v; want Monday 2027-01-04 exactly", r, err)
			}
			if r, _ := svc.Add(ctx, date(t, "2027-09-30"), 2); r.Date.String() != "2027-10-09" || r.Provisional {
				t.Errorf("2027-09-30 + 2 = %+v, want the make-up Saturday 2027-10-09 (Friday 8th, then Saturday)", r)
			}
			if got := svc.MissingYears(time.Date(2027, 3, 1, 9, 0, 0, 0, backstop.Beijing)); got != nil {
				t.Errorf("2027 still missing: %v", got)
			}
			ys, err := db.CalendarYears(ctx)
			if err != nil || len(ys) != 5 {
				t.Fatalf("stored years %v %v", ys, err)
			}
			if y := ys[4]; y.Year != 2027 || y.Source != "cn-holidays-2027.csv" || y.LoadedBy != "cli:test" || time.Since(y.LoadedAt) > time.Minute || y.Holidays != 29 || y.Workdays != 6 {
				t.Errorf("2027 record %+v", y)
			}
			if ys := svc.Years(); len(ys) != 5 || ys[4].Source != "cn-holidays-2027.csv" {
				t.Errorf("service years %+v", ys)
			}
			audit, _, err := db.FindAudit(admin, backstop.AuditFilter{Action: "calendar.import"})
			if err != nil || len(audit) != 1 || audit[0].Record != "2027" || audit[0].Entity != "calendar" || audit[0].Actor != "cli:test" ||
				!strings.Contains(audit[0].Detail, "2027: 35 rows (holiday 29, workday 6)") || !strings.Contains(audit[0].Detail, "cn-holidays-2027.csv") {
				t.Errorf("audit %+v %v", audit, err)
			}

			// The other process is behind until it reloads, then exact; a
			// second reload finds nothing new.
			if r, _ := other.Add(ctx, date(t, "2026-12-31"), 1); !r.Provisional {
				t.Errorf("the other process knew of 2027 before reloading: %+v", r)
			}
			if changed, err := other.Reload(ctx); err != nil || !slices.Equal(changed, []int{2027}) {
				t.Errorf("Reload: %v %v", changed, err)
			}
			if r, _ := other.Add(ctx, date(t, "2026-12-31"), 1); r.Date.String() != "2027-01-04" || r.Provisional {
				t.Errorf("the other process after Reload: %+v", r)
			}
			if changed, _ := other.Reload(ctx); changed != nil {
				t.Errorf("a second Reload found %v changed", changed)
			}
			if changed, _ := svc.Reload(ctx); changed != nil {
				t.Errorf("the importing service took its own import for a change: %v", changed)
			}

			// Importing 2027 again replaces it: one day less, another source.
			fewer := strings.Replace(storetest.Calendar2027, "2027-06-09,holiday,端午节\n", "", 1)
			res, err = svc.Import(admin, strings.NewReader(fewer), "2027-corrected.csv")
			if err != nil || len(res.Years) != 1 || !res.Years[0].Replaced || res.Years[0].ReplacedSource != "cn-holidays-2027.csv" || res.Years[0].Rows != 34 {
				t.Errorf("re-import %+v %v", res, err)
			}
			if c, _ := svc.Calendar(); !c.IsWorkday(date(t, "2027-06-09")) {
				t.Error("2027-06-09 is still a holiday after the corrected file")
			}
			days, _, _ := db.CalendarDays(ctx)
			if len(days) != 142+34 {
				t.Errorf("%d days stored, want 142 + 34", len(days))
			}
		})
	}
}

func yearsOf(ys []backstop.CalendarYear) []int {
	var out []int
	for _, y := range ys {
		out = append(out, y.Year)
	}
	return out
}
