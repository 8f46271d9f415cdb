package httpapi

import (
	"context"
	"fmt"
	"io"
	"net/http"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/cases"
	"github.com/zhangye-backstop/backstop/httpx"
)

// Cases (issue 12): monitoring cases, their steps, debts, measures and
// clearing. Handlers decode, call the cases use case and encode.

func init() {
	for name, v := range map[string]any{
		"CaseInput":     cases.OpenInput{},
		"Case":          cases.View{},
		"CaseList":      list[backstop.Case]{},
		"CaseStep":      cases.StepInput{},
		"Attachment":    backstop.Attachment{},
		"MeasureInput":  cases.MeasureInput{},
		"Measure":       backstop.Measure{},
		"MeasureList":   list[backstop.Measure]{},
		"NationalDiff":  list[backstop.NationalDiffRow]{},
		"Clearing":      cases.Clearing{},
		"ClearingList":  list[cases.Clearing]{},
		"ClearingInput": cases.ClearingInput{},
		"CaseNote":      caseNote{},
	} {
		schemaTypes[name] = v
	}
}

// caseNote is the body of a hold or a revert.
type caseNote struct {
	Note string `json:"note"`
}

func (s *Server) openCase(w http.ResponseWriter, r *http.Request) error {
	var in cases.OpenInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	v, err := s.cfg.Cases.Open(r.Context(), in)
	if err != nil {
		return err
	}
	w.Header().Set("Location", fmt.Sprintf("/api/v1/cases/%d", v.ID))
	writeJSON(w, http.StatusCreated, v)
	return nil
}

func (s *Server) listCases(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := backstop.CaseFilter{State: q.Get("state"), HasDebts: httpx.Truthy(r, "has_debts"), Overdue: httpx.Truthy(r, "overdue"), Region: q.Get("region"), Household: q.Get("household")}
	if v := q.Get("green_channel"); v != "" {
		g := httpx.Truthy(r, "green_channel")
		f.GreenChannel = &g
	}
	var err error
	if f.Limit, f.Offset, err = page(r, 100); err != nil {
		return err
	}
	items, total, err := s.cfg.Cases.Cases(r.Context(), f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(items, total))
	return nil
}

func (s *Server) getCase(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "Case")
	if err != nil {
		return err
	}
	v, err := s.cfg.Cases.View(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

func (s *Server) caseStep(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "Case")
	if err != nil {
		return err
	}
	var in cases.StepInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	v, err := s.cfg.Cases.Step(r.Context(), id, r.PathValue("step"), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

func (s *Server) addCaseAttachment(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "Case")
	if err != nil {
		return err
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<20)
	body, err := photoBody(r)
	if err != nil {
		return err
	}
	a, err := s.cfg.Cases.Attach(r.Context(), id, body)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, a)
	return nil
}

func (s *Server) getCaseAttachment(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "Case")
	if err != nil {
		return err
	}
	f, a, err := s.cfg.Cases.Attachment(r.Context(), id, r.PathValue("hash"))
	if err != nil {
		return err
	}
	defer f.Close()
	w.Header().Set("Content-Type", a.ContentType)
	w.Header().Set("Cache-Control", "private, max-age=86400")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, err = io.Copy(w, f)
	return err
}

func (s *Server) addMeasure(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "Case")
	if err != nil {
		return err
	}
	var in cases.MeasureInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	m, err := s.cfg.Cases.AddMeasure(r.Context(), id, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, m)
	return nil
}

func (s *Server) updateMeasure(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "Case")
	if err != nil {
		return err
	}
	mid, err := httpx.PathInt(r, "mid", "Measure")
	if err != nil {
		return err
	}
	var in cases.MeasureInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	m, err := s.cfg.Cases.UpdateMeasure(r.Context(), id, mid, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, m)
	return nil
}

func (s *Server) listMeasures(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := backstop.MeasureFilter{Department: q.Get("department"), Status: q.Get("status"), Region: q.Get("region")}
	var err error
	if f.Limit, f.Offset, err = page(r, 100); err != nil {
		return err
	}
	items, total, err := s.cfg.Cases.Measures(r.Context(), f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(items, total))
	return nil
}

func (s *Server) nationalDiff(w http.ResponseWriter, r *http.Request) error {
	limit, offset, err := page(r, 100)
	if err != nil {
		return err
	}
	items, total, err := s.cfg.Cases.NationalDiff(r.Context(), r.URL.Query().Get("kind"), r.URL.Query().Get("region"), offset, limit)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(items, total))
	return nil
}

func (s *Server) clearingCandidates(w http.ResponseWriter, r *http.Request) error {
	limit, offset, err := page(r, 100)
	if err != nil {
		return err
	}
	items, total, err := s.cfg.Cases.Candidates(r.Context(), r.URL.Query().Get("region"), offset, limit)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(items, total))
	return nil
}

func (s *Server) householdClearing(w http.ResponseWriter, r *http.Request) error {
	c, err := s.cfg.Cases.Eligibility(r.Context(), r.PathValue("number"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

func (s *Server) proposeClearing(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "Case")
	if err != nil {
		return err
	}
	var in cases.ClearingInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	v, err := s.cfg.Cases.ProposeClearing(r.Context(), id, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

func (s *Server) holdCase(w http.ResponseWriter, r *http.Request) error {
	return s.caseNoteAction(w, r, s.cfg.Cases.Hold)
}

func (s *Server) revertCase(w http.ResponseWriter, r *http.Request) error {
	return s.caseNoteAction(w, r, s.cfg.Cases.Revert)
}

func (s *Server) caseNoteAction(w http.ResponseWriter, r *http.Request, do func(ctx context.Context, id int64, note string) (*cases.View, error)) error {
	id, err := httpx.PathID(r, "Case")
	if err != nil {
		return err
	}
	var in caseNote
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	v, err := do(r.Context(), id, in.Note)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

func (s *Server) caseRoutes() []*route {
	caseParam := param{name: "id", in: "path", typ: "integer", required: true, desc: "case id"}
	read := access{perm: backstop.PermReadCases, scope: scopeRead}
	list := access{perm: backstop.PermReadCases, scope: scopeNone}
	write := access{perm: backstop.PermManageCases, scope: scopeWrite}
	regionQuery := param{name: "region", in: "query", typ: "string", desc: "region code inside your region"}
	return []*route{
		{method: "POST", path: "/api/v1/cases", summary: "Open a case for a household: the normal procedure (in_procedure at its first step, with its clock) or the green channel (active at once, every step a procedure debt due by its clock; needs a disaster or accident risk and a township-verified loss report)", tag: "cases",
			body: "CaseInput", response: "Case", status: http.StatusCreated, handle: s.openCase, access: write},
		{method: "GET", path: "/api/v1/cases", summary: "Cases in your region, newest first", tag: "cases",
			params: append([]param{{name: "state", in: "query", typ: "string", desc: "in_procedure, active, clearing, cleared, held or refused"},
				{name: "green_channel", in: "query", typ: "boolean", desc: "green-channel cases only (or not)"}, {name: "has_debts", in: "query", typ: "boolean", desc: "with an open procedure debt"},
				{name: "overdue", in: "query", typ: "boolean", desc: "a step or debt past its due"}, regionQuery, {name: "household", in: "query", typ: "string", desc: "household number"}}, pageParams...),
			response: "CaseList", handle: s.listCases, access: list},
		{method: "GET", path: "/api/v1/cases/national-diff", summary: "Comparison with the national system's view from the last roster import: local_only (approved here, not yet there) or national_only (there, no local case)", tag: "cases",
			params: append([]param{{name: "kind", in: "query", typ: "string", required: true, desc: "local_only or national_only"}, regionQuery}, pageParams...), response: "NationalDiff", handle: s.nationalDiff, access: list},
		{method: "GET", path: "/api/v1/cases/clearing-candidates", summary: "Active cases in your region eligible to clear now", tag: "cases",
			params: append([]param{regionQuery}, pageParams...), response: "ClearingList", handle: s.clearingCandidates, access: list},
		{method: "GET", path: "/api/v1/cases/{id}", summary: "A case with its steps, procedure debts (程序未完成 while one is open), measures and the national checks' problems", tag: "cases",
			params: []param{caseParam}, response: "Case", handle: s.getCase, access: read},
		{method: "POST", path: "/api/v1/cases/{id}/steps/{step}", summary: "Do a step (the one due, in order; on a green-channel case the first open debt) by compare-and-set: pass, fail with a reason (refused), or recheck (复核) of the refusing step", tag: "cases",
			params: []param{caseParam, {name: "step", in: "path", typ: "string", required: true, desc: "the step's code"}}, body: "CaseStep", response: "Case", handle: s.caseStep, access: write},
		{method: "POST", path: "/api/v1/cases/{id}/attachments", summary: "Upload a scan or photo (the signed consent …): JPEG, PNG or GIF checked by content, as body or multipart field \"photo\"; a step names it by its hash", tag: "cases",
			params: []param{caseParam}, body: "file", response: "Attachment", status: http.StatusCreated, handle: s.addCaseAttachment, access: write},
		{method: "GET", path: "/api/v1/cases/{id}/attachments/{hash}", summary: "A step's attachment", tag: "cases",
			params: []param{caseParam, {name: "hash", in: "path", typ: "string", required: true, desc: "the file's SHA-256"}}, response: "file", handle: s.getCaseAttachment, access: read},
		{method: "POST", path: "/api/v1/cases/{id}/measures", summary: "Add a measure to the case's plan (一户一策): category and item of the national list, owner department, person, status, amount, dates", tag: "cases",
			params: []param{caseParam}, body: "MeasureInput", response: "Measure", status: http.StatusCreated, handle: s.addMeasure, access: write},
		{method: "POST", path: "/api/v1/cases/{id}/measures/{mid}", summary: "Change a measure by compare-and-set on its version", tag: "cases",
			params: []param{caseParam, {name: "mid", in: "path", typ: "integer", required: true, desc: "measure id"}}, body: "MeasureInput", response: "Measure", handle: s.updateMeasure, access: write},
		{method: "GET", path: "/api/v1/measures", summary: "Measures in your region: a department's queue", tag: "cases",
			params:   append([]param{{name: "department", in: "query", typ: "string", desc: "owner department code"}, {name: "status", in: "query", typ: "string", desc: "planned, in_progress, done or refused"}, regionQuery}, pageParams...),
			response: "MeasureList", handle: s.listMeasures, access: list},
		{method: "POST", path: "/api/v1/cases/{id}/clearing", summary: "Propose clearing (风险消除): refused with every criterion not met; else the clearing procedure starts, recording the clearing-time income and 三保障 block and the way", tag: "cases",
			params: []param{caseParam}, body: "ClearingInput", response: "Case", handle: s.proposeClearing, access: write},
		{method: "POST", path: "/api/v1/cases/{id}/hold", summary: "Hold a case (暂不标注): a household with no labour on 低保/特困 stays monitored, never cleared", tag: "cases",
			params: []param{caseParam}, body: "CaseNote", response: "Case", handle: s.holdCase, access: write},
		{method: "POST", path: "/api/v1/cases/{id}/revert", summary: "回退: reverse a clearing in the same episode (county); the household is monitored again", tag: "cases",
			params: []param{caseParam}, body: "CaseNote", response: "Case", handle: s.revertCase, access: access{perm: backstop.PermApproveCases, scope: scopeWrite}},
		{method: "GET", path: "/api/v1/households/{number}/clearing", summary: "Whether a household's case may be cleared, with every criterion not met (observation_period, income_below_line, no_measure, basic_needs, no_labour_safety_net, rigid_costs, open_debt)", tag: "cases",
			params: []param{numberParam}, response: "Clearing", handle: s.householdClearing, access: read},
	}
}
