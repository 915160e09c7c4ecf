package httpapi

import (
	"fmt"
	"log/slog"
	"net/netip"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/secuird/secuird/core/audit"
)

// localKey names the values this file keeps in fiber.Ctx locals; its own
// type keeps them apart from string keys used elsewhere.
type localKey int

const (
	localRequestID    localKey = iota // string: the request's id
	localBaseLogger                   // *slog.Logger: the server's logger
	localLogger                       // *slog.Logger: the base logger with request_id
	localClientIP                     // string: the client address after proxy trust
	localAccessLogged                 // bool: the access line is (or will be) written
	localRequestStart                 // time.Time: when the access log saw the request
)

// maxRequestIDLen is the longest X-Request-ID accepted from a client.
const maxRequestIDLen = 128

// maxUserAgentLen caps the user agent copied into audit entries.
const maxUserAgentLen = 512

// maxLoggedPathLen caps the path written to the access log.
const maxLoggedPathLen = 2048

// requestID returns the request's id. The first call (normally from the
// request-id middleware) takes X-Request-ID when it is 1 to 128 characters
// of [A-Za-z0-9._-], else generates a UUIDv4, and echoes the id in the
// X-Request-ID response header.
func requestID(c *fiber.Ctx) string {
	if id, ok := c.Locals(localRequestID).(string); ok {
		return id
	}
	id := c.Get(fiber.HeaderXRequestID)
	if validRequestID(id) {
		// Fiber's strings point into buffers that the next request on
		// the connection overwrites; the id outlives the request in logs.
		id = strings.Clone(id)
	} else {
		id = uuid.NewString()
	}
	c.Locals(localRequestID, id)
	c.Set(fiber.HeaderXRequestID, id)
	return id
}

// validRequestID reports whether a client's request id is short and safe
// to copy into logs and headers.
func validRequestID(id string) bool {
	if id == "" || len(id) > maxRequestIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		switch b := id[i]; {
		case b >= 'a' && b <= 'z', b >= 'A' && b <= 'Z', b >= '0' && b <= '9', b == '.', b == '_', b == '-':
		default:
			return false
		}
	}
	return true
}

// logger returns the server's logger with the request's request_id.
func logger(c *fiber.Ctx) *slog.Logger {
	if l, ok := c.Locals(localLogger).(*slog.Logger); ok {
		return l
	}
	base, ok := c.Locals(localBaseLogger).(*slog.Logger)
	if !ok {
		base = slog.Default()
	}
	l := base.With("request_id", requestID(c))
	c.Locals(localLogger, l)
	return l
}

// requestSource describes the request for audit entries: the client IP
// (after proxy trust, see clientIP), the user agent cut to 512 bytes, and
// the request id.
func requestSource(c *fiber.Ctx) audit.Source {
	return audit.Source{
		IP:        clientIP(c),
		UserAgent: truncateUTF8(strings.Clone(c.Get(fiber.HeaderUserAgent)), maxUserAgentLen),
		RequestID: requestID(c),
	}
}

// clientIP returns the client's address. Behind the server's middleware it
// is the rightmost X-Forwarded-For entry that is not a trusted proxy (only
// when the peer itself is a trusted proxy), which a client cannot forge by
// sending its own X-Forwarded-For; Fiber's c.IP() would take the leftmost,
// forgeable entry. Without the middleware it falls back to c.IP().
func clientIP(c *fiber.Ctx) string {
	if ip, ok := c.Locals(localClientIP).(string); ok {
		return ip
	}
	return strings.Clone(c.IP())
}

// proxyTrust is the set of reverse proxies whose X-Forwarded-* headers are
// believed.
type proxyTrust struct {
	prefixes []netip.Prefix
}

// parseProxyTrust reads addresses and CIDR ranges. It returns the entries
// it understood (normalised for Fiber) and those it did not.
func parseProxyTrust(list []string) (t proxyTrust, valid, invalid []string) {
	for _, s := range list {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		var p netip.Prefix
		if strings.Contains(s, "/") {
			pp, err := netip.ParsePrefix(s)
			if err != nil {
				invalid = append(invalid, s)
				continue
			}
			p = pp.Masked()
		} else {
			a, err := netip.ParseAddr(s)
			if err != nil {
				invalid = append(invalid, s)
				continue
			}
			a = a.Unmap().WithZone("")
			p = netip.PrefixFrom(a, a.BitLen())
		}
		t.prefixes = append(t.prefixes, p)
		valid = append(valid, s)
	}
	return t, valid, invalid
}

// trusts reports whether a is a trusted proxy.
func (t proxyTrust) trusts(a netip.Addr) bool {
	a = a.Unmap().WithZone("")
	for _, p := range t.prefixes {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// clientIP walks from the peer back through X-Forwarded-For while each hop
// is a trusted proxy and returns the first address that is not; when every
// hop is trusted it returns the leftmost. An unparsable entry stops the
// walk at the last hop that could be read.
func (t proxyTrust) clientIP(c *fiber.Ctx) string {
	addr, ok := netip.AddrFromSlice(c.Context().RemoteIP())
	if !ok {
		return strings.Clone(c.Context().RemoteIP().String())
	}
	addr = addr.Unmap()
	if len(t.prefixes) == 0 || !t.trusts(addr) {
		return addr.String()
	}
	headers := c.Request().Header.PeekAll(fiber.HeaderXForwardedFor)
	// Several X-Forwarded-For lines are one list, in order.
	for i := len(headers) - 1; i >= 0; i-- {
		entries := strings.Split(string(headers[i]), ",")
		for j := len(entries) - 1; j >= 0; j-- {
			hop, err := parseHop(entries[j])
			if err != nil {
				return addr.String()
			}
			addr = hop
			if !t.trusts(hop) {
				return hop.String()
			}
		}
	}
	return addr.String()
}

// parseHop reads one X-Forwarded-For entry: an address, optionally with a port.
func parseHop(s string) (netip.Addr, error) {
	s = strings.TrimSpace(s)
	a, err := netip.ParseAddr(s)
	if err != nil {
		ap, perr := netip.ParseAddrPort(s)
		if perr != nil {
			return netip.Addr{}, err
		}
		a = ap.Addr()
	}
	return a.Unmap().WithZone(""), nil
}

// panicError is a recovered panic with the stack where it happened; fail
// logs the stack and shows only a generic 500.
type panicError struct {
	value any
	stack []byte
}

// Error describes the panic for logs.
func (e *panicError) Error() string { return fmt.Sprintf("panic: %v", e.value) }

// recoverPanics turns a panic further down the chain into a panicError,
// which the error handler renders as a 500 envelope and logs at ERROR with
// the stack and request id.
func recoverPanics(c *fiber.Ctx) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &panicError{value: r, stack: debug.Stack()}
		}
	}()
	return c.Next()
}

// accessLog writes one INFO line per request once the response is final:
// method, path (never the query string, which can hold tokens), status,
// duration, response bytes, client ip and request id. Headers and bodies
// are never logged. An error from the rest of the chain is rendered here,
// through the app's error handler, so the line shows the real status.
func (s *serverState) accessLog(c *fiber.Ctx) error {
	c.Locals(localAccessLogged, true)
	c.Locals(localRequestStart, time.Now())
	completed := false
	defer func() {
		if !completed {
			// A panic is unwinding; recoverPanics answers it with a 500.
			s.logAccess(c, fiber.StatusInternalServerError, 0)
		}
	}()
	if err := c.Next(); err != nil {
		if herr := c.App().ErrorHandler(c, err); herr != nil {
			_ = c.SendStatus(fiber.StatusInternalServerError)
		}
	}
	completed = true
	s.logAccess(c, c.Response().StatusCode(), responseSize(c))
	return nil
}

// logAccess writes the access line.
func (s *serverState) logAccess(c *fiber.Ctx, status, size int) {
	var dur time.Duration
	if start, ok := c.Locals(localRequestStart).(time.Time); ok {
		dur = time.Since(start)
	}
	logger(c).LogAttrs(c.UserContext(), slog.LevelInfo, "request",
		slog.String("method", strings.Clone(c.Method())),
		slog.String("path", logPath(c)),
		slog.Int("status", status),
		slog.Float64("duration_ms", float64(dur.Microseconds())/1000),
		slog.Int("bytes", size),
		slog.String("ip", clientIP(c)),
	)
}

// logPath is the request path without the query string, cut to a sane length.
func logPath(c *fiber.Ctx) string {
	return truncateUTF8(strings.Clone(c.Path()), maxLoggedPathLen)
}

// responseSize is the body length without draining a streamed body.
func responseSize(c *fiber.Ctx) int {
	r := c.Response()
	if r.IsBodyStream() {
		return max(r.Header.ContentLength(), 0)
	}
	return len(r.Body())
}

// securityHeaders sets the security headers on every response (see
// setSecurityHeaders) and `Cache-Control: no-store` on JSON responses that
// did not choose their own caching.
func securityHeaders(c *fiber.Ctx) error {
	setSecurityHeaders(c)
	err := c.Next()
	if err == nil && isJSONResponse(c) && len(c.Response().Header.Peek(fiber.HeaderCacheControl)) == 0 {
		c.Set(fiber.HeaderCacheControl, "no-store")
	}
	return err
}

// Security header values (SEED-SPEC 15).
const (
	permissionsPolicy = "camera=(), microphone=(), geolocation=(), payment=()"
	hstsValue         = "max-age=63072000; includeSubDomains"
	apiCSP            = "default-src 'none'; frame-ancestors 'none'"
)

// setSecurityHeaders sets the headers every response carries; HSTS only
// when the request came over HTTPS (directly, or per X-Forwarded-Proto from
// a trusted proxy), and the strict API CSP on /api paths. Hosted pages set
// their own CSP with nonces.
func setSecurityHeaders(c *fiber.Ctx) {
	c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	c.Set(fiber.HeaderXFrameOptions, "DENY")
	c.Set(fiber.HeaderReferrerPolicy, "strict-origin-when-cross-origin")
	c.Set(fiber.HeaderPermissionsPolicy, permissionsPolicy)
	c.Set(fiber.HeaderXXSSProtection, "0")
	c.Set("Cross-Origin-Opener-Policy", "same-origin")
	if c.Protocol() == "https" {
		c.Set(fiber.HeaderStrictTransportSecurity, hstsValue)
	}
	if isAPIPath(c.Path()) {
		c.Set(fiber.HeaderContentSecurityPolicy, apiCSP)
	}
}

// isAPIPath reports whether p is /api or below it. Fiber routes without
// regard to case, so neither does this.
func isAPIPath(p string) bool {
	return len(p) >= 4 && strings.EqualFold(p[:4], "/api") && (len(p) == 4 || p[4] == '/')
}

// isJSONResponse reports whether the response declares a JSON body.
func isJSONResponse(c *fiber.Ctx) bool {
	ct := strings.ToLower(string(c.Response().Header.ContentType()))
	mt, _, _ := strings.Cut(ct, ";")
	mt = strings.TrimSpace(mt)
	return mt == fiber.MIMEApplicationJSON || strings.HasSuffix(mt, "+json")
}

// CORS values (SEED-SPEC 15).
const (
	corsAllowMethods  = "GET, POST, PUT, PATCH, DELETE, OPTIONS"
	corsAllowHeaders  = "Authorization, Content-Type, X-Request-ID, X-WebAuthn-Session-Token"
	corsExposeHeaders = "X-Request-ID, Retry-After, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset"
	corsMaxAge        = 600
)

// corsPolicy answers cross-origin requests. A listed origin is reflected
// with credentials allowed; the wildcard answers "*" without credentials;
// any other origin gets no CORS headers at all.
type corsPolicy struct {
	wildcard bool
	origins  map[string]struct{}
}

// newCORSPolicy builds the policy for the configured origins: nil (no CORS)
// when the list is empty, the wildcard when it holds "*" (other entries are
// then redundant). Origins compare without case and trailing slash.
func newCORSPolicy(list []string) *corsPolicy {
	p := &corsPolicy{origins: map[string]struct{}{}}
	for _, o := range list {
		o = normalizeOrigin(o)
		switch o {
		case "":
		case "*":
			p.wildcard = true
		default:
			p.origins[o] = struct{}{}
		}
	}
	if !p.wildcard && len(p.origins) == 0 {
		return nil
	}
	return p
}

// normalizeOrigin lower-cases an origin and drops a trailing slash.
func normalizeOrigin(o string) string {
	return strings.ToLower(strings.TrimSuffix(strings.TrimSpace(o), "/"))
}

// handle is the CORS middleware: it answers preflight requests (OPTIONS with
// Origin and Access-Control-Request-Method) with 204 and decorates the rest.
func (p *corsPolicy) handle(c *fiber.Ctx) error {
	if !corsApplies(c.Path()) {
		return c.Next()
	}
	origin := c.Get(fiber.HeaderOrigin)
	if c.Method() == fiber.MethodOptions && origin != "" && c.Get(fiber.HeaderAccessControlRequestMethod) != "" {
		if p.allowOrigin(c, origin) {
			c.Set(fiber.HeaderAccessControlAllowMethods, corsAllowMethods)
			c.Set(fiber.HeaderAccessControlAllowHeaders, corsAllowHeaders)
			c.Set(fiber.HeaderAccessControlMaxAge, strconv.Itoa(corsMaxAge))
		}
		c.Status(fiber.StatusNoContent)
		return nil
	}
	p.decorate(c)
	return c.Next()
}

// decorate sets the CORS headers of an actual (not preflight) response.
func (p *corsPolicy) decorate(c *fiber.Ctx) {
	if corsApplies(c.Path()) && p.allowOrigin(c, c.Get(fiber.HeaderOrigin)) {
		c.Set(fiber.HeaderAccessControlExposeHeaders, corsExposeHeaders)
	}
}

// allowOrigin sets Access-Control-Allow-Origin (and -Credentials for a
// listed origin) when origin is allowed, and reports whether it is.
func (p *corsPolicy) allowOrigin(c *fiber.Ctx, origin string) bool {
	if p.wildcard {
		if origin == "" {
			return false
		}
		c.Set(fiber.HeaderAccessControlAllowOrigin, "*")
		return true
	}
	// The answer depends on Origin, so caches must keep one copy per origin.
	c.Vary(fiber.HeaderOrigin)
	if origin == "" {
		return false
	}
	if _, ok := p.origins[normalizeOrigin(origin)]; !ok {
		return false
	}
	c.Set(fiber.HeaderAccessControlAllowOrigin, origin)
	c.Set(fiber.HeaderAccessControlAllowCredentials, "true")
	return true
}
