package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/zhangye-backstop/backstop"
)

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
		return nil, backstop.Localized(backstop.ENOTFOUND, "找不到导入记录%d", "Import %d not found.", id)
	}
	return r, db.translate(err)
}
