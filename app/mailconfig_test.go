package app

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/secuird/secuird/adapters/mail"
	"github.com/secuird/secuird/adapters/system"
	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/core/message"
	"github.com/secuird/secuird/core/outbox"
)

func TestEmailConfig(t *testing.T) {
	t.Parallel()
	t.Run("defaults to the console provider and the Secuird brand", func(t *testing.T) {
		c, err := Load(env(nil))
		if err != nil || c.Validate() != nil {
			t.Fatal(err, c.Validate())
		}
		if c.Email.Provider != ProviderConsole || c.Brand.Name != "Secuird" || c.Brand.PrimaryColor != "#2563eb" ||
			c.SenderName() != "Secuird" || c.SenderAddress() != "secuird@localhost" || !c.Email.Outbox.Worker {
			t.Fatalf("defaults %+v %+v", c.Email, c.Brand)
		}
		if c.MailFileDir() != filepath.Join("data", "mail") {
			t.Errorf("file dir %q", c.MailFileDir())
		}
	})
	t.Run("reads every setting", func(t *testing.T) {
		c, err := Load(env(map[string]string{
			"EMAIL_PROVIDER": "SMTP", "EMAIL_FALLBACK_PROVIDER": "sendgrid", "FROM_ADDRESS": "id@example.com",
			"EMAIL_FROM_NAME": "Acme Identity", "EMAIL_REPLY_TO": "help@example.com", "EMAIL_FILE_DIR": "/tmp/m",
			"SMTP_HOST": "smtp.example.com", "SMTP_PORT": "465", "SMTP_USERNAME": "u", "SMTP_PASSWORD": " p w ",
			"SMTP_AUTH": "login", "SMTP_TIMEOUT": "10s",
			"SENDGRID_API_KEY": "SG.x", "SENDGRID_API_BASE": "eu",
			"EMAIL_OUTBOX_WORKER": "false", "EMAIL_OUTBOX_POLL_INTERVAL": "5s", "EMAIL_SEND_TIMEOUT": "20s",
			"EMAIL_OUTBOX_MAX_ATTEMPTS": "4", "EMAIL_OUTBOX_BATCH": "25", "EMAIL_OUTBOX_RETENTION": "48h",
			"BRAND_NAME": "Acme", "BRAND_LOGO_URL": "https://cdn.example.com/l.png", "BRAND_PRIMARY_COLOR": "#f60",
			"BRAND_SUPPORT_EMAIL": "support@example.com",
		}))
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Validate(); err != nil {
			t.Fatal(err)
		}
		e := c.Email
		if e.Provider != "smtp" || e.Fallback != "sendgrid" || e.FromAddress != "id@example.com" || c.SenderName() != "Acme Identity" ||
			e.SMTP.Password != " p w " || e.SMTPTLS() != "tls" || e.SMTP.Auth != "login" || e.SMTP.Timeout != 10*time.Second ||
			e.Outbox.Worker || e.Outbox.PollInterval != 5*time.Second || e.Outbox.MaxAttempts != 4 || e.Outbox.Batch != 25 ||
			c.Brand.Name != "Acme" || c.MailFileDir() != "/tmp/m" {
			t.Fatalf("loaded %+v %+v", e, c.Brand)
		}
	})
	t.Run("keeps the previous system's switches", func(t *testing.T) {
		for _, tc := range []struct {
			vars    map[string]string
			want    string
			wantTLS string
		}{
			{map[string]string{"EMAIL_PROVIDER": "log"}, ProviderConsole, "starttls"},
			{map[string]string{"EMAIL_PROVIDER": "mailgun", "EMAIL_ENABLED": "false"}, ProviderConsole, "starttls"},
			{map[string]string{"SMTP_USE_TLS": "false"}, ProviderConsole, "none"},
			{map[string]string{"SMTP_PORT": "1025"}, ProviderConsole, "none"},
			{map[string]string{"SMTP_PORT": "465"}, ProviderConsole, "tls"},
		} {
			c, err := Load(env(tc.vars))
			if err != nil || c.Email.Provider != tc.want || c.Email.SMTPTLS() != tc.wantTLS {
				t.Errorf("%v: provider %q, tls %q (%v)", tc.vars, c.Email.Provider, c.Email.SMTPTLS(), err)
			}
		}
	})
	t.Run("names every missing setting at once", func(t *testing.T) {
		for _, tc := range []struct {
			vars map[string]string
			want []string
		}{
			{map[string]string{"EMAIL_PROVIDER": "smtp"}, []string{"SMTP_HOST", "EMAIL_FROM_ADDRESS"}},
			{map[string]string{"EMAIL_PROVIDER": "mailgun"}, []string{"MAILGUN_API_KEY", "MAILGUN_DOMAIN", "EMAIL_FROM_ADDRESS"}},
			{map[string]string{"EMAIL_PROVIDER": "sendgrid", "EMAIL_FROM_ADDRESS": "a@example.com"}, []string{"SENDGRID_API_KEY"}},
			{map[string]string{"EMAIL_PROVIDER": "file", "EMAIL_FALLBACK_PROVIDER": "mailgun"}, []string{"MAILGUN_API_KEY", "MAILGUN_DOMAIN", "EMAIL_FROM_ADDRESS"}},
			{map[string]string{"EMAIL_PROVIDER": "smtp", "SMTP_HOST": "h", "EMAIL_FROM_ADDRESS": "a@example.com", "SMTP_USERNAME": "u"}, []string{"SMTP_PASSWORD"}},
		} {
			c, _ := Load(env(tc.vars))
			err := c.Validate()
			if err == nil {
				t.Errorf("%v: accepted", tc.vars)
				continue
			}
			for _, name := range tc.want {
				if !strings.Contains(err.Error(), name) {
					t.Errorf("%v: %s not named in %v", tc.vars, name, err)
				}
			}
		}
	})
	bad := []struct{ name, key, value string }{
		{"unknown provider", "EMAIL_PROVIDER", "pigeon"},
		{"unknown fallback", "EMAIL_FALLBACK_PROVIDER", "pigeon"},
		{"fallback equal to the provider", "EMAIL_FALLBACK_PROVIDER", "console"},
		{"sender with a display name", "EMAIL_FROM_ADDRESS", "Me <me@example.com>"},
		{"malformed reply-to", "EMAIL_REPLY_TO", "nobody"},
		{"port out of range", "SMTP_PORT", "70000"},
		{"unknown TLS mode", "SMTP_TLS", "ssl3"},
		{"unknown AUTH mechanism", "SMTP_AUTH", "cram-md5"},
		{"relative Mailgun base", "MAILGUN_API_BASE", "api.mailgun.net"},
		{"zero attempts", "EMAIL_OUTBOX_MAX_ATTEMPTS", "0"},
		{"colour that is not hex", "BRAND_PRIMARY_COLOR", "red;background:url(x)"},
		{"logo that is not a URL", "BRAND_LOGO_URL", "javascript:alert(1)"},
		{"malformed support address", "BRAND_SUPPORT_EMAIL", "help"},
		{"non-numeric batch", "EMAIL_OUTBOX_BATCH", "many"},
		{"negative poll interval", "EMAIL_OUTBOX_POLL_INTERVAL", "-1s"},
	}
	for _, b := range bad {
		t.Run("rejects "+b.name, func(t *testing.T) {
			c, err := Load(env(map[string]string{b.key: b.value}))
			if err == nil {
				err = c.Validate()
			}
			if err == nil || !strings.Contains(err.Error(), b.key) {
				t.Fatalf("%s=%q: %v", b.key, b.value, err)
			}
		})
	}
	t.Run("production may run on the console provider, with a warning", func(t *testing.T) {
		c, _ := Load(env(map[string]string{
			"SECUIRD_ENV": "production", "SECUIRD_PUBLIC_URL": "https://id.example.com",
			"SECRET_KEY": strings.Repeat("s", 40), "ENCRYPTION_KEY": strings.Repeat("e", 40),
		}))
		if err := c.Validate(); err != nil {
			t.Fatal(err)
		}
	})
}

func TestMailProviderFactory(t *testing.T) {
	t.Parallel()
	base := func(vars map[string]string) Config {
		vars["SECUIRD_DATA_DIR"] = t.TempDir()
		c, err := Load(env(vars))
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Validate(); err != nil {
			t.Fatal(err)
		}
		return c
	}
	log := slog.New(slog.DiscardHandler)
	for _, tc := range []struct {
		name string
		vars map[string]string
		want string
	}{
		{"console", map[string]string{}, "*mail.Console"},
		{"file", map[string]string{"EMAIL_PROVIDER": "file"}, "*mail.File"},
		{"smtp", map[string]string{"EMAIL_PROVIDER": "smtp", "SMTP_HOST": "smtp.example.com", "EMAIL_FROM_ADDRESS": "id@example.com"}, "*mail.SMTP"},
		{"mailgun in the EU", map[string]string{"EMAIL_PROVIDER": "mailgun", "MAILGUN_API_KEY": "k", "MAILGUN_DOMAIN": "mg.example.com", "MAILGUN_API_BASE": "eu", "EMAIL_FROM_ADDRESS": "id@example.com"}, "*mail.Mailgun"},
		{"sendgrid", map[string]string{"EMAIL_PROVIDER": "sendgrid", "SENDGRID_API_KEY": "k", "EMAIL_FROM_ADDRESS": "id@example.com"}, "*mail.SendGrid"},
		{"a fallback", map[string]string{"EMAIL_PROVIDER": "sendgrid", "SENDGRID_API_KEY": "k", "EMAIL_FROM_ADDRESS": "id@example.com", "EMAIL_FALLBACK_PROVIDER": "file"}, "*mail.Fallback"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := newMailSender(base(tc.vars), log)
			if err != nil {
				t.Fatal(err)
			}
			if got := typeName(s); got != tc.want {
				t.Fatalf("built %s, want %s", got, tc.want)
			}
			if g, ok := s.(*mail.Mailgun); ok && !strings.Contains(g.String(), mail.MailgunEU) {
				t.Errorf("mailgun base: %s", g.String())
			}
		})
	}
}

func typeName(v any) string { return fmt.Sprintf("%T", v) }

func TestMailCommands(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	vars := map[string]string{"SECUIRD_ENV": "test", "SECUIRD_DATA_DIR": dir}
	run := func(extra map[string]string, args ...string) (int, string, string) {
		all := map[string]string{}
		for k, v := range vars {
			all[k] = v
		}
		for k, v := range extra {
			all[k] = v
		}
		var out, errb bytes.Buffer
		code := Main(args, env(all), &out, &errb)
		return code, out.String(), errb.String()
	}
	t.Run("mail --help lists the subcommands", func(t *testing.T) {
		code, _, errOut := run(nil, "mail", "--help")
		for _, c := range []string{"preview", "send-test", "outbox", "retry"} {
			if !strings.Contains(errOut, c) {
				t.Errorf("help lacks %q", c)
			}
		}
		if code != 0 {
			t.Fatalf("exit %d", code)
		}
		if code, _, _ := run(nil, "mail"); code != 2 {
			t.Fatalf("bare mail: exit %d, want 2", code)
		}
		if code, _, _ := run(nil, "--help"); code != 0 {
			t.Fatal("top-level help failed")
		}
		if _, out, _ := run(nil, "--help"); !strings.Contains(out, "mail preview") {
			t.Error("top-level help does not mention mail")
		}
	})
	t.Run("each mail command has --help", func(t *testing.T) {
		for _, c := range []string{"preview", "send-test", "outbox"} {
			code, _, errOut := run(nil, "mail", c, "--help")
			if code != 0 || !strings.Contains(errOut, "Usage: secuird mail "+c) {
				t.Errorf("mail %s --help: exit %d, %q", c, code, errOut)
			}
		}
	})
	t.Run("preview lists and renders every template", func(t *testing.T) {
		code, out, _ := run(nil, "mail", "preview")
		if code != 0 || strings.Count(out, "\n") != len(message.Templates()) {
			t.Fatalf("list: exit %d, %q", code, out)
		}
		for _, name := range message.Templates() {
			code, out, e := run(nil, "mail", "preview", name)
			if code != 0 || !strings.HasPrefix(out, "Subject: ") {
				t.Errorf("preview %s: exit %d, %q %q", name, code, out, e)
			}
			code, out, _ = run(nil, "mail", "preview", "--format", "html", name)
			if code != 0 || !strings.HasPrefix(out, "<!DOCTYPE html>") {
				t.Errorf("preview --format html %s: exit %d", name, code)
			}
		}
		code, out, _ = run(map[string]string{"BRAND_NAME": "Acme ID"}, "mail", "preview", "org_invite", "--format", "html")
		if code != 0 || !strings.Contains(out, "Acme ID") || strings.Contains(out, "Secuird") {
			t.Errorf("branded preview: exit %d", code)
		}
	})
	t.Run("preview refuses what it does not know", func(t *testing.T) {
		if code, _, e := run(nil, "mail", "preview", "nope"); code != 2 || !strings.Contains(e, "unknown template") {
			t.Errorf("unknown template: exit %d, %q", code, e)
		}
		if code, _, _ := run(nil, "mail", "preview", "verify_email", "--format", "pdf"); code != 2 {
			t.Errorf("unknown format: exit %d", code)
		}
		if code, _, e := run(nil, "mail", "frobnicate"); code != 2 || !strings.Contains(e, "unknown mail command") {
			t.Errorf("unknown subcommand: exit %d, %q", code, e)
		}
	})
	t.Run("send-test sends through the configured provider", func(t *testing.T) {
		mailDir := filepath.Join(dir, "sent")
		code, out, e := run(map[string]string{"EMAIL_PROVIDER": "file", "EMAIL_FILE_DIR": mailDir}, "mail", "send-test", "--to", "ops@example.com")
		if code != 0 || !strings.Contains(out, "test message sent to ops@example.com") {
			t.Fatalf("exit %d, %q %q", code, out, e)
		}
		files, _ := filepath.Glob(filepath.Join(mailDir, "*.eml"))
		if len(files) != 1 {
			t.Fatalf("%d .eml files", len(files))
		}
		b, _ := os.ReadFile(files[0])
		if !strings.Contains(string(b), "Subject: Secuird test message") || !strings.Contains(string(b), "To: <ops@example.com>") {
			t.Errorf("file:\n%s", b)
		}
		if code, _, _ := run(nil, "mail", "send-test"); code != 2 {
			t.Errorf("without --to: exit %d, want 2", code)
		}
		if code, _, _ := run(nil, "mail", "send-test", "--to", "Eve <eve@example.com>\r\nBcc: x@example.com"); code != 2 {
			t.Errorf("with an injected address: exit %d, want 2", code)
		}
		code, _, e = run(map[string]string{"EMAIL_PROVIDER": "smtp"}, "mail", "send-test", "--to", "ops@example.com")
		if code == 0 || !strings.Contains(e, "SMTP_HOST") || !strings.Contains(e, "EMAIL_FROM_ADDRESS") {
			t.Errorf("missing SMTP settings: exit %d, %q", code, e)
		}
		code, _, e = run(map[string]string{"EMAIL_PROVIDER": "smtp", "SMTP_HOST": "127.0.0.1", "SMTP_PORT": "1", "EMAIL_FROM_ADDRESS": "id@example.com", "SMTP_TIMEOUT": "2s"},
			"mail", "send-test", "--to", "ops@example.com")
		if code != 1 || !strings.Contains(e, "temporary") {
			t.Errorf("unreachable server: exit %d, %q", code, e)
		}
	})
	t.Run("outbox lists and retries", func(t *testing.T) {
		code, out, e := run(nil, "mail", "outbox")
		if code != 0 || !strings.Contains(out, "pending 0, sent 0, dead 0") {
			t.Fatalf("empty outbox: exit %d, %q %q", code, out, e)
		}
		id := deadMessage(t, dir)
		code, out, _ = run(nil, "mail", "outbox", "list", "--status", "dead")
		if code != 0 || !strings.Contains(out, id) || !strings.Contains(out, "dead") || !strings.Contains(out, "refused") || strings.Contains(out, "token=") {
			t.Fatalf("dead listing: exit %d, %q", code, out)
		}
		code, out, _ = run(nil, "mail", "outbox", "retry", id)
		if code != 0 || !strings.Contains(out, "queued again") {
			t.Fatalf("retry: exit %d, %q", code, out)
		}
		if _, out, _ = run(nil, "mail", "outbox", "--status", "pending"); !strings.Contains(out, id) {
			t.Fatalf("retried message not pending: %q", out)
		}
		if code, _, e := run(nil, "mail", "outbox", "retry", "no-such-id"); code != 1 || !strings.Contains(e, "not found") {
			t.Errorf("retry of an unknown ID: exit %d, %q", code, e)
		}
		if code, _, _ := run(nil, "mail", "outbox", "retry"); code != 2 {
			t.Errorf("retry without an ID: exit %d, want 2", code)
		}
		if code, _, _ := run(nil, "mail", "outbox", "shred"); code != 2 {
			t.Errorf("unknown action: exit %d, want 2", code)
		}
		if code, _, _ := run(nil, "mail", "outbox", "--status", "lost"); code != 1 {
			t.Errorf("unknown status: exit %d, want 1", code)
		}
	})
}

// refusing is a provider that refuses every message for good.
type refusing struct{}

func (refusing) Send(context.Context, message.Rendered) (string, error) {
	return "", fault.E("test", fault.Invalid, "recipient refused")
}

// deadMessage queues a message in the data dir's database and lets a
// refusing provider kill it; it returns the message's ID.
func deadMessage(t *testing.T, dir string) string {
	t.Helper()
	cfg, _ := Load(env(map[string]string{"SECUIRD_ENV": "test", "SECUIRD_DATA_DIR": dir}))
	s, err := openStore(t.Context(), cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	r, err := newMailRenderer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	svc := outbox.New(outbox.Policy{}, outbox.Deps{Store: s, Renderer: r, Sender: refusing{}, Clock: system.Clock{}, Random: system.Random{}})
	m, _ := mail.Sample(message.VerifyEmail)
	if err := svc.Enqueue(t.Context(), m); err != nil {
		t.Fatal(err)
	}
	res, err := svc.Deliver(t.Context())
	if err != nil || len(res) != 1 || res[0].Outcome != outbox.Dead {
		t.Fatalf("Deliver = %+v, %v", res, err)
	}
	return res[0].ID
}
