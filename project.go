package backstop

import (
	"context"
	"time"
)

// The project library (项目库, notice 三(三)): projects proposed by a
// village, reviewed by the township and approved into the county library,
// by steps and clocks that are policy data; disaster-response projects
// (应对灾情新增项目) take the fast track with shorter clocks.

// ProjectState is where a project stands in the procedure.
type ProjectState string

// Project states: "in step" while the procedure runs (Step names the
// step), approved into the library at the end, or rejected at a step.
const (
	ProjectInStep   ProjectState = "in_step"
	ProjectApproved ProjectState = "approved"
	ProjectRejected ProjectState = "rejected"
)

// ProjectProgress is how far an approved project is carried out.
type ProjectProgress string

// Implementation states.
const (
	ProgressNotStarted ProjectProgress = "not_started"
	ProgressUnderway   ProjectProgress = "underway"
	ProgressCompleted  ProjectProgress = "completed"
	ProgressSuspended  ProjectProgress = "suspended"
)

// ProjectProgresses lists them.
var ProjectProgresses = []ProjectProgress{ProgressNotStarted, ProgressUnderway, ProgressCompleted, ProgressSuspended}

// ClockProjectStep is the clock of a project's current step.
const ClockProjectStep = "project.step"

// Project is one project of the library.
type Project struct {
	ID      int64  `json:"id"`
	Name    string `json:"name"`
	Type    string `json:"type"`    // a code of the project.types list
	Village string `json:"village"` // who proposed it (12-digit village code)
	County  string `json:"county"`
	// FastTrack: a disaster-response project (应对灾情新增项目), on the
	// fast procedure; Event names the disaster it answers, if known.
	FastTrack bool   `json:"fast_track"`
	Event     string `json:"event,omitempty"`
	Summary   string `json:"summary,omitempty"`
	// State and Step: the procedure; Steps is the procedure's policy
	// version with its steps, StepDue the current step's deadline.
	State    ProjectState    `json:"state"`
	Step     string          `json:"step,omitempty"`
	StepDue  *time.Time      `json:"step_due,omitempty"`
	Steps    []ProjectStep   `json:"steps"`
	PolicyID int64           `json:"policy_id"`
	Progress ProjectProgress `json:"progress"`
	// Funds by source; totals are their sums.
	Funds     []ProjectFund `json:"funds"`
	Planned   float64       `json:"planned"`
	Allocated float64       `json:"allocated"`
	Spent     float64       `json:"spent"`
	// Beneficiaries are the household numbers it helps.
	Beneficiaries []string        `json:"beneficiaries"`
	History       []ProjectAction `json:"history,omitempty"`
	StreamID      int64           `json:"-"`
	CreatedAt     time.Time       `json:"created_at"`
	CreatedBy     string          `json:"created_by"`
}

// ProjectStep is one step of a project procedure, as its policy says:
// the role that does it and its clock.
type ProjectStep struct {
	Code  string    `json:"code"`
	ZH    string    `json:"zh"`
	EN    string    `json:"en,omitempty"`
	Role  Role      `json:"role"`
	Limit float64   `json:"limit"`
	Unit  ClockUnit `json:"unit"`
}

// ProjectAction is one recorded step outcome.
type ProjectAction struct {
	Step    string    `json:"step"`
	Outcome string    `json:"outcome"` // passed, rejected, progress:<state>
	Note    string    `json:"note,omitempty"`
	By      string    `json:"by"`
	At      time.Time `json:"at"`
}

// Step outcomes.
const (
	StepPassed   = "passed"
	StepRejected = "rejected"
)

// ProjectFund is the money of one source for a project.
type ProjectFund struct {
	Source    string  `json:"source"` // a code of the project.fund_sources list
	Planned   float64 `json:"planned"`
	Allocated float64 `json:"allocated"`
	Spent     float64 `json:"spent"`
}

// Project limits.
const (
	MaxProjectName          = 200
	MaxProjectSummary       = 5000
	MaxProjectBeneficiaries = 5000
	MaxProjectAmount        = 1e10 // yuan
)

// ProjectFilter selects projects in the user's region.
type ProjectFilter struct {
	Region    string
	State     ProjectState
	FastTrack *bool
	Type      string
	Offset    int
	Limit     int
}

// ProjectService stores the project library.
type ProjectService interface {
	// CreateProject stores a proposed project at its first step with the
	// step's clock (nil when the step has none) and its stream.
	CreateProject(ctx context.Context, p *Project, clock *Clock) error
	FindProject(ctx context.Context, id int64) (*Project, error)
	FindProjects(ctx context.Context, f ProjectFilter) ([]*Project, int, error)
	// AdvanceProject records an outcome of the step the caller saw, by
	// compare-and-set (ECONFLICT when the project has moved: two approvals
	// at once, one wins); next is the step after it ("" when approved into
	// the library, or rejected) with its clock.
	AdvanceProject(ctx context.Context, id int64, step string, a ProjectAction, next string, clock *Clock) (*Project, error)
	SetProjectFunds(ctx context.Context, id int64, funds []ProjectFund) (*Project, error)
	SetBeneficiaries(ctx context.Context, id int64, households []string) (*Project, error)
	SetProjectProgress(ctx context.Context, id int64, from, to ProjectProgress, note string) (*Project, error)
}
