package app

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/secuird/secuird/adapters/mail"
	"github.com/secuird/secuird/adapters/system"
	"github.com/secuird/secuird/core/outbox"
	"github.com/secuird/secuird/ports"
	"github.com/secuird/secuird/web"
)

// WithMailSender replaces the configured email provider but keeps the
// durable outbox and its worker: messages are queued in the database and
// delivered by the worker that Serve runs. Tests plug in a mail.Recorder
// (or a failing provider) to exercise the real path; WithMailer, which
// bypasses the outbox altogether, wins over it.
func WithMailSender(s ports.MailSender) Option { return func(o *options) { o.mailSender = s } }

// mailSystem is a node's outgoing mail: the outbox, its provider and the
// worker's settings. outbox is nil when WithMailer bypasses it.
type mailSystem struct {
	outbox   *outbox.Service
	sender   ports.MailSender
	renderer *mail.Renderer
	poll     time.Duration
	batch    int
	worker   bool
	// wake is signalled (never blocking) when a message is queued.
	wake chan struct{}

	mu      sync.Mutex
	running bool
}

// newMailRenderer parses the email templates with the configured brand; a
// missing or broken template fails start-up.
func newMailRenderer(cfg Config) (*mail.Renderer, error) {
	r, err := mail.NewRenderer(mail.Brand{
		Name: cfg.Brand.Name, LogoURL: cfg.Brand.LogoURL, PrimaryColor: cfg.Brand.PrimaryColor,
		SupportEmail: cfg.Brand.SupportEmail, URL: cfg.PublicURL,
	}, web.Emails())
	if err != nil {
		return nil, fmt.Errorf("email templates: %w", err)
	}
	return r, nil
}

// newMailSender builds the configured provider, wrapped with the fallback
// provider when EMAIL_FALLBACK_PROVIDER is set.
func newMailSender(cfg Config, log *slog.Logger) (ports.MailSender, error) {
	primary, err := newProvider(cfg.Email.Provider, cfg, log)
	if err != nil {
		return nil, fmt.Errorf("email provider %s: %w", cfg.Email.Provider, err)
	}
	if cfg.Email.Fallback == "" {
		return primary, nil
	}
	secondary, err := newProvider(cfg.Email.Fallback, cfg, log)
	if err != nil {
		return nil, fmt.Errorf("fallback email provider %s: %w", cfg.Email.Fallback, err)
	}
	return &mail.Fallback{Primary: primary, Secondary: secondary}, nil
}

// newProvider is the factory: one provider by name, from the configuration.
func newProvider(name string, cfg Config, log *slog.Logger) (ports.MailSender, error) {
	from := mail.From{Address: cfg.SenderAddress(), Name: cfg.SenderName(), ReplyTo: cfg.Email.ReplyTo}
	e := cfg.Email
	switch name {
	case ProviderConsole:
		c := mail.NewConsole(log)
		if cfg.Env != EnvDevelopment {
			// Live links belong in a developer's terminal only.
			c = c.HideSecrets()
		}
		return c, nil
	case ProviderFile:
		return mail.NewFile(cfg.MailFileDir(), from)
	case ProviderSMTP:
		return mail.NewSMTP(mail.SMTPConfig{
			Host: e.SMTP.Host, Port: e.SMTP.Port, Username: e.SMTP.Username, Password: e.SMTP.Password,
			TLS: e.SMTPTLS(), Auth: e.SMTP.Auth, Timeout: e.SMTP.Timeout,
		}, from)
	case ProviderMailgun:
		base := e.Mailgun.APIBase
		switch strings.ToLower(base) {
		case "us":
			base = mail.MailgunUS
		case "eu":
			base = mail.MailgunEU
		}
		return mail.NewMailgun(mail.MailgunConfig{APIKey: e.Mailgun.APIKey, Domain: e.Mailgun.Domain, BaseURL: base}, from)
	case ProviderSendGrid:
		base := e.SendGrid.APIBase
		switch strings.ToLower(base) {
		case "us", "global":
			base = mail.SendGridGlobal
		case "eu":
			base = mail.SendGridEU
		}
		return mail.NewSendGrid(mail.SendGridConfig{APIKey: e.SendGrid.APIKey, BaseURL: base}, from)
	}
	return nil, fmt.Errorf("unknown email provider %q", name)
}

// outboxPolicy is the outbox's policy from the configuration.
func outboxPolicy(cfg Config) outbox.Policy {
	o := cfg.Email.Outbox
	return outbox.Policy{
		MaxAttempts: o.MaxAttempts, SendTimeout: o.SendTimeout, Batch: o.Batch, Retention: o.Retention,
	}
}

// setupMail wires outgoing mail: WithMailer's mailer as is (no outbox),
// else the durable outbox in front of WithMailSender's provider or the
// configured one. It sets a.Mailer.
func (a *App) setupMail(o options) error {
	if o.mailer != nil {
		a.Mailer = o.mailer
		a.mail = &mailSystem{}
		return nil
	}
	r, err := newMailRenderer(a.cfg)
	if err != nil {
		return err
	}
	sender := o.mailSender
	if sender == nil {
		if sender, err = newMailSender(a.cfg, a.log); err != nil {
			return err
		}
		if a.cfg.Env == EnvProduction && a.cfg.Email.Provider == ProviderConsole {
			a.log.Warn(errEmailWarning.Error())
		}
	}
	m := &mailSystem{
		sender: sender, renderer: r, poll: a.cfg.Email.Outbox.PollInterval, batch: a.cfg.Email.Outbox.Batch,
		worker: a.cfg.Email.Outbox.Worker, wake: make(chan struct{}, 1),
	}
	m.outbox = outbox.New(outboxPolicy(a.cfg), outbox.Deps{
		Store: a.store, Renderer: r, Sender: sender, Clock: system.Clock{}, Random: system.Random{},
		Wake: func() {
			select {
			case m.wake <- struct{}{}:
			default:
			}
		},
	})
	a.mail = m
	a.Mailer = m.outbox
	return nil
}

// Outbox returns the durable outbox (nil when WithMailer bypasses it).
func (a *App) Outbox() *outbox.Service {
	if a.mail == nil {
		return nil
	}
	return a.mail.outbox
}

// startMailWorker runs the delivery worker until the returned stop is
// called; stop waits for the send in flight (bounded by the send
// timeout) and hands the rest of the batch back. Without an outbox, or
// with EMAIL_OUTBOX_WORKER=false, it does nothing.
func (a *App) startMailWorker() (stop func()) {
	m := a.mail
	if m == nil || m.outbox == nil || !m.worker {
		return func() {}
	}
	m.mu.Lock()
	if m.running {
		m.mu.Unlock()
		return func() {}
	}
	m.running = true
	m.mu.Unlock()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		m.run(ctx, a.log)
	}()
	return func() {
		cancel()
		<-done
		m.mu.Lock()
		m.running = false
		m.mu.Unlock()
	}
}

// Wake-up delays: a message is queued inside its caller's transaction,
// which commits a moment later; the worker looks shortly after the
// wake-up and once more soon after if it found nothing yet.
const (
	wakeDelay   = 50 * time.Millisecond
	wakeRecheck = 250 * time.Millisecond
	purgeEvery  = time.Hour
)

// run is the worker loop: a round on every poll and soon after every
// wake-up, more rounds at once while batches come back full, and a purge
// of old sent and dead messages every hour.
func (m *mailSystem) run(ctx context.Context, log *slog.Logger) {
	timer := time.NewTimer(0)
	defer timer.Stop()
	var lastPurge time.Time
	for {
		woken := false
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		case <-m.wake:
			woken = true
			select {
			case <-ctx.Done():
				return
			case <-time.After(wakeDelay):
			}
		}
		total := 0
		for ctx.Err() == nil {
			res, err := m.outbox.Deliver(ctx)
			if err != nil {
				log.Error("email outbox: cannot claim messages", "error", err.Error())
				break
			}
			logResults(log, res)
			total += len(res)
			if len(res) < m.batch {
				break
			}
		}
		if ctx.Err() != nil {
			return
		}
		if time.Since(lastPurge) >= purgeEvery {
			lastPurge = time.Now()
			if n, err := m.outbox.Purge(ctx); err != nil {
				log.Warn("email outbox: purge failed", "error", err.Error())
			} else if n > 0 {
				log.Info("email outbox: purged old messages", "count", n)
			}
		}
		next := m.poll
		if woken && total == 0 {
			next = min(next, wakeRecheck)
		}
		timer.Reset(next)
	}
}

// logResults logs each outcome without the recipient or any value: the
// ID finds the message in `secuird mail outbox`.
func logResults(log *slog.Logger, res []outbox.Result) {
	for _, r := range res {
		attrs := []any{"id", r.ID, "template", r.Template, "attempt", r.Attempt}
		if r.Err != nil {
			attrs = append(attrs, "error", r.Err.Error())
		}
		switch r.Outcome {
		case outbox.Sent:
			log.Info("email sent", append(attrs, "provider_id", r.ProviderID)...)
		case outbox.Retry:
			log.Warn("email delivery failed; will retry", append(attrs, "next_attempt_at", r.NextAttemptAt)...)
		case outbox.Dead:
			log.Error("email given up (dead)", attrs...)
		case outbox.Lost:
			log.Warn("email claim lost to another worker", attrs...)
		default:
			log.Debug("email released for another worker", attrs...)
		}
	}
}
