package httpapi_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/storetest"
)

// TestInsurancePayoutChangesAssessment: a household's loss report after a
// disaster puts it under the monitoring line; its house insurance pays out
// on a claim filed after the event began, and the assessment counts the
// payout as 理赔收入: the household is no longer at risk.
func TestInsurancePayoutChangesAssessment(t *testing.T) {
	for _, e := range storetest.Engines {
		t.Run(e.Name, func(t *testing.T) {
			f := newFixture(t, e.Open)
			city := f.token(t, "city1", backstop.RoleCity, "620700000000")
			if resp, body := f.upload(t, city, storetest.SharedData(t, "templates/households.csv"), "households.csv", ""); resp.StatusCode != 201 {
				t.Fatalf("import: %d %s", resp.StatusCode, body)
			}
			storetest.SetLine(t, f.db, "620000000000", 7800)
			today := time.Now().In(backstop.Beijing)
			started := today.AddDate(0, 0, -10)
			resp, body := f.json(t, "POST", "/api/v1/events", city, fmt.Sprintf(`{"hazard":"rainstorm","title":"临泽县暴雨","started_at":%q,"regions":["620723"]}`, started.Format(time.RFC3339)))
			if resp.StatusCode != 201 {
				t.Fatalf("event: %d %s", resp.StatusCode, body)
			}
			event := decode[backstop.DisasterEvent](t, body)
			// 张建国's household: 9,800 a head, 3 people; 9,000 of crops lost:
			// 6,800 a head, under the line of 7,800.
			path := "/api/v1/households/6207231012010001"
			resp, body = f.json(t, "POST", path+"/loss-reports", city, fmt.Sprintf(`{"event_id":%d,"house_damage":"moderate","house_rooms":2,"crop_area_mu":4,"crop_loss_pct":60,"crop_loss_yuan":9000}`, event.ID))
			if resp.StatusCode != 201 {
				t.Fatalf("loss report: %d %s", resp.StatusCode, body)
			}
			before := decode[struct{ Assessment backstop.Assessment }](t, body).Assessment
			if !before.AtRisk || *before.ProjectedPerCapitaIncome != 6800 {
				t.Fatalf("before the payout: at risk %v, %v", before.AtRisk, *before.ProjectedPerCapitaIncome)
			}
			resp, body = f.json(t, "POST", "/api/v1/insurance/products", city, `{"code":"ZY-NF","name":"张掖市农房保险","kind":"house","insurer":"人保财险","region":"620700","cover":50000,"premium":30,"payer":"government","perils":["rainstorm","flood"]}`)
			if resp.StatusCode != 201 {
				t.Fatalf("product: %d %s", resp.StatusCode, body)
			}
			product := decode[backstop.InsuranceProduct](t, body)
			resp, body = f.json(t, "POST", "/api/v1/insurance/policies", city, fmt.Sprintf(`{"policies":[{"product_id":%d,"number":"NF-2026-0001","household":"6207231012010001","from":"%d-01-01","to":"%d-12-31","cover":50000}]}`,
				product.ID, today.Year(), today.Year()))
			if resp.StatusCode != 201 {
				t.Fatalf("policy: %d %s", resp.StatusCode, body)
			}
			policy := decode[struct{ Items []backstop.InsurancePolicy }](t, body).Items[0]
			resp, body = f.json(t, "POST", "/api/v1/insurance/claims", city, fmt.Sprintf(`{"policy_id":%d,"event":"临泽县暴雨","filed_on":%q,"claimed":8000}`, policy.ID, started.AddDate(0, 0, 2).Format(time.DateOnly)))
			if resp.StatusCode != 201 {
				t.Fatalf("claim: %d %s", resp.StatusCode, body)
			}
			claim := decode[backstop.InsuranceClaim](t, body)
			// Filed, not paid: nothing changes.
			resp, body = f.do(t, "GET", path+"/assessment/reevaluation", city, nil, "")
			if change := decode[backstop.AssessmentChange](t, body); resp.StatusCode != 200 || change.Changed {
				t.Fatalf("a filed claim changed the assessment: %s", body)
			}
			resp, body = f.json(t, "POST", fmt.Sprintf("/api/v1/insurance/claims/%d/settle", claim.ID), city, fmt.Sprintf(`{"state":"paid","payout":6000,"paid_on":%q}`, today.Format(time.DateOnly)))
			if resp.StatusCode != 200 {
				t.Fatalf("settle: %d %s", resp.StatusCode, body)
			}
			// (29,400 − 9,000 + 6,000) ÷ 3 = 8,800: above the line.
			resp, body = f.do(t, "GET", path+"/assessment/reevaluation", city, nil, "")
			change := decode[backstop.AssessmentChange](t, body)
			if resp.StatusCode != 200 || !change.Changed || change.Now.AtRisk || change.Now.ProjectedPerCapitaIncome == nil || *change.Now.ProjectedPerCapitaIncome != 8800 {
				t.Fatalf("after the payout: %d %s", resp.StatusCode, body)
			}
			if !strings.Contains(strings.Join(change.Changes, "\n"), "是否存在风险：是 → 否") {
				t.Errorf("the change does not say the risk is gone: %+v", change.Changes)
			}
		})
	}
}
