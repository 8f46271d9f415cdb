package demo

import (
	"math"
	"math/rand/v2"

	"github.com/zhangye-backstop/backstop"
)

// Geometry is generated in a plane where a degree of longitude is scaled
// by cos(38.5°), so that cells look round on the map; convex polygons
// only, built by clipping with half-planes (Voronoi cells of seeds).

const lonScale = 0.7826 // cos(38.5°)

type vec struct{ x, y float64 }

func toVec(p backstop.Point) vec { return vec{p.Lon * lonScale, p.Lat} }
func toPoint(v vec) backstop.Point {
	return backstop.Point{Lon: math.Round(v.x/lonScale*1e6) / 1e6, Lat: math.Round(v.y*1e6) / 1e6}
}

// clip keeps the part of a convex polygon where a·p <= b.
func clip(poly []vec, a vec, b float64) []vec {
	var out []vec
	n := len(poly)
	for i := 0; i < n; i++ {
		cur, next := poly[i], poly[(i+1)%n]
		dc, dn := a.x*cur.x+a.y*cur.y-b, a.x*next.x+a.y*next.y-b
		if dc <= 0 {
			out = append(out, cur)
		}
		if (dc < 0 && dn > 0) || (dc > 0 && dn < 0) {
			t := dc / (dc - dn)
			out = append(out, vec{cur.x + t*(next.x-cur.x), cur.y + t*(next.y-cur.y)})
		}
	}
	return out
}

// voronoi returns the cell of seeds[i] inside the convex polygon.
func voronoi(poly []vec, seeds []vec, i int) []vec {
	cell := poly
	s := seeds[i]
	for j, o := range seeds {
		if j == i {
			continue
		}
		// |p-s|² <= |p-o|²  ⇔  2(o-s)·p <= |o|²-|s|²
		a := vec{2 * (o.x - s.x), 2 * (o.y - s.y)}
		b := o.x*o.x + o.y*o.y - s.x*s.x - s.y*s.y
		cell = clip(cell, a, b)
		if len(cell) < 3 {
			break
		}
	}
	return cell
}

func bounds(poly []vec) (lo, hi vec) {
	lo, hi = vec{math.Inf(1), math.Inf(1)}, vec{math.Inf(-1), math.Inf(-1)}
	for _, p := range poly {
		lo.x, lo.y = math.Min(lo.x, p.x), math.Min(lo.y, p.y)
		hi.x, hi.y = math.Max(hi.x, p.x), math.Max(hi.y, p.y)
	}
	return
}

// inside reports whether p is inside the convex polygon (either winding).
func inside(poly []vec, p vec) bool {
	sign := 0.0
	for i := range poly {
		a, b := poly[i], poly[(i+1)%len(poly)]
		c := (b.x-a.x)*(p.y-a.y) - (b.y-a.y)*(p.x-a.x)
		if c == 0 {
			continue
		}
		if sign == 0 {
			sign = c
		} else if (c > 0) != (sign > 0) {
			return false
		}
	}
	return true
}

// randomIn draws a point uniformly inside a convex polygon, shrunk a little
// towards its centre so that points keep off the boundary.
func randomIn(rng *rand.Rand, poly []vec) vec {
	lo, hi := bounds(poly)
	c := centroid(poly)
	for range 1000 {
		p := vec{lo.x + rng.Float64()*(hi.x-lo.x), lo.y + rng.Float64()*(hi.y-lo.y)}
		q := vec{c.x + 0.97*(p.x-c.x), c.y + 0.97*(p.y-c.y)}
		if inside(poly, q) {
			return q
		}
	}
	return c
}

func centroid(poly []vec) vec {
	var sx, sy float64
	for _, p := range poly {
		sx += p.x
		sy += p.y
	}
	return vec{sx / float64(len(poly)), sy / float64(len(poly))}
}

// multiPolygon closes a cell into a GeoJSON-style ring.
func multiPolygon(poly []vec) backstop.MultiPolygon {
	ring := make(backstop.Ring, 0, len(poly)+1)
	for _, v := range poly {
		ring = append(ring, toPoint(v))
	}
	ring = append(ring, ring[0])
	return backstop.MultiPolygon{backstop.Polygon{ring}}
}
