package demo

import (
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/zhangye-backstop/backstop"
)

// TestTables: every entry of the generator's tables parsed with its
// weight (a typo would leave "王:7x" as a surname) and is what its table
// holds.
func TestTables(t *testing.T) {
	han := func(s string) bool {
		for _, r := range s {
			if !unicode.Is(unicode.Han, r) {
				return false
			}
		}
		return s != ""
	}
	tables := map[string]*weighted{"prefixes": mobilePrefixes, "structures": structures, "pastoral structures": pastoralStructures,
		"elder structures": elderStructures, "elder livelihoods": elderLivelihoods, "cadres": cadreEthnicity, "Sunan cadres": sunanCadreEthnicity,
		"Tibetan male": tibetanMale, "Tibetan female": tibetanFemale, "Mongol male": mongolMale, "Mongol female": mongolFemale,
		"sibling male": siblingSecondMale, "sibling female": siblingSecondFemale}
	for e, w := range surnamesOf {
		tables[e+" surnames"] = w
	}
	for c, w := range ethnicByCounty {
		tables[c+" groups"] = w
	}
	for c, w := range ethnicByTownship {
		tables[c+" groups"] = w
	}
	for c, w := range livelihoodTables {
		tables[c+" livelihoods"] = w
	}
	for s, w := range gradesOf {
		tables[s+" grades"] = w
		tables[s+" grades, formerly poor"] = poorGradesOf[s]
	}
	for _, c := range givenNames {
		tables[fmt.Sprint("male given names to ", c.until)] = c.male
		tables[fmt.Sprint("female given names to ", c.until)] = c.female
	}
	for _, c := range educationByCohort {
		tables[fmt.Sprint("education to ", c.until)] = c.w
	}
	for name, w := range tables {
		if len(w.items) == 0 || len(w.items) != len(w.cum) {
			t.Errorf("%s: empty", name)
		}
		seen := map[string]bool{}
		for i, item := range w.items {
			if strings.Contains(item, ":") || seen[item] {
				t.Errorf("%s: entry %q (weight not read, or twice)", name, item)
			}
			seen[item] = true
			if i > 0 && w.cum[i] <= w.cum[i-1] {
				t.Errorf("%s: %q weighs nothing", name, item)
			}
			switch {
			case name == "prefixes":
				if len(item) != 3 || item[0] != '1' || item[1] < '3' {
					t.Errorf("prefix %q", item)
				}
			case strings.HasSuffix(name, "grades") || strings.HasSuffix(name, "poor"):
				if !strings.Contains("ABCD", item) {
					t.Errorf("%s: %q", name, item)
				}
			case !han(item):
				t.Errorf("%s: %q is not Chinese", name, item)
			case strings.HasSuffix(name, "surnames") && len([]rune(item)) != 1:
				t.Errorf("%s: %q", name, item)
			}
		}
	}
	if len(ethnicByCounty) != len(counties) || len(countyProfiles) != len(counties) {
		t.Error("a county lacks its profile")
	}
}

// TestBooks: the number books keep their promises at the scale of the
// benchmark stores, where one prefix's block or one birthday's codes run
// out.
func TestBooks(t *testing.T) {
	ids := newIDBook(1)
	birth := time.Date(1970, 3, 8, 0, 0, 0, 0, time.UTC)
	seen := map[string]bool{}
	for i := range 2 * idPerBlock {
		for _, male := range []bool{true, false} {
			id := ids.number(3, birth, male)
			norm, b, err := backstop.ValidateIDNumber(id)
			if err != nil || !b.Equal(birth) || norm[:6] != "620723" || seen[id] || ((id[16]-'0')%2 == 1) != male {
				t.Fatalf("number %d (male %v): %s %v, seen before %v", i, male, id, err, seen[id])
			}
			seen[id] = true
			if block := id[14]; (i < idPerBlock) != (block == '9') || i >= idPerBlock && block != '8' {
				t.Fatalf("number %d: %s, sequence block %c", i, id, block)
			}
			if seq := id[14:17]; seq >= "996" {
				t.Fatalf("sequence code %s is one of those kept for centenarians", seq)
			}
		}
	}
	phones := newPhoneBook(1)
	got := map[string]bool{}
	for i := range householdPhones + 10 {
		p := phones.next(0, false) // always the first prefix's share
		if got[p] || !SyntheticPhone(p) || p[6] == '9' {
			t.Fatalf("number %d: %s (again: %v)", i, p, got[p])
		}
		got[p] = true
		if (i < householdPhones) != (p[:3] == mobilePrefixes.items[0]) {
			t.Fatalf("number %d has prefix %s", i, p[:3])
		}
	}
	for i := range contactPhones {
		p := phones.next(.5, true)
		if got[p] || !SyntheticPhone(p) || p[6] != '9' {
			t.Fatalf("contact number %d: %s (again: %v)", i, p, got[p])
		}
		got[p] = true
	}
}
