// Package tenancy holds the use cases of organizations: create, read,
// update and delete them; list, add, remove and re-role members; transfer
// ownership; invite by email and accept invitations; and manage the
// organization's API keys. Every decision about who may do what is made
// here, from the caller (an Actor) and the organization's stored roles:
//
//   - anything under an organization the caller does not belong to (or an
//     API key of another organization) is NotFound, never Forbidden, so
//     that organization IDs cannot be probed;
//   - a member whose role is too low gets Forbidden (AUTHORIZATION_ERROR);
//   - touching an owner without being one, or leaving an organization
//     without an owner, is Forbidden with code OWNER_PROTECTION.
package tenancy

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/secuird/secuird/core/account"
	"github.com/secuird/secuird/core/audit"
	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/core/identity"
	"github.com/secuird/secuird/core/org"
	"github.com/secuird/secuird/ports"
)

// Config holds the tenancy policy. Zero values take the defaults.
type Config struct {
	// PublicURL is the externally visible base URL of emailed links.
	PublicURL string
	// InviteTTL is an invitation's lifetime (7 days).
	InviteTTL time.Duration
	// KeyTouchInterval is how often an API key's last-used time is
	// written (1 minute).
	KeyTouchInterval time.Duration
}

func (c *Config) setDefaults() {
	if c.InviteTTL <= 0 {
		c.InviteTTL = org.InviteTTL
	}
	if c.KeyTouchInterval <= 0 {
		c.KeyTouchInterval = time.Minute
	}
	c.PublicURL = strings.TrimRight(c.PublicURL, "/")
}

// Registrar creates accounts; the account service implements it. Invite
// acceptance uses it to sign a new user up in the same step.
type Registrar interface {
	Register(ctx context.Context, in account.RegisterInput, src audit.Source) (account.Registration, error)
}

// Deps are the ports the tenancy use cases need.
type Deps struct {
	Tx       ports.Transactor
	Users    ports.UserStore
	Orgs     ports.OrgStore
	Members  ports.MembershipStore
	Invites  ports.InviteStore
	Keys     ports.APIKeyStore
	Audit    ports.AuditLog
	Mailer   ports.Mailer
	Accounts Registrar
	// DeletionHooks run inside the transaction that deletes an
	// organization (the OIDC provider disables the org's clients there).
	DeletionHooks []ports.OrgDeletionHook
	Clock         ports.Clock
	Random        ports.Random
}

// Service runs the tenancy use cases.
type Service struct {
	cfg Config
	d   Deps
}

// New builds the service.
func New(cfg Config, d Deps) *Service {
	cfg.setDefaults()
	return &Service{cfg: cfg, d: d}
}

// The account service asks the tenancy service about organizations.
var _ account.Orgs = (*Service)(nil)

// Actor is the caller of a use case: a signed-in user, or an organization
// API key (a machine, bound to its organization and limited to reading).
type Actor struct {
	User identity.User
	Key  *org.APIKey
}

// UserActor is a signed-in user.
func UserActor(u identity.User) Actor { return Actor{User: u} }

// KeyActor is a machine holding an API key.
func KeyActor(k org.APIKey) Actor { return Actor{Key: &k} }

// isUser reports whether a person (not a key) is calling.
func (a Actor) isUser() bool { return a.Key == nil && a.User.ID != "" }

// PageRequest asks for one page of a listing (1-based; PerPage defaults to
// 20 and is capped at 100).
type PageRequest struct {
	Page    int
	PerPage int
}

// Normalize returns the page and page size actually used.
func (p PageRequest) Normalize() (page, perPage int) {
	page, perPage = p.Page, p.PerPage
	if page < 1 {
		page = 1
	}
	if perPage < 1 {
		perPage = 20
	}
	return page, min(perPage, 100)
}

// PageInfo describes the page returned: the envelope's page, per_page,
// pages and count (total items).
type PageInfo struct {
	Page    int
	PerPage int
	Pages   int
	Count   int
}

// NewPageInfo computes PageInfo for a total count.
func NewPageInfo(p PageRequest, count int) PageInfo {
	page, per := p.Normalize()
	pages := (count + per - 1) / per
	return PageInfo{Page: page, PerPage: per, Pages: pages, Count: count}
}

// Errors.

func errOrgNotFound(op string) error {
	return &fault.Error{Op: op, Kind: fault.NotFound, Msg: "Organization not found"}
}

func errNeedRole(op string, need org.Role) error {
	var names []string
	for _, r := range org.Roles() {
		if r.AtLeast(need) {
			names = append(names, string(r))
		}
	}
	return &fault.Error{Op: op, Kind: fault.Forbidden, Code: "AUTHORIZATION_ERROR",
		Msg: "Requires one of the following roles: " + strings.Join(names, ", ")}
}

func errForbidden(op, msg string) error {
	return &fault.Error{Op: op, Kind: fault.Forbidden, Code: "AUTHORIZATION_ERROR", Msg: msg}
}

func errOwnerProtection(op, msg string) error {
	return &fault.Error{Op: op, Kind: fault.Forbidden, Code: "OWNER_PROTECTION", Msg: msg}
}

func errInvalid(op, field, msg string) error {
	return &fault.Error{Op: op, Kind: fault.Invalid, Msg: "Validation failed", Fields: map[string][]string{field: {msg}}}
}

// ErrKeyReadOnly is the message for an API key used to change something.
const keyReadOnly = "API keys may only read"

// grant is the caller's standing in an organization.
type grant struct {
	Org  org.Organization
	Role org.Role
	// Machine is true for an API key (whose Role is member).
	Machine bool
}

// access resolves the caller's role in orgID and checks it against need.
// Non-members, unknown and deleted organizations, and API keys of another
// organization are NotFound; a role below need is Forbidden. Inside a
// transaction with lock set, the organization is locked first, so that the
// role read is current for the rest of the transaction.
func (s *Service) access(ctx context.Context, op string, a Actor, orgID string, need org.Role, lock bool) (grant, error) {
	var (
		o   org.Organization
		err error
	)
	if a.Key != nil {
		if a.Key.OrgID != orgID {
			return grant{}, errOrgNotFound(op)
		}
		if o, err = s.orgByID(ctx, orgID, lock); err != nil {
			return grant{}, s.notFound(op, err)
		}
		if need.Rank() > org.Member.Rank() {
			return grant{}, errForbidden(op, keyReadOnly)
		}
		return grant{Org: o, Role: org.Member, Machine: true}, nil
	}
	if !a.isUser() {
		return grant{}, errOrgNotFound(op)
	}
	if o, err = s.orgByID(ctx, orgID, lock); err != nil {
		return grant{}, s.notFound(op, err)
	}
	r, err := s.d.Members.Role(ctx, orgID, a.User.ID)
	if err != nil {
		return grant{}, s.notFound(op, err)
	}
	if !r.AtLeast(need) {
		return grant{}, errNeedRole(op, need)
	}
	return grant{Org: o, Role: r}, nil
}

func (s *Service) orgByID(ctx context.Context, id string, lock bool) (org.Organization, error) {
	if lock {
		return s.d.Orgs.LockOrg(ctx, id)
	}
	return s.d.Orgs.OrgByID(ctx, id)
}

// notFound maps a store's NotFound to the organization's 404 and passes
// other errors on.
func (s *Service) notFound(op string, err error) error {
	if fault.Is(err, fault.NotFound) {
		return errOrgNotFound(op)
	}
	return fault.Wrap(op, fault.Internal, err)
}

func (s *Service) now() time.Time { return s.d.Clock.Now().UTC() }

// record appends an audit entry in the caller's transaction.
func (s *Service) record(ctx context.Context, src audit.Source, e audit.Entry) error {
	e.ID = newID(s.d.Random)
	e.At = s.now()
	e.Source = src
	return s.d.Audit.AppendAudit(ctx, e)
}

// actorID is the audit actor: the user, or nobody for a key.
func (a Actor) actorID() string {
	if a.Key != nil {
		return ""
	}
	return a.User.ID
}

// newID returns a random (version 4) UUID.
func newID(r ports.Random) string {
	var b [16]byte
	r.Read(b[:])
	b[6] = (b[6] & 0x0f) | 0x40
	b[8] = (b[8] & 0x3f) | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// newSecret returns 32 random bytes as unpadded base64url (43 characters).
func newSecret(r ports.Random) string {
	var b [32]byte
	r.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// hashToken is the stored form of a bearer secret: hex SHA-256. A fast
// hash is right: the secrets carry 256 bits of entropy.
func hashToken(tok string) string {
	sum := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(sum[:])
}

// link builds an emailed link under the public URL.
func (s *Service) link(path, param, value string) string {
	return s.cfg.PublicURL + path + "?" + param + "=" + url.QueryEscape(value)
}

// humanDuration renders a lifetime for an email ("7 days").
func humanDuration(d time.Duration) string {
	switch {
	case d >= 48*time.Hour && d%(24*time.Hour) == 0:
		return strconv.Itoa(int(d/(24*time.Hour))) + " days"
	case d >= time.Hour && d%time.Hour == 0:
		if d == time.Hour {
			return "1 hour"
		}
		return strconv.Itoa(int(d/time.Hour)) + " hours"
	}
	return strconv.Itoa(int(d/time.Minute)) + " minutes"
}

// displayName is how a user is named in emails: the name, else the email.
func displayName(u identity.User) string {
	if strings.TrimSpace(u.FullName) != "" {
		return u.FullName
	}
	return u.Email
}
