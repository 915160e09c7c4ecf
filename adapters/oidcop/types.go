package oidcop

import (
	"errors"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/secuird/secuird/core/fault"
	coreoidc "github.com/secuird/secuird/core/oidc"
	"github.com/secuird/secuird/core/provider"
)

// toOIDC translates a core error into an OIDC error with a safe
// description (ARCHITECTURE.md 4; STACK-NOTES trap 9). It never wraps the
// cause, so no internal text reaches a client.
func toOIDC(err error, notFound func() *oidc.Error) *oidc.Error {
	if err == nil {
		return nil
	}
	var oe *oidc.Error
	if errors.As(err, &oe) {
		return oe
	}
	fe := fault.As(err)
	if fe == nil {
		return oidc.ErrServerError().WithDescription("The server could not complete the request")
	}
	msg := fe.Msg
	switch fe.Code {
	case provider.CodeInvalidGrant:
		return oidc.ErrInvalidGrant().WithDescription("%s", msg)
	case provider.CodeInvalidScope:
		return oidc.ErrInvalidScope().WithDescription("%s", msg)
	case provider.CodeLoginRequired:
		return oidc.ErrLoginRequired().WithDescription("%s", msg)
	case provider.CodeConsentRequired:
		return &oidc.Error{ErrorType: "consent_required", Description: msg}
	case provider.CodeAccessDenied:
		return oidc.ErrAccessDenied().WithDescription("%s", msg)
	case provider.CodeUnauthorizedClient:
		return oidc.ErrUnauthorizedClient().WithDescription("%s", msg)
	case provider.CodeAuthorizationPending:
		return oidc.ErrAuthorizationPending().WithDescription("%s", msg)
	case provider.CodeSlowDown:
		return oidc.ErrSlowDown().WithDescription("%s", msg)
	case provider.CodeInvalidTarget:
		return &oidc.Error{ErrorType: "invalid_target", Description: msg}
	case provider.CodeExpiredToken:
		return oidc.ErrExpiredDeviceCode().WithDescription("%s", msg)
	}
	switch fe.Kind {
	case fault.Invalid, fault.Conflict:
		return oidc.ErrInvalidRequest().WithDescription("%s", msg)
	case fault.NotFound:
		if notFound != nil {
			return notFound().WithDescription("%s", msg)
		}
		return oidc.ErrInvalidGrant().WithDescription("%s", msg)
	case fault.Unauthenticated:
		return oidc.ErrInvalidClient().WithDescription("%s", msg)
	case fault.Forbidden:
		return oidc.ErrAccessDenied().WithDescription("%s", msg)
	case fault.RateLimited:
		return oidc.ErrSlowDown().WithDescription("Too many requests")
	}
	return oidc.ErrServerError().WithDescription("The server could not complete the request")
}

// client adapts a core client to op.Client.
type client struct {
	c        coreoidc.Client
	loginURL string
}

var _ op.Client = (*client)(nil)

// GetID implements op.Client.
func (c *client) GetID() string { return c.c.ClientID }

// RedirectURIs implements op.Client.
func (c *client) RedirectURIs() []string { return c.c.RedirectURIs }

// PostLogoutRedirectURIs implements op.Client.
func (c *client) PostLogoutRedirectURIs() []string { return c.c.PostLogoutRedirectURIs }

// ApplicationType reports public clients as native (custom schemes); others web.
// Redirect URIs are checked at registration and matched exactly by the
// core, so the library's own scheme rules are relaxed with DevMode.
func (c *client) ApplicationType() op.ApplicationType {
	if c.c.Public() {
		return op.ApplicationTypeNative
	}
	return op.ApplicationTypeWeb
}

// AuthMethod implements op.Client.
func (c *client) AuthMethod() oidc.AuthMethod {
	switch c.c.AuthMethod {
	case coreoidc.AuthSecretPost:
		return oidc.AuthMethodPost
	case coreoidc.AuthPrivateKeyJWT:
		return oidc.AuthMethodPrivateKeyJWT
	case coreoidc.AuthNone:
		return oidc.AuthMethodNone
	}
	return oidc.AuthMethodBasic
}

// ResponseTypes implements op.Client.
func (c *client) ResponseTypes() []oidc.ResponseType {
	return []oidc.ResponseType{oidc.ResponseTypeCode}
}

// GrantTypes implements op.Client.
func (c *client) GrantTypes() []oidc.GrantType {
	out := make([]oidc.GrantType, 0, len(c.c.GrantTypes))
	for _, g := range c.c.GrantTypes {
		out = append(out, oidc.GrantType(g))
	}
	return out
}

// LoginURL implements op.Client.
func (c *client) LoginURL(id string) string { return c.loginURL + id }

// AccessTokenType implements op.Client.
func (c *client) AccessTokenType() op.AccessTokenType {
	if c.c.AccessTokenFormat == coreoidc.TokenOpaque {
		return op.AccessTokenTypeBearer
	}
	return op.AccessTokenTypeJWT
}

// IDTokenLifetime implements op.Client.
func (c *client) IDTokenLifetime() time.Duration { return c.c.IDTokenTTL }

// DevMode is always on for the library: see ApplicationType.
func (c *client) DevMode() bool { return true }

// RestrictAdditionalIdTokenScopes implements op.Client.
func (c *client) RestrictAdditionalIdTokenScopes() func([]string) []string { //nolint:revive // the library names it
	return func(s []string) []string { return s }
}

// RestrictAdditionalAccessTokenScopes implements op.Client.
func (c *client) RestrictAdditionalAccessTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}

// IsScopeAllowed implements op.Client.
func (c *client) IsScopeAllowed(scope string) bool { return c.c.AllowsScope(scope) }

// IDTokenUserinfoClaimsAssertion implements op.Client.
func (c *client) IDTokenUserinfoClaimsAssertion() bool { return true }

// ClockSkew implements op.Client.
func (c *client) ClockSkew() time.Duration { return 0 }

// authRequest adapts a core auth request to op.AuthRequest.
type authRequest struct {
	a coreoidc.AuthRequest
}

var _ op.AuthRequest = (*authRequest)(nil)

// GetID implements op.AuthRequest.
func (r *authRequest) GetID() string { return r.a.ID }

// GetACR implements op.AuthRequest.
func (r *authRequest) GetACR() string { return r.a.ACR }

// GetAMR implements op.AuthRequest.
func (r *authRequest) GetAMR() []string { return r.a.AMR }

// GetAudience implements op.AuthRequest.
func (r *authRequest) GetAudience() []string { return []string{r.a.ClientID} }

// GetAuthTime implements op.AuthRequest.
func (r *authRequest) GetAuthTime() time.Time {
	return r.a.AuthTime
}

// GetClientID implements op.AuthRequest.
func (r *authRequest) GetClientID() string { return r.a.ClientID }

// GetCodeChallenge implements op.AuthRequest.
func (r *authRequest) GetCodeChallenge() *oidc.CodeChallenge {
	if r.a.CodeChallenge == "" {
		return nil
	}
	return &oidc.CodeChallenge{Challenge: r.a.CodeChallenge, Method: oidc.CodeChallengeMethodS256}
}

// GetNonce implements op.AuthRequest.
func (r *authRequest) GetNonce() string { return r.a.Nonce }

// GetRedirectURI implements op.AuthRequest.
func (r *authRequest) GetRedirectURI() string { return r.a.RedirectURI }

// GetResponseType implements op.AuthRequest.
func (r *authRequest) GetResponseType() oidc.ResponseType { return oidc.ResponseType(r.a.ResponseType) }

// GetResponseMode implements op.AuthRequest.
func (r *authRequest) GetResponseMode() oidc.ResponseMode { return oidc.ResponseMode(r.a.ResponseMode) }

// GetScopes implements op.AuthRequest.
func (r *authRequest) GetScopes() []string { return r.a.Scopes }

// GetState implements op.AuthRequest.
func (r *authRequest) GetState() string { return r.a.State }

// GetSubject implements op.AuthRequest.
func (r *authRequest) GetSubject() string { return r.a.Subject }

// Done implements op.AuthRequest.
func (r *authRequest) Done() bool { return r.a.Done() }

// refreshRequest adapts a core refresh token to op.RefreshTokenRequest.
type refreshRequest struct {
	t      coreoidc.RefreshToken
	scopes []string
}

var _ op.RefreshTokenRequest = (*refreshRequest)(nil)

// GetAMR implements op.RefreshTokenRequest.
func (r *refreshRequest) GetAMR() []string { return r.t.AMR }

// GetAudience implements op.RefreshTokenRequest.
func (r *refreshRequest) GetAudience() []string { return []string{r.t.ClientID} }

// GetAuthTime implements op.RefreshTokenRequest.
func (r *refreshRequest) GetAuthTime() time.Time { return r.t.AuthTime }

// GetClientID implements op.RefreshTokenRequest.
func (r *refreshRequest) GetClientID() string { return r.t.ClientID }

// GetScopes implements op.RefreshTokenRequest.
func (r *refreshRequest) GetScopes() []string { return r.scopes }

// GetSubject implements op.RefreshTokenRequest.
func (r *refreshRequest) GetSubject() string { return r.t.Subject }

// SetCurrentScopes implements op.RefreshTokenRequest.
func (r *refreshRequest) SetCurrentScopes(s []string) { r.scopes = s }

// ccRequest is a client_credentials token request: the client is the
// subject.
type ccRequest struct {
	clientID string
	scopes   []string
}

var _ op.TokenRequest = (*ccRequest)(nil)

// GetSubject implements op.TokenRequest.
func (r *ccRequest) GetSubject() string { return r.clientID }

// GetAudience implements op.TokenRequest.
func (r *ccRequest) GetAudience() []string { return []string{r.clientID} }

// GetScopes implements op.TokenRequest.
func (r *ccRequest) GetScopes() []string { return r.scopes }
