package demo

import (
	"time"

	"github.com/zhangye-backstop/backstop"
)

// Households of rural Gansu as registers show them: old people alone or
// as couples whose children have their own households, nuclear families,
// three generations under an elderly head, families keeping the head's
// parents, grandparents with grandchildren whose parents are gone, a
// widowed parent with an unmarried son.
const (
	kindElderlyAlone = iota
	kindSingle
	kindElderlyCouple
	kindCouple
	kindNuclear
	kindSingleParent
	kindWithParents
	kindThreeGen
	kindSkipGen
	kindElderWithSon
	kindTekun
)

// kindShares: other households, then formerly poor ones (more old, alone,
// short of labour).
var kindShares = [2][]float64{
	{.08, .03, .16, .06, .32, .04, .12, .15, .02, .02},
	{.13, .05, .21, .04, .21, .07, .10, .11, .04, .04},
}

type role int

const (
	roleHead role = iota
	roleSpouse
	roleChild
	roleChildInLaw
	roleGrandchild
	roleParent
)

// person is a member being made, with what the generator needs beside the
// roster fields.
type person struct {
	m       *backstop.Member
	role    role
	male    bool
	age     int
	birth   time.Time
	surname string
	eth     string
	student bool
	higher  bool // in higher education
}

type family struct {
	gen    *Generator
	st     *villageState
	kind   int
	people []*person
}

func (f *family) add(relation string, r role, male bool, age int, surname, eth string) *person {
	gen := f.gen
	p := &person{role: r, male: male, age: age, surname: surname, eth: eth, birth: gen.birthFor(age)}
	p.m = &backstop.Member{Relation: relation, Ethnicity: eth}
	year := p.birth.Year()
	// Brothers, and sometimes sisters, born before the custom faded share
	// a generation character.
	if (r == roleChild || r == roleGrandchild) && year <= 1995 && eth != tibetan && eth != mongol && gen.chance(.4) {
		for _, q := range f.people {
			if q.role == r && q.male == male && q.surname == surname && (male || gen.chance(.5)) {
				if name, ok := siblingName(gen.rng, surname, q.m.Name, male); ok {
					p.m.Name = name
				}
				break
			}
		}
	}
	// Nobody in a household bears another member's name.
	for try := 0; try < 8 && (p.m.Name == "" || f.named(p.m.Name)); try++ {
		p.m.Name = personName(gen.rng, surname, eth, year, male)
	}
	f.people = append(f.people, p)
	return p
}

func (f *family) named(name string) bool {
	for _, q := range f.people {
		if q.m.Name == name {
			return true
		}
	}
	return false
}

func (f *family) head(male bool, age int, eth string) *person {
	return f.add("户主", roleHead, male, age, f.st.surname(f.gen.rng, eth), eth)
}

// spouse adds the head's husband or wife, of a similar age: wives mostly
// a few years younger.
func (f *family) spouse(h *person) *person {
	gen := f.gen
	eth := h.eth
	if !gen.chance(.85) {
		eth = f.st.eth.pick(gen.rng)
	}
	age := h.age - gen.between(-2, 6)
	if !h.male {
		age = h.age + gen.between(-2, 6)
	}
	age = max(age, 20, h.age-10)
	if !h.male {
		age = max(age, 22)
	}
	return f.add("配偶", roleSpouse, !h.male, min(age, 96, h.age+10), f.st.surname(gen.rng, eth), eth)
}

// childEthnicity: a child of a mixed marriage is usually registered with
// the minority parent's group.
func childEthnicity(a, b *person) string {
	switch {
	case b == nil || a.eth == b.eth:
		return a.eth
	case a.eth == han:
		return b.eth
	}
	return a.eth
}

// children adds n sons and daughters of a (the head) and b (the spouse,
// or nil): the eldest born when the parents were 20 to 40, the others 1 to
// 6 years apart, none older than 32 (older ones have households of their
// own).
func (f *family) children(a, b *person, n int) []*person {
	gen := f.gen
	lo, hi := max(0, a.age-40), min(a.age-20, 32)
	if b != nil {
		lo, hi = max(lo, b.age-40), min(hi, b.age-19)
	}
	if hi < lo || n == 0 {
		return nil
	}
	surname := f.lineSurname(a, b)
	eth := childEthnicity(a, b)
	var out []*person
	for age := gen.between(lo, hi); len(out) < n && age >= lo; age -= gen.between(1, 6) {
		male := gen.chance(.52)
		rel := "之女"
		if male {
			rel = "之子"
		}
		out = append(out, f.add(rel, roleChild, male, age, surname, eth))
	}
	return out
}

// lineSurname is the surname a child of a and b takes: the father's; for
// a widowed mother, her late husband's, now and then her own.
func (f *family) lineSurname(a, b *person) string {
	switch {
	case a.male:
		return a.surname
	case b != nil && b.male:
		if a.role == roleHead && f.gen.chance(.5) {
			return a.surname // a son-in-law who married into the head's family
		}
		return b.surname
	case f.gen.chance(.1):
		return a.surname
	}
	return f.st.surname(f.gen.rng, a.eth)
}

// parents adds one or both parents of the head, or of the spouse
// (岳父母 of a husband, 公婆 of a wife), 20 to 36 years older.
func (f *family) parents(of *person, spouseSide bool) {
	gen := f.gen
	father, mother := "之父", "之母"
	if spouseSide {
		father, mother = "之岳父", "之岳母"
		if of.male {
			father, mother = "之公公", "之婆婆"
		}
	}
	switch gen.pick(.4, .4, .2) {
	case 0:
		fa := f.add(father, roleParent, true, min(96, of.age+gen.between(22, 36)), of.surname, of.eth)
		f.add(mother, roleParent, false, max(of.age+20, min(96, fa.age-gen.between(-1, 5))), f.st.surname(gen.rng, of.eth), of.eth)
	case 1:
		f.add(mother, roleParent, false, min(96, of.age+gen.between(20, 34)), f.st.surname(gen.rng, of.eth), of.eth)
	default:
		f.add(father, roleParent, true, min(96, of.age+gen.between(22, 36)), of.surname, of.eth)
	}
}

// heir adds the married son (or, now and then, a daughter whose husband
// married in) who lives with an elderly head, the son's wife and their
// children.
func (f *family) heir(h, s *person) {
	gen := f.gen
	lo, hi := max(22, h.age-40), min(h.age-20, 52)
	if s != nil {
		lo, hi = max(lo, s.age-40), min(hi, s.age-19)
	}
	if hi < lo {
		f.children(h, s, 1+gen.pick(.5, .5))
		return
	}
	son := gen.chance(.9)
	age := gen.between(lo, hi)
	var c, inLaw *person
	surname := f.lineSurname(h, s)
	if son {
		c = f.add("之子", roleChild, true, age, surname, childEthnicity(h, s))
		if gen.chance(.88) {
			eth := c.eth
			if !gen.chance(.85) {
				eth = f.st.eth.pick(gen.rng)
			}
			inLaw = f.add("之儿媳", roleChildInLaw, false, max(20, min(age+5, age-gen.between(-2, 5))), f.st.surname(gen.rng, eth), eth)
		}
	} else {
		c = f.add("之女", roleChild, false, age, surname, childEthnicity(h, s))
		eth := c.eth
		if !gen.chance(.85) {
			eth = f.st.eth.pick(gen.rng)
		}
		inLaw = f.add("之女婿", roleChildInLaw, true, max(22, age+gen.between(-1, 5)), f.st.surname(gen.rng, eth), eth)
	}
	f.grandchildren(c, inLaw, 1+gen.pick(.4, .45, .15))
	if gen.chance(.18) {
		// A younger, unmarried brother or sister of the heir, older than
		// the heir's children.
		lo2 := max(lo-8, h.age-40, 16)
		if s != nil {
			lo2 = max(lo2, s.age-40)
		}
		for _, p := range f.people {
			if p.role == roleGrandchild {
				lo2 = max(lo2, p.age+1)
			}
		}
		if age-1 >= lo2 {
			male := gen.chance(.5)
			rel := "之女"
			if male {
				rel = "之子"
			}
			f.add(rel, roleChild, male, gen.between(lo2, age-1), surname, c.eth)
		}
	}
}

// grandchildren adds children of c (a son or daughter of the head) and
// its spouse in the household (or nil), or, when c is nil, of parents who
// are not in the household any more.
func (f *family) grandchildren(c, other *person, n int) {
	gen := f.gen
	head := f.people[0]
	var lo, hi int
	var surname, eth string
	outer := false // 外孙: a daughter's children
	if c != nil {
		lo, hi = max(0, c.age-40), min(c.age-20, 25)
		if other != nil {
			lo, hi = max(lo, other.age-40), min(hi, other.age-19)
		}
		surname, eth = c.surname, childEthnicity(c, other)
		if !c.male && other != nil {
			outer = true
			if gen.chance(.5) {
				surname = other.surname
			} else {
				outer = false // registered in the mother's family line
			}
		}
	} else {
		lo, hi = max(3, head.age-75), min(17, head.age-40)
		surname, eth = head.surname, head.eth
		if !head.male {
			surname = f.st.surname(gen.rng, head.eth)
		}
	}
	if hi < lo {
		return
	}
	for age := gen.between(lo, hi); n > 0 && age >= lo; age -= gen.between(1, 5) {
		male := gen.chance(.52)
		rel := "之孙女"
		switch {
		case male && outer:
			rel = "之外孙子"
		case outer:
			rel = "之外孙女"
		case male:
			rel = "之孙子"
		}
		f.add(rel, roleGrandchild, male, age, surname, eth)
		n--
	}
}

// compose makes the members of a household of a drawn kind.
func (gen *Generator) compose(st *villageState, poor, tekun bool) *family {
	rng := gen.rng
	f := &family{gen: gen, st: st, kind: kindTekun}
	if !tekun {
		f.kind = gen.pick(kindShares[b2i(poor)]...)
	}
	eth := st.eth.pick(rng)
	switch f.kind {
	case kindTekun:
		if gen.chance(.78) {
			f.head(gen.chance(.65), gen.around(62, 92), eth)
		} else {
			f.head(gen.chance(.6), gen.between(30, 59), eth)
		}
	case kindElderlyAlone:
		f.head(gen.chance(.45), gen.around(60, 93), eth)
	case kindSingle:
		f.head(gen.chance(.8), gen.between(30, 59), eth)
	case kindElderlyCouple:
		f.spouse(f.head(true, gen.around(58, 89), eth))
	case kindCouple:
		f.spouse(f.head(gen.chance(.95), gen.between(23, 58), eth))
	case kindNuclear:
		h := f.head(gen.chance(.95), gen.between(26, 56), eth)
		f.children(h, f.spouse(h), 1+gen.pick(.35, .5, .15))
	case kindSingleParent:
		f.children(f.head(gen.chance(.45), gen.between(30, 58), eth), nil, 1+gen.pick(.6, .4))
	case kindWithParents:
		h := f.head(true, gen.between(28, 55), eth)
		s := f.spouse(h)
		f.children(h, s, gen.pick(.2, .45, .35))
		if gen.chance(.12) {
			f.parents(s, true)
		} else {
			f.parents(h, false)
		}
	case kindThreeGen:
		widowed := gen.chance(.2)
		h := f.head(!widowed || gen.chance(.5), gen.around(50, 79), eth)
		var s *person
		if !widowed {
			s = f.spouse(h)
		}
		f.heir(h, s)
	case kindSkipGen:
		widowed := gen.chance(.3)
		h := f.head(!widowed || gen.chance(.4), gen.between(55, 78), eth)
		if !widowed {
			f.spouse(h)
		}
		f.grandchildren(nil, nil, 1+gen.pick(.6, .4))
	case kindElderWithSon:
		h := f.head(gen.chance(.4), gen.around(60, 89), eth)
		f.add("之子", roleChild, true, gen.between(max(25, h.age-40), min(55, h.age-20)), f.lineSurname(h, nil), h.eth)
	}
	return f
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Education of adults by birth cohort (women of the older cohorts had
// less schooling).
var educationByCohort = []struct {
	until int
	w     *weighted
}{
	{1945, table(`文盲或半文盲:55 小学:35 初中:8 高中:2`)},
	{1960, table(`文盲或半文盲:28 小学:42 初中:24 高中:6`)},
	{1975, table(`文盲或半文盲:8 小学:32 初中:45 高中:13 大专及以上:2`)},
	{1990, table(`文盲或半文盲:1 小学:15 初中:50 高中:22 大专及以上:12`)},
	{2026, table(`小学:4 初中:35 高中:28 大专及以上:33`)},
}

// fillPersons sets birth-dependent fields: ID number, schooling, health,
// labour and migrant work. Formerly poor households carry more illness and
// disability, which is why many were poor.
func (f *family) fillPersons(poor bool) {
	gen := f.gen
	risk := 1.0
	if poor {
		risk = 1.7
	}
	for _, p := range f.people {
		m := p.m
		m.IDNumber = gen.ids.number(f.st.county, p.birth, p.male)
		m.BirthDate = isoDate(p.birth)
		m.IllnessInsured = ptr(!gen.chance(.01))
		m.MigrantMonths = ptr(0)
		gen.schooling(p)
		m.Health = gen.health(p.age, risk)
		if f.kind == kindTekun && p.age < 60 {
			m.Health = backstop.HealthDisabled
		}
		if f.kind == kindElderWithSon && p.role == roleChild && gen.chance(.3) {
			m.Health = backstop.HealthDisabled
		}
		m.Disabled = m.Health == backstop.HealthDisabled
		m.Labour = gen.labour(p)
		if (m.Labour == "技能劳动力" || m.Labour == "普通劳动力") && p.age >= 18 && p.age <= 55 && gen.chance(.28+.07*float64(b2i(poor))) {
			m.MigrantMonths = ptr(gen.around(3, 12))
		}
	}
}

// schooling sets 文化程度 and 在校生状况 from age and cohort.
func (gen *Generator) schooling(p *person) {
	m := p.m
	m.SchoolStatus = "非在校生"
	switch a := p.age; {
	case a < 3:
		m.Education = "学龄前儿童"
	case a < 6:
		m.Education, m.SchoolStatus = "学龄前儿童", "学前教育"
	case a < 12:
		m.Education, m.SchoolStatus = "小学", "小学"
	case a < 15:
		m.Education, m.SchoolStatus = "初中", "初中"
	case a < 18 && gen.chance(.88):
		m.Education, m.SchoolStatus = "高中", "高中"
		if gen.chance(.4) {
			m.SchoolStatus = "中职"
		}
	case a < 18:
		m.Education = "初中"
	case a < 23 && (p.role == roleChild || p.role == roleGrandchild) && gen.chance(.45):
		m.Education, m.SchoolStatus = "大专及以上", "高职"
		if gen.chance(.45) {
			m.SchoolStatus = "本科"
		}
		p.higher = true
	default:
		year := p.birth.Year()
		if !p.male && year <= 1975 {
			year -= 15 // the previous cohort's schooling
		}
		for _, c := range educationByCohort {
			if year <= c.until {
				m.Education = c.w.pick(gen.rng)
				break
			}
		}
	}
	p.student = m.SchoolStatus != "非在校生"
}

// health draws 健康状况 by age; risk scales illness and disability.
func (gen *Generator) health(age int, risk float64) string {
	var chronic, serious, disabled float64
	switch {
	case age < 18:
		chronic, serious, disabled = .01, .002, .005
	case age < 45:
		chronic, serious, disabled = .04, .004, .012
	case age < 60:
		chronic, serious, disabled = .12, .015, .022
	case age < 70:
		chronic, serious, disabled = .24, .03, .032
	default:
		chronic, serious, disabled = .34, .03, .045
	}
	x := gen.rng.Float64()
	switch {
	case x < disabled*risk:
		return backstop.HealthDisabled
	case x < (disabled+serious)*risk:
		return "患有大病"
	case x < (disabled+serious)*risk+chronic*(.7+.3*risk):
		return "长期慢性病"
	}
	return "健康"
}

// labour draws 劳动技能 from age, schooling and health.
func (gen *Generator) labour(p *person) string {
	rng := gen.rng
	switch h := p.m.Health; {
	case p.age < 16 || p.student:
		return "无劳动力"
	case h == backstop.HealthDisabled:
		return table1(rng.Float64() < .6, "丧失劳动力", "弱劳动力或半劳动力")
	case h == "患有大病":
		return table1(rng.Float64() < .4, "丧失劳动力", "弱劳动力或半劳动力")
	case p.age >= 75:
		return table1(rng.Float64() < .8, "丧失劳动力", "弱劳动力或半劳动力")
	case p.age >= 65:
		return []string{"弱劳动力或半劳动力", "丧失劳动力", "普通劳动力"}[gen.pick(.55, .35, .1)]
	case p.age >= 60:
		return []string{"普通劳动力", "弱劳动力或半劳动力", "丧失劳动力"}[gen.pick(.55, .4, .05)]
	case h == "长期慢性病":
		return table1(rng.Float64() < .55, "弱劳动力或半劳动力", "普通劳动力")
	}
	return []string{"技能劳动力", "普通劳动力", "弱劳动力或半劳动力"}[gen.pick(.22, .75, .03)]
}

func table1(first bool, a, b string) string {
	if first {
		return a
	}
	return b
}

func (f *family) anyHealth(h string) bool {
	for _, p := range f.people {
		if p.m.Health == h {
			return true
		}
	}
	return false
}

// hasLabour: someone in the household can work (技能 or 普通劳动力).
func (f *family) hasLabour() bool {
	for _, p := range f.people {
		if p.m.Labour == "技能劳动力" || p.m.Labour == "普通劳动力" {
			return true
		}
	}
	return false
}

func (f *family) elderlyOnly() bool {
	for _, p := range f.people {
		if p.age < 65 {
			return false
		}
	}
	return true
}

func (f *family) migrants() int {
	n := 0
	for _, p := range f.people {
		if *p.m.MigrantMonths >= 6 {
			n++
		}
	}
	return n
}

func (f *family) inHigherEducation() bool {
	for _, p := range f.people {
		if p.higher {
			return true
		}
	}
	return false
}
