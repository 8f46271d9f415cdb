package httpapi

import (
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/httpx"
	"github.com/zhangye-backstop/backstop/workday"
)

// workdaysAnswer is a date n working days on, and whether a year counted
// was not loaded (then Monday to Friday were counted).
type workdaysAnswer struct {
	Date         workday.Date `json:"date"`
	Provisional  bool         `json:"provisional"`
	UnloadedYear int          `json:"unloaded_year,omitempty"`
}

func (s *Server) workdays(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	from, err := workday.ParseDate(q.Get("from"))
	if err != nil {
		return backstop.Localized(backstop.EINVALID, "from 须为 YYYY-MM-DD 格式的日期，不能是“%s”", "from must be a date YYYY-MM-DD, not %q.", q.Get("from"))
	}
	n, err := strconv.Atoi(q.Get("add"))
	if err != nil {
		return backstop.Localized(backstop.EINVALID, "add 须为整数（工作日数），不能是“%s”", "add must be a whole number of working days, not %q.", q.Get("add"))
	}
	res, err := s.cfg.Calendar.Add(r.Context(), from, n)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, workdaysAnswer{Date: res.Date, Provisional: res.Provisional, UnloadedYear: res.UnloadedYear})
	return nil
}

// calendarView lists the loaded years and those admins should load.
type calendarView struct {
	Years   []backstop.CalendarYear `json:"years"`
	Missing []int                   `json:"missing"`
}

func (s *Server) getCalendar(w http.ResponseWriter, r *http.Request) error {
	if _, err := backstop.RequireUser(r.Context()); err != nil {
		return err
	}
	years := s.cfg.Calendar.Years()
	if years == nil {
		years = []backstop.CalendarYear{}
	}
	missing := s.cfg.Calendar.MissingYears(time.Now())
	if missing == nil {
		missing = []int{}
	}
	writeJSON(w, http.StatusOK, calendarView{Years: years, Missing: missing})
	return nil
}

func (s *Server) importCalendar(w http.ResponseWriter, r *http.Request) error {
	if _, err := backstop.Authorize(r.Context(), backstop.PermManagePolicy); err != nil {
		return err // before reading the upload
	}
	path, name, _, err := httpx.SaveUpload(w, r, s.cfg.TempDir, 1<<20)
	if err != nil {
		return err
	}
	defer os.Remove(path)
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	res, err := s.cfg.Calendar.Import(r.Context(), f, name)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, res)
	return nil
}

func (s *Server) listClocks(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := backstop.ClockFilter{State: q.Get("state"), Kind: q.Get("kind"), Subject: q.Get("subject")}
	if v := q.Get("region"); v != "" {
		code, err := backstop.NormalizeRegionCode(v)
		if err != nil {
			return err
		}
		f.Region = code
	}
	var err error
	if f.Limit, f.Offset, err = page(r, 100); err != nil {
		return err
	}
	items, total, err := s.cfg.Clocks.Clocks(r.Context(), f)
	if err != nil {
		return err
	}
	now := time.Now()
	out := make([]clockView, len(items))
	for i, c := range items {
		out[i] = clockView{Clock: c, Overdue: c.Overdue(now)}
	}
	writeJSON(w, http.StatusOK, newList(out, total))
	return nil
}

// clockView adds whether a clock is overdue now.
type clockView struct {
	*backstop.Clock
	Overdue bool `json:"overdue"`
}

// calendarRoutes are the routes of this file.
func (s *Server) calendarRoutes() []*route {
	return []*route{
		{method: "GET", path: "/api/v1/workdays", summary: "The date N working days after a date on China's official calendar (the start day not counted); provisional when a year counted is not loaded (Monday to Friday were counted)", tag: "calendar",
			params:   []param{{name: "from", in: "query", typ: "string", required: true, desc: "start date YYYY-MM-DD"}, {name: "add", in: "query", typ: "integer", required: true, desc: "working days to add (negative: back)"}},
			response: "Workdays", access: access{scope: scopeNone}, handle: s.workdays},
		{method: "GET", path: "/api/v1/calendar", summary: "The loaded years of the working-day calendar, with their sources, and the years still to load", tag: "calendar", response: "Calendar", access: access{scope: scopeNone}, handle: s.getCalendar},
		{method: "POST", path: "/api/v1/calendar", summary: "Load years of the working-day calendar (admins): a CSV date,kind,name (holiday/workday) as multipart field \"file\" or the raw body; running clocks due in those years are recounted", tag: "calendar",
			params: []param{{name: "filename", in: "query", typ: "string", desc: "file name when the body is the raw file (recorded as the source)"}}, body: "file", response: "CalendarImport", status: http.StatusCreated, access: access{perm: backstop.PermManagePolicy, scope: scopeWrite}, handle: s.importCalendar},
		{method: "GET", path: "/api/v1/clocks", summary: "Deadlines (clocks) in your region, soonest due first", tag: "calendar",
			params: append([]param{{name: "state", in: "query", typ: "string", desc: "running, overdue, met or cancelled", values: []string{"running", "overdue", "met", "cancelled"}}, {name: "region", in: "query", typ: "string", format: "region", desc: "region code: clocks inside it"},
				{name: "kind", in: "query", typ: "string", desc: "e.g. release.confirm"}, {name: "subject", in: "query", typ: "string", desc: "e.g. release:12"}}, pageParams...),
			response: "ClockList", access: access{scope: scopeNone}, handle: s.listClocks},
	}
}
