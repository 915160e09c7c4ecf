package memory

import (
	"context"
	"sync"
	"time"

	"github.com/secuird/secuird/core/identity"
	"github.com/secuird/secuird/ports"
)

// UserCache is a read-through cache for UserByID in front of the durable
// UserStore: the user lookup that every authenticated request makes.
// Entries live for a short TTL and are dropped on every UpdateUser made
// through the cache. Writes made elsewhere (another node, another code
// path) become visible within the TTL; that is safe for authentication
// because every change that must take effect at once (suspension,
// deletion, password reset) also revokes the user's sessions in the shared
// session store, which is checked first. Only live users are cached.
type UserCache struct {
	ports.UserStore
	ttl time.Duration
	max int
	now func() time.Time

	mu      sync.RWMutex
	entries map[string]cachedUser
}

type cachedUser struct {
	user    identity.User
	expires time.Time
}

var _ ports.UserStore = (*UserCache)(nil)

// NewUserCache wraps inner with a cache of at most maxEntries users, each
// kept for ttl.
func NewUserCache(inner ports.UserStore, ttl time.Duration, maxEntries int) *UserCache {
	if maxEntries <= 0 {
		maxEntries = 100_000
	}
	return &UserCache{UserStore: inner, ttl: ttl, max: maxEntries, now: time.Now, entries: make(map[string]cachedUser)}
}

// UserByID answers from the cache when it holds a fresh entry.
func (c *UserCache) UserByID(ctx context.Context, id string) (identity.User, error) {
	now := c.now()
	c.mu.RLock()
	e, ok := c.entries[id]
	c.mu.RUnlock()
	if ok && now.Before(e.expires) {
		return e.user, nil
	}
	u, err := c.UserStore.UserByID(ctx, id)
	if err != nil {
		return u, err
	}
	c.mu.Lock()
	if len(c.entries) >= c.max {
		// Drop an arbitrary tenth of the entries: cheap, and the cache only
		// exists to absorb bursts of requests from active users.
		n := c.max / 10
		for k := range c.entries {
			if n <= 0 {
				break
			}
			delete(c.entries, k)
			n--
		}
	}
	c.entries[id] = cachedUser{user: u, expires: now.Add(c.ttl)}
	c.mu.Unlock()
	return u, nil
}

// UpdateUser forwards to the store and drops the cached entry before and
// after the write.
func (c *UserCache) UpdateUser(ctx context.Context, id string, fn func(identity.User) (identity.User, error)) (identity.User, error) {
	c.Forget(id)
	u, err := c.UserStore.UpdateUser(ctx, id, fn)
	c.Forget(id)
	return u, err
}

// Forget drops one user from the cache.
func (c *UserCache) Forget(id string) {
	c.mu.Lock()
	delete(c.entries, id)
	c.mu.Unlock()
}
