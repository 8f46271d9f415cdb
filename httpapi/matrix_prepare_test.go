package httpapi_test

import (
	"bytes"
	"context"
	"fmt"
	"mime/multipart"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/assets"
	"github.com/zhangye-backstop/backstop/insurance"
	"github.com/zhangye-backstop/backstop/officers"
	"github.com/zhangye-backstop/backstop/plans"
	"github.com/zhangye-backstop/backstop/projects"
	"github.com/zhangye-backstop/backstop/publicity"
	"github.com/zhangye-backstop/backstop/sharing"
)

// The authorization matrix rows of preparedness (issue 13): plans,
// organisations, subscriptions and pushes. Each region's objects are made
// on first use: a county's plan (a draft with its document) and a
// department plan; an organisation of the county; a subscription of the
// region; a push into it. The matrix's department caller (of the city)
// belongs to the city's emergency bureau, whose subscriptions and pushes
// in 临泽县 and 甘州区 are its own; 肃州区's belong to 酒泉's bureau.

// prepObjects are one region's preparedness fixtures.
type prepObjects struct {
	plan, deptPlan, org, sub int64
	deptTitle, orgName       string
	subURL, pushKey          string
	years, kinds, keys       int
	officer                  int64
	officerName, topic       string
	phones                   int
	project                  int64
	projectName              string
	product, policy, claim   int64
	productCode, policyNo    string
	claimEvent               string
	insurance                int
	asset, damage            int64
	assetName, damageEvent   string
	event                    int64
	eventTitle               string
}

// prepMatrix are one matrix's (one engine's) fixtures.
type prepMatrix struct {
	city, jiuquan int64 // organisations of the city and of 酒泉
	jiuquanUser   context.Context
	cityDept      context.Context
	regions       map[*objects]*prepObjects
}

var (
	prepMu  sync.Mutex
	prepAll = map[*matrix]*prepMatrix{}
)

var prepSections = map[string]string{"risk_analysis": "矩阵", "key_groups": "矩阵", "warning_release": "矩阵", "response": "矩阵", "relief_stock": "矩阵", "responsible": "矩阵"}

func (m *matrix) prep(t *testing.T, o *objects) *prepObjects {
	t.Helper()
	prepMu.Lock()
	defer prepMu.Unlock()
	pm := prepAll[m]
	if pm == nil {
		pm = &prepMatrix{regions: map[*objects]*prepObjects{}}
		org, err := m.app.Sharing.CreateOrganisation(m.admin, sharing.OrganisationInput{Kind: "emergency", Name: "矩阵市应急管理局", Region: "620700", Contact: "矩阵市负责人", Members: []string{"m-department"}})
		if err != nil {
			t.Fatal(err)
		}
		pm.city = org.ID
		u := &backstop.User{Name: "m-prep-jiuquan", Role: backstop.RoleDepartment, Region: "620900000000"}
		if err := m.db.CreateUser(m.admin, u, "correct horse battery"); err != nil {
			t.Fatal(err)
		}
		org, err = m.app.Sharing.CreateOrganisation(m.admin, sharing.OrganisationInput{Kind: "emergency", Name: "矩阵酒泉应急管理局", Region: "620900", Contact: "矩阵酒泉负责人", Members: []string{u.Name}})
		if err != nil {
			t.Fatal(err)
		}
		pm.jiuquan, pm.jiuquanUser = org.ID, backstop.NewContextWithUser(context.Background(), u)
		for _, c := range m.callers {
			if c.name == "department" {
				pm.cityDept = backstop.NewContextWithUser(context.Background(), c.user)
			}
		}
		prepAll[m] = pm
	}
	if p := pm.regions[o]; p != nil {
		return p
	}
	p := &prepObjects{years: 2031}
	plan, err := m.app.Plans.Open(m.admin, o.county, 2030)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.app.Plans.SaveDraft(m.admin, plan.ID, plans.Draft{Title: "矩阵预案" + o.county, Sections: prepSections}); err != nil {
		t.Fatal(err)
	}
	pdf := filepath.Join(t.TempDir(), "plan.pdf")
	os.WriteFile(pdf, []byte("%PDF-1.4\n%%EOF\n"), 0o600)
	if _, err := m.app.Plans.AttachDocument(m.admin, plan.ID, pdf, "矩阵预案.pdf"); err != nil {
		t.Fatal(err)
	}
	p.plan = plan.ID
	p.deptTitle = "矩阵专项预案" + o.county
	dp, err := m.app.Plans.AddDepartmentPlan(m.admin, plans.DepartmentPlanInput{Region: o.county, Year: 2030, Department: "water", Title: p.deptTitle})
	if err != nil {
		t.Fatal(err)
	}
	p.deptPlan = dp.ID
	pdf2 := filepath.Join(t.TempDir(), "dept.pdf")
	os.WriteFile(pdf2, []byte("%PDF-1.4\n%%EOF\n"), 0o600)
	if _, err := m.app.Plans.AttachDepartmentDocument(m.admin, dp.ID, pdf2, "专项预案.pdf"); err != nil {
		t.Fatal(err)
	}
	p.orgName = "矩阵应急管理局" + o.county
	org, err := m.app.Sharing.CreateOrganisation(m.admin, sharing.OrganisationInput{Kind: "emergency", Name: p.orgName, Region: o.county, Contact: "矩阵负责人"})
	if err != nil {
		t.Fatal(err)
	}
	p.org = org.ID
	owner, pusher := pm.city, pm.cityDept
	if o == m.outCity {
		owner, pusher = pm.jiuquan, pm.jiuquanUser
	}
	p.subURL = "https://hooks.example.org/matrix/" + o.county
	sub, err := m.app.Sharing.Subscribe(m.admin, sharing.SubscriptionInput{URL: p.subURL, Secret: "matrix-secret-0123456789", Events: []string{backstop.EventCaseOpened}, Region: o.county, Organisation: owner})
	if err != nil {
		t.Fatal(err)
	}
	p.sub = sub.ID
	p.pushKey = "matrix-push-" + o.village
	if _, err := m.app.Sharing.Push(pusher, sharing.PushInput{Key: p.pushKey, Kind: "losses", Region: o.village, Data: []byte(`{"households":2}`)}); err != nil {
		t.Fatal(err)
	}
	p.officerName = "矩阵信息员" + o.village
	off, err := m.app.Officers.Create(m.admin, officers.Input{Name: p.officerName, Phone: "1390000" + o.village[2:6], Region: o.village, Since: "2024-01-01"})
	if err != nil {
		t.Fatal(err)
	}
	p.officer = off.ID
	p.topic = "矩阵培训" + o.county
	if _, err := m.app.Officers.RecordTraining(m.admin, officers.TrainingInput{Region: o.county, Level: "county", Date: "2025-03-01", Topic: p.topic, Hours: 2, Attendees: []int64{off.ID}}); err != nil {
		t.Fatal(err)
	}
	p.projectName = "矩阵项目" + o.village
	pr, err := m.app.Projects.Propose(m.admin, projects.Proposal{Name: p.projectName, Type: "industry", Village: o.village})
	if err != nil {
		t.Fatal(err)
	}
	p.project = pr.ID
	p.productCode = "M-" + o.county[:6] + "-HOUSE"
	prod, err := m.app.Insurance.CreateProduct(m.admin, insurance.ProductInput{Code: p.productCode, Name: "矩阵农房保险", Kind: "house", Insurer: "矩阵保险", Region: o.county,
		Cover: 10000, Premium: 20, Payer: "government", Perils: []string{"flood"}})
	if err != nil {
		t.Fatal(err)
	}
	p.product = prod.ID
	p.policyNo = "MP-" + o.village
	ps, err := m.app.Insurance.AddPolicies(m.admin, []insurance.PolicyInput{{ProductID: prod.ID, Number: p.policyNo, Household: o.household, From: "2025-01-01", To: "2030-12-31", Cover: 10000}})
	if err != nil {
		t.Fatal(err)
	}
	p.policy = ps[0].ID
	p.claimEvent = "矩阵灾情" + o.village
	cl, err := m.app.Insurance.FileClaim(m.admin, insurance.ClaimInput{PolicyID: p.policy, Event: p.claimEvent, FiledOn: "2025-06-01", Claimed: 500})
	if err != nil {
		t.Fatal(err)
	}
	p.claim = cl.ID
	p.assetName, p.damageEvent = "矩阵资产"+o.village, "矩阵损毁"+o.village
	a, err := m.app.Assets.Register(m.admin, assets.Input{Name: p.assetName, Class: "public_welfare", Owner: "矩阵村集体", Village: o.village, Value: 1000})
	if err != nil {
		t.Fatal(err)
	}
	p.asset = a.ID
	d, err := m.app.Assets.RecordDamage(m.admin, a.ID, assets.DamageInput{Event: p.damageEvent, Date: "2025-06-01", Loss: 100, Description: "矩阵"})
	if err != nil {
		t.Fatal(err)
	}
	p.damage = d.ID
	p.eventTitle = "矩阵宣传" + o.village
	ev, err := m.app.Publicity.Create(m.admin, publicity.Input{Theme: "disaster_day", Title: p.eventTitle, County: o.county, Township: o.village[:9], Date: "2025-05-12", State: "planned"})
	if err != nil {
		t.Fatal(err)
	}
	p.event = ev.ID
	pm.regions[o] = p
	return p
}

// freshDamage records a damage of the region's asset, proposed (by the
// CLI admin) when asked.
func (m *matrix) freshDamage(t *testing.T, o *objects, proposed bool) int64 {
	t.Helper()
	p := m.prep(t, o)
	d, err := m.app.Assets.RecordDamage(m.admin, p.asset, assets.DamageInput{Event: "矩阵新损毁", Date: "2025-06-02", Loss: 1, Description: "矩阵"})
	if err != nil {
		t.Fatal(err)
	}
	if proposed {
		if _, err := m.app.Assets.Propose(m.admin, d.ID, assets.Proposal{Decision: "restore", Note: "矩阵"}); err != nil {
			t.Fatal(err)
		}
	}
	return d.ID
}

// nextInsurance counts fresh insurance objects of a region.
func (p *prepObjects) nextInsurance() int {
	prepMu.Lock()
	defer prepMu.Unlock()
	p.insurance++
	return p.insurance
}

// freshProject proposes a project of the region and moves it to step
// ("" for approved into the library).
func (m *matrix) freshProject(t *testing.T, o *objects, step string) int64 {
	t.Helper()
	m.prep(t, o)
	p, err := m.app.Projects.Propose(m.admin, projects.Proposal{Name: "矩阵新项目", Type: "industry", Village: o.village})
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range []string{"township_review", "county_approval"} {
		if st == step {
			break
		}
		if _, err := m.app.Projects.Decide(m.admin, p.ID, projects.Decision{Step: st, Outcome: "passed"}); err != nil {
			t.Fatal(err)
		}
	}
	return p.ID
}

// freshPlan opens a plan of the region for a year of its own, drafted in
// full, and submitted when asked.
func (m *matrix) freshPlan(t *testing.T, o *objects, submitted bool) int64 {
	t.Helper()
	p := m.prep(t, o)
	prepMu.Lock()
	p.years++
	year := p.years
	prepMu.Unlock()
	plan, err := m.app.Plans.Open(m.admin, o.county, year)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.app.Plans.SaveDraft(m.admin, plan.ID, plans.Draft{Title: "矩阵预案", Sections: prepSections}); err != nil {
		t.Fatal(err)
	}
	if submitted {
		if _, err := m.app.Plans.Submit(m.admin, plan.ID); err != nil {
			t.Fatal(err)
		}
	}
	return plan.ID
}

func init() {
	county := func(o *objects) string { return o.county }
	type reqFunc = func(t *testing.T, m *matrix, c *caller, o *objects, fresh bool) matrixReq
	path := func(f func(p *prepObjects, o *objects) string) reqFunc {
		return func(t *testing.T, m *matrix, c *caller, o *objects, fresh bool) matrixReq {
			return matrixReq{path: f(m.prep(t, o), o)}
		}
	}
	listed := func(p string, marker func(p *prepObjects, o *objects) string) reqFunc {
		return func(t *testing.T, m *matrix, c *caller, o *objects, fresh bool) matrixReq {
			return matrixReq{path: p, marker: marker(m.prep(t, o), o)}
		}
	}
	planMove := func(action, body string, submitted bool) reqFunc {
		return func(t *testing.T, m *matrix, c *caller, o *objects, fresh bool) matrixReq {
			id := m.prep(t, o).plan
			if fresh {
				id = m.freshPlan(t, o, submitted)
			}
			return matrixReq{path: fmt.Sprintf("/api/v1/plans/%d/%s", id, action), body: body}
		}
	}
	rows := map[string]matrixRow{
		"GET /api/v1/plans/readiness": {region: county, req: listed("/api/v1/plans/readiness?year=2030", func(p *prepObjects, o *objects) string { return `"code":"` + o.county + `"` })},
		"GET /api/v1/plans/checklist": {req: path(func(*prepObjects, *objects) string { return "/api/v1/plans/checklist" })},
		"GET /api/v1/plans":           {region: county, req: listed("/api/v1/plans?year=2030", func(p *prepObjects, o *objects) string { return `"county":"` + o.county + `"` })},
		"POST /api/v1/plans": {region: county, req: func(t *testing.T, m *matrix, c *caller, o *objects, fresh bool) matrixReq {
			m.prep(t, o)
			return matrixReq{path: "/api/v1/plans", body: toJSON(map[string]any{"county": o.county, "year": 2030})}
		}},
		"GET /api/v1/plans/{id}":          {region: county, req: path(func(p *prepObjects, o *objects) string { return fmt.Sprintf("/api/v1/plans/%d", p.plan) })},
		"GET /api/v1/plans/{id}/versions": {region: county, req: path(func(p *prepObjects, o *objects) string { return fmt.Sprintf("/api/v1/plans/%d/versions", p.plan) })},
		"GET /api/v1/plans/{id}/document": {region: county, req: path(func(p *prepObjects, o *objects) string { return fmt.Sprintf("/api/v1/plans/%d/document", p.plan) })},
		"PUT /api/v1/plans/{id}": {region: county, req: func(t *testing.T, m *matrix, c *caller, o *objects, fresh bool) matrixReq {
			return matrixReq{path: fmt.Sprintf("/api/v1/plans/%d", m.prep(t, o).plan), body: toJSON(plans.Draft{Title: "矩阵预案" + o.county, Sections: prepSections})}
		}},
		"POST /api/v1/plans/{id}/document": {region: county, req: func(t *testing.T, m *matrix, c *caller, o *objects, fresh bool) matrixReq {
			var buf bytes.Buffer
			mw := multipart.NewWriter(&buf)
			fw, _ := mw.CreateFormFile("file", "矩阵预案.pdf")
			fw.Write([]byte("%PDF-1.4\n%%EOF\n"))
			mw.Close()
			return matrixReq{path: fmt.Sprintf("/api/v1/plans/%d/document", m.prep(t, o).plan), body: buf.String(), ctype: mw.FormDataContentType()}
		}},
		"POST /api/v1/plans/{id}/submit":  {region: county, req: planMove("submit", "", false)},
		"POST /api/v1/plans/{id}/approve": {region: county, req: planMove("approve", "", true)},
		"POST /api/v1/plans/{id}/return":  {region: county, req: planMove("return", `{"note":"矩阵：请补充"}`, true)},
		"GET /api/v1/department-plans":    {region: county, req: listed("/api/v1/department-plans", func(p *prepObjects, o *objects) string { return p.deptTitle })},
		"GET /api/v1/department-plans/{id}/document": {region: county, req: path(func(p *prepObjects, o *objects) string {
			return fmt.Sprintf("/api/v1/department-plans/%d/document", p.deptPlan)
		})},
		"POST /api/v1/department-plans/{id}/document": {region: county, req: func(t *testing.T, m *matrix, c *caller, o *objects, fresh bool) matrixReq {
			var buf bytes.Buffer
			mw := multipart.NewWriter(&buf)
			fw, _ := mw.CreateFormFile("file", "专项预案.pdf")
			fw.Write([]byte("%PDF-1.4\n%%EOF\n"))
			mw.Close()
			return matrixReq{path: fmt.Sprintf("/api/v1/department-plans/%d/document", m.prep(t, o).deptPlan), body: buf.String(), ctype: mw.FormDataContentType()}
		}},
		"POST /api/v1/department-plans": {region: county, req: func(t *testing.T, m *matrix, c *caller, o *objects, fresh bool) matrixReq {
			m.prep(t, o)
			return matrixReq{path: "/api/v1/department-plans", body: toJSON(plans.DepartmentPlanInput{Region: o.county, Year: 2030, Department: "housing", Title: "矩阵住建专项预案"})}
		}},

		"GET /api/v1/organisations": {region: county, req: listed("/api/v1/organisations", func(p *prepObjects, o *objects) string { return p.orgName })},
		"POST /api/v1/organisations": {region: county, req: func(t *testing.T, m *matrix, c *caller, o *objects, fresh bool) matrixReq {
			p := m.prep(t, o)
			kinds := []string{"civil_affairs", "finance", "natural_resources", "housing", "water", "meteorology", "rural_revitalisation"}
			prepMu.Lock()
			kind := kinds[p.kinds%len(kinds)]
			if fresh {
				p.kinds++
			}
			prepMu.Unlock()
			return matrixReq{path: "/api/v1/organisations", body: toJSON(map[string]string{"kind": kind, "region": o.county, "contact": "矩阵负责人"})}
		}},
		"PUT /api/v1/organisations/{id}/members": {region: county, req: func(t *testing.T, m *matrix, c *caller, o *objects, fresh bool) matrixReq {
			return matrixReq{path: fmt.Sprintf("/api/v1/organisations/%d/members", m.prep(t, o).org), body: `{"members":[]}`}
		}},
		"GET /api/v1/subscriptions": {region: county, req: listed("/api/v1/subscriptions", func(p *prepObjects, o *objects) string { return p.subURL })},
		"POST /api/v1/subscriptions": {region: county, req: func(t *testing.T, m *matrix, c *caller, o *objects, fresh bool) matrixReq {
			p := m.prep(t, o)
			in := sharing.SubscriptionInput{URL: "https://hooks.example.org/matrix-new", Secret: "matrix-secret-0123456789", Events: []string{backstop.EventWarningIngested}, Region: o.county}
			if c.user == nil || c.user.Role != backstop.RoleDepartment {
				in.Organisation = p.org
			}
			return matrixReq{path: "/api/v1/subscriptions", body: toJSON(in)}
		}},
		"GET /api/v1/subscriptions/{id}": {region: county, req: path(func(p *prepObjects, o *objects) string { return fmt.Sprintf("/api/v1/subscriptions/%d", p.sub) })},
		"GET /api/v1/subscriptions/{id}/deliveries": {region: county, req: path(func(p *prepObjects, o *objects) string {
			return fmt.Sprintf("/api/v1/subscriptions/%d/deliveries", p.sub)
		})},
		"PUT /api/v1/subscriptions/{id}/state": {region: county, req: func(t *testing.T, m *matrix, c *caller, o *objects, fresh bool) matrixReq {
			return matrixReq{path: fmt.Sprintf("/api/v1/subscriptions/%d/state", m.prep(t, o).sub), body: `{"active":true}`}
		}},
		"POST /api/v1/pushes": {req: func(t *testing.T, m *matrix, c *caller, o *objects, fresh bool) matrixReq {
			p := m.prep(t, o)
			prepMu.Lock()
			p.keys++
			key := fmt.Sprintf("matrix-new-%s-%d", o.village, p.keys)
			prepMu.Unlock()
			return matrixReq{path: "/api/v1/pushes", body: toJSON(map[string]any{"key": key, "kind": "losses", "region": o.village, "data": map[string]int{"households": 1}})}
		}},
		"GET /api/v1/pushes": {req: listed("/api/v1/pushes", func(p *prepObjects, o *objects) string { return p.pushKey })},
	}
	village := func(o *objects) string { return o.village }
	township := func(o *objects) string { return o.village[:9] + "000" }
	for k, v := range map[string]matrixRow{
		"GET /api/v1/officers": {req: listed("/api/v1/officers", func(p *prepObjects, o *objects) string { return p.officerName })},
		"POST /api/v1/officers": {req: func(t *testing.T, m *matrix, c *caller, o *objects, fresh bool) matrixReq {
			p := m.prep(t, o)
			prepMu.Lock()
			p.phones++
			phone := fmt.Sprintf("137%04d%04d", p.phones, 7000+len(o.village))
			prepMu.Unlock()
			return matrixReq{path: "/api/v1/officers", body: toJSON(officers.Input{Name: "矩阵新信息员", Phone: phone, Region: o.village, Since: "2025-01-01"})}
		}},
		"GET /api/v1/officers/coverage": {region: county, req: path(func(p *prepObjects, o *objects) string { return "/api/v1/officers/coverage?region=" + o.county })},
		"GET /api/v1/officers/{id}":     {region: village, req: path(func(p *prepObjects, o *objects) string { return fmt.Sprintf("/api/v1/officers/%d", p.officer) })},
		"GET /api/v1/officers/{id}/trainings": {region: village, req: path(func(p *prepObjects, o *objects) string {
			return fmt.Sprintf("/api/v1/officers/%d/trainings", p.officer)
		})},
		"PUT /api/v1/officers/{id}": {region: village, req: func(t *testing.T, m *matrix, c *caller, o *objects, fresh bool) matrixReq {
			p := m.prep(t, o)
			return matrixReq{path: fmt.Sprintf("/api/v1/officers/%d", p.officer), body: toJSON(officers.Input{Name: p.officerName, Phone: "1390000" + o.village[2:6], Region: o.village, Since: "2024-01-01", Department: "矩阵"})}
		}},
		"GET /api/v1/trainings": {region: county, req: listed("/api/v1/trainings", func(p *prepObjects, o *objects) string { return p.topic })},
		"POST /api/v1/trainings": {region: county, req: func(t *testing.T, m *matrix, c *caller, o *objects, fresh bool) matrixReq {
			p := m.prep(t, o)
			return matrixReq{path: "/api/v1/trainings", body: toJSON(officers.TrainingInput{Region: o.county, Level: "county", Date: "2025-04-01", Topic: "矩阵新培训", Hours: 1, Attendees: []int64{p.officer}})}
		}},
		"GET /api/v1/projects":       {req: listed("/api/v1/projects", func(p *prepObjects, o *objects) string { return p.projectName })},
		"GET /api/v1/projects/lists": {req: path(func(*prepObjects, *objects) string { return "/api/v1/projects/lists" })},
		"POST /api/v1/projects": {req: func(t *testing.T, m *matrix, c *caller, o *objects, fresh bool) matrixReq {
			m.prep(t, o)
			return matrixReq{path: "/api/v1/projects", body: toJSON(projects.Proposal{Name: "矩阵申报", Type: "employment", Village: o.village})}
		}},
		"GET /api/v1/projects/{id}": {req: path(func(p *prepObjects, o *objects) string { return fmt.Sprintf("/api/v1/projects/%d", p.project) })},
		"POST /api/v1/projects/{id}/decision": {req: func(t *testing.T, m *matrix, c *caller, o *objects, fresh bool) matrixReq {
			id, step := m.prep(t, o).project, "township_review"
			if fresh {
				if c.user.Role != backstop.RoleTownship {
					step = "county_approval"
				}
				id = m.freshProject(t, o, step)
			}
			return matrixReq{path: fmt.Sprintf("/api/v1/projects/%d/decision", id), body: toJSON(projects.Decision{Step: step, Outcome: "passed"})}
		}},
		"PUT /api/v1/projects/{id}/funds": {req: func(t *testing.T, m *matrix, c *caller, o *objects, fresh bool) matrixReq {
			return matrixReq{path: fmt.Sprintf("/api/v1/projects/%d/funds", m.prep(t, o).project), body: `{"funds":[{"source":"linkage_subsidy","planned":1000,"allocated":500,"spent":100}]}`}
		}},
		"PUT /api/v1/projects/{id}/beneficiaries": {req: func(t *testing.T, m *matrix, c *caller, o *objects, fresh bool) matrixReq {
			return matrixReq{path: fmt.Sprintf("/api/v1/projects/%d/beneficiaries", m.prep(t, o).project), body: toJSON(map[string][]string{"households": {o.household}})}
		}},
		"POST /api/v1/projects/{id}/progress": {req: func(t *testing.T, m *matrix, c *caller, o *objects, fresh bool) matrixReq {
			id := m.prep(t, o).project
			if fresh {
				id = m.freshProject(t, o, "")
			}
			return matrixReq{path: fmt.Sprintf("/api/v1/projects/%d/progress", id), body: `{"from":"not_started","to":"underway"}`}
		}},
		"GET /api/v1/insurance/products": {req: path(func(*prepObjects, *objects) string { return "/api/v1/insurance/products" })},
		"POST /api/v1/insurance/products": {region: county, req: func(t *testing.T, m *matrix, c *caller, o *objects, fresh bool) matrixReq {
			p := m.prep(t, o)
			return matrixReq{path: "/api/v1/insurance/products", body: toJSON(insurance.ProductInput{Code: fmt.Sprintf("M-NEW-%s-%d", o.county[:6], p.nextInsurance()), Name: "矩阵新产品", Kind: "agriculture",
				Insurer: "矩阵保险", Region: o.county, Cover: 1000, Premium: 10, Payer: "household", Perils: []string{"hail"}})}
		}},
		"GET /api/v1/insurance/policies": {req: listed("/api/v1/insurance/policies", func(p *prepObjects, o *objects) string { return p.policyNo })},
		"POST /api/v1/insurance/policies": {req: func(t *testing.T, m *matrix, c *caller, o *objects, fresh bool) matrixReq {
			p := m.prep(t, o)
			in := insurance.PolicyInput{ProductID: p.product, Number: fmt.Sprintf("MP-NEW-%s-%d", o.village, p.nextInsurance()), Household: o.household, From: "2025-01-01", To: "2025-12-31", Cover: 1}
			return matrixReq{path: "/api/v1/insurance/policies", body: toJSON(map[string]any{"policies": []insurance.PolicyInput{in}})}
		}},
		"POST /api/v1/insurance/policies/import": {req: func(t *testing.T, m *matrix, c *caller, o *objects, fresh bool) matrixReq {
			p := m.prep(t, o)
			csv := fmt.Sprintf("保单号,产品代码,户编号,起保日期,终保日期,保额\nMP-IMP-%s-%d,%s,%s,2025-01-01,2025-12-31,100\n", o.village, p.nextInsurance(), p.productCode, o.household)
			return matrixReq{path: "/api/v1/insurance/policies/import?filename=matrix.csv", body: csv, ctype: "text/csv"}
		}},
		"GET /api/v1/insurance/claims": {req: listed("/api/v1/insurance/claims", func(p *prepObjects, o *objects) string { return p.claimEvent })},
		"POST /api/v1/insurance/claims": {req: func(t *testing.T, m *matrix, c *caller, o *objects, fresh bool) matrixReq {
			return matrixReq{path: "/api/v1/insurance/claims", body: toJSON(insurance.ClaimInput{PolicyID: m.prep(t, o).policy, FiledOn: "2025-07-01", Claimed: 100})}
		}},
		"POST /api/v1/insurance/claims/{id}/settle": {req: func(t *testing.T, m *matrix, c *caller, o *objects, fresh bool) matrixReq {
			p := m.prep(t, o)
			id := p.claim
			if fresh {
				cl, err := m.app.Insurance.FileClaim(m.admin, insurance.ClaimInput{PolicyID: p.policy, FiledOn: "2025-07-01", Claimed: 100})
				if err != nil {
					t.Fatal(err)
				}
				id = cl.ID
			}
			return matrixReq{path: fmt.Sprintf("/api/v1/insurance/claims/%d/settle", id), body: `{"state":"paid","payout":80,"paid_on":"2025-07-10"}`}
		}},
		"GET /api/v1/insurance/gaps": {region: county, req: path(func(p *prepObjects, o *objects) string { return "/api/v1/insurance/gaps?region=" + o.county })},
		"GET /api/v1/assets":         {req: listed("/api/v1/assets", func(p *prepObjects, o *objects) string { return p.assetName })},
		"POST /api/v1/assets": {req: func(t *testing.T, m *matrix, c *caller, o *objects, fresh bool) matrixReq {
			m.prep(t, o)
			return matrixReq{path: "/api/v1/assets", body: toJSON(assets.Input{Name: "矩阵新资产", Class: "operating", Owner: "矩阵", Village: o.village, Value: 1})}
		}},
		"GET /api/v1/assets/{id}": {req: path(func(p *prepObjects, o *objects) string { return fmt.Sprintf("/api/v1/assets/%d", p.asset) })},
		"POST /api/v1/assets/{id}/damages": {req: func(t *testing.T, m *matrix, c *caller, o *objects, fresh bool) matrixReq {
			return matrixReq{path: fmt.Sprintf("/api/v1/assets/%d/damages", m.prep(t, o).asset), body: toJSON(assets.DamageInput{Event: "矩阵", Date: "2025-06-03", Loss: 1, Description: "矩阵"})}
		}},
		"GET /api/v1/asset-damages": {req: listed("/api/v1/asset-damages", func(p *prepObjects, o *objects) string { return p.damageEvent })},
		"POST /api/v1/asset-damages/{id}/proposal": {req: func(t *testing.T, m *matrix, c *caller, o *objects, fresh bool) matrixReq {
			id := m.prep(t, o).damage
			if fresh {
				id = m.freshDamage(t, o, false)
			}
			return matrixReq{path: fmt.Sprintf("/api/v1/asset-damages/%d/proposal", id), body: `{"decision":"repurpose","note":"矩阵"}`}
		}},
		"POST /api/v1/asset-damages/{id}/decision": {req: func(t *testing.T, m *matrix, c *caller, o *objects, fresh bool) matrixReq {
			id := m.prep(t, o).damage
			if fresh {
				id = m.freshDamage(t, o, true)
			}
			return matrixReq{path: fmt.Sprintf("/api/v1/asset-damages/%d/decision", id), body: `{"approve":true,"record":"矩阵：已批复"}`}
		}},
		"GET /api/v1/publicity": {region: township, req: listed("/api/v1/publicity", func(p *prepObjects, o *objects) string { return p.eventTitle })},
		"POST /api/v1/publicity": {region: township, req: func(t *testing.T, m *matrix, c *caller, o *objects, fresh bool) matrixReq {
			m.prep(t, o)
			return matrixReq{path: "/api/v1/publicity", body: toJSON(publicity.Input{Theme: "science_day", Title: "矩阵科普", County: o.county, Township: o.village[:9], Date: "2025-09-15", State: "planned"})}
		}},
		"POST /api/v1/publicity/calendar": {region: county, req: func(t *testing.T, m *matrix, c *caller, o *objects, fresh bool) matrixReq {
			m.prep(t, o)
			return matrixReq{path: "/api/v1/publicity/calendar", body: toJSON(map[string]any{"region": o.county, "year": 2027})}
		}},
		"GET /api/v1/publicity/coverage": {region: county, req: path(func(p *prepObjects, o *objects) string {
			return "/api/v1/publicity/coverage?year=2025&region=" + o.county
		})},
		"GET /api/v1/publicity/{id}": {region: township, req: path(func(p *prepObjects, o *objects) string { return fmt.Sprintf("/api/v1/publicity/%d", p.event) })},
		"PUT /api/v1/publicity/{id}": {region: township, req: func(t *testing.T, m *matrix, c *caller, o *objects, fresh bool) matrixReq {
			p := m.prep(t, o)
			return matrixReq{path: fmt.Sprintf("/api/v1/publicity/%d", p.event), body: toJSON(publicity.Input{Theme: "disaster_day", Title: p.eventTitle, County: o.county, Township: o.village[:9], Date: "2025-05-12", State: "planned", From: "planned"})}
		}},
	} {
		rows[k] = v
	}
	for k, v := range rows {
		matrixRows[k] = v
	}
}
