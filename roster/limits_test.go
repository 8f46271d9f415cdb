package roster_test

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/roster"
	"github.com/zhangye-backstop/backstop/sheet"
	"github.com/zhangye-backstop/backstop/sqlstore"
	"github.com/zhangye-backstop/backstop/storetest"
)

func freshDB(t *testing.T) *sqlstore.DB {
	t.Helper()
	db := storetest.OpenSQLite(t)
	storetest.LoadRegions(t, db)
	return db
}

func householdCount(t *testing.T, db *sqlstore.DB) int {
	t.Helper()
	_, total, err := db.FindHouseholds(storetest.Admin(), backstop.HouseholdFilter{})
	if err != nil {
		t.Fatal(err)
	}
	return total
}

// Every text column has a length limit; a cell over it is refused with
// its row and column and a reason naming the limit in both languages.
func TestImportTextTooLong(t *testing.T) {
	db := freshDB(t)
	tmpl := storetest.TemplateRoster(t)
	for _, tc := range []struct {
		column string
		limit  int
	}{
		{"姓名", backstop.MaxNameLength},
		{"与户主关系", backstop.MaxShortTextLength},
		{"民族", backstop.MaxShortTextLength},
		{"文化程度", backstop.MaxShortTextLength},
		{"在校生状况", backstop.MaxShortTextLength},
		{"健康状况", backstop.MaxDescriptionLength},
		{"劳动技能", backstop.MaxShortTextLength},
		{"致贫原因1", backstop.MaxDescriptionLength},
		{"自然村", backstop.MaxPlaceNameLength},
		{"户类型", backstop.MaxShortTextLength},
		{"房屋结构", backstop.MaxShortTextLength},
		{"主要生计", backstop.MaxShortTextLength},
		{"饮水水源", backstop.MaxShortTextLength},
		{"帮扶责任人", backstop.MaxNameLength},
	} {
		t.Run(tc.column, func(t *testing.T) {
			content := storetest.ReplaceCell(t, tmpl, 2, tc.column, strings.Repeat("张", tc.limit+1))
			res, err := roster.Import(storetest.Admin(), db, storetest.WriteFile(t, "r.csv", content), backstop.ImportOptions{})
			if backstop.ErrorCode(err) != backstop.EINVALID {
				t.Fatalf("err = %v", err)
			}
			p := res.Problems[0]
			if p.Row != 2 || p.Column != tc.column || p.Reason != "is too long: "+itoa(tc.limit+1)+" characters, the limit is "+itoa(tc.limit) ||
				p.ReasonZH != "过长：有"+itoa(tc.limit+1)+"个字符，上限为"+itoa(tc.limit)+"个" {
				t.Errorf("problems = %+v", res.Problems)
			}
			// At the limit the same file imports.
			content = storetest.ReplaceCell(t, tmpl, 2, tc.column, strings.Repeat("张", tc.limit))
			if tc.column == "自然村" || tc.column == "户类型" || tc.column == "房屋结构" || tc.column == "主要生计" || tc.column == "饮水水源" || tc.column == "帮扶责任人" {
				// Household-level: every row of the household agrees.
				for _, row := range []int{3, 4} {
					content = storetest.ReplaceCell(t, content, row, tc.column, strings.Repeat("张", tc.limit))
				}
			}
			if _, err := roster.Import(storetest.Admin(), db, storetest.WriteFile(t, "r.csv", content), backstop.ImportOptions{DryRun: true}); err != nil {
				t.Errorf("at the limit: %v %v", err, backstop.ErrorDetails(err))
			}
		})
	}
	// Village names (used when there is no village code) too.
	content := storetest.ReplaceCell(t, storetest.ReplaceCell(t, tmpl, 2, "行政区划代码", ""), 2, "行政村", strings.Repeat("村", 51))
	res, err := roster.Import(storetest.Admin(), db, storetest.WriteFile(t, "r.csv", content), backstop.ImportOptions{})
	if err == nil || res.Problems[0].Column != "行政村" || !strings.Contains(res.Problems[0].Reason, "the limit is 50") || len(res.Problems[0].Reason) > 200 {
		t.Errorf("long village name: %v %+v", err, res.Problems)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// The reported case: a 20 MB name. It is over the sheet's cell limit,
// which ends the import (nothing is written, not even with SkipInvalid,
// and the rows before it are not written either), naming the row.
func TestImportGiantCellRefused(t *testing.T) {
	db := freshDB(t)
	content := storetest.ReplaceCell(t, storetest.TemplateRoster(t), 5, "姓名", strings.Repeat("张", 20<<20/3))
	for _, skip := range []bool{false, true} {
		res, err := roster.Import(storetest.Admin(), db, storetest.WriteFile(t, "r.csv", content), backstop.ImportOptions{SkipInvalid: skip})
		// One line of 20 MB: the line limit stops it.
		if backstop.ErrorCode(err) != backstop.ETOOLARGE || !strings.Contains(backstop.ErrorMessage(err), "Row 5: line 5 of the file is longer than 1024 KiB") {
			t.Fatalf("skip %v: err = %v", skip, err)
		}
		if len(res.Problems) != 1 || res.Problems[0].Row != 5 || res.Problems[0].ReasonZH == "" || res.Written || roster.RowsRefused(err) {
			t.Errorf("skip %v: result %+v", skip, res)
		}
	}
	// A cell over the sheet's limit on a line within it: the problem
	// names the column by its header.
	content = storetest.ReplaceCell(t, storetest.TemplateRoster(t), 5, "姓名", `"`+strings.Repeat("张\n", 100_000)+`"`)
	for _, skip := range []bool{false, true} {
		res, err := roster.Import(storetest.Admin(), db, storetest.WriteFile(t, "r.csv", content), backstop.ImportOptions{SkipInvalid: skip})
		if backstop.ErrorCode(err) != backstop.ETOOLARGE || !strings.Contains(backstop.ErrorMessage(err), "Row 5, column I: the cell is larger than 128 KiB") {
			t.Fatalf("skip %v: err = %v", skip, err)
		}
		if len(res.Problems) != 1 || res.Problems[0].Row != 5 || res.Problems[0].Column != "姓名" || res.Written {
			t.Errorf("skip %v: result %+v", skip, res)
		}
	}
	if n := householdCount(t, db); n != 0 {
		t.Errorf("%d households written", n)
	}
}

// An xlsx bomb through the import is refused before it is inflated.
func TestImportXLSXBombRefused(t *testing.T) {
	db := freshDB(t)
	var buf bytes.Buffer
	z := zip.NewWriter(&buf)
	for name, content := range map[string]string{
		"_rels/.rels":                `<Relationships><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`,
		"xl/workbook.xml":            `<workbook xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>`,
		"xl/_rels/workbook.xml.rels": `<Relationships><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>`,
	} {
		w, _ := z.Create(name)
		io.WriteString(w, content)
	}
	// What the sheet says it inflates to is enough to refuse it; its
	// bytes are never read.
	w, _ := z.CreateRaw(&zip.FileHeader{Name: "xl/worksheets/sheet1.xml", Method: zip.Deflate, UncompressedSize64: 1500 << 20, CompressedSize64: 1 << 20})
	w.Write(make([]byte, 1<<20))
	z.Close()
	path := filepath.Join(t.TempDir(), "bomb.xlsx")
	os.WriteFile(path, buf.Bytes(), 0o600)
	res, err := roster.Import(storetest.Admin(), db, path, backstop.ImportOptions{})
	if backstop.ErrorCode(err) != backstop.ETOOLARGE || !strings.Contains(backstop.ErrorMessage(err), "zip bomb") ||
		!strings.Contains(backstop.ErrorMessageZH(err), "压缩炸弹") || roster.RowsRefused(err) || res.Written {
		t.Errorf("err = %v, problems %+v", err, res.Problems)
	}
}

// personalNumber finds 18-character ID numbers in a text.
var personalNumber = regexp.MustCompile(`\d{17}[\dXx]`)

// secretsOf lists what no problem may show of a roster: every phone and
// ID number in its phone and ID columns, the values planted in other
// columns, and the birth-date digits of every ID number.
func secretsOf(t *testing.T, content string, planted ...string) []string {
	t.Helper()
	rows, err := csv.NewReader(strings.NewReader(content)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	secrets := planted
	for _, row := range rows[1:] {
		for i, h := range rows[0] {
			switch h {
			case "证件号码", "户联系电话", "人联系电话", "帮扶责任人电话":
				for _, v := range strings.Split(row[i], "/") {
					if len(v) >= 10 && !strings.ContainsAny(v, "E*") {
						secrets = append(secrets, v)
					}
				}
			}
		}
	}
	for _, s := range slices.Clone(secrets) {
		if len(s) >= 14 {
			secrets = append(secrets, s[6:14])
		}
	}
	return secrets
}

// Problems quote bad values masked: no phone or ID number of the file
// shows whole in a problem or in the error sheet, in either language.
func TestProblemsMaskPersonalData(t *testing.T) {
	db := freshDB(t)
	// LF line ends, so that ReplaceCell reaches the last column too.
	c := strings.ReplaceAll(storetest.TemplateRoster(t), "\r\n", "\n")
	c = storetest.ReplaceCell(t, c, 2, "人联系电话", "1389365218")              // a digit short
	c = storetest.ReplaceCell(t, c, 2, "户联系电话", "13893652186/13912345678") // two numbers
	c = storetest.ReplaceCell(t, c, 3, "证件号码", "620723196113054054")       // no such birth date
	c = storetest.ReplaceCell(t, c, 3, "人编号", "62072319610605405X")        // an ID in the wrong column
	c = storetest.ReplaceCell(t, c, 4, "是否参加大病保险", "13893658104")          // a phone in a yes/no column
	c = storetest.ReplaceCell(t, c, 4, "人数", "13893652013")                // a phone as the size
	c = storetest.ReplaceCell(t, c, 4, "人联系电话", "138****8104")             // a masked phone
	c = storetest.ReplaceCell(t, c, 5, "证件号码", "6.20722197509140E+17")     // Excel's E notation
	c = storetest.ReplaceCell(t, c, 5, "数据日期", "620725195207032477")       // an ID in a date column
	c = storetest.ReplaceCell(t, c, 5, "经度", "620722197804216434")         // an ID as a longitude
	// Row 6 starts household 3; rows 7 and 8 disagree with it.
	c = storetest.ReplaceCell(t, c, 7, "帮扶责任人电话", "13993621235")
	c = storetest.ReplaceCell(t, c, 8, "证件号码", "62072220101019407") // a digit short
	c = storetest.ReplaceCell(t, c, 8, "行政区划代码", "13893651812")     // a phone as the village code
	res, err := roster.Import(storetest.Admin(), db, storetest.WriteFile(t, "r.csv", c), backstop.ImportOptions{})
	if backstop.ErrorCode(err) != backstop.EINVALID || len(res.Problems) < 10 || !roster.RowsRefused(err) {
		t.Fatalf("err = %v, %d problems: %+v", err, len(res.Problems), res.Problems)
	}
	masked := false
	for _, p := range res.Problems {
		masked = masked || p.Row == 4 && p.Column == "人联系电话" && strings.Contains(p.Reason, "is masked") && strings.Contains(p.ReasonZH, "已脱敏")
	}
	if !masked {
		t.Errorf("no problem says the phone of row 4 is masked: %+v", res.Problems)
	}
	secrets := secretsOf(t, c, "62072319610605405X", "13893658104", "13893652013", "620725195207032477", "620722197804216434", "13893651812")
	if len(secrets) < 30 {
		t.Fatalf("only %d secrets found", len(secrets))
	}
	check := func(where, text string) {
		t.Helper()
		for _, s := range secrets {
			if strings.Contains(text, s) {
				t.Errorf("%s shows %s: %s", where, s, text)
			}
		}
	}
	var all strings.Builder
	for _, p := range res.Problems {
		check("problem", p.Reason)
		check("problem (zh)", p.ReasonZH)
		all.WriteString(p.Reason + "\n" + p.ReasonZH + "\n")
	}
	check("error message", backstop.ErrorMessage(err)+backstop.ErrorMessageZH(err))
	// The problems still say what is wrong, with the masked value.
	for _, want := range []string{"138***5218", "138****2186/139****5678", "139****1234", "139****1235", "620723********405X", "620725********2477", "138****1812"} {
		if !strings.Contains(all.String(), want) {
			t.Errorf("no problem quotes %s:\n%s", want, all.String())
		}
	}
	for _, format := range []string{"csv", "xlsx"} {
		var buf bytes.Buffer
		if err := roster.WriteProblems(&buf, format, res.Problems); err != nil {
			t.Fatal(err)
		}
		text := buf.String()
		if format == "xlsx" {
			text = sheetText(t, buf.Bytes())
		}
		check("error sheet ("+format+")", text)
		if !strings.Contains(text, "138****2186/139****5678") {
			t.Errorf("error sheet (%s) lacks the masked phone", format)
		}
	}
}

// sheetText reads an xlsx back as text, cell by cell.
func sheetText(t *testing.T, data []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "problems.xlsx")
	os.WriteFile(path, data, 0o600)
	r, err := sheet.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	text := strings.Join(r.Header(), ",") + "\n"
	for {
		cells, _, err := r.Next()
		if err == io.EOF {
			return text
		} else if err != nil {
			t.Fatal(err)
		}
		text += strings.Join(cells, ",") + "\n"
	}
}

// The error sheet masks phone and ID numbers whatever wrote the problems.
func TestWriteProblemsMasks(t *testing.T) {
	probs := []backstop.Problem{{Row: 2, Column: "证件号码", Reason: "ID 620723196106054054 exists in household 6207231012010001", ReasonZH: "证件号码620723196106054054已登记，电话13893652186"}}
	var buf bytes.Buffer
	if err := roster.WriteProblems(&buf, "csv", probs); err != nil {
		t.Fatal(err)
	}
	rows, _ := csv.NewReader(strings.NewReader(strings.TrimPrefix(buf.String(), "\ufeff"))).ReadAll()
	if len(rows) != 2 || rows[1][2] != "证件号码620723********4054已登记，电话138****2186" || rows[1][3] != "ID 620723********4054 exists in household 6207231012010001" {
		t.Errorf("error sheet = %q", rows)
	}
}

// A masked export imported back is refused once, as a masked export, not
// row by row; nothing is written.
func TestMaskedExportReimportRefused(t *testing.T) {
	db := freshDB(t)
	ctx := storetest.Admin()
	if _, err := roster.Import(ctx, db, storetest.SharedData(t, "templates/households.csv"), backstop.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	before, _ := db.FindHousehold(ctx, "6207231012010001")
	for _, format := range []string{"csv", "xlsx"} {
		var buf bytes.Buffer
		if _, err := roster.Export(ctx, db, &buf, roster.ExportOptions{Format: format}); err != nil {
			t.Fatal(err)
		}
		path := storetest.WriteFile(t, "export."+format, buf.String())
		for _, skip := range []bool{false, true} {
			res, err := roster.Import(ctx, db, path, backstop.ImportOptions{SkipInvalid: skip})
			if backstop.ErrorCode(err) != backstop.EINVALID || !strings.Contains(backstop.ErrorMessage(err), "This file is a masked export") ||
				!strings.Contains(backstop.ErrorMessage(err), "Export again with full ID numbers and phones") || !strings.Contains(backstop.ErrorMessageZH(err), "这是脱敏导出的文件") {
				t.Fatalf("%s (skip %v): err = %v / %s", format, skip, err, backstop.ErrorMessageZH(err))
			}
			if len(res.Problems) != 1 || res.Problems[0].Row != 2 || res.Problems[0].Column != "证件号码" || res.Written || roster.RowsRefused(err) {
				t.Errorf("%s (skip %v): %+v", format, skip, res)
			}
		}
	}
	after, _ := db.FindHousehold(ctx, "6207231012010001")
	if after.Version != before.Version {
		t.Errorf("the household changed: version %d → %d", before.Version, after.Version)
	}
}

// A masked export shows no birth date: not in the masked ID numbers, and
// in no other column; the reveal export keeps the ID numbers whole.
func TestMaskedExportHidesBirthDates(t *testing.T) {
	db := freshDB(t)
	ctx := storetest.Admin()
	if _, err := roster.Import(ctx, db, storetest.SharedData(t, "templates/households.csv"), backstop.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, s := range personalNumber.FindAllString(storetest.TemplateRoster(t), -1) {
		if _, _, err := backstop.ValidateIDNumber(s); err == nil {
			ids = append(ids, s)
		}
	}
	if len(ids) != 7 {
		t.Fatalf("template ID numbers: %v", ids)
	}
	var masked, revealed bytes.Buffer
	if _, err := roster.Export(ctx, db, &masked, roster.ExportOptions{Format: "csv"}); err != nil {
		t.Fatal(err)
	}
	if _, err := roster.Export(ctx, db, &revealed, roster.ExportOptions{Format: "csv", Reveal: true}); err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		birth := id[6:14]
		for _, shown := range []string{id, birth, birth[:4] + "-" + birth[4:6] + "-" + birth[6:], birth[:4] + "/" + birth[4:6] + "/" + birth[6:]} {
			if strings.Contains(masked.String(), shown) {
				t.Errorf("masked export shows %s", shown)
			}
		}
		if !strings.Contains(masked.String(), backstop.MaskIDNumber(id)) || !strings.Contains(revealed.String(), id) {
			t.Errorf("ID %s: masked export lacks its mask or reveal export lacks it", id)
		}
	}
}

// The writes the API goes through (the store validates before writing)
// refuse over-long text with the field and the limit.
func TestStoreWritesRefuseLongText(t *testing.T) {
	db := freshDB(t)
	ctx := storetest.Admin()
	h := &backstop.Household{Number: "6207231012010099", VillageCode: "620723101201", HelperName: strings.Repeat("王", 51),
		Members: []*backstop.Member{{Number: "620723101201009901", Name: "张建国", IDNumber: "620723196106054054"}}}
	err := db.CreateHousehold(ctx, h)
	if d := backstop.ErrorDetails(err); backstop.ErrorCode(err) != backstop.EINVALID || len(d) != 1 || d[0].Path != "helper_name" || !strings.Contains(d[0].ReasonZH, "上限为50个") {
		t.Errorf("CreateHousehold: %v %+v", err, d)
	}
	h.HelperName = "王志强"
	if err := db.CreateHousehold(ctx, h); err != nil {
		t.Fatal(err)
	}
	m := &backstop.Member{Number: "620723101201009902", Name: strings.Repeat("名", 20<<20), IDNumber: "620723196309043750"}
	err = db.UpsertMember(ctx, h.Number, m)
	if d := backstop.ErrorDetails(err); backstop.ErrorCode(err) != backstop.EINVALID || len(d) != 1 || d[0].Path != "name" || len(backstop.ErrorMessage(err)) > 300 {
		t.Errorf("UpsertMember: %v", err)
	}
}
