// Package capalert reads, checks and writes the Common Alerting Protocol
// (OASIS CAP 1.2 and 1.1) with China's profile (GB/T 35965.1-2018:
// identifiers, CPEAS geographic codes, warning colours), and Atom feeds of
// CAP alerts. Named capalert, not cap, so as not to shadow the builtin.
package capalert

import "time"

// Namespaces of the CAP versions read.
const (
	NS12 = "urn:oasis:names:tc:emergency:cap:1.2"
	NS11 = "urn:oasis:names:tc:emergency:cap:1.1"
	NS10 = "http://www.incident.com/cap/1.0"
)

// Alert is a CAP alert message.
type Alert struct {
	Namespace   string // NS12 or NS11 as read; written as NS12
	Identifier  string
	Sender      string
	Sent        time.Time
	Status      string // Actual, Exercise, System, Test, Draft
	MsgType     string // Alert, Update, Cancel, Ack, Error
	Source      string
	Scope       string // Public, Restricted, Private
	Restriction string
	Addresses   string
	Codes       []string
	Note        string
	References  []Reference
	Incidents   string
	Infos       []Info
}

// Reference names an earlier message: sender, identifier and sent time as
// written (the time is kept as text: real feeds get it wrong).
type Reference struct {
	Sender, Identifier, Sent string
}

// Info is one <info> block, one per language.
type Info struct {
	Language      string
	Categories    []string
	Event         string
	ResponseTypes []string
	Urgency       string
	Severity      string
	Certainty     string
	Audience      string
	EventCodes    []NamedValue
	Effective     *time.Time
	Onset         *time.Time
	Expires       *time.Time
	SenderName    string
	Headline      string
	Description   string
	Instruction   string
	Web           string
	Contact       string
	Parameters    []NamedValue
	Resources     []Resource
	Areas         []Area
}

// NamedValue is an eventCode, parameter or geocode.
type NamedValue struct {
	Name, Value string
}

// Resource is a file the alert refers to.
type Resource struct {
	Desc     string
	MimeType string
	Size     *int64
	URI      string
	DerefURI string
	Digest   string
}

// Area is one <area>: its description and its geometry.
type Area struct {
	Desc     string
	Polygons []Polygon
	Circles  []Circle
	Geocodes []NamedValue
	Altitude *float64
	Ceiling  *float64
}

// LatLon is a CAP position: latitude first, as CAP writes it.
type LatLon struct{ Lat, Lon float64 }

// Polygon is a closed ring of at least four positions.
type Polygon []LatLon

// Circle is a centre and a radius in kilometres.
type Circle struct {
	Centre   LatLon
	RadiusKM float64
}

// Enumerations of CAP 1.2.
var (
	Statuses      = []string{"Actual", "Exercise", "System", "Test", "Draft"}
	MsgTypes      = []string{"Alert", "Update", "Cancel", "Ack", "Error"}
	Scopes        = []string{"Public", "Restricted", "Private"}
	Categories    = []string{"Geo", "Met", "Safety", "Security", "Rescue", "Fire", "Health", "Env", "Transport", "Infra", "CBRNE", "Other"}
	ResponseTypes = []string{"Shelter", "Evacuate", "Prepare", "Execute", "Avoid", "Monitor", "Assess", "AllClear", "None"}
	Urgencies     = []string{"Immediate", "Expected", "Future", "Past", "Unknown"}
	Severities    = []string{"Extreme", "Severe", "Moderate", "Minor", "Unknown"}
	Certainties   = []string{"Observed", "Likely", "Possible", "Unlikely", "Unknown"}
)
