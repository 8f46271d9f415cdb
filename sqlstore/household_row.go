package sqlstore

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
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
		h.HousingStructure, h.HousingGrade, nullBool(h.RelocationHighRise), h.Livelihood, h.WaterSource, string(h.SocialAssistance),
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
		h.Phone, h.HousingStructure, h.HousingGrade, h.Livelihood, h.WaterSource, string(h.SocialAssistance), h.HelperName, h.HelperPhone, h.DataDate} {
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
