// Package clock runs every deadline of backstop: it starts clocks from
// policy rows (working days on China's official calendar, calendar days,
// hours or minutes), claims the due ones so that exactly one process calls
// the handler registered for a clock's kind, applies what the handler
// decided in one transaction with the clock's next stage, and recounts
// provisional due dates when a calendar year is loaded.
package clock

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"math"
	"os"
	"sync"
	"time"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/workday"
)

// Handler decides what happens when a clock of its kind fires.
type Handler func(ctx context.Context, c *backstop.Clock) (*backstop.ClockRun, error)

// Calendar counts working days.
type Calendar interface {
	Add(ctx context.Context, d workday.Date, n int) (workday.Result, error)
}

// Store is what the engine needs of storage.
type Store interface {
	backstop.ClockService
}

// Engine starts and runs clocks.
type Engine struct {
	Store    Store
	Calendar Calendar
	Logger   *slog.Logger
	Now      func() time.Time
	// Owner names this process in claims.
	Owner string
	// Claim is how long a claim holds: a process killed while a handler
	// runs leaves a claim that runs out, and the clock fires again.
	Claim time.Duration
	// AfterRun is called after runs that committed, e.g. so that the
	// messages they wrote go out at once.
	AfterRun func(ctx context.Context)

	mu       sync.Mutex
	handlers map[string]Handler
}

func (e *Engine) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

func (e *Engine) logger() *slog.Logger {
	if e.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return e.Logger
}

// Register sets the handler of a clock kind; one per kind.
func (e *Engine) Register(kind string, h Handler) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.handlers == nil {
		e.handlers = map[string]Handler{}
	}
	if _, dup := e.handlers[kind]; dup {
		panic("clock kind registered twice: " + kind)
	}
	e.handlers[kind] = h
}

func (e *Engine) handler(kind string) Handler {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.handlers[kind]
}

func (e *Engine) owner() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.Owner == "" {
		host, _ := os.Hostname()
		var b [4]byte
		rand.Read(b[:])
		e.Owner = fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b[:]))
	}
	return e.Owner
}

// Due counts a limit from a start: the instant the clock becomes overdue,
// the last day (YYYY-MM-DD, Beijing) for limits in days, and whether the
// count went through a year whose calendar is not loaded. Limits in days
// end with the last day: overdue from the next day's 00:00 Beijing.
func (e *Engine) Due(ctx context.Context, start time.Time, limit float64, unit backstop.ClockUnit) (time.Time, string, bool, error) {
	switch unit {
	case backstop.UnitMinutes:
		return start.Add(time.Duration(limit * float64(time.Minute))), "", false, nil
	case backstop.UnitHours:
		return start.Add(time.Duration(limit * float64(time.Hour))), "", false, nil
	}
	if limit < 0 || limit != math.Trunc(limit) {
		return time.Time{}, "", false, backstop.Localized(backstop.EINVALID, "以天计的时限须为非负整数，不能是%g", "A limit in days must be a whole number of 0 or more, not %g.", limit)
	}
	from := workday.DateOf(start)
	var last workday.Date
	provisional := false
	switch unit {
	case backstop.UnitDays:
		last = from.AddDays(int(limit))
	case backstop.UnitWorkdays:
		if e.Calendar == nil {
			return time.Time{}, "", false, backstop.Localized(backstop.EUNAVAILABLE, "尚未导入工作日历，请管理员导入", "No working-day calendar is loaded.")
		}
		r, err := e.Calendar.Add(ctx, from, int(limit))
		if err != nil {
			return time.Time{}, "", false, err
		}
		last, provisional = r.Date, r.Provisional
	default:
		return time.Time{}, "", false, backstop.Localized(backstop.EINVALID, "计时单位%q无法识别", "Unknown clock unit %q.", unit)
	}
	return last.AddDays(1).Time(), last.String(), provisional, nil
}

// New makes a running clock of kind about subject in region, started at
// start, with the limit of a policy version (its value, in its unit).
func (e *Engine) New(ctx context.Context, kind, subject, region string, start time.Time, p *backstop.Policy) (*backstop.Clock, error) {
	unit, err := backstop.ParseClockUnit(p.Unit)
	if err != nil {
		return nil, err
	}
	c := &backstop.Clock{Kind: kind, Subject: subject, Region: region, StartedAt: start, LimitValue: p.Value, LimitUnit: unit, PolicyID: p.ID,
		State: backstop.ClockRunning}
	if c.Due, c.DueDate, c.Provisional, err = e.Due(ctx, start, p.Value, unit); err != nil {
		return nil, err
	}
	return c, nil
}

// RunDue claims the due clocks, calls their handlers and applies what they
// decided, until none is due; it returns how many ran. A handler that
// fails is retried later; a run whose claim was lost (another process
// took the clock after this one's claim ran out) writes nothing.
func (e *Engine) RunDue(ctx context.Context) (int, error) {
	claim := e.Claim
	if claim <= 0 {
		claim = 10 * time.Second
	}
	owner := e.owner()
	ran := 0
	for {
		now := e.now()
		cs, err := e.Store.ClaimDueClocks(ctx, owner, now, now.Add(claim), 50)
		if err != nil || len(cs) == 0 {
			if ran > 0 && e.AfterRun != nil {
				e.AfterRun(ctx)
			}
			return ran, err
		}
		for _, c := range cs {
			if e.run(ctx, owner, c) {
				ran++
			}
		}
	}
}

// run calls one claimed clock's handler and finishes it.
func (e *Engine) run(ctx context.Context, owner string, c *backstop.Clock) bool {
	retry := func(reason string) {
		wait := min(time.Hour, time.Duration(1<<min(c.Attempts, 12))*time.Second)
		if err := e.Store.FailClock(context.WithoutCancel(ctx), c.ID, owner, reason, e.now().Add(wait)); err != nil {
			e.logger().Error("clock: give back", "clock", c.ID, "err", err)
		}
	}
	h := e.handler(c.Kind)
	if h == nil {
		e.logger().Error("clock: no handler for its kind", "clock", c.ID, "kind", c.Kind)
		retry("no handler for kind " + c.Kind)
		return false
	}
	run, err := h(ctx, c)
	if err != nil {
		e.logger().Error("clock handler", "clock", c.ID, "kind", c.Kind, "subject", c.Subject, "err", err)
		retry(backstop.ErrorMessage(err))
		return false
	}
	if err := e.Store.FinishClock(ctx, c.ID, owner, c.Stage, run, e.now()); err != nil {
		if backstop.ErrorCode(err) == backstop.ECONFLICT {
			e.logger().Warn("clock: claim lost before the run finished; nothing written", "clock", c.ID)
			return false
		}
		e.logger().Error("clock: finish", "clock", c.ID, "err", err)
		retry(backstop.ErrorMessage(err))
		return false
	}
	return true
}

// Recount recounts the due dates of running working-day clocks counted
// provisionally, after a calendar year was loaded; it returns how many
// moved.
func (e *Engine) Recount(ctx context.Context) (int, error) {
	cs, err := e.Store.ProvisionalClocks(ctx)
	if err != nil {
		return 0, err
	}
	moved := 0
	for _, c := range cs {
		due, date, provisional, err := e.Due(ctx, c.StartedAt, c.LimitValue, c.LimitUnit)
		if err != nil {
			return moved, err
		}
		if due.Equal(c.Due) && provisional == c.Provisional {
			continue
		}
		if err := e.Store.MoveClock(ctx, c.ID, due, date, provisional); err != nil {
			return moved, err
		}
		e.logger().Info("clock recounted on the loaded calendar", "clock", c.ID, "kind", c.Kind, "subject", c.Subject, "from", c.DueDate, "to", date)
		moved++
	}
	return moved, nil
}

// Clocks pages the clocks in the user's region (overdue ones with
// State "overdue"), soonest due first.
func (e *Engine) Clocks(ctx context.Context, f backstop.ClockFilter) ([]*backstop.Clock, int, error) {
	if _, err := backstop.RequireUser(ctx); err != nil {
		return nil, 0, err
	}
	if f.Now.IsZero() {
		f.Now = e.now()
	}
	return e.Store.FindClocks(ctx, f)
}
