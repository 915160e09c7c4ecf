// Package porttest holds one conformance suite per port. Every adapter's
// own tests run each suite that applies to it, so all adapters of a port
// behave the same.
package porttest

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/core/identity"
	"github.com/secuird/secuird/ports"
)

// Ephemeral is the ephemeral-state side of the program: sessions, counters
// and single-use values, plus a health check. The memory and Redis adapters
// implement all of it.
type Ephemeral interface {
	ports.SessionStore
	ports.Counter
	ports.OneTimeStore
	ports.Pinger
}

// RunEphemeral runs the SessionStore, Counter and OneTimeStore suites and
// checks Ping. open is called once per subtest and must return an empty
// store isolated from every other call (own key prefix, own instance); it
// registers its own cleanup on t.
//
// The expiry checks use the real clock with lifetimes of a few hundred
// milliseconds; they never fail because the machine is slow, they only
// assert less when it is.
func RunEphemeral(t *testing.T, open func(t *testing.T) Ephemeral) {
	t.Run("Ping", func(t *testing.T) {
		t.Parallel()
		if err := open(t).Ping(t.Context()); err != nil {
			t.Fatalf("Ping: %v", err)
		}
	})
	t.Run("SessionStore", func(t *testing.T) {
		RunSessionStore(t, func(t *testing.T) ports.SessionStore { return open(t) })
	})
	t.Run("Counter", func(t *testing.T) {
		RunCounter(t, func(t *testing.T) ports.Counter { return open(t) })
	})
	t.Run("OneTimeStore", func(t *testing.T) {
		RunOneTimeStore(t, func(t *testing.T) ports.OneTimeStore { return open(t) })
	})
}

// ephSlack is how far past a deadline the suite waits before it expects an
// entry to be gone. Adapters must hide expired entries at once, so this only
// absorbs timer and millisecond rounding.
const ephSlack = 30 * time.Millisecond

// RunSessionStore checks a ports.SessionStore. open must return an empty,
// isolated store on every call.
func RunSessionStore(t *testing.T, open func(t *testing.T) ports.SessionStore) {
	t.Run("round trip keeps every field in UTC", func(t *testing.T) {
		t.Parallel()
		st, ctx := open(t), t.Context()
		zone := time.FixedZone("UTC+05:30", 5*3600+30*60)
		now := time.Now().In(zone)
		in := identity.Session{
			ID:             ephRandom(t),
			TokenHash:      ephRandom(t),
			UserID:         ephRandom(t),
			CreatedAt:      now.Add(-time.Minute),
			ExpiresAt:      now.Add(12*time.Hour + 345*time.Microsecond),
			LastSeenAt:     now.Add(-time.Second),
			IdleTimeout:    30 * time.Minute,
			RememberMe:     true,
			IP:             "2001:db8::1",
			UserAgent:      "Mozilla/5.0 (X11; Linux x86_64) \"quoted\" ünïcode",
			ComplianceOnly: true,
			AuthTime:       now.Add(-2 * time.Minute),
			AMR:            []string{"pwd", "otp", "hwk"},
		}
		if err := st.CreateSession(ctx, in); err != nil {
			t.Fatalf("CreateSession: %v", err)
		}
		got, err := st.SessionByTokenHash(ctx, in.TokenHash)
		if err != nil {
			t.Fatalf("SessionByTokenHash: %v", err)
		}
		ephSameSession(t, got, in)

		list, err := st.SessionsByUser(ctx, in.UserID)
		if err != nil {
			t.Fatalf("SessionsByUser: %v", err)
		}
		if len(list) != 1 {
			t.Fatalf("SessionsByUser: got %d sessions, want 1", len(list))
		}
		ephSameSession(t, list[0], in)
	})

	t.Run("zero times and empty AMR round trip", func(t *testing.T) {
		t.Parallel()
		st, ctx := open(t), t.Context()
		now := time.Now()
		in := identity.Session{
			ID:        ephRandom(t),
			TokenHash: ephRandom(t),
			UserID:    ephRandom(t),
			CreatedAt: now,
			ExpiresAt: now.Add(time.Hour),
		}
		if err := st.CreateSession(ctx, in); err != nil {
			t.Fatalf("CreateSession: %v", err)
		}
		got, err := st.SessionByTokenHash(ctx, in.TokenHash)
		if err != nil {
			t.Fatalf("SessionByTokenHash: %v", err)
		}
		if !got.AuthTime.IsZero() || !got.LastSeenAt.IsZero() {
			t.Errorf("zero times came back as AuthTime %v, LastSeenAt %v", got.AuthTime, got.LastSeenAt)
		}
		if len(got.AMR) != 0 {
			t.Errorf("AMR = %q, want empty", got.AMR)
		}
		ephSameSession(t, got, in)
	})

	t.Run("callers cannot change stored AMR", func(t *testing.T) {
		t.Parallel()
		st, ctx := open(t), t.Context()
		in := ephSession(t, ephRandom(t), time.Now(), time.Hour)
		in.AMR = []string{"pwd", "otp"}
		if err := st.CreateSession(ctx, in); err != nil {
			t.Fatalf("CreateSession: %v", err)
		}
		in.AMR[0] = "changed-after-create"
		got, err := st.SessionByTokenHash(ctx, in.TokenHash)
		if err != nil {
			t.Fatalf("SessionByTokenHash: %v", err)
		}
		got.AMR[1] = "changed-after-read"
		again, err := st.SessionByTokenHash(ctx, in.TokenHash)
		if err != nil {
			t.Fatalf("SessionByTokenHash: %v", err)
		}
		if want := []string{"pwd", "otp"}; !slices.Equal(again.AMR, want) {
			t.Errorf("AMR = %q, want %q", again.AMR, want)
		}
	})

	t.Run("duplicate token hash is a conflict", func(t *testing.T) {
		t.Parallel()
		st, ctx := open(t), t.Context()
		first := ephSession(t, ephRandom(t), time.Now(), time.Hour)
		if err := st.CreateSession(ctx, first); err != nil {
			t.Fatalf("CreateSession: %v", err)
		}
		second := ephSession(t, ephRandom(t), time.Now(), time.Hour)
		second.TokenHash = first.TokenHash
		ephWantKind(t, "CreateSession(duplicate)", st.CreateSession(ctx, second), fault.Conflict)

		got, err := st.SessionByTokenHash(ctx, first.TokenHash)
		if err != nil {
			t.Fatalf("SessionByTokenHash: %v", err)
		}
		if got.ID != first.ID || got.UserID != first.UserID {
			t.Errorf("the duplicate replaced the session: got ID %q user %q", got.ID, got.UserID)
		}
		if list, err := st.SessionsByUser(ctx, second.UserID); err != nil || len(list) != 0 {
			t.Errorf("SessionsByUser(loser) = %d sessions, %v; want none", len(list), err)
		}
	})

	t.Run("concurrent creates of one hash: exactly one wins", func(t *testing.T) {
		t.Parallel()
		st, ctx := open(t), t.Context()
		hash := ephRandom(t)
		const n = 20
		errs := ephParallel(n, func(int) error {
			s := ephSession(t, ephRandom(t), time.Now(), time.Hour)
			s.TokenHash = hash
			return st.CreateSession(ctx, s)
		})
		ephExactlyOneWins(t, "CreateSession", errs, fault.Conflict)
	})

	t.Run("absent session is not found", func(t *testing.T) {
		t.Parallel()
		st, ctx := open(t), t.Context()
		hash := ephRandom(t)
		_, err := st.SessionByTokenHash(ctx, hash)
		ephWantKind(t, "SessionByTokenHash", err, fault.NotFound)
		ephWantKind(t, "TouchSession", st.TouchSession(ctx, hash, time.Now()), fault.NotFound)
		ephWantKind(t, "DeleteSession", st.DeleteSession(ctx, hash), fault.NotFound)
		list, err := st.SessionsByUser(ctx, ephRandom(t))
		if err != nil || len(list) != 0 {
			t.Errorf("SessionsByUser(unknown user) = %d sessions, %v; want none, nil", len(list), err)
		}
		n, err := st.DeleteUserSessions(ctx, ephRandom(t), "")
		if err != nil || n != 0 {
			t.Errorf("DeleteUserSessions(unknown user) = %d, %v; want 0, nil", n, err)
		}
	})

	t.Run("session expires at ExpiresAt", func(t *testing.T) {
		t.Parallel()
		st, ctx := open(t), t.Context()
		s := ephSession(t, ephRandom(t), time.Now(), 250*time.Millisecond)
		if err := st.CreateSession(ctx, s); err != nil {
			ephSkipIfLate(t, s.ExpiresAt, "CreateSession", err)
			t.Fatalf("CreateSession: %v", err)
		}
		ephAliveUntil(t, st, s.TokenHash, s.ExpiresAt)
		ephWaitPast(s.ExpiresAt)
		ephGone(t, st, s)
	})

	t.Run("session expires after its idle timeout", func(t *testing.T) {
		t.Parallel()
		st, ctx := open(t), t.Context()
		now := time.Now()
		s := ephSession(t, ephRandom(t), now, time.Hour)
		s.IdleTimeout = 250 * time.Millisecond
		if err := st.CreateSession(ctx, s); err != nil {
			ephSkipIfLate(t, s.EndsAt(), "CreateSession", err)
			t.Fatalf("CreateSession: %v", err)
		}
		ephAliveUntil(t, st, s.TokenHash, s.EndsAt())
		ephWaitPast(s.EndsAt())
		ephGone(t, st, s)
	})

	t.Run("touch pushes the idle deadline", func(t *testing.T) {
		t.Parallel()
		st, ctx := open(t), t.Context()
		s := ephSession(t, ephRandom(t), time.Now(), time.Hour)
		s.IdleTimeout = 400 * time.Millisecond
		if err := st.CreateSession(ctx, s); err != nil {
			ephSkipIfLate(t, s.EndsAt(), "CreateSession", err)
			t.Fatalf("CreateSession: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
		at := time.Now()
		if err := st.TouchSession(ctx, s.TokenHash, at); err != nil {
			ephSkipIfLate(t, s.EndsAt(), "TouchSession", err)
			t.Fatalf("TouchSession: %v", err)
		}
		newEnd := at.Add(s.IdleTimeout)
		got, err := st.SessionByTokenHash(ctx, s.TokenHash)
		if err != nil {
			ephSkipIfLate(t, newEnd, "SessionByTokenHash", err)
			t.Fatalf("SessionByTokenHash after touch: %v", err)
		}
		ephSameTime(t, "LastSeenAt", got.LastSeenAt, at)
		ephSameTime(t, "EndsAt", got.EndsAt(), newEnd)

		// Past the first idle deadline the touched session lives on...
		ephWaitPast(s.EndsAt())
		ephAliveUntil(t, st, s.TokenHash, newEnd)
		// ...until the pushed one.
		ephWaitPast(newEnd)
		s.LastSeenAt = at
		ephGone(t, st, s)
	})

	t.Run("touch never extends past ExpiresAt", func(t *testing.T) {
		t.Parallel()
		st, ctx := open(t), t.Context()
		s := ephSession(t, ephRandom(t), time.Now(), 350*time.Millisecond)
		s.IdleTimeout = 300 * time.Millisecond
		if err := st.CreateSession(ctx, s); err != nil {
			ephSkipIfLate(t, s.EndsAt(), "CreateSession", err)
			t.Fatalf("CreateSession: %v", err)
		}
		time.Sleep(150 * time.Millisecond)
		at := time.Now()
		if err := st.TouchSession(ctx, s.TokenHash, at); err != nil {
			ephSkipIfLate(t, s.EndsAt(), "TouchSession", err)
			t.Fatalf("TouchSession: %v", err)
		}
		got, err := st.SessionByTokenHash(ctx, s.TokenHash)
		if err != nil {
			ephSkipIfLate(t, s.ExpiresAt, "SessionByTokenHash", err)
			t.Fatalf("SessionByTokenHash after touch: %v", err)
		}
		ephSameTime(t, "EndsAt", got.EndsAt(), s.ExpiresAt)
		ephWaitPast(s.ExpiresAt)
		s.LastSeenAt = at
		ephGone(t, st, s)
	})

	t.Run("touch with an older time keeps LastSeenAt", func(t *testing.T) {
		t.Parallel()
		st, ctx := open(t), t.Context()
		now := time.Now()
		s := ephSession(t, ephRandom(t), now, time.Hour)
		s.IdleTimeout = time.Hour
		if err := st.CreateSession(ctx, s); err != nil {
			t.Fatalf("CreateSession: %v", err)
		}
		later := now.Add(time.Minute)
		if err := st.TouchSession(ctx, s.TokenHash, later); err != nil {
			t.Fatalf("TouchSession: %v", err)
		}
		if err := st.TouchSession(ctx, s.TokenHash, now.Add(time.Second)); err != nil {
			t.Fatalf("TouchSession(older): %v", err)
		}
		got, err := st.SessionByTokenHash(ctx, s.TokenHash)
		if err != nil {
			t.Fatalf("SessionByTokenHash: %v", err)
		}
		ephSameTime(t, "LastSeenAt", got.LastSeenAt, later)
	})

	t.Run("sessions by user are newest first and only the user's", func(t *testing.T) {
		t.Parallel()
		st, ctx := open(t), t.Context()
		now := time.Now()
		alice, bob := ephRandom(t), ephRandom(t)
		var want []string
		for _, age := range []time.Duration{3 * time.Minute, time.Minute, 2 * time.Minute} {
			s := ephSession(t, alice, now.Add(-age), time.Hour+age)
			if err := st.CreateSession(ctx, s); err != nil {
				t.Fatalf("CreateSession: %v", err)
			}
			want = append(want, s.ID)
		}
		want = []string{want[1], want[2], want[0]} // 1, 2, 3 minutes old
		b := ephSession(t, bob, now, time.Hour)
		if err := st.CreateSession(ctx, b); err != nil {
			t.Fatalf("CreateSession: %v", err)
		}

		list, err := st.SessionsByUser(ctx, alice)
		if err != nil {
			t.Fatalf("SessionsByUser: %v", err)
		}
		if got := ephIDs(list); !slices.Equal(got, want) {
			t.Errorf("SessionsByUser(alice) IDs = %q, want %q", got, want)
		}
		for _, s := range list {
			if s.UserID != alice {
				t.Errorf("alice's list holds a session of %q", s.UserID)
			}
		}
		list, err = st.SessionsByUser(ctx, bob)
		if err != nil {
			t.Fatalf("SessionsByUser: %v", err)
		}
		if got := ephIDs(list); !slices.Equal(got, []string{b.ID}) {
			t.Errorf("SessionsByUser(bob) IDs = %q, want %q", got, []string{b.ID})
		}
	})

	t.Run("delete session removes it", func(t *testing.T) {
		t.Parallel()
		st, ctx := open(t), t.Context()
		user := ephRandom(t)
		gone := ephSession(t, user, time.Now(), time.Hour)
		stays := ephSession(t, user, time.Now(), time.Hour)
		for _, s := range []identity.Session{gone, stays} {
			if err := st.CreateSession(ctx, s); err != nil {
				t.Fatalf("CreateSession: %v", err)
			}
		}
		if err := st.DeleteSession(ctx, gone.TokenHash); err != nil {
			t.Fatalf("DeleteSession: %v", err)
		}
		_, err := st.SessionByTokenHash(ctx, gone.TokenHash)
		ephWantKind(t, "SessionByTokenHash(deleted)", err, fault.NotFound)
		ephWantKind(t, "TouchSession(deleted)", st.TouchSession(ctx, gone.TokenHash, time.Now()), fault.NotFound)
		ephWantKind(t, "DeleteSession(again)", st.DeleteSession(ctx, gone.TokenHash), fault.NotFound)
		list, err := st.SessionsByUser(ctx, user)
		if err != nil {
			t.Fatalf("SessionsByUser: %v", err)
		}
		if got := ephIDs(list); !slices.Equal(got, []string{stays.ID}) {
			t.Errorf("SessionsByUser IDs = %q, want %q", got, []string{stays.ID})
		}
	})

	t.Run("delete user sessions keeps one and counts the rest", func(t *testing.T) {
		t.Parallel()
		st, ctx := open(t), t.Context()
		alice, bob := ephRandom(t), ephRandom(t)
		var mine []identity.Session
		for range 4 {
			s := ephSession(t, alice, time.Now(), time.Hour)
			if err := st.CreateSession(ctx, s); err != nil {
				t.Fatalf("CreateSession: %v", err)
			}
			mine = append(mine, s)
		}
		theirs := ephSession(t, bob, time.Now(), time.Hour)
		if err := st.CreateSession(ctx, theirs); err != nil {
			t.Fatalf("CreateSession: %v", err)
		}
		keep := mine[2]
		n, err := st.DeleteUserSessions(ctx, alice, keep.TokenHash)
		if err != nil {
			t.Fatalf("DeleteUserSessions: %v", err)
		}
		if n != 3 {
			t.Errorf("DeleteUserSessions removed %d, want 3", n)
		}
		for _, s := range mine {
			_, err := st.SessionByTokenHash(ctx, s.TokenHash)
			if s.TokenHash == keep.TokenHash {
				if err != nil {
					t.Errorf("kept session: %v", err)
				}
				continue
			}
			ephWantKind(t, "SessionByTokenHash(removed)", err, fault.NotFound)
		}
		list, err := st.SessionsByUser(ctx, alice)
		if err != nil {
			t.Fatalf("SessionsByUser: %v", err)
		}
		if got := ephIDs(list); !slices.Equal(got, []string{keep.ID}) {
			t.Errorf("SessionsByUser(alice) IDs = %q, want %q", got, []string{keep.ID})
		}
		if _, err := st.SessionByTokenHash(ctx, theirs.TokenHash); err != nil {
			t.Errorf("bob's session after alice's sign-out everywhere: %v", err)
		}

		n, err = st.DeleteUserSessions(ctx, alice, "")
		if err != nil || n != 1 {
			t.Errorf("DeleteUserSessions(keep none) = %d, %v; want 1, nil", n, err)
		}
		if list, err := st.SessionsByUser(ctx, alice); err != nil || len(list) != 0 {
			t.Errorf("SessionsByUser(alice) = %d sessions, %v; want none", len(list), err)
		}
	})

	t.Run("users cannot delete each other's sessions", func(t *testing.T) {
		t.Parallel()
		st, ctx := open(t), t.Context()
		alice, bob := ephRandom(t), ephRandom(t)
		a := ephSession(t, alice, time.Now(), time.Hour)
		b := ephSession(t, bob, time.Now(), time.Hour)
		for _, s := range []identity.Session{a, b} {
			if err := st.CreateSession(ctx, s); err != nil {
				t.Fatalf("CreateSession: %v", err)
			}
		}
		// Keeping bob's hash means nothing for alice: all of hers go, his stays.
		n, err := st.DeleteUserSessions(ctx, alice, b.TokenHash)
		if err != nil || n != 1 {
			t.Errorf("DeleteUserSessions(alice, keep bob's) = %d, %v; want 1, nil", n, err)
		}
		if _, err := st.SessionByTokenHash(ctx, b.TokenHash); err != nil {
			t.Errorf("bob's session: %v", err)
		}
		list, err := st.SessionsByUser(ctx, bob)
		if err != nil || len(list) != 1 || list[0].ID != b.ID {
			t.Errorf("SessionsByUser(bob) = %q, %v; want [%q]", ephIDs(list), err, b.ID)
		}
	})
}

// RunCounter checks a ports.Counter. open must return an empty, isolated
// store on every call.
func RunCounter(t *testing.T, open func(t *testing.T) ports.Counter) {
	t.Run("incr counts within a window and reports the time left", func(t *testing.T) {
		t.Parallel()
		st, ctx := open(t), t.Context()
		const window = time.Hour
		for want := int64(1); want <= 3; want++ {
			n, left, err := st.Incr(ctx, "login:alice", window)
			if err != nil {
				t.Fatalf("Incr: %v", err)
			}
			if n != want {
				t.Errorf("Incr = %d, want %d", n, want)
			}
			if left <= 0 || left > window {
				t.Errorf("Incr left = %v, want in (0, %v]", left, window)
			}
		}
		n, left, err := st.Count(ctx, "login:alice")
		if err != nil || n != 3 {
			t.Errorf("Count = %d, %v; want 3, nil", n, err)
		}
		if left <= window-time.Minute || left > window {
			t.Errorf("Count left = %v, want close to %v", left, window)
		}
	})

	t.Run("absent key counts zero", func(t *testing.T) {
		t.Parallel()
		st, ctx := open(t), t.Context()
		n, left, err := st.Count(ctx, "never-seen")
		if err != nil || n != 0 || left != 0 {
			t.Errorf("Count = %d, %v, %v; want 0, 0, nil", n, left, err)
		}
		if err := st.ResetCount(ctx, "never-seen"); err != nil {
			t.Errorf("ResetCount(absent) = %v, want nil", err)
		}
	})

	t.Run("keys are independent", func(t *testing.T) {
		t.Parallel()
		st, ctx := open(t), t.Context()
		for range 2 {
			if _, _, err := st.Incr(ctx, "a", time.Hour); err != nil {
				t.Fatalf("Incr: %v", err)
			}
		}
		n, _, err := st.Incr(ctx, "b", time.Hour)
		if err != nil || n != 1 {
			t.Errorf("Incr(b) = %d, %v; want 1, nil", n, err)
		}
	})

	t.Run("a later incr keeps the window of the first", func(t *testing.T) {
		t.Parallel()
		st, ctx := open(t), t.Context()
		if _, _, err := st.Incr(ctx, "k", time.Minute); err != nil {
			t.Fatalf("Incr: %v", err)
		}
		n, left, err := st.Incr(ctx, "k", time.Hour)
		if err != nil || n != 2 {
			t.Fatalf("Incr = %d, %v; want 2, nil", n, err)
		}
		if left > time.Minute {
			t.Errorf("left = %v: the second Incr restarted the window", left)
		}
	})

	t.Run("window resets after it ends", func(t *testing.T) {
		t.Parallel()
		st, ctx := open(t), t.Context()
		const window = 200 * time.Millisecond
		start := time.Now()
		for range 3 {
			if _, _, err := st.Incr(ctx, "k", window); err != nil {
				t.Fatalf("Incr: %v", err)
			}
		}
		ephWaitPast(time.Now().Add(window))
		n, left, err := st.Count(ctx, "k")
		if err != nil || n != 0 || left != 0 {
			t.Errorf("Count after the window = %d, %v, %v; want 0, 0, nil", n, left, err)
		}
		n, left, err = st.Incr(ctx, "k", time.Hour)
		if err != nil || n != 1 {
			t.Errorf("Incr after the window = %d, %v; want 1, nil (started %v ago)", n, err, time.Since(start))
		}
		if left <= window {
			t.Errorf("left = %v: the new window did not start", left)
		}
	})

	t.Run("reset count removes the key", func(t *testing.T) {
		t.Parallel()
		st, ctx := open(t), t.Context()
		for range 3 {
			if _, _, err := st.Incr(ctx, "k", time.Hour); err != nil {
				t.Fatalf("Incr: %v", err)
			}
		}
		if err := st.ResetCount(ctx, "k"); err != nil {
			t.Fatalf("ResetCount: %v", err)
		}
		if n, left, err := st.Count(ctx, "k"); err != nil || n != 0 || left != 0 {
			t.Errorf("Count after reset = %d, %v, %v; want 0, 0, nil", n, left, err)
		}
		if n, _, err := st.Incr(ctx, "k", time.Hour); err != nil || n != 1 {
			t.Errorf("Incr after reset = %d, %v; want 1, nil", n, err)
		}
	})

	t.Run("concurrent incr counts exactly", func(t *testing.T) {
		t.Parallel()
		st, ctx := open(t), t.Context()
		const n = 50
		counts := make([]int64, n)
		errs := ephParallel(n, func(i int) error {
			c, _, err := st.Incr(ctx, "burst", time.Hour)
			counts[i] = c
			return err
		})
		for _, err := range errs {
			if err != nil {
				t.Fatalf("Incr: %v", err)
			}
		}
		slices.Sort(counts)
		for i, c := range counts {
			if c != int64(i+1) {
				t.Fatalf("concurrent Incr returned %v, want each of 1..%d once", counts, n)
			}
		}
		if got, _, err := st.Count(ctx, "burst"); err != nil || got != n {
			t.Errorf("Count = %d, %v; want %d, nil", got, err, n)
		}
	})
}

// RunOneTimeStore checks a ports.OneTimeStore. open must return an empty,
// isolated store on every call.
func RunOneTimeStore(t *testing.T, open func(t *testing.T) ports.OneTimeStore) {
	t.Run("take returns the value once", func(t *testing.T) {
		t.Parallel()
		st, ctx := open(t), t.Context()
		value := []byte{0, 1, 2, 0xff, 'x'}
		if err := st.PutOnce(ctx, "challenge", value, time.Hour); err != nil {
			t.Fatalf("PutOnce: %v", err)
		}
		got, err := st.Take(ctx, "challenge")
		if err != nil || !bytes.Equal(got, value) {
			t.Fatalf("Take = %q, %v; want %q, nil", got, err, value)
		}
		_, err = st.Take(ctx, "challenge")
		ephWantKind(t, "Take(again)", err, fault.NotFound)
		if err := st.PutOnce(ctx, "challenge", []byte("new"), time.Hour); err != nil {
			t.Errorf("PutOnce after Take: %v", err)
		}
	})

	t.Run("put once on a live key is a conflict", func(t *testing.T) {
		t.Parallel()
		st, ctx := open(t), t.Context()
		if err := st.PutOnce(ctx, "k", []byte("first"), time.Hour); err != nil {
			t.Fatalf("PutOnce: %v", err)
		}
		ephWantKind(t, "PutOnce(again)", st.PutOnce(ctx, "k", []byte("second"), time.Hour), fault.Conflict)
		if got, err := st.Take(ctx, "k"); err != nil || string(got) != "first" {
			t.Errorf("Take = %q, %v; want %q, nil", got, err, "first")
		}
	})

	t.Run("absent key is not found", func(t *testing.T) {
		t.Parallel()
		st, ctx := open(t), t.Context()
		_, err := st.Take(ctx, "never-put")
		ephWantKind(t, "Take", err, fault.NotFound)
	})

	t.Run("stored value is a copy", func(t *testing.T) {
		t.Parallel()
		st, ctx := open(t), t.Context()
		value := []byte("original")
		if err := st.PutOnce(ctx, "k", value, time.Hour); err != nil {
			t.Fatalf("PutOnce: %v", err)
		}
		copy(value, "XXXXXXXX")
		if got, err := st.Take(ctx, "k"); err != nil || string(got) != "original" {
			t.Errorf("Take = %q, %v; want %q, nil", got, err, "original")
		}
	})

	t.Run("empty value round trips", func(t *testing.T) {
		t.Parallel()
		st, ctx := open(t), t.Context()
		if err := st.PutOnce(ctx, "k", nil, time.Hour); err != nil {
			t.Fatalf("PutOnce: %v", err)
		}
		if got, err := st.Take(ctx, "k"); err != nil || len(got) != 0 {
			t.Errorf("Take = %q, %v; want empty, nil", got, err)
		}
	})

	t.Run("value expires after its ttl", func(t *testing.T) {
		t.Parallel()
		st, ctx := open(t), t.Context()
		const ttl = 200 * time.Millisecond
		end := time.Now().Add(ttl)
		if err := st.PutOnce(ctx, "k", []byte("v"), ttl); err != nil {
			t.Fatalf("PutOnce: %v", err)
		}
		ephWaitPast(end)
		_, err := st.Take(ctx, "k")
		ephWantKind(t, "Take(expired)", err, fault.NotFound)
		if err := st.PutOnce(ctx, "k", []byte("again"), time.Hour); err != nil {
			t.Errorf("PutOnce after expiry: %v", err)
		}
	})

	t.Run("concurrent take: exactly one wins", func(t *testing.T) {
		t.Parallel()
		st, ctx := open(t), t.Context()
		if err := st.PutOnce(ctx, "code", []byte("secret"), time.Hour); err != nil {
			t.Fatalf("PutOnce: %v", err)
		}
		const n = 20
		values := make([][]byte, n)
		errs := ephParallel(n, func(i int) error {
			v, err := st.Take(ctx, "code")
			values[i] = v
			return err
		})
		ephExactlyOneWins(t, "Take", errs, fault.NotFound)
		for i, err := range errs {
			if err == nil && string(values[i]) != "secret" {
				t.Errorf("winner got %q, want %q", values[i], "secret")
			}
		}
	})

	t.Run("concurrent put once: exactly one wins", func(t *testing.T) {
		t.Parallel()
		st, ctx := open(t), t.Context()
		const n = 20
		errs := ephParallel(n, func(i int) error {
			return st.PutOnce(ctx, "k", fmt.Appendf(nil, "v%d", i), time.Hour)
		})
		ephExactlyOneWins(t, "PutOnce", errs, fault.Conflict)
		winner := slices.IndexFunc(errs, func(err error) bool { return err == nil })
		if got, err := st.Take(ctx, "k"); err != nil || string(got) != fmt.Sprintf("v%d", winner) {
			t.Errorf("Take = %q, %v; want the winner's value v%d", got, err, winner)
		}
	})
}

// ephRandom returns a fresh random hex string (IDs, hashes, user IDs).
func ephRandom(t *testing.T) string {
	t.Helper()
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		t.Fatalf("random: %v", err)
	}
	return hex.EncodeToString(b)
}

// ephSession returns a session of user created at created that lives for
// life from now, with no idle timeout.
func ephSession(t *testing.T, user string, created time.Time, life time.Duration) identity.Session {
	t.Helper()
	return identity.Session{
		ID:         ephRandom(t),
		TokenHash:  ephRandom(t),
		UserID:     user,
		CreatedAt:  created,
		ExpiresAt:  time.Now().Add(life),
		LastSeenAt: created,
		AuthTime:   created,
		AMR:        []string{"pwd"},
	}
}

func ephIDs(list []identity.Session) []string {
	ids := make([]string, 0, len(list))
	for _, s := range list {
		ids = append(ids, s.ID)
	}
	return ids
}

// ephWantKind fails unless err is a *fault.Error of kind k.
func ephWantKind(t *testing.T, what string, err error, k fault.Kind) {
	t.Helper()
	var fe *fault.Error
	if !errors.As(err, &fe) || fe.Kind != k {
		t.Errorf("%s: got error %v, want a fault.Error of kind %v", what, err, k)
	}
}

// ephSameTime fails unless got is in UTC and within a millisecond of want.
func ephSameTime(t *testing.T, what string, got, want time.Time) {
	t.Helper()
	if got.Location() != time.UTC {
		t.Errorf("%s: location %v, want UTC", what, got.Location())
	}
	if d := got.Sub(want); d <= -time.Millisecond || d >= time.Millisecond {
		t.Errorf("%s = %v, want %v (off by %v)", what, got, want.UTC(), d)
	}
}

// ephSameSession compares every field, times at millisecond precision.
func ephSameSession(t *testing.T, got, want identity.Session) {
	t.Helper()
	if got.ID != want.ID || got.TokenHash != want.TokenHash || got.UserID != want.UserID {
		t.Errorf("identity: got ID %q hash %q user %q, want %q %q %q",
			got.ID, got.TokenHash, got.UserID, want.ID, want.TokenHash, want.UserID)
	}
	ephSameTime(t, "CreatedAt", got.CreatedAt, want.CreatedAt)
	ephSameTime(t, "ExpiresAt", got.ExpiresAt, want.ExpiresAt)
	ephSameTime(t, "LastSeenAt", got.LastSeenAt, want.LastSeenAt)
	ephSameTime(t, "AuthTime", got.AuthTime, want.AuthTime)
	if got.IdleTimeout != want.IdleTimeout {
		t.Errorf("IdleTimeout = %v, want %v", got.IdleTimeout, want.IdleTimeout)
	}
	if got.RememberMe != want.RememberMe || got.ComplianceOnly != want.ComplianceOnly {
		t.Errorf("flags: RememberMe %v ComplianceOnly %v, want %v %v",
			got.RememberMe, got.ComplianceOnly, want.RememberMe, want.ComplianceOnly)
	}
	if got.IP != want.IP || got.UserAgent != want.UserAgent {
		t.Errorf("client: IP %q UserAgent %q, want %q %q", got.IP, got.UserAgent, want.IP, want.UserAgent)
	}
	if !slices.Equal(got.AMR, want.AMR) {
		t.Errorf("AMR = %q, want %q", got.AMR, want.AMR)
	}
}

// ephWaitPast sleeps until a little after deadline.
func ephWaitPast(deadline time.Time) {
	time.Sleep(time.Until(deadline) + ephSlack)
}

// ephSkipIfLate skips the test when err is explained by the machine being
// too slow to act before deadline; the suite never fails on speed.
func ephSkipIfLate(t *testing.T, deadline time.Time, what string, err error) {
	t.Helper()
	if fault.Is(err, fault.NotFound) || fault.Is(err, fault.Invalid) {
		if !time.Now().Before(deadline) {
			t.Skipf("%s ran after the deadline on a slow machine (%v); nothing to check", what, err)
		}
	}
}

// ephAliveUntil checks that the session is returned by a lookup that ends
// before end. A lookup finishing later proves nothing either way.
func ephAliveUntil(t *testing.T, st ports.SessionStore, hash string, end time.Time) {
	t.Helper()
	_, err := st.SessionByTokenHash(t.Context(), hash)
	if err != nil && time.Now().Before(end) {
		t.Errorf("SessionByTokenHash before %v: %v", end, err)
	}
}

// ephGone checks, after s has ended, that every method treats it as absent.
func ephGone(t *testing.T, st ports.SessionStore, s identity.Session) {
	t.Helper()
	ctx := t.Context()
	_, err := st.SessionByTokenHash(ctx, s.TokenHash)
	ephWantKind(t, "SessionByTokenHash(expired)", err, fault.NotFound)
	ephWantKind(t, "TouchSession(expired)", st.TouchSession(ctx, s.TokenHash, time.Now()), fault.NotFound)
	list, err := st.SessionsByUser(ctx, s.UserID)
	if err != nil {
		t.Fatalf("SessionsByUser: %v", err)
	}
	if len(list) != 0 {
		t.Errorf("SessionsByUser lists the expired session: %q", ephIDs(list))
	}
	// A touch after the end must not have revived it.
	_, err = st.SessionByTokenHash(ctx, s.TokenHash)
	ephWantKind(t, "SessionByTokenHash(after touch)", err, fault.NotFound)
}

// ephParallel runs fn(0..n-1) at once, released together, and returns the
// errors by index.
func ephParallel(n int, fn func(i int) error) []error {
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = fn(i)
		})
	}
	close(start)
	wg.Wait()
	return errs
}

// ephExactlyOneWins checks that one call succeeded and all others failed
// with kind loser.
func ephExactlyOneWins(t *testing.T, what string, errs []error, loser fault.Kind) {
	t.Helper()
	wins := 0
	for _, err := range errs {
		switch {
		case err == nil:
			wins++
		case !fault.Is(err, loser):
			t.Errorf("%s: got %v, want nil or kind %v", what, err, loser)
		}
	}
	if wins != 1 {
		t.Errorf("%s: %d of %d concurrent calls succeeded, want exactly 1", what, wins, len(errs))
	}
}
