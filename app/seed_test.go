package app_test

import (
	"bytes"
	"context"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/core/org"
	"github.com/secuird/secuird/core/tenancy"
)

// TestSeedSkipsSoftDeleted checks SEED-SPEC 16: seeding again leaves a
// soft-deleted user, organization and client deleted (no new row, no
// revived membership), says so, and still seeds the rest.
func TestSeedSkipsSoftDeleted(t *testing.T) {
	s := startServer(t)
	ctx := context.Background()
	st := s.app.Store()
	if err := s.app.Seed(ctx, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	bob, err := st.UserByEmail(ctx, "bob@acme-corp.com")
	if err != nil {
		t.Fatal(err)
	}
	acme, err := st.OrgBySlug(ctx, "acme-corp")
	if err != nil {
		t.Fatal(err)
	}
	tech, err := st.OrgBySlug(ctx, "tech-startup")
	if err != nil {
		t.Fatal(err)
	}
	super, err := st.UserByEmail(ctx, "superadmin@acme-corp.com")
	if err != nil {
		t.Fatal(err)
	}
	alice, err := st.UserByEmail(ctx, "admin@acme-corp.com")
	if err != nil {
		t.Fatal(err)
	}

	// Bob deletes his account (a fresh sign-in is the step-up), the owner
	// deletes tech-startup, and acme-corp's owner deletes a client.
	token := s.loginAPI(t, "bob@acme-corp.com", "UserPass123!")
	expect(t, s.call(t, "DELETE", "/api/v1/users/me", token, nil), 200, "")
	if err := s.app.Tenancy.DeleteOrg(ctx, tenancy.UserActor(super), tech.ID, true, accountSource()); err != nil {
		t.Fatal(err)
	}
	if err := s.app.Provider.DeleteOrgClient(ctx, alice.ID, acme.ID, "acme-mobile-001", accountSource()); err != nil {
		t.Fatal(err)
	}
	users, err := st.CountUsers(ctx)
	if err != nil {
		t.Fatal(err)
	}

	var out bytes.Buffer
	if err := s.app.Seed(ctx, &out); err != nil {
		t.Fatalf("second seed: %v\n%s", err, out.String())
	}
	lines := out.String()
	for _, want := range []string{
		`(?m)^user bob@acme-corp\.com +exists \(deleted\)$`,
		`(?m)^user carol@acme-corp\.com +exists$`,
		`(?m)^org  tech-startup +exists \(deleted\)$`,
		`(?m)^org  acme-corp +exists \(0 memberships added; skipped deleted accounts: bob@acme-corp\.com\)$`,
		`(?m)^org  data-systems +exists \(0 memberships added\)$`,
		`(?m)^client acme-mobile-001 +exists \(deleted\)$`,
		`(?m)^client acme-portal-001 +exists$`,
		`(?m)^client tech-dashboard-001 +exists$`,
	} {
		if !regexp.MustCompile(want).MatchString(lines) {
			t.Errorf("second seed output lacks %s:\n%s", want, lines)
		}
	}
	if strings.Contains(lines, "created") {
		t.Errorf("second seed created something:\n%s", lines)
	}

	if n, err := st.CountUsers(ctx); err != nil || n != users {
		t.Errorf("live users %d (%v), want %d", n, err, users)
	}
	if u, err := st.UserByEmailAny(ctx, "bob@acme-corp.com"); err != nil || u.ID != bob.ID || u.DeletedAt == nil {
		t.Errorf("bob: %+v %v", u, err)
	}
	expect(t, s.call(t, "POST", "/api/v1/auth/login", "", map[string]any{"email": "bob@acme-corp.com", "password": "UserPass123!"}), 401, "AUTHENTICATION_ERROR")
	if _, err := st.Member(ctx, acme.ID, bob.ID); !fault.Is(err, fault.NotFound) {
		t.Errorf("bob's acme-corp membership was revived: %v", err)
	}
	if o, err := st.OrgBySlug(ctx, "tech-startup"); !fault.Is(err, fault.NotFound) {
		t.Errorf("tech-startup recreated: %+v %v", o, err)
	}
	if o, err := st.OrgBySlugAny(ctx, "tech-startup"); err != nil || o.ID != tech.ID || o.DeletedAt == nil {
		t.Errorf("tech-startup: %+v %v", o, err)
	}
	if _, err := st.ClientByClientID(ctx, "acme-mobile-001"); !fault.Is(err, fault.NotFound) {
		t.Errorf("acme-mobile-001 recreated: %v", err)
	}

	// Provisioning a new organization skips a deleted member and refuses a
	// deleted owner.
	res, err := s.app.Tenancy.ProvisionOrg(ctx, tenancy.ProvisionOrgInput{
		Name: "Fresh", Slug: "fresh-org", OwnerEmail: "carol@acme-corp.com",
		Members: []tenancy.ProvisionMember{{Email: "bob@acme-corp.com", Role: org.Member}, {Email: "david@acme-corp.com", Role: org.Member}},
	})
	if err != nil || !res.Created || !slices.Equal(res.Added, []string{"carol@acme-corp.com", "david@acme-corp.com"}) ||
		!slices.Equal(res.Skipped, []string{"bob@acme-corp.com"}) {
		t.Errorf("provision with a deleted member: %+v %v", res, err)
	}
	_, err = s.app.Tenancy.ProvisionOrg(ctx, tenancy.ProvisionOrgInput{Name: "Orphan", Slug: "orphan-org", OwnerEmail: "bob@acme-corp.com"})
	if !fault.Is(err, fault.Conflict) {
		t.Errorf("provision with a deleted owner: %v", err)
	}
	if _, err := st.OrgBySlugAny(ctx, "orphan-org"); !fault.Is(err, fault.NotFound) {
		t.Errorf("orphan-org was created: %v", err)
	}
}
