package httpapi_test

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"sync"
	"testing"
	"time"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/screening"
)

// The screening routes' rows of the authorization matrix, with their
// fixtures: per region an event, a campaign with its visits, a loss
// report (an at-risk household) with a photo, and an intake item, made
// on first use.

type screeningObjects struct {
	event                     int64
	eventTitle, campaignTitle string
	campaign, visit, report   int64
	photo, intakeCode         string
	intake                    int64
}

var (
	screeningMu  sync.Mutex
	screeningFix = map[*objects]*screeningObjects{}
	limitsRaised = map[*matrix]bool{}
)

func matrixPNG() []byte {
	var b bytes.Buffer
	png.Encode(&b, image.NewGray(image.Rect(0, 0, 2, 2)))
	return b.Bytes()
}

// screening makes (once) the region's screening fixtures.
func (m *matrix) screening(t *testing.T, o *objects) *screeningObjects {
	t.Helper()
	screeningMu.Lock()
	defer screeningMu.Unlock()
	if !limitsRaised[m] {
		// Every public call of the matrix comes from one address.
		p := &backstop.Policy{Key: backstop.PolicyIntakePerAddress, Region: backstop.NationalScope, Value: 10000, EffectiveFrom: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC),
			Source: "test: the matrix calls from one address"}
		if err := m.db.CreatePolicy(m.admin, p); err != nil {
			t.Fatal(err)
		}
		limitsRaised[m] = true
	}
	if f := screeningFix[o]; f != nil {
		return f
	}
	s := m.app.Screening
	f := &screeningObjects{eventTitle: "矩阵洪涝" + o.village, campaignTitle: "矩阵排查" + o.village}
	e, err := s.CreateEvent(m.admin, screening.EventInput{Hazard: "flood", Title: f.eventTitle, StartedAt: time.Now().Add(-time.Hour), Regions: []string{o.village}})
	if err != nil {
		t.Fatalf("event of %s: %v", o.village, err)
	}
	f.event = e.ID
	c, err := s.CreateCampaign(m.admin, screening.CampaignInput{Kind: "post_disaster", EventID: e.ID, Title: f.campaignTitle})
	if err != nil || c.Visits == 0 {
		t.Fatalf("campaign of %s: %+v %v", o.village, c, err)
	}
	f.campaign = c.ID
	ts, _, err := m.db.FindTasks(m.admin, backstop.TaskFilter{StreamID: c.StreamID, Limit: 1})
	if err != nil || len(ts) == 0 {
		t.Fatalf("visits of %s: %v", o.village, err)
	}
	f.visit = ts[0].ID
	a, err := s.FileLossReport(m.admin, o.household, screening.LossInput{EventID: e.ID, HouseDamage: "collapsed", HouseRooms: 2})
	if err != nil || !a.Assessment.AtRisk {
		t.Fatalf("loss report of %s: %v", o.household, err)
	}
	f.report = a.ID
	p, err := s.AddPhoto(m.admin, a.ID, bytes.NewReader(matrixPNG()))
	if err != nil {
		t.Fatal(err)
	}
	f.photo = p.Hash
	f.intake, f.intakeCode = m.freshIntake(t, o)
	screeningFix[o] = f
	return f
}

// freshIntake is a new referral of the region's village.
func (m *matrix) freshIntake(t *testing.T, o *objects) (int64, string) {
	t.Helper()
	it, _, err := m.app.Screening.Refer(m.admin, screening.Referral{Department: "civil_affairs", Village: o.village, Name: "矩阵线索人", IDNumber: idNumber(o.county, 500+m.next()), Reason: "矩阵推送"})
	if err != nil {
		t.Fatalf("referral in %s: %v", o.village, err)
	}
	return it.ID, it.Code
}

// freshReport is a current, unverified loss report of a new household.
func (m *matrix) freshReport(t *testing.T, o *objects) int64 {
	t.Helper()
	number := m.freshHousehold(t, o, "矩阵灾损"+o.village[:6])
	a, err := m.app.Screening.FileLossReport(m.admin, number, screening.LossInput{HouseDamage: "severe", HouseRooms: 1})
	if err != nil {
		t.Fatalf("loss report of %s: %v", number, err)
	}
	return a.ID
}

func init() {
	type req = func(t *testing.T, m *matrix, c *caller, o *objects, fresh bool) matrixReq
	path := func(p func(f *screeningObjects, o *objects) string) req {
		return func(t *testing.T, m *matrix, c *caller, o *objects, fresh bool) matrixReq {
			return matrixReq{path: p(m.screening(t, o), o)}
		}
	}
	list := func(p string, marker func(f *screeningObjects, o *objects) string) req {
		return func(t *testing.T, m *matrix, c *caller, o *objects, fresh bool) matrixReq {
			f := m.screening(t, o)
			return matrixReq{path: p, marker: marker(f, o)}
		}
	}
	post := func(p func(m *matrix, f *screeningObjects, o *objects, t *testing.T, fresh bool) (string, string)) req {
		return func(t *testing.T, m *matrix, c *caller, o *objects, fresh bool) matrixReq {
			path, body := p(m, m.screening(t, o), o, t, fresh)
			return matrixReq{path: path, body: body}
		}
	}
	rows := map[string]matrixRow{
		"POST /api/v1/events": {req: post(func(m *matrix, f *screeningObjects, o *objects, t *testing.T, fresh bool) (string, string) {
			return "/api/v1/events", toJSON(map[string]any{"hazard": "flood", "title": fmt.Sprintf("矩阵新过程%d", m.next()), "started_at": time.Now().Add(-time.Hour), "regions": []string{o.village}})
		})},
		"GET /api/v1/events":      {req: list("/api/v1/events?limit=1000", func(f *screeningObjects, o *objects) string { return f.eventTitle })},
		"GET /api/v1/events/{id}": {req: path(func(f *screeningObjects, o *objects) string { return fmt.Sprintf("/api/v1/events/%d", f.event) })},
		"POST /api/v1/events/{id}/state": {req: post(func(m *matrix, f *screeningObjects, o *objects, t *testing.T, fresh bool) (string, string) {
			id := f.event
			if fresh {
				e, err := m.app.Screening.CreateEvent(m.admin, screening.EventInput{Hazard: "flood", StartedAt: time.Now().Add(-time.Hour), Regions: []string{o.village}})
				if err != nil {
					t.Fatal(err)
				}
				id = e.ID
			}
			return fmt.Sprintf("/api/v1/events/%d/state", id), `{"state":"stabilised"}`
		})},
		"PUT /api/v1/events/{id}/figures": {req: post(func(m *matrix, f *screeningObjects, o *objects, t *testing.T, fresh bool) (string, string) {
			return fmt.Sprintf("/api/v1/events/%d/figures", f.event), toJSON(map[string]any{"region": o.village, "deaths": 0, "relocated": 3})
		})},
		"POST /api/v1/events/{id}/reports": {req: post(func(m *matrix, f *screeningObjects, o *objects, t *testing.T, fresh bool) (string, string) {
			return fmt.Sprintf("/api/v1/events/%d/reports", f.event), `{"kind":"followup","note":"矩阵续报"}`
		})},
		"GET /api/v1/events/{id}/statistics": {req: path(func(f *screeningObjects, o *objects) string {
			return fmt.Sprintf("/api/v1/events/%d/statistics", f.event)
		})},
		"GET /api/v1/events/{id}/statistics/export": {req: path(func(f *screeningObjects, o *objects) string {
			return fmt.Sprintf("/api/v1/events/%d/statistics/export?format=xlsx", f.event)
		})},
		"GET /api/v1/events/{id}/ledger": {req: path(func(f *screeningObjects, o *objects) string { return fmt.Sprintf("/api/v1/events/%d/ledger", f.event) })},
		"POST /api/v1/campaigns": {req: post(func(m *matrix, f *screeningObjects, o *objects, t *testing.T, fresh bool) (string, string) {
			return "/api/v1/campaigns", toJSON(map[string]any{"kind": "pre_season", "region": o.village, "due_workdays": 5})
		})},
		"GET /api/v1/campaigns":      {req: list("/api/v1/campaigns?limit=1000", func(f *screeningObjects, o *objects) string { return f.campaignTitle })},
		"GET /api/v1/campaigns/{id}": {req: path(func(f *screeningObjects, o *objects) string { return fmt.Sprintf("/api/v1/campaigns/%d", f.campaign) })},
		"GET /api/v1/campaigns/{id}/visits": {req: path(func(f *screeningObjects, o *objects) string {
			return fmt.Sprintf("/api/v1/campaigns/%d/visits", f.campaign)
		})},
		"POST /api/v1/visits/{id}": {req: post(func(m *matrix, f *screeningObjects, o *objects, t *testing.T, fresh bool) (string, string) {
			return fmt.Sprintf("/api/v1/visits/%d", f.visit), `{"outcome":"not_home","note":"矩阵"}`
		})},
		"POST /api/v1/households/{number}/loss-reports": {req: post(func(m *matrix, f *screeningObjects, o *objects, t *testing.T, fresh bool) (string, string) {
			return "/api/v1/households/" + o.household + "/loss-reports", `{"house_damage":"collapsed","house_rooms":2}`
		})},
		"GET /api/v1/households/{number}/loss-reports": {req: path(func(f *screeningObjects, o *objects) string {
			return "/api/v1/households/" + o.household + "/loss-reports"
		})},
		"GET /api/v1/loss-reports/{id}": {req: path(func(f *screeningObjects, o *objects) string { return fmt.Sprintf("/api/v1/loss-reports/%d", f.report) })},
		"POST /api/v1/loss-reports/{id}/corrections": {req: post(func(m *matrix, f *screeningObjects, o *objects, t *testing.T, fresh bool) (string, string) {
			id := f.report
			if fresh {
				id = m.freshReport(t, o)
			}
			return fmt.Sprintf("/api/v1/loss-reports/%d/corrections", id), `{"house_damage":"moderate","house_rooms":1}`
		})},
		"POST /api/v1/loss-reports/{id}/verify": {req: post(func(m *matrix, f *screeningObjects, o *objects, t *testing.T, fresh bool) (string, string) {
			id := f.report
			if fresh {
				id = m.freshReport(t, o)
			}
			return fmt.Sprintf("/api/v1/loss-reports/%d/verify", id), ""
		})},
		"POST /api/v1/loss-reports/{id}/photos": {req: func(t *testing.T, m *matrix, c *caller, o *objects, fresh bool) matrixReq {
			f := m.screening(t, o)
			return matrixReq{path: fmt.Sprintf("/api/v1/loss-reports/%d/photos", f.report), body: string(matrixPNG()), ctype: "image/png"}
		}},
		"GET /api/v1/loss-reports/{id}/photos/{hash}": {req: path(func(f *screeningObjects, o *objects) string {
			return fmt.Sprintf("/api/v1/loss-reports/%d/photos/%s", f.report, f.photo)
		})},
		"GET /api/v1/households/{number}/assessment": {req: path(func(f *screeningObjects, o *objects) string {
			return "/api/v1/households/" + o.household + "/assessment"
		})},
		"GET /api/v1/households/{number}/assessment/reevaluation": {req: path(func(f *screeningObjects, o *objects) string {
			return "/api/v1/households/" + o.household + "/assessment/reevaluation"
		})},
		"GET /api/v1/assessments": {req: list("/api/v1/assessments?limit=1000", func(f *screeningObjects, o *objects) string { return o.household })},
		"GET /api/v1/at-risk":     {req: list("/api/v1/at-risk?limit=1000", func(f *screeningObjects, o *objects) string { return o.household })},
		"POST /api/v1/self-reports": {req: post(func(m *matrix, f *screeningObjects, o *objects, t *testing.T, fresh bool) (string, string) {
			n := m.next()
			return "/api/v1/self-reports", toJSON(map[string]any{"village": o.village, "name": "矩阵报贫人", "phone": fmt.Sprintf("139%08d", n), "id_number": idNumber(o.county, 700+n),
				"difficulty": "矩阵困难", "consent": true})
		})},
		"GET /api/v1/self-reports/{code}": {req: path(func(f *screeningObjects, o *objects) string { return "/api/v1/self-reports/" + f.intakeCode })},
		"POST /api/v1/referrals": {req: post(func(m *matrix, f *screeningObjects, o *objects, t *testing.T, fresh bool) (string, string) {
			return "/api/v1/referrals", toJSON(map[string]any{"department": "education", "village": o.village, "name": "矩阵学生", "id_number": idNumber(o.county, 900+m.next()), "reason": "矩阵失学"})
		})},
		"GET /api/v1/intake": {req: list("/api/v1/intake?limit=1000", func(f *screeningObjects, o *objects) string { return f.intakeCode })},
		"POST /api/v1/intake/{id}/steps": {req: post(func(m *matrix, f *screeningObjects, o *objects, t *testing.T, fresh bool) (string, string) {
			id := f.intake
			if fresh {
				id, _ = m.freshIntake(t, o)
			}
			return fmt.Sprintf("/api/v1/intake/%d/steps", id), `{"step":"check"}`
		})},
	}
	for k, v := range rows {
		if _, dup := matrixRows[k]; dup {
			panic("matrix row twice: " + k)
		}
		matrixRows[k] = v
	}
}
