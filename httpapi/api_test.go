package httpapi_test

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/httpx"
	"github.com/zhangye-backstop/backstop/server"
	"github.com/zhangye-backstop/backstop/server/servertest"
	"github.com/zhangye-backstop/backstop/sqlstore"
	"github.com/zhangye-backstop/backstop/storetest"
)

type fixture struct {
	db  *sqlstore.DB
	app *server.Server
	srv *httptest.Server
}

// serve starts the assembled server on db, as `backstop serve` runs it.
func serve(t *testing.T, db *sqlstore.DB, cfg server.Config) *fixture {
	t.Helper()
	app, srv := servertest.New(t, db, cfg)
	return &fixture{db: db, app: app, srv: srv}
}

func newFixture(t *testing.T, open func(testing.TB) *sqlstore.DB) *fixture {
	t.Helper()
	db := open(t)
	storetest.LoadRegions(t, db)
	return serve(t, db, server.Config{MaxUploadBytes: 64 << 10})
}

// token creates a user and returns a bearer token for it.
func (f *fixture) token(t *testing.T, name string, role backstop.Role, region string) string {
	t.Helper()
	if err := f.db.CreateUser(storetest.Admin(), &backstop.User{Name: name, Role: role, Region: region}, "correct horse battery"); err != nil {
		t.Fatal(err)
	}
	secret, _, err := f.db.CreateToken(storetest.Admin(), name, "test", 0)
	if err != nil {
		t.Fatal(err)
	}
	return secret
}

func (f *fixture) do(t *testing.T, method, path, token string, body io.Reader, contentType string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, f.srv.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

func (f *fixture) upload(t *testing.T, token, path, name, query string) (*http.Response, []byte) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, _ := mw.CreateFormFile("file", name)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(data)
	mw.Close()
	return f.do(t, "POST", "/api/v1/imports"+query, token, &buf, mw.FormDataContentType())
}

func decode[T any](t *testing.T, b []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
	return v
}

func TestAPI(t *testing.T) {
	for _, e := range storetest.Engines {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, e.Open)
			admin := f.token(t, "boss", backstop.RoleCity, "620700")
			testImportAndScope(t, f, admin)
		})
	}
}

func testImportAndScope(t *testing.T, f *fixture, admin string) {
	roster := storetest.SharedData(t, "templates/households.csv")
	resp, body := f.upload(t, admin, roster, "households.csv", "")
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("import: %d %s", resp.StatusCode, body)
	}
	res := decode[backstop.ImportResult](t, body)
	if res.HouseholdsCreated != 3 || res.PeopleCreated != 7 {
		t.Errorf("import = %+v", res)
	}
	_, body = f.upload(t, admin, roster, "households.csv", "")
	if res := decode[backstop.ImportResult](t, body); res.HouseholdsUnchanged != 3 || res.HouseholdsCreated+res.HouseholdsUpdated != 0 {
		t.Errorf("re-import = %+v", res)
	}

	shahe := f.token(t, "shahe", backstop.RoleTownship, "620723101")
	// Own township: readable, masked.
	resp, body = f.do(t, "GET", "/api/v1/households/6207231012010001", shahe, nil, "")
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"620723********4054"`) || strings.Contains(string(body), "620723196106054054") {
		t.Errorf("own household: %d %s", resp.StatusCode, body)
	}
	// Another township's household: 404 to read, 403 to write.
	resp, body = f.do(t, "GET", "/api/v1/households/6207221072060012", shahe, nil, "")
	eb := decode[httpx.ErrorBody](t, body)
	if resp.StatusCode != 404 || eb.Error.Code != "not_found" {
		t.Errorf("other township read: %d %s", resp.StatusCode, body)
	}
	resp, _ = f.do(t, "DELETE", "/api/v1/households/6207221072060012", shahe, nil, "")
	if resp.StatusCode != 403 {
		t.Errorf("other township delete: %d, want 403", resp.StatusCode)
	}
	resp, body = f.do(t, "GET", "/api/v1/households?region=620722", shahe, nil, "")
	if l := decode[struct{ Total int }](t, body); resp.StatusCode != 200 || l.Total != 0 {
		t.Errorf("list of another county: %d %s", resp.StatusCode, body)
	}
	resp, body = f.do(t, "GET", "/api/v1/export/households", shahe, nil, "")
	if resp.StatusCode != 200 || strings.Contains(string(body), "马福林") || !strings.Contains(string(body), "张建国") {
		t.Errorf("township export: %d\n%s", resp.StatusCode, body)
	}

	// Reveal: unmasked and audited.
	resp, body = f.do(t, "GET", "/api/v1/households/6207231012010001?reveal=1", shahe, nil, "")
	if resp.StatusCode != 200 || !strings.Contains(string(body), "620723196106054054") {
		t.Errorf("reveal: %d %s", resp.StatusCode, body)
	}
	entries, _, _ := f.db.FindAudit(storetest.Admin(), backstop.AuditFilter{Action: "pii.reveal"})
	if len(entries) != 1 || entries[0].Actor != "shahe" || entries[0].Record != "6207231012010001" || entries[0].Addr == "" {
		t.Errorf("reveal audit = %+v", entries)
	}
	dept := f.token(t, "weather", backstop.RoleDepartment, "620700")
	if resp, _ := f.do(t, "GET", "/api/v1/households/6207231012010001?reveal=1", dept, nil, ""); resp.StatusCode != 403 {
		t.Errorf("department reveal: %d, want 403", resp.StatusCode)
	}

	// Writes with formula text are exported escaped.
	h := map[string]any{"number": "6207231012019998", "village_code": "620723101201", "members": []map[string]any{
		{"number": "620723101201999801", "name": "=HYPERLINK(\"x\")", "id_number": "620723199001010019", "relation": "户主"}}}
	fixID(h)
	b, _ := json.Marshal(h)
	resp, body = f.do(t, "POST", "/api/v1/households", shahe, bytes.NewReader(b), "application/json")
	if resp.StatusCode != 201 {
		t.Fatalf("create: %d %s", resp.StatusCode, body)
	}
	_, body = f.do(t, "GET", "/api/v1/export/households?q=6207231012019998", shahe, nil, "")
	if !strings.Contains(string(body), `"'=HYPERLINK(""x"")"`) {
		t.Errorf("formula not escaped in export:\n%s", body)
	}
	exports, _, _ := f.db.FindAudit(storetest.Admin(), backstop.AuditFilter{Action: "roster.export"})
	if len(exports) != 2 {
		t.Errorf("export audit rows = %d, want 2", len(exports))
	}
}

// fixID puts the right check digit on the test member's ID.
func fixID(h map[string]any) {
	m := h["members"].([]map[string]any)[0]
	id := m["id_number"].(string)
	m["id_number"] = id[:17] + string(backstop.IDCheckDigit(id[:17]))
}

func TestImportBadInputs(t *testing.T) {
	f := newFixture(t, storetest.OpenSQLite)
	admin := f.token(t, "boss", backstop.RoleCity, "620700")
	tmpl := storetest.TemplateRoster(t)
	cases := []struct {
		name, file, content string
		status              int
		want                string
	}{
		{"not a zip", "r.xlsx", tmpl, 400, "not a valid xlsx"},
		{"too large", "r.csv", tmpl + strings.Repeat("x", 70<<10), 413, "upload limit of 64 KiB"},
		{"empty", "r.csv", "", 400, "empty"},
		{"missing column", "r.csv", strings.Replace(tmpl, "户编号", "户号", 1), 400, "户编号"},
		{"bad check digit", "r.csv", storetest.ReplaceCell(t, tmpl, 3, "证件号码", "620723196309043751"), 400, "row 3, column 证件号码"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := f.upload(t, admin, storetest.WriteFile(t, tc.file, tc.content), tc.file, "")
			if resp.StatusCode != tc.status || !strings.Contains(string(body), tc.want) {
				t.Errorf("%d %s; want %d mentioning %q", resp.StatusCode, body, tc.status, tc.want)
			}
		})
	}
	// The refused import is on record with its error sheet.
	imports, _ := f.db.FindImports(storetest.Admin(), 10)
	var refused *backstop.ImportResult
	for _, imp := range imports {
		if imp.InvalidRows > 0 {
			refused = imp
		}
	}
	if refused == nil {
		t.Fatal("the refused import is not on record")
	}
	resp, body := f.do(t, "GET", "/api/v1/imports/"+itoa(refused.ID)+"/problems", admin, nil, "")
	if resp.StatusCode != 200 || !strings.Contains(string(body), "证件号码") || !strings.Contains(string(body), "校验位") {
		t.Errorf("error sheet: %d %s", resp.StatusCode, body)
	}
	resp, _ = f.do(t, "GET", "/api/v1/imports/"+itoa(refused.ID)+"/problems?format=xlsx", admin, nil, "")
	if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Type"), "spreadsheetml") {
		t.Errorf("xlsx error sheet: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	// Bad JSON bodies.
	resp, body = f.do(t, "POST", "/api/v1/households", admin, strings.NewReader(`{"number": 5`), "application/json")
	if resp.StatusCode != 400 {
		t.Errorf("broken JSON: %d %s", resp.StatusCode, body)
	}
	resp, _ = f.do(t, "POST", "/api/v1/households", admin, strings.NewReader(`<xml/>`), "application/xml")
	if resp.StatusCode != 415 {
		t.Errorf("XML body: %d, want 415", resp.StatusCode)
	}
	resp, body = f.do(t, "POST", "/api/v1/households", admin, strings.NewReader(`{"number":"1","village_code":"620723101201","location":{"lon":39.1,"lat":100.2}}`), "application/json")
	if resp.StatusCode != 400 || !strings.Contains(string(body), "swapped") {
		t.Errorf("swapped location: %d %s", resp.StatusCode, body)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestOpenAPIMatchesRoutes checks that the document lists exactly the
// routes the server answers, and that each answers (401 or 200, never 404
// or 405) at its path.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	f := newFixture(t, storetest.OpenSQLite)
	resp, body := f.do(t, "GET", "/api/v1/openapi.json", "", nil, "")
	if resp.StatusCode != 200 {
		t.Fatalf("openapi: %d", resp.StatusCode)
	}
	var doc struct {
		OpenAPI string                               `json:"openapi"`
		Paths   map[string]map[string]map[string]any `json:"paths"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Errorf("openapi version %q", doc.OpenAPI)
	}
	documented := map[string]bool{}
	for path, ops := range doc.Paths {
		for method := range ops {
			documented[strings.ToUpper(method)+" "+path] = true
		}
	}
	routes := f.app.API.Routes()
	if len(routes) != len(documented) {
		t.Errorf("%d routes, %d documented operations", len(routes), len(documented))
	}
	for _, r := range routes {
		if !documented[r] {
			t.Errorf("route %s is not in the OpenAPI document", r)
		}
		method, path, _ := strings.Cut(r, " ")
		path = strings.NewReplacer("{number}", "1", "{member}", "1", "{code}", "620700", "{id}", "1", "{name}", "x", "{channel}", "sms").Replace(path)
		resp, body := f.do(t, method, path, "", nil, "")
		// A public lookup of an unknown key is a 404 of its own; only the
		// fallback's "No API route" means the route is not registered.
		if resp.StatusCode == 405 || (resp.StatusCode == 404 && strings.Contains(string(body), "No API route")) {
			t.Errorf("%s answers %d: not registered", r, resp.StatusCode)
		}
	}
	resp, _ = f.do(t, "GET", "/api/v1/nothing", "", nil, "")
	if resp.StatusCode != 404 {
		t.Errorf("unknown route: %d", resp.StatusCode)
	}
}

func TestHealthAndMetrics(t *testing.T) {
	db := storetest.OpenSQLite(t)
	f := serve(t, db, server.Config{MetricsToken: "metrics-secret"})
	resp, body := f.do(t, "GET", "/healthz", "", nil, "")
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"ok"`) {
		t.Errorf("healthz: %d %s", resp.StatusCode, body)
	}
	f.do(t, "GET", "/api/v1/me", "", nil, "")
	// Metrics are for the operator: not to anyone signed in or not.
	if resp, _ := f.do(t, "GET", "/metrics", "", nil, ""); resp.StatusCode != 404 {
		t.Errorf("metrics without the token: %d", resp.StatusCode)
	}
	if resp, _ := f.do(t, "GET", "/metrics", "wrong-secret", nil, ""); resp.StatusCode != 404 {
		t.Errorf("metrics with a wrong token: %d", resp.StatusCode)
	}
	resp, body = f.do(t, "GET", "/metrics", "metrics-secret", nil, "")
	if resp.StatusCode != 200 || !strings.Contains(string(body), `backstop_http_request_duration_seconds_count{route="GET /api/v1/me",status="401"} 1`) {
		t.Errorf("metrics: %d\n%s", resp.StatusCode, body)
	}
}

func TestRateLimiter(t *testing.T) {
	l := httpx.NewRateLimiter(1, 3)
	for i := 0; i < 3; i++ {
		if !l.Allow("a") {
			t.Fatalf("request %d refused within the burst", i)
		}
	}
	if l.Allow("a") {
		t.Error("fourth request allowed beyond the burst")
	}
	if !l.Allow("b") {
		t.Error("another key was limited")
	}
}
