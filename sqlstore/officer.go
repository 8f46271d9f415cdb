package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/zhangye-backstop/backstop"
)

// Disaster information officers: the roster by village and township,
// coverage of villages, training sessions and attendance. An officer's
// latest training is read from attendance, never stored twice.

const officerColumns = `o.id, o.name, o.phone, o.region_code, o.department, o.since, o.until, o.user_name, o.created_at,
 COALESCE((SELECT max(a.date) FROM training_attendance a WHERE a.officer_id = o.id), '')`

func scanOfficer(sc interface{ Scan(...any) error }) (*backstop.Officer, error) {
	var o backstop.Officer
	if err := sc.Scan(&o.ID, &o.Name, &o.Phone, &o.Region, &o.Department, &o.Since, &o.Until, &o.User, &o.CreatedAt, &o.LastTrained); err != nil {
		return nil, err
	}
	return &o, nil
}

// checkOfficerUser checks the account an officer files reports with: a
// user of role info_officer whose region lies inside the officer's.
func (db *DB) checkOfficerUser(ctx context.Context, tx *sql.Tx, o *backstop.Officer) error {
	if o.User == "" {
		return nil
	}
	var role, region string
	err := tx.QueryRowContext(ctx, db.q(`SELECT role, region_code FROM users WHERE name = ?`), o.User).Scan(&role, &region)
	switch {
	case err == sql.ErrNoRows:
		return backstop.Localized(backstop.EINVALID, "没有用户“%s”", "No user %s.", o.User)
	case err != nil:
		return err
	case backstop.Role(role) != backstop.RoleInfoOfficer:
		return backstop.Localized(backstop.EINVALID, "用户“%s”的角色不是灾害信息员（info_officer）", "User %s does not have the info_officer role.", o.User)
	case !backstop.CodeWithin(region, o.Region):
		return backstop.Localized(backstop.EINVALID, "用户“%s”的管辖区划%s不在该信息员负责的区划%s内", "User %s's region %s lies outside the officer's %s.", o.User, region, o.Region)
	}
	return nil
}

// CreateOfficer adds an officer in the user's region.
func (db *DB) CreateOfficer(ctx context.Context, o *backstop.Officer) error {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return err
	}
	if err := writableBy(u, o.Region); err != nil {
		return err
	}
	o.CreatedAt = db.now().UTC()
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		if err := db.checkOfficerUser(ctx, tx, o); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, db.q(`INSERT INTO officers (name, phone, region_code, department, since, until, user_name, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
			o.Name, o.Phone, o.Region, o.Department, o.Since, o.Until, o.User, o.CreatedAt, u.Name).Scan(&o.ID); err != nil {
			return err
		}
		return db.audit(ctx, tx, "officer.create", "officer", fmt.Sprint(o.ID), o.Region)
	})
	if backstop.ErrorKey(err) == "conflict.exists" {
		return backstop.Localized(backstop.ECONFLICT, "手机号%s已登记为该区划的在岗信息员", "Phone %s is already a serving officer of this region.", backstop.MaskPhone(o.Phone))
	}
	return err
}

// UpdateOfficer changes an officer of the user's region (an id outside it
// is forbidden for a scoped user).
func (db *DB) UpdateOfficer(ctx context.Context, o *backstop.Officer) error {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return err
	}
	if _, err := db.FindOfficer(ctx, o.ID); err != nil {
		return backstop.NotInRegion(u, err, "信息员", "the officer")
	}
	if err := writableBy(u, o.Region); err != nil {
		return err
	}
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		if err := db.checkOfficerUser(ctx, tx, o); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, db.q(`UPDATE officers SET name = ?, phone = ?, region_code = ?, department = ?, since = ?, until = ?, user_name = ? WHERE id = ?`),
			o.Name, o.Phone, o.Region, o.Department, o.Since, o.Until, o.User, o.ID); err != nil {
			return err
		}
		return db.audit(ctx, tx, "officer.update", "officer", fmt.Sprint(o.ID), strings.TrimSpace(o.Region+" "+o.Until))
	})
	if backstop.ErrorKey(err) == "conflict.exists" {
		return backstop.Localized(backstop.ECONFLICT, "手机号%s已登记为该区划的在岗信息员", "Phone %s is already a serving officer of this region.", backstop.MaskPhone(o.Phone))
	}
	return err
}

// FindOfficer returns an officer of the user's region.
func (db *DB) FindOfficer(ctx context.Context, id int64) (*backstop.Officer, error) {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return nil, err
	}
	scope, args := scopeWhere(u, "o.region_code")
	o, err := scanOfficer(db.read.QueryRowContext(ctx, db.q(`SELECT `+officerColumns+` FROM officers o`+where("o.id = ?", scope)), append([]any{id}, args...)...))
	if err == sql.ErrNoRows {
		return nil, backstop.E(backstop.ENOTFOUND, "notfound.thing", backstop.Named{ZH: "该信息员", EN: "The officer"})
	}
	return o, db.translate(err)
}

// FindOfficers pages the officers of the user's region.
func (db *DB) FindOfficers(ctx context.Context, f backstop.OfficerFilter) ([]*backstop.Officer, int, error) {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return nil, 0, err
	}
	scope, args := scopeWhere(u, "o.region_code")
	within, wargs, err := regionWithin(f.Region, "o.region_code")
	if err != nil {
		return nil, 0, err
	}
	conds := []string{scope, within}
	args = append(args, wargs...)
	if !f.All && f.Date != "" {
		conds, args = append(conds, "o.since <= ? AND (o.until = '' OR o.until > ?)"), append(args, f.Date, f.Date)
	}
	if f.Query != "" {
		conds, args = append(conds, "o.name LIKE ? ESCAPE '\\'"), append(args, "%"+escapeLike(f.Query)+"%")
	}
	if f.DueBefore != "" {
		conds, args = append(conds, "COALESCE((SELECT max(a.date) FROM training_attendance a WHERE a.officer_id = o.id), '') < ?"), append(args, f.DueBefore)
	}
	cond := where(conds...)
	var total int
	if err := db.read.QueryRowContext(ctx, db.q(`SELECT count(*) FROM officers o`+cond), args...).Scan(&total); err != nil {
		return nil, 0, db.translate(err)
	}
	rows, err := db.read.QueryContext(ctx, db.q(`SELECT `+officerColumns+` FROM officers o`+cond+` ORDER BY o.region_code, o.name, o.id LIMIT ? OFFSET ?`), append(args, pageLimit(f.Limit), f.Offset)...)
	if err != nil {
		return nil, 0, db.translate(err)
	}
	defer rows.Close()
	out := []*backstop.Officer{}
	for rows.Next() {
		o, err := scanOfficer(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, o)
	}
	return out, total, db.translate(rows.Err())
}

// OfficerCoverage counts a region's villages and those with a serving
// officer on date, and lists the others with their township.
func (db *DB) OfficerCoverage(ctx context.Context, region, date string) (*backstop.OfficerCoverage, error) {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return nil, err
	}
	if !u.InScope(region) {
		return nil, backstop.E(backstop.ENOTFOUND, "notfound.thing", backstop.Named{ZH: "区划" + region, EN: "Region " + region})
	}
	lo, hi := backstop.CodeRange(region)
	serving := `o.since <= ? AND (o.until = '' OR o.until > ?)`
	rows, err := db.read.QueryContext(ctx, db.q(`SELECT v.code, v.name, COALESCE(t.name, ''),
 (SELECT count(*) FROM officers o WHERE o.region_code = v.code AND `+serving+`),
 (SELECT count(*) FROM officers o WHERE o.region_code = v.parent_code AND `+serving+`)
 FROM regions v LEFT JOIN regions t ON t.code = v.parent_code WHERE v.level = ? AND v.code BETWEEN ? AND ? ORDER BY v.code`),
		date, date, date, date, int(backstop.LevelVillage), lo, hi)
	if err != nil {
		return nil, db.translate(err)
	}
	defer rows.Close()
	c := &backstop.OfficerCoverage{Region: region, Date: date, Gaps: []backstop.CoverageGap{}}
	for rows.Next() {
		var g backstop.CoverageGap
		var n int
		if err := rows.Scan(&g.Code, &g.Name, &g.Township, &n, &g.TownshipOfficers); err != nil {
			return nil, err
		}
		c.Villages++
		if n > 0 {
			c.Covered++
		} else {
			c.Gaps = append(c.Gaps, g)
		}
	}
	return c, db.translate(rows.Err())
}

// CreateTraining records a session and its attendance: the session's
// region lies in the user's, and every attendee serves inside it.
func (db *DB) CreateTraining(ctx context.Context, s *backstop.TrainingSession) error {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return err
	}
	if err := writableBy(u, s.Region); err != nil {
		return err
	}
	s.CreatedAt, s.CreatedBy = db.now().UTC(), u.Name
	return db.inTx(ctx, func(tx *sql.Tx) error {
		var problems []backstop.Problem
		for i, id := range s.Attendees {
			var region string
			err := tx.QueryRowContext(ctx, db.q(`SELECT region_code FROM officers WHERE id = ?`), id).Scan(&region)
			switch {
			case err == sql.ErrNoRows || (err == nil && !u.InScope(region)):
				problems = append(problems, backstop.Problem{Path: fmt.Sprintf("attendees[%d]", i), Reason: fmt.Sprintf("no officer %d in your region", id), ReasonZH: fmt.Sprintf("您的辖区没有编号为%d的信息员", id)})
			case err != nil:
				return err
			case !backstop.CodeWithin(region, s.Region):
				problems = append(problems, backstop.Problem{Path: fmt.Sprintf("attendees[%d]", i), Reason: fmt.Sprintf("officer %d serves outside the session's region", id),
					ReasonZH: fmt.Sprintf("编号%d的信息员不在本次培训的区划内", id)})
			}
		}
		if len(problems) > 0 {
			return &backstop.Error{Code: backstop.EINVALID, Message: "Attendees: " + problems[0].Reason + ".", ZH: "参训人员有误：" + problems[0].ReasonZH, Details: problems}
		}
		if err := tx.QueryRowContext(ctx, db.q(`INSERT INTO training_sessions (region_code, level, date, topic, hours, place, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
			s.Region, string(s.Level), s.Date, s.Topic, s.Hours, s.Place, s.CreatedAt, s.CreatedBy).Scan(&s.ID); err != nil {
			return err
		}
		for _, id := range s.Attendees {
			if _, err := tx.ExecContext(ctx, db.q(`INSERT INTO training_attendance (session_id, officer_id, date) VALUES (?, ?, ?)`), s.ID, id, s.Date); err != nil {
				return err
			}
		}
		return db.audit(ctx, tx, "training.create", "training", fmt.Sprint(s.ID), fmt.Sprintf("%s %s, %d attendees", s.Level, s.Region, len(s.Attendees)))
	})
}

// FindTrainings lists the sessions of the user's region (inside region,
// in year when given), newest first, with their attendees.
func (db *DB) FindTrainings(ctx context.Context, region string, year int) ([]*backstop.TrainingSession, error) {
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
		conds, args = append(conds, "date BETWEEN ? AND ?"), append(args, fmt.Sprintf("%d-01-01", year), fmt.Sprintf("%d-12-31", year))
	}
	rows, err := db.read.QueryContext(ctx, db.q(`SELECT id, region_code, level, date, topic, hours, place, created_at, created_by FROM training_sessions`+where(conds...)+` ORDER BY date DESC, id DESC LIMIT 1000`), args...)
	if err != nil {
		return nil, db.translate(err)
	}
	out := []*backstop.TrainingSession{}
	byID := map[int64]*backstop.TrainingSession{}
	for rows.Next() {
		var s backstop.TrainingSession
		if err := rows.Scan(&s.ID, &s.Region, &s.Level, &s.Date, &s.Topic, &s.Hours, &s.Place, &s.CreatedAt, &s.CreatedBy); err != nil {
			rows.Close()
			return nil, err
		}
		s.Attendees = []int64{}
		out = append(out, &s)
		byID[s.ID] = &s
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(out) == 0 {
		return out, db.translate(err)
	}
	arows, err := db.read.QueryContext(ctx, db.q(`SELECT a.session_id, a.officer_id FROM training_attendance a JOIN training_sessions s ON s.id = a.session_id`+where(prefixed(conds, "s.")...)+` ORDER BY a.officer_id`), args...)
	if err != nil {
		return nil, db.translate(err)
	}
	defer arows.Close()
	for arows.Next() {
		var sid, oid int64
		if err := arows.Scan(&sid, &oid); err != nil {
			return nil, err
		}
		if s := byID[sid]; s != nil {
			s.Attendees = append(s.Attendees, oid)
		}
	}
	return out, db.translate(arows.Err())
}

// prefixed qualifies the columns of simple conditions with a table alias.
func prefixed(conds []string, alias string) []string {
	out := make([]string, len(conds))
	for i, c := range conds {
		if c != "" {
			out[i] = alias + c
		}
	}
	return out
}

// OfficerTrainings lists one officer's training records, newest first.
func (db *DB) OfficerTrainings(ctx context.Context, officerID int64) ([]*backstop.TrainingRecord, error) {
	if _, err := db.FindOfficer(ctx, officerID); err != nil {
		return nil, err
	}
	rows, err := db.read.QueryContext(ctx, db.q(`SELECT s.id, s.date, s.level, s.topic, s.hours FROM training_attendance a JOIN training_sessions s ON s.id = a.session_id
 WHERE a.officer_id = ? ORDER BY s.date DESC, s.id DESC`), officerID)
	if err != nil {
		return nil, db.translate(err)
	}
	defer rows.Close()
	out := []*backstop.TrainingRecord{}
	for rows.Next() {
		var r backstop.TrainingRecord
		if err := rows.Scan(&r.SessionID, &r.Date, &r.Level, &r.Topic, &r.Hours); err != nil {
			return nil, err
		}
		out = append(out, &r)
	}
	return out, db.translate(rows.Err())
}
