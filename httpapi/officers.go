package httpapi

import (
	"net/http"
	"strconv"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/httpx"
	"github.com/zhangye-backstop/backstop/officers"
)

func init() {
	for name, v := range map[string]any{
		"Officer":            backstop.Officer{},
		"OfficerIn":          officers.Input{},
		"OfficerList":        list[backstop.Officer]{},
		"OfficerCoverage":    backstop.OfficerCoverage{},
		"Training":           backstop.TrainingSession{},
		"TrainingIn":         officers.TrainingInput{},
		"TrainingList":       list[backstop.TrainingSession]{},
		"TrainingRecordList": list[backstop.TrainingRecord]{},
	} {
		schemaTypes[name] = v
	}
}

func (s *Server) listOfficers(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := backstop.OfficerFilter{Region: q.Get("region"), Query: q.Get("q"), All: httpx.Truthy(r, "all")}
	var err error
	if f.Limit, f.Offset, err = page(r, 100); err != nil {
		return err
	}
	items, total, err := s.cfg.Officers.Officers(r.Context(), f, httpx.Truthy(r, "due"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(items, total))
	return nil
}

func (s *Server) createOfficer(w http.ResponseWriter, r *http.Request) error {
	var in officers.Input
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	o, err := s.cfg.Officers.Create(r.Context(), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, o)
	return nil
}

func (s *Server) getOfficer(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "Officer")
	if err != nil {
		return err
	}
	o, err := s.cfg.Officers.Officer(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, o)
	return nil
}

func (s *Server) updateOfficer(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "Officer")
	if err != nil {
		return err
	}
	var in officers.Input
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	o, err := s.cfg.Officers.Update(r.Context(), id, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, o)
	return nil
}

func (s *Server) officerTrainings(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "Officer")
	if err != nil {
		return err
	}
	items, err := s.cfg.Officers.Records(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(items, len(items)))
	return nil
}

func (s *Server) officerCoverage(w http.ResponseWriter, r *http.Request) error {
	c, err := s.cfg.Officers.Coverage(r.Context(), r.URL.Query().Get("region"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

func (s *Server) listTrainings(w http.ResponseWriter, r *http.Request) error {
	year := 0
	if v := r.URL.Query().Get("year"); v != "" {
		var err error
		if year, err = strconv.Atoi(v); err != nil || year < 2000 || year > 2100 {
			return backstop.Localized(backstop.EINVALID, "year 须为四位年份，不能是“%s”", "year must be a four-digit year, not %q.", v)
		}
	}
	items, err := s.cfg.Officers.Trainings(r.Context(), r.URL.Query().Get("region"), year)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(items, len(items)))
	return nil
}

func (s *Server) createTraining(w http.ResponseWriter, r *http.Request) error {
	var in officers.TrainingInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	t, err := s.cfg.Officers.RecordTraining(r.Context(), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, t)
	return nil
}

// officerRoutes are the routes of this file.
func (s *Server) officerRoutes() []*route {
	idParam := param{name: "id", in: "path", typ: "integer", required: true, desc: "officer id"}
	read := access{perm: backstop.PermReadPrepared, scope: scopeRead}
	write := access{perm: backstop.PermManageOfficers, scope: scopeWrite}
	return []*route{
		{method: "GET", path: "/api/v1/officers", summary: "Disaster information officers (灾害信息员) serving in your region, phones masked; due=1: those due for training", tag: "officers",
			params: append([]param{{name: "region", in: "query", typ: "string", format: "region", desc: "region code"}, {name: "q", in: "query", typ: "string", desc: "part of the name"},
				{name: "due", in: "query", typ: "boolean", desc: "only those due for training (policy officer.training_every_months)"}, {name: "all", in: "query", typ: "boolean", desc: "also those who left"}}, pageParams...),
			response: "OfficerList", handle: s.listOfficers, access: access{perm: backstop.PermReadPrepared}},
		{method: "POST", path: "/api/v1/officers", summary: "Add an officer of a village or township", tag: "officers", body: "OfficerIn", response: "Officer", status: http.StatusCreated,
			handle: s.createOfficer, access: write},
		{method: "GET", path: "/api/v1/officers/coverage", summary: "Coverage of a region's villages by serving officers: {villages, covered, gaps}", tag: "officers",
			params: []param{{name: "region", in: "query", typ: "string", format: "region", desc: "region code (your region when absent)"}}, response: "OfficerCoverage", handle: s.officerCoverage, access: read},
		{method: "GET", path: "/api/v1/officers/{id}", summary: "One officer", tag: "officers", params: []param{idParam}, response: "Officer", handle: s.getOfficer, access: read},
		{method: "PUT", path: "/api/v1/officers/{id}", summary: "Change an officer (a move, leaving: until; the info_officer account)", tag: "officers", params: []param{idParam},
			body: "OfficerIn", response: "Officer", handle: s.updateOfficer, access: write},
		{method: "GET", path: "/api/v1/officers/{id}/trainings", summary: "An officer's training records", tag: "officers", params: []param{idParam}, response: "TrainingRecordList",
			handle: s.officerTrainings, access: read},
		{method: "GET", path: "/api/v1/trainings", summary: "Training sessions (city, county, township) in your region with their attendees", tag: "officers",
			params: []param{{name: "region", in: "query", typ: "string", format: "region", desc: "region code"}, {name: "year", in: "query", typ: "integer", desc: "year"}}, response: "TrainingList",
			handle: s.listTrainings, access: access{perm: backstop.PermReadPrepared}},
		{method: "POST", path: "/api/v1/trainings", summary: "Record a training session and who attended", tag: "officers", body: "TrainingIn", response: "Training", status: http.StatusCreated,
			handle: s.createTraining, access: write},
	}
}
