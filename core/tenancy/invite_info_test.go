package tenancy_test

import (
	"context"
	"testing"

	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/core/tenancy"
)

// TestLookupInviteBrand checks what the public invite page learns: the
// organization's logo, and nothing for an organization deleted since.
func TestLookupInviteBrand(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t)
	alice := e.user(t, "alice@example.com")
	o := e.org(t, alice, "acme")
	logo := "https://cdn.example.com/acme.png"
	if _, err := e.ten.UpdateOrg(ctx, alice, o.ID, tenancy.OrgInput{LogoURL: &logo}, e.src); err != nil {
		t.Fatal(err)
	}
	if _, err := e.ten.CreateInvite(ctx, alice, o.ID, "new@example.com", "member", e.src); err != nil {
		t.Fatal(err)
	}
	tok := e.inviteToken(t, "new@example.com")
	info, err := e.ten.LookupInvite(ctx, tok)
	if err != nil || info.OrgLogoURL != logo || info.OrgName != "Acme" || info.UserExists {
		t.Fatalf("LookupInvite = %+v %v", info, err)
	}
	if err := e.ten.DeleteOrg(ctx, alice, o.ID, true, e.src); err != nil {
		t.Fatal(err)
	}
	_, err = e.ten.LookupInvite(ctx, tok)
	if !fault.Is(err, fault.NotFound) {
		t.Fatalf("invite of a deleted organization: %v", err)
	}
}
