package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/alerting"
	"github.com/zhangye-backstop/backstop/exposure"
	"github.com/zhangye-backstop/backstop/geo"
	"github.com/zhangye-backstop/backstop/httpx"
)

func (h *Handler) warningRoutes() {
	h.handle("GET /warnings", h.warningsPage)
	h.handle("GET /warnings/new", h.newWarningPage)
	h.handle("POST /warnings/new", h.createWarning)
	h.handle("GET /warnings/{id}", h.warningPage)
	h.handle("POST /warnings/{id}/exposure", h.recomputeExposure)
	h.handle("GET /warnings/{id}/exposure.xlsx", func(w http.ResponseWriter, r *http.Request) error {
		id, err := httpx.PathID(r, "Warning")
		if err != nil {
			return err
		}
		return h.cfg.Exposure.Export(r.Context(), httpx.NewDownload(w, "xlsx", exposure.ExportName(id)), id)
	})
	h.handle("POST /warnings/{id}/consultations", h.createConsultation)
	h.handle("POST /consultations/{id}/approve", h.approveConsultation)
	h.handle("GET /feeds", h.feedsPage)
	h.handle("POST /feeds", h.createFeed)
}

// levelView gives a level its colour class and words (never colour alone).
type levelView struct{ Code, Class, Key string }

func levelOf(l backstop.WarningLevel) levelView {
	if l == "" {
		return levelView{Class: "lvl-none", Key: "level.none"}
	}
	return levelView{Code: string(l), Class: "lvl-" + string(l), Key: "level." + string(l)}
}

type warningRow struct {
	W        *backstop.Warning
	Level    levelView
	HazardZH string
	Exposure *backstop.Exposure
}

func (h *Handler) warningRow(r *http.Request, w *backstop.Warning) warningRow {
	row := warningRow{W: w, Level: levelOf(w.Level)}
	if hi, ok := backstop.HazardOf(w.Hazard); ok {
		row.HazardZH = hi.ZH
		if langOf(r) == LangEN {
			row.HazardZH = hi.EN
		}
	}
	if v, err := h.cfg.Exposure.Find(r.Context(), w.ID, 0, 0); err == nil {
		row.Exposure = v.Exposure
	}
	return row
}

func (h *Handler) warningsPage(w http.ResponseWriter, r *http.Request) error {
	const size = 30
	p, _ := strconv.Atoi(r.URL.Query().Get("page"))
	p = max(p, 1)
	f := backstop.WarningFilter{State: r.URL.Query().Get("state"), Limit: size, Offset: (p - 1) * size}
	items, total, err := h.cfg.Alerting.Warnings(r.Context(), f)
	if err != nil {
		return err
	}
	rows := make([]warningRow, len(items))
	for i, it := range items {
		rows[i] = h.warningRow(r, it)
	}
	u := backstop.UserFromContext(r.Context())
	h.render(w, r, http.StatusOK, "warnings.html", &page{Title: h.cats[langOf(r)].translate("menu.warnings"), Menu: "warnings",
		Data: map[string]any{"Rows": rows, "Total": total, "Page": p, "Pages": max((total+size-1)/size, 1), "Offset": f.Offset, "State": f.State,
			"CanWrite": u.Can(backstop.PermWriteWarnings)}})
	return nil
}

func (h *Handler) newWarningPage(w http.ResponseWriter, r *http.Request) error {
	return h.renderWarningForm(w, r, http.StatusOK, nil, "")
}

func (h *Handler) renderWarningForm(w http.ResponseWriter, r *http.Request, status int, form map[string]string, errMsg string) error {
	u := backstop.UserFromContext(r.Context())
	if err := u.Require(backstop.PermWriteWarnings); err != nil {
		return err
	}
	scope := u.Region
	if scope == backstop.NationalScope {
		scope = ""
	}
	counties, _, err := h.cfg.Registry.Regions(r.Context(), backstop.RegionFilter{Within: scope, Level: backstop.LevelCounty, Limit: 200})
	if err != nil {
		return err
	}
	towns, _, err := h.cfg.Registry.Regions(r.Context(), backstop.RegionFilter{Within: scope, Level: backstop.LevelTownship, Limit: 2000})
	if err != nil {
		return err
	}
	if form == nil {
		form = map[string]string{"status": "Actual", "level": "yellow"}
	}
	h.render(w, r, status, "warning_new.html", &page{Title: h.cats[langOf(r)].translate("warning.new"), Menu: "warning-new", Error: errMsg,
		Data: map[string]any{"Hazards": backstop.Hazards, "Levels": backstop.WarningLevels, "Counties": counties, "Towns": towns, "Form": form}})
	return nil
}

func (h *Handler) createWarning(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, 4<<20)
	if err := r.ParseForm(); err != nil {
		return backstop.Errorf(backstop.EINVALID, "Bad form.")
	}
	form := map[string]string{}
	for k := range r.PostForm {
		form[k] = r.PostFormValue(k)
	}
	in := &alerting.Input{Status: form["status"], Hazard: form["hazard"], Level: form["level"], Headline: form["headline"],
		Description: form["description"], Instruction: form["instruction"]}
	for _, f := range []struct {
		name string
		dst  **time.Time
	}{{"onset", &in.Onset}, {"expires", &in.Expires}} {
		if v := form[f.name]; v != "" {
			t, err := time.ParseInLocation("2006-01-02T15:04", v, backstop.Beijing)
			if err != nil {
				return h.renderWarningForm(w, r, http.StatusBadRequest, form, h.cats[langOf(r)].translate("warning.bad_time"))
			}
			*f.dst = &t
		}
	}
	area := alerting.InputArea{Desc: form["area_desc"], Regions: r.PostForm["region"]}
	if poly := strings.TrimSpace(form["polygon"]); poly != "" {
		area.Polygon = json.RawMessage(poly)
	}
	if len(area.Regions) > 0 || len(area.Polygon) > 0 {
		in.Areas = []alerting.InputArea{area}
	}
	warning, err := h.cfg.Alerting.IngestInput(r.Context(), in, "form")
	if err != nil {
		if backstop.ErrorCode(err) == backstop.EINVALID {
			msg := backstop.ErrorMessageZH(err)
			if langOf(r) == LangEN {
				msg = backstop.ErrorMessage(err)
			}
			for _, d := range backstop.ErrorDetails(err)[1:] {
				if langOf(r) == LangZH && d.ReasonZH != "" {
					msg += "；" + d.ReasonZH
				} else {
					msg += "; " + d.String()
				}
			}
			return h.renderWarningForm(w, r, http.StatusBadRequest, form, msg)
		}
		return err
	}
	http.Redirect(w, r, fmt.Sprintf("/warnings/%d", warning.ID), http.StatusSeeOther)
	return nil
}

// mapFeature is a GeoJSON feature for the warning map.
type mapFeature struct {
	Type       string         `json:"type"`
	Properties map[string]any `json:"properties"`
	Geometry   jsonRaw        `json:"geometry"`
}

func (h *Handler) warningPage(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "Record")
	if err != nil {
		return err
	}
	warning, err := h.cfg.Alerting.Warning(r.Context(), id)
	if err != nil {
		return err
	}
	row := h.warningRow(r, warning)
	u := backstop.UserFromContext(r.Context())
	const size = 30
	p, _ := strconv.Atoi(r.URL.Query().Get("page"))
	p = max(p, 1)
	var ranked []*backstop.ExposedHousehold
	var rankedTotal int
	if row.Exposure != nil {
		v, err := h.cfg.Exposure.Find(r.Context(), id, (p-1)*size, size)
		if err != nil {
			return err
		}
		ranked, rankedTotal = v.Ranked, v.RankedTotal
	}
	consultations, err := h.cfg.Alerting.Consultations(r.Context(), id)
	if err != nil {
		return err
	}
	allowed, why := backstop.ReleaseAllowed(warning, consultations)
	mapData, err := h.warningMap(r, warning, row.Exposure)
	if err != nil {
		return err
	}
	var breakdown []breakdownTable
	if row.Exposure != nil {
		breakdown = breakdowns(row.Exposure.Total)
	}
	releases, err := h.releaseSection(r, warning)
	if err != nil {
		return err
	}
	data := map[string]any{"Release": releases, "Row": row, "Ranked": ranked, "RankedTotal": rankedTotal, "Page": p, "Pages": max((rankedTotal+size-1)/size, 1), "Offset": (p - 1) * size,
		"Consultations": consultations, "ReleaseAllowed": allowed, "ReleaseWhy": why, "Map": mapData, "Breakdowns": breakdown, "Groups": backstop.Groups,
		"CanConsult": u.Can(backstop.PermConsult), "CanApprove": u.Can(backstop.PermApprove), "CanWrite": u.Can(backstop.PermWriteWarnings),
		"CanExport": u.Can(backstop.PermExport), "Actions": backstop.ConsultationActions, "Now": time.Now().In(backstop.Beijing).Format("2006-01-02T15:04")}
	crumbs := []crumb{{Label: h.cats[langOf(r)].translate("menu.warnings"), Href: "/warnings"}, {Label: fmt.Sprint(id)}}
	title := warning.Headline
	if title == "" {
		title = warning.Event
	}
	h.render(w, r, http.StatusOK, "warning.html", &page{Title: title, Menu: "warnings", Crumbs: crumbs, Data: data})
	return nil
}

type breakdownTable struct {
	Key  string
	Rows []breakdownRow
}

type breakdownRow struct {
	Key   string
	Value int
}

func breakdowns(c *backstop.ExposureCounts) []breakdownTable {
	var out []breakdownTable
	for _, t := range []struct {
		key string
		m   map[string]int
		ord []string
	}{
		{"exposure.livelihood", c.Livelihood, backstop.Livelihoods},
		{"exposure.grade", c.HousingGrade, backstop.HousingGrades},
		{"exposure.structure", c.Structure, backstop.HousingStructures},
		{"exposure.water", c.WaterSource, backstop.WaterSources},
	} {
		bt := breakdownTable{Key: t.key}
		for _, k := range append(t.ord, "unknown") {
			if v := t.m[k]; v > 0 {
				bt.Rows = append(bt.Rows, breakdownRow{Key: k, Value: v})
			}
		}
		out = append(out, bt)
	}
	return out
}

// warningMap gathers what the page's map draws: county boundaries, the
// warning's areas, and the affected villages with their counts.
func (h *Handler) warningMap(r *http.Request, w *backstop.Warning, e *backstop.Exposure) (map[string]any, error) {
	ctx := r.Context()
	var features []mapFeature
	var areaNames []string
	counties, _, err := h.cfg.Registry.Regions(ctx, backstop.RegionFilter{Level: backstop.LevelCounty, Limit: 500})
	if err != nil {
		return nil, err
	}
	// Counties near the warning: those of the exposed villages and of the
	// areas' regions, else all in the user's scope (at most 40).
	wanted := map[string]bool{}
	if e != nil {
		for _, v := range e.ByCounty {
			wanted[v.Code] = true
		}
	}
	for _, a := range w.Areas {
		for _, code := range a.Regions {
			if len(code) == 12 {
				wanted[code[:6]+"000000"] = true
			}
		}
	}
	u := backstop.UserFromContext(ctx)
	for _, c := range counties {
		if len(wanted) > 0 && !wanted[c.Code] {
			continue
		}
		if len(wanted) == 0 && (u.Region != backstop.NationalScope && !backstop.CodeWithin(c.Code, u.Region) && !backstop.CodeWithin(u.Region, c.Code)) {
			continue
		}
		full, err := h.cfg.Registry.Region(ctx, c.Code, true)
		if err != nil || full.Boundary == nil {
			continue
		}
		features = append(features, mapFeature{Type: "Feature", Properties: map[string]any{"name": c.Code, "label": c.Name, "kind": "county"}, Geometry: geo.MarshalGeometry(full.Boundary)})
		if len(features) >= 40 {
			break
		}
	}
	var villages []map[string]any
	if e != nil {
		for i, v := range e.ByVillage {
			if i >= 1500 {
				break
			}
			reg, err := h.cfg.Registry.Region(ctx, v.Code, true)
			if err != nil || reg.Boundary == nil {
				continue
			}
			features = append(features, mapFeature{Type: "Feature", Properties: map[string]any{"name": v.Code, "label": v.Name, "kind": "village"}, Geometry: geo.MarshalGeometry(reg.Boundary)})
			villages = append(villages, map[string]any{"name": v.Code, "label": v.Name, "value": v.Households, "people": v.People})
		}
	}
	area := exposure.AreaOf(w)
	polys := append(backstop.MultiPolygon(nil), area.Polygons...)
	for _, c := range area.Circles {
		polys = append(polys, c.Polygon())
	}
	for i, p := range polys {
		name := fmt.Sprintf("area-%d", i)
		features = append(features, mapFeature{Type: "Feature", Properties: map[string]any{"name": name, "kind": "area"}, Geometry: geo.MarshalGeometry(backstop.MultiPolygon{p})})
		areaNames = append(areaNames, name)
	}
	for i, code := range area.Regions {
		reg, err := h.cfg.Registry.Region(ctx, code, true)
		if err != nil || reg.Boundary == nil {
			continue
		}
		name := fmt.Sprintf("region-%d", i)
		features = append(features, mapFeature{Type: "Feature", Properties: map[string]any{"name": name, "label": reg.Name, "kind": "area"}, Geometry: geo.MarshalGeometry(reg.Boundary)})
		areaNames = append(areaNames, name)
	}
	if len(features) == 0 {
		return nil, nil
	}
	return map[string]any{"features": features, "areas": areaNames, "villages": villages}, nil
}

func (h *Handler) recomputeExposure(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "Record")
	if err != nil {
		return err
	}
	if _, err := h.cfg.Exposure.Recompute(r.Context(), id); err != nil {
		return err
	}
	http.Redirect(w, r, fmt.Sprintf("/warnings/%d", id), http.StatusSeeOther)
	return nil
}

func (h *Handler) createConsultation(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "Record")
	if err != nil {
		return err
	}
	r.Body = http.MaxBytesReader(w, r.Body, 256<<10)
	if err := r.ParseForm(); err != nil {
		return backstop.Errorf(backstop.EINVALID, "Bad form.")
	}
	split := func(s string) []string {
		var out []string
		for _, p := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '，' || r == '、' || r == '\n' }) {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
		return out
	}
	c := &backstop.Consultation{WarningID: id, Departments: split(r.PostFormValue("departments")), Participants: split(r.PostFormValue("participants")),
		Assessment: r.PostFormValue("assessment"), Decision: r.PostFormValue("decision"), Actions: r.PostForm["action"]}
	if v := r.PostFormValue("held_at"); v != "" {
		if t, err := time.ParseInLocation("2006-01-02T15:04", v, backstop.Beijing); err == nil {
			c.HeldAt = t
		}
	}
	if err := h.cfg.Alerting.CreateConsultation(r.Context(), c); err != nil {
		return err
	}
	http.Redirect(w, r, fmt.Sprintf("/warnings/%d#consultations", id), http.StatusSeeOther)
	return nil
}

func (h *Handler) approveConsultation(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "Record")
	if err != nil {
		return err
	}
	c, err := h.cfg.Alerting.ApproveConsultation(r.Context(), id)
	if err != nil {
		return err
	}
	http.Redirect(w, r, fmt.Sprintf("/warnings/%d#consultations", c.WarningID), http.StatusSeeOther)
	return nil
}

func (h *Handler) feedsPage(w http.ResponseWriter, r *http.Request) error {
	return h.renderFeeds(w, r, http.StatusOK, "")
}

func (h *Handler) renderFeeds(w http.ResponseWriter, r *http.Request, status int, errMsg string) error {
	u := backstop.UserFromContext(r.Context())
	feeds, err := h.cfg.Alerting.Feeds(r.Context())
	if err != nil {
		return err
	}
	h.render(w, r, status, "feeds.html", &page{Title: h.cats[langOf(r)].translate("menu.feeds"), Menu: "feeds", Error: errMsg,
		Data: map[string]any{"Feeds": feeds, "CanManage": u.Can(backstop.PermManageFeeds)}})
	return nil
}

func (h *Handler) createFeed(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		return backstop.Errorf(backstop.EINVALID, "Bad form.")
	}
	interval, _ := strconv.Atoi(r.PostFormValue("interval"))
	f := &backstop.Feed{Name: r.PostFormValue("name"), URL: strings.TrimSpace(r.PostFormValue("url")), IntervalSeconds: interval * 60}
	if !strings.HasPrefix(f.URL, "http://") && !strings.HasPrefix(f.URL, "https://") {
		return h.renderFeeds(w, r, http.StatusBadRequest, h.cats[langOf(r)].translate("feeds.bad_url"))
	}
	if err := h.cfg.Alerting.CreateFeed(r.Context(), f); err != nil {
		if backstop.ErrorCode(err) == backstop.ECONFLICT {
			return h.renderFeeds(w, r, http.StatusConflict, backstop.ErrorMessage(err))
		}
		return err
	}
	http.Redirect(w, r, "/feeds", http.StatusSeeOther)
	return nil
}
