package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/secuird/secuird/adapters/httpapi"
	"github.com/secuird/secuird/adapters/memory"
	"github.com/secuird/secuird/adapters/passhash"
	"github.com/secuird/secuird/adapters/redis"
	"github.com/secuird/secuird/adapters/sqlstore"
	"github.com/secuird/secuird/adapters/strength"
	"github.com/secuird/secuird/adapters/system"
	"github.com/secuird/secuird/core/account"
	"github.com/secuird/secuird/core/admin"
	"github.com/secuird/secuird/core/mfaflow"
	"github.com/secuird/secuird/core/provider"
	"github.com/secuird/secuird/core/tenancy"
	"github.com/secuird/secuird/core/throttle"
	"github.com/secuird/secuird/ports"
)

// Version is the build's version, set with -ldflags "-X ...app.Version=v1.2.3".
var Version = "dev"

// ephemeral is what an ephemeral-state adapter provides.
type ephemeral interface {
	ports.SessionStore
	ports.Counter
	ports.OneTimeStore
	ports.Pinger
	Close()
}

// App is a wired Secuird node.
type App struct {
	cfg      Config
	log      *slog.Logger
	store    *sqlstore.Store
	users    ports.UserStore
	eph      ephemeral
	http     *fiber.App
	Accounts *account.Service
	// Tenancy serves organizations, invites and API keys; Admin serves
	// admin user management and the platform-admin flag.
	Tenancy *tenancy.Service
	Admin   *admin.Service
	Mailer  ports.Mailer
	// mail is the outbox, its provider and worker (app/mail.go).
	mail *mailSystem
	// Provider is the OpenID Provider's use cases.
	Provider *provider.Service
	// MFA serves TOTP, passkeys, MFA policies and the compliance job.
	MFA    *mfaflow.Service
	tokens lateTokens
	// oidcEvents batches the provider's high-volume events (app/oidc.go).
	oidcEvents oidcEventCloser
}

// Option changes how New wires the App (tests use them).
type Option func(*options)

type options struct {
	mailer     ports.Mailer
	mailSender ports.MailSender
	logger     *slog.Logger
}

// WithMailer replaces the configured mail adapter.
func WithMailer(m ports.Mailer) Option { return func(o *options) { o.mailer = m } }

// WithLogger sets the logger.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// NewLogger builds the process logger from the configuration: structured,
// JSON by default, set up once per process.
func NewLogger(c Config, w io.Writer) *slog.Logger {
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(c.LogLevel))
	ho := &slog.HandlerOptions{Level: lvl}
	if c.LogFormat == "text" {
		return slog.New(slog.NewTextHandler(w, ho))
	}
	return slog.New(slog.NewJSONHandler(w, ho))
}

// openStore opens the durable store named by the configuration.
func openStore(ctx context.Context, c Config, log *slog.Logger) (*sqlstore.Store, error) {
	dsn := c.DatabaseURL
	if dsn == "" {
		if err := os.MkdirAll(c.DataDir, 0o700); err != nil {
			return nil, fmt.Errorf("create data dir: %w", err)
		}
		dsn = c.SQLitePath()
	}
	return sqlstore.Open(ctx, dsn, sqlstore.Options{Logger: log, Schema: c.DatabaseSchema})
}

// New builds every adapter, the core services and the HTTP server. It
// validates the configuration first and reports every problem at once.
func New(ctx context.Context, cfg Config, opts ...Option) (*App, error) {
	var o options
	for _, f := range opts {
		f(&o)
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("invalid configuration:\n%w", err)
	}
	log := o.logger
	if log == nil {
		log = NewLogger(cfg, os.Stderr)
	}
	if err := ensureSecrets(&cfg, log); err != nil {
		return nil, err
	}
	a := &App{cfg: cfg, log: log}
	ok := false
	defer func() {
		if !ok {
			_ = a.Close()
		}
	}()

	var err error
	if a.store, err = openStore(ctx, cfg, log); err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	if cfg.AutoMigrate {
		if err := a.store.Migrate(ctx); err != nil {
			return nil, fmt.Errorf("migrate database: %w", err)
		}
	}
	if cfg.RedisURL != "" {
		r, err := redis.New(ctx, cfg.RedisURL, redis.Options{Prefix: cfg.RedisPrefix})
		if err != nil {
			return nil, fmt.Errorf("connect to redis: %w", err)
		}
		a.eph = r
	} else {
		a.eph = memory.New()
	}

	// Every authenticated request looks its user up; a short-lived cache
	// absorbs that (see memory.UserCache for why this is safe).
	a.users = memory.NewUserCache(a.store, 3*time.Second, 0)

	if err := a.setupMail(o); err != nil {
		return nil, err
	}

	hasher := passhash.New(cfg.BcryptCost, cfg.MaxConcurrentKDF)
	orgs := &lateOrgs{}
	a.Accounts = account.New(account.Config{
		PublicURL:             cfg.PublicURL,
		SessionTTL:            cfg.Session.TTL,
		RememberMeTTL:         cfg.Session.RememberMeTTL,
		IdleTimeout:           cfg.Session.IdleTimeout,
		RememberMeIdleTimeout: cfg.Session.RememberMeIdleTimeout,
		StepUpMaxAge:          cfg.Session.StepUpMaxAge,
	}, account.Deps{
		Tx: a.store, Users: a.users, Passwords: a.store, Links: a.store, Audit: a.store,
		Mailer: a.Mailer, Sessions: a.eph, Counter: a.eph,
		Hasher: hasher,
		Policy: strength.New(cfg.MinPasswordScore),
		Clock:  system.Clock{}, Random: system.Random{},
		Orgs: orgs, Tokens: &a.tokens,
	})
	// The provider disables an organization's OIDC clients when it is deleted.
	a.wireTenancy(cfg, a.users, hasher, orgs, &a.tokens)

	deps := httpapi.Deps{
		Accounts: a.Accounts,
		Tenancy:  a.Tenancy,
		Admin:    a.Admin,
		Version:  Version,
		Health: []httpapi.HealthCheck{
			{Name: "database", Ping: a.store.Ping},
			{Name: "ephemeral_store", Ping: a.eph.Ping},
		},
	}
	if cfg.RateLimit.Enabled {
		deps.Limiter = throttle.New(a.eph)
		rules := func(s string) []throttle.Rule { r, _ := throttle.ParseRules(s); return r }
		deps.Limits = httpapi.Limits{
			Default:        rules(cfg.RateLimit.Default),
			Register:       rules(cfg.RateLimit.Register),
			Login:          rules(cfg.RateLimit.Login),
			ForgotPassword: rules(cfg.RateLimit.ForgotPassword),
			ResetPassword:  rules(cfg.RateLimit.ResetPassword),
			TOTPVerify:     rules(cfg.RateLimit.TOTPVerify),
		}
	}
	deps.MailOutbox = a.Outbox()
	deps.Audit = a.auditViews()
	if a.MFA, err = a.wireMFA(cfg, hasher); err != nil {
		return nil, err
	}
	deps.MFA = a.MFA
	// Every login goes through the second-factor and policy steps.
	a.Accounts.UseSecondFactors(a.MFA, a.eph)
	deps.UI = httpapi.UI{Brand: httpapi.Brand{Name: cfg.Brand.Name, LogoURL: cfg.Brand.LogoURL, PrimaryColor: cfg.Brand.PrimaryColor, SupportEmail: cfg.Brand.SupportEmail}}
	if deps.OIDC, err = a.wireOIDC(ctx, cfg, hasher); err != nil {
		return nil, err
	}
	a.http = httpapi.New(httpapi.Options{
		Logger: log, BodyLimit: cfg.BodyLimit, CORSOrigins: cfg.CORSOrigins, TrustedProxies: cfg.TrustedProxies,
	}, deps)
	ok = true
	return a, nil
}

// HTTP returns the Fiber application (tests drive it directly).
func (a *App) HTTP() *fiber.App { return a.http }

// Store returns the durable store (operator commands and tests).
func (a *App) Store() *sqlstore.Store { return a.store }

// Serve answers HTTP on ln until ctx is cancelled, then shuts down
// gracefully, waiting up to 15 seconds for requests in flight.
func (a *App) Serve(ctx context.Context, ln net.Listener) error {
	errc := make(chan error, 1)
	go func() { errc <- a.http.Listener(ln) }()
	// The mail worker stops after the HTTP server (deferred): requests in
	// flight may still queue mail; the send in flight completes.
	stopMail := a.startMailWorker()
	defer stopMail()
	stopJob := a.startComplianceJob()
	defer stopJob()
	stopOIDCJobs := a.startOIDCJobs()
	defer stopOIDCJobs()
	a.log.Info("secuird listening", "addr", ln.Addr().String(), "public_url", a.cfg.PublicURL, "env", a.cfg.Env,
		"database", a.store.Dialect(), "ephemeral_store", a.ephemeralName(), "version", Version)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	a.log.Info("shutting down")
	if err := a.http.ShutdownWithTimeout(15 * time.Second); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// Run listens on the configured address and serves until ctx is done.
func (a *App) Run(ctx context.Context) error {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", a.cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", a.cfg.Addr, err)
	}
	return a.Serve(ctx, ln)
}

func (a *App) ephemeralName() string {
	if a.cfg.RedisURL != "" {
		return "redis"
	}
	return "memory"
}

// Close releases every adapter.
func (a *App) Close() error {
	var errs []error
	errs = append(errs, a.closeOIDCEvents())
	if a.eph != nil {
		a.eph.Close()
	}
	if a.store != nil {
		errs = append(errs, a.store.Close())
	}
	return errors.Join(errs...)
}
