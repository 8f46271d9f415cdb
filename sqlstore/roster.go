package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"sync"
	"time"

	"github.com/zhangye-backstop/backstop"
)

// rosterWriter writes validated roster batches inside the import
// transaction: it reads what exists of a batch's keys, inserts the new
// rows in bulk (multi-row INSERT on SQLite, COPY on PostgreSQL), updates
// the changed ones, and records which households were touched.
type rosterWriter struct {
	db      *DB
	conn    *sql.Conn
	tx      *sql.Tx
	user    *backstop.User
	rev     int64
	now     time.Time
	lines   *lineResolver
	counts  backstop.RosterCounts
	seenHH  int
	seenPpl int
	stmts   map[string]*sql.Stmt
	// SQLite: insert statements prepared on the driver connection, and
	// the argument list they reuse.
	rawStmts map[string]driverStmt
	args     []driver.NamedValue
	batchNo  int
	// emptyAtStart: the registry had no households when the import began
	// (an initial load), so no key needs looking up.
	emptyAtStart bool
	// policy is the monitoring-line version used, when one version served
	// every household (0 otherwise).
	policy      int64
	policyMixed bool
	// PostgreSQL: binary COPY layouts.
	hhCopy, mCopy *copyTable
	// SQLite: the next household id to hand out (0 before the first);
	// PostgreSQL: ids taken from the sequence and not yet used.
	nextID   int64
	spareIDs []int64
}

// lineResolver picks the monitoring line in force for a village, caching
// by county since lines are set per province or below.
type lineResolver struct {
	versions []*backstop.Policy
	byCounty map[string]*backstop.Policy
}

func (db *DB) newLineResolver(ctx context.Context) (*lineResolver, error) {
	all, err := db.FindPolicies(ctx, backstop.PolicyMonitoringLine)
	if err != nil {
		return nil, err
	}
	today := db.now()
	var live []*backstop.Policy
	for _, p := range all {
		if !p.EffectiveFrom.After(today) && (p.EffectiveTo == nil || p.EffectiveTo.After(today)) {
			live = append(live, p)
		}
	}
	return &lineResolver{versions: live, byCounty: map[string]*backstop.Policy{}}, nil
}

func (l *lineResolver) at(village string) *backstop.Policy {
	county := village[:6]
	if p, ok := l.byCounty[county]; ok {
		return p
	}
	var best *backstop.Policy
	for _, p := range l.versions {
		if p.Region != backstop.NationalScope && !backstop.CodeWithin(village, p.Region) {
			continue
		}
		if best == nil || len(backstop.CodePrefix(p.Region)) > len(backstop.CodePrefix(best.Region)) ||
			(len(backstop.CodePrefix(p.Region)) == len(backstop.CodePrefix(best.Region)) && p.EffectiveFrom.After(best.EffectiveFrom)) {
			best = p
		}
	}
	l.byCounty[county] = best
	return best
}

// ImportRoster runs a roster import in one transaction; see
// backstop.RosterStore.
func (db *DB) ImportRoster(ctx context.Context, res *backstop.ImportResult, fill func(w backstop.RosterWriter) error) error {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return err
	}
	if err := u.Require(backstop.PermWriteRegistry); err != nil {
		return err
	}
	res.Actor = u.Name
	res.At = db.now().UTC()
	lines, err := db.newLineResolver(ctx)
	if err != nil {
		return err
	}
	conn, err := db.write.Conn(ctx)
	if err != nil {
		return db.translate(err)
	}
	// The connection goes back to the pool before the import is recorded:
	// on SQLite it is the only writer.
	release := sync.OnceFunc(func() { conn.Close() })
	defer release()
	if db.dialect == SQLite {
		// The writer takes household ids from its own reads and inserts in
		// this transaction, so per-row foreign-key probes add nothing but
		// time. Index rebuilds after an initial load sort best in runs
		// spilled to temporary files with a helper thread (see restore);
		// in memory SQLite sorts one list of a million keys, measured
		// about half as fast. All is set back before the connection
		// returns to the pool.
		if _, err := conn.ExecContext(ctx, `PRAGMA foreign_keys = OFF; PRAGMA temp_store = FILE; PRAGMA threads = 2`); err != nil {
			return db.translate(err)
		}
		release = sync.OnceFunc(func() {
			conn.ExecContext(context.WithoutCancel(ctx), `PRAGMA foreign_keys = ON; PRAGMA temp_store = MEMORY; PRAGMA threads = 0; PRAGMA `+sqliteCacheSize)
			conn.Close()
		})
		defer release()
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return db.translate(err)
	}
	committed := false
	defer func() {
		if !committed {
			tx.Rollback()
		}
	}()
	w := &rosterWriter{db: db, conn: conn, tx: tx, user: u, now: res.At, lines: lines, stmts: map[string]*sql.Stmt{}, rawStmts: map[string]driverStmt{}}
	if db.dialect == Postgres {
		if _, err := tx.ExecContext(ctx, `CREATE TEMP TABLE import_touched (id BIGINT PRIMARY KEY) ON COMMIT DROP`); err != nil {
			return err
		}
		if w.hhCopy, err = newCopyTable(ctx, tx, "households", householdWriteColumns); err != nil {
			return err
		}
		if w.mCopy, err = newCopyTable(ctx, tx, "members", memberWriteColumns); err != nil {
			return err
		}
	} else {
		if _, err := tx.ExecContext(ctx, `DROP TABLE IF EXISTS temp.import_touched; CREATE TEMP TABLE import_touched (id INTEGER PRIMARY KEY);`); err != nil {
			return err
		}
	}
	if w.rev, err = db.bumpRev(ctx, tx); err != nil {
		return db.translate(err)
	}
	var stored int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT 1 FROM households LIMIT 1) AS x`).Scan(&stored); err != nil {
		return db.translate(err)
	}
	w.emptyAtStart = stored == 0
	var deferred *deferredConstraints
	if w.emptyAtStart {
		// An initial load: build the secondary indexes (and on PostgreSQL
		// the foreign keys) once at the end rather than row by row.
		if deferred, err = db.deferConstraints(ctx, tx); err != nil {
			return db.translate(err)
		}
	}
	phase := time.Now()
	lap := func(name string) {
		db.logger.Debug("import phase", "phase", name, "took", time.Since(phase).Round(time.Millisecond))
		phase = time.Now()
	}
	fillErr := fill(w)
	lap("write batches")
	for _, s := range w.stmts {
		s.Close()
	}
	conn.Raw(func(any) error {
		for _, s := range w.rawStmts {
			s.Close()
		}
		return nil
	})
	w.args = nil
	res.HouseholdsCreated, res.HouseholdsUpdated = w.counts.HouseholdsCreated, w.counts.HouseholdsUpdated
	res.PeopleCreated, res.PeopleUpdated = w.counts.PeopleCreated, w.counts.PeopleUpdated
	res.HouseholdsUnchanged = w.seenHH - res.HouseholdsCreated - res.HouseholdsUpdated
	res.PeopleUnchanged = w.seenPpl - res.PeopleCreated - res.PeopleUpdated
	res.PolicyID = w.policy
	if fillErr != nil {
		tx.Rollback()
		committed = true
		release()
		if backstop.ErrorCode(fillErr) == backstop.EINTERNAL {
			return fillErr
		}
		res.Written = false
		// A refused import is still on record.
		if err := db.recordImport(ctx, db.write, res); err != nil {
			return err
		}
		return fillErr
	}
	keep := !res.DryRun && (res.InvalidRows == 0 || res.SkipInvalid)
	if keep {
		var stale int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM import_touched`).Scan(&stale); err != nil {
			return db.translate(err)
		}
		if stale > 0 {
			if err := db.refreshHouseholds(ctx, tx, `SELECT id FROM import_touched`, nil, w.rev); err != nil {
				return db.translate(err)
			}
		}
		// Local monitoring decisions outweigh the national view the
		// roster carries (backstop.MonitoringDecision).
		if err := db.applyLocalDecisions(ctx, tx, "rev = ?", []any{w.rev}); err != nil {
			return db.translate(err)
		}
		lap("refresh")
		// Every household this import wrote carries its revision.
		if _, err := tx.ExecContext(ctx, db.q(`INSERT INTO household_history (household_id, at, actor, action, detail) SELECT id, ?, ?, 'roster.import', ? FROM households WHERE rev = ?`),
			res.At, u.Name, "file "+res.FileName, w.rev); err != nil {
			return db.translate(err)
		}
		lap("history")
		if deferred != nil {
			if db.dialect == SQLite {
				// The sorter spills runs of the page cache's size: small
				// runs sort faster and merge on the helper thread.
				if _, err := tx.ExecContext(ctx, `PRAGMA cache_size = -8192`); err != nil {
					return db.translate(err)
				}
			}
			if err := deferred.restore(ctx, tx); err != nil {
				return err
			}
			lap("rebuild indexes")
		}
		res.Written = true
		if err := db.recordImport(ctx, tx, res); err != nil {
			return err
		}
		if err := tx.Commit(); err != nil {
			return db.translate(err)
		}
		lap("commit")
		committed = true
		release()
		if db.dialect == Postgres && (w.emptyAtStart || res.HouseholdsCreated+res.PeopleCreated > 10000) {
			// Planner statistics for what was just loaded: without them
			// PostgreSQL plans lookups into a fresh registry as full scans
			// (autovacuum analyzes, but minutes later). A small sample is
			// enough to choose index scans (0.12 s instead of 0.9 s at a
			// million persons); autovacuum takes the full one later.
			err := db.inTx(ctx, func(tx *sql.Tx) error {
				_, err := tx.ExecContext(ctx, `SET LOCAL default_statistics_target = 10; ANALYZE households, members, household_history`)
				return err
			})
			if err != nil {
				db.logger.Warn("analyze after import", "err", err)
			}
			lap("analyze")
		}
		db.registryChanged()
		return nil
	}
	if err := tx.Rollback(); err != nil {
		return db.translate(err)
	}
	committed = true
	release()
	res.Written = false
	return db.recordImport(ctx, db.write, res)
}

// HoldsDemoData tells whether the synthetic demo was ever loaded (its
// import is recorded with the format "demo").
func (db *DB) HoldsDemoData(ctx context.Context) (bool, error) {
	var n int
	if err := db.read.QueryRowContext(ctx, `SELECT count(*) FROM imports WHERE format = 'demo'`).Scan(&n); err != nil {
		return false, db.translate(err)
	}
	return n > 0, nil
}
