package workday_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/storetest"
	"github.com/zhangye-backstop/backstop/workday"
)

func parse(s string) (*workday.File, error) { return workday.Parse(strings.NewReader(s)) }

// TestCalendarParseProblems: each kind of bad input is refused with the
// row and column at fault, in English and Chinese.
func TestCalendarParseProblems(t *testing.T) {
	const h = "date,kind,name\n"
	cases := []struct {
		name, file string
		row        int
		column     string
		reason     string // part of the English reason
	}{
		{"impossible day", h + "2026-02-15,holiday,春节\n2026-02-30,holiday,春节\n", 3, "date", `"2026-02-30" is not a date`},
		{"month 13", h + "2026-13-01,holiday,春节\n", 2, "date", "is not a date"},
		{"two-digit year", h + "26-02-15,holiday,春节\n", 2, "date", "is not a date"},
		{"slashes, impossible day", h + "2026/2/29,holiday,春节\n", 2, "date", "is not a date"},
		{"mixed separators", h + "2026-02/15,holiday,春节\n", 2, "date", "is not a date"},
		{"words", h + "next Friday,holiday,春节\n", 2, "date", "is not a date"},
		{"empty date", h + ",holiday,春节\n", 2, "date", "the date is empty"},
		{"year typo", h + "2207-10-01,holiday,国庆节\n", 2, "date", "outside the years 2000–2099"},
		{"unknown kind", h + "2026-02-15,休息,春节\n", 2, "kind", `unknown kind "休息"`},
		{"empty kind", h + "2026-02-15,,春节\n", 2, "kind", "the kind is empty"},
		{"workday on a Thursday", h + "2026-02-12,workday,春节\n", 2, "date", "2026-02-12 is a Thursday: a make-up working day (workday) is always a Saturday or Sunday"},
		{"holiday twice", h + "2026-02-15,holiday,春节\n2026-02-16,holiday,春节\n2026-02-15,holiday,春节\n", 4, "date", "2026-02-15 is listed twice (also row 2)"},
		{"holiday and workday", h + "2026-02-14,workday,春节\n2026-02-14,holiday,春节\n", 3, "date", "listed as workday in row 2 and as holiday here"},
		{"empty name", h + "2026-02-15,holiday,\n", 2, "name", "the name is empty"},
		{"long name", h + "2026-02-15,holiday," + strings.Repeat("春", 21) + "\n", 2, "name", "the limit is 20"},
		{"short row", h + "2026-02-15,holiday\n", 2, "", "the row has 2 cells, the header 3"},
		{"no header", "2026-02-15,holiday,春节\n2026-02-16,holiday,春节\n", 1, "", "the first row must be the header"},
		{"header lacks kind", "date,type,name\n2026-02-15,holiday,春节\n", 1, "kind", "required column is missing"},
		{"column twice", "date,kind,name,date\n2026-02-15,holiday,春节,2026-02-15\n", 1, "date", "column appears twice"},
		{"bad CSV", h + "2026-02-15,holiday,\"春节\n2026-02-16,holiday,春节\n", 2, "", "not valid CSV"},
		{"GBK", h + "2026-02-15,holiday,\xb4\xba\xbd\xda\n", 2, "", "not UTF-8"},
		{"empty", "", 1, "", "the file is empty"},
		{"header only", h, 2, "", "no rows"},
		{"December New Year without 1 January", h + "2027-12-31,holiday,元旦\n2027-10-01,holiday,国庆节\n", 2, "date", "does not list every day from it to 2028-01-01"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parse(tc.file)
			if backstop.ErrorCode(err) != backstop.EINVALID {
				t.Fatalf("error %v, want invalid", err)
			}
			if backstop.ErrorMessageZH(err) == backstop.ErrorMessage(err) {
				t.Errorf("no Chinese message: %v", err)
			}
			for _, p := range backstop.ErrorDetails(err) {
				if p.Row == tc.row && p.Column == tc.column && strings.Contains(p.Reason, tc.reason) {
					if p.ReasonZH == "" {
						t.Errorf("%s has no Chinese reason", p)
					}
					return
				}
			}
			t.Errorf("problems %v, want row %d column %q: %q", backstop.ErrorDetails(err), tc.row, tc.column, tc.reason)
		})
	}

	// Every row's problems are reported together, each with its row.
	_, err := parse(h + "2026-02-12,workday,春节\n2026-02-15,rest,春节\n2026-02-31,holiday,\n")
	var got []string
	for _, p := range backstop.ErrorDetails(err) {
		got = append(got, fmt.Sprintf("%d/%s", p.Row, p.Column))
	}
	if !slices.Equal(got, []string{"2/date", "3/kind", "4/date", "4/name"}) {
		t.Errorf("problems at %v", got)
	}
	if p := backstop.ErrorDetails(err)[0]; p.ReasonZH != "2026-02-12 是星期四：调休上班日（workday）只能是星期六或星期日" {
		t.Errorf("Chinese reason %q", p.ReasonZH)
	}

	// A file wrong everywhere lists the first 100 problems and says so.
	var b strings.Builder
	b.WriteString(h)
	for i := 0; i < 150; i++ {
		b.WriteString("bad,holiday,春节\n")
	}
	_, err = parse(b.String())
	if ps := backstop.ErrorDetails(err); len(ps) != 101 || !strings.Contains(ps[100].Reason, "only the first 100") || !strings.Contains(backstop.ErrorMessage(err), "150 problems") {
		t.Errorf("%d problems, last %v; %v", len(ps), ps[len(ps)-1], err)
	}
}

// TestCalendarParseLimits: a file over the size or row limit is refused
// before its rows are read.
func TestCalendarParseLimits(t *testing.T) {
	big := "date,kind,name\n" + strings.Repeat(" ", workday.MaxFileBytes)
	if _, err := parse(big); backstop.ErrorCode(err) != backstop.ETOOLARGE || !strings.Contains(backstop.ErrorMessage(err), "1048576 bytes") {
		t.Errorf("over 1 MiB: %v", err)
	}
	var b strings.Builder
	b.WriteString("date,kind,name\n")
	d := workday.NewDate(2000, 1, 1)
	for i := 0; i <= workday.MaxRows; i++ {
		fmt.Fprintf(&b, "%s,holiday,春节\n", d+workday.Date(i))
	}
	if _, err := parse(b.String()); backstop.ErrorCode(err) != backstop.ETOOLARGE || !strings.Contains(backstop.ErrorMessage(err), "5000 rows") {
		t.Errorf("over 5000 rows: %v", err)
	}
}

// TestCalendarParseForms: what a file may look like beyond the plain
// form, and which years it covers.
func TestCalendarParseForms(t *testing.T) {
	// A byte-order mark, columns in another order and an extra one, spaces,
	// a capital kind, Excel's slash dates, empty rows, CRLF.
	f, err := parse("\ufeffName, Date ,KIND,note\r\n春节,2026/2/14,Workday,调休\r\n,,,\r\n\r\n春节 , 2026-02-15 ,holiday,\r\n春节,2026-2-16,holiday,\r\n")
	if err != nil {
		t.Fatalf("%v %v", err, backstop.ErrorDetails(err))
	}
	if len(f.Days) != 3 || f.Days[0].Date.Format("2006-01-02") != "2026-02-14" || f.Days[0].Kind != backstop.CalendarWorkday || f.Days[1].Name != "春节" ||
		f.Days[2].Date.Format("2006-01-02") != "2026-02-16" || !slices.Equal(f.Rows, []int{2, 5, 6}) {
		t.Errorf("days %+v rows %v", f.Days, f.Rows)
	}
	if f.Days[0].Date.Location() != backstop.Beijing || f.Days[0].Date.Hour() != 0 {
		t.Errorf("a day is %v, want 00:00 Beijing", f.Days[0].Date)
	}

	covers := []struct {
		name, file string
		years      []int
		belong     map[string]int
	}{
		{"2022-12-31 belongs to 2023", "date,kind,name\n2022-12-31,holiday,元旦\n2023-01-01,holiday,元旦\n2023-01-02,holiday,元旦\n",
			[]int{2023}, map[string]int{"2022-12-31": 2023}},
		{"a 2027 file", storetest.Calendar2027, []int{2027}, map[string]int{"2027-01-01": 2027, "2027-10-09": 2027}},
		{"a December make-up day of the New Year (2012's notice)", "date,kind,name\n2011-12-31,workday,元旦\n2012-01-01,holiday,元旦\n2012-01-02,holiday,元旦\n2012-01-03,holiday,元旦\n",
			[]int{2012}, map[string]int{"2011-12-31": 2012}},
		{"a run of three December days", "date,kind,name\n2028-12-30,holiday,元旦\n2028-12-31,holiday,元旦\n2029-01-01,holiday,元旦\n2028-10-01,holiday,国庆节\n",
			[]int{2028, 2029}, map[string]int{"2028-12-30": 2029, "2028-12-31": 2029, "2028-10-01": 2028}},
		{"a December holiday not running into January stays", "date,kind,name\n2030-12-30,holiday,国庆节\n",
			[]int{2030}, map[string]int{"2030-12-30": 2030}},
		{"several years in one file, in any order", "date,kind,name\n2026-10-01,holiday,国庆节\n2025-10-01,holiday,国庆节\n",
			[]int{2025, 2026}, nil},
	}
	for _, tc := range covers {
		f, err := parse(tc.file)
		if err != nil {
			t.Errorf("%s: %v %v", tc.name, err, backstop.ErrorDetails(err))
			continue
		}
		if !slices.Equal(f.Years, tc.years) {
			t.Errorf("%s: covers %v, want %v", tc.name, f.Years, tc.years)
		}
		for i, d := range f.Days {
			if i > 0 && !f.Days[i-1].Date.Before(d.Date) {
				t.Errorf("%s: days not by date", tc.name)
			}
			if y, ok := tc.belong[d.Date.Format("2006-01-02")]; ok && d.Year != y {
				t.Errorf("%s: %s belongs to %d, want %d", tc.name, d.Date.Format("2006-01-02"), d.Year, y)
			}
		}
	}
}

// TestCalendarMerge: importing a file replaces the years it covers (the
// December days of a covered New Year included) and keeps the others.
func TestCalendarMerge(t *testing.T) {
	data := dataFile(t)
	// A corrected 2023 without the New Year period: 2022-12-31 goes with
	// the rest of 2023's days.
	f, err := parse("date,kind,name\n2023-10-01,holiday,国庆节\n")
	if err != nil {
		t.Fatal(err)
	}
	days, years, err := f.Merge(data.Days, data.Years)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(years, []int{2023, 2024, 2025, 2026}) {
		t.Errorf("years %v", years)
	}
	n2023, n2024 := 0, 0
	for _, d := range days {
		switch d.Year {
		case 2023:
			n2023++
		case 2024:
			n2024++
		}
		if d.Date.Format("2006-01-02") == "2022-12-31" {
			t.Error("2022-12-31 of the old 2023 survived the new 2023")
		}
	}
	if n2023 != 1 || n2024 != 36 {
		t.Errorf("2023 has %d days, 2024 %d; want 1 and 36", n2023, n2024)
	}

	// 2027 added beside 2023–2026.
	f, err = parse(storetest.Calendar2027)
	if err != nil {
		t.Fatal(err)
	}
	days, years, err = f.Merge(data.Days, data.Years)
	if err != nil || len(days) != len(data.Days)+35 || !slices.Equal(years, []int{2023, 2024, 2025, 2026, 2027}) {
		t.Errorf("2027 added: %d days, years %v, %v", len(days), years, err)
	}

	// A New Year run in December on a date the previous year, not
	// replaced, lists already: refused with the file's row.
	stored := []backstop.CalendarDay{{Date: date(t, "2028-12-31").Time(), Kind: backstop.CalendarWorkday, Name: "国庆节", Year: 2028}}
	f, err = parse("date,kind,name\n2028-12-30,holiday,元旦\n2028-12-31,holiday,元旦\n2029-01-01,holiday,元旦\n")
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = f.Merge(stored, []int{2028})
	ps := backstop.ErrorDetails(err)
	if backstop.ErrorCode(err) != backstop.EINVALID || len(ps) != 1 || ps[0].Row != 3 || !strings.Contains(ps[0].Reason, "listed by the 2028 calendar already loaded (workday 国庆节)") || ps[0].ReasonZH == "" {
		t.Errorf("conflict with 2028: %v %v", err, ps)
	}
}
