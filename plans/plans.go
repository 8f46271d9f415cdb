// Package plans is the use case of contingency plans (预案): every county's
// plan for a year, due before 1 January of that year (a policy date), with
// reminders on the clock engine from 1 December to the county and the
// city, versions checked against the content checklist (policy data), an
// attached PDF or Word document kept under the data directory, approval
// by the city, the city's readiness view, and departments' plans beside
// it.
package plans

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/zhangye-backstop/backstop"
)

// Store is what plans need of storage.
type Store interface {
	backstop.PlanService
	backstop.PolicyService
	backstop.ContactService
	FindRegion(ctx context.Context, code string, withBoundary bool) (*backstop.Region, error)
	FindRegions(ctx context.Context, f backstop.RegionFilter) ([]*backstop.Region, int, error)
}

// Clocks counts a clock's due time.
type Clocks interface {
	Due(ctx context.Context, start time.Time, limit float64, unit backstop.ClockUnit) (time.Time, string, bool, error)
}

// Service runs the plan use cases.
type Service struct {
	Store  Store
	Clocks Clocks
	// DocDir holds the documents (documents/plans/<county>/<year>/…).
	DocDir string
	Logger *slog.Logger
	Now    func() time.Time
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

// Schedule is the plan schedule of a year, from its policy version.
type Schedule struct {
	Due      time.Time // overdue from then (00:00 Beijing)
	RemindAt time.Time // reminders start then
	Every    int       // days between reminders
	PolicyID int64
}

// ScheduleOf reads the schedule in force for a county's plan of year.
func (s *Service) ScheduleOf(ctx context.Context, county string, year int) (*Schedule, error) {
	p, err := s.Store.PolicyAt(ctx, backstop.PolicyPlanSchedule, county, time.Date(year-1, 12, 1, 0, 0, 0, 0, backstop.Beijing))
	if err != nil {
		return nil, err
	}
	var t map[string]float64
	if err := json.Unmarshal(p.Data, &t); err != nil {
		return nil, backstop.Localized(backstop.EINVALID, "政策参数“%s”（第%d版）不是数值表", "Policy %s (version %d) is not a table of numbers.", p.Key, p.ID)
	}
	dm, dd, rm, rd, every := int(t["due_month"]), int(t["due_day"]), int(t["remind_month"]), int(t["remind_day"]), int(t["remind_every_days"])
	if dm < 1 || dm > 12 || rm < 1 || rm > 12 || dd < 1 || rd < 1 || every < 1 {
		return nil, backstop.Localized(backstop.EINVALID, "政策参数“%s”（第%d版）的月份或日期有误", "Policy %s (version %d) has a wrong month or day.", p.Key, p.ID)
	}
	due := time.Date(year, time.Month(dm), dd, 0, 0, 0, 0, backstop.Beijing)
	remind := time.Date(year-1, time.Month(rm), rd, 0, 0, 0, 0, backstop.Beijing)
	if !remind.Before(due) {
		remind = due.AddDate(0, -1, 0)
	}
	return &Schedule{Due: due, RemindAt: remind, Every: every, PolicyID: p.ID}, nil
}

// checklistItem is one item of the plan checklist.
type checklistItem struct {
	Code     string `json:"code"`
	ZH       string `json:"zh"`
	EN       string `json:"en"`
	Required bool   `json:"required"`
}

// Checklist reads the content checklist in force for a county.
func (s *Service) Checklist(ctx context.Context, county string) ([]checklistItem, int64, error) {
	p, err := s.Store.PolicyAt(ctx, backstop.PolicyPlanChecklist, county, s.now())
	if err != nil {
		return nil, 0, err
	}
	var items []checklistItem
	if err := json.Unmarshal(p.Data, &items); err != nil || len(items) == 0 {
		return nil, 0, backstop.Localized(backstop.EINVALID, "政策参数“%s”（第%d版）不是清单", "Policy %s (version %d) is not a checklist.", p.Key, p.ID)
	}
	return items, p.ID, nil
}

// ChecklistView is an item as pages and clients show it.
type ChecklistView struct {
	Code     string `json:"code"`
	ZH       string `json:"zh"`
	EN       string `json:"en,omitempty"`
	Required bool   `json:"required"`
}

// ChecklistFor is the checklist a county's plan is checked against.
func (s *Service) ChecklistFor(ctx context.Context, county string) ([]ChecklistView, error) {
	if _, err := backstop.Authorize(ctx, backstop.PermReadPrepared); err != nil {
		return nil, err
	}
	items, _, err := s.Checklist(ctx, county)
	out := make([]ChecklistView, len(items))
	for i, it := range items {
		out[i] = ChecklistView(it)
	}
	return out, err
}

// EnsureYear makes the plan rows, streams and reminder clocks of every
// county inside region for year (existing ones are kept); it returns how
// many counties it looked at. Background work runs it for the coming
// year, so that reminders fire from the schedule's date.
func (s *Service) EnsureYear(ctx context.Context, region string, year int) (int, error) {
	counties, _, err := s.Store.FindRegions(ctx, backstop.RegionFilter{Within: region, Level: backstop.LevelCounty, Limit: 1000})
	if err != nil {
		return 0, err
	}
	for _, c := range counties {
		if _, err := s.ensure(ctx, c.Code, year); err != nil {
			return 0, fmt.Errorf("plan of %s for %d: %w", c.Code, year, err)
		}
	}
	return len(counties), nil
}

func (s *Service) ensure(ctx context.Context, county string, year int) (*backstop.Plan, error) {
	sch, err := s.ScheduleOf(ctx, county, year)
	if err != nil {
		return nil, err
	}
	// The clock counts calendar days from the reminder date to the last
	// day before the due date: overdue from the due date's 00:00.
	days := float64(int(sch.Due.Sub(sch.RemindAt).Hours()/24+0.5) - 1)
	due, dueDate, provisional, err := s.Clocks.Due(ctx, sch.RemindAt, days, backstop.UnitDays)
	if err != nil {
		return nil, err
	}
	fire := sch.RemindAt
	c := &backstop.Clock{Kind: backstop.ClockPlanDue, StartedAt: sch.RemindAt, LimitValue: days, LimitUnit: backstop.UnitDays, PolicyID: sch.PolicyID,
		Due: due, DueDate: dueDate, Provisional: provisional, State: backstop.ClockRunning, FireAt: &fire}
	return s.Store.EnsurePlan(ctx, &backstop.Plan{County: county, Year: year, DueAt: sch.Due}, c)
}

// countyCode checks that a code names a county.
func countyCode(code string) (string, error) {
	c, err := backstop.NormalizeRegionCode(code)
	if err != nil {
		return "", backstop.Localized(backstop.EINVALID, "县区代码“%s”有误：须为6或12位数字", "County code %q is wrong: 6 or 12 digits.", code)
	}
	if backstop.LevelOfCode(c) != backstop.LevelCounty {
		return "", backstop.Localized(backstop.EINVALID, "“%s”不是县区代码：预案以县为单位制定", "%s is not a county: plans are made per county.", code)
	}
	return c, nil
}

// checkYear bounds a plan year.
func checkYear(year int) error {
	if year < 2023 || year > 2100 {
		return backstop.Localized(backstop.EINVALID, "年度须在 2023 至 2100 之间，不能是%d", "The year must be 2023 to 2100, not %d.", year)
	}
	return nil
}

// Open returns a county's plan for a year, making its row (and reminder
// clock) if it has none yet: the county starts drafting.
func (s *Service) Open(ctx context.Context, county string, year int) (*backstop.Plan, error) {
	if _, err := backstop.Authorize(ctx, backstop.PermWritePlans); err != nil {
		return nil, err
	}
	c, err := countyCode(county)
	if err != nil {
		return nil, err
	}
	if err := checkYear(year); err != nil {
		return nil, err
	}
	if _, err := s.Store.FindRegion(ctx, c, false); err != nil {
		return nil, backstop.Localized(backstop.EINVALID, "没有代码为%s的县区", "No county has the code %s.", c)
	}
	return s.ensure(ctx, c, year)
}

// Plan returns a plan the user may read.
func (s *Service) Plan(ctx context.Context, id int64) (*backstop.Plan, error) {
	if _, err := backstop.Authorize(ctx, backstop.PermReadPrepared); err != nil {
		return nil, err
	}
	return s.Store.FindPlan(ctx, id)
}

// Plans pages plans.
func (s *Service) Plans(ctx context.Context, f backstop.PlanFilter) ([]*backstop.Plan, int, error) {
	if _, err := backstop.Authorize(ctx, backstop.PermReadPrepared); err != nil {
		return nil, 0, err
	}
	if f.County != "" {
		c, err := countyCode(f.County)
		if err != nil {
			return nil, 0, err
		}
		f.County = c
	}
	if f.State != "" && !slices.Contains(backstop.PlanStates, f.State) {
		return nil, 0, backstop.Localized(backstop.EINVALID, "预案状态只能是 missing、draft、submitted 或 approved，不能是“%s”", "A plan state is missing, draft, submitted or approved, not %q.", f.State)
	}
	return s.Store.FindPlans(ctx, f)
}

// Versions lists a plan's versions.
func (s *Service) Versions(ctx context.Context, id int64) ([]*backstop.PlanVersion, error) {
	if _, err := backstop.Authorize(ctx, backstop.PermReadPrepared); err != nil {
		return nil, err
	}
	return s.Store.PlanVersions(ctx, id)
}

// Draft is a new version's content.
type Draft struct {
	Title    string            `json:"title"`
	Sections map[string]string `json:"sections"`
	Note     string            `json:"note,omitempty"`
}

// validate checks a draft against the checklist and returns the required
// items it leaves empty.
func (d *Draft) validate(items []checklistItem) ([]string, error) {
	var problems []backstop.Problem
	d.Title = strings.TrimSpace(d.Title)
	if d.Title == "" {
		problems = append(problems, backstop.Problem{Path: "title", Reason: "a plan needs a title", ReasonZH: "请填写预案名称"})
	} else if utf8.RuneCountInString(d.Title) > backstop.MaxPlanTitle {
		problems = append(problems, backstop.Problem{Path: "title", Reason: fmt.Sprintf("at most %d characters", backstop.MaxPlanTitle), ReasonZH: fmt.Sprintf("最多 %d 个字", backstop.MaxPlanTitle)})
	}
	if utf8.RuneCountInString(d.Note) > backstop.MaxPlanNote {
		problems = append(problems, backstop.Problem{Path: "note", Reason: fmt.Sprintf("at most %d characters", backstop.MaxPlanNote), ReasonZH: fmt.Sprintf("最多 %d 个字", backstop.MaxPlanNote)})
	}
	known := map[string]bool{}
	for _, it := range items {
		known[it.Code] = true
	}
	clean := map[string]string{}
	for code, text := range d.Sections {
		path := "sections." + code
		if !known[code] {
			problems = append(problems, backstop.Problem{Path: path, Reason: "not an item of the checklist in force", ReasonZH: "不是现行预案内容清单中的条目"})
			continue
		}
		if n := utf8.RuneCountInString(text); n > backstop.MaxPlanSection {
			problems = append(problems, backstop.Problem{Path: path, Reason: fmt.Sprintf("%d characters; at most %d", n, backstop.MaxPlanSection),
				ReasonZH: fmt.Sprintf("%d 个字，超过上限 %d 个字", n, backstop.MaxPlanSection)})
			continue
		}
		if t := strings.TrimSpace(text); t != "" {
			clean[code] = t
		}
	}
	if len(problems) > 0 {
		return nil, &backstop.Error{Code: backstop.EINVALID, Message: "The plan has " + strconv.Itoa(len(problems)) + " problem(s): " + problems[0].Path + ": " + problems[0].Reason + ".",
			ZH: "预案有 " + strconv.Itoa(len(problems)) + " 处问题：" + problems[0].Path + "：" + problems[0].ReasonZH, Details: problems}
	}
	d.Sections = clean
	missing := []string{}
	for _, it := range items {
		if it.Required && clean[it.Code] == "" {
			missing = append(missing, it.Code)
		}
	}
	return missing, nil
}

// SaveDraft saves a new version of a plan the county is writing.
func (s *Service) SaveDraft(ctx context.Context, id int64, d Draft) (*backstop.Plan, error) {
	u, err := backstop.Authorize(ctx, backstop.PermWritePlans)
	if err != nil {
		return nil, err
	}
	p, err := s.writable(ctx, u, id)
	if err != nil {
		return nil, err
	}
	items, checklistID, err := s.Checklist(ctx, p.County)
	if err != nil {
		return nil, err
	}
	missing, err := d.validate(items)
	if err != nil {
		return nil, err
	}
	return s.Store.SavePlanVersion(ctx, &backstop.PlanVersion{PlanID: id, Title: d.Title, Sections: d.Sections, Note: d.Note, ChecklistID: checklistID}, missing, p.State)
}

// AttachDocument checks an uploaded file (at path, named name) and saves
// a new version of the plan with it, its content otherwise unchanged.
// The file is moved under the documents directory or removed.
func (s *Service) AttachDocument(ctx context.Context, id int64, path, name string) (*backstop.Plan, error) {
	defer os.Remove(path)
	u, err := backstop.Authorize(ctx, backstop.PermWritePlans)
	if err != nil {
		return nil, err
	}
	p, err := s.writable(ctx, u, id)
	if err != nil {
		return nil, err
	}
	if p.State != backstop.PlanMissing && p.State != backstop.PlanDraft {
		return nil, backstop.Localized(backstop.ECONFLICT, "预案已报送或已批准，不能再更换文件", "The plan was submitted or approved; its document cannot change.")
	}
	doc, err := s.keep(path, name, p.County, p.Year)
	if err != nil {
		return nil, err
	}
	items, checklistID, err := s.Checklist(ctx, p.County)
	if err != nil {
		return nil, err
	}
	d := Draft{Title: p.Title, Sections: p.Sections, Note: "上传文件 " + doc.Name}
	if d.Title == "" {
		d.Title = strings.TrimSuffix(doc.Name, filepath.Ext(doc.Name))
	}
	missing, err := d.validate(items)
	if err != nil {
		return nil, err
	}
	return s.Store.SavePlanVersion(ctx, &backstop.PlanVersion{PlanID: id, Title: d.Title, Sections: d.Sections, Note: d.Note, Document: doc, ChecklistID: checklistID}, missing, p.State)
}

func (s *Service) keep(path, name, county string, year int) (*backstop.PlanDocument, error) {
	name = filepath.Base(name)
	if utf8.RuneCountInString(name) > 200 {
		return nil, backstop.Localized(backstop.EINVALID, "文件名最多 200 个字", "A file name has at most 200 characters.")
	}
	kind, size, sum, err := CheckDocument(path, name)
	if err != nil {
		return nil, err
	}
	if s.DocDir == "" {
		return nil, backstop.Localized(backstop.EUNAVAILABLE, "未配置文件存放目录", "No documents directory is configured.")
	}
	rel, err := store(s.DocDir, path, county, year, kind, sum)
	if err != nil {
		return nil, err
	}
	return &backstop.PlanDocument{Name: name, Kind: kind, Size: size, SHA256: sum, Path: rel}, nil
}

// Document opens a plan's current document for download.
func (s *Service) Document(ctx context.Context, id int64) (*backstop.PlanDocument, *os.File, error) {
	p, err := s.Plan(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	if p.Document == nil {
		return nil, nil, backstop.Localized(backstop.ENOTFOUND, "该预案还没有上传文件", "The plan has no document.")
	}
	f, err := os.Open(filepath.Join(s.DocDir, p.Document.Path))
	if err != nil {
		s.logger().Error("plan document missing", "plan", id, "path", p.Document.Path, "err", err)
		return nil, nil, backstop.Localized(backstop.EUNAVAILABLE, "预案文件暂时无法读取，请联系管理员", "The plan document cannot be read now.")
	}
	return p.Document, f, nil
}

// writable reads a plan for a write: outside the user's region it is
// forbidden (whether or not it exists).
func (s *Service) writable(ctx context.Context, u *backstop.User, id int64) (*backstop.Plan, error) {
	p, err := s.Store.FindPlan(ctx, id)
	return p, backstop.NotInRegion(u, err, "预案", "the plan")
}

// Submit sends a complete draft to the city.
func (s *Service) Submit(ctx context.Context, id int64) (*backstop.Plan, error) {
	u, err := backstop.Authorize(ctx, backstop.PermWritePlans)
	if err != nil {
		return nil, err
	}
	p, err := s.writable(ctx, u, id)
	if err != nil {
		return nil, err
	}
	if p.State != backstop.PlanDraft {
		return nil, backstop.Localized(backstop.ECONFLICT, "只有草稿可以报送（当前：%s）", "Only a draft can be submitted (it is %s).", backstop.Term(backstop.TermPlanState, string(p.State)))
	}
	if len(p.Missing) > 0 {
		items, _, err := s.Checklist(ctx, p.County)
		if err != nil {
			return nil, err
		}
		names := map[string]string{}
		for _, it := range items {
			names[it.Code] = it.ZH
		}
		var zh []string
		var problems []backstop.Problem
		for _, m := range p.Missing {
			zh = append(zh, names[m])
			problems = append(problems, backstop.Problem{Path: "sections." + m, Reason: "required by the checklist and empty", ReasonZH: names[m] + "未填写"})
		}
		return nil, &backstop.Error{Code: backstop.EINVALID, Message: "The plan lacks required items: " + strings.Join(p.Missing, ", ") + ".",
			ZH: "预案缺少必备内容：" + strings.Join(zh, "、"), Details: problems}
	}
	return s.Store.MovePlan(ctx, id, backstop.PlanDraft, backstop.PlanSubmitted, "")
}

// Approve is the city's approval of a submitted plan; one of two
// approvals at once wins, the other is ECONFLICT.
func (s *Service) Approve(ctx context.Context, id int64) (*backstop.Plan, error) {
	if _, err := backstop.Authorize(ctx, backstop.PermApprovePlans); err != nil {
		return nil, err
	}
	return s.Store.MovePlan(ctx, id, backstop.PlanSubmitted, backstop.PlanApproved, "")
}

// Return sends a submitted plan back to the county with a reason.
func (s *Service) Return(ctx context.Context, id int64, note string) (*backstop.Plan, error) {
	if _, err := backstop.Authorize(ctx, backstop.PermApprovePlans); err != nil {
		return nil, err
	}
	note = strings.TrimSpace(note)
	if note == "" || utf8.RuneCountInString(note) > backstop.MaxPlanNote {
		return nil, backstop.Localized(backstop.EINVALID, "退回须写明原因（最多 %d 个字）", "A return needs a reason (at most %d characters).", backstop.MaxPlanNote)
	}
	return s.Store.MovePlan(ctx, id, backstop.PlanSubmitted, backstop.PlanDraft, note)
}

// Readiness is the city's view of a year: every county of the user's
// region with its plan's state (approved, submitted, draft or missing),
// whether it is late, and the checklist items its plan lacks.
func (s *Service) Readiness(ctx context.Context, year int) ([]*backstop.PlanReadiness, error) {
	if _, err := backstop.Authorize(ctx, backstop.PermReadPrepared); err != nil {
		return nil, err
	}
	if err := checkYear(year); err != nil {
		return nil, err
	}
	rows, err := s.Store.PlanReadiness(ctx, year)
	if err != nil {
		return nil, err
	}
	now := s.now()
	for _, r := range rows {
		sch, err := s.ScheduleOf(ctx, r.Code, year)
		if err != nil {
			return nil, err
		}
		r.DueAt = sch.Due
		r.Late = r.State != backstop.PlanApproved && !now.Before(sch.Due)
	}
	return rows, nil
}

// DepartmentPlanInput records a department's plan.
type DepartmentPlanInput struct {
	Region     string   `json:"region"`
	Year       int      `json:"year"`
	Department string   `json:"department"`
	Title      string   `json:"title"`
	Hazards    []string `json:"hazards,omitempty"`
	ApprovedOn string   `json:"approved_on,omitempty"`
	Note       string   `json:"note,omitempty"`
}

// AddDepartmentPlan records a department's special plan.
func (s *Service) AddDepartmentPlan(ctx context.Context, in DepartmentPlanInput) (*backstop.DepartmentPlan, error) {
	if _, err := backstop.Authorize(ctx, backstop.PermWritePlans); err != nil {
		return nil, err
	}
	region, err := backstop.NormalizeRegionCode(in.Region)
	if err != nil || backstop.LevelOfCode(region) > backstop.LevelCounty {
		return nil, backstop.Localized(backstop.EINVALID, "专项预案的区划须为市或县区代码，不能是“%s”", "A department plan's region is a city or county code, not %q.", in.Region)
	}
	if err := checkYear(in.Year); err != nil {
		return nil, err
	}
	kind, err := backstop.ParseDepartmentKind(in.Department)
	if err != nil {
		return nil, err
	}
	title := strings.TrimSpace(in.Title)
	if title == "" || utf8.RuneCountInString(title) > backstop.MaxPlanTitle {
		return nil, backstop.Localized(backstop.EINVALID, "请填写专项预案名称（最多 %d 个字）", "A department plan needs a title (at most %d characters).", backstop.MaxPlanTitle)
	}
	if utf8.RuneCountInString(in.Note) > backstop.MaxPlanNote {
		return nil, backstop.Localized(backstop.EINVALID, "备注最多 %d 个字", "A note has at most %d characters.", backstop.MaxPlanNote)
	}
	var hazards []backstop.Hazard
	for _, h := range in.Hazards {
		if _, ok := backstop.HazardOf(backstop.Hazard(h)); !ok {
			return nil, backstop.Localized(backstop.EINVALID, "未知的灾种“%s”", "Unknown hazard %q.", h)
		}
		hazards = append(hazards, backstop.Hazard(h))
	}
	if in.ApprovedOn != "" {
		if _, err := time.Parse(time.DateOnly, in.ApprovedOn); err != nil {
			return nil, backstop.Localized(backstop.EINVALID, "印发日期须为 YYYY-MM-DD，不能是“%s”", "approved_on must be YYYY-MM-DD, not %q.", in.ApprovedOn)
		}
	}
	p := &backstop.DepartmentPlan{Region: region, Year: in.Year, Department: string(kind), Title: title, Hazards: hazards, ApprovedOn: in.ApprovedOn, Note: strings.TrimSpace(in.Note)}
	if err := s.Store.CreateDepartmentPlan(ctx, p); err != nil {
		return nil, err
	}
	return p, nil
}

// DepartmentPlans lists departments' plans of a year.
func (s *Service) DepartmentPlans(ctx context.Context, year int, region string) ([]*backstop.DepartmentPlan, error) {
	if _, err := backstop.Authorize(ctx, backstop.PermReadPrepared); err != nil {
		return nil, err
	}
	return s.Store.FindDepartmentPlans(ctx, year, region)
}

// AttachDepartmentDocument checks an uploaded file and attaches it to a
// department plan; the file is moved under the documents directory or
// removed.
func (s *Service) AttachDepartmentDocument(ctx context.Context, id int64, path, name string) (*backstop.DepartmentPlan, error) {
	defer os.Remove(path)
	u, err := backstop.Authorize(ctx, backstop.PermWritePlans)
	if err != nil {
		return nil, err
	}
	p, err := s.Store.FindDepartmentPlan(ctx, id)
	if err != nil {
		return nil, backstop.NotInRegion(u, err, "专项预案", "the department plan")
	}
	doc, err := s.keep(path, name, p.Region, p.Year)
	if err != nil {
		return nil, err
	}
	if err := s.Store.SetDepartmentDocument(ctx, id, doc); err != nil {
		return nil, err
	}
	p.Document = doc
	return p, nil
}

// DepartmentDocument opens a department plan's document for download.
func (s *Service) DepartmentDocument(ctx context.Context, id int64) (*backstop.PlanDocument, *os.File, error) {
	if _, err := backstop.Authorize(ctx, backstop.PermReadPrepared); err != nil {
		return nil, nil, err
	}
	p, err := s.Store.FindDepartmentPlan(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	if p.Document == nil {
		return nil, nil, backstop.Localized(backstop.ENOTFOUND, "该专项预案还没有上传文件", "The department plan has no document.")
	}
	f, err := os.Open(filepath.Join(s.DocDir, p.Document.Path))
	if err != nil {
		s.logger().Error("department plan document missing", "plan", id, "path", p.Document.Path, "err", err)
		return nil, nil, backstop.Localized(backstop.EUNAVAILABLE, "文件暂时无法读取，请联系管理员", "The document cannot be read now.")
	}
	return p.Document, f, nil
}
