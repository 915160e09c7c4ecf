package ports

import (
	"context"
	"time"

	"github.com/secuird/secuird/core/org"
)

// Tenancy ports. Every method about an organization's objects takes the
// organization's ID explicitly and never returns another organization's
// rows: an object of org B asked for under org A is NotFound.

// OrgStore keeps organizations.
type OrgStore interface {
	// CreateOrg inserts o. Conflict when a live organization has the same
	// slug (a deleted organization's slug is free again).
	CreateOrg(ctx context.Context, o org.Organization) error
	// OrgByID returns a live organization. NotFound when absent or deleted.
	OrgByID(ctx context.Context, id string) (org.Organization, error)
	// OrgBySlug returns the live organization with that slug. NotFound otherwise.
	OrgBySlug(ctx context.Context, slug string) (org.Organization, error)
	// OrgBySlugAny returns the organization with that slug, deleted or
	// not: the live one when there is one, otherwise the most recently
	// deleted. NotFound when no organization has had the slug.
	OrgBySlugAny(ctx context.Context, slug string) (org.Organization, error)
	// UpdateOrg applies fn to the live organization in one transaction and
	// stores the result (ID and CreatedAt cannot change). fn may be
	// retried, so it must be pure. NotFound when absent or deleted;
	// Conflict when the new slug is taken; fn's own error is returned as is.
	UpdateOrg(ctx context.Context, id string, fn func(org.Organization) (org.Organization, error)) (org.Organization, error)
	// LockOrg returns the live organization and, inside a transaction,
	// holds a lock on it until the transaction ends, so that membership
	// changes of one organization (the last-owner rule) run one after
	// another. NotFound when absent or deleted.
	LockOrg(ctx context.Context, id string) (org.Organization, error)
	// DeleteOrg soft-deletes and deactivates the live organization at `at`.
	// NotFound when absent or already deleted.
	DeleteOrg(ctx context.Context, id string, at time.Time) error
}

// MembershipStore keeps who belongs to which organization, with what role.
// "Live member" means a membership that is not removed, of a live user in
// a live organization.
type MembershipStore interface {
	// AddMember makes m live: it inserts m or, when the user was a member
	// before, revives that row (keeping its ID) with m's role, inviter and
	// times. It returns the stored membership. Conflict when the user is a
	// live member already; NotFound when the organization or the user
	// does not exist.
	AddMember(ctx context.Context, m org.Membership) (org.Membership, error)
	// Member returns a live membership. NotFound otherwise.
	Member(ctx context.Context, orgID, userID string) (org.Membership, error)
	// Role returns a live member's role. NotFound when the user is not a
	// live member of the live organization (the audit views use it to
	// scope what a viewer may read).
	Role(ctx context.Context, orgID, userID string) (org.Role, error)
	// SetMemberRole changes a live member's role at `at` and returns the
	// membership. NotFound when not a live member.
	SetMemberRole(ctx context.Context, orgID, userID string, r org.Role, at time.Time) (org.Membership, error)
	// RemoveMember soft-deletes a live membership at `at`. NotFound when
	// not a live member.
	RemoveMember(ctx context.Context, orgID, userID string, at time.Time) error
	// ListMembers returns one page of the organization's live members with
	// their accounts (one query, no N+1), highest role first, then by
	// email, and the total number of matches.
	ListMembers(ctx context.Context, orgID string, q MemberQuery) ([]org.MemberUser, int, error)
	// CountMembers counts the organization's live members per role.
	CountMembers(ctx context.Context, orgID string) (map[org.Role]int, error)
	// OrgsOfUser lists the live organizations where the user is a live
	// member, with the membership, by organization name.
	OrgsOfUser(ctx context.Context, userID string) ([]org.UserOrg, error)
	// OrgIDsAdministeredBy returns the IDs of the live organizations in
	// which the user is a live owner or admin (the audit views and admin
	// user management use it to scope what an org admin may see).
	OrgIDsAdministeredBy(ctx context.Context, userID string) ([]string, error)
	// MembershipsOfUsers returns the memberships of the given users in the
	// given live organizations (every live organization when orgIDs is
	// nil): live ones, and those removed together with their deleted user.
	// One query for a whole page of users.
	MembershipsOfUsers(ctx context.Context, userIDs, orgIDs []string) ([]org.Membership, error)
	// RemoveOrgMembers soft-deletes every live membership of the
	// organization at `at` and returns how many.
	RemoveOrgMembers(ctx context.Context, orgID string, at time.Time) (int, error)
	// RemoveUserMemberships soft-deletes every live membership of the user
	// at `at` and returns how many.
	RemoveUserMemberships(ctx context.Context, userID string, at time.Time) (int, error)
	// RestoreUserMemberships revives, at now, the user's memberships in
	// live organizations that were removed at exactly `removedAt` (by
	// RemoveUserMemberships when the account was deleted), and returns
	// how many.
	RestoreUserMemberships(ctx context.Context, userID string, removedAt, now time.Time) (int, error)
}

// MemberQuery selects members for a listing.
type MemberQuery struct {
	// Role, when set, lists only members with that role.
	Role org.Role
	// Offset and Limit select the page (Limit <= 0: every member).
	Offset, Limit int
}

// InviteStore keeps invitations. "Pending" means not accepted, not
// cancelled, not expired, in a live organization.
type InviteStore interface {
	// CreateInvite stores inv. Conflict when the token hash exists;
	// NotFound when the organization does not exist.
	CreateInvite(ctx context.Context, inv org.Invite) error
	// PendingInvite returns the invite with that token hash if it is
	// pending at now. NotFound otherwise (unknown, used, cancelled,
	// expired, or its organization deleted).
	PendingInvite(ctx context.Context, tokenHash string, now time.Time) (org.InviteSummary, error)
	// AcceptInvite marks the invite with that token hash accepted by
	// userID at now, if it is pending, and returns it. It is one
	// conditional update: of any number of concurrent calls exactly one
	// succeeds. NotFound otherwise.
	AcceptInvite(ctx context.Context, tokenHash, userID string, now time.Time) (org.Invite, error)
	// ListInvites lists the organization's pending invites, newest first.
	ListInvites(ctx context.Context, orgID string, now time.Time) ([]org.InviteSummary, error)
	// CancelInvite cancels one pending invite of the organization at `at`
	// and returns it. NotFound when absent, of another organization or not
	// pending.
	CancelInvite(ctx context.Context, orgID, id string, at time.Time) (org.Invite, error)
	// CancelEmailInvites cancels the organization's pending invites for
	// email and returns how many.
	CancelEmailInvites(ctx context.Context, orgID, email string, at time.Time) (int, error)
	// CancelOrgInvites cancels every pending invite of the organization
	// and returns how many.
	CancelOrgInvites(ctx context.Context, orgID string, at time.Time) (int, error)
	// InvitesForEmail lists the pending invites for email (compared
	// lower-cased), newest first.
	InvitesForEmail(ctx context.Context, email string, now time.Time) ([]org.InviteSummary, error)
}

// APIKeyStore keeps organizations' API keys (hashes only).
type APIKeyStore interface {
	// CreateAPIKey stores k. Conflict when the hash exists; NotFound when
	// the organization does not exist.
	CreateAPIKey(ctx context.Context, k org.APIKey) error
	// APIKeyByHash returns the unrevoked key with that hash whose
	// organization is live. NotFound otherwise.
	APIKeyByHash(ctx context.Context, keyHash string) (org.APIKey, error)
	// APIKey returns one key of the organization, revoked or not. NotFound
	// when absent or of another organization.
	APIKey(ctx context.Context, orgID, id string) (org.APIKey, error)
	// ListAPIKeys lists the organization's keys, revoked ones included,
	// newest first.
	ListAPIKeys(ctx context.Context, orgID string) ([]org.APIKey, error)
	// UpdateAPIKey applies fn to one key of the organization in one
	// transaction and stores the result (ID, OrgID, KeyHash, Hint and
	// CreatedAt cannot change). fn may be retried, so it must be pure.
	// NotFound when absent or of another organization.
	UpdateAPIKey(ctx context.Context, orgID, id string, fn func(org.APIKey) (org.APIKey, error)) (org.APIKey, error)
	// TouchAPIKey records that the key was used at `at` (never moving the
	// time backwards). NotFound when absent or of another organization.
	TouchAPIKey(ctx context.Context, orgID, id string, at time.Time) error
	// RevokeOrgAPIKeys revokes every unrevoked key of the organization at
	// `at` with reason and returns how many.
	RevokeOrgAPIKeys(ctx context.Context, orgID string, at time.Time, reason string) (int, error)
}

// OrgDeletionHook lets a feature that owns organization-scoped objects
// (OIDC clients and their refresh tokens, SSH CAs) disable them when the
// organization is deleted. It runs inside the deleting transaction; an
// error aborts the deletion.
type OrgDeletionHook interface {
	OrgDeleted(ctx context.Context, orgID string, at time.Time) error
}
