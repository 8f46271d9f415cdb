package httpapi_test

import (
	"strings"
	"testing"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/server"
	"github.com/zhangye-backstop/backstop/storetest"
)

// TestListFiltersRefuseUnknownValues: through the real root handler, a
// filter value the list does not know, or a date that is not one, is a
// 400 naming the parameter and what it takes — not the unfiltered list.
func TestListFiltersRefuseUnknownValues(t *testing.T) {
	db := storetest.OpenSQLite(t)
	storetest.LoadRegions(t, db)
	f := serve(t, db, server.Config{CAPSender: "backstop.test", CAPRegion: "620700"})
	dept := f.token(t, "weather", backstop.RoleDepartment, "620700")
	admin := f.token(t, "root", backstop.RoleAdmin, backstop.NationalScope)
	for _, body := range []string{
		`{"hazard":"暴雨","level":"红","headline":"临泽县暴雨红色预警","areas":[{"desc":"临泽县","regions":["620723"]}]}`,
		`{"hazard":"大风","level":"蓝","headline":"甘州区大风蓝色预警","areas":[{"desc":"甘州区","regions":["620702"]}]}`,
	} {
		if resp, b := f.do(t, "POST", "/api/v1/warnings", dept, strings.NewReader(body), "application/json"); resp.StatusCode != 201 {
			t.Fatalf("warning: %d %s", resp.StatusCode, b)
		}
	}
	for _, c := range []struct{ path, token, names string }{
		{"/api/v1/warnings?level=purple", dept, "level red, orange, yellow, blue, none purple"},
		{"/api/v1/warnings?since=garbage", dept, "since state, hazard, level"},
		{"/api/v1/warnings?from=garbage", dept, "from YYYY-MM-DD garbage"},
		{"/api/v1/warnings?state=open", dept, "state active, updated, cancelled, expired"},
		{"/api/v1/warnings?hazard=tsunami", dept, "hazard rainstorm"},
		{"/api/v1/users?role=superuser", admin, "role admin, city"},
		{"/api/v1/clocks?state=late", admin, "state running, overdue"},
		{"/api/v1/quarantine?state=new", admin, "state open, accepted, dismissed"},
		{"/api/v1/households?region=abc", admin, "region abc"},
		{"/api/v1/audit?since=yesterday", admin, "since actor"},
	} {
		resp, b := f.do(t, "GET", c.path, c.token, nil, "")
		if resp.StatusCode != 400 {
			t.Errorf("%s: %d %.300s", c.path, resp.StatusCode, b)
			continue
		}
		for _, want := range strings.Fields(strings.ReplaceAll(c.names, ",", "")) {
			if !strings.Contains(string(b), want) {
				t.Errorf("%s: the answer does not name %q: %s", c.path, want, b)
			}
		}
	}
	// Known values still filter.
	resp, b := f.do(t, "GET", "/api/v1/warnings?level=red&from=2020-01-01&sort=level", dept, nil, "")
	if resp.StatusCode != 200 || !strings.Contains(string(b), `"total":1`) || !strings.Contains(string(b), "临泽县暴雨红色预警") {
		t.Errorf("level=red: %d %.300s", resp.StatusCode, b)
	}
}
