package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/zhangye-backstop/backstop"
)

// The working-day calendar: calendar_years (the years loaded, with where
// from, who and when) and calendar_days (the holidays and make-up
// workdays their notices list). Days are civil dates stored as TEXT
// 'YYYY-MM-DD' on both engines: a date has no time of day or zone, so
// the integer microseconds used for instants would invite converting it
// through UTC; the text sorts in date order and reads the same from
// either engine (policies' effective dates are stored the same way).

const calendarDateLayout = "2006-01-02"

// CalendarDays returns every stored day, by date, and the loaded years.
func (db *DB) CalendarDays(ctx context.Context) ([]backstop.CalendarDay, []backstop.CalendarYear, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT day, kind, name, year FROM calendar_days ORDER BY day`)
	if err != nil {
		return nil, nil, db.translate(err)
	}
	defer rows.Close()
	var days []backstop.CalendarDay
	for rows.Next() {
		var d backstop.CalendarDay
		var day, kind string
		if err := rows.Scan(&day, &kind, &d.Name, &d.Year); err != nil {
			return nil, nil, err
		}
		if d.Date, err = time.ParseInLocation(calendarDateLayout, day, backstop.Beijing); err != nil {
			return nil, nil, fmt.Errorf("calendar_days: stored day %q: %w", day, err)
		}
		d.Kind = backstop.CalendarDayKind(kind)
		days = append(days, d)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, db.translate(err)
	}
	years, err := db.CalendarYears(ctx)
	if err != nil {
		return nil, nil, err
	}
	return days, years, nil
}

// CalendarYears lists the loaded years, ascending, with the counts of
// their days.
func (db *DB) CalendarYears(ctx context.Context) ([]backstop.CalendarYear, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT year, source, loaded_by, loaded_at FROM calendar_years ORDER BY year`)
	if err != nil {
		return nil, db.translate(err)
	}
	defer rows.Close()
	var years []backstop.CalendarYear
	at := map[int]int{}
	for rows.Next() {
		var y backstop.CalendarYear
		if err := rows.Scan(&y.Year, &y.Source, &y.LoadedBy, &y.LoadedAt); err != nil {
			return nil, err
		}
		at[y.Year] = len(years)
		years = append(years, y)
	}
	if err := rows.Err(); err != nil {
		return nil, db.translate(err)
	}
	rows.Close()
	counts, err := db.read.QueryContext(ctx, `SELECT year, kind, count(*) FROM calendar_days GROUP BY year, kind`)
	if err != nil {
		return nil, db.translate(err)
	}
	defer counts.Close()
	for counts.Next() {
		var year, n int
		var kind string
		if err := counts.Scan(&year, &kind, &n); err != nil {
			return nil, err
		}
		i, ok := at[year]
		if !ok {
			continue
		}
		switch backstop.CalendarDayKind(kind) {
		case backstop.CalendarHoliday:
			years[i].Holidays = n
		case backstop.CalendarWorkday:
			years[i].Workdays = n
		}
	}
	return years, db.translate(counts.Err())
}

// ReplaceCalendarYears makes years loaded with exactly days, in one
// transaction with its audit row. Only an admin may: the calendar is
// national reference data, like policy versions.
func (db *DB) ReplaceCalendarYears(ctx context.Context, source string, years []int, days []backstop.CalendarDay) error {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return err
	}
	if u.Role != backstop.RoleAdmin || u.Disabled || u.Region != backstop.NationalScope {
		return backstop.Localized(backstop.EFORBIDDEN, "只有全国范围（%s）的管理员可以导入节假日安排：日历是每个县区共用的基础数据", "Only an admin of the national scope (%s) may load the working-day calendar, which every county's deadlines share.", backstop.NationalScope)
	}
	source = strings.TrimSpace(source)
	if len(years) == 0 || source == "" {
		return backstop.Localized(backstop.EINVALID, "导入工作日历需要年份和来源说明", "Loading calendar years needs the years and a source.")
	}
	years = slices.Clone(years)
	slices.Sort(years)
	years = slices.Compact(years)
	holidays, workdays := map[int]int{}, map[int]int{}
	for _, d := range days {
		if _, ok := slices.BinarySearch(years, d.Year); !ok {
			return backstop.Localized(backstop.EINVALID, "日期%s属于%d年，不在本次导入的年份（%v）中", "Day %s belongs to %d, which is not among the years loaded (%v).", d.Date.In(backstop.Beijing).Format(calendarDateLayout), d.Year, years)
		}
		switch d.Kind {
		case backstop.CalendarHoliday:
			holidays[d.Year]++
		case backstop.CalendarWorkday:
			workdays[d.Year]++
		default:
			return backstop.Localized(backstop.EINVALID, "日期%s的类型%q无法识别", "Day %s has an unknown kind %q.", d.Date.In(backstop.Beijing).Format(calendarDateLayout), d.Kind)
		}
	}
	yearArgs := make([]any, len(years))
	marks := make([]string, len(years))
	for i, y := range years {
		yearArgs[i], marks[i] = y, "?"
	}
	in := "(" + strings.Join(marks, ", ") + ")"
	now := db.now().UTC()
	return db.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, db.q(`DELETE FROM calendar_days WHERE year IN `+in), yearArgs...); err != nil {
			return err
		}
		for _, y := range years {
			if _, err := tx.ExecContext(ctx, db.q(`INSERT INTO calendar_years (year, source, loaded_by, loaded_at) VALUES (?, ?, ?, ?)
 ON CONFLICT (year) DO UPDATE SET source = excluded.source, loaded_by = excluded.loaded_by, loaded_at = excluded.loaded_at`), y, source, u.Name, now); err != nil {
				return err
			}
		}
		// A notice lists about 35 days: one statement per day is plenty.
		for _, d := range days {
			if _, err := tx.ExecContext(ctx, db.q(`INSERT INTO calendar_days (day, kind, name, year) VALUES (?, ?, ?, ?)`),
				d.Date.In(backstop.Beijing).Format(calendarDateLayout), string(d.Kind), d.Name, d.Year); err != nil {
				if backstop.ErrorCode(db.translate(err)) == backstop.ECONFLICT {
					return backstop.Localized(backstop.ECONFLICT, "%s 已列在另一年的安排中", "%s is listed by another year's calendar already.", d.Date.In(backstop.Beijing).Format(calendarDateLayout))
				}
				return err
			}
		}
		var detail []string
		for _, y := range years {
			detail = append(detail, fmt.Sprintf("%d: %d rows (holiday %d, workday %d)", y, holidays[y]+workdays[y], holidays[y], workdays[y]))
		}
		record := make([]string, len(years))
		for i, y := range years {
			record[i] = strconv.Itoa(y)
		}
		return db.audit(ctx, tx, "calendar.import", "calendar", strings.Join(record, ","), strings.Join(detail, "; ")+" from "+source)
	})
}
