// Package throttle decides whether an action may go ahead under one or more
// fixed-window rate limits ("10 per minute and 50 per hour"), counting in a
// shared ports.Counter so that every node of a cluster sees the same totals.
//
// The limiter fails closed: when the counter store does not answer, Check
// returns the error and the caller must refuse the request (SEED-SPEC 2.2).
package throttle

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/ports"
)

// Rule allows at most Limit events per Window.
type Rule struct {
	Limit  int
	Window time.Duration
}

// String renders the rule as "10/1m0s".
func (r Rule) String() string {
	return strconv.Itoa(r.Limit) + "/" + r.Window.String()
}

// valid reports whether the rule can be enforced.
func (r Rule) valid() bool { return r.Limit > 0 && r.Window > 0 }

// Decision is the outcome of one Check. Limit, Remaining and Reset describe
// the tightest rule (the one with the fewest events left), which is what the
// RateLimit-* response headers report.
type Decision struct {
	// Allowed is false when any rule is exceeded.
	Allowed bool
	// Limit is the tightest rule's limit.
	Limit int
	// Remaining is how many more events the tightest rule allows (never negative).
	Remaining int
	// Reset is the time until the tightest rule's window ends.
	Reset time.Duration
	// RetryAfter is, when denied, the time until every exceeded window has
	// ended; zero when allowed.
	RetryAfter time.Duration
}

// Limiter checks rules against a shared counter store.
type Limiter struct {
	counter ports.Counter
}

// New returns a Limiter counting in c.
func New(c ports.Counter) *Limiter {
	return &Limiter{counter: c}
}

// Check records one event for key under every rule (each rule has its own
// counter, key + ":" + window) and reports whether all rules still allow it.
// With no rules the event is allowed. Denied events are counted too, so a
// client that keeps hammering stays locked out of the longer windows.
//
// It returns Internal for an invalid rule and the store's error (normally
// Unavailable) when the counter fails; the Decision is then the zero value,
// which does not allow the event.
func (l *Limiter) Check(ctx context.Context, key string, rules ...Rule) (Decision, error) {
	const op = "throttle.Check"
	if len(rules) == 0 {
		return Decision{Allowed: true}, nil
	}
	for _, r := range rules {
		if !r.valid() {
			return Decision{}, fault.Internalf(op, "invalid rate-limit rule %s", r)
		}
	}

	d := Decision{Allowed: true}
	for i, r := range rules {
		n, left, err := l.counter.Incr(ctx, counterKey(key, r.Window), r.Window)
		if err != nil {
			return Decision{}, fault.Wrap(op, fault.Unavailable, err)
		}
		if left < 0 {
			left = 0
		}
		remaining := int64(r.Limit) - n
		if remaining < 0 {
			remaining = 0
		}
		if n > int64(r.Limit) {
			d.Allowed = false
			d.RetryAfter = max(d.RetryAfter, left)
		}
		// The tightest rule has the fewest events left; on a tie the longer
		// wait is reported, so a client that honours it is not denied again.
		if i == 0 || int(remaining) < d.Remaining || (int(remaining) == d.Remaining && left > d.Reset) {
			d.Limit = r.Limit
			d.Remaining = int(remaining)
			d.Reset = left
		}
	}
	if d.Allowed {
		d.RetryAfter = 0
	}
	return d, nil
}

// counterKey names the counter of key under a window of w.
func counterKey(key string, w time.Duration) string {
	return key + ":" + w.String()
}

// ParseRules reads a list of rules such as "10/min,50/h" or, as the
// previous system wrote them, "10 per minute; 50 per hour". Rules are
// separated by commas or semicolons; each is a positive count, "/" or "per",
// and a unit with an optional positive multiplier ("100/15min"). Units: s,
// sec, second, m, min, minute, h, hr, hour, d, day (word forms may be plural;
// case is ignored). A blank string yields no rules (limiting disabled).
func ParseRules(s string) ([]Rule, error) {
	const op = "throttle.ParseRules"
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	parts := strings.Split(strings.ReplaceAll(s, ";", ","), ",")
	rules := make([]Rule, 0, len(parts))
	for _, p := range parts {
		r, err := parseRule(strings.TrimSpace(p))
		if err != nil {
			return nil, fault.E(op, fault.Invalid, fmt.Sprintf("invalid rate limit %q: %v", strings.TrimSpace(p), err))
		}
		rules = append(rules, r)
	}
	return rules, nil
}

// parseRule reads one "count/unit" or "count per unit" rule.
func parseRule(p string) (Rule, error) {
	if p == "" {
		return Rule{}, errors.New("empty rule")
	}
	count, per, ok := strings.Cut(p, "/")
	if !ok {
		fields := strings.Fields(p)
		if len(fields) < 3 || !strings.EqualFold(fields[1], "per") {
			return Rule{}, errors.New(`want "count/unit" or "count per unit"`)
		}
		count, per = fields[0], strings.Join(fields[2:], "")
	}
	limit, err := strconv.Atoi(strings.TrimSpace(count))
	if err != nil || limit <= 0 {
		return Rule{}, errors.New("count must be a positive integer")
	}
	window, err := parseWindow(strings.ReplaceAll(per, " ", ""))
	if err != nil {
		return Rule{}, err
	}
	return Rule{Limit: limit, Window: window}, nil
}

// units maps every accepted unit spelling to its duration.
var units = map[string]time.Duration{
	"s": time.Second, "sec": time.Second, "secs": time.Second, "second": time.Second, "seconds": time.Second,
	"m": time.Minute, "min": time.Minute, "mins": time.Minute, "minute": time.Minute, "minutes": time.Minute,
	"h": time.Hour, "hr": time.Hour, "hrs": time.Hour, "hour": time.Hour, "hours": time.Hour,
	"d": 24 * time.Hour, "day": 24 * time.Hour, "days": 24 * time.Hour,
}

// maxMultiplier keeps a window below a year, far from overflowing a Duration.
const maxMultiplier = 100000

// parseWindow reads "min", "15min" or "2h".
func parseWindow(s string) (time.Duration, error) {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	mult := 1
	if i > 0 {
		m, err := strconv.Atoi(s[:i])
		if err != nil || m <= 0 || m > maxMultiplier {
			return 0, fmt.Errorf("window multiplier must be between 1 and %d", maxMultiplier)
		}
		mult = m
	}
	unit, ok := units[strings.ToLower(s[i:])]
	if !ok {
		return 0, fmt.Errorf("unknown unit %q (use s, min, h or d)", s[i:])
	}
	w := time.Duration(mult) * unit
	if w > 366*24*time.Hour {
		return 0, errors.New("window longer than a year")
	}
	return w, nil
}
