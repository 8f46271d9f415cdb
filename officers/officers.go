// Package officers is the use case of disaster information officers
// (灾害信息员): the roster per village and township, coverage (every
// village at least one; the gaps listed), tiered training (city, county,
// township) with per-officer records, and who is due for training by the
// policy's period. Officers' accounts (role info_officer) file loss
// reports and see only their area, by the region scope.
package officers

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/zhangye-backstop/backstop"
)

// Store is what officers need of storage.
type Store interface {
	backstop.OfficerService
	backstop.PolicyService
	FindRegion(ctx context.Context, code string, withBoundary bool) (*backstop.Region, error)
}

// Service runs the officer use cases.
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

// Input is an officer as entered.
type Input struct {
	Name       string `json:"name"`
	Phone      string `json:"phone"`
	Region     string `json:"region"`
	Department string `json:"department,omitempty"`
	Since      string `json:"since"`
	Until      string `json:"until,omitempty"`
	User       string `json:"user,omitempty"`
}

func bad(path, en, zh string) backstop.Problem {
	return backstop.Problem{Path: path, Reason: en, ReasonZH: zh}
}

func invalid(what, whatZH string, problems []backstop.Problem) error {
	return &backstop.Error{Code: backstop.EINVALID, Message: fmt.Sprintf("The %s has %d problem(s): %s: %s.", what, len(problems), problems[0].Path, problems[0].Reason),
		ZH: fmt.Sprintf("%s有 %d 处问题：%s", whatZH, len(problems), problems[0].ReasonZH), Details: problems}
}

func checkDate(path, v string, required bool, problems []backstop.Problem) []backstop.Problem {
	if v == "" {
		if required {
			problems = append(problems, bad(path, "a date (YYYY-MM-DD) is needed", "请填写日期（YYYY-MM-DD）"))
		}
		return problems
	}
	if _, err := time.Parse(time.DateOnly, v); err != nil {
		problems = append(problems, bad(path, fmt.Sprintf("%q is not a date (YYYY-MM-DD)", v), fmt.Sprintf("“%s”不是日期（YYYY-MM-DD）", v)))
	}
	return problems
}

func (s *Service) officer(ctx context.Context, in Input) (*backstop.Officer, error) {
	var problems []backstop.Problem
	o := &backstop.Officer{Name: strings.TrimSpace(in.Name), Department: strings.TrimSpace(in.Department), Since: in.Since, Until: in.Until, User: strings.TrimSpace(in.User)}
	if o.Name == "" || utf8.RuneCountInString(o.Name) > backstop.MaxOfficerName {
		problems = append(problems, bad("name", fmt.Sprintf("a name of at most %d characters", backstop.MaxOfficerName), fmt.Sprintf("请填写姓名（最多 %d 个字）", backstop.MaxOfficerName)))
	}
	if utf8.RuneCountInString(o.Department) > backstop.MaxDepartment {
		problems = append(problems, bad("department", fmt.Sprintf("at most %d characters", backstop.MaxDepartment), fmt.Sprintf("最多 %d 个字", backstop.MaxDepartment)))
	}
	if p, err := backstop.ValidatePhone(in.Phone); err != nil {
		problems = append(problems, bad("phone", backstop.ErrorMessage(err), backstop.ErrorMessageZH(err)))
	} else {
		o.Phone = p
	}
	code, err := backstop.NormalizeRegionCode(in.Region)
	if err != nil || (backstop.LevelOfCode(code) != backstop.LevelVillage && backstop.LevelOfCode(code) != backstop.LevelTownship) {
		problems = append(problems, bad("region", "a village or township code (9 or 12 digits)", "负责区划须为村或乡镇代码（9 或 12 位）"))
	} else if _, err := s.Store.FindRegion(ctx, code, false); err != nil {
		problems = append(problems, bad("region", "no region has the code "+code, "没有代码为"+code+"的区划"))
	} else {
		o.Region = code
	}
	problems = checkDate("since", o.Since, true, problems)
	problems = checkDate("until", o.Until, false, problems)
	if o.Until != "" && o.Since != "" && o.Until <= o.Since {
		problems = append(problems, bad("until", "the end comes after the start", "离岗日期须晚于任职日期"))
	}
	if len(problems) > 0 {
		return nil, invalid("officer", "信息员", problems)
	}
	return o, nil
}

// Mask hides an officer's phone.
func Mask(o *backstop.Officer) *backstop.Officer {
	o.Phone = backstop.MaskPhone(o.Phone)
	return o
}

// Create adds an officer to the roster.
func (s *Service) Create(ctx context.Context, in Input) (*backstop.Officer, error) {
	if _, err := backstop.Authorize(ctx, backstop.PermManageOfficers); err != nil {
		return nil, err
	}
	o, err := s.officer(ctx, in)
	if err != nil {
		return nil, err
	}
	if err := s.Store.CreateOfficer(ctx, o); err != nil {
		return nil, err
	}
	return s.Officer(ctx, o.ID)
}

// Update changes an officer (moves, leaves: set until).
func (s *Service) Update(ctx context.Context, id int64, in Input) (*backstop.Officer, error) {
	if _, err := backstop.Authorize(ctx, backstop.PermManageOfficers); err != nil {
		return nil, err
	}
	o, err := s.officer(ctx, in)
	if err != nil {
		return nil, err
	}
	o.ID = id
	if err := s.Store.UpdateOfficer(ctx, o); err != nil {
		return nil, err
	}
	return s.Officer(ctx, id)
}

// dueCutoff is the date before which a last training makes an officer due.
func (s *Service) dueCutoff(ctx context.Context, region string) (string, error) {
	p, err := s.Store.PolicyAt(ctx, backstop.PolicyOfficerTraining, region, s.now())
	if err != nil {
		return "", err
	}
	today, _ := time.Parse(time.DateOnly, s.today())
	return today.AddDate(0, -int(math.Round(p.Value)), 0).Format(time.DateOnly), nil
}

func (s *Service) markDue(ctx context.Context, os []*backstop.Officer) error {
	cut := map[string]string{}
	for _, o := range os {
		c, ok := cut[o.Region]
		if !ok {
			var err error
			if c, err = s.dueCutoff(ctx, o.Region); err != nil {
				return err
			}
			cut[o.Region] = c
		}
		o.TrainingDue = o.LastTrained == "" || o.LastTrained < c
		Mask(o)
	}
	return nil
}

// Officer returns one officer, phone masked.
func (s *Service) Officer(ctx context.Context, id int64) (*backstop.Officer, error) {
	if _, err := backstop.Authorize(ctx, backstop.PermReadPrepared); err != nil {
		return nil, err
	}
	o, err := s.Store.FindOfficer(ctx, id)
	if err != nil {
		return nil, err
	}
	return o, s.markDue(ctx, []*backstop.Officer{o})
}

// Officers pages the roster serving today (or all, or those due for
// training), phones masked.
func (s *Service) Officers(ctx context.Context, f backstop.OfficerFilter, due bool) ([]*backstop.Officer, int, error) {
	u, err := backstop.Authorize(ctx, backstop.PermReadPrepared)
	if err != nil {
		return nil, 0, err
	}
	if f.Date == "" {
		f.Date = s.today()
	}
	if due {
		region := f.Region
		if region == "" {
			region = u.Region
		}
		if f.DueBefore, err = s.dueCutoff(ctx, region); err != nil {
			return nil, 0, err
		}
	}
	items, total, err := s.Store.FindOfficers(ctx, f)
	if err != nil {
		return nil, 0, err
	}
	return items, total, s.markDue(ctx, items)
}

// Coverage tells how a region's villages are covered today: each needs at
// least one serving officer of its own; the others are gaps.
func (s *Service) Coverage(ctx context.Context, region string) (*backstop.OfficerCoverage, error) {
	u, err := backstop.Authorize(ctx, backstop.PermReadPrepared)
	if err != nil {
		return nil, err
	}
	if region == "" {
		region = u.Region
	} else if region, err = backstop.NormalizeRegionCode(region); err != nil {
		return nil, backstop.Localized(backstop.EINVALID, "区划代码有误：须为 6、9 或 12 位数字", "The region code must have 6, 9 or 12 digits.")
	}
	return s.Store.OfficerCoverage(ctx, region, s.today())
}

// TrainingInput is a session as entered.
type TrainingInput struct {
	Region    string  `json:"region"`
	Level     string  `json:"level"`
	Date      string  `json:"date"`
	Topic     string  `json:"topic"`
	Hours     float64 `json:"hours"`
	Place     string  `json:"place,omitempty"`
	Attendees []int64 `json:"attendees"`
}

// levelOf is the region level a training level is run at.
var levelOf = map[backstop.TrainingLevel]backstop.RegionLevel{backstop.TrainingCity: backstop.LevelCity, backstop.TrainingCounty: backstop.LevelCounty, backstop.TrainingTownship: backstop.LevelTownship}

// RecordTraining records a session of the city, a county or a township
// and who attended (officers serving inside its region).
func (s *Service) RecordTraining(ctx context.Context, in TrainingInput) (*backstop.TrainingSession, error) {
	if _, err := backstop.Authorize(ctx, backstop.PermManageOfficers); err != nil {
		return nil, err
	}
	var problems []backstop.Problem
	t := &backstop.TrainingSession{Level: backstop.TrainingLevel(in.Level), Date: in.Date, Topic: strings.TrimSpace(in.Topic), Hours: in.Hours, Place: strings.TrimSpace(in.Place), Attendees: in.Attendees}
	want, ok := levelOf[t.Level]
	if !ok {
		problems = append(problems, bad("level", "city, county or township", "培训层级只能是 city（市级）、county（县级）或 township（乡镇）"))
	}
	code, err := backstop.NormalizeRegionCode(in.Region)
	if err != nil {
		problems = append(problems, bad("region", "a region code", "区划代码有误"))
	} else if ok && backstop.LevelOfCode(code) != want {
		problems = append(problems, bad("region", fmt.Sprintf("a %s training is run by a %s", t.Level, want), fmt.Sprintf("%s级培训的区划须为%s代码", t.Level, map[backstop.RegionLevel]string{backstop.LevelCity: "市", backstop.LevelCounty: "县区", backstop.LevelTownship: "乡镇"}[want])))
	} else {
		t.Region = code
	}
	problems = checkDate("date", t.Date, true, problems)
	if t.Date > s.today() {
		problems = append(problems, bad("date", "a training is recorded once held", "培训举办后再登记（日期不能晚于今天）"))
	}
	if t.Topic == "" || utf8.RuneCountInString(t.Topic) > backstop.MaxTrainingTopic {
		problems = append(problems, bad("topic", fmt.Sprintf("a topic of at most %d characters", backstop.MaxTrainingTopic), fmt.Sprintf("请填写培训主题（最多 %d 个字）", backstop.MaxTrainingTopic)))
	}
	if !(t.Hours > 0 && t.Hours <= backstop.MaxTrainingHours) {
		problems = append(problems, bad("hours", fmt.Sprintf("more than 0 and at most %d", backstop.MaxTrainingHours), fmt.Sprintf("学时须大于 0 且不超过 %d", backstop.MaxTrainingHours)))
	}
	if len(t.Attendees) == 0 {
		problems = append(problems, bad("attendees", "who attended", "请选择参训信息员"))
	} else if len(t.Attendees) > backstop.MaxTrainingAttendees {
		return nil, backstop.Localized(backstop.ETOOLARGE, "一次培训最多登记 %d 人", "A session has at most %d attendees.", backstop.MaxTrainingAttendees)
	}
	seen := map[int64]bool{}
	for i, id := range t.Attendees {
		if seen[id] {
			problems = append(problems, bad(fmt.Sprintf("attendees[%d]", i), "listed twice", "重复"))
		}
		seen[id] = true
	}
	if len(problems) > 0 {
		return nil, invalid("training", "培训记录", problems)
	}
	if err := s.Store.CreateTraining(ctx, t); err != nil {
		return nil, err
	}
	return t, nil
}

// Trainings lists sessions of a year (0: all).
func (s *Service) Trainings(ctx context.Context, region string, year int) ([]*backstop.TrainingSession, error) {
	if _, err := backstop.Authorize(ctx, backstop.PermReadPrepared); err != nil {
		return nil, err
	}
	return s.Store.FindTrainings(ctx, region, year)
}

// Records lists an officer's trainings.
func (s *Service) Records(ctx context.Context, id int64) ([]*backstop.TrainingRecord, error) {
	if _, err := backstop.Authorize(ctx, backstop.PermReadPrepared); err != nil {
		return nil, err
	}
	return s.Store.OfficerTrainings(ctx, id)
}
