package app

import (
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/secuird/secuird/core/message"
)

// Email providers (EMAIL_PROVIDER, EMAIL_FALLBACK_PROVIDER).
const (
	ProviderConsole  = "console"
	ProviderFile     = "file"
	ProviderSMTP     = "smtp"
	ProviderMailgun  = "mailgun"
	ProviderSendGrid = "sendgrid"
)

// EmailConfig configures outgoing email: the provider, the sender and the
// durable outbox (docs/README-email.md lists every variable).
type EmailConfig struct {
	// Provider is console (the default; "log" is an alias, and
	// EMAIL_ENABLED=false forces it), file, smtp, mailgun or sendgrid.
	Provider string // EMAIL_PROVIDER
	// Fallback, when set, is used for a message the provider refuses for
	// good.
	Fallback string // EMAIL_FALLBACK_PROVIDER

	FromAddress string // EMAIL_FROM_ADDRESS (alias FROM_ADDRESS)
	FromName    string // EMAIL_FROM_NAME (default: BRAND_NAME)
	ReplyTo     string // EMAIL_REPLY_TO
	// FileDir is where the file provider writes .eml files (default
	// DATA_DIR/mail).
	FileDir string // EMAIL_FILE_DIR

	SMTP     SMTPSettings
	Mailgun  MailgunSettings
	SendGrid SendGridSettings
	Outbox   OutboxSettings
}

// SMTPSettings configure the smtp provider.
type SMTPSettings struct {
	Host     string        // SMTP_HOST
	Port     int           // SMTP_PORT (587)
	Username string        // SMTP_USERNAME (empty: no AUTH)
	Password string        // SMTP_PASSWORD
	TLS      string        // SMTP_TLS starttls|tls|none (default: tls on 465, none on 25 and 1025, else starttls)
	Auth     string        // SMTP_AUTH auto|plain|login
	Timeout  time.Duration // SMTP_TIMEOUT (30s)
}

// MailgunSettings configure the mailgun provider.
type MailgunSettings struct {
	APIKey  string // MAILGUN_API_KEY
	Domain  string // MAILGUN_DOMAIN
	APIBase string // MAILGUN_API_BASE (https://api.mailgun.net; "eu" = https://api.eu.mailgun.net)
}

// SendGridSettings configure the sendgrid provider.
type SendGridSettings struct {
	APIKey  string // SENDGRID_API_KEY
	APIBase string // SENDGRID_API_BASE (https://api.sendgrid.com; "eu" = https://api.eu.sendgrid.com)
}

// OutboxSettings tune the durable outbox and its worker.
type OutboxSettings struct {
	// Worker runs the delivery worker in `secuird serve` (turn it off on
	// nodes that should only queue).
	Worker       bool          // EMAIL_OUTBOX_WORKER (true)
	PollInterval time.Duration // EMAIL_OUTBOX_POLL_INTERVAL (2s; 100ms in test)
	SendTimeout  time.Duration // EMAIL_SEND_TIMEOUT (30s)
	MaxAttempts  int           // EMAIL_OUTBOX_MAX_ATTEMPTS (10)
	Batch        int           // EMAIL_OUTBOX_BATCH (10)
	Retention    time.Duration // EMAIL_OUTBOX_RETENTION (720h) for sent and dead messages
}

// BrandConfig is what every email (and, later, every page) shows of the
// product.
type BrandConfig struct {
	Name         string // BRAND_NAME ("Secuird")
	LogoURL      string // BRAND_LOGO_URL (absolute http(s) URL; empty: the name as a word mark)
	PrimaryColor string // BRAND_PRIMARY_COLOR (#2563eb)
	SupportEmail string // BRAND_SUPPORT_EMAIL
}

func defaultEmail() EmailConfig {
	return EmailConfig{
		Provider: ProviderConsole,
		SMTP:     SMTPSettings{Port: 587, Auth: "auto", Timeout: 30 * time.Second},
		Outbox: OutboxSettings{
			Worker: true, PollInterval: 2 * time.Second, SendTimeout: 30 * time.Second,
			MaxAttempts: 10, Batch: 10, Retention: 30 * 24 * time.Hour,
		},
	}
}

func defaultBrand() BrandConfig {
	return BrandConfig{Name: "Secuird", PrimaryColor: "#2563eb"}
}

// loadEmail reads the email and brand variables into c (after the profile
// defaults) and returns every malformed value.
func loadEmail(c *Config, getenv func(string) string) []error {
	var errs []error
	get := func(name string) string { return strings.TrimSpace(getenv(name)) }
	str := func(dst *string, names ...string) {
		for _, n := range names {
			if v := get(n); v != "" {
				*dst = v
				return
			}
		}
	}
	integer := func(name string, dst *int) {
		if v := get(name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %q is not a whole number", name, v))
				return
			}
			*dst = n
		}
	}
	boolean := func(name string, dst *bool) bool {
		if v := get(name); v != "" {
			b, err := strconv.ParseBool(v)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %q is not true or false", name, v))
				return false
			}
			*dst = b
			return true
		}
		return false
	}
	duration := func(name string, dst *time.Duration) {
		if v := get(name); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 {
				errs = append(errs, fmt.Errorf("%s: %q is not a positive duration such as 30s or 2m", name, v))
				return
			}
			*dst = d
		}
	}

	e := &c.Email
	if c.Env == EnvTest {
		e.Outbox.PollInterval = 100 * time.Millisecond
	}
	str(&e.Provider, "EMAIL_PROVIDER")
	e.Provider = strings.ToLower(e.Provider)
	if e.Provider == "log" {
		e.Provider = ProviderConsole
	}
	enabled := true
	if boolean("EMAIL_ENABLED", &enabled) && !enabled {
		// The previous system's "simulation mode": log only.
		e.Provider = ProviderConsole
	}
	str(&e.Fallback, "EMAIL_FALLBACK_PROVIDER")
	e.Fallback = strings.ToLower(e.Fallback)
	str(&e.FromAddress, "EMAIL_FROM_ADDRESS", "FROM_ADDRESS")
	str(&e.FromName, "EMAIL_FROM_NAME")
	str(&e.ReplyTo, "EMAIL_REPLY_TO")
	str(&e.FileDir, "EMAIL_FILE_DIR")

	str(&e.SMTP.Host, "SMTP_HOST")
	integer("SMTP_PORT", &e.SMTP.Port)
	str(&e.SMTP.Username, "SMTP_USERNAME")
	// The password is taken as written: spaces may belong to it.
	if v := getenv("SMTP_PASSWORD"); v != "" {
		e.SMTP.Password = v
	}
	str(&e.SMTP.TLS, "SMTP_TLS")
	e.SMTP.TLS = strings.ToLower(e.SMTP.TLS)
	if e.SMTP.TLS == "" {
		var useTLS bool
		if boolean("SMTP_USE_TLS", &useTLS) {
			// The previous system's switch: STARTTLS or nothing.
			e.SMTP.TLS = map[bool]string{true: "starttls", false: "none"}[useTLS]
		}
	}
	str(&e.SMTP.Auth, "SMTP_AUTH")
	e.SMTP.Auth = strings.ToLower(e.SMTP.Auth)
	duration("SMTP_TIMEOUT", &e.SMTP.Timeout)

	str(&e.Mailgun.APIKey, "MAILGUN_API_KEY")
	str(&e.Mailgun.Domain, "MAILGUN_DOMAIN")
	str(&e.Mailgun.APIBase, "MAILGUN_API_BASE")
	str(&e.SendGrid.APIKey, "SENDGRID_API_KEY")
	str(&e.SendGrid.APIBase, "SENDGRID_API_BASE")

	boolean("EMAIL_OUTBOX_WORKER", &e.Outbox.Worker)
	duration("EMAIL_OUTBOX_POLL_INTERVAL", &e.Outbox.PollInterval)
	duration("EMAIL_SEND_TIMEOUT", &e.Outbox.SendTimeout)
	integer("EMAIL_OUTBOX_MAX_ATTEMPTS", &e.Outbox.MaxAttempts)
	integer("EMAIL_OUTBOX_BATCH", &e.Outbox.Batch)
	duration("EMAIL_OUTBOX_RETENTION", &e.Outbox.Retention)

	b := &c.Brand
	str(&b.Name, "BRAND_NAME")
	str(&b.LogoURL, "BRAND_LOGO_URL")
	str(&b.PrimaryColor, "BRAND_PRIMARY_COLOR")
	str(&b.SupportEmail, "BRAND_SUPPORT_EMAIL")
	return errs
}

// SMTPTLS returns the SMTP TLS mode in force: SMTP_TLS, else by port
// (465 implicit TLS; 25 and 1025, local relays, none; else STARTTLS).
func (e EmailConfig) SMTPTLS() string {
	if e.SMTP.TLS != "" {
		return e.SMTP.TLS
	}
	switch e.SMTP.Port {
	case 465:
		return "tls"
	case 25, 1025:
		return "none"
	}
	return "starttls"
}

// MailFileDir returns EMAIL_FILE_DIR, or the mail folder in the data dir.
func (c Config) MailFileDir() string {
	if c.Email.FileDir != "" {
		return c.Email.FileDir
	}
	return filepath.Join(c.DataDir, "mail")
}

// SenderName returns EMAIL_FROM_NAME, or the brand's name.
func (c Config) SenderName() string {
	if c.Email.FromName != "" {
		return c.Email.FromName
	}
	return c.Brand.Name
}

// SenderAddress returns EMAIL_FROM_ADDRESS; the console and file
// providers, which send nothing, make do with a local one.
func (c Config) SenderAddress() string {
	if c.Email.FromAddress == "" && c.Email.Provider != ProviderSMTP && c.Email.Provider != ProviderMailgun && c.Email.Provider != ProviderSendGrid {
		return "secuird@localhost"
	}
	return c.Email.FromAddress
}

var hexColor = regexp.MustCompile(`^#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$`)

// validateEmail reports every problem with the email and brand settings,
// naming each missing variable on its own line.
func (c Config) validateEmail() []error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	e := c.Email
	known := func(p string) bool {
		switch p {
		case ProviderConsole, ProviderFile, ProviderSMTP, ProviderMailgun, ProviderSendGrid:
			return true
		}
		return false
	}
	if !known(e.Provider) {
		bad("EMAIL_PROVIDER: %q is not console, file, smtp, mailgun or sendgrid", e.Provider)
	}
	if e.Fallback != "" {
		switch {
		case !known(e.Fallback):
			bad("EMAIL_FALLBACK_PROVIDER: %q is not console, file, smtp, mailgun or sendgrid", e.Fallback)
		case e.Fallback == e.Provider:
			bad("EMAIL_FALLBACK_PROVIDER: must differ from EMAIL_PROVIDER")
		}
	}
	missing := func(name, provider string) { bad("%s: required when %s is used", name, provider) }
	needsFrom := false
	for _, p := range []string{e.Provider, e.Fallback} {
		switch p {
		case ProviderSMTP:
			needsFrom = true
			if e.SMTP.Host == "" {
				missing("SMTP_HOST", "the smtp provider")
			}
		case ProviderMailgun:
			needsFrom = true
			if e.Mailgun.APIKey == "" {
				missing("MAILGUN_API_KEY", "the mailgun provider")
			}
			if e.Mailgun.Domain == "" {
				missing("MAILGUN_DOMAIN", "the mailgun provider")
			}
		case ProviderSendGrid:
			needsFrom = true
			if e.SendGrid.APIKey == "" {
				missing("SENDGRID_API_KEY", "the sendgrid provider")
			}
		}
	}
	if needsFrom && e.FromAddress == "" {
		bad("EMAIL_FROM_ADDRESS: required when the smtp, mailgun or sendgrid provider is used")
	}
	if e.FromAddress != "" && !message.ValidAddress(e.FromAddress) {
		bad("EMAIL_FROM_ADDRESS: %q is not a plain email address", e.FromAddress)
	}
	if e.ReplyTo != "" && !message.ValidAddress(e.ReplyTo) {
		bad("EMAIL_REPLY_TO: %q is not a plain email address", e.ReplyTo)
	}
	if strings.ContainsAny(e.FromName, "\r\n") {
		bad("EMAIL_FROM_NAME: must be one line")
	}
	if e.SMTP.Port < 1 || e.SMTP.Port > 65535 {
		bad("SMTP_PORT: %d is outside 1-65535", e.SMTP.Port)
	}
	switch e.SMTP.TLS {
	case "", "starttls", "tls", "none":
	default:
		bad("SMTP_TLS: %q is not starttls, tls or none", e.SMTP.TLS)
	}
	switch e.SMTP.Auth {
	case "", "auto", "plain", "login":
	default:
		bad("SMTP_AUTH: %q is not auto, plain or login", e.SMTP.Auth)
	}
	if e.SMTP.Username != "" && e.SMTP.Password == "" {
		bad("SMTP_PASSWORD: required with SMTP_USERNAME")
	}
	for name, v := range map[string]string{"MAILGUN_API_BASE": e.Mailgun.APIBase, "SENDGRID_API_BASE": e.SendGrid.APIBase} {
		if v == "" || strings.EqualFold(v, "us") || strings.EqualFold(v, "eu") {
			continue
		}
		if u, err := url.Parse(v); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			bad("%s: %q is not an http(s) URL", name, v)
		}
	}
	o := e.Outbox
	if o.MaxAttempts < 1 {
		bad("EMAIL_OUTBOX_MAX_ATTEMPTS: must be at least 1")
	}
	if o.Batch < 1 || o.Batch > 1000 {
		bad("EMAIL_OUTBOX_BATCH: %d is outside 1-1000", o.Batch)
	}

	b := c.Brand
	if strings.TrimSpace(b.Name) == "" || strings.ContainsAny(b.Name, "\r\n") {
		bad("BRAND_NAME: must be one non-empty line")
	}
	if b.LogoURL != "" {
		if u, err := url.Parse(b.LogoURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			bad("BRAND_LOGO_URL: %q is not an absolute http(s) URL", b.LogoURL)
		}
	}
	if !hexColor.MatchString(b.PrimaryColor) {
		bad("BRAND_PRIMARY_COLOR: %q is not a hex colour such as #2563eb", b.PrimaryColor)
	}
	if b.SupportEmail != "" && !message.ValidAddress(b.SupportEmail) {
		bad("BRAND_SUPPORT_EMAIL: %q is not a plain email address", b.SupportEmail)
	}
	return errs
}

// errEmailWarning is not an error: production with the console provider
// sends nothing, which the start-up log says loudly.
var errEmailWarning = errors.New("EMAIL_PROVIDER is console: no email leaves this server (links are redacted from the log)")
