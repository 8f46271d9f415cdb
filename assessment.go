package backstop

import (
	"time"
)

// Reason codes of a risk assessment.
const (
	ReasonIncome     = "income_below_line" // projected per-capita income under the monitoring line
	ReasonHousing    = "housing_unsafe"    // 住房安全
	ReasonWater      = "water_unsafe"      // 饮水安全
	ReasonSchooling  = "schooling"         // 义务教育
	ReasonMedical    = "medical"           // 基本医疗
	ReasonBasicNeeds = "basic_needs"       // 不愁吃、不愁穿
)

// Notes of an assessment: what it could not judge, and why.
const (
	NoteNoLine   = "no_monitoring_line" // no line is set for the region and year: income was not compared
	NoteNoIncome = "no_income_recorded" // the registry has no per-capita income for the household
)

// Reason is one finding of an assessment with the figures behind it.
type Reason struct {
	Code string `json:"code"`
	Text string `json:"text"` // Chinese, with the figures
	EN   string `json:"en"`
	// Figures are the numbers the finding rests on, by name.
	Figures map[string]float64 `json:"figures,omitempty"`
	// Source names what the finding comes from: the loss report, the
	// registry, the checklist.
	Source string `json:"source"`
}

// RiskType is one entry of code table 100A27 (致贫/返贫风险类型).
type RiskType struct {
	Code string `json:"code"`
	Name string `json:"name"`
	// SubItem is required with 因自然灾害 (100A27006): 洪涝灾害, 地质灾害 …
	SubItem string `json:"sub_item,omitempty"`
	Note    string `json:"note,omitempty"`
}

// RiskNaturalDisaster is the 100A27 code of 因自然灾害.
const RiskNaturalDisaster = "100A27006"

// MaxRiskTypes is how many risk types the national system takes.
const MaxRiskTypes = 5

// CropClasses are the loss shares (percent) from which a crop counts as
// affected (受灾), damaged (成灾) and failed (绝收).
type CropClasses struct {
	Affected, Damaged, Failed float64
	PolicyID                  int64
}

// Class names a loss percentage's class: "" below affected.
func (c CropClasses) Class(pct float64) string {
	switch {
	case pct >= c.Failed:
		return "failed"
	case pct >= c.Damaged:
		return "damaged"
	case pct >= c.Affected:
		return "affected"
	}
	return ""
}

// Assessment is the loss and risk judgement of a household from one loss
// report version: at risk or not, every reason with its figures, and the
// policy versions used. Stored as made: a later policy version never
// rewrites it.
type Assessment struct {
	ID              int64  `json:"id,omitempty"`
	HouseholdNumber string `json:"household_number"`
	VillageCode     string `json:"village_code"`
	LossReportID    int64  `json:"loss_report_id"`
	EventID         int64  `json:"event_id,omitempty"`
	AtRisk          bool   `json:"at_risk"`
	// Score orders assessments by risk: reasons weighted, and how far
	// under the line the income falls.
	Score   float64  `json:"score"`
	Reasons []Reason `json:"reasons"`
	Notes   []Reason `json:"notes,omitempty"`
	// Income: the registry's figure, the projected one, and the line in
	// force on the report date (nil when none is set).
	IncomePerCapita          *float64   `json:"income_per_capita"`
	ProjectedPerCapitaIncome *float64   `json:"projected_per_capita_income"`
	MonitoringLine           *float64   `json:"monitoring_line"`
	People                   int        `json:"people"`
	CropClass                string     `json:"crop_class,omitempty"`
	PolicyIDs                []int64    `json:"policy_ids"`
	SuggestedMonitorType     string     `json:"suggested_monitor_type,omitempty"`
	RiskTypes                []RiskType `json:"risk_types"`
	DisasterCaused           bool       `json:"disaster_caused"`
	GreenChannel             bool       `json:"green_channel"`
	// GreenChannelWhy says why it applies or not.
	GreenChannelWhy string    `json:"green_channel_why"`
	ReportDate      string    `json:"report_date"` // YYYY-MM-DD, Beijing
	AssessedAt      time.Time `json:"assessed_at"`
	Current         bool      `json:"current"`
}

// HasReason tells whether the assessment found a reason.
func (a *Assessment) HasReason(code string) bool {
	for _, r := range a.Reasons {
		if r.Code == code {
			return true
		}
	}
	return false
}

// AssessmentChange is what a re-evaluation under today's policy versions
// would change in a stored assessment; nothing is written.
type AssessmentChange struct {
	Stored    *Assessment `json:"stored"`
	Now       *Assessment `json:"now"`
	Changed   bool        `json:"changed"`
	Changes   []string    `json:"changes"` // Chinese, one line per difference
	ChangesEN []string    `json:"changes_en"`
}

// AssessmentFilter selects current assessments in the user's region.
type AssessmentFilter struct {
	Region  string
	EventID int64
	AtRisk  bool
	Offset  int
	Limit   int
}

// AtRiskEntry is a line of the queue of households assessed at risk that
// are not monitored: where the cases start from.
type AtRiskEntry struct {
	Assessment *Assessment `json:"assessment"`
	HeadName   string      `json:"head_name"`
	Village    string      `json:"village"`
	Township   string      `json:"township"`
	// DaysSinceReport counts calendar days from the report's date.
	DaysSinceReport int `json:"days_since_report"`
}
