package web

import (
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/httpx"
	"github.com/zhangye-backstop/backstop/plans"
)

func (h *Handler) planPages() {
	h.handle("GET /prepare/readiness", h.readinessPage)
	h.handle("GET /prepare/plans", h.plansPage)
	h.handle("POST /prepare/plans", h.openPlan)
	h.handle("GET /prepare/plans/{id}", h.planPage)
	h.handle("POST /prepare/plans/{id}", h.savePlan)
	h.handle("POST /prepare/plans/{id}/document", h.uploadPlanDocument)
	h.handle("GET /prepare/plans/{id}/document", h.planDocument)
	h.handle("POST /prepare/plans/{id}/{action}", h.movePlan)
	h.handle("GET /prepare/department-plans", h.departmentPlansPage)
	h.handle("POST /prepare/department-plans", h.addDepartmentPlan)
	h.handle("POST /prepare/department-plans/document", h.uploadDepartmentDocument)
	h.handle("GET /prepare/department-plans/{id}/document", h.departmentDocument)
}

// planYear reads ?year= (the coming year when absent: plans are made for
// it).
func planYear(r *http.Request) int {
	if y, err := strconv.Atoi(r.URL.Query().Get("year")); err == nil && y >= 2023 && y <= 2100 {
		return y
	}
	return time.Now().In(backstop.Beijing).Year() + 1
}

func yearOptions(selected int) []option {
	y := time.Now().In(backstop.Beijing).Year()
	var out []option
	for _, v := range []int{y + 1, y, y - 1} {
		out = append(out, option{Value: strconv.Itoa(v), Label: fmt.Sprintf("%d年", v), Selected: v == selected})
	}
	return out
}

func (h *Handler) planState(r *http.Request, s backstop.PlanState) string {
	return h.tr(r, "plan.state."+string(s))
}

func planTag(s backstop.PlanState) string {
	switch s {
	case backstop.PlanApproved:
		return "ok"
	case backstop.PlanMissing:
		return "warn"
	}
	return ""
}

// checklistNames are a county's checklist items by code.
func (h *Handler) checklistNames(r *http.Request, county string) (map[string]string, []plans.ChecklistView) {
	items, err := h.cfg.Plans.ChecklistFor(r.Context(), county)
	names := map[string]string{}
	if err != nil {
		return names, nil
	}
	for _, it := range items {
		names[it.Code] = it.ZH
		if langOf(r) == LangEN && it.EN != "" {
			names[it.Code] = it.EN
		}
	}
	return names, items
}

func (h *Handler) readinessPage(w http.ResponseWriter, r *http.Request) error {
	year := planYear(r)
	rows, err := h.cfg.Plans.Readiness(r.Context(), year)
	if err != nil {
		return err
	}
	names, _ := h.checklistNames(r, backstop.NationalScope)
	tb := &table{ID: "readiness", Header: []string{h.tr(r, "col.county"), h.tr(r, "plan.state"), h.tr(r, "plan.version"), h.tr(r, "plan.late"), h.tr(r, "plan.missing"), h.tr(r, "plan.due"), h.tr(r, "col.actions")}}
	counts := map[backstop.PlanState]int{}
	late := 0
	pg, err := h.rows(r, tb, func(limit, offset int) (int, [][]cell, error) {
		var out [][]cell
		for _, c := range rows {
			var missing []string
			for _, m := range c.Missing {
				missing = append(missing, names[m])
			}
			lateText := h.tr(r, "no")
			if c.Late {
				lateText = h.tr(r, "plan.late.yes")
			}
			link := cell{Text: h.tr(r, "action.view")}
			if c.PlanID != 0 {
				link.Href = fmt.Sprintf("/prepare/plans/%d", c.PlanID)
			} else {
				link.Text = "—"
			}
			out = append(out, []cell{{Text: c.Name}, {Text: h.planState(r, c.PlanState), Tag: planTag(c.State)}, {Text: fmtInt(c.Version), Num: true},
				{Text: lateText, Tag: ifText(c.Late, "late", "")}, {Text: strings.Join(missing, "、")}, {Text: day(c.DueAt.Add(-time.Second))}, link})
		}
		return len(out), out, nil
	})
	if err != nil {
		return err
	}
	for _, c := range rows {
		counts[c.State]++
		if c.Late {
			late++
		}
	}
	v := &prepView{Heading: h.tr(r, "plan.readiness.title", year), Note: h.tr(r, "plan.readiness.note"), Table: tb, Pager: pg,
		Summary: []pair{{Label: h.tr(r, "plan.state.approved"), Value: fmtInt(counts[backstop.PlanApproved]), Tag: "ok"}, {Label: h.tr(r, "plan.state.draft"), Value: fmtInt(counts[backstop.PlanDraft])},
			{Label: h.tr(r, "plan.state.missing"), Value: fmtInt(counts[backstop.PlanMissing]), Tag: "warn"}, {Label: h.tr(r, "plan.late"), Value: fmtInt(late), Tag: ifText(late > 0, "late", "")}},
		Filters: &form{Get: true, Action: "/prepare/readiness", Fields: []field{{Label: h.tr(r, "plan.year"), Name: "year", Type: "select", Options: yearOptions(year)}}}}
	return h.prepPage(w, r, "prep-readiness", h.tr(r, "menu.prep.readiness"), v)
}

func (h *Handler) plansPage(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	year := 0
	if q.Get("year") != "" {
		year = planYear(r)
	}
	state := q.Get("state")
	tb := &table{ID: "plans", Header: []string{h.tr(r, "col.county"), h.tr(r, "plan.year"), h.tr(r, "plan.title"), h.tr(r, "plan.state"), h.tr(r, "plan.version"), h.tr(r, "plan.updated"), h.tr(r, "col.actions")}}
	rn := h.namer(r)
	pg, err := h.rows(r, tb, func(limit, offset int) (int, [][]cell, error) {
		items, total, err := h.cfg.Plans.Plans(r.Context(), backstop.PlanFilter{Year: year, State: backstop.PlanState(state), Limit: limit, Offset: offset})
		var out [][]cell
		for _, p := range items {
			out = append(out, []cell{{Text: rn.of(p.County)}, {Text: strconv.Itoa(p.Year)}, {Text: dashText(p.Title)}, {Text: h.planState(r, p.State), Tag: planTag(p.State)},
				{Text: fmtInt(p.Version), Num: true}, {Text: day(p.UpdatedAt)}, {Text: h.tr(r, "action.view"), Href: fmt.Sprintf("/prepare/plans/%d", p.ID)}})
		}
		return total, out, err
	})
	if err != nil {
		return err
	}
	stateOpts := withBlank(h.tr(r, "filter.all"), opts(state, []string{"missing", "draft", "submitted", "approved"}, func(c string) string { return h.tr(r, "plan.state."+c) }))
	v := &prepView{Table: tb, Pager: pg, Filters: &form{Get: true, Action: "/prepare/plans", Fields: []field{
		{Label: h.tr(r, "plan.year"), Name: "year", Type: "select", Options: withBlank(h.tr(r, "filter.all"), yearOptions(year))},
		{Label: h.tr(r, "plan.state"), Name: "state", Type: "select", Options: stateOpts}}}}
	u := backstop.UserFromContext(r.Context())
	if u.Can(backstop.PermWritePlans) {
		v.Forms = append(v.Forms, &form{ID: "plan-open", Title: h.tr(r, "plan.open"), Action: "/prepare/plans", Submit: h.tr(r, "plan.open.submit"), Fields: []field{
			{Label: h.tr(r, "col.county"), Name: "county", Type: "select", Required: true, Options: h.levelOptions(r, backstop.LevelCounty, countyOfUser(u))},
			{Label: h.tr(r, "plan.year"), Name: "year", Type: "select", Options: yearOptions(planYear(r))}}})
	}
	return h.prepPage(w, r, "prep-plans", h.tr(r, "menu.prep.plans"), v)
}

func (h *Handler) openPlan(w http.ResponseWriter, r *http.Request) error {
	f, err := formValues(w, r)
	if err != nil {
		return err
	}
	year, _ := strconv.Atoi(f.Get("year"))
	p, err := h.cfg.Plans.Open(r.Context(), f.Get("county"), year)
	if err != nil {
		return h.prepFail(w, r, err, h.plansPage)
	}
	return done(w, r, fmt.Sprintf("/prepare/plans/%d", p.ID))
}

func (h *Handler) planPage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	p, err := h.cfg.Plans.Plan(r.Context(), id)
	if err != nil {
		return err
	}
	names, items := h.checklistNames(r, p.County)
	rn := h.namer(r)
	var missing []string
	for _, m := range p.Missing {
		missing = append(missing, names[m])
	}
	info := section{Pairs: []pair{{Label: h.tr(r, "col.county"), Value: rn.of(p.County)}, {Label: h.tr(r, "plan.year"), Value: strconv.Itoa(p.Year)},
		{Label: h.tr(r, "plan.state"), Value: h.planState(r, p.State), Tag: planTag(p.State)}, {Label: h.tr(r, "plan.version"), Value: fmtInt(p.Version)},
		{Label: h.tr(r, "plan.due"), Value: day(p.DueAt.Add(-time.Second))}, {Label: h.tr(r, "plan.missing"), Value: dashText(strings.Join(missing, "、"))}}}
	if p.Document != nil {
		info.Pairs = append(info.Pairs, pair{Label: h.tr(r, "plan.document"), Value: p.Document.Name + "（" + bytesSize(p.Document.Size) + "）", Href: fmt.Sprintf("/prepare/plans/%d/document", p.ID)})
	}
	if p.ReturnNote != "" {
		info.Pairs = append(info.Pairs, pair{Label: h.tr(r, "plan.return.note"), Value: p.ReturnNote, Tag: "warn"})
	}
	if p.ApprovedAt != nil {
		info.Pairs = append(info.Pairs, pair{Label: h.tr(r, "plan.approved"), Value: datetimeText(*p.ApprovedAt) + " " + actorText(h.cats[langOf(r)], p.ApprovedBy)})
	}
	v := &prepView{Heading: h.tr(r, "plan.heading", rn.of(p.County), p.Year), Sections: []section{info}}
	u := backstop.UserFromContext(r.Context())
	editable := p.State == backstop.PlanMissing || p.State == backstop.PlanDraft
	if u.Can(backstop.PermWritePlans) && editable {
		content := &form{ID: "plan-draft", Title: h.tr(r, "plan.content"), Action: fmt.Sprintf("/prepare/plans/%d", p.ID), Submit: h.tr(r, "plan.save"), Hint: h.tr(r, "plan.content.hint"),
			Fields: []field{{Label: h.tr(r, "plan.title"), Name: "title", Value: p.Title, Required: true, Max: backstop.MaxPlanTitle}}}
		for _, it := range items {
			label := names[it.Code]
			if it.Required {
				label += h.tr(r, "plan.required")
			}
			content.Fields = append(content.Fields, field{Label: label, Name: "section." + it.Code, Type: "textarea", Value: p.Sections[it.Code], Max: backstop.MaxPlanSection})
		}
		content.Fields = append(content.Fields, field{Label: h.tr(r, "plan.note"), Name: "note", Max: backstop.MaxPlanNote})
		upload := &form{ID: "plan-document", Title: h.tr(r, "plan.document.upload"), Action: fmt.Sprintf("/prepare/plans/%d/document", p.ID), Multipart: true,
			Submit: h.tr(r, "plan.document.submit"), Hint: h.tr(r, "plan.document.hint", backstop.MaxPlanDocumentMiB),
			Fields: []field{{Label: h.tr(r, "plan.document"), Name: "file", Type: "file", Accept: ".pdf,.docx,.doc", Required: true}}}
		v.Sections = append(v.Sections, section{Forms: []*form{content, upload}})
		if p.State == backstop.PlanDraft {
			v.Sections = append(v.Sections, section{Forms: []*form{{ID: "plan-submit", Action: fmt.Sprintf("/prepare/plans/%d/submit", p.ID), Submit: h.tr(r, "plan.submit"), Hint: h.tr(r, "plan.submit.hint")}}})
		}
	}
	if u.Can(backstop.PermApprovePlans) && p.State == backstop.PlanSubmitted {
		v.Sections = append(v.Sections, section{Title: h.tr(r, "plan.review"), Forms: []*form{
			{ID: "plan-approve", Action: fmt.Sprintf("/prepare/plans/%d/approve", p.ID), Submit: h.tr(r, "plan.approve")},
			{ID: "plan-return", Action: fmt.Sprintf("/prepare/plans/%d/return", p.ID), Submit: h.tr(r, "plan.return"),
				Fields: []field{{Label: h.tr(r, "plan.return.note"), Name: "note", Type: "textarea", Required: true, Max: backstop.MaxPlanNote}}}}})
	}
	if p.Version > 0 {
		vs, err := h.cfg.Plans.Versions(r.Context(), p.ID)
		if err != nil {
			return err
		}
		vt := &table{ID: "plan-versions", Header: []string{h.tr(r, "plan.version"), h.tr(r, "plan.title"), h.tr(r, "plan.document"), h.tr(r, "plan.note"), h.tr(r, "col.by"), h.tr(r, "col.at")}}
		for _, x := range vs {
			doc := "—"
			if x.Document != nil {
				doc = x.Document.Name
			}
			vt.Rows = append(vt.Rows, []cell{{Text: fmtInt(x.Version), Num: true}, {Text: x.Title}, {Text: doc}, {Text: dashText(x.Note)}, {Text: actorText(h.cats[langOf(r)], x.CreatedBy)}, {Text: datetimeText(x.CreatedAt)}})
		}
		v.Sections = append(v.Sections, section{Title: h.tr(r, "plan.versions"), Table: vt})
	}
	return h.prepPage(w, r, "prep-plans", h.tr(r, "menu.prep.plans"), v)
}

func (h *Handler) savePlan(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	f, err := formValues(w, r)
	if err != nil {
		return err
	}
	d := plans.Draft{Title: f.Get("title"), Note: f.Get("note"), Sections: map[string]string{}}
	for k, vs := range f {
		if code, ok := strings.CutPrefix(k, "section."); ok && len(vs) > 0 {
			d.Sections[code] = vs[0]
		}
	}
	if _, err := h.cfg.Plans.SaveDraft(r.Context(), id, d); err != nil {
		return h.prepFail(w, r, err, h.planPage)
	}
	return done(w, r, fmt.Sprintf("/prepare/plans/%d", id))
}

func (h *Handler) uploadPlanDocument(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if _, err := backstop.Authorize(r.Context(), backstop.PermWritePlans); err != nil {
		return err
	}
	path, name, _, err := httpx.SaveUpload(w, r, h.cfg.TempDir, plans.MaxDocumentBytes)
	if err != nil {
		return h.prepFail(w, r, err, h.planPage)
	}
	if _, err := h.cfg.Plans.AttachDocument(r.Context(), id, path, name); err != nil {
		return h.prepFail(w, r, err, h.planPage)
	}
	return done(w, r, fmt.Sprintf("/prepare/plans/%d", id))
}

func (h *Handler) planDocument(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	doc, f, err := h.cfg.Plans.Document(r.Context(), id)
	if err != nil {
		return err
	}
	defer f.Close()
	return sendPlanDocument(w, doc, f)
}

// sendPlanDocument answers with a plan document as a download.
func sendPlanDocument(w http.ResponseWriter, doc *backstop.PlanDocument, f io.Reader) error {
	kinds := map[string]string{plans.KindPDF: "application/pdf", plans.KindDOCX: "application/vnd.openxmlformats-officedocument.wordprocessingml.document", plans.KindDOC: "application/msword"}
	w.Header().Set("Content-Type", kinds[doc.Kind])
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": doc.Name}))
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "private, no-store")
	_, err := io.Copy(w, f)
	return err
}

func (h *Handler) movePlan(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	f, err := formValues(w, r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	switch r.PathValue("action") {
	case "submit":
		_, err = h.cfg.Plans.Submit(ctx, id)
	case "approve":
		_, err = h.cfg.Plans.Approve(ctx, id)
	case "return":
		_, err = h.cfg.Plans.Return(ctx, id, f.Get("note"))
	default:
		return backstop.E(backstop.ENOTFOUND, "notfound.record")
	}
	if err != nil {
		return h.prepFail(w, r, err, h.planPage)
	}
	return done(w, r, fmt.Sprintf("/prepare/plans/%d", id))
}

func (h *Handler) departmentPlansPage(w http.ResponseWriter, r *http.Request) error {
	year := 0
	if r.URL.Query().Get("year") != "" {
		year = planYear(r)
	}
	items, err := h.cfg.Plans.DepartmentPlans(r.Context(), year, "")
	if err != nil {
		return err
	}
	rn := h.namer(r)
	tb := &table{ID: "department-plans", Header: []string{h.tr(r, "col.region"), h.tr(r, "plan.year"), h.tr(r, "dept.kind"), h.tr(r, "plan.title"), h.tr(r, "dept.hazards"), h.tr(r, "dept.approved_on"), h.tr(r, "plan.document"), h.tr(r, "plan.note")}}
	pg, err := h.rows(r, tb, func(limit, offset int) (int, [][]cell, error) {
		var out [][]cell
		for _, p := range items {
			var hz []string
			for _, c := range p.Hazards {
				if info, ok := backstop.HazardOf(c); ok {
					hz = append(hz, hazardText(r, info))
				}
			}
			doc := cell{Text: "—"}
			if p.Document != nil {
				doc = cell{Text: p.Document.Name, Href: fmt.Sprintf("/prepare/department-plans/%d/document", p.ID)}
			}
			out = append(out, []cell{{Text: rn.of(p.Region)}, {Text: strconv.Itoa(p.Year)}, {Text: h.tr(r, "dept."+p.Department)}, {Text: p.Title}, {Text: dashText(strings.Join(hz, "、"))},
				{Text: dashText(p.ApprovedOn)}, doc, {Text: dashText(p.Note)}})
		}
		return len(out), out, nil
	})
	if err != nil {
		return err
	}
	v := &prepView{Table: tb, Pager: pg, Filters: &form{Get: true, Action: "/prepare/department-plans", Fields: []field{
		{Label: h.tr(r, "plan.year"), Name: "year", Type: "select", Options: withBlank(h.tr(r, "filter.all"), yearOptions(year))}}}}
	u := backstop.UserFromContext(r.Context())
	if u.Can(backstop.PermWritePlans) {
		regions := append(h.levelOptions(r, backstop.LevelCity, ""), h.levelOptions(r, backstop.LevelCounty, countyOfUser(u))...)
		var hazards []option
		for _, hz := range backstop.Hazards {
			hazards = append(hazards, option{Value: string(hz.Code), Label: hazardText(r, hz)})
		}
		v.Forms = append(v.Forms, &form{ID: "department-plan", Title: h.tr(r, "dept.plan.new"), Action: "/prepare/department-plans", Submit: h.tr(r, "action.save"), Fields: []field{
			{Label: h.tr(r, "col.region"), Name: "region", Type: "select", Required: true, Options: regions},
			{Label: h.tr(r, "plan.year"), Name: "year", Type: "select", Options: yearOptions(planYear(r))},
			{Label: h.tr(r, "dept.kind"), Name: "department", Type: "select", Options: deptOptions(r, h, "")},
			{Label: h.tr(r, "plan.title"), Name: "title", Required: true, Max: backstop.MaxPlanTitle},
			{Label: h.tr(r, "dept.hazard"), Name: "hazards", Type: "select", Options: withBlank("—", hazards)},
			{Label: h.tr(r, "dept.approved_on"), Name: "approved_on", Type: "date"},
			{Label: h.tr(r, "plan.note"), Name: "note", Max: backstop.MaxPlanNote}}})
		if len(items) > 0 {
			var po []option
			for _, p := range items {
				po = append(po, option{Value: strconv.FormatInt(p.ID, 10), Label: fmt.Sprintf("%s %d %s", rn.of(p.Region), p.Year, p.Title)})
			}
			v.Forms = append(v.Forms, &form{ID: "department-document", Title: h.tr(r, "plan.document.upload"), Action: "/prepare/department-plans/document", Multipart: true,
				Submit: h.tr(r, "plan.document.submit"), Hint: h.tr(r, "plan.document.hint", backstop.MaxPlanDocumentMiB),
				Fields: []field{{Label: h.tr(r, "plan.title"), Name: "plan", Type: "select", Options: po}, {Label: h.tr(r, "plan.document"), Name: "file", Type: "file", Accept: ".pdf,.docx,.doc", Required: true}}})
		}
	}
	return h.prepPage(w, r, "prep-department-plans", h.tr(r, "menu.prep.department_plans"), v)
}

func (h *Handler) uploadDepartmentDocument(w http.ResponseWriter, r *http.Request) error {
	if _, err := backstop.Authorize(r.Context(), backstop.PermWritePlans); err != nil {
		return err
	}
	path, name, fields, err := httpx.SaveUpload(w, r, h.cfg.TempDir, plans.MaxDocumentBytes)
	if err != nil {
		return h.prepFail(w, r, err, h.departmentPlansPage)
	}
	if _, err := h.cfg.Plans.AttachDepartmentDocument(r.Context(), atoi(fields["plan"]), path, name); err != nil {
		return h.prepFail(w, r, err, h.departmentPlansPage)
	}
	return done(w, r, "/prepare/department-plans")
}

func (h *Handler) departmentDocument(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	doc, f, err := h.cfg.Plans.DepartmentDocument(r.Context(), id)
	if err != nil {
		return err
	}
	defer f.Close()
	return sendPlanDocument(w, doc, f)
}

func deptOptions(r *http.Request, h *Handler, selected string) []option {
	var out []option
	for _, k := range backstop.DepartmentKinds {
		out = append(out, option{Value: string(k), Label: h.tr(r, "dept."+string(k)), Selected: string(k) == selected})
	}
	return out
}

func (h *Handler) addDepartmentPlan(w http.ResponseWriter, r *http.Request) error {
	f, err := formValues(w, r)
	if err != nil {
		return err
	}
	year, _ := strconv.Atoi(f.Get("year"))
	in := plans.DepartmentPlanInput{Region: f.Get("region"), Year: year, Department: f.Get("department"), Title: f.Get("title"), ApprovedOn: f.Get("approved_on"), Note: f.Get("note")}
	if hz := f.Get("hazards"); hz != "" {
		in.Hazards = []string{hz}
	}
	if _, err := h.cfg.Plans.AddDepartmentPlan(r.Context(), in); err != nil {
		return h.prepFail(w, r, err, h.departmentPlansPage)
	}
	return done(w, r, "/prepare/department-plans")
}

// hazardText is a hazard's name in the page's language.
func hazardText(r *http.Request, h backstop.HazardInfo) string {
	if langOf(r) == LangEN {
		return h.EN
	}
	return h.ZH
}

func dashText(s string) string {
	if strings.TrimSpace(s) == "" {
		return "—"
	}
	return s
}

func datetimeText(t time.Time) string { return t.In(backstop.Beijing).Format("2006-01-02 15:04") }

func bytesSize(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.0f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
