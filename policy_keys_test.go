package backstop

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestPolicyValidateInChinese: a policy version refused for its data or
// its source says why in Chinese (its English detail stood in message_zh:
// "政策参数…的数据有误：a table is a JSON object of rows"), and the source
// note has its limit.
func TestPolicyValidateInChinese(t *testing.T) {
	keyOf := func(typ PolicyType) string {
		for _, k := range PolicyKeys() {
			if k.Type == typ {
				return k.Key
			}
		}
		t.Fatalf("no %s key registered", typ)
		return ""
	}
	table, steps, checklist := keyOf(PolicyTable), keyOf(PolicySteps), keyOf(PolicyChecklist)
	from := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	// The English detail's words; codes and field names (code, zh, limit)
	// may stand in the Chinese.
	english := regexp.MustCompile(`\b(?:is|needs|must|unknown|missing|items|range|non-empty|object|appears)\b`)
	for _, c := range []struct {
		what string
		p    Policy
		want string
	}{
		{"a table as a list", Policy{Key: table, Data: json.RawMessage(`[1,2]`)}, "表格应为"},
		{"a table row of text", Policy{Key: table, Data: json.RawMessage(`{"x":"y"}`)}, "行“x”"},
		{"an empty checklist", Policy{Key: checklist, Data: json.RawMessage(`[]`)}, "检查清单应为非空的JSON列表"},
		{"an item without its name", Policy{Key: checklist, Data: json.RawMessage(`[{"code":"a"}]`)}, "第1项须有代码"},
		{"an item's name too long", Policy{Key: checklist, Data: json.RawMessage(`[{"code":"a","zh":"` + strings.Repeat("长", MaxPolicyItemLength+1) + `"}]`)}, "过长"},
		{"a step without a limit", Policy{Key: steps, Data: json.RawMessage(`[{"code":"a","zh":"核实","role":"village","unit":"workdays"}]`)}, "时限"},
	} {
		p := c.p
		p.EffectiveFrom, p.Source = from, "测试"
		k, _ := PolicyKeyOf(p.Key)
		p.Unit = k.Unit
		err := p.Validate()
		zh := ErrorMessageZH(err)
		if err == nil || !strings.Contains(zh, c.want) || english.MatchString(zh) {
			t.Errorf("%s: %v (%s)", c.what, err, zh)
		}
	}
	p := Policy{Key: table, EffectiveFrom: from, Source: strings.Repeat("源", MaxPolicySourceLength+1), Data: json.RawMessage(`{}`)}
	if err := p.Validate(); ErrorCode(err) != ETOOLARGE || !strings.Contains(ErrorMessageZH(err), "来源说明过长") {
		t.Errorf("a source past the limit: %v", err)
	}
}
