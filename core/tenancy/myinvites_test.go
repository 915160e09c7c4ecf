package tenancy_test

import (
	"context"
	"testing"

	"github.com/secuird/secuird/core/audit"
	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/core/org"
)

// TestMyInvites covers accepting and declining an invitation by its ID
// from the account page: only the invitee may, once.
func TestMyInvites(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("the invitee accepts by ID once; others get NotFound", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		alice, bob, eve := e.user(t, "alice@example.com"), e.user(t, "bob@example.com"), e.user(t, "eve@example.com")
		o := e.org(t, alice, "acme")
		inv, err := e.ten.CreateInvite(ctx, alice, o.ID, "bob@example.com", "admin", e.src)
		if err != nil {
			t.Fatal(err)
		}
		_, err = e.ten.AcceptMyInvite(ctx, eve, inv.ID, e.src)
		wantKind(t, err, fault.NotFound, "")
		acc, err := e.ten.AcceptMyInvite(ctx, bob, inv.ID, e.src)
		if err != nil || acc.Org.ID != o.ID || acc.Membership.Role != org.Admin {
			t.Fatalf("AcceptMyInvite = %+v %v", acc, err)
		}
		if r := e.role(t, o.ID, bob.User.ID); r != org.Admin {
			t.Fatalf("bob's role = %q", r)
		}
		_, err = e.ten.AcceptMyInvite(ctx, bob, inv.ID, e.src)
		wantKind(t, err, fault.NotFound, "")
		if len(e.audited(t, o.ID, audit.InviteAccepted)) != 1 {
			t.Fatal("acceptance not audited")
		}
	})

	t.Run("the invitee declines: the invite is cancelled and audited", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		alice, bob, eve := e.user(t, "alice@example.com"), e.user(t, "bob@example.com"), e.user(t, "eve@example.com")
		o := e.org(t, alice, "acme")
		inv, err := e.ten.CreateInvite(ctx, alice, o.ID, "bob@example.com", "member", e.src)
		if err != nil {
			t.Fatal(err)
		}
		wantKind(t, e.ten.DeclineMyInvite(ctx, eve, inv.ID, e.src), fault.NotFound, "")
		if err := e.ten.DeclineMyInvite(ctx, bob, inv.ID, e.src); err != nil {
			t.Fatal(err)
		}
		if mine, err := e.ten.MyInvites(ctx, bob); err != nil || len(mine) != 0 {
			t.Fatalf("MyInvites after decline = %+v %v", mine, err)
		}
		_, err = e.ten.AcceptMyInvite(ctx, bob, inv.ID, e.src)
		wantKind(t, err, fault.NotFound, "")
		if len(e.audited(t, o.ID, audit.InviteCancelled)) != 1 {
			t.Fatal("decline not audited")
		}
		if r := e.role(t, o.ID, bob.User.ID); r != "" {
			t.Fatalf("bob joined: %q", r)
		}
	})
}
