package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
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

// prepared is a batch's row values, computed ahead of writing.
type prepared struct {
	households [][]any // householdWriteColumns order
	members    [][]any // memberWriteColumns order
	// PostgreSQL: the same rows in binary COPY encoding.
	householdsCopy, membersCopy [][]byte
	err                         error
}

// Prepare derives each household's member-based fields from the members in
// the batch (the importer keeps a household's contiguous rows in one
// batch) and lays out the rows' values with their content hashes.
func (w *rosterWriter) Prepare(b *backstop.RosterBatch) {
	byHousehold := make(map[string][]*backstop.Member, len(b.Households))
	for _, m := range b.Members {
		byHousehold[m.HouseholdNumber] = append(byHousehold[m.HouseholdNumber], m)
	}
	p := &prepared{households: make([][]any, len(b.Households)), members: make([][]any, len(b.Members))}
	for i, h := range b.Households {
		p.households[i] = householdValues(h, deriveFromMembers(h, byHousehold[h.Number], w.groupsOf(h)), w.rev, w.now)
	}
	for i, m := range b.Members {
		p.members[i] = memberValues(m, w.now)
	}
	if w.hhCopy != nil {
		p.householdsCopy, p.err = encodeRows(w.hhCopy, p.households)
		if p.err == nil {
			p.membersCopy, p.err = encodeRows(w.mCopy, p.members)
		}
	}
	b.Prepared = p
}

// encodeRows encodes rows for COPY into one buffer, sliced per row.
func encodeRows(t *copyTable, rows [][]any) ([][]byte, error) {
	buf := make([]byte, 0, 256*len(rows))
	ends := make([]int, len(rows))
	var err error
	for i, r := range rows {
		if buf, err = t.appendRow(buf, r); err != nil {
			return nil, err
		}
		ends[i] = len(buf)
	}
	out := make([][]byte, len(rows))
	start := 0
	for i, end := range ends {
		out[i] = buf[start:end:end]
		start = end
	}
	return out, nil
}

func (w *rosterWriter) preparedOf(b *backstop.RosterBatch) *prepared {
	if b.Prepared == nil {
		w.Prepare(b)
	}
	return b.Prepared.(*prepared)
}

func (w *rosterWriter) groupsOf(h *backstop.Household) backstop.Group {
	var line float64
	if p := w.lines.at(h.VillageCode); p != nil {
		line = p.Value
		switch {
		case w.policy == 0 && !w.policyMixed:
			w.policy = p.ID
		case w.policy != p.ID:
			w.policyMixed, w.policy = true, 0
		}
	}
	return h.DeriveGroups(line) &^ backstop.GroupDisability
}

// checkScope refuses household and person numbers that already belong to
// households outside the user's region: an import must not move them.
func (w *rosterWriter) checkScope(oldHH, oldM map[string]stored) error {
	if w.user.Region == backstop.NationalScope {
		return nil
	}
	var probs []backstop.Problem
	for n, v := range oldHH {
		if !w.user.InScope(v.village) {
			probs = append(probs, backstop.Problem{Path: "household:" + n, Reason: "belongs to a household outside your region " + w.user.Region})
		}
	}
	for n, v := range oldM {
		if !w.user.InScope(v.village) {
			probs = append(probs, backstop.Problem{Path: "person:" + n, Reason: "belongs to a household outside your region " + w.user.Region})
		}
	}
	if len(probs) > 0 {
		sort.Slice(probs, func(i, j int) bool { return probs[i].Path < probs[j].Path })
		return &backstop.Error{Code: backstop.EFORBIDDEN, Message: "Some numbers belong to households outside your region.", Details: probs}
	}
	return nil
}

// stored is what the writer reads back of an existing row to decide
// between insert, update and nothing.
type stored struct {
	id, hash, household int64
	deleted             bool
	village             string
}

// existing reads the stored rows for a batch's keys, in chunks.
func (w *rosterWriter) existing(ctx context.Context, query string, keys []any, scan func(*sql.Rows) (string, stored, error)) (map[string]stored, error) {
	out := make(map[string]stored, len(keys))
	if w.emptyAtStart {
		// The registry had no households when the import began, and the
		// importer never sends a key twice: nothing can exist.
		return out, nil
	}
	for start := 0; start < len(keys); start += 500 {
		chunk := keys[start:min(start+500, len(keys))]
		rows, err := w.tx.QueryContext(ctx, w.db.q(fmt.Sprintf(query, "?"+strings.Repeat(",?", len(chunk)-1))), chunk...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			k, v, err := scan(rows)
			if err != nil {
				rows.Close()
				return nil, err
			}
			out[k] = v
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// sqliteRows is how many rows one multi-row statement carries on SQLite;
// measured fastest between 50 and 100 with modernc (binding cost grows
// with the statement, and so does the statement journal).
const sqliteRows = 80

func (w *rosterWriter) stmt(ctx context.Context, key string, build func() string) (*sql.Stmt, error) {
	if s, ok := w.stmts[key]; ok {
		return s, nil
	}
	s, err := w.tx.PrepareContext(ctx, w.db.q(build()))
	if err != nil {
		return nil, err
	}
	w.stmts[key] = s
	return s, nil
}

func valuesList(rows, cols int) string {
	var b strings.Builder
	one := "(" + strings.Repeat("?, ", cols-1) + "?)"
	for i := 0; i < rows; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(one)
	}
	return b.String()
}

// insertNew writes rows known to be new with multi-row INSERT OR FAIL
// statements on SQLite (FAIL needs no statement journal, unlike the
// default ABORT, and should a row conflict after all the error rolls back
// the whole import). The statements go to the driver directly: the rows
// hold driver values already, and database/sql's conversion and checks of
// each argument cost a sixth of the writer's time at a million rows.
func (w *rosterWriter) insertNew(ctx context.Context, table string, cols []string, rows [][]any) error {
	return w.conn.Raw(func(dc any) error {
		for start := 0; start < len(rows); start += sqliteRows {
			chunk := rows[start:min(start+sqliteRows, len(rows))]
			key := fmt.Sprintf("%s%d", table, len(chunk))
			st, ok := w.rawStmts[key]
			if !ok {
				prepared, err := dc.(driver.ConnPrepareContext).PrepareContext(ctx, `INSERT OR FAIL INTO `+table+` (`+strings.Join(cols, ", ")+`) VALUES `+valuesList(len(chunk), len(cols)))
				if err != nil {
					return err
				}
				st = prepared.(driverStmt)
				w.rawStmts[key] = st
			}
			args := w.args[:0]
			for _, r := range chunk {
				for _, v := range r {
					args = append(args, driver.NamedValue{Ordinal: len(args) + 1, Value: v})
				}
			}
			w.args = args
			if _, err := st.ExecContext(ctx, args); err != nil {
				return err
			}
		}
		return nil
	})
}

// driverStmt is a prepared statement of the SQLite driver.
type driverStmt interface {
	driver.Stmt
	driver.StmtExecContext
}

// insertHouseholds writes the batch's households at the positions given
// and returns their new ids in that order.
func (w *rosterWriter) insertHouseholds(ctx context.Context, pb *prepared, positions []int) ([]int64, error) {
	if len(positions) == 0 {
		return nil, nil
	}
	ids, err := w.db.takeIDs(ctx, w.tx, "households", &w.nextID, &w.spareIDs, len(positions))
	if err != nil {
		return nil, err
	}
	if w.db.dialect == Postgres {
		rows := make([][]byte, len(positions))
		for i, pos := range positions {
			rows[i] = pb.householdsCopy[pos]
		}
		return ids, copyRows(ctx, w.conn, w.hhCopy, "id", ids, rows)
	}
	rows := make([][]any, len(positions))
	for i, pos := range positions {
		rows[i] = append([]any{ids[i]}, pb.households[pos]...)
	}
	return ids, w.insertNew(ctx, "households", append([]string{"id"}, householdWriteColumns...), rows)
}

// insertMembers writes the batch's members at the positions given, each
// with its household's id.
func (w *rosterWriter) insertMembers(ctx context.Context, pb *prepared, positions []int, households []int64) error {
	if len(positions) == 0 {
		return nil
	}
	if w.db.dialect == Postgres {
		rows := make([][]byte, len(positions))
		for i, pos := range positions {
			rows[i] = pb.membersCopy[pos]
		}
		return copyRows(ctx, w.conn, w.mCopy, "household_id", households, rows)
	}
	rows := make([][]any, len(positions))
	for i, pos := range positions {
		rows[i] = append([]any{households[i]}, pb.members[pos]...)
	}
	return w.insertNew(ctx, "members", append([]string{"household_id"}, memberWriteColumns...), rows)
}

// WriteBatch writes a batch: it reads the stored hashes of the batch's
// keys, inserts the new rows in bulk, updates the changed ones and leaves
// the rest alone, so a re-import only reads. Household ids come from that
// read or from the insert, so members need no lookup per row.
func (w *rosterWriter) WriteBatch(ctx context.Context, b backstop.RosterBatch) error {
	w.seenHH += len(b.Households)
	w.seenPpl += len(b.Members)
	w.batchNo++
	pb := w.preparedOf(&b)
	if pb.err != nil {
		return pb.err
	}
	touched := map[int64]bool{}

	keys := make([]any, len(b.Households))
	for i, h := range b.Households {
		keys[i] = h.Number
	}
	oldHH, err := w.existing(ctx, `SELECT number, id, row_hash, deleted, village_code FROM households WHERE number IN (%s)`, keys, func(r *sql.Rows) (string, stored, error) {
		var k string
		var v stored
		err := r.Scan(&k, &v.id, &v.hash, &v.deleted, &v.village)
		return k, v, err
	})
	if err != nil {
		return err
	}
	keys = make([]any, len(b.Members))
	for i, m := range b.Members {
		keys[i] = m.Number
	}
	oldM, err := w.existing(ctx, `SELECT m.number, m.id, m.row_hash, m.household_id, h.village_code FROM members m JOIN households h ON h.id = m.household_id WHERE m.number IN (%s)`, keys, func(r *sql.Rows) (string, stored, error) {
		var k string
		var v stored
		err := r.Scan(&k, &v.id, &v.hash, &v.household, &v.village)
		return k, v, err
	})
	if err != nil {
		return err
	}
	if err := w.checkScope(oldHH, oldM); err != nil {
		return err
	}

	ids := make(map[string]int64, len(b.Households))
	var fresh []int
	updateCols := append(append([]string(nil), householdWriteColumns[1:len(householdWriteColumns)-2]...), "updated_at")
	for i, h := range b.Households {
		vals := pb.households[i]
		old, ok := oldHH[h.Number]
		switch {
		case !ok:
			fresh = append(fresh, i)
		case old.hash != vals[len(vals)-4].(int64) || old.deleted:
			st, err := w.stmt(ctx, "h-update", func() string {
				return `UPDATE households SET ` + strings.Join(updateCols, " = ?, ") + ` = ?, version = version + 1, deleted = FALSE WHERE id = ?`
			})
			if err != nil {
				return err
			}
			args := append(append(vals[1:len(vals)-2:len(vals)-2], vals[len(vals)-1]), old.id)
			if _, err := st.ExecContext(ctx, args...); err != nil {
				return err
			}
			w.counts.HouseholdsUpdated++
			ids[h.Number], touched[old.id] = old.id, false
		default:
			ids[h.Number] = old.id
		}
	}
	newIDs, err := w.insertHouseholds(ctx, pb, fresh)
	if err != nil {
		return err
	}
	for i, id := range newIDs {
		ids[b.Households[fresh[i]].Number], touched[id] = id, true
	}
	w.counts.HouseholdsCreated += len(fresh)

	var newMembers []int
	var newMemberHouseholds []int64
	memberUpdateCols := append([]string{"household_id"}, append(append([]string(nil), memberWriteColumns[1:len(memberWriteColumns)-2]...), "updated_at")...)
	for i, m := range b.Members {
		hid, ok := ids[m.HouseholdNumber]
		if !ok {
			// The household is not in this batch: its rows were not
			// contiguous, or it exists already.
			if err := w.tx.QueryRowContext(ctx, w.db.q(`SELECT id FROM households WHERE number = ?`), m.HouseholdNumber).Scan(&hid); err != nil {
				return fmt.Errorf("household %s of person %s: %w", m.HouseholdNumber, m.Number, err)
			}
			ids[m.HouseholdNumber] = hid
		}
		vals := append([]any{hid}, pb.members[i]...)
		old, ok := oldM[m.Number]
		switch {
		case !ok:
			newMembers, newMemberHouseholds = append(newMembers, i), append(newMemberHouseholds, hid)
			w.counts.PeopleCreated++
		case old.hash != vals[len(vals)-3].(int64) || old.household != hid:
			st, err := w.stmt(ctx, "m-update", func() string {
				return `UPDATE members SET ` + strings.Join(memberUpdateCols, " = ?, ") + ` = ?, version = version + 1 WHERE id = ?`
			})
			if err != nil {
				return err
			}
			args := append(append(append([]any{hid}, vals[2:len(vals)-2]...), vals[len(vals)-1]), old.id)
			if _, err := st.ExecContext(ctx, args...); err != nil {
				return err
			}
			w.counts.PeopleUpdated++
			if old.household != hid {
				touched[old.household] = false // the household the person left
			}
		default:
			continue
		}
		if _, seen := touched[hid]; !seen {
			touched[hid] = false
		}
	}
	if err := w.insertMembers(ctx, pb, newMembers, newMemberHouseholds); err != nil {
		return err
	}
	return w.markTouched(ctx, touched)
}

// markTouched records the households whose derived fields need a refresh
// at the end: all touched ones except those created in this batch, whose
// fields came from all their members here. A household created now and
// touched again by a later batch is recorded then.
func (w *rosterWriter) markTouched(ctx context.Context, touched map[int64]bool) error {
	args := make([]any, 0, len(touched))
	for id, fresh := range touched {
		if !fresh {
			args = append(args, id)
		}
	}
	const per = 500
	for start := 0; start < len(args); start += per {
		chunk := args[start:min(start+per, len(args))]
		if _, err := w.tx.ExecContext(ctx, w.db.q(`INSERT INTO import_touched (id) VALUES `+valuesList(len(chunk), 1)+` ON CONFLICT (id) DO NOTHING`), chunk...); err != nil {
			return err
		}
	}
	return nil
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

func (db *DB) recordImport(ctx context.Context, ex execer, res *backstop.ImportResult) error {
	problems, _ := json.Marshal(res.Problems)
	var policy any
	if res.PolicyID != 0 {
		policy = res.PolicyID
	}
	err := ex.QueryRowContext(ctx, db.q(`INSERT INTO imports (at, actor, file_name, format, encoding, rows_total, rows_valid, rows_invalid,
 households_created, households_updated, households_unchanged, people_created, people_updated, people_unchanged,
 dry_run, skip_invalid, written, policy_id, problems_total, problems) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
		res.At, res.Actor, res.FileName, res.Format, res.Encoding, res.Rows, res.ValidRows, res.InvalidRows,
		res.HouseholdsCreated, res.HouseholdsUpdated, res.HouseholdsUnchanged, res.PeopleCreated, res.PeopleUpdated, res.PeopleUnchanged,
		res.DryRun, res.SkipInvalid, res.Written, policy, res.ProblemsTotal, string(problems)).Scan(&res.ID)
	if err != nil {
		return db.translate(err)
	}
	detail := fmt.Sprintf("file %s: %d rows, %d invalid; households +%d ~%d; people +%d ~%d; written %t",
		res.FileName, res.Rows, res.InvalidRows, res.HouseholdsCreated, res.HouseholdsUpdated, res.PeopleCreated, res.PeopleUpdated, res.Written)
	return db.translate(db.audit(ctx, ex, "roster.import", "import", fmt.Sprint(res.ID), detail))
}

const importColumns = `id, at, actor, file_name, format, encoding, rows_total, rows_valid, rows_invalid,
 households_created, households_updated, households_unchanged, people_created, people_updated, people_unchanged,
 dry_run, skip_invalid, written, COALESCE(policy_id, 0), problems_total, problems`

func scanImport(sc interface{ Scan(...any) error }) (*backstop.ImportResult, error) {
	var r backstop.ImportResult
	var problems string
	err := sc.Scan(&r.ID, &r.At, &r.Actor, &r.FileName, &r.Format, &r.Encoding, &r.Rows, &r.ValidRows, &r.InvalidRows,
		&r.HouseholdsCreated, &r.HouseholdsUpdated, &r.HouseholdsUnchanged, &r.PeopleCreated, &r.PeopleUpdated, &r.PeopleUnchanged,
		&r.DryRun, &r.SkipInvalid, &r.Written, &r.PolicyID, &r.ProblemsTotal, &problems)
	if err != nil {
		return nil, err
	}
	json.Unmarshal([]byte(problems), &r.Problems)
	return &r, nil
}

// allImports tells a user who reads every import: an admin of the national
// scope. An import has no region of its own (a file may span several), so
// everyone else reads their own.
func allImports(u *backstop.User) bool {
	return u.Role == backstop.RoleAdmin && u.Region == backstop.NationalScope
}

// FindImports lists recent imports: all for national admins, one's own
// otherwise.
func (db *DB) FindImports(ctx context.Context, limit int) ([]*backstop.ImportResult, error) {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return nil, err
	}
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	rows, err := db.read.QueryContext(ctx, db.q(`SELECT `+importColumns+` FROM imports WHERE actor = ? OR ? ORDER BY id DESC LIMIT ?`), u.Name, allImports(u), limit)
	if err != nil {
		return nil, db.translate(err)
	}
	defer rows.Close()
	var out []*backstop.ImportResult
	for rows.Next() {
		r, err := scanImport(rows)
		if err != nil {
			return nil, err
		}
		r.Problems = nil // lists stay small; FindImport has them
		out = append(out, r)
	}
	return out, rows.Err()
}

// FindImport returns one import with its problems.
func (db *DB) FindImport(ctx context.Context, id int64) (*backstop.ImportResult, error) {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return nil, err
	}
	r, err := scanImport(db.read.QueryRowContext(ctx, db.q(`SELECT `+importColumns+` FROM imports WHERE id = ? AND (actor = ? OR ?)`), id, u.Name, allImports(u)))
	if err == sql.ErrNoRows {
		return nil, backstop.Errorf(backstop.ENOTFOUND, "Import %d not found.", id)
	}
	return r, db.translate(err)
}

// deferredConstraints are secondary indexes and foreign keys of the
// registry tables, dropped inside an initial-load transaction and rebuilt
// (and so re-validated) before it commits, as bulk loaders do: a sorted
// build is far cheaper than a million single inserts, and on PostgreSQL
// the per-row foreign-key triggers are the largest cost of a load.
type deferredConstraints struct {
	keys    []string // PostgreSQL: primary and unique keys (ALTER TABLE … ADD CONSTRAINT)
	indexes []string // CREATE INDEX statements
	fkeys   []string // ALTER TABLE … ADD CONSTRAINT statements
}

var registryTables = []string{"households", "members", "household_history"}

func (db *DB) deferConstraints(ctx context.Context, tx *sql.Tx) (*deferredConstraints, error) {
	d := &deferredConstraints{}
	var drops []string
	if db.dialect == SQLite {
		rows, err := tx.QueryContext(ctx, `SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN ('households', 'members', 'household_history')`)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var name, def string
			if err := rows.Scan(&name, &def); err != nil {
				rows.Close()
				return nil, err
			}
			drops, d.indexes = append(drops, `DROP INDEX `+name), append(d.indexes, def)
		}
		rows.Close()
	} else {
		// Other sessions wait while the tables are locked for this; an
		// empty registry has little to read. Give up the shortcut rather
		// than wait long for a lock.
		if _, err := tx.ExecContext(ctx, `SAVEPOINT defer_constraints; SET LOCAL lock_timeout = '5s'`); err != nil {
			return nil, err
		}
		// The keys of households and members too: the writer hands out
		// their ids and the importer has refused duplicate numbers, and
		// keeping two unique b-trees in step row by row was a third of the
		// server's time in the load. Foreign keys go first (they need the
		// keys) and come back last.
		rows, err := tx.QueryContext(ctx, `SELECT c.contype, c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c
 WHERE (c.contype = 'f' AND c.conrelid::regclass::text = ANY($1)) OR (c.contype IN ('p', 'u') AND c.conrelid::regclass::text IN ('households', 'members'))
 ORDER BY c.contype = 'f' DESC, c.conname`, registryTables)
		if err != nil {
			return nil, err
		}
		var keyDrops []string
		for rows.Next() {
			var kind, table, name, def string
			if err := rows.Scan(&kind, &table, &name, &def); err != nil {
				rows.Close()
				return nil, err
			}
			drop, add := `ALTER TABLE `+table+` DROP CONSTRAINT `+name, `ALTER TABLE `+table+` ADD CONSTRAINT `+name+` `+def
			if kind == "f" {
				drops, d.fkeys = append(drops, drop), append(d.fkeys, add)
			} else {
				keyDrops, d.keys = append(keyDrops, drop), append(d.keys, add)
			}
		}
		rows.Close()
		drops = append(drops, keyDrops...)
		rows, err = tx.QueryContext(ctx, `SELECT i.indexname, i.indexdef FROM pg_indexes i
 WHERE i.schemaname = current_schema() AND i.tablename = ANY($1)
 AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)`, registryTables)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var name, def string
			if err := rows.Scan(&name, &def); err != nil {
				rows.Close()
				return nil, err
			}
			drops, d.indexes = append(drops, `DROP INDEX `+name), append(d.indexes, def)
		}
		rows.Close()
	}
	for _, q := range drops {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			if db.dialect == Postgres {
				if _, rerr := tx.ExecContext(ctx, `ROLLBACK TO SAVEPOINT defer_constraints`); rerr == nil {
					db.logger.Warn("initial load keeps its indexes: tables are busy", "err", err)
					return nil, nil
				}
			}
			return nil, err
		}
	}
	if db.dialect == Postgres {
		if _, err := tx.ExecContext(ctx, `RELEASE SAVEPOINT defer_constraints`); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// restore rebuilds the keys, indexes and foreign keys, in that order; a
// violation fails the import, which then rolls back whole.
func (d *deferredConstraints) restore(ctx context.Context, tx *sql.Tx) error {
	for _, q := range slices.Concat(d.keys, d.indexes, d.fkeys) {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("rebuild after initial load (%s): %w", q, err)
		}
	}
	return nil
}
