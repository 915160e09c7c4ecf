package httpapi

import (
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/secuird/secuird/core/admin"
	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/core/org"
	"github.com/secuird/secuird/core/tenancy"
)

// orgView is an organization as the API shows it.
type orgView struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	Slug        string    `json:"slug"`
	Description string    `json:"description"`
	LogoURL     string    `json:"logo_url"`
	IsActive    bool      `json:"is_active"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
	MemberCount *int      `json:"member_count,omitempty"`
	Role        string    `json:"role,omitempty"`
}

func viewOrg(o org.Organization) orgView {
	return orgView{ID: o.ID, Name: o.Name, Slug: o.Slug, Description: o.Description, LogoURL: o.LogoURL,
		IsActive: o.IsActive, CreatedAt: o.CreatedAt, UpdatedAt: o.UpdatedAt}
}

func viewOrgDetail(d tenancy.OrgDetail) orgView {
	v := viewOrg(d.Org)
	n := d.MemberCount
	v.MemberCount, v.Role = &n, string(d.Role)
	return v
}

// userOrgView is one of "my organizations" (and /auth/me's orgs).
type userOrgView struct {
	ID       string    `json:"id"`
	Name     string    `json:"name"`
	Slug     string    `json:"slug"`
	LogoURL  string    `json:"logo_url"`
	Role     string    `json:"role"`
	JoinedAt time.Time `json:"joined_at"`
}

func viewUserOrgs(list []org.UserOrg) []userOrgView {
	out := make([]userOrgView, len(list))
	for i, uo := range list {
		out[i] = userOrgView{ID: uo.Org.ID, Name: uo.Org.Name, Slug: uo.Org.Slug, LogoURL: uo.Org.LogoURL,
			Role: string(uo.Membership.Role), JoinedAt: uo.Membership.JoinedAt}
	}
	return out
}

// membershipView is /users/me/memberships: the membership with its
// organization (departments and principals arrive with the SSH CA).
type membershipView struct {
	ID             string     `json:"id"`
	OrganizationID string     `json:"organization_id"`
	Organization   orgView    `json:"organization"`
	Role           string     `json:"role"`
	InvitedByID    string     `json:"invited_by_id,omitempty"`
	InvitedAt      *time.Time `json:"invited_at"`
	JoinedAt       time.Time  `json:"joined_at"`
}

// memberUserView is the nested user of a member.
type memberUserView struct {
	ID            string `json:"id"`
	Email         string `json:"email"`
	FullName      string `json:"full_name"`
	AvatarURL     string `json:"avatar_url"`
	EmailVerified bool   `json:"email_verified"`
	Status        string `json:"status"`
}

// memberView is one member of an organization.
type memberView struct {
	ID             string          `json:"id"`
	UserID         string          `json:"user_id"`
	OrganizationID string          `json:"organization_id"`
	Role           string          `json:"role"`
	InvitedByID    string          `json:"invited_by_id,omitempty"`
	InvitedAt      *time.Time      `json:"invited_at"`
	JoinedAt       time.Time       `json:"joined_at"`
	User           *memberUserView `json:"user,omitempty"`
}

func viewMembership(m org.Membership) memberView {
	return memberView{ID: m.ID, UserID: m.UserID, OrganizationID: m.OrgID, Role: string(m.Role),
		InvitedByID: m.InvitedByID, InvitedAt: m.InvitedAt, JoinedAt: m.JoinedAt}
}

func viewMember(m org.MemberUser) memberView {
	v := viewMembership(m.Membership)
	v.User = &memberUserView{ID: m.UserID, Email: m.Email, FullName: m.FullName, AvatarURL: m.AvatarURL,
		EmailVerified: m.EmailVerified, Status: m.Status}
	return v
}

func viewMembers(list []org.MemberUser) []memberView {
	out := make([]memberView, len(list))
	for i, m := range list {
		out[i] = viewMember(m)
	}
	return out
}

// inviteView is an invitation; the token is never part of it.
type inviteView struct {
	ID               string    `json:"id"`
	OrganizationID   string    `json:"organization_id"`
	OrganizationName string    `json:"organization_name,omitempty"`
	OrganizationSlug string    `json:"organization_slug,omitempty"`
	Email            string    `json:"email"`
	Role             string    `json:"role"`
	InvitedByID      string    `json:"invited_by_id,omitempty"`
	InviterName      string    `json:"inviter_name,omitempty"`
	CreatedAt        time.Time `json:"created_at"`
	ExpiresAt        time.Time `json:"expires_at"`
}

func viewInvite(i org.Invite) inviteView {
	return inviteView{ID: i.ID, OrganizationID: i.OrgID, Email: i.Email, Role: string(i.Role),
		InvitedByID: i.InvitedByID, CreatedAt: i.CreatedAt, ExpiresAt: i.ExpiresAt}
}

func viewInviteSummary(i org.InviteSummary) inviteView {
	v := viewInvite(i.Invite)
	v.OrganizationName, v.OrganizationSlug, v.InviterName = i.OrgName, i.OrgSlug, i.InviterName
	return v
}

func viewInvites(list []org.InviteSummary) []inviteView {
	out := make([]inviteView, len(list))
	for i, inv := range list {
		out[i] = viewInviteSummary(inv)
	}
	return out
}

// apiKeyView is an API key without the key: its hint and metadata.
type apiKeyView struct {
	ID             string     `json:"id"`
	OrganizationID string     `json:"organization_id"`
	Name           string     `json:"name"`
	Description    string     `json:"description"`
	KeyPrefix      string     `json:"key_prefix"`
	CreatedByID    string     `json:"created_by_id,omitempty"`
	CreatedAt      time.Time  `json:"created_at"`
	UpdatedAt      time.Time  `json:"updated_at"`
	LastUsedAt     *time.Time `json:"last_used_at"`
	IsRevoked      bool       `json:"is_revoked"`
	RevokedAt      *time.Time `json:"revoked_at"`
	RevokeReason   string     `json:"revoke_reason,omitempty"`
}

func viewAPIKey(k org.APIKey) apiKeyView {
	return apiKeyView{ID: k.ID, OrganizationID: k.OrgID, Name: k.Name, Description: k.Description, KeyPrefix: k.Hint,
		CreatedByID: k.CreatedByID, CreatedAt: k.CreatedAt, UpdatedAt: k.UpdatedAt, LastUsedAt: k.LastUsedAt,
		IsRevoked: k.Revoked(), RevokedAt: k.RevokedAt, RevokeReason: k.RevokeReason}
}

// adminOrgRole is one organization of a user in the admin views.
type adminOrgRole struct {
	OrgID   string `json:"org_id"`
	OrgRole string `json:"org_role"`
}

// adminUserView is a user in admin user management: the profile plus
// is_deleted and the memberships the viewer may see (org_id and org_role
// repeat the first of them, as the previous system had a single pair).
type adminUserView struct {
	userView
	IsDeleted     bool           `json:"is_deleted"`
	DeletedAt     *time.Time     `json:"deleted_at"`
	OrgID         string         `json:"org_id,omitempty"`
	OrgRole       string         `json:"org_role,omitempty"`
	Organizations []adminOrgRole `json:"organizations"`
}

func viewAdminUser(e admin.UserEntry) adminUserView {
	v := adminUserView{userView: viewUser(e.User), IsDeleted: e.User.Deleted(), DeletedAt: e.User.DeletedAt,
		Organizations: make([]adminOrgRole, len(e.Memberships))}
	for i, m := range e.Memberships {
		v.Organizations[i] = adminOrgRole{OrgID: m.OrgID, OrgRole: string(m.Role)}
	}
	if len(e.Memberships) > 0 {
		v.OrgID, v.OrgRole = e.Memberships[0].OrgID, string(e.Memberships[0].Role)
	}
	return v
}

// pageRequest reads ?page= and ?per_page= (or its alias ?page_size=).
func pageRequest(c *fiber.Ctx) (tenancy.PageRequest, error) {
	const op = "httpapi.pageRequest"
	var v fault.Validation
	num := func(name string) int {
		s := c.Query(name)
		if s == "" {
			return 0
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 1_000_000 {
			v.Add(name, "Must be a positive integer")
			return 0
		}
		return n
	}
	p := tenancy.PageRequest{Page: num("page"), PerPage: num("per_page")}
	if p.PerPage == 0 {
		p.PerPage = num("page_size")
	}
	return p, v.Err(op)
}

// paged is the data of a paginated listing: the items under their name
// plus page, per_page, pages and count (SEED-SPEC 3.1).
func paged(name string, items any, pi tenancy.PageInfo) fiber.Map {
	return fiber.Map{name: items, "page": pi.Page, "per_page": pi.PerPage, "pages": pi.Pages, "count": pi.Count}
}
