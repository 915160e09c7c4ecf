package porttest

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/core/identity"
	"github.com/secuird/secuird/ports"
)

// RunUserStore checks a ports.UserStore: round trips in UTC, NotFound and
// Conflict kinds, email case-folding, soft deletion (a deleted user is
// gone and frees the address) and UpdateUser's read-modify-write.
func RunUserStore(t *testing.T, open func(t *testing.T) ports.UserStore) {
	t.Run("round-trips every field with times in UTC", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		u := durSampleUser(t)
		u.IsPlatformAdmin = true
		u.Activated = false
		u.Status = identity.StatusSuspended
		durOK(t, "CreateUser", s.CreateUser(t.Context(), u))

		got, err := s.UserByID(t.Context(), u.ID)
		durOK(t, "UserByID", err)
		durCheckUser(t, got, u)
		got, err = s.UserByEmail(t.Context(), u.Email)
		durOK(t, "UserByEmail", err)
		durCheckUser(t, got, u)
	})

	t.Run("keeps false, empty and absent values", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		u := identity.User{
			ID:        durID(t),
			Email:     durEmail(t),
			Status:    identity.StatusPending,
			CreatedAt: durBase,
			UpdatedAt: durBase,
		}
		durOK(t, "CreateUser", s.CreateUser(t.Context(), u))
		got, err := s.UserByID(t.Context(), u.ID)
		durOK(t, "UserByID", err)
		durCheckUser(t, got, u)
	})

	t.Run("unknown id or email is NotFound", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		durCreateUser(t, s)
		_, err := s.UserByID(t.Context(), durID(t))
		durWantKind(t, err, fault.NotFound)
		_, err = s.UserByEmail(t.Context(), durEmail(t))
		durWantKind(t, err, fault.NotFound)
	})

	t.Run("UserByEmail folds case", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		u := durSampleUser(t)
		u.Email = "bob." + strings.ReplaceAll(durID(t), "-", "")[:8] + "@x.com"
		durOK(t, "CreateUser", s.CreateUser(t.Context(), u))
		for _, q := range []string{u.Email, strings.ToUpper(u.Email), "Bob" + u.Email[3:len(u.Email)-6] + "@X.com"} {
			got, err := s.UserByEmail(t.Context(), q)
			if err != nil {
				t.Fatalf("UserByEmail(%q): %v", q, err)
			}
			if got.ID != u.ID {
				t.Fatalf("UserByEmail(%q) = %s, want %s", q, got.ID, u.ID)
			}
		}
	})

	t.Run("CreateUser is Conflict for a live user's email in any case", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		u := durCreateUser(t, s)
		for _, email := range []string{u.Email, strings.ToUpper(u.Email)} {
			v := durSampleUser(t)
			v.Email = email
			durWantKind(t, s.CreateUser(t.Context(), v), fault.Conflict)
		}
		n, err := s.CountUsers(t.Context())
		durOK(t, "CountUsers", err)
		if n != 1 {
			t.Fatalf("CountUsers = %d after rejected duplicates, want 1", n)
		}
	})

	t.Run("CreateUser is Conflict for a taken id", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		u := durCreateUser(t, s)
		v := durSampleUser(t)
		v.ID = u.ID
		durWantKind(t, s.CreateUser(t.Context(), v), fault.Conflict)
	})

	t.Run("a deleted user is NotFound, uncounted and frees the email", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		u := durCreateUser(t, s)
		durDeleteUser(t, s, u.ID, durBase)

		_, err := s.UserByID(t.Context(), u.ID)
		durWantKind(t, err, fault.NotFound)
		_, err = s.UserByEmail(t.Context(), u.Email)
		durWantKind(t, err, fault.NotFound)
		called := false
		_, err = s.UpdateUser(t.Context(), u.ID, func(x identity.User) (identity.User, error) {
			called = true
			return x, nil
		})
		durWantKind(t, err, fault.NotFound)
		if called {
			t.Error("UpdateUser called fn for a deleted user")
		}
		n, err := s.CountUsers(t.Context())
		durOK(t, "CountUsers", err)
		if n != 0 {
			t.Fatalf("CountUsers = %d with only a deleted user, want 0", n)
		}

		again := durSampleUser(t)
		again.Email = strings.ToUpper(u.Email)
		durOK(t, "CreateUser with a deleted user's email", s.CreateUser(t.Context(), again))
		got, err := s.UserByEmail(t.Context(), u.Email)
		durOK(t, "UserByEmail", err)
		if got.ID != again.ID {
			t.Fatalf("UserByEmail = %s, want the new user %s", got.ID, again.ID)
		}
	})

	t.Run("UpdateUser stores fn's result but keeps ID and CreatedAt", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		u := durCreateUser(t, s)
		login := durBase.Add(time.Minute)
		var seen identity.User
		got, err := s.UpdateUser(t.Context(), u.ID, func(old identity.User) (identity.User, error) {
			seen = old
			old.ID = durID(t)
			old.CreatedAt = durBase.Add(time.Hour)
			old.Email = "Changed." + old.Email
			old.FullName = "Ada King"
			old.AvatarURL = ""
			old.EmailVerified = false
			old.IsPlatformAdmin = true
			old.LastLoginAt = &login
			old.LastLoginIP = "2001:db8::1"
			old.UpdatedAt = durBase
			return old, nil
		})
		durOK(t, "UpdateUser", err)
		durCheckUser(t, seen, u)

		want := u
		want.Email = "changed." + u.Email
		want.FullName = "Ada King"
		want.AvatarURL = ""
		want.EmailVerified = false
		want.IsPlatformAdmin = true
		want.LastLoginAt = &login
		want.LastLoginIP = "2001:db8::1"
		want.UpdatedAt = durBase
		durCheckUser(t, got, want)
		stored, err := s.UserByID(t.Context(), u.ID)
		durOK(t, "UserByID", err)
		durCheckUser(t, stored, want)
		if _, err := s.UserByEmail(t.Context(), want.Email); err != nil {
			t.Fatalf("UserByEmail(new email): %v", err)
		}
		_, err = s.UserByEmail(t.Context(), u.Email)
		durWantKind(t, err, fault.NotFound)
	})

	t.Run("UpdateUser returns fn's error as is and changes nothing", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		u := durCreateUser(t, s)
		boom := errors.New("boom")
		_, err := s.UpdateUser(t.Context(), u.ID, func(old identity.User) (identity.User, error) {
			old.FullName = "Not Stored"
			return old, boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("UpdateUser error = %v, want fn's error", err)
		}
		invalid := fault.E("test.fn", fault.Invalid, "nope")
		_, err = s.UpdateUser(t.Context(), u.ID, func(old identity.User) (identity.User, error) {
			old.FullName = "Not Stored"
			return old, invalid
		})
		if fault.KindOf(err) != fault.Invalid || !errors.Is(err, invalid) {
			t.Fatalf("UpdateUser error = %v, want fn's Invalid error", err)
		}
		got, err := s.UserByID(t.Context(), u.ID)
		durOK(t, "UserByID", err)
		durCheckUser(t, got, u)
	})

	t.Run("UpdateUser is NotFound for an unknown id", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		called := false
		_, err := s.UpdateUser(t.Context(), durID(t), func(x identity.User) (identity.User, error) {
			called = true
			return x, nil
		})
		durWantKind(t, err, fault.NotFound)
		if called {
			t.Error("UpdateUser called fn for an unknown user")
		}
	})

	t.Run("UpdateUser is Conflict when taking another live user's email", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		a, b := durCreateUser(t, s), durCreateUser(t, s)
		_, err := s.UpdateUser(t.Context(), b.ID, func(x identity.User) (identity.User, error) {
			x.Email = strings.ToUpper(a.Email)
			x.FullName = "Not Stored"
			return x, nil
		})
		durWantKind(t, err, fault.Conflict)
		got, err := s.UserByID(t.Context(), b.ID)
		durOK(t, "UserByID", err)
		durCheckUser(t, got, b)
	})

	t.Run("CountUsers counts live users", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		n, err := s.CountUsers(t.Context())
		durOK(t, "CountUsers", err)
		if n != 0 {
			t.Fatalf("CountUsers on an empty store = %d", n)
		}
		var ids []string
		for range 3 {
			ids = append(ids, durCreateUser(t, s).ID)
		}
		durDeleteUser(t, s, ids[1], durBase)
		n, err = s.CountUsers(t.Context())
		durOK(t, "CountUsers", err)
		if n != 2 {
			t.Fatalf("CountUsers = %d, want 2", n)
		}
	})

	t.Run("concurrent UpdateUser calls lose no update", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		u := durSampleUser(t)
		u.FullName = ""
		durOK(t, "CreateUser", s.CreateUser(t.Context(), u))
		const n = 10
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() {
				_, errs[i] = s.UpdateUser(t.Context(), u.ID, func(x identity.User) (identity.User, error) {
					x.FullName += "x"
					return x, nil
				})
			})
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("UpdateUser #%d: %v", i, err)
			}
		}
		got, err := s.UserByID(t.Context(), u.ID)
		durOK(t, "UserByID", err)
		if got.FullName != strings.Repeat("x", n) {
			t.Fatalf("FullName = %q after %d concurrent appends, want %d x's", got.FullName, n, n)
		}
	})
}
