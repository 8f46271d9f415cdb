package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/zhangye-backstop/backstop"
)

const warningColumns = `id, sender, identifier, sent, status, msg_type, scope, source, hazard, level, severity, urgency, certainty,
 event, headline, description, instruction, sender_name, language, effective, onset, expires, areas, state,
 COALESCE(supersedes, 0), COALESCE(superseded_by, 0), notes, cap, created_at, created_by, region_code`

func nullTime(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UTC()
}

func timePtr(n sql.NullTime) *time.Time {
	if !n.Valid {
		return nil
	}
	t := n.Time
	return &t
}

func scanWarning(sc interface{ Scan(...any) error }) (*backstop.Warning, error) {
	var w backstop.Warning
	var effective, onset, expires sql.NullTime
	var areas, notes, doc string
	var hazard string
	err := sc.Scan(&w.ID, &w.Sender, &w.Identifier, &w.Sent, &w.Status, &w.MsgType, &w.Scope, &w.Source, &hazard, &w.Level, &w.Severity,
		&w.Urgency, &w.Certainty, &w.Event, &w.Headline, &w.Description, &w.Instruction, &w.SenderName, &w.Language,
		&effective, &onset, &expires, &areas, &w.State, &w.Supersedes, &w.SupersededBy, &notes, &doc, &w.CreatedAt, &w.CreatedBy, &w.Region)
	if err != nil {
		return nil, err
	}
	w.Hazard = backstop.Hazard(hazard)
	w.Effective, w.Onset, w.Expires = timePtr(effective), timePtr(onset), timePtr(expires)
	if err := json.Unmarshal([]byte(areas), &w.Areas); err != nil {
		return nil, fmt.Errorf("warning %d areas: %w", w.ID, err)
	}
	json.Unmarshal([]byte(notes), &w.Notes)
	w.CAP = []byte(doc)
	return &w, nil
}

// CreateWarning stores a warning and, for an Update or Cancel, supersedes
// or ends the warnings it references, in one transaction. The region the
// warning's areas cover (w.Region, set by alerting) must lie inside the
// user's, checked before anything is looked up; so must every warning it
// supersedes. A warning that covers no region (a Cancel without areas)
// takes the region of the warnings it supersedes, else the user's.
func (db *DB) CreateWarning(ctx context.Context, w *backstop.Warning, refs []backstop.WarningRef) error {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return err
	}
	if err := u.Require(backstop.PermWriteWarnings); err != nil {
		return err
	}
	if w.Region != "" && !u.InScope(w.Region) {
		return backstop.OutsideRegion(u, "预警区域（区划"+w.Region+"）", "the warning's area (region "+w.Region+")")
	}
	areas, err := json.Marshal(w.Areas)
	if err != nil {
		return err
	}
	if w.Notes == nil {
		w.Notes = []backstop.Problem{}
	}
	notes, _ := json.Marshal(w.Notes)
	w.CreatedAt, w.CreatedBy = db.now().UTC(), u.Name
	if w.State == "" {
		w.State = backstop.StateActive
	}
	// Translated: two writers of the same alert at once (PostgreSQL) meet
	// at the unique key, which is the conflict the check below reports.
	return db.translate(db.inTx(ctx, func(tx *sql.Tx) error {
		var existing int64
		err := tx.QueryRowContext(ctx, db.q(`SELECT id FROM warnings WHERE sender = ? AND identifier = ? AND sent = ?`), w.Sender, w.Identifier, w.Sent.UTC()).Scan(&existing)
		if err == nil {
			w.ID = existing
			return backstop.Localized(backstop.ECONFLICT, "预警%s（发布单位%s，发布时间%s）已存在，编号%d", "Warning %s from %s sent %s is stored already as %d.", w.Identifier, w.Sender, w.Sent.Format(time.RFC3339), existing)
		} else if err != sql.ErrNoRows {
			return err
		}
		// The warnings this one supersedes: the latest stored version of
		// each reference.
		var targets []int64
		var targetRegions []string
		for _, r := range refs {
			var id int64
			var region string
			err := tx.QueryRowContext(ctx, db.q(`SELECT id, region_code FROM warnings WHERE sender = ? AND identifier = ? ORDER BY sent DESC, id DESC LIMIT 1`), r.Sender, r.Identifier).Scan(&id, &region)
			if err == sql.ErrNoRows {
				w.Notes = append(w.Notes, backstop.Problem{Path: "alert/references", Reason: fmt.Sprintf("referenced warning %s from %s is not stored here", r.Identifier, r.Sender),
					ReasonZH: fmt.Sprintf("所引用的预警（%s，发布方 %s）不在本系统中，无法标记为已更新", r.Identifier, r.Sender)})
				continue
			} else if err != nil {
				return err
			}
			// Warnings are public: telling that this one is outside the
			// user's region reveals nothing.
			if !u.InScope(region) {
				return backstop.Localized(backstop.EFORBIDDEN, "预警%d的区域（区划%s）不在您的管辖范围（%s）内：不能更新或解除它",
					"Warning %d covers region %s, outside your region %s: you cannot update or cancel it.", id, region, u.Region)
			}
			targets = append(targets, id)
			targetRegions = append(targetRegions, region)
		}
		if len(targets) > 0 {
			w.Supersedes = targets[0]
		}
		if w.Region == "" {
			w.Region = u.Region
			if len(targetRegions) > 0 {
				w.Region = backstop.CommonRegion(targetRegions...)
			}
		}
		if w.MsgType == "Cancel" {
			w.State = backstop.StateCancelled
		}
		notes, _ = json.Marshal(w.Notes)
		var supersedes any
		if w.Supersedes != 0 {
			supersedes = w.Supersedes
		}
		err = tx.QueryRowContext(ctx, db.q(`INSERT INTO warnings (sender, identifier, sent, status, msg_type, scope, source, hazard, level, severity, urgency, certainty,
 event, headline, description, instruction, sender_name, language, effective, onset, expires, areas, state, supersedes, notes, cap, created_at, created_by, region_code)
 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
			w.Sender, w.Identifier, w.Sent.UTC(), w.Status, w.MsgType, w.Scope, w.Source, string(w.Hazard), w.Level, w.Severity, w.Urgency, w.Certainty,
			w.Event, w.Headline, w.Description, w.Instruction, w.SenderName, w.Language, nullTime(w.Effective), nullTime(w.Onset), nullTime(w.Expires),
			string(areas), w.State, supersedes, string(notes), string(w.CAP), w.CreatedAt, w.CreatedBy, w.Region).Scan(&w.ID)
		if err != nil {
			return err
		}
		newState := backstop.StateUpdated
		if w.MsgType == "Cancel" {
			newState = backstop.StateCancelled
		}
		for _, t := range targets {
			if _, err := tx.ExecContext(ctx, db.q(`UPDATE warnings SET state = ?, superseded_by = ? WHERE id = ? AND state IN ('active', 'updated')`), newState, w.ID, t); err != nil {
				return err
			}
		}
		detail := fmt.Sprintf("%s %s %s %s", w.MsgType, w.Hazard, w.Level, w.Status)
		return db.auditIn(ctx, tx, w.Region, "warning.create", "warning", fmt.Sprint(w.ID), detail)
	}))
}

// FindWarning returns one warning.
func (db *DB) FindWarning(ctx context.Context, id int64) (*backstop.Warning, error) {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return nil, err
	}
	if err := u.Require(backstop.PermReadWarnings); err != nil {
		return nil, err
	}
	w, err := scanWarning(db.read.QueryRowContext(ctx, db.q(`SELECT `+warningColumns+` FROM warnings WHERE id = ?`), id))
	if err == sql.ErrNoRows {
		return nil, backstop.Localized(backstop.ENOTFOUND, "找不到预警%d", "Warning %d not found.", id)
	}
	if err != nil {
		return nil, db.translate(err)
	}
	w.State = w.CurrentState(db.now())
	return w, nil
}

// FindWarnings lists warnings, newest first.
func (db *DB) FindWarnings(ctx context.Context, f backstop.WarningFilter) ([]*backstop.Warning, int, error) {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return nil, 0, err
	}
	if err := u.Require(backstop.PermReadWarnings); err != nil {
		return nil, 0, err
	}
	var where []string
	var args []any
	now := db.now().UTC()
	switch f.State {
	case "":
	case backstop.StateExpired:
		where, args = append(where, "state = 'active' AND expires IS NOT NULL AND expires < ?"), append(args, now)
	case backstop.StateActive:
		where, args = append(where, "state = 'active' AND (expires IS NULL OR expires >= ?)"), append(args, now)
	default:
		where, args = append(where, "state = ?"), append(args, f.State)
	}
	if f.Hazard != "" {
		where, args = append(where, "hazard = ?"), append(args, string(f.Hazard))
	}
	switch f.Level {
	case "":
	case "none":
		where = append(where, "level = ''")
	default:
		where, args = append(where, "level = ?"), append(args, f.Level)
	}
	if !f.SentFrom.IsZero() {
		where, args = append(where, "sent >= ?"), append(args, f.SentFrom.UTC())
	}
	if !f.SentTo.IsZero() {
		where, args = append(where, "sent < ?"), append(args, f.SentTo.UTC())
	}
	if f.Exposing != "" && f.Exposing != backstop.NationalScope {
		lo, hi := backstop.CodeRange(f.Exposing)
		where, args = append(where, `EXISTS (SELECT 1 FROM exposure_villages ev WHERE ev.snapshot_id =
 (SELECT max(es.id) FROM exposure_snapshots es WHERE es.warning_id = warnings.id) AND ev.village_code BETWEEN ? AND ?)`), append(args, lo, hi)
	}
	order := "sent DESC, id DESC"
	switch f.Sort {
	case "level":
		order = "CASE level WHEN 'red' THEN 0 WHEN 'orange' THEN 1 WHEN 'yellow' THEN 2 WHEN 'blue' THEN 3 ELSE 4 END, sent DESC, id DESC"
	case "state":
		order = "CASE WHEN state = 'active' AND (expires IS NULL OR expires >= ?) THEN 0 WHEN state = 'active' THEN 2 WHEN state = 'updated' THEN 1 ELSE 3 END, sent DESC, id DESC"
	}
	cond := ""
	if len(where) > 0 {
		cond = " WHERE " + strings.Join(where, " AND ")
	}
	var total int
	if err := db.read.QueryRowContext(ctx, db.q(`SELECT count(*) FROM warnings`+cond), args...).Scan(&total); err != nil {
		return nil, 0, db.translate(err)
	}
	limit := f.Limit
	if limit <= 0 || limit > MaxPageSize {
		limit = 50
	}
	pageArgs := append([]any(nil), args...)
	if f.Sort == "state" {
		pageArgs = append(pageArgs, now)
	}
	rows, err := db.read.QueryContext(ctx, db.q(`SELECT `+warningColumns+` FROM warnings`+cond+` ORDER BY `+order+` LIMIT ? OFFSET ?`), append(pageArgs, limit, f.Offset)...)
	if err != nil {
		return nil, 0, db.translate(err)
	}
	defer rows.Close()
	out := []*backstop.Warning{}
	for rows.Next() {
		w, err := scanWarning(rows)
		if err != nil {
			return nil, 0, err
		}
		w.State = w.CurrentState(db.now())
		w.CAP = nil
		out = append(out, w)
	}
	return out, total, rows.Err()
}
