package storetest

import (
	"sync"
	"testing"
	"time"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/sqlstore"
)

// The screening half of the store: loss report versions, verification,
// visits and intake, each state change with a concurrent one that loses
// cleanly (ECONFLICT) or merges, never both winning.

// twice runs fn twice at once and returns both errors.
func twice(fn func(i int) error) [2]error {
	var errs [2]error
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			errs[i] = fn(i)
		}()
	}
	close(start)
	wg.Wait()
	return errs
}

// oneWins checks that exactly one of two concurrent changes succeeded and
// the other is ECONFLICT.
func oneWins(t *testing.T, what string, errs [2]error) {
	t.Helper()
	ok, conflict := 0, 0
	for _, err := range errs {
		switch backstop.ErrorCode(err) {
		case "":
			ok++
		case backstop.ECONFLICT:
			conflict++
		default:
			t.Fatalf("%s: %v", what, err)
		}
	}
	if ok != 1 || conflict != 1 {
		t.Fatalf("%s: %d succeeded, %d conflicted (%v)", what, ok, conflict, errs)
	}
}

func testScreeningStore(t *testing.T, db *sqlstore.DB) {
	LoadRegions(t, db)
	importTemplate(t, db)
	ctx := Admin()
	const number = "6207231012010001"
	e := &backstop.DisasterEvent{Hazard: "flood", Title: "洪涝", StartedAt: time.Now().Add(-time.Hour), Regions: []string{"620723000000"}}
	if err := db.CreateEvent(ctx, e, nil); err != nil {
		t.Fatal(err)
	}
	if e.Region != "620723000000" {
		t.Fatalf("event region %s", e.Region)
	}
	first := &backstop.LossReport{HouseholdNumber: number, EventID: e.ID, HouseDamage: backstop.DamageSevere, HouseRooms: 2}
	if err := db.CreateLossReport(ctx, first, &backstop.Assessment{HouseholdNumber: number, AtRisk: true, ReportDate: "2026-07-01"}); err != nil {
		t.Fatal(err)
	}
	if first.Chain != first.ID || first.Version != 1 || !first.Current {
		t.Fatalf("first version %+v", first)
	}
	// Two first reports of one household and event: one is a correction.
	oneWins(t, "two first reports", [2]error{nil, db.CreateLossReport(ctx, &backstop.LossReport{HouseholdNumber: number, EventID: e.ID, HouseDamage: backstop.DamageNone}, nil)})
	// Two corrections of the same version at once: one wins.
	errs := twice(func(i int) error {
		return db.CreateLossReport(ctx, &backstop.LossReport{HouseholdNumber: number, EventID: e.ID, Corrects: first.ID, HouseDamage: backstop.DamageCollapsed, HouseRooms: 3 + i},
			&backstop.Assessment{HouseholdNumber: number, ReportDate: "2026-07-02"})
	})
	oneWins(t, "two corrections", errs)
	all, total, err := db.FindLossReports(ctx, backstop.LossReportFilter{Household: number, All: true})
	if err != nil || total != 2 {
		t.Fatalf("versions: %d %v", total, err)
	}
	current := all[0]
	if !current.Current || current.Version != 2 || all[1].Current || current.State != backstop.LossSubmitted {
		t.Fatalf("versions %+v %+v", all[0], all[1])
	}
	// Only the current version is verified, once.
	if _, err := db.VerifyLossReport(ctx, first.ID, nil); backstop.ErrorCode(err) != backstop.ECONFLICT {
		t.Fatalf("verifying an old version: %v", err)
	}
	errs = twice(func(int) error {
		_, err := db.VerifyLossReport(ctx, current.ID, &backstop.Assessment{HouseholdNumber: number, AtRisk: true, GreenChannel: true, ReportDate: "2026-07-02"})
		return err
	})
	oneWins(t, "two verifications", errs)
	a, err := db.FindAssessment(ctx, number)
	if err != nil || !a.GreenChannel || a.LossReportID != current.ID || !a.Current {
		t.Fatalf("current assessment %+v %v", a, err)
	}
	var currents int
	db.WriteDB().QueryRow(db.Rebind(`SELECT count(*) FROM assessments a JOIN households h ON h.id = a.household_id WHERE h.number = ? AND a.is_current`), number).Scan(&currents)
	if currents != 1 {
		t.Fatalf("%d current assessments", currents)
	}
	// Outside the scope a household is not found.
	town := backstop.NewContextWithUser(ctx, &backstop.User{Name: "t", Role: backstop.RoleTownship, Region: "620725203000"})
	if err := db.CreateLossReport(town, &backstop.LossReport{HouseholdNumber: number, HouseDamage: backstop.DamageNone}, nil); backstop.ErrorCode(err) != backstop.ENOTFOUND {
		t.Fatalf("outside the scope: %v", err)
	}

	// Households without a helper are visited by their village's first
	// cadre with a phone.
	var villages []string
	rows, err := db.WriteDB().Query(`SELECT DISTINCT village_code FROM households ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var v string
		rows.Scan(&v)
		villages = append(villages, v)
	}
	rows.Close()
	var contacts []*backstop.Contact
	for _, v := range villages {
		contacts = append(contacts, &backstop.Contact{Kind: backstop.ContactVillageCadre, Name: "无电话", Region: v, Email: "cadre@example.org"},
			&backstop.Contact{Kind: backstop.ContactVillageCadre, Name: "村干部" + v[9:], Region: v, Phone: "1390000" + v[8:]},
			&backstop.Contact{Kind: backstop.ContactVillageCadre, Name: "第二位", Region: v, Phone: "13911112222"})
	}
	if err := db.CreateContacts(ctx, contacts...); err != nil {
		t.Fatal(err)
	}
	db.WriteDB().Exec(db.Rebind(`UPDATE households SET helper_name = '', helper_phone = '' WHERE number = ?`), number)
	// A campaign's visit finished twice at once: one wins.
	c := &backstop.Campaign{Kind: backstop.CampaignPostDisaster, Title: "排查", EventID: e.ID, Region: "620700000000", Cohorts: []backstop.ListItem{{Code: backstop.CohortEveryone, ZH: "全部"}},
		Checklist: []backstop.ListItem{{Code: "housing_safety", ZH: "住房安全"}}, DueWorkdays: 5, Due: time.Now().Add(72 * time.Hour), DueDate: "2026-12-31", LinksExpire: time.Now().Add(96 * time.Hour)}
	// Overlapping regions visit each household once.
	if err := db.CreateCampaign(ctx, c, backstop.CampaignScope{Regions: []string{"620723000000", "620700000000", "620723101000"}, EventID: e.ID}, nil); err != nil {
		t.Fatal(err)
	}
	if c.Visits != 3 { // the template's three households
		t.Fatalf("%d visits", c.Visits)
	}
	visits, _, err := db.FindTasks(ctx, backstop.TaskFilter{StreamID: c.StreamID})
	if err != nil || len(visits) != 3 || visits[0].Kind != backstop.TaskVisit || visits[0].Visit == nil || visits[0].Visit.Campaign != c.ID {
		t.Fatalf("visits %+v %v", visits, err)
	}
	for _, v := range visits {
		var helper, helperPhone string
		db.WriteDB().QueryRow(db.Rebind(`SELECT helper_name, helper_phone FROM households WHERE number = ?`), v.HouseholdNumber).Scan(&helper, &helperPhone)
		want := [2]string{helper, helperPhone}
		if helperPhone == "" {
			want = [2]string{"村干部" + v.VillageCode[9:], "1390000" + v.VillageCode[8:]}
		}
		if [2]string{v.Assignee, v.AssigneePhone} != want {
			t.Fatalf("visit of %s goes to %s %s, want %v", v.HouseholdNumber, v.Assignee, v.AssigneePhone, want)
		}
	}
	errs = twice(func(int) error {
		_, err := db.FinishVisit(ctx, visits[0].ID, backstop.VisitDone, "", 0, "")
		return err
	})
	oneWins(t, "two visits of one task", errs)
	if _, err := db.ConfirmTask(ctx, visits[1].ID, backstop.ReachedPhone, "", ""); backstop.ErrorCode(err) != backstop.EINVALID {
		t.Fatalf("a visit confirmed as a reach: %v", err)
	}
	p, err := db.CampaignProgress(ctx, c.ID, time.Now())
	if err != nil || p.Visits != 3 || p.Done != 1 || len(p.Townships) != 3 {
		t.Fatalf("progress %+v %v", p, err)
	}

	// Two reports by one person at once: one item, the other merged.
	id := "62072319800101777"
	id += string(backstop.IDCheckDigit(id))
	var got [2]*backstop.IntakeItem
	var merged [2]bool
	errs = twice(func(i int) error {
		var err error
		got[i], merged[i], err = db.CreateIntake(ctx, &backstop.IntakeItem{Source: backstop.SourceSelfReport, VillageCode: "620723101201", Name: "王", IDNumber: id, Difficulty: "困难",
			Due: backstop.IntakeDue{Check: "2026-12-08", Answer: "2026-12-15", Approval: "2026-12-29"}}, backstop.IntakeClocks{}, backstop.IntakeLimits{})
		return err
	})
	if errs[0] != nil || errs[1] != nil || merged[0] == merged[1] || got[0].ID != got[1].ID || got[0].Code != got[1].Code {
		t.Fatalf("two reports at once: %v, merged %v, items %+v %+v", errs, merged, got[0], got[1])
	}
	it, err := db.FindIntake(ctx, got[0].ID)
	if err != nil || it.Merged != 1 || it.Matched {
		t.Fatalf("merged item %+v %v", it, err)
	}
	oneWins(t, "two checks", twice(func(int) error { _, err := db.AdvanceIntake(ctx, it.ID, backstop.StepCheck, ""); return err }))
}
