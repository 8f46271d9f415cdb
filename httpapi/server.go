// Package httpapi serves backstop's JSON API under /api/v1 and its OpenAPI
// document, /healthz and the public CAP feed. Handlers decode the request,
// call one use case and encode its answer; permissions, audit and scope
// live in the use cases and the store.
package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

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
	"github.com/zhangye-backstop/backstop/plans"
	"github.com/zhangye-backstop/backstop/policy"
	"github.com/zhangye-backstop/backstop/projects"
	"github.com/zhangye-backstop/backstop/publicity"
	"github.com/zhangye-backstop/backstop/registry"
	"github.com/zhangye-backstop/backstop/screening"
	"github.com/zhangye-backstop/backstop/sharing"
	"github.com/zhangye-backstop/backstop/workday"
)

// Config holds what the API serves: the use cases and the HTTP settings.
type Config struct {
	Logger  *slog.Logger
	Auth    *httpx.Auth
	Metrics *httpx.Metrics
	// MaxUploadBytes limits a roster upload.
	MaxUploadBytes int64
	// RequestsPerSecond and Burst limit each API client (user or address).
	RequestsPerSecond float64
	Burst             int
	// Version is the binary's version, for /healthz.
	Version string
	// TempDir receives uploads while they are imported.
	TempDir string
	// Ping tells whether the database answers, for /healthz.
	Ping func(ctx context.Context) error

	Registry *registry.Service
	Accounts *accounts.Service
	Policy   *policy.Service
	Alerting *alerting.Service
	Exposure *exposure.Service
	Dispatch *dispatch.Service
	Calendar *workday.Service
	Clocks   *clock.Engine
	// Screening runs events, campaigns, loss reports and intake.
	Screening *screening.Service
	// ReceiptSecret signs delivery receipts from gateways.
	ReceiptSecret string

	Plans     *plans.Service
	Sharing   *sharing.Service
	Officers  *officers.Service
	Projects  *projects.Service
	Insurance *insurance.Service
	Assets    *assets.Service
	Publicity *publicity.Service
	// Assist: housing subsidy, drinking water, relief of households.
	Assist *assist.Service
	// Cases runs monitoring cases and their measures.
	Cases *cases.Service
	// Funnel reads the loop's dashboard.
	Funnel *funnel.Service
	// Loans runs microcredit.
	Loans *loans.Service
}

// Server is the JSON API.
type Server struct {
	cfg     Config
	logger  *slog.Logger
	limiter *httpx.RateLimiter
	routes  []*route
	mux     *http.ServeMux

	// ImportRows counts roster rows read, for /metrics.
	ImportRows prometheus.Counter
}

// handlerFunc is an API handler; a returned error becomes the answer.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// param documents a query or path parameter.
type param struct {
	name, in, typ, desc string
	required            bool
	// values are the only values a query parameter takes (list: a
	// comma-separated list of them); format is "date" (YYYY-MM-DD) or
	// "region" (a region code) for a string. checkQuery enforces them.
	values []string
	list   bool
	format string
}

// route is one API operation; the same table registers the handler and
// writes the OpenAPI document, so the two cannot drift apart.
type route struct {
	method, path string
	summary      string
	tag          string
	public       bool // needs no user
	params       []param
	body         string // request body schema name, or "file" for uploads
	response     string // response schema name; "file" for downloads
	status       int    // success status
	handle       handlerFunc
	// access is who may call it, declared beside the route for the
	// authorization matrix test (TestAuthorizationMatrix): every route
	// has its row there.
	access access
}

// access says who may call a route: the permission it needs ("" for any
// signed-in user; public routes need none) and how the region scope
// applies to what it names.
type access struct {
	perm  backstop.Permission
	scope scopeRule
	// others, on a route that names a user: what calling it for a user
	// other than oneself needs (for oneself, nothing more than perm).
	others backstop.Permission
}

// scopeRule is how a route answers for an object outside the caller's
// region.
type scopeRule int

const (
	// scopeNone: the route names no region's object; lists and figures
	// are limited to the caller's region.
	scopeNone scopeRule = iota
	// scopeRead: it reads an object; outside the caller's region the
	// object is not found (404), as if it did not exist.
	scopeRead
	// scopeWrite: it changes an object or makes one in a region; outside
	// the caller's region it is forbidden (403), decided from the region
	// the request names, so that no answer tells whether something
	// exists there.
	scopeWrite
	// scopeShared: it reads an object every signed-in user may read,
	// whatever its region (warnings are public information: their CAP,
	// consultations and releases; region names). The answer is the same in
	// and out of the caller's region; what comes with it (exposure
	// figures, confirmations) is counted within the caller's region.
	scopeShared
)

// String names a scope rule as RouteAccess shows it.
func (r scopeRule) String() string {
	switch r {
	case scopeRead:
		return "read"
	case scopeWrite:
		return "write"
	case scopeShared:
		return "shared"
	}
	return "none"
}

// New builds the API server.
func New(cfg Config) *Server {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Metrics == nil {
		cfg.Metrics = httpx.NewMetrics()
	}
	if cfg.MaxUploadBytes == 0 {
		cfg.MaxUploadBytes = 256 << 20
	}
	if cfg.RequestsPerSecond == 0 {
		cfg.RequestsPerSecond, cfg.Burst = 50, 200
	}
	s := &Server{cfg: cfg, logger: cfg.Logger, mux: http.NewServeMux(), limiter: httpx.NewRateLimiter(cfg.RequestsPerSecond, cfg.Burst)}
	s.ImportRows = prometheus.NewCounter(prometheus.CounterOpts{Name: "backstop_import_rows_total", Help: "Roster rows read by imports."})
	cfg.Metrics.Registry.MustRegister(s.ImportRows)
	if cfg.Registry != nil && cfg.Registry.OnImportRows == nil {
		cfg.Registry.OnImportRows = func(n int) { s.ImportRows.Add(float64(n)) }
	}
	s.routes = s.apiRoutes()
	for _, rt := range s.routes {
		s.mux.Handle(rt.method+" "+rt.path, s.wrap(rt))
	}
	s.mux.HandleFunc("GET /healthz", s.healthz)
	// The public CAP feed answers anyone: limited per client like the API,
	// since each answer re-serialises up to 200 stored alerts.
	s.mux.HandleFunc("GET /cap/feed.atom", s.limited(s.capFeed))
	s.mux.HandleFunc("GET /cap/alerts/{file}", s.limited(s.capAlert))
	s.mux.HandleFunc("/cap/", func(w http.ResponseWriter, r *http.Request) {
		httpx.WriteError(w, r, s.logger, backstop.Localized(backstop.ENOTFOUND, "没有这个地址：%s（预警信息订阅地址为 /cap/feed.atom）", "No such path: %s (the CAP feed is /cap/feed.atom).", r.URL.Path))
	})
	s.mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		httpx.WriteError(w, r, s.logger, backstop.Localized(backstop.ENOTFOUND, "没有这个接口：%s %s", "No API route %s %s.", r.Method, r.URL.Path))
	})
	return s
}

// ServeHTTP serves the API routes, /healthz and the CAP feed.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// wrap adds authentication, rate limiting, panic recovery and metrics to a
// route.
func (s *Server) wrap(rt *route) http.Handler {
	pattern := rt.method + " " + rt.path
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &httpx.StatusWriter{ResponseWriter: w}
		defer func() {
			if p := recover(); p != nil {
				s.logger.Error("panic", "route", pattern, "panic", p, "stack", string(debug.Stack()))
				if rec.Status == 0 {
					httpx.WriteError(rec, r, s.logger, backstop.Errorf(backstop.EINTERNAL, "Internal error."))
				}
			}
			s.cfg.Metrics.Observe(pattern, rec.Status, time.Since(start))
		}()
		err := func() error {
			u, err := s.cfg.Auth.UserOf(r)
			if err != nil {
				return err
			}
			key := httpx.ClientAddr(r)
			if u != nil {
				key = "user:" + u.Name
			}
			if !s.limiter.Allow(key) {
				w.Header().Set("Retry-After", "1")
				return backstop.Localized(backstop.ERATELIMIT, "请求过于频繁（每秒不超过 %g 次），请稍后再试", "More than %g requests per second; slow down.", s.cfg.RequestsPerSecond)
			}
			if u == nil && !rt.public {
				return backstop.Localized(backstop.EUNAUTHORIZED, "请先登录", "Sign in first: send a session cookie or Authorization: Bearer <token>.")
			}
			ctx := r.Context()
			if u != nil {
				ctx = backstop.NewContextWithUser(ctx, u)
			}
			if err := checkQuery(rt, r); err != nil {
				return err
			}
			return rt.handle(rec, r.WithContext(ctx))
		}()
		if err != nil {
			httpx.WriteError(rec, r, s.logger, err)
		}
	})
}

// limited refuses a client past its request rate, for the routes that
// answer without signing in.
func (s *Server) limited(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !s.limiter.Allow(httpx.ClientAddr(r)) {
			w.Header().Set("Retry-After", "1")
			httpx.WriteError(w, r, s.logger, backstop.Localized(backstop.ERATELIMIT, "请求过于频繁（每秒不超过 %g 次），请稍后再试", "More than %g requests per second; slow down.", s.cfg.RequestsPerSecond))
			return
		}
		h(w, r)
	}
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if s.cfg.Ping != nil {
		if err := s.cfg.Ping(ctx); err != nil {
			httpx.WriteJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "database": "unreachable"})
			return
		}
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]string{"status": "ok", "version": s.cfg.Version})
}

// page reads limit and offset.
func page(r *http.Request, def int) (limit, offset int, err error) {
	q := r.URL.Query()
	limit, offset = def, 0
	if v := q.Get("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 1 || limit > 1000 {
			return 0, 0, backstop.Localized(backstop.EINVALID, "limit 须为 1 到 1000 的整数，不能是“%s”", "limit must be 1 to 1000, not %q", v)
		}
	}
	if v := q.Get("offset"); v != "" {
		if offset, err = strconv.Atoi(v); err != nil || offset < 0 || offset > maxOffset {
			return 0, 0, backstop.Localized(backstop.EINVALID, "offset 须为 0 到 %d 的整数，不能是“%s”", "offset must be 0 to %d, not %q", maxOffset, v)
		}
	}
	return limit, offset, nil
}

// maxOffset bounds paging: deeper pages are for exports, which page by key.
const maxOffset = 10_000_000

// list is the shape of every paged list answer.
type list[T any] struct {
	Items []T `json:"items"`
	Total int `json:"total"`
}

func newList[T any](items []T, total int) list[T] {
	if items == nil {
		items = []T{}
	}
	return list[T]{Items: items, Total: total}
}

var (
	writeJSON  = httpx.WriteJSON
	decodeJSON = httpx.DecodeJSON
)
