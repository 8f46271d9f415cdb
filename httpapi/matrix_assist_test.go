package httpapi_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/assist"
	"github.com/zhangye-backstop/backstop/screening"
)

// The assistance routes' rows of the authorization matrix, with their
// fixtures: per region a county housing subsidy table and a household
// whose collapsed house is verified and confirmed its only dwelling (so
// that a payment of one yuan succeeds many times), a relief grant, a water
// repair and a supply point, made on first use.

type assistObjects struct {
	household string
	repair    int64
	pointName string
	referral  int64
}

var (
	assistMu  sync.Mutex
	assistFix = map[*objects]*assistObjects{}
)

func (m *matrix) assist(t *testing.T, o *objects) *assistObjects {
	t.Helper()
	assistMu.Lock()
	defer assistMu.Unlock()
	if f := assistFix[o]; f != nil {
		return f
	}
	p := &backstop.Policy{Key: backstop.PolicyHousingSubsidy, Region: o.county, EffectiveFrom: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), Source: "矩阵测试",
		Data: []byte(`{"per_room":{"collapsed":50000,"severe":8000,"moderate":2000},"household_cap":{"collapsed":90000,"severe":20000,"moderate":5000},"uplift_pct":{"formerly_poor":10,"monitored":15}}`)}
	if err := m.db.CreatePolicy(m.admin, p); err != nil {
		t.Fatalf("subsidy table of %s: %v", o.county, err)
	}
	f := &assistObjects{household: m.freshHousehold(t, o, "矩阵补助"+o.village[:6]), pointName: "矩阵供水点" + o.village}
	a, err := m.app.Screening.FileLossReport(m.admin, f.household, screening.LossInput{HouseDamage: "collapsed", HouseRooms: 2})
	if err != nil {
		t.Fatalf("loss report of %s: %v", f.household, err)
	}
	if _, err := m.app.Screening.VerifyLossReport(m.admin, a.ID); err != nil {
		t.Fatalf("verify: %v", err)
	}
	yes := true
	if _, err := m.app.Assist.ConfirmOnlyDwelling(m.admin, f.household, assist.OnlyDwellingInput{OnlyDwelling: &yes}); err != nil {
		t.Fatalf("only dwelling: %v", err)
	}
	if _, err := m.app.Assist.GrantRelief(m.admin, f.household, assist.ReliefInput{Kind: "temporary", Amount: 500}); err != nil {
		t.Fatalf("relief: %v", err)
	}
	f.repair = m.freshRepair(t, f.household)
	if _, err := m.app.Assist.AddSupplyPoint(m.admin, assist.SupplyPointInput{Village: o.village, Name: f.pointName, Location: backstop.Point{Lon: 100.1, Lat: 39.1}, Households: 10}); err != nil {
		t.Fatalf("supply point: %v", err)
	}
	// A measure the emergency department owns: the matrix's department
	// caller is a member of an emergency organisation and reads its queue.
	if _, err := m.app.Assist.Adopt(m.admin, m.cases(t, o).green, assist.AdoptInput{Measures: []assist.Choice{{Category: "社会帮扶", Item: "社会捐助", Department: "emergency", Person: "矩阵应急" + o.village}}}); err != nil {
		t.Fatalf("emergency measure: %v", err)
	}
	assistFix[o] = f
	f.referral = m.freshReferral(t, o)
	return f
}

// freshReferral is a new 低保/特困 referral measure of the region's green
// channel case.
func (m *matrix) freshReferral(t *testing.T, o *objects) int64 {
	t.Helper()
	ms, err := m.app.Assist.Adopt(m.admin, m.cases(t, o).green, assist.AdoptInput{Measures: []assist.Choice{{Rule: "no_labour_dibao", Person: "矩阵民政" + o.village}}})
	if err != nil {
		t.Fatalf("referral: %v", err)
	}
	return ms[0].ID
}

func (m *matrix) freshRepair(t *testing.T, household string) int64 {
	t.Helper()
	r, err := m.app.Assist.OpenRepair(m.admin, household, assist.RepairInput{Problem: "矩阵管道", Assignee: "矩阵帮扶人"})
	if err != nil {
		t.Fatalf("repair: %v", err)
	}
	return r.ID
}

func init() {
	type req = func(t *testing.T, m *matrix, c *caller, o *objects, fresh bool) matrixReq
	get := func(p func(f *assistObjects, o *objects) string) req {
		return func(t *testing.T, m *matrix, c *caller, o *objects, fresh bool) matrixReq {
			return matrixReq{path: p(m.assist(t, o), o)}
		}
	}
	list := func(p string, marker func(f *assistObjects, o *objects) string) req {
		return func(t *testing.T, m *matrix, c *caller, o *objects, fresh bool) matrixReq {
			f := m.assist(t, o)
			return matrixReq{path: p, marker: marker(f, o)}
		}
	}
	post := func(p func(m *matrix, f *assistObjects, o *objects, t *testing.T, fresh bool) (string, string)) req {
		return func(t *testing.T, m *matrix, c *caller, o *objects, fresh bool) matrixReq {
			path, body := p(m, m.assist(t, o), o, t, fresh)
			return matrixReq{path: path, body: body}
		}
	}
	household := func(suffix, body string) req {
		return post(func(m *matrix, f *assistObjects, o *objects, t *testing.T, fresh bool) (string, string) {
			return "/api/v1/households/" + f.household + suffix, body
		})
	}
	rows := map[string]matrixRow{
		"GET /api/v1/households/{number}/housing-subsidy": {req: get(func(f *assistObjects, o *objects) string {
			return "/api/v1/households/" + f.household + "/housing-subsidy"
		})},
		"POST /api/v1/households/{number}/housing-subsidy/only-dwelling": {req: household("/housing-subsidy/only-dwelling", `{"only_dwelling":true,"note":"矩阵"}`)},
		"POST /api/v1/households/{number}/housing-subsidy/disbursements": {req: household("/housing-subsidy/disbursements", `{"amount":1,"paid_by":"矩阵财政"}`)},
		"POST /api/v1/households/{number}/relief":                        {req: household("/relief", `{"kind":"temporary","amount":10}`)},
		"GET /api/v1/households/{number}/relief": {req: get(func(f *assistObjects, o *objects) string {
			return "/api/v1/households/" + f.household + "/relief"
		})},
		"GET /api/v1/relief":                              {req: list("/api/v1/relief?limit=1000", func(f *assistObjects, o *objects) string { return f.household })},
		"POST /api/v1/households/{number}/water/tests":    {req: household("/water/tests", `{"lab":"矩阵疾控","pass":true}`)},
		"POST /api/v1/households/{number}/water/rechecks": {req: household("/water/rechecks", `{"water":{"litres_per_person_day":40,"quality_ok":true,"trip_minutes":5,"outage_days":1}}`)},
		"POST /api/v1/households/{number}/water/repairs":  {req: household("/water/repairs", `{"problem":"矩阵","assignee":"矩阵帮扶人"}`)},
		"GET /api/v1/households/{number}/water": {req: get(func(f *assistObjects, o *objects) string {
			return "/api/v1/households/" + f.household + "/water"
		})},
		"POST /api/v1/water/repairs/{id}/done": {req: post(func(m *matrix, f *assistObjects, o *objects, t *testing.T, fresh bool) (string, string) {
			id := f.repair
			if fresh {
				id = m.freshRepair(t, f.household)
			}
			return fmt.Sprintf("/api/v1/water/repairs/%d/done", id), `{"version":1}`
		})},
		"GET /api/v1/water/repairs": {req: list("/api/v1/water/repairs?limit=1000", func(f *assistObjects, o *objects) string { return f.household })},
		"POST /api/v1/water/supply-points": {req: post(func(m *matrix, f *assistObjects, o *objects, t *testing.T, fresh bool) (string, string) {
			return "/api/v1/water/supply-points", toJSON(map[string]any{"village": o.village, "name": fmt.Sprintf("矩阵新点%d", m.next()), "location": map[string]float64{"lon": 100.1, "lat": 39.1}, "households_served": 3})
		})},
		"GET /api/v1/water/supply-points": {req: list("/api/v1/water/supply-points?limit=1000", func(f *assistObjects, o *objects) string { return f.pointName })},
		"GET /api/v1/cases/{id}/plan": {req: func(t *testing.T, m *matrix, c *caller, o *objects, fresh bool) matrixReq {
			return matrixReq{path: fmt.Sprintf("/api/v1/cases/%d/plan", m.cases(t, o).green)}
		}},
		"POST /api/v1/cases/{id}/plan": {req: func(t *testing.T, m *matrix, c *caller, o *objects, fresh bool) matrixReq {
			return matrixReq{path: fmt.Sprintf("/api/v1/cases/%d/plan", m.cases(t, o).green), body: `{"measures":[{"rule":"housing","person":"矩阵住建"}]}`}
		}},
		"POST /api/v1/measures/{id}/referral-answer": {req: post(func(m *matrix, f *assistObjects, o *objects, t *testing.T, fresh bool) (string, string) {
			id := f.referral
			if fresh {
				id = m.freshReferral(t, o)
			}
			return fmt.Sprintf("/api/v1/measures/%d/referral-answer", id), `{"answer":"approved","note":"矩阵答复"}`
		})},
		"GET /api/v1/measures/queue": {req: list("/api/v1/measures/queue?department=emergency&limit=1000", func(f *assistObjects, o *objects) string { return "矩阵应急" + o.village })},
		"GET /api/v1/cases/{id}/problems": {req: func(t *testing.T, m *matrix, c *caller, o *objects, fresh bool) matrixReq {
			return matrixReq{path: fmt.Sprintf("/api/v1/cases/%d/problems", m.cases(t, o).green)}
		}},
		"GET /api/v1/cases/problems": {req: get(func(f *assistObjects, o *objects) string { return "/api/v1/cases/problems?limit=10" })},
		"POST /api/v1/policies/dry-run": {req: func(t *testing.T, m *matrix, c *caller, o *objects, fresh bool) matrixReq {
			return matrixReq{path: "/api/v1/policies/dry-run", body: `{"key":"monitoring_line","region":"620000","value":4000,"unit":"yuan/person/year","effective_from":"2031-01-01","source":"矩阵试算"}`}
		}},
	}
	for k, v := range rows {
		if _, dup := matrixRows[k]; dup {
			panic("matrix row twice: " + k)
		}
		matrixRows[k] = v
	}
}
