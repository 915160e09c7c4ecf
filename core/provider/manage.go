package provider

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/secuird/secuird/core/audit"
	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/core/oidc"
	"github.com/secuird/secuird/core/org"
)

// Audit actions of client management beyond create/update/delete/rotate.
const (
	ActClientDisabled = "oidc.client.disabled"
)

// ClientInput is what an organization admin sets on a client. Nil fields
// take the defaults on create and stay unchanged on update.
type ClientInput struct {
	Name                   *string
	RedirectURIs           *[]string
	PostLogoutRedirectURIs *[]string
	GrantTypes             *[]string
	Scopes                 *[]string
	AuthMethod             *oidc.AuthMethod
	AccessTokenTTL         *time.Duration
	RefreshTokenTTL        *time.Duration
	RefreshIdleTTL         *time.Duration
	IDTokenTTL             *time.Duration
	AccessTokenFormat      *oidc.TokenFormat
	IDTokenAlg             *string
	RequirePKCE            *bool
	ConsentMode            *oidc.ConsentMode
	LogoURI                *string
	ClientURI              *string
	PolicyURI              *string
	TosURI                 *string
	BackchannelLogoutURI   *string
	JWKS                   *string
	TokenExchange          *bool
	DevMode                *bool
	Active                 *bool
}

// apply copies the set fields of in onto c.
func (in ClientInput) apply(c *oidc.Client) {
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = strings.TrimSpace(*v)
		}
	}
	set(&c.Name, in.Name)
	set(&c.LogoURI, in.LogoURI)
	set(&c.ClientURI, in.ClientURI)
	set(&c.PolicyURI, in.PolicyURI)
	set(&c.TosURI, in.TosURI)
	set(&c.BackchannelLogoutURI, in.BackchannelLogoutURI)
	set(&c.JWKS, in.JWKS)
	set(&c.IDTokenAlg, in.IDTokenAlg)
	list := func(dst *[]string, v *[]string) {
		if v != nil {
			*dst = slices.Clone(*v)
		}
	}
	list(&c.RedirectURIs, in.RedirectURIs)
	list(&c.PostLogoutRedirectURIs, in.PostLogoutRedirectURIs)
	list(&c.GrantTypes, in.GrantTypes)
	list(&c.Scopes, in.Scopes)
	dur := func(dst *time.Duration, v *time.Duration) {
		if v != nil {
			*dst = *v
		}
	}
	dur(&c.AccessTokenTTL, in.AccessTokenTTL)
	dur(&c.RefreshTokenTTL, in.RefreshTokenTTL)
	dur(&c.RefreshIdleTTL, in.RefreshIdleTTL)
	dur(&c.IDTokenTTL, in.IDTokenTTL)
	flag := func(dst *bool, v *bool) {
		if v != nil {
			*dst = *v
		}
	}
	flag(&c.RequirePKCE, in.RequirePKCE)
	flag(&c.TokenExchange, in.TokenExchange)
	flag(&c.DevMode, in.DevMode)
	flag(&c.Active, in.Active)
	if in.AuthMethod != nil {
		c.AuthMethod = *in.AuthMethod
	}
	if in.AccessTokenFormat != nil {
		c.AccessTokenFormat = *in.AccessTokenFormat
	}
	if in.ConsentMode != nil {
		c.ConsentMode = *in.ConsentMode
	}
}

// validateManaged applies the rules of clients an organization manages on
// top of validateClient: lifetimes in range, known formats and modes,
// https metadata URIs, a JWKS for private_key_jwt, token exchange for
// confidential clients only, no wildcard or odd scopes.
func validateManaged(c oidc.Client) error {
	const op = "provider.validateManaged"
	var v fault.Validation
	if len(c.Name) > 255 {
		v.Add("name", "Must be at most 255 characters")
	}
	between := func(field string, d, lo, hi time.Duration) {
		if d < lo || d > hi {
			v.Add(field, "Must be between "+lo.String()+" and "+hi.String())
		}
	}
	between("access_token_ttl", c.AccessTokenTTL, time.Minute, 24*time.Hour)
	between("id_token_ttl", c.IDTokenTTL, time.Minute, 24*time.Hour)
	between("refresh_token_ttl", c.RefreshTokenTTL, time.Minute, 365*24*time.Hour)
	between("refresh_idle_ttl", c.RefreshIdleTTL, time.Minute, 365*24*time.Hour)
	if c.AccessTokenFormat != oidc.TokenJWT && c.AccessTokenFormat != oidc.TokenOpaque {
		v.Add("access_token_format", "Must be jwt or opaque")
	}
	if c.ConsentMode != oidc.ConsentExplicit && c.ConsentMode != oidc.ConsentFirstParty {
		v.Add("consent_mode", "Must be explicit or first_party")
	}
	if c.IDTokenAlg != oidc.AlgRS256 && c.IDTokenAlg != oidc.AlgES256 {
		v.Add("id_token_alg", "Must be RS256 or ES256")
	}
	for field, u := range map[string]string{"logo_uri": c.LogoURI, "client_uri": c.ClientURI, "policy_uri": c.PolicyURI, "tos_uri": c.TosURI} {
		if u != "" && (!strings.HasPrefix(u, "https://") || len(u) > 2000 || strings.ContainsAny(u, " \t\r\n\"'<>")) {
			v.Add(field, "Must be an https URL")
		}
	}
	if u := c.BackchannelLogoutURI; u != "" {
		if p := oidc.RedirectURIProblem(u, c.DevMode); p != "" || (!strings.HasPrefix(u, "https://") && !strings.HasPrefix(u, "http://")) {
			v.Add("backchannel_logout_uri", "Must be an https URL (http only in development mode)")
		}
	}
	for _, sc := range c.Scopes {
		if sc == "" || len(sc) > 100 || strings.ContainsAny(sc, " \t\r\n\"\\*") || strings.HasPrefix(sc, oidc.ScopeOrgPrefix) {
			v.Add("scopes", "Invalid scope "+sc)
		}
	}
	if c.AuthMethod == oidc.AuthPrivateKeyJWT {
		var set struct {
			Keys []json.RawMessage `json:"keys"`
		}
		if json.Unmarshal([]byte(c.JWKS), &set) != nil || len(set.Keys) == 0 || len(c.JWKS) > 20000 {
			v.Add("jwks", "private_key_jwt needs a JSON Web Key Set with at least one public key")
		}
	}
	if c.TokenExchange && c.Public() {
		v.Add("token_exchange", "Public clients cannot use token exchange")
	}
	if c.TokenExchange && !c.HasGrant(oidc.GrantTokenExchange) {
		v.Add("grant_types", "token_exchange needs the "+oidc.GrantTokenExchange+" grant")
	}
	if err := v.Err(op); err != nil {
		return err
	}
	return validateClient(c)
}

// adminOf checks that the user may manage the organization's clients:
// owners and admins. Non-members, unknown and deleted organizations are
// NotFound; members below admin are Forbidden.
func (s *Service) adminOf(ctx context.Context, op, userID, orgID string) error {
	notFound := &fault.Error{Op: op, Kind: fault.NotFound, Msg: "Organization not found"}
	if s.d.Orgs == nil || s.d.Members == nil || userID == "" {
		return notFound
	}
	if _, err := s.d.Orgs.OrgByID(ctx, orgID); err != nil {
		if fault.Is(err, fault.NotFound) {
			return notFound
		}
		return fault.Wrap(op, fault.Unavailable, err)
	}
	r, err := s.d.Members.Role(ctx, orgID, userID)
	if fault.Is(err, fault.NotFound) {
		return notFound
	}
	if err != nil {
		return fault.Wrap(op, fault.Unavailable, err)
	}
	if !r.AtLeast(org.Admin) {
		return fault.E(op, fault.Forbidden, "Only organization owners and admins manage clients")
	}
	return nil
}

// newSecret returns a generated client secret (256 bits) and the SHA-256
// under which it is stored: a fast hash is right for high-entropy secrets
// (STACK-NOTES 21).
func (s *Service) newSecret() (string, string) {
	secret := s.newToken()
	sum := sha256.Sum256([]byte(secret))
	return secret, hex.EncodeToString(sum[:])
}

// CreateOrgClient registers a client in the organization (owners and
// admins). Defaults (SEED-SPEC 4.11): confidential (client_secret_basic),
// authorization_code + refresh_token, scopes openid profile email,
// lifetimes 3600 s / 30 days / 3600 s, PKCE required, explicit consent,
// JWT access tokens. The client_id is random hex; the secret (none for
// public and private_key_jwt clients) is returned once and stored hashed.
func (s *Service) CreateOrgClient(ctx context.Context, userID, orgID string, in ClientInput, src audit.Source) (oidc.Client, string, error) {
	const op = "provider.CreateOrgClient"
	if err := s.adminOf(ctx, op, userID, orgID); err != nil {
		return oidc.Client{}, "", err
	}
	return s.createClient(ctx, userID, orgID, in, ActClientCreated, src)
}

// createClient builds, validates, stores and audits a new client.
func (s *Service) createClient(ctx context.Context, userID, orgID string, in ClientInput, action string, src audit.Source) (oidc.Client, string, error) {
	const op = "provider.createClient"
	var b [16]byte
	s.d.Random.Read(b[:])
	now := s.now()
	c := oidc.Client{
		ID: s.newID(), ClientID: hex.EncodeToString(b[:]), OrgID: orgID, AuthMethod: oidc.AuthSecretBasic,
		GrantTypes: []string{oidc.GrantAuthorizationCode, oidc.GrantRefreshToken}, Scopes: []string{oidc.ScopeOpenID, oidc.ScopeProfile, oidc.ScopeEmail},
		AccessTokenFormat: oidc.TokenJWT, AccessTokenTTL: time.Hour, RefreshTokenTTL: 30 * 24 * time.Hour, RefreshIdleTTL: 30 * 24 * time.Hour,
		IDTokenTTL: time.Hour, IDTokenAlg: oidc.AlgRS256, RequirePKCE: true, ConsentMode: oidc.ConsentExplicit, Active: true,
		CreatedAt: now, UpdatedAt: now,
	}
	in.Active = nil
	in.apply(&c)
	if in.RefreshIdleTTL == nil {
		c.RefreshIdleTTL = c.RefreshTokenTTL
	}
	secret := ""
	if c.AuthMethod == oidc.AuthSecretBasic || c.AuthMethod == oidc.AuthSecretPost {
		secret, c.SecretHash = s.newSecret()
		c.SecretKind = oidc.SecretSHA256
	}
	if err := validateManaged(c); err != nil {
		return oidc.Client{}, "", err
	}
	err := s.d.Tx.InTx(ctx, func(ctx context.Context) error {
		if err := s.d.Clients.CreateClient(ctx, c); err != nil {
			return err
		}
		return s.record(ctx, src, audit.Entry{ActorID: userID, Action: action, Success: true, ResourceType: "oidc_client",
			ResourceID: c.ClientID, OrgID: orgID, Extra: map[string]any{"name": c.Name, "grant_types": c.GrantTypes}})
	})
	if err != nil {
		return oidc.Client{}, "", fault.Wrap(op, fault.Internal, err)
	}
	return c, secret, nil
}

// ListOrgClients lists the organization's clients that are not deleted
// (owners and admins).
func (s *Service) ListOrgClients(ctx context.Context, userID, orgID string) ([]oidc.Client, error) {
	const op = "provider.ListOrgClients"
	if err := s.adminOf(ctx, op, userID, orgID); err != nil {
		return nil, err
	}
	l, err := s.d.Clients.ClientsByOrg(ctx, orgID)
	return l, fault.Wrap(op, fault.Internal, err)
}

// OrgClient returns one of the organization's clients. NotFound for
// clients of other organizations.
func (s *Service) OrgClient(ctx context.Context, userID, orgID, clientID string) (oidc.Client, error) {
	const op = "provider.OrgClient"
	if err := s.adminOf(ctx, op, userID, orgID); err != nil {
		return oidc.Client{}, err
	}
	c, err := s.d.Clients.ClientByClientID(ctx, clientID)
	if err != nil || c.OrgID != orgID {
		if err == nil || fault.Is(err, fault.NotFound) {
			return oidc.Client{}, fault.E(op, fault.NotFound, "Client not found")
		}
		return oidc.Client{}, fault.Wrap(op, fault.Unavailable, err)
	}
	return c, nil
}

// changeClient applies fn to an organization's client, audits the change
// and drops the client from this node's cache (other nodes follow within
// ClientCacheTTL).
func (s *Service) changeClient(ctx context.Context, op, userID, orgID, clientID, action string, extra map[string]any, src audit.Source,
	fn func(oidc.Client) (oidc.Client, error)) (oidc.Client, error) {
	if err := s.adminOf(ctx, op, userID, orgID); err != nil {
		return oidc.Client{}, err
	}
	var out oidc.Client
	err := s.d.Tx.InTx(ctx, func(ctx context.Context) error {
		var err error
		out, err = s.d.Clients.UpdateClient(ctx, orgID, clientID, fn)
		if err != nil {
			return err
		}
		return s.record(ctx, src, audit.Entry{ActorID: userID, Action: action, Success: true, ResourceType: "oidc_client",
			ResourceID: clientID, OrgID: orgID, Extra: extra})
	})
	s.forgetClient(clientID)
	if fault.Is(err, fault.NotFound) {
		return oidc.Client{}, fault.E(op, fault.NotFound, "Client not found")
	}
	if fe := fault.As(err); fe != nil && fe.Kind == fault.Invalid {
		return oidc.Client{}, err
	}
	return out, fault.Wrap(op, fault.Internal, err)
}

// UpdateOrgClient changes a client's settings (owners and admins). Turning
// a client public or to private_key_jwt drops its secret; turning a public
// client confidential needs rotate-secret afterwards.
func (s *Service) UpdateOrgClient(ctx context.Context, userID, orgID, clientID string, in ClientInput, src audit.Source) (oidc.Client, error) {
	const op = "provider.UpdateOrgClient"
	in.Active = nil
	return s.changeClient(ctx, op, userID, orgID, clientID, ActClientUpdated, nil, src, func(c oidc.Client) (oidc.Client, error) {
		if c.DeletedAt != nil {
			return c, fault.E(op, fault.NotFound, "Client not found")
		}
		in.apply(&c)
		if c.AuthMethod == oidc.AuthNone || c.AuthMethod == oidc.AuthPrivateKeyJWT {
			c.SecretHash, c.SecretKind = "", ""
		}
		c.UpdatedAt = s.now()
		return c, validateManaged(c)
	})
}

// RotateClientSecret replaces a confidential client's secret; the old one
// stops working at once on this node (within ClientCacheTTL elsewhere).
// The new secret is returned once.
func (s *Service) RotateClientSecret(ctx context.Context, userID, orgID, clientID string, src audit.Source) (oidc.Client, string, error) {
	const op = "provider.RotateClientSecret"
	secret, hash := s.newSecret()
	c, err := s.changeClient(ctx, op, userID, orgID, clientID, ActClientSecretRotated, nil, src, func(c oidc.Client) (oidc.Client, error) {
		if c.DeletedAt != nil {
			return c, fault.E(op, fault.NotFound, "Client not found")
		}
		if c.AuthMethod != oidc.AuthSecretBasic && c.AuthMethod != oidc.AuthSecretPost {
			return c, fault.E(op, fault.Invalid, "Only clients authenticating with a secret have one")
		}
		c.SecretHash, c.SecretKind, c.UpdatedAt = hash, oidc.SecretSHA256, s.now()
		return c, nil
	})
	if err != nil {
		return oidc.Client{}, "", err
	}
	return c, secret, nil
}

// DisableOrgClient deactivates a client and revokes its refresh tokens;
// its access tokens stop passing userinfo and introspection (the client
// check there).
func (s *Service) DisableOrgClient(ctx context.Context, userID, orgID, clientID string, src audit.Source) (oidc.Client, error) {
	const op = "provider.DisableOrgClient"
	c, err := s.changeClient(ctx, op, userID, orgID, clientID, ActClientDisabled, nil, src, func(c oidc.Client) (oidc.Client, error) {
		if c.DeletedAt != nil {
			return c, fault.E(op, fault.NotFound, "Client not found")
		}
		c.Active, c.UpdatedAt = false, s.now()
		return c, nil
	})
	if err != nil {
		return oidc.Client{}, err
	}
	if _, err := s.d.Refresh.RevokeClientRefreshTokens(ctx, clientID, "client_disabled", s.now()); err != nil {
		return oidc.Client{}, fault.Wrap(op, fault.Unavailable, err)
	}
	return c, nil
}

// DeleteOrgClient soft-deletes a client (its client_id is never reused)
// and revokes its refresh tokens.
func (s *Service) DeleteOrgClient(ctx context.Context, userID, orgID, clientID string, src audit.Source) error {
	const op = "provider.DeleteOrgClient"
	_, err := s.changeClient(ctx, op, userID, orgID, clientID, ActClientDeleted, nil, src, func(c oidc.Client) (oidc.Client, error) {
		if c.DeletedAt != nil {
			return c, fault.E(op, fault.NotFound, "Client not found")
		}
		now := s.now()
		c.Active, c.DeletedAt, c.UpdatedAt = false, &now, now
		return c, nil
	})
	if err != nil {
		return err
	}
	_, err = s.d.Refresh.RevokeClientRefreshTokens(ctx, clientID, "client_deleted", s.now())
	return fault.Wrap(op, fault.Unavailable, err)
}

// OrgDeleted implements ports.OrgDeletionHook: inside the deleting
// transaction it deactivates every client of the organization and revokes
// their refresh tokens.
func (s *Service) OrgDeleted(ctx context.Context, orgID string, at time.Time) error {
	const op = "provider.OrgDeleted"
	clients, err := s.d.Clients.ClientsByOrg(ctx, orgID)
	if err != nil {
		return fault.Wrap(op, fault.Internal, err)
	}
	for _, c := range clients {
		if _, err := s.d.Clients.UpdateClient(ctx, orgID, c.ClientID, func(c oidc.Client) (oidc.Client, error) {
			c.Active, c.UpdatedAt = false, at
			return c, nil
		}); err != nil {
			return fault.Wrap(op, fault.Internal, err)
		}
		if _, err := s.d.Refresh.RevokeClientRefreshTokens(ctx, c.ClientID, "organization_deleted", at); err != nil {
			return fault.Wrap(op, fault.Internal, err)
		}
		s.forgetClient(c.ClientID)
	}
	return nil
}
