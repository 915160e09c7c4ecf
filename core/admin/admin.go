// Package admin holds the use cases of user administration (SEED-SPEC 4.8)
// and of the platform-admin flag.
//
// Who sees whom: a platform admin sees every user; an owner or admin of
// organizations sees the users of those organizations (live members, and
// deleted users whose memberships went with their account) and nobody
// else; everyone else is refused. Who may act on whom: never on oneself
// (for suspend, delete and password set); an org admin acts only on a user
// it outranks in a shared organization (org.CanActOn), and never on an
// owner of any organization (OWNER_PROTECTION) or a platform admin. A hard
// delete by an org admin further needs admin rights over every
// organization of the user. Suspending or hard-deleting an owner is
// refused for everyone: ownership must move first.
//
// The platform-admin flag is granted and revoked only by the operator
// command (SetPlatformAdmin) or to the first user of a fresh installation
// (account.Register); no API reaches it.
package admin

import (
	"context"
	"encoding/hex"
	"strings"
	"time"

	"github.com/secuird/secuird/core/audit"
	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/core/identity"
	"github.com/secuird/secuird/core/message"
	"github.com/secuird/secuird/core/org"
	"github.com/secuird/secuird/core/tenancy"
	"github.com/secuird/secuird/ports"
)

// Config holds the administration settings.
type Config struct {
	// SupportEmail is named in the suspension email ("" leaves it out).
	SupportEmail string
}

// Deps are the ports the admin use cases need.
type Deps struct {
	Tx        ports.Transactor
	Users     ports.UserStore
	Members   ports.MembershipStore
	Passwords ports.PasswordStore
	Sessions  ports.SessionStore
	Hasher    ports.PasswordHasher
	Audit     ports.AuditLog
	Mailer    ports.Mailer
	Clock     ports.Clock
	Random    ports.Random
	// Stats answers the platform overview and the list's MFA flags (nil:
	// no overview, MFA flags unknown).
	Stats ports.AdminStats
}

// Service runs the admin use cases.
type Service struct {
	cfg Config
	d   Deps
}

// New builds the service.
func New(cfg Config, d Deps) *Service { return &Service{cfg: cfg, d: d} }

// UserEntry is a user as the admin views show it, with the memberships the
// viewer may see.
type UserEntry struct {
	User        identity.User
	Memberships []org.Membership
	// MFA reports a second factor (set by ListUsers when Deps.Stats is
	// set).
	MFA bool
}

// scope is what a viewer may see: everything, or these organizations with
// the viewer's role in each.
type scope struct {
	all   bool
	roles map[string]org.Role
}

func (sc scope) orgIDs() []string {
	if sc.all {
		return nil
	}
	ids := make([]string, 0, len(sc.roles))
	for id := range sc.roles {
		ids = append(ids, id)
	}
	return ids
}

// scopeOf resolves the viewer's reach. Forbidden for users who administer
// nothing.
func (s *Service) scopeOf(ctx context.Context, op string, viewer identity.User) (scope, error) {
	if viewer.IsPlatformAdmin {
		return scope{all: true}, nil
	}
	orgs, err := s.d.Members.OrgsOfUser(ctx, viewer.ID)
	if err != nil {
		return scope{}, fault.Wrap(op, fault.Internal, err)
	}
	sc := scope{roles: map[string]org.Role{}}
	for _, uo := range orgs {
		if uo.Membership.Role.Manages() {
			sc.roles[uo.Org.ID] = uo.Membership.Role
		}
	}
	if len(sc.roles) == 0 {
		return scope{}, &fault.Error{Op: op, Kind: fault.Forbidden, Code: "AUTHORIZATION_ERROR",
			Msg: "Requires a platform admin or an owner or admin of an organization"}
	}
	return sc, nil
}

// ListQuery selects users.
type ListQuery struct {
	Search string
	// Status keeps one status: a live user's identity.UserStatus, or
	// StatusDeleted for soft-deleted users ("" for everyone).
	Status string
	tenancy.PageRequest
}

// ListUsers returns one page of the users the viewer may see, deleted ones
// included, with the memberships the viewer may see (two queries per
// page, whatever its size).
func (s *Service) ListUsers(ctx context.Context, viewer identity.User, q ListQuery) ([]UserEntry, tenancy.PageInfo, error) {
	const op = "admin.ListUsers"
	sc, err := s.scopeOf(ctx, op, viewer)
	if err != nil {
		return nil, tenancy.PageInfo{}, err
	}
	uq, err := statusQuery(op, q.Status)
	if err != nil {
		return nil, tenancy.PageInfo{}, err
	}
	page, per := q.Normalize()
	uq.Search, uq.Unscoped, uq.OrgIDs, uq.IncludeDeleted = q.Search, sc.all, sc.orgIDs(), true
	uq.Offset, uq.Limit = (page-1)*per, per
	users, n, err := s.d.Users.ListUsers(ctx, uq)
	if err != nil {
		return nil, tenancy.PageInfo{}, fault.Wrap(op, fault.Internal, err)
	}
	ids := make([]string, len(users))
	for i, u := range users {
		ids[i] = u.ID
	}
	ms, err := s.d.Members.MembershipsOfUsers(ctx, ids, sc.orgIDs())
	if err != nil {
		return nil, tenancy.PageInfo{}, fault.Wrap(op, fault.Internal, err)
	}
	byUser := map[string][]org.Membership{}
	for _, m := range ms {
		byUser[m.UserID] = append(byUser[m.UserID], m)
	}
	withMFA := map[string]bool{}
	if s.d.Stats != nil && len(ids) > 0 {
		if withMFA, err = s.d.Stats.UsersWithMFA(ctx, ids); err != nil {
			return nil, tenancy.PageInfo{}, fault.Wrap(op, fault.Internal, err)
		}
	}
	out := make([]UserEntry, len(users))
	for i, u := range users {
		out[i] = UserEntry{User: u, Memberships: byUser[u.ID], MFA: withMFA[u.ID]}
		if out[i].Memberships == nil {
			out[i].Memberships = []org.Membership{}
		}
	}
	return out, tenancy.NewPageInfo(q.PageRequest, n), nil
}

func errUserNotFound(op string) error {
	return &fault.Error{Op: op, Kind: fault.NotFound, Msg: "User not found"}
}

// visible returns the target with the memberships the viewer may see.
// NotFound when absent or outside the viewer's scope.
func (s *Service) visible(ctx context.Context, op string, sc scope, id string) (UserEntry, error) {
	u, err := s.d.Users.UserByIDAny(ctx, id)
	if fault.Is(err, fault.NotFound) {
		return UserEntry{}, errUserNotFound(op)
	}
	if err != nil {
		return UserEntry{}, fault.Wrap(op, fault.Internal, err)
	}
	ms, err := s.d.Members.MembershipsOfUsers(ctx, []string{id}, sc.orgIDs())
	if err != nil {
		return UserEntry{}, fault.Wrap(op, fault.Internal, err)
	}
	if !sc.all && len(ms) == 0 {
		return UserEntry{}, errUserNotFound(op)
	}
	return UserEntry{User: u, Memberships: ms}, nil
}

// GetUser returns one user the viewer may see. NotFound otherwise.
func (s *Service) GetUser(ctx context.Context, viewer identity.User, id string) (UserEntry, error) {
	const op = "admin.GetUser"
	sc, err := s.scopeOf(ctx, op, viewer)
	if err != nil {
		return UserEntry{}, err
	}
	return s.visible(ctx, op, sc, id)
}

// action says what a guard must check.
type action struct {
	op string
	// notSelf refuses the viewer's own account.
	notSelf bool
	// notOwner refuses owners of any organization, even for platform admins.
	notOwner bool
	// everyOrg needs an org admin to outrank the user in every one of the
	// user's organizations (hard delete).
	everyOrg bool
	// deleted selects deleted users (restore) instead of live ones.
	deleted bool
}

// guarded is a target the viewer may act on, and the organization that
// gave an org admin the right (recorded on the audit entry).
type guarded struct {
	UserEntry
	viaOrg string
}

// guard applies the rules of the package comment.
func (s *Service) guard(ctx context.Context, viewer identity.User, id string, a action) (guarded, error) {
	op := a.op
	sc, err := s.scopeOf(ctx, op, viewer)
	if err != nil {
		return guarded{}, err
	}
	t, err := s.visible(ctx, op, sc, id)
	if err != nil {
		return guarded{}, err
	}
	if t.User.Deleted() != a.deleted {
		return guarded{}, errUserNotFound(op)
	}
	if a.notSelf && id == viewer.ID {
		return guarded{}, &fault.Error{Op: op, Kind: fault.Forbidden, Code: "AUTHORIZATION_ERROR", Msg: "You cannot do this to your own account"}
	}
	// Every organization of the user (not only the viewer's) decides
	// whether the user is an owner.
	all, err := s.d.Members.MembershipsOfUsers(ctx, []string{id}, nil)
	if err != nil {
		return guarded{}, fault.Wrap(op, fault.Internal, err)
	}
	isOwner := false
	for _, m := range all {
		if m.Role == org.Owner {
			isOwner = true
		}
	}
	if isOwner && (a.notOwner || !sc.all) {
		return guarded{}, &fault.Error{Op: op, Kind: fault.Forbidden, Code: "OWNER_PROTECTION",
			Msg: "Organization owners are protected: transfer ownership first"}
	}
	if sc.all {
		return guarded{UserEntry: t}, nil
	}
	if t.User.IsPlatformAdmin {
		return guarded{}, &fault.Error{Op: op, Kind: fault.Forbidden, Code: "AUTHORIZATION_ERROR", Msg: "Platform admins are managed by the operator"}
	}
	via := ""
	for _, m := range t.Memberships {
		if org.CanActOn(sc.roles[m.OrgID], m.Role) {
			via = m.OrgID
			break
		}
	}
	if via == "" {
		return guarded{}, &fault.Error{Op: op, Kind: fault.Forbidden, Code: "AUTHORIZATION_ERROR", Msg: "You do not outrank this user in any of your organizations"}
	}
	if a.everyOrg {
		for _, m := range all {
			if !org.CanActOn(sc.roles[m.OrgID], m.Role) {
				return guarded{}, &fault.Error{Op: op, Kind: fault.Forbidden, Code: "AUTHORIZATION_ERROR",
					Msg: "The user belongs to organizations you do not administer: remove them from yours instead"}
			}
		}
	}
	return guarded{UserEntry: t, viaOrg: via}, nil
}

func (s *Service) now() time.Time { return s.d.Clock.Now().UTC() }

// record appends an audit entry about the target.
func (s *Service) record(ctx context.Context, src audit.Source, actorID, action string, g guarded, extra map[string]any) error {
	var b [16]byte
	s.d.Random.Read(b[:])
	b[6] = (b[6] & 0x0f) | 0x40
	b[8] = (b[8] & 0x3f) | 0x80
	h := hex.EncodeToString(b[:])
	return s.d.Audit.AppendAudit(ctx, audit.Entry{
		ID: h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:], At: s.now(), Source: src,
		ActorID: actorID, Action: action, ResourceType: "user", ResourceID: g.User.ID, OrgID: g.viaOrg,
		Success: true, Extra: extra,
	})
}

// setStatus moves a live user between statuses, refusing no-ops with 409.
func (s *Service) setStatus(ctx context.Context, op string, id string, from []identity.UserStatus, to identity.UserStatus) (identity.User, error) {
	return s.d.Users.UpdateUser(ctx, id, func(u identity.User) (identity.User, error) {
		ok := false
		for _, f := range from {
			ok = ok || u.Status == f
		}
		if !ok {
			return u, &fault.Error{Op: op, Kind: fault.Conflict, Msg: "The account is already " + string(to)}
		}
		u.Status, u.UpdatedAt = to, s.now()
		return u, nil
	})
}

// Suspend suspends a user and ends every session of the user at once
// (409 when already suspended); the user is told by email.
func (s *Service) Suspend(ctx context.Context, viewer identity.User, id string, src audit.Source) (identity.User, error) {
	const op = "admin.Suspend"
	var out identity.User
	err := s.d.Tx.InTx(ctx, func(ctx context.Context) error {
		g, err := s.guard(ctx, viewer, id, action{op: op, notSelf: true, notOwner: true})
		if err != nil {
			return err
		}
		out, err = s.setStatus(ctx, op, id, []identity.UserStatus{identity.StatusActive, identity.StatusInactive,
			identity.StatusPending, identity.StatusComplianceSuspended}, identity.StatusSuspended)
		if err != nil {
			return err
		}
		vars := map[string]string{"name": out.FullName, "reason": "An administrator suspended your account", "support_email": s.cfg.SupportEmail}
		if err := s.d.Mailer.Enqueue(ctx, message.Email{To: out.Email, ToName: out.FullName, Template: message.AccountSuspended, Vars: vars}); err != nil {
			return err
		}
		return s.record(ctx, src, viewer.ID, audit.UserSuspend, g, nil)
	})
	if err != nil {
		return identity.User{}, fault.Wrap(op, fault.Internal, err)
	}
	// Sessions live in the ephemeral store: ended once the suspension is
	// committed (every request also re-checks the status).
	if _, err := s.d.Sessions.DeleteUserSessions(ctx, id, ""); err != nil {
		return identity.User{}, fault.Wrap(op, fault.Internal, err)
	}
	return out, nil
}

// Unsuspend makes a suspended user active again (409 when not suspended).
func (s *Service) Unsuspend(ctx context.Context, viewer identity.User, id string, src audit.Source) (identity.User, error) {
	const op = "admin.Unsuspend"
	var out identity.User
	err := s.d.Tx.InTx(ctx, func(ctx context.Context) error {
		g, err := s.guard(ctx, viewer, id, action{op: op, notSelf: true})
		if err != nil {
			return err
		}
		if out, err = s.setStatus(ctx, op, id, []identity.UserStatus{identity.StatusSuspended}, identity.StatusActive); err != nil {
			return err
		}
		return s.record(ctx, src, viewer.ID, audit.UserUnsuspend, g, nil)
	})
	if err != nil {
		return identity.User{}, fault.Wrap(op, fault.Internal, err)
	}
	return out, nil
}

// VerifyEmail marks a user's email verified; an inactive account becomes
// active.
func (s *Service) VerifyEmail(ctx context.Context, viewer identity.User, id string, src audit.Source) (identity.User, error) {
	const op = "admin.VerifyEmail"
	var out identity.User
	err := s.d.Tx.InTx(ctx, func(ctx context.Context) error {
		g, err := s.guard(ctx, viewer, id, action{op: op})
		if err != nil {
			return err
		}
		out, err = s.d.Users.UpdateUser(ctx, id, func(u identity.User) (identity.User, error) {
			u.EmailVerified, u.UpdatedAt = true, s.now()
			if u.Status == identity.StatusInactive {
				u.Status = identity.StatusActive
			}
			return u, nil
		})
		if err != nil {
			return err
		}
		return s.record(ctx, src, viewer.ID, audit.AdminEmailVerify, g, nil)
	})
	if err != nil {
		return identity.User{}, fault.Wrap(op, fault.Internal, err)
	}
	return out, nil
}

// SetPassword sets a user's password (8-128 characters; the strength
// policy is the admin's call) and ends every session of the user.
func (s *Service) SetPassword(ctx context.Context, viewer identity.User, id, password string, src audit.Source) error {
	const op = "admin.SetPassword"
	if p := identity.PasswordLengthProblem(password); p != "" {
		return &fault.Error{Op: op, Kind: fault.Invalid, Msg: "Validation failed", Fields: map[string][]string{"password": {p}}}
	}
	// Refuse early, before spending a slow hash; the transaction checks
	// again.
	if _, err := s.guard(ctx, viewer, id, action{op: op, notSelf: true}); err != nil {
		return err
	}
	hash, err := s.d.Hasher.Hash(password)
	if err != nil {
		return fault.Wrap(op, fault.Internal, err)
	}
	err = s.d.Tx.InTx(ctx, func(ctx context.Context) error {
		g, err := s.guard(ctx, viewer, id, action{op: op, notSelf: true})
		if err != nil {
			return err
		}
		if err := s.d.Passwords.SetPasswordHash(ctx, id, hash, s.now()); err != nil {
			return err
		}
		return s.record(ctx, src, viewer.ID, audit.AdminPasswordSet, g, nil)
	})
	if err != nil {
		return fault.Wrap(op, fault.Internal, err)
	}
	_, err = s.d.Sessions.DeleteUserSessions(ctx, id, "")
	return fault.Wrap(op, fault.Internal, err)
}

// HardDelete removes a user for good (confirm must be true, else 400
// CONFIRMATION_REQUIRED): the account, its credentials and memberships;
// audit entries keep the ID. Org admins need rights over every
// organization of the user; owners are protected.
func (s *Service) HardDelete(ctx context.Context, viewer identity.User, id string, confirm bool, src audit.Source) error {
	const op = "admin.HardDelete"
	err := s.d.Tx.InTx(ctx, func(ctx context.Context) error {
		g, err := s.guard(ctx, viewer, id, action{op: op, notSelf: true, notOwner: true, everyOrg: true, deleted: false})
		if fault.Is(err, fault.NotFound) {
			// A soft-deleted user may be hard-deleted too.
			g, err = s.guard(ctx, viewer, id, action{op: op, notSelf: true, notOwner: true, everyOrg: true, deleted: true})
		}
		if err != nil {
			return err
		}
		if !confirm {
			return &fault.Error{Op: op, Kind: fault.Invalid, Code: "CONFIRMATION_REQUIRED",
				Msg: "Send {\"confirm\": true} to delete this user permanently", Fields: map[string][]string{"confirm": {"Required"}}}
		}
		if err := s.d.Users.HardDeleteUser(ctx, id); err != nil {
			return err
		}
		return s.record(ctx, src, viewer.ID, audit.UserHardDelete, g, map[string]any{"email": g.User.Email})
	})
	if err != nil {
		return fault.Wrap(op, fault.Internal, err)
	}
	_, err = s.d.Sessions.DeleteUserSessions(ctx, id, "")
	return fault.Wrap(op, fault.Internal, err)
}

// Restore undoes a user's own soft deletion, with the memberships that
// went with it (409 when a live account took the email meanwhile).
func (s *Service) Restore(ctx context.Context, viewer identity.User, id string, src audit.Source) (identity.User, error) {
	const op = "admin.Restore"
	var out identity.User
	err := s.d.Tx.InTx(ctx, func(ctx context.Context) error {
		g, err := s.guard(ctx, viewer, id, action{op: op, deleted: true})
		if err != nil {
			return err
		}
		removedAt := *g.User.DeletedAt
		if out, err = s.d.Users.RestoreUser(ctx, id, s.now()); err != nil {
			if fault.Is(err, fault.Conflict) {
				return &fault.Error{Op: op, Kind: fault.Conflict, Msg: "Another account uses this email now"}
			}
			return err
		}
		n, err := s.d.Members.RestoreUserMemberships(ctx, id, removedAt, s.now())
		if err != nil {
			return err
		}
		return s.record(ctx, src, viewer.ID, audit.UserRestore, g, map[string]any{"memberships_restored": n})
	})
	if err != nil {
		return identity.User{}, fault.Wrap(op, fault.Internal, err)
	}
	return out, nil
}

// LinkedAccount is an external identity linked to a user.
type LinkedAccount struct {
	Provider       string
	ProviderUserID string
	LinkedAt       time.Time
}

// LinkedAccounts lists the user's linked external accounts. Social login
// is not built yet, so the list is empty for everyone the viewer may see.
func (s *Service) LinkedAccounts(ctx context.Context, viewer identity.User, id string) ([]LinkedAccount, error) {
	if _, err := s.GetUser(ctx, viewer, id); err != nil {
		return nil, err
	}
	return []LinkedAccount{}, nil
}

// Unlink removes a linked account: NotFound until social login exists.
func (s *Service) Unlink(ctx context.Context, viewer identity.User, id, provider string, _ audit.Source) error {
	const op = "admin.Unlink"
	if _, err := s.guard(ctx, viewer, id, action{op: op}); err != nil {
		return err
	}
	return &fault.Error{Op: op, Kind: fault.NotFound, Msg: "No linked account for provider " + strings.ToLower(provider)}
}

// SetPlatformAdmin grants or revokes the platform-admin flag of the live
// user with that email. It is the operator command's use case (there is
// no API for it); the audit entry has no actor and says so.
func (s *Service) SetPlatformAdmin(ctx context.Context, email string, grant bool, src audit.Source) (identity.User, bool, error) {
	const op = "admin.SetPlatformAdmin"
	addr, ok := identity.NormalizeEmail(email)
	if !ok {
		return identity.User{}, false, &fault.Error{Op: op, Kind: fault.Invalid, Msg: "Validation failed", Fields: map[string][]string{"email": {"Not a valid email address"}}}
	}
	var (
		out     identity.User
		changed bool
	)
	err := s.d.Tx.InTx(ctx, func(ctx context.Context) error {
		u, err := s.d.Users.UserByEmail(ctx, addr)
		if fault.Is(err, fault.NotFound) {
			return errUserNotFound(op)
		}
		if err != nil {
			return err
		}
		out, err = s.d.Users.UpdateUser(ctx, u.ID, func(u identity.User) (identity.User, error) {
			changed = u.IsPlatformAdmin != grant
			u.IsPlatformAdmin = grant
			if changed {
				u.UpdatedAt = s.now()
			}
			return u, nil
		})
		if err != nil || !changed {
			return err
		}
		action := audit.PlatformAdminRevoked
		if grant {
			action = audit.PlatformAdminGranted
		}
		return s.record(ctx, src, "", action, guarded{UserEntry: UserEntry{User: out}}, map[string]any{"by": "operator command"})
	})
	if err != nil {
		return identity.User{}, false, fault.Wrap(op, fault.Internal, err)
	}
	return out, changed, nil
}
