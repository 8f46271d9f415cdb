package alerting_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/alerting"
	"github.com/zhangye-backstop/backstop/storetest"
)

// TestWarningScope: issuing, updating and cancelling a warning need every
// area of it inside the user's region, on both engines. Areas given by
// region codes cover those regions; drawn areas the villages of the
// households they reach. A county (or a county's department) cannot issue
// for another county, nor update or cancel the city's warning, whose duty
// groups then hear nothing.
func TestWarningScope(t *testing.T) {
	for _, e := range storetest.Engines {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			testWarningScope(t, newRig(t, e.Open, 2000))
		})
	}
}

func testWarningScope(t *testing.T, r *rig) {
	var mu sync.Mutex
	var told []int64 // warnings whose supersession duty groups heard of
	r.alerts.Superseded = func(ctx context.Context, old int64, w *backstop.Warning) {
		mu.Lock()
		told = append(told, old)
		mu.Unlock()
	}
	as := func(name string, role backstop.Role, region string) context.Context {
		return storetest.UserContext(t, r.db, name, role, region)
	}
	city := as("zy_duty", backstop.RoleCity, "620700")
	linze := as("lz_duty", backstop.RoleCounty, "620723")
	ganzhou := as("gz_duty", backstop.RoleCounty, "620702")
	linzeWeather := as("lz_qx", backstop.RoleDepartment, "620723")
	count := func() int {
		_, n, err := r.db.FindWarnings(r.ctx, backstop.WarningFilter{})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	forbidden := func(what string, err error) {
		t.Helper()
		if backstop.ErrorCode(err) != backstop.EFORBIDDEN || backstop.ErrorMessageZH(err) == backstop.ErrorMessage(err) {
			t.Errorf("%s: %v, want forbidden with a Chinese reason", what, err)
		}
	}
	regions := func(codes ...string) []alerting.InputArea { return []alerting.InputArea{{Regions: codes}} }

	// Issuing: inside the region only.
	before := count()
	_, err := r.alerts.IngestInput(linze, &alerting.Input{Hazard: "暴雨", Level: "红", Areas: regions("620702")}, "json")
	forbidden("a county issuing for another county", err)
	_, err = r.alerts.IngestInput(linzeWeather, &alerting.Input{Hazard: "暴雨", Level: "红", Areas: regions("620723101", "620702")}, "json")
	forbidden("a county's department issuing over two counties", err)
	if n := count(); n != before {
		t.Errorf("refused warnings were stored: %d → %d", before, n)
	}
	own, err := r.alerts.IngestInput(linze, &alerting.Input{Hazard: "暴雨", Level: "红", Areas: regions("620723101")}, "json")
	if err != nil || own.Region != "620723101000" {
		t.Fatalf("a county's own warning: %v, region %q", err, own.Region)
	}
	cityWide, err := r.alerts.IngestInput(city, &alerting.Input{Hazard: "暴雨", Level: "橙", Areas: []alerting.InputArea{{Regions: []string{"620723"}}, {Regions: []string{"620702"}}}}, "json")
	if err != nil || cityWide.Region != "620700000000" {
		t.Fatalf("the city's warning: %v, region %q", err, cityWide.Region)
	}

	// Updating and cancelling the city's warning: not for a county, nor
	// for a county's department.
	time.Sleep(1100 * time.Millisecond) // identifiers carry seconds
	for _, c := range []struct {
		name string
		ctx  context.Context
		in   alerting.Input
	}{
		{"a county updating the city's warning", linze, alerting.Input{MsgType: "Update", Supersedes: cityWide.ID, Hazard: "暴雨", Level: "红", Areas: regions("620723")}},
		{"a county cancelling the city's warning", linze, alerting.Input{MsgType: "Cancel", Supersedes: cityWide.ID, Hazard: "暴雨", Level: "红", Areas: regions("620723")}},
		{"a county's department cancelling the city's warning", linzeWeather, alerting.Input{MsgType: "Cancel", Supersedes: cityWide.ID, Hazard: "暴雨", Level: "红", Areas: regions("620723")}},
		{"another county cancelling a county's warning", ganzhou, alerting.Input{MsgType: "Cancel", Supersedes: own.ID, Hazard: "暴雨", Level: "红", Areas: regions("620702")}},
	} {
		_, err := r.alerts.IngestInput(c.ctx, &c.in, "json")
		forbidden(c.name, err)
	}
	// The same through CAP: a Cancel naming the city's alert, areas inside
	// the county.
	refs := cityWide.Sender + "," + cityWide.Identifier + "," + cityWide.Sent.In(backstop.Beijing).Format("2006-01-02T15:04:05-07:00")
	cancel := countyCAP("Cancel", refs, "620723000000")
	_, err = r.alerts.IngestCAP(linze, []byte(cancel), "cap")
	forbidden("a county's CAP Cancel of the city's alert", err)
	if got, _ := r.db.FindWarning(r.ctx, cityWide.ID); got.State != backstop.StateActive {
		t.Errorf("the city's warning is %s after refused updates", got.State)
	}
	mu.Lock()
	if len(told) != 0 {
		t.Errorf("duty groups heard of supersessions that were refused: %v", told)
	}
	mu.Unlock()

	// A CAP alert naming a code that is not held here is somewhere else.
	beijing := countyCAP("Alert", "", "110101000000")
	_, err = r.alerts.IngestCAP(linze, []byte(beijing), "cap")
	forbidden("a county's alert for a code held nowhere here", err)

	// The city updates its own warning; the county cancels its own.
	up, err := r.alerts.IngestInput(city, &alerting.Input{MsgType: "Update", Supersedes: cityWide.ID, Hazard: "暴雨", Level: "红", Areas: regions("620723", "620702")}, "json")
	if err != nil || up.Supersedes != cityWide.ID {
		t.Fatalf("the city's update: %v", err)
	}
	end, err := r.alerts.IngestInput(linze, &alerting.Input{MsgType: "Cancel", Supersedes: own.ID, Hazard: "暴雨", Level: "红", Areas: regions("620723101")}, "json")
	if err != nil || end.Region != "620723101000" {
		t.Fatalf("the county's cancel: %v", err)
	}
	mu.Lock()
	if len(told) != 2 {
		t.Errorf("duty groups heard of %v, want the city's update and the county's cancel", told)
	}
	mu.Unlock()

	// Drawn areas cover the villages of the households they reach.
	ganzhouHousehold := householdIn(t, r, "620702")
	square := func(p backstop.Point) alerting.InputArea {
		d := 0.002
		return alerting.InputArea{Polygon: []byte(fmt.Sprintf(`[[%f,%f],[%f,%f],[%f,%f],[%f,%f]]`, p.Lon-d, p.Lat-d, p.Lon+d, p.Lat-d, p.Lon+d, p.Lat+d, p.Lon-d, p.Lat+d))}
	}
	_, err = r.alerts.IngestInput(linze, &alerting.Input{Hazard: "大风", Level: "红", Areas: []alerting.InputArea{square(*ganzhouHousehold.Location)}}, "json")
	forbidden("a county's polygon over another county's households", err)
	drawn, err := r.alerts.IngestInput(ganzhou, &alerting.Input{Hazard: "大风", Level: "红", Areas: []alerting.InputArea{square(*ganzhouHousehold.Location)}}, "json")
	if err != nil || !backstop.CodeWithin(ganzhouHousehold.VillageCode, drawn.Region) || !backstop.CodeWithin(drawn.Region, "620702000000") {
		t.Fatalf("the county's own polygon: %v, region %q (household in %s)", err, drawn.Region, ganzhouHousehold.VillageCode)
	}
	linzeHousehold := householdIn(t, r, "620723")
	circle, err := r.alerts.IngestInput(linze, &alerting.Input{Hazard: "大风", Level: "红", Areas: []alerting.InputArea{{Circle: &struct {
		Lon      float64 `json:"lon"`
		Lat      float64 `json:"lat"`
		RadiusKM float64 `json:"radius_km"`
	}{linzeHousehold.Location.Lon, linzeHousehold.Location.Lat, 0.2}}}}, "json")
	if err != nil || !backstop.CodeWithin(circle.Region, "620723000000") {
		t.Fatalf("the county's circle: %v, region %q", err, circle.Region)
	}
	// A drawn area over no household of the registry covers nothing: the
	// warning is its issuer's region's.
	empty, err := r.alerts.IngestInput(linze, &alerting.Input{Hazard: "大风", Level: "红", Areas: []alerting.InputArea{square(backstop.Point{Lon: 97.0, Lat: 42.5})}}, "json")
	if err != nil || empty.Region != "620723000000" {
		t.Fatalf("a polygon over nobody: %v, region %q", err, empty.Region)
	}
	// Reading stays open: warnings are public to the signed-in.
	if _, err := r.alerts.Warning(ganzhou, own.ID); err != nil {
		t.Errorf("another county reading a county's warning: %v", err)
	}
}

func householdIn(t *testing.T, r *rig, region string) *backstop.Household {
	t.Helper()
	hs, _, err := r.db.FindHouseholds(r.ctx, backstop.HouseholdFilter{Region: region, Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range hs {
		if h.Location != nil {
			return h
		}
	}
	t.Fatalf("no demo household with a location in %s", region)
	return nil
}

// countyCAP is an alert of 临泽县's observatory for a CPEAS code, with
// references when given.
func countyCAP(msgType, refs, code string) string {
	now := time.Now().In(backstop.Beijing)
	if refs != "" {
		refs = "<references>" + refs + "</references>"
	}
	return fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>lz-%s-%s</identifier>
  <sender>linze_observatory</sender>
  <sent>%s</sent>
  <status>Actual</status>
  <msgType>%s</msgType>
  <scope>Public</scope>%s
  <info><language>zh-CN</language><category>Met</category><event>暴雨</event><urgency>Expected</urgency><severity>Severe</severity><certainty>Likely</certainty>
    <headline>暴雨预警</headline>
    <area><areaDesc>某地</areaDesc><geocode><valueName>CPEAS Geographic Code</valueName><value>%s</value></geocode></area>
  </info>
</alert>`, now.Format("20060102150405"), code, now.Format("2006-01-02T15:04:05-07:00"), msgType, refs, code)
}
