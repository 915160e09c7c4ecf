package app_test

import (
	"context"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/secuird/secuird/adapters/mail"
	"github.com/secuird/secuird/app"
	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/core/message"
	"github.com/secuird/secuird/ports"
)

// startMailServer runs a node whose outbox delivers through sender.
func startMailServer(t *testing.T, sender ports.MailSender, configure ...func(*app.Config)) *server {
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
	a, err := app.New(context.Background(), cfg, app.WithMailSender(sender),
		app.WithLogger(slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
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
	rec, _ := sender.(*mail.Recorder)
	return &server{url: cfg.PublicURL, mail: rec, logs: logs, app: a}
}

// brokenProvider fails every send, slowly or not at all, and counts tries.
type brokenProvider struct {
	tries atomic.Int32
	hang  bool
}

func (b *brokenProvider) Send(ctx context.Context, _ message.Rendered) (string, error) {
	b.tries.Add(1)
	if b.hang {
		<-ctx.Done()
		return "", ctx.Err()
	}
	return "", fault.E("test.provider", fault.Unavailable, "provider is down")
}

// eventually retries check until it passes or 10 s have gone by.
func eventually(t *testing.T, what string, check func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !check() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting: %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// onlyDeadMail waits until the outbox holds exactly one dead mail and
// returns its ID.
func (s *server) onlyDeadMail(t *testing.T) string {
	t.Helper()
	var deadID string
	eventually(t, "the first mail is dead", func() bool {
		qs, _, err := s.app.Outbox().List(t.Context(), message.OutboxFilter{Status: message.StatusDead})
		if err == nil && len(qs) == 1 {
			deadID = qs[0].ID
			return true
		}
		return false
	})
	return deadID
}

func TestMailThroughTheOutbox(t *testing.T) {
	for name, backend := range backends(t) {
		t.Run(name, func(t *testing.T) {
			requireBackendServices(t, name)
			t.Run("the verification mail is delivered by the worker and its link works", func(t *testing.T) {
				rec := mail.NewRecorder()
				s := startMailServer(t, rec, backend)
				s.register(t, "outbox-verify@example.com")
				tok := s.linkToken(t, "outbox-verify@example.com", message.VerifyEmail)
				rs := rec.Rendered()
				if len(rs) != 1 || rs[0].ID == "" || !strings.Contains(rs[0].HTML, "Confirm email address") || !strings.Contains(rs[0].Text, tok) {
					t.Fatalf("provider got %+v", rs)
				}
				expect(t, s.call(t, "POST", "/api/v1/auth/verify-email", "", map[string]any{"token": tok}), 200, "")
				// Once delivered, the stored message no longer holds the live link.
				// The worker marks it sent just after the provider returns, so
				// the test waits (bounded) for that instead of racing it.
				q, err := s.app.Outbox().Get(t.Context(), rs[0].ID)
				for deadline := time.Now().Add(10 * time.Second); err == nil && q.Status != message.StatusSent && time.Now().Before(deadline); {
					time.Sleep(20 * time.Millisecond)
					q, err = s.app.Outbox().Get(t.Context(), rs[0].ID)
				}
				if err != nil || q.Status != message.StatusSent {
					t.Fatalf("outbox entry %+v, %v", q, err)
				}
				stored, err := s.app.Store().MailByID(t.Context(), rs[0].ID)
				if err != nil || stored.Email.Vars["link"] != message.Redacted || strings.Contains(stored.Email.Vars["link"], tok) {
					t.Fatalf("stored message keeps its link: %+v, %v", stored.Email.Vars, err)
				}
			})
			t.Run("a refused registration queues no mail", func(t *testing.T) {
				rec := mail.NewRecorder()
				s := startMailServer(t, rec, backend)
				s.register(t, "taken@example.com")
				s.linkToken(t, "taken@example.com", message.VerifyEmail)
				r := s.call(t, "POST", "/api/v1/auth/register", "", map[string]any{"email": "taken@example.com", "password": pw, "password_confirm": pw})
				expect(t, r, 409, "CONFLICT")
				counts, err := s.app.Outbox().Counts(t.Context())
				if err != nil || counts[message.StatusPending]+counts[message.StatusSent]+counts[message.StatusDead] != 1 {
					t.Fatalf("outbox counts %v, %v: want only the first registration's mail", counts, err)
				}
			})
			for _, hang := range []bool{false, true} {
				what := map[bool]string{false: "failing", true: "hanging"}[hang]
				t.Run("a "+what+" provider never fails or slows the request", func(t *testing.T) {
					p := &brokenProvider{hang: hang}
					s := startMailServer(t, p, backend, func(c *app.Config) { c.Email.Outbox.SendTimeout = 200 * time.Millisecond })
					s.register(t, "patient@example.com")
					expect(t, s.call(t, "POST", "/api/v1/auth/forgot-password", "", map[string]any{"email": "patient@example.com"}), 200, "")
					eventually(t, "the worker tried the provider", func() bool { return p.tries.Load() >= 2 })
					qs, _, err := s.app.Outbox().List(t.Context(), message.OutboxFilter{})
					if err != nil || len(qs) != 2 {
						t.Fatalf("outbox %+v, %v", qs, err)
					}
					for _, q := range qs {
						if q.Status != message.StatusPending {
							t.Errorf("message %s is %s, want pending for a retry", q.Email.Template, q.Status)
						}
					}
					eventually(t, "the failure is recorded", func() bool {
						q, err := s.app.Outbox().Get(t.Context(), qs[0].ID)
						return err == nil && q.LastError != "" && q.Attempts >= 1
					})
				})
			}
		})
	}
}

// deadOnce refuses the first message it sees for good, then works.
type deadOnce struct {
	mu   sync.Mutex
	rec  *mail.Recorder
	done bool
}

func (d *deadOnce) Send(ctx context.Context, m message.Rendered) (string, error) {
	d.mu.Lock()
	first := !d.done
	d.done = true
	d.mu.Unlock()
	if first && m.Email.Template == message.VerifyEmail {
		return "", fault.E("test.provider", fault.Invalid, "mailgun answered 400: recipient refused")
	}
	return d.rec.Send(ctx, m)
}

func TestAdminMailOutboxAPI(t *testing.T) {
	rec := mail.NewRecorder()
	s := startMailServer(t, &deadOnce{rec: rec})
	// The first account of a platform is its administrator.
	first := s.register(t, "first-admin@example.com")
	admin := first.Token
	user := s.register(t, "outbox-user@example.com")
	deadID := s.onlyDeadMail(t)

	t.Run("refuses anyone but a platform admin", func(t *testing.T) {
		expect(t, s.call(t, "GET", "/api/v1/admin/mail/outbox", "", nil), 401, "AUTH_REQUIRED")
		expect(t, s.call(t, "GET", "/api/v1/admin/mail/outbox", user.Token, nil), 403, "AUTHORIZATION_ERROR")
		expect(t, s.call(t, "POST", "/api/v1/admin/mail/outbox/"+deadID+"/retry", user.Token, nil), 403, "AUTHORIZATION_ERROR")
	})

	t.Run("lists messages with counts and no secrets", func(t *testing.T) {
		r := s.call(t, "GET", "/api/v1/admin/mail/outbox?status=dead", admin, nil)
		expect(t, r, 200, "")
		var d struct {
			Messages []map[string]any `json:"messages"`
			Count    int              `json:"count"`
			Counts   map[string]int   `json:"counts"`
		}
		r.data(t, &d)
		if d.Count != 1 || len(d.Messages) != 1 {
			t.Fatalf("listing %s", r.env.Data)
		}
		lastErr, _ := d.Messages[0]["last_error"].(string)
		if d.Messages[0]["id"] != deadID || d.Messages[0]["status"] != "dead" || !strings.Contains(lastErr, "recipient refused") || d.Counts["dead"] != 1 {
			t.Fatalf("listing %s", r.env.Data)
		}
		if strings.Contains(string(r.raw), "token=") || strings.Contains(string(r.raw), "claim_token") {
			t.Fatalf("listing shows secrets: %s", r.raw)
		}
		expect(t, s.call(t, "GET", "/api/v1/admin/mail/outbox?status=lost", admin, nil), 400, "VALIDATION_ERROR")
		expect(t, s.call(t, "GET", "/api/v1/admin/mail/outbox?limit=0", admin, nil), 400, "VALIDATION_ERROR")
		expect(t, s.call(t, "GET", "/api/v1/admin/mail/outbox?cursor=bogus", admin, nil), 400, "VALIDATION_ERROR")
	})
	t.Run("retry sends a dead message again", func(t *testing.T) {
		r := s.call(t, "POST", "/api/v1/admin/mail/outbox/"+deadID+"/retry", admin, nil)
		expect(t, r, 200, "")
		m, err := rec.Wait(waitCtx(t), "first-admin@example.com", message.VerifyEmail)
		if err != nil {
			t.Fatal(err)
		}
		u, _ := url.Parse(m.Vars["link"])
		expect(t, s.call(t, "POST", "/api/v1/auth/verify-email", "", map[string]any{"token": u.Query().Get("token")}), 200, "")
		eventually(t, "the retried message is sent", func() bool {
			q, err := s.app.Outbox().Get(t.Context(), deadID)
			return err == nil && q.Status == message.StatusSent
		})
		expect(t, s.call(t, "POST", "/api/v1/admin/mail/outbox/"+deadID+"/retry", admin, nil), 409, "CONFLICT")
		expect(t, s.call(t, "POST", "/api/v1/admin/mail/outbox/no-such-message/retry", admin, nil), 404, "NOT_FOUND")
	})
}

func waitCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestWithMailerBypassesTheOutbox(t *testing.T) {
	rec := mail.NewRecorder()
	cfg, _ := app.Load(func(k string) string {
		if k == "SECUIRD_ENV" {
			return "test"
		}
		return ""
	})
	cfg.DataDir = t.TempDir()
	a, err := app.New(context.Background(), cfg, app.WithMailer(rec), app.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if a.Outbox() != nil || a.Mailer != rec {
		t.Fatal("WithMailer did not replace the outbox")
	}
}
