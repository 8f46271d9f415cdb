package backstop

import (
	"context"
	"encoding/json"
	"time"
)

// CampaignKind is what a screening campaign (排查) looks for.
type CampaignKind string

// Campaign kinds.
const (
	CampaignPostDisaster CampaignKind = "post_disaster" // after a disaster: who was hurt, who may fall back
	CampaignPreSeason    CampaignKind = "pre_season"    // before a flood or drought season
	CampaignFireHazard   CampaignKind = "fire_hazard"   // fire hazards in 易地扶贫搬迁 high-rises
)

// CampaignKinds lists them.
var CampaignKinds = []CampaignKind{CampaignPostDisaster, CampaignPreSeason, CampaignFireHazard}

// ParseCampaignKind checks a kind name.
func ParseCampaignKind(s string) (CampaignKind, error) {
	for _, k := range CampaignKinds {
		if string(k) == s {
			return k, nil
		}
	}
	return "", Localized(EINVALID, "排查类型（kind）只能是 post_disaster（灾后排查）、pre_season（汛前/季前排查）或 fire_hazard（搬迁高楼火灾隐患排查），不能是“%s”",
		"kind must be post_disaster, pre_season or fire_hazard, not %q", s)
}

// Stream and task kinds of screening.
const (
	StreamCampaign          = "campaign"
	TaskVisit      TaskKind = "visit" // visit a household and fill the must-check list (and the loss form)
)

// Visit outcomes.
const (
	VisitDone    = "visited"  // visited, checklist filled
	VisitNotHome = "not_home" // nobody at home; visit again
)

// Cohort rules of the must-visit list (必访): each code selects households
// of the registry. The list of rules in force is policy data
// (PolicyMustVisit + kind); these are the codes a rule may use.
const (
	CohortTekunDispersed = "tekun_dispersed" // 分散供养特困人员
	CohortDibao          = "dibao"           // 低保对象
	CohortFormerlyPoor   = "formerly_poor"   // 脱贫户
	CohortMonitored      = "monitored"       // 监测对象
	CohortDisability     = "disability"      // 残疾人家庭
	CohortLowIncome      = "low_income"      // 低收入家庭
	CohortElderlyAlone   = "elderly_alone"   // 独居老人
	CohortLossReported   = "loss_reported"   // reported a loss in the event
	CohortHighRise       = "relocation_high_rise"
	CohortEveryone       = "all" // every household of the area
)

// CohortCodes lists every rule code a must-visit list may use.
var CohortCodes = []string{CohortTekunDispersed, CohortDibao, CohortFormerlyPoor, CohortMonitored, CohortDisability, CohortLowIncome, CohortElderlyAlone,
	CohortLossReported, CohortHighRise, CohortEveryone}

// ListItem is one entry of a structured policy list or checklist.
type ListItem struct {
	Code     string `json:"code"`
	ZH       string `json:"zh"`
	EN       string `json:"en,omitempty"`
	Required bool   `json:"required,omitempty"`
}

// ListItems reads the items of a list or checklist policy version.
func (p *Policy) ListItems() ([]ListItem, error) {
	var items []ListItem
	if err := json.Unmarshal(p.Data, &items); err != nil || len(items) == 0 {
		return nil, Localized(EINVALID, "政策参数“%s”（第%d版）不是列表", "Policy %s (version %d) is not a list.", p.Key, p.ID)
	}
	return items, nil
}

// Campaign is one screening campaign: its kind, where it came from (an
// event, a warning's exposure, or a region and period), the must-visit and
// must-check lists it used, and its visits' due date.
type Campaign struct {
	ID        int64        `json:"id"`
	Kind      CampaignKind `json:"kind"`
	Title     string       `json:"title"`
	EventID   int64        `json:"event_id,omitempty"`
	WarningID int64        `json:"warning_id,omitempty"`
	// Region is the area screened (for an event or warning, the smallest
	// region holding it), for scope.
	Region     string     `json:"region"`
	PeriodFrom string     `json:"period_from,omitempty"` // YYYY-MM-DD
	PeriodTo   string     `json:"period_to,omitempty"`
	StreamID   int64      `json:"stream_id"`
	Cohorts    []ListItem `json:"cohorts"`
	Checklist  []ListItem `json:"checklist"`
	// DueWorkdays is the visits' limit, from the policy or the request.
	DueWorkdays int       `json:"due_workdays"`
	Due         time.Time `json:"due"`
	DueDate     string    `json:"due_date"`
	Provisional bool      `json:"provisional,omitempty"`
	// PolicyIDs are the versions used: must-visit, must-check, due days.
	PolicyIDs []int64 `json:"policy_ids"`
	Visits    int     `json:"visits"`
	// LinksExpire is when the helpers' links sent for it stop working.
	LinksExpire time.Time `json:"-"`
	CreatedBy   string    `json:"created_by"`
	CreatedAt   time.Time `json:"created_at"`
}

// CampaignScope is the set of households a campaign screens before its
// cohort rules: a snapshot's exposed households, or the households of
// regions.
type CampaignScope struct {
	SnapshotID int64
	Regions    []string
	// EventID is the event whose loss reports the loss_reported rule
	// reads.
	EventID int64
}

// CampaignProgress counts a campaign's visits in the user's region, per
// village (for the map) and township.
type CampaignProgress struct {
	Visits    int              `json:"visits"`
	Done      int              `json:"done"`
	NotHome   int              `json:"not_home"`
	Open      int              `json:"open"`
	Overdue   int              `json:"overdue"`
	Escalated int              `json:"escalated"`
	Villages  []RegionProgress `json:"villages"`
	Townships []RegionProgress `json:"townships"`
}

// RegionProgress is one region's visits.
type RegionProgress struct {
	Code    string `json:"code"`
	Name    string `json:"name"`
	Visits  int    `json:"visits"`
	Done    int    `json:"done"`
	Overdue int    `json:"overdue"`
}

// CampaignFilter selects campaigns.
type CampaignFilter struct {
	EventID int64
	Offset  int
	Limit   int
}

// VisitPayload is what a visit task carries besides a confirmation's
// fields: its campaign and kind, and the report it produced.
type VisitPayload struct {
	Campaign     int64        `json:"campaign"`
	CampaignKind CampaignKind `json:"campaign_kind,omitempty"`
	EventID      int64        `json:"event_id,omitempty"`
	LossReport   int64        `json:"loss_report,omitempty"`
}

// Assignee is a helper or cadre with work in a stream.
type Assignee struct {
	Phone, Name string
	Village     string
	Tasks       int
}

// CampaignService stores campaigns and their visits.
type CampaignService interface {
	// CreateCampaign stores c with its stream and clock (subject set
	// here) and one visit per household of the scope that a cohort rule
	// selects, assigned to its helper (else the village's first cadre),
	// in one transaction. c.Visits is set to the number made.
	CreateCampaign(ctx context.Context, c *Campaign, scope CampaignScope, clock *Clock) error
	FindCampaign(ctx context.Context, id int64) (*Campaign, error)
	FindCampaigns(ctx context.Context, f CampaignFilter) ([]*Campaign, int, error)
	CampaignProgress(ctx context.Context, id int64, now time.Time) (*CampaignProgress, error)
	// CampaignAssignees lists who has visits in a campaign: phone, name
	// and how many visits, unscoped (for the campaign's messages).
	CampaignAssignees(ctx context.Context, id int64) ([]Assignee, error)
	// FindVisit returns a visit task in the user's region.
	FindVisit(ctx context.Context, taskID int64) (*FieldTask, error)
	// FinishVisit records a visit's outcome (and the report it made) by
	// compare-and-set on an open task in the user's region.
	FinishVisit(ctx context.Context, taskID int64, outcome, note string, report int64, by string) (*FieldTask, error)
}
