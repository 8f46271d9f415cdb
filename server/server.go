// Package server assembles backstop from its parts: the store, the use
// cases, the background work and the two HTTP edges behind one root
// handler. cmd/backstop builds it from flags and environment, and the
// tests build the same thing, so that what they exercise is what runs.
package server

import (
	"context"
	"crypto/subtle"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
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
	"github.com/zhangye-backstop/backstop/egress"
	"github.com/zhangye-backstop/backstop/exposure"
	"github.com/zhangye-backstop/backstop/funnel"
	"github.com/zhangye-backstop/backstop/httpapi"
	"github.com/zhangye-backstop/backstop/httpx"
	"github.com/zhangye-backstop/backstop/insurance"
	"github.com/zhangye-backstop/backstop/loans"
	"github.com/zhangye-backstop/backstop/officers"
	"github.com/zhangye-backstop/backstop/overview"
	"github.com/zhangye-backstop/backstop/plans"
	"github.com/zhangye-backstop/backstop/policy"
	"github.com/zhangye-backstop/backstop/projects"
	"github.com/zhangye-backstop/backstop/publicity"
	"github.com/zhangye-backstop/backstop/registry"
	"github.com/zhangye-backstop/backstop/screening"
	"github.com/zhangye-backstop/backstop/sharing"
	"github.com/zhangye-backstop/backstop/sqlstore"
	"github.com/zhangye-backstop/backstop/web"
	"github.com/zhangye-backstop/backstop/workday"
)

// Config is every setting of a server; main fills it from flags and
// BACKSTOP_* variables.
type Config struct {
	Logger  *slog.Logger
	Version string
	// DataDir holds the upload scratch space (tmp/).
	DataDir string
	// MaxUploadBytes limits a roster upload; MaxImports, imports at once.
	MaxUploadBytes int64
	// MaxPhotoBytes limits a loss report's photo (default 8 MiB); photos
	// are files under DataDir/photos.
	MaxPhotoBytes int64
	MaxImports    int
	// RequestsPerSecond limits each API client (burst 4×).
	RequestsPerSecond float64
	SessionTTL        time.Duration
	SecureCookies     bool
	// CAPSender and CAPRegion name warnings made in backstop.
	CAPSender, CAPRegion string
	// Dispatch carries the channels and release settings; its Store and
	// Exposer are set here.
	Dispatch *dispatch.Service
	// ReceiptSecret signs gateways' delivery receipts.
	ReceiptSecret string
	// MetricsToken, when set, lets /metrics be read on the main listener
	// with "Authorization: Bearer <token>"; without it /metrics is not
	// served there (main may serve it on a listener of its own).
	MetricsToken string
	// Outbound checks and guards the URLs users give (feeds, robots of
	// contacts); nil allows no internal host.
	Outbound *egress.Policy
	// TrustedProxies are the reverse proxies whose X-Forwarded-For and
	// X-Real-IP name the client (sign-in limits, audit); nil trusts none.
	TrustedProxies *httpx.TrustedProxies
	// WebhookTimeout bounds one delivery to a department's subscription
	// (10 s when zero).
	WebhookTimeout time.Duration
}

// Server is an assembled backstop.
type Server struct {
	DB        *sqlstore.DB
	Metrics   *httpx.Metrics
	Auth      *httpx.Auth
	Registry  *registry.Service
	Accounts  *accounts.Service
	Policy    *policy.Service
	Alerting  *alerting.Service
	Exposure  *exposure.Service
	Dispatch  *dispatch.Service
	Calendar  *workday.Service
	Clocks    *clock.Engine
	Plans     *plans.Service
	Sharing   *sharing.Service
	Officers  *officers.Service
	Projects  *projects.Service
	Insurance *insurance.Service
	Assets    *assets.Service
	Publicity *publicity.Service
	// Assist: housing subsidy, drinking water, relief of households.
	Assist *assist.Service
	// Loans: microcredit (脱贫人口小额信贷).
	Loans *loans.Service
	// Screening: events, campaigns, loss reports, assessments, intake.
	Screening *screening.Service
	// Cases: monitoring cases, their procedures, debts and measures.
	Cases *cases.Service
	// Funnel: the loop's dashboard.
	Funnel *funnel.Service
	API    *httpapi.Server
	UI     *web.Handler

	cfg     Config
	handler http.Handler
}

// New builds the server on an open database and loads the exposure index.
func New(ctx context.Context, db *sqlstore.DB, cfg Config) (*Server, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	cfg.Logger = slog.New(backstop.RedactingHandler(cfg.Logger.Handler()))
	if cfg.SessionTTL == 0 {
		cfg.SessionTTL = 12 * time.Hour
	}
	if cfg.RequestsPerSecond == 0 {
		cfg.RequestsPerSecond = 50
	}
	if cfg.MaxImports == 0 {
		cfg.MaxImports = 2
	}
	if cfg.DataDir == "" {
		cfg.DataDir = os.TempDir()
	}
	tmp := filepath.Join(cfg.DataDir, "tmp")
	if err := os.MkdirAll(tmp, 0o700); err != nil {
		return nil, err
	}
	logger := cfg.Logger
	s := &Server{DB: db, cfg: cfg, Metrics: httpx.NewMetrics()}
	s.Metrics.Registry.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "backstop_password_hashes_running", Help: "argon2id computations running now (at most one per core)."},
			func() float64 { return float64(sqlstore.PasswordHashes().Running) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "backstop_password_hashes_refused_total", Help: "Password checks answered busy because every slot was taken."},
			func() float64 { return float64(sqlstore.PasswordHashes().Refused) }))
	// Policy is data: a required key without any version stops the
	// server, rather than a decision falling back to a constant.
	all, err := db.FindPolicies(ctx, "")
	if err != nil {
		return nil, err
	}
	if missing := backstop.MissingPolicies(all); len(missing) > 0 {
		return nil, fmt.Errorf("policy versions missing for %v: add them (POST /api/v1/policies or a migration) before starting", missing)
	}
	s.Calendar = &workday.Service{Store: db}
	if err := s.Calendar.Load(ctx); err != nil {
		return nil, fmt.Errorf("working-day calendar: %w", err)
	}
	s.Clocks = &clock.Engine{Store: db, Calendar: s.Calendar, Logger: logger}
	s.Calendar.OnLoaded = func(ctx context.Context, years []int) {
		if n, err := s.Clocks.Recount(ctx); err != nil {
			logger.Error("recount clocks on the loaded calendar", "years", years, "err", err)
		} else {
			logger.Info("calendar loaded: clocks recounted", "years", years, "moved", n)
		}
	}
	// A year loaded while no server ran (`backstop calendar import` is a
	// process of its own) reaches no OnLoaded: the first load counts as
	// no change. The provisional clocks are few; recount them now.
	if n, err := s.Clocks.Recount(backstop.NewContextWithUser(ctx, backstop.SystemUser("calendar"))); err != nil {
		return nil, fmt.Errorf("recount provisional clocks: %w", err)
	} else if n > 0 {
		logger.Info("clocks recounted on the calendar loaded since the last start", "moved", n)
	}
	s.Exposure = &exposure.Service{Store: db, Logger: logger}
	if err := s.Exposure.Load(ctx); err != nil {
		return nil, fmt.Errorf("exposure index: %w", err)
	}
	db.OnRegistryChange = s.Exposure.Notify
	db.Outbound = cfg.Outbound
	s.Alerting = &alerting.Service{Store: db, Exposer: s.Exposure, Logger: logger, Sender: cfg.CAPSender, Region: cfg.CAPRegion, Outbound: cfg.Outbound}
	s.Dispatch = cfg.Dispatch
	if s.Dispatch == nil {
		s.Dispatch = &dispatch.Service{}
	}
	s.Dispatch.Store, s.Dispatch.Exposer = db, s.Exposure
	if s.Dispatch.Logger == nil {
		s.Dispatch.Logger = logger
	}
	s.Alerting.Superseded = s.Dispatch.WarningSuperseded
	s.Clocks.Register(backstop.ClockReleaseConfirm, s.Dispatch.ConfirmDeadline)
	s.Screening = &screening.Service{Store: db, Exposer: s.Exposure, Clocks: s.Clocks, Logger: logger, PhotoDir: filepath.Join(cfg.DataDir, "photos"),
		MaxPhotoBytes: cfg.MaxPhotoBytes, LinkBase: s.Dispatch.BaseURL}
	// Overdue visits and intake steps go to the townships through the
	// outbox; late disaster reports stay overdue on their clocks.
	s.Clocks.Register(backstop.ClockCampaign, s.Screening.VisitsDue)
	for _, kind := range []string{backstop.ClockIntakeCheck, backstop.ClockIntakeAnswer, backstop.ClockIntakeReview} {
		s.Clocks.Register(kind, s.Screening.IntakeDue)
	}
	for _, kind := range []string{backstop.ClockEventInitial, backstop.ClockEventFollowup, backstop.ClockEventFinal} {
		s.Clocks.Register(kind, s.Screening.ReportDue)
	}
	s.Clocks.AfterRun = func(ctx context.Context) {
		// What the runs wrote goes out now, not at the next sweep.
		if err := s.Dispatch.Sweep(ctx); err != nil {
			logger.Error("outbox sweep after clocks", "err", err)
		}
	}
	// Loans: their papers' and instalments' reminders go to the helpers.
	s.Loans = &loans.Service{Store: db, Clocks: s.Clocks, Logger: logger}
	s.Clocks.Register(backstop.ClockLoanPapers, s.Loans.PapersDue)
	s.Clocks.Register(backstop.ClockLoanInstalment, s.Loans.InstalmentDue)
	s.Funnel = &funnel.Service{Store: db, Calendar: s.Calendar, Loans: s.Loans}
	if err := s.prepare(ctx, db, cfg); err != nil {
		return nil, err
	}
	s.monitorCases(db, cfg)
	// The national checks that need policy data and the household.
	s.Cases.MoreChecks = s.Assist.ChecksOf
	s.Registry = registry.New(db, logger, cfg.MaxImports)
	s.Accounts = &accounts.Service{Store: db}
	s.Policy = &policy.Service{Store: db}
	s.Auth = &httpx.Auth{Users: db, Secure: cfg.SecureCookies, SessionTTL: cfg.SessionTTL, Logins: httpx.NewLoginGuard()}
	s.API = httpapi.New(httpapi.Config{Logger: logger, Auth: s.Auth, Metrics: s.Metrics, MaxUploadBytes: cfg.MaxUploadBytes,
		RequestsPerSecond: cfg.RequestsPerSecond, Burst: int(4 * cfg.RequestsPerSecond), Version: cfg.Version, TempDir: tmp, Ping: db.Ping,
		Registry: s.Registry, Accounts: s.Accounts, Policy: s.Policy, Alerting: s.Alerting, Exposure: s.Exposure, Dispatch: s.Dispatch,
		Calendar: s.Calendar, Clocks: s.Clocks, Screening: s.Screening, ReceiptSecret: cfg.ReceiptSecret,
		Plans: s.Plans, Sharing: s.Sharing, Officers: s.Officers, Projects: s.Projects, Insurance: s.Insurance, Assets: s.Assets, Publicity: s.Publicity, Assist: s.Assist,
		Cases: s.Cases, Funnel: s.Funnel, Loans: s.Loans})
	ui, err := web.New(web.Config{Logger: logger, Auth: s.Auth, Metrics: s.Metrics, TempDir: tmp, MaxUploadBytes: cfg.MaxUploadBytes, Version: cfg.Version,
		Registry: s.Registry, Accounts: s.Accounts, Alerting: s.Alerting, Exposure: s.Exposure, Dispatch: s.Dispatch, Screening: s.Screening,
		Calendar: s.Calendar, Clocks: s.Clocks,
		Plans: s.Plans, Officers: s.Officers, Sharing: s.Sharing, Projects: s.Projects, Assets: s.Assets, Insurance: s.Insurance, Publicity: s.Publicity, Assist: s.Assist,
		Cases: s.Cases, Funnel: s.Funnel,
		Loans:    s.Loans,
		Overview: &overview.Service{Alerting: s.Alerting, Exposure: s.Exposure, Dispatch: s.Dispatch, Registry: s.Registry, Clocks: s.Clocks, Calendar: s.Calendar}})
	if err != nil {
		return nil, err
	}
	s.UI = ui
	s.handler = s.root()
	return s, nil
}

// Handler is the root handler: the API, the public CAP feed, health, the
// UI, and (with a token) metrics, behind cross-origin protection for
// every unsafe request (CSRF), which browsers' Fetch Metadata headers make
// reliable; API clients without them pass.
func (s *Server) Handler() http.Handler { return s.handler }

func (s *Server) root() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/api/", s.API)
	mux.Handle("GET /healthz", s.API)
	mux.Handle("GET /cap/", s.API)
	mux.Handle("GET /metrics", s.metricsWithToken())
	mux.Handle("/", s.UI)
	cop := http.NewCrossOriginProtection()
	// net/http refuses with an English line of plain text; users read
	// Chinese, and API clients get the error body every other refusal has.
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := backstop.Localized(backstop.EFORBIDDEN,
			"请求来自其他网站（跨站请求），已拒绝：请在本系统的页面中操作；经反向代理访问时，请确认代理转发了浏览器请求的原始 Host",
			"Cross-origin request refused: act from backstop's own pages; behind a reverse proxy, forward the browser's original Host.")
		if strings.HasPrefix(r.URL.Path, "/api/") {
			httpx.WriteError(w, r, s.cfg.Logger, err)
			return
		}
		s.UI.ServeError(w, r, err)
	}))
	return s.cfg.TrustedProxies.Handler(cop.Handler(mux))
}

// metricsWithToken serves /metrics on the main listener only to a caller
// with the metrics token: the figures tell an outsider how busy the
// system is and what it runs.
func (s *Server) metricsWithToken() http.Handler {
	inner := s.Metrics.Handler()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		want := "Bearer " + s.cfg.MetricsToken
		if s.cfg.MetricsToken == "" || subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), []byte(want)) != 1 {
			httpx.WriteError(w, r, s.cfg.Logger, backstop.Localized(backstop.ENOTFOUND, "没有这个页面", "Not found."))
			return
		}
		inner.ServeHTTP(w, r)
	})
}

// MetricsHandler serves /metrics without a token, for a listener of its
// own (--metrics-addr) that only the operator reaches.
func (s *Server) MetricsHandler() http.Handler { return s.Metrics.Handler() }
