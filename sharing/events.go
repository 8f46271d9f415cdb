package sharing

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/zhangye-backstop/backstop"
)

// The events backstop publishes. Warnings and releases are published by
// their use cases (alerting, dispatch) through the hooks below; events,
// verified loss reports and cases call the functions of their kind when
// they happen. Each is published once per subject: a source that calls
// twice sends nothing new. No payload carries a name, an ID number or a
// phone: households are named by their 户编号 and village.

// warningData is what a warning event says.
type warningData struct {
	WarningID  int64      `json:"warning_id"`
	Identifier string     `json:"identifier"`
	Sender     string     `json:"sender_name,omitempty"`
	MsgType    string     `json:"msg_type"`
	Status     string     `json:"status"`
	Hazard     string     `json:"hazard"`
	Level      string     `json:"level,omitempty"`
	Severity   string     `json:"severity,omitempty"`
	Event      string     `json:"event"`
	Headline   string     `json:"headline,omitempty"`
	Onset      *time.Time `json:"onset,omitempty"`
	Expires    *time.Time `json:"expires,omitempty"`
	Supersedes int64      `json:"supersedes,omitempty"`
}

func warningRegions(w *backstop.Warning) []string {
	set := map[string]bool{}
	for _, a := range w.Areas {
		for _, r := range a.Regions {
			set[r] = true
		}
	}
	out := make([]string, 0, len(set))
	for r := range set {
		out = append(out, r)
	}
	sort.Strings(out)
	return out
}

// WarningStored publishes a stored warning: warning.ingested for an
// alert, warning.updated for an update or a cancellation. Drafts are not
// shared.
func (s *Service) WarningStored(ctx context.Context, w *backstop.Warning) {
	if w.Status == "Draft" {
		return
	}
	typ := backstop.EventWarningIngested
	if w.MsgType == "Update" || w.MsgType == "Cancel" {
		typ = backstop.EventWarningUpdated
	}
	d := warningData{WarningID: w.ID, Identifier: w.Identifier, Sender: w.SenderName, MsgType: w.MsgType, Status: w.Status, Hazard: string(w.Hazard), Level: string(w.Level),
		Severity: w.Severity, Event: w.Event, Headline: w.Headline, Onset: w.Onset, Expires: w.Expires, Supersedes: w.Supersedes}
	if err := s.Publish(ctx, typ, fmt.Sprintf("warning:%d", w.ID), warningRegions(w), d); err != nil {
		s.logger().Error("sharing: publish warning", "warning", w.ID, "err", err)
	}
}

// releaseData is what a release event says.
type releaseData struct {
	ReleaseID int64            `json:"release_id"`
	WarningID int64            `json:"warning_id"`
	Audiences []string         `json:"audiences"`
	Channels  []string         `json:"channels"`
	Deadline  time.Time        `json:"confirm_deadline"`
	Counts    []backstop.Count `json:"counts"`
}

// ReleaseCreated publishes a targeted release (not a test one, which
// reaches nobody).
func (s *Service) ReleaseCreated(ctx context.Context, r *backstop.Release) {
	if r.Test {
		return
	}
	var regions []string
	if w, err := s.Store.FindWarning(backstop.NewContextWithUser(ctx, backstop.SystemUser("sharing")), r.WarningID); err == nil {
		regions = warningRegions(w)
	}
	d := releaseData{ReleaseID: r.ID, WarningID: r.WarningID, Audiences: r.Audiences, Channels: r.Channels, Deadline: r.Deadline, Counts: r.Counts}
	if err := s.Publish(ctx, backstop.EventReleaseCreated, fmt.Sprintf("release:%d", r.ID), regions, d); err != nil {
		s.logger().Error("sharing: publish release", "release", r.ID, "err", err)
	}
}

// EventNotice is a disaster event (灾害过程) that was opened.
type EventNotice struct {
	ID       int64     `json:"event_id"`
	Name     string    `json:"name"`
	Hazard   string    `json:"hazard"`
	Start    time.Time `json:"start"`
	Regions  []string  `json:"regions"`
	Warnings []int64   `json:"warnings,omitempty"`
}

// EventOpened publishes a disaster event; the events use case calls it
// when one is opened.
func (s *Service) EventOpened(ctx context.Context, e EventNotice) error {
	return s.Publish(ctx, backstop.EventEventOpened, fmt.Sprintf("event:%d", e.ID), e.Regions, e)
}

// LossReportNotice is a verified loss report, without personal data.
type LossReportNotice struct {
	ID          int64     `json:"loss_report_id"`
	EventID     int64     `json:"event_id,omitempty"`
	Household   string    `json:"household"` // 户编号
	Village     string    `json:"village"`
	HouseDamage string    `json:"house_damage,omitempty"` // collapsed, severe, moderate
	Rooms       int       `json:"rooms,omitempty"`
	AtRisk      bool      `json:"at_risk"`
	VerifiedAt  time.Time `json:"verified_at"`
	VerifiedBy  string    `json:"verified_by"`
}

// LossReportVerified publishes a verified loss report; the screening use
// case calls it when the township verifies one (a correction verified
// again is a new report id).
func (s *Service) LossReportVerified(ctx context.Context, n LossReportNotice) error {
	return s.Publish(ctx, backstop.EventLossReportVerified, fmt.Sprintf("loss_report:%d", n.ID), []string{n.Village}, n)
}

// CaseNotice is a monitoring case opened or cleared, without personal
// data.
type CaseNotice struct {
	ID           int64     `json:"case_id"`
	Household    string    `json:"household"` // 户编号
	Village      string    `json:"village"`
	MonitorType  string    `json:"monitor_type,omitempty"`
	RiskTypes    []string  `json:"risk_types,omitempty"`
	GreenChannel bool      `json:"green_channel"`
	At           time.Time `json:"at"`
}

// CaseOpened publishes a case that was opened (approved, or at once on
// the green channel); the cases use case calls it.
func (s *Service) CaseOpened(ctx context.Context, c CaseNotice) error {
	return s.Publish(ctx, backstop.EventCaseOpened, fmt.Sprintf("case:%d", c.ID), []string{c.Village}, c)
}

// CaseCleared publishes a case whose risk was cleared; a case reopened
// and cleared again is a new clearing (its at names it).
func (s *Service) CaseCleared(ctx context.Context, c CaseNotice) error {
	return s.Publish(ctx, backstop.EventCaseCleared, fmt.Sprintf("case:%d:%s", c.ID, c.At.UTC().Format(time.RFC3339)), []string{c.Village}, c)
}

// EventStored publishes a disaster event the screening use case opened.
func (s *Service) EventStored(ctx context.Context, e *backstop.DisasterEvent) {
	n := EventNotice{ID: e.ID, Name: e.Title, Hazard: string(e.Hazard), Start: e.StartedAt, Regions: e.Regions, Warnings: e.Warnings}
	if err := s.EventOpened(ctx, n); err != nil {
		s.logger().Error("sharing: publish event", "event", e.ID, "err", err)
	}
}

// LossReportStored publishes a loss report the township verified, with
// whether its assessment found the household at risk.
func (s *Service) LossReportStored(ctx context.Context, r *backstop.LossReport, a *backstop.Assessment) {
	n := LossReportNotice{ID: r.ID, EventID: r.EventID, Household: r.HouseholdNumber, Village: r.VillageCode, HouseDamage: string(r.HouseDamage), Rooms: r.HouseRooms, VerifiedBy: r.VerifiedBy}
	if r.VerifiedAt != nil {
		n.VerifiedAt = *r.VerifiedAt
	}
	if a != nil {
		n.AtRisk = a.AtRisk
	}
	if err := s.LossReportVerified(ctx, n); err != nil {
		s.logger().Error("sharing: publish loss report", "report", r.ID, "err", err)
	}
}
