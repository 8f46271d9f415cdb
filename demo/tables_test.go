package demo

import (
	"fmt"
	"strings"
	"testing"
	"unicode"
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
