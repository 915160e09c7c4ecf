// Package provider holds every decision of Secuird's OpenID Provider:
// client authentication, PKCE policy, prompt/max_age/login and consent
// rules, claims by scope, authorization codes (single use, revoke on
// reuse), refresh-token rotation with family reuse detection, access-token
// revocation, logout and signing-key rotation. The zitadel/oidc adapter
// (adapters/oidcop) translates; it decides nothing.
package provider

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/secuird/secuird/core/audit"
	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/core/identity"
	"github.com/secuird/secuird/core/oidc"
	"github.com/secuird/secuird/ports"
)

// Audit actions of the OpenID Provider (SEED-SPEC 10.6).
//
//nolint:gosec // action names, not credentials
const (
	ActAuthorizationRequest  = "oidc.authorization_request"
	ActAuthorizationResponse = "oidc.authorization_response"
	ActTokenIssue            = "oidc.token_issue"
	ActTokenRefresh          = "oidc.token_refresh"
	ActTokenRevocation       = "oidc.token_revocation"
	ActTokenIntrospection    = "oidc.token_introspection"
	ActUserinfoAccess        = "oidc.userinfo_access"
	ActAuthenticationFailure = "oidc.authentication_failure"
	ActAuthorizationFailure  = "oidc.authorization_failure"
	ActClientCreated         = "oidc.client.created"
	ActClientUpdated         = "oidc.client.updated"
	ActClientDeleted         = "oidc.client.deleted"
	ActClientSecretRotated   = "oidc.client.secret_rotated"
	ActConsentGranted        = "consent.granted"
	ActConsentRevoked        = "consent.revoked"
	ActLogout                = "oidc.logout"
)

// Config is the provider policy. Zero values take the defaults.
type Config struct {
	// Issuer is the provider's issuer URL (the iss of logout tokens).
	Issuer string
	// AuthRequestTTL bounds the time from /authorize to a finished login (10 min).
	AuthRequestTTL time.Duration
	// CodeTTL is the life of an authorization code (60 s).
	CodeTTL time.Duration
	// RefreshGrace is how long after a rotation the old refresh token is
	// answered with invalid_grant without revoking the family, so two
	// concurrent refreshes by one client do not log the user out (10 s).
	RefreshGrace time.Duration
	// SecretCacheTTL is how long a verified slow-hashed client secret is
	// remembered in memory (5 min).
	SecretCacheTTL time.Duration
	// ClientCacheTTL is how long client metadata is cached per node (10 s).
	ClientCacheTTL time.Duration
	// KeyRotation is the life of an active signing key (90 days); the next
	// key is published KeyPublishAhead (48 h) before it is used, and a
	// retiring key stays published KeyRetireAfter (48 h, longer than any
	// token) after it stops signing.
	KeyRotation     time.Duration
	KeyPublishAhead time.Duration
	KeyRetireAfter  time.Duration
	// KeyReload is how often a node re-reads the key set (1 min).
	KeyReload time.Duration
	// MaxAccessTTL bounds denylist entries for revoked access tokens (24 h).
	MaxAccessTTL time.Duration
	// DevicePollInterval is the minimum time between device polls (5 s).
	DevicePollInterval time.Duration
}

func (c *Config) setDefaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.AuthRequestTTL, 10*time.Minute)
	def(&c.CodeTTL, 60*time.Second)
	def(&c.RefreshGrace, 10*time.Second)
	def(&c.SecretCacheTTL, 5*time.Minute)
	def(&c.ClientCacheTTL, 10*time.Second)
	def(&c.KeyRotation, 90*24*time.Hour)
	def(&c.KeyPublishAhead, 48*time.Hour)
	def(&c.KeyRetireAfter, 48*time.Hour)
	def(&c.KeyReload, time.Minute)
	def(&c.MaxAccessTTL, 24*time.Hour)
	def(&c.DevicePollInterval, 5*time.Second)
}

// Deps are the ports the provider needs.
type Deps struct {
	Tx       ports.Transactor
	Clients  ports.ClientStore
	Requests ports.AuthRequestStore
	Devices  ports.DeviceGrantStore
	// Backchannel, LogoutSigner and BackchannelSender deliver back-channel
	// logout tokens (nil: no back-channel logout).
	Backchannel       ports.BackchannelQueue
	LogoutSigner      ports.LogoutTokenSigner
	BackchannelSender ports.BackchannelSender
	// Lease lets one node at a time run Maintain (nil: always run).
	Lease ports.Lease
	// Registrations keeps initial access tokens (nil: no dynamic registration).
	Registrations ports.RegistrationTokenStore
	Refresh       ports.RefreshTokenStore
	Consents      ports.ConsentStore
	Keys          ports.SigningKeyStore
	Denylist      ports.TokenDenylist
	Replay        ports.OneTimeStore
	Sessions      ports.SessionStore
	Users         ports.UserStore
	// Orgs and Members answer who may manage an organization's clients and
	// who is a member (roles claim, org:<slug> scope).
	Orgs    ports.OrgStore
	Members ports.MembershipStore
	Audit   ports.AuditLog
	// Events takes the high-volume protocol events (nil: they go to Audit).
	Events ports.OIDCEventSink
	Hasher ports.PasswordHasher
	Sealer ports.Sealer
	KeyGen ports.KeyGenerator
	Clock  ports.Clock
	Random ports.Random
}

// Service runs the provider's use cases. It is safe for concurrent use.
type Service struct {
	cfg Config
	d   Deps

	cmu     sync.RWMutex
	clients map[string]cachedClient
	secrets map[string]cachedSecret

	keys keyCache
}

type cachedClient struct {
	c   oidc.Client
	end time.Time
}

type cachedSecret struct {
	digest [32]byte
	hash   string // the stored hash it was verified against
	end    time.Time
}

// New builds the service.
func New(cfg Config, d Deps) *Service {
	cfg.setDefaults()
	return &Service{cfg: cfg, d: d, clients: map[string]cachedClient{}, secrets: map[string]cachedSecret{}}
}

func (s *Service) now() time.Time { return s.d.Clock.Now().UTC() }

// HashToken returns the hex SHA-256 under which codes and refresh tokens
// are stored (they carry at least 256 bits, so a fast hash is right).
func HashToken(tok string) string {
	sum := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(sum[:])
}

// newToken returns a fresh 256-bit URL-safe token.
func (s *Service) newToken() string {
	var b [32]byte
	s.d.Random.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// newID returns a random UUIDv4.
func (s *Service) newID() string {
	var b [16]byte
	s.d.Random.Read(b[:])
	b[6] = (b[6] & 0x0f) | 0x40
	b[8] = (b[8] & 0x3f) | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// record appends an audit entry; failures to audit are returned.
func (s *Service) record(ctx context.Context, src audit.Source, e audit.Entry) error {
	e.ID, e.At, e.Source = s.newID(), s.now(), src
	return s.d.Audit.AppendAudit(ctx, e)
}

// recordEvent records a high-volume protocol event (token issue, userinfo,
// introspection, authorization request and response).
// They go to the batched event sink, never waiting for storage; without
// one, to the audit log.
func (s *Service) recordEvent(ctx context.Context, src audit.Source, e audit.Entry) error {
	if s.d.Events == nil {
		return s.record(ctx, src, e)
	}
	ev := oidc.Event{ID: s.newID(), At: s.now(), Type: strings.TrimPrefix(e.Action, "oidc."), UserID: e.ActorID, OrgID: e.OrgID,
		Success: e.Success, ErrorCode: e.Error, IP: src.IP, UserAgent: src.UserAgent, RequestID: src.RequestID, Metadata: e.Extra}
	if e.ResourceType == "oidc_client" {
		ev.ClientID = e.ResourceID
	}
	s.d.Events.Record(ctx, ev)
	return nil
}

// JWKSAccessed records a fetch of the key set.
func (s *Service) JWKSAccessed(ctx context.Context, src audit.Source) {
	_ = s.recordEvent(ctx, src, audit.Entry{Action: "oidc." + oidc.EventJWKSAccess, Success: true})
}

// Client returns a usable client, from the per-node cache when fresh.
// NotFound for unknown, deleted and disabled clients alike.
func (s *Service) Client(ctx context.Context, clientID string) (oidc.Client, error) {
	const op = "provider.Client"
	now := s.now()
	s.cmu.RLock()
	cc, ok := s.clients[clientID]
	s.cmu.RUnlock()
	if ok && now.Before(cc.end) {
		if !cc.c.Usable() {
			return oidc.Client{}, fault.E(op, fault.NotFound, "Unknown client")
		}
		return cc.c, nil
	}
	c, err := s.d.Clients.ClientByClientID(ctx, clientID)
	if err != nil {
		if fault.Is(err, fault.NotFound) {
			return oidc.Client{}, fault.E(op, fault.NotFound, "Unknown client")
		}
		return oidc.Client{}, fault.Wrap(op, fault.Unavailable, err)
	}
	s.cmu.Lock()
	if len(s.clients) > 10000 {
		clear(s.clients)
	}
	s.clients[clientID] = cachedClient{c: c, end: now.Add(s.cfg.ClientCacheTTL)}
	s.cmu.Unlock()
	if !c.Usable() {
		return oidc.Client{}, fault.E(op, fault.NotFound, "Unknown client")
	}
	return c, nil
}

// forgetClient drops a client from this node's caches (after a change).
func (s *Service) forgetClient(clientID string) {
	s.cmu.Lock()
	delete(s.clients, clientID)
	delete(s.secrets, clientID)
	s.cmu.Unlock()
}

// AuthenticateClient checks a client's secret (client_secret_basic/post).
// Confidential clients must present their secret; public clients have
// none to present. Generated secrets are compared as SHA-256 digests in
// constant time; slow-hashed (seeded) secrets are verified with the
// password hasher once and then remembered briefly in memory.
func (s *Service) AuthenticateClient(ctx context.Context, clientID, secret string, src audit.Source) (oidc.Client, error) {
	const op = "provider.AuthenticateClient"
	bad := &fault.Error{Op: op, Kind: fault.Unauthenticated, Msg: "Client authentication failed"}
	c, err := s.Client(ctx, clientID)
	if err != nil {
		if fault.Is(err, fault.NotFound) {
			_ = s.record(ctx, src, audit.Entry{Action: ActAuthenticationFailure, ResourceType: "oidc_client", ResourceID: clientID, Error: "unknown_client"})
			return oidc.Client{}, bad
		}
		return oidc.Client{}, err
	}
	if c.Public() || c.AuthMethod == oidc.AuthPrivateKeyJWT || secret == "" || c.SecretHash == "" {
		_ = s.record(ctx, src, audit.Entry{Action: ActAuthenticationFailure, ResourceType: "oidc_client", ResourceID: clientID, OrgID: c.OrgID, Error: "no_secret"})
		return oidc.Client{}, bad
	}
	if !s.secretMatches(c, secret) {
		_ = s.record(ctx, src, audit.Entry{Action: ActAuthenticationFailure, ResourceType: "oidc_client", ResourceID: clientID, OrgID: c.OrgID, Error: "bad_secret"})
		return oidc.Client{}, bad
	}
	return c, nil
}

func (s *Service) secretMatches(c oidc.Client, secret string) bool {
	digest := sha256.Sum256([]byte(secret))
	switch c.SecretKind {
	case oidc.SecretSHA256:
		want, err := hex.DecodeString(c.SecretHash)
		return err == nil && subtle.ConstantTimeCompare(digest[:], want) == 1
	case oidc.SecretSlow:
		now := s.now()
		s.cmu.RLock()
		cs, ok := s.secrets[c.ClientID]
		s.cmu.RUnlock()
		if ok && cs.hash == c.SecretHash && now.Before(cs.end) {
			return subtle.ConstantTimeCompare(digest[:], cs.digest[:]) == 1
		}
		okPw, _, err := s.d.Hasher.Verify(c.SecretHash, secret)
		if err != nil || !okPw {
			return false
		}
		s.cmu.Lock()
		s.secrets[c.ClientID] = cachedSecret{digest: digest, hash: c.SecretHash, end: now.Add(s.cfg.SecretCacheTTL)}
		s.cmu.Unlock()
		return true
	}
	return false
}

// CheckAssertionJTI records the jti of a private_key_jwt client assertion
// until it expires; a second use is refused (replay protection). exp must
// be in the future and at most ten minutes away (the edge asks for five).
func (s *Service) CheckAssertionJTI(ctx context.Context, clientID, jti string, exp time.Time) error {
	const op = "provider.CheckAssertionJTI"
	now := s.now()
	if jti == "" || len(jti) > 256 {
		return fault.E(op, fault.Unauthenticated, "The client assertion needs a jti")
	}
	if !exp.After(now) || exp.Sub(now) > 10*time.Minute {
		return fault.E(op, fault.Unauthenticated, "The client assertion has a bad expiry")
	}
	err := s.d.Replay.PutOnce(ctx, "oidc:jti:"+clientID+":"+HashToken(jti), []byte{1}, exp.Sub(now)+time.Minute)
	if fault.Is(err, fault.Conflict) {
		return fault.E(op, fault.Unauthenticated, "The client assertion was used before")
	}
	return fault.Wrap(op, fault.Unavailable, err)
}

// UserClaims are the standard claims of a user, filtered by scope.
type UserClaims struct {
	Subject           string
	Name              string
	PreferredUsername string
	Picture           string
	UpdatedAt         time.Time
	Email             string
	EmailVerified     bool
	HasProfile        bool
	HasEmail          bool
	// Roles are the user's memberships (scope "roles"), limited to the
	// org:<slug> scopes when there are any.
	Roles    []RoleClaim
	HasRoles bool
	// Org is the organization the login was scoped to (scope
	// "organization"), or nil.
	Org *OrgClaim
}

// RoleClaim is one entry of the "roles" claim.
type RoleClaim struct {
	OrganizationID   string `json:"organization_id"`
	OrganizationSlug string `json:"organization_slug"`
	Role             string `json:"role"`
}

// Claims returns the user's claims for the scopes: "profile" gives name,
// preferred_username, picture and updated_at; "email" gives email and
// email_verified. NotFound for deleted users; Forbidden for suspended ones.
func (s *Service) Claims(ctx context.Context, subject string, scopes []string) (UserClaims, error) {
	const op = "provider.Claims"
	u, err := s.d.Users.UserByID(ctx, subject)
	if err != nil {
		if fault.Is(err, fault.NotFound) {
			return UserClaims{}, fault.E(op, fault.NotFound, "Unknown user")
		}
		return UserClaims{}, fault.Wrap(op, fault.Unavailable, err)
	}
	if userBlocked(u) {
		return UserClaims{}, fault.E(op, fault.Forbidden, "The account is not active")
	}
	out := UserClaims{Subject: u.ID}
	for _, sc := range scopes {
		switch sc {
		case oidc.ScopeProfile:
			out.HasProfile = true
			out.Name, out.PreferredUsername, out.Picture, out.UpdatedAt = u.FullName, u.Email, u.AvatarURL, u.UpdatedAt
		case oidc.ScopeEmail:
			out.HasEmail = true
			out.Email, out.EmailVerified = u.Email, u.EmailVerified
		case oidc.ScopeRoles:
			out.HasRoles = true
		}
	}
	if out.HasRoles {
		if out.Roles, err = s.roles(ctx, u.ID, oidc.OrgSlugs(scopes)); err != nil {
			return UserClaims{}, fault.Wrap(op, fault.Unavailable, err)
		}
	}
	if out.Org, err = s.orgClaim(ctx, u.ID, scopes); err != nil {
		return UserClaims{}, fault.Wrap(op, fault.Unavailable, err)
	}
	return out, nil
}

// roles lists the user's live memberships, only those of slugs when given.
func (s *Service) roles(ctx context.Context, userID string, slugs []string) ([]RoleClaim, error) {
	out := []RoleClaim{}
	if s.d.Members == nil {
		return out, nil
	}
	orgs, err := s.d.Members.OrgsOfUser(ctx, userID)
	if err != nil {
		return nil, err
	}
	for _, uo := range orgs {
		if len(slugs) > 0 && !slices.Contains(slugs, uo.Org.Slug) {
			continue
		}
		out = append(out, RoleClaim{OrganizationID: uo.Org.ID, OrganizationSlug: uo.Org.Slug, Role: string(uo.Membership.Role)})
	}
	return out, nil
}

// checkOrgScopes reports whether the user is a live member of every
// organization named by an org:<slug> scope. Forbidden otherwise.
func (s *Service) checkOrgScopes(ctx context.Context, userID string, scopes []string) error {
	const op = "provider.checkOrgScopes"
	slugs := oidc.OrgSlugs(scopes)
	if len(slugs) == 0 {
		return nil
	}
	denied := &fault.Error{Op: op, Kind: fault.Forbidden, Code: CodeAccessDenied, Msg: "You are not a member of the requested organization"}
	if s.d.Orgs == nil || s.d.Members == nil {
		return denied
	}
	for _, slug := range slugs {
		o, err := s.d.Orgs.OrgBySlug(ctx, slug)
		if fault.Is(err, fault.NotFound) {
			return denied
		}
		if err != nil {
			return fault.Wrap(op, fault.Unavailable, err)
		}
		if _, err := s.d.Members.Role(ctx, o.ID, userID); err != nil {
			if fault.Is(err, fault.NotFound) {
				return denied
			}
			return fault.Wrap(op, fault.Unavailable, err)
		}
	}
	return nil
}

func userBlocked(u identity.User) bool {
	return u.Deleted() || u.Status == identity.StatusSuspended || u.Status == identity.StatusInactive || !u.Activated
}
