package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/sqlstore"
)

// testSubscriptionStream: events published at once to one subscription
// are numbered in the order their messages were written (batch order is
// message order), each once; only the earliest undelivered batch of the
// stream is due, and the next becomes due when it is final.
func testSubscriptionStream(t *testing.T, db *sqlstore.DB) {
	LoadRegions(t, db)
	ctx := Admin()
	org := &backstop.Organisation{Kind: backstop.DeptEmergency, Name: "应急管理局", Region: "620700000000", Contact: "王"}
	if err := db.CreateOrganisation(ctx, org); err != nil {
		t.Fatal(err)
	}
	sub := &backstop.Subscription{OrgID: org.ID, URL: "https://hooks.example.org/a", Secret: "0123456789abcdef", Events: []string{backstop.EventCaseOpened}, Region: "620700000000"}
	if err := db.CreateSubscription(ctx, sub); err != nil {
		t.Fatal(err)
	}
	sys := backstop.NewContextWithUser(context.Background(), backstop.SystemUser("test"))
	body := func(e *backstop.SharedEvent, s *backstop.Subscription) (string, error) {
		b, err := json.Marshal(map[string]any{"id": e.ID, "subject": e.Subject})
		return string(b), err
	}
	const n = 24
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			e := &backstop.SharedEvent{Type: backstop.EventCaseOpened, Subject: fmt.Sprintf("case:%d", i), Regions: []string{"620723101201"}, OccurredAt: time.Now(), Data: json.RawMessage(`{}`)}
			_, errs[i] = db.PublishEvent(sys, e, body)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("publish %d: %v", i, err)
		}
	}
	// A replay publishes nothing.
	again, err := db.PublishEvent(sys, &backstop.SharedEvent{Type: backstop.EventCaseOpened, Subject: "case:3", Regions: []string{"620723101201"}, OccurredAt: time.Now()}, body)
	if err != nil || len(again) != 0 {
		t.Fatalf("replay: %v %v", again, err)
	}
	ds, total, err := db.FindDeliveries(ctx, sub.ID, 0, 100)
	if err != nil || total != n || len(ds) != n {
		t.Fatalf("deliveries: %d %d %v", total, len(ds), err)
	}
	var rows [][2]int64
	for _, d := range ds {
		batch, err := db.QueryIntForTest(context.Background(), fmt.Sprintf(`SELECT batch FROM messages WHERE id = %d`, d.ID))
		if err != nil {
			t.Fatal(err)
		}
		rows = append(rows, [2]int64{d.ID, batch})
	}
	// Newest first: ids and batches both fall.
	for i := 1; i < len(rows); i++ {
		if rows[i][0] >= rows[i-1][0] || rows[i][1] >= rows[i-1][1] {
			t.Fatalf("batch order is not message order: %v", rows)
		}
	}
	due, err := db.DueBatches(sys, time.Now().Add(time.Minute), 100)
	if err != nil || len(due) != 1 || due[0].StreamID != sub.StreamID || int64(due[0].Batch) != rows[len(rows)-1][1] {
		t.Fatalf("due batches of an ordered stream: %+v %v", due, err)
	}
	later := backstop.OutboxBatch{StreamID: sub.StreamID, Batch: int(rows[0][1])}
	if _, err := db.LeaseBatch(sys, later, "w", time.Now().Add(time.Minute), time.Now().Add(2*time.Minute)); backstop.ErrorCode(err) != backstop.ECONFLICT {
		t.Fatalf("a later batch leased before the first is final: %v", err)
	}
	first := due[0]
	ms, err := db.LeaseBatch(sys, first, "w", time.Now().Add(time.Minute), time.Now().Add(2*time.Minute))
	if err != nil || len(ms) != 1 {
		t.Fatal(err)
	}
	if err := db.FinishBatch(sys, first, "w", []backstop.MessageResult{{ID: ms[0].ID, Channel: ms[0].Channel, Audience: ms[0].Audience, Status: backstop.MessageDelivered, At: time.Now()}}); err != nil {
		t.Fatal(err)
	}
	due, _ = db.DueBatches(sys, time.Now().Add(time.Minute), 100)
	if len(due) != 1 || int64(due[0].Batch) != rows[len(rows)-2][1] {
		t.Fatalf("after the first is delivered: %+v", due)
	}
}

// testPushOnce: the same push sent at once from many connections is
// recorded once.
func testPushOnce(t *testing.T, db *sqlstore.DB) {
	LoadRegions(t, db)
	ctx := Admin()
	org := &backstop.Organisation{Kind: backstop.DeptWater, Name: "水务局", Region: "620700000000", Contact: "李"}
	if err := db.CreateOrganisation(ctx, org); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	ids := make([]int64, 12)
	errs := make([]error, len(ids))
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p, err := db.RecordPush(ctx, &backstop.InboundPush{OrgID: org.ID, Key: "sw-1", Kind: backstop.PushWaterOutage, Region: "620723000000", Data: json.RawMessage(`{"villages":2}`),
				BodySHA256: "abc", Destination: backstop.DestEventFigure, State: "received", Assignee: "李"})
			if err == nil {
				ids[i] = p.ID
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	for i := range ids {
		if errs[i] != nil || ids[i] != ids[0] {
			t.Fatalf("push %d: %d %v (first %d)", i, ids[i], errs[i], ids[0])
		}
	}
	if _, total, _ := db.FindPushes(ctx, org.ID, "", 0, 10); total != 1 {
		t.Fatalf("%d pushes recorded", total)
	}
}
