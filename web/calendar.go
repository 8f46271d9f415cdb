package web

import (
	"net/http"
	"os"
	"time"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/httpx"
)

// The working-day calendar: which years are loaded (from the State
// Council's notices) and, for admins, loading the next one. Deadlines in
// working days through a year not loaded are counted Monday to Friday
// and marked provisional until it is.
func (h *Handler) calendarRoutes() {
	h.handle("GET /calendar", h.calendarPage)
	h.handle("POST /calendar", h.importCalendar)
}

func (h *Handler) calendarPage(w http.ResponseWriter, r *http.Request) error {
	return h.renderCalendar(w, r, http.StatusOK, "", "")
}

func (h *Handler) renderCalendar(w http.ResponseWriter, r *http.Request, status int, errMsg, notice string) error {
	if _, err := backstop.RequireUser(r.Context()); err != nil {
		return err
	}
	if h.cfg.Calendar == nil {
		return backstop.Localized(backstop.EUNAVAILABLE, "本程序未配置工作日历", "No working-day calendar in this server.")
	}
	u := backstop.UserFromContext(r.Context())
	h.render(w, r, status, "calendar.html", &page{Title: h.cats[langOf(r)].translate("menu.calendar"), Menu: "calendar", Error: errMsg, Notice: notice,
		Data: map[string]any{"Years": h.cfg.Calendar.Years(), "Missing": h.cfg.Calendar.MissingYears(time.Now()), "CanLoad": u.Can(backstop.PermManagePolicy)}})
	return nil
}

func (h *Handler) importCalendar(w http.ResponseWriter, r *http.Request) error {
	if _, err := backstop.Authorize(r.Context(), backstop.PermManagePolicy); err != nil {
		return err
	}
	path, name, _, err := httpx.SaveUpload(w, r, h.cfg.TempDir, 1<<20)
	if err != nil {
		return h.renderCalendar(w, r, httpx.ErrorStatus(err), h.errorText(r, err), "")
	}
	defer os.Remove(path)
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	res, err := h.cfg.Calendar.Import(r.Context(), f, name)
	if err != nil {
		if c := backstop.ErrorCode(err); c == backstop.EINVALID || c == backstop.ETOOLARGE || c == backstop.EUNSUPPORTED {
			msg := h.errorText(r, err)
			for _, d := range backstop.ErrorDetails(err) {
				msg += h.cats[langOf(r)].translate("list.sep") + h.problemText(r, d)
			}
			return h.renderCalendar(w, r, httpx.ErrorStatus(err), msg, "")
		}
		return err
	}
	var years []int
	for _, y := range res.Years {
		years = append(years, y.Year)
	}
	return h.renderCalendar(w, r, http.StatusOK, "", h.cats[langOf(r)].translate("calendar.loaded", joinInts(years)))
}
