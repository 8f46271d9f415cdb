package roster

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/zhangye-backstop/backstop"
)

// rowParser turns cells into a household and a member, collecting every
// problem of the row (not only the first).
type rowParser struct {
	l        *layout
	row      int
	cells    []string
	problems []backstop.Problem
	// outside: the row names a village or a number outside the user's
	// region, which makes the import a write outside it (403).
	outside bool
	// maskedID is set when the row's ID number is masked (has a *): the
	// file is a masked export.
	maskedID bool
}

// fail records a problem of the row. Values quoted in it are masked where
// the message is built (backstop.MaskCell); MaskPersonalNumbers is the
// last guard that no phone or ID number shows whole.
func (p *rowParser) fail(c Column, zh, en string, args ...any) {
	p.failErr(c, backstop.Localized(backstop.EINVALID, zh, en, args...))
}

func (p *rowParser) failErr(c Column, err error) {
	pr := backstop.ProblemFrom(p.row, p.l.name(c), err)
	pr.Reason, pr.ReasonZH = backstop.MaskPersonalNumbers(pr.Reason), backstop.MaskPersonalNumbers(pr.ReasonZH)
	p.problems = append(p.problems, pr)
}

func (p *rowParser) text(c Column) string { return p.l.cell(p.cells, c) }

// field reads a text column, refusing text longer than the column's
// limit: a length comparison for nearly every cell.
func (p *rowParser) field(c Column) string {
	v := p.l.cell(p.cells, c)
	if max := columns[c].max; len(v) > max && max > 0 {
		if err := backstop.CheckLength(v, max); err != nil {
			p.failErr(c, err)
			return ""
		}
	}
	return v
}

// shown is a cell as a problem quotes it: masked and shortened.
func shown(v string) string { return backstop.MaskCell(v) }

// scientific reports a number Excel stored in floating point and printed in
// E notation: its digits are lost.
func scientific(v string) bool {
	return strings.ContainsAny(v, "Ee") && strings.ContainsAny(v, "+") && strings.Trim(v, "0123456789.Ee+-") == ""
}

// digits reads a key column (household or person number).
func (p *rowParser) digits(c Column, required bool) string {
	v := p.text(c)
	switch {
	case v == "":
		if required {
			p.fail(c, "不能为空", "is required")
		}
		return ""
	case scientific(v):
		p.fail(c, "“%s”被Excel存成了数字，位数已丢失：请将该列设为文本格式后重新填写", "%q was stored by Excel as a number and lost digits: format the column as text and enter it again", shown(v))
		return ""
	}
	v = strings.TrimSuffix(v, ".0")
	for i := 0; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' {
			p.fail(c, "应只包含数字，不是“%s”", "must contain only digits, not %q", shown(v))
			return ""
		}
	}
	if len(v) > backstop.MaxNumberLength {
		p.fail(c, "超过%d位", "is longer than %d digits", backstop.MaxNumberLength)
		return ""
	}
	return v
}

func (p *rowParser) number(c Column) *float64 {
	v := strings.ReplaceAll(p.text(c), ",", "")
	v = strings.TrimSuffix(strings.TrimSuffix(v, "元"), "¥")
	if v == "" {
		return nil
	}
	f, err := 0.0, strconv.ErrRange // no amount or coordinate is longer
	if len(v) <= 64 {
		f, err = strconv.ParseFloat(v, 64)
	}
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		p.fail(c, "应为数字，不是“%s”", "must be a number, not %q", shown(p.text(c)))
		return nil
	}
	return &f
}

func (p *rowParser) integer(c Column, lo, hi int) *int {
	f := p.number(c)
	if f == nil {
		return nil
	}
	if *f != math.Trunc(*f) || *f < float64(lo) || *f > float64(hi) {
		p.fail(c, "应为%d到%d之间的整数，不是“%s”", "must be a whole number from %d to %d, not %q", lo, hi, shown(p.text(c)))
		return nil
	}
	i := int(*f)
	return &i
}

func (p *rowParser) yesNo(c Column) *bool {
	switch v := p.text(c); v {
	case "":
		return nil
	case "是", "Y", "y", "1", "TRUE", "true":
		t := true
		return &t
	case "否", "N", "n", "0", "FALSE", "false":
		f := false
		return &f
	default:
		p.fail(c, "应填“是”或“否”，不是“%s”", "must be 是 or 否, not %q", shown(v))
		return nil
	}
}

// excelEpoch is day 0 of Excel's 1900 date system as Excel counts it (it
// believes 1900 was a leap year, so serials after February 1900 start from
// 30 December 1899).
var excelEpoch = time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)

var dateLayouts = []string{"2006-01-02", "2006/1/2", "2006-1-2", "2006.1.2", "20060102", "2006年1月2日", "2006-01-02 15:04:05", "2006/1/2 15:04:05", "2006-01", "2006/1", "2006年1月"}

func (p *rowParser) date(c Column) string {
	v := p.text(c)
	if v == "" {
		return ""
	}
	if _, ok := backstop.ParseISODate(v); ok {
		return v // already in the form stored
	}
	if len(v) > 32 {
		p.fail(c, "不是可识别的日期“%s”（应为2006-01-02格式）", "%q is not a date (write 2006-01-02)", shown(v))
		return ""
	}
	for _, layout := range dateLayouts {
		if t, err := time.Parse(layout, v); err == nil && t.Year() >= 1900 && t.Year() <= 2100 {
			return t.Format("2006-01-02")
		}
	}
	// An xlsx date cell read raw is a serial day number.
	if f, err := strconv.ParseFloat(v, 64); err == nil && f >= 61 && f < 80000 && len(v) <= 12 {
		return excelEpoch.AddDate(0, 0, int(f)).Format("2006-01-02")
	}
	p.fail(c, "不是可识别的日期“%s”（应为2006-01-02格式）", "%q is not a date (write 2006-01-02)", shown(v))
	return ""
}

func (p *rowParser) phone(c Column) string {
	v := p.text(c)
	if v == "" {
		return ""
	}
	if scientific(v) {
		p.fail(c, "电话号码被Excel存成了数字，位数已丢失", "phone number was stored by Excel as a number and lost digits")
		return ""
	}
	ph, err := backstop.ValidatePhone(strings.TrimSuffix(v, ".0"))
	if err != nil {
		if strings.Contains(v, "*") {
			p.fail(c, "电话号码已脱敏（含*），不能导入：请导入含完整电话的名单", "the phone number is masked (has *) and cannot be imported: import a list with full phone numbers")
		} else {
			p.failErr(c, err)
		}
		return ""
	}
	return ph
}

// parsed is one roster row turned into domain values.
type parsed struct {
	household *backstop.Household
	member    *backstop.Member
	// householdCells are the row's household-level cells, to compare with
	// the household's other rows.
	householdCells [numColumns]string
}

// householdCellsOf copies the row's household-level cells.
func (p *rowParser) householdCellsOf(out *[numColumns]string) {
	for c := Column(0); c < numColumns; c++ {
		if columns[c].household {
			out[c] = p.text(c)
		}
	}
}

// household reads the row's household-level cells.
func (p *rowParser) household(number string) *backstop.Household {
	h := &backstop.Household{
		Number:             number,
		NaturalVillage:     p.field(ColNaturalVillage),
		Type:               p.field(ColHouseholdType),
		MonitorType:        p.text(ColMonitorType),
		RiskCleared:        p.yesNo(ColRiskCleared),
		IncomePerCapita:    p.number(ColIncome),
		DangerousHouse:     p.yesNo(ColDangerousHouse),
		SafeWater:          p.yesNo(ColSafeWater),
		Phone:              p.phone(ColHouseholdPhone),
		HousingStructure:   p.field(ColHousingStructure),
		RelocationHighRise: p.yesNo(ColRelocation),
		Livelihood:         p.field(ColLivelihood),
		WaterSource:        p.field(ColWaterSource),
		SocialAssistance:   backstop.SocialAssistance(p.text(ColAssistance)),
		HelperName:         p.field(ColHelper),
		HelperPhone:        p.phone(ColHelperPhone),
		DataDate:           p.date(ColDataDate),
		RiskIdentifiedOn:   p.date(ColRiskIdentified),
		RiskClearedOn:      p.date(ColRiskClearedOn),
	}
	if n := p.integer(ColSize, 0, 99); n != nil {
		h.Size = *n
	}
	if h.IncomePerCapita != nil && *h.IncomePerCapita < 0 {
		p.fail(ColIncome, "不能为负数", "must not be negative")
	}
	if err := backstop.ValidateMonitorType(h.MonitorType); err != nil {
		p.failErr(ColMonitorType, err)
	}
	if err := backstop.ValidateAssistance(h.SocialAssistance); err != nil {
		p.failErr(ColAssistance, err)
	}
	if g, err := backstop.NormalizeHousingGrade(p.text(ColHousingGrade)); err != nil {
		p.failErr(ColHousingGrade, err)
	} else {
		h.HousingGrade = g
	}
	lon, lat := p.number(ColLon), p.number(ColLat)
	switch {
	case lon != nil && lat != nil:
		pt := backstop.Point{Lon: *lon, Lat: *lat}
		if err := backstop.ValidateLocation(pt); err != nil {
			p.failErr(ColLon, err)
		} else {
			h.Location = &pt
		}
	case lon != nil:
		p.fail(ColLat, "填了经度就必须填纬度", "is required when 经度 is given")
	case lat != nil:
		p.fail(ColLon, "填了纬度就必须填经度", "is required when 纬度 is given")
	}
	return h
}

// member reads the row's person-level cells; h gives the household number
// and the phone used when the person has none.
func (p *rowParser) member(h *backstop.Household) *backstop.Member {
	m := &backstop.Member{
		Number:          p.digits(ColPersonNumber, true),
		HouseholdNumber: h.Number,
		Name:            p.field(ColName),
		Relation:        p.field(ColRelation),
		Ethnicity:       p.field(ColEthnicity),
		Education:       p.field(ColEducation),
		SchoolStatus:    p.field(ColSchoolStatus),
		Health:          p.field(ColHealth),
		Labour:          p.field(ColLabour),
		MigrantMonths:   p.integer(ColMigrantMonths, 0, 12),
		IllnessInsured:  p.yesNo(ColIllnessInsured),
		PovertyCause:    p.field(ColPovertyCause),
		Phone:           p.phone(ColPersonPhone),
		FirstIdentified: p.date(ColFirstIdentified),
		Identified:      p.date(ColIdentified),
	}
	if m.Phone == "" {
		// The row's 户联系电话 is the person's number when 人联系电话 is empty.
		m.Phone = h.Phone
	}
	if m.Name == "" && p.text(ColName) == "" {
		p.fail(ColName, "不能为空", "is required")
	}
	switch id := p.text(ColIDNumber); {
	case id == "":
		p.fail(ColIDNumber, "不能为空", "is required")
	case scientific(id):
		p.fail(ColIDNumber, "证件号码被Excel存成了数字，位数已丢失：请将该列设为文本格式", "the ID number was stored by Excel as a number and lost digits: format the column as text")
	default:
		norm, birth, err := backstop.ValidateIDNumber(id)
		if err != nil {
			p.maskedID = strings.Contains(id, "*")
			p.failErr(ColIDNumber, err)
		} else {
			m.IDNumber, m.BirthDate = norm, birth.Format("2006-01-02")
		}
	}
	m.Disabled = strings.Contains(m.Health, backstop.HealthDisabled)
	return m
}
