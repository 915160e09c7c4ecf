package mfaflow_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/descope/virtualwebauthn"

	"github.com/secuird/secuird/adapters/passkey/passkeytest"
	"github.com/secuird/secuird/core/identity"
	"github.com/secuird/secuird/core/mfa"
	"github.com/secuird/secuird/core/mfaflow"
	"github.com/secuird/secuird/core/org"
)

// addPasskey registers a software passkey for u.
func (e *env) addPasskey(t *testing.T, u identity.User) {
	t.Helper()
	vrp := virtualwebauthn.RelyingParty{ID: "localhost", Name: "Secuird", Origin: "http://localhost:8080"}
	auth := virtualwebauthn.NewAuthenticatorWithOptions(virtualwebauthn.AuthenticatorOptions{UserHandle: []byte(u.ID)})
	ch, err := e.svc.BeginRegistration(t.Context(), u, e.src)
	if err != nil {
		t.Fatal(err)
	}
	ao, err := virtualwebauthn.ParseAttestationOptions(string(ch.Options))
	if err != nil {
		t.Fatal(err)
	}
	resp := virtualwebauthn.CreateAttestationResponse(vrp, auth, passkeytest.NewEC2Credential(t), *ao)
	if _, err := e.svc.FinishRegistration(t.Context(), u, ch.SessionToken, []byte(resp), "", e.src); err != nil {
		t.Fatal(err)
	}
}

// TestEveryPolicyModeAndOverride evaluates, on every storage backend, each
// policy mode and override against the methods a user has, with no grace
// period (a missing requirement is past due at once, so restricted).
func TestEveryPolicyModeAndOverride(t *testing.T) {
	t.Parallel()
	type override struct {
		mode              string
		forceTOTP, forceW bool
	}
	tests := []struct {
		name          string
		mode          mfa.Mode
		other         mfa.Mode // the mode of a second organization the user is in ("" none)
		override      *override
		totp, passkey bool
		want          mfa.Status
	}{
		{name: "disabled requires nothing", mode: mfa.ModeDisabled, want: mfa.StatusNotApplicable},
		{name: "optional requires nothing", mode: mfa.ModeOptional, want: mfa.StatusNotApplicable},
		{name: "require_totp without TOTP is past due", mode: mfa.ModeRequireTOTP, want: mfa.StatusPastDue},
		{name: "require_totp is not met by a passkey", mode: mfa.ModeRequireTOTP, passkey: true, want: mfa.StatusPastDue},
		{name: "require_totp is met by TOTP", mode: mfa.ModeRequireTOTP, totp: true, want: mfa.StatusCompliant},
		{name: "require_webauthn is not met by TOTP", mode: mfa.ModeRequireWebAuthn, totp: true, want: mfa.StatusPastDue},
		{name: "require_webauthn is met by a passkey", mode: mfa.ModeRequireWebAuthn, passkey: true, want: mfa.StatusCompliant},
		{name: "require_totp_or_webauthn without either is past due", mode: mfa.ModeRequireTOTPOrWebAuthn, want: mfa.StatusPastDue},
		{name: "require_totp_or_webauthn is met by TOTP alone", mode: mfa.ModeRequireTOTPOrWebAuthn, totp: true, want: mfa.StatusCompliant},
		{name: "require_totp_or_webauthn is met by a passkey alone", mode: mfa.ModeRequireTOTPOrWebAuthn, passkey: true, want: mfa.StatusCompliant},
		{name: "require_totp_or_webauthn is met by both", mode: mfa.ModeRequireTOTPOrWebAuthn, totp: true, passkey: true, want: mfa.StatusCompliant},
		{name: "an inherit override keeps the org's requirement", mode: mfa.ModeRequireTOTP, override: &override{mode: "inherit"}, want: mfa.StatusPastDue},
		{name: "an inherit override is met as the org's mode is", mode: mfa.ModeRequireTOTP, override: &override{mode: "inherit"}, totp: true,
			want: mfa.StatusCompliant},
		{name: "an exempt override lifts require_webauthn", mode: mfa.ModeRequireWebAuthn, override: &override{mode: "exempt"}, want: mfa.StatusNotApplicable},
		{name: "an exempt override also drops the force flags", mode: mfa.ModeRequireTOTP, override: &override{mode: "exempt", forceTOTP: true, forceW: true},
			want: mfa.StatusNotApplicable},
		{name: "a required override on an optional org needs a factor", mode: mfa.ModeOptional, override: &override{mode: "required"}, want: mfa.StatusPastDue},
		{name: "a required override on a disabled org needs a factor", mode: mfa.ModeDisabled, override: &override{mode: "required"}, want: mfa.StatusPastDue},
		{name: "a required override is met by TOTP alone", mode: mfa.ModeOptional, override: &override{mode: "required"}, totp: true, want: mfa.StatusCompliant},
		{name: "a required override is met by a passkey alone", mode: mfa.ModeOptional, override: &override{mode: "required"}, passkey: true,
			want: mfa.StatusCompliant},
		{name: "force_webauthn adds a passkey to require_totp", mode: mfa.ModeRequireTOTP, override: &override{mode: "inherit", forceW: true}, totp: true,
			want: mfa.StatusPastDue},
		{name: "force_totp adds TOTP to require_webauthn", mode: mfa.ModeRequireWebAuthn, override: &override{mode: "inherit", forceTOTP: true}, passkey: true,
			want: mfa.StatusPastDue},
		{name: "force_totp with both factors is met", mode: mfa.ModeRequireWebAuthn, override: &override{mode: "inherit", forceTOTP: true}, totp: true,
			passkey: true, want: mfa.StatusCompliant},
		{name: "the strictest organization wins", mode: mfa.ModeOptional, other: mfa.ModeRequireWebAuthn, totp: true, want: mfa.StatusPastDue},
		{name: "an optional organization does not weaken a met requirement", mode: mfa.ModeOptional, other: mfa.ModeRequireTOTP, totp: true,
			want: mfa.StatusCompliant},
	}
	for _, backend := range backendNames() {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			e := newEnvOn(t, backend)
			ctx := t.Context()
			owner := e.user(t, "owner@example.com")
			for i, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					u := e.user(t, fmt.Sprintf("user%d@example.com", i))
					if tt.totp {
						e.enroll(t, u)
					}
					if tt.passkey {
						e.addPasskey(t, u)
					}
					orgs := map[string]mfa.Mode{fmt.Sprintf("org-%d", i): tt.mode}
					if tt.other != "" {
						orgs[fmt.Sprintf("org-%d-b", i)] = tt.other
					}
					for id, mode := range orgs {
						e.org(t, id, map[string]org.Role{owner.ID: org.Owner, u.ID: org.Member})
						if _, err := e.svc.PutPolicy(ctx, owner, id, mfaflow.PolicyInput{Mode: new(string(mode)), GraceDays: new(0)}, e.src); err != nil {
							t.Fatal(err)
						}
					}
					if o := tt.override; o != nil {
						if _, err := e.svc.PutOverride(ctx, owner, fmt.Sprintf("org-%d", i), u.ID, mfaflow.OverrideInput{Mode: new(o.mode),
							ForceTOTP: new(o.forceTOTP), ForceWebAuthn: new(o.forceW)}, e.src); err != nil {
							t.Fatal(err)
						}
					}
					agg, err := e.svc.EvaluateUser(ctx, u.ID, e.src)
					if err != nil {
						t.Fatal(err)
					}
					if agg.Overall != tt.want || agg.Restricted() != tt.want.Restricts() {
						t.Fatalf("overall %s (restricted %v, missing %v), want %s", agg.Overall, agg.Restricted(), agg.Missing, tt.want)
					}
				})
			}
		})
	}
}

// TestPolicyTransitions walks one user through the compliance states on
// every storage backend with the injected clock: grace, past due,
// suspended by the job, restored by a policy change, a new grace period
// when the policy tightens (either-one does not apply to
// require_webauthn), and compliant again once the required factor exists.
func TestPolicyTransitions(t *testing.T) {
	t.Parallel()
	for _, backend := range backendNames() {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			e := newEnvOn(t, backend)
			ctx := t.Context()
			owner, bob := e.user(t, "owner@example.com"), e.user(t, "bob@example.com")
			e.org(t, "acme", map[string]org.Role{owner.ID: org.Owner, bob.ID: org.Member})
			// The owner is exempt, so only bob is suspended below.
			if _, err := e.svc.PutOverride(ctx, owner, "acme", owner.ID, mfaflow.OverrideInput{Mode: new("exempt")}, e.src); err != nil {
				t.Fatal(err)
			}
			stored := func() mfa.Compliance {
				t.Helper()
				c, err := e.store.MFACompliance(ctx, "acme", bob.ID)
				if err != nil {
					t.Fatal(err)
				}
				return c
			}
			status := func() identity.UserStatus {
				t.Helper()
				u, err := e.store.UserByID(ctx, bob.ID)
				if err != nil {
					t.Fatal(err)
				}
				return u.Status
			}
			policy := func(mode string, grace int) {
				t.Helper()
				if _, err := e.svc.PutPolicy(ctx, owner, "acme", mfaflow.PolicyInput{Mode: new(mode), GraceDays: new(grace)}, e.src); err != nil {
					t.Fatal(err)
				}
			}

			// A new requirement: in grace, not restricted, deadline set.
			policy("require_totp_or_webauthn", 2)
			if c := stored(); c.Status != mfa.StatusInGrace || c.DeadlineAt == nil || !c.DeadlineAt.Equal(e.clock.Now().Add(48*time.Hour)) {
				t.Fatalf("after the policy: %+v", c)
			}
			if agg, _ := e.svc.EvaluateUser(ctx, bob.ID, e.src); agg.Overall != mfa.StatusInGrace || agg.Restricted() {
				t.Fatalf("in grace: %s", agg.Overall)
			}
			// One second before the deadline: still in grace.
			e.clock.Advance(48*time.Hour - time.Second)
			if agg, _ := e.svc.EvaluateUser(ctx, bob.ID, e.src); agg.Overall != mfa.StatusInGrace {
				t.Fatalf("just before the deadline: %s", agg.Overall)
			}
			// At the deadline: past due and restricted (compliance-only).
			e.clock.Advance(time.Second)
			if agg, _ := e.svc.EvaluateUser(ctx, bob.ID, e.src); agg.Overall != mfa.StatusPastDue || !agg.Restricted() {
				t.Fatalf("at the deadline: %s", agg.Overall)
			}
			// The job suspends him and ends his sessions.
			if err := e.eph.CreateSession(ctx, identity.Session{ID: "s-bob", TokenHash: "h-bob", UserID: bob.ID, CreatedAt: time.Now(),
				ExpiresAt: time.Now().Add(time.Hour), LastSeenAt: time.Now()}); err != nil {
				t.Fatal(err)
			}
			if rep, err := e.svc.RunComplianceJob(ctx, "node-1"); err != nil || rep.Suspended != 1 {
				t.Fatalf("job: %+v, %v", rep, err)
			}
			if st := status(); st != identity.StatusComplianceSuspended || stored().Status != mfa.StatusSuspended {
				t.Fatalf("after the job: %s, %s", st, stored().Status)
			}
			if ss, _ := e.eph.SessionsByUser(ctx, bob.ID); len(ss) != 0 {
				t.Fatal("suspension left sessions alive")
			}
			// A policy change re-evaluates every member at once: dropping
			// the requirement restores him without a login.
			policy("optional", 2)
			if st, c := status(), stored(); st != identity.StatusActive || c.Status != mfa.StatusNotApplicable {
				t.Fatalf("after relaxing the policy: %s, %s", st, c.Status)
			}
			// Tightening again starts a new grace period from the change.
			e.clock.Advance(time.Hour)
			policy("require_webauthn", 5)
			if c := stored(); c.Status != mfa.StatusInGrace || c.DeadlineAt == nil || !c.DeadlineAt.Equal(e.clock.Now().Add(5*24*time.Hour)) {
				t.Fatalf("after tightening: %+v", c)
			}
			// TOTP does not meet require_webauthn (either-one is only for
			// require_totp_or_webauthn)...
			e.enroll(t, bob)
			if c := stored(); c.Status != mfa.StatusInGrace {
				t.Fatalf("TOTP under require_webauthn: %s", c.Status)
			}
			// ...a passkey does.
			e.addPasskey(t, bob)
			if agg, _ := e.svc.EvaluateUser(ctx, bob.ID, e.src); agg.Overall != mfa.StatusCompliant || stored().CompliantAt == nil {
				t.Fatalf("with a passkey: %s", agg.Overall)
			}
			// A compliant user stays compliant through a change he meets,
			// and past any deadline.
			policy("require_totp_or_webauthn", 0)
			e.clock.Advance(30 * 24 * time.Hour)
			if agg, _ := e.svc.EvaluateUser(ctx, bob.ID, e.src); agg.Overall != mfa.StatusCompliant || agg.Restricted() {
				t.Fatalf("compliant after a change he meets: %s", agg.Overall)
			}
			if rep, err := e.svc.RunComplianceJob(ctx, "node-1"); err != nil || rep.Suspended != 0 || status() != identity.StatusActive {
				t.Fatalf("job on a compliant member: %+v, %v, %s", rep, err, status())
			}
		})
	}
}
