package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/valyala/fasthttp"

	"github.com/secuird/secuird/adapters/mail"
	"github.com/secuird/secuird/app"
)

// benchApp builds an embedded node (SQLite + memory) without a listener.
func benchApp(b *testing.B, bcryptCost int) *app.App {
	b.Helper()
	cfg, _ := app.Load(func(k string) string {
		if k == "SECUIRD_ENV" {
			return "test"
		}
		return ""
	})
	cfg.DataDir = b.TempDir()
	cfg.BcryptCost = bcryptCost
	cfg.MaxConcurrentKDF = 64
	a, err := app.New(context.Background(), cfg, app.WithMailer(mail.NewRecorder()), app.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = a.Close() })
	return a
}

// do runs one request through the Fiber handler in process (no sockets).
func do(h fasthttp.RequestHandler, method, path, token, body string) (int, []byte) {
	var ctx fasthttp.RequestCtx
	ctx.Request.Header.SetMethod(method)
	ctx.Request.SetRequestURI(path)
	if token != "" {
		ctx.Request.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		ctx.Request.Header.SetContentType("application/json")
		ctx.Request.SetBodyString(body)
	}
	h(&ctx)
	return ctx.Response.StatusCode(), ctx.Response.Body()
}

func registerToken(b *testing.B, h fasthttp.RequestHandler, email string) string {
	b.Helper()
	status, body := do(h, "POST", "/api/v1/auth/register", "", fmt.Sprintf(`{"email":%q,"password":"violet-harbor-71-quietly","password_confirm":"violet-harbor-71-quietly"}`, email))
	if status != 201 {
		b.Fatalf("register: %d %s", status, body)
	}
	var env struct {
		Data struct {
			Token string `json:"token"`
		} `json:"data"`
	}
	_ = json.Unmarshal(body, &env)
	return env.Data.Token
}

// BenchmarkBearerAuthenticate measures the session check every
// authenticated request pays: token hash, session lookup, user lookup.
func BenchmarkBearerAuthenticate(b *testing.B) {
	a := benchApp(b, 4)
	tok := registerToken(b, a.HTTP().Handler(), "bench@example.com")
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := a.Accounts.Authenticate(ctx, tok); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBearerMiddleware measures GET /api/v1/auth/me through the whole
// Fiber stack in process: middleware (request id, headers, logging),
// bearer check and the handler.
func BenchmarkBearerMiddleware(b *testing.B) {
	a := benchApp(b, 4)
	h := a.HTTP().Handler()
	tok := registerToken(b, h, "bench@example.com")
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if st, body := do(h, "GET", "/api/v1/auth/me", tok, ""); st != 200 {
			b.Fatalf("%d %s", st, body)
		}
	}
}

// BenchmarkLogin measures POST /api/v1/auth/login at bcrypt cost 10 and 12
// (the hash dominates, as it should).
func BenchmarkLogin(b *testing.B) {
	for _, cost := range []int{10, 12} {
		b.Run(fmt.Sprintf("bcrypt%d", cost), func(b *testing.B) {
			a := benchApp(b, cost)
			h := a.HTTP().Handler()
			registerToken(b, h, "bench@example.com")
			body := `{"email":"bench@example.com","password":"violet-harbor-71-quietly"}`
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if st, out := do(h, "POST", "/api/v1/auth/login", "", body); st != 200 {
					b.Fatalf("%d %s", st, out)
				}
			}
		})
	}
}

// BenchmarkRegister measures POST /api/v1/auth/register at bcrypt cost 10.
func BenchmarkRegister(b *testing.B) {
	a := benchApp(b, 10)
	h := a.HTTP().Handler()
	var n atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		email := fmt.Sprintf("user%d@example.com", n.Add(1))
		body := strings.Replace(`{"email":"E","password":"violet-harbor-71-quietly","password_confirm":"violet-harbor-71-quietly"}`, "E", email, 1)
		if st, out := do(h, "POST", "/api/v1/auth/register", "", body); st != 201 {
			b.Fatalf("%d %s", st, out)
		}
	}
}

// BenchmarkHostedPages renders hosted pages through the whole stack in
// process: the sign-in page (anonymous, CSRF nonce cookie) and the
// signed-in account page (SSO cookie, session check, template).
func BenchmarkHostedPages(b *testing.B) {
	a := benchApp(b, 4)
	h := a.HTTP().Handler()
	tok := registerToken(b, h, "pages@example.com")
	page := func(b *testing.B, path, cookie string) {
		var ctx fasthttp.RequestCtx
		ctx.Request.Header.SetMethod("GET")
		ctx.Request.SetRequestURI(path)
		ctx.Request.Header.Set("Accept-Language", "de-DE,de;q=0.9")
		if cookie != "" {
			ctx.Request.Header.SetCookie("secuird_session", cookie)
		}
		h(&ctx)
		if ctx.Response.StatusCode() != 200 {
			b.Fatalf("%s: %d", path, ctx.Response.StatusCode())
		}
	}
	b.Run("login", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			page(b, "/login", "")
		}
	})
	b.Run("account", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			page(b, "/account", tok)
		}
	})
}
