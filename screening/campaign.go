package screening

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/workday"
)

// CampaignInput makes a campaign from an event, a warning (its exposure)
// or a region and period. DueWorkdays, when given, overrides the policy's
// working days.
type CampaignInput struct {
	Kind        string `json:"kind"`
	Title       string `json:"title,omitempty"`
	EventID     int64  `json:"event_id,omitempty"`
	WarningID   int64  `json:"warning_id,omitempty"`
	Region      string `json:"region,omitempty"`
	PeriodFrom  string `json:"period_from,omitempty"`
	PeriodTo    string `json:"period_to,omitempty"`
	DueWorkdays int    `json:"due_workdays,omitempty"`
}

// MaxDueWorkdays bounds a campaign's limit given by hand.
const MaxDueWorkdays = 60

// CreateCampaign makes a campaign and its visits, and tells the helpers.
func (s *Service) CreateCampaign(ctx context.Context, in CampaignInput) (*backstop.Campaign, error) {
	u, err := backstop.Authorize(ctx, backstop.PermScreen)
	if err != nil {
		return nil, err
	}
	sources := 0
	for _, set := range []bool{in.EventID != 0, in.WarningID != 0, in.Region != ""} {
		if set {
			sources++
		}
	}
	if sources != 1 {
		return nil, invalid("event_id", "请给出且只给出一个排查范围：灾害过程（event_id）、预警（warning_id）或地区（region）", "give exactly one of event_id, warning_id or region")
	}
	if in.Kind == "" {
		in.Kind = string(backstop.CampaignPostDisaster)
	}
	kind, err := backstop.ParseCampaignKind(in.Kind)
	if err != nil {
		return nil, &backstop.Error{Code: backstop.EINVALID, Message: backstop.ErrorMessage(err), ZH: backstop.ErrorMessageZH(err),
			Details: []backstop.Problem{{Path: "kind", Reason: backstop.ErrorMessage(err), ReasonZH: backstop.ErrorMessageZH(err)}}}
	}
	now := s.now()
	c := &backstop.Campaign{Kind: kind, Title: strings.TrimSpace(in.Title), EventID: in.EventID, WarningID: in.WarningID}
	var scope backstop.CampaignScope
	var subject string
	switch {
	case in.EventID != 0:
		e, err := s.Store.FindEvent(ctx, in.EventID)
		if err != nil {
			return nil, eventOutside(u, err, in.EventID)
		}
		if e.State == backstop.EventClosed {
			return nil, invalid("event_id", fmt.Sprintf("灾害过程%d已结束", e.ID), fmt.Sprintf("event %d is closed", e.ID))
		}
		scope = backstop.CampaignScope{Regions: e.Regions, EventID: e.ID}
		c.Region, subject = e.Region, e.Title
	case in.WarningID != 0:
		w, err := s.Store.FindWarning(ctx, in.WarningID)
		if err != nil {
			return nil, err
		}
		if err := warningUsable(w, now); err != nil {
			return nil, err
		}
		ex, err := s.Store.FindExposure(ctx, w.ID)
		if backstop.ErrorCode(err) == backstop.ENOTFOUND && s.Exposer != nil {
			if _, err = s.Exposer.Compute(ctx, w); err == nil {
				ex, err = s.Store.FindExposure(ctx, w.ID)
			}
		}
		if err != nil {
			return nil, err
		}
		scope = backstop.CampaignScope{SnapshotID: ex.SnapshotID}
		var regions []string
		for _, a := range w.Areas {
			regions = append(regions, a.Regions...)
		}
		c.Region, subject = backstop.CommonRegion(regions...), w.Headline
		if subject == "" {
			subject = w.Event
		}
	default:
		region, err := backstop.NormalizeRegionCode(in.Region)
		if err != nil {
			return nil, invalid("region", "地区代码有误："+in.Region, backstop.ErrorMessage(err))
		}
		for _, d := range []struct{ field, v string }{{"period_from", in.PeriodFrom}, {"period_to", in.PeriodTo}} {
			if d.v != "" {
				if _, err := workday.ParseDate(d.v); err != nil {
					return nil, invalid(d.field, "日期须为YYYY-MM-DD："+d.v, "a date is YYYY-MM-DD")
				}
			}
		}
		if in.PeriodFrom != "" && in.PeriodTo != "" && in.PeriodTo < in.PeriodFrom {
			return nil, invalid("period_to", "结束日期早于开始日期", "ends before it starts")
		}
		scope = backstop.CampaignScope{Regions: []string{region}}
		c.Region, c.PeriodFrom, c.PeriodTo = region, in.PeriodFrom, in.PeriodTo
		if r, err := s.Store.FindRegion(ctx, region, false); err == nil {
			subject = r.Name
		}
	}
	if u.Region != backstop.NationalScope && !backstop.CodeWithin(c.Region, u.Region) {
		// An event or warning wider than the user's region: the campaign
		// covers the part the user answers for.
		if !backstop.CodeWithin(u.Region, c.Region) {
			return nil, backstop.Localized(backstop.EFORBIDDEN, "排查范围不在您的管辖范围内", "The campaign's area is outside your region.")
		}
		c.Region = u.Region
	}
	visit, err := s.policy(ctx, backstop.PolicyMustVisit+string(kind), c.Region, now)
	if err != nil {
		return nil, err
	}
	check, err := s.policy(ctx, backstop.PolicyMustCheck+string(kind), c.Region, now)
	if err != nil {
		return nil, err
	}
	if c.Cohorts, err = visit.ListItems(); err != nil {
		return nil, err
	}
	if c.Checklist, err = check.ListItems(); err != nil {
		return nil, err
	}
	due, err := s.policy(ctx, backstop.PolicyVisitDue, c.Region, now)
	if err != nil {
		return nil, err
	}
	c.PolicyIDs = []int64{visit.ID, check.ID}
	limit := *due
	if in.DueWorkdays != 0 {
		if in.DueWorkdays < 1 || in.DueWorkdays > MaxDueWorkdays {
			return nil, invalid("due_workdays", fmt.Sprintf("走访时限须为1至%d个工作日", MaxDueWorkdays), fmt.Sprintf("must be 1 to %d working days", MaxDueWorkdays))
		}
		limit.Value, limit.ID = float64(in.DueWorkdays), 0
	} else {
		c.PolicyIDs = append(c.PolicyIDs, due.ID)
	}
	clk, err := s.Clocks.New(ctx, backstop.ClockCampaign, "", c.Region, now, &limit)
	if err != nil {
		return nil, err
	}
	c.DueWorkdays, c.Due, c.DueDate, c.Provisional = int(limit.Value), clk.Due, clk.DueDate, clk.Provisional
	links, err := s.policy(ctx, backstop.PolicyLinkValidHours, c.Region, now)
	if err != nil {
		return nil, err
	}
	c.LinksExpire = c.Due.Add(time.Duration(links.Value * float64(time.Hour)))
	if c.Title == "" {
		c.Title = subject + campaignKindZH[kind]
	}
	if c.Title, err = runes("title", "排查名称", c.Title, 1, 100); err != nil {
		return nil, err
	}
	if err := s.Store.CreateCampaign(ctx, c, scope, clk); err != nil {
		return nil, err
	}
	s.tellAssignees(ctx, c)
	return c, nil
}

var campaignKindZH = map[backstop.CampaignKind]string{backstop.CampaignPostDisaster: "灾后排查", backstop.CampaignPreSeason: "灾前排查", backstop.CampaignFireHazard: "搬迁高楼火灾隐患排查"}

// tellAssignees sends each helper and cadre one SMS with their link.
func (s *Service) tellAssignees(ctx context.Context, c *backstop.Campaign) {
	if s.LinkBase == "" || c.Visits == 0 {
		return
	}
	as, err := s.Store.CampaignAssignees(ctx, c.ID)
	if err != nil {
		s.logger().Error("campaign assignees", "campaign", c.ID, "err", err)
		return
	}
	var ms []*backstop.Message
	for _, a := range as {
		ms = append(ms, &backstop.Message{Channel: backstop.ChannelSMS, Audience: backstop.AudienceHelpers, Address: a.Phone, Name: a.Name, VillageCode: a.Village, NextAt: s.now()})
	}
	text := fmt.Sprintf("【排查走访】您有入户排查任务（%s），请于%s前逐户走访并填写必查清单：%s/c/%s",
		c.Title, c.Due.Add(-time.Second).In(backstop.Beijing).Format("01-02"), strings.TrimRight(s.LinkBase, "/"), backstop.LinkPlaceholder)
	s.notify(ctx, c.StreamID, backstop.ChannelSMS, text, ms)
}

// Campaign returns a campaign with its progress in the user's region.
func (s *Service) Campaign(ctx context.Context, id int64) (*backstop.Campaign, *backstop.CampaignProgress, error) {
	if _, err := backstop.Authorize(ctx, backstop.PermReadRegistry); err != nil {
		return nil, nil, err
	}
	c, err := s.Store.FindCampaign(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	p, err := s.Store.CampaignProgress(ctx, id, s.now())
	return c, p, err
}

// Campaigns lists campaigns in the user's region.
func (s *Service) Campaigns(ctx context.Context, f backstop.CampaignFilter) ([]*backstop.Campaign, int, error) {
	if _, err := backstop.Authorize(ctx, backstop.PermReadRegistry); err != nil {
		return nil, 0, err
	}
	return s.Store.FindCampaigns(ctx, f)
}

// Visits pages a campaign's visits in the user's region (phones masked).
func (s *Service) Visits(ctx context.Context, id int64, f backstop.TaskFilter) ([]*backstop.FieldTask, int, error) {
	if _, err := backstop.Authorize(ctx, backstop.PermReadRegistry); err != nil {
		return nil, 0, err
	}
	c, err := s.Store.FindCampaign(ctx, id)
	if err != nil {
		return nil, 0, err
	}
	f.StreamID, f.Kind = c.StreamID, backstop.TaskVisit
	ts, total, err := s.Store.FindTasks(ctx, f)
	for _, t := range ts {
		t.Phone, t.AssigneePhone = backstop.MaskPhone(t.Phone), backstop.MaskPhone(t.AssigneePhone)
	}
	return ts, total, err
}

// FinishVisit records a visit's outcome without a loss report (not at
// home, or visited and nothing found); by names a link's holder.
func (s *Service) FinishVisit(ctx context.Context, taskID int64, outcome, note, by string) (*backstop.FieldTask, error) {
	u, err := backstop.Authorize(ctx, backstop.PermReportLoss)
	if err != nil {
		return nil, err
	}
	t, err := s.Store.FinishVisit(ctx, taskID, outcome, note, 0, by)
	err = backstop.NotInRegion(u, err, fmt.Sprintf("走访任务%d", taskID), fmt.Sprintf("visit %d", taskID))
	if err == nil {
		t.Phone, t.AssigneePhone = backstop.MaskPhone(t.Phone), backstop.MaskPhone(t.AssigneePhone)
	}
	return t, err
}
