package sqlstore

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/zhangye-backstop/backstop"
)

// ScanExposedRecipients streams a snapshot's households with their
// members in household id order (the order they are stored in, so that a
// release of a million households reads the registry sequentially rather
// than hopping through it in rank order), within the user's region.
func (db *DB) ScanExposedRecipients(ctx context.Context, snapshotID int64, fn func(*backstop.ExposedRecipient) error) error {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return err
	}
	if err := u.Require(backstop.PermReadRegistry); err != nil {
		return err
	}
	cond, args := "snapshot_id = ?", []any{snapshotID}
	if u.Region != backstop.NationalScope {
		lo, hi := backstop.CodeRange(u.Region)
		cond, args = cond+" AND village_code BETWEEN ? AND ?", append(args, lo, hi)
	}
	rows, err := db.read.QueryContext(ctx, db.q(`SELECT household_id, rank FROM exposure_households WHERE `+cond), args...)
	if err != nil {
		return db.translate(err)
	}
	type exposed struct {
		id   int64
		rank int
	}
	var hs []exposed
	for rows.Next() {
		var e exposed
		if err := rows.Scan(&e.id, &e.rank); err != nil {
			rows.Close()
			return err
		}
		hs = append(hs, e)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	sort.Slice(hs, func(i, j int) bool { return hs[i].id < hs[j].id })
	cutoff := elderlyCutoff(db.now())
	// load runs one pair of queries over a stretch of exposed households
	// (households in id order, then the members of the key-group ones)
	// and returns the exposed ones; a range also returns the households
	// between them, which are skipped.
	load := func(where string, args []any, part []exposed) ([]*backstop.ExposedRecipient, error) {
		hrows, err := db.read.QueryContext(ctx, db.q(`SELECT h.id, h.number, h.village_code, h.groups, h.people, h.youngest_birth, h.head_name, h.phone, h.helper_name, h.helper_phone
 FROM households h WHERE `+where+` AND NOT h.deleted ORDER BY h.id`), args...)
		if err != nil {
			return nil, err
		}
		var batch []*backstop.ExposedRecipient
		k := 0
		for hrows.Next() {
			var r backstop.ExposedRecipient
			var groups int64
			var people int
			var youngest string
			if err := hrows.Scan(&r.HouseholdID, &r.Number, &r.VillageCode, &groups, &people, &youngest, &r.HeadName, &r.Phone, &r.HelperName, &r.HelperPhone); err != nil {
				hrows.Close()
				return nil, err
			}
			for k < len(part) && part[k].id < r.HouseholdID {
				k++
			}
			if k == len(part) || part[k].id != r.HouseholdID {
				continue // between exposed households
			}
			r.Rank = part[k].rank
			r.Groups = backstop.Group(groups)
			if people == 1 && youngest != "" && youngest <= cutoff {
				r.Groups |= backstop.GroupElderlyAlone
			}
			batch = append(batch, &r)
		}
		hrows.Close()
		if err := hrows.Err(); err != nil {
			return nil, err
		}
		// Members matter only in key-group households (their people get
		// messages and tasks); the others are reached by the household's
		// phone, so most members are never read. By id list: a join
		// chosen by the planner can turn into a scan of every member.
		var keyIDs []any
		for _, r := range batch {
			if r.Groups&backstop.KeyGroups != 0 {
				keyIDs = append(keyIDs, r.HouseholdID)
			}
		}
		if len(keyIDs) == 0 {
			return batch, nil
		}
		mrows, err := db.read.QueryContext(ctx, db.q(`SELECT m.household_id, m.id, m.name, m.phone, m.disabled FROM members m WHERE m.household_id IN (?`+strings.Repeat(",?", len(keyIDs)-1)+
			`) ORDER BY m.household_id, m.id`), keyIDs...)
		if err != nil {
			return nil, err
		}
		defer mrows.Close()
		k = 0
		for mrows.Next() {
			var hid int64
			var m backstop.RecipientMember
			if err := mrows.Scan(&hid, &m.ID, &m.Name, &m.Phone, &m.Disabled); err != nil {
				return nil, err
			}
			for k < len(batch) && batch[k].HouseholdID < hid {
				k++
			}
			if k < len(batch) && batch[k].HouseholdID == hid {
				batch[k].Members = append(batch[k].Members, m)
			}
		}
		return batch, mrows.Err()
	}
	// Plan the stretches: dense ones (a warning covers neighbours, stored
	// together) as id ranges, scattered households as lists of ids.
	type stretch struct {
		where string
		args  []any
		part  []exposed
	}
	var plan []stretch
	var sparse []exposed
	flushSparse := func() {
		if len(sparse) == 0 {
			return
		}
		ids := make([]any, len(sparse))
		for i, e := range sparse {
			ids[i] = e.id
		}
		plan = append(plan, stretch{`h.id IN (?` + strings.Repeat(",?", len(ids)-1) + `)`, ids, sparse})
		sparse = nil
	}
	for i := 0; i < len(hs); {
		j := i
		for j+1 < len(hs) && j+1-i < 5000 && hs[j+1].id-hs[i].id <= 2*int64(j+1-i)+64 {
			j++
		}
		if j-i+1 >= 64 {
			flushSparse()
			plan = append(plan, stretch{`h.id BETWEEN ? AND ?`, []any{hs[i].id, hs[j].id}, hs[i : j+1]})
		} else {
			sparse = append(sparse, hs[i:j+1]...)
			if len(sparse) >= 500 {
				flushSparse()
			}
		}
		i = j + 1
	}
	flushSparse()
	// Two stretches are fetched ahead on their own connections while the
	// caller works through the one before: the database's time and the
	// caller's overlap.
	type loaded struct {
		rs  []*backstop.ExposedRecipient
		err error
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	results := make([]chan loaded, len(plan))
	for i := range results {
		results[i] = make(chan loaded, 1)
	}
	next := make(chan int)
	go func() {
		defer close(next)
		for i := range plan {
			select {
			case next <- i:
			case <-ctx.Done():
				return
			}
		}
	}()
	ahead := make(chan struct{}, 3) // stretches loaded but not yet handed on
	for range 2 {
		go func() {
			for i := range next {
				select {
				case ahead <- struct{}{}:
				case <-ctx.Done():
					return
				}
				rs, err := load(plan[i].where, plan[i].args, plan[i].part)
				results[i] <- loaded{rs, err}
			}
		}()
	}
	for i := range plan {
		var l loaded
		select {
		case l = <-results[i]:
		case <-ctx.Done():
			return ctx.Err()
		}
		<-ahead
		if l.err != nil {
			return db.translate(l.err)
		}
		for _, r := range l.rs {
			if err := fn(r); err != nil {
				return err
			}
		}
	}
	return nil
}

const releaseColumns = `id, warning_id, snapshot_id, audiences, channels, COALESCE(template_id, 0), text, test, state, basis, deadline, policy_ids, counts, created_by, created_at`

func scanRelease(sc interface{ Scan(...any) error }) (*backstop.Release, error) {
	var r backstop.Release
	var audiences, channels, policies, counts string
	if err := sc.Scan(&r.ID, &r.WarningID, &r.SnapshotID, &audiences, &channels, &r.TemplateID, &r.Text, &r.Test, &r.State, &r.Basis, &r.Deadline,
		&policies, &counts, &r.CreatedBy, &r.CreatedAt); err != nil {
		return nil, err
	}
	json.Unmarshal([]byte(audiences), &r.Audiences)
	json.Unmarshal([]byte(channels), &r.Channels)
	json.Unmarshal([]byte(policies), &r.PolicyIDs)
	json.Unmarshal([]byte(counts), &r.Counts)
	return &r, nil
}

// releaseWriter writes a release's texts, messages and tasks inside the
// transaction that stores the release.
type releaseWriter struct {
	db       *DB
	conn     *sql.Conn
	tx       *sql.Tx
	release  *backstop.Release
	msgCopy  *copyTable
	taskCopy *copyTable
	counts   map[[3]string]int // messages by channel, audience, status
	batches  map[int][2]int64  // batches with pending messages: their id ranges
	lo, hi   int64             // ids of the messages written
	nextID   int64             // next message id (SQLite)
	spareIDs []int64           // message ids taken from the sequence (PostgreSQL)
}

var messageColumns = []string{"id", "release_id", "batch", "channel", "audience", "address", "name", "household_id", "village_code", "text_id", "status", "next_at", "fallback"}

var taskColumns = []string{"release_id", "household_id", "member_id", "person_name", "phone", "groups", "village_code", "assignee", "assignee_phone", "deadline"}

func (w *releaseWriter) AddText(ctx context.Context, channel, text string) (int64, error) {
	var id int64
	err := w.tx.QueryRowContext(ctx, w.db.q(`INSERT INTO release_texts (release_id, channel, text) VALUES (?, ?, ?) RETURNING id`), w.release.ID, channel, text).Scan(&id)
	return id, err
}

// takeIDs hands out n ids of table: after the largest id under SQLite's
// single writer (the caller holds the write transaction), from the
// identity sequence in blocks on PostgreSQL.
func (db *DB) takeIDs(ctx context.Context, tx *sql.Tx, table string, next *int64, spare *[]int64, n int) ([]int64, error) {
	ids := make([]int64, 0, n)
	if db.dialect == SQLite {
		if *next == 0 {
			if err := tx.QueryRowContext(ctx, `SELECT COALESCE(max(id), 0) + 1 FROM `+table).Scan(next); err != nil {
				return nil, err
			}
		}
		for range n {
			ids = append(ids, *next)
			*next++
		}
		return ids, nil
	}
	// The sequence is looked up first: in the same statement PostgreSQL
	// would look it up again for every row.
	var seq string
	if v, ok := db.sequences.Load(table); ok {
		seq = v.(string)
	} else if err := tx.QueryRowContext(ctx, `SELECT pg_get_serial_sequence($1, 'id')`, table).Scan(&seq); err != nil {
		return nil, err
	} else {
		db.sequences.Store(table, seq)
	}
	for len(*spare) < n {
		res, err := tx.QueryContext(ctx, `SELECT nextval($1::regclass) FROM generate_series(1, $2)`, seq, max(n, 16384))
		if err != nil {
			return nil, err
		}
		for res.Next() {
			var id int64
			if err := res.Scan(&id); err != nil {
				res.Close()
				return nil, err
			}
			*spare = append(*spare, id)
		}
		res.Close()
		if err := res.Err(); err != nil {
			return nil, err
		}
	}
	ids = append(ids, (*spare)[:n]...)
	*spare = (*spare)[n:]
	return ids, nil
}

// AddMessages writes messages and counts them. Their ids are handed out
// here (so each key is known before anything is sent), and each batch
// remembers the range its ids lie in: batches are read by id range, with
// no index of their own.
func (w *releaseWriter) AddMessages(ctx context.Context, ms []*backstop.Message) error {
	if len(ms) == 0 {
		return nil
	}
	ids, err := w.db.takeIDs(ctx, w.tx, "messages", &w.nextID, &w.spareIDs, len(ms))
	if err != nil {
		return err
	}
	rows := make([][]any, len(ms))
	for i, m := range ms {
		m.ID, m.ReleaseID = ids[i], w.release.ID
		m.Key = backstop.MessageKey(m.ReleaseID, m.ID)
		var household, fallback any
		if m.HouseholdID != 0 {
			household = m.HouseholdID
		}
		if m.Fallback != 0 {
			fallback = m.Fallback
		}
		rows[i] = []any{m.ID, m.ReleaseID, int64(m.Batch), m.Channel, m.Audience, m.Address, m.Name, household, m.VillageCode, m.TextID, m.Status, m.NextAt.UTC(), fallback}
		w.count(m.Channel, m.Audience, m.Status, 1)
		if w.lo == 0 || m.ID < w.lo {
			w.lo = m.ID
		}
		w.hi = max(w.hi, m.ID)
		if m.Status == backstop.MessagePending {
			if w.batches == nil {
				w.batches = map[int][2]int64{}
			}
			r, ok := w.batches[m.Batch]
			if !ok {
				r = [2]int64{m.ID, m.ID}
			}
			w.batches[m.Batch] = [2]int64{min(r[0], m.ID), max(r[1], m.ID)}
		}
	}
	return w.db.bulkInsert(ctx, w.conn, w.tx, &w.msgCopy, "messages", messageColumns, rows)
}

// finishMessages records the batches' id ranges and the release's.
func (w *releaseWriter) finishMessages(ctx context.Context, due time.Time) error {
	var batches [][]any
	for b, r := range w.batches {
		batches = append(batches, []any{w.release.ID, int64(b), due, r[0], r[1]})
	}
	if err := w.db.insertMany(ctx, w.tx, "dispatch_batches", []string{"release_id", "batch", "due_at", "first_id", "last_id"}, batches); err != nil {
		return err
	}
	if w.lo == 0 {
		return nil
	}
	_, err := w.tx.ExecContext(ctx, w.db.q(`UPDATE releases SET first_message = CASE WHEN first_message = 0 OR first_message > ? THEN ? ELSE first_message END,
 last_message = CASE WHEN last_message < ? THEN ? ELSE last_message END WHERE id = ?`), w.lo, w.lo, w.hi, w.hi, w.release.ID)
	return err
}

// count tallies messages for the release's counts, written at the end.
func (w *releaseWriter) count(channel, audience, status string, n int) {
	if w.counts == nil {
		w.counts = map[[3]string]int{}
	}
	w.counts[[3]string{channel, audience, status}] += n
}

// addCounts adds tallies to release_counts.
func (db *DB) addCounts(ctx context.Context, ex execer, releaseID int64, counts map[[3]string]int) error {
	for k, n := range counts {
		if n == 0 {
			continue
		}
		if _, err := ex.ExecContext(ctx, db.q(`INSERT INTO release_counts (release_id, channel, audience, status, n) VALUES (?, ?, ?, ?, ?)
 ON CONFLICT (release_id, channel, audience, status) DO UPDATE SET n = release_counts.n + excluded.n`), releaseID, k[0], k[1], k[2], n); err != nil {
			return err
		}
	}
	return nil
}

func (w *releaseWriter) AddTasks(ctx context.Context, ts []*backstop.ConfirmationTask) error {
	rows := make([][]any, len(ts))
	for i, t := range ts {
		t.ReleaseID = w.release.ID
		var member any
		if t.MemberID != 0 {
			member = t.MemberID
		}
		rows[i] = []any{t.ReleaseID, t.HouseholdID, member, t.PersonName, t.Phone, int64(groupsOf(t.Groups)), t.VillageCode, t.Assignee, t.AssigneePhone, t.Deadline.UTC()}
	}
	return w.db.bulkInsert(ctx, w.conn, w.tx, &w.taskCopy, "confirmation_tasks", taskColumns, rows)
}

func groupsOf(names []string) backstop.Group {
	var g backstop.Group
	for _, n := range names {
		if one, err := backstop.ParseGroup(n); err == nil {
			g |= one
		}
	}
	return g
}

// bulkInsert writes rows with multi-row INSERTs on SQLite and binary COPY
// on PostgreSQL (the layout is read from the catalog once).
func (db *DB) bulkInsert(ctx context.Context, conn *sql.Conn, tx *sql.Tx, layout **copyTable, table string, cols []string, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	if db.dialect == SQLite {
		return db.insertMany(ctx, tx, table, cols, rows)
	}
	if *layout == nil {
		t, err := newCopyTable(ctx, tx, table, cols)
		if err != nil {
			return err
		}
		*layout = t
	}
	encoded, err := encodeRows(*layout, rows)
	if err != nil {
		return err
	}
	return copyRows(ctx, conn, *layout, "", nil, encoded)
}

// CreateRelease stores the release and everything fill writes, with the
// dispatch batches of its pending messages, in one transaction.
func (db *DB) CreateRelease(ctx context.Context, r *backstop.Release, fill func(backstop.ReleaseWriter) error) error {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return err
	}
	if err := u.Require(backstop.PermRelease); err != nil {
		return err
	}
	// The dispatcher's clock, when it gives one, so that batches are due
	// by the same clock that sends them.
	now := r.CreatedAt.UTC()
	if r.CreatedAt.IsZero() {
		now = db.now().UTC()
	}
	r.CreatedBy, r.CreatedAt = u.Name, now
	if r.State == "" {
		r.State = backstop.ReleaseSending
	}
	audiences, _ := json.Marshal(r.Audiences)
	channels, _ := json.Marshal(r.Channels)
	policies, _ := json.Marshal(nonNilIDs(r.PolicyIDs))
	var template any
	if r.TemplateID != 0 {
		template = r.TemplateID
	}
	return db.inConnTx(ctx, func(conn *sql.Conn, tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, db.q(`INSERT INTO releases (warning_id, snapshot_id, audiences, channels, template_id, text, test, state, basis, deadline, policy_ids, counts, created_by, created_at)
 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '[]', ?, ?) RETURNING id`), r.WarningID, r.SnapshotID, string(audiences), string(channels), template, r.Text, r.Test, r.State, r.Basis,
			r.Deadline.UTC(), string(policies), u.Name, now).Scan(&r.ID); err != nil {
			return err
		}
		w := &releaseWriter{db: db, conn: conn, tx: tx, release: r}
		if err := fill(w); err != nil {
			return err
		}
		counts, _ := json.Marshal(r.Counts)
		if _, err := tx.ExecContext(ctx, db.q(`UPDATE releases SET counts = ?, state = ? WHERE id = ?`), string(counts), r.State, r.ID); err != nil {
			return err
		}
		if err := db.addCounts(ctx, tx, r.ID, w.counts); err != nil {
			return err
		}
		if err := w.finishMessages(ctx, now); err != nil {
			return err
		}
		detail := fmt.Sprintf("warning %d, audiences %s, channels %s, test %t", r.WarningID, strings.Join(r.Audiences, ","), strings.Join(r.Channels, ","), r.Test)
		return db.audit(ctx, tx, "release.create", "release", fmt.Sprint(r.ID), detail)
	})
}

func nonNilIDs(ids []int64) []int64 {
	if ids == nil {
		return []int64{}
	}
	return ids
}

// FindRelease returns one release.
func (db *DB) FindRelease(ctx context.Context, id int64) (*backstop.Release, error) {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return nil, err
	}
	if err := u.Require(backstop.PermReadWarnings); err != nil {
		return nil, err
	}
	r, err := scanRelease(db.read.QueryRowContext(ctx, db.q(`SELECT `+releaseColumns+` FROM releases WHERE id = ?`), id))
	if err == sql.ErrNoRows {
		return nil, backstop.Errorf(backstop.ENOTFOUND, "Release %d not found.", id)
	}
	return r, db.translate(err)
}

// FindReleases lists a warning's releases, newest first (all when
// warningID is 0).
func (db *DB) FindReleases(ctx context.Context, warningID int64) ([]*backstop.Release, error) {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return nil, err
	}
	if err := u.Require(backstop.PermReadWarnings); err != nil {
		return nil, err
	}
	rows, err := db.read.QueryContext(ctx, db.q(`SELECT `+releaseColumns+` FROM releases WHERE warning_id = ? OR ? = 0 ORDER BY id DESC LIMIT 200`), warningID, warningID)
	if err != nil {
		return nil, db.translate(err)
	}
	defer rows.Close()
	out := []*backstop.Release{}
	for rows.Next() {
		r, err := scanRelease(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// anyTime scans a time that SQLite may hand over as integer microseconds
// (an expression loses the column's declared type) or as text.
type anyTime struct {
	t     time.Time
	valid bool
}

func (a *anyTime) Scan(v any) error {
	switch x := v.(type) {
	case nil:
		a.valid = false
	case time.Time:
		a.t, a.valid = x, true
	case int64:
		a.t, a.valid = time.UnixMicro(x).UTC(), true
	case string:
		t, err := time.Parse("2006-01-02 15:04:05.999999999-07:00", x)
		if err != nil {
			return err
		}
		a.t, a.valid = t, true
	case []byte:
		return a.Scan(string(x))
	default:
		return fmt.Errorf("cannot scan %T as a time", v)
	}
	return nil
}

// ReleaseStats computes a release's dashboard: messages by channel,
// audience and status (no personal data, so for the whole release),
// delivery times, and confirmation figures within the user's region.
func (db *DB) ReleaseStats(ctx context.Context, id int64) (*backstop.ReleaseStats, error) {
	r, err := db.FindRelease(ctx, id)
	if err != nil {
		return nil, err
	}
	u, _ := backstop.RequireUser(ctx)
	now := db.now().UTC()
	st := &backstop.ReleaseStats{ReleaseID: id, ComputedAt: now, Messages: []backstop.MessageCount{}, Villages: []backstop.VillageConfirmation{}}
	rows, err := db.read.QueryContext(ctx, db.q(`SELECT channel, audience, status, n FROM release_counts WHERE release_id = ? AND n <> 0 ORDER BY channel, audience, status`), id)
	if err != nil {
		return nil, db.translate(err)
	}
	total := 0
	for rows.Next() {
		var c backstop.MessageCount
		if err := rows.Scan(&c.Channel, &c.Audience, &c.Status, &c.N); err != nil {
			rows.Close()
			return nil, err
		}
		if c.Status != backstop.MessageSimulated {
			total += c.N
		}
		st.Messages = append(st.Messages, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// Delivery times: the first delivered, and the one that makes 90 %.
	if total > 0 {
		q := `SELECT delivered_at FROM messages WHERE release_id = ? AND delivered_at IS NOT NULL ORDER BY delivered_at LIMIT 1 OFFSET ?`
		for _, x := range []struct {
			offset int
			dst    **float64
		}{{0, &st.FirstDelivered}, {(total*9+9)/10 - 1, &st.NinetyDelivered}} {
			var at anyTime
			err := db.read.QueryRowContext(ctx, db.q(q), id, x.offset).Scan(&at)
			if err == sql.ErrNoRows {
				continue
			} else if err != nil {
				return nil, db.translate(err)
			}
			s := at.t.Sub(r.CreatedAt).Seconds()
			*x.dst = &s
		}
	}
	cond, args := "t.release_id = ?", []any{id}
	if u.Region != backstop.NationalScope {
		lo, hi := backstop.CodeRange(u.Region)
		cond, args = cond+" AND t.village_code BETWEEN ? AND ?", append(args, lo, hi)
	}
	rows, err = db.read.QueryContext(ctx, db.q(`SELECT t.village_code, COALESCE(v.name, ''), count(*),
 SUM(CASE WHEN t.outcome <> '' AND t.outcome <> ? THEN 1 ELSE 0 END),
 SUM(CASE WHEN t.outcome = ? THEN 1 ELSE 0 END),
 SUM(CASE WHEN t.outcome = '' AND t.deadline < ? THEN 1 ELSE 0 END),
 SUM(CASE WHEN t.escalation > 0 THEN 1 ELSE 0 END)
 FROM confirmation_tasks t LEFT JOIN regions v ON v.code = t.village_code WHERE `+cond+` GROUP BY t.village_code, v.name ORDER BY t.village_code`),
		append([]any{backstop.NotReachable, backstop.NotReachable, now}, args...)...)
	if err != nil {
		return nil, db.translate(err)
	}
	defer rows.Close()
	for rows.Next() {
		var v backstop.VillageConfirmation
		var unreachable, overdue, escalated int
		if err := rows.Scan(&v.Code, &v.Name, &v.Total, &v.Confirmed, &unreachable, &overdue, &escalated); err != nil {
			return nil, err
		}
		st.Villages = append(st.Villages, v)
		st.Tasks.Total += v.Total
		st.Tasks.Confirmed += v.Confirmed
		st.Tasks.Unreachable += unreachable
		st.Tasks.Overdue += overdue
		st.Tasks.Escalated += escalated
	}
	st.Tasks.Open = st.Tasks.Total - st.Tasks.Confirmed - st.Tasks.Unreachable
	return st, rows.Err()
}

// DueBatches lists batches with due messages and no live lease.
func (db *DB) DueBatches(ctx context.Context, now time.Time, limit int) ([]backstop.DispatchBatch, error) {
	rows, err := db.read.QueryContext(ctx, db.q(`SELECT release_id, batch FROM dispatch_batches WHERE due_at IS NOT NULL AND due_at <= ? AND (lease_until IS NULL OR lease_until < ?)
 ORDER BY due_at, release_id, batch LIMIT ?`), now.UTC(), now.UTC(), limit)
	if err != nil {
		return nil, db.translate(err)
	}
	defer rows.Close()
	var out []backstop.DispatchBatch
	for rows.Next() {
		var b backstop.DispatchBatch
		if err := rows.Scan(&b.ReleaseID, &b.Batch); err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, rows.Err()
}

// LeaseBatch takes the batch for owner and returns its due messages.
func (db *DB) LeaseBatch(ctx context.Context, b backstop.DispatchBatch, owner string, now, until time.Time) ([]*backstop.Message, error) {
	var out []*backstop.Message
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		var lo, hi int64
		err := tx.QueryRowContext(ctx, db.q(`UPDATE dispatch_batches SET lease_owner = ?, lease_until = ? WHERE release_id = ? AND batch = ? AND due_at IS NOT NULL
 AND (lease_until IS NULL OR lease_until < ? OR lease_owner = ?) RETURNING first_id, last_id`), owner, until.UTC(), b.ReleaseID, b.Batch, now.UTC(), owner).Scan(&lo, &hi)
		if err == sql.ErrNoRows {
			return backstop.Errorf(backstop.ECONFLICT, "Batch %d of release %d is taken or done.", b.Batch, b.ReleaseID)
		} else if err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, db.q(`SELECT m.id, m.channel, m.audience, m.address, m.name, COALESCE(m.household_id, 0), m.village_code, m.attempts, t.text
 FROM messages m JOIN release_texts t ON t.id = m.text_id WHERE m.id BETWEEN ? AND ? AND m.release_id = ? AND m.batch = ? AND m.status = ? AND m.next_at <= ? ORDER BY m.id`),
			lo, hi, b.ReleaseID, b.Batch, backstop.MessagePending, now.UTC())
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			m := &backstop.Message{ReleaseID: b.ReleaseID, Batch: b.Batch, Status: backstop.MessagePending}
			if err := rows.Scan(&m.ID, &m.Channel, &m.Audience, &m.Address, &m.Name, &m.HouseholdID, &m.VillageCode, &m.Attempts, &m.Text); err != nil {
				return err
			}
			m.Key = backstop.MessageKey(m.ReleaseID, m.ID)
			out = append(out, m)
		}
		return rows.Err()
	})
	return out, err
}

// FinishBatch records the results of sending a batch, sets when it is due
// again (its earliest pending message) and gives the lease back. A
// release whose batches are all done is done.
func (db *DB) FinishBatch(ctx context.Context, b backstop.DispatchBatch, owner string, results []backstop.MessageResult) error {
	return db.inTx(ctx, func(tx *sql.Tx) error {
		if err := db.recordResults(ctx, tx, b.ReleaseID, results); err != nil {
			return err
		}
		var next anyTime
		err := tx.QueryRowContext(ctx, db.q(`SELECT m.next_at FROM dispatch_batches d JOIN messages m ON m.id BETWEEN d.first_id AND d.last_id
 WHERE d.release_id = ? AND d.batch = ? AND m.release_id = d.release_id AND m.batch = d.batch AND m.status = ? ORDER BY m.next_at LIMIT 1`),
			b.ReleaseID, b.Batch, backstop.MessagePending).Scan(&next)
		if err != nil && err != sql.ErrNoRows {
			return err
		}
		var due any
		if next.valid {
			due = next.t.UTC()
		}
		if _, err := tx.ExecContext(ctx, db.q(`UPDATE dispatch_batches SET due_at = ?, lease_owner = '', lease_until = NULL WHERE release_id = ? AND batch = ? AND lease_owner = ?`),
			due, b.ReleaseID, b.Batch, owner); err != nil {
			return err
		}
		if due == nil {
			var one int
			err := tx.QueryRowContext(ctx, db.q(`SELECT 1 FROM dispatch_batches WHERE release_id = ? AND due_at IS NOT NULL LIMIT 1`), b.ReleaseID).Scan(&one)
			if err == sql.ErrNoRows {
				_, err = tx.ExecContext(ctx, db.q(`UPDATE releases SET state = ? WHERE id = ?`), backstop.ReleaseDone, b.ReleaseID)
			}
			return err
		}
		return nil
	})
}

// recordResults updates messages with the outcome of a send, and the
// release's counts with what changed.
func (db *DB) recordResults(ctx context.Context, tx *sql.Tx, releaseID int64, results []backstop.MessageResult) error {
	st, err := tx.PrepareContext(ctx, db.q(`UPDATE messages SET status = ?, attempts = attempts + 1, error = ?, gateway_id = CASE WHEN ? <> '' THEN ? ELSE gateway_id END,
 sent_at = CASE WHEN ? IN ('sent', 'delivered') THEN COALESCE(sent_at, ?) ELSE sent_at END,
 delivered_at = CASE WHEN ? = 'delivered' THEN COALESCE(delivered_at, ?) ELSE delivered_at END,
 next_at = ? WHERE id = ? AND status = 'pending'`))
	if err != nil {
		return err
	}
	defer st.Close()
	counts := map[[3]string]int{}
	for _, r := range results {
		next := r.NextAt
		if next.IsZero() {
			next = r.At
		}
		res, err := st.ExecContext(ctx, r.Status, r.Error, r.GatewayID, r.GatewayID, r.Status, r.At.UTC(), r.Status, r.At.UTC(), next.UTC(), r.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 1 && r.Status != backstop.MessagePending {
			counts[[3]string{r.Channel, r.Audience, backstop.MessagePending}]--
			counts[[3]string{r.Channel, r.Audience, r.Status}]++
		}
	}
	return db.addCounts(ctx, tx, releaseID, counts)
}

// ApplyReceipt records a delivery report. A report may come before the
// sender recorded the acceptance (the process died in between): the
// gateway knows best.
func (db *DB) ApplyReceipt(ctx context.Context, key, status, reason string, at time.Time) (*backstop.Message, error) {
	releaseID, id, ok := backstop.ParseMessageKey(key)
	if !ok {
		return nil, backstop.Errorf(backstop.ENOTFOUND, "No message has the key %q.", key)
	}
	if status != backstop.MessageDelivered && status != backstop.MessageFailed {
		return nil, backstop.Errorf(backstop.EINVALID, "A receipt's status is delivered or failed, not %q.", status)
	}
	var m *backstop.Message
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		m = &backstop.Message{ID: id, ReleaseID: releaseID, Key: key}
		err := tx.QueryRowContext(ctx, db.q(`SELECT channel, audience, address, name, COALESCE(household_id, 0), village_code, status FROM messages WHERE id = ? AND release_id = ?`), id, releaseID).
			Scan(&m.Channel, &m.Audience, &m.Address, &m.Name, &m.HouseholdID, &m.VillageCode, &m.Status)
		if err == sql.ErrNoRows {
			return backstop.Errorf(backstop.ENOTFOUND, "No message has the key %q.", key)
		} else if err != nil {
			return err
		}
		if m.Status == backstop.MessageSimulated {
			return backstop.Errorf(backstop.ECONFLICT, "Message %s was never sent (a test release).", key)
		}
		if status == backstop.MessageDelivered {
			_, err = tx.ExecContext(ctx, db.q(`UPDATE messages SET status = ?, error = '', delivered_at = COALESCE(delivered_at, ?), sent_at = COALESCE(sent_at, ?) WHERE id = ?`), status, at.UTC(), at.UTC(), id)
		} else {
			_, err = tx.ExecContext(ctx, db.q(`UPDATE messages SET status = ?, error = ?, sent_at = COALESCE(sent_at, ?) WHERE id = ?`), status, reason, at.UTC(), id)
		}
		if err != nil {
			return err
		}
		if m.Status != status {
			err = db.addCounts(ctx, tx, releaseID, map[[3]string]int{{m.Channel, m.Audience, m.Status}: -1, {m.Channel, m.Audience, status}: 1})
		}
		m.Status, m.Error = status, reason
		return err
	})
	return m, err
}

// AddFollowUp writes messages after the release in a new batch that is
// due at once, skipping addresses already messaged on the channel.
func (db *DB) AddFollowUp(ctx context.Context, releaseID int64, channel, text string, ms []*backstop.Message, dedupe bool) (int, error) {
	if len(ms) == 0 {
		return 0, nil
	}
	written := 0
	err := db.inConnTx(ctx, func(conn *sql.Conn, tx *sql.Tx) error {
		var lo, hi int64
		if err := tx.QueryRowContext(ctx, db.q(`SELECT first_message, last_message FROM releases WHERE id = ?`), releaseID).Scan(&lo, &hi); err != nil {
			return err
		}
		fresh := ms
		if dedupe {
			fresh = nil
			for _, m := range ms {
				var one int
				err := tx.QueryRowContext(ctx, db.q(`SELECT 1 FROM messages WHERE id BETWEEN ? AND ? AND release_id = ? AND channel = ? AND address = ? AND status <> ? LIMIT 1`),
					lo, hi, releaseID, m.Channel, m.Address, backstop.MessageFailed).Scan(&one)
				if err == sql.ErrNoRows {
					fresh = append(fresh, m)
				} else if err != nil {
					return err
				}
			}
		}
		if len(fresh) == 0 {
			return nil
		}
		now := fresh[0].NextAt.UTC()
		if fresh[0].NextAt.IsZero() {
			now = db.now().UTC()
		}
		var batch int
		if err := tx.QueryRowContext(ctx, db.q(`SELECT COALESCE(max(batch), 0) + 1 FROM dispatch_batches WHERE release_id = ?`), releaseID).Scan(&batch); err != nil {
			return err
		}
		w := &releaseWriter{db: db, conn: conn, tx: tx, release: &backstop.Release{ID: releaseID}}
		textID, err := w.AddText(ctx, channel, text)
		if err != nil {
			return err
		}
		pending := false
		for _, m := range fresh {
			if m.Status != backstop.MessageSimulated {
				m.Status, pending = backstop.MessagePending, true
			}
			m.Batch, m.TextID, m.NextAt = batch, textID, now
		}
		if err := w.AddMessages(ctx, fresh); err != nil {
			return err
		}
		if err := db.addCounts(ctx, tx, releaseID, w.counts); err != nil {
			return err
		}
		if err := w.finishMessages(ctx, now); err != nil {
			return err
		}
		if pending {
			if _, err := tx.ExecContext(ctx, db.q(`UPDATE releases SET state = ? WHERE id = ?`), backstop.ReleaseSending, releaseID); err != nil {
				return err
			}
		}
		written = len(fresh)
		return nil
	})
	return written, err
}

// RequestCalls flags households' open tasks for a call, village by
// village (tasks are indexed by release and village).
func (db *DB) RequestCalls(ctx context.Context, releaseID int64, households []backstop.HouseholdAt) (map[int64]int, error) {
	byVillage := map[string][]any{}
	for _, h := range households {
		byVillage[h.Village] = append(byVillage[h.Village], h.ID)
	}
	out := map[int64]int{}
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		for village, ids := range byVillage {
			for start := 0; start < len(ids); start += 500 {
				chunk := ids[start:min(start+500, len(ids))]
				in := `(?` + strings.Repeat(",?", len(chunk)-1) + `)`
				args := append([]any{releaseID, village}, chunk...)
				rows, err := tx.QueryContext(ctx, db.q(`SELECT household_id, count(*) FROM confirmation_tasks WHERE release_id = ? AND village_code = ? AND household_id IN `+in+` AND outcome = '' GROUP BY household_id`), args...)
				if err != nil {
					return err
				}
				for rows.Next() {
					var id int64
					var n int
					if err := rows.Scan(&id, &n); err != nil {
						rows.Close()
						return err
					}
					out[id] = n
				}
				rows.Close()
				if _, err := tx.ExecContext(ctx, db.q(`UPDATE confirmation_tasks SET call_requested = ? WHERE release_id = ? AND village_code = ? AND household_id IN `+in+` AND outcome = ''`),
					append([]any{true}, args...)...); err != nil {
					return err
				}
			}
		}
		return nil
	})
	return out, err
}

const taskSelect = `SELECT t.id, t.release_id, t.household_id, h.number, COALESCE(t.member_id, 0), t.person_name, t.phone, t.groups, t.village_code, COALESCE(v.name, ''),
 t.assignee, t.assignee_phone, t.outcome, t.note, t.confirmed_by, t.confirmed_at, t.deadline, t.escalation, t.call_requested
 FROM confirmation_tasks t JOIN households h ON h.id = t.household_id LEFT JOIN regions v ON v.code = t.village_code`

func scanTask(sc interface{ Scan(...any) error }) (*backstop.ConfirmationTask, error) {
	var t backstop.ConfirmationTask
	var groups int64
	var confirmed sql.NullTime
	if err := sc.Scan(&t.ID, &t.ReleaseID, &t.HouseholdID, &t.HouseholdNumber, &t.MemberID, &t.PersonName, &t.Phone, &groups, &t.VillageCode, &t.Village,
		&t.Assignee, &t.AssigneePhone, &t.Outcome, &t.Note, &t.ConfirmedBy, &confirmed, &t.Deadline, &t.Escalation, &t.CallRequested); err != nil {
		return nil, err
	}
	t.Groups = backstop.Group(groups).Names()
	t.ConfirmedAt = timePtr(confirmed)
	return &t, nil
}

// FindTasks lists confirmation tasks within the user's region: calls
// requested first, then open ones, by village and household.
func (db *DB) FindTasks(ctx context.Context, f backstop.TaskFilter) ([]*backstop.ConfirmationTask, int, error) {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return nil, 0, err
	}
	if err := u.Require(backstop.PermReadRegistry); err != nil {
		return nil, 0, err
	}
	conds, args := []string{"t.release_id = ?"}, []any{f.ReleaseID}
	if u.Region != backstop.NationalScope {
		lo, hi := backstop.CodeRange(u.Region)
		conds, args = append(conds, "t.village_code BETWEEN ? AND ?"), append(args, lo, hi)
	}
	if f.ID != 0 {
		conds, args = append(conds, "t.id = ?"), append(args, f.ID)
	}
	if f.Open {
		conds = append(conds, "t.outcome = ''")
	}
	if f.Outcome != "" {
		conds, args = append(conds, "t.outcome = ?"), append(args, f.Outcome)
	}
	if f.Assignee != "" {
		conds, args = append(conds, "t.assignee_phone = ?"), append(args, f.Assignee)
	}
	if f.Village != "" {
		conds, args = append(conds, "t.village_code = ?"), append(args, f.Village)
	}
	where := strings.Join(conds, " AND ")
	var total int
	if err := db.read.QueryRowContext(ctx, db.q(`SELECT count(*) FROM confirmation_tasks t WHERE `+where), args...).Scan(&total); err != nil {
		return nil, 0, db.translate(err)
	}
	if f.Limit <= 0 || f.Limit > MaxPageSize {
		f.Limit = 100
	}
	rows, err := db.read.QueryContext(ctx, db.q(taskSelect+` WHERE `+where+` ORDER BY t.call_requested DESC, CASE WHEN t.outcome = '' THEN 0 ELSE 1 END, t.village_code, h.number, t.id LIMIT ? OFFSET ?`),
		append(args, f.Limit, f.Offset)...)
	if err != nil {
		return nil, 0, db.translate(err)
	}
	defer rows.Close()
	out := []*backstop.ConfirmationTask{}
	for rows.Next() {
		t, err := scanTask(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, t)
	}
	return out, total, rows.Err()
}

// ConfirmTask records an outcome. The task must lie in the user's region.
func (db *DB) ConfirmTask(ctx context.Context, id int64, outcome, note, by string) (*backstop.ConfirmationTask, error) {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return nil, err
	}
	if err := u.Require(backstop.PermConfirm); err != nil {
		return nil, err
	}
	if !slices.Contains(backstop.Outcomes, outcome) {
		return nil, backstop.Localized(backstop.EINVALID, "确认结果须为：电话联系、当面告知、邻居转告、无法联系", "The outcome must be one of %s, not %q.", strings.Join(backstop.Outcomes, ", "), outcome)
	}
	if len(note) > 500 {
		return nil, backstop.Localized(backstop.EINVALID, "备注不能超过500字", "The note is longer than 500 characters.")
	}
	if by == "" {
		by = u.Name
	}
	now := db.now().UTC()
	var t *backstop.ConfirmationTask
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		t, err = scanTask(tx.QueryRowContext(ctx, db.q(taskSelect+` WHERE t.id = ?`), id))
		if err == sql.ErrNoRows || (err == nil && !u.InScope(t.VillageCode)) {
			return backstop.Errorf(backstop.ENOTFOUND, "Task %d not found.", id)
		} else if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, db.q(`UPDATE confirmation_tasks SET outcome = ?, note = ?, confirmed_by = ?, confirmed_at = ? WHERE id = ?`), outcome, note, by, now, id); err != nil {
			return err
		}
		t.Outcome, t.Note, t.ConfirmedBy, t.ConfirmedAt = outcome, note, by, &now
		return db.audit(ctx, tx, "task.confirm", "release", fmt.Sprint(t.ReleaseID), fmt.Sprintf("task %d (household %s): %s by %s", id, t.HouseholdNumber, outcome, by))
	})
	return t, err
}

// OverdueTasks lists the open tasks of the releases due for escalation:
// releases are found by their own deadline and level, tasks by release.
func (db *DB) OverdueTasks(ctx context.Context, now time.Time, from int, countyAfter time.Duration) ([]*backstop.ConfirmationTask, error) {
	q, arg := `SELECT id FROM releases WHERE escalation = 0 AND deadline < ?`, now.UTC()
	if from == 1 {
		q, arg = `SELECT id FROM releases WHERE escalation = 1 AND escalated_at < ?`, now.Add(-countyAfter).UTC()
	}
	rows, err := db.read.QueryContext(ctx, db.q(q+` ORDER BY id LIMIT 1000`), arg)
	if err != nil {
		return nil, db.translate(err)
	}
	var releases []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, err
		}
		releases = append(releases, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var out []*backstop.ConfirmationTask
	for _, r := range releases {
		rows, err := db.read.QueryContext(ctx, db.q(taskSelect+` WHERE t.release_id = ? AND t.outcome = '' AND t.escalation = ? ORDER BY t.village_code, t.id`), r, from)
		if err != nil {
			return nil, db.translate(err)
		}
		n := 0
		for rows.Next() {
			t, err := scanTask(rows)
			if err != nil {
				rows.Close()
				return nil, err
			}
			out = append(out, t)
			n++
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		if n == 0 {
			// Everyone was confirmed: nothing will ever be escalated.
			if err := db.inTx(ctx, func(tx *sql.Tx) error {
				_, err := tx.ExecContext(ctx, db.q(`UPDATE releases SET escalation = 2, escalated_at = ? WHERE id = ?`), now.UTC(), r)
				return err
			}); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// MarkEscalated records that a release's tasks were escalated to level,
// and the release with them.
func (db *DB) MarkEscalated(ctx context.Context, releaseID int64, ids []int64, level int, at time.Time) error {
	return db.inTx(ctx, func(tx *sql.Tx) error {
		for start := 0; start < len(ids); start += 500 {
			chunk := ids[start:min(start+500, len(ids))]
			args := []any{level, at.UTC(), releaseID}
			for _, id := range chunk {
				args = append(args, id)
			}
			if _, err := tx.ExecContext(ctx, db.q(`UPDATE confirmation_tasks SET escalation = ?, escalated_at = ? WHERE release_id = ? AND id IN (?`+strings.Repeat(",?", len(chunk)-1)+`)`), args...); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, db.q(`UPDATE releases SET escalation = ?, escalated_at = ? WHERE id = ? AND escalation < ?`), level, at.UTC(), releaseID, level)
		return err
	})
}

// AddLink makes an assignee's confirmation link inside the release's
// transaction.
func (w *releaseWriter) AddLink(ctx context.Context, assigneePhone string) (string, error) {
	return w.db.newLink(ctx, w.tx, w.release.ID, assigneePhone)
}

func (db *DB) newLink(ctx context.Context, tx *sql.Tx, releaseID int64, assigneePhone string) (string, error) {
	var raw [16]byte
	rand.Read(raw[:])
	token := hex.EncodeToString(raw[:])
	if _, err := tx.ExecContext(ctx, db.q(`DELETE FROM confirmation_links WHERE release_id = ? AND assignee_phone = ?`), releaseID, assigneePhone); err != nil {
		return "", err
	}
	_, err := tx.ExecContext(ctx, db.q(`INSERT INTO confirmation_links (token_hash, release_id, assignee_phone, created_at) VALUES (?, ?, ?, ?)`), tokenHash(token), releaseID, assigneePhone, db.now().UTC())
	return token, err
}

func tokenHash(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// ConfirmationLink makes a new link token for an assignee's tasks in a
// release; a new one replaces the old (only hashes are kept).
func (db *DB) ConfirmationLink(ctx context.Context, releaseID int64, assigneePhone string) (string, error) {
	var token string
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		token, err = db.newLink(ctx, tx, releaseID, assigneePhone)
		return err
	})
	return token, err
}

// LinkAssignee resolves a link token.
func (db *DB) LinkAssignee(ctx context.Context, token string) (int64, string, error) {
	var releaseID int64
	var phone string
	err := db.read.QueryRowContext(ctx, db.q(`SELECT release_id, assignee_phone FROM confirmation_links WHERE token_hash = ?`), tokenHash(token)).Scan(&releaseID, &phone)
	if err == sql.ErrNoRows {
		return 0, "", backstop.Localized(backstop.EUNAUTHORIZED, "链接无效或已被新链接取代", "This link is not valid (or a newer one replaced it).")
	}
	return releaseID, phone, db.translate(err)
}

// Templates.

const templateColumns = `id, hazard, level, text, updated_by, updated_at`

func scanTemplate(sc interface{ Scan(...any) error }) (*backstop.MessageTemplate, error) {
	var t backstop.MessageTemplate
	var hazard string
	err := sc.Scan(&t.ID, &hazard, &t.Level, &t.Text, &t.UpdatedBy, &t.UpdatedAt)
	t.Hazard = backstop.Hazard(hazard)
	return &t, err
}

// FindTemplates lists every template: general first.
func (db *DB) FindTemplates(ctx context.Context) ([]*backstop.MessageTemplate, error) {
	if _, err := backstop.RequireUser(ctx); err != nil {
		return nil, err
	}
	rows, err := db.read.QueryContext(ctx, `SELECT `+templateColumns+` FROM message_templates ORDER BY hazard, level`)
	if err != nil {
		return nil, db.translate(err)
	}
	defer rows.Close()
	out := []*backstop.MessageTemplate{}
	for rows.Next() {
		t, err := scanTemplate(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// TemplateFor picks the most specific template.
func (db *DB) TemplateFor(ctx context.Context, hazard backstop.Hazard, level string) (*backstop.MessageTemplate, error) {
	all, err := db.FindTemplates(ctx)
	if err != nil {
		return nil, err
	}
	var best *backstop.MessageTemplate
	bestScore := -1
	for _, t := range all {
		if (t.Hazard != "" && t.Hazard != hazard) || (t.Level != "" && t.Level != level) {
			continue
		}
		score := 0
		if t.Hazard != "" {
			score += 2
		}
		if t.Level != "" {
			score++
		}
		if score > bestScore {
			best, bestScore = t, score
		}
	}
	if best == nil {
		return nil, backstop.Localized(backstop.ENOTFOUND, "没有适用于该灾种和级别的短信模板", "No message template applies to %s %s.", hazard, level)
	}
	return best, nil
}

// FindTemplate returns one template.
func (db *DB) FindTemplate(ctx context.Context, id int64) (*backstop.MessageTemplate, error) {
	if _, err := backstop.RequireUser(ctx); err != nil {
		return nil, err
	}
	t, err := scanTemplate(db.read.QueryRowContext(ctx, db.q(`SELECT `+templateColumns+` FROM message_templates WHERE id = ?`), id))
	if err == sql.ErrNoRows {
		return nil, backstop.Errorf(backstop.ENOTFOUND, "Template %d not found.", id)
	}
	return t, db.translate(err)
}

// SaveTemplate creates or replaces a template.
func (db *DB) SaveTemplate(ctx context.Context, t *backstop.MessageTemplate) error {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return err
	}
	if err := u.Require(backstop.PermManageReach); err != nil {
		return err
	}
	if err := backstop.ValidateTemplate(t.Text); err != nil {
		return err
	}
	if t.Hazard != "" {
		if _, ok := backstop.HazardOf(t.Hazard); !ok {
			return backstop.Errorf(backstop.EINVALID, "unknown hazard %q", t.Hazard)
		}
	}
	if t.Level != "" && !slices.Contains(backstop.Levels, t.Level) {
		return backstop.Errorf(backstop.EINVALID, "unknown level %q (red, orange, yellow, blue)", t.Level)
	}
	now := db.now().UTC()
	t.UpdatedBy, t.UpdatedAt = u.Name, now
	return db.inTx(ctx, func(tx *sql.Tx) error {
		if t.ID == 0 {
			err := tx.QueryRowContext(ctx, db.q(`INSERT INTO message_templates (hazard, level, text, updated_by, updated_at) VALUES (?, ?, ?, ?, ?) RETURNING id`),
				string(t.Hazard), t.Level, t.Text, u.Name, now).Scan(&t.ID)
			if backstop.ErrorCode(db.translate(err)) == backstop.ECONFLICT {
				return backstop.Localized(backstop.ECONFLICT, "该灾种和级别已有模板，请修改原模板", "A template for %q %q exists already; edit it.", t.Hazard, t.Level)
			}
			if err != nil {
				return err
			}
		} else {
			res, err := tx.ExecContext(ctx, db.q(`UPDATE message_templates SET hazard = ?, level = ?, text = ?, updated_by = ?, updated_at = ? WHERE id = ?`), string(t.Hazard), t.Level, t.Text, u.Name, now, t.ID)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return backstop.Errorf(backstop.ENOTFOUND, "Template %d not found.", t.ID)
			}
		}
		return db.audit(ctx, tx, "template.save", "template", fmt.Sprint(t.ID), string(t.Hazard)+" "+t.Level)
	})
}

// Contacts.

const contactColumns = `id, kind, name, department, region_code, phone, email, address, hazards`

func scanContact(sc interface{ Scan(...any) error }) (*backstop.Contact, error) {
	var c backstop.Contact
	var hazards string
	if err := sc.Scan(&c.ID, &c.Kind, &c.Name, &c.Department, &c.Region, &c.Phone, &c.Email, &c.Address, &hazards); err != nil {
		return nil, err
	}
	json.Unmarshal([]byte(hazards), &c.Hazards)
	return &c, nil
}

func (db *DB) scanContacts(ctx context.Context, query string, args ...any) ([]*backstop.Contact, error) {
	rows, err := db.read.QueryContext(ctx, db.q(query), args...)
	if err != nil {
		return nil, db.translate(err)
	}
	defer rows.Close()
	out := []*backstop.Contact{}
	for rows.Next() {
		c, err := scanContact(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// FindContacts lists contacts within the user's region, or above it
// (a township officer sees the county's duty officers).
func (db *DB) FindContacts(ctx context.Context, kind string) ([]*backstop.Contact, error) {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return nil, err
	}
	if err := u.Require(backstop.PermReadWarnings); err != nil {
		return nil, err
	}
	conds, args := []string{"(kind = ? OR ? = '')"}, []any{kind, kind}
	if u.Region != backstop.NationalScope {
		lo, hi := backstop.CodeRange(u.Region)
		conds, args = append(conds, "region_code BETWEEN ? AND ?"), append(args, lo, hi)
	}
	return db.scanContacts(ctx, `SELECT `+contactColumns+` FROM contacts WHERE `+strings.Join(conds, " AND ")+` ORDER BY region_code, kind, name, id`, args...)
}

// ContactsFor lists the contacts of the given regions and of every
// region above them.
func (db *DB) ContactsFor(ctx context.Context, regions []string) ([]*backstop.Contact, error) {
	if _, err := backstop.RequireUser(ctx); err != nil {
		return nil, err
	}
	set := map[string]bool{backstop.NationalScope: true}
	for _, r := range regions {
		for c := r; c != ""; c = backstop.ParentCodeOf(c) {
			set[c] = true
		}
	}
	codes := make([]string, 0, len(set))
	for c := range set {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	var out []*backstop.Contact
	for start := 0; start < len(codes); start += 500 {
		chunk := codes[start:min(start+500, len(codes))]
		args := make([]any, len(chunk))
		for i, c := range chunk {
			args[i] = c
		}
		cs, err := db.scanContacts(ctx, `SELECT `+contactColumns+` FROM contacts WHERE region_code IN (?`+strings.Repeat(",?", len(chunk)-1)+`) ORDER BY region_code, kind, id`, args...)
		if err != nil {
			return nil, err
		}
		out = append(out, cs...)
	}
	return out, nil
}

// CreateContacts stores contacts inside the user's region in one
// transaction.
func (db *DB) CreateContacts(ctx context.Context, cs ...*backstop.Contact) error {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return err
	}
	if err := u.Require(backstop.PermManageReach); err != nil {
		return err
	}
	for _, c := range cs {
		if err := c.Validate(); err != nil {
			return err
		}
		if err := db.checkRobotURL(c); err != nil {
			return err
		}
		if !u.InScope(c.Region) {
			return backstop.Errorf(backstop.EFORBIDDEN, "Region %s is outside your region %s.", c.Region, u.Region)
		}
	}
	now := db.now().UTC()
	return db.inTx(ctx, func(tx *sql.Tx) error {
		for _, c := range cs {
			hazards := []byte("[]")
			if len(c.Hazards) > 0 {
				hazards, _ = json.Marshal(c.Hazards)
			}
			if err := tx.QueryRowContext(ctx, db.q(`INSERT INTO contacts (kind, name, department, region_code, phone, email, address, hazards, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
				c.Kind, c.Name, c.Department, c.Region, c.Phone, c.Email, c.Address, string(hazards), u.Name, now).Scan(&c.ID); err != nil {
				return err
			}
			if err := db.audit(ctx, tx, "contact.create", "contact", fmt.Sprint(c.ID), c.Kind+" "+c.Region); err != nil {
				return err
			}
		}
		return nil
	})
}

// checkRobotURL checks a 企业微信 robot given as a webhook URL (a bare
// key goes to the configured robot host and needs no check): the channel
// posts to it, so it must not name an internal address.
func (db *DB) checkRobotURL(c *backstop.Contact) error {
	if c.Kind != backstop.ContactWeComGroup || !strings.Contains(c.Address, "://") {
		return nil
	}
	if err := db.Outbound.CheckURL(c.Address); err != nil {
		return &backstop.Error{Code: backstop.EINVALID, ZH: fmt.Sprintf("联系人“%s”的企业微信机器人地址：%s", c.Name, backstop.ErrorMessageZH(err)),
			Message: fmt.Sprintf("Contact %q, 企业微信 robot address: %s", c.Name, backstop.ErrorMessage(err))}
	}
	return nil
}

// DeleteContact removes a contact of the user's region.
func (db *DB) DeleteContact(ctx context.Context, id int64) error {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return err
	}
	if err := u.Require(backstop.PermManageReach); err != nil {
		return err
	}
	return db.inTx(ctx, func(tx *sql.Tx) error {
		var region string
		err := tx.QueryRowContext(ctx, db.q(`SELECT region_code FROM contacts WHERE id = ?`), id).Scan(&region)
		if err == sql.ErrNoRows || (err == nil && !u.InScope(region)) {
			return backstop.Errorf(backstop.ENOTFOUND, "Contact %d not found.", id)
		} else if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, db.q(`DELETE FROM contacts WHERE id = ?`), id); err != nil {
			return err
		}
		return db.audit(ctx, tx, "contact.delete", "contact", fmt.Sprint(id), region)
	})
}
