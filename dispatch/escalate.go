package dispatch

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/channel"
)

// messageWriter writes messages to a stream: the outbox itself, or a clock
// run's writer inside the transaction that finishes the run.
type messageWriter interface {
	AddMessages(ctx context.Context, streamID int64, channel, text string, ms []*backstop.Message, dedupe bool) (batch, written int, err error)
}

// dutyGroups are the 企业微信 groups of a release: the city's robot and
// the groups of the release's villages and the regions above them.
func (s *Service) dutyGroups(ctx context.Context, villages []string) ([]*backstop.Message, error) {
	if _, ok := s.Senders[backstop.ChannelWeCom]; !ok {
		return nil, nil
	}
	out := []*backstop.Message{{Channel: backstop.ChannelWeCom, Audience: backstop.AudienceOfficers, Address: channel.DefaultRobot, NextAt: s.now()}}
	cs, err := s.Store.ContactsFor(ctx, villages)
	if err != nil {
		return nil, err
	}
	for _, c := range cs {
		if c.Kind == backstop.ContactWeComGroup {
			out = append(out, &backstop.Message{Channel: backstop.ChannelWeCom, Audience: backstop.AudienceOfficers, Address: c.Address, Name: c.Name, VillageCode: c.Region, NextAt: s.now()})
		}
	}
	return out, nil
}

// dutyGroupPost is an update for a release's duty groups, ready to write.
type dutyGroupPost struct {
	release *backstop.Release
	text    string
	ms      []*backstop.Message
}

// dutyGroupUpdate prepares a release's update to its duty groups; st are
// the release's figures (their villages name the groups). Nil when no
// group is configured.
func (s *Service) dutyGroupUpdate(ctx context.Context, r *backstop.Release, st *backstop.ReleaseStats, text string) (*dutyGroupPost, error) {
	villages := make([]string, len(st.Villages))
	for i, v := range st.Villages {
		villages[i] = v.Code
	}
	ms, err := s.dutyGroups(ctx, villages)
	if err != nil || len(ms) == 0 {
		return nil, err
	}
	if r.Test {
		text = "【测试】" + text
		for _, m := range ms {
			m.Status = backstop.MessageSimulated
		}
	}
	return &dutyGroupPost{release: r, text: text, ms: ms}, nil
}

// write adds the post to the release's stream and returns the batch to
// kick (0 for a test release, which sends nothing).
func (p *dutyGroupPost) write(ctx context.Context, w messageWriter) (int, error) {
	batch, _, err := w.AddMessages(ctx, p.release.StreamID, backstop.ChannelWeCom, p.text, p.ms, false)
	if err != nil || p.release.Test {
		return 0, err
	}
	return batch, nil
}

// WarningSuperseded tells the duty groups of every release of a warning
// that it was updated or cancelled.
func (s *Service) WarningSuperseded(ctx context.Context, old int64, w *backstop.Warning) {
	s.defaults()
	ctx = backstop.NewContextWithUser(context.WithoutCancel(ctx), backstop.SystemUser("dispatch"))
	rels, err := s.Store.FindReleases(ctx, old)
	if err != nil {
		s.logger().Error("warning update: releases", "warning", old, "err", err)
		return
	}
	what := "已更新"
	if w.MsgType == "Cancel" {
		what = "已解除"
	}
	headline := w.Headline
	if headline == "" {
		headline = w.Event
	}
	for _, r := range rels {
		text := fmt.Sprintf("**预警%s**\n第%d次定向发布所依据的预警%s：%s（预警%d → %d）。", what, r.ID, what, headline, old, w.ID)
		if w.MsgType != "Cancel" {
			text += "如需向群众发布更新内容，请在平台上对新预警发起定向发布。"
		}
		st, err := s.Store.ReleaseStats(ctx, r.ID)
		var post *dutyGroupPost
		if err == nil {
			post, err = s.dutyGroupUpdate(ctx, r, st, text)
		}
		if err == nil && post != nil {
			var batch int
			if batch, err = post.write(ctx, s.Store); batch != 0 {
				s.kickBatch(ctx, r.StreamID, batch)
			}
		}
		if err != nil {
			s.logger().Error("warning update: duty groups", "release", r.ID, "err", err)
		}
	}
}

// ConfirmDeadline is the handler of a release's confirmation clock
// (backstop.ClockReleaseConfirm): at the deadline it tells the townships'
// duty officers and groups of the key-group persons still unconfirmed
// (stage 0), and a policy's minutes later the counties of those still
// unconfirmed then (stage 1). A release with everyone confirmed meets its
// clock. All that a run writes commits with the clock's next stage.
func (s *Service) ConfirmDeadline(ctx context.Context, c *backstop.Clock) (*backstop.ClockRun, error) {
	s.defaults()
	ctx = backstop.NewContextWithUser(ctx, backstop.SystemUser("escalation"))
	id, err := strconv.ParseInt(strings.TrimPrefix(c.Subject, "release:"), 10, 64)
	if err != nil {
		return nil, fmt.Errorf("clock %d: subject %q is not a release", c.ID, c.Subject)
	}
	r, err := s.Store.FindRelease(ctx, id)
	if err != nil {
		return nil, err
	}
	if c.Stage >= 2 {
		return &backstop.ClockRun{}, nil
	}
	level := c.Stage + 1
	tasks, err := s.Store.OpenTasks(ctx, r.StreamID, c.Stage)
	if err != nil {
		return nil, err
	}
	if len(tasks) == 0 {
		return &backstop.ClockRun{State: backstop.ClockMet}, nil
	}
	now := s.now()
	run := &backstop.ClockRun{}
	if level == 1 {
		county, err := s.Store.PolicyAt(ctx, backstop.PolicyEscalateCountyMinutes, c.Region, now)
		if err != nil {
			return nil, policyMissing(err, backstop.PolicyEscalateCountyMinutes)
		}
		next := now.Add(time.Duration(county.Value * float64(time.Minute)))
		run.Next = &next
	}
	var posts []*dutyGroupPost
	if level == 1 {
		// The first escalation: the duty groups get where the
		// confirmations stand.
		st, err := s.Store.ReleaseStats(ctx, r.ID)
		if err != nil {
			return nil, err
		}
		text := fmt.Sprintf("**定向发布确认情况（截至%s）**\n第%d次发布：重点人群%d人，已确认%d人，无法联系%d人，逾期未确认%d人，已通报所在乡镇。",
			now.In(backstop.Beijing).Format("01-02 15:04"), r.ID, st.Tasks.Total, st.Tasks.Confirmed, st.Tasks.Unreachable, st.Tasks.Open)
		post, err := s.dutyGroupUpdate(ctx, r, st, text)
		if err != nil {
			return nil, err
		}
		if post != nil {
			posts = append(posts, post)
		}
	}
	officers, err := s.escalationMessages(ctx, r, tasks, level)
	if err != nil {
		return nil, err
	}
	ids := make([]int64, len(tasks))
	for i, t := range tasks {
		ids[i] = t.ID
	}
	// The batches written are found by the dispatch sweep once the run
	// commits (the clock engine asks for one at once).
	run.Writes = func(ctx context.Context, w backstop.ClockWriter) error {
		for _, p := range posts {
			if _, err := p.write(ctx, w); err != nil {
				return err
			}
		}
		for _, o := range officers {
			if _, _, err := w.AddMessages(ctx, r.StreamID, o.channel, o.text, o.ms, false); err != nil {
				return err
			}
		}
		return w.MarkTasksEscalated(ctx, r.StreamID, ids, level, now)
	}
	s.logger().Info("escalating unconfirmed key-group persons", "release", r.ID, "level", level, "persons", len(tasks))
	return run, nil
}

// officerMessages are a region's escalation messages on one channel.
type officerMessages struct {
	channel, text string
	ms            []*backstop.Message
}

// escalationMessages groups overdue tasks by township (level 1) or county
// (level 2) and messages that region's duty officers and group.
func (s *Service) escalationMessages(ctx context.Context, r *backstop.Release, tasks []*backstop.FieldTask, level int) ([]officerMessages, error) {
	groups := map[string][]*backstop.FieldTask{}
	var order []string
	for _, t := range tasks {
		region := t.VillageCode[:9] + "000"
		if level == 2 {
			region = t.VillageCode[:6] + "000000"
		}
		if groups[region] == nil {
			order = append(order, region)
		}
		groups[region] = append(groups[region], t)
	}
	w, err := s.Store.FindWarning(ctx, r.WarningID)
	if err != nil {
		return nil, err
	}
	hazard := w.Event
	if h, ok := backstop.HazardOf(w.Hazard); ok {
		hazard = h.ZH
	}
	var out []officerMessages
	for _, region := range order {
		ts := groups[region]
		name := region
		if reg, err := s.Store.FindRegion(ctx, region, false); err == nil {
			name = reg.Name
		}
		var villages []string
		for _, t := range ts {
			if v := t.Village; v != "" && !slices.Contains(villages, v) {
				villages = append(villages, v)
			}
		}
		if len(villages) > 5 {
			villages = append(villages[:5], "等")
		}
		text := fmt.Sprintf("【督办】%s：%d名重点人群未在%s前确认收到%s%s预警（%s），请立即督促包户干部电话或上门落实。",
			name, len(ts), r.Deadline.In(backstop.Beijing).Format("01-02 15:04"), hazard, backstop.LevelText(w.Level), strings.Join(villages, "、"))
		if r.Test {
			text = "【测试】" + text
		}
		contacts, err := s.Store.ContactsFor(ctx, []string{region})
		if err != nil {
			return nil, err
		}
		byChannel := map[string][]*backstop.Message{}
		var channels []string
		for _, c := range contacts {
			if c.Region != region {
				continue
			}
			add := func(ch, address string) {
				if address == "" {
					return
				}
				m := &backstop.Message{Channel: ch, Audience: backstop.AudienceOfficers, Address: address, Name: c.Name, VillageCode: region, NextAt: s.now()}
				if r.Test {
					m.Status = backstop.MessageSimulated
				}
				if byChannel[ch] == nil {
					channels = append(channels, ch)
				}
				byChannel[ch] = append(byChannel[ch], m)
			}
			switch c.Kind {
			case backstop.ContactDutyOfficer:
				add(backstop.ChannelSMS, c.Phone)
				add(backstop.ChannelEmail, c.Email)
			case backstop.ContactWeComGroup:
				add(backstop.ChannelWeCom, c.Address)
			}
		}
		for _, ch := range channels {
			out = append(out, officerMessages{channel: ch, text: text, ms: byChannel[ch]})
		}
	}
	return out, nil
}
