package backstop

import (
	"context"
	"time"
)

// TaskKind is what a field task asks of a helper or cadre.
type TaskKind string

// Task kinds.
const (
	TaskConfirm TaskKind = "confirm" // confirm that a key-group person was reached (最后一公里)
)

// Confirmation outcomes (最后一公里).
const (
	ReachedPhone     = "phone"
	ReachedInPerson  = "in_person"
	ReachedNeighbour = "neighbour"
	NotReachable     = "unreachable"
)

// Outcomes lists them as the phone page shows them.
var Outcomes = []string{ReachedPhone, ReachedInPerson, ReachedNeighbour, NotReachable}

// FieldTask is one piece of work for a helper or village cadre at a
// household, in a stream (the release or campaign it belongs to): confirm
// that a key-group person was reached, visit and check.
type FieldTask struct {
	ID       int64    `json:"id"`
	Kind     TaskKind `json:"kind"`
	StreamID int64    `json:"stream_id"`
	// ReleaseID is the release of a confirmation task.
	ReleaseID       int64      `json:"release_id,omitempty"`
	HouseholdID     int64      `json:"-"`
	HouseholdNumber string     `json:"household_number"`
	HeadName        string     `json:"head_name,omitempty"`
	NaturalVillage  string     `json:"natural_village,omitempty"`
	MemberID        int64      `json:"-"`
	PersonName      string     `json:"person_name"`
	Phone           string     `json:"phone,omitempty"` // masked unless revealed
	Groups          []string   `json:"groups"`
	VillageCode     string     `json:"village_code"`
	Village         string     `json:"village,omitempty"`
	Assignee        string     `json:"assignee"` // helper or cadre name
	AssigneePhone   string     `json:"assignee_phone,omitempty"`
	Outcome         string     `json:"outcome,omitempty"` // "" while open
	Note            string     `json:"note,omitempty"`
	ConfirmedBy     string     `json:"confirmed_by,omitempty"`
	ConfirmedAt     *time.Time `json:"confirmed_at,omitempty"`
	Due             time.Time  `json:"due"`
	Escalation      int        `json:"escalation"` // 0 none, 1 township, 2 county
	// CallRequested: an SMS to this person failed; the assignee should call.
	CallRequested bool `json:"call_requested,omitempty"`
	// Visit is a visit task's campaign and report (kind visit).
	Visit *VisitPayload `json:"visit,omitempty"`
}

// Open tells a task without an outcome.
func (t *FieldTask) Open() bool { return t.Outcome == "" }

// Overdue tells an open task past its due time.
func (t *FieldTask) Overdue(now time.Time) bool { return t.Open() && now.After(t.Due) }

// TaskFilter selects field tasks; the user's scope applies too.
type TaskFilter struct {
	Kind      TaskKind
	StreamID  int64
	ReleaseID int64  // the tasks of a release's stream
	ID        int64  // one task
	Open      bool   // only tasks without an outcome
	Outcome   string // only tasks with this outcome
	Assignee  string // by assignee phone, across streams (the helper's link)
	Village   string
	// Calls keeps open tasks whose SMS failed (the assignee should call);
	// DueBefore open tasks due before it (overdue at that time).
	Calls     bool
	DueBefore time.Time
	Offset    int
	Limit     int
}

// HouseholdTask is a field task at a household with the warning its
// release carried: the warnings that reached the household and how each
// person was confirmed, as its history shows them.
type HouseholdTask struct {
	FieldTask
	WarningID   int64        `json:"warning_id,omitempty"`
	Headline    string       `json:"headline,omitempty"`
	Hazard      string       `json:"hazard,omitempty"`
	Level       WarningLevel `json:"level,omitempty"`
	ReleasedAt  time.Time    `json:"released_at"`
	TestRelease bool         `json:"test_release,omitempty"`
}

// HouseholdAt is a household with its village, by which tasks are found.
type HouseholdAt struct {
	ID      int64
	Village string
	// Phone, when set, narrows it to the persons reached on that number
	// (their task's phone): the SMS that failed went to them only.
	Phone string
}

// FieldTaskService stores field tasks and the links helpers open them by.
type FieldTaskService interface {
	FindTasks(ctx context.Context, f TaskFilter) ([]*FieldTask, int, error)
	// HouseholdTasks lists a household's field tasks in the user's
	// region, newest first, at most limit, with the warnings of their
	// releases.
	HouseholdTasks(ctx context.Context, householdID int64, limit, offset int) ([]*HouseholdTask, int, error)
	// OpenTasks lists every open task of a stream escalated to the given
	// level so far, unpaged and unscoped, for the escalation handler.
	OpenTasks(ctx context.Context, streamID int64, escalation int) ([]*FieldTask, error)
	// ConfirmTask records an outcome by the user in ctx (or the holder of
	// a link, by); ENOTFOUND outside the scope, ECONFLICT when the task
	// has an outcome already and the new one is not a correction by the
	// same person.
	ConfirmTask(ctx context.Context, id int64, outcome, note, by string) (*FieldTask, error)
	// RequestCalls flags the open tasks of households in a stream (of the
	// persons on a phone, when one is given): their SMS failed and the
	// helper should call. It returns, per household,
	// how many tasks were flagged (households without open tasks are
	// absent).
	RequestCalls(ctx context.Context, streamID int64, households []HouseholdAt) (map[int64]int, error)
	// MintLinks makes a fresh secret link token for each assignee phone,
	// valid until the stream's links expire; only hashes are stored.
	MintLinks(ctx context.Context, streamID int64, phones []string) (map[string]string, error)
	// LinkAssignee resolves a link token to its assignee phone and expiry;
	// ENOTFOUND when unknown, EUNAUTHORIZED when expired.
	LinkAssignee(ctx context.Context, token string, now time.Time) (phone string, expires time.Time, err error)
}
