package org

import "strings"

// Role is a member's role in an organization. Roles are ordered:
// owner > admin > member > guest.
type Role string

// The roles (SEED-SPEC 6), with the rewrite's meanings:
//   - Owner: everything an admin may do, plus granting and removing the
//     owner role, transferring ownership and deleting the organization.
//   - Admin: members, invites, roles (up to admin), API keys, the org's
//     audit trail and its users in admin user management; never acts on
//     owners.
//   - Member: reads the organization, its members and roles.
//   - Guest: reads the organization's overview only and changes nothing.
const (
	Owner  Role = "owner"
	Admin  Role = "admin"
	Member Role = "member"
	Guest  Role = "guest"
)

// Roles lists every role, highest first.
func Roles() []Role { return []Role{Owner, Admin, Member, Guest} }

// ParseRole reads a role name (case-insensitive, surrounding space
// ignored). ok is false for anything that is not a role.
func ParseRole(s string) (r Role, ok bool) {
	r = Role(strings.ToLower(strings.TrimSpace(s)))
	return r, r.Valid()
}

// Valid reports whether r is one of the four roles.
func (r Role) Valid() bool { return r.Rank() > 0 }

// Rank orders roles: owner 4, admin 3, member 2, guest 1, anything else 0.
func (r Role) Rank() int {
	switch r {
	case Owner:
		return 4
	case Admin:
		return 3
	case Member:
		return 2
	case Guest:
		return 1
	}
	return 0
}

// AtLeast reports whether r ranks at or above o (an invalid r never does).
func (r Role) AtLeast(o Role) bool { return r.Valid() && r.Rank() >= o.Rank() }

// Manages reports whether r administers the organization (owner or admin).
func (r Role) Manages() bool { return r.AtLeast(Admin) }

// String returns the role's name.
func (r Role) String() string { return string(r) }

// CanActOn reports whether a member with role actor may change the role of,
// or remove, a member whose current role is target: owners act on anyone,
// admins on anyone but owners, members and guests on nobody. (Whether an
// owner may go is a separate rule: an organization keeps at least one.)
func CanActOn(actor, target Role) bool {
	switch actor {
	case Owner:
		return target.Valid()
	case Admin:
		return target.Valid() && target != Owner
	}
	return false
}

// CanGrant reports whether a member with role actor may give the role r,
// by a role change or an invitation: only managers grant, nobody grants a
// role above their own, so only an owner grants owner.
func CanGrant(actor, r Role) bool {
	return actor.Manages() && r.Valid() && r.Rank() <= actor.Rank()
}
