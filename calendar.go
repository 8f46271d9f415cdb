package backstop

import (
	"context"
	"time"
)

// CalendarDayKind says what a listed day of China's official calendar is.
type CalendarDayKind string

const (
	// CalendarHoliday is a day off of a statutory holiday period (放假),
	// weekend days inside the period included.
	CalendarHoliday CalendarDayKind = "holiday"
	// CalendarWorkday is a make-up working day (调休上班): a Saturday or
	// Sunday on which offices work.
	CalendarWorkday CalendarDayKind = "workday"
)

// CalendarDay is one day the State Council's yearly notice on holidays
// (国务院办公厅关于X年部分节假日安排的通知) lists. Days it does not list
// follow the week: Monday to Friday work, Saturday and Sunday off.
type CalendarDay struct {
	// Date is the civil date at 00:00 Beijing time.
	Date time.Time       `json:"date"`
	Kind CalendarDayKind `json:"kind"`
	// Name is the festival the notice lists the day under (春节, 国庆节 …).
	Name string `json:"name"`
	// Year is the year whose notice lists the day. It is the date's year
	// except for the end of a New Year period that starts in December:
	// 2022-12-31 belongs to 2023.
	Year int `json:"year"`
}

// CalendarYear is a year whose calendar is loaded: working days in it are
// counted exactly. In a year that is not loaded they are counted Monday to
// Friday, and answers say so.
type CalendarYear struct {
	Year int `json:"year"`
	// Source names the notice (seeded years) or the imported file.
	Source   string    `json:"source"`
	LoadedBy string    `json:"loaded_by"`
	LoadedAt time.Time `json:"loaded_at"`
	Holidays int       `json:"holidays"`
	Workdays int       `json:"workdays"`
}

// CalendarService stores the working-day calendar. Reading it needs no
// user (it is public reference data, read when a process starts); only an
// admin may replace years.
type CalendarService interface {
	// CalendarDays returns every stored day, by date, and the loaded years.
	CalendarDays(ctx context.Context) ([]CalendarDay, []CalendarYear, error)
	// CalendarYears lists the loaded years with their source, who loaded
	// them, when, and how many days of each kind they list.
	CalendarYears(ctx context.Context) ([]CalendarYear, error)
	// ReplaceCalendarYears makes years loaded with exactly days (each of
	// which belongs to one of years), in one transaction: the stored days
	// of those years go, the years are recorded with source, the acting
	// user and the time, and the change is audited (calendar.import).
	ReplaceCalendarYears(ctx context.Context, source string, years []int, days []CalendarDay) error
}
