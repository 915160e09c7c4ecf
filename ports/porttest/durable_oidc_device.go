package porttest

import (
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/core/oidc"
)

// runDeviceGrants checks ports.DeviceGrantStore: round trips by every key,
// Conflict on a reused code, serialised updates and expiry purge.
func runDeviceGrants(t *testing.T, open func(t *testing.T) OIDCStore) {
	sample := func(t *testing.T) oidc.DeviceGrant {
		id := durID(t)
		return oidc.DeviceGrant{ID: id, ClientID: "tv", DeviceCodeHash: "dc-" + id, UserCodeHash: "uc-" + id,
			Scopes: []string{"openid", "offline_access"}, Status: oidc.DevicePending, Interval: 5 * time.Second,
			CreatedAt: durBase, ExpiresAt: durBase.Add(10 * time.Minute)}
	}

	t.Run("device grant round trip by id, user code and device code", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		g := sample(t)
		durOK(t, "CreateDeviceGrant", s.CreateDeviceGrant(t.Context(), g))
		dup := sample(t)
		dup.UserCodeHash = g.UserCodeHash
		durWantKind(t, s.CreateDeviceGrant(t.Context(), dup), fault.Conflict)
		for name, get := range map[string]func() (oidc.DeviceGrant, error){
			"by id":          func() (oidc.DeviceGrant, error) { return s.DeviceGrantByID(t.Context(), g.ID) },
			"by user code":   func() (oidc.DeviceGrant, error) { return s.DeviceGrantByUserCode(t.Context(), g.UserCodeHash) },
			"by device code": func() (oidc.DeviceGrant, error) { return s.DeviceGrantByDeviceCode(t.Context(), g.DeviceCodeHash) },
		} {
			got, err := get()
			durOK(t, name, err)
			durCheckTime(t, name+" ExpiresAt", got.ExpiresAt, g.ExpiresAt)
			if got.ClientID != "tv" || got.Status != oidc.DevicePending || got.Interval != 5*time.Second || len(got.Scopes) != 2 || got.LastPolledAt != nil {
				t.Errorf("%s: %+v", name, got)
			}
		}
		_, err := s.DeviceGrantByUserCode(t.Context(), "nope")
		durWantKind(t, err, fault.NotFound)
		_, err = s.UpdateDeviceGrant(t.Context(), "nope", func(g oidc.DeviceGrant) (oidc.DeviceGrant, error) { return g, nil })
		durWantKind(t, err, fault.NotFound)
	})

	t.Run("device grant updates are serialised: one approval is redeemed once", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		g := sample(t)
		durOK(t, "CreateDeviceGrant", s.CreateDeviceGrant(t.Context(), g))
		at := durBase.Add(time.Minute)
		_, err := s.UpdateDeviceGrant(t.Context(), g.ID, func(g oidc.DeviceGrant) (oidc.DeviceGrant, error) {
			g.Status, g.Subject, g.AuthTime, g.AMR, g.ClientID = oidc.DeviceApproved, "user-1", at, []string{"pwd"}, "hijack"
			return g, nil
		})
		durOK(t, "approve", err)
		var wg sync.WaitGroup
		var mu sync.Mutex
		wins := 0
		for range 6 {
			wg.Go(func() {
				_, err := s.UpdateDeviceGrant(t.Context(), g.ID, func(g oidc.DeviceGrant) (oidc.DeviceGrant, error) {
					if g.Status != oidc.DeviceApproved {
						return g, fault.E("test", fault.Conflict, "already redeemed")
					}
					g.Status = oidc.DeviceRedeemed
					return g, nil
				})
				if err == nil {
					mu.Lock()
					wins++
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if wins != 1 {
			t.Errorf("%d redemptions won, want 1", wins)
		}
		got, err := s.DeviceGrantByID(t.Context(), g.ID)
		durOK(t, "DeviceGrantByID", err)
		durCheckTime(t, "AuthTime", got.AuthTime, at)
		if got.Status != oidc.DeviceRedeemed || got.Subject != "user-1" || got.ClientID != "tv" {
			t.Errorf("after redemption: %+v", got)
		}
	})

	t.Run("expired device grants are purged", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		old, live := sample(t), sample(t)
		old.ExpiresAt = durBase.Add(-time.Minute)
		durOK(t, "create old", s.CreateDeviceGrant(t.Context(), old))
		durOK(t, "create live", s.CreateDeviceGrant(t.Context(), live))
		n, err := s.DeleteExpiredDeviceGrants(t.Context(), durBase)
		durOK(t, "DeleteExpiredDeviceGrants", err)
		if n != 1 {
			t.Errorf("purged %d, want 1", n)
		}
		_, err = s.DeviceGrantByID(t.Context(), live.ID)
		durOK(t, "live grant", err)
	})
}

// runClientRevocation checks RevokeClientRefreshTokens: only the client's
// live tokens, across subjects.
func runClientRevocation(t *testing.T, open func(t *testing.T) OIDCStore) {
	t.Run("revoke by client touches only that client's live tokens", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		now := durBase
		for i, c := range []struct{ client, subject string }{{"c1", "u1"}, {"c1", "u2"}, {"c2", "u1"}} {
			durOK(t, "CreateRefreshToken", s.CreateRefreshToken(t.Context(), oidc.RefreshToken{ID: durID(t), FamilyID: durID(t),
				TokenHash: durID(t), ClientID: c.client, Subject: c.subject, CreatedAt: now.Add(time.Duration(i)),
				ExpiresAt: now.Add(time.Hour), IdleExpiresAt: now.Add(time.Hour)}))
		}
		n, err := s.RevokeClientRefreshTokens(t.Context(), "c1", "client_disabled", now)
		durOK(t, "RevokeClientRefreshTokens", err)
		if n != 2 {
			t.Errorf("revoked %d, want 2", n)
		}
		if n, _ := s.RevokeClientRefreshTokens(t.Context(), "c1", "again", now); n != 0 {
			t.Errorf("revoked %d already revoked tokens", n)
		}
		if n, _ := s.RevokeClientRefreshTokens(t.Context(), "c2", "x", now); n != 1 {
			t.Errorf("c2: revoked %d, want 1", n)
		}
	})
}

// runRegistrationTokens checks RegistrationTokenStore: uses are counted,
// the last use goes to exactly one of concurrent callers, expired and
// unknown tokens are NotFound.
func runRegistrationTokens(t *testing.T, open func(t *testing.T) OIDCStore) {
	t.Run("registration tokens count uses and expire", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		now := durBase
		tok := oidc.RegistrationToken{ID: durID(t), OrgID: "org-a", TokenHash: "h-" + durID(t), CreatedBy: "u1", CreatedAt: now,
			ExpiresAt: now.Add(time.Hour), MaxUses: 3}
		durOK(t, "CreateRegistrationToken", s.CreateRegistrationToken(t.Context(), tok))
		durWantKind(t, s.CreateRegistrationToken(t.Context(), tok), fault.Conflict)
		got, err := s.UseRegistrationToken(t.Context(), tok.TokenHash, now)
		durOK(t, "UseRegistrationToken", err)
		if got.OrgID != "org-a" || got.Uses != 1 || got.MaxUses != 3 {
			t.Errorf("used token %+v", got)
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		wins := 0
		for range 6 {
			wg.Go(func() {
				if _, err := s.UseRegistrationToken(t.Context(), tok.TokenHash, now); err == nil {
					mu.Lock()
					wins++
					mu.Unlock()
				} else if !fault.Is(err, fault.NotFound) {
					t.Errorf("UseRegistrationToken: %v", err)
				}
			})
		}
		wg.Wait()
		if wins != 2 {
			t.Errorf("%d concurrent uses won, want the 2 left", wins)
		}
		_, err = s.UseRegistrationToken(t.Context(), "unknown", now)
		durWantKind(t, err, fault.NotFound)
		exp := tok
		exp.ID, exp.TokenHash, exp.ExpiresAt = durID(t), "h-"+durID(t), now.Add(-time.Second)
		durOK(t, "CreateRegistrationToken expired", s.CreateRegistrationToken(t.Context(), exp))
		_, err = s.UseRegistrationToken(t.Context(), exp.TokenHash, now)
		durWantKind(t, err, fault.NotFound)
	})
}

// runBackchannel checks BackchannelQueue: claims lease due deliveries,
// delivered ones are not claimed again, and the clients of a session.
func runBackchannel(t *testing.T, open func(t *testing.T) OIDCStore) {
	t.Run("back-channel deliveries are claimed, leased and finished", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		now := durBase
		var jobs []oidc.BackchannelLogout
		for i := range 2 {
			jobs = append(jobs, oidc.BackchannelLogout{ID: durID(t), ClientID: "c1", URI: "https://rp.example/bc", Subject: "u1",
				SessionID: "s1", Status: oidc.BackchannelPending, NextAttemptAt: now.Add(time.Duration(i) * time.Second), CreatedAt: now})
		}
		durOK(t, "EnqueueBackchannel", s.EnqueueBackchannel(t.Context(), jobs))
		got, err := s.ClaimBackchannel(t.Context(), now.Add(time.Minute), 10, time.Minute)
		durOK(t, "ClaimBackchannel", err)
		if len(got) != 2 || got[0].URI != "https://rp.example/bc" || got[0].SessionID != "s1" {
			t.Fatalf("claimed %+v", got)
		}
		if again, _ := s.ClaimBackchannel(t.Context(), now.Add(time.Minute), 10, time.Minute); len(again) != 0 {
			t.Errorf("claimed %d leased deliveries again", len(again))
		}
		done := got[0]
		at := now.Add(time.Minute)
		done.Status, done.DeliveredAt, done.Attempts = oidc.BackchannelDelivered, &at, 1
		durOK(t, "UpdateBackchannel", s.UpdateBackchannel(t.Context(), done))
		later, err := s.ClaimBackchannel(t.Context(), now.Add(3*time.Minute), 10, time.Minute)
		durOK(t, "ClaimBackchannel later", err)
		if len(later) != 1 || later[0].ID != got[1].ID {
			t.Errorf("after the lease: %+v", later)
		}
		missing := done
		missing.ID = durID(t)
		durWantKind(t, s.UpdateBackchannel(t.Context(), missing), fault.NotFound)
	})

	t.Run("clients of a session come from codes and refresh tokens", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		now := durBase
		durOK(t, "CreateRefreshToken", s.CreateRefreshToken(t.Context(), oidc.RefreshToken{ID: durID(t), FamilyID: durID(t), TokenHash: durID(t),
			ClientID: "c1", Subject: "u1", SessionID: "s9", CreatedAt: now, ExpiresAt: now.Add(time.Hour), IdleExpiresAt: now.Add(time.Hour)}))
		done := now
		durOK(t, "CreateAuthRequest", s.CreateAuthRequest(t.Context(), oidc.AuthRequest{ID: durID(t), ClientID: "c2", RedirectURI: "https://x/cb",
			ResponseType: "code", CreatedAt: now, ExpiresAt: now.Add(time.Hour), Subject: "u1", SessionID: "s9", AuthTime: now, DoneAt: &done}))
		durOK(t, "CreateAuthRequest c1", s.CreateAuthRequest(t.Context(), oidc.AuthRequest{ID: durID(t), ClientID: "c1", RedirectURI: "https://x/cb",
			ResponseType: "code", CreatedAt: now, ExpiresAt: now.Add(time.Hour), Subject: "u1", SessionID: "s9", AuthTime: now, DoneAt: &done}))
		got, err := s.ClientsOfSession(t.Context(), "s9")
		durOK(t, "ClientsOfSession", err)
		slices.Sort(got)
		if !slices.Equal(got, []string{"c1", "c2"}) {
			t.Errorf("clients %v", got)
		}
		if none, _ := s.ClientsOfSession(t.Context(), "other"); len(none) != 0 {
			t.Errorf("other session: %v", none)
		}
	})
}
