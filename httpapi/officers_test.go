package httpapi_test

import (
	"strings"
	"testing"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/storetest"
)

// TestOfficerCoverageAPI: GET /api/v1/officers/coverage?region= answers
// {"villages","covered","gaps":[…]}; a village without a serving officer
// is listed as a gap, and stops being one when an officer is added.
func TestOfficerCoverageAPI(t *testing.T) {
	f := newFixture(t, storetest.OpenSQLite)
	city := f.token(t, "city1", backstop.RoleCity, "620700000000")
	type coverage struct {
		Villages, Covered int
		Gaps              []struct{ Code, Name string }
	}
	resp, body := f.do(t, "GET", "/api/v1/officers/coverage?region=620723", city, nil, "")
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"villages":1`) || !strings.Contains(string(body), `"covered":0`) {
		t.Fatalf("coverage: %d %s", resp.StatusCode, body)
	}
	if c := decode[coverage](t, body); len(c.Gaps) != 1 || c.Gaps[0].Code != "620723101201" || c.Gaps[0].Name != "西寨村" {
		t.Fatalf("gaps: %+v", c)
	}
	resp, body = f.do(t, "POST", "/api/v1/officers", city, strings.NewReader(`{"name":"王信息","phone":"13800001111","region":"620723101201","since":"2024-01-01"}`), "application/json")
	if resp.StatusCode != 201 || strings.Contains(string(body), "13800001111") {
		t.Fatalf("officer: %d %s", resp.StatusCode, body)
	}
	_, body = f.do(t, "GET", "/api/v1/officers/coverage?region=620723", city, nil, "")
	if c := decode[coverage](t, body); c.Covered != 1 || len(c.Gaps) != 0 {
		t.Errorf("after the officer: %+v", c)
	}
	if resp, _ := f.do(t, "GET", "/api/v1/officers/coverage?region=62x", city, nil, ""); resp.StatusCode != 400 {
		t.Errorf("a bad region: %d", resp.StatusCode)
	}
}
