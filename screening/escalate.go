package screening

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/zhangye-backstop/backstop"
)

// subjectID reads the id of a clock's subject "kind:id".
func subjectID(c *backstop.Clock, prefix string) (int64, error) {
	id, err := strconv.ParseInt(strings.TrimPrefix(c.Subject, prefix+":"), 10, 64)
	if err != nil || !strings.HasPrefix(c.Subject, prefix+":") {
		return 0, fmt.Errorf("clock %d: subject %q is not a %s", c.ID, c.Subject, prefix)
	}
	return id, nil
}

// officers are the messages to a region's duty officers and duty group.
func (s *Service) officers(ctx context.Context, region string) (map[string][]*backstop.Message, error) {
	cs, err := s.Store.ContactsFor(ctx, []string{region})
	if err != nil {
		return nil, err
	}
	out := map[string][]*backstop.Message{}
	for _, c := range cs {
		if c.Region != region {
			continue
		}
		add := func(ch, address string) {
			if address != "" {
				out[ch] = append(out[ch], &backstop.Message{Channel: ch, Audience: backstop.AudienceOfficers, Address: address, Name: c.Name, VillageCode: region, NextAt: s.now()})
			}
		}
		switch c.Kind {
		case backstop.ContactDutyOfficer:
			add(backstop.ChannelSMS, c.Phone)
			add(backstop.ChannelEmail, c.Email)
		case backstop.ContactWeComGroup:
			add(backstop.ChannelWeCom, c.Address)
		}
	}
	return out, nil
}

// VisitsDue is the handler of a campaign's clock (backstop.ClockCampaign):
// at the due time the visits still open are escalated to their townships'
// duty officers and groups, through the campaign's stream; a campaign with
// every visit done meets its clock.
func (s *Service) VisitsDue(ctx context.Context, c *backstop.Clock) (*backstop.ClockRun, error) {
	ctx = backstop.NewContextWithUser(ctx, backstop.SystemUser("escalation"))
	id, err := subjectID(c, "campaign")
	if err != nil {
		return nil, err
	}
	if c.Stage >= 1 {
		return &backstop.ClockRun{}, nil
	}
	camp, err := s.Store.FindCampaign(ctx, id)
	if err != nil {
		return nil, err
	}
	tasks, err := s.Store.OpenTasks(ctx, camp.StreamID, 0)
	if err != nil {
		return nil, err
	}
	if len(tasks) == 0 {
		return &backstop.ClockRun{State: backstop.ClockMet}, nil
	}
	byTown := map[string][]*backstop.FieldTask{}
	var towns []string
	for _, t := range tasks {
		town := t.VillageCode[:9] + "000"
		if byTown[town] == nil {
			towns = append(towns, town)
		}
		byTown[town] = append(byTown[town], t)
	}
	type post struct {
		channel, text string
		ms            []*backstop.Message
	}
	var posts []post
	for _, town := range towns {
		ts := byTown[town]
		name := town
		if r, err := s.Store.FindRegion(ctx, town, false); err == nil {
			name = r.Name
		}
		var villages []string
		for _, t := range ts {
			if t.Village != "" && !slices.Contains(villages, t.Village) {
				villages = append(villages, t.Village)
			}
		}
		if len(villages) > 5 {
			villages = append(villages[:5], "等")
		}
		text := fmt.Sprintf("【督办】%s：“%s”有%d户未在%s前完成入户排查（%s），请督促包户干部尽快走访。",
			name, camp.Title, len(ts), c.Due.Add(-time.Second).In(backstop.Beijing).Format("01-02"), strings.Join(villages, "、"))
		byChannel, err := s.officers(ctx, town)
		if err != nil {
			return nil, err
		}
		for _, ch := range []string{backstop.ChannelSMS, backstop.ChannelWeCom, backstop.ChannelEmail} {
			if len(byChannel[ch]) > 0 {
				posts = append(posts, post{ch, text, byChannel[ch]})
			}
		}
	}
	ids := make([]int64, len(tasks))
	for i, t := range tasks {
		ids[i] = t.ID
	}
	now := s.now()
	s.logger().Info("escalating overdue visits", "campaign", id, "visits", len(tasks), "townships", len(towns))
	return &backstop.ClockRun{Writes: func(ctx context.Context, w backstop.ClockWriter) error {
		for _, p := range posts {
			if _, _, err := w.AddMessages(ctx, camp.StreamID, p.channel, p.text, p.ms, false); err != nil {
				return err
			}
		}
		return w.MarkTasksEscalated(ctx, camp.StreamID, ids, 1, now)
	}}, nil
}

// IntakeDue is the handler of an intake item's clocks: a step past due is
// escalated to the township of its village through the item's stream.
// A step done in time stopped its clock, which then never fires.
func (s *Service) IntakeDue(ctx context.Context, c *backstop.Clock) (*backstop.ClockRun, error) {
	ctx = backstop.NewContextWithUser(ctx, backstop.SystemUser("escalation"))
	id, err := subjectID(c, "intake")
	if err != nil {
		return nil, err
	}
	if c.Stage >= 1 {
		return &backstop.ClockRun{}, nil
	}
	it, err := s.Store.FindIntake(ctx, id)
	if err != nil {
		return nil, err
	}
	if !it.Open() && c.Kind != backstop.ClockIntakeAnswer {
		return &backstop.ClockRun{State: backstop.ClockCancelled}, nil
	}
	step := map[string]string{backstop.ClockIntakeCheck: "村级核实", backstop.ClockIntakeAnswer: "答复报告人", backstop.ClockIntakeReview: "审核认定"}[c.Kind]
	town := it.VillageCode[:9] + "000"
	name := town
	if r, err := s.Store.FindRegion(ctx, town, false); err == nil {
		name = r.Name
	}
	text := fmt.Sprintf("【督办】%s：%s村的%s（编号%s）“%s”已超过时限（%s），请督促办理。", name, it.Village, describe(it), it.Code, step, c.DueDate)
	byChannel, err := s.officers(ctx, town)
	if err != nil {
		return nil, err
	}
	s.logger().Info("escalating an overdue intake step", "intake", id, "step", c.Kind)
	return &backstop.ClockRun{Writes: func(ctx context.Context, w backstop.ClockWriter) error {
		for _, ch := range []string{backstop.ChannelSMS, backstop.ChannelWeCom, backstop.ChannelEmail} {
			if len(byChannel[ch]) > 0 && it.StreamID != 0 {
				if _, _, err := w.AddMessages(ctx, it.StreamID, ch, text, byChannel[ch], false); err != nil {
					return err
				}
			}
		}
		return nil
	}}, nil
}

// ReportDue is the handler of an event's report clocks (初报, 核报): a late
// report stays overdue on the event page and in the clock lists (an event
// has no stream of its own to message through yet).
func (s *Service) ReportDue(ctx context.Context, c *backstop.Clock) (*backstop.ClockRun, error) {
	s.logger().Warn("disaster report overdue", "clock", c.Kind, "subject", c.Subject, "due", c.Due)
	return &backstop.ClockRun{}, nil
}
