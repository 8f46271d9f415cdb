package web_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/storetest"
)

// The assistance pages: a household's subsidy (first the county's missing
// table named, then the amount with its computation), relief and water
// forms; the measures by department; the policy dry run; in words, never
// codes.
func TestAssistPages(t *testing.T) {
	us, app, id := caseSite(t)
	c := us.client(t, "cadre", "zh-CN")
	path := "/assist/households/" + caseNumber
	status, body := get(t, c, us.url(path))
	if status != 200 || !strings.Contains(body, "没有住房恢复重建补助标准表") || !strings.Contains(body, "620723000000") {
		t.Fatalf("household page without a table: %d\n%.3000s", status, body)
	}
	cleanPage(t, path, body)
	table := &backstop.Policy{Key: backstop.PolicyHousingSubsidy, Region: "620723000000", EffectiveFrom: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), Source: "测试",
		Data: []byte(`{"per_room":{"collapsed":20000,"severe":8000,"moderate":2000},"household_cap":{"collapsed":35000,"severe":20000,"moderate":5000},"uplift_pct":{"formerly_poor":10,"monitored":15}}`)}
	if err := app.Policy.Create(storetest.Admin(), table); err != nil {
		t.Fatal(err)
	}
	for action, form := range map[string]url.Values{
		"only-dwelling": {"only_dwelling": {"yes"}, "note": {"入户核实"}},
		"relief":        {"kind": {"temporary"}, "amount": {"1200"}},
		"water-recheck": {"litres": {"18"}, "quality": {"yes"}, "trip": {"10"}, "outage": {"2"}},
		"water-repair":  {"problem": {"管道冻裂"}, "assignee": {"王志强"}},
	} {
		if status, loc, body := postForm(t, c, us.url(path+"/"+action), form); status != 303 || !strings.Contains(loc, "done=") {
			t.Errorf("%s: %d %s %.500s", action, status, loc, body)
		}
	}
	status, body = get(t, c, us.url(path))
	// 脱贫户 and now 监测对象: min(2 × 20,000, 35,000) × 1.15 = 40,250.
	for _, want := range []string{"40250", "上浮15%", "监测对象", "临时救助", "1200.00", "人均日供水量18升，低于35升", "管道冻裂", "是否唯一住房"} {
		if !strings.Contains(body, want) {
			t.Errorf("household page lacks %q", want)
		}
	}
	checkWords(t, "cadre", path, pageText(body))
	cleanPage(t, path, body)
	if !strings.Contains(body, "data-testid=\"disbursement-form\"") {
		t.Errorf("a verified, confirmed subsidy offers no payment form")
	}
	// A bad relief amount names the field in Chinese.
	if status, _, body := postForm(t, c, us.url(path+"/relief"), url.Values{"kind": {"temporary"}, "amount": {"-5"}}); status != 400 || !strings.Contains(body, "救助金额") {
		t.Errorf("a negative relief: %d %.500s", status, body)
	}

	status, body = get(t, c, us.url(fmt.Sprintf("/cases/%d", id)))
	if status != 200 || !strings.Contains(body, "data-testid=\"case-assist-link\"") {
		t.Errorf("the case page does not link the household's assistance: %d", status)
	}

	status, body = get(t, c, us.url("/assist/queue?department=housing"))
	if status != 200 || !strings.Contains(body, "危房改造") || !strings.Contains(body, "李工") || !strings.Contains(body, "查询") || !strings.Contains(body, "重置") {
		t.Errorf("housing queue: %d\n%.2000s", status, body)
	}
	checkWords(t, "cadre", "/assist/queue", pageText(body))

	county := us.client(t, "xian01", "zh-CN")
	resp, body := post(t, county, us.url("/assist/reevaluation"), url.Values{"key": {"monitoring_line"}, "region": {"620000"}, "value": {"4000"}, "effective_from": {"2031-01-01"}, "source": {"拟定"}})
	if resp.StatusCode != 200 || !strings.Contains(body, "未保存任何数据") || !strings.Contains(body, caseNumber) || !strings.Contains(body, "将高于监测范围") {
		t.Errorf("dry run: %d\n%.3000s", resp.StatusCode, body)
	}
	checkWords(t, "xian01", "/assist/reevaluation", pageText(body))
	resp, body = post(t, county, us.url("/assist/reevaluation"), url.Values{"key": {"housing_subsidy"}, "region": {"620723"}, "data": {`{"per_room":{"collapsed":30000,"severe":8000,"moderate":2000},"household_cap":{"collapsed":50000,"severe":20000,"moderate":5000},"uplift_pct":{"formerly_poor":10,"monitored":15}}`},
		"effective_from": {"2031-01-01"}, "source": {"拟调整"}})
	if resp.StatusCode != 200 || !strings.Contains(body, "57500") || !strings.Contains(body, "40250") {
		t.Errorf("subsidy dry run: %d\n%.3000s", resp.StatusCode, body)
	}
	resp, body = post(t, county, us.url("/assist/reevaluation"), url.Values{"key": {"monitoring_line"}, "region": {"620000"}, "value": {"abc"}, "effective_from": {"2031-01-01"}, "source": {"x"}})
	if resp.StatusCode != 200 || !strings.Contains(body, "监测范围须为数字") {
		t.Errorf("a bad line: %d\n%.2000s", resp.StatusCode, body)
	}
}
