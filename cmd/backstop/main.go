// Command backstop runs the system that keeps disasters from pushing rural
// households back into poverty: the web UI and API server, and the
// commands that load and export its data. All configuration is here: flags
// and BACKSTOP_* environment variables.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/pprof"
	"sort"
	"strings"
	"syscall"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/sqlstore"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

// command is one subcommand.
type command struct {
	name    string // e.g. "import households"
	summary string
	usage   string // arguments after the flags
	flags   func(fs *flag.FlagSet) func(ctx context.Context, env *environment, args []string) error
}

// environment is what every command gets: its output streams and the
// common database options.
type environment struct {
	stdout, stderr io.Writer
	dataDir        string
	dbURL          string
	logger         *slog.Logger
}

// openStore opens and migrates the database the flags name.
func (e *environment) openStore(ctx context.Context) (*sqlstore.DB, error) {
	return sqlstore.Open(ctx, sqlstore.Options{URL: e.dbURL, DataDir: e.dataDir, Logger: e.logger})
}

var commands []*command

func register(c *command) { commands = append(commands, c) }

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run finds the command, parses its flags and runs it; it returns the
// process exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		if len(args) > 1 {
			if c, _ := find(args[1:]); c != nil {
				return run(ctx, append(strings.Fields(c.name), "-h"), stdout, stderr)
			}
		}
		printHelp(stdout)
		return 0
	}
	if args[0] == "version" || args[0] == "--version" {
		fmt.Fprintln(stdout, "backstop", version)
		return 0
	}
	c, rest := find(args)
	if c == nil {
		fmt.Fprintf(stderr, "backstop: unknown command %q\n\n", strings.Join(args[:min(2, len(args))], " "))
		printHelp(stderr)
		return 2
	}
	env := &environment{stdout: stdout, stderr: stderr}
	fs := flag.NewFlagSet("backstop "+c.name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&env.dataDir, "data", envOr("BACKSTOP_DATA", "./backstop-data"), "data directory: the SQLite database and uploads (env BACKSTOP_DATA)")
	fs.StringVar(&env.dbURL, "db", os.Getenv("BACKSTOP_DB"), "database URL: empty for SQLite in --data, or postgres://user@host/db (env BACKSTOP_DB)")
	logFormat := fs.String("log-format", envOr("BACKSTOP_LOG_FORMAT", "text"), "log format: text or json (env BACKSTOP_LOG_FORMAT)")
	runFn := c.flags(fs)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: backstop %s [flags] %s\n\n%s\n\nFlags:\n", c.name, c.usage, c.summary)
		fs.PrintDefaults()
	}
	positional, err := parseInterspersed(fs, rest)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	level := slog.LevelInfo
	if err := level.UnmarshalText([]byte(envOr("BACKSTOP_LOG_LEVEL", "info"))); err != nil {
		fmt.Fprintf(stderr, "backstop: BACKSTOP_LOG_LEVEL: %v\n", err)
		return 2
	}
	var handler slog.Handler = slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level})
	if *logFormat == "json" {
		handler = slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: level})
	}
	env.logger = slog.New(backstop.RedactingHandler(handler))
	if path := os.Getenv("BACKSTOP_CPUPROFILE"); path != "" {
		// For measuring: a CPU profile of the whole command.
		f, err := os.Create(path)
		if err == nil {
			pprof.StartCPUProfile(f)
			defer func() { pprof.StopCPUProfile(); f.Close() }()
		}
	}
	if err := runFn(ctx, env, positional); err != nil {
		printError(stderr, err)
		return 1
	}
	return 0
}

// parseInterspersed parses flags before, between and after positional
// arguments, so that "user add NAME --role ROLE" works as documented; "--"
// ends the flags.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return positional, nil
		}
		if args[0] == "--" {
			return append(positional, args[1:]...), nil
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
}

// printError shows a user the message and every located problem; internal
// errors show their text, since the operator of the CLI owns the machine.
func printError(w io.Writer, err error) {
	var be *backstop.Error
	if errors.As(err, &be) {
		fmt.Fprintln(w, "backstop:", be.Message)
		for _, p := range be.Details {
			fmt.Fprintln(w, "  "+p.String())
		}
		return
	}
	fmt.Fprintln(w, "backstop:", err)
}

// find matches the longest command name at the start of args.
func find(args []string) (*command, []string) {
	var best *command
	n := 0
	for _, c := range commands {
		words := strings.Fields(c.name)
		if len(words) > len(args) || len(words) <= n {
			continue
		}
		match := true
		for i, w := range words {
			if args[i] != w {
				match = false
			}
		}
		if match {
			best, n = c, len(words)
		}
	}
	if best == nil {
		return nil, nil
	}
	return best, args[n:]
}

func printHelp(w io.Writer) {
	fmt.Fprintf(w, "backstop %s — 因灾返贫防范平台: warn, find who is exposed, reach every vulnerable person,\nscreen, monitor, help and clear the risk of rural households after disasters.\n\nUsage: backstop COMMAND [flags] [args]\n\nCommands:\n", version)
	sorted := append([]*command(nil), commands...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].name < sorted[j].name })
	for _, c := range sorted {
		fmt.Fprintf(w, "  %-20s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, "\nEvery command takes --data DIR (default ./backstop-data) and --db URL (or BACKSTOP_DB).\nRun `backstop help COMMAND` or `backstop COMMAND -h` for its flags.\n")
}

// asCLI returns a context acting as the command-line operator.
func asCLI(ctx context.Context, name string) context.Context {
	return backstop.NewContextWithUser(ctx, backstop.CommandLineUser(name))
}
