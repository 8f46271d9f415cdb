package backstop

import (
	"context"
	"time"
)

// Limits of a consultation's texts: the warning page lists its
// consultations; departments and participants are names
// (MaxDepartmentLength, MaxNameLength).
const (
	MaxAssessmentLength  = 5000
	MaxConsultationNames = 50
)

// Consultation (会商研判) is the record of departments weighing a warning:
// who took part, their assessment, the decision and its approval.
type Consultation struct {
	ID           int64    `json:"id"`
	WarningID    int64    `json:"warning_id"`
	Departments  []string `json:"departments"`
	Participants []string `json:"participants"`
	Assessment   string   `json:"assessment"`
	// Decision is release (a targeted warning goes out) or no_release.
	Decision   string     `json:"decision"`
	Actions    []string   `json:"actions"` // recommended: pre_position, evacuate, transfer, inspect, …
	HeldAt     time.Time  `json:"held_at"`
	Approver   string     `json:"approver,omitempty"`
	ApprovedAt *time.Time `json:"approved_at,omitempty"`
	CreatedBy  string     `json:"created_by"`
	CreatedAt  time.Time  `json:"created_at"`
	UpdatedAt  time.Time  `json:"updated_at"`
}

// Decisions of a consultation.
const (
	DecisionRelease   = "release"
	DecisionNoRelease = "no_release"
)

// ConsultationActions are the recommended actions a consultation may name.
var ConsultationActions = []string{"pre_position", "evacuate", "transfer", "inspect", "patrol", "close_roads", "stop_work", "monitor"}

// Bases of a release: why it was allowed to go out.
const (
	BasisRedOrange    = "red_orange_first"      // red and orange may go first; the consultation record follows
	BasisConsultation = "approved_consultation" // a consultation decided to release and was approved
	BasisTest         = "test"                  // a test release, which reaches nobody
)

// ReleaseAllowed tells whether a targeted release may go out for the
// warning, and on which basis: after an approved consultation that
// decided to release, or at once for red and orange warnings, whose record
// may follow.
func ReleaseAllowed(w *Warning, cs []*Consultation) (bool, string) {
	if w.Level == WarningRed || w.Level == WarningOrange {
		return true, BasisRedOrange
	}
	for _, c := range cs {
		if c.ApprovedAt != nil && c.Decision == DecisionRelease {
			return true, BasisConsultation
		}
	}
	return false, ""
}

// ConsultationService stores consultations.
type ConsultationService interface {
	CreateConsultation(ctx context.Context, c *Consultation) error
	// ApproveConsultation records the approver (the acting user) and time.
	ApproveConsultation(ctx context.Context, id int64) (*Consultation, error)
	FindConsultations(ctx context.Context, warningID int64) ([]*Consultation, error)
}

// Feed is a CAP index feed backstop polls.
type Feed struct {
	ID              int64      `json:"id"`
	Name            string     `json:"name"`
	URL             string     `json:"url"`
	IntervalSeconds int        `json:"interval_seconds"`
	Enabled         bool       `json:"enabled"`
	LastPolledAt    *time.Time `json:"last_polled_at,omitempty"`
	LastError       string     `json:"last_error,omitempty"`
	LastNew         int        `json:"last_new"`
	CreatedBy       string     `json:"created_by"`
	CreatedAt       time.Time  `json:"created_at"`
}

// FeedService stores feeds.
type FeedService interface {
	CreateFeed(ctx context.Context, f *Feed) error
	FindFeeds(ctx context.Context) ([]*Feed, error)
	// FeedPolled records a poll's outcome (system action, no user needed).
	FeedPolled(ctx context.Context, id int64, at time.Time, newWarnings int, pollErr string) error
}
