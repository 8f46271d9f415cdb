package web

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/projects"
)

func (h *Handler) projectPages() {
	h.handle("GET /prepare/projects", h.projectsPage)
	h.handle("POST /prepare/projects", h.proposeProject)
	h.handle("GET /prepare/projects/{id}", h.projectPage)
	h.handle("POST /prepare/projects/{id}/decision", h.decideProject)
	h.handle("POST /prepare/projects/{id}/funds", h.projectFunds)
	h.handle("POST /prepare/projects/{id}/beneficiaries", h.projectBeneficiaries)
	h.handle("POST /prepare/projects/{id}/progress", h.projectProgress)
}

// projectLists are the type and fund-source names in force.
func (h *Handler) projectLists(r *http.Request) (types, sources map[string]string, typeOpts, sourceOpts []option) {
	types, sources = map[string]string{}, map[string]string{}
	l, err := h.cfg.Projects.ListsFor(r.Context(), backstop.UserFromContext(r.Context()).Region)
	if err != nil {
		return
	}
	pick := func(zh, en string) string {
		if langOf(r) == LangEN && en != "" {
			return en
		}
		return zh
	}
	for _, t := range l.Types {
		types[t.Code] = pick(t.ZH, t.EN)
		typeOpts = append(typeOpts, option{Value: t.Code, Label: types[t.Code]})
	}
	for _, s := range l.Sources {
		sources[s.Code] = pick(s.ZH, s.EN)
		sourceOpts = append(sourceOpts, option{Value: s.Code, Label: sources[s.Code]})
	}
	return
}

func (h *Handler) projectStep(r *http.Request, p *backstop.Project) string {
	switch p.State {
	case backstop.ProjectApproved:
		return h.tr(r, "project.state.approved")
	case backstop.ProjectRejected:
		return h.tr(r, "project.state.rejected")
	}
	for _, st := range p.Steps {
		if st.Code == p.Step {
			if langOf(r) == LangEN && st.EN != "" {
				return h.tr(r, "project.at_step", st.EN)
			}
			return h.tr(r, "project.at_step", st.ZH)
		}
	}
	return h.tr(r, "project.state.in_step")
}

func (h *Handler) projectsPage(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := backstop.ProjectFilter{State: backstop.ProjectState(q.Get("state")), Type: q.Get("type")}
	if q.Get("fast") == "1" {
		yes := true
		f.FastTrack = &yes
	}
	types, _, typeOpts, _ := h.projectLists(r)
	rn := h.namer(r)
	tb := &table{ID: "projects", Header: []string{h.tr(r, "project.name"), h.tr(r, "project.type"), h.tr(r, "project.village"), h.tr(r, "project.fast"), h.tr(r, "project.state"),
		h.tr(r, "project.progress"), h.tr(r, "project.planned"), h.tr(r, "project.allocated"), h.tr(r, "project.spent"), h.tr(r, "col.actions")}}
	pg, err := h.rows(r, tb, func(limit, offset int) (int, [][]cell, error) {
		f.Limit, f.Offset = limit, offset
		items, total, err := h.cfg.Projects.Projects(r.Context(), f)
		var out [][]cell
		for _, p := range items {
			out = append(out, []cell{{Text: p.Name}, {Text: dashText(types[p.Type])}, {Text: rn.path(p.Village)}, {Text: ifText(p.FastTrack, h.tr(r, "project.fast.yes"), "—"), Tag: ifText(p.FastTrack, "warn", "")},
				{Text: h.projectStep(r, p), Tag: ifText(p.State == backstop.ProjectApproved, "ok", "")}, {Text: h.tr(r, "project.progress."+string(p.Progress))},
				{Text: yuan(p.Planned), Num: true}, {Text: yuan(p.Allocated), Num: true}, {Text: yuan(p.Spent), Num: true}, {Text: h.tr(r, "action.view"), Href: fmt.Sprintf("/prepare/projects/%d", p.ID)}})
		}
		return total, out, err
	})
	if err != nil {
		return err
	}
	states := withBlank(h.tr(r, "filter.all"), opts(string(f.State), []string{"in_step", "approved", "rejected"}, func(c string) string { return h.tr(r, "project.state."+c) }))
	v := &prepView{Table: tb, Pager: pg, Filters: &form{Get: true, Action: "/prepare/projects", Fields: []field{
		{Label: h.tr(r, "project.state"), Name: "state", Type: "select", Options: states},
		{Label: h.tr(r, "project.type"), Name: "type", Type: "select", Options: withBlank(h.tr(r, "filter.all"), markSelected(typeOpts, f.Type))},
		{Label: h.tr(r, "project.fast.only"), Name: "fast", Type: "checkbox", Value: ifText(f.FastTrack != nil, "1", "")}}}}
	u := backstop.UserFromContext(r.Context())
	if u.Can(backstop.PermWriteProjects) {
		villages := h.levelOptions(r, backstop.LevelVillage, "")
		v.Forms = append(v.Forms, &form{ID: "project-new", Title: h.tr(r, "project.new"), Action: "/prepare/projects", Submit: h.tr(r, "project.propose"), Hint: h.tr(r, "project.new.hint"), Fields: []field{
			{Label: h.tr(r, "project.name"), Name: "name", Required: true, Max: backstop.MaxProjectName},
			{Label: h.tr(r, "project.type"), Name: "type", Type: "select", Options: typeOpts},
			{Label: h.tr(r, "project.village"), Name: "village", Type: "select", Required: true, Options: villages},
			{Label: h.tr(r, "project.fast"), Name: "fast_track", Type: "checkbox", Hint: h.tr(r, "project.fast.hint")},
			{Label: h.tr(r, "project.event"), Name: "event", Max: backstop.MaxProjectName},
			{Label: h.tr(r, "project.summary"), Name: "summary", Type: "textarea", Max: backstop.MaxProjectSummary}}})
	}
	return h.prepPage(w, r, "prep-projects", h.tr(r, "menu.prep.projects"), v)
}

func markSelected(o []option, v string) []option {
	out := make([]option, len(o))
	for i, x := range o {
		x.Selected = x.Value == v
		out[i] = x
	}
	return out
}

func (h *Handler) proposeProject(w http.ResponseWriter, r *http.Request) error {
	f, err := formValues(w, r)
	if err != nil {
		return err
	}
	p, err := h.cfg.Projects.Propose(r.Context(), projects.Proposal{Name: f.Get("name"), Type: f.Get("type"), Village: f.Get("village"), FastTrack: f.Get("fast_track") == "1", Event: f.Get("event"), Summary: f.Get("summary")})
	if err != nil {
		return h.prepFail(w, r, err, h.projectsPage)
	}
	return done(w, r, fmt.Sprintf("/prepare/projects/%d", p.ID))
}

func (h *Handler) projectPage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	p, err := h.cfg.Projects.Project(r.Context(), id)
	if err != nil {
		return err
	}
	types, sources, _, sourceOpts := h.projectLists(r)
	rn := h.namer(r)
	cat := h.cats[langOf(r)]
	info := section{Pairs: []pair{{Label: h.tr(r, "project.type"), Value: dashText(types[p.Type])}, {Label: h.tr(r, "project.village"), Value: rn.path(p.Village)},
		{Label: h.tr(r, "project.fast"), Value: ifText(p.FastTrack, h.tr(r, "project.fast.yes"), h.tr(r, "no")), Tag: ifText(p.FastTrack, "warn", "")},
		{Label: h.tr(r, "project.event"), Value: dashText(p.Event)}, {Label: h.tr(r, "project.state"), Value: h.projectStep(r, p)},
		{Label: h.tr(r, "project.progress"), Value: h.tr(r, "project.progress."+string(p.Progress))}, {Label: h.tr(r, "project.summary"), Value: dashText(p.Summary)}}}
	if p.StepDue != nil {
		info.Pairs = append(info.Pairs, pair{Label: h.tr(r, "project.step_due"), Value: datetimeText(*p.StepDue)})
	}
	steps := &table{ID: "project-steps", Header: []string{h.tr(r, "project.step"), h.tr(r, "project.step.role"), h.tr(r, "project.step.limit")}}
	for _, st := range p.Steps {
		name := st.ZH
		if langOf(r) == LangEN && st.EN != "" {
			name = st.EN
		}
		steps.Rows = append(steps.Rows, []cell{{Text: name}, {Text: cat.translate("role." + string(st.Role))}, {Text: h.tr(r, "limit."+string(st.Unit), fmt.Sprint(st.Limit))}})
	}
	hist := &table{ID: "project-history", Header: []string{h.tr(r, "col.at"), h.tr(r, "project.step"), h.tr(r, "project.outcome"), h.tr(r, "plan.note"), h.tr(r, "col.by")}}
	for _, a := range p.History {
		outcome := h.tr(r, "project.outcome."+a.Outcome)
		if to, ok := strings.CutPrefix(a.Outcome, "progress:"); ok {
			outcome = h.tr(r, "project.progress."+to)
		}
		stepName := a.Step
		for _, st := range p.Steps {
			if st.Code == a.Step {
				stepName = st.ZH
			}
		}
		if a.Step == "proposal" || a.Step == "implementation" {
			stepName = h.tr(r, "project.step."+a.Step)
		}
		hist.Rows = append(hist.Rows, []cell{{Text: datetimeText(a.At)}, {Text: stepName}, {Text: outcome}, {Text: dashText(a.Note)}, {Text: actorText(cat, a.By)}})
	}
	funds := &table{ID: "project-funds", Header: []string{h.tr(r, "project.source"), h.tr(r, "project.planned"), h.tr(r, "project.allocated"), h.tr(r, "project.spent")}}
	for _, fd := range p.Funds {
		funds.Rows = append(funds.Rows, []cell{{Text: dashText(sources[fd.Source])}, {Text: yuan(fd.Planned), Num: true}, {Text: yuan(fd.Allocated), Num: true}, {Text: yuan(fd.Spent), Num: true}})
	}
	funds.Rows = append(funds.Rows, []cell{{Text: h.tr(r, "project.total")}, {Text: yuan(p.Planned), Num: true}, {Text: yuan(p.Allocated), Num: true}, {Text: yuan(p.Spent), Num: true}})
	benef := &table{ID: "project-beneficiaries", Header: []string{h.tr(r, "col.household.number")}}
	for _, n := range p.Beneficiaries {
		benef.Rows = append(benef.Rows, []cell{{Text: n, Href: "/households/" + n}})
	}
	v := &prepView{Heading: p.Name, Sections: []section{info, {Title: h.tr(r, "project.steps"), Table: steps}, {Title: h.tr(r, "project.history"), Table: hist}}}
	u := backstop.UserFromContext(r.Context())
	review := u.Can(backstop.PermReviewProjects)
	fundSec := section{Title: h.tr(r, "project.funds"), Table: funds}
	if review {
		var fs []field
		for i, so := range sourceOpts {
			var cur backstop.ProjectFund
			for _, fd := range p.Funds {
				if fd.Source == so.Value {
					cur = fd
				}
			}
			fs = append(fs, field{Name: fmt.Sprintf("source.%d", i), Type: "hidden", Value: so.Value},
				field{Label: so.Label + " · " + h.tr(r, "project.planned"), Name: fmt.Sprintf("planned.%d", i), Type: "number", Value: numOrBlank(cur.Planned)},
				field{Label: so.Label + " · " + h.tr(r, "project.allocated"), Name: fmt.Sprintf("allocated.%d", i), Type: "number", Value: numOrBlank(cur.Allocated)},
				field{Label: so.Label + " · " + h.tr(r, "project.spent"), Name: fmt.Sprintf("spent.%d", i), Type: "number", Value: numOrBlank(cur.Spent)})
		}
		fundSec.Forms = []*form{{ID: "project-funds-form", Action: fmt.Sprintf("/prepare/projects/%d/funds", p.ID), Submit: h.tr(r, "action.save"), Hint: h.tr(r, "project.funds.hint"), Fields: fs}}
	}
	benefSec := section{Title: h.tr(r, "project.beneficiaries"), Table: benef}
	if review {
		benefSec.Forms = []*form{{ID: "project-beneficiaries-form", Action: fmt.Sprintf("/prepare/projects/%d/beneficiaries", p.ID), Submit: h.tr(r, "action.save"),
			Fields: []field{{Label: h.tr(r, "project.beneficiaries.numbers"), Name: "households", Type: "textarea", Value: strings.Join(p.Beneficiaries, "\n"), Hint: h.tr(r, "project.beneficiaries.hint")}}}}
	}
	v.Sections = append(v.Sections, fundSec, benefSec)
	if review && p.State == backstop.ProjectInStep {
		v.Sections = append(v.Sections, section{Title: h.projectStep(r, p), Forms: []*form{{ID: "project-decision", Action: fmt.Sprintf("/prepare/projects/%d/decision", p.ID), Submit: h.tr(r, "project.decide"),
			Fields: []field{{Name: "step", Type: "hidden", Value: p.Step},
				{Label: h.tr(r, "project.outcome"), Name: "outcome", Type: "select", Options: []option{{Value: backstop.StepPassed, Label: h.tr(r, "project.outcome.passed")}, {Value: backstop.StepRejected, Label: h.tr(r, "project.outcome.rejected")}}},
				{Label: h.tr(r, "plan.note"), Name: "note", Type: "textarea", Max: backstop.MaxProjectSummary}}}}})
	}
	if review && p.State == backstop.ProjectApproved && p.Progress != backstop.ProgressCompleted {
		var next []option
		for _, to := range map[backstop.ProjectProgress][]backstop.ProjectProgress{backstop.ProgressNotStarted: {backstop.ProgressUnderway},
			backstop.ProgressUnderway: {backstop.ProgressCompleted, backstop.ProgressSuspended}, backstop.ProgressSuspended: {backstop.ProgressUnderway}}[p.Progress] {
			next = append(next, option{Value: string(to), Label: h.tr(r, "project.progress."+string(to))})
		}
		v.Sections = append(v.Sections, section{Title: h.tr(r, "project.progress"), Forms: []*form{{ID: "project-progress", Action: fmt.Sprintf("/prepare/projects/%d/progress", p.ID), Submit: h.tr(r, "action.save"),
			Fields: []field{{Name: "from", Type: "hidden", Value: string(p.Progress)}, {Label: h.tr(r, "project.progress.to"), Name: "to", Type: "select", Options: next},
				{Label: h.tr(r, "plan.note"), Name: "note"}}}}})
	}
	return h.prepPage(w, r, "prep-projects", h.tr(r, "menu.prep.projects"), v)
}

func numOrBlank(f float64) string {
	if f == 0 {
		return ""
	}
	return fmt.Sprint(f)
}

func (h *Handler) decideProject(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	f, err := formValues(w, r)
	if err != nil {
		return err
	}
	if _, err := h.cfg.Projects.Decide(r.Context(), id, projects.Decision{Step: f.Get("step"), Outcome: f.Get("outcome"), Note: f.Get("note")}); err != nil {
		return h.prepFail(w, r, err, h.projectPage)
	}
	return done(w, r, fmt.Sprintf("/prepare/projects/%d", id))
}

func (h *Handler) projectFunds(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	f, err := formValues(w, r)
	if err != nil {
		return err
	}
	var funds []backstop.ProjectFund
	for i := 0; i < 50; i++ {
		src := f.Get(fmt.Sprintf("source.%d", i))
		if src == "" {
			break
		}
		fd := backstop.ProjectFund{Source: src, Planned: atof(f.Get(fmt.Sprintf("planned.%d", i))), Allocated: atof(f.Get(fmt.Sprintf("allocated.%d", i))), Spent: atof(f.Get(fmt.Sprintf("spent.%d", i)))}
		if fd.Planned+fd.Allocated+fd.Spent > 0 {
			funds = append(funds, fd)
		}
	}
	if _, err := h.cfg.Projects.SetFunds(r.Context(), id, funds); err != nil {
		return h.prepFail(w, r, err, h.projectPage)
	}
	return done(w, r, fmt.Sprintf("/prepare/projects/%d", id))
}

func (h *Handler) projectBeneficiaries(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	f, err := formValues(w, r)
	if err != nil {
		return err
	}
	if _, err := h.cfg.Projects.SetBeneficiaries(r.Context(), id, lines(f.Get("households"))); err != nil {
		return h.prepFail(w, r, err, h.projectPage)
	}
	return done(w, r, fmt.Sprintf("/prepare/projects/%d", id))
}

func (h *Handler) projectProgress(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	f, err := formValues(w, r)
	if err != nil {
		return err
	}
	in := projects.Progress{From: backstop.ProjectProgress(f.Get("from")), To: backstop.ProjectProgress(f.Get("to")), Note: f.Get("note")}
	if _, err := h.cfg.Projects.SetProgress(r.Context(), id, in); err != nil {
		return h.prepFail(w, r, err, h.projectPage)
	}
	return done(w, r, fmt.Sprintf("/prepare/projects/%d", id))
}
