package sheet

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"

	"github.com/xuri/excelize/v2"
)

// Writer writes rows of a sheet. Cells are strings or numbers; strings
// that a spreadsheet would run as a formula are escaped.
type Writer interface {
	Write(cells []any) error
	// Close finishes the file (xlsx is assembled at the end).
	Close() error
}

// EscapeFormula defuses a text cell that starts with = + - @ (or a tab or
// carriage return, which some spreadsheets skip): it gets a leading
// apostrophe, as OWASP advises against CSV injection.
func EscapeFormula(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}

func cellText(c any) string {
	switch v := c.(type) {
	case nil:
		return ""
	case string:
		return EscapeFormula(v)
	case int:
		return strconv.Itoa(v)
	case int64:
		return strconv.FormatInt(v, 10)
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return EscapeFormula(fmt.Sprint(c))
}

type csvWriter struct{ w *csv.Writer }

// NewCSV writes UTF-8 CSV with a byte-order mark, which Excel needs to
// show Chinese text correctly.
func NewCSV(w io.Writer) (Writer, error) {
	if _, err := w.Write([]byte{0xEF, 0xBB, 0xBF}); err != nil {
		return nil, err
	}
	return &csvWriter{w: csv.NewWriter(w)}, nil
}

func (c *csvWriter) Write(cells []any) error {
	rec := make([]string, len(cells))
	for i, cell := range cells {
		rec[i] = cellText(cell)
	}
	return c.w.Write(rec)
}

func (c *csvWriter) Close() error {
	c.w.Flush()
	return c.w.Error()
}

type xlsxWriter struct {
	out io.Writer
	f   *excelize.File
	sw  *excelize.StreamWriter
	row int
}

// NewXLSX writes an xlsx with one sheet, streaming rows to a temporary
// file and the finished workbook to w on Close.
func NewXLSX(w io.Writer, sheetName string) (Writer, error) {
	f := excelize.NewFile()
	if err := f.SetSheetName("Sheet1", sheetName); err != nil {
		return nil, err
	}
	sw, err := f.NewStreamWriter(sheetName)
	if err != nil {
		return nil, err
	}
	return &xlsxWriter{out: w, f: f, sw: sw}, nil
}

func (x *xlsxWriter) Write(cells []any) error {
	x.row++
	row := make([]any, len(cells))
	for i, c := range cells {
		switch v := c.(type) {
		case string:
			row[i] = EscapeFormula(v)
		default:
			row[i] = v
		}
	}
	cell, _ := excelize.CoordinatesToCellName(1, x.row)
	return x.sw.SetRow(cell, row)
}

func (x *xlsxWriter) Close() error {
	if err := x.sw.Flush(); err != nil {
		return err
	}
	if err := x.f.Write(x.out); err != nil {
		return err
	}
	return x.f.Close()
}
