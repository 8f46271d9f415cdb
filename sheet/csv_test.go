package sheet

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/zhangye-backstop/backstop"
)

func writeTemp(t *testing.T, name string, content []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, content, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// readCSVUntilError opens a CSV and reads until an error, returning it
// with the row it came with and how many bytes of the file were read.
func readCSVUntilError(t *testing.T, content []byte) (error, int, int64) {
	t.Helper()
	r, err := Open(writeTemp(t, "r.csv", content))
	if err != nil {
		return err, 0, 0
	}
	defer r.Close()
	for {
		_, row, err := r.Next()
		if err == io.EOF {
			return nil, 0, r.BytesRead()
		}
		if err != nil {
			// Once a limit is reached, reading does not go on.
			if _, _, again := r.Next(); again != err {
				t.Errorf("Next after %v = %v, want the same error", err, again)
			}
			return err, row, r.BytesRead()
		}
	}
}

const csvHeader = "户编号,人编号,姓名,证件号码\n"

func TestCSVLimits(t *testing.T) {
	good := "6207231012010001,620723101201000101,张建国,620723196106054054\n"
	for _, tc := range []struct {
		name    string
		content []byte
		row     int
		code    string
		want    []string // in the message, English and Chinese
	}{
		{"a line without line breaks",
			[]byte(csvHeader + good + strings.Repeat("张建国,", 8<<20)), 3, backstop.ETOOLARGE,
			[]string{"Row 3: line 3 of the file is longer than 1024 KiB (the limit of one line)", "第3行：文件第3行超过1024 KiB（一行的上限）"}},
		{"a CR-only file (CSV for Macintosh)",
			[]byte(strings.ReplaceAll(csvHeader+strings.Repeat(good, 40000), "\n", "\r")), 1, backstop.ETOOLARGE,
			[]string{"line 1 of the file is longer than 1024 KiB", "CSV (Macintosh)"}},
		{"a quoted field that never ends",
			[]byte(csvHeader + good + `6207231012010001,620723101201000102,"李秀兰` + strings.Repeat("\n张建国,620723196106054054", 200000)), 3, backstop.ETOOLARGE,
			[]string{"Row 3: the row is larger than 1024 KiB", "is a quote left open?", "第3行：该行超过1024 KiB"}},
		{"a giant cell",
			[]byte(csvHeader + good + good + "6207231012010001,620723101201000103,\"" + strings.Repeat("张", MaxCellBytes/3+1) + "\",x\n"), 4, backstop.ETOOLARGE,
			[]string{"Row 4, column C: the cell is larger than 128 KiB", "第4行C列：单元格超过128 KiB"}},
		{"too many cells",
			[]byte(csvHeader + strings.Repeat(",", MaxRowCells) + "\n"), 2, backstop.ETOOLARGE,
			[]string{"Row 2: the row has more than 16384 cells"}},
		{"a header without line breaks",
			[]byte(strings.Repeat("姓名,", 1<<20)), 1, backstop.ETOOLARGE,
			[]string{"line 1 of the file is longer than 1024 KiB"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err, row, read := readCSVUntilError(t, tc.content)
			if backstop.ErrorCode(err) != tc.code || !Fatal(err) {
				t.Fatalf("err = %v, want a fatal %s error", err, tc.code)
			}
			msg := backstop.ErrorMessage(err) + " | " + backstop.ErrorMessageZH(err)
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("message %q lacks %q", msg, w)
				}
			}
			if d := backstop.ErrorDetails(err); len(d) != 1 || d[0].Row != tc.row || d[0].ReasonZH == "" {
				t.Errorf("details = %+v, want one problem in row %d with a Chinese reason", d, tc.row)
			}
			if row != 0 && row != tc.row {
				t.Errorf("Next gave row %d, want %d", row, tc.row)
			}
			// Refused after reading about one row's limit, not the file.
			if limit := int64(MaxRowBytes + csvReadAhead + sniffLen); read > limit && int64(len(tc.content)) > limit {
				t.Errorf("read %d of %d bytes before refusing", read, len(tc.content))
			}
		})
	}
}

// The limits hold on the decoded text of a GBK file too.
func TestCSVLimitsGBK(t *testing.T) {
	text := csvHeader + strings.Repeat("张建国", 1<<20)
	gbk, err := simplifiedchinese.GBK.NewEncoder().Bytes([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	r, err := Open(writeTemp(t, "gbk.csv", gbk))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if r.Encoding() != "gb18030" {
		t.Fatalf("encoding %s", r.Encoding())
	}
	_, _, err = r.Next()
	if backstop.ErrorCode(err) != backstop.ETOOLARGE || !strings.Contains(backstop.ErrorMessage(err), "line 2 of the file") {
		t.Errorf("err = %v", err)
	}
}

// Rows at the limits still read, and quoted multi-line cells keep their
// line numbers out of the row numbers.
func TestCSVAtTheLimits(t *testing.T) {
	cell := strings.Repeat("a", MaxCellBytes)
	var b bytes.Buffer
	b.WriteString(csvHeader)
	b.WriteString("1,2,\"" + cell + "\",\"x\ny\"\n")
	b.WriteString("3,4," + strings.Repeat("b", MaxCellBytes) + "," + strings.Repeat("c", MaxCellBytes) + "\n")
	r, err := Open(writeTemp(t, "r.csv", b.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for want := 2; want <= 3; want++ {
		cells, row, err := r.Next()
		if err != nil || row != want || len(cells) != 4 || len(cells[2]) != MaxCellBytes {
			t.Fatalf("row %d: %d cells, %v", row, len(cells), err)
		}
	}
	if _, _, err := r.Next(); err != io.EOF {
		t.Errorf("end: %v", err)
	}
}
