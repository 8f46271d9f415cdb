package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/zhangye-backstop/backstop/demo"
	"github.com/zhangye-backstop/backstop/egress"
	"github.com/zhangye-backstop/backstop/httpx"
	"github.com/zhangye-backstop/backstop/server"
)

func init() {
	register(&command{name: "serve", summary: "run the web UI and the API (creates user admin on first start)",
		flags: func(fs *flag.FlagSet) func(context.Context, *environment, []string) error {
			addr := fs.String("addr", envOr("BACKSTOP_ADDR", "127.0.0.1:8080"), "listen address (env BACKSTOP_ADDR)")
			withDemo := fs.Bool("demo", envOr("BACKSTOP_DEMO", "") == "1", "fill an empty database with the synthetic Zhangye demo first (env BACKSTOP_DEMO=1)")
			demoN := fs.Int("demo-households", 20000, "households the demo generates")
			demoSends := fs.Bool("demo-sends", envOr("BACKSTOP_DEMO_SENDS", "") == "1", "let an SMS gateway text the demo's synthetic numbers (a test gateway only: they look like real mobiles) (env BACKSTOP_DEMO_SENDS=1)")
			secure := fs.Bool("secure-cookies", envOr("BACKSTOP_SECURE_COOKIES", "") == "1", "mark session cookies Secure even without TLS here (behind a TLS proxy) (env BACKSTOP_SECURE_COOKIES=1)")
			maxUpload := fs.Int64("max-upload-mib", envInt("BACKSTOP_MAX_UPLOAD_MIB", 256), "largest roster upload in MiB (env BACKSTOP_MAX_UPLOAD_MIB)")
			sessionTTL := fs.Duration("session-ttl", 12*time.Hour, "how long a sign-in lasts")
			rate := fs.Float64("rate", 50, "API requests per second per client (burst 4×)")
			capSender := fs.String("cap-sender", envOr("BACKSTOP_CAP_SENDER", "backstop.zhangye.gov.cn"), "CAP sender id of warnings made in backstop (env BACKSTOP_CAP_SENDER)")
			capRegion := fs.String("cap-region", envOr("BACKSTOP_CAP_REGION", "620700"), "6-digit region code in identifiers of warnings made in backstop (env BACKSTOP_CAP_REGION)")
			metricsToken := fs.String("metrics-token", envOr("BACKSTOP_METRICS_TOKEN", ""), "bearer token that may read /metrics on the main listener (env BACKSTOP_METRICS_TOKEN); without it /metrics is not served there")
			metricsAddr := fs.String("metrics-addr", envOr("BACKSTOP_METRICS_ADDR", ""), "serve /metrics without a token on this separate address, e.g. 127.0.0.1:9090 (env BACKSTOP_METRICS_ADDR)")
			outboundAllow := fs.String("outbound-allow", envOr("BACKSTOP_OUTBOUND_ALLOW", ""), "hosts or host:port, comma-separated, that feeds and 企业微信 robot URLs of contacts may reach although internal (loopback, private, link-local); http only to these (env BACKSTOP_OUTBOUND_ALLOW)")
			trusted := fs.String("trusted-proxies", envOr("BACKSTOP_TRUSTED_PROXIES", ""), "reverse proxies, comma-separated CIDRs or addresses (e.g. 127.0.0.1,10.0.0.0/8), whose X-Forwarded-For / X-Real-IP name the client address for sign-in limits and the audit trail; from any other peer those headers are ignored (env BACKSTOP_TRUSTED_PROXIES)")
			planYears := fs.Bool("plan-years", envOr("BACKSTOP_PLAN_YEARS", "1") == "1", "open the coming year's contingency plans of the CAP region's counties, whose reminder clocks text the county and city duty officers from 1 December (env BACKSTOP_PLAN_YEARS=0 to turn off)")
			rel := releaseFlags(fs)
			return func(ctx context.Context, env *environment, args []string) error {
				outbound, err := egress.ParseAllow(*outboundAllow)
				if err != nil {
					return err
				}
				proxies, err := httpx.ParseTrustedProxies(*trusted)
				if err != nil {
					return err
				}
				db, err := env.openStore(ctx)
				if err != nil {
					return err
				}
				defer db.Close()
				logger := env.logger
				logger.Info("database ready", "db", db.URL)
				generated, err := db.EnsureAdmin(ctx, os.Getenv("BACKSTOP_ADMIN_PASSWORD"))
				if err != nil {
					return err
				}
				if generated != "" {
					fmt.Fprintf(env.stdout, "\n  First start: user \"admin\" created with password  %s\n  (shown once; set BACKSTOP_ADMIN_PASSWORD to choose it)\n\n", generated)
				}
				demoFilled := false
				if *withDemo {
					start := time.Now()
					filled, err := demo.Fill(asCLI(ctx, "demo"), db, *demoN, 1, nil)
					if err != nil {
						return fmt.Errorf("demo data: %w", err)
					}
					if filled {
						logger.Info("demo data loaded", "households", *demoN, "took", time.Since(start).Round(time.Millisecond))
					}
					demoFilled = filled
				}
				// The demo's numbers carry real operators' prefixes: a real
				// gateway would text whoever holds them.
				if rel.textsPeople() && !*demoSends {
					demoData, err := db.HoldsDemoData(ctx)
					if err != nil {
						return err
					}
					if demoData {
						return errors.New("the database holds the synthetic demo households, whose phone numbers look like real mobiles, and an SMS gateway is configured: texts could reach real people. Use a database without the demo, or pass --demo-sends (BACKSTOP_DEMO_SENDS=1) when the gateway is a test one")
					}
				}
				ln, err := net.Listen("tcp", *addr)
				if err != nil {
					return err
				}
				defer ln.Close()
				if *outboundAllow != "" {
					logger.Info("outbound allow-list", "hosts", outbound.String())
				}
				if *trusted != "" {
					logger.Info("trusted reverse proxies", "networks", proxies.String())
				}
				disp, err := rel.service(logger, "http://"+ln.Addr().String(), outbound)
				if err != nil {
					return err
				}
				app, err := server.New(ctx, db, server.Config{Logger: logger, Version: version, DataDir: env.dataDir, MaxUploadBytes: *maxUpload << 20,
					RequestsPerSecond: *rate, SessionTTL: *sessionTTL, SecureCookies: *secure, CAPSender: *capSender, CAPRegion: *capRegion,
					Dispatch: disp, ReceiptSecret: *rel.receiptSecret, MetricsToken: *metricsToken, Outbound: outbound, TrustedProxies: proxies})
				if err != nil {
					return err
				}
				if *withDemo {
					// The monitoring-case demo (issue 12), once.
					if dc, err := demo.Cases(asCLI(ctx, "demo"), db, app.Screening, app.Cases); err != nil {
						logger.Warn("case demo not loaded", "err", err)
					} else if dc != nil {
						logger.Info("case demo loaded", "green_channel", dc.Green, "normal", dc.Normal, "clearable", dc.Clearable, "held", dc.Held)
					}
				}
				if demoFilled {
					// The demo's loans go through the use cases, which the
					// server assembles.
					if err := demo.Loans(asCLI(ctx, "demo"), db, app.Loans, app.Screening, time.Now()); err != nil {
						return fmt.Errorf("demo loans: %w", err)
					}
				}
				stop, err := app.Start(ctx, server.Background{DispatchWorkers: *rel.workers, Poll: *rel.sweep, PlanYears: *planYears})
				if err != nil {
					return err
				}
				defer stop()
				for _, v := range disp.ChannelViews() {
					if v.Configured {
						logger.Info("channel configured", "channel", v.Channel, "target", v.Target)
					}
				}
				if len(app.UI.VendorMissing) > 0 {
					logger.Warn("front-end libraries are not built in; maps and live progress are off (run `make assets`, then rebuild)", "missing", app.UI.VendorMissing)
				}
				if *metricsAddr != "" {
					mln, err := net.Listen("tcp", *metricsAddr)
					if err != nil {
						return err
					}
					defer mln.Close()
					msrv := httpx.NewServer(app.MetricsHandler(), httpx.DefaultTimeouts)
					go msrv.Serve(mln)
					logger.Info("metrics serving", "url", "http://"+mln.Addr().String()+"/metrics")
				}
				srv := httpx.NewServer(app.Handler(), httpx.DefaultTimeouts)
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
