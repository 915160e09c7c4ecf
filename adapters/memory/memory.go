// Package memory is the in-process ephemeral store: signed-in sessions,
// fixed-window counters and single-use values, kept in maps guarded by
// mutexes. It serves a single node; several nodes share state through the
// Redis adapter instead.
//
// Expired entries are invisible as soon as they expire and are dropped by a
// background janitor; call Close to stop it.
package memory

import (
	"context"
	"hash/maphash"
	"slices"
	"sync"
	"time"

	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/core/identity"
	"github.com/secuird/secuird/ports"
)

var (
	_ ports.SessionStore = (*Store)(nil)
	_ ports.Counter      = (*Store)(nil)
	_ ports.OneTimeStore = (*Store)(nil)
	_ ports.Pinger       = (*Store)(nil)
)

// DefaultSweepInterval is how often the janitor drops expired entries.
const DefaultSweepInterval = time.Minute

// shardCount spreads sessions over independent locks so that concurrent
// lookups (every API request does one) do not contend on one mutex.
const shardCount = 32

// Option configures a Store.
type Option func(*config)

type config struct {
	now   func() time.Time
	sweep time.Duration
}

// WithClock makes the store read the time from now instead of time.Now
// (tests use it to control expiry).
func WithClock(now func() time.Time) Option {
	return func(c *config) {
		if now != nil {
			c.now = now
		}
	}
}

// WithSweepInterval sets how often the janitor drops expired entries
// (DefaultSweepInterval when not given). Zero or less disables the janitor;
// expired entries stay invisible but keep their memory until overwritten.
func WithSweepInterval(d time.Duration) Option {
	return func(c *config) { c.sweep = d }
}

// Store implements ports.SessionStore, ports.Counter, ports.OneTimeStore and
// ports.Pinger in memory. It is safe for concurrent use. The zero value is
// not usable; call New.
type Store struct {
	now  func() time.Time
	seed maphash.Seed

	// umu guards users and is taken before any shard lock by every
	// operation that changes which sessions exist, so the per-user index
	// always agrees with the shards.
	umu   sync.Mutex
	users map[string]map[string]struct{} // user ID -> token hashes

	shards [shardCount]sessionShard

	cmu      sync.Mutex
	counters map[string]counter

	omu  sync.Mutex
	once map[string]onceValue

	stop      chan struct{}
	done      chan struct{}
	closeOnce sync.Once
}

type sessionShard struct {
	mu sync.RWMutex
	m  map[string]*identity.Session
	// Padding keeps neighbouring shards' locks off one cache line.
	_ [64]byte
}

type counter struct {
	n   int64
	end time.Time
}

type onceValue struct {
	v   []byte
	end time.Time
}

// New returns an empty store and starts its janitor.
func New(opts ...Option) *Store {
	cfg := config{now: time.Now, sweep: DefaultSweepInterval}
	for _, o := range opts {
		o(&cfg)
	}
	s := &Store{
		now:      cfg.now,
		seed:     maphash.MakeSeed(),
		users:    map[string]map[string]struct{}{},
		counters: map[string]counter{},
		once:     map[string]onceValue{},
		stop:     make(chan struct{}),
		done:     make(chan struct{}),
	}
	for i := range s.shards {
		s.shards[i].m = map[string]*identity.Session{}
	}
	if cfg.sweep > 0 {
		go s.janitor(cfg.sweep)
	} else {
		close(s.done)
	}
	return s
}

// Close stops the janitor. The store keeps answering afterwards; it only
// stops freeing expired entries. Close may be called more than once.
func (s *Store) Close() {
	s.closeOnce.Do(func() { close(s.stop) })
	<-s.done
}

func (s *Store) janitor(every time.Duration) {
	defer close(s.done)
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-tick.C:
			s.sweep()
		}
	}
}

// sweep drops every expired entry. It locks one shard at a time so that a
// large store never stalls lookups for a whole pass.
func (s *Store) sweep() {
	now := s.now()
	for i := range s.shards {
		sh := &s.shards[i]
		s.umu.Lock()
		sh.mu.Lock()
		for h, p := range sh.m {
			if !p.ActiveAt(now) {
				delete(sh.m, h)
				s.unindexLocked(p.UserID, h)
			}
		}
		sh.mu.Unlock()
		s.umu.Unlock()
	}

	s.cmu.Lock()
	for k, c := range s.counters {
		if !now.Before(c.end) {
			delete(s.counters, k)
		}
	}
	s.cmu.Unlock()

	s.omu.Lock()
	for k, o := range s.once {
		if !now.Before(o.end) {
			delete(s.once, k)
		}
	}
	s.omu.Unlock()
}

// Ping always answers: the store lives in this process.
func (s *Store) Ping(context.Context) error { return nil }

func (s *Store) shard(hash string) *sessionShard {
	return &s.shards[maphash.String(s.seed, hash)%shardCount]
}

// indexLocked and unindexLocked maintain the per-user index; umu must be held.
func (s *Store) indexLocked(userID, hash string) {
	set := s.users[userID]
	if set == nil {
		set = map[string]struct{}{}
		s.users[userID] = set
	}
	set[hash] = struct{}{}
}

func (s *Store) unindexLocked(userID, hash string) {
	set := s.users[userID]
	delete(set, hash)
	if len(set) == 0 {
		delete(s.users, userID)
	}
}

// export returns a copy of a stored session that shares nothing mutable
// with the store.
func export(p *identity.Session) identity.Session {
	out := *p
	if out.AMR != nil {
		out.AMR = slices.Clone(out.AMR)
	}
	return out
}

// CreateSession stores sess until sess.EndsAt(). Conflict when a live
// session has the same token hash; Invalid when the token hash or user ID is
// empty or the session has already ended.
func (s *Store) CreateSession(_ context.Context, sess identity.Session) error {
	const op = "memory.CreateSession"
	if sess.TokenHash == "" || sess.UserID == "" {
		return fault.E(op, fault.Invalid, "session needs a token hash and a user")
	}
	now := s.now()
	if !sess.ActiveAt(now) {
		return fault.E(op, fault.Invalid, "session has already ended")
	}
	// Store UTC copies (UTC also drops monotonic readings) and an AMR slice
	// of our own, so the caller's later changes cannot reach the store.
	sess.CreatedAt = sess.CreatedAt.UTC()
	sess.ExpiresAt = sess.ExpiresAt.UTC()
	sess.LastSeenAt = sess.LastSeenAt.UTC()
	sess.AuthTime = sess.AuthTime.UTC()
	sess.AMR = slices.Clone(sess.AMR)

	sh := s.shard(sess.TokenHash)
	s.umu.Lock()
	defer s.umu.Unlock()
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if old, ok := sh.m[sess.TokenHash]; ok {
		if old.ActiveAt(now) {
			return fault.E(op, fault.Conflict, "session exists")
		}
		s.unindexLocked(old.UserID, sess.TokenHash)
	}
	sh.m[sess.TokenHash] = &sess
	s.indexLocked(sess.UserID, sess.TokenHash)
	return nil
}

// SessionByTokenHash returns the session. NotFound when absent or expired.
func (s *Store) SessionByTokenHash(_ context.Context, hash string) (identity.Session, error) {
	now := s.now()
	sh := s.shard(hash)
	sh.mu.RLock()
	p, ok := sh.m[hash]
	if !ok || !p.ActiveAt(now) {
		sh.mu.RUnlock()
		return identity.Session{}, fault.E("memory.SessionByTokenHash", fault.NotFound, "session not found")
	}
	out := export(p)
	sh.mu.RUnlock()
	return out, nil
}

// TouchSession records activity at t, pushing the idle deadline (never past
// ExpiresAt; LastSeenAt never moves backwards). NotFound when absent or
// expired.
func (s *Store) TouchSession(_ context.Context, hash string, t time.Time) error {
	now := s.now()
	sh := s.shard(hash)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	p, ok := sh.m[hash]
	if !ok || !p.ActiveAt(now) {
		return fault.E("memory.TouchSession", fault.NotFound, "session not found")
	}
	if t.After(p.LastSeenAt) {
		p.LastSeenAt = t.UTC()
	}
	return nil
}

// SessionsByUser lists the user's live sessions, newest (CreatedAt) first.
func (s *Store) SessionsByUser(_ context.Context, userID string) ([]identity.Session, error) {
	now := s.now()
	s.umu.Lock()
	defer s.umu.Unlock()
	set := s.users[userID]
	out := make([]identity.Session, 0, len(set))
	for h := range set {
		sh := s.shard(h)
		sh.mu.RLock()
		if p, ok := sh.m[h]; ok && p.UserID == userID && p.ActiveAt(now) {
			out = append(out, export(p))
		}
		sh.mu.RUnlock()
	}
	sortNewestFirst(out)
	return out, nil
}

// sortNewestFirst orders by CreatedAt descending, then by token hash so the
// order is stable between calls.
func sortNewestFirst(ss []identity.Session) {
	slices.SortFunc(ss, func(a, b identity.Session) int {
		if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
			return c
		}
		switch {
		case a.TokenHash < b.TokenHash:
			return -1
		case a.TokenHash > b.TokenHash:
			return 1
		}
		return 0
	})
}

// DeleteSession removes one session. NotFound when absent or expired.
func (s *Store) DeleteSession(_ context.Context, hash string) error {
	now := s.now()
	sh := s.shard(hash)
	s.umu.Lock()
	defer s.umu.Unlock()
	sh.mu.Lock()
	defer sh.mu.Unlock()
	p, ok := sh.m[hash]
	if !ok {
		return fault.E("memory.DeleteSession", fault.NotFound, "session not found")
	}
	delete(sh.m, hash)
	s.unindexLocked(p.UserID, hash)
	if !p.ActiveAt(now) {
		return fault.E("memory.DeleteSession", fault.NotFound, "session not found")
	}
	return nil
}

// DeleteUserSessions removes every session of the user except the one with
// hash keep ("" keeps none) and returns how many live sessions it removed.
func (s *Store) DeleteUserSessions(_ context.Context, userID, keep string) (int, error) {
	now := s.now()
	s.umu.Lock()
	defer s.umu.Unlock()
	set := s.users[userID]
	n := 0
	for h := range set {
		if h == keep {
			continue
		}
		sh := s.shard(h)
		sh.mu.Lock()
		if p, ok := sh.m[h]; ok && p.UserID == userID {
			delete(sh.m, h)
			if p.ActiveAt(now) {
				n++
			}
		}
		sh.mu.Unlock()
		delete(set, h)
	}
	if len(set) == 0 {
		delete(s.users, userID)
	}
	return n, nil
}

// Incr adds one to key and returns the new count and the time left in the
// window; the window starts at the first Incr after the key expired.
// Invalid when window is not positive.
func (s *Store) Incr(_ context.Context, key string, window time.Duration) (int64, time.Duration, error) {
	if window <= 0 {
		return 0, 0, fault.E("memory.Incr", fault.Invalid, "window must be positive")
	}
	now := s.now()
	s.cmu.Lock()
	defer s.cmu.Unlock()
	c, ok := s.counters[key]
	if !ok || !now.Before(c.end) {
		c = counter{end: now.Add(window)}
	}
	c.n++
	s.counters[key] = c
	return c.n, c.end.Sub(now), nil
}

// Count returns the current count (0 when absent or expired) and the time
// left in the window.
func (s *Store) Count(_ context.Context, key string) (int64, time.Duration, error) {
	now := s.now()
	s.cmu.Lock()
	defer s.cmu.Unlock()
	c, ok := s.counters[key]
	if !ok || !now.Before(c.end) {
		return 0, 0, nil
	}
	return c.n, c.end.Sub(now), nil
}

// ResetCount removes key.
func (s *Store) ResetCount(_ context.Context, key string) error {
	s.cmu.Lock()
	delete(s.counters, key)
	s.cmu.Unlock()
	return nil
}

// PutOnce stores a copy of value under key for ttl. Conflict when a live
// value has that key; Invalid when ttl is not positive.
func (s *Store) PutOnce(_ context.Context, key string, value []byte, ttl time.Duration) error {
	const op = "memory.PutOnce"
	if ttl <= 0 {
		return fault.E(op, fault.Invalid, "ttl must be positive")
	}
	now := s.now()
	s.omu.Lock()
	defer s.omu.Unlock()
	if o, ok := s.once[key]; ok && now.Before(o.end) {
		return fault.E(op, fault.Conflict, "key exists")
	}
	s.once[key] = onceValue{v: slices.Clone(value), end: now.Add(ttl)}
	return nil
}

// Take returns and removes the value atomically: of concurrent calls exactly
// one gets it. NotFound when absent or expired.
func (s *Store) Take(_ context.Context, key string) ([]byte, error) {
	now := s.now()
	s.omu.Lock()
	o, ok := s.once[key]
	if ok {
		delete(s.once, key)
	}
	s.omu.Unlock()
	if !ok || !now.Before(o.end) {
		return nil, fault.E("memory.Take", fault.NotFound, "value not found")
	}
	// The stored slice was our own copy and is no longer reachable from the
	// store, so it can be handed over as is.
	return o.v, nil
}
