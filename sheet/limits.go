package sheet

import (
	"errors"
	"fmt"

	"github.com/zhangye-backstop/backstop"
)

// Limits on what one sheet may hold. They bound memory and time whatever a
// file claims: a row is held in memory while it is read, and an xlsx is
// inflated as it is read.
const (
	// MaxCellBytes bounds one cell (UTF-8 bytes). Excel itself holds at
	// most 32,767 characters in a cell; 128 KiB fits that in Chinese.
	MaxCellBytes = 128 << 10
	// MaxRowBytes bounds the text of one row, all its cells together.
	MaxRowBytes = 1 << 20
	// MaxRowCells bounds the cells of a row: Excel's own column count
	// (A … XFD).
	MaxRowCells = 16384
	// MaxLineBytes bounds one line of a CSV file (between line breaks).
	MaxLineBytes = 1 << 20
	// MaxRows is Excel's own row count; an xlsx row number beyond it is
	// not from a spreadsheet.
	MaxRows = 1 << 20
	// MaxXLSXExpansion bounds what the parts of an xlsx that are read may
	// inflate to, as a multiple of the file's size (plus xlsxSlack, for
	// tiny files). Sheets saved by Excel and by backstop's export inflate
	// 8–12 times (measured on a generated roster); deflate reaches 1,000.
	MaxXLSXExpansion = 50
	// MaxUnzippedXLSX bounds the same whatever the file's size: about a
	// full Excel sheet (1,048,576 rows) of roster rows.
	MaxUnzippedXLSX = 4 << 30
	// MaxSharedStrings and MaxSharedStringBytes bound an xlsx's shared
	// string table, which is held in memory while the sheet is read.
	MaxSharedStrings     = 1 << 24
	MaxSharedStringBytes = 512 << 20
	// maxXMLTag bounds one XML tag (name and attributes) of a sheet.
	maxXMLTag = 64 << 10
	// maxXLSXMetadata bounds the small parts read to find the first sheet
	// (package and workbook relationships, the workbook).
	maxXLSXMetadata = 8 << 20
	// maxXLSXDirectory bounds an xlsx's zip directory (about 60,000
	// entries; Excel writes a few dozen).
	maxXLSXDirectory = 4 << 20
	// xlsxSlack is what any xlsx may inflate to besides the multiple.
	xlsxSlack = 1 << 20
)

// fatalError ends reading: the rest of the file cannot be read, because a
// limit was reached or the file is broken.
type fatalError struct{ err *backstop.Error }

func (e *fatalError) Error() string { return e.err.Error() }
func (e *fatalError) Unwrap() error { return e.err }

// Fatal tells whether an error from Reader.Next ends the reading (a limit
// was exceeded, the file is broken or crafted): Next returns it again and
// the file must be refused as a whole. Other errors concern one row, and
// reading may go on with the next.
func Fatal(err error) bool {
	var f *fatalError
	return errors.As(err, &f)
}

// fatal builds a fatal error located at row (0: not a row) and column
// (0-based, -1: none), in both languages. The message starts with the
// location, so that it stands alone.
func fatal(code string, row, col int, zh, en string, args ...any) error {
	e := backstop.Localized(code, zh, en, args...)
	p := backstop.Problem{Row: row, Reason: e.Message, ReasonZH: e.ZH}
	switch {
	case row > 0 && col >= 0:
		p.Column = ColumnLetter(col)
		e.Message = fmt.Sprintf("Row %d, column %s: %s", row, p.Column, e.Message)
		e.ZH = fmt.Sprintf("第%d行%s列：%s", row, p.Column, e.ZH)
	case row > 0:
		e.Message = fmt.Sprintf("Row %d: %s", row, e.Message)
		e.ZH = fmt.Sprintf("第%d行：%s", row, e.ZH)
	}
	e.Details = []backstop.Problem{p}
	return &fatalError{err: e}
}

func cellTooLarge(row, col int) error {
	return fatal(backstop.ETOOLARGE, row, col, "单元格超过%d KiB（单元格内容上限）", "the cell is larger than %d KiB (the limit of one cell)", MaxCellBytes>>10)
}

func rowTooLarge(row int) error {
	return fatal(backstop.ETOOLARGE, row, -1, "该行超过%d KiB（一行内容上限；可能有未闭合的引号）", "the row is larger than %d KiB (the limit of one row; is a quote left open?)", MaxRowBytes>>10)
}

func tooManyCells(row int) error {
	return fatal(backstop.ETOOLARGE, row, -1, "该行超过%d个单元格（Excel的列数上限）", "the row has more than %d cells (Excel's column count)", MaxRowCells)
}
