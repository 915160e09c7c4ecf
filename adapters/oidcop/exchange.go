package oidcop

import (
	"context"
	"net/http"
	"strings"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/secuird/secuird/core/provider"
)

var _ op.TokenExchangeStorage = (*storage)(nil)

// checkExchangeForm refuses what Secuird does not exchange before the
// library parses the subject token: only access tokens of this provider
// as subject, no actor token, only access tokens issued.
func checkExchangeForm(r *http.Request) *oidc.Error {
	f := r.PostForm
	if f.Get("subject_token_type") != string(oidc.AccessTokenType) {
		return oidc.ErrInvalidRequest().WithDescription("subject_token_type must be urn:ietf:params:oauth:token-type:access_token")
	}
	if f.Get("actor_token") != "" || f.Get("actor_token_type") != "" {
		return oidc.ErrInvalidRequest().WithDescription("actor tokens are not supported")
	}
	if rt := f.Get("requested_token_type"); rt != "" && rt != string(oidc.AccessTokenType) {
		return oidc.ErrInvalidRequest().WithDescription("only access tokens are issued by token exchange")
	}
	return nil
}

// ValidateTokenExchangeRequest applies the core's exchange policy.
func (s *storage) ValidateTokenExchangeRequest(ctx context.Context, req op.TokenExchangeRequest) error {
	c, err := s.clientOf(ctx, req.GetClientID())
	if err != nil {
		return toOIDC(err, oidc.ErrInvalidClient)
	}
	ex, err := s.p.TokenExchange(ctx, c, provider.ExchangeInput{SubjectTokenID: req.GetExchangeSubjectTokenIDOrToken(),
		Subject: req.GetExchangeSubject(), Scopes: req.GetScopes(), Audience: req.GetAudience()}, s.src(ctx))
	if err != nil {
		return toOIDC(err, nil)
	}
	req.SetCurrentScopes(ex.Scopes)
	req.SetRequestedTokenType(oidc.AccessTokenType)
	st := stateFrom(ctx)
	st.mu.Lock()
	st.exchange = &ex
	st.mu.Unlock()
	return nil
}

// CreateTokenExchangeRequest stores nothing: the core audited the exchange.
func (s *storage) CreateTokenExchangeRequest(context.Context, op.TokenExchangeRequest) error {
	return nil
}

// GetPrivateClaimsFromTokenExchangeRequest adds scope and the RFC 8693
// "act" claim (the client acting for the user) to the exchanged JWT.
func (s *storage) GetPrivateClaimsFromTokenExchangeRequest(ctx context.Context, req op.TokenExchangeRequest) (map[string]any, error) {
	st := stateFrom(ctx)
	st.mu.Lock()
	st.accessJWT = true
	st.mu.Unlock()
	return map[string]any{"scope": strings.Join(req.GetScopes(), " "), "act": map[string]any{"sub": req.GetClientID()}}, nil
}

// SetUserinfoFromTokenExchangeRequest fills claims by scope (ID tokens
// are not issued by exchange; kept for the interface).
func (s *storage) SetUserinfoFromTokenExchangeRequest(ctx context.Context, info *oidc.UserInfo, req op.TokenExchangeRequest) error {
	return s.fillUserinfo(ctx, info, req.GetSubject(), req.GetScopes())
}
