package httpapi

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"

	"github.com/secuird/secuird/adapters/mail"
	"github.com/secuird/secuird/adapters/memory"
	"github.com/secuird/secuird/adapters/passhash"
	"github.com/secuird/secuird/adapters/sqlstore"
	"github.com/secuird/secuird/adapters/system"
	"github.com/secuird/secuird/core/account"
	"github.com/secuird/secuird/core/audit"
)

// BenchmarkRequireSession measures the bearer middleware alone in front of
// a handler that does nothing: header parsing, token hash, session lookup
// in the memory store, user lookup through the user cache, the standard
// middleware stack (request id, security headers, access log to a discard
// logger) and the response.
func BenchmarkRequireSession(b *testing.B) {
	ctx := context.Background()
	st, err := sqlstore.Open(ctx, filepath.Join(b.TempDir(), "b.db"), sqlstore.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	eph := memory.New()
	defer eph.Close()
	svc := account.New(account.Config{PublicURL: "http://localhost"}, account.Deps{
		Tx: st, Users: memory.NewUserCache(st, 3e9, 0), Passwords: st, Links: st, Audit: st, Mailer: mail.NewRecorder(),
		Sessions: eph, Counter: eph, Hasher: passhash.New(4, 4), Clock: system.Clock{}, Random: system.Random{},
	})
	reg, err := svc.Register(ctx, account.RegisterInput{Email: "b@example.com", Password: "violet-harbor-71-quietly", PasswordConfirm: "violet-harbor-71-quietly"}, audit.Source{})
	if err != nil {
		b.Fatal(err)
	}
	app := newFiber(Options{Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))})
	h := &handlers{d: Deps{Accounts: svc}}
	app.Get("/probe", h.requireSession, func(c *fiber.Ctx) error { return c.SendStatus(fiber.StatusNoContent) })
	handler := app.Handler()
	var rc fasthttp.RequestCtx
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rc.Request.Reset()
		rc.Response.Reset()
		rc.Request.Header.SetMethod("GET")
		rc.Request.SetRequestURI("/probe")
		rc.Request.Header.Set("Authorization", "Bearer "+reg.Token)
		handler(&rc)
		if rc.Response.StatusCode() != fiber.StatusNoContent {
			b.Fatalf("status %d: %s", rc.Response.StatusCode(), rc.Response.Body())
		}
	}
}
