package provider_test

import (
	"testing"
	"time"

	"github.com/secuird/secuird/core/audit"
	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/core/oidc"
	"github.com/secuird/secuird/core/provider"
)

// TestStepUpDecisions checks that acr_values and max_age decide whether
// the SSO session is reused, and that the acr given to the request is the
// one the login reached.
func TestStepUpDecisions(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := t.Context()
	pwd := []string{"pwd"}
	mfa := []string{"pwd", "otp", "mfa"}
	passkeyUV := []string{"hwk", "mfa"}
	hour, zero := time.Hour, time.Duration(0)
	for _, tc := range []struct {
		name   string
		in     provider.AuthorizeInput
		amr    []string
		age    time.Duration // how long before the request the session's login was; negative: after it
		step   provider.Step
		code   string
		acr    string // the acr given to the request once approved
		advice string
	}{
		{name: "no acr_values reuses a password-only session with acr 1", amr: pwd, age: time.Minute, step: provider.StepDone, acr: oidc.ACRSingleFactor},
		{name: "acr_values=1 reuses a password-only session", in: provider.AuthorizeInput{ACRValues: []string{"1"}}, amr: pwd, age: time.Minute,
			step: provider.StepDone, acr: oidc.ACRSingleFactor},
		{name: "acr_values=2 on a password-only session shows the login form", in: provider.AuthorizeInput{ACRValues: []string{"2"}}, amr: pwd,
			age: time.Minute, step: provider.StepLogin},
		{name: "acr_values=2 with prompt=none on a password-only session is login_required",
			in: provider.AuthorizeInput{ACRValues: []string{"2"}, Prompt: []string{"none"}}, amr: pwd, age: time.Minute, code: provider.CodeLoginRequired},
		{name: "acr_values=2 reuses a session signed in with a second factor", in: provider.AuthorizeInput{ACRValues: []string{"2"}}, amr: mfa,
			age: time.Minute, step: provider.StepDone, acr: oidc.ACRMultiFactor},
		{name: "acr_values=2 reuses a session signed in with a user-verifying passkey", in: provider.AuthorizeInput{ACRValues: []string{"2"}},
			amr: passkeyUV, age: time.Minute, step: provider.StepDone, acr: oidc.ACRMultiFactor},
		{name: "an unknown acr value alone asks for nothing", in: provider.AuthorizeInput{ACRValues: []string{"urn:example:loa:4"}}, amr: pwd,
			age: time.Minute, step: provider.StepDone, acr: oidc.ACRSingleFactor},
		{name: "an unknown acr value next to 2 still asks for 2", in: provider.AuthorizeInput{ACRValues: []string{"urn:example:loa:4", "2"}},
			amr: pwd, age: time.Minute, step: provider.StepLogin},
		{name: "acr_values listing 1 and 2 accepts a password-only session", in: provider.AuthorizeInput{ACRValues: []string{"2", "1"}}, amr: pwd,
			age: time.Minute, step: provider.StepDone, acr: oidc.ACRSingleFactor},
		{name: "a password-only login newer than the request is taken with acr 1 (acr_values is voluntary)",
			in: provider.AuthorizeInput{ACRValues: []string{"2"}}, amr: pwd, age: -time.Second, step: provider.StepDone, acr: oidc.ACRSingleFactor},
		{name: "max_age within the limit reuses the session", in: provider.AuthorizeInput{MaxAge: &hour}, amr: pwd, age: 59 * time.Minute,
			step: provider.StepDone, acr: oidc.ACRSingleFactor},
		{name: "max_age exceeded shows the login form even with a second factor", in: provider.AuthorizeInput{MaxAge: &hour}, amr: mfa,
			age: 61 * time.Minute, step: provider.StepLogin},
		{name: "max_age exceeded with prompt=none is login_required", in: provider.AuthorizeInput{MaxAge: &hour, Prompt: []string{"none"}}, amr: mfa,
			age: 61 * time.Minute, code: provider.CodeLoginRequired},
		{name: "max_age=0 shows the login form for any earlier login", in: provider.AuthorizeInput{MaxAge: &zero}, amr: mfa, age: time.Second,
			step: provider.StepLogin},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.in
			in.ClientID, in.RedirectURI, in.ResponseType, in.CodeChallenge, in.CodeChallengeMethod = "portal", "https://app.example/cb", "code", challenge, "S256"
			in.Scopes = []string{"openid"}
			a, err := e.svc.CreateAuthRequest(ctx, in, audit.Source{})
			if err != nil {
				t.Fatal(err)
			}
			sess := &provider.Session{ID: "s-" + a.ID, UserID: e.user.ID, AuthTime: a.CreatedAt.Add(-tc.age), AMR: tc.amr}
			d, err := e.svc.Next(ctx, a.ID, sess, audit.Source{})
			if tc.code != "" {
				if fe := fault.As(err); fe == nil || fe.Code != tc.code {
					t.Fatalf("got %v, want %s", err, tc.code)
				}
				return
			}
			if err == nil && d.Step == provider.StepConsent {
				// The session was reused: the explicit client asks for
				// consent (once; later requests finish at once).
				d, err = e.svc.Consent(ctx, a.ID, *sess, true, audit.Source{})
			}
			if err != nil || d.Step != tc.step {
				t.Fatalf("got step %v, %v; want %v", d.Step, err, tc.step)
			}
			if tc.step != provider.StepDone {
				return
			}
			if d.Request.ACR != tc.acr || len(d.Request.AMR) != len(tc.amr) {
				t.Fatalf("acr %q amr %v, want acr %q amr %v", d.Request.ACR, d.Request.AMR, tc.acr, tc.amr)
			}
		})
	}
}

// TestStepUpAfterTheClockMoves checks max_age against the injected clock:
// the same session is reused while it is young enough and refused once
// the clock passes max_age.
func TestStepUpAfterTheClockMoves(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := t.Context()
	maxAge := 10 * time.Minute
	sess := &provider.Session{ID: "s", UserID: e.user.ID, AuthTime: e.clk.Now(), AMR: []string{"pwd", "otp", "mfa"}}
	next := func() provider.Step {
		t.Helper()
		a, err := e.svc.CreateAuthRequest(ctx, provider.AuthorizeInput{ClientID: "portal", RedirectURI: "https://app.example/cb", ResponseType: "code",
			Scopes: []string{"openid"}, CodeChallenge: challenge, CodeChallengeMethod: "S256", MaxAge: &maxAge, ACRValues: []string{"2"}}, audit.Source{})
		if err != nil {
			t.Fatal(err)
		}
		d, err := e.svc.Next(ctx, a.ID, sess, audit.Source{})
		if err != nil {
			t.Fatal(err)
		}
		return d.Step
	}
	e.clk.Advance(maxAge)
	if got := next(); got != provider.StepConsent {
		t.Fatalf("at max_age: step %v, want the session reused (the consent page)", got)
	}
	e.clk.Advance(time.Second)
	if got := next(); got != provider.StepLogin {
		t.Fatalf("past max_age: step %v, want the login form", got)
	}
}
