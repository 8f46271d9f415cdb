package httpapi

import (
	"io"
	"mime"
	"net/http"
	"strconv"
	"time"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/httpx"
	"github.com/zhangye-backstop/backstop/plans"
)

func init() {
	for name, v := range map[string]any{
		"Plan":               backstop.Plan{},
		"PlanList":           list[backstop.Plan]{},
		"PlanOpen":           planOpen{},
		"PlanDraft":          plans.Draft{},
		"PlanReturn":         planReturn{},
		"PlanVersionList":    list[backstop.PlanVersion]{},
		"PlanReadiness":      readinessAnswer{},
		"PlanChecklist":      list[plans.ChecklistView]{},
		"DepartmentPlan":     backstop.DepartmentPlan{},
		"DepartmentPlanIn":   plans.DepartmentPlanInput{},
		"DepartmentPlanList": list[backstop.DepartmentPlan]{},
	} {
		schemaTypes[name] = v
	}
}

// queryYear reads ?year= (the coming year when absent: plans are made
// for it).
func queryYear(r *http.Request) (int, error) {
	v := r.URL.Query().Get("year")
	if v == "" {
		return time.Now().In(backstop.Beijing).Year() + 1, nil
	}
	y, err := strconv.Atoi(v)
	if err != nil || y < 2000 || y > 2100 {
		return 0, backstop.Localized(backstop.EINVALID, "year 须为四位年份，不能是“%s”", "year must be a four-digit year, not %q.", v)
	}
	return y, nil
}

// readinessAnswer is the city's readiness view.
type readinessAnswer struct {
	Year     int                       `json:"year"`
	Counties []*backstop.PlanReadiness `json:"counties"`
}

func (s *Server) planReadiness(w http.ResponseWriter, r *http.Request) error {
	year, err := queryYear(r)
	if err != nil {
		return err
	}
	rows, err := s.cfg.Plans.Readiness(r.Context(), year)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, readinessAnswer{Year: year, Counties: rows})
	return nil
}

func (s *Server) listPlans(w http.ResponseWriter, r *http.Request) error {
	f := backstop.PlanFilter{County: r.URL.Query().Get("county"), State: backstop.PlanState(r.URL.Query().Get("state"))}
	var err error
	if r.URL.Query().Get("year") != "" {
		if f.Year, err = queryYear(r); err != nil {
			return err
		}
	}
	if f.Limit, f.Offset, err = page(r, 100); err != nil {
		return err
	}
	items, total, err := s.cfg.Plans.Plans(r.Context(), f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(items, total))
	return nil
}

type planOpen struct {
	County string `json:"county"`
	Year   int    `json:"year"`
}

func (s *Server) openPlan(w http.ResponseWriter, r *http.Request) error {
	var in planOpen
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	p, err := s.cfg.Plans.Open(r.Context(), in.County, in.Year)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

func (s *Server) getPlan(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "Plan")
	if err != nil {
		return err
	}
	p, err := s.cfg.Plans.Plan(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

func (s *Server) savePlan(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "Plan")
	if err != nil {
		return err
	}
	var d plans.Draft
	if err := decodeJSON(w, r, &d); err != nil {
		return err
	}
	p, err := s.cfg.Plans.SaveDraft(r.Context(), id, d)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

func (s *Server) planVersions(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "Plan")
	if err != nil {
		return err
	}
	vs, err := s.cfg.Plans.Versions(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(vs, len(vs)))
	return nil
}

func (s *Server) uploadPlanDocument(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "Plan")
	if err != nil {
		return err
	}
	if _, err := backstop.Authorize(r.Context(), backstop.PermWritePlans); err != nil {
		return err // before reading the upload
	}
	path, name, _, err := httpx.SaveUpload(w, r, s.cfg.TempDir, plans.MaxDocumentBytes)
	if err != nil {
		return err
	}
	p, err := s.cfg.Plans.AttachDocument(r.Context(), id, path, name)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

// documentTypes are the media types of plan documents.
var documentTypes = map[string]string{
	plans.KindPDF:  "application/pdf",
	plans.KindDOCX: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
	plans.KindDOC:  "application/msword",
}

func (s *Server) planDocument(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "Plan")
	if err != nil {
		return err
	}
	doc, f, err := s.cfg.Plans.Document(r.Context(), id)
	if err != nil {
		return err
	}
	defer f.Close()
	return sendDocument(w, doc, f)
}

func (s *Server) movePlan(move func(*Server, *http.Request, int64) (*backstop.Plan, error)) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := httpx.PathID(r, "Plan")
		if err != nil {
			return err
		}
		p, err := move(s, r, id)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, p)
		return nil
	}
}

type planReturn struct {
	Note string `json:"note"`
}

func (s *Server) planChecklist(w http.ResponseWriter, r *http.Request) error {
	county := r.URL.Query().Get("county")
	if county == "" {
		county = backstop.NationalScope
	}
	items, err := s.cfg.Plans.ChecklistFor(r.Context(), county)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(items, len(items)))
	return nil
}

func (s *Server) listDepartmentPlans(w http.ResponseWriter, r *http.Request) error {
	year := 0
	if r.URL.Query().Get("year") != "" {
		var err error
		if year, err = queryYear(r); err != nil {
			return err
		}
	}
	items, err := s.cfg.Plans.DepartmentPlans(r.Context(), year, r.URL.Query().Get("region"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(items, len(items)))
	return nil
}

func (s *Server) createDepartmentPlan(w http.ResponseWriter, r *http.Request) error {
	var in plans.DepartmentPlanInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	p, err := s.cfg.Plans.AddDepartmentPlan(r.Context(), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, p)
	return nil
}

func (s *Server) uploadDepartmentDocument(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "Department plan")
	if err != nil {
		return err
	}
	if _, err := backstop.Authorize(r.Context(), backstop.PermWritePlans); err != nil {
		return err // before reading the upload
	}
	path, name, _, err := httpx.SaveUpload(w, r, s.cfg.TempDir, plans.MaxDocumentBytes)
	if err != nil {
		return err
	}
	p, err := s.cfg.Plans.AttachDepartmentDocument(r.Context(), id, path, name)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

func (s *Server) departmentDocument(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "Department plan")
	if err != nil {
		return err
	}
	doc, f, err := s.cfg.Plans.DepartmentDocument(r.Context(), id)
	if err != nil {
		return err
	}
	defer f.Close()
	return sendDocument(w, doc, f)
}

// sendDocument answers with a plan document.
func sendDocument(w http.ResponseWriter, doc *backstop.PlanDocument, f io.Reader) error {
	w.Header().Set("Content-Type", documentTypes[doc.Kind])
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": doc.Name}))
	w.Header().Set("Content-Length", strconv.FormatInt(doc.Size, 10))
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "private, no-store")
	_, err := io.Copy(w, f)
	return err
}

// planRoutes are the routes of this file.
func (s *Server) planRoutes() []*route {
	planParam := param{name: "id", in: "path", typ: "integer", required: true, desc: "plan id"}
	yearParam := param{name: "year", in: "query", typ: "integer", desc: "the plan year (the coming year when absent)"}
	read := access{perm: backstop.PermReadPrepared, scope: scopeRead}
	write := access{perm: backstop.PermWritePlans, scope: scopeWrite}
	approve := access{perm: backstop.PermApprovePlans, scope: scopeWrite}
	return []*route{
		{method: "GET", path: "/api/v1/plans/readiness", summary: "Plan readiness for a year: every county of your region with its plan's state (approved, draft, missing), whether it is late, and the checklist items it lacks", tag: "plans",
			params: []param{yearParam}, response: "PlanReadiness", handle: s.planReadiness, access: access{perm: backstop.PermReadPrepared}},
		{method: "GET", path: "/api/v1/plans/checklist", summary: "The content checklist in force (policy data) that plans are checked against", tag: "plans",
			params: []param{{name: "county", in: "query", typ: "string", format: "region", desc: "county code (its own checklist, when it has one)"}}, response: "PlanChecklist", handle: s.planChecklist, access: access{perm: backstop.PermReadPrepared}},
		{method: "GET", path: "/api/v1/plans", summary: "Counties' contingency plans (预案) in your region", tag: "plans",
			params:   append([]param{yearParam, {name: "county", in: "query", typ: "string", format: "region", desc: "county code"}, {name: "state", in: "query", typ: "string", desc: "missing, draft, submitted or approved", values: codes(backstop.PlanStates)}}, pageParams...),
			response: "PlanList", handle: s.listPlans, access: access{perm: backstop.PermReadPrepared}},
		{method: "POST", path: "/api/v1/plans", summary: "Open a county's plan for a year (kept when it exists), with its reminder clock", tag: "plans",
			body: "PlanOpen", response: "Plan", handle: s.openPlan, access: write},
		{method: "GET", path: "/api/v1/plans/{id}", summary: "A plan with its current version, missing checklist items and document", tag: "plans", params: []param{planParam}, response: "Plan", handle: s.getPlan, access: read},
		{method: "PUT", path: "/api/v1/plans/{id}", summary: "Save a new version of a draft (title and sections by checklist item)", tag: "plans", params: []param{planParam},
			body: "PlanDraft", response: "Plan", handle: s.savePlan, access: write},
		{method: "GET", path: "/api/v1/plans/{id}/versions", summary: "A plan's versions, newest first", tag: "plans", params: []param{planParam}, response: "PlanVersionList", handle: s.planVersions, access: read},
		{method: "POST", path: "/api/v1/plans/{id}/document", summary: "Attach the plan document (PDF or Word, checked by content, at most 20 MiB) as a new version", tag: "plans",
			params: []param{planParam, {name: "filename", in: "query", typ: "string", desc: "file name when the body is the raw file"}}, body: "file", response: "Plan", handle: s.uploadPlanDocument, access: write},
		{method: "GET", path: "/api/v1/plans/{id}/document", summary: "Download the plan's current document", tag: "plans", params: []param{planParam}, response: "file", handle: s.planDocument, access: read},
		{method: "POST", path: "/api/v1/plans/{id}/submit", summary: "Submit a complete draft to the city", tag: "plans", params: []param{planParam}, response: "Plan", access: write,
			handle: s.movePlan(func(s *Server, r *http.Request, id int64) (*backstop.Plan, error) {
				return s.cfg.Plans.Submit(r.Context(), id)
			})},
		{method: "POST", path: "/api/v1/plans/{id}/approve", summary: "Approve a submitted plan (the city); of two approvals at once one wins, the other is 409", tag: "plans", params: []param{planParam},
			response: "Plan", access: approve, handle: s.movePlan(func(s *Server, r *http.Request, id int64) (*backstop.Plan, error) {
				return s.cfg.Plans.Approve(r.Context(), id)
			})},
		{method: "POST", path: "/api/v1/plans/{id}/return", summary: "Return a submitted plan to the county with the reason", tag: "plans", params: []param{planParam},
			body: "PlanReturn", response: "Plan", access: approve, handle: func(w http.ResponseWriter, r *http.Request) error {
				id, err := httpx.PathID(r, "Plan")
				if err != nil {
					return err
				}
				var in planReturn
				if err := decodeJSON(w, r, &in); err != nil {
					return err
				}
				p, err := s.cfg.Plans.Return(r.Context(), id, in.Note)
				if err != nil {
					return err
				}
				writeJSON(w, http.StatusOK, p)
				return nil
			}},
		{method: "GET", path: "/api/v1/department-plans", summary: "Departments' special disaster-prevention plans (专项防灾减灾预案) in your region", tag: "plans",
			params:   []param{{name: "year", in: "query", typ: "integer", desc: "year"}, {name: "region", in: "query", typ: "string", format: "region", desc: "region code"}},
			response: "DepartmentPlanList", handle: s.listDepartmentPlans, access: access{perm: backstop.PermReadPrepared}},
		{method: "POST", path: "/api/v1/department-plans", summary: "Record a department's special plan", tag: "plans", body: "DepartmentPlanIn", response: "DepartmentPlan",
			status: http.StatusCreated, handle: s.createDepartmentPlan, access: write},
		{method: "POST", path: "/api/v1/department-plans/{id}/document", summary: "Attach a department plan's document (PDF or Word, checked by content, at most 20 MiB)", tag: "plans",
			params: []param{{name: "id", in: "path", typ: "integer", required: true, desc: "department plan id"}, {name: "filename", in: "query", typ: "string", desc: "file name when the body is the raw file"}},
			body:   "file", response: "DepartmentPlan", handle: s.uploadDepartmentDocument, access: write},
		{method: "GET", path: "/api/v1/department-plans/{id}/document", summary: "Download a department plan's document", tag: "plans",
			params: []param{{name: "id", in: "path", typ: "integer", required: true, desc: "department plan id"}}, response: "file", handle: s.departmentDocument, access: read},
	}
}
