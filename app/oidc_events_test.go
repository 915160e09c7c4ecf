package app_test

import (
	"context"
	"testing"
	"time"

	"golang.org/x/oauth2/clientcredentials"

	"github.com/secuird/secuird/core/audit"
)

func TestOIDCTokenEventsGoToTheEventLogNotTheAuditChain(t *testing.T) {
	t.Parallel()
	s := startOIDC(t, nil)
	ctx := context.Background()
	cc := clientcredentials.Config{ClientID: "data-api-001", ClientSecret: "data_secret_api_2024", TokenURL: s.url + "/oidc/token", Scopes: []string{"api:read"}}
	if _, err := cc.Token(ctx); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		evs, err := s.app.Store().OIDCEvents(ctx, "data-api-001", 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) > 0 {
			if evs[0].Type != "token_issue" || evs[0].Metadata["grant"] != "client_credentials" || evs[0].IP == "" {
				t.Errorf("event %+v", evs[0])
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no token_issue event was written")
		}
		time.Sleep(20 * time.Millisecond)
	}
	entries, _, err := s.app.Store().ListAudit(ctx, audit.Filter{Action: "oidc.token_issue"})
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 0 {
		t.Errorf("token_issue reached the audit chain %d times", len(entries))
	}
	// A failed client authentication is security-relevant: it stays in the audit chain.
	bad := clientcredentials.Config{ClientID: "data-api-001", ClientSecret: "wrong", TokenURL: s.url + "/oidc/token"}
	if _, err := bad.Token(ctx); err == nil {
		t.Fatal("a wrong secret got a token")
	}
	entries, _, err = s.app.Store().ListAudit(ctx, audit.Filter{Action: "oidc.authentication_failure"})
	if err != nil || len(entries) == 0 {
		t.Errorf("authentication failures in the audit chain: %d %v", len(entries), err)
	}
}
