package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/zhangye-backstop/backstop"
)

// The outbox: messages of every stream (a release, a clock's escalation
// messages go to the stream of what they are about), sent in leased
// batches. Messages carry no per-row foreign keys and one secondary index:
// they are written by the million, with ids the writer hands out, and read
// by id ranges that each batch and stream remember.

var messageColumns = []string{"id", "stream_id", "batch", "channel", "audience", "address", "name", "household_id", "village_code", "text_id", "status", "next_at", "fallback"}

// outboxWriter writes a stream's texts and messages inside a transaction.
type outboxWriter struct {
	db       *DB
	conn     *sql.Conn // for COPY on PostgreSQL; nil writes with INSERT
	tx       *sql.Tx
	streamID int64
	msgCopy  *copyTable
	counts   map[[3]string]int // messages by channel, audience, status
	batches  map[int][2]int64  // batches with pending messages: their id ranges
	lo, hi   int64             // ids of the messages written
	nextID   int64             // next message id (SQLite)
	spareIDs []int64           // message ids taken from the sequence (PostgreSQL)
}

func (w *outboxWriter) AddText(ctx context.Context, channel, text string) (int64, error) {
	var id int64
	err := w.tx.QueryRowContext(ctx, w.db.q(`INSERT INTO message_texts (stream_id, channel, text) VALUES (?, ?, ?) RETURNING id`), w.streamID, channel, text).Scan(&id)
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

// oneID hands out one id of table (a stream, a release) before its row is
// written, so that rows that name each other can be written at once.
func (db *DB) oneID(ctx context.Context, tx *sql.Tx, table string) (int64, error) {
	var next int64
	var spare []int64
	if db.dialect == Postgres {
		var seq string
		if err := tx.QueryRowContext(ctx, `SELECT pg_get_serial_sequence($1, 'id')`, table).Scan(&seq); err != nil {
			return 0, err
		}
		var id int64
		err := tx.QueryRowContext(ctx, `SELECT nextval($1::regclass)`, seq).Scan(&id)
		return id, err
	}
	ids, err := db.takeIDs(ctx, tx, table, &next, &spare, 1)
	if err != nil {
		return 0, err
	}
	return ids[0], nil
}

// AddMessages writes messages and counts them. Their ids are handed out
// here (so each key is known before anything is sent), and each batch
// remembers the range its ids lie in: batches are read by id range, with
// no index of their own.
func (w *outboxWriter) AddMessages(ctx context.Context, ms []*backstop.Message) error {
	if len(ms) == 0 {
		return nil
	}
	ids, err := w.db.takeIDs(ctx, w.tx, "messages", &w.nextID, &w.spareIDs, len(ms))
	if err != nil {
		return err
	}
	rows := make([][]any, len(ms))
	for i, m := range ms {
		m.ID, m.StreamID = ids[i], w.streamID
		m.Key = backstop.MessageKey(m.StreamID, m.ID)
		var household, fallback any
		if m.HouseholdID != 0 {
			household = m.HouseholdID
		}
		if m.Fallback != 0 {
			fallback = m.Fallback
		}
		rows[i] = []any{m.ID, m.StreamID, int64(m.Batch), m.Channel, m.Audience, m.Address, m.Name, household, m.VillageCode, m.TextID, m.Status, m.NextAt.UTC(), fallback}
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

// finish writes the counts, the batches' id ranges and the stream's; a
// stream with pending messages is sending.
func (w *outboxWriter) finish(ctx context.Context, due time.Time) error {
	if err := w.db.addCounts(ctx, w.tx, w.streamID, w.counts); err != nil {
		return err
	}
	var batches [][]any
	for b, r := range w.batches {
		batches = append(batches, []any{w.streamID, int64(b), due, r[0], r[1]})
	}
	if err := w.db.insertMany(ctx, w.tx, "outbox_batches", []string{"stream_id", "batch", "due_at", "first_id", "last_id"}, batches); err != nil {
		return err
	}
	if w.lo == 0 {
		return nil
	}
	state := ""
	if len(w.batches) > 0 {
		state = backstop.StreamSending
	}
	_, err := w.tx.ExecContext(ctx, w.db.q(`UPDATE streams SET first_message = CASE WHEN first_message = 0 OR first_message > ? THEN ? ELSE first_message END,
 last_message = CASE WHEN last_message < ? THEN ? ELSE last_message END, state = CASE WHEN ? <> '' THEN ? ELSE state END WHERE id = ?`), w.lo, w.lo, w.hi, w.hi, state, state, w.streamID)
	return err
}

// count tallies messages for the stream's counts, written at the end.
func (w *outboxWriter) count(channel, audience, status string, n int) {
	if w.counts == nil {
		w.counts = map[[3]string]int{}
	}
	w.counts[[3]string{channel, audience, status}] += n
}

// addCounts adds tallies to stream_counts.
func (db *DB) addCounts(ctx context.Context, ex execer, streamID int64, counts map[[3]string]int) error {
	for k, n := range counts {
		if n == 0 {
			continue
		}
		if _, err := ex.ExecContext(ctx, db.q(`INSERT INTO stream_counts (stream_id, channel, audience, status, n) VALUES (?, ?, ?, ?, ?)
 ON CONFLICT (stream_id, channel, audience, status) DO UPDATE SET n = stream_counts.n + excluded.n`), streamID, k[0], k[1], k[2], n); err != nil {
			return err
		}
	}
	return nil
}

// bulkInsert writes rows with multi-row INSERTs on SQLite and binary COPY
// on PostgreSQL (the layout is read from the catalog once); without a
// connection it inserts on PostgreSQL too.
func (db *DB) bulkInsert(ctx context.Context, conn *sql.Conn, tx *sql.Tx, layout **copyTable, table string, cols []string, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	if db.dialect == SQLite || conn == nil {
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

// createStream stores a new stream in tx and returns its id.
func (db *DB) createStream(ctx context.Context, tx *sql.Tx, id int64, kind string, subject int64, state string, linksExpire time.Time, now time.Time) error {
	var expire any
	if !linksExpire.IsZero() {
		expire = linksExpire.UTC()
	}
	_, err := tx.ExecContext(ctx, db.q(`INSERT INTO streams (id, kind, subject_id, state, links_expire_at, created_at) VALUES (?, ?, ?, ?, ?, ?)`), id, kind, subject, state, expire, now.UTC())
	return err
}

// inTurn holds back a batch of a stream whose messages go in order (a
// subscription's webhooks, backstop.StreamSubscription) while an earlier
// batch of the stream is still due, retrying or leased: a receiver gets
// its events one after another, in the order they were written, and a
// delivery that keeps failing holds the later ones until it is final.
const inTurn = `((SELECT s.kind FROM streams s WHERE s.id = outbox_batches.stream_id) <> '` + backstop.StreamSubscription + `'
 OR NOT EXISTS (SELECT 1 FROM outbox_batches e WHERE e.stream_id = outbox_batches.stream_id AND e.batch < outbox_batches.batch AND e.due_at IS NOT NULL))`

// DueBatches lists batches with due messages and no live lease.
func (db *DB) DueBatches(ctx context.Context, now time.Time, limit int) ([]backstop.OutboxBatch, error) {
	rows, err := db.read.QueryContext(ctx, db.q(`SELECT stream_id, batch FROM outbox_batches WHERE due_at IS NOT NULL AND due_at <= ? AND (lease_until IS NULL OR lease_until < ?)
 AND `+inTurn+` ORDER BY due_at, stream_id, batch LIMIT ?`), now.UTC(), now.UTC(), limit)
	if err != nil {
		return nil, db.translate(err)
	}
	defer rows.Close()
	var out []backstop.OutboxBatch
	for rows.Next() {
		var b backstop.OutboxBatch
		if err := rows.Scan(&b.StreamID, &b.Batch); err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, rows.Err()
}

// LeaseBatch takes the batch for owner and returns its due messages.
func (db *DB) LeaseBatch(ctx context.Context, b backstop.OutboxBatch, owner string, now, until time.Time) ([]*backstop.Message, error) {
	var out []*backstop.Message
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		var lo, hi int64
		// A held lease is taken by nobody, its holder included: two jobs for
		// one batch (the sweep's and the release's own) in one process must
		// not both send it.
		err := tx.QueryRowContext(ctx, db.q(`UPDATE outbox_batches SET lease_owner = ?, lease_until = ? WHERE stream_id = ? AND batch = ? AND due_at IS NOT NULL
 AND (lease_until IS NULL OR lease_until < ?) AND `+inTurn+` RETURNING first_id, last_id`), owner, until.UTC(), b.StreamID, b.Batch, now.UTC()).Scan(&lo, &hi)
		if err == sql.ErrNoRows {
			return backstop.Errorf(backstop.ECONFLICT, "Batch %d of stream %d is taken or done.", b.Batch, b.StreamID)
		} else if err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, db.q(`SELECT m.id, m.channel, m.audience, m.address, m.name, COALESCE(m.household_id, 0), m.village_code, m.attempts, t.text
 FROM messages m JOIN message_texts t ON t.id = m.text_id WHERE m.id BETWEEN ? AND ? AND m.stream_id = ? AND m.batch = ? AND m.status = ? AND m.next_at <= ? ORDER BY m.id`),
			lo, hi, b.StreamID, b.Batch, backstop.MessagePending, now.UTC())
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			m := &backstop.Message{StreamID: b.StreamID, Batch: b.Batch, Status: backstop.MessagePending}
			if err := rows.Scan(&m.ID, &m.Channel, &m.Audience, &m.Address, &m.Name, &m.HouseholdID, &m.VillageCode, &m.Attempts, &m.Text); err != nil {
				return err
			}
			m.Key = backstop.MessageKey(m.StreamID, m.ID)
			out = append(out, m)
		}
		return rows.Err()
	})
	return out, err
}

// RenewLease extends a lease its owner still holds.
func (db *DB) RenewLease(ctx context.Context, b backstop.OutboxBatch, owner string, until time.Time) error {
	return db.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, db.q(`UPDATE outbox_batches SET lease_until = ? WHERE stream_id = ? AND batch = ? AND lease_owner = ?`), until.UTC(), b.StreamID, b.Batch, owner)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return backstop.Errorf(backstop.ECONFLICT, "The lease of batch %d of stream %d was lost.", b.Batch, b.StreamID)
		}
		return nil
	})
}

// FinishBatch records the results of sending a batch, sets when it is due
// again (its earliest pending message) and gives the lease back. A stream
// whose batches are all done is done.
func (db *DB) FinishBatch(ctx context.Context, b backstop.OutboxBatch, owner string, results []backstop.MessageResult) error {
	return db.inTx(ctx, func(tx *sql.Tx) error {
		if err := db.recordResults(ctx, tx, b.StreamID, results); err != nil {
			return err
		}
		var next anyTime
		err := tx.QueryRowContext(ctx, db.q(`SELECT m.next_at FROM outbox_batches d JOIN messages m ON m.id BETWEEN d.first_id AND d.last_id
 WHERE d.stream_id = ? AND d.batch = ? AND m.stream_id = d.stream_id AND m.batch = d.batch AND m.status = ? ORDER BY m.next_at LIMIT 1`),
			b.StreamID, b.Batch, backstop.MessagePending).Scan(&next)
		if err != nil && err != sql.ErrNoRows {
			return err
		}
		var due any
		if next.valid {
			due = next.t.UTC()
		}
		if _, err := tx.ExecContext(ctx, db.q(`UPDATE outbox_batches SET due_at = ?, lease_owner = '', lease_until = NULL WHERE stream_id = ? AND batch = ? AND lease_owner = ?`),
			due, b.StreamID, b.Batch, owner); err != nil {
			return err
		}
		if due == nil {
			var one int
			err := tx.QueryRowContext(ctx, db.q(`SELECT 1 FROM outbox_batches WHERE stream_id = ? AND due_at IS NOT NULL LIMIT 1`), b.StreamID).Scan(&one)
			if err == sql.ErrNoRows {
				_, err = tx.ExecContext(ctx, db.q(`UPDATE streams SET state = ? WHERE id = ?`), backstop.StreamDone, b.StreamID)
			}
			return err
		}
		return nil
	})
}

// recordResults updates messages with the outcome of a send, and the
// stream's counts with what changed.
func (db *DB) recordResults(ctx context.Context, tx *sql.Tx, streamID int64, results []backstop.MessageResult) error {
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
		res, err := st.ExecContext(ctx, r.Status, backstop.RedactSecrets(r.Error), r.GatewayID, r.GatewayID, r.Status, r.At.UTC(), r.Status, r.At.UTC(), next.UTC(), r.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 1 && r.Status != backstop.MessagePending {
			counts[[3]string{r.Channel, r.Audience, backstop.MessagePending}]--
			counts[[3]string{r.Channel, r.Audience, r.Status}]++
		}
	}
	return db.addCounts(ctx, tx, streamID, counts)
}

// ApplyReceipt records a delivery report. A report may come before the
// sender recorded the acceptance (the process died in between): the
// gateway knows best, but a report never moves a message back, and a
// replay changes nothing.
func (db *DB) ApplyReceipt(ctx context.Context, channel, key, status, reason string, at time.Time) (*backstop.Message, bool, error) {
	streamID, id, ok := backstop.ParseMessageKey(key)
	if !ok {
		return nil, false, backstop.Localized(backstop.ENOTFOUND, "没有编号为“%s”的消息", "No message has the key %q.", key)
	}
	if status != backstop.MessageDelivered && status != backstop.MessageFailed {
		return nil, false, backstop.Localized(backstop.EINVALID, "回执状态只能是 delivered 或 failed，不能是“%s”", "A receipt's status is delivered or failed, not %q.", status)
	}
	var m *backstop.Message
	changed := false
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		m = &backstop.Message{ID: id, StreamID: streamID, Key: key}
		err := tx.QueryRowContext(ctx, db.q(`SELECT channel, audience, address, name, COALESCE(household_id, 0), village_code, status FROM messages WHERE id = ? AND stream_id = ?`), id, streamID).
			Scan(&m.Channel, &m.Audience, &m.Address, &m.Name, &m.HouseholdID, &m.VillageCode, &m.Status)
		if err == sql.ErrNoRows || (err == nil && m.Channel != channel) {
			// A key of another channel is not this gateway's to report on.
			return backstop.Localized(backstop.ENOTFOUND, "%s渠道没有编号为“%s”的消息", "No %s message has the key %q.", backstop.Term(backstop.TermChannel, channel), key)
		} else if err != nil {
			return err
		}
		if m.Status == backstop.MessageSimulated {
			return backstop.Localized(backstop.ECONFLICT, "消息%s从未发出（测试发布）", "Message %s was never sent (a test).", key)
		}
		if !backstop.MessageAdvances(m.Status, status) {
			return nil // a replay, or a report older than what is known
		}
		if status == backstop.MessageDelivered {
			_, err = tx.ExecContext(ctx, db.q(`UPDATE messages SET status = ?, error = '', delivered_at = COALESCE(delivered_at, ?), sent_at = COALESCE(sent_at, ?) WHERE id = ?`), status, at.UTC(), at.UTC(), id)
		} else {
			_, err = tx.ExecContext(ctx, db.q(`UPDATE messages SET status = ?, error = ?, sent_at = COALESCE(sent_at, ?) WHERE id = ?`), status, backstop.RedactSecrets(reason), at.UTC(), id)
		}
		if err != nil {
			return err
		}
		if err := db.addCounts(ctx, tx, streamID, map[[3]string]int{{m.Channel, m.Audience, m.Status}: -1, {m.Channel, m.Audience, status}: 1}); err != nil {
			return err
		}
		m.Status, m.Error, changed = status, reason, true
		return db.audit(ctx, tx, "message.receipt", "message", key, fmt.Sprintf("%s %s", channel, status))
	})
	return m, changed, err
}

// AddMessages writes messages to a stream in a new batch due at once,
// skipping (with dedupe) addresses already messaged on the channel.
func (db *DB) AddMessages(ctx context.Context, streamID int64, channel, text string, ms []*backstop.Message, dedupe bool) (int, int, error) {
	var batch, written int
	err := db.inConnTx(ctx, func(conn *sql.Conn, tx *sql.Tx) error {
		var err error
		batch, written, err = db.addMessages(ctx, conn, tx, streamID, channel, text, ms, dedupe)
		return err
	})
	return batch, written, err
}

func (db *DB) addMessages(ctx context.Context, conn *sql.Conn, tx *sql.Tx, streamID int64, channel, text string, ms []*backstop.Message, dedupe bool) (int, int, error) {
	if len(ms) == 0 {
		return 0, 0, nil
	}
	var lo, hi int64
	if err := tx.QueryRowContext(ctx, db.q(`SELECT first_message, last_message FROM streams WHERE id = ?`), streamID).Scan(&lo, &hi); err != nil {
		if err == sql.ErrNoRows {
			return 0, 0, backstop.Localized(backstop.ENOTFOUND, "找不到发送流%d", "Stream %d not found.", streamID)
		}
		return 0, 0, err
	}
	fresh := ms
	if dedupe {
		fresh = nil
		for _, m := range ms {
			var one int
			err := tx.QueryRowContext(ctx, db.q(`SELECT 1 FROM messages WHERE id BETWEEN ? AND ? AND stream_id = ? AND channel = ? AND address = ? AND status <> ? LIMIT 1`),
				lo, hi, streamID, m.Channel, m.Address, backstop.MessageFailed).Scan(&one)
			if err == sql.ErrNoRows {
				fresh = append(fresh, m)
			} else if err != nil {
				return 0, 0, err
			}
		}
	}
	if len(fresh) == 0 {
		return 0, 0, nil
	}
	now := fresh[0].NextAt.UTC()
	if fresh[0].NextAt.IsZero() {
		now = db.now().UTC()
	}
	var batch int
	if err := tx.QueryRowContext(ctx, db.q(`SELECT COALESCE(max(batch), 0) + 1 FROM outbox_batches WHERE stream_id = ?`), streamID).Scan(&batch); err != nil {
		return 0, 0, err
	}
	w := &outboxWriter{db: db, conn: conn, tx: tx, streamID: streamID}
	textID, err := w.AddText(ctx, channel, text)
	if err != nil {
		return 0, 0, err
	}
	for _, m := range fresh {
		if m.Status != backstop.MessageSimulated {
			m.Status = backstop.MessagePending
		}
		m.Batch, m.TextID, m.NextAt = batch, textID, now
	}
	if err := w.AddMessages(ctx, fresh); err != nil {
		return 0, 0, err
	}
	if err := w.finish(ctx, now); err != nil {
		return 0, 0, err
	}
	return batch, len(fresh), nil
}

// StreamCounts are a stream's messages by channel, audience and status.
func (db *DB) StreamCounts(ctx context.Context, streamID int64) ([]backstop.MessageCount, error) {
	rows, err := db.read.QueryContext(ctx, db.q(`SELECT channel, audience, status, n FROM stream_counts WHERE stream_id = ? AND n <> 0 ORDER BY channel, audience, status`), streamID)
	if err != nil {
		return nil, db.translate(err)
	}
	defer rows.Close()
	out := []backstop.MessageCount{}
	for rows.Next() {
		var c backstop.MessageCount
		if err := rows.Scan(&c.Channel, &c.Audience, &c.Status, &c.N); err != nil {
			return nil, err
		}
		out = append(out, c)
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
