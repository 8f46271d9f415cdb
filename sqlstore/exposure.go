package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"runtime"
	"sort"
	"strings"

	"github.com/zhangye-backstop/backstop"
)

// SaveExposure stores a snapshot: its totals per village and its ranked
// households, in one transaction.
func (db *DB) SaveExposure(ctx context.Context, s *backstop.ExposureSnapshot) (int64, error) {
	if _, err := backstop.RequireUser(ctx); err != nil {
		return 0, err
	}
	policies, _ := json.Marshal(s.PolicyIDs)
	var households, people int
	for _, c := range s.Villages {
		households += c.Households
		people += c.People
	}
	var id int64
	err := db.inConnTx(ctx, func(conn *sql.Conn, tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, db.q(`INSERT INTO exposure_snapshots (warning_id, computed_at, registry_rev, households, people, policy_ids, took_ms) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`),
			s.WarningID, s.ComputedAt.UTC(), s.RegistryRev, households, people, string(policies), s.TookMS).Scan(&id)
		if err != nil {
			return err
		}
		codes := make([]string, 0, len(s.Villages))
		for code := range s.Villages {
			codes = append(codes, code)
		}
		sort.Strings(codes)
		var rows [][]any
		for _, code := range codes {
			b, _ := json.Marshal(s.Villages[code])
			rows = append(rows, []any{id, code, string(b)})
		}
		if err := db.insertMany(ctx, tx, "exposure_villages", []string{"snapshot_id", "village_code", "counts"}, rows); err != nil {
			return err
		}
		// The ranked list can hold a million households: bulk, in chunks.
		var layout *copyTable
		cols := []string{"snapshot_id", "rank", "household_id", "village_code", "score", "reasons"}
		for start := 0; start < len(s.Ranked); start += 20000 {
			part := s.Ranked[start:min(start+20000, len(s.Ranked))]
			rows = make([][]any, len(part))
			for i, h := range part {
				reasons, _ := json.Marshal(h.Reasons)
				rows[i] = []any{id, int64(start + i + 1), h.HouseholdID, h.VillageCode, int64(h.Score), string(reasons)}
			}
			if err := db.bulkInsert(ctx, conn, tx, &layout, "exposure_households", cols, rows); err != nil {
				return err
			}
		}
		return nil
	})
	return id, err
}

// insertMany inserts rows in multi-row statements.
func (db *DB) insertMany(ctx context.Context, tx *sql.Tx, table string, cols []string, rows [][]any) error {
	per := max(1, 30000/len(cols)/4)
	for start := 0; start < len(rows); start += per {
		chunk := rows[start:min(start+per, len(rows))]
		args := make([]any, 0, len(chunk)*len(cols))
		for _, r := range chunk {
			args = append(args, r...)
		}
		if _, err := tx.ExecContext(ctx, db.q(`INSERT INTO `+table+` (`+strings.Join(cols, ", ")+`) VALUES `+valuesList(len(chunk), len(cols))), args...); err != nil {
			return err
		}
	}
	return nil
}

// FindExposure returns a warning's latest exposure, summed within the
// user's region.
func (db *DB) FindExposure(ctx context.Context, warningID int64) (*backstop.Exposure, error) {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return nil, err
	}
	if err := u.Require(backstop.PermReadWarnings); err != nil {
		return nil, err
	}
	e := &backstop.Exposure{WarningID: warningID, Scope: u.Region}
	var policies string
	err = db.read.QueryRowContext(ctx, db.q(`SELECT id, computed_at, registry_rev, policy_ids, took_ms FROM exposure_snapshots WHERE warning_id = ? ORDER BY id DESC LIMIT 1`), warningID).
		Scan(&e.SnapshotID, &e.ComputedAt, &e.RegistryRev, &policies, &e.TookMS)
	if err == sql.ErrNoRows {
		return nil, backstop.Localized(backstop.ENOTFOUND, "预警%d尚未计算影响范围", "No exposure has been computed for warning %d.", warningID)
	} else if err != nil {
		return nil, db.translate(err)
	}
	json.Unmarshal([]byte(policies), &e.PolicyIDs)
	cond, args := "snapshot_id = ?", []any{e.SnapshotID}
	if u.Region != backstop.NationalScope {
		lo, hi := backstop.CodeRange(u.Region)
		cond, args = cond+" AND village_code BETWEEN ? AND ?", append(args, lo, hi)
	}
	rows, err := db.read.QueryContext(ctx, db.q(`SELECT village_code, counts FROM exposure_villages WHERE `+cond+` ORDER BY village_code`), args...)
	if err != nil {
		return nil, db.translate(err)
	}
	defer rows.Close()
	e.Total = backstop.NewExposureCounts()
	county, town := map[string]*backstop.ExposureCounts{}, map[string]*backstop.ExposureCounts{}
	for rows.Next() {
		var code, counts string
		if err := rows.Scan(&code, &counts); err != nil {
			return nil, err
		}
		c := backstop.NewExposureCounts()
		if err := json.Unmarshal([]byte(counts), c); err != nil {
			return nil, fmt.Errorf("exposure counts of %s: %w", code, err)
		}
		e.ByVillage = append(e.ByVillage, backstop.RegionExposure{Code: code, ExposureCounts: c})
		e.Total.Add(c)
		for _, agg := range []struct {
			m    map[string]*backstop.ExposureCounts
			code string
		}{{county, code[:6] + "000000"}, {town, code[:9] + "000"}} {
			if agg.m[agg.code] == nil {
				agg.m[agg.code] = backstop.NewExposureCounts()
			}
			agg.m[agg.code].Add(c)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, agg := range []struct {
		m   map[string]*backstop.ExposureCounts
		dst *[]backstop.RegionExposure
	}{{county, &e.ByCounty}, {town, &e.ByTownship}} {
		for code, c := range agg.m {
			*agg.dst = append(*agg.dst, backstop.RegionExposure{Code: code, ExposureCounts: c})
		}
	}
	for _, list := range [][]backstop.RegionExposure{e.ByCounty, e.ByTownship, e.ByVillage} {
		sort.Slice(list, func(i, j int) bool {
			if list[i].Households != list[j].Households {
				return list[i].Households > list[j].Households
			}
			return list[i].Code < list[j].Code
		})
	}
	names, err := db.regionNames(ctx)
	if err != nil {
		return nil, err
	}
	for _, list := range [][]backstop.RegionExposure{e.ByCounty, e.ByTownship, e.ByVillage} {
		for i := range list {
			list[i].Name = names[list[i].Code]
		}
	}
	return e, nil
}

// regionNames maps codes to names for the levels breakdowns use.
func (db *DB) regionNames(ctx context.Context) (map[string]string, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT code, name FROM regions WHERE level >= 3`)
	if err != nil {
		return nil, db.translate(err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var c, n string
		if err := rows.Scan(&c, &n); err != nil {
			return nil, err
		}
		out[c] = n
	}
	return out, rows.Err()
}

// FindExposedHouseholds pages a snapshot's ranked list within the user's
// region, with each household's name and (masked by the caller) phones.
func (db *DB) FindExposedHouseholds(ctx context.Context, snapshotID int64, offset, limit int) ([]*backstop.ExposedHousehold, int, error) {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return nil, 0, err
	}
	if err := u.Require(backstop.PermReadRegistry); err != nil {
		return nil, 0, err
	}
	cond, args := "e.snapshot_id = ?", []any{snapshotID}
	if u.Region != backstop.NationalScope {
		lo, hi := backstop.CodeRange(u.Region)
		cond, args = cond+" AND e.village_code BETWEEN ? AND ?", append(args, lo, hi)
	}
	var total int
	if err := db.read.QueryRowContext(ctx, db.q(`SELECT count(*) FROM exposure_households e WHERE `+cond), args...).Scan(&total); err != nil {
		return nil, 0, db.translate(err)
	}
	if limit <= 0 || limit > MaxPageSize {
		limit = 50
	}
	rows, err := db.read.QueryContext(ctx, db.q(`SELECT e.rank, e.household_id, e.village_code, e.score, e.reasons, h.number, h.head_name, h.people, h.phone, h.helper_name, h.helper_phone,
 COALESCE(v.name, ''), COALESCE(t.name, '')
 FROM exposure_households e JOIN households h ON h.id = e.household_id
 LEFT JOIN regions v ON v.code = e.village_code LEFT JOIN regions t ON t.code = v.parent_code
 WHERE `+cond+` ORDER BY e.rank LIMIT ? OFFSET ?`), append(args, limit, offset)...)
	if err != nil {
		return nil, 0, db.translate(err)
	}
	defer rows.Close()
	out := []*backstop.ExposedHousehold{}
	for rows.Next() {
		var h backstop.ExposedHousehold
		var reasons string
		if err := rows.Scan(&h.Rank, &h.HouseholdID, &h.VillageCode, &h.Score, &reasons, &h.Number, &h.HeadName, &h.People, &h.Phone, &h.HelperName, &h.HelperPhone, &h.Village, &h.Township); err != nil {
			return nil, 0, err
		}
		json.Unmarshal([]byte(reasons), &h.Reasons)
		out = append(out, &h)
	}
	return out, total, rows.Err()
}

// ScanHouseholdPoints streams households changed after sinceRev for the
// exposure index and returns the registry revision read up to. fn is
// called from one goroutine. A full load (sinceRev 0) reads id ranges on
// several connections at once: decoding rows is most of the cost, and it
// spreads over the cores.
func (db *DB) ScanHouseholdPoints(ctx context.Context, sinceRev int64, fn func(backstop.HouseholdPoint) error) (int64, error) {
	maxRev := sinceRev
	if err := db.read.QueryRowContext(ctx, `SELECT rev FROM registry_rev WHERE id = 1`).Scan(&maxRev); err != nil {
		return 0, db.translate(err)
	}
	if sinceRev > 0 {
		err := db.scanPoints(ctx, db.q(pointColumns+` WHERE rev > ? AND rev <= ?`), []any{sinceRev, maxRev}, func(batch []backstop.HouseholdPoint) error {
			for _, p := range batch {
				if err := fn(p); err != nil {
					return err
				}
			}
			return nil
		})
		return maxRev, err
	}
	var lo, hi sql.NullInt64
	if err := db.read.QueryRowContext(ctx, `SELECT min(id), max(id) FROM households`).Scan(&lo, &hi); err != nil {
		return 0, db.translate(err)
	}
	if !lo.Valid {
		return maxRev, nil
	}
	// Rows newer than maxRev may come too (each range is read a moment
	// later): applying them again at the next sync changes nothing.
	parts := max(1, min(runtime.GOMAXPROCS(0), 8))
	step := (hi.Int64-lo.Int64)/int64(parts) + 1
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	batches := make(chan []backstop.HouseholdPoint, 2*parts)
	errs := make(chan error, parts)
	for i := range parts {
		from := lo.Int64 + int64(i)*step
		go func() {
			errs <- db.scanPoints(ctx, db.q(pointColumns+` WHERE id >= ? AND id < ?`), []any{from, from + step}, func(batch []backstop.HouseholdPoint) error {
				select {
				case batches <- batch:
					return nil
				case <-ctx.Done():
					return ctx.Err()
				}
			})
		}()
	}
	go func() {
		var first error
		for range parts {
			if err := <-errs; err != nil && first == nil {
				first = err
				cancel()
			}
		}
		errs <- first
		close(batches)
	}()
	var fnErr error
	for batch := range batches {
		if fnErr != nil {
			continue
		}
		for _, p := range batch {
			if fnErr = fn(p); fnErr != nil {
				cancel()
				break
			}
		}
	}
	if fnErr != nil {
		return 0, fnErr
	}
	if err := <-errs; err != nil {
		return 0, db.translate(err)
	}
	return maxRev, nil
}

const pointColumns = `SELECT id, lon, lat, village_code, groups, people, housing_grade, housing_structure, livelihood, water_source,
 relocation_high_rise, youngest_birth, deleted, rev FROM households`

// scanPoints runs one query of pointColumns and hands its rows on in
// batches. Text values repeat across millions of rows: villages come in
// runs (households are stored village by village) and coded columns hold a
// handful of values, so they are shared rather than allocated per row.
func (db *DB) scanPoints(ctx context.Context, query string, args []any, emit func([]backstop.HouseholdPoint) error) error {
	rows, err := db.read.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	var small [4][]string
	share := func(i int, b sql.RawBytes) string {
		for _, s := range small[i] {
			if s == string(b) {
				return s
			}
		}
		s := string(b)
		if len(small[i]) < 64 {
			small[i] = append(small[i], s)
		}
		return s
	}
	const batchSize = 4096
	batch := make([]backstop.HouseholdPoint, 0, batchSize)
	locations := make([]backstop.Point, batchSize)
	lastVillage := ""
	var village, grade, structure, livelihood, water, youngest sql.RawBytes
	for rows.Next() {
		var p backstop.HouseholdPoint
		var lon, lat sql.NullFloat64
		var groups int64
		var relocation sql.NullBool
		if err := rows.Scan(&p.ID, &lon, &lat, &village, &groups, &p.People, &grade, &structure, &livelihood, &water,
			&relocation, &youngest, &p.Deleted, &p.Rev); err != nil {
			return err
		}
		if lastVillage != string(village) {
			lastVillage = string(village)
		}
		p.VillageCode = lastVillage
		p.HousingGrade, p.HousingStructure = share(0, grade), share(1, structure)
		p.Livelihood, p.WaterSource, p.YoungestBirth = share(2, livelihood), share(3, water), string(youngest)
		if lon.Valid && lat.Valid {
			loc := &locations[len(batch)]
			loc.Lon, loc.Lat = lon.Float64, lat.Float64
			p.Location = loc
		}
		p.Groups = backstop.Group(groups)
		p.RelocationHighRise = relocation.Valid && relocation.Bool
		batch = append(batch, p)
		if len(batch) == batchSize {
			if err := emit(batch); err != nil {
				return err
			}
			batch = make([]backstop.HouseholdPoint, 0, batchSize)
			locations = make([]backstop.Point, batchSize)
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if len(batch) > 0 {
		return emit(batch)
	}
	return nil
}
