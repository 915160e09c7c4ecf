package provider_test

import (
	"testing"
	"time"

	"github.com/secuird/secuird/core/audit"
	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/core/identity"
	"github.com/secuird/secuird/core/oidc"
	"github.com/secuird/secuird/core/provider"
)

func TestAdminKeysAndRotation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := t.Context()
	if err := e.svc.EnsureKeys(ctx); err != nil {
		t.Fatal(err)
	}
	admin := identity.User{ID: e.user.ID, IsPlatformAdmin: true}
	t.Run("only platform admins", func(t *testing.T) {
		if _, err := e.svc.AdminKeys(ctx, e.user); !fault.Is(err, fault.Forbidden) {
			t.Fatalf("AdminKeys(non-admin) = %v", err)
		}
		if err := e.svc.AdminRotateKeys(ctx, e.user, audit.Source{}); !fault.Is(err, fault.Forbidden) {
			t.Fatalf("AdminRotateKeys(non-admin) = %v", err)
		}
	})
	o, err := e.svc.AdminKeys(ctx, admin)
	if err != nil || len(o.Keys) != len(provider.Algorithms) {
		t.Fatalf("AdminKeys = %+v, %v", o, err)
	}
	if want := e.clk.Now().Add(90 * 24 * time.Hour); !o.NextRotation.Equal(want) {
		t.Fatalf("next rotation %v, want %v", o.NextRotation, want)
	}
	active := map[string]string{}
	for _, k := range o.Keys {
		if k.State != oidc.KeyActive {
			t.Fatalf("fresh key %s is %s", k.ID, k.State)
		}
		active[k.Alg] = k.ID
	}
	e.clk.Advance(time.Hour)
	if err := e.svc.AdminRotateKeys(ctx, admin, audit.Source{IP: "192.0.2.1"}); err != nil {
		t.Fatal(err)
	}
	o, err = e.svc.AdminKeys(ctx, admin)
	if err != nil {
		t.Fatal(err)
	}
	states := map[oidc.KeyState]int{}
	for _, k := range o.Keys {
		states[k.State]++
		if k.State == oidc.KeyRetiring && (active[k.Alg] != k.ID || k.RetireAt == nil) {
			t.Fatalf("retiring key %+v: want the old active key with a retirement time", k)
		}
		if k.State == oidc.KeyActive && active[k.Alg] == k.ID {
			t.Fatalf("%s key %s still active after the rotation", k.Alg, k.ID)
		}
	}
	n := len(provider.Algorithms)
	if states[oidc.KeyActive] != n || states[oidc.KeyRetiring] != n || states[oidc.KeyNext] != n {
		t.Fatalf("states after rotation %v", states)
	}
	entries, _, err := e.store.ListAudit(ctx, audit.Filter{Action: provider.ActKeysRotate})
	if err != nil || len(entries) != 1 || entries[0].ActorID != admin.ID {
		t.Fatalf("audit = %+v, %v", entries, err)
	}
}
