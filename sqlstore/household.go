package sqlstore

import (
	"context"
	"database/sql"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/zhangye-backstop/backstop"
)

// householdWriteColumns are the household columns an import or an edit
// writes. people, head_name, youngest_birth and the disability bit are
// derived from the members written with the household; where other
// members may exist, refreshHouseholds recomputes them from the table.
var householdWriteColumns = []string{
	"number", "village_code", "natural_village", "head_name", "size", "people", "youngest_birth", "type", "monitor_type", "risk_cleared",
	"risk_identified_on", "risk_cleared_on", "income_per_capita", "dangerous_house", "safe_water", "phone",
	"housing_structure", "housing_grade", "relocation_high_rise", "livelihood", "water_source", "assistance",
	"helper_name", "helper_phone", "lon", "lat", "data_date", "groups", "row_hash", "rev", "created_at", "updated_at",
}

func nullBool(b *bool) any {
	if b == nil {
		return nil
	}
	return *b
}

func nullFloat(f *float64) any {
	if f == nil {
		return nil
	}
	return *f
}

// householdValues lists h's values in householdWriteColumns order; groups
// are the stored groups, the disability bit included.
func householdValues(h *backstop.Household, groups backstop.Group, rev int64, now time.Time) []any {
	var lon, lat any
	if h.Location != nil {
		lon, lat = h.Location.Lon, h.Location.Lat
	}
	return []any{
		h.Number, h.VillageCode, h.NaturalVillage, h.HeadName, int64(h.Size), int64(h.People), h.YoungestBirth, h.Type, h.MonitorType, nullBool(h.RiskCleared),
		h.RiskIdentifiedOn, h.RiskClearedOn, nullFloat(h.IncomePerCapita), nullBool(h.DangerousHouse), nullBool(h.SafeWater), h.Phone,
		h.HousingStructure, h.HousingGrade, nullBool(h.RelocationHighRise), h.Livelihood, h.WaterSource, h.Assistance,
		h.HelperName, h.HelperPhone, lon, lat, h.DataDate, int64(groups), householdHash(h, groups&^backstop.GroupDisability), rev, now, now,
	}
}

// deriveFromMembers fills what a household derives from its members
// (people, head, youngest birth date) and returns its stored groups with
// the disability bit.
func deriveFromMembers(h *backstop.Household, members []*backstop.Member, groups backstop.Group) backstop.Group {
	h.People, h.HeadName, h.YoungestBirth = len(members), "", ""
	groups &^= backstop.GroupDisability
	for _, m := range members {
		if m.Disabled {
			groups |= backstop.GroupDisability
		}
		if m.BirthDate > h.YoungestBirth {
			h.YoungestBirth = m.BirthDate
		}
		if m.Relation == "户主" && (h.HeadName == "" || m.Name < h.HeadName) {
			h.HeadName = m.Name
		}
	}
	if h.HeadName == "" {
		for _, m := range members {
			if h.HeadName == "" || m.Name < h.HeadName {
				h.HeadName = m.Name
			}
		}
	}
	return groups
}

// memberWriteColumns end with row_hash, created_at, updated_at, which
// the roster writer relies on.
var memberWriteColumns = []string{
	"number", "name", "id_number", "relation", "phone", "birth_date", "disabled", "details", "row_hash", "created_at", "updated_at",
}

func memberValues(m *backstop.Member, now time.Time) []any {
	return []any{m.Number, m.Name, m.IDNumber, m.Relation, m.Phone, m.BirthDate, m.Disabled, memberDetails(m), memberHash(m), now, now}
}

// memberDetails packs a member's descriptive fields, which no query reads,
// into the details column (migrations 0005 on SQLite, 0006 on
// PostgreSQL): a JSON array of strings in a fixed order.
func memberDetails(m *backstop.Member) string {
	months, insured := "", ""
	if m.MigrantMonths != nil {
		months = strconv.Itoa(*m.MigrantMonths)
	}
	if m.IllnessInsured != nil {
		insured = "0"
		if *m.IllnessInsured {
			insured = "1"
		}
	}
	b := make([]byte, 0, 128)
	b = append(b, '[')
	for i, f := range [...]string{m.Ethnicity, m.Education, m.SchoolStatus, m.Health, m.Labour, months, insured, m.PovertyCause, m.FirstIdentified, m.Identified} {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, f)
	}
	return string(append(b, ']'))
}

// appendJSONString appends s as a JSON string. Roster text is valid UTF-8
// (the reader converts GB18030), so only quotes, backslashes and control
// characters need escaping.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		default:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		}
		start = i + 1
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// setMemberDetails unpacks the details column into m. Fields missing from
// the end of an array (written before a field was added) stay empty.
func setMemberDetails(m *backstop.Member, details string) error {
	if details == "" {
		return nil
	}
	var f []string
	if err := json.Unmarshal([]byte(details), &f); err != nil {
		return fmt.Errorf("details of person %s: %w", m.Number, err)
	}
	field := func(i int) string {
		if i < len(f) {
			return f[i]
		}
		return ""
	}
	m.Ethnicity, m.Education, m.SchoolStatus, m.Health, m.Labour = field(0), field(1), field(2), field(3), field(4)
	if n, err := strconv.Atoi(field(5)); err == nil {
		m.MigrantMonths = &n
	}
	switch field(6) {
	case "1", "0":
		insured := field(6) == "1"
		m.IllnessInsured = &insured
	}
	m.PovertyCause, m.FirstIdentified, m.Identified = field(7), field(8), field(9)
	return nil
}

// hasher builds the content hash that tells an unchanged row from a
// changed one without reading it back: equal hash, nothing to write. It is
// 64-bit FNV-1a over the fields, each followed by 0x1f (numbers as
// varints), computed in place: a million-person import hashes every row.
type hasher struct{ h uint64 }

const fnvOffset, fnvPrime = 14695981039346656037, 1099511628211

func newHasher() hasher { return hasher{fnvOffset} }

func (h *hasher) byte(c byte) { h.h = (h.h ^ uint64(c)) * fnvPrime }
func (h *hasher) s(v string) {
	for i := 0; i < len(v); i++ {
		h.h = (h.h ^ uint64(v[i])) * fnvPrime
	}
	h.byte(0x1f)
}
func (h *hasher) i(v int64) {
	var buf [binary.MaxVarintLen64]byte
	for _, c := range buf[:binary.PutVarint(buf[:], v)] {
		h.byte(c)
	}
	h.byte(0x1f)
}
func (h *hasher) f(v *float64) {
	if v == nil {
		h.s("∅")
		return
	}
	h.i(int64(math.Float64bits(*v)))
}
func (h *hasher) bp(v *bool) {
	switch {
	case v == nil:
		h.s("∅")
	case *v:
		h.s("1")
	default:
		h.s("0")
	}
}
func (h *hasher) sum() int64 { return int64(h.h) }

func householdHash(h *backstop.Household, groups backstop.Group) int64 {
	x := newHasher()
	for _, s := range [...]string{h.Number, h.VillageCode, h.NaturalVillage, h.Type, h.MonitorType, h.RiskIdentifiedOn, h.RiskClearedOn,
		h.Phone, h.HousingStructure, h.HousingGrade, h.Livelihood, h.WaterSource, h.Assistance, h.HelperName, h.HelperPhone, h.DataDate} {
		x.s(s)
	}
	x.i(int64(h.Size))
	x.i(int64(groups))
	x.bp(h.RiskCleared)
	x.bp(h.DangerousHouse)
	x.bp(h.SafeWater)
	x.bp(h.RelocationHighRise)
	x.f(h.IncomePerCapita)
	if h.Location != nil {
		x.f(&h.Location.Lon)
		x.f(&h.Location.Lat)
	} else {
		x.s("∅")
	}
	return x.sum()
}

func memberHash(m *backstop.Member) int64 {
	x := newHasher()
	for _, s := range [...]string{m.HouseholdNumber, m.Number, m.Name, m.IDNumber, m.Relation, m.Ethnicity, m.Education, m.SchoolStatus,
		m.Health, m.Labour, m.PovertyCause, m.Phone, m.FirstIdentified, m.Identified, m.BirthDate} {
		x.s(s)
	}
	if m.MigrantMonths != nil {
		x.i(int64(*m.MigrantMonths))
	} else {
		x.s("∅")
	}
	x.bp(m.IllnessInsured)
	return x.sum()
}

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

func scanHousehold(sc interface{ Scan(...any) error }) (*backstop.Household, error) {
	var h backstop.Household
	var riskCleared, dangerous, safeWater, relocation sql.NullBool
	var income, lon, lat sql.NullFloat64
	var groups int64
	err := sc.Scan(&h.ID, &h.Number, &h.VillageCode, &h.NaturalVillage, &h.HeadName, &h.Size, &h.People, &h.Type, &h.MonitorType,
		&riskCleared, &h.RiskIdentifiedOn, &h.RiskClearedOn, &income, &dangerous, &safeWater, &h.Phone,
		&h.HousingStructure, &h.HousingGrade, &relocation, &h.Livelihood, &h.WaterSource, &h.Assistance, &h.HelperName,
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
	if h.People == 1 && h.YoungestBirth != "" && h.YoungestBirth <= elderlyCutoff(time.Now()) {
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

// elderlyCutoff is the latest birth date of a person who is elderly today.
func elderlyCutoff(now time.Time) string {
	return now.AddDate(-backstop.ElderlyAge, 0, 0).Format("2006-01-02")
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
	h, err := scanHousehold(db.read.QueryRowContext(ctx, db.q(householdSelect+` WHERE h.number = ? AND NOT h.deleted AND `+sc), append([]any{number}, sargs...)...))
	if err == sql.ErrNoRows {
		return nil, backstop.Errorf(backstop.ENOTFOUND, "Household %s not found.", number)
	} else if err != nil {
		return nil, db.translate(err)
	}
	if h.Members, err = db.members(ctx, db.read, h.ID, h.Number); err != nil {
		return nil, err
	}
	h.LocalDecision, err = db.localDecision(ctx, h.ID)
	return h, err
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
func householdWhere(u *backstop.User, f backstop.HouseholdFilter, now time.Time) (string, []any, error) {
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
			any, args = append(any, "(h.people = 1 AND h.youngest_birth <> '' AND h.youngest_birth <= ?)"), append(args, elderlyCutoff(now))
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
	cond, args, err := householdWhere(u, f, db.now())
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
	for rows.Next() {
		h, err := scanHousehold(rows)
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

// bumpRev advances the registry revision inside tx and returns it. On
// PostgreSQL the row lock it takes orders registry writers, so that revs
// become visible in increasing order.
func (db *DB) bumpRev(ctx context.Context, ex execer) (int64, error) {
	var rev int64
	err := ex.QueryRowContext(ctx, `UPDATE registry_rev SET rev = rev + 1 WHERE id = 1 RETURNING rev`).Scan(&rev)
	return rev, err
}

// monitoringLine returns the line used to derive the low-income group for
// households in region, and the policy version (0 when none applies).
func (db *DB) monitoringLine(ctx context.Context, region string) (float64, int64, error) {
	p, err := db.PolicyAt(ctx, backstop.PolicyMonitoringLine, region, db.now())
	if backstop.ErrorCode(err) == backstop.ENOTFOUND {
		return 0, 0, nil
	} else if err != nil {
		return 0, 0, err
	}
	return p.Value, p.ID, nil
}

// checkWritable returns EFORBIDDEN unless the user may write households in
// the village.
func checkWritable(u *backstop.User, village string) error {
	if err := u.Require(backstop.PermWriteRegistry); err != nil {
		return err
	}
	if !u.InScope(village) {
		return backstop.OutsideRegion(u, "村"+village, "village "+village)
	}
	return nil
}

// checkNumberWritable: household and person numbers start with their
// village's 12-digit code, so a write names its region by the number.
// Outside the user's region it is refused before anything is looked up,
// and answers the same whether or not the number exists. A number stored
// under another region's village although it starts with one of the
// user's (data from before this rule) answers the same too.
func checkNumberWritable(u *backstop.User, number string, person bool) error {
	if u.Region == backstop.NationalScope || (len(number) >= 12 && u.InScope(number[:12])) {
		return nil
	}
	return numberOutside(u, number, person)
}

func numberOutside(u *backstop.User, number string, person bool) error {
	what, whatZH := "household number", "户编号"
	if person {
		what, whatZH = "person number", "人编号"
	}
	return &backstop.Error{Code: backstop.EFORBIDDEN,
		ZH:      fmt.Sprintf("%s%s不在您的管辖范围（%s）内：编号以所在村的12位区划代码开头", whatZH, number, u.Region),
		Message: fmt.Sprintf("The %s %s is outside your region %s: numbers start with their village's 12-digit code.", what, number, u.Region)}
}

func (db *DB) requireVillage(ctx context.Context, ex execer, code string) error {
	var level int
	err := ex.QueryRowContext(ctx, db.q(`SELECT level FROM regions WHERE code = ?`), code).Scan(&level)
	if err == sql.ErrNoRows || (err == nil && level != int(backstop.LevelVillage)) {
		return &backstop.Error{Code: backstop.EINVALID, Message: fmt.Sprintf("Village %s does not exist.", code),
			Details: []backstop.Problem{{Path: "village_code", Reason: "unknown village " + code}}}
	}
	return err
}

// insertOrUpdateHousehold writes the household row; it returns the id.
func (db *DB) writeHouseholdRow(ctx context.Context, tx *sql.Tx, h *backstop.Household, rev int64, line float64) (int64, error) {
	now := db.now().UTC()
	groups := deriveFromMembers(h, h.Members, h.DeriveGroups(line))
	vals := householdValues(h, groups, rev, now)
	set := make([]string, 0, len(householdWriteColumns))
	for _, c := range householdWriteColumns {
		if c != "number" && c != "created_at" {
			set = append(set, c+" = excluded."+c)
		}
	}
	var id int64
	err := tx.QueryRowContext(ctx, db.q(`INSERT INTO households (`+strings.Join(householdWriteColumns, ", ")+`) VALUES (?`+strings.Repeat(", ?", len(vals)-1)+`)
 ON CONFLICT (number) DO UPDATE SET `+strings.Join(set, ", ")+`, version = households.version + 1, deleted = FALSE RETURNING id`), vals...).Scan(&id)
	return id, err
}

func (db *DB) writeMemberRow(ctx context.Context, tx *sql.Tx, householdID int64, m *backstop.Member) error {
	now := db.now().UTC()
	vals := append([]any{householdID}, memberValues(m, now)...)
	set := []string{"household_id = excluded.household_id"}
	for _, c := range memberWriteColumns {
		if c != "number" && c != "created_at" {
			set = append(set, c+" = excluded."+c)
		}
	}
	_, err := tx.ExecContext(ctx, db.q(`INSERT INTO members (household_id, `+strings.Join(memberWriteColumns, ", ")+`) VALUES (?`+strings.Repeat(", ?", len(vals)-1)+`)
 ON CONFLICT (number) DO UPDATE SET `+strings.Join(set, ", ")+`, version = members.version + 1`), vals...)
	return err
}

// refreshHouseholds recomputes what households derive from their members
// (people, head, youngest birth date, disability) for the households whose
// ids idsSQL selects, and stamps them with rev. Two statements: the first
// resets households left without members, the second aggregates.
func (db *DB) refreshHouseholds(ctx context.Context, ex execer, idsSQL string, args []any, rev int64) error {
	dis := int64(backstop.GroupDisability)
	if _, err := ex.ExecContext(ctx, db.q(`UPDATE households SET people = 0, youngest_birth = '', head_name = '', groups = groups & ?, rev = ?
 WHERE id IN (`+idsSQL+`)`), append([]any{^dis, rev}, args...)...); err != nil {
		return err
	}
	_, err := ex.ExecContext(ctx, db.q(`UPDATE households SET people = a.n, youngest_birth = a.yb, head_name = a.head, groups = households.groups | a.dis
 FROM (SELECT m.household_id, count(*) AS n, COALESCE(max(m.birth_date), '') AS yb,
        max(CASE WHEN m.disabled THEN ? ELSE 0 END) AS dis,
        COALESCE(min(CASE WHEN m.relation = '户主' THEN m.name END), min(m.name)) AS head
       FROM members m WHERE m.household_id IN (`+idsSQL+`) GROUP BY m.household_id) AS a
 WHERE households.id = a.household_id`), append([]any{dis}, args...)...)
	if err != nil {
		return err
	}
	return db.applyLocalDecisions(ctx, ex, "id IN ("+idsSQL+")", args)
}

func (db *DB) history(ctx context.Context, ex execer, householdID int64, action, detail string) error {
	u := backstop.UserFromContext(ctx)
	_, err := ex.ExecContext(ctx, db.q(`INSERT INTO household_history (household_id, at, actor, action, detail) VALUES (?, ?, ?, ?, ?)`),
		householdID, db.now().UTC(), u.Name, action, detail)
	return err
}

// CreateHousehold stores a new household with its members.
func (db *DB) CreateHousehold(ctx context.Context, h *backstop.Household) error {
	return db.saveHousehold(ctx, h, true)
}

// UpdateHousehold replaces the household-level fields (and, when given,
// upserts the members).
func (db *DB) UpdateHousehold(ctx context.Context, h *backstop.Household) error {
	return db.saveHousehold(ctx, h, false)
}

func (db *DB) saveHousehold(ctx context.Context, h *backstop.Household, create bool) error {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return err
	}
	if err := h.Validate(); err != nil {
		return err
	}
	if err := checkWritable(u, h.VillageCode); err != nil {
		return err
	}
	if err := checkNumberWritable(u, h.Number, false); err != nil {
		return err
	}
	for _, m := range h.Members {
		if err := checkNumberWritable(u, m.Number, true); err != nil {
			return err
		}
	}
	line, _, err := db.monitoringLine(ctx, h.VillageCode)
	if err != nil {
		return err
	}
	defer db.registryChanged()
	return db.inTx(ctx, func(tx *sql.Tx) error {
		if err := db.requireVillage(ctx, tx, h.VillageCode); err != nil {
			return err
		}
		var existingVillage string
		var deleted bool
		err := tx.QueryRowContext(ctx, db.q(`SELECT village_code, deleted FROM households WHERE number = ?`), h.Number).Scan(&existingVillage, &deleted)
		switch {
		case err == sql.ErrNoRows && !create:
			return backstop.Errorf(backstop.ENOTFOUND, "Household %s not found.", h.Number)
		case err == sql.ErrNoRows:
		case err != nil:
			return err
		case !u.InScope(existingVillage):
			return numberOutside(u, h.Number, false)
		case create && !deleted:
			return backstop.Localized(backstop.ECONFLICT, "户编号%s已存在", "Household %s exists already.", h.Number)
		case !create && deleted:
			return backstop.Errorf(backstop.ENOTFOUND, "Household %s not found.", h.Number)
		}
		rev, err := db.bumpRev(ctx, tx)
		if err != nil {
			return err
		}
		id, err := db.writeHouseholdRow(ctx, tx, h, rev, line)
		if err != nil {
			return err
		}
		for _, m := range h.Members {
			m.HouseholdNumber = h.Number
			if err := db.checkMemberMove(ctx, tx, u, m.Number, id); err != nil {
				return err
			}
			if err := db.writeMemberRow(ctx, tx, id, m); err != nil {
				return err
			}
		}
		if err := db.refreshHouseholds(ctx, tx, "?", []any{id}, rev); err != nil {
			return err
		}
		action := "household.update"
		if create {
			action = "household.create"
		}
		if err := db.history(ctx, tx, id, action, fmt.Sprintf("%d member(s) given", len(h.Members))); err != nil {
			return err
		}
		return db.auditIn(ctx, tx, h.VillageCode, action, "household", h.Number, "")
	})
}

// checkMemberMove refuses to take a person number that belongs to a
// household outside the user's scope.
func (db *DB) checkMemberMove(ctx context.Context, tx *sql.Tx, u *backstop.User, memberNumber string, householdID int64) error {
	var hid int64
	var village string
	err := tx.QueryRowContext(ctx, db.q(`SELECT h.id, h.village_code FROM members m JOIN households h ON h.id = m.household_id WHERE m.number = ?`), memberNumber).Scan(&hid, &village)
	if err == sql.ErrNoRows || (err == nil && hid == householdID) {
		return nil
	} else if err != nil {
		return err
	}
	if !u.InScope(village) {
		return numberOutside(u, memberNumber, true)
	}
	return nil
}

// lockHousehold finds a live household for a write, checking scope: absent
// is ENOTFOUND, outside the scope EFORBIDDEN.
func (db *DB) lockHousehold(ctx context.Context, tx *sql.Tx, u *backstop.User, number string) (int64, string, error) {
	if err := u.Require(backstop.PermWriteRegistry); err != nil {
		return 0, "", err
	}
	if err := checkNumberWritable(u, number, false); err != nil {
		return 0, "", err
	}
	var id int64
	var village string
	err := tx.QueryRowContext(ctx, db.q(`SELECT id, village_code FROM households WHERE number = ? AND NOT deleted`), number).Scan(&id, &village)
	if err == sql.ErrNoRows {
		return 0, "", backstop.Localized(backstop.ENOTFOUND, "找不到户编号为%s的农户", "Household %s not found.", number)
	} else if err != nil {
		return 0, "", err
	}
	if !u.InScope(village) {
		return 0, "", numberOutside(u, number, false)
	}
	return id, village, nil
}

// DeleteHousehold marks a household deleted; its rows and history stay.
func (db *DB) DeleteHousehold(ctx context.Context, number string) error {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return err
	}
	defer db.registryChanged()
	return db.inTx(ctx, func(tx *sql.Tx) error {
		id, village, err := db.lockHousehold(ctx, tx, u, number)
		if err != nil {
			return err
		}
		rev, err := db.bumpRev(ctx, tx)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, db.q(`UPDATE households SET deleted = TRUE, rev = ?, version = version + 1, updated_at = ? WHERE id = ?`), rev, db.now().UTC(), id); err != nil {
			return err
		}
		if err := db.history(ctx, tx, id, "household.delete", ""); err != nil {
			return err
		}
		return db.auditIn(ctx, tx, village, "household.delete", "household", number, "")
	})
}

// UpsertMember creates or updates one member.
func (db *DB) UpsertMember(ctx context.Context, householdNumber string, m *backstop.Member) error {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return err
	}
	if err := m.Validate(); err != nil {
		return err
	}
	if err := checkNumberWritable(u, m.Number, true); err != nil {
		return err
	}
	m.HouseholdNumber = householdNumber
	defer db.registryChanged()
	return db.inTx(ctx, func(tx *sql.Tx) error {
		id, village, err := db.lockHousehold(ctx, tx, u, householdNumber)
		if err != nil {
			return err
		}
		if err := db.checkMemberMove(ctx, tx, u, m.Number, id); err != nil {
			return err
		}
		rev, err := db.bumpRev(ctx, tx)
		if err != nil {
			return err
		}
		if err := db.writeMemberRow(ctx, tx, id, m); err != nil {
			return err
		}
		if err := db.refreshHouseholds(ctx, tx, "?", []any{id}, rev); err != nil {
			return err
		}
		if err := db.history(ctx, tx, id, "member.upsert", m.Number); err != nil {
			return err
		}
		return db.auditIn(ctx, tx, village, "member.upsert", "member", m.Number, "household "+householdNumber)
	})
}

// DeleteMember removes one member from a household.
func (db *DB) DeleteMember(ctx context.Context, householdNumber, memberNumber string) error {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return err
	}
	defer db.registryChanged()
	return db.inTx(ctx, func(tx *sql.Tx) error {
		id, village, err := db.lockHousehold(ctx, tx, u, householdNumber)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, db.q(`DELETE FROM members WHERE household_id = ? AND number = ?`), id, memberNumber)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return backstop.Errorf(backstop.ENOTFOUND, "Person %s not found in household %s.", memberNumber, householdNumber)
		}
		rev, err := db.bumpRev(ctx, tx)
		if err != nil {
			return err
		}
		if err := db.refreshHouseholds(ctx, tx, "?", []any{id}, rev); err != nil {
			return err
		}
		if err := db.history(ctx, tx, id, "member.delete", memberNumber); err != nil {
			return err
		}
		return db.auditIn(ctx, tx, village, "member.delete", "member", memberNumber, "household "+householdNumber)
	})
}

// HouseholdHistory lists a household's recorded changes, newest first.
func (db *DB) HouseholdHistory(ctx context.Context, number string) ([]*backstop.HistoryEntry, error) {
	h, err := db.FindHousehold(ctx, number) // applies the scope
	if err != nil {
		return nil, err
	}
	rows, err := db.read.QueryContext(ctx, db.q(`SELECT at, actor, action, detail FROM household_history WHERE household_id = ? ORDER BY id DESC LIMIT 200`), h.ID)
	if err != nil {
		return nil, db.translate(err)
	}
	defer rows.Close()
	var out []*backstop.HistoryEntry
	for rows.Next() {
		var e backstop.HistoryEntry
		if err := rows.Scan(&e.At, &e.Actor, &e.Action, &e.Detail); err != nil {
			return nil, err
		}
		out = append(out, &e)
	}
	return out, rows.Err()
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
	cond, args, err := householdWhere(u, backstop.HouseholdFilter{Region: parent}, db.now())
	if err != nil {
		return nil, err
	}
	cols := []string{fmt.Sprintf("substr(h.village_code, 1, %d)", n), "count(*)", "COALESCE(sum(h.people), 0)"}
	var gargs []any
	for _, g := range backstop.Groups {
		if g == backstop.GroupElderlyAlone {
			cols = append(cols, "COALESCE(sum(CASE WHEN h.people = 1 AND h.youngest_birth <> '' AND h.youngest_birth <= ? THEN 1 ELSE 0 END), 0)")
			gargs = append(gargs, elderlyCutoff(db.now()))
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
