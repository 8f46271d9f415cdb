package officers_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/officers"
	"github.com/zhangye-backstop/backstop/storetest"
)

func as(role backstop.Role, region string) context.Context {
	return backstop.NewContextWithUser(context.Background(), &backstop.User{Name: string(role) + "-" + region, Role: role, Region: region})
}

// TestCoverageAndTraining: a village with no serving officer is a gap
// (an officer who left does not count; a township's officer is noted
// beside the gap); trainings are recorded per level with attendees inside
// their region; an officer without training, or trained before the
// policy's period, is due.
func TestCoverageAndTraining(t *testing.T) {
	for _, e := range storetest.Engines {
		t.Run(e.Name, func(t *testing.T) {
			db := e.Open(t)
			storetest.LoadRegions(t, db)
			today := time.Date(2026, 6, 10, 9, 0, 0, 0, backstop.Beijing)
			svc := &officers.Service{Store: db, Now: func() time.Time { return today }}
			city, linze := as(backstop.RoleCity, "620700000000"), as(backstop.RoleCounty, "620723000000")

			c, err := svc.Coverage(city, "620700")
			if err != nil {
				t.Fatal(err)
			}
			if c.Villages != 3 || c.Covered != 0 || len(c.Gaps) != 3 {
				t.Fatalf("before any officer: %+v", c)
			}
			a, err := svc.Create(linze, officers.Input{Name: "王信息", Phone: "13800001111", Region: "620723101201", Department: "村委会", Since: "2024-03-01"})
			if err != nil {
				t.Fatal(err)
			}
			if a.Phone != "138****1111" || !a.TrainingDue {
				t.Errorf("officer as shown: %+v", a)
			}
			// Left at the end of May: no longer covers 硖口村.
			if _, err := svc.Create(city, officers.Input{Name: "李离岗", Phone: "13800002222", Region: "620725203201", Since: "2020-01-01", Until: "2026-05-31"}); err != nil {
				t.Fatal(err)
			}
			if _, err := svc.Create(city, officers.Input{Name: "赵乡镇", Phone: "13800003333", Region: "620725203", Since: "2025-01-01"}); err != nil {
				t.Fatal(err)
			}
			c, err = svc.Coverage(city, "620700")
			if err != nil {
				t.Fatal(err)
			}
			if c.Villages != 3 || c.Covered != 1 || len(c.Gaps) != 2 || c.Gaps[0].Code != "620722107206" || c.Gaps[1].Code != "620725203201" || c.Gaps[1].TownshipOfficers != 1 || c.Gaps[1].Name != "硖口村" {
				t.Fatalf("coverage: %+v", c)
			}
			// 临泽县 is covered; its officers see nothing of 山丹县.
			if c, err := svc.Coverage(linze, ""); err != nil || c.Villages != 1 || c.Covered != 1 {
				t.Errorf("临泽县: %+v %v", c, err)
			}
			if _, err := svc.Coverage(linze, "620725"); backstop.ErrorCode(err) != backstop.ENOTFOUND {
				t.Errorf("another county's coverage: %v", err)
			}
			if _, err := svc.Create(linze, officers.Input{Name: "越界", Phone: "13800004444", Region: "620725203201", Since: "2024-01-01"}); backstop.ErrorCode(err) != backstop.EFORBIDDEN {
				t.Errorf("an officer outside the county: %v", err)
			}
			_, err = svc.Create(linze, officers.Input{Name: "", Phone: "12345", Region: "620723", Since: "2024-13-01", Until: "2023-01-01"})
			if ds := backstop.ErrorDetails(err); len(ds) != 5 {
				t.Errorf("bad officer: %v %+v", err, ds)
			}
			if _, err := svc.Create(linze, officers.Input{Name: "王信息", Phone: "13800001111", Region: "620723101201", Since: "2025-01-01"}); backstop.ErrorCode(err) != backstop.ECONFLICT {
				t.Errorf("the same serving officer twice: %v", err)
			}
			// An account for the officer must be an info_officer inside the
			// officer's area.
			if err := db.CreateUser(storetest.Admin(), &backstop.User{Name: "xinxiyuan1", Role: backstop.RoleInfoOfficer, Region: "620723101201"}, "correct horse battery"); err != nil {
				t.Fatal(err)
			}
			if err := db.CreateUser(storetest.Admin(), &backstop.User{Name: "cadre1", Role: backstop.RoleVillage, Region: "620723101201"}, "correct horse battery"); err != nil {
				t.Fatal(err)
			}
			in := officers.Input{Name: "王信息", Phone: "13800001111", Region: "620723101201", Department: "村委会", Since: "2024-03-01", User: "cadre1"}
			if _, err := svc.Update(linze, a.ID, in); backstop.ErrorCode(err) != backstop.EINVALID || !strings.Contains(backstop.ErrorMessageZH(err), "不是灾害信息员") {
				t.Errorf("a cadre's account for an officer: %v", err)
			}
			in.User = "xinxiyuan1"
			if got, err := svc.Update(linze, a.ID, in); err != nil || got.User != "xinxiyuan1" {
				t.Fatalf("the officer's account: %v", err)
			}

			// Trainings.
			if _, err := svc.RecordTraining(linze, officers.TrainingInput{Region: "620723", Level: "township", Date: "2026-06-01", Topic: "灾情报送", Hours: 4, Attendees: []int64{a.ID}}); backstop.ErrorCode(err) != backstop.EINVALID {
				t.Errorf("a township training run by a county: %v", err)
			}
			ss, _, _ := svc.Officers(city, backstop.OfficerFilter{Region: "620725"}, false)
			if len(ss) != 1 {
				t.Fatalf("山丹县's serving officers: %d", len(ss))
			}
			if _, err := svc.RecordTraining(city, officers.TrainingInput{Region: "620723", Level: "county", Date: "2026-06-01", Topic: "灾情报送", Hours: 4, Attendees: []int64{a.ID, ss[0].ID}}); backstop.ErrorCode(err) != backstop.EINVALID ||
				!strings.Contains(backstop.ErrorMessageZH(err), "不在本次培训的区划内") {
				t.Errorf("an attendee of another county: %v", err)
			}
			if _, err := svc.RecordTraining(linze, officers.TrainingInput{Region: "620723", Level: "county", Date: "2026-07-01", Topic: "灾情报送", Hours: 4, Attendees: []int64{a.ID}}); backstop.ErrorCode(err) != backstop.EINVALID {
				t.Errorf("a training in the future: %v", err)
			}
			if _, err := svc.RecordTraining(linze, officers.TrainingInput{Region: "620723", Level: "county", Date: "2025-05-01", Topic: "灾害信息员业务培训", Hours: 6, Place: "临泽县应急局", Attendees: []int64{a.ID}}); err != nil {
				t.Fatal(err)
			}
			// Trained 13 months ago: due again (the policy says 12).
			due, n, err := svc.Officers(city, backstop.OfficerFilter{}, true)
			if err != nil || n != 2 || !due[0].TrainingDue || due[0].LastTrained != "2025-05-01" {
				t.Fatalf("due: %d %v %+v", n, err, due)
			}
			if _, err := svc.RecordTraining(city, officers.TrainingInput{Region: "620700", Level: "city", Date: "2026-06-05", Topic: "全市灾害信息员培训", Hours: 8, Attendees: []int64{a.ID, ss[0].ID}}); err != nil {
				t.Fatal(err)
			}
			if _, n, _ := svc.Officers(city, backstop.OfficerFilter{}, true); n != 0 {
				t.Errorf("%d officers due after the city's training", n)
			}
			recs, err := svc.Records(linze, a.ID)
			if err != nil || len(recs) != 2 || recs[0].Level != backstop.TrainingCity || recs[1].Hours != 6 {
				t.Errorf("records: %v %+v", err, recs)
			}
			if ts, err := svc.Trainings(linze, "", 2026); err != nil || len(ts) != 0 {
				t.Errorf("a county sees the city's session: %v %d", err, len(ts))
			}
			if ts, err := svc.Trainings(city, "", 2026); err != nil || len(ts) != 1 || len(ts[0].Attendees) != 2 {
				t.Errorf("the city's sessions of 2026: %v %+v", err, ts)
			}
		})
	}
}
