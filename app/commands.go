package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"
)

const usage = `Secuird: a self-hostable OpenID Connect identity provider.

Usage:
  secuird [command] [flags]

Commands:
  serve            run the server (the default)
  migrate up       apply pending database migrations
  migrate down     roll back the last migration group
  migrate status   list migrations and whether they are applied
  seed             create the development accounts (idempotent)
  keys list        list the OIDC signing keys; keys rotate; keys retire KID
  mail preview     render an email template with sample data
  mail send-test   send a test message through the configured provider
  mail outbox      list the email outbox, or retry a dead message
  audit verify     check the audit trail's hash chains (exit 1 when tampered)
  admin grant      make an account a platform admin: admin grant EMAIL
  admin revoke     take the platform-admin flag away: admin revoke EMAIL
  mfa run-compliance-job  run the MFA compliance job once
  version          print the version

Every setting comes from the environment; see README.md. Run
'secuird COMMAND --help' for a command's flags.
`

// Main runs the command line and returns the process exit code.
func Main(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	cmd, rest := "serve", args
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		cmd, rest = args[0], args[1:]
	}
	if cmd == "help" || (len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "-help")) {
		fmt.Fprint(stdout, usage)
		return 0
	}
	run := func(fs *flag.FlagSet, f func(cfg Config) error) int {
		fs.SetOutput(stderr)
		if err := fs.Parse(rest); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return 0
			}
			return 2
		}
		cfg, err := Load(getenv)
		if err != nil {
			fmt.Fprintf(stderr, "invalid configuration:\n%v\n", err)
			return 2
		}
		if err := f(cfg); err != nil {
			fmt.Fprintf(stderr, "secuird %s: %v\n", cmd, err)
			return 1
		}
		return 0
	}
	switch cmd {
	case "serve":
		fs := flag.NewFlagSet("serve", flag.ContinueOnError)
		fs.Usage = func() {
			fmt.Fprintln(stderr, "Usage: secuird serve\n\nRuns the server on SECUIRD_ADDR (default :8080) until SIGINT or SIGTERM.")
		}
		return run(fs, func(cfg Config) error { return serve(cfg, stderr) })
	case "migrate":
		fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
		fs.Usage = func() {
			fmt.Fprintln(stderr, "Usage: secuird migrate up|down|status\n\nManages the schema of DATABASE_URL (or the embedded SQLite file).")
		}
		return run(fs, func(cfg Config) error { return migrate(cfg, fs.Arg(0), stdout, stderr) })
	case "seed":
		fs := flag.NewFlagSet("seed", flag.ContinueOnError)
		fs.Usage = func() {
			fmt.Fprintln(stderr, "Usage: secuird seed\n\nCreates the development accounts; existing ones are skipped.")
		}
		return run(fs, func(cfg Config) error { return seed(cfg, stdout, stderr) })
	case "mail":
		return mailCommand(rest, getenv, stdout, stderr)
	case "audit":
		return auditCommand(rest, getenv, stdout, stderr)
	case "admin":
		return adminCommand(rest, getenv, stdout, stderr)
	case "mfa":
		return mfaCommand(rest, getenv, stdout, stderr)
	case "keys":
		fs := flag.NewFlagSet("keys", flag.ContinueOnError)
		fs.Usage = func() {
			fmt.Fprintln(stderr, "Usage: secuird keys list|rotate|retire KID\n\nManages the OIDC signing keys: rotate activates the published next key\n(the active one keeps verifying while it retires); retire drops a retiring key.")
		}
		return run(fs, func(cfg Config) error { return keysCommand(cfg, fs.Args(), stdout, stderr) })
	case "version":
		fs := flag.NewFlagSet("version", flag.ContinueOnError)
		fs.Usage = func() { fmt.Fprintln(stderr, "Usage: secuird version") }
		return run(fs, func(Config) error { fmt.Fprintln(stdout, "secuird", Version); return nil })
	default:
		fmt.Fprintf(stderr, "unknown command %q\n\n%s", cmd, usage)
		return 2
	}
}

func serve(cfg Config, stderr io.Writer) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	start := time.Now()
	a, err := New(ctx, cfg, WithLogger(NewLogger(cfg, stderr)))
	if err != nil {
		return err
	}
	defer a.Close()
	a.log.Info("started", "startup_ms", time.Since(start).Milliseconds())
	return a.Run(ctx)
}

func migrate(cfg Config, action string, stdout, stderr io.Writer) error {
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("invalid configuration:\n%w", err)
	}
	ctx := context.Background()
	s, err := openStore(ctx, cfg, NewLogger(cfg, stderr))
	if err != nil {
		return err
	}
	defer s.Close()
	switch action {
	case "up", "":
		if err := s.Migrate(ctx); err != nil {
			return err
		}
		fmt.Fprintln(stdout, "migrations applied")
	case "down":
		if err := s.MigrateDown(ctx); err != nil {
			return err
		}
		fmt.Fprintln(stdout, "last migration group rolled back")
	case "status":
		st, err := s.MigrationStatus(ctx)
		if err != nil {
			return err
		}
		for _, m := range st {
			state := "pending"
			if m.Applied {
				state = "applied"
			}
			fmt.Fprintf(stdout, "%-40s %s\n", m.Name, state)
		}
	default:
		return fmt.Errorf("unknown action %q: use up, down or status", action)
	}
	return nil
}

func seed(cfg Config, stdout, stderr io.Writer) error {
	ctx := context.Background()
	a, err := New(ctx, cfg, WithLogger(NewLogger(cfg, stderr)))
	if err != nil {
		return err
	}
	defer a.Close()
	return a.Seed(ctx, stdout)
}
