package provider

import (
	"context"
	"encoding/base64"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/secuird/secuird/core/audit"
	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/core/oidc"
	"github.com/secuird/secuird/ports"
)

// invalidGrant is the error for every unusable code or refresh token.
func invalidGrant(op, msg string) error {
	return &fault.Error{Op: op, Kind: fault.NotFound, Code: CodeInvalidGrant, Msg: msg}
}

// SaveCode binds an issued authorization code to a finished request; it
// lives CodeTTL (60 s).
func (s *Service) SaveCode(ctx context.Context, id, code string) error {
	const op = "provider.SaveCode"
	now := s.now()
	_, err := s.d.Requests.UpdateAuthRequest(ctx, id, func(a oidc.AuthRequest) (oidc.AuthRequest, error) {
		if !a.Done() || a.CodeHash != "" {
			return a, fault.E(op, fault.Invalid, "The sign-in request is not finished")
		}
		a.CodeHash, a.CodeExpiresAt = HashToken(code), now.Add(s.cfg.CodeTTL)
		return a, nil
	})
	return fault.Wrap(op, fault.Internal, err)
}

// RedeemCode spends a code: exactly one redemption succeeds. A second one
// fails and revokes everything the first issued (its refresh family and
// access tokens). Expired codes fail.
func (s *Service) RedeemCode(ctx context.Context, code string, src audit.Source) (oidc.AuthRequest, error) {
	const op = "provider.RedeemCode"
	now := s.now()
	a, err := s.d.Requests.RedeemAuthCode(ctx, HashToken(code), now)
	switch {
	case fault.Is(err, fault.Conflict):
		_ = s.revokeFamily(ctx, a.ID, a.ClientID, "code_reuse")
		_ = s.record(ctx, src, audit.Entry{ActorID: a.Subject, Action: ActAuthorizationFailure, ResourceType: "oidc_client", ResourceID: a.ClientID, Error: "code_reuse"})
		return oidc.AuthRequest{}, invalidGrant(op, "The code was already used")
	case fault.Is(err, fault.NotFound):
		return oidc.AuthRequest{}, invalidGrant(op, "The code is invalid or expired")
	case err != nil:
		return oidc.AuthRequest{}, fault.Wrap(op, fault.Unavailable, err)
	}
	if !now.Before(a.CodeExpiresAt) || !a.Done() {
		return oidc.AuthRequest{}, invalidGrant(op, "The code is invalid or expired")
	}
	return a, nil
}

// revokeFamily revokes a token family: its refresh tokens in the store and
// its access tokens through the denylist.
func (s *Service) revokeFamily(ctx context.Context, family, clientID, reason string) error {
	if family == "" {
		return nil
	}
	if _, err := s.d.Refresh.RevokeRefreshFamily(ctx, family, reason, s.now()); err != nil {
		return fault.Wrap("provider.revokeFamily", fault.Unavailable, err)
	}
	return fault.Wrap("provider.revokeFamily", fault.Unavailable, s.d.Denylist.Deny(ctx, "fam:"+family, s.accessTTL(ctx, clientID)))
}

// accessTTL bounds how long an access token of the client can live.
func (s *Service) accessTTL(ctx context.Context, clientID string) time.Duration {
	if c, err := s.d.Clients.ClientByClientID(ctx, clientID); err == nil && c.AccessTokenTTL > 0 {
		return c.AccessTokenTTL + time.Minute
	}
	return s.cfg.MaxAccessTTL
}

// AccessToken describes an access token. Its ID (the jti, also sealed
// inside opaque tokens) carries the family, the client, the scopes and the
// expiry, so that userinfo, introspection and revocation need no stored
// row: nothing is written per issued token (STACK-NOTES 22); revocation
// goes to the denylist instead.
type AccessToken struct {
	ID        string
	Family    string
	ClientID  string
	Scopes    []string
	ExpiresAt time.Time
}

// NewAccessToken names an access token of a family (the auth request or
// refresh family; "" for client_credentials).
func (s *Service) NewAccessToken(c oidc.Client, family string, scopes []string) AccessToken {
	var b [16]byte
	s.d.Random.Read(b[:])
	exp := s.now().Add(c.AccessTokenTTL).Truncate(time.Second)
	id := family + "." + encodeB64(b[:]) + "." + encodeB64([]byte(c.ClientID)) + "." +
		encodeB64([]byte(strings.Join(scopes, " "))) + "." + strconv.FormatInt(exp.Unix(), 10)
	return AccessToken{ID: id, Family: family, ClientID: c.ClientID, Scopes: scopes, ExpiresAt: exp}
}

// ParseAccessTokenID reads what NewAccessToken put into an ID. ok is
// false for IDs it did not make.
func ParseAccessTokenID(id string) (AccessToken, bool) {
	p := strings.Split(id, ".")
	if len(p) != 5 {
		return AccessToken{}, false
	}
	cid, err1 := base64.RawURLEncoding.DecodeString(p[2])
	sc, err2 := base64.RawURLEncoding.DecodeString(p[3])
	exp, err3 := strconv.ParseInt(p[4], 10, 64)
	if err1 != nil || err2 != nil || err3 != nil {
		return AccessToken{}, false
	}
	return AccessToken{ID: id, Family: p[0], ClientID: string(cid), Scopes: strings.Fields(string(sc)), ExpiresAt: time.Unix(exp, 0).UTC()}, true
}

// CheckAccessToken returns the token's description, or Unauthenticated
// when it is malformed, expired, revoked, or of a revoked family.
func (s *Service) CheckAccessToken(ctx context.Context, tokenID string) (AccessToken, error) {
	const op = "provider.CheckAccessToken"
	at, ok := ParseAccessTokenID(tokenID)
	if !ok || !s.now().Before(at.ExpiresAt) {
		return AccessToken{}, fault.E(op, fault.Unauthenticated, "The token is invalid or expired")
	}
	keys := []string{"jti:" + tokenID}
	if at.Family != "" {
		keys = append(keys, "fam:"+at.Family)
	}
	denied, err := s.d.Denylist.AnyDenied(ctx, keys...)
	if err != nil {
		return AccessToken{}, fault.Wrap(op, fault.Unavailable, err)
	}
	if denied {
		return AccessToken{}, fault.E(op, fault.Unauthenticated, "The token was revoked")
	}
	// Tokens of a disabled or deleted client stop working with it.
	if _, err := s.Client(ctx, at.ClientID); err != nil {
		if fault.Is(err, fault.NotFound) {
			return AccessToken{}, fault.E(op, fault.Unauthenticated, "The token's client is no longer active")
		}
		return AccessToken{}, err
	}
	return at, nil
}

// Grant is what a new refresh token continues: a finished auth request
// (new family) or a refresh token being rotated.
type Grant struct {
	ClientID  string
	Subject   string
	SessionID string
	Scopes    []string
	AMR       []string
	ACR       string
	AuthTime  time.Time
	// FamilyID is the family to continue; a new family uses the auth
	// request ID so that a reused code revokes it.
	FamilyID string
}

// IssueRefreshToken starts a refresh family for a code exchange, if the
// client may have one: the refresh_token grant and the offline_access
// scope. It returns "" when no refresh token is due.
func (s *Service) IssueRefreshToken(ctx context.Context, c oidc.Client, g Grant, src audit.Source) (string, error) {
	const op = "provider.IssueRefreshToken"
	if !c.HasGrant(oidc.GrantRefreshToken) || !slices.Contains(g.Scopes, oidc.ScopeOfflineAccess) {
		return "", nil
	}
	now := s.now()
	tok := s.newToken()
	rt := oidc.RefreshToken{
		ID: s.newID(), FamilyID: g.FamilyID, TokenHash: HashToken(tok), ClientID: c.ClientID, Subject: g.Subject,
		SessionID: g.SessionID, Scopes: g.Scopes, AMR: g.AMR, ACR: g.ACR, AuthTime: g.AuthTime, CreatedAt: now,
		ExpiresAt: now.Add(c.RefreshTokenTTL), IdleExpiresAt: minTime(now.Add(idleTTL(c)), now.Add(c.RefreshTokenTTL)),
	}
	if err := s.d.Refresh.CreateRefreshToken(ctx, rt); err != nil {
		return "", fault.Wrap(op, fault.Internal, err)
	}
	_ = s.recordEvent(ctx, src, audit.Entry{ActorID: g.Subject, Action: ActTokenIssue, Success: true, ResourceType: "oidc_client", ResourceID: c.ClientID, OrgID: c.OrgID,
		Extra: map[string]any{"grant": "authorization_code", "refresh": true}})
	return tok, nil
}

func idleTTL(c oidc.Client) time.Duration {
	if c.RefreshIdleTTL > 0 {
		return c.RefreshIdleTTL
	}
	return c.RefreshTokenTTL
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// RefreshToken returns the usable refresh token for a refresh request.
// Presenting a rotated token within RefreshGrace fails without harm (a
// concurrent refresh won); later it is reuse and revokes the family, as
// does a token of another client. Revoked, expired and unknown tokens
// fail with invalid_grant; so do tokens of blocked users.
func (s *Service) RefreshToken(ctx context.Context, token, clientID string, src audit.Source) (oidc.RefreshToken, error) {
	const op = "provider.RefreshToken"
	rt, err := s.d.Refresh.RefreshTokenByHash(ctx, HashToken(token))
	if fault.Is(err, fault.NotFound) {
		return oidc.RefreshToken{}, invalidGrant(op, "The refresh token is invalid")
	}
	if err != nil {
		return oidc.RefreshToken{}, fault.Wrap(op, fault.Unavailable, err)
	}
	if clientID != "" && rt.ClientID != clientID {
		return oidc.RefreshToken{}, invalidGrant(op, "The refresh token is invalid")
	}
	now := s.now()
	if rt.RotatedAt != nil && rt.RevokedAt == nil {
		if now.Sub(*rt.RotatedAt) > s.cfg.RefreshGrace {
			_ = s.revokeFamily(ctx, rt.FamilyID, rt.ClientID, "refresh_reuse")
			_ = s.record(ctx, src, audit.Entry{ActorID: rt.Subject, Action: ActAuthorizationFailure, ResourceType: "oidc_client", ResourceID: rt.ClientID, Error: "refresh_reuse"})
		}
		return oidc.RefreshToken{}, invalidGrant(op, "The refresh token was already used")
	}
	if !rt.UsableAt(now) {
		return oidc.RefreshToken{}, invalidGrant(op, "The refresh token is invalid or expired")
	}
	u, err := s.d.Users.UserByID(ctx, rt.Subject)
	if err != nil || userBlocked(u) {
		return oidc.RefreshToken{}, invalidGrant(op, "The refresh token is invalid")
	}
	return rt, nil
}

// RotateRefreshToken replaces a refresh token by a child with scopes (a
// subset of the old ones: scope can only narrow). Of concurrent rotations
// of one token exactly one wins; a loser gets invalid_grant.
func (s *Service) RotateRefreshToken(ctx context.Context, c oidc.Client, token string, scopes []string, src audit.Source) (string, oidc.RefreshToken, error) {
	const op = "provider.RotateRefreshToken"
	old, err := s.RefreshToken(ctx, token, c.ClientID, src)
	if err != nil {
		return "", oidc.RefreshToken{}, err
	}
	if len(scopes) == 0 {
		scopes = old.Scopes
	}
	if !oidc.Subset(scopes, old.Scopes) {
		return "", oidc.RefreshToken{}, &fault.Error{Op: op, Kind: fault.Invalid, Code: CodeInvalidScope, Msg: "The scope may only narrow"}
	}
	now := s.now()
	tok := s.newToken()
	next := old
	next.ID, next.ParentID, next.TokenHash, next.Scopes, next.CreatedAt = s.newID(), old.ID, HashToken(tok), scopes, now
	next.IdleExpiresAt = minTime(now.Add(idleTTL(c)), old.ExpiresAt)
	next.RotatedAt, next.RevokedAt, next.RevokedReason = nil, nil, ""
	err = s.d.Refresh.RotateRefreshToken(ctx, old.TokenHash, now, next)
	if fault.Is(err, fault.Conflict) || fault.Is(err, fault.NotFound) {
		return "", oidc.RefreshToken{}, invalidGrant(op, "The refresh token was already used")
	}
	if err != nil {
		return "", oidc.RefreshToken{}, fault.Wrap(op, fault.Internal, err)
	}
	_ = s.recordEvent(ctx, src, audit.Entry{ActorID: old.Subject, Action: ActTokenRefresh, Success: true, ResourceType: "oidc_client", ResourceID: c.ClientID, OrgID: c.OrgID})
	return tok, next, nil
}

// RefreshTokenInfo returns the owner and ID of a refresh token for
// revocation. NotFound when it is not a refresh token of the client.
func (s *Service) RefreshTokenInfo(ctx context.Context, clientID, token string) (oidc.RefreshToken, error) {
	rt, err := s.d.Refresh.RefreshTokenByHash(ctx, HashToken(token))
	if err != nil || (clientID != "" && rt.ClientID != clientID) {
		return oidc.RefreshToken{}, fault.E("provider.RefreshTokenInfo", fault.NotFound, "Not a refresh token of this client")
	}
	return rt, nil
}

// RevokeRefreshToken revokes the family of a client's refresh token (RFC
// 7009; tokens of other clients are ignored, as the RFC asks).
func (s *Service) RevokeRefreshToken(ctx context.Context, clientID, token string, src audit.Source) error {
	rt, err := s.RefreshTokenInfo(ctx, clientID, token)
	if fault.Is(err, fault.NotFound) {
		return nil // RFC 7009: unknown tokens and other clients' are ignored
	}
	if err != nil {
		return err
	}
	if err := s.revokeFamily(ctx, rt.FamilyID, rt.ClientID, "revoked"); err != nil {
		return err
	}
	_ = s.record(ctx, src, audit.Entry{ActorID: rt.Subject, Action: ActTokenRevocation, Success: true, ResourceType: "oidc_client", ResourceID: clientID,
		Extra: map[string]any{"token_type": "refresh_token"}})
	return nil
}

// RevokeAccessToken denies one access token until it would have expired.
// Tokens of other clients are ignored.
func (s *Service) RevokeAccessToken(ctx context.Context, clientID, tokenID, subject string, src audit.Source) error {
	at, ok := ParseAccessTokenID(tokenID)
	if !ok || at.ClientID != clientID {
		// RFC 7009: tokens the client does not own are ignored.
		return nil
	}
	if err := s.d.Denylist.Deny(ctx, "jti:"+tokenID, s.accessTTL(ctx, clientID)); err != nil {
		return fault.Wrap("provider.RevokeAccessToken", fault.Unavailable, err)
	}
	_ = s.record(ctx, src, audit.Entry{ActorID: subject, Action: ActTokenRevocation, Success: true, ResourceType: "oidc_client", ResourceID: clientID,
		Extra: map[string]any{"token_type": "access_token"}})
	return nil
}

// revokeUserTokens revokes the user's refresh families (optionally only of
// one client or one SSO session) and denies their access tokens.
func (s *Service) revokeUserTokens(ctx context.Context, userID, clientID, sessionID, reason string) error {
	const op = "provider.revokeUserTokens"
	fams, err := s.d.Refresh.RevokeRefreshTokens(ctx, ports.RefreshFilter{Subject: userID, ClientID: clientID, SessionID: sessionID}, reason, s.now())
	if err != nil {
		return fault.Wrap(op, fault.Unavailable, err)
	}
	for _, f := range fams {
		if err := s.d.Denylist.Deny(ctx, "fam:"+f, s.cfg.MaxAccessTTL); err != nil {
			return fault.Wrap(op, fault.Unavailable, err)
		}
	}
	return nil
}

// RevokeUser revokes every refresh token of the user (password reset,
// suspension, deletion). It is the hook the account use cases call.
func (s *Service) RevokeUser(ctx context.Context, userID, reason string) error {
	return s.revokeUserTokens(ctx, userID, "", "", reason)
}

// IntrospectRefreshToken describes a usable refresh token of the client
// (RFC 7662; only the owner may introspect it). ok is false for anything
// else, which the edge then treats as another kind of token or inactive.
func (s *Service) IntrospectRefreshToken(ctx context.Context, clientID, token string, src audit.Source) (oidc.RefreshToken, bool) {
	rt, err := s.d.Refresh.RefreshTokenByHash(ctx, HashToken(token))
	if err != nil || rt.ClientID != clientID || !rt.UsableAt(s.now()) {
		return oidc.RefreshToken{}, false
	}
	if u, err := s.d.Users.UserByID(ctx, rt.Subject); err != nil || userBlocked(u) {
		return oidc.RefreshToken{}, false
	}
	s.Introspected(ctx, clientID, true, src)
	return rt, true
}

// Introspected records an introspection for the audit trail.
func (s *Service) Introspected(ctx context.Context, clientID string, active bool, src audit.Source) {
	_ = s.recordEvent(ctx, src, audit.Entry{Action: ActTokenIntrospection, Success: true, ResourceType: "oidc_client", ResourceID: clientID, Extra: map[string]any{"active": active}})
}

// UserinfoAccessed records a userinfo call for the audit trail.
func (s *Service) UserinfoAccessed(ctx context.Context, subject, clientID string, src audit.Source) {
	_ = s.recordEvent(ctx, src, audit.Entry{ActorID: subject, Action: ActUserinfoAccess, Success: true, ResourceType: "oidc_client", ResourceID: clientID})
}

// TokenIssued records a token response without a refresh token.
func (s *Service) TokenIssued(ctx context.Context, c oidc.Client, subject, grant string, src audit.Source) {
	_ = s.recordEvent(ctx, src, audit.Entry{ActorID: subject, Action: ActTokenIssue, Success: true, ResourceType: "oidc_client", ResourceID: c.ClientID, OrgID: c.OrgID,
		Extra: map[string]any{"grant": grant}})
}

// ClientCredentials checks that the client may use client_credentials and
// returns the scopes it gets (the requested ones it is allowed; identity
// scopes are never granted without a user).
func (s *Service) ClientCredentials(c oidc.Client, requested []string) ([]string, error) {
	const op = "provider.ClientCredentials"
	if c.Public() || !c.HasGrant(oidc.GrantClientCredentials) {
		return nil, &fault.Error{Op: op, Kind: fault.Forbidden, Code: CodeUnauthorizedClient, Msg: "The client may not use client_credentials"}
	}
	out := []string{}
	for _, sc := range oidc.FilterScopes(c, requested) {
		switch sc {
		case oidc.ScopeOpenID, oidc.ScopeProfile, oidc.ScopeEmail, oidc.ScopeOfflineAccess, oidc.ScopeRoles:
			continue
		}
		out = append(out, sc)
	}
	if len(requested) > 0 && len(out) == 0 {
		return nil, &fault.Error{Op: op, Kind: fault.Invalid, Code: CodeInvalidScope, Msg: "None of the requested scopes is allowed"}
	}
	return out, nil
}
