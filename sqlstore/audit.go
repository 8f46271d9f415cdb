package sqlstore

import (
	"context"
	"strconv"
	"strings"

	"github.com/zhangye-backstop/backstop"
)

// audit appends an audit row for the user in ctx inside the caller's
// transaction, so that the record of a write commits or fails with it. The
// row belongs to the actor's region; writes on a record of a region use
// auditIn.
func (db *DB) audit(ctx context.Context, ex execer, action, entity, record, detail string) error {
	u := backstop.UserFromContext(ctx)
	if u == nil {
		return backstop.Errorf(backstop.EUNAUTHORIZED, "no acting user for %s", action)
	}
	return db.auditIn(ctx, ex, u.Region, action, entity, record, detail)
}

// auditIn appends an audit row that belongs to region: the region of the
// record acted on, which auditors of that region read.
func (db *DB) auditIn(ctx context.Context, ex execer, region, action, entity, record, detail string) error {
	u := backstop.UserFromContext(ctx)
	if u == nil {
		return backstop.Errorf(backstop.EUNAUTHORIZED, "no acting user for %s", action)
	}
	if len(region) != 12 {
		region = u.Region
	}
	// No credential reaches the trail: a robot URL's key, a token or a
	// password in a detail is redacted whoever wrote it.
	record, detail = backstop.RedactSecrets(record), backstop.RedactSecrets(detail)
	_, err := ex.ExecContext(ctx, db.q(`INSERT INTO audit_log (at, actor, role, via, addr, action, entity, record, detail, region_code) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		db.now().UTC(), u.Name, string(u.Role), u.Via, u.Addr, action, entity, record, detail, region)
	return err
}

// Audit appends an entry for a read of personal data (a reveal, an export)
// or another act that has no write of its own to go with. It belongs to
// the region of the record when the record tells it: a household's (by its
// stored village, else the village code its number starts with, else a
// region code given as the record), a warning's; else the actor's.
func (db *DB) Audit(ctx context.Context, action, entity, record, detail string) error {
	return db.translate(db.auditIn(ctx, db.write, db.recordRegion(ctx, entity, record), action, entity, record, detail))
}

// recordRegion is the region of a record an audit row names, "" when it
// has none the store can tell.
func (db *DB) recordRegion(ctx context.Context, entity, record string) string {
	var region string
	switch entity {
	case "household":
		err := db.read.QueryRowContext(ctx, db.q(`SELECT village_code FROM households WHERE number = ?`), record).Scan(&region)
		if err == nil {
			return region
		}
		if code, err := backstop.NormalizeRegionCode(record); err == nil {
			return code // an export of a region
		}
		if len(record) > 12 && digitsOnly(record) {
			return record[:12]
		}
	case "warning":
		id, err := strconv.ParseInt(record, 10, 64)
		if err == nil && db.read.QueryRowContext(ctx, db.q(`SELECT region_code FROM warnings WHERE id = ?`), id).Scan(&region) == nil {
			return region
		}
	}
	return ""
}

func digitsOnly(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

// FindAudit lists audit entries, newest first: those of the user's region
// (all for the national scope). Only auditors and admins may.
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
	if u.Region != backstop.NationalScope {
		lo, hi := backstop.CodeRange(u.Region)
		where, args = append(where, "region_code BETWEEN ? AND ?"), append(args, lo, hi)
	}
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
	rows, err := db.read.QueryContext(ctx, db.q(`SELECT id, at, actor, role, via, addr, action, entity, record, detail, region_code FROM audit_log`+cond+` ORDER BY id DESC LIMIT ? OFFSET ?`), append(args, limit, f.Offset)...)
	if err != nil {
		return nil, 0, db.translate(err)
	}
	defer rows.Close()
	var out []*backstop.AuditEntry
	for rows.Next() {
		var e backstop.AuditEntry
		if err := rows.Scan(&e.ID, &e.At, &e.Actor, &e.Role, &e.Via, &e.Addr, &e.Action, &e.Entity, &e.Record, &e.Detail, &e.Region); err != nil {
			return nil, 0, err
		}
		out = append(out, &e)
	}
	return out, total, db.translate(rows.Err())
}
