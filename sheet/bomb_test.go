package sheet

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"errors"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/zhangye-backstop/backstop"
)

// deflateBomb returns a raw deflate stream of prefix, unit repeated n
// times, and suffix, built without compressing all of it: a chunk of
// units compressed after a history of the same units decodes the same
// wherever it is repeated (its back-references reach only units), so one
// compressed chunk is copied n/perChunk times. A gigabyte of output costs
// about a megabyte and a few milliseconds.
func deflateBomb(t *testing.T, prefix, unit string, n int, suffix string) (compressed []byte, size int64) {
	t.Helper()
	perChunk := max(1, (1<<20)/len(unit))
	chunk := []byte(strings.Repeat(unit, perChunk))
	var out bytes.Buffer
	w, _ := flate.NewWriter(&out, flate.BestCompression)
	w.Write([]byte(prefix))
	w.Write(chunk) // the history every repeated chunk relies on
	w.Flush()
	head := out.Len()
	w.Write(chunk)
	w.Flush()
	repeated := append([]byte(nil), out.Bytes()[head:]...)
	out.Truncate(head)
	var b bytes.Buffer
	b.Write(out.Bytes())
	chunks := n/perChunk - 1
	for range chunks {
		b.Write(repeated)
	}
	// The tail is compressed by a writer that has seen the same history.
	var tail bytes.Buffer
	tw, _ := flate.NewWriter(&tail, flate.BestCompression)
	tw.Write([]byte(prefix))
	tw.Write(chunk)
	tw.Flush()
	skip := tail.Len()
	tw.Write([]byte(suffix))
	tw.Close()
	b.Write(tail.Bytes()[skip:])
	return b.Bytes(), int64(len(prefix)) + int64(chunks+1)*int64(len(chunk)) + int64(len(suffix))
}

// part is one entry of a crafted xlsx: plain content, or a raw deflate
// stream with the uncompressed size it declares (which may lie).
type part struct {
	content  string
	raw      []byte
	declared int64
}

// craftXLSX writes a zip with the given parts around a standard package
// skeleton: the workbook's first sheet is xl/worksheets/sheet1.xml, and
// shared strings are related when the parts include them.
func craftXLSX(t *testing.T, parts map[string]part) string {
	t.Helper()
	skeleton := map[string]string{
		"[Content_Types].xml": `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>`,
		"_rels/.rels":         `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`,
		"xl/workbook.xml":     `<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="名单" sheetId="1" r:id="rId1"/></sheets></workbook>`,
		"xl/_rels/workbook.xml.rels": `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
			`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>` +
			`<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>`,
	}
	var buf bytes.Buffer
	z := zip.NewWriter(&buf)
	for name, content := range skeleton {
		if _, ok := parts[name]; ok {
			continue
		}
		w, _ := z.Create(name)
		w.Write([]byte(content))
	}
	for name, p := range parts {
		if p.raw == nil {
			w, _ := z.Create(name)
			w.Write([]byte(p.content))
			continue
		}
		// The CRC cannot be known without inflating; a reader that
		// stops early never checks it.
		w, err := z.CreateRaw(&zip.FileHeader{Name: name, Method: zip.Deflate, CompressedSize64: uint64(len(p.raw)),
			UncompressedSize64: uint64(p.declared), CRC32: crc32.ChecksumIEEE(nil)})
		if err != nil {
			t.Fatal(err)
		}
		w.Write(p.raw)
	}
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "bomb.xlsx")
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

const sheetHead = `<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>`
const sheetTail = `</sheetData></worksheet>`

// giantCellSheet is a sheet whose row 2, column B holds an inline string
// of n letters.
func giantCellSheet(t *testing.T, n int) ([]byte, int64) {
	return deflateBomb(t, sheetHead+`<row r="1"><c r="A1" t="inlineStr"><is><t>姓名</t></is></c></row><row r="2"><c r="A2"><v>1</v></c><c r="B2" t="inlineStr"><is><t>`,
		"a", n, `</t></is></c></row>`+sheetTail)
}

// openBudgeted opens an xlsx with the default limits and returns what it
// inflated.
func openBudgeted(t *testing.T, path string, lim xlsxLimits) (*xlsxReader, *zipBudget, error) {
	t.Helper()
	budget := &zipBudget{}
	x, err := openXLSX(path, lim, budget)
	return x, budget, err
}

// readAll reads every row, returning the first error.
func readAll(r Reader) error {
	for {
		if _, _, err := r.Next(); err == io.EOF {
			return nil
		} else if err != nil {
			return err
		}
	}
}

func fileSizeOf(t *testing.T, path string) int64 {
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return st.Size()
}

// The generator itself: what it builds inflates to what it says.
func TestDeflateBomb(t *testing.T) {
	raw, size := deflateBomb(t, "<a>", "<b>x</b>", 3<<20, "</a>")
	got, err := io.ReadAll(flate.NewReader(bytes.NewReader(raw)))
	if err != nil {
		t.Fatal(err)
	}
	want := "<a>" + strings.Repeat("<b>x</b>", int(size-7)/8) + "</a>"
	if int64(len(got)) != size || string(got) != want {
		t.Fatalf("inflated %d bytes, want %d; equal: %v", len(got), size, string(got) == want)
	}
	if len(raw) > int(size)/200 {
		t.Errorf("%d bytes compress to %d: not a bomb", size, len(raw))
	}
}

// The reported case: a small upload whose one cell inflates to 1.5 GB.
// It declares its size honestly and is refused before a byte of the sheet
// is inflated.
func TestXLSXCellBombRefusedBeforeInflating(t *testing.T) {
	raw, size := giantCellSheet(t, 1500<<20)
	path := craftXLSX(t, map[string]part{"xl/worksheets/sheet1.xml": {raw: raw, declared: size}})
	if fs := fileSizeOf(t, path); fs > 4<<20 || size < 1500<<20 {
		t.Fatalf("bomb is %d bytes inflating to %d; want a small file and 1.5 GB", fs, size)
	}
	_, budget, err := openBudgeted(t, path, defaultXLSXLimits)
	if backstop.ErrorCode(err) != backstop.ETOOLARGE || !Fatal(err) || !strings.Contains(backstop.ErrorMessage(err), "zip bomb") ||
		!strings.Contains(backstop.ErrorMessageZH(err), "压缩炸弹") {
		t.Fatalf("err = %v (%s), want a fatal too-large error naming a zip bomb", err, backstop.ErrorMessageZH(err))
	}
	// Only the package and workbook relationships and the workbook.
	if budget.inflated > 4<<10 {
		t.Errorf("inflated %d bytes before refusing", budget.inflated)
	}
	if want := min(fileSizeOf(t, path)*MaxXLSXExpansion+xlsxSlack, MaxUnzippedXLSX); budget.limit != want {
		t.Errorf("budget %d, want %d", budget.limit, want)
	}
}

// The same bomb lying about its size (it declares 4 MB, within the
// budget) is stopped by the cell limit as it streams: after about one
// cell's worth of inflating, not 1.5 GB.
func TestXLSXCellBombWithLyingSizeStopsAtTheCell(t *testing.T) {
	raw, _ := giantCellSheet(t, 1500<<20)
	path := craftXLSX(t, map[string]part{"xl/worksheets/sheet1.xml": {raw: raw, declared: 4 << 20}})
	x, budget, err := openBudgeted(t, path, defaultXLSXLimits)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	defer x.Close()
	if got := x.Header(); len(got) != 1 || got[0] != "姓名" {
		t.Errorf("header = %q", got)
	}
	_, row, err := x.Next()
	if backstop.ErrorCode(err) != backstop.ETOOLARGE || !Fatal(err) || row != 2 {
		t.Fatalf("Next = row %d, %v; want a fatal too-large error in row 2", row, err)
	}
	if d := backstop.ErrorDetails(err); len(d) != 1 || d[0].Row != 2 || d[0].Column != "B" || !strings.Contains(d[0].Reason, "128 KiB") ||
		!strings.Contains(d[0].ReasonZH, "单元格超过128 KiB") {
		t.Errorf("details = %+v, want row 2, column B, the 128 KiB cell limit in both languages", d)
	}
	if !strings.Contains(backstop.ErrorMessage(err), "Row 2, column B") {
		t.Errorf("message %q does not name the cell", backstop.ErrorMessage(err))
	}
	if budget.inflated > 1<<20 {
		t.Errorf("inflated %d bytes to refuse a 128 KiB cell", budget.inflated)
	}
	// The error stays: reading cannot go on.
	if _, _, again := x.Next(); again != err {
		t.Errorf("second Next = %v, want the same error", again)
	}
}

// A part that inflates past what it declares is refused when it does:
// archive/zip checks the count, and the reader names the part.
func TestXLSXPartLargerThanDeclared(t *testing.T) {
	raw, _ := deflateBomb(t, sheetHead, `<row><c t="inlineStr"><is><t>张建国</t></is></c></row>`, 50<<20, sheetTail)
	path := craftXLSX(t, map[string]part{"xl/worksheets/sheet1.xml": {raw: raw, declared: 256 << 10}})
	x, budget, err := openBudgeted(t, path, defaultXLSXLimits)
	if err == nil {
		err = readAll(x)
		x.Close()
	}
	if backstop.ErrorCode(err) != backstop.EINVALID || !Fatal(err) || !strings.Contains(backstop.ErrorMessage(err), "inflates past its declared size") {
		t.Fatalf("err = %v, want the part refused as larger than declared", err)
	}
	if budget.inflated > 256<<10+64<<10 {
		t.Errorf("inflated %d bytes of a part declaring 256 KiB", budget.inflated)
	}
}

// A shared-strings bomb: a table of tens of millions of strings in a small
// file. Declared honestly, it is refused before inflating; lying, it stops
// at its declared size; within its size, the count and total limits hold.
func TestXLSXSharedStringsBomb(t *testing.T) {
	const unit = `<si><t>张建国</t></si>`
	raw, size := deflateBomb(t, `<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">`, unit, 100_000_000, `</sst>`)
	sheet := part{content: sheetHead + `<row r="1"><c r="A1" t="s"><v>0</v></c></row>` + sheetTail}

	path := craftXLSX(t, map[string]part{"xl/sharedStrings.xml": {raw: raw, declared: size}, "xl/worksheets/sheet1.xml": sheet})
	_, budget, err := openBudgeted(t, path, defaultXLSXLimits)
	if backstop.ErrorCode(err) != backstop.ETOOLARGE || !strings.Contains(backstop.ErrorMessage(err), "zip bomb") || budget.inflated > 4<<10 {
		t.Errorf("honest shared-strings bomb (%d bytes): %v after inflating %d bytes, want refused up front", size, err, budget.inflated)
	}

	path = craftXLSX(t, map[string]part{"xl/sharedStrings.xml": {raw: raw, declared: 8 << 20}, "xl/worksheets/sheet1.xml": sheet})
	_, budget, err = openBudgeted(t, path, defaultXLSXLimits)
	if !Fatal(err) || !strings.Contains(backstop.ErrorMessage(err), "sharedStrings.xml in the xlsx inflates past its declared size") || budget.inflated > 8<<20+64<<10 {
		t.Errorf("lying shared-strings bomb: %v after inflating %d bytes, want stopped at its declared 8 MiB", err, budget.inflated)
	}

	lim := defaultXLSXLimits
	lim.strings = 100_000
	path = craftXLSX(t, map[string]part{"xl/sharedStrings.xml": {raw: raw, declared: size}, "xl/worksheets/sheet1.xml": sheet})
	lim.expansion, lim.absolute = 1<<20, 1<<40 // let the declared size pass
	_, budget, err = openBudgeted(t, path, lim)
	if backstop.ErrorCode(err) != backstop.ETOOLARGE || !strings.Contains(backstop.ErrorMessage(err), "more than 100000 shared strings") ||
		budget.inflated > 100_000*int64(len(unit))+1<<20 {
		t.Errorf("count limit: %v after inflating %d bytes", err, budget.inflated)
	}
	lim = defaultXLSXLimits
	lim.expansion, lim.absolute, lim.stringData = 1<<20, 1<<40, 1<<20
	_, budget, err = openBudgeted(t, path, lim)
	if backstop.ErrorCode(err) != backstop.ETOOLARGE || !strings.Contains(backstop.ErrorMessage(err), "larger than 1.0 MiB in all") ||
		budget.inflated > 4<<20 {
		t.Errorf("total limit: %v after inflating %d bytes", err, budget.inflated)
	}
}

// One shared string of 1.5 GB (declared small) stops at the cell limit.
func TestXLSXGiantSharedString(t *testing.T) {
	raw, _ := deflateBomb(t, `<sst><si><t>`, "十", 500<<20, `</t></si></sst>`)
	path := craftXLSX(t, map[string]part{
		"xl/sharedStrings.xml":     {raw: raw, declared: 4 << 20},
		"xl/worksheets/sheet1.xml": {content: sheetHead + `<row r="1"><c r="A1" t="s"><v>0</v></c></row>` + sheetTail},
	})
	_, budget, err := openBudgeted(t, path, defaultXLSXLimits)
	if backstop.ErrorCode(err) != backstop.ETOOLARGE || !strings.Contains(backstop.ErrorMessage(err), "shared string 1 of the xlsx is larger than 128 KiB") {
		t.Errorf("err = %v", err)
	}
	if budget.inflated > 1<<20 {
		t.Errorf("inflated %d bytes", budget.inflated)
	}
}

func TestXLSXRowLimits(t *testing.T) {
	header := `<row r="1"><c r="A1" t="inlineStr"><is><t>姓名</t></is></c></row>`
	open := func(rows string) error {
		t.Helper()
		path := craftXLSX(t, map[string]part{"xl/worksheets/sheet1.xml": {content: sheetHead + header + rows + sheetTail}})
		x, _, err := openBudgeted(t, path, defaultXLSXLimits)
		if err != nil {
			return err
		}
		defer x.Close()
		return readAll(x)
	}
	// Cells without references count on from the previous one.
	err := open(`<row r="2">` + strings.Repeat(`<c><v>1</v></c>`, MaxRowCells+1) + `</row>`)
	if backstop.ErrorCode(err) != backstop.ETOOLARGE || !strings.Contains(backstop.ErrorMessage(err), "Row 2: the row has more than 16384 cells") {
		t.Errorf("too many cells: %v", err)
	}
	err = open(`<row r="2"><c r="XFE2"><v>1</v></c></row>`)
	if backstop.ErrorCode(err) != backstop.ETOOLARGE {
		t.Errorf("a cell beyond XFD: %v", err)
	}
	// Ten cells under the cell limit, over the row limit together; text
	// that compresses like real text, so that the expansion budget is
	// not what stops it.
	var cells strings.Builder
	seed := uint32(1)
	for range 10 {
		cells.WriteString(`<c t="inlineStr"><is><t>`)
		for range MaxCellBytes - 1024 {
			seed = seed*1664525 + 1013904223
			cells.WriteByte('a' + byte(seed>>24)%26)
		}
		cells.WriteString(`</t></is></c>`)
	}
	err = open(`<row r="2">` + cells.String() + `</row>`)
	if backstop.ErrorCode(err) != backstop.ETOOLARGE || !strings.Contains(backstop.ErrorMessage(err), "Row 2: the row is larger than 1024 KiB") {
		t.Errorf("row bytes: %v", err)
	}
	err = open(`<row r="3"><c><v>1</v></c></row><row r="2"><c><v>1</v></c></row>`)
	if !Fatal(err) || !strings.Contains(backstop.ErrorMessage(err), "out of order") {
		t.Errorf("rows out of order: %v", err)
	}
	err = open(`<row r="2000000"><c><v>1</v></c></row>`)
	if backstop.ErrorCode(err) != backstop.ETOOLARGE {
		t.Errorf("row beyond Excel's last: %v", err)
	}
	err = open(`<row r="2"><c r="A2" t="s"><v>7</v></c></row>`)
	if !Fatal(err) || !strings.Contains(backstop.ErrorMessage(err), "shared string") {
		t.Errorf("shared string out of range: %v", err)
	}
	err = open(`<row r="2"><c r="A2"><v>1</v></c>`)
	if !Fatal(err) || !strings.Contains(backstop.ErrorMessage(err), "ends too early") {
		t.Errorf("truncated sheet: %v", err)
	}
	err = open(`<!DOCTYPE x [<!ENTITY a "aaaa">]><row r="2"><c r="A2"><v>&a;</v></c></row>`)
	if !Fatal(err) || !strings.Contains(backstop.ErrorMessage(err), "DOCTYPE") {
		t.Errorf("DOCTYPE: %v", err)
	}
	err = open(`<row r="2"><c r="A2" ` + strings.Repeat("x", maxXMLTag) + `="1"><v>1</v></c></row>`)
	if !Fatal(err) || !strings.Contains(backstop.ErrorMessage(err), "longer than 64 KiB") {
		t.Errorf("giant tag: %v", err)
	}
}

// A zip of a million entries is refused before archive/zip builds its
// list of them (some 300 bytes of memory each): it reads no more of the
// directory than the limit.
func TestXLSXDirectoryBomb(t *testing.T) {
	var buf bytes.Buffer
	z := zip.NewWriter(&buf)
	for i := range 200_000 {
		if _, err := z.CreateHeader(&zip.FileHeader{Name: "x/" + strconv.Itoa(i), Method: zip.Store}); err != nil {
			t.Fatal(err)
		}
	}
	z.Close()
	path := filepath.Join(t.TempDir(), "many.xlsx")
	os.WriteFile(path, buf.Bytes(), 0o600)
	f, _ := os.Open(path)
	defer f.Close()
	dir := &directoryBudget{r: f, left: maxXLSXDirectory + 128<<10}
	if _, err := zip.NewReader(dir, int64(buf.Len())); !errors.Is(err, errDirectoryTooLarge) || dir.left >= 0 {
		t.Errorf("zip.NewReader = %v, budget left %d", err, dir.left)
	}
	_, err := Open(path)
	if backstop.ErrorCode(err) != backstop.ETOOLARGE || !strings.Contains(backstop.ErrorMessage(err), "zip directory is larger than 4.0 MiB") {
		t.Errorf("Open = %v", err)
	}
}

// A row is checked as it grows: a row of 16,000 cells of 100 KB each (1.6
// GB, declared as 8 MB) stops after about the row limit.
func TestXLSXRowBombStopsAtTheRowLimit(t *testing.T) {
	cell := `<c t="inlineStr"><is><t>` + strings.Repeat("a", 100_000) + `</t></is></c>`
	raw, _ := deflateBomb(t, sheetHead+`<row r="1"><c t="inlineStr"><is><t>姓名</t></is></c></row><row r="2">`, cell, 16_000, `</row>`+sheetTail)
	path := craftXLSX(t, map[string]part{"xl/worksheets/sheet1.xml": {raw: raw, declared: 8 << 20}})
	x, budget, err := openBudgeted(t, path, defaultXLSXLimits)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	_, _, err = x.Next()
	if backstop.ErrorCode(err) != backstop.ETOOLARGE || !strings.Contains(backstop.ErrorMessage(err), "Row 2: the row is larger than 1024 KiB") {
		t.Errorf("err = %v", err)
	}
	if budget.inflated > 2<<20 {
		t.Errorf("inflated %d bytes", budget.inflated)
	}
}
