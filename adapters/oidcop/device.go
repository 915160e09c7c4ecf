package oidcop

import (
	"context"
	"net/http"
	"time"

	httphelper "github.com/zitadel/oidc/v3/pkg/http"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	coreoidc "github.com/secuird/secuird/core/oidc"
	"github.com/secuird/secuird/core/provider"
)

// PathDeviceEntry is the hosted page where users enter a device's user code.
const PathDeviceEntry = "/oidc/device"

var _ op.DeviceAuthorizationStorage = (*storage)(nil)

// deviceConfig is the device flow's configuration: 10 minutes to answer,
// a 5 s poll interval, eight base-20 letters (BCDF-GHJK) as user code.
func deviceConfig() op.DeviceAuthorizationConfig {
	return op.DeviceAuthorizationConfig{Lifetime: 10 * time.Minute, PollInterval: 5 * time.Second,
		UserFormPath: PathDeviceEntry, UserCode: op.UserCodeBase20}
}

// StoreDeviceAuthorization records a device authorization request.
func (s *storage) StoreDeviceAuthorization(ctx context.Context, clientID, deviceCode, userCode string, expires time.Time, scopes []string) error {
	c, err := s.clientOf(ctx, clientID)
	if err != nil {
		return toOIDC(err, oidc.ErrInvalidClient)
	}
	return toOIDCErr(s.p.StartDevice(ctx, c, deviceCode, userCode, expires, scopes, s.src(ctx)), nil)
}

// GetDeviceAuthorizatonState is never reached: device_code token requests
// are served by serveDeviceToken, which redeems an approval exactly once
// and answers slow_down (the library's poll does neither).
func (s *storage) GetDeviceAuthorizatonState(context.Context, string, string) (*op.DeviceAuthorizationState, error) {
	return nil, oidc.ErrServerError()
}

// clientAuthenticated authenticates the client of a token-endpoint style
// request and checks that confidential clients did authenticate (RFC 8628
// 3.1 and 3.4; the library does not check it at device_authorization).
func (p *Provider) clientAuthenticated(r *http.Request) (op.Client, error) {
	clientID, authenticated, err := op.ClientIDFromRequest(r, p.op)
	if err != nil {
		return nil, err
	}
	client, err := p.op.Storage().GetClientByClientID(r.Context(), clientID)
	if err != nil {
		return nil, err
	}
	if authenticated != op.IsConfidentialType(client) {
		return nil, oidc.ErrInvalidClient().WithDescription("confidential clients must authenticate")
	}
	return client, nil
}

// serveDeviceAuthorization checks client authentication, then lets the
// library answer (it calls StoreDeviceAuthorization).
func (p *Provider) serveDeviceAuthorization(w http.ResponseWriter, r *http.Request) {
	r = r.WithContext(op.ContextWithIssuer(r.Context(), p.issuer))
	if _, err := p.clientAuthenticated(r); err != nil {
		op.RequestError(w, r, err, nil)
		return
	}
	p.op.ServeHTTP(w, r)
}

// serveDeviceToken answers grant_type=urn:ietf:params:oauth:grant-type:device_code.
func (p *Provider) serveDeviceToken(w http.ResponseWriter, r *http.Request) {
	ctx := op.ContextWithIssuer(r.Context(), p.issuer)
	r = r.WithContext(ctx)
	client, err := p.clientAuthenticated(r)
	if err != nil {
		op.RequestError(w, r, err, nil)
		return
	}
	deviceCode := r.PostForm.Get("device_code")
	if deviceCode == "" {
		op.RequestError(w, r, oidc.ErrInvalidRequest().WithDescription("device_code missing"), nil)
		return
	}
	st := stateFrom(ctx)
	g, err := p.svc.PollDevice(ctx, client.GetID(), deviceCode, st.src)
	if err != nil {
		op.RequestError(w, r, toOIDC(err, nil), nil)
		return
	}
	st.mu.Lock()
	st.device = &g
	st.mu.Unlock()
	req := &op.DeviceAuthorizationState{ClientID: g.ClientID, Scopes: g.Scopes, Expires: g.ExpiresAt, Done: true,
		Subject: g.Subject, AMR: g.AMR, AuthTime: g.AuthTime}
	resp, err := p.tokenResponse(ctx, req, client, "", "")
	if err != nil {
		op.RequestError(w, r, err, nil)
		return
	}
	httphelper.MarshalJSON(w, resp)
}

// deviceGrant returns the device grant being redeemed in this request.
func deviceGrant(ctx context.Context) *coreoidc.DeviceGrant {
	st := stateFrom(ctx)
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.device
}

// deviceRefreshGrant describes the refresh family a device grant starts.
func deviceRefreshGrant(g *coreoidc.DeviceGrant) provider.Grant {
	return provider.Grant{ClientID: g.ClientID, Subject: g.Subject, SessionID: g.SessionID, Scopes: g.Scopes,
		AMR: g.AMR, ACR: g.ACR, AuthTime: g.AuthTime, FamilyID: g.ID}
}
