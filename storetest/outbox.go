package storetest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/sqlstore"
)

// The release half of the store: warnings, exposure snapshots, releases
// with their stream, outbox, field tasks and clock, and the clocks
// themselves — each state change with a concurrent change that loses
// cleanly (ECONFLICT).

// releaseFixture stores a warning over the template roster's households,
// an exposure snapshot of all of them, and a release to their phones.
type releaseFixture struct {
	warning  *backstop.Warning
	snapshot int64
	release  *backstop.Release
	messages []*backstop.Message
	tasks    []*backstop.FieldTask
}

func newReleaseFixture(t *testing.T, db *sqlstore.DB, now time.Time) *releaseFixture {
	t.Helper()
	LoadRegions(t, db)
	importTemplate(t, db)
	ctx := Admin()
	f := &releaseFixture{}
	f.warning = &backstop.Warning{Sender: "test", Identifier: "w1", Sent: now, Status: "Actual", MsgType: "Alert", Scope: "Public", Source: "json", Hazard: "rainstorm",
		Level: backstop.WarningRed, Event: "暴雨", Areas: []backstop.WarningArea{{Desc: "张掖市", Regions: []string{"620700000000"}}}}
	if err := db.CreateWarning(ctx, f.warning, nil); err != nil {
		t.Fatal(err)
	}
	var households []*backstop.Household
	db.ExportHouseholds(ctx, backstop.HouseholdFilter{}, func(h *backstop.Household) error { households = append(households, h); return nil })
	snap := &backstop.ExposureSnapshot{WarningID: f.warning.ID, ComputedAt: now, Villages: map[string]*backstop.ExposureCounts{}}
	for i, h := range households {
		c := snap.Villages[h.VillageCode]
		if c == nil {
			c = backstop.NewExposureCounts()
			snap.Villages[h.VillageCode] = c
		}
		c.Households++
		c.People += h.People
		snap.Ranked = append(snap.Ranked, backstop.RankedHousehold{HouseholdID: h.ID, VillageCode: h.VillageCode, Score: 10 - i, Reasons: []string{"test"}})
	}
	var err error
	if f.snapshot, err = db.SaveExposure(ctx, snap); err != nil {
		t.Fatal(err)
	}
	f.release = &backstop.Release{WarningID: f.warning.ID, SnapshotID: f.snapshot, Audiences: []string{backstop.AudienceHouseholds}, Channels: []string{backstop.ChannelSMS},
		Text: "测试短信", Basis: backstop.BasisRedOrange, Deadline: now.Add(30 * time.Minute), CreatedAt: now}
	clock := &backstop.Clock{Kind: backstop.ClockReleaseConfirm, StartedAt: now, LimitValue: 30, LimitUnit: backstop.UnitMinutes, Due: now.Add(30 * time.Minute)}
	err = db.CreateRelease(ctx, f.release, now.Add(time.Hour), clock, func(w backstop.ReleaseWriter) error {
		text, err := w.AddText(ctx, backstop.ChannelSMS, "测试短信")
		if err != nil {
			return err
		}
		for i, h := range households {
			f.messages = append(f.messages, &backstop.Message{Batch: 0, Channel: backstop.ChannelSMS, Audience: backstop.AudienceHouseholds, Address: "1380000000" + string(rune('0'+i)),
				HouseholdID: h.ID, VillageCode: h.VillageCode, TextID: text, Status: backstop.MessagePending, NextAt: now})
			f.tasks = append(f.tasks, &backstop.FieldTask{Kind: backstop.TaskConfirm, HouseholdID: h.ID, HouseholdNumber: h.Number, PersonName: h.HeadName,
				VillageCode: h.VillageCode, Assignee: "帮扶人", AssigneePhone: "13900000001", Due: f.release.Deadline, Groups: h.Groups.Names()})
		}
		if err := w.AddMessages(ctx, f.messages); err != nil {
			return err
		}
		return w.AddTasks(ctx, f.tasks)
	})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func testWarningsStore(t *testing.T, db *sqlstore.DB) {
	ctx := Admin()
	now := time.Now().UTC().Truncate(time.Second)
	w := &backstop.Warning{Sender: "s", Identifier: "a", Sent: now, Status: "Actual", MsgType: "Alert", Scope: "Public", Source: "cap", Hazard: "gale", Level: backstop.WarningBlue, Event: "大风",
		Areas: []backstop.WarningArea{{Desc: "x", Regions: []string{"620702000000"}}}}
	if err := db.CreateWarning(ctx, w, nil); err != nil {
		t.Fatal(err)
	}
	dup := *w
	dup.ID = 0
	if err := db.CreateWarning(ctx, &dup, nil); backstop.ErrorCode(err) != backstop.ECONFLICT || dup.ID != w.ID {
		t.Fatalf("duplicate warning: %v (id %d, want %d)", err, dup.ID, w.ID)
	}
	up := &backstop.Warning{Sender: "s", Identifier: "b", Sent: now.Add(time.Minute), Status: "Actual", MsgType: "Update", Scope: "Public", Source: "cap", Hazard: "gale",
		Level: backstop.WarningYellow, Event: "大风", Areas: w.Areas}
	if err := db.CreateWarning(ctx, up, []backstop.WarningRef{{Sender: "s", Identifier: "a"}}); err != nil {
		t.Fatal(err)
	}
	old, _ := db.FindWarning(ctx, w.ID)
	if old.State != backstop.StateUpdated || old.SupersededBy != up.ID || up.Supersedes != w.ID {
		t.Errorf("after the update: old %s by %d, new supersedes %d", old.State, old.SupersededBy, up.Supersedes)
	}
	active, total, err := db.FindWarnings(ctx, backstop.WarningFilter{State: backstop.StateActive})
	if err != nil || total != 1 || active[0].ID != up.ID {
		t.Errorf("active warnings: %v %d", err, total)
	}
	if _, err := db.FindWarning(ctx, 999999); backstop.ErrorCode(err) != backstop.ENOTFOUND {
		t.Errorf("unknown warning: %v", err)
	}
}

func testExposureStore(t *testing.T, db *sqlstore.DB) {
	now := time.Now().UTC()
	f := newReleaseFixture(t, db, now)
	ctx := Admin()
	e, err := db.FindExposure(ctx, f.warning.ID)
	if err != nil || e.SnapshotID != f.snapshot || e.Total.Households != 3 {
		t.Fatalf("exposure: %v %+v", err, e)
	}
	page1, total, _ := db.FindExposedHouseholds(ctx, f.snapshot, 0, 2)
	page2, _, _ := db.FindExposedHouseholds(ctx, f.snapshot, 2, 2)
	if total != 3 || len(page1) != 2 || len(page2) != 1 || page1[0].Rank != 1 {
		t.Errorf("ranked pages: %d, %d+%d", total, len(page1), len(page2))
	}
	// A township user sees its own part of the snapshot only.
	town := UserContext(t, db, "shahe", backstop.RoleTownship, "620723101")
	mine, err := db.FindExposure(town, f.warning.ID)
	if err != nil || mine.Total.Households != 1 {
		t.Errorf("township's exposure: %v %+v", err, mine)
	}
}

func testOutboxStore(t *testing.T, db *sqlstore.DB) {
	now := time.Now().UTC()
	f := newReleaseFixture(t, db, now)
	ctx := Admin()
	rel, err := db.FindRelease(ctx, f.release.ID)
	if err != nil || rel.StreamID == 0 || rel.State != backstop.StreamSending {
		t.Fatalf("release: %v %+v", err, rel)
	}
	due, err := db.DueBatches(ctx, now, 10)
	if err != nil || len(due) != 1 || due[0].StreamID != rel.StreamID {
		t.Fatalf("due batches: %v %+v", err, due)
	}
	b := due[0]
	// One lease at a time: another owner, and the holder itself, are refused.
	msgs, err := db.LeaseBatch(ctx, b, "p1", now, now.Add(time.Minute))
	if err != nil || len(msgs) != 3 || msgs[0].Key != backstop.MessageKey(rel.StreamID, msgs[0].ID) || msgs[0].Text != "测试短信" {
		t.Fatalf("lease: %v %+v", err, msgs)
	}
	for _, owner := range []string{"p2", "p1"} {
		if _, err := db.LeaseBatch(ctx, b, owner, now, now.Add(time.Minute)); backstop.ErrorCode(err) != backstop.ECONFLICT {
			t.Errorf("second lease by %s: %v", owner, err)
		}
	}
	if err := db.RenewLease(ctx, b, "p2", now.Add(2*time.Minute)); backstop.ErrorCode(err) != backstop.ECONFLICT {
		t.Errorf("renewal by a non-holder: %v", err)
	}
	if err := db.RenewLease(ctx, b, "p1", now.Add(2*time.Minute)); err != nil {
		t.Errorf("renewal by the holder: %v", err)
	}
	// A lease that ran out is free again.
	if _, err := db.LeaseBatch(ctx, b, "p3", now.Add(3*time.Minute), now.Add(4*time.Minute)); err != nil {
		t.Fatalf("lease after it ran out: %v", err)
	}
	results := make([]backstop.MessageResult, len(msgs))
	for i, m := range msgs {
		results[i] = backstop.MessageResult{ID: m.ID, Channel: m.Channel, Audience: m.Audience, Status: backstop.MessageSent, At: now}
	}
	if err := db.FinishBatch(ctx, b, "p3", results); err != nil {
		t.Fatal(err)
	}
	if rel, _ := db.FindRelease(ctx, f.release.ID); rel.State != backstop.StreamDone {
		t.Errorf("release state after its only batch: %s", rel.State)
	}
	// Receipts move forward only, are recognised when replayed, and belong
	// to their channel.
	key := msgs[0].Key
	if _, _, err := db.ApplyReceipt(ctx, backstop.ChannelEmail, key, backstop.MessageDelivered, "", now); backstop.ErrorCode(err) != backstop.ENOTFOUND {
		t.Errorf("receipt on another channel: %v", err)
	}
	if _, changed, err := db.ApplyReceipt(ctx, backstop.ChannelSMS, key, backstop.MessageDelivered, "", now); err != nil || !changed {
		t.Fatalf("delivered: %v %v", changed, err)
	}
	if m, changed, err := db.ApplyReceipt(ctx, backstop.ChannelSMS, key, backstop.MessageFailed, "late", now); err != nil || changed || m.Status != backstop.MessageDelivered {
		t.Errorf("failed after delivered: %v changed %v status %s", err, changed, m.Status)
	}
	if _, changed, _ := db.ApplyReceipt(ctx, backstop.ChannelSMS, key, backstop.MessageDelivered, "", now); changed {
		t.Error("a replayed receipt changed the message")
	}
	counts, _ := db.StreamCounts(ctx, rel.StreamID)
	byStatus := map[string]int{}
	for _, c := range counts {
		byStatus[c.Status] += c.N
	}
	if byStatus[backstop.MessageDelivered] != 1 || byStatus[backstop.MessageSent] != 2 || byStatus[backstop.MessagePending] != 0 {
		t.Errorf("stream counts %v", byStatus)
	}
	// Follow-ups go into a new batch; with dedupe, an address messaged
	// already is skipped.
	batch, n, err := db.AddMessages(ctx, rel.StreamID, backstop.ChannelSMS, "补充", []*backstop.Message{{Channel: backstop.ChannelSMS, Audience: backstop.AudienceOfficers, Address: msgs[0].Address},
		{Channel: backstop.ChannelSMS, Audience: backstop.AudienceOfficers, Address: "13700000000"}}, true)
	if err != nil || n != 1 || batch == 0 {
		t.Errorf("follow-up: %v %d written, batch %d", err, n, batch)
	}
	if rel, _ := db.FindRelease(ctx, f.release.ID); rel.State != backstop.StreamSending {
		t.Errorf("release state after a follow-up: %s", rel.State)
	}
}

func testFieldTasksStore(t *testing.T, db *sqlstore.DB) {
	now := time.Now().UTC()
	f := newReleaseFixture(t, db, now)
	ctx := Admin()
	tasks, total, err := db.FindTasks(ctx, backstop.TaskFilter{ReleaseID: f.release.ID})
	if err != nil || total != 3 || tasks[0].Kind != backstop.TaskConfirm || tasks[0].ReleaseID != f.release.ID || tasks[0].HeadName == "" {
		t.Fatalf("tasks: %v %d %+v", err, total, tasks)
	}
	mine, n, _ := db.FindTasks(ctx, backstop.TaskFilter{Assignee: "13900000001"})
	if n != 3 || len(mine) != 3 {
		t.Errorf("the helper's tasks across streams: %d", n)
	}
	if _, _, err := db.FindTasks(ctx, backstop.TaskFilter{}); backstop.ErrorCode(err) != backstop.EINVALID {
		t.Errorf("tasks of nothing: %v", err)
	}
	// A household's history: the warning that reached it, in scope only.
	hist, n, err := db.HouseholdTasks(ctx, tasks[0].HouseholdID, 10, 0)
	if err != nil || len(hist) != 1 || n != 1 || hist[0].WarningID != f.warning.ID || hist[0].Level != backstop.WarningRed || hist[0].ID != tasks[0].ID || hist[0].ReleasedAt.IsZero() {
		t.Fatalf("household tasks: %v %+v", err, hist)
	}
	elsewhere := UserContext(t, db, "county-elsewhere", backstop.RoleCounty, "620702")
	if hist, n, err := db.HouseholdTasks(elsewhere, tasks[0].HouseholdID, 10, 0); err != nil || len(hist) != 0 || n != 0 {
		t.Errorf("a household's tasks out of scope: %v %d", err, len(hist))
	}
	if hist, n, err := db.HouseholdTasks(ctx, tasks[0].HouseholdID, 10, 1); err != nil || len(hist) != 0 || n != 1 {
		t.Errorf("the page after a household's only task: %v %d of %d", err, len(hist), n)
	}
	// Two people confirming one task at once: one wins, the other loses
	// cleanly; the winner may correct their own.
	id := tasks[0].ID
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, by := range []string{"甲", "乙"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = db.ConfirmTask(ctx, id, backstop.ReachedPhone, "", by)
		}()
	}
	wg.Wait()
	conflicts := 0
	var winner string
	for i, err := range errs {
		switch backstop.ErrorCode(err) {
		case backstop.ECONFLICT:
			conflicts++
		case "":
			winner = []string{"甲", "乙"}[i]
		default:
			t.Fatalf("confirm: %v", err)
		}
	}
	if conflicts != 1 || winner == "" {
		t.Fatalf("two confirmations at once: %v", errs)
	}
	if got, err := db.ConfirmTask(ctx, id, backstop.ReachedInPerson, "改为当面告知", winner); err != nil || got.Outcome != backstop.ReachedInPerson {
		t.Errorf("correction by the confirmer: %v", err)
	}
	open, _ := db.OpenTasks(ctx, f.release.StreamID, 0)
	if len(open) != 2 {
		t.Errorf("open tasks: %d", len(open))
	}
	// Links: minted per phone, hash only, valid until the stream's expiry.
	tokens, err := db.MintLinks(ctx, f.release.StreamID, []string{"13900000001"})
	if err != nil || len(tokens["13900000001"]) != 32 {
		t.Fatalf("mint: %v %v", err, tokens)
	}
	if phone, _, err := db.LinkAssignee(ctx, tokens["13900000001"], now); err != nil || phone != "13900000001" {
		t.Errorf("link: %v %q", err, phone)
	}
	if _, _, err := db.LinkAssignee(ctx, tokens["13900000001"], now.Add(2*time.Hour)); backstop.ErrorCode(err) != backstop.EUNAUTHORIZED {
		t.Errorf("expired link: %v", err)
	}
}

func testClocksStore(t *testing.T, db *sqlstore.DB) {
	LoadRegions(t, db)
	ctx := Admin()
	now := time.Now().UTC().Truncate(time.Millisecond)
	mk := func(subject, region string, due time.Time) *backstop.Clock {
		c := &backstop.Clock{Kind: "test.clock", Subject: subject, Region: region, StartedAt: now, LimitValue: 5, LimitUnit: backstop.UnitWorkdays, Due: due, DueDate: due.Format("2006-01-02"), Provisional: true}
		if err := db.StartClock(ctx, c); err != nil {
			t.Fatal(err)
		}
		return c
	}
	for i := 0; i < 20; i++ {
		mk("case:"+string(rune('a'+i)), "620723101201", now.Add(-time.Minute))
	}
	if err := db.StartClock(ctx, &backstop.Clock{Kind: "test.clock", Subject: "case:a", Region: "620723101201", StartedAt: now, LimitUnit: backstop.UnitDays, Due: now}); backstop.ErrorCode(err) != backstop.ECONFLICT {
		t.Errorf("a second clock of a kind and subject: %v", err)
	}
	later := mk("case:later", "620702101201", now.Add(time.Hour))
	// Two processes claiming at once take different clocks.
	var wg sync.WaitGroup
	claimed := make([][]*backstop.Clock, 2)
	for i := range claimed {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				cs, err := db.ClaimDueClocks(ctx, []string{"p1", "p2"}[i], now, now.Add(time.Minute), 3)
				if err != nil {
					t.Error(err)
					return
				}
				if len(cs) == 0 {
					return
				}
				claimed[i] = append(claimed[i], cs...)
			}
		}()
	}
	wg.Wait()
	seen := map[int64]string{}
	for i, cs := range claimed {
		for _, c := range cs {
			if other, dup := seen[c.ID]; dup {
				t.Fatalf("clock %d claimed by %s and p%d", c.ID, other, i+1)
			}
			seen[c.ID] = []string{"p1", "p2"}[i]
		}
	}
	if len(seen) != 20 {
		t.Fatalf("%d of 20 due clocks claimed", len(seen))
	}
	// Finishing needs the claim at its stage: the loser writes nothing.
	var c *backstop.Clock
	if len(claimed[0]) > 0 {
		c = claimed[0][0]
	} else {
		c = claimed[1][0]
	}
	holder := seen[c.ID]
	other := map[string]string{"p1": "p2", "p2": "p1"}[holder]
	wrote := false
	run := &backstop.ClockRun{Writes: func(ctx context.Context, w backstop.ClockWriter) error { wrote = true; return nil }}
	if err := db.FinishClock(ctx, c.ID, other, c.Stage, run, now); backstop.ErrorCode(err) != backstop.ECONFLICT || wrote {
		t.Errorf("finish by a non-holder: %v (wrote %v)", err, wrote)
	}
	next := now.Add(30 * time.Minute)
	if err := db.FinishClock(ctx, c.ID, holder, c.Stage, &backstop.ClockRun{Next: &next, Writes: run.Writes}, now); err != nil || !wrote {
		t.Fatalf("finish by the holder: %v (wrote %v)", err, wrote)
	}
	if err := db.FinishClock(ctx, c.ID, holder, c.Stage, run, now); backstop.ErrorCode(err) != backstop.ECONFLICT {
		t.Errorf("finishing the same stage twice: %v", err)
	}
	got, _ := db.FindClock(ctx, "test.clock", c.Subject)
	if got.Stage != 1 || got.FireAt == nil || !got.FireAt.Equal(next) || !got.Overdue(now) {
		t.Errorf("after a run: %+v", got)
	}
	// Overdue is computed, and lists are scoped.
	town := UserContext(t, db, "shahe", backstop.RoleTownship, "620723101")
	overdue, n, err := db.FindClocks(town, backstop.ClockFilter{State: "overdue", Now: now})
	if err != nil || n != 20 || len(overdue) != 20 {
		t.Errorf("township's overdue clocks: %v %d", err, n)
	}
	if _, n, _ := db.FindClocks(ctx, backstop.ClockFilter{State: "overdue", Now: now}); n != 20 {
		t.Errorf("overdue clocks: %d (the later one is not)", n)
	}
	// A county-wide clock runs for the county's townships and villages
	// too; a neighbouring county's does not, nor one of a village below.
	countyWide := mk("case:county", "620723000000", now.Add(2*time.Hour))
	cityWide := mk("case:city", "620700000000", now.Add(3*time.Hour))
	neighbour := mk("case:neighbour", "620702000000", now.Add(4*time.Hour))
	for _, who := range []struct {
		name   string
		role   backstop.Role
		region string
	}{
		{"anc-town", backstop.RoleTownship, "620723101000"}, {"anc-village", backstop.RoleVillage, "620723101201"},
	} {
		uctx := UserContext(t, db, who.name, who.role, who.region)
		cs, _, err := db.FindClocks(uctx, backstop.ClockFilter{State: "running", Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		got := map[int64]bool{}
		for _, c := range cs {
			got[c.ID] = true
		}
		if !got[countyWide.ID] || !got[cityWide.ID] || got[neighbour.ID] || got[later.ID] {
			t.Errorf("%s sees county %v, city %v, neighbour county %v, neighbour village %v", who.region, got[countyWide.ID], got[cityWide.ID], got[neighbour.ID], got[later.ID])
		}
		if cs, _, _ := db.FindClocks(ctx, backstop.ClockFilter{Region: who.region, Subject: "case:county"}); len(cs) != 1 {
			t.Errorf("filter by %s: the county's clock not listed", who.region)
		}
	}
	county := UserContext(t, db, "anc-county", backstop.RoleCounty, "620723000000")
	if cs, _, _ := db.FindClocks(county, backstop.ClockFilter{Subject: "case:neighbour"}); len(cs) != 0 {
		t.Errorf("a county sees the neighbouring county's clock")
	}
	for _, c := range []*backstop.Clock{countyWide, cityWide, neighbour} {
		if err := db.StopClock(ctx, "test.clock", c.Subject, backstop.ClockCancelled, now); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.StopClock(ctx, "test.clock", later.Subject, backstop.ClockMet, now); err != nil {
		t.Fatal(err)
	}
	if err := db.StopClock(ctx, "test.clock", later.Subject, backstop.ClockCancelled, now); backstop.ErrorCode(err) != backstop.ENOTFOUND {
		t.Errorf("stopping a stopped clock: %v", err)
	}
	// Provisional working-day clocks are listed for recounting and moved.
	prov, _ := db.ProvisionalClocks(ctx)
	if len(prov) != 20 {
		t.Errorf("provisional running clocks: %d", len(prov))
	}
	moved := now.Add(48 * time.Hour)
	if err := db.MoveClock(ctx, prov[0].ID, moved, "2027-01-04", false); err != nil {
		t.Fatal(err)
	}
	if prov2, _ := db.ProvisionalClocks(ctx); len(prov2) != 19 {
		t.Errorf("after a move: %d provisional", len(prov2))
	}
}

func testMonitoringStore(t *testing.T, db *sqlstore.DB) {
	LoadRegions(t, db)
	importTemplate(t, db)
	ctx := Admin()
	const number = "6207231012010001" // not monitored in the national view
	h, _ := db.FindHousehold(ctx, number)
	if h.Groups&backstop.GroupMonitored != 0 || h.NationalMonitored() {
		t.Fatalf("fixture: %s is monitored already", number)
	}
	d := &backstop.MonitoringDecision{Household: number, Monitored: true, MonitorType: backstop.MonitorSuddenHardship, IdentifiedOn: "2026-07-20", Source: "case:1"}
	if err := db.DecideMonitoring(ctx, d); err != nil {
		t.Fatal(err)
	}
	h, _ = db.FindHousehold(ctx, number)
	if h.Groups&backstop.GroupMonitored == 0 || h.LocalDecision == nil || h.LocalDecision.ID != d.ID || h.MonitoringDisagreement() != "local_only" {
		t.Fatalf("after the decision: groups %v, local %+v, disagreement %q", h.Groups.Names(), h.LocalDecision, h.MonitoringDisagreement())
	}
	// A re-import carries the national view again (and changes a field, so
	// that the row is written): the local decision stands.
	changed := TemplateRoster(t)
	for row := 2; row <= 4; row++ {
		changed = ReplaceCell(t, changed, row, "人均纯收入", "9100")
	}
	if _, err := ImportRoster(ctx, db, WriteFile(t, "r.csv", changed), backstop.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	h, _ = db.FindHousehold(ctx, number)
	if h.Groups&backstop.GroupMonitored == 0 || h.LocalDecision == nil || *h.IncomePerCapita != 9100 {
		t.Errorf("after a re-import: groups %v, local %+v", h.Groups.Names(), h.LocalDecision)
	}
	// An edit through the API keeps it too.
	h.Members = nil
	if err := db.UpdateHousehold(ctx, h); err != nil {
		t.Fatal(err)
	}
	if h, _ := db.FindHousehold(ctx, number); h.Groups&backstop.GroupMonitored == 0 {
		t.Error("an edit dropped the local decision's group")
	}
	// Outside the user's region a decision is refused.
	other := UserContext(t, db, "gz", backstop.RoleCounty, "620702")
	if err := db.DecideMonitoring(other, &backstop.MonitoringDecision{Household: number, Monitored: false, Source: "manual"}); backstop.ErrorCode(err) != backstop.EFORBIDDEN {
		t.Errorf("decision outside the region: %v", err)
	}
	ds, _ := db.MonitoringDecisions(ctx, number)
	if len(ds) != 1 {
		t.Errorf("decisions: %d", len(ds))
	}
}
