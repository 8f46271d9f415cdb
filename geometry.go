package backstop

import "math"

// Point is a WGS84 position in decimal degrees.
type Point struct {
	Lon float64 `json:"lon"`
	Lat float64 `json:"lat"`
}

// Ring is a closed linear ring: first and last points are equal.
type Ring []Point

// Polygon is an outer ring followed by holes.
type Polygon []Ring

// MultiPolygon is a set of polygons.
type MultiPolygon []Polygon

// China's extent with a margin, for plausibility checks of coordinates.
const (
	chinaMinLon, chinaMaxLon = 73.0, 135.5
	chinaMinLat, chinaMaxLat = 3.0, 54.0
)

// InChina reports whether p lies inside China's bounding box.
func (p Point) InChina() bool {
	return p.Lon >= chinaMinLon && p.Lon <= chinaMaxLon && p.Lat >= chinaMinLat && p.Lat <= chinaMaxLat
}

// Valid reports whether p is a possible WGS84 position.
func (p Point) Valid() bool {
	return !math.IsNaN(p.Lon) && !math.IsNaN(p.Lat) && p.Lon >= -180 && p.Lon <= 180 && p.Lat >= -90 && p.Lat <= 90
}

// Bound is an axis-aligned box.
type Bound struct{ Min, Max Point }

// Extend grows b to include p.
func (b Bound) Extend(p Point) Bound {
	return Bound{
		Min: Point{math.Min(b.Min.Lon, p.Lon), math.Min(b.Min.Lat, p.Lat)},
		Max: Point{math.Max(b.Max.Lon, p.Lon), math.Max(b.Max.Lat, p.Lat)},
	}
}

// Contains reports whether p is inside or on b.
func (b Bound) Contains(p Point) bool {
	return p.Lon >= b.Min.Lon && p.Lon <= b.Max.Lon && p.Lat >= b.Min.Lat && p.Lat <= b.Max.Lat
}

// Bound returns the bounding box of the outer rings.
func (m MultiPolygon) Bound() Bound {
	b := Bound{Min: Point{math.Inf(1), math.Inf(1)}, Max: Point{math.Inf(-1), math.Inf(-1)}}
	for _, poly := range m {
		if len(poly) == 0 {
			continue
		}
		for _, p := range poly[0] {
			b = b.Extend(p)
		}
	}
	return b
}

// Contains reports whether p is inside m (even-odd over all rings, so holes
// are respected). Points exactly on an edge may go either way.
func (m MultiPolygon) Contains(p Point) bool {
	for _, poly := range m {
		in := false
		for _, ring := range poly {
			if ring.contains(p) {
				in = !in
			}
		}
		if in {
			return true
		}
	}
	return false
}

func (r Ring) contains(p Point) bool {
	in := false
	for i, j := 0, len(r)-1; i < len(r); j, i = i, i+1 {
		a, b := r[i], r[j]
		if (a.Lat > p.Lat) != (b.Lat > p.Lat) &&
			p.Lon < (b.Lon-a.Lon)*(p.Lat-a.Lat)/(b.Lat-a.Lat)+a.Lon {
			in = !in
		}
	}
	return in
}

// Centroid returns the area-weighted centroid of the outer rings; for
// a region shaped like a crescent it may fall outside, which is acceptable
// for a label position.
func (m MultiPolygon) Centroid() (Point, bool) {
	var sx, sy, sa float64
	for _, poly := range m {
		if len(poly) == 0 || len(poly[0]) < 4 {
			continue
		}
		r := poly[0]
		for i := 0; i+1 < len(r); i++ {
			c := r[i].Lon*r[i+1].Lat - r[i+1].Lon*r[i].Lat
			sx += (r[i].Lon + r[i+1].Lon) * c
			sy += (r[i].Lat + r[i+1].Lat) * c
			sa += c
		}
	}
	if sa == 0 {
		return Point{}, false
	}
	return Point{Lon: sx / (3 * sa), Lat: sy / (3 * sa)}, true
}
