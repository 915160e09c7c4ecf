package app

import (
	"context"
	"fmt"
	"io"

	"github.com/secuird/secuird/core/account"
)

// seedUser is one development account (SEED-SPEC 16).
type seedUser struct {
	email, name, password string
	platformAdmin         bool
}

var seedUsers = []seedUser{
	{"admin@acme-corp.com", "Alice Administrator", "AdminPass123!", false},
	{"superadmin@acme-corp.com", "Sarah SuperAdmin", "SuperAdmin123!", true},
	{"bob@acme-corp.com", "Bob Builder", "UserPass123!", false},
	{"carol@acme-corp.com", "Carol Developer", "UserPass123!", false},
	{"david@acme-corp.com", "David Designer", "UserPass123!", false},
	{"eve@acme-corp.com", "Eve Engineer", "UserPass123!", false},
	{"frank@tech-startup.com", "Frank Founder", "UserPass123!", false},
	{"grace@tech-startup.com", "Grace Growth", "UserPass123!", false},
	{"henry@tech-startup.com", "Henry Hacker", "UserPass123!", false},
	{"iris@data-systems.com", "Iris Analyst", "UserPass123!", false},
	{"jack@data-systems.com", "Jack Data", "UserPass123!", false},
	{"charlie@cross-org.com", "Charlie Consultant", "UserPass123!", false},
}

// Seed creates the development accounts of SEED-SPEC 16, all active,
// email-verified and with a password; only superadmin@acme-corp.com is a
// platform admin; then the organizations and memberships (orgs_seed.go)
// and the OIDC clients.
// It is idempotent: existing accounts, organizations, memberships and
// clients are skipped, soft-deleted ones included (they stay deleted).
func (a *App) Seed(ctx context.Context, w io.Writer) error {
	for _, su := range seedUsers {
		u, created, err := a.Accounts.Provision(ctx, account.ProvisionInput{
			Email: su.email, FullName: su.name, Password: su.password, EmailVerified: true, PlatformAdmin: su.platformAdmin,
		})
		if err != nil {
			return fmt.Errorf("seed %s: %w", su.email, err)
		}
		state := "exists"
		switch {
		case created:
			state = "created"
		case u.DeletedAt != nil:
			state = "exists (deleted)"
		}
		fmt.Fprintf(w, "user %-28s %s\n", su.email, state)
	}
	if err := a.seedOrganizations(ctx, w); err != nil {
		return err
	}
	return a.seedOIDCClients(ctx, w, a.orgIDBySlug(ctx))
}
