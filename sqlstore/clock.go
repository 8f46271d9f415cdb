package sqlstore

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/zhangye-backstop/backstop"
)

const clockColumns = `id, kind, subject, region_code, started_at, limit_value, limit_unit, COALESCE(policy_id, 0), due_at, due_date, provisional, state, stopped_at, fire_at, stage, attempts, last_error`

func scanClock(sc interface{ Scan(...any) error }) (*backstop.Clock, error) {
	var c backstop.Clock
	var unit, state string
	var stopped, fire sql.NullTime
	if err := sc.Scan(&c.ID, &c.Kind, &c.Subject, &c.Region, &c.StartedAt, &c.LimitValue, &unit, &c.PolicyID, &c.Due, &c.DueDate, &c.Provisional, &state, &stopped, &fire,
		&c.Stage, &c.Attempts, &c.LastError); err != nil {
		return nil, err
	}
	c.LimitUnit, c.State = backstop.ClockUnit(unit), backstop.ClockState(state)
	c.StoppedAt, c.FireAt = timePtr(stopped), timePtr(fire)
	return &c, nil
}

// insertClock stores a running clock in tx; its handler first fires at its
// due time unless FireAt says otherwise.
func (db *DB) insertClock(ctx context.Context, ex execer, c *backstop.Clock) error {
	if c.State == "" {
		c.State = backstop.ClockRunning
	}
	if c.FireAt == nil {
		due := c.Due
		c.FireAt = &due
	}
	var policy any
	if c.PolicyID != 0 {
		policy = c.PolicyID
	}
	err := ex.QueryRowContext(ctx, db.q(`INSERT INTO clocks (kind, subject, region_code, started_at, limit_value, limit_unit, policy_id, due_at, due_date, provisional, state, fire_at)
 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`), c.Kind, c.Subject, c.Region, c.StartedAt.UTC(), c.LimitValue, string(c.LimitUnit), policy, c.Due.UTC(), c.DueDate,
		c.Provisional, string(c.State), c.FireAt.UTC()).Scan(&c.ID)
	if backstop.ErrorCode(db.translate(err)) == backstop.ECONFLICT {
		return backstop.Localized(backstop.ECONFLICT, "%[2]s的%[1]s计时已存在", "A %s clock of %s exists already.", backstop.Term(backstop.TermClockKind, c.Kind), c.Subject)
	}
	return err
}

// StartClock stores a running clock.
func (db *DB) StartClock(ctx context.Context, c *backstop.Clock) error {
	return db.inTx(ctx, func(tx *sql.Tx) error { return db.insertClock(ctx, tx, c) })
}

// ClaimDueClocks claims due clocks for owner. On PostgreSQL the rows are
// locked with SKIP LOCKED, so that two processes claiming at once take
// different clocks; SQLite has one writer at a time, so the claim's
// UPDATE is atomic by itself.
func (db *DB) ClaimDueClocks(ctx context.Context, owner string, now, until time.Time, limit int) ([]*backstop.Clock, error) {
	lock := ""
	if db.dialect == Postgres {
		lock = " FOR UPDATE SKIP LOCKED"
	}
	var out []*backstop.Clock
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, db.q(`UPDATE clocks SET claim_owner = ?, claim_until = ?, attempts = attempts + 1 WHERE id IN (SELECT id FROM clocks
 WHERE fire_at IS NOT NULL AND fire_at <= ? AND state = ? AND (claim_until IS NULL OR claim_until < ?) ORDER BY fire_at LIMIT ?`+lock+`) RETURNING `+clockColumns),
			owner, until.UTC(), now.UTC(), string(backstop.ClockRunning), now.UTC(), limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			c, err := scanClock(rows)
			if err != nil {
				return err
			}
			out = append(out, c)
		}
		return rows.Err()
	})
	return out, err
}

// clockWriter makes a clock run's writes inside its finishing transaction.
type clockWriter struct {
	db   *DB
	conn *sql.Conn
	tx   *sql.Tx
}

func (w *clockWriter) AddMessages(ctx context.Context, streamID int64, channel, text string, ms []*backstop.Message, dedupe bool) (int, int, error) {
	return w.db.addMessages(ctx, w.conn, w.tx, streamID, channel, text, ms, dedupe)
}

func (w *clockWriter) MarkTasksEscalated(ctx context.Context, streamID int64, ids []int64, level int, at time.Time) error {
	return w.db.markTasksEscalated(ctx, w.tx, streamID, ids, level, at)
}

// FinishClock applies a run by compare-and-set on the claim: the run's
// writes and the clock's new stage commit together, or neither does.
func (db *DB) FinishClock(ctx context.Context, id int64, owner string, stage int, run *backstop.ClockRun, now time.Time) error {
	return db.inConnTx(ctx, func(conn *sql.Conn, tx *sql.Tx) error {
		state := run.State
		var fire, stopped any
		if run.Next != nil {
			fire = run.Next.UTC()
		}
		if state != "" && state != backstop.ClockRunning {
			stopped, fire = now.UTC(), nil
		}
		res, err := tx.ExecContext(ctx, db.q(`UPDATE clocks SET stage = stage + 1, fire_at = ?, state = CASE WHEN ? <> '' THEN ? ELSE state END,
 stopped_at = COALESCE(?, stopped_at), claim_owner = '', claim_until = NULL, attempts = 0, last_error = '' WHERE id = ? AND claim_owner = ? AND stage = ?`),
			fire, string(state), string(state), stopped, id, owner, stage)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return backstop.Errorf(backstop.ECONFLICT, "Clock %d is no longer held by %s at stage %d.", id, owner, stage)
		}
		if run.Writes != nil {
			return run.Writes(ctx, &clockWriter{db: db, conn: conn, tx: tx})
		}
		return nil
	})
}

// FailClock gives a claim back after a failed run.
func (db *DB) FailClock(ctx context.Context, id int64, owner string, reason string, retryAt time.Time) error {
	if len(reason) > 500 {
		reason = reason[:500]
	}
	return db.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, db.q(`UPDATE clocks SET claim_owner = '', claim_until = NULL, fire_at = ?, last_error = ? WHERE id = ? AND claim_owner = ?`), retryAt.UTC(), backstop.RedactSecrets(reason), id, owner)
		return err
	})
}

// StopClock ends a running clock.
func (db *DB) StopClock(ctx context.Context, kind, subject string, state backstop.ClockState, at time.Time) error {
	if state != backstop.ClockMet && state != backstop.ClockCancelled {
		return backstop.Errorf(backstop.EINVALID, "A clock stops as met or cancelled, not %q.", state)
	}
	return db.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, db.q(`UPDATE clocks SET state = ?, stopped_at = ?, fire_at = NULL WHERE kind = ? AND subject = ? AND state = ?`),
			string(state), at.UTC(), kind, subject, string(backstop.ClockRunning))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return backstop.Localized(backstop.ENOTFOUND, "%[2]s没有正在进行的%[1]s计时", "No running %s clock of %s.", backstop.Term(backstop.TermClockKind, kind), subject)
		}
		return nil
	})
}

// FindClock returns the clock of a kind and subject.
func (db *DB) FindClock(ctx context.Context, kind, subject string) (*backstop.Clock, error) {
	c, err := scanClock(db.read.QueryRowContext(ctx, db.q(`SELECT `+clockColumns+` FROM clocks WHERE kind = ? AND subject = ?`), kind, subject))
	if err == sql.ErrNoRows {
		return nil, backstop.Localized(backstop.ENOTFOUND, "找不到%[2]s的%[1]s计时", "No %s clock of %s.", backstop.Term(backstop.TermClockKind, kind), subject)
	}
	return c, db.translate(err)
}

// FindClocks pages clocks in the user's scope, soonest due first.
func (db *DB) FindClocks(ctx context.Context, f backstop.ClockFilter) ([]*backstop.Clock, int, error) {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return nil, 0, err
	}
	conds, args := []string{"1 = 1"}, []any{}
	// A region's clocks are those inside it and those of the regions
	// that hold it: a county-wide deadline runs for each village too.
	scope := func(region string) {
		lo, hi := backstop.CodeRange(region)
		cond, a := "(region_code BETWEEN ? AND ?", []any{lo, hi}
		if up := backstop.AncestorCodes(region); len(up) > 0 {
			cond += " OR region_code IN (?" + strings.Repeat(", ?", len(up)-1) + ")"
			for _, c := range up {
				a = append(a, c)
			}
		}
		conds, args = append(conds, cond+")"), append(args, a...)
	}
	if u.Region != backstop.NationalScope {
		scope(u.Region)
	}
	if f.Region != "" && f.Region != backstop.NationalScope {
		scope(f.Region)
	}
	if f.Kind != "" {
		conds, args = append(conds, "kind = ?"), append(args, f.Kind)
	}
	if f.Subject != "" {
		conds, args = append(conds, "subject = ?"), append(args, f.Subject)
	}
	now := f.Now
	if now.IsZero() {
		now = db.now()
	}
	switch f.State {
	case "":
	case "overdue":
		conds, args = append(conds, "state = ? AND due_at <= ?"), append(args, string(backstop.ClockRunning), now.UTC())
	case string(backstop.ClockRunning), string(backstop.ClockMet), string(backstop.ClockCancelled):
		conds, args = append(conds, "state = ?"), append(args, f.State)
	default:
		return nil, 0, backstop.Localized(backstop.EINVALID, "状态只能是 running、overdue、met 或 cancelled，不能是“%s”", "state must be running, overdue, met or cancelled, not %q", f.State)
	}
	where := strings.Join(conds, " AND ")
	var total int
	if err := db.read.QueryRowContext(ctx, db.q(`SELECT count(*) FROM clocks WHERE `+where), args...).Scan(&total); err != nil {
		return nil, 0, db.translate(err)
	}
	if f.Limit <= 0 || f.Limit > MaxPageSize {
		f.Limit = 100
	}
	rows, err := db.read.QueryContext(ctx, db.q(`SELECT `+clockColumns+` FROM clocks WHERE `+where+` ORDER BY due_at, id LIMIT ? OFFSET ?`), append(args, f.Limit, f.Offset)...)
	if err != nil {
		return nil, 0, db.translate(err)
	}
	defer rows.Close()
	out := []*backstop.Clock{}
	for rows.Next() {
		c, err := scanClock(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, c)
	}
	return out, total, rows.Err()
}

// ProvisionalClocks lists running working-day clocks with a provisional
// due date.
func (db *DB) ProvisionalClocks(ctx context.Context) ([]*backstop.Clock, error) {
	rows, err := db.read.QueryContext(ctx, db.q(`SELECT `+clockColumns+` FROM clocks WHERE state = ? AND limit_unit = ? AND provisional ORDER BY id`),
		string(backstop.ClockRunning), string(backstop.UnitWorkdays))
	if err != nil {
		return nil, db.translate(err)
	}
	defer rows.Close()
	var out []*backstop.Clock
	for rows.Next() {
		c, err := scanClock(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// MoveClock sets a recounted due time; a clock whose handler has not run
// yet fires at the new time.
func (db *DB) MoveClock(ctx context.Context, id int64, due time.Time, dueDate string, provisional bool) error {
	return db.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, db.q(`UPDATE clocks SET due_at = ?, due_date = ?, provisional = ?, fire_at = CASE WHEN stage = 0 AND fire_at IS NOT NULL THEN ? ELSE fire_at END
 WHERE id = ? AND state = ?`), due.UTC(), dueDate, provisional, due.UTC(), id, string(backstop.ClockRunning))
		return err
	})
}
