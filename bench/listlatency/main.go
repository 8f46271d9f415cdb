// Command listlatency measures GET /api/v1/households?region=<township>
// over real HTTP against a store that already holds the households (load
// it with `backstop demo --households 1000000`). It prints p50/p95/p99.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"sort"
	"time"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/server"
	"github.com/zhangye-backstop/backstop/sqlstore"
)

func main() {
	dataDir := flag.String("data", "./backstop-data", "data directory (SQLite)")
	dbURL := flag.String("db", "", "postgres:// URL instead of SQLite")
	n := flag.Int("n", 2000, "requests")
	flag.Parse()
	ctx := context.Background()
	db, err := sqlstore.Open(ctx, sqlstore.Options{URL: *dbURL, DataDir: *dataDir})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer db.Close()
	admin := backstop.NewContextWithUser(ctx, backstop.CommandLineUser("bench"))
	db.EnsureAdmin(ctx, "bench-admin-password")
	token, _, err := db.CreateToken(admin, "admin", "bench", time.Hour)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	towns, _, err := db.FindRegions(admin, backstop.RegionFilter{Level: backstop.LevelTownship, Limit: 1000})
	if err != nil || len(towns) == 0 {
		fmt.Fprintln(os.Stderr, "no townships:", err)
		os.Exit(1)
	}
	_, total, _ := db.FindHouseholds(admin, backstop.HouseholdFilter{Limit: 1})
	app, err := server.New(ctx, db, server.Config{RequestsPerSecond: 1e6, DataDir: os.TempDir()})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	api := app.Handler()
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	go http.Serve(ln, api)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	rng := rand.New(rand.NewPCG(1, 2))
	get := func(code string) time.Duration {
		req, _ := http.NewRequest("GET", "http://"+ln.Addr().String()+"/api/v1/households?region="+code+"&limit=20", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		start := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			fmt.Fprintln(os.Stderr, "status", resp.StatusCode)
			os.Exit(1)
		}
		return time.Since(start)
	}
	for i := 0; i < 50; i++ { // warm up
		get(towns[rng.IntN(len(towns))].Code)
	}
	lat := make([]time.Duration, *n)
	for i := range lat {
		lat[i] = get(towns[rng.IntN(len(towns))].Code)
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	q := func(p float64) time.Duration { return lat[int(p*float64(len(lat)-1))] }
	engine := "sqlite"
	if *dbURL != "" {
		engine = "postgres"
	}
	fmt.Printf("%s: %d households, %d townships, %d requests: p50 %s  p95 %s  p99 %s  max %s\n",
		engine, total, len(towns), *n, q(.5).Round(10*time.Microsecond), q(.95).Round(10*time.Microsecond), q(.99).Round(10*time.Microsecond), lat[len(lat)-1].Round(10*time.Microsecond))
}
