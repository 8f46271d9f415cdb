package demo_test

import (
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/demo"
)

// The households tests look at: as many as `make run` loads.
var sample = households(1, 20000)

func ageOn(birth string, on string) int {
	b, _ := time.Parse("2006-01-02", birth)
	d, _ := time.Parse("2006-01-02", on)
	age := d.Year() - b.Year()
	if d.Month() < b.Month() || d.Month() == b.Month() && d.Day() < b.Day() {
		age--
	}
	return age
}

// maleByRelation is the sex a relation implies; absent for 户主 and 配偶.
var maleByRelation = map[string]bool{
	"之子": true, "之女": false, "之儿媳": false, "之女婿": true, "之孙子": true, "之孙女": false, "之外孙子": true, "之外孙女": false,
	"之父": true, "之母": false, "之岳父": true, "之岳母": false, "之公公": true, "之婆婆": false,
}

// TestIDNumbers: valid GB 11643 numbers of the household's own county, the
// birth date the member has, the sex the relation implies, the demo's
// marker, and never the same number twice.
func TestIDNumbers(t *testing.T) {
	seen := map[string]string{}
	for _, h := range sample {
		var headMale bool
		for i, m := range h.Members {
			id, birth, err := backstop.ValidateIDNumber(m.IDNumber)
			if err != nil {
				t.Fatalf("%s: ID %s: %v", m.Number, m.IDNumber, err)
			}
			if id[:6] != h.VillageCode[:6] {
				t.Fatalf("%s: ID %s is not of the household's county %s", m.Number, id, h.VillageCode[:6])
			}
			if birth.Format("2006-01-02") != m.BirthDate {
				t.Fatalf("%s: ID %s, birth date %s", m.Number, id, m.BirthDate)
			}
			if !demo.SyntheticIDNumber(id) || id[14] < '9' {
				t.Fatalf("%s: ID %s lacks the demo's sequence marker", m.Number, id)
			}
			male := (id[16]-'0')%2 == 1
			if want, ok := maleByRelation[m.Relation]; ok && want != male {
				t.Fatalf("%s: %s with ID %s of the other sex", m.Number, m.Relation, id)
			}
			switch m.Relation {
			case "户主":
				headMale = male
			case "配偶":
				if male == headMale {
					t.Fatalf("%s: head and spouse of one sex (%s, %s)", h.Number, h.Members[0].IDNumber, id)
				}
			}
			if other, dup := seen[id]; dup {
				t.Fatalf("ID %s given to %s and %s", id, other, m.Number)
			}
			seen[id] = m.Number
			if i == 0 && m.Relation != "户主" {
				t.Fatalf("%s: first member is %s", h.Number, m.Relation)
			}
		}
	}
	if demo.SyntheticIDNumber("620723196106054054") || demo.SyntheticIDNumber("620799197001011235") {
		t.Error("a number with a low sequence code or an unassigned county passes as the demo's")
	}
}

// TestPhones: real operators' prefixes with the demo's marker; no two
// people share a number; households share one only when an elderly parent
// living alone gives a son's household's phone in the same village;
// helpers and contacts have numbers of their own.
func TestPhones(t *testing.T) {
	owner := map[string]string{}                  // member phone → member
	byPhone := map[string][]*backstop.Household{} // household phone → households
	helpers := map[string]string{}                // helper phone → name + village
	perHelper := map[string]int{}
	for _, h := range sample {
		for _, m := range h.Members {
			if m.Phone == "" {
				continue
			}
			if !demo.SyntheticPhone(m.Phone) {
				t.Fatalf("%s: phone %s is not the demo's", m.Number, m.Phone)
			}
			if _, err := backstop.ValidatePhone(m.Phone); err != nil {
				t.Fatalf("%s: phone %s: %v", m.Number, m.Phone, err)
			}
			if o, dup := owner[m.Phone]; dup {
				t.Fatalf("phone %s of %s and %s", m.Phone, o, m.Number)
			}
			owner[m.Phone] = m.Number
		}
		if !demo.SyntheticPhone(h.Phone) {
			t.Fatalf("%s: household phone %q", h.Number, h.Phone)
		}
		byPhone[h.Phone] = append(byPhone[h.Phone], h)
		if h.HelperPhone != "" {
			if !demo.SyntheticPhone(h.HelperPhone) {
				t.Fatalf("%s: helper phone %q", h.Number, h.HelperPhone)
			}
			who := h.HelperName + " " + h.VillageCode
			if w, ok := helpers[h.HelperPhone]; ok && w != who {
				t.Fatalf("helper phone %s of %s and %s", h.HelperPhone, w, who)
			}
			helpers[h.HelperPhone] = who
			perHelper[h.HelperPhone]++
		}
	}
	shared := 0
	for phone, list := range byPhone {
		if len(list) == 1 {
			continue
		}
		// One household holds the number as a member's; the others are
		// single elderly parents in the same village.
		var own *backstop.Household
		for _, h := range list {
			for _, m := range h.Members {
				if m.Phone == phone {
					own = h
				}
			}
		}
		if own == nil {
			t.Fatalf("phone %s of %d households, none of whose members has it", phone, len(list))
		}
		for _, h := range list {
			if h == own {
				continue
			}
			shared++
			m := h.Members[0]
			if len(h.Members) != 1 || m.Phone != "" || ageOn(m.BirthDate, h.DataDate) < 65 || h.VillageCode != own.VillageCode {
				t.Fatalf("household %s shares %s with %s without being an elderly parent living alone there", h.Number, phone, own.Number)
			}
			// A father's surname is his son's (Han names show it).
			if male := (m.IDNumber[16]-'0')%2 == 1; male && m.Ethnicity == "汉族" && own.Members[0].Ethnicity == "汉族" && []rune(m.Name)[0] != []rune(own.HeadName)[0] {
				t.Errorf("%s (%s) gives the phone of %s of another family", m.Name, h.Number, own.HeadName)
			}
		}
	}
	if shared == 0 || shared > len(sample)/50 {
		t.Errorf("%d households share a phone on purpose, want a few", shared)
	}
	for phone, n := range perHelper {
		if _, clash := owner[phone]; clash || len(byPhone[phone]) > 0 {
			t.Fatalf("helper phone %s is also a household's", phone)
		}
		if n > 5 {
			t.Errorf("helper %s has %d households, want a handful (at most 5)", helpers[phone], n)
		}
	}
	if len(helpers) < 500 {
		t.Errorf("%d helpers for %d households", len(helpers), len(sample))
	}
	// Fill makes contacts with another generator: their numbers are still
	// apart from every household's.
	contacts := demo.NewGenerator(demo.NewGeography(1, 10), 2).Contacts()
	for _, c := range contacts {
		if c.Phone == "" {
			continue
		}
		if !demo.SyntheticPhone(c.Phone) || c.Phone[6] != '9' {
			t.Fatalf("contact %s %s: phone %s", c.Name, c.Department, c.Phone)
		}
		if _, clash := owner[c.Phone]; clash || len(byPhone[c.Phone]) > 0 || helpers[c.Phone] != "" {
			t.Fatalf("contact phone %s is also a household's or helper's", c.Phone)
		}
	}
	// Prefixes spread over the three operators.
	operators := map[byte]int{}
	for phone := range owner {
		switch phone[:3] {
		case "139", "138", "137", "136", "135", "134", "150", "151", "152", "157", "158", "159", "182", "183", "184", "187", "188", "178", "172", "198", "195", "197":
			operators['M']++
		case "130", "131", "132", "155", "156", "185", "186", "176", "175", "166", "196":
			operators['U']++
		case "133", "153", "173", "177", "180", "181", "189", "199", "191", "193", "190":
			operators['T']++
		default:
			t.Fatalf("phone %s has a prefix none of the three operators uses for mobiles", phone)
		}
	}
	if total := float64(len(owner)); float64(operators['M'])/total < .5 || float64(operators['U'])/total < .1 || float64(operators['T'])/total < .1 {
		t.Errorf("operators %v", operators)
	}
	if demo.SyntheticPhone("13893652186") || demo.SyntheticPhone("10000012345") || demo.SyntheticPhone("1390001234") {
		t.Error("an ordinary, impossible or short number passes as the demo's")
	}
}

// TestRelations: ages fit relations and households look like rural
// Gansu's.
func TestRelations(t *testing.T) {
	sizes := map[int]int{}
	people, threeGen, elderlyAlone, elderlyCouples := 0, 0, 0, 0
	for _, h := range sample {
		age := map[*backstop.Member]int{}
		var head, spouse *backstop.Member
		var children []*backstop.Member
		generations := map[int]bool{}
		for _, m := range h.Members {
			age[m] = ageOn(m.BirthDate, h.DataDate)
			switch m.Relation {
			case "户主":
				head = m
				generations[0] = true
			case "配偶":
				spouse = m
			case "之子", "之女":
				children = append(children, m)
				generations[1] = true
			case "之孙子", "之孙女", "之外孙子", "之外孙女":
				generations[2] = true
			case "之父", "之母", "之岳父", "之岳母", "之公公", "之婆婆":
				generations[-1] = true
			}
		}
		if head == nil || age[head] < 18 {
			t.Fatalf("%s: head %v", h.Number, head)
		}
		if spouse != nil {
			if d := age[head] - age[spouse]; d < -10 || d > 10 || age[spouse] < 20 {
				t.Fatalf("%s: head %d, spouse %d years old", h.Number, age[head], age[spouse])
			}
		}
		youngestChild := 200
		for _, c := range children {
			if d := age[head] - age[c]; d < 15 || d > 40 {
				t.Fatalf("%s: %s %d years younger than the head", h.Number, c.Relation, d)
			}
			youngestChild = min(youngestChild, age[c])
		}
		for _, m := range h.Members {
			a := age[m]
			switch m.Relation {
			case "之孙子", "之孙女", "之外孙子", "之外孙女":
				if age[head]-a < 36 {
					t.Fatalf("%s: grandchild %d, head %d", h.Number, a, age[head])
				}
				for _, c := range children {
					if age[c] <= a {
						t.Fatalf("%s: grandchild %d not younger than %s %d", h.Number, a, c.Relation, age[c])
					}
				}
			case "之父", "之母":
				if a-age[head] < 18 {
					t.Fatalf("%s: %s %d, head %d", h.Number, m.Relation, a, age[head])
				}
			case "之岳父", "之岳母", "之公公", "之婆婆":
				if spouse == nil || a-age[spouse] < 18 {
					t.Fatalf("%s: %s %d for spouse %v", h.Number, m.Relation, a, spouse)
				}
			case "之儿媳", "之女婿":
				ok := false
				for _, c := range children {
					if d := age[c] - a; d >= -10 && d <= 10 && age[c] >= 20 {
						ok = true
					}
				}
				if !ok || a < 20 {
					t.Fatalf("%s: %s aged %d fits none of the children", h.Number, m.Relation, a)
				}
			}
			if a > 100 || a < 0 {
				t.Fatalf("%s: %s aged %d", h.Number, m.Relation, a)
			}
			if a < 16 && (m.Labour != "无劳动力" || *m.MigrantMonths != 0 || m.Phone != "") {
				t.Fatalf("%s: a child of %d with labour %s, %d months away, phone %q", m.Number, a, m.Labour, *m.MigrantMonths, m.Phone)
			}
			if a >= 6 && a < 15 && m.SchoolStatus == "非在校生" {
				t.Fatalf("%s: a %d-year-old out of school", m.Number, a)
			}
		}
		if generations[-1] && generations[1] || generations[2] {
			threeGen++
		}
		switch {
		case len(h.Members) == 1 && age[head] >= 60:
			elderlyAlone++
		case len(h.Members) == 2 && spouse != nil && age[head] >= 60:
			elderlyCouples++
		}
		sizes[len(h.Members)]++
		people += len(h.Members)
		if h.Size != len(h.Members) {
			t.Fatalf("%s: size %d, %d members", h.Number, h.Size, len(h.Members))
		}
	}
	n := float64(len(sample))
	mean := float64(people) / n
	for name, c := range map[string]struct{ got, lo, hi float64 }{
		"mean size": {mean, 2.8, 3.6}, "one person": {float64(sizes[1]) / n, .08, .18}, "six or more": {float64(sizes[6]+sizes[7]+sizes[8]+sizes[9]) / n, .03, .12},
		"three generations": {float64(threeGen) / n, .12, .35}, "elderly alone": {float64(elderlyAlone) / n, .05, .15}, "elderly couples": {float64(elderlyCouples) / n, .10, .25},
	} {
		if c.got < c.lo || c.got > c.hi {
			t.Errorf("%s %.3f outside [%.2f, %.2f] (sizes %v)", name, c.got, c.lo, c.hi, sizes)
		}
	}
}

// TestEthnicityAndNames: Sunan is Yugur, Tibetan, Mongolian and Han;
// elsewhere nearly all are Han with some Hui. Names are ordinary names of
// the region: common surnames, children with the father's, few
// repeats, nothing that is not a Chinese character.
func TestEthnicityAndNames(t *testing.T) {
	byCounty := map[string]map[string]int{}
	names := map[string]int{}
	surnames := map[rune]int{}
	people, childSurnames, childrenOfMen := 0, 0, 0
	for _, h := range sample {
		c := h.VillageCode[:6]
		if byCounty[c] == nil {
			byCounty[c] = map[string]int{}
		}
		head := h.Members[0]
		headMale := (head.IDNumber[16]-'0')%2 == 1
		inHousehold := map[string]bool{}
		for _, m := range h.Members {
			if inHousehold[m.Name] {
				t.Fatalf("%s: two members named %s", h.Number, m.Name)
			}
			inHousehold[m.Name] = true
			byCounty[c][m.Ethnicity]++
			names[m.Name]++
			people++
			r := []rune(m.Name)
			if len(r) < 2 || len(r) > 5 {
				t.Fatalf("%s: name %q", m.Number, m.Name)
			}
			for _, x := range r {
				if !unicode.Is(unicode.Han, x) {
					t.Fatalf("%s: name %q has %q", m.Number, m.Name, x)
				}
			}
			if m.Ethnicity == "汉族" {
				surnames[r[0]]++
				if len(r) > 3 {
					t.Fatalf("%s: Han name %q", m.Number, m.Name)
				}
			}
			if headMale && (m.Relation == "之子" || m.Relation == "之女") && head.Ethnicity == "汉族" && m.Ethnicity == "汉族" {
				childrenOfMen++
				if r[0] == []rune(head.Name)[0] {
					childSurnames++
				}
			}
		}
	}
	share := func(c, e string) float64 {
		total := 0
		for _, n := range byCounty[c] {
			total += n
		}
		return float64(byCounty[c][e]) / float64(total)
	}
	if share("620721", "裕固族") < .15 || share("620721", "藏族") < .10 || share("620721", "汉族") > .6 {
		t.Errorf("Sunan: %v", byCounty["620721"])
	}
	hui := 0
	for _, c := range []string{"620702", "620722", "620723", "620724", "620725"} {
		if share(c, "汉族") < .95 {
			t.Errorf("%s: %v", c, byCounty[c])
		}
		hui += byCounty[c]["回族"]
	}
	if hui == 0 {
		t.Error("no Hui families outside Sunan")
	}
	// 王 张 李 lead, as in every register of the north-west.
	type kv struct {
		r rune
		n int
	}
	var top []kv
	for r, n := range surnames {
		top = append(top, kv{r, n})
	}
	sort.Slice(top, func(i, j int) bool { return top[i].n > top[j].n })
	lead := string([]rune{top[0].r, top[1].r, top[2].r})
	if !strings.ContainsRune(lead, '王') || !strings.ContainsRune(lead, '张') && !strings.ContainsRune(lead, '李') {
		t.Errorf("leading surnames %s", lead)
	}
	if float64(childSurnames)/float64(childrenOfMen) < .9 {
		t.Errorf("%d of %d children of a male head have his surname", childSurnames, childrenOfMen)
	}
	most := 0
	for _, n := range names {
		most = max(most, n)
	}
	if float64(len(names))/float64(people) < .3 || float64(most)/float64(people) > .002 {
		t.Errorf("%d distinct names of %d people, the commonest %d times", len(names), people, most)
	}
}

// TestIncomesAndHousing: incomes around the 2024 Gansu monitoring line for
// monitored households and above it for the others; monitoring types and
// assistance consistent with the household; housing grades and structures
// as rural Zhangye has them.
func TestIncomesAndHousing(t *testing.T) {
	const line = 7800
	var monitored []float64
	grades := map[string]int{}
	dangerous := map[string][2]int{} // structure → C or D, all
	for _, h := range sample {
		income := *h.IncomePerCapita
		open := h.MonitorType != "" && !*h.RiskCleared
		if open {
			monitored = append(monitored, income)
		} else if income < line {
			t.Fatalf("%s: %s %s at %.0f yuan, under the line and not monitored", h.Number, h.Type, h.MonitorType, income)
		}
		switch h.MonitorType {
		case backstop.MonitorUnstable:
			if h.Type != backstop.HouseholdTypeFormerlyPoor {
				t.Fatalf("%s: %s of type %s", h.Number, h.MonitorType, h.Type)
			}
		case backstop.MonitorMarginal:
			if h.Type == backstop.HouseholdTypeFormerlyPoor {
				t.Fatalf("%s: %s of type %s", h.Number, h.MonitorType, h.Type)
			}
		}
		if h.MonitorType != "" {
			if _, err := time.Parse("2006-01-02", h.RiskIdentifiedOn); err != nil || h.RiskIdentifiedOn > h.DataDate {
				t.Fatalf("%s: identified on %q", h.Number, h.RiskIdentifiedOn)
			}
			if *h.RiskCleared && (h.RiskClearedOn <= h.RiskIdentifiedOn || h.RiskClearedOn > h.DataDate) {
				t.Fatalf("%s: identified %s, cleared %s", h.Number, h.RiskIdentifiedOn, h.RiskClearedOn)
			}
		}
		if (h.Type == backstop.HouseholdTypeFormerlyPoor || h.MonitorType != "") != (h.Members[0].PovertyCause != "") {
			t.Fatalf("%s: %s %s with poverty cause %q", h.Number, h.Type, h.MonitorType, h.Members[0].PovertyCause)
		}
		if (h.Type == backstop.HouseholdTypeFormerlyPoor || h.MonitorType != "") != (h.HelperName != "") && h.SocialAssistance == "" {
			t.Fatalf("%s: %s %s with helper %q", h.Number, h.Type, h.MonitorType, h.HelperName)
		}
		if h.SocialAssistance == backstop.SocialTekunDispersed || h.SocialAssistance == backstop.SocialTekunConcentrated {
			m := h.Members[0]
			if len(h.Members) != 1 || ageOn(m.BirthDate, h.DataDate) < 60 && !m.Disabled {
				t.Fatalf("%s: 特困 household of %d, head %s %s", h.Number, len(h.Members), m.BirthDate, m.Health)
			}
		}
		if *h.RelocationHighRise && (h.Type != backstop.HouseholdTypeFormerlyPoor || h.HousingStructure != "钢混") {
			t.Fatalf("%s: relocation high-rise of a %s in a %s house", h.Number, h.Type, h.HousingStructure)
		}
		cd := h.HousingGrade == "C" || h.HousingGrade == "D"
		if *h.DangerousHouse != cd {
			t.Fatalf("%s: grade %s, dangerous %v", h.Number, h.HousingGrade, *h.DangerousHouse)
		}
		grades[h.HousingGrade]++
		d := dangerous[h.HousingStructure]
		d[1]++
		if cd {
			d[0]++
		}
		dangerous[h.HousingStructure] = d
	}
	sort.Float64s(monitored)
	below := sort.SearchFloat64s(monitored, line)
	if len(monitored) == 0 || monitored[len(monitored)/2] > line*1.15 || float64(below)/float64(len(monitored)) < .3 {
		t.Errorf("monitored incomes: median %.0f, %d of %d under %d", monitored[len(monitored)/2], below, len(monitored), line)
	}
	n := float64(len(sample))
	if cd := float64(grades["C"]+grades["D"]) / n; cd < .02 || cd > .10 || float64(grades["D"])/n > .02 || float64(grades["A"])/n < .3 {
		t.Errorf("grades %v", grades)
	}
	rate := func(s string) float64 { return float64(dangerous[s][0]) / float64(dangerous[s][1]) }
	if rate("土木") < 3*rate("砖混") || float64(dangerous["砖混"][1])/n < .3 {
		t.Errorf("dangerous houses by structure %v", dangerous)
	}
}

// TestDeterministic: the same seed gives the same households, another
// seed others.
func TestDeterministic(t *testing.T) {
	a, b := households(1, 500), households(1, 500)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("two generators of seed 1 differ")
	}
	if reflect.DeepEqual(a[0].Members, households(5, 500)[0].Members) {
		t.Error("seeds 1 and 5 made the same first household")
	}
}
