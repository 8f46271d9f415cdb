package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/zhangye-backstop/backstop"
)

const campaignColumns = `id, kind, title, COALESCE(event_id, 0), COALESCE(warning_id, 0), region_code, period_from, period_to, stream_id, cohorts, checklist,
 due_workdays, due_at, due_date, provisional, policy_ids, visits, created_by, created_at`

func scanCampaign(sc interface{ Scan(...any) error }) (*backstop.Campaign, error) {
	var c backstop.Campaign
	var kind, cohorts, checklist, policies string
	if err := sc.Scan(&c.ID, &kind, &c.Title, &c.EventID, &c.WarningID, &c.Region, &c.PeriodFrom, &c.PeriodTo, &c.StreamID, &cohorts, &checklist,
		&c.DueWorkdays, &c.Due, &c.DueDate, &c.Provisional, &policies, &c.Visits, &c.CreatedBy, &c.CreatedAt); err != nil {
		return nil, err
	}
	c.Kind = backstop.CampaignKind(kind)
	json.Unmarshal([]byte(cohorts), &c.Cohorts)
	json.Unmarshal([]byte(checklist), &c.Checklist)
	json.Unmarshal([]byte(policies), &c.PolicyIDs)
	return &c, nil
}

// cohortCondition is the SQL of a must-visit rule over households h.
func (db *DB) cohortCondition(code string, eventID int64, now time.Time) (string, []any, error) {
	bit := func(g backstop.Group) (string, []any, error) {
		return fmt.Sprintf("(h.groups & %d) <> 0", int64(g)), nil, nil
	}
	switch code {
	case backstop.CohortTekunDispersed:
		return "h.assistance = ?", []any{string(backstop.SocialTekunDispersed)}, nil
	case backstop.CohortDibao:
		return bit(backstop.GroupDibao)
	case backstop.CohortFormerlyPoor:
		return bit(backstop.GroupFormerlyPoor)
	case backstop.CohortMonitored:
		return bit(backstop.GroupMonitored)
	case backstop.CohortDisability:
		return bit(backstop.GroupDisability)
	case backstop.CohortLowIncome:
		return bit(backstop.GroupLowIncome)
	case backstop.CohortElderlyAlone:
		return "(h.people = 1 AND h.youngest_birth <> '' AND h.youngest_birth <= ?)", []any{db.elderlyCutoff(now)}, nil
	case backstop.CohortHighRise:
		return "h.relocation_high_rise = ?", []any{true}, nil
	case backstop.CohortEveryone:
		return "1 = 1", nil, nil
	case backstop.CohortLossReported:
		if eventID == 0 {
			return "1 = 0", nil, nil
		}
		return "EXISTS (SELECT 1 FROM loss_reports l WHERE l.household_id = h.id AND l.event_id = ? AND l.is_current)", []any{eventID}, nil
	}
	return "", nil, backstop.Localized(backstop.EINVALID, "必访规则“%s”未知（可用：%s）", "Unknown must-visit rule %q (known: %s).", code, strings.Join(backstop.CohortCodes, ", "))
}

// CreateCampaign stores a campaign with its stream, its clock and one
// visit per selected household, made by one INSERT … SELECT over the
// registry: the households never travel through Go.
func (db *DB) CreateCampaign(ctx context.Context, c *backstop.Campaign, scope backstop.CampaignScope, clk *backstop.Clock) error {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return err
	}
	if err := inScopeAll(u, c.Region); err != nil {
		return err
	}
	now := db.now().UTC()
	c.CreatedBy, c.CreatedAt = u.Name, now
	var conds []string
	var condArgs []any
	for _, it := range c.Cohorts {
		cond, args, err := db.cohortCondition(it.Code, scope.EventID, now)
		if err != nil {
			return err
		}
		conds, condArgs = append(conds, cond), append(condArgs, args...)
	}
	if len(conds) == 0 {
		return backstop.Localized(backstop.EINVALID, "必访规则为空", "The must-visit list has no rule.")
	}
	where := []string{"NOT h.deleted", "(" + strings.Join(conds, " OR ") + ")"}
	from := "households h"
	// The households' part of the statement, once per stretch of village
	// codes: one indexed range each (OR-ed ranges in one statement made
	// SQLite scan the whole registry).
	type part struct {
		from, where string
		args        []any
		region      string // whose villages' cadres the part may need
	}
	var parts []part
	switch {
	case scope.SnapshotID != 0:
		cond, args := "e.snapshot_id = ?", []any{scope.SnapshotID}
		if u.Region != backstop.NationalScope {
			lo, hi := backstop.CodeRange(u.Region)
			cond, args = cond+" AND e.village_code BETWEEN ? AND ?", append(args, lo, hi)
		}
		parts = append(parts, part{"exposure_households e JOIN households h ON h.id = e.household_id", cond, args, c.Region})
	case len(scope.Regions) > 0:
		var ranges, codes []string
		var args []any
		for _, r := range disjointRegions(scope.Regions) {
			switch {
			case u.Region == backstop.NationalScope || backstop.CodeWithin(r, u.Region):
			case backstop.CodeWithin(u.Region, r):
				r = u.Region
			default:
				continue // outside the user's region
			}
			lo, hi := backstop.CodeRange(r)
			ranges, args, codes = append(ranges, "h.village_code BETWEEN ? AND ?"), append(args, lo, hi), append(codes, r)
		}
		// PostgreSQL ORs the ranges' index scans (a bitmap); SQLite scanned
		// the whole registry for OR-ed ranges, so it gets one statement a
		// range.
		if db.dialect == Postgres && len(ranges) > 0 {
			parts = append(parts, part{from, "(" + strings.Join(ranges, " OR ") + ")", args, c.Region})
		} else {
			for i := range ranges {
				parts = append(parts, part{from, ranges[i], args[2*i : 2*i+2], codes[i]})
			}
		}
	default:
		return backstop.Localized(backstop.EINVALID, "排查没有范围：请给出灾害过程、预警或地区", "A campaign needs an event, a warning or a region.")
	}
	cohorts, _ := json.Marshal(c.Cohorts)
	checklist, _ := json.Marshal(c.Checklist)
	policies, _ := json.Marshal(nonNilIDs(c.PolicyIDs))
	var event, warning any
	if c.EventID != 0 {
		event = c.EventID
	}
	if c.WarningID != 0 {
		warning = c.WarningID
	}
	return db.inConnTx(ctx, func(conn *sql.Conn, tx *sql.Tx) error {
		var err error
		if c.ID, err = db.oneID(ctx, tx, "campaigns"); err != nil {
			return err
		}
		if c.StreamID, err = db.oneID(ctx, tx, "streams"); err != nil {
			return err
		}
		if err := db.createStream(ctx, tx, c.StreamID, backstop.StreamCampaign, c.ID, backstop.StreamDone, c.LinksExpire, now); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, db.q(`INSERT INTO campaigns (id, kind, title, event_id, warning_id, region_code, period_from, period_to, stream_id, cohorts, checklist,
 due_workdays, due_at, due_date, provisional, policy_ids, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
			c.ID, string(c.Kind), c.Title, event, warning, c.Region, c.PeriodFrom, c.PeriodTo, c.StreamID, string(cohorts), string(checklist),
			c.DueWorkdays, c.Due.UTC(), c.DueDate, c.Provisional, string(policies), u.Name, now); err != nil {
			return err
		}
		if clk != nil {
			clk.Subject, clk.Region = fmt.Sprintf("campaign:%d", c.ID), c.Region
			if err := db.insertClock(ctx, tx, clk); err != nil {
				return err
			}
		}
		payload, _ := json.Marshal(backstop.VisitPayload{Campaign: c.ID, CampaignKind: c.Kind, EventID: c.EventID})
		// Whoever visits: the household's helper, else the village's first
		// cadre with a phone, picked here and joined as a VALUES list (a
		// correlated subquery over contacts was planned as a nested loop
		// over every cadre for every household).
		c.Visits = 0
		for _, p := range parts {
			cadres, cadreArgs, err := db.villageCadres(ctx, tx, p.region)
			if err != nil {
				return err
			}
			q := `INSERT INTO field_tasks (kind, stream_id, household_id, person_name, phone, groups, village_code, assignee, assignee_phone, due_at, payload)
 SELECT ?, ?, h.id, h.head_name, h.phone, h.groups, h.village_code,
 CASE WHEN h.helper_phone <> '' THEN h.helper_name ELSE COALESCE(k.name, '') END,
 CASE WHEN h.helper_phone <> '' THEN h.helper_phone ELSE COALESCE(k.phone, '') END, ?, ?
 FROM ` + p.from + ` LEFT JOIN (` + cadres + `) k ON k.region_code = h.village_code WHERE ` + p.where + ` AND ` + strings.Join(where, " AND ")
			args := []any{string(backstop.TaskVisit), c.StreamID, c.Due.UTC(), string(payload)}
			args = append(args, cadreArgs...)
			args = append(args, p.args...)
			args = append(args, condArgs...)
			res, err := tx.ExecContext(ctx, db.q(q), args...)
			if err != nil {
				return err
			}
			n, _ := res.RowsAffected()
			c.Visits += int(n)
		}
		if _, err := tx.ExecContext(ctx, db.q(`UPDATE campaigns SET visits = ? WHERE id = ?`), c.Visits, c.ID); err != nil {
			return err
		}
		return db.audit(ctx, tx, "campaign.create", "campaign", fmt.Sprint(c.ID), fmt.Sprintf("%s %q in %s: %d visits due %s", c.Kind, c.Title, c.Region, c.Visits, c.DueDate))
	})
}

// villageCadres is the first cadre with a phone of each village in the
// region, as a derived table (region_code, name, phone) with its
// arguments: a VALUES list picked here, or past maxCadres villages (a
// province; the statement's parameters are bounded) the correlated form.
func (db *DB) villageCadres(ctx context.Context, tx *sql.Tx, region string) (string, []any, error) {
	lo, hi := backstop.CodeRange(region)
	if region == backstop.NationalScope {
		lo, hi = "000000000000", "999999999999"
	}
	rows, err := tx.QueryContext(ctx, db.q(`SELECT region_code, name, phone FROM contacts WHERE kind = ? AND phone <> '' AND region_code BETWEEN ? AND ? ORDER BY region_code, id`),
		backstop.ContactVillageCadre, lo, hi)
	if err != nil {
		return "", nil, err
	}
	defer rows.Close()
	var args []any
	last := ""
	for rows.Next() {
		var code, name, phone string
		if err := rows.Scan(&code, &name, &phone); err != nil {
			return "", nil, err
		}
		if code != last {
			args, last = append(args, code, name, phone), code
		}
	}
	if err := rows.Err(); err != nil {
		return "", nil, err
	}
	const maxCadres = 5000
	switch n := len(args) / 3; {
	case n == 0:
		return `SELECT '' AS region_code, '' AS name, '' AS phone WHERE 1 = 0`, nil, nil
	case n > maxCadres:
		return `SELECT c.region_code, c.name, c.phone FROM contacts c WHERE c.kind = ? AND c.phone <> '' AND c.id = (SELECT min(c2.id) FROM contacts c2
 WHERE c2.region_code = c.region_code AND c2.kind = ? AND c2.phone <> '')`, []any{backstop.ContactVillageCadre, backstop.ContactVillageCadre}, nil
	default:
		return `SELECT column1 AS region_code, column2 AS name, column3 AS phone FROM (VALUES (?, ?, ?)` + strings.Repeat(", (?, ?, ?)", n-1) + `) AS v`, args, nil
	}
}

// disjointRegions drops the regions inside another of the list, so that
// no household is visited twice.
func disjointRegions(regions []string) []string {
	var out []string
	for i, r := range regions {
		inside := false
		for j, o := range regions {
			if i != j && backstop.CodeWithin(r, o) && (r != o || j < i) {
				inside = true
				break
			}
		}
		if !inside {
			out = append(out, r)
		}
	}
	return out
}

// visibleRegion tells whether a user's region and an object's overlap.
func visibleRegion(u *backstop.User, region string) bool {
	return u.Region == backstop.NationalScope || backstop.CodeWithin(region, u.Region) || backstop.CodeWithin(u.Region, region)
}

// FindCampaign returns a campaign the user's region overlaps.
func (db *DB) FindCampaign(ctx context.Context, id int64) (*backstop.Campaign, error) {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return nil, err
	}
	c, err := scanCampaign(db.read.QueryRowContext(ctx, db.q(`SELECT `+campaignColumns+` FROM campaigns WHERE id = ?`), id))
	if err == sql.ErrNoRows || (err == nil && !visibleRegion(u, c.Region)) {
		return nil, backstop.Localized(backstop.ENOTFOUND, "找不到排查%d", "Campaign %d not found.", id)
	}
	return c, db.translate(err)
}

// FindCampaigns lists campaigns the user's region overlaps, newest first.
func (db *DB) FindCampaigns(ctx context.Context, f backstop.CampaignFilter) ([]*backstop.Campaign, int, error) {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return nil, 0, err
	}
	q, args := `SELECT `+campaignColumns+` FROM campaigns`, []any{}
	if f.EventID != 0 {
		q, args = q+` WHERE event_id = ?`, append(args, f.EventID)
	}
	rows, err := db.read.QueryContext(ctx, db.q(q+` ORDER BY id DESC`), args...)
	if err != nil {
		return nil, 0, db.translate(err)
	}
	defer rows.Close()
	var all []*backstop.Campaign
	for rows.Next() {
		c, err := scanCampaign(rows)
		if err != nil {
			return nil, 0, err
		}
		if visibleRegion(u, c.Region) {
			all = append(all, c)
		}
	}
	if f.Limit <= 0 || f.Limit > MaxPageSize {
		f.Limit = 100
	}
	out := []*backstop.Campaign{}
	if f.Offset < len(all) {
		out = all[f.Offset:min(len(all), f.Offset+f.Limit)]
	}
	return out, len(all), rows.Err()
}

// CampaignProgress counts a campaign's visits in the user's region by
// village, and sums them by township.
func (db *DB) CampaignProgress(ctx context.Context, id int64, now time.Time) (*backstop.CampaignProgress, error) {
	c, err := db.FindCampaign(ctx, id)
	if err != nil {
		return nil, err
	}
	u, _ := backstop.RequireUser(ctx)
	cond, args := "t.stream_id = ?", []any{c.StreamID}
	if u.Region != backstop.NationalScope {
		lo, hi := backstop.CodeRange(u.Region)
		cond, args = cond+" AND t.village_code BETWEEN ? AND ?", append(args, lo, hi)
	}
	rows, err := db.read.QueryContext(ctx, db.q(`SELECT t.village_code, count(*),
 SUM(CASE WHEN t.outcome = ? THEN 1 ELSE 0 END), SUM(CASE WHEN t.outcome = ? THEN 1 ELSE 0 END),
 SUM(CASE WHEN t.outcome IN ('', ?) AND t.due_at <= ? THEN 1 ELSE 0 END), SUM(CASE WHEN t.escalation > 0 THEN 1 ELSE 0 END)
 FROM field_tasks t WHERE `+cond+` GROUP BY t.village_code ORDER BY t.village_code`), append([]any{backstop.VisitDone, backstop.VisitNotHome, backstop.VisitNotHome, now.UTC()}, args...)...)
	if err != nil {
		return nil, db.translate(err)
	}
	defer rows.Close()
	p := &backstop.CampaignProgress{Villages: []backstop.RegionProgress{}, Townships: []backstop.RegionProgress{}}
	townships := map[string]*backstop.RegionProgress{}
	var codes []string
	for rows.Next() {
		var v backstop.RegionProgress
		var notHome, escalated int
		if err := rows.Scan(&v.Code, &v.Visits, &v.Done, &notHome, &v.Overdue, &escalated); err != nil {
			return nil, err
		}
		p.Villages = append(p.Villages, v)
		p.Visits += v.Visits
		p.Done += v.Done
		p.NotHome += notHome
		p.Overdue += v.Overdue
		p.Escalated += escalated
		town := v.Code[:9] + "000"
		tp := townships[town]
		if tp == nil {
			tp = &backstop.RegionProgress{Code: town}
			townships[town] = tp
			codes = append(codes, town)
		}
		tp.Visits += v.Visits
		tp.Done += v.Done
		tp.Overdue += v.Overdue
		codes = append(codes, v.Code)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	p.Open = p.Visits - p.Done
	names, err := db.namesOf(ctx, codes)
	if err != nil {
		return nil, err
	}
	for i := range p.Villages {
		p.Villages[i].Name = names[p.Villages[i].Code]
	}
	for code, tp := range townships {
		tp.Name = names[code]
		p.Townships = append(p.Townships, *tp)
	}
	sort.Slice(p.Townships, func(i, j int) bool { return p.Townships[i].Code < p.Townships[j].Code })
	return p, nil
}

// finishVisitTx records a visit's outcome in tx by compare-and-set on an
// open (or not-home) visit task in the user's region.
func (db *DB) finishVisitTx(ctx context.Context, tx *sql.Tx, u *backstop.User, taskID int64, outcome, note string, report int64, by string, now time.Time) (*backstop.FieldTask, error) {
	t, err := scanTask(tx.QueryRowContext(ctx, db.q(taskSelect+` WHERE t.id = ?`), taskID))
	if err == sql.ErrNoRows || (err == nil && (!u.InScope(t.VillageCode) || t.Kind != backstop.TaskVisit)) {
		return nil, backstop.Localized(backstop.ENOTFOUND, "找不到走访任务%d", "Visit %d not found.", taskID)
	} else if err != nil {
		return nil, err
	}
	if t.Visit == nil {
		t.Visit = &backstop.VisitPayload{}
	}
	if report != 0 {
		t.Visit.LossReport = report
	}
	payload, _ := json.Marshal(t.Visit)
	res, err := tx.ExecContext(ctx, db.q(`UPDATE field_tasks SET outcome = ?, note = ?, confirmed_by = ?, confirmed_at = ?, payload = ? WHERE id = ? AND outcome IN ('', ?)`),
		outcome, note, by, now, string(payload), taskID, backstop.VisitNotHome)
	if err != nil {
		return nil, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil, backstop.Localized(backstop.ECONFLICT, "走访任务%d已由%s完成", "Visit %d was done by %s already.", taskID, t.ConfirmedBy)
	}
	t.Outcome, t.Note, t.ConfirmedBy, t.ConfirmedAt = outcome, note, by, &now
	if err := db.audit(ctx, tx, "visit.finish", "task", fmt.Sprint(taskID), fmt.Sprintf("stream %d, household %s: %s by %s, report %d", t.StreamID, t.HouseholdNumber, outcome, by, report)); err != nil {
		return nil, err
	}
	return t, nil
}

// FinishVisit records a visit's outcome.
func (db *DB) FinishVisit(ctx context.Context, taskID int64, outcome, note string, report int64, by string) (*backstop.FieldTask, error) {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return nil, err
	}
	if outcome != backstop.VisitDone && outcome != backstop.VisitNotHome {
		return nil, backstop.Localized(backstop.EINVALID, "走访结果须为 visited（已走访）或 not_home（家中无人），不能是“%s”", "A visit's outcome is visited or not_home, not %q.", outcome)
	}
	if len([]rune(note)) > 500 {
		return nil, backstop.Localized(backstop.EINVALID, "备注不能超过500字", "The note is longer than 500 characters.")
	}
	if by == "" {
		by = u.Name
	}
	var t *backstop.FieldTask
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		t, err = db.finishVisitTx(ctx, tx, u, taskID, outcome, note, report, by, db.now().UTC())
		return err
	})
	return t, err
}

// CampaignAssignees lists the helpers and cadres with visits in a
// campaign.
func (db *DB) CampaignAssignees(ctx context.Context, id int64) ([]backstop.Assignee, error) {
	var stream int64
	if err := db.read.QueryRowContext(ctx, db.q(`SELECT stream_id FROM campaigns WHERE id = ?`), id).Scan(&stream); err != nil {
		return nil, db.translate(err)
	}
	rows, err := db.read.QueryContext(ctx, db.q(`SELECT assignee_phone, min(assignee), min(village_code), count(*) FROM field_tasks WHERE stream_id = ? AND assignee_phone <> ''
 GROUP BY assignee_phone ORDER BY min(village_code), assignee_phone`), stream)
	if err != nil {
		return nil, db.translate(err)
	}
	defer rows.Close()
	var out []backstop.Assignee
	for rows.Next() {
		var a backstop.Assignee
		if err := rows.Scan(&a.Phone, &a.Name, &a.Village, &a.Tasks); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// FindVisit returns a visit task in the user's region.
func (db *DB) FindVisit(ctx context.Context, taskID int64) (*backstop.FieldTask, error) {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return nil, err
	}
	t, err := scanTask(db.read.QueryRowContext(ctx, db.q(taskSelect+` WHERE t.id = ?`), taskID))
	if err == sql.ErrNoRows || (err == nil && (!u.InScope(t.VillageCode) || t.Kind != backstop.TaskVisit)) {
		return nil, backstop.Localized(backstop.ENOTFOUND, "找不到走访任务%d", "Visit %d not found.", taskID)
	}
	return t, db.translate(err)
}
