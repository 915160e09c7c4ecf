package porttest

import (
	"context"
	"errors"
	"testing"

	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/core/identity"
)

// RunTransactor checks a ports.Transactor over the user and password
// stores: commit keeps every write, an error keeps none, reads inside see
// the transaction's writes, and a nested InTx joins the outer transaction
// while an error in it undoes only its own writes.
func RunTransactor(t *testing.T, open func(t *testing.T) TxStore) {
	boom := errors.New("boom")

	t.Run("commit keeps every write", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		u := durSampleUser(t)
		err := s.InTx(t.Context(), func(ctx context.Context) error {
			if err := s.CreateUser(ctx, u); err != nil {
				return err
			}
			return s.SetPasswordHash(ctx, u.ID, "hash", durBase)
		})
		durOK(t, "InTx", err)
		got, err := s.UserByID(t.Context(), u.ID)
		durOK(t, "UserByID", err)
		durCheckUser(t, got, u)
		h, err := s.PasswordHash(t.Context(), u.ID)
		durOK(t, "PasswordHash", err)
		if h != "hash" {
			t.Fatalf("PasswordHash = %q, want %q", h, "hash")
		}
	})

	t.Run("an error keeps no write and is returned as is", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		kept := durCreateUser(t, s)
		u := durSampleUser(t)
		err := s.InTx(t.Context(), func(ctx context.Context) error {
			if err := s.CreateUser(ctx, u); err != nil {
				return err
			}
			if err := s.SetPasswordHash(ctx, u.ID, "hash", durBase); err != nil {
				return err
			}
			if err := s.SetPasswordHash(ctx, kept.ID, "hash", durBase); err != nil {
				return err
			}
			if _, err := s.UpdateUser(ctx, kept.ID, func(x identity.User) (identity.User, error) {
				x.FullName = "Rolled Back"
				return x, nil
			}); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("InTx = %v, want fn's error", err)
		}
		_, err = s.UserByID(t.Context(), u.ID)
		durWantKind(t, err, fault.NotFound)
		_, err = s.UserByEmail(t.Context(), u.Email)
		durWantKind(t, err, fault.NotFound)
		_, err = s.PasswordHash(t.Context(), u.ID)
		durWantKind(t, err, fault.NotFound)
		_, err = s.PasswordHash(t.Context(), kept.ID)
		durWantKind(t, err, fault.NotFound)
		got, err := s.UserByID(t.Context(), kept.ID)
		durOK(t, "UserByID", err)
		durCheckUser(t, got, kept)
		n, err := s.CountUsers(t.Context())
		durOK(t, "CountUsers", err)
		if n != 1 {
			t.Fatalf("CountUsers = %d after a rollback, want 1", n)
		}
		// The email is free: nothing half-written holds it.
		durOK(t, "CreateUser after rollback", s.CreateUser(t.Context(), u))
	})

	t.Run("reads inside see the transaction's writes", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		u := durSampleUser(t)
		err := s.InTx(t.Context(), func(ctx context.Context) error {
			if err := s.CreateUser(ctx, u); err != nil {
				return err
			}
			if _, err := s.UserByID(ctx, u.ID); err != nil {
				return err
			}
			if _, err := s.UserByEmail(ctx, u.Email); err != nil {
				return err
			}
			if n, err := s.CountUsers(ctx); err != nil || n != 1 {
				return errors.Join(err, errors.New("CountUsers inside the transaction is not 1"))
			}
			if err := s.SetPasswordHash(ctx, u.ID, "hash", durBase); err != nil {
				return err
			}
			_, err := s.PasswordHash(ctx, u.ID)
			return err
		})
		durOK(t, "InTx", err)
	})

	t.Run("a store error inside keeps its kind", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		u := durCreateUser(t, s)
		err := s.InTx(t.Context(), func(ctx context.Context) error {
			dup := durSampleUser(t)
			dup.Email = u.Email
			return s.CreateUser(ctx, dup)
		})
		durWantKind(t, err, fault.Conflict)
		err = s.InTx(t.Context(), func(ctx context.Context) error {
			_, err := s.UserByID(ctx, durID(t))
			return err
		})
		durWantKind(t, err, fault.NotFound)
	})

	t.Run("a nested InTx joins the outer transaction", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		u := durSampleUser(t)
		err := s.InTx(t.Context(), func(ctx context.Context) error {
			if err := s.CreateUser(ctx, u); err != nil {
				return err
			}
			if err := s.InTx(ctx, func(ctx context.Context) error {
				// The outer write is visible here.
				return s.SetPasswordHash(ctx, u.ID, "hash", durBase)
			}); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("InTx = %v, want fn's error", err)
		}
		_, err = s.UserByID(t.Context(), u.ID)
		durWantKind(t, err, fault.NotFound)
		_, err = s.PasswordHash(t.Context(), u.ID)
		durWantKind(t, err, fault.NotFound)

		err = s.InTx(t.Context(), func(ctx context.Context) error {
			if err := s.CreateUser(ctx, u); err != nil {
				return err
			}
			return s.InTx(ctx, func(ctx context.Context) error {
				return s.SetPasswordHash(ctx, u.ID, "hash", durBase)
			})
		})
		durOK(t, "InTx", err)
		if _, err := s.PasswordHash(t.Context(), u.ID); err != nil {
			t.Fatalf("PasswordHash after nested commit: %v", err)
		}
	})

	t.Run("a failed nested InTx undoes only its own writes", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		outer, inner := durSampleUser(t), durSampleUser(t)
		err := s.InTx(t.Context(), func(ctx context.Context) error {
			if err := s.CreateUser(ctx, outer); err != nil {
				return err
			}
			err := s.InTx(ctx, func(ctx context.Context) error {
				if err := s.CreateUser(ctx, inner); err != nil {
					return err
				}
				return boom
			})
			if !errors.Is(err, boom) {
				return errors.Join(errors.New("nested InTx did not return fn's error"), err)
			}
			// A failed statement in the nested call must not poison the outer one.
			dup := durSampleUser(t)
			dup.Email = outer.Email
			if err := s.InTx(ctx, func(ctx context.Context) error { return s.CreateUser(ctx, dup) }); !fault.Is(err, fault.Conflict) {
				return errors.Join(errors.New("nested duplicate was not Conflict"), err)
			}
			return s.SetPasswordHash(ctx, outer.ID, "hash", durBase)
		})
		durOK(t, "InTx", err)
		if _, err := s.UserByID(t.Context(), outer.ID); err != nil {
			t.Fatalf("outer write lost: %v", err)
		}
		if _, err := s.PasswordHash(t.Context(), outer.ID); err != nil {
			t.Fatalf("outer write after the failed nested call lost: %v", err)
		}
		_, err = s.UserByID(t.Context(), inner.ID)
		durWantKind(t, err, fault.NotFound)
	})
}
