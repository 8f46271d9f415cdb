package storetest

import (
	"testing"

	"golang.org/x/text/encoding/simplifiedchinese"
)

// EncodeGB18030 returns s as GB18030 bytes, as Excel on a Chinese Windows
// saves CSV.
func EncodeGB18030(t testing.TB, s string) string {
	t.Helper()
	out, err := simplifiedchinese.GB18030.NewEncoder().String(s)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
