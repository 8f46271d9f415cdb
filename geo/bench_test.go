package geo

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/zhangye-backstop/backstop"
)

func benchPolygon() backstop.Polygon {
	rng := rand.New(rand.NewPCG(42, 42))
	cx, cy := 99.795, 38.76
	ring := backstop.Ring{}
	for i := 0; i < 200; i++ {
		a := 2 * math.Pi * float64(i) / 200
		r := (0.7 + 0.3*rng.Float64()) * 0.47
		ring = append(ring, backstop.Point{Lon: cx + 2*r*math.Cos(a), Lat: cy + r*math.Sin(a)})
	}
	return backstop.Polygon{append(ring, ring[0])}
}

func BenchmarkQuery2M(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 7))
	pts := make([]Point, 2000000)
	for i := range pts {
		pts[i] = Point{ID: int64(i + 1), Lon: 97.39 + rng.Float64()*4.81, Lat: 37.63 + rng.Float64()*2.26, Village: "620702100201"}
	}
	ix := NewIndex(pts)
	area := Area{Polygons: backstop.MultiPolygon{benchPolygon()}}
	b.ResetTimer()
	n := 0
	for i := 0; i < b.N; i++ {
		n = len(ix.QueryIDs(area))
	}
	b.ReportMetric(float64(n), "hits")
}
