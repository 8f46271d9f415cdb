package geo

import (
	"math"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/zhangye-backstop/backstop"
)

// Attr packs what exposure counts need of a household: 12 bytes.
type Attr struct {
	Village  uint32 // index into the index's village codes
	Groups   uint8  // stored group bits (backstop.StoredGroups)
	People   uint8  // members, capped at 255
	Housing  uint8  // grade code (low 3 bits) | structure code << 3
	Other    uint8  // livelihood code (low 4 bits) | water code << 4 | relocation high-rise << 6
	Youngest uint16 // the youngest member's birth, days since 1900-01-01; 0 unknown
}

// Codes of the coded values packed into Attr (0 = not given).
var (
	GradeCodes      = codeTable(backstop.HousingGrades)
	StructureCodes  = codeTable(backstop.HousingStructures)
	LivelihoodCodes = codeTable(backstop.Livelihoods)
	WaterCodes      = codeTable(backstop.WaterSources)
)

func codeTable(values []string) map[string]uint8 {
	m := map[string]uint8{}
	for i, v := range values {
		m[v] = uint8(i + 1)
	}
	return m
}

// Grade, Structure, Livelihood, Water and Relocation unpack an Attr.
func (a Attr) Grade() uint8      { return a.Housing & 7 }
func (a Attr) Structure() uint8  { return a.Housing >> 3 & 7 }
func (a Attr) Livelihood() uint8 { return a.Other & 15 }
func (a Attr) Water() uint8      { return a.Other >> 4 & 3 }
func (a Attr) Relocation() bool  { return a.Other>>6&1 == 1 }

var epoch1900 = time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)

// DaysSince1900 encodes a YYYY-MM-DD date for Attr.Youngest (0 when it
// is not one).
func DaysSince1900(date string) uint16 {
	t, ok := backstop.ParseISODate(date)
	if !ok {
		return 0
	}
	return uint16(min(t.Sub(epoch1900).Hours()/24, 65535))
}

// Point is one household as the index takes it in.
type Point struct {
	ID       int64
	Lon, Lat float64 // NaN when the position is unknown
	Village  string
	Attr     Attr // Village is filled in by the index
}

// PointOf packs a household for the index.
func PointOf(h *backstop.Household) Point {
	p := Point{ID: h.ID, Lon: math.NaN(), Lat: math.NaN(), Village: h.VillageCode}
	if h.Location != nil {
		p.Lon, p.Lat = h.Location.Lon, h.Location.Lat
	}
	p.Attr = Attr{
		Groups:   uint8(h.Groups & backstop.StoredGroups),
		People:   uint8(min(h.People, 255)),
		Housing:  GradeCodes[h.HousingGrade] | StructureCodes[h.HousingStructure]<<3,
		Other:    LivelihoodCodes[h.Livelihood] | WaterCodes[h.WaterSource]<<4,
		Youngest: DaysSince1900(h.YoungestBirth),
	}
	if h.RelocationHighRise != nil && *h.RelocationHighRise {
		p.Attr.Other |= 1 << 6
	}
	return p
}

// grid is a uniform lon/lat grid; cells are numbered row by row.
type grid struct {
	minLon, minLat float64
	cellW, cellH   float64
	cols, rows     int
}

func (g *grid) cell(lon, lat float64) int {
	c := int((lon - g.minLon) / g.cellW)
	r := int((lat - g.minLat) / g.cellH)
	c = min(max(c, 0), g.cols-1)
	r = min(max(r, 0), g.rows-1)
	return r*g.cols + c
}

// snapshot is the immutable, cell-sorted body of the index: positions are
// sorted by cell (row-major), so the points of a run of cells in one row
// are one contiguous range. Households without a position come last.
type snapshot struct {
	g         grid
	cellStart []uint32 // len cells+1; cellStart[cells] is where positionless households start
	lon, lat  []float32
	id        []uint32
	attr      []Attr
	order     []uint32 // positions sorted by id, to find a household
}

func (s *snapshot) len() int { return len(s.id) }

func (s *snapshot) find(id uint32) (int, bool) {
	i := sort.Search(len(s.order), func(i int) bool { return s.id[s.order[i]] >= id })
	if i < len(s.order) && s.id[s.order[i]] == id {
		return int(s.order[i]), true
	}
	return 0, false
}

// Index holds household positions and attributes in memory for exposure
// queries: a cell-sorted snapshot, plus the changes since it was built
// (households changed or added are kept aside, the old positions marked
// dead) until a compaction folds them in.
type Index struct {
	mu       sync.RWMutex
	snap     *snapshot
	dead     []uint64 // bitset over snapshot positions
	deadN    int
	extra    []Point // changed or new households since the snapshot
	extraPos map[int64]int
	villages []string
	village  map[string]uint32
	rev      int64
}

// NewIndex builds an index from points.
func NewIndex(points []Point) *Index {
	ix := &Index{village: map[string]uint32{}, extraPos: map[int64]int{}}
	for i := range points {
		points[i].Attr.Village = ix.villageIndex(points[i].Village)
	}
	ix.snap = buildSnapshot(points)
	ix.dead = make([]uint64, (ix.snap.len()+63)/64)
	return ix
}

func (ix *Index) villageIndex(code string) uint32 {
	if v, ok := ix.village[code]; ok {
		return v
	}
	v := uint32(len(ix.villages))
	ix.villages = append(ix.villages, code)
	ix.village[code] = v
	return v
}

// pointsPerCell is the grid's target density: small enough that boundary
// cells cost few tests, large enough that the cell table stays small.
const pointsPerCell = 24

func buildSnapshot(points []Point) *snapshot {
	s := &snapshot{}
	minLon, minLat, maxLon, maxLat := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	located := 0
	for _, p := range points {
		if math.IsNaN(p.Lon) || math.IsNaN(p.Lat) {
			continue
		}
		located++
		minLon, maxLon = math.Min(minLon, p.Lon), math.Max(maxLon, p.Lon)
		minLat, maxLat = math.Min(minLat, p.Lat), math.Max(maxLat, p.Lat)
	}
	if located == 0 {
		minLon, minLat, maxLon, maxLat = 0, 0, 1, 1
	}
	w, h := math.Max(maxLon-minLon, 1e-6)*1.0000001, math.Max(maxLat-minLat, 1e-6)*1.0000001
	cells := min(max(located/pointsPerCell, 1), 1<<22)
	// Square-ish cells in degrees; the lon/lat ratio of the area decides
	// columns and rows.
	side := math.Sqrt(w * h / float64(cells))
	s.g = grid{minLon: minLon, minLat: minLat, cols: max(1, int(math.Ceil(w/side))), rows: max(1, int(math.Ceil(h/side)))}
	s.g.cellW, s.g.cellH = w/float64(s.g.cols), h/float64(s.g.rows)
	ncells := s.g.cols * s.g.rows
	// Counting sort by cell.
	cellOf := make([]uint32, len(points))
	counts := make([]uint32, ncells+2)
	for i, p := range points {
		c := ncells
		if !math.IsNaN(p.Lon) && !math.IsNaN(p.Lat) {
			c = s.g.cell(p.Lon, p.Lat)
		}
		cellOf[i] = uint32(c)
		counts[c+1]++
	}
	for c := 1; c < len(counts); c++ {
		counts[c] += counts[c-1]
	}
	s.cellStart = append([]uint32(nil), counts[:ncells+1]...)
	n := len(points)
	s.lon, s.lat, s.id, s.attr = make([]float32, n), make([]float32, n), make([]uint32, n), make([]Attr, n)
	next := counts
	for i, p := range points {
		c := cellOf[i]
		pos := next[c]
		next[c]++
		s.lon[pos], s.lat[pos], s.id[pos], s.attr[pos] = float32(p.Lon), float32(p.Lat), uint32(p.ID), p.Attr
	}
	s.order = make([]uint32, n)
	for i := range s.order {
		s.order[i] = uint32(i)
	}
	sort.Slice(s.order, func(a, b int) bool { return s.id[s.order[a]] < s.id[s.order[b]] })
	return s
}

// Len is the number of households indexed.
func (ix *Index) Len() int {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return ix.snap.len() - ix.deadN + len(ix.extra)
}

// Rev is the registry revision the index has caught up with.
func (ix *Index) Rev() int64 {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return ix.rev
}

// MemoryBytes estimates the index's memory: its arrays and tables.
func (ix *Index) MemoryBytes() int64 {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	s := ix.snap
	n := int64(s.len())
	return n*(4+4+4+12+4) + int64(len(s.cellStart))*4 + int64(len(ix.dead))*8 + int64(len(ix.extra))*64
}

// compactAt is when changes get folded into a new snapshot.
func (ix *Index) compactAt() int { return max(10000, ix.snap.len()/20) }

// Apply brings the index in step with registry changes: upserts replace
// or add households, deletes remove them; rev is the registry revision
// they bring the index to.
func (ix *Index) Apply(upserts []Point, deletes []int64, rev int64) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	remove := func(id int64) {
		if pos, ok := ix.snap.find(uint32(id)); ok && ix.dead[pos/64]&(1<<(pos%64)) == 0 {
			ix.dead[pos/64] |= 1 << (pos % 64)
			ix.deadN++
		}
		if i, ok := ix.extraPos[id]; ok {
			last := len(ix.extra) - 1
			ix.extra[i] = ix.extra[last]
			ix.extraPos[ix.extra[i].ID] = i
			ix.extra = ix.extra[:last]
			delete(ix.extraPos, id)
		}
	}
	for _, id := range deletes {
		remove(id)
	}
	for _, p := range upserts {
		remove(p.ID)
		p.Attr.Village = ix.villageIndex(p.Village)
		ix.extraPos[p.ID] = len(ix.extra)
		ix.extra = append(ix.extra, p)
	}
	if rev > ix.rev {
		ix.rev = rev
	}
	if len(ix.extra)+ix.deadN > ix.compactAt() {
		ix.compact()
	}
}

// compact builds a new snapshot of the live households. Called with the
// write lock held; at 2M households it takes a fraction of a second and
// happens once per N/20 changes.
func (ix *Index) compact() {
	s := ix.snap
	points := make([]Point, 0, s.len()-ix.deadN+len(ix.extra))
	for pos := 0; pos < s.len(); pos++ {
		if ix.dead[pos/64]&(1<<(pos%64)) != 0 {
			continue
		}
		lon, lat := float64(s.lon[pos]), float64(s.lat[pos])
		if pos >= int(s.cellStart[len(s.cellStart)-1]) {
			lon, lat = math.NaN(), math.NaN()
		}
		points = append(points, Point{ID: int64(s.id[pos]), Lon: lon, Lat: lat, Attr: s.attr[pos]})
	}
	points = append(points, ix.extra...)
	ix.snap = buildSnapshot(points)
	ix.dead = make([]uint64, (ix.snap.len()+63)/64)
	ix.deadN = 0
	ix.extra = ix.extra[:0]
	ix.extraPos = map[int64]int{}
}

// Result is the households a query found: ids and attributes in the same
// order.
type Result struct {
	IDs   []uint32
	Attrs []Attr
}

// Len is the number of households found.
func (r *Result) Len() int { return len(r.IDs) }

// VillageCode returns the village code of an Attr.
func (ix *Index) VillageCode(a Attr) string {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return ix.villages[a.Village]
}

// Villages returns the village code table (index → code); the caller must
// not change it.
func (ix *Index) Villages() []string {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return ix.villages[:len(ix.villages):len(ix.villages)]
}

// Area is what a query covers: polygons (lon/lat, holes allowed), circles
// and region codes (all households whose village lies inside).
type Area struct {
	Polygons backstop.MultiPolygon
	Circles  []Circle
	Regions  []string // 12-digit codes
}

// Circle is a centre and a radius in kilometres.
type Circle struct {
	Centre   backstop.Point
	RadiusKM float64
}

// circleSides approximates circles with a circumscribed polygon: it holds
// the whole circle and at most 0.03 % more (1/cos(π/128) − 1), so nobody
// inside the radius is missed.
const circleSides = 128

// earthRadiusKM is the mean Earth radius used for circles.
const earthRadiusKM = 6371.0088

// Polygon returns the circle as a polygon of points at the right great-
// circle distance from the centre.
func (c Circle) Polygon() backstop.Polygon {
	ring := make(backstop.Ring, 0, circleSides+1)
	d := c.RadiusKM / math.Cos(math.Pi/circleSides) / earthRadiusKM
	lat1, lon1 := c.Centre.Lat*math.Pi/180, c.Centre.Lon*math.Pi/180
	for i := 0; i < circleSides; i++ {
		bearing := 2 * math.Pi * float64(i) / circleSides
		lat2 := math.Asin(math.Sin(lat1)*math.Cos(d) + math.Cos(lat1)*math.Sin(d)*math.Cos(bearing))
		lon2 := lon1 + math.Atan2(math.Sin(bearing)*math.Sin(d)*math.Cos(lat1), math.Cos(d)-math.Sin(lat1)*math.Sin(lat2))
		ring = append(ring, backstop.Point{Lon: lon2 * 180 / math.Pi, Lat: lat2 * 180 / math.Pi})
	}
	ring = append(ring, ring[0])
	return backstop.Polygon{ring}
}

// Query returns every household inside the area, each once, with its
// attributes.
func (ix *Index) Query(a Area) Result {
	var r Result
	ix.query(a, true, &r)
	return r
}

// QueryIDs returns only the ids of the households inside the area.
func (ix *Index) QueryIDs(a Area) []uint32 {
	var r Result
	ix.query(a, false, &r)
	return r.IDs
}

func (ix *Index) query(a Area, attrs bool, r *Result) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	polys := append(backstop.MultiPolygon(nil), a.Polygons...)
	for _, c := range a.Circles {
		polys = append(polys, c.Polygon())
	}
	s := ix.snap
	// Room for the likely answer, from the areas' share of the bounding
	// box, so that the lists rarely grow.
	estimate := 0
	for _, p := range polys {
		b := backstop.MultiPolygon{p}.Bound()
		estimate += int(float64(s.len()) * math.Min(1, (b.Max.Lon-b.Min.Lon)*(b.Max.Lat-b.Min.Lat)/(s.g.cellW*s.g.cellH*float64(s.g.cols*s.g.rows))))
	}
	estimate = min(s.len(), estimate+1024)
	r.IDs = make([]uint32, 0, estimate)
	if attrs {
		r.Attrs = make([]Attr, 0, estimate)
	}
	var seen []uint64 // only needed when parts may overlap
	if len(polys)+len(a.Regions) > 1 {
		seen = make([]uint64, (s.len()+63)/64)
	}
	clean := ix.deadN == 0 && seen == nil
	one := func(pos uint32) {
		if ix.dead[pos/64]&(1<<(pos%64)) != 0 {
			return
		}
		if seen != nil {
			if seen[pos/64]&(1<<(pos%64)) != 0 {
				return
			}
			seen[pos/64] |= 1 << (pos % 64)
		}
		r.IDs = append(r.IDs, s.id[pos])
		if attrs {
			r.Attrs = append(r.Attrs, s.attr[pos])
		}
	}
	run := func(from, to uint32) {
		if clean {
			// A run of cells wholly inside is one contiguous range.
			r.IDs = append(r.IDs, s.id[from:to]...)
			if attrs {
				r.Attrs = append(r.Attrs, s.attr[from:to]...)
			}
			return
		}
		for pos := from; pos < to; pos++ {
			one(pos)
		}
	}
	for _, poly := range polys {
		s.queryPolygon(newPrepared(poly), run, one)
	}
	if len(a.Regions) > 0 {
		inRegion := ix.villagesIn(a.Regions)
		for pos := 0; pos < s.len(); pos++ {
			if inRegion[s.attr[pos].Village] {
				one(uint32(pos))
			}
		}
	}
	// Changed and new households since the snapshot, tested one by one.
	var prepared []*prepared
	for _, poly := range polys {
		prepared = append(prepared, newPrepared(poly))
	}
	for _, p := range ix.extra {
		in := false
		if !math.IsNaN(p.Lon) {
			x, y := float64(float32(p.Lon)), float64(float32(p.Lat))
			for _, pp := range prepared {
				if pp.contains(x, y) {
					in = true
					break
				}
			}
		}
		for _, reg := range a.Regions {
			if !in && backstop.CodeWithin(p.Village, reg) {
				in = true
			}
		}
		if in {
			r.IDs = append(r.IDs, uint32(p.ID))
			if attrs {
				r.Attrs = append(r.Attrs, p.Attr)
			}
		}
	}
}

func (ix *Index) villagesIn(regions []string) []bool {
	in := make([]bool, len(ix.villages))
	for i, v := range ix.villages {
		for _, r := range regions {
			if strings.HasPrefix(v, backstop.CodePrefix(r)) {
				in[i] = true
				break
			}
		}
	}
	return in
}

// bandSlack is how far (in degrees, about 10 m) a row band reaches beyond
// its cells: more than float32 rounding of a stored position.
const bandSlack = 1e-4

// edge is a polygon edge with its latitude span.
type edge struct{ x1, y1, x2, y2, ymin, ymax float64 }

// prepared is a polygon ready for many point tests: its edges sorted by
// their lowest latitude.
type prepared struct {
	edges                  []edge
	minX, minY, maxX, maxY float64
}

func newPrepared(p backstop.Polygon) *prepared {
	pp := &prepared{minX: math.Inf(1), minY: math.Inf(1), maxX: math.Inf(-1), maxY: math.Inf(-1)}
	for _, ring := range p {
		for i := 0; i+1 < len(ring); i++ {
			a, b := ring[i], ring[i+1]
			if a.Lat == b.Lat && a.Lon == b.Lon {
				continue
			}
			pp.edges = append(pp.edges, edge{x1: a.Lon, y1: a.Lat, x2: b.Lon, y2: b.Lat, ymin: math.Min(a.Lat, b.Lat), ymax: math.Max(a.Lat, b.Lat)})
			pp.minX, pp.maxX = math.Min(pp.minX, math.Min(a.Lon, b.Lon)), math.Max(pp.maxX, math.Max(a.Lon, b.Lon))
			pp.minY, pp.maxY = math.Min(pp.minY, a.Lat), math.Max(pp.maxY, a.Lat)
			pp.minY, pp.maxY = math.Min(pp.minY, b.Lat), math.Max(pp.maxY, b.Lat)
		}
	}
	sort.Slice(pp.edges, func(i, j int) bool { return pp.edges[i].ymin < pp.edges[j].ymin })
	return pp
}

// crossings counts the edges of set that a ray from (x, y) towards +x
// crosses: odd means inside (even-odd rule, so holes work).
func crossings(set []edge, x, y float64) int {
	n := 0
	for i := range set {
		e := &set[i]
		if (e.y1 > y) != (e.y2 > y) && x < (e.x2-e.x1)*(y-e.y1)/(e.y2-e.y1)+e.x1 {
			n++
		}
	}
	return n
}

func (p *prepared) contains(x, y float64) bool {
	if x < p.minX || x > p.maxX || y < p.minY || y > p.maxY {
		return false
	}
	return crossings(p.edges, x, y)%2 == 1
}

// queryPolygon finds every snapshot position inside the polygon. Row by
// row: edges crossing the row's band mark the cells they pass through;
// runs of unmarked cells are wholly inside or outside, decided by one test
// at a cell centre, and are handed to run as one contiguous range. In a
// marked cell, the centre is tested once against the row's edges; each
// point then only needs the cell's own edges: it is inside when the
// centre's answer, flipped once per edge crossing the segment from centre
// to point, says so.
func (s *snapshot) queryPolygon(p *prepared, run func(from, to uint32), one func(uint32)) {
	g := &s.g
	if len(p.edges) == 0 || p.maxX < g.minLon || p.maxY < g.minLat {
		return
	}
	c0 := max(0, int((p.minX-g.minLon)/g.cellW))
	c1 := min(g.cols-1, int((p.maxX-g.minLon)/g.cellW))
	r0 := max(0, int((p.minY-g.minLat)/g.cellH))
	r1 := min(g.rows-1, int((p.maxY-g.minLat)/g.cellH))
	if c0 > c1 || r0 > r1 {
		return
	}
	width := c1 - c0 + 1
	cellEdges := make([][]int32, width) // per column of the row: indexes into active
	var marked []int
	var active []edge
	next := 0
	for r := r0; r <= r1; r++ {
		// The band is widened by bandSlack so that edges near a cell border
		// are seen by both rows: points are stored as float32 and may lie a
		// little outside the cell they were sorted into.
		bottom := g.minLat + float64(r)*g.cellH - bandSlack
		top := bottom + g.cellH + 2*bandSlack
		kept := active[:0]
		for _, e := range active {
			if e.ymax >= bottom {
				kept = append(kept, e)
			}
		}
		active = kept
		for next < len(p.edges) && p.edges[next].ymin <= top {
			if p.edges[next].ymax >= bottom {
				active = append(active, p.edges[next])
			}
			next++
		}
		for _, c := range marked {
			cellEdges[c] = cellEdges[c][:0]
		}
		marked = marked[:0]
		for ei := range active {
			e := &active[ei]
			// The edge's longitude span within the band.
			ya, yb := math.Max(e.ymin, bottom), math.Min(e.ymax, top)
			var xa, xb float64
			if e.y1 == e.y2 {
				xa, xb = e.x1, e.x2
			} else {
				xa = e.x1 + (e.x2-e.x1)*(ya-e.y1)/(e.y2-e.y1)
				xb = e.x1 + (e.x2-e.x1)*(yb-e.y1)/(e.y2-e.y1)
			}
			if xa > xb {
				xa, xb = xb, xa
			}
			ca := max(c0, int((xa-bandSlack-g.minLon)/g.cellW))
			cb := min(c1, int((xb+bandSlack-g.minLon)/g.cellW))
			for c := ca; c <= cb; c++ {
				if len(cellEdges[c-c0]) == 0 {
					marked = append(marked, c-c0)
				}
				cellEdges[c-c0] = append(cellEdges[c-c0], int32(ei))
			}
		}
		rowBase := r * g.cols
		midY := g.minLat + (float64(r)+0.5)*g.cellH
		for c := c0; c <= c1; {
			if edges := cellEdges[c-c0]; len(edges) > 0 {
				cell := rowBase + c
				from, to := s.cellStart[cell], s.cellStart[cell+1]
				if from < to {
					cx := g.minLon + (float64(c)+0.5)*g.cellW
					centreIn := crossings(active, cx, midY)%2 == 1
					for pos := from; pos < to; pos++ {
						px, py := float64(s.lon[pos]), float64(s.lat[pos])
						in := centreIn
						for _, ei := range edges {
							e := &active[ei]
							if segmentsCross(cx, midY, px, py, e.x1, e.y1, e.x2, e.y2) {
								in = !in
							}
						}
						if in {
							one(pos)
						}
					}
				}
				c++
				continue
			}
			first := c
			for c <= c1 && len(cellEdges[c-c0]) == 0 {
				c++
			}
			midX := g.minLon + (float64(first)+0.5)*g.cellW
			if crossings(active, midX, midY)%2 == 1 && s.cellStart[rowBase+first] < s.cellStart[rowBase+c] {
				run(s.cellStart[rowBase+first], s.cellStart[rowBase+c])
			}
		}
	}
}

// segmentsCross tells whether segment a–b crosses segment c–d (touching at
// an end counts on one side only, so a crossing at a shared vertex of two
// edges is counted once).
func segmentsCross(ax, ay, bx, by, cx, cy, dx, dy float64) bool {
	d1 := (dx-cx)*(ay-cy) - (dy-cy)*(ax-cx)
	d2 := (dx-cx)*(by-cy) - (dy-cy)*(bx-cx)
	if (d1 > 0) == (d2 > 0) {
		return false
	}
	d3 := (bx-ax)*(cy-ay) - (by-ay)*(cx-ax)
	d4 := (bx-ax)*(dy-ay) - (by-ay)*(dx-ax)
	return (d3 > 0) != (d4 > 0)
}
