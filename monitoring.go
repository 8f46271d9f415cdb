package backstop

import (
	"context"
	"time"
)

// MonitoringDecision is a local decision about a household's monitoring
// (监测对象), made in backstop — by a case's county approval or green
// channel, a clearing, or by hand — as opposed to the national system's
// view that each roster import carries (the household's MonitorType,
// RiskCleared, RiskIdentifiedOn, RiskClearedOn).
//
// The rule, in one place: while a household has a local decision, its
// latest one decides whether the household is in the monitored group;
// without one, the national view does. A roster import never changes a
// local decision; where the two disagree, the household page says so.
type MonitoringDecision struct {
	ID          int64  `json:"id"`
	Household   string `json:"household"`
	Monitored   bool   `json:"monitored"` // under monitoring (true) or risk cleared (false)
	MonitorType string `json:"monitor_type,omitempty"`
	// IdentifiedOn and ClearedOn are YYYY-MM-DD.
	IdentifiedOn string    `json:"identified_on,omitempty"`
	ClearedOn    string    `json:"cleared_on,omitempty"`
	RiskTypes    []string  `json:"risk_types,omitempty"`
	Source       string    `json:"source"` // e.g. case:12, manual
	Note         string    `json:"note,omitempty"`
	DecidedBy    string    `json:"decided_by"`
	DecidedAt    time.Time `json:"decided_at"`
}

// NationalMonitored tells whether the national system's view (from the
// roster) has the household under monitoring: a monitoring type and the
// risk not cleared.
func (h *Household) NationalMonitored() bool {
	return h.MonitorType != "" && (h.RiskCleared == nil || !*h.RiskCleared)
}

// MonitoringDisagreement says where the national view and the local
// decision differ, or "" when they agree (or there is no local decision).
func (h *Household) MonitoringDisagreement() string {
	d := h.LocalDecision
	if d == nil {
		return ""
	}
	switch national := h.NationalMonitored(); {
	case d.Monitored && !national:
		return "local_only" // approved here, not yet in the national system
	case !d.Monitored && national:
		return "national_only" // cleared here, still monitored in the national system
	case d.Monitored && d.MonitorType != "" && h.MonitorType != "" && d.MonitorType != h.MonitorType:
		return "type_differs"
	}
	return ""
}

// MonitoringService records local monitoring decisions.
type MonitoringService interface {
	// DecideMonitoring records a decision for a household in the user's
	// region, makes it the household's current one and updates its groups
	// (the exposure index follows). EFORBIDDEN outside the region.
	DecideMonitoring(ctx context.Context, d *MonitoringDecision) error
	// MonitoringDecisions lists a household's decisions, newest first.
	MonitoringDecisions(ctx context.Context, household string) ([]*MonitoringDecision, error)
}
