package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/secuird/secuird/adapters/mail"
	"github.com/secuird/secuird/adapters/system"
	"github.com/secuird/secuird/core/message"
	"github.com/secuird/secuird/core/outbox"
)

const mailUsage = `Usage: secuird mail COMMAND

Commands:
  preview NAME [--format text|html]   render a template with sample data
  preview                             list the templates
  send-test --to ADDRESS              send a test message through the configured provider now
  outbox [list] [--status S] [--limit N] [--cursor C]
                                      list queued, sent and dead messages (newest first)
  outbox retry ID                     queue a dead message again

Run 'secuird mail COMMAND --help' for a command's flags.
`

// mailCommand runs `secuird mail ...` and returns the exit code.
func mailCommand(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "-help" || args[0] == "help" {
		fmt.Fprint(stderr, mailUsage)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	sub, rest := args[0], args[1:]
	run := func(fs *flag.FlagSet, f func(cfg Config, pos []string) error) int {
		fs.SetOutput(stderr)
		pos, err := parseInterleaved(fs, rest)
		if err != nil {
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
		if err := f(cfg, pos); err != nil {
			var u usageError
			if errors.As(err, &u) {
				fmt.Fprintf(stderr, "secuird mail %s: %v\n", sub, err)
				fs.Usage()
				return 2
			}
			fmt.Fprintf(stderr, "secuird mail %s: %v\n", sub, err)
			return 1
		}
		return 0
	}
	switch sub {
	case "preview":
		fs := flag.NewFlagSet("mail preview", flag.ContinueOnError)
		format := fs.String("format", "text", "text (subject and plain text) or html (the HTML part)")
		fs.Usage = func() {
			fmt.Fprintf(stderr, "Usage: secuird mail preview [NAME] [--format text|html]\n\nRenders a template with sample data and the configured brand (BRAND_*).\nWithout NAME, lists the templates. Templates: %s\n\nFlags:\n", strings.Join(message.Templates(), ", "))
			fs.PrintDefaults()
		}
		return run(fs, func(cfg Config, pos []string) error { return mailPreview(cfg, pos, *format, stdout) })
	case "send-test":
		fs := flag.NewFlagSet("mail send-test", flag.ContinueOnError)
		to := fs.String("to", "", "the address to send the test message to (required)")
		fs.Usage = func() {
			fmt.Fprintln(stderr, "Usage: secuird mail send-test --to ADDRESS\n\nRenders the test message and sends it at once through EMAIL_PROVIDER (and\nEMAIL_FALLBACK_PROVIDER), bypassing the outbox, and prints the provider's answer.\n\nFlags:")
			fs.PrintDefaults()
		}
		return run(fs, func(cfg Config, pos []string) error { return mailSendTest(cfg, *to, pos, stdout, stderr) })
	case "outbox":
		fs := flag.NewFlagSet("mail outbox", flag.ContinueOnError)
		status := fs.String("status", "", "list only pending, sent or dead messages")
		limit := fs.Int("limit", 50, "messages per page (1-200)")
		cursor := fs.String("cursor", "", "continue after a previous page (printed at its end)")
		fs.Usage = func() {
			fmt.Fprintln(stderr, "Usage: secuird mail outbox [list] [--status pending|sent|dead] [--limit N] [--cursor C]\n       secuird mail outbox retry ID\n\nShows the durable email outbox of DATABASE_URL (or the embedded SQLite file),\nor queues a dead message again. Message values (links) are never shown.\n\nFlags:")
			fs.PrintDefaults()
		}
		return run(fs, func(cfg Config, pos []string) error {
			return mailOutbox(cfg, pos, message.OutboxFilter{Status: message.Status(*status), Limit: *limit, Cursor: *cursor}, stdout, stderr)
		})
	default:
		fmt.Fprintf(stderr, "unknown mail command %q\n\n%s", sub, mailUsage)
		return 2
	}
}

// usageError is a command line mistake: exit code 2 and the usage.
type usageError struct{ msg string }

func (u usageError) Error() string { return u.msg }

// parseInterleaved parses flags that may come before, between or after the
// positional arguments (the flag package stops at the first positional),
// and returns the positionals.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

func mailPreview(cfg Config, pos []string, format string, stdout io.Writer) error {
	if len(pos) > 1 {
		return usageError{"give one template name"}
	}
	if format != "text" && format != "html" {
		return usageError{fmt.Sprintf("--format %q: use text or html", format)}
	}
	if len(pos) == 0 {
		for _, n := range message.Templates() {
			fmt.Fprintln(stdout, n)
		}
		return nil
	}
	m, ok := mail.Sample(pos[0])
	if !ok {
		return usageError{fmt.Sprintf("unknown template %q; templates: %s", pos[0], strings.Join(message.Templates(), ", "))}
	}
	r, err := newMailRenderer(cfg)
	if err != nil {
		return err
	}
	out, err := r.Render(m)
	if err != nil {
		return err
	}
	if format == "html" {
		_, err = io.WriteString(stdout, out.HTML)
		return err
	}
	_, err = fmt.Fprintf(stdout, "Subject: %s\n\n%s", out.Subject, out.Text)
	return err
}

func mailSendTest(cfg Config, to string, pos []string, stdout, stderr io.Writer) error {
	if len(pos) > 0 {
		return usageError{"unexpected argument " + pos[0]}
	}
	if !message.ValidAddress(to) {
		return usageError{"--to must be one plain email address"}
	}
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("invalid configuration:\n%w", err)
	}
	log := NewLogger(cfg, stderr)
	r, err := newMailRenderer(cfg)
	if err != nil {
		return err
	}
	sender, err := newMailSender(cfg, log)
	if err != nil {
		return err
	}
	m := message.Email{To: to, Template: message.TestMessage, Vars: map[string]string{}}
	if err := m.Check("mail.send-test"); err != nil {
		return err
	}
	out, err := r.Render(m)
	if err != nil {
		return err
	}
	var b [16]byte
	system.Random{}.Read(b[:])
	out.ID = fmt.Sprintf("test-%x", b[:8])
	ctx, cancel := context.WithTimeout(context.Background(), cfg.Email.Outbox.SendTimeout)
	defer cancel()
	pid, err := sender.Send(ctx, out)
	if err != nil {
		kind := "temporary: a retry may work"
		if message.IsPermanent(err) {
			kind = "permanent: check the provider's settings"
		}
		return fmt.Errorf("the %s provider did not take the message (%s): %w", cfg.Email.Provider, kind, err)
	}
	fmt.Fprintf(stdout, "test message sent to %s through %s (provider id %q)\n", to, cfg.Email.Provider, pid)
	return nil
}

func mailOutbox(cfg Config, pos []string, f message.OutboxFilter, stdout, stderr io.Writer) error {
	action := "list"
	if len(pos) > 0 {
		action, pos = pos[0], pos[1:]
	}
	switch action {
	case "list":
		if len(pos) > 0 {
			return usageError{"unexpected argument " + pos[0]}
		}
	case "retry":
		if len(pos) != 1 {
			return usageError{"retry takes one message ID"}
		}
	default:
		return usageError{fmt.Sprintf("unknown action %q: use list or retry ID", action)}
	}
	if f.Limit < 1 || f.Limit > 200 {
		return usageError{"--limit must be from 1 to 200"}
	}
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("invalid configuration:\n%w", err)
	}
	ctx := context.Background()
	s, err := openStore(ctx, cfg, NewLogger(cfg, stderr))
	if err != nil {
		return err
	}
	defer s.Close()
	if cfg.AutoMigrate {
		if err := s.Migrate(ctx); err != nil {
			return err
		}
	}
	svc := outbox.New(outboxPolicy(cfg), outbox.Deps{Store: s, Clock: system.Clock{}, Random: system.Random{}})
	if action == "retry" {
		q, err := svc.Retry(ctx, pos[0])
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "message %s (%s to %s) queued again; a running server sends it shortly\n", q.ID, q.Email.Template, q.Email.To)
		return nil
	}
	qs, next, err := svc.List(ctx, f)
	if err != nil {
		return err
	}
	counts, err := svc.Counts(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "pending %d, sent %d, dead %d\n\n", counts[message.StatusPending], counts[message.StatusSent], counts[message.StatusDead])
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTATUS\tTEMPLATE\tTO\tATTEMPTS\tCREATED\tLAST ERROR")
	for _, q := range qs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\n", q.ID, q.Status, q.Email.Template, q.Email.To, q.Attempts,
			q.CreatedAt.Format(time.RFC3339), truncate(q.LastError, 80))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if next != "" {
		fmt.Fprintf(stdout, "\nmore: secuird mail outbox --cursor %s\n", next)
	}
	return nil
}

// truncate shortens s to n characters for a table cell.
func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
