package workday

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/zhangye-backstop/backstop"
)

// Limits of a calendar file. A year's notice lists about 35 days; a file
// of every year this package can hold stays far below both.
const (
	MaxFileBytes = 1 << 20 // 1 MiB
	MaxRows      = 5000
	maxNameRunes = 20
	// maxProblems bounds the problems listed for one file (all are
	// counted); a file that is wrong everywhere is usually the wrong file.
	maxProblems = 100
)

// File is a parsed calendar file (CSV: date,kind,name).
type File struct {
	// Days are the listed days by date, each with the year whose notice
	// it belongs to.
	Days []backstop.CalendarDay
	// Rows holds the row of the file (as a spreadsheet numbers it, the
	// header being row 1) of each of Days.
	Rows []int
	// Years are the years the file covers, ascending: importing it
	// replaces exactly these years.
	Years []int
}

// Parse reads a calendar file: CSV in UTF-8 (a byte-order mark is
// allowed), a header naming the columns date, kind and name (in any
// order; further columns are ignored), then one row per listed day:
//
//	date,kind,name
//	2026-02-14,workday,春节
//	2026-02-15,holiday,春节
//
// date is YYYY-MM-DD (Excel's 2026/2/15 and 2026-2-15 are read too); kind is holiday
// (a day off of a holiday period) or workday (a make-up working day,
// which must be a Saturday or Sunday); name is the festival. Rows may
// come in any order; empty rows are skipped.
//
// Every problem is reported with its row and column (backstop.Problem,
// English and Chinese) in one EINVALID error; a file over MaxFileBytes or
// MaxRows is ETOOLARGE.
//
// Which years the file covers: the year of each day, except that the
// days of a holiday run going on into 1 January of the next year belong
// to that next year, as does a December make-up workday of the New Year
// (元旦) holiday. So 2022-12-31, the first day of the 2023 New Year
// holiday, makes the file cover 2023, not 2022.
func Parse(r io.Reader) (*File, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxFileBytes+1))
	if err != nil {
		return nil, backstop.Localized(backstop.EINVALID, "无法读取节假日文件：%v", "cannot read the calendar file: %v", err)
	}
	if len(data) > MaxFileBytes {
		return nil, backstop.Localized(backstop.ETOOLARGE, "节假日文件超过 %d 字节（1 MiB）的上限", "The calendar file is larger than the limit of %d bytes (1 MiB).", MaxFileBytes)
	}
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	if !utf8.Valid(data) {
		line := 1 + bytes.Count(data[:invalidAt(data)], []byte("\n"))
		return nil, &backstop.Error{Code: backstop.EINVALID,
			Message: "The calendar file is not UTF-8 text.", ZH: "节假日文件不是 UTF-8 编码",
			Details: []backstop.Problem{{Row: line, Reason: "not UTF-8 text: save the file as CSV UTF-8 (Excel: 另存为 “CSV UTF-8”)",
				ReasonZH: "不是 UTF-8 编码（可能是 GBK）：请另存为“CSV UTF-8（逗号分隔）”"}}}
	}

	p := &parser{}
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	var col struct{ date, kind, name, width int }
	header := true
	rows := 0
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				p.add(pe.StartLine, "", fmt.Sprintf("not valid CSV: %v", pe.Err), fmt.Sprintf("CSV 格式错误：%v", pe.Err))
			} else {
				p.add(0, "", err.Error(), "无法读取："+err.Error())
			}
			break
		}
		line, _ := cr.FieldPos(0)
		if header {
			header = false
			col.date, col.kind, col.name, col.width = -1, -1, -1, len(rec)
			for i, h := range rec {
				h = strings.ToLower(strings.TrimSpace(h))
				var at *int
				switch h {
				case "date":
					at = &col.date
				case "kind":
					at = &col.kind
				case "name":
					at = &col.name
				default:
					continue
				}
				if *at >= 0 {
					p.add(line, h, "column appears twice", "列名重复")
				}
				*at = i
			}
			if col.date < 0 && col.kind < 0 && col.name < 0 && len(rec) > 0 {
				if _, err := parseCellDate(rec[0]); err == nil {
					p.add(line, "", "the first row must be the header date,kind,name; it holds data", "第一行必须是表头 date,kind,name，这一行是数据")
					break
				}
			}
			for _, c := range []struct {
				name string
				at   int
			}{{"date", col.date}, {"kind", col.kind}, {"name", col.name}} {
				if c.at < 0 {
					p.add(line, c.name, "required column is missing (the header must be date,kind,name)", "缺少必需的列（表头应为 date,kind,name）")
				}
			}
			if len(p.problems) > 0 {
				break
			}
			continue
		}
		if blank(rec) {
			continue
		}
		rows++
		if rows > MaxRows {
			return nil, backstop.Localized(backstop.ETOOLARGE, "节假日文件超过 %d 行的上限", "The calendar file has more than %d rows, the limit.", MaxRows)
		}
		if len(rec) <= max(col.date, col.kind, col.name) {
			p.add(line, "", fmt.Sprintf("the row has %d cells, the header %d", len(rec), col.width), fmt.Sprintf("该行只有 %d 个单元格，表头有 %d 列", len(rec), col.width))
			continue
		}
		p.row(line, rec[col.date], rec[col.kind], rec[col.name])
	}
	if header {
		p.add(1, "", "the file is empty; it needs the header date,kind,name and a row per day", "文件为空：需要表头 date,kind,name 和每天一行")
	} else if len(p.problems) == 0 && len(p.days) == 0 {
		p.add(2, "", "the file has a header but no rows", "文件只有表头，没有数据行")
	}
	if len(p.problems) == 0 {
		p.attribute()
	}
	if len(p.problems) > 0 {
		return nil, p.err()
	}
	f := &File{Days: p.days, Rows: p.rows}
	for _, d := range p.days {
		f.Years = append(f.Years, d.Year)
	}
	slices.Sort(f.Years)
	f.Years = slices.Compact(f.Years)
	return f, nil
}

func invalidAt(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n <= 1 {
			return i
		}
		i += n
	}
	return len(b)
}

func blank(rec []string) bool {
	for _, c := range rec {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

type parser struct {
	days     []backstop.CalendarDay
	rows     []int
	dates    []Date
	seen     map[Date]int // date → index in days
	problems []backstop.Problem
	more     int // problems beyond maxProblems
}

func (p *parser) add(row int, column, en, zh string) {
	if len(p.problems) >= maxProblems {
		p.more++
		return
	}
	p.problems = append(p.problems, backstop.Problem{Row: row, Column: column, Reason: en, ReasonZH: zh})
}

func (p *parser) err() error {
	probs := p.problems
	if p.more > 0 {
		probs = append(probs, backstop.Problem{Reason: fmt.Sprintf("and more problems: only the first %d are listed", maxProblems),
			ReasonZH: fmt.Sprintf("还有更多问题，只列出前 %d 个", maxProblems)})
	}
	n, noun := len(p.problems)+p.more, "problems"
	if n == 1 {
		noun = "problem"
	}
	return &backstop.Error{Code: backstop.EINVALID, Details: probs,
		Message: fmt.Sprintf("The calendar file has %d %s; nothing was loaded.", n, noun),
		ZH:      fmt.Sprintf("节假日文件有 %d 处问题，未导入任何数据", n)}
}

var weekdayZH = [...]string{"星期日", "星期一", "星期二", "星期三", "星期四", "星期五", "星期六"}

// parseCellDate reads YYYY-MM-DD, and also the unpadded Y/M/D or Y-M-D
// that Excel writes when it saves a CSV with dates it recognised
// (2026/2/14).
func parseCellDate(s string) (Date, error) {
	s = strings.TrimSpace(s)
	sep := "-"
	if strings.Contains(s, "/") {
		sep = "/"
	}
	parts := strings.Split(s, sep)
	if len(parts) == 3 && len(parts[0]) == 4 && len(parts[1]) >= 1 && len(parts[1]) <= 2 && len(parts[2]) >= 1 && len(parts[2]) <= 2 {
		y, ok1 := digits(parts[0])
		m, ok2 := digits(parts[1])
		d, ok3 := digits(parts[2])
		if ok1 && ok2 && ok3 && y >= 1 && m >= 1 && m <= 12 && d >= 1 && d <= daysIn(y, m) {
			return NewDate(y, time.Month(m), d), nil
		}
	}
	return 0, fmt.Errorf("%q is not a date", s)
}

func (p *parser) row(line int, dateCell, kindCell, nameCell string) {
	before := len(p.problems) + p.more
	d, err := parseCellDate(dateCell)
	switch {
	case strings.TrimSpace(dateCell) == "":
		p.add(line, "date", "the date is empty", "日期为空")
	case err != nil:
		p.add(line, "date", fmt.Sprintf("%q is not a date (YYYY-MM-DD, e.g. 2026-10-01)", dateCell),
			fmt.Sprintf("“%s”不是有效日期（格式 YYYY-MM-DD，如 2026-10-01）", dateCell))
	case d.Year() < MinYear || d.Year() > MaxYear:
		p.add(line, "date", fmt.Sprintf("%s is outside the years %d–%d", d, MinYear, MaxYear),
			fmt.Sprintf("%s 超出 %d–%d 年的范围", d, MinYear, MaxYear))
		d = 0
	}
	if err != nil {
		d = 0
	}

	kind := backstop.CalendarDayKind(strings.ToLower(strings.TrimSpace(kindCell)))
	switch kind {
	case backstop.CalendarHoliday, backstop.CalendarWorkday:
	case "":
		p.add(line, "kind", "the kind is empty: holiday or workday", "类型为空：应为 holiday（放假）或 workday（调休上班）")
	default:
		p.add(line, "kind", fmt.Sprintf("unknown kind %q: holiday (a day off) or workday (a make-up working day)", kindCell),
			fmt.Sprintf("未知类型“%s”：应为 holiday（放假）或 workday（调休上班）", kindCell))
		kind = ""
	}

	name := strings.TrimSpace(nameCell)
	switch n := utf8.RuneCountInString(name); {
	case n == 0:
		p.add(line, "name", "the name is empty: the festival the notice lists the day under, e.g. 春节", "名称为空：应为通知中所属的节日，如“春节”")
	case n > maxNameRunes:
		p.add(line, "name", fmt.Sprintf("the name has %d characters; the limit is %d", n, maxNameRunes),
			fmt.Sprintf("名称有 %d 个字，上限 %d 个", n, maxNameRunes))
	case strings.IndexFunc(name, unicode.IsControl) >= 0:
		p.add(line, "name", "the name holds a control character", "名称含有控制字符")
	}

	if d != 0 && kind == backstop.CalendarWorkday && !weekend(d) {
		w := d.Weekday()
		p.add(line, "date", fmt.Sprintf("%s is a %s: a make-up working day (workday) is always a Saturday or Sunday", d, w),
			fmt.Sprintf("%s 是%s：调休上班日（workday）只能是星期六或星期日", d, weekdayZH[w]))
	}
	if d != 0 {
		if i, dup := p.seen[d]; dup {
			first := p.days[i]
			if first.Kind == kind {
				p.add(line, "date", fmt.Sprintf("%s is listed twice (also row %d)", d, p.rows[i]),
					fmt.Sprintf("%s 重复（第 %d 行已列出）", d, p.rows[i]))
			} else {
				p.add(line, "date", fmt.Sprintf("%s is listed as %s in row %d and as %s here", d, first.Kind, p.rows[i], kindCell),
					fmt.Sprintf("%s 在第 %d 行为 %s，此处又为 %s", d, p.rows[i], first.Kind, kindCell))
			}
			return
		}
	}
	if len(p.problems)+p.more > before {
		return
	}
	if p.seen == nil {
		p.seen = map[Date]int{}
	}
	p.seen[d] = len(p.days)
	p.days = append(p.days, backstop.CalendarDay{Date: d.Time(), Kind: kind, Name: name, Year: d.Year()})
	p.rows = append(p.rows, line)
	p.dates = append(p.dates, d)
}

// attribute sorts the days by date and gives each the year whose notice
// it belongs to (see Parse).
func (p *parser) attribute() {
	idx := make([]int, len(p.days))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int { return int(p.dates[a]) - int(p.dates[b]) })
	days, rows, dates := make([]backstop.CalendarDay, len(idx)), make([]int, len(idx)), make([]Date, len(idx))
	for i, j := range idx {
		days[i], rows[i], dates[i] = p.days[j], p.rows[j], p.dates[j]
	}
	p.days, p.rows, p.dates = days, rows, dates

	isHoliday := map[Date]bool{}
	for i, d := range p.dates {
		if p.days[i].Kind == backstop.CalendarHoliday {
			isHoliday[d] = true
		}
	}
	for i, d := range p.dates {
		y, m, _ := d.Civil()
		if m != time.December {
			continue
		}
		newYear := NewDate(y+1, time.January, 1)
		switch p.days[i].Kind {
		case backstop.CalendarHoliday:
			run := true
			for x := d + 1; x <= newYear; x++ {
				if !isHoliday[x] {
					run = false
					break
				}
			}
			if run {
				p.days[i].Year = y + 1
			} else if strings.Contains(p.days[i].Name, "元旦") {
				p.add(p.rows[i], "date", fmt.Sprintf("%s is a New Year (元旦) holiday in December, but the file does not list every day from it to %s as a holiday", d, newYear),
					fmt.Sprintf("%s 是十二月的元旦假日，但文件没有把它到 %s 的每一天都列为假日", d, newYear))
			}
		case backstop.CalendarWorkday:
			// A New Year make-up day in December (2011-12-31 for the 2012
			// holiday) is part of the next year's notice.
			if strings.Contains(p.days[i].Name, "元旦") {
				p.days[i].Year = y + 1
			}
		}
	}
}

// Merge returns the calendar after importing f over the stored days and
// years: the days of the years f covers are replaced by f's, the other
// years keep theirs. A day of f on a date that a year f does not cover
// lists already is refused with its row, since importing f would not
// replace it.
func (f *File) Merge(stored []backstop.CalendarDay, storedYears []int) ([]backstop.CalendarDay, []int, error) {
	kept := map[Date]backstop.CalendarDay{}
	var days []backstop.CalendarDay
	for _, d := range stored {
		if _, covered := slices.BinarySearch(f.Years, d.Year); !covered {
			kept[DateOf(d.Date)] = d
			days = append(days, d)
		}
	}
	p := &parser{}
	for i, d := range f.Days {
		date := DateOf(d.Date)
		if old, ok := kept[date]; ok {
			p.add(f.Rows[i], "date", fmt.Sprintf("%s is listed by the %d calendar already loaded (%s %s), which this file does not replace: include %d in the file or remove the row", date, old.Year, old.Kind, old.Name, old.Year),
				fmt.Sprintf("%s 已列在已导入的 %d 年安排中（%s %s），本文件不替换 %d 年：请把 %d 年一并放入文件，或删除这一行", date, old.Year, old.Kind, old.Name, old.Year, old.Year))
		}
	}
	if len(p.problems) > 0 {
		return nil, nil, p.err()
	}
	days = append(days, f.Days...)
	years := append(slices.Clone(storedYears), f.Years...)
	slices.Sort(years)
	return days, slices.Compact(years), nil
}
