package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/geo"
	"github.com/zhangye-backstop/backstop/roster"
	"github.com/zhangye-backstop/backstop/sheet"
)

func init() {
	register(&command{name: "migrate", summary: "create or upgrade the database schema, then exit", flags: func(fs *flag.FlagSet) func(context.Context, *environment, []string) error {
		return func(ctx context.Context, env *environment, args []string) error {
			db, err := env.openStore(ctx)
			if err != nil {
				return err
			}
			defer db.Close()
			v, err := db.SchemaVersion(ctx)
			if err != nil {
				return err
			}
			fmt.Fprintf(env.stdout, "database %s is at schema version %d\n", db.URL, v)
			return nil
		}
	}})

	register(&command{name: "regions import", usage: "FILE...", summary: "load administrative divisions: GeoJSON boundaries (features with adcode/code and name) or a CSV/xlsx with code and name columns",
		flags: func(fs *flag.FlagSet) func(context.Context, *environment, []string) error {
			return func(ctx context.Context, env *environment, args []string) error {
				if len(args) == 0 {
					return backstop.Errorf(backstop.EINVALID, "give one or more files")
				}
				db, err := env.openStore(ctx)
				if err != nil {
					return err
				}
				defer db.Close()
				for _, path := range args {
					regions, err := readRegionFile(path)
					if err != nil {
						return fmt.Errorf("%s: %w", path, err)
					}
					res, err := db.ImportRegions(asCLI(ctx, "regions-import"), regions)
					if err != nil {
						return err
					}
					fmt.Fprintf(env.stdout, "%s: %d regions created, %d updated, %d unchanged\n", path, res.Created, res.Updated, res.Unchanged)
				}
				return nil
			}
		}})

	register(&command{name: "import households", usage: "FILE", summary: "import a household roster (csv or xlsx in the national person-list layout); all or nothing unless --skip-invalid",
		flags: func(fs *flag.FlagSet) func(context.Context, *environment, []string) error {
			dryRun := fs.Bool("dry-run", false, "check and count everything, write nothing")
			skip := fs.Bool("skip-invalid", false, "write the good rows and list the bad ones")
			progress := fs.Bool("progress", term.IsTerminal(int(os.Stderr.Fd())), "show a progress bar (default: when stderr is a terminal)")
			return func(ctx context.Context, env *environment, args []string) error {
				if len(args) != 1 {
					return backstop.Errorf(backstop.EINVALID, "give exactly one roster file")
				}
				db, err := env.openStore(ctx)
				if err != nil {
					return err
				}
				defer db.Close()
				opts := backstop.ImportOptions{FileName: filepath.Base(args[0]), DryRun: *dryRun, SkipInvalid: *skip}
				var bar *progressbar.ProgressBar
				if *progress {
					bar = progressbar.NewOptions64(-1, progressbar.OptionSetWriter(env.stderr), progressbar.OptionShowBytes(true),
						progressbar.OptionSetDescription("importing"), progressbar.OptionThrottle(200*time.Millisecond), progressbar.OptionClearOnFinish())
					opts.Progress = func(rows int, read, total int64) {
						if total > 0 {
							bar.ChangeMax64(total)
						}
						bar.Set64(read)
						bar.Describe(fmt.Sprintf("%d rows", rows))
					}
				}
				if os.Getenv("GOGC") == "" && os.Getenv("GOMEMLIMIT") == "" {
					// An import allocates fast around a small live heap: fewer
					// collections (a heap up to 5× the live one, held under
					// 1 GiB) cut its CPU time by a third on two cores.
					defer debug.SetGCPercent(debug.SetGCPercent(400))
					defer debug.SetMemoryLimit(debug.SetMemoryLimit(1 << 30))
				}
				start := time.Now()
				res, err := roster.Import(asCLI(ctx, "import"), db, args[0], opts)
				if bar != nil {
					bar.Finish()
				}
				// A file refused as a whole carries its problems in the error,
				// which is printed with them.
				if res != nil && len(res.Problems) > 0 && (err == nil || roster.RowsRefused(err)) {
					w := bufio.NewWriter(env.stderr)
					for _, p := range res.Problems {
						fmt.Fprintln(w, p.String())
					}
					if res.ProblemsTotal > len(res.Problems) {
						fmt.Fprintf(w, "… and %d more problems\n", res.ProblemsTotal-len(res.Problems))
					}
					w.Flush()
				}
				if err != nil {
					if res != nil && len(res.Problems) > 0 && roster.RowsRefused(err) {
						// Problems are printed above; say the outcome once.
						return backstop.Errorf(backstop.EINVALID, "%d row(s) have problems; nothing was written (use --skip-invalid to write the good rows)", res.InvalidRows)
					}
					return err
				}
				verb := "written"
				if res.DryRun {
					verb = "dry run, nothing written"
				}
				fmt.Fprintf(env.stdout, "%s: %d rows (%d invalid) in %s, %s\nhouseholds: %d created, %d updated, %d unchanged\npeople: %d created, %d updated, %d unchanged\n",
					res.FileName, res.Rows, res.InvalidRows, time.Since(start).Round(time.Millisecond), verb,
					res.HouseholdsCreated, res.HouseholdsUpdated, res.HouseholdsUnchanged, res.PeopleCreated, res.PeopleUpdated, res.PeopleUnchanged)
				return nil
			}
		}})

	register(&command{name: "export households", usage: "[FILE]", summary: "export the roster in the template layout (masked unless --reveal); to FILE or stdout",
		flags: func(fs *flag.FlagSet) func(context.Context, *environment, []string) error {
			format := fs.String("format", "", "csv or xlsx (default: from the file name, else csv)")
			region := fs.String("region", "", "only households inside this region code")
			groups := fs.String("group", "", "only these key groups, comma-separated (formerly_poor, monitored, dibao, tekun, disability, low_income, elderly_alone)")
			reveal := fs.Bool("reveal", false, "write ID numbers and phones unmasked (audited)")
			return func(ctx context.Context, env *environment, args []string) error {
				db, err := env.openStore(ctx)
				if err != nil {
					return err
				}
				defer db.Close()
				g, err := backstop.ParseGroups([]string{*groups})
				if err != nil {
					return err
				}
				f := backstop.HouseholdFilter{Groups: g}
				if *region != "" {
					if f.Region, err = backstop.NormalizeRegionCode(*region); err != nil {
						return err
					}
				}
				out := env.stdout
				if len(args) > 0 {
					if *format == "" && strings.HasSuffix(strings.ToLower(args[0]), ".xlsx") {
						*format = "xlsx"
					}
					file, err := os.Create(args[0])
					if err != nil {
						return err
					}
					defer file.Close()
					out = file
				}
				if *format == "" {
					*format = "csv"
				}
				n, err := roster.Export(asCLI(ctx, "export"), db, out, roster.ExportOptions{Format: *format, Filter: f, Reveal: *reveal})
				if err != nil {
					return err
				}
				fmt.Fprintf(env.stderr, "exported %d people\n", n)
				return nil
			}
		}})
}

// readRegionFile reads GeoJSON (by extension or content) or a code list.
func readRegionFile(path string) ([]*backstop.Region, error) {
	ext := strings.ToLower(filepath.Ext(path))
	if ext == ".geojson" || ext == ".json" {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		return geo.ReadRegionsGeoJSON(f)
	}
	return sheet.ReadRegions(path)
}
