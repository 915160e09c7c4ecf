package memory

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/core/identity"
	"github.com/secuird/secuird/ports"
)

// countingUsers is a one-user store that counts lookups.
type countingUsers struct {
	ports.UserStore
	lookups atomic.Int64
	user    identity.User
}

func (c *countingUsers) UserByID(_ context.Context, id string) (identity.User, error) {
	c.lookups.Add(1)
	if id != c.user.ID {
		return identity.User{}, fault.E("test", fault.NotFound, "no user")
	}
	return c.user, nil
}

func (c *countingUsers) UpdateUser(_ context.Context, _ string, fn func(identity.User) (identity.User, error)) (identity.User, error) {
	u, err := fn(c.user)
	if err == nil {
		c.user = u
	}
	return u, err
}

func TestUserCache(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	now := time.Unix(1_700_000_000, 0)
	inner := &countingUsers{user: identity.User{ID: "u1", FullName: "Before"}}
	c := NewUserCache(inner, 3*time.Second, 10)
	c.now = func() time.Time { return now }

	t.Run("answers repeated lookups from memory", func(t *testing.T) {
		for i := 0; i < 5; i++ {
			if _, err := c.UserByID(ctx, "u1"); err != nil {
				t.Fatal(err)
			}
		}
		if n := inner.lookups.Load(); n != 1 {
			t.Fatalf("%d store lookups, want 1", n)
		}
	})
	t.Run("drops the entry on update", func(t *testing.T) {
		if _, err := c.UpdateUser(ctx, "u1", func(u identity.User) (identity.User, error) { u.FullName = "After"; return u, nil }); err != nil {
			t.Fatal(err)
		}
		u, _ := c.UserByID(ctx, "u1")
		if u.FullName != "After" {
			t.Fatalf("stale user after update: %q", u.FullName)
		}
	})
	t.Run("expires entries after the TTL", func(t *testing.T) {
		before := inner.lookups.Load()
		now = now.Add(3 * time.Second)
		if _, err := c.UserByID(ctx, "u1"); err != nil {
			t.Fatal(err)
		}
		if inner.lookups.Load() != before+1 {
			t.Fatal("expired entry served")
		}
	})
	t.Run("does not cache misses", func(t *testing.T) {
		before := inner.lookups.Load()
		for i := 0; i < 2; i++ {
			if _, err := c.UserByID(ctx, "ghost"); !fault.Is(err, fault.NotFound) {
				t.Fatalf("want NotFound, got %v", err)
			}
		}
		if inner.lookups.Load() != before+2 {
			t.Fatal("a miss was cached")
		}
	})
	t.Run("stays within its size bound", func(t *testing.T) {
		small := NewUserCache(inner, time.Minute, 10)
		for i := 0; i < 50; i++ {
			inner.user.ID = string(rune('a' + i))
			_, _ = small.UserByID(ctx, inner.user.ID)
		}
		if len(small.entries) > 10 {
			t.Fatalf("%d entries, bound 10", len(small.entries))
		}
	})
}
