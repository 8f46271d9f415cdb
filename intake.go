package backstop

import (
	"context"
	"time"
)

// IntakeSource is where an intake item came from.
type IntakeSource string

// Intake sources.
const (
	SourceSelfReport IntakeSource = "self_report" // the household itself (甘肃一键报贫)
	SourceReferral   IntakeSource = "referral"    // a department's referral
)

// StreamIntake is the stream kind of an intake item's escalations.
const StreamIntake = "intake"

// IntakeState is where an intake item stands.
type IntakeState string

// Intake states, in order; rejected and approved end an item.
const (
	IntakeReceived IntakeState = "received" // waiting for the village check
	IntakeChecked  IntakeState = "checked"  // the village checked (home visit, two staff)
	IntakeAnswered IntakeState = "answered" // the reporter was told the result
	IntakeApproved IntakeState = "approved" // county approval: into monitoring
	IntakeRejected IntakeState = "rejected" // not eligible (the reporter is told why)
)

// Intake steps an officer records.
const (
	StepCheck   = "check"
	StepAnswer  = "answer"
	StepApprove = "approve"
	StepReject  = "reject"
)

// IntakeItem is one self-report or referral: who, where, what difficulty,
// whether it matches a registered person, and its three clocks.
type IntakeItem struct {
	ID     int64        `json:"id"`
	Code   string       `json:"code"` // the reporter's lookup code
	Source IntakeSource `json:"source"`
	// Department and Reason are a referral's.
	Department  string `json:"department,omitempty"`
	Reason      string `json:"reason,omitempty"`
	VillageCode string `json:"village_code"`
	Village     string `json:"village,omitempty"`
	Name        string `json:"name"`
	Phone       string `json:"phone"`     // masked when shown
	IDNumber    string `json:"id_number"` // masked when shown
	Difficulty  string `json:"difficulty"`
	RiskType    string `json:"risk_type,omitempty"` // 100A27 code
	Consent     bool   `json:"consent"`
	// Matched: the ID number belongs to a registered person; otherwise
	// the person is 系统外 (not in the registry).
	Matched         bool        `json:"matched"`
	HouseholdNumber string      `json:"household_number,omitempty"`
	State           IntakeState `json:"state"`
	// Merged counts later reports by the same ID number merged into it.
	Merged int       `json:"merged"`
	Note   string    `json:"note,omitempty"`
	Due    IntakeDue `json:"due"`
	// Overdue names the steps past due (computed on read).
	Overdue   []string `json:"overdue,omitempty"`
	PolicyIDs []int64  `json:"policy_ids"`
	// StreamID is the stream its escalations go to.
	StreamID  int64     `json:"-"`
	CreatedBy string    `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// IntakeDue are the last days (YYYY-MM-DD) of an item's steps.
type IntakeDue struct {
	Check    string `json:"check"`
	Answer   string `json:"answer"`
	Approval string `json:"approval"`
}

// Open tells an item not yet decided.
func (i *IntakeItem) Open() bool { return i.State != IntakeApproved && i.State != IntakeRejected }

// Mask hides the reporter's phone and ID number.
func (i *IntakeItem) Mask() *IntakeItem {
	c := *i
	c.Phone, c.IDNumber = MaskPhone(i.Phone), MaskIDNumber(i.IDNumber)
	return &c
}

// MaskName keeps a name's first character, for the public lookup.
func MaskName(name string) string {
	r := []rune(name)
	if len(r) == 0 {
		return ""
	}
	out := string(r[0])
	for range r[1:] {
		out += "*"
	}
	return out
}

// Limits of intake fields.
const (
	MaxIntakeName       = 30
	MaxIntakeDifficulty = 500
)

// IntakeClocks are the running clocks of a new item, started with it.
type IntakeClocks struct {
	Check, Answer, Approval *Clock
}

// IntakeFilter selects intake items in the user's region.
type IntakeFilter struct {
	Source  string
	State   string
	Open    bool
	Overdue bool
	Region  string
	Now     time.Time
	Offset  int
	Limit   int
}

// IntakeService stores intake items.
type IntakeService interface {
	// CreateIntake stores a new item with its clocks (subjects set here),
	// or, when an open item of the same ID number exists, merges into it
	// (merged is true and it is returned). A report beyond the limits of
	// reports per address or phone in the window is ERATELIMIT.
	CreateIntake(ctx context.Context, it *IntakeItem, clocks IntakeClocks, limits IntakeLimits) (got *IntakeItem, merged bool, err error)
	FindIntakeByCode(ctx context.Context, code string) (*IntakeItem, error)
	FindIntake(ctx context.Context, id int64) (*IntakeItem, error)
	FindIntakes(ctx context.Context, f IntakeFilter) ([]*IntakeItem, int, error)
	// AdvanceIntake records a step by compare-and-set from the item's
	// state, stopping the step's clock.
	AdvanceIntake(ctx context.Context, id int64, step, note string) (*IntakeItem, error)
}

// IntakeLimits bound public reports: per address and per phone number in
// a window.
type IntakeLimits struct {
	AddressKey, PhoneKey          string // hashed
	PerAddress, PerPhone          int
	Window                        time.Duration
	PerAddressPolicy, PhonePolicy int64
}
