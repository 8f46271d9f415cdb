package backstop

import (
	"context"
	"strings"
	"time"
)

// Hazard is a hazard type of China's warning signals and disaster
// statistics.
type Hazard string

// HazardInfo names a hazard and how to recognise it in a warning's event.
type HazardInfo struct {
	Code     Hazard
	ZH, EN   string
	Keywords []string // lower-case words in Chinese and English event names
}

// Hazards is the taxonomy, most specific first (崩塌 before 地质灾害).
var Hazards = []HazardInfo{
	{"rainstorm", "暴雨", "Rainstorm", []string{"暴雨", "rainstorm", "heavy rain", "torrential"}},
	{"snowstorm", "暴雪", "Snowstorm", []string{"暴雪", "snowstorm", "blizzard", "heavy snow"}},
	{"cold_wave", "寒潮", "Cold wave", []string{"寒潮", "cold wave", "extreme cold"}},
	{"gale", "大风", "Gale", []string{"大风", "gale", "wind", "台风", "typhoon"}},
	{"sandstorm", "沙尘暴", "Sandstorm", []string{"沙尘", "sandstorm", "dust storm", "dust"}},
	{"heat_wave", "高温", "Heat wave", []string{"高温", "heat"}},
	{"drought", "干旱", "Drought", []string{"干旱", "drought"}},
	{"lightning", "雷电", "Lightning", []string{"雷电", "雷雨", "lightning", "thunder"}},
	{"hail", "冰雹", "Hail", []string{"冰雹", "hail"}},
	{"frost", "霜冻", "Frost", []string{"霜冻", "frost", "freeze"}},
	{"fog", "大雾", "Fog", []string{"大雾", "雾", "fog"}},
	{"road_icing", "道路结冰", "Road icing", []string{"道路结冰", "结冰", "icy road", "road ic", "ice"}},
	{"fire_danger", "森林草原火险", "Forest/grassland fire danger", []string{"火险", "fire danger", "fire weather", "red flag"}},
	{"collapse", "崩塌", "Rock collapse", []string{"崩塌", "rockfall", "rock fall"}},
	{"landslide", "滑坡", "Landslide", []string{"滑坡", "landslide"}},
	{"debris_flow", "泥石流", "Debris flow", []string{"泥石流", "debris flow", "mudflow", "mudslide"}},
	{"geological", "地质灾害", "Geological hazard", []string{"地质灾害", "geological", "geohazard"}},
	{"flood", "洪水", "Flood", []string{"洪水", "洪涝", "山洪", "flood"}},
	{"earthquake", "地震", "Earthquake", []string{"地震", "earthquake", "seismic"}},
	{"fire", "火灾", "Fire", []string{"火灾", "fire"}},
	{"other", "其他", "Other", nil},
}

// HazardOther is the catch-all.
const HazardOther Hazard = "other"

// HazardOf returns the taxonomy entry of a code.
func HazardOf(code Hazard) (HazardInfo, bool) {
	for _, h := range Hazards {
		if h.Code == code {
			return h, true
		}
	}
	return HazardInfo{}, false
}

// ClassifyHazard recognises the hazard named by an event text (Chinese or
// English); other when nothing matches.
func ClassifyHazard(texts ...string) Hazard {
	for _, text := range texts {
		t := strings.ToLower(text)
		if t == "" {
			continue
		}
		for _, h := range Hazards {
			for _, k := range h.Keywords {
				if strings.Contains(t, k) {
					return h.Code
				}
			}
		}
	}
	return HazardOther
}

// WarningLevel is a warning's level: the colours of China's warning
// signals (not to be confused with RegionLevel, the level of a division).
type WarningLevel string

// Warning levels.
const (
	WarningRed    WarningLevel = "red"    // 红色 Ⅰ级 特别严重 ≈ Extreme
	WarningOrange WarningLevel = "orange" // 橙色 Ⅱ级 严重 ≈ Severe
	WarningYellow WarningLevel = "yellow" // 黄色 Ⅲ级 较重 ≈ Moderate
	WarningBlue   WarningLevel = "blue"   // 蓝色 Ⅳ级 一般 ≈ Minor
)

// WarningLevels in order of gravity.
var WarningLevels = []WarningLevel{WarningRed, WarningOrange, WarningYellow, WarningBlue}

// Warning states.
const (
	StateActive    = "active"
	StateUpdated   = "updated"   // superseded by a later Update
	StateCancelled = "cancelled" // ended by a Cancel (or is the Cancel)
	StateExpired   = "expired"   // its expiry time has passed
)

// Warning is a hazard warning as backstop holds it: one CAP alert (or a
// department's push), reduced to what exposure and release need, with the
// original document kept.
//
// Region is the smallest region holding every region its areas cover
// (alerting decides: a geocoded area covers its regions, a drawn one the
// villages of the households it reaches); a warning that covers none is
// its issuer's region's. Issuing, updating and cancelling a warning and
// its consultations need the region inside the user's.
type Warning struct {
	ID           int64         `json:"id"`
	Sender       string        `json:"sender"`
	Identifier   string        `json:"identifier"`
	Sent         time.Time     `json:"sent"`
	Status       string        `json:"status"`   // Actual, Exercise, System, Test, Draft
	MsgType      string        `json:"msg_type"` // Alert, Update, Cancel
	Scope        string        `json:"scope"`
	Source       string        `json:"source"` // cap, json, form, feed:<id>
	Hazard       Hazard        `json:"hazard"`
	Level        WarningLevel  `json:"level,omitempty"`
	Severity     string        `json:"severity"`
	Urgency      string        `json:"urgency"`
	Certainty    string        `json:"certainty"`
	Event        string        `json:"event"`
	Headline     string        `json:"headline,omitempty"`
	Description  string        `json:"description,omitempty"`
	Instruction  string        `json:"instruction,omitempty"`
	SenderName   string        `json:"sender_name,omitempty"`
	Language     string        `json:"language,omitempty"`
	Effective    *time.Time    `json:"effective,omitempty"`
	Onset        *time.Time    `json:"onset,omitempty"`
	Expires      *time.Time    `json:"expires,omitempty"`
	Areas        []WarningArea `json:"areas"`
	State        string        `json:"state"`
	Supersedes   int64         `json:"supersedes,omitempty"`
	SupersededBy int64         `json:"superseded_by,omitempty"`
	Region       string        `json:"region"` // see above
	// Notes are what backstop noticed reading it: schema deviations,
	// unknown region codes resolved to a parent.
	Notes     []Problem `json:"notes,omitempty"`
	CAP       []byte    `json:"-"`
	CreatedAt time.Time `json:"created_at"`
	CreatedBy string    `json:"created_by"`
}

// Exercise tells a warning that must never reach the public as real: a
// test, an exercise, a system message or a draft.
func (w *Warning) Exercise() bool { return w.Status != "Actual" }

// CurrentState is the state at time now: an active warning past its expiry
// is expired.
func (w *Warning) CurrentState(now time.Time) string {
	if w.State == StateActive && w.Expires != nil && now.After(*w.Expires) {
		return StateExpired
	}
	return w.State
}

// WarningArea is one area of a warning.
type WarningArea struct {
	Desc     string       `json:"desc"`
	Polygons MultiPolygon `json:"polygons,omitempty"`
	Circles  []CircleArea `json:"circles,omitempty"`
	Regions  []string     `json:"regions,omitempty"`  // 12-digit codes, resolved
	Geocodes []string     `json:"geocodes,omitempty"` // CPEAS codes as given
}

// CircleArea is a circle in a warning: centre and radius in km.
type CircleArea struct {
	Centre   Point   `json:"centre"`
	RadiusKM float64 `json:"radius_km"`
}

// WarningFilter selects warnings.
type WarningFilter struct {
	State  string // active, updated, cancelled, expired; "" for all
	Hazard Hazard
	Level  string // red, orange, yellow, blue; "none" for unlevelled; "" for all
	// SentFrom and SentTo bound the sending time (SentTo exclusive).
	SentFrom, SentTo time.Time
	// Exposing keeps warnings whose exposure has households in this
	// region (12-digit code): "only my region's area".
	Exposing string
	// Sort orders the list: "sent" (newest first, the default), "level"
	// (gravest first, then newest) or "state" (active first, then newest).
	Sort   string
	Offset int
	Limit  int
}

// WarningService stores warnings.
type WarningService interface {
	// CreateWarning stores a warning; a warning with the same sender,
	// identifier and sent time exists already is ECONFLICT, and the
	// existing one's id is set on w. Updates and cancels supersede the
	// warnings they reference in the same transaction.
	CreateWarning(ctx context.Context, w *Warning, refs []WarningRef) error
	FindWarning(ctx context.Context, id int64) (*Warning, error)
	FindWarnings(ctx context.Context, f WarningFilter) ([]*Warning, int, error)
}

// WarningRef names an earlier warning by sender and identifier.
type WarningRef struct{ Sender, Identifier string }
