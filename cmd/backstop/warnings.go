package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"sort"
	"strconv"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/alerting"
	"github.com/zhangye-backstop/backstop/exposure"
	"github.com/zhangye-backstop/backstop/sqlstore"
)

// warningTools builds what ingesting and exposure need in a CLI process.
func warningTools(ctx context.Context, env *environment, db *sqlstore.DB) (*alerting.Service, *exposure.Service, error) {
	exp := &exposure.Service{Store: db, Logger: env.logger}
	if err := exp.Load(ctx); err != nil {
		return nil, nil, err
	}
	return &alerting.Service{Store: db, Exposer: exp, Logger: env.logger, Sender: envOr("BACKSTOP_CAP_SENDER", "backstop.zhangye.gov.cn"), Region: envOr("BACKSTOP_CAP_REGION", "620700")}, exp, nil
}

func init() {
	register(&command{name: "warnings import", usage: "FILE...", summary: "import CAP 1.2/1.1 alerts from files; each is checked, stored and its exposure computed",
		flags: func(fs *flag.FlagSet) func(context.Context, *environment, []string) error {
			return func(ctx context.Context, env *environment, args []string) error {
				if len(args) == 0 {
					return backstop.Errorf(backstop.EINVALID, "give one or more CAP files")
				}
				db, err := env.openStore(ctx)
				if err != nil {
					return err
				}
				defer db.Close()
				alerts, _, err := warningTools(ctx, env, db)
				if err != nil {
					return err
				}
				ctx = asCLI(ctx, "warnings-import")
				failed := 0
				for _, path := range args {
					doc, err := os.ReadFile(path)
					if err != nil {
						return err
					}
					w, err := alerts.IngestCAP(ctx, doc, "cap")
					switch {
					case backstop.ErrorCode(err) == backstop.ECONFLICT && w != nil:
						fmt.Fprintf(env.stdout, "%s: already stored as warning %d\n", path, w.ID)
					case err != nil:
						failed++
						fmt.Fprintf(env.stderr, "%s: refused: %s\n", path, backstop.ErrorMessage(err))
						for _, p := range backstop.ErrorDetails(err) {
							fmt.Fprintln(env.stderr, "  "+p.String())
						}
					default:
						e, _ := db.FindExposure(ctx, w.ID)
						households, people := 0, 0
						if e != nil {
							households, people = e.Total.Households, e.Total.People
						}
						fmt.Fprintf(env.stdout, "%s: warning %d (%s %s %s, %s): %d households, %d people exposed\n", path, w.ID, w.MsgType, w.Hazard, w.Level, w.Status, households, people)
						for _, n := range w.Notes {
							fmt.Fprintln(env.stdout, "  note: "+n.String())
						}
					}
				}
				if failed > 0 {
					return errors.New(fmt.Sprint(failed, " of ", len(args), " files refused"))
				}
				return nil
			}
		}})

	register(&command{name: "exposure", usage: "WARNING_ID", summary: "compute and print who a warning reaches: households and people by county, township and key group",
		flags: func(fs *flag.FlagSet) func(context.Context, *environment, []string) error {
			return func(ctx context.Context, env *environment, args []string) error {
				if len(args) != 1 {
					return backstop.Errorf(backstop.EINVALID, "give a warning id")
				}
				id, err := strconv.ParseInt(args[0], 10, 64)
				if err != nil {
					return backstop.Errorf(backstop.EINVALID, "warning id %q is not a number", args[0])
				}
				db, err := env.openStore(ctx)
				if err != nil {
					return err
				}
				defer db.Close()
				_, exp, err := warningTools(ctx, env, db)
				if err != nil {
					return err
				}
				ctx = asCLI(ctx, "exposure")
				w, err := db.FindWarning(ctx, id)
				if err != nil {
					return err
				}
				if _, err := exp.Compute(ctx, w); err != nil {
					return err
				}
				e, err := db.FindExposure(ctx, id)
				if err != nil {
					return err
				}
				fmt.Fprintf(env.stdout, "warning %d: %s %s %s — %s\n", w.ID, w.Hazard, w.Level, w.State, w.Headline)
				fmt.Fprintf(env.stdout, "households %d, people %d (computed in %.2f ms at registry revision %d)\n", e.Total.Households, e.Total.People, e.TookMS, e.RegistryRev)
				groups := make([]string, 0, len(e.Total.Groups))
				for g := range e.Total.Groups {
					groups = append(groups, g)
				}
				sort.Strings(groups)
				for _, g := range groups {
					fmt.Fprintf(env.stdout, "  %-14s %d households, %d people\n", g, e.Total.Groups[g], e.Total.GroupPeople[g])
				}
				for _, c := range e.ByCounty {
					fmt.Fprintf(env.stdout, "%s %s: %d households, %d people\n", c.Code, c.Name, c.Households, c.People)
				}
				return nil
			}
		}})
}
