package backstop

import (
	"context"
	"strings"
	"time"
)

// Group is a key group a household belongs to, as bits so that a household
// can be in several and a filter can ask for any of them.
type Group uint32

const (
	GroupFormerlyPoor Group = 1 << iota // 脱贫户
	GroupMonitored                      // 监测对象 (risk not yet cleared)
	GroupDibao                          // 低保
	GroupTekun                          // 特困 (分散供养 or 集中供养)
	GroupDisability                     // at least one member with a disability
	GroupLowIncome                      // income below the monitoring line in force, or typed as such
	GroupElderlyAlone                   // one member, aged 60 or more (derived when queried)
)

// Groups lists every group in display order.
var Groups = []Group{GroupFormerlyPoor, GroupMonitored, GroupDibao, GroupTekun, GroupDisability, GroupLowIncome, GroupElderlyAlone}

// StoredGroups are the groups kept as bits on the household row; the others
// are derived at query time because they depend on today's date.
const StoredGroups = GroupFormerlyPoor | GroupMonitored | GroupDibao | GroupTekun | GroupDisability | GroupLowIncome

// The age from which a person living alone counts as an elderly person
// living alone is the policy PolicyElderlyAge (seeded 60: 老年人 by the
// Law on the Protection of the Rights and Interests of the Elderly, art. 2).

var groupNames = map[Group]string{
	GroupFormerlyPoor: "formerly_poor",
	GroupMonitored:    "monitored",
	GroupDibao:        "dibao",
	GroupTekun:        "tekun",
	GroupDisability:   "disability",
	GroupLowIncome:    "low_income",
	GroupElderlyAlone: "elderly_alone",
}

// String returns the API name of a single group.
func (g Group) String() string { return groupNames[g] }

// ParseGroup reads an API group name.
func ParseGroup(s string) (Group, error) {
	for g, name := range groupNames {
		if name == s {
			return g, nil
		}
	}
	return 0, Localized(EINVALID, "未知的人群“%s”（可选：脱贫户 formerly_poor、监测对象 monitored、低保 dibao、特困 tekun、残疾 disability、低收入 low_income、独居老人 elderly_alone）",
		"unknown group %q (known: formerly_poor, monitored, dibao, tekun, disability, low_income, elderly_alone)", MaskCell(s))
}

// ParseGroups reads group names from repeated or comma-separated values.
func ParseGroups(values []string) (Group, error) {
	var g Group
	for _, v := range values {
		for _, name := range strings.Split(v, ",") {
			if name = strings.TrimSpace(name); name == "" {
				continue
			}
			one, err := ParseGroup(name)
			if err != nil {
				return 0, err
			}
			g |= one
		}
	}
	return g, nil
}

// Names returns the API names of the groups set in g.
func (g Group) Names() []string {
	names := []string{}
	for _, one := range Groups {
		if g&one != 0 {
			names = append(names, one.String())
		}
	}
	return names
}

// Monitoring types (易返贫致贫户(监测对象)类型).
const (
	MonitorUnstable       = "脱贫不稳定户"
	MonitorMarginal       = "边缘易致贫户"
	MonitorSuddenHardship = "突发严重困难户"
)

// Household types (户类型) that carry a group.
const (
	HouseholdTypeFormerlyPoor = "脱贫户"
	HouseholdTypeOrdinary     = "一般农户"
)

// SocialAssistance is the household's standing in social assistance
// (社会救助: 低保, 特困供养), as the roster carries it — not to be
// confused with assistance measures (帮扶措施) that a case plans.
type SocialAssistance string

// Social assistance values (低保特困).
const (
	SocialDibao             SocialAssistance = "低保"
	SocialTekunDispersed    SocialAssistance = "分散供养特困"
	SocialTekunConcentrated SocialAssistance = "集中供养特困"
)

// Household is one registered rural household. Fields follow the national
// monitoring system's person list and backstop's extension columns.
type Household struct {
	ID             int64  `json:"-"`
	Number         string `json:"number"` // 户编号, stable across imports
	VillageCode    string `json:"village_code"`
	NaturalVillage string `json:"natural_village,omitempty"` // 自然村
	CountyName     string `json:"county,omitempty"`
	TownshipName   string `json:"township,omitempty"`
	VillageName    string `json:"village,omitempty"`
	HeadName       string `json:"head_name"`
	// Size is the declared number of people (人数); People counts the member
	// rows backstop holds.
	Size               int              `json:"size"`
	People             int              `json:"people"`
	Type               string           `json:"type,omitempty"`         // 户类型
	MonitorType        string           `json:"monitor_type,omitempty"` // 监测类型
	RiskCleared        *bool            `json:"risk_cleared,omitempty"`
	RiskIdentifiedOn   string           `json:"risk_identified_on,omitempty"` // YYYY-MM-DD
	RiskClearedOn      string           `json:"risk_cleared_on,omitempty"`
	IncomePerCapita    *float64         `json:"income_per_capita,omitempty"` // yuan per year
	DangerousHouse     *bool            `json:"dangerous_house,omitempty"`   // 危房户
	SafeWater          *bool            `json:"safe_water,omitempty"`        // 是否解决安全饮用水
	Phone              string           `json:"phone,omitempty"`
	HousingStructure   string           `json:"housing_structure,omitempty"` // 钢混 砖混 砖木 土木 其他
	HousingGrade       string           `json:"housing_grade,omitempty"`     // A B C D
	RelocationHighRise *bool            `json:"relocation_high_rise,omitempty"`
	Livelihood         string           `json:"livelihood,omitempty"`
	WaterSource        string           `json:"water_source,omitempty"`
	SocialAssistance   SocialAssistance `json:"social_assistance,omitempty"` // 低保 / 分散供养特困 / 集中供养特困
	HelperName         string           `json:"helper_name,omitempty"`
	HelperPhone        string           `json:"helper_phone,omitempty"`
	Location           *Point           `json:"location,omitempty"`
	DataDate           string           `json:"data_date,omitempty"`
	Groups             Group            `json:"-"`
	YoungestBirth      string           `json:"-"` // YYYY-MM-DD of the youngest member, for the elderly-alone group
	Members            []*Member        `json:"members,omitempty"`
	// LocalDecision is the current local monitoring decision, if any; it
	// outweighs the national view above for the monitored group.
	LocalDecision *MonitoringDecision `json:"local_decision,omitempty"`
	Version       int                 `json:"version"`
	UpdatedAt     time.Time           `json:"updated_at"`
}

// Member is one person of a household.
type Member struct {
	ID              int64  `json:"-"`
	Number          string `json:"number"` // 人编号
	HouseholdNumber string `json:"household_number"`
	Name            string `json:"name"`
	IDNumber        string `json:"id_number"`
	Relation        string `json:"relation,omitempty"`
	Ethnicity       string `json:"ethnicity,omitempty"`
	Education       string `json:"education,omitempty"`
	SchoolStatus    string `json:"school_status,omitempty"`
	Health          string `json:"health,omitempty"`
	Labour          string `json:"labour,omitempty"`
	MigrantMonths   *int   `json:"migrant_months,omitempty"`
	IllnessInsured  *bool  `json:"illness_insured,omitempty"`
	PovertyCause    string `json:"poverty_cause,omitempty"`
	Phone           string `json:"phone,omitempty"`
	FirstIdentified string `json:"first_identified_on,omitempty"`
	Identified      string `json:"identified_on,omitempty"`
	BirthDate       string `json:"birth_date,omitempty"` // from the ID number
	Disabled        bool   `json:"disabled"`
}

// HealthDisabled is the health value that marks a disability.
const HealthDisabled = "残疾"

// DeriveGroups computes the stored group bits from a household's own fields
// and its members. lowIncomeLine is the monitoring line in force (yuan per
// capita per year); 0 means none is known and income does not decide.
func (h *Household) DeriveGroups(lowIncomeLine float64) Group {
	var g Group
	if h.Type == HouseholdTypeFormerlyPoor {
		g |= GroupFormerlyPoor
	}
	monitored := h.NationalMonitored()
	if h.LocalDecision != nil {
		monitored = h.LocalDecision.Monitored
	}
	if monitored {
		g |= GroupMonitored
	}
	switch h.SocialAssistance {
	case SocialDibao:
		g |= GroupDibao
	case SocialTekunDispersed, SocialTekunConcentrated:
		g |= GroupTekun
	}
	switch h.Type {
	case "低收入户", "低保边缘户", "刚性支出困难户":
		g |= GroupLowIncome
	}
	if lowIncomeLine > 0 && h.IncomePerCapita != nil && *h.IncomePerCapita < lowIncomeLine {
		g |= GroupLowIncome
	}
	for _, m := range h.Members {
		if m.Disabled {
			g |= GroupDisability
		}
	}
	return g
}

// HouseholdFilter selects households. Every query is also limited to the
// scope of the user in the context.
type HouseholdFilter struct {
	Region string // 12-digit code: households inside it
	Groups Group  // any of these groups
	Query  string // household number, person number, name or ID number
	Offset int
	Limit  int
	// After pages by key (village code, household number) for exports,
	// which must neither skip nor repeat rows while the registry changes.
	After *HouseholdKey
}

// HouseholdKey is the order of household lists: by village, then number.
type HouseholdKey struct{ Village, Number string }

// HouseholdService stores households and members. Every method applies the
// scope of the user in ctx inside its query: outside the scope a read is
// ENOTFOUND and a write EFORBIDDEN.
type HouseholdService interface {
	// FindHousehold returns the household with its members, or ENOTFOUND.
	FindHousehold(ctx context.Context, number string) (*Household, error)
	// FindHouseholds returns a page and the total matching the filter.
	FindHouseholds(ctx context.Context, f HouseholdFilter) ([]*Household, int, error)
	// CreateHousehold stores a new household with its members.
	CreateHousehold(ctx context.Context, h *Household) error
	// UpdateHousehold replaces the household-level fields of h.Number.
	UpdateHousehold(ctx context.Context, h *Household) error
	// DeleteHousehold removes a household from the registry; its history stays.
	DeleteHousehold(ctx context.Context, number string) error
	// UpsertMember creates or updates one member of a household.
	UpsertMember(ctx context.Context, householdNumber string, m *Member) error
	// DeleteMember removes one member.
	DeleteMember(ctx context.Context, householdNumber, memberNumber string) error
	// ExportHouseholds calls fn for every household (with members) that the
	// filter selects in the user's scope, in a stable order.
	ExportHouseholds(ctx context.Context, f HouseholdFilter, fn func(*Household) error) error
	// HouseholdHistory lists the recorded changes of a household, newest first.
	// HouseholdHistory pages a household's recorded changes, newest
	// first, with their total.
	HouseholdHistory(ctx context.Context, number string, limit, offset int) ([]*HistoryEntry, int, error)
}

// HistoryEntry is one recorded change of a household.
type HistoryEntry struct {
	At     time.Time `json:"at"`
	Actor  string    `json:"actor"`
	Action string    `json:"action"`
	Detail string    `json:"detail,omitempty"`
}
