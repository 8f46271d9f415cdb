package cases

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/zhangye-backstop/backstop"
)

// MeasureInput is a measure as entered (a new one, or a change of one
// read at Version).
type MeasureInput struct {
	Category   string   `json:"category"`
	Item       string   `json:"item"`
	Department string   `json:"department"`
	Person     string   `json:"person"`
	Status     string   `json:"status"`
	Amount     *float64 `json:"amount,omitempty"`
	PlannedOn  string   `json:"planned_on,omitempty"`
	StartedOn  string   `json:"started_on,omitempty"`
	DoneOn     string   `json:"done_on,omitempty"`
	Note       string   `json:"note,omitempty"`
	Rule       string   `json:"rule,omitempty"`
	Version    int      `json:"version,omitempty"`
}

// MaxMeasureAmount bounds a measure's amount (yuan).
const MaxMeasureAmount = 10_000_000

// Categories reads the measure categories in force for a region.
func (s *Service) Categories(ctx context.Context, region string) ([]backstop.MeasureCategory, int64, error) {
	p, err := s.number(ctx, backstop.PolicyMeasureCategories, region)
	if err != nil {
		return nil, 0, err
	}
	var cats []backstop.MeasureCategory
	if err := json.Unmarshal(p.Data, &cats); err != nil || len(cats) == 0 {
		return nil, 0, backstop.Localized(backstop.EINVALID, "政策参数“%s”（第%d版）不是措施类别列表", "Policy %s (version %d) is not a list of categories.", p.Key, p.ID)
	}
	return cats, p.ID, nil
}

// check validates a measure's fields and copies them onto m.
func (s *Service) checkMeasure(ctx context.Context, village string, in MeasureInput, m *backstop.Measure) error {
	var problems []backstop.Problem
	cats, _, err := s.Categories(ctx, village)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(cats, func(c backstop.MeasureCategory) bool { return c.Code == in.Category })
	if i < 0 {
		var names []string
		for _, c := range cats {
			names = append(names, c.ZH)
		}
		problems = append(problems, problem("category", "a category of the national list", "措施类别须为："+strings.Join(names, "、")))
	} else if !slices.Contains(cats[i].Items, in.Item) {
		problems = append(problems, problem("item", "an item of the category "+in.Category, "“"+in.Category+"”的措施项目须为："+strings.Join(cats[i].Items, "、")))
	}
	if !slices.Contains(backstop.MeasureStatuses, in.Status) {
		problems = append(problems, problem("status", "planned, in_progress, done or refused", "状态须为计划、实施中、已完成或未实施"))
	}
	// The Chinese reasons name each field in words: they reach the case
	// page as they are.
	for _, f := range []struct{ name, zh, v string }{{"department", "责任部门", in.Department}, {"person", "责任人", in.Person}, {"rule", "提议规则", in.Rule}} {
		if utf8.RuneCountInString(f.v) > backstop.MaxMeasureText {
			problems = append(problems, problem(f.name, fmt.Sprintf("at most %d characters", backstop.MaxMeasureText), fmt.Sprintf("%s最多%d个字", f.zh, backstop.MaxMeasureText)))
		}
	}
	if utf8.RuneCountInString(in.Note) > backstop.MaxCaseNote {
		problems = append(problems, problem("note", fmt.Sprintf("at most %d characters", backstop.MaxCaseNote), fmt.Sprintf("备注最多%d个字", backstop.MaxCaseNote)))
	}
	if in.Amount != nil && (math.IsNaN(*in.Amount) || *in.Amount < 0 || *in.Amount > MaxMeasureAmount) {
		problems = append(problems, problem("amount", fmt.Sprintf("0 to %d yuan", MaxMeasureAmount), fmt.Sprintf("金额须在0至%d元之间", MaxMeasureAmount)))
	}
	days := map[string]time.Time{}
	for _, d := range []struct{ name, zh, v string }{{"planned_on", "计划日期", in.PlannedOn}, {"started_on", "开始日期", in.StartedOn}, {"done_on", "完成日期", in.DoneOn}} {
		if d.v == "" {
			continue
		}
		day, err := time.Parse(time.DateOnly, d.v)
		if err != nil {
			problems = append(problems, problem(d.name, "a date YYYY-MM-DD", d.zh+"须为有效日期，如2026-07-01"))
			continue
		}
		days[d.name] = day
	}
	if start, ok := days["started_on"]; ok {
		if done, ok := days["done_on"]; ok && done.Before(start) {
			problems = append(problems, problem("done_on", "not before the start date", fmt.Sprintf("完成日期（%s）不能早于开始日期（%s）", in.DoneOn, in.StartedOn)))
		}
	}
	if in.Status == backstop.MeasureDone && in.DoneOn == "" {
		problems = append(problems, problem("done_on", "a done measure has its done date", "已完成的措施须填写完成日期"))
	}
	if (in.Status == backstop.MeasureInProgress || in.Status == backstop.MeasureDone) && in.StartedOn == "" {
		problems = append(problems, problem("started_on", "a started measure has its start date", "实施中或已完成的措施须填写开始日期"))
	}
	if len(problems) > 0 {
		return invalid(problems)
	}
	m.Category, m.Item, m.Department, m.Person, m.Status = in.Category, in.Item, strings.TrimSpace(in.Department), strings.TrimSpace(in.Person), in.Status
	m.Amount, m.PlannedOn, m.StartedOn, m.DoneOn, m.Note = in.Amount, in.PlannedOn, in.StartedOn, in.DoneOn, strings.TrimSpace(in.Note)
	if m.Rule == "" {
		m.Rule = in.Rule
	}
	return nil
}

// AddMeasure adds a measure to a case's plan (一户一策).
func (s *Service) AddMeasure(ctx context.Context, caseID int64, in MeasureInput) (*backstop.Measure, error) {
	u, err := backstop.Authorize(ctx, backstop.PermManageCases)
	if err != nil {
		return nil, err
	}
	c, err := s.forWrite(ctx, u, caseID)
	if err != nil {
		return nil, err
	}
	if !c.State.Open() {
		return nil, twoLanguages(backstop.ECONFLICT, fmt.Sprintf("案件%d已结束（%s），不能再添加措施", caseID, caseStateZH[c.State]), fmt.Sprintf("Case %d is %s: no measure is added.", caseID, c.State))
	}
	m := &backstop.Measure{CaseID: caseID}
	if err := s.checkMeasure(ctx, c.Village, in, m); err != nil {
		return nil, err
	}
	if err := s.Store.CreateMeasure(ctx, m); err != nil {
		return nil, backstop.NotInRegion(u, err, fmt.Sprintf("案件%d", caseID), fmt.Sprintf("case %d", caseID))
	}
	return m, nil
}

// UpdateMeasure changes a measure by compare-and-set on the version read.
func (s *Service) UpdateMeasure(ctx context.Context, caseID, id int64, in MeasureInput) (*backstop.Measure, error) {
	u, err := backstop.Authorize(ctx, backstop.PermManageCases)
	if err != nil {
		return nil, err
	}
	m, err := s.Store.FindMeasure(ctx, id)
	if err != nil || m.CaseID != caseID {
		if err == nil {
			err = backstop.Localized(backstop.ENOTFOUND, "案件%d没有编号为%d的帮扶措施", "Case %d has no measure %d.", caseID, id)
		}
		return nil, backstop.NotInRegion(u, err, fmt.Sprintf("帮扶措施%d", id), fmt.Sprintf("measure %d", id))
	}
	// A closed case's measures are refused by the store, under the case's
	// lock (the plan a clearing or refusal rests on).
	if in.Version != 0 {
		m.Version = in.Version
	}
	if err := s.checkMeasure(ctx, m.Village, in, m); err != nil {
		return nil, err
	}
	if err := s.Store.UpdateMeasure(ctx, m); err != nil {
		return nil, backstop.NotInRegion(u, err, fmt.Sprintf("帮扶措施%d", id), fmt.Sprintf("measure %d", id))
	}
	return m, nil
}

// Measures pages measures in the user's region: a department's queue.
func (s *Service) Measures(ctx context.Context, f backstop.MeasureFilter) ([]*backstop.Measure, int, error) {
	if _, err := backstop.Authorize(ctx, backstop.PermReadCases); err != nil {
		return nil, 0, err
	}
	return s.Store.FindMeasures(ctx, f)
}
