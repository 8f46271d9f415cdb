package exposure_test

import (
	"slices"
	"testing"
	"time"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/alerting"
	"github.com/zhangye-backstop/backstop/exposure"
	"github.com/zhangye-backstop/backstop/storetest"
)

// TestIndexFollowsRegistry: households created, moved, deleted and
// imported after the index was built are seen by the next query, without
// a restart, on both engines.
func TestIndexFollowsRegistry(t *testing.T) {
	for _, e := range storetest.Engines {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			db := e.Open(t)
			ctx := storetest.Admin()
			exp := storetest.DemoExposure(t, db, 500, 7)
			// A 0.02° box where the demo put nobody: south-west of the city.
			box := backstop.MultiPolygon{{{{Lon: 97.0, Lat: 37.0}, {Lon: 97.02, Lat: 37.0}, {Lon: 97.02, Lat: 37.02}, {Lon: 97.0, Lat: 37.02}, {Lon: 97.0, Lat: 37.0}}}}
			w := &backstop.Warning{ID: 1, Areas: []backstop.WarningArea{{Polygons: box}}}
			count := func() int {
				t.Helper()
				if err := exp.Sync(ctx); err != nil {
					t.Fatal(err)
				}
				res := exp.Index().Query(exposure.AreaOf(w))
				return res.Len()
			}
			if n := count(); n != 0 {
				t.Fatalf("the empty box holds %d households", n)
			}
			list, _, err := db.FindHouseholds(ctx, backstop.HouseholdFilter{Limit: 2})
			if err != nil || len(list) < 2 {
				t.Fatalf("households: %v", err)
			}
			// Moved into the box.
			h, err := db.FindHousehold(ctx, list[0].Number)
			if err != nil {
				t.Fatal(err)
			}
			h.Location = &backstop.Point{Lon: 97.01, Lat: 37.01}
			if err := db.UpdateHousehold(ctx, h); err != nil {
				t.Fatal(err)
			}
			if n := count(); n != 1 {
				t.Fatalf("after a move into the box: %d", n)
			}
			// A new household in the box.
			other, _ := db.FindHousehold(ctx, list[1].Number)
			fresh := &backstop.Household{Number: "6207990000000001", VillageCode: other.VillageCode, HeadName: "新户", Size: 1,
				Location: &backstop.Point{Lon: 97.015, Lat: 37.015}, Members: []*backstop.Member{{Number: "620799000000000101", Name: "新户", IDNumber: fakeID(), Relation: "户主"}}}
			if err := db.CreateHousehold(ctx, fresh); err != nil {
				t.Fatal(err)
			}
			if n := count(); n != 2 {
				t.Fatalf("after a new household in the box: %d", n)
			}
			// Deleted, and moved out again.
			if err := db.DeleteHousehold(ctx, fresh.Number); err != nil {
				t.Fatal(err)
			}
			h, _ = db.FindHousehold(ctx, list[0].Number)
			h.Location = &backstop.Point{Lon: 100.4, Lat: 38.9}
			if err := db.UpdateHousehold(ctx, h); err != nil {
				t.Fatal(err)
			}
			if n := count(); n != 0 {
				t.Fatalf("after a delete and a move out: %d", n)
			}
			// A roster import (the template's 3 households, in 临泽县) is seen too.
			storetest.LoadRegions(t, db)
			before := exp.Index().Len()
			// The demo numbers households the way the template does, so some
			// of the three may exist already and be updated, not added.
			added := 0
			for _, number := range []string{"6207231012010001", "6207252032010007", "6207221072060012"} {
				if _, err := db.FindHousehold(ctx, number); backstop.ErrorCode(err) == backstop.ENOTFOUND {
					added++
				}
			}
			if _, err := storetest.ImportRoster(ctx, db, storetest.SharedData(t, "templates/households.csv"), backstop.ImportOptions{}); err != nil {
				t.Fatal(err)
			}
			if err := exp.Sync(ctx); err != nil {
				t.Fatal(err)
			}
			if got := exp.Index().Len(); got != before+added {
				t.Fatalf("index holds %d after importing %d new households to %d", got, added, before)
			}
			// 赵玉梅's household in 山丹县 is found where the roster puts it.
			near := backstop.MultiPolygon{{{{Lon: 101.452, Lat: 38.552}, {Lon: 101.454, Lat: 38.552}, {Lon: 101.454, Lat: 38.554}, {Lon: 101.452, Lat: 38.554}, {Lon: 101.452, Lat: 38.552}}}}
			res := exp.Index().Query(exposure.AreaOf(&backstop.Warning{ID: 2, Areas: []backstop.WarningArea{{Polygons: near}}}))
			if res.Len() < 1 {
				t.Fatal("the imported household at 101.453, 38.553 is not in the index")
			}
		})
	}
}

// fakeID is an ID number with a valid check digit and the unassigned
// address code the demo uses.
func fakeID() string {
	first17 := "62079919700101" + "123"
	return first17 + string(backstop.IDCheckDigit(first17))
}

// TestExposureRecordsElderlyAge: a snapshot records the elderly.age
// version it counted elderly people living alone by, beside the weights.
func TestExposureRecordsElderlyAge(t *testing.T) {
	db := storetest.OpenSQLite(t)
	ctx := storetest.Admin()
	exp := storetest.DemoExposure(t, db, 200, 3)
	alerts := &alerting.Service{Store: db, Exposer: exp, Sender: "backstop.test", Region: "620700"}
	w, err := alerts.IngestInput(ctx, &alerting.Input{Hazard: "rainstorm", Level: "red", Headline: "临泽县暴雨红色预警",
		Areas: []alerting.InputArea{{Desc: "临泽县", Regions: []string{"620723"}}}}, "json")
	if err != nil {
		t.Fatal(err)
	}
	snap, err := db.FindExposure(ctx, w.ID)
	if err != nil {
		t.Fatal(err)
	}
	p, err := db.PolicyAt(ctx, backstop.PolicyElderlyAge, backstop.NationalScope, time.Now().In(backstop.Beijing))
	if err != nil || p.Value != 60 {
		t.Fatalf("the seeded elderly.age: %+v %v", p, err)
	}
	if !slices.Contains(snap.PolicyIDs, p.ID) {
		t.Errorf("the snapshot's policies %v do not hold elderly.age %d", snap.PolicyIDs, p.ID)
	}
}
