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
	"github.com/zhangye-backstop/backstop/httpapi"
)

func (h *Handler) releaseRoutes() {
	h.handle("POST /warnings/{id}/release-preview", h.releasePreview)
	h.handle("POST /warnings/{id}/releases", h.createRelease)
	h.handle("GET /releases/{id}", h.releasePage)
	h.handle("GET /releases/{id}/tasks", h.tasksPage)
	h.handle("POST /tasks/{id}/confirm", h.confirmTask)
	h.handle("POST /tasks/{id}/call", h.callTask)
	h.handle("GET /templates", h.templatesPage)
	h.handle("POST /templates", h.saveTemplate)
	h.handle("GET /contacts", h.contactsPage)
	h.handle("POST /contacts", h.createContact)
	h.handle("POST /contacts/{id}/delete", h.deleteContact)
	h.handle("GET /channels", h.channelsPage)
	h.handle("POST /channels/{channel}/test", h.testChannel)
	// The confirmation link: no account, the token is the key.
	h.mux.HandleFunc("GET /c/{token}", h.linkPage)
	h.mux.HandleFunc("POST /c/{token}/tasks/{id}", h.linkConfirm)
	h.mux.HandleFunc("POST /c/{token}/tasks/{id}/call", h.linkCall)
}

func (h *Handler) dispatcher() (*dispatch.Service, error) {
	if h.cfg.Dispatch == nil {
		return nil, backstop.Errorf(backstop.EUNAVAILABLE, "Targeted release is not enabled.")
	}
	return h.cfg.Dispatch, nil
}

// releaseSectionData is the release section of the warning page.
type releaseSectionData struct {
	Audiences, Channels []string
	Picked              map[string]bool
	Template            string
	Test, TestOnly      bool
	Releases            []*backstop.Release
	CanRelease          bool
}

// releaseSection prepares the release form and list for a warning page.
func (h *Handler) releaseSection(r *http.Request, w *backstop.Warning) (*releaseSectionData, error) {
	u := backstop.UserFromContext(r.Context())
	f := &releaseSectionData{Audiences: backstop.Audiences, Channels: backstop.Channels, CanRelease: u.Can(backstop.PermRelease) && h.cfg.Dispatch != nil,
		Picked: map[string]bool{}, TestOnly: w.Exercise()}
	f.Test = f.TestOnly
	for _, a := range []string{backstop.AudienceKeyGroups, backstop.AudienceHelpers, backstop.AudienceHouseholds, backstop.AudienceVillages, backstop.AudienceOfficers} {
		f.Picked[a] = true
	}
	for _, c := range backstop.Channels {
		f.Picked[c] = true
	}
	if t, err := h.store.TemplateFor(r.Context(), w.Hazard, w.Level); err == nil {
		f.Template = t.Text
	}
	var err error
	f.Releases, err = h.store.FindReleases(r.Context(), w.ID)
	return f, err
}

func releaseRequest(r *http.Request) dispatch.Request {
	return dispatch.Request{Audiences: r.PostForm["audience"], Channels: r.PostForm["channel"], Template: strings.TrimSpace(r.PostFormValue("template")),
		Test: r.PostFormValue("test") == "1", Hotline: strings.TrimSpace(r.PostFormValue("hotline"))}
}

func (h *Handler) localError(r *http.Request, err error) string {
	msg := backstop.ErrorMessageZH(err)
	if langOf(r) == LangEN {
		msg = backstop.ErrorMessage(err)
	}
	return msg
}

// releaseForm reads a release request posted for the warning in the path.
func (h *Handler) releaseForm(w http.ResponseWriter, r *http.Request) (*dispatch.Service, int64, dispatch.Request, error) {
	d, err := h.dispatcher()
	if err != nil {
		return nil, 0, dispatch.Request{}, err
	}
	id, err := httpapi.PathID(r, "Warning")
	if err != nil {
		return nil, 0, dispatch.Request{}, err
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		return nil, 0, dispatch.Request{}, backstop.Errorf(backstop.EINVALID, "Bad form.")
	}
	return d, id, releaseRequest(r), nil
}

func (h *Handler) releasePreview(w http.ResponseWriter, r *http.Request) error {
	d, id, req, err := h.releaseForm(w, r)
	if err != nil {
		return err
	}
	warning, err := h.store.FindWarning(r.Context(), id)
	if err != nil {
		return err
	}
	p, err := d.Preview(r.Context(), id, req)
	status := http.StatusOK
	errMsg := ""
	if err != nil {
		if code := backstop.ErrorCode(err); code == backstop.EINTERNAL || code == backstop.EUNAUTHORIZED || code == backstop.ENOTFOUND {
			return err
		}
		status, errMsg = httpapi.ErrorStatus(err), h.localError(r, err)
	}
	crumbs := []crumb{{Label: h.cats[langOf(r)].translate("menu.warnings"), Href: "/warnings"}, {Label: fmt.Sprint(id), Href: fmt.Sprintf("/warnings/%d", id)},
		{Label: h.cats[langOf(r)].translate("release.preview")}}
	h.render(w, r, status, "release_preview.html", &page{Title: h.cats[langOf(r)].translate("release.preview"), Menu: "warnings", Crumbs: crumbs, Error: errMsg,
		Data: map[string]any{"Warning": h.warningRow(r, warning), "Preview": p, "Req": req}})
	return nil
}

func (h *Handler) createRelease(w http.ResponseWriter, r *http.Request) error {
	d, id, req, err := h.releaseForm(w, r)
	if err != nil {
		return err
	}
	rel, err := d.Create(r.Context(), id, req)
	if err != nil {
		return err
	}
	http.Redirect(w, r, fmt.Sprintf("/releases/%d", rel.ID), http.StatusSeeOther)
	return nil
}

// messageRow is one line of the dashboard's message table.
type messageRow struct {
	Channel, Audience string
	Status            map[string]int
	Total             int
}

func messageRows(counts []backstop.MessageCount) []messageRow {
	byKey := map[[2]string]*messageRow{}
	var keys [][2]string
	for _, c := range counts {
		k := [2]string{c.Channel, c.Audience}
		row := byKey[k]
		if row == nil {
			row = &messageRow{Channel: c.Channel, Audience: c.Audience, Status: map[string]int{}}
			byKey[k] = row
			keys = append(keys, k)
		}
		row.Status[c.Status] += c.N
		row.Total += c.N
	}
	out := make([]messageRow, len(keys))
	for i, k := range keys {
		out[i] = *byKey[k]
	}
	return out
}

func (h *Handler) releasePage(w http.ResponseWriter, r *http.Request) error {
	id, err := httpapi.PathID(r, "Record")
	if err != nil {
		return err
	}
	rel, err := h.store.FindRelease(r.Context(), id)
	if err != nil {
		return err
	}
	st, err := h.store.ReleaseStats(r.Context(), id)
	if err != nil {
		return err
	}
	warning, err := h.store.FindWarning(r.Context(), rel.WarningID)
	if err != nil {
		return err
	}
	u := backstop.UserFromContext(r.Context())
	var tasks []*backstop.ConfirmationTask
	total := 0
	const size = 50
	p, _ := strconv.Atoi(r.URL.Query().Get("page"))
	p = max(p, 1)
	if u.Can(backstop.PermReadRegistry) {
		f := backstop.TaskFilter{ReleaseID: id, Open: r.URL.Query().Get("show") != "unreachable", Limit: size, Offset: (p - 1) * size}
		if r.URL.Query().Get("show") == "unreachable" {
			f.Outcome = backstop.NotReachable
		}
		if tasks, total, err = h.store.FindTasks(r.Context(), f); err != nil {
			return err
		}
		httpapi.MaskTasks(tasks)
	}
	row := h.warningRow(r, warning)
	mapData, err := h.warningMap(r, warning, row.Exposure)
	if err != nil {
		return err
	}
	if mapData != nil {
		rates := map[string]backstop.VillageConfirmation{}
		for _, v := range st.Villages {
			rates[v.Code] = v
		}
		var villages []map[string]any
		for _, v := range mapData["villages"].([]map[string]any) {
			c, ok := rates[v["name"].(string)]
			if !ok {
				continue
			}
			rate := 100 * c.Confirmed / max(c.Total, 1)
			villages = append(villages, map[string]any{"name": c.Code, "label": c.Name, "value": rate, "confirmed": c.Confirmed, "total": c.Total})
		}
		mapData["villages"] = villages
		mapData["mode"] = "confirmation"
	}
	pct := 0
	if st.Tasks.Total > 0 {
		pct = 100 * st.Tasks.Confirmed / st.Tasks.Total
	}
	crumbs := []crumb{{Label: h.cats[langOf(r)].translate("menu.warnings"), Href: "/warnings"}, {Label: fmt.Sprint(rel.WarningID), Href: fmt.Sprintf("/warnings/%d", rel.WarningID)},
		{Label: h.cats[langOf(r)].translate("release.title") + " " + fmt.Sprint(id)}}
	h.render(w, r, http.StatusOK, "release.html", &page{Title: h.cats[langOf(r)].translate("release.title"), Menu: "warnings", Crumbs: crumbs, ComputedAt: st.ComputedAt,
		Data: map[string]any{"Release": rel, "Stats": st, "Rows": messageRows(st.Messages), "Warning": row, "Tasks": tasks, "TasksTotal": total, "Page": p,
			"Pages": max((total+size-1)/size, 1), "Map": mapData, "Percent": pct, "Statuses": []string{backstop.MessagePending, backstop.MessageSent, backstop.MessageDelivered, backstop.MessageFailed, backstop.MessageSimulated},
			"Show": r.URL.Query().Get("show"), "Overdue": time.Now().After(rel.Deadline)}})
	return nil
}

// taskGroup is a household's tasks on the phone page.
type taskGroup struct {
	Number, Village string
	Tasks           []*backstop.ConfirmationTask
	Call            bool
}

func groupTasks(ts []*backstop.ConfirmationTask) []taskGroup {
	var out []taskGroup
	index := map[string]int{}
	for _, t := range ts {
		i, ok := index[t.HouseholdNumber]
		if !ok {
			i = len(out)
			index[t.HouseholdNumber] = i
			out = append(out, taskGroup{Number: t.HouseholdNumber, Village: t.Village})
		}
		out[i].Tasks = append(out[i].Tasks, t)
		out[i].Call = out[i].Call || t.CallRequested
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Call && !out[j].Call })
	return out
}

// phonePage renders the one-column confirmation page.
func (h *Handler) phonePage(w http.ResponseWriter, r *http.Request, rel *backstop.Release, tasks []*backstop.ConfirmationTask, total int, action, notice string) {
	open := 0
	for _, t := range tasks {
		if t.Open() {
			open++
		}
	}
	h.render(w, r, http.StatusOK, "confirm.html", &page{Title: h.cats[langOf(r)].translate("confirm.title"), Notice: notice,
		Data: map[string]any{"Release": rel, "Groups": groupTasks(tasks), "Total": total, "Open": open, "Action": action, "Outcomes": backstop.Outcomes}})
}

func (h *Handler) tasksPage(w http.ResponseWriter, r *http.Request) error {
	id, err := httpapi.PathID(r, "Record")
	if err != nil {
		return err
	}
	rel, err := h.store.FindRelease(r.Context(), id)
	if err != nil {
		return err
	}
	f := backstop.TaskFilter{ReleaseID: id, Village: r.URL.Query().Get("village"), Limit: 500}
	tasks, total, err := h.store.FindTasks(r.Context(), f)
	if err != nil {
		return err
	}
	httpapi.MaskTasks(tasks)
	h.phonePage(w, r, rel, tasks, total, "/tasks", r.URL.Query().Get("done"))
	return nil
}

func (h *Handler) confirmTask(w http.ResponseWriter, r *http.Request) error {
	d, err := h.dispatcher()
	if err != nil {
		return err
	}
	id, err := httpapi.PathID(r, "Record")
	if err != nil {
		return err
	}
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		return backstop.Errorf(backstop.EINVALID, "Bad form.")
	}
	t, err := d.Confirm(r.Context(), id, r.PostFormValue("outcome"), r.PostFormValue("note"), "")
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

// callTask reveals a person's phone to call, audited, as a tel: link.
func (h *Handler) callTask(w http.ResponseWriter, r *http.Request) error {
	id, err := httpapi.PathID(r, "Record")
	if err != nil {
		return err
	}
	u := backstop.UserFromContext(r.Context())
	if err := u.Require(backstop.PermRevealPII); err != nil {
		return err
	}
	rel, err := strconv.ParseInt(r.URL.Query().Get("release"), 10, 64)
	if err != nil {
		return backstop.Errorf(backstop.ENOTFOUND, "Not found.")
	}
	t, err := h.findTask(r, rel, id, "")
	if err != nil {
		return err
	}
	if err := h.store.Audit(r.Context(), "pii.reveal", "household", t.HouseholdNumber, fmt.Sprintf("phone of %s to call (release %d task %d)", t.PersonName, t.ReleaseID, t.ID)); err != nil {
		return err
	}
	http.Redirect(w, r, "tel:"+t.Phone, http.StatusSeeOther)
	return nil
}

// findTask loads one task of a release in the context's scope (and of an
// assignee, for links).
func (h *Handler) findTask(r *http.Request, releaseID, taskID int64, assignee string) (*backstop.ConfirmationTask, error) {
	ts, _, err := h.store.FindTasks(r.Context(), backstop.TaskFilter{ReleaseID: releaseID, ID: taskID, Assignee: assignee, Limit: 1})
	if err != nil {
		return nil, err
	}
	if len(ts) == 0 {
		return nil, backstop.Errorf(backstop.ENOTFOUND, "Task %d not found.", taskID)
	}
	return ts[0], nil
}

// linkUser is the acting user of a confirmation link: it can confirm,
// within the whole city, but only the tasks the handlers load for the
// link's assignee.
func linkUser(phone string, r *http.Request) *backstop.User {
	return &backstop.User{Name: "link:" + backstop.MaskPhone(phone), Role: backstop.RoleVillage, Region: backstop.NationalScope, Via: "link", Addr: httpapi.ClientAddr(r)}
}

func (h *Handler) linkTasks(w http.ResponseWriter, r *http.Request) (*backstop.Release, string, *http.Request, bool) {
	releaseID, phone, err := h.store.LinkAssignee(r.Context(), r.PathValue("token"))
	if err != nil {
		h.fail(w, r, backstop.Errorf(backstop.ENOTFOUND, "%s", backstop.ErrorMessage(err)))
		return nil, "", r, false
	}
	r = r.WithContext(backstop.NewContextWithUser(r.Context(), linkUser(phone, r)))
	rel, err := h.store.FindRelease(r.Context(), releaseID)
	if err != nil {
		h.fail(w, r, err)
		return nil, "", r, false
	}
	return rel, phone, r, true
}

func (h *Handler) linkPage(w http.ResponseWriter, r *http.Request) {
	rel, phone, r, ok := h.linkTasks(w, r)
	if !ok {
		return
	}
	tasks, total, err := h.store.FindTasks(r.Context(), backstop.TaskFilter{ReleaseID: rel.ID, Assignee: phone, Limit: 500})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	httpapi.MaskTasks(tasks)
	h.store.Audit(r.Context(), "link.open", "release", fmt.Sprint(rel.ID), fmt.Sprintf("confirmation link of %s: %d tasks", backstop.MaskPhone(phone), total))
	h.phonePage(w, r, rel, tasks, total, "/c/"+r.PathValue("token")+"/tasks", r.URL.Query().Get("done"))
}

func (h *Handler) linkConfirm(w http.ResponseWriter, r *http.Request) {
	rel, phone, r, ok := h.linkTasks(w, r)
	if !ok {
		return
	}
	d, err := h.dispatcher()
	if err != nil {
		h.fail(w, r, err)
		return
	}
	id, err := httpapi.PathID(r, "Record")
	if err == nil {
		_, err = h.findTask(r, rel.ID, id, phone)
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		h.fail(w, r, backstop.Errorf(backstop.EINVALID, "Bad form."))
		return
	}
	t, err := d.Confirm(r.Context(), id, r.PostFormValue("outcome"), r.PostFormValue("note"), "link:"+backstop.MaskPhone(phone))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if r.Header.Get("X-Requested-With") == "fetch" {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	http.Redirect(w, r, "/c/"+r.PathValue("token")+"?done="+url.QueryEscape(t.PersonName)+fmt.Sprintf("#t%d", t.ID), http.StatusSeeOther)
}

func (h *Handler) linkCall(w http.ResponseWriter, r *http.Request) {
	rel, phone, r, ok := h.linkTasks(w, r)
	if !ok {
		return
	}
	id, err := httpapi.PathID(r, "Record")
	var t *backstop.ConfirmationTask
	if err == nil {
		t, err = h.findTask(r, rel.ID, id, phone)
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if err := h.store.Audit(r.Context(), "pii.reveal", "household", t.HouseholdNumber, fmt.Sprintf("phone of %s to call, by the assignee's link (release %d task %d)", t.PersonName, rel.ID, t.ID)); err != nil {
		h.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "tel:"+t.Phone, http.StatusSeeOther)
}

// hazardNames maps hazard codes to their names in the page's language.
func hazardNames(r *http.Request) map[string]string {
	names := map[string]string{}
	for _, hz := range backstop.Hazards {
		names[string(hz.Code)] = hz.ZH
		if langOf(r) == LangEN {
			names[string(hz.Code)] = hz.EN
		}
	}
	return names
}

// padCode pads a partial region code (6 or 9 digits) to 12; others are
// returned as given.
func padCode(code string) string {
	if n, err := backstop.NormalizeRegionCode(code); err == nil {
		return n
	}
	return code
}

// Templates, contacts and channels.

type templateRow struct {
	*backstop.MessageTemplate
	Sample   string
	Segments int
	Chars    int
}

func (h *Handler) templatesPage(w http.ResponseWriter, r *http.Request) error {
	return h.renderTemplates(w, r, http.StatusOK, "", nil)
}

func (h *Handler) renderTemplates(w http.ResponseWriter, r *http.Request, status int, errMsg string, form *backstop.MessageTemplate) error {
	u := backstop.UserFromContext(r.Context())
	ts, err := h.store.FindTemplates(r.Context())
	if err != nil {
		return err
	}
	rows := make([]templateRow, len(ts))
	for i, t := range ts {
		rows[i] = templateRow{MessageTemplate: t}
		if p, err := httpapi.PreviewTemplate(r.Context(), h.store, h.cfg.Dispatch, t.Text, 0); err == nil {
			rows[i].Sample, rows[i].Segments, rows[i].Chars = p.Text, p.Segments, p.Characters
		}
	}
	if form == nil {
		form = &backstop.MessageTemplate{}
	}
	h.render(w, r, status, "templates.html", &page{Title: h.cats[langOf(r)].translate("menu.templates"), Menu: "templates", Error: errMsg,
		Data: map[string]any{"Rows": rows, "CanEdit": u.Can(backstop.PermManageReach), "Hazards": backstop.Hazards, "Levels": backstop.Levels,
			"Placeholders": backstop.Placeholders, "Form": form, "HazardNames": hazardNames(r)}})
	return nil
}

func (h *Handler) saveTemplate(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		return backstop.Errorf(backstop.EINVALID, "Bad form.")
	}
	id, _ := strconv.ParseInt(r.PostFormValue("id"), 10, 64)
	t := &backstop.MessageTemplate{ID: id, Hazard: backstop.Hazard(r.PostFormValue("hazard")), Level: r.PostFormValue("level"), Text: strings.TrimSpace(r.PostFormValue("text"))}
	if err := h.store.SaveTemplate(r.Context(), t); err != nil {
		if c := backstop.ErrorCode(err); c == backstop.EINVALID || c == backstop.ECONFLICT {
			return h.renderTemplates(w, r, httpapi.ErrorStatus(err), h.localError(r, err), t)
		}
		return err
	}
	http.Redirect(w, r, "/templates", http.StatusSeeOther)
	return nil
}

func (h *Handler) contactsPage(w http.ResponseWriter, r *http.Request) error {
	return h.renderContacts(w, r, http.StatusOK, "")
}

func (h *Handler) renderContacts(w http.ResponseWriter, r *http.Request, status int, errMsg string) error {
	u := backstop.UserFromContext(r.Context())
	kind, region := r.URL.Query().Get("kind"), strings.TrimSpace(r.URL.Query().Get("region"))
	all, err := h.store.FindContacts(r.Context(), kind)
	if err != nil {
		return err
	}
	var cs []*backstop.Contact
	for _, c := range all {
		if region == "" || strings.HasPrefix(c.Region, backstop.CodePrefix(padCode(region))) {
			cs = append(cs, c)
		}
	}
	const size = 50
	p, _ := strconv.Atoi(r.URL.Query().Get("page"))
	p = max(p, 1)
	total := len(cs)
	cs = cs[min((p-1)*size, total):min(p*size, total)]
	for _, c := range cs {
		httpapi.MaskContact(c)
	}
	h.render(w, r, status, "contacts.html", &page{Title: h.cats[langOf(r)].translate("menu.contacts"), Menu: "contacts", Error: errMsg,
		Data: map[string]any{"Contacts": cs, "Total": total, "Page": p, "Pages": max((total+size-1)/size, 1), "Offset": (p - 1) * size, "Kinds": backstop.ContactKinds,
			"Kind": kind, "Region": region, "CanEdit": u.Can(backstop.PermManageReach), "Hazards": backstop.Hazards, "HazardNames": hazardNames(r)}})
	return nil
}

func (h *Handler) createContact(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		return backstop.Errorf(backstop.EINVALID, "Bad form.")
	}
	c := &backstop.Contact{Kind: r.PostFormValue("kind"), Name: strings.TrimSpace(r.PostFormValue("name")), Department: strings.TrimSpace(r.PostFormValue("department")),
		Region: strings.TrimSpace(r.PostFormValue("region")), Phone: strings.TrimSpace(r.PostFormValue("phone")), Email: strings.TrimSpace(r.PostFormValue("email")),
		Address: strings.TrimSpace(r.PostFormValue("address"))}
	for _, hz := range r.PostForm["hazard"] {
		c.Hazards = append(c.Hazards, backstop.Hazard(hz))
	}
	if err := h.store.CreateContacts(r.Context(), c); err != nil {
		if c := backstop.ErrorCode(err); c == backstop.EINVALID || c == backstop.EFORBIDDEN {
			return h.renderContacts(w, r, httpapi.ErrorStatus(err), h.localError(r, err))
		}
		return err
	}
	http.Redirect(w, r, "/contacts", http.StatusSeeOther)
	return nil
}

func (h *Handler) deleteContact(w http.ResponseWriter, r *http.Request) error {
	id, err := httpapi.PathID(r, "Record")
	if err != nil {
		return err
	}
	if err := h.store.DeleteContact(r.Context(), id); err != nil {
		return err
	}
	http.Redirect(w, r, "/contacts", http.StatusSeeOther)
	return nil
}

func (h *Handler) channelsPage(w http.ResponseWriter, r *http.Request) error {
	return h.renderChannels(w, r, "", nil)
}

func (h *Handler) renderChannels(w http.ResponseWriter, r *http.Request, errMsg string, res *dispatch.TestResult) error {
	u := backstop.UserFromContext(r.Context())
	if err := u.Require(backstop.PermReadWarnings); err != nil {
		return err
	}
	h.render(w, r, http.StatusOK, "channels.html", &page{Title: h.cats[langOf(r)].translate("menu.channels"), Menu: "channels", Error: errMsg,
		Data: map[string]any{"Channels": httpapi.ChannelViews(h.cfg.Dispatch), "CanTest": u.Can(backstop.PermManageChannel) && h.cfg.Dispatch != nil, "Result": res}})
	return nil
}

func (h *Handler) testChannel(w http.ResponseWriter, r *http.Request) error {
	d, err := h.dispatcher()
	if err != nil {
		return err
	}
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		return backstop.Errorf(backstop.EINVALID, "Bad form.")
	}
	res, err := d.TestSend(r.Context(), r.PathValue("channel"), strings.TrimSpace(r.PostFormValue("address")), strings.TrimSpace(r.PostFormValue("text")))
	if err != nil {
		if c := backstop.ErrorCode(err); c == backstop.EINVALID || c == backstop.EUNAVAILABLE {
			return h.renderChannels(w, r, h.localError(r, err), nil)
		}
		return err
	}
	return h.renderChannels(w, r, "", res)
}
