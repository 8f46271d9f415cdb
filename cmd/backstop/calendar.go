package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/workday"
)

func init() {
	register(&command{name: "calendar import", usage: "FILE",
		summary: "load China's holidays and make-up workdays (CSV date,kind,name) for the years the file covers, replacing those years",
		flags: func(fs *flag.FlagSet) func(context.Context, *environment, []string) error {
			return func(ctx context.Context, env *environment, args []string) error {
				if len(args) != 1 {
					return backstop.Errorf(backstop.EINVALID, "give one calendar file (CSV with the header date,kind,name)")
				}
				f, err := os.Open(args[0])
				if err != nil {
					return backstop.Errorf(backstop.EINVALID, "cannot open %s: %v", args[0], errors.Unwrap(err))
				}
				defer f.Close()
				db, err := env.openStore(ctx)
				if err != nil {
					return err
				}
				defer db.Close()
				svc := &workday.Service{Store: db}
				if err := svc.Load(ctx); err != nil {
					return err
				}
				res, err := svc.Import(asCLI(ctx, "calendar-import"), f, filepath.Base(args[0]))
				if err != nil {
					var be *backstop.Error
					if errors.As(err, &be) && len(be.Details) > 0 {
						fmt.Fprintf(env.stderr, "%s: refused:\n", args[0])
						for _, p := range be.Details {
							fmt.Fprintf(env.stderr, "  %s（%s）\n", p, p.ReasonZH)
						}
						return &backstop.Error{Code: be.Code, Message: be.Message, ZH: be.ZH}
					}
					return err
				}
				for _, y := range res.Years {
					fmt.Fprintf(env.stdout, "%d: %d rows (holiday %d, workday %d)", y.Year, y.Rows, y.Holidays, y.Workdays)
					if y.Replaced {
						fmt.Fprintf(env.stdout, ", replacing the calendar from %s", y.ReplacedSource)
					}
					fmt.Fprintln(env.stdout)
				}
				c, err := svc.Calendar()
				if err != nil {
					return err
				}
				fmt.Fprintf(env.stdout, "loaded years: %v\n", c.Years())
				return nil
			}
		}})

	register(&command{name: "calendar years", summary: "list the years whose working-day calendar is loaded, with their sources; say which are missing",
		flags: func(fs *flag.FlagSet) func(context.Context, *environment, []string) error {
			return func(ctx context.Context, env *environment, args []string) error {
				db, err := env.openStore(ctx)
				if err != nil {
					return err
				}
				defer db.Close()
				svc := &workday.Service{Store: db}
				if err := svc.Load(ctx); err != nil {
					return err
				}
				for _, y := range svc.Years() {
					fmt.Fprintf(env.stdout, "%d: %d rows (holiday %d, workday %d), loaded by %s at %s from %s\n", y.Year, y.Holidays+y.Workdays, y.Holidays, y.Workdays,
						y.LoadedBy, y.LoadedAt.In(backstop.Beijing).Format("2006-01-02 15:04"), y.Source)
				}
				for _, y := range svc.MissingYears(time.Now()) {
					fmt.Fprintf(env.stdout, "not loaded: %d — working days in it are counted Monday to Friday (provisional) until its notice is imported（%d 年节假日安排尚未导入，按周一至周五推算）\n", y, y)
				}
				return nil
			}
		}})
}
