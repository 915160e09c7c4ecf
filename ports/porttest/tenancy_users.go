package porttest

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/secuird/secuird/core/identity"
	"github.com/secuird/secuird/core/org"
	"github.com/secuird/secuird/ports"
)

// RunUserAdminStore checks the UserStore methods of admin user
// management and first-user detection: ClaimFirstUser under concurrency,
// UserByIDAny, UserByEmailAny, the scoped and searched listing,
// RestoreUser and HardDeleteUser with what its foreign keys remove or
// empty.
func RunUserAdminStore(t *testing.T, open func(t *testing.T) TenancyStore) {
	t.Run("ClaimFirstUser is won once, by exactly one of concurrent transactions", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		const n = 6
		var wg sync.WaitGroup
		won := make([]bool, n)
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() {
				errs[i] = s.InTx(t.Context(), func(ctx context.Context) error {
					u := durSampleUser(t)
					if err := s.CreateUser(ctx, u); err != nil {
						return err
					}
					var err error
					won[i], err = s.ClaimFirstUser(ctx, u.ID, durBase)
					// Hold the transaction a moment so that the others
					// really overlap with it.
					time.Sleep(20 * time.Millisecond)
					return err
				})
			})
		}
		wg.Wait()
		wins := 0
		for i := range n {
			durOK(t, "claim", errs[i])
			if won[i] {
				wins++
			}
		}
		if wins != 1 {
			t.Fatalf("%d transactions claimed the first user, want 1", wins)
		}
		again, err := s.ClaimFirstUser(t.Context(), durID(t), durBase)
		durOK(t, "ClaimFirstUser", err)
		if again {
			t.Fatal("ClaimFirstUser succeeded twice")
		}
	})

	t.Run("a rolled-back claim leaves the claim free", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		_ = s.InTx(t.Context(), func(ctx context.Context) error {
			won, err := s.ClaimFirstUser(ctx, durID(t), durBase)
			durOK(t, "ClaimFirstUser", err)
			if !won {
				t.Error("the first claim lost")
			}
			return errBoom
		})
		won, err := s.ClaimFirstUser(t.Context(), durID(t), durBase)
		durOK(t, "ClaimFirstUser", err)
		if !won {
			t.Fatal("a rolled-back claim still counts")
		}
	})

	t.Run("UserByIDAny returns deleted users too", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		u := durCreateUser(t, s)
		durDeleteUser(t, s, u.ID, durBase)
		got, err := s.UserByIDAny(t.Context(), u.ID)
		durOK(t, "UserByIDAny", err)
		if got.ID != u.ID || got.DeletedAt == nil {
			t.Fatalf("UserByIDAny = %+v", got)
		}
		_, err = s.UserByIDAny(t.Context(), durID(t))
		durWantKind(t, err, notFound)
	})

	t.Run("UserByEmailAny returns the live user, else the latest deleted one", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		byEmail := func(email, wantID string, deleted *time.Time) {
			t.Helper()
			got, err := s.UserByEmailAny(t.Context(), email)
			durOK(t, "UserByEmailAny", err)
			if got.ID != wantID {
				t.Fatalf("UserByEmailAny(%q) = %s, want %s", email, got.ID, wantID)
			}
			durCheckTimePtr(t, "DeletedAt", got.DeletedAt, deleted)
		}
		first := durCreateUser(t, s)
		byEmail(strings.ToUpper(first.Email), first.ID, nil)
		firstAt := durBase
		durDeleteUser(t, s, first.ID, firstAt)
		byEmail(first.Email, first.ID, &firstAt)

		second := durSampleUser(t)
		second.Email = first.Email
		durOK(t, "CreateUser with a deleted user's email", s.CreateUser(t.Context(), second))
		byEmail(first.Email, second.ID, nil)
		secondAt := durBase.Add(time.Hour)
		durDeleteUser(t, s, second.ID, secondAt)
		third := durSampleUser(t)
		third.Email = first.Email
		durOK(t, "CreateUser with a deleted user's email", s.CreateUser(t.Context(), third))
		durDeleteUser(t, s, third.ID, durBase.Add(time.Minute))
		byEmail(first.Email, second.ID, &secondAt)

		_, err := s.UserByEmailAny(t.Context(), durEmail(t))
		durWantKind(t, err, notFound)
	})

	t.Run("ListUsers searches, scopes to organizations and pages", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		a, b := tenCreateOrg(t, s), tenCreateOrg(t, s)
		mk := func(email, name string) identity.User {
			u := durSampleUser(t)
			u.Email, u.FullName = email, name
			durOK(t, "CreateUser", s.CreateUser(t.Context(), u))
			return u
		}
		ann := mk("ann@a.example", "Ann Archer")
		bob := mk("bob@a.example", "Bob 100%_Builder")
		cat := mk("cat@b.example", "Cat Carter")
		dan := mk("dan@none.example", "Dan Dormant")
		eve := mk("eve@a.example", "Eve Exiled")
		tenAdd(t, s, a.ID, ann.ID, org.Owner)
		tenAdd(t, s, a.ID, bob.ID, org.Member)
		tenAdd(t, s, b.ID, cat.ID, org.Member)
		tenAdd(t, s, a.ID, eve.ID, org.Member)
		// eve deletes her account: her membership goes with it.
		_, err := s.RemoveUserMemberships(t.Context(), eve.ID, durBase)
		durOK(t, "RemoveUserMemberships", err)
		durDeleteUser(t, s, eve.ID, durBase)

		ids := func(us []identity.User) []string {
			out := make([]string, len(us))
			for i, u := range us {
				out[i] = u.ID
			}
			return out
		}
		check := func(name string, q ports.UserQuery, total int, want ...string) {
			t.Helper()
			got, n, err := s.ListUsers(t.Context(), q)
			durOK(t, name, err)
			if n != total || !slices.Equal(ids(got), want) {
				t.Errorf("%s = %d %v, want %d %v", name, n, ids(got), total, want)
			}
		}
		check("unscoped", ports.UserQuery{Unscoped: true}, 4, ann.ID, bob.ID, cat.ID, dan.ID)
		check("unscoped with deleted", ports.UserQuery{Unscoped: true, IncludeDeleted: true}, 5, ann.ID, bob.ID, cat.ID, dan.ID, eve.ID)
		check("org a", ports.UserQuery{OrgIDs: []string{a.ID}}, 2, ann.ID, bob.ID)
		check("org a with deleted", ports.UserQuery{OrgIDs: []string{a.ID}, IncludeDeleted: true}, 3, ann.ID, bob.ID, eve.ID)
		check("orgs a and b", ports.UserQuery{OrgIDs: []string{a.ID, b.ID}}, 3, ann.ID, bob.ID, cat.ID)
		check("no orgs means nobody", ports.UserQuery{OrgIDs: []string{}}, 0)
		check("search by email", ports.UserQuery{Unscoped: true, Search: "CAT@"}, 1, cat.ID)
		check("search by name, case-insensitive", ports.UserQuery{Unscoped: true, Search: "archer"}, 1, ann.ID)
		check("search wildcards are literal", ports.UserQuery{Unscoped: true, Search: "100%_"}, 1, bob.ID)
		check("search with %", ports.UserQuery{Unscoped: true, Search: "%"}, 1, bob.ID)
		check("page", ports.UserQuery{Unscoped: true, Offset: 1, Limit: 2}, 4, bob.ID, cat.ID)
	})

	t.Run("RestoreUser undoes a deletion unless the email was taken", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		u, v := durCreateUser(t, s), durCreateUser(t, s)
		_, err := s.RestoreUser(t.Context(), u.ID, durBase)
		durWantKind(t, err, notFound)
		durDeleteUser(t, s, u.ID, durBase)
		later := durBase.Add(time.Hour)
		got, err := s.RestoreUser(t.Context(), u.ID, later)
		durOK(t, "RestoreUser", err)
		if got.DeletedAt != nil {
			t.Fatalf("restored user still deleted: %+v", got)
		}
		durCheckTime(t, "UpdatedAt", got.UpdatedAt, later)
		if _, err := s.UserByEmail(t.Context(), u.Email); err != nil {
			t.Fatalf("restored user not found by email: %v", err)
		}

		durDeleteUser(t, s, v.ID, durBase)
		taken := durSampleUser(t)
		taken.Email = strings.ToUpper(v.Email)
		durOK(t, "CreateUser", s.CreateUser(t.Context(), taken))
		_, err = s.RestoreUser(t.Context(), v.ID, later)
		durWantKind(t, err, conflict)
		_, err = s.UserByID(t.Context(), v.ID)
		durWantKind(t, err, notFound)
	})

	t.Run("HardDeleteUser removes the user and what belongs to it", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		o := tenCreateOrg(t, s)
		u, other := durCreateUser(t, s), durCreateUser(t, s)
		tenAdd(t, s, o.ID, u.ID, org.Admin)
		durOK(t, "SetPasswordHash", s.SetPasswordHash(t.Context(), u.ID, "hash", durBase))
		invited, err := s.AddMember(t.Context(), org.Membership{ID: durID(t), OrgID: o.ID, UserID: other.ID, Role: org.Member,
			InvitedByID: u.ID, JoinedAt: durBase, CreatedAt: durBase, UpdatedAt: durBase})
		durOK(t, "AddMember", err)
		k := tenKey(t, s, o.ID, u.ID)

		durOK(t, "HardDeleteUser", s.HardDeleteUser(t.Context(), u.ID))
		durWantKind(t, s.HardDeleteUser(t.Context(), u.ID), notFound)
		_, err = s.UserByIDAny(t.Context(), u.ID)
		durWantKind(t, err, notFound)
		_, err = s.PasswordHash(t.Context(), u.ID)
		durWantKind(t, err, notFound)
		ms, err := s.MembershipsOfUsers(t.Context(), []string{u.ID}, nil)
		durOK(t, "MembershipsOfUsers", err)
		if len(ms) != 0 {
			t.Fatalf("memberships survive a hard delete: %+v", ms)
		}
		m, err := s.Member(t.Context(), o.ID, other.ID)
		durOK(t, "Member", err)
		if m.ID != invited.ID || m.InvitedByID != "" {
			t.Fatalf("inviter reference not emptied: %+v", m)
		}
		got, err := s.APIKey(t.Context(), o.ID, k.ID)
		durOK(t, "APIKey", err)
		if got.CreatedByID != "" {
			t.Fatalf("key creator reference not emptied: %+v", got)
		}
	})
}
