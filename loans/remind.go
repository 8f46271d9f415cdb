package loans

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/zhangye-backstop/backstop"
)

// The clocks of a loan fire in the clock engine (durable, one process per
// run, no in-process ticker): their messages go to the household's helper
// through the loan's outbox stream, in the transaction that finishes the
// run, so that a killed process neither loses nor doubles one.

func (s *Service) clockLoan(ctx context.Context, c *backstop.Clock) (context.Context, *backstop.Loan, *backstop.Household, error) {
	ctx = backstop.NewContextWithUser(ctx, backstop.SystemUser("loan-reminders"))
	id, err := strconv.ParseInt(strings.TrimPrefix(c.Subject, "loan:"), 10, 64)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("clock %d: subject %q is not a loan", c.ID, c.Subject)
	}
	l, err := s.Store.FindLoan(ctx, id)
	if err != nil {
		return nil, nil, nil, err
	}
	h, err := s.Store.FindHousehold(ctx, l.Household)
	if err != nil {
		return nil, nil, nil, err
	}
	return ctx, l, h, nil
}

// toHelper is the SMS to the household's helper, none without a phone.
func (s *Service) toHelper(l *backstop.Loan, h *backstop.Household, text string) func(ctx context.Context, w backstop.ClockWriter) error {
	if h.HelperPhone == "" {
		s.logger().Warn("loan reminder: the household has no helper phone", "loan", l.ID, "household", h.Number)
		return nil
	}
	m := &backstop.Message{Channel: backstop.ChannelSMS, Audience: backstop.AudienceHelpers, Address: h.HelperPhone, Name: h.HelperName, HouseholdID: h.ID,
		VillageCode: h.VillageCode, NextAt: s.now()}
	stream := l.StreamID
	return func(ctx context.Context, w backstop.ClockWriter) error {
		_, _, err := w.AddMessages(ctx, stream, backstop.ChannelSMS, text, []*backstop.Message{m}, false)
		return err
	}
}

// PapersDue is the handler of a loan's missing papers: a reminder to the
// helper before the due day, the overdue notice after it (the clock then
// stays running, overdue, until the last paper is filled).
func (s *Service) PapersDue(ctx context.Context, c *backstop.Clock) (*backstop.ClockRun, error) {
	ctx, l, h, err := s.clockLoan(ctx, c)
	if err != nil {
		return nil, err
	}
	var open []string
	for _, p := range l.Papers {
		if p.FilledOn == "" {
			open = append(open, p.Name)
		}
	}
	if len(open) == 0 {
		return &backstop.ClockRun{State: backstop.ClockMet}, nil
	}
	run := &backstop.ClockRun{}
	var text string
	if s.now().Before(c.Due) {
		text = fmt.Sprintf("【小额信贷】%s户（%s）容缺办理的材料（%s）须于%s前补齐，请督促办理。", h.HeadName, h.Number, strings.Join(open, "、"), c.DueDate)
		due := c.Due
		run.Next = &due
	} else {
		text = fmt.Sprintf("【小额信贷】%s户（%s）容缺办理的材料（%s）已超过补齐期限%s，请尽快补齐。", h.HeadName, h.Number, strings.Join(open, "、"), c.DueDate)
	}
	run.Writes = s.toHelper(l, h, text)
	return run, nil
}

// InstalmentDue is the handler of a loan's instalments: the reminder
// before the next one, then the clock waits for the one after; a loan no
// longer granted stops it.
func (s *Service) InstalmentDue(ctx context.Context, c *backstop.Clock) (*backstop.ClockRun, error) {
	ctx, l, h, err := s.clockLoan(ctx, c)
	if err != nil {
		return nil, err
	}
	if l.Stored != backstop.LoanGranted {
		return &backstop.ClockRun{State: backstop.ClockCancelled}, nil
	}
	granted, _ := parseDay(l.GrantedOn)
	due, _ := parseDay(l.Due)
	every, err := s.policy(ctx, backstop.PolicyLoanInstalmentMonths, l.Village, granted)
	if err != nil {
		return nil, err
	}
	days, err := s.policy(ctx, backstop.PolicyLoanReminderDays, l.Village, granted)
	if err != nil {
		return nil, err
	}
	now := s.now()
	next := nextInstalment(granted, due, int(every.Value), now)
	if next.IsZero() {
		return &backstop.ClockRun{}, nil // past due: the loan shows overdue
	}
	what := "付息"
	if !next.Before(due) {
		what = "还本付息（到期）"
	}
	text := fmt.Sprintf("【小额信贷】%s户（%s）在%s的小额信贷%.0f元将于%s%s，请提醒按时还款。", h.HeadName, h.Number, l.Bank, l.Amount, next.Format(time.DateOnly), what)
	run := &backstop.ClockRun{Writes: s.toHelper(l, h, text)}
	if after := nextInstalment(granted, due, int(every.Value), next.AddDate(0, 0, 1)); !after.IsZero() {
		fire := after.AddDate(0, 0, -int(days.Value)).Add(9 * time.Hour)
		run.Next = &fire
	}
	return run, nil
}
