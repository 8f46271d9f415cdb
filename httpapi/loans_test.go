package httpapi_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/storetest"
)

// idBorn is a valid ID number of a county for a birth date.
func idBorn(county, birth string, n int) string {
	first := county[:6] + strings.ReplaceAll(birth, "-", "") + fmt.Sprintf("%03d", n)
	return first + string(backstop.IDCheckDigit(first))
}

// TestLoanRules walks a household's microcredit through the rules: each
// bad input is refused with 400 naming the policy row it breaks, a missing
// subsidy period is an error rather than a default, a top-up's part above
// the subsidy cap has no subsidy, an extension carries a granted loan
// (once, within its months), papers granted missing are listed with their
// due day, a stale grant loses with 409, and the borrower's ID number is
// masked in every answer.
func TestLoanRules(t *testing.T) {
	for _, e := range storetest.Engines {
		t.Run(e.Name, func(t *testing.T) {
			f := newFixture(t, e.Open)
			city := f.token(t, "city1", backstop.RoleCity, "620700000000")
			village := f.token(t, "village1", backstop.RoleVillage, "620722107206")
			auditor := f.token(t, "auditor1", backstop.RoleAuditor, "620700000000")
			other := f.token(t, "village2", backstop.RoleVillage, "620723101201")
			// 马福林's household (民乐县): the son is 17 and the wife 66 on
			// the day of application; 马福林 is 51.
			csv := storetest.TemplateRoster(t)
			minor, elder := idBorn("620722", "2009-06-01", 17), idBorn("620722", "1960-06-01", 66)
			csv = storetest.ReplaceCell(t, csv, 8, "证件号码", minor)
			csv = storetest.ReplaceCell(t, csv, 7, "证件号码", elder)
			if resp, body := f.upload(t, city, storetest.WriteFile(t, "households.csv", csv), "households.csv", ""); resp.StatusCode != 201 {
				t.Fatalf("import: %d %s", resp.StatusCode, body)
			}
			const number, borrower = "6207221072060012", "620722197509140617"
			path := "/api/v1/households/" + number + "/loans"
			applied := "2026-11-02"
			apply := func(token string, in map[string]any) (int, string) {
				t.Helper()
				body := map[string]any{"kind": "new", "bank": "甘肃省农村信用社", "amount": 30000, "term_months": 36, "purpose": "breeding", "borrower_id_number": borrower, "applied_on": applied}
				for k, v := range in {
					body[k] = v
				}
				resp, b := f.json(t, "POST", path, token, toJSON(body))
				if strings.Contains(string(b), borrower) || strings.Contains(string(b), minor) || strings.Contains(string(b), elder) {
					t.Errorf("an answer shows a borrower's ID number: %s", b)
				}
				return resp.StatusCode, string(b)
			}
			// No subsidy row for 2026 on: an error naming the key, no default.
			if code, body := apply(village, nil); code != 503 || !strings.Contains(body, "loans.interest_subsidy_pct") || !strings.Contains(body, "2026") {
				t.Fatalf("a loan without its subsidy period's row: %d %s", code, body)
			}
			admin := f.token(t, "admin1", backstop.RoleAdmin, backstop.NationalScope)
			resp, body := f.json(t, "POST", "/api/v1/policies", admin, `{"key":"loans.interest_subsidy_pct","region":"620700000000","value":60,"effective_from":"2026-01-01","source":"test: a later period's row"}`)
			if resp.StatusCode != 201 {
				t.Fatalf("subsidy row: %d %s", resp.StatusCode, body)
			}
			subsidyRow := decode[backstop.Policy](t, body).ID
			for _, bad := range []struct {
				name string
				in   map[string]any
				rule string
			}{
				{"over the cap", map[string]any{"amount": 50001}, "loans.amount_cap"},
				{"past 36 months", map[string]any{"term_months": 37}, "loans.term_max_months"},
				{"a borrower of 17", map[string]any{"borrower_id_number": minor}, "loans.borrower_age"},
				{"a borrower of 66", map[string]any{"borrower_id_number": elder}, "loans.borrower_age"},
				{"a consumption purpose", map[string]any{"purpose": "wedding"}, "loans.purposes"},
				{"a top-up without a loan", map[string]any{"kind": "top_up"}, "追加贷款须有未还清的贷款"},
				{"a borrower of another household", map[string]any{"borrower_id_number": "620723196106054054"}, "借款人须为该户家庭成员"},
			} {
				if code, body := apply(village, bad.in); code != 400 || !strings.Contains(body, bad.rule) {
					t.Errorf("%s: %d %s, want 400 naming %s", bad.name, code, body, bad.rule)
				}
			}
			if code, body := apply(other, nil); code != 404 {
				t.Errorf("another village's officer applied: %d %s", code, body)
			}
			code, sbody := apply(village, nil)
			if code != 201 {
				t.Fatalf("a loan within the rules: %d %s", code, sbody)
			}
			first := decode[backstop.Loan](t, []byte(sbody))
			if first.State != backstop.LoanApplied || first.BorrowerAge != 51 || first.SubsidyPct != 60 || first.SubsidizedPrincipal != 30000 || first.PurposeName != "养殖业" ||
				first.BorrowerID != "620722********0617" || !contains(first.PolicyIDs, subsidyRow) {
				t.Errorf("the loan: %s", sbody)
			}
			// A top-up beyond 100,000 in total; then one within it, whose
			// part above the 50,000 subsidy cap has no subsidy.
			if code, body := apply(village, map[string]any{"kind": "top_up", "amount": 70001}); code != 400 || !strings.Contains(body, "loans.household_cap") {
				t.Errorf("a top-up beyond 100,000: %d %s", code, body)
			}
			code, sbody = apply(village, map[string]any{"kind": "top_up", "amount": 70000})
			if code != 201 {
				t.Fatalf("a top-up to 100,000: %d %s", code, sbody)
			}
			top := decode[backstop.Loan](t, []byte(sbody))
			if top.SubsidizedPrincipal != 20000 || top.SubsidyPct != 17.14 {
				t.Errorf("the top-up's subsidy: %v of the principal, %v%% of the interest", top.SubsidizedPrincipal, top.SubsidyPct)
			}
			// Outside the cap as an exception: a village officer may not
			// approve one; the city may, and the loan says who did.
			exc := map[string]any{"amount": 1000, "exception": map[string]any{"reason": "灾后恢复生产，县乡村振兴局同意"}}
			if code, body := apply(village, exc); code != 403 {
				t.Errorf("a village officer approved an exception: %d %s", code, body)
			}
			code, sbody = apply(city, exc)
			if code != 201 || !strings.Contains(sbody, `"approved_by":"city1"`) || !strings.Contains(sbody, `"rules":["loans.amount_cap"]`) {
				t.Errorf("an exception approved by the city: %d %s", code, sbody)
			}
			// Grant the first loan with the contract missing; a stale
			// version loses.
			grant := fmt.Sprintf("/api/v1/loans/%d/grant", first.ID)
			if resp, body := f.json(t, "POST", grant, village, `{"granted_on":"2026-11-05","missing_papers":["contract"],"version":7}`); resp.StatusCode != 409 {
				t.Errorf("a stale grant: %d %s", resp.StatusCode, body)
			}
			if resp, body := f.json(t, "POST", grant, village, `{"granted_on":"2026-11-05","missing_papers":["no_such_paper"]}`); resp.StatusCode != 400 || !strings.Contains(string(body), "loans.papers") {
				t.Errorf("an unknown paper: %d %s", resp.StatusCode, body)
			}
			resp, body = f.json(t, "POST", grant, village, `{"granted_on":"2026-11-05","missing_papers":["contract"]}`)
			granted := decode[backstop.Loan](t, body)
			if resp.StatusCode != 200 || granted.State != backstop.LoanGranted || granted.Due != "2029-11-05" || len(granted.Papers) != 1 || granted.Papers[0].Name != "借款合同" {
				t.Fatalf("grant: %d %s", resp.StatusCode, body)
			}
			if resp, body := f.json(t, "POST", grant, village, `{"granted_on":"2026-11-05"}`); resp.StatusCode != 409 {
				t.Errorf("a second grant: %d %s", resp.StatusCode, body)
			}
			resp, body = f.do(t, "GET", "/api/v1/loans/missing-papers", auditor, nil, "")
			if resp.StatusCode != 200 || !strings.Contains(string(body), `"code":"contract"`) || !strings.Contains(string(body), granted.Papers[0].Due) {
				t.Errorf("missing papers: %d %s", resp.StatusCode, body)
			}
			// Extensions: beyond 12 months refused; within, once.
			ext := map[string]any{"kind": "extension", "amount": 0, "term_months": 13, "parent_id": first.ID}
			if code, body := apply(village, ext); code != 400 || !strings.Contains(body, "loans.extension_max_months") {
				t.Errorf("an extension beyond its limit: %d %s", code, body)
			}
			ext["term_months"] = 12
			code, sbody = apply(village, ext)
			if code != 201 {
				t.Fatalf("an extension: %d %s", code, sbody)
			}
			extension := decode[backstop.Loan](t, []byte(sbody))
			resp, body = f.json(t, "POST", fmt.Sprintf("/api/v1/loans/%d/grant", extension.ID), village, `{"granted_on":"2026-11-20"}`)
			if resp.StatusCode != 200 || decode[backstop.Loan](t, body).Due != "2030-11-05" {
				t.Fatalf("grant the extension: %d %s", resp.StatusCode, body)
			}
			if code, body := apply(village, map[string]any{"kind": "extension", "amount": 0, "term_months": 6, "parent_id": extension.ID}); code != 400 || !strings.Contains(body, "loans.extension_max_times") {
				t.Errorf("a second extension: %d %s", code, body)
			}
			resp, body = f.do(t, "GET", "/api/v1/loans/counts?region=620722", auditor, nil, "")
			counts := decode[map[string]int](t, body)
			if resp.StatusCode != 200 || counts["extended"] != 1 || counts["granted"] != 1 || counts["applied"] != 2 {
				t.Errorf("counts: %d %s", resp.StatusCode, body)
			}
			resp, body = f.do(t, "GET", "/api/v1/loans?state=extended", auditor, nil, "")
			if resp.StatusCode != 200 || !strings.Contains(string(body), `"total":1`) || strings.Contains(string(body), borrower) {
				t.Errorf("loans extended: %d %s", resp.StatusCode, body)
			}
			resp, body = f.do(t, "GET", "/api/v1/loans/export?format=csv", auditor, nil, "")
			if resp.StatusCode != 200 || !strings.Contains(string(body), "620722********0617") || strings.Contains(string(body), borrower) {
				t.Errorf("export: %d %.500s", resp.StatusCode, body)
			}
			if resp, body := f.do(t, "GET", path, other, nil, ""); resp.StatusCode != 404 {
				t.Errorf("another village read the loans: %d %s", resp.StatusCode, body)
			}
			// After a disaster: the granted top-up's household lost 30,000 in
			// production (the share rule: 30% of 70,000 is 21,000); proposed
			// for extension once the township verified the report.
			if resp, body := f.json(t, "POST", fmt.Sprintf("/api/v1/loans/%d/grant", top.ID), village, `{"granted_on":"2026-11-06"}`); resp.StatusCode != 200 {
				t.Fatalf("grant the top-up: %d %s", resp.StatusCode, body)
			}
			resp, body = f.json(t, "POST", "/api/v1/households/"+number+"/loss-reports", city, `{"house_damage":"none","production_loss_yuan":30000}`)
			if resp.StatusCode != 201 {
				t.Fatalf("loss report: %d %s", resp.StatusCode, body)
			}
			report := decode[struct{ ID int64 }](t, body).ID
			proposals := func() string {
				resp, body := f.do(t, "GET", "/api/v1/loans/extension-proposals", auditor, nil, "")
				if resp.StatusCode != 200 {
					t.Fatalf("proposals: %d %s", resp.StatusCode, body)
				}
				return string(body)
			}
			if strings.Contains(proposals(), fmt.Sprintf(`"loan_id":%d,`, top.ID)) {
				t.Error("an unverified loss report proposed an extension")
			}
			if resp, body := f.json(t, "POST", fmt.Sprintf("/api/v1/loss-reports/%d/verify", report), city, ""); resp.StatusCode != 200 {
				t.Fatalf("verify: %d %s", resp.StatusCode, body)
			}
			if p := proposals(); !strings.Contains(p, fmt.Sprintf(`"loan_id":%d,`, top.ID)) || !strings.Contains(p, `"production_loss_yuan":30000`) {
				t.Errorf("the verified loss report proposed no extension: %s", p)
			}
			_ = time.Now
		})
	}
}

func contains(ids []int64, id int64) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}
