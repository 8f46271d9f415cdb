package httpapi

import (
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/alerting"
	"github.com/zhangye-backstop/backstop/capalert"
	"github.com/zhangye-backstop/backstop/exposure"
	"github.com/zhangye-backstop/backstop/httpx"
)

// warningView is a warning as the API shows it, with its exposure totals
// when computed.
type warningView struct {
	*backstop.Warning
	HazardZH  string          `json:"hazard_zh"`
	Exposure  *exposureTotals `json:"exposure,omitempty"`
	Duplicate bool            `json:"duplicate,omitempty"`
}

type exposureTotals struct {
	Households int `json:"households"`
	People     int `json:"people"`
}

func (s *Server) viewWarning(r *http.Request, w *backstop.Warning) warningView {
	v := warningView{Warning: w}
	if h, ok := backstop.HazardOf(w.Hazard); ok {
		v.HazardZH = h.ZH
	}
	if e, err := s.cfg.Exposure.Find(r.Context(), w.ID, 0, 0); err == nil {
		v.Exposure = &exposureTotals{Households: e.Total.Households, People: e.Total.People}
	}
	return v
}

func warningID(r *http.Request) (int64, error) { return httpx.PathID(r, "Warning") }

// createWarning takes CAP (application/cap+xml or application/xml) or a
// department's JSON.
func (s *Server) createWarning(w http.ResponseWriter, r *http.Request) error {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	var warning *backstop.Warning
	var err error
	switch mt {
	case "application/cap+xml", "application/xml", "text/xml":
		body, rerr := io.ReadAll(http.MaxBytesReader(w, r.Body, capalert.MaxBytes+1))
		if rerr != nil || len(body) > capalert.MaxBytes {
			return backstop.Localized(backstop.ETOOLARGE, "CAP 文档超过 %s 的上限", "The CAP document is larger than the limit of %s.", httpx.HumanBytes(capalert.MaxBytes))
		}
		warning, err = s.cfg.Alerting.IngestCAP(r.Context(), body, "cap")
	case "application/json", "":
		var in alerting.Input
		if err := decodeJSON(w, r, &in); err != nil {
			return err
		}
		warning, err = s.cfg.Alerting.IngestInput(r.Context(), &in, "json")
	default:
		return backstop.Localized(backstop.EUNSUPPORTED, "请发送 CAP（application/cap+xml 或 application/xml）或 JSON，而不是 %s", "Send CAP (application/cap+xml or application/xml) or JSON, not %s.", mt)
	}
	if backstop.ErrorCode(err) == backstop.ECONFLICT && warning != nil {
		v := s.viewWarning(r, warning)
		v.Duplicate = true
		writeJSON(w, http.StatusOK, v)
		return nil
	}
	if err != nil {
		return err
	}
	w.Header().Set("Location", fmt.Sprintf("/api/v1/warnings/%d", warning.ID))
	writeJSON(w, http.StatusCreated, s.viewWarning(r, warning))
	return nil
}

func (s *Server) listWarnings(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := backstop.WarningFilter{State: q.Get("state"), Hazard: backstop.Hazard(q.Get("hazard")), Level: q.Get("level"), Sort: q.Get("sort")}
	// from and to are days in Beijing time (checkQuery checked them).
	if v := q.Get("from"); v != "" {
		f.SentFrom, _ = time.ParseInLocation("2006-01-02", v, backstop.Beijing)
	}
	if v := q.Get("to"); v != "" {
		day, _ := time.ParseInLocation("2006-01-02", v, backstop.Beijing)
		f.SentTo = day.AddDate(0, 0, 1)
	}
	var err error
	if f.Limit, f.Offset, err = page(r, 50); err != nil {
		return err
	}
	items, total, err := s.cfg.Alerting.Warnings(r.Context(), f)
	if err != nil {
		return err
	}
	out := list[warningView]{Items: make([]warningView, len(items)), Total: total}
	for i, it := range items {
		out.Items[i] = s.viewWarning(r, it)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) getWarning(w http.ResponseWriter, r *http.Request) error {
	id, err := warningID(r)
	if err != nil {
		return err
	}
	warning, err := s.cfg.Alerting.Warning(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.viewWarning(r, warning))
	return nil
}

func (s *Server) getWarningCAP(w http.ResponseWriter, r *http.Request) error {
	id, err := warningID(r)
	if err != nil {
		return err
	}
	warning, err := s.cfg.Alerting.Warning(r.Context(), id)
	if err != nil {
		return err
	}
	return writeCAP(w, warning.CAP)
}

// writeCAP serves a stored CAP document as backstop's own writer renders
// it (never the publisher's bytes: their encoding, comments or markup are
// not ours to pass on), as XML no browser sniffs into something else.
func writeCAP(w http.ResponseWriter, doc []byte) error {
	out, err := capalert.Rewrite(doc)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/cap+xml; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Write(out)
	return nil
}

// exposureView is the exposure answer: totals at the top level, the
// breakdowns, and a page of the ranked list.
type exposureView struct {
	Households int `json:"households"`
	People     int `json:"people"`
	*backstop.Exposure
	Ranked list[*backstop.ExposedHousehold] `json:"ranked"`
}

func viewExposure(v *exposure.View) exposureView {
	return exposureView{Households: v.Total.Households, People: v.Total.People, Exposure: v.Exposure, Ranked: newList(v.Ranked, v.RankedTotal)}
}

func (s *Server) getExposure(w http.ResponseWriter, r *http.Request) error {
	id, err := warningID(r)
	if err != nil {
		return err
	}
	limit, offset, err := page(r, 50)
	if err != nil {
		return err
	}
	v, err := s.cfg.Exposure.Find(r.Context(), id, offset, limit)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, viewExposure(v))
	return nil
}

func (s *Server) recomputeExposure(w http.ResponseWriter, r *http.Request) error {
	id, err := warningID(r)
	if err != nil {
		return err
	}
	if _, err := s.cfg.Exposure.Recompute(r.Context(), id); err != nil {
		return err
	}
	return s.getExposure(w, r)
}

func (s *Server) exportExposure(w http.ResponseWriter, r *http.Request) error {
	id, err := warningID(r)
	if err != nil {
		return err
	}
	return s.cfg.Exposure.Export(r.Context(), httpx.NewDownload(w, "xlsx", exposure.ExportName(id)), id)
}

func (s *Server) listConsultations(w http.ResponseWriter, r *http.Request) error {
	id, err := warningID(r)
	if err != nil {
		return err
	}
	items, err := s.cfg.Alerting.Consultations(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(items, len(items)))
	return nil
}

func (s *Server) createConsultation(w http.ResponseWriter, r *http.Request) error {
	id, err := warningID(r)
	if err != nil {
		return err
	}
	var c backstop.Consultation
	if err := decodeJSON(w, r, &c); err != nil {
		return err
	}
	c.WarningID = id
	if err := s.cfg.Alerting.CreateConsultation(r.Context(), &c); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, &c)
	return nil
}

func (s *Server) approveConsultation(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "Consultation")
	if err != nil {
		return err
	}
	c, err := s.cfg.Alerting.ApproveConsultation(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

func (s *Server) listFeeds(w http.ResponseWriter, r *http.Request) error {
	items, err := s.cfg.Alerting.Feeds(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(items, len(items)))
	return nil
}

func (s *Server) createFeed(w http.ResponseWriter, r *http.Request) error {
	var f backstop.Feed
	if err := decodeJSON(w, r, &f); err != nil {
		return err
	}
	if err := s.cfg.Alerting.CreateFeed(r.Context(), &f); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, &f)
	return nil
}

// capFeed serves the public Atom feed of warnings made in backstop and
// of those released through it: real ones only, never tests or exercises.
func (s *Server) capFeed(w http.ResponseWriter, r *http.Request) {
	items, err := s.cfg.Alerting.PublicWarnings(r.Context(), 200)
	if err != nil {
		httpx.WriteError(w, r, s.logger, err)
		return
	}
	// The links name backstop's public address when it is configured,
	// not whatever Host a client sent (a cache in front would keep it).
	base := "http://" + r.Host
	if r.TLS != nil {
		base = "https://" + r.Host
	}
	if s.cfg.Dispatch != nil && s.cfg.Dispatch.BaseURL != "" {
		base = strings.TrimRight(s.cfg.Dispatch.BaseURL, "/")
	}
	var entries []capalert.FeedItem
	updated := time.Unix(0, 0)
	for _, it := range items {
		doc, err := capalert.Rewrite(it.CAP)
		if err != nil {
			s.logger.Error("cap feed: stored alert does not parse", "warning", it.ID, "err", err)
			continue
		}
		entries = append(entries, capalert.FeedItem{ID: fmt.Sprintf("urn:backstop:warning:%d", it.ID), Title: it.Headline, Updated: it.Sent,
			Link: fmt.Sprintf("%s/cap/alerts/%d.xml", base, it.ID), Summary: it.Description, Alert: doc})
		if it.Sent.After(updated) {
			updated = it.Sent
		}
	}
	w.Header().Set("Content-Type", "application/atom+xml; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	capalert.WriteFeed(w, "urn:backstop:cap-feed", "因灾返贫防范平台 预警信息 (CAP)", base+"/cap/feed.atom", updated, entries)
}

func (s *Server) capAlert(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(strings.TrimSuffix(r.PathValue("file"), ".xml"), 10, 64)
	if err != nil {
		httpx.WriteError(w, r, s.logger, backstop.Localized(backstop.ENOTFOUND, "找不到该预警", "No such warning."))
		return
	}
	warning, err := s.cfg.Alerting.PublicWarning(r.Context(), id)
	if err == nil {
		err = writeCAP(w, warning.CAP)
	}
	if err != nil {
		httpx.WriteError(w, r, s.logger, err)
	}
}

// warningRoutes are the routes of this file.
func (s *Server) warningRoutes() []*route {
	return []*route{
		{method: "POST", path: "/api/v1/warnings", summary: "Push a warning: CAP 1.2/1.1 (application/cap+xml or application/xml) or JSON; 201 with the stored warning and its exposure totals, 200 for a duplicate, 400 with every element path and rule broken", tag: "warnings",
			body: "WarningInput", response: "Warning", status: http.StatusCreated, access: access{perm: backstop.PermWriteWarnings, scope: scopeWrite}, handle: s.createWarning},
		{method: "GET", path: "/api/v1/warnings", summary: "List warnings, newest first", tag: "warnings",
			params: append([]param{{name: "state", in: "query", typ: "string", desc: "active, updated, cancelled, expired", values: []string{backstop.StateActive, backstop.StateUpdated, backstop.StateCancelled, backstop.StateExpired}},
				{name: "hazard", in: "query", typ: "string", desc: "hazard code", values: hazardCodes()},
				{name: "level", in: "query", typ: "string", desc: "red, orange, yellow, blue, or none for unlevelled", values: codes(backstop.WarningLevels, "none")},
				{name: "from", in: "query", typ: "string", format: "date", desc: "sent on or after this day (Beijing time)"},
				{name: "to", in: "query", typ: "string", format: "date", desc: "sent on or before this day (Beijing time)"},
				{name: "sort", in: "query", typ: "string", desc: "sent (newest first, the default), level (gravest first) or state (active first)", values: []string{"sent", "level", "state"}}}, pageParams...),
			response: "WarningList", access: access{perm: backstop.PermReadWarnings, scope: scopeShared}, handle: s.listWarnings},
		{method: "GET", path: "/api/v1/warnings/{id}", summary: "One warning", tag: "warnings", params: []param{warningParam}, response: "Warning", access: access{perm: backstop.PermReadWarnings, scope: scopeShared}, handle: s.getWarning},
		{method: "GET", path: "/api/v1/warnings/{id}/cap", summary: "The warning's CAP document", tag: "warnings", params: []param{warningParam}, response: "file", access: access{perm: backstop.PermReadWarnings, scope: scopeShared}, handle: s.getWarningCAP},
		{method: "GET", path: "/api/v1/warnings/{id}/exposure", summary: "Who the warning reaches, within your region: totals (households, people), breakdowns, and a page of the ranked households", tag: "warnings",
			params: append([]param{warningParam}, pageParams...), response: "Exposure", access: access{perm: backstop.PermReadWarnings, scope: scopeShared}, handle: s.getExposure},
		{method: "POST", path: "/api/v1/warnings/{id}/exposure", summary: "Compute the exposure again against the registry as it is now", tag: "warnings", params: []param{warningParam}, response: "Exposure", access: access{perm: backstop.PermWriteWarnings, scope: scopeWrite}, handle: s.recomputeExposure},
		{method: "GET", path: "/api/v1/warnings/{id}/exposure.xlsx", summary: "The exposure as a spreadsheet (phones masked; audited)", tag: "warnings", params: []param{warningParam}, response: "file", access: access{perm: backstop.PermExport, scope: scopeShared}, handle: s.exportExposure},
		{method: "GET", path: "/api/v1/warnings/{id}/consultations", summary: "Consultations (会商研判) on a warning", tag: "warnings", params: []param{warningParam}, response: "ConsultationList", access: access{perm: backstop.PermReadWarnings, scope: scopeShared}, handle: s.listConsultations},
		{method: "POST", path: "/api/v1/warnings/{id}/consultations", summary: "Record a consultation", tag: "warnings", params: []param{warningParam}, body: "Consultation", response: "Consultation", status: http.StatusCreated, access: access{perm: backstop.PermConsult, scope: scopeWrite}, handle: s.createConsultation},
		{method: "POST", path: "/api/v1/consultations/{id}/approve", summary: "Approve a consultation (you are recorded as approver)", tag: "warnings",
			params: []param{{name: "id", in: "path", typ: "integer", required: true, desc: "consultation id"}}, response: "Consultation", access: access{perm: backstop.PermApprove, scope: scopeWrite}, handle: s.approveConsultation},
		{method: "GET", path: "/api/v1/feeds", summary: "CAP feeds polled for warnings", tag: "warnings", response: "FeedList", access: access{perm: backstop.PermReadWarnings, scope: scopeNone}, handle: s.listFeeds},
		{method: "POST", path: "/api/v1/feeds", summary: "Add a CAP index feed (Atom or RSS) to poll", tag: "warnings", body: "Feed", response: "Feed", status: http.StatusCreated, access: access{perm: backstop.PermManageFeeds, scope: scopeNone}, handle: s.createFeed},
	}
}
