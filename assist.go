package backstop

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"time"
)

// Household-level assistance (issue 12 item 4): the housing reconstruction
// subsidy from a per-county policy table, with the only-dwelling (唯一住房)
// confirmation and the disbursements; drinking-water repairs, quality
// tests, emergency supply points and the re-check of the four indicators;
// relief grants (临时救助, basic-living relief) that count as transfer
// income in the next assessment.

// PolicyHousingSubsidy is the per-county housing reconstruction subsidy
// table: per_room and household_cap by damage class, uplift_pct for
// 脱贫户 and 监测对象. No national default exists: a county without its own
// version gets an error naming the missing table.
const PolicyHousingSubsidy = "housing_subsidy"

// Rows and columns of the housing subsidy table.
var (
	housingSubsidyRows    = []string{"per_room", "household_cap", "uplift_pct"}
	housingSubsidyClasses = []string{string(DamageCollapsed), string(DamageSevere), string(DamageModerate)}
	housingSubsidyUplifts = []string{CohortFormerlyPoor, CohortMonitored}
)

func init() {
	RegisterPolicyKey(PolicyKey{Key: PolicyHousingSubsidy, Type: PolicyTable, Unit: "yuan", Min: 0, Max: 1e7,
		Rows: housingSubsidyRows,
		Cols: append(append([]string{}, housingSubsidyClasses...), housingSubsidyUplifts...),
		ZH:   "因灾倒损住房恢复重建补助标准（按县区：每间补助、每户上限、脱贫户/监测对象上浮比例）",
		EN:   "housing reconstruction subsidy per county: per room and household cap by damage class, uplift percent for formerly poor and monitored households",
		Check: func(data json.RawMessage) error {
			_, err := parseHousingSubsidyData(data)
			return err
		}})
}

// HousingSubsidyTable is one version of a county's subsidy table.
type HousingSubsidyTable struct {
	PerRoom    map[string]float64 `json:"per_room"`
	Cap        map[string]float64 `json:"household_cap"`
	UpliftPct  map[string]float64 `json:"uplift_pct"`
	PolicyID   int64              `json:"-"`
	PolicyFrom time.Time          `json:"-"`
}

func parseHousingSubsidyData(data json.RawMessage) (*HousingSubsidyTable, error) {
	var t HousingSubsidyTable
	bad := func(zh, en string, args ...any) error {
		k, _ := PolicyKeyOf(PolicyHousingSubsidy)
		return k.bad(zh, en, args...)
	}
	if err := json.Unmarshal(data, &t); err != nil {
		return nil, bad("应为 {\"per_room\":{…},\"household_cap\":{…},\"uplift_pct\":{…}}", "expected {\"per_room\":{…},\"household_cap\":{…},\"uplift_pct\":{…}}")
	}
	for _, row := range []struct {
		name string
		m    map[string]float64
		cols []string
	}{{"per_room", t.PerRoom, housingSubsidyClasses}, {"household_cap", t.Cap, housingSubsidyClasses}, {"uplift_pct", t.UpliftPct, housingSubsidyUplifts}} {
		if len(row.m) != len(row.cols) {
			return nil, bad("行“%s”须恰好有这些列：%v", "row %q needs exactly the columns %v", row.name, row.cols)
		}
		for _, c := range row.cols {
			v, ok := row.m[c]
			if !ok {
				return nil, bad("行“%s”缺少列“%s”", "row %q lacks column %q", row.name, c)
			}
			if math.IsNaN(v) || v < 0 || (row.name == "uplift_pct" && v > 100) {
				return nil, bad("%s.%s：%g 超出范围", "%s.%s: %g is out of range", row.name, c, v)
			}
		}
	}
	return &t, nil
}

// HousingSubsidyTableOf reads a stored version of the table.
func HousingSubsidyTableOf(p *Policy) (*HousingSubsidyTable, error) {
	t, err := parseHousingSubsidyData(p.Data)
	if err != nil {
		return nil, err
	}
	t.PolicyID, t.PolicyFrom = p.ID, p.EffectiveFrom
	return t, nil
}

// SubsidyComputation is the amount of a housing subsidy with every figure
// behind it.
type SubsidyComputation struct {
	Class        HouseDamage `json:"house_damage"`
	Rooms        int         `json:"house_rooms"`
	PerRoom      float64     `json:"per_room"`
	Cap          float64     `json:"household_cap"`
	Base         float64     `json:"base"` // min(rooms × per_room, cap)
	UpliftPct    float64     `json:"uplift_pct"`
	UpliftGroup  string      `json:"uplift_group,omitempty"` // formerly_poor or monitored
	Amount       int64       `json:"amount"`                 // whole yuan
	Rounding     string      `json:"rounding"`
	NotEligible  string      `json:"not_eligible,omitempty"` // why the amount is 0, Chinese
	PolicyID     int64       `json:"policy_id"`
	PolicyRegion string      `json:"policy_region"`
}

// SubsidyRounding says how the amount is rounded.
const SubsidyRounding = "half_up_to_yuan"

// Compute applies the table: min(rooms × per_room[class],
// household_cap[class]) × (1 + uplift ÷ 100), the uplift of a 脱贫户 or a
// 监测对象 (the larger if both), rounded half up to whole yuan.
func (t *HousingSubsidyTable) Compute(class HouseDamage, rooms int, formerlyPoor, monitored bool) SubsidyComputation {
	c := SubsidyComputation{Class: class, Rooms: rooms, Rounding: SubsidyRounding, PolicyID: t.PolicyID}
	if class == DamageNone || class == "" || rooms <= 0 {
		c.NotEligible = "住房未因灾损坏，无恢复重建补助"
		return c
	}
	c.PerRoom, c.Cap = t.PerRoom[string(class)], t.Cap[string(class)]
	c.Base = math.Min(float64(rooms)*c.PerRoom, c.Cap)
	if formerlyPoor && t.UpliftPct[CohortFormerlyPoor] >= c.UpliftPct {
		c.UpliftPct, c.UpliftGroup = t.UpliftPct[CohortFormerlyPoor], CohortFormerlyPoor
	}
	if monitored && t.UpliftPct[CohortMonitored] > c.UpliftPct {
		c.UpliftPct, c.UpliftGroup = t.UpliftPct[CohortMonitored], CohortMonitored
	}
	if c.UpliftPct == 0 {
		c.UpliftGroup = ""
	}
	c.Amount = int64(math.Floor(c.Base*(1+c.UpliftPct/100) + 0.5))
	return c
}

// HousingSubsidy is a household's housing reconstruction subsidy as of
// its latest loss report: the amount, the table version used, whether the
// township verified the report, the only-dwelling confirmation and what
// was paid.
type HousingSubsidy struct {
	Household    string             `json:"household"`
	County       string             `json:"county"`
	LossReportID int64              `json:"loss_report_id"`
	EventID      int64              `json:"event_id,omitempty"`
	Verified     bool               `json:"verified"`
	Amount       int64              `json:"amount"`
	PolicyIDs    []int64            `json:"policy_ids"`
	Computation  SubsidyComputation `json:"computation"`
	OnlyDwelling *SubsidyRecord     `json:"only_dwelling"`
	Disbursed    int64              `json:"disbursed"`
	Outstanding  int64              `json:"outstanding"`
	Records      []*SubsidyRecord   `json:"records"`
	// Payable tells whether a disbursement may be recorded now, and
	// Blocked why not (Chinese).
	Payable bool     `json:"payable"`
	Blocked []string `json:"blocked,omitempty"`
}

// Subsidy record kinds.
const (
	SubsidyOnlyDwelling = "only_dwelling" // 唯一住房 confirmed (or denied)
	SubsidyDisbursement = "disbursement"  // money paid
)

// SubsidyRecord is one fact about a household's housing subsidy: an
// only-dwelling confirmation or a disbursement. Records are never edited.
type SubsidyRecord struct {
	ID           int64     `json:"id"`
	Kind         string    `json:"kind"`
	Household    string    `json:"household"`
	HouseholdID  int64     `json:"-"`
	VillageCode  string    `json:"village_code"`
	LossReportID int64     `json:"loss_report_id"`
	OnlyDwelling bool      `json:"only_dwelling,omitempty"`
	Amount       int64     `json:"amount,omitempty"`
	PaidOn       string    `json:"paid_on,omitempty"`
	PaidBy       string    `json:"paid_by,omitempty"` // the paying office or person
	PolicyIDs    []int64   `json:"policy_ids,omitempty"`
	Note         string    `json:"note,omitempty"`
	RecordedBy   string    `json:"recorded_by"`
	RecordedAt   time.Time `json:"recorded_at"`
}

// Relief kinds.
const (
	ReliefTemporary   = "temporary"    // 临时救助
	ReliefBasicLiving = "basic_living" // 受灾人员基本生活救助 for key groups
)

// ReliefKindZH names the kinds.
var ReliefKindZH = map[string]string{ReliefTemporary: "临时救助", ReliefBasicLiving: "基本生活救助"}

// ReliefGrant is relief money granted to a household: transfer income in
// its next assessment (since the event's start).
type ReliefGrant struct {
	ID          int64     `json:"id"`
	Household   string    `json:"household"`
	HouseholdID int64     `json:"-"`
	VillageCode string    `json:"village_code"`
	Kind        string    `json:"kind"`
	Amount      float64   `json:"amount"`
	GrantedOn   string    `json:"granted_on"` // YYYY-MM-DD
	EventID     int64     `json:"event_id,omitempty"`
	KeyGroups   []string  `json:"key_groups"`
	Note        string    `json:"note,omitempty"`
	RecordedBy  string    `json:"recorded_by"`
	RecordedAt  time.Time `json:"recorded_at"`
}

// Water record kinds.
const (
	WaterQualityTest = "quality_test" // a lab's test
	WaterRecheck     = "recheck"      // the four indicators re-checked
)

// WaterRecord is a water-quality test or a re-check of a household's four
// drinking-water indicators against the standard in force.
type WaterRecord struct {
	ID          int64      `json:"id"`
	Kind        string     `json:"kind"`
	Household   string     `json:"household"`
	HouseholdID int64      `json:"-"`
	VillageCode string     `json:"village_code"`
	On          string     `json:"on"` // YYYY-MM-DD
	Lab         string     `json:"lab,omitempty"`
	Pass        bool       `json:"pass"`
	Water       WaterCheck `json:"water"`
	// Failures lists the indicators under the standard (Chinese).
	Failures   []string  `json:"failures"`
	PolicyID   int64     `json:"policy_id,omitempty"`
	Note       string    `json:"note,omitempty"`
	RecordedBy string    `json:"recorded_by"`
	RecordedAt time.Time `json:"recorded_at"`
}

// Water repair states.
const (
	RepairOpen = "open"
	RepairDone = "done"
)

// A water repair's clock (subject water_repair:<id>) runs from its opening
// to its due date and escalates when it passes; its messages go out in the
// household's open case's stream, or the repair's own (StreamWaterRepair)
// when the household has no open case.
const (
	ClockWaterRepair  = "assist.water_repair"
	StreamWaterRepair = "water_repair"
)

// WaterRepair is a repair task of a household's water supply for a helper
// or a department, with its due date in working days.
type WaterRepair struct {
	ID          int64      `json:"id"`
	Household   string     `json:"household"`
	HouseholdID int64      `json:"-"`
	VillageCode string     `json:"village_code"`
	Problem     string     `json:"problem"`
	Assignee    string     `json:"assignee"`
	Department  string     `json:"department,omitempty"`
	DueOn       string     `json:"due_on"`
	State       string     `json:"state"`
	DoneOn      string     `json:"done_on,omitempty"`
	Note        string     `json:"note,omitempty"`
	Version     int        `json:"version"`
	CreatedBy   string     `json:"created_by"`
	CreatedAt   time.Time  `json:"created_at"`
	DoneBy      string     `json:"done_by,omitempty"`
	DoneAt      *time.Time `json:"done_at,omitempty"`
	Overdue     bool       `json:"overdue"`
	// HeadName and StreamID are read for the escalation.
	HeadName string `json:"-"`
	StreamID int64  `json:"-"`
}

// SupplyPoint is an emergency water supply point of a village.
type SupplyPoint struct {
	ID          int64     `json:"id"`
	VillageCode string    `json:"village_code"`
	Name        string    `json:"name"`
	Location    Point     `json:"location"`
	Households  int       `json:"households_served"`
	Note        string    `json:"note,omitempty"`
	CreatedBy   string    `json:"created_by"`
	CreatedAt   time.Time `json:"created_at"`
}

// PolicyWaterRepairDue: working days a water repair is due in.
const PolicyWaterRepairDue = "assist.water_repair_workdays"

func init() {
	RegisterPolicyKey(PolicyKey{Key: PolicyWaterRepairDue, Type: PolicyNumber, Unit: "workdays", Required: true, Min: 1, Max: 120,
		ZH: "饮水设施维修完成时限（工作日）", EN: "working days a drinking-water repair is due in"})
}

// Limits of assistance inputs.
const (
	MaxAssistAmount = 1e7 // yuan, one grant or disbursement
	MaxAssistText   = 500 // characters of a note, a lab, a name
	MaxSupplyServed = 100000
)

// AssistService stores the household-level assistance records, each in
// the household's village for scope.
type AssistService interface {
	// CreateSubsidyRecord appends an only-dwelling confirmation.
	CreateSubsidyRecord(ctx context.Context, r *SubsidyRecord) error
	// PayHousingSubsidy appends a disbursement unless the report's
	// disbursements would pass limit (ECONFLICT), checked in one
	// transaction.
	PayHousingSubsidy(ctx context.Context, r *SubsidyRecord, limit int64) error
	FindSubsidyRecords(ctx context.Context, household string) ([]*SubsidyRecord, error)
	CreateRelief(ctx context.Context, g *ReliefGrant) error
	FindRelief(ctx context.Context, household, region string, offset, limit int) ([]*ReliefGrant, int, error)
	// ReliefIncome sums a household's relief granted on or after since.
	ReliefIncome(ctx context.Context, householdID int64, since string) (float64, []int64, error)
	CreateWaterRecord(ctx context.Context, r *WaterRecord) error
	FindWaterRecords(ctx context.Context, household string) ([]*WaterRecord, error)
	// CreateWaterRepair opens a repair and starts its clock (kind, subject
	// and region set here) in one transaction, in the stream of the
	// household's open case or a new one of its own.
	CreateWaterRepair(ctx context.Context, r *WaterRepair, clk *Clock) error
	FindWaterRepair(ctx context.Context, id int64) (*WaterRepair, error)
	// FinishWaterRepair marks an open repair done by compare-and-set on
	// its version (ECONFLICT when it changed), its clock met with it.
	FinishWaterRepair(ctx context.Context, id int64, version int, doneOn, note string) (*WaterRepair, error)
	FindWaterRepairs(ctx context.Context, household, region string, open bool, offset, limit int) ([]*WaterRepair, int, error)
	CreateSupplyPoint(ctx context.Context, p *SupplyPoint) error
	FindSupplyPoints(ctx context.Context, region string, offset, limit int) ([]*SupplyPoint, int, error)
}

// CountyOfVillage is the county code of a 12-digit code.
func CountyOfVillage(code string) string {
	if len(code) < 6 {
		return code
	}
	return code[:6] + "000000"
}

// NoSubsidyTable is the error of a county without a housing subsidy table.
func NoSubsidyTable(county string) error {
	return &Error{Code: EUNAVAILABLE, Message: fmt.Sprintf("County %s has no housing subsidy table (policy %s): an admin adds the county's version; no default amount is used.", county, PolicyHousingSubsidy),
		ZH:      fmt.Sprintf("县区%s没有住房恢复重建补助标准表（政策参数 %s）：请管理员录入该县区的标准，系统不使用默认金额", county, PolicyHousingSubsidy),
		Details: []Problem{{Path: PolicyHousingSubsidy, Reason: "missing table for county " + county, ReasonZH: "缺少县区" + county + "的补助标准表"}}}
}
