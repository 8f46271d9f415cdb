package httpapi

import (
	"encoding/json"
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
	if e, err := s.store.FindExposure(r.Context(), w.ID); err == nil {
		v.Exposure = &exposureTotals{Households: e.Total.Households, People: e.Total.People}
	}
	return v
}

func warningID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return 0, backstop.Errorf(backstop.ENOTFOUND, "Warning %q not found.", r.PathValue("id"))
	}
	return id, nil
}

// createWarning takes CAP (application/cap+xml or application/xml) or a
// department's JSON.
func (s *Server) createWarning(w http.ResponseWriter, r *http.Request) error {
	if s.cfg.Alerting == nil {
		return backstop.Errorf(backstop.EUNAVAILABLE, "Warnings are not enabled in this process.")
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	var warning *backstop.Warning
	var err error
	switch mt {
	case "application/cap+xml", "application/xml", "text/xml":
		body, rerr := io.ReadAll(http.MaxBytesReader(w, r.Body, capalert.MaxBytes+1))
		if rerr != nil || len(body) > capalert.MaxBytes {
			return backstop.Errorf(backstop.ETOOLARGE, "The CAP document is larger than the limit of 2 MiB.")
		}
		warning, err = s.cfg.Alerting.IngestCAP(r.Context(), body, "cap")
	case "application/json", "":
		var in alerting.Input
		if err := decodeJSON(w, r, &in); err != nil {
			return err
		}
		warning, err = s.cfg.Alerting.IngestInput(r.Context(), &in, "json")
	default:
		return backstop.Errorf(backstop.EUNSUPPORTED, "Send CAP (application/cap+xml or application/xml) or JSON, not %s.", mt)
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
	f := backstop.WarningFilter{State: r.URL.Query().Get("state"), Hazard: backstop.Hazard(r.URL.Query().Get("hazard"))}
	var err error
	if f.Limit, f.Offset, err = page(r, 50); err != nil {
		return err
	}
	items, total, err := s.store.FindWarnings(r.Context(), f)
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
	warning, err := s.store.FindWarning(r.Context(), id)
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
	warning, err := s.store.FindWarning(r.Context(), id)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/cap+xml; charset=utf-8")
	w.Write(warning.CAP)
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

func (s *Server) getExposure(w http.ResponseWriter, r *http.Request) error {
	id, err := warningID(r)
	if err != nil {
		return err
	}
	if _, err := s.store.FindWarning(r.Context(), id); err != nil {
		return err
	}
	e, err := s.store.FindExposure(r.Context(), id)
	if err != nil {
		return err
	}
	limit, offset, err := page(r, 50)
	if err != nil {
		return err
	}
	v := exposureView{Households: e.Total.Households, People: e.Total.People, Exposure: e}
	u, _ := backstop.RequireUser(r.Context())
	if u.Can(backstop.PermReadRegistry) {
		items, total, err := s.store.FindExposedHouseholds(r.Context(), e.SnapshotID, offset, limit)
		if err != nil {
			return err
		}
		for _, it := range items {
			it.Phone, it.HelperPhone = backstop.MaskPhone(it.Phone), backstop.MaskPhone(it.HelperPhone)
		}
		v.Ranked = list[*backstop.ExposedHousehold]{Items: items, Total: total}
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

func (s *Server) recomputeExposure(w http.ResponseWriter, r *http.Request) error {
	id, err := warningID(r)
	if err != nil {
		return err
	}
	u, _ := backstop.RequireUser(r.Context())
	if err := u.Require(backstop.PermWriteWarnings); err != nil {
		return err
	}
	warning, err := s.store.FindWarning(r.Context(), id)
	if err != nil {
		return err
	}
	if s.cfg.Exposure == nil {
		return backstop.Errorf(backstop.EUNAVAILABLE, "Exposure is not enabled in this process.")
	}
	if _, err := s.cfg.Exposure.Compute(r.Context(), warning); err != nil {
		return err
	}
	return s.getExposure(w, r)
}

// ExportExposure writes the ranked list as xlsx (masked), audited.
func ExportExposure(w http.ResponseWriter, r *http.Request, store backstop.Store, id int64) error {
	u, err := backstop.RequireUser(r.Context())
	if err != nil {
		return err
	}
	if err := u.Require(backstop.PermExport); err != nil {
		return err
	}
	e, err := store.FindExposure(r.Context(), id)
	if err != nil {
		return err
	}
	if err := store.Audit(r.Context(), "exposure.export", "warning", strconv.FormatInt(id, 10), fmt.Sprintf("snapshot %d", e.SnapshotID)); err != nil {
		return err
	}
	setDownload(w, "xlsx", fmt.Sprintf("warning-%d-exposure.xlsx", id))
	return writeExposureSheet(r.Context(), w, store, e)
}

func (s *Server) exportExposure(w http.ResponseWriter, r *http.Request) error {
	id, err := warningID(r)
	if err != nil {
		return err
	}
	return ExportExposure(w, r, s.store, id)
}

func (s *Server) listConsultations(w http.ResponseWriter, r *http.Request) error {
	id, err := warningID(r)
	if err != nil {
		return err
	}
	items, err := s.store.FindConsultations(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, list[*backstop.Consultation]{Items: items, Total: len(items)})
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
	if err := s.store.CreateConsultation(r.Context(), &c); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, &c)
	return nil
}

func (s *Server) approveConsultation(w http.ResponseWriter, r *http.Request) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return backstop.Errorf(backstop.ENOTFOUND, "Consultation not found.")
	}
	c, err := s.store.ApproveConsultation(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

func (s *Server) listFeeds(w http.ResponseWriter, r *http.Request) error {
	u, _ := backstop.RequireUser(r.Context())
	if err := u.Require(backstop.PermReadWarnings); err != nil {
		return err
	}
	items, err := s.store.FindFeeds(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, list[*backstop.Feed]{Items: items, Total: len(items)})
	return nil
}

func (s *Server) createFeed(w http.ResponseWriter, r *http.Request) error {
	var f backstop.Feed
	if err := decodeJSON(w, r, &f); err != nil {
		return err
	}
	if !strings.HasPrefix(f.URL, "http://") && !strings.HasPrefix(f.URL, "https://") {
		return backstop.Errorf(backstop.EINVALID, "The feed URL must start with http:// or https://.")
	}
	if f.Name == "" {
		f.Name = f.URL
	}
	if err := s.store.CreateFeed(r.Context(), &f); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, &f)
	return nil
}

// capFeed serves the public Atom feed of warnings made in backstop (and,
// later, the targeted releases): real ones only, never tests or exercises.
func (s *Server) capFeed(w http.ResponseWriter, r *http.Request) {
	ctx := backstop.NewContextWithUser(r.Context(), backstop.SystemUser("cap-feed"))
	items, _, err := s.store.FindWarnings(ctx, backstop.WarningFilter{Limit: 200})
	if err != nil {
		WriteError(w, r, s.logger, err)
		return
	}
	// Warnings released through backstop go out too, whoever sent them.
	released := map[int64]bool{}
	if rels, err := s.store.FindReleases(ctx, 0); err == nil {
		for _, rel := range rels {
			released[rel.WarningID] = released[rel.WarningID] || !rel.Test
		}
	}
	base := "http://" + r.Host
	if r.TLS != nil {
		base = "https://" + r.Host
	}
	var entries []capalert.FeedItem
	updated := time.Unix(0, 0)
	for _, it := range items {
		if !Published(it) && !(released[it.ID] && it.Status == "Actual") {
			continue
		}
		full, err := s.store.FindWarning(ctx, it.ID)
		if err != nil {
			continue
		}
		entries = append(entries, capalert.FeedItem{ID: fmt.Sprintf("urn:backstop:warning:%d", it.ID), Title: it.Headline, Updated: it.Sent,
			Link: fmt.Sprintf("%s/cap/alerts/%d.xml", base, it.ID), Summary: it.Description, Alert: full.CAP})
		if it.Sent.After(updated) {
			updated = it.Sent
		}
	}
	w.Header().Set("Content-Type", "application/atom+xml; charset=utf-8")
	capalert.WriteFeed(w, "urn:backstop:cap-feed", "因灾返贫防范平台 预警信息 (CAP)", base+"/cap/feed.atom", updated, entries)
}

// Published tells a warning that goes out in the public CAP feed: made in
// backstop (or released through it), real, and an alert or update.
func Published(w *backstop.Warning) bool {
	return w.Status == "Actual" && (w.Source == "json" || w.Source == "form" || strings.HasPrefix(w.Source, "release")) && w.MsgType != "Ack" && w.MsgType != "Error"
}

func (s *Server) capAlert(w http.ResponseWriter, r *http.Request) {
	ctx := backstop.NewContextWithUser(r.Context(), backstop.SystemUser("cap-feed"))
	id, err := strconv.ParseInt(strings.TrimSuffix(r.PathValue("file"), ".xml"), 10, 64)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	warning, err := s.store.FindWarning(ctx, id)
	if err != nil || !Published(warning) {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/cap+xml; charset=utf-8")
	w.Write(warning.CAP)
}

var _ = json.Marshal
