// Command exposure measures the exposure query of the in-memory household
// index against PostGIS on the same points, in one run, and the index's
// size and build time. See docs/performance.md.
package main

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/exposure"
	"github.com/zhangye-backstop/backstop/geo"
	"github.com/zhangye-backstop/backstop/sqlstore"
)

// Zhangye's bounding box (WGS84).
const minLon, maxLon, minLat, maxLat = 97.39, 102.2, 37.63, 39.89

func points(n int, seed uint64) []geo.Point {
	rng := rand.New(rand.NewPCG(seed, 7))
	out := make([]geo.Point, n)
	for i := range out {
		out[i] = geo.Point{ID: int64(i + 1), Lon: minLon + rng.Float64()*(maxLon-minLon), Lat: minLat + rng.Float64()*(maxLat-minLat), Village: "620702100201"}
		out[i].Attr.People = uint8(1 + i%6)
	}
	return out
}

// polygon is a 200-vertex star-shaped polygon around the box centre whose
// area is frac of the box's.
func polygon(vertices int, frac float64) backstop.Polygon {
	cx, cy := (minLon+maxLon)/2, (minLat+maxLat)/2
	rng := rand.New(rand.NewPCG(42, 42))
	radii := make([]float64, vertices)
	for i := range radii {
		radii[i] = 0.7 + 0.3*rng.Float64()
	}
	build := func(scale float64) backstop.Ring {
		ring := make(backstop.Ring, 0, vertices+1)
		for i := 0; i < vertices; i++ {
			a := 2 * math.Pi * float64(i) / float64(vertices)
			// Stretched east-west like the city.
			ring = append(ring, backstop.Point{Lon: cx + 2*scale*radii[i]*math.Cos(a), Lat: cy + scale*radii[i]*math.Sin(a)})
		}
		return append(ring, ring[0])
	}
	area := func(r backstop.Ring) float64 {
		var s float64
		for i := 0; i+1 < len(r); i++ {
			s += r[i].Lon*r[i+1].Lat - r[i+1].Lon*r[i].Lat
		}
		return math.Abs(s) / 2
	}
	want := frac * (maxLon - minLon) * (maxLat - minLat)
	scale := math.Sqrt(want / area(build(1)))
	return backstop.Polygon{build(scale)}
}

func median(d []time.Duration) time.Duration {
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	return d[len(d)/2]
}

func heap() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

func main() {
	n := flag.Int("n", 2000000, "households for the PostGIS comparison")
	big := flag.Int("big", 0, "also measure an index of this many synthetic households (e.g. 30000000)")
	pgURL := flag.String("pg", "", "PostgreSQL with PostGIS for the comparison")
	runs := flag.Int("runs", 31, "query repetitions")
	storeDir := flag.String("store", "", "also time building the index from the SQLite store in this data directory")
	flag.Parse()
	area := geo.Area{Polygons: backstop.MultiPolygon{polygon(200, 0.10)}}

	pts := points(*n, 1)
	start := time.Now()
	ix := geo.NewIndex(pts)
	build := time.Since(start)
	var hits int
	var times []time.Duration
	for i := 0; i < *runs; i++ {
		t := time.Now()
		hits = len(ix.QueryIDs(area))
		times = append(times, time.Since(t))
	}
	ours := median(times)
	fmt.Printf("index: %d households, 200-vertex polygon over %.1f%% of them: median %.3f ms (%d runs), build %s\n",
		*n, 100*float64(hits)/float64(*n), float64(ours.Microseconds())/1000, *runs, build.Round(time.Millisecond))
	// The oracle: every point against every edge.
	t := time.Now()
	brute := 0
	for _, p := range pts {
		if area.Polygons.Contains(backstop.Point{Lon: float64(float32(p.Lon)), Lat: float64(float32(p.Lat))}) {
			brute++
		}
	}
	fmt.Printf("brute force point-in-polygon (the oracle): %d households (index %d) in %s\n", brute, hits, time.Since(t).Round(time.Millisecond))
	if brute != hits {
		fmt.Println("MISMATCH between the index and the oracle")
		os.Exit(1)
	}

	if *pgURL != "" {
		pg, err := postgis(*pgURL, pts, area.Polygons[0], *runs, hits)
		if err != nil {
			fmt.Fprintln(os.Stderr, "postgis:", err)
			os.Exit(1)
		}
		fmt.Printf("PostGIS 3 (GiST, clustered): median %.1f ms for the same id list\nratio PostGIS / index: %.0f×\n", float64(pg.Microseconds())/1000, float64(pg)/float64(ours))
	}
	pts = nil

	if *storeDir != "" {
		ctx := backstop.NewContextWithUser(context.Background(), backstop.CommandLineUser("bench"))
		db, err := sqlstore.Open(ctx, sqlstore.Options{DataDir: *storeDir})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		svc := &exposure.Service{Store: db}
		t := time.Now()
		if err := svc.Load(ctx); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Printf("index built from the SQLite store: %d households in %s\n", svc.Index().Len(), time.Since(t).Round(time.Millisecond))
		db.Close()
	}

	if *big > 0 {
		before := heap()
		bp := points(*big, 2)
		t := time.Now()
		bix := geo.NewIndex(bp)
		buildBig := time.Since(t)
		bp = nil
		after := heap()
		var bt []time.Duration
		var bh int
		for i := 0; i < *runs; i++ {
			t := time.Now()
			bh = len(bix.QueryIDs(area))
			bt = append(bt, time.Since(t))
		}
		fmt.Printf("index: %d households (synthetic, in memory): median %.2f ms for %d hits; %.1f bytes/household (heap), %.1f (arrays); build %s\n",
			*big, float64(median(bt).Microseconds())/1000, bh, float64(after-before)/float64(*big), float64(bix.MemoryBytes())/float64(*big), buildBig.Round(time.Millisecond))
		runtime.KeepAlive(bix)
	}
}

// postgis loads the points into a PostGIS table with a clustered GiST
// index and times the query that returns the same ids.
func postgis(url string, pts []geo.Point, poly backstop.Polygon, runs, want int) (time.Duration, error) {
	ctx := context.Background()
	db, err := sql.Open("pgx", url)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	for _, q := range []string{`CREATE EXTENSION IF NOT EXISTS postgis`, `DROP TABLE IF EXISTS bench_points`,
		`CREATE TABLE bench_points (id integer NOT NULL, lon double precision, lat double precision, geom geometry(Point, 4326))`} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return 0, fmt.Errorf("%s: %w", q, err)
		}
	}
	err = conn.Raw(func(dc any) error {
		rows := make([][]any, len(pts))
		for i, p := range pts {
			rows[i] = []any{int32(p.ID), float64(float32(p.Lon)), float64(float32(p.Lat))}
		}
		_, err := dc.(*stdlib.Conn).Conn().CopyFrom(ctx, pgx.Identifier{"bench_points"}, []string{"id", "lon", "lat"}, pgx.CopyFromRows(rows))
		return err
	})
	if err != nil {
		return 0, err
	}
	for _, q := range []string{`UPDATE bench_points SET geom = ST_SetSRID(ST_MakePoint(lon, lat), 4326)`, `CREATE INDEX bench_points_geom ON bench_points USING gist (geom)`,
		`CLUSTER bench_points USING bench_points_geom`, `VACUUM ANALYZE bench_points`} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return 0, fmt.Errorf("%s: %w", q, err)
		}
	}
	var coords []string
	for _, p := range poly[0] {
		coords = append(coords, fmt.Sprintf("%.9f %.9f", p.Lon, p.Lat))
	}
	wkt := "SRID=4326;POLYGON((" + strings.Join(coords, ",") + "))"
	stmt, err := conn.PrepareContext(ctx, `SELECT id FROM bench_points WHERE ST_Intersects(geom, $1::geometry)`)
	if err != nil {
		return 0, err
	}
	var times []time.Duration
	for i := 0; i < runs; i++ {
		t := time.Now()
		rows, err := stmt.QueryContext(ctx, wkt)
		if err != nil {
			return 0, err
		}
		ids := make([]int32, 0, 256<<10)
		for rows.Next() {
			var id int32
			rows.Scan(&id)
			ids = append(ids, id)
		}
		rows.Close()
		times = append(times, time.Since(t))
		if len(ids) != want {
			return 0, fmt.Errorf("PostGIS found %d households, the index %d", len(ids), want)
		}
	}
	conn.ExecContext(ctx, `DROP TABLE bench_points`)
	return median(times), nil
}
