package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/zhangye-backstop/backstop"
)

const consultationColumns = `id, warning_id, departments, participants, assessment, decision, actions, approver, approved_at, held_at, created_by, created_at, updated_at`

func scanConsultation(sc interface{ Scan(...any) error }) (*backstop.Consultation, error) {
	var c backstop.Consultation
	var deps, people, actions string
	var approved sql.NullTime
	if err := sc.Scan(&c.ID, &c.WarningID, &deps, &people, &c.Assessment, &c.Decision, &actions, &c.Approver, &approved, &c.HeldAt, &c.CreatedBy, &c.CreatedAt, &c.UpdatedAt); err != nil {
		return nil, err
	}
	json.Unmarshal([]byte(deps), &c.Departments)
	json.Unmarshal([]byte(people), &c.Participants)
	json.Unmarshal([]byte(actions), &c.Actions)
	c.ApprovedAt = timePtr(approved)
	return &c, nil
}

// CreateConsultation records a consultation on a warning.
func (db *DB) CreateConsultation(ctx context.Context, c *backstop.Consultation) error {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return err
	}
	if err := u.Require(backstop.PermConsult); err != nil {
		return err
	}
	var probs []backstop.Problem
	if len(c.Departments) == 0 {
		probs = append(probs, backstop.Problem{Path: "departments", Reason: "name the departments that took part", ReasonZH: "请填写参加会商的部门"})
	}
	if c.Assessment == "" {
		probs = append(probs, backstop.Problem{Path: "assessment", Reason: "the assessment is required", ReasonZH: "请填写研判意见"})
	}
	if c.Decision != backstop.DecisionRelease && c.Decision != backstop.DecisionNoRelease {
		probs = append(probs, backstop.Problem{Path: "decision", Reason: "decision must be release or no_release", ReasonZH: "会商结论须为发布或不发布"})
	}
	for _, a := range c.Actions {
		known := false
		for _, k := range backstop.ConsultationActions {
			known = known || a == k
		}
		if !known {
			probs = append(probs, backstop.Problem{Path: "actions", Reason: fmt.Sprintf("unknown action %q", a), ReasonZH: fmt.Sprintf("未知的防御措施“%s”", backstop.MaskCell(a))})
		}
	}
	// Every text has its limit: the warning page lists consultations.
	if n := utf8.RuneCountInString(c.Assessment); n > backstop.MaxAssessmentLength {
		probs = append(probs, backstop.Problem{Path: "assessment", Reason: fmt.Sprintf("the assessment has %d characters; at most %d", n, backstop.MaxAssessmentLength),
			ReasonZH: fmt.Sprintf("研判意见过长：有%d个字符，上限为%d个", n, backstop.MaxAssessmentLength)})
	}
	for _, l := range []struct {
		path, zh string
		items    []string
		most     int
		runes    int
	}{
		{"departments", "参加会商的部门", c.Departments, backstop.MaxConsultationNames, backstop.MaxDepartmentLength},
		{"participants", "参加会商的人员", c.Participants, backstop.MaxConsultationNames, backstop.MaxNameLength},
	} {
		if len(l.items) > l.most {
			probs = append(probs, backstop.Problem{Path: l.path, Reason: fmt.Sprintf("%d names; at most %d", len(l.items), l.most), ReasonZH: fmt.Sprintf("%s最多%d个，不能是%d个", l.zh, l.most, len(l.items))})
			continue
		}
		for i, v := range l.items {
			if n := utf8.RuneCountInString(v); n > l.runes {
				probs = append(probs, backstop.Problem{Path: fmt.Sprintf("%s[%d]", l.path, i), Reason: fmt.Sprintf("%d characters; at most %d", n, l.runes), ReasonZH: fmt.Sprintf("%s第%d个过长：有%d个字符，上限为%d个", l.zh, i+1, n, l.runes)})
			}
		}
	}
	if len(probs) > 0 {
		return &backstop.Error{Code: backstop.EINVALID, Message: "The consultation is incomplete: " + probs[0].String(), ZH: "会商记录不完整：" + probs[0].ReasonZH, Details: probs}
	}
	now := db.now().UTC()
	if c.HeldAt.IsZero() {
		c.HeldAt = now
	}
	c.CreatedBy, c.CreatedAt, c.UpdatedAt, c.Approver, c.ApprovedAt = u.Name, now, now, "", nil
	deps, _ := json.Marshal(c.Departments)
	people, _ := json.Marshal(nonNil(c.Participants))
	actions, _ := json.Marshal(nonNil(c.Actions))
	return db.inTx(ctx, func(tx *sql.Tx) error {
		region, err := db.warningRegion(ctx, tx, c.WarningID)
		if err != nil {
			return err
		}
		if !u.InScope(region) {
			return backstop.Localized(backstop.EFORBIDDEN, "预警%d的区域（区划%s）不在您的管辖范围（%s）内：不能为它记录会商",
				"Warning %d covers region %s, outside your region %s: you cannot record a consultation on it.", c.WarningID, region, u.Region)
		}
		err = tx.QueryRowContext(ctx, db.q(`INSERT INTO consultations (warning_id, departments, participants, assessment, decision, actions, held_at, created_by, created_at, updated_at)
 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`), c.WarningID, string(deps), string(people), c.Assessment, c.Decision, string(actions), c.HeldAt.UTC(), u.Name, now, now).Scan(&c.ID)
		if err != nil {
			return err
		}
		return db.auditIn(ctx, tx, region, "consultation.create", "warning", fmt.Sprint(c.WarningID), c.Decision)
	})
}

// warningRegion returns the region of a warning (warnings are public, so
// its absence is no secret).
func (db *DB) warningRegion(ctx context.Context, ex rowQuerier, id int64) (string, error) {
	var region string
	err := ex.QueryRowContext(ctx, db.q(`SELECT region_code FROM warnings WHERE id = ?`), id).Scan(&region)
	if err == sql.ErrNoRows {
		return "", backstop.Localized(backstop.ENOTFOUND, "找不到预警%d", "Warning %d not found.", id)
	}
	return region, err
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// ApproveConsultation records the acting user as approver.
func (db *DB) ApproveConsultation(ctx context.Context, id int64) (*backstop.Consultation, error) {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return nil, err
	}
	if err := u.Require(backstop.PermApprove); err != nil {
		return nil, err
	}
	now := db.now().UTC()
	var c *backstop.Consultation
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		c, err = scanConsultation(tx.QueryRowContext(ctx, db.q(`SELECT `+consultationColumns+` FROM consultations WHERE id = ?`), id))
		if err == sql.ErrNoRows {
			return backstop.Localized(backstop.ENOTFOUND, "找不到会商%d", "Consultation %d not found.", id)
		} else if err != nil {
			return err
		}
		region, err := db.warningRegion(ctx, tx, c.WarningID)
		if err != nil {
			return err
		}
		if !u.InScope(region) {
			return backstop.Localized(backstop.EFORBIDDEN, "会商%d所属预警%d的区域（区划%s）不在您的管辖范围（%s）内：不能批准",
				"Consultation %d is on warning %d, which covers region %s, outside your region %s: you cannot approve it.", id, c.WarningID, region, u.Region)
		}
		// Four eyes: who recorded a consultation does not approve it.
		if c.CreatedBy == u.Name {
			return backstop.Localized(backstop.EFORBIDDEN, "会商%d由您本人记录，须由另一位有批准权限的人员批准",
				"You recorded consultation %d: another person with the approval permission must approve it.", id)
		}
		if c.ApprovedAt != nil {
			return backstop.Localized(backstop.ECONFLICT, "会商%d已由%s批准", "Consultation %d was approved by %s already.", id, c.Approver)
		}
		if _, err := tx.ExecContext(ctx, db.q(`UPDATE consultations SET approver = ?, approved_at = ?, updated_at = ? WHERE id = ?`), u.Name, now, now, id); err != nil {
			return err
		}
		c.Approver, c.ApprovedAt, c.UpdatedAt = u.Name, &now, now
		return db.auditIn(ctx, tx, region, "consultation.approve", "warning", fmt.Sprint(c.WarningID), fmt.Sprint(id))
	})
	return c, err
}

// FindConsultations lists a warning's consultations.
func (db *DB) FindConsultations(ctx context.Context, warningID int64) ([]*backstop.Consultation, error) {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return nil, err
	}
	if err := u.Require(backstop.PermReadWarnings); err != nil {
		return nil, err
	}
	rows, err := db.read.QueryContext(ctx, db.q(`SELECT `+consultationColumns+` FROM consultations WHERE warning_id = ? ORDER BY id`), warningID)
	if err != nil {
		return nil, db.translate(err)
	}
	defer rows.Close()
	out := []*backstop.Consultation{}
	for rows.Next() {
		c, err := scanConsultation(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// CreateFeed adds a feed to poll.
func (db *DB) CreateFeed(ctx context.Context, f *backstop.Feed) error {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return err
	}
	if err := u.Require(backstop.PermManageFeeds); err != nil {
		return err
	}
	if err := db.Outbound.CheckURL(f.URL); err != nil {
		return err
	}
	if f.IntervalSeconds < 30 {
		f.IntervalSeconds = 300
	}
	f.CreatedBy, f.CreatedAt, f.Enabled = u.Name, db.now().UTC(), true
	return db.inTx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, db.q(`INSERT INTO feeds (name, url, interval_seconds, enabled, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id`),
			f.Name, f.URL, f.IntervalSeconds, true, f.CreatedBy, f.CreatedAt).Scan(&f.ID); err != nil {
			if backstop.ErrorCode(db.translate(err)) == backstop.ECONFLICT {
				return backstop.Localized(backstop.ECONFLICT, "订阅源%s已配置", "The feed %s is configured already.", f.URL)
			}
			return err
		}
		return db.audit(ctx, tx, "feed.create", "feed", fmt.Sprint(f.ID), f.URL)
	})
}

// FindFeeds lists the configured feeds.
func (db *DB) FindFeeds(ctx context.Context) ([]*backstop.Feed, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT id, name, url, interval_seconds, enabled, last_polled_at, last_error, last_new, created_by, created_at FROM feeds ORDER BY id`)
	if err != nil {
		return nil, db.translate(err)
	}
	defer rows.Close()
	out := []*backstop.Feed{}
	for rows.Next() {
		var f backstop.Feed
		var polled sql.NullTime
		if err := rows.Scan(&f.ID, &f.Name, &f.URL, &f.IntervalSeconds, &f.Enabled, &polled, &f.LastError, &f.LastNew, &f.CreatedBy, &f.CreatedAt); err != nil {
			return nil, err
		}
		f.LastPolledAt = timePtr(polled)
		out = append(out, &f)
	}
	return out, rows.Err()
}

// FeedPolled records a poll's outcome.
func (db *DB) FeedPolled(ctx context.Context, id int64, at time.Time, newWarnings int, pollErr string) error {
	_, err := db.write.ExecContext(ctx, db.q(`UPDATE feeds SET last_polled_at = ?, last_new = ?, last_error = ? WHERE id = ?`), at.UTC(), newWarnings, backstop.RedactSecrets(pollErr), id)
	return db.translate(err)
}
