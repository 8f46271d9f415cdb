package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"golang.org/x/term"

	"github.com/zhangye-backstop/backstop"
)

func init() {
	register(&command{name: "user add", usage: "NAME", summary: "create a user with a role and a region scope; password from BACKSTOP_USER_PASSWORD or a prompt",
		flags: func(fs *flag.FlagSet) func(context.Context, *environment, []string) error {
			role := fs.String("role", "", "admin, city, county, township, village, department or auditor")
			region := fs.String("region", "", "region code of the user's scope (000000000000 for national admins)")
			display := fs.String("display-name", "", "the name shown in the UI")
			return func(ctx context.Context, env *environment, args []string) error {
				if len(args) != 1 {
					return backstop.Errorf(backstop.EINVALID, "give the user's name")
				}
				r, err := backstop.ParseRole(*role)
				if err != nil {
					return err
				}
				password := os.Getenv("BACKSTOP_USER_PASSWORD")
				if password == "" {
					if password, err = promptPassword(env, "password for "+args[0]+": "); err != nil {
						return err
					}
				}
				db, err := env.openStore(ctx)
				if err != nil {
					return err
				}
				defer db.Close()
				u := &backstop.User{Name: args[0], Role: r, Region: *region, DisplayName: *display}
				if err := db.CreateUser(asCLI(ctx, "user-add"), u, password); err != nil {
					return err
				}
				fmt.Fprintf(env.stdout, "user %s created: role %s, region %s\n", u.Name, u.Role, u.Region)
				return nil
			}
		}})

	register(&command{name: "user list", summary: "list users (name, role, region, status)",
		flags: func(fs *flag.FlagSet) func(context.Context, *environment, []string) error {
			region := fs.String("region", "", "only users whose scope lies inside this region code")
			role := fs.String("role", "", "only users of this role")
			return func(ctx context.Context, env *environment, args []string) error {
				db, err := env.openStore(ctx)
				if err != nil {
					return err
				}
				defer db.Close()
				f := backstop.UserFilter{Region: *region, Role: backstop.Role(*role), Limit: 1000}
				w := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(w, "NAME\tDISPLAY NAME\tROLE\tREGION\tSTATUS\tCREATED")
				for {
					users, total, err := db.FindUsers(asCLI(ctx, "user-list"), f)
					if err != nil {
						return err
					}
					for _, u := range users {
						status := "active"
						if u.Disabled {
							status = "disabled"
						}
						fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", u.Name, u.DisplayName, u.Role, u.Region, status, u.CreatedAt.In(backstop.Beijing).Format("2006-01-02"))
					}
					f.Offset += len(users)
					if len(users) == 0 || f.Offset >= total {
						break
					}
				}
				return w.Flush()
			}
		}})

	register(&command{name: "user password", usage: "NAME", summary: "reset a user's password (from BACKSTOP_USER_PASSWORD or a prompt); its sessions end and its tokens are revoked",
		flags: func(fs *flag.FlagSet) func(context.Context, *environment, []string) error {
			return func(ctx context.Context, env *environment, args []string) error {
				if len(args) != 1 {
					return backstop.Errorf(backstop.EINVALID, "give the user's name")
				}
				password := os.Getenv("BACKSTOP_USER_PASSWORD")
				if password == "" {
					var err error
					if password, err = promptPassword(env, "new password for "+args[0]+": "); err != nil {
						return err
					}
				}
				db, err := env.openStore(ctx)
				if err != nil {
					return err
				}
				defer db.Close()
				if err := db.SetPassword(asCLI(ctx, "user-password"), args[0], "", password); err != nil {
					return err
				}
				fmt.Fprintf(env.stdout, "password of %s reset; its sessions ended and its tokens were revoked\n", args[0])
				return nil
			}
		}})

	for _, disable := range []bool{true, false} {
		name, summary := "user enable", "enable a disabled user again (its old tokens stay revoked)"
		if disable {
			name, summary = "user disable", "disable a user: its sessions end and its tokens are revoked"
		}
		register(&command{name: name, usage: "NAME", summary: summary,
			flags: func(fs *flag.FlagSet) func(context.Context, *environment, []string) error {
				return func(ctx context.Context, env *environment, args []string) error {
					if len(args) != 1 {
						return backstop.Errorf(backstop.EINVALID, "give the user's name")
					}
					db, err := env.openStore(ctx)
					if err != nil {
						return err
					}
					defer db.Close()
					cli := asCLI(ctx, strings.ReplaceAll(name, " ", "-"))
					u, err := db.FindUser(cli, args[0])
					if err != nil {
						return err
					}
					u.Disabled = disable
					if err := db.UpdateUser(cli, u); err != nil {
						return err
					}
					state := "enabled"
					if disable {
						state = "disabled"
					}
					fmt.Fprintf(env.stdout, "user %s %s\n", u.Name, state)
					return nil
				}
			}})
	}

	register(&command{name: "token create", summary: "print a new bearer token for a user's API clients (shown once); every token expires",
		flags: func(fs *flag.FlagSet) func(context.Context, *environment, []string) error {
			user := fs.String("user", "", "the user the token acts as")
			name := fs.String("name", "cli", "a label for the token")
			ttl := fs.Duration("ttl", backstop.DefaultTokenTTL, "lifetime, 1h to 8760h (a year)")
			return func(ctx context.Context, env *environment, args []string) error {
				if *user == "" {
					return backstop.Errorf(backstop.EINVALID, "--user is required")
				}
				if *ttl <= 0 {
					return backstop.Errorf(backstop.EINVALID, "--ttl must be 1h to 8760h (a year), not %s: every token expires", *ttl)
				}
				db, err := env.openStore(ctx)
				if err != nil {
					return err
				}
				defer db.Close()
				secret, tok, err := db.CreateToken(asCLI(ctx, "token-create"), *user, *name, *ttl)
				if err != nil {
					return err
				}
				fmt.Fprintln(env.stdout, secret)
				fmt.Fprintf(env.stderr, "token %d for %s expires %s\n", tok.ID, *user, tok.ExpiresAt.In(backstop.Beijing).Format("2006-01-02 15:04"))
				return nil
			}
		}})

	register(&command{name: "token list", summary: "list a user's API tokens: id, name, dates, state (never the secrets)",
		flags: func(fs *flag.FlagSet) func(context.Context, *environment, []string) error {
			user := fs.String("user", "", "whose tokens")
			return func(ctx context.Context, env *environment, args []string) error {
				if *user == "" {
					return backstop.Errorf(backstop.EINVALID, "--user is required")
				}
				db, err := env.openStore(ctx)
				if err != nil {
					return err
				}
				defer db.Close()
				w := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(w, "ID\tNAME\tCREATED\tEXPIRES\tLAST USED\tSTATE")
				now := time.Now()
				for offset := 0; ; {
					items, total, err := db.FindTokens(asCLI(ctx, "token-list"), *user, 1000, offset)
					if err != nil {
						return err
					}
					for _, t := range items {
						state := "active"
						if !t.Active(now) {
							state = "expired"
						}
						fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.Name, cliTime(&t.CreatedAt), cliTime(t.ExpiresAt), cliTime(t.LastUsed), state)
					}
					offset += len(items)
					if len(items) == 0 || offset >= total {
						break
					}
				}
				return w.Flush()
			}
		}})

	register(&command{name: "token revoke", usage: "ID", summary: "revoke one of a user's API tokens at once",
		flags: func(fs *flag.FlagSet) func(context.Context, *environment, []string) error {
			user := fs.String("user", "", "whose token")
			return func(ctx context.Context, env *environment, args []string) error {
				if *user == "" {
					return backstop.Errorf(backstop.EINVALID, "--user is required")
				}
				if len(args) != 1 {
					return backstop.Errorf(backstop.EINVALID, "give the token's id (see backstop token list --user %s)", *user)
				}
				id, err := strconv.ParseInt(args[0], 10, 64)
				if err != nil || id <= 0 {
					return backstop.Errorf(backstop.EINVALID, "token id must be a positive number, not %q", args[0])
				}
				db, err := env.openStore(ctx)
				if err != nil {
					return err
				}
				defer db.Close()
				if err := db.RevokeToken(asCLI(ctx, "token-revoke"), *user, id); err != nil {
					return err
				}
				fmt.Fprintf(env.stdout, "token %d of %s revoked\n", id, *user)
				return nil
			}
		}})
}

// cliTime prints a time in Beijing time, or "-".
func cliTime(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.In(backstop.Beijing).Format("2006-01-02 15:04")
}

func promptPassword(env *environment, prompt string) (string, error) {
	fd := int(os.Stdin.Fd())
	if term.IsTerminal(fd) {
		fmt.Fprint(env.stderr, prompt)
		b, err := term.ReadPassword(fd)
		fmt.Fprintln(env.stderr)
		return string(b), err
	}
	line, err := bufio.NewReader(os.Stdin).ReadString('\n')
	if err != nil && line == "" {
		return "", backstop.Errorf(backstop.EINVALID, "no password: set BACKSTOP_USER_PASSWORD or type it at the prompt")
	}
	return strings.TrimRight(line, "\r\n"), nil
}
