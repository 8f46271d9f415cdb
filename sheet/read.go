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
	"slices"
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
	// Next returns the next row and its number, or io.EOF. The slice is
	// reused by the next call; its strings stay valid. After an error for
	// which Fatal is true, Next returns that error again.
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
		return nil, backstop.Localized(backstop.EINVALID, "无法打开%s：%v", "cannot open %s: %v", filepath.Base(path), errors.Unwrap(err))
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
		return nil, backstop.Localized(backstop.EINVALID, "文件是空的", "the file is empty")
	case bytes.HasPrefix(head, []byte("PK\x03\x04")):
		f.Close()
		x, err := openXLSX(path, defaultXLSXLimits, &zipBudget{})
		if err != nil {
			return nil, err
		}
		return x, nil
	case bytes.HasPrefix(head, []byte{0xD0, 0xCF, 0x11, 0xE0}):
		f.Close()
		return nil, backstop.Localized(backstop.EUNSUPPORTED, "这是Excel 97-2003（.xls）文件或设了密码的工作簿：请另存为不设密码的.xlsx或CSV后导入",
			"this is an Excel 97-2003 (.xls) file or a password-protected workbook: save it as .xlsx (without a password) or CSV and import that")
	case ext == ".xlsx" || ext == ".xlsm":
		f.Close()
		return nil, backstop.Localized(backstop.EINVALID, "%s不是有效的xlsx文件（xlsx应为zip压缩包，此文件不是）", "%s is not a valid xlsx file (an xlsx is a zip archive; this one is not)", filepath.Base(path))
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
	limiter  *csvLimiter
	r        *csv.Reader
	header   []string
	row      int
	encoding string
	err      error // sticky: a fatal error is returned again
}

// sniffLen is how much of a CSV is checked to tell UTF-8 from GB18030.
const sniffLen = 256 << 10

// csvReadAhead is how far encoding/csv may read beyond the record it
// returns (its bufio.Reader's size, with room to spare).
const csvReadAhead = 64 << 10

// csvLimiter sits under encoding/csv, which holds a whole line and a
// whole record in memory however long they are: it stops a line longer
// than MaxLineBytes, and a record that has taken more than MaxRowBytes
// (plus what encoding/csv reads ahead) since the last one was returned.
// It sees decoded text, so the limits are in UTF-8 bytes.
type csvLimiter struct {
	r          io.Reader
	lines      int // line breaks passed
	lineBytes  int // bytes since the last line break
	sinceRow   int // bytes since the last record was returned
	row        int // the record being read, as the reader counts rows
	err        error
	maxLine    int
	maxPending int
}

func (l *csvLimiter) Read(p []byte) (int, error) {
	if l.err != nil {
		return 0, l.err
	}
	n, err := l.r.Read(p)
	chunk := p[:n]
	if last := bytes.LastIndexByte(chunk, '\n'); last < 0 {
		l.lineBytes += n
	} else {
		if first := bytes.IndexByte(chunk, '\n'); l.lineBytes+first > l.maxLine {
			l.lineBytes += first
		} else {
			l.lines += bytes.Count(chunk, []byte{'\n'})
			l.lineBytes = n - last - 1
		}
	}
	l.sinceRow += n
	switch {
	case l.lineBytes > l.maxLine:
		l.err = fatal(backstop.ETOOLARGE, l.row, -1, "文件第%d行超过%d KiB（一行的上限）：有单元格过长，或这不是CSV文件（若是用“CSV（Macintosh）”保存的，请改存为“CSV UTF-8”）",
			"line %d of the file is longer than %d KiB (the limit of one line): a cell is far too long, or this is not a CSV file (if it was saved as \"CSV (Macintosh)\", save it as \"CSV UTF-8\")",
			l.lines+1, l.maxLine>>10)
	case l.sinceRow > l.maxPending:
		l.err = rowTooLarge(l.row)
	}
	if l.err != nil {
		return 0, l.err
	}
	return n, err
}

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
		return nil, backstop.Localized(backstop.EUNSUPPORTED, "CSV文件是UTF-16编码：请另存为“CSV UTF-8”或xlsx", "the CSV is in UTF-16: save it as \"CSV UTF-8\" or as xlsx")
	case !validUTF8Prefix(sample):
		// Excel on a Chinese Windows saves CSV in GBK; GB18030 is its
		// superset and decodes it.
		encoding = "gb18030"
		src = transform.NewReader(br, simplifiedchinese.GB18030.NewDecoder())
	}
	limiter := &csvLimiter{r: src, row: 1, maxLine: MaxLineBytes, maxPending: MaxRowBytes + csvReadAhead}
	r := csv.NewReader(limiter)
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	// The record slice is reused; its strings are not, so cells kept by
	// the caller stay valid.
	r.ReuseRecord = true
	c := &csvReader{f: f, counter: counter, limiter: limiter, r: r, encoding: encoding}
	header, _, err := c.Next()
	if err == io.EOF {
		return nil, backstop.Localized(backstop.EINVALID, "文件是空的", "the file is empty")
	} else if err != nil {
		if Fatal(err) {
			return nil, err
		}
		return nil, backstop.Localized(backstop.EINVALID, "第1行：无法读取CSV表头：%v", "row 1: cannot read the CSV header: %v", backstop.ErrorMessage(err))
	}
	if encoding == "gb18030" && !utf8.ValidString(strings.Join(header, "")) {
		return nil, backstop.Localized(backstop.EINVALID, "CSV文件既不是UTF-8也不是GBK/GB18030编码的文本", "the CSV is neither UTF-8 nor GBK/GB18030 text")
	}
	c.header = slices.Clone(header)
	return c, nil
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
	if c.err != nil {
		return nil, c.row, c.err
	}
	rec, err := c.r.Read()
	if err == io.EOF {
		return nil, 0, io.EOF
	}
	c.row++
	c.limiter.row, c.limiter.sinceRow = c.row+1, 0
	if err != nil {
		var pe *csv.ParseError
		switch {
		case Fatal(err):
			c.err = err
			return nil, c.row, err
		case errors.As(err, &pe) && Fatal(pe.Err):
			c.err = pe.Err
			return nil, c.row, pe.Err
		case errors.As(err, &pe):
			return nil, c.row, backstop.Localized(backstop.EINVALID, "第%d行（文件第%d行）：%v", "row %d (line %d): %v", c.row, pe.Line, pe.Err)
		}
		return nil, c.row, err
	}
	if err := checkRow(rec, c.row); err != nil {
		c.err = err
		return nil, c.row, err
	}
	return trimCells(rec), c.row, nil
}

// checkRow applies the cell and row limits to a record read whole: the
// limiter stops a record only once it has grown past the row limit by
// encoding/csv's read-ahead.
func checkRow(cells []string, row int) error {
	if len(cells) > MaxRowCells {
		return tooManyCells(row)
	}
	total := 0
	for i, c := range cells {
		if len(c) > MaxCellBytes {
			return cellTooLarge(row, i)
		}
		total += len(c)
	}
	if total > MaxRowBytes {
		return rowTooLarge(row)
	}
	return nil
}

// ColumnLetter returns the spreadsheet letter of a 0-based column index.
func ColumnLetter(i int) string {
	name, err := excelize.ColumnNumberToName(i + 1)
	if err != nil {
		return fmt.Sprint(i + 1)
	}
	return name
}
