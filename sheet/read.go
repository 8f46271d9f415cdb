// Package sheet reads and writes the spreadsheets offices exchange: CSV
// (UTF-8, or GBK/GB18030 as Chinese Excel saves it) and xlsx (first sheet),
// streaming, with rows numbered as a spreadsheet shows them.
package sheet

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/transform"

	"github.com/zhangye-backstop/backstop"
)

// Reader yields the rows of a sheet. Row numbers count as a spreadsheet
// shows them: the header is row 1.
type Reader interface {
	// Header returns the first row.
	Header() []string
	// Next returns the next row and its number, or io.EOF.
	Next() (cells []string, row int, err error)
	// Format is "csv" or "xlsx"; Encoding the text encoding found.
	Format() string
	Encoding() string
	// BytesRead tells how far into the file reading has come, for progress
	// (approximate for xlsx).
	BytesRead() int64
	Close() error
}

// Open opens a CSV or xlsx file by its content (not only its name): a zip
// is an xlsx; an OLE2 file is an old .xls, which is refused; anything else
// is read as CSV. A name ending .xlsx whose content is not a zip is refused.
func Open(path string) (Reader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, backstop.Errorf(backstop.EINVALID, "cannot open %s: %v", filepath.Base(path), errors.Unwrap(err))
	}
	head := make([]byte, 8)
	n, _ := io.ReadFull(f, head)
	head = head[:n]
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		f.Close()
		return nil, err
	}
	ext := strings.ToLower(filepath.Ext(path))
	switch {
	case n == 0:
		f.Close()
		return nil, backstop.Errorf(backstop.EINVALID, "the file is empty")
	case bytes.HasPrefix(head, []byte("PK\x03\x04")):
		f.Close()
		return openXLSX(path)
	case bytes.HasPrefix(head, []byte{0xD0, 0xCF, 0x11, 0xE0}):
		f.Close()
		return nil, backstop.Errorf(backstop.EUNSUPPORTED, "this is an Excel 97-2003 (.xls) file: save it as .xlsx or CSV and import that")
	case ext == ".xlsx" || ext == ".xlsm":
		f.Close()
		return nil, backstop.Errorf(backstop.EINVALID, "%s is not a valid xlsx file (an xlsx is a zip archive; this one is not)", filepath.Base(path))
	}
	r, err := newCSV(f)
	if err != nil {
		f.Close()
		return nil, err
	}
	return r, nil
}

// countingReader counts bytes for progress.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

type csvReader struct {
	f        *os.File
	counter  *countingReader
	r        *csv.Reader
	header   []string
	row      int
	encoding string
}

// sniffLen is how much of a CSV is checked to tell UTF-8 from GB18030.
const sniffLen = 256 << 10

func newCSV(f *os.File) (*csvReader, error) {
	counter := &countingReader{r: f}
	br := bufio.NewReaderSize(counter, sniffLen)
	sample, _ := br.Peek(sniffLen)
	encoding := "utf-8"
	var src io.Reader = br
	switch {
	case bytes.HasPrefix(sample, []byte{0xEF, 0xBB, 0xBF}):
		br.Discard(3)
	case bytes.HasPrefix(sample, []byte{0xFF, 0xFE}) || bytes.HasPrefix(sample, []byte{0xFE, 0xFF}):
		return nil, backstop.Errorf(backstop.EUNSUPPORTED, "the CSV is in UTF-16: save it as \"CSV UTF-8\" or as xlsx")
	case !validUTF8Prefix(sample):
		// Excel on a Chinese Windows saves CSV in GBK; GB18030 is its
		// superset and decodes it.
		encoding = "gb18030"
		src = transform.NewReader(br, simplifiedchinese.GB18030.NewDecoder())
	}
	r := csv.NewReader(src)
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	// The record slice is reused; its strings are not, so cells kept by
	// the caller stay valid.
	r.ReuseRecord = true
	header, err := r.Read()
	if err == io.EOF {
		return nil, backstop.Errorf(backstop.EINVALID, "the file is empty")
	} else if err != nil {
		return nil, backstop.Errorf(backstop.EINVALID, "row 1: cannot read the CSV header: %v", err)
	}
	if encoding == "gb18030" && !utf8.ValidString(strings.Join(header, "")) {
		return nil, backstop.Errorf(backstop.EINVALID, "the CSV is neither UTF-8 nor GBK/GB18030 text")
	}
	return &csvReader{f: f, counter: counter, r: r, header: trimCells(header), row: 1, encoding: encoding}, nil
}

// validUTF8Prefix is utf8.Valid, forgiving a character cut at the end of
// the sample.
func validUTF8Prefix(b []byte) bool {
	for i := 0; i < 3 && len(b) > 0 && !utf8.Valid(b); i++ {
		b = b[:len(b)-1]
	}
	return utf8.Valid(b)
}

// edgeSpace tells whether a cell starts or ends with white space (an
// ideographic space U+3000 included). Most cells of a Chinese roster begin
// and end with a Han character; deciding that from the two edge runes is
// much cheaper than strings.TrimSpace's rune-by-rune walk.
func edgeSpace(c string) bool {
	first, _ := utf8.DecodeRuneInString(c)
	last, _ := utf8.DecodeLastRuneInString(c)
	return unicode.IsSpace(first) || unicode.IsSpace(last)
}

func trimCells(cells []string) []string {
	for i, c := range cells {
		if c != "" && (c[0] <= ' ' || c[len(c)-1] <= ' ' || c[0] >= 0x80 || c[len(c)-1] >= 0x80) && edgeSpace(c) {
			cells[i] = strings.TrimSpace(c)
		}
	}
	return cells
}

func (c *csvReader) Header() []string { return c.header }
func (c *csvReader) Format() string   { return "csv" }
func (c *csvReader) Encoding() string { return c.encoding }
func (c *csvReader) BytesRead() int64 { return c.counter.n }
func (c *csvReader) Close() error     { return c.f.Close() }

func (c *csvReader) Next() ([]string, int, error) {
	rec, err := c.r.Read()
	if err == io.EOF {
		return nil, 0, io.EOF
	}
	line, _ := c.r.FieldPos(0)
	c.row++
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return nil, c.row, backstop.Errorf(backstop.EINVALID, "row %d (line %d): %v", c.row, pe.Line, pe.Err)
		}
		return nil, c.row, err
	}
	_ = line
	return trimCells(rec), c.row, nil
}

// MaxUnzippedXLSX bounds what an xlsx may expand to, against zip bombs.
const MaxUnzippedXLSX = 4 << 30

type xlsxReader struct {
	f      *excelize.File
	rows   *excelize.Rows
	header []string
	row    int
	size   int64
}

func openXLSX(path string) (*xlsxReader, error) {
	f, err := excelize.OpenFile(path, excelize.Options{UnzipSizeLimit: MaxUnzippedXLSX})
	if err != nil {
		return nil, backstop.Errorf(backstop.EINVALID, "%s is not a readable xlsx file: %v", filepath.Base(path), err)
	}
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		f.Close()
		return nil, backstop.Errorf(backstop.EINVALID, "the xlsx file has no sheet")
	}
	rows, err := f.Rows(sheets[0])
	if err != nil {
		f.Close()
		return nil, backstop.Errorf(backstop.EINVALID, "cannot read the first sheet %q: %v", sheets[0], err)
	}
	x := &xlsxReader{f: f, rows: rows}
	if st, err := os.Stat(path); err == nil {
		x.size = st.Size()
	}
	if !rows.Next() {
		f.Close()
		return nil, backstop.Errorf(backstop.EINVALID, "the file is empty: the first sheet has no rows")
	}
	header, err := rows.Columns(excelize.Options{RawCellValue: true})
	if err != nil {
		f.Close()
		return nil, backstop.Errorf(backstop.EINVALID, "row 1: %v", err)
	}
	x.header, x.row = trimCells(header), 1
	return x, nil
}

func (x *xlsxReader) Header() []string { return x.header }
func (x *xlsxReader) Format() string   { return "xlsx" }
func (x *xlsxReader) Encoding() string { return "" }

// BytesRead estimates progress by rows: an xlsx is compressed and its rows
// are not byte-addressable; assume ~100 bytes of file per row.
func (x *xlsxReader) BytesRead() int64 { return min(int64(x.row)*100, x.size) }

func (x *xlsxReader) Close() error {
	x.rows.Close()
	return x.f.Close()
}

func (x *xlsxReader) Next() ([]string, int, error) {
	for x.rows.Next() {
		x.row++
		// Raw values: numbers without the display format (no thousands
		// separators), dates as serial numbers the roster converts.
		cells, err := x.rows.Columns(excelize.Options{RawCellValue: true})
		if err != nil {
			return nil, x.row, backstop.Errorf(backstop.EINVALID, "row %d: %v", x.row, err)
		}
		return trimCells(cells), x.row, nil
	}
	if err := x.rows.Error(); err != nil {
		return nil, x.row, backstop.Errorf(backstop.EINVALID, "reading the sheet: %v", err)
	}
	return nil, 0, io.EOF
}

// ColumnLetter returns the spreadsheet letter of a 0-based column index.
func ColumnLetter(i int) string {
	name, err := excelize.ColumnNumberToName(i + 1)
	if err != nil {
		return fmt.Sprint(i + 1)
	}
	return name
}
