package web

import (
	"fmt"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/skip2/go-qrcode"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/geo"
	"github.com/zhangye-backstop/backstop/httpx"
	"github.com/zhangye-backstop/backstop/screening"
)

func (h *Handler) screeningRoutes() {
	h.handle("GET /screening/events", h.eventsPage)
	h.handle("POST /screening/events", h.createEvent)
	h.handle("GET /screening/events/{id}", h.eventPage)
	h.handle("POST /screening/events/{id}/state", h.eventState)
	h.handle("POST /screening/events/{id}/figures", h.eventFigures)
	h.handle("POST /screening/events/{id}/reports", h.eventReport)
	h.handle("GET /screening/events/{id}/statistics.xlsx", h.statisticsSheet)
	h.handle("GET /screening/events/{id}/ledger.xlsx", h.ledgerSheet)
	h.handle("GET /screening/campaigns", h.campaignsPage)
	h.handle("POST /screening/campaigns", h.createCampaign)
	h.handle("GET /screening/campaigns/{id}", h.campaignPage)
	h.handle("GET /screening/visits/{id}", h.visitForm)
	h.handle("POST /screening/visits/{id}", h.visitSubmit)
	h.handle("POST /screening/visits/{id}/outcome", h.visitOutcome)
	h.handle("GET /screening/households/{number}/loss", h.lossForm)
	h.handle("POST /screening/households/{number}/loss", h.lossSubmit)
	h.handle("GET /screening/households/{number}/assessment", h.assessmentPage)
	h.handle("POST /screening/loss-reports/{id}/verify", h.verifyLoss)
	h.handle("GET /screening/assessments", h.assessmentsPage)
	h.handle("GET /screening/at-risk", h.atRiskPage)
	h.handle("GET /screening/intake", h.intakePage)
	h.handle("POST /screening/intake/{id}/steps", h.intakeStep)
	h.handle("GET /screening/villages/{code}/poster", h.posterPage)
	h.handle("GET /screening/poster", func(w http.ResponseWriter, r *http.Request) error {
		code, err := backstop.NormalizeRegionCode(r.URL.Query().Get("village"))
		if err != nil {
			return backstop.Localized(backstop.EINVALID, "请填写12位行政村代码", "Give a 12-digit village code.")
		}
		http.Redirect(w, r, "/screening/villages/"+code+"/poster", http.StatusSeeOther)
		return nil
	})
	// The public self-report page (一键报贫): no account.
	h.mux.HandleFunc("GET /r/lookup", h.publicLookup)
	h.mux.HandleFunc("GET /r/{village}", h.publicReportForm)
	h.mux.HandleFunc("POST /r/{village}", h.publicReportSubmit)
	// Visits from the helper's link.
	h.mux.HandleFunc("GET /c/{token}/visits/{id}", h.linkVisitForm)
	h.mux.HandleFunc("POST /c/{token}/visits/{id}", h.linkVisitSubmit)
	h.mux.HandleFunc("POST /c/{token}/visits/{id}/outcome", h.linkVisitOutcome)
	h.mux.HandleFunc("POST /c/{token}/visits/{id}/photos", h.linkVisitPhoto)
	h.handle("POST /screening/loss-reports/{id}/photos", h.lossPhoto)
}

func (h *Handler) tr(r *http.Request, key string, args ...any) string {
	return h.cats[langOf(r)].translate(key, args...)
}

func (h *Handler) screeningCrumbs(r *http.Request, items ...crumb) []crumb {
	return append([]crumb{{Label: h.tr(r, "menu.group.screening")}}, items...)
}

// Events.

func (h *Handler) eventsPage(w http.ResponseWriter, r *http.Request) error {
	return h.renderEvents(w, r, http.StatusOK, "", nil)
}

func (h *Handler) renderEvents(w http.ResponseWriter, r *http.Request, status int, errMsg string, form url.Values) error {
	state := r.URL.Query().Get("state")
	if state != "" && !slices.Contains(eventStates, state) {
		return backstop.Localized(backstop.EINVALID, "灾害过程状态“%s”无法识别，请从列表中选择", "Unknown event state %q: choose one from the list.", state)
	}
	cat := h.cats[langOf(r)]
	if format, err := exportFormat(r); err != nil {
		return err
	} else if format != "" && status == http.StatusOK {
		names := hazardNames(r)
		ex := &listExport{name: "events", perm: backstop.PermReadWarnings,
			head: []string{cat.translate("event.started"), cat.translate("warning.hazard"), cat.translate("event.title"), cat.translate("event.regions"), cat.translate("event.state")},
			rows: func(limit, offset int) ([][]string, int, error) {
				items, total, err := h.cfg.Screening.Events(r.Context(), backstop.EventFilter{State: state, Limit: limit, Offset: offset})
				rows := make([][]string, len(items))
				for i, e := range items {
					rows[i] = []string{e.StartedAt.In(backstop.Beijing).Format("2006-01-02 15:04"), names[string(e.Hazard)], e.Title, fmt.Sprint(len(e.Regions)), cat.translate("event.state." + string(e.State))}
				}
				return rows, total, err
			}}
		return ex.write(h, w, r, format)
	}
	pg := pageOf(r, 20)
	var items []*backstop.DisasterEvent
	err := pg.load(func(limit, offset int) (int, error) {
		var total int
		var err error
		items, total, err = h.cfg.Screening.Events(r.Context(), backstop.EventFilter{State: state, Limit: limit, Offset: offset})
		return total, err
	})
	if err != nil {
		return err
	}
	u := backstop.UserFromContext(r.Context())
	if form == nil {
		form = url.Values{"started_at": {time.Now().In(backstop.Beijing).Format("2006-01-02T15:04")}}
	}
	h.render(w, r, status, "screening_events.html", &page{Title: h.tr(r, "screening.events"), Menu: "screening-events", Error: errMsg, Crumbs: h.screeningCrumbs(r),
		Data: map[string]any{"Items": items, "Pager": pg, "Offset": pg.Offset(), "CanWrite": u.Can(backstop.PermScreen),
			"Hazards": backstop.Hazards, "HazardNames": hazardNames(r), "Form": form, "State": state, "States": eventStates, "Exports": exportLinks(cat, r)}})
	return nil
}

// eventStates are the states the event list filters by.
var eventStates = []string{"ongoing", "stabilised", "closed"}

func (h *Handler) parseForm(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		return backstop.Localized(backstop.EINVALID, "表单无法读取", "Bad form.")
	}
	return nil
}

func formID(r *http.Request, name string) int64 {
	id, _ := strconv.ParseInt(r.PostFormValue(name), 10, 64)
	return id
}

func (h *Handler) createEvent(w http.ResponseWriter, r *http.Request) error {
	if err := h.parseForm(w, r); err != nil {
		return err
	}
	in := screening.EventInput{Hazard: r.PostFormValue("hazard"), Title: r.PostFormValue("title"), WarningID: formID(r, "warning_id")}
	if v := r.PostFormValue("started_at"); v != "" {
		t, err := time.ParseInLocation("2006-01-02T15:04", v, backstop.Beijing)
		if err != nil {
			return h.renderEvents(w, r, http.StatusBadRequest, h.tr(r, "screening.bad_time"), r.PostForm)
		}
		in.StartedAt = t
	}
	for _, f := range strings.FieldsFunc(r.PostFormValue("regions"), func(c rune) bool { return c == ',' || c == '，' || c == ' ' || c == '\n' || c == '、' }) {
		in.Regions = append(in.Regions, f)
	}
	e, err := h.cfg.Screening.CreateEvent(r.Context(), in)
	if err != nil {
		if in.WarningID != 0 || httpx.ErrorStatus(err) != http.StatusBadRequest {
			return err
		}
		return h.renderEvents(w, r, http.StatusBadRequest, h.localError(r, err), r.PostForm)
	}
	http.Redirect(w, r, fmt.Sprintf("/screening/events/%d", e.ID), http.StatusSeeOther)
	return nil
}

func (h *Handler) eventPage(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "Record")
	if err != nil {
		return err
	}
	ctx := r.Context()
	e, err := h.cfg.Screening.Event(ctx, id)
	if err != nil {
		return err
	}
	st, err := h.cfg.Screening.Statistics(ctx, id, r.URL.Query().Get("region"))
	if err != nil {
		return err
	}
	clocks, err := h.cfg.Screening.EventClocks(ctx, id)
	if err != nil {
		return err
	}
	reports, err := h.cfg.Screening.Reports(ctx, id)
	if err != nil {
		return err
	}
	camps, _, err := h.cfg.Screening.Campaigns(ctx, backstop.CampaignFilter{EventID: id})
	if err != nil {
		return err
	}
	figures, err := h.cfg.Screening.Store.EventFigures(ctx, id)
	if err != nil {
		return err
	}
	// The map: the area's villages shaded by the households that reported
	// a loss.
	loss := map[string]int{}
	reps, _, err := h.cfg.Screening.LossReports(ctx, backstop.LossReportFilter{EventID: id, Limit: 1000})
	if err != nil {
		return err
	}
	for _, rp := range reps {
		loss[rp.VillageCode]++
	}
	var villages []mapVillage
	for code, n := range loss {
		villages = append(villages, mapVillage{Code: code, Value: n, Total: n})
	}
	mapData := h.areaMap(r, e.Regions, villages, "losses")
	u := backstop.UserFromContext(ctx)
	now := time.Now()
	h.render(w, r, http.StatusOK, "screening_event.html", &page{Title: e.Title, Menu: "screening-events",
		Crumbs: h.screeningCrumbs(r, crumb{Label: h.tr(r, "screening.events"), Href: "/screening/events"}, crumb{Label: e.Title}),
		Data: map[string]any{"Event": e, "Stats": st, "Clocks": clocks, "Reports": reports, "Campaigns": camps, "Figures": figures, "Map": mapData, "Now": now,
			"HazardNames": hazardNames(r), "CanWrite": u.Can(backstop.PermScreen), "CanExport": u.Can(backstop.PermExport), "Kinds": backstop.CampaignKinds}})
	return nil
}

func (h *Handler) eventState(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "Record")
	if err != nil {
		return err
	}
	if err := h.parseForm(w, r); err != nil {
		return err
	}
	if _, err := h.cfg.Screening.SetEventState(r.Context(), id, r.PostFormValue("state")); err != nil {
		return err
	}
	http.Redirect(w, r, fmt.Sprintf("/screening/events/%d", id), http.StatusSeeOther)
	return nil
}

func (h *Handler) eventFigures(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "Record")
	if err != nil {
		return err
	}
	if err := h.parseForm(w, r); err != nil {
		return err
	}
	f := &backstop.EventFigures{Region: r.PostFormValue("region")}
	for _, x := range []struct {
		field string
		dst   *int
	}{{"deaths", &f.Deaths}, {"missing", &f.Missing}, {"relocated", &f.Relocated}, {"relief_needed", &f.ReliefNeeded}} {
		if v := strings.TrimSpace(r.PostFormValue(x.field)); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil {
				return backstop.Localized(backstop.EINVALID, "“%s”须为整数", "%s must be a whole number.", x.field)
			}
			*x.dst = n
		}
	}
	if v := strings.TrimSpace(r.PostFormValue("other_loss_yuan")); v != "" {
		n, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return backstop.Localized(backstop.EINVALID, "其他直接经济损失须为数字", "other_loss_yuan must be a number.")
		}
		f.OtherLossYuan = n
	}
	if err := h.cfg.Screening.SetFigures(r.Context(), id, f); err != nil {
		return err
	}
	http.Redirect(w, r, fmt.Sprintf("/screening/events/%d", id), http.StatusSeeOther)
	return nil
}

func (h *Handler) eventReport(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "Record")
	if err != nil {
		return err
	}
	if err := h.parseForm(w, r); err != nil {
		return err
	}
	if _, err := h.cfg.Screening.AddReport(r.Context(), id, r.PostFormValue("kind"), "", r.PostFormValue("note")); err != nil {
		return err
	}
	http.Redirect(w, r, fmt.Sprintf("/screening/events/%d#reports", id), http.StatusSeeOther)
	return nil
}

func (h *Handler) statisticsSheet(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "Record")
	if err != nil {
		return err
	}
	return h.cfg.Screening.WriteStatistics(r.Context(), httpx.NewDownload(w, "xlsx", fmt.Sprintf("灾情统计-%d.xlsx", id)), "xlsx", id, r.URL.Query().Get("region"))
}

func (h *Handler) ledgerSheet(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "Record")
	if err != nil {
		return err
	}
	return h.cfg.Screening.WriteLedger(r.Context(), httpx.NewDownload(w, "xlsx", fmt.Sprintf("因灾倒塌损坏住房户台账-%d.xlsx", id)), "xlsx", id, r.URL.Query().Get("region"))
}

// mapVillage is a village's figure for a map: value out of total.
type mapVillage struct {
	Code         string
	Value, Total int
}

// areaMap gathers the boundaries of an area's counties and of the given
// villages (at most 1500), with each village's figure, for the page's map.
func (h *Handler) areaMap(r *http.Request, regions []string, villages []mapVillage, mode string) map[string]any {
	ctx := r.Context()
	var features []mapFeature
	counties := map[string]bool{}
	for _, code := range regions {
		if len(code) == 12 && backstop.LevelOfCode(code) >= backstop.LevelCounty {
			counties[code[:6]+"000000"] = true
		}
	}
	for _, v := range villages {
		counties[v.Code[:6]+"000000"] = true
	}
	for code := range counties {
		if len(features) >= 40 {
			break
		}
		c, err := h.cfg.Registry.Region(ctx, code, true)
		if err != nil || c.Boundary == nil {
			continue
		}
		features = append(features, mapFeature{Type: "Feature", Properties: map[string]any{"name": c.Code, "label": c.Name, "kind": "county"}, Geometry: geo.MarshalGeometry(c.Boundary)})
	}
	var data []map[string]any
	for i, v := range villages {
		if i >= 1500 {
			break
		}
		reg, err := h.cfg.Registry.Region(ctx, v.Code, true)
		if err != nil || reg.Boundary == nil {
			continue
		}
		features = append(features, mapFeature{Type: "Feature", Properties: map[string]any{"name": v.Code, "label": reg.Name, "kind": "village"}, Geometry: geo.MarshalGeometry(reg.Boundary)})
		value := v.Value
		if mode == "visits" {
			value = 100 * v.Value / max(v.Total, 1)
		}
		data = append(data, map[string]any{"name": v.Code, "label": reg.Name, "value": value, "confirmed": v.Value, "total": v.Total})
	}
	if len(features) == 0 {
		return nil
	}
	return map[string]any{"features": features, "areas": []string{}, "villages": data, "mode": mode}
}

// policySource is a policy version a page names, with its source note;
// Unverified marks the local defaults nobody has confirmed.
type policySource struct {
	ID         int64
	Key, ZH    string
	Source     string
	Unverified bool
}

// policySources finds the versions of ids, with their notes.
func (h *Handler) policySources(r *http.Request, ids []int64) []policySource {
	all, err := h.cfg.Screening.Store.FindPolicies(r.Context(), "")
	if err != nil {
		return nil
	}
	var out []policySource
	for _, id := range ids {
		for _, p := range all {
			if p.ID == id {
				zh := p.Key
				if k, ok := backstop.PolicyKeyOf(p.Key); ok {
					zh = k.ZH
				}
				out = append(out, policySource{ID: id, Key: p.Key, ZH: zh, Source: p.Source, Unverified: strings.Contains(p.Source, "未核实") || strings.Contains(p.Source, "演示数据")})
			}
		}
	}
	return out
}

// Campaigns.

func (h *Handler) campaignsPage(w http.ResponseWriter, r *http.Request) error {
	return h.renderCampaigns(w, r, http.StatusOK, "", nil)
}

func (h *Handler) renderCampaigns(w http.ResponseWriter, r *http.Request, status int, errMsg string, form url.Values) error {
	cat := h.cats[langOf(r)]
	if format, err := exportFormat(r); err != nil {
		return err
	} else if format != "" && status == http.StatusOK {
		ex := &listExport{name: "campaigns", perm: backstop.PermReadWarnings,
			head: []string{cat.translate("campaign.title"), cat.translate("campaign.kind"), cat.translate("campaign.visits"), cat.translate("campaign.due")},
			rows: func(limit, offset int) ([][]string, int, error) {
				items, total, err := h.cfg.Screening.Campaigns(r.Context(), backstop.CampaignFilter{Limit: limit, Offset: offset})
				rows := make([][]string, len(items))
				for i, c := range items {
					rows[i] = []string{c.Title, cat.translate("campaign.kind." + string(c.Kind)), fmt.Sprint(c.Visits), c.DueDate}
				}
				return rows, total, err
			}}
		return ex.write(h, w, r, format)
	}
	pg := pageOf(r, 20)
	var items []*backstop.Campaign
	err := pg.load(func(limit, offset int) (int, error) {
		var total int
		var err error
		items, total, err = h.cfg.Screening.Campaigns(r.Context(), backstop.CampaignFilter{Limit: limit, Offset: offset})
		return total, err
	})
	if err != nil {
		return err
	}
	u := backstop.UserFromContext(r.Context())
	if form == nil {
		form = url.Values{}
	}
	// The campaign's region is chosen, never typed (issue 10: no codes).
	chosen, _ := pickedRegion(form["region"])
	pick, err := h.regionPicker(r, "region", chosen)
	if err != nil {
		return err
	}
	h.render(w, r, status, "screening_campaigns.html", &page{Title: h.tr(r, "screening.campaigns"), Menu: "screening-campaigns", Error: errMsg, Crumbs: h.screeningCrumbs(r),
		Data: map[string]any{"Items": items, "Pager": pg, "Offset": pg.Offset(), "CanWrite": u.Can(backstop.PermScreen),
			"Kinds": backstop.CampaignKinds, "Form": form, "Pick": pick, "Exports": exportLinks(cat, r)}})
	return nil
}

func (h *Handler) createCampaign(w http.ResponseWriter, r *http.Request) error {
	if err := h.parseForm(w, r); err != nil {
		return err
	}
	in := screening.CampaignInput{Kind: r.PostFormValue("kind"), Title: r.PostFormValue("title"), EventID: formID(r, "event_id"), WarningID: formID(r, "warning_id"),
		PeriodFrom: r.PostFormValue("period_from"), PeriodTo: r.PostFormValue("period_to")}
	if in.EventID == 0 && in.WarningID == 0 {
		// The cascader's deepest choice; none chosen: the user's region.
		region, err := pickedRegion(r.PostForm["region"])
		if err != nil {
			return h.renderCampaigns(w, r, http.StatusBadRequest, h.localError(r, err), r.PostForm)
		}
		if region == "" {
			region = backstop.UserFromContext(r.Context()).Region
		}
		in.Region = region
	}
	if v := strings.TrimSpace(r.PostFormValue("due_workdays")); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return h.renderCampaigns(w, r, http.StatusBadRequest, h.tr(r, "screening.bad_workdays"), r.PostForm)
		}
		in.DueWorkdays = n
	}
	c, err := h.cfg.Screening.CreateCampaign(r.Context(), in)
	if err != nil {
		if in.Region == "" || httpx.ErrorStatus(err) != http.StatusBadRequest {
			return err
		}
		return h.renderCampaigns(w, r, http.StatusBadRequest, h.localError(r, err), r.PostForm)
	}
	http.Redirect(w, r, fmt.Sprintf("/screening/campaigns/%d", c.ID), http.StatusSeeOther)
	return nil
}

func (h *Handler) campaignPage(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "Record")
	if err != nil {
		return err
	}
	c, prog, err := h.cfg.Screening.Campaign(r.Context(), id)
	if err != nil {
		return err
	}
	pg := pageOf(r, 50)
	var visits []*backstop.FieldTask
	err = pg.load(func(limit, offset int) (int, error) {
		var total int
		var err error
		visits, total, err = h.cfg.Screening.Visits(r.Context(), id, backstop.TaskFilter{Open: r.URL.Query().Get("show") != "all", Village: r.URL.Query().Get("village"), Limit: limit, Offset: offset})
		return total, err
	})
	if err != nil {
		return err
	}
	var villages []mapVillage
	for _, v := range prog.Villages {
		villages = append(villages, mapVillage{Code: v.Code, Value: v.Done, Total: v.Visits})
	}
	pct := 0
	if prog.Visits > 0 {
		pct = 100 * prog.Done / prog.Visits
	}
	h.render(w, r, http.StatusOK, "screening_campaign.html", &page{Title: c.Title, Menu: "screening-campaigns",
		Crumbs: h.screeningCrumbs(r, crumb{Label: h.tr(r, "screening.campaigns"), Href: "/screening/campaigns"}, crumb{Label: c.Title}),
		Data: map[string]any{"Campaign": c, "Progress": prog, "Percent": pct, "Visits": visits, "Pager": pg, "Offset": pg.Offset(),
			"Map": h.areaMap(r, []string{c.Region}, villages, "visits"), "Overdue": time.Now().After(c.Due), "Show": r.URL.Query().Get("show"), "Now": time.Now(),
			"Sources": h.policySources(r, c.PolicyIDs)}})
	return nil
}

// The loss form.

// lossFormData is what screening_loss.html shows: the household, the
// visit (if any), the checklist, the values entered and an error.
type lossFormData struct {
	Household *backstop.Household
	Visit     *backstop.FieldTask
	Checklist []backstop.ListItem
	Events    []*backstop.DisasterEvent
	Form      url.Values
	Action    string
	Back      string
	Phone     bool
	Draft     string
}

func (h *Handler) renderLossForm(w http.ResponseWriter, r *http.Request, status int, d *lossFormData, errMsg string) {
	if d.Form == nil {
		d.Form = url.Values{}
	}
	name := "screening_loss.html"
	h.render(w, r, status, name, &page{Title: h.tr(r, "loss.title"), Menu: "screening-visits", Error: errMsg, Data: d,
		Crumbs: h.screeningCrumbs(r, crumb{Label: h.tr(r, "loss.title")})})
}

// checklistOf finds the checklist a visit's campaign uses.
func (h *Handler) checklistOf(r *http.Request, t *backstop.FieldTask) []backstop.ListItem {
	if t == nil || t.Visit == nil {
		return nil
	}
	c, err := h.cfg.Screening.Store.FindCampaign(r.Context(), t.Visit.Campaign)
	if err != nil {
		return nil
	}
	return c.Checklist
}

func (h *Handler) visitForm(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "Record")
	if err != nil {
		return err
	}
	t, err := h.cfg.Screening.Store.FindVisit(r.Context(), id)
	if err != nil {
		return err
	}
	hh, err := h.cfg.Registry.FindHousehold(r.Context(), t.HouseholdNumber)
	if err != nil {
		return err
	}
	h.renderLossForm(w, r, http.StatusOK, &lossFormData{Household: hh, Visit: t, Checklist: h.checklistOf(r, t), Action: fmt.Sprintf("/screening/visits/%d", id),
		Back: fmt.Sprintf("/screening/campaigns/%d", t.Visit.Campaign), Draft: fmt.Sprintf("visit-%d", id)}, "")
	return nil
}

// lossInput reads the loss form; a bad number names its field.
func lossInput(r *http.Request) (screening.LossInput, error) {
	in := screening.LossInput{HouseDamage: r.PostFormValue("house_damage"), ProductionNote: r.PostFormValue("production_note"), Note: r.PostFormValue("note"),
		Checklist: map[string]bool{}}
	num := func(field string, dst *float64) error {
		v := strings.TrimSpace(r.PostFormValue(field))
		if v == "" {
			return nil
		}
		n, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return &backstop.Error{Code: backstop.EINVALID, Message: field + ": not a number", ZH: "“" + v + "”不是数字（" + field + "）",
				Details: []backstop.Problem{{Path: field, Reason: "not a number", ReasonZH: "不是数字"}}}
		}
		*dst = n
		return nil
	}
	whole := func(field string, dst *int) error {
		var f float64
		if err := num(field, &f); err != nil {
			return err
		}
		if f != float64(int(f)) {
			return &backstop.Error{Code: backstop.EINVALID, Message: field + ": not a whole number", ZH: "须为整数（" + field + "）",
				Details: []backstop.Problem{{Path: field, Reason: "not a whole number", ReasonZH: "须为整数"}}}
		}
		*dst = int(f)
		return nil
	}
	opt := func(field string) (*float64, error) {
		if strings.TrimSpace(r.PostFormValue(field)) == "" {
			return nil, nil
		}
		var f float64
		return &f, num(field, &f)
	}
	yes := func(field string) *bool {
		switch r.PostFormValue(field) {
		case "yes":
			b := true
			return &b
		case "no":
			b := false
			return &b
		}
		return nil
	}
	for _, x := range []struct {
		f string
		d *float64
	}{{"house_loss_yuan", &in.HouseLoss}, {"production_loss_yuan", &in.ProductionLoss}, {"crop_area_mu", &in.CropAreaMu}, {"crop_loss_pct", &in.CropLossPct},
		{"crop_loss_yuan", &in.CropLoss}, {"livestock_loss_yuan", &in.LivestockLoss}, {"wage_loss_yuan", &in.WageLoss}, {"claims_yuan", &in.Claims}, {"relief_yuan", &in.Relief},
		{"medical_self_paid_yuan", &in.MedicalPaid}, {"school_cost_yuan", &in.SchoolCost}} {
		if err := num(x.f, x.d); err != nil {
			return in, err
		}
	}
	for _, x := range []struct {
		f string
		d *int
	}{{"house_rooms", &in.HouseRooms}, {"livestock_head", &in.LivestockHead}, {"uninsured_members", &in.UninsuredMembers}, {"relocated", &in.Relocated}, {"relief_needed", &in.ReliefNeeded}} {
		if err := whole(x.f, x.d); err != nil {
			return in, err
		}
	}
	var err error
	if in.Water.LitresPerPersonDay, err = opt("water.litres_per_person_day"); err != nil {
		return in, err
	}
	if in.Water.TripMinutes, err = opt("water.trip_minutes"); err != nil {
		return in, err
	}
	if in.Water.OutageDays, err = opt("water.outage_days"); err != nil {
		return in, err
	}
	in.Water.QualityOK, in.FoodClothingOK = yes("water.quality_ok"), yes("food_clothing_ok")
	for key, vs := range r.PostForm {
		if code, ok := strings.CutPrefix(key, "check."); ok && len(vs) > 0 && vs[0] != "" {
			in.Checklist[code] = vs[0] == "ok"
		}
	}
	if len(in.Checklist) == 0 {
		in.Checklist = nil
	}
	lon, lat := strings.TrimSpace(r.PostFormValue("lon")), strings.TrimSpace(r.PostFormValue("lat"))
	if lon != "" && lat != "" {
		x, err1 := strconv.ParseFloat(lon, 64)
		y, err2 := strconv.ParseFloat(lat, 64)
		if err1 == nil && err2 == nil {
			in.Location = &backstop.Point{Lon: x, Lat: y}
		}
	}
	in.EventID, _ = strconv.ParseInt(r.PostFormValue("event_id"), 10, 64)
	return in, nil
}

// submitLoss files a loss form; fetch requests (the phone's queue) get
// 204 or the error's status with its text.
func (h *Handler) submitLoss(w http.ResponseWriter, r *http.Request, household string, taskID int64, d *lossFormData, done string) error {
	if err := h.parseForm(w, r); err != nil {
		return err
	}
	in, err := lossInput(r)
	if err == nil {
		in.TaskID = taskID
		_, err = h.cfg.Screening.FileLossReport(r.Context(), household, in)
	}
	fetch := r.Header.Get("X-Requested-With") == "fetch"
	if err != nil {
		if fetch {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.WriteHeader(httpx.ErrorStatus(err))
			w.Write([]byte(h.localError(r, err)))
			return nil
		}
		if httpx.ErrorStatus(err) != http.StatusBadRequest && httpx.ErrorStatus(err) != http.StatusConflict {
			return err
		}
		d.Form = r.PostForm
		h.renderLossForm(w, r, httpx.ErrorStatus(err), d, h.localError(r, err))
		return nil
	}
	if fetch {
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	http.Redirect(w, r, done, http.StatusSeeOther)
	return nil
}

func (h *Handler) visitSubmit(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "Record")
	if err != nil {
		return err
	}
	t, err := h.cfg.Screening.Store.FindVisit(r.Context(), id)
	if err != nil {
		return err
	}
	hh, err := h.cfg.Registry.FindHousehold(r.Context(), t.HouseholdNumber)
	if err != nil {
		return err
	}
	d := &lossFormData{Household: hh, Visit: t, Checklist: h.checklistOf(r, t), Action: fmt.Sprintf("/screening/visits/%d", id), Draft: fmt.Sprintf("visit-%d", id)}
	return h.submitLoss(w, r, t.HouseholdNumber, id, d, "/screening/households/"+t.HouseholdNumber+"/assessment")
}

func (h *Handler) visitOutcome(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "Record")
	if err != nil {
		return err
	}
	if err := h.parseForm(w, r); err != nil {
		return err
	}
	t, err := h.cfg.Screening.FinishVisit(r.Context(), id, r.PostFormValue("outcome"), r.PostFormValue("note"), "")
	if err != nil {
		return err
	}
	http.Redirect(w, r, fmt.Sprintf("/screening/campaigns/%d", t.Visit.Campaign), http.StatusSeeOther)
	return nil
}

func (h *Handler) lossForm(w http.ResponseWriter, r *http.Request) error {
	hh, err := h.cfg.Registry.FindHousehold(r.Context(), r.PathValue("number"))
	if err != nil {
		return err
	}
	events, _, err := h.cfg.Screening.Events(r.Context(), backstop.EventFilter{State: string(backstop.EventOngoing)})
	if err != nil {
		return err
	}
	var here []*backstop.DisasterEvent
	for _, e := range events {
		if e.Covers(hh.VillageCode) {
			here = append(here, e)
		}
	}
	h.renderLossForm(w, r, http.StatusOK, &lossFormData{Household: hh, Events: here, Action: "/screening/households/" + hh.Number + "/loss", Draft: "loss-" + hh.Number,
		Back: "/screening/households/" + hh.Number + "/assessment"}, "")
	return nil
}

func (h *Handler) lossSubmit(w http.ResponseWriter, r *http.Request) error {
	hh, err := h.cfg.Registry.FindHousehold(r.Context(), r.PathValue("number"))
	if err != nil {
		return err
	}
	d := &lossFormData{Household: hh, Action: "/screening/households/" + hh.Number + "/loss", Draft: "loss-" + hh.Number}
	return h.submitLoss(w, r, hh.Number, 0, d, "/screening/households/"+hh.Number+"/assessment")
}

// Assessments.

func (h *Handler) assessmentPage(w http.ResponseWriter, r *http.Request) error {
	number := r.PathValue("number")
	ctx := r.Context()
	hh, err := h.cfg.Registry.FindHousehold(ctx, number)
	if err != nil {
		return err
	}
	a, err := h.cfg.Screening.Assessment(ctx, number)
	if err != nil {
		return err
	}
	rep, err := h.cfg.Screening.LossReport(ctx, a.LossReportID)
	if err != nil {
		return err
	}
	var change *backstop.AssessmentChange
	if r.URL.Query().Get("reevaluate") != "" {
		if change, err = h.cfg.Screening.Reevaluate(ctx, number); err != nil {
			return err
		}
	}
	u := backstop.UserFromContext(ctx)
	h.render(w, r, http.StatusOK, "screening_assessment.html", &page{Title: h.tr(r, "assessment.title"), Menu: "screening-assessments",
		Crumbs: h.screeningCrumbs(r, crumb{Label: h.tr(r, "screening.assessments"), Href: "/screening/assessments"}, crumb{Label: hh.HeadName}),
		Data: map[string]any{"Household": hh.Mask(), "A": a, "Report": rep, "Change": change, "Sources": h.policySources(r, a.PolicyIDs), "CanVerify": u.Can(backstop.PermVerifyLoss) && backstop.LevelOfCode(u.Region) != backstop.LevelVillage,
			"Notice": r.URL.Query().Get("done")}})
	return nil
}

func (h *Handler) verifyLoss(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "Record")
	if err != nil {
		return err
	}
	a, err := h.cfg.Screening.VerifyLossReport(r.Context(), id)
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/screening/households/"+a.HouseholdNumber+"/assessment", http.StatusSeeOther)
	return nil
}

func (h *Handler) assessmentsPage(w http.ResponseWriter, r *http.Request) error {
	if err := collapseRegion(r, "region"); err != nil {
		return err
	}
	pg := pageOf(r, 20)
	q := r.URL.Query()
	region, err := pickedRegion([]string{q.Get("region")})
	if err != nil {
		return err
	}
	f := backstop.AssessmentFilter{Region: region, AtRisk: q.Get("at_risk") != "0"}
	if v := q.Get("event"); v != "" {
		if f.EventID, err = strconv.ParseInt(v, 10, 64); err != nil || f.EventID <= 0 {
			return backstop.Localized(backstop.EINVALID, "灾害过程编号“%s”无效", "Event id %q is not valid.", v)
		}
	}
	pick, err := h.regionPicker(r, "region", region)
	if err != nil {
		return err
	}
	var items []*backstop.Assessment
	err = pg.load(func(limit, offset int) (int, error) {
		var total int
		var err error
		f.Limit, f.Offset = limit, offset
		items, total, err = h.cfg.Screening.Assessments(r.Context(), f)
		return total, err
	})
	if err != nil {
		return err
	}
	h.render(w, r, http.StatusOK, "screening_assessments.html", &page{Title: h.tr(r, "screening.assessments"), Menu: "screening-assessments", Crumbs: h.screeningCrumbs(r),
		Data: map[string]any{"Items": items, "Pager": pg, "Offset": pg.Offset(), "Filter": f, "Pick": pick}})
	return nil
}

func (h *Handler) atRiskPage(w http.ResponseWriter, r *http.Request) error {
	if err := collapseRegion(r, "region"); err != nil {
		return err
	}
	region, err := pickedRegion([]string{r.URL.Query().Get("region")})
	if err != nil {
		return err
	}
	pick, err := h.regionPicker(r, "region", region)
	if err != nil {
		return err
	}
	pg := pageOf(r, 20)
	var items []*backstop.AtRiskEntry
	err = pg.load(func(limit, offset int) (int, error) {
		var total int
		var err error
		items, total, err = h.cfg.Screening.AtRisk(r.Context(), region, offset, limit)
		return total, err
	})
	if err != nil {
		return err
	}
	h.render(w, r, http.StatusOK, "screening_atrisk.html", &page{Title: h.tr(r, "screening.at_risk"), Menu: "screening-atrisk", Crumbs: h.screeningCrumbs(r),
		Data: map[string]any{"Items": items, "Pager": pg, "Offset": pg.Offset(), "Region": region, "Pick": pick}})
	return nil
}

// Intake.

func (h *Handler) intakePage(w http.ResponseWriter, r *http.Request) error {
	pg := pageOf(r, 20)
	q := r.URL.Query()
	f := backstop.IntakeFilter{Source: q.Get("source"), Open: q.Get("all") == "", Overdue: q.Get("overdue") != ""}
	if f.Source != "" && f.Source != string(backstop.SourceSelfReport) && f.Source != string(backstop.SourceReferral) {
		return backstop.Localized(backstop.EINVALID, "来源“%s”无法识别，请从列表中选择", "Unknown source %q: choose one from the list.", f.Source)
	}
	var items []*backstop.IntakeItem
	err := pg.load(func(limit, offset int) (int, error) {
		var total int
		var err error
		f.Limit, f.Offset = limit, offset
		items, total, err = h.cfg.Screening.Intake(r.Context(), f)
		return total, err
	})
	if err != nil {
		return err
	}
	u := backstop.UserFromContext(r.Context())
	var village string
	if backstop.LevelOfCode(u.Region) == backstop.LevelVillage {
		village = u.Region
	}
	type step struct {
		Date    string
		Overdue bool
	}
	type row struct {
		Item  *backstop.IntakeItem
		Steps []step
	}
	var rows []row
	for _, it := range items {
		over := map[string]bool{}
		for _, o := range it.Overdue {
			over[o] = true
		}
		rows = append(rows, row{Item: it, Steps: []step{{it.Due.Check, over[backstop.StepCheck]}, {it.Due.Answer, over[backstop.StepAnswer]}, {it.Due.Approval, over["approval"]}}})
	}
	h.render(w, r, http.StatusOK, "screening_intake.html", &page{Title: h.tr(r, "screening.intake"), Menu: "screening-intake", Crumbs: h.screeningCrumbs(r),
		Data: map[string]any{"Rows": rows, "Pager": pg, "Offset": pg.Offset(), "Filter": f,
			"CanApprove": u.Can(backstop.PermIntakeApprove), "Village": village, "Notice": q.Get("done")}})
	return nil
}

func (h *Handler) intakeStep(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "Record")
	if err != nil {
		return err
	}
	if err := h.parseForm(w, r); err != nil {
		return err
	}
	it, err := h.cfg.Screening.Advance(r.Context(), id, r.PostFormValue("step"), r.PostFormValue("note"))
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/screening/intake?done="+url.QueryEscape(it.Code), http.StatusSeeOther)
	return nil
}

// qrSVG draws a QR code as an SVG: dark modules as one path, so that a
// poster prints crisply at any size and the page needs no image file.
func qrSVG(content string) (template.HTML, error) {
	q, err := qrcode.New(content, qrcode.Medium)
	if err != nil {
		return "", err
	}
	bm := q.Bitmap()
	n := len(bm)
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" shape-rendering="crispEdges" class="qr" role="img"><rect width="%d" height="%d" fill="#fff"/><path fill="#000" d="`, n, n, n, n)
	for y, row := range bm {
		for x, dark := range row {
			if dark {
				fmt.Fprintf(&b, "M%d %dh1v1h-1z", x, y)
			}
		}
	}
	b.WriteString(`"/></svg>`)
	return template.HTML(b.String()), nil
}

// publicURL is this site's address as the request reached it.
func publicURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https" {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

func (h *Handler) posterPage(w http.ResponseWriter, r *http.Request) error {
	code := r.PathValue("code")
	reg, err := h.cfg.Registry.Region(r.Context(), code, false)
	if err != nil {
		return err
	}
	if reg.Level != backstop.LevelVillage {
		return backstop.Localized(backstop.EINVALID, "二维码海报按行政村制作：%s不是行政村", "Posters are per village: %s is not a village.", reg.Name)
	}
	link := publicURL(r) + "/r/" + reg.Code
	svg, err := qrSVG(link)
	if err != nil {
		return err
	}
	h.render(w, r, http.StatusOK, "screening_poster.html", &page{Title: h.tr(r, "poster.title"), Data: map[string]any{"Region": reg, "Link": link, "QR": svg}})
	return nil
}

// photoPart finds the "photo" file of a multipart form.
func photoPart(w http.ResponseWriter, r *http.Request) (io.Reader, error) {
	r.Body = http.MaxBytesReader(w, r.Body, screening.DefaultMaxPhotoBytes*2)
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, backstop.Localized(backstop.EINVALID, "请选择一张照片再上传", "Choose a photo to upload.")
	}
	for {
		p, err := mr.NextPart()
		if err != nil {
			return nil, backstop.Localized(backstop.EINVALID, "请选择一张照片再上传", "Choose a photo to upload.")
		}
		if p.FormName() == "photo" {
			return p, nil
		}
	}
}

// lossPhoto adds a photo to a report from the assessment page.
func (h *Handler) lossPhoto(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "Record")
	if err != nil {
		return err
	}
	part, err := photoPart(w, r)
	if err != nil {
		return err
	}
	if _, err := h.cfg.Screening.AddPhoto(r.Context(), id, part); err != nil {
		return err
	}
	rep, err := h.cfg.Screening.LossReport(r.Context(), id)
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/screening/households/"+rep.HouseholdNumber+"/assessment", http.StatusSeeOther)
	return nil
}

// The public pages: light, one column, no script needed.

func (h *Handler) publicVillage(w http.ResponseWriter, r *http.Request) (*backstop.Region, bool) {
	sys := backstop.NewContextWithUser(r.Context(), backstop.SystemUser("self-report"))
	reg, err := h.cfg.Registry.Region(sys, r.PathValue("village"), false)
	if err != nil || reg.Level != backstop.LevelVillage {
		h.renderPublic(w, r, http.StatusNotFound, map[string]any{"Missing": true})
		return nil, false
	}
	return reg, true
}

func (h *Handler) renderPublic(w http.ResponseWriter, r *http.Request, status int, data map[string]any) {
	h.render(w, r, status, "screening_public.html", &page{Title: h.tr(r, "public.title"), Data: data, User: &backstop.User{}})
}

func (h *Handler) publicReportForm(w http.ResponseWriter, r *http.Request) {
	reg, ok := h.publicVillage(w, r)
	if !ok {
		return
	}
	h.renderPublic(w, r, http.StatusOK, map[string]any{"Village": reg, "Form": url.Values{}, "RiskTypes": h.riskTypes(r)})
}

// riskTypes lists the 100A27 entries in force, for the form's choice.
func (h *Handler) riskTypes(r *http.Request) []backstop.ListItem {
	sys := backstop.NewContextWithUser(r.Context(), backstop.SystemUser("self-report"))
	p, err := h.cfg.Screening.Store.PolicyAt(sys, backstop.PolicyRiskTypes, backstop.NationalScope, time.Now())
	if err != nil {
		return nil
	}
	items, _ := p.ListItems()
	return items
}

func (h *Handler) publicReportSubmit(w http.ResponseWriter, r *http.Request) {
	reg, ok := h.publicVillage(w, r)
	if !ok {
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		h.renderPublic(w, r, http.StatusBadRequest, map[string]any{"Village": reg, "Form": url.Values{}, "Error": h.tr(r, "public.bad_form"), "RiskTypes": h.riskTypes(r)})
		return
	}
	in := screening.SelfReport{Village: reg.Code, Name: r.PostFormValue("name"), Phone: r.PostFormValue("phone"), IDNumber: r.PostFormValue("id_number"),
		Difficulty: r.PostFormValue("difficulty"), RiskType: r.PostFormValue("risk_type"), Consent: r.PostFormValue("consent") == "yes"}
	got, err := h.cfg.Screening.SubmitSelfReport(r.Context(), in, httpx.ClientAddr(r))
	if err != nil {
		if httpx.ErrorStatus(err) == http.StatusInternalServerError {
			h.logger.Error("self-report", "err", err)
		}
		h.renderPublic(w, r, httpx.ErrorStatus(err), map[string]any{"Village": reg, "Form": r.PostForm, "Error": h.localError(r, err), "RiskTypes": h.riskTypes(r)})
		return
	}
	h.renderPublic(w, r, http.StatusCreated, map[string]any{"Village": reg, "Done": got})
}

func (h *Handler) publicLookup(w http.ResponseWriter, r *http.Request) {
	code := strings.TrimSpace(r.URL.Query().Get("code"))
	data := map[string]any{"Lookup": true, "Code": code}
	status := http.StatusOK
	if code != "" {
		got, err := h.cfg.Screening.LookUp(r.Context(), code)
		if err != nil {
			status, data["Error"] = httpx.ErrorStatus(err), h.localError(r, err)
		} else {
			data["Found"] = got
		}
	}
	h.renderPublic(w, r, status, data)
}

// The helper's link: visits.

// linkVisit loads a visit of the link's holder: another phone's visit is
// not found.
func (h *Handler) linkVisit(w http.ResponseWriter, r *http.Request) (*backstop.FieldTask, *lossFormData, func(error), bool) {
	l, ok := h.openLink(w, r)
	if !ok {
		return nil, nil, nil, false
	}
	fail := func(err error) { h.fail(w, r, err) }
	id, err := httpx.PathID(r, "Record")
	if err != nil {
		fail(err)
		return nil, nil, nil, false
	}
	ctx := l.Context(r.Context())
	*r = *r.WithContext(ctx)
	t, err := h.cfg.Screening.Store.FindVisit(ctx, id)
	if err == nil && t.AssigneePhone != l.Assignee {
		err = backstop.Localized(backstop.ENOTFOUND, "找不到走访任务%d", "Visit %d not found.", id)
	}
	if err != nil {
		fail(err)
		return nil, nil, nil, false
	}
	hh, err := h.cfg.Screening.Store.FindHousehold(ctx, t.HouseholdNumber)
	if err != nil {
		fail(err)
		return nil, nil, nil, false
	}
	base := "/c/" + r.PathValue("token")
	t.Phone, t.AssigneePhone = backstop.MaskPhone(t.Phone), backstop.MaskPhone(t.AssigneePhone)
	return t, &lossFormData{Household: hh.Mask(), Visit: t, Checklist: h.checklistOf(r, t), Action: fmt.Sprintf("%s/visits/%d", base, id), Back: base, Phone: true,
		Draft: fmt.Sprintf("visit-%d", id)}, fail, true
}

func (h *Handler) linkVisitForm(w http.ResponseWriter, r *http.Request) {
	_, d, _, ok := h.linkVisit(w, r)
	if !ok {
		return
	}
	h.renderLossForm(w, r, http.StatusOK, d, "")
}

func (h *Handler) linkVisitSubmit(w http.ResponseWriter, r *http.Request) {
	t, d, fail, ok := h.linkVisit(w, r)
	if !ok {
		return
	}
	if err := h.submitLoss(w, r, t.HouseholdNumber, t.ID, d, d.Back+"?done="+url.QueryEscape(t.PersonName)); err != nil {
		fail(err)
	}
}

// linkVisitPhoto adds a photo to the report a visit of the link made.
func (h *Handler) linkVisitPhoto(w http.ResponseWriter, r *http.Request) {
	t, d, fail, ok := h.linkVisit(w, r)
	if !ok {
		return
	}
	if t.Visit == nil || t.Visit.LossReport == 0 {
		fail(backstop.Localized(backstop.ECONFLICT, "请先提交灾损报告，再上传照片", "File the loss report before its photos."))
		return
	}
	part, err := photoPart(w, r)
	if err == nil {
		_, err = h.cfg.Screening.AddPhoto(r.Context(), t.Visit.LossReport, part)
	}
	if err != nil {
		fail(err)
		return
	}
	http.Redirect(w, r, d.Back+"?done="+url.QueryEscape(t.PersonName), http.StatusSeeOther)
}

func (h *Handler) linkVisitOutcome(w http.ResponseWriter, r *http.Request) {
	t, d, fail, ok := h.linkVisit(w, r)
	if !ok {
		return
	}
	if err := h.parseForm(w, r); err != nil {
		fail(err)
		return
	}
	if _, err := h.cfg.Screening.FinishVisit(r.Context(), t.ID, r.PostFormValue("outcome"), r.PostFormValue("note"), "link:"+t.AssigneePhone); err != nil {
		fail(err)
		return
	}
	if r.Header.Get("X-Requested-With") == "fetch" {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	http.Redirect(w, r, d.Back+"?done="+url.QueryEscape(t.PersonName), http.StatusSeeOther)
}
