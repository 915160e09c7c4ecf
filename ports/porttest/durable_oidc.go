package porttest

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/core/oidc"
	"github.com/secuird/secuird/ports"
)

// OIDCStore is every durable port of the OpenID Provider.
type OIDCStore interface {
	ports.ClientStore
	ports.AuthRequestStore
	ports.RefreshTokenStore
	ports.ConsentStore
	ports.SigningKeyStore
	ports.DeviceGrantStore
	ports.OIDCEventLog
	ports.RegistrationTokenStore
	ports.BackchannelQueue
}

// oidcSampleClient returns a client with every field set.
func oidcSampleClient(t *testing.T, org string) oidc.Client {
	t.Helper()
	return oidc.Client{
		ID: durID(t), ClientID: "c-" + durID(t)[:8], OrgID: org, Name: "Portal", SecretHash: "abc", SecretKind: oidc.SecretSHA256,
		AuthMethod: oidc.AuthSecretBasic, RedirectURIs: []string{"https://a.example/cb", "http://localhost:3000/cb"},
		PostLogoutRedirectURIs: []string{"https://a.example/bye"}, GrantTypes: []string{oidc.GrantAuthorizationCode, oidc.GrantRefreshToken},
		Scopes: []string{"openid", "profile"}, AccessTokenFormat: oidc.TokenJWT, AccessTokenTTL: time.Hour,
		RefreshTokenTTL: 30 * 24 * time.Hour, RefreshIdleTTL: 7 * 24 * time.Hour, IDTokenTTL: time.Hour, IDTokenAlg: oidc.AlgRS256,
		RequirePKCE: true, ConsentMode: oidc.ConsentExplicit, LogoURI: "https://a.example/logo.png", ClientURI: "https://a.example",
		PolicyURI: "https://a.example/p", TosURI: "https://a.example/t", BackchannelLogoutURI: "https://a.example/bc",
		JWKS: `{"keys":[]}`, TokenExchange: true, Active: true, CreatedAt: durBase, UpdatedAt: durBase,
	}
}

// RunOIDCStore checks the OpenID Provider's durable ports: round trips,
// NotFound/Conflict kinds, tenant isolation, single-use codes and refresh
// rotation under concurrency, family revocation, consents and keys.
func RunOIDCStore(t *testing.T, open func(t *testing.T) OIDCStore) {
	now := durBase
	runDeviceGrants(t, open)
	runOIDCEvents(t, open)
	runClientRevocation(t, open)
	runRegistrationTokens(t, open)
	runBackchannel(t, open)

	t.Run("client round trip and tenant isolation", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		c := oidcSampleClient(t, "org-a")
		durOK(t, "CreateClient", s.CreateClient(t.Context(), c))
		durWantKind(t, s.CreateClient(t.Context(), c), fault.Conflict)
		got, err := s.ClientByClientID(t.Context(), c.ClientID)
		durOK(t, "ClientByClientID", err)
		durCheckTime(t, "CreatedAt", got.CreatedAt, c.CreatedAt)
		got.CreatedAt, got.UpdatedAt, c.CreatedAt, c.UpdatedAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}
		if !oidcSameClient(got, c) {
			t.Errorf("client differs:\n got %+v\nwant %+v", got, c)
		}
		several, err := s.ClientsByClientIDs(t.Context(), []string{c.ClientID, "no-such-client"})
		durOK(t, "ClientsByClientIDs", err)
		if len(several) != 1 || several[0].ClientID != c.ClientID || several[0].Name != c.Name {
			t.Errorf("ClientsByClientIDs = %+v", several)
		}
		if none, err := s.ClientsByClientIDs(t.Context(), nil); err != nil || len(none) != 0 {
			t.Errorf("ClientsByClientIDs(nil) = %+v %v", none, err)
		}
		list, err := s.ClientsByOrg(t.Context(), "org-b")
		durOK(t, "ClientsByOrg", err)
		if len(list) != 0 {
			t.Errorf("org-b sees %d clients of org-a", len(list))
		}
		_, err = s.UpdateClient(t.Context(), "org-b", c.ClientID, func(c oidc.Client) (oidc.Client, error) { return c, nil })
		durWantKind(t, err, fault.NotFound)
		upd, err := s.UpdateClient(t.Context(), "org-a", c.ClientID, func(c oidc.Client) (oidc.Client, error) {
			c.Name, c.ClientID, c.RedirectURIs = "Renamed", "hijack", nil
			return c, nil
		})
		durOK(t, "UpdateClient", err)
		if upd.Name != "Renamed" || upd.ClientID != c.ClientID || len(upd.RedirectURIs) != 0 {
			t.Errorf("UpdateClient = %+v", upd)
		}
		_, err = s.UpdateClient(t.Context(), "org-a", c.ClientID, func(c oidc.Client) (oidc.Client, error) {
			d := now
			c.DeletedAt = &d
			return c, nil
		})
		durOK(t, "UpdateClient (delete)", err)
		_, err = s.ClientByClientID(t.Context(), c.ClientID)
		durWantKind(t, err, fault.NotFound)
		if gone, err := s.ClientsByClientIDs(t.Context(), []string{c.ClientID}); err != nil || len(gone) != 0 {
			t.Errorf("ClientsByClientIDs lists a deleted client: %+v %v", gone, err)
		}
		durWantKind(t, s.CreateClient(t.Context(), c), fault.Conflict)
	})

	t.Run("an auth code redeems exactly once under concurrency", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		maxAge := 90 * time.Second
		a := oidc.AuthRequest{ID: durID(t), ClientID: "c1", RedirectURI: "https://a.example/cb", State: "st", Nonce: "n",
			Scopes: []string{"openid"}, ResponseType: "code", CodeChallenge: "x", Prompt: []string{"login"}, MaxAge: &maxAge,
			CreatedAt: now, ExpiresAt: now.Add(10 * time.Minute)}
		durOK(t, "CreateAuthRequest", s.CreateAuthRequest(t.Context(), a))
		_, err := s.RedeemAuthCode(t.Context(), "nohash", now)
		durWantKind(t, err, fault.NotFound)
		_, err = s.UpdateAuthRequest(t.Context(), a.ID, func(a oidc.AuthRequest) (oidc.AuthRequest, error) {
			d := now
			a.Subject, a.SessionID, a.AuthTime, a.AMR, a.DoneAt = "u1", "s1", now, []string{"pwd"}, &d
			a.CodeHash, a.CodeExpiresAt = "h-"+a.ID, now.Add(time.Minute)
			return a, nil
		})
		durOK(t, "UpdateAuthRequest", err)
		got, err := s.AuthRequestByID(t.Context(), a.ID)
		durOK(t, "AuthRequestByID", err)
		if !got.Done() || got.MaxAge == nil || *got.MaxAge != maxAge || !slices.Equal(got.Prompt, a.Prompt) || got.CodeHash != "h-"+a.ID {
			t.Errorf("auth request = %+v", got)
		}
		var wins, conflicts int
		var mu sync.Mutex
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				r, err := s.RedeemAuthCode(t.Context(), "h-"+a.ID, now)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					wins++
				case fault.Is(err, fault.Conflict) && r.ID == a.ID:
					conflicts++
				default:
					t.Errorf("RedeemAuthCode: %v", err)
				}
			})
		}
		wg.Wait()
		if wins != 1 || conflicts != 7 {
			t.Errorf("wins %d, conflicts %d; want 1 and 7", wins, conflicts)
		}
		n, err := s.DeleteExpiredAuthRequests(t.Context(), now.Add(time.Hour))
		durOK(t, "DeleteExpiredAuthRequests", err)
		if n != 1 {
			t.Errorf("deleted %d, want 1", n)
		}
	})

	t.Run("refresh rotation: one of N parallel wins, family revocation", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		root := oidc.RefreshToken{ID: durID(t), FamilyID: "fam1", TokenHash: "r0", ClientID: "c1", Subject: "u1", SessionID: "s1",
			Scopes: []string{"openid", "offline_access"}, AMR: []string{"pwd"}, AuthTime: now, CreatedAt: now,
			ExpiresAt: now.Add(24 * time.Hour), IdleExpiresAt: now.Add(time.Hour)}
		durOK(t, "CreateRefreshToken", s.CreateRefreshToken(t.Context(), root))
		durWantKind(t, s.CreateRefreshToken(t.Context(), root), fault.Conflict)
		errs := make([]error, 8)
		var wg sync.WaitGroup
		for i := range errs {
			wg.Go(func() {
				next := root
				next.ID, next.ParentID, next.TokenHash = durID(t), root.ID, fmt.Sprintf("r1-%d", i)
				errs[i] = s.RotateRefreshToken(t.Context(), "r0", now, next)
			})
		}
		wg.Wait()
		wins := 0
		for _, err := range errs {
			if err == nil {
				wins++
			} else if !fault.Is(err, fault.Conflict) {
				t.Errorf("RotateRefreshToken: %v", err)
			}
		}
		if wins != 1 {
			t.Fatalf("%d rotations won, want 1", wins)
		}
		old, err := s.RefreshTokenByHash(t.Context(), "r0")
		durOK(t, "RefreshTokenByHash", err)
		if old.RotatedAt == nil || old.UsableAt(now) {
			t.Errorf("old token not rotated: %+v", old)
		}
		err = s.RotateRefreshToken(t.Context(), "missing", now, root)
		durWantKind(t, err, fault.NotFound)
		n, err := s.RevokeRefreshFamily(t.Context(), "fam1", "reuse", now)
		durOK(t, "RevokeRefreshFamily", err)
		if n != 2 {
			t.Errorf("revoked %d, want 2", n)
		}
		fams, err := s.RevokeRefreshTokens(t.Context(), ports.RefreshFilter{Subject: "u1"}, "logout", now)
		durOK(t, "RevokeRefreshTokens", err)
		if len(fams) != 0 {
			t.Errorf("families %v, want none left", fams)
		}
		_, err = s.RevokeRefreshTokens(t.Context(), ports.RefreshFilter{}, "x", now)
		durWantKind(t, err, fault.Invalid)
	})

	t.Run("revoke by session touches only that session's families", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		for i, sid := range []string{"s1", "s2"} {
			durOK(t, "CreateRefreshToken", s.CreateRefreshToken(t.Context(), oidc.RefreshToken{ID: durID(t), FamilyID: "f" + sid,
				TokenHash: "h" + sid, ClientID: "c1", Subject: "u1", SessionID: sid, CreatedAt: now.Add(time.Duration(i)),
				ExpiresAt: now.Add(time.Hour), IdleExpiresAt: now.Add(time.Hour)}))
		}
		fams, err := s.RevokeRefreshTokens(t.Context(), ports.RefreshFilter{Subject: "u1", SessionID: "s1"}, "logout", now)
		durOK(t, "RevokeRefreshTokens", err)
		if !slices.Equal(fams, []string{"fs1"}) {
			t.Errorf("families %v, want [fs1]", fams)
		}
		t2, err := s.RefreshTokenByHash(t.Context(), "hs2")
		durOK(t, "RefreshTokenByHash", err)
		if t2.RevokedAt != nil {
			t.Error("session s2's token was revoked")
		}
	})

	t.Run("consents upsert, list and delete", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		_, err := s.Consent(t.Context(), "u1", "c1")
		durWantKind(t, err, fault.NotFound)
		durOK(t, "PutConsent", s.PutConsent(t.Context(), oidc.Consent{UserID: "u1", ClientID: "c1", Scopes: []string{"profile"}, CreatedAt: now, UpdatedAt: now}))
		durOK(t, "PutConsent", s.PutConsent(t.Context(), oidc.Consent{UserID: "u1", ClientID: "c1", Scopes: []string{"profile", "email"}, CreatedAt: now.Add(time.Hour), UpdatedAt: now.Add(time.Hour)}))
		c, err := s.Consent(t.Context(), "u1", "c1")
		durOK(t, "Consent", err)
		if !slices.Equal(c.Scopes, []string{"profile", "email"}) {
			t.Errorf("scopes %v", c.Scopes)
		}
		durCheckTime(t, "CreatedAt", c.CreatedAt, now)
		list, err := s.ConsentsByUser(t.Context(), "u2")
		durOK(t, "ConsentsByUser", err)
		if len(list) != 0 {
			t.Errorf("u2 sees %d consents", len(list))
		}
		durOK(t, "DeleteConsent", s.DeleteConsent(t.Context(), "u1", "c1"))
		durWantKind(t, s.DeleteConsent(t.Context(), "u1", "c1"), fault.NotFound)
	})

	t.Run("one active key per algorithm", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		k := oidc.SigningKey{ID: "k1", Alg: oidc.AlgRS256, State: oidc.KeyActive, PrivateEnc: []byte{1, 2, 3}, SealKeyID: "v1",
			PublicJWK: `{"kid":"k1"}`, CreatedAt: now, ActivateAt: now, UpdatedAt: now}
		durOK(t, "CreateSigningKey", s.CreateSigningKey(t.Context(), k))
		k2 := k
		k2.ID = "k2"
		durWantKind(t, s.CreateSigningKey(t.Context(), k2), fault.Conflict)
		k2.State = oidc.KeyNext
		durOK(t, "CreateSigningKey next", s.CreateSigningKey(t.Context(), k2))
		_, err := s.UpdateSigningKey(t.Context(), "k2", func(k oidc.SigningKey) (oidc.SigningKey, error) {
			k.State = oidc.KeyActive
			return k, nil
		})
		durWantKind(t, err, fault.Conflict)
		_, err = s.UpdateSigningKey(t.Context(), "k1", func(k oidc.SigningKey) (oidc.SigningKey, error) {
			k.State, k.RetiredAt = oidc.KeyRetired, &now
			return k, nil
		})
		durOK(t, "UpdateSigningKey", err)
		keys, err := s.SigningKeys(t.Context())
		durOK(t, "SigningKeys", err)
		if len(keys) != 1 || keys[0].ID != "k2" || string(keys[0].PrivateEnc) != "\x01\x02\x03" {
			t.Errorf("SigningKeys = %+v", keys)
		}
		all, err := s.AllSigningKeys(t.Context())
		durOK(t, "AllSigningKeys", err)
		if len(all) != 2 {
			t.Errorf("AllSigningKeys has %d keys, want 2", len(all))
		}
		_, err = s.UpdateSigningKey(t.Context(), "nope", func(k oidc.SigningKey) (oidc.SigningKey, error) { return k, errors.New("unreached") })
		durWantKind(t, err, fault.NotFound)
	})
}

func oidcSameClient(a, b oidc.Client) bool {
	return a.ID == b.ID && a.ClientID == b.ClientID && a.OrgID == b.OrgID && a.Name == b.Name && a.SecretHash == b.SecretHash &&
		a.SecretKind == b.SecretKind && a.AuthMethod == b.AuthMethod && slices.Equal(a.RedirectURIs, b.RedirectURIs) &&
		slices.Equal(a.PostLogoutRedirectURIs, b.PostLogoutRedirectURIs) && slices.Equal(a.GrantTypes, b.GrantTypes) &&
		slices.Equal(a.Scopes, b.Scopes) && a.AccessTokenFormat == b.AccessTokenFormat && a.AccessTokenTTL == b.AccessTokenTTL &&
		a.RefreshTokenTTL == b.RefreshTokenTTL && a.RefreshIdleTTL == b.RefreshIdleTTL && a.IDTokenTTL == b.IDTokenTTL &&
		a.IDTokenAlg == b.IDTokenAlg && a.RequirePKCE == b.RequirePKCE && a.ConsentMode == b.ConsentMode && a.LogoURI == b.LogoURI &&
		a.ClientURI == b.ClientURI && a.PolicyURI == b.PolicyURI && a.TosURI == b.TosURI && a.BackchannelLogoutURI == b.BackchannelLogoutURI &&
		a.JWKS == b.JWKS && a.TokenExchange == b.TokenExchange && a.DevMode == b.DevMode && a.Active == b.Active
}
