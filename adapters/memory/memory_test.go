package memory

import (
	"context"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/core/identity"
	"github.com/secuird/secuird/ports/porttest"
)

func TestEphemeral(t *testing.T) {
	t.Parallel()
	porttest.RunEphemeral(t, func(t *testing.T) porttest.Ephemeral {
		s := New()
		t.Cleanup(s.Close)
		return s
	})
}

// fakeClock is a settable clock for exact expiry tests.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func newClocked(t *testing.T) (*Store, *fakeClock) {
	t.Helper()
	clock := &fakeClock{t: time.Date(2030, 1, 2, 3, 4, 5, 6, time.UTC)}
	s := New(WithClock(clock.Now), WithSweepInterval(0))
	t.Cleanup(s.Close)
	return s, clock
}

func session(user, hash string, now time.Time) identity.Session {
	return identity.Session{
		ID: "id-" + hash, TokenHash: hash, UserID: user,
		CreatedAt: now, LastSeenAt: now, AuthTime: now,
		ExpiresAt: now.Add(time.Hour), IdleTimeout: 10 * time.Minute,
		AMR: []string{"pwd"},
	}
}

func TestExpiryFollowsTheInjectedClock(t *testing.T) {
	t.Parallel()
	s, clock := newClocked(t)
	ctx := t.Context()
	now := clock.Now()
	if err := s.CreateSession(ctx, session("u", "h", now)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Incr(ctx, "c", time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := s.PutOnce(ctx, "o", []byte("v"), time.Minute); err != nil {
		t.Fatal(err)
	}

	clock.Add(10*time.Minute - time.Nanosecond)
	if _, err := s.SessionByTokenHash(ctx, "h"); err != nil {
		t.Fatalf("session one nanosecond before its idle deadline: %v", err)
	}
	clock.Add(time.Nanosecond)
	if _, err := s.SessionByTokenHash(ctx, "h"); !fault.Is(err, fault.NotFound) {
		t.Fatalf("session at its idle deadline: %v, want NotFound", err)
	}
	if n, _, _ := s.Count(ctx, "c"); n != 0 {
		t.Errorf("counter after its window: %d", n)
	}
	if _, err := s.Take(ctx, "o"); !fault.Is(err, fault.NotFound) {
		t.Errorf("value after its ttl: %v, want NotFound", err)
	}
}

func TestTouchIsCappedByExpiresAt(t *testing.T) {
	t.Parallel()
	s, clock := newClocked(t)
	ctx := t.Context()
	now := clock.Now()
	if err := s.CreateSession(ctx, session("u", "h", now)); err != nil {
		t.Fatal(err)
	}
	for range 6 { // 6 x 9 minutes of activity walks past the one-hour expiry
		clock.Add(9 * time.Minute)
		if err := s.TouchSession(ctx, "h", clock.Now()); err != nil {
			t.Fatalf("TouchSession at +%v: %v", clock.Now().Sub(now), err)
		}
	}
	clock.Add(6 * time.Minute) // +60m: ExpiresAt
	if err := s.TouchSession(ctx, "h", clock.Now()); !fault.Is(err, fault.NotFound) {
		t.Fatalf("TouchSession at ExpiresAt: %v, want NotFound", err)
	}
}

func TestSweepDropsExpiredEntriesAndIndex(t *testing.T) {
	t.Parallel()
	s, clock := newClocked(t)
	ctx := t.Context()
	now := clock.Now()
	for i := range 100 {
		sess := session("u"+strconv.Itoa(i%3), "h"+strconv.Itoa(i), now)
		if i%2 == 0 {
			sess.ExpiresAt = now.Add(time.Minute)
		}
		if err := s.CreateSession(ctx, sess); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := s.Incr(ctx, "c", time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := s.PutOnce(ctx, "o", nil, time.Minute); err != nil {
		t.Fatal(err)
	}
	clock.Add(time.Minute)
	s.sweep()

	total, indexed := 0, 0
	for i := range s.shards {
		total += len(s.shards[i].m)
	}
	for _, set := range s.users {
		indexed += len(set)
	}
	if total != 50 || indexed != 50 {
		t.Errorf("after sweep: %d sessions, %d indexed; want 50, 50", total, indexed)
	}
	if len(s.counters) != 0 || len(s.once) != 0 {
		t.Errorf("after sweep: %d counters, %d values; want none", len(s.counters), len(s.once))
	}

	clock.Add(time.Hour)
	s.sweep()
	if len(s.users) != 0 {
		t.Errorf("after sweeping everything the user index holds %d users", len(s.users))
	}
}

func TestJanitorRunsAndCloseStopsIt(t *testing.T) {
	t.Parallel()
	clock := &fakeClock{t: time.Now()}
	s := New(WithClock(clock.Now), WithSweepInterval(time.Millisecond))
	ctx := t.Context()
	if err := s.PutOnce(ctx, "o", nil, time.Second); err != nil {
		t.Fatal(err)
	}
	clock.Add(time.Second)
	deadline := time.Now().Add(10 * time.Second)
	for {
		s.omu.Lock()
		n := len(s.once)
		s.omu.Unlock()
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("janitor never dropped the expired value")
		}
		time.Sleep(time.Millisecond)
	}
	s.Close()
	s.Close() // idempotent
}

func TestInvalidInput(t *testing.T) {
	t.Parallel()
	s, clock := newClocked(t)
	ctx := t.Context()
	now := clock.Now()
	ended := session("u", "h", now.Add(-2*time.Hour))
	cases := map[string]error{
		"session without hash": s.CreateSession(ctx, session("u", "", now)),
		"session without user": s.CreateSession(ctx, session("", "h", now)),
		"ended session":        s.CreateSession(ctx, ended),
		"zero window":          func() error { _, _, err := s.Incr(ctx, "k", 0); return err }(),
		"zero ttl":             s.PutOnce(ctx, "k", nil, 0),
	}
	for name, err := range cases {
		if !fault.Is(err, fault.Invalid) {
			t.Errorf("%s: %v, want Invalid", name, err)
		}
	}
}

// BenchmarkSessionByTokenHash measures the lookup every API request makes,
// among 10,000 sessions, from one goroutine and from GOMAXPROCS.
func BenchmarkSessionByTokenHash(b *testing.B) {
	s := New()
	defer s.Close()
	ctx := context.Background()
	now := time.Now()
	const n = 10000
	hashes := make([]string, n)
	for i := range hashes {
		hashes[i] = strconv.FormatUint(uint64(i)*0x9e3779b97f4a7c15, 16)
		sess := session("user"+strconv.Itoa(i%500), hashes[i], now)
		sess.AMR = []string{"pwd", "otp"}
		if err := s.CreateSession(ctx, sess); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("serial", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if _, err := s.SessionByTokenHash(ctx, hashes[i%n]); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			i := 0
			for pb.Next() {
				if _, err := s.SessionByTokenHash(ctx, hashes[i%n]); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	})
}
