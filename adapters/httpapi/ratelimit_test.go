package httpapi

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/core/throttle"
	"github.com/secuird/secuird/ports"
)

// stubCounter is a ports.Counter whose windows never end and which can be
// made to fail.
type stubCounter struct {
	mu     sync.Mutex
	counts map[string]int64
	left   time.Duration
	err    error
}

var _ ports.Counter = (*stubCounter)(nil)

func newStubCounter() *stubCounter {
	return &stubCounter{counts: map[string]int64{}, left: 90*time.Second + 300*time.Millisecond}
}

func (s *stubCounter) Incr(_ context.Context, key string, _ time.Duration) (int64, time.Duration, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return 0, 0, s.err
	}
	s.counts[key]++
	return s.counts[key], s.left, nil
}

func (s *stubCounter) Count(_ context.Context, key string) (int64, time.Duration, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts[key], s.left, s.err
}

func (s *stubCounter) ResetCount(_ context.Context, key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.counts, key)
	return s.err
}

// limitedApp serves POST /api/v1/login behind rateLimit and counts the
// requests that reach the handler.
func limitedApp(t *testing.T, l *throttle.Limiter, rules ...throttle.Rule) (*fiber.App, *int) {
	t.Helper()
	reached := new(int)
	app, _ := edgeApp(t, Options{TrustedProxies: []string{"0.0.0.0"}}, func(app *fiber.App) {
		app.Post("/api/v1/login", rateLimit(l, "login", rules...), func(c *fiber.Ctx) error {
			*reached++
			return respond(c, 200, "ok", nil)
		})
	})
	return app, reached
}

func callLogin(t *testing.T, app *fiber.App, ip string) edgeResult {
	t.Helper()
	req := edgeRequest("POST", "/api/v1/login", "")
	req.Header.Set("X-Forwarded-For", ip)
	return edgeCall(t, app, req)
}

func assertRateLimitHeaders(t *testing.T, r edgeResult, limit, remaining int, reset string) {
	t.Helper()
	for _, prefix := range []string{"RateLimit-", "X-RateLimit-"} {
		if got := r.header.Get(prefix + "Limit"); got != strconv.Itoa(limit) {
			t.Fatalf("%sLimit = %q, want %d", prefix, got, limit)
		}
		if got := r.header.Get(prefix + "Remaining"); got != strconv.Itoa(remaining) {
			t.Fatalf("%sRemaining = %q, want %d", prefix, got, remaining)
		}
		if got := r.header.Get(prefix + "Reset"); got != reset {
			t.Fatalf("%sReset = %q, want %q", prefix, got, reset)
		}
	}
}

func TestRateLimitDeniesOverTheLimit(t *testing.T) {
	t.Parallel()
	app, reached := limitedApp(t, throttle.New(newStubCounter()), throttle.Rule{Limit: 2, Window: time.Minute}, throttle.Rule{Limit: 10, Window: time.Hour})
	steps := []struct {
		name      string
		ip        string
		status    int
		remaining int
	}{
		{"allows the first request", "203.0.113.1", 200, 1},
		{"allows the request at the limit", "203.0.113.1", 200, 0},
		{"denies the request over the limit", "203.0.113.1", 429, 0},
		{"keeps denying", "203.0.113.1", 429, 0},
		{"counts another client apart", "203.0.113.2", 200, 1},
	}
	for _, s := range steps { // sequential: the counts build up
		r := callLogin(t, app, s.ip)
		if r.status != s.status {
			t.Fatalf("%s: status = %d, want %d", s.name, r.status, s.status)
		}
		assertRateLimitHeaders(t, r, 2, s.remaining, "91")
		if s.status == 429 {
			assertEnvelopeError(t, r, 429, "RATE_LIMITED")
			if got := r.header.Get("Retry-After"); got != "91" {
				t.Fatalf("%s: Retry-After = %q, want 91", s.name, got)
			}
		}
	}
	if *reached != 3 {
		t.Fatalf("handler reached %d times, want 3", *reached)
	}
}

func TestRateLimitFailsClosed(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  error
	}{
		{"refuses when the store is unavailable", fault.Wrap("redis.Incr", fault.Unavailable, errors.New("dial tcp: connection refused"))},
		{"refuses when the store fails unexpectedly", fault.Internalf("redis.Incr", "WRONGTYPE")},
		{"refuses on a plain store error", errors.New("boom")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := newStubCounter()
			c.err = tt.err
			app, reached := limitedApp(t, throttle.New(c), throttle.Rule{Limit: 5, Window: time.Minute})
			r := callLogin(t, app, "203.0.113.1")
			assertEnvelopeError(t, r, 503, "SERVER_ERROR")
			if *reached != 0 {
				t.Fatal("a request passed a failing limiter")
			}
			if m := r.json(t); m["message"] != "Service temporarily unavailable" {
				t.Fatalf("message = %v", m["message"])
			}
		})
	}
}

func TestRateLimitIsOffWithoutLimiterOrRules(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		l     *throttle.Limiter
		rules []throttle.Rule
	}{
		{"passes everything with a nil limiter", nil, []throttle.Rule{{Limit: 1, Window: time.Minute}}},
		{"passes everything without rules", throttle.New(newStubCounter()), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			app, reached := limitedApp(t, tt.l, tt.rules...)
			for range 3 {
				r := callLogin(t, app, "203.0.113.1")
				if r.status != 200 || r.header.Get("RateLimit-Limit") != "" {
					t.Fatalf("status %d, RateLimit-Limit %q", r.status, r.header.Get("RateLimit-Limit"))
				}
			}
			if *reached != 3 {
				t.Fatalf("reached %d times", *reached)
			}
		})
	}
}

func TestRateLimitRefusesInvalidRulesAtStartUp(t *testing.T) {
	t.Parallel()
	defer func() {
		if recover() == nil {
			t.Fatal("rateLimit accepted a zero limit")
		}
	}()
	rateLimit(throttle.New(newStubCounter()), "login", throttle.Rule{Limit: 0, Window: time.Minute})
}

func TestRateLimitSubject(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, ip, want string
	}{
		{"counts an IPv4 client by address", "203.0.113.7", "203.0.113.7"},
		{"counts an IPv6 client by its /64", "2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::/64"},
		{"puts two hosts of one /64 together", "2001:db8:1:2::1", "2001:db8:1:2::/64"},
		{"keeps an unparsable value as is", "unknown", "unknown"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := rateLimitSubject(tt.ip); got != tt.want {
				t.Fatalf("rateLimitSubject(%q) = %q, want %q", tt.ip, got, tt.want)
			}
		})
	}
}

func TestRateLimitCountsPerScopeAndClient(t *testing.T) {
	t.Parallel()
	c := newStubCounter()
	app, _ := limitedApp(t, throttle.New(c), throttle.Rule{Limit: 5, Window: time.Minute})
	callLogin(t, app, "203.0.113.1")
	callLogin(t, app, "2001:db8::1")
	callLogin(t, app, "2001:db8::2")
	c.mu.Lock()
	defer c.mu.Unlock()
	want := map[string]int64{"ratelimit:login:203.0.113.1:1m0s": 1, "ratelimit:login:2001:db8::/64:1m0s": 2}
	if len(c.counts) != len(want) {
		t.Fatalf("counters = %v, want %v", c.counts, want)
	}
	for k, v := range want {
		if c.counts[k] != v {
			t.Fatalf("counters = %v, want %v", c.counts, want)
		}
	}
}
