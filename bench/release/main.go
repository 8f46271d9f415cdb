// Command release measures targeted release: writing a release of about
// a million recipients durably (outbox, tasks, batches in one
// transaction), the time from release to the first message at a local
// gateway, and dispatch throughput to that gateway through River workers.
// See docs/performance.md.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"runtime/pprof"
	"sort"
	"sync/atomic"
	"time"

	"github.com/riverqueue/river"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/alerting"
	"github.com/zhangye-backstop/backstop/channel"
	"github.com/zhangye-backstop/backstop/dispatch"
	"github.com/zhangye-backstop/backstop/exposure"
	"github.com/zhangye-backstop/backstop/jobs"
	"github.com/zhangye-backstop/backstop/sqlstore"
)

func fail(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "release bench:", err)
		os.Exit(1)
	}
}

// gateway is a local JSON SMS gateway that counts what it accepts.
type gateway struct {
	n     atomic.Int64
	first atomic.Int64 // unix nanoseconds of the first message
	url   string
}

func startGateway() *gateway {
	g := &gateway{}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	fail(err)
	g.url = "http://" + ln.Addr().String() + "/sms"
	go http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b struct{ To, Text, Key string }
		json.NewDecoder(r.Body).Decode(&b)
		if g.n.Add(1) == 1 {
			g.first.Store(time.Now().UnixNano())
		}
		io.WriteString(w, `{"id":"ok"}`)
	}))
	return g
}

func peakRSS() string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "?"
	}
	for _, line := range splitLines(string(b)) {
		if len(line) > 6 && line[:6] == "VmHWM:" {
			return line[6:]
		}
	}
	return "?"
}

func splitLines(s string) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return out
}

func main() {
	dataDir := flag.String("data", "", "SQLite data directory with demo households")
	dbURL := flag.String("db", "", "PostgreSQL URL with demo households (instead of -data)")
	target := flag.Int("households", 873500, "households the warning should cover (townships are added until reached; 873,500 give about a million messages)")
	throughput := flag.Duration("dispatch", 0, "also dispatch through River to a local gateway for this long and report messages/s")
	first := flag.Bool("first", false, "measure release to the first message at the gateway (for a city-sized store)")
	profile := flag.String("cpuprofile", "", "write a CPU profile of the release write to this file")
	flag.Parse()
	ctx := backstop.NewContextWithUser(context.Background(), backstop.CommandLineUser("bench"))
	db, err := sqlstore.Open(ctx, sqlstore.Options{URL: *dbURL, DataDir: *dataDir})
	fail(err)
	defer db.Close()
	exp := &exposure.Service{Store: db}
	fail(exp.Load(ctx))

	// Townships, county by county, until the target is covered.
	counties, err := db.RegionCounts(ctx, "620700000000")
	fail(err)
	var codes []string
	for code := range counties {
		if backstop.LevelOfCode(code) == backstop.LevelCounty {
			codes = append(codes, code)
		}
	}
	sort.Strings(codes)
	var regions []string
	covered := 0
	for _, county := range codes {
		towns, err := db.RegionCounts(ctx, county)
		fail(err)
		var tcodes []string
		for code := range towns {
			if backstop.LevelOfCode(code) == backstop.LevelTownship {
				tcodes = append(tcodes, code)
			}
		}
		sort.Strings(tcodes)
		for _, t := range tcodes {
			if covered >= *target {
				break
			}
			regions = append(regions, t)
			covered += towns[t].Households
		}
	}
	alerts := &alerting.Service{Store: db, Exposer: exp, Sender: "bench", Region: "620700"}
	t0 := time.Now()
	w, err := alerts.IngestInput(ctx, &alerting.Input{Hazard: "rainstorm", Level: "red", Headline: "基准测试暴雨红色预警", Instruction: "请远离河道和低洼地",
		Areas: []alerting.InputArea{{Desc: "基准测试区域", Regions: regions}}}, "json")
	fail(err)
	e, err := db.FindExposure(ctx, w.ID)
	fail(err)
	fmt.Printf("warning over %d townships: %d households, %d people exposed (ingest + exposure snapshot %s)\n", len(regions), e.Total.Households, e.Total.People,
		time.Since(t0).Round(time.Millisecond))

	gw := startGateway()
	senders, err := channel.Build(channel.Config{SMSWebhook: gw.url, SMSRate: 0, HTTP: channel.NewHTTPClient(10 * time.Second)})
	fail(err)
	d := &dispatch.Service{Store: db, Exposer: exp, Senders: senders, BaseURL: "https://backstop.example", BatchSize: 500, Concurrency: 32}
	var queue *jobs.Queue
	if *throughput > 0 || *first {
		workers := river.NewWorkers()
		river.AddWorker(workers, &jobs.DispatchBatchWorker{Dispatch: d})
		queue, err = jobs.Open(ctx, db, jobs.Config{Workers: workers, MaxWorkers: 1, DispatchWorkers: 4, PollInterval: 100 * time.Millisecond})
		fail(err)
		d.Enqueue = queue.Enqueue
		fail(queue.Start(ctx))
		defer queue.Stop(context.WithoutCancel(ctx))
	}
	req := dispatch.Request{Audiences: []string{backstop.AudienceKeyGroups, backstop.AudienceHouseholds}, Channels: []string{backstop.ChannelSMS}}
	runtime.GC()
	if *profile != "" {
		f, err := os.Create(*profile)
		fail(err)
		pprof.StartCPUProfile(f)
	}
	t1 := time.Now()
	rel, err := d.Create(ctx, w.ID, req)
	fail(err)
	took := time.Since(t1)
	if *profile != "" {
		pprof.StopCPUProfile()
	}
	msgs := 0
	for _, c := range rel.Counts {
		msgs += c.N
	}
	st, err := db.ReleaseStats(ctx, rel.ID)
	fail(err)
	fmt.Printf("release %d written (%s): %d messages, %d confirmation tasks, in one transaction: %s (%.0f recipients/s), peak RSS%s\n",
		rel.ID, db.Dialect(), msgs, st.Tasks.Total, took.Round(time.Millisecond), float64(msgs)/took.Seconds(), peakRSS())
	if *first {
		for gw.first.Load() == 0 && time.Since(t1) < 30*time.Second {
			time.Sleep(time.Millisecond)
		}
		fmt.Printf("release request to first message at the gateway: %s (of which writing the release %s)\n",
			time.Unix(0, gw.first.Load()).Sub(t1).Round(time.Millisecond), took.Round(time.Millisecond))
	}
	if *throughput > 0 {
		// Skip the start-up: measure over the window after the first message.
		for gw.first.Load() == 0 {
			time.Sleep(10 * time.Millisecond)
		}
		time.Sleep(time.Second)
		n0, s0 := gw.n.Load(), time.Now()
		time.Sleep(*throughput)
		n1, s1 := gw.n.Load(), time.Now()
		fmt.Printf("dispatch through River (4 workers × 32 sends, batches of 500) to the local gateway: %.0f messages/s over %s (%d messages)\n",
			float64(n1-n0)/s1.Sub(s0).Seconds(), s1.Sub(s0).Round(time.Millisecond), n1-n0)
	}
}
