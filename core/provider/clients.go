package provider

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/secuird/secuird/core/audit"
	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/core/oidc"
)

// ImportClient describes a client created by an operator (seed data,
// imports) with a human-chosen secret.
type ImportClient struct {
	ClientID            string
	Secret              string // "" for public clients
	OrgID               string
	Name                string
	Public              bool
	RequirePKCE         bool
	RedirectURIs        []string
	GrantTypes          []string
	Scopes              []string
	AccessTTL           time.Duration
	RefreshTTL          time.Duration
	IDTokenTTL          time.Duration
	LogoURI, ClientURI  string
	ConsentMode         oidc.ConsentMode
	AccessTokenFormat   oidc.TokenFormat
	PostLogoutRedirects []string
}

// validateClient applies the registration rules to a client.
func validateClient(c oidc.Client) error {
	const op = "provider.validateClient"
	var v fault.Validation
	if strings.TrimSpace(c.Name) == "" {
		v.Add("name", "Name is required")
	}
	if c.ClientID == "" || len(c.ClientID) > 128 {
		v.Add("client_id", "Must be 1-128 characters")
	}
	for _, u := range c.RedirectURIs {
		if p := oidc.RedirectURIProblem(u, c.DevMode); p != "" {
			v.Add("redirect_uris", u+": "+p)
		}
	}
	for _, u := range c.PostLogoutRedirectURIs {
		if p := oidc.RedirectURIProblem(u, c.DevMode); p != "" {
			v.Add("post_logout_redirect_uris", u+": "+p)
		}
	}
	for _, g := range c.GrantTypes {
		if !slices.Contains(oidc.KnownGrants, g) {
			v.Add("grant_types", "Unknown grant type "+g)
		}
	}
	if c.HasGrant(oidc.GrantAuthorizationCode) && len(c.RedirectURIs) == 0 {
		v.Add("redirect_uris", "At least one redirect URI is required")
	}
	if c.Public() && c.HasGrant(oidc.GrantClientCredentials) {
		v.Add("grant_types", "Public clients cannot use client_credentials")
	}
	if !c.AuthMethod.Valid() {
		v.Add("token_endpoint_auth_method", "Unknown method")
	}
	return v.Err(op)
}

// ImportClients creates the clients that do not exist yet (idempotent:
// existing client IDs are skipped, deleted ones included). Secrets are
// stored with the slow password hash; verification is cached in memory.
func (s *Service) ImportClients(ctx context.Context, in []ImportClient) (created []string, err error) {
	const op = "provider.ImportClients"
	for _, ic := range in {
		now := s.now()
		c := oidc.Client{
			ID: s.newID(), ClientID: ic.ClientID, OrgID: ic.OrgID, Name: ic.Name, AuthMethod: oidc.AuthSecretBasic,
			RedirectURIs: ic.RedirectURIs, PostLogoutRedirectURIs: ic.PostLogoutRedirects, GrantTypes: ic.GrantTypes, Scopes: ic.Scopes,
			AccessTokenFormat: ic.AccessTokenFormat, AccessTokenTTL: ic.AccessTTL, RefreshTokenTTL: ic.RefreshTTL,
			RefreshIdleTTL: ic.RefreshTTL, IDTokenTTL: ic.IDTokenTTL, IDTokenAlg: oidc.AlgRS256, RequirePKCE: ic.RequirePKCE,
			ConsentMode: ic.ConsentMode, LogoURI: ic.LogoURI, ClientURI: ic.ClientURI, Active: true, CreatedAt: now, UpdatedAt: now,
		}
		if c.AccessTokenFormat == "" {
			c.AccessTokenFormat = oidc.TokenJWT
		}
		if c.ConsentMode == "" {
			c.ConsentMode = oidc.ConsentExplicit
		}
		if ic.Public {
			c.AuthMethod = oidc.AuthNone
		} else {
			hash, err := s.d.Hasher.Hash(ic.Secret)
			if err != nil {
				return created, fault.Wrap(op, fault.Internal, err)
			}
			c.SecretHash, c.SecretKind = hash, oidc.SecretSlow
		}
		if err := validateClient(c); err != nil {
			return created, err
		}
		err := s.d.Tx.InTx(ctx, func(ctx context.Context) error {
			if err := s.d.Clients.CreateClient(ctx, c); err != nil {
				return err
			}
			return s.record(ctx, audit.Source{}, audit.Entry{Action: ActClientCreated, Success: true, ResourceType: "oidc_client",
				ResourceID: c.ClientID, OrgID: c.OrgID, Description: "imported by operator"})
		})
		if fault.Is(err, fault.Conflict) {
			continue
		}
		if err != nil {
			return created, fault.Wrap(op, fault.Internal, err)
		}
		s.forgetClient(c.ClientID)
		created = append(created, c.ClientID)
	}
	return created, nil
}
