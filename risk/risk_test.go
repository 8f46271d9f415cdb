package risk

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/zhangye-backstop/backstop"
)

func ptr[T any](v T) *T { return &v }

// policies are the seeded defaults (migration 0012) with a line of 7,800.
func policies(line *float64) Policies {
	return Policies{Line: line, LineID: 11, Water: WaterStandard{Litres: 35, Quality: true, TripMinutes: 20, OutageDays: 36}, WaterID: 21,
		Crop: backstop.CropClasses{Affected: 10, Damaged: 30, Failed: 80, PolicyID: 22}, Medical: 0.5, MedicalID: 23, SchoolFrom: 6, SchoolTo: 15, SchoolID: 24,
		RiskTypes: map[string]string{"100A27001": "因病", "100A27002": "因学", "100A27003": "因安全住房", "100A27004": "因安全饮水", "100A27005": "因残",
			"100A27006": "因自然灾害", "100A27007": "因意外事故", "100A27008": "因产业项目失败", "100A27009": "因务工就业不稳", "100A27010": "缺劳动力", "100A27011": "其他"},
		RiskTypesID: 25, SubItems: map[string]string{"flood": "洪涝灾害", "rainstorm": "洪涝灾害", "landslide": "地质灾害", "other": "其他"}, SubItemsID: 26,
		Weights: map[string]float64{backstop.ReasonIncome: 40, backstop.ReasonHousing: 30, backstop.ReasonWater: 20, backstop.ReasonSchooling: 20, backstop.ReasonMedical: 20, backstop.ReasonBasicNeeds: 30}, WeightsID: 27}
}

var reportDay = time.Date(2024, 7, 20, 10, 0, 0, 0, backstop.Beijing)

func household(income *float64, size int, typ string) *backstop.Household {
	return &backstop.Household{Number: "62072310120100001", VillageCode: "620723101201", Size: size, People: size, Type: typ, IncomePerCapita: income}
}

var flood = &backstop.DisasterEvent{ID: 1, Hazard: "flood", Title: "7·18 临泽县洪涝"}

func codes(a backstop.Assessment) []string {
	var out []string
	for _, r := range a.Reasons {
		out = append(out, r.Code)
	}
	return out
}

func riskCodes(a backstop.Assessment) []string {
	var out []string
	for _, r := range a.RiskTypes {
		out = append(out, r.Code+":"+r.Name+":"+r.SubItem)
	}
	return out
}

func TestAssessIncomeModel(t *testing.T) {
	// 9,000 a head in a family of 4; 12,000 of crops and 3,000 of medical
	// costs lost, 2,000 claims and 1,000 relief received:
	// 9,000 + (2,000 + 1,000 − 12,000 − 3,000) ÷ 4 = 6,000 < 7,800.
	h := household(ptr(9000.0), 4, backstop.HouseholdTypeFormerlyPoor)
	r := &backstop.LossReport{ID: 5, EventID: 1, CropAreaMu: 6, CropLossPct: 85, CropLoss: 12000, Claims: 2000, Relief: 1000, MedicalPaid: 3000, State: backstop.LossSubmitted}
	a := Assess(Input{Household: h, Report: r, Event: flood, Date: reportDay}, policies(ptr(7800.0)))
	if !a.AtRisk || a.ProjectedPerCapitaIncome == nil || *a.ProjectedPerCapitaIncome != 6000 {
		t.Fatalf("projected %v at risk %t, want 6000 and at risk", a.ProjectedPerCapitaIncome, a.AtRisk)
	}
	if got := codes(a); !reflect.DeepEqual(got, []string{backstop.ReasonIncome}) {
		t.Fatalf("reasons %v, want only the income (medical 3,000 is under half of 36,000)", got)
	}
	f := a.Reasons[0].Figures
	if f["monitoring_line"] != 7800 || f["crop_loss_yuan"] != 12000 || f["people"] != 4 || !strings.Contains(a.Reasons[0].Text, "6000") || !strings.Contains(a.Reasons[0].Text, "7800") {
		t.Fatalf("reason lacks its figures: %+v", a.Reasons[0])
	}
	if a.SuggestedMonitorType != backstop.MonitorUnstable {
		t.Fatalf("a formerly poor household at risk is %s, want 脱贫不稳定户", a.SuggestedMonitorType)
	}
	if got := riskCodes(a); !reflect.DeepEqual(got, []string{"100A27006:因自然灾害:洪涝灾害"}) {
		t.Fatalf("risk types %v", got)
	}
	if a.GreenChannel || !strings.Contains(a.GreenChannelWhy, "待乡镇核实") {
		t.Fatalf("an unverified report opens no green channel: %t %s", a.GreenChannel, a.GreenChannelWhy)
	}
	if a.CropClass != "failed" || !a.DisasterCaused {
		t.Fatalf("crop class %q disaster %t", a.CropClass, a.DisasterCaused)
	}
	if !reflect.DeepEqual(a.PolicyIDs, []int64{11, 21, 22, 23, 24, 25, 26, 27}) {
		t.Fatalf("policy ids %v", a.PolicyIDs)
	}
	// 40 for the reason + 40 × (7,800 − 6,000) ÷ 7,800.
	if a.Score != 49.23 {
		t.Fatalf("score %g, want 49.23", a.Score)
	}
}

func TestAssessCases(t *testing.T) {
	line := ptr(7800.0)
	kid := func(age int, status string) *backstop.Member {
		return &backstop.Member{Name: "张小" + status, BirthDate: reportDay.AddDate(-age, 0, -1).Format(time.DateOnly), SchoolStatus: status}
	}
	cases := []struct {
		name      string
		h         *backstop.Household
		r         backstop.LossReport
		event     *backstop.DisasterEvent
		line      *float64
		reasons   []string
		monitor   string
		riskTypes []string
		green     bool
		notes     []string
	}{
		{name: "collapsed house above the line, verified: sudden hardship, green channel",
			h: household(ptr(20000.0), 3, backstop.HouseholdTypeOrdinary), r: backstop.LossReport{HouseDamage: backstop.DamageCollapsed, HouseRooms: 3, State: backstop.LossVerified},
			event: &backstop.DisasterEvent{Hazard: "landslide", Title: "滑坡"}, line: line,
			reasons: []string{backstop.ReasonHousing}, monitor: backstop.MonitorSuddenHardship, riskTypes: []string{"100A27006:因自然灾害:地质灾害", "100A27003:因安全住房:"}, green: true},
		{name: "moderate damage alone is no housing problem",
			h: household(ptr(20000.0), 3, backstop.HouseholdTypeOrdinary), r: backstop.LossReport{HouseDamage: backstop.DamageModerate, HouseRooms: 1, State: backstop.LossVerified},
			event: flood, line: line},
		{name: "grade C house in the registry",
			h: func() *backstop.Household { h := household(ptr(20000.0), 2, ""); h.HousingGrade = "C"; return h }(), r: backstop.LossReport{},
			line: line, reasons: []string{backstop.ReasonHousing}, monitor: backstop.MonitorSuddenHardship, riskTypes: []string{"100A27003:因安全住房:"}},
		{name: "no line set for the year: income never compared",
			h: household(ptr(5000.0), 2, backstop.HouseholdTypeOrdinary), r: backstop.LossReport{CropLoss: 2000, CropAreaMu: 2, CropLossPct: 40},
			event: flood, notes: []string{backstop.NoteNoLine}},
		{name: "no income in the registry",
			h: household(nil, 2, backstop.HouseholdTypeOrdinary), r: backstop.LossReport{CropLoss: 2000}, event: flood, line: line, notes: []string{backstop.NoteNoIncome}},
		{name: "water: every failing indicator",
			h: household(ptr(20000.0), 2, ""), r: backstop.LossReport{Water: backstop.WaterCheck{LitresPerPersonDay: ptr(18.0), QualityOK: ptr(false), TripMinutes: ptr(30.0), OutageDays: ptr(40.0)}},
			event: flood, line: line, reasons: []string{backstop.ReasonWater}, monitor: backstop.MonitorSuddenHardship,
			riskTypes: []string{"100A27006:因自然灾害:洪涝灾害", "100A27004:因安全饮水:"}},
		{name: "water at the limits is safe",
			h: household(ptr(20000.0), 2, ""), r: backstop.LossReport{Water: backstop.WaterCheck{LitresPerPersonDay: ptr(35.0), QualityOK: ptr(true), TripMinutes: ptr(20.0), OutageDays: ptr(36.0)}},
			event: flood, line: line},
		{name: "a ten-year-old out of school; a sixteen-year-old is past compulsory age",
			h: func() *backstop.Household {
				h := household(ptr(20000.0), 4, "")
				h.Members = []*backstop.Member{kid(10, "非在校生"), kid(16, "非在校生"), kid(8, "小学")}
				return h
			}(), r: backstop.LossReport{}, line: line, reasons: []string{backstop.ReasonSchooling}, monitor: backstop.MonitorSuddenHardship, riskTypes: []string{"100A27002:因学:"}},
		{name: "medical: uninsured member and costs over half the income",
			h: household(ptr(8000.0), 4, ""), r: backstop.LossReport{UninsuredMembers: 1, MedicalPaid: 20000}, line: ptr(1000.0),
			reasons: []string{backstop.ReasonMedical}, monitor: backstop.MonitorSuddenHardship, riskTypes: []string{"100A27001:因病:"}},
		{name: "below the line without a disaster: marginal household, normal procedure",
			h: household(ptr(7000.0), 3, backstop.HouseholdTypeOrdinary), r: backstop.LossReport{State: backstop.LossVerified}, line: line,
			reasons: []string{backstop.ReasonIncome}, monitor: backstop.MonitorMarginal},
		{name: "food and clothing short",
			h: household(ptr(20000.0), 3, ""), r: backstop.LossReport{FoodClothingOK: ptr(false)}, line: line, reasons: []string{backstop.ReasonBasicNeeds}, monitor: backstop.MonitorSuddenHardship},
		{name: "checklist answers count",
			h: household(ptr(20000.0), 3, ""), r: backstop.LossReport{Checklist: map[string]bool{CheckHousing: false, CheckWater: false, CheckEducation: true, "income_change": false}}, line: line,
			reasons: []string{backstop.ReasonHousing, backstop.ReasonWater}, monitor: backstop.MonitorSuddenHardship,
			riskTypes: []string{"100A27003:因安全住房:", "100A27004:因安全饮水:"}, notes: []string{"checklist:income_change"}},
		{name: "at most five risk types, the disaster first",
			h: func() *backstop.Household {
				h := household(ptr(8000.0), 2, "")
				h.Members = []*backstop.Member{kid(9, "非在校生")}
				return h
			}(), r: backstop.LossReport{HouseDamage: backstop.DamageSevere, HouseRooms: 2, WageLoss: 6000, UninsuredMembers: 1, Water: backstop.WaterCheck{QualityOK: ptr(false)}, State: backstop.LossVerified},
			event: &backstop.DisasterEvent{Hazard: "hail"}, line: line,
			reasons: []string{backstop.ReasonIncome, backstop.ReasonHousing, backstop.ReasonWater, backstop.ReasonSchooling, backstop.ReasonMedical}, monitor: backstop.MonitorMarginal,
			riskTypes: []string{"100A27006:因自然灾害:其他", "100A27003:因安全住房:", "100A27004:因安全饮水:", "100A27001:因病:", "100A27002:因学:"}, green: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := c.r
			a := Assess(Input{Household: c.h, Report: &r, Event: c.event, Date: reportDay}, policies(c.line))
			if got := codes(a); !reflect.DeepEqual(got, c.reasons) {
				t.Fatalf("reasons %v, want %v (%+v)", got, c.reasons, a.Reasons)
			}
			if a.AtRisk != (len(c.reasons) > 0) || a.SuggestedMonitorType != c.monitor {
				t.Fatalf("at risk %t, monitor type %q; want %q", a.AtRisk, a.SuggestedMonitorType, c.monitor)
			}
			if got := riskCodes(a); !reflect.DeepEqual(got, c.riskTypes) {
				t.Fatalf("risk types %v, want %v", got, c.riskTypes)
			}
			if a.GreenChannel != c.green {
				t.Fatalf("green channel %t (%s), want %t", a.GreenChannel, a.GreenChannelWhy, c.green)
			}
			var notes []string
			for _, n := range a.Notes {
				notes = append(notes, n.Code)
			}
			if !reflect.DeepEqual(notes, c.notes) {
				t.Fatalf("notes %v, want %v", notes, c.notes)
			}
			if c.line == nil && a.MonitoringLine != nil {
				t.Fatal("a line was assumed")
			}
			for _, rs := range a.Reasons {
				if rs.Text == "" || rs.EN == "" {
					t.Fatalf("reason %s without its text", rs.Code)
				}
			}
		})
	}
}

func TestCropClasses(t *testing.T) {
	c := backstop.CropClasses{Affected: 10, Damaged: 30, Failed: 80}
	for pct, want := range map[float64]string{0: "", 9.9: "", 10: "affected", 29.9: "affected", 30: "damaged", 79: "damaged", 80: "failed", 100: "failed"} {
		if got := c.Class(pct); got != want {
			t.Errorf("%g%%: %q, want %q", pct, got, want)
		}
	}
}

func TestFromVersions(t *testing.T) {
	data := func(v any) json.RawMessage { b, _ := json.Marshal(v); return b }
	vs := map[string]*backstop.Policy{
		backstop.PolicyWaterStandard:    {ID: 1, Key: backstop.PolicyWaterStandard, Data: data(map[string]float64{"litres_per_person_day": 35, "quality_tested": 1, "trip_minutes": 20, "outage_days_per_year": 36})},
		backstop.PolicyCropClasses:      {ID: 2, Key: backstop.PolicyCropClasses, Data: data(map[string]float64{"affected": 10, "damaged": 30, "failed": 80})},
		backstop.PolicyMedicalShare:     {ID: 3, Key: backstop.PolicyMedicalShare, Value: 0.5},
		backstop.PolicySchoolAge:        {ID: 4, Key: backstop.PolicySchoolAge, Data: data(map[string]float64{"from": 6, "to": 15})},
		backstop.PolicyRiskTypes:        {ID: 5, Key: backstop.PolicyRiskTypes, Data: data([]backstop.ListItem{{Code: "100A27006", ZH: "因自然灾害"}})},
		backstop.PolicyDisasterSubItems: {ID: 6, Key: backstop.PolicyDisasterSubItems, Data: data([]backstop.ListItem{{Code: "flood", ZH: "洪涝灾害"}})},
		backstop.PolicyReasonWeights:    {ID: 7, Key: backstop.PolicyReasonWeights, Data: data(map[string]float64{backstop.ReasonIncome: 40})},
	}
	p, err := FromVersions(nil, vs)
	if err != nil {
		t.Fatal(err)
	}
	if p.Line != nil || p.Water.Litres != 35 || !p.Water.Quality || p.Crop.Failed != 80 || p.SchoolTo != 15 || p.SubItems["flood"] != "洪涝灾害" || p.WeightsID != 7 {
		t.Fatalf("read %+v", p)
	}
	delete(vs, backstop.PolicyMedicalShare)
	if _, err := FromVersions(nil, vs); err == nil || !strings.Contains(backstop.ErrorMessageZH(err), backstop.PolicyMedicalShare) {
		t.Fatalf("a missing version must name its key: %v", err)
	}
	vs[backstop.PolicyMedicalShare] = &backstop.Policy{ID: 3, Value: 0.5}
	vs[backstop.PolicyCropClasses].Data = json.RawMessage(`[1]`)
	if _, err := FromVersions(nil, vs); err == nil || !strings.Contains(backstop.ErrorMessage(err), backstop.PolicyCropClasses) {
		t.Fatalf("a malformed version must name its key: %v", err)
	}
}

func TestDiffNewLine(t *testing.T) {
	h := household(ptr(8200.0), 4, backstop.HouseholdTypeOrdinary)
	r := &backstop.LossReport{CropLoss: 1200, CropAreaMu: 2, CropLossPct: 20}
	old := Assess(Input{Household: h, Report: r, Event: flood, Date: reportDay}, policies(ptr(7800.0)))
	p := policies(ptr(8600.0))
	p.LineID = 12
	now := Assess(Input{Household: h, Report: r, Event: flood, Date: reportDay}, p)
	// 8,200 − 1,200 ÷ 4 = 7,900: above 7,800, below 8,600.
	if old.AtRisk || !now.AtRisk {
		t.Fatalf("at risk: %t under 7,800, %t under 8,600", old.AtRisk, now.AtRisk)
	}
	zh, en := Diff(&old, &now)
	joined := strings.Join(zh, "\n")
	for _, want := range []string{"是否存在风险：否 → 是", "监测范围：7800 → 8600", "新增原因：income_below_line", "建议监测类型：无 → 边缘易致贫户"} {
		if !strings.Contains(joined, want) {
			t.Errorf("diff lacks %q:\n%s", want, joined)
		}
	}
	if len(en) != len(zh) {
		t.Fatalf("%d English lines for %d Chinese", len(en), len(zh))
	}
	if zh, _ := Diff(&old, &old); len(zh) != 0 {
		t.Fatalf("no change, yet %v", zh)
	}
}
