package demo

import (
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/roster"
	"github.com/zhangye-backstop/backstop/sheet"
)

var (
	surnames   = []rune("王李张刘陈杨赵黄周吴徐孙马胡朱郭何罗高林郑梁谢唐许冯宋韩邓彭曹曾田萧潘袁蔡蒋余于杜叶程魏苏吕丁任卢姚沈钟姜崔谭陆范汪廖石金韦贾夏付方邹熊白孟秦邱侯江尹薛闫段雷")
	givenChars = []rune("建国秀兰磊玉梅福林艳小军志强芳伟明丽华平红英杰文军刚勇静敏燕霞桂兰玲凤海涛斌鹏辉宁娟婷亮浩宇子轩欣怡梓涵")
)

// Generator makes households for a geography, deterministically from a
// seed.
type Generator struct {
	geo     *Geography
	rng     *rand.Rand
	cum     []float64 // cumulative village weights
	seq     map[string]int
	helpers map[string][2]string
	today   time.Time
}

// NewGenerator prepares household generation.
func NewGenerator(g *Geography, seed uint64) *Generator {
	gen := &Generator{geo: g, rng: rand.New(rand.NewPCG(seed, 0x620799)), seq: map[string]int{}, helpers: map[string][2]string{},
		today: time.Date(2026, 10, 31, 0, 0, 0, 0, time.UTC)}
	var sum float64
	for _, v := range g.Villages {
		sum += v.weight
		gen.cum = append(gen.cum, sum)
	}
	return gen
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

func (gen *Generator) name() string {
	n := string(surnames[gen.rng.IntN(len(surnames))]) + string(givenChars[gen.rng.IntN(len(givenChars))])
	if gen.rng.IntN(3) > 0 {
		n += string(givenChars[gen.rng.IntN(len(givenChars))])
	}
	return n
}

// phone makes a number that cannot exist: no Chinese number starts 100.
func (gen *Generator) phone() string {
	return fmt.Sprintf("100%08d", gen.rng.IntN(100000000))
}

// idNumber makes an ID number with a valid check digit and the unassigned
// address code 620799, so that it can never be a real person's.
func (gen *Generator) idNumber(birth time.Time) string {
	first17 := FakeAddressCode + birth.Format("20060102") + fmt.Sprintf("%03d", gen.rng.IntN(1000))
	return first17 + string(backstop.IDCheckDigit(first17))
}

func (gen *Generator) birth(minAge, maxAge int) time.Time {
	age := minAge + gen.rng.IntN(maxAge-minAge+1)
	return gen.today.AddDate(-age, 0, -gen.rng.IntN(365))
}

func ptr[T any](v T) *T { return &v }

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
	prev := 0.0
	made := 0
	for vi := range gen.geo.Villages {
		// Cumulative rounding gives exactly n in all.
		upto := int(float64(n)*gen.cum[vi]/total + 0.5)
		for ; made < upto; made++ {
			if !fn(gen.NextIn(vi)) {
				return
			}
		}
		prev = gen.cum[vi]
	}
	_ = prev
}

// NextIn makes one household in the village with index vi.
func (gen *Generator) NextIn(vi int) *backstop.Household {
	v := gen.geo.Villages[vi]
	gen.seq[v.Code]++
	number := fmt.Sprintf("%s%04d", v.Code, gen.seq[v.Code])
	if gen.seq[v.Code] > 9999 {
		number = fmt.Sprintf("%s%06d", v.Code, gen.seq[v.Code])
	}
	helper, ok := gen.helpers[v.Code]
	if !ok {
		helper = [2]string{gen.name(), gen.phone()}
		gen.helpers[v.Code] = helper
	}
	loc := v.Point(gen.rng)
	h := &backstop.Household{
		Number: number, VillageCode: v.Code, NaturalVillage: []string{"一社", "二社", "三社", "四社", "五社", "六社"}[gen.rng.IntN(6)],
		Type: backstop.HouseholdTypeOrdinary, Location: &loc, DataDate: gen.today.Format("2006-01-02"),
		HousingStructure: backstop.HousingStructures[gen.pick(.10, .45, .25, .17, .03)],
		HousingGrade:     backstop.HousingGrades[gen.pick(.40, .42, .14, .04)],
		Livelihood:       backstop.Livelihoods[gen.pick(.42, .18, .08, .22, .06, .04)],
		WaterSource:      backstop.WaterSources[gen.pick(.86, .14)],
		HelperName:       helper[0], HelperPhone: helper[1],
		DangerousHouse: ptr(false), SafeWater: ptr(true), RelocationHighRise: ptr(gen.rng.Float64() < .03),
	}
	if h.HousingGrade == "C" || h.HousingGrade == "D" {
		h.DangerousHouse = ptr(true)
	}
	size := 1 + gen.pick(.12, .20, .25, .22, .13, .08)
	formerlyPoor := gen.rng.Float64() < .08
	if formerlyPoor {
		h.Type = backstop.HouseholdTypeFormerlyPoor
	}
	if gen.rng.Float64() < .015 {
		h.MonitorType = backstop.MonitorTypes[gen.pick(.45, .40, .15)]
		h.RiskCleared = ptr(false)
		h.RiskIdentifiedOn = gen.today.AddDate(0, -gen.rng.IntN(30), 0).Format("2006-01-02")
	}
	switch {
	case gen.rng.Float64() < .006:
		h.Assistance = backstop.AssistanceTekunDispersed
		size = 1
	case gen.rng.Float64() < .04:
		h.Assistance = backstop.AssistanceDibao
	}
	// Incomes: log-normal around 14,000 yuan per capita, lower for the
	// key groups.
	income := 14000 * math.Exp(gen.rng.NormFloat64()*0.45)
	if formerlyPoor || h.MonitorType != "" || h.Assistance != "" {
		income *= 0.62
	}
	h.IncomePerCapita = ptr(math.Round(income/100) * 100)
	h.Size = size
	disabled := gen.rng.Float64() < .05
	for i := 0; i < size; i++ {
		m := &backstop.Member{Number: fmt.Sprintf("%s%02d", number, i+1), HouseholdNumber: number, Ethnicity: "汉族",
			Health: "健康", Labour: "普通劳动力", SchoolStatus: "非在校生", Education: []string{"小学", "初中", "高中", "大专及以上", "文盲或半文盲"}[gen.pick(.35, .38, .14, .06)],
			IllnessInsured: ptr(true), MigrantMonths: ptr(0)}
		var birth time.Time
		switch i {
		case 0:
			m.Relation = "户主"
			if size == 1 && (h.Assistance != "" || gen.rng.Float64() < .5) {
				birth = gen.birth(60, 88)
			} else {
				birth = gen.birth(28, 72)
			}
		case 1:
			m.Relation = "配偶"
			birth = gen.birth(26, 70)
		default:
			m.Relation = []string{"之子", "之女", "之孙子", "之孙女", "之父", "之母"}[gen.rng.IntN(6)]
			birth = gen.birth(1, 40)
		}
		m.Name = gen.name()
		m.IDNumber = gen.idNumber(birth)
		m.BirthDate = birth.Format("2006-01-02")
		age := gen.today.Year() - birth.Year()
		switch {
		case age < 18:
			m.Labour, m.SchoolStatus = "无劳动力", "在校生"
		case age >= 65:
			m.Labour = "丧失劳动力"
		case gen.rng.Float64() < .3:
			m.MigrantMonths = ptr(3 + gen.rng.IntN(10))
		}
		if i == 0 {
			m.Phone = gen.phone()
			h.Phone = m.Phone
		} else if age >= 16 && gen.rng.Float64() < .6 {
			m.Phone = gen.phone()
		}
		if disabled && i == size-1 {
			m.Health, m.Disabled, m.Labour = backstop.HealthDisabled, true, "丧失劳动力"
		} else if gen.rng.Float64() < .08 {
			m.Health = "长期慢性病"
		}
		h.Members = append(h.Members, m)
	}
	h.HeadName = h.Members[0].Name
	return h
}

// Populated tells whether the store already has households, in which case
// Fill does nothing.
type Store interface {
	backstop.RegionService
	backstop.RosterStore
	backstop.ContactService
	FindHouseholds(ctx context.Context, f backstop.HouseholdFilter) ([]*backstop.Household, int, error)
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
	gen := NewGenerator(g, seed)
	if err := store.CreateContacts(ctx, NewGenerator(g, seed+1).Contacts()...); err != nil {
		return false, err
	}
	res := &backstop.ImportResult{FileName: fmt.Sprintf("demo (%d households, seed %d)", n, seed), Format: "demo"}
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
// start with 100 like the households' (no real number does); e-mail goes
// to example.org (reserved, RFC 2606).
func (gen *Generator) Contacts() []*backstop.Contact {
	var out []*backstop.Contact
	for _, r := range gen.geo.Regions {
		switch r.Level {
		case backstop.LevelVillage:
			out = append(out, &backstop.Contact{Kind: backstop.ContactVillageCadre, Name: gen.name(), Department: r.Name + "村委会", Region: r.Code, Phone: gen.phone()},
				&backstop.Contact{Kind: backstop.ContactBroadcast, Name: r.Name + "应急广播", Region: r.Code, Address: "tg-" + r.Code})
		case backstop.LevelTownship:
			out = append(out, &backstop.Contact{Kind: backstop.ContactDutyOfficer, Name: gen.name(), Department: r.Name + "值班室", Region: r.Code, Phone: gen.phone()},
				&backstop.Contact{Kind: backstop.ContactInfoOfficer, Name: gen.name(), Department: r.Name, Region: r.Code, Phone: gen.phone()})
		case backstop.LevelCounty:
			out = append(out, &backstop.Contact{Kind: backstop.ContactDutyOfficer, Name: gen.name(), Department: r.Name + "应急管理局值班室", Region: r.Code, Phone: gen.phone(),
				Email: "duty-" + r.Code[:6] + "@example.org"})
		}
	}
	city := "620700000000"
	out = append(out, &backstop.Contact{Kind: backstop.ContactDutyOfficer, Name: gen.name(), Department: "张掖市应急管理局值班室", Region: city, Phone: gen.phone(), Email: "duty-620700@example.org"})
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
		out = append(out, &backstop.Contact{Kind: backstop.ContactDepartment, Name: gen.name(), Department: d.name, Region: city, Phone: gen.phone(),
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
	// About 3.27 persons per household; the last village's households make
	// up the rest, and the count is cut exactly at persons.
	for seq < persons && werr == nil {
		gen.Sequence(persons*100/325+1, func(h *backstop.Household) bool {
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

var _ = strconv.Itoa
