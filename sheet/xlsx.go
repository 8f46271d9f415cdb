package sheet

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/zhangye-backstop/backstop"
)

// An xlsx is read here from its parts with archive/zip and a streaming
// XML scanner, not through excelize: excelize inflates parts whole (to
// memory or temporary files) and decodes a row at a time without bounds,
// so a small crafted file expanded to gigabytes before any check could
// run. Only what a roster needs is read: the first sheet's cell values as
// stored (numbers without display format, date cells as serial numbers),
// and the shared strings.

// xlsxLimits are the bounds an xlsx is read under; tests lower them.
type xlsxLimits struct {
	expansion, absolute int64 // inflated parts: a multiple of the file size, and at most
	cell, row, cells    int   // one cell's bytes, one row's bytes, cells in a row
	strings, stringData int   // shared strings: count and bytes
}

var defaultXLSXLimits = xlsxLimits{
	expansion: MaxXLSXExpansion, absolute: MaxUnzippedXLSX,
	cell: MaxCellBytes, row: MaxRowBytes, cells: MaxRowCells,
	strings: MaxSharedStrings, stringData: MaxSharedStringBytes,
}

var errDirectoryTooLarge = errors.New("zip directory too large")

// directoryBudget bounds what zip.NewReader reads, the end record and the
// central directory, until done; reads of the parts pass through.
type directoryBudget struct {
	r    io.ReaderAt
	left int64
	done bool
}

func (d *directoryBudget) ReadAt(p []byte, off int64) (int, error) {
	if !d.done {
		if d.left -= int64(len(p)); d.left < 0 {
			return 0, errDirectoryTooLarge
		}
	}
	return d.r.ReadAt(p, off)
}

// zipBudget counts what the parts read inflate to, against a limit.
type zipBudget struct {
	limit    int64
	inflated int64
}

// partReader reads one part, counting inflated bytes against the budget.
// archive/zip itself refuses a part that inflates past its declared size;
// the count is a second guard, and it stops a sum of parts as well.
type partReader struct {
	rc       io.ReadCloser
	name     string
	declared int64
	n        int64
	budget   *zipBudget
	limits   *xlsxLimits
}

func (p *partReader) Read(b []byte) (int, error) {
	n, err := p.rc.Read(b)
	p.n += int64(n)
	p.budget.inflated += int64(n)
	if p.budget.inflated > p.budget.limit {
		return 0, expansionError(p.budget.limit, p.limits)
	}
	var corrupt flate.CorruptInputError
	switch {
	case err == nil || err == io.EOF:
	case errors.Is(err, zip.ErrFormat):
		// Returned when a part inflates past its declared size.
		return 0, fatal(backstop.EINVALID, 0, -1, "xlsx文件中的%s解压后超过其声明的大小（%d字节）：文件已损坏或被篡改",
			"%s in the xlsx inflates past its declared size (%d bytes): the file is damaged or crafted", p.name, p.declared)
	case errors.Is(err, zip.ErrChecksum), errors.As(err, &corrupt), errors.Is(err, io.ErrUnexpectedEOF):
		return 0, fatal(backstop.EINVALID, 0, -1, "xlsx文件中的%s已损坏", "%s in the xlsx is damaged", p.name)
	}
	return n, err
}

func (p *partReader) Close() error { return p.rc.Close() }

func expansionError(limit int64, lim *xlsxLimits) error {
	return fatal(backstop.ETOOLARGE, 0, -1, "xlsx文件解压后超过%s（上限为文件大小的%d倍，最多%s）：可能是“压缩炸弹”，或请拆分文件、改存为CSV",
		"the xlsx inflates to more than %s (the limit is %d times the file's size, at most %s): it may be a zip bomb; otherwise split the file or save it as CSV",
		byteSize(limit), lim.expansion, byteSize(lim.absolute))
}

// byteSize writes a size for people.
func byteSize(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// sharedStrings is an xlsx's shared string table: one string holding all
// of them and where each ends, so that a cell is a substring (no
// allocation per cell) and the table costs 4 bytes a string beyond its
// text.
type sharedStrings struct {
	text string
	ends []uint32
}

func (t *sharedStrings) len() int { return len(t.ends) }

func (t *sharedStrings) get(i int) string {
	start := uint32(0)
	if i > 0 {
		start = t.ends[i-1]
	}
	return t.text[start:t.ends[i]]
}

// cellSpan is where a cell's value is while its row is read: in the row's
// text (from, to) or in the shared strings (shared >= 0).
type cellSpan struct {
	col      int
	from, to int
	shared   int
}

type xlsxReader struct {
	file   *os.File
	size   int64
	lim    xlsxLimits
	budget *zipBudget
	part   *partReader
	sc     *xmlScanner
	sst    sharedStrings
	header []string

	inSheetData, done bool
	err               error // sticky: a fatal error is returned again
	row               int   // number of the last row read
	pending           bool  // the first row read was not row 1 and is still to return

	cells []string
	spans []cellSpan
	text  []byte // the row's values
	val   []byte // one cell's value
}

func openXLSX(path string, lim xlsxLimits, budget *zipBudget) (_ *xlsxReader, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, backstop.Localized(backstop.EINVALID, "无法打开%s：%v", "cannot open %s: %v", filepath.Base(path), errors.Unwrap(err))
	}
	var x *xlsxReader
	defer func() {
		if err != nil {
			if x != nil && x.part != nil {
				x.part.Close()
			}
			f.Close()
		}
	}()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	// archive/zip reads the whole central directory into memory, some 300
	// bytes an entry, however many a file holds; a directory of millions
	// of entries is a bomb of its own.
	dir := &directoryBudget{r: f, left: maxXLSXDirectory + 128<<10}
	zr, err := zip.NewReader(dir, st.Size())
	dir.done = true
	switch {
	case errors.Is(err, errDirectoryTooLarge):
		return nil, backstop.Localized(backstop.ETOOLARGE, "xlsx文件的目录超过%s（条目过多）：可能是“压缩炸弹”", "the xlsx's zip directory is larger than %s (too many entries): it may be a zip bomb", byteSize(maxXLSXDirectory))
	case err != nil:
		return nil, backstop.Localized(backstop.EINVALID, "%s不是可读取的xlsx文件（zip结构损坏）", "%s is not a readable xlsx file (its zip structure is damaged)", filepath.Base(path))
	}
	budget.limit = min(st.Size()*lim.expansion+xlsxSlack, lim.absolute)
	x = &xlsxReader{file: f, size: st.Size(), lim: lim, budget: budget}
	parts := map[string]*zip.File{}
	for _, zf := range zr.File {
		name := strings.ToLower(strings.ReplaceAll(zf.Name, `\`, "/"))
		if _, dup := parts[name]; !dup {
			parts[name] = zf
		}
	}
	sheetPart, sstPart, err := x.locateSheet(parts)
	if err != nil {
		return nil, err
	}
	// Declared sizes first: a bomb that says what it is is refused
	// before a byte is inflated.
	need := uint64(budget.inflated)
	for _, zf := range []*zip.File{sheetPart, sstPart} {
		if zf == nil {
			continue
		}
		if zf.UncompressedSize64 > uint64(budget.limit) {
			return nil, expansionError(budget.limit, &lim)
		}
		need += zf.UncompressedSize64
	}
	if need > uint64(budget.limit) {
		return nil, expansionError(budget.limit, &lim)
	}
	if sstPart != nil {
		pr, err := x.openPart(sstPart)
		if err != nil {
			return nil, err
		}
		x.sst, err = readSharedStrings(pr, &lim)
		pr.Close()
		if err != nil {
			return nil, err
		}
	}
	if x.part, err = x.openPart(sheetPart); err != nil {
		return nil, err
	}
	x.sc = newXMLScanner(x.part)
	cells, row, err := x.readRow()
	switch {
	case err == io.EOF:
		return nil, backstop.Localized(backstop.EINVALID, "文件是空的：第一个工作表没有任何行", "the file is empty: the first sheet has no rows")
	case err != nil:
		return nil, err
	case row == 1:
		x.header = append([]string(nil), cells...)
	default:
		// Row 1 is empty (as a spreadsheet shows it): the header is
		// empty, and this row is the first of the data.
		x.header, x.pending = []string{}, true
	}
	return x, nil
}

// openPart opens a part for reading under the budget.
func (x *xlsxReader) openPart(zf *zip.File) (*partReader, error) {
	if zf.Method != zip.Store && zf.Method != zip.Deflate {
		return nil, backstop.Localized(backstop.EUNSUPPORTED, "xlsx文件中的%s使用了不支持的压缩方式（%d）", "%s in the xlsx uses an unsupported compression method (%d)", zf.Name, zf.Method)
	}
	rc, err := zf.Open()
	if err != nil {
		return nil, backstop.Localized(backstop.EINVALID, "xlsx文件中的%s无法读取", "%s in the xlsx cannot be read", zf.Name)
	}
	return &partReader{rc: rc, name: zf.Name, declared: int64(zf.UncompressedSize64), budget: x.budget, limits: &x.lim}, nil
}

// relationship is one entry of a .rels part.
type relationship struct {
	ID     string `xml:"Id,attr"`
	Type   string `xml:"Type,attr"`
	Target string `xml:"Target,attr"`
	Mode   string `xml:"TargetMode,attr"`
}

// decodeSmall decodes one of the small parts that lead to the sheet,
// bounded by maxXLSXMetadata and by the budget.
func (x *xlsxReader) decodeSmall(zf *zip.File, fn func(*xml.Decoder) error) error {
	if zf.UncompressedSize64 > maxXLSXMetadata {
		return backstop.Localized(backstop.ETOOLARGE, "xlsx文件中的%s超过%s", "%s in the xlsx is larger than %s", zf.Name, byteSize(maxXLSXMetadata))
	}
	if x.budget.inflated+int64(zf.UncompressedSize64) > x.budget.limit {
		return expansionError(x.budget.limit, &x.lim)
	}
	pr, err := x.openPart(zf)
	if err != nil {
		return err
	}
	defer pr.Close()
	d := xml.NewDecoder(io.LimitReader(pr, maxXLSXMetadata))
	if err := fn(d); err != nil {
		if Fatal(err) {
			return err
		}
		return backstop.Localized(backstop.EINVALID, "xlsx文件中的%[1]s格式错误", "%s in the xlsx is malformed: %v", zf.Name, err)
	}
	return nil
}

func readRelationships(d *xml.Decoder) ([]relationship, error) {
	var rels []relationship
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return rels, nil
		} else if err != nil {
			return nil, err
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "Relationship" {
			var r relationship
			if err := d.DecodeElement(&r, &se); err != nil {
				return nil, err
			}
			if r.Mode != "External" {
				rels = append(rels, r)
			}
		}
	}
}

// resolvePart turns a relationship target into a part name, relative to
// the directory of the part that holds the relationship.
func resolvePart(dir, target string) string {
	if strings.HasPrefix(target, "/") {
		return strings.ToLower(path.Clean(target[1:]))
	}
	return strings.ToLower(path.Clean(path.Join(dir, target)))
}

// locateSheet finds the first sheet of the workbook and the shared
// strings, as the package's relationships name them.
func (x *xlsxReader) locateSheet(parts map[string]*zip.File) (sheet, sst *zip.File, err error) {
	workbook := "xl/workbook.xml"
	if zf := parts["_rels/.rels"]; zf != nil {
		var rels []relationship
		if err := x.decodeSmall(zf, func(d *xml.Decoder) (err error) { rels, err = readRelationships(d); return err }); err != nil {
			return nil, nil, err
		}
		for _, r := range rels {
			if strings.HasSuffix(r.Type, "/officeDocument") {
				workbook = resolvePart("", r.Target)
				break
			}
		}
	}
	wb := parts[workbook]
	if wb == nil {
		return nil, nil, backstop.Localized(backstop.EINVALID, "xlsx文件中没有工作簿（%s）", "the xlsx has no workbook (%s)", workbook)
	}
	var sheetID, sheetName string
	found := false
	err = x.decodeSmall(wb, func(d *xml.Decoder) error {
		for !found {
			tok, err := d.Token()
			if err == io.EOF {
				return nil
			} else if err != nil {
				return err
			}
			se, ok := tok.(xml.StartElement)
			if !ok || se.Name.Local != "sheet" {
				continue
			}
			found = true
			for _, a := range se.Attr {
				switch {
				case a.Name.Local == "id" && a.Name.Space != "":
					sheetID = a.Value
				case a.Name.Local == "name":
					sheetName = a.Value
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	if !found {
		return nil, nil, backstop.Localized(backstop.EINVALID, "xlsx文件没有工作表", "the xlsx file has no sheet")
	}
	dir := path.Dir(workbook)
	relsName := path.Join(dir, "_rels", path.Base(workbook)+".rels")
	var rels []relationship
	if zf := parts[relsName]; zf != nil {
		if err := x.decodeSmall(zf, func(d *xml.Decoder) (err error) { rels, err = readRelationships(d); return err }); err != nil {
			return nil, nil, err
		}
	}
	for _, r := range rels {
		switch {
		case r.ID == sheetID && sheetID != "":
			if !strings.HasSuffix(r.Type, "/worksheet") {
				return nil, nil, backstop.Localized(backstop.EINVALID, "第一个工作表“%s”不是数据表（可能是图表）：请把名单放在第一个工作表",
					"the first sheet %q is not a worksheet (a chart?): put the roster in the first sheet", sheetName)
			}
			sheet = parts[resolvePart(dir, r.Target)]
		case strings.HasSuffix(r.Type, "/sharedStrings"):
			sst = parts[resolvePart(dir, r.Target)]
		}
	}
	if sst == nil {
		sst = parts[path.Join(dir, "sharedstrings.xml")]
	}
	if sheet == nil {
		return nil, nil, backstop.Localized(backstop.EINVALID, "找不到第一个工作表“%s”的内容", "the content of the first sheet %q is missing", sheetName)
	}
	return sheet, sst, nil
}

// readSharedStrings reads the shared string table: the text of each si
// (its t, or the t of its rich-text runs; phonetic runs left out).
func readSharedStrings(r io.Reader, lim *xlsxLimits) (sharedStrings, error) {
	sc := newXMLScanner(r)
	var all strings.Builder
	var ends []uint32
	var cur []byte
	inSI, inPhonetic := false, false
	finish := func() error {
		inSI = false
		if len(ends) >= lim.strings {
			return fatal(backstop.ETOOLARGE, 0, -1, "xlsx文件的共享字符串超过%d个", "the xlsx has more than %d shared strings", lim.strings)
		}
		cur = unescapeOOXML(cur)
		if all.Len()+len(cur) > lim.stringData {
			return fatal(backstop.ETOOLARGE, 0, -1, "xlsx文件的共享字符串合计超过%s", "the shared strings of the xlsx are larger than %s in all", byteSize(int64(lim.stringData)))
		}
		if !utf8.Valid(cur) {
			return fatal(backstop.EINVALID, 0, -1, "xlsx文件的第%d个共享字符串不是UTF-8文本", "shared string %d of the xlsx is not UTF-8 text", len(ends)+1)
		}
		all.Write(cur)
		ends = append(ends, uint32(all.Len()))
		return nil
	}
	for {
		err := sc.next()
		if err == io.EOF {
			break
		} else if err != nil {
			return sharedStrings{}, partError("sharedStrings", 0, err)
		}
		switch {
		case sc.isStart("si"):
			inSI, inPhonetic, cur = true, false, cur[:0]
			if sc.selfClosing {
				err = finish()
			}
		case sc.isEnd("si") && inSI:
			err = finish()
		case sc.isStart("rPh") && !sc.selfClosing:
			inPhonetic = true
		case sc.isEnd("rPh"):
			inPhonetic = false
		case sc.isStart("t") && inSI && !inPhonetic && !sc.selfClosing:
			if cur, err = sc.text(cur, lim.cell); err == errTextTooLong {
				err = fatal(backstop.ETOOLARGE, 0, -1, "xlsx文件的第%d个共享字符串超过%d KiB（单元格内容上限）",
					"shared string %d of the xlsx is larger than %d KiB (the limit of one cell)", len(ends)+1, lim.cell>>10)
			} else if err != nil {
				err = partError("sharedStrings", 0, err)
			}
		}
		if err != nil {
			return sharedStrings{}, err
		}
	}
	return sharedStrings{text: all.String(), ends: ends}, nil
}

// partError turns a scanner error into the error to show, located at a
// row when one is being read.
func partError(part string, row int, err error) error {
	var xe *errXML
	switch {
	case Fatal(err):
		return err
	case errors.As(err, &xe):
		return fatal(backstop.EINVALID, row, -1, "xlsx文件的%s不是格式正确的XML（%s）", "%s of the xlsx is not well-formed XML (%s)", part, xe.msg)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return fatal(backstop.EINVALID, row, -1, "xlsx文件的%s不完整（文件已损坏）", "%s of the xlsx ends too early (the file is damaged)", part)
	}
	return fatal(backstop.EINVALID, row, -1, "xlsx文件的%s无法读取", "%s of the xlsx cannot be read", part)
}

// unescapeOOXML decodes the _xHHHH_ escapes with which OOXML writes
// characters XML cannot hold (_x000D_ for a carriage return; _x005F_ for
// an underscore that would otherwise start one). It works in place: an
// escape is longer than what it stands for.
func unescapeOOXML(b []byte) []byte {
	if !bytes.Contains(b, []byte("_x")) {
		return b
	}
	out := b[:0]
	for i := 0; i < len(b); {
		if b[i] == '_' && i+6 < len(b) && b[i+1] == 'x' && b[i+6] == '_' {
			if r, ok := hex4(b[i+2 : i+6]); ok {
				out = utf8.AppendRune(out, r)
				i += 7
				continue
			}
		}
		out = append(out, b[i])
		i++
	}
	return out
}

func hex4(h []byte) (rune, bool) {
	var r rune
	for _, c := range h {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}

func (x *xlsxReader) Header() []string { return x.header }
func (x *xlsxReader) Format() string   { return "xlsx" }
func (x *xlsxReader) Encoding() string { return "" }

// BytesRead estimates progress from how much of the sheet has been
// inflated, scaled to the file's size.
func (x *xlsxReader) BytesRead() int64 {
	if x.part == nil || x.part.declared <= 0 {
		return 0
	}
	return min(x.size, int64(float64(x.size)*float64(x.part.n)/float64(x.part.declared)))
}

func (x *xlsxReader) Close() error {
	if x.part != nil {
		x.part.Close()
	}
	return x.file.Close()
}

func (x *xlsxReader) Next() ([]string, int, error) {
	if x.pending {
		x.pending = false
		return x.cells, x.row, nil
	}
	if x.err != nil {
		return nil, x.row, x.err
	}
	cells, row, err := x.readRow()
	if err != nil && err != io.EOF {
		x.err = err
	}
	return cells, row, err
}

// Cell types (the t attribute) that change how a value is read.
const (
	cellPlain   = iota // n, str, b, e, or none: the value as stored
	cellShared         // s: an index into the shared strings
	cellInline         // inlineStr: the text of is
	cellISODate        // d: an ISO 8601 date and time
)

// readRow reads the next row element of the sheet: its cells, by column,
// and its number.
func (x *xlsxReader) readRow() ([]string, int, error) {
	if x.done {
		return nil, 0, io.EOF
	}
	sc := x.sc
	for {
		if err := sc.next(); err == io.EOF {
			x.done = true
			if x.inSheetData {
				return nil, x.row, partError("sheet", x.row+1, io.ErrUnexpectedEOF)
			}
			return nil, 0, io.EOF
		} else if err != nil {
			return nil, x.row, partError("sheet", x.row+1, err)
		}
		switch {
		case !x.inSheetData:
			if sc.isStart("sheetData") {
				if sc.selfClosing {
					x.done = true
					return nil, 0, io.EOF
				}
				x.inSheetData = true
			}
		case sc.isEnd("sheetData"):
			x.done = true
			return nil, 0, io.EOF
		case sc.isStart("row"):
			return x.rowBody()
		}
	}
}

// decimal reads a non-negative decimal attribute value.
func decimal(v []byte) (int, bool) {
	if len(v) == 0 || len(v) > 9 {
		return 0, false
	}
	n := 0
	for _, c := range v {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// columnOf reads the column of a cell reference such as AB12 (0-based):
// one to three letters, then the row's digits.
func columnOf(ref []byte) (int, bool) {
	col, i := 0, 0
	for ; i < len(ref); i++ {
		c := ref[i] | 0x20 // lower case
		if c < 'a' || c > 'z' {
			break
		}
		col = col*26 + int(c-'a') + 1
	}
	if i == 0 || i > 3 {
		return 0, false
	}
	if _, ok := decimal(ref[i:]); !ok && i < len(ref) {
		return 0, false
	}
	return col - 1, true
}

func (x *xlsxReader) rowBody() ([]string, int, error) {
	sc := x.sc
	num := x.row + 1
	if v, ok := sc.attr("r"); ok {
		n, ok := decimal(v)
		if !ok || n == 0 {
			return nil, x.row, fatal(backstop.EINVALID, x.row+1, -1, "工作表中的行号“%s”无效", "the sheet has an invalid row number %q", string(v))
		}
		num = n
	}
	switch {
	case num <= x.row:
		return nil, x.row, fatal(backstop.EINVALID, num, -1, "工作表中的行顺序错乱（第%d行出现在第%d行之后）：文件已损坏", "the sheet's rows are out of order (row %d after row %d): the file is damaged", num, x.row)
	case num > MaxRows:
		return nil, x.row, fatal(backstop.ETOOLARGE, num, -1, "超过Excel的行数上限%d", "beyond Excel's last row %d", MaxRows)
	}
	x.row = num
	x.text, x.spans = x.text[:0], x.spans[:0]
	if sc.selfClosing {
		return x.cells[:0], num, nil
	}
	col, sharedBytes := -1, 0
	for {
		err := sc.next()
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		if err != nil {
			return nil, num, partError("sheet", num, err)
		}
		if sc.isEnd("row") {
			break
		}
		if !sc.isStart("c") {
			continue
		}
		c := col + 1
		if ref, ok := sc.attr("r"); ok {
			if c, ok = columnOf(ref); !ok {
				return nil, num, fatal(backstop.EINVALID, num, -1, "工作表中的单元格位置“%s”无效", "the sheet has an invalid cell reference %q", string(ref))
			}
		}
		switch {
		case c >= x.lim.cells:
			return nil, num, tooManyCells(num)
		case c <= col:
			return nil, num, fatal(backstop.EINVALID, num, c, "工作表中的单元格顺序错乱：文件已损坏", "the sheet's cells are out of order: the file is damaged")
		}
		col = c
		kind := cellPlain
		if t, ok := sc.attr("t"); ok {
			switch string(t) {
			case "s":
				kind = cellShared
			case "inlineStr":
				kind = cellInline
			case "d":
				kind = cellISODate
			}
		}
		if sc.selfClosing {
			continue
		}
		if err := x.cellBody(num, col, kind, &sharedBytes); err != nil {
			return nil, num, err
		}
	}
	if !utf8.Valid(x.text) {
		return nil, num, fatal(backstop.EINVALID, num, -1, "该行的内容不是UTF-8文本", "the row's text is not UTF-8")
	}
	return x.assemble(), num, nil
}

// cellBody reads a cell's children up to its end tag and records its
// value.
func (x *xlsxReader) cellBody(row, col, kind int, sharedBytes *int) error {
	sc := x.sc
	x.val = x.val[:0]
	inInline, inPhonetic, haveInline := false, false, false
	var err error
	for {
		if err = sc.next(); err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		if err != nil {
			return partError("sheet", row, err)
		}
		switch {
		case sc.isEnd("c"):
			return x.keep(row, col, kind, haveInline, sharedBytes)
		case sc.isStart("v") && !sc.selfClosing && !haveInline:
			x.val, err = sc.text(x.val[:0], x.lim.cell)
		case sc.isStart("is") && !sc.selfClosing:
			inInline, haveInline, x.val = true, true, x.val[:0]
		case sc.isEnd("is"):
			inInline = false
		case sc.isStart("rPh") && !sc.selfClosing:
			inPhonetic = true
		case sc.isEnd("rPh"):
			inPhonetic = false
		case sc.isStart("t") && inInline && !inPhonetic && !sc.selfClosing:
			x.val, err = sc.text(x.val, x.lim.cell)
		}
		if err == errTextTooLong {
			return cellTooLarge(row, col)
		} else if err != nil {
			return partError("sheet", row, err)
		}
	}
}

// keep records the value read into x.val for the cell.
func (x *xlsxReader) keep(row, col, kind int, inline bool, sharedBytes *int) error {
	v := x.val
	switch {
	case kind == cellShared && !inline:
		i, ok := decimal(bytes.TrimSpace(v))
		if !ok || i >= x.sst.len() {
			return fatal(backstop.EINVALID, row, col, "单元格引用了不存在的共享字符串“%s”（共%d个）：文件已损坏",
				"the cell refers to shared string %q, the table has %d: the file is damaged", string(v), x.sst.len())
		}
		s := x.sst.get(i)
		if s == "" {
			return nil
		}
		*sharedBytes += len(s)
		if len(x.text)+*sharedBytes > x.lim.row {
			return rowTooLarge(row)
		}
		x.spans = append(x.spans, cellSpan{col: col, shared: i})
		return nil
	case inline || kind == cellInline:
		v = unescapeOOXML(v)
	case kind == cellISODate:
		// A date cell stored as ISO 8601 text: the roster reads the date.
		if len(v) >= 10 && v[4] == '-' && v[7] == '-' && (len(v) == 10 || v[10] == 'T' || v[10] == ' ') {
			v = v[:10]
		}
	}
	if len(v) == 0 {
		return nil
	}
	// Checked as the row grows: a row is held in memory.
	if len(x.text)+len(v)+*sharedBytes > x.lim.row {
		return rowTooLarge(row)
	}
	from := len(x.text)
	x.text = append(x.text, v...)
	x.spans = append(x.spans, cellSpan{col: col, from: from, to: len(x.text), shared: -1})
	return nil
}

// assemble turns the row's spans into cells: one string for the row's
// own text, substrings of it and of the shared strings for the cells.
func (x *xlsxReader) assemble() []string {
	n := 0
	if len(x.spans) > 0 {
		n = x.spans[len(x.spans)-1].col + 1
	}
	cells := x.cells[:0]
	for range n {
		cells = append(cells, "")
	}
	text := string(x.text)
	for _, sp := range x.spans {
		if sp.shared >= 0 {
			cells[sp.col] = x.sst.get(sp.shared)
		} else {
			cells[sp.col] = text[sp.from:sp.to]
		}
	}
	x.cells = cells
	return trimCells(cells)
}
