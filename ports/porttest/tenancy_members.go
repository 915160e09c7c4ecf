package porttest

import (
	"slices"
	"testing"
	"time"

	"github.com/secuird/secuird/core/identity"
	"github.com/secuird/secuird/core/org"
	"github.com/secuird/secuird/ports"
)

// RunMembershipStore checks a ports.MembershipStore: round trips, the one
// row per (organization, user) that a re-add revives, what counts as a
// live member (removed memberships, deleted users and deleted
// organizations never do), the joined listing with paging, and tenant
// isolation between two organizations.
func RunMembershipStore(t *testing.T, open func(t *testing.T) TenancyStore) {
	t.Run("round-trips a membership with times in UTC", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		o, u, inviter := tenCreateOrg(t, s), durCreateUser(t, s), durCreateUser(t, s)
		invited := durBase.Add(-time.Hour)
		m := org.Membership{
			ID: durID(t), OrgID: o.ID, UserID: u.ID, Role: org.Admin, InvitedByID: inviter.ID, InvitedAt: &invited,
			JoinedAt: durBase, CreatedAt: durBase, UpdatedAt: durBase,
		}
		got, err := s.AddMember(t.Context(), m)
		durOK(t, "AddMember", err)
		tenCheckMember(t, got, m)
		got, err = s.Member(t.Context(), o.ID, u.ID)
		durOK(t, "Member", err)
		tenCheckMember(t, got, m)
		r, err := s.Role(t.Context(), o.ID, u.ID)
		durOK(t, "Role", err)
		if r != org.Admin {
			t.Fatalf("Role = %q, want admin", r)
		}
	})

	t.Run("AddMember is Conflict for a live member and NotFound for unknown org or user", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		o, u := tenCreateOrg(t, s), durCreateUser(t, s)
		tenAdd(t, s, o.ID, u.ID, org.Member)
		_, err := s.AddMember(t.Context(), org.Membership{ID: durID(t), OrgID: o.ID, UserID: u.ID, Role: org.Admin,
			JoinedAt: durBase, CreatedAt: durBase, UpdatedAt: durBase})
		durWantKind(t, err, conflict)
		r, _ := s.Role(t.Context(), o.ID, u.ID)
		if r != org.Member {
			t.Fatalf("a refused AddMember changed the role to %q", r)
		}
		_, err = s.AddMember(t.Context(), org.Membership{ID: durID(t), OrgID: durID(t), UserID: u.ID, Role: org.Member,
			JoinedAt: durBase, CreatedAt: durBase, UpdatedAt: durBase})
		durWantKind(t, err, notFound)
		_, err = s.AddMember(t.Context(), org.Membership{ID: durID(t), OrgID: o.ID, UserID: durID(t), Role: org.Member,
			JoinedAt: durBase, CreatedAt: durBase, UpdatedAt: durBase})
		durWantKind(t, err, notFound)
	})

	t.Run("removing and re-adding revives the same row with the new role", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		o, u := tenCreateOrg(t, s), durCreateUser(t, s)
		first := tenAdd(t, s, o.ID, u.ID, org.Admin)
		durOK(t, "RemoveMember", s.RemoveMember(t.Context(), o.ID, u.ID, durBase))
		durWantKind(t, s.RemoveMember(t.Context(), o.ID, u.ID, durBase), notFound)
		_, err := s.Member(t.Context(), o.ID, u.ID)
		durWantKind(t, err, notFound)
		_, err = s.Role(t.Context(), o.ID, u.ID)
		durWantKind(t, err, notFound)

		later := durBase.Add(time.Hour)
		again, err := s.AddMember(t.Context(), org.Membership{ID: durID(t), OrgID: o.ID, UserID: u.ID, Role: org.Guest,
			JoinedAt: later, CreatedAt: later, UpdatedAt: later})
		durOK(t, "AddMember (revive)", err)
		if again.ID != first.ID || again.Role != org.Guest || again.DeletedAt != nil {
			t.Fatalf("revived membership %+v, want row %s as guest", again, first.ID)
		}
		r, err := s.Role(t.Context(), o.ID, u.ID)
		durOK(t, "Role", err)
		if r != org.Guest {
			t.Fatalf("Role = %q after revival, want guest", r)
		}
	})

	t.Run("deleted users and deleted organizations have no live members", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		o, u, v := tenCreateOrg(t, s), durCreateUser(t, s), durCreateUser(t, s)
		tenAdd(t, s, o.ID, u.ID, org.Owner)
		tenAdd(t, s, o.ID, v.ID, org.Member)
		durDeleteUser(t, s, v.ID, durBase)
		_, err := s.Role(t.Context(), o.ID, v.ID)
		durWantKind(t, err, notFound)
		counts, err := s.CountMembers(t.Context(), o.ID)
		durOK(t, "CountMembers", err)
		if counts[org.Owner] != 1 || counts[org.Member] != 0 {
			t.Fatalf("CountMembers = %v, want one owner only", counts)
		}
		list, n, err := s.ListMembers(t.Context(), o.ID, ports.MemberQuery{})
		durOK(t, "ListMembers", err)
		if n != 1 || len(list) != 1 || list[0].UserID != u.ID {
			t.Fatalf("ListMembers = %d %+v, want only the live user", n, list)
		}

		durOK(t, "DeleteOrg", s.DeleteOrg(t.Context(), o.ID, durBase))
		_, err = s.Role(t.Context(), o.ID, u.ID)
		durWantKind(t, err, notFound)
		orgs, err := s.OrgsOfUser(t.Context(), u.ID)
		durOK(t, "OrgsOfUser", err)
		if len(orgs) != 0 {
			t.Fatalf("OrgsOfUser lists a deleted organization: %+v", orgs)
		}
		ids, err := s.OrgIDsAdministeredBy(t.Context(), u.ID)
		durOK(t, "OrgIDsAdministeredBy", err)
		if len(ids) != 0 {
			t.Fatalf("OrgIDsAdministeredBy lists a deleted organization: %v", ids)
		}
	})

	t.Run("SetMemberRole changes a live member only, in its own organization", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		a, b, u := tenCreateOrg(t, s), tenCreateOrg(t, s), durCreateUser(t, s)
		tenAdd(t, s, a.ID, u.ID, org.Member)
		m, err := s.SetMemberRole(t.Context(), a.ID, u.ID, org.Admin, durBase.Add(time.Minute))
		durOK(t, "SetMemberRole", err)
		if m.Role != org.Admin {
			t.Fatalf("SetMemberRole returned role %q", m.Role)
		}
		durCheckTime(t, "UpdatedAt", m.UpdatedAt, durBase.Add(time.Minute))
		_, err = s.SetMemberRole(t.Context(), b.ID, u.ID, org.Owner, durBase)
		durWantKind(t, err, notFound)
		durWantKind(t, s.RemoveMember(t.Context(), b.ID, u.ID, durBase), notFound)
		r, _ := s.Role(t.Context(), a.ID, u.ID)
		if r != org.Admin {
			t.Fatalf("a call under another organization changed the role to %q", r)
		}
	})

	t.Run("ListMembers joins users, orders by role then email, pages and isolates tenants", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		a, b := tenCreateOrg(t, s), tenCreateOrg(t, s)
		mk := func(local string, r org.Role) identity.User {
			u := durSampleUser(t)
			u.Email = local + "." + u.Email
			durOK(t, "CreateUser", s.CreateUser(t.Context(), u))
			tenAdd(t, s, a.ID, u.ID, r)
			return u
		}
		g := mk("a-guest", org.Guest)
		m2 := mk("b-member", org.Member)
		m1 := mk("a-member", org.Member)
		ow := mk("z-owner", org.Owner)
		ad := mk("c-admin", org.Admin)
		removed := mk("d-removed", org.Member)
		durOK(t, "RemoveMember", s.RemoveMember(t.Context(), a.ID, removed.ID, durBase))
		outsider := durCreateUser(t, s)
		tenAdd(t, s, b.ID, outsider.ID, org.Owner)
		tenAdd(t, s, b.ID, m1.ID, org.Admin)

		all, n, err := s.ListMembers(t.Context(), a.ID, ports.MemberQuery{})
		durOK(t, "ListMembers", err)
		var order []string
		for _, m := range all {
			order = append(order, m.UserID)
			if m.OrgID != a.ID {
				t.Errorf("ListMembers(a) returned a membership of %s", m.OrgID)
			}
		}
		want := []string{ow.ID, ad.ID, m1.ID, m2.ID, g.ID}
		if n != 5 || !slices.Equal(order, want) {
			t.Fatalf("ListMembers = %d %v, want %v", n, order, want)
		}
		if all[1].Email != ad.Email || all[1].FullName != ad.FullName || all[1].AvatarURL != ad.AvatarURL ||
			!all[1].EmailVerified || all[1].Status != string(identity.StatusActive) || all[1].Role != org.Admin {
			t.Fatalf("joined user fields: %+v", all[1])
		}
		page, n, err := s.ListMembers(t.Context(), a.ID, ports.MemberQuery{Offset: 2, Limit: 2})
		durOK(t, "ListMembers (page)", err)
		if n != 5 || len(page) != 2 || page[0].UserID != m1.ID || page[1].UserID != m2.ID {
			t.Fatalf("page 2 = %d %+v", n, page)
		}
		members, n, err := s.ListMembers(t.Context(), a.ID, ports.MemberQuery{Role: org.Member})
		durOK(t, "ListMembers (role)", err)
		if n != 2 || len(members) != 2 {
			t.Fatalf("role filter = %d %+v", n, members)
		}
		inB, n, err := s.ListMembers(t.Context(), b.ID, ports.MemberQuery{})
		durOK(t, "ListMembers(b)", err)
		if n != 2 || len(inB) != 2 || inB[0].UserID != outsider.ID || inB[1].Role != org.Admin {
			t.Fatalf("ListMembers(b) = %+v", inB)
		}
		counts, err := s.CountMembers(t.Context(), a.ID)
		durOK(t, "CountMembers", err)
		if counts[org.Owner] != 1 || counts[org.Admin] != 1 || counts[org.Member] != 2 || counts[org.Guest] != 1 {
			t.Fatalf("CountMembers(a) = %v", counts)
		}
		empty, n, err := s.ListMembers(t.Context(), durID(t), ports.MemberQuery{})
		durOK(t, "ListMembers(unknown)", err)
		if n != 0 || len(empty) != 0 {
			t.Fatalf("ListMembers of an unknown organization = %+v", empty)
		}
	})

	t.Run("OrgsOfUser and OrgIDsAdministeredBy list live organizations with roles", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		u := durCreateUser(t, s)
		var orgs []org.Organization
		for i, r := range []org.Role{org.Owner, org.Admin, org.Member, org.Guest} {
			o := tenSampleOrg(t)
			o.Name = string(rune('D'-i)) + o.Name
			durOK(t, "CreateOrg", s.CreateOrg(t.Context(), o))
			tenAdd(t, s, o.ID, u.ID, r)
			orgs = append(orgs, o)
		}
		removed := tenCreateOrg(t, s)
		tenAdd(t, s, removed.ID, u.ID, org.Owner)
		durOK(t, "RemoveMember", s.RemoveMember(t.Context(), removed.ID, u.ID, durBase))

		list, err := s.OrgsOfUser(t.Context(), u.ID)
		durOK(t, "OrgsOfUser", err)
		if len(list) != 4 {
			t.Fatalf("OrgsOfUser = %+v, want 4", list)
		}
		for i, uo := range list {
			want := orgs[3-i]
			if uo.Org.ID != want.ID || uo.Org.Name != want.Name || uo.Org.Slug != want.Slug || uo.Membership.OrgID != want.ID {
				t.Errorf("OrgsOfUser[%d] = %+v, want %s (by name)", i, uo, want.Name)
			}
			durCheckTime(t, "Org.CreatedAt", uo.Org.CreatedAt, want.CreatedAt)
		}
		ids, err := s.OrgIDsAdministeredBy(t.Context(), u.ID)
		durOK(t, "OrgIDsAdministeredBy", err)
		want := []string{orgs[0].ID, orgs[1].ID}
		slices.Sort(want)
		if !slices.Equal(ids, want) {
			t.Fatalf("OrgIDsAdministeredBy = %v, want %v", ids, want)
		}
		none, err := s.OrgIDsAdministeredBy(t.Context(), durID(t))
		durOK(t, "OrgIDsAdministeredBy(unknown)", err)
		if none == nil || len(none) != 0 {
			t.Fatalf("OrgIDsAdministeredBy(unknown) = %#v, want an empty list", none)
		}
	})

	t.Run("user memberships are removed at one instant and restored from exactly it", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		u := durCreateUser(t, s)
		a, b, c, gone := tenCreateOrg(t, s), tenCreateOrg(t, s), tenCreateOrg(t, s), tenCreateOrg(t, s)
		tenAdd(t, s, a.ID, u.ID, org.Admin)
		tenAdd(t, s, b.ID, u.ID, org.Member)
		tenAdd(t, s, c.ID, u.ID, org.Member)
		tenAdd(t, s, gone.ID, u.ID, org.Member)
		earlier := durBase.Add(-time.Hour)
		durOK(t, "RemoveMember(c)", s.RemoveMember(t.Context(), c.ID, u.ID, earlier))
		n, err := s.RemoveUserMemberships(t.Context(), u.ID, durBase)
		durOK(t, "RemoveUserMemberships", err)
		if n != 3 {
			t.Fatalf("RemoveUserMemberships = %d, want 3", n)
		}
		durDeleteUser(t, s, u.ID, durBase)

		ms, err := s.MembershipsOfUsers(t.Context(), []string{u.ID}, nil)
		durOK(t, "MembershipsOfUsers", err)
		if len(ms) != 3 {
			t.Fatalf("a deleted user's memberships removed with the account = %+v, want a, b, gone", ms)
		}
		ms, err = s.MembershipsOfUsers(t.Context(), []string{u.ID}, []string{b.ID, c.ID})
		durOK(t, "MembershipsOfUsers(b, c)", err)
		if len(ms) != 1 || ms[0].OrgID != b.ID {
			t.Fatalf("MembershipsOfUsers filtered = %+v, want b only", ms)
		}

		durOK(t, "DeleteOrg(gone)", s.DeleteOrg(t.Context(), gone.ID, durBase))
		_, err = s.RestoreUser(t.Context(), u.ID, durBase.Add(time.Minute))
		durOK(t, "RestoreUser", err)
		n, err = s.RestoreUserMemberships(t.Context(), u.ID, durBase, durBase.Add(time.Minute))
		durOK(t, "RestoreUserMemberships", err)
		if n != 2 {
			t.Fatalf("RestoreUserMemberships = %d, want 2 (a, b; not c, removed earlier; not the deleted org)", n)
		}
		for id, want := range map[string]bool{a.ID: true, b.ID: true, c.ID: false, gone.ID: false} {
			_, err := s.Member(t.Context(), id, u.ID)
			if (err == nil) != want {
				t.Errorf("member of %s after restore: %v, want %v", id, err, want)
			}
		}
	})

	t.Run("RemoveOrgMembers removes one organization's memberships only", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		a, b := tenCreateOrg(t, s), tenCreateOrg(t, s)
		u, v := durCreateUser(t, s), durCreateUser(t, s)
		tenAdd(t, s, a.ID, u.ID, org.Owner)
		tenAdd(t, s, a.ID, v.ID, org.Member)
		tenAdd(t, s, b.ID, u.ID, org.Owner)
		n, err := s.RemoveOrgMembers(t.Context(), a.ID, durBase)
		durOK(t, "RemoveOrgMembers", err)
		if n != 2 {
			t.Fatalf("RemoveOrgMembers = %d, want 2", n)
		}
		if _, err := s.Member(t.Context(), b.ID, u.ID); err != nil {
			t.Fatalf("membership in the other organization is gone: %v", err)
		}
		counts, err := s.CountMembers(t.Context(), a.ID)
		durOK(t, "CountMembers", err)
		if total := counts[org.Owner] + counts[org.Member]; total != 0 {
			t.Fatalf("CountMembers after RemoveOrgMembers = %v", counts)
		}
	})

	t.Run("MembershipsOfUsers answers for a whole page of users in one call", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		a, b := tenCreateOrg(t, s), tenCreateOrg(t, s)
		var ids []string
		for range 4 {
			u := durCreateUser(t, s)
			ids = append(ids, u.ID)
			tenAdd(t, s, a.ID, u.ID, org.Member)
			tenAdd(t, s, b.ID, u.ID, org.Guest)
		}
		ms, err := s.MembershipsOfUsers(t.Context(), ids, nil)
		durOK(t, "MembershipsOfUsers", err)
		if len(ms) != 8 {
			t.Fatalf("MembershipsOfUsers = %d rows, want 8", len(ms))
		}
		ms, err = s.MembershipsOfUsers(t.Context(), ids, []string{a.ID})
		durOK(t, "MembershipsOfUsers(a)", err)
		if len(ms) != 4 {
			t.Fatalf("MembershipsOfUsers(a) = %d rows, want 4", len(ms))
		}
		for _, m := range ms {
			if m.OrgID != a.ID {
				t.Fatalf("MembershipsOfUsers(a) returned a row of %s", m.OrgID)
			}
		}
		ms, err = s.MembershipsOfUsers(t.Context(), ids, []string{})
		durOK(t, "MembershipsOfUsers(no orgs)", err)
		if len(ms) != 0 {
			t.Fatalf("MembershipsOfUsers with an empty org list = %+v", ms)
		}
	})
}
