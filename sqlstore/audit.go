package sqlstore

import (
	"context"
	"strings"

	"github.com/zhangye-backstop/backstop"
)

// audit appends an audit row for the user in ctx inside the caller's
// transaction, so that the record of a write commits or fails with it.
func (db *DB) audit(ctx context.Context, ex execer, action, entity, record, detail string) error {
	u := backstop.UserFromContext(ctx)
	if u == nil {
		return backstop.Errorf(backstop.EUNAUTHORIZED, "no acting user for %s", action)
	}
	_, err := ex.ExecContext(ctx, db.q(`INSERT INTO audit_log (at, actor, role, via, addr, action, entity, record, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		db.now().UTC(), u.Name, string(u.Role), u.Via, u.Addr, action, entity, record, detail)
	return err
}

// Audit appends an entry for a read of personal data (a reveal, an export)
// that has no write of its own to go with.
func (db *DB) Audit(ctx context.Context, action, entity, record, detail string) error {
	return db.translate(db.audit(ctx, db.write, action, entity, record, detail))
}

// FindAudit lists audit entries, newest first. Only auditors and admins may.
func (db *DB) FindAudit(ctx context.Context, f backstop.AuditFilter) ([]*backstop.AuditEntry, int, error) {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return nil, 0, err
	}
	if err := u.Require(backstop.PermReadAudit); err != nil {
		return nil, 0, err
	}
	var where []string
	var args []any
	for _, c := range []struct{ col, v string }{{"actor", f.Actor}, {"action", f.Action}, {"entity", f.Entity}, {"record", f.Record}} {
		if c.v != "" {
			where, args = append(where, c.col+" = ?"), append(args, c.v)
		}
	}
	if !f.Since.IsZero() {
		where, args = append(where, "at >= ?"), append(args, f.Since.UTC())
	}
	cond := ""
	if len(where) > 0 {
		cond = " WHERE " + strings.Join(where, " AND ")
	}
	var total int
	if err := db.read.QueryRowContext(ctx, db.q(`SELECT count(*) FROM audit_log`+cond), args...).Scan(&total); err != nil {
		return nil, 0, db.translate(err)
	}
	limit := f.Limit
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	rows, err := db.read.QueryContext(ctx, db.q(`SELECT id, at, actor, role, via, addr, action, entity, record, detail FROM audit_log`+cond+` ORDER BY id DESC LIMIT ? OFFSET ?`), append(args, limit, f.Offset)...)
	if err != nil {
		return nil, 0, db.translate(err)
	}
	defer rows.Close()
	var out []*backstop.AuditEntry
	for rows.Next() {
		var e backstop.AuditEntry
		if err := rows.Scan(&e.ID, &e.At, &e.Actor, &e.Role, &e.Via, &e.Addr, &e.Action, &e.Entity, &e.Record, &e.Detail); err != nil {
			return nil, 0, err
		}
		out = append(out, &e)
	}
	return out, total, db.translate(rows.Err())
}
