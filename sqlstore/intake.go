package sqlstore

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/zhangye-backstop/backstop"
)

// intakeSelect reads items with their village's name and their three
// clocks (by kind and subject), from which due dates and overdue come.
const intakeSelect = `SELECT i.id, i.code, i.source, i.department, i.reason, i.village_code, COALESCE(v.name, ''), i.name, i.phone, i.id_number, i.difficulty, i.risk_type,
 i.consent, i.matched, COALESCE(h.number, ''), i.state, i.merged, i.note, i.due_check, i.due_answer, i.due_approval, i.policy_ids, i.created_by, i.created_at, i.updated_at,
 COALESCE((SELECT s.id FROM streams s WHERE s.kind = 'intake' AND s.subject_id = i.id), 0),
 COALESCE(c1.due_date, ''), c1.due_at, COALESCE(c1.state, ''), COALESCE(c2.due_date, ''), c2.due_at, COALESCE(c2.state, ''), COALESCE(c3.due_date, ''), c3.due_at, COALESCE(c3.state, '')` + intakeFrom

const intakeFrom = ` FROM intake_items i LEFT JOIN regions v ON v.code = i.village_code LEFT JOIN households h ON h.id = i.household_id
 LEFT JOIN clocks c1 ON c1.kind = 'intake.check' AND c1.subject = 'intake:' || CAST(i.id AS TEXT)
 LEFT JOIN clocks c2 ON c2.kind = 'intake.answer' AND c2.subject = 'intake:' || CAST(i.id AS TEXT)
 LEFT JOIN clocks c3 ON c3.kind = 'intake.approval' AND c3.subject = 'intake:' || CAST(i.id AS TEXT)`

func scanIntake(sc interface{ Scan(...any) error }, now time.Time) (*backstop.IntakeItem, error) {
	var it backstop.IntakeItem
	var source, policies string
	var d [3]string
	var due [3]anyTime
	var state [3]string
	if err := sc.Scan(&it.ID, &it.Code, &source, &it.Department, &it.Reason, &it.VillageCode, &it.Village, &it.Name, &it.Phone, &it.IDNumber, &it.Difficulty, &it.RiskType,
		&it.Consent, &it.Matched, &it.HouseholdNumber, &it.State, &it.Merged, &it.Note, &it.Due.Check, &it.Due.Answer, &it.Due.Approval, &policies, &it.CreatedBy, &it.CreatedAt, &it.UpdatedAt,
		&it.StreamID, &d[0], &due[0], &state[0], &d[1], &due[1], &state[1], &d[2], &due[2], &state[2]); err != nil {
		return nil, err
	}
	it.Source = backstop.IntakeSource(source)
	json.Unmarshal([]byte(policies), &it.PolicyIDs)
	// The clocks are the truth (a calendar loaded later recounts them).
	for i, p := range []*string{&it.Due.Check, &it.Due.Answer, &it.Due.Approval} {
		if d[i] != "" {
			*p = d[i]
		}
		c := backstop.Clock{State: backstop.ClockState(state[i]), Due: due[i].t}
		if due[i].valid && c.Overdue(now) {
			it.Overdue = append(it.Overdue, []string{backstop.StepCheck, backstop.StepAnswer, "approval"}[i])
		}
	}
	return &it, nil
}

// intakeCode is a reporter's lookup code: 10 characters of an alphabet
// without look-alikes (no 0/O, 1/I/L), 50 bits.
func intakeCode() string {
	const alphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
	b := make([]byte, 10)
	rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// CreateIntake stores an item (or merges it into the open item of the
// same ID number), after the abuse limits, in one transaction.
func (db *DB) CreateIntake(ctx context.Context, it *backstop.IntakeItem, clocks backstop.IntakeClocks, lim backstop.IntakeLimits) (*backstop.IntakeItem, bool, error) {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return nil, false, err
	}
	if err := inScopeAll(u, it.VillageCode); err != nil {
		return nil, false, err
	}
	now := db.now().UTC()
	var id int64
	merged := false
	create := func(tx *sql.Tx) error {
		since := now.Add(-lim.Window)
		for _, l := range []struct {
			col, key string
			max      int
			zh, en   string
		}{{"addr_key", lim.AddressKey, lim.PerAddress, "同一网络每天最多提交%d次，请明天再试，或请村干部、帮扶责任人代为反映", "At most %d reports a day from one network address: try again tomorrow."},
			{"phone_key", lim.PhoneKey, lim.PerPhone, "同一手机号每天最多提交%d次，请明天再试，或请村干部、帮扶责任人代为反映", "At most %d reports a day with one phone number: try again tomorrow."}} {
			if l.key == "" {
				continue
			}
			var n int
			if err := tx.QueryRowContext(ctx, db.q(`SELECT count(*) FROM intake_attempts WHERE `+l.col+` = ? AND at > ?`), l.key, since).Scan(&n); err != nil {
				return err
			}
			if n >= l.max {
				return backstop.Localized(backstop.ERATELIMIT, l.zh, l.en, l.max)
			}
		}
		if lim.AddressKey != "" || lim.PhoneKey != "" {
			if _, err := tx.ExecContext(ctx, db.q(`INSERT INTO intake_attempts (addr_key, phone_key, at) VALUES (?, ?, ?)`), lim.AddressKey, lim.PhoneKey, now); err != nil {
				return err
			}
		}
		// A person registered anywhere: intake crosses scopes by ID number.
		var hid sql.NullInt64
		err := tx.QueryRowContext(ctx, db.q(`SELECT m.household_id FROM members m JOIN households h ON h.id = m.household_id WHERE m.id_number = ? AND NOT h.deleted ORDER BY m.id LIMIT 1`),
			it.IDNumber).Scan(&hid)
		if err != nil && err != sql.ErrNoRows {
			return err
		}
		it.Matched = hid.Valid
		// The same person's open item takes the new report.
		err = tx.QueryRowContext(ctx, db.q(`SELECT id FROM intake_items WHERE id_number = ? AND state NOT IN ('approved', 'rejected') ORDER BY id LIMIT 1`), it.IDNumber).Scan(&id)
		if err == nil {
			merged = true
			add := fmt.Sprintf("[%s %s] %s", now.In(backstop.Beijing).Format("2006-01-02 15:04"), it.Source, it.Difficulty)
			if it.Reason != "" {
				add += "（" + it.Department + "：" + it.Reason + "）"
			}
			if _, err := tx.ExecContext(ctx, db.q(`UPDATE intake_items SET merged = merged + 1, note = CASE WHEN note = '' THEN ? ELSE note || ? END, updated_at = ? WHERE id = ?`),
				add, "\n"+add, now, id); err != nil {
				return err
			}
			return db.audit(ctx, tx, "intake.merge", "intake", fmt.Sprint(id), fmt.Sprintf("%s from %s merged (ID %s)", it.Source, it.CreatedBy, backstop.MaskIDNumber(it.IDNumber)))
		} else if err != sql.ErrNoRows {
			return err
		}
		policies, _ := json.Marshal(nonNilIDs(it.PolicyIDs))
		var household any
		if hid.Valid {
			household = hid.Int64
		}
		it.Code, it.State = intakeCode(), backstop.IntakeReceived
		if err := tx.QueryRowContext(ctx, db.q(`INSERT INTO intake_items (code, source, department, reason, village_code, name, phone, id_number, difficulty, risk_type, consent, matched,
 household_id, state, due_check, due_answer, due_approval, policy_ids, created_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
			it.Code, string(it.Source), it.Department, it.Reason, it.VillageCode, it.Name, it.Phone, it.IDNumber, it.Difficulty, it.RiskType, it.Consent, it.Matched,
			household, it.State, it.Due.Check, it.Due.Answer, it.Due.Approval, string(policies), u.Name, now, now).Scan(&id); err != nil {
			return err
		}
		// A stream of its own carries the escalations of its clocks.
		stream, err := db.oneID(ctx, tx, "streams")
		if err != nil {
			return err
		}
		if err := db.createStream(ctx, tx, stream, backstop.StreamIntake, id, backstop.StreamDone, time.Time{}, now); err != nil {
			return err
		}
		for _, c := range []*backstop.Clock{clocks.Check, clocks.Answer, clocks.Approval} {
			if c == nil {
				continue
			}
			c.Subject, c.Region = fmt.Sprintf("intake:%d", id), it.VillageCode
			if err := db.insertClock(ctx, tx, c); err != nil {
				return err
			}
		}
		return db.audit(ctx, tx, "intake.create", "intake", fmt.Sprint(id), fmt.Sprintf("%s in %s, ID %s, matched %t", it.Source, it.VillageCode, backstop.MaskIDNumber(it.IDNumber), it.Matched))
	}
	// Two reports by one person at once: the second's insert meets the
	// first's open item (unique index) and, run again, merges into it.
	for attempt := 0; ; attempt++ {
		merged = false
		err = db.inTx(ctx, create)
		if backstop.ErrorCode(err) != backstop.ECONFLICT || attempt == 2 {
			break
		}
	}
	if err != nil {
		return nil, false, err
	}
	got, err := db.findIntake(ctx, `i.id = ?`, id)
	return got, merged, err
}

func (db *DB) findIntake(ctx context.Context, cond string, arg any) (*backstop.IntakeItem, error) {
	it, err := scanIntake(db.read.QueryRowContext(ctx, db.q(intakeSelect+` WHERE `+cond), arg), db.now())
	if err == sql.ErrNoRows {
		return nil, backstop.Localized(backstop.ENOTFOUND, "找不到该报告", "Report not found.")
	}
	return it, db.translate(err)
}

// FindIntakeByCode finds an item by its lookup code, for the public page:
// the code is the key.
func (db *DB) FindIntakeByCode(ctx context.Context, code string) (*backstop.IntakeItem, error) {
	return db.findIntake(ctx, `i.code = ?`, strings.ToUpper(strings.TrimSpace(code)))
}

// FindIntake returns an item in the user's region.
func (db *DB) FindIntake(ctx context.Context, id int64) (*backstop.IntakeItem, error) {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return nil, err
	}
	it, err := db.findIntake(ctx, `i.id = ?`, id)
	if err == nil && !u.InScope(it.VillageCode) {
		return nil, backstop.Localized(backstop.ENOTFOUND, "找不到报告%d", "Intake item %d not found.", id)
	}
	return it, err
}

// FindIntakes pages items in the user's region, newest first.
func (db *DB) FindIntakes(ctx context.Context, f backstop.IntakeFilter) ([]*backstop.IntakeItem, int, error) {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return nil, 0, err
	}
	now := f.Now
	if now.IsZero() {
		now = db.now()
	}
	conds, args := []string{"1 = 1"}, []any{}
	for _, r := range []string{u.Region, f.Region} {
		if r != "" && r != backstop.NationalScope {
			lo, hi := backstop.CodeRange(r)
			conds, args = append(conds, "i.village_code BETWEEN ? AND ?"), append(args, lo, hi)
		}
	}
	if f.Source != "" {
		conds, args = append(conds, "i.source = ?"), append(args, f.Source)
	}
	if f.State != "" {
		conds, args = append(conds, "i.state = ?"), append(args, f.State)
	}
	if f.Open {
		conds = append(conds, "i.state NOT IN ('approved', 'rejected')")
	}
	if f.Overdue {
		conds = append(conds, "((c1.state = 'running' AND c1.due_at <= ?) OR (c2.state = 'running' AND c2.due_at <= ?) OR (c3.state = 'running' AND c3.due_at <= ?))")
		args = append(args, now.UTC(), now.UTC(), now.UTC())
	}
	where := strings.Join(conds, " AND ")
	var total int
	if err := db.read.QueryRowContext(ctx, db.q(`SELECT count(*)`+intakeFrom+` WHERE `+where), args...).Scan(&total); err != nil {
		return nil, 0, db.translate(err)
	}
	if f.Limit <= 0 || f.Limit > MaxPageSize {
		f.Limit = 100
	}
	rows, err := db.read.QueryContext(ctx, db.q(intakeSelect+` WHERE `+where+` ORDER BY i.id DESC LIMIT ? OFFSET ?`), append(args, f.Limit, f.Offset)...)
	if err != nil {
		return nil, 0, db.translate(err)
	}
	defer rows.Close()
	out := []*backstop.IntakeItem{}
	for rows.Next() {
		it, err := scanIntake(rows, now)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, it)
	}
	return out, total, rows.Err()
}

// intakeSteps: from which states a step may be taken, the state it
// leads to, and the clocks it stops.
var intakeSteps = map[string]struct {
	from  []backstop.IntakeState
	to    backstop.IntakeState
	stops map[string]backstop.ClockState
}{
	backstop.StepCheck:   {[]backstop.IntakeState{backstop.IntakeReceived}, backstop.IntakeChecked, map[string]backstop.ClockState{backstop.ClockIntakeCheck: backstop.ClockMet}},
	backstop.StepAnswer:  {[]backstop.IntakeState{backstop.IntakeChecked}, backstop.IntakeAnswered, map[string]backstop.ClockState{backstop.ClockIntakeAnswer: backstop.ClockMet}},
	backstop.StepApprove: {[]backstop.IntakeState{backstop.IntakeChecked, backstop.IntakeAnswered}, backstop.IntakeApproved, map[string]backstop.ClockState{backstop.ClockIntakeReview: backstop.ClockMet}},
	// A rejection ends the procedure; the reporter is still owed an
	// answer, so that clock keeps running.
	backstop.StepReject: {[]backstop.IntakeState{backstop.IntakeReceived, backstop.IntakeChecked, backstop.IntakeAnswered}, backstop.IntakeRejected,
		map[string]backstop.ClockState{backstop.ClockIntakeCheck: backstop.ClockMet, backstop.ClockIntakeReview: backstop.ClockCancelled}},
}

// AdvanceIntake records a step by compare-and-set from the item's state.
func (db *DB) AdvanceIntake(ctx context.Context, id int64, step, note string) (*backstop.IntakeItem, error) {
	it, err := db.FindIntake(ctx, id)
	if err != nil {
		return nil, err
	}
	s, ok := intakeSteps[step]
	if !ok {
		return nil, backstop.Localized(backstop.EINVALID, "办理步骤（step）只能是 check（核实）、answer（答复）、approve（认定）或 reject（不予认定），不能是“%s”",
			"step must be check, answer, approve or reject, not %q", step)
	}
	if len([]rune(note)) > 1000 {
		return nil, backstop.Localized(backstop.EINVALID, "办理意见不能超过1000字", "The note is longer than 1000 characters.")
	}
	now := db.now().UTC()
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		add := fmt.Sprintf("[%s %s] %s", now.In(backstop.Beijing).Format("2006-01-02 15:04"), step, note)
		in := `(?` + strings.Repeat(",?", len(s.from)-1) + `)`
		args := []any{s.to, add, "\n" + add, now, id}
		for _, f := range s.from {
			args = append(args, f)
		}
		res, err := tx.ExecContext(ctx, db.q(`UPDATE intake_items SET state = ?, note = CASE WHEN note = '' THEN ? ELSE note || ? END, updated_at = ? WHERE id = ? AND state IN `+in), args...)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return backstop.Localized(backstop.ECONFLICT, "报告%d当前状态为%s，不能办理“%s”", "Intake item %d is %s: %s cannot be recorded now.", id, backstop.Term(backstop.TermIntakeState, string(it.State)), backstop.Term(backstop.TermIntakeStep, step))
		}
		for kind, state := range s.stops {
			if err := db.stopClockTx(ctx, tx, kind, fmt.Sprintf("intake:%d", id), state, now); err != nil {
				return err
			}
		}
		return db.audit(ctx, tx, "intake."+step, "intake", fmt.Sprint(id), fmt.Sprintf("%s → %s", it.State, s.to))
	})
	if err != nil {
		return nil, err
	}
	return db.FindIntake(ctx, id)
}
