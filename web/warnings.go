package web

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/alerting"
	"github.com/zhangye-backstop/backstop/dispatch"
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
	// State is the warning's state now (an active one past its expiry is
	// expired); Source says where it came from, in words.
	State, Source string
	// Latest is the newest release's progress in the user's region;
	// Releases counts them.
	Latest   *dispatch.Progress
	Releases int
	// Local: entered in backstop (the form, a department's push), not
	// carried from a publisher.
	Local bool
	// Far: the warning's area lies far from the user's region (a
	// publisher's warning for another province, carried by a feed).
	Far bool
}

func (h *Handler) warningRow(r *http.Request, w *backstop.Warning) warningRow {
	row := warningRow{W: w, Level: levelOf(w.Level), State: w.CurrentState(time.Now())}
	row.HazardZH = hazardName(r, w.Hazard)
	if v, err := h.cfg.Exposure.Find(r.Context(), w.ID, 0, 0); err == nil {
		row.Exposure = v.Exposure
	}
	row.Source = h.sourceText(r, w.Source, nil)
	row.Local = w.Source == "form" || w.Source == "json"
	return row
}

// sourceText says where a warning came from.
func (h *Handler) sourceText(r *http.Request, source string, feeds map[int64]string) string {
	cat := h.cats[langOf(r)]
	if id, ok := strings.CutPrefix(source, "feed:"); ok {
		n, _ := strconv.ParseInt(id, 10, 64)
		if name := feeds[n]; name != "" {
			return cat.translate("source.feed.named", name)
		}
		return cat.translate("source.feed")
	}
	return cat.translateOr("source."+source, cat.translate("source.other"))
}

// farFrom tells a warning whose area lies wholly more than farKM from a
// point (the centre of the user's region).
func farFrom(w *backstop.Warning, centre *backstop.Point) bool {
	if centre == nil {
		return false
	}
	area := exposure.AreaOf(w)
	if len(area.Regions) > 0 {
		return false
	}
	seen := false
	for _, p := range area.Polygons {
		for _, ring := range p {
			for _, pt := range ring {
				seen = true
				if distanceKM(*centre, pt) < farKM {
					return false
				}
			}
		}
	}
	for _, c := range area.Circles {
		seen = true
		if distanceKM(*centre, c.Centre) < farKM+c.RadiusKM {
			return false
		}
	}
	return seen
}

// farKM is how far from the user's region a warning's area must be for
// the list to mark it as outside: Zhangye's longest extent is some 400 km.
const farKM = 400

func (h *Handler) warningsPage(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	u := backstop.UserFromContext(r.Context())
	f := backstop.WarningFilter{State: q.Get("state"), Hazard: backstop.Hazard(q.Get("hazard")), Level: q.Get("level"), Sort: q.Get("sort")}
	hazards := make([]string, len(backstop.Hazards))
	for i, hz := range backstop.Hazards {
		hazards[i] = string(hz.Code)
	}
	for _, c := range []struct {
		zh, en, value string
		allowed       []string
	}{
		{"状态", "state", f.State, []string{backstop.StateActive, backstop.StateUpdated, backstop.StateCancelled, backstop.StateExpired}},
		{"级别", "level", f.Level, []string{"red", "orange", "yellow", "blue", "none"}},
		{"灾种", "hazard", string(f.Hazard), hazards},
		{"排序", "sort", f.Sort, []string{"sent", "level", "state"}},
	} {
		if c.value != "" && !slices.Contains(c.allowed, c.value) {
			return backstop.Localized(backstop.EINVALID, "筛选条件“%s”的值“%s”无法识别，请从列表中选择", "Unknown %s %q: choose one from the list.", backstop.Named{ZH: c.zh, EN: c.en}, c.value)
		}
	}
	for _, d := range []struct {
		key string
		dst *time.Time
		add int
	}{{"from", &f.SentFrom, 0}, {"to", &f.SentTo, 1}} {
		if v := strings.TrimSpace(q.Get(d.key)); v != "" {
			t, err := time.ParseInLocation("2006-01-02", v, backstop.Beijing)
			if err != nil {
				return backstop.Localized(backstop.EINVALID, "日期“%s”格式不正确，应为 2026-07-15", "Date %q is not YYYY-MM-DD.", v)
			}
			*d.dst = t.AddDate(0, 0, d.add)
		}
	}
	if httpx.Truthy(r, "mine") {
		f.Exposing = u.Region
	}
	cat := h.cats[langOf(r)]
	if format, err := exportFormat(r); err != nil {
		return err
	} else if format != "" {
		feeds := h.feedNames(r)
		ex := &listExport{name: "warnings", perm: backstop.PermReadWarnings,
			head: []string{cat.translate("warning.sent"), cat.translate("warning.hazard"), cat.translate("warning.level"), cat.translate("warning.headline"),
				cat.translate("warning.state"), cat.translate("warning.source"), cat.translate("warning.released")},
			rows: func(limit, offset int) ([][]string, int, error) {
				f.Limit, f.Offset = limit, offset
				items, total, err := h.cfg.Alerting.Warnings(r.Context(), f)
				rows := make([][]string, len(items))
				for i, it := range items {
					row := h.warningRow(r, it)
					_, n, err := h.cfg.Dispatch.ReleaseList(r.Context(), backstop.ReleaseFilter{WarningID: it.ID, Limit: 1})
					if err != nil {
						return nil, 0, err
					}
					headline := it.Headline
					if headline == "" {
						headline = it.Event
					}
					rows[i] = []string{it.Sent.In(backstop.Beijing).Format("2006-01-02 15:04"), row.HazardZH, cat.translateOr("level."+string(it.Level), cat.translate("level.none")), headline,
						cat.translate("warning.state." + row.State), h.sourceText(r, it.Source, feeds), cat.translate("warning.releases.count", n)}
				}
				return rows, total, err
			}}
		return ex.write(h, w, r, format)
	}
	pg := pageOf(r, 20)
	var items []*backstop.Warning
	err := pg.load(func(limit, offset int) (int, error) {
		f.Limit, f.Offset = limit, offset
		var total int
		var err error
		items, total, err = h.cfg.Alerting.Warnings(r.Context(), f)
		return total, err
	})
	if err != nil {
		return err
	}
	feeds := h.feedNames(r)
	var centre *backstop.Point
	if u.Region != backstop.NationalScope {
		if reg, err := h.cfg.Registry.Region(r.Context(), u.Region, false); err == nil {
			centre = reg.Centre
		}
	}
	rows := make([]warningRow, len(items))
	for i, it := range items {
		rows[i] = h.warningRow(r, it)
		rows[i].Source = h.sourceText(r, it.Source, feeds)
		rows[i].Far = farFrom(it, centre)
		rels, n, err := h.cfg.Dispatch.ReleaseList(r.Context(), backstop.ReleaseFilter{WarningID: it.ID, Limit: 1})
		if err != nil {
			return err
		}
		rows[i].Releases = n
		if len(rels) > 0 {
			rows[i].Latest = rels[0]
		}
	}
	h.render(w, r, http.StatusOK, "warnings.html", &page{Title: h.cats[langOf(r)].translate("menu.warnings"), Menu: "warnings",
		Data: map[string]any{"Rows": rows, "Pager": pg, "Filter": f, "Mine": httpx.Truthy(r, "mine"), "From": q.Get("from"), "To": q.Get("to"),
			"Hazards": backstop.Hazards, "Levels": backstop.WarningLevels, "CanWrite": u.Can(backstop.PermWriteWarnings), "Exports": exportLinks(cat, r)}})
	return nil
}

// feedNames are the polled feeds' names by id, for a warning's source.
func (h *Handler) feedNames(r *http.Request) map[int64]string {
	feeds := map[int64]string{}
	if fs, err := h.cfg.Alerting.Feeds(r.Context()); err == nil {
		for _, f := range fs {
			feeds[f.ID] = f.Name
		}
	}
	return feeds
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
		return backstop.Localized(backstop.EINVALID, "表单无法读取，请重新填写后提交", "Bad form.")
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
			msg := h.errorText(r, err)
			if ds := backstop.ErrorDetails(err); len(ds) > 1 {
				for _, d := range ds[1:] {
					msg += h.cats[langOf(r)].translate("list.sep") + h.problemText(r, d)
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
	pg := pageOf(r, 20)
	var ranked []*backstop.ExposedHousehold
	if row.Exposure != nil {
		err := pg.load(func(limit, offset int) (int, error) {
			v, err := h.cfg.Exposure.Find(r.Context(), id, offset, limit)
			if err != nil {
				return 0, err
			}
			ranked = v.Ranked
			return v.RankedTotal, nil
		})
		if err != nil {
			return err
		}
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
	// Why the release form is not offered, in the order a user fixes it.
	block := ""
	switch {
	case row.State == backstop.StateExpired:
		block = "release.block.expired"
	case row.State == backstop.StateCancelled || warning.MsgType == "Cancel":
		block = "release.block.cancelled"
	case row.State == backstop.StateUpdated:
		block = "release.block.updated"
	case !allowed:
		block = "release.block.consultation"
	case row.Exposure == nil || row.Exposure.Total == nil || row.Exposure.Total.Households == 0:
		block = "release.block.nobody"
	}
	data := map[string]any{"Release": releases, "Row": row, "Ranked": ranked, "Pager": pg,
		"Consultations": consultations, "ReleaseAllowed": allowed, "ReleaseWhy": why, "Map": mapData, "Breakdowns": breakdown, "Groups": backstop.Groups,
		"CanConsult": u.Can(backstop.PermConsult), "CanApprove": u.Can(backstop.PermApprove), "CanWrite": u.Can(backstop.PermWriteWarnings),
		"CanExport": u.Can(backstop.PermExport), "Actions": backstop.ConsultationActions, "Now": time.Now().In(backstop.Beijing).Format("2006-01-02T15:04"),
		"Block": block}
	crumbs := []crumb{{Label: h.cats[langOf(r)].translate("menu.warnings"), Href: "/warnings"}, {Label: h.cats[langOf(r)].translate("warning.crumb")}}
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
		// Townships outlined and named, so that a village is found by
		// where it lies.
		for i, t := range e.ByTownship {
			if i >= 200 {
				break
			}
			reg, err := h.cfg.Registry.Region(ctx, t.Code, true)
			if err != nil || reg.Boundary == nil {
				continue
			}
			features = append(features, mapFeature{Type: "Feature", Properties: map[string]any{"name": t.Code, "label": t.Name, "kind": "township"}, Geometry: geo.MarshalGeometry(reg.Boundary)})
		}
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
		return backstop.Localized(backstop.EINVALID, "表单无法读取，请重新填写后提交", "Bad form.")
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
		Data: map[string]any{"Feeds": feeds, "CanManage": u.Can(backstop.PermManageFeeds),
			// A feed's fetch errors name hosts and addresses of the network:
			// for admins (issue 9).
			"SeeErrors": u.Can(backstop.PermResolveQuarantine)}})
	return nil
}

func (h *Handler) createFeed(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		return backstop.Localized(backstop.EINVALID, "表单无法读取，请重新填写后提交", "Bad form.")
	}
	interval, _ := strconv.Atoi(r.PostFormValue("interval"))
	f := &backstop.Feed{Name: r.PostFormValue("name"), URL: strings.TrimSpace(r.PostFormValue("url")), IntervalSeconds: interval * 60}
	if !strings.HasPrefix(f.URL, "http://") && !strings.HasPrefix(f.URL, "https://") {
		return h.renderFeeds(w, r, http.StatusBadRequest, h.cats[langOf(r)].translate("feeds.bad_url"))
	}
	if err := h.cfg.Alerting.CreateFeed(r.Context(), f); err != nil {
		if backstop.ErrorCode(err) == backstop.ECONFLICT {
			return h.renderFeeds(w, r, http.StatusConflict, h.errorText(r, err))
		}
		return err
	}
	http.Redirect(w, r, "/feeds", http.StatusSeeOther)
	return nil
}

// distanceKM is the great-circle distance between two points.
func distanceKM(a, b backstop.Point) float64 {
	const earthKM = 6371.0
	rad := math.Pi / 180
	dLat, dLon := (b.Lat-a.Lat)*rad, (b.Lon-a.Lon)*rad
	h := math.Sin(dLat/2)*math.Sin(dLat/2) + math.Cos(a.Lat*rad)*math.Cos(b.Lat*rad)*math.Sin(dLon/2)*math.Sin(dLon/2)
	return 2 * earthKM * math.Asin(math.Min(1, math.Sqrt(h)))
}
