package account_test

import (
	"context"
	"errors"
	"net/url"
	"path/filepath"
	"testing"
	"time"

	"github.com/secuird/secuird/adapters/mail"
	"github.com/secuird/secuird/adapters/memory"
	"github.com/secuird/secuird/adapters/passhash"
	"github.com/secuird/secuird/adapters/sqlstore"
	"github.com/secuird/secuird/adapters/strength"
	"github.com/secuird/secuird/adapters/system"
	"github.com/secuird/secuird/core/account"
	"github.com/secuird/secuird/core/audit"
	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/core/identity"
	"github.com/secuird/secuird/core/message"
	"github.com/secuird/secuird/ports"
	"github.com/secuird/secuird/ports/porttest"
)

// failingMailer refuses every message, to force a failure mid-use-case.
type failingMailer struct{}

func (failingMailer) Enqueue(context.Context, message.Email) error { return errors.New("disk full") }

type env struct {
	svc   *account.Service
	store *sqlstore.Store
	mail  *mail.Recorder
	clock *porttest.Clock
	eph   *memory.Store
	src   audit.Source
}

func newEnv(t *testing.T, mailer ...ports.Mailer) *env {
	t.Helper()
	ctx := context.Background()
	st, err := sqlstore.Open(ctx, filepath.Join(t.TempDir(), "test.db"), sqlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	eph := memory.New()
	t.Cleanup(eph.Close)
	rec := mail.NewRecorder()
	var m ports.Mailer = rec
	if len(mailer) > 0 {
		m = mailer[0]
	}
	clk := porttest.NewClock(time.Now().UTC().Truncate(time.Second))
	svc := account.New(account.Config{PublicURL: "https://id.example.com/"}, account.Deps{
		Tx: st, Users: st, Passwords: st, Links: st, Audit: st, Mailer: m, Sessions: eph, Counter: eph,
		Hasher: passhash.New(4, 4), Policy: strength.New(3), Clock: clk, Random: system.Random{},
	})
	return &env{svc: svc, store: st, mail: rec, clock: clk, eph: eph, src: audit.Source{IP: "192.0.2.1", UserAgent: "test", RequestID: "req-1"}}
}

const goodPassword = "violet-harbor-71-quietly"

func (e *env) register(t *testing.T, email string) account.Registration {
	t.Helper()
	r, err := e.svc.Register(context.Background(), account.RegisterInput{Email: email, Password: goodPassword, PasswordConfirm: goodPassword, FullName: "Test Person"}, e.src)
	if err != nil {
		t.Fatalf("register %s: %v", email, err)
	}
	return r
}

func linkToken(t *testing.T, m message.Email) string {
	t.Helper()
	u, err := url.Parse(m.Vars["link"])
	if err != nil {
		t.Fatal(err)
	}
	tok := u.Query().Get("token")
	if tok == "" {
		t.Fatalf("no token in link %q", m.Vars["link"])
	}
	return tok
}

// wantKind fails unless err has kind k, and returns its details.
func wantKind(t *testing.T, err error, k fault.Kind) *fault.Error {
	t.Helper()
	if !fault.Is(err, k) {
		t.Fatalf("want %v error, got %v", k, err)
	}
	return fault.As(err)
}

func TestRegister(t *testing.T) {
	t.Parallel()
	t.Run("creates an active account, mails a verification link and signs in", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		r := e.register(t, "  New.Person@Example.COM ")
		if r.User.Email != "new.person@example.com" || r.User.EmailVerified || !r.IsFirstUser {
			t.Fatalf("unexpected user %+v first=%v", r.User, r.IsFirstUser)
		}
		if r.Token == "" || r.Session.TokenHash != account.HashToken(r.Token) {
			t.Fatal("session token not bound to its hash")
		}
		m, ok := e.mail.Last("new.person@example.com")
		if !ok || m.Template != message.VerifyEmail {
			t.Fatalf("no verification mail: %+v", m)
		}
		if got := m.Vars["link"]; len(got) < 40 || got[:40] != "https://id.example.com/verify-email?toke" {
			t.Fatalf("link not under the public URL: %q", got)
		}
		if _, err := e.svc.Authenticate(context.Background(), r.Token); err != nil {
			t.Fatalf("new session does not authenticate: %v", err)
		}
		second := e.register(t, "second@example.com")
		if second.IsFirstUser {
			t.Fatal("second user reported as first")
		}
	})
	t.Run("rejects a duplicate email regardless of case", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		e.register(t, "dup@example.com")
		_, err := e.svc.Register(context.Background(), account.RegisterInput{Email: "DUP@example.com", Password: goodPassword, PasswordConfirm: goodPassword}, e.src)
		fe := wantKind(t, err, fault.Conflict)
		if len(fe.Fields["email"]) == 0 {
			t.Fatal("conflict does not name the email field")
		}
	})
	t.Run("reports every invalid field at once", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		_, err := e.svc.Register(context.Background(), account.RegisterInput{Email: "not-an-email", Password: "short", PasswordConfirm: "other"}, e.src)
		fe := wantKind(t, err, fault.Invalid)
		for _, f := range []string{"email", "password", "password_confirm"} {
			if len(fe.Fields[f]) == 0 {
				t.Errorf("no message for %s: %v", f, fe.Fields)
			}
		}
	})
	t.Run("rejects common and self-derived passwords with a reason", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		for _, pw := range []string{"password", "12345678", "qwertyuiop", "jane.doe@example.com"} {
			_, err := e.svc.Register(context.Background(), account.RegisterInput{Email: "jane.doe@example.com", Password: pw, PasswordConfirm: pw}, e.src)
			fe := wantKind(t, err, fault.Invalid)
			if len(fe.Fields["password"]) == 0 {
				t.Errorf("%q accepted or unexplained: %v", pw, fe.Fields)
			}
		}
	})
	t.Run("leaves nothing behind when a step fails mid-way", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, failingMailer{})
		_, err := e.svc.Register(context.Background(), account.RegisterInput{Email: "half@example.com", Password: goodPassword, PasswordConfirm: goodPassword}, e.src)
		if err == nil {
			t.Fatal("register succeeded with a failing mailer")
		}
		if _, err := e.store.UserByEmail(context.Background(), "half@example.com"); !fault.Is(err, fault.NotFound) {
			t.Fatalf("user row survived a failed registration: %v", err)
		}
		if n, _ := e.store.CountUsers(context.Background()); n != 0 {
			t.Fatalf("%d users after a failed registration", n)
		}
	})
}

func TestLogin(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	t.Run("signs in and records last login", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		e.register(t, "bob@example.com")
		r, err := e.svc.Login(ctx, account.LoginInput{Email: "BOB@example.com", Password: goodPassword}, e.src)
		if err != nil {
			t.Fatal(err)
		}
		if r.User.LastLoginAt == nil || r.User.LastLoginIP != "192.0.2.1" {
			t.Fatalf("last login not recorded: %+v", r.User)
		}
		if got := r.Session.ExpiresAt.Sub(r.Session.CreatedAt); got != 24*time.Hour {
			t.Fatalf("session lifetime %v, want 24h", got)
		}
		rm, err := e.svc.Login(ctx, account.LoginInput{Email: "bob@example.com", Password: goodPassword, RememberMe: true}, e.src)
		if err != nil {
			t.Fatal(err)
		}
		if got := rm.Session.ExpiresAt.Sub(rm.Session.CreatedAt); got != 30*24*time.Hour {
			t.Fatalf("remember-me lifetime %v, want 30 days", got)
		}
	})
	t.Run("answers unknown email and wrong password identically and audits both", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		e.register(t, "bob@example.com")
		_, err1 := e.svc.Login(ctx, account.LoginInput{Email: "bob@example.com", Password: "wrong-password-1"}, e.src)
		_, err2 := e.svc.Login(ctx, account.LoginInput{Email: "nobody@example.com", Password: "wrong-password-1"}, e.src)
		f1, f2 := wantKind(t, err1, fault.Unauthenticated), wantKind(t, err2, fault.Unauthenticated)
		if f1.Msg != f2.Msg || f1.Code != f2.Code {
			t.Fatalf("answers differ: %q/%q vs %q/%q", f1.Code, f1.Msg, f2.Code, f2.Msg)
		}
		fail := false
		entries, _, err := e.store.ListAudit(ctx, audit.Filter{Action: audit.UserLogin, Success: &fail})
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) != 2 {
			t.Fatalf("want 2 failed-login audit rows, got %d", len(entries))
		}
		for _, en := range entries {
			if en.RequestID != "req-1" || en.IP != "192.0.2.1" {
				t.Fatalf("audit row lacks request data: %+v", en)
			}
		}
	})
	t.Run("locks an account out after repeated failures, even for the right password", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		e.register(t, "victim@example.com")
		for i := 0; i < 5; i++ {
			_, err := e.svc.Login(ctx, account.LoginInput{Email: "victim@example.com", Password: "wrong-password-1"}, e.src)
			_ = wantKind(t, err, fault.Unauthenticated)
		}
		_, err := e.svc.Login(ctx, account.LoginInput{Email: "victim@example.com", Password: goodPassword}, e.src)
		fe := wantKind(t, err, fault.RateLimited)
		if fe.RetryAfter <= 0 {
			t.Fatal("lockout without Retry-After")
		}
	})
	t.Run("refuses a suspended account only after the password is right", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		r := e.register(t, "sus@example.com")
		if _, err := e.store.UpdateUser(ctx, r.User.ID, func(u identity.User) (identity.User, error) { u.Status = "suspended"; return u, nil }); err != nil {
			t.Fatal(err)
		}
		_, err := e.svc.Login(ctx, account.LoginInput{Email: "sus@example.com", Password: "wrong-password-1"}, e.src)
		_ = wantKind(t, err, fault.Unauthenticated)
		_, err = e.svc.Login(ctx, account.LoginInput{Email: "sus@example.com", Password: goodPassword}, e.src)
		if fe := wantKind(t, err, fault.Forbidden); fe.Code != "ACCOUNT_SUSPENDED" {
			t.Fatalf("code %q", fe.Code)
		}
		// The session from registration stops working as well.
		_, err = e.svc.Authenticate(ctx, r.Token)
		_ = wantKind(t, err, fault.Forbidden)
	})
	t.Run("requires email and password", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		_, err := e.svc.Login(ctx, account.LoginInput{}, e.src)
		fe := wantKind(t, err, fault.Invalid)
		if len(fe.Fields["email"]) == 0 || len(fe.Fields["password"]) == 0 {
			t.Fatalf("fields: %v", fe.Fields)
		}
	})
}

func TestSessions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	t.Run("ends after the idle timeout and after logout", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		r := e.register(t, "idle@example.com")
		e.clock.Advance(11 * time.Hour)
		if _, err := e.svc.Authenticate(ctx, r.Token); err != nil {
			t.Fatalf("session died before the idle timeout: %v", err)
		}
		e.clock.Advance(11 * time.Hour) // touched 11 h ago: still inside 12 h
		p, err := e.svc.Authenticate(ctx, r.Token)
		if err != nil {
			t.Fatalf("touch did not extend the idle deadline: %v", err)
		}
		if err := e.svc.Logout(ctx, p, e.src); err != nil {
			t.Fatal(err)
		}
		_, err = e.svc.Authenticate(ctx, r.Token)
		if fe := wantKind(t, err, fault.Unauthenticated); fe.Code != "INVALID_TOKEN" {
			t.Fatalf("code %q", fe.Code)
		}
		r2 := e.register(t, "idle2@example.com")
		e.clock.Advance(12*time.Hour + time.Second)
		_, err = e.svc.Authenticate(ctx, r2.Token)
		_ = wantKind(t, err, fault.Unauthenticated)
	})
	t.Run("writes last-seen at most once a minute", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		r := e.register(t, "touch@example.com")
		e.clock.Advance(30 * time.Second)
		p, _ := e.svc.Authenticate(ctx, r.Token)
		if !p.Session.LastSeenAt.Equal(r.Session.LastSeenAt) {
			t.Fatal("last-seen written within a minute")
		}
		e.clock.Advance(31 * time.Second)
		p, _ = e.svc.Authenticate(ctx, r.Token)
		if !p.Session.LastSeenAt.Equal(e.clock.Now()) {
			t.Fatal("last-seen not written after a minute")
		}
	})
	t.Run("lists own sessions and revokes one, others, never another user's", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		a := e.register(t, "a@example.com")
		b := e.register(t, "b@example.com")
		la, err := e.svc.Login(ctx, account.LoginInput{Email: "a@example.com", Password: goodPassword}, e.src)
		if err != nil {
			t.Fatal(err)
		}
		pa, _ := e.svc.Authenticate(ctx, a.Token)
		list, err := e.svc.ListSessions(ctx, pa)
		if err != nil || len(list) != 2 {
			t.Fatalf("want 2 sessions, got %d (%v)", len(list), err)
		}
		pb, _ := e.svc.Authenticate(ctx, b.Token)
		err = e.svc.RevokeSession(ctx, pb, la.Session.ID, e.src)
		_ = wantKind(t, err, fault.NotFound)
		if _, err := e.svc.Authenticate(ctx, la.Token); err != nil {
			t.Fatal("another user revoked my session")
		}
		if err := e.svc.RevokeSession(ctx, pa, la.Session.ID, e.src); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Authenticate(ctx, la.Token); err == nil {
			t.Fatal("revoked session still works")
		}
		e.svc.Login(ctx, account.LoginInput{Email: "a@example.com", Password: goodPassword}, e.src) //nolint:errcheck
		n, err := e.svc.RevokeOtherSessions(ctx, pa, e.src)
		if err != nil || n != 1 {
			t.Fatalf("revoked %d (%v), want 1", n, err)
		}
		if _, err := e.svc.Authenticate(ctx, a.Token); err != nil {
			t.Fatal("revoke-others ended the current session")
		}
	})
}

func TestEmailVerification(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t)
	e.register(t, "v@example.com")
	m, _ := e.mail.Last("v@example.com")
	tok := linkToken(t, m)
	u, err := e.svc.VerifyEmail(ctx, tok, e.src)
	if err != nil || !u.EmailVerified {
		t.Fatalf("verify: %v %+v", err, u)
	}
	_, err = e.svc.VerifyEmail(ctx, tok, e.src)
	_ = wantKind(t, err, fault.Invalid)
	_, err = e.svc.VerifyEmail(ctx, "made-up-token-made-up-token-made-up", e.src)
	_ = wantKind(t, err, fault.Invalid)
	// A verified account gets no further verification mail.
	before := len(e.mail.Messages())
	if err := e.svc.ResendVerification(ctx, "v@example.com"); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.ResendVerification(ctx, "unknown@example.com"); err != nil {
		t.Fatal("resend reveals unknown accounts:", err)
	}
	if len(e.mail.Messages()) != before {
		t.Fatal("mail sent to a verified or unknown address")
	}
}

func TestPasswordReset(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	t.Run("sets the password once, verifies the email and signs out everywhere", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		r := e.register(t, "r@example.com")
		if err := e.svc.ForgotPassword(ctx, "R@example.com", e.src); err != nil {
			t.Fatal(err)
		}
		m, _ := e.mail.Last("r@example.com")
		if m.Template != message.PasswordReset {
			t.Fatalf("last mail %q", m.Template)
		}
		tok := linkToken(t, m)
		// A weak password is refused without spending the token.
		err := e.svc.ResetPassword(ctx, account.ResetInput{Token: tok, Password: "password", PasswordConfirm: "password"}, e.src)
		_ = wantKind(t, err, fault.Invalid)
		const np = "new-granite-lantern-42"
		if err := e.svc.ResetPassword(ctx, account.ResetInput{Token: tok, Password: np, PasswordConfirm: np}, e.src); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Authenticate(ctx, r.Token); err == nil {
			t.Fatal("session survived a password reset")
		}
		err = e.svc.ResetPassword(ctx, account.ResetInput{Token: tok, Password: np, PasswordConfirm: np}, e.src)
		_ = wantKind(t, err, fault.Invalid)
		_, err = e.svc.Login(ctx, account.LoginInput{Email: "r@example.com", Password: goodPassword}, e.src)
		_ = wantKind(t, err, fault.Unauthenticated)
		l, err := e.svc.Login(ctx, account.LoginInput{Email: "r@example.com", Password: np}, e.src)
		if err != nil || !l.User.EmailVerified {
			t.Fatalf("login with new password: %v verified=%v", err, l.User.EmailVerified)
		}
	})
	t.Run("expires after two hours", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		e.register(t, "x@example.com")
		_ = e.svc.ForgotPassword(ctx, "x@example.com", e.src)
		m, _ := e.mail.Last("x@example.com")
		e.clock.Advance(2*time.Hour + time.Second)
		const np = "new-granite-lantern-42"
		err := e.svc.ResetPassword(ctx, account.ResetInput{Token: linkToken(t, m), Password: np, PasswordConfirm: np}, e.src)
		_ = wantKind(t, err, fault.Invalid)
	})
	t.Run("says the same for unknown addresses and caps mails per address", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		e.register(t, "cap@example.com")
		if err := e.svc.ForgotPassword(ctx, "ghost@example.com", e.src); err != nil {
			t.Fatal(err)
		}
		before := len(e.mail.Messages())
		for i := 0; i < 8; i++ {
			if err := e.svc.ForgotPassword(ctx, "cap@example.com", e.src); err != nil {
				t.Fatal(err)
			}
		}
		if got := len(e.mail.Messages()) - before; got != 5 {
			t.Fatalf("%d reset mails, want 5", got)
		}
	})
}

func TestProfile(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	t.Run("changes the password and signs out the other sessions only", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		r := e.register(t, "p@example.com")
		other, _ := e.svc.Login(ctx, account.LoginInput{Email: "p@example.com", Password: goodPassword}, e.src)
		p, _ := e.svc.Authenticate(ctx, r.Token)
		err := e.svc.ChangePassword(ctx, p, account.ChangePasswordInput{CurrentPassword: "nope-nope-nope", NewPassword: "fresh-orchid-lamp-88", NewPasswordConfirm: "fresh-orchid-lamp-88"}, e.src)
		if fe := wantKind(t, err, fault.Invalid); len(fe.Fields["current_password"]) == 0 {
			t.Fatal("wrong current password not tied to its field")
		}
		err = e.svc.ChangePassword(ctx, p, account.ChangePasswordInput{CurrentPassword: goodPassword, NewPassword: "fresh-orchid-lamp-88", NewPasswordConfirm: "fresh-orchid-lamp-88"}, e.src)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Authenticate(ctx, r.Token); err != nil {
			t.Fatal("current session ended by a password change")
		}
		if _, err := e.svc.Authenticate(ctx, other.Token); err == nil {
			t.Fatal("other session survived a password change")
		}
		if m, _ := e.mail.Last("p@example.com"); m.Template != message.PasswordChanged {
			t.Fatalf("no password-changed mail, last was %q", m.Template)
		}
	})
	t.Run("updates name and avatar and validates them", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		r := e.register(t, "n@example.com")
		p, _ := e.svc.Authenticate(ctx, r.Token)
		bad := "javascript:alert(1)"
		_, err := e.svc.UpdateProfile(ctx, p, account.ProfileInput{AvatarURL: &bad}, e.src)
		_ = wantKind(t, err, fault.Invalid)
		name, av := "New Name", "https://cdn.example.com/a.png"
		u, err := e.svc.UpdateProfile(ctx, p, account.ProfileInput{FullName: &name, AvatarURL: &av}, e.src)
		if err != nil || u.FullName != name || u.AvatarURL != av {
			t.Fatalf("update: %v %+v", err, u)
		}
	})
	t.Run("deletes the account, ends its sessions and frees the email; audit stays", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		r := e.register(t, "del@example.com")
		p, _ := e.svc.Authenticate(ctx, r.Token)
		if err := e.svc.DeleteAccount(ctx, p, e.src); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Authenticate(ctx, r.Token); !fault.Is(err, fault.Unauthenticated) {
			t.Fatalf("deleted user's session: %v", err)
		}
		_, err := e.svc.Login(ctx, account.LoginInput{Email: "del@example.com", Password: goodPassword}, e.src)
		_ = wantKind(t, err, fault.Unauthenticated)
		again := e.register(t, "del@example.com")
		if again.User.ID == r.User.ID {
			t.Fatal("re-registration revived the deleted account")
		}
		rows, _, err := e.store.ListAudit(ctx, audit.Filter{ActorID: r.User.ID})
		if err != nil || len(rows) < 3 {
			t.Fatalf("deleted user's audit trail: %d rows, %v", len(rows), err)
		}
	})
}
