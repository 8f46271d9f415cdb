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

// The project library: projects by village, their procedure (the steps
// of its policy version, copied onto the row), step outcomes, funds by
// source, beneficiary households and implementation progress. Steps move
// by compare-and-set on the step the caller saw.

const projectColumns = `p.id, p.name, p.type, p.village_code, p.county_code, p.fast_track, p.event, p.summary, p.state, p.step, p.steps, p.policy_id, p.progress, p.stream_id,
 p.created_at, p.created_by,
 COALESCE((SELECT sum(f.planned) FROM project_funds f WHERE f.project_id = p.id), 0),
 COALESCE((SELECT sum(f.allocated) FROM project_funds f WHERE f.project_id = p.id), 0),
 COALESCE((SELECT sum(f.spent) FROM project_funds f WHERE f.project_id = p.id), 0)`

func scanProject(sc interface{ Scan(...any) error }) (*backstop.Project, error) {
	var p backstop.Project
	var steps string
	if err := sc.Scan(&p.ID, &p.Name, &p.Type, &p.Village, &p.County, &p.FastTrack, &p.Event, &p.Summary, &p.State, &p.Step, &steps, &p.PolicyID, &p.Progress, &p.StreamID,
		&p.CreatedAt, &p.CreatedBy, &p.Planned, &p.Allocated, &p.Spent); err != nil {
		return nil, err
	}
	json.Unmarshal([]byte(steps), &p.Steps)
	p.Funds, p.Beneficiaries = []backstop.ProjectFund{}, []string{}
	return &p, nil
}

// CreateProject stores a proposed project with its stream and the clock of
// its first step.
func (db *DB) CreateProject(ctx context.Context, p *backstop.Project, clock *backstop.Clock) error {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return err
	}
	if err := writableBy(u, p.Village); err != nil {
		return err
	}
	now := db.now().UTC()
	p.CreatedAt, p.CreatedBy = now, u.Name
	return db.inTx(ctx, func(tx *sql.Tx) error {
		id, err := db.oneID(ctx, tx, "projects")
		if err != nil {
			return err
		}
		stream, err := db.oneID(ctx, tx, "streams")
		if err != nil {
			return err
		}
		if err := db.createStream(ctx, tx, stream, backstop.StreamProject, id, backstop.StreamDone, time.Time{}, now); err != nil {
			return err
		}
		p.ID, p.StreamID = id, stream
		if _, err := tx.ExecContext(ctx, db.q(`INSERT INTO projects (id, name, type, village_code, county_code, fast_track, event, summary, state, step, steps, policy_id, progress, stream_id, created_at, created_by, updated_at)
 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`), id, p.Name, p.Type, p.Village, p.County, p.FastTrack, p.Event, p.Summary, string(p.State), p.Step, mustJSON(p.Steps), p.PolicyID,
			string(p.Progress), stream, now, u.Name, now); err != nil {
			return err
		}
		if err := db.insertAction(ctx, tx, id, backstop.ProjectAction{Step: "proposal", Outcome: backstop.StepPassed, Note: p.Summary, By: u.Name, At: now}); err != nil {
			return err
		}
		if clock != nil {
			clock.Subject, clock.Region = fmt.Sprintf("project:%d:%s", id, p.Step), p.Village
			if err := db.insertClock(ctx, tx, clock); err != nil {
				return err
			}
		}
		return db.audit(ctx, tx, "project.propose", "project", fmt.Sprint(id), fmt.Sprintf("%s %s fast=%v", p.Village, p.Type, p.FastTrack))
	})
}

func (db *DB) insertAction(ctx context.Context, tx *sql.Tx, id int64, a backstop.ProjectAction) error {
	_, err := tx.ExecContext(ctx, db.q(`INSERT INTO project_actions (project_id, step, outcome, note, actor, at) VALUES (?, ?, ?, ?, ?, ?)`), id, a.Step, a.Outcome, a.Note, a.By, a.At.UTC())
	return err
}

// FindProject returns a project of the user's region with its funds,
// beneficiaries and history.
func (db *DB) FindProject(ctx context.Context, id int64) (*backstop.Project, error) {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return nil, err
	}
	scope, args := scopeWhere(u, "p.village_code")
	p, err := scanProject(db.read.QueryRowContext(ctx, db.q(`SELECT `+projectColumns+` FROM projects p`+where("p.id = ?", scope)), append([]any{id}, args...)...))
	if err == sql.ErrNoRows {
		return nil, backstop.E(backstop.ENOTFOUND, "notfound.thing", backstop.Named{ZH: "该项目", EN: "The project"})
	} else if err != nil {
		return nil, db.translate(err)
	}
	rows, err := db.read.QueryContext(ctx, db.q(`SELECT source, planned, allocated, spent FROM project_funds WHERE project_id = ? ORDER BY source`), id)
	if err != nil {
		return nil, db.translate(err)
	}
	for rows.Next() {
		var f backstop.ProjectFund
		if err := rows.Scan(&f.Source, &f.Planned, &f.Allocated, &f.Spent); err != nil {
			rows.Close()
			return nil, err
		}
		p.Funds = append(p.Funds, f)
	}
	rows.Close()
	rows, err = db.read.QueryContext(ctx, db.q(`SELECT h.number FROM project_beneficiaries b JOIN households h ON h.id = b.household_id WHERE b.project_id = ? ORDER BY h.number`), id)
	if err != nil {
		return nil, db.translate(err)
	}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return nil, err
		}
		p.Beneficiaries = append(p.Beneficiaries, n)
	}
	rows.Close()
	rows, err = db.read.QueryContext(ctx, db.q(`SELECT step, outcome, note, actor, at FROM project_actions WHERE project_id = ? ORDER BY id`), id)
	if err != nil {
		return nil, db.translate(err)
	}
	defer rows.Close()
	for rows.Next() {
		var a backstop.ProjectAction
		if err := rows.Scan(&a.Step, &a.Outcome, &a.Note, &a.By, &a.At); err != nil {
			return nil, err
		}
		p.History = append(p.History, a)
	}
	if p.State == backstop.ProjectInStep {
		var due sql.NullTime
		if err := db.read.QueryRowContext(ctx, db.q(`SELECT due_at FROM clocks WHERE kind = ? AND subject = ?`), backstop.ClockProjectStep, fmt.Sprintf("project:%d:%s", id, p.Step)).Scan(&due); err == nil {
			p.StepDue = timePtr(due)
		}
	}
	return p, db.translate(rows.Err())
}

// FindProjects pages the projects of the user's region.
func (db *DB) FindProjects(ctx context.Context, f backstop.ProjectFilter) ([]*backstop.Project, int, error) {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return nil, 0, err
	}
	scope, args := scopeWhere(u, "p.village_code")
	within, wargs, err := regionWithin(f.Region, "p.village_code")
	if err != nil {
		return nil, 0, err
	}
	conds := []string{scope, within}
	args = append(args, wargs...)
	if f.State != "" {
		conds, args = append(conds, "p.state = ?"), append(args, string(f.State))
	}
	if f.FastTrack != nil {
		conds, args = append(conds, "p.fast_track = ?"), append(args, *f.FastTrack)
	}
	if f.Type != "" {
		conds, args = append(conds, "p.type = ?"), append(args, f.Type)
	}
	cond := where(conds...)
	var total int
	if err := db.read.QueryRowContext(ctx, db.q(`SELECT count(*) FROM projects p`+cond), args...).Scan(&total); err != nil {
		return nil, 0, db.translate(err)
	}
	rows, err := db.read.QueryContext(ctx, db.q(`SELECT `+projectColumns+` FROM projects p`+cond+` ORDER BY p.id DESC LIMIT ? OFFSET ?`), append(args, pageLimit(f.Limit), f.Offset)...)
	if err != nil {
		return nil, 0, db.translate(err)
	}
	defer rows.Close()
	out := []*backstop.Project{}
	for rows.Next() {
		p, err := scanProject(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, p)
	}
	return out, total, db.translate(rows.Err())
}

// projectWritable looks a project up inside the user's region for a
// write (outside: forbidden for a scoped user).
func (db *DB) projectWritable(ctx context.Context, u *backstop.User, id int64) (*backstop.Project, error) {
	p, err := db.FindProject(ctx, id)
	return p, backstop.NotInRegion(u, err, "该项目", "the project")
}

// AdvanceProject records the outcome of the step the caller saw and moves
// the project on, by compare-and-set: of two at once one wins, the other
// is ECONFLICT. The step's clock is met; the next step's starts.
func (db *DB) AdvanceProject(ctx context.Context, id int64, step string, a backstop.ProjectAction, next string, clock *backstop.Clock) (*backstop.Project, error) {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return nil, err
	}
	p, err := db.projectWritable(ctx, u, id)
	if err != nil {
		return nil, err
	}
	state := backstop.ProjectInStep
	switch {
	case a.Outcome == backstop.StepRejected:
		state, next = backstop.ProjectRejected, ""
	case next == "":
		state = backstop.ProjectApproved
	}
	now := db.now().UTC()
	a.By, a.At, a.Step = u.Name, now, step
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, db.q(`UPDATE projects SET state = ?, step = ?, updated_at = ? WHERE id = ? AND state = ? AND step = ?`),
			string(state), next, now, id, string(backstop.ProjectInStep), step)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return backstop.E(backstop.ECONFLICT, "conflict.changed", backstop.Named{ZH: "该项目", EN: "The project"})
		}
		if err := db.insertAction(ctx, tx, id, a); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, db.q(`UPDATE clocks SET state = ?, stopped_at = ?, fire_at = NULL WHERE kind = ? AND subject = ? AND state = ?`),
			string(backstop.ClockMet), now, backstop.ClockProjectStep, fmt.Sprintf("project:%d:%s", id, step), string(backstop.ClockRunning)); err != nil {
			return err
		}
		if clock != nil && next != "" {
			clock.Subject, clock.Region = fmt.Sprintf("project:%d:%s", id, next), p.Village
			if err := db.insertClock(ctx, tx, clock); err != nil {
				return err
			}
		}
		return db.audit(ctx, tx, "project."+a.Outcome, "project", fmt.Sprint(id), strings.TrimSpace(step+" → "+string(state)+" "+next))
	})
	if err != nil {
		return nil, err
	}
	return db.FindProject(ctx, id)
}

// SetProjectFunds replaces a project's funds by source.
func (db *DB) SetProjectFunds(ctx context.Context, id int64, funds []backstop.ProjectFund) (*backstop.Project, error) {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := db.projectWritable(ctx, u, id); err != nil {
		return nil, err
	}
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, db.q(`DELETE FROM project_funds WHERE project_id = ?`), id); err != nil {
			return err
		}
		for _, f := range funds {
			if _, err := tx.ExecContext(ctx, db.q(`INSERT INTO project_funds (project_id, source, planned, allocated, spent) VALUES (?, ?, ?, ?, ?)`), id, f.Source, f.Planned, f.Allocated, f.Spent); err != nil {
				return err
			}
		}
		return db.audit(ctx, tx, "project.funds", "project", fmt.Sprint(id), fmt.Sprintf("%d sources", len(funds)))
	})
	if err != nil {
		return nil, err
	}
	return db.FindProject(ctx, id)
}

// SetBeneficiaries replaces a project's beneficiary households: each must
// be a registered household of the project's county in the user's region.
func (db *DB) SetBeneficiaries(ctx context.Context, id int64, households []string) (*backstop.Project, error) {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return nil, err
	}
	p, err := db.projectWritable(ctx, u, id)
	if err != nil {
		return nil, err
	}
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		var ids []int64
		var problems []backstop.Problem
		for i, n := range households {
			var hid int64
			var village string
			err := tx.QueryRowContext(ctx, db.q(`SELECT id, village_code FROM households WHERE number = ? AND NOT deleted`), n).Scan(&hid, &village)
			switch {
			case err == sql.ErrNoRows || (err == nil && !u.InScope(village)):
				problems = append(problems, backstop.Problem{Path: fmt.Sprintf("households[%d]", i), Reason: "no household " + n + " in your region", ReasonZH: "您的辖区没有户编号为" + n + "的农户"})
			case err != nil:
				return err
			case !backstop.CodeWithin(village, p.County):
				problems = append(problems, backstop.Problem{Path: fmt.Sprintf("households[%d]", i), Reason: "household " + n + " lies outside the project's county", ReasonZH: "农户" + n + "不在项目所在县区"})
			default:
				ids = append(ids, hid)
			}
		}
		if len(problems) > 0 {
			return &backstop.Error{Code: backstop.EINVALID, Message: fmt.Sprintf("Beneficiaries: %d problem(s): %s.", len(problems), problems[0].Reason),
				ZH: fmt.Sprintf("受益农户有 %d 处问题：%s", len(problems), problems[0].ReasonZH), Details: problems}
		}
		if _, err := tx.ExecContext(ctx, db.q(`DELETE FROM project_beneficiaries WHERE project_id = ?`), id); err != nil {
			return err
		}
		for _, hid := range ids {
			if _, err := tx.ExecContext(ctx, db.q(`INSERT INTO project_beneficiaries (project_id, household_id) VALUES (?, ?)`), id, hid); err != nil {
				return err
			}
		}
		return db.audit(ctx, tx, "project.beneficiaries", "project", fmt.Sprint(id), fmt.Sprintf("%d households", len(ids)))
	})
	if err != nil {
		return nil, err
	}
	return db.FindProject(ctx, id)
}

// SetProjectProgress moves an approved project's implementation state by
// compare-and-set.
func (db *DB) SetProjectProgress(ctx context.Context, id int64, from, to backstop.ProjectProgress, note string) (*backstop.Project, error) {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := db.projectWritable(ctx, u, id); err != nil {
		return nil, err
	}
	now := db.now().UTC()
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, db.q(`UPDATE projects SET progress = ?, updated_at = ? WHERE id = ? AND state = ? AND progress = ?`), string(to), now, id, string(backstop.ProjectApproved), string(from))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return backstop.E(backstop.ECONFLICT, "conflict.changed", backstop.Named{ZH: "该项目", EN: "The project"})
		}
		if err := db.insertAction(ctx, tx, id, backstop.ProjectAction{Step: "implementation", Outcome: "progress:" + string(to), Note: note, By: u.Name, At: now}); err != nil {
			return err
		}
		return db.audit(ctx, tx, "project.progress", "project", fmt.Sprint(id), string(from)+" → "+string(to))
	})
	if err != nil {
		return nil, err
	}
	return db.FindProject(ctx, id)
}
