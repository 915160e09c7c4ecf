package provider_test

import (
	"testing"
	"time"

	"github.com/secuird/secuird/core/oidc"
	"github.com/secuird/secuird/core/provider"
)

func TestMaintainRotatesKeysAndPurgesOnOneNodeAtATime(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := t.Context()
	if err := e.svc.EnsureKeys(ctx); err != nil {
		t.Fatal(err)
	}
	before, err := e.svc.Keys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	old := oidc.AuthRequest{ID: "old-request", ClientID: "portal", RedirectURI: "https://app.example/cb", ResponseType: "code",
		CreatedAt: e.clk.Now().Add(-time.Hour), ExpiresAt: e.clk.Now().Add(-time.Minute)}
	if err := e.store.CreateAuthRequest(ctx, old); err != nil {
		t.Fatal(err)
	}
	// Another node holds the lease: nothing happens here.
	if ok, err := e.store.AcquireLease(ctx, provider.MaintenanceJob, "other-node", e.clk.Now(), e.clk.Now().Add(time.Minute)); err != nil || !ok {
		t.Fatalf("lease: %v %v", ok, err)
	}
	rep, err := e.svc.Maintain(ctx, "this-node")
	if err != nil || rep.Ran {
		t.Fatalf("ran while another node held the lease: %+v %v", rep, err)
	}
	if err := e.store.ReleaseLease(ctx, provider.MaintenanceJob, "other-node"); err != nil {
		t.Fatal(err)
	}
	e.clk.Advance(91 * 24 * time.Hour)
	rep, err = e.svc.Maintain(ctx, "this-node")
	if err != nil || !rep.Ran || rep.AuthRequestsDeleted != 1 {
		t.Fatalf("maintenance: %+v %v", rep, err)
	}
	after, err := e.svc.Keys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, alg := range provider.Algorithms {
		if after.Active[alg].ID == before.Active[alg].ID {
			t.Errorf("%s key was not rotated after 91 days", alg)
		}
	}
}
