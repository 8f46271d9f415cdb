package backstop

import (
	"strings"
	"testing"
	"unicode/utf16"
)

func TestSMSSegments(t *testing.T) {
	for _, c := range []struct {
		text string
		want int
	}{
		{"", 0},
		{strings.Repeat("雨", 70), 1},
		{strings.Repeat("雨", 71), 2},
		{strings.Repeat("雨", 134), 2},
		{strings.Repeat("雨", 135), 3},
		{strings.Repeat("a", 70), 1}, // Chinese gateways count every character alike
		{strings.Repeat("😀", 35), 1}, // two UTF-16 units each
		{strings.Repeat("😀", 36), 2},
	} {
		if got := SMSSegments(c.text); got != c.want {
			t.Errorf("SMSSegments(%d runes of %q) = %d, want %d", len([]rune(c.text)), []rune(c.text)[:min(1, len(c.text))], got, c.want)
		}
	}
}

func TestSplitSMS(t *testing.T) {
	text := strings.Repeat("暴雨预警", 40) // 160 characters
	parts := SplitSMS(text)
	if len(parts) != SMSSegments(text) {
		t.Fatalf("%d parts, SMSSegments says %d", len(parts), SMSSegments(text))
	}
	if strings.Join(parts, "") != text {
		t.Error("the parts do not join back to the text")
	}
	for i, p := range parts[:len(parts)-1] {
		if n := len(utf16.Encode([]rune(p))); n != SMSPart {
			t.Errorf("part %d has %d units, want %d", i, n, SMSPart)
		}
	}
	// A surrogate pair is never split.
	emoji := strings.Repeat("a", 66) + "😀" + strings.Repeat("b", 10)
	for _, p := range SplitSMS(emoji) {
		if strings.ContainsRune(p, '\uFFFD') {
			t.Fatalf("a surrogate pair was cut: %q", p)
		}
	}
	if strings.Join(SplitSMS(emoji), "") != emoji {
		t.Error("emoji text does not join back")
	}
}

func TestTemplates(t *testing.T) {
	if err := ValidateTemplate("{sender}发布{hazard}{level}预警：{area}。{action}电话{hotline}"); err != nil {
		t.Fatalf("valid template refused: %v", err)
	}
	for _, bad := range []string{"", "  ", "{hazard}{weather}", "{hazard", "hazard}", "}{"} {
		err := ValidateTemplate(bad)
		if ErrorCode(err) != EINVALID {
			t.Errorf("ValidateTemplate(%q) = %v, want invalid", bad, err)
		}
	}
	err := ValidateTemplate("请注意{weather}")
	if !strings.Contains(ErrorMessage(err), "{weather}") || !strings.Contains(ErrorMessageZH(err), "{weather}") {
		t.Errorf("the refusal does not name the placeholder: %v / %s", err, ErrorMessageZH(err))
	}
	got := RenderTemplate("{hazard}{level}预警：{area}", TemplateFields{"hazard": "暴雨", "level": LevelText(WarningRed), "area": "甘州区"})
	if got != "暴雨红色（Ⅰ级/特别严重）预警：甘州区" {
		t.Errorf("rendered %q", got)
	}
}

func TestContactValidate(t *testing.T) {
	ok := &Contact{Kind: ContactDutyOfficer, Name: "值班员", Region: "620723101", Phone: "100-1234-5678"}
	if err := ok.Validate(); err != nil || ok.Region != "620723101000" || ok.Phone != "10012345678" {
		t.Fatalf("valid contact: %v %+v", err, ok)
	}
	for _, c := range []*Contact{
		{Kind: "mayor", Name: "x", Region: "620723", Phone: "10012345678"},
		{Kind: ContactDutyOfficer, Name: "", Region: "620723", Phone: "10012345678"},
		{Kind: ContactDutyOfficer, Name: "x", Region: "62072", Phone: "10012345678"},
		{Kind: ContactDutyOfficer, Name: "x", Region: "620723"},
		{Kind: ContactWeComGroup, Name: "x", Region: "620723"},
		{Kind: ContactDepartment, Name: "x", Region: "620723", Email: "a@b\r\nBcc: c@d"},
		{Kind: ContactDepartment, Name: "x", Region: "620723", Phone: "10012345678", Hazards: []Hazard{"meteor"}},
	} {
		err := c.Validate()
		// Each says what is wrong, not the generic sentence of its code.
		if ErrorCode(err) != EINVALID || ErrorMessageZH(err) == ErrorMessageZH(&Error{Code: EINVALID}) {
			t.Errorf("contact %+v: %v (%s)", c, err, ErrorMessageZH(err))
		}
	}
	// Every text field has its limit, named in the refusal (a 5,000-character
	// name was stored and listed on every contacts page).
	long := strings.Repeat("名", MaxNameLength+1)
	for _, c := range []struct {
		contact *Contact
		field   string
	}{
		{&Contact{Kind: ContactDutyOfficer, Name: long, Region: "620723", Phone: "10012345678"}, "名称"},
		{&Contact{Kind: ContactDepartment, Name: "x", Department: strings.Repeat("局", MaxDepartmentLength+1), Region: "620723", Phone: "10012345678"}, "单位"},
		{&Contact{Kind: ContactDepartment, Name: "x", Region: "620723", Email: strings.Repeat("a", MaxEmailLength) + "@b.cn"}, "电子邮箱"},
		{&Contact{Kind: ContactBroadcast, Name: "x", Region: "620723", Address: strings.Repeat("g", MaxAddressLength+1)}, "地址"},
		{&Contact{Kind: ContactDutyOfficer, Name: "x", Region: "620723", Phone: "10012345678", Hazards: make([]Hazard, len(Hazards)+1)}, "灾种"},
	} {
		err := c.contact.Validate()
		if ErrorCode(err) != ETOOLARGE || !strings.Contains(ErrorMessageZH(err), c.field) {
			t.Errorf("too long a %s: %v (%s)", c.field, err, ErrorMessageZH(err))
		}
	}
	at := &Contact{Kind: ContactDutyOfficer, Name: strings.Repeat("名", MaxNameLength), Region: "620723", Phone: "10012345678"}
	if err := at.Validate(); err != nil {
		t.Errorf("a name at the limit: %v", err)
	}
}

func TestMessageKeyRoundTrip(t *testing.T) {
	r, m, ok := ParseMessageKey(MessageKey(12, 345))
	if !ok || r != 12 || m != 345 {
		t.Fatalf("round trip: %d %d %v", r, m, ok)
	}
	for _, bad := range []string{"", "bst-", "bst-1", "bst-x-2", "bst-0-2", "bst-1--2", "key-1-2", "bst-test-ab12"} {
		if _, _, ok := ParseMessageKey(bad); ok {
			t.Errorf("%q parsed", bad)
		}
	}
}
