package memory

import (
	"context"
	"sync"
	"time"

	"github.com/secuird/secuird/ports"
)

var _ ports.TokenDenylist = (*Denylist)(nil)

// Denylist is the in-process ports.TokenDenylist: revoked access tokens and
// token families, each kept until its TTL ends. Expired entries are
// dropped on the next Deny after they expire, so memory stays bounded by
// the revocations of one token lifetime.
type Denylist struct {
	now func() time.Time

	mu    sync.RWMutex
	m     map[string]time.Time
	sweep time.Time
}

// NewDenylist returns an empty denylist reading the time from now (nil:
// time.Now).
func NewDenylist(now func() time.Time) *Denylist {
	if now == nil {
		now = time.Now
	}
	return &Denylist{now: now, m: map[string]time.Time{}}
}

// Deny records key for ttl (nothing for ttl <= 0).
func (d *Denylist) Deny(_ context.Context, key string, ttl time.Duration) error {
	if ttl <= 0 {
		return nil
	}
	now := d.now()
	d.mu.Lock()
	defer d.mu.Unlock()
	if end, ok := d.m[key]; !ok || end.Before(now.Add(ttl)) {
		d.m[key] = now.Add(ttl)
	}
	if now.After(d.sweep) {
		for k, end := range d.m {
			if !now.Before(end) {
				delete(d.m, k)
			}
		}
		d.sweep = now.Add(time.Minute)
	}
	return nil
}

// AnyDenied reports whether any of keys is recorded and unexpired.
func (d *Denylist) AnyDenied(_ context.Context, keys ...string) (bool, error) {
	now := d.now()
	d.mu.RLock()
	defer d.mu.RUnlock()
	for _, k := range keys {
		if end, ok := d.m[k]; ok && now.Before(end) {
			return true, nil
		}
	}
	return false, nil
}
