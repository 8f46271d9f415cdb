package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/zhangye-backstop/backstop"
)

// Cases: every change of a case is one compare-and-set UPDATE of its row
// (version) with what goes with it — the step row, debts paid or made,
// clocks stopped and started, a monitoring decision — in one transaction.

const caseColumns = `c.id, c.household_id, c.household, c.village_code, COALESCE((SELECT h.head_name FROM households h WHERE h.id = c.household_id), ''), c.source, c.source_id, c.procedure_name, c.procedure_zh, c.policy_id, c.procedure_steps,
 c.clearing_procedure, c.clearing_policy_id, c.clearing_steps, c.state, c.step, c.green_channel, c.loss_report_id, c.monitor_type, c.identified_on, c.risk_types,
 c.disaster_sub_item, c.disaster_note, c.identification, c.episode, COALESCE(c.previous_case_id, 0), c.clearing, c.clear_way, c.cleared_on, c.refused_at, c.note,
 c.open_debts, c.stream_id, c.version, c.created_by, c.created_at, c.updated_at`

// The head's name is read per case row by its key (a join let PostgreSQL
// hash the whole registry for every page).
const caseFrom = ` FROM cases c`

func scanCase(sc interface{ Scan(...any) error }) (*backstop.Case, error) {
	var c backstop.Case
	var source, state, steps, clearingSteps, risks, ident, clearing string
	if err := sc.Scan(&c.ID, &c.HouseholdID, &c.Household, &c.Village, &c.HeadName, &source, &c.SourceID, &c.Procedure, &c.ProcedureZH, &c.PolicyID, &steps,
		&c.ClearingProcedure, &c.ClearingPolicyID, &clearingSteps, &state, &c.Step, &c.GreenChannel, &c.LossReportID, &c.MonitorType, &c.IdentifiedOn, &risks,
		&c.DisasterSubItem, &c.DisasterNote, &ident, &c.Episode, &c.PreviousCaseID, &clearing, &c.ClearWay, &c.ClearedOn, &c.RefusedAt, &c.Note,
		&c.OpenDebts, &c.StreamID, &c.Version, &c.CreatedBy, &c.CreatedAt, &c.UpdatedAt); err != nil {
		return nil, err
	}
	c.Source, c.State = backstop.CaseSource(source), backstop.CaseState(state)
	json.Unmarshal([]byte(steps), &c.Steps)
	json.Unmarshal([]byte(clearingSteps), &c.ClearingSteps)
	c.RiskTypes = []string{}
	json.Unmarshal([]byte(risks), &c.RiskTypes)
	if ident != "" {
		c.Identification = &backstop.CaseBlock{}
		json.Unmarshal([]byte(ident), c.Identification)
	}
	if clearing != "" {
		c.Clearing = &backstop.CaseBlock{}
		json.Unmarshal([]byte(clearing), c.Clearing)
	}
	return &c, nil
}

func blockJSON(b *backstop.CaseBlock) string {
	if b == nil {
		return ""
	}
	return mustJSON(b)
}

func stepsJSON(s []backstop.ProcedureStep) string {
	if s == nil {
		return "[]"
	}
	return mustJSON(s)
}

func caseNotFound(id int64) error {
	return backstop.Localized(backstop.ENOTFOUND, "找不到编号为%d的案件", "Case %d not found.", id)
}

// CreateCase stores a new case (episode numbered per household) and its
// change.
func (db *DB) CreateCase(ctx context.Context, c *backstop.Case, ch *backstop.CaseChange) error {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return err
	}
	now := db.now().UTC()
	decided := false
	if err := checkNumberWritable(u, c.Household, false); err != nil {
		return err
	}
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		var village, head string
		err := tx.QueryRowContext(ctx, db.q(`SELECT id, village_code, head_name FROM households WHERE number = ? AND NOT deleted`), c.Household).Scan(&c.HouseholdID, &village, &head)
		if err == sql.ErrNoRows {
			return backstop.Localized(backstop.ENOTFOUND, "找不到户编号为%s的农户", "Household %s not found.", c.Household)
		} else if err != nil {
			return err
		}
		if !u.InScope(village) {
			return backstop.Localized(backstop.EFORBIDDEN, "农户%s不在您的管辖范围内", "Household %s is outside your region.", c.Household)
		}
		c.Village, c.HeadName = village, head
		var episodes int
		if err := tx.QueryRowContext(ctx, db.q(`SELECT COUNT(*) FROM cases WHERE household_id = ?`), c.HouseholdID).Scan(&episodes); err != nil {
			return err
		}
		c.Episode, c.Version, c.CreatedBy, c.CreatedAt, c.UpdatedAt = episodes+1, 1, u.Name, now, now
		if c.ID, err = db.oneID(ctx, tx, "cases"); err != nil {
			return err
		}
		if c.StreamID, err = db.oneID(ctx, tx, "streams"); err != nil {
			return err
		}
		if err := db.createStream(ctx, tx, c.StreamID, backstop.StreamCase, c.ID, backstop.StreamDone, time.Time{}, now); err != nil {
			return err
		}
		var prev any
		if c.PreviousCaseID != 0 {
			prev = c.PreviousCaseID
		}
		_, err = tx.ExecContext(ctx, db.q(`INSERT INTO cases (id, household_id, household, village_code, source, source_id, procedure_name, procedure_zh, policy_id, procedure_steps,
 clearing_procedure, clearing_policy_id, clearing_steps, state, step, green_channel, loss_report_id, monitor_type, identified_on, risk_types,
 disaster_sub_item, disaster_note, identification, episode, previous_case_id, clearing, clear_way, cleared_on, refused_at, note, open_debts, stream_id, version, created_by, created_at, updated_at, reported_on)
 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, 1, ?, ?, ?, ?)`),
			c.ID, c.HouseholdID, c.Household, c.Village, string(c.Source), c.SourceID, c.Procedure, c.ProcedureZH, c.PolicyID, stepsJSON(c.Steps),
			c.ClearingProcedure, c.ClearingPolicyID, stepsJSON(c.ClearingSteps), string(c.State), c.Step, c.GreenChannel, c.LossReportID, c.MonitorType, c.IdentifiedOn, mustJSON(nonNilStrings(c.RiskTypes)),
			c.DisasterSubItem, c.DisasterNote, blockJSON(c.Identification), c.Episode, prev, blockJSON(c.Clearing), c.ClearWay, c.ClearedOn, c.RefusedAt, c.Note,
			c.StreamID, u.Name, now, now, now.In(backstop.Beijing).Format(time.DateOnly))
		if backstop.ErrorCode(db.translate(err)) == backstop.ECONFLICT {
			return backstop.Localized(backstop.ECONFLICT, "农户%s已有未结束的监测帮扶案件", "Household %s has an open case already.", c.Household)
		} else if err != nil {
			return err
		}
		// The household's earlier episodes leave the loop's counts.
		if _, err := tx.ExecContext(ctx, db.q(`UPDATE cases SET superseded = ? WHERE household_id = ? AND id < ? AND superseded = ?`), true, c.HouseholdID, c.ID, false); err != nil {
			return err
		}
		if ch == nil {
			ch = &backstop.CaseChange{}
		}
		if ch.Action == "" {
			ch.Action = "case.create"
		}
		if ch.Detail == "" {
			ch.Detail = fmt.Sprintf("%s case of %s (%s, episode %d)", c.State, c.Household, c.Source, c.Episode)
		}
		decided = ch.Decision != nil
		return db.applyCaseChange(ctx, tx, u, c, ch, now)
	})
	if err == nil && decided {
		db.registryChanged()
	}
	return err
}

// applyCaseChange writes what goes with a case's change, in tx: the step
// row, the debt it pays, the running step clock stopped and the next one
// started, new debts with their clocks, the monitoring decision, the
// count of open debts, the audit row.
func (db *DB) applyCaseChange(ctx context.Context, tx *sql.Tx, u *backstop.User, c *backstop.Case, ch *backstop.CaseChange, now time.Time) error {
	if st := ch.Step; st != nil {
		st.CaseID, st.By, st.At = c.ID, u.Name, now
		if err := tx.QueryRowContext(ctx, db.q(`INSERT INTO case_steps (case_id, phase, step, ordinal, role, outcome, done_by, done_at, note, attachments, staff, answers,
 notice_from, notice_to, policy_id, late) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
			c.ID, st.Phase, st.Step, st.Ordinal, string(st.Role), st.Outcome, u.Name, now, st.Note, mustJSON(nonNilAttachments(st.Attachments)), mustJSON(nonNilStrings(st.Staff)),
			mustJSON(nonNilAnswers(st.Answers)), st.NoticeFrom, st.NoticeTo, st.PolicyID, st.Late).Scan(&st.ID); err != nil {
			return err
		}
	}
	if ch.PayDebt != "" {
		var clockID int64
		err := tx.QueryRowContext(ctx, db.q(`SELECT clock_id FROM case_debts WHERE case_id = ? AND step = ? AND paid_at IS NULL`), c.ID, ch.PayDebt).Scan(&clockID)
		if err == sql.ErrNoRows {
			return backstop.Localized(backstop.ECONFLICT, "案件%d的待补程序“%s”已补办", "Case %d's debt %q is paid already.", c.ID, ch.PayDebt)
		} else if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, db.q(`UPDATE case_debts SET paid_at = ? WHERE case_id = ? AND step = ? AND paid_at IS NULL`), now, c.ID, ch.PayDebt); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, db.q(`UPDATE clocks SET state = ?, stopped_at = ?, fire_at = NULL WHERE id = ? AND state = ?`),
			string(backstop.ClockMet), now, clockID, string(backstop.ClockRunning)); err != nil {
			return err
		}
	}
	// The running step clock of the case, if any, stops with every change
	// (the step was done, refused, or the case moved on).
	if _, err := tx.ExecContext(ctx, db.q(`UPDATE clocks SET state = ?, stopped_at = ?, fire_at = NULL WHERE kind = ? AND subject LIKE ? AND state = ?`),
		string(backstop.ClockMet), now, backstop.ClockCaseStep, fmt.Sprintf("case:%d:%%", c.ID), string(backstop.ClockRunning)); err != nil {
		return err
	}
	for _, s := range ch.StopClocks {
		if _, err := tx.ExecContext(ctx, db.q(`UPDATE clocks SET state = ?, stopped_at = ?, fire_at = NULL WHERE kind = ? AND subject = ? AND state = ?`),
			string(s.State), now, s.Kind, s.Subject, string(backstop.ClockRunning)); err != nil {
			return err
		}
	}
	if clk := ch.Start; clk != nil {
		clk.Kind, clk.Region = backstop.ClockCaseStep, c.Village
		clk.Subject = stepClockSubject(c)
		if err := db.insertClock(ctx, tx, clk); err != nil {
			return err
		}
	}
	for i, d := range ch.NewDebts {
		d.CaseID = c.ID
		if i < len(ch.DebtClocks) && ch.DebtClocks[i] != nil {
			clk := ch.DebtClocks[i]
			clk.Kind, clk.Region, clk.Subject = backstop.ClockCaseDebt, c.Village, fmt.Sprintf("case:%d:debt:%s", c.ID, d.Step)
			if err := db.insertClock(ctx, tx, clk); err != nil {
				return err
			}
			d.ClockID, d.DueAt, d.Due = clk.ID, clk.Due, clk.DueDate
			if d.Due == "" {
				d.Due = clk.Due.In(backstop.Beijing).Format(time.DateOnly)
			}
		}
		if err := tx.QueryRowContext(ctx, db.q(`INSERT INTO case_debts (case_id, step, zh, due_date, due_at, clock_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`),
			c.ID, d.Step, d.ZH, d.Due, d.DueAt.UTC(), d.ClockID, now).Scan(&d.ID); err != nil {
			return err
		}
	}
	if d := ch.Decision; d != nil {
		d.Household = c.Household
		if d.Source == "" {
			d.Source = fmt.Sprintf("case:%d", c.ID)
		}
		if err := db.decideTx(ctx, tx, u, d, c.HouseholdID, c.Village, now); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, db.q(`UPDATE cases SET open_debts = (SELECT COUNT(*) FROM case_debts WHERE case_id = ? AND paid_at IS NULL) WHERE id = ?`), c.ID, c.ID); err != nil {
		return err
	}
	if err := tx.QueryRowContext(ctx, db.q(`SELECT open_debts FROM cases WHERE id = ?`), c.ID).Scan(&c.OpenDebts); err != nil {
		return err
	}
	return db.auditIn(ctx, tx, c.Village, ch.Action, "case", fmt.Sprint(c.ID), ch.Detail)
}

func nonNilAttachments(a []backstop.Attachment) []backstop.Attachment {
	if a == nil {
		return []backstop.Attachment{}
	}
	return a
}

func nonNilAnswers(a []backstop.DepartmentAnswer) []backstop.DepartmentAnswer {
	if a == nil {
		return []backstop.DepartmentAnswer{}
	}
	return a
}

// UpdateCase writes c by compare-and-set on its version.
func (db *DB) UpdateCase(ctx context.Context, c *backstop.Case, ch *backstop.CaseChange) error {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return err
	}
	if ch == nil {
		ch = &backstop.CaseChange{}
	}
	if ch.Action == "" {
		ch.Action = "case.update"
	}
	now := db.now().UTC()
	sc, sargs := scopeWhere(u, "village_code")
	if sc != "" {
		sc = " AND " + sc
	}
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		var prev any
		if c.PreviousCaseID != 0 {
			prev = c.PreviousCaseID
		}
		args := []any{c.ClearingProcedure, c.ClearingPolicyID, stepsJSON(c.ClearingSteps), string(c.State), c.Step, c.GreenChannel, c.LossReportID, c.MonitorType, c.IdentifiedOn,
			mustJSON(nonNilStrings(c.RiskTypes)), c.DisasterSubItem, c.DisasterNote, blockJSON(c.Identification), prev, blockJSON(c.Clearing), c.ClearWay, c.ClearedOn, c.RefusedAt, c.Note, now,
			c.ID, c.Version}
		res, err := tx.ExecContext(ctx, db.q(`UPDATE cases SET clearing_procedure = ?, clearing_policy_id = ?, clearing_steps = ?, state = ?, step = ?, green_channel = ?, loss_report_id = ?,
 monitor_type = ?, identified_on = ?, risk_types = ?, disaster_sub_item = ?, disaster_note = ?, identification = ?, previous_case_id = ?, clearing = ?, clear_way = ?, cleared_on = ?,
 refused_at = ?, note = ?, updated_at = ?, version = version + 1 WHERE id = ? AND version = ?`+sc), append(args, sargs...)...)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			var village string
			err := tx.QueryRowContext(ctx, db.q(`SELECT village_code FROM cases WHERE id = ?`), c.ID).Scan(&village)
			switch {
			case err == sql.ErrNoRows || (err == nil && !u.InScope(village)):
				return caseNotFound(c.ID)
			case err != nil:
				return err
			}
			return backstop.Localized(backstop.ECONFLICT, "案件%d已被他人修改，请刷新后重试", "Case %d was changed by someone else; reload and try again.", c.ID)
		}
		c.Version++
		c.UpdatedAt = now
		if ch.Detail == "" {
			ch.Detail = fmt.Sprintf("%s, step %s", c.State, c.Step)
		}
		return db.applyCaseChange(ctx, tx, u, c, ch, now)
	})
	if err == nil && ch.Decision != nil {
		db.registryChanged()
	}
	return err
}

// findCase reads one case where cond holds, in the user's scope.
func (db *DB) findCase(ctx context.Context, cond string, args []any, notFound error) (*backstop.Case, error) {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return nil, err
	}
	sc, sargs := scopeWhere(u, "c.village_code")
	c, err := scanCase(db.read.QueryRowContext(ctx, db.q(`SELECT `+caseColumns+caseFrom+where(cond, sc)+` ORDER BY c.id DESC LIMIT 1`), append(args, sargs...)...))
	if err == sql.ErrNoRows {
		return nil, notFound
	}
	return c, db.translate(err)
}

// FindCase returns a case in the user's region (outside: EFORBIDDEN).
func (db *DB) FindCase(ctx context.Context, id int64) (*backstop.Case, error) {
	return db.findCase(ctx, "c.id = ?", []any{id}, caseNotFound(id))
}

// OpenCase returns a household's open case.
func (db *DB) OpenCase(ctx context.Context, household string) (*backstop.Case, error) {
	return db.findCase(ctx, "c.household = ? AND c.state IN ('in_procedure', 'active', 'clearing', 'held')", []any{household},
		backstop.Localized(backstop.ENOTFOUND, "农户%s没有未结束的监测帮扶案件", "Household %s has no open case.", household))
}

// LatestCase returns a household's newest case.
func (db *DB) LatestCase(ctx context.Context, household string) (*backstop.Case, error) {
	return db.findCase(ctx, "c.household = ?", []any{household},
		backstop.Localized(backstop.ENOTFOUND, "农户%s没有监测帮扶案件", "Household %s has no case.", household))
}

// FindCases pages cases in the user's scope, newest first.
func (db *DB) FindCases(ctx context.Context, f backstop.CaseFilter) ([]*backstop.Case, int, error) {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return nil, 0, err
	}
	sc, sargs := scopeWhere(u, "c.village_code")
	rc, rargs, err := regionWithin(f.Region, "c.village_code")
	if err != nil {
		return nil, 0, err
	}
	conds, args := []string{sc, rc}, append(sargs, rargs...)
	if f.State != "" {
		if _, err := backstop.ParseCaseState(f.State); err != nil {
			return nil, 0, err
		}
		conds, args = append(conds, "c.state = ?"), append(args, f.State)
	}
	if f.GreenChannel != nil {
		conds, args = append(conds, "c.green_channel = ?"), append(args, *f.GreenChannel)
	}
	if f.HasDebts {
		conds = append(conds, "c.open_debts > 0")
	}
	if f.Household != "" {
		conds, args = append(conds, "c.household = ?"), append(args, f.Household)
	}
	// A stage is the loop's dashboard's figure: households counted by
	// their latest case.
	switch f.Stage {
	case "":
	case "found":
		conds = append(conds, "NOT c.superseded")
	case "monitored":
		conds = append(conds, "NOT c.superseded", "c.state IN ('active', 'clearing', 'cleared', 'held')")
	case "helped":
		conds = append(conds, "NOT c.superseded", "c.state IN ('active', 'clearing', 'cleared', 'held')", "c.helped")
	case "cleared", "held":
		conds, args = append(conds, "NOT c.superseded", "c.state = ?"), append(args, f.Stage)
	default:
		return nil, 0, backstop.Localized(backstop.EINVALID, "阶段（stage）只能是 found（发现）、monitored（已纳入监测）、helped（已帮扶）、cleared（已消除）或 held（暂不标注），不能是“%s”",
			"stage must be found, monitored, helped, cleared or held, not %q.", f.Stage)
	}
	if f.Category != "" {
		conds, args = append(conds, "EXISTS (SELECT 1 FROM measures m WHERE m.case_id = c.id AND m.category = ? AND m.status <> 'refused')"), append(args, f.Category)
	}
	if f.Overdue {
		now := f.Now
		if now.IsZero() {
			now = db.now()
		}
		conds = append(conds, `EXISTS (SELECT 1 FROM clocks k WHERE k.kind IN (?, ?) AND k.subject LIKE 'case:' || c.id || ':%' AND k.state = ? AND k.due_at <= ?)`)
		args = append(args, backstop.ClockCaseStep, backstop.ClockCaseDebt, string(backstop.ClockRunning), now.UTC())
	}
	order, total := " ORDER BY c.id DESC LIMIT ? OFFSET ?", -1
	if f.Keyset {
		conds, args = append(conds, "c.id > ?"), append(args, f.AfterID)
		order = " ORDER BY c.id LIMIT ? OFFSET ?"
	}
	w := where(conds...)
	if !f.Keyset {
		if err := db.read.QueryRowContext(ctx, db.q(`SELECT COUNT(*) FROM cases c`+w), args...).Scan(&total); err != nil {
			return nil, 0, db.translate(err)
		}
	}
	rows, err := db.read.QueryContext(ctx, db.q(`SELECT `+caseColumns+caseFrom+w+order), append(args, pageLimit(f.Limit), max(f.Offset, 0))...)
	if err != nil {
		return nil, 0, db.translate(err)
	}
	defer rows.Close()
	out := []*backstop.Case{}
	for rows.Next() {
		c, err := scanCase(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, c)
	}
	return out, total, rows.Err()
}

// stepClockSubject is the subject of a case's step clock: a change
// stops the running one and starts the next under the case's new
// version, so the clock running now is the current version's.
func stepClockSubject(c *backstop.Case) string {
	return fmt.Sprintf("case:%d:v%d:%s", c.ID, c.Version, c.Step)
}

// CaseStepClocks sets the cases' StepClock from the running step clocks,
// in one query by their keys (the cases were read in the user's scope).
func (db *DB) CaseStepClocks(ctx context.Context, cs []*backstop.Case) error {
	bySubject := map[string]*backstop.Case{}
	args := []any{backstop.ClockCaseStep, string(backstop.ClockRunning)}
	for _, c := range cs {
		if c.Step != "" && c.State.Open() {
			subject := stepClockSubject(c)
			bySubject[subject] = c
			args = append(args, subject)
		}
	}
	if len(bySubject) == 0 {
		return nil
	}
	if len(bySubject) > MaxPageSize {
		return backstop.Localized(backstop.EINVALID, "一次最多读取%d个案件的计时", "At most %d cases' clocks at once.", MaxPageSize)
	}
	rows, err := db.read.QueryContext(ctx, db.q(`SELECT `+clockColumns+` FROM clocks WHERE kind = ? AND state = ? AND subject IN (`+placeholders(len(bySubject))+`)`), args...)
	if err != nil {
		return db.translate(err)
	}
	defer rows.Close()
	for rows.Next() {
		k, err := scanClock(rows)
		if err != nil {
			return err
		}
		if c := bySubject[k.Subject]; c != nil {
			c.StepClock = k
		}
	}
	return db.translate(rows.Err())
}

// caseInScope checks a case exists in the user's region.
func (db *DB) caseInScope(ctx context.Context, id int64) error {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return err
	}
	sc, sargs := scopeWhere(u, "village_code")
	var one int
	err = db.read.QueryRowContext(ctx, db.q(`SELECT 1 FROM cases`+where("id = ?", sc)), append([]any{id}, sargs...)...).Scan(&one)
	if err == sql.ErrNoRows {
		return caseNotFound(id)
	}
	return db.translate(err)
}

// CaseSteps lists a case's recorded steps in order.
func (db *DB) CaseSteps(ctx context.Context, caseID int64) ([]*backstop.CaseStep, error) {
	if err := db.caseInScope(ctx, caseID); err != nil {
		return nil, err
	}
	rows, err := db.read.QueryContext(ctx, db.q(`SELECT id, case_id, phase, step, ordinal, role, outcome, done_by, done_at, note, attachments, staff, answers, notice_from, notice_to, policy_id, late
 FROM case_steps WHERE case_id = ? ORDER BY id`), caseID)
	if err != nil {
		return nil, db.translate(err)
	}
	defer rows.Close()
	out := []*backstop.CaseStep{}
	for rows.Next() {
		var s backstop.CaseStep
		var role, att, staff, answers string
		if err := rows.Scan(&s.ID, &s.CaseID, &s.Phase, &s.Step, &s.Ordinal, &role, &s.Outcome, &s.By, &s.At, &s.Note, &att, &staff, &answers, &s.NoticeFrom, &s.NoticeTo, &s.PolicyID, &s.Late); err != nil {
			return nil, err
		}
		s.Role = backstop.Role(role)
		json.Unmarshal([]byte(att), &s.Attachments)
		json.Unmarshal([]byte(staff), &s.Staff)
		json.Unmarshal([]byte(answers), &s.Answers)
		out = append(out, &s)
	}
	return out, rows.Err()
}

// CaseDebts lists a case's debts, overdue ones marked as of now.
func (db *DB) CaseDebts(ctx context.Context, caseID int64, now time.Time) ([]*backstop.CaseDebt, error) {
	if err := db.caseInScope(ctx, caseID); err != nil {
		return nil, err
	}
	rows, err := db.read.QueryContext(ctx, db.q(`SELECT id, case_id, step, zh, due_date, due_at, clock_id, paid_at FROM case_debts WHERE case_id = ? ORDER BY id`), caseID)
	if err != nil {
		return nil, db.translate(err)
	}
	defer rows.Close()
	out := []*backstop.CaseDebt{}
	for rows.Next() {
		var d backstop.CaseDebt
		var paid sql.NullTime
		if err := rows.Scan(&d.ID, &d.CaseID, &d.Step, &d.ZH, &d.Due, &d.DueAt, &d.ClockID, &paid); err != nil {
			return nil, err
		}
		d.PaidAt = timePtr(paid)
		d.Overdue = d.PaidAt == nil && !now.Before(d.DueAt)
		out = append(out, &d)
	}
	return out, rows.Err()
}

// NationalDiff lists the households where the local decision and the
// national view disagree one way, in the user's region.
func (db *DB) NationalDiff(ctx context.Context, kind, region string, offset, limit int) ([]*backstop.NationalDiffRow, int, error) {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return nil, 0, err
	}
	sc, sargs := scopeWhere(u, "h.village_code")
	rc, rargs, err := regionWithin(region, "h.village_code")
	if err != nil {
		return nil, 0, err
	}
	national := `(h.monitor_type <> '' AND (h.risk_cleared IS NULL OR NOT h.risk_cleared))`
	if db.dialect == SQLite {
		national = `(h.monitor_type <> '' AND (h.risk_cleared IS NULL OR h.risk_cleared = 0))`
	}
	var cond, from string
	switch kind {
	case backstop.DiffLocalOnly:
		// An open monitored case, the national view not monitoring.
		from = ` FROM cases c JOIN households h ON h.id = c.household_id`
		cond = `c.state IN ('active', 'clearing', 'held') AND NOT ` + national
	case backstop.DiffNationalOnly:
		// Monitored nationally, and no open monitored case here.
		from = ` FROM households h LEFT JOIN cases c ON c.household_id = h.id AND c.state IN ('in_procedure', 'active', 'clearing', 'held')`
		cond = national + ` AND NOT h.deleted AND c.id IS NULL`
	default:
		return nil, 0, backstop.Localized(backstop.EINVALID, "比对类型（kind）只能是 local_only（本地已认定、全国系统未录入）或 national_only（全国系统有、本地无案件），不能是“%s”",
			"kind must be local_only or national_only, not %q", kind)
	}
	w := where(sc, rc, cond)
	args := append(sargs, rargs...)
	var total int
	if err := db.read.QueryRowContext(ctx, db.q(`SELECT COUNT(*)`+from+w), args...).Scan(&total); err != nil {
		return nil, 0, db.translate(err)
	}
	rows, err := db.read.QueryContext(ctx, db.q(`SELECT h.number, h.village_code, h.head_name, COALESCE(c.id, 0), COALESCE(c.state, ''), h.monitor_type, COALESCE(h.risk_identified_on, '')`+
		from+w+` ORDER BY h.village_code, h.number LIMIT ? OFFSET ?`), append(args, pageLimit(limit), max(offset, 0))...)
	if err != nil {
		return nil, 0, db.translate(err)
	}
	defer rows.Close()
	out := []*backstop.NationalDiffRow{}
	for rows.Next() {
		var r backstop.NationalDiffRow
		if err := rows.Scan(&r.Household, &r.Village, &r.HeadName, &r.CaseID, &r.CaseState, &r.MonitorType, &r.IdentifiedOn); err != nil {
			return nil, 0, err
		}
		out = append(out, &r)
	}
	return out, total, rows.Err()
}

const measureColumns = `id, case_id, household, village_code, category, item, department, person, status, amount, planned_on, started_on, done_on, note, rule,
 created_by, created_at, updated_at, version`

func scanMeasure(sc interface{ Scan(...any) error }) (*backstop.Measure, error) {
	var m backstop.Measure
	var amount sql.NullFloat64
	if err := sc.Scan(&m.ID, &m.CaseID, &m.Household, &m.Village, &m.Category, &m.Item, &m.Department, &m.Person, &m.Status, &amount, &m.PlannedOn, &m.StartedOn, &m.DoneOn,
		&m.Note, &m.Rule, &m.CreatedBy, &m.CreatedAt, &m.UpdatedAt, &m.Version); err != nil {
		return nil, err
	}
	if amount.Valid {
		m.Amount = &amount.Float64
	}
	return &m, nil
}

// CreateMeasure stores a measure of a case in the user's region; the
// household and village are the case's.
func (db *DB) CreateMeasure(ctx context.Context, m *backstop.Measure) error {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return err
	}
	now := db.now().UTC()
	return db.inTx(ctx, func(tx *sql.Tx) error {
		if err := db.lockRow(ctx, tx, "cases", m.CaseID); err != nil {
			return err
		}
		err := tx.QueryRowContext(ctx, db.q(`SELECT household, village_code FROM cases WHERE id = ?`), m.CaseID).Scan(&m.Household, &m.Village)
		if err == sql.ErrNoRows || (err == nil && !u.InScope(m.Village)) {
			return caseNotFound(m.CaseID)
		} else if err != nil {
			return err
		}
		m.CreatedBy, m.CreatedAt, m.UpdatedAt, m.Version = u.Name, now, now, 1
		if err := tx.QueryRowContext(ctx, db.q(`INSERT INTO measures (case_id, household, village_code, category, item, department, person, status, amount, planned_on, started_on, done_on, note, rule,
 created_by, created_at, updated_at, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1) RETURNING id`),
			m.CaseID, m.Household, m.Village, m.Category, m.Item, m.Department, m.Person, m.Status, nullFloat(m.Amount), m.PlannedOn, m.StartedOn, m.DoneOn, m.Note, m.Rule,
			u.Name, now, now).Scan(&m.ID); err != nil {
			return err
		}
		if err := db.markHelped(ctx, tx, m.CaseID); err != nil {
			return err
		}
		return db.auditIn(ctx, tx, m.Village, "measure.create", "case", fmt.Sprint(m.CaseID), fmt.Sprintf("measure %d: %s/%s (%s) %s", m.ID, m.Category, m.Item, m.Department, m.Status))
	})
}

// markHelped keeps a case's helped flag (a measure of it started or done,
// as the loop's dashboard counts) true to its measures, in tx.
func (db *DB) markHelped(ctx context.Context, tx *sql.Tx, caseID int64) error {
	_, err := tx.ExecContext(ctx, db.q(`UPDATE cases SET helped = EXISTS (SELECT 1 FROM measures m WHERE m.case_id = cases.id AND (m.status IN ('in_progress', 'done') OR m.started_on <> '')) WHERE id = ?`), caseID)
	return err
}

// FindMeasure returns a measure in the user's region.
func (db *DB) FindMeasure(ctx context.Context, id int64) (*backstop.Measure, error) {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return nil, err
	}
	sc, sargs := scopeWhere(u, "village_code")
	m, err := scanMeasure(db.read.QueryRowContext(ctx, db.q(`SELECT `+measureColumns+` FROM measures`+where("id = ?", sc)), append([]any{id}, sargs...)...))
	if err == sql.ErrNoRows {
		return nil, backstop.Localized(backstop.ENOTFOUND, "找不到编号为%d的帮扶措施", "Measure %d not found.", id)
	}
	return m, db.translate(err)
}

// UpdateMeasure writes a measure by compare-and-set on its version.
func (db *DB) UpdateMeasure(ctx context.Context, m *backstop.Measure) error {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return err
	}
	now := db.now().UTC()
	sc, sargs := scopeWhere(u, "village_code")
	if sc != "" {
		sc = " AND " + sc
	}
	return db.inTx(ctx, func(tx *sql.Tx) error {
		if err := db.lockRow(ctx, tx, "cases", m.CaseID); err != nil {
			return err
		}
		// A closed case's plan is the record its clearing or refusal
		// rests on: checked here, under the lock, not only by the caller.
		var state string
		if err := tx.QueryRowContext(ctx, db.q(`SELECT state FROM cases WHERE id = ?`), m.CaseID).Scan(&state); err != nil && err != sql.ErrNoRows {
			return err
		} else if err == nil && !backstop.CaseState(state).Open() {
			return backstop.Localized(backstop.ECONFLICT, "案件%d已结束，不能再修改措施", "Case %d is closed: its measures are not changed.", m.CaseID)
		}
		args := []any{m.Category, m.Item, m.Department, m.Person, m.Status, nullFloat(m.Amount), m.PlannedOn, m.StartedOn, m.DoneOn, m.Note, now, m.ID, m.CaseID, m.Version}
		res, err := tx.ExecContext(ctx, db.q(`UPDATE measures SET category = ?, item = ?, department = ?, person = ?, status = ?, amount = ?, planned_on = ?, started_on = ?, done_on = ?, note = ?,
 updated_at = ?, version = version + 1 WHERE id = ? AND case_id = ? AND version = ?`+sc), append(args, sargs...)...)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			var village string
			var caseID int64
			err := tx.QueryRowContext(ctx, db.q(`SELECT village_code, case_id FROM measures WHERE id = ?`), m.ID).Scan(&village, &caseID)
			switch {
			case err == sql.ErrNoRows || (err == nil && (caseID != m.CaseID || !u.InScope(village))):
				return backstop.Localized(backstop.ENOTFOUND, "案件%d没有编号为%d的帮扶措施", "Case %d has no measure %d.", m.CaseID, m.ID)
			case err != nil:
				return err
			}
			return backstop.Localized(backstop.ECONFLICT, "帮扶措施%d已被他人修改，请刷新后重试", "Measure %d was changed by someone else; reload and try again.", m.ID)
		}
		m.Version++
		m.UpdatedAt = now
		if err := tx.QueryRowContext(ctx, db.q(`SELECT household, village_code, created_by, created_at FROM measures WHERE id = ?`), m.ID).Scan(&m.Household, &m.Village, &m.CreatedBy, &m.CreatedAt); err != nil {
			return err
		}
		if err := db.markHelped(ctx, tx, m.CaseID); err != nil {
			return err
		}
		return db.auditIn(ctx, tx, m.Village, "measure.update", "case", fmt.Sprint(m.CaseID), fmt.Sprintf("measure %d: %s/%s (%s) %s", m.ID, m.Category, m.Item, m.Department, m.Status))
	})
}

// FindMeasures pages measures in the user's scope: a case's, or a
// department's queue.
func (db *DB) FindMeasures(ctx context.Context, f backstop.MeasureFilter) ([]*backstop.Measure, int, error) {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return nil, 0, err
	}
	sc, sargs := scopeWhere(u, "village_code")
	rc, rargs, err := regionWithin(f.Region, "village_code")
	if err != nil {
		return nil, 0, err
	}
	conds, args := []string{sc, rc}, append(sargs, rargs...)
	if f.CaseID != 0 {
		conds, args = append(conds, "case_id = ?"), append(args, f.CaseID)
	}
	if len(f.CaseIDs) > 0 {
		if len(f.CaseIDs) > 5000 {
			return nil, 0, backstop.Localized(backstop.EINVALID, "一次最多查询5000个案件的措施", "At most 5,000 cases' measures at once.")
		}
		conds = append(conds, "case_id IN ("+placeholders(len(f.CaseIDs))+")")
		for _, id := range f.CaseIDs {
			args = append(args, id)
		}
	}
	if f.Department != "" {
		conds, args = append(conds, "department = ?"), append(args, f.Department)
	}
	if f.Status != "" {
		conds, args = append(conds, "status = ?"), append(args, f.Status)
	}
	w := where(conds...)
	var total int
	if err := db.read.QueryRowContext(ctx, db.q(`SELECT COUNT(*) FROM measures`+w), args...).Scan(&total); err != nil {
		return nil, 0, db.translate(err)
	}
	order := " ORDER BY id"
	if f.CaseID == 0 {
		order = " ORDER BY id DESC"
	}
	limit := pageLimit(f.Limit)
	if len(f.CaseIDs) > 0 {
		limit = 100_000 // every measure of the page of cases
	}
	rows, err := db.read.QueryContext(ctx, db.q(`SELECT `+measureColumns+` FROM measures`+w+order+` LIMIT ? OFFSET ?`), append(args, limit, max(f.Offset, 0))...)
	if err != nil {
		return nil, 0, db.translate(err)
	}
	defer rows.Close()
	out := []*backstop.Measure{}
	for rows.Next() {
		m, err := scanMeasure(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, m)
	}
	return out, total, rows.Err()
}
