// Package app is the one place that knows every concrete type: it reads the
// configuration, builds the adapters, the core services and the HTTP server,
// and runs the operator commands.
package app

import (
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/secuird/secuird/core/throttle"
)

// Environments.
const (
	EnvDevelopment = "development"
	EnvProduction  = "production"
	EnvTest        = "test"
)

// Config is the whole configuration. Zero values are filled by Defaults;
// environment variables override (see Load and the README table).
type Config struct {
	Env         string // SECUIRD_ENV
	Addr        string // SECUIRD_ADDR
	PublicURL   string // SECUIRD_PUBLIC_URL
	DataDir     string // SECUIRD_DATA_DIR
	DatabaseURL string // DATABASE_URL; empty = SQLite in DataDir
	// DatabaseSchema is the Postgres schema to use (created if missing);
	// empty means the connection's default search_path.
	DatabaseSchema string // SECUIRD_DATABASE_SCHEMA
	RedisURL       string // REDIS_URL; empty = in-process store
	RedisPrefix    string // SECUIRD_REDIS_PREFIX, prepended to every key
	AutoMigrate    bool   // SECUIRD_AUTO_MIGRATE

	SecretKey     string // SECRET_KEY
	EncryptionKey string // ENCRYPTION_KEY

	CORSOrigins    []string // CORS_ORIGINS (comma separated)
	TrustedProxies []string // SECUIRD_TRUSTED_PROXIES
	BodyLimit      int      // SECUIRD_BODY_LIMIT bytes

	BcryptCost       int // BCRYPT_LOG_ROUNDS
	MaxConcurrentKDF int // SECUIRD_MAX_CONCURRENT_HASHES
	MinPasswordScore int // SECUIRD_MIN_PASSWORD_SCORE (zxcvbn 0-4)

	LogLevel  string // SECUIRD_LOG_LEVEL debug|info|warn|error
	LogFormat string // SECUIRD_LOG_FORMAT json|text

	Session   SessionConfig
	RateLimit RateLimitConfig

	// OIDCKeyRotation is the life of an active OIDC signing key
	// (SECUIRD_OIDC_KEY_ROTATION, default 2160h = 90 days).
	OIDCKeyRotation time.Duration
	// OIDCRefreshGrace is how long a just-rotated refresh token may be
	// presented again without revoking its family
	// (SECUIRD_OIDC_REFRESH_GRACE, default 10s).
	OIDCRefreshGrace time.Duration
	// OIDCAllowPrivateBackchannel lets back-channel logout tokens go to
	// loopback and private addresses (development only;
	// SECUIRD_OIDC_ALLOW_PRIVATE_BACKCHANNEL).
	OIDCAllowPrivateBackchannel bool

	// WebAuthnPasswordlessUV is the user verification asked of a
	// passwordless passkey sign-in and of a passkey step-up: required
	// (default) or preferred; discouraged outside production only
	// (SECUIRD_WEBAUTHN_PASSWORDLESS_UV).
	WebAuthnPasswordlessUV string

	// Email configures providers, sender and outbox; Brand what emails
	// show (app/mailconfig.go).
	Email EmailConfig
	Brand BrandConfig
}

// SessionConfig sets session lifetimes.
type SessionConfig struct {
	TTL                   time.Duration // SECUIRD_SESSION_TTL
	RememberMeTTL         time.Duration // SECUIRD_SESSION_REMEMBER_TTL
	IdleTimeout           time.Duration // SECUIRD_SESSION_IDLE_TIMEOUT
	RememberMeIdleTimeout time.Duration // SECUIRD_SESSION_REMEMBER_IDLE_TIMEOUT
	// StepUpMaxAge is how recent a session's last proof must be for a
	// sensitive change (password, TOTP disable, backup codes, passkey or
	// account deletion).
	StepUpMaxAge time.Duration // SECUIRD_STEP_UP_MAX_AGE
}

// RateLimitConfig holds per-IP limits as rule lists ("10/min,50/h").
type RateLimitConfig struct {
	Enabled        bool   // RATE_LIMIT_ENABLED
	Default        string // RATE_LIMIT_DEFAULT
	Register       string // RATE_LIMIT_REGISTER
	Login          string // RATE_LIMIT_LOGIN
	ForgotPassword string // RATE_LIMIT_FORGOT_PASSWORD
	ResetPassword  string // RATE_LIMIT_RESET_PASSWORD
	TOTPVerify     string // RATE_LIMIT_TOTP_VERIFY
}

// Defaults returns the configuration of a single-node development server
// that needs no services and no settings.
func Defaults() Config {
	return Config{
		Env:                    EnvDevelopment,
		Addr:                   ":8080",
		PublicURL:              "http://localhost:8080",
		DataDir:                "./data",
		AutoMigrate:            true,
		BodyLimit:              1 << 20,
		BcryptCost:             12,
		MaxConcurrentKDF:       4,
		MinPasswordScore:       3,
		LogLevel:               "info",
		LogFormat:              "json",
		OIDCKeyRotation:        90 * 24 * time.Hour,
		OIDCRefreshGrace:       10 * time.Second,
		WebAuthnPasswordlessUV: "required",
		Email:                  defaultEmail(),
		Brand:                  defaultBrand(),
		Session: SessionConfig{
			TTL: 24 * time.Hour, RememberMeTTL: 30 * 24 * time.Hour,
			IdleTimeout: 12 * time.Hour, RememberMeIdleTimeout: 14 * 24 * time.Hour,
			StepUpMaxAge: 10 * time.Minute,
		},
		RateLimit: RateLimitConfig{ //nolint:gosec // rate-limit rules, not credentials
			Enabled:        true,
			Default:        "100/h",
			Register:       "10/min,50/h",
			Login:          "20/min,100/h",
			ForgotPassword: "5/min,20/h",
			ResetPassword:  "10/min,30/h",
			TOTPVerify:     "20/min,100/h",
		},
	}
}

// Load reads the environment (through getenv) over Defaults and the
// profile's own defaults. It reports every malformed value at once; call
// Validate afterwards for cross-field rules.
func Load(getenv func(string) string) (Config, error) {
	c := Defaults()
	var errs []error
	str := func(name string, dst *string) {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			*dst = v
		}
	}
	integer := func(name string, dst *int) {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %q is not a whole number", name, v))
				return
			}
			*dst = n
		}
	}
	boolean := func(name string, dst *bool) {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			b, err := strconv.ParseBool(v)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %q is not true or false", name, v))
				return
			}
			*dst = b
		}
	}
	duration := func(name string, dst *time.Duration) {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 {
				errs = append(errs, fmt.Errorf("%s: %q is not a positive duration such as 12h or 30m", name, v))
				return
			}
			*dst = d
		}
	}
	list := func(name string, dst *[]string) {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			var out []string
			for _, p := range strings.Split(v, ",") {
				if p = strings.TrimSpace(p); p != "" {
					out = append(out, p)
				}
			}
			*dst = out
		}
	}

	str("SECUIRD_ENV", &c.Env)
	// Profile defaults come before the explicit overrides below.
	switch c.Env {
	case EnvTest:
		c.BcryptCost = 4
		c.RateLimit.Enabled = false
	case EnvDevelopment:
		c.LogFormat = "text"
	}
	str("SECUIRD_ADDR", &c.Addr)
	str("SECUIRD_PUBLIC_URL", &c.PublicURL)
	str("SECUIRD_DATA_DIR", &c.DataDir)
	str("DATABASE_URL", &c.DatabaseURL)
	str("SECUIRD_DATABASE_SCHEMA", &c.DatabaseSchema)
	str("REDIS_URL", &c.RedisURL)
	str("SECUIRD_REDIS_PREFIX", &c.RedisPrefix)
	boolean("SECUIRD_AUTO_MIGRATE", &c.AutoMigrate)
	str("SECRET_KEY", &c.SecretKey)
	str("ENCRYPTION_KEY", &c.EncryptionKey)
	list("CORS_ORIGINS", &c.CORSOrigins)
	list("SECUIRD_TRUSTED_PROXIES", &c.TrustedProxies)
	integer("SECUIRD_BODY_LIMIT", &c.BodyLimit)
	integer("BCRYPT_LOG_ROUNDS", &c.BcryptCost)
	integer("SECUIRD_MAX_CONCURRENT_HASHES", &c.MaxConcurrentKDF)
	integer("SECUIRD_MIN_PASSWORD_SCORE", &c.MinPasswordScore)
	str("SECUIRD_LOG_LEVEL", &c.LogLevel)
	str("SECUIRD_LOG_FORMAT", &c.LogFormat)
	duration("SECUIRD_SESSION_TTL", &c.Session.TTL)
	duration("SECUIRD_SESSION_REMEMBER_TTL", &c.Session.RememberMeTTL)
	duration("SECUIRD_SESSION_IDLE_TIMEOUT", &c.Session.IdleTimeout)
	duration("SECUIRD_SESSION_REMEMBER_IDLE_TIMEOUT", &c.Session.RememberMeIdleTimeout)
	duration("SECUIRD_STEP_UP_MAX_AGE", &c.Session.StepUpMaxAge)
	duration("SECUIRD_OIDC_KEY_ROTATION", &c.OIDCKeyRotation)
	duration("SECUIRD_OIDC_REFRESH_GRACE", &c.OIDCRefreshGrace)
	boolean("SECUIRD_OIDC_ALLOW_PRIVATE_BACKCHANNEL", &c.OIDCAllowPrivateBackchannel)
	str("SECUIRD_WEBAUTHN_PASSWORDLESS_UV", &c.WebAuthnPasswordlessUV)
	boolean("RATE_LIMIT_ENABLED", &c.RateLimit.Enabled)
	str("RATE_LIMIT_DEFAULT", &c.RateLimit.Default)
	str("RATE_LIMIT_REGISTER", &c.RateLimit.Register)
	str("RATE_LIMIT_LOGIN", &c.RateLimit.Login)
	str("RATE_LIMIT_FORGOT_PASSWORD", &c.RateLimit.ForgotPassword)
	str("RATE_LIMIT_RESET_PASSWORD", &c.RateLimit.ResetPassword)
	str("RATE_LIMIT_TOTP_VERIFY", &c.RateLimit.TOTPVerify)
	c.PublicURL = strings.TrimRight(c.PublicURL, "/")
	errs = append(errs, loadEmail(&c, getenv)...)
	return c, errors.Join(errs...)
}

// Validate reports every problem with the configuration at once.
// Production refuses development shortcuts: missing or short secrets, a
// public URL without https, bcrypt below cost 10, passkeys that need not
// verify their user.
func (c Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	switch c.Env {
	case EnvDevelopment, EnvProduction, EnvTest:
	default:
		bad("SECUIRD_ENV: %q is not development, production or test", c.Env)
	}
	if c.Addr == "" {
		bad("SECUIRD_ADDR: must not be empty")
	}
	u, err := url.Parse(c.PublicURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		bad("SECUIRD_PUBLIC_URL: %q is not an absolute http(s) URL without query", c.PublicURL)
	}
	if c.DatabaseURL != "" && !strings.HasPrefix(c.DatabaseURL, "postgres://") && !strings.HasPrefix(c.DatabaseURL, "postgresql://") &&
		!strings.HasPrefix(c.DatabaseURL, "sqlite://") && !strings.HasPrefix(c.DatabaseURL, "file:") {
		bad("DATABASE_URL: must start with postgres://, postgresql://, sqlite:// or file:")
	}
	if c.RedisURL != "" && !strings.HasPrefix(c.RedisURL, "redis://") && !strings.HasPrefix(c.RedisURL, "rediss://") && !strings.HasPrefix(c.RedisURL, "unix://") {
		bad("REDIS_URL: must start with redis://, rediss:// or unix://")
	}
	if c.BcryptCost < 4 || c.BcryptCost > 31 {
		bad("BCRYPT_LOG_ROUNDS: %d is outside 4-31", c.BcryptCost)
	}
	if c.MaxConcurrentKDF < 1 {
		bad("SECUIRD_MAX_CONCURRENT_HASHES: must be at least 1")
	}
	if c.MinPasswordScore < 0 || c.MinPasswordScore > 4 {
		bad("SECUIRD_MIN_PASSWORD_SCORE: %d is outside 0-4", c.MinPasswordScore)
	}
	if c.BodyLimit < 1024 {
		bad("SECUIRD_BODY_LIMIT: %d is below 1024 bytes", c.BodyLimit)
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		bad("SECUIRD_LOG_LEVEL: %q is not debug, info, warn or error", c.LogLevel)
	}
	switch c.LogFormat {
	case "json", "text":
	default:
		bad("SECUIRD_LOG_FORMAT: %q is not json or text", c.LogFormat)
	}
	switch c.WebAuthnPasswordlessUV {
	case "required", "preferred", "discouraged":
	default:
		bad("SECUIRD_WEBAUTHN_PASSWORDLESS_UV: %q is not required or preferred", c.WebAuthnPasswordlessUV)
	}
	if c.Session.RememberMeTTL < c.Session.TTL {
		bad("SECUIRD_SESSION_REMEMBER_TTL: must not be shorter than SECUIRD_SESSION_TTL")
	}
	for name, v := range map[string]string{
		"RATE_LIMIT_DEFAULT": c.RateLimit.Default, "RATE_LIMIT_REGISTER": c.RateLimit.Register, "RATE_LIMIT_LOGIN": c.RateLimit.Login,
		"RATE_LIMIT_FORGOT_PASSWORD": c.RateLimit.ForgotPassword, "RATE_LIMIT_RESET_PASSWORD": c.RateLimit.ResetPassword,
		"RATE_LIMIT_TOTP_VERIFY": c.RateLimit.TOTPVerify,
	} {
		if _, err := throttle.ParseRules(v); err != nil {
			bad("%s: %v", name, err)
		}
	}
	for _, o := range c.CORSOrigins {
		if o == "*" {
			continue
		}
		if ou, err := url.Parse(o); err != nil || ou.Scheme == "" || ou.Host == "" || (ou.Path != "" && ou.Path != "/") {
			bad("CORS_ORIGINS: %q is not an origin such as https://app.example.com", o)
		}
	}
	if c.Env == EnvProduction {
		if len(c.SecretKey) < 32 {
			bad("SECRET_KEY: production needs a random secret of at least 32 characters")
		}
		if len(c.EncryptionKey) < 32 {
			bad("ENCRYPTION_KEY: production needs a random key of at least 32 characters")
		}
		if c.SecretKey != "" && c.SecretKey == c.EncryptionKey {
			bad("ENCRYPTION_KEY: must differ from SECRET_KEY")
		}
		if u != nil && u.Scheme != "https" {
			bad("SECUIRD_PUBLIC_URL: production must be served over https")
		}
		if c.BcryptCost < 10 {
			bad("BCRYPT_LOG_ROUNDS: production needs at least 10")
		}
		if c.WebAuthnPasswordlessUV == "discouraged" {
			bad("SECUIRD_WEBAUTHN_PASSWORDLESS_UV: production needs required or preferred (a passkey alone must verify its user)")
		}
	}
	errs = append(errs, c.validateEmail()...)
	return errors.Join(errs...)
}

// SQLitePath is the embedded database file used when DATABASE_URL is empty.
func (c Config) SQLitePath() string { return filepath.Join(c.DataDir, "secuird.db") }
