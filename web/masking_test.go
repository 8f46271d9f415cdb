package web_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/storetest"
	"github.com/zhangye-backstop/backstop/web"
)

// TestMaskedCannotBeRebuilt holds the registry's real ID numbers, phones
// and birth dates, and reads every answer a role without the reveal
// permission can get — API lists and records, web pages, the exposure,
// tasks, the audit trail, the helper's link page — checking that none
// shows an ID number or a phone, and that no birth date stands beside a
// masked ID (its 8 hidden digits).
func TestMaskedCannotBeRebuilt(t *testing.T) {
	rs := newReleaseSite(t)
	s, db, srv, ctx := rs.site, rs.db, rs.srv, storetest.Admin()
	for _, u := range []*backstop.User{{Name: "audit", Role: backstop.RoleAuditor, Region: backstop.NationalScope}} {
		if err := db.CreateUser(ctx, u, password); err != nil {
			t.Fatal(err)
		}
	}
	// The secrets, and which household's page may not show which dates.
	var secrets []string
	births := map[string][]string{} // household number → members' full birth dates
	var numbers []string
	var firstID, firstHousehold string // a real ID number and its household
	db.ExportHouseholds(ctx, backstop.HouseholdFilter{}, func(h *backstop.Household) error {
		numbers = append(numbers, h.Number)
		if firstID == "" && len(h.Members) > 0 {
			firstID, firstHousehold = h.Members[0].IDNumber, h.Number
		}
		for _, p := range []string{h.Phone, h.HelperPhone} {
			if p != "" {
				secrets = append(secrets, p)
			}
		}
		for _, m := range h.Members {
			secrets = append(secrets, m.IDNumber)
			if m.Phone != "" {
				secrets = append(secrets, m.Phone)
			}
			if len(m.BirthDate) == 10 {
				births[h.Number] = append(births[h.Number], m.BirthDate, strings.ReplaceAll(m.BirthDate, "-", ""))
			}
		}
		return nil
	})
	if len(secrets) < 1000 {
		t.Fatalf("only %d secrets", len(secrets))
	}
	secret := map[string]bool{}
	for _, v := range secrets {
		secret[strings.ToUpper(v)] = true
	}
	// Digit runs long enough to hold a phone (11) or an ID number (18).
	digits := regexp.MustCompile(`[0-9]{11,}[0-9Xx]?`)
	leak := func(body string) string {
		for _, run := range digits.FindAllString(body, -1) {
			run = strings.ToUpper(run)
			for n := 11; n <= len(run); n++ {
				for i := 0; i+n <= len(run); i++ {
					if (n == 11 || n == 18) && secret[run[i:i+n]] {
						return run[i : i+n]
					}
				}
			}
		}
		return ""
	}
	check := func(what, body string, household string) {
		t.Helper()
		if m := leak(body); m != "" {
			t.Errorf("%s shows %s unmasked", what, backstop.MaskCell(m))
		}
		for _, d := range births[household] {
			if strings.Contains(body, d) {
				t.Errorf("%s shows the birth date %s beside a masked ID", what, d[:4]+"…")
			}
		}
	}
	// A release, so that tasks, the link and the dashboard exist.
	boss := s.client(t, "boss", web.LangZH)
	form := url.Values{"audience": {"key_groups", "helpers", "households"}, "channel": {"sms"}, "checked": {"1"}}
	resp, _ := post(t, boss, fmt.Sprintf("%s/warnings/%d/releases", srv.URL, rs.warning.ID), form)
	releasePath := resp.Request.URL.Path
	for i := 0; i < 3; i++ {
		rs.d.Sweep(ctx)
	}
	auditor := s.client(t, "audit", web.LangZH)
	apiGet := func(c *http.Client, path string) string {
		t.Helper()
		status, body := get(t, c, srv.URL+path)
		if status != 200 {
			t.Errorf("%s: %d", path, status)
		}
		return body
	}
	releaseID := strings.TrimPrefix(releasePath, "/releases/")
	pages := []string{"/households", "/households?page=2", fmt.Sprintf("/warnings/%d", rs.warning.ID), releasePath, releasePath + "/tasks", "/audit",
		"/api/v1/households?limit=1000", fmt.Sprintf("/api/v1/warnings/%d/exposure?limit=1000", rs.warning.ID),
		"/api/v1/releases/" + releaseID, "/api/v1/releases/" + releaseID + "/tasks?limit=1000", "/api/v1/audit?limit=1000"}
	for _, who := range []struct {
		name string
		c    *http.Client
	}{{"auditor", auditor}, {"city officer, not revealing", boss}} {
		for _, p := range pages {
			if strings.Contains(p, "audit") && who.c != auditor {
				continue // the audit trail is the auditor's
			}
			check(who.name+" "+p, apiGet(who.c, p), "")
		}
		for _, n := range numbers[:40] {
			check(who.name+" household page "+n, apiGet(who.c, "/households/"+n), n)
			body := apiGet(who.c, "/api/v1/households/"+n)
			check(who.name+" household API "+n, body, n)
			var h struct {
				Members []struct {
					IDNumber  string `json:"id_number"`
					BirthDate string `json:"birth_date"`
				} `json:"members"`
			}
			json.Unmarshal([]byte(body), &h)
			for _, m := range h.Members {
				if !strings.Contains(m.IDNumber, "*") || len(m.BirthDate) > 4 {
					t.Errorf("household %s API member: id %q birth %q", n, m.IDNumber, m.BirthDate)
				}
			}
		}
	}
	// The auditor may not export (no export permission) or reveal.
	for _, p := range []string{"/api/v1/export/households", "/api/v1/export/households?reveal=1", "/api/v1/households/" + numbers[0] + "?reveal=1"} {
		if status, _ := get(t, auditor, srv.URL+p); status != 403 {
			t.Errorf("auditor %s: %d, want 403", p, status)
		}
	}
	// Nor may the auditor test a guess of an ID number by searching for it:
	// a hit tells a right guess from a wrong one, and the masked number
	// with the birth year leaves a few hundred guesses.
	for _, p := range []string{"/api/v1/households?q=" + firstID, "/households?q=" + firstID} {
		if status, body := get(t, auditor, srv.URL+p); status != 403 || strings.Contains(body, firstHousehold) || !strings.Contains(body, "不能按证件号码查询") {
			t.Errorf("auditor searching by an ID number, %s: %d, names the household %v", strings.Split(p, "?")[0], status, strings.Contains(body, firstHousehold))
		}
	}
	// A role that may reveal it finds the person by it.
	if status, body := get(t, boss, srv.URL+"/api/v1/households?q="+firstID); status != 200 || !strings.Contains(body, firstHousehold) {
		t.Errorf("city officer searching by an ID number: %d", status)
	}
	// The masked export (a city officer, who may export) shows no secret.
	check("masked csv export", apiGet(boss, "/api/v1/export/households"), "")
	// The helper's page by link: masked until the audited call.
	anon := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	link := rs.link(t)
	status, page := get(t, anon, srv.URL+link)
	if status != 200 {
		t.Fatalf("link page: %d", status)
	}
	check("the helper's link page", page, "")
	for _, text := range rs.texts {
		if strings.Contains(text, "/c/") && leak(text) != "" {
			t.Errorf("an SMS text carries a secret")
		}
	}
}
