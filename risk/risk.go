// Package risk judges a household's loss and risk from a loss report: the
// projected per-capita reference income against the monitoring line, the
// basic needs (housing, water, schooling, medical care, food and
// clothing), the suggested monitoring type and risk types, and whether
// the green channel applies. It is pure: data and policy values in, an
// explained assessment out, no database.
package risk

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/zhangye-backstop/backstop"
)

// Keys are the policy keys an assessment reads (the monitoring line
// besides): the service looks each up for the household's region on the
// report date.
var Keys = []string{backstop.PolicyWaterStandard, backstop.PolicyCropClasses, backstop.PolicyMedicalShare, backstop.PolicySchoolAge,
	backstop.PolicyRiskTypes, backstop.PolicyDisasterSubItems, backstop.PolicyReasonWeights}

// WaterStandard is the four drinking-water indicators' limits.
type WaterStandard struct {
	Litres      float64 // at least, per person and day
	Quality     bool    // quality must be tested and pass
	TripMinutes float64 // at most, one trip for water
	OutageDays  float64 // at most, days without supply a year
}

// Policies are the policy values of an assessment, read from versions by
// FromVersions, each with the id of the version it came from.
type Policies struct {
	// Line is the monitoring line in force; nil when none is set for the
	// region and year (the assessment then says so, and never assumes one).
	Line        *float64
	LineID      int64
	Water       WaterStandard
	WaterID     int64
	Crop        backstop.CropClasses
	Medical     float64
	MedicalID   int64
	SchoolFrom  int
	SchoolTo    int
	SchoolID    int64
	RiskTypes   map[string]string // 100A27 code → name
	RiskTypesID int64
	SubItems    map[string]string // hazard code → 因自然灾害 sub-item
	SubItemsID  int64
	Weights     map[string]float64
	WeightsID   int64
}

// FromVersions reads the policy values from their versions (by key);
// line may be nil. A missing or malformed version is an error naming its
// key.
func FromVersions(line *backstop.Policy, versions map[string]*backstop.Policy) (Policies, error) {
	var p Policies
	if line != nil {
		v := line.Value
		p.Line, p.LineID = &v, line.ID
	}
	get := func(key string) (*backstop.Policy, error) {
		v := versions[key]
		if v == nil {
			return nil, backstop.Localized(backstop.EUNAVAILABLE, "缺少政策参数“%s”，无法评估风险", "Policy %s is missing: no assessment can be made.", key)
		}
		return v, nil
	}
	table := func(key string) (map[string]float64, int64, error) {
		v, err := get(key)
		if err != nil {
			return nil, 0, err
		}
		var t map[string]float64
		if err := json.Unmarshal(v.Data, &t); err != nil {
			return nil, 0, backstop.Localized(backstop.EINVALID, "政策参数“%s”（第%d版）不是数值表", "Policy %s (version %d) is not a table of numbers.", key, v.ID)
		}
		return t, v.ID, nil
	}
	list := func(key string) (map[string]string, int64, error) {
		v, err := get(key)
		if err != nil {
			return nil, 0, err
		}
		items, err := v.ListItems()
		if err != nil {
			return nil, 0, err
		}
		m := map[string]string{}
		for _, it := range items {
			m[it.Code] = it.ZH
		}
		return m, v.ID, nil
	}
	w, id, err := table(backstop.PolicyWaterStandard)
	if err != nil {
		return p, err
	}
	p.Water = WaterStandard{Litres: w["litres_per_person_day"], Quality: w["quality_tested"] != 0, TripMinutes: w["trip_minutes"], OutageDays: w["outage_days_per_year"]}
	p.WaterID = id
	c, id, err := table(backstop.PolicyCropClasses)
	if err != nil {
		return p, err
	}
	p.Crop = backstop.CropClasses{Affected: c["affected"], Damaged: c["damaged"], Failed: c["failed"], PolicyID: id}
	m, err := get(backstop.PolicyMedicalShare)
	if err != nil {
		return p, err
	}
	p.Medical, p.MedicalID = m.Value, m.ID
	s, id, err := table(backstop.PolicySchoolAge)
	if err != nil {
		return p, err
	}
	p.SchoolFrom, p.SchoolTo, p.SchoolID = int(s["from"]), int(s["to"]), id
	if p.RiskTypes, p.RiskTypesID, err = list(backstop.PolicyRiskTypes); err != nil {
		return p, err
	}
	if p.SubItems, p.SubItemsID, err = list(backstop.PolicyDisasterSubItems); err != nil {
		return p, err
	}
	if p.Weights, p.WeightsID, err = table(backstop.PolicyReasonWeights); err != nil {
		return p, err
	}
	return p, nil
}

// Input is what an assessment is made of: the household as registered
// (with its members), one loss report version, the event it is about
// (nil for a visit without one), and the report's date.
type Input struct {
	Household *backstop.Household
	Report    *backstop.LossReport
	Event     *backstop.DisasterEvent
	Date      time.Time
}

// Checklist item codes whose answers feed the basic-needs findings.
const (
	CheckHousing   = "housing_safety"
	CheckWater     = "water_safety"
	CheckEducation = "compulsory_education"
	CheckMedical   = "basic_medical"
	CheckFood      = "food_clothing"
)

// outOfSchool are the 在校生状况 values of a child not in school.
var outOfSchool = []string{"非在校生", "失学", "辍学", "失学辍学"}

// Risk type codes of 100A27 the assessment suggests.
const (
	riskIllness   = "100A27001"
	riskSchooling = "100A27002"
	riskHousing   = "100A27003"
	riskWater     = "100A27004"
	riskWork      = "100A27009"
)

// Assess judges one household from one loss report under the policies.
func Assess(in Input, p Policies) backstop.Assessment {
	h, r := in.Household, in.Report
	a := backstop.Assessment{HouseholdNumber: h.Number, VillageCode: h.VillageCode, LossReportID: r.ID, EventID: r.EventID,
		IncomePerCapita: h.IncomePerCapita, MonitoringLine: p.Line, ReportDate: in.Date.In(backstop.Beijing).Format(time.DateOnly),
		Reasons: []backstop.Reason{}, RiskTypes: []backstop.RiskType{}}
	a.People = max(h.Size, h.People, 1)
	people := float64(a.People)
	a.CropClass = p.Crop.Class(r.CropLossPct)
	if r.CropLossPct == 0 {
		a.CropClass = ""
	}

	// Income: the national model's reference income after the disaster.
	delta := r.Claims + r.Relief - r.CropLoss - r.LivestockLoss - r.ProductionLoss - r.WageLoss - r.MedicalPaid
	var projected float64
	if h.IncomePerCapita != nil {
		projected = round2(*h.IncomePerCapita + delta/people)
		a.ProjectedPerCapitaIncome = &projected
	} else {
		a.Notes = append(a.Notes, backstop.Reason{Code: backstop.NoteNoIncome, Source: "registry",
			Text: "户籍信息中没有人均纯收入，未测算收入", EN: "The registry has no per-capita income for the household: income was not projected."})
	}
	if p.Line == nil {
		a.Notes = append(a.Notes, backstop.Reason{Code: backstop.NoteNoLine, Source: "policy",
			Text: fmt.Sprintf("%d年本地区未设定防止返贫监测范围，未比较收入（请管理员添加当年监测范围）", in.Date.In(backstop.Beijing).Year()),
			EN:   fmt.Sprintf("No monitoring line is set for the region in %d: income was not compared (an admin adds the year's line).", in.Date.In(backstop.Beijing).Year())})
	}
	incomeBelow := false
	if a.ProjectedPerCapitaIncome != nil && p.Line != nil && projected < *p.Line {
		incomeBelow = true
		a.Reasons = append(a.Reasons, backstop.Reason{Code: backstop.ReasonIncome, Source: "loss_report",
			Text: fmt.Sprintf("灾后预计人均纯收入%s元，低于监测范围%s元（人均纯收入%s元，理赔%s元＋救助%s元－农作物损失%s元－畜禽损失%s元－生产设施损失%s元－务工减收%s元－合规自付医疗%s元，按%d人计）",
				yuan(projected), yuan(*p.Line), yuan(*h.IncomePerCapita), yuan(r.Claims), yuan(r.Relief), yuan(r.CropLoss), yuan(r.LivestockLoss), yuan(r.ProductionLoss), yuan(r.WageLoss), yuan(r.MedicalPaid), a.People),
			EN: fmt.Sprintf("Projected per-capita income %s yuan is below the monitoring line of %s yuan (income %s, claims %s + relief %s − crops %s − livestock %s − production %s − wages %s − medical %s, over %d people).",
				yuan(projected), yuan(*p.Line), yuan(*h.IncomePerCapita), yuan(r.Claims), yuan(r.Relief), yuan(r.CropLoss), yuan(r.LivestockLoss), yuan(r.ProductionLoss), yuan(r.WageLoss), yuan(r.MedicalPaid), a.People),
			Figures: map[string]float64{"income_per_capita": *h.IncomePerCapita, "projected_per_capita_income": projected, "monitoring_line": *p.Line, "people": people,
				"claims_yuan": r.Claims, "relief_yuan": r.Relief, "crop_loss_yuan": r.CropLoss, "livestock_loss_yuan": r.LivestockLoss, "production_loss_yuan": r.ProductionLoss,
				"wage_loss_yuan": r.WageLoss, "medical_self_paid_yuan": r.MedicalPaid}})
	}

	checkFails := func(code string) bool { ok, asked := r.Checklist[code]; return asked && !ok }

	// Housing: the report's damage, the registry's grade, the checklist.
	var zh, en []string
	figures := map[string]float64{}
	switch r.HouseDamage {
	case backstop.DamageCollapsed, backstop.DamageSevere:
		zh = append(zh, fmt.Sprintf("住房%s（%d间）", r.HouseDamage.ZH(), r.HouseRooms))
		en = append(en, fmt.Sprintf("the house is %s (%d rooms)", r.HouseDamage, r.HouseRooms))
		figures["house_rooms"] = float64(r.HouseRooms)
	}
	if g := h.HousingGrade; g == "C" || g == "D" {
		zh = append(zh, fmt.Sprintf("住房安全等级为%s级危房", g))
		en = append(en, fmt.Sprintf("the house is graded %s (unsafe)", g))
	}
	if checkFails(CheckHousing) {
		zh = append(zh, "走访核查住房不安全")
		en = append(en, "the visit found the house unsafe")
	}
	if len(zh) > 0 {
		a.Reasons = append(a.Reasons, backstop.Reason{Code: backstop.ReasonHousing, Source: "loss_report", Text: "住房安全无保障：" + strings.Join(zh, "；"),
			EN: "Housing is not safe: " + strings.Join(en, "; ") + ".", Figures: nonEmpty(figures)})
	}

	// Water: any of the four indicators failing.
	zh, en, figures = nil, nil, map[string]float64{}
	w := r.Water
	if w.LitresPerPersonDay != nil && *w.LitresPerPersonDay < p.Water.Litres {
		zh = append(zh, fmt.Sprintf("人均日供水量%g升，低于%g升", *w.LitresPerPersonDay, p.Water.Litres))
		en = append(en, fmt.Sprintf("%g litres per person and day, under %g", *w.LitresPerPersonDay, p.Water.Litres))
		figures["litres_per_person_day"], figures["standard_litres"] = *w.LitresPerPersonDay, p.Water.Litres
	}
	if p.Water.Quality && w.QualityOK != nil && !*w.QualityOK {
		zh = append(zh, "水质检测不达标")
		en = append(en, "the water quality test failed")
	}
	if w.TripMinutes != nil && *w.TripMinutes > p.Water.TripMinutes {
		zh = append(zh, fmt.Sprintf("单次取水往返%g分钟，超过%g分钟", *w.TripMinutes, p.Water.TripMinutes))
		en = append(en, fmt.Sprintf("one trip for water takes %g minutes, over %g", *w.TripMinutes, p.Water.TripMinutes))
		figures["trip_minutes"], figures["standard_trip_minutes"] = *w.TripMinutes, p.Water.TripMinutes
	}
	if w.OutageDays != nil && *w.OutageDays > p.Water.OutageDays {
		zh = append(zh, fmt.Sprintf("年停水%g天，超过%g天", *w.OutageDays, p.Water.OutageDays))
		en = append(en, fmt.Sprintf("%g days without water a year, over %g", *w.OutageDays, p.Water.OutageDays))
		figures["outage_days"], figures["standard_outage_days"] = *w.OutageDays, p.Water.OutageDays
	}
	if checkFails(CheckWater) {
		zh = append(zh, "走访核查饮水不安全")
		en = append(en, "the visit found drinking water unsafe")
	}
	waterFails := len(zh) > 0
	if waterFails {
		a.Reasons = append(a.Reasons, backstop.Reason{Code: backstop.ReasonWater, Source: "loss_report", Text: "饮水安全无保障：" + strings.Join(zh, "；"),
			EN: "Drinking water is not safe: " + strings.Join(en, "; ") + ".", Figures: nonEmpty(figures)})
	}

	// Schooling: a child of compulsory-school age out of school.
	zh, en = nil, nil
	for _, m := range h.Members {
		birth, ok := backstop.ParseISODate(m.BirthDate)
		if !ok || !slices.Contains(outOfSchool, m.SchoolStatus) {
			continue
		}
		age := ageOn(birth, in.Date)
		if age >= p.SchoolFrom && age <= p.SchoolTo {
			zh = append(zh, fmt.Sprintf("%s（%d周岁）%s", m.Name, age, m.SchoolStatus))
			en = append(en, fmt.Sprintf("%s (aged %d) is not in school", m.Name, age))
		}
	}
	if checkFails(CheckEducation) {
		zh = append(zh, "走访核查有义务教育阶段适龄儿童少年失学辍学")
		en = append(en, "the visit found a child of compulsory-school age out of school")
	}
	if len(zh) > 0 {
		a.Reasons = append(a.Reasons, backstop.Reason{Code: backstop.ReasonSchooling, Source: "registry", Text: "义务教育无保障：" + strings.Join(zh, "；"),
			EN:      "Compulsory schooling is not secured: " + strings.Join(en, "; ") + ".",
			Figures: map[string]float64{"school_age_from": float64(p.SchoolFrom), "school_age_to": float64(p.SchoolTo)}})
	}

	// Medical: a member without basic insurance, or costs above the share.
	zh, en, figures = nil, nil, map[string]float64{}
	if r.UninsuredMembers > 0 {
		zh = append(zh, fmt.Sprintf("%d人未参加基本医疗保险", r.UninsuredMembers))
		en = append(en, fmt.Sprintf("%d member(s) without basic medical insurance", r.UninsuredMembers))
		figures["uninsured_members"] = float64(r.UninsuredMembers)
	}
	if r.MedicalPaid > 0 && h.IncomePerCapita != nil {
		income := *h.IncomePerCapita * people
		if r.MedicalPaid > p.Medical*income {
			zh = append(zh, fmt.Sprintf("合规自付医疗费用%s元，超过家庭纯收入%s元的%g%%", yuan(r.MedicalPaid), yuan(income), p.Medical*100))
			en = append(en, fmt.Sprintf("compliant self-paid medical costs of %s yuan are over %g%% of the household's net income of %s yuan", yuan(r.MedicalPaid), p.Medical*100, yuan(income)))
			figures["medical_self_paid_yuan"], figures["household_income"], figures["share"] = r.MedicalPaid, income, p.Medical
		}
	}
	if checkFails(CheckMedical) {
		zh = append(zh, "走访核查基本医疗无保障")
		en = append(en, "the visit found basic medical care not secured")
	}
	if len(zh) > 0 {
		a.Reasons = append(a.Reasons, backstop.Reason{Code: backstop.ReasonMedical, Source: "loss_report", Text: "基本医疗无保障：" + strings.Join(zh, "；"),
			EN: "Basic medical care is not secured: " + strings.Join(en, "; ") + ".", Figures: nonEmpty(figures)})
	}

	// Food and clothing: the checklist answer.
	if (r.FoodClothingOK != nil && !*r.FoodClothingOK) || checkFails(CheckFood) {
		a.Reasons = append(a.Reasons, backstop.Reason{Code: backstop.ReasonBasicNeeds, Source: "checklist", Text: "走访核查吃穿存在困难（“两不愁”未保障）",
			EN: "The visit found the household short of food or clothing."})
	}

	// Answers of other checklist items that found a problem are kept as
	// notes, for the officer who reads the assessment.
	var other []string
	for code, ok := range r.Checklist {
		switch code {
		case CheckHousing, CheckWater, CheckEducation, CheckMedical, CheckFood:
			continue
		}
		if !ok {
			other = append(other, code)
		}
	}
	sort.Strings(other)
	for _, code := range other {
		a.Notes = append(a.Notes, backstop.Reason{Code: "checklist:" + code, Source: "checklist", Text: "必查项“" + code + "”发现问题", EN: "Checklist item " + code + " found a problem."})
	}

	a.AtRisk = len(a.Reasons) > 0
	a.DisasterCaused = in.Event != nil && hasLoss(r, p, waterFails)
	for _, rs := range a.Reasons {
		a.Score += p.Weights[rs.Code]
	}
	if incomeBelow && *p.Line > 0 {
		a.Score += math.Min(1, (*p.Line-projected) / *p.Line) * p.Weights[backstop.ReasonIncome]
	}
	a.Score = round2(a.Score)

	if a.AtRisk {
		switch {
		case h.Type == backstop.HouseholdTypeFormerlyPoor:
			a.SuggestedMonitorType = backstop.MonitorUnstable
		case incomeBelow && !a.DisasterCaused:
			a.SuggestedMonitorType = backstop.MonitorMarginal
		case a.DisasterCaused && !incomeBelow:
			a.SuggestedMonitorType = backstop.MonitorSuddenHardship
		case incomeBelow:
			a.SuggestedMonitorType = backstop.MonitorMarginal
		default:
			a.SuggestedMonitorType = backstop.MonitorSuddenHardship
		}
		a.RiskTypes = riskTypes(&a, in, p, incomeBelow)
	}
	switch {
	case !a.AtRisk:
		a.GreenChannelWhy = "未发现风险，不适用绿色通道"
	case !a.DisasterCaused:
		a.GreenChannelWhy = "风险并非因灾造成，按正常程序识别"
	case !r.Verified():
		a.GreenChannelWhy = "因灾风险明确，待乡镇核实灾损报告后可走绿色通道"
	default:
		a.GreenChannel = true
		a.GreenChannelWhy = "因灾风险明确且灾损报告已经乡镇核实：可先帮扶、后履行识别程序"
	}
	a.PolicyIDs = policyIDs(p)
	return a
}

// riskTypes suggests up to five 100A27 types, the disaster first.
func riskTypes(a *backstop.Assessment, in Input, p Policies, incomeBelow bool) []backstop.RiskType {
	var out []backstop.RiskType
	add := func(code, sub, note string) {
		if len(out) < backstop.MaxRiskTypes {
			out = append(out, backstop.RiskType{Code: code, Name: p.RiskTypes[code], SubItem: sub, Note: note})
		}
	}
	if a.DisasterCaused {
		sub := p.SubItems[string(in.Event.Hazard)]
		if sub == "" {
			sub = p.SubItems[string(backstop.HazardOther)]
		}
		note := in.Event.Title
		if hz, ok := backstop.HazardOf(in.Event.Hazard); ok && note == "" {
			note = hz.ZH
		}
		add(backstop.RiskNaturalDisaster, sub, note)
	}
	if a.HasReason(backstop.ReasonHousing) {
		add(riskHousing, "", "")
	}
	if a.HasReason(backstop.ReasonWater) {
		add(riskWater, "", "")
	}
	if a.HasReason(backstop.ReasonMedical) {
		add(riskIllness, "", "")
	}
	if a.HasReason(backstop.ReasonSchooling) {
		add(riskSchooling, "", "")
	}
	if incomeBelow && in.Report.WageLoss > 0 {
		add(riskWork, "", "")
	}
	return out
}

// hasLoss tells whether a report records any loss from the disaster.
func hasLoss(r *backstop.LossReport, p Policies, waterFails bool) bool {
	return r.HouseDamage != backstop.DamageNone || r.CropLoss > 0 || (r.CropLossPct > 0 && r.CropLossPct >= p.Crop.Affected) || r.LivestockLoss > 0 ||
		r.LivestockHead > 0 || r.ProductionLoss > 0 || r.WageLoss > 0 || r.HouseLoss > 0 || waterFails || r.Relocated > 0 || r.ReliefNeeded > 0
}

func policyIDs(p Policies) []int64 {
	var ids []int64
	for _, id := range []int64{p.LineID, p.WaterID, p.Crop.PolicyID, p.MedicalID, p.SchoolID, p.RiskTypesID, p.SubItemsID, p.WeightsID} {
		if id != 0 && !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}

// ageOn is the age in whole years on a date.
func ageOn(birth, on time.Time) int {
	on = on.In(backstop.Beijing)
	age := on.Year() - birth.Year()
	if on.Month() < birth.Month() || (on.Month() == birth.Month() && on.Day() < birth.Day()) {
		age--
	}
	return age
}

func round2(v float64) float64 { return math.Round(v*100) / 100 }

// yuan writes an amount without needless decimals.
func yuan(v float64) string {
	if v == math.Trunc(v) {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.2f", v)
}

func nonEmpty(m map[string]float64) map[string]float64 {
	if len(m) == 0 {
		return nil
	}
	return m
}

// Diff says what a re-evaluation changes in a stored assessment, in
// Chinese and English, one line per difference.
func Diff(stored, now *backstop.Assessment) (zh, en []string) {
	if stored.AtRisk != now.AtRisk {
		zh = append(zh, fmt.Sprintf("是否存在风险：%s → %s", yesNo(stored.AtRisk), yesNo(now.AtRisk)))
		en = append(en, fmt.Sprintf("at risk: %t → %t", stored.AtRisk, now.AtRisk))
	}
	if f := func(p *float64) string {
		if p == nil {
			return "未设定"
		}
		return yuan(*p)
	}; f(stored.MonitoringLine) != f(now.MonitoringLine) {
		zh = append(zh, fmt.Sprintf("监测范围：%s → %s", f(stored.MonitoringLine), f(now.MonitoringLine)))
		en = append(en, fmt.Sprintf("monitoring line: %s → %s", f(stored.MonitoringLine), f(now.MonitoringLine)))
	}
	codes := func(a *backstop.Assessment) []string {
		var out []string
		for _, r := range a.Reasons {
			out = append(out, r.Code)
		}
		return out
	}
	before, after := codes(stored), codes(now)
	for _, c := range after {
		if !slices.Contains(before, c) {
			zh = append(zh, "新增原因："+c)
			en = append(en, "new reason: "+c)
		}
	}
	for _, c := range before {
		if !slices.Contains(after, c) {
			zh = append(zh, "不再成立的原因："+c)
			en = append(en, "reason no longer found: "+c)
		}
	}
	if stored.SuggestedMonitorType != now.SuggestedMonitorType {
		zh = append(zh, fmt.Sprintf("建议监测类型：%s → %s", orNone(stored.SuggestedMonitorType), orNone(now.SuggestedMonitorType)))
		en = append(en, fmt.Sprintf("suggested monitoring type: %s → %s", orNone(stored.SuggestedMonitorType), orNone(now.SuggestedMonitorType)))
	}
	if stored.GreenChannel != now.GreenChannel {
		zh = append(zh, fmt.Sprintf("绿色通道：%s → %s", yesNo(stored.GreenChannel), yesNo(now.GreenChannel)))
		en = append(en, fmt.Sprintf("green channel: %t → %t", stored.GreenChannel, now.GreenChannel))
	}
	if !slices.Equal(stored.PolicyIDs, now.PolicyIDs) {
		zh = append(zh, fmt.Sprintf("所用政策版本：%v → %v", stored.PolicyIDs, now.PolicyIDs))
		en = append(en, fmt.Sprintf("policy versions: %v → %v", stored.PolicyIDs, now.PolicyIDs))
	}
	return zh, en
}

func yesNo(b bool) string {
	if b {
		return "是"
	}
	return "否"
}

func orNone(s string) string {
	if s == "" {
		return "无"
	}
	return s
}

// WaterStandardOf reads the water standard from its policy version.
func WaterStandardOf(p *backstop.Policy) (WaterStandard, error) {
	var t map[string]float64
	if err := json.Unmarshal(p.Data, &t); err != nil {
		return WaterStandard{}, backstop.Localized(backstop.EINVALID, "政策参数“%s”（第%d版）不是数值表", "Policy %s (version %d) is not a table of numbers.", p.Key, p.ID)
	}
	return WaterStandard{Litres: t["litres_per_person_day"], Quality: t["quality_tested"] != 0, TripMinutes: t["trip_minutes"], OutageDays: t["outage_days_per_year"]}, nil
}

// Failures lists, in Chinese, the indicators of a water check that fail
// the standard (a missing figure is not judged).
func (s WaterStandard) Failures(w backstop.WaterCheck) []string {
	out := []string{}
	if w.LitresPerPersonDay != nil && *w.LitresPerPersonDay < s.Litres {
		out = append(out, fmt.Sprintf("人均日供水量%g升，低于%g升", *w.LitresPerPersonDay, s.Litres))
	}
	if s.Quality && w.QualityOK != nil && !*w.QualityOK {
		out = append(out, "水质检测不达标")
	}
	if w.TripMinutes != nil && *w.TripMinutes > s.TripMinutes {
		out = append(out, fmt.Sprintf("单次取水往返%g分钟，超过%g分钟", *w.TripMinutes, s.TripMinutes))
	}
	if w.OutageDays != nil && *w.OutageDays > s.OutageDays {
		out = append(out, fmt.Sprintf("年停水%g天，超过%g天", *w.OutageDays, s.OutageDays))
	}
	return out
}
