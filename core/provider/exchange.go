package provider

import (
	"context"
	"slices"

	"github.com/secuird/secuird/core/audit"
	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/core/oidc"
)

// ActTokenExchange audits a token exchange (RFC 8693).
//
//nolint:gosec // an action name, not a credential
const ActTokenExchange = "oidc.token_exchange"

// CodeInvalidTarget refuses an audience (RFC 8693 2.2.2).
const CodeInvalidTarget = "invalid_target"

// ExchangeInput is a token exchange request whose subject token (an
// access token of this provider) the edge verified.
type ExchangeInput struct {
	// SubjectTokenID is the subject token's ID (jti); Subject its sub.
	SubjectTokenID string
	Subject        string
	Scopes         []string
	Audience       []string
}

// Exchange is what a token exchange may issue.
type Exchange struct {
	Scopes   []string
	Audience []string
	// Family is the subject token's family: revoking it revokes the
	// exchanged token too.
	Family string
}

// TokenExchange applies the policy of RFC 8693 exchanges: only
// confidential clients with the token_exchange flag and grant; the
// subject token must be a live, unrevoked access token of this provider
// issued to a user of the same organization's clients; scopes may only
// narrow (the subject token's, within the client's); each audience must be
// a usable client of the same organization (default: the caller). Only
// access tokens are issued (no refresh or ID tokens, no actor tokens).
func (s *Service) TokenExchange(ctx context.Context, c oidc.Client, in ExchangeInput, src audit.Source) (Exchange, error) {
	const op = "provider.TokenExchange"
	deny := func(code, msg string) (Exchange, error) {
		_ = s.record(ctx, src, audit.Entry{ActorID: in.Subject, Action: ActAuthorizationFailure, ResourceType: "oidc_client",
			ResourceID: c.ClientID, OrgID: c.OrgID, Error: "token_exchange: " + msg})
		kind := fault.Forbidden
		if code == CodeInvalidGrant || code == CodeInvalidScope || code == CodeInvalidTarget {
			kind = fault.Invalid
		}
		return Exchange{}, &fault.Error{Op: op, Kind: kind, Code: code, Msg: msg}
	}
	if !c.TokenExchange || c.Public() || !c.HasGrant(oidc.GrantTokenExchange) {
		return deny(CodeUnauthorizedClient, "The client may not exchange tokens")
	}
	at, err := s.CheckAccessToken(ctx, in.SubjectTokenID)
	if err != nil || at.ClientID == in.Subject {
		return deny(CodeInvalidGrant, "The subject token is invalid, revoked or has no user")
	}
	origin, err := s.Client(ctx, at.ClientID)
	if err != nil || origin.OrgID != c.OrgID {
		return deny(CodeInvalidGrant, "The subject token belongs to another organization")
	}
	if u, err := s.d.Users.UserByID(ctx, in.Subject); err != nil || userBlocked(u) {
		return deny(CodeInvalidGrant, "The subject token is invalid")
	}
	scopes := in.Scopes
	if len(scopes) == 0 {
		scopes = at.Scopes
	}
	granted := []string{}
	for _, sc := range scopes {
		if sc == oidc.ScopeOfflineAccess {
			continue
		}
		if !slices.Contains(at.Scopes, sc) || !c.AllowsScope(sc) {
			return deny(CodeInvalidScope, "The scope may only narrow")
		}
		if !slices.Contains(granted, sc) {
			granted = append(granted, sc)
		}
	}
	aud := in.Audience
	if len(aud) == 0 {
		aud = []string{c.ClientID}
	}
	for _, a := range aud {
		t, err := s.Client(ctx, a)
		if err != nil || t.OrgID != c.OrgID {
			return deny(CodeInvalidTarget, "Unknown audience "+a)
		}
	}
	_ = s.record(ctx, src, audit.Entry{ActorID: in.Subject, Action: ActTokenExchange, Success: true, ResourceType: "oidc_client",
		ResourceID: c.ClientID, OrgID: c.OrgID, Extra: map[string]any{"from_client": at.ClientID, "audience": aud, "scopes": granted}})
	return Exchange{Scopes: granted, Audience: aud, Family: at.Family}, nil
}
