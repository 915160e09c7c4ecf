package account

import (
	"context"
	"time"

	"github.com/secuird/secuird/core/audit"
	"github.com/secuird/secuird/core/identity"
	"github.com/secuird/secuird/core/org"
)

// Orgs is what the account use cases need to know about organizations.
// The tenancy service implements it; the account package never sees the
// tenancy internals (and tenancy may call account without a cycle). A nil
// Orgs in Deps means an installation without organizations.
type Orgs interface {
	// UserOrgs lists the user's live organizations with the membership
	// (for /auth/me and the login's requires_org_setup).
	UserOrgs(ctx context.Context, userID string) ([]org.UserOrg, error)
	// PendingInvites lists the invitations waiting for the user's email
	// (empty while the email is unverified).
	PendingInvites(ctx context.Context, u identity.User) ([]org.InviteSummary, error)
	// UserDeleting runs inside the transaction that deletes the account at
	// `at`: it refuses (USER_IS_SOLE_OWNER) while the user is the only
	// owner of an organization with other members, deletes the
	// organizations the user is alone in, and removes every membership at
	// `at` so that a restore can bring them back.
	UserDeleting(ctx context.Context, u identity.User, at time.Time, src audit.Source) error
}

// OrgSetup tells a freshly signed-in client whether the user has an
// organization yet and which invitations wait for them (SEED-SPEC 8.1
// step 6).
type OrgSetup struct {
	// RequiresOrgSetup is true when the user belongs to no organization.
	RequiresOrgSetup bool
	// PendingInvites are the invitations for the user's (verified) email.
	PendingInvites []org.InviteSummary
}

// orgSetup computes OrgSetup; with no Orgs configured nothing is required.
func (s *Service) orgSetup(ctx context.Context, u identity.User) (OrgSetup, error) {
	if s.d.Orgs == nil {
		return OrgSetup{PendingInvites: []org.InviteSummary{}}, nil
	}
	orgs, err := s.d.Orgs.UserOrgs(ctx, u.ID)
	if err != nil {
		return OrgSetup{}, err
	}
	inv, err := s.d.Orgs.PendingInvites(ctx, u)
	if err != nil {
		return OrgSetup{}, err
	}
	if inv == nil {
		inv = []org.InviteSummary{}
	}
	return OrgSetup{RequiresOrgSetup: len(orgs) == 0, PendingInvites: inv}, nil
}
