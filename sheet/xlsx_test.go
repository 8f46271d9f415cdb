package sheet

import (
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/zhangye-backstop/backstop"
)

// rowsOf reads a whole file through Open: the header, then every row with
// its number.
func rowsOf(t *testing.T, path string) (header []string, rows [][]string, nums []int) {
	t.Helper()
	r, err := Open(path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer r.Close()
	header = slices.Clone(r.Header())
	for {
		cells, n, err := r.Next()
		if err == io.EOF {
			return
		} else if err != nil {
			t.Fatalf("Next: %v", err)
		}
		rows, nums = append(rows, slices.Clone(cells)), append(nums, n)
	}
}

// excelizeRows reads a file the way the reader did before (excelize, raw
// values), as the oracle for files excelize writes.
func excelizeRows(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.Rows(f.GetSheetList()[0])
	if err != nil {
		t.Fatal(err)
	}
	var out [][]string
	for rows.Next() {
		cells, err := rows.Columns(excelize.Options{RawCellValue: true})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, trimCells(cells))
	}
	return out
}

// A workbook as excelize writes it (shared strings, numbers, booleans,
// dates with a date style, formulas with cached values, rich text,
// empty cells and rows between), and one written by its stream writer
// (inline strings), as backstop's exports are: both read as excelize read
// them.
func TestXLSXReadsAsExcelizeDid(t *testing.T) {
	f := excelize.NewFile()
	f.SetSheetName("Sheet1", "人口名单")
	s := "人口名单"
	dateStyle, _ := f.NewStyle(&excelize.Style{NumFmt: 14})
	f.SetCellStr(s, "A1", "姓名")
	f.SetCellStr(s, "B1", "证件号码")
	f.SetCellStr(s, "C1", "人均纯收入")
	f.SetCellStr(s, "E1", "数据日期")
	f.SetCellStr(s, "A2", " 张建国\u3000")
	f.SetCellStr(s, "B2", "620723196106054054")
	f.SetCellFloat(s, "C2", 9800.5, -1, 64)
	f.SetCellBool(s, "D2", true)
	f.SetCellValue(s, "E2", time.Date(2026, 10, 31, 0, 0, 0, 0, time.UTC))
	f.SetCellStyle(s, "E2", "E2", dateStyle)
	f.SetCellStr(s, "A4", "李<秀>兰 & \"家\"")
	f.SetCellInt(s, "C4", 13893652186)
	f.SetCellFormula(s, "F4", "C4*2")
	f.SetCellRichText(s, "G4", []excelize.RichTextRun{{Text: "富"}, {Text: "文本", Font: &excelize.Font{Bold: true}}})
	f.SetCellStr(s, "H4", "第一行\n第二行")
	f.SetCellStr(s, "AB4", "_x0041_ 与 _x005F_x0041_")
	path := filepath.Join(t.TempDir(), "excelize.xlsx")
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
	header, rows, nums := rowsOf(t, path)
	want := excelizeRows(t, path)
	if !slices.Equal(header, want[0]) {
		t.Errorf("header %q, excelize %q", header, want[0])
	}
	// excelize returns the empty row 3; the reader skips rows that are
	// not in the file, and numbers the others as the sheet does.
	if len(rows) != 2 || !slices.Equal(nums, []int{2, 4}) {
		t.Fatalf("rows %q numbered %v", rows, nums)
	}
	for i, r := range []int{1, 3} {
		if !slices.Equal(rows[i], want[r]) {
			t.Errorf("row %d: %q, excelize %q", nums[i], rows[i], want[r])
		}
	}
	if rows[0][0] != "张建国" || rows[0][3] != "1" || rows[1][0] != `李<秀>兰 & "家"` || rows[1][6] != "富文本" || rows[1][7] != "第一行\n第二行" {
		t.Errorf("values: %q %q", rows[0], rows[1])
	}

	// The stream writer, as roster.Export writes xlsx.
	path = filepath.Join(t.TempDir(), "stream.xlsx")
	out, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w, err := NewXLSX(out, "人口名单")
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]any{"序号", "姓名", "人均纯收入", "备注"})
	w.Write([]any{1, "张建国", 9800.5, "=1+1"})
	w.Write([]any{2, "李秀兰", "", "a\tb"})
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	out.Close()
	header, rows, _ = rowsOf(t, path)
	want = excelizeRows(t, path)
	if !slices.Equal(header, want[0]) || len(rows) != 2 || !slices.Equal(rows[0], want[1]) || !slices.Equal(rows[1], want[2]) {
		t.Errorf("stream-written: %q %q, excelize %q", header, rows, want)
	}
	if rows[0][3] != "'=1+1" {
		t.Errorf("escaped formula reads %q", rows[0][3])
	}
}

// What other producers write: namespace prefixes, cells without
// references, CDATA, comments, character references, CRLF, phonetic runs,
// _x000D_, ISO date cells, booleans, a first sheet that is not sheet1.xml
// and an absolute relationship target, relationships in another case.
func TestXLSXOtherProducers(t *testing.T) {
	path := craftXLSX(t, map[string]part{
		"xl/workbook.xml": {content: `<?xml version="1.0"?><x:workbook xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">` +
			`<x:sheets><x:sheet name="名单" sheetId="2" r:id="rId7"/><x:sheet name="说明" sheetId="1" r:id="rId1"/></x:sheets></x:workbook>`},
		"xl/_rels/workbook.xml.rels": {content: `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
			`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>` +
			`<Relationship Id="rId7" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="/xl/worksheets/Sheet2.xml"/>` +
			`<Relationship Id="rId8" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>`},
		"xl/worksheets/sheet1.xml": {content: sheetHead + `<row r="1"><c r="A1" t="inlineStr"><is><t>not this sheet</t></is></c></row>` + sheetTail},
		"xl/worksheets/sheet2.xml": {content: `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\r\n" +
			`<x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><x:dimension ref="A1:D3"/><x:sheetData>` +
			`<x:row r="1" spans="1:4"><x:c r="A1" t="s"><x:v>0</x:v></x:c><x:c t="s"><x:v>1</x:v></x:c><x:c t='str'><x:v>备注</x:v></x:c></x:row>` +
			`<!-- a comment --><?pi x?>` +
			`<x:row><x:c t="s"><x:v>2</x:v></x:c><x:c t="inlineStr"><x:is><x:t><![CDATA[a<b>&c]]>&#x4E00;&#20108;</x:t></x:is></x:c><x:c t="b"><x:v>0</x:v></x:c></x:row>` +
			`<x:row r="5"><x:c r="B5" t="d"><x:v>2026-10-31T00:00:00</x:v></x:c><x:c r="D5" t="inlineStr"><x:is><x:t xml:space="preserve">` + "一\r\n二\r三" + `</x:t></x:is></x:c></x:row>` +
			`<x:row r="6"/><x:row r="7"><x:c r="A7" s="3"/><x:c r="C7"><x:f>1+1</x:f><x:v>2</x:v></x:c></x:row>` +
			`</x:sheetData><x:mergeCells count="0"/></x:worksheet>`},
		"xl/sharedStrings.xml": {content: `<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="3" uniqueCount="3">` +
			`<si><t>姓名</t></si><si><r><rPr><b/></rPr><t>证件</t></r><r><t>号码</t></r><rPh sb="0" eb="1"><t>zhengjian</t></rPh></si>` +
			`<si><t>张_x000D_建国</t><phoneticPr fontId="1"/></si></sst>`},
	})
	header, rows, nums := rowsOf(t, path)
	if want := []string{"姓名", "证件号码", "备注"}; !slices.Equal(header, want) {
		t.Errorf("header %q, want %q", header, want)
	}
	want := [][]string{
		{"张\r建国", "a<b>&c一二", "0"},
		{"", "2026-10-31", "", "一\n二\n三"},
		{},
		{"", "", "2"},
	}
	if !slices.Equal(nums, []int{2, 5, 6, 7}) {
		t.Errorf("row numbers %v", nums)
	}
	for i := range want {
		if i >= len(rows) || !slices.Equal(rows[i], want[i]) {
			t.Errorf("rows = %q, want %q", rows, want)
			break
		}
	}
}

// A sheet whose first row is not row 1 has an empty header (as a
// spreadsheet shows it), and its first row comes from Next.
func TestXLSXHeaderNotInRowOne(t *testing.T) {
	path := craftXLSX(t, map[string]part{"xl/worksheets/sheet1.xml": {content: sheetHead +
		`<row r="3"><c r="A3" t="inlineStr"><is><t>姓名</t></is></c></row><row r="4"><c r="A4" t="inlineStr"><is><t>张建国</t></is></c></row>` + sheetTail}})
	header, rows, nums := rowsOf(t, path)
	if len(header) != 0 || len(rows) != 2 || !slices.Equal(nums, []int{3, 4}) || rows[1][0] != "张建国" {
		t.Errorf("header %q, rows %q %v", header, rows, nums)
	}
}

func TestXLSXStructureErrors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		parts map[string]part
		want  string
	}{
		{"no rows", map[string]part{"xl/worksheets/sheet1.xml": {content: sheetHead + sheetTail}}, "the first sheet has no rows"},
		{"no sheet part", map[string]part{"xl/worksheets/other.xml": {content: sheetHead + sheetTail}}, "content of the first sheet"},
		{"no sheets", map[string]part{"xl/workbook.xml": {content: `<workbook><sheets/></workbook>`}}, "has no sheet"},
		{"a chart first", map[string]part{"xl/_rels/workbook.xml.rels": {content: `<Relationships><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/chartsheet" Target="chartsheets/sheet1.xml"/></Relationships>`}}, "not a worksheet"},
		{"bad XML", map[string]part{"xl/worksheets/sheet1.xml": {content: sheetHead + `<row r="1"><c r="A1"><v>1 &bogus; </v></c></row>` + sheetTail}}, "not well-formed XML"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Open(craftXLSX(t, tc.parts))
			if err == nil || !strings.Contains(backstop.ErrorMessage(err), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

// The scanner reads the same whether a tag lies in its buffer (the fast
// path) or straddles a refill (the careful one): fed one byte at a time,
// every tag takes the careful path.
func TestXLSXScannerAcrossRefills(t *testing.T) {
	sheetXML := `<?xml version="1.0"?><x:worksheet xmlns:x="urn:main"><x:sheetData>` +
		`<x:row r="1" ><x:c r = "A1" t='inlineStr'><x:is><x:t>姓名 &amp; 号码</x:t></x:is></x:c><c r="B1" t="s"><v> 1 </v></c></x:row>` +
		`<row r="2"><c r="A2" t="str" foo="a&gt;b&#x4E00;"><v>x<!-- c --><![CDATA[<y>]]>&#20108;</v></c><c r="C2" t="inlineStr"><is><r><t>富</t></r><rPh><t>fu</t></rPh><r><t>文本</t></r></is></c></row>` +
		`<row r="3"/><row r="4"><c r="A4" t="s"/><c r="D4"><f>SUM(A1:A3)</f><v>6</v></c ></row >` +
		`</x:sheetData></x:worksheet>`
	sstXML := `<sst><si><t>张建国</t></si><si><r><t>证件</t></r><r><t xml:space="preserve"> 号码 </t></r></si></sst>`
	read := func(one bool) [][]string {
		var sheet, sst io.Reader = strings.NewReader(sheetXML), strings.NewReader(sstXML)
		if one {
			sheet, sst = iotest.OneByteReader(sheet), iotest.OneByteReader(sst)
		}
		table, err := readSharedStrings(sst, &defaultXLSXLimits)
		if err != nil {
			t.Fatal(err)
		}
		x := &xlsxReader{lim: defaultXLSXLimits, sst: table, sc: newXMLScanner(sheet)}
		var rows [][]string
		for {
			cells, row, err := x.readRow()
			if err == io.EOF {
				return rows
			} else if err != nil {
				t.Fatalf("one byte at a time %v: row %d: %v", one, row, err)
			}
			rows = append(rows, append([]string{strconv.Itoa(row)}, cells...))
		}
	}
	want := [][]string{
		{"1", "姓名 & 号码", "证件 号码"},
		{"2", "x<y>二", "", "富文本"},
		{"3"},
		{"4", "", "", "", "6"},
	}
	for _, one := range []bool{false, true} {
		if got := read(one); !slices.EqualFunc(got, want, slices.Equal) {
			t.Errorf("one byte at a time %v: %q, want %q", one, got, want)
		}
	}
}
