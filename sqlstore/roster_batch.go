package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"sort"
	"strings"

	"github.com/zhangye-backstop/backstop"
)

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
			probs = append(probs, backstop.Problem{Path: "household:" + n, Reason: "belongs to a household outside your region " + w.user.Region, ReasonZH: "户编号" + n + "属于您管辖范围外的农户，不能由本次导入修改"})
		}
	}
	for n, v := range oldM {
		if !w.user.InScope(v.village) {
			probs = append(probs, backstop.Problem{Path: "person:" + n, Reason: "belongs to a household outside your region " + w.user.Region, ReasonZH: "人编号" + n + "属于您管辖范围外的农户，不能由本次导入修改"})
		}
	}
	if len(probs) > 0 {
		sort.Slice(probs, func(i, j int) bool { return probs[i].Path < probs[j].Path })
		return &backstop.Error{Code: backstop.EFORBIDDEN, Message: "Some numbers belong to households outside your region.", ZH: "部分户编号或人编号属于您管辖范围外的农户，未写入任何数据", Details: probs}
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
