package app

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/secuird/secuird/core/org"
	"github.com/secuird/secuird/core/tenancy"
)

// seedOrgs are the organizations and memberships of SEED-SPEC 16; each
// owner is recorded as the inviter of the other members.
var seedOrgs = []tenancy.ProvisionOrgInput{
	{
		Name: "Acme Corporation", Slug: "acme-corp", Description: "Leading provider of innovative enterprise solutions",
		OwnerEmail: "admin@acme-corp.com",
		Members: []tenancy.ProvisionMember{
			{Email: "carol@acme-corp.com", Role: org.Admin},
			{Email: "bob@acme-corp.com", Role: org.Member},
			{Email: "charlie@cross-org.com", Role: org.Guest},
		},
	},
	{
		Name: "Tech Startup Inc", Slug: "tech-startup", Description: "Disrupting the industry with cutting-edge technology",
		OwnerEmail: "superadmin@acme-corp.com",
		Members: []tenancy.ProvisionMember{
			{Email: "frank@tech-startup.com", Role: org.Admin},
			{Email: "grace@tech-startup.com", Role: org.Member},
			{Email: "charlie@cross-org.com", Role: org.Member},
		},
	},
	{
		Name: "Data Systems Inc", Slug: "data-systems", Description: "Enterprise data management and analytics",
		OwnerEmail: "admin@acme-corp.com",
		Members: []tenancy.ProvisionMember{
			{Email: "iris@data-systems.com", Role: org.Member},
			{Email: "jack@data-systems.com", Role: org.Member},
		},
	},
}

// seedOrganizations creates the seed organizations and memberships
// (idempotent: existing organizations and memberships are skipped; a
// soft-deleted organization, or a soft-deleted account's membership, is
// not recreated).
func (a *App) seedOrganizations(ctx context.Context, w io.Writer) error {
	for _, in := range seedOrgs {
		res, err := a.Tenancy.ProvisionOrg(ctx, in)
		if err != nil {
			return fmt.Errorf("seed organization %s: %w", in.Slug, err)
		}
		if res.Org.DeletedAt != nil {
			fmt.Fprintf(w, "org  %-28s exists (deleted)\n", in.Slug)
			continue
		}
		state := "exists"
		if res.Created {
			state = "created"
		}
		fmt.Fprintf(w, "org  %-28s %s (%d memberships added", in.Slug, state, len(res.Added))
		if len(res.Skipped) > 0 {
			fmt.Fprintf(w, "; skipped deleted accounts: %s", strings.Join(res.Skipped, ", "))
		}
		fmt.Fprintln(w, ")")
	}
	return nil
}
