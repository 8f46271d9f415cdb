package backstop

import (
	"context"
	"time"
)

// Policy is one versioned policy parameter: a threshold, clock, standard or
// rate, valid in a region from a date, with the source it comes from.
// Decisions record the ID of the version they used.
type Policy struct {
	ID            int64      `json:"id"`
	Key           string     `json:"key"`
	Region        string     `json:"region"` // 12-digit; 000000000000 for national
	Value         float64    `json:"value"`
	Unit          string     `json:"unit"`
	EffectiveFrom time.Time  `json:"effective_from"`
	EffectiveTo   *time.Time `json:"effective_to,omitempty"`
	Source        string     `json:"source"`
}

// Policy keys.
const (
	// PolicyMonitoringLine is the per-capita annual income line (yuan) under
	// which a household falls into the monitoring range.
	PolicyMonitoringLine = "monitoring_line"
)

// PolicyService finds the version of a parameter in force.
type PolicyService interface {
	// PolicyAt returns the version of key in force on date for region: the
	// most specific region that has one, then the latest effective date.
	// ENOTFOUND when none applies.
	PolicyAt(ctx context.Context, key, region string, date time.Time) (*Policy, error)
	FindPolicies(ctx context.Context, key string) ([]*Policy, error)
	CreatePolicy(ctx context.Context, p *Policy) error
}
