package sqlstore

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/zhangye-backstop/backstop"
)

// Publicity events: the yearly calendar's proposals (one per county, theme
// and year), events entered by hand, their changes by compare-and-set on
// the state, and the events held by township.

// publicityRegion is an event's region for scope: its township when it
// was held in one, else its county.
const publicityRegion = `(CASE WHEN e.township_code <> '' THEN e.township_code ELSE e.county_code END)`

const publicityColumns = `e.id, e.theme, e.title, e.county_code, e.township_code, e.year, e.date, e.place, e.organiser, e.audience, e.materials, e.state, e.from_calendar, e.created_at, e.created_by`

func scanPublicity(sc interface{ Scan(...any) error }) (*backstop.PublicityEvent, error) {
	var e backstop.PublicityEvent
	if err := sc.Scan(&e.ID, &e.Theme, &e.Title, &e.County, &e.Township, &e.Year, &e.Date, &e.Place, &e.Organiser, &e.Audience, &e.Materials, &e.State, &e.FromCalendar, &e.CreatedAt, &e.CreatedBy); err != nil {
		return nil, err
	}
	return &e, nil
}

func eventRegion(e *backstop.PublicityEvent) string {
	if e.Township != "" {
		return e.Township
	}
	return e.County
}

// ProposeCalendar writes the calendar's proposals, keeping those that
// exist (one per county, theme and year).
func (db *DB) ProposeCalendar(ctx context.Context, events []*backstop.PublicityEvent) (int, error) {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return 0, err
	}
	for _, e := range events {
		if err := writableBy(u, e.County); err != nil {
			return 0, err
		}
	}
	now := db.now().UTC()
	written := 0
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		written = 0
		for _, e := range events {
			res, err := tx.ExecContext(ctx, db.q(`INSERT INTO publicity_events (theme, title, county_code, year, date, state, from_calendar, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
 ON CONFLICT DO NOTHING`), e.Theme, e.Title, e.County, e.Year, e.Date, string(backstop.PublicityProposed), true, now, u.Name)
			if err != nil {
				return err
			}
			n, _ := res.RowsAffected()
			written += int(n)
		}
		return db.audit(ctx, tx, "publicity.calendar", "publicity", "", fmt.Sprintf("%d proposed", written))
	})
	return written, err
}

// CreatePublicity stores an event entered by hand.
func (db *DB) CreatePublicity(ctx context.Context, e *backstop.PublicityEvent) error {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return err
	}
	if err := writableBy(u, eventRegion(e)); err != nil {
		return err
	}
	e.CreatedAt, e.CreatedBy = db.now().UTC(), u.Name
	return db.inTx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, db.q(`INSERT INTO publicity_events (theme, title, county_code, township_code, year, date, place, organiser, audience, materials, state, from_calendar, created_at, created_by)
 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`), e.Theme, e.Title, e.County, e.Township, e.Year, e.Date, e.Place, e.Organiser, e.Audience, e.Materials, string(e.State), false,
			e.CreatedAt, e.CreatedBy).Scan(&e.ID); err != nil {
			return err
		}
		return db.auditIn(ctx, tx, eventRegion(e), "publicity.create", "publicity", fmt.Sprint(e.ID), e.Theme+" "+e.Date)
	})
}

// UpdatePublicity changes an event of the user's region by
// compare-and-set on the state the caller saw.
func (db *DB) UpdatePublicity(ctx context.Context, e *backstop.PublicityEvent, from backstop.PublicityState) error {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return err
	}
	old, err := db.FindPublicity(ctx, e.ID)
	if err != nil {
		return backstop.NotInRegion(u, err, "宣传活动", "the event")
	}
	if e.Township != "" && !backstop.CodeWithin(e.Township, old.County) {
		return backstop.Localized(backstop.EINVALID, "乡镇%s不在该活动所属县区内", "Township %s lies outside the event's county.", e.Township)
	}
	if err := writableBy(u, eventRegion(e)); err != nil {
		return err
	}
	return db.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, db.q(`UPDATE publicity_events SET title = ?, township_code = ?, date = ?, place = ?, organiser = ?, audience = ?, materials = ?, state = ? WHERE id = ? AND state = ?`),
			e.Title, e.Township, e.Date, e.Place, e.Organiser, e.Audience, e.Materials, string(e.State), e.ID, string(from))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return backstop.E(backstop.ECONFLICT, "conflict.changed", backstop.Named{ZH: "该宣传活动", EN: "The event"})
		}
		return db.auditIn(ctx, tx, eventRegion(e), "publicity."+string(e.State), "publicity", fmt.Sprint(e.ID), string(from)+" → "+string(e.State))
	})
}

// FindPublicity returns an event of the user's region.
func (db *DB) FindPublicity(ctx context.Context, id int64) (*backstop.PublicityEvent, error) {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return nil, err
	}
	scope, args := scopeWhere(u, publicityRegion)
	e, err := scanPublicity(db.read.QueryRowContext(ctx, db.q(`SELECT `+publicityColumns+` FROM publicity_events e`+where("e.id = ?", scope)), append([]any{id}, args...)...))
	if err == sql.ErrNoRows {
		return nil, backstop.E(backstop.ENOTFOUND, "notfound.thing", backstop.Named{ZH: "该宣传活动", EN: "The event"})
	}
	return e, db.translate(err)
}

// FindPublicities pages the events of the user's region.
func (db *DB) FindPublicities(ctx context.Context, f backstop.PublicityFilter) ([]*backstop.PublicityEvent, int, error) {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return nil, 0, err
	}
	scope, args := scopeWhere(u, publicityRegion)
	within, wargs, err := regionWithin(f.Region, publicityRegion)
	if err != nil {
		return nil, 0, err
	}
	conds := []string{scope, within}
	args = append(args, wargs...)
	if f.Year != 0 {
		conds, args = append(conds, "e.year = ?"), append(args, f.Year)
	}
	if f.Theme != "" {
		conds, args = append(conds, "e.theme = ?"), append(args, f.Theme)
	}
	if f.State != "" {
		conds, args = append(conds, "e.state = ?"), append(args, string(f.State))
	}
	cond := where(conds...)
	var total int
	if err := db.read.QueryRowContext(ctx, db.q(`SELECT count(*) FROM publicity_events e`+cond), args...).Scan(&total); err != nil {
		return nil, 0, db.translate(err)
	}
	rows, err := db.read.QueryContext(ctx, db.q(`SELECT `+publicityColumns+` FROM publicity_events e`+cond+` ORDER BY e.date, e.county_code, e.id LIMIT ? OFFSET ?`), append(args, pageLimit(f.Limit), f.Offset)...)
	if err != nil {
		return nil, 0, db.translate(err)
	}
	defer rows.Close()
	out := []*backstop.PublicityEvent{}
	for rows.Next() {
		e, err := scanPublicity(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, e)
	}
	return out, total, db.translate(rows.Err())
}

// PublicityCoverage lists the townships of region with the events held in
// them in year and their audience.
func (db *DB) PublicityCoverage(ctx context.Context, region string, year int) ([]*backstop.PublicityCoverage, error) {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return nil, err
	}
	if !u.InScope(region) {
		return nil, backstop.E(backstop.ENOTFOUND, "notfound.thing", backstop.Named{ZH: "区划" + region, EN: "Region " + region})
	}
	lo, hi := backstop.CodeRange(region)
	rows, err := db.read.QueryContext(ctx, db.q(`SELECT t.code, t.name, count(e.id), COALESCE(sum(e.audience), 0) FROM regions t
 LEFT JOIN publicity_events e ON e.township_code = t.code AND e.year = ? AND e.state = ?
 WHERE t.level = ? AND t.code BETWEEN ? AND ? GROUP BY t.code, t.name ORDER BY t.code`), year, string(backstop.PublicityHeld), int(backstop.LevelTownship), lo, hi)
	if err != nil {
		return nil, db.translate(err)
	}
	defer rows.Close()
	out := []*backstop.PublicityCoverage{}
	for rows.Next() {
		var c backstop.PublicityCoverage
		if err := rows.Scan(&c.Township, &c.Name, &c.Held, &c.Audience); err != nil {
			return nil, err
		}
		out = append(out, &c)
	}
	return out, db.translate(rows.Err())
}
