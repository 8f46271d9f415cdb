package insurance_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/insurance"
	"github.com/zhangye-backstop/backstop/storetest"
)

func as(role backstop.Role, region string) context.Context {
	return backstop.NewContextWithUser(context.Background(), &backstop.User{Name: string(role) + "-" + region, Role: role, Region: region})
}

// TestInsurance: a house-insurance product; policies imported from the
// insurer's sheet (a bad row names its row and column and nothing is
// stored); a claim after an event, paid: its payout is the household's
// 理赔收入 since the event; the key-group households without house
// insurance in force are listed per village.
func TestInsurance(t *testing.T) {
	for _, e := range storetest.Engines {
		t.Run(e.Name, func(t *testing.T) {
			db := e.Open(t)
			storetest.LoadRegions(t, db)
			if _, err := storetest.ImportRoster(storetest.Admin(), db, storetest.SharedData(t, "templates/households.csv"), backstop.ImportOptions{FileName: "households.csv"}); err != nil {
				t.Fatal(err)
			}
			svc := &insurance.Service{Store: db, Now: func() time.Time { return time.Date(2026, 8, 20, 9, 0, 0, 0, backstop.Beijing) }}
			city, county := as(backstop.RoleCity, "620700000000"), as(backstop.RoleCounty, "620723000000")
			_, err := svc.CreateProduct(city, insurance.ProductInput{Code: "nf", Kind: "castle", Payer: "shared", HouseholdShare: 50, Premium: 40, Region: "620700"})
			if ds := backstop.ErrorDetails(err); len(ds) != 4 {
				t.Errorf("bad product: %v %+v", err, ds)
			}
			house, err := svc.CreateProduct(city, insurance.ProductInput{Code: "ZY-NFBX-2026", Name: "张掖市农房保险", Kind: "house", Insurer: "人保财险张掖分公司", Region: "620700",
				Cover: 50000, Premium: 30, Payer: "government", Perils: []string{"rainstorm", "flood", "earthquake", "fire"}})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := svc.CreateProduct(county, insurance.ProductInput{Code: "LZ-FPBX", Name: "临泽县防贫保险", Kind: "anti_poverty", Insurer: "太平洋财险", Region: "620723",
				Cover: 10000, Premium: 60, Payer: "shared", HouseholdShare: 10, Perils: []string{"income_drop"}}); err != nil {
				t.Fatal(err)
			}
			households, _, _ := db.FindHouseholds(storetest.Admin(), backstop.HouseholdFilter{Limit: 10})
			var keyGroup []string
			for _, h := range households {
				if h.Groups&backstop.KeyGroups != 0 {
					keyGroup = append(keyGroup, h.Number)
				}
			}
			if len(keyGroup) < 2 {
				t.Fatalf("the template roster has %d key-group households", len(keyGroup))
			}
			_, total, cov, err := svc.Gaps(city, "620700", 0, 0, 100)
			if err != nil || total != len(keyGroup) {
				t.Fatalf("gaps before any policy: %d of %d, %v", total, len(keyGroup), err)
			}
			// The insurer's sheet, with one bad row: nothing is stored.
			bad := "保单号,产品代码,户编号,起保日期,终保日期,保额\nP-001,ZY-NFBX-2026," + keyGroup[0] + ",2026/1/1,2026/12/31,50000\nP-002,NO-SUCH," + keyGroup[1] + ",2026-13-01,2026-12-31,abc\n"
			_, err = svc.ImportPolicies(city, storetest.WriteFile(t, "bad.csv", bad), "bad.csv")
			ds := backstop.ErrorDetails(err)
			if len(ds) != 3 || ds[0].Row != 3 || ds[0].Column != "产品代码" || !strings.Contains(backstop.ErrorMessageZH(err), "未导入任何保单") {
				t.Fatalf("a bad sheet: %v %+v", err, ds)
			}
			if _, n, _ := svc.Policies(city, "", "", 0, 10); n != 0 {
				t.Fatalf("a refused sheet stored %d policies", n)
			}
			good := "保单号,产品代码,户编号,起保日期,终保日期,保额\nP-001,ZY-NFBX-2026," + keyGroup[0] + ",2026/1/1,2026/12/31,\"50,000\"\n"
			if n, err := svc.ImportPolicies(city, storetest.WriteFile(t, "good.csv", good), "good.csv"); err != nil || n != 1 {
				t.Fatalf("import: %d %v", n, err)
			}
			if _, err := svc.ImportPolicies(city, storetest.WriteFile(t, "again.csv", good), "again.csv"); backstop.ErrorCode(err) != backstop.ECONFLICT {
				t.Errorf("the same policy again: %v", err)
			}
			// An expired policy does not cover.
			if _, err := svc.AddPolicies(city, []insurance.PolicyInput{{ProductID: house.ID, Number: "P-2025-9", Household: keyGroup[1], From: "2025-01-01", To: "2025-12-31", Cover: 50000}}); err != nil {
				t.Fatal(err)
			}
			gaps, total, cov, err := svc.Gaps(city, "620700", 0, 0, 100)
			if err != nil || total != len(keyGroup)-1 {
				t.Fatalf("gaps: %d, %v", total, err)
			}
			for _, g := range gaps {
				if g.Household == keyGroup[0] {
					t.Errorf("an insured household is listed as a gap")
				}
			}
			insured := 0
			for _, c := range cov {
				insured += c.Insured
			}
			if insured != 1 {
				t.Errorf("coverage: %+v", cov)
			}

			// A claim after the July rainstorm, paid in August.
			ps, _, _ := svc.Policies(city, keyGroup[0], "", 0, 10)
			if len(ps) != 1 || ps[0].ProductKind != backstop.InsuranceHouse {
				t.Fatalf("the policies of %s: %+v", keyGroup[0], ps)
			}
			c, err := svc.FileClaim(city, insurance.ClaimInput{PolicyID: ps[0].ID, Event: "2026年7月暴雨", FiledOn: "2026-07-20", Claimed: 12000})
			if err != nil {
				t.Fatal(err)
			}
			hid := ps[0].HouseholdID
			since := time.Date(2026, 7, 15, 0, 0, 0, 0, backstop.Beijing)
			if sum, _, _ := svc.ClaimIncome(city, hid, since); sum != 0 {
				t.Errorf("a filed claim counts %g before it is paid", sum)
			}
			if _, err := svc.Settle(city, c.ID, insurance.Settlement{State: "paid", Payout: 9500, PaidOn: "2026-09-01"}); backstop.ErrorCode(err) != backstop.EINVALID {
				t.Errorf("a payout in the future: %v", err)
			}
			if _, err := svc.Settle(city, c.ID, insurance.Settlement{State: "paid", Payout: 9500, PaidOn: "2026-08-10"}); err != nil {
				t.Fatal(err)
			}
			if _, err := svc.Settle(city, c.ID, insurance.Settlement{State: "refused", Note: "再次"}); backstop.ErrorCode(err) != backstop.ECONFLICT {
				t.Errorf("settling twice: %v", err)
			}
			sum, ids, err := svc.ClaimIncome(city, hid, since)
			if err != nil || sum != 9500 || len(ids) != 1 || ids[0] != c.ID {
				t.Errorf("claim income: %g %v %v", sum, ids, err)
			}
			if sum, _, _ := svc.ClaimIncome(city, hid, time.Date(2026, 8, 1, 0, 0, 0, 0, backstop.Beijing)); sum != 0 {
				t.Errorf("a claim filed before the event counts: %g", sum)
			}
			// Another county sees none of it.
			other := "620725000000"
			if strings.HasPrefix(keyGroup[0], "620725") {
				other = "620723000000"
			}
			if _, n, _ := svc.Claims(as(backstop.RoleCounty, other), "", "", 0, 10); n != 0 {
				t.Errorf("another county sees %d claims", n)
			}
			if _, n, _ := svc.Claims(city, "", "2026年7月暴雨", 0, 10); n != 1 {
				t.Errorf("the event's claims: %d", n)
			}
		})
	}
}
