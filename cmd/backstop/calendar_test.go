package main

import (
	"strings"
	"testing"

	"github.com/zhangye-backstop/backstop/storetest"
)

// TestCalendarCLI: `calendar import` loads a year (the invented 2027
// fixture), says what it loaded, replaces it on a second import, and
// refuses a bad file with exit status 1 and its rows; `calendar years`
// lists the seeded and imported years.
func TestCalendarCLI(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			common := []string{"--data", t.TempDir()}
			if engine == "postgres" {
				common = append(common, "--db", storetest.PostgresURL(t))
			}
			cli := func(args ...string) (int, string, string) { return runCLI(t, append(args, common...)...) }

			code, out, errs := cli("calendar", "years")
			if code != 0 || !strings.Contains(out, "2023: 34 rows (holiday 27, workday 7), loaded by migration 0008") || !strings.Contains(out, "国办发明电〔2022〕16号") ||
				!strings.Contains(out, "2026: 39 rows (holiday 33, workday 6)") {
				t.Fatalf("calendar years: %d\n%s\n%s", code, out, errs)
			}

			file := storetest.WriteFile(t, "cn-holidays-2027.csv", storetest.Calendar2027)
			code, out, errs = cli("calendar", "import", file)
			if code != 0 || !strings.Contains(out, "2027: 35 rows (holiday 29, workday 6)\n") || !strings.Contains(out, "loaded years: [2023 2024 2025 2026 2027]") {
				t.Fatalf("calendar import: %d\n%s\n%s", code, out, errs)
			}
			code, out, _ = cli("calendar", "import", file)
			if code != 0 || !strings.Contains(out, "2027: 35 rows (holiday 29, workday 6), replacing the calendar from cn-holidays-2027.csv") {
				t.Errorf("second import: %d\n%s", code, out)
			}
			if code, out, _ = cli("calendar", "years"); code != 0 || !strings.Contains(out, "2027: 35 rows (holiday 29, workday 6), loaded by cli:calendar-import") || !strings.Contains(out, "from cn-holidays-2027.csv") {
				t.Errorf("calendar years after the import: %d\n%s", code, out)
			}

			bad := strings.Replace(strings.Replace(storetest.Calendar2027, "2027-02-20,workday", "2027-02-19,workday", 1), "2027-06-09,holiday", "2027-06-31,holiday", 1)
			code, out, errs = cli("calendar", "import", storetest.WriteFile(t, "bad-2027.csv", bad))
			if code != 1 || out != "" || !strings.Contains(errs, "row 15, column date: 2027-02-19 is a Friday: a make-up working day (workday) is always a Saturday or Sunday（2027-02-19 是星期五") ||
				!strings.Contains(errs, `row 26, column date: "2027-06-31" is not a date`) || !strings.Contains(errs, "The calendar file has 2 problems; nothing was loaded.") {
				t.Errorf("bad file: exit %d\nstdout %s\nstderr %s", code, out, errs)
			}
			if code, _, errs := cli("calendar", "import", "/nonexistent/2027.csv"); code != 1 || !strings.Contains(errs, "cannot open /nonexistent/2027.csv") {
				t.Errorf("missing file: %d %s", code, errs)
			}
			if code, _, errs := cli("calendar", "import"); code != 1 || !strings.Contains(errs, "give one calendar file") {
				t.Errorf("no file: %d %s", code, errs)
			}
		})
	}
}
