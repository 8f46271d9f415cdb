package assist

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/zhangye-backstop/backstop"
)

// ClockReferralAnswer is the clock of civil affairs' answer to a 低保/特困
// referral of a household without labour; its subject is measure:<id>.
const ClockReferralAnswer = backstop.ClockReferralAnswer

// PlanStore is what the assistance plan needs besides Store.
type PlanStore interface {
	FindCase(ctx context.Context, id int64) (*backstop.Case, error)
	FindMeasure(ctx context.Context, id int64) (*backstop.Measure, error)
	CreateMeasure(ctx context.Context, m *backstop.Measure) error
	UpdateMeasure(ctx context.Context, m *backstop.Measure) error
	FindMeasures(ctx context.Context, f backstop.MeasureFilter) ([]*backstop.Measure, int, error)
	StartClock(ctx context.Context, c *backstop.Clock) error
	StopClock(ctx context.Context, kind, subject string, state backstop.ClockState, at time.Time) error
}

func (s *Service) planStore() (PlanStore, error) {
	ps, ok := s.Store.(PlanStore)
	if !ok {
		return nil, backstop.Localized(backstop.EUNAVAILABLE, "未配置监测帮扶案件存储", "No case store is configured.")
	}
	return ps, nil
}

// catalogAndRules reads the catalog and the rules in force for a region.
func (s *Service) catalogAndRules(ctx context.Context, region string) ([]backstop.MeasureCategory, []backstop.MeasureRule, []int64, error) {
	now := s.now()
	cp, err := s.policy(ctx, backstop.PolicyMeasureCategories, region, now)
	if err != nil {
		return nil, nil, nil, err
	}
	catalog, err := backstop.MeasureCatalogOf(cp)
	if err != nil {
		return nil, nil, nil, err
	}
	rp, err := s.policy(ctx, backstop.PolicyMeasureRules, region, now)
	if err != nil {
		return nil, nil, nil, err
	}
	rules, err := backstop.ParseMeasureRules(rp.Data)
	if err != nil {
		return nil, nil, nil, err
	}
	return catalog, rules, []int64{cp.ID, rp.ID}, nil
}

// policy reads a key in force; a missing version is an error naming it.
func (s *Service) policy(ctx context.Context, key, region string, at time.Time) (*backstop.Policy, error) {
	p, err := s.Store.PolicyAt(ctx, key, region, at)
	if backstop.ErrorCode(err) == backstop.ENOTFOUND {
		return nil, backstop.Localized(backstop.EUNAVAILABLE, "缺少政策参数“%s”：请管理员在政策参数中设置", "The policy %s is not set: an admin must add a version.", key)
	}
	return p, err
}

// caseOf reads a case of the user's region.
func (s *Service) caseOf(ctx context.Context, ps PlanStore, id int64) (*backstop.Case, error) {
	c, err := ps.FindCase(ctx, id)
	if backstop.ErrorCode(err) == backstop.ENOTFOUND {
		return nil, backstop.Localized(backstop.ENOTFOUND, "找不到编号为%d的监测帮扶案件（或不在您的管辖范围内）", "Case %d not found.", id)
	}
	return c, err
}

// Plan proposes a case's measures (一户一策) from its risk types and the
// household's labour, marking those already recorded.
func (s *Service) Plan(ctx context.Context, caseID int64) (*backstop.MeasurePlan, error) {
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
	catalog, rules, ids, err := s.catalogAndRules(ctx, h.VillageCode)
	if err != nil {
		return nil, err
	}
	labour := backstop.LabourClass(h)
	plan := &backstop.MeasurePlan{CaseID: c.ID, Household: c.Household, Labour: labour, RiskTypes: c.RiskTypes, PolicyIDs: ids,
		Proposals: backstop.ProposeMeasures(catalog, rules, c.RiskTypes, labour)}
	if plan.RiskTypes == nil {
		plan.RiskTypes = []string{}
	}
	ms, _, err := ps.FindMeasures(ctx, backstop.MeasureFilter{CaseID: c.ID, Limit: 1000})
	if err != nil {
		return nil, err
	}
	for i := range plan.Proposals {
		p := &plan.Proposals[i]
		for _, m := range ms {
			if m.Category == p.Category && m.Item == p.Item && m.Status != backstop.MeasureRefused {
				p.Existing = m.ID
			}
		}
	}
	return plan, nil
}

// Choice is a proposal (by rule) or a measure by hand (category and item
// of the catalog) that people chose, with its owner and named person.
type Choice struct {
	Rule       string   `json:"rule,omitempty"`
	Category   string   `json:"category,omitempty"`
	Item       string   `json:"item,omitempty"`
	Department string   `json:"department,omitempty"`
	Person     string   `json:"person"`
	Amount     *float64 `json:"amount,omitempty"`
	PlannedOn  string   `json:"planned_on,omitempty"`
	Note       string   `json:"note,omitempty"`
}

// AdoptInput is the measures chosen for a case.
type AdoptInput struct {
	Measures []Choice `json:"measures"`
}

// MaxChoices bounds the measures chosen at once.
const MaxChoices = 30

// Adopt records the chosen measures (status planned) of a case; a
// referral to civil affairs starts the clock of its answer.
func (s *Service) Adopt(ctx context.Context, caseID int64, in AdoptInput) ([]*backstop.Measure, error) {
	if _, err := backstop.Authorize(ctx, backstop.PermManageCases); err != nil {
		return nil, err
	}
	if len(in.Measures) == 0 || len(in.Measures) > MaxChoices {
		return nil, invalid("measures", fmt.Sprintf("请选择1至%d项措施", MaxChoices), fmt.Sprintf("choose 1 to %d measures", MaxChoices))
	}
	ps, err := s.planStore()
	if err != nil {
		return nil, err
	}
	c, err := s.caseOf(ctx, ps, caseID)
	if err != nil {
		return nil, err
	}
	switch c.State {
	case backstop.CaseCleared, backstop.CaseRefused:
		return nil, backstop.Localized(backstop.ECONFLICT, "案件%[1]d已%[2]s，不能再添加帮扶措施", "Case %[1]d is %[3]s: no measures can be added.", c.ID, map[backstop.CaseState]string{backstop.CaseCleared: "消除风险", backstop.CaseRefused: "不予认定"}[c.State], c.State)
	}
	h, err := s.household(ctx, c.Household)
	if err != nil {
		return nil, err
	}
	catalog, rules, _, err := s.catalogAndRules(ctx, h.VillageCode)
	if err != nil {
		return nil, err
	}
	today := s.today()
	var out []*backstop.Measure
	var referrals []*backstop.Measure
	for i, ch := range in.Measures {
		field := "measures[" + strconv.Itoa(i) + "]"
		m := &backstop.Measure{CaseID: c.ID, Household: c.Household, Village: c.Village, Category: ch.Category, Item: ch.Item, Department: ch.Department, Status: backstop.MeasurePlanned, Rule: ch.Rule}
		referral := false
		if ch.Rule != "" {
			var rule *backstop.MeasureRule
			for j := range rules {
				if rules[j].Code == ch.Rule {
					rule = &rules[j]
				}
			}
			if rule == nil {
				return nil, invalid(field+".rule", "没有代码为“"+ch.Rule+"”的推荐规则", "no proposal rule "+ch.Rule)
			}
			m.Category, m.Item, referral = rule.Category, rule.Item, rule.Referral
			if m.Department == "" {
				m.Department = rule.Department
			}
		}
		if _, ok := backstop.CategoryOf(catalog, m.Category, m.Item); !ok {
			return nil, invalid(field+".item", fmt.Sprintf("“%s/%s”不在帮扶措施类别与项目中", m.Category, m.Item), fmt.Sprintf("%s/%s is not in the measure catalog", m.Category, m.Item))
		}
		if m.Department, err = text(field+".department", "负责部门", m.Department, true); err != nil {
			return nil, err
		}
		if m.Person, err = text(field+".person", "责任人", ch.Person, true); err != nil {
			return nil, err
		}
		if m.Note, err = text(field+".note", "备注", ch.Note, false); err != nil {
			return nil, err
		}
		if ch.Amount != nil {
			if v := *ch.Amount; math.IsNaN(v) || v < 0 || v > backstop.MaxAssistAmount {
				return nil, invalid(field+".amount", fmt.Sprintf("金额须在0至%.0f元之间", float64(backstop.MaxAssistAmount)), "0 to the limit")
			}
			m.Amount = ch.Amount
		}
		m.PlannedOn = today
		if ch.PlannedOn != "" {
			d, err := time.Parse(time.DateOnly, ch.PlannedOn)
			if err != nil {
				return nil, invalid(field+".planned_on", "计划日期须为YYYY-MM-DD", "a date YYYY-MM-DD")
			}
			m.PlannedOn = d.Format(time.DateOnly)
		}
		out = append(out, m)
		if referral {
			referrals = append(referrals, m)
		}
	}
	var answer *backstop.Policy
	if len(referrals) > 0 {
		if answer, err = s.policy(ctx, backstop.PolicyReferralAnswer, h.VillageCode, s.now()); err != nil {
			return nil, err
		}
		if s.Clocks == nil {
			return nil, backstop.Localized(backstop.EUNAVAILABLE, "未配置计时服务", "No clock engine is configured.")
		}
	}
	for _, m := range out {
		if err := ps.CreateMeasure(ctx, m); err != nil {
			return nil, err
		}
	}
	for _, m := range referrals {
		clk, err := s.Clocks.New(ctx, ClockReferralAnswer, fmt.Sprintf("measure:%d", m.ID), m.Village, s.now(), answer)
		if err != nil {
			return nil, err
		}
		if err := ps.StartClock(ctx, clk); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// ReferralAnswer is civil affairs' answer to a 低保/特困 referral.
type ReferralAnswer struct {
	Version int    `json:"version"`
	Answer  string `json:"answer"` // approved or refused
	Note    string `json:"note"`
}

// AnswerReferral records civil affairs' answer on the referral measure
// (approved: in progress, the safety net granted; refused: refused) and
// stops its clock.
func (s *Service) AnswerReferral(ctx context.Context, measureID int64, in ReferralAnswer) (*backstop.Measure, error) {
	if _, err := backstop.Authorize(ctx, backstop.PermManageCases); err != nil {
		return nil, err
	}
	ps, err := s.planStore()
	if err != nil {
		return nil, err
	}
	note, err := text("note", "答复意见", in.Note, true)
	if err != nil {
		return nil, err
	}
	m, err := ps.FindMeasure(ctx, measureID)
	if backstop.ErrorCode(err) == backstop.ENOTFOUND {
		return nil, backstop.Localized(backstop.ENOTFOUND, "找不到编号为%d的帮扶措施", "Measure %d not found.", measureID)
	} else if err != nil {
		return nil, err
	}
	if m.Status != backstop.MeasurePlanned || m.Category != "综合保障" {
		return nil, backstop.Localized(backstop.ECONFLICT, "措施%d不是待民政答复的转介", "Measure %d is not a referral awaiting an answer.", measureID)
	}
	if in.Version != 0 && in.Version != m.Version {
		return nil, backstop.Localized(backstop.ECONFLICT, "措施%d已被他人修改，请刷新后再试", "Measure %d changed meanwhile: reload and try again.", measureID)
	}
	switch in.Answer {
	case "approved":
		m.Status, m.StartedOn = backstop.MeasureInProgress, s.today()
	case "refused":
		m.Status = backstop.MeasureRefused
	default:
		return nil, invalid("answer", "答复只能是 approved（同意纳入）或 refused（不予纳入）", "approved or refused")
	}
	m.Note = strings.TrimSpace(m.Note + " 民政答复：" + note)
	if err := ps.UpdateMeasure(ctx, m); err != nil {
		return nil, err
	}
	if err := ps.StopClock(ctx, ClockReferralAnswer, fmt.Sprintf("measure:%d", m.ID), backstop.ClockMet, s.now()); err != nil && backstop.ErrorCode(err) != backstop.ENOTFOUND {
		return nil, err
	}
	return m, nil
}

// Queue pages a department's measures. A department user sees its own
// organisation's queue whatever it asks for; others name the department.
func (s *Service) Queue(ctx context.Context, department, status, region string, offset, limit int) ([]*backstop.Measure, int, error) {
	u, err := backstop.Authorize(ctx, backstop.PermMeasureQueue)
	if err != nil {
		return nil, 0, err
	}
	if u.Role == backstop.RoleDepartment {
		of, ok := s.Store.(interface {
			OrganisationOf(ctx context.Context, user string) (*backstop.Organisation, error)
		})
		if !ok {
			return nil, 0, backstop.Localized(backstop.EUNAVAILABLE, "未配置部门信息", "No organisations are configured.")
		}
		// A member of an organisation reads its own queue; a department
		// account of no organisation the one it names, in its region.
		o, err := of.OrganisationOf(ctx, u.Name)
		switch {
		case err == nil:
			department = string(o.Kind)
		case backstop.ErrorCode(err) != backstop.ENOTFOUND:
			return nil, 0, err
		}
	}
	if status != "" && !slices.Contains(backstop.MeasureStatuses, status) {
		return nil, 0, invalid("status", "状态只能是 planned、in_progress、done 或 refused", "planned, in_progress, done or refused")
	}
	if strings.TrimSpace(department) == "" {
		return nil, 0, invalid("department", "请选择部门", "a department is required")
	}
	ps, err := s.planStore()
	if err != nil {
		return nil, 0, err
	}
	ms, total, err := ps.FindMeasures(ctx, backstop.MeasureFilter{Department: department, Status: status, Region: region, Offset: offset, Limit: limit})
	if err != nil {
		return nil, 0, err
	}
	if !u.Can(backstop.PermReadRegistry) {
		// A department does the measure in the village with the named
		// person; the household's number is registry data it does not read.
		for _, m := range ms {
			m.Household = ""
		}
	}
	return ms, total, nil
}
