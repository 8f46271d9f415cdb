package web

import (
	"encoding/csv"
	"fmt"
	"io"
	"net/http"
	"slices"
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
	h.handle("GET /releases", h.releasesPage)
	h.handle("GET /releases/{id}/tasks.csv", h.exportTasks)
	h.handle("GET /templates", h.templatesPage)
	h.handle("POST /templates", h.saveTemplate)
	h.handle("GET /contacts", h.contactsPage)
	h.handle("POST /contacts", h.createContact)
	h.handle("POST /contacts/{id}/delete", h.deleteContact)
	h.handle("GET /channels", h.channelsPage)
	h.handle("POST /channels/{channel}/test", h.testChannel)
	h.phoneRoutes()
}

// releasesPage lists every release across warnings with its progress in
// the user's region (发布记录/确认进度).
func (h *Handler) releasesPage(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := backstop.ReleaseFilter{State: q.Get("state"), Test: q.Get("test")}
	if f.State != "" && f.State != backstop.StreamSending && f.State != backstop.StreamDone {
		return backstop.Localized(backstop.EINVALID, "发布状态只能是“发送中”或“发送完成”，不能是“%s”", "state must be sending or done, not %q.", f.State)
	}
	if f.Test != "" && f.Test != "only" && f.Test != "none" {
		return backstop.Localized(backstop.EINVALID, "测试发布筛选只能是“仅正式发布”或“仅测试发布”，不能是“%s”", "test must be none or only, not %q.", f.Test)
	}
	if v := q.Get("warning"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			return backstop.Localized(backstop.EINVALID, "预警编号“%s”无效", "Warning id %q is not valid.", v)
		}
		f.WarningID = id
	}
	cat := h.cats[langOf(r)]
	if format, err := exportFormat(r); err != nil {
		return err
	} else if format != "" {
		ex := &listExport{name: "releases", perm: backstop.PermReadWarnings,
			head: []string{cat.translate("release.made"), cat.translate("col.actor"), cat.translate("release.warning"), cat.translate("release.channels"), cat.translate("release.sent"),
				cat.translate("message.failed"), cat.translate("release.confirmation"), cat.translate("tasks.open"), cat.translate("tasks.overdue")},
			rows: func(limit, offset int) ([][]string, int, error) {
				f.Limit, f.Offset = limit, offset
				items, total, err := h.cfg.Dispatch.ReleaseList(r.Context(), f)
				rows := make([][]string, len(items))
				for i, p := range items {
					var chans []string
					for _, c := range p.Release.Channels {
						chans = append(chans, cat.translate("channel."+c))
					}
					title := p.Warning.Headline
					if title == "" {
						title = hazardName(r, p.Warning.Hazard)
					}
					rows[i] = []string{p.Release.CreatedAt.In(backstop.Beijing).Format("2006-01-02 15:04"), actorText(cat, p.Release.CreatedBy), title, strings.Join(chans, "、"),
						fmt.Sprintf("%d / %d", p.Sent, p.MessagesTotal), fmt.Sprint(p.Messages["failed"]), fmt.Sprintf("%d / %d", p.Stats.Tasks.Confirmed, p.Stats.Tasks.Total),
						fmt.Sprint(p.Stats.Tasks.Open), fmt.Sprint(p.Stats.Tasks.Overdue)}
				}
				return rows, total, err
			}}
		return ex.write(h, w, r, format)
	}
	pg := pageOf(r, 20)
	var items []*dispatch.Progress
	err := pg.load(func(limit, offset int) (int, error) {
		f.Limit, f.Offset = limit, offset
		var total int
		var err error
		items, total, err = h.cfg.Dispatch.ReleaseList(r.Context(), f)
		return total, err
	})
	if err != nil {
		return err
	}
	rows := make([]releaseRow, len(items))
	for i, p := range items {
		rows[i] = releaseRow{Progress: p, Level: levelOf(p.Warning.Level), Hazard: hazardName(r, p.Warning.Hazard)}
	}
	h.render(w, r, http.StatusOK, "releases.html", &page{Title: h.cats[langOf(r)].translate("menu.releases"), Menu: "releases",
		Data: map[string]any{"Rows": rows, "Pager": pg, "Filter": f, "Exports": exportLinks(cat, r)}})
	return nil
}

// releaseRow is a line of the release list.
type releaseRow struct {
	*dispatch.Progress
	Level  levelView
	Hazard string
}

// releaseSectionData is the release section of the warning page.
type releaseSectionData struct {
	Audiences, Channels []string
	Picked              map[string]bool
	Template            string
	Test, TestOnly      bool
	Releases            []*backstop.Release
	CanRelease          bool
	// Configured tells the channels with a gateway set up.
	Configured map[string]bool
}

// releaseSection prepares the release form and list for a warning page.
func (h *Handler) releaseSection(r *http.Request, w *backstop.Warning) (*releaseSectionData, error) {
	u := backstop.UserFromContext(r.Context())
	f := &releaseSectionData{Audiences: backstop.Audiences, Channels: backstop.Channels, CanRelease: u.Can(backstop.PermRelease),
		Picked: map[string]bool{}, TestOnly: w.Exercise(), Configured: map[string]bool{}}
	for _, c := range h.cfg.Dispatch.ChannelViews() {
		f.Configured[c.Channel] = c.Configured
	}
	f.Test = f.TestOnly
	for _, a := range []string{backstop.AudienceKeyGroups, backstop.AudienceHelpers, backstop.AudienceHouseholds, backstop.AudienceVillages, backstop.AudienceOfficers} {
		f.Picked[a] = true
	}
	// Channels without a gateway are not picked for the user: their
	// messages would fail.
	for _, c := range backstop.Channels {
		f.Picked[c] = f.Configured[c]
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
	return h.errorText(r, err)
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
		return nil, 0, dispatch.Request{}, backstop.Localized(backstop.EINVALID, "表单无法读取，请重新填写后提交", "Bad form.")
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
		Data: map[string]any{"Warning": h.warningRow(r, warning), "Preview": p, "Req": req,
			// Every chosen channel without a gateway: nothing would go out.
			"NoChannel": p != nil && !p.Test && len(p.Unconfigured) == len(req.Channels),
			// A real red or orange release is asked once more, with its counts.
			"AskTwice": p != nil && !p.Test && (warning.Level == backstop.WarningRed || warning.Level == backstop.WarningOrange)}})
	return nil
}

func (h *Handler) createRelease(w http.ResponseWriter, r *http.Request) error {
	d, id, req, err := h.releaseForm(w, r)
	if err != nil {
		return err
	}
	if !req.Test && r.PostFormValue("checked") != "1" {
		warning, err := h.cfg.Alerting.Warning(r.Context(), id)
		if err != nil {
			return err
		}
		if warning.Level == backstop.WarningRed || warning.Level == backstop.WarningOrange {
			return backstop.Localized(backstop.EINVALID, "请在发布预览中勾选“已核对发布对象和人数”后再确认发布", "Tick the check of audiences and counts in the preview before releasing.")
		}
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

// taskShows are the task lists of the dashboard.
var taskShows = []string{"open", "overdue", "calls", "unreachable", "all"}

// taskFilter reads the dashboard's task list filter.
func taskFilter(r *http.Request, id int64) (backstop.TaskFilter, string, error) {
	q := r.URL.Query()
	show := q.Get("show")
	f := backstop.TaskFilter{ReleaseID: id}
	switch show {
	case "overdue":
		f.DueBefore = time.Now()
	case "calls":
		f.Calls = true
	case "unreachable":
		f.Outcome = backstop.NotReachable
	case "all":
	default:
		show, f.Open = "open", true
	}
	if v := q.Get("village"); v != "" {
		code, err := backstop.NormalizeRegionCode(v)
		if err != nil {
			return f, show, err
		}
		f.Village = code
	}
	return f, show, nil
}

// townshipRow groups a township's villages on the dashboard.
type townshipRow struct {
	Code, Name       string
	Total, Confirmed int
	Villages         []backstop.VillageConfirmation
}

func (h *Handler) townships(r *http.Request, vs []backstop.VillageConfirmation) []*townshipRow {
	var out []*townshipRow
	index := map[string]*townshipRow{}
	for _, v := range vs {
		if len(v.Code) != 12 {
			continue
		}
		code := v.Code[:9] + "000"
		t := index[code]
		if t == nil {
			t = &townshipRow{Code: code, Name: h.regionName(r.Context(), code, langOf(r))}
			index[code] = t
			out = append(out, t)
		}
		t.Total += v.Total
		t.Confirmed += v.Confirmed
		t.Villages = append(t.Villages, v)
	}
	return out
}

func (h *Handler) releasePage(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "Record")
	if err != nil {
		return err
	}
	dash, err := h.cfg.Dispatch.Dashboard(r.Context(), id)
	if err != nil {
		return err
	}
	prog := dash.Progress
	rel, st, warning := prog.Release, prog.Stats, prog.Warning
	u := backstop.UserFromContext(r.Context())
	f, show, err := taskFilter(r, id)
	if err != nil {
		return err
	}
	pg := pageOf(r, 50)
	var tasks []*backstop.FieldTask
	if u.Can(backstop.PermReadRegistry) {
		err := pg.load(func(limit, offset int) (int, error) {
			f.Limit, f.Offset = limit, offset
			var total int
			var err error
			tasks, total, err = h.cfg.Dispatch.Tasks(r.Context(), f)
			return total, err
		})
		if err != nil {
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
		// A township's or village's user sees its villages, not the whole
		// warning area around a speck.
		if u.Region != backstop.NationalScope && len(backstop.CodePrefix(u.Region)) >= 9 {
			var near []mapFeature
			for _, f := range mapData["features"].([]mapFeature) {
				if k := f.Properties["kind"]; k == "village" || k == "township" {
					near = append(near, f)
				}
			}
			if len(near) > 0 {
				mapData["features"], mapData["areas"] = near, []string{}
			}
		}
	}
	deadline, provisional := rel.Deadline, false
	if c := h.clockOf(r, backstop.ClockReleaseConfirm, fmt.Sprintf("release:%d", id)); c != nil {
		deadline, provisional = c.Due, c.Provisional
	}
	crumbs := []crumb{{Label: h.cats[langOf(r)].translate("menu.releases"), Href: "/releases"}, {Label: h.cats[langOf(r)].translate("release.title") + " " + fmt.Sprint(id)}}
	h.render(w, r, http.StatusOK, "release.html", &page{Title: h.cats[langOf(r)].translate("release.title"), Menu: "releases", Crumbs: crumbs, ComputedAt: st.ComputedAt,
		Data: map[string]any{"P": prog, "Release": rel, "Stats": st, "Rows": messageRows(st.Messages), "Warning": row, "Tasks": tasks, "Pager": pg, "Map": mapData,
			"Statuses": []string{backstop.MessagePending, backstop.MessageSent, backstop.MessageDelivered, backstop.MessageFailed, backstop.MessageSimulated},
			"Show":     show, "Shows": taskShows, "Village": f.Village, "Townships": h.townships(r, st.Villages), "Deadline": deadline, "Provisional": provisional,
			"Refresh": prog.Phase != dispatch.PhaseDone, "Export": exportQuery(r.URL.Query()), "Failures": dash.Failures, "FailuresTotal": dash.FailuresTotal,
			"Scoped": u.Region != backstop.NationalScope, "VillageNames": h.villageNames(r, dash.Failures),
			// Persons: the confirmation list names people; a role that may
			// not read the registry (departments) sees the figures only.
			"Persons": u.Can(backstop.PermReadRegistry)}})
	return nil
}

// exportTasks writes the dashboard's task list, as filtered, to a sheet:
// every person with the state, the helper's note and whether the SMS
// failed; phones masked.
func (h *Handler) exportTasks(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "Record")
	if err != nil {
		return err
	}
	f, show, err := taskFilter(r, id)
	if err != nil {
		return err
	}
	cat := h.cats[langOf(r)]
	var rows [][]string
	const chunk = 1000
	for f.Offset = 0; ; f.Offset += chunk {
		f.Limit = chunk
		ts, total, err := h.cfg.Dispatch.Tasks(r.Context(), f)
		if err != nil {
			return err
		}
		for _, t := range ts {
			state := cat.translate("tasks.unconfirmed")
			if t.Outcome != "" {
				state = cat.translate("outcome." + t.Outcome)
			} else if t.Overdue(time.Now()) {
				state = cat.translate("tasks.overdue")
			}
			var groups []string
			for _, g := range t.Groups {
				groups = append(groups, cat.translate("group."+g))
			}
			sms := ""
			if t.CallRequested {
				sms = cat.translate("tasks.call")
			}
			esc := ""
			if t.Escalation > 0 {
				esc = cat.translate(fmt.Sprintf("tasks.escalation.%d", t.Escalation))
			}
			rows = append(rows, []string{t.Village, t.NaturalVillage, t.HouseholdNumber, t.HeadName, t.PersonName, strings.Join(groups, "、"), t.Phone,
				t.Assignee, t.AssigneePhone, state, t.Note, sms, esc})
		}
		if f.Offset+chunk >= total || len(ts) == 0 {
			break
		}
	}
	head := []string{cat.translate("level.village"), cat.translate("col.natural_village"), cat.translate("col.household.number"), cat.translate("col.head"),
		cat.translate("tasks.person"), cat.translate("col.groups"), cat.translate("col.phone"), cat.translate("tasks.assignee"), cat.translate("tasks.assignee.phone"),
		cat.translate("tasks.state"), cat.translate("tasks.note"), cat.translate("tasks.sms"), cat.translate("tasks.escalated")}
	name := fmt.Sprintf("release-%d-%s.csv", id, show)
	httpx.SetDownload(w, "csv", name)
	return writeCSV(w, head, rows)
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
		return backstop.Localized(backstop.EINVALID, "表单无法读取，请重新填写后提交", "Bad form.")
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
	if err := collapseRegion(r, "region"); err != nil {
		return err
	}
	kind := r.URL.Query().Get("kind")
	if kind != "" && !slices.Contains(backstop.ContactKinds, kind) {
		return backstop.Localized(backstop.EINVALID, "联系人类型“%s”无法识别，请从列表中选择", "Unknown contact kind %q: choose one from the list.", kind)
	}
	region, err := pickedRegion([]string{r.URL.Query().Get("region")})
	if err != nil {
		return err
	}
	all, err := h.cfg.Dispatch.Contacts(r.Context(), kind)
	if err != nil {
		return err
	}
	var cs []*backstop.Contact
	for _, c := range all {
		if region == "" || backstop.CodeWithin(padCode(c.Region), region) {
			cs = append(cs, c)
		}
	}
	cat := h.cats[langOf(r)]
	if format, err := exportFormat(r); err != nil {
		return err
	} else if format != "" && status == http.StatusOK {
		names := map[string]string{}
		ex := &listExport{name: "contacts", perm: backstop.PermReadWarnings,
			head: []string{cat.translate("contacts.kind"), cat.translate("contacts.name"), cat.translate("col.region"), cat.translate("col.phone"), cat.translate("contacts.email"),
				cat.translate("contacts.address"), cat.translate("contacts.hazards")},
			rows: func(limit, offset int) ([][]string, int, error) {
				part := cs[min(offset, len(cs)):min(offset+limit, len(cs))]
				rows := make([][]string, len(part))
				for i, c := range part {
					if _, ok := names[c.Region]; !ok {
						names[c.Region] = h.regionName(r.Context(), padCode(c.Region), langOf(r))
					}
					name := c.Name
					if c.Department != "" {
						name += " · " + c.Department
					}
					addr := ""
					switch {
					case c.Address == "":
					case c.Kind == backstop.ContactBroadcast:
						addr = cat.translate("contacts.address.terminal")
					default:
						addr = robotAddressText(cat, c.Address)
					}
					var hz []string
					for _, x := range c.Hazards {
						hz = append(hz, hazardName(r, x))
					}
					rows[i] = []string{cat.translate("contact." + c.Kind), name, names[c.Region], c.Phone, c.Email, addr, strings.Join(hz, "、")}
				}
				return rows, len(cs), nil
			}}
		return ex.write(h, w, r, format)
	}
	pg := pageOf(r, 50)
	cs = pageSlice(pg, cs)
	names := map[string]string{}
	for _, c := range cs {
		if _, ok := names[c.Region]; !ok {
			names[c.Region] = h.regionName(r.Context(), padCode(c.Region), langOf(r))
		}
	}
	pick, err := h.regionPicker(r, "region", region)
	if err != nil {
		return err
	}
	formPick, err := h.regionPicker(r, "region", "")
	if err != nil {
		return err
	}
	h.render(w, r, status, "contacts.html", &page{Title: h.cats[langOf(r)].translate("menu.contacts"), Menu: "contacts", Error: errMsg,
		Data: map[string]any{"Contacts": cs, "Pager": pg, "Kinds": backstop.ContactKinds, "RegionNames": names, "Pick": pick, "FormPick": formPick,
			"Kind": kind, "CanEdit": u.Can(backstop.PermManageReach), "Hazards": backstop.Hazards, "HazardNames": hazardNames(r), "Exports": exportLinks(cat, r)}})
	return nil
}

func (h *Handler) createContact(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		return backstop.Localized(backstop.EINVALID, "表单无法读取，请重新填写后提交", "Bad form.")
	}
	region, err := pickedRegion(r.PostForm["region"])
	if err != nil {
		return h.renderContacts(w, r, httpx.ErrorStatus(err), h.localError(r, err))
	}
	c := &backstop.Contact{Kind: r.PostFormValue("kind"), Name: strings.TrimSpace(r.PostFormValue("name")), Department: strings.TrimSpace(r.PostFormValue("department")),
		Region: region, Phone: strings.TrimSpace(r.PostFormValue("phone")), Email: strings.TrimSpace(r.PostFormValue("email")),
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
		return backstop.Localized(backstop.EINVALID, "表单无法读取，请重新填写后提交", "Bad form.")
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

// writeCSV writes a sheet as CSV with a byte-order mark, so that Excel on
// a Chinese Windows reads it as UTF-8.
func writeCSV(w io.Writer, head []string, rows [][]string) error {
	if _, err := io.WriteString(w, "\ufeff"); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	cw.Write(head)
	for _, r := range rows {
		for i, c := range r {
			// A cell that a spreadsheet would run as a formula is quoted.
			if c != "" && strings.ContainsRune("=+-@", rune(c[0])) {
				r[i] = "'" + c
			}
		}
		cw.Write(r)
	}
	cw.Flush()
	return cw.Error()
}

// villageNames names the villages of failed messages.
func (h *Handler) villageNames(r *http.Request, fs []*backstop.FailedMessage) map[string]string {
	names := map[string]string{}
	for _, f := range fs {
		if _, ok := names[f.Village]; !ok && f.Village != "" {
			names[f.Village] = h.regionName(r.Context(), f.Village, langOf(r))
		}
	}
	return names
}
