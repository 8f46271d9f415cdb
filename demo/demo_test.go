package demo_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/demo"
	"github.com/zhangye-backstop/backstop/geo"
	"github.com/zhangye-backstop/backstop/roster"
	"github.com/zhangye-backstop/backstop/storetest"
)

func TestGeography(t *testing.T) {
	g := demo.NewGeography(1, 10)
	levels := map[backstop.RegionLevel]int{}
	byCode := map[string]*backstop.Region{}
	for _, r := range g.Regions {
		levels[r.Level]++
		byCode[r.Code] = r
	}
	if levels[backstop.LevelCounty] != 6 || levels[backstop.LevelTownship] != 78 || levels[backstop.LevelVillage] < 400 {
		t.Fatalf("levels = %v, want 6 counties, 78 townships, hundreds of villages", levels)
	}
	if byCode["620723101000"].Name != "沙河镇" || byCode["620702000000"].Name != "甘州区" {
		t.Error("real township or county names are missing")
	}
	// Every village lies inside its township and county (generated cells
	// nest), and households fall inside their village.
	gen := demo.NewGenerator(g, 1)
	for i := 0; i < 2000; i++ {
		h := gen.Next()
		v := byCode[h.VillageCode]
		if !v.Boundary.Contains(*h.Location) {
			t.Fatalf("household %s at %v is outside its village %s", h.Number, h.Location, v.Code)
		}
		if !byCode[v.ParentCode].Boundary.Contains(*h.Location) {
			t.Fatalf("household %s is outside its township", h.Number)
		}
		if err := h.Validate(); err != nil {
			t.Fatalf("household %s does not validate: %v %v", h.Number, err, backstop.ErrorDetails(err))
		}
	}
}

// TestCountyCodes: the demo's ID numbers use the real county codes, so the
// codes must be those of the shared boundary data.
func TestCountyCodes(t *testing.T) {
	b, err := os.ReadFile(storetest.SharedData(t, "boundaries/gansu-counties-2023.csv"))
	if err != nil {
		t.Fatal(err)
	}
	real := map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Split(line, ","); len(f) >= 2 && strings.HasPrefix(f[0], "6207") {
			real[f[0]] = strings.Trim(f[1], `"`)
		}
	}
	g := demo.NewGeography(1, 10)
	seen := 0
	for _, r := range g.Regions {
		if r.Level == backstop.LevelCounty {
			seen++
			if real[r.Code[:6]] != r.Name {
				t.Errorf("county %s %s: the boundary data has %q", r.Code, r.Name, real[r.Code[:6]])
			}
		}
	}
	if seen != 6 || len(real) != 6 {
		t.Errorf("%d generated counties, %d in the boundary data", seen, len(real))
	}
}

// household makes n households the way Fill does (village by village).
func households(seed uint64, n int) []*backstop.Household {
	gen := demo.NewGenerator(demo.NewGeography(seed, 10), seed)
	var out []*backstop.Household
	gen.Sequence(n, func(h *backstop.Household) bool {
		out = append(out, h)
		return true
	})
	return out
}

func TestGroupShares(t *testing.T) {
	const n = 20000
	var poor, monitored, dibao, tekun, disability int
	for _, h := range households(2, n) {
		g := h.DeriveGroups(0)
		if g&backstop.GroupFormerlyPoor != 0 {
			poor++
		}
		if g&backstop.GroupMonitored != 0 {
			monitored++
		}
		if g&backstop.GroupDibao != 0 {
			dibao++
		}
		if g&backstop.GroupTekun != 0 {
			tekun++
		}
		if g&backstop.GroupDisability != 0 {
			disability++
		}
	}
	share := func(c int) float64 { return float64(c) / n }
	for name, c := range map[string]struct{ got, lo, hi float64 }{
		"formerly poor": {share(poor), .10, .16}, "monitored": {share(monitored), .015, .035}, "dibao": {share(dibao), .04, .08},
		"tekun": {share(tekun), .005, .015}, "disability": {share(disability), .05, .10},
	} {
		if c.got < c.lo || c.got > c.hi {
			t.Errorf("%s share %.3f outside [%.3f, %.3f]", name, c.got, c.lo, c.hi)
		}
	}
}

// TestFillThenRealBoundaries loads the demo, then the real county
// boundaries, which replace the generated ones.
func TestFillThenRealBoundaries(t *testing.T) {
	db := storetest.OpenSQLite(t)
	ctx := storetest.Admin()
	filled, err := demo.Fill(ctx, db, 500, 1, nil)
	if err != nil || !filled {
		t.Fatalf("fill: %v %v", filled, err)
	}
	if filled, _ := demo.Fill(ctx, db, 500, 1, nil); filled {
		t.Error("a second fill ran on a database with households")
	}
	_, total, _ := db.FindHouseholds(ctx, backstop.HouseholdFilter{})
	if total != 500 {
		t.Errorf("households = %d, want 500", total)
	}
	before, _ := db.FindRegion(ctx, "620723", false)
	if before.BoundarySource != "generated" {
		t.Errorf("boundary source before = %q", before.BoundarySource)
	}
	f, err := os.Open(storetest.SharedData(t, "boundaries/zhangye-620700-counties.wgs84.geojson"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	regs, err := geo.ReadRegionsGeoJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ImportRegions(ctx, regs); err != nil {
		t.Fatal(err)
	}
	after, _ := db.FindRegion(ctx, "620723", true)
	if after.BoundarySource != "imported" || after.Name != "临泽县" {
		t.Errorf("after import: %+v", after)
	}
}

// TestLargeRosterImport imports a generated roster of several batches on
// both engines: every person lands in the right household, and importing
// the same file again changes nothing.
func TestLargeRosterImport(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	path := filepath.Join(t.TempDir(), "roster.csv")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	g := demo.NewGeography(3, 10)
	const persons = 2*roster.BatchRows + 1234
	households, err := demo.WriteRoster(f, g, persons, 3)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	for _, e := range storetest.Engines {
		t.Run(e.Name, func(t *testing.T) {
			db := e.Open(t)
			ctx := storetest.Admin()
			if _, err := demo.Fill(ctx, db, 0, 3, nil); err != nil {
				t.Fatal(err)
			}
			res, err := storetest.ImportRoster(ctx, db, path, backstop.ImportOptions{})
			if err != nil {
				t.Fatalf("import: %v", err)
			}
			if res.PeopleCreated != persons || res.HouseholdsCreated != households {
				t.Fatalf("created %d households, %d people; want %d, %d", res.HouseholdsCreated, res.PeopleCreated, households, persons)
			}
			// Spot checks across the batches: members belong to their household.
			list, total, err := db.FindHouseholds(ctx, backstop.HouseholdFilter{Limit: 1000})
			if err != nil || total != households {
				t.Fatalf("households listed %d (%v), want %d", total, err, households)
			}
			for i := 0; i < len(list); i += 97 {
				h, err := db.FindHousehold(ctx, list[i].Number)
				if err != nil {
					t.Fatal(err)
				}
				if len(h.Members) == 0 || len(h.Members) != h.People {
					t.Fatalf("household %s: %d members, people %d", h.Number, len(h.Members), h.People)
				}
				for _, m := range h.Members {
					if !strings.HasPrefix(m.Number, h.Number) {
						t.Fatalf("person %s is in household %s", m.Number, h.Number)
					}
				}
			}
			again, err := storetest.ImportRoster(ctx, db, path, backstop.ImportOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if again.HouseholdsCreated+again.HouseholdsUpdated+again.PeopleCreated+again.PeopleUpdated != 0 || again.PeopleUnchanged != persons {
				t.Fatalf("second import changed things: %+v", again)
			}
		})
	}
}
