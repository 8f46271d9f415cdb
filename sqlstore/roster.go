package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/zhangye-backstop/backstop"
)

// rosterWriter writes validated roster batches inside the import
// transaction. The SQLite flavour sends multi-row upserts; the PostgreSQL
// flavour COPYs each batch into temporary tables and merges with one
// INSERT … SELECT … ON CONFLICT per table.
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
	// policy is the monitoring-line version used, when one version served
	// every household (0 otherwise).
	policy      int64
	policyMixed bool
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
func (w *rosterWriter) checkScope(ctx context.Context, b backstop.RosterBatch) error {
	if w.user.Region == backstop.NationalScope {
		return nil
	}
	lo, hi := backstop.CodeRange(w.user.Region)
	var probs []backstop.Problem
	check := func(q, kind string, numbers []any) error {
		for start := 0; start < len(numbers); start += 500 {
			chunk := numbers[start:min(start+500, len(numbers))]
			rows, err := w.tx.QueryContext(ctx, w.db.q(fmt.Sprintf(q, "?"+strings.Repeat(",?", len(chunk)-1))), append(chunk, lo, hi)...)
			if err != nil {
				return err
			}
			for rows.Next() {
				var n string
				rows.Scan(&n)
				probs = append(probs, backstop.Problem{Path: kind + ":" + n, Reason: "belongs to a household outside your region " + w.user.Region})
			}
			rows.Close()
		}
		return nil
	}
	hh := make([]any, len(b.Households))
	for i, h := range b.Households {
		hh[i] = h.Number
	}
	mm := make([]any, len(b.Members))
	for i, m := range b.Members {
		mm[i] = m.Number
	}
	if err := check(`SELECT number FROM households WHERE number IN (%s) AND village_code NOT BETWEEN ? AND ?`, "household", hh); err != nil {
		return err
	}
	if err := check(`SELECT m.number FROM members m JOIN households h ON h.id = m.household_id WHERE m.number IN (%s) AND h.village_code NOT BETWEEN ? AND ?`, "person", mm); err != nil {
		return err
	}
	if len(probs) > 0 {
		return &backstop.Error{Code: backstop.EFORBIDDEN, Message: "Some numbers belong to households outside your region.", Details: probs}
	}
	return nil
}

func (w *rosterWriter) WriteBatch(ctx context.Context, b backstop.RosterBatch) error {
	if err := w.checkScope(ctx, b); err != nil {
		return err
	}
	w.seenHH += len(b.Households)
	w.seenPpl += len(b.Members)
	if w.db.dialect == Postgres {
		return w.copyBatch(ctx, b)
	}
	return w.upsertBatch(ctx, b)
}

// updateSet lists "col = excluded.col" for every written column but the key.
func updateSet(cols []string) string {
	var set []string
	for _, c := range cols {
		if c != "number" && c != "created_at" {
			set = append(set, c+" = excluded."+c)
		}
	}
	return strings.Join(set, ", ")
}

var (
	householdUpsertTail = ` ON CONFLICT (number) DO UPDATE SET ` + updateSet(householdWriteColumns) +
		`, version = households.version + 1, deleted = FALSE WHERE households.row_hash <> excluded.row_hash OR households.deleted RETURNING id, version`
	memberUpsertTail = ` ON CONFLICT (number) DO UPDATE SET household_id = excluded.household_id, ` + updateSet(memberWriteColumns) +
		`, version = members.version + 1 WHERE members.row_hash <> excluded.row_hash OR members.household_id <> excluded.household_id RETURNING household_id, version`
)

// SQLite allows 32766 variables per statement; batches stay well below.
const (
	sqliteHouseholdRows = 300
	sqliteMemberRows    = 400
)

func (w *rosterWriter) stmt(ctx context.Context, key string, build func() string) (*sql.Stmt, error) {
	if s, ok := w.stmts[key]; ok {
		return s, nil
	}
	s, err := w.tx.PrepareContext(ctx, build())
	if err != nil {
		return nil, err
	}
	w.stmts[key] = s
	return s, nil
}

func valuesList(rows, cols int, first string) string {
	var b strings.Builder
	one := "(" + first + strings.Repeat("?, ", cols-1) + "?)"
	if first != "" {
		one = "(" + first + strings.Repeat(", ?", cols) + ")"
	}
	for i := 0; i < rows; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(one)
	}
	return b.String()
}

func (w *rosterWriter) collect(rows *sql.Rows, created, updated *int, touched map[int64]bool) error {
	defer rows.Close()
	for rows.Next() {
		var id int64
		var version int
		if err := rows.Scan(&id, &version); err != nil {
			return err
		}
		if version == 1 {
			*created++
		} else {
			*updated++
		}
		touched[id] = true
	}
	return rows.Err()
}

func (w *rosterWriter) upsertBatch(ctx context.Context, b backstop.RosterBatch) error {
	touched := map[int64]bool{}
	for start := 0; start < len(b.Households); start += sqliteHouseholdRows {
		chunk := b.Households[start:min(start+sqliteHouseholdRows, len(b.Households))]
		n := len(chunk)
		st, err := w.stmt(ctx, fmt.Sprintf("h%d", n), func() string {
			return `INSERT INTO households (` + strings.Join(householdWriteColumns, ", ") + `) VALUES ` + valuesList(n, len(householdWriteColumns), "") + householdUpsertTail
		})
		if err != nil {
			return err
		}
		args := make([]any, 0, n*len(householdWriteColumns))
		for _, h := range chunk {
			args = append(args, householdValues(h, w.groupsOf(h), w.rev, w.now)...)
		}
		rows, err := st.QueryContext(ctx, args...)
		if err != nil {
			return err
		}
		if err := w.collect(rows, &w.counts.HouseholdsCreated, &w.counts.HouseholdsUpdated, touched); err != nil {
			return err
		}
	}
	for start := 0; start < len(b.Members); start += sqliteMemberRows {
		chunk := b.Members[start:min(start+sqliteMemberRows, len(b.Members))]
		n := len(chunk)
		st, err := w.stmt(ctx, fmt.Sprintf("m%d", n), func() string {
			var sb strings.Builder
			for i := 0; i < n; i++ {
				if i > 0 {
					sb.WriteByte(',')
				}
				sb.WriteString("((SELECT id FROM households WHERE number = ?)" + strings.Repeat(", ?", len(memberWriteColumns)) + ")")
			}
			return `INSERT INTO members (household_id, ` + strings.Join(memberWriteColumns, ", ") + `) VALUES ` + sb.String() + memberUpsertTail
		})
		if err != nil {
			return err
		}
		args := make([]any, 0, n*(len(memberWriteColumns)+1))
		for _, m := range chunk {
			args = append(args, m.HouseholdNumber)
			args = append(args, memberValues(m, w.now)...)
		}
		rows, err := st.QueryContext(ctx, args...)
		if err != nil {
			return err
		}
		if err := w.collect(rows, &w.counts.PeopleCreated, &w.counts.PeopleUpdated, touched); err != nil {
			return err
		}
	}
	return w.markTouched(ctx, touched)
}

func (w *rosterWriter) markTouched(ctx context.Context, touched map[int64]bool) error {
	ids := make([]any, 0, len(touched))
	for id := range touched {
		ids = append(ids, id)
	}
	for start := 0; start < len(ids); start += 500 {
		chunk := ids[start:min(start+500, len(ids))]
		if _, err := w.tx.ExecContext(ctx, `INSERT INTO import_touched (id) VALUES `+valuesList(len(chunk), 1, "")+` ON CONFLICT DO NOTHING`, chunk...); err != nil {
			return err
		}
	}
	return nil
}

// PostgreSQL: COPY into temporary staging tables, then merge.
const pgStageDDL = `
CREATE TEMP TABLE stage_households (
    number TEXT, village_code TEXT, natural_village TEXT, size INTEGER, type TEXT, monitor_type TEXT, risk_cleared BOOLEAN,
    risk_identified_on TEXT, risk_cleared_on TEXT, income_per_capita DOUBLE PRECISION, dangerous_house BOOLEAN, safe_water BOOLEAN, phone TEXT,
    housing_structure TEXT, housing_grade TEXT, relocation_high_rise BOOLEAN, livelihood TEXT, water_source TEXT, assistance TEXT,
    helper_name TEXT, helper_phone TEXT, lon DOUBLE PRECISION, lat DOUBLE PRECISION, data_date TEXT, groups INTEGER, row_hash BIGINT, rev BIGINT,
    created_at TIMESTAMPTZ, updated_at TIMESTAMPTZ
) ON COMMIT DROP;
CREATE TEMP TABLE stage_members (
    household_number TEXT, number TEXT, name TEXT, id_number TEXT, relation TEXT, ethnicity TEXT, education TEXT, school_status TEXT, health TEXT, labour TEXT,
    migrant_months INTEGER, illness_insured BOOLEAN, poverty_cause TEXT, phone TEXT, first_identified_on TEXT, identified_on TEXT,
    birth_date TEXT, disabled BOOLEAN, row_hash BIGINT, created_at TIMESTAMPTZ, updated_at TIMESTAMPTZ
) ON COMMIT DROP;`

func (w *rosterWriter) copyBatch(ctx context.Context, b backstop.RosterBatch) error {
	hrows := make([][]any, len(b.Households))
	for i, h := range b.Households {
		hrows[i] = householdValues(h, w.groupsOf(h), w.rev, w.now)
	}
	mrows := make([][]any, len(b.Members))
	for i, m := range b.Members {
		mrows[i] = append([]any{m.HouseholdNumber}, memberValues(m, w.now)...)
	}
	err := w.conn.Raw(func(dc any) error {
		pc := dc.(*stdlib.Conn).Conn()
		if _, err := pc.Exec(ctx, `TRUNCATE stage_households, stage_members`); err != nil {
			return err
		}
		if _, err := pc.CopyFrom(ctx, pgx.Identifier{"stage_households"}, householdWriteColumns, pgx.CopyFromRows(hrows)); err != nil {
			return fmt.Errorf("copy households: %w", err)
		}
		if _, err := pc.CopyFrom(ctx, pgx.Identifier{"stage_members"}, append([]string{"household_number"}, memberWriteColumns...), pgx.CopyFromRows(mrows)); err != nil {
			return fmt.Errorf("copy members: %w", err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	cols := strings.Join(householdWriteColumns, ", ")
	var c, u int
	if err := w.tx.QueryRowContext(ctx, `WITH up AS (INSERT INTO households (`+cols+`) SELECT `+cols+` FROM stage_households`+householdUpsertTail+`),
 t AS (INSERT INTO import_touched (id) SELECT id FROM up ON CONFLICT DO NOTHING)
 SELECT count(*) FILTER (WHERE version = 1), count(*) FILTER (WHERE version > 1) FROM up`).Scan(&c, &u); err != nil {
		return fmt.Errorf("merge households: %w", err)
	}
	w.counts.HouseholdsCreated += c
	w.counts.HouseholdsUpdated += u
	mcols := strings.Join(memberWriteColumns, ", ")
	scols := "s." + strings.Join(memberWriteColumns, ", s.")
	if err := w.tx.QueryRowContext(ctx, `WITH up AS (INSERT INTO members (household_id, `+mcols+`) SELECT h.id, `+scols+` FROM stage_members s JOIN households h ON h.number = s.household_number`+memberUpsertTail+`),
 t AS (INSERT INTO import_touched (id) SELECT DISTINCT household_id FROM up ON CONFLICT DO NOTHING)
 SELECT count(*) FILTER (WHERE version = 1), count(*) FILTER (WHERE version > 1) FROM up`).Scan(&c, &u); err != nil {
		return fmt.Errorf("merge members: %w", err)
	}
	w.counts.PeopleCreated += c
	w.counts.PeopleUpdated += u
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
	w := &rosterWriter{db: db, conn: conn, tx: tx, user: u, now: res.At, lines: lines, stmts: map[string]*sql.Stmt{}}
	if db.dialect == Postgres {
		if _, err := tx.ExecContext(ctx, pgStageDDL+`CREATE TEMP TABLE import_touched (id BIGINT PRIMARY KEY) ON COMMIT DROP;`); err != nil {
			return err
		}
	} else {
		if _, err := tx.ExecContext(ctx, `CREATE TEMP TABLE IF NOT EXISTS import_touched (id INTEGER PRIMARY KEY); DELETE FROM import_touched;`); err != nil {
			return err
		}
	}
	if w.rev, err = db.bumpRev(ctx, tx); err != nil {
		return db.translate(err)
	}
	fillErr := fill(w)
	for _, s := range w.stmts {
		s.Close()
	}
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
		if err := db.refreshHouseholds(ctx, tx, `SELECT id FROM import_touched`, nil, w.rev); err != nil {
			return db.translate(err)
		}
		if _, err := tx.ExecContext(ctx, db.q(`INSERT INTO household_history (household_id, at, actor, action, detail) SELECT id, ?, ?, 'roster.import', ? FROM import_touched`),
			res.At, u.Name, "file "+res.FileName); err != nil {
			return db.translate(err)
		}
		res.Written = true
		if err := db.recordImport(ctx, tx, res); err != nil {
			return err
		}
		if err := tx.Commit(); err != nil {
			return db.translate(err)
		}
		committed = true
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

// FindImports lists recent imports: all for admins, one's own otherwise.
func (db *DB) FindImports(ctx context.Context, limit int) ([]*backstop.ImportResult, error) {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return nil, err
	}
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	rows, err := db.read.QueryContext(ctx, db.q(`SELECT `+importColumns+` FROM imports WHERE actor = ? OR ? ORDER BY id DESC LIMIT ?`), u.Name, u.Role == backstop.RoleAdmin, limit)
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
	r, err := scanImport(db.read.QueryRowContext(ctx, db.q(`SELECT `+importColumns+` FROM imports WHERE id = ? AND (actor = ? OR ?)`), id, u.Name, u.Role == backstop.RoleAdmin))
	if err == sql.ErrNoRows {
		return nil, backstop.Errorf(backstop.ENOTFOUND, "Import %d not found.", id)
	}
	return r, db.translate(err)
}
