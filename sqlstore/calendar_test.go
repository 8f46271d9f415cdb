package sqlstore_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/storetest"
	"github.com/zhangye-backstop/backstop/workday"
)

type calendarRow struct {
	kind backstop.CalendarDayKind
	name string
	year int
}

func calendarRows(days []backstop.CalendarDay) map[string]calendarRow {
	out := map[string]calendarRow{}
	for _, d := range days {
		out[d.Date.In(backstop.Beijing).Format("2006-01-02")] = calendarRow{d.Kind, d.Name, d.Year}
	}
	return out
}

// TestCalendarStoreSeed: migration 0008 holds exactly the rows of
// ../shared/data/calendar/cn-holidays.csv (read in place, so the seed
// and the data cannot drift apart), with each year's notice as source.
func TestCalendarStoreSeed(t *testing.T) {
	f, err := os.Open(storetest.SharedData(t, storetest.CalendarCSV))
	if err != nil {
		t.Fatal(err)
	}
	file, err := workday.Parse(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	want := calendarRows(file.Days)
	for _, e := range storetest.Engines {
		t.Run(e.Name, func(t *testing.T) {
			db := e.Open(t)
			ctx := context.Background()
			days, years, err := db.CalendarDays(ctx)
			if err != nil {
				t.Fatal(err)
			}
			got := calendarRows(days)
			if len(days) != len(file.Days) || len(got) != len(want) {
				t.Errorf("%d days seeded, the data has %d", len(days), len(file.Days))
			}
			for d, w := range want {
				if g, ok := got[d]; !ok || g != w {
					t.Errorf("%s: seeded %+v (%v), the data says %+v", d, g, ok, w)
				}
			}
			for d := range got {
				if _, ok := want[d]; !ok {
					t.Errorf("%s is seeded but not in the data", d)
				}
			}
			for i := 1; i < len(days); i++ {
				if !days[i-1].Date.Before(days[i].Date) {
					t.Errorf("days not by date at %v", days[i].Date)
				}
			}
			if d := days[0]; d.Date.Location() != backstop.Beijing || d.Date.Hour() != 0 || d.Date.Format("2006-01-02") != "2022-12-31" || d.Year != 2023 {
				t.Errorf("first day %+v, want 2022-12-31 00:00 Beijing of 2023", d)
			}
			// Counts as SOURCES.md tabulates them.
			notices := map[int]struct {
				number             string
				holidays, workdays int
			}{
				2023: {"国办发明电〔2022〕16号", 27, 7},
				2024: {"国办发明电〔2023〕7号", 28, 8},
				2025: {"国办发明电〔2024〕12号", 28, 5},
				2026: {"content_7047090", 33, 6},
			}
			if len(years) != 4 {
				t.Fatalf("loaded years %+v", years)
			}
			for _, y := range years {
				n := notices[y.Year]
				if !strings.Contains(y.Source, n.number) || !strings.Contains(y.Source, "部分节假日安排的通知") || y.Holidays != n.holidays || y.Workdays != n.workdays ||
					y.LoadedBy != "migration 0008" || time.Since(y.LoadedAt) > time.Hour || time.Since(y.LoadedAt) < 0 {
					t.Errorf("%d: %+v, want %s with %d holidays and %d workdays, loaded by the migration just now", y.Year, y, n.number, n.holidays, n.workdays)
				}
			}
		})
	}
}

// TestCalendarStoreReplace: replacing years is one transaction that
// touches only those years, is audited, and is refused to non-admins and
// for days that do not fit.
func TestCalendarStoreReplace(t *testing.T) {
	for _, e := range storetest.Engines {
		t.Run(e.Name, func(t *testing.T) {
			db := e.Open(t)
			ctx := context.Background()
			admin := storetest.Admin()
			day := func(s string, k backstop.CalendarDayKind, name string, year int) backstop.CalendarDay {
				d, err := time.ParseInLocation("2006-01-02", s, backstop.Beijing)
				if err != nil {
					t.Fatal(err)
				}
				return backstop.CalendarDay{Date: d, Kind: k, Name: name, Year: year}
			}
			before, _, _ := db.CalendarDays(ctx)
			new2026 := []backstop.CalendarDay{day("2026-10-01", backstop.CalendarHoliday, "国庆节", 2026), day("2026-10-10", backstop.CalendarWorkday, "国庆节", 2026)}

			township := backstop.NewContextWithUser(ctx, &backstop.User{Name: "t", Role: backstop.RoleTownship, Region: "620723101000"})
			if err := db.ReplaceCalendarYears(township, "x.csv", []int{2026}, new2026); backstop.ErrorCode(err) != backstop.EFORBIDDEN {
				t.Errorf("township: %v", err)
			}
			if err := db.ReplaceCalendarYears(ctx, "x.csv", []int{2026}, new2026); backstop.ErrorCode(err) != backstop.EUNAUTHORIZED {
				t.Errorf("no user: %v", err)
			}
			if err := db.ReplaceCalendarYears(admin, "x.csv", []int{2027}, new2026); backstop.ErrorCode(err) != backstop.EINVALID {
				t.Errorf("days of a year not replaced: %v", err)
			}
			if err := db.ReplaceCalendarYears(admin, "", []int{2026}, new2026); backstop.ErrorCode(err) != backstop.EINVALID {
				t.Errorf("no source: %v", err)
			}
			// A day on a date another year lists (2025-10-01 is 2025's):
			// the whole replacement rolls back.
			clash := append([]backstop.CalendarDay{}, new2026...)
			clash = append(clash, day("2025-10-01", backstop.CalendarHoliday, "国庆节", 2026))
			if err := db.ReplaceCalendarYears(admin, "clash.csv", []int{2026}, clash); backstop.ErrorCode(err) != backstop.ECONFLICT || !strings.Contains(backstop.ErrorMessage(err), "2025-10-01") {
				t.Errorf("clash: %v", err)
			}
			if after, years, _ := db.CalendarDays(ctx); len(after) != len(before) || years[3].Source == "clash.csv" {
				t.Errorf("a refused replacement left %d days (was %d), 2026 from %q", len(after), len(before), years[3].Source)
			}

			if err := db.ReplaceCalendarYears(admin, "2026-fix.csv", []int{2026}, new2026); err != nil {
				t.Fatal(err)
			}
			days, years, err := db.CalendarDays(ctx)
			if err != nil {
				t.Fatal(err)
			}
			rows := calendarRows(days)
			if len(days) != len(before)-39+2 || rows["2026-10-10"] != (calendarRow{backstop.CalendarWorkday, "国庆节", 2026}) || rows["2025-10-01"].year != 2025 {
				t.Errorf("after replacing 2026: %d days (was %d)", len(days), len(before))
			}
			if _, ok := rows["2026-02-15"]; ok {
				t.Error("2026-02-15 of the old 2026 survived")
			}
			if y := years[3]; y.Year != 2026 || y.Source != "2026-fix.csv" || y.LoadedBy != "cli:test" || y.Holidays != 1 || y.Workdays != 1 || time.Since(y.LoadedAt) > time.Minute {
				t.Errorf("2026 record %+v", y)
			}
			if y := years[2]; y.Year != 2025 || !strings.Contains(y.Source, "国办发明电〔2024〕12号") || y.Holidays != 28 {
				t.Errorf("2025 record changed: %+v", y)
			}

			// A new year with the December start of its New Year run.
			if err := db.ReplaceCalendarYears(admin, "2027.csv", []int{2027}, []backstop.CalendarDay{
				day("2026-12-31", backstop.CalendarHoliday, "元旦", 2027), day("2027-01-01", backstop.CalendarHoliday, "元旦", 2027),
			}); err != nil {
				t.Fatal(err)
			}
			ys, err := db.CalendarYears(ctx)
			if err != nil || len(ys) != 5 || ys[4].Year != 2027 || ys[4].Holidays != 2 {
				t.Errorf("years %+v %v", ys, err)
			}
			audit, _, err := db.FindAudit(admin, backstop.AuditFilter{Action: "calendar.import"})
			if err != nil || len(audit) != 2 || audit[0].Record != "2027" || audit[1].Record != "2026" ||
				audit[1].Detail != "2026: 2 rows (holiday 1, workday 1) from 2026-fix.csv" {
				t.Errorf("audit %+v %v", audit, err)
			}
		})
	}
}
