package throttle_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/secuird/secuird/adapters/memory"
	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/core/throttle"
	"github.com/secuird/secuird/ports"
)

// fakeCounter is a fixed-window ports.Counter on a hand-driven clock.
type fakeCounter struct {
	mu      sync.Mutex
	now     time.Time
	entries map[string]*fakeEntry
	keys    []string // every key passed to Incr, in order
	err     error    // when set, every call fails with it
}

type fakeEntry struct {
	n       int64
	expires time.Time
}

var _ ports.Counter = (*fakeCounter)(nil)

func newFakeCounter() *fakeCounter {
	return &fakeCounter{now: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), entries: map[string]*fakeEntry{}}
}

func (f *fakeCounter) Incr(_ context.Context, key string, window time.Duration) (int64, time.Duration, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return 0, 0, f.err
	}
	f.keys = append(f.keys, key)
	e, ok := f.entries[key]
	if !ok || !f.now.Before(e.expires) {
		e = &fakeEntry{expires: f.now.Add(window)}
		f.entries[key] = e
	}
	e.n++
	return e.n, e.expires.Sub(f.now), nil
}

func (f *fakeCounter) Count(_ context.Context, key string) (int64, time.Duration, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return 0, 0, f.err
	}
	e, ok := f.entries[key]
	if !ok || !f.now.Before(e.expires) {
		return 0, 0, nil
	}
	return e.n, e.expires.Sub(f.now), nil
}

func (f *fakeCounter) ResetCount(_ context.Context, key string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return f.err
	}
	delete(f.entries, key)
	return nil
}

func (f *fakeCounter) advance(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = f.now.Add(d)
}

var (
	perMinute = throttle.Rule{Limit: 3, Window: time.Minute}
	perHour   = throttle.Rule{Limit: 5, Window: time.Hour}
)

func TestCheck(t *testing.T) {
	t.Parallel()

	// step is one call to Check, optionally after moving the clock.
	type step struct {
		advance time.Duration
		want    throttle.Decision
	}
	tests := []struct {
		name  string
		rules []throttle.Rule
		steps []step
	}{
		{
			name:  "allows everything when there are no rules",
			rules: nil,
			steps: []step{{want: throttle.Decision{Allowed: true}}, {want: throttle.Decision{Allowed: true}}},
		},
		{
			name:  "allows up to the limit and denies the next event until the window ends",
			rules: []throttle.Rule{perMinute},
			steps: []step{
				{want: throttle.Decision{Allowed: true, Limit: 3, Remaining: 2, Reset: time.Minute}},
				{advance: 10 * time.Second, want: throttle.Decision{Allowed: true, Limit: 3, Remaining: 1, Reset: 50 * time.Second}},
				{want: throttle.Decision{Allowed: true, Limit: 3, Remaining: 0, Reset: 50 * time.Second}},
				{advance: 20 * time.Second, want: throttle.Decision{Allowed: false, Limit: 3, Remaining: 0, Reset: 30 * time.Second, RetryAfter: 30 * time.Second}},
				{advance: 30 * time.Second, want: throttle.Decision{Allowed: true, Limit: 3, Remaining: 2, Reset: time.Minute}},
			},
		},
		{
			name:  "reports the rule with the fewest events left",
			rules: []throttle.Rule{{Limit: 10, Window: time.Minute}, {Limit: 2, Window: time.Hour}},
			steps: []step{
				{want: throttle.Decision{Allowed: true, Limit: 2, Remaining: 1, Reset: time.Hour}},
			},
		},
		{
			name:  "denies when the longer window is exhausted although the shorter one resets",
			rules: []throttle.Rule{perMinute, perHour},
			steps: []step{
				{want: throttle.Decision{Allowed: true, Limit: 3, Remaining: 2, Reset: time.Minute}},
				{want: throttle.Decision{Allowed: true, Limit: 3, Remaining: 1, Reset: time.Minute}},
				{want: throttle.Decision{Allowed: true, Limit: 3, Remaining: 0, Reset: time.Minute}},
				{advance: time.Minute, want: throttle.Decision{Allowed: true, Limit: 5, Remaining: 1, Reset: 59 * time.Minute}},
				{want: throttle.Decision{Allowed: true, Limit: 5, Remaining: 0, Reset: 59 * time.Minute}},
				{want: throttle.Decision{Allowed: false, Limit: 5, Remaining: 0, Reset: 59 * time.Minute, RetryAfter: 59 * time.Minute}},
				{advance: time.Minute, want: throttle.Decision{Allowed: false, Limit: 5, Remaining: 0, Reset: 58 * time.Minute, RetryAfter: 58 * time.Minute}},
			},
		},
		{
			name:  "waits for every exceeded window before retrying",
			rules: []throttle.Rule{{Limit: 1, Window: time.Minute}, {Limit: 1, Window: time.Hour}},
			steps: []step{
				{want: throttle.Decision{Allowed: true, Limit: 1, Remaining: 0, Reset: time.Hour}},
				{want: throttle.Decision{Allowed: false, Limit: 1, Remaining: 0, Reset: time.Hour, RetryAfter: time.Hour}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := newFakeCounter()
			l := throttle.New(c)
			for i, s := range tt.steps {
				c.advance(s.advance)
				got, err := l.Check(t.Context(), "login:203.0.113.7", tt.rules...)
				if err != nil {
					t.Fatalf("step %d: Check: %v", i, err)
				}
				if got != s.want {
					t.Fatalf("step %d: got %+v, want %+v", i, got, s.want)
				}
			}
		})
	}
}

func TestCheckKeysCountersByWindow(t *testing.T) {
	t.Parallel()
	c := newFakeCounter()
	l := throttle.New(c)
	if _, err := l.Check(t.Context(), "register:198.51.100.1", perMinute, perHour); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Check(t.Context(), "register:198.51.100.2", perMinute); err != nil {
		t.Fatal(err)
	}
	want := []string{"register:198.51.100.1:1m0s", "register:198.51.100.1:1h0m0s", "register:198.51.100.2:1m0s"}
	if len(c.keys) != len(want) {
		t.Fatalf("keys = %q, want %q", c.keys, want)
	}
	for i := range want {
		if c.keys[i] != want[i] {
			t.Fatalf("keys = %q, want %q", c.keys, want)
		}
	}
}

func TestCheckSeparatesKeys(t *testing.T) {
	t.Parallel()
	l := throttle.New(newFakeCounter())
	for range 3 {
		if _, err := l.Check(t.Context(), "a", perMinute); err != nil {
			t.Fatal(err)
		}
	}
	if d, _ := l.Check(t.Context(), "a", perMinute); d.Allowed {
		t.Fatal("fourth event for key a was allowed")
	}
	if d, _ := l.Check(t.Context(), "b", perMinute); !d.Allowed {
		t.Fatal("first event for key b was denied")
	}
}

func TestCheckFailsClosed(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		storeErr error
		wantKind fault.Kind
	}{
		{"passes on an Unavailable store error", fault.Wrap("memory.Incr", fault.Unavailable, errors.New("connection refused")), fault.Unavailable},
		{"classifies a plain store error as Unavailable", errors.New("boom"), fault.Unavailable},
		{"keeps the kind of a classified store error", fault.Internalf("redis.Incr", "bad reply"), fault.Internal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := newFakeCounter()
			c.err = tt.storeErr
			d, err := throttle.New(c).Check(t.Context(), "k", perMinute)
			if err == nil {
				t.Fatal("Check succeeded with a failing store")
			}
			if d.Allowed {
				t.Fatal("a failing store allowed the event")
			}
			if got := fault.KindOf(err); got != tt.wantKind {
				t.Fatalf("kind = %v, want %v", got, tt.wantKind)
			}
			if !errors.Is(err, tt.storeErr) {
				t.Fatalf("error %v does not wrap the store's error", err)
			}
		})
	}
}

func TestCheckRejectsInvalidRules(t *testing.T) {
	t.Parallel()
	for _, r := range []throttle.Rule{{Limit: 0, Window: time.Minute}, {Limit: 1, Window: 0}, {Limit: -1, Window: time.Second}} {
		d, err := throttle.New(newFakeCounter()).Check(t.Context(), "k", r)
		if err == nil || d.Allowed {
			t.Fatalf("rule %v: got %+v, %v; want a denial with an error", r, d, err)
		}
	}
}

func TestParseRules(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want []throttle.Rule
	}{
		{"reads one rule", "100/h", []throttle.Rule{{100, time.Hour}}},
		{"reads a list of rules", "10/min,50/h", []throttle.Rule{{10, time.Minute}, {50, time.Hour}}},
		{"ignores spaces", " 20 / min , 100 / hour ", []throttle.Rule{{20, time.Minute}, {100, time.Hour}}},
		{"accepts every unit spelling", "1/s,2/sec,3/m,4/min,5/h,6/hour,7/d,8/day", []throttle.Rule{
			{1, time.Second}, {2, time.Second}, {3, time.Minute}, {4, time.Minute},
			{5, time.Hour}, {6, time.Hour}, {7, 24 * time.Hour}, {8, 24 * time.Hour},
		}},
		{"ignores case and plural word forms", "5/MIN,6/Hours,7/days", []throttle.Rule{{5, time.Minute}, {6, time.Hour}, {7, 24 * time.Hour}}},
		{"accepts the per syntax and semicolons", "10 per minute; 50 per hour", []throttle.Rule{{10, time.Minute}, {50, time.Hour}}},
		{"accepts a window multiplier", "5/15min,3 per 2 hours", []throttle.Rule{{5, 15 * time.Minute}, {3, 2 * time.Hour}}},
		{"yields no rules for a blank string", "  ", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := throttle.ParseRules(tt.in)
			if err != nil {
				t.Fatalf("ParseRules(%q): %v", tt.in, err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("ParseRules(%q) = %v, want %v", tt.in, got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Fatalf("ParseRules(%q) = %v, want %v", tt.in, got, tt.want)
				}
			}
		})
	}
}

func TestParseRulesRejects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
	}{
		{"a missing unit", "10"},
		{"an unknown unit", "10/week"},
		{"a zero count", "0/min"},
		{"a negative count", "-5/min"},
		{"a non-numeric count", "ten/min"},
		{"an empty rule in a list", "10/min,,50/h"},
		{"a trailing separator", "10/min,"},
		{"a zero multiplier", "5/0min"},
		{"a window longer than a year", "1/400d"},
		{"a count overflowing int", "99999999999999999999/min"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got, err := throttle.ParseRules(tt.in); err == nil {
				t.Fatalf("ParseRules(%q) = %v, want an error", tt.in, got)
			} else if !fault.Is(err, fault.Invalid) {
				t.Fatalf("ParseRules(%q) error kind = %v, want invalid", tt.in, fault.KindOf(err))
			}
		})
	}
}

func TestCheckWithTheMemoryCounter(t *testing.T) {
	t.Parallel()
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	clock := func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		return now
	}
	store := memory.New(memory.WithClock(clock), memory.WithSweepInterval(0))
	t.Cleanup(store.Close)
	l := throttle.New(store)
	rules := []throttle.Rule{{Limit: 20, Window: time.Minute}, {Limit: 100, Window: time.Hour}}

	// Of many concurrent attempts exactly the limit gets through.
	const attempts = 50
	var wg sync.WaitGroup
	allowed := make(chan bool, attempts)
	for range attempts {
		wg.Go(func() {
			d, err := l.Check(t.Context(), "login:192.0.2.1", rules...)
			if err != nil {
				t.Error(err)
			}
			allowed <- d.Allowed
		})
	}
	wg.Wait()
	close(allowed)
	n := 0
	for a := range allowed {
		if a {
			n++
		}
	}
	if n != 20 {
		t.Fatalf("%d of %d concurrent attempts allowed, want 20", n, attempts)
	}

	// After the minute its counter starts again; the hour's holds all 50
	// attempts and one more, so the minute is still the tighter rule.
	mu.Lock()
	now = now.Add(time.Minute)
	mu.Unlock()
	d, err := l.Check(t.Context(), "login:192.0.2.1", rules...)
	if err != nil {
		t.Fatal(err)
	}
	if want := (throttle.Decision{Allowed: true, Limit: 20, Remaining: 19, Reset: time.Minute}); d != want {
		t.Fatalf("after a minute: got %+v, want %+v", d, want)
	}
}
