package sqlstore

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/zhangye-backstop/backstop"
)

// quarantineColumns are read for lists; the document only for one row.
const quarantineColumns = `q.id, q.feed_id, COALESCE(f.name, ''), q.entry_id, q.url, q.received_at, q.sender, q.identifier, q.sent, q.size, q.sha256,
 q.truncated, q.code, q.message, q.message_zh, q.problems, q.region_code, q.state, q.resolved_at, q.resolved_by, q.resolution_note, COALESCE(q.warning_id, 0)`

const quarantineFrom = ` FROM quarantined_alerts q LEFT JOIN feeds f ON f.id = q.feed_id`

func scanQuarantined(sc interface{ Scan(...any) error }, withDocument bool) (*backstop.QuarantinedAlert, error) {
	var q backstop.QuarantinedAlert
	var problems string
	var resolved sql.NullTime
	dest := []any{&q.ID, &q.FeedID, &q.FeedName, &q.EntryID, &q.URL, &q.ReceivedAt, &q.Sender, &q.Identifier, &q.Sent, &q.Size, &q.SHA256,
		&q.Truncated, &q.Code, &q.Message, &q.MessageZH, &problems, &q.Region, &q.State, &resolved, &q.ResolvedBy, &q.ResolutionNote, &q.WarningID}
	if withDocument {
		dest = append(dest, &q.Document)
	}
	if err := sc.Scan(dest...); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(problems), &q.Problems); err != nil {
		return nil, fmt.Errorf("quarantined alert %d problems: %w", q.ID, err)
	}
	q.ResolvedAt = timePtr(resolved)
	return &q, nil
}

// CreateQuarantinedAlert stores a refused feed alert, once per document.
func (db *DB) CreateQuarantinedAlert(ctx context.Context, q *backstop.QuarantinedAlert) error {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return err
	}
	if err := u.Require(backstop.PermWriteWarnings); err != nil {
		return err
	}
	if q.FeedID == 0 {
		return backstop.Localized(backstop.EINVALID, "隔离的预警须注明来源订阅源", "A quarantined alert needs the feed it came from.")
	}
	sum := sha256.Sum256(q.Document)
	q.SHA256 = hex.EncodeToString(sum[:])
	q.Size = len(q.Document)
	if len(q.Document) > backstop.MaxQuarantineBytes {
		q.Document, q.Truncated = q.Document[:backstop.MaxQuarantineBytes], true
	}
	if q.Problems == nil {
		q.Problems = []backstop.Problem{}
	}
	problems, err := json.Marshal(q.Problems)
	if err != nil {
		return err
	}
	q.ReceivedAt, q.State = db.now().UTC(), backstop.QuarantineOpen
	q.ResolvedAt, q.ResolvedBy, q.ResolutionNote, q.WarningID = nil, "", "", 0
	return db.translate(db.inTx(ctx, func(tx *sql.Tx) error {
		var existing int64
		err := tx.QueryRowContext(ctx, db.q(`SELECT id FROM quarantined_alerts WHERE sha256 = ?`), q.SHA256).Scan(&existing)
		if err == nil {
			q.ID = existing
			return backstop.Localized(backstop.ECONFLICT, "该文档已隔离（编号 %d）", "This document is quarantined already as %d.", existing)
		} else if err != sql.ErrNoRows {
			return err
		}
		// The scope is the feed creator's region; a feed made by the CLI
		// or a job (no user row) is seen at national scope only.
		err = tx.QueryRowContext(ctx, db.q(`SELECT f.name, COALESCE(u.region_code, ?) FROM feeds f LEFT JOIN users u ON u.name = f.created_by WHERE f.id = ?`),
			backstop.NationalScope, q.FeedID).Scan(&q.FeedName, &q.Region)
		if err == sql.ErrNoRows {
			return backstop.Localized(backstop.ENOTFOUND, "订阅源 %d 不存在", "Feed %d not found.", q.FeedID)
		} else if err != nil {
			return err
		}
		err = tx.QueryRowContext(ctx, db.q(`INSERT INTO quarantined_alerts (feed_id, entry_id, url, received_at, sender, identifier, sent, size, sha256, document, truncated,
 code, message, message_zh, problems, region_code, state) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
			q.FeedID, q.EntryID, q.URL, q.ReceivedAt, q.Sender, q.Identifier, q.Sent, q.Size, q.SHA256, q.Document, q.Truncated,
			q.Code, q.Message, q.MessageZH, string(problems), q.Region, q.State).Scan(&q.ID)
		if err != nil {
			return err
		}
		detail := fmt.Sprintf("feed %d %s %s %s", q.FeedID, q.Code, q.Sender, q.Identifier)
		return db.auditIn(ctx, tx, q.Region, "quarantine.create", "quarantined_alert", fmt.Sprint(q.ID), detail)
	}))
}

// quarantineScope is the scope predicate of the acting user on the
// region_code column named.
func quarantineScope(u *backstop.User, column string) (string, []any) {
	lo, hi := backstop.CodeRange(u.Region)
	return column + " BETWEEN ? AND ?", []any{lo, hi}
}

// FindQuarantinedAlerts lists quarantined alerts in the user's scope,
// newest first, without documents.
func (db *DB) FindQuarantinedAlerts(ctx context.Context, f backstop.QuarantineFilter) ([]*backstop.QuarantinedAlert, int, error) {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return nil, 0, err
	}
	if err := u.Require(backstop.PermReadWarnings); err != nil {
		return nil, 0, err
	}
	scope, args := quarantineScope(u, "q.region_code")
	where := []string{scope}
	switch f.State {
	case "":
	case backstop.QuarantineOpen, backstop.QuarantineAccepted, backstop.QuarantineDismissed:
		where, args = append(where, "q.state = ?"), append(args, f.State)
	default:
		return nil, 0, backstop.Localized(backstop.EINVALID, "状态“%s”无效：须为 open、accepted 或 dismissed", "Unknown state %q: use open, accepted or dismissed.", f.State)
	}
	if f.FeedID != 0 {
		where, args = append(where, "q.feed_id = ?"), append(args, f.FeedID)
	}
	cond := " WHERE " + strings.Join(where, " AND ")
	var total int
	if err := db.read.QueryRowContext(ctx, db.q(`SELECT count(*) FROM quarantined_alerts q`+cond), args...).Scan(&total); err != nil {
		return nil, 0, db.translate(err)
	}
	limit := f.Limit
	if limit <= 0 || limit > MaxPageSize {
		limit = 50
	}
	rows, err := db.read.QueryContext(ctx, db.q(`SELECT `+quarantineColumns+quarantineFrom+cond+` ORDER BY q.received_at DESC, q.id DESC LIMIT ? OFFSET ?`),
		append(args, limit, max(f.Offset, 0))...)
	if err != nil {
		return nil, 0, db.translate(err)
	}
	defer rows.Close()
	out := []*backstop.QuarantinedAlert{}
	for rows.Next() {
		q, err := scanQuarantined(rows, false)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, q)
	}
	return out, total, rows.Err()
}

// FindQuarantinedAlert returns one quarantined alert with its document.
func (db *DB) FindQuarantinedAlert(ctx context.Context, id int64) (*backstop.QuarantinedAlert, error) {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return nil, err
	}
	if err := u.Require(backstop.PermReadWarnings); err != nil {
		return nil, err
	}
	return db.findQuarantined(ctx, db.read, u, id)
}

type rowQuerier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func (db *DB) findQuarantined(ctx context.Context, qr rowQuerier, u *backstop.User, id int64) (*backstop.QuarantinedAlert, error) {
	scope, args := quarantineScope(u, "q.region_code")
	q, err := scanQuarantined(qr.QueryRowContext(ctx, db.q(`SELECT `+quarantineColumns+`, q.document`+quarantineFrom+` WHERE q.id = ? AND `+scope), append([]any{id}, args...)...), true)
	if err == sql.ErrNoRows {
		return nil, backstop.Localized(backstop.ENOTFOUND, "找不到隔离的预警 %d", "Quarantined alert %d not found.", id)
	}
	if err != nil {
		return nil, db.translate(err)
	}
	return q, nil
}

// ResolveQuarantinedAlert accepts or dismisses an open quarantined alert,
// compare-and-set on its state.
func (db *DB) ResolveQuarantinedAlert(ctx context.Context, id int64, r backstop.QuarantineResolution) (*backstop.QuarantinedAlert, error) {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return nil, err
	}
	if err := u.Require(backstop.PermResolveQuarantine); err != nil {
		return nil, err
	}
	var warning any
	switch r.State {
	case backstop.QuarantineAccepted:
		if r.WarningID == 0 {
			return nil, backstop.Localized(backstop.EINVALID, "接收隔离的预警须注明生成的预警", "Accepting a quarantined alert needs the warning it became.")
		}
		warning = r.WarningID
	case backstop.QuarantineDismissed:
		if r.WarningID != 0 {
			return nil, backstop.Localized(backstop.EINVALID, "驳回的隔离预警不能关联预警", "A dismissed quarantined alert has no warning.")
		}
	default:
		return nil, backstop.Localized(backstop.EINVALID, "处理结果“%s”无效：须为 accepted 或 dismissed", "Unknown resolution %q: use accepted or dismissed.", r.State)
	}
	if len([]rune(r.Note)) > 2000 {
		return nil, backstop.Localized(backstop.EINVALID, "处理说明过长：最多 2000 字", "The note is too long: at most 2000 characters.")
	}
	now := db.now().UTC()
	var out *backstop.QuarantinedAlert
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		scope, args := quarantineScope(u, "region_code")
		res, err := tx.ExecContext(ctx, db.q(`UPDATE quarantined_alerts SET state = ?, resolved_at = ?, resolved_by = ?, resolution_note = ?, warning_id = ?
 WHERE id = ? AND state = 'open' AND `+scope),
			append([]any{r.State, now, u.Name, r.Note, warning, id}, args...)...)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		q, err := db.findQuarantined(ctx, tx, u, id)
		if err != nil {
			return backstop.NotInRegion(u, err, fmt.Sprintf("隔离的预警%d", id), fmt.Sprintf("quarantined alert %d", id))
		}
		if n == 0 {
			at := ""
			if q.ResolvedAt != nil {
				at = q.ResolvedAt.In(backstop.Beijing).Format("2006-01-02 15:04:05")
			}
			return backstop.Localized(backstop.ECONFLICT, "隔离的预警 %d 已由 %s 于 %s 处理（%s）", "Quarantined alert %d was resolved already by %s at %s (%s).", id, q.ResolvedBy, at, backstop.Term(backstop.TermQuarantineState, q.State))
		}
		out = q
		action, detail := "quarantine.dismiss", r.Note
		if r.State == backstop.QuarantineAccepted {
			action, detail = "quarantine.accept", fmt.Sprintf("warning %d %s", r.WarningID, r.Note)
		}
		return db.auditIn(ctx, tx, q.Region, action, "quarantined_alert", fmt.Sprint(id), truncateRunes(detail, 200))
	})
	if err != nil {
		return nil, db.translate(err)
	}
	return out, nil
}

func truncateRunes(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}
