package porttest

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/secuird/secuird/core/org"
)

// tenInvite stores a pending invite of o sent by inviter, expiring an hour
// after durBase, and returns it.
func tenInvite(t *testing.T, s TenancyStore, orgID, inviterID, email string) org.Invite {
	t.Helper()
	inv := org.Invite{
		ID: durID(t), OrgID: orgID, InvitedByID: inviterID, Email: email, Role: org.Admin,
		TokenHash: strings.ReplaceAll(durID(t)+durID(t), "-", ""), CreatedAt: durBase, ExpiresAt: durBase.Add(time.Hour),
	}
	durOK(t, "CreateInvite", s.CreateInvite(t.Context(), inv))
	inv.Email = strings.ToLower(email)
	return inv
}

func tenCheckInvite(t *testing.T, got, want org.Invite) {
	t.Helper()
	if got.ID != want.ID || got.OrgID != want.OrgID || got.InvitedByID != want.InvitedByID || got.Email != want.Email ||
		got.Role != want.Role || got.TokenHash != want.TokenHash || got.AcceptedBy != want.AcceptedBy {
		t.Errorf("invite fields differ:\n got %+v\nwant %+v", got, want)
	}
	durCheckTime(t, "CreatedAt", got.CreatedAt, want.CreatedAt)
	durCheckTime(t, "ExpiresAt", got.ExpiresAt, want.ExpiresAt)
	durCheckTimePtr(t, "AcceptedAt", got.AcceptedAt, want.AcceptedAt)
	durCheckTimePtr(t, "CancelledAt", got.CancelledAt, want.CancelledAt)
}

// RunInviteStore checks a ports.InviteStore: the pending summary (with
// the organization and the inviter's name), what stops an invite being
// pending (acceptance, cancellation, expiry, a deleted organization),
// single use under concurrency, and that cancelling and listing never
// cross organizations.
func RunInviteStore(t *testing.T, open func(t *testing.T) TenancyStore) {
	t.Run("a pending invite round-trips with its organization and inviter", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		o, inviter := tenCreateOrg(t, s), durCreateUser(t, s)
		inv := tenInvite(t, s, o.ID, inviter.ID, "Invitee@Example.COM")
		got, err := s.PendingInvite(t.Context(), inv.TokenHash, durBase)
		durOK(t, "PendingInvite", err)
		tenCheckInvite(t, got.Invite, inv)
		if got.Email != "invitee@example.com" || got.OrgName != o.Name || got.OrgSlug != o.Slug || got.InviterName != inviter.FullName {
			t.Fatalf("summary = %+v", got)
		}
		_, err = s.PendingInvite(t.Context(), "unknown", durBase)
		durWantKind(t, err, notFound)
		dup := inv
		dup.ID = durID(t)
		durWantKind(t, s.CreateInvite(t.Context(), dup), conflict)
		other := inv
		other.ID, other.TokenHash, other.OrgID = durID(t), "x"+inv.TokenHash, durID(t)
		durWantKind(t, s.CreateInvite(t.Context(), other), notFound)
	})

	t.Run("expired, accepted, cancelled and deleted-org invites are not pending", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		o, inviter, u := tenCreateOrg(t, s), durCreateUser(t, s), durCreateUser(t, s)
		inv := tenInvite(t, s, o.ID, inviter.ID, u.Email)
		_, err := s.PendingInvite(t.Context(), inv.TokenHash, inv.ExpiresAt)
		durWantKind(t, err, notFound)
		_, err = s.AcceptInvite(t.Context(), inv.TokenHash, u.ID, inv.ExpiresAt)
		durWantKind(t, err, notFound)

		at := durBase.Add(time.Minute)
		got, err := s.AcceptInvite(t.Context(), inv.TokenHash, u.ID, at)
		durOK(t, "AcceptInvite", err)
		want := inv
		want.AcceptedAt, want.AcceptedBy = &at, u.ID
		tenCheckInvite(t, got, want)
		_, err = s.AcceptInvite(t.Context(), inv.TokenHash, u.ID, at)
		durWantKind(t, err, notFound)
		_, err = s.PendingInvite(t.Context(), inv.TokenHash, at)
		durWantKind(t, err, notFound)

		c := tenInvite(t, s, o.ID, inviter.ID, "c@example.com")
		cancelled, err := s.CancelInvite(t.Context(), o.ID, c.ID, at)
		durOK(t, "CancelInvite", err)
		durCheckTimePtr(t, "CancelledAt", cancelled.CancelledAt, &at)
		_, err = s.CancelInvite(t.Context(), o.ID, c.ID, at)
		durWantKind(t, err, notFound)
		_, err = s.AcceptInvite(t.Context(), c.TokenHash, u.ID, at)
		durWantKind(t, err, notFound)

		d := tenInvite(t, s, o.ID, inviter.ID, "d@example.com")
		durOK(t, "DeleteOrg", s.DeleteOrg(t.Context(), o.ID, at))
		_, err = s.PendingInvite(t.Context(), d.TokenHash, at)
		durWantKind(t, err, notFound)
		_, err = s.AcceptInvite(t.Context(), d.TokenHash, u.ID, at)
		durWantKind(t, err, notFound)
	})

	t.Run("of concurrent accepts exactly one wins", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		o, inviter := tenCreateOrg(t, s), durCreateUser(t, s)
		inv := tenInvite(t, s, o.ID, inviter.ID, "race@example.com")
		const n = 8
		users := make([]string, n)
		for i := range users {
			users[i] = durCreateUser(t, s).ID
		}
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() {
				_, errs[i] = s.AcceptInvite(t.Context(), inv.TokenHash, users[i], durBase.Add(time.Second))
			})
		}
		wg.Wait()
		wins := 0
		for _, err := range errs {
			if err == nil {
				wins++
				continue
			}
			durWantKind(t, err, notFound)
		}
		if wins != 1 {
			t.Fatalf("%d of %d concurrent accepts succeeded, want exactly 1", wins, n)
		}
	})

	t.Run("listing and cancelling stay inside one organization", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		a, b, inviter := tenCreateOrg(t, s), tenCreateOrg(t, s), durCreateUser(t, s)
		a1 := tenInvite(t, s, a.ID, inviter.ID, "one@example.com")
		a2 := org.Invite{ID: durID(t), OrgID: a.ID, InvitedByID: inviter.ID, Email: "two@example.com", Role: org.Guest,
			TokenHash: durID(t), CreatedAt: durBase.Add(time.Second), ExpiresAt: durBase.Add(time.Hour)}
		durOK(t, "CreateInvite", s.CreateInvite(t.Context(), a2))
		b1 := tenInvite(t, s, b.ID, inviter.ID, "one@example.com")
		expired := org.Invite{ID: durID(t), OrgID: a.ID, Email: "old@example.com", Role: org.Member,
			TokenHash: durID(t), CreatedAt: durBase.Add(-2 * time.Hour), ExpiresAt: durBase.Add(-time.Hour)}
		durOK(t, "CreateInvite", s.CreateInvite(t.Context(), expired))

		list, err := s.ListInvites(t.Context(), a.ID, durBase)
		durOK(t, "ListInvites", err)
		if len(list) != 2 || list[0].ID != a2.ID || list[1].ID != a1.ID {
			t.Fatalf("ListInvites(a) = %+v, want a2, a1 (newest first, pending only)", list)
		}
		if list[0].OrgName != a.Name || list[0].InviterName != inviter.FullName {
			t.Fatalf("ListInvites summary = %+v", list[0])
		}

		_, err = s.CancelInvite(t.Context(), a.ID, b1.ID, durBase)
		durWantKind(t, err, notFound)
		if _, err := s.PendingInvite(t.Context(), b1.TokenHash, durBase); err != nil {
			t.Fatalf("cancelling under another organization touched the invite: %v", err)
		}
		forEmail, err := s.InvitesForEmail(t.Context(), "ONE@example.com", durBase)
		durOK(t, "InvitesForEmail", err)
		if len(forEmail) != 2 {
			t.Fatalf("InvitesForEmail = %+v, want both organizations' invites", forEmail)
		}
		n, err := s.CancelEmailInvites(t.Context(), a.ID, "one@example.com", durBase)
		durOK(t, "CancelEmailInvites", err)
		if n != 1 {
			t.Fatalf("CancelEmailInvites = %d, want 1", n)
		}
		if _, err := s.PendingInvite(t.Context(), b1.TokenHash, durBase); err != nil {
			t.Fatalf("CancelEmailInvites(a) cancelled b's invite: %v", err)
		}
		n, err = s.CancelOrgInvites(t.Context(), a.ID, durBase)
		durOK(t, "CancelOrgInvites", err)
		if n != 1 {
			t.Fatalf("CancelOrgInvites = %d, want 1 (a2)", n)
		}
		list, err = s.ListInvites(t.Context(), b.ID, durBase)
		durOK(t, "ListInvites(b)", err)
		if len(list) != 1 || list[0].ID != b1.ID {
			t.Fatalf("ListInvites(b) = %+v", list)
		}
	})

	t.Run("an invite outlives its inviter's account", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		o, inviter := tenCreateOrg(t, s), durCreateUser(t, s)
		inv := tenInvite(t, s, o.ID, inviter.ID, "orphan@example.com")
		durOK(t, "HardDeleteUser", s.HardDeleteUser(t.Context(), inviter.ID))
		got, err := s.PendingInvite(t.Context(), inv.TokenHash, durBase)
		durOK(t, "PendingInvite", err)
		if got.InvitedByID != "" || got.InviterName != "" {
			t.Fatalf("inviter still named after a hard delete: %+v", got)
		}
	})
}

// tenKey stores an API key of orgID and returns it.
func tenKey(t *testing.T, s TenancyStore, orgID, creatorID string) org.APIKey {
	t.Helper()
	k := org.APIKey{
		ID: durID(t), OrgID: orgID, Name: "deploy", Description: "CI deploys", Hint: "sk_secuird_abcdef",
		KeyHash: strings.ReplaceAll(durID(t)+durID(t), "-", ""), CreatedByID: creatorID,
		CreatedAt: durBase, UpdatedAt: durBase,
	}
	durOK(t, "CreateAPIKey", s.CreateAPIKey(t.Context(), k))
	return k
}

func tenCheckKey(t *testing.T, got, want org.APIKey) {
	t.Helper()
	if got.ID != want.ID || got.OrgID != want.OrgID || got.Name != want.Name || got.Description != want.Description ||
		got.Hint != want.Hint || got.KeyHash != want.KeyHash || got.CreatedByID != want.CreatedByID || got.RevokeReason != want.RevokeReason {
		t.Errorf("API key fields differ:\n got %+v\nwant %+v", got, want)
	}
	durCheckTime(t, "CreatedAt", got.CreatedAt, want.CreatedAt)
	durCheckTime(t, "UpdatedAt", got.UpdatedAt, want.UpdatedAt)
	durCheckTimePtr(t, "LastUsedAt", got.LastUsedAt, want.LastUsedAt)
	durCheckTimePtr(t, "RevokedAt", got.RevokedAt, want.RevokedAt)
}

// RunAPIKeyStore checks a ports.APIKeyStore: round trips, lookup by hash
// only for unrevoked keys of live organizations, immutable fields on
// update, a last-used time that never goes back, and that no call reaches
// another organization's key.
func RunAPIKeyStore(t *testing.T, open func(t *testing.T) TenancyStore) {
	t.Run("round-trips a key and finds it by hash", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		o, u := tenCreateOrg(t, s), durCreateUser(t, s)
		k := tenKey(t, s, o.ID, u.ID)
		got, err := s.APIKey(t.Context(), o.ID, k.ID)
		durOK(t, "APIKey", err)
		tenCheckKey(t, got, k)
		got, err = s.APIKeyByHash(t.Context(), k.KeyHash)
		durOK(t, "APIKeyByHash", err)
		tenCheckKey(t, got, k)
		_, err = s.APIKeyByHash(t.Context(), "nope")
		durWantKind(t, err, notFound)
		dup := k
		dup.ID = durID(t)
		durWantKind(t, s.CreateAPIKey(t.Context(), dup), conflict)
		dup.OrgID, dup.KeyHash = durID(t), "other"
		durWantKind(t, s.CreateAPIKey(t.Context(), dup), notFound)
	})

	t.Run("no call reaches another organization's key", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		a, b := tenCreateOrg(t, s), tenCreateOrg(t, s)
		kb := tenKey(t, s, b.ID, "")
		_, err := s.APIKey(t.Context(), a.ID, kb.ID)
		durWantKind(t, err, notFound)
		_, err = s.UpdateAPIKey(t.Context(), a.ID, kb.ID, func(k org.APIKey) (org.APIKey, error) {
			k.Name = "stolen"
			return k, nil
		})
		durWantKind(t, err, notFound)
		durWantKind(t, s.TouchAPIKey(t.Context(), a.ID, kb.ID, durBase), notFound)
		n, err := s.RevokeOrgAPIKeys(t.Context(), a.ID, durBase, "test")
		durOK(t, "RevokeOrgAPIKeys(a)", err)
		if n != 0 {
			t.Fatalf("RevokeOrgAPIKeys(a) revoked %d keys of b", n)
		}
		list, err := s.ListAPIKeys(t.Context(), a.ID)
		durOK(t, "ListAPIKeys(a)", err)
		if len(list) != 0 {
			t.Fatalf("ListAPIKeys(a) = %+v", list)
		}
		got, err := s.APIKey(t.Context(), b.ID, kb.ID)
		durOK(t, "APIKey(b)", err)
		tenCheckKey(t, got, kb)
	})

	t.Run("UpdateAPIKey keeps the immutable fields; revoked keys do not authenticate", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		o := tenCreateOrg(t, s)
		k := tenKey(t, s, o.ID, "")
		at := durBase.Add(time.Hour)
		got, err := s.UpdateAPIKey(t.Context(), o.ID, k.ID, func(x org.APIKey) (org.APIKey, error) {
			x.ID, x.OrgID, x.KeyHash, x.Hint, x.CreatedAt = durID(t), durID(t), "changed", "changed", at
			x.Name, x.Description, x.UpdatedAt = "renamed", "", at
			x.RevokedAt, x.RevokeReason = &at, "leaked"
			return x, nil
		})
		durOK(t, "UpdateAPIKey", err)
		want := k
		want.Name, want.Description, want.UpdatedAt, want.RevokedAt, want.RevokeReason = "renamed", "", at, &at, "leaked"
		tenCheckKey(t, got, want)
		_, err = s.APIKeyByHash(t.Context(), k.KeyHash)
		durWantKind(t, err, notFound)
		list, err := s.ListAPIKeys(t.Context(), o.ID)
		durOK(t, "ListAPIKeys", err)
		if len(list) != 1 || !list[0].Revoked() {
			t.Fatalf("ListAPIKeys = %+v, want the revoked key", list)
		}
		_, err = s.UpdateAPIKey(t.Context(), o.ID, k.ID, func(x org.APIKey) (org.APIKey, error) { return x, errBoom })
		if !errors.Is(err, errBoom) {
			t.Fatalf("UpdateAPIKey = %v, want fn's error", err)
		}
	})

	t.Run("TouchAPIKey never moves last use backwards", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		o := tenCreateOrg(t, s)
		k := tenKey(t, s, o.ID, "")
		later := durBase.Add(time.Hour)
		durOK(t, "TouchAPIKey", s.TouchAPIKey(t.Context(), o.ID, k.ID, later))
		durOK(t, "TouchAPIKey (older)", s.TouchAPIKey(t.Context(), o.ID, k.ID, durBase))
		got, err := s.APIKey(t.Context(), o.ID, k.ID)
		durOK(t, "APIKey", err)
		durCheckTimePtr(t, "LastUsedAt", got.LastUsedAt, &later)
	})

	t.Run("deleting an organization stops its keys; RevokeOrgAPIKeys revokes the rest", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		a, b := tenCreateOrg(t, s), tenCreateOrg(t, s)
		ka, kb1, kb2 := tenKey(t, s, a.ID, ""), tenKey(t, s, b.ID, ""), tenKey(t, s, b.ID, "")
		durOK(t, "DeleteOrg", s.DeleteOrg(t.Context(), a.ID, durBase))
		_, err := s.APIKeyByHash(t.Context(), ka.KeyHash)
		durWantKind(t, err, notFound)
		n, err := s.RevokeOrgAPIKeys(t.Context(), b.ID, durBase, "rotation")
		durOK(t, "RevokeOrgAPIKeys", err)
		if n != 2 {
			t.Fatalf("RevokeOrgAPIKeys = %d, want 2", n)
		}
		for _, k := range []org.APIKey{kb1, kb2} {
			got, err := s.APIKey(t.Context(), b.ID, k.ID)
			durOK(t, "APIKey", err)
			if !got.Revoked() || got.RevokeReason != "rotation" {
				t.Fatalf("key not revoked: %+v", got)
			}
		}
	})
}
