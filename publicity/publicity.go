// Package publicity is the use case of publicity and education (宣传教育):
// awareness events on the fixed days — 全国防灾减灾日 (12 May), 全国科普日,
// 气象科普进乡村, fire safety in relocation high-rises — which a yearly
// calendar (policy data: themes with their month and day) proposes to each
// county; events recorded with date, place, organiser, audience and
// materials; coverage by township.
package publicity

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/zhangye-backstop/backstop"
)

// Store is what publicity needs of storage.
type Store interface {
	backstop.PublicityService
	backstop.PolicyService
	FindRegion(ctx context.Context, code string, withBoundary bool) (*backstop.Region, error)
	FindRegions(ctx context.Context, f backstop.RegionFilter) ([]*backstop.Region, int, error)
}

// Service runs the publicity use cases.
type Service struct {
	Store Store
	Now   func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Service) today() string { return s.now().In(backstop.Beijing).Format(time.DateOnly) }

// Theme is a fixed day of the calendar.
type Theme struct {
	Code  string `json:"code"`
	ZH    string `json:"zh"`
	EN    string `json:"en,omitempty"`
	Month int    `json:"month"`
	Day   int    `json:"day"`
}

// Themes reads the themes in force for a region; a theme without a valid
// month and day is an error naming the policy.
func (s *Service) Themes(ctx context.Context, region string) ([]Theme, error) {
	p, err := s.Store.PolicyAt(ctx, backstop.PolicyPublicityThemes, region, s.now())
	if err != nil {
		return nil, err
	}
	var ts []Theme
	if err := json.Unmarshal(p.Data, &ts); err != nil || len(ts) == 0 {
		return nil, backstop.Localized(backstop.EINVALID, "政策参数“%s”（第%d版）不是主题列表", "Policy %s (version %d) is not a list of themes.", p.Key, p.ID)
	}
	for _, t := range ts {
		if _, err := time.Parse(time.DateOnly, fmt.Sprintf("2024-%02d-%02d", t.Month, t.Day)); err != nil {
			return nil, backstop.Localized(backstop.EINVALID, "政策参数“%s”（第%d版）的主题“%s”缺少有效的月、日", "Policy %s (version %d): theme %s has no valid month and day.", p.Key, p.ID, t.Code)
		}
	}
	return ts, nil
}

// ProposeYear proposes the fixed days of year to every county of region
// (kept when proposed before); it returns how many it wrote.
func (s *Service) ProposeYear(ctx context.Context, region string, year int) (int, error) {
	u, err := backstop.Authorize(ctx, backstop.PermManagePublicity)
	if err != nil {
		return 0, err
	}
	if year < 2023 || year > 2100 {
		return 0, backstop.Localized(backstop.EINVALID, "年度须在 2023 至 2100 之间", "The year must be 2023 to 2100.")
	}
	if region == "" {
		region = u.Region
	} else if region, err = backstop.NormalizeRegionCode(region); err != nil {
		return 0, backstop.Localized(backstop.EINVALID, "区划代码有误", "The region code is wrong.")
	}
	if !u.InScope(region) {
		return 0, backstop.OutsideRegion(u, "区划"+region, "region "+region)
	}
	counties, _, err := s.Store.FindRegions(ctx, backstop.RegionFilter{Within: region, Level: backstop.LevelCounty, Limit: 1000})
	if err != nil {
		return 0, err
	}
	if backstop.LevelOfCode(region) == backstop.LevelCounty {
		counties = []*backstop.Region{{Code: region}}
	}
	var events []*backstop.PublicityEvent
	for _, c := range counties {
		themes, err := s.Themes(ctx, c.Code)
		if err != nil {
			return 0, err
		}
		for _, t := range themes {
			events = append(events, &backstop.PublicityEvent{Theme: t.Code, Title: t.ZH, County: c.Code, Year: year, Date: fmt.Sprintf("%d-%02d-%02d", year, t.Month, t.Day), State: backstop.PublicityProposed})
		}
	}
	if len(events) == 0 {
		return 0, backstop.Localized(backstop.EINVALID, "区划%s内没有县区", "Region %s holds no county.", region)
	}
	return s.Store.ProposeCalendar(ctx, events)
}

// Input is an event as entered or changed.
type Input struct {
	Theme     string `json:"theme"`
	Title     string `json:"title"`
	County    string `json:"county"`
	Township  string `json:"township,omitempty"`
	Date      string `json:"date"`
	Place     string `json:"place,omitempty"`
	Organiser string `json:"organiser,omitempty"`
	Audience  int    `json:"audience"`
	Materials string `json:"materials,omitempty"`
	State     string `json:"state"`
	// From is the state the caller saw, for a change.
	From string `json:"from,omitempty"`
}

func problem(path, en, zh string) backstop.Problem {
	return backstop.Problem{Path: path, Reason: en, ReasonZH: zh}
}

func (s *Service) event(ctx context.Context, in Input) (*backstop.PublicityEvent, error) {
	var problems []backstop.Problem
	e := &backstop.PublicityEvent{Theme: in.Theme, Title: strings.TrimSpace(in.Title), Date: in.Date, Place: strings.TrimSpace(in.Place), Organiser: strings.TrimSpace(in.Organiser),
		Audience: in.Audience, Materials: strings.TrimSpace(in.Materials), State: backstop.PublicityState(in.State)}
	county, err := backstop.NormalizeRegionCode(in.County)
	if err != nil || backstop.LevelOfCode(county) != backstop.LevelCounty {
		problems = append(problems, problem("county", "a county code", "县区代码有误"))
	} else {
		e.County = county
		if themes, err := s.Themes(ctx, county); err != nil {
			return nil, err
		} else if !slices.ContainsFunc(themes, func(t Theme) bool { return t.Code == e.Theme }) {
			var names []string
			for _, t := range themes {
				names = append(names, t.ZH)
			}
			problems = append(problems, problem("theme", "one of the themes in force", "主题须为："+strings.Join(names, "、")))
		}
	}
	if in.Township != "" {
		t, err := backstop.NormalizeRegionCode(in.Township)
		if err != nil || backstop.LevelOfCode(t) != backstop.LevelTownship || !backstop.CodeWithin(t, county) {
			problems = append(problems, problem("township", "a township of the county", "乡镇须为该县区的乡镇代码"))
		} else {
			e.Township = t
		}
	}
	d, err := time.Parse(time.DateOnly, e.Date)
	if err != nil {
		problems = append(problems, problem("date", "a date (YYYY-MM-DD)", "请填写活动日期（YYYY-MM-DD）"))
	}
	e.Year = d.Year()
	if e.Title == "" || utf8.RuneCountInString(e.Title) > backstop.MaxPublicityText {
		problems = append(problems, problem("title", fmt.Sprintf("1 to %d characters", backstop.MaxPublicityText), fmt.Sprintf("请填写活动名称（最多 %d 个字）", backstop.MaxPublicityText)))
	}
	for _, f := range []struct{ path, v string }{{"place", e.Place}, {"organiser", e.Organiser}, {"materials", e.Materials}} {
		if utf8.RuneCountInString(f.v) > backstop.MaxPublicityText {
			problems = append(problems, problem(f.path, fmt.Sprintf("at most %d characters", backstop.MaxPublicityText), fmt.Sprintf("最多 %d 个字", backstop.MaxPublicityText)))
		}
	}
	if e.Audience < 0 || e.Audience > backstop.MaxPublicityAudience {
		problems = append(problems, problem("audience", fmt.Sprintf("0 to %d people", backstop.MaxPublicityAudience), fmt.Sprintf("受众人数须在 0 至 %d 之间", backstop.MaxPublicityAudience)))
	}
	switch e.State {
	case backstop.PublicityPlanned, backstop.PublicityDropped, backstop.PublicityProposed:
	case backstop.PublicityHeld:
		if e.Date > s.today() {
			problems = append(problems, problem("date", "an event is held on or before today", "已举办的活动日期不能晚于今天"))
		}
		if e.Audience == 0 || e.Place == "" || e.Organiser == "" {
			problems = append(problems, problem("audience", "a held event records its place, organiser and audience", "已举办的活动须填写地点、组织单位和受众人数"))
		}
	default:
		problems = append(problems, problem("state", "proposed, planned, held or dropped", "状态须为 proposed（拟办）、planned（计划）、held（已举办）或 dropped（取消）"))
	}
	if len(problems) > 0 {
		return nil, &backstop.Error{Code: backstop.EINVALID, Message: fmt.Sprintf("The event has %d problem(s): %s: %s.", len(problems), problems[0].Path, problems[0].Reason),
			ZH: fmt.Sprintf("宣传活动有 %d 处问题：%s", len(problems), problems[0].ReasonZH), Details: problems}
	}
	return e, nil
}

// Create records an event.
func (s *Service) Create(ctx context.Context, in Input) (*backstop.PublicityEvent, error) {
	if _, err := backstop.Authorize(ctx, backstop.PermManagePublicity); err != nil {
		return nil, err
	}
	e, err := s.event(ctx, in)
	if err != nil {
		return nil, err
	}
	if err := s.Store.CreatePublicity(ctx, e); err != nil {
		return nil, err
	}
	return e, nil
}

// Update changes an event (plans a proposal, records it held) from the
// state the caller saw.
func (s *Service) Update(ctx context.Context, id int64, in Input) (*backstop.PublicityEvent, error) {
	if _, err := backstop.Authorize(ctx, backstop.PermManagePublicity); err != nil {
		return nil, err
	}
	e, err := s.event(ctx, in)
	if err != nil {
		return nil, err
	}
	e.ID = id
	if err := s.Store.UpdatePublicity(ctx, e, backstop.PublicityState(in.From)); err != nil {
		return nil, err
	}
	return s.Store.FindPublicity(ctx, id)
}

// Event returns one event.
func (s *Service) Event(ctx context.Context, id int64) (*backstop.PublicityEvent, error) {
	if _, err := backstop.Authorize(ctx, backstop.PermReadPrepared); err != nil {
		return nil, err
	}
	return s.Store.FindPublicity(ctx, id)
}

// Events pages events.
func (s *Service) Events(ctx context.Context, f backstop.PublicityFilter) ([]*backstop.PublicityEvent, int, error) {
	if _, err := backstop.Authorize(ctx, backstop.PermReadPrepared); err != nil {
		return nil, 0, err
	}
	return s.Store.FindPublicities(ctx, f)
}

// Coverage lists a region's townships with the events held in them in
// year.
func (s *Service) Coverage(ctx context.Context, region string, year int) ([]*backstop.PublicityCoverage, error) {
	u, err := backstop.Authorize(ctx, backstop.PermReadPrepared)
	if err != nil {
		return nil, err
	}
	if region == "" {
		region = u.Region
	} else if region, err = backstop.NormalizeRegionCode(region); err != nil {
		return nil, backstop.Localized(backstop.EINVALID, "区划代码有误", "The region code is wrong.")
	}
	return s.Store.PublicityCoverage(ctx, region, year)
}

// Year is this year in Beijing.
func (s *Service) Year() int { return s.now().In(backstop.Beijing).Year() }
