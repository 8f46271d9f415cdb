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

const eventColumns = `id, hazard, title, started_at, regions, region_code, warning_ids, state, stabilised_at, closed_at, created_by, created_at`

func scanEvent(sc interface{ Scan(...any) error }) (*backstop.DisasterEvent, error) {
	var e backstop.DisasterEvent
	var hazard, regions, warnings, state string
	var stabilised, closed sql.NullTime
	if err := sc.Scan(&e.ID, &hazard, &e.Title, &e.StartedAt, &regions, &e.Region, &warnings, &state, &stabilised, &closed, &e.CreatedBy, &e.CreatedAt); err != nil {
		return nil, err
	}
	e.Hazard, e.State = backstop.Hazard(hazard), backstop.EventState(state)
	json.Unmarshal([]byte(regions), &e.Regions)
	json.Unmarshal([]byte(warnings), &e.Warnings)
	if e.Warnings == nil {
		e.Warnings = []int64{}
	}
	e.StabilisedAt, e.ClosedAt = timePtr(stabilised), timePtr(closed)
	return &e, nil
}

// inScopeAll checks that every region lies in the user's scope: writes
// are decided from the regions the request names.
func inScopeAll(u *backstop.User, regions ...string) error {
	for _, r := range regions {
		if u.Region != backstop.NationalScope && !backstop.CodeWithin(r, u.Region) {
			return backstop.Localized(backstop.EFORBIDDEN, "地区%s不在您的管辖范围内", "Region %s is outside your region.", r)
		}
	}
	return nil
}

// CreateEvent stores an event and its initial-report clock.
func (db *DB) CreateEvent(ctx context.Context, e *backstop.DisasterEvent, initial *backstop.Clock) error {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return err
	}
	if err := inScopeAll(u, e.Regions...); err != nil {
		return err
	}
	e.Region = backstop.CommonRegion(e.Regions...)
	e.CreatedBy, e.CreatedAt = u.Name, db.now().UTC()
	if e.State == "" {
		e.State = backstop.EventOngoing
	}
	if e.Warnings == nil {
		e.Warnings = []int64{}
	}
	regions, _ := json.Marshal(e.Regions)
	warnings, _ := json.Marshal(e.Warnings)
	return db.inTx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, db.q(`INSERT INTO disaster_events (hazard, title, started_at, regions, region_code, warning_ids, state, created_by, created_at)
 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`), string(e.Hazard), e.Title, e.StartedAt.UTC(), string(regions), e.Region, string(warnings), string(e.State), e.CreatedBy, e.CreatedAt).Scan(&e.ID); err != nil {
			return err
		}
		if initial != nil {
			initial.Subject, initial.Region = eventSubject(e.ID), e.Region
			if err := db.insertClock(ctx, tx, initial); err != nil {
				return err
			}
		}
		return db.audit(ctx, tx, "event.create", "event", fmt.Sprint(e.ID), fmt.Sprintf("%s %q, regions %s, warnings %v", e.Hazard, e.Title, strings.Join(e.Regions, ","), e.Warnings))
	})
}

func eventSubject(id int64) string { return fmt.Sprintf("event:%d", id) }

func eventNotFound(id int64) error {
	return backstop.Localized(backstop.ENOTFOUND, "找不到灾害过程%d", "Disaster event %d not found.", id)
}

// FindEvent returns an event the user's region overlaps.
func (db *DB) FindEvent(ctx context.Context, id int64) (*backstop.DisasterEvent, error) {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return nil, err
	}
	e, err := scanEvent(db.read.QueryRowContext(ctx, db.q(`SELECT `+eventColumns+` FROM disaster_events WHERE id = ?`), id))
	if err == sql.ErrNoRows || (err == nil && !e.Visible(u)) {
		return nil, eventNotFound(id)
	}
	return e, db.translate(err)
}

// FindEvents lists the events the user's region overlaps, newest first.
// Events are few (a county has some a year), so the overlap is decided
// here rather than in SQL.
func (db *DB) FindEvents(ctx context.Context, f backstop.EventFilter) ([]*backstop.DisasterEvent, int, error) {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return nil, 0, err
	}
	q, args := `SELECT `+eventColumns+` FROM disaster_events`, []any{}
	if f.State != "" {
		q, args = q+` WHERE state = ?`, append(args, f.State)
	}
	rows, err := db.read.QueryContext(ctx, db.q(q+` ORDER BY id DESC`), args...)
	if err != nil {
		return nil, 0, db.translate(err)
	}
	defer rows.Close()
	var all []*backstop.DisasterEvent
	for rows.Next() {
		e, err := scanEvent(rows)
		if err != nil {
			return nil, 0, err
		}
		if e.Visible(u) {
			all = append(all, e)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	if f.Limit <= 0 || f.Limit > MaxPageSize {
		f.Limit = 100
	}
	out := []*backstop.DisasterEvent{}
	if f.Offset < len(all) {
		out = all[f.Offset:min(len(all), f.Offset+f.Limit)]
	}
	return out, len(all), nil
}

// SetEventState moves an event by compare-and-set.
func (db *DB) SetEventState(ctx context.Context, id int64, from, to backstop.EventState, final *backstop.Clock) error {
	e, err := db.FindEvent(ctx, id)
	if err != nil {
		return err
	}
	u, _ := backstop.RequireUser(ctx)
	if err := inScopeAll(u, e.Regions...); err != nil {
		return err
	}
	now := db.now().UTC()
	return db.inTx(ctx, func(tx *sql.Tx) error {
		set := `state = ?`
		args := []any{string(to)}
		switch to {
		case backstop.EventStabilised:
			set, args = set+`, stabilised_at = ?`, append(args, now)
		case backstop.EventClosed:
			set, args = set+`, closed_at = ?`, append(args, now)
		}
		res, err := tx.ExecContext(ctx, db.q(`UPDATE disaster_events SET `+set+` WHERE id = ? AND state = ?`), append(args, id, string(from))...)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return backstop.Localized(backstop.ECONFLICT, "灾害过程%d的状态已不是%s", "Event %d is no longer %s.", id, from)
		}
		if final != nil {
			final.Subject, final.Region = eventSubject(id), e.Region
			if err := db.insertClock(ctx, tx, final); err != nil {
				return err
			}
		}
		if to != backstop.EventOngoing {
			if err := db.stopFollowups(ctx, tx, id, backstop.ClockCancelled, now); err != nil {
				return err
			}
		}
		return db.audit(ctx, tx, "event.state", "event", fmt.Sprint(id), fmt.Sprintf("%s → %s", from, to))
	})
}

// SetEventFigures stores a region's entered figures.
func (db *DB) SetEventFigures(ctx context.Context, eventID int64, f *backstop.EventFigures) error {
	e, err := db.FindEvent(ctx, eventID)
	if err != nil {
		return err
	}
	u, _ := backstop.RequireUser(ctx)
	if err := inScopeAll(u, f.Region); err != nil {
		return err
	}
	if !e.Covers(f.Region) && !backstop.CodeWithin(e.Region, f.Region) {
		return backstop.Localized(backstop.EINVALID, "地区%s不在灾害过程%d的范围内", "Region %s is not in event %d's area.", f.Region, eventID)
	}
	f.EnteredBy, f.EnteredAt = u.Name, db.now().UTC()
	return db.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, db.q(`INSERT INTO event_figures (event_id, region_code, deaths, missing, relocated, relief_needed, other_loss, entered_by, entered_at)
 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (event_id, region_code) DO UPDATE SET deaths = excluded.deaths, missing = excluded.missing, relocated = excluded.relocated,
 relief_needed = excluded.relief_needed, other_loss = excluded.other_loss, entered_by = excluded.entered_by, entered_at = excluded.entered_at`),
			eventID, f.Region, f.Deaths, f.Missing, f.Relocated, f.ReliefNeeded, f.OtherLossYuan, f.EnteredBy, f.EnteredAt); err != nil {
			return err
		}
		return db.audit(ctx, tx, "event.figures", "event", fmt.Sprint(eventID), fmt.Sprintf("%s: deaths %d, missing %d, relocated %d, relief %d, other loss %g",
			f.Region, f.Deaths, f.Missing, f.Relocated, f.ReliefNeeded, f.OtherLossYuan))
	})
}

// EventFigures lists an event's entered figures in the user's region.
func (db *DB) EventFigures(ctx context.Context, eventID int64) ([]*backstop.EventFigures, error) {
	if _, err := db.FindEvent(ctx, eventID); err != nil {
		return nil, err
	}
	rows, err := db.read.QueryContext(ctx, db.q(`SELECT region_code, deaths, missing, relocated, relief_needed, other_loss, entered_by, entered_at FROM event_figures WHERE event_id = ? ORDER BY region_code`), eventID)
	if err != nil {
		return nil, db.translate(err)
	}
	defer rows.Close()
	out := []*backstop.EventFigures{}
	for rows.Next() {
		var f backstop.EventFigures
		if err := rows.Scan(&f.Region, &f.Deaths, &f.Missing, &f.Relocated, &f.ReliefNeeded, &f.OtherLossYuan, &f.EnteredBy, &f.EnteredAt); err != nil {
			return nil, err
		}
		out = append(out, &f)
	}
	return out, rows.Err()
}

// stopFollowups ends the running follow-up clock of an event.
func (db *DB) stopFollowups(ctx context.Context, tx *sql.Tx, eventID int64, state backstop.ClockState, at time.Time) error {
	_, err := tx.ExecContext(ctx, db.q(`UPDATE clocks SET state = ?, stopped_at = ?, fire_at = NULL WHERE kind = ? AND subject LIKE ? AND state = ?`),
		string(state), at.UTC(), backstop.ClockEventFollowup, fmt.Sprintf("event:%d:%%", eventID), string(backstop.ClockRunning))
	return err
}

// stopClockTx ends a running clock inside tx; none running is no error.
func (db *DB) stopClockTx(ctx context.Context, tx *sql.Tx, kind, subject string, state backstop.ClockState, at time.Time) error {
	_, err := tx.ExecContext(ctx, db.q(`UPDATE clocks SET state = ?, stopped_at = ?, fire_at = NULL WHERE kind = ? AND subject = ? AND state = ?`),
		string(state), at.UTC(), kind, subject, string(backstop.ClockRunning))
	return err
}

// AddEventReport stores a report; the initial and final ones meet their
// clocks.
func (db *DB) AddEventReport(ctx context.Context, r *backstop.EventReport, next *backstop.Clock) error {
	e, err := db.FindEvent(ctx, r.EventID)
	if err != nil {
		return err
	}
	u, _ := backstop.RequireUser(ctx)
	if r.Region == "" {
		r.Region = e.Region
	}
	if err := inScopeAll(u, r.Region); err != nil {
		return err
	}
	r.ReportedBy, r.ReportedAt = u.Name, db.now().UTC()
	stats, _ := json.Marshal(r.Statistics)
	return db.inTx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, db.q(`INSERT INTO event_reports (event_id, kind, region_code, note, statistics, reported_by, reported_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`),
			r.EventID, r.Kind, r.Region, r.Note, string(stats), r.ReportedBy, r.ReportedAt).Scan(&r.ID); err != nil {
			return err
		}
		switch r.Kind {
		case backstop.ReportInitial:
			if err := db.stopClockTx(ctx, tx, backstop.ClockEventInitial, eventSubject(r.EventID), backstop.ClockMet, r.ReportedAt); err != nil {
				return err
			}
		case backstop.ReportFinal:
			if err := db.stopClockTx(ctx, tx, backstop.ClockEventFinal, eventSubject(r.EventID), backstop.ClockMet, r.ReportedAt); err != nil {
				return err
			}
		}
		if r.Kind == backstop.ReportInitial || r.Kind == backstop.ReportFollowup {
			if err := db.stopFollowups(ctx, tx, r.EventID, backstop.ClockMet, r.ReportedAt); err != nil {
				return err
			}
			if next != nil {
				next.Subject, next.Region = fmt.Sprintf("event:%d:%d", r.EventID, r.ID), e.Region
				if err := db.insertClock(ctx, tx, next); err != nil {
					return err
				}
			}
		}
		return db.audit(ctx, tx, "event.report", "event", fmt.Sprint(r.EventID), fmt.Sprintf("%s report %d for %s", r.Kind, r.ID, r.Region))
	})
}

// EventReports lists an event's reports, oldest first.
func (db *DB) EventReports(ctx context.Context, eventID int64) ([]*backstop.EventReport, error) {
	if _, err := db.FindEvent(ctx, eventID); err != nil {
		return nil, err
	}
	rows, err := db.read.QueryContext(ctx, db.q(`SELECT id, event_id, kind, region_code, note, statistics, reported_by, reported_at FROM event_reports WHERE event_id = ? ORDER BY id`), eventID)
	if err != nil {
		return nil, db.translate(err)
	}
	defer rows.Close()
	out := []*backstop.EventReport{}
	for rows.Next() {
		var r backstop.EventReport
		var stats string
		if err := rows.Scan(&r.ID, &r.EventID, &r.Kind, &r.Region, &r.Note, &stats, &r.ReportedBy, &r.ReportedAt); err != nil {
			return nil, err
		}
		json.Unmarshal([]byte(stats), &r.Statistics)
		out = append(out, &r)
	}
	return out, rows.Err()
}

// childPrefix is the length of the codes of the regions one level below.
func childPrefix(region string) int {
	switch backstop.LevelOfCode(region) {
	case 0:
		return 2
	case backstop.LevelProvince:
		return 4
	case backstop.LevelCity:
		return 6
	case backstop.LevelCounty:
		return 9
	}
	return 12
}

// EventStatistics sums an event's current loss reports inside a region
// (narrowed to the user's), in one grouped pass over the event's index,
// per region one level below, and adds the entered figures.
func (db *DB) EventStatistics(ctx context.Context, eventID int64, region string, rules backstop.StatisticsRules) (*backstop.DisasterStatistics, error) {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return nil, err
	}
	e, err := db.FindEvent(ctx, eventID)
	if err != nil {
		return nil, err
	}
	if region == "" {
		region = e.Region
	}
	switch {
	case u.Region == backstop.NationalScope || backstop.CodeWithin(region, u.Region):
	case backstop.CodeWithin(u.Region, region):
		region = u.Region
	default:
		return nil, backstop.Localized(backstop.ENOTFOUND, "地区%s不在您的管辖范围内", "Region %s is outside your region.", region)
	}
	n := childPrefix(region)
	lo, hi := backstop.CodeRange(region)
	pad := strings.Repeat("0", 12-n)
	people := `l.people`
	waterFails := `(l.water_litres < ? OR l.water_quality_ok = ? OR l.water_trip_min > ? OR l.water_outage_days > ?)`
	lossy := `(l.house_damage <> 'none' OR l.crop_loss > 0 OR l.crop_loss_pct >= ? OR l.livestock_loss > 0 OR l.livestock_head > 0 OR l.production_loss > 0 OR l.wage_loss > 0
 OR l.house_loss > 0 OR l.relocated > 0 OR l.relief_needed > 0 OR ` + waterFails + `)`
	damage := func(class, what string) string {
		return `SUM(CASE WHEN l.house_damage = '` + class + `' THEN ` + what + ` ELSE 0 END)`
	}
	crop := `SUM(CASE WHEN l.crop_loss_pct >= ? THEN l.crop_area_mu ELSE 0 END)`
	q := `SELECT substr(l.village_code, 1, ` + fmt.Sprint(n) + `), count(*),
 SUM(CASE WHEN ` + lossy + ` THEN ` + people + ` ELSE 0 END),
 SUM(l.relocated), SUM(l.relief_needed),
 SUM(CASE WHEN ` + waterFails + ` THEN ` + people + ` ELSE 0 END),
 ` + crop + `, ` + crop + `, ` + crop + `,
 ` + damage("collapsed", "1") + `, ` + damage("collapsed", "l.house_rooms") + `,
 ` + damage("severe", "1") + `, ` + damage("severe", "l.house_rooms") + `,
 ` + damage("moderate", "1") + `, ` + damage("moderate", "l.house_rooms") + `,
 SUM(l.house_loss + l.crop_loss + l.livestock_loss + l.production_loss)
 FROM loss_reports l
 WHERE l.event_id = ? AND l.is_current AND l.village_code BETWEEN ? AND ?
 GROUP BY substr(l.village_code, 1, ` + fmt.Sprint(n) + `) ORDER BY 1`
	w := []any{rules.WaterLitres, false, rules.WaterTrip, rules.WaterOutage}
	args := append([]any{rules.Crop.Affected}, w...)
	args = append(args, w...)
	args = append(args, rules.Crop.Affected, rules.Crop.Damaged, rules.Crop.Failed, eventID, lo, hi)
	rows, err := db.read.QueryContext(ctx, db.q(q), args...)
	if err != nil {
		return nil, db.translate(err)
	}
	defer rows.Close()
	total := &backstop.DisasterStatistics{EventID: eventID, DisasterFigures: backstop.DisasterFigures{Region: region}, Rows: []backstop.DisasterFigures{}}
	for rows.Next() {
		var s backstop.DisasterFigures
		var prefix string
		var affected, relocated, relief, water, cr, crr, sv, svr, md, mdr sql.NullInt64
		var cropA, cropD, cropF, loss sql.NullFloat64
		if err := rows.Scan(&prefix, &s.Reports, &affected, &relocated, &relief, &water, &cropA, &cropD, &cropF, &cr, &crr, &sv, &svr, &md, &mdr, &loss); err != nil {
			return nil, err
		}
		s.Region = prefix + pad
		s.AffectedPeople, s.Relocated, s.ReliefNeeded, s.WaterDifficulty = int(affected.Int64), int(relocated.Int64), int(relief.Int64), int(water.Int64)
		s.CropAffectedMu, s.CropDamagedMu, s.CropFailedMu = cropA.Float64, cropD.Float64, cropF.Float64
		s.CollapsedHouseholds, s.CollapsedRooms = int(cr.Int64), int(crr.Int64)
		s.SevereHouseholds, s.SevereRooms = int(sv.Int64), int(svr.Int64)
		s.ModerateHouseholds, s.ModerateRooms = int(md.Int64), int(mdr.Int64)
		s.DirectLossYuan = loss.Float64
		total.Rows = append(total.Rows, s)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	for i := range total.Rows {
		total.Add(&total.Rows[i])
	}
	// Entered figures: each once in the total, and in the line below the
	// region that holds it (a figure entered for the region itself has no
	// line).
	figures, err := db.EventFigures(ctx, eventID)
	if err != nil {
		return nil, err
	}
	rowOf := map[string]int{}
	for i, r := range total.Rows {
		rowOf[r.Region] = i
	}
	for _, f := range figures {
		if !backstop.CodeWithin(f.Region, region) {
			continue
		}
		addFigures(&total.DisasterFigures, f)
		if f.Region == region || n == 12 {
			continue
		}
		child := f.Region[:n] + pad
		i, ok := rowOf[child]
		if !ok {
			total.Rows = append(total.Rows, backstop.DisasterFigures{Region: child})
			i = len(total.Rows) - 1
			rowOf[child] = i
		}
		addFigures(&total.Rows[i], f)
	}
	sort.Slice(total.Rows, func(i, j int) bool { return total.Rows[i].Region < total.Rows[j].Region })
	codes := []string{region}
	for _, r := range total.Rows {
		codes = append(codes, r.Region)
	}
	names, err := db.namesOf(ctx, codes)
	if err != nil {
		return nil, err
	}
	total.Name = names[region]
	for i := range total.Rows {
		total.Rows[i].Name = names[total.Rows[i].Region]
	}
	total.PolicyIDs = []int64{}
	for _, id := range []int64{rules.Crop.PolicyID, rules.WaterPolicyID} {
		if id != 0 {
			total.PolicyIDs = append(total.PolicyIDs, id)
		}
	}
	total.Indicators = total.DisasterFigures.Indicators()
	return total, nil
}

// addFigures adds entered figures to a line.
func addFigures(s *backstop.DisasterFigures, f *backstop.EventFigures) {
	s.Deaths += f.Deaths
	s.Missing += f.Missing
	s.Relocated += f.Relocated
	s.ReliefNeeded += f.ReliefNeeded
	s.DirectLossYuan += f.OtherLossYuan
}

// namesOf looks up the names of codes.
func (db *DB) namesOf(ctx context.Context, codes []string) (map[string]string, error) {
	out := map[string]string{}
	for start := 0; start < len(codes); start += 500 {
		chunk := codes[start:min(start+500, len(codes))]
		args := make([]any, len(chunk))
		for i, c := range chunk {
			args[i] = c
		}
		rows, err := db.read.QueryContext(ctx, db.q(`SELECT code, name FROM regions WHERE code IN (?`+strings.Repeat(",?", len(chunk)-1)+`)`), args...)
		if err != nil {
			return nil, db.translate(err)
		}
		for rows.Next() {
			var c, n string
			if err := rows.Scan(&c, &n); err != nil {
				rows.Close()
				return nil, err
			}
			out[c] = n
		}
		rows.Close()
	}
	return out, nil
}
