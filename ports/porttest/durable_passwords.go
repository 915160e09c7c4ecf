package porttest

import (
	"testing"
	"time"

	"github.com/secuird/secuird/core/fault"
)

// RunPasswordStore checks a ports.PasswordStore: NotFound before a hash
// is set, then create-or-replace per user.
func RunPasswordStore(t *testing.T, open func(t *testing.T) UserPasswordStore) {
	t.Run("PasswordHash is NotFound when none is set", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		u := durCreateUser(t, s)
		_, err := s.PasswordHash(t.Context(), u.ID)
		durWantKind(t, err, fault.NotFound)
		_, err = s.PasswordHash(t.Context(), durID(t))
		durWantKind(t, err, fault.NotFound)
	})

	t.Run("SetPasswordHash creates then replaces the hash", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		u := durCreateUser(t, s)
		durOK(t, "SetPasswordHash", s.SetPasswordHash(t.Context(), u.ID, "$argon2id$v=19$first", durBase))
		got, err := s.PasswordHash(t.Context(), u.ID)
		durOK(t, "PasswordHash", err)
		if got != "$argon2id$v=19$first" {
			t.Fatalf("PasswordHash = %q, want the first hash", got)
		}
		durOK(t, "SetPasswordHash (replace)", s.SetPasswordHash(t.Context(), u.ID, "$argon2id$v=19$second", durBase.Add(time.Hour)))
		got, err = s.PasswordHash(t.Context(), u.ID)
		durOK(t, "PasswordHash", err)
		if got != "$argon2id$v=19$second" {
			t.Fatalf("PasswordHash = %q after replacing, want the second hash", got)
		}
	})

	t.Run("hashes are kept per user", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		a, b, c := durCreateUser(t, s), durCreateUser(t, s), durCreateUser(t, s)
		durOK(t, "SetPasswordHash a", s.SetPasswordHash(t.Context(), a.ID, "hash-a", durBase))
		durOK(t, "SetPasswordHash b", s.SetPasswordHash(t.Context(), b.ID, "hash-b", durBase))
		for id, want := range map[string]string{a.ID: "hash-a", b.ID: "hash-b"} {
			got, err := s.PasswordHash(t.Context(), id)
			durOK(t, "PasswordHash", err)
			if got != want {
				t.Errorf("PasswordHash(%s) = %q, want %q", id, got, want)
			}
		}
		_, err := s.PasswordHash(t.Context(), c.ID)
		durWantKind(t, err, fault.NotFound)
	})
}
