package app

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/secuird/secuird/core/oidc"
	"github.com/secuird/secuird/core/provider"
)

// seedClients are the previous system's four OIDC clients (SEED-SPEC 16).
// They are first-party apps of their organizations, so users are not
// asked for consent.
func seedClients(orgID func(slug string) string) []provider.ImportClient {
	code := []string{oidc.GrantAuthorizationCode, oidc.GrantRefreshToken}
	std := []string{"openid", "profile", "email", "offline_access"}
	h := time.Hour
	return []provider.ImportClient{
		{ClientID: "acme-portal-001", Secret: "acme_secret_portal_2024", OrgID: orgID("acme-corp"), Name: "Acme Internal Portal",
			RequirePKCE: true, GrantTypes: code, Scopes: std, AccessTTL: h, RefreshTTL: 720 * h, IDTokenTTL: h,
			LogoURI: "https://portal.acme-corp.com/logo.png", ClientURI: "https://portal.acme-corp.com", ConsentMode: oidc.ConsentFirstParty,
			RedirectURIs:        []string{"https://portal.acme-corp.com/auth/callback", "http://localhost:3000/auth/callback"},
			PostLogoutRedirects: []string{"https://portal.acme-corp.com/", "http://localhost:3000/"}},
		{ClientID: "acme-mobile-001", Secret: "acme_secret_mobile_2024", OrgID: orgID("acme-corp"), Name: "Acme Mobile App",
			Public: true, RequirePKCE: true, GrantTypes: code, Scopes: std, AccessTTL: 30 * time.Minute, RefreshTTL: 168 * h, IDTokenTTL: 30 * time.Minute,
			ConsentMode: oidc.ConsentFirstParty, RedirectURIs: []string{"com.acmecorp.app://oauth/callback", "http://localhost:8080/callback"}},
		{ClientID: "tech-dashboard-001", Secret: "tech_secret_dashboard_2024", OrgID: orgID("tech-startup"), Name: "Tech Startup Dashboard",
			RequirePKCE: true, GrantTypes: code, Scopes: std, AccessTTL: h, RefreshTTL: 720 * h, IDTokenTTL: h,
			LogoURI: "https://tech-startup.com/logo.png", ClientURI: "https://tech-startup.com", ConsentMode: oidc.ConsentFirstParty,
			RedirectURIs: []string{"https://dashboard.tech-startup.com/auth/callback", "http://localhost:4200/auth/callback"}},
		{ClientID: "data-api-001", Secret: "data_secret_api_2024", OrgID: orgID("data-systems"), Name: "Data Systems API Client",
			GrantTypes: []string{oidc.GrantAuthorizationCode, oidc.GrantRefreshToken, oidc.GrantClientCredentials},
			Scopes:     []string{"openid", "profile", "email", "api:read", "api:write"}, AccessTTL: 2 * h, RefreshTTL: 720 * h, IDTokenTTL: h,
			ClientURI: "https://data-systems.com", ConsentMode: oidc.ConsentFirstParty,
			RedirectURIs: []string{"https://api.data-systems.com/oauth/callback", "http://localhost:5000/oauth/callback"}},
	}
}

// seedOIDCClients creates the seeded clients that do not exist yet;
// soft-deleted ones count as existing (they stay deleted).
func (a *App) seedOIDCClients(ctx context.Context, w io.Writer, orgID func(slug string) string) error {
	clients := seedClients(orgID)
	created, err := a.Provider.ImportClients(ctx, clients)
	if err != nil {
		return fmt.Errorf("seed oidc clients: %w", err)
	}
	done := map[string]bool{}
	for _, id := range created {
		done[id] = true
	}
	ids := make([]string, len(clients))
	for i, c := range clients {
		ids[i] = c.ClientID
	}
	found, err := a.store.ClientsByClientIDs(ctx, ids)
	if err != nil {
		return fmt.Errorf("seed oidc clients: %w", err)
	}
	notDeleted := map[string]bool{}
	for _, c := range found {
		notDeleted[c.ClientID] = true
	}
	for _, c := range clients {
		state := "exists"
		switch {
		case done[c.ClientID]:
			state = "created"
		case !notDeleted[c.ClientID]:
			state = "exists (deleted)"
		}
		fmt.Fprintf(w, "client %-26s %s\n", c.ClientID, state)
	}
	return nil
}

// orgIDBySlug looks organizations up by slug ("" when absent, e.g. before
// the organization seed exists).
func (a *App) orgIDBySlug(ctx context.Context) func(string) string {
	return func(slug string) string {
		o, err := a.store.OrgBySlug(ctx, slug)
		if err != nil {
			return ""
		}
		return o.ID
	}
}
