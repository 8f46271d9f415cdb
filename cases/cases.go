// Package cases is the use case of monitoring cases (监测帮扶, issue 12):
// opening a case for an at-risk household, on the normal procedure or the
// green channel; doing the procedure's steps in order by compare-and-set;
// the procedure debts of a green-channel case; the monitoring decision on
// county approval; measures; clearing (风险消除) with its eligibility,
// 暂不标注, 回退 and 再标注; the national data checks; the escalation of
// overdue steps and debts on the clock engine.
package cases

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/screening"
	"github.com/zhangye-backstop/backstop/sharing"
)

// Store is what cases need of storage.
type Store interface {
	backstop.CaseStore
	PolicyAt(ctx context.Context, key, region string, date time.Time) (*backstop.Policy, error)
	FindHousehold(ctx context.Context, number string) (*backstop.Household, error)
	FindAssessment(ctx context.Context, household string) (*backstop.Assessment, error)
	FindLossReport(ctx context.Context, id int64) (*backstop.LossReport, error)
	FindLossReports(ctx context.Context, f backstop.LossReportFilter) ([]*backstop.LossReport, int, error)
	ContactsFor(ctx context.Context, regions []string) ([]*backstop.Contact, error)
	FindRegion(ctx context.Context, code string, boundary bool) (*backstop.Region, error)
}

// Clocks makes clocks from policy limits.
type Clocks interface {
	New(ctx context.Context, kind, subject, region string, start time.Time, p *backstop.Policy) (*backstop.Clock, error)
	Due(ctx context.Context, start time.Time, limit float64, unit backstop.ClockUnit) (time.Time, string, bool, error)
}

// Events tells departments of cases opened and cleared (sharing).
type Events interface {
	CaseOpened(ctx context.Context, c sharing.CaseNotice) error
	CaseCleared(ctx context.Context, c sharing.CaseNotice) error
}

// Service runs cases.
type Service struct {
	Store  Store
	Clocks Clocks
	Events Events
	Logger *slog.Logger
	Now    func() time.Time
	// AttachDir holds the steps' attachments (consent scans, photos),
	// named by their SHA-256.
	AttachDir     string
	MaxAttachment int64
	// MoreChecks, when set, adds the national checks that need policy data
	// and the household (assist.Service.ChecksOf) to a case's problems.
	MoreChecks func(ctx context.Context, c *backstop.Case, measures []*backstop.Measure) ([]backstop.Problem, error)
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Service) logger() *slog.Logger {
	if s.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Logger
}

func today(t time.Time) string { return t.In(backstop.Beijing).Format(time.DateOnly) }

func problem(path, en, zh string) backstop.Problem {
	return backstop.Problem{Path: path, Reason: en, ReasonZH: zh}
}

func invalid(problems []backstop.Problem) error {
	return &backstop.Error{Code: backstop.EINVALID, Message: fmt.Sprintf("The case has %d problem(s): %s: %s.", len(problems), problems[0].Path, problems[0].Reason),
		ZH: fmt.Sprintf("有 %d 处问题：%s", len(problems), problems[0].ReasonZH), Details: problems}
}

// procedure reads the named procedure in force for a village: the name
// from selectKey, then its steps.
func (s *Service) procedure(ctx context.Context, selectKey, village string) (string, string, *backstop.Policy, []backstop.ProcedureStep, error) {
	sel, err := s.Store.PolicyAt(ctx, selectKey, village, s.now())
	if err != nil {
		return "", "", nil, nil, missingPolicy(err, selectKey, village)
	}
	items, err := sel.ListItems()
	if err != nil {
		return "", "", nil, nil, err
	}
	name := items[0].Code
	p, err := s.Store.PolicyAt(ctx, backstop.PolicyCaseProcedures+name, village, s.now())
	if err != nil {
		return "", "", nil, nil, missingPolicy(err, backstop.PolicyCaseProcedures+name, village)
	}
	steps, err := p.ProcedureSteps()
	if err != nil {
		return "", "", nil, nil, err
	}
	for _, st := range steps {
		if _, err := backstop.ParseRole(string(st.Role)); err != nil {
			return "", "", nil, nil, backstop.Localized(backstop.EINVALID, "程序“%s”的步骤“%s”角色无效", "Procedure %s: step %s has no valid role.", name, st.Code)
		}
	}
	return name, items[0].ZH, p, steps, nil
}

// missingPolicy names a policy row that does not apply: never a default.
func missingPolicy(err error, key, region string) error {
	if backstop.ErrorCode(err) == backstop.ENOTFOUND {
		return backstop.Localized(backstop.EINVALID, "地区%[1]s没有适用的政策参数“%[2]s”，请管理员添加", "No version of policy %[2]s applies to region %[1]s; an admin adds one.", region, key)
	}
	return err
}

func (s *Service) number(ctx context.Context, key, region string) (*backstop.Policy, error) {
	p, err := s.Store.PolicyAt(ctx, key, region, s.now())
	if err != nil {
		return nil, missingPolicy(err, key, region)
	}
	return p, nil
}

// stepClock is a step's clock from its limit; none for a limit of 0.
func (s *Service) stepClock(ctx context.Context, kind, region string, st backstop.ProcedureStep, policyID int64, start time.Time) (*backstop.Clock, error) {
	if st.Limit <= 0 {
		return nil, nil
	}
	return s.Clocks.New(ctx, kind, "", region, start, &backstop.Policy{ID: policyID, Value: st.Limit, Unit: string(st.Unit)})
}

// OpenInput is a new case as asked.
type OpenInput struct {
	Household    string `json:"household"`
	Source       string `json:"source"`
	SourceID     int64  `json:"source_id,omitempty"`
	GreenChannel bool   `json:"green_channel"`
	// RiskTypes are 100A27 codes (at most five); empty: the assessment's.
	RiskTypes       []string `json:"risk_types,omitempty"`
	DisasterSubItem string   `json:"disaster_sub_item,omitempty"`
	DisasterNote    string   `json:"disaster_note,omitempty"`
	MonitorType     string   `json:"monitor_type,omitempty"`
	Note            string   `json:"note,omitempty"`
}

// View is a case with its steps, debts, measures and the national checks'
// problems, as the case page and GET /api/v1/cases/{id} show it.
type View struct {
	*backstop.Case
	// Incomplete is 程序未完成: a debt is still open.
	Incomplete bool                 `json:"incomplete"`
	History    []*backstop.CaseStep `json:"steps"`
	Debts      []*backstop.CaseDebt `json:"debts"`
	Measures   []*backstop.Measure  `json:"measures"`
	Problems   []backstop.Problem   `json:"problems"`
	// Next is the step due next, with its clock when one runs.
	Next      *backstop.ProcedureStep `json:"next,omitempty"`
	NextClock *backstop.Clock         `json:"next_clock,omitempty"`
}

// Open opens a case: on the normal procedure at its first step with that
// step's clock, or on the green channel — only for a disaster- or
// accident-caused risk with a township-verified loss report — active at
// once with a monitoring decision made the same day and every step a
// debt due by its clock.
func (s *Service) Open(ctx context.Context, in OpenInput) (*View, error) {
	u, err := backstop.Authorize(ctx, backstop.PermManageCases)
	if err != nil {
		return nil, err
	}
	var problems []backstop.Problem
	src, err := backstop.ParseCaseSource(in.Source)
	if err != nil {
		problems = append(problems, problem("source", "assessment, self_report, referral or manual", "来源须为 assessment（风险研判）、self_report（自主申报）、referral（部门推送）或 manual（人工录入）"))
	}
	in.Household = strings.TrimSpace(in.Household)
	if in.Household == "" || len(in.Household) > 30 {
		problems = append(problems, problem("household", "a household number (户编号) of at most 30 characters", "请填写户编号（最多30位）"))
	}
	if utf8.RuneCountInString(in.Note) > backstop.MaxCaseNote || utf8.RuneCountInString(in.DisasterNote) > backstop.MaxCaseNote {
		problems = append(problems, problem("note", fmt.Sprintf("at most %d characters", backstop.MaxCaseNote), fmt.Sprintf("备注最多%d个字", backstop.MaxCaseNote)))
	}
	if in.MonitorType != "" && !slices.Contains(backstop.MonitorTypes, in.MonitorType) {
		problems = append(problems, problem("monitor_type", "脱贫不稳定户, 边缘易致贫户 or 突发严重困难户", "监测对象类别须为脱贫不稳定户、边缘易致贫户或突发严重困难户"))
	}
	if len(problems) > 0 {
		return nil, invalid(problems)
	}
	h, err := s.Store.FindHousehold(ctx, in.Household)
	if err != nil {
		return nil, backstop.NotInRegion(u, err, "农户"+in.Household, "household "+in.Household)
	}
	if !u.InScope(h.VillageCode) {
		return nil, backstop.Localized(backstop.EFORBIDDEN, "农户%s不在您的管辖范围内", "Household %s is outside your region.", h.Number)
	}
	a, err := s.Store.FindAssessment(ctx, h.Number)
	if err != nil && backstop.ErrorCode(err) != backstop.ENOTFOUND {
		return nil, err
	}
	if err != nil {
		a = nil
	}
	now := s.now()
	c := &backstop.Case{Household: h.Number, Source: src, SourceID: in.SourceID, GreenChannel: in.GreenChannel, MonitorType: in.MonitorType,
		DisasterSubItem: strings.TrimSpace(in.DisasterSubItem), DisasterNote: strings.TrimSpace(in.DisasterNote), Note: strings.TrimSpace(in.Note)}
	if src == backstop.CaseFromAssessment && a != nil && c.SourceID == 0 {
		c.SourceID = a.ID
	}
	c.RiskTypes, err = s.riskTypes(ctx, h.VillageCode, in.RiskTypes, a, c)
	if err != nil {
		return nil, err
	}
	if c.MonitorType == "" {
		c.MonitorType = backstop.MonitorSuddenHardship
		if a != nil && a.SuggestedMonitorType != "" {
			c.MonitorType = a.SuggestedMonitorType
		}
	}
	c.Identification = identificationBlock(h, a, now)
	// 再标注: a new episode after a clearing links to the case before.
	if prev, err := s.Store.LatestCase(ctx, h.Number); err == nil && !prev.State.Open() {
		c.PreviousCaseID = prev.ID
	}
	name, zh, p, steps, err := s.procedure(ctx, backstop.PolicyCaseProcedure, h.VillageCode)
	if err != nil {
		return nil, err
	}
	c.Procedure, c.ProcedureZH, c.PolicyID, c.Steps = name, zh, p.ID, steps
	ch := &backstop.CaseChange{}
	if in.GreenChannel {
		report, why := s.greenChannelReport(ctx, h, a, c.RiskTypes)
		if why != nil {
			return nil, why
		}
		c.LossReportID = report.ID
		c.State, c.IdentifiedOn = backstop.CaseActive, today(now)
		for _, st := range steps {
			limit := st
			if limit.Limit <= 0 {
				limit.Limit, limit.Unit = 0, backstop.UnitDays
			}
			clk, err := s.Clocks.New(ctx, backstop.ClockCaseDebt, "", h.VillageCode, now, &backstop.Policy{ID: p.ID, Value: limit.Limit, Unit: string(limit.Unit)})
			if err != nil {
				return nil, err
			}
			ch.NewDebts = append(ch.NewDebts, &backstop.CaseDebt{Step: st.Code, ZH: st.ZH})
			ch.DebtClocks = append(ch.DebtClocks, clk)
		}
		ch.Decision = s.decision(c, true)
		ch.Action = "case.green_channel"
		ch.Detail = fmt.Sprintf("green channel for %s on loss report %d: active, %d procedure debts (%s)", h.Number, report.ID, len(steps), name)
	} else {
		c.State, c.Step = backstop.CaseInProcedure, steps[0].Code
		if ch.Start, err = s.stepClock(ctx, backstop.ClockCaseStep, h.VillageCode, steps[0], p.ID, now); err != nil {
			return nil, err
		}
		ch.Action = "case.create"
		ch.Detail = fmt.Sprintf("case of %s from %s on procedure %s (policy %d), first step %s", h.Number, src, name, p.ID, c.Step)
	}
	if err := s.Store.CreateCase(ctx, c, ch); err != nil {
		return nil, err
	}
	if c.GreenChannel {
		s.opened(ctx, c, now)
	}
	return s.View(ctx, c.ID)
}

// greenChannelReport finds the township-verified loss report a green
// channel rests on, or says why there is none.
func (s *Service) greenChannelReport(ctx context.Context, h *backstop.Household, a *backstop.Assessment, risks []string) (*backstop.LossReport, error) {
	caused := slices.Contains(risks, backstop.RiskNaturalDisaster) || slices.Contains(risks, riskAccident) || (a != nil && a.DisasterCaused)
	if !caused {
		return nil, backstop.Localized(backstop.EINVALID, "绿色通道只用于因自然灾害或意外事故导致的风险：农户%s的风险类型不是因自然灾害或因意外事故",
			"The green channel is only for a risk caused by a disaster or an accident: household %s has neither risk type.", h.Number)
	}
	reports, _, err := s.Store.FindLossReports(ctx, backstop.LossReportFilter{Household: h.Number, Limit: 20})
	if err != nil {
		return nil, err
	}
	for _, r := range reports {
		if r.Verified() {
			return r, nil
		}
	}
	return nil, backstop.Localized(backstop.EINVALID, "绿色通道需要事实清楚：农户%s没有经乡镇核实的灾损报告，请先核实灾损或走一般程序",
		"The green channel needs clear facts: household %s has no loss report the township verified; verify one or use the normal procedure.", h.Number)
}

// riskAccident is 因意外事故 (100A27007).
const riskAccident = "100A27007"

// riskTypes checks the asked risk types against code table 100A27 (at
// most five), or takes the assessment's; the 因自然灾害 sub-item comes from
// the assessment when not given.
func (s *Service) riskTypes(ctx context.Context, village string, asked []string, a *backstop.Assessment, c *backstop.Case) ([]string, error) {
	if len(asked) == 0 && a != nil {
		for _, rt := range a.RiskTypes {
			asked = append(asked, rt.Code)
			if rt.Code == backstop.RiskNaturalDisaster && c.DisasterSubItem == "" {
				c.DisasterSubItem, c.DisasterNote = rt.SubItem, rt.Note
			}
		}
	}
	if len(asked) > backstop.MaxCaseRiskTypes {
		return nil, invalid([]backstop.Problem{problem("risk_types", fmt.Sprintf("at most %d risk types, not %d", backstop.MaxCaseRiskTypes, len(asked)),
			fmt.Sprintf("风险类型最多%d项，不能是%d项", backstop.MaxCaseRiskTypes, len(asked)))})
	}
	p, err := s.number(ctx, backstop.PolicyRiskTypes, village)
	if err != nil {
		return nil, err
	}
	items, err := p.ListItems()
	if err != nil {
		return nil, err
	}
	known := map[string]bool{}
	for _, it := range items {
		known[it.Code] = true
	}
	out := []string{}
	for i, code := range asked {
		if !known[code] {
			return nil, invalid([]backstop.Problem{problem(fmt.Sprintf("risk_types[%d]", i), "a code of table 100A27, not "+code, "风险类型须为代码表100A27中的代码，不能是“"+code+"”")})
		}
		if !slices.Contains(out, code) {
			out = append(out, code)
		}
	}
	return out, nil
}

// identificationBlock is the income and 三保障 + water block of a
// household now (the registry and its current assessment).
func identificationBlock(h *backstop.Household, a *backstop.Assessment, now time.Time) *backstop.CaseBlock {
	b := &backstop.CaseBlock{People: max(h.People, 1), RecordedOn: today(now)}
	if h.IncomePerCapita != nil {
		b.IncomePerCapita = *h.IncomePerCapita
	}
	if h.DangerousHouse != nil && *h.DangerousHouse {
		b.HousingUnsafe = true
	}
	if h.SafeWater != nil && !*h.SafeWater {
		b.WaterUnsafe = true
	}
	if a != nil {
		b.AssessmentID = a.ID
		if a.ProjectedPerCapitaIncome != nil {
			b.IncomePerCapita = *a.ProjectedPerCapitaIncome
		}
		if a.MonitoringLine != nil {
			b.MonitoringLine = *a.MonitoringLine
		}
		b.HousingUnsafe = b.HousingUnsafe || a.HasReason(backstop.ReasonHousing)
		b.WaterUnsafe = b.WaterUnsafe || a.HasReason(backstop.ReasonWater)
		b.SchoolDropout = a.HasReason(backstop.ReasonSchooling)
		b.RigidCostsOpen = a.HasReason(backstop.ReasonMedical) || a.HasReason(backstop.ReasonSchooling)
	}
	b.ReferenceIncome = b.IncomePerCapita * float64(b.People)
	b.NetIncome = b.ReferenceIncome
	return b
}

// decision is the monitoring decision a case makes.
func (s *Service) decision(c *backstop.Case, monitored bool) *backstop.MonitoringDecision {
	d := &backstop.MonitoringDecision{Monitored: monitored, MonitorType: c.MonitorType, IdentifiedOn: c.IdentifiedOn, RiskTypes: c.RiskTypes}
	if c.ID != 0 {
		d.Source = fmt.Sprintf("case:%d", c.ID)
	}
	if !monitored {
		d.ClearedOn = c.ClearedOn
	}
	return d
}

func notice(c *backstop.Case, at time.Time) sharing.CaseNotice {
	return sharing.CaseNotice{ID: c.ID, Household: c.Household, Village: c.Village, MonitorType: c.MonitorType, RiskTypes: c.RiskTypes, GreenChannel: c.GreenChannel, At: at}
}

func (s *Service) opened(ctx context.Context, c *backstop.Case, at time.Time) {
	if s.Events == nil {
		return
	}
	if err := s.Events.CaseOpened(ctx, notice(c, at)); err != nil {
		s.logger().Error("cases: publish case opened", "case", c.ID, "err", err)
	}
}

func (s *Service) cleared(ctx context.Context, c *backstop.Case, at time.Time) {
	if s.Events == nil {
		return
	}
	if err := s.Events.CaseCleared(ctx, notice(c, at)); err != nil {
		s.logger().Error("cases: publish case cleared", "case", c.ID, "err", err)
	}
}

// View reads a case with its steps, debts, measures and problems.
func (s *Service) View(ctx context.Context, id int64) (*View, error) {
	if _, err := backstop.Authorize(ctx, backstop.PermReadCases); err != nil {
		return nil, err
	}
	c, err := s.Store.FindCase(ctx, id)
	if err != nil {
		return nil, err
	}
	now := s.now()
	v := &View{Case: c}
	if v.History, err = s.Store.CaseSteps(ctx, id); err != nil {
		return nil, err
	}
	if v.Debts, err = s.Store.CaseDebts(ctx, id, now); err != nil {
		return nil, err
	}
	for _, d := range v.Debts {
		if d.PaidAt == nil {
			v.Incomplete = true
			if d.Overdue {
				c.OverdueDebt = true
			}
		}
	}
	if v.Measures, _, err = s.Store.FindMeasures(ctx, backstop.MeasureFilter{CaseID: id, Limit: 1000}); err != nil {
		return nil, err
	}
	if st, _, ok := c.NextStep(); ok {
		v.Next = &st
	}
	if err := s.Store.CaseStepClocks(ctx, []*backstop.Case{c}); err != nil {
		return nil, err
	}
	v.NextClock = c.StepClock
	v.Problems = Check(c, nil, v.Measures, now)
	if s.MoreChecks != nil {
		more, err := s.MoreChecks(ctx, c, v.Measures)
		if err != nil {
			return nil, err
		}
		v.Problems = append(v.Problems, more...)
	}
	return v, nil
}

// Cases pages the cases in the user's region.
func (s *Service) Cases(ctx context.Context, f backstop.CaseFilter) ([]*backstop.Case, int, error) {
	if _, err := backstop.Authorize(ctx, backstop.PermReadCases); err != nil {
		return nil, 0, err
	}
	if f.Now.IsZero() {
		f.Now = s.now()
	}
	cs, total, err := s.Store.FindCases(ctx, f)
	if err != nil {
		return nil, 0, err
	}
	// The list shows each case's clock: when its step is due.
	if err := s.Store.CaseStepClocks(ctx, cs); err != nil {
		return nil, 0, err
	}
	return cs, total, nil
}

// NationalDiff is one of the comparison lists with the national system.
func (s *Service) NationalDiff(ctx context.Context, kind, region string, offset, limit int) ([]*backstop.NationalDiffRow, int, error) {
	if _, err := backstop.Authorize(ctx, backstop.PermReadCases); err != nil {
		return nil, 0, err
	}
	return s.Store.NationalDiff(ctx, kind, region, offset, limit)
}

// StepInput is a step's outcome as recorded.
type StepInput struct {
	Outcome string `json:"outcome"` // pass, fail, or recheck (复核 of a refusal)
	Note    string `json:"note,omitempty"`
	// Version, when given, is the case's version the officer saw: a
	// change since is ECONFLICT.
	Version     int                         `json:"version,omitempty"`
	Staff       []string                    `json:"staff,omitempty"`
	Answers     []backstop.DepartmentAnswer `json:"answers,omitempty"`
	NoticeFrom  string                      `json:"notice_from,omitempty"`
	NoticeTo    string                      `json:"notice_to,omitempty"`
	Attachments []string                    `json:"attachments,omitempty"` // hashes of uploaded files
}

// mayDo refuses a user who may not do a step of its role: a township or
// county step needs PermApproveCases and a role of at least that level.
func mayDo(u *backstop.User, st backstop.ProcedureStep) error {
	if st.Role != backstop.RoleTownship && st.Role != backstop.RoleCounty && st.Role != backstop.RoleCity {
		return nil
	}
	if !u.Can(backstop.PermApproveCases) || !st.Role.AtMost(u.Role) {
		return twoLanguages(backstop.EFORBIDDEN, fmt.Sprintf("“%s”须由%s及以上人员办理", st.ZH, backstop.RoleName(st.Role).ZH), fmt.Sprintf("Step %s is done by a %s officer or above.", st.Code, st.Role))
	}
	return nil
}

// Step records a step's outcome by compare-and-set: the step due next (a
// green-channel case's first unpaid debt), or a 复核 of the step that
// refused the case.
func (s *Service) Step(ctx context.Context, id int64, code string, in StepInput) (*View, error) {
	u, err := backstop.Authorize(ctx, backstop.PermManageCases)
	if err != nil {
		return nil, err
	}
	if utf8.RuneCountInString(in.Note) > backstop.MaxCaseNote {
		return nil, invalid([]backstop.Problem{problem("note", fmt.Sprintf("at most %d characters", backstop.MaxCaseNote), fmt.Sprintf("意见最多%d个字", backstop.MaxCaseNote))})
	}
	switch in.Outcome {
	case backstop.OutcomePass, backstop.OutcomeFail, backstop.OutcomeRecheck:
	default:
		return nil, invalid([]backstop.Problem{problem("outcome", "pass, fail or recheck, not "+in.Outcome, "办理结果须为 pass（通过）、fail（不通过）或 recheck（复核）")})
	}
	c, err := s.forWrite(ctx, u, id)
	if err != nil {
		return nil, err
	}
	if in.Version != 0 && in.Version != c.Version {
		return nil, backstop.Localized(backstop.ECONFLICT, "案件%d已被他人修改，请刷新后重试", "Case %d was changed by someone else; reload and try again.", id)
	}
	now := s.now()
	if in.Outcome == backstop.OutcomeRecheck {
		return s.recheck(ctx, u, c, code, in, now)
	}
	// Which step is due: a green-channel case's first unpaid debt, else
	// the procedure's next step.
	var (
		st      backstop.ProcedureStep
		ordinal int
		phase   string
		payDebt bool
	)
	debts, err := s.Store.CaseDebts(ctx, id, now)
	if err != nil {
		return nil, err
	}
	if i := slices.IndexFunc(debts, func(d *backstop.CaseDebt) bool { return d.PaidAt == nil }); i >= 0 && c.State == backstop.CaseActive {
		j := slices.IndexFunc(c.Steps, func(p backstop.ProcedureStep) bool { return p.Code == debts[i].Step })
		if j < 0 {
			return nil, fmt.Errorf("case %d: debt %s is no step of its procedure", id, debts[i].Step)
		}
		st, ordinal, phase, payDebt = c.Steps[j], j+1, backstop.PhaseIdentify, true
	} else {
		var ok bool
		st, ordinal, ok = c.NextStep()
		if !ok {
			return nil, twoLanguages(backstop.ECONFLICT, fmt.Sprintf("案件%d当前没有待办理的步骤（状态：%s）", id, caseStateZH[c.State]), fmt.Sprintf("Case %d has no step due (state %s).", id, c.State))
		}
		phase = backstop.PhaseIdentify
		if c.ClearingPhase() {
			phase = backstop.PhaseClear
		}
	}
	if st.Code != code {
		return nil, backstop.Localized(backstop.ECONFLICT, "步骤顺序不对：案件%[1]d当前应办理“%[2]s”（%[3]s），不能办理“%[4]s”", "Out of order: case %[1]d is at step %[3]s (%[2]s), not %[4]s.", id, st.ZH, st.Code, code)
	}
	if err := mayDo(u, st); err != nil {
		return nil, err
	}
	rec := &backstop.CaseStep{Phase: phase, Step: st.Code, Ordinal: ordinal, Role: st.Role, Outcome: in.Outcome, Note: strings.TrimSpace(in.Note), PolicyID: c.PolicyID, Late: payDebt}
	if phase == backstop.PhaseClear {
		rec.PolicyID = c.ClearingPolicyID
	}
	ch := &backstop.CaseChange{Step: rec, Action: "case.step"}
	if payDebt {
		ch.PayDebt, ch.Action = st.Code, "case.debt_paid"
	}
	next := *c
	if in.Outcome == backstop.OutcomeFail {
		if rec.Note == "" {
			return nil, invalid([]backstop.Problem{problem("note", "a refusal gives its reason", "不通过须写明理由")})
		}
		if payDebt {
			return nil, backstop.Localized(backstop.EINVALID, "绿色通道案件的待补程序不能不通过；如认定有误，请按程序撤销监测", "A green-channel debt cannot be refused; revoke the monitoring instead.")
		}
		next.RefusedAt = st.Code
		if phase == backstop.PhaseClear {
			// A clearing refused: the household stays monitored.
			next.State, next.Step = backstop.CaseActive, ""
			ch.Action = "case.clearing_refused"
		} else {
			next.State, next.Step = backstop.CaseRefused, st.Code
			ch.Action = "case.refused"
		}
		ch.Detail = fmt.Sprintf("refused at %s: %s", st.Code, rec.Note)
		if err := s.Store.UpdateCase(ctx, &next, ch); err != nil {
			return nil, err
		}
		return s.View(ctx, id)
	}
	if err := s.checkStepFacts(ctx, c, st, in, rec); err != nil {
		return nil, err
	}
	opened, clearedNow := false, false
	if !payDebt {
		steps := c.Steps
		if phase == backstop.PhaseClear {
			steps = c.ClearingSteps
		}
		next.Step = ""
		if ordinal < len(steps) {
			next.Step = steps[ordinal].Code
		}
		if st.Kind == backstop.StepKindApproval {
			if phase == backstop.PhaseIdentify {
				next.State, next.IdentifiedOn = backstop.CaseActive, today(now)
				ch.Decision = s.decision(&next, true)
				opened = true
			} else {
				next.State, next.ClearedOn = backstop.CaseCleared, today(now)
				ch.Decision = s.decision(&next, false)
				clearedNow = true
			}
		}
		if next.Step != "" {
			nst := steps[ordinal]
			policy := c.PolicyID
			if phase == backstop.PhaseClear {
				policy = c.ClearingPolicyID
			}
			if ch.Start, err = s.stepClock(ctx, backstop.ClockCaseStep, c.Village, nst, policy, now); err != nil {
				return nil, err
			}
		}
	}
	ch.Detail = fmt.Sprintf("%s passed (%s), next %q, state %s", st.Code, phase, next.Step, next.State)
	if err := s.Store.UpdateCase(ctx, &next, ch); err != nil {
		return nil, err
	}
	if opened {
		s.opened(ctx, &next, now)
	}
	if clearedNow {
		s.cleared(ctx, &next, now)
	}
	return s.View(ctx, id)
}

// checkStepFacts checks what a step of its kind records.
func (s *Service) checkStepFacts(ctx context.Context, c *backstop.Case, st backstop.ProcedureStep, in StepInput, rec *backstop.CaseStep) error {
	for _, h := range in.Attachments {
		a, err := s.attachment(h)
		if err != nil {
			return err
		}
		rec.Attachments = append(rec.Attachments, *a)
	}
	switch st.Kind {
	case backstop.StepKindApplication:
		if len(rec.Attachments) == 0 {
			return invalid([]backstop.Problem{problem("attachments", "the signed consent to the family-finance check, scanned or photographed (upload it first)",
				"须上传农户签字的家庭经济状况核查授权书（扫描件或照片）")})
		}
	case backstop.StepKindHomeCheck:
		var staff []string
		for _, n := range in.Staff {
			if n = strings.TrimSpace(n); n != "" && !slices.Contains(staff, n) {
				if utf8.RuneCountInString(n) > backstop.MaxNameLength {
					return invalid([]backstop.Problem{problem("staff", fmt.Sprintf("a name of at most %d characters", backstop.MaxNameLength), fmt.Sprintf("姓名最多%d个字", backstop.MaxNameLength))})
				}
				staff = append(staff, n)
			}
		}
		if len(staff) != backstop.MaxStepStaff {
			return invalid([]backstop.Problem{problem("staff", "the two staff who made the home check, named", "入户核实须填写两名工作人员的姓名")})
		}
		rec.Staff = staff
	case backstop.StepKindCrossCheck:
		if len(in.Answers) == 0 || len(in.Answers) > backstop.MaxCaseAnswers {
			return invalid([]backstop.Problem{problem("answers", fmt.Sprintf("each department's answer (1 to %d)", backstop.MaxCaseAnswers), fmt.Sprintf("须记录各部门的比对结果（1至%d个部门）", backstop.MaxCaseAnswers))})
		}
		for i, a := range in.Answers {
			if strings.TrimSpace(a.Department) == "" || strings.TrimSpace(a.Answer) == "" || utf8.RuneCountInString(a.Answer) > backstop.MaxCaseNote {
				return invalid([]backstop.Problem{problem(fmt.Sprintf("answers[%d]", i), "a department and its answer", fmt.Sprintf("第%d条比对结果须有部门和答复（答复最多%d个字）", i+1, backstop.MaxCaseNote))})
			}
		}
		rec.Answers = in.Answers
	case backstop.StepKindNotice:
		from, err1 := time.Parse(time.DateOnly, in.NoticeFrom)
		to, err2 := time.Parse(time.DateOnly, in.NoticeTo)
		if err1 != nil || err2 != nil || to.Before(from) {
			return invalid([]backstop.Problem{problem("notice_from", "the notice's first and last day, YYYY-MM-DD", "请填写公示的起止日期（YYYY-MM-DD）")})
		}
		p, err := s.number(ctx, backstop.PolicyCaseNoticeDays, c.Village)
		if err != nil {
			return err
		}
		days := int(to.Sub(from).Hours()/24) + 1
		if float64(days) < p.Value {
			return backstop.Localized(backstop.EINVALID, "公示期为%d天，少于政策规定的%g天（政策参数%s第%d版）", "The notice ran %d days, shorter than the policy's %g days (policy %s version %d).",
				days, p.Value, backstop.PolicyCaseNoticeDays, p.ID)
		}
		rec.NoticeFrom, rec.NoticeTo = in.NoticeFrom, in.NoticeTo
	}
	return nil
}

// recheck is 复核 on appeal: a refused case reopens at the step that
// refused it, with that step's clock.
func (s *Service) recheck(ctx context.Context, u *backstop.User, c *backstop.Case, code string, in StepInput, now time.Time) (*View, error) {
	if c.State != backstop.CaseRefused || c.RefusedAt != code {
		return nil, twoLanguages(backstop.ECONFLICT, fmt.Sprintf("只有未通过的案件可在其未通过的步骤申请复核（案件%d当前状态：%s）", c.ID, caseStateZH[c.State]),
			fmt.Sprintf("Only a refused case is re-checked, at the step that refused it (case %d is %s).", c.ID, c.State))
	}
	if !u.Can(backstop.PermApproveCases) {
		return nil, backstop.Localized(backstop.EFORBIDDEN, "复核须由乡镇及以上人员受理", "A re-check is taken up by a township officer or above.")
	}
	if strings.TrimSpace(in.Note) == "" {
		return nil, invalid([]backstop.Problem{problem("note", "the appeal's grounds", "复核须写明申请理由")})
	}
	i := slices.IndexFunc(c.Steps, func(p backstop.ProcedureStep) bool { return p.Code == code })
	if i < 0 {
		return nil, backstop.Localized(backstop.ENOTFOUND, "程序中没有步骤“%s”", "The procedure has no step %s.", code)
	}
	// A newer episode of the household took its place (and counts in the
	// loop's figures); the appeal is taken up there. A newer open one
	// would collide with the one-open-case rule anyway.
	latest, _, err := s.Store.FindCases(ctx, backstop.CaseFilter{Household: c.Household, Limit: 1})
	if err != nil {
		return nil, err
	}
	if len(latest) > 0 && latest[0].ID != c.ID {
		return nil, twoLanguages(backstop.ECONFLICT, fmt.Sprintf("该户已有更新的认定（案件%d），复核请在最新的案件中办理", latest[0].ID),
			fmt.Sprintf("The household has a newer case (%d): a re-check is taken up there.", latest[0].ID))
	}
	next := *c
	next.State, next.Step, next.RefusedAt = backstop.CaseInProcedure, code, ""
	ch := &backstop.CaseChange{Step: &backstop.CaseStep{Phase: backstop.PhaseIdentify, Step: code, Ordinal: i + 1, Role: c.Steps[i].Role, Outcome: backstop.OutcomeRecheck, Note: strings.TrimSpace(in.Note), PolicyID: c.PolicyID},
		Action: "case.recheck", Detail: fmt.Sprintf("re-check at %s: %s", code, strings.TrimSpace(in.Note))}
	if ch.Start, err = s.stepClock(ctx, backstop.ClockCaseStep, c.Village, c.Steps[i], c.PolicyID, now); err != nil {
		return nil, err
	}
	if err := s.Store.UpdateCase(ctx, &next, ch); err != nil {
		return nil, err
	}
	return s.View(ctx, c.ID)
}

// caseStateZH names the states in messages.
var caseStateZH = map[backstop.CaseState]string{backstop.CaseInProcedure: "认定中", backstop.CaseActive: "监测帮扶中", backstop.CaseClearing: "风险消除中",
	backstop.CaseCleared: "已消除风险", backstop.CaseHeld: "暂不标注", backstop.CaseRefused: "未通过"}

// attachmentPath is where a stored attachment lives.
func (s *Service) attachmentPath(hash string) string {
	return filepath.Join(s.AttachDir, hash[:2], hash)
}

func (s *Service) attachment(hash string) (*backstop.Attachment, error) {
	if len(hash) != 64 || strings.Trim(hash, "0123456789abcdef") != "" {
		return nil, invalid([]backstop.Problem{problem("attachments", "the hash an upload returned", "附件编号无效，请重新上传")})
	}
	data, err := os.ReadFile(s.attachmentPath(hash))
	if err != nil {
		return nil, invalid([]backstop.Problem{problem("attachments", "no uploaded file has the hash "+hash, "找不到该附件，请重新上传")})
	}
	ct, _, err := screening.InspectPhoto(data, int64(len(data))+1)
	if err != nil {
		return nil, err
	}
	return &backstop.Attachment{Hash: hash, ContentType: ct, Bytes: int64(len(data))}, nil
}

func (s *Service) maxAttachment() int64 {
	if s.MaxAttachment > 0 {
		return s.MaxAttachment
	}
	return 10 << 20
}

// Attach stores an uploaded scan or photo (a JPEG, PNG or GIF, checked
// by its content) for a case's steps and returns its reference.
func (s *Service) Attach(ctx context.Context, id int64, body io.Reader) (*backstop.Attachment, error) {
	u, err := backstop.Authorize(ctx, backstop.PermManageCases)
	if err != nil {
		return nil, err
	}
	if _, err := s.forWrite(ctx, u, id); err != nil {
		return nil, err
	}
	data, err := io.ReadAll(io.LimitReader(body, s.maxAttachment()+1))
	if err != nil {
		return nil, backstop.Localized(backstop.EINVALID, "附件上传中断，请重试", "The upload broke off: try again.")
	}
	ct, _, err := screening.InspectPhoto(data, s.maxAttachment())
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(data)
	hash := hex.EncodeToString(sum[:])
	path := s.attachmentPath(hash)
	if err := screening.WriteAddressed(path, data); err != nil {
		return nil, err
	}
	return &backstop.Attachment{Hash: hash, ContentType: ct, Bytes: int64(len(data))}, nil
}

// Attachment opens a stored attachment of a case in the user's region.
func (s *Service) Attachment(ctx context.Context, id int64, hash string) (*os.File, *backstop.Attachment, error) {
	if _, err := backstop.Authorize(ctx, backstop.PermReadCases); err != nil {
		return nil, nil, err
	}
	steps, err := s.Store.CaseSteps(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	for _, st := range steps {
		for _, a := range st.Attachments {
			if a.Hash == hash {
				f, err := os.Open(s.attachmentPath(hash))
				if err != nil {
					return nil, nil, backstop.Localized(backstop.ENOTFOUND, "附件文件已丢失", "The attachment's file is missing.")
				}
				return f, &a, nil
			}
		}
	}
	return nil, nil, backstop.Localized(backstop.ENOTFOUND, "案件%d没有该附件", "Case %d has no such attachment.", id)
}

// twoLanguages is an error whose Chinese and English messages take
// different arguments (a state's Chinese name, its code).
func twoLanguages(code, zh, en string) *backstop.Error {
	return &backstop.Error{Code: code, Message: en, ZH: zh}
}

// forWrite reads a case to change: outside the user's region (or absent
// there) it is EFORBIDDEN for a scoped user, as for every write naming an
// id (backstop.NotInRegion).
func (s *Service) forWrite(ctx context.Context, u *backstop.User, id int64) (*backstop.Case, error) {
	c, err := s.Store.FindCase(ctx, id)
	if err != nil {
		return nil, backstop.NotInRegion(u, err, fmt.Sprintf("案件%d", id), fmt.Sprintf("case %d", id))
	}
	return c, nil
}

// RiskTypeNames are the 100A27 names in force for a region, by code.
func (s *Service) RiskTypeNames(ctx context.Context, region string) (map[string]string, error) {
	p, err := s.number(ctx, backstop.PolicyRiskTypes, region)
	if err != nil {
		return nil, err
	}
	items, err := p.ListItems()
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, it := range items {
		out[it.Code] = it.ZH
	}
	return out, nil
}
