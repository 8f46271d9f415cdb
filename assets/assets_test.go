package assets_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/assets"
	"github.com/zhangye-backstop/backstop/storetest"
)

func as(name string, role backstop.Role, region string) context.Context {
	return backstop.NewContextWithUser(context.Background(), &backstop.User{Name: name, Role: role, Region: region})
}

// TestAssetDamage: an asset registered, damaged by an event, its
// restoration proposed by the township, rejected, disposal proposed and
// approved by the county (not by its proposer); the event's list shows
// the damage and the decision; stale or double decisions conflict.
func TestAssetDamage(t *testing.T) {
	for _, e := range storetest.Engines {
		t.Run(e.Name, func(t *testing.T) {
			db := e.Open(t)
			storetest.LoadRegions(t, db)
			svc := &assets.Service{Store: db, Now: func() time.Time { return time.Date(2026, 8, 1, 9, 0, 0, 0, backstop.Beijing) }}
			town, county := as("town1", backstop.RoleTownship, "620723101000"), as("county1", backstop.RoleCounty, "620723000000")
			_, err := svc.Register(town, assets.Input{Name: "", Class: "castle", Village: "620723", Value: -1})
			if ds := backstop.ErrorDetails(err); len(ds) != 5 {
				t.Errorf("bad asset: %v %+v", err, ds)
			}
			a, err := svc.Register(town, assets.Input{Name: "西寨村光伏电站", Class: "operating", Owner: "西寨村股份经济合作社", Village: "620723101201", Location: "村北", Value: 480000})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := svc.Register(town, assets.Input{Name: "x", Class: "operating", Owner: "x", Village: "620725203201", Value: 1}); backstop.ErrorCode(err) != backstop.EFORBIDDEN {
				t.Errorf("an asset outside the township: %v", err)
			}
			d, err := svc.RecordDamage(town, a.ID, assets.DamageInput{Event: "2026年7月临泽暴雨", Date: "2026-07-20", Loss: 120000, Description: "支架倒塌，组件损坏三分之一"})
			if err != nil {
				t.Fatal(err)
			}
			if got, _ := svc.Asset(town, a.ID); got.State != backstop.AssetDamaged || len(got.Damages) != 1 {
				t.Fatalf("after the damage: %+v", got)
			}
			if _, err := svc.Propose(town, d.ID, assets.Proposal{Decision: "burn", Note: "x"}); backstop.ErrorCode(err) != backstop.EINVALID {
				t.Errorf("an unknown decision: %v", err)
			}
			if _, err := svc.Propose(town, d.ID, assets.Proposal{Decision: "restore", Note: "修复支架"}); err != nil {
				t.Fatal(err)
			}
			if _, err := svc.Propose(town, d.ID, assets.Proposal{Decision: "dispose", Note: "again"}); backstop.ErrorCode(err) != backstop.ECONFLICT {
				t.Errorf("a second proposal over a pending one: %v", err)
			}
			if _, err := svc.Decide(town, d.ID, assets.Approval{Approve: true, Record: "x"}); backstop.ErrorCode(err) != backstop.EFORBIDDEN {
				t.Errorf("a township approving: %v", err)
			}
			if got, err := svc.Decide(county, d.ID, assets.Approval{Approve: false, Record: "修复成本高于重建，建议处置"}); err != nil || got.State != backstop.DecisionRejected {
				t.Fatalf("rejection: %v %+v", err, got)
			}
			if _, err := svc.Propose(county, d.ID, assets.Proposal{From: "rejected", Decision: "dispose", Note: "残值回收后报废"}); err != nil {
				t.Fatal(err)
			}
			if _, err := svc.Decide(county, d.ID, assets.Approval{Approve: true, Record: "x"}); backstop.ErrorCode(err) != backstop.EFORBIDDEN || !strings.Contains(backstop.ErrorMessageZH(err), "提出人以外") {
				t.Errorf("the proposer approving its own proposal: %v", err)
			}
			got, err := svc.Decide(as("county2", backstop.RoleCounty, "620723000000"), d.ID, assets.Approval{Approve: true, Record: "2026-08-01 县农业农村局批复报废，残值回收 8000 元"})
			if err != nil || got.State != backstop.DecisionApproved || got.ApprovedBy != "county2" {
				t.Fatalf("approval: %v %+v", err, got)
			}
			if _, err := svc.Decide(as("county3", backstop.RoleCounty, "620723000000"), d.ID, assets.Approval{Approve: true, Record: "again"}); backstop.ErrorCode(err) != backstop.ECONFLICT {
				t.Errorf("approving twice: %v", err)
			}
			if a, _ := svc.Asset(county, a.ID); a.State != backstop.AssetDisposed {
				t.Errorf("the asset after approval: %s", a.State)
			}
			list, err := svc.EventDamages(county, "2026年7月临泽暴雨")
			if err != nil || len(list) != 1 || list[0].Decision != backstop.DecideDispose || list[0].AssetName != "西寨村光伏电站" {
				t.Errorf("the event's damages: %v %+v", err, list)
			}
			if list, _ := svc.EventDamages(as("c", backstop.RoleCounty, "620725000000"), "2026年7月临泽暴雨"); len(list) != 0 {
				t.Errorf("another county sees %d damages", len(list))
			}
			if _, err := svc.RecordDamage(town, a.ID, assets.DamageInput{Event: "x", Date: "2026-07-21", Loss: 1, Description: "x"}); backstop.ErrorCode(err) != backstop.ECONFLICT {
				t.Errorf("damage to a disposed asset: %v", err)
			}
		})
	}
}
