package oidcop

import (
	"context"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/secuird/secuird/core/audit"
	"github.com/secuird/secuird/core/fault"
	coreoidc "github.com/secuird/secuird/core/oidc"
	"github.com/secuird/secuird/core/provider"
)

// storage implements op.Storage and the optional interfaces Secuird
// supports by calling one core operation per method and converting types.
type storage struct {
	p        *provider.Service
	loginURL string

	kmu    sync.Mutex
	parsed map[string]any // kid -> parsed private key
	pub    []op.Key       // parsed public keys of pubFor
	pubFor *provider.KeySet
}

var (
	_ op.Storage                        = (*storage)(nil)
	_ op.ClientCredentialsStorage       = (*storage)(nil)
	_ op.CanSetUserinfoFromRequest      = (*storage)(nil)
	_ op.CanGetPrivateClaimsFromRequest = (*storage)(nil)
)

// reqState is per-request state the adaptor puts into the context: the
// caller's audit source and the client the request authenticated, which
// picks the signing algorithm of its tokens.
type reqState struct {
	src    audit.Source
	mu     sync.Mutex
	client *coreoidc.Client
	ssoSID string // hash of the SSO cookie's session token, for end_session
	// accessJWT is set while the library builds a JWT access token: it asks
	// for the token's private claims and then for the signing key, so the
	// next SigningKey call signs an access token (ES256), not an ID token.
	accessJWT bool
	// device is the device grant redeemed by this token request.
	device *coreoidc.DeviceGrant
	// exchange is the token exchange the core allowed in this request.
	exchange *provider.Exchange
	// asserted is the client whose private_key_jwt assertion the handler
	// verified in full (checkClientAssertion) for this request.
	asserted string
}

type stateKey struct{}

func stateFrom(ctx context.Context) *reqState {
	if st, ok := ctx.Value(stateKey{}).(*reqState); ok {
		return st
	}
	return &reqState{}
}

func (st *reqState) setClient(c coreoidc.Client) {
	st.mu.Lock()
	st.client = &c
	st.mu.Unlock()
}

func (s *storage) src(ctx context.Context) audit.Source { return stateFrom(ctx).src }

func (s *storage) wrapClient(c coreoidc.Client) *client { return &client{c: c, loginURL: s.loginURL} }

// CreateAuthRequest applies the core's authorization policy (PKCE S256
// only and required where policy says, exact redirect URI, scopes).
func (s *storage) CreateAuthRequest(ctx context.Context, r *oidc.AuthRequest, userID string) (op.AuthRequest, error) {
	in := provider.AuthorizeInput{
		ClientID: r.ClientID, RedirectURI: r.RedirectURI, State: r.State, Nonce: r.Nonce, Scopes: r.Scopes,
		ResponseType: string(r.ResponseType), ResponseMode: string(r.ResponseMode), CodeChallenge: r.CodeChallenge,
		CodeChallengeMethod: string(r.CodeChallengeMethod), Prompt: r.Prompt, LoginHint: r.LoginHint,
		ACRValues: r.ACRValues, IDTokenHintSubject: userID,
	}
	if r.MaxAge != nil && *r.MaxAge <= 1<<31 {
		d := time.Duration(int64(*r.MaxAge)) * time.Second // #nosec G115 -- bounded above
		in.MaxAge = &d
	}
	for _, l := range r.UILocales {
		in.UILocales = append(in.UILocales, l.String())
	}
	a, err := s.p.CreateAuthRequest(ctx, in, s.src(ctx))
	if err != nil {
		if fe := fault.As(err); fe != nil && strings.Contains(fe.Msg, "redirect_uri") {
			// Never redirect to a URI that is not registered.
			return nil, oidc.ErrInvalidRequestRedirectURI().WithDescription("%s", fe.Msg)
		}
		return nil, toOIDC(err, oidc.ErrInvalidClient)
	}
	return &authRequest{a: a}, nil
}

// AuthRequestByID returns a pending request (the callback after login).
func (s *storage) AuthRequestByID(ctx context.Context, id string) (op.AuthRequest, error) {
	a, err := s.p.AuthRequest(ctx, id)
	if err != nil {
		return nil, toOIDC(err, oidc.ErrInvalidRequest)
	}
	return &authRequest{a: a}, nil
}

// AuthRequestByCode spends the code (single use; reuse revokes).
func (s *storage) AuthRequestByCode(ctx context.Context, code string) (op.AuthRequest, error) {
	a, err := s.p.RedeemCode(ctx, code, s.src(ctx))
	if err != nil {
		return nil, toOIDC(err, nil)
	}
	return &authRequest{a: a}, nil
}

// SaveAuthCode binds the code the library made to the request.
func (s *storage) SaveAuthCode(ctx context.Context, id, code string) error {
	return toOIDCErr(s.p.SaveCode(ctx, id, code), oidc.ErrInvalidRequest)
}

// DeleteAuthRequest keeps the request: its spent code must stay known so a
// second redemption is detected; expired requests are purged in bulk.
func (s *storage) DeleteAuthRequest(context.Context, string) error { return nil }

// familyOf names the token family of a token request.
func familyOf(req op.TokenRequest) string {
	switch r := req.(type) {
	case *authRequest:
		return r.a.ID
	case *refreshRequest:
		return r.t.FamilyID
	}
	return ""
}

// tokenFamily is familyOf, with the device grant of the request context.
func tokenFamily(ctx context.Context, req op.TokenRequest) string {
	if _, ok := req.(op.TokenExchangeRequest); ok {
		st := stateFrom(ctx)
		st.mu.Lock()
		defer st.mu.Unlock()
		if st.exchange != nil {
			return st.exchange.Family
		}
		return ""
	}
	if _, ok := req.(*op.DeviceAuthorizationState); ok {
		if g := deviceGrant(ctx); g != nil {
			return g.ID
		}
	}
	return familyOf(req)
}

func (s *storage) clientOf(ctx context.Context, clientID string) (coreoidc.Client, error) {
	if st := stateFrom(ctx); st.client != nil && st.client.ClientID == clientID {
		return *st.client, nil
	}
	return s.p.Client(ctx, clientID)
}

func clientIDOf(req op.TokenRequest) string {
	switch r := req.(type) {
	case *authRequest:
		return r.a.ClientID
	case *refreshRequest:
		return r.t.ClientID
	case *ccRequest:
		return r.clientID
	case *op.DeviceAuthorizationState:
		return r.ClientID
	case op.TokenExchangeRequest:
		return r.GetClientID()
	}
	if aud := req.GetAudience(); len(aud) > 0 {
		return aud[0]
	}
	return ""
}

// CreateAccessToken names an access token; nothing is stored.
func (s *storage) CreateAccessToken(ctx context.Context, req op.TokenRequest) (string, time.Time, error) {
	c, err := s.clientOf(ctx, clientIDOf(req))
	if err != nil {
		return "", time.Time{}, toOIDC(err, oidc.ErrInvalidClient)
	}
	at := s.p.NewAccessToken(c, tokenFamily(ctx, req), req.GetScopes())
	switch r := req.(type) {
	case *ccRequest:
		s.p.TokenIssued(ctx, c, r.clientID, coreoidc.GrantClientCredentials, s.src(ctx))
	case *authRequest:
		s.p.TokenIssued(ctx, c, r.a.Subject, coreoidc.GrantAuthorizationCode, s.src(ctx))
	}
	return at.ID, at.ExpiresAt, nil
}

// CreateAccessAndRefreshTokens starts a refresh family (code exchange with
// offline_access) or rotates a refresh token (refresh grant).
func (s *storage) CreateAccessAndRefreshTokens(ctx context.Context, req op.TokenRequest, current string) (string, string, time.Time, error) {
	c, err := s.clientOf(ctx, clientIDOf(req))
	if err != nil {
		return "", "", time.Time{}, toOIDC(err, oidc.ErrInvalidClient)
	}
	var refresh string
	switch r := req.(type) {
	case *authRequest:
		a := r.a
		refresh, err = s.p.IssueRefreshToken(ctx, c, provider.Grant{ClientID: c.ClientID, Subject: a.Subject, SessionID: a.SessionID,
			Scopes: a.Scopes, AMR: a.AMR, ACR: a.ACR, AuthTime: a.AuthTime, FamilyID: a.ID}, s.src(ctx))
	case *refreshRequest:
		var next coreoidc.RefreshToken
		refresh, next, err = s.p.RotateRefreshToken(ctx, c, current, r.scopes, s.src(ctx))
		if err == nil {
			r.t = next
		}
	case *op.DeviceAuthorizationState:
		g := deviceGrant(ctx)
		if g == nil {
			err = fault.E("oidcop.CreateAccessAndRefreshTokens", fault.Invalid, "Refresh tokens are not issued for this grant")
			break
		}
		refresh, err = s.p.IssueRefreshToken(ctx, c, deviceRefreshGrant(g), s.src(ctx))
	default:
		err = fault.E("oidcop.CreateAccessAndRefreshTokens", fault.Invalid, "Refresh tokens are not issued for this grant")
	}
	if err != nil {
		return "", "", time.Time{}, toOIDC(err, nil)
	}
	at := s.p.NewAccessToken(c, tokenFamily(ctx, req), req.GetScopes())
	return at.ID, refresh, at.ExpiresAt, nil
}

// TokenRequestByRefreshToken returns the usable refresh token (reuse of a
// rotated one revokes its family).
func (s *storage) TokenRequestByRefreshToken(ctx context.Context, token string) (op.RefreshTokenRequest, error) {
	clientID := ""
	if st := stateFrom(ctx); st.client != nil {
		clientID = st.client.ClientID
	}
	t, err := s.p.RefreshToken(ctx, token, clientID, s.src(ctx))
	if err != nil {
		return nil, toOIDC(err, nil)
	}
	return &refreshRequest{t: t, scopes: t.Scopes}, nil
}

// TerminateSession is never reached: end_session is served by
// Provider.Handler (serveEndSession), which asks the core whether the user
// must confirm first.
func (s *storage) TerminateSession(context.Context, string, string) error { return nil }

// RevokeToken revokes an access token (by its ID) or a refresh family.
func (s *storage) RevokeToken(ctx context.Context, tokenOrID, userID, clientID string) *oidc.Error {
	if fam, ok := strings.CutPrefix(tokenOrID, "rt:"); ok {
		if err := s.p.RevokeRefreshToken(ctx, clientID, fam, s.src(ctx)); err != nil {
			return toOIDC(err, nil)
		}
		return nil
	}
	if err := s.p.RevokeAccessToken(ctx, clientID, tokenOrID, userID, s.src(ctx)); err != nil {
		return toOIDC(err, nil)
	}
	return nil
}

// GetRefreshTokenInfo identifies a client's refresh token for revocation.
// The returned ID is "rt:" and the token itself, passed back to
// RevokeToken in the same request and never shown.
func (s *storage) GetRefreshTokenInfo(ctx context.Context, clientID, token string) (string, string, error) {
	rt, err := s.p.RefreshTokenInfo(ctx, clientID, token)
	if err != nil {
		return "", "", op.ErrInvalidRefreshToken
	}
	return rt.Subject, "rt:" + token, nil
}

// signingAlg picks the algorithm of the token being signed: access tokens
// are ES256 (tens of microseconds to sign, STACK-NOTES 11); ID tokens use
// the client's algorithm (RS256 by default, which every RP accepts).
func (s *storage) signingAlg(ctx context.Context) string {
	st := stateFrom(ctx)
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.accessJWT {
		st.accessJWT = false
		return coreoidc.AlgES256
	}
	if st.client != nil && st.client.IDTokenAlg == coreoidc.AlgES256 {
		return coreoidc.AlgES256
	}
	return coreoidc.AlgRS256
}

type signingKey struct {
	id  string
	alg jose.SignatureAlgorithm
	key any
}

// SignatureAlgorithm implements op.SigningKey.
func (k signingKey) SignatureAlgorithm() jose.SignatureAlgorithm { return k.alg }

// Key implements op.SigningKey.
func (k signingKey) Key() any { return k.key }

// ID implements op.SigningKey.
func (k signingKey) ID() string { return k.id }

// SigningKey returns the active key of the request's algorithm.
func (s *storage) SigningKey(ctx context.Context) (op.SigningKey, error) {
	set, err := s.p.Keys(ctx)
	if err != nil {
		return nil, toOIDC(err, nil)
	}
	alg := s.signingAlg(ctx)
	m, ok := set.Active[alg]
	if !ok {
		return nil, oidc.ErrServerError().WithDescription("no signing key")
	}
	key, err := s.privateKey(m)
	if err != nil {
		return nil, oidc.ErrServerError().WithDescription("no signing key")
	}
	return signingKey{id: m.ID, alg: jose.SignatureAlgorithm(m.Alg), key: key}, nil
}

func (s *storage) privateKey(m provider.KeyMaterial) (any, error) {
	s.kmu.Lock()
	defer s.kmu.Unlock()
	if k, ok := s.parsed[m.ID]; ok {
		return k, nil
	}
	k, err := x509.ParsePKCS8PrivateKey(m.PrivateDER)
	if err != nil {
		return nil, err
	}
	switch k.(type) {
	case *rsa.PrivateKey, *ecdsa.PrivateKey:
	default:
		return nil, errors.New("unsupported key type")
	}
	if s.parsed == nil {
		s.parsed = map[string]any{}
	}
	s.parsed[m.ID] = k
	return k, nil
}

// SignatureAlgorithms lists what the provider signs with.
func (s *storage) SignatureAlgorithms(context.Context) ([]jose.SignatureAlgorithm, error) {
	return []jose.SignatureAlgorithm{jose.RS256, jose.ES256}, nil
}

type publicKey struct{ jwk jose.JSONWebKey }

// ID implements op.Key.
func (k publicKey) ID() string { return k.jwk.KeyID }

// Algorithm implements op.Key.
func (k publicKey) Algorithm() jose.SignatureAlgorithm {
	return jose.SignatureAlgorithm(k.jwk.Algorithm)
}

// Use implements op.Key.
func (k publicKey) Use() string { return "sig" }

// Key implements op.Key.
func (k publicKey) Key() any { return k.jwk.Key }

// KeySet returns every published key (next, active, retiring). The
// parsed keys are kept until the core reloads its key set, so verifying a
// token parses no JSON.
func (s *storage) KeySet(ctx context.Context) ([]op.Key, error) {
	set, err := s.p.Keys(ctx)
	if err != nil {
		return nil, toOIDC(err, nil)
	}
	s.kmu.Lock()
	if s.pubFor == set {
		out := s.pub
		s.kmu.Unlock()
		return out, nil
	}
	s.kmu.Unlock()
	out := make([]op.Key, 0, len(set.Published))
	for _, k := range set.Published {
		var jwk jose.JSONWebKey
		if err := json.Unmarshal([]byte(k.PublicJWK), &jwk); err != nil {
			continue
		}
		out = append(out, publicKey{jwk: jwk})
	}
	s.kmu.Lock()
	s.pub, s.pubFor = out, set
	s.kmu.Unlock()
	return out, nil
}

// GetClientByClientID returns a usable client.
func (s *storage) GetClientByClientID(ctx context.Context, clientID string) (op.Client, error) {
	c, err := s.p.Client(ctx, clientID)
	if err != nil {
		if fault.Is(err, fault.NotFound) {
			return nil, oidc.ErrInvalidClient().WithDescription("Unknown client")
		}
		return nil, toOIDC(err, oidc.ErrInvalidClient)
	}
	stateFrom(ctx).setClient(c)
	return s.wrapClient(c), nil
}

// AuthorizeClientIDSecret checks a client secret.
func (s *storage) AuthorizeClientIDSecret(ctx context.Context, clientID, secret string) error {
	// A client assertion was verified by the handler before
	// (checkClientAssertion, assertedAsBasic).
	if st := stateFrom(ctx); secret == "" && st.asserted != "" && clientID == st.asserted {
		c, err := s.p.Client(ctx, clientID)
		if err != nil {
			return oidc.ErrInvalidClient().WithDescription("Client authentication failed")
		}
		st.setClient(c)
		return nil
	}
	c, err := s.p.AuthenticateClient(ctx, clientID, secret, s.src(ctx))
	if err != nil {
		return toOIDC(err, oidc.ErrInvalidClient)
	}
	stateFrom(ctx).setClient(c)
	return nil
}

// ClientCredentials authenticates a client_credentials caller.
func (s *storage) ClientCredentials(ctx context.Context, clientID, secret string) (op.Client, error) {
	// The library's client_credentials path knows only secrets; a client
	// assertion was verified by the handler before.
	if st := stateFrom(ctx); secret == "" && st.asserted != "" && (clientID == "" || clientID == st.asserted) {
		c, err := s.p.Client(ctx, st.asserted)
		if err != nil {
			return nil, oidc.ErrInvalidClient().WithDescription("Client authentication failed")
		}
		st.setClient(c)
		return s.wrapClient(c), nil
	}
	c, err := s.p.AuthenticateClient(ctx, clientID, secret, s.src(ctx))
	if err != nil {
		return nil, toOIDC(err, oidc.ErrInvalidClient)
	}
	stateFrom(ctx).setClient(c)
	return s.wrapClient(c), nil
}

// ClientCredentialsTokenRequest applies the client_credentials policy.
func (s *storage) ClientCredentialsTokenRequest(ctx context.Context, clientID string, scopes []string) (op.TokenRequest, error) {
	if st := stateFrom(ctx); clientID == "" && st.asserted != "" {
		clientID = st.asserted
	}
	c, err := s.clientOf(ctx, clientID)
	if err != nil {
		return nil, toOIDC(err, oidc.ErrInvalidClient)
	}
	granted, err := s.p.ClientCredentials(c, scopes)
	if err != nil {
		return nil, toOIDC(err, nil)
	}
	return &ccRequest{clientID: clientID, scopes: granted}, nil
}

// SetUserinfoFromScopes is deprecated in the library; claims are set in
// SetUserinfoFromRequest.
func (s *storage) SetUserinfoFromScopes(context.Context, *oidc.UserInfo, string, string, []string) error {
	return nil
}

// SetUserinfoFromRequest fills the ID token's claims by scope, plus sid.
func (s *storage) SetUserinfoFromRequest(ctx context.Context, info *oidc.UserInfo, req op.IDTokenRequest, scopes []string) error {
	if err := s.fillUserinfo(ctx, info, req.GetSubject(), scopes); err != nil {
		return err
	}
	switch r := req.(type) {
	case *authRequest:
		if r.a.SessionID != "" {
			info.AppendClaims("sid", r.a.SessionID)
		}
	case *refreshRequest:
		if r.t.SessionID != "" {
			info.AppendClaims("sid", r.t.SessionID)
		}
	case *op.DeviceAuthorizationState:
		if g := deviceGrant(ctx); g != nil && g.SessionID != "" {
			info.AppendClaims("sid", g.SessionID)
		}
	}
	return nil
}

func (s *storage) fillUserinfo(ctx context.Context, info *oidc.UserInfo, subject string, scopes []string) error {
	uc, err := s.p.Claims(ctx, subject, scopes)
	if err != nil {
		return toOIDC(err, oidc.ErrAccessDenied)
	}
	info.Subject = uc.Subject
	if uc.HasProfile {
		info.Name, info.PreferredUsername = uc.Name, uc.PreferredUsername
		info.Picture = uc.Picture
		info.UpdatedAt = oidc.FromTime(uc.UpdatedAt)
	}
	if uc.HasEmail {
		info.Email, info.EmailVerified = uc.Email, oidc.Bool(uc.EmailVerified)
	}
	if uc.HasRoles {
		info.AppendClaims("roles", uc.Roles)
	}
	if o := uc.Org; o != nil {
		info.AppendClaims("org_id", o.ID)
		info.AppendClaims("org_slug", o.Slug)
		info.AppendClaims("org_name", o.Name)
		info.AppendClaims("org_role", o.Role)
	}
	return nil
}

// SetUserinfoFromToken answers /userinfo for a valid, unrevoked token.
func (s *storage) SetUserinfoFromToken(ctx context.Context, info *oidc.UserInfo, tokenID, subject, _ string) error {
	at, err := s.p.CheckAccessToken(ctx, tokenID)
	if err != nil {
		return oidc.ErrAccessDenied().WithDescription("The access token is invalid or revoked")
	}
	if at.ClientID == subject {
		return oidc.ErrAccessDenied().WithDescription("The access token has no user")
	}
	if err := s.fillUserinfo(ctx, info, subject, at.Scopes); err != nil {
		return err
	}
	s.p.UserinfoAccessed(ctx, subject, at.ClientID, s.src(ctx))
	return nil
}

// SetIntrospectionFromToken describes an active, unrevoked token.
func (s *storage) SetIntrospectionFromToken(ctx context.Context, resp *oidc.IntrospectionResponse, tokenID, subject, clientID string) error {
	at, err := s.p.CheckAccessToken(ctx, tokenID)
	if err != nil {
		s.p.Introspected(ctx, clientID, false, s.src(ctx))
		return oidc.ErrInvalidRequest().WithDescription("inactive")
	}
	resp.Active = true
	resp.Scope = at.Scopes
	resp.ClientID = at.ClientID
	resp.TokenType = oidc.BearerToken
	resp.Expiration = oidc.FromTime(at.ExpiresAt)
	resp.Subject = subject
	resp.Audience = []string{at.ClientID}
	resp.JWTID = tokenID
	if at.ClientID != subject {
		_ = s.fillIntrospection(ctx, resp, subject, at.Scopes)
	}
	s.p.Introspected(ctx, clientID, true, s.src(ctx))
	return nil
}

func (s *storage) fillIntrospection(ctx context.Context, resp *oidc.IntrospectionResponse, subject string, scopes []string) error {
	var info oidc.UserInfo
	if err := s.fillUserinfo(ctx, &info, subject, scopes); err != nil {
		return err
	}
	resp.SetUserInfo(&info)
	return nil
}

// GetPrivateClaimsFromScopes is superseded by GetPrivateClaimsFromRequest.
func (s *storage) GetPrivateClaimsFromScopes(context.Context, string, string, []string) (map[string]any, error) {
	return nil, nil
}

// GetPrivateClaimsFromRequest adds the RFC 9068 "scope" claim to JWT
// access tokens (STACK-NOTES trap 7).
func (s *storage) GetPrivateClaimsFromRequest(ctx context.Context, req op.TokenRequest, _ []string) (map[string]any, error) {
	st := stateFrom(ctx)
	st.mu.Lock()
	st.accessJWT = true
	st.mu.Unlock()
	return map[string]any{"scope": strings.Join(req.GetScopes(), " ")}, nil
}

// GetKeyByIDAndClientID returns a key of the client's registered JWKS
// (private_key_jwt).
func (s *storage) GetKeyByIDAndClientID(ctx context.Context, keyID, clientID string) (*jose.JSONWebKey, error) {
	c, err := s.p.Client(ctx, clientID)
	if err != nil || c.AuthMethod != coreoidc.AuthPrivateKeyJWT || c.JWKS == "" {
		return nil, oidc.ErrInvalidClient().WithDescription("Unknown client key")
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal([]byte(c.JWKS), &set); err != nil {
		return nil, oidc.ErrInvalidClient().WithDescription("Unknown client key")
	}
	for _, k := range set.Keys {
		if k.KeyID == keyID && k.IsPublic() {
			stateFrom(ctx).setClient(c)
			return &k, nil
		}
	}
	return nil, oidc.ErrInvalidClient().WithDescription("Unknown client key")
}

// ValidateJWTProfileScopes refuses: the JWT profile grant is not offered.
func (s *storage) ValidateJWTProfileScopes(context.Context, string, []string) ([]string, error) {
	return nil, oidc.ErrUnauthorizedClient().WithDescription("The JWT profile grant is not supported")
}

// Health reports whether the key set loads.
func (s *storage) Health(ctx context.Context) error {
	_, err := s.p.Keys(ctx)
	return err
}

func toOIDCErr(err error, notFound func() *oidc.Error) error {
	if err == nil {
		return nil
	}
	return toOIDC(err, notFound)
}
