package sheet

import (
	"slices"
	"testing"
)

func TestTrimCells(t *testing.T) {
	in := []string{"张建国", " 张建国", "张建国\t", "\u3000张建国\u3000", "张 建国", "", "  ", "6207231012010001 ", "\u00a0李秀兰", "李秀兰\u2003"}
	want := []string{"张建国", "张建国", "张建国", "张建国", "张 建国", "", "", "6207231012010001", "李秀兰", "李秀兰"}
	if got := trimCells(slices.Clone(in)); !slices.Equal(got, want) {
		t.Errorf("trimCells(%q) = %q, want %q", in, got, want)
	}
}
