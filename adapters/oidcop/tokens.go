package oidcop

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/crypto"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// accessTokenJOSEType is the JOSE "typ" of JWT access tokens (RFC 9068 2.1).
// ID tokens keep the library's "JWT".
const accessTokenJOSEType = "at+jwt"

// tokenServer is the op.Server behind the token endpoint (STACK-NOTES
// trap 23). It embeds the library's legacy server and replaces the grants
// that issue access tokens, because the library signs every JWT with
// typ "JWT" and has no hook for RFC 9068's "at+jwt". It also accepts a
// private_key_jwt assertion the handler verified in full
// (checkClientAssertion), whose aud may be the token endpoint alone.
type tokenServer struct {
	*op.LegacyServer
	p *Provider
}

// VerifyClient authenticates the caller of the token endpoint. A client
// assertion was verified by checkClientAssertion before the request got
// here (signature, aud, exp, jti, iss = sub) and arrives as
// assertedAsBasic made it; the library's own check would insist on the
// issuer in aud and refuse private_key_jwt clients on other grants than
// client_credentials.
func (s *tokenServer) VerifyClient(ctx context.Context, r *op.Request[op.ClientCredentials]) (op.Client, error) {
	st := stateFrom(ctx)
	st.mu.Lock()
	asserted := st.asserted
	st.mu.Unlock()
	if r.Data.ClientAssertion != "" {
		// Never reached through Handler, which verified the assertion and
		// handed it on as assertedAsBasic.
		return nil, unauthorized(oidc.ErrInvalidClient().WithDescription("Client authentication failed"))
	}
	if asserted != "" && r.Data.ClientID == asserted && r.Data.ClientSecret == "" {
		c, err := s.p.svc.Client(ctx, asserted)
		if err != nil {
			return nil, unauthorized(oidc.ErrInvalidClient().WithDescription("Client authentication failed"))
		}
		st.setClient(c)
		return &client{c: c, loginURL: PathLogin + "?id="}, nil
	}
	c, err := s.LegacyServer.VerifyClient(ctx, r)
	return c, unauthorized(err)
}

// unauthorized answers invalid_client with 401, as the library's legacy
// handlers do (its op.Server answers 400).
func unauthorized(err error) error {
	var oe *oidc.Error
	if errors.As(err, &oe) && oe.ErrorType == oidc.InvalidClient {
		return op.NewStatusError(err, http.StatusUnauthorized)
	}
	return err
}

// CodeExchange redeems an authorization code (as the legacy server does)
// and issues the tokens itself.
func (s *tokenServer) CodeExchange(ctx context.Context, r *op.ClientRequest[oidc.AccessTokenRequest]) (*op.Response, error) {
	storage := s.p.op.Storage()
	authReq, err := op.AuthRequestByCode(ctx, storage, r.Data.Code)
	if err != nil {
		return nil, err
	}
	if r.Client.AuthMethod() == oidc.AuthMethodNone || r.Data.CodeVerifier != "" {
		if err = op.AuthorizeCodeChallenge(r.Data.CodeVerifier, authReq.GetCodeChallenge()); err != nil {
			return nil, err
		}
	}
	if r.Client.GetID() != authReq.GetClientID() {
		return nil, oidc.ErrInvalidGrant()
	}
	if r.Data.RedirectURI != authReq.GetRedirectURI() {
		return nil, oidc.ErrInvalidGrant().WithDescription("redirect_uri does not correspond")
	}
	resp, err := s.p.tokenResponse(ctx, authReq, r.Client, r.Data.Code, "")
	if err != nil {
		return nil, err
	}
	return op.NewResponse(resp), nil
}

// RefreshToken rotates a refresh token (as the legacy server does) and
// issues the tokens itself.
func (s *tokenServer) RefreshToken(ctx context.Context, r *op.ClientRequest[oidc.RefreshTokenRequest]) (*op.Response, error) {
	request, err := op.RefreshTokenRequestByRefreshToken(ctx, s.p.op.Storage(), r.Data.RefreshToken)
	if err != nil {
		return nil, err
	}
	if r.Client.GetID() != request.GetClientID() {
		return nil, oidc.ErrInvalidGrant()
	}
	if err = op.ValidateRefreshTokenScopes(r.Data.Scopes, request); err != nil {
		return nil, err
	}
	resp, err := s.p.tokenResponse(ctx, request, r.Client, "", r.Data.RefreshToken)
	if err != nil {
		return nil, err
	}
	return op.NewResponse(resp), nil
}

// ClientCredentialsExchange answers the client_credentials grant.
func (s *tokenServer) ClientCredentialsExchange(ctx context.Context, r *op.ClientRequest[oidc.ClientCredentialsRequest]) (*op.Response, error) {
	st, ok := s.p.op.Storage().(op.ClientCredentialsStorage)
	if !ok {
		return nil, oidc.ErrUnsupportedGrantType()
	}
	req, err := st.ClientCredentialsTokenRequest(ctx, r.Client.GetID(), r.Data.Scope)
	if err != nil {
		return nil, unauthorized(err)
	}
	at, _, validity, err := s.p.accessToken(ctx, req, r.Client, "")
	if err != nil {
		return nil, err
	}
	return op.NewResponse(&oidc.AccessTokenResponse{AccessToken: at, TokenType: oidc.BearerToken,
		ExpiresIn: uint64(validity.Seconds()), Scope: req.GetScopes()}), nil
}

// TokenExchange answers RFC 8693 token exchange (access tokens only; the
// storage refuses other requested types).
func (s *tokenServer) TokenExchange(ctx context.Context, r *op.ClientRequest[oidc.TokenExchangeRequest]) (*op.Response, error) {
	req, err := op.CreateTokenExchangeRequest(ctx, r.Data, r.Client, s.p.op)
	if err != nil {
		return nil, err
	}
	if req.GetRequestedTokenType() != oidc.AccessTokenType {
		return nil, oidc.ErrInvalidRequest().WithDescription("requested_token_type is invalid")
	}
	at, rt, validity, err := s.p.accessToken(ctx, req, r.Client, "")
	if err != nil {
		return nil, err
	}
	return op.NewResponse(&oidc.TokenExchangeResponse{AccessToken: at, IssuedTokenType: req.GetRequestedTokenType(),
		TokenType: oidc.BearerToken, ExpiresIn: uint64(validity.Seconds()), RefreshToken: rt, Scopes: req.GetScopes()}), nil
}

// tokenResponse builds the response of the code, refresh and device
// grants: an access token, perhaps a refresh token, and an ID token when
// the request asked for openid (op.CreateTokenResponse with our access
// token).
func (p *Provider) tokenResponse(ctx context.Context, req op.IDTokenRequest, c op.Client, code, refreshToken string) (*oidc.AccessTokenResponse, error) {
	at, rt, validity, err := p.accessToken(ctx, req, c, refreshToken)
	if err != nil {
		return nil, err
	}
	resp := &oidc.AccessTokenResponse{AccessToken: at, RefreshToken: rt, TokenType: oidc.BearerToken,
		ExpiresIn: uint64(validity.Seconds()), Scope: req.GetScopes()}
	if _, device := req.(*op.DeviceAuthorizationState); !device || slices.Contains(req.GetScopes(), oidc.ScopeOpenID) {
		resp.IDToken, err = op.CreateIDToken(ctx, op.IssuerFromContext(ctx), req, c.IDTokenLifetime(), at, code, p.op.Storage(), c)
		if err != nil {
			return nil, err
		}
	}
	if ar, ok := req.(op.AuthRequest); ok {
		if err := p.op.Storage().DeleteAuthRequest(ctx, ar.GetID()); err != nil {
			return nil, err
		}
	}
	return resp, nil
}

// accessToken stores the grant's tokens and returns the access token (a
// JWT with typ at+jwt, or the library's opaque token), the new refresh
// token if one is due, and the access token's validity (op.CreateAccessToken
// with our JWT).
func (p *Provider) accessToken(ctx context.Context, req op.TokenRequest, c op.Client, refreshToken string) (string, string, time.Duration, error) {
	storage := p.op.Storage()
	var (
		id, rt string
		exp    time.Time
		err    error
	)
	if needsRefreshToken(req, c) {
		id, rt, exp, err = storage.CreateAccessAndRefreshTokens(ctx, req, refreshToken)
	} else {
		id, exp, err = storage.CreateAccessToken(ctx, req)
	}
	if err != nil {
		return "", "", 0, err
	}
	validity := exp.Add(c.ClockSkew()).Sub(time.Now().UTC())
	if c.AccessTokenType() != op.AccessTokenTypeJWT {
		at, err := op.CreateBearerToken(id, req.GetSubject(), p.op.Crypto())
		return at, rt, validity, err
	}
	at, err := p.signAccessToken(ctx, req, c, id, exp)
	return at, rt, validity, err
}

// needsRefreshToken mirrors the library's rule: a refresh token for a code
// or device grant with offline_access (and a client allowed the refresh
// grant), and on every refresh.
func needsRefreshToken(req op.TokenRequest, c op.Client) bool {
	switch r := req.(type) {
	case op.AuthRequest:
		return slices.Contains(r.GetScopes(), oidc.ScopeOfflineAccess) && r.GetResponseType() == oidc.ResponseTypeCode &&
			op.ValidateGrantType(c, oidc.GrantTypeRefreshToken)
	case op.TokenExchangeRequest:
		return r.GetRequestedTokenType() == oidc.RefreshTokenType
	case op.RefreshTokenRequest:
		return true
	case *op.DeviceAuthorizationState:
		return slices.Contains(r.GetScopes(), oidc.ScopeOfflineAccess) && op.ValidateGrantType(c, oidc.GrantTypeRefreshToken)
	default:
		return false
	}
}

// signAccessToken builds the RFC 9068 JWT access token (claims as
// op.CreateJWT) and signs it with JOSE header typ "at+jwt".
func (p *Provider) signAccessToken(ctx context.Context, req op.TokenRequest, c op.Client, id string, exp time.Time) (string, error) {
	storage := p.op.Storage()
	claims := oidc.NewAccessTokenClaims(op.IssuerFromContext(ctx), req.GetSubject(), req.GetAudience(), exp, id, c.GetID(), c.ClockSkew())
	var (
		private map[string]any
		err     error
	)
	teStorage, teOK := storage.(op.TokenExchangeStorage)
	fromRequest, frOK := storage.(op.CanGetPrivateClaimsFromRequest)
	if te, ok := req.(op.TokenExchangeRequest); ok && teOK {
		private, err = teStorage.GetPrivateClaimsFromTokenExchangeRequest(ctx, te)
	} else if frOK {
		scopes := c.RestrictAdditionalAccessTokenScopes()(req.GetScopes())
		private, err = fromRequest.GetPrivateClaimsFromRequest(ctx, req, scopes)
	} else {
		return "", oidc.ErrServerError()
	}
	if err != nil {
		return "", err
	}
	claims.Claims = private
	if actor, ok := req.(op.TokenActorRequest); ok {
		claims.Actor = actor.GetActor()
	}
	// The private claims call above marked this request as signing an
	// access token, so SigningKey returns the access token key.
	key, err := storage.SigningKey(ctx)
	if err != nil {
		return "", err
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: key.SignatureAlgorithm(), Key: &jose.JSONWebKey{Key: key.Key(), KeyID: key.ID()}},
		(&jose.SignerOptions{}).WithType(accessTokenJOSEType))
	if err != nil {
		return "", oidc.ErrServerError().WithDescription("no signing key")
	}
	return crypto.Sign(claims, signer)
}
