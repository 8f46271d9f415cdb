package backstop

import (
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Longest text accepted in a household's or a member's fields, in
// characters. The roster import and the API's writes check the same
// limits; codes and numbers have exact forms instead (12-digit village
// codes, 18-character ID numbers, dates as YYYY-MM-DD, numbers of at most
// 30 digits).
const (
	// MaxNameLength bounds a person's name (姓名, 帮扶责任人): Chinese names
	// have 2–4 characters, transliterated minority names about 20.
	MaxNameLength = 50
	// MaxPlaceNameLength bounds a place name (自然村; county, township and
	// village names as a roster gives them).
	MaxPlaceNameLength = 50
	// MaxShortTextLength bounds the free-text columns that hold one short
	// value (与户主关系, 民族, 文化程度, 在校生状况, 劳动技能, 户类型, 房屋结构,
	// 主要生计, 饮水水源).
	MaxShortTextLength = 30
	// MaxDescriptionLength bounds the columns that may list several
	// values (健康状况, 致贫原因).
	MaxDescriptionLength = 200
	// MaxPhoneInputLength bounds a phone number as typed, before spaces,
	// dashes and +86 are removed.
	MaxPhoneInputLength = 32
	// MaxNumberLength bounds household and person numbers (digits).
	MaxNumberLength = 30
)

// CheckLength refuses text longer than max characters. It costs one
// comparison for text whose bytes are within max, as almost all is.
func CheckLength(v string, max int) error {
	if len(v) <= max {
		return nil
	}
	if n := utf8.RuneCountInString(v); n > max {
		return Localized(ETOOLARGE, "过长：有%d个字符，上限为%d个", "is too long: %d characters, the limit is %d", n, max)
	}
	return nil
}

// checkDate accepts an empty date or YYYY-MM-DD.
func checkDate(v string) error {
	if v == "" {
		return nil
	}
	if _, ok := ParseISODate(v); !ok {
		return Localized(EINVALID, "应为YYYY-MM-DD格式的日期，不是“%s”", "must be a date as YYYY-MM-DD, not %q", MaskCell(v))
	}
	return nil
}

// Value lists of the roster's coded columns. Free-text columns (ethnicity,
// education …) are stored as given.
var (
	MonitorTypes      = []string{MonitorUnstable, MonitorMarginal, MonitorSuddenHardship}
	AssistanceValues  = []string{string(SocialDibao), string(SocialTekunDispersed), string(SocialTekunConcentrated)}
	HousingGrades     = []string{"A", "B", "C", "D"}
	HousingStructures = []string{"钢混", "砖混", "砖木", "土木", "其他"}
	Livelihoods       = []string{"种植业", "养殖业", "设施农业", "务工", "个体经营", "其他"}
	WaterSources      = []string{"集中供水", "分散供水"}
)

func oneOf(v string, list []string) bool {
	for _, s := range list {
		if s == v {
			return true
		}
	}
	return false
}

var fullWidthGrades = strings.NewReplacer("Ａ", "A", "Ｂ", "B", "Ｃ", "C", "Ｄ", "D")

// NormalizeHousingGrade accepts A–D in either width and an optional 级.
func NormalizeHousingGrade(v string) (string, error) {
	g := strings.TrimSuffix(strings.TrimSpace(v), "级")
	g = fullWidthGrades.Replace(strings.ToUpper(g))
	if g == "" || oneOf(g, HousingGrades) {
		return g, nil
	}
	return "", Localized(EINVALID, "住房安全等级应为A、B、C或D，不是“%s”", "housing safety grade must be A, B, C or D, not %q", MaskCell(v))
}

// ValidateMonitorType accepts the three monitored-household types or "".
func ValidateMonitorType(v string) error {
	if v == "" || oneOf(v, MonitorTypes) {
		return nil
	}
	return Localized(EINVALID, "监测对象类型应为%s之一，不是“%s”", "monitoring type must be one of %s, not %q", strings.Join(MonitorTypes, "、"), MaskCell(v))
}

// ValidateAssistance accepts 低保, 分散供养特困, 集中供养特困 or "".
func ValidateAssistance(a SocialAssistance) error {
	v := string(a)
	if v == "" || oneOf(v, AssistanceValues) {
		return nil
	}
	return Localized(EINVALID, "低保特困应为%s之一或留空，不是“%s”", "social assistance must be one of %s or empty, not %q", strings.Join(AssistanceValues, "、"), MaskCell(v))
}

// ValidateLocation checks a dwelling position: inside China, and not
// latitude and longitude swapped.
func ValidateLocation(p Point) error {
	if math.Abs(p.Lon) > 180 || math.Abs(p.Lat) > 180 {
		// Not degrees at all (a number typed into the wrong column, which
		// may be a phone or ID number): not quoted.
		return Localized(EINVALID, "经纬度不是有效的度数（经度在-180到180之间，纬度在-90到90之间）", "longitude and latitude are not degrees (longitude -180 to 180, latitude -90 to 90)")
	}
	if !p.InChina() {
		if (Point{Lon: p.Lat, Lat: p.Lon}).InChina() {
			return Localized(EINVALID, "经度%.6f与纬度%.6f似乎填反了", "longitude %.6f and latitude %.6f look swapped", p.Lon, p.Lat)
		}
		return Localized(EINVALID, "坐标%.6f, %.6f不在中国境内", "position %.6f, %.6f is outside China", p.Lon, p.Lat)
	}
	return nil
}

// Validate checks a household as given over the API; the roster import
// checks the same rules cell by cell.
func (h *Household) Validate() error {
	var probs []Problem
	add := func(field string, err error) {
		if err != nil {
			p := ProblemFrom(0, "", err)
			p.Path = field
			probs = append(probs, p)
		}
	}
	if !isDigits(h.Number) || len(h.Number) > MaxNumberLength {
		add("number", Localized(EINVALID, "户编号应为1到30位数字", "household number must be 1 to 30 digits"))
	}
	for _, f := range []struct {
		path string
		v    string
		max  int
	}{
		{"natural_village", h.NaturalVillage, MaxPlaceNameLength},
		{"county", h.CountyName, MaxPlaceNameLength},
		{"township", h.TownshipName, MaxPlaceNameLength},
		{"village", h.VillageName, MaxPlaceNameLength},
		{"head_name", h.HeadName, MaxNameLength},
		{"type", h.Type, MaxShortTextLength},
		{"housing_structure", h.HousingStructure, MaxShortTextLength},
		{"livelihood", h.Livelihood, MaxShortTextLength},
		{"water_source", h.WaterSource, MaxShortTextLength},
		{"helper_name", h.HelperName, MaxNameLength},
	} {
		add(f.path, CheckLength(f.v, f.max))
	}
	add("data_date", checkDate(h.DataDate))
	add("risk_identified_on", checkDate(h.RiskIdentifiedOn))
	add("risk_cleared_on", checkDate(h.RiskClearedOn))
	if len(h.VillageCode) != 12 || LevelOfCode(h.VillageCode) != LevelVillage || !isDigits(h.VillageCode) {
		add("village_code", Localized(EINVALID, "行政村代码应为村一级的12位区划代码", "village code must be a 12-digit village code"))
	}
	add("monitor_type", ValidateMonitorType(h.MonitorType))
	add("assistance", ValidateAssistance(h.SocialAssistance))
	if g, err := NormalizeHousingGrade(h.HousingGrade); err != nil {
		add("housing_grade", err)
	} else {
		h.HousingGrade = g
	}
	if h.Location != nil {
		add("location", ValidateLocation(*h.Location))
	}
	for _, f := range []struct {
		name string
		v    *string
	}{{"phone", &h.Phone}, {"helper_phone", &h.HelperPhone}} {
		if *f.v != "" {
			p, err := ValidatePhone(*f.v)
			add(f.name, err)
			*f.v = p
		}
	}
	if h.IncomePerCapita != nil && *h.IncomePerCapita < 0 {
		add("income_per_capita", Localized(EINVALID, "人均纯收入不能为负数", "income must not be negative"))
	}
	if h.Size < 0 {
		add("size", Localized(EINVALID, "人数不能为负数", "size must not be negative"))
	}
	for i, m := range h.Members {
		for _, p := range ErrorDetails(m.Validate()) {
			p.Path = "members[" + itoa(i) + "]." + p.Path
			probs = append(probs, p)
		}
	}
	return problemsError("household", probs)
}

// Validate checks a member and fills its derived fields (birth date,
// disability).
func (m *Member) Validate() error {
	var probs []Problem
	add := func(field string, err error) {
		if err != nil {
			p := ProblemFrom(0, "", err)
			p.Path = field
			probs = append(probs, p)
		}
	}
	if !isDigits(m.Number) || len(m.Number) > MaxNumberLength {
		add("number", Localized(EINVALID, "人编号应为1到30位数字", "person number must be 1 to 30 digits"))
	}
	if strings.TrimSpace(m.Name) == "" {
		add("name", Localized(EINVALID, "姓名不能为空", "name is required"))
	}
	for _, f := range []struct {
		path string
		v    string
		max  int
	}{
		{"name", m.Name, MaxNameLength},
		{"relation", m.Relation, MaxShortTextLength},
		{"ethnicity", m.Ethnicity, MaxShortTextLength},
		{"education", m.Education, MaxShortTextLength},
		{"school_status", m.SchoolStatus, MaxShortTextLength},
		{"health", m.Health, MaxDescriptionLength},
		{"labour", m.Labour, MaxShortTextLength},
		{"poverty_cause", m.PovertyCause, MaxDescriptionLength},
	} {
		add(f.path, CheckLength(f.v, f.max))
	}
	if m.HouseholdNumber != "" && (!isDigits(m.HouseholdNumber) || len(m.HouseholdNumber) > MaxNumberLength) {
		add("household_number", Localized(EINVALID, "户编号应为1到30位数字", "household number must be 1 to 30 digits"))
	}
	add("first_identified_on", checkDate(m.FirstIdentified))
	add("identified_on", checkDate(m.Identified))
	if id, birth, err := ValidateIDNumber(m.IDNumber); err != nil {
		add("id_number", err)
	} else {
		m.IDNumber, m.BirthDate = id, birth.Format("2006-01-02")
	}
	if m.Phone != "" {
		p, err := ValidatePhone(m.Phone)
		add("phone", err)
		m.Phone = p
	}
	if m.MigrantMonths != nil && (*m.MigrantMonths < 0 || *m.MigrantMonths > 12) {
		add("migrant_months", Localized(EINVALID, "务工时间应为0到12个月", "months of migrant work must be 0 to 12"))
	}
	m.Disabled = strings.Contains(m.Health, HealthDisabled)
	return problemsError("member", probs)
}

func problemsError(what string, probs []Problem) error {
	if len(probs) == 0 {
		return nil
	}
	msg := "The " + what + " has " + itoa(len(probs)) + " problem(s): " + probs[0].String()
	whatZH := "户信息"
	if what == "member" {
		whatZH = "人员信息"
	}
	first := probs[0].ReasonZH
	if first == "" {
		first = probs[0].Reason
	}
	zh := whatZH + "有" + itoa(len(probs)) + "处错误：" + probs[0].Path + " " + first
	return &Error{Code: EINVALID, Message: msg, ZH: zh, Details: probs}
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func itoa(n int) string { return strconv.Itoa(n) }
