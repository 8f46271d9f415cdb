package httpapi_test

import (
	"bytes"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/cases"
	"github.com/zhangye-backstop/backstop/screening"
)

// The case routes' rows of the authorization matrix, with their fixtures:
// per region a normal case whose application step is done (with its
// consent attachment) and a measure, and a green-channel case of a
// household not monitored nationally (the local_only list's marker).

type caseObjects struct {
	normal, green   int64
	greenHousehold  string
	attachment      string
	measure         int64
	measurePerson   string
	normalHousehold string
}

var (
	casesMu  sync.Mutex
	casesFix = map[*objects]*caseObjects{}
)

// caseHousehold is a new household of the region with an income, its
// members' labour and social assistance as given.
func (m *matrix) caseHousehold(t *testing.T, o *objects, head, labour string, assistance backstop.SocialAssistance, income float64) string {
	t.Helper()
	o.seq++
	number := fmt.Sprintf("%s%04d", o.village, 6000+o.seq)
	safe, dangerous := true, false
	h := &backstop.Household{Number: number, VillageCode: o.village, HeadName: head, Type: "脱贫户", IncomePerCapita: &income, SafeWater: &safe, DangerousHouse: &dangerous,
		SocialAssistance: assistance,
		Members:          []*backstop.Member{{Number: number + "01", Name: head, IDNumber: idNumber(o.village, m.next()), Relation: "户主", Labour: labour}}}
	if err := m.db.CreateHousehold(m.admin, h); err != nil {
		t.Fatalf("household %s: %v", number, err)
	}
	m.householdMarks = append(m.householdMarks, head, number)
	return number
}

// normalCase opens a case on the normal procedure and does its
// application step (with a consent photo); it returns the case and the
// attachment's hash.
func (m *matrix) normalCase(t *testing.T, number string) (*cases.View, string) {
	t.Helper()
	s := m.app.Cases
	v, err := s.Open(m.admin, cases.OpenInput{Household: number, Source: "manual"})
	if err != nil {
		t.Fatalf("case of %s: %v", number, err)
	}
	a, err := s.Attach(m.admin, v.ID, bytes.NewReader(matrixPNG()))
	if err != nil {
		t.Fatal(err)
	}
	if v, err = s.Step(m.admin, v.ID, "application", cases.StepInput{Outcome: "pass", Attachments: []string{a.Hash}}); err != nil {
		t.Fatalf("application of %s: %v", number, err)
	}
	return v, a.Hash
}

// forceCase moves a case to a state (and identification date) by the
// store, as if its procedure had run.
func (m *matrix) forceCase(t *testing.T, id int64, state backstop.CaseState, identified time.Time) {
	t.Helper()
	c, err := m.db.FindCase(m.admin, id)
	if err != nil {
		t.Fatal(err)
	}
	c.State, c.Step, c.IdentifiedOn = state, "", identified.In(backstop.Beijing).Format(time.DateOnly)
	if state == backstop.CaseCleared {
		c.ClearedOn = time.Now().In(backstop.Beijing).Format(time.DateOnly)
	}
	if err := m.db.UpdateCase(m.admin, c, &backstop.CaseChange{Action: "case.update", Detail: "matrix fixture"}); err != nil {
		t.Fatal(err)
	}
}

// eligibleCase is an active case identified seven months ago with a
// measure done, an income above the line and nothing unsafe.
func (m *matrix) eligibleCase(t *testing.T, o *objects) int64 {
	t.Helper()
	number := m.caseHousehold(t, o, "矩阵可消除"+o.village[:6], "普通劳动力", "", 30000)
	v, _ := m.normalCase(t, number)
	m.forceCase(t, v.ID, backstop.CaseActive, time.Now().AddDate(0, -7, 0))
	if _, err := m.app.Cases.AddMeasure(m.admin, v.ID, cases.MeasureInput{Category: "产业帮扶", Item: "养殖业", Status: "done", StartedOn: "2026-01-05", DoneOn: "2026-03-01"}); err != nil {
		t.Fatal(err)
	}
	return v.ID
}

func (m *matrix) cases(t *testing.T, o *objects) *caseObjects {
	t.Helper()
	casesMu.Lock()
	defer casesMu.Unlock()
	if f := casesFix[o]; f != nil {
		return f
	}
	// A line in force this year in the village, for the clearing rows.
	y := time.Now().In(backstop.Beijing).Year()
	from := time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC)
	to := from.AddDate(1, 0, 0)
	if err := m.db.CreatePolicy(m.admin, &backstop.Policy{Key: backstop.PolicyMonitoringLine, Region: o.village, Value: 7800, EffectiveFrom: from, EffectiveTo: &to,
		Source: "test: this year's line"}); err != nil {
		t.Fatal(err)
	}
	f := &caseObjects{measurePerson: "矩阵责任人" + o.village}
	f.normalHousehold = m.caseHousehold(t, o, "矩阵案件"+o.village[:6], "普通劳动力", "", 5000)
	v, hash := m.normalCase(t, f.normalHousehold)
	f.normal, f.attachment = v.ID, hash
	ms, err := m.app.Cases.AddMeasure(m.admin, v.ID, cases.MeasureInput{Category: "健康帮扶", Item: "医疗救助", Department: "medical_insurance", Person: f.measurePerson, Status: "planned"})
	if err != nil {
		t.Fatal(err)
	}
	f.measure = ms.ID
	// The green channel: a verified loss report, then active at once.
	f.greenHousehold = m.caseHousehold(t, o, "矩阵绿色通道"+o.village[:6], "普通劳动力", "", 5000)
	a, err := m.app.Screening.FileLossReport(m.admin, f.greenHousehold, screening.LossInput{HouseDamage: "collapsed", HouseRooms: 2})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.app.Screening.VerifyLossReport(m.admin, a.ID); err != nil {
		t.Fatal(err)
	}
	g, err := m.app.Cases.Open(m.admin, cases.OpenInput{Household: f.greenHousehold, Source: "assessment", GreenChannel: true, RiskTypes: []string{"100A27006"}, DisasterSubItem: "洪涝灾害"})
	if err != nil {
		t.Fatalf("green channel in %s: %v", o.village, err)
	}
	f.green = g.ID
	casesFix[o] = f
	return f
}

func init() {
	type req = func(t *testing.T, m *matrix, c *caller, o *objects, fresh bool) matrixReq
	path := func(p func(f *caseObjects, o *objects) string) req {
		return func(t *testing.T, m *matrix, c *caller, o *objects, fresh bool) matrixReq {
			return matrixReq{path: p(m.cases(t, o), o)}
		}
	}
	list := func(p string, marker func(f *caseObjects, o *objects) string) req {
		return func(t *testing.T, m *matrix, c *caller, o *objects, fresh bool) matrixReq {
			f := m.cases(t, o)
			mk := ""
			if marker != nil {
				mk = marker(f, o)
			}
			return matrixReq{path: p, marker: mk}
		}
	}
	post := func(p func(m *matrix, f *caseObjects, o *objects, t *testing.T, fresh bool) (string, string)) req {
		return func(t *testing.T, m *matrix, c *caller, o *objects, fresh bool) matrixReq {
			path, body := p(m, m.cases(t, o), o, t, fresh)
			return matrixReq{path: path, body: body}
		}
	}
	rows := map[string]matrixRow{
		"POST /api/v1/cases": {req: post(func(m *matrix, f *caseObjects, o *objects, t *testing.T, fresh bool) (string, string) {
			number := f.normalHousehold
			if fresh {
				number = m.caseHousehold(t, o, fmt.Sprintf("矩阵新案件%d", m.next()), "普通劳动力", "", 5000)
			}
			return "/api/v1/cases", toJSON(map[string]any{"household": number, "source": "manual", "green_channel": false})
		})},
		"GET /api/v1/cases":                     {req: list("/api/v1/cases?limit=1000", func(f *caseObjects, o *objects) string { return f.normalHousehold })},
		"GET /api/v1/cases/national-diff":       {req: list("/api/v1/cases/national-diff?kind=local_only&limit=1000", func(f *caseObjects, o *objects) string { return f.greenHousehold })},
		"GET /api/v1/cases/clearing-candidates": {req: list("/api/v1/cases/clearing-candidates", nil)},
		"GET /api/v1/cases/{id}":                {req: path(func(f *caseObjects, o *objects) string { return fmt.Sprintf("/api/v1/cases/%d", f.normal) })},
		"POST /api/v1/cases/{id}/steps/{step}": {req: post(func(m *matrix, f *caseObjects, o *objects, t *testing.T, fresh bool) (string, string) {
			id := f.normal
			if fresh {
				v, _ := m.normalCase(t, m.caseHousehold(t, o, fmt.Sprintf("矩阵入户%d", m.next()), "普通劳动力", "", 5000))
				id = v.ID
			}
			return fmt.Sprintf("/api/v1/cases/%d/steps/home_check", id), `{"outcome":"pass","staff":["王一","李二"]}`
		})},
		"POST /api/v1/cases/{id}/attachments": {req: func(t *testing.T, m *matrix, c *caller, o *objects, fresh bool) matrixReq {
			f := m.cases(t, o)
			return matrixReq{path: fmt.Sprintf("/api/v1/cases/%d/attachments", f.normal), body: string(matrixPNG()), ctype: "image/png"}
		}},
		"GET /api/v1/cases/{id}/attachments/{hash}": {req: path(func(f *caseObjects, o *objects) string {
			return fmt.Sprintf("/api/v1/cases/%d/attachments/%s", f.normal, f.attachment)
		})},
		"POST /api/v1/cases/{id}/measures": {req: post(func(m *matrix, f *caseObjects, o *objects, t *testing.T, fresh bool) (string, string) {
			return fmt.Sprintf("/api/v1/cases/%d/measures", f.normal), `{"category":"就业帮扶","item":"技能培训","department":"human_resources","person":"矩阵","status":"planned"}`
		})},
		"POST /api/v1/cases/{id}/measures/{mid}": {req: post(func(m *matrix, f *caseObjects, o *objects, t *testing.T, fresh bool) (string, string) {
			return fmt.Sprintf("/api/v1/cases/%d/measures/%d", f.normal, f.measure),
				toJSON(map[string]any{"category": "健康帮扶", "item": "医疗救助", "department": "medical_insurance", "person": f.measurePerson, "status": "in_progress", "started_on": "2026-07-01"})
		})},
		"GET /api/v1/measures": {req: list("/api/v1/measures?limit=1000", func(f *caseObjects, o *objects) string { return f.measurePerson })},
		"POST /api/v1/cases/{id}/clearing": {req: post(func(m *matrix, f *caseObjects, o *objects, t *testing.T, fresh bool) (string, string) {
			id := f.normal
			if fresh {
				id = m.eligibleCase(t, o)
			}
			return fmt.Sprintf("/api/v1/cases/%d/clearing", id), `{"way":"help"}`
		})},
		"POST /api/v1/cases/{id}/hold": {req: post(func(m *matrix, f *caseObjects, o *objects, t *testing.T, fresh bool) (string, string) {
			id := f.normal
			if fresh {
				v, _ := m.normalCase(t, m.caseHousehold(t, o, fmt.Sprintf("矩阵兜底%d", m.next()), "无劳动力", backstop.SocialDibao, 3000))
				m.forceCase(t, v.ID, backstop.CaseActive, time.Now().AddDate(0, -7, 0))
				id = v.ID
			}
			return fmt.Sprintf("/api/v1/cases/%d/hold", id), `{"note":"整户无劳动力"}`
		})},
		"POST /api/v1/cases/{id}/revert": {req: post(func(m *matrix, f *caseObjects, o *objects, t *testing.T, fresh bool) (string, string) {
			id := f.normal
			if fresh {
				v, _ := m.normalCase(t, m.caseHousehold(t, o, fmt.Sprintf("矩阵回退%d", m.next()), "普通劳动力", "", 30000))
				m.forceCase(t, v.ID, backstop.CaseCleared, time.Now().AddDate(0, -8, 0))
				id = v.ID
			}
			return fmt.Sprintf("/api/v1/cases/%d/revert", id), `{"note":"消除后发现仍有风险"}`
		})},
		"GET /api/v1/households/{number}/clearing": {req: path(func(f *caseObjects, o *objects) string {
			return "/api/v1/households/" + f.normalHousehold + "/clearing"
		})},
	}
	for k, v := range rows {
		if _, dup := matrixRows[k]; dup {
			panic("matrix row twice: " + k)
		}
		matrixRows[k] = v
	}
}
