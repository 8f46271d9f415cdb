package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/zhangye-backstop/backstop"
)

// scope returns the predicate that limits households (alias h) to the
// user's region.
func scope(u *backstop.User) (string, []any) {
	if u.Region == backstop.NationalScope {
		return "1 = 1", nil
	}
	lo, hi := backstop.CodeRange(u.Region)
	return "h.village_code BETWEEN ? AND ?", []any{lo, hi}
}

const householdSelect = `SELECT h.id, h.number, h.village_code, h.natural_village, h.head_name, h.size, h.people, h.type, h.monitor_type,
 h.risk_cleared, h.risk_identified_on, h.risk_cleared_on, h.income_per_capita, h.dangerous_house, h.safe_water, h.phone,
 h.housing_structure, h.housing_grade, h.relocation_high_rise, h.livelihood, h.water_source, h.assistance, h.helper_name,
 h.helper_phone, h.lon, h.lat, h.data_date, h.groups, h.youngest_birth, h.version, h.updated_at,
 COALESCE(v.name, ''), COALESCE(t.name, ''), COALESCE(c.name, '')
 FROM households h
 LEFT JOIN regions v ON v.code = h.village_code
 LEFT JOIN regions t ON t.code = v.parent_code
 LEFT JOIN regions c ON c.code = t.parent_code`

func boolPtr(n sql.NullBool) *bool {
	if !n.Valid {
		return nil
	}
	b := n.Bool
	return &b
}

// scanHousehold reads a household row; elderlyCutoff is the latest birth
// date of an elderly person today (db.elderlyCutoff).
func scanHousehold(sc interface{ Scan(...any) error }, elderlyCutoff string) (*backstop.Household, error) {
	var h backstop.Household
	var riskCleared, dangerous, safeWater, relocation sql.NullBool
	var income, lon, lat sql.NullFloat64
	var groups int64
	err := sc.Scan(&h.ID, &h.Number, &h.VillageCode, &h.NaturalVillage, &h.HeadName, &h.Size, &h.People, &h.Type, &h.MonitorType,
		&riskCleared, &h.RiskIdentifiedOn, &h.RiskClearedOn, &income, &dangerous, &safeWater, &h.Phone,
		&h.HousingStructure, &h.HousingGrade, &relocation, &h.Livelihood, &h.WaterSource, &h.SocialAssistance, &h.HelperName,
		&h.HelperPhone, &lon, &lat, &h.DataDate, &groups, &h.YoungestBirth, &h.Version, &h.UpdatedAt,
		&h.VillageName, &h.TownshipName, &h.CountyName)
	if err != nil {
		return nil, err
	}
	h.RiskCleared, h.DangerousHouse, h.SafeWater, h.RelocationHighRise = boolPtr(riskCleared), boolPtr(dangerous), boolPtr(safeWater), boolPtr(relocation)
	if income.Valid {
		h.IncomePerCapita = &income.Float64
	}
	if lon.Valid && lat.Valid {
		h.Location = &backstop.Point{Lon: lon.Float64, Lat: lat.Float64}
	}
	h.Groups = backstop.Group(groups)
	if h.People == 1 && h.YoungestBirth != "" && h.YoungestBirth <= elderlyCutoff {
		h.Groups |= backstop.GroupElderlyAlone
	}
	return &h, nil
}

// numberLike tells a search for a number (digits, an ID number's final
// X included) from one for a name.
func numberLike(q string) bool {
	for i := 0; i < len(q); i++ {
		if c := q[i]; (c < '0' || c > '9') && !((c == 'X' || c == 'x') && i == len(q)-1 && i > 0) {
			return false
		}
	}
	return true
}

// memberFields are what scanMember reads, in its order.
const memberFields = `m.id, m.number, m.name, m.id_number, m.relation, m.phone, m.birth_date, m.disabled, m.details`

const memberSelect = `SELECT ` + memberFields + ` FROM members m`

// scanMember reads memberFields, after any leading destinations given.
func scanMember(sc interface{ Scan(...any) error }, lead ...any) (*backstop.Member, error) {
	var m backstop.Member
	var details string
	err := sc.Scan(append(lead, &m.ID, &m.Number, &m.Name, &m.IDNumber, &m.Relation, &m.Phone, &m.BirthDate, &m.Disabled, &details)...)
	if err != nil {
		return nil, err
	}
	if err := setMemberDetails(&m, details); err != nil {
		return nil, err
	}
	return &m, nil
}

// FindHousehold returns a household in the user's scope with its members.
func (db *DB) FindHousehold(ctx context.Context, number string) (*backstop.Household, error) {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return nil, err
	}
	if err := u.Require(backstop.PermReadRegistry); err != nil {
		return nil, err
	}
	sc, sargs := scope(u)
	h, err := scanHousehold(db.read.QueryRowContext(ctx, db.q(householdSelect+` WHERE h.number = ? AND NOT h.deleted AND `+sc), append([]any{number}, sargs...)...), db.elderlyCutoff(time.Now()))
	if err == sql.ErrNoRows {
		return nil, backstop.Localized(backstop.ENOTFOUND, "找不到户%s", "Household %s not found.", number)
	} else if err != nil {
		return nil, db.translate(err)
	}
	if h.Members, err = db.members(ctx, db.read, h.ID, h.Number); err != nil {
		return nil, err
	}
	h.LocalDecision, err = db.localDecision(ctx, h.ID)
	return h, err
}

// lockRow makes the writes that check a total before adding to it wait
// for each other: a household's loans and subsidy payments, a case's
// helped flag recomputed from its measures. On SQLite every write
// transaction holds the one write lock already; on PostgreSQL the row
// (of households or cases) is locked until the transaction ends, so the
// second writer's statements read the first one's commit, not a snapshot
// taken while waiting.
func (db *DB) lockRow(ctx context.Context, tx *sql.Tx, table string, id int64) error {
	if db.dialect != Postgres {
		return nil
	}
	_, err := tx.ExecContext(ctx, `SELECT id FROM `+table+` WHERE id = $1 FOR UPDATE`, id)
	return err
}

// MaxHouseholdsByID bounds one HouseholdsByID read.
const MaxHouseholdsByID = 5000

// HouseholdsByID returns the households of ids in the user's scope with
// their members (not their local decision), by id: the checks across
// many cases read their households a page at a time this way, not one
// query a household. Ids outside the scope or deleted are left out.
func (db *DB) HouseholdsByID(ctx context.Context, ids []int64) (map[int64]*backstop.Household, error) {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return nil, err
	}
	if err := u.Require(backstop.PermReadRegistry); err != nil {
		return nil, err
	}
	if len(ids) > MaxHouseholdsByID {
		return nil, backstop.Localized(backstop.EINVALID, "一次最多读取%d户", "At most %d households at once.", MaxHouseholdsByID)
	}
	out := make(map[int64]*backstop.Household, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	idArgs := make([]any, len(ids))
	for i, id := range ids {
		idArgs[i] = id
	}
	sc, sargs := scope(u)
	rows, err := db.read.QueryContext(ctx, db.q(householdSelect+` WHERE h.id IN (`+placeholders(len(ids))+`) AND NOT h.deleted AND `+sc), append(idArgs, sargs...)...)
	if err != nil {
		return nil, db.translate(err)
	}
	defer rows.Close()
	cutoff := db.elderlyCutoff(time.Now())
	for rows.Next() {
		h, err := scanHousehold(rows, cutoff)
		if err != nil {
			return nil, err
		}
		h.Members = []*backstop.Member{}
		out[h.ID] = h
	}
	if err := rows.Err(); err != nil {
		return nil, db.translate(err)
	}
	rows.Close()
	mrows, err := db.read.QueryContext(ctx, db.q(`SELECT m.household_id, `+memberFields+` FROM members m WHERE m.household_id IN (`+placeholders(len(ids))+`)
 ORDER BY m.household_id, CASE WHEN m.relation = '户主' THEN 0 ELSE 1 END, m.number`), idArgs...)
	if err != nil {
		return nil, db.translate(err)
	}
	defer mrows.Close()
	for mrows.Next() {
		var householdID int64
		m, err := scanMember(mrows, &householdID)
		if err != nil {
			return nil, err
		}
		if h := out[householdID]; h != nil {
			m.HouseholdNumber = h.Number
			h.Members = append(h.Members, m)
		}
	}
	return out, db.translate(mrows.Err())
}

func (db *DB) members(ctx context.Context, ex execer, householdID int64, number string) ([]*backstop.Member, error) {
	rows, err := ex.QueryContext(ctx, db.q(memberSelect+` WHERE m.household_id = ? ORDER BY CASE WHEN m.relation = '户主' THEN 0 ELSE 1 END, m.number`), householdID)
	if err != nil {
		return nil, db.translate(err)
	}
	defer rows.Close()
	var out []*backstop.Member
	for rows.Next() {
		m, err := scanMember(rows)
		if err != nil {
			return nil, err
		}
		m.HouseholdNumber = number
		out = append(out, m)
	}
	return out, db.translate(rows.Err())
}

// householdWhere builds the WHERE clause of a household list.
func (db *DB) householdWhere(u *backstop.User, f backstop.HouseholdFilter, now time.Time) (string, []any, error) {
	sc, args := scope(u)
	where := []string{"NOT h.deleted", sc}
	if f.Region != "" && f.Region != backstop.NationalScope {
		code, err := backstop.NormalizeRegionCode(f.Region)
		if err != nil {
			return "", nil, err
		}
		lo, hi := backstop.CodeRange(code)
		where, args = append(where, "h.village_code BETWEEN ? AND ?"), append(args, lo, hi)
	}
	if f.Groups != 0 {
		var any []string
		if stored := f.Groups & backstop.StoredGroups; stored != 0 {
			any, args = append(any, "(h.groups & ?) <> 0"), append(args, int64(stored))
		}
		if f.Groups&backstop.GroupElderlyAlone != 0 {
			any, args = append(any, "(h.people = 1 AND h.youngest_birth <> '' AND h.youngest_birth <= ?)"), append(args, db.elderlyCutoff(now))
		}
		where = append(where, "("+strings.Join(any, " OR ")+")")
	}
	if q := strings.TrimSpace(f.Query); q != "" {
		if numberLike(q) {
			// A household or person number or an ID number matches
			// exactly, through their indexes (names hold no digits): a
			// probe of every household's members took seconds at a
			// million households.
			where = append(where, `(h.number = ? OR h.id IN (SELECT household_id FROM members WHERE number = ? OR id_number = ?))`)
			args = append(args, q, q, strings.ToUpper(q))
		} else {
			like := "%" + escapeLike(q) + "%"
			where = append(where, `(h.head_name LIKE ? ESCAPE '\' OR EXISTS (SELECT 1 FROM members m WHERE m.household_id = h.id AND m.name LIKE ? ESCAPE '\'))`)
			args = append(args, like, like)
		}
	}
	if f.After != nil {
		where, args = append(where, "(h.village_code > ? OR (h.village_code = ? AND h.number > ?))"), append(args, f.After.Village, f.After.Village, f.After.Number)
	}
	return strings.Join(where, " AND "), args, nil
}

// MaxPageSize caps limit on every list.
const MaxPageSize = 1000

// FindHouseholds lists households in the user's scope.
func (db *DB) FindHouseholds(ctx context.Context, f backstop.HouseholdFilter) ([]*backstop.Household, int, error) {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return nil, 0, err
	}
	if err := u.Require(backstop.PermReadRegistry); err != nil {
		return nil, 0, err
	}
	cond, args, err := db.householdWhere(u, f, db.now())
	if err != nil {
		return nil, 0, err
	}
	var total int
	if f.After == nil {
		if err := db.read.QueryRowContext(ctx, db.q(`SELECT count(*) FROM households h WHERE `+cond), args...).Scan(&total); err != nil {
			return nil, 0, db.translate(err)
		}
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 20
	}
	limit = min(limit, MaxPageSize)
	rows, err := db.read.QueryContext(ctx, db.q(householdSelect+` WHERE `+cond+` ORDER BY h.village_code, h.number LIMIT ? OFFSET ?`), append(args, limit, max(f.Offset, 0))...)
	if err != nil {
		return nil, 0, db.translate(err)
	}
	defer rows.Close()
	out := []*backstop.Household{}
	cutoff := db.elderlyCutoff(time.Now())
	for rows.Next() {
		h, err := scanHousehold(rows, cutoff)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, h)
	}
	return out, total, db.translate(rows.Err())
}

// ExportHouseholds streams every household in the user's scope that the
// filter selects, with members, in key order; fn is called per household.
func (db *DB) ExportHouseholds(ctx context.Context, f backstop.HouseholdFilter, fn func(*backstop.Household) error) error {
	f.Offset, f.Limit = 0, 500
	for {
		page, _, err := db.FindHouseholds(ctx, f)
		if err != nil {
			return err
		}
		if len(page) == 0 {
			return nil
		}
		ids := make([]any, len(page))
		byID := map[int64]*backstop.Household{}
		for i, h := range page {
			ids[i] = h.ID
			byID[h.ID] = h
		}
		rows, err := db.read.QueryContext(ctx, db.q(`SELECT m.household_id, `+memberFields+`
 FROM members m WHERE m.household_id IN (?`+strings.Repeat(",?", len(ids)-1)+`) ORDER BY m.household_id, CASE WHEN m.relation = '户主' THEN 0 ELSE 1 END, m.number`), ids...)
		if err != nil {
			return db.translate(err)
		}
		for rows.Next() {
			var hid int64
			m, err := scanMember(rows, &hid)
			if err != nil {
				rows.Close()
				return err
			}
			h := byID[hid]
			m.HouseholdNumber = h.Number
			h.Members = append(h.Members, m)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, h := range page {
			if err := fn(h); err != nil {
				return err
			}
		}
		last := page[len(page)-1]
		f.After = &backstop.HouseholdKey{Village: last.VillageCode, Number: last.Number}
	}
}

// HouseholdHistory lists a household's recorded changes, newest first.
func (db *DB) HouseholdHistory(ctx context.Context, number string, limit, offset int) ([]*backstop.HistoryEntry, int, error) {
	h, err := db.FindHousehold(ctx, number) // applies the scope
	if err != nil {
		return nil, 0, err
	}
	if limit <= 0 || limit > MaxPageSize {
		limit = MaxPageSize
	}
	var total int
	if err := db.read.QueryRowContext(ctx, db.q(`SELECT count(*) FROM household_history WHERE household_id = ?`), h.ID).Scan(&total); err != nil {
		return nil, 0, db.translate(err)
	}
	rows, err := db.read.QueryContext(ctx, db.q(`SELECT at, actor, action, detail FROM household_history WHERE household_id = ? ORDER BY id DESC LIMIT ? OFFSET ?`), h.ID, limit, max(offset, 0))
	if err != nil {
		return nil, 0, db.translate(err)
	}
	defer rows.Close()
	var out []*backstop.HistoryEntry
	for rows.Next() {
		var e backstop.HistoryEntry
		if err := rows.Scan(&e.At, &e.Actor, &e.Action, &e.Detail); err != nil {
			return nil, 0, err
		}
		out = append(out, &e)
	}
	return out, total, rows.Err()
}

// RegionCounts aggregates households in the user's scope under parent by
// its direct children, with the parent's own total.
func (db *DB) RegionCounts(ctx context.Context, parent string) (map[string]*backstop.RegionCounts, error) {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return nil, err
	}
	if err := u.Require(backstop.PermReadRegistry); err != nil {
		return nil, err
	}
	level := backstop.RegionLevel(0)
	if parent != backstop.NationalScope {
		if parent, err = backstop.NormalizeRegionCode(parent); err != nil {
			return nil, err
		}
		level = backstop.LevelOfCode(parent)
	}
	child := level + 1
	if child > backstop.LevelVillage {
		child = backstop.LevelVillage
	}
	n := child.PrefixLen()
	cond, args, err := db.householdWhere(u, backstop.HouseholdFilter{Region: parent}, db.now())
	if err != nil {
		return nil, err
	}
	cols := []string{fmt.Sprintf("substr(h.village_code, 1, %d)", n), "count(*)", "COALESCE(sum(h.people), 0)"}
	var gargs []any
	for _, g := range backstop.Groups {
		if g == backstop.GroupElderlyAlone {
			cols = append(cols, "COALESCE(sum(CASE WHEN h.people = 1 AND h.youngest_birth <> '' AND h.youngest_birth <= ? THEN 1 ELSE 0 END), 0)")
			gargs = append(gargs, db.elderlyCutoff(db.now()))
			continue
		}
		cols = append(cols, fmt.Sprintf("COALESCE(sum(CASE WHEN (h.groups & %d) <> 0 THEN 1 ELSE 0 END), 0)", g))
	}
	rows, err := db.read.QueryContext(ctx, db.q(`SELECT `+strings.Join(cols, ", ")+` FROM households h WHERE `+cond+` GROUP BY 1`), append(gargs, args...)...)
	if err != nil {
		return nil, db.translate(err)
	}
	defer rows.Close()
	out := map[string]*backstop.RegionCounts{}
	total := &backstop.RegionCounts{Groups: map[backstop.Group]int{}}
	for rows.Next() {
		var prefix string
		c := &backstop.RegionCounts{Groups: map[backstop.Group]int{}}
		counts := make([]int, len(backstop.Groups))
		dest := []any{&prefix, &c.Households, &c.People}
		for i := range counts {
			dest = append(dest, &counts[i])
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, err
		}
		for i, g := range backstop.Groups {
			c.Groups[g] = counts[i]
			total.Groups[g] += counts[i]
		}
		total.Households += c.Households
		total.People += c.People
		out[prefix+strings.Repeat("0", 12-len(prefix))] = c
	}
	out[parent] = total
	return out, rows.Err()
}

// RegistryRev returns the current registry revision.
func (db *DB) RegistryRev(ctx context.Context) (int64, error) {
	var rev int64
	err := db.read.QueryRowContext(ctx, `SELECT rev FROM registry_rev WHERE id = 1`).Scan(&rev)
	return rev, db.translate(err)
}
