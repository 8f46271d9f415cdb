package httpapi

import (
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/httpx"
	"github.com/zhangye-backstop/backstop/screening"
)

// Events.

func (s *Server) createEvent(w http.ResponseWriter, r *http.Request) error {
	var in screening.EventInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	e, err := s.cfg.Screening.CreateEvent(r.Context(), in)
	if err != nil {
		return err
	}
	w.Header().Set("Location", fmt.Sprintf("/api/v1/events/%d", e.ID))
	writeJSON(w, http.StatusCreated, e)
	return nil
}

func (s *Server) listEvents(w http.ResponseWriter, r *http.Request) error {
	f := backstop.EventFilter{State: r.URL.Query().Get("state")}
	var err error
	if f.Limit, f.Offset, err = page(r, 100); err != nil {
		return err
	}
	items, total, err := s.cfg.Screening.Events(r.Context(), f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(items, total))
	return nil
}

// eventView is an event with its report clocks and reports.
type eventView struct {
	*backstop.DisasterEvent
	Clocks  []*backstop.Clock       `json:"clocks"`
	Reports []*backstop.EventReport `json:"reports"`
}

func (s *Server) getEvent(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "Event")
	if err != nil {
		return err
	}
	e, err := s.cfg.Screening.Event(r.Context(), id)
	if err != nil {
		return err
	}
	clocks, err := s.cfg.Screening.EventClocks(r.Context(), id)
	if err != nil {
		return err
	}
	reports, err := s.cfg.Screening.Reports(r.Context(), id)
	if err != nil {
		return err
	}
	if clocks == nil {
		clocks = []*backstop.Clock{}
	}
	writeJSON(w, http.StatusOK, eventView{DisasterEvent: e, Clocks: clocks, Reports: reports})
	return nil
}

type eventStateInput struct {
	State string `json:"state"`
}

func (s *Server) setEventState(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "Event")
	if err != nil {
		return err
	}
	var in eventStateInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	e, err := s.cfg.Screening.SetEventState(r.Context(), id, in.State)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, e)
	return nil
}

func (s *Server) setEventFigures(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "Event")
	if err != nil {
		return err
	}
	var f backstop.EventFigures
	if err := decodeJSON(w, r, &f); err != nil {
		return err
	}
	if err := s.cfg.Screening.SetFigures(r.Context(), id, &f); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, f)
	return nil
}

type eventReportInput struct {
	Kind   string `json:"kind"`
	Region string `json:"region,omitempty"`
	Note   string `json:"note,omitempty"`
}

func (s *Server) addEventReport(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "Event")
	if err != nil {
		return err
	}
	var in eventReportInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	rep, err := s.cfg.Screening.AddReport(r.Context(), id, in.Kind, in.Region, in.Note)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, rep)
	return nil
}

func (s *Server) eventStatistics(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "Event")
	if err != nil {
		return err
	}
	st, err := s.cfg.Screening.Statistics(r.Context(), id, r.URL.Query().Get("region"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, st)
	return nil
}

func (s *Server) exportStatistics(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "Event")
	if err != nil {
		return err
	}
	format, err := httpx.SheetFormat(r)
	if err != nil {
		return err
	}
	return s.cfg.Screening.WriteStatistics(r.Context(), httpx.NewDownload(w, format, fmt.Sprintf("event-%d-statistics.%s", id, format)), format, id, r.URL.Query().Get("region"))
}

func (s *Server) exportLedger(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "Event")
	if err != nil {
		return err
	}
	format, err := httpx.SheetFormat(r)
	if err != nil {
		return err
	}
	return s.cfg.Screening.WriteLedger(r.Context(), httpx.NewDownload(w, format, fmt.Sprintf("event-%d-damaged-houses.%s", id, format)), format, id, r.URL.Query().Get("region"))
}

// Campaigns.

// campaignView is a campaign with its progress in the caller's region:
// visits, done and overdue there.
type campaignView struct {
	*backstop.Campaign
	Visits    int                       `json:"visits"`
	Done      int                       `json:"done"`
	NotHome   int                       `json:"not_home"`
	Open      int                       `json:"open"`
	Overdue   int                       `json:"overdue"`
	Escalated int                       `json:"escalated"`
	Villages  []backstop.RegionProgress `json:"villages,omitempty"`
	Townships []backstop.RegionProgress `json:"townships,omitempty"`
}

func viewCampaign(c *backstop.Campaign, p *backstop.CampaignProgress) campaignView {
	v := campaignView{Campaign: c, Visits: c.Visits}
	if p != nil {
		v.Visits, v.Done, v.NotHome, v.Open, v.Overdue, v.Escalated, v.Villages, v.Townships = p.Visits, p.Done, p.NotHome, p.Open, p.Overdue, p.Escalated, p.Villages, p.Townships
	}
	return v
}

func (s *Server) createCampaign(w http.ResponseWriter, r *http.Request) error {
	var in screening.CampaignInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	c, err := s.cfg.Screening.CreateCampaign(r.Context(), in)
	if err != nil {
		return err
	}
	w.Header().Set("Location", fmt.Sprintf("/api/v1/campaigns/%d", c.ID))
	writeJSON(w, http.StatusCreated, viewCampaign(c, nil))
	return nil
}

func (s *Server) listCampaigns(w http.ResponseWriter, r *http.Request) error {
	f := backstop.CampaignFilter{}
	var err error
	if v := r.URL.Query().Get("event"); v != "" {
		if f.EventID, err = strconv.ParseInt(v, 10, 64); err != nil {
			return backstop.Localized(backstop.EINVALID, "event 须为灾害过程编号（整数），不能是“%s”", "event must be an event id, not %q", v)
		}
	}
	if f.Limit, f.Offset, err = page(r, 100); err != nil {
		return err
	}
	items, total, err := s.cfg.Screening.Campaigns(r.Context(), f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(items, total))
	return nil
}

func (s *Server) getCampaign(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "Campaign")
	if err != nil {
		return err
	}
	c, p, err := s.cfg.Screening.Campaign(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, viewCampaign(c, p))
	return nil
}

func (s *Server) listVisits(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "Campaign")
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := backstop.TaskFilter{Open: httpx.Truthy(r, "open"), Outcome: q.Get("outcome"), Village: q.Get("village")}
	if f.Limit, f.Offset, err = page(r, 100); err != nil {
		return err
	}
	items, total, err := s.cfg.Screening.Visits(r.Context(), id, f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(items, total))
	return nil
}

type visitOutcome struct {
	Outcome string `json:"outcome"`
	Note    string `json:"note,omitempty"`
}

func (s *Server) finishVisit(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "Visit")
	if err != nil {
		return err
	}
	var in visitOutcome
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	t, err := s.cfg.Screening.FinishVisit(r.Context(), id, in.Outcome, in.Note, "")
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, t)
	return nil
}

// Loss reports and assessments.

func (s *Server) fileLossReport(w http.ResponseWriter, r *http.Request) error {
	var in screening.LossInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	a, err := s.cfg.Screening.FileLossReport(r.Context(), r.PathValue("number"), in)
	if err != nil {
		return err
	}
	w.Header().Set("Location", fmt.Sprintf("/api/v1/loss-reports/%d", a.ID))
	writeJSON(w, http.StatusCreated, a)
	return nil
}

func (s *Server) listLossReports(w http.ResponseWriter, r *http.Request) error {
	f := backstop.LossReportFilter{Household: r.PathValue("number"), All: httpx.Truthy(r, "all")}
	var err error
	if f.Limit, f.Offset, err = page(r, 100); err != nil {
		return err
	}
	items, total, err := s.cfg.Screening.LossReports(r.Context(), f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(items, total))
	return nil
}

func (s *Server) getLossReport(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "Loss report")
	if err != nil {
		return err
	}
	rep, err := s.cfg.Screening.LossReport(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rep)
	return nil
}

func (s *Server) correctLossReport(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "Loss report")
	if err != nil {
		return err
	}
	var in screening.LossInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	a, err := s.cfg.Screening.CorrectLossReport(r.Context(), id, in)
	if err != nil {
		return err
	}
	w.Header().Set("Location", fmt.Sprintf("/api/v1/loss-reports/%d", a.ID))
	writeJSON(w, http.StatusCreated, a)
	return nil
}

func (s *Server) verifyLossReport(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "Loss report")
	if err != nil {
		return err
	}
	a, err := s.cfg.Screening.VerifyLossReport(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, a)
	return nil
}

// photoBody is the photo of a request: the body itself, or the "photo"
// part of a multipart form.
func photoBody(r *http.Request) (io.Reader, error) {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if !strings.HasPrefix(mt, "multipart/") {
		return r.Body, nil
	}
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, backstop.Localized(backstop.EINVALID, "上传表单有误", "The upload form cannot be read.")
	}
	for {
		p, err := mr.NextPart()
		if err != nil {
			return nil, backstop.Localized(backstop.EINVALID, "请在表单字段 photo 中上传照片", "Send the photo in the form field \"photo\".")
		}
		if p.FormName() == "photo" {
			return p, nil
		}
	}
}

func (s *Server) addPhoto(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "Loss report")
	if err != nil {
		return err
	}
	r.Body = http.MaxBytesReader(w, r.Body, screening.DefaultMaxPhotoBytes*4)
	body, err := photoBody(r)
	if err != nil {
		return err
	}
	p, err := s.cfg.Screening.AddPhoto(r.Context(), id, body)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, p)
	return nil
}

func (s *Server) getPhoto(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "Loss report")
	if err != nil {
		return err
	}
	p, f, err := s.cfg.Screening.Photo(r.Context(), id, r.PathValue("hash"))
	if err != nil {
		return err
	}
	defer f.Close()
	w.Header().Set("Content-Type", p.ContentType)
	w.Header().Set("Cache-Control", "private, max-age=86400")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, err = io.Copy(w, f)
	return err
}

func (s *Server) getAssessment(w http.ResponseWriter, r *http.Request) error {
	a, err := s.cfg.Screening.Assessment(r.Context(), r.PathValue("number"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, a)
	return nil
}

func (s *Server) reevaluate(w http.ResponseWriter, r *http.Request) error {
	c, err := s.cfg.Screening.Reevaluate(r.Context(), r.PathValue("number"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

func (s *Server) listAssessments(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := backstop.AssessmentFilter{Region: q.Get("region"), AtRisk: httpx.Truthy(r, "at_risk")}
	var err error
	if v := q.Get("event"); v != "" {
		if f.EventID, err = strconv.ParseInt(v, 10, 64); err != nil {
			return backstop.Localized(backstop.EINVALID, "event 须为灾害过程编号（整数），不能是“%s”", "event must be an event id, not %q", v)
		}
	}
	if f.Limit, f.Offset, err = page(r, 100); err != nil {
		return err
	}
	items, total, err := s.cfg.Screening.Assessments(r.Context(), f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(items, total))
	return nil
}

func (s *Server) atRisk(w http.ResponseWriter, r *http.Request) error {
	limit, offset, err := page(r, 100)
	if err != nil {
		return err
	}
	items, total, err := s.cfg.Screening.AtRisk(r.Context(), r.URL.Query().Get("region"), offset, limit)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(items, total))
	return nil
}

// Intake.

func (s *Server) submitSelfReport(w http.ResponseWriter, r *http.Request) error {
	var in screening.SelfReport
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	p, err := s.cfg.Screening.SubmitSelfReport(r.Context(), in, httpx.ClientAddr(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, p)
	return nil
}

func (s *Server) lookUpSelfReport(w http.ResponseWriter, r *http.Request) error {
	p, err := s.cfg.Screening.LookUp(r.Context(), r.PathValue("code"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

// referralAnswer is a stored referral and whether it joined an open item.
type referralAnswer struct {
	*backstop.IntakeItem
	MergedInto bool `json:"merged_into_open_item"`
}

func (s *Server) refer(w http.ResponseWriter, r *http.Request) error {
	var in screening.Referral
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	it, merged, err := s.cfg.Screening.Refer(r.Context(), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, referralAnswer{IntakeItem: it, MergedInto: merged})
	return nil
}

func (s *Server) listIntake(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := backstop.IntakeFilter{Source: q.Get("source"), State: q.Get("state"), Open: httpx.Truthy(r, "open"), Overdue: httpx.Truthy(r, "overdue"), Region: q.Get("region")}
	switch f.Source {
	case "", string(backstop.SourceSelfReport), string(backstop.SourceReferral):
	default:
		return backstop.Localized(backstop.EINVALID, "来源（source）只能是 self_report 或 referral，不能是“%s”", "source must be self_report or referral, not %q", f.Source)
	}
	var err error
	if f.Limit, f.Offset, err = page(r, 100); err != nil {
		return err
	}
	items, total, err := s.cfg.Screening.Intake(r.Context(), f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(items, total))
	return nil
}

type intakeStep struct {
	Step string `json:"step"`
	Note string `json:"note,omitempty"`
}

func (s *Server) advanceIntake(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "Intake item")
	if err != nil {
		return err
	}
	var in intakeStep
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	it, err := s.cfg.Screening.Advance(r.Context(), id, in.Step, in.Note)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, it)
	return nil
}

// screeningRoutes are the routes of this file. A write naming an object
// by id answers 403 outside the caller's region, like every write; a
// loss report for a household outside it answers 404, as issue 11 asks
// (the household is read in the caller's region first), so that route is
// declared scopeRead.
func (s *Server) screeningRoutes() []*route {
	eventParam := param{name: "id", in: "path", typ: "integer", required: true, desc: "event id"}
	campaignParam := param{name: "id", in: "path", typ: "integer", required: true, desc: "campaign id"}
	reportParam := param{name: "id", in: "path", typ: "integer", required: true, desc: "loss report id (a version)"}
	regionQuery := param{name: "region", in: "query", typ: "string", format: "region", desc: "region code inside the event's area (default: the area, or your region)"}
	format := param{name: "format", in: "query", typ: "string", desc: "csv (default) or xlsx"}
	read := access{perm: backstop.PermReadRegistry, scope: scopeRead}
	list := access{perm: backstop.PermReadRegistry, scope: scopeNone}
	return []*route{
		{method: "POST", path: "/api/v1/events", summary: "Record a disaster event (灾害过程), from a warning (its hazard, start and regions) or by hand; starts the 初报 clock", tag: "screening",
			body: "EventInput", response: "Event", status: http.StatusCreated, handle: s.createEvent, access: access{perm: backstop.PermScreen, scope: scopeWrite}},
		{method: "GET", path: "/api/v1/events", summary: "Disaster events overlapping your region, newest first", tag: "screening",
			params: append([]param{{name: "state", in: "query", typ: "string", desc: "ongoing, stabilised or closed", values: []string{"ongoing", "stabilised", "closed"}}}, pageParams...), response: "EventList", handle: s.listEvents, access: list},
		{method: "GET", path: "/api/v1/events/{id}", summary: "A disaster event with its report clocks (初报, 核报) and reports", tag: "screening",
			params: []param{eventParam}, response: "EventDetail", handle: s.getEvent, access: read},
		{method: "POST", path: "/api/v1/events/{id}/state", summary: "Move an event on: stabilised (starts the 核报 clock) or closed", tag: "screening",
			params: []param{eventParam}, body: "EventState", response: "Event", handle: s.setEventState, access: access{perm: backstop.PermScreen, scope: scopeWrite}},
		{method: "PUT", path: "/api/v1/events/{id}/figures", summary: "Enter a region's figures the loss reports cannot give: deaths, missing, relocated, needing relief, other direct losses", tag: "screening",
			params: []param{eventParam}, body: "EventFigures", response: "EventFigures", handle: s.setEventFigures, access: access{perm: backstop.PermScreen, scope: scopeWrite}},
		{method: "POST", path: "/api/v1/events/{id}/reports", summary: "File a 初报, 续报 or 核报 with the statistics as they stand (an initial or final report meets its clock)", tag: "screening",
			params: []param{eventParam}, body: "EventReportInput", response: "EventReport", status: http.StatusCreated, handle: s.addEventReport, access: access{perm: backstop.PermScreen, scope: scopeWrite}},
		{method: "GET", path: "/api/v1/events/{id}/statistics", summary: "The national disaster-statistics indicators of an event, per township or county below the region", tag: "screening",
			params: []param{eventParam, regionQuery}, response: "Statistics", handle: s.eventStatistics, access: read},
		{method: "GET", path: "/api/v1/events/{id}/statistics/export", summary: "The indicators as a sheet (csv or xlsx)", tag: "screening",
			params: []param{eventParam, regionQuery, format}, response: "file", handle: s.exportStatistics, access: read},
		{method: "GET", path: "/api/v1/events/{id}/ledger", summary: "因灾倒塌损坏住房户台账: the households with a damaged house, joined to the registry (csv or xlsx; phones masked; audited)", tag: "screening",
			params: []param{eventParam, regionQuery, format}, response: "file", handle: s.exportLedger, access: access{perm: backstop.PermExport, scope: scopeRead}},
		{method: "POST", path: "/api/v1/campaigns", summary: "Start a screening campaign from an event, a warning (its exposure) or a region: one visit per household of the must-visit cohorts, due in working days", tag: "screening",
			body: "CampaignInput", response: "Campaign", status: http.StatusCreated, handle: s.createCampaign, access: access{perm: backstop.PermScreen, scope: scopeWrite}},
		{method: "GET", path: "/api/v1/campaigns", summary: "Campaigns overlapping your region, newest first", tag: "screening",
			params: append([]param{{name: "event", in: "query", typ: "integer", desc: "an event's campaigns"}}, pageParams...), response: "CampaignList", handle: s.listCampaigns, access: list},
		{method: "GET", path: "/api/v1/campaigns/{id}", summary: "A campaign with its visits in your region: done, overdue, per village and township", tag: "screening",
			params: []param{campaignParam}, response: "Campaign", handle: s.getCampaign, access: read},
		{method: "GET", path: "/api/v1/campaigns/{id}/visits", summary: "A campaign's visits in your region (phones masked)", tag: "screening",
			params: append([]param{campaignParam, {name: "open", in: "query", typ: "boolean", desc: "only visits not done"}, {name: "outcome", in: "query", typ: "string", desc: "visited or not_home", values: []string{"visited", "not_home"}},
				{name: "village", in: "query", typ: "string", format: "region", desc: "12-digit village code"}}, pageParams...), response: "TaskList", handle: s.listVisits, access: read},
		{method: "POST", path: "/api/v1/visits/{id}", summary: "Record a visit's outcome without a loss report: visited (nothing found) or not_home", tag: "screening",
			params: []param{{name: "id", in: "path", typ: "integer", required: true, desc: "visit (task) id"}}, body: "VisitOutcome", response: "Task", handle: s.finishVisit,
			access: access{perm: backstop.PermReportLoss, scope: scopeWrite}},
		{method: "POST", path: "/api/v1/households/{number}/loss-reports", summary: "File a household's loss report (with task_id from a visit, or without one) and get its risk assessment", tag: "screening",
			params: []param{numberParam}, body: "LossInput", response: "LossAnswer", status: http.StatusCreated, handle: s.fileLossReport, access: access{perm: backstop.PermReportLoss, scope: scopeRead}},
		{method: "GET", path: "/api/v1/households/{number}/loss-reports", summary: "A household's loss reports (current versions; all=1 for every version)", tag: "screening",
			params: append([]param{numberParam, {name: "all", in: "query", typ: "boolean", desc: "every version"}}, pageParams...), response: "LossReportList", handle: s.listLossReports, access: read},
		{method: "GET", path: "/api/v1/loss-reports/{id}", summary: "One loss report version with its photos", tag: "screening", params: []param{reportParam}, response: "LossReport", handle: s.getLossReport, access: read},
		{method: "POST", path: "/api/v1/loss-reports/{id}/corrections", summary: "Correct the current version: a new version (the old one stays) that needs verifying again, assessed again", tag: "screening",
			params: []param{reportParam}, body: "LossInput", response: "LossAnswer", status: http.StatusCreated, handle: s.correctLossReport, access: access{perm: backstop.PermReportLoss, scope: scopeWrite}},
		{method: "POST", path: "/api/v1/loss-reports/{id}/verify", summary: "Verify the current version (township or above, in your region); the assessment is made again", tag: "screening",
			params: []param{reportParam}, response: "LossAnswer", handle: s.verifyLossReport, access: access{perm: backstop.PermVerifyLoss, scope: scopeWrite}},
		{method: "POST", path: "/api/v1/loss-reports/{id}/photos", summary: "Add a photo (JPEG, PNG or GIF, checked by content, 8 MiB at most): the raw image as body or multipart field \"photo\"", tag: "screening",
			params: []param{reportParam}, body: "file", response: "Photo", status: http.StatusCreated, handle: s.addPhoto, access: access{perm: backstop.PermReportLoss, scope: scopeWrite}},
		{method: "GET", path: "/api/v1/loss-reports/{id}/photos/{hash}", summary: "A report's photo", tag: "screening",
			params: []param{reportParam, {name: "hash", in: "path", typ: "string", required: true, desc: "the photo's SHA-256"}}, response: "file", handle: s.getPhoto, access: read},
		{method: "GET", path: "/api/v1/households/{number}/assessment", summary: "A household's current risk assessment: at risk, reasons with figures, projected income and line, policy versions, suggested monitoring and risk types, green channel", tag: "screening",
			params: []param{numberParam}, response: "Assessment", handle: s.getAssessment, access: read},
		{method: "GET", path: "/api/v1/households/{number}/assessment/reevaluation", summary: "What today's policy versions would change in the stored assessment (nothing is written)", tag: "screening",
			params: []param{numberParam}, response: "AssessmentChange", handle: s.reevaluate, access: read},
		{method: "GET", path: "/api/v1/assessments", summary: "Current assessments in your region, the highest risk first", tag: "screening",
			params: append([]param{{name: "region", in: "query", typ: "string", format: "region", desc: "region code"}, {name: "event", in: "query", typ: "integer", desc: "event id"},
				{name: "at_risk", in: "query", typ: "boolean", desc: "only at risk"}}, pageParams...), response: "AssessmentList", handle: s.listAssessments, access: list},
		{method: "GET", path: "/api/v1/at-risk", summary: "Households assessed at risk that are not monitored, oldest report first, with days since the report and the reasons", tag: "screening",
			params: append([]param{{name: "region", in: "query", typ: "string", format: "region", desc: "region code"}}, pageParams...), response: "AtRiskList", handle: s.atRisk, access: list},
		{method: "POST", path: "/api/v1/self-reports", summary: "A household's own report (一键报贫), public: ID check digit, consent required, limits per address and phone (429), duplicates merged; answers a lookup code and the clocks", tag: "intake",
			public: true, body: "SelfReport", response: "PublicIntake", status: http.StatusCreated, handle: s.submitSelfReport},
		{method: "GET", path: "/api/v1/self-reports/{code}", summary: "The state of a self-report by its lookup code (public; no personal data)", tag: "intake", public: true,
			params: []param{{name: "code", in: "path", typ: "string", required: true, desc: "the lookup code"}}, response: "PublicIntake", handle: s.lookUpSelfReport},
		{method: "POST", path: "/api/v1/referrals", summary: "A department's referral (民政, 医保, 应急管理, 教育, 残联) with the department's token and a reason", tag: "intake",
			body: "Referral", response: "ReferralAnswer", status: http.StatusCreated, handle: s.refer, access: access{perm: backstop.PermRefer, scope: scopeNone}},
		{method: "GET", path: "/api/v1/intake", summary: "Self-reports and referrals in your region with source, matched (else 系统外), due dates and overdue steps", tag: "intake",
			params: append([]param{{name: "source", in: "query", typ: "string", desc: "self_report or referral", values: []string{"self_report", "referral"}}, {name: "state", in: "query", typ: "string", desc: "received, checked, answered, approved, rejected", values: []string{"received", "checked", "answered", "approved", "rejected"}},
				{name: "open", in: "query", typ: "boolean", desc: "not yet decided"}, {name: "overdue", in: "query", typ: "boolean", desc: "a step past due"}, {name: "region", in: "query", typ: "string", format: "region", desc: "region code"}}, pageParams...),
			response: "IntakeList", handle: s.listIntake, access: access{perm: backstop.PermIntake, scope: scopeNone}},
		{method: "POST", path: "/api/v1/intake/{id}/steps", summary: "Record a step: check, answer (village), approve (county), reject; stops the step's clock", tag: "intake",
			params: []param{{name: "id", in: "path", typ: "integer", required: true, desc: "intake item id"}}, body: "IntakeStep", response: "IntakeItem", handle: s.advanceIntake,
			access: access{perm: backstop.PermIntake, scope: scopeWrite}},
	}
}
