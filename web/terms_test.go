package web_test

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/zhangye-backstop/backstop"
)

// TestTermsAgreeWithCatalog: the Chinese names errors give codes
// (backstop.Term) are those the pages give them (web/locale/zh-CN.json).
func TestTermsAgreeWithCatalog(t *testing.T) {
	raw, err := os.ReadFile("locale/zh-CN.json")
	if err != nil {
		t.Fatal(err)
	}
	cat := map[string]string{}
	if err := json.Unmarshal(raw, &cat); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, kind := range []string{backstop.TermChannel, backstop.TermLevel, backstop.TermWarningState, backstop.TermWarningStatus, backstop.TermQuarantineState,
		backstop.TermPlanState, backstop.TermEventState, backstop.TermIntakeState, backstop.TermClockKind, backstop.TermClockState} {
		for code, name := range backstop.TermNames(kind) {
			key := kind + "." + code
			if code == "" {
				key = kind + ".none"
			}
			if kind == backstop.TermClockKind && strings.HasPrefix(code, "event.") {
				key = "clock." + code
			}
			page, ok := cat[key]
			if !ok {
				continue // a name errors need that no page shows yet
			}
			n++
			if !strings.Contains(page, name.ZH) {
				t.Errorf("%s: errors say %q, pages %q", key, name.ZH, page)
			}
		}
	}
	if n < 30 {
		t.Errorf("only %d terms compared with the catalog", n)
	}
}
