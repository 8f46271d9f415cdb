package projects_test

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/clock"
	"github.com/zhangye-backstop/backstop/projects"
	"github.com/zhangye-backstop/backstop/storetest"
	"github.com/zhangye-backstop/backstop/workday"
)

func as(role backstop.Role, region string) context.Context {
	return backstop.NewContextWithUser(context.Background(), &backstop.User{Name: string(role) + "-" + region, Role: role, Region: region})
}

// TestProjectLibrary: a village proposes, the township reviews, the
// county approves into the library, each step by its role with the
// policy's clock (shorter on the fast track of a disaster-response
// project); two approvals at once: one wins, the other is a conflict;
// funds by source and beneficiaries linked to households are checked;
// implementation moves only as allowed.
func TestProjectLibrary(t *testing.T) {
	for _, e := range storetest.Engines {
		t.Run(e.Name, func(t *testing.T) {
			db := e.Open(t)
			storetest.LoadRegions(t, db)
			if _, err := storetest.ImportRoster(storetest.Admin(), db, storetest.SharedData(t, "templates/households.csv"), backstop.ImportOptions{FileName: "households.csv"}); err != nil {
				t.Fatal(err)
			}
			cal := &workday.Service{Store: db}
			if err := cal.Load(storetest.Admin()); err != nil {
				t.Fatal(err)
			}
			// Monday 2026-06-08, 10:00; 19 June is the Dragon Boat holiday.
			now := time.Date(2026, 6, 8, 10, 0, 0, 0, backstop.Beijing)
			svc := &projects.Service{Store: db, Clocks: &clock.Engine{Store: db, Calendar: cal}, Now: func() time.Time { return now }}
			village, town, county := as(backstop.RoleVillage, "620723101201"), as(backstop.RoleTownship, "620723101000"), as(backstop.RoleCounty, "620723000000")

			normal, err := svc.Propose(village, projects.Proposal{Name: "西寨村光伏帮扶项目", Type: "industry", Village: "620723101201", Summary: "村集体光伏电站"})
			if err != nil {
				t.Fatal(err)
			}
			if normal.State != backstop.ProjectInStep || normal.Step != "township_review" || normal.StepDue == nil || !normal.StepDue.Equal(time.Date(2026, 6, 24, 0, 0, 0, 0, backstop.Beijing)) {
				t.Fatalf("normal proposal: %s %s due %v", normal.State, normal.Step, normal.StepDue)
			}
			fast, err := svc.Propose(village, projects.Proposal{Name: "西寨村灌渠水毁修复", Type: "infrastructure_repair", Village: "620723101201", FastTrack: true, Event: "2026年6月临泽县暴雨洪涝"})
			if err != nil {
				t.Fatal(err)
			}
			// Two working days: Tuesday and Wednesday.
			if fast.StepDue == nil || !fast.StepDue.Equal(time.Date(2026, 6, 11, 0, 0, 0, 0, backstop.Beijing)) || !fast.FastTrack {
				t.Fatalf("fast proposal due %v", fast.StepDue)
			}
			_, err = svc.Propose(village, projects.Proposal{Name: "", Type: "astrology", Village: "620723", FastTrack: true})
			if ds := backstop.ErrorDetails(err); len(ds) != 3 {
				t.Errorf("bad proposal: %v %+v", err, ds)
			}
			if _, err := svc.Propose(village, projects.Proposal{Name: "x", Type: "astrology", Village: "620723101201"}); !strings.Contains(backstop.ErrorMessageZH(err), "产业") {
				t.Errorf("unknown type: %v", err)
			}
			if _, err := svc.Propose(village, projects.Proposal{Name: "x", Type: "industry", Village: "620725203201"}); backstop.ErrorCode(err) != backstop.EFORBIDDEN {
				t.Errorf("a village proposing for another: %v", err)
			}
			// The village cannot review its own proposal.
			if _, err := svc.Decide(village, fast.ID, projects.Decision{Step: "township_review", Outcome: "passed"}); backstop.ErrorCode(err) != backstop.EFORBIDDEN {
				t.Errorf("a village reviewing: %v", err)
			}
			if _, err := svc.Decide(town, fast.ID, projects.Decision{Step: "township_review", Outcome: "rejected"}); backstop.ErrorCode(err) != backstop.EINVALID {
				t.Errorf("a rejection without a reason: %v", err)
			}
			p, err := svc.Decide(town, fast.ID, projects.Decision{Step: "township_review", Outcome: "passed", Note: "情况属实"})
			if err != nil || p.Step != "county_approval" {
				t.Fatalf("township review: %v %+v", err, p)
			}
			if _, err := svc.Decide(town, fast.ID, projects.Decision{Step: "county_approval", Outcome: "passed"}); backstop.ErrorCode(err) != backstop.EFORBIDDEN {
				t.Errorf("a township approving into the library: %v", err)
			}
			// Two county officers approve at once: one wins.
			var wg sync.WaitGroup
			errs := make([]error, 2)
			for i := range errs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, errs[i] = svc.Decide(as(backstop.RoleCounty, "620723000000"), fast.ID, projects.Decision{Step: "county_approval", Outcome: "passed"})
				}()
			}
			wg.Wait()
			if (errs[0] == nil) == (errs[1] == nil) || backstop.ErrorCode(errs[0])+backstop.ErrorCode(errs[1]) != backstop.ECONFLICT {
				t.Fatalf("two approvals at once: %v, %v", errs[0], errs[1])
			}
			p, _ = svc.Project(county, fast.ID)
			if p.State != backstop.ProjectApproved || len(p.History) != 3 {
				t.Fatalf("approved once: %s, history %+v", p.State, p.History)
			}
			for _, step := range []string{"township_review", "county_approval"} {
				if c, err := db.FindClock(storetest.Admin(), backstop.ClockProjectStep, "project:"+itoa(fast.ID)+":"+step); err != nil || c.State != backstop.ClockMet {
					t.Errorf("the %s clock: %v %+v", step, err, c)
				}
			}

			// Funds and beneficiaries.
			_, err = svc.SetFunds(county, fast.ID, []backstop.ProjectFund{{Source: "linkage_subsidy", Planned: 100000, Allocated: 50000, Spent: 60000}, {Source: "lottery", Planned: 1}})
			if ds := backstop.ErrorDetails(err); len(ds) != 2 {
				t.Errorf("bad funds: %v %+v", err, ds)
			}
			p, err = svc.SetFunds(county, fast.ID, []backstop.ProjectFund{{Source: "linkage_subsidy", Planned: 100000, Allocated: 80000, Spent: 30000}, {Source: "self_raised", Planned: 5000, Allocated: 5000, Spent: 5000}})
			if err != nil || p.Planned != 105000 || p.Allocated != 85000 || p.Spent != 35000 {
				t.Fatalf("funds: %v %+v", err, p)
			}
			_, err = svc.SetBeneficiaries(county, fast.ID, []string{"6207231012010001", "9999999999999999"})
			if backstop.ErrorCode(err) != backstop.EINVALID || !strings.Contains(backstop.ErrorMessageZH(err), "9999999999999999") {
				t.Errorf("an unknown household: %v", err)
			}
			if p, err = svc.SetBeneficiaries(county, fast.ID, []string{"6207231012010001"}); err != nil || len(p.Beneficiaries) != 1 {
				t.Fatalf("beneficiaries: %v %+v", err, p)
			}
			// Implementation.
			if _, err := svc.SetProgress(county, normal.ID, projects.Progress{From: "not_started", To: "underway"}); backstop.ErrorCode(err) != backstop.ECONFLICT {
				t.Errorf("progress of a project not in the library: %v", err)
			}
			if _, err := svc.SetProgress(county, fast.ID, projects.Progress{From: "not_started", To: "completed"}); backstop.ErrorCode(err) != backstop.EINVALID {
				t.Errorf("skipping to completed: %v", err)
			}
			if p, err = svc.SetProgress(county, fast.ID, projects.Progress{From: "not_started", To: "underway", Note: "开工"}); err != nil || p.Progress != backstop.ProgressUnderway {
				t.Fatalf("underway: %v", err)
			}
			if _, err := svc.SetProgress(county, fast.ID, projects.Progress{From: "not_started", To: "underway"}); backstop.ErrorCode(err) != backstop.ECONFLICT {
				t.Errorf("a stale progress change: %v", err)
			}
			// Lists: the fast track apart.
			yes := true
			items, total, err := svc.Projects(county, backstop.ProjectFilter{FastTrack: &yes})
			if err != nil || total != 1 || items[0].ID != fast.ID || items[0].Spent != 35000 {
				t.Errorf("fast-track list: %v %d", err, total)
			}
			if _, total, _ := svc.Projects(as(backstop.RoleCounty, "620725000000"), backstop.ProjectFilter{}); total != 0 {
				t.Errorf("another county sees %d projects", total)
			}
			// A rejected step ends the procedure.
			if p, err = svc.Decide(town, normal.ID, projects.Decision{Step: "township_review", Outcome: "rejected", Note: "选址不符合规划"}); err != nil || p.State != backstop.ProjectRejected {
				t.Errorf("rejection: %v %+v", err, p)
			}
		})
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
