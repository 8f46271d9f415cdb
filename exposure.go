package backstop

import (
	"context"
	"time"
)

// ExposureCounts are the breakdowns of who a warning reaches: households
// and people in all, by key group, by livelihood (the "industry" of
// 分行业), by house safety grade and structure, by water source.
type ExposureCounts struct {
	Households   int            `json:"households"`
	People       int            `json:"people"`
	Groups       map[string]int `json:"groups"`        // households per key group
	GroupPeople  map[string]int `json:"group_people"`  // people in those households
	Livelihood   map[string]int `json:"livelihood"`    // households
	HousingGrade map[string]int `json:"housing_grade"` // households
	Structure    map[string]int `json:"structure"`     // households
	WaterSource  map[string]int `json:"water_source"`  // households
}

// NewExposureCounts returns empty counts with their maps made.
func NewExposureCounts() *ExposureCounts {
	return &ExposureCounts{Groups: map[string]int{}, GroupPeople: map[string]int{}, Livelihood: map[string]int{},
		HousingGrade: map[string]int{}, Structure: map[string]int{}, WaterSource: map[string]int{}}
}

// Add sums other into c.
func (c *ExposureCounts) Add(o *ExposureCounts) {
	c.Households += o.Households
	c.People += o.People
	for _, m := range []struct{ dst, src map[string]int }{{c.Groups, o.Groups}, {c.GroupPeople, o.GroupPeople}, {c.Livelihood, o.Livelihood},
		{c.HousingGrade, o.HousingGrade}, {c.Structure, o.Structure}, {c.WaterSource, o.WaterSource}} {
		for k, v := range m.src {
			m.dst[k] += v
		}
	}
}

// RegionExposure is one region's line of a breakdown by place.
type RegionExposure struct {
	Code string `json:"code"`
	Name string `json:"name"`
	*ExposureCounts
}

// Exposure is a stored computation of who a warning exposes, limited on
// read to the reader's region.
type Exposure struct {
	SnapshotID  int64            `json:"snapshot_id"`
	WarningID   int64            `json:"warning_id"`
	ComputedAt  time.Time        `json:"computed_at"`
	RegistryRev int64            `json:"registry_rev"`
	TookMS      float64          `json:"took_ms"`
	PolicyIDs   []int64          `json:"policy_ids"`
	Total       *ExposureCounts  `json:"total"`
	ByCounty    []RegionExposure `json:"by_county"`
	ByTownship  []RegionExposure `json:"by_township"`
	ByVillage   []RegionExposure `json:"by_village"`
	Scope       string           `json:"scope"`
}

// ExposedHousehold is one line of the ranked list.
type ExposedHousehold struct {
	Rank        int      `json:"rank"`
	HouseholdID int64    `json:"-"`
	Number      string   `json:"number"`
	HeadName    string   `json:"head_name"`
	VillageCode string   `json:"village_code"`
	Village     string   `json:"village"`
	Township    string   `json:"township"`
	People      int      `json:"people"`
	Phone       string   `json:"phone,omitempty"`
	HelperName  string   `json:"helper_name,omitempty"`
	HelperPhone string   `json:"helper_phone,omitempty"`
	Score       int      `json:"score"`
	Reasons     []string `json:"reasons"`
}

// ExposureSnapshot is what the exposure computation hands the store.
type ExposureSnapshot struct {
	WarningID   int64
	ComputedAt  time.Time
	RegistryRev int64
	PolicyIDs   []int64
	TookMS      float64
	Villages    map[string]*ExposureCounts
	Ranked      []RankedHousehold
}

// RankedHousehold is a household of a snapshot in rank order.
type RankedHousehold struct {
	HouseholdID int64
	VillageCode string
	Score       int
	Reasons     []string
}

// ExposureService stores exposure snapshots and reads them within the
// reader's region.
type ExposureService interface {
	SaveExposure(ctx context.Context, s *ExposureSnapshot) (int64, error)
	// FindExposure returns the latest snapshot of a warning, summed within
	// the user's region; ENOTFOUND when none was computed.
	FindExposure(ctx context.Context, warningID int64) (*Exposure, error)
	// FindExposedHouseholds pages the ranked list within the user's region.
	FindExposedHouseholds(ctx context.Context, snapshotID int64, offset, limit int) ([]*ExposedHousehold, int, error)
}

// HouseholdPoint is a household as the exposure index reads it.
type HouseholdPoint struct {
	ID                 int64
	Location           *Point
	VillageCode        string
	Groups             Group
	People             int
	HousingGrade       string
	HousingStructure   string
	Livelihood         string
	WaterSource        string
	RelocationHighRise bool
	YoungestBirth      string
	Deleted            bool
	Rev                int64
}

// HouseholdPoints streams the households changed after sinceRev (all, for
// 0), unscoped: the exposure index is a system component.
type HouseholdPointSource interface {
	ScanHouseholdPoints(ctx context.Context, sinceRev int64, fn func(HouseholdPoint) error) (int64, error)
}
