package cases

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/zhangye-backstop/backstop"
)

// Clearing reason codes: each is a criterion of 风险消除 not met
// (POST-DISASTER.md "Clearing criteria").
const (
	ReasonObservation  = "observation_period"   // identified less than the policy's months ago
	ReasonIncomeBelow  = "income_below_line"    // projected per-capita income not above the line in force
	ReasonNoMeasure    = "no_measure"           // no measure done
	ReasonBasicNeeds   = "basic_needs"          // 三保障 or water not secure
	ReasonNoLabour     = "no_labour_safety_net" // 整户无劳动力 on 低保/特困: 暂不标注, never cleared
	ReasonRigidCosts   = "rigid_costs"          // large medical or schooling costs not resolved
	ReasonOpenDebt     = "open_debt"            // a procedure debt is open
	ReasonNotMonitored = "not_active"           // no active case to clear
)

// ClearingReason is one criterion not met, with its figures.
type ClearingReason struct {
	Code    string             `json:"code"`
	ZH      string             `json:"zh"`
	EN      string             `json:"en"`
	Figures map[string]float64 `json:"figures,omitempty"`
}

// Clearing is a household's clearing eligibility, computed from data.
type Clearing struct {
	Household string           `json:"household"`
	CaseID    int64            `json:"case_id,omitempty"`
	Eligible  bool             `json:"eligible"`
	Held      bool             `json:"held"` // 暂不标注
	Reasons   []ClearingReason `json:"reasons"`
	// Block is the income and 三保障 + water block as of now, which a
	// clearing records.
	Block     *backstop.CaseBlock `json:"block,omitempty"`
	PolicyIDs []int64             `json:"policy_ids"`
}

// labourSkills are the 劳动技能 values that count as labour.
var labourSkills = []string{"普通劳动力", "技能劳动力", "弱劳动力或半劳动力"}

// noLabour tells a household none of whose members has labour.
func noLabour(h *backstop.Household) bool {
	if len(h.Members) == 0 {
		return false
	}
	for _, m := range h.Members {
		if slices.Contains(labourSkills, m.Labour) {
			return false
		}
	}
	return true
}

// Eligibility computes whether a household's open case may be cleared.
func (s *Service) Eligibility(ctx context.Context, household string) (*Clearing, error) {
	if _, err := backstop.Authorize(ctx, backstop.PermReadCases); err != nil {
		return nil, err
	}
	c, err := s.Store.OpenCase(ctx, household)
	if err != nil && backstop.ErrorCode(err) != backstop.ENOTFOUND {
		return nil, err
	}
	if err != nil {
		// Read the household (scope, existence) and say there is no case.
		if _, err := s.Store.FindHousehold(ctx, household); err != nil {
			return nil, err
		}
		return &Clearing{Household: household, Reasons: []ClearingReason{{Code: ReasonNotMonitored, ZH: "该户没有监测帮扶中的案件", EN: "the household has no active case"}}, PolicyIDs: []int64{}}, nil
	}
	return s.eligibility(ctx, c)
}

func (s *Service) eligibility(ctx context.Context, c *backstop.Case) (*Clearing, error) {
	h, err := s.Store.FindHousehold(ctx, c.Household)
	if err != nil {
		return nil, err
	}
	now := s.now()
	out := &Clearing{Household: c.Household, CaseID: c.ID, Reasons: []ClearingReason{}, PolicyIDs: []int64{}}
	add := func(code, zh, en string, figures map[string]float64) {
		out.Reasons = append(out.Reasons, ClearingReason{Code: code, ZH: zh, EN: en, Figures: figures})
	}
	if c.State != backstop.CaseActive && c.State != backstop.CaseHeld {
		add(ReasonNotMonitored, "案件当前状态为“"+caseStateZH[c.State]+"”，不能提出风险消除", "the case is "+string(c.State)+", not active", nil)
	}
	// The observation period, from 风险识别时间.
	months, err := s.number(ctx, backstop.PolicyCaseObservation, c.Village)
	if err != nil {
		return nil, err
	}
	out.PolicyIDs = append(out.PolicyIDs, months.ID)
	ident, err := time.ParseInLocation(time.DateOnly, c.IdentifiedOn, backstop.Beijing)
	if err != nil || now.Before(ident.AddDate(0, int(months.Value), 0)) {
		add(ReasonObservation, fmt.Sprintf("识别时间（%s）距今不足%g个月", c.IdentifiedOn, months.Value), fmt.Sprintf("identified on %q, less than %g months ago", c.IdentifiedOn, months.Value),
			map[string]float64{"months": months.Value})
	}
	// Income against the line in force.
	line, err := s.Store.PolicyAt(ctx, backstop.PolicyMonitoringLine, c.Village, now)
	if err != nil && backstop.ErrorCode(err) != backstop.ENOTFOUND {
		return nil, err
	}
	if err != nil {
		// No line in force this year: income cannot be judged, and the
		// household is not eligible for that reason (never a default line).
		line = nil
	} else {
		out.PolicyIDs = append(out.PolicyIDs, line.ID)
	}
	a, err := s.Store.FindAssessment(ctx, c.Household)
	if err != nil && backstop.ErrorCode(err) != backstop.ENOTFOUND {
		return nil, err
	}
	if err != nil {
		a = nil
	}
	block := identificationBlock(h, a, now)
	out.Block = block
	income := block.IncomePerCapita
	if line == nil {
		add(ReasonIncomeBelow, "本年度的监测范围（政策参数monitoring_line）尚未设定，无法判断收入是否稳定超过监测范围，请管理员添加",
			"no monitoring line (policy monitoring_line) is in force this year: income cannot be judged", nil)
	} else if block.MonitoringLine, block.LinePolicyID = line.Value, line.ID; h.IncomePerCapita == nil && (a == nil || a.ProjectedPerCapitaIncome == nil) {
		add(ReasonIncomeBelow, "没有该户的人均纯收入，无法判断是否稳定超过监测范围", "no per-capita income recorded", map[string]float64{"line": line.Value})
	} else if income <= line.Value {
		add(ReasonIncomeBelow, fmt.Sprintf("预计人均纯收入%.0f元，未超过监测范围%.0f元", income, line.Value), fmt.Sprintf("projected per-capita income %.0f is not above the line %.0f", income, line.Value),
			map[string]float64{"income_per_capita": income, "line": line.Value})
	}
	measures, _, err := s.Store.FindMeasures(ctx, backstop.MeasureFilter{CaseID: c.ID, Limit: 1000})
	if err != nil {
		return nil, err
	}
	if !slices.ContainsFunc(measures, func(m *backstop.Measure) bool { return m.Status == backstop.MeasureDone }) {
		add(ReasonNoMeasure, "尚无已完成的帮扶措施", "no measure is done", nil)
	}
	if !block.BasicNeedsSecure() {
		var what []string
		if block.HousingUnsafe {
			what = append(what, "住房")
		}
		if block.WaterUnsafe {
			what = append(what, "饮水")
		}
		if block.SchoolDropout {
			what = append(what, "义务教育")
		}
		if block.MedicalUninsured {
			what = append(what, "基本医疗保险")
		}
		add(ReasonBasicNeeds, "“三保障”和饮水安全未全部保障："+strings.Join(what, "、")+"仍有问题", "三保障 or water not secure", nil)
	}
	if block.RigidCostsOpen {
		add(ReasonRigidCosts, "医疗、教育等大额刚性支出问题尚未解决", "large medical or schooling costs are not resolved", nil)
	}
	if c.OpenDebts > 0 {
		add(ReasonOpenDebt, fmt.Sprintf("还有%d项待补程序未办结", c.OpenDebts), fmt.Sprintf("%d procedure debts are open", c.OpenDebts), map[string]float64{"debts": float64(c.OpenDebts)})
	}
	if noLabour(h) && h.SocialAssistance != "" {
		out.Held = true
		add(ReasonNoLabour, "整户无劳动力且纳入"+string(h.SocialAssistance)+"兜底保障：暂不标注风险消除，继续监测", "no labour in the household, on the safety net: held (暂不标注), never cleared", nil)
	}
	out.Eligible = len(out.Reasons) == 0
	return out, nil
}

// ClearingInput proposes a clearing.
type ClearingInput struct {
	Way     string `json:"way"` // help (帮扶消除) or natural (自然消除)
	Note    string `json:"note,omitempty"`
	Version int    `json:"version,omitempty"`
}

// ProposeClearing starts the clearing procedure of an eligible case,
// recording the clearing-time income and 三保障 block and the way; an
// ineligible case is refused with every criterion not met.
func (s *Service) ProposeClearing(ctx context.Context, id int64, in ClearingInput) (*View, error) {
	u, err := backstop.Authorize(ctx, backstop.PermManageCases)
	if err != nil {
		return nil, err
	}
	if in.Way != backstop.ClearByHelp && in.Way != backstop.ClearByItself {
		return nil, invalid([]backstop.Problem{problem("way", "help (帮扶消除) or natural (自然消除)", "消除方式须为 help（帮扶消除）或 natural（自然消除）")})
	}
	if utf8.RuneCountInString(in.Note) > backstop.MaxCaseNote {
		return nil, invalid([]backstop.Problem{problem("note", fmt.Sprintf("at most %d characters", backstop.MaxCaseNote), fmt.Sprintf("备注最多%d个字", backstop.MaxCaseNote))})
	}
	c, err := s.forWrite(ctx, u, id)
	if err != nil {
		return nil, err
	}
	if in.Version != 0 && in.Version != c.Version {
		return nil, backstop.Localized(backstop.ECONFLICT, "案件%d已被他人修改，请刷新后重试", "Case %d was changed by someone else; reload and try again.", id)
	}
	e, err := s.eligibility(ctx, c)
	if err != nil {
		return nil, err
	}
	if !e.Eligible {
		var problems []backstop.Problem
		for _, r := range e.Reasons {
			problems = append(problems, backstop.Problem{Path: r.Code, Reason: r.EN, ReasonZH: r.ZH})
		}
		return nil, &backstop.Error{Code: backstop.EINVALID, Message: fmt.Sprintf("Case %d cannot be cleared: %s.", id, problems[0].Reason),
			ZH: fmt.Sprintf("案件%d不符合风险消除条件：%s", id, problems[0].ReasonZH), Details: problems}
	}
	name, _, p, steps, err := s.procedure(ctx, backstop.PolicyCaseClearingProcedure, c.Village)
	if err != nil {
		return nil, err
	}
	first := steps[0]
	if err := mayDo(u, first); err != nil {
		return nil, err
	}
	now := s.now()
	next := *c
	next.State, next.ClearingProcedure, next.ClearingPolicyID, next.ClearingSteps, next.Step = backstop.CaseClearing, name, p.ID, steps, first.Code
	next.Clearing, next.ClearWay = e.Block, in.Way
	ch := &backstop.CaseChange{Action: "case.clearing_proposed", Detail: fmt.Sprintf("clearing proposed (%s) on procedure %s (policy %d), income %.0f/person against line %.0f",
		in.Way, name, p.ID, e.Block.IncomePerCapita, e.Block.MonitoringLine)}
	if ch.Start, err = s.stepClock(ctx, backstop.ClockCaseStep, c.Village, first, p.ID, now); err != nil {
		return nil, err
	}
	if err := s.Store.UpdateCase(ctx, &next, ch); err != nil {
		return nil, err
	}
	return s.View(ctx, id)
}

// Hold marks a case 暂不标注: a household with no labour on the safety
// net stays monitored and is never cleared.
func (s *Service) Hold(ctx context.Context, id int64, note string) (*View, error) {
	u, err := backstop.Authorize(ctx, backstop.PermManageCases)
	if err != nil {
		return nil, err
	}
	c, err := s.forWrite(ctx, u, id)
	if err != nil {
		return nil, err
	}
	if c.State != backstop.CaseActive {
		return nil, twoLanguages(backstop.ECONFLICT, fmt.Sprintf("只有监测帮扶中的案件可以暂不标注（案件%d当前状态：%s）", id, caseStateZH[c.State]), fmt.Sprintf("Only an active case is held (case %d is %s).", id, c.State))
	}
	h, err := s.Store.FindHousehold(ctx, c.Household)
	if err != nil {
		return nil, err
	}
	if !noLabour(h) || h.SocialAssistance == "" {
		return nil, backstop.Localized(backstop.EINVALID, "暂不标注只适用于整户无劳动力且纳入低保或特困兜底保障的农户", "Only a household with no labour on 低保 or 特困 is held.")
	}
	next := *c
	next.State, next.Step = backstop.CaseHeld, ""
	if err := s.Store.UpdateCase(ctx, &next, &backstop.CaseChange{Action: "case.held", Detail: "held (暂不标注): no labour, " + string(h.SocialAssistance) + ". " + strings.TrimSpace(note)}); err != nil {
		return nil, err
	}
	return s.View(ctx, id)
}

// Revert is 回退: a clearing that should not have stood is reversed in
// the same episode (township or above, PermApproveCases); the household
// is monitored again.
func (s *Service) Revert(ctx context.Context, id int64, note string) (*View, error) {
	u, err := backstop.Authorize(ctx, backstop.PermApproveCases)
	if err != nil {
		return nil, err
	}
	note = strings.TrimSpace(note)
	if note == "" || utf8.RuneCountInString(note) > backstop.MaxCaseNote {
		return nil, invalid([]backstop.Problem{problem("note", fmt.Sprintf("why the clearing is reversed, at most %d characters", backstop.MaxCaseNote), fmt.Sprintf("回退须写明理由（最多%d个字）", backstop.MaxCaseNote))})
	}
	c, err := s.forWrite(ctx, u, id)
	if err != nil {
		return nil, err
	}
	if c.State != backstop.CaseCleared {
		return nil, twoLanguages(backstop.ECONFLICT, fmt.Sprintf("只有已消除风险的案件可以回退（案件%d当前状态：%s）", id, caseStateZH[c.State]), fmt.Sprintf("Only a cleared case is reverted (case %d is %s).", id, c.State))
	}
	next := *c
	was := c.ClearedOn
	next.State, next.Step, next.ClearedOn = backstop.CaseActive, "", ""
	ch := &backstop.CaseChange{Step: &backstop.CaseStep{Phase: backstop.PhaseClear, Step: "revert", Role: u.Role, Outcome: backstop.OutcomeRevert, Note: note, PolicyID: c.ClearingPolicyID},
		Decision: s.decision(&next, true), Action: "case.reverted", Detail: fmt.Sprintf("clearing of %s reversed: %s", was, note)}
	if err := s.Store.UpdateCase(ctx, &next, ch); err != nil {
		return nil, err
	}
	return s.View(ctx, id)
}

// Candidates lists the active cases in the user's region that are
// eligible to clear now (read a page of active cases identified before
// the observation period, and judge each).
func (s *Service) Candidates(ctx context.Context, region string, offset, limit int) ([]*Clearing, int, error) {
	if _, err := backstop.Authorize(ctx, backstop.PermReadCases); err != nil {
		return nil, 0, err
	}
	var out []*Clearing
	for off := 0; ; off += 500 {
		cs, total, err := s.Store.FindCases(ctx, backstop.CaseFilter{State: string(backstop.CaseActive), Region: region, Offset: off, Limit: 500})
		if err != nil {
			return nil, 0, err
		}
		for _, c := range cs {
			e, err := s.eligibility(ctx, c)
			if err != nil {
				return nil, 0, err
			}
			if e.Eligible {
				out = append(out, e)
			}
		}
		if off+500 >= total {
			break
		}
	}
	n := len(out)
	if offset > n {
		offset = n
	}
	if limit <= 0 {
		limit = 100
	}
	return out[offset:min(n, offset+limit)], n, nil
}
