package web

import (
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/dispatch"
	"github.com/zhangye-backstop/backstop/httpx"
)

// The phone pages: the helper's link from the SMS (/c/{token}, no
// account: the token is the key) and the signed-in cadre's page of a
// release's tasks. One column, large targets; calling is an ordinary
// link to a path that audits the reveal and redirects to tel:, so that
// one tap opens the dialer (a form posting to a redirect to tel: is
// blocked by the page's form-action policy).
func (h *Handler) phoneRoutes() {
	h.handle("GET /releases/{id}/tasks", h.tasksPage)
	h.handle("POST /tasks/{id}/confirm", h.confirmTask)
	h.handle("POST /releases/{id}/households/confirm", h.confirmHousehold)
	h.handle("GET /releases/{rel}/tasks/{id}/call", h.callTask)
	h.mux.HandleFunc("GET /c/{token}", h.linkPage)
	h.mux.HandleFunc("POST /c/{token}/tasks/{id}", h.linkConfirm)
	h.mux.HandleFunc("POST /c/{token}/households", h.linkConfirmHousehold)
	h.mux.HandleFunc("GET /c/{token}/tasks/{id}/call", h.linkCall)
}

// householdTasks is a household's tasks on the phone page.
type householdTasks struct {
	Number, HeadName, NaturalVillage, Village string
	Tasks                                     []*backstop.FieldTask
	// OpenIDs are the open confirmation tasks, confirmed together by the
	// household's buttons.
	OpenIDs   []int64
	Call      bool
	Escalated int
	Overdue   bool
}

// releaseTasks is one release's warning and its households on the page.
type releaseTasks struct {
	*dispatch.LinkRelease
	Level      levelView
	Hazard     string
	Area       string
	Households []*householdTasks
	Open       int
	Overdue    bool
}

// phoneView is what confirm.html shows.
type phoneView struct {
	Releases []*releaseTasks
	// Other holds tasks outside a release (the visits of a campaign).
	Other       []*householdTasks
	Open, Total int
	Shown       int
	Pager       *listPage
	// Action is where a task's form posts: /c/{token}/tasks or /tasks.
	Action, HouseholdAction string
	// CallURL is the call link of a task (with %d for its id).
	CallURL  string
	Outcomes []string
	Test     bool
	Now      time.Time
	Link     bool
	Expires  time.Time
}

func groupHouseholds(ts []*backstop.FieldTask, now time.Time) []*householdTasks {
	var out []*householdTasks
	index := map[string]*householdTasks{}
	for _, t := range ts {
		g := index[t.HouseholdNumber]
		if g == nil {
			g = &householdTasks{Number: t.HouseholdNumber, HeadName: t.HeadName, NaturalVillage: t.NaturalVillage, Village: t.Village}
			index[t.HouseholdNumber] = g
			out = append(out, g)
		}
		g.Tasks = append(g.Tasks, t)
		if t.Open() && t.Kind == backstop.TaskConfirm {
			g.OpenIDs = append(g.OpenIDs, t.ID)
			g.Call = g.Call || t.CallRequested
			g.Overdue = g.Overdue || t.Overdue(now)
		}
		g.Escalated = max(g.Escalated, t.Escalation)
	}
	// Households to call first, then those with open persons.
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Call != b.Call {
			return a.Call
		}
		return len(a.OpenIDs) > 0 && len(b.OpenIDs) == 0
	})
	return out
}

// buildPhoneView groups tasks by release (soonest deadline first) and
// household.
func (h *Handler) buildPhoneView(r *http.Request, tasks []*backstop.FieldTask, releases map[int64]*dispatch.LinkRelease) *phoneView {
	now := time.Now()
	v := &phoneView{Outcomes: backstop.Outcomes, Now: now, Shown: len(tasks)}
	byRelease := map[int64][]*backstop.FieldTask{}
	var other []*backstop.FieldTask
	for _, t := range tasks {
		if t.Open() {
			v.Open++
		}
		if lr := releases[t.ReleaseID]; lr != nil {
			byRelease[t.ReleaseID] = append(byRelease[t.ReleaseID], t)
		} else {
			other = append(other, t)
		}
	}
	for id, ts := range byRelease {
		lr := releases[id]
		rt := &releaseTasks{LinkRelease: lr, Households: groupHouseholds(ts, now)}
		if w := lr.Warning; w != nil {
			rt.Level = levelOf(w.Level)
			rt.Hazard = hazardName(r, w.Hazard)
			var descs []string
			for _, a := range w.Areas {
				if a.Desc != "" {
					descs = append(descs, a.Desc)
				}
			}
			rt.Area = strings.Join(descs, "、")
		}
		for _, t := range ts {
			if t.Open() {
				rt.Open++
				rt.Overdue = rt.Overdue || t.Overdue(now)
			}
		}
		v.Test = v.Test || lr.Test
		v.Releases = append(v.Releases, rt)
	}
	sort.Slice(v.Releases, func(i, j int) bool {
		a, b := v.Releases[i], v.Releases[j]
		if (a.Open > 0) != (b.Open > 0) {
			return a.Open > 0
		}
		if !a.Deadline.Equal(b.Deadline) {
			return a.Deadline.Before(b.Deadline)
		}
		return a.ReleaseID > b.ReleaseID
	})
	v.Other = groupHouseholds(other, now)
	return v
}

func hazardName(r *http.Request, code backstop.Hazard) string {
	if hi, ok := backstop.HazardOf(code); ok {
		if langOf(r) == LangEN {
			return hi.EN
		}
		return hi.ZH
	}
	return ""
}

// tasksPage is a signed-in cadre's or officer's phone page of a release:
// its tasks in the user's region, paged (no person is left out unseen).
func (h *Handler) tasksPage(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "Record")
	if err != nil {
		return err
	}
	prog, err := h.cfg.Dispatch.Progress(r.Context(), id)
	if err != nil {
		return err
	}
	village := r.URL.Query().Get("village")
	if village != "" {
		if village, err = backstop.NormalizeRegionCode(village); err != nil {
			return err
		}
	}
	pg := pageOf(r, 50)
	var tasks []*backstop.FieldTask
	err = pg.load(func(limit, offset int) (int, error) {
		var total int
		var err error
		tasks, total, err = h.cfg.Dispatch.Tasks(r.Context(), backstop.TaskFilter{ReleaseID: id, Village: village, Limit: limit, Offset: offset})
		return total, err
	})
	if err != nil {
		return err
	}
	lr := &dispatch.LinkRelease{ReleaseID: id, Test: prog.Release.Test, Deadline: prog.Release.Deadline, Warning: prog.Warning}
	if c := h.clockOf(r, "release.confirm", fmt.Sprintf("release:%d", id)); c != nil {
		lr.Deadline, lr.Provisional = c.Due, c.Provisional
	}
	v := h.buildPhoneView(r, tasks, map[int64]*dispatch.LinkRelease{id: lr})
	v.Total, v.Pager = pg.Total, pg
	v.Action, v.HouseholdAction = "/tasks", fmt.Sprintf("/releases/%d/households/confirm", id)
	v.CallURL = "/releases/" + strconv.FormatInt(id, 10) + "/tasks/%d/call"
	v.Open = prog.Stats.Tasks.Open
	h.renderPhone(w, r, http.StatusOK, v, r.URL.Query().Get("done"))
	return nil
}

// clockOf finds a clock to show its due time, or nil.
func (h *Handler) clockOf(r *http.Request, kind, subject string) *backstop.Clock {
	if h.cfg.Clocks == nil {
		return nil
	}
	cs, _, err := h.cfg.Clocks.Clocks(r.Context(), backstop.ClockFilter{Kind: kind, Subject: subject, Limit: 1})
	if err != nil || len(cs) == 0 {
		return nil
	}
	return cs[0]
}

func (h *Handler) renderPhone(w http.ResponseWriter, r *http.Request, status int, v *phoneView, done string) {
	notice := ""
	if done != "" {
		notice = h.cats[langOf(r)].translate("confirm.saved.who", done)
	}
	h.render(w, r, status, "confirm.html", &page{Title: h.cats[langOf(r)].translate("confirm.title"), Notice: notice, Data: v})
}

func (h *Handler) confirmTask(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "Record")
	if err != nil {
		return err
	}
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		return backstop.Localized(backstop.EINVALID, "表单无法读取", "Bad form.")
	}
	t, err := h.cfg.Dispatch.Confirm(r.Context(), id, r.PostFormValue("outcome"), r.PostFormValue("note"), "")
	if err != nil {
		return err
	}
	if r.Header.Get("X-Requested-With") == "fetch" {
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	http.Redirect(w, r, fmt.Sprintf("/releases/%d/tasks?done=%s#t%d", t.ReleaseID, url.QueryEscape(t.PersonName), t.ID), http.StatusSeeOther)
	return nil
}

// taskIDs reads the task ids a household's form posts.
func taskIDs(r *http.Request) ([]int64, error) {
	var ids []int64
	for _, v := range r.PostForm["task"] {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			return nil, backstop.Localized(backstop.EINVALID, "任务编号“%s”无效", "Task id %q is not valid.", v)
		}
		ids = append(ids, id)
	}
	return ids, nil
}

func confirmedNames(ts []*backstop.FieldTask) string {
	var names []string
	for _, t := range ts {
		names = append(names, t.PersonName)
	}
	return strings.Join(names, "、")
}

func (h *Handler) confirmHousehold(w http.ResponseWriter, r *http.Request) error {
	rel, err := httpx.PathID(r, "Record")
	if err != nil {
		return err
	}
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		return backstop.Localized(backstop.EINVALID, "表单无法读取", "Bad form.")
	}
	ids, err := taskIDs(r)
	if err != nil {
		return err
	}
	done, err := h.cfg.Dispatch.ConfirmAll(r.Context(), rel, ids, r.PostFormValue("outcome"), r.PostFormValue("note"))
	if err != nil {
		return err
	}
	if r.Header.Get("X-Requested-With") == "fetch" {
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	http.Redirect(w, r, fmt.Sprintf("/releases/%d/tasks?done=%s", rel, url.QueryEscape(confirmedNames(done))), http.StatusSeeOther)
	return nil
}

// callTask reveals a person's phone to an officer, audited, and sends the
// browser to tel: so that the phone dials.
func (h *Handler) callTask(w http.ResponseWriter, r *http.Request) error {
	rel, err := httpx.PathInt(r, "rel", "Release")
	if err != nil {
		return err
	}
	id, err := httpx.PathID(r, "Record")
	if err != nil {
		return err
	}
	phone, err := h.cfg.Dispatch.CallNumber(r.Context(), rel, id)
	if err != nil {
		return err
	}
	redirectTel(w, phone)
	return nil
}

// redirectTel answers with a redirect to the dialer. The number is not
// cached anywhere on the way.
func redirectTel(w http.ResponseWriter, phone string) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Location", "tel:"+phone)
	w.WriteHeader(http.StatusSeeOther)
}

// openLink resolves the confirmation link of the path; on failure it has
// answered already, with a phone page that says what to do (a helper
// has no account: never the login page).
func (h *Handler) openLink(w http.ResponseWriter, r *http.Request) (*dispatch.Link, bool) {
	l, err := h.cfg.Dispatch.OpenLink(r.Context(), r.PathValue("token"), httpx.ClientAddr(r))
	if err != nil {
		h.linkFail(w, r, err)
		return nil, false
	}
	return l, true
}

// linkFail renders an error on the helper's phone page.
func (h *Handler) linkFail(w http.ResponseWriter, r *http.Request, err error) {
	status := httpx.ErrorStatus(err)
	code := backstop.ErrorCode(err)
	if status == http.StatusInternalServerError {
		h.logger.Error("link page", "err", err)
	}
	cat := h.cats[langOf(r)]
	what := cat.translate("link.error.what")
	switch code {
	case backstop.EUNAUTHORIZED:
		what = cat.translate("link.expired.what")
		status = http.StatusGone
	case backstop.ENOTFOUND:
		what = cat.translate("link.notfound.what")
	case backstop.ECONFLICT:
		what = cat.translate("link.conflict.what")
	}
	h.render(w, r, status, "link_error.html", &page{Title: cat.translate("confirm.title"), Error: h.errorText(r, err),
		Data: map[string]any{"What": what, "Back": "/c/" + r.PathValue("token"), "Code": code}})
}

// maxLinkTasks bounds the tasks one link page lists: a helper has a
// handful of households; the page says when there are more.
const maxLinkTasks = 500

func (h *Handler) linkPage(w http.ResponseWriter, r *http.Request) {
	l, ok := h.openLink(w, r)
	if !ok {
		return
	}
	tasks, total, err := h.cfg.Dispatch.LinkTasks(r.Context(), l, maxLinkTasks)
	if err != nil {
		h.linkFail(w, r, err)
		return
	}
	releases, err := h.cfg.Dispatch.LinkReleases(r.Context(), l, tasks)
	if err != nil {
		h.linkFail(w, r, err)
		return
	}
	token := r.PathValue("token")
	v := h.buildPhoneView(r, tasks, releases)
	v.Total, v.Link, v.Expires = total, true, l.Expires
	v.Action, v.HouseholdAction = "/c/"+token+"/tasks", "/c/"+token+"/households"
	v.CallURL = "/c/" + token + "/tasks/%d/call"
	h.renderPhone(w, r, http.StatusOK, v, r.URL.Query().Get("done"))
}

func (h *Handler) linkForm(w http.ResponseWriter, r *http.Request) (*dispatch.Link, bool) {
	l, ok := h.openLink(w, r)
	if !ok {
		return nil, false
	}
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		h.linkFail(w, r, backstop.Localized(backstop.EINVALID, "表单无法读取", "Bad form."))
		return nil, false
	}
	return l, true
}

func (h *Handler) linkConfirm(w http.ResponseWriter, r *http.Request) {
	l, ok := h.linkForm(w, r)
	if !ok {
		return
	}
	id, err := httpx.PathID(r, "Record")
	if err != nil {
		h.linkFail(w, r, err)
		return
	}
	t, err := h.cfg.Dispatch.LinkConfirm(r.Context(), l, id, r.PostFormValue("outcome"), r.PostFormValue("note"))
	if err != nil {
		h.linkFail(w, r, err)
		return
	}
	if r.Header.Get("X-Requested-With") == "fetch" {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	http.Redirect(w, r, "/c/"+r.PathValue("token")+"?done="+url.QueryEscape(t.PersonName)+fmt.Sprintf("#t%d", t.ID), http.StatusSeeOther)
}

func (h *Handler) linkConfirmHousehold(w http.ResponseWriter, r *http.Request) {
	l, ok := h.linkForm(w, r)
	if !ok {
		return
	}
	ids, err := taskIDs(r)
	if err != nil {
		h.linkFail(w, r, err)
		return
	}
	done, err := h.cfg.Dispatch.LinkConfirmAll(r.Context(), l, ids, r.PostFormValue("outcome"), r.PostFormValue("note"))
	if err != nil {
		h.linkFail(w, r, err)
		return
	}
	if r.Header.Get("X-Requested-With") == "fetch" {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	http.Redirect(w, r, "/c/"+r.PathValue("token")+"?done="+url.QueryEscape(confirmedNames(done)), http.StatusSeeOther)
}

// linkCall is the call link: it reveals the number to the link's holder
// (audited) and redirects to tel:.
func (h *Handler) linkCall(w http.ResponseWriter, r *http.Request) {
	l, ok := h.openLink(w, r)
	if !ok {
		return
	}
	id, err := httpx.PathID(r, "Record")
	if err != nil {
		h.linkFail(w, r, err)
		return
	}
	phone, err := h.cfg.Dispatch.LinkCall(r.Context(), l, id)
	if err != nil {
		h.linkFail(w, r, err)
		return
	}
	redirectTel(w, phone)
}
