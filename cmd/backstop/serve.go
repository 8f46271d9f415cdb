package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/riverqueue/river"

	"github.com/zhangye-backstop/backstop/alerting"
	"github.com/zhangye-backstop/backstop/demo"
	"github.com/zhangye-backstop/backstop/egress"
	"github.com/zhangye-backstop/backstop/exposure"
	"github.com/zhangye-backstop/backstop/httpapi"
	"github.com/zhangye-backstop/backstop/jobs"
	"github.com/zhangye-backstop/backstop/web"
)

func init() {
	register(&command{name: "serve", summary: "run the web UI and the API (creates user admin on first start)",
		flags: func(fs *flag.FlagSet) func(context.Context, *environment, []string) error {
			addr := fs.String("addr", envOr("BACKSTOP_ADDR", "127.0.0.1:8080"), "listen address (env BACKSTOP_ADDR)")
			withDemo := fs.Bool("demo", envOr("BACKSTOP_DEMO", "") == "1", "fill an empty database with the synthetic Zhangye demo first (env BACKSTOP_DEMO=1)")
			demoN := fs.Int("demo-households", 20000, "households the demo generates")
			secure := fs.Bool("secure-cookies", envOr("BACKSTOP_SECURE_COOKIES", "") == "1", "mark session cookies Secure even without TLS here (behind a TLS proxy) (env BACKSTOP_SECURE_COOKIES=1)")
			maxUpload := fs.Int64("max-upload-mib", envInt("BACKSTOP_MAX_UPLOAD_MIB", 256), "largest roster upload in MiB (env BACKSTOP_MAX_UPLOAD_MIB)")
			sessionTTL := fs.Duration("session-ttl", 12*time.Hour, "how long a sign-in lasts")
			rate := fs.Float64("rate", 50, "API requests per second per client (burst 4×)")
			capSender := fs.String("cap-sender", envOr("BACKSTOP_CAP_SENDER", "backstop.zhangye.gov.cn"), "CAP sender id of warnings made in backstop (env BACKSTOP_CAP_SENDER)")
			capRegion := fs.String("cap-region", envOr("BACKSTOP_CAP_REGION", "620700"), "6-digit region code in identifiers of warnings made in backstop (env BACKSTOP_CAP_REGION)")
			outboundAllow := fs.String("outbound-allow", envOr("BACKSTOP_OUTBOUND_ALLOW", ""), "hosts or host:port, comma-separated, that feeds and 企业微信 robot URLs of contacts may reach although internal (loopback, private, link-local); http only to these (env BACKSTOP_OUTBOUND_ALLOW)")
			rel := releaseFlags(fs)
			return func(ctx context.Context, env *environment, args []string) error {
				outbound, err := egress.ParseAllow(*outboundAllow)
				if err != nil {
					return err
				}
				db, err := env.openStore(ctx)
				if err != nil {
					return err
				}
				defer db.Close()
				db.Outbound = outbound
				logger := env.logger
				logger.Info("database ready", "db", db.URL)
				generated, err := db.EnsureAdmin(ctx, os.Getenv("BACKSTOP_ADMIN_PASSWORD"))
				if err != nil {
					return err
				}
				if generated != "" {
					fmt.Fprintf(env.stdout, "\n  First start: user \"admin\" created with password  %s\n  (shown once; set BACKSTOP_ADMIN_PASSWORD to choose it)\n\n", generated)
				}
				if *withDemo {
					start := time.Now()
					filled, err := demo.Fill(asCLI(ctx, "demo"), db, *demoN, 1, nil)
					if err != nil {
						return fmt.Errorf("demo data: %w", err)
					}
					if filled {
						logger.Info("demo data loaded", "households", *demoN, "took", time.Since(start).Round(time.Millisecond))
					}
				}
				tmp := filepath.Join(env.dataDir, "tmp")
				if err := os.MkdirAll(tmp, 0o700); err != nil {
					return err
				}
				exp := &exposure.Service{Store: db, Logger: logger}
				if err := exp.Load(ctx); err != nil {
					return fmt.Errorf("exposure index: %w", err)
				}
				db.OnRegistryChange = exp.Notify
				go exp.Run(ctx, 2*time.Second)
				alerts := &alerting.Service{Store: db, Exposer: exp, Logger: logger, Sender: *capSender, Region: *capRegion, Outbound: outbound}
				if *outboundAllow != "" {
					logger.Info("outbound allow-list", "hosts", outbound.String())
				}
				ln, err := net.Listen("tcp", *addr)
				if err != nil {
					return err
				}
				defer ln.Close()
				disp, err := rel.service(db, exp, logger, "http://"+ln.Addr().String(), outbound)
				if err != nil {
					return err
				}
				workers := river.NewWorkers()
				river.AddWorker(workers, &jobs.PollFeedsWorker{Alerting: alerts})
				river.AddWorker(workers, &jobs.DispatchBatchWorker{Dispatch: disp})
				queue, err := jobs.Open(ctx, db, jobs.Config{Workers: workers, Periodic: []*river.PeriodicJob{jobs.PollFeedsEvery(time.Minute)}, MaxWorkers: 4,
					DispatchWorkers: *rel.workers, PollInterval: 100 * time.Millisecond, Logger: logger})
				if err != nil {
					return err
				}
				disp.Enqueue = queue.Enqueue
				alerts.Superseded = disp.WarningSuperseded
				if err := queue.Start(ctx); err != nil {
					return err
				}
				defer queue.Stop(context.WithoutCancel(ctx))
				go disp.Run(ctx, *rel.sweep, *rel.escalateEvery)
				for _, v := range httpapi.ChannelViews(disp) {
					if v.Configured {
						logger.Info("channel configured", "channel", v.Channel, "target", v.Target)
					}
				}
				auth := &httpapi.Auth{Users: db, Secure: *secure, SessionTTL: *sessionTTL, Logins: httpapi.NewRateLimiter(0.2, 10)}
				api := httpapi.New(db, httpapi.Config{Logger: logger, Auth: auth, MaxUploadBytes: *maxUpload << 20, RequestsPerSecond: *rate, Burst: int(4 * *rate), Version: version, TempDir: tmp,
					Alerting: alerts, Exposure: exp, Dispatch: disp, ReceiptSecret: *rel.receiptSecret})
				ui, err := web.New(db, web.Config{Logger: logger, Auth: auth, API: api, TempDir: tmp, MaxUploadBytes: *maxUpload << 20, Version: version, Alerting: alerts, Exposure: exp,
					Dispatch: disp})
				if err != nil {
					return err
				}
				if len(ui.VendorMissing) > 0 {
					logger.Warn("front-end libraries are not built in; maps and live progress are off (run `make assets`, then rebuild)", "missing", ui.VendorMissing)
				}
				srv := &http.Server{
					Handler:           web.Root(api, ui),
					ReadHeaderTimeout: 10 * time.Second,
					IdleTimeout:       2 * time.Minute,
					MaxHeaderBytes:    1 << 20,
					ErrorLog:          nil,
				}
				logger.Info("backstop serving", "url", "http://"+ln.Addr().String(), "version", version)
				errc := make(chan error, 1)
				go func() { errc <- srv.Serve(ln) }()
				select {
				case err := <-errc:
					return err
				case <-ctx.Done():
				}
				logger.Info("shutting down")
				shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
				defer cancel()
				if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
					return err
				}
				return nil
			}
		}})

	register(&command{name: "demo", summary: "fill an empty database with a synthetic Zhangye (real counties and townships, generated villages and households)",
		flags: func(fs *flag.FlagSet) func(context.Context, *environment, []string) error {
			n := fs.Int("households", 20000, "households to generate")
			seed := fs.Uint64("seed", 1, "random seed (same seed, same data)")
			rosterOut := fs.String("roster-csv", "", "instead of loading, write a roster CSV with this many persons (--persons) to this file")
			persons := fs.Int("persons", 1000000, "persons in the roster CSV written by --roster-csv")
			return func(ctx context.Context, env *environment, args []string) error {
				if *rosterOut != "" {
					f, err := os.Create(*rosterOut)
					if err != nil {
						return err
					}
					defer f.Close()
					hh, err := demo.WriteRoster(f, demo.NewGeography(*seed, 10), *persons, *seed)
					if err != nil {
						return err
					}
					fmt.Fprintf(env.stdout, "%s: %d persons in %d households\n", *rosterOut, *persons, hh)
					return f.Close()
				}
				db, err := env.openStore(ctx)
				if err != nil {
					return err
				}
				defer db.Close()
				start := time.Now()
				filled, err := demo.Fill(asCLI(ctx, "demo"), db, *n, *seed, nil)
				if err != nil {
					return err
				}
				if !filled {
					fmt.Fprintln(env.stdout, "the database has households already; demo data not loaded")
					return nil
				}
				fmt.Fprintf(env.stdout, "demo data: %d households in %s\n", *n, time.Since(start).Round(time.Millisecond))
				return nil
			}
		}})
}

func envInt(name string, def int64) int64 {
	if v, err := strconv.ParseInt(os.Getenv(name), 10, 64); err == nil {
		return v
	}
	return def
}
