package assist

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/zhangye-backstop/backstop"
)

var checkPolicy = CheckPolicy{ObservationMonths: 6, Development: []string{"产业帮扶", "就业帮扶", "金融帮扶", "公益岗位帮扶"}}

func member(labour, health string) *backstop.Member {
	return &backstop.Member{Labour: labour, Health: health}
}

func codes(ps []CaseProblem) string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Code)
	}
	return strings.Join(out, ",")
}

// TestNationalChecks: each check fires on its case and not on the fixed
// one.
func TestNationalChecks(t *testing.T) {
	capable := &backstop.Household{Members: []*backstop.Member{member("普通劳动力", "健康"), member("技能劳动力", "健康")}, HelperName: "王", HelperPhone: "139"}
	noLabour := &backstop.Household{Members: []*backstop.Member{member("无劳动力", "患有大病")}}
	m := func(cat, item string) *backstop.Measure {
		return &backstop.Measure{Category: cat, Item: item, Status: backstop.MeasurePlanned}
	}
	for _, c := range []struct {
		name  string
		c     backstop.Case
		h     *backstop.Household
		ms    []*backstop.Measure
		today string
		want  []string
		not   []string
	}{
		{"因病 without 健康帮扶, no ill member", backstop.Case{State: backstop.CaseActive, IdentifiedOn: "2026-01-01", RiskTypes: []string{riskIllness}}, capable,
			[]*backstop.Measure{m("产业帮扶", "种植业")}, "2026-02-01", []string{CheckMeasureForRisk, CheckIllnessUnfounded}, []string{CheckNoDevelopment}},
		{"因学 with 教育帮扶", backstop.Case{State: backstop.CaseActive, IdentifiedOn: "2026-01-01", RiskTypes: []string{riskSchooling}}, capable,
			[]*backstop.Measure{m("教育帮扶", "雨露计划"), m("产业帮扶", "种植业")}, "2026-02-01", nil, []string{CheckMeasureForRisk}},
		{"缺劳动力 with two capable", backstop.Case{State: backstop.CaseActive, RiskTypes: []string{riskLabourShort}}, capable, nil, "2026-02-01", []string{CheckLabourShortUnfounded}, nil},
		{"only 综合保障", backstop.Case{State: backstop.CaseActive, IdentifiedOn: "2026-01-01"}, capable, []*backstop.Measure{m("综合保障", "临时救助")}, "2026-02-01", []string{CheckOnlySafetyNet}, nil},
		{"seven months without development", backstop.Case{State: backstop.CaseActive, IdentifiedOn: "2026-01-01"}, capable, []*backstop.Measure{m("住房安全保障", "危房改造")}, "2026-08-01", []string{CheckNoDevelopment}, nil},
		{"refused measure does not count", backstop.Case{State: backstop.CaseActive, IdentifiedOn: "2026-01-01", RiskTypes: []string{riskWater}}, capable,
			[]*backstop.Measure{{Category: "饮水安全保障", Item: "饮水安全保障", Status: backstop.MeasureRefused}}, "2026-02-01", []string{CheckMeasureForRisk}, nil},
		{"cleared early, no labour, no block, no contact", backstop.Case{State: backstop.CaseCleared, IdentifiedOn: "2026-01-01", ClearedOn: "2026-03-01"}, noLabour,
			[]*backstop.Measure{m("综合保障", "低保")}, "2026-04-01", []string{CheckClearedEarly, CheckClearedNoLabour, CheckClearedNoBlock, CheckClearedNoContact}, nil},
		{"cleared unsafe, no wage, no transfer", backstop.Case{State: backstop.CaseCleared, IdentifiedOn: "2025-01-01", ClearedOn: "2026-03-01", Clearing: &backstop.CaseBlock{WaterUnsafe: true}}, capable,
			[]*backstop.Measure{m("公益岗位帮扶", "保洁员"), m("综合保障", "残疾人补贴")}, "2026-04-01", []string{CheckClearedUnsafe, CheckClearedNoWage, CheckClearedNoTransfer}, []string{CheckClearedEarly, CheckClearedNoContact}},
		{"a clean clearing", backstop.Case{State: backstop.CaseCleared, IdentifiedOn: "2025-01-01", ClearedOn: "2026-03-01", Clearing: &backstop.CaseBlock{WageIncome: 9000}}, capable,
			[]*backstop.Measure{m("就业帮扶", "劳务输出")}, "2026-04-01", nil, []string{CheckClearedUnsafe, CheckClearedNoWage, CheckClearedEarly, CheckClearedNoBlock}},
	} {
		got := codes(NationalChecks(&c.c, c.h, c.ms, checkPolicy, c.today))
		for _, w := range c.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: %s missing from %q", c.name, w, got)
			}
		}
		for _, n := range c.not {
			if strings.Contains(got, n) {
				t.Errorf("%s: %s in %q", c.name, n, got)
			}
		}
	}
}

// BenchmarkNationalChecks100k runs every check (this package's and
// cases.Check) over 100,000 cases, each with its household and measures
// in memory.
func BenchmarkNationalChecks100k(b *testing.B) {
	const n = 100000
	cs := make([]*backstop.Case, n)
	hs := make([]*backstop.Household, n)
	ms := make([][]*backstop.Measure, n)
	risks := [][]string{{riskIllness}, {riskSchooling, backstop.RiskNaturalDisaster}, {riskHousing, riskWater}, {riskLabourShort}, {riskDisability}}
	for i := range cs {
		state := backstop.CaseActive
		if i%4 == 0 {
			state = backstop.CaseCleared
		}
		cs[i] = &backstop.Case{ID: int64(i), Household: fmt.Sprintf("62072310120%05d", i), State: state, IdentifiedOn: "2025-06-01", ClearedOn: "2026-01-10", RiskTypes: risks[i%len(risks)]}
		hs[i] = &backstop.Household{Members: []*backstop.Member{member("普通劳动力", "健康"), member("弱劳动力或半劳动力", "长期慢性病"), member("无劳动力", "健康")}}
		ms[i] = []*backstop.Measure{{Category: "产业帮扶", Item: "种植业", Status: backstop.MeasureInProgress}, {Category: "综合保障", Item: "低保", Status: backstop.MeasurePlanned}}
	}
	now := mustNow()
	b.ResetTimer()
	for range b.N {
		problems := 0
		for i := range cs {
			problems += len(allChecks(cs[i], hs[i], ms[i], checkPolicy, now))
		}
		if problems == 0 {
			b.Fatal("no problems found")
		}
	}
}

func mustNow() time.Time { return time.Date(2026, 12, 1, 12, 0, 0, 0, backstop.Beijing) }
