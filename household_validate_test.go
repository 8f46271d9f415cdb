package backstop

import (
	"strings"
	"testing"
	"time"
)

func validHousehold() *Household {
	return &Household{Number: "6207231012010001", VillageCode: "620723101201", NaturalVillage: "一社", Type: "脱贫户",
		Phone: "13893652186", HelperName: "王志强", DataDate: "2026-10-31",
		Members: []*Member{{Number: "620723101201000101", Name: "张建国", IDNumber: "620723196106054054", Relation: "户主", Health: "健康"}}}
}

// Every text field of a household and a member has a limit, checked where
// the API's writes are validated (the store calls Validate before
// writing), with the field, the limit and a Chinese reason.
func TestValidateTextLengths(t *testing.T) {
	if err := validHousehold().Validate(); err != nil {
		t.Fatalf("valid household: %v", err)
	}
	long := func(n int) string { return strings.Repeat("张", n) }
	for _, tc := range []struct {
		path  string
		set   func(h *Household)
		limit int
	}{
		{"natural_village", func(h *Household) { h.NaturalVillage = long(51) }, MaxPlaceNameLength},
		{"type", func(h *Household) { h.Type = long(31) }, MaxShortTextLength},
		{"housing_structure", func(h *Household) { h.HousingStructure = long(31) }, MaxShortTextLength},
		{"livelihood", func(h *Household) { h.Livelihood = long(31) }, MaxShortTextLength},
		{"water_source", func(h *Household) { h.WaterSource = long(31) }, MaxShortTextLength},
		{"helper_name", func(h *Household) { h.HelperName = long(51) }, MaxNameLength},
		{"members[0].name", func(h *Household) { h.Members[0].Name = strings.Repeat("名", 20<<20) }, MaxNameLength},
		{"members[0].relation", func(h *Household) { h.Members[0].Relation = long(31) }, MaxShortTextLength},
		{"members[0].ethnicity", func(h *Household) { h.Members[0].Ethnicity = long(31) }, MaxShortTextLength},
		{"members[0].education", func(h *Household) { h.Members[0].Education = long(31) }, MaxShortTextLength},
		{"members[0].school_status", func(h *Household) { h.Members[0].SchoolStatus = long(31) }, MaxShortTextLength},
		{"members[0].health", func(h *Household) { h.Members[0].Health = long(201) }, MaxDescriptionLength},
		{"members[0].labour", func(h *Household) { h.Members[0].Labour = long(31) }, MaxShortTextLength},
		{"members[0].poverty_cause", func(h *Household) { h.Members[0].PovertyCause = long(201) }, MaxDescriptionLength},
	} {
		h := validHousehold()
		tc.set(h)
		err := h.Validate()
		d := ErrorDetails(err)
		if ErrorCode(err) != EINVALID || len(d) != 1 || d[0].Path != tc.path ||
			!strings.Contains(d[0].Reason, "the limit is "+itoa(tc.limit)) || !strings.Contains(d[0].ReasonZH, "上限为"+itoa(tc.limit)+"个") {
			t.Errorf("%s too long: %v %+v", tc.path, err, d)
		}
		if len(ErrorMessage(err)) > 500 || len(ErrorMessageZH(err)) > 500 {
			t.Errorf("%s: the message quotes the value (%d bytes)", tc.path, len(ErrorMessage(err)))
		}
	}
	// At the limit is accepted; the limit counts characters, not bytes.
	h := validHousehold()
	h.NaturalVillage, h.Members[0].Name = long(MaxPlaceNameLength), long(MaxNameLength)
	if err := h.Validate(); err != nil {
		t.Errorf("fields at their limits: %v", err)
	}
}

func TestValidateForms(t *testing.T) {
	for _, tc := range []struct {
		path string
		set  func(h *Household)
		want string
	}{
		{"data_date", func(h *Household) { h.DataDate = "2026/10/31" + strings.Repeat("x", 1000) }, "YYYY-MM-DD"},
		{"risk_identified_on", func(h *Household) { h.RiskIdentifiedOn = "2026-02-30" }, "YYYY-MM-DD"},
		{"members[0].identified_on", func(h *Household) { h.Members[0].Identified = "yesterday" }, "YYYY-MM-DD"},
		{"phone", func(h *Household) { h.Phone = strings.Repeat("1", 20<<20) }, "too long"},
		{"members[0].household_number", func(h *Household) { h.Members[0].HouseholdNumber = "62a" }, "1 to 30 digits"},
	} {
		h := validHousehold()
		tc.set(h)
		err := h.Validate()
		d := ErrorDetails(err)
		if len(d) != 1 || d[0].Path != tc.path || !strings.Contains(d[0].Reason, tc.want) || d[0].ReasonZH == "" || len(d[0].Reason) > 300 {
			t.Errorf("%s: %v %+v", tc.path, err, d)
		}
	}
}

func TestMaskCell(t *testing.T) {
	for in, want := range map[string]string{
		"13893652186":                    "138****2186",
		"620723196106054054":             "620723********4054",
		"62072319610605405x":             "620723********405x",
		"电话13893652186/13912345678":      "电话138****2186/139****5678",
		"6.20723196106054E+17":           "6.207*******6054E+17",
		"20261301":                       "20****01",
		"是":                              "是",
		"123456":                         "123456",
		strings.Repeat("张", 100):         strings.Repeat("张", 32) + "…" + strings.Repeat("张", 5),
		strings.Repeat("1", 200):         "111111" + strings.Repeat("*", 26) + "…*1111",
		"no digits but rather long text": "no digits but rather long text",
	} {
		if got := MaskCell(in); got != want {
			t.Errorf("MaskCell(%.40q) = %q, want %q", in, got, want)
		}
	}
}

func TestMaskPersonalNumbers(t *testing.T) {
	for in, want := range map[string]string{
		"phone number 13893652186 is wrong":                             "phone number 138****2186 is wrong",
		"landline 09368211234":                                          "landline 093****1234",
		"ID 620723196106054054 twice":                                   "ID 620723********4054 twice",
		"ID 11010519491231002X":                                         "ID 110105********002X",
		"old ID 620723610605405":                                        "old ID 620723*****5405",
		"person number 620723101201000101 twice":                        "person number 620723101201000101 twice", // not an ID number
		"household 6207231012010001, village 620723101201, income 9800": "household 6207231012010001, village 620723101201, income 9800",
		"第3行为“13909361234”，本行为“13909361235”":                            "第3行为“139****1234”，本行为“139****1235”",
	} {
		if got := MaskPersonalNumbers(in); got != want {
			t.Errorf("MaskPersonalNumbers(%q) = %q, want %q", in, got, want)
		}
	}
}

// Masking for malformed values: no phone or ID number shows whole, and
// the mask of a huge value is short.
func TestMaskMalformed(t *testing.T) {
	if got := MaskPhone("13893652186 13912345678"); got != "138****2186 139****5678" {
		t.Errorf("MaskPhone of two numbers = %q", got)
	}
	if got := MaskPhone("张三13893652186"); got != "张三138****2186" {
		t.Errorf("MaskPhone with a name = %q", got)
	}
	if got := MaskIDNumber(strings.Repeat("6", 1<<20)); len(got) > 100 {
		t.Errorf("MaskIDNumber of 1 MiB = %d bytes", len(got))
	}
	_, err := ValidatePhone("138 9365 2186 转 8888 " + strings.Repeat("9", 100))
	if err == nil || len(ErrorMessage(err)) > 200 || strings.Contains(ErrorMessage(err), "93652186") {
		t.Errorf("ValidatePhone of a long value: %v", err)
	}
	_, _, err = ValidateIDNumber("620723196113054054")
	if err == nil || strings.Contains(ErrorMessage(err)+ErrorMessageZH(err), "19611305") {
		t.Errorf("a bad birth date is quoted: %v", err)
	}
}

// A masked member shows the year of birth only: the 8 digits a masked ID
// number hides are the birth date.
func TestMemberMask(t *testing.T) {
	m := &Member{Number: "620723101201000101", Name: "张建国", IDNumber: "620723196106054054", Phone: "13893652186", BirthDate: "1961-06-05"}
	c := m.Mask()
	if c.IDNumber != "620723********4054" || c.Phone != "138****2186" || c.BirthDate != "1961" || c.Name != "张建国" {
		t.Errorf("Mask = %+v", c)
	}
	if m.BirthDate != "1961-06-05" || m.IDNumber != "620723196106054054" {
		t.Errorf("Mask changed the original: %+v", m)
	}
	h := (&Household{Members: []*Member{m}}).Mask()
	if h.Members[0].BirthDate != "1961" || h.Members[0].IDNumber != c.IDNumber {
		t.Errorf("Household.Mask member = %+v", h.Members[0])
	}
	on := time.Date(2026, 6, 4, 12, 0, 0, 0, Beijing)
	for _, tc := range []struct {
		birth string
		on    time.Time
		want  int
	}{
		{"1961-06-05", on, 64},
		{"1961-06-05", on.AddDate(0, 0, 1), 65},
		{"1961-06-04", on, 65},
		{"2000-02-29", time.Date(2026, 2, 28, 0, 0, 0, 0, Beijing), 25},
		{"2000-02-29", time.Date(2026, 3, 1, 0, 0, 0, 0, Beijing), 26},
		{"1961", on, 65},
		{"", on, -1},
		{"2030-01-01", on, -1},
		{"bogus", on, -1},
	} {
		if got := (&Member{BirthDate: tc.birth}).Age(tc.on); got != tc.want {
			t.Errorf("Age(%s on %s) = %d, want %d", tc.birth, tc.on.Format("2006-01-02"), got, tc.want)
		}
	}
}

// TestValidateSaysWhatInChinese: each problem of a household or member
// has its own Chinese reason, not the generic sentence of its code (the
// API answered "户信息有1处错误：size 输入有误，请检查后重新提交").
func TestValidateSaysWhatInChinese(t *testing.T) {
	generic := ErrorMessageZH(&Error{Code: EINVALID})
	months := 13
	income := -1.0
	for _, c := range []struct {
		path, want string
		edit       func(h *Household)
	}{
		{"village_code", "行政村代码", func(h *Household) { h.VillageCode = "620723101" }},
		{"income_per_capita", "人均纯收入不能为负数", func(h *Household) { h.IncomePerCapita = &income }},
		{"size", "人数不能为负数", func(h *Household) { h.Size = -1 }},
		{"members[0].migrant_months", "务工时间应为0到12个月", func(h *Household) { h.Members[0].MigrantMonths = &months }},
	} {
		h := validHousehold()
		c.edit(h)
		ps := ErrorDetails(h.Validate())
		if len(ps) != 1 || ps[0].Path != c.path || ps[0].ReasonZH == generic || !strings.Contains(ps[0].ReasonZH, c.want) {
			t.Errorf("%s: %+v", c.path, ps)
		}
	}
	for _, code := range []string{"62072", "62072x", "000723"} {
		if _, err := NormalizeRegionCode(code); err == nil || ErrorMessageZH(err) == generic || !strings.Contains(ErrorMessageZH(err), "区划代码") {
			t.Errorf("region code %q: %v (%s)", code, err, ErrorMessageZH(err))
		}
	}
	if _, err := ParseGroup("poor"); err == nil || !strings.Contains(ErrorMessageZH(err), "未知的人群") {
		t.Errorf("unknown group: %v", err)
	}
}
