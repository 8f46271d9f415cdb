package plans

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/zhangye-backstop/backstop"
)

// Remind is the handler of a plan's clock (backstop.ClockPlanDue): from
// the reminder date it tells the county's and the city's duty officers
// (SMS) and duty groups (企业微信) what the plan still lacks, every few
// days (the schedule's interval) until the plan is approved — then the
// clock is met — and, once it is late, that it is late, until the plan's
// year ends. The messages go to the plan's stream with the clock's next
// stage, in one transaction.
func (s *Service) Remind(ctx context.Context, c *backstop.Clock) (*backstop.ClockRun, error) {
	ctx = backstop.NewContextWithUser(ctx, backstop.SystemUser("plan-reminders"))
	id, err := strconv.ParseInt(strings.TrimPrefix(c.Subject, "plan:"), 10, 64)
	if err != nil {
		return nil, fmt.Errorf("clock %d: subject %q is not a plan", c.ID, c.Subject)
	}
	p, err := s.Store.FindPlan(ctx, id)
	if err != nil {
		return nil, err
	}
	if p.State == backstop.PlanApproved {
		return &backstop.ClockRun{State: backstop.ClockMet}, nil
	}
	sch, err := s.ScheduleOf(ctx, p.County, p.Year)
	if err != nil {
		return nil, err
	}
	now := s.now()
	text, err := s.reminderText(ctx, p, sch, now)
	if err != nil {
		return nil, err
	}
	sms, groups, err := s.recipients(ctx, p.County)
	if err != nil {
		return nil, err
	}
	run := &backstop.ClockRun{}
	if next := now.AddDate(0, 0, sch.Every); next.Before(time.Date(p.Year+1, 1, 1, 0, 0, 0, 0, backstop.Beijing)) {
		run.Next = &next
	}
	if len(sms)+len(groups) == 0 {
		s.logger().Warn("plan reminder: no duty officer or duty group of the county or city", "plan", p.ID, "county", p.County)
		return run, nil
	}
	stream := p.StreamID
	run.Writes = func(ctx context.Context, w backstop.ClockWriter) error {
		if _, _, err := w.AddMessages(ctx, stream, backstop.ChannelSMS, text, sms, false); err != nil {
			return err
		}
		_, _, err := w.AddMessages(ctx, stream, backstop.ChannelWeCom, text, groups, false)
		return err
	}
	return run, nil
}

// reminderText says what the plan lacks and by when.
func (s *Service) reminderText(ctx context.Context, p *backstop.Plan, sch *Schedule, now time.Time) (string, error) {
	county := p.County
	if r, err := s.Store.FindRegion(ctx, p.County, false); err == nil {
		county = r.Name
	}
	due := sch.Due.AddDate(0, 0, -1).Format("2006年1月2日")
	state := map[backstop.PlanState]string{backstop.PlanMissing: "尚未编制", backstop.PlanDraft: "草稿未报送", backstop.PlanSubmitted: "已报送待市级审批"}[p.State]
	var b strings.Builder
	if now.Before(sch.Due) {
		fmt.Fprintf(&b, "【预案提醒】%s%d年度防范因灾返贫预案须于%s前经市级审批，当前%s。", county, p.Year, due, state)
	} else {
		fmt.Fprintf(&b, "【预案逾期】%s%d年度防范因灾返贫预案已逾期（应于%s前完成），当前%s，请尽快办理。", county, p.Year, due, state)
	}
	if len(p.Missing) > 0 && p.State != backstop.PlanMissing {
		items, _, err := s.Checklist(ctx, p.County)
		if err != nil {
			return "", err
		}
		names := map[string]string{}
		for _, it := range items {
			names[it.Code] = it.ZH
		}
		var zh []string
		for _, m := range p.Missing {
			zh = append(zh, names[m])
		}
		fmt.Fprintf(&b, "尚缺：%s。", strings.Join(zh, "、"))
	}
	return b.String(), nil
}

// recipients are the duty officers with phones and the duty groups of the
// county and of the city above it.
func (s *Service) recipients(ctx context.Context, county string) (sms, groups []*backstop.Message, err error) {
	cs, err := s.Store.ContactsFor(ctx, []string{county})
	if err != nil {
		return nil, nil, err
	}
	city := backstop.ParentCodeOf(county)
	now := s.now()
	for _, c := range cs {
		if c.Region != county && c.Region != city {
			continue
		}
		switch {
		case c.Kind == backstop.ContactDutyOfficer && c.Phone != "":
			sms = append(sms, &backstop.Message{Channel: backstop.ChannelSMS, Audience: backstop.AudienceOfficers, Address: c.Phone, Name: c.Name, VillageCode: c.Region, NextAt: now})
		case c.Kind == backstop.ContactWeComGroup && c.Address != "":
			groups = append(groups, &backstop.Message{Channel: backstop.ChannelWeCom, Audience: backstop.AudienceOfficers, Address: c.Address, Name: c.Name, VillageCode: c.Region, NextAt: now})
		}
	}
	return sms, groups, nil
}
