package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/geo"
	"github.com/zhangye-backstop/backstop/httpx"
	"github.com/zhangye-backstop/backstop/registry"
	"github.com/zhangye-backstop/backstop/roster"
)

func (h *Handler) routes() {
	h.mux.HandleFunc("GET /static/", h.serveStatic)
	h.mux.HandleFunc("GET /login", h.loginPage)
	h.mux.HandleFunc("POST /login", h.login)
	h.mux.HandleFunc("POST /logout", h.logout)
	h.mux.HandleFunc("GET /lang/{lang}", h.setLang)
	h.handle("GET /{$}", h.home)
	h.handle("GET /households", h.households)
	h.handle("GET /households/{number}", h.household)
	h.handle("POST /households/{number}/reveal", h.revealHousehold)
	h.handle("GET /export/households", h.exportHouseholds)
	h.handle("GET /import", h.importPage)
	h.handle("POST /import", h.startImport)
	h.handle("GET /import/jobs/{key}", h.importJobPage)
	h.handle("GET /imports/{id}", h.importResultPage)
	h.handle("GET /imports/{id}/problems", h.importProblems)
	h.userRoutes()
	h.handle("GET /audit", h.auditPage)
	h.warningRoutes()
	h.releaseRoutes()
	h.screeningRoutes()
}

func (h *Handler) loginPage(w http.ResponseWriter, r *http.Request) {
	var notice string
	if r.URL.Query().Get("changed") == "1" {
		notice = h.cats[langOf(r)].translate("login.password.changed")
	}
	h.render(w, r, http.StatusOK, "login.html", &page{Title: h.cats[langOf(r)].translate("login.title"), Notice: notice, Data: map[string]string{"Next": safeNext(r.URL.Query().Get("next"))}})
}

// safeNext keeps redirects after login on this site.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/"
	}
	return next
}

func (h *Handler) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		h.fail(w, r, backstop.Errorf(backstop.EINVALID, "Bad form."))
		return
	}
	next := safeNext(r.PostFormValue("next"))
	_, err := h.cfg.Auth.Login(w, r, r.PostFormValue("name"), r.PostFormValue("password"))
	if err != nil {
		msg := backstop.ErrorMessageZH(err)
		if langOf(r) == LangEN {
			msg = backstop.ErrorMessage(err)
		}
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
	data := map[string]any{"Code": code, "Current": current, "Rows": rows, "Total": counts[code]}
	h.render(w, r, http.StatusOK, "home.html", &page{Title: h.cats[lang].translate("menu.home"), Menu: "home", Crumbs: crumbs, Data: data})
	return nil
}

func (h *Handler) households(w http.ResponseWriter, r *http.Request) error {
	f, err := httpx.HouseholdFilter(r)
	if err != nil {
		return err
	}
	const size = 20
	p, _ := strconv.Atoi(r.URL.Query().Get("page"))
	p = max(p, 1)
	f.Limit, f.Offset = size, (p-1)*size
	items, total, err := h.cfg.Registry.FindHouseholds(r.Context(), f)
	if err != nil {
		return err
	}
	pages := max((total+size-1)/size, 1)
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
	data := map[string]any{"Items": items, "Total": total, "Page": p, "Pages": pages, "Offset": f.Offset, "Filter": f,
		"RegionName": regionName, "GroupChecks": checks}
	h.render(w, r, http.StatusOK, "households.html", &page{Title: h.cats[langOf(r)].translate("menu.households"), Menu: "households", Data: data})
	return nil
}

func (h *Handler) household(w http.ResponseWriter, r *http.Request) error {
	hh, err := h.cfg.Registry.FindHousehold(r.Context(), r.PathValue("number"))
	if err != nil {
		return err
	}
	return h.showHousehold(w, r, hh, false)
}

func (h *Handler) revealHousehold(w http.ResponseWriter, r *http.Request) error {
	hh, err := h.cfg.Registry.RevealHousehold(r.Context(), r.PathValue("number"))
	if err != nil {
		return err
	}
	return h.showHousehold(w, r, hh, true)
}

func (h *Handler) showHousehold(w http.ResponseWriter, r *http.Request, hh *backstop.Household, revealed bool) error {
	history, err := h.cfg.Registry.History(r.Context(), hh.Number)
	if err != nil {
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
	data := map[string]any{"H": hh, "History": history, "Map": mapData, "Revealed": revealed, "CanReveal": u.Can(backstop.PermRevealPII)}
	crumbs := []crumb{{Label: h.cats[langOf(r)].translate("menu.households"), Href: "/households"}, {Label: hh.Number}}
	h.render(w, r, http.StatusOK, "household.html", &page{Title: hh.HeadName + " " + hh.Number, Menu: "households", Crumbs: crumbs, Data: data})
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
		Data: map[string]any{"Recent": recent, "MaxMiB": h.cfg.MaxUploadBytes >> 20}})
	return nil
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
				j.Err, j.ErrZH = backstop.ErrorMessage(err), backstop.ErrorMessageZH(err)
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
	h.render(w, r, http.StatusOK, "import_job.html", &page{Title: h.cats[langOf(r)].translate("menu.import"), Menu: "import", Data: map[string]any{"Job": job, "Percent": 100}})
	return nil
}

func (h *Handler) auditPage(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	const size = 50
	p, _ := strconv.Atoi(q.Get("page"))
	p = max(p, 1)
	f := backstop.AuditFilter{Actor: q.Get("actor"), Action: q.Get("action"), Entity: q.Get("entity"), Record: q.Get("record"), Limit: size, Offset: (p - 1) * size}
	items, total, err := h.cfg.Accounts.Audit(r.Context(), f)
	if err != nil {
		return err
	}
	data := map[string]any{"Items": items, "Total": total, "Page": p, "Pages": max((total+size-1)/size, 1), "Offset": f.Offset, "Filter": f}
	h.render(w, r, http.StatusOK, "audit.html", &page{Title: h.cats[langOf(r)].translate("menu.audit"), Menu: "audit", Data: data})
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
