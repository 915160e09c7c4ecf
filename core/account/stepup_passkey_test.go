package account_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/descope/virtualwebauthn"

	"github.com/secuird/secuird/adapters/passkey/passkeytest"
	"github.com/secuird/secuird/core/account"
	"github.com/secuird/secuird/core/audit"
	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/core/identity"
	"github.com/secuird/secuird/core/mfaflow"
)

// stepUpKey is a user with a software passkey, for step-up tests.
type stepUpKey struct {
	e    *env
	m    *mfaflow.Service
	user identity.User
	tok  string // a session of the user
	rp   virtualwebauthn.RelyingParty
	auth virtualwebauthn.Authenticator
	cred virtualwebauthn.Credential
}

func newStepUpKey(t *testing.T, uv string) *stepUpKey {
	t.Helper()
	e := newEnv(t)
	m := withMFAConfig(t, e, mfaflow.Config{PublicURL: "https://id.example.com", CodeKey: []byte("k"), PasswordlessUV: uv})
	reg, err := e.svc.Register(t.Context(), account.RegisterInput{Email: "key@example.com", Password: goodPassword, PasswordConfirm: goodPassword}, e.src)
	if err != nil {
		t.Fatal(err)
	}
	k := &stepUpKey{e: e, m: m, user: reg.User, tok: reg.Token,
		rp:   virtualwebauthn.RelyingParty{ID: "localhost", Name: "Secuird", Origin: "http://localhost:8080"},
		auth: virtualwebauthn.NewAuthenticatorWithOptions(virtualwebauthn.AuthenticatorOptions{UserHandle: []byte(reg.User.ID)})}
	ch, err := m.BeginRegistration(t.Context(), reg.User, e.src)
	if err != nil {
		t.Fatal(err)
	}
	ao, err := virtualwebauthn.ParseAttestationOptions(string(ch.Options))
	if err != nil {
		t.Fatal(err)
	}
	k.cred = passkeytest.NewEC2Credential(t)
	resp := virtualwebauthn.CreateAttestationResponse(k.rp, k.auth, k.cred, *ao)
	if _, err := m.FinishRegistration(t.Context(), reg.User, ch.SessionToken, []byte(resp), "", e.src); err != nil {
		t.Fatal(err)
	}
	k.auth.AddCredential(k.cred)
	return k
}

// principal returns the principal of the session token.
func (k *stepUpKey) principal(t *testing.T, tok string) account.Principal {
	t.Helper()
	p, err := k.e.svc.Authenticate(t.Context(), tok)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// answer signs the challenge ch with the next sign count.
func (k *stepUpKey) answer(t *testing.T, ch mfaflow.Challenge) []byte {
	t.Helper()
	ao, err := virtualwebauthn.ParseAssertionOptions(string(ch.Options))
	if err != nil {
		t.Fatal(err)
	}
	k.cred.Counter++
	return []byte(virtualwebauthn.CreateAssertionResponse(k.rp, k.auth, k.cred, *ao))
}

// signIn signs the user in with the passkey (passwordless) and returns
// the session token.
func (k *stepUpKey) signIn(t *testing.T) string {
	t.Helper()
	login, err := k.e.svc.BeginPasskeyLogin(t.Context(), account.PasskeyBeginInput{Email: k.user.Email})
	if err != nil {
		t.Fatal(err)
	}
	res, err := k.e.svc.CompletePasskeyLogin(t.Context(), account.PasskeyFinishInput{CeremonyToken: login.SessionToken, Credential: k.answer(t, login)}, k.e.src)
	if err != nil || res.Token == "" {
		t.Fatalf("passwordless sign-in: %+v %v", res.Session, err)
	}
	return res.Token
}

func (k *stepUpKey) begin(t *testing.T, p account.Principal) mfaflow.Challenge {
	t.Helper()
	ch, err := k.e.svc.BeginPasskeyReauth(t.Context(), p)
	if err != nil {
		t.Fatal(err)
	}
	return ch
}

func TestPasskeyStepUp(t *testing.T) {
	t.Parallel()
	t.Run("a passkey renews the auth time and adds hwk and mfa", func(t *testing.T) {
		t.Parallel()
		k := newStepUpKey(t, "")
		k.e.clock.Advance(11 * time.Minute)
		p := k.principal(t, k.tok)
		if k.e.svc.RequireRecentAuth(p) == nil {
			t.Fatal("old session passes step-up")
		}
		ch := k.begin(t, p)
		var opts struct {
			PublicKey struct {
				UserVerification string `json:"userVerification"`
				AllowCredentials []any  `json:"allowCredentials"`
			} `json:"publicKey"`
		}
		if err := json.Unmarshal(ch.Options, &opts); err != nil || opts.PublicKey.UserVerification != "required" || len(opts.PublicKey.AllowCredentials) != 1 {
			t.Fatalf("options %s: %v", ch.Options, err)
		}
		sess, err := k.e.svc.Reauthenticate(t.Context(), p, account.ReauthInput{CeremonyToken: ch.SessionToken, Credential: k.answer(t, ch)}, k.e.src)
		if err != nil {
			t.Fatal(err)
		}
		if !sess.AuthTime.Equal(k.e.clock.Now()) || strings.Join(sess.AMR, " ") != "hwk pwd mfa" {
			t.Fatalf("session after step-up: %v %v", sess.AuthTime, sess.AMR)
		}
		p = k.principal(t, k.tok)
		if err := k.e.svc.RequireRecentAuth(p); err != nil || strings.Join(p.Session.AMR, " ") != "hwk pwd mfa" {
			t.Fatalf("stored session: %v %v", p.Session.AMR, err)
		}
		entries, _, _ := k.e.store.ListAudit(t.Context(), audit.Filter{ActorID: k.user.ID, Action: audit.UserLogin})
		if !slices.ContainsFunc(entries, func(a audit.Entry) bool { return a.Success && a.Description == "re-authenticated" }) {
			t.Fatalf("step-up not audited: %+v", entries)
		}
	})
	t.Run("the challenge is single use and bound to the session", func(t *testing.T) {
		t.Parallel()
		k := newStepUpKey(t, "")
		p := k.principal(t, k.tok)
		other := k.principal(t, k.signIn(t))
		ch := k.begin(t, p)
		cred := k.answer(t, ch)
		// Another session of the same user cannot use it.
		if _, err := k.e.svc.Reauthenticate(t.Context(), other, account.ReauthInput{CeremonyToken: ch.SessionToken, Credential: cred}, k.e.src); !fault.Is(err, fault.Unauthenticated) {
			t.Fatalf("another session's challenge: %v", err)
		}
		// The failed try used the challenge up.
		if _, err := k.e.svc.Reauthenticate(t.Context(), p, account.ReauthInput{CeremonyToken: ch.SessionToken, Credential: cred}, k.e.src); !fault.Is(err, fault.Unauthenticated) {
			t.Fatalf("used challenge: %v", err)
		}
		ch = k.begin(t, p)
		cred = k.answer(t, ch)
		if _, err := k.e.svc.Reauthenticate(t.Context(), p, account.ReauthInput{CeremonyToken: ch.SessionToken, Credential: cred}, k.e.src); err != nil {
			t.Fatal(err)
		}
		if _, err := k.e.svc.Reauthenticate(t.Context(), p, account.ReauthInput{CeremonyToken: ch.SessionToken, Credential: cred}, k.e.src); !fault.Is(err, fault.Unauthenticated) {
			t.Fatalf("replayed step-up: %v", err)
		}
		entries, _, _ := k.e.store.ListAudit(t.Context(), audit.Filter{ActorID: k.user.ID, Action: audit.UserLogin})
		if !slices.ContainsFunc(entries, func(a audit.Entry) bool { return !a.Success && a.Error == "reauth_bad_passkey" }) {
			t.Fatalf("failed step-up not audited: %+v", entries)
		}
	})
	t.Run("sign-in and step-up challenges do not stand in for each other", func(t *testing.T) {
		t.Parallel()
		k := newStepUpKey(t, "")
		p := k.principal(t, k.tok)
		login, err := k.e.svc.BeginPasskeyLogin(t.Context(), account.PasskeyBeginInput{Email: k.user.Email})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := k.e.svc.Reauthenticate(t.Context(), p, account.ReauthInput{CeremonyToken: login.SessionToken, Credential: k.answer(t, login)}, k.e.src); !fault.Is(err, fault.Unauthenticated) {
			t.Fatalf("sign-in challenge used for step-up: %v", err)
		}
		ch := k.begin(t, p)
		if _, err := k.e.svc.CompletePasskeyLogin(t.Context(), account.PasskeyFinishInput{CeremonyToken: ch.SessionToken, Credential: k.answer(t, ch)}, k.e.src); !fault.Is(err, fault.Unauthenticated) {
			t.Fatalf("step-up challenge used to sign in: %v", err)
		}
	})
	t.Run("a sign counter that did not grow is refused and audited", func(t *testing.T) {
		t.Parallel()
		k := newStepUpKey(t, "")
		p := k.principal(t, k.tok)
		ch := k.begin(t, p)
		k.cred.Counter = 9
		if _, err := k.e.svc.Reauthenticate(t.Context(), p, account.ReauthInput{CeremonyToken: ch.SessionToken, Credential: k.answer(t, ch)}, k.e.src); err != nil {
			t.Fatal(err)
		}
		k.cred.Counter = 4
		ch = k.begin(t, p)
		if _, err := k.e.svc.Reauthenticate(t.Context(), p, account.ReauthInput{CeremonyToken: ch.SessionToken, Credential: k.answer(t, ch)}, k.e.src); !fault.Is(err, fault.Unauthenticated) {
			t.Fatalf("counter regression: %v", err)
		}
		entries, _, _ := k.e.store.ListAudit(t.Context(), audit.Filter{ActorID: k.user.ID, Action: mfaflow.ActWebAuthnLoginFailed})
		if len(entries) == 0 || entries[0].Error != "sign_count_regression" {
			t.Fatalf("regression not audited: %+v", entries)
		}
	})
	t.Run("user verification follows the passwordless policy", func(t *testing.T) {
		t.Parallel()
		k := newStepUpKey(t, "")
		k.auth.Options.UserNotVerified = true
		p := k.principal(t, k.tok)
		ch := k.begin(t, p)
		if _, err := k.e.svc.Reauthenticate(t.Context(), p, account.ReauthInput{CeremonyToken: ch.SessionToken, Credential: k.answer(t, ch)}, k.e.src); !fault.Is(err, fault.Unauthenticated) {
			t.Fatalf("unverified passkey under required: %v", err)
		}

		k = newStepUpKey(t, "preferred")
		k.auth.Options.UserNotVerified = true
		k.e.clock.Advance(11 * time.Minute)
		p = k.principal(t, k.tok)
		ch = k.begin(t, p)
		if !strings.Contains(string(ch.Options), `"userVerification":"preferred"`) {
			t.Fatalf("options: %s", ch.Options)
		}
		sess, err := k.e.svc.Reauthenticate(t.Context(), p, account.ReauthInput{CeremonyToken: ch.SessionToken, Credential: k.answer(t, ch)}, k.e.src)
		if err != nil || strings.Join(sess.AMR, " ") != "hwk pwd mfa" {
			// hwk plus the session's password: two factors.
			t.Fatalf("unverified passkey under preferred: %v %v", sess.AMR, err)
		}
		// A passwordless session (hwk mfa) keeps mfa after an unverified step-up.
		k.auth.Options.UserNotVerified = false
		tok := k.signIn(t)
		k.auth.Options.UserNotVerified = true
		p = k.principal(t, tok)
		if strings.Join(p.Session.AMR, " ") != "hwk mfa" {
			t.Fatalf("passwordless session: %v", p.Session.AMR)
		}
		ch = k.begin(t, p)
		sess, err = k.e.svc.Reauthenticate(t.Context(), p, account.ReauthInput{CeremonyToken: ch.SessionToken, Credential: k.answer(t, ch)}, k.e.src)
		if err != nil || strings.Join(sess.AMR, " ") != "hwk mfa" {
			t.Fatalf("unverified step-up of a passwordless session: %v %v", sess.AMR, err)
		}
	})
	t.Run("a user without a passkey gets no challenge", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		withMFA(t, e)
		reg := e.register(t, "nokey@example.com")
		p, _ := e.svc.Authenticate(t.Context(), reg.Token)
		if _, err := e.svc.BeginPasskeyReauth(t.Context(), p); !fault.Is(err, fault.NotFound) {
			t.Fatalf("begin without a passkey: %v", err)
		}
		if _, err := e.svc.Reauthenticate(t.Context(), p, account.ReauthInput{CeremonyToken: "x", Credential: []byte(`{}`)}, e.src); !fault.Is(err, fault.Unauthenticated) {
			t.Fatalf("unknown challenge: %v", err)
		}
	})
}
