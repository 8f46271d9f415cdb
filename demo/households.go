package demo

import (
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"time"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/roster"
	"github.com/zhangye-backstop/backstop/sheet"
)

// The data date of every generated household; ages are counted to it.
var dataDate = time.Date(2026, 10, 31, 0, 0, 0, 0, time.UTC)

// monitoringLine is Gansu's monitoring line of 2024, 7,800 yuan per capita
// a year (2023: 7,200), the latest known on the data date: monitored
// households' incomes sit around and below it; others lie above it, as a
// household under the line would have to be monitored.
const monitoringLine = 7800

// countyProfile is what the generator knows of a county's households
// (approximate figures: shares from the counties' rural populations,
// incomes below the statistical rural disposable incomes, as registers
// record net incomes).
type countyProfile struct {
	share    float64 // of Zhangye's registered rural households
	poor     float64 // share of formerly poor households (脱贫户)
	income   float64 // median per-capita income of other households, yuan
	pastoral bool    // herding, not farming, is the living
	farming  string  // main livelihood table
}

// Rural households by county follow the counties' rural populations
// (Ganzhou a third, Minle a fifth, Sunan a small pastoral county);
// formerly poor shares are higher in the southern mountain counties.
var countyProfiles = map[string]countyProfile{
	"620702": {share: .33, poor: .10, income: 17000, farming: "种植业:40 养殖业:12 设施农业:12 务工:24 个体经营:7 其他:5"},
	"620721": {share: .035, poor: .13, income: 19000, pastoral: true, farming: "养殖业:62 种植业:8 务工:14 个体经营:7 其他:9"},
	"620722": {share: .22, poor: .17, income: 15000, farming: "种植业:46 养殖业:16 设施农业:4 务工:24 个体经营:5 其他:5"},
	"620723": {share: .13, poor: .10, income: 17500, farming: "种植业:42 养殖业:12 设施农业:12 务工:22 个体经营:7 其他:5"},
	"620724": {share: .14, poor: .12, income: 16500, farming: "种植业:44 养殖业:13 设施农业:9 务工:22 个体经营:7 其他:5"},
	"620725": {share: .145, poor: .16, income: 15000, farming: "种植业:42 养殖业:18 设施农业:4 务工:25 个体经营:6 其他:5"},
}

var livelihoodTables = func() map[string]*weighted {
	m := map[string]*weighted{}
	for code, p := range countyProfiles {
		m[code] = table(p.farming)
	}
	return m
}()

// townshipWeight: streets (街道, codes 001–099), development zones (4xx),
// state farms and forest farms (5xx) and the herders' Pingshanhu hold few
// registered rural households.
func townshipWeight(villageCode string) float64 {
	switch t := villageCode[6:9]; {
	case t < "100", t[0] == '4', villageCode[:9] == "620702211":
		return .12
	case t[0] == '5':
		return .25
	}
	return 1
}

// Generator makes households for a geography, deterministically from a
// seed.
type Generator struct {
	geo      *Geography
	rng      *rand.Rand
	cum      []float64       // cumulative village weights
	villages []*villageState // by village index, made on first use
	today    time.Time
	phones   phoneBook
	ids      idBook
}

// villageState is what households of one village share: who lives there,
// its clans, its poverty, its helpers.
type villageState struct {
	seq       int // households made
	county    int // index into counties
	profile   countyProfile
	eth       *weighted
	clans     []string // the village's big surnames
	clanShare float64
	poorRate  float64
	groups    int // 村民小组 (社)
	// The helper taking the village's next key households, and how many
	// more.
	helper, helperPhone string
	helperLeft          int
	// Recent household heads, whose phone an elderly parent living alone
	// may give as the household's.
	heads [8]headRef
	nhead int
}

type headRef struct {
	surname, phone string
	age            int
}

// NewGenerator prepares household generation.
func NewGenerator(g *Geography, seed uint64) *Generator {
	gen := &Generator{geo: g, rng: rand.New(rand.NewPCG(seed, 0x620799)), villages: make([]*villageState, len(g.Villages)),
		today: dataDate, phones: newPhoneBook(seed), ids: newIDBook(seed)}
	// Village weights scaled so that the counties get their shares of
	// households and streets and farms few.
	weights := make([]float64, len(g.Villages))
	byCounty := map[string]float64{}
	for i, v := range g.Villages {
		weights[i] = v.weight * townshipWeight(v.Code)
		byCounty[v.Code[:6]] += weights[i]
	}
	var sum float64
	for i, v := range g.Villages {
		sum += weights[i] * countyProfiles[v.Code[:6]].share / byCounty[v.Code[:6]]
		gen.cum = append(gen.cum, sum)
	}
	return gen
}

func (gen *Generator) village(vi int) *villageState {
	if st := gen.villages[vi]; st != nil {
		return st
	}
	rng := gen.rng
	v := gen.geo.Villages[vi]
	st := &villageState{county: countyIndex[v.Code[:6]], profile: countyProfiles[v.Code[:6]], eth: ethnicMixOf(v.Code),
		clanShare: .25 + .3*rng.Float64(), groups: 3 + rng.IntN(8)}
	// A village named after a family (张家庄, 王寨) is mostly that family.
	first := string([]rune(v.Name)[:1])
	if hanSurnameSet[first] && rng.IntN(10) < 7 {
		st.clans = append(st.clans, first)
	}
	for n := 1 + rng.IntN(3); len(st.clans) < n; {
		if s := hanSurnames.pick(rng); !contains(st.clans, s) {
			st.clans = append(st.clans, s)
		}
	}
	// Poverty clusters: some villages had many poor households, others
	// few (a log-normal factor with mean 1); streets and farms fewer.
	st.poorRate = math.Min(.5, st.profile.poor*math.Exp(rng.NormFloat64()*.5-.125)*math.Min(1, 2*townshipWeight(v.Code)))
	gen.villages[vi] = st
	return st
}

var hanSurnameSet = func() map[string]bool {
	m := map[string]bool{}
	for _, s := range hanSurnames.items {
		m[s] = true
	}
	return m
}()

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// surname draws the surname of a family line of the village.
func (st *villageState) surname(rng *rand.Rand, ethnicity string) string {
	if ethnicity == han && rng.Float64() < st.clanShare {
		return st.clans[rng.IntN(len(st.clans))]
	}
	return surnamesOf[ethnicity].pick(rng)
}

func (gen *Generator) pick(weights ...float64) int {
	x := gen.rng.Float64()
	for i, w := range weights {
		if x < w {
			return i
		}
		x -= w
	}
	return len(weights) - 1
}

// between draws an integer in [lo, hi]; around does too, favouring the
// middle.
func (gen *Generator) between(lo, hi int) int {
	if hi <= lo {
		return lo
	}
	return lo + gen.rng.IntN(hi-lo+1)
}

func (gen *Generator) around(lo, hi int) int {
	if hi <= lo {
		return lo
	}
	return lo + (gen.rng.IntN(hi-lo+1)+gen.rng.IntN(hi-lo+1))/2
}

func (gen *Generator) chance(p float64) bool { return gen.rng.Float64() < p }

func (gen *Generator) logNormal(median, sigma float64) float64 {
	return median * math.Exp(gen.rng.NormFloat64()*sigma)
}

// birthFor draws a birth date at which a person is exactly age on the
// data date.
func (gen *Generator) birthFor(age int) time.Time {
	y, m, d := gen.today.Date()
	latest := time.Date(y-age, m, d, 0, 0, 0, 0, time.UTC)
	earliest := time.Date(y-age-1, m, d+1, 0, 0, 0, 0, time.UTC)
	days := int(latest.Sub(earliest).Hours() / 24)
	return earliest.AddDate(0, 0, gen.rng.IntN(days+1))
}

func ptr[T any](v T) *T { return &v }

func isoDate(t time.Time) string { return t.Format("2006-01-02") }

// Next makes one household in a village drawn by weight.
func (gen *Generator) Next() *backstop.Household {
	vi := 0
	x := gen.rng.Float64() * gen.cum[len(gen.cum)-1]
	for lo, hi := 0, len(gen.cum)-1; lo <= hi; {
		mid := (lo + hi) / 2
		if gen.cum[mid] < x {
			lo = mid + 1
		} else {
			vi, hi = mid, mid-1
		}
	}
	return gen.NextIn(vi)
}

// Sequence calls fn for about n households, village by village in code
// order, as the national system exports rosters; it stops when fn returns
// false.
func (gen *Generator) Sequence(n int, fn func(*backstop.Household) bool) {
	total := gen.cum[len(gen.cum)-1]
	made := 0
	for vi := range gen.geo.Villages {
		// Cumulative rounding gives exactly n in all.
		upto := int(float64(n)*gen.cum[vi]/total + 0.5)
		for ; made < upto; made++ {
			if !fn(gen.NextIn(vi)) {
				return
			}
		}
	}
}

var groupNames = []string{"一社", "二社", "三社", "四社", "五社", "六社", "七社", "八社", "九社", "十社"}

// NextIn makes one household in the village with index vi.
func (gen *Generator) NextIn(vi int) *backstop.Household {
	rng := gen.rng
	v := gen.geo.Villages[vi]
	st := gen.village(vi)
	st.seq++
	number := fmt.Sprintf("%s%04d", v.Code, st.seq)
	if st.seq > 9999 {
		number = fmt.Sprintf("%s%06d", v.Code, st.seq)
	}
	loc := v.Point(rng)
	h := &backstop.Household{
		Number: number, VillageCode: v.Code, NaturalVillage: groupNames[rng.IntN(st.groups)],
		Type: backstop.HouseholdTypeOrdinary, Location: &loc, DataDate: isoDate(gen.today),
		DangerousHouse: ptr(false), SafeWater: ptr(true), RelocationHighRise: ptr(false),
	}
	poor := gen.chance(st.poorRate)
	if poor {
		h.Type = backstop.HouseholdTypeFormerlyPoor
	}
	// 特困: people without work, income or anyone bound to support them,
	// nearly always alone.
	tekun := gen.chance(.006)
	if poor {
		tekun = gen.chance(.035)
	}
	f := gen.compose(st, poor, tekun)
	f.fillPersons(poor)
	vulnerable := f.anyHealth(backstop.HealthDisabled) || f.anyHealth("患有大病") || !f.hasLabour()
	gen.monitoring(h, poor, vulnerable)
	monitored := h.MonitorType != "" && !*h.RiskCleared
	switch {
	case tekun:
		h.SocialAssistance = backstop.SocialTekunDispersed
		if gen.chance(.2) {
			h.SocialAssistance = backstop.SocialTekunConcentrated
		}
	default:
		p := .01
		if poor {
			p += .12
		}
		if h.MonitorType != "" {
			p += .18
		}
		if f.anyHealth(backstop.HealthDisabled) || f.anyHealth("患有大病") {
			p += .1
		}
		if f.kind == kindElderlyAlone || f.kind == kindElderWithSon || !f.hasLabour() {
			p += .08
		}
		if gen.chance(p) {
			h.SocialAssistance = backstop.SocialDibao
		}
	}
	gen.income(h, st, f, poor, monitored, tekun)
	gen.housing(h, st, f, poor)
	gen.identification(h, f, poor)
	gen.phonesOf(h, st, f)
	if poor || h.MonitorType != "" || h.SocialAssistance != "" {
		// Formerly poor and monitored households have an assigned helper
		// (结对帮扶), and so do those on 低保 or 特困 here; a helper takes
		// 2 to 5 households of one village.
		if st.helperLeft == 0 {
			st.helper, st.helperPhone = gen.cadreName(v.Code, 24, 56), gen.phones.next(rng.Float64(), false)
			st.helperLeft = 2 + rng.IntN(4)
		}
		st.helperLeft--
		h.HelperName, h.HelperPhone = st.helper, st.helperPhone
	}
	for i, p := range f.people {
		p.m.Number, p.m.HouseholdNumber = number+string([]byte{byte('0' + (i+1)/10), byte('0' + (i+1)%10)}), number
		h.Members = append(h.Members, p.m)
	}
	h.Size = len(h.Members)
	h.HeadName = h.Members[0].Name
	return h
}

// monitoring decides whether the household was identified as at risk of
// (re)turning poor (监测对象), of which type, and whether the risk is
// cleared.
func (gen *Generator) monitoring(h *backstop.Household, poor, vulnerable bool) {
	p := .022
	if poor {
		p = .12
	}
	if vulnerable {
		p *= 1.8
	}
	if !gen.chance(p) {
		return
	}
	var days int
	switch {
	case poor && gen.chance(.8):
		h.MonitorType, days = backstop.MonitorUnstable, gen.between(60, 1950)
	case !poor && gen.chance(.65):
		h.MonitorType, days = backstop.MonitorMarginal, gen.between(60, 1950)
	default:
		h.MonitorType, days = backstop.MonitorSuddenHardship, gen.between(10, 700)
	}
	identified := gen.today.AddDate(0, 0, -days)
	h.RiskIdentifiedOn = isoDate(identified)
	h.RiskCleared = ptr(false)
	// Risks are cleared after assistance has worked for half a year or more.
	if (days > 365 && gen.chance(.65)) || (days > 200 && gen.chance(.12)) {
		h.RiskCleared = ptr(true)
		h.RiskClearedOn = isoDate(identified.AddDate(0, 0, gen.between(180, min(days-30, 900))))
	}
}

// income sets the last year's per-capita net income: the household's total
// rounded to 10 yuan, divided by its size.
func (gen *Generator) income(h *backstop.Household, st *villageState, f *family, poor, monitored, tekun bool) {
	var pc float64
	switch {
	case tekun:
		pc = gen.logNormal(10000, .12)
	case monitored && h.MonitorType == backstop.MonitorSuddenHardship:
		pc = gen.logNormal(8600, .25)
	case monitored:
		pc = gen.logNormal(7400, .14)
	case h.MonitorType != "": // risk cleared
		pc = gen.logNormal(10500, .18)
	case h.SocialAssistance == backstop.SocialDibao:
		pc = gen.logNormal(9400, .16)
	case poor:
		pc = gen.logNormal(st.profile.income*.74, .25)
	default:
		pc = gen.logNormal(st.profile.income, .38)
	}
	if f.elderlyOnly() && !tekun {
		pc *= .7
	}
	if !monitored && pc < monitoringLine*1.05 {
		// Under the line the household would be monitored.
		pc = monitoringLine*1.05 + 1500*gen.rng.Float64()
	}
	size := float64(len(f.people))
	total := math.Round(pc*size/10) * 10
	h.IncomePerCapita = ptr(math.Round(total / size))
}

var (
	structures         = table(`砖混:50 砖木:24 土木:12 钢混:9 其他:5`)
	pastoralStructures = table(`砖混:45 砖木:20 土木:10 钢混:10 其他:15`)
	elderStructures    = table(`砖混:40 砖木:28 土木:24 钢混:4 其他:4`)
	// Safety grades by structure (农村住房安全性鉴定): the old adobe and
	// timber houses are where C and D remain.
	gradesOf = map[string]*weighted{
		"钢混": table(`A:90 B:10`),
		"砖混": table(`A:62 B:36 C:2`),
		"砖木": table(`A:35 B:59 C:5.5 D:0.5`),
		"土木": table(`A:10 B:72 C:15 D:3`),
		"其他": table(`A:30 B:58 C:10 D:2`),
	}
	// Formerly poor households' houses were made safe (住房安全有保障):
	// many were rebuilt, few C remain and hardly any D.
	poorGradesOf = map[string]*weighted{
		"钢混": table(`A:92 B:8`),
		"砖混": table(`A:70 B:29 C:1`),
		"砖木": table(`A:40 B:57 C:3`),
		"土木": table(`A:15 B:77 C:7.5 D:0.5`),
		"其他": table(`A:35 B:60 C:5`),
	}
	elderLivelihoods = table(`其他:50 种植业:42 养殖业:8`)
)

// housing sets the house, the living and the water of the household.
func (gen *Generator) housing(h *backstop.Household, st *villageState, f *family, poor bool) {
	rng := gen.rng
	code := h.VillageCode[:6]
	s := structures
	switch {
	case f.elderlyOnly():
		s = elderStructures
	case st.profile.pastoral:
		s = pastoralStructures
	}
	h.HousingStructure = s.pick(rng)
	grades := gradesOf
	if poor {
		grades = poorGradesOf
	}
	h.HousingGrade = grades[h.HousingStructure].pick(rng)
	h.Livelihood = livelihoodTables[code].pick(rng)
	switch {
	case f.elderlyOnly():
		h.Livelihood = elderLivelihoods.pick(rng)
	case f.migrants() > 0 && gen.chance(.4):
		h.Livelihood = "务工"
	}
	h.WaterSource = "集中供水"
	if (st.profile.pastoral && gen.chance(.4)) || gen.chance(.03) {
		h.WaterSource = "分散供水"
		if !poor && h.MonitorType == "" && gen.chance(.04) {
			h.SafeWater = ptr(false)
		}
	}
	// Formerly poor families moved out of the mountains (易地扶贫搬迁),
	// some into blocks of flats in the towns.
	if poor && code != "620723" && code != "620724" && gen.chance(.07) {
		h.HousingStructure, h.HousingGrade, h.WaterSource, h.SafeWater = "钢混", "A", "集中供水", ptr(true)
		h.RelocationHighRise = ptr(true)
		if f.hasLabour() && gen.chance(.5) {
			h.Livelihood = "务工"
		}
	}
	h.DangerousHouse = ptr(h.HousingGrade == "C" || h.HousingGrade == "D")
}

// identification fills the poverty cause and the identification dates of
// formerly poor and monitored households: 建档立卡 mostly in 2014, the
// monitoring from 2021.
func (gen *Generator) identification(h *backstop.Household, f *family, poor bool) {
	if !poor && h.MonitorType == "" {
		return
	}
	var on time.Time
	if poor {
		year := []int{2014, 2015, 2016, 2017, 2018}[gen.pick(.72, .14, .09, .03, .02)]
		on = time.Date(year, time.Month(gen.between(3, 11)), gen.between(1, 28), 0, 0, 0, 0, time.UTC)
	} else {
		on, _ = time.Parse("2006-01-02", h.RiskIdentifiedOn)
	}
	cause := gen.cause(h, f)
	for _, p := range f.people {
		p.m.PovertyCause = cause
		at := on
		if p.birth.After(on) {
			// Born later: identified when added to the household.
			at = p.birth.AddDate(0, 0, gen.between(30, 365))
			if at.After(gen.today) {
				at = gen.today
			}
		}
		p.m.FirstIdentified, p.m.Identified = isoDate(at), isoDate(at)
	}
}

// cause picks the main poverty cause (致贫原因) from what the household
// shows.
func (gen *Generator) cause(h *backstop.Household, f *family) string {
	causes := []string{"因病", "因残", "因学", "缺劳力", "缺资金", "缺技术", "因灾", "自身发展动力不足", "缺土地", "因意外事故"}
	w := []float64{.6, .2, .2, .3, 1.5, 1.2, .5, .4, .3, .1}
	if f.anyHealth("患有大病") || f.anyHealth("长期慢性病") {
		w[0] += 4
	}
	if f.anyHealth(backstop.HealthDisabled) {
		w[1] += 3
	}
	if f.inHigherEducation() {
		w[2] += 2
	}
	if !f.hasLabour() {
		w[3] += 3
	}
	if h.MonitorType == backstop.MonitorSuddenHardship {
		w[6] += 3
		w[9] += 1.5
	}
	sum := 0.0
	for _, x := range w {
		sum += x
	}
	x := gen.rng.Float64() * sum
	for i, c := range causes {
		if x < w[i] {
			return c
		}
		x -= w[i]
	}
	return causes[len(causes)-1]
}

// phonesOf gives members their own phones and the household its contact
// number: the head's, else another member's, else a relative's outside the
// register — for an elderly parent living alone often a son's in the
// same village, the one case where households share a number.
func (gen *Generator) phonesOf(h *backstop.Household, st *villageState, f *family) {
	rng := gen.rng
	for _, p := range f.people {
		var own bool
		switch {
		case p.role == roleHead:
			own = p.age < 70 || (p.age < 80 && gen.chance(.85)) || gen.chance(.55)
		case p.age < 16:
		case p.student:
			own = gen.chance(.35)
		case p.role == roleSpouse:
			own = gen.chance(.5) && p.age < 70 || gen.chance(.2)
		case p.age >= 65:
			own = gen.chance(.15)
		default:
			own = gen.chance(.5)
		}
		if own {
			p.m.Phone = gen.phones.next(rng.Float64(), false)
		}
	}
	for _, p := range f.people {
		if p.m.Phone != "" {
			h.Phone = p.m.Phone
			break
		}
	}
	head := f.people[0]
	if h.Phone == "" && len(f.people) == 1 && head.age >= 65 && gen.chance(.5) {
		for i := range min(st.nhead, len(st.heads)) {
			r := st.heads[i]
			if d := head.age - r.age; d >= 20 && d <= 40 && (!head.male || r.surname == head.surname) {
				h.Phone = r.phone
				break
			}
		}
	}
	if h.Phone == "" {
		h.Phone = gen.phones.next(rng.Float64(), false)
	}
	if head.m.Phone != "" && head.age >= 30 && head.age <= 65 {
		st.heads[st.nhead%len(st.heads)] = headRef{surname: head.surname, phone: head.m.Phone, age: head.age}
		st.nhead++
	}
}

// cadreName makes the name of a township or county cadre working in the
// region: mostly Han, in Sunan often Yugur or Tibetan.
func (gen *Generator) cadreName(code string, minAge, maxAge int) string {
	eth := cadreEthnicity.pick(gen.rng)
	if code[:6] == "620721" {
		eth = sunanCadreEthnicity.pick(gen.rng)
	}
	year := gen.today.Year() - gen.between(minAge, maxAge)
	male := gen.chance(.62)
	return personName(gen.rng, surnamesOf[eth].pick(gen.rng), eth, year, male)
}

var (
	cadreEthnicity      = table(`汉族:97 回族:3`)
	sunanCadreEthnicity = table(`汉族:55 裕固族:25 藏族:14 蒙古族:6`)
)

// Populated tells whether the store already has households, in which case
// Fill does nothing.
type Store interface {
	backstop.RegionService
	backstop.RosterStore
	backstop.ContactService
	backstop.PolicyService
	FindHouseholds(ctx context.Context, f backstop.HouseholdFilter) ([]*backstop.Household, int, error)
}

// DemoLine is the monitoring line the demo sets for years nobody has set
// one: Gansu's 2024 line (POST-DISASTER.md), the last one known here.
const DemoLine = 7800

// demoLines gives the demo city a monitoring line for each year from 2025
// to this year that has none, so that the demo's incomes and risk
// judgements have a line to stand against. The rows say they are demo
// data: a real installation sets its own (the policy page, or POST
// /api/v1/policies), and without one backstop says no line is set.
func demoLines(ctx context.Context, store Store, now time.Time) error {
	for y := 2025; y <= now.In(backstop.Beijing).Year(); y++ {
		from := time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC)
		if _, err := store.PolicyAt(ctx, backstop.PolicyMonitoringLine, "620700000000", from); err == nil {
			continue
		} else if backstop.ErrorCode(err) != backstop.ENOTFOUND {
			return err
		}
		to := from.AddDate(1, 0, 0)
		p := &backstop.Policy{Key: backstop.PolicyMonitoringLine, Region: "620700000000", Value: DemoLine, Unit: "yuan/person/year", EffectiveFrom: from, EffectiveTo: &to,
			Source: fmt.Sprintf("演示数据（合成）：%d年监测范围暂按甘肃省2024年标准7,800元设置，正式使用前请按当年文件录入 — demo data, not a published figure", y)}
		if err := store.CreatePolicy(ctx, p); err != nil {
			return err
		}
	}
	return nil
}

// demoSubsidyTables gives each demo county a housing reconstruction
// subsidy table, marked as a local default: the counties' real tables are
// not known here, and a real deployment has none until a county enters
// its own (a missing table is an error, never a default amount).
func demoSubsidyTables(ctx context.Context, store Store) error {
	for _, c := range counties {
		code := c.code + "000000"
		if _, err := store.PolicyAt(ctx, backstop.PolicyHousingSubsidy, code, time.Now()); err == nil {
			continue
		} else if backstop.ErrorCode(err) != backstop.ENOTFOUND {
			return err
		}
		p := &backstop.Policy{Key: backstop.PolicyHousingSubsidy, Region: code, Unit: "yuan", EffectiveFrom: time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC),
			Data:   []byte(`{"per_room":{"collapsed":20000,"severe":8000,"moderate":2000},"household_cap":{"collapsed":40000,"severe":20000,"moderate":5000},"uplift_pct":{"formerly_poor":10,"monitored":15}}`),
			Source: "本地默认（未核实）：演示数据（合成），" + c.name + "的住房恢复重建补助标准未找到出处；正式使用前由县区按本地文件录入 — demo data, not a published table"}
		if err := store.CreatePolicy(ctx, p); err != nil {
			return err
		}
	}
	return nil
}

// Fill loads the generated geography and n households into an empty
// store, as the acting user in ctx (an admin). Regions that exist already
// (real boundaries, say) are kept as they are. It returns false when the
// store had households and nothing was done.
func Fill(ctx context.Context, store Store, n int, seed uint64, progress func(done int)) (bool, error) {
	_, total, err := store.FindHouseholds(ctx, backstop.HouseholdFilter{Limit: 1})
	if err != nil {
		return false, err
	}
	if total > 0 {
		return false, nil
	}
	g := NewGeography(seed, 10)
	var missing []*backstop.Region
	for _, r := range g.Regions {
		if _, err := store.FindRegion(ctx, r.Code, false); backstop.ErrorCode(err) == backstop.ENOTFOUND {
			missing = append(missing, r)
		} else if err != nil {
			return false, err
		}
	}
	if len(missing) > 0 {
		if _, err := store.ImportRegions(ctx, missing); err != nil {
			return false, err
		}
	}
	if err := demoLines(ctx, store, time.Now()); err != nil {
		return false, err
	}
	if err := demoSubsidyTables(ctx, store); err != nil {
		return false, err
	}
	gen := NewGenerator(g, seed)
	if err := store.CreateContacts(ctx, NewGenerator(g, seed+1).Contacts()...); err != nil {
		return false, err
	}
	// The import's file name is read on the import page, in the audit
	// trail and in every household's history: in the users' words.
	res := &backstop.ImportResult{FileName: fmt.Sprintf("演示数据（%d户，随机种子%d）", n, seed), Format: "demo"}
	err = store.ImportRoster(ctx, res, func(w backstop.RosterWriter) error {
		var batch backstop.RosterBatch
		var werr error
		done := 0
		gen.Sequence(n, func(h *backstop.Household) bool {
			batch.Households = append(batch.Households, h)
			batch.Members = append(batch.Members, h.Members...)
			res.Rows += len(h.Members)
			done++
			if len(batch.Members) >= roster.BatchRows {
				if werr = w.WriteBatch(ctx, batch); werr != nil {
					return false
				}
				batch = backstop.RosterBatch{}
				if progress != nil {
					progress(done)
				}
			}
			return true
		})
		if werr != nil {
			return werr
		}
		res.ValidRows = res.Rows
		return w.WriteBatch(ctx, batch)
	})
	return err == nil, err
}

// Contacts generates who a release reaches besides households: a cadre
// and a loudspeaker group per village, a duty officer per township and
// county, the city's duty officer, departments of the notice subscribed to
// their hazards, and a disaster information officer per township. Phones
// carry the demo's marker (PhoneMarker) with 9 as the seventh digit, which
// no household's number has, whatever the seeds; e-mail goes to
// example.org (reserved, RFC 2606).
func (gen *Generator) Contacts() []*backstop.Contact {
	var out []*backstop.Contact
	phone := func() string { return gen.phones.next(gen.rng.Float64(), true) }
	for _, r := range gen.geo.Regions {
		switch r.Level {
		case backstop.LevelVillage:
			// The village's Party secretary or committee head, from the
			// village.
			eth := ethnicMixOf(r.Code).pick(gen.rng)
			year := gen.today.Year() - gen.between(38, 62)
			name := personName(gen.rng, surnamesOf[eth].pick(gen.rng), eth, year, gen.chance(.85))
			out = append(out, &backstop.Contact{Kind: backstop.ContactVillageCadre, Name: name, Department: r.Name + "村委会", Region: r.Code, Phone: phone()},
				&backstop.Contact{Kind: backstop.ContactBroadcast, Name: r.Name + "应急广播", Region: r.Code, Address: "tg-" + r.Code})
		case backstop.LevelTownship:
			out = append(out, &backstop.Contact{Kind: backstop.ContactDutyOfficer, Name: gen.cadreName(r.Code, 26, 55), Department: r.Name + "值班室", Region: r.Code, Phone: phone()},
				&backstop.Contact{Kind: backstop.ContactInfoOfficer, Name: gen.cadreName(r.Code, 26, 55), Department: r.Name, Region: r.Code, Phone: phone()})
		case backstop.LevelCounty:
			out = append(out, &backstop.Contact{Kind: backstop.ContactDutyOfficer, Name: gen.cadreName(r.Code, 26, 55), Department: r.Name + "应急管理局值班室", Region: r.Code, Phone: phone(),
				Email: "duty-" + r.Code[:6] + "@example.org"})
		}
	}
	city := "620700000000"
	out = append(out, &backstop.Contact{Kind: backstop.ContactDutyOfficer, Name: gen.cadreName(city, 26, 55), Department: "张掖市应急管理局值班室", Region: city, Phone: phone(), Email: "duty-620700@example.org"})
	for _, d := range []struct {
		name    string
		hazards []backstop.Hazard
	}{
		{"张掖市乡村振兴局", nil},
		{"张掖市民政局", nil},
		{"张掖市住房和城乡建设局", []backstop.Hazard{"rainstorm", "flood", "earthquake", "snowstorm", "gale", "landslide", "debris_flow", "collapse"}},
		{"张掖市水务局", []backstop.Hazard{"rainstorm", "flood", "drought"}},
		{"张掖市自然资源局", []backstop.Hazard{"landslide", "debris_flow", "collapse", "geological", "earthquake"}},
		{"张掖市气象局", nil},
	} {
		out = append(out, &backstop.Contact{Kind: backstop.ContactDepartment, Name: gen.cadreName(city, 28, 58), Department: d.name, Region: city, Phone: phone(),
			Email: "dept-" + fmt.Sprint(len(out)) + "@example.org", Hazards: d.hazards})
	}
	return out
}

// WriteRoster writes a roster CSV of generated households with at least
// persons rows, for import benchmarks. It returns the households written.
func WriteRoster(w io.Writer, g *Geography, persons int, seed uint64) (int, error) {
	out, err := sheet.NewCSV(w)
	if err != nil {
		return 0, err
	}
	header := make([]any, 0, 43)
	for _, h := range roster.Header() {
		header = append(header, h)
	}
	if err := out.Write(header); err != nil {
		return 0, err
	}
	names := map[string]string{}
	for _, r := range g.Regions {
		names[r.Code] = r.Name
	}
	gen := NewGenerator(g, seed)
	seq, households := 0, 0
	var werr error
	// About 3.15 persons per household; another round of villages makes up
	// the rest, and the count is cut exactly at persons.
	for seq < persons && werr == nil {
		gen.Sequence(persons*100/315+1, func(h *backstop.Household) bool {
			households++
			h.VillageName = names[h.VillageCode]
			h.TownshipName = names[h.VillageCode[:9]+"000"]
			h.CountyName = names[h.VillageCode[:6]+"000000"]
			for _, m := range h.Members {
				if seq == persons {
					return false
				}
				seq++
				if werr = out.Write(roster.Row(seq, h, m)); werr != nil {
					return false
				}
			}
			return seq < persons
		})
	}
	if werr != nil {
		return households, werr
	}
	return households, out.Close()
}
