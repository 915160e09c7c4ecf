// Package redis is the Redis ephemeral store (through rueidis): signed-in
// sessions, fixed-window counters and single-use values shared by every
// node of a deployment. It passes the same conformance suite as the
// in-process memory store.
//
// Every script and command touches a single key, so the store also works
// against Redis Cluster. Errors fail closed: a Redis that does not answer
// gives fault.Unavailable, never an empty answer.
//
// Key layout, below Options.Prefix:
//
//	sess:<token hash>   hash: d (JSON of the fixed fields), u (user ID),
//	                    l (LastSeenAt), i (IdleTimeout), x (ExpiresAt);
//	                    times in Unix microseconds; expires at EndsAt
//	usess:<user ID>     set of the user's token hashes; lives at least as
//	                    long as the longest ExpiresAt of its members
//	cnt:<key>           counter (INCR), expires with its window
//	once:<key>          single-use value (SET NX, GETDEL)
package redis

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/rueidis"

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

// Options configures a Store.
type Options struct {
	// Prefix is put in front of every key (e.g. "secuird:"), so several
	// deployments or test runs can share one Redis database.
	Prefix string
}

// Store implements ports.SessionStore, ports.Counter, ports.OneTimeStore and
// ports.Pinger on Redis. It is safe for concurrent use.
type Store struct {
	client rueidis.Client
	prefix string
	now    func() time.Time

	createSession *rueidis.Lua
	indexSession  *rueidis.Lua
	touchSession  *rueidis.Lua
	deleteSession *rueidis.Lua
	deleteIfUser  *rueidis.Lua
	incr          *rueidis.Lua
	count         *rueidis.Lua
}

// Scripts. Each touches exactly one key (KEYS[1]); times are Unix
// microseconds, which Lua's doubles hold exactly.

// createSessionLua stores the session hash unless the key exists.
// ARGV: d, u, l, i, x, ttl in ms. Returns 1 when stored, 0 on conflict.
const createSessionLua = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'd', ARGV[1], 'u', ARGV[2], 'l', ARGV[3], 'i', ARGV[4], 'x', ARGV[5])
redis.call('PEXPIRE', KEYS[1], ARGV[6])
return 1`

// indexSessionLua adds a token hash to a user's set and makes sure the set
// lives at least ARGV[2] ms. ARGV: hash, ttl in ms.
const indexSessionLua = `
redis.call('SADD', KEYS[1], ARGV[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 1`

// touchSessionLua records activity at ARGV[1] and moves the key's expiry to
// the new end of the session, never past ExpiresAt. ARGV: t, now. Returns 1
// when touched, 0 when the session is absent or over.
const touchSessionLua = `
local v = redis.call('HMGET', KEYS[1], 'l', 'i', 'x')
if not v[1] then return 0 end
local last, idle, exp = tonumber(v[1]), tonumber(v[2]), tonumber(v[3])
local t, now = tonumber(ARGV[1]), tonumber(ARGV[2])
local function ends(l)
  if idle > 0 and l + idle < exp then return l + idle end
  return exp
end
if ends(last) <= now then return 0 end
if t > last then
  last = t
  redis.call('HSET', KEYS[1], 'l', ARGV[1])
end
redis.call('PEXPIRE', KEYS[1], string.format('%d', math.ceil((ends(last) - now) / 1000)))
return 1`

// deleteSessionLua deletes the session and returns its user ID, or nil
// when absent.
const deleteSessionLua = `
local u = redis.call('HGET', KEYS[1], 'u')
if not u then return false end
redis.call('DEL', KEYS[1])
return u`

// deleteIfUserLua deletes the session only if it belongs to ARGV[1].
// Returns 1 when deleted.
const deleteIfUserLua = `
if redis.call('HGET', KEYS[1], 'u') ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
return 1`

// incrLua counts one event and starts the window (ARGV[1] ms) when the
// key is new. A key found without expiry (written by something else) gets
// one too, so a counter can never block forever. Returns {count, ms left}.
const incrLua = `
local n = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if n == 1 or ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {n, ttl}`

// countLua reads a counter and its time left atomically. Returns
// {count, ms left}, {0, 0} when absent.
const countLua = `
local n = redis.call('GET', KEYS[1])
if not n then return {0, 0} end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then ttl = 0 end
return {n, ttl}`

// Retries of read-only commands after a network error: at most maxRetries,
// waiting retryStep, 2*retryStep, ... in between.
const (
	maxRetries = 3
	retryStep  = 20 * time.Millisecond
)

// New connects to the Redis at redisURL (redis://, rediss:// or unix://,
// with the query options rueidis.ParseURL reads) and checks that it
// answers. Invalid for a malformed URL; Unavailable when Redis cannot be
// reached before ctx ends. Close the Store when done.
func New(ctx context.Context, redisURL string, opts Options) (*Store, error) {
	const op = "redis.New"
	co, err := rueidis.ParseURL(redisURL)
	if err != nil {
		return nil, fault.Wrap(op, fault.Invalid, redactURLError(err))
	}
	// Server-assisted client-side caching is not used (and not every
	// Redis-compatible server supports it).
	co.DisableCache = true
	// rueidis retries read-only commands after network errors, by default
	// until the context ends: with Redis down, a lookup without a deadline
	// would hang forever. A few quick retries ride out a reconnect; after
	// that the caller gets Unavailable.
	co.RetryDelay = func(attempts int, _ rueidis.Completed, _ error) time.Duration {
		if attempts > maxRetries {
			return -1
		}
		return time.Duration(attempts) * retryStep
	}
	client, err := connect(ctx, co)
	if err != nil {
		return nil, fault.Wrap(op, fault.Unavailable, err)
	}
	s := &Store{
		client:        client,
		prefix:        opts.Prefix,
		now:           time.Now,
		createSession: rueidis.NewLuaScript(createSessionLua),
		indexSession:  rueidis.NewLuaScript(indexSessionLua),
		touchSession:  rueidis.NewLuaScript(touchSessionLua),
		deleteSession: rueidis.NewLuaScript(deleteSessionLua),
		deleteIfUser:  rueidis.NewLuaScript(deleteIfUserLua),
		incr:          rueidis.NewLuaScript(incrLua),
		count:         rueidis.NewLuaScript(countLua),
	}
	if err := s.Ping(ctx); err != nil {
		client.Close()
		return nil, fault.Wrap(op, fault.Unavailable, err)
	}
	return s, nil
}

// connect runs rueidis.NewClient, which dials and handshakes without a
// context, and gives up when ctx ends (closing the client if it arrives
// later).
func connect(ctx context.Context, co rueidis.ClientOption) (rueidis.Client, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	type result struct {
		client rueidis.Client
		err    error
	}
	ch := make(chan result, 1)
	go func() {
		c, err := rueidis.NewClient(co)
		ch <- result{c, err}
	}()
	select {
	case r := <-ch:
		return r.client, r.err
	case <-ctx.Done():
		go func() {
			if r := <-ch; r.err == nil {
				r.client.Close()
			}
		}()
		return nil, ctx.Err()
	}
}

// redactURLError keeps a URL parse error from carrying the URL, which may
// hold a password, into logs.
func redactURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return errors.New("invalid redis URL: " + ue.Err.Error())
	}
	return err
}

// Close closes the connections to Redis.
func (s *Store) Close() { s.client.Close() }

// Ping reports whether Redis answers. Unavailable when it does not.
func (s *Store) Ping(ctx context.Context) error {
	r := s.client.Do(ctx, s.client.B().Ping().Build())
	return replyErr("redis.Ping", r.Error())
}

// replyErr translates an error from rueidis. A nil reply is NotFound;
// errors Redis reports while loading, failing over or out of memory are
// Unavailable, other Redis errors Internal; anything else (connection
// refused, reset, timeouts, closing client) means Redis did not answer and
// is Unavailable.
func replyErr(op string, err error) error {
	if err == nil {
		return nil
	}
	if rueidis.IsRedisNil(err) {
		return fault.Wrap(op, fault.NotFound, err)
	}
	if re, ok := rueidis.IsRedisErr(err); ok {
		if transient(re.Error()) {
			return fault.Wrap(op, fault.Unavailable, err)
		}
		return fault.Wrap(op, fault.Internal, err)
	}
	if rueidis.IsParseErr(err) {
		return fault.Wrap(op, fault.Internal, err)
	}
	return fault.Wrap(op, fault.Unavailable, err)
}

// convErr reports a failure to read r: the reply's own error when it has
// one, else a conversion (decoding) problem, which is Internal.
func convErr(op string, r rueidis.RedisResult, err error) error {
	if rerr := r.Error(); rerr != nil {
		return replyErr(op, rerr)
	}
	return fault.Wrap(op, fault.Internal, err)
}

// transient reports whether a Redis error message says "try again later".
func transient(msg string) bool {
	code, _, _ := strings.Cut(msg, " ")
	switch code {
	case "LOADING", "BUSY", "TRYAGAIN", "CLUSTERDOWN", "MASTERDOWN", "READONLY", "OOM", "NOREPLICAS", "NOAUTH", "WRONGPASS":
		return true
	}
	return false
}

func (s *Store) sessionKey(hash string) string { return s.prefix + "sess:" + hash }
func (s *Store) userKey(userID string) string  { return s.prefix + "usess:" + userID }
func (s *Store) counterKey(key string) string  { return s.prefix + "cnt:" + key }
func (s *Store) onceKey(key string) string     { return s.prefix + "once:" + key }

// sessionDoc holds the fields that never change after creation.
type sessionDoc struct {
	ID             string   `json:"id"`
	CreatedAt      int64    `json:"c"`
	AuthTime       int64    `json:"a"`
	RememberMe     bool     `json:"r,omitempty"`
	IP             string   `json:"ip,omitempty"`
	UserAgent      string   `json:"ua,omitempty"`
	ComplianceOnly bool     `json:"co,omitempty"`
	AMR            []string `json:"amr,omitempty"`
}

// sessionFields are read in this order by every lookup.
var sessionFields = []string{"d", "u", "l", "i", "x"}

func micros(t time.Time) string { return strconv.FormatInt(t.UnixMicro(), 10) }

// idleMicros rounds a positive idle timeout up to whole microseconds, so
// that a tiny timeout never turns into 0, "no idle timeout".
func idleMicros(d time.Duration) int64 {
	if d <= 0 {
		return 0
	}
	return int64((d + time.Microsecond - 1) / time.Microsecond)
}

// millisCeil rounds d up to whole milliseconds, at least one, so a key
// never expires before the instant it stands for.
func millisCeil(d time.Duration) int64 {
	ms := int64((d + time.Millisecond - 1) / time.Millisecond)
	return max(ms, 1)
}

// decodeSession turns an HMGET reply of sessionFields into a session.
// found is false when the key does not exist.
func decodeSession(hash string, vals []rueidis.RedisMessage) (s identity.Session, found bool, err error) {
	if len(vals) != len(sessionFields) {
		return s, false, errors.New("unexpected reply length")
	}
	if vals[0].IsNil() {
		return s, false, nil
	}
	var str [5]string
	for i := range vals {
		if str[i], err = vals[i].ToString(); err != nil {
			return s, false, err
		}
	}
	var doc sessionDoc
	if err := json.Unmarshal([]byte(str[0]), &doc); err != nil {
		return s, false, err
	}
	var n [3]int64
	for i := range n {
		if n[i], err = strconv.ParseInt(str[i+2], 10, 64); err != nil {
			return s, false, err
		}
	}
	return identity.Session{
		ID:             doc.ID,
		TokenHash:      hash,
		UserID:         str[1],
		CreatedAt:      time.UnixMicro(doc.CreatedAt).UTC(),
		ExpiresAt:      time.UnixMicro(n[2]).UTC(),
		LastSeenAt:     time.UnixMicro(n[0]).UTC(),
		IdleTimeout:    time.Duration(n[1]) * time.Microsecond,
		RememberMe:     doc.RememberMe,
		IP:             doc.IP,
		UserAgent:      doc.UserAgent,
		ComplianceOnly: doc.ComplianceOnly,
		AuthTime:       time.UnixMicro(doc.AuthTime).UTC(),
		AMR:            doc.AMR,
	}, true, nil
}

// CreateSession stores sess until sess.EndsAt() (times kept to the
// microsecond). Conflict when the token hash exists; Invalid when the token
// hash or user ID is empty or the session has already ended.
func (s *Store) CreateSession(ctx context.Context, sess identity.Session) error {
	const op = "redis.CreateSession"
	if sess.TokenHash == "" || sess.UserID == "" {
		return fault.E(op, fault.Invalid, "session needs a token hash and a user")
	}
	now := s.now()
	if !sess.ActiveAt(now) {
		return fault.E(op, fault.Invalid, "session has already ended")
	}
	doc, err := json.Marshal(sessionDoc{
		ID:             sess.ID,
		CreatedAt:      sess.CreatedAt.UnixMicro(),
		AuthTime:       sess.AuthTime.UnixMicro(),
		RememberMe:     sess.RememberMe,
		IP:             sess.IP,
		UserAgent:      sess.UserAgent,
		ComplianceOnly: sess.ComplianceOnly,
		AMR:            sess.AMR,
	})
	if err != nil {
		return fault.Wrap(op, fault.Internal, err)
	}
	key := s.sessionKey(sess.TokenHash)
	r := s.createSession.Exec(ctx, s.client, []string{key}, []string{
		string(doc),
		sess.UserID,
		micros(sess.LastSeenAt),
		strconv.FormatInt(idleMicros(sess.IdleTimeout), 10),
		micros(sess.ExpiresAt),
		strconv.FormatInt(millisCeil(sess.EndsAt().Sub(now)), 10),
	})
	stored, err := r.AsInt64()
	if err != nil {
		return convErr(op, r, err)
	}
	if stored == 0 {
		return fault.E(op, fault.Conflict, "session exists")
	}
	// The session is indexed only after it exists, so a member whose key is
	// missing is always stale and SessionsByUser may prune it. The index
	// must outlive every touch, which can stretch a session to ExpiresAt.
	r = s.indexSession.Exec(ctx, s.client, []string{s.userKey(sess.UserID)}, []string{
		sess.TokenHash,
		strconv.FormatInt(millisCeil(sess.ExpiresAt.Sub(now)), 10),
	})
	if err := r.Error(); err != nil {
		// An unindexed session would escape DeleteUserSessions. Undo it as
		// far as Redis lets us; the caller gets an error and never hands
		// out the token, so a leftover cannot be used.
		undo, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
		s.client.Do(undo, s.client.B().Del().Key(key).Build())
		cancel()
		return replyErr(op, err)
	}
	return nil
}

// SessionByTokenHash returns the session. NotFound when absent or expired.
func (s *Store) SessionByTokenHash(ctx context.Context, hash string) (identity.Session, error) {
	const op = "redis.SessionByTokenHash"
	r := s.client.Do(ctx, s.client.B().Hmget().Key(s.sessionKey(hash)).Field(sessionFields...).Build())
	vals, err := r.ToArray()
	if err != nil {
		return identity.Session{}, convErr(op, r, err)
	}
	sess, found, err := decodeSession(hash, vals)
	if err != nil {
		return identity.Session{}, fault.Wrap(op, fault.Internal, err)
	}
	// Redis drops the key at EndsAt; the clock check covers the rounding
	// and any expiry Redis has not performed yet.
	if !found || !sess.ActiveAt(s.now()) {
		return identity.Session{}, fault.E(op, fault.NotFound, "session not found")
	}
	return sess, nil
}

// TouchSession records activity at t, pushing the idle deadline (never past
// ExpiresAt; LastSeenAt never moves backwards). It is one script, so it
// cannot revive a session deleted at the same moment. NotFound when absent
// or expired.
func (s *Store) TouchSession(ctx context.Context, hash string, t time.Time) error {
	const op = "redis.TouchSession"
	r := s.touchSession.Exec(ctx, s.client, []string{s.sessionKey(hash)}, []string{micros(t), micros(s.now())})
	touched, err := r.AsInt64()
	if err != nil {
		return convErr(op, r, err)
	}
	if touched == 0 {
		return fault.E(op, fault.NotFound, "session not found")
	}
	return nil
}

// SessionsByUser lists the user's live sessions, newest (CreatedAt) first.
// It prunes index members whose session is gone.
func (s *Store) SessionsByUser(ctx context.Context, userID string) ([]identity.Session, error) {
	const op = "redis.SessionsByUser"
	ukey := s.userKey(userID)
	r := s.client.Do(ctx, s.client.B().Smembers().Key(ukey).Build())
	members, err := r.AsStrSlice()
	if err != nil {
		return nil, convErr(op, r, err)
	}
	out := make([]identity.Session, 0, len(members))
	if len(members) == 0 {
		return out, nil
	}
	cmds := make(rueidis.Commands, len(members))
	for i, h := range members {
		cmds[i] = s.client.B().Hmget().Key(s.sessionKey(h)).Field(sessionFields...).Build()
	}
	now := s.now()
	var stale []string
	for i, r := range s.client.DoMulti(ctx, cmds...) {
		vals, err := r.ToArray()
		if err != nil {
			return nil, convErr(op, r, err)
		}
		sess, found, err := decodeSession(members[i], vals)
		if err != nil {
			return nil, fault.Wrap(op, fault.Internal, err)
		}
		switch {
		case !found || sess.UserID != userID:
			stale = append(stale, members[i])
		case sess.ActiveAt(now):
			out = append(out, sess)
		}
	}
	if len(stale) > 0 {
		// Housekeeping only: the answer is complete without it.
		s.client.Do(ctx, s.client.B().Srem().Key(ukey).Member(stale...).Build())
	}
	sortNewestFirst(out)
	return out, nil
}

// sortNewestFirst orders by CreatedAt descending, then by token hash so the
// order is stable between calls.
func sortNewestFirst(ss []identity.Session) {
	slices.SortFunc(ss, func(a, b identity.Session) int {
		return cmp.Or(b.CreatedAt.Compare(a.CreatedAt), strings.Compare(a.TokenHash, b.TokenHash))
	})
}

// DeleteSession removes one session. NotFound when absent.
func (s *Store) DeleteSession(ctx context.Context, hash string) error {
	const op = "redis.DeleteSession"
	r := s.deleteSession.Exec(ctx, s.client, []string{s.sessionKey(hash)}, nil)
	userID, err := r.ToString()
	if err != nil {
		if rueidis.IsRedisNil(err) {
			return fault.E(op, fault.NotFound, "session not found")
		}
		return convErr(op, r, err)
	}
	// The session is gone, which is what matters; a member left behind if
	// this fails is pruned by the next listing.
	s.client.Do(ctx, s.client.B().Srem().Key(s.userKey(userID)).Member(hash).Build())
	return nil
}

// DeleteUserSessions removes every session of the user except the one with
// hash keep ("" keeps none) and returns how many it removed. On error some
// sessions may already be gone; the count says how many.
func (s *Store) DeleteUserSessions(ctx context.Context, userID, keep string) (int, error) {
	const op = "redis.DeleteUserSessions"
	ukey := s.userKey(userID)
	r := s.client.Do(ctx, s.client.B().Smembers().Key(ukey).Build())
	members, err := r.AsStrSlice()
	if err != nil {
		return 0, convErr(op, r, err)
	}
	var targets []string
	var execs []rueidis.LuaExec
	for _, h := range members {
		if h == keep {
			continue
		}
		targets = append(targets, h)
		execs = append(execs, rueidis.LuaExec{Keys: []string{s.sessionKey(h)}, Args: []string{userID}})
	}
	if len(execs) == 0 {
		return 0, nil
	}
	n := 0
	var firstErr error
	for _, r := range s.deleteIfUser.ExecMulti(ctx, s.client, execs...) {
		deleted, err := r.AsInt64()
		if err != nil {
			firstErr = cmp.Or(firstErr, convErr(op, r, err))
			continue
		}
		n += int(deleted)
	}
	if firstErr != nil {
		return n, firstErr
	}
	if err := s.client.Do(ctx, s.client.B().Srem().Key(ukey).Member(targets...).Build()).Error(); err != nil {
		return n, replyErr(op, err)
	}
	return n, nil
}

// Incr adds one to key and returns the new count and the time left in the
// window (to the millisecond); the window starts at the first Incr after
// the key expired. Invalid when window is not positive.
func (s *Store) Incr(ctx context.Context, key string, window time.Duration) (int64, time.Duration, error) {
	const op = "redis.Incr"
	if window <= 0 {
		return 0, 0, fault.E(op, fault.Invalid, "window must be positive")
	}
	r := s.incr.Exec(ctx, s.client, []string{s.counterKey(key)}, []string{strconv.FormatInt(millisCeil(window), 10)})
	return pair(op, r)
}

// Count returns the current count (0 when absent) and the time left.
func (s *Store) Count(ctx context.Context, key string) (int64, time.Duration, error) {
	const op = "redis.Count"
	return pair(op, s.count.Exec(ctx, s.client, []string{s.counterKey(key)}, nil))
}

// pair reads a {count, ms left} script reply.
func pair(op string, r rueidis.RedisResult) (int64, time.Duration, error) {
	vals, err := r.ToArray()
	if err != nil {
		return 0, 0, convErr(op, r, err)
	}
	if len(vals) != 2 {
		return 0, 0, fault.Internalf(op, "unexpected reply length %d", len(vals))
	}
	n, err := vals[0].AsInt64()
	if err != nil {
		return 0, 0, fault.Wrap(op, fault.Internal, err)
	}
	ms, err := vals[1].AsInt64()
	if err != nil {
		return 0, 0, fault.Wrap(op, fault.Internal, err)
	}
	return n, time.Duration(ms) * time.Millisecond, nil
}

// ResetCount removes key.
func (s *Store) ResetCount(ctx context.Context, key string) error {
	r := s.client.Do(ctx, s.client.B().Del().Key(s.counterKey(key)).Build())
	return replyErr("redis.ResetCount", r.Error())
}

// PutOnce stores value under key for ttl (rounded up to the millisecond).
// Conflict when key exists; Invalid when ttl is not positive.
func (s *Store) PutOnce(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	const op = "redis.PutOnce"
	if ttl <= 0 {
		return fault.E(op, fault.Invalid, "ttl must be positive")
	}
	cmd := s.client.B().Set().Key(s.onceKey(key)).Value(string(value)).Nx().PxMilliseconds(millisCeil(ttl)).Build()
	err := s.client.Do(ctx, cmd).Error()
	if rueidis.IsRedisNil(err) {
		return fault.E(op, fault.Conflict, "key exists")
	}
	return replyErr(op, err)
}

// Take returns and removes the value atomically (GETDEL): of concurrent
// calls exactly one gets it. NotFound when absent or expired.
func (s *Store) Take(ctx context.Context, key string) ([]byte, error) {
	const op = "redis.Take"
	r := s.client.Do(ctx, s.client.B().Getdel().Key(s.onceKey(key)).Build())
	v, err := r.AsBytes()
	if err != nil {
		if rueidis.IsRedisNil(err) {
			return nil, fault.E(op, fault.NotFound, "value not found")
		}
		return nil, convErr(op, r, err)
	}
	return v, nil
}
