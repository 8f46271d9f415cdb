package backstop

import (
	"context"
	"time"
)

// EventState is where a disaster event (灾害过程) stands.
type EventState string

// Event states.
const (
	EventOngoing    EventState = "ongoing"    // the disaster is going on
	EventStabilised EventState = "stabilised" // 灾情稳定: the final report (核报) is due
	EventClosed     EventState = "closed"
)

// ParseEventState checks a state name.
func ParseEventState(s string) (EventState, error) {
	switch st := EventState(s); st {
	case EventOngoing, EventStabilised, EventClosed:
		return st, nil
	}
	return "", Localized(EINVALID, "灾害过程状态只能是 ongoing（进行中）、stabilised（灾情稳定）或 closed（已结束），不能是“%s”",
		"state must be ongoing, stabilised or closed, not %q", s)
}

// Clock kinds of disaster events and screening.
const (
	ClockEventInitial = "event.initial_report" // 初报 due after the event's start
	ClockEventFinal   = "event.final_report"   // 核报 due after the event stabilised
	// ClockEventFollowup: the next 续报 is due after the last report while
	// the event goes on (one running at a time, subject event:<id>:<report>).
	ClockEventFollowup = "event.followup_report"
	ClockCampaign      = "campaign.visits" // a campaign's visits due; overdue ones go to the township
	ClockIntakeCheck   = "intake.check"    // 村级核实
	ClockIntakeAnswer  = "intake.answer"   // 答复群众
	ClockIntakeReview  = "intake.approval" // 审核认定 to county approval
)

// DisasterEvent is one disaster (灾害过程): its hazard, start, the regions
// it struck, the warnings that announced it and its state.
type DisasterEvent struct {
	ID        int64      `json:"id"`
	Hazard    Hazard     `json:"hazard"`
	Title     string     `json:"title"`
	StartedAt time.Time  `json:"started_at"`
	Regions   []string   `json:"regions"` // 12-digit codes
	Region    string     `json:"region"`  // the smallest region holding them all, for scope
	Warnings  []int64    `json:"warning_ids"`
	State     EventState `json:"state"`
	// StabilisedAt and ClosedAt are set when the state moved there.
	StabilisedAt *time.Time `json:"stabilised_at,omitempty"`
	ClosedAt     *time.Time `json:"closed_at,omitempty"`
	CreatedBy    string     `json:"created_by"`
	CreatedAt    time.Time  `json:"created_at"`
}

// Covers tells whether a 12-digit code lies in one of the event's regions.
func (e *DisasterEvent) Covers(code string) bool {
	for _, r := range e.Regions {
		if CodeWithin(code, r) {
			return true
		}
	}
	return false
}

// Visible tells whether a user's region and the event's overlap: the
// event's area is inside the user's, or the user's inside one of its
// regions.
func (e *DisasterEvent) Visible(u *User) bool {
	if u == nil {
		return false
	}
	if u.Region == NationalScope {
		return true
	}
	for _, r := range e.Regions {
		if CodeWithin(r, u.Region) || CodeWithin(u.Region, r) {
			return true
		}
	}
	return false
}

// ReportKind is a disaster report (灾情报告) of the national disaster
// statistics: the first report within hours of the start, follow-ups
// while the disaster goes on, the final report once it is stable.
type ReportKind string

// Report kinds.
const (
	ReportInitial  ReportKind = "initial"  // 初报
	ReportFollowup ReportKind = "followup" // 续报
	ReportFinal    ReportKind = "final"    // 核报
)

// EventFigures are what the loss reports cannot give and an officer
// enters per region: deaths and missing (因灾死亡/失踪), people relocated
// and needing emergency relief beyond the households' reports, other
// direct losses (infrastructure, public facilities).
type EventFigures struct {
	Region        string    `json:"region"`
	Deaths        int       `json:"deaths"`
	Missing       int       `json:"missing"`
	Relocated     int       `json:"relocated"`
	ReliefNeeded  int       `json:"relief_needed"`
	OtherLossYuan float64   `json:"other_loss_yuan"`
	EnteredBy     string    `json:"entered_by,omitempty"`
	EnteredAt     time.Time `json:"entered_at"`
}

// EventReport is one filed report (初报, 续报, 核报) with the statistics
// as they stood when it was filed.
type EventReport struct {
	ID         int64               `json:"id"`
	EventID    int64               `json:"event_id"`
	Kind       ReportKind          `json:"kind"`
	Region     string              `json:"region"`
	Note       string              `json:"note,omitempty"`
	Statistics *DisasterStatistics `json:"statistics"`
	ReportedBy string              `json:"reported_by"`
	ReportedAt time.Time           `json:"reported_at"`
}

// DisasterFigures are the national disaster-statistics indicators of a
// region for an event, from the current loss reports and the entered
// figures.
type DisasterFigures struct {
	Region string `json:"region"`
	Name   string `json:"name,omitempty"`
	// Households with a current loss report.
	Reports         int `json:"reports"`
	AffectedPeople  int `json:"affected_people"`  // 受灾人口
	Relocated       int `json:"relocated"`        // 紧急转移安置人口
	ReliefNeeded    int `json:"relief_needed"`    // 需紧急生活救助人口
	WaterDifficulty int `json:"water_difficulty"` // 饮水困难人口
	Deaths          int `json:"deaths"`           // 因灾死亡 (entered)
	Missing         int `json:"missing"`          // 因灾失踪 (entered)
	// Crop areas in 亩 by loss class: affected ⊇ damaged ⊇ failed.
	CropAffectedMu float64 `json:"crop_affected_mu"` // 农作物受灾面积
	CropDamagedMu  float64 `json:"crop_damaged_mu"`  // 成灾面积
	CropFailedMu   float64 `json:"crop_failed_mu"`   // 绝收面积
	// Houses by damage class, in households (户) and rooms (间).
	CollapsedHouseholds int     `json:"collapsed_households"`
	CollapsedRooms      int     `json:"collapsed_rooms"`
	SevereHouseholds    int     `json:"severe_households"`
	SevereRooms         int     `json:"severe_rooms"`
	ModerateHouseholds  int     `json:"moderate_households"`
	ModerateRooms       int     `json:"moderate_rooms"`
	DirectLossYuan      float64 `json:"direct_loss_yuan"` // 直接经济损失
}

// DisasterStatistics are an event's figures in a region, named as the
// national forms name them, with a line per region below it.
type DisasterStatistics struct {
	EventID int64 `json:"event_id"`
	DisasterFigures
	// PolicyIDs are the versions counted by (crop classes, water).
	PolicyIDs  []int64           `json:"policy_ids"`
	Indicators []Indicator       `json:"indicators"`
	Rows       []DisasterFigures `json:"rows"` // per township or county below the region
}

// Indicator is one named figure of the statistics, as the national forms
// name it.
type Indicator struct {
	Key   string  `json:"key"`
	Name  string  `json:"name"`
	Value float64 `json:"value"`
	Unit  string  `json:"unit"`
}

// MuPerHectare converts 亩 to 公顷.
const MuPerHectare = 15

// Indicators lists the figures by name: every field once, in the order
// of the forms.
func (s *DisasterFigures) Indicators() []Indicator {
	return []Indicator{
		{"affected_people", "受灾人口", float64(s.AffectedPeople), "人"},
		{"relocated", "紧急转移安置人口", float64(s.Relocated), "人"},
		{"relief_needed", "需紧急生活救助人口", float64(s.ReliefNeeded), "人"},
		{"water_difficulty", "饮水困难人口", float64(s.WaterDifficulty), "人"},
		{"deaths", "因灾死亡人口", float64(s.Deaths), "人"},
		{"missing", "因灾失踪人口", float64(s.Missing), "人"},
		{"crop_affected_mu", "农作物受灾面积", s.CropAffectedMu, "亩"},
		{"crop_affected_ha", "农作物受灾面积（公顷）", s.CropAffectedMu / MuPerHectare, "公顷"},
		{"crop_damaged_mu", "农作物成灾面积", s.CropDamagedMu, "亩"},
		{"crop_damaged_ha", "农作物成灾面积（公顷）", s.CropDamagedMu / MuPerHectare, "公顷"},
		{"crop_failed_mu", "农作物绝收面积", s.CropFailedMu, "亩"},
		{"crop_failed_ha", "农作物绝收面积（公顷）", s.CropFailedMu / MuPerHectare, "公顷"},
		{"collapsed_households", "倒塌房屋户数", float64(s.CollapsedHouseholds), "户"},
		{"collapsed_rooms", "倒塌房屋间数", float64(s.CollapsedRooms), "间"},
		{"severe_households", "严重损坏房屋户数", float64(s.SevereHouseholds), "户"},
		{"severe_rooms", "严重损坏房屋间数", float64(s.SevereRooms), "间"},
		{"moderate_households", "一般损坏房屋户数", float64(s.ModerateHouseholds), "户"},
		{"moderate_rooms", "一般损坏房屋间数", float64(s.ModerateRooms), "间"},
		{"direct_loss_yuan", "直接经济损失", s.DirectLossYuan, "元"},
	}
}

// Add sums another line into this one.
func (s *DisasterFigures) Add(o *DisasterFigures) {
	s.Reports += o.Reports
	s.AffectedPeople += o.AffectedPeople
	s.Relocated += o.Relocated
	s.ReliefNeeded += o.ReliefNeeded
	s.WaterDifficulty += o.WaterDifficulty
	s.Deaths += o.Deaths
	s.Missing += o.Missing
	s.CropAffectedMu += o.CropAffectedMu
	s.CropDamagedMu += o.CropDamagedMu
	s.CropFailedMu += o.CropFailedMu
	s.CollapsedHouseholds += o.CollapsedHouseholds
	s.CollapsedRooms += o.CollapsedRooms
	s.SevereHouseholds += o.SevereHouseholds
	s.SevereRooms += o.SevereRooms
	s.ModerateHouseholds += o.ModerateHouseholds
	s.ModerateRooms += o.ModerateRooms
	s.DirectLossYuan += o.DirectLossYuan
}

// EventFilter selects events; the user's region applies too.
type EventFilter struct {
	State  string
	Offset int
	Limit  int
}

// EventService stores disaster events, their entered figures and reports.
type EventService interface {
	// CreateEvent stores an event with its initial-report clock (subject
	// and region set here), in one transaction.
	CreateEvent(ctx context.Context, e *DisasterEvent, initial *Clock) error
	// FindEvent returns an event the user's region overlaps, or ENOTFOUND.
	FindEvent(ctx context.Context, id int64) (*DisasterEvent, error)
	FindEvents(ctx context.Context, f EventFilter) ([]*DisasterEvent, int, error)
	// SetEventState moves an event by compare-and-set from its state; a
	// stabilised event starts its final-report clock and needs no more
	// follow-ups (their clock is cancelled).
	SetEventState(ctx context.Context, id int64, from, to EventState, final *Clock) error
	// SetEventFigures stores the entered figures of a region (replacing
	// earlier ones of that region).
	SetEventFigures(ctx context.Context, eventID int64, f *EventFigures) error
	EventFigures(ctx context.Context, eventID int64) ([]*EventFigures, error)
	// AddEventReport stores a report; an initial or final report meets
	// its clock; an initial or follow-up report meets the running
	// follow-up clock and starts next (subject set here), when given.
	AddEventReport(ctx context.Context, r *EventReport, next *Clock) error
	EventReports(ctx context.Context, eventID int64) ([]*EventReport, error)
	// EventStatistics sums the current loss reports of an event inside
	// region (and the user's), per township or county below it.
	EventStatistics(ctx context.Context, eventID int64, region string, rules StatisticsRules) (*DisasterStatistics, error)
}

// StatisticsRules are the policy values the statistics count by: the crop
// loss classes and the water standard (a household whose water fails is
// in 饮水困难人口).
type StatisticsRules struct {
	Crop                                CropClasses
	WaterLitres, WaterTrip, WaterOutage float64
	WaterPolicyID                       int64
}
