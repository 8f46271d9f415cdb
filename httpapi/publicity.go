package httpapi

import (
	"net/http"
	"strconv"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/httpx"
	"github.com/zhangye-backstop/backstop/publicity"
)

func init() {
	for name, v := range map[string]any{
		"Publicity":         backstop.PublicityEvent{},
		"PublicityIn":       publicity.Input{},
		"PublicityList":     list[backstop.PublicityEvent]{},
		"PublicityCalendar": calendarRequest{},
		"PublicityProposed": proposedAnswer{},
		"PublicityCoverage": list[backstop.PublicityCoverage]{},
	} {
		schemaTypes[name] = v
	}
}

// optionalYear reads ?year= (0 when absent).
func optionalYear(r *http.Request) (int, error) {
	v := r.URL.Query().Get("year")
	if v == "" {
		return 0, nil
	}
	y, err := strconv.Atoi(v)
	if err != nil || y < 2000 || y > 2100 {
		return 0, backstop.Localized(backstop.EINVALID, "year 须为四位年份，不能是“%s”", "year must be a four-digit year, not %q.", v)
	}
	return y, nil
}

func (s *Server) listPublicity(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := backstop.PublicityFilter{Region: q.Get("region"), Theme: q.Get("theme"), State: backstop.PublicityState(q.Get("state"))}
	var err error
	if f.Year, err = optionalYear(r); err != nil {
		return err
	}
	if f.Limit, f.Offset, err = page(r, 100); err != nil {
		return err
	}
	items, total, err := s.cfg.Publicity.Events(r.Context(), f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(items, total))
	return nil
}

func (s *Server) createPublicity(w http.ResponseWriter, r *http.Request) error {
	var in publicity.Input
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	e, err := s.cfg.Publicity.Create(r.Context(), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, e)
	return nil
}

func (s *Server) getPublicity(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "Event")
	if err != nil {
		return err
	}
	e, err := s.cfg.Publicity.Event(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, e)
	return nil
}

func (s *Server) updatePublicity(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "Event")
	if err != nil {
		return err
	}
	var in publicity.Input
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	e, err := s.cfg.Publicity.Update(r.Context(), id, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, e)
	return nil
}

type calendarRequest struct {
	Region string `json:"region"`
	Year   int    `json:"year"`
}

type proposedAnswer struct {
	Proposed int `json:"proposed"`
}

func (s *Server) proposeCalendar(w http.ResponseWriter, r *http.Request) error {
	var in calendarRequest
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	n, err := s.cfg.Publicity.ProposeYear(r.Context(), in.Region, in.Year)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, proposedAnswer{Proposed: n})
	return nil
}

func (s *Server) publicityCoverage(w http.ResponseWriter, r *http.Request) error {
	year, err := optionalYear(r)
	if err != nil {
		return err
	}
	if year == 0 {
		year = s.cfg.Publicity.Year()
	}
	items, err := s.cfg.Publicity.Coverage(r.Context(), r.URL.Query().Get("region"), year)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(items, len(items)))
	return nil
}

// publicityRoutes are the routes of this file.
func (s *Server) publicityRoutes() []*route {
	idParam := param{name: "id", in: "path", typ: "integer", required: true, desc: "event id"}
	manage := access{perm: backstop.PermManagePublicity, scope: scopeWrite}
	return []*route{
		{method: "GET", path: "/api/v1/publicity", summary: "Publicity and education events (宣传教育) of your region", tag: "publicity",
			params: append([]param{{name: "region", in: "query", typ: "string", format: "region", desc: "region code"}, {name: "year", in: "query", typ: "integer", desc: "year"},
				{name: "theme", in: "query", typ: "string", desc: "theme code"}, {name: "state", in: "query", typ: "string", desc: "proposed, planned, held or dropped", values: []string{"proposed", "planned", "held", "dropped"}}}, pageParams...),
			response: "PublicityList", handle: s.listPublicity, access: access{perm: backstop.PermReadPrepared}},
		{method: "POST", path: "/api/v1/publicity", summary: "Record an event: theme, date, place, organiser, audience, materials", tag: "publicity", body: "PublicityIn", response: "Publicity",
			status: http.StatusCreated, handle: s.createPublicity, access: manage},
		{method: "POST", path: "/api/v1/publicity/calendar", summary: "Propose a year's fixed days (policy publicity.themes: 全国防灾减灾日 12 May …) to each county of a region; kept when proposed before", tag: "publicity",
			body: "PublicityCalendar", response: "PublicityProposed", handle: s.proposeCalendar, access: manage},
		{method: "GET", path: "/api/v1/publicity/coverage", summary: "A region's townships with the events held in them in a year and their audience", tag: "publicity",
			params:   []param{{name: "region", in: "query", typ: "string", format: "region", desc: "region code (your region when absent)"}, {name: "year", in: "query", typ: "integer", desc: "year (this year when absent)"}},
			response: "PublicityCoverage", handle: s.publicityCoverage, access: access{perm: backstop.PermReadPrepared, scope: scopeRead}},
		{method: "GET", path: "/api/v1/publicity/{id}", summary: "One event", tag: "publicity", params: []param{idParam}, response: "Publicity", handle: s.getPublicity,
			access: access{perm: backstop.PermReadPrepared, scope: scopeRead}},
		{method: "PUT", path: "/api/v1/publicity/{id}", summary: "Change an event (plan a proposal, record it held) from the state you saw (from)", tag: "publicity", params: []param{idParam},
			body: "PublicityIn", response: "Publicity", handle: s.updatePublicity, access: manage},
	}
}
