package roster_test

import (
	"bytes"
	"encoding/csv"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/roster"
	"github.com/zhangye-backstop/backstop/storetest"
)

// templateXLSX writes the template roster as an office would save it from
// Excel: numbers as numbers, dates as date cells, IDs as text.
func templateXLSX(t *testing.T) string {
	t.Helper()
	records, err := csv.NewReader(strings.NewReader(storetest.TemplateRoster(t))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	f := excelize.NewFile()
	dateStyle, _ := f.NewStyle(&excelize.Style{NumFmt: 14})
	for r, rec := range records {
		for c, v := range rec {
			cell, _ := excelize.CoordinatesToCellName(c+1, r+1)
			header := records[0][c]
			switch {
			case r > 0 && (header == "人均纯收入" || header == "人数" || header == "经度" || header == "纬度") && v != "":
				n, _ := strconv.ParseFloat(v, 64)
				f.SetCellValue("Sheet1", cell, n)
			case r > 0 && header == "数据日期":
				f.SetCellValue("Sheet1", cell, 46326) // 2026-10-31 as an Excel date serial
				f.SetCellStyle("Sheet1", cell, cell, dateStyle)
			default:
				f.SetCellStr("Sheet1", cell, v)
			}
		}
	}
	p := filepath.Join(t.TempDir(), "名单.xlsx")
	if err := f.SaveAs(p); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestImportXLSX(t *testing.T) {
	db := storetest.OpenSQLite(t)
	storetest.LoadRegions(t, db)
	ctx := storetest.Admin()
	res, err := roster.Import(ctx, db, templateXLSX(t), backstop.ImportOptions{})
	if err != nil {
		t.Fatalf("%v %v", err, backstop.ErrorDetails(err))
	}
	if res.Format != "xlsx" || res.HouseholdsCreated != 3 || res.PeopleCreated != 7 {
		t.Fatalf("xlsx import = %+v", res)
	}
	h, _ := db.FindHousehold(ctx, "6207231012010001")
	if h.DataDate != "2026-10-31" || *h.IncomePerCapita != 9800 {
		t.Errorf("date %q income %v", h.DataDate, *h.IncomePerCapita)
	}
	// The same data as CSV afterwards changes nothing: both formats read
	// alike.
	res, err = roster.Import(ctx, db, storetest.SharedData(t, "templates/households.csv"), backstop.ImportOptions{})
	if err != nil || res.HouseholdsUnchanged != 3 || res.PeopleUnchanged != 7 {
		t.Errorf("csv after xlsx: %+v %v", res, err)
	}
}

func TestExcelNumberIDsRefused(t *testing.T) {
	db := storetest.OpenSQLite(t)
	storetest.LoadRegions(t, db)
	bad := storetest.ReplaceCell(t, storetest.TemplateRoster(t), 2, "证件号码", "6.20723196106054E+17")
	res, err := roster.Import(storetest.Admin(), db, storetest.WriteFile(t, "r.csv", bad), backstop.ImportOptions{})
	if err == nil || res.Problems[0].Column != "证件号码" || !strings.Contains(res.Problems[0].Reason, "lost digits") {
		t.Errorf("ID in E notation: %v %v", err, res.Problems)
	}
}

func TestExportRoundTrip(t *testing.T) {
	db := storetest.OpenSQLite(t)
	storetest.LoadRegions(t, db)
	ctx := storetest.Admin()
	if _, err := roster.Import(ctx, db, storetest.SharedData(t, "templates/households.csv"), backstop.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	n, err := roster.Export(ctx, db, &buf, roster.ExportOptions{Format: "csv", Reveal: true})
	if err != nil || n != 7 {
		t.Fatalf("export: %d %v", n, err)
	}
	// An unmasked export imports back without changes.
	res, err := roster.Import(ctx, db, storetest.WriteFile(t, "export.csv", buf.String()), backstop.ImportOptions{})
	if err != nil || res.HouseholdsUnchanged != 3 || res.PeopleUnchanged != 7 {
		t.Errorf("re-import of the export: %+v %v %v", res, err, backstop.ErrorDetails(err))
	}
	entries, _, _ := db.FindAudit(ctx, backstop.AuditFilter{Action: "roster.export.reveal"})
	if len(entries) != 1 {
		t.Errorf("reveal export audit rows = %d", len(entries))
	}
}
