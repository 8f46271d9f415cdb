package backstop

import (
	"context"
	"time"
)

// ImportOptions control a roster import.
type ImportOptions struct {
	FileName string
	// DryRun checks and counts everything, then writes nothing.
	DryRun bool
	// SkipInvalid writes the good rows and lists the bad ones; without it
	// one bad row means nothing is written.
	SkipInvalid bool
	// Progress, when set, is called now and then with rows read and bytes
	// read so far (total bytes may be unknown: 0).
	Progress func(rows int, bytesRead, bytesTotal int64)
}

// MaxImportProblems is how many problems an import keeps and reports; the
// total is always counted.
const MaxImportProblems = 10000

// ImportResult is what a roster import found and did.
type ImportResult struct {
	ID                  int64     `json:"id"`
	At                  time.Time `json:"at"`
	Actor               string    `json:"actor"`
	FileName            string    `json:"file_name"`
	Format              string    `json:"format"`   // csv or xlsx
	Encoding            string    `json:"encoding"` // utf-8 or gb18030 for csv
	Rows                int       `json:"rows"`
	ValidRows           int       `json:"valid_rows"`
	InvalidRows         int       `json:"invalid_rows"`
	HouseholdsCreated   int       `json:"households_created"`
	HouseholdsUpdated   int       `json:"households_updated"`
	HouseholdsUnchanged int       `json:"households_unchanged"`
	PeopleCreated       int       `json:"people_created"`
	PeopleUpdated       int       `json:"people_updated"`
	PeopleUnchanged     int       `json:"people_unchanged"`
	DryRun              bool      `json:"dry_run"`
	SkipInvalid         bool      `json:"skip_invalid"`
	// Written is true when the changes were committed.
	Written bool `json:"written"`
	// PolicyID is the monitoring-line version used to derive groups.
	PolicyID      int64     `json:"policy_id,omitempty"`
	Problems      []Problem `json:"problems"`
	ProblemsTotal int       `json:"problems_total"`
}

// AddProblem records a problem, keeping at most MaxImportProblems.
func (r *ImportResult) AddProblem(p Problem) {
	r.ProblemsTotal++
	if len(r.Problems) < MaxImportProblems {
		r.Problems = append(r.Problems, p)
	}
}

// RosterBatch is a batch of validated rows ready to write. A household
// appears once per import, in the batch of its first row; members refer to
// their household by number.
type RosterBatch struct {
	Households []*Household
	Members    []*Member
	// Prepared holds what the writer computed ahead in Prepare.
	Prepared any
}

// RosterCounts are what writing batches changed.
type RosterCounts struct {
	HouseholdsCreated, HouseholdsUpdated int
	PeopleCreated, PeopleUpdated         int
}

// RosterWriter writes batches inside one import transaction.
type RosterWriter interface {
	// Prepare does the pure computation of writing a batch (derived fields,
	// row values, hashes) so that it can run on another goroutine than
	// WriteBatch, one batch ahead; one caller at a time.
	Prepare(b *RosterBatch)
	// WriteBatch writes a batch, preparing it first if Prepare was not
	// called.
	WriteBatch(ctx context.Context, b RosterBatch) error
}

// RosterStore writes rosters in bulk and keeps the import records.
type RosterStore interface {
	// ImportRoster opens one transaction, calls fill to write batches, then
	// refreshes derived household fields, records the import and commits,
	// unless fill fails, result.DryRun is set, or rows were invalid without
	// SkipInvalid: then everything is rolled back and the import is still
	// recorded. The counts in result are filled in.
	ImportRoster(ctx context.Context, result *ImportResult, fill func(w RosterWriter) error) error
	// RegionDirectory returns what a roster needs to resolve villages.
	RegionDirectory(ctx context.Context) (*RegionDirectory, error)
	FindImports(ctx context.Context, limit int) ([]*ImportResult, error)
	FindImport(ctx context.Context, id int64) (*ImportResult, error)
}

// RegionDirectory resolves village codes and county/township/village names.
type RegionDirectory struct {
	Villages map[string]bool   // 12-digit village codes
	ByName   map[string]string // "county/township/village" → code
	Names    map[string]string // code → name, for every level
}

// VillageByName finds a village by the names a roster gives.
func (d *RegionDirectory) VillageByName(county, township, village string) (string, bool) {
	code, ok := d.ByName[county+"/"+township+"/"+village]
	return code, ok
}
