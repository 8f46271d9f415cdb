package cases

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/zhangye-backstop/backstop"
)

// EscalationStore is what an escalation reads: the policy of the county's
// stage, the duty officers, the village's name.
type EscalationStore interface {
	PolicyAt(ctx context.Context, key, region string, date time.Time) (*backstop.Policy, error)
	ContactsFor(ctx context.Context, regions []string) ([]*backstop.Contact, error)
	FindRegion(ctx context.Context, code string, boundary bool) (*backstop.Region, error)
}

// OverdueWork is an overdue deadline of a household as its escalation
// names it: 【监测帮扶督办】<village><head>户（户编号<household>）的<What>已超过
// <Limit>（<last day>前），请<level>督促尽快<Action>。
type OverdueWork struct {
	Village   string // the household's 12-digit village
	HeadName  string
	Household string // the household's number
	What      string // e.g. 监测帮扶案件“入户核实”
	Limit     string // e.g. 时限, 民政答复时限
	Action    string // e.g. 办理, 答复
	// Stream is where the messages go out; 0 sends nothing.
	Stream int64
}

// Escalator escalates the overdue deadlines of households, the same way
// for a case's steps and debts and for the assistance plan's referrals
// and water repairs: at the due time (stage 0) the township's duty
// officers are told and the clock is called again after the policy's
// working days (backstop.PolicyCaseEscalateCounty, read for the village:
// a missing version is an error naming it); then (stage 1) the county's;
// after that nothing more. The messages are the run's Writes, so they
// commit with the clock's next stage: a process killed mid-run writes
// nothing, and the clock fires again.
type Escalator struct {
	Store  EscalationStore
	Clocks Clocks
	Now    func() time.Time
	Logger *slog.Logger
}

// Escalate decides a run of clk, overdue about w.
func (e *Escalator) Escalate(ctx context.Context, clk *backstop.Clock, w OverdueWork) (*backstop.ClockRun, error) {
	if clk.Stage >= 2 {
		return &backstop.ClockRun{}, nil
	}
	if len(w.Village) != 12 {
		return nil, fmt.Errorf("clock %d: %q is not a village code", clk.ID, w.Village)
	}
	now := time.Now()
	if e.Now != nil {
		now = e.Now()
	}
	region, level := w.Village[:9]+"000", "乡镇"
	run := &backstop.ClockRun{}
	if clk.Stage == 1 {
		region, level = w.Village[:6]+"000000", "县区"
	} else {
		p, err := e.Store.PolicyAt(ctx, backstop.PolicyCaseEscalateCounty, w.Village, now)
		if err != nil {
			return nil, missingPolicy(err, backstop.PolicyCaseEscalateCounty, w.Village)
		}
		next, _, _, err := e.Clocks.Due(ctx, now, p.Value, backstop.UnitWorkdays)
		if err != nil {
			return nil, err
		}
		run.Next = &next
	}
	name := w.Village
	if r, err := e.Store.FindRegion(ctx, w.Village, false); err == nil {
		name = r.Name
	}
	// The last guard: the parts quote what people typed (a repair's
	// problem, its assignee), and no phone or ID number goes out by SMS.
	text := backstop.MaskPersonalNumbers(fmt.Sprintf("【监测帮扶督办】%s%s户（户编号%s）的%s已超过%s（%s前），请%s督促尽快%s。",
		name, w.HeadName, w.Household, w.What, w.Limit, clk.Due.Add(-time.Second).In(backstop.Beijing).Format("1月2日"), level, w.Action))
	cs, err := e.Store.ContactsFor(ctx, []string{region})
	if err != nil {
		return nil, err
	}
	var ms []*backstop.Message
	for _, ct := range cs {
		if ct.Kind == backstop.ContactDutyOfficer && ct.Phone != "" && ct.Region == region {
			ms = append(ms, &backstop.Message{Channel: backstop.ChannelSMS, Audience: backstop.AudienceOfficers, Address: ct.Phone, Name: ct.Name, VillageCode: region, NextAt: now})
		}
	}
	logger := e.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	logger.Info("overdue: escalated", "clock", clk.ID, "kind", clk.Kind, "subject", clk.Subject, "level", level, "officers", len(ms), "stream", w.Stream)
	if len(ms) > 0 && w.Stream != 0 {
		stream := w.Stream
		run.Writes = func(ctx context.Context, cw backstop.ClockWriter) error {
			_, _, err := cw.AddMessages(ctx, stream, backstop.ChannelSMS, text, ms, false)
			return err
		}
	}
	return run, nil
}

// Overdue is the handler of a case's step and debt clocks
// (backstop.ClockCaseStep, backstop.ClockCaseDebt), escalated by
// Escalator; a step done or a debt paid since meets the clock.
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
	e := &Escalator{Store: s.Store, Clocks: s.Clocks, Now: s.now, Logger: s.logger()}
	return e.Escalate(ctx, clk, OverdueWork{Village: c.Village, HeadName: c.HeadName, Household: c.Household,
		What: "监测帮扶案件" + what, Limit: "时限", Action: "办理", Stream: c.StreamID})
}
