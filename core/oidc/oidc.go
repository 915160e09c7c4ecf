// Package oidc holds the entities and rules of Secuird's OpenID Provider:
// relying-party clients, authorization requests, refresh-token families,
// remembered consents and signing-key metadata, with the checks that need
// no I/O (redirect URI rules, scope rules, PKCE shape).
package oidc

import (
	"slices"
	"strings"
	"time"
)

// AuthMethod is how a client authenticates at the token endpoint.
type AuthMethod string

// Token endpoint authentication methods.
const (
	AuthSecretBasic   AuthMethod = "client_secret_basic"
	AuthSecretPost    AuthMethod = "client_secret_post" // #nosec G101 -- a method name, not a secret
	AuthPrivateKeyJWT AuthMethod = "private_key_jwt"
	AuthNone          AuthMethod = "none"
)

// Valid reports whether m is a known method.
func (m AuthMethod) Valid() bool {
	switch m {
	case AuthSecretBasic, AuthSecretPost, AuthPrivateKeyJWT, AuthNone:
		return true
	}
	return false
}

// Grant types.
const (
	GrantAuthorizationCode = "authorization_code"
	GrantRefreshToken      = "refresh_token"
	GrantClientCredentials = "client_credentials"
	GrantDeviceCode        = "urn:ietf:params:oauth:grant-type:device_code"
	GrantTokenExchange     = "urn:ietf:params:oauth:grant-type:token-exchange" // #nosec G101 -- a grant type name
)

// KnownGrants are the grants a client may be registered for. There is no
// implicit, hybrid or password grant.
var KnownGrants = []string{GrantAuthorizationCode, GrantRefreshToken, GrantClientCredentials, GrantDeviceCode, GrantTokenExchange}

// Standard scopes.
const (
	ScopeOpenID        = "openid"
	ScopeProfile       = "profile"
	ScopeEmail         = "email"
	ScopeOfflineAccess = "offline_access"
	ScopeRoles         = "roles"
	// ScopeOrgPrefix starts "org:<slug>", which scopes a login to one org.
	ScopeOrgPrefix = "org:"
	// ScopeOrganization asks the hosted flow to scope the login to one of
	// the user's organizations, chosen by the user when there are several;
	// the choice is added to the request as "org:<slug>" and the tokens
	// carry org_id, org_slug, org_name and org_role.
	ScopeOrganization = "organization"
)

// TokenFormat is the form of a client's access tokens.
type TokenFormat string

// Access token formats.
const (
	TokenJWT    TokenFormat = "jwt"
	TokenOpaque TokenFormat = "opaque"
)

// ConsentMode says whether users are asked before a client gets their data.
type ConsentMode string

// Consent modes.
const (
	ConsentFirstParty ConsentMode = "first_party" // never asked
	ConsentExplicit   ConsentMode = "explicit"    // asked once, remembered
)

// SecretKind says how a client secret is stored.
type SecretKind string

// Secret storage kinds.
const (
	// SecretSHA256 is a generated 256-bit secret stored as its SHA-256:
	// a fast hash is safe for high-entropy secrets.
	SecretSHA256 SecretKind = "sha256"
	// SecretSlow is a human-chosen or imported secret stored with the
	// password hasher (verified once, then cached briefly in memory).
	SecretSlow SecretKind = "slow"
)

// Signing algorithms.
const (
	AlgRS256 = "RS256"
	AlgES256 = "ES256"
)

// Client is a relying party registered in an organization.
type Client struct {
	ID                     string // internal UUID
	ClientID               string // public identifier
	OrgID                  string
	Name                   string
	SecretHash             string
	SecretKind             SecretKind
	AuthMethod             AuthMethod
	RedirectURIs           []string
	PostLogoutRedirectURIs []string
	GrantTypes             []string
	Scopes                 []string
	AccessTokenFormat      TokenFormat
	AccessTokenTTL         time.Duration
	RefreshTokenTTL        time.Duration // absolute lifetime of a refresh family
	RefreshIdleTTL         time.Duration // a refresh token unused this long expires
	IDTokenTTL             time.Duration
	IDTokenAlg             string
	RequirePKCE            bool
	ConsentMode            ConsentMode
	LogoURI                string
	ClientURI              string
	PolicyURI              string
	TosURI                 string
	BackchannelLogoutURI   string
	// JWKS is the client's public key set (JSON) for private_key_jwt.
	JWKS          string
	TokenExchange bool
	// DevMode allows http redirect URIs on non-loopback hosts.
	DevMode   bool
	Active    bool
	CreatedAt time.Time
	UpdatedAt time.Time
	DeletedAt *time.Time
}

// Public reports whether the client cannot keep a secret.
func (c Client) Public() bool { return c.AuthMethod == AuthNone }

// HasGrant reports whether the client may use grant g.
func (c Client) HasGrant(g string) bool { return slices.Contains(c.GrantTypes, g) }

// AllowsScope reports whether the client may ask for scope s. "openid" is
// always allowed to clients of the code flow; "org:<slug>" follows "roles"
// or "openid".
func (c Client) AllowsScope(s string) bool {
	if slices.Contains(c.Scopes, s) {
		return true
	}
	if strings.HasPrefix(s, ScopeOrgPrefix) && len(s) > len(ScopeOrgPrefix) {
		return slices.Contains(c.Scopes, ScopeOpenID)
	}
	return false
}

// NeedsPKCE reports whether the code flow must carry an S256 challenge.
func (c Client) NeedsPKCE() bool { return c.Public() || c.RequirePKCE }

// Usable reports whether the client may be used now.
func (c Client) Usable() bool { return c.Active && c.DeletedAt == nil }

// AuthRequest is one authorization request, from /authorize until its code
// is redeemed (or it expires).
type AuthRequest struct {
	ID            string
	ClientID      string
	RedirectURI   string
	State         string
	Nonce         string
	Scopes        []string
	ResponseType  string
	ResponseMode  string
	CodeChallenge string // S256 only
	Prompt        []string
	MaxAge        *time.Duration
	LoginHint     string
	UILocales     []string
	ACRValues     []string
	// IDTokenHintSubject is the subject of a valid id_token_hint.
	IDTokenHintSubject string
	CreatedAt          time.Time
	ExpiresAt          time.Time

	// Set when the user has logged in (and consented).
	Subject   string
	SessionID string // the SSO session (sid)
	AuthTime  time.Time
	AMR       []string
	ACR       string
	DoneAt    *time.Time

	// Set when the code is issued and redeemed.
	CodeHash      string
	CodeExpiresAt time.Time
	CodeUsedAt    *time.Time
}

// Done reports whether the user finished logging in for this request.
func (a AuthRequest) Done() bool { return a.DoneAt != nil && a.Subject != "" }

// HasPrompt reports whether the request asked for prompt p.
func (a AuthRequest) HasPrompt(p string) bool { return slices.Contains(a.Prompt, p) }

// RefreshToken is one link of a refresh-token family. Only the SHA-256 of
// the token is stored. Every use rotates it: the old row is marked rotated
// and a child is created; presenting a rotated token again (after the
// grace window) revokes the whole family.
type RefreshToken struct {
	ID        string
	FamilyID  string
	ParentID  string
	TokenHash string
	ClientID  string
	Subject   string
	SessionID string
	Scopes    []string
	AMR       []string
	ACR       string
	AuthTime  time.Time
	CreatedAt time.Time
	// ExpiresAt is the family's absolute end; IdleExpiresAt this link's.
	ExpiresAt     time.Time
	IdleExpiresAt time.Time
	RotatedAt     *time.Time
	RevokedAt     *time.Time
	RevokedReason string
}

// UsableAt reports whether the token may be redeemed at t.
func (r RefreshToken) UsableAt(t time.Time) bool {
	return r.RevokedAt == nil && r.RotatedAt == nil && t.Before(r.ExpiresAt) && t.Before(r.IdleExpiresAt)
}

// Consent is a user's remembered grant of scopes to a client.
type Consent struct {
	UserID    string
	ClientID  string
	Scopes    []string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Covers reports whether the consent includes every scope in want
// ("openid" needs no consent).
func (c Consent) Covers(want []string) bool {
	for _, s := range want {
		if s != ScopeOpenID && !slices.Contains(c.Scopes, s) {
			return false
		}
	}
	return true
}

// KeyState is where a signing key is in its life.
type KeyState string

// Key states: next keys are published but not used; active keys sign;
// retiring keys are published so tokens they signed still verify; retired
// keys are gone from the key set.
const (
	KeyNext     KeyState = "next"
	KeyActive   KeyState = "active"
	KeyRetiring KeyState = "retiring"
	KeyRetired  KeyState = "retired"
)

// Published reports whether keys in state s belong in the JWKS.
func (s KeyState) Published() bool { return s == KeyNext || s == KeyActive || s == KeyRetiring }

// SigningKey is a signing key pair. The private key is stored sealed
// (AES-256-GCM under a key derived from ENCRYPTION_KEY).
type SigningKey struct {
	ID         string // the kid
	Alg        string // RS256 or ES256
	State      KeyState
	PrivateEnc []byte // sealed PKCS#8 DER
	SealKeyID  string // which sealing key version sealed it
	PublicJWK  string // JSON
	CreatedAt  time.Time
	ActivateAt time.Time // when a next key becomes active
	RetiredAt  *time.Time
	UpdatedAt  time.Time
}
