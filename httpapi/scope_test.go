package httpapi_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/dispatch"
	"github.com/zhangye-backstop/backstop/httpx"
	"github.com/zhangye-backstop/backstop/server"
	"github.com/zhangye-backstop/backstop/storetest"
)

// TestNoExistenceOracleAPI: outside a user's region the API answers a
// number or id that exists exactly as one that does not — 404 to read,
// 403 to write — as the README promises; inside it, not found is 404 and
// taken is 409.
func TestNoExistenceOracleAPI(t *testing.T) {
	f := newFixture(t, storetest.OpenSQLite)
	admin := storetest.Admin()
	if _, err := storetest.ImportRoster(admin, f.db, storetest.SharedData(t, "templates/households.csv"), backstop.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	shahe := f.token(t, "shahe", backstop.RoleTownship, "620723101")
	national := f.token(t, "root", backstop.RoleAdmin, backstop.NationalScope)
	const exists, missing = "6207221072060012", "6207221072069999" // 民乐县: one stored, one not
	answer := func(method, path, token, body string) (int, httpx.ErrorBody) {
		t.Helper()
		var rd *strings.Reader
		if body != "" {
			rd = strings.NewReader(body)
		}
		var resp *http.Response
		var b []byte
		if rd != nil {
			resp, b = f.do(t, method, path, token, rd, "application/json")
		} else {
			resp, b = f.do(t, method, path, token, nil, "")
		}
		var eb httpx.ErrorBody
		if resp.StatusCode >= 400 {
			eb = decode[httpx.ErrorBody](t, b)
		}
		return resp.StatusCode, eb
	}
	same := func(what string, want int, method, pathA, pathB, bodyA, bodyB, a, b string) {
		t.Helper()
		sa, ea := answer(method, pathA, shahe, bodyA)
		sb, eb := answer(method, pathB, shahe, bodyB)
		if sa != want || sb != want {
			t.Errorf("%s: %d (%s) and %d (%s), want %d for both", what, sa, ea.Error.Message, sb, eb.Error.Message, want)
			return
		}
		if strings.ReplaceAll(ea.Error.Message, a, "#") != strings.ReplaceAll(eb.Error.Message, b, "#") ||
			strings.ReplaceAll(ea.Error.MessageZH, a, "#") != strings.ReplaceAll(eb.Error.MessageZH, b, "#") {
			t.Errorf("%s: the answers differ: %q / %q", what, ea.Error.Message, eb.Error.Message)
		}
	}
	household := func(number string) string {
		return fmt.Sprintf(`{"number":%q,"village_code":"620723101201","head_name":"新户"}`, number)
	}
	same("read", 404, "GET", "/api/v1/households/"+exists, "/api/v1/households/"+missing, "", "", exists, missing)
	same("history", 404, "GET", "/api/v1/households/"+exists+"/history", "/api/v1/households/"+missing+"/history", "", "", exists, missing)
	same("update", 403, "PUT", "/api/v1/households/"+exists, "/api/v1/households/"+missing, household(exists), household(missing), exists, missing)
	same("delete", 403, "DELETE", "/api/v1/households/"+exists, "/api/v1/households/"+missing, "", "", exists, missing)
	same("delete member", 403, "DELETE", "/api/v1/households/"+exists+"/members/"+exists+"01", "/api/v1/households/"+missing+"/members/"+missing+"01", "", "", exists, missing)
	same("create with a number of elsewhere", 403, "POST", "/api/v1/households", "/api/v1/households", household(exists), household(missing), exists, missing)

	// Ids: a contact elsewhere and one that does not exist; a task that
	// does not exist.
	linze := f.token(t, "lz_duty", backstop.RoleCounty, "620723")
	ct := &backstop.Contact{Kind: backstop.ContactDutyOfficer, Name: "民乐值班", Region: "620722", Phone: "13800138000"}
	if err := f.db.CreateContacts(admin, ct); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		what, method, path, body string
	}{
		{"delete a contact elsewhere", "DELETE", fmt.Sprintf("/api/v1/contacts/%d", ct.ID), ""},
		{"delete a contact that does not exist", "DELETE", "/api/v1/contacts/999999", ""},
		{"confirm a task that does not exist", "POST", "/api/v1/tasks/999999/confirm", `{"outcome":"phone"}`},
	} {
		var resp *http.Response
		if c.body != "" {
			resp, _ = f.do(t, c.method, c.path, linze, strings.NewReader(c.body), "application/json")
		} else {
			resp, _ = f.do(t, c.method, c.path, linze, nil, "")
		}
		if resp.StatusCode != 403 {
			t.Errorf("%s as a county officer: %d, want 403", c.what, resp.StatusCode)
		}
	}
	// The national scope has no elsewhere: what does not exist is not found.
	if resp, _ := f.do(t, "DELETE", "/api/v1/contacts/999999", national, nil, ""); resp.StatusCode != 404 {
		t.Errorf("the national admin deleting a missing contact: %d, want 404", resp.StatusCode)
	}
	// Inside the region: not found and taken.
	if s, _ := answer("DELETE", "/api/v1/households/6207231012019999", shahe, ""); s != 404 {
		t.Errorf("a missing household of the user's village: %d, want 404", s)
	}
	if s, _ := answer("POST", "/api/v1/households", shahe, household("6207231012010001")); s != 409 {
		t.Errorf("an own household's number again: %d, want 409", s)
	}
}

// TestConsultationAndTemplateRegionsAPI: a consultation is approved by
// another person than its recorder (403 with a Chinese reason); a release
// uses the template of the region it speaks to, a county's own before the
// city's and the national defaults.
func TestConsultationAndTemplateRegionsAPI(t *testing.T) {
	for _, e := range storetest.Engines {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			db := e.Open(t)
			storetest.LoadRegions(t, db)
			f := serve(t, db, server.Config{CAPSender: "backstop.test", CAPRegion: "620700"})
			if _, err := storetest.ImportRoster(storetest.Admin(), f.db, storetest.SharedData(t, "templates/households.csv"), backstop.ImportOptions{}); err != nil {
				t.Fatal(err)
			}
			linze := f.token(t, "lz_duty", backstop.RoleCounty, "620723")
			chief := f.token(t, "lz_chief", backstop.RoleCounty, "620723")
			city := f.token(t, "zy_duty", backstop.RoleCity, "620700")
			post := func(path, token, body string) (int, string) {
				t.Helper()
				resp, b := f.do(t, "POST", path, token, strings.NewReader(body), "application/json")
				return resp.StatusCode, string(b)
			}
			status, body := post("/api/v1/warnings", city, `{"hazard":"暴雨","level":"黄","areas":[{"regions":["620723101201"]}]}`)
			if status != 201 {
				t.Fatalf("warning: %d %s", status, body)
			}
			w := decode[struct {
				ID     int64  `json:"id"`
				Region string `json:"region"`
			}](t, []byte(body))
			if w.Region != "620723101201" {
				t.Errorf("the warning's region %q", w.Region)
			}
			status, body = post(fmt.Sprintf("/api/v1/warnings/%d/consultations", w.ID), linze, `{"departments":["气象局"],"assessment":"降雨集中","decision":"release"}`)
			if status != 201 {
				t.Fatalf("consultation: %d %s", status, body)
			}
			c := decode[struct{ ID int64 }](t, []byte(body))
			status, body = post(fmt.Sprintf("/api/v1/consultations/%d/approve", c.ID), linze, "")
			eb := decode[httpx.ErrorBody](t, []byte(body))
			if status != 403 || !strings.Contains(eb.Error.MessageZH, "须由另一位") {
				t.Errorf("approving one's own: %d %s", status, body)
			}
			if status, body = post(fmt.Sprintf("/api/v1/consultations/%d/approve", c.ID), chief, ""); status != 200 || !strings.Contains(body, `"approver":"lz_chief"`) {
				t.Errorf("approval by a colleague: %d %s", status, body)
			}

			// Templates: the city's general one, the county's own.
			if status, body = post("/api/v1/templates", city, `{"hazard":"rainstorm","text":"张掖市：暴雨{level}预警，{area}。"}`); status != 201 || !strings.Contains(body, `"region":"620700000000"`) {
				t.Fatalf("the city's template: %d %s", status, body)
			}
			preview := func(token string) dispatch.Preview {
				t.Helper()
				status, body := post(fmt.Sprintf("/api/v1/warnings/%d/releases/preview", w.ID), token, `{"audiences":["households"],"channels":["sms"],"test":true}`)
				if status != 200 {
					t.Fatalf("preview: %d %s", status, body)
				}
				return decode[dispatch.Preview](t, []byte(body))
			}
			if p := preview(city); !strings.HasPrefix(p.Text, "【测试】张掖市：") {
				t.Errorf("before the county's template: %q", p.Text)
			}
			if status, body = post("/api/v1/templates", linze, `{"text":"临泽县：{hazard}{level}预警，{area}。"}`); status != 201 || !strings.Contains(body, `"region":"620723000000"`) {
				t.Fatalf("the county's template: %d %s", status, body)
			}
			// The city's release of a warning over 临泽's village speaks to
			// 临泽: the county's own template, even general, before the
			// city's rainstorm one.
			if p := preview(city); !strings.HasPrefix(p.Text, "【测试】临泽县：暴雨") {
				t.Errorf("the city's release in 临泽: %q", p.Text)
			}
			if p := preview(linze); !strings.HasPrefix(p.Text, "【测试】临泽县：暴雨") {
				t.Errorf("the county's release: %q", p.Text)
			}
			// A county cannot rewrite the city's text.
			resp, b := f.do(t, "GET", "/api/v1/templates", linze, nil, "")
			list := decode[struct {
				Items []backstop.MessageTemplate `json:"items"`
			}](t, b)
			var cityID int64
			for _, tm := range list.Items {
				if tm.Region == "620700000000" {
					cityID = tm.ID
				}
			}
			if resp.StatusCode != 200 || cityID == 0 {
				t.Fatalf("the county's template list lacks the city's: %s", b)
			}
			resp, b = f.do(t, "PUT", fmt.Sprintf("/api/v1/templates/%d", cityID), linze, strings.NewReader(`{"hazard":"rainstorm","text":"改写"}`), "application/json")
			if resp.StatusCode != 403 {
				t.Errorf("a county rewriting the city's template: %d %s", resp.StatusCode, b)
			}
		})
	}
}
