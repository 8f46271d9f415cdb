package backstop

import (
	"context"
	"time"
)

// Contingency plans (预案, notice 三(二)): each county makes a plan against
// regional, large-scale return to poverty for every year, due before
// 1 January of that year; the city approves it. Departments record their
// special disaster-prevention plans (专项防灾减灾预案) beside it.

// PlanState is where a county's plan for a year stands.
type PlanState string

// Plan states. A county and year without any draft is "missing": the
// readiness view says so whether or not the row exists yet (the clock
// that reminds the county makes it on 1 December).
const (
	PlanMissing   PlanState = "missing"   // nothing drafted yet
	PlanDraft     PlanState = "draft"     // being written by the county
	PlanSubmitted PlanState = "submitted" // sent to the city for approval
	PlanApproved  PlanState = "approved"  // approved by the city
)

// PlanStates lists them.
var PlanStates = []PlanState{PlanMissing, PlanDraft, PlanSubmitted, PlanApproved}

// Clock kinds of plans.
const (
	// ClockPlanDue is a county's plan for a year: it fires from the
	// reminder date (1 December before) and reminds the county and the
	// city until the plan is approved.
	ClockPlanDue = "plan.due"
)

// Stream kinds of plans and projects.
const (
	StreamPlan    = "plan"
	StreamProject = "project"
)

// Plan is a county's contingency plan for a year.
type Plan struct {
	ID       int64     `json:"id"`
	County   string    `json:"county"` // 12-digit county code
	Year     int       `json:"year"`
	State    PlanState `json:"state"`
	Title    string    `json:"title,omitempty"`
	StreamID int64     `json:"-"`
	// Version is the current version's number (0: none yet).
	Version int `json:"version"`
	// Sections are the current version's content by checklist item code.
	Sections map[string]string `json:"sections,omitempty"`
	// Missing are the required checklist items the current version leaves
	// empty (and that the document does not cover).
	Missing []string `json:"missing,omitempty"`
	// Document is the attached plan document of the current version.
	Document    *PlanDocument `json:"document,omitempty"`
	ChecklistID int64         `json:"checklist_policy_id,omitempty"`
	DueAt       time.Time     `json:"due_at"`
	SubmittedAt *time.Time    `json:"submitted_at,omitempty"`
	ApprovedAt  *time.Time    `json:"approved_at,omitempty"`
	ApprovedBy  string        `json:"approved_by,omitempty"`
	ReturnNote  string        `json:"return_note,omitempty"`
	UpdatedAt   time.Time     `json:"updated_at"`
	UpdatedBy   string        `json:"updated_by,omitempty"`
}

// PlanDocument is a file attached to a plan version, kept under the data
// directory (never in the row): its name, kind (pdf, docx, doc), size and
// SHA-256.
type PlanDocument struct {
	Name   string `json:"name"`
	Kind   string `json:"kind"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
	// Path is where the file lies, relative to the documents directory.
	Path string `json:"-"`
}

// PlanVersion is one saved version of a plan: versions are never edited,
// a change is a new version.
type PlanVersion struct {
	PlanID   int64             `json:"plan_id"`
	Version  int               `json:"version"`
	Title    string            `json:"title"`
	Sections map[string]string `json:"sections"`
	Document *PlanDocument     `json:"document,omitempty"`
	Note     string            `json:"note,omitempty"`
	// ChecklistID is the checklist version the content was checked
	// against.
	ChecklistID int64     `json:"checklist_policy_id,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
	CreatedBy   string    `json:"created_by"`
}

// Plan limits.
const (
	MaxPlanTitle       = 200
	MaxPlanSection     = 20000 // characters of one section
	MaxPlanNote        = 1000
	MaxPlanDocumentMiB = 20 // the largest attached document
)

// PlanReadiness is one county's standing for a year, for the city.
type PlanReadiness struct {
	Code string `json:"code"`
	Name string `json:"name"`
	// State is approved, draft (written, submitted or not) or missing;
	// PlanState the plan's own state.
	State     PlanState `json:"state"`
	PlanState PlanState `json:"plan_state"`
	PlanID    int64     `json:"plan_id,omitempty"`
	Version   int       `json:"version,omitempty"`
	// Late: not approved and the due time has passed.
	Late    bool      `json:"late"`
	Missing []string  `json:"missing"`
	DueAt   time.Time `json:"due_at"`
}

// PlanFilter selects plans in the user's region.
type PlanFilter struct {
	Year   int
	County string
	State  PlanState
	Offset int
	Limit  int
}

// DepartmentPlan is a department's special disaster-prevention plan
// (专项防灾减灾预案), recorded beside the county's plan.
type DepartmentPlan struct {
	ID         int64         `json:"id"`
	Region     string        `json:"region"` // the county (or city) it covers
	Year       int           `json:"year"`
	Department string        `json:"department"` // one of the eight (DepartmentKinds)
	Title      string        `json:"title"`
	Hazards    []Hazard      `json:"hazards,omitempty"`
	ApprovedOn string        `json:"approved_on,omitempty"` // YYYY-MM-DD
	Document   *PlanDocument `json:"document,omitempty"`
	Note       string        `json:"note,omitempty"`
	CreatedAt  time.Time     `json:"created_at"`
	CreatedBy  string        `json:"created_by"`
}

// PlanService stores plans. Scope: a plan belongs to its county.
type PlanService interface {
	// EnsurePlan returns the plan of a county and year, making its row
	// (state missing), stream and reminder clock when there is none.
	EnsurePlan(ctx context.Context, p *Plan, clock *Clock) (*Plan, error)
	FindPlan(ctx context.Context, id int64) (*Plan, error)
	FindPlans(ctx context.Context, f PlanFilter) ([]*Plan, int, error)
	// SavePlanVersion adds a version to a plan in state missing or draft
	// (from the state the caller read: ECONFLICT when it moved); the plan
	// becomes a draft.
	SavePlanVersion(ctx context.Context, v *PlanVersion, missing []string, from PlanState) (*Plan, error)
	PlanVersions(ctx context.Context, planID int64) ([]*PlanVersion, error)
	// MovePlan changes a plan's state by compare-and-set: ECONFLICT when it
	// is not in state from (another officer was first). Approval meets the
	// plan's clock in the same transaction.
	MovePlan(ctx context.Context, id int64, from, to PlanState, note string) (*Plan, error)
	// PlanReadiness lists every county in the user's region with the
	// standing of its plan for year.
	PlanReadiness(ctx context.Context, year int) ([]*PlanReadiness, error)
	CreateDepartmentPlan(ctx context.Context, p *DepartmentPlan) error
	FindDepartmentPlans(ctx context.Context, year int, region string) ([]*DepartmentPlan, error)
	FindDepartmentPlan(ctx context.Context, id int64) (*DepartmentPlan, error)
	// SetDepartmentDocument attaches a document to a department plan of
	// the user's region.
	SetDepartmentDocument(ctx context.Context, id int64, d *PlanDocument) error
}
