package sqlstore

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/zhangye-backstop/backstop"
)

// taskSelect reads tasks with their household's number, head and natural
// village, their village's name and, for confirmations, their release.
const taskSelect = `SELECT t.id, t.kind, t.stream_id, COALESCE(r.id, 0), t.household_id, h.number, h.head_name, h.natural_village, COALESCE(t.member_id, 0), t.person_name, t.phone,
 t.groups, t.village_code, COALESCE(v.name, ''), t.assignee, t.assignee_phone, t.outcome, t.note, t.confirmed_by, t.confirmed_at, t.due_at, t.escalation, t.call_requested, t.payload
 FROM field_tasks t JOIN households h ON h.id = t.household_id LEFT JOIN regions v ON v.code = t.village_code LEFT JOIN releases r ON r.stream_id = t.stream_id`

func scanTask(sc interface{ Scan(...any) error }) (*backstop.FieldTask, error) {
	var t backstop.FieldTask
	var groups int64
	var kind string
	var confirmed sql.NullTime
	var payload string
	if err := sc.Scan(&t.ID, &kind, &t.StreamID, &t.ReleaseID, &t.HouseholdID, &t.HouseholdNumber, &t.HeadName, &t.NaturalVillage, &t.MemberID, &t.PersonName, &t.Phone,
		&groups, &t.VillageCode, &t.Village, &t.Assignee, &t.AssigneePhone, &t.Outcome, &t.Note, &t.ConfirmedBy, &confirmed, &t.Due, &t.Escalation, &t.CallRequested, &payload); err != nil {
		return nil, err
	}
	t.Kind = backstop.TaskKind(kind)
	if t.Kind == backstop.TaskVisit && payload != "" {
		t.Visit = &backstop.VisitPayload{}
		json.Unmarshal([]byte(payload), t.Visit)
	}
	t.Groups = backstop.Group(groups).Names()
	t.ConfirmedAt = timePtr(confirmed)
	return &t, nil
}

// FindTasks lists field tasks within the user's region: calls requested
// first, then open ones, by village and household.
func (db *DB) FindTasks(ctx context.Context, f backstop.TaskFilter) ([]*backstop.FieldTask, int, error) {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return nil, 0, err
	}
	var conds []string
	var args []any
	if f.ReleaseID != 0 {
		conds, args = append(conds, "t.stream_id = (SELECT stream_id FROM releases WHERE id = ?)"), append(args, f.ReleaseID)
	}
	if f.StreamID != 0 {
		conds, args = append(conds, "t.stream_id = ?"), append(args, f.StreamID)
	}
	if f.Assignee != "" {
		conds, args = append(conds, "t.assignee_phone = ?"), append(args, f.Assignee)
	}
	if len(conds) == 0 {
		// Tasks are read by stream or by assignee: both are indexed.
		return nil, 0, backstop.Localized(backstop.EINVALID, "请指定发布、发送流或责任人", "Name a release, a stream or an assignee.")
	}
	if u.Region != backstop.NationalScope {
		lo, hi := backstop.CodeRange(u.Region)
		conds, args = append(conds, "t.village_code BETWEEN ? AND ?"), append(args, lo, hi)
	}
	if f.Kind != "" {
		conds, args = append(conds, "t.kind = ?"), append(args, string(f.Kind))
	}
	if f.ID != 0 {
		conds, args = append(conds, "t.id = ?"), append(args, f.ID)
	}
	if f.Open {
		conds = append(conds, "t.outcome = ''")
	}
	if f.Outcome != "" {
		conds, args = append(conds, "t.outcome = ?"), append(args, f.Outcome)
	}
	if f.Village != "" {
		conds, args = append(conds, "t.village_code = ?"), append(args, f.Village)
	}
	if f.Calls {
		conds, args = append(conds, "t.outcome = '' AND t.call_requested = ?"), append(args, true)
	}
	if !f.DueBefore.IsZero() {
		conds, args = append(conds, "t.outcome = '' AND t.due_at < ?"), append(args, f.DueBefore.UTC())
	}
	where := strings.Join(conds, " AND ")
	var total int
	if err := db.read.QueryRowContext(ctx, db.q(`SELECT count(*) FROM field_tasks t WHERE `+where), args...).Scan(&total); err != nil {
		return nil, 0, db.translate(err)
	}
	if f.Limit <= 0 || f.Limit > MaxPageSize {
		f.Limit = 100
	}
	rows, err := db.read.QueryContext(ctx, db.q(taskSelect+` WHERE `+where+` ORDER BY t.call_requested DESC, CASE WHEN t.outcome = '' THEN 0 ELSE 1 END, t.due_at, t.village_code, h.number, t.id LIMIT ? OFFSET ?`),
		append(args, f.Limit, f.Offset)...)
	if err != nil {
		return nil, 0, db.translate(err)
	}
	defer rows.Close()
	out := []*backstop.FieldTask{}
	for rows.Next() {
		t, err := scanTask(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, t)
	}
	return out, total, rows.Err()
}

// HouseholdTasks lists a household's field tasks in the user's region,
// newest first, with the warnings of their releases.
func (db *DB) HouseholdTasks(ctx context.Context, householdID int64, limit, offset int) ([]*backstop.HouseholdTask, int, error) {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return nil, 0, err
	}
	lo, hi := backstop.CodeRange(u.Region)
	if limit <= 0 || limit > MaxPageSize {
		limit = MaxPageSize
	}
	var total int
	if err := db.read.QueryRowContext(ctx, db.q(`SELECT count(*) FROM field_tasks t WHERE t.household_id = ? AND t.village_code BETWEEN ? AND ?`), householdID, lo, hi).Scan(&total); err != nil {
		return nil, 0, db.translate(err)
	}
	out, err := db.householdTasks(ctx, householdID, lo, hi, limit, max(offset, 0))
	return out, total, err
}

func (db *DB) householdTasks(ctx context.Context, householdID int64, lo, hi string, limit, offset int) ([]*backstop.HouseholdTask, error) {
	rows, err := db.read.QueryContext(ctx, db.q(taskSelect+` WHERE t.household_id = ? AND t.village_code BETWEEN ? AND ? ORDER BY t.id DESC LIMIT ? OFFSET ?`), householdID, lo, hi, limit, offset)
	if err != nil {
		return nil, db.translate(err)
	}
	defer rows.Close()
	out := []*backstop.HouseholdTask{}
	byRelease := map[int64][]*backstop.HouseholdTask{}
	for rows.Next() {
		t, err := scanTask(rows)
		if err != nil {
			return nil, err
		}
		ht := &backstop.HouseholdTask{FieldTask: *t}
		out = append(out, ht)
		if t.ReleaseID != 0 {
			byRelease[t.ReleaseID] = append(byRelease[t.ReleaseID], ht)
		}
	}
	if err := rows.Err(); err != nil || len(byRelease) == 0 {
		return out, db.translate(err)
	}
	ids := make([]any, 0, len(byRelease))
	for id := range byRelease {
		ids = append(ids, id)
	}
	wr, err := db.read.QueryContext(ctx, db.q(`SELECT r.id, w.id, w.headline, w.hazard, w.level, r.created_at, r.test FROM releases r JOIN warnings w ON w.id = r.warning_id WHERE r.id IN (`+placeholders(len(ids))+`)`), ids...)
	if err != nil {
		return nil, db.translate(err)
	}
	defer wr.Close()
	for wr.Next() {
		var rel, warning int64
		var headline, hazard, level string
		var at time.Time
		var test bool
		if err := wr.Scan(&rel, &warning, &headline, &hazard, &level, &at, &test); err != nil {
			return nil, err
		}
		for _, ht := range byRelease[rel] {
			ht.WarningID, ht.Headline, ht.Hazard, ht.Level, ht.ReleasedAt, ht.TestRelease = warning, headline, hazard, backstop.WarningLevel(level), at, test
		}
	}
	return out, db.translate(wr.Err())
}

// OpenTasks lists a stream's open tasks at an escalation level.
func (db *DB) OpenTasks(ctx context.Context, streamID int64, escalation int) ([]*backstop.FieldTask, error) {
	rows, err := db.read.QueryContext(ctx, db.q(taskSelect+` WHERE t.stream_id = ? AND t.outcome = '' AND t.escalation = ? ORDER BY t.village_code, t.id`), streamID, escalation)
	if err != nil {
		return nil, db.translate(err)
	}
	defer rows.Close()
	var out []*backstop.FieldTask
	for rows.Next() {
		t, err := scanTask(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// ConfirmTask records an outcome by compare-and-set: an open task takes
// it; a task confirmed already takes a correction from the same person
// (a re-sent tap, a mistaken one) and refuses anyone else's with
// ECONFLICT. The task must lie in the user's region.
func (db *DB) ConfirmTask(ctx context.Context, id int64, outcome, note, by string) (*backstop.FieldTask, error) {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(backstop.Outcomes, outcome) {
		return nil, backstop.Localized(backstop.EINVALID, "确认结果须为：电话联系、当面告知、邻居转告、无法联系，不能是“%[2]s”", "The outcome must be one of %s, not %q.", strings.Join(backstop.Outcomes, ", "), outcome)
	}
	if len([]rune(note)) > 500 {
		return nil, backstop.Localized(backstop.EINVALID, "备注不能超过500字", "The note is longer than 500 characters.")
	}
	if by == "" {
		by = u.Name
	}
	now := db.now().UTC()
	var t *backstop.FieldTask
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		t, err = scanTask(tx.QueryRowContext(ctx, db.q(taskSelect+` WHERE t.id = ?`), id))
		if err == sql.ErrNoRows || (err == nil && !u.InScope(t.VillageCode)) {
			// Looked up inside the user's region: a task elsewhere answers
			// as one that does not exist.
			return backstop.NotInRegion(u, backstop.Localized(backstop.ENOTFOUND, "找不到确认任务%d", "Task %d not found.", id),
				fmt.Sprintf("确认任务%d", id), fmt.Sprintf("task %d", id))
		} else if err != nil {
			return err
		}
		if t.Kind != backstop.TaskConfirm {
			// A visit is finished with its checklist (FinishVisit), not
			// confirmed with a reach outcome.
			return backstop.Localized(backstop.EINVALID, "任务%d是走访任务，请填写走访结果", "Task %d is a visit: record its visit instead.", id)
		}
		res, err := tx.ExecContext(ctx, db.q(`UPDATE field_tasks SET outcome = ?, note = ?, confirmed_by = ?, confirmed_at = ? WHERE id = ? AND (outcome = '' OR confirmed_by = ?)`),
			outcome, note, by, now, id, by)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return backstop.Localized(backstop.ECONFLICT, "任务%d已由%s确认，不能重复确认", "Task %d was confirmed by %s already.", id, t.ConfirmedBy)
		}
		t.Outcome, t.Note, t.ConfirmedBy, t.ConfirmedAt = outcome, note, by, &now
		return db.auditIn(ctx, tx, t.VillageCode, "task.confirm", "task", fmt.Sprint(id), fmt.Sprintf("stream %d, household %s: %s by %s", t.StreamID, t.HouseholdNumber, outcome, by))
	})
	return t, err
}

// RequestCalls flags households' open tasks in a stream for a call,
// village by village (tasks are indexed by stream and village).
func (db *DB) RequestCalls(ctx context.Context, streamID int64, households []backstop.HouseholdAt) (map[int64]int, error) {
	// By village and phone: a failed SMS to one member's phone leaves the
	// household's others, reached on theirs, out of the calls.
	byVillage := map[[2]string][]any{}
	for _, h := range households {
		k := [2]string{h.Village, h.Phone}
		byVillage[k] = append(byVillage[k], h.ID)
	}
	out := map[int64]int{}
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		for key, ids := range byVillage {
			village, phone := key[0], key[1]
			for start := 0; start < len(ids); start += 500 {
				chunk := ids[start:min(start+500, len(ids))]
				in := `(?` + strings.Repeat(",?", len(chunk)-1) + `)`
				args := append([]any{streamID, village}, chunk...)
				if phone != "" {
					in += ` AND phone = ?`
					args = append(args, phone)
				}
				rows, err := tx.QueryContext(ctx, db.q(`SELECT household_id, count(*) FROM field_tasks WHERE stream_id = ? AND village_code = ? AND household_id IN `+in+` AND outcome = '' GROUP BY household_id`), args...)
				if err != nil {
					return err
				}
				for rows.Next() {
					var id int64
					var n int
					if err := rows.Scan(&id, &n); err != nil {
						rows.Close()
						return err
					}
					out[id] += n
				}
				rows.Close()
				if _, err := tx.ExecContext(ctx, db.q(`UPDATE field_tasks SET call_requested = ? WHERE stream_id = ? AND village_code = ? AND household_id IN `+in+` AND outcome = ''`),
					append([]any{true}, args...)...); err != nil {
					return err
				}
			}
		}
		return nil
	})
	return out, err
}

// markTasksEscalated records an escalation level on tasks of a stream.
func (db *DB) markTasksEscalated(ctx context.Context, tx *sql.Tx, streamID int64, ids []int64, level int, at time.Time) error {
	for start := 0; start < len(ids); start += 500 {
		chunk := ids[start:min(start+500, len(ids))]
		args := []any{level, at.UTC(), streamID}
		for _, id := range chunk {
			args = append(args, id)
		}
		if _, err := tx.ExecContext(ctx, db.q(`UPDATE field_tasks SET escalation = ?, escalated_at = ? WHERE stream_id = ? AND id IN (?`+strings.Repeat(",?", len(chunk)-1)+`)`), args...); err != nil {
			return err
		}
	}
	return nil
}

func tokenHash(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// MintLinks makes a new link for each phone; only the token's hash is
// kept, with the stream's expiry.
func (db *DB) MintLinks(ctx context.Context, streamID int64, phones []string) (map[string]string, error) {
	out := map[string]string{}
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		var expires anyTime
		if err := tx.QueryRowContext(ctx, db.q(`SELECT links_expire_at FROM streams WHERE id = ?`), streamID).Scan(&expires); err != nil {
			return err
		}
		if !expires.valid {
			return backstop.Localized(backstop.EINVALID, "发送流%d不发送链接", "Stream %d sends no links.", streamID)
		}
		now := db.now().UTC()
		for _, phone := range phones {
			if _, ok := out[phone]; ok {
				continue
			}
			var raw [16]byte
			rand.Read(raw[:])
			token := hex.EncodeToString(raw[:])
			if _, err := tx.ExecContext(ctx, db.q(`INSERT INTO field_links (token_hash, assignee_phone, stream_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?)`),
				tokenHash(token), phone, streamID, now, expires.t.UTC()); err != nil {
				return err
			}
			out[phone] = token
		}
		return nil
	})
	return out, err
}

// LinkAssignee resolves a link token.
func (db *DB) LinkAssignee(ctx context.Context, token string, now time.Time) (string, time.Time, error) {
	var phone string
	var expires time.Time
	err := db.read.QueryRowContext(ctx, db.q(`SELECT assignee_phone, expires_at FROM field_links WHERE token_hash = ?`), tokenHash(token)).Scan(&phone, &expires)
	if err == sql.ErrNoRows {
		return "", time.Time{}, backstop.Localized(backstop.ENOTFOUND, "链接无效", "This link is not valid.")
	} else if err != nil {
		return "", time.Time{}, db.translate(err)
	}
	if !now.Before(expires) {
		return phone, expires, backstop.Localized(backstop.EUNAUTHORIZED, "链接已于%s过期", "This link expired on %s.", expires.In(backstop.Beijing).Format("2006-01-02 15:04"))
	}
	return phone, expires, nil
}
