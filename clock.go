package backstop

import (
	"context"
	"time"
)

// ClockState is where a clock stands. "Overdue" is not a state: it is a
// running clock past its due time, decided in one place (Clock.Overdue).
type ClockState string

// Clock states.
const (
	ClockRunning   ClockState = "running"
	ClockMet       ClockState = "met"       // the work was done
	ClockCancelled ClockState = "cancelled" // the work is no longer asked
)

// ClockUnit is what a clock's limit counts.
type ClockUnit string

// Clock units.
const (
	UnitWorkdays ClockUnit = "workdays" // China's working days, the start day not counted
	UnitDays     ClockUnit = "days"     // calendar days
	UnitHours    ClockUnit = "hours"
	UnitMinutes  ClockUnit = "minutes"
)

// ParseClockUnit checks a unit name.
func ParseClockUnit(s string) (ClockUnit, error) {
	switch u := ClockUnit(s); u {
	case UnitWorkdays, UnitDays, UnitHours, UnitMinutes:
		return u, nil
	}
	return "", Localized(EINVALID, "时限单位只能是 workdays、days、hours 或 minutes，不能是“%s”", "A clock unit is workdays, days, hours or minutes, not %q.", s)
}

// Clock kinds: each has one handler, registered with the clock engine.
const (
	ClockReleaseConfirm = "release.confirm" // key-group persons of a release confirmed by the deadline
)

// Clock is one deadline of the system: what it is about (subject), its
// kind, when it started, its limit (from the policy version it records),
// when it is due, and its state. Its kind's handler is called at FireAt
// (escalations), by exactly one process.
type Clock struct {
	ID      int64  `json:"id"`
	Kind    string `json:"kind"`
	Subject string `json:"subject"` // e.g. release:12
	// Region is where the work lies, for scope.
	Region     string    `json:"region"`
	StartedAt  time.Time `json:"started_at"`
	LimitValue float64   `json:"limit"`
	LimitUnit  ClockUnit `json:"unit"`
	PolicyID   int64     `json:"policy_id,omitempty"`
	// Due is the instant from which the clock is overdue; DueDate the
	// last day (YYYY-MM-DD, Beijing) of a clock counted in days.
	Due     time.Time `json:"due"`
	DueDate string    `json:"due_date,omitempty"`
	// Provisional: the due date was counted Monday to Friday through a
	// year whose official calendar is not loaded yet.
	Provisional bool       `json:"provisional"`
	State       ClockState `json:"state"`
	StoppedAt   *time.Time `json:"stopped_at,omitempty"`
	FireAt      *time.Time `json:"fire_at,omitempty"`
	// Stage counts the handler's finished runs (for escalations: the level
	// reached).
	Stage     int    `json:"stage"`
	Attempts  int    `json:"attempts"`
	LastError string `json:"last_error,omitempty"`
}

// Overdue tells a running clock past its due time: the one definition of
// overdue in backstop.
func (c *Clock) Overdue(now time.Time) bool {
	return c.State == ClockRunning && !now.Before(c.Due)
}

// ClockFilter selects clocks; the user's scope applies too.
type ClockFilter struct {
	Kind    string
	Subject string
	State   string // running, met, cancelled, or overdue (running and past due)
	Region  string
	Now     time.Time
	Offset  int
	Limit   int
}

// ClockRun is what a handler decided: when to call it again (nil: never),
// a state to move to ("" keeps it), and the writes that go with it, made
// in the transaction that finishes the run.
type ClockRun struct {
	Next   *time.Time
	State  ClockState
	Writes func(ctx context.Context, w ClockWriter) error
}

// ClockWriter makes a clock run's writes inside the transaction that
// finishes it: all of them, or none if the run lost its claim.
type ClockWriter interface {
	// AddMessages writes messages to a stream in a new batch due at once
	// (see OutboxService.AddMessages).
	AddMessages(ctx context.Context, streamID int64, channel, text string, ms []*Message, dedupe bool) (batch, written int, err error)
	// MarkTasksEscalated records that tasks of a stream were escalated to
	// level.
	MarkTasksEscalated(ctx context.Context, streamID int64, ids []int64, level int, at time.Time) error
}

// ClockService stores clocks.
type ClockService interface {
	// StartClock stores a running clock; a clock of the same kind and
	// subject is ECONFLICT.
	StartClock(ctx context.Context, c *Clock) error
	// ClaimDueClocks claims up to limit running clocks whose FireAt has
	// come and that nobody holds, for owner until the given time. Two
	// processes never claim the same clock.
	ClaimDueClocks(ctx context.Context, owner string, now, until time.Time, limit int) ([]*Clock, error)
	// FinishClock applies a handler's run to a clock owner holds at stage,
	// releasing the claim; ECONFLICT when the claim was lost (then nothing
	// of the run is written).
	FinishClock(ctx context.Context, id int64, owner string, stage int, run *ClockRun, now time.Time) error
	// FailClock gives a claim back after a handler failed: the clock is
	// due again at retryAt.
	FailClock(ctx context.Context, id int64, owner string, reason string, retryAt time.Time) error
	// StopClock moves the running clock of a kind and subject to met or
	// cancelled; ENOTFOUND when there is none running.
	StopClock(ctx context.Context, kind, subject string, state ClockState, at time.Time) error
	FindClock(ctx context.Context, kind, subject string) (*Clock, error)
	// FindClocks pages clocks in the user's scope, soonest due first.
	FindClocks(ctx context.Context, f ClockFilter) ([]*Clock, int, error)
	// ProvisionalClocks lists the running clocks counted in working days
	// whose due date is provisional, for recounting once a calendar year
	// is loaded; MoveClock sets a recounted due time.
	ProvisionalClocks(ctx context.Context) ([]*Clock, error)
	MoveClock(ctx context.Context, id int64, due time.Time, dueDate string, provisional bool) error
}
