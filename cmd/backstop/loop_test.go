package main

import (
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/zhangye-backstop/backstop"
)

// loopCase is what the walk-through reads of a case.
type loopCase struct {
	ID           int64  `json:"id"`
	State        string `json:"state"`
	Step         string `json:"step"`
	GreenChannel bool   `json:"green_channel"`
	IdentifiedOn string `json:"identified_on"`
	Version      int    `json:"version"`
	Incomplete   bool   `json:"incomplete"`
	CreatedAt    time.Time
	Debts        []struct {
		Step   string     `json:"step"`
		Due    string     `json:"due"`
		PaidAt *time.Time `json:"paid_at"`
	} `json:"debts"`
	Measures []struct {
		Category  string `json:"category"`
		Status    string `json:"status"`
		StartedOn string `json:"started_on"`
	} `json:"measures"`
}

func (c *loopCase) openDebts() []string {
	var out []string
	for _, d := range c.Debts {
		if d.PaidAt == nil {
			out = append(out, d.Step)
		}
	}
	return out
}

type loopError struct {
	Code string `json:"code"`
	ZH   string `json:"message_zh"`
}

type loopFunnel struct {
	Found     int `json:"found"`
	Monitored int `json:"monitored"`
	Helped    int `json:"helped"`
	Cleared   int `json:"cleared"`
	Held      int `json:"held"`
	OpenDebts int `json:"open_debts"`
}

// TestLoopDoneWhen walks issue 12's "Done when" on the demo data of a
// real `backstop serve --demo` (the embedded SQLite, as `make run`), over
// HTTP as an officer would: the green-channel household helped the same
// day and its procedure debts paid later; another household through the
// whole normal procedure to 监测对象; measures, a housing subsidy computed
// from a county's table and paid, the demo's loan with its extension; the
// household identified seven months ago cleared through the clearing
// procedure; the household with no labour held as 暂不标注 and refused a
// clearing; the dashboard showing the loop move.
func TestLoopDoneWhen(t *testing.T) {
	env := []string{"BACKSTOP_ADMIN_PASSWORD=loop admin password"}
	addr, data := freeAddr(t), t.TempDir()
	p := serveProcess(t, env, "--demo", "--demo-households", "800", "--addr", addr, "--data", data)
	base := "http://" + addr
	api := signIn(t, base, "loop admin password")

	// The demo's households, as its log names them.
	m := regexp.MustCompile(`case demo loaded.*green_channel=(\d+) normal=(\d+) clearable=(\d+) held=(\d+)`).FindStringSubmatch(p.logs.String())
	if m == nil {
		t.Fatalf("no case demo in the log:\n%s", p.logs.String())
	}
	green, normal, clearable, held := m[1], m[2], m[3], m[4]
	today := time.Now().In(backstop.Beijing).Format(time.DateOnly)
	day := func(offset int) string {
		return time.Now().In(backstop.Beijing).AddDate(0, 0, offset).Format(time.DateOnly)
	}

	caseOf := func(number string) *loopCase {
		t.Helper()
		var list struct {
			Items []loopCase `json:"items"`
		}
		if code := api.call(t, "GET", "/api/v1/cases?household="+number, "", &list); code != 200 || len(list.Items) == 0 {
			t.Fatalf("cases of %s: %d %+v", number, code, list)
		}
		var c loopCase
		if code := api.call(t, "GET", fmt.Sprintf("/api/v1/cases/%d", list.Items[0].ID), "", &c); code != 200 {
			t.Fatalf("case %d: %d", list.Items[0].ID, code)
		}
		return &c
	}
	page := func(path string) string {
		t.Helper()
		resp, err := api.c.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d %s", path, resp.StatusCode, b)
		}
		return string(b)
	}
	// What each kind of step needs, as an officer fills it in.
	stepBody := func(code string) string {
		switch code {
		case "home_check":
			return `{"outcome":"pass","staff":["李村医","赵文书"],"note":"入户核实属实"}`
		case "cross_check":
			return `{"outcome":"pass","answers":[{"department":"民政","answer":"未享受低保","ok":true},{"department":"住建","answer":"住房已鉴定为D级","ok":true}]}`
		case "notice":
			return `{"outcome":"pass","notice_from":"` + day(-6) + `","notice_to":"` + day(-1) + `","note":"村委会公示栏公示，无异议"}`
		}
		return `{"outcome":"pass","note":"同意"}`
	}
	step := func(c *loopCase, code string) {
		t.Helper()
		var out loopCase
		if status := api.call(t, "POST", fmt.Sprintf("/api/v1/cases/%d/steps/%s", c.ID, code), stepBody(code), &out); status != 200 {
			t.Fatalf("case %d step %s: %d", c.ID, code, status)
		}
	}
	funnel := func() loopFunnel {
		t.Helper()
		var f loopFunnel
		if code := api.call(t, "GET", "/api/v1/funnel?region=620723", "", &f); code != 200 {
			t.Fatalf("funnel: %d", code)
		}
		return f
	}
	before := funnel()
	if before.Found < 4 || before.Monitored < 3 || before.Held < 1 || before.OpenDebts == 0 {
		t.Fatalf("the demo's loop: %+v", before)
	}

	// 1. The green channel: active at once, helped the same day, 程序未完成.
	g := caseOf(green)
	if !g.GreenChannel || g.State != "active" || !g.Incomplete || len(g.openDebts()) == 0 {
		t.Fatalf("green-channel case: %+v", g)
	}
	sameDay := false
	for _, ms := range g.Measures {
		sameDay = sameDay || (ms.Status == "done" && ms.StartedOn == g.IdentifiedOn)
	}
	if !sameDay {
		t.Errorf("green channel: no measure done on the day of identification %s: %+v", g.IdentifiedOn, g.Measures)
	}
	if html := page(fmt.Sprintf("/cases/%d", g.ID)); !strings.Contains(html, "程序未完成") {
		t.Errorf("the green-channel case page does not say 程序未完成")
	}
	// The debts paid later, one by one in the procedure's order.
	for range 10 {
		open := g.openDebts()
		if len(open) == 0 {
			break
		}
		step(g, open[0])
		g = caseOf(green)
	}
	if len(g.openDebts()) != 0 || g.Incomplete || g.State != "active" {
		t.Fatalf("green channel after paying its debts: %+v", g)
	}
	if html := page(fmt.Sprintf("/cases/%d", g.ID)); strings.Contains(html, "程序未完成") {
		t.Errorf("the case page still says 程序未完成 with every debt paid")
	}

	// 2. The normal procedure, from its village review to the national
	// system: 监测对象 on county approval.
	n := caseOf(normal)
	if n.State != "in_procedure" || n.Step != "village_review" {
		t.Fatalf("normal case: %s at %s", n.State, n.Step)
	}
	// A notice shorter than the policy is refused, naming it.
	var refusal struct {
		Error loopError `json:"error"`
	}
	step(n, "village_review")
	short := `{"outcome":"pass","notice_from":"` + day(-2) + `","notice_to":"` + day(-1) + `"}`
	if code := api.call(t, "POST", fmt.Sprintf("/api/v1/cases/%d/steps/notice", n.ID), short, &refusal); code != 400 || !strings.Contains(refusal.Error.ZH, "公示期为2天") {
		t.Errorf("a two-day notice: %d %+v", code, refusal)
	}
	for _, code := range []string{"notice", "township_review", "county_approval"} {
		step(n, code)
	}
	if n = caseOf(normal); n.State != "active" || n.IdentifiedOn != today || n.Step != "national_entry" {
		t.Fatalf("normal case after county approval: %s at %s, identified %s", n.State, n.Step, n.IdentifiedOn)
	}
	step(n, "national_entry")
	var hh struct {
		Groups        []string `json:"groups"`
		LocalDecision *struct {
			Monitored    bool   `json:"monitored"`
			IdentifiedOn string `json:"identified_on"`
			Source       string `json:"source"`
		} `json:"local_decision"`
	}
	if code := api.call(t, "GET", "/api/v1/households/"+normal, "", &hh); code != 200 || hh.LocalDecision == nil || !hh.LocalDecision.Monitored || hh.LocalDecision.IdentifiedOn != today {
		t.Errorf("the normal case's household is not 监测对象 by the local decision: %d %+v", code, hh)
	}
	if !slices.Contains(hh.Groups, "monitored") {
		t.Errorf("the normal case's household is not in the group 监测对象 without a restart: %v", hh.Groups)
	}
	// Its plan: a development measure, started.
	if code := api.call(t, "POST", fmt.Sprintf("/api/v1/cases/%d/measures", n.ID),
		`{"category":"产业帮扶","item":"养殖业","department":"agriculture","person":"农技站张工","status":"in_progress","started_on":"`+today+`","amount":5000}`, nil); code != 201 {
		t.Fatalf("measure: %d", code)
	}

	// 3. The housing subsidy of the green-channel household's collapsed
	// house (3 rooms), 监测对象: on the demo's table of 临泽县
	// min(3 × 20,000, 40,000) × (1 + 15 %) = 46,000 yuan; on the county's
	// new version min(3 × 20,000, 50,000) × (1 + 10 %) = 55,000.
	var sub struct {
		Amount      int64   `json:"amount"`
		PolicyIDs   []int64 `json:"policy_ids"`
		Verified    bool    `json:"verified"`
		Disbursed   int64   `json:"disbursed"`
		Outstanding int64   `json:"outstanding"`
	}
	if code := api.call(t, "GET", "/api/v1/households/"+green+"/housing-subsidy", "", &sub); code != 200 || sub.Amount != 46000 || !sub.Verified || len(sub.PolicyIDs) == 0 {
		t.Fatalf("housing subsidy on the demo table: %d %+v", code, sub)
	}
	demoTable := sub.PolicyIDs[0]
	table := `{"key":"housing_subsidy","region":"620723000000","unit":"yuan","effective_from":"2024-01-01","source":"test: 临泽县 table, hand-worked",
	 "data":{"per_room":{"collapsed":20000,"severe":12000,"moderate":5000},"household_cap":{"collapsed":50000,"severe":30000,"moderate":10000},"uplift_pct":{"formerly_poor":10,"monitored":10}}}`
	if code := api.call(t, "POST", "/api/v1/policies", table, nil); code != 201 {
		t.Fatalf("housing subsidy table: %d", code)
	}
	if code := api.call(t, "GET", "/api/v1/households/"+green+"/housing-subsidy", "", &sub); code != 200 || sub.Amount != 55000 || len(sub.PolicyIDs) == 0 || sub.PolicyIDs[0] == demoTable {
		t.Fatalf("housing subsidy on the new version: %d %+v", code, sub)
	}
	if code := api.call(t, "POST", "/api/v1/households/"+green+"/housing-subsidy/only-dwelling", `{"only_dwelling":true,"note":"村委会确认为唯一住房"}`, nil); code >= 300 {
		t.Fatalf("only dwelling: %d", code)
	}
	if code := api.call(t, "POST", "/api/v1/households/"+green+"/housing-subsidy/disbursements", `{"amount":30000,"paid_on":"`+today+`","paid_by":"县住建局","note":"首期"}`, &sub); code >= 300 || sub.Disbursed != 30000 || sub.Outstanding != 25000 {
		t.Fatalf("disbursement: %d %+v", code, sub)
	}

	// 4. Microcredit: the demo's loan extended (展期) after the disaster.
	var loans struct {
		Total int `json:"total"`
		Items []struct {
			Kind     string `json:"kind"`
			State    string `json:"state"`
			ParentID int64  `json:"parent_id"`
		} `json:"items"`
	}
	if code := api.call(t, "GET", "/api/v1/loans?region=620700&limit=100", "", &loans); code != 200 || loans.Total < 6 {
		t.Errorf("the demo's loans: %d %+v", code, loans)
	}
	extended := false
	for _, l := range loans.Items {
		extended = extended || (l.Kind == "extension" && l.ParentID != 0 && l.State != "applied")
	}
	if !extended {
		t.Errorf("no granted extension among the demo's loans: %+v", loans.Items)
	}

	// 5. Identified seven months ago: eligible, and cleared through the
	// clearing procedure (帮扶消除).
	var elig struct {
		Eligible bool `json:"eligible"`
		Reasons  []struct {
			Code string `json:"code"`
		} `json:"reasons"`
	}
	if code := api.call(t, "GET", "/api/v1/households/"+clearable+"/clearing", "", &elig); code != 200 || !elig.Eligible {
		t.Fatalf("clearable household: %d %+v", code, elig)
	}
	c := caseOf(clearable)
	if code := api.call(t, "POST", fmt.Sprintf("/api/v1/cases/%d/clearing", c.ID), `{"way":"help","note":"收入稳定超过监测范围"}`, nil); code != 200 && code != 201 {
		t.Fatalf("clearing proposal: %d", code)
	}
	for range 10 {
		if c = caseOf(clearable); c.State != "clearing" {
			break
		}
		step(c, c.Step)
	}
	if c.State != "cleared" {
		t.Fatalf("the clearable household's case: %s at %s", c.State, c.Step)
	}
	hh.Groups, hh.LocalDecision = nil, nil
	if code := api.call(t, "GET", "/api/v1/households/"+clearable, "", &hh); code != 200 || hh.LocalDecision == nil || hh.LocalDecision.Monitored || slices.Contains(hh.Groups, "monitored") {
		t.Errorf("the cleared household is still 监测对象: %d %+v", code, hh)
	}

	// 6. No labour, on 低保: held as 暂不标注, never cleared.
	h := caseOf(held)
	if h.State != "held" {
		t.Errorf("the household with no labour: %s", h.State)
	}
	elig.Eligible, elig.Reasons = true, nil
	api.call(t, "GET", "/api/v1/households/"+held+"/clearing", "", &elig)
	refused := false
	for _, r := range elig.Reasons {
		refused = refused || r.Code == "no_labour_safety_net"
	}
	if elig.Eligible || !refused {
		t.Errorf("the held household's clearing: %+v", elig)
	}
	if code := api.call(t, "POST", fmt.Sprintf("/api/v1/cases/%d/clearing", h.ID), `{"way":"natural"}`, nil); code < 400 {
		t.Errorf("a clearing of a 暂不标注 household: %d", code)
	}

	// 7. The dashboard shows the loop move: one more monitored (the normal
	// case), one more helped, one more cleared, the debts paid.
	after := funnel()
	if after.Monitored != before.Monitored+1 || after.Cleared != before.Cleared+1 || after.Helped != before.Helped+1 || after.Held != before.Held ||
		after.Found != before.Found || after.OpenDebts >= before.OpenDebts {
		t.Errorf("the loop: before %+v, after %+v", before, after)
	}
	html := page("/funnel?region=620723")
	for _, want := range []string{"发现风险户", "纳入监测", "已落实帮扶", "风险消除", "临泽县"} {
		if !strings.Contains(html, want) {
			t.Errorf("the dashboard page lacks %q", want)
		}
	}
	resp, err := api.c.Get(base + "/funnel/export.xlsx?region=620723")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("dashboard export: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
}
