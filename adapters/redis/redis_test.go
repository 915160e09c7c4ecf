package redis

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"net"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/core/identity"
	"github.com/secuird/secuird/ports/porttest"
	"github.com/secuird/secuird/ports/porttest/testenv"
)

// open connects to the test Redis with a fresh random prefix and removes
// every key under it when the test ends.
func open(t *testing.T, redisURL string) *Store {
	t.Helper()
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	s, err := New(t.Context(), redisURL, Options{Prefix: "secuird-test:" + hex.EncodeToString(b) + ":"})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(s.Close)
	t.Cleanup(func() {
		// t.Context is already cancelled when cleanups run.
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		for _, k := range keys(ctx, t, s) {
			if err := s.client.Do(ctx, s.client.B().Del().Key(k).Build()).Error(); err != nil {
				t.Errorf("cleanup: DEL %s: %v", k, err)
			}
		}
	})
	return s
}

// keys lists every key under the store's prefix.
func keys(ctx context.Context, t *testing.T, s *Store) []string {
	t.Helper()
	var out []string
	cursor := uint64(0)
	for {
		e, err := s.client.Do(ctx, s.client.B().Scan().Cursor(cursor).Match(s.prefix+"*").Count(1000).Build()).AsScanEntry()
		if err != nil {
			t.Fatalf("SCAN: %v", err)
		}
		out = append(out, e.Elements...)
		if e.Cursor == 0 {
			return out
		}
		cursor = e.Cursor
	}
}

func TestEphemeral(t *testing.T) {
	redisURL := testenv.RedisURL(t)
	t.Parallel()
	porttest.RunEphemeral(t, func(t *testing.T) porttest.Ephemeral { return open(t, redisURL) })
}

func testSession(user string) identity.Session {
	now := time.Now()
	return identity.Session{
		ID: "id-" + user, TokenHash: "hash-" + user, UserID: user,
		CreatedAt: now, LastSeenAt: now, AuthTime: now,
		ExpiresAt: now.Add(time.Hour), IdleTimeout: 10 * time.Minute,
		AMR: []string{"pwd"},
	}
}

func TestPrefixesIsolateStores(t *testing.T) {
	redisURL := testenv.RedisURL(t)
	t.Parallel()
	a, b := open(t, redisURL), open(t, redisURL)
	ctx := t.Context()
	if err := a.CreateSession(ctx, testSession("u")); err != nil {
		t.Fatal(err)
	}
	if err := a.PutOnce(ctx, "k", []byte("v"), time.Hour); err != nil {
		t.Fatal(err)
	}
	if _, _, err := a.Incr(ctx, "k", time.Hour); err != nil {
		t.Fatal(err)
	}
	if _, err := b.SessionByTokenHash(ctx, "hash-u"); !fault.Is(err, fault.NotFound) {
		t.Errorf("other prefix sees the session: %v", err)
	}
	if _, err := b.Take(ctx, "k"); !fault.Is(err, fault.NotFound) {
		t.Errorf("other prefix sees the value: %v", err)
	}
	if n, _, err := b.Count(ctx, "k"); err != nil || n != 0 {
		t.Errorf("other prefix sees the counter: %d, %v", n, err)
	}
}

// TestEveryKeyExpires guards against leaks: whatever the operations leave
// behind carries a TTL, and the TTLs follow the design.
func TestEveryKeyExpires(t *testing.T) {
	redisURL := testenv.RedisURL(t)
	t.Parallel()
	s := open(t, redisURL)
	ctx := t.Context()
	sess := testSession("u")
	if err := s.CreateSession(ctx, sess); err != nil {
		t.Fatal(err)
	}
	if err := s.TouchSession(ctx, sess.TokenHash, time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Incr(ctx, "c", time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := s.PutOnce(ctx, "o", nil, time.Minute); err != nil {
		t.Fatal(err)
	}
	ks := keys(ctx, t, s)
	if len(ks) != 4 {
		t.Errorf("keys = %q, want 4", ks)
	}
	for _, k := range ks {
		ms, err := s.client.Do(ctx, s.client.B().Pttl().Key(k).Build()).AsInt64()
		if err != nil || ms <= 0 {
			t.Errorf("PTTL %s = %d, %v; want a TTL", k, ms, err)
		}
	}
	pttl := func(key string) time.Duration {
		ms, err := s.client.Do(ctx, s.client.B().Pttl().Key(key).Build()).AsInt64()
		if err != nil {
			t.Fatal(err)
		}
		return time.Duration(ms) * time.Millisecond
	}
	// The session lives to its idle deadline; its user's index to ExpiresAt.
	if d := pttl(s.sessionKey(sess.TokenHash)); d > sess.IdleTimeout || d < sess.IdleTimeout-time.Minute {
		t.Errorf("session TTL = %v, want about %v", d, sess.IdleTimeout)
	}
	if d := pttl(s.userKey(sess.UserID)); d > time.Hour || d < time.Hour-time.Minute {
		t.Errorf("index TTL = %v, want about 1h", d)
	}
}

func TestDecodingProblemsAreInternal(t *testing.T) {
	redisURL := testenv.RedisURL(t)
	t.Parallel()
	s := open(t, redisURL)
	ctx := t.Context()
	c := s.client
	for _, cmd := range []struct{ key, field, value string }{
		{s.sessionKey("badjson"), "d", "{not json"},
		{s.sessionKey("badtime"), "d", `{"id":"x"}`},
	} {
		if err := c.Do(ctx, c.B().Hset().Key(cmd.key).FieldValue().FieldValue(cmd.field, cmd.value).FieldValue("u", "u").FieldValue("l", "soon").FieldValue("i", "0").FieldValue("x", "0").Build()).Error(); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Do(ctx, c.B().Set().Key(s.sessionKey("string")).Value("x").Build()).Error(); err != nil {
		t.Fatal(err)
	}
	for _, h := range []string{"badjson", "badtime", "string"} {
		if _, err := s.SessionByTokenHash(ctx, h); !fault.Is(err, fault.Internal) || fault.As(err) == nil {
			t.Errorf("SessionByTokenHash(%s) = %v, want a fault.Error of kind Internal", h, err)
		}
	}
}

func TestNewRejectsBadURL(t *testing.T) {
	t.Parallel()
	_, err := New(t.Context(), "redis://user:hunter2@127.0.0.1:notaport/0", Options{})
	if !fault.Is(err, fault.Invalid) {
		t.Fatalf("New = %v, want Invalid", err)
	}
	if strings.Contains(err.Error(), "hunter2") {
		t.Errorf("error leaks the password: %v", err)
	}
}

// TestUnreachableRedisFailsClosed needs no Redis: nothing listens on port 1.
func TestUnreachableRedisFailsClosed(t *testing.T) {
	t.Parallel()
	s, err := New(t.Context(), "redis://127.0.0.1:1/0", Options{})
	if err == nil {
		s.Close()
		t.Fatal("New succeeded against a closed port")
	}
	if !fault.Is(err, fault.Unavailable) {
		t.Fatalf("New = %v, want Unavailable", err)
	}
}

// TestNewGivesUpWithItsContext: a server that accepts and never answers
// must not hang New past its context.
func TestNewGivesUpWithItsContext(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	var mu sync.Mutex
	var conns []net.Conn
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			go func() { _, _ = io.Copy(io.Discard, c) }()
		}
	}()
	ctx, cancel := context.WithTimeout(t.Context(), 500*time.Millisecond)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		s, err := New(ctx, "redis://"+ln.Addr().String()+"/0", Options{})
		if err == nil {
			s.Close()
		}
		done <- err
	}()
	select {
	case err := <-done:
		if !fault.Is(err, fault.Unavailable) {
			t.Fatalf("New = %v, want Unavailable", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("New hung on a silent server")
	}
}

// TestRedisGoingAwayFailsClosed connects through a proxy, cuts it, and
// checks that every method reports Unavailable instead of an answer that
// could be mistaken for "no session" or "count 0".
func TestRedisGoingAwayFailsClosed(t *testing.T) {
	redisURL := testenv.RedisURL(t)
	t.Parallel()
	u, err := url.Parse(redisURL)
	if err != nil {
		t.Fatal(err)
	}
	p := startProxy(t, u.Host)
	u.Host = p.addr()
	// direct owns the prefix and cleans up; s reaches Redis through p.
	direct := open(t, redisURL)
	ctx := t.Context()
	s, err := New(ctx, u.String(), Options{Prefix: direct.prefix})
	if err != nil {
		t.Fatalf("New through the proxy: %v", err)
	}
	t.Cleanup(s.Close)
	sess := testSession("u")
	if err := s.CreateSession(ctx, sess); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SessionByTokenHash(ctx, sess.TokenHash); err != nil {
		t.Fatal(err)
	}
	p.cut()

	// No deadline: the store itself must give up, not hang until one.
	callCtx := ctx
	checks := map[string]func() error{
		"Ping": func() error { return s.Ping(callCtx) },
		"CreateSession": func() error {
			s2 := testSession("v")
			return s.CreateSession(callCtx, s2)
		},
		"SessionByTokenHash": func() error { _, err := s.SessionByTokenHash(callCtx, sess.TokenHash); return err },
		"TouchSession":       func() error { return s.TouchSession(callCtx, sess.TokenHash, time.Now()) },
		"SessionsByUser":     func() error { _, err := s.SessionsByUser(callCtx, sess.UserID); return err },
		"DeleteSession":      func() error { return s.DeleteSession(callCtx, sess.TokenHash) },
		"DeleteUserSessions": func() error { _, err := s.DeleteUserSessions(callCtx, sess.UserID, ""); return err },
		"Incr":               func() error { _, _, err := s.Incr(callCtx, "k", time.Minute); return err },
		"Count":              func() error { _, _, err := s.Count(callCtx, "k"); return err },
		"ResetCount":         func() error { return s.ResetCount(callCtx, "k") },
		"PutOnce":            func() error { return s.PutOnce(callCtx, "k", nil, time.Minute) },
		"Take":               func() error { _, err := s.Take(callCtx, "k"); return err },
	}
	for name, call := range checks {
		done := make(chan error, 1)
		go func() { done <- call() }()
		var err error
		select {
		case err = <-done:
		case <-time.After(time.Minute):
			t.Fatalf("%s hangs with Redis gone", name)
		}
		if !fault.Is(err, fault.Unavailable) {
			t.Errorf("%s with Redis gone = %v, want Unavailable", name, err)
		}
		if fe := fault.As(err); fe != nil && fe.Op != "redis."+name {
			t.Errorf("%s: Op = %q, want %q", name, fe.Op, "redis."+name)
		}
	}
}

// proxy forwards TCP connections to Redis until cut.
type proxy struct {
	ln    net.Listener
	mu    sync.Mutex
	conns []net.Conn
}

func startProxy(t *testing.T, target string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln}
	t.Cleanup(p.cut)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, up)
			p.mu.Unlock()
			go func() { _, _ = io.Copy(up, c); up.Close() }()
			go func() { _, _ = io.Copy(c, up); c.Close() }()
		}
	}()
	return p
}

func (p *proxy) addr() string { return p.ln.Addr().String() }

// cut stops accepting and drops every open connection.
func (p *proxy) cut() {
	p.ln.Close()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// BenchmarkSessionByTokenHash measures the lookup every API request makes
// (one HMGET round trip and a JSON decode), from GOMAXPROCS goroutines.
func BenchmarkSessionByTokenHash(b *testing.B) {
	redisURL := testenv.RedisURL(b)
	s, err := New(b.Context(), redisURL, Options{Prefix: "secuird-bench:"})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	sess := testSession("bench")
	sess.AMR = []string{"pwd", "otp"}
	if err := s.CreateSession(ctx, sess); err != nil && !fault.Is(err, fault.Conflict) {
		b.Fatal(err)
	}
	defer func() {
		if _, err := s.DeleteUserSessions(context.Background(), sess.UserID, ""); err != nil {
			b.Error(err)
		}
	}()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := s.SessionByTokenHash(ctx, sess.TokenHash); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
