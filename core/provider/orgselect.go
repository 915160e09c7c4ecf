package provider

import (
	"context"
	"slices"

	"github.com/secuird/secuird/core/audit"
	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/core/oidc"
	"github.com/secuird/secuird/core/org"
)

// StepOrg shows the organization selection page (Decision.Orgs): the
// request asked for the "organization" scope and the user belongs to
// several organizations.
const StepOrg = StepDone + 1

// OrgChoice is one organization the user may scope a login to.
type OrgChoice struct {
	ID, Slug, Name, LogoURL string
	Role                    string
}

// OrgClaim is the organization a login was scoped to (scope
// "organization"), as the ID token and userinfo carry it.
type OrgClaim struct {
	ID, Slug, Name, Role string
}

// wantsOrgChoice reports whether a request asks for the organization scope
// and has no organization yet (no org:<slug> scope).
func wantsOrgChoice(a oidc.AuthRequest) bool {
	return slices.Contains(a.Scopes, oidc.ScopeOrganization) && len(oidc.OrgSlugs(a.Scopes)) == 0
}

// userOrgChoices lists the live, active organizations of the user.
func (s *Service) userOrgChoices(ctx context.Context, userID string) ([]OrgChoice, error) {
	if s.d.Members == nil {
		return nil, nil
	}
	orgs, err := s.d.Members.OrgsOfUser(ctx, userID)
	if err != nil {
		return nil, err
	}
	out := make([]OrgChoice, 0, len(orgs))
	for _, uo := range orgs {
		if !uo.Org.IsActive || uo.Org.Deleted() {
			continue
		}
		out = append(out, OrgChoice{ID: uo.Org.ID, Slug: uo.Org.Slug, Name: uo.Org.Name, LogoURL: uo.Org.LogoURL, Role: string(uo.Membership.Role)})
	}
	return out, nil
}

// orgStep runs between login and consent for a request with the
// organization scope: no organization refuses the request (access_denied),
// one is chosen at once, several need the user's choice (StepOrg; with
// prompt=none interaction_required). stop reports that d is the answer.
func (s *Service) orgStep(ctx context.Context, d Decision, userID string, src audit.Source) (Decision, bool, error) {
	const op = "provider.orgStep"
	if !wantsOrgChoice(d.Request) {
		return d, false, nil
	}
	choices, err := s.userOrgChoices(ctx, userID)
	if err != nil {
		return Decision{}, true, fault.Wrap(op, fault.Unavailable, err)
	}
	switch len(choices) {
	case 0:
		_ = s.record(ctx, src, audit.Entry{ActorID: userID, Action: ActAuthorizationFailure, ResourceType: "oidc_client",
			ResourceID: d.Client.ClientID, OrgID: d.Client.OrgID, Error: "no_organization"})
		if d.Request.ResponseType == oidc.ResponseTypeDevice {
			_ = s.finishDevice(ctx, d.Request, false)
		}
		return d, true, &fault.Error{Op: op, Kind: fault.Forbidden, Code: CodeAccessDenied,
			Msg: "The application requires an organization, and the user is not a member of any"}
	case 1:
		a, err := s.scopeToOrg(ctx, d.Request.ID, choices[0].Slug)
		if err != nil {
			return Decision{}, true, err
		}
		d.Request = a
		return d, false, nil
	}
	if d.Request.HasPrompt("none") {
		return d, true, &fault.Error{Op: op, Kind: fault.Invalid, Code: CodeInteractionRequired,
			Msg: "The user must choose an organization"}
	}
	d.Step, d.Orgs = StepOrg, choices
	return d, true, nil
}

// scopeToOrg stores the chosen organization on the request as its
// org:<slug> scope (the claims and the membership check at completion
// follow from it).
func (s *Service) scopeToOrg(ctx context.Context, id, slug string) (oidc.AuthRequest, error) {
	const op = "provider.scopeToOrg"
	a, err := s.d.Requests.UpdateAuthRequest(ctx, id, func(a oidc.AuthRequest) (oidc.AuthRequest, error) {
		if a.Done() || a.CodeHash != "" {
			return a, fault.E(op, fault.NotFound, "The sign-in request was already completed")
		}
		if wantsOrgChoice(a) {
			a.Scopes = append(slices.Clone(a.Scopes), oidc.ScopeOrgPrefix+slug)
		}
		return a, nil
	})
	if err != nil {
		if fault.Is(err, fault.NotFound) {
			return oidc.AuthRequest{}, err
		}
		return oidc.AuthRequest{}, fault.Wrap(op, fault.Internal, err)
	}
	return a, nil
}

// ChooseOrg records the organization the user picked on the selection
// page and continues as Next does. The choice must be one the page
// offered (a live membership of the session's user); anything else is
// Invalid and changes nothing.
func (s *Service) ChooseOrg(ctx context.Context, id string, sess *Session, orgID string, src audit.Source) (Decision, error) {
	const op = "provider.ChooseOrg"
	d, err := s.Next(ctx, id, sess, src)
	if err != nil || d.Step != StepOrg {
		return d, err
	}
	i := slices.IndexFunc(d.Orgs, func(o OrgChoice) bool { return o.ID == orgID })
	if i < 0 {
		return d, fault.E(op, fault.Invalid, "Choose one of your organizations")
	}
	if _, err := s.scopeToOrg(ctx, id, d.Orgs[i].Slug); err != nil {
		return Decision{}, err
	}
	return s.Next(ctx, id, sess, src)
}

// ClientOrg returns the organization that owns a client, for the
// org-branded sign-in page; NotFound for a platform client or a deleted
// organization.
func (s *Service) ClientOrg(ctx context.Context, c oidc.Client) (org.Organization, error) {
	const op = "provider.ClientOrg"
	if c.OrgID == "" || s.d.Orgs == nil {
		return org.Organization{}, fault.E(op, fault.NotFound, "The client has no organization")
	}
	o, err := s.d.Orgs.OrgByID(ctx, c.OrgID)
	if err != nil {
		if fault.Is(err, fault.NotFound) {
			return org.Organization{}, fault.E(op, fault.NotFound, "The client has no organization")
		}
		return org.Organization{}, fault.Wrap(op, fault.Unavailable, err)
	}
	return o, nil
}

// orgClaim is the organization claim of scopes with "organization" and
// exactly one org:<slug>; nil when the user is no longer a member.
func (s *Service) orgClaim(ctx context.Context, userID string, scopes []string) (*OrgClaim, error) {
	slugs := oidc.OrgSlugs(scopes)
	if !slices.Contains(scopes, oidc.ScopeOrganization) || len(slugs) != 1 || s.d.Orgs == nil || s.d.Members == nil {
		return nil, nil
	}
	o, err := s.d.Orgs.OrgBySlug(ctx, slugs[0])
	if fault.Is(err, fault.NotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	r, err := s.d.Members.Role(ctx, o.ID, userID)
	if fault.Is(err, fault.NotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &OrgClaim{ID: o.ID, Slug: o.Slug, Name: o.Name, Role: string(r)}, nil
}
