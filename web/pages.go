package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/geo"
	"github.com/zhangye-backstop/backstop/httpx"
	"github.com/zhangye-backstop/backstop/overview"
	"github.com/zhangye-backstop/backstop/registry"
	"github.com/zhangye-backstop/backstop/roster"
	"github.com/zhangye-backstop/backstop/sheet"
)

func (h *Handler) routes() {
	h.mux.HandleFunc("GET /static/", h.serveStatic)
	h.mux.HandleFunc("GET /login", h.loginPage)
	h.mux.HandleFunc("POST /login", h.login)
	h.mux.HandleFunc("POST /logout", h.logout)
	h.mux.HandleFunc("GET /lang/{lang}", h.setLang)
	h.mux.HandleFunc("/", h.notFound)
	h.handle("GET /{$}", h.home)
	h.handle("GET /households", h.households)
	h.handle("GET /households/{number}", h.household)
	h.handle("POST /households/{number}/reveal", h.revealHousehold)
	h.handle("GET /export/households", h.exportHouseholds)
	h.handle("GET /import", h.importPage)
	h.handle("GET /import/template.xlsx", h.importTemplate)
	h.handle("POST /import", h.startImport)
	h.handle("GET /import/jobs/{key}", h.importJobPage)
	h.handle("GET /imports/{id}", h.importResultPage)
	h.handle("GET /imports/{id}/problems", h.importProblems)
	h.userRoutes()
	h.handle("GET /audit", h.auditPage)
	h.handle("GET /regions/options", h.regionChildren)
	h.warningRoutes()
	h.quarantineRoutes()
	h.calendarRoutes()
	h.releaseRoutes()
	h.screeningRoutes()
	h.caseRoutes()
	h.funnelRoutes()
	h.assistRoutes()
	h.prepareRoutes()
	h.loanPages()
}

func (h *Handler) loginPage(w http.ResponseWriter, r *http.Request) {
	var notice string
	if r.URL.Query().Get("changed") == "1" {
		notice = h.cats[langOf(r)].translate("login.password.changed")
	}
	h.render(w, r, http.StatusOK, "login.html", &page{Title: h.cats[langOf(r)].translate("login.title"), Notice: notice, Data: map[string]string{"Next": safeNext(r.URL.Query().Get("next"))}})
}

// safeNext keeps redirects after login (and the language switch) on this
// site: only a path of this origin is taken. Browsers drop tabs and line
// breaks from URLs and read a backslash as a slash, so "/\t/evil.example"
// or "/\\evil.example" would leave the site; anything with a control
// character or a backslash, or that does not parse as a bare path, goes
// home.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || len(next) > 2000 {
		return "/"
	}
	for _, c := range next {
		if c < 0x20 || c == 0x7f || c == '\\' || c == '\u00a0' || c == '\u3000' {
			return "/"
		}
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" || !strings.HasPrefix(u.Path, "/") || strings.HasPrefix(u.Path, "//") {
		return "/"
	}
	return next
}

func (h *Handler) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		h.fail(w, r, backstop.Localized(backstop.EINVALID, "表单无法读取，请重新填写后提交", "Bad form."))
		return
	}
	next := safeNext(r.PostFormValue("next"))
	_, err := h.cfg.Auth.Login(w, r, r.PostFormValue("name"), r.PostFormValue("password"))
	if err != nil {
		msg := h.errorText(r, err)
		if backstop.ErrorCode(err) == backstop.EUNAUTHORIZED {
			msg = h.cats[langOf(r)].translate("login.failed")
		}
		h.render(w, r, httpx.ErrorStatus(err), "login.html", &page{Title: h.cats[langOf(r)].translate("login.title"), Error: msg,
			Data: map[string]string{"Next": next, "Name": r.PostFormValue("name")}})
		return
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (h *Handler) logout(w http.ResponseWriter, r *http.Request) {
	h.cfg.Auth.Logout(w, r)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

func (h *Handler) setLang(w http.ResponseWriter, r *http.Request) {
	lang := r.PathValue("lang")
	if lang != LangEN {
		lang = LangZH
	}
	http.SetCookie(w, &http.Cookie{Name: "lang", Value: lang, Path: "/", MaxAge: 365 * 24 * 3600, SameSite: http.SameSiteLaxMode})
	back := safeNext(r.URL.Query().Get("back"))
	http.Redirect(w, r, back, http.StatusSeeOther)
}

// regionRow is one line of the region tree.
type regionRow struct {
	Region *backstop.Region
	Counts *backstop.RegionCounts
}

func (h *Handler) home(w http.ResponseWriter, r *http.Request) error {
	u := backstop.UserFromContext(r.Context())
	if !u.Can(backstop.PermReadRegistry) {
		// The dashboard counts households; departments start at their
		// warnings.
		http.Redirect(w, r, "/warnings", http.StatusSeeOther)
		return nil
	}
	code := r.URL.Query().Get("region")
	if code == "" {
		// Start where there is a choice: below a scope with one child only
		// (a national admin of one city's system) there is nothing to pick.
		code = u.Region
		for depth := 0; depth < 4; depth++ {
			f := backstop.RegionFilter{Parent: code, Limit: 2}
			if code == backstop.NationalScope {
				f = backstop.RegionFilter{Level: backstop.LevelProvince, Limit: 2}
			}
			kids, _, err := h.cfg.Registry.Regions(r.Context(), f)
			if err != nil || len(kids) != 1 {
				break
			}
			code = kids[0].Code
		}
	}
	if code != backstop.NationalScope {
		var err error
		if code, err = backstop.NormalizeRegionCode(code); err != nil {
			return err
		}
		if u.Region != backstop.NationalScope && !backstop.CodeWithin(code, u.Region) {
			code = u.Region
		}
	}
	lang := langOf(r)
	counts, err := h.cfg.Registry.RegionCounts(r.Context(), code)
	if err != nil {
		return err
	}
	var children []*backstop.Region
	if code == backstop.NationalScope {
		children, _, err = h.cfg.Registry.Regions(r.Context(), backstop.RegionFilter{Level: backstop.LevelProvince})
	} else {
		children, _, err = h.cfg.Registry.Regions(r.Context(), backstop.RegionFilter{Parent: code})
	}
	if err != nil {
		return err
	}
	rows := make([]regionRow, 0, len(children))
	for _, c := range children {
		rows = append(rows, regionRow{Region: c, Counts: counts[c.Code]})
	}
	var current *backstop.Region
	var crumbs []crumb
	if code != backstop.NationalScope {
		if current, err = h.cfg.Registry.Region(r.Context(), code, false); err != nil {
			return err
		}
		// Breadcrumb from the user's scope down to here.
		for c := current; c != nil; {
			crumbs = append([]crumb{{Label: c.Name, Href: "/?region=" + c.Code}}, crumbs...)
			if c.Code == u.Region || c.ParentCode == "" || (u.Region != backstop.NationalScope && !backstop.CodeWithin(c.ParentCode, u.Region)) {
				break
			}
			c, _ = h.cfg.Registry.Region(r.Context(), c.ParentCode, false)
		}
	}
	sum, err := h.cfg.Overview.Home(r.Context())
	if err != nil {
		return err
	}
	data := map[string]any{"Code": code, "Current": current, "Rows": rows, "Total": counts[code], "Sum": sum,
		"CanRelease": u.Can(backstop.PermRelease), "Active": h.activeRows(r, sum)}
	if len(rows) > 0 {
		prefix := backstop.CodePrefix(rows[0].Region.Code)
		exposed := sum.ExposedBy(len(prefix))
		data["Map"] = h.regionMap(r, rows, exposed)
		data["Chart"] = groupChart(h.cats[lang], rows)
	}
	if current != nil && current.Level == backstop.LevelVillage || len(rows) == 0 {
		// A village has no sub-regions to list: its households instead.
		hs, total, err := h.cfg.Registry.FindHouseholds(r.Context(), backstop.HouseholdFilter{Region: code, Limit: 20})
		if err != nil {
			return err
		}
		data["Households"], data["HouseholdsTotal"] = hs, total
	}
	h.render(w, r, http.StatusOK, "home.html", &page{Title: h.cats[lang].translate("menu.home"), Menu: "home", Crumbs: crumbs, Data: data, ComputedAt: sum.ComputedAt})
	return nil
}

// activeRow is an active warning on the home page.
type activeRow struct {
	*overview.ActiveWarning
	Level  levelView
	Hazard string
}

func (h *Handler) activeRows(r *http.Request, sum *overview.Home) []activeRow {
	out := make([]activeRow, len(sum.Active))
	for i, a := range sum.Active {
		out[i] = activeRow{ActiveWarning: a, Level: levelOf(a.Warning.Level), Hazard: hazardName(r, a.Warning.Hazard)}
	}
	return out
}

// maxMapRegions bounds the sub-regions drawn on the home map.
const maxMapRegions = 80

// regionMap is the home map: the sub-regions' boundaries, shaded by the
// households the active warnings expose there.
func (h *Handler) regionMap(r *http.Request, rows []regionRow, exposed map[string]int) map[string]any {
	var features []mapFeature
	var values []map[string]any
	for i, row := range rows {
		if i >= maxMapRegions {
			break
		}
		reg, err := h.cfg.Registry.Region(r.Context(), row.Region.Code, true)
		if err != nil || reg.Boundary == nil {
			continue
		}
		features = append(features, mapFeature{Type: "Feature", Properties: map[string]any{"name": reg.Code, "label": reg.Name, "level": reg.Level.String()}, Geometry: geo.MarshalGeometry(reg.Boundary)})
		values = append(values, map[string]any{"name": reg.Code, "label": reg.Name, "value": exposed[reg.Code], "village": reg.Level == backstop.LevelVillage})
	}
	if len(features) == 0 {
		return nil
	}
	return map[string]any{"features": features, "values": values, "unit": h.cats[langOf(r)].translate("unit.household_times")}
}

// groupChart is the key groups by sub-region, for a stacked bar chart.
func groupChart(cat catalog, rows []regionRow) map[string]any {
	var names []string
	series := []map[string]any{}
	for _, g := range backstop.Groups {
		series = append(series, map[string]any{"name": cat.translate("group." + g.String()), "data": []int{}})
	}
	for _, row := range rows {
		names = append(names, row.Region.Name)
		for i, g := range backstop.Groups {
			n := 0
			if row.Counts != nil {
				n = row.Counts.Groups[g]
			}
			series[i]["data"] = append(series[i]["data"].([]int), n)
		}
	}
	return map[string]any{"regions": names, "series": series, "unit": cat.translate("unit.households")}
}

func (h *Handler) households(w http.ResponseWriter, r *http.Request) error {
	if err := collapseRegion(r, "region"); err != nil {
		return err
	}
	f, err := httpx.HouseholdFilter(r)
	if err != nil {
		return err
	}
	pg := pageOf(r, 20)
	var items []*backstop.Household
	err = pg.load(func(limit, offset int) (int, error) {
		f.Limit, f.Offset = limit, offset
		var total int
		var err error
		items, total, err = h.cfg.Registry.FindHouseholds(r.Context(), f)
		return total, err
	})
	if err != nil {
		return err
	}
	var regionName string
	if f.Region != "" {
		regionName = h.regionName(r.Context(), f.Region, langOf(r))
	}
	type check struct {
		Key     string
		Checked bool
	}
	var checks []check
	for _, g := range backstop.Groups {
		checks = append(checks, check{Key: g.String(), Checked: f.Groups&g != 0})
	}
	pick, err := h.regionPicker(r, "region", f.Region)
	if err != nil {
		return err
	}
	u := backstop.UserFromContext(r.Context())
	data := map[string]any{"Items": items, "Pager": pg, "Filter": f, "RegionName": regionName, "GroupChecks": checks, "Pick": pick,
		"CanExport": u.Can(backstop.PermExport), "Export": exportQuery(r.URL.Query())}
	h.render(w, r, http.StatusOK, "households.html", &page{Title: h.cats[langOf(r)].translate("menu.households"), Menu: "households", Data: data})
	return nil
}

// exportQuery is a list's filter without its paging, for the export
// links beside it.
func exportQuery(q url.Values) string {
	c := url.Values{}
	for k, v := range q {
		if k != "page" && k != "size" && k != "format" {
			c[k] = v
		}
	}
	return c.Encode()
}

func (h *Handler) household(w http.ResponseWriter, r *http.Request) error {
	number := r.PathValue("number")
	// A reveal shown again on refresh, from the stash: the reveal was
	// audited once, when it was asked for.
	if key := r.URL.Query().Get("shown"); key != "" {
		u := backstop.UserFromContext(r.Context())
		if hh, ok := h.reveals.get(key, u.Name, number); ok {
			return h.showHousehold(w, r, hh, true)
		}
		return h.showHousehold(w, r, nil, false, h.cats[langOf(r)].translate("reveal.expired"))
	}
	hh, err := h.cfg.Registry.FindHousehold(r.Context(), number)
	if err != nil {
		return err
	}
	return h.showHousehold(w, r, hh, false)
}

// revealHousehold reveals a household (audited) and sends the browser to
// the household's page with the revealed copy kept for a few minutes, so
// that a refresh neither posts again nor writes a second audit row.
func (h *Handler) revealHousehold(w http.ResponseWriter, r *http.Request) error {
	hh, err := h.cfg.Registry.RevealHousehold(r.Context(), r.PathValue("number"))
	if err != nil {
		return err
	}
	u := backstop.UserFromContext(r.Context())
	key := h.reveals.put(u.Name, hh)
	http.Redirect(w, r, "/households/"+url.PathEscape(hh.Number)+"?shown="+key, http.StatusSeeOther)
	return nil
}

// householdSectionSize is the page size of the household page's
// warnings and history.
const householdSectionSize = 50

// householdTaskRow is one person's confirmation of one warning, as the
// household's history shows it.
type householdTaskRow struct {
	*backstop.HouseholdTask
	Level   levelView
	Hazard  string
	Overdue bool
}

func householdTaskRows(r *http.Request, ts []*backstop.HouseholdTask, now time.Time) []householdTaskRow {
	out := make([]householdTaskRow, 0, len(ts))
	for _, t := range ts {
		out = append(out, householdTaskRow{HouseholdTask: t, Level: levelOf(t.Level), Hazard: hazardName(r, backstop.Hazard(t.Hazard)), Overdue: t.Overdue(now)})
	}
	return out
}

// memberRow is a member as the household page shows it.
type memberRow struct {
	*backstop.Member
	Gender string
	Age    int
	// Birth is the birth date revealed, its year otherwise: with the
	// masked ID number, a full date would give its hidden digits back.
	Birth string
}

func memberRows(cat catalog, ms []*backstop.Member, revealed bool, now time.Time) []memberRow {
	out := make([]memberRow, len(ms))
	for i, m := range ms {
		row := memberRow{Member: m, Age: ageOf(m.BirthDate, now), Birth: m.BirthDate}
		if !revealed && len(row.Birth) >= 4 {
			row.Birth = cat.translate("birth.year", row.Birth[:4])
		}
		if id := m.IDNumber; len(id) == 18 {
			if d := id[16]; d >= '0' && d <= '9' {
				row.Gender = cat.translate("gender.female")
				if (d-'0')%2 == 1 {
					row.Gender = cat.translate("gender.male")
				}
			}
		}
		out[i] = row
	}
	return out
}

// ageOf is the age in whole years on now's day from a birth date
// (YYYY-MM-DD) or a birth year (YYYY, as a masked member has it); -1
// when unknown.
func ageOf(birth string, now time.Time) int {
	now = now.In(backstop.Beijing)
	y, m, d := now.Date()
	if t, ok := backstop.ParseISODate(birth); ok {
		age := y - t.Year()
		if m < t.Month() || m == t.Month() && d < t.Day() {
			age--
		}
		if age >= 0 {
			return age
		}
		return -1
	}
	if len(birth) == 4 {
		if by, err := strconv.Atoi(birth); err == nil && by > 1880 && by <= y {
			return y - by
		}
	}
	return -1
}

func (h *Handler) showHousehold(w http.ResponseWriter, r *http.Request, hh *backstop.Household, revealed bool, notice ...string) error {
	if hh == nil {
		var err error
		if hh, err = h.cfg.Registry.FindHousehold(r.Context(), r.PathValue("number")); err != nil {
			return err
		}
	}
	// The history and the warnings are paged, each on its own: nothing
	// older is cut off silently.
	historyPage := sectionPageOf(r, "history_page", householdSectionSize)
	var history []*backstop.HistoryEntry
	if err := historyPage.load(func(limit, offset int) (int, error) {
		var total int
		var err error
		history, total, err = h.cfg.Registry.History(r.Context(), hh.Number, limit, offset)
		return total, err
	}); err != nil {
		return err
	}
	taskPage := sectionPageOf(r, "tasks_page", householdSectionSize)
	var tasks []*backstop.HouseholdTask
	if err := taskPage.load(func(limit, offset int) (int, error) {
		var total int
		var err error
		tasks, total, err = h.cfg.Registry.Tasks(r.Context(), hh, limit, offset)
		return total, err
	}); err != nil {
		return err
	}
	// The map: the smallest enclosing region with a boundary, and the
	// household's position.
	var mapData map[string]any
	for code := hh.VillageCode; code != ""; {
		reg, err := h.cfg.Registry.Region(r.Context(), code, true)
		if err != nil {
			break
		}
		if reg.Boundary != nil {
			mapData = map[string]any{"name": reg.Name, "boundary": jsonRaw(geo.MarshalGeometry(reg.Boundary))}
			if hh.Location != nil {
				mapData["point"] = []float64{hh.Location.Lon, hh.Location.Lat}
			}
			break
		}
		code = reg.ParentCode
	}
	u := backstop.UserFromContext(r.Context())
	cat := h.cats[langOf(r)]
	data := map[string]any{"H": hh, "Members": memberRows(cat, hh.Members, revealed, time.Now()), "History": history, "HistoryPager": historyPage, "Tasks": householdTaskRows(r, tasks, time.Now()), "TaskPager": taskPage, "Map": mapData, "Revealed": revealed, "CanReveal": u.Can(backstop.PermRevealPII)}
	crumbs := []crumb{{Label: cat.translate("menu.households"), Href: "/households"}, {Label: hh.HeadName}}
	p := &page{Title: hh.HeadName + " " + hh.Number, Menu: "households", Crumbs: crumbs, Data: data}
	if len(notice) > 0 {
		p.Notice = notice[0]
	}
	h.render(w, r, http.StatusOK, "household.html", p)
	return nil
}

type jsonRaw []byte

func (j jsonRaw) MarshalJSON() ([]byte, error) { return j, nil }

// importJob is a roster import started from the UI.
type importJob struct {
	Key        string
	User       string
	FileName   string
	Started    time.Time
	Rows       int
	BytesRead  int64
	BytesTotal int64
	Done       bool
	Result     *backstop.ImportResult
	Err        string
	ErrZH      string
}

func (j *importJobs) put(job *importJob) {
	j.mu.Lock()
	defer j.mu.Unlock()
	// Forget jobs finished more than a day ago.
	for k, old := range j.jobs {
		if old.Done && time.Since(old.Started) > 24*time.Hour {
			delete(j.jobs, k)
		}
	}
	j.jobs[job.Key] = job
}

func (j *importJobs) get(key, user string) (importJob, bool) {
	j.mu.Lock()
	defer j.mu.Unlock()
	job, ok := j.jobs[key]
	if !ok || job.User != user {
		return importJob{}, false
	}
	return *job, true
}

func (j *importJobs) update(key string, fn func(*importJob)) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if job, ok := j.jobs[key]; ok {
		fn(job)
	}
}

func (h *Handler) importPage(w http.ResponseWriter, r *http.Request) error {
	recent, err := h.cfg.Registry.FindImports(r.Context(), 20)
	if err != nil {
		return err
	}
	h.render(w, r, http.StatusOK, "import.html", &page{Title: h.cats[langOf(r)].translate("menu.import"), Menu: "import",
		Data: map[string]any{"Recent": recent, "MaxMB": h.cfg.MaxUploadBytes >> 20}})
	return nil
}

// importTemplate is an empty roster with the columns of the national
// monitoring system's export, for an office to fill in.
func (h *Handler) importTemplate(w http.ResponseWriter, r *http.Request) error {
	if err := h.cfg.Registry.AuthorizeImport(r.Context()); err != nil {
		return err
	}
	httpx.SetDownload(w, "xlsx", "户籍人口名单模板.xlsx")
	out, err := sheet.NewXLSX(w, "名单")
	if err != nil {
		return err
	}
	head := roster.Header()
	row := make([]any, len(head))
	for i, c := range head {
		row[i] = c
	}
	if err := out.Write(row); err != nil {
		return err
	}
	return out.Close()
}

// problemGroup counts an import's problems of one kind: a column and its
// reason, with the first rows it was found in.
type problemGroup struct {
	Column, Reason string
	Count          int
	Rows           []int
}

// maxGroupRows is how many rows a group names; the error sheet has all.
const maxGroupRows = 10

func groupProblems(lang string, ps []backstop.Problem) []problemGroup {
	var out []problemGroup
	index := map[[2]string]int{}
	for _, p := range ps {
		reason := p.ReasonZH
		if lang == LangEN || reason == "" {
			reason = p.Reason
		}
		// The reason without the cell's value: "证件号码620723…校验位错误" and
		// the same for another row are one kind.
		k := [2]string{p.Column, problemKind(reason)}
		i, ok := index[k]
		if !ok {
			i = len(out)
			index[k] = i
			out = append(out, problemGroup{Column: p.Column, Reason: reason})
		}
		out[i].Count++
		if p.Row > 0 && len(out[i].Rows) < maxGroupRows {
			out[i].Rows = append(out[i].Rows, p.Row)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Count > out[j].Count })
	return out
}

// problemKind strips the values a reason quotes (digits, masked digits,
// quoted text) so that reasons of one kind compare equal.
func problemKind(reason string) string {
	var b strings.Builder
	quoted := false
	for _, c := range reason {
		switch {
		case c == '“' || c == '"':
			quoted = !quoted
			if quoted {
				b.WriteRune('…')
			}
		case c == '”':
			quoted = false
		case quoted:
		case c >= '0' && c <= '9', c == '*', c == 'X':
		default:
			b.WriteRune(c)
		}
	}
	return b.String()
}

// startImport saves the upload and runs the import in the background, so
// that a large file shows progress and the page can be left and come back
// to.
func (h *Handler) startImport(w http.ResponseWriter, r *http.Request) error {
	u := backstop.UserFromContext(r.Context())
	if err := h.cfg.Registry.AuthorizeImport(r.Context()); err != nil {
		return err
	}
	path, name, fields, err := httpx.SaveUpload(w, r, h.cfg.TempDir, h.cfg.MaxUploadBytes)
	if err != nil {
		return err
	}
	b := make([]byte, 12)
	rand.Read(b)
	job := &importJob{Key: hex.EncodeToString(b), User: u.Name, FileName: name, Started: time.Now()}
	h.imports.put(job)
	opts := backstop.ImportOptions{FileName: name, DryRun: fields["dry_run"] == "1", SkipInvalid: fields["skip_invalid"] == "1"}
	opts.Progress = func(rows int, read, total int64) {
		h.imports.update(job.Key, func(j *importJob) { j.Rows, j.BytesRead, j.BytesTotal = rows, read, total })
	}
	// The import outlives the request; it keeps the user for scope and audit.
	ctx := backstop.NewContextWithUser(context.WithoutCancel(r.Context()), u)
	go func() {
		defer os.Remove(path)
		res, err := h.cfg.Registry.Import(ctx, path, opts)
		h.imports.update(job.Key, func(j *importJob) {
			j.Done, j.Result = true, res
			if err != nil {
				j.Err, j.ErrZH = h.errorTextIn(LangEN, err), h.errorTextIn(LangZH, err)
			}
		})
	}()
	http.Redirect(w, r, "/import/jobs/"+job.Key, http.StatusSeeOther)
	return nil
}

func (h *Handler) importJobPage(w http.ResponseWriter, r *http.Request) error {
	u := backstop.UserFromContext(r.Context())
	job, ok := h.imports.get(r.PathValue("key"), u.Name)
	if !ok {
		return backstop.Localized(backstop.ENOTFOUND, "没有这个导入任务（服务重启后进度不再保留，请在导入记录中查看结果）", "No such import job (progress is not kept across restarts; see the list of imports).")
	}
	percent := 0
	if job.BytesTotal > 0 {
		percent = int(100 * job.BytesRead / job.BytesTotal)
	}
	data := map[string]any{"Job": job, "Percent": percent}
	if job.Result != nil {
		data["Groups"] = groupProblems(langOf(r), job.Result.Problems)
	}
	name := "import_job.html"
	if r.Header.Get("HX-Request") == "true" {
		name = "import_progress"
	}
	h.render(w, r, http.StatusOK, name, &page{Title: h.cats[langOf(r)].translate("menu.import"), Menu: "import", Data: data})
	return nil
}

func (h *Handler) importResultPage(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "Import")
	if err != nil {
		return err
	}
	res, err := h.cfg.Registry.FindImport(r.Context(), id)
	if err != nil {
		return err
	}
	job := importJob{Done: true, Result: res, FileName: res.FileName}
	h.render(w, r, http.StatusOK, "import_job.html", &page{Title: h.cats[langOf(r)].translate("menu.import"), Menu: "import",
		Data: map[string]any{"Job": job, "Percent": 100, "Groups": groupProblems(langOf(r), res.Problems)}})
	return nil
}

func (h *Handler) auditPage(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := backstop.AuditFilter{Actor: strings.TrimSpace(q.Get("actor")), Action: q.Get("action"), Entity: q.Get("entity"), Record: strings.TrimSpace(q.Get("record"))}
	lang := langOf(r)
	cat := h.cats[lang]
	if f.Action != "" {
		if _, known := cat["audit.action."+f.Action]; !known {
			return backstop.Localized(backstop.EINVALID, "操作类型“%s”无法识别，请从列表中选择", "Unknown action %q: choose one from the list.", f.Action)
		}
	}
	names := map[string]string{}
	regionName := func(code string) string {
		if n, ok := names[code]; ok {
			return n
		}
		n := h.regionName(r.Context(), code, lang)
		names[code] = n
		return n
	}
	if format, err := exportFormat(r); err != nil {
		return err
	} else if format != "" {
		ex := &listExport{name: "audit", perm: backstop.PermReadAudit,
			head: []string{cat.translate("col.time"), cat.translate("col.actor"), cat.translate("users.role"), cat.translate("audit.via"), cat.translate("audit.addr"),
				cat.translate("col.action"), cat.translate("audit.record"), cat.translate("col.detail")},
			rows: func(limit, offset int) ([][]string, int, error) {
				f.Limit, f.Offset = limit, offset
				items, total, err := h.cfg.Accounts.Audit(r.Context(), f)
				lines := h.auditLines(lang, items, regionName)
				rows := make([][]string, len(lines))
				for i, l := range lines {
					role := ""
					if l.Role != "" {
						role = cat.translateOr("role."+l.Role, cat.translate("role.unknown"))
					}
					rows[i] = []string{l.At.In(backstop.Beijing).Format("2006-01-02 15:04:05"), l.ActorText, role, l.ViaText, addrText(cat, l.Addr), l.ActionText, l.RecordText, l.DetailText}
				}
				return rows, total, err
			}}
		return ex.write(h, w, r, format)
	}
	pg := pageOf(r, 50)
	var items []*backstop.AuditEntry
	err := pg.load(func(limit, offset int) (int, error) {
		f.Limit, f.Offset = limit, offset
		var total int
		var err error
		items, total, err = h.cfg.Accounts.Audit(r.Context(), f)
		return total, err
	})
	if err != nil {
		return err
	}
	var actions []string
	for k := range h.cats[lang] {
		if a, ok := strings.CutPrefix(k, "audit.action."); ok && a != "other" {
			actions = append(actions, a)
		}
	}
	sort.Strings(actions)
	data := map[string]any{"Items": h.auditLines(lang, items, regionName), "Pager": pg, "Filter": f, "Actions": actions, "Exports": exportLinks(cat, r)}
	h.render(w, r, http.StatusOK, "audit.html", &page{Title: h.cats[lang].translate("menu.audit"), Menu: "audit", Data: data})
	return nil
}

func (h *Handler) exportHouseholds(w http.ResponseWriter, r *http.Request) error {
	f, err := httpx.HouseholdFilter(r)
	if err != nil {
		return err
	}
	format, err := httpx.SheetFormat(r)
	if err != nil {
		return err
	}
	name := "households-" + time.Now().In(backstop.Beijing).Format("20060102-1504") + "." + format
	_, err = h.cfg.Registry.Export(r.Context(), httpx.NewDownload(w, format, name), roster.ExportOptions{Format: format, Filter: f, Reveal: httpx.Truthy(r, "reveal")})
	return err
}

func (h *Handler) importProblems(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "Import")
	if err != nil {
		return err
	}
	format, err := httpx.SheetFormat(r)
	if err != nil {
		return err
	}
	return h.cfg.Registry.WriteProblemSheet(r.Context(), httpx.NewDownload(w, format, registry.ProblemSheetName(id, format)), id, format)
}
