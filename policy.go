package backstop

import (
	"context"
	"encoding/json"
	"time"
)

// Policy is one versioned policy parameter: a threshold, clock, standard,
// rate, table, checklist or procedure, valid in a region from a date, with
// the source it comes from. A version holds a number (Value) or, for a
// structured key, a JSON document (Data) checked against the key's type.
// Decisions record the ID of the version they used; versions are never
// edited, a change is a new version.
type Policy struct {
	ID     int64   `json:"id"`
	Key    string  `json:"key"`
	Region string  `json:"region"` // 12-digit; 000000000000 for national
	Value  float64 `json:"value"`
	// Data is the structured value of a structured key.
	Data          json.RawMessage `json:"data,omitempty"`
	Unit          string          `json:"unit"`
	EffectiveFrom time.Time       `json:"effective_from"`
	// EffectiveTo is the first day the version no longer applies.
	EffectiveTo *time.Time `json:"effective_to,omitempty"`
	Source      string     `json:"source"`
}

// Policy keys used by name in code.
const (
	// PolicyMonitoringLine is the per-capita annual income line (yuan) under
	// which a household falls into the monitoring range, per province and
	// year.
	PolicyMonitoringLine = "monitoring_line"
	// PolicyConfirmMinutes + level: minutes after a release by which its
	// key-group persons must be confirmed.
	PolicyConfirmMinutes = "release.confirm_minutes."
	// PolicyEscalateCountyMinutes: minutes after the townships were told
	// of the unconfirmed that the counties are.
	PolicyEscalateCountyMinutes = "release.escalate_county_minutes"
	// PolicyLinkValidHours: hours after its work's deadline that a
	// helper's link stops working.
	PolicyLinkValidHours = "link.valid_hours"
	// PolicyElderlyAge: the age in whole years from which a person living
	// alone counts as an elderly person living alone (独居老人).
	PolicyElderlyAge = "elderly.age"
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
