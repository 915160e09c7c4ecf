package app_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/secuird/secuird/adapters/mail"
	"github.com/secuird/secuird/app"
	"github.com/secuird/secuird/core/message"
	"github.com/secuird/secuird/ports/porttest/testenv"
)

// syncBuffer collects log output from the server goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// server is a running Secuird node for a test.
type server struct {
	url  string
	mail *mail.Recorder
	logs *syncBuffer
	app  *app.App
}

func randomName() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return "t_" + hex.EncodeToString(b[:])
}

// backends lists the storage combinations every API test runs on: the
// embedded default always, Postgres + Redis when the test services are set.
func backends(t *testing.T) map[string]func(*app.Config) {
	out := map[string]func(*app.Config){"embedded": func(*app.Config) {}}
	// The services are looked up here, on the calling test, not inside the
	// returned function (which runs in a subtest, where skipping the
	// parent would panic).
	dbURL, redisURL := os.Getenv(testenv.DatabaseURLVar), os.Getenv(testenv.RedisURLVar)
	if dbURL == "" || redisURL == "" {
		if os.Getenv(testenv.RequireServicesVar) == "1" {
			t.Fatalf("Postgres and Redis are required (%s=1) but %s or %s is not set", testenv.RequireServicesVar, testenv.DatabaseURLVar, testenv.RedisURLVar)
		}
		t.Logf("postgres+redis variant skipped: set %s and %s to run it", testenv.DatabaseURLVar, testenv.RedisURLVar)
		return out
	}
	out["postgres+redis"] = func(c *app.Config) {
		c.DatabaseURL = dbURL
		c.DatabaseSchema = randomName()
		c.RedisURL = redisURL
		c.RedisPrefix = randomName() + ":"
	}
	return out
}

// requireBackendServices fails or skips t, per testenv, when the named
// backend needs Postgres and Redis and they are not configured.
func requireBackendServices(t *testing.T, name string) {
	t.Helper()
	if name != "embedded" {
		testenv.PostgresURL(t)
		testenv.RedisURL(t)
	}
}

// eachBackend runs test as a parallel subtest per storage backend (see
// backends), with the backend's configuration.
func eachBackend(t *testing.T, test func(t *testing.T, configure func(*app.Config))) {
	t.Helper()
	for name, configure := range backends(t) {
		t.Run(name, func(t *testing.T) {
			requireBackendServices(t, name)
			t.Parallel()
			test(t, configure)
		})
	}
}

// backendSlug names the backend of an eachBackend subtest in a form fit
// for an email address or an organization slug ("postgres-redis").
func backendSlug(t *testing.T) string {
	name := t.Name()
	return strings.ReplaceAll(name[strings.LastIndex(name, "/")+1:], "+", "-")
}

func startServer(t *testing.T, configure ...func(*app.Config)) *server {
	t.Helper()
	cfg, err := app.Load(func(k string) string {
		if k == "SECUIRD_ENV" {
			return "test"
		}
		return ""
	})
	if err != nil {
		t.Fatal(err)
	}
	cfg.DataDir = t.TempDir()
	for _, f := range configure {
		f(&cfg)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg.PublicURL = "http://" + ln.Addr().String()
	logs := &syncBuffer{}
	// The recorder is the provider behind the real outbox: mail is queued
	// in the database with the change and delivered by the worker, so
	// tests wait for it (s.mail.Wait) rather than expect it at once.
	rec := mail.NewRecorder()
	a, err := app.New(context.Background(), cfg, app.WithMailSender(rec), app.WithLogger(slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
		_ = a.Close()
	})
	return &server{url: cfg.PublicURL, mail: rec, logs: logs, app: a}
}

// envelope is the REST envelope, decoded loosely for assertions.
type envelope struct {
	Version   string          `json:"version"`
	Success   bool            `json:"success"`
	Code      int             `json:"code"`
	Message   string          `json:"message"`
	RequestID string          `json:"request_id"`
	Data      json.RawMessage `json:"data"`
	Error     *struct {
		Type    string         `json:"type"`
		Details map[string]any `json:"details"`
	} `json:"error"`
}

type response struct {
	status int
	header http.Header
	env    envelope
	raw    []byte
}

func (r response) data(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.env.Data, v); err != nil {
		t.Fatalf("decode data %s: %v", r.env.Data, err)
	}
}

// call sends a request; body may be a string (sent as is) or a value (JSON).
func (s *server) call(t *testing.T, method, path, token string, body any, hdr ...string) response {
	t.Helper()
	var rd io.Reader
	ctype := "application/json"
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		raw, _ := json.Marshal(b)
		rd = bytes.NewReader(raw)
	}
	req, _ := http.NewRequest(method, s.url+path, rd)
	if rd != nil {
		req.Header.Set("Content-Type", ctype)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := response{status: resp.StatusCode, header: resp.Header, raw: raw}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") && path != "/api/health" {
		if err := json.Unmarshal(raw, &r.env); err != nil {
			t.Fatalf("%s %s: not JSON: %s", method, path, raw)
		}
	}
	return r
}

// expect checks status, envelope shape and, for errors, the error type.
func expect(t *testing.T, r response, status int, errType string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.raw)
	}
	e := r.env
	if e.Version != "1.0" || e.Code != status || e.RequestID == "" || e.Message == "" {
		t.Fatalf("malformed envelope: %s", r.raw)
	}
	if r.header.Get("X-Request-ID") != e.RequestID {
		t.Fatalf("X-Request-ID header %q differs from envelope %q", r.header.Get("X-Request-ID"), e.RequestID)
	}
	if errType == "" {
		if !e.Success || e.Error != nil {
			t.Fatalf("want success: %s", r.raw)
		}
		return
	}
	if e.Success || e.Error == nil || e.Error.Type != errType || e.Error.Details == nil {
		t.Fatalf("want error %s: %s", errType, r.raw)
	}
}

const pw = "violet-harbor-71-quietly"

type authData struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
	User      struct {
		ID            string `json:"id"`
		Email         string `json:"email"`
		EmailVerified bool   `json:"email_verified"`
	} `json:"user"`
	IsFirstUser bool `json:"is_first_user"`
}

func (s *server) register(t *testing.T, email string) authData {
	t.Helper()
	r := s.call(t, "POST", "/api/v1/auth/register", "", map[string]any{"email": email, "password": pw, "password_confirm": pw, "full_name": "Api Person"})
	expect(t, r, 201, "")
	var d authData
	r.data(t, &d)
	return d
}

func (s *server) linkToken(t *testing.T, to, template string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	m, err := s.mail.Wait(ctx, to, template)
	if err != nil {
		t.Fatalf("no %s mail to %s: %v", template, to, err)
	}
	u, _ := url.Parse(m.Vars["link"])
	return u.Query().Get("token")
}

func TestAPI(t *testing.T) {
	for name, backend := range backends(t) {
		t.Run(name, func(t *testing.T) {
			requireBackendServices(t, name)
			s := startServer(t, backend)
			t.Run("health reports every dependency", func(t *testing.T) {
				r := s.call(t, "GET", "/api/health", "", nil)
				var h struct {
					Status  string                    `json:"status"`
					Service string                    `json:"service"`
					Checks  map[string]map[string]any `json:"checks"`
				}
				if err := json.Unmarshal(r.raw, &h); err != nil || r.status != 200 || h.Status != "healthy" || h.Service != "secuird" {
					t.Fatalf("health: %d %s", r.status, r.raw)
				}
				if h.Checks["database"]["status"] != "ok" || h.Checks["ephemeral_store"]["status"] != "ok" {
					t.Fatalf("checks: %s", r.raw)
				}
			})
			t.Run("registration", func(t *testing.T) { testRegistration(t, s) })
			t.Run("login and bearer authentication", func(t *testing.T) { testLoginAndBearer(t, s) })
			t.Run("sessions", func(t *testing.T) { testSessions(t, s) })
			t.Run("email verification", func(t *testing.T) { testVerification(t, s) })
			t.Run("password reset", func(t *testing.T) { testReset(t, s) })
			t.Run("profile, password change and deletion", func(t *testing.T) { testProfile(t, s) })
			t.Run("bad requests get envelopes", func(t *testing.T) { testBadRequests(t, s) })
			t.Run("logs hold no secrets", func(t *testing.T) {
				logs := s.logs.String()
				if !strings.Contains(logs, "request_id") {
					t.Fatal("access log lines lack request_id")
				}
				for _, secret := range []string{pw, "new-granite-lantern-42", "fresh-orchid-lamp-88", "wrong-password-1"} {
					if strings.Contains(logs, secret) {
						t.Fatalf("a password reached the logs")
					}
				}
				if strings.Contains(logs, "token=") {
					t.Fatal("a token query string reached the logs")
				}
			})
		})
	}
}

func testRegistration(t *testing.T, s *server) {
	r := s.call(t, "POST", "/api/v1/auth/register", "", map[string]any{"email": "Reg@Example.com", "password": pw, "password_confirm": pw})
	expect(t, r, 201, "")
	var d authData
	r.data(t, &d)
	if d.User.Email != "reg@example.com" || d.Token == "" || d.ExpiresAt.IsZero() {
		t.Fatalf("register data: %s", r.env.Data)
	}
	if !strings.Contains(string(r.env.Data), `"pending_invites":[]`) {
		t.Fatalf("pending_invites missing: %s", r.env.Data)
	}
	r = s.call(t, "POST", "/api/v1/auth/register", "", map[string]any{"email": "reg@example.com", "password": pw, "password_confirm": pw})
	expect(t, r, 409, "CONFLICT")
	r = s.call(t, "POST", "/api/v1/auth/register", "", map[string]any{"email": "x", "password": "short", "password_confirm": "nope"})
	expect(t, r, 400, "VALIDATION_ERROR")
	for _, f := range []string{"email", "password", "password_confirm"} {
		if _, ok := r.env.Error.Details[f]; !ok {
			t.Errorf("no details for %s: %s", f, r.raw)
		}
	}
	r = s.call(t, "POST", "/api/v1/auth/register", "", map[string]any{"email": "weak@example.com", "password": "password123", "password_confirm": "password123"})
	expect(t, r, 400, "VALIDATION_ERROR")
	r = s.call(t, "POST", "/api/v1/auth/register", "", map[string]any{"email": "mass@example.com", "password": pw, "password_confirm": pw, "is_platform_admin": true})
	expect(t, r, 400, "VALIDATION_ERROR")
	if _, ok := r.env.Error.Details["is_platform_admin"]; !ok {
		t.Fatalf("mass assignment not named: %s", r.raw)
	}
	r = s.call(t, "POST", "/api/v1/auth/login", "", map[string]any{"email": "mass@example.com", "password": pw})
	expect(t, r, 401, "AUTHENTICATION_ERROR")
}

func testLoginAndBearer(t *testing.T, s *server) {
	s.register(t, "login@example.com")
	r := s.call(t, "POST", "/api/v1/auth/login", "", map[string]any{"email": "LOGIN@example.com", "password": pw, "remember_me": true})
	expect(t, r, 200, "")
	var d authData
	r.data(t, &d)
	if time.Until(d.ExpiresAt) < 29*24*time.Hour {
		t.Fatalf("remember_me session expires at %v", d.ExpiresAt)
	}
	bad := s.call(t, "POST", "/api/v1/auth/login", "", map[string]any{"email": "login@example.com", "password": "wrong-password-1"})
	expect(t, bad, 401, "AUTHENTICATION_ERROR")
	unknown := s.call(t, "POST", "/api/v1/auth/login", "", map[string]any{"email": "ghost@example.com", "password": "wrong-password-1"})
	expect(t, unknown, 401, "AUTHENTICATION_ERROR")
	if bad.env.Message != unknown.env.Message {
		t.Fatal("login answers reveal which emails exist")
	}

	expect(t, s.call(t, "GET", "/api/v1/auth/me", "", nil), 401, "AUTH_REQUIRED")
	expect(t, s.call(t, "GET", "/api/v1/auth/me", "", nil, "Authorization", "Token "+d.Token), 401, "INVALID_AUTH_FORMAT")
	expect(t, s.call(t, "GET", "/api/v1/auth/me", "", nil, "Authorization", "Bearer"), 401, "INVALID_AUTH_FORMAT")
	expect(t, s.call(t, "GET", "/api/v1/auth/me", "not-a-real-token-not-a-real-token-xx", nil), 401, "INVALID_TOKEN")
	me := s.call(t, "GET", "/api/v1/auth/me", "", nil, "Authorization", "bearer "+d.Token)
	expect(t, me, 200, "")
	var prof struct {
		Email       string `json:"email"`
		HasPassword bool   `json:"has_password"`
	}
	me.data(t, &prof)
	if prof.Email != "login@example.com" || !prof.HasPassword {
		t.Fatalf("me: %s", me.env.Data)
	}
	expect(t, s.call(t, "GET", "/api/v1/users/me", d.Token, nil), 200, "")

	out := s.call(t, "POST", "/api/v1/auth/logout", d.Token, nil)
	expect(t, out, 200, "")
	expect(t, s.call(t, "GET", "/api/v1/auth/me", d.Token, nil), 401, "INVALID_TOKEN")
}

func testSessions(t *testing.T, s *server) {
	a := s.register(t, "sess@example.com")
	var second authData
	l := s.call(t, "POST", "/api/v1/auth/login", "", map[string]any{"email": "sess@example.com", "password": pw}, "User-Agent", "second-device/1.0")
	expect(t, l, 200, "")
	l.data(t, &second)
	other := s.register(t, "sess-other@example.com")

	r := s.call(t, "GET", "/api/v1/auth/sessions", a.Token, nil)
	expect(t, r, 200, "")
	var list struct {
		Sessions []map[string]any `json:"sessions"`
	}
	r.data(t, &list)
	if len(list.Sessions) != 2 {
		t.Fatalf("want 2 sessions: %s", r.env.Data)
	}
	var secondID string
	for _, ss := range list.Sessions {
		if _, leaked := ss["token"]; leaked {
			t.Fatal("session listing contains a token")
		}
		if ss["user_agent"] == "second-device/1.0" {
			secondID, _ = ss["id"].(string)
		}
	}
	if secondID == "" || strings.Contains(string(r.raw), a.Token) {
		t.Fatalf("listing: %s", r.raw)
	}
	expect(t, s.call(t, "DELETE", "/api/v1/auth/sessions/"+secondID, other.Token, nil), 404, "NOT_FOUND")
	expect(t, s.call(t, "GET", "/api/v1/auth/me", second.Token, nil), 200, "")
	expect(t, s.call(t, "DELETE", "/api/v1/auth/sessions/"+secondID, a.Token, nil), 200, "")
	expect(t, s.call(t, "GET", "/api/v1/auth/me", second.Token, nil), 401, "INVALID_TOKEN")

	var third authData
	l = s.call(t, "POST", "/api/v1/auth/login", "", map[string]any{"email": "sess@example.com", "password": pw})
	l.data(t, &third)
	r = s.call(t, "POST", "/api/v1/auth/sessions/revoke-others", a.Token, nil)
	expect(t, r, 200, "")
	expect(t, s.call(t, "GET", "/api/v1/auth/me", third.Token, nil), 401, "INVALID_TOKEN")
	expect(t, s.call(t, "GET", "/api/v1/auth/me", a.Token, nil), 200, "")
	expect(t, s.call(t, "GET", "/api/v1/auth/me", other.Token, nil), 200, "")
}

func testVerification(t *testing.T, s *server) {
	s.register(t, "verify@example.com")
	tok := s.linkToken(t, "verify@example.com", message.VerifyEmail)
	if !strings.HasPrefix(s.mustLink(t, "verify@example.com", message.VerifyEmail), s.url+"/verify-email?token=") {
		t.Fatal("verification link not under the public URL")
	}
	r := s.call(t, "POST", "/api/v1/auth/verify-email", "", map[string]any{"token": tok})
	expect(t, r, 200, "")
	expect(t, s.call(t, "POST", "/api/v1/auth/verify-email", "", map[string]any{"token": tok}), 400, "VALIDATION_ERROR")
	expect(t, s.call(t, "POST", "/api/v1/auth/verify-email", "", map[string]any{}), 400, "VALIDATION_ERROR")
	expect(t, s.call(t, "POST", "/api/v1/auth/resend-verification", "", map[string]any{"email": "nobody@example.com"}), 200, "")
	expect(t, s.call(t, "POST", "/api/v1/auth/resend-verification", "", map[string]any{"email": "not an email"}), 400, "VALIDATION_ERROR")
}

func (s *server) mustLink(t *testing.T, to, template string) string {
	m, ok := s.mail.Last(to)
	if !ok || m.Template != template {
		t.Fatalf("no %s mail to %s", template, to)
	}
	return m.Vars["link"]
}

func testReset(t *testing.T, s *server) {
	d := s.register(t, "reset@example.com")
	r := s.call(t, "POST", "/api/v1/auth/forgot-password", "", map[string]any{"email": "reset@example.com"})
	expect(t, r, 200, "")
	ghost := s.call(t, "POST", "/api/v1/auth/forgot-password", "", map[string]any{"email": "ghost@example.com"})
	expect(t, ghost, 200, "")
	if ghost.env.Message != r.env.Message {
		t.Fatal("forgot-password reveals which emails exist")
	}
	tok := s.linkToken(t, "reset@example.com", message.PasswordReset)
	const np = "new-granite-lantern-42"
	expect(t, s.call(t, "POST", "/api/v1/auth/reset-password", "", map[string]any{"token": tok, "password": np, "password_confirm": "different-thing-42"}), 400, "VALIDATION_ERROR")
	expect(t, s.call(t, "POST", "/api/v1/auth/reset-password", "", map[string]any{"token": tok, "password": np, "password_confirm": np}), 200, "")
	expect(t, s.call(t, "POST", "/api/v1/auth/reset-password", "", map[string]any{"token": tok, "password": np, "password_confirm": np}), 400, "VALIDATION_ERROR")
	expect(t, s.call(t, "GET", "/api/v1/auth/me", d.Token, nil), 401, "INVALID_TOKEN")
	expect(t, s.call(t, "POST", "/api/v1/auth/login", "", map[string]any{"email": "reset@example.com", "password": np}), 200, "")
}

func testProfile(t *testing.T, s *server) {
	d := s.register(t, "prof@example.com")
	r := s.call(t, "PATCH", "/api/v1/users/me", d.Token, map[string]any{"full_name": "Renamed", "avatar_url": "https://img.example.com/a.png"})
	expect(t, r, 200, "")
	if !strings.Contains(string(r.env.Data), `"full_name":"Renamed"`) {
		t.Fatalf("patch: %s", r.env.Data)
	}
	expect(t, s.call(t, "PATCH", "/api/v1/users/me", d.Token, map[string]any{"avatar_url": "javascript:alert(1)"}), 400, "VALIDATION_ERROR")
	expect(t, s.call(t, "PATCH", "/api/v1/users/me", d.Token, map[string]any{"email": "evil@example.com"}), 400, "VALIDATION_ERROR")
	expect(t, s.call(t, "PATCH", "/api/v1/users/me", d.Token, map[string]any{"full_name": 42}), 400, "VALIDATION_ERROR")

	var other authData
	l := s.call(t, "POST", "/api/v1/auth/login", "", map[string]any{"email": "prof@example.com", "password": pw})
	l.data(t, &other)
	const np = "fresh-orchid-lamp-88"
	expect(t, s.call(t, "POST", "/api/v1/users/me/password", d.Token, map[string]any{"current_password": "wrong-password-1", "new_password": np, "new_password_confirm": np}), 400, "VALIDATION_ERROR")
	expect(t, s.call(t, "POST", "/api/v1/users/me/password", d.Token, map[string]any{"current_password": pw, "new_password": np, "new_password_confirm": np}), 200, "")
	expect(t, s.call(t, "GET", "/api/v1/auth/me", other.Token, nil), 401, "INVALID_TOKEN")
	expect(t, s.call(t, "GET", "/api/v1/auth/me", d.Token, nil), 200, "")

	expect(t, s.call(t, "DELETE", "/api/v1/users/me", d.Token, nil), 200, "")
	expect(t, s.call(t, "GET", "/api/v1/auth/me", d.Token, nil), 401, "INVALID_TOKEN")
	expect(t, s.call(t, "POST", "/api/v1/auth/login", "", map[string]any{"email": "prof@example.com", "password": np}), 401, "AUTHENTICATION_ERROR")
}

func testBadRequests(t *testing.T, s *server) {
	cases := []struct {
		name, method, path, body, ctype string
		status                          int
		errType                         string
	}{
		{"malformed JSON", "POST", "/api/v1/auth/login", `{"email":`, "application/json", 400, "VALIDATION_ERROR"},
		{"trailing garbage", "POST", "/api/v1/auth/login", `{"email":"a@b.co","password":"x"} {}`, "application/json", 400, "VALIDATION_ERROR"},
		{"wrong type", "POST", "/api/v1/auth/login", `{"email":1,"password":"x"}`, "application/json", 400, "VALIDATION_ERROR"},
		{"empty body", "POST", "/api/v1/auth/login", ``, "application/json", 400, "VALIDATION_ERROR"},
		{"not JSON", "POST", "/api/v1/auth/login", `email=a`, "application/x-www-form-urlencoded", 415, "BAD_REQUEST"},
		{"unknown route", "GET", "/api/v1/nope", "", "", 404, "NOT_FOUND"},
		{"wrong method", "PUT", "/api/v1/auth/login", "", "", 405, "METHOD_NOT_ALLOWED"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req, _ := http.NewRequest(c.method, s.url+c.path, strings.NewReader(c.body))
			if c.ctype != "" {
				req.Header.Set("Content-Type", c.ctype)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			raw, _ := io.ReadAll(resp.Body)
			var e envelope
			if err := json.Unmarshal(raw, &e); err != nil {
				t.Fatalf("not an envelope: %d %s", resp.StatusCode, raw)
			}
			expect(t, response{status: resp.StatusCode, header: resp.Header, env: e, raw: raw}, c.status, c.errType)
		})
	}
	t.Run("oversized body", func(t *testing.T) {
		// A raw connection: the server answers 413 from the Content-Length
		// alone and closes, which an http.Client still writing the body
		// would see as a reset.
		conn, err := net.Dial("tcp", strings.TrimPrefix(s.url, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		_, _ = io.WriteString(conn, "POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5000000\r\n\r\n{")
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		var e envelope
		if err := json.Unmarshal(raw, &e); err != nil {
			t.Fatalf("not an envelope: %d %s", resp.StatusCode, raw)
		}
		expect(t, response{status: resp.StatusCode, header: resp.Header, env: e, raw: raw}, 413, "BAD_REQUEST")
	})
	t.Run("a well-formed request id is echoed, a bad one replaced", func(t *testing.T) {
		r := s.call(t, "GET", "/api/v1/auth/me", "", nil, "X-Request-ID", "abc.DEF-123_x")
		if r.env.RequestID != "abc.DEF-123_x" {
			t.Fatalf("request id %q", r.env.RequestID)
		}
		r = s.call(t, "GET", "/api/v1/auth/me", "", nil, "X-Request-ID", "bad id<script>")
		if r.env.RequestID == "bad id<script>" || r.env.RequestID == "" {
			t.Fatalf("request id %q", r.env.RequestID)
		}
	})
	t.Run("security headers are set", func(t *testing.T) {
		r := s.call(t, "GET", "/api/v1/auth/me", "", nil)
		for k, v := range map[string]string{
			"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Cache-Control": "no-store",
			"Referrer-Policy": "strict-origin-when-cross-origin",
		} {
			if got := r.header.Get(k); got != v {
				t.Errorf("%s = %q, want %q", k, got, v)
			}
		}
	})
}

func TestRateLimits(t *testing.T) {
	s := startServer(t, func(c *app.Config) {
		c.RateLimit.Enabled = true
		c.RateLimit.Login = "3/min"
	})
	for i := 0; i < 3; i++ {
		r := s.call(t, "POST", "/api/v1/auth/login", "", map[string]any{"email": "rl@example.com", "password": "whatever-1234"})
		expect(t, r, 401, "AUTHENTICATION_ERROR")
		if r.header.Get("RateLimit-Limit") != "3" {
			t.Fatalf("RateLimit-Limit %q", r.header.Get("RateLimit-Limit"))
		}
	}
	r := s.call(t, "POST", "/api/v1/auth/login", "", map[string]any{"email": "rl@example.com", "password": "whatever-1234"})
	expect(t, r, 429, "RATE_LIMITED")
	if r.header.Get("Retry-After") == "" {
		t.Fatal("429 without Retry-After")
	}
}

func TestSecondFactorRateLimit(t *testing.T) {
	s := startServer(t, func(c *app.Config) {
		c.RateLimit.Enabled = true
		c.RateLimit.TOTPVerify = "2/min"
	})
	body := map[string]any{"pending_token": "not-a-real-pending-token-not-a-real-one", "code": "123456"}
	for i := 0; i < 2; i++ {
		if r := s.call(t, "POST", "/api/v1/auth/totp/verify", "", body); r.status == 429 {
			t.Fatalf("attempt %d limited early", i+1)
		}
	}
	r := s.call(t, "POST", "/api/v1/auth/totp/verify", "", body)
	expect(t, r, 429, "RATE_LIMITED")
	if r.header.Get("RateLimit-Limit") != "2" {
		t.Fatalf("RateLimit-Limit %q", r.header.Get("RateLimit-Limit"))
	}
}

func TestSeededAccountsSignIn(t *testing.T) {
	s := startServer(t)
	if err := s.app.Seed(context.Background(), io.Discard); err != nil {
		t.Fatal(err)
	}
	r := s.call(t, "POST", "/api/v1/auth/login", "", map[string]any{"email": "bob@acme-corp.com", "password": "UserPass123!"})
	expect(t, r, 200, "")
	var d authData
	r.data(t, &d)
	if !d.User.EmailVerified {
		t.Fatal("seeded account not verified")
	}
	me := s.call(t, "GET", "/api/v1/users/me", d.Token, nil)
	if !strings.Contains(string(me.env.Data), `"is_platform_admin":false`) {
		t.Fatalf("bob is a platform admin: %s", me.env.Data)
	}
	r = s.call(t, "POST", "/api/v1/auth/login", "", map[string]any{"email": "superadmin@acme-corp.com", "password": "SuperAdmin123!"})
	expect(t, r, 200, "")
	if !strings.Contains(string(r.env.Data), `"is_platform_admin":true`) {
		t.Fatalf("superadmin is not a platform admin: %s", r.env.Data)
	}
}
