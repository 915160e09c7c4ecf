package ports

import (
	"context"
	"time"

	"github.com/secuird/secuird/core/identity"
	"github.com/secuird/secuird/core/oidc"
)

// ClientStore keeps relying-party clients (durable).
type ClientStore interface {
	// CreateClient inserts c. Conflict when the client_id (or ID) exists,
	// deleted clients included.
	CreateClient(ctx context.Context, c oidc.Client) error
	// ClientByClientID returns a client that is not deleted (it may be
	// inactive). NotFound otherwise.
	ClientByClientID(ctx context.Context, clientID string) (oidc.Client, error)
	// ClientsByOrg lists the org's clients that are not deleted, by name.
	ClientsByOrg(ctx context.Context, orgID string) ([]oidc.Client, error)
	// ClientsByClientIDs returns the clients with those client_ids that
	// are not deleted (inactive ones included), in one query; unknown IDs
	// are left out (no error).
	ClientsByClientIDs(ctx context.Context, clientIDs []string) ([]oidc.Client, error)
	// UpdateClient applies fn to the org's client with that client_id in
	// one transaction (ID, ClientID, OrgID and CreatedAt cannot change).
	// fn may be retried. NotFound when absent, deleted or in another org.
	UpdateClient(ctx context.Context, orgID, clientID string, fn func(oidc.Client) (oidc.Client, error)) (oidc.Client, error)
}

// AuthRequestStore keeps authorization requests and their codes (durable,
// so any node can finish what another began).
type AuthRequestStore interface {
	// CreateAuthRequest stores a. Conflict when the ID exists.
	CreateAuthRequest(ctx context.Context, a oidc.AuthRequest) error
	// AuthRequestByID returns the request. NotFound when absent.
	AuthRequestByID(ctx context.Context, id string) (oidc.AuthRequest, error)
	// UpdateAuthRequest applies fn in one transaction. fn may be retried.
	// NotFound when absent.
	UpdateAuthRequest(ctx context.Context, id string, fn func(oidc.AuthRequest) (oidc.AuthRequest, error)) (oidc.AuthRequest, error)
	// RedeemAuthCode marks the code with that hash used at now and returns
	// its request; exactly one of any number of concurrent calls succeeds.
	// NotFound when no request has the code; Conflict, with the request,
	// when the code was redeemed before (so its tokens can be revoked).
	RedeemAuthCode(ctx context.Context, codeHash string, now time.Time) (oidc.AuthRequest, error)
	// DeleteExpiredAuthRequests removes requests that expired before t and
	// whose codes (if any) expired before t; it returns how many.
	DeleteExpiredAuthRequests(ctx context.Context, t time.Time) (int, error)
}

// RefreshFilter selects refresh tokens to revoke; empty fields do not
// filter, but Subject is required.
type RefreshFilter struct {
	Subject   string
	ClientID  string
	SessionID string
}

// RefreshTokenStore keeps refresh-token families (durable).
type RefreshTokenStore interface {
	// CreateRefreshToken stores t. Conflict when the hash or ID exists.
	CreateRefreshToken(ctx context.Context, t oidc.RefreshToken) error
	// RefreshTokenByHash returns the token, whatever its state. NotFound
	// when absent.
	RefreshTokenByHash(ctx context.Context, hash string) (oidc.RefreshToken, error)
	// RotateRefreshToken marks the token with oldHash rotated at now and
	// stores next, in one transaction. Of any number of concurrent calls
	// for one token exactly one succeeds; the others get Conflict, as does
	// any call for a token already rotated or revoked. NotFound when absent.
	RotateRefreshToken(ctx context.Context, oldHash string, now time.Time, next oidc.RefreshToken) error
	// RevokeRefreshFamily revokes every live token of the family and
	// returns how many it revoked.
	RevokeRefreshFamily(ctx context.Context, familyID, reason string, now time.Time) (int, error)
	// RevokeRefreshTokens revokes the live tokens matching f and returns
	// the IDs of the families touched. Invalid without a subject.
	RevokeRefreshTokens(ctx context.Context, f RefreshFilter, reason string, now time.Time) ([]string, error)
	// RevokeClientRefreshTokens revokes every live refresh token of the
	// client (disabled or deleted clients, deleted organizations) and
	// returns how many it revoked.
	RevokeClientRefreshTokens(ctx context.Context, clientID, reason string, now time.Time) (int, error)
}

// ConsentStore keeps users' remembered consents (durable).
type ConsentStore interface {
	// PutConsent creates or replaces the user's consent for the client.
	PutConsent(ctx context.Context, c oidc.Consent) error
	// Consent returns the user's consent for the client. NotFound when none.
	Consent(ctx context.Context, userID, clientID string) (oidc.Consent, error)
	// ConsentsByUser lists the user's consents, newest first.
	ConsentsByUser(ctx context.Context, userID string) ([]oidc.Consent, error)
	// DeleteConsent removes one consent. NotFound when absent.
	DeleteConsent(ctx context.Context, userID, clientID string) error
}

// SigningKeyStore keeps the provider's signing keys (durable; private keys
// sealed).
type SigningKeyStore interface {
	// CreateSigningKey stores k. Conflict when the ID exists or when k is
	// active and another active key of its algorithm exists (two nodes
	// starting at once cannot both create one).
	CreateSigningKey(ctx context.Context, k oidc.SigningKey) error
	// SigningKeys lists every key that is not retired, oldest first.
	SigningKeys(ctx context.Context) ([]oidc.SigningKey, error)
	// AllSigningKeys lists every key, retired ones included, oldest first.
	AllSigningKeys(ctx context.Context) ([]oidc.SigningKey, error)
	// UpdateSigningKey applies fn in one transaction (ID, Alg and key
	// material cannot change). fn may be retried. NotFound when absent;
	// Conflict when it would make a second active key of one algorithm.
	UpdateSigningKey(ctx context.Context, id string, fn func(oidc.SigningKey) (oidc.SigningKey, error)) (oidc.SigningKey, error)
}

// TokenDenylist remembers revoked access tokens and token families until
// the tokens would have expired anyway (ephemeral).
type TokenDenylist interface {
	// Deny records key for ttl (a ttl of zero or less records nothing).
	Deny(ctx context.Context, key string, ttl time.Duration) error
	// AnyDenied reports whether any of keys is recorded.
	AnyDenied(ctx context.Context, keys ...string) (bool, error)
}

// Sealer encrypts small secrets at rest (signing keys) with a key derived
// from ENCRYPTION_KEY.
type Sealer interface {
	// Seal encrypts plain bound to aad and names the sealing key version.
	Seal(plain, aad []byte) (sealed []byte, keyID string, err error)
	// Open decrypts what Seal returned. Internal when it does not
	// authenticate (wrong key, tampering, other aad).
	Open(sealed []byte, keyID string, aad []byte) ([]byte, error)
}

// KeyGenerator makes signing key pairs.
type KeyGenerator interface {
	// GenerateSigningKey returns a new key for alg (RS256 or ES256) as
	// PKCS#8 DER, its public JWK (JSON, with kid, alg and use) and its kid.
	// Invalid for another alg.
	GenerateSigningKey(alg string) (privateDER []byte, publicJWK, kid string, err error)
}

// UserTokenRevoker revokes every OAuth token issued to a user; the account
// use cases call it on password reset and account deletion.
type UserTokenRevoker interface {
	// RevokeUser revokes the user's refresh tokens (and their access
	// tokens' families).
	RevokeUser(ctx context.Context, userID, reason string) error
	// EndSession ends the OAuth side of one signed-in session: it revokes
	// the refresh tokens issued under it and queues back-channel logout
	// tokens to the clients that got tokens under it (REST logout).
	EndSession(ctx context.Context, sess identity.Session) error
}

// DeviceGrantStore keeps device authorization grants (RFC 8628; durable,
// so any node can answer a poll).
type DeviceGrantStore interface {
	// CreateDeviceGrant stores g. Conflict when the ID, device code hash or
	// user code hash exists.
	CreateDeviceGrant(ctx context.Context, g oidc.DeviceGrant) error
	// DeviceGrantByID returns the grant. NotFound when absent.
	DeviceGrantByID(ctx context.Context, id string) (oidc.DeviceGrant, error)
	// DeviceGrantByUserCode returns the grant with that user code hash.
	// NotFound when absent.
	DeviceGrantByUserCode(ctx context.Context, userCodeHash string) (oidc.DeviceGrant, error)
	// DeviceGrantByDeviceCode returns the grant with that device code hash.
	// NotFound when absent.
	DeviceGrantByDeviceCode(ctx context.Context, deviceCodeHash string) (oidc.DeviceGrant, error)
	// UpdateDeviceGrant applies fn in one transaction (the grant row is
	// locked, so concurrent polls are serialised). fn may be retried.
	// NotFound when absent.
	UpdateDeviceGrant(ctx context.Context, id string, fn func(oidc.DeviceGrant) (oidc.DeviceGrant, error)) (oidc.DeviceGrant, error)
	// DeleteExpiredDeviceGrants removes grants that expired before t and
	// returns how many.
	DeleteExpiredDeviceGrants(ctx context.Context, t time.Time) (int, error)
}

// OIDCEventLog stores protocol events (durable, append-only).
type OIDCEventLog interface {
	// AppendOIDCEvents inserts the events in one transaction.
	AppendOIDCEvents(ctx context.Context, events []oidc.Event) error
	// OIDCEvents lists the newest events of a client (at most limit),
	// newest first.
	OIDCEvents(ctx context.Context, clientID string, limit int) ([]oidc.Event, error)
}

// OIDCEventSink takes protocol events without making the caller wait for
// storage (a batched writer). Record never fails the caller's request.
type OIDCEventSink interface {
	Record(ctx context.Context, e oidc.Event)
}

// RegistrationTokenStore keeps initial access tokens for dynamic client
// registration (durable).
type RegistrationTokenStore interface {
	// CreateRegistrationToken stores t. Conflict when the ID or hash exists.
	CreateRegistrationToken(ctx context.Context, t oidc.RegistrationToken) error
	// UseRegistrationToken counts one use of the token with that hash if
	// it is usable at now (not expired, uses left) and returns it; of
	// concurrent calls for the last use exactly one succeeds. NotFound
	// when unknown, expired or used up.
	UseRegistrationToken(ctx context.Context, hash string, now time.Time) (oidc.RegistrationToken, error)
}

// BackchannelQueue is the durable queue of back-channel logout deliveries.
type BackchannelQueue interface {
	// EnqueueBackchannel stores the deliveries (pending, due at once).
	EnqueueBackchannel(ctx context.Context, jobs []oidc.BackchannelLogout) error
	// ClaimBackchannel returns up to limit pending deliveries due at now
	// and pushes their next attempt to now+lease, so that other nodes do
	// not take them meanwhile.
	ClaimBackchannel(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]oidc.BackchannelLogout, error)
	// UpdateBackchannel stores a delivery's new state. NotFound when absent.
	UpdateBackchannel(ctx context.Context, job oidc.BackchannelLogout) error
	// ClientsOfSession lists the clients that received tokens under an SSO
	// session (codes issued and refresh tokens), without duplicates.
	ClientsOfSession(ctx context.Context, sessionID string) ([]string, error)
}

// LogoutTokenSigner signs back-channel logout tokens with the provider's
// keys (typ logout+jwt).
type LogoutTokenSigner interface {
	SignLogoutToken(ctx context.Context, claims map[string]any) (string, error)
}

// BackchannelSender POSTs a logout token to a client's back-channel logout
// URI. It refuses loopback, private and link-local targets unless
// configured for development, follows no redirect and times out.
type BackchannelSender interface {
	SendLogoutToken(ctx context.Context, uri, logoutToken string) error
}
