package porttest

import (
	"crypto/sha256"
	"encoding/hex"
	"sync"
	"testing"
	"time"

	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/core/identity"
)

// RunLinkTokenStore checks a ports.LinkTokenStore: single use (also under
// concurrency), expiry, purpose and hash matching, and DeleteLinkTokens
// removing only a user's unused tokens of one purpose.
func RunLinkTokenStore(t *testing.T, open func(t *testing.T) UserLinkTokenStore) {
	now := durBase

	t.Run("ConsumeLinkToken returns the token marked used at now", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		u := durCreateUser(t, s)
		tok := durLinkToken(t, u.ID, identity.PurposeVerifyEmail, now)
		durOK(t, "CreateLinkToken", s.CreateLinkToken(t.Context(), tok))
		got, err := s.ConsumeLinkToken(t.Context(), tok.Purpose, tok.Hash, now)
		durOK(t, "ConsumeLinkToken", err)
		if got.ID != tok.ID || got.UserID != tok.UserID || got.Purpose != tok.Purpose || got.Hash != tok.Hash {
			t.Errorf("ConsumeLinkToken = %+v, want %+v", got, tok)
		}
		durCheckTime(t, "CreatedAt", got.CreatedAt, tok.CreatedAt)
		durCheckTime(t, "ExpiresAt", got.ExpiresAt, tok.ExpiresAt)
		durCheckTimePtr(t, "UsedAt", got.UsedAt, &now)
	})

	t.Run("a consumed token is NotFound the second time", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		u := durCreateUser(t, s)
		tok := durLinkToken(t, u.ID, identity.PurposeResetPassword, now)
		durOK(t, "CreateLinkToken", s.CreateLinkToken(t.Context(), tok))
		_, err := s.ConsumeLinkToken(t.Context(), tok.Purpose, tok.Hash, now)
		durOK(t, "ConsumeLinkToken", err)
		_, err = s.ConsumeLinkToken(t.Context(), tok.Purpose, tok.Hash, now.Add(time.Second))
		durWantKind(t, err, fault.NotFound)
	})

	t.Run("a token created as used is NotFound", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		u := durCreateUser(t, s)
		tok := durLinkToken(t, u.ID, identity.PurposeVerifyEmail, now)
		used := now.Add(-time.Minute)
		tok.UsedAt = &used
		durOK(t, "CreateLinkToken", s.CreateLinkToken(t.Context(), tok))
		_, err := s.ConsumeLinkToken(t.Context(), tok.Purpose, tok.Hash, now)
		durWantKind(t, err, fault.NotFound)
	})

	t.Run("a token is NotFound from its expiry on", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		u := durCreateUser(t, s)
		for _, at := range []time.Time{now.Add(time.Hour), now.Add(2 * time.Hour)} {
			tok := durLinkToken(t, u.ID, identity.PurposeVerifyEmail, now)
			durOK(t, "CreateLinkToken", s.CreateLinkToken(t.Context(), tok))
			_, err := s.ConsumeLinkToken(t.Context(), tok.Purpose, tok.Hash, at)
			durWantKind(t, err, fault.NotFound)
		}
		tok := durLinkToken(t, u.ID, identity.PurposeVerifyEmail, now)
		durOK(t, "CreateLinkToken", s.CreateLinkToken(t.Context(), tok))
		_, err := s.ConsumeLinkToken(t.Context(), tok.Purpose, tok.Hash, tok.ExpiresAt.Add(-time.Millisecond))
		durOK(t, "ConsumeLinkToken just before expiry", err)
	})

	t.Run("an unknown hash or another purpose is NotFound", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		u := durCreateUser(t, s)
		tok := durLinkToken(t, u.ID, identity.PurposeVerifyEmail, now)
		durOK(t, "CreateLinkToken", s.CreateLinkToken(t.Context(), tok))
		_, err := s.ConsumeLinkToken(t.Context(), identity.PurposeVerifyEmail, durHash(t), now)
		durWantKind(t, err, fault.NotFound)
		_, err = s.ConsumeLinkToken(t.Context(), identity.PurposeResetPassword, tok.Hash, now)
		durWantKind(t, err, fault.NotFound)
		// Neither attempt used it up.
		_, err = s.ConsumeLinkToken(t.Context(), tok.Purpose, tok.Hash, now)
		durOK(t, "ConsumeLinkToken", err)
	})

	t.Run("CreateLinkToken is Conflict for a known hash", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		u := durCreateUser(t, s)
		tok := durLinkToken(t, u.ID, identity.PurposeVerifyEmail, now)
		durOK(t, "CreateLinkToken", s.CreateLinkToken(t.Context(), tok))
		dup := durLinkToken(t, u.ID, identity.PurposeResetPassword, now)
		dup.Hash = tok.Hash
		durWantKind(t, s.CreateLinkToken(t.Context(), dup), fault.Conflict)
	})

	t.Run("exactly one of 20 concurrent consumers wins", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		u := durCreateUser(t, s)
		tok := durLinkToken(t, u.ID, identity.PurposeResetPassword, now)
		durOK(t, "CreateLinkToken", s.CreateLinkToken(t.Context(), tok))
		const n = 20
		errs := make([]error, n)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				<-start
				_, errs[i] = s.ConsumeLinkToken(t.Context(), tok.Purpose, tok.Hash, now)
			})
		}
		close(start)
		wg.Wait()
		wins := 0
		for _, err := range errs {
			switch {
			case err == nil:
				wins++
			case fault.KindOf(err) != fault.NotFound:
				t.Errorf("a losing consumer got %v, want NotFound", err)
			}
		}
		if wins != 1 {
			t.Fatalf("%d of %d concurrent consumers won, want exactly 1", wins, n)
		}
	})

	t.Run("DeleteLinkTokens removes only the user's unused tokens of that purpose", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		a, b := durCreateUser(t, s), durCreateUser(t, s)
		create := func(user string, p identity.LinkPurpose) identity.LinkToken {
			tok := durLinkToken(t, user, p, now)
			durOK(t, "CreateLinkToken", s.CreateLinkToken(t.Context(), tok))
			return tok
		}
		gone1 := create(a.ID, identity.PurposeResetPassword)
		gone2 := create(a.ID, identity.PurposeResetPassword)
		used := create(a.ID, identity.PurposeResetPassword)
		_, err := s.ConsumeLinkToken(t.Context(), used.Purpose, used.Hash, now)
		durOK(t, "ConsumeLinkToken", err)
		otherPurpose := create(a.ID, identity.PurposeVerifyEmail)
		otherUser := create(b.ID, identity.PurposeResetPassword)

		durOK(t, "DeleteLinkTokens", s.DeleteLinkTokens(t.Context(), a.ID, identity.PurposeResetPassword))
		durOK(t, "DeleteLinkTokens again", s.DeleteLinkTokens(t.Context(), a.ID, identity.PurposeResetPassword))

		for _, tok := range []identity.LinkToken{gone1, gone2} {
			_, err := s.ConsumeLinkToken(t.Context(), tok.Purpose, tok.Hash, now)
			durWantKind(t, err, fault.NotFound)
			// The row is gone, so its hash is free again.
			durOK(t, "CreateLinkToken with a deleted token's hash", s.CreateLinkToken(t.Context(), durRehash(t, tok)))
		}
		// The used token stays (its hash is still taken).
		durWantKind(t, s.CreateLinkToken(t.Context(), durRehash(t, used)), fault.Conflict)
		for _, tok := range []identity.LinkToken{otherPurpose, otherUser} {
			_, err := s.ConsumeLinkToken(t.Context(), tok.Purpose, tok.Hash, now)
			durOK(t, "ConsumeLinkToken of a kept token", err)
		}
	})
}

// durHash returns a random hex SHA-256, like a stored token hash.
func durHash(t *testing.T) string {
	t.Helper()
	sum := sha256.Sum256([]byte(durID(t)))
	return hex.EncodeToString(sum[:])
}

// durLinkToken returns an unused token valid for an hour from now.
func durLinkToken(t *testing.T, userID string, p identity.LinkPurpose, now time.Time) identity.LinkToken {
	t.Helper()
	return identity.LinkToken{
		ID:        durID(t),
		UserID:    userID,
		Purpose:   p,
		Hash:      durHash(t),
		CreatedAt: now.Add(-time.Minute),
		ExpiresAt: now.Add(time.Hour),
	}
}

// durRehash returns a new unused token with tok's user, purpose and hash.
func durRehash(t *testing.T, tok identity.LinkToken) identity.LinkToken {
	t.Helper()
	n := durLinkToken(t, tok.UserID, tok.Purpose, durBase)
	n.Hash = tok.Hash
	return n
}
