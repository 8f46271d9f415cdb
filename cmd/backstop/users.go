package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
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

	register(&command{name: "token create", summary: "print a new bearer token for a user's API clients (shown once)",
		flags: func(fs *flag.FlagSet) func(context.Context, *environment, []string) error {
			user := fs.String("user", "", "the user the token acts as")
			name := fs.String("name", "cli", "a label for the token")
			ttl := fs.Duration("ttl", 0, "lifetime, e.g. 720h; 0 means no expiry")
			return func(ctx context.Context, env *environment, args []string) error {
				if *user == "" {
					return backstop.Errorf(backstop.EINVALID, "--user is required")
				}
				db, err := env.openStore(ctx)
				if err != nil {
					return err
				}
				defer db.Close()
				secret, _, err := db.CreateToken(asCLI(ctx, "token-create"), *user, *name, *ttl)
				if err != nil {
					return err
				}
				fmt.Fprintln(env.stdout, secret)
				return nil
			}
		}})
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

var _ = time.Second
