package httpapi

import (
	"net/http"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/alerting"
	"github.com/zhangye-backstop/backstop/httpx"
)

func (s *Server) listQuarantine(w http.ResponseWriter, r *http.Request) error {
	f := backstop.QuarantineFilter{State: r.URL.Query().Get("state")}
	var err error
	if f.Limit, f.Offset, err = page(r, 50); err != nil {
		return err
	}
	items, total, err := s.cfg.Alerting.Quarantined(r.Context(), f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(items, total))
	return nil
}

func (s *Server) getQuarantined(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "Quarantined alert")
	if err != nil {
		return err
	}
	q, err := s.cfg.Alerting.QuarantinedAlert(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, q)
	return nil
}

// quarantinedDocument serves a refused alert's raw document as plain text
// to download: it is what a feed sent, not something to render.
func (s *Server) quarantinedDocument(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "Quarantined alert")
	if err != nil {
		return err
	}
	q, err := s.cfg.Alerting.QuarantinedAlert(r.Context(), id)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Disposition", `attachment; filename="quarantined-alert.xml.txt"`)
	w.Write(q.Document)
	return nil
}

func (s *Server) acceptQuarantined(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "Quarantined alert")
	if err != nil {
		return err
	}
	var area alerting.InputArea
	if err := decodeJSON(w, r, &area); err != nil {
		return err
	}
	warning, err := s.cfg.Alerting.AcceptQuarantined(r.Context(), id, area)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, s.viewWarning(r, warning))
	return nil
}

type dismissal struct {
	Note string `json:"note"`
}

func (s *Server) dismissQuarantined(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "Quarantined alert")
	if err != nil {
		return err
	}
	var in dismissal
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	q, err := s.cfg.Alerting.DismissQuarantined(r.Context(), id, in.Note)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, q)
	return nil
}

// quarantineRoutes are the routes of this file.
func (s *Server) quarantineRoutes() []*route {
	return []*route{
		{method: "GET", path: "/api/v1/quarantine", summary: "CAP alerts from feeds that were refused, with the reasons (duty officers of the feed's region)", tag: "warnings",
			params: append([]param{{name: "state", in: "query", typ: "string", desc: "open, accepted or dismissed", values: []string{backstop.QuarantineOpen, backstop.QuarantineAccepted, backstop.QuarantineDismissed}}}, pageParams...), response: "QuarantineList", access: access{perm: backstop.PermReadWarnings, scope: scopeNone}, handle: s.listQuarantine},
		{method: "GET", path: "/api/v1/quarantine/{id}", summary: "One refused alert with its reasons", tag: "warnings", params: []param{quarantineParam}, response: "Quarantined", access: access{perm: backstop.PermReadWarnings, scope: scopeRead}, handle: s.getQuarantined},
		{method: "GET", path: "/api/v1/quarantine/{id}/document", summary: "The refused alert's document as received (plain text download)", tag: "warnings", params: []param{quarantineParam}, response: "file", access: access{perm: backstop.PermReadWarnings, scope: scopeRead}, handle: s.quarantinedDocument},
		{method: "POST", path: "/api/v1/quarantine/{id}/accept", summary: "Accept a refused alert with an area drawn or chosen by hand (admins): it is ingested as a warning", tag: "warnings",
			params: []param{quarantineParam}, body: "Area", response: "Warning", status: http.StatusCreated, access: access{perm: backstop.PermResolveQuarantine, scope: scopeWrite}, handle: s.acceptQuarantined},
		{method: "POST", path: "/api/v1/quarantine/{id}/dismiss", summary: "Dismiss a refused alert (admins)", tag: "warnings", params: []param{quarantineParam}, body: "Dismissal", response: "Quarantined", access: access{perm: backstop.PermResolveQuarantine, scope: scopeWrite}, handle: s.dismissQuarantined},
	}
}
