package provider_test

import (
	"slices"
	"testing"
	"time"

	"github.com/secuird/secuird/adapters/sqlstore"
	"github.com/secuird/secuird/core/audit"
	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/core/oidc"
	"github.com/secuird/secuird/core/org"
	"github.com/secuird/secuird/core/provider"
)

// TestOrganizationScope checks the organization step of the login flow:
// none refuses, one is taken, several ask (and prompt=none cannot), only
// an offered organization can be chosen, and the claims follow the choice.
func TestOrganizationScope(t *testing.T) {
	t.Parallel()
	// The same SQLite store serves organizations and memberships.
	e := newEnvWith(t, func(d *provider.Deps) {
		if st, ok := d.Users.(*sqlstore.Store); ok {
			d.Orgs, d.Members = st, st
		}
	})
	ctx := t.Context()
	now := e.clk.Now()
	mkOrg := func(id, slug string) org.Organization {
		o := org.Organization{ID: id, Name: "Org " + slug, Slug: slug, IsActive: true, CreatedAt: now, UpdatedAt: now}
		if err := e.store.CreateOrg(ctx, o); err != nil {
			t.Fatal(err)
		}
		return o
	}
	join := func(o org.Organization, r org.Role) {
		if _, err := e.store.AddMember(ctx, org.Membership{ID: "m-" + o.ID, OrgID: o.ID, UserID: e.user.ID, Role: r, JoinedAt: now,
			CreatedAt: now, UpdatedAt: now}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.svc.ImportClients(ctx, []provider.ImportClient{{ClientID: "orgapp", Secret: "orgapp-secret-123", Name: "Org App",
		GrantTypes: []string{oidc.GrantAuthorizationCode}, Scopes: []string{"openid", "organization"}, AccessTTL: time.Hour,
		RefreshTTL: time.Hour, IDTokenTTL: time.Hour, RedirectURIs: []string{"https://org.example/cb"}, ConsentMode: oidc.ConsentFirstParty}}); err != nil {
		t.Fatal(err)
	}
	mk := func(prompt ...string) string {
		a, err := e.svc.CreateAuthRequest(ctx, provider.AuthorizeInput{ClientID: "orgapp", RedirectURI: "https://org.example/cb", ResponseType: "code",
			Scopes: []string{"openid", "organization"}, CodeChallenge: challenge, CodeChallengeMethod: "S256", Prompt: prompt}, audit.Source{})
		if err != nil {
			t.Fatal(err)
		}
		return a.ID
	}
	sess := &provider.Session{ID: "s", UserID: e.user.ID, AuthTime: now, AMR: []string{"pwd"}}

	// No organization: access_denied.
	if _, err := e.svc.Next(ctx, mk(), sess, audit.Source{}); fault.As(err) == nil || fault.As(err).Code != provider.CodeAccessDenied {
		t.Fatalf("no organization: %v", err)
	}

	// One: chosen at once and stored as org:<slug>.
	a := mkOrg("00000000-0000-4000-8000-00000000000a", "alpha")
	join(a, org.Member)
	d, err := e.svc.Next(ctx, mk(), sess, audit.Source{})
	if err != nil || d.Step != provider.StepDone || !slices.Contains(d.Request.Scopes, "org:alpha") {
		t.Fatalf("one organization: %v %v %v", d.Step, d.Request.Scopes, err)
	}
	uc, err := e.svc.Claims(ctx, e.user.ID, d.Request.Scopes)
	if err != nil || uc.Org == nil || *uc.Org != (provider.OrgClaim{ID: a.ID, Slug: "alpha", Name: "Org alpha", Role: "member"}) {
		t.Fatalf("claims: %+v %v", uc.Org, err)
	}

	// Several: the selection page, never with prompt=none.
	b := mkOrg("00000000-0000-4000-8000-00000000000b", "beta")
	join(b, org.Admin)
	other := mkOrg("00000000-0000-4000-8000-00000000000c", "gamma")
	if _, err := e.svc.Next(ctx, mk("none"), sess, audit.Source{}); fault.As(err) == nil || fault.As(err).Code != provider.CodeInteractionRequired {
		t.Fatalf("prompt=none with several: %v", err)
	}
	id := mk()
	d, err = e.svc.Next(ctx, id, sess, audit.Source{})
	if err != nil || d.Step != provider.StepOrg || len(d.Orgs) != 2 {
		t.Fatalf("several: %v %+v %v", d.Step, d.Orgs, err)
	}
	if _, err := e.svc.ChooseOrg(ctx, id, sess, other.ID, audit.Source{}); !fault.Is(err, fault.Invalid) {
		t.Fatalf("choosing a foreign organization: %v", err)
	}
	if _, err := e.svc.ChooseOrg(ctx, id, nil, b.ID, audit.Source{}); err != nil {
		t.Fatalf("without a session: %v", err)
	}
	if a, _ := e.svc.AuthRequest(ctx, id); len(oidc.OrgSlugs(a.Scopes)) != 0 {
		t.Fatalf("a choice without a session was stored: %v", a.Scopes)
	}
	d, err = e.svc.ChooseOrg(ctx, id, sess, b.ID, audit.Source{})
	if err != nil || d.Step != provider.StepDone || !slices.Contains(d.Request.Scopes, "org:beta") {
		t.Fatalf("choose: %v %v %v", d.Step, d.Request.Scopes, err)
	}
	if uc, _ := e.svc.Claims(ctx, e.user.ID, d.Request.Scopes); uc.Org == nil || uc.Org.Role != "admin" || uc.Org.Slug != "beta" {
		t.Fatalf("claims after the choice: %+v", uc.Org)
	}
}
