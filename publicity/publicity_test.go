package publicity_test

import (
	"context"
	"testing"
	"time"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/publicity"
	"github.com/zhangye-backstop/backstop/storetest"
)

func as(role backstop.Role, region string) context.Context {
	return backstop.NewContextWithUser(context.Background(), &backstop.User{Name: string(role) + "-" + region, Role: role, Region: region})
}

// TestPublicityYear: the calendar proposes the four fixed days to each of
// Zhangye's six counties once (12 May among them); a proposal planned and
// then recorded held in a township counts in the township's coverage; a
// stale change conflicts; a held event needs its audience.
func TestPublicityYear(t *testing.T) {
	for _, e := range storetest.Engines {
		t.Run(e.Name, func(t *testing.T) {
			db := e.Open(t)
			storetest.LoadRegions(t, db)
			svc := &publicity.Service{Store: db, Now: func() time.Time { return time.Date(2026, 6, 1, 9, 0, 0, 0, backstop.Beijing) }}
			city, county := as(backstop.RoleCity, "620700000000"), as(backstop.RoleCounty, "620723000000")
			if n, err := svc.ProposeYear(city, "620700", 2026); err != nil || n != 24 {
				t.Fatalf("calendar: %d %v", n, err)
			}
			if n, err := svc.ProposeYear(city, "620700", 2026); err != nil || n != 0 {
				t.Fatalf("calendar again: %d %v", n, err)
			}
			if _, err := svc.ProposeYear(county, "620700", 2026); backstop.ErrorCode(err) != backstop.EFORBIDDEN {
				t.Errorf("a county proposing for the city: %v", err)
			}
			items, total, err := svc.Events(county, backstop.PublicityFilter{Year: 2026})
			if err != nil || total != 4 {
				t.Fatalf("临泽县's proposals: %d %v", total, err)
			}
			var day *backstop.PublicityEvent
			for _, e := range items {
				if e.Theme == "disaster_day" {
					day = e
				}
			}
			if day == nil || day.Date != "2026-05-12" || day.Title != "全国防灾减灾日" || day.State != backstop.PublicityProposed {
				t.Fatalf("12 May: %+v", day)
			}
			in := publicity.Input{Theme: "disaster_day", Title: "全国防灾减灾日宣传活动", County: "620723", Township: "620723101", Date: "2026-05-12", State: "held", From: "proposed"}
			if _, err := svc.Update(county, day.ID, in); backstop.ErrorCode(err) != backstop.EINVALID {
				t.Errorf("held without audience: %v", err)
			}
			in.Place, in.Organiser, in.Audience, in.Materials = "沙河镇西寨村广场", "临泽县应急管理局", 320, "展板12块，手册500份"
			if _, err := svc.Update(county, day.ID, in); err != nil {
				t.Fatal(err)
			}
			if _, err := svc.Update(county, day.ID, in); backstop.ErrorCode(err) != backstop.ECONFLICT {
				t.Errorf("a stale change: %v", err)
			}
			cov, err := svc.Coverage(county, "", 2026)
			if err != nil || len(cov) == 0 {
				t.Fatal(err)
			}
			held := 0
			for _, c := range cov {
				if c.Township == "620723101000" {
					if c.Held != 1 || c.Audience != 320 {
						t.Errorf("沙河镇: %+v", c)
					}
				}
				held += c.Held
			}
			if held != 1 {
				t.Errorf("%d events held in the county's townships", held)
			}
			if _, err := svc.Create(county, publicity.Input{Theme: "carnival", Title: "x", County: "620723", Township: "620725203", Date: "2026-13-01", State: "won", Audience: -1}); len(backstop.ErrorDetails(err)) != 5 {
				t.Errorf("bad event: %+v", backstop.ErrorDetails(err))
			}
		})
	}
}
