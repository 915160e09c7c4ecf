package provider

import (
	"context"
	"time"

	"github.com/secuird/secuird/core/audit"
	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/core/oidc"
)

// Audit actions of dynamic registration.
//
//nolint:gosec // action names, not credentials
const (
	ActRegistrationTokenCreated = "oidc.registration_token.created"
	ActClientRegistered         = "oidc.client.registered"
)

// RegistrationTokenPrefix marks initial access tokens (so a leaked one is
// recognisable by secret scanners).
const RegistrationTokenPrefix = "rat_"

// Registration token limits.
const (
	DefaultRegistrationTTL = time.Hour
	MaxRegistrationTTL     = 30 * 24 * time.Hour
	MaxRegistrationUses    = 1000
)

// CreateRegistrationToken makes an initial access token for dynamic
// registration into the organization (owners and admins): valid for ttl
// (1 h by default, at most 30 days) and maxUses registrations (1 by
// default). The token is returned once and stored as SHA-256.
func (s *Service) CreateRegistrationToken(ctx context.Context, userID, orgID string, ttl time.Duration, maxUses int, src audit.Source) (oidc.RegistrationToken, string, error) {
	const op = "provider.CreateRegistrationToken"
	if err := s.adminOf(ctx, op, userID, orgID); err != nil {
		return oidc.RegistrationToken{}, "", err
	}
	if ttl == 0 {
		ttl = DefaultRegistrationTTL
	}
	if maxUses == 0 {
		maxUses = 1
	}
	var v fault.Validation
	if ttl < time.Minute || ttl > MaxRegistrationTTL {
		v.Add("expires_in", "Must be between 60 seconds and 30 days")
	}
	if maxUses < 1 || maxUses > MaxRegistrationUses {
		v.Add("max_uses", "Must be between 1 and 1000")
	}
	if err := v.Err(op); err != nil {
		return oidc.RegistrationToken{}, "", err
	}
	raw := RegistrationTokenPrefix + s.newToken()
	now := s.now()
	t := oidc.RegistrationToken{ID: s.newID(), OrgID: orgID, TokenHash: HashToken(raw), CreatedBy: userID, CreatedAt: now,
		ExpiresAt: now.Add(ttl), MaxUses: maxUses}
	err := s.d.Tx.InTx(ctx, func(ctx context.Context) error {
		if err := s.d.Registrations.CreateRegistrationToken(ctx, t); err != nil {
			return err
		}
		return s.record(ctx, src, audit.Entry{ActorID: userID, Action: ActRegistrationTokenCreated, Success: true,
			ResourceType: "oidc_registration_token", ResourceID: t.ID, OrgID: orgID,
			Extra: map[string]any{"max_uses": maxUses, "expires_at": t.ExpiresAt.Format(time.RFC3339)}})
	})
	if err != nil {
		return oidc.RegistrationToken{}, "", fault.Wrap(op, fault.Internal, err)
	}
	return t, raw, nil
}

// RegisterClient is dynamic client registration (RFC 7591): the initial
// access token must be valid; the client joins the token's organization,
// with the same rules as one an admin creates (only the code, refresh,
// client_credentials and device grants; no token exchange; "roles" is
// never a default scope). Unauthenticated for a missing, unknown,
// expired or used-up token; Invalid for bad metadata.
func (s *Service) RegisterClient(ctx context.Context, rawToken string, in ClientInput, src audit.Source) (oidc.Client, string, error) {
	const op = "provider.RegisterClient"
	bad := &fault.Error{Op: op, Kind: fault.Unauthenticated, Code: "invalid_token", Msg: "A valid initial access token is required"}
	if s.d.Registrations == nil || rawToken == "" || len(rawToken) > 200 {
		return oidc.Client{}, "", bad
	}
	// Check the metadata before spending a use of the token.
	probe := oidc.Client{ClientID: "probe", Name: "probe", AuthMethod: oidc.AuthSecretBasic, GrantTypes: []string{oidc.GrantAuthorizationCode},
		Scopes: []string{oidc.ScopeOpenID, oidc.ScopeProfile, oidc.ScopeEmail}, AccessTokenFormat: oidc.TokenJWT, AccessTokenTTL: time.Hour,
		RefreshTokenTTL: 30 * 24 * time.Hour, RefreshIdleTTL: 30 * 24 * time.Hour, IDTokenTTL: time.Hour, IDTokenAlg: oidc.AlgRS256,
		RequirePKCE: true, ConsentMode: oidc.ConsentExplicit}
	in.Active, in.TokenExchange, in.ConsentMode, in.DevMode = nil, nil, nil, nil
	if in.Name == nil || *in.Name == "" {
		name := "Registered client"
		in.Name = &name
	}
	in.apply(&probe)
	for _, g := range probe.GrantTypes {
		if g == oidc.GrantTokenExchange {
			var v fault.Validation
			v.Add("grant_types", "Token exchange cannot be registered dynamically")
			return oidc.Client{}, "", v.Err(op)
		}
	}
	if err := validateManaged(probe); err != nil {
		return oidc.Client{}, "", err
	}
	tok, err := s.d.Registrations.UseRegistrationToken(ctx, HashToken(rawToken), s.now())
	if fault.Is(err, fault.NotFound) {
		_ = s.record(ctx, src, audit.Entry{Action: ActAuthenticationFailure, ResourceType: "oidc_registration", Error: "bad_initial_access_token"})
		return oidc.Client{}, "", bad
	}
	if err != nil {
		return oidc.Client{}, "", fault.Wrap(op, fault.Unavailable, err)
	}
	if _, err := s.d.Orgs.OrgByID(ctx, tok.OrgID); err != nil {
		return oidc.Client{}, "", bad
	}
	c, secret, err := s.createClient(ctx, tok.CreatedBy, tok.OrgID, in, ActClientRegistered, src)
	if err != nil {
		return oidc.Client{}, "", err
	}
	return c, secret, nil
}
