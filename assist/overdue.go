package assist

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/cases"
)

// The assistance plan's deadlines escalate as a case's overdue step does
// (cases.Escalator): the township's duty officers at the due time, the
// county's after the policy's working days.

// escalator is the cases' escalation over this service's store.
func (s *Service) escalator() (*cases.Escalator, error) {
	es, ok := s.Store.(cases.EscalationStore)
	if !ok {
		return nil, backstop.Localized(backstop.EUNAVAILABLE, "未配置联系人存储", "No contact store is configured.")
	}
	if s.Clocks == nil {
		return nil, backstop.Localized(backstop.EUNAVAILABLE, "未配置计时服务", "No clock engine is configured.")
	}
	return &cases.Escalator{Store: es, Clocks: s.Clocks, Now: s.now, Logger: s.Logger}, nil
}

// subjectID reads the id of a clock's subject <prefix>:<id>.
func subjectID(clk *backstop.Clock, prefix string) (int64, error) {
	rest, ok := strings.CutPrefix(clk.Subject, prefix+":")
	id, err := strconv.ParseInt(rest, 10, 64)
	if !ok || err != nil {
		return 0, fmt.Errorf("clock %d: subject %q is not a %s", clk.ID, clk.Subject, prefix)
	}
	return id, nil
}

// ReferralOverdue is the referral clock's handler: civil affairs has not
// answered by the due time. An answer recorded since meets the clock
// (AnswerReferral stops it after the measure's write, so the measure is
// what counts); otherwise the escalation goes out in the case's stream.
func (s *Service) ReferralOverdue(ctx context.Context, clk *backstop.Clock) (*backstop.ClockRun, error) {
	ctx = backstop.NewContextWithUser(ctx, backstop.SystemUser("assist"))
	id, err := subjectID(clk, "measure")
	if err != nil {
		return nil, err
	}
	ps, err := s.planStore()
	if err != nil {
		return nil, err
	}
	m, err := ps.FindMeasure(ctx, id)
	if backstop.ErrorCode(err) == backstop.ENOTFOUND {
		return &backstop.ClockRun{State: backstop.ClockCancelled}, nil
	} else if err != nil {
		return nil, err
	}
	if m.Status != backstop.MeasurePlanned {
		return &backstop.ClockRun{State: backstop.ClockMet}, nil
	}
	c, err := ps.FindCase(ctx, m.CaseID)
	if err != nil {
		return nil, err
	}
	if !c.State.Open() {
		// Cleared or refused meanwhile: nobody is to chase the answer.
		return &backstop.ClockRun{State: backstop.ClockCancelled}, nil
	}
	e, err := s.escalator()
	if err != nil {
		return nil, err
	}
	return e.Escalate(ctx, clk, cases.OverdueWork{Village: c.Village, HeadName: c.HeadName, Household: c.Household,
		What: "低保/特困转介", Limit: "民政答复时限", Action: "答复", Stream: c.StreamID})
}

// RepairOverdue is the water repair clock's handler: the repair is not
// done by its due date. A repair finished since meets the clock;
// otherwise the escalation goes out in the repair's stream (its
// household's open case's when it was opened, else its own).
func (s *Service) RepairOverdue(ctx context.Context, clk *backstop.Clock) (*backstop.ClockRun, error) {
	ctx = backstop.NewContextWithUser(ctx, backstop.SystemUser("assist"))
	id, err := subjectID(clk, "water_repair")
	if err != nil {
		return nil, err
	}
	r, err := s.Store.FindWaterRepair(ctx, id)
	if backstop.ErrorCode(err) == backstop.ENOTFOUND {
		return &backstop.ClockRun{State: backstop.ClockCancelled}, nil
	} else if err != nil {
		return nil, err
	}
	if r.State != backstop.RepairOpen {
		return &backstop.ClockRun{State: backstop.ClockMet}, nil
	}
	e, err := s.escalator()
	if err != nil {
		return nil, err
	}
	// What people typed is masked and shortened as a quoted cell is.
	what := fmt.Sprintf("饮水设施维修任务（%s，负责人%s）", backstop.MaskCell(r.Problem), backstop.MaskCell(r.Assignee))
	return e.Escalate(ctx, clk, cases.OverdueWork{Village: r.VillageCode, HeadName: r.HeadName, Household: r.Household,
		What: what, Limit: "完成时限", Action: "修复", Stream: r.StreamID})
}
