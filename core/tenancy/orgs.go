package tenancy

import (
	"context"
	"net/url"
	"strings"

	"github.com/secuird/secuird/core/audit"
	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/core/org"
)

// OrgInput is the body of an organization create (every field) or update
// (nil fields are left alone; the slug cannot change).
type OrgInput struct {
	Name        *string
	Slug        *string
	Description *string
	LogoURL     *string
}

// OrgDetail is an organization as its members see it.
type OrgDetail struct {
	Org         org.Organization
	MemberCount int
	// Role is the caller's role (member for an API key).
	Role org.Role
}

// cleanOrgInput validates the fields present in in.
func cleanOrgInput(v *fault.Validation, in OrgInput, create bool) (name, slug, desc, logo string) {
	if in.Name != nil || create {
		if in.Name != nil {
			name = strings.TrimSpace(*in.Name)
		}
		if p := org.NameProblem(name); p != "" {
			v.Add("name", p)
		}
	}
	if create {
		if in.Slug != nil {
			slug = strings.TrimSpace(*in.Slug)
		}
		if slug == "" {
			v.Add("slug", "Slug is required")
		} else if p := org.SlugProblem(slug); p != "" {
			v.Add("slug", p)
		}
	}
	if in.Description != nil {
		desc = strings.TrimSpace(*in.Description)
		if len([]rune(desc)) > org.MaxDescriptionLen {
			v.Add("description", "Must be at most 2000 characters")
		} else if strings.ContainsRune(desc, 0) {
			v.Add("description", "Must not contain control characters")
		}
	}
	if in.LogoURL != nil {
		logo = strings.TrimSpace(*in.LogoURL)
		if logo != "" {
			u, err := url.Parse(logo)
			if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil || len(logo) > org.MaxURLLen {
				v.Add("logo_url", "Must be an http(s) URL of at most 2048 characters")
			}
		}
	}
	return name, slug, desc, logo
}

// CreateOrg creates an organization with the caller as its owner. Anyone
// signed in may create one; API keys may not.
func (s *Service) CreateOrg(ctx context.Context, a Actor, in OrgInput, src audit.Source) (OrgDetail, error) {
	const op = "tenancy.CreateOrg"
	if !a.isUser() {
		return OrgDetail{}, errForbidden(op, keyReadOnly)
	}
	var v fault.Validation
	name, slug, desc, logo := cleanOrgInput(&v, in, true)
	if err := v.Err(op); err != nil {
		return OrgDetail{}, err
	}
	now := s.now()
	o := org.Organization{
		ID: newID(s.d.Random), Name: name, Slug: slug, Description: desc, LogoURL: logo, IsActive: true,
		CreatedAt: now, UpdatedAt: now,
	}
	err := s.d.Tx.InTx(ctx, func(ctx context.Context) error {
		if err := s.d.Orgs.CreateOrg(ctx, o); err != nil {
			if fault.Is(err, fault.Conflict) {
				return &fault.Error{Op: op, Kind: fault.Conflict, Msg: "An organization with this slug already exists",
					Fields: map[string][]string{"slug": {"This slug is taken"}}}
			}
			return err
		}
		if _, err := s.d.Members.AddMember(ctx, org.Membership{
			ID: newID(s.d.Random), OrgID: o.ID, UserID: a.User.ID, Role: org.Owner,
			JoinedAt: now, CreatedAt: now, UpdatedAt: now,
		}); err != nil {
			return err
		}
		return s.record(ctx, src, audit.Entry{ActorID: a.User.ID, Action: audit.OrgCreate, Success: true,
			ResourceType: "organization", ResourceID: o.ID, OrgID: o.ID, Extra: map[string]any{"name": name, "slug": slug}})
	})
	if err != nil {
		return OrgDetail{}, fault.Wrap(op, fault.Internal, err)
	}
	return OrgDetail{Org: o, MemberCount: 1, Role: org.Owner}, nil
}

// GetOrg returns an organization with its member count. Any member
// (guests included) and the organization's API keys may read it.
func (s *Service) GetOrg(ctx context.Context, a Actor, orgID string) (OrgDetail, error) {
	const op = "tenancy.GetOrg"
	g, err := s.access(ctx, op, a, orgID, org.Guest, false)
	if err != nil {
		return OrgDetail{}, err
	}
	counts, err := s.d.Members.CountMembers(ctx, orgID)
	if err != nil {
		return OrgDetail{}, fault.Wrap(op, fault.Internal, err)
	}
	return OrgDetail{Org: g.Org, MemberCount: total(counts), Role: g.Role}, nil
}

func total(counts map[org.Role]int) int {
	n := 0
	for _, c := range counts {
		n += c
	}
	return n
}

// UpdateOrg changes an organization's name, description or logo (owners
// and admins).
func (s *Service) UpdateOrg(ctx context.Context, a Actor, orgID string, in OrgInput, src audit.Source) (OrgDetail, error) {
	const op = "tenancy.UpdateOrg"
	if in.Slug != nil {
		return OrgDetail{}, errInvalid(op, "slug", "The slug cannot be changed")
	}
	var out OrgDetail
	err := s.d.Tx.InTx(ctx, func(ctx context.Context) error {
		g, err := s.access(ctx, op, a, orgID, org.Admin, true)
		if err != nil {
			return err
		}
		var v fault.Validation
		name, _, desc, logo := cleanOrgInput(&v, in, false)
		if err := v.Err(op); err != nil {
			return err
		}
		var changed []string
		o, err := s.d.Orgs.UpdateOrg(ctx, orgID, func(o org.Organization) (org.Organization, error) {
			changed = changed[:0]
			if in.Name != nil && o.Name != name {
				o.Name = name
				changed = append(changed, "name")
			}
			if in.Description != nil && o.Description != desc {
				o.Description = desc
				changed = append(changed, "description")
			}
			if in.LogoURL != nil && o.LogoURL != logo {
				o.LogoURL = logo
				changed = append(changed, "logo_url")
			}
			o.UpdatedAt = s.now()
			return o, nil
		})
		if err != nil {
			return err
		}
		counts, err := s.d.Members.CountMembers(ctx, orgID)
		if err != nil {
			return err
		}
		out = OrgDetail{Org: o, MemberCount: total(counts), Role: g.Role}
		return s.record(ctx, src, audit.Entry{ActorID: a.actorID(), Action: audit.OrgUpdate, Success: true,
			ResourceType: "organization", ResourceID: orgID, OrgID: orgID, Extra: map[string]any{"fields": changed}})
	})
	if err != nil {
		return OrgDetail{}, fault.Wrap(op, fault.Internal, err)
	}
	return out, nil
}

// DeleteOrg soft-deletes an organization (owners only). When it has
// members besides the caller, confirm must be true (else 400
// CONFIRMATION_REQUIRED). The memberships are removed, pending invites
// cancelled, API keys revoked and every deletion hook run, in one
// transaction; the slug is free again at once.
func (s *Service) DeleteOrg(ctx context.Context, a Actor, orgID string, confirm bool, src audit.Source) error {
	const op = "tenancy.DeleteOrg"
	err := s.d.Tx.InTx(ctx, func(ctx context.Context) error {
		if _, err := s.access(ctx, op, a, orgID, org.Owner, true); err != nil {
			return err
		}
		counts, err := s.d.Members.CountMembers(ctx, orgID)
		if err != nil {
			return err
		}
		if others := total(counts) - 1; others > 0 && !confirm {
			return &fault.Error{Op: op, Kind: fault.Invalid, Code: "CONFIRMATION_REQUIRED",
				Msg:     "The organization has other members; send {\"confirm\": true} to delete it",
				Fields:  map[string][]string{"confirm": {"Required when the organization has other members"}},
				Details: map[string]any{"member_count": total(counts)}}
		}
		return s.deleteOrgTx(ctx, orgID, a.actorID(), "", src)
	})
	return fault.Wrap(op, fault.Internal, err)
}

// deleteOrgTx deletes an organization inside the caller's transaction and
// audits it. It is the one place that knows what goes with an
// organization: memberships, pending invites, API keys and whatever the
// deletion hooks own (OIDC clients and their tokens, later SSH CAs).
func (s *Service) deleteOrgTx(ctx context.Context, orgID, actorID, why string, src audit.Source) error {
	now := s.now()
	if err := s.d.Orgs.DeleteOrg(ctx, orgID, now); err != nil {
		return err
	}
	members, err := s.d.Members.RemoveOrgMembers(ctx, orgID, now)
	if err != nil {
		return err
	}
	invites, err := s.d.Invites.CancelOrgInvites(ctx, orgID, now)
	if err != nil {
		return err
	}
	keys, err := s.d.Keys.RevokeOrgAPIKeys(ctx, orgID, now, "organization deleted")
	if err != nil {
		return err
	}
	for _, h := range s.d.DeletionHooks {
		if err := h.OrgDeleted(ctx, orgID, now); err != nil {
			return err
		}
	}
	return s.record(ctx, src, audit.Entry{ActorID: actorID, Action: audit.OrgDelete, Success: true,
		ResourceType: "organization", ResourceID: orgID, OrgID: orgID, Description: why,
		Extra: map[string]any{"members_removed": members, "invites_cancelled": invites, "api_keys_revoked": keys}})
}

// MyOrgs lists the caller's organizations with the caller's role.
func (s *Service) MyOrgs(ctx context.Context, a Actor) ([]org.UserOrg, error) {
	const op = "tenancy.MyOrgs"
	if !a.isUser() {
		return nil, errForbidden(op, "Only people have organizations")
	}
	out, err := s.d.Members.OrgsOfUser(ctx, a.User.ID)
	return out, fault.Wrap(op, fault.Internal, err)
}

// UserOrgs lists a user's live organizations (account.Orgs).
func (s *Service) UserOrgs(ctx context.Context, userID string) ([]org.UserOrg, error) {
	out, err := s.d.Members.OrgsOfUser(ctx, userID)
	return out, fault.Wrap("tenancy.UserOrgs", fault.Internal, err)
}
