package demo

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"time"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/cases"
	"github.com/zhangye-backstop/backstop/screening"
)

// CaseStore is what the case demo writes through besides the use cases.
type CaseStore interface {
	FindHouseholds(ctx context.Context, f backstop.HouseholdFilter) ([]*backstop.Household, int, error)
	CreateHousehold(ctx context.Context, h *backstop.Household) error
	FindCase(ctx context.Context, id int64) (*backstop.Case, error)
	UpdateCase(ctx context.Context, c *backstop.Case, ch *backstop.CaseChange) error
	PolicyAt(ctx context.Context, key, region string, date time.Time) (*backstop.Policy, error)
	CreatePolicy(ctx context.Context, p *backstop.Policy) error
}

// DemoCases are the case demo's households, for the walk-through of
// issue 12's "Done when" on `make run`.
type DemoCases struct {
	Green, Normal, Clearable, Held string // household numbers
}

// Cases puts the monitoring-case demo on a filled registry (once: it
// does nothing when 临泽县 has a case already): a green-channel case from
// a verified loss report with its procedure debts open (程序未完成), a
// normal case in the middle of its procedure, a household identified
// seven months ago that is eligible to clear, and a household with no
// labour on 低保 held as 暂不标注. Steps are done through the use cases;
// only the seven months are written to the case directly (time cannot be
// waited for), as if the procedure had run then.
func Cases(ctx context.Context, store CaseStore, sc *screening.Service, cs *cases.Service) (*DemoCases, error) {
	if list, _, err := cs.Cases(ctx, backstop.CaseFilter{Region: "620723", Limit: 1}); err != nil || len(list) > 0 {
		return nil, err
	}
	hs, _, err := store.FindHouseholds(ctx, backstop.HouseholdFilter{Region: "620723", Limit: 200})
	if err != nil {
		return nil, err
	}
	if len(hs) < 3 {
		return nil, fmt.Errorf("case demo: the registry has %d households in 临泽县", len(hs))
	}
	now := time.Now()
	// A line in force this year, for the clearing's income criterion.
	if _, err := store.PolicyAt(ctx, backstop.PolicyMonitoringLine, hs[0].VillageCode, now); backstop.ErrorCode(err) == backstop.ENOTFOUND {
		y := now.In(backstop.Beijing).Year()
		from := time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC)
		to := from.AddDate(1, 0, 0)
		if err := store.CreatePolicy(ctx, &backstop.Policy{Key: backstop.PolicyMonitoringLine, Region: "620000000000", Value: 7800, EffectiveFrom: from, EffectiveTo: &to,
			Source: fmt.Sprintf("演示数据（未核实）：%d年甘肃监测范围沿用2024年的7800元", y)}); err != nil {
			return nil, err
		}
	}
	var img bytes.Buffer
	png.Encode(&img, image.NewGray(image.Rect(0, 0, 8, 8)))
	consent := func(id int64) ([]string, error) {
		a, err := cs.Attach(ctx, id, bytes.NewReader(img.Bytes()))
		if err != nil {
			return nil, err
		}
		return []string{a.Hash}, nil
	}
	out := &DemoCases{Green: hs[0].Number, Normal: hs[1].Number}

	// 1. The green channel: a collapsed house, verified by the township.
	a, err := sc.FileLossReport(ctx, out.Green, screening.LossInput{HouseDamage: "collapsed", HouseRooms: 3, Note: "演示：山洪冲毁住房"})
	if err != nil {
		return nil, fmt.Errorf("case demo: loss report: %w", err)
	}
	if _, err := sc.VerifyLossReport(ctx, a.ID); err != nil {
		return nil, err
	}
	g, err := cs.Open(ctx, cases.OpenInput{Household: out.Green, Source: "assessment", GreenChannel: true, RiskTypes: []string{backstop.RiskNaturalDisaster}, DisasterSubItem: "洪涝灾害",
		Note: "演示：绿色通道，当天落实帮扶"})
	if err != nil {
		return nil, fmt.Errorf("case demo: green channel: %w", err)
	}
	if _, err := cs.AddMeasure(ctx, g.ID, cases.MeasureInput{Category: "综合保障", Item: "临时救助", Department: "civil_affairs", Person: "民政所王干事", Status: "done",
		StartedOn: dayOf(now), DoneOn: dayOf(now), Amount: ptr(3000.0)}); err != nil {
		return nil, err
	}
	hashes, err := consent(g.ID)
	if err != nil {
		return nil, err
	}
	if _, err := cs.Step(ctx, g.ID, "application", cases.StepInput{Outcome: "pass", Note: "补签授权书", Attachments: hashes}); err != nil {
		return nil, err
	}

	// 2. The normal procedure, at its village review.
	n, err := cs.Open(ctx, cases.OpenInput{Household: out.Normal, Source: "self_report", RiskTypes: []string{"100A27001"}, Note: "演示：一键报贫"})
	if err != nil {
		return nil, fmt.Errorf("case demo: normal: %w", err)
	}
	if hashes, err = consent(n.ID); err != nil {
		return nil, err
	}
	for _, st := range []struct {
		code string
		in   cases.StepInput
	}{
		{"application", cases.StepInput{Outcome: "pass", Attachments: hashes}},
		{"home_check", cases.StepInput{Outcome: "pass", Staff: []string{"李村医", "赵文书"}}},
		{"cross_check", cases.StepInput{Outcome: "pass", Answers: []backstop.DepartmentAnswer{{Department: "民政", Answer: "未享受低保", OK: true}, {Department: "医保", Answer: "已参保，自付医疗费用较高", OK: true}}}},
	} {
		if _, err := cs.Step(ctx, n.ID, st.code, st.in); err != nil {
			return nil, fmt.Errorf("case demo: %s: %w", st.code, err)
		}
	}

	// 3. Identified seven months ago, a measure done, income above the
	// line: eligible to clear.
	village := hs[0].VillageCode
	out.Clearable, err = demoHousehold(ctx, store, village, 9001, "刘永福", "普通劳动力", "", 15600)
	if err != nil {
		return nil, err
	}
	c, err := cs.Open(ctx, cases.OpenInput{Household: out.Clearable, Source: "manual", RiskTypes: []string{"100A27009"}})
	if err != nil {
		return nil, err
	}
	if err := backdate(ctx, store, c.ID, backstop.CaseActive, now.AddDate(0, -7, 0)); err != nil {
		return nil, err
	}
	if _, err := cs.AddMeasure(ctx, c.ID, cases.MeasureInput{Category: "就业帮扶", Item: "劳务输出", Department: "human_resources", Person: "人社所孙干事", Status: "done",
		StartedOn: dayOf(now.AddDate(0, -6, 0)), DoneOn: dayOf(now.AddDate(0, -2, 0))}); err != nil {
		return nil, err
	}

	// 4. No labour at all, on 低保: 暂不标注.
	out.Held, err = demoHousehold(ctx, store, village, 9002, "马桂英", "无劳动力", backstop.SocialDibao, 9000)
	if err != nil {
		return nil, err
	}
	hc, err := cs.Open(ctx, cases.OpenInput{Household: out.Held, Source: "referral", RiskTypes: []string{"100A27010"}})
	if err != nil {
		return nil, err
	}
	if err := backdate(ctx, store, hc.ID, backstop.CaseActive, now.AddDate(0, -8, 0)); err != nil {
		return nil, err
	}
	if _, err := cs.AddMeasure(ctx, hc.ID, cases.MeasureInput{Category: "综合保障", Item: "低保", Department: "civil_affairs", Person: "民政所王干事", Status: "done",
		StartedOn: dayOf(now.AddDate(0, -8, 0)), DoneOn: dayOf(now.AddDate(0, -8, 0))}); err != nil {
		return nil, err
	}
	if _, err := cs.Hold(ctx, hc.ID, "演示：整户无劳动力，纳入低保兜底"); err != nil {
		return nil, err
	}
	return out, nil
}

// demoHousehold adds a one-person household to a village.
func demoHousehold(ctx context.Context, store CaseStore, village string, seq int, name, labour string, assistance backstop.SocialAssistance, income float64) (string, error) {
	number := fmt.Sprintf("%s%04d", village, seq)
	first17 := village[:6] + "19560312" + fmt.Sprintf("%03d", seq%1000)
	id := first17 + string(backstop.IDCheckDigit(first17))
	safe, dangerous := true, false
	h := &backstop.Household{Number: number, VillageCode: village, HeadName: name, Type: "脱贫户", IncomePerCapita: &income, SafeWater: &safe, DangerousHouse: &dangerous,
		SocialAssistance: assistance, Members: []*backstop.Member{{Number: number + "01", Name: name, IDNumber: id, Relation: "户主", Labour: labour, Health: "健康"}}}
	if err := store.CreateHousehold(ctx, h); err != nil {
		return "", fmt.Errorf("case demo: household %s: %w", number, err)
	}
	return number, nil
}

// backdate writes a case as if its procedure had run on the day given:
// the state, 风险识别时间 and the monitoring decision.
func backdate(ctx context.Context, store CaseStore, id int64, state backstop.CaseState, identified time.Time) error {
	c, err := store.FindCase(ctx, id)
	if err != nil {
		return err
	}
	c.State, c.Step, c.IdentifiedOn = state, "", dayOf(identified)
	d := &backstop.MonitoringDecision{Monitored: true, MonitorType: c.MonitorType, IdentifiedOn: c.IdentifiedOn, RiskTypes: c.RiskTypes, Note: "演示数据"}
	return store.UpdateCase(ctx, c, &backstop.CaseChange{Action: "case.update", Detail: "demo: identified " + c.IdentifiedOn, Decision: d})
}

func dayOf(t time.Time) string { return t.In(backstop.Beijing).Format(time.DateOnly) }
