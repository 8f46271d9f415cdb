package sqlstore_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/sqlstore"
	"github.com/zhangye-backstop/backstop/storetest"
)

// TestQuarantine runs the quarantine store on both engines: documents
// kept byte for byte (a legacy encoding, a NUL) and once per hash, cut at
// the limit, scoped by the feed creator's region, and resolved by
// compare-and-set, by admins only.
func TestQuarantine(t *testing.T) {
	for _, e := range storetest.Engines {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			testQuarantine(t, e.Open(t))
		})
	}
}

func testQuarantine(t *testing.T, db *sqlstore.DB) {
	storetest.LoadRegions(t, db)
	admin := storetest.Admin()
	as := func(name string, role backstop.Role, region string) context.Context {
		u := &backstop.User{Name: name, Role: role, Region: region}
		if err := db.CreateUser(admin, u, "correct horse battery"); err != nil {
			t.Fatalf("user %s: %v", name, err)
		}
		return backstop.NewContextWithUser(context.Background(), u)
	}
	dept := as("qx_ganzhou", backstop.RoleDepartment, "620702") // 甘州区 meteorological office
	ganzhou := as("gz_duty", backstop.RoleCounty, "620702")
	city := as("zy_duty", backstop.RoleCity, "620700")
	linze := as("lz_duty", backstop.RoleCounty, "620723")
	poller := backstop.NewContextWithUser(context.Background(), backstop.SystemUser("feeds"))

	own := &backstop.Feed{Name: "甘州区气象台", URL: "https://qx.example/ganzhou.atom"}
	if err := db.CreateFeed(dept, own); err != nil {
		t.Fatal(err)
	}
	national := &backstop.Feed{Name: "CMA", URL: "https://cma.example/rss.xml"}
	if err := db.CreateFeed(admin, national); err != nil {
		t.Fatal(err)
	}

	// ISO-8859-1 bytes and a NUL: neither is valid UTF-8 text.
	doc := []byte("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><alert>caf\xe9\x00</alert>")
	probs := []backstop.Problem{{Path: "alert/scope", Reason: "required element <scope> is missing", ReasonZH: "缺少必需元素 <scope>"}}
	q1 := &backstop.QuarantinedAlert{FeedID: own.ID, EntryID: "urn:1", URL: "https://qx.example/1.xml", Sender: "qx", Identifier: "62070241600000_20260715080000", Sent: "2026-07-15T08:00:00+08:00",
		Document: doc, Code: backstop.EINVALID, Message: "The CAP alert is refused: alert/scope: required element <scope> is missing", MessageZH: "CAP 预警信息不符合标准，已拒收", Problems: probs}
	if err := db.CreateQuarantinedAlert(poller, q1); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(doc)
	if q1.ID == 0 || q1.SHA256 != hex.EncodeToString(sum[:]) || q1.Size != len(doc) || q1.Truncated || q1.Region != "620702000000" || q1.State != backstop.QuarantineOpen || q1.FeedName != own.Name {
		t.Errorf("created %+v", q1)
	}
	// The same document again, from any feed, is not stored twice.
	again := &backstop.QuarantinedAlert{FeedID: national.ID, Document: bytes.Clone(doc), Code: backstop.EINVALID, Message: "x"}
	if err := db.CreateQuarantinedAlert(poller, again); backstop.ErrorCode(err) != backstop.ECONFLICT || again.ID != q1.ID {
		t.Errorf("same document again: %v, id %d; want conflict with %d", err, again.ID, q1.ID)
	}
	// A document past the limit is kept cut, hashed whole.
	big := bytes.Repeat([]byte("<x/>"), backstop.MaxQuarantineBytes/4+100)
	q2 := &backstop.QuarantinedAlert{FeedID: national.ID, Document: big, Code: backstop.ETOOLARGE, Message: "too large", MessageZH: "过大"}
	if err := db.CreateQuarantinedAlert(poller, q2); err != nil {
		t.Fatal(err)
	}
	bigSum := sha256.Sum256(big)
	if !q2.Truncated || q2.Size != len(big) || q2.SHA256 != hex.EncodeToString(bigSum[:]) || q2.Region != backstop.NationalScope {
		t.Errorf("big: truncated %v size %d region %s", q2.Truncated, q2.Size, q2.Region)
	}
	// Writing needs the right to write warnings; a bad feed is refused.
	if err := db.CreateQuarantinedAlert(linze, &backstop.QuarantinedAlert{FeedID: own.ID, Document: []byte("y")}); err != nil {
		t.Errorf("a county officer (who may write warnings) quarantining: %v", err)
	}
	if err := db.CreateQuarantinedAlert(as("vl", backstop.RoleVillage, "620723101201"), &backstop.QuarantinedAlert{FeedID: own.ID, Document: []byte("z")}); backstop.ErrorCode(err) != backstop.EFORBIDDEN {
		t.Errorf("a village cadre quarantining: %v, want forbidden", err)
	}
	if err := db.CreateQuarantinedAlert(poller, &backstop.QuarantinedAlert{FeedID: 999, Document: []byte("w")}); backstop.ErrorCode(err) != backstop.ENOTFOUND {
		t.Errorf("unknown feed: %v", err)
	}

	// Scope: by the feed creator's region.
	ids := func(ctx context.Context, f backstop.QuarantineFilter) []int64 {
		t.Helper()
		list, total, err := db.FindQuarantinedAlerts(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		var out []int64
		for _, q := range list {
			if q.Document != nil {
				t.Errorf("a list carries documents")
			}
			out = append(out, q.ID)
		}
		if total != len(out) {
			t.Errorf("total %d, listed %d", total, len(out))
		}
		return out
	}
	q3 := int64(0)
	if list, _, _ := db.FindQuarantinedAlerts(admin, backstop.QuarantineFilter{FeedID: own.ID}); len(list) == 2 {
		q3 = list[0].ID // the county officer's "y", newest first
	}
	for _, tc := range []struct {
		who  string
		ctx  context.Context
		want []int64
	}{
		{"甘州区 duty officer", ganzhou, []int64{q3, q1.ID}},
		{"the feed's own department", dept, []int64{q3, q1.ID}},
		{"张掖市 duty officer", city, []int64{q3, q1.ID}},
		{"临泽县 duty officer", linze, nil},
		{"admin", admin, []int64{q3, q2.ID, q1.ID}},
	} {
		if got := ids(tc.ctx, backstop.QuarantineFilter{}); !slices.Equal(got, tc.want) {
			t.Errorf("%s sees %v, want %v", tc.who, got, tc.want)
		}
	}
	if _, err := db.FindQuarantinedAlert(linze, q1.ID); backstop.ErrorCode(err) != backstop.ENOTFOUND {
		t.Errorf("out of scope: %v, want not found", err)
	}
	got, err := db.FindQuarantinedAlert(ganzhou, q1.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Document, doc) || len(got.Problems) != 1 || got.Problems[0] != probs[0] || got.MessageZH != q1.MessageZH || got.URL != q1.URL ||
		got.Identifier != q1.Identifier || got.FeedName != own.Name || got.ReceivedAt.IsZero() {
		t.Errorf("read back %+v", got)
	}
	if got, _ := db.FindQuarantinedAlert(admin, q2.ID); len(got.Document) != backstop.MaxQuarantineBytes || !bytes.Equal(got.Document, big[:backstop.MaxQuarantineBytes]) {
		t.Errorf("cut document has %d bytes", len(got.Document))
	}
	if _, _, err := db.FindQuarantinedAlerts(admin, backstop.QuarantineFilter{State: "pending"}); backstop.ErrorCode(err) != backstop.EINVALID {
		t.Errorf("unknown state: %v", err)
	}

	// Resolving: admins only, compare-and-set.
	w := &backstop.Warning{Sender: "qx", Identifier: q1.Identifier, Sent: time.Date(2026, 7, 15, 0, 0, 0, 0, time.UTC), Status: "Actual", MsgType: "Alert", Scope: "Public", Source: "feed:1", Hazard: "rainstorm", CAP: []byte("<alert/>")}
	if err := db.CreateWarning(admin, w, nil); err != nil {
		t.Fatal(err)
	}
	accept := backstop.QuarantineResolution{State: backstop.QuarantineAccepted, WarningID: w.ID, Note: "画了多边形"}
	for who, ctx := range map[string]context.Context{"county": ganzhou, "department (manages feeds)": dept} {
		if _, err := db.ResolveQuarantinedAlert(ctx, q1.ID, accept); backstop.ErrorCode(err) != backstop.EFORBIDDEN {
			t.Errorf("%s resolving: %v, want forbidden", who, err)
		}
	}
	if _, err := db.ResolveQuarantinedAlert(admin, q1.ID, backstop.QuarantineResolution{State: backstop.QuarantineAccepted}); backstop.ErrorCode(err) != backstop.EINVALID {
		t.Errorf("accepted without a warning: %v", err)
	}
	if _, err := db.ResolveQuarantinedAlert(admin, q1.ID, backstop.QuarantineResolution{State: "maybe"}); backstop.ErrorCode(err) != backstop.EINVALID {
		t.Errorf("unknown resolution: %v", err)
	}
	res, err := db.ResolveQuarantinedAlert(admin, q1.ID, accept)
	if err != nil {
		t.Fatal(err)
	}
	if res.State != backstop.QuarantineAccepted || res.WarningID != w.ID || res.ResolvedBy != "cli:test" || res.ResolvedAt == nil || res.ResolutionNote != accept.Note {
		t.Errorf("resolved %+v", res)
	}
	_, err = db.ResolveQuarantinedAlert(admin, q1.ID, backstop.QuarantineResolution{State: backstop.QuarantineDismissed})
	if backstop.ErrorCode(err) != backstop.ECONFLICT || !strings.Contains(backstop.ErrorMessage(err), "resolved already by cli:test") || !strings.Contains(backstop.ErrorMessageZH(err), "已由 cli:test") {
		t.Errorf("resolving twice: %v", err)
	}
	if _, err := db.ResolveQuarantinedAlert(admin, 12345, accept); backstop.ErrorCode(err) != backstop.ENOTFOUND {
		t.Errorf("unknown id: %v", err)
	}
	// Two admins at once: exactly one decides.
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = db.ResolveQuarantinedAlert(backstop.NewContextWithUser(context.Background(), backstop.CommandLineUser("admin"+string(rune('a'+i)))), q2.ID,
				backstop.QuarantineResolution{State: backstop.QuarantineDismissed, Note: "垃圾数据"})
		}()
	}
	wg.Wait()
	if codes := backstop.ErrorCode(errs[0]) + "," + backstop.ErrorCode(errs[1]); codes != ","+backstop.ECONFLICT && codes != backstop.ECONFLICT+"," {
		t.Errorf("concurrent resolutions: %v, %v; want one success and one conflict", errs[0], errs[1])
	}
	if got := ids(admin, backstop.QuarantineFilter{State: backstop.QuarantineOpen}); !slices.Equal(got, []int64{q3}) {
		t.Errorf("open: %v", got)
	}
	if got := ids(ganzhou, backstop.QuarantineFilter{State: backstop.QuarantineAccepted}); !slices.Equal(got, []int64{q1.ID}) {
		t.Errorf("accepted: %v", got)
	}
	// Every write is audited.
	for _, action := range []string{"quarantine.create", "quarantine.accept", "quarantine.dismiss"} {
		if entries, _, err := db.FindAudit(admin, backstop.AuditFilter{Action: action}); err != nil || len(entries) == 0 {
			t.Errorf("audit %s: %d entries, %v", action, len(entries), err)
		}
	}
}
