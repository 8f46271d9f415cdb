package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/zhangye-backstop/backstop"
)

// Household-level assistance: housing subsidy records, relief grants,
// water records, repairs and supply points. Each row carries its
// household's (or point's) village, and every query is limited to the
// user's region by it.

// assistHousehold finds a household of the user's region by number.
func (db *DB) assistHousehold(ctx context.Context, ex execer, u *backstop.User, number string) (int64, string, error) {
	var id int64
	var village string
	err := ex.QueryRowContext(ctx, db.q(`SELECT id, village_code FROM households WHERE number = ? AND NOT deleted`), number).Scan(&id, &village)
	if err == sql.ErrNoRows || (err == nil && !u.InScope(village)) {
		return 0, "", backstop.Localized(backstop.ENOTFOUND, "找不到户编号为%s的农户", "Household %s not found.", number)
	}
	return id, village, db.translate(err)
}

// CreateSubsidyRecord appends an only-dwelling confirmation of a
// household of the user's region (disbursements: PayHousingSubsidy).
func (db *DB) CreateSubsidyRecord(ctx context.Context, r *backstop.SubsidyRecord) error {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return err
	}
	r.Kind, r.RecordedBy, r.RecordedAt = backstop.SubsidyOnlyDwelling, u.Name, db.now().UTC()
	return db.inTx(ctx, func(tx *sql.Tx) error {
		if r.HouseholdID, r.VillageCode, err = db.assistHousehold(ctx, tx, u, r.Household); err != nil {
			return err
		}
		err := tx.QueryRowContext(ctx, db.q(`INSERT INTO housing_subsidy_records (kind, household_id, village_code, loss_report_id, only_dwelling, amount, paid_on, paid_by, policy_ids, note, recorded_by, recorded_at)
 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`), r.Kind, r.HouseholdID, r.VillageCode, r.LossReportID, r.OnlyDwelling, r.Amount, r.PaidOn, r.PaidBy, mustJSON(r.PolicyIDs), r.Note, r.RecordedBy, r.RecordedAt).Scan(&r.ID)
		if err != nil {
			return err
		}
		return db.auditIn(ctx, tx, r.VillageCode, "assist.only_dwelling", "housing_subsidy", fmt.Sprint(r.ID), fmt.Sprintf("%s only_dwelling=%t", r.Household, r.OnlyDwelling))
	})
}

// disbursedSubsidy sums what was paid on a loss report's subsidy.
func (db *DB) disbursedSubsidy(ctx context.Context, ex execer, householdID, reportID int64) (int64, error) {
	var paid int64
	err := ex.QueryRowContext(ctx, db.q(`SELECT COALESCE(SUM(amount), 0) FROM housing_subsidy_records WHERE household_id = ? AND kind = ? AND loss_report_id = ?`),
		householdID, backstop.SubsidyDisbursement, reportID).Scan(&paid)
	return paid, err
}

// PayHousingSubsidy appends a disbursement unless it would pay more than
// limit in total on the report (checked in the transaction).
func (db *DB) PayHousingSubsidy(ctx context.Context, r *backstop.SubsidyRecord, limit int64) error {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return err
	}
	r.Kind, r.RecordedBy, r.RecordedAt = backstop.SubsidyDisbursement, u.Name, db.now().UTC()
	return db.inTx(ctx, func(tx *sql.Tx) error {
		if r.HouseholdID, r.VillageCode, err = db.assistHousehold(ctx, tx, u, r.Household); err != nil {
			return err
		}
		// Two payments at once: the second reads what the first paid.
		if err := db.lockRow(ctx, tx, "households", r.HouseholdID); err != nil {
			return err
		}
		paid, err := db.disbursedSubsidy(ctx, tx, r.HouseholdID, r.LossReportID)
		if err != nil {
			return err
		}
		if paid+r.Amount > limit {
			return &backstop.Error{Code: backstop.ECONFLICT, Message: fmt.Sprintf("amount: %d yuan paid already; %d more would exceed the subsidy of %d yuan.", paid, r.Amount, limit),
				ZH:      fmt.Sprintf("已发放%d元，再发放%d元将超过核定补助%d元（amount）", paid, r.Amount, limit),
				Details: []backstop.Problem{{Path: "amount", Reason: fmt.Sprintf("at most %d yuan", limit-paid), ReasonZH: fmt.Sprintf("最多还可发放%d元", limit-paid)}}}
		}
		err = tx.QueryRowContext(ctx, db.q(`INSERT INTO housing_subsidy_records (kind, household_id, village_code, loss_report_id, only_dwelling, amount, paid_on, paid_by, policy_ids, note, recorded_by, recorded_at)
 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`), r.Kind, r.HouseholdID, r.VillageCode, r.LossReportID, false, r.Amount, r.PaidOn, r.PaidBy, mustJSON(r.PolicyIDs), r.Note, r.RecordedBy, r.RecordedAt).Scan(&r.ID)
		if err != nil {
			return err
		}
		return db.auditIn(ctx, tx, r.VillageCode, "assist.disbursement", "housing_subsidy", fmt.Sprint(r.ID), fmt.Sprintf("%s %d元 %s", r.Household, r.Amount, r.PaidOn))
	})
}

// FindSubsidyRecords lists a household's subsidy records, oldest first.
func (db *DB) FindSubsidyRecords(ctx context.Context, household string) ([]*backstop.SubsidyRecord, error) {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return nil, err
	}
	hid, _, err := db.assistHousehold(ctx, db.read, u, household)
	if err != nil {
		return nil, err
	}
	rows, err := db.read.QueryContext(ctx, db.q(`SELECT id, kind, village_code, loss_report_id, only_dwelling, amount, paid_on, paid_by, policy_ids, note, recorded_by, recorded_at
 FROM housing_subsidy_records WHERE household_id = ? ORDER BY id`), hid)
	if err != nil {
		return nil, db.translate(err)
	}
	defer rows.Close()
	out := []*backstop.SubsidyRecord{}
	for rows.Next() {
		r := &backstop.SubsidyRecord{Household: household, HouseholdID: hid}
		var ids string
		if err := rows.Scan(&r.ID, &r.Kind, &r.VillageCode, &r.LossReportID, &r.OnlyDwelling, &r.Amount, &r.PaidOn, &r.PaidBy, &ids, &r.Note, &r.RecordedBy, &r.RecordedAt); err != nil {
			return nil, err
		}
		json.Unmarshal([]byte(ids), &r.PolicyIDs)
		out = append(out, r)
	}
	return out, db.translate(rows.Err())
}

// CreateRelief records a grant to a household of the user's region.
func (db *DB) CreateRelief(ctx context.Context, g *backstop.ReliefGrant) error {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return err
	}
	g.RecordedBy, g.RecordedAt = u.Name, db.now().UTC()
	if g.KeyGroups == nil {
		g.KeyGroups = []string{}
	}
	return db.inTx(ctx, func(tx *sql.Tx) error {
		if g.HouseholdID, g.VillageCode, err = db.assistHousehold(ctx, tx, u, g.Household); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, db.q(`INSERT INTO relief_grants (household_id, village_code, kind, amount, granted_on, event_id, key_groups, note, recorded_by, recorded_at)
 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`), g.HouseholdID, g.VillageCode, g.Kind, g.Amount, g.GrantedOn, g.EventID, mustJSON(g.KeyGroups), g.Note, g.RecordedBy, g.RecordedAt).Scan(&g.ID); err != nil {
			return err
		}
		return db.auditIn(ctx, tx, g.VillageCode, "assist.relief", "relief_grant", fmt.Sprint(g.ID), fmt.Sprintf("%s %s %g元 %s", g.Household, g.Kind, g.Amount, g.GrantedOn))
	})
}

// FindRelief pages grants of the user's region: a household's or a
// region's, newest first.
func (db *DB) FindRelief(ctx context.Context, household, region string, offset, limit int) ([]*backstop.ReliefGrant, int, error) {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return nil, 0, err
	}
	scope, args := scopeWhere(u, "g.village_code")
	within, wargs, err := regionWithin(region, "g.village_code")
	if err != nil {
		return nil, 0, err
	}
	conds := []string{scope, within}
	args = append(args, wargs...)
	if household != "" {
		conds, args = append(conds, "h.number = ?"), append(args, household)
	}
	from := ` FROM relief_grants g JOIN households h ON h.id = g.household_id` + where(conds...)
	var total int
	if err := db.read.QueryRowContext(ctx, db.q(`SELECT count(*)`+from), args...).Scan(&total); err != nil {
		return nil, 0, db.translate(err)
	}
	rows, err := db.read.QueryContext(ctx, db.q(`SELECT g.id, h.number, g.household_id, g.village_code, g.kind, g.amount, g.granted_on, g.event_id, g.key_groups, g.note, g.recorded_by, g.recorded_at`+from+
		` ORDER BY g.granted_on DESC, g.id DESC LIMIT ? OFFSET ?`), append(args, pageLimit(limit), offset)...)
	if err != nil {
		return nil, 0, db.translate(err)
	}
	defer rows.Close()
	out := []*backstop.ReliefGrant{}
	for rows.Next() {
		var g backstop.ReliefGrant
		var groups string
		if err := rows.Scan(&g.ID, &g.Household, &g.HouseholdID, &g.VillageCode, &g.Kind, &g.Amount, &g.GrantedOn, &g.EventID, &groups, &g.Note, &g.RecordedBy, &g.RecordedAt); err != nil {
			return nil, 0, err
		}
		json.Unmarshal([]byte(groups), &g.KeyGroups)
		out = append(out, &g)
	}
	return out, total, db.translate(rows.Err())
}

// ReliefIncome sums a household's relief granted on or after since.
func (db *DB) ReliefIncome(ctx context.Context, householdID int64, since string) (float64, []int64, error) {
	if _, err := backstop.RequireUser(ctx); err != nil {
		return 0, nil, err
	}
	rows, err := db.read.QueryContext(ctx, db.q(`SELECT id, amount FROM relief_grants WHERE household_id = ? AND granted_on >= ? ORDER BY id`), householdID, since)
	if err != nil {
		return 0, nil, db.translate(err)
	}
	defer rows.Close()
	var sum float64
	var ids []int64
	for rows.Next() {
		var id int64
		var a float64
		if err := rows.Scan(&id, &a); err != nil {
			return 0, nil, err
		}
		sum, ids = sum+a, append(ids, id)
	}
	return sum, ids, db.translate(rows.Err())
}

// CreateWaterRecord appends a quality test or a re-check.
func (db *DB) CreateWaterRecord(ctx context.Context, r *backstop.WaterRecord) error {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return err
	}
	r.RecordedBy, r.RecordedAt = u.Name, db.now().UTC()
	if r.Failures == nil {
		r.Failures = []string{}
	}
	return db.inTx(ctx, func(tx *sql.Tx) error {
		if r.HouseholdID, r.VillageCode, err = db.assistHousehold(ctx, tx, u, r.Household); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, db.q(`INSERT INTO water_records (kind, household_id, village_code, on_date, lab, pass, water, failures, policy_id, note, recorded_by, recorded_at)
 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`), r.Kind, r.HouseholdID, r.VillageCode, r.On, r.Lab, r.Pass, mustJSON(r.Water), mustJSON(r.Failures), r.PolicyID, r.Note, r.RecordedBy, r.RecordedAt).Scan(&r.ID); err != nil {
			return err
		}
		return db.auditIn(ctx, tx, r.VillageCode, "assist.water_"+r.Kind, "water_record", fmt.Sprint(r.ID), fmt.Sprintf("%s %s pass=%t", r.Household, r.On, r.Pass))
	})
}

// FindWaterRecords lists a household's water records, newest first.
func (db *DB) FindWaterRecords(ctx context.Context, household string) ([]*backstop.WaterRecord, error) {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return nil, err
	}
	hid, _, err := db.assistHousehold(ctx, db.read, u, household)
	if err != nil {
		return nil, err
	}
	rows, err := db.read.QueryContext(ctx, db.q(`SELECT id, kind, village_code, on_date, lab, pass, water, failures, policy_id, note, recorded_by, recorded_at
 FROM water_records WHERE household_id = ? ORDER BY on_date DESC, id DESC LIMIT 200`), hid)
	if err != nil {
		return nil, db.translate(err)
	}
	defer rows.Close()
	out := []*backstop.WaterRecord{}
	for rows.Next() {
		r := &backstop.WaterRecord{Household: household, HouseholdID: hid}
		var water, failures string
		if err := rows.Scan(&r.ID, &r.Kind, &r.VillageCode, &r.On, &r.Lab, &r.Pass, &water, &failures, &r.PolicyID, &r.Note, &r.RecordedBy, &r.RecordedAt); err != nil {
			return nil, err
		}
		json.Unmarshal([]byte(water), &r.Water)
		json.Unmarshal([]byte(failures), &r.Failures)
		out = append(out, r)
	}
	return out, db.translate(rows.Err())
}

const repairColumns = `r.id, h.number, r.household_id, r.village_code, r.problem, r.assignee, r.department, r.due_on, r.state, r.done_on, r.note, r.version, r.created_by, r.created_at, r.done_by, r.done_at,
 h.head_name, r.stream_id`

const repairFrom = ` FROM water_repairs r JOIN households h ON h.id = r.household_id`

func scanRepair(sc interface{ Scan(...any) error }) (*backstop.WaterRepair, error) {
	var r backstop.WaterRepair
	var doneAt sql.NullTime
	if err := sc.Scan(&r.ID, &r.Household, &r.HouseholdID, &r.VillageCode, &r.Problem, &r.Assignee, &r.Department, &r.DueOn, &r.State, &r.DoneOn, &r.Note, &r.Version, &r.CreatedBy, &r.CreatedAt, &r.DoneBy, &doneAt,
		&r.HeadName, &r.StreamID); err != nil {
		return nil, err
	}
	if doneAt.Valid {
		t := doneAt.Time
		r.DoneAt = &t
	}
	return &r, nil
}

// CreateWaterRepair opens a repair task of a household's water supply and
// starts its clock, in one transaction. Its escalations go out in the
// household's open case's stream, where the case's own do; a household
// without an open case gets a stream of the repair's.
func (db *DB) CreateWaterRepair(ctx context.Context, r *backstop.WaterRepair, clk *backstop.Clock) error {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return err
	}
	now := db.now().UTC()
	r.CreatedBy, r.CreatedAt, r.State, r.Version = u.Name, now, backstop.RepairOpen, 1
	return db.inTx(ctx, func(tx *sql.Tx) error {
		if r.HouseholdID, r.VillageCode, err = db.assistHousehold(ctx, tx, u, r.Household); err != nil {
			return err
		}
		if r.ID, err = db.oneID(ctx, tx, "water_repairs"); err != nil {
			return err
		}
		err := tx.QueryRowContext(ctx, db.q(`SELECT stream_id FROM cases WHERE household_id = ? AND state IN ('in_procedure', 'active', 'clearing', 'held')`), r.HouseholdID).Scan(&r.StreamID)
		if err == sql.ErrNoRows || (err == nil && r.StreamID == 0) {
			if r.StreamID, err = db.oneID(ctx, tx, "streams"); err != nil {
				return err
			}
			err = db.createStream(ctx, tx, r.StreamID, backstop.StreamWaterRepair, r.ID, backstop.StreamDone, time.Time{}, now)
		}
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, db.q(`INSERT INTO water_repairs (id, household_id, village_code, problem, assignee, department, due_on, state, note, version, created_by, created_at, stream_id)
 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`), r.ID, r.HouseholdID, r.VillageCode, r.Problem, r.Assignee, r.Department, r.DueOn, r.State, r.Note, r.Version, r.CreatedBy, r.CreatedAt, r.StreamID); err != nil {
			return err
		}
		if clk != nil {
			clk.Kind, clk.Subject, clk.Region = backstop.ClockWaterRepair, repairSubject(r.ID), r.VillageCode
			if err := db.insertClock(ctx, tx, clk); err != nil {
				return err
			}
		}
		return db.auditIn(ctx, tx, r.VillageCode, "assist.water_repair", "water_repair", fmt.Sprint(r.ID), fmt.Sprintf("%s %s due %s", r.Household, r.Assignee, r.DueOn))
	})
}

// repairSubject is a water repair's clock subject.
func repairSubject(id int64) string { return fmt.Sprintf("water_repair:%d", id) }

// FindWaterRepair reads a repair of the user's region.
func (db *DB) FindWaterRepair(ctx context.Context, id int64) (*backstop.WaterRepair, error) {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return nil, err
	}
	scope, args := scopeWhere(u, "r.village_code")
	r, err := scanRepair(db.read.QueryRowContext(ctx, db.q(`SELECT `+repairColumns+repairFrom+where("r.id = ?", scope)), append([]any{id}, args...)...))
	if err == sql.ErrNoRows {
		return nil, backstop.Localized(backstop.ENOTFOUND, "找不到编号为%d的饮水维修任务", "Water repair %d not found.", id)
	} else if err != nil {
		return nil, db.translate(err)
	}
	r.Overdue = r.State == backstop.RepairOpen && r.DueOn < db.now().In(backstop.Beijing).Format(time.DateOnly)
	return r, nil
}

// FinishWaterRepair marks an open repair of the user's region done by
// compare-and-set on its version, and meets its clock.
func (db *DB) FinishWaterRepair(ctx context.Context, id int64, version int, doneOn, note string) (*backstop.WaterRepair, error) {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return nil, err
	}
	var out *backstop.WaterRepair
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		scope, args := scopeWhere(u, "r.village_code")
		r, err := scanRepair(tx.QueryRowContext(ctx, db.q(`SELECT `+repairColumns+repairFrom+where("r.id = ?", scope)), append([]any{id}, args...)...))
		if err == sql.ErrNoRows {
			return backstop.Localized(backstop.ENOTFOUND, "找不到编号为%d的饮水维修任务", "Water repair %d not found.", id)
		} else if err != nil {
			return err
		}
		if r.State != backstop.RepairOpen {
			return backstop.Localized(backstop.ECONFLICT, "饮水维修任务%d已完成", "Water repair %d is done already.", id)
		}
		now := db.now().UTC()
		res, err := tx.ExecContext(ctx, db.q(`UPDATE water_repairs SET state = ?, done_on = ?, note = ?, done_by = ?, done_at = ?, version = version + 1 WHERE id = ? AND version = ?`),
			backstop.RepairDone, doneOn, note, u.Name, now, id, version)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return backstop.Localized(backstop.ECONFLICT, "饮水维修任务%d已被他人修改，请刷新后再试", "Water repair %d changed meanwhile: reload and try again.", id)
		}
		if err := db.stopClockTx(ctx, tx, backstop.ClockWaterRepair, repairSubject(id), backstop.ClockMet, now); err != nil {
			return err
		}
		r.State, r.DoneOn, r.Note, r.DoneBy, r.DoneAt, r.Version = backstop.RepairDone, doneOn, note, u.Name, &now, r.Version+1
		out = r
		return db.auditIn(ctx, tx, r.VillageCode, "assist.water_repair_done", "water_repair", fmt.Sprint(id), fmt.Sprintf("%s %s", r.Household, doneOn))
	})
	return out, err
}

// FindWaterRepairs pages repairs of the user's region.
func (db *DB) FindWaterRepairs(ctx context.Context, household, region string, open bool, offset, limit int) ([]*backstop.WaterRepair, int, error) {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return nil, 0, err
	}
	scope, args := scopeWhere(u, "r.village_code")
	within, wargs, err := regionWithin(region, "r.village_code")
	if err != nil {
		return nil, 0, err
	}
	conds := []string{scope, within}
	args = append(args, wargs...)
	if household != "" {
		conds, args = append(conds, "h.number = ?"), append(args, household)
	}
	if open {
		conds, args = append(conds, "r.state = ?"), append(args, backstop.RepairOpen)
	}
	from := repairFrom + where(conds...)
	var total int
	if err := db.read.QueryRowContext(ctx, db.q(`SELECT count(*)`+from), args...).Scan(&total); err != nil {
		return nil, 0, db.translate(err)
	}
	rows, err := db.read.QueryContext(ctx, db.q(`SELECT `+repairColumns+from+` ORDER BY r.state DESC, r.due_on, r.id LIMIT ? OFFSET ?`), append(args, pageLimit(limit), offset)...)
	if err != nil {
		return nil, 0, db.translate(err)
	}
	defer rows.Close()
	out := []*backstop.WaterRepair{}
	today := db.now().In(backstop.Beijing).Format(time.DateOnly)
	for rows.Next() {
		r, err := scanRepair(rows)
		if err != nil {
			return nil, 0, err
		}
		r.Overdue = r.State == backstop.RepairOpen && r.DueOn < today
		out = append(out, r)
	}
	return out, total, db.translate(rows.Err())
}

// CreateSupplyPoint stores an emergency supply point of a village in the
// user's region.
func (db *DB) CreateSupplyPoint(ctx context.Context, p *backstop.SupplyPoint) error {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return err
	}
	if err := writableBy(u, p.VillageCode); err != nil {
		return err
	}
	p.CreatedBy, p.CreatedAt = u.Name, db.now().UTC()
	return db.inTx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, db.q(`INSERT INTO water_supply_points (village_code, name, lon, lat, households, note, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
			p.VillageCode, p.Name, p.Location.Lon, p.Location.Lat, p.Households, p.Note, p.CreatedBy, p.CreatedAt).Scan(&p.ID); err != nil {
			return err
		}
		return db.auditIn(ctx, tx, p.VillageCode, "assist.supply_point", "water_supply_point", fmt.Sprint(p.ID), fmt.Sprintf("%s %d户", p.Name, p.Households))
	})
}

// FindSupplyPoints pages the supply points of the user's region.
func (db *DB) FindSupplyPoints(ctx context.Context, region string, offset, limit int) ([]*backstop.SupplyPoint, int, error) {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return nil, 0, err
	}
	scope, args := scopeWhere(u, "village_code")
	within, wargs, err := regionWithin(region, "village_code")
	if err != nil {
		return nil, 0, err
	}
	args = append(args, wargs...)
	w := where(scope, within)
	var total int
	if err := db.read.QueryRowContext(ctx, db.q(`SELECT count(*) FROM water_supply_points`+w), args...).Scan(&total); err != nil {
		return nil, 0, db.translate(err)
	}
	rows, err := db.read.QueryContext(ctx, db.q(`SELECT id, village_code, name, lon, lat, households, note, created_by, created_at FROM water_supply_points`+w+` ORDER BY village_code, id LIMIT ? OFFSET ?`),
		append(args, pageLimit(limit), offset)...)
	if err != nil {
		return nil, 0, db.translate(err)
	}
	defer rows.Close()
	out := []*backstop.SupplyPoint{}
	for rows.Next() {
		var p backstop.SupplyPoint
		if err := rows.Scan(&p.ID, &p.VillageCode, &p.Name, &p.Location.Lon, &p.Location.Lat, &p.Households, &p.Note, &p.CreatedBy, &p.CreatedAt); err != nil {
			return nil, 0, err
		}
		out = append(out, &p)
	}
	return out, total, db.translate(rows.Err())
}
