package httpapi_test

import (
	"strings"
	"sync"
	"testing"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/storetest"
)

// TestProjectApprovedTwiceAtOnce: two county officers approve the same
// project into the library at once over the API: one 200, one 409, and
// the history holds one approval.
func TestProjectApprovedTwiceAtOnce(t *testing.T) {
	for _, e := range storetest.Engines {
		t.Run(e.Name, func(t *testing.T) {
			f := newFixture(t, e.Open)
			village := f.token(t, "village1", backstop.RoleVillage, "620723101201")
			town := f.token(t, "town1", backstop.RoleTownship, "620723101000")
			a, b := f.token(t, "county1", backstop.RoleCounty, "620723000000"), f.token(t, "county2", backstop.RoleCounty, "620723000000")
			resp, body := f.do(t, "POST", "/api/v1/projects", village, strings.NewReader(`{"name":"西寨村道路水毁修复","type":"infrastructure_repair","village":"620723101201","fast_track":true,"event":"2026年7月暴雨"}`), "application/json")
			if resp.StatusCode != 201 {
				t.Fatalf("propose: %d %s", resp.StatusCode, body)
			}
			id := itoa(decode[backstop.Project](t, body).ID)
			if resp, body := f.do(t, "POST", "/api/v1/projects/"+id+"/decision", town, strings.NewReader(`{"step":"township_review","outcome":"passed"}`), "application/json"); resp.StatusCode != 200 {
				t.Fatalf("review: %d %s", resp.StatusCode, body)
			}
			codes := make([]int, 2)
			var wg sync.WaitGroup
			for i, tok := range []string{a, b} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					resp, _ := f.do(t, "POST", "/api/v1/projects/"+id+"/decision", tok, strings.NewReader(`{"step":"county_approval","outcome":"passed"}`), "application/json")
					codes[i] = resp.StatusCode
				}()
			}
			wg.Wait()
			if codes[0]+codes[1] != 200+409 {
				t.Fatalf("two approvals at once: %v", codes)
			}
			_, body = f.do(t, "GET", "/api/v1/projects/"+id, a, nil, "")
			p := decode[backstop.Project](t, body)
			if p.State != backstop.ProjectApproved || len(p.History) != 3 {
				t.Errorf("after both: %s, %d actions", p.State, len(p.History))
			}
		})
	}
}
