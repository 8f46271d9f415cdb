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

const lossColumns = `l.id, l.household_id, h.number, l.village_code, l.event_id, l.campaign_id, l.task_id, l.chain, l.version, l.is_current, l.house_damage, l.house_rooms, l.house_loss,
 l.water_litres, l.water_quality_ok, l.water_trip_min, l.water_outage_days, l.production_note, l.production_loss, l.crop_area_mu, l.crop_loss_pct, l.crop_loss,
 l.livestock_head, l.livestock_loss, l.wage_loss, l.claims, l.relief, l.medical_paid, l.school_cost, l.uninsured_members, l.relocated, l.relief_needed, l.food_clothing_ok,
 l.checklist, l.note, l.lon, l.lat, l.state, l.reported_by, l.reported_at, l.verified_by, l.verified_at`

const lossFrom = ` FROM loss_reports l JOIN households h ON h.id = l.household_id`

func floatPtr(n sql.NullFloat64) *float64 {
	if !n.Valid {
		return nil
	}
	v := n.Float64
	return &v
}

func scanLoss(sc interface{ Scan(...any) error }, lead ...any) (*backstop.LossReport, error) {
	var r backstop.LossReport
	var damage, checklist string
	var litres, trip, outage, lon, lat sql.NullFloat64
	var quality, food sql.NullBool
	var verified sql.NullTime
	dst := append(lead, &r.ID, &r.HouseholdID, &r.HouseholdNumber, &r.VillageCode, &r.EventID, &r.CampaignID, &r.TaskID, &r.Chain, &r.Version, &r.Current, &damage, &r.HouseRooms, &r.HouseLoss,
		&litres, &quality, &trip, &outage, &r.ProductionNote, &r.ProductionLoss, &r.CropAreaMu, &r.CropLossPct, &r.CropLoss,
		&r.LivestockHead, &r.LivestockLoss, &r.WageLoss, &r.Claims, &r.Relief, &r.MedicalPaid, &r.SchoolCost, &r.UninsuredMembers, &r.Relocated, &r.ReliefNeeded, &food,
		&checklist, &r.Note, &lon, &lat, &r.State, &r.ReportedBy, &r.ReportedAt, &r.VerifiedBy, &verified)
	if err := sc.Scan(dst...); err != nil {
		return nil, err
	}
	r.HouseDamage = backstop.HouseDamage(damage)
	r.Water = backstop.WaterCheck{LitresPerPersonDay: floatPtr(litres), QualityOK: boolPtr(quality), TripMinutes: floatPtr(trip), OutageDays: floatPtr(outage)}
	r.FoodClothingOK = boolPtr(food)
	if checklist != "" && checklist != "{}" {
		json.Unmarshal([]byte(checklist), &r.Checklist)
	}
	if lon.Valid && lat.Valid {
		r.Location = &backstop.Point{Lon: lon.Float64, Lat: lat.Float64}
	}
	r.VerifiedAt = timePtr(verified)
	return &r, nil
}

func nullable[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}

// householdInScope finds a live household of the user's region by number:
// outside the region it is not found, as for any read.
func (db *DB) householdInScope(ctx context.Context, ex execer, u *backstop.User, number string) (int64, string, error) {
	id, village, _, err := db.householdPeople(ctx, ex, u, number)
	return id, village, err
}

// householdPeople also says how many people the household has: its
// declared size or the members held, at least one.
func (db *DB) householdPeople(ctx context.Context, ex execer, u *backstop.User, number string) (int64, string, int, error) {
	var id int64
	var village string
	var size, people int
	err := ex.QueryRowContext(ctx, db.q(`SELECT id, village_code, size, people FROM households WHERE number = ? AND NOT deleted`), number).Scan(&id, &village, &size, &people)
	if err == sql.ErrNoRows || (err == nil && !u.InScope(village)) {
		return 0, "", 0, backstop.Localized(backstop.ENOTFOUND, "找不到户编号为%s的农户", "Household %s not found.", number)
	}
	return id, village, max(size, people, 1), err
}

// insertAssessment makes a the household's current assessment in tx.
func (db *DB) insertAssessment(ctx context.Context, tx *sql.Tx, householdID int64, a *backstop.Assessment) error {
	if _, err := tx.ExecContext(ctx, db.q(`UPDATE assessments SET is_current = ? WHERE household_id = ? AND is_current`), false, householdID); err != nil {
		return err
	}
	a.Current = true
	data, _ := json.Marshal(a)
	err := tx.QueryRowContext(ctx, db.q(`INSERT INTO assessments (household_id, village_code, loss_report_id, event_id, at_risk, score, is_current, report_date, data, assessed_at)
 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`), householdID, a.VillageCode, a.LossReportID, a.EventID, a.AtRisk, a.Score, true, a.ReportDate, string(data), a.AssessedAt.UTC()).Scan(&a.ID)
	return err
}

// CreateLossReport stores a first version or a correction with its
// assessment (and finishes its visit) in one transaction.
func (db *DB) CreateLossReport(ctx context.Context, r *backstop.LossReport, a *backstop.Assessment) error {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return err
	}
	now := db.now().UTC()
	r.ReportedBy, r.ReportedAt, r.State, r.Current = u.Name, now, backstop.LossSubmitted, true
	return db.inTx(ctx, func(tx *sql.Tx) error {
		hid, village, people, err := db.householdPeople(ctx, tx, u, r.HouseholdNumber)
		if err != nil {
			return err
		}
		r.HouseholdID, r.VillageCode = hid, village
		if r.Corrects != 0 {
			var version int
			var owner int64
			err := tx.QueryRowContext(ctx, db.q(`SELECT chain, version, household_id FROM loss_reports WHERE id = ?`), r.Corrects).Scan(&r.Chain, &version, &owner)
			if err == sql.ErrNoRows || (err == nil && owner != hid) {
				return backstop.Localized(backstop.ENOTFOUND, "户%[2]s没有编号为%[1]d的灾损报告", "Loss report %d is not household %s's.", r.Corrects, r.HouseholdNumber)
			} else if err != nil {
				return err
			}
			res, err := tx.ExecContext(ctx, db.q(`UPDATE loss_reports SET is_current = ? WHERE id = ? AND is_current`), false, r.Corrects)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return backstop.Localized(backstop.ECONFLICT, "灾损报告%d已有更正版本，请在最新版本上更正", "Loss report %d was corrected already: correct the newest version.", r.Corrects)
			}
			r.Version = version + 1
		} else {
			if r.EventID != 0 {
				var chain int64
				err := tx.QueryRowContext(ctx, db.q(`SELECT chain FROM loss_reports WHERE household_id = ? AND event_id = ? AND is_current`), hid, r.EventID).Scan(&chain)
				if err == nil {
					return backstop.Localized(backstop.ECONFLICT, "该户在本次灾害中已有灾损报告（编号%d），请更正该报告", "Loss report %d exists for this household and event already: correct it instead.", chain)
				} else if err != sql.ErrNoRows {
					return err
				}
			}
			r.Version = 1
		}
		if r.ID, err = db.oneID(ctx, tx, "loss_reports"); err != nil {
			return err
		}
		if r.Corrects == 0 {
			r.Chain = r.ID
		}
		checklist, _ := json.Marshal(r.Checklist)
		if r.Checklist == nil {
			checklist = []byte("{}")
		}
		var lon, lat any
		if r.Location != nil {
			lon, lat = r.Location.Lon, r.Location.Lat
		}
		w := r.Water
		if _, err := tx.ExecContext(ctx, db.q(`INSERT INTO loss_reports (id, household_id, village_code, people, event_id, campaign_id, task_id, chain, version, is_current, house_damage, house_rooms,
 house_loss, water_litres, water_quality_ok, water_trip_min, water_outage_days, production_note, production_loss, crop_area_mu, crop_loss_pct, crop_loss, livestock_head, livestock_loss,
 wage_loss, claims, relief, medical_paid, school_cost, uninsured_members, relocated, relief_needed, food_clothing_ok, checklist, note, lon, lat, state, reported_by, reported_at)
 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
			r.ID, hid, village, people, r.EventID, r.CampaignID, r.TaskID, r.Chain, r.Version, true, string(r.HouseDamage), r.HouseRooms,
			r.HouseLoss, nullable(w.LitresPerPersonDay), nullable(w.QualityOK), nullable(w.TripMinutes), nullable(w.OutageDays), r.ProductionNote, r.ProductionLoss, r.CropAreaMu, r.CropLossPct, r.CropLoss,
			r.LivestockHead, r.LivestockLoss, r.WageLoss, r.Claims, r.Relief, r.MedicalPaid, r.SchoolCost, r.UninsuredMembers, r.Relocated, r.ReliefNeeded, nullable(r.FoodClothingOK),
			string(checklist), r.Note, lon, lat, r.State, r.ReportedBy, now); err != nil {
			return err
		}
		if a != nil {
			a.LossReportID, a.VillageCode, a.AssessedAt = r.ID, village, now
			if err := db.insertAssessment(ctx, tx, hid, a); err != nil {
				return err
			}
		}
		if r.TaskID != 0 {
			if _, err := db.finishVisitTx(ctx, tx, u, r.TaskID, backstop.VisitDone, "", r.ID, u.Name, now); err != nil {
				return err
			}
		}
		return db.audit(ctx, tx, "loss_report.create", "household", r.HouseholdNumber, fmt.Sprintf("report %d (chain %d, version %d), event %d: %s %d rooms, crops %g%% of %g mu",
			r.ID, r.Chain, r.Version, r.EventID, r.HouseDamage, r.HouseRooms, r.CropLossPct, r.CropAreaMu))
	})
}

func lossNotFound(id int64) error {
	return backstop.Localized(backstop.ENOTFOUND, "找不到灾损报告%d", "Loss report %d not found.", id)
}

// FindLossReport returns one version with its photos, in the user's
// region.
func (db *DB) FindLossReport(ctx context.Context, id int64) (*backstop.LossReport, error) {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return nil, err
	}
	r, err := scanLoss(db.read.QueryRowContext(ctx, db.q(`SELECT `+lossColumns+lossFrom+` WHERE l.id = ?`), id))
	if err == sql.ErrNoRows || (err == nil && !u.InScope(r.VillageCode)) {
		return nil, lossNotFound(id)
	} else if err != nil {
		return nil, db.translate(err)
	}
	rows, err := db.read.QueryContext(ctx, db.q(`SELECT hash, content_type, bytes, width, height, added_by, added_at FROM loss_photos WHERE report_id = ? ORDER BY added_at, hash`), id)
	if err != nil {
		return nil, db.translate(err)
	}
	defer rows.Close()
	for rows.Next() {
		var p backstop.Photo
		if err := rows.Scan(&p.Hash, &p.ContentType, &p.Bytes, &p.Width, &p.Height, &p.AddedBy, &p.AddedAt); err != nil {
			return nil, err
		}
		r.Photos = append(r.Photos, p)
	}
	return r, rows.Err()
}

// FindLossReports pages reports in the user's region.
func (db *DB) FindLossReports(ctx context.Context, f backstop.LossReportFilter) ([]*backstop.LossReport, int, error) {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return nil, 0, err
	}
	conds, args := []string{"1 = 1"}, []any{}
	for _, region := range []string{u.Region, f.Region} {
		if region != "" && region != backstop.NationalScope {
			lo, hi := backstop.CodeRange(region)
			conds, args = append(conds, "l.village_code BETWEEN ? AND ?"), append(args, lo, hi)
		}
	}
	if !f.All {
		conds = append(conds, "l.is_current")
	}
	if f.Household != "" {
		conds, args = append(conds, "h.number = ?"), append(args, f.Household)
	}
	if f.EventID != 0 {
		conds, args = append(conds, "l.event_id = ?"), append(args, f.EventID)
	}
	if f.Damaged {
		conds = append(conds, "l.house_damage <> 'none'")
	}
	where := strings.Join(conds, " AND ")
	var total int
	if err := db.read.QueryRowContext(ctx, db.q(`SELECT count(*)`+lossFrom+` WHERE `+where), args...).Scan(&total); err != nil {
		return nil, 0, db.translate(err)
	}
	if f.Limit <= 0 || f.Limit > MaxPageSize {
		f.Limit = 100
	}
	rows, err := db.read.QueryContext(ctx, db.q(`SELECT `+lossColumns+lossFrom+` WHERE `+where+` ORDER BY l.id DESC LIMIT ? OFFSET ?`), append(args, f.Limit, f.Offset)...)
	if err != nil {
		return nil, 0, db.translate(err)
	}
	defer rows.Close()
	out := []*backstop.LossReport{}
	for rows.Next() {
		r, err := scanLoss(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, r)
	}
	return out, total, rows.Err()
}

// VerifyLossReport marks the current, submitted version verified by
// compare-and-set, with the assessment made on it.
func (db *DB) VerifyLossReport(ctx context.Context, id int64, a *backstop.Assessment) (*backstop.LossReport, error) {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return nil, err
	}
	now := db.now().UTC()
	var r *backstop.LossReport
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		r, err = scanLoss(tx.QueryRowContext(ctx, db.q(`SELECT `+lossColumns+lossFrom+` WHERE l.id = ?`), id))
		if err == sql.ErrNoRows || (err == nil && !u.InScope(r.VillageCode)) {
			return lossNotFound(id)
		} else if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, db.q(`UPDATE loss_reports SET state = ?, verified_by = ?, verified_at = ? WHERE id = ? AND is_current AND state = ?`),
			backstop.LossVerified, u.Name, now, id, backstop.LossSubmitted)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			if !r.Current {
				return backstop.Localized(backstop.ECONFLICT, "灾损报告%d已有更正版本，请核实最新版本", "Loss report %d has a newer version: verify that one.", id)
			}
			return backstop.Localized(backstop.ECONFLICT, "灾损报告%d已由%s核实", "Loss report %d was verified by %s already.", id, r.VerifiedBy)
		}
		r.State, r.VerifiedBy, r.VerifiedAt = backstop.LossVerified, u.Name, &now
		if a != nil {
			a.LossReportID, a.VillageCode, a.AssessedAt = r.ID, r.VillageCode, now
			if err := db.insertAssessment(ctx, tx, r.HouseholdID, a); err != nil {
				return err
			}
		}
		return db.audit(ctx, tx, "loss_report.verify", "household", r.HouseholdNumber, fmt.Sprintf("report %d (version %d)", id, r.Version))
	})
	return r, err
}

// AddPhoto records a photo file of a report in the user's region.
func (db *DB) AddPhoto(ctx context.Context, reportID int64, p *backstop.Photo) error {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return err
	}
	p.AddedBy, p.AddedAt = u.Name, db.now().UTC()
	return db.inTx(ctx, func(tx *sql.Tx) error {
		var village, number string
		err := tx.QueryRowContext(ctx, db.q(`SELECT l.village_code, h.number`+lossFrom+` WHERE l.id = ?`), reportID).Scan(&village, &number)
		if err == sql.ErrNoRows || (err == nil && !u.InScope(village)) {
			return lossNotFound(reportID)
		} else if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, db.q(`INSERT INTO loss_photos (report_id, hash, content_type, bytes, width, height, added_by, added_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
 ON CONFLICT (report_id, hash) DO NOTHING`), reportID, p.Hash, p.ContentType, p.Bytes, p.Width, p.Height, p.AddedBy, p.AddedAt); err != nil {
			return err
		}
		return db.audit(ctx, tx, "loss_report.photo", "household", number, fmt.Sprintf("report %d: %s %s %d bytes", reportID, p.Hash[:12], p.ContentType, p.Bytes))
	})
}

// DamageLedger streams the current reports of an event with a damaged
// house, with their households, by village and household number.
func (db *DB) DamageLedger(ctx context.Context, eventID int64, region string, fn func(*backstop.LedgerRow) error) error {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return err
	}
	conds, args := []string{"l.event_id = ?", "l.is_current", "l.house_damage <> 'none'"}, []any{eventID}
	for _, r := range []string{u.Region, region} {
		if r != "" && r != backstop.NationalScope {
			lo, hi := backstop.CodeRange(r)
			conds, args = append(conds, "l.village_code BETWEEN ? AND ?"), append(args, lo, hi)
		}
	}
	rows, err := db.read.QueryContext(ctx, db.q(`SELECT h.head_name, COALESCE(t.name, ''), COALESCE(v.name, ''), h.size, h.type, h.monitor_type, h.phone, h.housing_grade, h.housing_structure, `+lossColumns+lossFrom+`
 LEFT JOIN regions v ON v.code = l.village_code LEFT JOIN regions t ON t.code = substr(l.village_code, 1, 9) || '000'
 WHERE `+strings.Join(conds, " AND ")+` ORDER BY l.village_code, h.number`), args...)
	if err != nil {
		return db.translate(err)
	}
	defer rows.Close()
	for rows.Next() {
		var row backstop.LedgerRow
		r, err := scanLoss(rows, &row.HeadName, &row.Township, &row.Village, &row.Size, &row.Type, &row.MonitorType, &row.Phone, &row.HousingGrade, &row.Structure)
		if err != nil {
			return err
		}
		row.Report = r
		if err := fn(&row); err != nil {
			return err
		}
	}
	return rows.Err()
}

func scanAssessment(data string) (*backstop.Assessment, error) {
	var a backstop.Assessment
	if err := json.Unmarshal([]byte(data), &a); err != nil {
		return nil, err
	}
	return &a, nil
}

// FindAssessment returns a household's current assessment.
func (db *DB) FindAssessment(ctx context.Context, household string) (*backstop.Assessment, error) {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return nil, err
	}
	hid, _, err := db.householdInScope(ctx, db.read, u, household)
	if err != nil {
		return nil, err
	}
	var id int64
	var data string
	err = db.read.QueryRowContext(ctx, db.q(`SELECT id, data FROM assessments WHERE household_id = ? AND is_current`), hid).Scan(&id, &data)
	if err == sql.ErrNoRows {
		return nil, backstop.Localized(backstop.ENOTFOUND, "农户%s还没有灾损风险评估（请先填报灾损报告）", "Household %s has no assessment yet: file a loss report first.", household)
	} else if err != nil {
		return nil, db.translate(err)
	}
	a, err := scanAssessment(data)
	if err == nil {
		a.ID = id
	}
	return a, err
}

// FindAssessments pages current assessments in the user's region, the
// highest risk first.
func (db *DB) FindAssessments(ctx context.Context, f backstop.AssessmentFilter) ([]*backstop.Assessment, int, error) {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return nil, 0, err
	}
	conds, args := []string{"a.is_current"}, []any{}
	for _, r := range []string{u.Region, f.Region} {
		if r != "" && r != backstop.NationalScope {
			lo, hi := backstop.CodeRange(r)
			conds, args = append(conds, "a.village_code BETWEEN ? AND ?"), append(args, lo, hi)
		}
	}
	if f.EventID != 0 {
		conds, args = append(conds, "a.event_id = ?"), append(args, f.EventID)
	}
	if f.AtRisk {
		conds = append(conds, "a.at_risk")
	}
	where := strings.Join(conds, " AND ")
	var total int
	if err := db.read.QueryRowContext(ctx, db.q(`SELECT count(*) FROM assessments a WHERE `+where), args...).Scan(&total); err != nil {
		return nil, 0, db.translate(err)
	}
	if f.Limit <= 0 || f.Limit > MaxPageSize {
		f.Limit = 100
	}
	rows, err := db.read.QueryContext(ctx, db.q(`SELECT a.id, a.data FROM assessments a WHERE `+where+` ORDER BY a.score DESC, a.id LIMIT ? OFFSET ?`), append(args, f.Limit, f.Offset)...)
	if err != nil {
		return nil, 0, db.translate(err)
	}
	defer rows.Close()
	out := []*backstop.Assessment{}
	for rows.Next() {
		var id int64
		var data string
		if err := rows.Scan(&id, &data); err != nil {
			return nil, 0, err
		}
		a, err := scanAssessment(data)
		if err != nil {
			return nil, 0, err
		}
		a.ID = id
		out = append(out, a)
	}
	return out, total, rows.Err()
}

// AtRiskQueue pages households assessed at risk and not monitored, in
// region and the user's, the oldest report first. (A case, when the cases
// issue brings them, makes the household monitored or takes it off this
// queue.) The queue is two index-only reads merged here: the at-risk
// assessments of the region (their partial index holds the report date
// and household), and the region's monitored households (the registry's
// village index holds the groups); then one page is fetched by id.
// Joining the two in SQL made a county's queue read every household row.
func (db *DB) AtRiskQueue(ctx context.Context, region string, offset, limit int) ([]*backstop.AtRiskEntry, int, error) {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return nil, 0, err
	}
	switch {
	case region == "" || region == backstop.NationalScope:
		region = u.Region
	case u.Region == backstop.NationalScope || backstop.CodeWithin(region, u.Region):
	case backstop.CodeWithin(u.Region, region):
		region = u.Region
	default:
		return []*backstop.AtRiskEntry{}, 0, nil
	}
	lo, hi := backstop.CodeRange(region)
	if region == backstop.NationalScope {
		lo, hi = "000000000000", "999999999999"
	}
	type candidate struct {
		id, household int64
		date          string
	}
	// The order is the index's: without it SQLite took the ranking index
	// and read every assessment row of the region.
	rows, err := db.read.QueryContext(ctx, db.q(`SELECT a.id, a.household_id, a.report_date FROM assessments a WHERE a.is_current AND a.at_risk AND a.village_code BETWEEN ? AND ?
 ORDER BY a.village_code, a.report_date`), lo, hi)
	if err != nil {
		return nil, 0, db.translate(err)
	}
	var cands []candidate
	for rows.Next() {
		var c candidate
		if err := rows.Scan(&c.id, &c.household, &c.date); err != nil {
			rows.Close()
			return nil, 0, err
		}
		cands = append(cands, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	out := []*backstop.AtRiskEntry{}
	if len(cands) == 0 {
		return out, 0, nil
	}
	// Households that are monitored (or deleted) leave the queue.
	gone := map[int64]bool{}
	rows, err = db.read.QueryContext(ctx, db.q(fmt.Sprintf(`SELECT h.id FROM households h WHERE h.village_code BETWEEN ? AND ? AND NOT h.deleted AND (h.groups & %d) <> 0`, int64(backstop.GroupMonitored))), lo, hi)
	if err != nil {
		return nil, 0, db.translate(err)
	}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, 0, err
		}
		gone[id] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	kept := cands[:0]
	for _, c := range cands {
		if !gone[c.household] {
			kept = append(kept, c)
		}
	}
	sort.Slice(kept, func(i, j int) bool {
		if kept[i].date != kept[j].date {
			return kept[i].date < kept[j].date
		}
		return kept[i].id < kept[j].id
	})
	total := len(kept)
	if limit <= 0 || limit > MaxPageSize {
		limit = 100
	}
	if offset >= total {
		return out, total, nil
	}
	page := kept[offset:min(total, offset+limit)]
	ids := make([]any, len(page))
	for i, c := range page {
		ids[i] = c.id
	}
	rows, err = db.read.QueryContext(ctx, db.q(`SELECT a.id, a.data, h.head_name, h.deleted, COALESCE(v.name, ''), COALESCE(t.name, '') FROM assessments a JOIN households h ON h.id = a.household_id
 LEFT JOIN regions v ON v.code = a.village_code LEFT JOIN regions t ON t.code = substr(a.village_code, 1, 9) || '000'
 WHERE a.id IN (?`+strings.Repeat(",?", len(ids)-1)+`)`), ids...)
	if err != nil {
		return nil, 0, db.translate(err)
	}
	defer rows.Close()
	today := time.Now().In(backstop.Beijing)
	today = time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, time.UTC)
	byID := map[int64]*backstop.AtRiskEntry{}
	for rows.Next() {
		var e backstop.AtRiskEntry
		var id int64
		var data string
		var deleted bool
		if err := rows.Scan(&id, &data, &e.HeadName, &deleted, &e.Village, &e.Township); err != nil {
			return nil, 0, err
		}
		if e.Assessment, err = scanAssessment(data); err != nil {
			return nil, 0, err
		}
		e.Assessment.ID = id
		if d, ok := backstop.ParseISODate(e.Assessment.ReportDate); ok {
			e.DaysSinceReport = int(today.Sub(d).Hours() / 24)
		}
		byID[id] = &e
	}
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	for _, c := range page {
		if e := byID[c.id]; e != nil {
			out = append(out, e)
		}
	}
	return out, total, nil
}
