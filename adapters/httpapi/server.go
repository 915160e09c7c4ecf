package httpapi

import (
	"log/slog"
	"time"

	"github.com/gofiber/fiber/v2"
)

// Defaults for the zero fields of Options.
const (
	DefaultBodyLimit    = 1 << 20 // 1 MiB
	DefaultReadTimeout  = 15 * time.Second
	DefaultWriteTimeout = 30 * time.Second
	DefaultIdleTimeout  = 120 * time.Second
)

// readBufferSize bounds the request line and headers. Fiber's 4 KB default
// answers 431 to long OIDC authorize URLs (STACK-NOTES trap 2).
const readBufferSize = 16 << 10

// Options configure the HTTP server.
type Options struct {
	// Logger receives the access log and error lines; nil means slog.Default().
	Logger *slog.Logger
	// BodyLimit is the largest request body in bytes (413 above it); zero
	// or less means DefaultBodyLimit.
	BodyLimit int
	// CORSOrigins are the origins allowed to call the API from a browser
	// (CORS_ORIGINS); "*" allows any origin without credentials; empty
	// disables CORS.
	CORSOrigins []string
	// TrustedProxies are the addresses or CIDR ranges of reverse proxies
	// whose X-Forwarded-For and X-Forwarded-Proto are believed. Empty
	// trusts no one: the peer address is the client and only a direct TLS
	// connection counts as HTTPS.
	TrustedProxies []string
	// ReadTimeout, WriteTimeout and IdleTimeout bound each connection;
	// zero means the Default* values.
	ReadTimeout  time.Duration
	WriteTimeout time.Duration
	IdleTimeout  time.Duration
}

// serverState is what the middleware and the error handler share.
type serverState struct {
	log   *slog.Logger
	trust proxyTrust
	cors  *corsPolicy
}

// newFiber builds the Fiber application with the error handler and the
// middleware stack but no application routes. In order, every request
// passes: recoverPanics, the request id (and client IP), the access log,
// the security headers and CORS. Every error, including unknown routes
// (404), wrong methods (405), oversized bodies (413), oversized headers
// (431) and panics, is rendered as an envelope by fail.
func newFiber(o Options) *fiber.App {
	s := &serverState{log: o.Logger, cors: newCORSPolicy(o.CORSOrigins)}
	if s.log == nil {
		s.log = slog.Default()
	}
	trust, valid, invalid := parseProxyTrust(o.TrustedProxies)
	s.trust = trust
	if len(invalid) > 0 {
		// Fail safe: an entry we cannot read trusts nobody.
		s.log.Error("ignoring unparsable trusted proxies", "entries", invalid)
	}

	cfg := fiber.Config{
		ReadBufferSize:        readBufferSize,
		BodyLimit:             positiveOr(o.BodyLimit, DefaultBodyLimit),
		ReadTimeout:           positiveOr(o.ReadTimeout, DefaultReadTimeout),
		WriteTimeout:          positiveOr(o.WriteTimeout, DefaultWriteTimeout),
		IdleTimeout:           positiveOr(o.IdleTimeout, DefaultIdleTimeout),
		DisableStartupMessage: true,
		ErrorHandler:          s.handleError,
		// Always on: with the check off Fiber believes X-Forwarded-Proto
		// and X-Forwarded-Host from anyone. With no proxies listed it
		// trusts nobody.
		EnableTrustedProxyCheck: true,
		TrustedProxies:          valid,
		// Listen on IPv4 and IPv6 (Fiber's default is tcp4 only).
		Network: fiber.NetworkTCP,
	}
	if len(valid) > 0 {
		// Only for c.IP() callers such as adapters mounted later; this
		// package uses clientIP, which cannot be forged by the client.
		cfg.ProxyHeader = fiber.HeaderXForwardedFor
		cfg.EnableIPValidation = true
	}
	app := fiber.New(cfg)

	app.Use(recoverPanics)
	app.Use(s.identify)
	app.Use(s.accessLog)
	app.Use(securityHeaders)
	if s.cors != nil {
		app.Use(s.cors.handle)
	}
	return app
}

// identify records the request id, the client IP and the logger for the
// rest of the chain and keeps X-Request-ID on the final response.
func (s *serverState) identify(c *fiber.Ctx) error {
	s.begin(c)
	err := c.Next()
	c.Set(fiber.HeaderXRequestID, requestID(c))
	return err
}

// begin stores what every later step (and the error handler) relies on,
// once per request.
func (s *serverState) begin(c *fiber.Ctx) {
	if _, ok := c.Locals(localBaseLogger).(*slog.Logger); !ok {
		c.Locals(localBaseLogger, s.log)
	}
	if _, ok := c.Locals(localClientIP).(string); !ok {
		c.Locals(localClientIP, s.trust.clientIP(c))
	}
	requestID(c)
}

// handleError is the app's ErrorHandler: it renders err through fail. Some
// errors (413, 431, a malformed request) are raised by the server before
// any middleware runs, so it also makes sure of the request id, the
// security and CORS headers and the access line.
func (s *serverState) handleError(c *fiber.Ctx, err error) error {
	s.begin(c)
	setSecurityHeaders(c)
	if s.cors != nil {
		s.cors.decorate(c)
	}
	ferr := fail(c, err)
	if logged, _ := c.Locals(localAccessLogged).(bool); !logged {
		c.Locals(localAccessLogged, true)
		s.logAccess(c, c.Response().StatusCode(), responseSize(c))
	}
	return ferr
}

// positiveOr returns v when it is above zero, else def.
func positiveOr[T int | time.Duration](v, def T) T {
	if v > 0 {
		return v
	}
	return def
}
