package web_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/cases"
	"github.com/zhangye-backstop/backstop/screening"
	"github.com/zhangye-backstop/backstop/storetest"
)

// 暂不标注 from the case page: the form on an active case; a household with
// labour is refused in Chinese and stays active; a household with no
// labour on 低保 is held and stays monitored.
func TestCaseHoldFromPage(t *testing.T) {
	us, app, id := caseSite(t)
	c := us.client(t, "cadre", "zh-CN")
	status, body := get(t, c, us.url(fmt.Sprintf("/cases/%d", id)))
	if status != 200 || !strings.Contains(body, `data-testid="hold-form"`) || !strings.Contains(body, "暂不标注") {
		t.Fatalf("the active case offers no hold: %d", status)
	}
	resp, body := post(t, c, us.url(fmt.Sprintf("/cases/%d/hold", id)), url.Values{"note": {"试一下"}})
	if resp.StatusCode != 400 || !strings.Contains(pageText(body), "劳动力") {
		t.Errorf("a household with labour held: %d\n%.600s", resp.StatusCode, pageText(body))
	}
	if v, err := app.Cases.View(storetest.Admin(), id); err != nil || v.State != backstop.CaseActive {
		t.Errorf("after the refused hold: %v %v", v.State, err)
	}

	ctx := storetest.Admin()
	const number = "6207231012018009"
	income := 3000.0
	h := &backstop.Household{Number: number, VillageCode: caseVillage, HeadName: "李大娘", Type: "脱贫户", IncomePerCapita: &income, SocialAssistance: backstop.SocialDibao,
		Members: []*backstop.Member{{Number: number + "01", Name: "李大娘", IDNumber: "620723194001011235", Relation: "户主", Labour: "无劳动力"}}}
	if err := us.site.db.CreateHousehold(ctx, h); err != nil {
		t.Fatal(err)
	}
	a, err := app.Screening.FileLossReport(ctx, number, screening.LossInput{HouseDamage: "collapsed", HouseRooms: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := app.Screening.VerifyLossReport(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	v, err := app.Cases.Open(ctx, cases.OpenInput{Household: number, Source: "assessment", GreenChannel: true, RiskTypes: []string{"100A27006"}, DisasterSubItem: "洪涝灾害"})
	if err != nil {
		t.Fatal(err)
	}
	resp, body = post(t, c, us.url(fmt.Sprintf("/cases/%d/hold", v.ID)), url.Values{"note": {"整户无劳动力，纳入低保"}})
	if resp.StatusCode != 200 || !strings.Contains(body, "暂不标注") {
		t.Errorf("hold from the page: %d\n%.600s", resp.StatusCode, pageText(body))
	}
	if got, err := app.Cases.View(ctx, v.ID); err != nil || got.State != backstop.CaseHeld {
		t.Errorf("the held case: %v %v", got.State, err)
	}
	checkWords(t, "cadre", "/cases/id", pageText(body))
}
