package backstop

import (
	"context"
	"time"
)

// Publicity and education (宣传教育, notice 三(四)): events on the fixed
// days — 全国防灾减灾日 (12 May), 全国科普日, 气象科普进乡村, fire safety in
// relocation high-rises — proposed to each county every year from a policy
// list, recorded with date, place, organiser, audience and materials, and
// counted by township.

// PublicityState is where an event stands.
type PublicityState string

// Event states.
const (
	PublicityProposed PublicityState = "proposed" // from the yearly calendar, not yet planned
	PublicityPlanned  PublicityState = "planned"
	PublicityHeld     PublicityState = "held"
	PublicityDropped  PublicityState = "dropped"
)

// PublicityEvent is one awareness event.
type PublicityEvent struct {
	ID        int64          `json:"id"`
	Theme     string         `json:"theme"` // a code of the publicity.themes list
	Title     string         `json:"title"`
	County    string         `json:"county"`
	Township  string         `json:"township,omitempty"` // where it was held, if in one township
	Year      int            `json:"year"`
	Date      string         `json:"date"` // YYYY-MM-DD
	Place     string         `json:"place,omitempty"`
	Organiser string         `json:"organiser,omitempty"`
	Audience  int            `json:"audience"`
	Materials string         `json:"materials,omitempty"`
	State     PublicityState `json:"state"`
	// FromCalendar: proposed by the yearly calendar (one per county, theme
	// and year).
	FromCalendar bool      `json:"from_calendar"`
	CreatedAt    time.Time `json:"created_at"`
	CreatedBy    string    `json:"created_by"`
}

// Publicity limits.
const (
	MaxPublicityText     = 500
	MaxPublicityAudience = 1000000
)

// PublicityCoverage is one township's events of a year.
type PublicityCoverage struct {
	Township string `json:"township"`
	Name     string `json:"name"`
	Held     int    `json:"held"`
	Audience int    `json:"audience"`
}

// PublicityFilter selects events in the user's region.
type PublicityFilter struct {
	Region string
	Year   int
	Theme  string
	State  PublicityState
	Offset int
	Limit  int
}

// PublicityService stores events.
type PublicityService interface {
	// ProposeCalendar writes the proposed events of a year for each
	// county, one per county and theme; existing ones are kept. It returns
	// how many it wrote.
	ProposeCalendar(ctx context.Context, events []*PublicityEvent) (int, error)
	CreatePublicity(ctx context.Context, e *PublicityEvent) error
	// UpdatePublicity changes an event by compare-and-set on its state.
	UpdatePublicity(ctx context.Context, e *PublicityEvent, from PublicityState) error
	FindPublicity(ctx context.Context, id int64) (*PublicityEvent, error)
	FindPublicities(ctx context.Context, f PublicityFilter) ([]*PublicityEvent, int, error)
	// PublicityCoverage lists the townships of region with the events held
	// in them in year.
	PublicityCoverage(ctx context.Context, region string, year int) ([]*PublicityCoverage, error)
}
