package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/alerting"
	"github.com/zhangye-backstop/backstop/dispatch"
	"github.com/zhangye-backstop/backstop/exposure"
)

// Config holds what the API needs beyond the store.
type Config struct {
	Logger *slog.Logger
	Auth   *Auth
	// MaxUploadBytes limits a roster upload.
	MaxUploadBytes int64
	// RequestsPerSecond and Burst limit each API client (user or address).
	RequestsPerSecond float64
	Burst             int
	// Version is the binary's version, for /healthz.
	Version string
	// TempDir receives uploads while they are imported.
	TempDir string
	// Alerting ingests warnings; Exposure computes who they reach.
	Alerting *alerting.Service
	Exposure *exposure.Service
	// Dispatch makes and sends targeted releases.
	Dispatch *dispatch.Service
	// ReceiptSecret signs delivery receipts from gateways.
	ReceiptSecret string
}

// Server is the JSON API.
type Server struct {
	store   backstop.Store
	cfg     Config
	logger  *slog.Logger
	limiter *RateLimiter
	routes  []*route
	mux     *http.ServeMux

	registry *prometheus.Registry
	requests *prometheus.HistogramVec
	// ImportRows counts roster rows read, for /metrics.
	ImportRows prometheus.Counter
}

// handlerFunc is an API handler; a returned error becomes the answer.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// param documents a query or path parameter.
type param struct {
	name, in, typ, desc string
	required            bool
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
}

// New builds the API server.
func New(store backstop.Store, cfg Config) *Server {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.MaxUploadBytes == 0 {
		cfg.MaxUploadBytes = 256 << 20
	}
	if cfg.RequestsPerSecond == 0 {
		cfg.RequestsPerSecond, cfg.Burst = 50, 200
	}
	s := &Server{store: store, cfg: cfg, logger: cfg.Logger, mux: http.NewServeMux(),
		limiter: NewRateLimiter(cfg.RequestsPerSecond, cfg.Burst)}
	s.registry = prometheus.NewRegistry()
	s.registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	s.requests = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "backstop_http_request_duration_seconds", Help: "HTTP requests by route pattern and status.",
		Buckets: []float64{.001, .0025, .005, .01, .02, .05, .1, .25, .5, 1, 2.5, 10},
	}, []string{"route", "status"})
	s.ImportRows = prometheus.NewCounter(prometheus.CounterOpts{Name: "backstop_import_rows_total", Help: "Roster rows read by imports."})
	s.registry.MustRegister(s.requests, s.ImportRows)
	s.routes = s.apiRoutes()
	for _, rt := range s.routes {
		s.mux.Handle(rt.method+" "+rt.path, s.wrap(rt))
	}
	s.mux.HandleFunc("GET /healthz", s.healthz)
	s.mux.HandleFunc("GET /cap/feed.atom", s.capFeed)
	s.mux.HandleFunc("GET /cap/alerts/{file}", s.capAlert)
	s.mux.Handle("GET /metrics", promhttp.HandlerFor(s.registry, promhttp.HandlerOpts{}))
	s.mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		WriteError(w, r, s.logger, backstop.Errorf(backstop.ENOTFOUND, "No API route %s %s.", r.Method, r.URL.Path))
	})
	return s
}

// Registry lets other edges register their metrics on /metrics.
func (s *Server) Registry() *prometheus.Registry { return s.registry }

// ServeHTTP serves the API routes, /healthz and /metrics.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// statusRecorder remembers the status for metrics and logs.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// Observe records a request in the metrics; the web UI uses it too.
func (s *Server) Observe(pattern string, status int, d time.Duration) {
	s.requests.WithLabelValues(pattern, strconv.Itoa(status)).Observe(d.Seconds())
}

// wrap adds authentication, rate limiting, panic recovery and metrics to a
// route.
func (s *Server) wrap(rt *route) http.Handler {
	pattern := rt.method + " " + rt.path
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		defer func() {
			if p := recover(); p != nil {
				s.logger.Error("panic", "route", pattern, "panic", p, "stack", string(debug.Stack()))
				if rec.status == 0 {
					WriteError(rec, r, s.logger, backstop.Errorf(backstop.EINTERNAL, "Internal error."))
				}
			}
			s.Observe(pattern, rec.status, time.Since(start))
		}()
		err := func() error {
			u, err := s.cfg.Auth.UserOf(r)
			if err != nil {
				return err
			}
			key := ClientAddr(r)
			if u != nil {
				key = "user:" + u.Name
			}
			if !s.limiter.Allow(key) {
				w.Header().Set("Retry-After", "1")
				return backstop.Errorf(backstop.ERATELIMIT, "More than %g requests per second; slow down.", s.cfg.RequestsPerSecond)
			}
			if u == nil && !rt.public {
				return backstop.Localized(backstop.EUNAUTHORIZED, "请先登录", "Sign in first: send a session cookie or Authorization: Bearer <token>.")
			}
			ctx := r.Context()
			if u != nil {
				ctx = backstop.NewContextWithUser(ctx, u)
			}
			return rt.handle(rec, r.WithContext(withStart(ctx, start)))
		}()
		if err != nil {
			WriteError(rec, r, s.logger, err)
		}
	})
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.store.Ping(ctx); err != nil {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "database": "unreachable"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok", "version": s.cfg.Version})
}

// page reads limit and offset.
func page(r *http.Request, def int) (limit, offset int, err error) {
	q := r.URL.Query()
	limit, offset = def, 0
	if v := q.Get("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 1 || limit > 1000 {
			return 0, 0, backstop.Errorf(backstop.EINVALID, "limit must be 1 to 1000, not %q", v)
		}
	}
	if v := q.Get("offset"); v != "" {
		if offset, err = strconv.Atoi(v); err != nil || offset < 0 {
			return 0, 0, backstop.Errorf(backstop.EINVALID, "offset must be a non-negative number, not %q", v)
		}
	}
	return limit, offset, nil
}

// truthy reads a boolean query parameter.
func truthy(r *http.Request, name string) bool {
	switch strings.ToLower(r.URL.Query().Get(name)) {
	case "1", "true", "yes":
		return true
	}
	return false
}

// list is the shape of every paged list answer.
type list[T any] struct {
	Items []T `json:"items"`
	Total int `json:"total"`
}

// beijingTZ is China Standard Time for dates written in sheets.
var beijingTZ = backstop.Beijing
