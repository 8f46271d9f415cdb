package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/alerting"
	"github.com/zhangye-backstop/backstop/channel"
	"github.com/zhangye-backstop/backstop/dispatch"
	"github.com/zhangye-backstop/backstop/httpapi"
	"github.com/zhangye-backstop/backstop/server"
	"github.com/zhangye-backstop/backstop/server/servertest"
	"github.com/zhangye-backstop/backstop/sqlstore"
	"github.com/zhangye-backstop/backstop/storetest"
)

// TestAuthorizationMatrix calls every API route as every role — an admin
// of the national scope and one of a county, city, county, township,
// village, department and auditor officers, and nobody — on an object
// inside the caller's region and on one outside it, through the real root
// handler, on both engines. The answer it expects is derived from the
// access the route declares (httpapi.RouteAccess: permission and scope
// rule) and the caller's role and region, never written per case:
//
//   - anonymous: 401 (public routes: their success for everyone);
//   - without the route's permission: 403;
//   - scope "read": outside the region 404; "write": outside 403;
//     "none" and "shared": the success status in and out;
//   - lists ("none" rows with a marker) show the object exactly when the
//     caller's region holds it;
//   - no answer to a role that may not read the registry (department,
//     anonymous) names a household: no head's name, no number.
//
// Objects inside the region are in 临泽县 (village 620723101201 of the
// template roster); outside ones in 甘州区 (620702), and for callers whose
// region holds 甘州区 (the city, the department of the city, the national
// admin) in 肃州区 of another city (620902). A route without its row in
// matrixRows fails the test, and so does a row without its route.
func TestAuthorizationMatrix(t *testing.T) {
	for _, e := range storetest.Engines {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			start := time.Now()
			m := newMatrix(t, e.Open)
			setup := time.Since(start)
			declared := map[string]bool{}
			calls := 0
			for _, ra := range m.app.API.RouteAccess() {
				key := ra.Method + " " + ra.Path
				declared[key] = true
				row, ok := matrixRows[key]
				if !ok {
					t.Errorf("route %s has no row in the authorization matrix (matrixRows in matrix_test.go)", key)
					continue
				}
				for _, c := range m.callers {
					for _, inside := range []bool{true, false} {
						m.check(t, ra, row, c, inside)
						calls++
					}
				}
			}
			for key := range matrixRows {
				if !declared[key] {
					t.Errorf("matrix row %s names no route", key)
				}
			}
			if want := len(declared) * len(m.callers) * 2; calls != want || calls < 1000 {
				t.Errorf("%d calls, want %d (routes × %d callers × in/out)", calls, want, len(m.callers))
			}
			t.Logf("%d routes × %d callers × 2 = %d calls; setup %v, total %v", len(declared), len(m.callers), calls, setup.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
		})
	}
}

// caller is one role of the matrix; user nil is anonymous.
type caller struct {
	name  string
	user  *backstop.User
	token string
}

func (c *caller) can(p backstop.Permission) bool { return c.user != nil && (p == "" || c.user.Can(p)) }

// objects are the fixtures of one region.
type objects struct {
	village, county string // 12-digit codes
	// household: a key-group household with a member (its head); put: one
	// for PUT and member routes; heads: their head names.
	household, put    string
	warning           int64
	release           int64
	contactName       string
	template          int64
	templateText      string
	quarantined       int64
	quarantinedIdent  string
	user              *backstop.User // a department user of the village, creator of the region's feed
	feed              int64
	releaser          context.Context
	tasks             []int64
	seq               int
	templateCombos    int
	quarantineCounter int
}

type matrix struct {
	db                     *sqlstore.DB
	app                    *server.Server
	srv                    *httptest.Server
	admin                  context.Context
	callers                []*caller
	in, outCounty, outCity *objects
	// householdMarks are the head names and numbers of every fixture
	// household, which no answer to a role without the registry may name.
	householdMarks []string
	gateway        string // the SMS gateway's URL: a channel's target, for admins only
	importID       int64
	roster         string // the template roster's text
	receiptBody    string
	ids            int
}

// matrixReq is one request of a row.
type matrixReq struct {
	path, body, ctype string
	header            map[string]string
	// marker, for lists: text of the object that the answer shows exactly
	// when the caller may see it (its region holds markerRegion, the
	// object's region by default).
	marker, markerRegion string
	// check, when set, tests a successful answer further; after runs then
	// (e.g. to give the caller a token again after its password changed).
	check func(t *testing.T, c *caller, body string)
	after func(t *testing.T, c *caller)
}

// matrixRow builds a route's request on the objects of one region. region
// (default: the objects' village) is the region of what the request names;
// fresh tells that the call is expected to succeed, so that a destructive
// route gets an object of its own.
type matrixRow struct {
	region func(o *objects) string
	// namesCaller: the route names a user, and inside the caller's region
	// the request names the caller itself (outside, another region's user).
	namesCaller bool
	req         func(t *testing.T, m *matrix, c *caller, o *objects, fresh bool) matrixReq
}

// outside returns the objects outside the caller's region.
func (m *matrix) outside(c *caller) *objects {
	if c.user != nil && c.user.InScope(m.outCounty.county) {
		return m.outCity
	}
	return m.outCounty
}

// expect derives a route's answer from its declared access; self tells a
// request that names the caller itself.
func expect(ra httpapi.RouteAccess, c *caller, region string, self bool) int {
	switch {
	case ra.Public:
		return ra.Status
	case c.user == nil:
		return http.StatusUnauthorized
	case !c.can(ra.Perm):
		return http.StatusForbidden
	case ra.Others != "" && !self && !c.can(ra.Others):
		return http.StatusForbidden
	case ra.Scope == "read" && !c.user.InScope(region):
		return http.StatusNotFound
	case ra.Scope == "write" && !c.user.InScope(region):
		return http.StatusForbidden
	}
	return ra.Status
}

func (m *matrix) check(t *testing.T, ra httpapi.RouteAccess, row matrixRow, c *caller, inside bool) {
	t.Helper()
	o := m.in
	side := "inside"
	if !inside {
		o, side = m.outside(c), "outside"
	}
	region := o.village
	if row.region != nil {
		region = row.region(o)
	}
	self := row.namesCaller && inside && c.user != nil
	if self {
		region = c.user.Region
	}
	want := expect(ra, c, region, self)
	rq := row.req(t, m, c, o, want < 300)
	ctype := rq.ctype
	if ctype == "" && rq.body != "" {
		ctype = "application/json"
	}
	var body io.Reader
	if rq.body != "" {
		body = strings.NewReader(rq.body)
	}
	req, err := http.NewRequest(ra.Method, m.srv.URL+rq.path, body)
	if err != nil {
		t.Fatal(err)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	for k, v := range rq.header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	what := fmt.Sprintf("%s %s as %s, %s (%s)", ra.Method, rq.path, c.name, side, region)
	if resp.StatusCode != want {
		t.Errorf("%s: %d, want %d: %.300s", what, resp.StatusCode, want, b)
		return
	}
	if resp.StatusCode >= 300 {
		return
	}
	got := string(b)
	if rq.marker != "" {
		mr := rq.markerRegion
		if mr == "" {
			mr = region
		}
		visible := c.user.InScope(mr)
		if shown := strings.Contains(got, rq.marker); shown != visible {
			t.Errorf("%s: the answer shows %q: %v, want %v", what, rq.marker, shown, visible)
		}
	}
	if !c.can(backstop.PermReadRegistry) {
		for _, mark := range m.householdMarks {
			if strings.Contains(got, mark) {
				t.Errorf("%s: the answer to a role without the registry names household data %q", what, mark)
			}
		}
	}
	if rq.check != nil {
		rq.check(t, c, got)
	}
	if rq.after != nil {
		rq.after(t, c)
	}
}

func toJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// idNumber makes a valid GB 11643 ID number of a county, distinct per n.
func idNumber(county string, n int) string {
	first := fmt.Sprintf("%s1980%02d%02d%03d", county[:6], 1+n/28%12, 1+n%28, n%1000)
	return first + string(backstop.IDCheckDigit(first))
}

func (m *matrix) next() int { m.ids++; return m.ids }

// named is the user a request names: the caller inside its region (the
// region's fixture user for nobody), another region's user outside.
func (m *matrix) named(c *caller, o *objects) string {
	if o == m.in && c.user != nil {
		return c.user.Name
	}
	return o.user.Name
}

// reissue gives a caller its password and a token again after it changed
// its own password (which ends its tokens).
func (m *matrix) reissue(t *testing.T, c *caller) {
	t.Helper()
	if err := m.db.SetPassword(m.admin, c.user.Name, "", "correct horse battery"); err != nil {
		t.Fatal(err)
	}
	secret, _, err := m.db.CreateToken(m.admin, c.user.Name, "matrix", 0)
	if err != nil {
		t.Fatal(err)
	}
	c.token = secret
}

// freshHousehold creates a household of one key-group member in the
// region's village and returns its number.
func (m *matrix) freshHousehold(t *testing.T, o *objects, head string) string {
	t.Helper()
	o.seq++
	number := fmt.Sprintf("%s%04d", o.village, 5000+o.seq)
	h := &backstop.Household{Number: number, VillageCode: o.village, HeadName: head, Type: "脱贫户",
		Members: []*backstop.Member{{Number: number + "01", Name: head, IDNumber: idNumber(o.village, m.next()), Relation: "户主"}}}
	if err := m.db.CreateHousehold(m.admin, h); err != nil {
		t.Fatalf("household %s: %v", number, err)
	}
	m.householdMarks = append(m.householdMarks, head, number)
	return number
}

// freshTask takes an open confirmation task of the region, making a test
// release of its warning when none is left.
func (m *matrix) freshTask(t *testing.T, o *objects, fresh bool) int64 {
	t.Helper()
	if len(o.tasks) == 0 {
		rel, err := m.app.Dispatch.Create(o.releaser, o.warning, dispatch.Request{Audiences: []string{backstop.AudienceKeyGroups}, Channels: []string{backstop.ChannelSMS}, Test: true})
		if err != nil {
			t.Fatalf("release for tasks: %v", err)
		}
		ts, _, err := m.db.FindTasks(m.admin, backstop.TaskFilter{ReleaseID: rel.ID, Limit: 100})
		if err != nil || len(ts) == 0 {
			t.Fatalf("tasks of release %d: %d, %v", rel.ID, len(ts), err)
		}
		for _, tk := range ts {
			o.tasks = append(o.tasks, tk.ID)
		}
	}
	id := o.tasks[0]
	if fresh {
		o.tasks = o.tasks[1:]
	}
	return id
}

// refusedCAP is an alert a feed carried with a polygon out of range: it is
// quarantined, and can be accepted with an area given by hand.
func refusedCAP(id string) string {
	return `<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>` + id + `</identifier>
  <sender>matrix_observatory</sender>
  <sent>2026-07-15T08:00:00+08:00</sent>
  <status>Actual</status>
  <msgType>Alert</msgType>
  <scope>Public</scope>
  <info>
    <language>zh-CN</language>
    <category>Met</category>
    <event>暴雨</event>
    <urgency>Expected</urgency>
    <severity>Severe</severity>
    <certainty>Likely</certainty>
    <headline>矩阵气象台发布暴雨橙色预警</headline>
    <area>
      <areaDesc>某地</areaDesc>
      <polygon>39.0,100.2 39.0,300.6 38.8,100.6 38.8,100.2 39.0,100.2</polygon>
    </area>
  </info>
</alert>`
}

func (m *matrix) freshQuarantined(t *testing.T, o *objects) (int64, string) {
	t.Helper()
	o.quarantineCounter++
	ident := fmt.Sprintf("matrix-%s-%d", o.village, o.quarantineCounter)
	q := &backstop.QuarantinedAlert{FeedID: o.feed, EntryID: "urn:" + ident, Sender: "matrix_observatory", Identifier: ident, Sent: "2026-07-15T08:00:00+08:00",
		Document: []byte(refusedCAP(ident)), Code: backstop.EINVALID, Message: "The CAP alert is refused: a polygon point is out of range",
		Problems: []backstop.Problem{{Path: "alert/info[0]/area[0]/polygon", Reason: "is out of range"}}}
	if err := m.db.CreateQuarantinedAlert(backstop.NewContextWithUser(context.Background(), backstop.SystemUser("feeds")), q); err != nil {
		t.Fatalf("quarantine: %v", err)
	}
	return q.ID, ident
}

func newMatrix(t *testing.T, open func(testing.TB) *sqlstore.DB) *matrix {
	t.Helper()
	db := open(t)
	storetest.LoadRegions(t, db)
	m := &matrix{db: db, admin: storetest.Admin()}
	// A village of 甘州区, and a township and village of 肃州区 (酒泉市).
	if _, err := db.ImportRegions(m.admin, []*backstop.Region{
		{Code: "620702001001", Name: "矩阵甘州村", Level: backstop.LevelVillage, ParentCode: "620702001000"},
		{Code: "620902001000", Name: "矩阵肃州镇", Level: backstop.LevelTownship, ParentCode: "620902000000"},
		{Code: "620902001001", Name: "矩阵肃州村", Level: backstop.LevelVillage, ParentCode: "620902001000"},
	}); err != nil {
		t.Fatal(err)
	}
	imp, err := storetest.ImportRoster(m.admin, db, storetest.SharedData(t, "templates/households.csv"), backstop.ImportOptions{FileName: "matrix-roster.csv"})
	if err != nil {
		t.Fatal(err)
	}
	m.importID = imp.ID
	m.roster = storetest.TemplateRoster(t)
	m.in = &objects{village: "620723101201", county: "620723000000", household: "6207231012010001"}
	m.outCounty = &objects{village: "620702001001", county: "620702000000"}
	m.outCity = &objects{village: "620902001001", county: "620902000000"}
	m.householdMarks = []string{"张建国", "李秀兰", "张磊", "6207231012010001", "620723101201000101", "矩阵新户", "矩阵成员", "矩阵待删"}
	for _, o := range []*objects{m.outCounty, m.outCity} {
		o.household = m.freshHousehold(t, o, "矩阵"+o.village[:6]+"甲")
	}
	for _, o := range []*objects{m.in, m.outCounty, m.outCity} {
		o.put = m.freshHousehold(t, o, "矩阵"+o.village[:6]+"乙")
	}

	gw := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(`{"id":"gw-1"}`)) }))
	t.Cleanup(gw.Close)
	m.gateway = gw.URL
	senders, err := channel.Build(channel.Config{SMSWebhook: gw.URL})
	if err != nil {
		t.Fatal(err)
	}
	m.app, m.srv = servertest.New(t, db, server.Config{CAPSender: "backstop.test", CAPRegion: "620700", ReceiptSecret: "matrix-secret",
		Dispatch: &dispatch.Service{Senders: senders, BaseURL: "https://b.test"}})

	user := func(name string, role backstop.Role, region string) (*backstop.User, string) {
		u := &backstop.User{Name: name, Role: role, Region: region}
		if err := db.CreateUser(m.admin, u, "correct horse battery"); err != nil {
			t.Fatalf("user %s: %v", name, err)
		}
		secret, _, err := db.CreateToken(m.admin, name, "matrix", 0)
		if err != nil {
			t.Fatal(err)
		}
		return u, secret
	}
	for _, c := range []struct {
		name   string
		role   backstop.Role
		region string
	}{
		{"admin-national", backstop.RoleAdmin, backstop.NationalScope},
		{"admin-linze", backstop.RoleAdmin, "620723000000"},
		{"city", backstop.RoleCity, "620700000000"},
		{"county", backstop.RoleCounty, "620723000000"},
		{"township", backstop.RoleTownship, "620723101000"},
		{"village", backstop.RoleVillage, "620723101201"},
		{"department", backstop.RoleDepartment, "620700000000"},
		{"auditor", backstop.RoleAuditor, "620723000000"},
	} {
		u, token := user("m-"+c.name, c.role, c.region)
		m.callers = append(m.callers, &caller{name: c.name, user: u, token: token})
	}
	m.callers = append(m.callers, &caller{name: "anonymous"})
	as := func(u *backstop.User) context.Context { return backstop.NewContextWithUser(context.Background(), u) }

	for _, o := range []*objects{m.in, m.outCounty, m.outCity} {
		w, err := m.app.Alerting.IngestInput(m.admin, &alerting.Input{Hazard: "rainstorm", Level: "red", Headline: "矩阵暴雨红色预警" + o.village,
			Areas: []alerting.InputArea{{Regions: []string{o.village}}}}, "json")
		if err != nil {
			t.Fatalf("warning of %s: %v", o.village, err)
		}
		if w.Region != o.village {
			t.Fatalf("warning of %s has region %s", o.village, w.Region)
		}
		o.warning = w.ID
		releaser := m.callers[3].user // the county officer of 临泽县
		if o != m.in {
			releaser, _ = user("m-release-"+o.county[:6], backstop.RoleCounty, o.county)
		}
		o.releaser = as(releaser)
		rel, err := m.app.Dispatch.Create(o.releaser, o.warning, dispatch.Request{Audiences: []string{backstop.AudienceKeyGroups, backstop.AudienceHouseholds},
			Channels: []string{backstop.ChannelSMS}, Test: true})
		if err != nil {
			t.Fatalf("release of %s: %v", o.village, err)
		}
		o.release = rel.ID
		o.contactName = "矩阵联系人" + o.village
		if err := db.CreateContacts(m.admin, &backstop.Contact{Kind: backstop.ContactVillageCadre, Name: o.contactName, Region: o.village, Phone: "13800138000"}); err != nil {
			t.Fatal(err)
		}
		o.templateText = "矩阵模板" + o.village + "：{hazard}{level}预警"
		tmpl := &backstop.MessageTemplate{Region: o.village, Hazard: "hail", Level: "red", Text: o.templateText}
		if err := db.SaveTemplate(m.admin, tmpl); err != nil {
			t.Fatal(err)
		}
		o.template = tmpl.ID
		o.user, _ = user("m-feeds-"+o.village, backstop.RoleDepartment, o.village)
		feed := &backstop.Feed{Name: "矩阵订阅源" + o.village, URL: "https://feeds.example.org/" + o.village + ".atom"}
		if err := db.CreateFeed(as(o.user), feed); err != nil {
			t.Fatal(err)
		}
		o.feed = feed.ID
		o.quarantined, o.quarantinedIdent = m.freshQuarantined(t, o)
	}
	// A real release (not a test) has a message a gateway may report on.
	real, err := m.app.Dispatch.Create(m.in.releaser, m.in.warning, dispatch.Request{Audiences: []string{backstop.AudienceHouseholds}, Channels: []string{backstop.ChannelSMS}})
	if err != nil {
		t.Fatal(err)
	}
	id, err := db.QueryIntForTest(context.Background(), fmt.Sprintf(`SELECT min(id) FROM messages WHERE stream_id = %d`, real.StreamID))
	if err != nil || id == 0 {
		t.Fatalf("a message of release %d: %d, %v", real.ID, id, err)
	}
	m.receiptBody = toJSON(map[string]string{"key": backstop.MessageKey(real.StreamID, id), "status": backstop.MessageDelivered})
	return m
}

var matrixRows = map[string]matrixRow{}

func init() {
	national := func(*objects) string { return backstop.NationalScope }
	get := func(path func(m *matrix, o *objects) string) func(t *testing.T, m *matrix, c *caller, o *objects, fresh bool) matrixReq {
		return func(t *testing.T, m *matrix, c *caller, o *objects, fresh bool) matrixReq {
			return matrixReq{path: path(m, o)}
		}
	}
	list := func(path func(m *matrix, o *objects) string, marker func(o *objects) string) func(t *testing.T, m *matrix, c *caller, o *objects, fresh bool) matrixReq {
		return func(t *testing.T, m *matrix, c *caller, o *objects, fresh bool) matrixReq {
			return matrixReq{path: path(m, o), marker: marker(o)}
		}
	}
	rows := map[string]matrixRow{
		// Meta and users.
		"GET /api/v1/openapi.json": {req: get(func(*matrix, *objects) string { return "/api/v1/openapi.json" })},
		"GET /api/v1/me":           {req: get(func(*matrix, *objects) string { return "/api/v1/me" })},
		"GET /api/v1/users":        {req: get(func(*matrix, *objects) string { return "/api/v1/users" })},
		"POST /api/v1/users": {req: func(t *testing.T, m *matrix, c *caller, o *objects, fresh bool) matrixReq {
			return matrixReq{path: "/api/v1/users", body: toJSON(map[string]string{"name": fmt.Sprintf("m-new-%d", m.next()), "role": "village", "region": o.village, "password": "correct horse battery"})}
		}},
		"PUT /api/v1/users/{name}": {req: func(t *testing.T, m *matrix, c *caller, o *objects, fresh bool) matrixReq {
			return matrixReq{path: "/api/v1/users/" + o.user.Name, body: toJSON(map[string]any{"display_name": "矩阵"})}
		}},
		// Routes naming a user: inside, the caller itself; outside, the
		// user of another region (for another user users:manage is needed).
		"GET /api/v1/users/{name}": {namesCaller: true, req: func(t *testing.T, m *matrix, c *caller, o *objects, fresh bool) matrixReq {
			return matrixReq{path: "/api/v1/users/" + m.named(c, o)}
		}},
		"PUT /api/v1/users/{name}/password": {namesCaller: true, req: func(t *testing.T, m *matrix, c *caller, o *objects, fresh bool) matrixReq {
			name := m.named(c, o)
			rq := matrixReq{path: "/api/v1/users/" + name + "/password", body: `{"password":"another horse battery"}`}
			if c.user != nil && name == c.user.Name {
				// One's own, with the current password: it ends one's
				// tokens, so the caller gets the old password and a token
				// again.
				rq.body = `{"current":"correct horse battery","password":"another horse battery"}`
				rq.after = func(t *testing.T, c *caller) { m.reissue(t, c) }
			}
			return rq
		}},
		"POST /api/v1/users/{name}/tokens": {namesCaller: true, req: func(t *testing.T, m *matrix, c *caller, o *objects, fresh bool) matrixReq {
			return matrixReq{path: "/api/v1/users/" + m.named(c, o) + "/tokens", body: `{"name":"matrix"}`}
		}},
		"GET /api/v1/users/{name}/tokens": {namesCaller: true, req: func(t *testing.T, m *matrix, c *caller, o *objects, fresh bool) matrixReq {
			return matrixReq{path: "/api/v1/users/" + m.named(c, o) + "/tokens"}
		}},
		"DELETE /api/v1/users/{name}/tokens/{id}": {namesCaller: true, req: func(t *testing.T, m *matrix, c *caller, o *objects, fresh bool) matrixReq {
			// A token of its own to revoke, never the one the caller uses.
			name := m.named(c, o)
			_, tok, err := m.db.CreateToken(m.admin, name, "to revoke", 0)
			if err != nil {
				t.Fatal(err)
			}
			return matrixReq{path: fmt.Sprintf("/api/v1/users/%s/tokens/%d", name, tok.ID)}
		}},
		"GET /api/v1/audit": {req: list(func(m *matrix, o *objects) string { return "/api/v1/audit?record=" + o.put }, func(o *objects) string { return `"record":"` + o.put + `"` })},

		// Regions.
		"GET /api/v1/regions": {req: get(func(m *matrix, o *objects) string { return "/api/v1/regions?parent=" + o.village[:9] })},
		"GET /api/v1/regions/{code}": {req: func(t *testing.T, m *matrix, c *caller, o *objects, fresh bool) matrixReq {
			return matrixReq{path: "/api/v1/regions/" + o.village, check: func(t *testing.T, c *caller, body string) {
				if strings.Contains(body, `"counts"`) != c.can(backstop.PermReadRegistry) {
					t.Errorf("GET /api/v1/regions/%s as %s: household counts shown %v", o.village, c.name, strings.Contains(body, `"counts"`))
				}
			}}
		}},

		// Households.
		"GET /api/v1/households": {req: list(func(m *matrix, o *objects) string { return "/api/v1/households?q=" + o.household }, func(o *objects) string { return o.household })},
		"POST /api/v1/households": {req: func(t *testing.T, m *matrix, c *caller, o *objects, fresh bool) matrixReq {
			o.seq++
			number := fmt.Sprintf("%s%04d", o.village, 5000+o.seq)
			return matrixReq{path: "/api/v1/households", body: toJSON(map[string]any{"number": number, "village_code": o.village, "members": []map[string]string{
				{"number": number + "01", "name": "矩阵新户", "id_number": idNumber(o.village, m.next()), "relation": "户主"}}})}
		}},
		"GET /api/v1/households/{number}": {req: get(func(m *matrix, o *objects) string { return "/api/v1/households/" + o.household })},
		"PUT /api/v1/households/{number}": {req: func(t *testing.T, m *matrix, c *caller, o *objects, fresh bool) matrixReq {
			return matrixReq{path: "/api/v1/households/" + o.put, body: toJSON(map[string]any{"number": o.put, "village_code": o.village, "natural_village": "一社"})}
		}},
		"DELETE /api/v1/households/{number}": {req: func(t *testing.T, m *matrix, c *caller, o *objects, fresh bool) matrixReq {
			number := o.put
			if fresh {
				number = m.freshHousehold(t, o, "矩阵删除户")
			}
			return matrixReq{path: "/api/v1/households/" + number}
		}},
		"GET /api/v1/households/{number}/history": {req: get(func(m *matrix, o *objects) string { return "/api/v1/households/" + o.put + "/history" })},
		"PUT /api/v1/households/{number}/members/{member}": {req: func(t *testing.T, m *matrix, c *caller, o *objects, fresh bool) matrixReq {
			member := o.put + "02"
			return matrixReq{path: "/api/v1/households/" + o.put + "/members/" + member,
				body: toJSON(map[string]string{"number": member, "name": "矩阵成员", "id_number": idNumber(o.village, 900), "relation": "之子"})}
		}},
		"DELETE /api/v1/households/{number}/members/{member}": {req: func(t *testing.T, m *matrix, c *caller, o *objects, fresh bool) matrixReq {
			member := o.put + "01"
			if fresh {
				o.seq++
				member = fmt.Sprintf("%s%02d", o.put, 10+o.seq%90)
				if err := m.db.UpsertMember(m.admin, o.put, &backstop.Member{Number: member, Name: "矩阵待删", IDNumber: idNumber(o.village, m.next()), Relation: "之女"}); err != nil {
					t.Fatalf("member %s: %v", member, err)
				}
			}
			return matrixReq{path: "/api/v1/households/" + o.put + "/members/" + member}
		}},

		// Roster.
		"GET /api/v1/export/households": {req: list(func(m *matrix, o *objects) string { return "/api/v1/export/households?q=" + o.household }, func(o *objects) string { return o.household })},
		"POST /api/v1/imports": {req: func(t *testing.T, m *matrix, c *caller, o *objects, fresh bool) matrixReq {
			return matrixReq{path: "/api/v1/imports?dry_run=1&filename=matrix.csv", body: m.rosterOf(o), ctype: "text/csv"}
		}},
		// An import is its importer's: the fixture's was made by the CLI,
		// which national admins read and nobody else.
		"GET /api/v1/imports": {region: national, req: func(t *testing.T, m *matrix, c *caller, o *objects, fresh bool) matrixReq {
			return matrixReq{path: "/api/v1/imports", marker: `"file_name":"matrix-roster.csv"`}
		}},
		"GET /api/v1/imports/{id}":          {region: national, req: get(func(m *matrix, o *objects) string { return fmt.Sprintf("/api/v1/imports/%d", m.importID) })},
		"GET /api/v1/imports/{id}/problems": {region: national, req: get(func(m *matrix, o *objects) string { return fmt.Sprintf("/api/v1/imports/%d/problems", m.importID) })},

		// Warnings: public to every signed-in user; writes need them inside.
		"POST /api/v1/warnings": {req: func(t *testing.T, m *matrix, c *caller, o *objects, fresh bool) matrixReq {
			return matrixReq{path: "/api/v1/warnings", body: toJSON(map[string]any{"hazard": "暴雨", "level": "红", "areas": []map[string]any{{"regions": []string{o.village}}}})}
		}},
		"GET /api/v1/warnings":                    {req: get(func(m *matrix, o *objects) string { return "/api/v1/warnings" })},
		"GET /api/v1/warnings/{id}":               {req: get(func(m *matrix, o *objects) string { return fmt.Sprintf("/api/v1/warnings/%d", o.warning) })},
		"GET /api/v1/warnings/{id}/cap":           {req: get(func(m *matrix, o *objects) string { return fmt.Sprintf("/api/v1/warnings/%d/cap", o.warning) })},
		"GET /api/v1/warnings/{id}/exposure":      {req: get(func(m *matrix, o *objects) string { return fmt.Sprintf("/api/v1/warnings/%d/exposure", o.warning) })},
		"POST /api/v1/warnings/{id}/exposure":     {req: get(func(m *matrix, o *objects) string { return fmt.Sprintf("/api/v1/warnings/%d/exposure", o.warning) })},
		"GET /api/v1/warnings/{id}/exposure.xlsx": {req: get(func(m *matrix, o *objects) string { return fmt.Sprintf("/api/v1/warnings/%d/exposure.xlsx", o.warning) })},
		"GET /api/v1/warnings/{id}/consultations": {req: get(func(m *matrix, o *objects) string { return fmt.Sprintf("/api/v1/warnings/%d/consultations", o.warning) })},
		"POST /api/v1/warnings/{id}/consultations": {req: func(t *testing.T, m *matrix, c *caller, o *objects, fresh bool) matrixReq {
			return matrixReq{path: fmt.Sprintf("/api/v1/warnings/%d/consultations", o.warning), body: consultationBody}
		}},
		"POST /api/v1/consultations/{id}/approve": {req: func(t *testing.T, m *matrix, c *caller, o *objects, fresh bool) matrixReq {
			// Recorded by the CLI: the caller is another person.
			cs := &backstop.Consultation{WarningID: o.warning, Departments: []string{"气象局"}, Assessment: "矩阵会商", Decision: backstop.DecisionRelease}
			if err := m.db.CreateConsultation(m.admin, cs); err != nil {
				t.Fatal(err)
			}
			return matrixReq{path: fmt.Sprintf("/api/v1/consultations/%d/approve", cs.ID)}
		}},
		"GET /api/v1/feeds": {req: get(func(m *matrix, o *objects) string { return "/api/v1/feeds" })},
		"POST /api/v1/feeds": {req: func(t *testing.T, m *matrix, c *caller, o *objects, fresh bool) matrixReq {
			return matrixReq{path: "/api/v1/feeds", body: toJSON(map[string]string{"name": "矩阵新订阅源", "url": fmt.Sprintf("https://feeds.example.org/new-%d.atom", m.next())})}
		}},

		// Releases.
		"POST /api/v1/warnings/{id}/releases/preview": {req: func(t *testing.T, m *matrix, c *caller, o *objects, fresh bool) matrixReq {
			return matrixReq{path: fmt.Sprintf("/api/v1/warnings/%d/releases/preview", o.warning), body: releaseBody}
		}},
		"POST /api/v1/warnings/{id}/releases": {req: func(t *testing.T, m *matrix, c *caller, o *objects, fresh bool) matrixReq {
			return matrixReq{path: fmt.Sprintf("/api/v1/warnings/%d/releases", o.warning), body: releaseBody}
		}},
		"GET /api/v1/warnings/{id}/releases": {req: get(func(m *matrix, o *objects) string { return fmt.Sprintf("/api/v1/warnings/%d/releases", o.warning) })},
		"GET /api/v1/releases/{id}":          {req: get(func(m *matrix, o *objects) string { return fmt.Sprintf("/api/v1/releases/%d", o.release) })},
		"GET /api/v1/releases/{id}/tasks": {req: list(func(m *matrix, o *objects) string { return fmt.Sprintf("/api/v1/releases/%d/tasks", o.release) },
			func(o *objects) string { return `"village_code":"` + o.village + `"` })},
		"POST /api/v1/tasks/{id}/confirm": {req: func(t *testing.T, m *matrix, c *caller, o *objects, fresh bool) matrixReq {
			return matrixReq{path: fmt.Sprintf("/api/v1/tasks/%d/confirm", m.freshTask(t, o, fresh)), body: `{"outcome":"phone"}`}
		}},
		// Public: signed with the gateways' secret, whoever sends it.
		"POST /api/v1/receipts/{channel}": {req: func(t *testing.T, m *matrix, c *caller, o *objects, fresh bool) matrixReq {
			return matrixReq{path: "/api/v1/receipts/sms", body: m.receiptBody, header: map[string]string{"X-Backstop-Signature": httpapi.ReceiptSignature("matrix-secret", []byte(m.receiptBody))}}
		}},
		"GET /api/v1/templates": {req: list(func(m *matrix, o *objects) string { return "/api/v1/templates" }, func(o *objects) string { return o.templateText })},
		"POST /api/v1/templates": {req: func(t *testing.T, m *matrix, c *caller, o *objects, fresh bool) matrixReq {
			o.templateCombos++
			i := o.templateCombos
			return matrixReq{path: "/api/v1/templates", body: toJSON(map[string]string{"region": o.village, "hazard": string(backstop.Hazards[i%len(backstop.Hazards)].Code),
				"level": []string{"", "red", "orange", "yellow", "blue"}[i/len(backstop.Hazards)%5], "text": "矩阵新模板{hazard}"})}
		}},
		"PUT /api/v1/templates/{id}": {req: func(t *testing.T, m *matrix, c *caller, o *objects, fresh bool) matrixReq {
			return matrixReq{path: fmt.Sprintf("/api/v1/templates/%d", o.template), body: toJSON(map[string]string{"region": o.village, "hazard": "hail", "level": "red", "text": o.templateText})}
		}},
		"POST /api/v1/templates/preview": {req: func(t *testing.T, m *matrix, c *caller, o *objects, fresh bool) matrixReq {
			return matrixReq{path: "/api/v1/templates/preview", body: toJSON(map[string]any{"text": "{hazard}{level}预警：{area}", "warning_id": o.warning})}
		}},
		"GET /api/v1/contacts": {req: list(func(m *matrix, o *objects) string { return "/api/v1/contacts" }, func(o *objects) string { return o.contactName })},
		"POST /api/v1/contacts": {req: func(t *testing.T, m *matrix, c *caller, o *objects, fresh bool) matrixReq {
			return matrixReq{path: "/api/v1/contacts", body: toJSON(map[string]string{"kind": "village_cadre", "name": "矩阵新联系人", "region": o.village, "phone": "13800138001"})}
		}},
		"DELETE /api/v1/contacts/{id}": {req: func(t *testing.T, m *matrix, c *caller, o *objects, fresh bool) matrixReq {
			ct := &backstop.Contact{Kind: backstop.ContactVillageCadre, Name: "矩阵待删联系人", Region: o.village, Phone: "13800138002"}
			if err := m.db.CreateContacts(m.admin, ct); err != nil {
				t.Fatal(err)
			}
			return matrixReq{path: fmt.Sprintf("/api/v1/contacts/%d", ct.ID)}
		}},
		// Which channels are on, for everyone; where they send, for admins.
		"GET /api/v1/channels": {req: func(t *testing.T, m *matrix, c *caller, o *objects, fresh bool) matrixReq {
			return matrixReq{path: "/api/v1/channels", check: func(t *testing.T, c *caller, body string) {
				if !strings.Contains(body, `"configured":true`) {
					t.Errorf("GET /api/v1/channels as %s: the configured SMS channel is not shown", c.name)
				}
				if shown := strings.Contains(body, strings.TrimPrefix(m.gateway, "http://")); shown != c.can(backstop.PermManageChannel) {
					t.Errorf("GET /api/v1/channels as %s: the gateway's address shown %v", c.name, shown)
				}
			}}
		}},
		"POST /api/v1/channels/{channel}/test": {req: func(t *testing.T, m *matrix, c *caller, o *objects, fresh bool) matrixReq {
			return matrixReq{path: "/api/v1/channels/sms/test", body: `{"address":"13800138000"}`}
		}},

		// Quarantine: scoped by the feed creator's region.
		"GET /api/v1/quarantine":      {req: list(func(m *matrix, o *objects) string { return "/api/v1/quarantine" }, func(o *objects) string { return o.quarantinedIdent })},
		"GET /api/v1/quarantine/{id}": {req: get(func(m *matrix, o *objects) string { return fmt.Sprintf("/api/v1/quarantine/%d", o.quarantined) })},
		"GET /api/v1/quarantine/{id}/document": {req: get(func(m *matrix, o *objects) string {
			return fmt.Sprintf("/api/v1/quarantine/%d/document", o.quarantined)
		})},
		"POST /api/v1/quarantine/{id}/accept": {req: func(t *testing.T, m *matrix, c *caller, o *objects, fresh bool) matrixReq {
			id := o.quarantined
			if fresh {
				id, _ = m.freshQuarantined(t, o)
			}
			return matrixReq{path: fmt.Sprintf("/api/v1/quarantine/%d/accept", id), body: toJSON(map[string]any{"regions": []string{o.village}})}
		}},
		"POST /api/v1/quarantine/{id}/dismiss": {req: func(t *testing.T, m *matrix, c *caller, o *objects, fresh bool) matrixReq {
			id := o.quarantined
			if fresh {
				id, _ = m.freshQuarantined(t, o)
			}
			return matrixReq{path: fmt.Sprintf("/api/v1/quarantine/%d/dismiss", id), body: `{"note":"矩阵"}`}
		}},

		// Calendar, clocks and policy. The calendar is national data.
		"GET /api/v1/workdays": {req: get(func(m *matrix, o *objects) string { return "/api/v1/workdays?from=2026-01-05&add=3" })},
		"GET /api/v1/calendar": {req: get(func(m *matrix, o *objects) string { return "/api/v1/calendar" })},
		"POST /api/v1/calendar": {region: national, req: func(t *testing.T, m *matrix, c *caller, o *objects, fresh bool) matrixReq {
			return matrixReq{path: "/api/v1/calendar?filename=matrix-2031.csv", body: "date,kind,name\n2031-01-01,holiday,元旦\n", ctype: "text/csv"}
		}},
		// A release's clock is in its releaser's region, the county.
		// A release's clock belongs to the region the release reaches (the
		// fixture's village), not to its releaser's.
		"GET /api/v1/clocks": {req: func(t *testing.T, m *matrix, c *caller, o *objects, fresh bool) matrixReq {
			return matrixReq{path: fmt.Sprintf("/api/v1/clocks?subject=release:%d", o.release), marker: fmt.Sprintf(`"subject":"release:%d"`, o.release)}
		}},
		"GET /api/v1/policies": {req: get(func(m *matrix, o *objects) string { return "/api/v1/policies?key=release.confirm_minutes.red" })},
		"POST /api/v1/policies": {req: func(t *testing.T, m *matrix, c *caller, o *objects, fresh bool) matrixReq {
			return matrixReq{path: "/api/v1/policies", body: toJSON(map[string]any{"key": "release.confirm_minutes.red", "region": o.village, "value": 25, "unit": "minutes",
				"effective_from": "2031-01-01", "source": "矩阵测试"})}
		}},
	}
	for k, v := range rows {
		matrixRows[k] = v
	}
}

const (
	consultationBody = `{"departments":["气象局","应急管理局"],"assessment":"矩阵研判","decision":"release"}`
	releaseBody      = `{"audiences":["households"],"channels":["sms"],"test":true}`
)

// rosterOf is a one-person roster of a household in the region's village
// (a dry run: it writes nothing).
func (m *matrix) rosterOf(o *objects) string {
	header := strings.SplitN(m.roster, "\n", 2)[0]
	line := strings.Split(strings.SplitN(m.roster, "\n", 3)[1], ",")
	cols := strings.Split(header, ",")
	set := func(name, v string) {
		for i, c := range cols {
			if c == name {
				line[i] = v
			}
		}
	}
	set("户编号", o.put)
	set("人编号", o.put+"01")
	set("人数", "1")
	set("行政区划代码", o.village)
	return header + "\n" + strings.Join(line, ",") + "\n"
}
