package httpapi_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/httpx"
	"github.com/zhangye-backstop/backstop/storetest"
)

// TestJSONErrorsInChinese: a body the JSON decoder refuses is answered
// 400 with a Chinese message that says what is wrong — where the syntax
// breaks, which field is unknown, what type a field wants — and never
// encoding/json's English ("json: unknown field", "cannot unmarshal
// number into Go struct field Input.hazard of type string").
func TestJSONErrorsInChinese(t *testing.T) {
	f := newFixture(t, storetest.OpenSQLite)
	city := f.token(t, "boss", backstop.RoleCity, "620700")
	english := regexp.MustCompile(`[A-Za-z]{3,}`)
	for _, c := range []struct {
		what, body string
		want       []string
	}{
		{"a syntax error", `{"hazard": "暴雨", level}`, []string{"JSON格式错误", "第", "字节"}},
		{"an unknown field", `{"hazard":"暴雨","level":"red","areas":[{"regions":["620723"]}],"colour":"red"}`, []string{"不认识的字段", "colour"}},
		{"a number for text", `{"hazard":1,"level":"red"}`, []string{"字段“hazard”", "应为文字", "不能是数字"}},
		{"text for a list", `{"hazard":"暴雨","level":"red","areas":"620723"}`, []string{"字段“areas”", "应为列表", "不能是文字"}},
		{"a cut-off body", `{"hazard":"暴雨","level":`, []string{"不完整"}},
	} {
		resp, body := f.do(t, "POST", "/api/v1/warnings", city, strings.NewReader(c.body), "application/json")
		eb := decode[httpx.ErrorBody](t, body)
		if resp.StatusCode != 400 || eb.Error.Code != backstop.EINVALID {
			t.Errorf("%s: %d %s", c.what, resp.StatusCode, body)
			continue
		}
		zh := eb.Error.MessageZH
		for _, w := range c.want {
			if !strings.Contains(zh, w) {
				t.Errorf("%s: message_zh %q lacks %q", c.what, zh, w)
			}
		}
		// Field names are the API's own words; anything else in Latin
		// letters is encoding/json's English.
		rest := zh
		for _, name := range []string{"JSON", "hazard", "areas", "colour", "true", "false"} {
			rest = strings.ReplaceAll(rest, name, "")
		}
		if m := english.FindString(rest); m != "" {
			t.Errorf("%s: message_zh %q has English (%q)", c.what, zh, m)
		}
		if eb.Error.Message == "" || eb.Error.Message == zh {
			t.Errorf("%s: no English message beside the Chinese one: %q", c.what, eb.Error.Message)
		}
	}
}
