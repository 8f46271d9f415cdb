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

// Contingency plans: one row per county and year (made with its reminder
// clock and stream before anything is drafted), versions never edited,
// state changes by compare-and-set.

// scopeWhere is the user's region as a range predicate on col ("" for the
// national scope), with its arguments.
func scopeWhere(u *backstop.User, col string) (string, []any) {
	if u.Region == backstop.NationalScope {
		return "", nil
	}
	lo, hi := backstop.CodeRange(u.Region)
	return col + " BETWEEN ? AND ?", []any{lo, hi}
}

// regionWithin is a range predicate selecting codes inside region ("" for
// the national scope or none).
func regionWithin(region, col string) (string, []any, error) {
	if region == "" || region == backstop.NationalScope {
		return "", nil, nil
	}
	code, err := backstop.NormalizeRegionCode(region)
	if err != nil {
		return "", nil, err
	}
	lo, hi := backstop.CodeRange(code)
	return col + " BETWEEN ? AND ?", []any{lo, hi}, nil
}

// where joins conditions, skipping empty ones.
func where(conds ...string) string {
	var out []string
	for _, c := range conds {
		if c != "" {
			out = append(out, c)
		}
	}
	if len(out) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(out, " AND ")
}

// writableBy refuses a write on a region outside the user's scope.
func writableBy(u *backstop.User, code string) error {
	if !u.InScope(code) {
		return backstop.E(backstop.EFORBIDDEN, "forbidden.region", code, u.Region)
	}
	return nil
}

// pageLimit bounds a page.
func pageLimit(limit int) int {
	if limit <= 0 || limit > 1000 {
		return 100
	}
	return limit
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// planVisible: a plan is read inside the user's region (a county's plan
// by the county's officers and those above).
func planVisible(u *backstop.User) (string, []any) {
	return scopeWhere(u, "p.county_code")
}

const planColumns = `p.id, p.county_code, p.year, p.state, p.title, p.stream_id, p.version, p.sections, p.missing, p.doc_name, p.doc_kind, p.doc_size, p.doc_sha256, p.doc_path,
 COALESCE(p.checklist_policy_id, 0), p.due_at, p.submitted_at, p.approved_at, p.approved_by, p.return_note, p.updated_at, p.updated_by`

func scanPlan(sc interface{ Scan(...any) error }) (*backstop.Plan, error) {
	var p backstop.Plan
	var sections, missing string
	var doc backstop.PlanDocument
	var submitted, approved sql.NullTime
	if err := sc.Scan(&p.ID, &p.County, &p.Year, &p.State, &p.Title, &p.StreamID, &p.Version, &sections, &missing, &doc.Name, &doc.Kind, &doc.Size, &doc.SHA256, &doc.Path,
		&p.ChecklistID, &p.DueAt, &submitted, &approved, &p.ApprovedBy, &p.ReturnNote, &p.UpdatedAt, &p.UpdatedBy); err != nil {
		return nil, err
	}
	json.Unmarshal([]byte(sections), &p.Sections)
	json.Unmarshal([]byte(missing), &p.Missing)
	if doc.Name != "" {
		p.Document = &doc
	}
	p.SubmittedAt, p.ApprovedAt = timePtr(submitted), timePtr(approved)
	return &p, nil
}

// EnsurePlan returns the plan of a county and year, making it with its
// stream and reminder clock when there is none. Two callers at once make
// one: the second finds the first's row.
func (db *DB) EnsurePlan(ctx context.Context, p *backstop.Plan, clock *backstop.Clock) (*backstop.Plan, error) {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return nil, err
	}
	if err := writableBy(u, p.County); err != nil {
		return nil, err
	}
	if existing, err := db.planOf(ctx, p.County, p.Year); err == nil {
		return existing, nil
	} else if backstop.ErrorCode(err) != backstop.ENOTFOUND {
		return nil, err
	}
	now := db.now().UTC()
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		id, err := db.oneID(ctx, tx, "plans")
		if err != nil {
			return err
		}
		stream, err := db.oneID(ctx, tx, "streams")
		if err != nil {
			return err
		}
		if err := db.createStream(ctx, tx, stream, backstop.StreamPlan, id, backstop.StreamDone, time.Time{}, now); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, db.q(`INSERT INTO plans (id, county_code, year, state, stream_id, due_at, created_at, updated_at, updated_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`),
			id, p.County, p.Year, string(backstop.PlanMissing), stream, p.DueAt.UTC(), now, now, u.Name); err != nil {
			return err
		}
		if clock != nil {
			clock.Subject, clock.Region = fmt.Sprintf("plan:%d", id), p.County
			if err := db.insertClock(ctx, tx, clock); err != nil {
				return err
			}
		}
		return db.audit(ctx, tx, "plan.open", "plan", fmt.Sprint(id), fmt.Sprintf("%s %d", p.County, p.Year))
	})
	if backstop.ErrorCode(err) == backstop.ECONFLICT {
		return db.planOf(ctx, p.County, p.Year)
	}
	if err != nil {
		return nil, err
	}
	return db.planOf(ctx, p.County, p.Year)
}

func (db *DB) planOf(ctx context.Context, county string, year int) (*backstop.Plan, error) {
	p, err := scanPlan(db.write.QueryRowContext(ctx, db.q(`SELECT `+planColumns+` FROM plans p WHERE p.county_code = ? AND p.year = ?`), county, year))
	if err == sql.ErrNoRows {
		return nil, backstop.E(backstop.ENOTFOUND, "notfound.thing", backstop.Named{ZH: "该县区该年度的预案", EN: "The plan of this county and year"})
	}
	return p, db.translate(err)
}

// FindPlan returns a plan the user may read.
func (db *DB) FindPlan(ctx context.Context, id int64) (*backstop.Plan, error) {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return nil, err
	}
	vis, args := planVisible(u)
	p, err := scanPlan(db.read.QueryRowContext(ctx, db.q(`SELECT `+planColumns+` FROM plans p`+where("p.id = ?", vis)), append([]any{id}, args...)...))
	if err == sql.ErrNoRows {
		return nil, backstop.E(backstop.ENOTFOUND, "notfound.thing", backstop.Named{ZH: "该预案", EN: "The plan"})
	}
	return p, db.translate(err)
}

// FindPlans pages plans the user may read, by year and county.
func (db *DB) FindPlans(ctx context.Context, f backstop.PlanFilter) ([]*backstop.Plan, int, error) {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return nil, 0, err
	}
	vis, args := planVisible(u)
	conds := []string{vis}
	if f.Year != 0 {
		conds, args = append(conds, "p.year = ?"), append(args, f.Year)
	}
	if f.County != "" {
		conds, args = append(conds, "p.county_code = ?"), append(args, f.County)
	}
	if f.State != "" {
		conds, args = append(conds, "p.state = ?"), append(args, string(f.State))
	}
	cond := where(conds...)
	var total int
	if err := db.read.QueryRowContext(ctx, db.q(`SELECT count(*) FROM plans p`+cond), args...).Scan(&total); err != nil {
		return nil, 0, db.translate(err)
	}
	rows, err := db.read.QueryContext(ctx, db.q(`SELECT `+planColumns+` FROM plans p`+cond+` ORDER BY p.year DESC, p.county_code LIMIT ? OFFSET ?`), append(args, pageLimit(f.Limit), f.Offset)...)
	if err != nil {
		return nil, 0, db.translate(err)
	}
	defer rows.Close()
	var out []*backstop.Plan
	for rows.Next() {
		p, err := scanPlan(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, p)
	}
	return out, total, db.translate(rows.Err())
}

// SavePlanVersion adds a version to a plan the user's region holds, while
// the plan is in the state the caller read (missing or draft).
func (db *DB) SavePlanVersion(ctx context.Context, v *backstop.PlanVersion, missing []string, from backstop.PlanState) (*backstop.Plan, error) {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return nil, err
	}
	if from != backstop.PlanMissing && from != backstop.PlanDraft {
		return nil, backstop.Localized(backstop.ECONFLICT, "预案已报送或已批准，不能再修改；如需修改请先由市级退回", "The plan was submitted or approved; it can only change after the city returns it.")
	}
	now := db.now().UTC()
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		if err := db.planWritable(ctx, tx, u, v.PlanID); err != nil {
			return err
		}
		var version int
		if err := tx.QueryRowContext(ctx, db.q(`SELECT version FROM plans WHERE id = ?`), v.PlanID).Scan(&version); err != nil {
			return err
		}
		doc := v.Document
		if doc == nil && version > 0 {
			// A new version without a new document keeps the last one.
			var d backstop.PlanDocument
			if err := tx.QueryRowContext(ctx, db.q(`SELECT doc_name, doc_kind, doc_size, doc_sha256, doc_path FROM plans WHERE id = ?`), v.PlanID).Scan(&d.Name, &d.Kind, &d.Size, &d.SHA256, &d.Path); err != nil {
				return err
			}
			if d.Name != "" {
				doc = &d
			}
		}
		if doc == nil {
			doc = &backstop.PlanDocument{}
		}
		v.Version, v.CreatedAt, v.CreatedBy = version+1, now, u.Name
		res, err := tx.ExecContext(ctx, db.q(`UPDATE plans SET version = ?, state = ?, title = ?, sections = ?, missing = ?, doc_name = ?, doc_kind = ?, doc_size = ?, doc_sha256 = ?, doc_path = ?,
 checklist_policy_id = ?, updated_at = ?, updated_by = ? WHERE id = ? AND state = ? AND version = ?`),
			v.Version, string(backstop.PlanDraft), v.Title, mustJSON(v.Sections), mustJSON(missing), doc.Name, doc.Kind, doc.Size, doc.SHA256, doc.Path,
			nullID(v.ChecklistID), now, u.Name, v.PlanID, string(from), version)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return backstop.E(backstop.ECONFLICT, "conflict.changed", backstop.Named{ZH: "该预案", EN: "The plan"})
		}
		if _, err := tx.ExecContext(ctx, db.q(`INSERT INTO plan_versions (plan_id, version, title, sections, doc_name, doc_kind, doc_size, doc_sha256, doc_path, note, created_at, created_by)
 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`), v.PlanID, v.Version, v.Title, mustJSON(v.Sections), doc.Name, doc.Kind, doc.Size, doc.SHA256, doc.Path, v.Note, now, u.Name); err != nil {
			return err
		}
		return db.audit(ctx, tx, "plan.version", "plan", fmt.Sprint(v.PlanID), fmt.Sprintf("version %d, %d items missing", v.Version, len(missing)))
	})
	if err != nil {
		return nil, err
	}
	return db.FindPlan(ctx, v.PlanID)
}

// planWritable looks a plan up inside the user's region for a write:
// what is not there is forbidden for a scoped user (it may exist
// elsewhere), not found for the national scope.
func (db *DB) planWritable(ctx context.Context, tx *sql.Tx, u *backstop.User, id int64) error {
	vis, args := planVisible(u)
	var one int
	err := tx.QueryRowContext(ctx, db.q(`SELECT 1 FROM plans p`+where("p.id = ?", vis)), append([]any{id}, args...)...).Scan(&one)
	if err == sql.ErrNoRows {
		return backstop.NotInRegion(u, backstop.E(backstop.ENOTFOUND, "notfound.thing", backstop.Named{ZH: "该预案", EN: "The plan"}), "预案", "the plan")
	}
	return err
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// PlanVersions lists a plan's versions, newest first.
func (db *DB) PlanVersions(ctx context.Context, planID int64) ([]*backstop.PlanVersion, error) {
	if _, err := db.FindPlan(ctx, planID); err != nil {
		return nil, err
	}
	rows, err := db.read.QueryContext(ctx, db.q(`SELECT plan_id, version, title, sections, doc_name, doc_kind, doc_size, doc_sha256, doc_path, note, created_at, created_by
 FROM plan_versions WHERE plan_id = ? ORDER BY version DESC`), planID)
	if err != nil {
		return nil, db.translate(err)
	}
	defer rows.Close()
	var out []*backstop.PlanVersion
	for rows.Next() {
		var v backstop.PlanVersion
		var sections string
		var d backstop.PlanDocument
		if err := rows.Scan(&v.PlanID, &v.Version, &v.Title, &sections, &d.Name, &d.Kind, &d.Size, &d.SHA256, &d.Path, &v.Note, &v.CreatedAt, &v.CreatedBy); err != nil {
			return nil, err
		}
		json.Unmarshal([]byte(sections), &v.Sections)
		if d.Name != "" {
			v.Document = &d
		}
		out = append(out, &v)
	}
	return out, db.translate(rows.Err())
}

// MovePlan changes a plan's state by compare-and-set. Submitting and
// returning need the county in the user's scope; approving is the city's
// (the service checks the permission), and meets the plan's clock.
func (db *DB) MovePlan(ctx context.Context, id int64, from, to backstop.PlanState, note string) (*backstop.Plan, error) {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return nil, err
	}
	now := db.now().UTC()
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		if err := db.planWritable(ctx, tx, u, id); err != nil {
			return err
		}
		set := `state = ?, updated_at = ?, updated_by = ?`
		args := []any{string(to), now, u.Name}
		switch to {
		case backstop.PlanSubmitted:
			set += `, submitted_at = ?, return_note = ''`
			args = append(args, now)
		case backstop.PlanApproved:
			set += `, approved_at = ?, approved_by = ?`
			args = append(args, now, u.Name)
		case backstop.PlanDraft:
			set += `, return_note = ?, approved_at = NULL, approved_by = ''`
			args = append(args, note)
		}
		res, err := tx.ExecContext(ctx, db.q(`UPDATE plans SET `+set+` WHERE id = ? AND state = ?`), append(args, id, string(from))...)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return backstop.E(backstop.ECONFLICT, "conflict.changed", backstop.Named{ZH: "该预案", EN: "The plan"})
		}
		subject := fmt.Sprintf("plan:%d", id)
		if to == backstop.PlanApproved {
			if _, err := tx.ExecContext(ctx, db.q(`UPDATE clocks SET state = ?, stopped_at = ?, fire_at = NULL WHERE kind = ? AND subject = ? AND state = ?`),
				string(backstop.ClockMet), now, backstop.ClockPlanDue, subject, string(backstop.ClockRunning)); err != nil {
				return err
			}
		}
		return db.audit(ctx, tx, "plan."+string(to), "plan", fmt.Sprint(id), strings.TrimSpace(string(from)+" → "+string(to)+" "+note))
	})
	if err != nil {
		return nil, err
	}
	return db.FindPlan(ctx, id)
}

// PlanReadiness lists the counties of the user's region with their plan
// for the year (a county without a row is missing).
func (db *DB) PlanReadiness(ctx context.Context, year int) ([]*backstop.PlanReadiness, error) {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return nil, err
	}
	scope, args := scopeWhere(u, "r.code")
	rows, err := db.read.QueryContext(ctx, db.q(`SELECT r.code, r.name, COALESCE(p.id, 0), COALESCE(p.state, 'missing'), COALESCE(p.version, 0), COALESCE(p.missing, '[]')
 FROM regions r LEFT JOIN plans p ON p.county_code = r.code AND p.year = ?`+where("r.level = ?", scope)+` ORDER BY r.code`),
		append([]any{year, int(backstop.LevelCounty)}, args...)...)
	if err != nil {
		return nil, db.translate(err)
	}
	defer rows.Close()
	out := []*backstop.PlanReadiness{}
	for rows.Next() {
		var r backstop.PlanReadiness
		var missing string
		if err := rows.Scan(&r.Code, &r.Name, &r.PlanID, &r.PlanState, &r.Version, &missing); err != nil {
			return nil, err
		}
		json.Unmarshal([]byte(missing), &r.Missing)
		r.State = r.PlanState
		if r.State == backstop.PlanSubmitted {
			r.State = backstop.PlanDraft
		}
		if r.Missing == nil {
			r.Missing = []string{}
		}
		out = append(out, &r)
	}
	return out, db.translate(rows.Err())
}

// CreateDepartmentPlan records a department's plan in the user's region.
func (db *DB) CreateDepartmentPlan(ctx context.Context, p *backstop.DepartmentPlan) error {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return err
	}
	if err := writableBy(u, p.Region); err != nil {
		return err
	}
	doc := p.Document
	if doc == nil {
		doc = &backstop.PlanDocument{}
	}
	p.CreatedAt, p.CreatedBy = db.now().UTC(), u.Name
	return db.inTx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, db.q(`INSERT INTO department_plans (region_code, year, department, title, hazards, approved_on, doc_name, doc_kind, doc_size, doc_sha256, doc_path, note, created_at, created_by)
 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`), p.Region, p.Year, p.Department, p.Title, mustJSON(p.Hazards), p.ApprovedOn, doc.Name, doc.Kind, doc.Size, doc.SHA256, doc.Path,
			p.Note, p.CreatedAt, p.CreatedBy).Scan(&p.ID); err != nil {
			return err
		}
		return db.audit(ctx, tx, "plan.department", "department_plan", fmt.Sprint(p.ID), fmt.Sprintf("%s %s %d", p.Department, p.Region, p.Year))
	})
}

// FindDepartmentPlans lists department plans of a year in the user's
// region (and inside region, when given).
func (db *DB) FindDepartmentPlans(ctx context.Context, year int, region string) ([]*backstop.DepartmentPlan, error) {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return nil, err
	}
	scope, args := scopeWhere(u, "region_code")
	within, wargs, err := regionWithin(region, "region_code")
	if err != nil {
		return nil, err
	}
	conds := []string{scope, within}
	args = append(args, wargs...)
	if year != 0 {
		conds, args = append(conds, "year = ?"), append(args, year)
	}
	rows, err := db.read.QueryContext(ctx, db.q(`SELECT `+departmentPlanColumns+` FROM department_plans`+where(conds...)+` ORDER BY year DESC, region_code, department, id`), args...)
	if err != nil {
		return nil, db.translate(err)
	}
	defer rows.Close()
	out := []*backstop.DepartmentPlan{}
	for rows.Next() {
		p, err := scanDepartmentPlan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, db.translate(rows.Err())
}

const departmentPlanColumns = `id, region_code, year, department, title, hazards, approved_on, doc_name, doc_kind, doc_size, doc_sha256, doc_path, note, created_at, created_by`

func scanDepartmentPlan(sc interface{ Scan(...any) error }) (*backstop.DepartmentPlan, error) {
	var p backstop.DepartmentPlan
	var hazards string
	var d backstop.PlanDocument
	if err := sc.Scan(&p.ID, &p.Region, &p.Year, &p.Department, &p.Title, &hazards, &p.ApprovedOn, &d.Name, &d.Kind, &d.Size, &d.SHA256, &d.Path, &p.Note, &p.CreatedAt, &p.CreatedBy); err != nil {
		return nil, err
	}
	json.Unmarshal([]byte(hazards), &p.Hazards)
	if d.Name != "" {
		p.Document = &d
	}
	return &p, nil
}

// FindDepartmentPlan returns a department plan of the user's region.
func (db *DB) FindDepartmentPlan(ctx context.Context, id int64) (*backstop.DepartmentPlan, error) {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return nil, err
	}
	scope, args := scopeWhere(u, "region_code")
	p, err := scanDepartmentPlan(db.read.QueryRowContext(ctx, db.q(`SELECT `+departmentPlanColumns+` FROM department_plans`+where("id = ?", scope)), append([]any{id}, args...)...))
	if err == sql.ErrNoRows {
		return nil, backstop.E(backstop.ENOTFOUND, "notfound.thing", backstop.Named{ZH: "该专项预案", EN: "The department plan"})
	}
	return p, db.translate(err)
}

// SetDepartmentDocument attaches a document to a department plan of the
// user's region (outside it: forbidden for a scoped user).
func (db *DB) SetDepartmentDocument(ctx context.Context, id int64, d *backstop.PlanDocument) error {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return err
	}
	p, err := db.FindDepartmentPlan(ctx, id)
	if err != nil {
		return backstop.NotInRegion(u, err, "专项预案", "the department plan")
	}
	return db.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, db.q(`UPDATE department_plans SET doc_name = ?, doc_kind = ?, doc_size = ?, doc_sha256 = ?, doc_path = ? WHERE id = ?`), d.Name, d.Kind, d.Size, d.SHA256, d.Path, id); err != nil {
			return err
		}
		return db.auditIn(ctx, tx, p.Region, "plan.department_document", "department_plan", fmt.Sprint(id), d.Name)
	})
}
