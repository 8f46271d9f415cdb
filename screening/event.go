package screening

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/zhangye-backstop/backstop"
)

// EventInput makes a disaster event, by hand or from a warning (whose
// hazard, start and regions are taken unless given).
type EventInput struct {
	Hazard    string    `json:"hazard,omitempty"`
	Title     string    `json:"title,omitempty"`
	StartedAt time.Time `json:"started_at"`
	Regions   []string  `json:"regions,omitempty"`
	WarningID int64     `json:"warning_id,omitempty"`
}

// MaxEventRegions bounds an event's regions.
const MaxEventRegions = 500

// warningUsable refuses a warning that no longer stands.
func warningUsable(w *backstop.Warning, now time.Time) error {
	switch w.CurrentState(now) {
	case backstop.StateCancelled:
		return invalid("warning_id", fmt.Sprintf("预警%d已解除（取消），不能据此建立", w.ID), fmt.Sprintf("warning %d was cancelled", w.ID))
	case backstop.StateUpdated:
		return invalid("warning_id", fmt.Sprintf("预警%d已被更新（新预警%d），请使用最新的预警", w.ID, w.SupersededBy), fmt.Sprintf("warning %d was superseded by %d: use the newer one", w.ID, w.SupersededBy))
	}
	if w.MsgType == "Cancel" {
		return invalid("warning_id", fmt.Sprintf("预警%d是解除通知", w.ID), fmt.Sprintf("warning %d is a cancellation", w.ID))
	}
	return nil
}

// CreateEvent records a disaster event and starts its 初报 clock.
func (s *Service) CreateEvent(ctx context.Context, in EventInput) (*backstop.DisasterEvent, error) {
	if _, err := backstop.Authorize(ctx, backstop.PermScreen); err != nil {
		return nil, err
	}
	e := &backstop.DisasterEvent{Hazard: backstop.Hazard(in.Hazard), Title: strings.TrimSpace(in.Title), StartedAt: in.StartedAt, Warnings: []int64{}}
	if in.WarningID != 0 {
		w, err := s.Store.FindWarning(ctx, in.WarningID)
		if err != nil {
			return nil, err
		}
		if err := warningUsable(w, s.now()); err != nil {
			return nil, err
		}
		e.Warnings = []int64{w.ID}
		if e.Hazard == "" {
			e.Hazard = w.Hazard
		}
		if e.Title == "" {
			e.Title = w.Headline
			if e.Title == "" {
				e.Title = w.Event
			}
		}
		if e.StartedAt.IsZero() {
			switch {
			case w.Onset != nil:
				e.StartedAt = *w.Onset
			case w.Effective != nil:
				e.StartedAt = *w.Effective
			default:
				e.StartedAt = w.Sent
			}
		}
		if len(in.Regions) == 0 {
			for _, a := range w.Areas {
				for _, r := range a.Regions {
					if !slices.Contains(in.Regions, r) {
						in.Regions = append(in.Regions, r)
					}
				}
			}
		}
	}
	if _, ok := backstop.HazardOf(e.Hazard); !ok {
		return nil, invalid("hazard", "灾种未知：“"+string(e.Hazard)+"”", "unknown hazard "+string(e.Hazard))
	}
	if e.StartedAt.IsZero() {
		return nil, invalid("started_at", "请填写灾害发生时间", "required")
	}
	if e.StartedAt.After(s.now().Add(24 * time.Hour)) {
		return nil, invalid("started_at", "灾害发生时间不能晚于现在", "in the future")
	}
	regions, err := regionList("regions", in.Regions, MaxEventRegions)
	if err != nil {
		return nil, err
	}
	e.Regions = regions
	if e.Title == "" {
		hz, _ := backstop.HazardOf(e.Hazard)
		e.Title = e.StartedAt.In(backstop.Beijing).Format("1月2日") + hz.ZH
	}
	if e.Title, err = runes("title", "灾害过程名称", e.Title, 1, 100); err != nil {
		return nil, err
	}
	region := backstop.CommonRegion(e.Regions...)
	p, err := s.policy(ctx, backstop.PolicyInitialReport, region, e.StartedAt)
	if err != nil {
		return nil, err
	}
	initial, err := s.Clocks.New(ctx, backstop.ClockEventInitial, "", region, e.StartedAt, p)
	if err != nil {
		return nil, err
	}
	if err := s.Store.CreateEvent(ctx, e, initial); err != nil {
		return nil, err
	}
	if s.EventOpened != nil {
		s.EventOpened(ctx, e)
	}
	return e, nil
}

// Event returns an event with its clocks.
func (s *Service) Event(ctx context.Context, id int64) (*backstop.DisasterEvent, error) {
	if _, err := backstop.Authorize(ctx, backstop.PermReadRegistry); err != nil {
		return nil, err
	}
	return s.Store.FindEvent(ctx, id)
}

// Events lists the events in the user's region.
func (s *Service) Events(ctx context.Context, f backstop.EventFilter) ([]*backstop.DisasterEvent, int, error) {
	if _, err := backstop.Authorize(ctx, backstop.PermReadRegistry); err != nil {
		return nil, 0, err
	}
	return s.Store.FindEvents(ctx, f)
}

// EventClocks are an event's report clocks (初报, the latest 续报, 核报).
func (s *Service) EventClocks(ctx context.Context, id int64) ([]*backstop.Clock, error) {
	var out []*backstop.Clock
	e, err := s.Store.FindEvent(ctx, id)
	if err != nil {
		return nil, err
	}
	fs, _, err := s.Clocks.Clocks(ctx, backstop.ClockFilter{Kind: backstop.ClockEventFollowup, Region: e.Region, Limit: 1000})
	if err != nil {
		return nil, err
	}
	var last *backstop.Clock
	for _, c := range fs {
		if strings.HasPrefix(c.Subject, fmt.Sprintf("event:%d:", id)) && (last == nil || c.ID > last.ID) {
			last = c
		}
	}
	for _, kind := range []string{backstop.ClockEventInitial, backstop.ClockEventFinal} {
		c, err := s.Clocks.Store.FindClock(ctx, kind, fmt.Sprintf("event:%d", id))
		if err == nil {
			out = append(out, c)
		} else if backstop.ErrorCode(err) != backstop.ENOTFOUND {
			return nil, err
		}
		if kind == backstop.ClockEventInitial && last != nil {
			out = append(out, last)
		}
	}
	return out, nil
}

// SetEventState moves an event on; a stabilised event's 核报 is due.
func (s *Service) SetEventState(ctx context.Context, id int64, state string) (*backstop.DisasterEvent, error) {
	u, err := backstop.Authorize(ctx, backstop.PermScreen)
	if err != nil {
		return nil, err
	}
	to, err := backstop.ParseEventState(state)
	if err != nil {
		return nil, err
	}
	e, err := s.Store.FindEvent(ctx, id)
	if err != nil {
		return nil, eventOutside(u, err, id)
	}
	order := map[backstop.EventState]int{backstop.EventOngoing: 0, backstop.EventStabilised: 1, backstop.EventClosed: 2}
	if order[to] <= order[e.State] {
		return nil, backstop.Localized(backstop.ECONFLICT, "灾害过程已是%s，不能改为%s", "The event is %s already: it cannot go back to %s.", backstop.Term(backstop.TermEventState, string(e.State)), backstop.Term(backstop.TermEventState, string(to)))
	}
	var final *backstop.Clock
	if to == backstop.EventStabilised {
		now := s.now()
		p, err := s.policy(ctx, backstop.PolicyFinalReport, e.Region, now)
		if err != nil {
			return nil, err
		}
		if final, err = s.Clocks.New(ctx, backstop.ClockEventFinal, "", e.Region, now, p); err != nil {
			return nil, err
		}
	}
	if err := s.Store.SetEventState(ctx, id, e.State, to, final); err != nil {
		return nil, err
	}
	return s.Store.FindEvent(ctx, id)
}

// eventOutside is a write's answer for an event not found in the user's
// region: forbidden for a scoped user (whether it exists elsewhere is not
// theirs to learn).
func eventOutside(u *backstop.User, err error, id int64) error {
	return backstop.NotInRegion(u, err, fmt.Sprintf("灾害过程%d", id), fmt.Sprintf("event %d", id))
}

// SetFigures stores a region's entered figures of an event.
func (s *Service) SetFigures(ctx context.Context, id int64, f *backstop.EventFigures) error {
	u, err := backstop.Authorize(ctx, backstop.PermScreen)
	if err != nil {
		return err
	}
	if _, err := s.Store.FindEvent(ctx, id); err != nil {
		return eventOutside(u, err, id)
	}
	region, err := backstop.NormalizeRegionCode(f.Region)
	if err != nil {
		return invalid("region", "地区代码有误", backstop.ErrorMessage(err))
	}
	if !u.InScope(region) {
		return backstop.OutsideRegion(u, "地区"+region, "region "+region)
	}
	f.Region = region
	for _, v := range []struct {
		field, zh string
		n         int
	}{{"deaths", "因灾死亡人数", f.Deaths}, {"missing", "因灾失踪人数", f.Missing}, {"relocated", "紧急转移安置人数", f.Relocated}, {"relief_needed", "需紧急生活救助人数", f.ReliefNeeded}} {
		if v.n < 0 || v.n > 10_000_000 {
			return invalid(v.field, v.zh+"须在0至10000000之间", "must be 0 to 10,000,000")
		}
	}
	if f.OtherLossYuan < 0 || f.OtherLossYuan > 1e12 {
		return invalid("other_loss_yuan", "其他直接经济损失须在0至1万亿元之间", "must be 0 to 1e12 yuan")
	}
	return s.Store.SetEventFigures(ctx, id, f)
}

// rules are the statistics' policy values for an event.
func (s *Service) rules(ctx context.Context, e *backstop.DisasterEvent) (backstop.StatisticsRules, error) {
	var r backstop.StatisticsRules
	crop, err := s.policy(ctx, backstop.PolicyCropClasses, e.Region, e.StartedAt)
	if err != nil {
		return r, err
	}
	water, err := s.policy(ctx, backstop.PolicyWaterStandard, e.Region, e.StartedAt)
	if err != nil {
		return r, err
	}
	c, w := tableOf(crop), tableOf(water)
	r.Crop = backstop.CropClasses{Affected: c["affected"], Damaged: c["damaged"], Failed: c["failed"], PolicyID: crop.ID}
	r.WaterLitres, r.WaterTrip, r.WaterOutage, r.WaterPolicyID = w["litres_per_person_day"], w["trip_minutes"], w["outage_days_per_year"], water.ID
	return r, nil
}

// Statistics are an event's indicators in a region (the event's area by
// default), with a line per region below it.
func (s *Service) Statistics(ctx context.Context, id int64, region string) (*backstop.DisasterStatistics, error) {
	if _, err := backstop.Authorize(ctx, backstop.PermReadRegistry); err != nil {
		return nil, err
	}
	e, err := s.Store.FindEvent(ctx, id)
	if err != nil {
		return nil, err
	}
	if region != "" {
		if region, err = backstop.NormalizeRegionCode(region); err != nil {
			return nil, invalid("region", "地区代码有误", backstop.ErrorMessage(err))
		}
	}
	rules, err := s.rules(ctx, e)
	if err != nil {
		return nil, err
	}
	return s.Store.EventStatistics(ctx, id, region, rules)
}

// AddReport files a 初报, 续报 or 核报 with the statistics as they stand.
func (s *Service) AddReport(ctx context.Context, id int64, kind, region, note string) (*backstop.EventReport, error) {
	u, err := backstop.Authorize(ctx, backstop.PermScreen)
	if err != nil {
		return nil, err
	}
	e, err := s.Store.FindEvent(ctx, id)
	if err != nil {
		return nil, eventOutside(u, err, id)
	}
	switch backstop.ReportKind(kind) {
	case backstop.ReportInitial, backstop.ReportFollowup, backstop.ReportFinal:
	default:
		return nil, invalid("kind", "报告类型只能是 initial（初报）、followup（续报）或 final（核报）", "kind must be initial, followup or final")
	}
	note, err = runes("note", "报告说明", note, 0, 2000)
	if err != nil {
		return nil, err
	}
	st, err := s.Statistics(ctx, id, region)
	if err != nil {
		return nil, err
	}
	r := &backstop.EventReport{EventID: id, Kind: backstop.ReportKind(kind), Region: st.Region, Note: note, Statistics: st}
	// While the event goes on, each initial or follow-up report makes the
	// next follow-up due.
	var next *backstop.Clock
	if e.State == backstop.EventOngoing && r.Kind != backstop.ReportFinal {
		now := s.now()
		p, err := s.policy(ctx, backstop.PolicyFollowupReport, e.Region, now)
		if err != nil {
			return nil, err
		}
		if next, err = s.Clocks.New(ctx, backstop.ClockEventFollowup, "", e.Region, now, p); err != nil {
			return nil, err
		}
	}
	if err := s.Store.AddEventReport(ctx, r, next); err != nil {
		return nil, err
	}
	return r, nil
}

// Reports lists an event's reports.
func (s *Service) Reports(ctx context.Context, id int64) ([]*backstop.EventReport, error) {
	if _, err := backstop.Authorize(ctx, backstop.PermReadRegistry); err != nil {
		return nil, err
	}
	return s.Store.EventReports(ctx, id)
}

// Ledger streams the 因灾倒塌损坏住房户台账 of an event, phones masked;
// audited before the first row, as every export of personal data is.
func (s *Service) Ledger(ctx context.Context, id int64, region string, fn func(*backstop.LedgerRow) error) error {
	if _, err := backstop.Authorize(ctx, backstop.PermExport); err != nil {
		return err
	}
	if _, err := s.Store.FindEvent(ctx, id); err != nil {
		return err
	}
	if err := s.Store.Audit(ctx, "export.ledger", "event", fmt.Sprint(id), "因灾倒塌损坏住房户台账 "+region); err != nil {
		return err
	}
	return s.Store.DamageLedger(ctx, id, region, func(r *backstop.LedgerRow) error {
		r.Phone = backstop.MaskPhone(r.Phone)
		return fn(r)
	})
}
