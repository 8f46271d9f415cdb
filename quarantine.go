package backstop

import (
	"context"
	"time"
)

// QuarantinedAlert is a CAP alert that a polled feed carried and backstop
// refused: kept with the reasons so that an administrator can see what the
// publisher sent and, when the alert matters, accept it with an area drawn
// by hand. Only refusals of the document itself are quarantined (it breaks
// a rule or a limit); a feed that cannot be fetched is a poll error.
type QuarantinedAlert struct {
	ID         int64     `json:"id"`
	FeedID     int64     `json:"feed_id"`
	FeedName   string    `json:"feed_name"`          // read with the row
	EntryID    string    `json:"entry_id,omitempty"` // the feed entry's id
	URL        string    `json:"url,omitempty"`      // where the document was fetched, when the entry linked it
	ReceivedAt time.Time `json:"received_at"`
	// Sender, Identifier and Sent are read from the document as far as it
	// could be read ("" when not), to tell alerts apart in lists.
	Sender     string `json:"sender,omitempty"`
	Identifier string `json:"identifier,omitempty"`
	Sent       string `json:"sent,omitempty"`
	// Size is the length of the document as received; Document holds at
	// most MaxQuarantineBytes of it (Truncated tells a cut one, which can
	// only be read, not accepted).
	Size      int    `json:"size"`
	SHA256    string `json:"sha256"` // of the whole document: the same document is stored once
	Document  []byte `json:"-"`
	Truncated bool   `json:"truncated,omitempty"`
	// Code, Message and Problems are the refusal: its error code (invalid
	// or too_large), message in both languages and every located problem.
	Code      string    `json:"code"`
	Message   string    `json:"message"`
	MessageZH string    `json:"message_zh,omitempty"`
	Problems  []Problem `json:"problems"`
	// Region scopes the row: the region of the user who created the feed
	// (NationalScope when that was the CLI or a job). See
	// QuarantineService.
	Region         string     `json:"region"`
	State          string     `json:"state"` // open, accepted, dismissed
	ResolvedAt     *time.Time `json:"resolved_at,omitempty"`
	ResolvedBy     string     `json:"resolved_by,omitempty"`
	ResolutionNote string     `json:"resolution_note,omitempty"`
	WarningID      int64      `json:"warning_id,omitempty"` // the warning an acceptance made
}

// States of a quarantined alert.
const (
	QuarantineOpen      = "open"
	QuarantineAccepted  = "accepted"  // ingested with an area an administrator gave
	QuarantineDismissed = "dismissed" // looked at and left out
)

// MaxQuarantineBytes is how much of a refused document is kept: the size
// capalert reads at all (capalert.MaxBytes), so every document that could
// be accepted is kept whole; of a larger one, refused for its size, the
// beginning is kept to be read.
const MaxQuarantineBytes = 2 << 20

// QuarantineFilter selects quarantined alerts.
type QuarantineFilter struct {
	State  string // open, accepted, dismissed; "" for all
	FeedID int64  // 0 for every feed
	Offset int
	Limit  int
}

// QuarantineResolution is what an administrator decided about one.
type QuarantineResolution struct {
	State     string // QuarantineAccepted or QuarantineDismissed
	WarningID int64  // the warning made; required for accepted
	Note      string
}

// QuarantineService stores refused feed alerts.
//
// Scope: a refused alert has no area that can be trusted (often the area
// is why it was refused), so it cannot be scoped by where it warns as
// warnings and households are. It is scoped by its feed instead: feeds are
// created by users for their own region (a county's meteorological office
// adds its feed), so a quarantined alert is shown to users whose scope
// contains the feed creator's region, and admins (national scope) see
// all. The region is taken when the row is written, so that it stays an
// indexable range predicate and a creator's later move does not re-scope
// history.
type QuarantineService interface {
	// CreateQuarantinedAlert stores a refused alert as open. The store
	// computes SHA256 of the whole Document and cuts Document to
	// MaxQuarantineBytes (setting Size and Truncated). The same document
	// stored before, from any feed, is ECONFLICT with the stored one's id
	// set on q. Needs PermWriteWarnings (the poller acts as a system
	// admin).
	CreateQuarantinedAlert(ctx context.Context, q *QuarantinedAlert) error
	// FindQuarantinedAlerts lists quarantined alerts in the user's scope,
	// newest first, without their documents. Needs PermReadWarnings.
	FindQuarantinedAlerts(ctx context.Context, f QuarantineFilter) ([]*QuarantinedAlert, int, error)
	// FindQuarantinedAlert returns one with its document; outside the
	// user's scope it is ENOTFOUND. Needs PermReadWarnings.
	FindQuarantinedAlert(ctx context.Context, id int64) (*QuarantinedAlert, error)
	// ResolveQuarantinedAlert moves an open one to accepted or dismissed,
	// compare-and-set: one that is not open any more is ECONFLICT, so two
	// administrators accepting at once make one decision. Needs
	// PermResolveQuarantine.
	ResolveQuarantinedAlert(ctx context.Context, id int64, r QuarantineResolution) (*QuarantinedAlert, error)
}
