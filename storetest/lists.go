package storetest

import (
	"testing"
	"time"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/sqlstore"
)

// testListFilters checks the filters the UI's lists use: releases paged
// across warnings and kept to the user's region, warnings by level, sent
// time, the region their exposure reaches and in three orders, tasks
// whose SMS failed or that are past due.
func testListFilters(t *testing.T, db *sqlstore.DB) {
	now := time.Now().UTC().Truncate(time.Second)
	f := newReleaseFixture(t, db, now)
	ctx := Admin()
	// Releases across warnings, with their total.
	rs, total, err := db.FindReleasePage(ctx, backstop.ReleaseFilter{Limit: 10})
	if err != nil || total != 1 || len(rs) != 1 || rs[0].ID != f.release.ID {
		t.Fatalf("release page: %v %d %+v", err, total, rs)
	}
	if _, total, _ := db.FindReleasePage(ctx, backstop.ReleaseFilter{Test: "only"}); total != 0 {
		t.Errorf("test releases: %d, want 0", total)
	}
	if _, total, _ := db.FindReleasePage(ctx, backstop.ReleaseFilter{WarningID: f.warning.ID + 1000}); total != 0 {
		t.Errorf("another warning's releases: %d", total)
	}
	// Outside the national scope: the releases with tasks in the region.
	village := f.tasks[0].VillageCode
	inside := UserContext(t, db, "lists-village", backstop.RoleVillage, village)
	if _, total, err := db.FindReleasePage(inside, backstop.ReleaseFilter{}); err != nil || total != 1 {
		t.Errorf("a village with tasks sees %d releases (%v)", total, err)
	}
	// A township whose village the release's exposure reached with
	// nobody to confirm (no key-group person) sees it too.
	quiet := "620723102201"
	snap := &backstop.ExposureSnapshot{WarningID: f.warning.ID, ComputedAt: now, Villages: map[string]*backstop.ExposureCounts{quiet: backstop.NewExposureCounts()}}
	snap.Villages[quiet].Households = 1
	// The warning's latest exposure still reaches the first village.
	snap.Villages[f.tasks[0].VillageCode] = backstop.NewExposureCounts()
	snap.Villages[f.tasks[0].VillageCode].Households = 1
	snapID, err := db.SaveExposure(ctx, snap)
	if err != nil {
		t.Fatal(err)
	}
	second := &backstop.Release{WarningID: f.warning.ID, SnapshotID: snapID, Audiences: []string{backstop.AudienceHouseholds}, Channels: []string{backstop.ChannelSMS},
		Text: "测试短信", Basis: backstop.BasisRedOrange, Deadline: now.Add(30 * time.Minute), CreatedAt: now}
	if err := db.CreateRelease(ctx, second, now.Add(time.Hour), &backstop.Clock{Kind: backstop.ClockReleaseConfirm, StartedAt: now, LimitValue: 30, LimitUnit: backstop.UnitMinutes, Due: now.Add(30 * time.Minute)},
		func(backstop.ReleaseWriter) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if rs, total, err := db.FindReleasePage(UserContext(t, db, "lists-quiet", backstop.RoleTownship, "620723102000"), backstop.ReleaseFilter{}); err != nil || total != 1 || rs[0].ID != second.ID {
		t.Errorf("an exposed village without tasks sees %d releases (%v)", total, err)
	}
	outside := UserContext(t, db, "lists-elsewhere", backstop.RoleCounty, "620724000000")
	if _, total, err := db.FindReleasePage(outside, backstop.ReleaseFilter{}); err != nil || total != 0 {
		t.Errorf("a county without tasks sees %d releases (%v)", total, err)
	}
	// Warnings: a second, orange one sent earlier and exposing nobody.
	w2 := &backstop.Warning{Sender: "test", Identifier: "w2", Sent: now.Add(-time.Hour), Status: "Actual", MsgType: "Alert", Scope: "Public", Source: "json", Hazard: "gale",
		Level: backstop.WarningOrange, Event: "大风", Areas: []backstop.WarningArea{{Desc: "高台县", Regions: []string{"620724000000"}}}}
	if err := db.CreateWarning(ctx, w2, nil); err != nil {
		t.Fatal(err)
	}
	ids := func(f backstop.WarningFilter) []int64 {
		t.Helper()
		ws, _, err := db.FindWarnings(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		var out []int64
		for _, w := range ws {
			out = append(out, w.ID)
		}
		return out
	}
	same := func(what string, got []int64, want ...int64) {
		t.Helper()
		if len(got) != len(want) {
			t.Errorf("%s: %v, want %v", what, got, want)
			return
		}
		for i := range got {
			if got[i] != want[i] {
				t.Errorf("%s: %v, want %v", what, got, want)
				return
			}
		}
	}
	red, orange := f.warning.ID, w2.ID
	same("by level", ids(backstop.WarningFilter{Level: "orange"}), orange)
	same("unlevelled", ids(backstop.WarningFilter{Level: "none"}))
	same("sent from", ids(backstop.WarningFilter{SentFrom: now.Add(-time.Minute)}), red)
	same("sent before", ids(backstop.WarningFilter{SentTo: now.Add(-time.Minute)}), orange)
	same("newest first", ids(backstop.WarningFilter{}), red, orange)
	same("gravest first", ids(backstop.WarningFilter{Sort: "level"}), red, orange)
	same("active first", ids(backstop.WarningFilter{Sort: "state"}), red, orange)
	same("exposing the village", ids(backstop.WarningFilter{Exposing: village}), red)
	same("exposing 高台县 (no household there)", ids(backstop.WarningFilter{Exposing: "620724000000"}))
	// Tasks: SMS failed, and past due.
	if _, err := db.RequestCalls(ctx, f.release.StreamID, []backstop.HouseholdAt{{ID: f.tasks[0].HouseholdID, Village: village}}); err != nil {
		t.Fatal(err)
	}
	// A failed SMS to a number no task of the household names flags none.
	if called, err := db.RequestCalls(ctx, f.release.StreamID, []backstop.HouseholdAt{{ID: f.tasks[1].HouseholdID, Village: f.tasks[1].VillageCode, Phone: "19900000000"}}); err != nil || len(called) != 0 {
		t.Errorf("calls for a number nobody's task names: %v %v", called, err)
	}
	calls, n, err := db.FindTasks(ctx, backstop.TaskFilter{ReleaseID: f.release.ID, Calls: true})
	if err != nil || n != 1 || !calls[0].CallRequested {
		t.Errorf("tasks to call: %v %d", err, n)
	}
	if _, n, _ := db.FindTasks(ctx, backstop.TaskFilter{ReleaseID: f.release.ID, DueBefore: now}); n != 0 {
		t.Errorf("overdue before the deadline: %d", n)
	}
	if _, n, _ := db.FindTasks(ctx, backstop.TaskFilter{ReleaseID: f.release.ID, DueBefore: now.Add(time.Hour)}); n != len(f.tasks) {
		t.Errorf("overdue after the deadline: %d, want %d", n, len(f.tasks))
	}
}
