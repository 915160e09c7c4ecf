package httpapi

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/core/throttle"
)

// rateLimitKeyPrefix starts every counter key of the per-IP limits, keeping
// them apart from other counters (failed attempts per account, ...).
const rateLimitKeyPrefix = "ratelimit:"

// rateLimit returns middleware that counts requests per scope and client IP
// (clientIP, so proxy trust applies; IPv6 clients per /64) under rules. Every answer it lets
// through carries RateLimit-Limit, RateLimit-Remaining and RateLimit-Reset
// (seconds until the tightest window ends) and their X-RateLimit-* twins. A
// denied request gets a 429 RATE_LIMITED envelope with Retry-After; when the
// counter store fails the request is refused with a 503 envelope (fail
// closed). A nil limiter or no rules gives a pass-through handler (the test
// profile turns limiting off this way).
//
// It panics on a rule with a non-positive limit or window: that is a wiring
// bug to be caught at start-up, not a per-request failure.
func rateLimit(l *throttle.Limiter, scope string, rules ...throttle.Rule) fiber.Handler {
	if l == nil || len(rules) == 0 {
		return func(c *fiber.Ctx) error { return c.Next() }
	}
	for _, r := range rules {
		if r.Limit <= 0 || r.Window <= 0 {
			panic(fmt.Sprintf("httpapi: rate limit %q has an invalid rule %s", scope, r))
		}
	}
	rules = slices.Clone(rules)
	prefix := rateLimitKeyPrefix + scope + ":"
	return func(c *fiber.Ctx) error {
		const op = "httpapi.rateLimit"
		d, err := l.Check(c.UserContext(), prefix+rateLimitSubject(clientIP(c)), rules...)
		if err != nil {
			// Whatever went wrong, the request is not let through.
			return fail(c, &fault.Error{Op: op, Kind: fault.Unavailable, Err: err})
		}
		setRateLimitHeaders(c, d)
		if !d.Allowed {
			return fail(c, &fault.Error{Op: op, Kind: fault.RateLimited, RetryAfter: d.RetryAfter})
		}
		return c.Next()
	}
}

// rateLimitSubject is what one client's requests are counted under: the
// IPv4 address, or the /64 network of an IPv6 address, since one host
// commonly holds a whole /64 and could otherwise rotate through it.
func rateLimitSubject(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil || a.Is4() {
		return ip
	}
	p, err := a.Prefix(64)
	if err != nil {
		return ip
	}
	return p.String()
}

// setRateLimitHeaders reports the tightest rule of d, in the IETF draft's
// RateLimit-* names and the older X-RateLimit-* names (both with the reset
// as seconds from now, never 0 while a window is open).
func setRateLimitHeaders(c *fiber.Ctx, d throttle.Decision) {
	limit := strconv.Itoa(d.Limit)
	remaining := strconv.Itoa(d.Remaining)
	reset := strconv.FormatInt(ceilSeconds(d.Reset, 0), 10)
	c.Set("RateLimit-Limit", limit)
	c.Set("RateLimit-Remaining", remaining)
	c.Set("RateLimit-Reset", reset)
	c.Set("X-RateLimit-Limit", limit)
	c.Set("X-RateLimit-Remaining", remaining)
	c.Set("X-RateLimit-Reset", reset)
}
