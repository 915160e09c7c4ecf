package provider_test

import (
	"testing"
	"time"

	"github.com/secuird/secuird/core/audit"
	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/core/identity"
	"github.com/secuird/secuird/core/provider"
)

func TestBeginLogout(t *testing.T) {
	t.Parallel()
	const sid, hash = "sess-1", "hash-1"
	for _, tc := range []struct {
		name        string
		in          provider.LogoutRequest
		noSession   bool
		kind        fault.Kind
		confirm     bool
		redirect    string
		sessionGone bool
	}{
		{name: "refuses an unregistered post-logout URI", in: provider.LogoutRequest{ClientID: "portal", PostLogoutRedirectURI: "https://evil.example/"}, kind: fault.Invalid},
		{name: "refuses a post-logout URI without a client", in: provider.LogoutRequest{PostLogoutRedirectURI: "https://app.example/bye"}, kind: fault.Invalid},
		{name: "refuses an unknown client", in: provider.LogoutRequest{ClientID: "nope"}, kind: fault.Invalid},
		{name: "asks without an id_token_hint", in: provider.LogoutRequest{ClientID: "portal", PostLogoutRedirectURI: "https://app.example/bye"}, confirm: true, redirect: "https://app.example/bye"},
		{name: "asks for a hint of another user", in: provider.LogoutRequest{ClientID: "portal", HintSubject: "someone-else"}, confirm: true, redirect: provider.LoggedOutPath},
		{name: "asks for a hint of another session", in: provider.LogoutRequest{ClientID: "portal", HintSID: "old-session"}, confirm: true, redirect: provider.LoggedOutPath},
		{name: "logs out at once for a hint of the current session", in: provider.LogoutRequest{ClientID: "portal", HintSID: sid, State: "x y",
			PostLogoutRedirectURI: "https://app.example/bye"}, redirect: "https://app.example/bye?state=x+y", sessionGone: true},
		{name: "has nothing to confirm without a session", in: provider.LogoutRequest{ClientID: "portal"}, noSession: true, redirect: provider.LoggedOutPath},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			ctx := t.Context()
			now := time.Now().UTC()
			if !tc.noSession {
				if err := e.eph.CreateSession(ctx, identity.Session{ID: sid, TokenHash: hash, UserID: e.user.ID, CreatedAt: now,
					ExpiresAt: now.Add(time.Hour), LastSeenAt: now, AuthTime: now}); err != nil {
					t.Fatal(err)
				}
				tc.in.SessionTokenHash = hash
			}
			if tc.in.HintSID != "" && tc.in.HintSubject == "" {
				tc.in.HintSubject = e.user.ID
			}
			d, err := e.svc.BeginLogout(ctx, tc.in, audit.Source{})
			if tc.kind != 0 {
				if !fault.Is(err, tc.kind) {
					t.Fatalf("err = %v, want %v", err, tc.kind)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d.Confirm != tc.confirm || d.Redirect != tc.redirect {
				t.Errorf("decision %+v, want confirm %v redirect %q", d, tc.confirm, tc.redirect)
			}
			if tc.noSession {
				return
			}
			_, err = e.eph.SessionByTokenHash(ctx, hash)
			if gone := fault.Is(err, fault.NotFound); gone != tc.sessionGone {
				t.Errorf("session gone = %v, want %v", gone, tc.sessionGone)
			}
		})
	}
}

func TestConfirmLogoutEndsTheSession(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := t.Context()
	now := time.Now().UTC()
	if err := e.eph.CreateSession(ctx, identity.Session{ID: "s", TokenHash: "h", UserID: e.user.ID, CreatedAt: now, ExpiresAt: now.Add(time.Hour), LastSeenAt: now}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.ConfirmLogout(ctx, provider.LogoutRequest{ClientID: "portal", PostLogoutRedirectURI: "https://evil.example/", SessionTokenHash: "h"}, audit.Source{}); !fault.Is(err, fault.Invalid) {
		t.Fatalf("unregistered URI: %v", err)
	}
	to, err := e.svc.ConfirmLogout(ctx, provider.LogoutRequest{ClientID: "portal", PostLogoutRedirectURI: "https://app.example/bye", SessionTokenHash: "h"}, audit.Source{})
	if err != nil || to != "https://app.example/bye" {
		t.Fatalf("confirm: %q %v", to, err)
	}
	if _, err := e.eph.SessionByTokenHash(ctx, "h"); !fault.Is(err, fault.NotFound) {
		t.Errorf("session still there: %v", err)
	}
}
