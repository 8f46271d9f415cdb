// Package web serves backstop's Chinese web UI: server-rendered pages with
// html/template, embedded static assets under content-hashed URLs, a
// zh-CN catalog with English beside it.
package web

import (
	"bytes"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/accounts"
	"github.com/zhangye-backstop/backstop/alerting"
	"github.com/zhangye-backstop/backstop/assets"
	"github.com/zhangye-backstop/backstop/assist"
	"github.com/zhangye-backstop/backstop/cases"
	"github.com/zhangye-backstop/backstop/clock"
	"github.com/zhangye-backstop/backstop/dispatch"
	"github.com/zhangye-backstop/backstop/exposure"
	"github.com/zhangye-backstop/backstop/funnel"
	"github.com/zhangye-backstop/backstop/httpx"
	"github.com/zhangye-backstop/backstop/insurance"
	"github.com/zhangye-backstop/backstop/loans"
	"github.com/zhangye-backstop/backstop/officers"
	"github.com/zhangye-backstop/backstop/overview"
	"github.com/zhangye-backstop/backstop/plans"
	"github.com/zhangye-backstop/backstop/projects"
	"github.com/zhangye-backstop/backstop/publicity"
	"github.com/zhangye-backstop/backstop/registry"
	"github.com/zhangye-backstop/backstop/screening"
	"github.com/zhangye-backstop/backstop/sharing"
	"github.com/zhangye-backstop/backstop/workday"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Config holds what the UI needs: the use cases it offers and the HTTP
// settings.
type Config struct {
	Logger  *slog.Logger
	Auth    *httpx.Auth
	Metrics *httpx.Metrics
	TempDir string
	// MaxUploadBytes limits a roster upload.
	MaxUploadBytes int64
	Version        string

	Registry *registry.Service
	Accounts *accounts.Service
	Alerting *alerting.Service
	Exposure *exposure.Service
	Dispatch *dispatch.Service
	// Calendar is the working-day calendar (its missing years are a
	// reminder to admins); Clocks the deadlines, read for their
	// provisional due dates. Either may be nil in a UI without them.
	Calendar *workday.Service
	Clocks   *clock.Engine
	// Overview reads the home page's summary.
	Overview *overview.Service
	// Screening runs events, campaigns, loss reports and intake.
	Screening *screening.Service
	// Cases runs monitoring cases (监测帮扶).
	Cases *cases.Service
	// Funnel reads the loop's dashboard (帮扶闭环).
	Funnel *funnel.Service
	// The 预案与协同 group: plans, officers, departments' sharing, the
	// project library, assets, insurance, publicity.
	Plans     *plans.Service
	Officers  *officers.Service
	Sharing   *sharing.Service
	Projects  *projects.Service
	Assets    *assets.Service
	Insurance *insurance.Service
	Loans     *loans.Service
	Publicity *publicity.Service
	// Assist: housing subsidy, drinking water, relief of households.
	Assist *assist.Service
}

// Handler is the web UI.
type Handler struct {
	cfg     Config
	logger  *slog.Logger
	tmpl    map[string]*template.Template // by language
	cats    map[string]catalog
	assets  map[string]string // name → content hash
	mux     *http.ServeMux
	imports *importJobs
	reveals reveals
	// VendorMissing lists third-party assets not built into this binary.
	VendorMissing []string
}

// New builds the UI.
func New(cfg Config) (*Handler, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.MaxUploadBytes == 0 {
		cfg.MaxUploadBytes = 256 << 20
	}
	h := &Handler{cfg: cfg, logger: cfg.Logger, mux: http.NewServeMux(), assets: map[string]string{}, imports: newImportJobs()}
	cats, err := loadCatalogs()
	if err != nil {
		return nil, err
	}
	h.cats = cats
	err = fs.WalkDir(staticFS, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := staticFS.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		h.assets[strings.TrimPrefix(p, "static/")] = hex.EncodeToString(sum[:6])
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, v := range []string{"vendor/echarts.min.js", "vendor/htmx.min.js"} {
		if _, ok := h.assets[v]; !ok {
			h.VendorMissing = append(h.VendorMissing, v)
		}
	}
	h.tmpl = map[string]*template.Template{}
	for _, lang := range langs {
		cat := cats[lang]
		t, err := template.New("").Funcs(h.funcs(lang, cat)).ParseFS(templateFS, "templates/*.html")
		if err != nil {
			return nil, err
		}
		h.tmpl[lang] = t
	}
	h.routes()
	return h, nil
}

func (h *Handler) funcs(lang string, cat catalog) template.FuncMap {
	return template.FuncMap{
		"t":    cat.translate,
		"lang": func() string { return lang },
		// decisionSource says what a local monitoring decision rests on.
		"decisionSource": func(source string) string { return decisionSource(cat, source) },
		"asset":          h.assetURL,
		"num": func(n int) string {
			return groupThousands(strconv.Itoa(n))
		},
		// percent shows a share (0.125) as "12.5%".
		"percent": func(f float64) string {
			return strconv.FormatFloat(f*100, 'f', 1, 64) + "%"
		},
		"money": func(f *float64) string {
			if f == nil {
				return "—"
			}
			return groupThousands(strconv.FormatFloat(*f, 'f', 0, 64)) + " " + cat.translate("unit.yuan")
		},
		// amount is an amount as a form's field holds it: plain digits,
		// never 1e+07, empty for none.
		"amount": func(f *float64) string {
			if f == nil {
				return ""
			}
			return strconv.FormatFloat(*f, 'f', -1, 64)
		},
		"date": func(t time.Time) string {
			if t.IsZero() {
				return "—"
			}
			return t.In(backstop.Beijing).Format("2006-01-02")
		},
		// The owner departments a measure is queued for (their codes).
		"departments":  func() []string { return assistDepartments },
		"isDepartment": func(code string) bool { return slices.Contains(assistDepartments, code) },
		// late tells a running clock past its due time now.
		"late": func(c *backstop.Clock) bool { return c != nil && c.Overdue(time.Now()) },
		"datetime": func(t time.Time) string {
			if t.IsZero() {
				return "—"
			}
			return t.In(backstop.Beijing).Format("2006-01-02 15:04")
		},
		"yesno": func(b *bool) string {
			switch {
			case b == nil:
				return "—"
			case *b:
				return cat.translate("yes")
			}
			return cat.translate("no")
		},
		"dash": func(s string) string {
			if s == "" {
				return "—"
			}
			return s
		},
		"groupNames": func(g backstop.Group) []string {
			var out []string
			for _, one := range backstop.Groups {
				if g&one != 0 {
					out = append(out, cat.translate("group."+one.String()))
				}
			}
			return out
		},
		"groups":   func() []backstop.Group { return backstop.Groups },
		"groupKey": func(g backstop.Group) string { return g.String() },
		"groupCount": func(c *backstop.RegionCounts, g backstop.Group) int {
			if c == nil {
				return 0
			}
			return c.Groups[g]
		},
		"levelName": func(l backstop.RegionLevel) string { return cat.translate("level." + l.String()) },
		"hazardName": func(h backstop.HazardInfo) string {
			if lang == LangEN {
				return h.EN
			}
			return h.ZH
		},
		"datetimep": func(t *time.Time) string {
			if t == nil {
				return "—"
			}
			return t.In(backstop.Beijing).Format("2006-01-02 15:04")
		},
		"join":          strings.Join,
		"list":          func(v ...string) []string { return v },
		"groupCountMap": func(m map[string]int, g backstop.Group) int { return m[g.String()] },
		"roleName":      func(r any) string { return cat.translateOr("role."+fmt.Sprint(r), cat.translate("role.unknown")) },
		"add":           func(a, b int) int { return a + b },
		// pair hands a sub-template two values (.A, .B).
		"pair": func(a, b any) map[string]any { return map[string]any{"A": a, "B": b} },
		// visitBase is where a phone page's visits link: the helper's
		// link (/c/{token}), or "" for a signed-in page.
		"visitBase": func(action string) string {
			if action == "/tasks" {
				return ""
			}
			return strings.TrimSuffix(action, "/tasks")
		},
		"json": func(v any) template.JS {
			b, _ := json.Marshal(v)
			return template.JS(b)
		},
		"pager": func(total, page, pages int, q url.Values) map[string]any {
			return map[string]any{"Total": total, "Page": page, "Pages": pages, "Query": q}
		},
		"rfc3339":   func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
		"countdown": func(due, now time.Time) string { return countdownText(cat, due, now) },
		"seconds": func(f *float64) string {
			if f == nil {
				return "—"
			}
			return durationText(cat, time.Duration(*f*float64(time.Second)))
		},
		"phoneHousehold": func(g *householdTasks, d *phoneView) map[string]any { return map[string]any{"G": g, "D": d} },
		"userName":       func(name string) string { return actorText(cat, name) },
		"bar": func(reset string, parts ...any) map[string]any {
			type link struct{ Label, Href string }
			var ls []link
			// Label/href pairs, given one by one or as a []string (a
			// page's exportLinks).
			var exports []string
			for _, p := range parts {
				switch v := p.(type) {
				case string:
					exports = append(exports, v)
				case []string:
					exports = append(exports, v...)
				}
			}
			for i := 0; i+1 < len(exports); i += 2 {
				ls = append(ls, link{Label: exports[i], Href: exports[i+1]})
			}
			return map[string]any{"Reset": reset, "Exports": ls}
		},
		"prog": func(c, n int) map[string]int {
			p := 0
			if n > 0 {
				p = 100 * c / n
			}
			return map[string]int{"C": c, "N": n, "P": p}
		},
		"sampleText": func(s string) string {
			return strings.ReplaceAll(s, backstop.LinkPlaceholder, cat.translate("release.link.placeholder"))
		},
		// A robot's web address is a secret key: shown by its host only.
		"addressText": func(a string) string { return robotAddressText(cat, a) },
		"quarantineReason": func(q *backstop.QuarantinedAlert) string {
			if lang == LangEN {
				return q.Message
			}
			if q.MessageZH != "" {
				return q.MessageZH
			}
			return cat.translate("quarantine.reason.unexplained")
		},
		"bytesText": func(n int) string {
			switch {
			case n >= 1<<20:
				return cat.translate("bytes.mb", strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64))
			case n >= 1<<10:
				return cat.translate("bytes.kb", strconv.FormatFloat(float64(n)/(1<<10), 'f', 1, 64))
			}
			return cat.translate("bytes.b", n)
		},
		"historyAction": func(a string) string { return cat.translateOr("action."+a, cat.translate("action.other")) },
		"historyDetail": func(d string) string { return historyDetail(cat, lang, d) },
		"migrantText": func(m *int) string {
			switch {
			case m == nil:
				return "—"
			case *m == 0:
				return cat.translate("migrant.none")
			}
			return cat.translate("migrant.months", *m)
		},
		"joinRows": func(rows []int) string {
			parts := make([]string, len(rows))
			for i, r := range rows {
				parts[i] = strconv.Itoa(r)
			}
			return strings.Join(parts, "、")
		},
		"addrText":   func(a string) string { return addrText(cat, a) },
		"sourceText": func(s string) string { t, _ := sourceParts(s); return t },
		"sourceURL":  func(s string) string { _, u := sourceParts(s); return u },
		"targetHost": targetHost,
		"noteText":   func(p backstop.Problem) string { return problemIn(cat, lang, p) },
		"joinYears": func(ys []int) string {
			parts := make([]string, len(ys))
			for i, y := range ys {
				parts[i] = strconv.Itoa(y)
			}
			return strings.Join(parts, "、")
		},
		"clockText": func(c *backstop.Clock) string {
			kind := cat.translateOr("clock.kind."+c.Kind, cat.translate("clock.kind.other"))
			if id, ok := strings.CutPrefix(c.Subject, "release:"); ok {
				return kind + " · " + cat.translate("release.title") + " " + id
			}
			return kind
		},
		"div": func(a, b int) int {
			if b == 0 {
				return 0
			}
			return a / b
		},
		"pct": func(a, b int) int {
			if b <= 0 {
				return 0
			}
			return 100 * a / b
		},
		"query": func(base url.Values, key, value string) string {
			q := url.Values{}
			for k, v := range base {
				q[k] = append([]string(nil), v...)
			}
			q.Set(key, value)
			return "?" + q.Encode()
		},
	}
}

// groupThousands puts commas into a digit string, as Chinese offices
// write numbers (12,345).
func groupThousands(s string) string {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

func (h *Handler) assetURL(name string) string {
	return "/static/" + name + "?v=" + h.assets[name]
}

// ServeHTTP serves the UI.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Referrer-Policy", "same-origin")
	w.Header().Set("X-Frame-Options", "DENY")
	h.mux.ServeHTTP(w, r)
}

// page is what every template gets.
type page struct {
	Title       string
	Menu        string // the menu item to highlight
	User        *backstop.User
	RegionName  string
	Lang        string
	Path        string
	Crumbs      []crumb
	Error       string
	Notice      string
	Data        any
	Query       url.Values
	Version     string
	AssetsReady bool
	ComputedAt  time.Time
	// Nav tells which menu items the user's role may use: a page of a
	// menu the user cannot use is not offered.
	Nav map[string]bool
	// BackURL is the page's own path with its query, for the language
	// switch to come back to.
	BackURL string
}

// navItems are the menu entries and the permissions any one of which
// opens them.
var navItems = map[string][]backstop.Permission{
	"warnings":    {backstop.PermReadWarnings},
	"releases":    {backstop.PermReadWarnings},
	"warning-new": {backstop.PermWriteWarnings},
	"quarantine":  {backstop.PermRelease, backstop.PermManageFeeds, backstop.PermResolveQuarantine},
	"feeds":       {backstop.PermRelease, backstop.PermManageFeeds, backstop.PermResolveQuarantine},
	"templates":   {backstop.PermManageReach},
	"contacts":    {backstop.PermManageReach},
	"channels":    {backstop.PermManageChannel, backstop.PermRelease},
	"households":  {backstop.PermReadRegistry},
	"import":      {backstop.PermWriteRegistry},
	"users":       {backstop.PermManageUsers},
	"audit":       {backstop.PermReadAudit},
	"calendar":    {backstop.PermManagePolicy},
	"screening":   {backstop.PermReadRegistry},
	"intake":      {backstop.PermIntake},
	"cases":       {backstop.PermReadCases},
	"queue":       {backstop.PermMeasureQueue},
	"case-write":  {backstop.PermManageCases},
}

func navOf(u *backstop.User) map[string]bool {
	nav := map[string]bool{}
	for key, perms := range navItems {
		for _, p := range perms {
			if u.Can(p) {
				nav[key] = true
			}
		}
	}
	return nav
}

type crumb struct{ Label, Href string }

func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, name string, p *page) {
	lang := langOf(r)
	p.Lang, p.Path, p.Query, p.Version = lang, r.URL.Path, r.URL.Query(), h.cfg.Version
	p.AssetsReady = len(h.VendorMissing) == 0
	if p.User == nil {
		p.User = backstop.UserFromContext(r.Context())
	}
	if p.User != nil && p.RegionName == "" {
		p.RegionName = h.regionName(r.Context(), p.User.Region, lang)
	}
	p.Nav = navOf(p.User)
	p.BackURL = r.URL.Path
	if r.Method == http.MethodGet && r.URL.RawQuery != "" {
		p.BackURL = r.URL.RequestURI()
	}
	if p.ComputedAt.IsZero() {
		p.ComputedAt = time.Now()
	}
	var buf bytes.Buffer
	if err := h.tmpl[lang].ExecuteTemplate(&buf, name, p); err != nil {
		h.logger.Error("render", "template", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

func (h *Handler) regionName(ctx context.Context, code, lang string) string {
	if code == backstop.NationalScope {
		return h.cats[lang].translate("region.national")
	}
	if r, err := h.cfg.Registry.Region(ctx, code, false); err == nil {
		return r.Name
	}
	return code
}

// fail renders an error page with the error's status and message in the
// user's language; a request without a session goes to the login page.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	status := httpx.ErrorStatus(err)
	if status == http.StatusUnauthorized {
		http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
		return
	}
	h.failPage(w, r, err)
}

// failPage renders the error page without sending anyone to log in.
func (h *Handler) failPage(w http.ResponseWriter, r *http.Request, err error) {
	status := httpx.ErrorStatus(err)
	if status == http.StatusInternalServerError {
		h.logger.Error("page", "path", r.URL.Path, "err", err)
	}
	cat := h.cats[langOf(r)]
	title := cat.translate("error.title")
	if key, ok := errorKeys[backstop.ErrorCode(err)]; ok {
		title = cat.translate(key + ".title")
	}
	h.render(w, r, status, "error.html", &page{Title: title, Error: h.errorText(r, err), Data: map[string]any{"Code": backstop.ErrorCode(err)}})
}

// ServeError answers a request that the server refused before any page
// saw it (a cross-site form post) with the error page, in the user's
// language, signed in or not.
func (h *Handler) ServeError(w http.ResponseWriter, r *http.Request, err error) {
	if u, uerr := h.cfg.Auth.UserOf(r); uerr == nil && u != nil {
		r = r.WithContext(backstop.NewContextWithUser(r.Context(), u))
	}
	h.failPage(w, r, err)
}

// notFound answers a path no page has, in the user's language, signed in
// or not.
func (h *Handler) notFound(w http.ResponseWriter, r *http.Request) {
	if u, err := h.cfg.Auth.UserOf(r); err == nil && u != nil {
		r = r.WithContext(backstop.NewContextWithUser(r.Context(), u))
	}
	h.failPage(w, r, backstop.Localized(backstop.ENOTFOUND, "没有这个页面：请从左侧菜单进入，或返回首页。", "There is no such page: use the menu, or go back to the home page."))
}

// handle wraps a page handler: the user must be signed in; errors render.
func (h *Handler) handle(pattern string, fn func(w http.ResponseWriter, r *http.Request) error) {
	h.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &httpx.StatusWriter{ResponseWriter: w}
		defer func() {
			if p := recover(); p != nil {
				h.logger.Error("panic", "path", r.URL.Path, "panic", p)
				if rec.Status == 0 {
					h.fail(rec, r, backstop.Localized(backstop.EINTERNAL, "系统内部错误", "Internal error."))
				}
			}
			h.cfg.Metrics.Observe(pattern, rec.Status, time.Since(start))
		}()
		u, err := h.cfg.Auth.UserOf(r)
		if err != nil || u == nil {
			h.fail(rec, r, backstop.Localized(backstop.EUNAUTHORIZED, "请先登录", "Sign in first."))
			return
		}
		r = r.WithContext(backstop.NewContextWithUser(r.Context(), u))
		if err := fn(rec, r); err != nil {
			h.fail(rec, r, err)
		}
	})
}

func (h *Handler) serveStatic(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(path.Clean(r.URL.Path), "/static/")
	b, err := staticFS.ReadFile("static/" + name)
	if err != nil {
		if strings.HasPrefix(name, "vendor/") {
			http.Error(w, fmt.Sprintf("%s is not built into this binary: run `make assets` (npm ci) and rebuild", name), http.StatusNotFound)
			return
		}
		http.NotFound(w, r)
		return
	}
	if r.URL.Query().Get("v") == h.assets[name] {
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	}
	switch path.Ext(name) {
	case ".css":
		w.Header().Set("Content-Type", "text/css; charset=utf-8")
	case ".js":
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	}
	w.Write(b)
}

// importJobs tracks the roster imports started from the UI while they run.
type importJobs struct {
	mu   sync.Mutex
	jobs map[string]*importJob
}

func newImportJobs() *importJobs { return &importJobs{jobs: map[string]*importJob{}} }

// VendorBuilt tells whether the npm front-end libraries are embedded.
func VendorBuilt() bool {
	_, err1 := staticFS.ReadFile("static/vendor/echarts.min.js")
	_, err2 := staticFS.ReadFile("static/vendor/htmx.min.js")
	return err1 == nil && err2 == nil
}

// robotAddressText is a contact's address as pages and exports show it: a
// 企业微信 robot by its host, never its URL with the key.
func robotAddressText(cat catalog, a string) string {
	if u, err := url.Parse(a); err == nil && u.Host != "" {
		return cat.translate("contacts.address.robot", u.Host)
	}
	return backstop.RedactSecrets(a)
}
