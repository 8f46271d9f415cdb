package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/geo"
)

const regionColumns = `code, name, level, COALESCE(parent_code, ''), centre_lon, centre_lat, boundary_source`

func scanRegion(sc interface{ Scan(...any) error }, withBoundary bool) (*backstop.Region, error) {
	var r backstop.Region
	var lon, lat sql.NullFloat64
	var boundary sql.NullString
	dest := []any{&r.Code, &r.Name, &r.Level, &r.ParentCode, &lon, &lat, &r.BoundarySource}
	if withBoundary {
		dest = append(dest, &boundary)
	}
	if err := sc.Scan(dest...); err != nil {
		return nil, err
	}
	if lon.Valid && lat.Valid {
		r.Centre = &backstop.Point{Lon: lon.Float64, Lat: lat.Float64}
	}
	if boundary.Valid && boundary.String != "" {
		mp, err := geo.ParseGeometry([]byte(boundary.String))
		if err != nil {
			return nil, fmt.Errorf("stored boundary of %s: %w", r.Code, err)
		}
		r.Boundary = mp
	}
	return &r, nil
}

// FindRegion returns one region, with its boundary when asked.
func (db *DB) FindRegion(ctx context.Context, code string, withBoundary bool) (*backstop.Region, error) {
	norm, err := backstop.NormalizeRegionCode(code)
	if err != nil {
		return nil, err
	}
	cols := regionColumns
	if withBoundary {
		cols += ", boundary"
	}
	r, err := scanRegion(db.read.QueryRowContext(ctx, db.q(`SELECT `+cols+` FROM regions WHERE code = ?`), norm), withBoundary)
	if err == sql.ErrNoRows {
		return nil, backstop.Localized(backstop.ENOTFOUND, "找不到行政区划%s", "Region %s not found.", norm)
	}
	return r, db.translate(err)
}

// FindRegions lists regions by parent, subtree, level or name.
func (db *DB) FindRegions(ctx context.Context, f backstop.RegionFilter) ([]*backstop.Region, int, error) {
	var where []string
	var args []any
	if f.Parent != "" {
		p, err := backstop.NormalizeRegionCode(f.Parent)
		if err != nil {
			return nil, 0, err
		}
		where, args = append(where, "parent_code = ?"), append(args, p)
	}
	if f.Within != "" && f.Within != backstop.NationalScope {
		w, err := backstop.NormalizeRegionCode(f.Within)
		if err != nil {
			return nil, 0, err
		}
		lo, hi := backstop.CodeRange(w)
		where, args = append(where, "code BETWEEN ? AND ?"), append(args, lo, hi)
	}
	if f.Level != 0 {
		where, args = append(where, "level = ?"), append(args, int(f.Level))
	}
	if f.Query != "" {
		where, args = append(where, "name LIKE ? ESCAPE '\\'"), append(args, "%"+escapeLike(f.Query)+"%")
	}
	cond := ""
	if len(where) > 0 {
		cond = " WHERE " + strings.Join(where, " AND ")
	}
	var total int
	if err := db.read.QueryRowContext(ctx, db.q(`SELECT count(*) FROM regions`+cond), args...).Scan(&total); err != nil {
		return nil, 0, db.translate(err)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 1000
	}
	rows, err := db.read.QueryContext(ctx, db.q(`SELECT `+regionColumns+` FROM regions`+cond+` ORDER BY code LIMIT ? OFFSET ?`), append(args, limit, f.Offset)...)
	if err != nil {
		return nil, 0, db.translate(err)
	}
	defer rows.Close()
	var out []*backstop.Region
	for rows.Next() {
		r, err := scanRegion(rows, false)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, r)
	}
	return out, total, db.translate(rows.Err())
}

// ImportRegions creates or updates regions, parents first. An incoming
// region without a boundary keeps the stored one, so loading a code list
// never erases imported boundaries.
func (db *DB) ImportRegions(ctx context.Context, regions []*backstop.Region) (backstop.RegionImportResult, error) {
	var res backstop.RegionImportResult
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return res, err
	}
	if err := u.Require(backstop.PermManageRegions); err != nil {
		return res, err
	}
	sorted := append([]*backstop.Region(nil), regions...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Level < sorted[j].Level })
	now := db.now().UTC()
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		inBatch := map[string]bool{}
		var probs []backstop.Problem
		for _, r := range sorted {
			if r.ParentCode != "" && !inBatch[r.ParentCode] {
				var one int
				err := tx.QueryRowContext(ctx, db.q(`SELECT 1 FROM regions WHERE code = ?`), r.ParentCode).Scan(&one)
				if err == sql.ErrNoRows {
					probs = append(probs, backstop.Problem{Row: r.Row, Path: r.Code, Reason: fmt.Sprintf("parent region %s of %s (%s) does not exist; load it first", r.ParentCode, r.Code, r.Name),
						ReasonZH: fmt.Sprintf("%s（%s）的上级区划%s不存在，请先导入上级区划", r.Code, r.Name, r.ParentCode)})
					continue
				} else if err != nil {
					return err
				}
			}
			inBatch[r.Code] = true
			var name string
			var source string
			var boundary sql.NullString
			err := tx.QueryRowContext(ctx, db.q(`SELECT name, boundary_source, boundary FROM regions WHERE code = ?`), r.Code).Scan(&name, &source, &boundary)
			var lon, lat any
			if r.Centre != nil {
				lon, lat = r.Centre.Lon, r.Centre.Lat
			}
			var geom any
			if r.Boundary != nil {
				geom = string(geo.MarshalGeometry(r.Boundary))
			}
			parent := any(nil)
			if r.ParentCode != "" {
				parent = r.ParentCode
			}
			switch {
			case err == sql.ErrNoRows:
				_, err = tx.ExecContext(ctx, db.q(`INSERT INTO regions (code, name, level, parent_code, centre_lon, centre_lat, boundary, boundary_source, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`),
					r.Code, r.Name, int(r.Level), parent, lon, lat, geom, r.BoundarySource, now)
				if err != nil {
					return err
				}
				res.Created++
			case err != nil:
				return err
			case r.Boundary == nil && name == r.Name:
				res.Unchanged++
			case r.Boundary == nil:
				if _, err := tx.ExecContext(ctx, db.q(`UPDATE regions SET name = ?, updated_at = ? WHERE code = ?`), r.Name, now, r.Code); err != nil {
					return err
				}
				res.Updated++
			case name == r.Name && source == r.BoundarySource && boundary.String == geom:
				res.Unchanged++
			default:
				if _, err := tx.ExecContext(ctx, db.q(`UPDATE regions SET name = ?, centre_lon = ?, centre_lat = ?, boundary = ?, boundary_source = ?, updated_at = ? WHERE code = ?`),
					r.Name, lon, lat, geom, r.BoundarySource, now, r.Code); err != nil {
					return err
				}
				res.Updated++
			}
		}
		if len(probs) > 0 {
			return &backstop.Error{Code: backstop.EINVALID, Message: fmt.Sprintf("%d region(s) cannot be loaded: %s", len(probs), probs[0]), Details: probs}
		}
		return db.audit(ctx, tx, "regions.import", "region", "", fmt.Sprintf("created %d, updated %d, unchanged %d", res.Created, res.Updated, res.Unchanged))
	})
	if err != nil {
		return backstop.RegionImportResult{}, err
	}
	return res, nil
}

// RegionDirectory loads the codes and names a roster import resolves
// villages with. Names that occur twice under one township map to "", so
// that such a row must give the village code.
func (db *DB) RegionDirectory(ctx context.Context) (*backstop.RegionDirectory, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT code, name, level, COALESCE(parent_code, '') FROM regions WHERE level >= 3`)
	if err != nil {
		return nil, db.translate(err)
	}
	defer rows.Close()
	type reg struct {
		name, parent string
		level        int
	}
	all := map[string]reg{}
	for rows.Next() {
		var code string
		var r reg
		if err := rows.Scan(&code, &r.name, &r.level, &r.parent); err != nil {
			return nil, err
		}
		all[code] = r
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	d := &backstop.RegionDirectory{Villages: map[string]bool{}, ByName: map[string]string{}, Names: map[string]string{}}
	for code, r := range all {
		d.Names[code] = r.name
		if r.level != int(backstop.LevelVillage) {
			continue
		}
		d.Villages[code] = true
		town, ok := all[r.parent]
		if !ok {
			continue
		}
		county, ok := all[town.parent]
		if !ok {
			continue
		}
		key := county.name + "/" + town.name + "/" + r.name
		if _, dup := d.ByName[key]; dup {
			d.ByName[key] = ""
		} else {
			d.ByName[key] = code
		}
	}
	return d, nil
}

var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

func escapeLike(s string) string {
	return likeEscaper.Replace(s)
}
