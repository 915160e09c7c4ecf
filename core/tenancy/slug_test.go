package tenancy_test

import (
	"context"
	"testing"

	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/core/org"
)

func TestOrgBySlug(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t)
	alice := e.user(t, "alice@example.com")
	bob := e.user(t, "bob@example.com")
	o := e.org(t, alice, "acme")
	e.org(t, bob, "bobco")

	d, err := e.ten.OrgBySlug(ctx, alice, "acme")
	if err != nil || d.Org.ID != o.ID || d.Role != org.Owner || d.MemberCount != 1 {
		t.Fatalf("OrgBySlug(member) = %+v, %v", d, err)
	}
	for name, slug := range map[string]string{"another tenant": "bobco", "unknown": "nope", "empty": "", "odd": "../acme"} {
		if _, err := e.ten.OrgBySlug(ctx, alice, slug); !fault.Is(err, fault.NotFound) {
			t.Errorf("%s: want NotFound, got %v", name, err)
		}
	}
	if err := e.ten.DeleteOrg(ctx, alice, o.ID, true, e.src); err != nil {
		t.Fatal(err)
	}
	if _, err := e.ten.OrgBySlug(ctx, alice, "acme"); !fault.Is(err, fault.NotFound) {
		t.Fatalf("deleted org: want NotFound, got %v", err)
	}
}
