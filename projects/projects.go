// Package projects is the use case of the project library (项目库): a
// village proposes, the township reviews, the county approves into the
// library — the steps, the role of each and its clock are policy data —;
// disaster-response projects (应对灾情新增项目) take the fast procedure
// with shorter clocks; funds by source (planned, allocated, spent);
// beneficiaries linked to households; implementation state. A step moves
// by compare-and-set: of two approvals at once, one wins.
package projects

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/zhangye-backstop/backstop"
)

// Store is what projects need of storage.
type Store interface {
	backstop.ProjectService
	backstop.PolicyService
	backstop.ContactService
	FindRegion(ctx context.Context, code string, withBoundary bool) (*backstop.Region, error)
}

// Clocks makes a step's clock.
type Clocks interface {
	New(ctx context.Context, kind, subject, region string, start time.Time, p *backstop.Policy) (*backstop.Clock, error)
}

// Service runs the project use cases.
type Service struct {
	Store  Store
	Clocks Clocks
	Logger *slog.Logger
	Now    func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// listItem is an entry of a policy list.
type listItem struct {
	Code string `json:"code"`
	ZH   string `json:"zh"`
	EN   string `json:"en"`
}

func (s *Service) list(ctx context.Context, key, region string) ([]listItem, error) {
	p, err := s.Store.PolicyAt(ctx, key, region, s.now())
	if err != nil {
		return nil, err
	}
	var items []listItem
	if err := json.Unmarshal(p.Data, &items); err != nil || len(items) == 0 {
		return nil, backstop.Localized(backstop.EINVALID, "政策参数“%s”（第%d版）不是列表", "Policy %s (version %d) is not a list.", key, p.ID)
	}
	return items, nil
}

func codes(items []listItem) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it.Code
	}
	return out
}

// Lists are the types and fund sources in force for a region.
type Lists struct {
	Types   []listItem `json:"types"`
	Sources []listItem `json:"fund_sources"`
}

// ListsFor reads the type and fund-source lists of a region.
func (s *Service) ListsFor(ctx context.Context, region string) (*Lists, error) {
	if _, err := backstop.Authorize(ctx, backstop.PermReadPrepared); err != nil {
		return nil, err
	}
	types, err := s.list(ctx, backstop.PolicyProjectTypes, region)
	if err != nil {
		return nil, err
	}
	sources, err := s.list(ctx, backstop.PolicyFundSources, region)
	return &Lists{Types: types, Sources: sources}, err
}

// procedure reads the steps in force for a village's project.
func (s *Service) procedure(ctx context.Context, village string, fast bool) ([]backstop.ProjectStep, int64, error) {
	key := backstop.PolicyProjectSteps
	if fast {
		key = backstop.PolicyProjectFastSteps
	}
	p, err := s.Store.PolicyAt(ctx, key, village, s.now())
	if err != nil {
		return nil, 0, err
	}
	var steps []backstop.ProjectStep
	if err := json.Unmarshal(p.Data, &steps); err != nil || len(steps) == 0 {
		return nil, 0, backstop.Localized(backstop.EINVALID, "政策参数“%s”（第%d版）不是程序步骤", "Policy %s (version %d) is not a list of steps.", key, p.ID)
	}
	return steps, p.ID, nil
}

// stepClock is a step's clock from its limit; none for a limit of 0.
func (s *Service) stepClock(ctx context.Context, village string, st backstop.ProjectStep, policyID int64) (*backstop.Clock, error) {
	if st.Limit <= 0 {
		return nil, nil
	}
	return s.Clocks.New(ctx, backstop.ClockProjectStep, "", village, s.now(), &backstop.Policy{ID: policyID, Value: st.Limit, Unit: string(st.Unit)})
}

// Proposal is a village's project as entered.
type Proposal struct {
	Name      string `json:"name"`
	Type      string `json:"type"`
	Village   string `json:"village"`
	FastTrack bool   `json:"fast_track"`
	Event     string `json:"event,omitempty"`
	Summary   string `json:"summary,omitempty"`
}

func problem(path, en, zh string) backstop.Problem {
	return backstop.Problem{Path: path, Reason: en, ReasonZH: zh}
}

func invalid(problems []backstop.Problem) error {
	return &backstop.Error{Code: backstop.EINVALID, Message: fmt.Sprintf("The project has %d problem(s): %s: %s.", len(problems), problems[0].Path, problems[0].Reason),
		ZH: fmt.Sprintf("项目有 %d 处问题：%s", len(problems), problems[0].ReasonZH), Details: problems}
}

// Propose puts a village's project into the procedure (normal, or fast
// for a disaster-response project) at its first step, with that step's
// clock.
func (s *Service) Propose(ctx context.Context, in Proposal) (*backstop.Project, error) {
	if _, err := backstop.Authorize(ctx, backstop.PermWriteProjects); err != nil {
		return nil, err
	}
	var problems []backstop.Problem
	p := &backstop.Project{Name: strings.TrimSpace(in.Name), Type: in.Type, FastTrack: in.FastTrack, Event: strings.TrimSpace(in.Event), Summary: strings.TrimSpace(in.Summary),
		State: backstop.ProjectInStep, Progress: backstop.ProgressNotStarted}
	if p.Name == "" || utf8.RuneCountInString(p.Name) > backstop.MaxProjectName {
		problems = append(problems, problem("name", fmt.Sprintf("a name of at most %d characters", backstop.MaxProjectName), fmt.Sprintf("请填写项目名称（最多 %d 个字）", backstop.MaxProjectName)))
	}
	if utf8.RuneCountInString(p.Summary) > backstop.MaxProjectSummary || utf8.RuneCountInString(p.Event) > backstop.MaxProjectName {
		problems = append(problems, problem("summary", fmt.Sprintf("at most %d characters", backstop.MaxProjectSummary), fmt.Sprintf("项目简介最多 %d 个字", backstop.MaxProjectSummary)))
	}
	village, err := backstop.NormalizeRegionCode(in.Village)
	if err != nil || backstop.LevelOfCode(village) != backstop.LevelVillage {
		problems = append(problems, problem("village", "the proposing village's 12-digit code", "申报村须为12位村级代码"))
	} else if _, err := s.Store.FindRegion(ctx, village, false); err != nil {
		problems = append(problems, problem("village", "no village has the code "+village, "没有代码为"+village+"的村"))
	} else {
		p.Village, p.County = village, village[:6]+"000000"
	}
	if p.FastTrack && p.Event == "" {
		problems = append(problems, problem("event", "a disaster-response project names the disaster it answers", "应对灾情新增项目须写明所应对的灾情"))
	}
	if len(problems) > 0 {
		return nil, invalid(problems)
	}
	types, err := s.list(ctx, backstop.PolicyProjectTypes, village)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(codes(types), p.Type) {
		return nil, invalid([]backstop.Problem{problem("type", "one of "+strings.Join(codes(types), ", "), "项目类型须为："+zhNames(types))})
	}
	steps, policyID, err := s.procedure(ctx, village, p.FastTrack)
	if err != nil {
		return nil, err
	}
	p.Steps, p.PolicyID, p.Step = steps, policyID, steps[0].Code
	c, err := s.stepClock(ctx, village, steps[0], policyID)
	if err != nil {
		return nil, err
	}
	if err := s.Store.CreateProject(ctx, p, c); err != nil {
		return nil, err
	}
	return s.Store.FindProject(ctx, p.ID)
}

func zhNames(items []listItem) string {
	var out []string
	for _, it := range items {
		out = append(out, it.ZH)
	}
	return strings.Join(out, "、")
}

// Project returns one project.
func (s *Service) Project(ctx context.Context, id int64) (*backstop.Project, error) {
	if _, err := backstop.Authorize(ctx, backstop.PermReadPrepared); err != nil {
		return nil, err
	}
	return s.Store.FindProject(ctx, id)
}

// Projects pages the library.
func (s *Service) Projects(ctx context.Context, f backstop.ProjectFilter) ([]*backstop.Project, int, error) {
	if _, err := backstop.Authorize(ctx, backstop.PermReadPrepared); err != nil {
		return nil, 0, err
	}
	switch f.State {
	case "", backstop.ProjectInStep, backstop.ProjectApproved, backstop.ProjectRejected:
	default:
		return nil, 0, backstop.Localized(backstop.EINVALID, "项目状态只能是 in_step、approved 或 rejected，不能是“%s”", "A project state is in_step, approved or rejected, not %q.", f.State)
	}
	return s.Store.FindProjects(ctx, f)
}

// Decision is the outcome of the step the caller saw.
type Decision struct {
	Step    string `json:"step"`
	Outcome string `json:"outcome"` // passed or rejected
	Note    string `json:"note,omitempty"`
}

// Decide records the outcome of a project's current step by a user of the
// step's role (or above it); a rejection needs a reason. The next step's
// clock starts; after the last the project is in the county's library.
func (s *Service) Decide(ctx context.Context, id int64, d Decision) (*backstop.Project, error) {
	u, err := backstop.Authorize(ctx, backstop.PermReviewProjects)
	if err != nil {
		return nil, err
	}
	p, err := s.Store.FindProject(ctx, id)
	if err != nil {
		return nil, backstop.NotInRegion(u, err, "该项目", "the project")
	}
	if d.Outcome != backstop.StepPassed && d.Outcome != backstop.StepRejected {
		return nil, backstop.Localized(backstop.EINVALID, "审核结果只能是 passed（通过）或 rejected（不通过），不能是“%s”", "The outcome is passed or rejected, not %q.", d.Outcome)
	}
	note := strings.TrimSpace(d.Note)
	if d.Outcome == backstop.StepRejected && note == "" {
		return nil, backstop.Localized(backstop.EINVALID, "不通过须写明理由", "A rejection needs a reason.")
	}
	if utf8.RuneCountInString(note) > backstop.MaxProjectSummary {
		return nil, backstop.Localized(backstop.EINVALID, "意见最多 %d 个字", "A note has at most %d characters.", backstop.MaxProjectSummary)
	}
	if p.State != backstop.ProjectInStep || p.Step != d.Step {
		return nil, backstop.E(backstop.ECONFLICT, "conflict.changed", backstop.Named{ZH: "该项目", EN: "The project"})
	}
	i := slices.IndexFunc(p.Steps, func(st backstop.ProjectStep) bool { return st.Code == d.Step })
	if i < 0 {
		return nil, backstop.Localized(backstop.EINVALID, "项目程序中没有步骤“%s”", "The project's procedure has no step %q.", d.Step)
	}
	st := p.Steps[i]
	if !st.Role.AtMost(u.Role) {
		return nil, backstop.Localized(backstop.EFORBIDDEN, "“%s”须由%s办理，您的角色是%s", "Step %s is done by a %s user; you are %s.", st.ZH, st.Role.NameZH(), u.Role.NameZH())
	}
	next := ""
	var c *backstop.Clock
	if d.Outcome == backstop.StepPassed && i+1 < len(p.Steps) {
		next = p.Steps[i+1].Code
		if c, err = s.stepClock(ctx, p.Village, p.Steps[i+1], p.PolicyID); err != nil {
			return nil, err
		}
	}
	return s.Store.AdvanceProject(ctx, id, d.Step, backstop.ProjectAction{Outcome: d.Outcome, Note: note}, next, c)
}

// SetFunds replaces a project's funds by source: amounts in yuan, at least
// zero, spent no more than allocated.
func (s *Service) SetFunds(ctx context.Context, id int64, funds []backstop.ProjectFund) (*backstop.Project, error) {
	u, err := backstop.Authorize(ctx, backstop.PermReviewProjects)
	if err != nil {
		return nil, err
	}
	p, err := s.Store.FindProject(ctx, id)
	if err != nil {
		return nil, backstop.NotInRegion(u, err, "该项目", "the project")
	}
	sources, err := s.list(ctx, backstop.PolicyFundSources, p.Village)
	if err != nil {
		return nil, err
	}
	var problems []backstop.Problem
	seen := map[string]bool{}
	for i, f := range funds {
		path := "funds[" + strconv.Itoa(i) + "]"
		if !slices.Contains(codes(sources), f.Source) {
			problems = append(problems, problem(path+".source", "one of "+strings.Join(codes(sources), ", "), "资金来源须为："+zhNames(sources)))
		}
		if seen[f.Source] {
			problems = append(problems, problem(path+".source", "listed twice", "资金来源重复"))
		}
		seen[f.Source] = true
		for _, a := range []struct {
			name string
			v    float64
		}{{"planned", f.Planned}, {"allocated", f.Allocated}, {"spent", f.Spent}} {
			if math.IsNaN(a.v) || a.v < 0 || a.v > backstop.MaxProjectAmount {
				problems = append(problems, problem(path+"."+a.name, fmt.Sprintf("0 to %.0f yuan", backstop.MaxProjectAmount), fmt.Sprintf("金额须在 0 至 %.0f 元之间", backstop.MaxProjectAmount)))
			}
		}
		if f.Spent > f.Allocated {
			problems = append(problems, problem(path+".spent", "more spent than allocated", "已支出超过已下达金额"))
		}
	}
	if len(funds) > 50 {
		return nil, backstop.Localized(backstop.ETOOLARGE, "资金来源最多 50 项", "At most 50 fund sources.")
	}
	if len(problems) > 0 {
		return nil, invalid(problems)
	}
	return s.Store.SetProjectFunds(ctx, id, funds)
}

// SetBeneficiaries replaces a project's beneficiary households.
func (s *Service) SetBeneficiaries(ctx context.Context, id int64, households []string) (*backstop.Project, error) {
	u, err := backstop.Authorize(ctx, backstop.PermReviewProjects)
	if err != nil {
		return nil, err
	}
	if len(households) > backstop.MaxProjectBeneficiaries {
		return nil, backstop.Localized(backstop.ETOOLARGE, "受益农户最多 %d 户", "At most %d beneficiary households.", backstop.MaxProjectBeneficiaries)
	}
	seen := map[string]bool{}
	for i, n := range households {
		if seen[n] {
			return nil, invalid([]backstop.Problem{problem("households["+strconv.Itoa(i)+"]", n+" is listed twice", "户编号"+n+"重复")})
		}
		seen[n] = true
	}
	p, err := s.Store.SetBeneficiaries(ctx, id, households)
	return p, backstop.NotInRegion(u, err, "该项目", "the project")
}

// progressMoves are the implementation state changes allowed.
var progressMoves = map[backstop.ProjectProgress][]backstop.ProjectProgress{
	backstop.ProgressNotStarted: {backstop.ProgressUnderway},
	backstop.ProgressUnderway:   {backstop.ProgressCompleted, backstop.ProgressSuspended},
	backstop.ProgressSuspended:  {backstop.ProgressUnderway},
}

// Progress is an implementation state change from the state the caller saw.
type Progress struct {
	From backstop.ProjectProgress `json:"from"`
	To   backstop.ProjectProgress `json:"to"`
	Note string                   `json:"note,omitempty"`
}

// SetProgress moves an approved project's implementation.
func (s *Service) SetProgress(ctx context.Context, id int64, in Progress) (*backstop.Project, error) {
	u, err := backstop.Authorize(ctx, backstop.PermReviewProjects)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(progressMoves[in.From], in.To) {
		return nil, backstop.Localized(backstop.EINVALID, "实施状态不能从“%s”改为“%s”", "Implementation cannot go from %q to %q.", in.From, in.To)
	}
	p, err := s.Store.FindProject(ctx, id)
	if err != nil {
		return nil, backstop.NotInRegion(u, err, "该项目", "the project")
	}
	if p.State != backstop.ProjectApproved {
		return nil, backstop.Localized(backstop.ECONFLICT, "项目尚未入库，不能登记实施进度", "The project is not in the library yet.")
	}
	return s.Store.SetProjectProgress(ctx, id, in.From, in.To, strings.TrimSpace(in.Note))
}

// StepOverdue is the handler of a step's clock (backstop.ClockProjectStep):
// at the deadline it tells the duty officers of the step's region (the
// county's, and the township's for a township step) that the project
// waits, once.
func (s *Service) StepOverdue(ctx context.Context, c *backstop.Clock) (*backstop.ClockRun, error) {
	ctx = backstop.NewContextWithUser(ctx, backstop.SystemUser("projects"))
	parts := strings.Split(c.Subject, ":")
	if len(parts) != 3 {
		return nil, fmt.Errorf("clock %d: subject %q is not a project step", c.ID, c.Subject)
	}
	id, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil {
		return nil, fmt.Errorf("clock %d: subject %q is not a project step", c.ID, c.Subject)
	}
	p, err := s.Store.FindProject(ctx, id)
	if err != nil {
		return nil, err
	}
	if p.State != backstop.ProjectInStep || p.Step != parts[2] {
		return &backstop.ClockRun{State: backstop.ClockMet}, nil
	}
	i := slices.IndexFunc(p.Steps, func(st backstop.ProjectStep) bool { return st.Code == p.Step })
	if i < 0 {
		return &backstop.ClockRun{}, nil
	}
	st := p.Steps[i]
	region := p.County
	if st.Role == backstop.RoleTownship {
		region = p.Village[:9] + "000"
	}
	cs, err := s.Store.ContactsFor(ctx, []string{region})
	if err != nil {
		return nil, err
	}
	kind := "项目"
	if p.FastTrack {
		kind = "应对灾情新增项目"
	}
	text := fmt.Sprintf("【项目库提醒】%s“%s”的“%s”已超过时限（%s前），请尽快办理。", kind, p.Name, st.ZH, c.Due.In(backstop.Beijing).Format("1月2日15:04"))
	var ms []*backstop.Message
	for _, ct := range cs {
		if ct.Kind == backstop.ContactDutyOfficer && ct.Phone != "" && (ct.Region == region || ct.Region == p.County) {
			ms = append(ms, &backstop.Message{Channel: backstop.ChannelSMS, Audience: backstop.AudienceOfficers, Address: ct.Phone, Name: ct.Name, VillageCode: ct.Region, NextAt: s.now()})
		}
	}
	run := &backstop.ClockRun{}
	if len(ms) > 0 {
		stream := p.StreamID
		run.Writes = func(ctx context.Context, w backstop.ClockWriter) error {
			_, _, err := w.AddMessages(ctx, stream, backstop.ChannelSMS, text, ms, false)
			return err
		}
	}
	return run, nil
}
