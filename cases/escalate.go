package cases

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/zhangye-backstop/backstop"
)

// Overdue is the handler of a case's step and debt clocks
// (backstop.ClockCaseStep, backstop.ClockCaseDebt): at the due time the
// township's duty officers are told (stage 1), and after the policy's
// working days the county's (stage 2); a step done or a debt paid since
// meets the clock. The messages are written with the clock's next stage
// in one transaction: a process killed mid-run writes nothing, and the
// clock fires again.
func (s *Service) Overdue(ctx context.Context, clk *backstop.Clock) (*backstop.ClockRun, error) {
	ctx = backstop.NewContextWithUser(ctx, backstop.SystemUser("cases"))
	parts := strings.Split(clk.Subject, ":")
	if len(parts) < 3 || parts[0] != "case" {
		return nil, fmt.Errorf("clock %d: subject %q is not a case's", clk.ID, clk.Subject)
	}
	id, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil {
		return nil, fmt.Errorf("clock %d: subject %q is not a case's", clk.ID, clk.Subject)
	}
	c, err := s.Store.FindCase(ctx, id)
	if err != nil {
		return nil, err
	}
	what := ""
	switch clk.Kind {
	case backstop.ClockCaseDebt:
		step := parts[len(parts)-1]
		debts, err := s.Store.CaseDebts(ctx, id, s.now())
		if err != nil {
			return nil, err
		}
		open := false
		for _, d := range debts {
			if d.Step == step && d.PaidAt == nil {
				open, what = true, "待补程序“"+d.ZH+"”"
			}
		}
		if !open {
			return &backstop.ClockRun{State: backstop.ClockMet}, nil
		}
	default:
		st, _, ok := c.NextStep()
		if !ok || st.Code != parts[len(parts)-1] {
			return &backstop.ClockRun{State: backstop.ClockMet}, nil
		}
		what = "“" + st.ZH + "”"
	}
	if clk.Stage >= 2 {
		return &backstop.ClockRun{}, nil
	}
	region, level := c.Village[:9]+"000", "乡镇"
	run := &backstop.ClockRun{}
	if clk.Stage == 1 {
		region, level = c.Village[:6]+"000000", "县区"
	} else {
		p, err := s.number(ctx, backstop.PolicyCaseEscalateCounty, c.Village)
		if err != nil {
			return nil, err
		}
		next, _, _, err := s.Clocks.Due(ctx, s.now(), p.Value, backstop.UnitWorkdays)
		if err != nil {
			return nil, err
		}
		run.Next = &next
	}
	name := c.Village
	if r, err := s.Store.FindRegion(ctx, c.Village, false); err == nil {
		name = r.Name
	}
	text := fmt.Sprintf("【监测帮扶督办】%s%s户（户编号%s）的监测帮扶案件%s已超过时限（%s前），请%s督促尽快办理。", name, c.HeadName, c.Household, what,
		clk.Due.Add(-time.Second).In(backstop.Beijing).Format("1月2日"), level)
	cs, err := s.Store.ContactsFor(ctx, []string{region})
	if err != nil {
		return nil, err
	}
	var ms []*backstop.Message
	for _, ct := range cs {
		if ct.Kind == backstop.ContactDutyOfficer && ct.Phone != "" && ct.Region == region {
			ms = append(ms, &backstop.Message{Channel: backstop.ChannelSMS, Audience: backstop.AudienceOfficers, Address: ct.Phone, Name: ct.Name, VillageCode: region, NextAt: s.now()})
		}
	}
	s.logger().Info("case overdue: escalated", "case", id, "clock", clk.ID, "kind", clk.Kind, "level", level, "officers", len(ms))
	if len(ms) > 0 && c.StreamID != 0 {
		stream := c.StreamID
		run.Writes = func(ctx context.Context, w backstop.ClockWriter) error {
			_, _, err := w.AddMessages(ctx, stream, backstop.ChannelSMS, text, ms, false)
			return err
		}
	}
	return run, nil
}
