package httpapi_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/screening"
	"github.com/zhangye-backstop/backstop/server"
	"github.com/zhangye-backstop/backstop/sqlstore"
	"github.com/zhangye-backstop/backstop/storetest"
)

// assistFixture is a served store with the township's and the county's
// duty officers of 沙河镇, 临泽县, and a village cadre's token.
func assistFixture(t *testing.T, open func(testing.TB) *sqlstore.DB) (*fixture, string) {
	t.Helper()
	db := open(t)
	storetest.LoadRegions(t, db)
	f := serve(t, db, server.Config{MaxUploadBytes: 1 << 20, DataDir: t.TempDir()})
	if err := db.CreateContacts(storetest.Admin(),
		&backstop.Contact{Kind: backstop.ContactDutyOfficer, Name: "沙河镇值班", Region: "620723101000", Phone: "13900000001"},
		&backstop.Contact{Kind: backstop.ContactDutyOfficer, Name: "临泽县值班", Region: "620723000000", Phone: "13900000002"},
		&backstop.Contact{Kind: backstop.ContactVillageCadre, Name: "西寨村书记", Region: "620723101201", Phone: "13900000003"}); err != nil {
		t.Fatal(err)
	}
	return f, f.token(t, "cadre", backstop.RoleVillage, "620723101201")
}

// at moves the clock engine and the use cases that count from its time.
func (f *fixture) at(t *testing.T, when time.Time) {
	t.Helper()
	now := func() time.Time { return when }
	f.app.Clocks.Now, f.app.Cases.Now, f.app.Assist.Now = now, now, now
	t.Cleanup(func() { f.app.Clocks.Now, f.app.Cases.Now, f.app.Assist.Now = nil, nil, nil })
}

// sweep runs the due clocks, as the server's poll does.
func (f *fixture) sweep(t *testing.T) {
	t.Helper()
	if _, err := f.app.Clocks.RunDue(storetest.Admin()); err != nil {
		t.Fatal(err)
	}
}

// escalation is a message of the outbox: its stream, address and text.
type escalation struct {
	stream  int64
	address string
	text    string
}

// escalations lists the outbox's messages whose text contains what.
func (f *fixture) escalations(t *testing.T, what string) []escalation {
	t.Helper()
	rows, err := f.db.WriteDB().Query(`SELECT m.stream_id, m.address, t.text FROM messages m JOIN message_texts t ON t.id = m.text_id ORDER BY m.id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []escalation
	for rows.Next() {
		var e escalation
		if err := rows.Scan(&e.stream, &e.address, &e.text); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(e.text, what) {
			out = append(out, e)
		}
	}
	return out
}

// openCase opens a green-channel case (risk types risks, 因自然灾害 when
// none) of a new household of 西寨村 through the API, and returns its id.
func (f *fixture) openCase(t *testing.T, token, number, labour string, risks ...string) int64 {
	t.Helper()
	ctx := storetest.Admin()
	caseHousehold(t, f, number, labour, "", 5000, false)
	loss, err := f.app.Screening.FileLossReport(ctx, number, screening.LossInput{HouseDamage: "collapsed", HouseRooms: 2})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.app.Screening.VerifyLossReport(ctx, loss.ID); err != nil {
		t.Fatal(err)
	}
	if len(risks) == 0 {
		risks = []string{"100A27006"}
	}
	resp, c, b := f.caseDo(t, token, "POST", "/api/v1/cases", `{"household":"`+number+`","source":"assessment","green_channel":true,"risk_types":["`+strings.Join(risks, `","`)+`"],"disaster_sub_item":"洪涝灾害"}`)
	if resp.StatusCode != 201 {
		t.Fatalf("case of %s: %d %s", number, resp.StatusCode, b)
	}
	return c.ID
}

// clockOf reads the clock of a kind and subject.
func (f *fixture) clockOf(t *testing.T, kind, subject string) *backstop.Clock {
	t.Helper()
	clk, err := f.db.FindClock(storetest.Admin(), kind, subject)
	if err != nil {
		t.Fatalf("clock %s %s: %v", kind, subject, err)
	}
	return clk
}

func lastDay(c *backstop.Clock) string {
	return c.Due.Add(-time.Second).In(backstop.Beijing).Format("1月2日")
}

// TestAssistanceClocksEscalate: a 低保/特困 referral civil affairs has not
// answered and a drinking-water repair not done by their due dates are
// escalated as an overdue case step is — each township duty officer gets
// one SMS at the due time, the county's one after the policy's working
// days, and a third sweep sends nothing. The referral's go out in its
// case's stream; a repair's in the household's open case's, or its own
// when the household has no case. A referral answered and a repair done
// before their due dates send nothing; no phone number typed into a
// repair reaches the SMS.
func TestAssistanceClocksEscalate(t *testing.T) {
	for _, e := range storetest.Engines {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			f, village := assistFixture(t, e.Open)
			ctx := storetest.Admin()
			// Two households without labour, each referred to civil
			// affairs; the second is answered in time.
			referral := func(caseID int64) backstop.Measure {
				t.Helper()
				resp, b := f.json(t, "POST", fmt.Sprintf("/api/v1/cases/%d/plan", caseID), village, `{"measures":[{"rule":"no_labour_dibao","person":"民政办张敏"}]}`)
				if resp.StatusCode != 201 {
					t.Fatalf("referral: %d %s", resp.StatusCode, b)
				}
				return decode[struct{ Items []backstop.Measure }](t, b).Items[0]
			}
			lateCase := f.openCase(t, village, "6207231012019001", "无劳动力")
			late := referral(lateCase)
			answered := referral(f.openCase(t, village, "6207231012019002", "无劳动力"))
			if resp, b := f.json(t, "POST", fmt.Sprintf("/api/v1/measures/%d/referral-answer", answered.ID), village, `{"answer":"approved","note":"民政局同意纳入低保"}`); resp.StatusCode != 200 {
				t.Fatalf("answer: %d %s", resp.StatusCode, b)
			}
			// A third, whose case is refused before the due date: nobody
			// chases its answer.
			closedCase := f.openCase(t, village, "6207231012019004", "无劳动力")
			closed := referral(closedCase)
			if err := f.db.ExecForTest(ctx, `UPDATE cases SET state = 'refused' WHERE id = ?`, closedCase); err != nil {
				t.Fatal(err)
			}
			c, err := f.db.FindCase(ctx, lateCase)
			if err != nil {
				t.Fatal(err)
			}
			// Repairs: one of the household with a case, one of a
			// household without (its assignee typed with a phone number),
			// one done in time.
			caseHousehold(t, f, "6207231012019003", "普通劳动力", "", 9000, false)
			repair := func(number, body string) backstop.WaterRepair {
				t.Helper()
				resp, b := f.json(t, "POST", "/api/v1/households/"+number+"/water/repairs", village, body)
				if resp.StatusCode != 201 {
					t.Fatalf("repair: %d %s", resp.StatusCode, b)
				}
				return decode[backstop.WaterRepair](t, b)
			}
			withCase := repair("6207231012019001", `{"problem":"入户管道冻裂","assignee":"王志强","department":"临泽县水务局"}`)
			ownStream := repair("6207231012019003", `{"problem":"水窖渗漏","assignee":"李建华13912345678"}`)
			done := repair("6207231012019003", `{"problem":"水龙头损坏","assignee":"李建华"}`)
			if resp, b := f.json(t, "POST", fmt.Sprintf("/api/v1/water/repairs/%d/done", done.ID), village, fmt.Sprintf(`{"version":%d,"note":"已更换"}`, done.Version)); resp.StatusCode != 200 {
				t.Fatalf("done: %d %s", resp.StatusCode, b)
			}
			lateClock := f.clockOf(t, backstop.ClockReferralAnswer, fmt.Sprintf("measure:%d", late.ID))
			withCaseClock := f.clockOf(t, backstop.ClockWaterRepair, fmt.Sprintf("water_repair:%d", withCase.ID))
			ownClock := f.clockOf(t, backstop.ClockWaterRepair, fmt.Sprintf("water_repair:%d", ownStream.ID))
			if withCaseClock.State != backstop.ClockRunning || withCaseClock.DueDate != withCase.DueOn || withCaseClock.Region != "620723101201" {
				t.Fatalf("the repair's clock: %+v (due on %s)", withCaseClock, withCase.DueOn)
			}
			if clk := f.clockOf(t, backstop.ClockWaterRepair, fmt.Sprintf("water_repair:%d", done.ID)); clk.State != backstop.ClockMet {
				t.Errorf("the clock of the repair done: %s", clk.State)
			}

			// Before the due dates a sweep tells nobody.
			f.sweep(t)
			if got := append(f.escalations(t, "转介"), f.escalations(t, "饮水设施维修任务")...); len(got) != 0 {
				t.Fatalf("escalated before the due dates: %+v", got)
			}

			// Past every due date: the township is told of each, once.
			later := time.Now().AddDate(0, 1, 0)
			f.at(t, later)
			f.sweep(t)
			name := "西寨村"
			if r, err := f.db.FindRegion(ctx, "620723101201", false); err == nil {
				name = r.Name
			}
			want := map[string]escalation{
				"referral": {c.StreamID, "", fmt.Sprintf("【监测帮扶督办】%s户主9001户（户编号6207231012019001）的低保/特困转介已超过民政答复时限（%s前），请%%s督促尽快答复。", name, lastDay(lateClock))},
				"repair":   {c.StreamID, "", fmt.Sprintf("【监测帮扶督办】%s户主9001户（户编号6207231012019001）的饮水设施维修任务（入户管道冻裂，负责人王志强）已超过完成时限（%s前），请%%s督促尽快修复。", name, lastDay(withCaseClock))},
				"own":      {0, "", fmt.Sprintf("【监测帮扶督办】%s户主9003户（户编号6207231012019003）的饮水设施维修任务（水窖渗漏，负责人李建华139****5678）已超过完成时限（%s前），请%%s督促尽快修复。", name, lastDay(ownClock))},
			}
			check := func(stage string, towns, counties int) {
				t.Helper()
				got := append(f.escalations(t, "转介"), f.escalations(t, "饮水设施维修任务")...)
				if len(got) != 3*(towns+counties) {
					t.Errorf("%s: %d escalations, want %d: %+v", stage, len(got), 3*(towns+counties), got)
				}
				streams := map[int64]bool{}
				for key, w := range want {
					for _, level := range []struct {
						address, name string
						n             int
					}{{"13900000001", "乡镇", towns}, {"13900000002", "县区", counties}} {
						text, n := fmt.Sprintf(w.text, level.name), 0
						for _, g := range got {
							if g.text == text && g.address == level.address {
								n++
								if w.stream != 0 && g.stream != w.stream {
									t.Errorf("%s: the %s escalation went out in stream %d, not the case's %d", stage, key, g.stream, w.stream)
								}
								streams[g.stream] = true
							}
						}
						if n != level.n {
							t.Errorf("%s: %s told %d times of the %s:\n%s\ngot %+v", stage, level.name, n, key, text, got)
						}
					}
				}
				for _, g := range got {
					if strings.Contains(g.text, "13912345678") || strings.Contains(g.text, idNumber("620723", 1+40)) || strings.Contains(g.text, idNumber("620723", 3+40)) || g.address == "13900000003" {
						t.Errorf("%s: %+v", stage, g)
					}
					if strings.Contains(g.text, "6207231012019002") || strings.Contains(g.text, "6207231012019004") || strings.Contains(g.text, "水龙头") {
						t.Errorf("%s: told of what was done in time: %s", stage, g.text)
					}
				}
				if towns+counties > 0 && (len(streams) != 2 || streams[0]) {
					t.Errorf("%s: streams %v: the repair without a case needs its own", stage, streams)
				}
			}
			check("at the due time", 1, 0)
			if clk := f.clockOf(t, backstop.ClockReferralAnswer, fmt.Sprintf("measure:%d", answered.ID)); clk.State != backstop.ClockMet {
				t.Errorf("the answered referral's clock: %s", clk.State)
			}
			if clk := f.clockOf(t, backstop.ClockReferralAnswer, fmt.Sprintf("measure:%d", closed.ID)); clk.State != backstop.ClockCancelled {
				t.Errorf("the clock of the referral whose case was refused: %s", clk.State)
			}

			// Past the policy's working days: the county, once.
			f.at(t, later.AddDate(0, 0, 20))
			f.sweep(t)
			check("after the county's interval", 1, 1)
			for _, subject := range []struct{ kind, subject string }{
				{backstop.ClockReferralAnswer, lateClock.Subject}, {backstop.ClockWaterRepair, withCaseClock.Subject}, {backstop.ClockWaterRepair, ownClock.Subject},
			} {
				if clk := f.clockOf(t, subject.kind, subject.subject); clk.Stage != 2 || clk.State != backstop.ClockRunning || clk.FireAt != nil {
					t.Errorf("%s: stage %d, %s, fires at %v", clk.Subject, clk.Stage, clk.State, clk.FireAt)
				}
			}
			// Once more: nothing new.
			f.at(t, later.AddDate(0, 0, 40))
			f.sweep(t)
			check("a third sweep", 1, 1)

			// The repair done late meets its clock.
			if resp, b := f.json(t, "POST", fmt.Sprintf("/api/v1/water/repairs/%d/done", withCase.ID), village, fmt.Sprintf(`{"version":%d}`, withCase.Version)); resp.StatusCode != 200 {
				t.Fatalf("done late: %d %s", resp.StatusCode, b)
			}
			if clk := f.clockOf(t, backstop.ClockWaterRepair, withCaseClock.Subject); clk.State != backstop.ClockMet {
				t.Errorf("the late repair's clock: %s", clk.State)
			}
		})
	}
}

// TestAssistanceEscalationWithoutPolicy: with no version of the county's
// interval (case.escalate_county_workdays) a due repair's clock fails
// naming the key and tells nobody; once an admin adds the version the
// next sweep escalates it, once.
func TestAssistanceEscalationWithoutPolicy(t *testing.T) {
	for _, e := range storetest.Engines {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			f, village := assistFixture(t, e.Open)
			if err := f.db.ExecForTest(storetest.Admin(), `DELETE FROM policies WHERE key = ?`, backstop.PolicyCaseEscalateCounty); err != nil {
				t.Fatal(err)
			}
			caseHousehold(t, f, "6207231012019004", "普通劳动力", "", 9000, false)
			resp, b := f.json(t, "POST", "/api/v1/households/6207231012019004/water/repairs", village, `{"problem":"入户管道冻裂","assignee":"王志强"}`)
			if resp.StatusCode != 201 {
				t.Fatalf("repair: %d %s", resp.StatusCode, b)
			}
			r := decode[backstop.WaterRepair](t, b)
			subject := fmt.Sprintf("water_repair:%d", r.ID)
			later := time.Now().AddDate(0, 1, 0)
			f.at(t, later)
			f.sweep(t)
			clk := f.clockOf(t, backstop.ClockWaterRepair, subject)
			if clk.Stage != 0 || !strings.Contains(clk.LastError, backstop.PolicyCaseEscalateCounty) {
				t.Errorf("without the policy: stage %d, last error %q", clk.Stage, clk.LastError)
			}
			if got := f.escalations(t, "饮水设施维修任务"); len(got) != 0 {
				t.Errorf("escalated without the policy: %+v", got)
			}
			admin := f.token(t, "root", backstop.RoleAdmin, "000000000000")
			if resp, b := f.json(t, "POST", "/api/v1/policies", admin, `{"key":"`+backstop.PolicyCaseEscalateCounty+`","region":"000000000000","value":3,"unit":"workdays","effective_from":"2023-01-01","source":"测试"}`); resp.StatusCode != 201 {
				t.Fatalf("policy: %d %s", resp.StatusCode, b)
			}
			// Past the failed run's retry.
			f.at(t, later.Add(time.Hour))
			f.sweep(t)
			if got := f.escalations(t, "饮水设施维修任务"); len(got) != 1 || got[0].address != "13900000001" {
				t.Errorf("after the policy was added: %+v", got)
			}
			if clk := f.clockOf(t, backstop.ClockWaterRepair, subject); clk.Stage != 1 || clk.LastError != "" {
				t.Errorf("after the policy was added: stage %d, %q", clk.Stage, clk.LastError)
			}
		})
	}
}
