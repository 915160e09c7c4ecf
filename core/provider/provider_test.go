package provider_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/secuird/secuird/adapters/keycrypt"
	"github.com/secuird/secuird/adapters/memory"
	"github.com/secuird/secuird/adapters/passhash"
	"github.com/secuird/secuird/adapters/sqlstore"
	"github.com/secuird/secuird/adapters/system"
	"github.com/secuird/secuird/core/audit"
	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/core/identity"
	"github.com/secuird/secuird/core/oidc"
	"github.com/secuird/secuird/core/provider"
	"github.com/secuird/secuird/ports/porttest"
)

type env struct {
	svc   *provider.Service
	store *sqlstore.Store
	clk   *porttest.Clock
	user  identity.User
	eph   *memory.Store
}

// newEnv builds the service over real SQLite and memory adapters, with one
// user and the seeded portal client.
func newEnv(t *testing.T) *env { t.Helper(); return newEnvWith(t, nil) }

// newEnvWith is newEnv with edit applied to the service's ports.
func newEnvWith(t *testing.T, edit func(*provider.Deps)) *env {
	t.Helper()
	ctx := t.Context()
	st, err := sqlstore.Open(ctx, filepath.Join(t.TempDir(), "p.db"), sqlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	eph := memory.New()
	t.Cleanup(eph.Close)
	sealer, err := keycrypt.NewSealer("0123456789abcdef0123456789abcdef", "oidc-signing-key")
	if err != nil {
		t.Fatal(err)
	}
	clk := porttest.NewClock(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	deps := provider.Deps{
		Tx: st, Clients: st, Requests: st, Devices: st, Lease: st, Refresh: st, Consents: st, Keys: st, Denylist: memory.NewDenylist(clk.Now),
		Replay: eph, Sessions: eph, Users: st, Audit: st, Hasher: passhash.New(4, 2), Sealer: sealer,
		KeyGen: keycrypt.Generator{}, Clock: clk, Random: system.Random{},
	}
	if edit != nil {
		edit(&deps)
	}
	svc := provider.New(provider.Config{RefreshGrace: 10 * time.Second, Issuer: "https://id.example"}, deps)
	u := identity.User{ID: "11111111-1111-4111-8111-111111111111", Email: "ada@example.com", FullName: "Ada", Status: identity.StatusActive,
		Activated: true, CreatedAt: clk.Now(), UpdatedAt: clk.Now()}
	if err := st.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.ImportClients(ctx, []provider.ImportClient{{ClientID: "portal", Secret: "portal-secret-123", Name: "Portal",
		RequirePKCE: true, GrantTypes: []string{oidc.GrantAuthorizationCode, oidc.GrantRefreshToken},
		Scopes: []string{"openid", "profile", "offline_access"}, AccessTTL: time.Hour, RefreshTTL: 24 * time.Hour, IDTokenTTL: time.Hour,
		RedirectURIs: []string{"https://app.example/cb"}, PostLogoutRedirects: []string{"https://app.example/bye"},
		ConsentMode: oidc.ConsentExplicit}}); err != nil {
		t.Fatal(err)
	}
	return &env{svc: svc, store: st, clk: clk, user: u, eph: eph}
}

const challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"

func TestCreateAuthRequestPolicy(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	base := provider.AuthorizeInput{ClientID: "portal", RedirectURI: "https://app.example/cb", ResponseType: "code",
		Scopes: []string{"openid", "profile", "unknown"}, CodeChallenge: challenge, CodeChallengeMethod: "S256"}
	for _, tc := range []struct {
		name string
		edit func(*provider.AuthorizeInput)
		kind fault.Kind
	}{
		{"accepts S256 and drops unknown scopes", func(*provider.AuthorizeInput) {}, 0},
		{"rejects plain", func(in *provider.AuthorizeInput) { in.CodeChallengeMethod = "plain" }, fault.Invalid},
		{"requires PKCE of a require_pkce client", func(in *provider.AuthorizeInput) { in.CodeChallenge, in.CodeChallengeMethod = "", "" }, fault.Invalid},
		{"rejects an unregistered redirect URI", func(in *provider.AuthorizeInput) { in.RedirectURI += "/" }, fault.Invalid},
		{"requires openid", func(in *provider.AuthorizeInput) { in.Scopes = []string{"profile"} }, fault.Invalid},
		{"rejects the implicit flow", func(in *provider.AuthorizeInput) { in.ResponseType = "id_token" }, fault.Invalid},
		{"rejects prompt=none with login", func(in *provider.AuthorizeInput) { in.Prompt = []string{"none", "login"} }, fault.Invalid},
		{"rejects an unknown client", func(in *provider.AuthorizeInput) { in.ClientID = "nope" }, fault.NotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := base
			tc.edit(&in)
			a, err := e.svc.CreateAuthRequest(t.Context(), in, audit.Source{})
			if tc.kind == 0 {
				if err != nil || len(a.Scopes) != 2 {
					t.Fatalf("got %+v, %v", a, err)
				}
				return
			}
			if !fault.Is(err, tc.kind) {
				t.Fatalf("got %v, want %v", err, tc.kind)
			}
		})
	}
}

// login runs an auth request through login and consent to a code.
func (e *env) login(t *testing.T, prompt ...string) (oidc.AuthRequest, string) {
	t.Helper()
	ctx := t.Context()
	a, err := e.svc.CreateAuthRequest(ctx, provider.AuthorizeInput{ClientID: "portal", RedirectURI: "https://app.example/cb", ResponseType: "code",
		Scopes: []string{"openid", "offline_access"}, CodeChallenge: challenge, CodeChallengeMethod: "S256", Prompt: prompt}, audit.Source{})
	if err != nil {
		t.Fatal(err)
	}
	sess := &provider.Session{ID: "sess-1", UserID: e.user.ID, AuthTime: e.clk.Now().Add(-time.Minute), AMR: []string{"pwd"}}
	d, err := e.svc.Next(ctx, a.ID, sess, audit.Source{})
	if err != nil || d.Step != provider.StepConsent {
		t.Fatalf("Next = %v, %v; want the consent step", d.Step, err)
	}
	if d, err = e.svc.Consent(ctx, a.ID, *sess, true, audit.Source{}); err != nil || d.Step != provider.StepDone {
		t.Fatalf("Consent = %v, %v", d.Step, err)
	}
	if d.Request.AuthTime != sess.AuthTime {
		t.Errorf("auth_time %v, want the login time %v", d.Request.AuthTime, sess.AuthTime)
	}
	code := "code-" + a.ID
	if err := e.svc.SaveCode(ctx, a.ID, code); err != nil {
		t.Fatal(err)
	}
	return a, code
}

func TestLoginDecisions(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := t.Context()
	mk := func(in provider.AuthorizeInput) string {
		in.ClientID, in.RedirectURI, in.ResponseType, in.CodeChallenge, in.CodeChallengeMethod = "portal", "https://app.example/cb", "code", challenge, "S256"
		in.Scopes = []string{"openid"}
		a, err := e.svc.CreateAuthRequest(ctx, in, audit.Source{})
		if err != nil {
			t.Fatal(err)
		}
		return a.ID
	}
	old := &provider.Session{ID: "s", UserID: e.user.ID, AuthTime: e.clk.Now().Add(-2 * time.Hour), AMR: []string{"pwd"}}
	maxAge := time.Hour
	for _, tc := range []struct {
		name string
		in   provider.AuthorizeInput
		sess *provider.Session
		step provider.Step
		code string
	}{
		{"no session shows the login form", provider.AuthorizeInput{}, nil, provider.StepLogin, ""},
		{"prompt=none without a session is login_required", provider.AuthorizeInput{Prompt: []string{"none"}}, nil, 0, provider.CodeLoginRequired},
		{"prompt=none without consent is consent_required", provider.AuthorizeInput{Prompt: []string{"none"}}, old, 0, provider.CodeConsentRequired},
		{"prompt=login with an older login shows the form", provider.AuthorizeInput{Prompt: []string{"login"}}, old, provider.StepLogin, ""},
		{"an exceeded max_age shows the form", provider.AuthorizeInput{MaxAge: &maxAge}, old, provider.StepLogin, ""},
		{"an id_token_hint for another user shows the form", provider.AuthorizeInput{IDTokenHintSubject: "other"}, old, provider.StepLogin, ""},
		{"a usable session of an explicit client asks for consent", provider.AuthorizeInput{}, old, provider.StepConsent, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := e.svc.Next(ctx, mk(tc.in), tc.sess, audit.Source{})
			if tc.code != "" {
				if fe := fault.As(err); fe == nil || fe.Code != tc.code {
					t.Fatalf("got %v, want %s", err, tc.code)
				}
				return
			}
			if err != nil || d.Step != tc.step {
				t.Fatalf("got step %v, %v; want %v", d.Step, err, tc.step)
			}
		})
	}
}

func TestCodesAndRefreshFamilies(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := t.Context()
	c, err := e.svc.Client(ctx, "portal")
	if err != nil {
		t.Fatal(err)
	}
	a, code := e.login(t)
	got, err := e.svc.RedeemCode(ctx, code, audit.Source{})
	if err != nil || got.ID != a.ID {
		t.Fatalf("RedeemCode = %v", err)
	}
	rt, err := e.svc.IssueRefreshToken(ctx, c, provider.Grant{Subject: got.Subject, Scopes: got.Scopes, FamilyID: a.ID, AuthTime: got.AuthTime}, audit.Source{})
	if err != nil || rt == "" {
		t.Fatalf("IssueRefreshToken = %q, %v", rt, err)
	}
	at := e.svc.NewAccessToken(c, a.ID, got.Scopes)
	if _, err := e.svc.CheckAccessToken(ctx, at.ID); err != nil {
		t.Fatalf("fresh access token: %v", err)
	}

	t.Run("a rotated token within the grace window fails without revoking", func(t *testing.T) {
		next, _, err := e.svc.RotateRefreshToken(ctx, c, rt, nil, audit.Source{})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := e.svc.RotateRefreshToken(ctx, c, rt, nil, audit.Source{}); err == nil {
			t.Fatal("the old token rotated twice")
		}
		if _, err := e.svc.RefreshToken(ctx, next, "portal", audit.Source{}); err != nil {
			t.Fatalf("the family was revoked inside the grace window: %v", err)
		}
		if _, _, err := e.svc.RotateRefreshToken(ctx, c, next, []string{"openid", "profile"}, audit.Source{}); err == nil {
			t.Error("scope widened on refresh")
		}
		e.clk.Advance(time.Minute)
		if _, err := e.svc.RefreshToken(ctx, rt, "portal", audit.Source{}); err == nil {
			t.Fatal("reuse after the grace window succeeded")
		}
		if _, err := e.svc.RefreshToken(ctx, next, "portal", audit.Source{}); err == nil {
			t.Error("the family survived reuse")
		}
		if _, err := e.svc.CheckAccessToken(ctx, at.ID); err == nil {
			t.Error("an access token of the revoked family still passes")
		}
	})

	t.Run("a second redemption revokes the family", func(t *testing.T) {
		a, code := e.login(t, "consent")
		if _, err := e.svc.RedeemCode(ctx, code, audit.Source{}); err != nil {
			t.Fatal(err)
		}
		at := e.svc.NewAccessToken(c, a.ID, nil)
		if _, err := e.svc.RedeemCode(ctx, code, audit.Source{}); err == nil {
			t.Fatal("a code redeemed twice")
		}
		if _, err := e.svc.CheckAccessToken(ctx, at.ID); err == nil {
			t.Error("tokens of a reused code stay valid")
		}
	})

	t.Run("an expired code fails", func(t *testing.T) {
		_, code := e.login(t, "consent")
		e.clk.Advance(61 * time.Second)
		if _, err := e.svc.RedeemCode(ctx, code, audit.Source{}); err == nil {
			t.Error("an expired code was redeemed")
		}
	})
}

func TestClientSecretsAndKeys(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := t.Context()
	for _, tc := range []struct {
		secret string
		ok     bool
	}{{"portal-secret-123", true}, {"portal-secret-123", true}, {"wrong", false}, {"", false}} {
		_, err := e.svc.AuthenticateClient(ctx, "portal", tc.secret, audit.Source{})
		if (err == nil) != tc.ok {
			t.Errorf("secret %q: %v", tc.secret, err)
		}
	}
	if err := e.svc.CheckAssertionJTI(ctx, "portal", "jti-1", e.clk.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.CheckAssertionJTI(ctx, "portal", "jti-1", e.clk.Now().Add(time.Minute)); !fault.Is(err, fault.Unauthenticated) {
		t.Errorf("a replayed jti: %v", err)
	}

	if err := e.svc.EnsureKeys(ctx); err != nil {
		t.Fatal(err)
	}
	first, _ := e.svc.ListKeys(ctx)
	if err := e.svc.EnsureKeys(context.WithoutCancel(ctx)); err != nil {
		t.Fatal(err)
	}
	again, _ := e.svc.ListKeys(ctx)
	if len(first) != 2 || len(again) != 2 || first[0].ID != again[0].ID {
		t.Errorf("EnsureKeys regenerated keys: %d then %d", len(first), len(again))
	}
	for _, k := range first {
		if len(k.PrivateEnc) == 0 || k.SealKeyID == "" {
			t.Errorf("key %s is not sealed", k.ID)
		}
	}
	set, err := e.svc.Keys(ctx)
	if err != nil || len(set.Active) != 2 || len(set.Active[oidc.AlgES256].PrivateDER) == 0 {
		t.Fatalf("Keys = %v, %v", set, err)
	}
}
