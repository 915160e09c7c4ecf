package tenancy

import (
	"context"

	"github.com/secuird/secuird/core/audit"
	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/core/identity"
	"github.com/secuird/secuird/core/org"
)

// ProvisionMember is one membership an operator provisions.
type ProvisionMember struct {
	Email string
	Role  org.Role
}

// ProvisionOrgInput describes an organization created by an operator
// (seed data, imports): no email is sent.
type ProvisionOrgInput struct {
	Name        string
	Slug        string
	Description string
	// OwnerEmail names the owner, an existing account; the owner is
	// recorded as the inviter of every other membership.
	OwnerEmail string
	Members    []ProvisionMember
}

// ProvisionResult says what ProvisionOrg did.
type ProvisionResult struct {
	// Org is the organization; DeletedAt is set when the slug belongs to
	// a soft-deleted organization, which is left alone.
	Org     org.Organization
	Created bool
	// Added lists the emails that became members in this call.
	Added []string
	// Skipped lists the emails of soft-deleted accounts, whose
	// memberships were not added.
	Skipped []string
}

// ProvisionOrg creates the organization unless one has the slug, and adds
// every listed membership that does not exist yet (existing memberships
// are left as they are), in one transaction. It is idempotent and leaves
// soft-deleted rows deleted: nothing is done for a deleted organization's
// slug, and a deleted account's membership is skipped, not revived.
// NotFound when an account is missing; Conflict when the organization
// would be created with a deleted owner.
func (s *Service) ProvisionOrg(ctx context.Context, in ProvisionOrgInput) (ProvisionResult, error) {
	const op = "tenancy.ProvisionOrg"
	var v fault.Validation
	if p := org.NameProblem(in.Name); p != "" {
		v.Add("name", p)
	}
	if p := org.SlugProblem(in.Slug); p != "" {
		v.Add("slug", p)
	}
	for _, m := range in.Members {
		if !m.Role.Valid() {
			v.Add("role", "Unknown role "+string(m.Role))
		}
	}
	if err := v.Err(op); err != nil {
		return ProvisionResult{}, err
	}
	var out ProvisionResult
	err := s.d.Tx.InTx(ctx, func(ctx context.Context) error {
		out = ProvisionResult{}
		byEmail := func(email string) (identity.User, error) {
			u, err := s.d.Users.UserByEmailAny(ctx, email)
			if fault.Is(err, fault.NotFound) {
				return identity.User{}, &fault.Error{Op: op, Kind: fault.NotFound, Msg: "No account for " + email}
			}
			return u, err
		}
		var err error
		out.Org, err = s.d.Orgs.OrgBySlugAny(ctx, in.Slug)
		missing := fault.Is(err, fault.NotFound)
		switch {
		case err != nil && !missing:
			return err
		case !missing && out.Org.DeletedAt != nil:
			return nil // a deleted organization stays deleted
		}
		owner, err := byEmail(in.OwnerEmail)
		if err != nil {
			return err
		}
		now := s.now()
		if missing {
			if owner.DeletedAt != nil {
				return &fault.Error{Op: op, Kind: fault.Conflict, Msg: "The owner's account " + owner.Email + " is deleted"}
			}
			out.Org = org.Organization{ID: newID(s.d.Random), Name: in.Name, Slug: in.Slug, Description: in.Description,
				IsActive: true, CreatedAt: now, UpdatedAt: now}
			if err := s.d.Orgs.CreateOrg(ctx, out.Org); err != nil {
				return err
			}
			out.Created = true
			if err := s.record(ctx, audit.Source{}, audit.Entry{ActorID: owner.ID, Action: audit.OrgCreate, Success: true,
				ResourceType: "organization", ResourceID: out.Org.ID, OrgID: out.Org.ID, Description: "provisioned by operator"}); err != nil {
				return err
			}
		}
		all := append([]ProvisionMember{{Email: in.OwnerEmail, Role: org.Owner}}, in.Members...)
		for _, pm := range all {
			u, err := byEmail(pm.Email)
			if err != nil {
				return err
			}
			if u.DeletedAt != nil {
				out.Skipped = append(out.Skipped, u.Email)
				continue
			}
			if _, err := s.d.Members.Member(ctx, out.Org.ID, u.ID); err == nil {
				continue
			} else if !fault.Is(err, fault.NotFound) {
				return err
			}
			m := org.Membership{ID: newID(s.d.Random), OrgID: out.Org.ID, UserID: u.ID, Role: pm.Role,
				JoinedAt: now, CreatedAt: now, UpdatedAt: now}
			if u.ID != owner.ID {
				m.InvitedByID, m.InvitedAt = owner.ID, &now
			}
			if _, err := s.d.Members.AddMember(ctx, m); err != nil {
				return err
			}
			out.Added = append(out.Added, u.Email)
			if err := s.record(ctx, audit.Source{}, audit.Entry{ActorID: owner.ID, Action: audit.OrgMemberAdd, Success: true,
				ResourceType: "user", ResourceID: u.ID, OrgID: out.Org.ID, Description: "provisioned by operator",
				Extra: map[string]any{"role": string(pm.Role)}}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return ProvisionResult{}, fault.Wrap(op, fault.Internal, err)
	}
	return out, nil
}
