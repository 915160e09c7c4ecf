package porttest

// The tenancy suites (tenancy*.go) cover the ports that keep
// organizations: OrgStore, MembershipStore, InviteStore, APIKeyStore and
// the UserStore methods of admin user management. Besides round trips and
// fault kinds they check tenant isolation: an object of organization B is
// never returned, changed or counted when asked for under organization A.

import (
	"errors"
	"testing"
	"time"

	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/core/org"
	"github.com/secuird/secuird/ports"
)

// Shorthands for the kinds the tenancy suites expect.
const (
	notFound = fault.NotFound
	conflict = fault.Conflict
)

// errBoom is a function's own error, which stores must return as is.
var errBoom = errors.New("boom")

// TenancyStore is every port the tenancy suites need: memberships,
// invites and keys belong to an organization and to users (whose
// passwords a hard delete removes).
type TenancyStore interface {
	ports.Transactor
	ports.UserStore
	ports.PasswordStore
	ports.OrgStore
	ports.MembershipStore
	ports.InviteStore
	ports.APIKeyStore
}

// RunTenancy runs every tenancy suite (RunOrgStore, RunMembershipStore,
// RunInviteStore, RunAPIKeyStore, RunUserAdminStore) against stores from
// open, in parallel subtests. open returns a fresh, migrated, empty store.
func RunTenancy(t *testing.T, open func(t *testing.T) TenancyStore) {
	t.Run("OrgStore", func(t *testing.T) {
		t.Parallel()
		RunOrgStore(t, open)
	})
	t.Run("MembershipStore", func(t *testing.T) {
		t.Parallel()
		RunMembershipStore(t, open)
	})
	t.Run("InviteStore", func(t *testing.T) {
		t.Parallel()
		RunInviteStore(t, open)
	})
	t.Run("APIKeyStore", func(t *testing.T) {
		t.Parallel()
		RunAPIKeyStore(t, open)
	})
	t.Run("UserAdminStore", func(t *testing.T) {
		t.Parallel()
		RunUserAdminStore(t, open)
	})
}

// tenSampleOrg returns an organization with every field set.
func tenSampleOrg(t *testing.T) org.Organization {
	t.Helper()
	id := durID(t)
	return org.Organization{
		ID: id, Name: "Acme " + id[:8], Slug: "acme-" + id[:8], Description: "Rockets and anvils",
		LogoURL: "https://acme.example.com/logo.png", IsActive: true,
		CreatedAt: durBase.Add(-48 * time.Hour), UpdatedAt: durBase.Add(-time.Hour),
	}
}

// tenCreateOrg stores a fresh sample organization.
func tenCreateOrg(t *testing.T, s ports.OrgStore) org.Organization {
	t.Helper()
	o := tenSampleOrg(t)
	durOK(t, "CreateOrg", s.CreateOrg(t.Context(), o))
	return o
}

// tenAdd makes u a live member of o with role r.
func tenAdd(t *testing.T, s ports.MembershipStore, orgID, userID string, r org.Role) org.Membership {
	t.Helper()
	m, err := s.AddMember(t.Context(), org.Membership{
		ID: durID(t), OrgID: orgID, UserID: userID, Role: r,
		JoinedAt: durBase, CreatedAt: durBase, UpdatedAt: durBase,
	})
	durOK(t, "AddMember", err)
	return m
}

// tenCheckOrg compares two organizations, times to the microsecond.
func tenCheckOrg(t *testing.T, got, want org.Organization) {
	t.Helper()
	if got.ID != want.ID || got.Name != want.Name || got.Slug != want.Slug || got.Description != want.Description ||
		got.LogoURL != want.LogoURL || got.IsActive != want.IsActive {
		t.Errorf("organization fields differ:\n got %+v\nwant %+v", got, want)
	}
	durCheckTime(t, "CreatedAt", got.CreatedAt, want.CreatedAt)
	durCheckTime(t, "UpdatedAt", got.UpdatedAt, want.UpdatedAt)
	durCheckTimePtr(t, "DeletedAt", got.DeletedAt, want.DeletedAt)
}

// tenCheckMember compares two memberships, times to the microsecond.
func tenCheckMember(t *testing.T, got, want org.Membership) {
	t.Helper()
	if got.ID != want.ID || got.OrgID != want.OrgID || got.UserID != want.UserID || got.Role != want.Role ||
		got.InvitedByID != want.InvitedByID {
		t.Errorf("membership fields differ:\n got %+v\nwant %+v", got, want)
	}
	durCheckTimePtr(t, "InvitedAt", got.InvitedAt, want.InvitedAt)
	durCheckTime(t, "JoinedAt", got.JoinedAt, want.JoinedAt)
	durCheckTime(t, "CreatedAt", got.CreatedAt, want.CreatedAt)
	durCheckTime(t, "UpdatedAt", got.UpdatedAt, want.UpdatedAt)
	durCheckTimePtr(t, "DeletedAt", got.DeletedAt, want.DeletedAt)
}

// RunOrgStore checks a ports.OrgStore: round trips in UTC, slug
// uniqueness among live organizations, soft deletion (a deleted
// organization is gone and frees its slug, OrgBySlugAny still finds it)
// and UpdateOrg's read-modify-write.
func RunOrgStore(t *testing.T, open func(t *testing.T) TenancyStore) {
	t.Run("round-trips every field with times in UTC", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		o := tenCreateOrg(t, s)
		got, err := s.OrgByID(t.Context(), o.ID)
		durOK(t, "OrgByID", err)
		tenCheckOrg(t, got, o)
		got, err = s.OrgBySlug(t.Context(), o.Slug)
		durOK(t, "OrgBySlug", err)
		tenCheckOrg(t, got, o)
		got, err = s.LockOrg(t.Context(), o.ID)
		durOK(t, "LockOrg", err)
		tenCheckOrg(t, got, o)
	})

	t.Run("keeps empty optional fields", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		o := tenSampleOrg(t)
		o.Description, o.LogoURL, o.IsActive = "", "", false
		durOK(t, "CreateOrg", s.CreateOrg(t.Context(), o))
		got, err := s.OrgByID(t.Context(), o.ID)
		durOK(t, "OrgByID", err)
		tenCheckOrg(t, got, o)
	})

	t.Run("unknown id or slug is NotFound", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		tenCreateOrg(t, s)
		_, err := s.OrgByID(t.Context(), durID(t))
		durWantKind(t, err, notFound)
		_, err = s.OrgBySlug(t.Context(), "no-such-org")
		durWantKind(t, err, notFound)
		_, err = s.LockOrg(t.Context(), durID(t))
		durWantKind(t, err, notFound)
		durWantKind(t, s.DeleteOrg(t.Context(), durID(t), durBase), notFound)
	})

	t.Run("a live slug is unique; a deleted organization frees it", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		a := tenCreateOrg(t, s)
		b := tenSampleOrg(t)
		b.Slug = a.Slug
		durWantKind(t, s.CreateOrg(t.Context(), b), conflict)

		durOK(t, "DeleteOrg", s.DeleteOrg(t.Context(), a.ID, durBase))
		durWantKind(t, s.DeleteOrg(t.Context(), a.ID, durBase), notFound)
		_, err := s.OrgByID(t.Context(), a.ID)
		durWantKind(t, err, notFound)
		_, err = s.OrgBySlug(t.Context(), a.Slug)
		durWantKind(t, err, notFound)
		_, err = s.LockOrg(t.Context(), a.ID)
		durWantKind(t, err, notFound)

		durOK(t, "CreateOrg with a deleted organization's slug", s.CreateOrg(t.Context(), b))
		got, err := s.OrgBySlug(t.Context(), a.Slug)
		durOK(t, "OrgBySlug", err)
		if got.ID != b.ID {
			t.Fatalf("OrgBySlug = %s, want the new organization %s", got.ID, b.ID)
		}
	})

	t.Run("OrgBySlugAny returns the live organization, else the latest deleted one", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		bySlug := func(slug, wantID string, deleted *time.Time) {
			t.Helper()
			got, err := s.OrgBySlugAny(t.Context(), slug)
			durOK(t, "OrgBySlugAny", err)
			if got.ID != wantID {
				t.Fatalf("OrgBySlugAny(%q) = %s, want %s", slug, got.ID, wantID)
			}
			durCheckTimePtr(t, "DeletedAt", got.DeletedAt, deleted)
		}
		a := tenCreateOrg(t, s)
		bySlug(a.Slug, a.ID, nil)
		aAt := durBase
		durOK(t, "DeleteOrg", s.DeleteOrg(t.Context(), a.ID, aAt))
		bySlug(a.Slug, a.ID, &aAt)

		b := tenSampleOrg(t)
		b.Slug = a.Slug
		durOK(t, "CreateOrg with a deleted organization's slug", s.CreateOrg(t.Context(), b))
		bySlug(a.Slug, b.ID, nil)
		bAt := durBase.Add(time.Hour)
		durOK(t, "DeleteOrg", s.DeleteOrg(t.Context(), b.ID, bAt))
		c := tenSampleOrg(t)
		c.Slug = a.Slug
		durOK(t, "CreateOrg with a deleted organization's slug", s.CreateOrg(t.Context(), c))
		durOK(t, "DeleteOrg", s.DeleteOrg(t.Context(), c.ID, durBase.Add(time.Minute)))
		bySlug(a.Slug, b.ID, &bAt)

		_, err := s.OrgBySlugAny(t.Context(), "no-such-org")
		durWantKind(t, err, notFound)
	})

	t.Run("CreateOrg is Conflict for a taken id", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		a := tenCreateOrg(t, s)
		b := tenSampleOrg(t)
		b.ID = a.ID
		durWantKind(t, s.CreateOrg(t.Context(), b), conflict)
	})

	t.Run("UpdateOrg stores fn's result but keeps ID and CreatedAt", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		o := tenCreateOrg(t, s)
		got, err := s.UpdateOrg(t.Context(), o.ID, func(x org.Organization) (org.Organization, error) {
			x.ID, x.CreatedAt = durID(t), durBase
			x.Name, x.Description, x.LogoURL, x.UpdatedAt = "Renamed", "", "", durBase
			return x, nil
		})
		durOK(t, "UpdateOrg", err)
		want := o
		want.Name, want.Description, want.LogoURL, want.UpdatedAt = "Renamed", "", "", durBase
		tenCheckOrg(t, got, want)
		stored, err := s.OrgByID(t.Context(), o.ID)
		durOK(t, "OrgByID", err)
		tenCheckOrg(t, stored, want)
	})

	t.Run("UpdateOrg returns fn's error and changes nothing; NotFound and Conflict", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		o, other := tenCreateOrg(t, s), tenCreateOrg(t, s)
		_, err := s.UpdateOrg(t.Context(), o.ID, func(x org.Organization) (org.Organization, error) {
			x.Name = "Not Stored"
			return x, errBoom
		})
		if !errors.Is(err, errBoom) {
			t.Fatalf("UpdateOrg = %v, want fn's error", err)
		}
		_, err = s.UpdateOrg(t.Context(), o.ID, func(x org.Organization) (org.Organization, error) {
			x.Slug = other.Slug
			return x, nil
		})
		durWantKind(t, err, conflict)
		got, err := s.OrgByID(t.Context(), o.ID)
		durOK(t, "OrgByID", err)
		tenCheckOrg(t, got, o)
		_, err = s.UpdateOrg(t.Context(), durID(t), func(x org.Organization) (org.Organization, error) { return x, nil })
		durWantKind(t, err, notFound)
	})
}
