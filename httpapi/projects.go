package httpapi

import (
	"net/http"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/httpx"
	"github.com/zhangye-backstop/backstop/projects"
)

func init() {
	for name, v := range map[string]any{
		"Project":       backstop.Project{},
		"ProjectIn":     projects.Proposal{},
		"ProjectList":   list[backstop.Project]{},
		"ProjectLists":  projects.Lists{},
		"Decision":      projects.Decision{},
		"Funds":         fundsInput{},
		"Beneficiaries": beneficiariesInput{},
		"Progress":      projects.Progress{},
	} {
		schemaTypes[name] = v
	}
}

func (s *Server) listProjects(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := backstop.ProjectFilter{Region: q.Get("region"), State: backstop.ProjectState(q.Get("state")), Type: q.Get("type")}
	if q.Get("fast_track") != "" {
		v := httpx.Truthy(r, "fast_track")
		f.FastTrack = &v
	}
	var err error
	if f.Limit, f.Offset, err = page(r, 100); err != nil {
		return err
	}
	items, total, err := s.cfg.Projects.Projects(r.Context(), f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(items, total))
	return nil
}

func (s *Server) projectLists(w http.ResponseWriter, r *http.Request) error {
	region := r.URL.Query().Get("region")
	if region == "" {
		region = backstop.NationalScope
	}
	l, err := s.cfg.Projects.ListsFor(r.Context(), region)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, l)
	return nil
}

func (s *Server) proposeProject(w http.ResponseWriter, r *http.Request) error {
	var in projects.Proposal
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	p, err := s.cfg.Projects.Propose(r.Context(), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, p)
	return nil
}

func (s *Server) getProject(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "Project")
	if err != nil {
		return err
	}
	p, err := s.cfg.Projects.Project(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

// projectChange decodes a body and applies it to the project in the path.
func projectChange[T any](s *Server, apply func(r *http.Request, id int64, in T) (*backstop.Project, error)) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := httpx.PathID(r, "Project")
		if err != nil {
			return err
		}
		var in T
		if err := decodeJSON(w, r, &in); err != nil {
			return err
		}
		p, err := apply(r, id, in)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, p)
		return nil
	}
}

type fundsInput struct {
	Funds []backstop.ProjectFund `json:"funds"`
}

type beneficiariesInput struct {
	Households []string `json:"households"`
}

// projectRoutes are the routes of this file.
func (s *Server) projectRoutes() []*route {
	idParam := param{name: "id", in: "path", typ: "integer", required: true, desc: "project id"}
	review := access{perm: backstop.PermReviewProjects, scope: scopeWrite}
	return []*route{
		{method: "GET", path: "/api/v1/projects", summary: "The project library (项目库) of your region: procedure state, fast track, funds totals", tag: "projects",
			params: append([]param{{name: "region", in: "query", typ: "string", format: "region", desc: "region code"}, {name: "state", in: "query", typ: "string", desc: "in_step, approved or rejected", values: []string{"in_step", "approved", "rejected"}},
				{name: "fast_track", in: "query", typ: "boolean", desc: "only disaster-response projects (or none of them)"}, {name: "type", in: "query", typ: "string", desc: "project type code"}}, pageParams...),
			response: "ProjectList", handle: s.listProjects, access: access{perm: backstop.PermReadPrepared}},
		{method: "GET", path: "/api/v1/projects/lists", summary: "Project types and fund sources in force (policy data)", tag: "projects",
			params: []param{{name: "region", in: "query", typ: "string", format: "region", desc: "region code"}}, response: "ProjectLists", handle: s.projectLists, access: access{perm: backstop.PermReadPrepared}},
		{method: "POST", path: "/api/v1/projects", summary: "Propose a village's project (fast_track: a disaster-response project on the shorter procedure); the first step's clock starts", tag: "projects",
			body: "ProjectIn", response: "Project", status: http.StatusCreated, handle: s.proposeProject, access: access{perm: backstop.PermWriteProjects, scope: scopeWrite}},
		{method: "GET", path: "/api/v1/projects/{id}", summary: "A project with its steps, history, funds and beneficiaries", tag: "projects", params: []param{idParam}, response: "Project",
			handle: s.getProject, access: access{perm: backstop.PermReadPrepared, scope: scopeRead}},
		{method: "POST", path: "/api/v1/projects/{id}/decision", summary: "Pass or reject the current step (its role or above); of two at once one wins, the other is 409", tag: "projects",
			params: []param{idParam}, body: "Decision", response: "Project", access: review,
			handle: projectChange(s, func(r *http.Request, id int64, in projects.Decision) (*backstop.Project, error) {
				return s.cfg.Projects.Decide(r.Context(), id, in)
			})},
		{method: "PUT", path: "/api/v1/projects/{id}/funds", summary: "Replace a project's funds by source (planned, allocated, spent, yuan)", tag: "projects", params: []param{idParam}, body: "Funds", response: "Project",
			access: review, handle: projectChange(s, func(r *http.Request, id int64, in fundsInput) (*backstop.Project, error) {
				return s.cfg.Projects.SetFunds(r.Context(), id, in.Funds)
			})},
		{method: "PUT", path: "/api/v1/projects/{id}/beneficiaries", summary: "Replace a project's beneficiary households (户编号 of the county)", tag: "projects", params: []param{idParam},
			body: "Beneficiaries", response: "Project", access: review, handle: projectChange(s, func(r *http.Request, id int64, in beneficiariesInput) (*backstop.Project, error) {
				return s.cfg.Projects.SetBeneficiaries(r.Context(), id, in.Households)
			})},
		{method: "POST", path: "/api/v1/projects/{id}/progress", summary: "Move an approved project's implementation (not_started → underway → completed; suspended and back)", tag: "projects",
			params: []param{idParam}, body: "Progress", response: "Project", access: review,
			handle: projectChange(s, func(r *http.Request, id int64, in projects.Progress) (*backstop.Project, error) {
				return s.cfg.Projects.SetProgress(r.Context(), id, in)
			})},
	}
}
