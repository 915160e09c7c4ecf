package app

import (
	"context"
	"time"

	"github.com/secuird/secuird/adapters/system"
	"github.com/secuird/secuird/core/account"
	"github.com/secuird/secuird/core/admin"
	"github.com/secuird/secuird/core/audit"
	"github.com/secuird/secuird/core/identity"
	"github.com/secuird/secuird/core/org"
	"github.com/secuird/secuird/core/tenancy"
	"github.com/secuird/secuird/ports"
)

// lateOrgs is the account service's view of organizations. The tenancy
// service is built after the account service (it signs invitees up
// through it), so the account service gets this forwarder, which is
// pointed at the tenancy service as soon as that exists.
type lateOrgs struct{ t *tenancy.Service }

var _ account.Orgs = (*lateOrgs)(nil)

// UserOrgs forwards to the tenancy service.
func (l *lateOrgs) UserOrgs(ctx context.Context, userID string) ([]org.UserOrg, error) {
	return l.t.UserOrgs(ctx, userID)
}

// PendingInvites forwards to the tenancy service.
func (l *lateOrgs) PendingInvites(ctx context.Context, u identity.User) ([]org.InviteSummary, error) {
	return l.t.PendingInvites(ctx, u)
}

// UserDeleting forwards to the tenancy service.
func (l *lateOrgs) UserDeleting(ctx context.Context, u identity.User, at time.Time, src audit.Source) error {
	return l.t.UserDeleting(ctx, u, at, src)
}

// wireTenancy builds the tenancy and admin services. users is the user
// store the account service uses (with its cache), hasher the shared
// password hasher; hooks run when an organization is deleted.
func (a *App) wireTenancy(cfg Config, users ports.UserStore, hasher ports.PasswordHasher, orgs *lateOrgs, hooks ...ports.OrgDeletionHook) {
	a.Tenancy = tenancy.New(tenancy.Config{PublicURL: cfg.PublicURL}, tenancy.Deps{
		Tx: a.store, Users: users, Orgs: a.store, Members: a.store, Invites: a.store, Keys: a.store,
		Audit: a.store, Mailer: a.Mailer, Accounts: a.Accounts, DeletionHooks: hooks,
		Clock: system.Clock{}, Random: system.Random{},
	})
	orgs.t = a.Tenancy
	a.Admin = admin.New(admin.Config{}, admin.Deps{
		Tx: a.store, Users: users, Members: a.store, Passwords: a.store, Sessions: a.eph, Hasher: hasher,
		Audit: a.store, Mailer: a.Mailer, Clock: system.Clock{}, Random: system.Random{}, Stats: a.store,
	})
}
