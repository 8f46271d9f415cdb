package backstop

import (
	"context"
	"strconv"
	"strings"
	"time"
)

// Audiences of a targeted release (精准发布): rules over a warning's
// exposure result.
const (
	AudienceHouseholds  = "households"  // every exposed household with a phone
	AudienceKeyGroups   = "key_groups"  // key-group persons, first
	AudienceHelpers     = "helpers"     // the assigned helper of every exposed key household
	AudienceVillages    = "villages"    // each affected village's loudspeaker and cadres
	AudienceOfficers    = "officers"    // township and county duty officers, duty groups
	AudienceSubscribers = "subscribers" // departments and information officers subscribed to the hazard and region
)

// Audiences lists them in priority order: a person reached under an
// earlier audience is not messaged again on the same channel.
var Audiences = []string{AudienceKeyGroups, AudienceHelpers, AudienceHouseholds, AudienceVillages, AudienceOfficers, AudienceSubscribers}

// Channels of delivery.
const (
	ChannelSMS       = "sms"
	ChannelWeCom     = "wecom"     // 企业微信 group robots of duty groups
	ChannelBroadcast = "broadcast" // 农村应急广播: village loudspeakers
	ChannelEmail     = "email"
)

// Channels lists every channel.
var Channels = []string{ChannelSMS, ChannelWeCom, ChannelBroadcast, ChannelEmail}

// KeyGroups are the groups whose people get a last-mile confirmation task
// and messages first (重点人群).
const KeyGroups = GroupTekun | GroupDisability | GroupElderlyAlone | GroupMonitored | GroupDibao | GroupFormerlyPoor

// Release states.
const (
	ReleaseSending = "sending" // messages are going out
	ReleaseDone    = "done"    // every message has a final status
)

// Release is one targeted release of a warning: who it goes to, over
// which channels, and with what text.
type Release struct {
	ID         int64     `json:"id"`
	WarningID  int64     `json:"warning_id"`
	SnapshotID int64     `json:"snapshot_id"` // the exposure it was made from
	Audiences  []string  `json:"audiences"`
	Channels   []string  `json:"channels"`
	TemplateID int64     `json:"template_id,omitempty"`
	Text       string    `json:"text"` // the rendered public text
	Test       bool      `json:"test"` // nothing reaches a gateway
	State      string    `json:"state"`
	Basis      string    `json:"basis"` // why it was allowed: approved consultation, red/orange first
	Deadline   time.Time `json:"confirm_deadline"`
	// PolicyIDs are the policy versions it used (confirmation clocks).
	PolicyIDs []int64   `json:"policy_ids"`
	Counts    []Count   `json:"counts"` // planned messages per audience and channel
	CreatedBy string    `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
}

// Count is a number of messages for an audience on a channel.
type Count struct {
	Audience string `json:"audience"`
	Channel  string `json:"channel"`
	N        int    `json:"n"`
}

// Message states.
const (
	MessagePending   = "pending"   // to be sent (again, after a temporary failure)
	MessageSent      = "sent"      // the gateway accepted it
	MessageDelivered = "delivered" // the gateway reported delivery
	MessageFailed    = "failed"    // finally refused or undeliverable
	MessageSimulated = "simulated" // a test release: recorded, never sent
)

// Message is one delivery to one address on one channel: a row of the
// release's outbox.
type Message struct {
	ID          int64      `json:"id"`
	ReleaseID   int64      `json:"release_id"`
	Batch       int        `json:"batch"`
	Channel     string     `json:"channel"`
	Audience    string     `json:"audience"`
	Address     string     `json:"address"` // phone, e-mail, terminal group, robot key
	Name        string     `json:"name,omitempty"`
	HouseholdID int64      `json:"-"`
	VillageCode string     `json:"village_code,omitempty"`
	TextID      int64      `json:"-"`
	Key         string     `json:"key"` // idempotency key the gateway sees, the same on every resend
	Status      string     `json:"status"`
	Attempts    int        `json:"attempts"`
	NextAt      time.Time  `json:"-"`
	Error       string     `json:"error,omitempty"`
	GatewayID   string     `json:"gateway_id,omitempty"`
	SentAt      *time.Time `json:"sent_at,omitempty"`
	DeliveredAt *time.Time `json:"delivered_at,omitempty"`
	// Fallback says which earlier message this one stands in for.
	Fallback int64 `json:"fallback,omitempty"`
	// Text is filled in when the message is sent.
	Text string `json:"-"`
}

// MessageKey is the idempotency key of a message.
func MessageKey(releaseID, messageID int64) string {
	return "bst-" + strconv.FormatInt(releaseID, 10) + "-" + strconv.FormatInt(messageID, 10)
}

// ParseMessageKey reads the release and message ids of a key.
func ParseMessageKey(key string) (releaseID, messageID int64, ok bool) {
	rest, ok := strings.CutPrefix(key, "bst-")
	if !ok {
		return 0, 0, false
	}
	a, b, ok := strings.Cut(rest, "-")
	if !ok {
		return 0, 0, false
	}
	r, err1 := strconv.ParseInt(a, 10, 64)
	m, err2 := strconv.ParseInt(b, 10, 64)
	return r, m, err1 == nil && err2 == nil && r > 0 && m > 0
}

// MessageResult is the outcome of one send.
type MessageResult struct {
	ID                int64
	Channel, Audience string // of the message, for the release's counts
	Status            string // sent, delivered (channels that confirm at once), failed, pending (retry)
	GatewayID         string
	Error             string
	At                time.Time
	NextAt            time.Time // when pending: the next attempt
}

// Confirmation outcomes (最后一公里).
const (
	ReachedPhone     = "phone"
	ReachedInPerson  = "in_person"
	ReachedNeighbour = "neighbour"
	NotReachable     = "unreachable"
)

// Outcomes lists them as the phone page shows them.
var Outcomes = []string{ReachedPhone, ReachedInPerson, ReachedNeighbour, NotReachable}

// ConfirmationTask asks a helper or village cadre to confirm that one
// key-group person inside the warned area was reached.
type ConfirmationTask struct {
	ID              int64      `json:"id"`
	ReleaseID       int64      `json:"release_id"`
	HouseholdID     int64      `json:"-"`
	HouseholdNumber string     `json:"household_number"`
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
	Deadline        time.Time  `json:"deadline"`
	Escalation      int        `json:"escalation"` // 0 none, 1 township, 2 county
	// CallRequested: an SMS to this person failed; the assignee should call.
	CallRequested bool `json:"call_requested,omitempty"`
}

// Open tells a task without an outcome.
func (t *ConfirmationTask) Open() bool { return t.Outcome == "" }

// ReleaseStats are a release's dashboard figures.
type ReleaseStats struct {
	ReleaseID int64 `json:"release_id"`
	// ByChannel counts messages per channel, audience and status.
	Messages []MessageCount `json:"messages"`
	// FirstDelivered and NinetyDelivered are seconds from the release to
	// the first and to 90 % of the messages delivered (or accepted, on
	// channels without receipts); nil while not reached.
	FirstDelivered  *float64   `json:"first_delivered_seconds,omitempty"`
	NinetyDelivered *float64   `json:"ninety_percent_delivered_seconds,omitempty"`
	Tasks           TaskCounts `json:"tasks"`
	// Villages lists per village the key-group persons and how many were
	// confirmed, for the map.
	Villages   []VillageConfirmation `json:"villages"`
	ComputedAt time.Time             `json:"computed_at"`
}

// MessageCount is one cell of the dashboard's message table.
type MessageCount struct {
	Channel  string `json:"channel"`
	Audience string `json:"audience"`
	Status   string `json:"status"`
	N        int    `json:"n"`
}

// TaskCounts sum confirmation tasks.
type TaskCounts struct {
	Total       int `json:"total"`
	Confirmed   int `json:"confirmed"` // reached by any means
	Unreachable int `json:"unreachable"`
	Open        int `json:"open"`
	Overdue     int `json:"overdue"` // open past the deadline
	Escalated   int `json:"escalated"`
}

// VillageConfirmation is one village's confirmation rate.
type VillageConfirmation struct {
	Code      string `json:"code"`
	Name      string `json:"name"`
	Total     int    `json:"total"`
	Confirmed int    `json:"confirmed"`
}

// TaskFilter selects confirmation tasks; the user's scope applies too.
type TaskFilter struct {
	ReleaseID int64
	ID        int64  // one task
	Open      bool   // only tasks without an outcome
	Outcome   string // only tasks with this outcome
	Assignee  string // by assignee phone (the confirmation link)
	Village   string
	Offset    int
	Limit     int
}

// ExposedRecipient is an exposed household as a release reads it: where
// to reach it, its key people and its helper.
type ExposedRecipient struct {
	HouseholdID int64
	Rank        int // in the exposure's ranked list, 1 = most vulnerable
	Number      string
	VillageCode string
	Groups      Group // stored groups plus elderly-alone
	HeadName    string
	Phone       string
	HelperName  string
	HelperPhone string
	Members     []RecipientMember // read for key-group households only
}

// RecipientMember is a member of an exposed household.
type RecipientMember struct {
	ID       int64
	Name     string
	Phone    string
	Disabled bool
}

// ReleaseWriter takes a release's messages and tasks inside the
// transaction that stores the release: the outbox is written with it,
// all or nothing.
type ReleaseWriter interface {
	// AddText stores a message text and returns its id.
	AddText(ctx context.Context, channel, text string) (int64, error)
	AddMessages(ctx context.Context, ms []*Message) error
	AddTasks(ctx context.Context, ts []*ConfirmationTask) error
	// AddLink makes the secret confirmation link of an assignee.
	AddLink(ctx context.Context, assigneePhone string) (string, error)
}

// HouseholdAt is a household with its village, by which tasks are found.
type HouseholdAt struct {
	ID      int64
	Village string
}

// DispatchBatch names a batch of a release's messages that is due.
type DispatchBatch struct {
	ReleaseID int64
	Batch     int
}

// ReleaseService stores releases, their outbox and confirmation tasks.
type ReleaseService interface {
	// ScanExposedRecipients streams a snapshot's households, each with its
	// rank, phones and helper, and the members of those in a key group (the
	// only ones whose people get messages and tasks), in storage order (not
	// rank order),
	// within the user's region: a county officer's release reaches the
	// county.
	ScanExposedRecipients(ctx context.Context, snapshotID int64, fn func(*ExposedRecipient) error) error
	// CreateRelease stores r and what fill writes in one transaction.
	CreateRelease(ctx context.Context, r *Release, fill func(ReleaseWriter) error) error
	FindRelease(ctx context.Context, id int64) (*Release, error)
	FindReleases(ctx context.Context, warningID int64) ([]*Release, error)
	ReleaseStats(ctx context.Context, id int64) (*ReleaseStats, error)

	// DueBatches lists batches with messages due whose lease has run out.
	DueBatches(ctx context.Context, now time.Time, limit int) ([]DispatchBatch, error)
	// LeaseBatch takes a batch for owner until the given time, and returns
	// its due messages with their texts; ECONFLICT when another owner
	// holds it.
	LeaseBatch(ctx context.Context, b DispatchBatch, owner string, now, until time.Time) ([]*Message, error)
	// FinishBatch records results and gives the lease back.
	FinishBatch(ctx context.Context, b DispatchBatch, owner string, results []MessageResult) error
	// ApplyReceipt records a gateway's delivery report for the message
	// with the idempotency key; ENOTFOUND for an unknown key.
	ApplyReceipt(ctx context.Context, key, status, reason string, at time.Time) (*Message, error)
	// AddFollowUp writes messages after a release was made (stand-ins
	// for failed ones, escalations) in a new batch due at once; with
	// dedupe, an address already messaged on the channel in the release is
	// skipped. Messages with status simulated are only recorded. It
	// returns how many were written.
	AddFollowUp(ctx context.Context, releaseID int64, channel, text string, ms []*Message, dedupe bool) (int, error)
	// RequestCalls flags the open tasks of households in a release: their
	// SMS failed and the helper should call. It returns, per household, how
	// many tasks were flagged (households without open tasks are absent).
	RequestCalls(ctx context.Context, releaseID int64, households []HouseholdAt) (map[int64]int, error)

	FindTasks(ctx context.Context, f TaskFilter) ([]*ConfirmationTask, int, error)
	// ConfirmTask records an outcome by the user in ctx (or the holder of
	// a confirmation link, assignee); ENOTFOUND outside the scope.
	ConfirmTask(ctx context.Context, id int64, outcome, note, by string) (*ConfirmationTask, error)
	// OverdueTasks lists the open tasks of releases due for escalation
	// from level from (0: past the deadline, for the townships; 1: told
	// the townships more than countyAfter ago, for the counties). A due
	// release with nothing open is marked done with escalating.
	OverdueTasks(ctx context.Context, now time.Time, from int, countyAfter time.Duration) ([]*ConfirmationTask, error)
	// MarkEscalated records that a release's tasks were escalated to level.
	MarkEscalated(ctx context.Context, releaseID int64, ids []int64, level int, at time.Time) error

	// ConfirmationLink makes a new secret link token for an assignee's
	// tasks in a release; it replaces any earlier one.
	ConfirmationLink(ctx context.Context, releaseID int64, assigneePhone string) (string, error)
	// LinkAssignee resolves a link token to its release and assignee
	// phone; EUNAUTHORIZED when unknown.
	LinkAssignee(ctx context.Context, token string) (int64, string, error)
}
