package provider_test

import (
	"testing"

	"github.com/secuird/secuird/core/audit"
)

// TestConnectedApps lists a remembered consent with its client's name and
// forgets it on revoke.
func TestConnectedApps(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := t.Context()
	if l, err := e.svc.ConnectedApps(ctx, e.user.ID); err != nil || len(l) != 0 {
		t.Fatalf("ConnectedApps before consent = %+v %v", l, err)
	}
	e.login(t)
	l, err := e.svc.ConnectedApps(ctx, e.user.ID)
	if err != nil || len(l) != 1 || l[0].ClientID != "portal" || l[0].Name != "Portal" || l[0].Gone || len(l[0].Scopes) == 0 {
		t.Fatalf("ConnectedApps = %+v %v", l, err)
	}
	if err := e.svc.RevokeConsent(ctx, e.user.ID, "portal", audit.Source{}); err != nil {
		t.Fatal(err)
	}
	if l, err := e.svc.ConnectedApps(ctx, e.user.ID); err != nil || len(l) != 0 {
		t.Fatalf("ConnectedApps after revoke = %+v %v", l, err)
	}
}
