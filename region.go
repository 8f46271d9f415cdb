package backstop

import (
	"context"
	"strings"
)

// RegionLevel is the level of an administrative division.
type RegionLevel int

const (
	LevelProvince RegionLevel = 1 + iota
	LevelCity
	LevelCounty
	LevelTownship
	LevelVillage
)

// prefixLen is how many digits of a 12-digit code identify a region of the
// level (GB/T 2260 gives 2+2+2, the statistical codes add 3+3).
var prefixLen = [...]int{0: 0, LevelProvince: 2, LevelCity: 4, LevelCounty: 6, LevelTownship: 9, LevelVillage: 12}

func (l RegionLevel) String() string {
	switch l {
	case LevelProvince:
		return "province"
	case LevelCity:
		return "city"
	case LevelCounty:
		return "county"
	case LevelTownship:
		return "township"
	case LevelVillage:
		return "village"
	}
	return "unknown"
}

// PrefixLen is how many leading digits of a 12-digit code identify a region
// of the level.
func (l RegionLevel) PrefixLen() int { return prefixLen[l] }

// ParseRegionLevel reads a level name as String writes it.
func ParseRegionLevel(s string) (RegionLevel, bool) {
	for l := LevelProvince; l <= LevelVillage; l++ {
		if l.String() == s {
			return l, true
		}
	}
	return 0, false
}

// Region is an administrative division with its 12-digit statistical code.
type Region struct {
	Code       string      `json:"code"`
	Name       string      `json:"name"`
	Level      RegionLevel `json:"-"`
	ParentCode string      `json:"parent,omitempty"`
	// Centre is a representative point (the centroid of the boundary when
	// one is known).
	Centre *Point `json:"centre,omitempty"`
	// Boundary is loaded only when asked for: it can be large.
	Boundary MultiPolygon `json:"-"`
	// BoundarySource says where the boundary came from: "" (none),
	// "generated" (demo data) or "imported".
	BoundarySource string `json:"boundary_source,omitempty"`
	// Row is the row of the file the region was read from, for errors.
	Row int `json:"-"`
}

// NationalScope is the scope code of users who see every region, such as
// the first admin: no region row has it.
const NationalScope = "000000000000"

// NormalizeRegionCode checks a region code and pads it with zeros to 12
// digits. Codes of 2, 4, 6, 9 or 12 digits are accepted.
func NormalizeRegionCode(code string) (string, error) {
	code = strings.TrimSpace(code)
	switch len(code) {
	case 2, 4, 6, 9, 12:
	default:
		return "", Localized(EINVALID, "区划代码“%s”应为2、4、6、9或12位数字", "region code %q must have 2, 4, 6, 9 or 12 digits", MaskCell(code))
	}
	for _, c := range code {
		if c < '0' || c > '9' {
			return "", Localized(EINVALID, "区划代码“%s”只能由数字组成", "region code %q must contain only digits", MaskCell(code))
		}
	}
	if strings.Trim(code[:2], "0") == "" {
		return "", Localized(EINVALID, "区划代码“%s”缺少省级部分（前两位不能为00）", "region code %q has no province part", code)
	}
	return code + strings.Repeat("0", 12-len(code)), nil
}

// LevelOfCode tells the level of a normalised 12-digit code by which of its
// parts are zero.
func LevelOfCode(code string) RegionLevel {
	switch {
	case code == NationalScope:
		return 0
	case strings.Trim(code[2:], "0") == "":
		return LevelProvince
	case strings.Trim(code[4:], "0") == "":
		return LevelCity
	case strings.Trim(code[6:], "0") == "":
		return LevelCounty
	case strings.Trim(code[9:], "0") == "":
		return LevelTownship
	}
	return LevelVillage
}

// ParentCodeOf returns the code of the region directly above a normalised
// code, or "" for a province. Some counties hang directly under a province
// (省直辖县, city part 90); their parent is the province.
func ParentCodeOf(code string) string {
	level := LevelOfCode(code)
	if level <= LevelProvince {
		return ""
	}
	n := prefixLen[level-1]
	parent := code[:n] + strings.Repeat("0", 12-n)
	if level == LevelCounty && code[2:4] == "90" {
		return code[:2] + strings.Repeat("0", 10)
	}
	return parent
}

// AncestorCodes are the regions that hold code, nearest first: its
// parent, the parent's parent … up to the province, then NationalScope.
// A deadline set for a county applies in each of its villages.
func AncestorCodes(code string) []string {
	var out []string
	if code == NationalScope {
		return out
	}
	for p := ParentCodeOf(code); p != "" && p != code; p = ParentCodeOf(p) {
		out = append(out, p)
		code = p
	}
	return append(out, NationalScope)
}

// CodePrefix returns the significant digits of a normalised code: all codes
// inside the region start with it.
func CodePrefix(code string) string {
	if code == NationalScope {
		return ""
	}
	return code[:prefixLen[LevelOfCode(code)]]
}

// CodeRange returns the smallest and largest 12-digit codes inside the
// region, so that a scope becomes an indexable range predicate.
func CodeRange(code string) (lo, hi string) {
	p := CodePrefix(code)
	return p + strings.Repeat("0", 12-len(p)), p + strings.Repeat("9", 12-len(p))
}

// CodeWithin reports whether code lies inside the region scope.
func CodeWithin(code, scope string) bool {
	return strings.HasPrefix(code, CodePrefix(scope))
}

// RegionFilter selects regions.
type RegionFilter struct {
	Parent string // direct children of this code
	Within string // everything inside this code, itself included
	Level  RegionLevel
	Query  string // name contains
	Offset int
	Limit  int
}

// RegionCounts are the households and key groups inside a region.
type RegionCounts struct {
	Households int           `json:"households"`
	People     int           `json:"people"`
	Groups     map[Group]int `json:"-"`
}

// RegionService stores administrative divisions. Reads are not scoped:
// region names and boundaries are public. Writes need the admin role.
type RegionService interface {
	// FindRegion returns ENOTFOUND when the code is unknown.
	FindRegion(ctx context.Context, code string, withBoundary bool) (*Region, error)
	FindRegions(ctx context.Context, f RegionFilter) ([]*Region, int, error)
	// ImportRegions creates or updates regions, parents first. A region whose
	// parent is neither stored nor in the batch is an error for that region.
	ImportRegions(ctx context.Context, regions []*Region) (RegionImportResult, error)
	// RegionCounts aggregates the households in the user's scope under
	// parent by its direct children (keyed by child code), and in total
	// (keyed by parent).
	RegionCounts(ctx context.Context, parent string) (map[string]*RegionCounts, error)
}

// RegionImportResult counts what a regions import did.
type RegionImportResult struct {
	Created   int `json:"created"`
	Updated   int `json:"updated"`
	Unchanged int `json:"unchanged"`
}
