package geo

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/zhangye-backstop/backstop"
)

// randomPoints scatters households over Zhangye's box, clustered like
// villages, some without a position.
func randomPoints(n int, seed uint64) []Point {
	rng := rand.New(rand.NewPCG(seed, 1))
	pts := make([]Point, n)
	for i := range pts {
		p := Point{ID: int64(i + 1), Village: "620723101" + string(rune('0'+i%10)) + "01"}
		if i%500 == 7 {
			p.Lon, p.Lat = math.NaN(), math.NaN()
		} else {
			cx, cy := 97.5+rng.Float64()*4.6, 37.7+rng.Float64()*2.1
			p.Lon, p.Lat = cx+rng.NormFloat64()*0.02, cy+rng.NormFloat64()*0.02
		}
		p.Attr.Groups = uint8(rng.IntN(64))
		p.Attr.People = uint8(1 + rng.IntN(6))
		pts[i] = p
	}
	return pts
}

// randomPolygon is a star-shaped (concave) polygon with n vertices.
func randomPolygon(rng *rand.Rand, cx, cy, r float64, n int) backstop.Polygon {
	ring := make(backstop.Ring, 0, n+1)
	for i := 0; i < n; i++ {
		a := 2 * math.Pi * float64(i) / float64(n)
		rr := r * (0.4 + 0.6*rng.Float64())
		ring = append(ring, backstop.Point{Lon: cx + rr*math.Cos(a), Lat: cy + rr*math.Sin(a)})
	}
	ring = append(ring, ring[0])
	return backstop.Polygon{ring}
}

func TestQueryMatchesBruteForce(t *testing.T) {
	pts := randomPoints(200000, 1)
	ix := NewIndex(append([]Point(nil), pts...))
	rng := rand.New(rand.NewPCG(9, 9))
	for trial := 0; trial < 30; trial++ {
		poly := randomPolygon(rng, 97.5+rng.Float64()*4.6, 37.7+rng.Float64()*2.1, 0.1+rng.Float64()*1.2, 3+rng.IntN(300))
		if trial%5 == 0 {
			// A hole.
			hole := randomPolygon(rng, poly[0][0].Lon, poly[0][0].Lat, 0.05, 12)
			poly = append(poly, hole[0])
		}
		want := map[int64]bool{}
		for _, p := range pts {
			if math.IsNaN(p.Lon) {
				continue
			}
			if (backstop.MultiPolygon{poly}).Contains(backstop.Point{Lon: float64(float32(p.Lon)), Lat: float64(float32(p.Lat))}) {
				want[p.ID] = true
			}
		}
		res := ix.Query(Area{Polygons: backstop.MultiPolygon{poly}})
		got := map[int64]bool{}
		for _, id := range res.IDs {
			if got[int64(id)] {
				t.Fatalf("trial %d: household %d returned twice", trial, id)
			}
			got[int64(id)] = true
		}
		if ids := ix.QueryIDs(Area{Polygons: backstop.MultiPolygon{poly}}); len(ids) != len(res.IDs) || len(res.Attrs) != len(res.IDs) {
			t.Fatalf("QueryIDs %d, Query %d ids and %d attrs", len(ids), len(res.IDs), len(res.Attrs))
		}
		if len(got) != len(want) {
			t.Fatalf("trial %d (%d vertices): index %d, brute force %d", trial, len(poly[0]), len(got), len(want))
		}
		for id := range want {
			if !got[id] {
				t.Fatalf("trial %d: household %d missing", trial, id)
			}
		}
	}
}

func TestCirclesRegionsAndUpdates(t *testing.T) {
	pts := randomPoints(50000, 2)
	ix := NewIndex(append([]Point(nil), pts...))
	c := Circle{Centre: backstop.Point{Lon: 100, Lat: 39}, RadiusKM: 30}
	// Oracle by great-circle distance: everybody within the radius is
	// found, and nobody beyond it by more than the polygon's 0.03 %.
	within, beyond := 0, 0
	for _, p := range pts {
		if math.IsNaN(p.Lon) {
			continue
		}
		d := haversineKM(c.Centre, backstop.Point{Lon: float64(float32(p.Lon)), Lat: float64(float32(p.Lat))})
		if d <= 30 {
			within++
		}
		if d <= 30*1.0004 {
			beyond++
		}
	}
	got := queryLen(ix, Area{Circles: []Circle{c}})
	if got < within || got > beyond {
		t.Errorf("circle: index %d, %d within 30 km, %d within 30.012 km", got, within, beyond)
	}
	// Region membership covers households without a position too.
	byRegion := queryLen(ix, Area{Regions: []string{"620723101301"}})
	want := 0
	for _, p := range pts {
		if p.Village == "620723101301" {
			want++
		}
	}
	if byRegion != want {
		t.Errorf("region: %d, want %d", byRegion, want)
	}
	// Moving a household, deleting one, adding one.
	box := backstop.MultiPolygon{{{{Lon: 99, Lat: 38}, {Lon: 99.01, Lat: 38}, {Lon: 99.01, Lat: 38.01}, {Lon: 99, Lat: 38.01}, {Lon: 99, Lat: 38}}}}
	before := queryLen(ix, Area{Polygons: box})
	moved := pts[100]
	moved.Lon, moved.Lat = 99.005, 38.005
	added := Point{ID: 999999, Lon: 99.006, Lat: 38.006, Village: "620723101201"}
	ix.Apply([]Point{moved, added}, nil, 5)
	if after := queryLen(ix, Area{Polygons: box}); after != before+2 {
		t.Errorf("after move and add: %d, want %d", after, before+2)
	}
	ix.Apply(nil, []int64{999999, moved.ID}, 6)
	if after := queryLen(ix, Area{Polygons: box}); after != before {
		t.Errorf("after deletes: %d, want %d", after, before)
	}
	if ix.Rev() != 6 || ix.Len() != 50000-1 {
		t.Errorf("rev %d len %d", ix.Rev(), ix.Len())
	}
	// Enough changes compact into a new snapshot with the same answers.
	var many []Point
	for i := 0; i < 20000; i++ {
		p := pts[i]
		p.Attr.People = 9
		many = append(many, p)
	}
	full := Area{Polygons: backstop.MultiPolygon{randomPolygon(rand.New(rand.NewPCG(3, 3)), 100, 38.8, 1.5, 50)}}
	n1 := queryLen(ix, full)
	ix.Apply(many, nil, 7)
	if ix.extra != nil && len(ix.extra) > 0 {
		t.Errorf("no compaction after %d changes", len(many))
	}
	if n2 := queryLen(ix, full); n2 != n1+0 && n2 != n1 {
		t.Errorf("compaction changed the answer: %d → %d", n1, n2)
	}
}

func haversineKM(a, b backstop.Point) float64 {
	const r = earthRadiusKM
	la1, la2 := a.Lat*math.Pi/180, b.Lat*math.Pi/180
	dla, dlo := la2-la1, (b.Lon-a.Lon)*math.Pi/180
	h := math.Sin(dla/2)*math.Sin(dla/2) + math.Cos(la1)*math.Cos(la2)*math.Sin(dlo/2)*math.Sin(dlo/2)
	return 2 * r * math.Asin(math.Sqrt(h))
}

func queryLen(ix *Index, a Area) int { r := ix.Query(a); return r.Len() }

func TestDaysSince1900(t *testing.T) {
	for _, c := range []struct {
		in   string
		want uint16
	}{
		{"1900-01-01", 0}, {"1900-01-02", 1}, {"1960-03-01", 21974}, {"2000-02-29", 36583},
		{"2023-02-30", 0}, {"1899-12-31", 0}, {"", 0}, {"2020-1-01", 0}, {"2020-13-01", 0}, {"20a0-01-01", 0},
	} {
		if got := DaysSince1900(c.in); got != c.want {
			t.Errorf("DaysSince1900(%q) = %d, want %d", c.in, got, c.want)
		}
	}
}
