package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/secuird/secuird/core/audit"
)

const adminUsage = `Usage: secuird admin grant|revoke EMAIL

Grants or revokes the platform-admin flag of the account with that email.
Platform admins see and manage every user (admin user management) and read
every organization's audit trail; organization roles are separate. No API
can set the flag: only this command, or the first account of a fresh
installation, gives it. Each change is audited (platform_admin.granted or
platform_admin.revoked).
`

// adminCommand runs `secuird admin grant|revoke EMAIL` and returns the exit
// code: 0 done (or nothing to change), 1 failed, 2 usage or configuration.
func adminCommand(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("admin", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, adminUsage) }
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() != 2 || (fs.Arg(0) != "grant" && fs.Arg(0) != "revoke") {
		fs.Usage()
		return 2
	}
	grant, email := fs.Arg(0) == "grant", fs.Arg(1)
	cfg, err := Load(getenv)
	if err != nil {
		fmt.Fprintf(stderr, "invalid configuration:\n%v\n", err)
		return 2
	}
	ctx := context.Background()
	a, err := New(ctx, cfg, WithLogger(NewLogger(cfg, stderr)))
	if err != nil {
		fmt.Fprintf(stderr, "secuird admin: %v\n", err)
		return 1
	}
	defer a.Close()
	u, changed, err := a.Admin.SetPlatformAdmin(ctx, email, grant, audit.Source{UserAgent: "secuird admin " + fs.Arg(0)})
	if err != nil {
		fmt.Fprintf(stderr, "secuird admin %s: %v\n", fs.Arg(0), err)
		return 1
	}
	switch {
	case !changed && grant:
		fmt.Fprintf(stdout, "%s is already a platform admin\n", u.Email)
	case !changed:
		fmt.Fprintf(stdout, "%s is not a platform admin\n", u.Email)
	case grant:
		fmt.Fprintf(stdout, "%s is now a platform admin\n", u.Email)
	default:
		fmt.Fprintf(stdout, "%s is no longer a platform admin\n", u.Email)
	}
	return 0
}
