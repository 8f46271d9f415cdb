package backstop

import (
	"context"
	"time"
)

// AuditEntry is one row of the append-only audit trail: who did what to
// which record, when and from where.
type AuditEntry struct {
	ID     int64     `json:"id"`
	At     time.Time `json:"at"`
	Actor  string    `json:"actor"`
	Role   string    `json:"role,omitempty"`
	Via    string    `json:"via,omitempty"`
	Addr   string    `json:"addr,omitempty"`
	Action string    `json:"action"` // e.g. household.update, pii.reveal, roster.export
	Entity string    `json:"entity"` // e.g. household, user, import
	Record string    `json:"record,omitempty"`
	Detail string    `json:"detail,omitempty"`
	// Region is where the row belongs, for auditors of a region: the
	// region of the record acted on (a household's village, a warning's
	// region, a contact's or template's region), else the actor's region.
	Region string `json:"region"`
}

// AuditFilter selects audit entries.
type AuditFilter struct {
	Actor  string
	Action string
	Entity string
	Record string
	Since  time.Time
	Offset int
	Limit  int
}

// AuditService appends to and reads the audit trail. There is no method to
// change or delete an entry, and the databases refuse it too.
type AuditService interface {
	// Audit appends an entry for the user in ctx. Its region is that of
	// the record when the store can tell it (a household's number starts
	// with its village code; a warning has its region), else the actor's.
	Audit(ctx context.Context, action, entity, record, detail string) error
	// FindAudit lists the entries of the user's region (all of them for
	// the national scope).
	FindAudit(ctx context.Context, f AuditFilter) ([]*AuditEntry, int, error)
}
