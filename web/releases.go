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
	f := &releaseSectionData{Audiences: backstop.Audiences, Channels: backstop.Channels, CanRelease: u.Can(backstop.PermRelease),
		Picked: map[string]bool{}, TestOnly: w.Exercise()}
	f.Test = f.TestOnly
	for _, a := range []string{backstop.AudienceKeyGroups, backstop.AudienceHelpers, backstop.AudienceHouseholds, backstop.AudienceVillages, backstop.AudienceOfficers} {
		f.Picked[a] = true
	}
	for _, c := range backstop.Channels {
		f.Picked[c] = true
	}
	if t, err := h.cfg.Dispatch.TemplateFor(r.Context(), w); err == nil {
		f.Template = t.Text
	}
	var err error
	f.Releases, err = h.cfg.Dispatch.Releases(r.Context(), w.ID)
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
	d := h.cfg.Dispatch
	id, err := httpx.PathID(r, "Warning")
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
	warning, err := h.cfg.Alerting.Warning(r.Context(), id)
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
		status, errMsg = httpx.ErrorStatus(err), h.localError(r, err)
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
	id, err := httpx.PathID(r, "Record")
	if err != nil {
		return err
	}
	rel, st, err := h.cfg.Dispatch.Release(r.Context(), id)
	if err != nil {
		return err
	}
	warning, err := h.cfg.Alerting.Warning(r.Context(), rel.WarningID)
	if err != nil {
		return err
	}
	u := backstop.UserFromContext(r.Context())
	var tasks []*backstop.FieldTask
	total := 0
	const size = 50
	p, _ := strconv.Atoi(r.URL.Query().Get("page"))
	p = max(p, 1)
	if u.Can(backstop.PermReadRegistry) {
		f := backstop.TaskFilter{ReleaseID: id, Open: r.URL.Query().Get("show") != "unreachable", Limit: size, Offset: (p - 1) * size}
		if r.URL.Query().Get("show") == "unreachable" {
			f.Outcome = backstop.NotReachable
		}
		if tasks, total, err = h.cfg.Dispatch.Tasks(r.Context(), f); err != nil {
			return err
		}
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
	Tasks           []*backstop.FieldTask
	Call            bool
}

func groupTasks(ts []*backstop.FieldTask) []taskGroup {
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

// phonePage renders the one-column confirmation page; test marks the
// tasks of a test release.
func (h *Handler) phonePage(w http.ResponseWriter, r *http.Request, test bool, tasks []*backstop.FieldTask, total int, action, notice string) {
	open := 0
	var due time.Time
	for _, t := range tasks {
		if t.Open() {
			open++
			if due.IsZero() || t.Due.Before(due) {
				due = t.Due
			}
		}
	}
	h.render(w, r, http.StatusOK, "confirm.html", &page{Title: h.cats[langOf(r)].translate("confirm.title"), Notice: notice,
		Data: map[string]any{"Test": test, "Due": due, "Groups": groupTasks(tasks), "Total": total, "Open": open, "Action": action, "Outcomes": backstop.Outcomes,
			"Link": strings.TrimSuffix(action, "/tasks")}})
}

func (h *Handler) tasksPage(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "Record")
	if err != nil {
		return err
	}
	rel, _, err := h.cfg.Dispatch.Release(r.Context(), id)
	if err != nil {
		return err
	}
	f := backstop.TaskFilter{ReleaseID: id, Village: r.URL.Query().Get("village"), Limit: 500}
	tasks, total, err := h.cfg.Dispatch.Tasks(r.Context(), f)
	if err != nil {
		return err
	}
	h.phonePage(w, r, rel.Test, tasks, total, "/tasks", r.URL.Query().Get("done"))
	return nil
}

func (h *Handler) confirmTask(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "Record")
	if err != nil {
		return err
	}
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		return backstop.Errorf(backstop.EINVALID, "Bad form.")
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

// callTask reveals a person's phone to call, audited, as a tel: link.
func (h *Handler) callTask(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "Record")
	if err != nil {
		return err
	}
	rel, err := strconv.ParseInt(r.URL.Query().Get("release"), 10, 64)
	if err != nil {
		return backstop.Localized(backstop.ENOTFOUND, "找不到该发布", "Release not found.")
	}
	phone, err := h.cfg.Dispatch.CallNumber(r.Context(), rel, id)
	if err != nil {
		return err
	}
	http.Redirect(w, r, "tel:"+phone, http.StatusSeeOther)
	return nil
}

// openLink resolves the confirmation link of the path; on failure it has
// answered already.
func (h *Handler) openLink(w http.ResponseWriter, r *http.Request) (*dispatch.Link, bool) {
	l, err := h.cfg.Dispatch.OpenLink(r.Context(), r.PathValue("token"), httpx.ClientAddr(r))
	if err != nil {
		h.fail(w, r, err)
		return nil, false
	}
	return l, true
}

func (h *Handler) linkPage(w http.ResponseWriter, r *http.Request) {
	l, ok := h.openLink(w, r)
	if !ok {
		return
	}
	tasks, total, err := h.cfg.Dispatch.LinkTasks(r.Context(), l, 500)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.phonePage(w, r, false, tasks, total, "/c/"+r.PathValue("token")+"/tasks", r.URL.Query().Get("done"))
}

func (h *Handler) linkConfirm(w http.ResponseWriter, r *http.Request) {
	l, ok := h.openLink(w, r)
	if !ok {
		return
	}
	id, err := httpx.PathID(r, "Record")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		h.fail(w, r, backstop.Errorf(backstop.EINVALID, "Bad form."))
		return
	}
	t, err := h.cfg.Dispatch.LinkConfirm(r.Context(), l, id, r.PostFormValue("outcome"), r.PostFormValue("note"))
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
	l, ok := h.openLink(w, r)
	if !ok {
		return
	}
	id, err := httpx.PathID(r, "Record")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	phone, err := h.cfg.Dispatch.LinkCall(r.Context(), l, id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "tel:"+phone, http.StatusSeeOther)
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
	// RegionName names the template's region; Editable: it lies in the
	// user's region (a parent's template applies but is not the user's).
	RegionName string
	Editable   bool
}

func (h *Handler) templatesPage(w http.ResponseWriter, r *http.Request) error {
	return h.renderTemplates(w, r, http.StatusOK, "", nil)
}

func (h *Handler) renderTemplates(w http.ResponseWriter, r *http.Request, status int, errMsg string, form *backstop.MessageTemplate) error {
	u := backstop.UserFromContext(r.Context())
	ts, err := h.cfg.Dispatch.Templates(r.Context())
	if err != nil {
		return err
	}
	lang := langOf(r)
	names := map[string]string{}
	rows := make([]templateRow, len(ts))
	for i, t := range ts {
		if _, ok := names[t.Region]; !ok {
			names[t.Region] = h.regionName(r.Context(), t.Region, lang)
		}
		rows[i] = templateRow{MessageTemplate: t, RegionName: names[t.Region], Editable: u.InScope(t.Region)}
		if p, err := h.cfg.Dispatch.PreviewTemplate(r.Context(), t.Text, 0); err == nil {
			rows[i].Sample, rows[i].Segments, rows[i].Chars = p.Text, p.Segments, p.Characters
		}
	}
	if form == nil {
		form = &backstop.MessageTemplate{Region: u.Region}
	}
	// A new template is for the user's region or one directly inside it.
	type regionOption struct{ Code, Name string }
	regions := []regionOption{{u.Region, h.regionName(r.Context(), u.Region, lang)}}
	f := backstop.RegionFilter{Parent: u.Region}
	if u.Region == backstop.NationalScope {
		f = backstop.RegionFilter{Level: backstop.LevelProvince}
	}
	if kids, _, err := h.cfg.Registry.Regions(r.Context(), f); err == nil {
		for _, k := range kids {
			regions = append(regions, regionOption{k.Code, k.Name})
		}
	}
	h.render(w, r, status, "templates.html", &page{Title: h.cats[lang].translate("menu.templates"), Menu: "templates", Error: errMsg,
		Data: map[string]any{"Rows": rows, "CanEdit": u.Can(backstop.PermManageReach), "Hazards": backstop.Hazards, "Levels": backstop.WarningLevels,
			"Placeholders": backstop.Placeholders, "Form": form, "HazardNames": hazardNames(r), "Regions": regions}})
	return nil
}

func (h *Handler) saveTemplate(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		return backstop.Errorf(backstop.EINVALID, "Bad form.")
	}
	id, _ := strconv.ParseInt(r.PostFormValue("id"), 10, 64)
	t := &backstop.MessageTemplate{ID: id, Hazard: backstop.Hazard(r.PostFormValue("hazard")), Level: backstop.WarningLevel(r.PostFormValue("level")), Text: strings.TrimSpace(r.PostFormValue("text"))}
	if id == 0 {
		t.Region = r.PostFormValue("region") // an edited template keeps its own
	}
	if err := h.cfg.Dispatch.SaveTemplate(r.Context(), t); err != nil {
		if c := backstop.ErrorCode(err); c == backstop.EINVALID || c == backstop.ECONFLICT || c == backstop.EFORBIDDEN {
			return h.renderTemplates(w, r, httpx.ErrorStatus(err), h.localError(r, err), t)
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
	all, err := h.cfg.Dispatch.Contacts(r.Context(), kind)
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
	if err := h.cfg.Dispatch.CreateContact(r.Context(), c); err != nil {
		if c := backstop.ErrorCode(err); c == backstop.EINVALID || c == backstop.EFORBIDDEN {
			return h.renderContacts(w, r, httpx.ErrorStatus(err), h.localError(r, err))
		}
		return err
	}
	http.Redirect(w, r, "/contacts", http.StatusSeeOther)
	return nil
}

func (h *Handler) deleteContact(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "Record")
	if err != nil {
		return err
	}
	if err := h.cfg.Dispatch.DeleteContact(r.Context(), id); err != nil {
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
	channels, err := h.cfg.Dispatch.Channels(r.Context())
	if err != nil {
		return err
	}
	h.render(w, r, http.StatusOK, "channels.html", &page{Title: h.cats[langOf(r)].translate("menu.channels"), Menu: "channels", Error: errMsg,
		Data: map[string]any{"Channels": channels, "CanTest": u.Can(backstop.PermManageChannel), "Result": res}})
	return nil
}

func (h *Handler) testChannel(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		return backstop.Errorf(backstop.EINVALID, "Bad form.")
	}
	res, err := h.cfg.Dispatch.TestSend(r.Context(), r.PathValue("channel"), strings.TrimSpace(r.PostFormValue("address")), strings.TrimSpace(r.PostFormValue("text")))
	if err != nil {
		if c := backstop.ErrorCode(err); c == backstop.EINVALID || c == backstop.EUNAVAILABLE {
			return h.renderChannels(w, r, h.localError(r, err), nil)
		}
		return err
	}
	return h.renderChannels(w, r, "", res)
}
