package storetest

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/demo"
	"github.com/zhangye-backstop/backstop/exposure"
	"github.com/zhangye-backstop/backstop/geo"
	"github.com/zhangye-backstop/backstop/roster"
	"github.com/zhangye-backstop/backstop/sheet"
	"github.com/zhangye-backstop/backstop/sqlstore"
)

// LoadRegions imports the Gansu county boundaries, the Zhangye township
// list and the template's villages, as an office would on a new system.
func LoadRegions(t testing.TB, db *sqlstore.DB) {
	t.Helper()
	ctx := Admin()
	f, err := os.Open(SharedData(t, "boundaries/gansu-620000-counties.wgs84.simplified.geojson"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	regs, err := geo.ReadRegionsGeoJSON(f)
	if err != nil {
		t.Fatalf("read gansu geojson: %v", err)
	}
	if _, err := db.ImportRegions(ctx, regs); err != nil {
		t.Fatalf("import gansu: %v", err)
	}
	for _, rel := range []string{"boundaries/zhangye-townships-2023.csv", "templates/villages.csv"} {
		regs, err := sheet.ReadRegions(SharedData(t, rel))
		if err != nil {
			t.Fatalf("read %s: %v", rel, err)
		}
		if _, err := db.ImportRegions(ctx, regs); err != nil {
			t.Fatalf("import %s: %v", rel, err)
		}
	}
}

// ImportRoster imports a roster file as the acting user of ctx.
func ImportRoster(ctx context.Context, db *sqlstore.DB, path string, opts backstop.ImportOptions) (*backstop.ImportResult, error) {
	return roster.Import(ctx, db, path, opts)
}

// WriteFile writes a test file into a temporary directory.
func WriteFile(t testing.TB, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TemplateRoster returns the template roster's text, to derive bad inputs
// from.
func TemplateRoster(t testing.TB) string {
	t.Helper()
	b, err := os.ReadFile(SharedData(t, "templates/households.csv"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// ReplaceCell returns csv with the cell of (row, header) replaced; row
// counts as a spreadsheet shows it (header is row 1). The template has no
// quoted cells, so splitting on commas is exact.
func ReplaceCell(t testing.TB, csv string, row int, header, value string) string {
	t.Helper()
	lines := strings.Split(strings.TrimRight(csv, "\n"), "\n")
	col := -1
	for i, h := range strings.Split(lines[0], ",") {
		if h == header {
			col = i
		}
	}
	if col < 0 || row-1 >= len(lines) {
		t.Fatalf("no cell %s in row %d", header, row)
	}
	cells := strings.Split(lines[row-1], ",")
	cells[col] = value
	lines[row-1] = strings.Join(cells, ",")
	return strings.Join(lines, "\n") + "\n"
}

// DemoExposure fills db with the synthetic Zhangye (households of the
// seed) and returns an exposure service with its index built, as the
// server has it after start.
func DemoExposure(t testing.TB, db *sqlstore.DB, households int, seed uint64) *exposure.Service {
	t.Helper()
	ctx := Admin()
	if _, err := demo.Fill(ctx, db, households, seed, nil); err != nil {
		t.Fatal(err)
	}
	exp := &exposure.Service{Store: db}
	if err := exp.Load(ctx); err != nil {
		t.Fatal(err)
	}
	return exp
}

// SetLine sets a monitoring line in force for region this year, as an
// admin would (lines are per year: tests that derive the low-income group
// need one for today).
func SetLine(t testing.TB, db *sqlstore.DB, region string, value float64) *backstop.Policy {
	t.Helper()
	y := time.Now().In(backstop.Beijing).Year()
	from := time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC)
	to := from.AddDate(1, 0, 0)
	p := &backstop.Policy{Key: backstop.PolicyMonitoringLine, Region: region, Value: value, EffectiveFrom: from, EffectiveTo: &to, Source: "test: this year's line"}
	if err := db.CreatePolicy(Admin(), p); err != nil {
		t.Fatal(err)
	}
	return p
}
