package web

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/assist"
)

// The household-level assistance pages (issue 12 item 4 and 7) under
// 监测帮扶: a household's housing subsidy, drinking water and relief, the
// measures by department (each department's queue), and the
// re-evaluation (dry run of a candidate policy). Handlers decode, call the
// assist use case, render.

func (h *Handler) assistRoutes() {
	h.handle("GET /assist/households/{number}", h.assistHousehold)
	h.handle("POST /assist/households/{number}/{action}", h.assistHouseholdAction)
	h.handle("GET /assist/queue", h.assistQueue)
	h.handle("GET /assist/reevaluation", h.reevaluationPage)
	h.handle("POST /assist/reevaluation", h.reevaluationPage)
}

func (h *Handler) assistCrumbs(r *http.Request, items ...crumb) []crumb {
	return append([]crumb{{Label: h.tr(r, "menu.group.cases"), Href: "/cases"}}, items...)
}

// assistHousehold shows a household's subsidy (or why none can be
// computed, e.g. the county's missing table), water and relief.
func (h *Handler) assistHousehold(w http.ResponseWriter, r *http.Request) error {
	number := r.PathValue("number")
	ctx := r.Context()
	data := map[string]any{"Number": number, "Done": r.URL.Query().Get("done"), "Today": time.Now().In(backstop.Beijing).Format(time.DateOnly)}
	sub, err := h.cfg.Assist.HousingSubsidy(ctx, number)
	switch backstop.ErrorCode(err) {
	case "":
		data["Subsidy"] = sub
	case backstop.ENOTFOUND, backstop.EUNAVAILABLE:
		// No loss report, or the county has no table: said on the page
		// (an unknown household fails the reads below).
		data["SubsidyError"] = backstop.ErrorMessageZH(err)
	default:
		return err
	}
	if data["Water"], err = h.cfg.Assist.WaterRecords(ctx, number); err != nil {
		return err
	}
	if data["Relief"], _, err = h.cfg.Assist.Relief(ctx, number, "", 0, 100); err != nil {
		return err
	}
	if data["Repairs"], _, err = h.cfg.Assist.Repairs(ctx, number, "", false, 0, 100); err != nil {
		return err
	}
	h.render(w, r, http.StatusOK, "assist_household.html", &page{Title: h.tr(r, "assist.title") + " " + number, Menu: "cases", Crumbs: h.assistCrumbs(r, crumb{Label: number}), Data: data})
	return nil
}

// assistHouseholdAction handles the household page's forms.
func (h *Handler) assistHouseholdAction(w http.ResponseWriter, r *http.Request) error {
	number, action := r.PathValue("number"), r.PathValue("action")
	if err := h.parseForm(w, r); err != nil {
		return err
	}
	f := r.PostFormValue
	ctx := r.Context()
	num := func(field, zh string) (float64, error) {
		v := strings.TrimSpace(f(field))
		if v == "" {
			return 0, nil
		}
		n, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return 0, backstop.Localized(backstop.EINVALID, "%s须为数字", "%s must be a number.", zh)
		}
		return n, nil
	}
	var err error
	switch action {
	case "only-dwelling":
		yes := f("only_dwelling") == "yes"
		if f("only_dwelling") == "" {
			_, err = h.cfg.Assist.ConfirmOnlyDwelling(ctx, number, assist.OnlyDwellingInput{Note: f("note")})
		} else {
			_, err = h.cfg.Assist.ConfirmOnlyDwelling(ctx, number, assist.OnlyDwellingInput{OnlyDwelling: &yes, Note: f("note")})
		}
	case "disbursement":
		var amount float64
		if amount, err = num("amount", "发放金额"); err == nil {
			_, err = h.cfg.Assist.Disburse(ctx, number, assist.DisbursementInput{Amount: int64(amount), PaidOn: f("paid_on"), PaidBy: f("paid_by"), Note: f("note")})
		}
	case "relief":
		var amount float64
		if amount, err = num("amount", "救助金额"); err == nil {
			_, err = h.cfg.Assist.GrantRelief(ctx, number, assist.ReliefInput{Kind: f("kind"), Amount: amount, GrantedOn: f("granted_on"), Note: f("note")})
		}
	case "water-recheck":
		var in assist.RecheckInput
		in.CheckedOn, in.Note = f("checked_on"), f("note")
		vals := make([]float64, 3)
		for i, k := range []struct{ field, zh string }{{"litres", "人均日供水量"}, {"trip", "取水往返时间"}, {"outage", "年停水天数"}} {
			if vals[i], err = num(k.field, k.zh); err != nil {
				break
			}
		}
		if err == nil {
			ok := f("quality") == "yes"
			in.Water = backstop.WaterCheck{LitresPerPersonDay: &vals[0], QualityOK: &ok, TripMinutes: &vals[1], OutageDays: &vals[2]}
			if f("quality") == "" {
				in.Water.QualityOK = nil
			}
			_, err = h.cfg.Assist.RecheckWater(ctx, number, in)
		}
	case "water-test":
		pass := f("pass") == "yes"
		in := assist.WaterTestInput{TestedOn: f("tested_on"), Lab: f("lab"), Note: f("note")}
		if f("pass") != "" {
			in.Pass = &pass
		}
		_, err = h.cfg.Assist.RecordWaterTest(ctx, number, in)
	case "water-repair":
		_, err = h.cfg.Assist.OpenRepair(ctx, number, assist.RepairInput{Problem: f("problem"), Assignee: f("assignee"), Department: f("department"), Note: f("note")})
	default:
		return backstop.Localized(backstop.ENOTFOUND, "没有这个操作", "No such action.")
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/assist/households/"+url.PathEscape(number)+"?done="+url.QueryEscape(action), http.StatusSeeOther)
	return nil
}

// assistQueue is the measures by department: a department user sees its
// own queue; others choose the department.
func (h *Handler) assistQueue(w http.ResponseWriter, r *http.Request) error {
	pg := pageOf(r, 20)
	q := r.URL.Query()
	dept, status, region := strings.TrimSpace(q.Get("department")), q.Get("status"), strings.TrimSpace(q.Get("region"))
	u := backstop.UserFromContext(r.Context())
	var items []*backstop.Measure
	asked := dept != "" || (u != nil && u.Role == backstop.RoleDepartment)
	if asked {
		err := pg.load(func(limit, offset int) (int, error) {
			var total int
			var err error
			items, total, err = h.cfg.Assist.Queue(r.Context(), dept, status, region, offset, limit)
			return total, err
		})
		switch {
		case err != nil && dept == "" && backstop.ErrorCode(err) == backstop.EINVALID:
			// A department account of no organisation chooses the
			// department first.
			asked = false
		case err != nil:
			return err
		}
	}
	h.render(w, r, http.StatusOK, "assist_queue.html", &page{Title: h.tr(r, "menu.assist.queue"), Menu: "assist-queue", Crumbs: h.assistCrumbs(r, crumb{Label: h.tr(r, "menu.assist.queue")}),
		Data: map[string]any{"Items": items, "Pager": pg, "Offset": pg.Offset(), "Department": dept, "Status": status, "Region": region, "Departments": assistDepartments,
			"Statuses": backstop.MeasureStatuses, "Asked": asked}})
	return nil
}

// assistDepartments are the owner departments the seeded proposal rules
// name, for the queue's filter (a rule may name others: they are typed).
var assistDepartments = []string{"rural_revitalisation", "civil_affairs", "housing", "water", "agriculture", "human_resources", "medical_insurance", "education"}

// reevaluationPage shows the dry-run form and, on POST, what the
// candidate would change; nothing is written.
func (h *Handler) reevaluationPage(w http.ResponseWriter, r *http.Request) error {
	data := map[string]any{"Key": backstop.PolicyMonitoringLine, "From": time.Now().In(backstop.Beijing).AddDate(0, 1, 0).Format(time.DateOnly)}
	if r.Method == http.MethodPost {
		if err := h.parseForm(w, r); err != nil {
			return err
		}
		f := r.PostFormValue
		p := &backstop.Policy{Key: f("key"), Region: strings.TrimSpace(f("region")), Source: f("source")}
		data["Key"], data["Region"], data["Value"], data["Table"], data["Source"], data["From"] = p.Key, p.Region, f("value"), f("data"), p.Source, f("effective_from")
		var err error
		if p.EffectiveFrom, err = time.Parse(time.DateOnly, f("effective_from")); err != nil {
			err = backstop.Localized(backstop.EINVALID, "生效日期须为YYYY-MM-DD", "effective_from must be YYYY-MM-DD.")
		} else if p.Key == backstop.PolicyHousingSubsidy {
			if !json.Valid([]byte(f("data"))) {
				err = backstop.Localized(backstop.EINVALID, "补助标准表须为JSON", "The table must be JSON.")
			}
			p.Data = json.RawMessage(f("data"))
		} else if p.Value, err = strconv.ParseFloat(strings.TrimSpace(f("value")), 64); err != nil {
			err = backstop.Localized(backstop.EINVALID, "监测范围须为数字（元/人·年）", "The line must be a number.")
		}
		if err == nil {
			data["Result"], err = h.cfg.Assist.DryRunPolicy(r.Context(), p)
		}
		if err != nil {
			if backstop.ErrorCode(err) != backstop.EINVALID {
				return err
			}
			data["Error"] = backstop.ErrorMessageZH(err)
		}
	}
	h.render(w, r, http.StatusOK, "assist_reevaluation.html", &page{Title: h.tr(r, "menu.assist.reevaluation"), Menu: "assist-reevaluation",
		Crumbs: h.assistCrumbs(r, crumb{Label: h.tr(r, "menu.assist.reevaluation")}), Data: data})
	return nil
}
