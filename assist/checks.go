package assist

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/cases"
)

// The national system's data checks (POST-DISASTER.md "Checks the
// national system runs on its data"), run on a case before its records go
// there. NationalChecks is pure: the case, its household with members, its
// measures and the thresholds in; the problems to fix out.

// CheckPolicy is the thresholds the checks read, with their versions.
type CheckPolicy struct {
	// ObservationMonths: months after identification before a clearing,
	// and without a development-type measure for a labour-capable
	// household (case.observation_months).
	ObservationMonths int
	// Development names the development-type categories (the catalog).
	Development []string
	PolicyIDs   []int64
}

// Problem codes of the national checks.
const (
	CheckMeasureForRisk       = "measure_for_risk"       // a risk type without its measure category
	CheckIllnessUnfounded     = "illness_unfounded"      // 因病 without an ill member or self-paid costs
	CheckLabourShortUnfounded = "labour_short_unfounded" // 缺劳动力 with more than a quarter labour-capable
	CheckOnlySafetyNet        = "only_safety_net"        // labour-capable, uncleared, only 综合保障
	CheckNoDevelopment        = "no_development"         // labour-capable, ≥ 6 months, no development-type measure
	CheckClearedEarly         = "cleared_early"          // cleared within the observation period
	CheckClearedNoLabour      = "cleared_no_labour"      // cleared while 整户无劳动力
	CheckClearedUnsafe        = "cleared_unsafe"         // cleared with housing or water unsafe
	CheckClearedNoBlock       = "cleared_no_block"       // cleared without the after-clearing block
	CheckClearedNoContact     = "cleared_no_contact"     // cleared without a monitoring contact and phone
	CheckClearedNoWage        = "cleared_no_wage"        // 就业/公益岗位 help, no wage income after clearing
	CheckClearedNoTransfer    = "cleared_no_transfer"    // 低保/特困/残疾人补贴, no transfer income after clearing
	riskIllness               = "100A27001"
	riskSchooling             = "100A27002"
	riskHousing               = "100A27003"
	riskWater                 = "100A27004"
	riskDisability            = "100A27005"
	riskLabourShort           = "100A27010"
)

// CaseProblem is one finding of the national checks on a case.
type CaseProblem struct {
	Code   string `json:"code"`
	Text   string `json:"text"` // Chinese, what to fix
	EN     string `json:"en"`
	CaseID int64  `json:"case_id,omitempty"`
	// Household and Village locate it in the list across cases.
	Household string `json:"household,omitempty"`
	Village   string `json:"village_code,omitempty"`
}

// riskNeeds: a risk type and the categories one of which it needs.
var riskNeeds = []struct {
	risk, name string
	cats       []string
}{
	{riskIllness, "因病", []string{"健康帮扶", "社会帮扶"}},
	{riskSchooling, "因学", []string{"义务教育保障", "教育帮扶", "社会帮扶"}},
	{riskDisability, "因残", []string{"综合保障", "社会帮扶"}},
	{riskHousing, "因安全住房", []string{"住房安全保障", "搬迁"}},
	{riskWater, "因安全饮水", []string{"饮水安全保障"}},
}

// addMonths is a date n months after d (YYYY-MM-DD), "" when d is not a
// date.
func addMonths(d string, n int) string {
	t, err := time.Parse(time.DateOnly, d)
	if err != nil {
		return ""
	}
	return t.AddDate(0, n, 0).Format(time.DateOnly)
}

// NationalChecks runs the checks of this package on a case as of today
// (YYYY-MM-DD); those of cases.Check (no measure a month after
// identification, the 因自然灾害 sub-item, five risk types) are not
// repeated here: Problems and the case page show both.
func NationalChecks(c *backstop.Case, h *backstop.Household, measures []*backstop.Measure, p CheckPolicy, today string) []CaseProblem {
	out := []CaseProblem{}
	add := func(code, zh, en string) {
		out = append(out, CaseProblem{Code: code, Text: zh, EN: en, CaseID: c.ID, Household: c.Household, Village: c.Village})
	}
	if c.State == backstop.CaseRefused {
		return out
	}
	var live []*backstop.Measure
	cats := map[string]bool{}
	items := map[string]bool{}
	development := false
	for _, m := range measures {
		if m.Status == backstop.MeasureRefused {
			continue
		}
		live = append(live, m)
		cats[m.Category] = true
		items[m.Category+"/"+m.Item] = true
		if slices.Contains(p.Development, m.Category) {
			development = true
		}
	}
	has := func(r string) bool { return slices.Contains(c.RiskTypes, r) }
	for _, n := range riskNeeds {
		if !has(n.risk) {
			continue
		}
		ok := false
		for _, cat := range n.cats {
			ok = ok || cats[cat]
		}
		if !ok {
			add(CheckMeasureForRisk, fmt.Sprintf("风险类型为%s，但没有%s类帮扶措施", n.name, joinOr(n.cats)), fmt.Sprintf("risk %s needs a measure of %v", n.risk, n.cats))
		}
	}
	capable, ill := 0, false
	for _, m := range h.Members {
		switch m.Labour {
		case "普通劳动力", "技能劳动力":
			capable++
		}
		if m.Health == "患有大病" || m.Health == "长期慢性病" {
			ill = true
		}
	}
	if has(riskIllness) {
		selfPaid := c.Identification != nil && c.Identification.MedicalSelfPaid > 0
		if !ill || !selfPaid {
			add(CheckIllnessUnfounded, "风险类型为因病，但家庭成员中没有患有大病或长期慢性病的人，或合规自付支出为0", "因病 with no member 患有大病/长期慢性病, or 合规自付支出 of 0")
		}
	}
	people := max(len(h.Members), 1)
	if has(riskLabourShort) && capable*4 > people {
		add(CheckLabourShortUnfounded, fmt.Sprintf("风险类型为缺劳动力，但%d名成员中有%d名普通或技能劳动力，超过四分之一", people, capable), "缺劳动力 while more than a quarter of members are labour-capable")
	}
	labour := backstop.LabourClass(h)
	cleared := c.State == backstop.CaseCleared
	identified := c.IdentifiedOn
	if labour == backstop.LabourCapable && !cleared && len(cats) > 0 {
		only := true
		for cat := range cats {
			only = only && cat == "综合保障"
		}
		if only {
			add(CheckOnlySafetyNet, "有劳动能力且未消除风险的户仅有综合保障类措施，应落实开发式帮扶", "a labour-capable, uncleared household with only 综合保障")
		}
	}
	if identified != "" && labour == backstop.LabourCapable && !cleared && !development {
		if due := addMonths(identified, p.ObservationMonths); due != "" && today >= due {
			add(CheckNoDevelopment, fmt.Sprintf("有劳动能力，识别已满%d个月仍无开发式帮扶措施（产业、就业、金融、公益岗位）", p.ObservationMonths), "labour-capable, identified over the observation period, without a development-type measure")
		}
	}
	if !cleared {
		return out
	}
	if identified != "" && c.ClearedOn != "" {
		if due := addMonths(identified, p.ObservationMonths); due != "" && c.ClearedOn < due {
			add(CheckClearedEarly, fmt.Sprintf("识别后不满%d个月即消除风险（识别%s，消除%s）", p.ObservationMonths, identified, c.ClearedOn), "cleared within the observation period")
		}
	}
	if labour == backstop.LabourNone {
		add(CheckClearedNoLabour, "整户无劳动力的户被标注为风险消除，应暂不标注", "cleared while the whole household has no labour")
	}
	b := c.Clearing
	if b == nil {
		add(CheckClearedNoBlock, "消除风险但没有消除时的收入和“三保障”及饮水安全信息", "cleared without the after-clearing income and 三保障 block")
	} else {
		if b.HousingUnsafe || b.WaterUnsafe {
			add(CheckClearedUnsafe, "消除风险时住房或饮水仍不安全", "cleared with housing or water still unsafe")
		}
		if (cats["就业帮扶"] || cats["公益岗位帮扶"]) && b.WageIncome <= 0 {
			add(CheckClearedNoWage, "有就业帮扶或公益岗位帮扶，但消除后没有工资性收入", "cleared with 就业/公益岗位 help but no wage income after clearing")
		}
		if (items["综合保障/低保"] || items["综合保障/特困供养"] || items["综合保障/残疾人补贴"]) && b.TransferIncome <= 0 {
			add(CheckClearedNoTransfer, "有低保、特困供养或残疾人补贴，但消除后没有转移性收入", "cleared with 低保/特困/残疾人补贴 but no transfer income")
		}
	}
	if h.HelperName == "" || h.HelperPhone == "" {
		add(CheckClearedNoContact, "消除风险但没有监测联系人及其电话", "cleared without a monitoring contact and phone")
	}
	return out
}

func joinOr(cats []string) string {
	s := ""
	for i, c := range cats {
		if i > 0 {
			s += "或"
		}
		s += c
	}
	return s
}

// checkPolicy reads the thresholds of the checks for a region.
func (s *Service) checkPolicy(ctx context.Context, region string) (CheckPolicy, error) {
	var p CheckPolicy
	now := s.now()
	obs, err := s.policy(ctx, backstop.PolicyCaseObservation, region, now)
	if err != nil {
		return p, err
	}
	cp, err := s.policy(ctx, backstop.PolicyMeasureCategories, region, now)
	if err != nil {
		return p, err
	}
	catalog, err := backstop.MeasureCatalogOf(cp)
	if err != nil {
		return p, err
	}
	for _, c := range catalog {
		if c.Development {
			p.Development = append(p.Development, c.Code)
		}
	}
	p.ObservationMonths, p.PolicyIDs = int(obs.Value), []int64{obs.ID, cp.ID}
	return p, nil
}

// CaseProblems runs the national checks on one case of the user's region.
func (s *Service) CaseProblems(ctx context.Context, caseID int64) ([]CaseProblem, error) {
	if _, err := backstop.Authorize(ctx, backstop.PermReadCases); err != nil {
		return nil, err
	}
	ps, err := s.planStore()
	if err != nil {
		return nil, err
	}
	c, err := s.caseOf(ctx, ps, caseID)
	if err != nil {
		return nil, err
	}
	h, err := s.household(ctx, c.Household)
	if err != nil {
		return nil, err
	}
	p, err := s.checkPolicy(ctx, h.VillageCode)
	if err != nil {
		return nil, err
	}
	ms, _, err := ps.FindMeasures(ctx, backstop.MeasureFilter{CaseID: c.ID, Limit: 1000})
	if err != nil {
		return nil, err
	}
	return allChecks(c, h, ms, p, s.now()), nil
}

// allChecks runs the cases' checks and this package's on a case.
func allChecks(c *backstop.Case, h *backstop.Household, ms []*backstop.Measure, p CheckPolicy, now time.Time) []CaseProblem {
	out := []CaseProblem{}
	for _, pr := range cases.Check(c, h, ms, now) {
		out = append(out, CaseProblem{Code: strings.TrimPrefix(pr.Path, "check."), Text: pr.ReasonZH, EN: pr.Reason, CaseID: c.ID, Household: c.Household, Village: c.Village})
	}
	return append(out, NationalChecks(c, h, ms, p, now.In(backstop.Beijing).Format(time.DateOnly))...)
}

// MaxProblemCases bounds the cases one list across cases checks (a
// province's open cases; issue 12 measures 100,000 within 10 s).
const MaxProblemCases = 200_000

// CheckStore reads many cases' households at once.
type CheckStore interface {
	HouseholdsByID(ctx context.Context, ids []int64) (map[int64]*backstop.Household, error)
}

// Problems runs the national checks over the cases of a region (the
// user's when empty) and pages the problems found, with how many cases
// were checked and whether the bound cut the scan short. Cases are read
// a page at a time (cases.EachCasePage), each page's households in one
// query.
func (s *Service) Problems(ctx context.Context, region string, offset, limit int) ([]CaseProblem, int, int, bool, error) {
	if _, err := backstop.Authorize(ctx, backstop.PermReadCases); err != nil {
		return nil, 0, 0, false, err
	}
	ps, err := s.planStore()
	if err != nil {
		return nil, 0, 0, false, err
	}
	ds, ok := s.Store.(DryRunStore)
	hs, ok2 := s.Store.(CheckStore)
	if !ok || !ok2 {
		return nil, 0, 0, false, backstop.Localized(backstop.EUNAVAILABLE, "未配置存储", "No store is configured.")
	}
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	policies := map[string]CheckPolicy{}
	now := s.now()
	all := []CaseProblem{}
	checked, truncated := 0, false
	pages := struct {
		DryRunStore
		PlanStore
	}{ds, ps}
	err = cases.EachCasePage(ctx, pages, region, func(cs []*backstop.Case, measures map[int64][]*backstop.Measure) error {
		if checked >= MaxProblemCases {
			truncated = true
			return cases.ErrStopPages
		}
		households := make([]int64, len(cs))
		for i, c := range cs {
			households[i] = c.HouseholdID
		}
		byID, err := hs.HouseholdsByID(ctx, households)
		if err != nil {
			return err
		}
		for _, c := range cs {
			h := byID[c.HouseholdID]
			if h == nil {
				// Not in the registry any more: the error names it.
				if h, err = s.household(ctx, c.Household); err != nil {
					return err
				}
			}
			checked++
			county := backstop.CountyOfVillage(c.Village)
			p, ok := policies[county]
			if !ok {
				if p, err = s.checkPolicy(ctx, c.Village); err != nil {
					return err
				}
				policies[county] = p
			}
			all = append(all, allChecks(c, h, measures[c.ID], p, now)...)
		}
		return nil
	})
	if err != nil {
		return nil, 0, 0, false, err
	}
	total := len(all)
	if offset >= total {
		return []CaseProblem{}, total, checked, truncated, nil
	}
	return all[offset:min(offset+limit, total)], total, checked, truncated, nil
}

// ChecksOf is the cases' hook (cases.Service.MoreChecks): this package's
// checks of a case, as problems located by their code.
func (s *Service) ChecksOf(ctx context.Context, c *backstop.Case, measures []*backstop.Measure) ([]backstop.Problem, error) {
	h, err := s.household(ctx, c.Household)
	if err != nil {
		return nil, err
	}
	p, err := s.checkPolicy(ctx, h.VillageCode)
	if err != nil {
		return nil, err
	}
	out := []backstop.Problem{}
	for _, pr := range NationalChecks(c, h, measures, p, s.today()) {
		out = append(out, backstop.Problem{Path: "check." + pr.Code, Reason: pr.EN, ReasonZH: pr.Text})
	}
	return out, nil
}
