package provider

import (
	"context"
	"time"

	"github.com/secuird/secuird/core/audit"
	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/core/oidc"
)

// Codes of the device authorization grant's token errors (RFC 8628 3.5).
const (
	CodeAuthorizationPending = "authorization_pending"
	CodeSlowDown             = "slow_down"
	CodeExpiredToken         = "expired_token"
)

// Audit actions of the device flow.
const (
	ActDeviceAuthorization = "oidc.device_authorization"
	ActDeviceApproved      = "oidc.device_approved"
)

// StartDevice records a device authorization request (RFC 8628 3.1) for a
// client that may use the grant: the scopes are filtered to the client's;
// the device code and the user code are stored hashed. Forbidden with
// unauthorized_client for clients without the grant.
func (s *Service) StartDevice(ctx context.Context, c oidc.Client, deviceCode, userCode string, expires time.Time, scopes []string, src audit.Source) error {
	const op = "provider.StartDevice"
	if !c.HasGrant(oidc.GrantDeviceCode) {
		return &fault.Error{Op: op, Kind: fault.Forbidden, Code: CodeUnauthorizedClient, Msg: "The client may not use the device flow"}
	}
	now := s.now()
	g := oidc.DeviceGrant{
		ID: s.newID(), ClientID: c.ClientID, DeviceCodeHash: HashToken(deviceCode), UserCodeHash: HashToken(oidc.NormalizeUserCode(userCode)),
		Scopes: oidc.FilterScopes(c, scopes), Status: oidc.DevicePending, Interval: s.cfg.DevicePollInterval,
		CreatedAt: now, ExpiresAt: expires.UTC(),
	}
	if err := s.d.Devices.CreateDeviceGrant(ctx, g); err != nil {
		return fault.Wrap(op, fault.Internal, err)
	}
	_ = s.recordEvent(ctx, src, audit.Entry{Action: ActDeviceAuthorization, Success: true, ResourceType: "oidc_client", ResourceID: c.ClientID, OrgID: c.OrgID,
		Extra: map[string]any{"scopes": g.Scopes}})
	return nil
}

// BeginDeviceLogin is the user entering a user code on the hosted page. It
// returns the ID of an authorization request that carries the grant
// through the normal login and consent pages (so MFA, lockout and consent
// rules apply unchanged). Device requests always ask for consent, even
// for first-party clients: the user must see which application the device
// claims to be (a defence against device-code phishing). NotFound for an
// unknown, expired or already used code.
func (s *Service) BeginDeviceLogin(ctx context.Context, userCode string, src audit.Source) (string, error) {
	const op = "provider.BeginDeviceLogin"
	unknown := fault.E(op, fault.NotFound, "The code is not valid or has expired. Check the code on your device.")
	code := oidc.NormalizeUserCode(userCode)
	if code == "" || len(code) > 32 {
		return "", unknown
	}
	g, err := s.d.Devices.DeviceGrantByUserCode(ctx, HashToken(code))
	if fault.Is(err, fault.NotFound) {
		_ = s.record(ctx, src, audit.Entry{Action: ActAuthorizationFailure, ResourceType: "oidc_device", Error: "unknown_user_code"})
		return "", unknown
	}
	if err != nil {
		return "", fault.Wrap(op, fault.Unavailable, err)
	}
	now := s.now()
	if g.Status != oidc.DevicePending || !now.Before(g.ExpiresAt) {
		return "", unknown
	}
	if _, err := s.Client(ctx, g.ClientID); err != nil {
		return "", unknown
	}
	exp := now.Add(s.cfg.AuthRequestTTL)
	if g.ExpiresAt.Before(exp) {
		exp = g.ExpiresAt
	}
	a := oidc.AuthRequest{ID: g.ID, ClientID: g.ClientID, Scopes: g.Scopes, ResponseType: oidc.ResponseTypeDevice,
		Prompt: []string{"consent"}, CreatedAt: now, ExpiresAt: exp}
	err = s.d.Requests.CreateAuthRequest(ctx, a)
	if fault.Is(err, fault.Conflict) {
		// The code was entered before: continue that request if it is pending.
		prev, perr := s.AuthRequest(ctx, g.ID)
		if perr != nil || prev.Done() {
			return "", unknown
		}
		return g.ID, nil
	}
	if err != nil {
		return "", fault.Wrap(op, fault.Internal, err)
	}
	return g.ID, nil
}

// finishDevice records the user's answer on the device grant behind a
// device authorization request.
func (s *Service) finishDevice(ctx context.Context, a oidc.AuthRequest, approve bool) error {
	const op = "provider.finishDevice"
	now := s.now()
	_, err := s.d.Devices.UpdateDeviceGrant(ctx, a.ID, func(g oidc.DeviceGrant) (oidc.DeviceGrant, error) {
		if g.Status != oidc.DevicePending || !now.Before(g.ExpiresAt) {
			return g, fault.E(op, fault.NotFound, "The device request has expired")
		}
		if !approve {
			g.Status = oidc.DeviceDenied
			return g, nil
		}
		g.Status, g.Subject, g.SessionID, g.AMR, g.ACR, g.AuthTime = oidc.DeviceApproved, a.Subject, a.SessionID, a.AMR, a.ACR, a.AuthTime
		return g, nil
	})
	if err != nil && !fault.Is(err, fault.NotFound) {
		return fault.Wrap(op, fault.Internal, err)
	}
	return err
}

// PollDevice answers a device's token request (RFC 8628 3.4, 3.5). The
// device code must belong to the client. Polling faster than the interval
// answers slow_down and adds 5 s to it; a pending grant answers
// authorization_pending, a denied one access_denied, an expired one
// expired_token. An approved grant is redeemed exactly once (the update is
// serialised), so a second poll fails with invalid_grant.
func (s *Service) PollDevice(ctx context.Context, clientID, deviceCode string, src audit.Source) (oidc.DeviceGrant, error) {
	const op = "provider.PollDevice"
	g, err := s.d.Devices.DeviceGrantByDeviceCode(ctx, HashToken(deviceCode))
	if fault.Is(err, fault.NotFound) || (err == nil && g.ClientID != clientID) {
		return oidc.DeviceGrant{}, invalidGrant(op, "The device code is invalid")
	}
	if err != nil {
		return oidc.DeviceGrant{}, fault.Wrap(op, fault.Unavailable, err)
	}
	now := s.now()
	var answer error
	out, err := s.d.Devices.UpdateDeviceGrant(ctx, g.ID, func(g oidc.DeviceGrant) (oidc.DeviceGrant, error) {
		answer = nil
		last := g.LastPolledAt
		g.LastPolledAt = &now
		switch {
		case g.Status == oidc.DeviceRedeemed:
			answer = invalidGrant(op, "The device code was already used")
		case !now.Before(g.ExpiresAt):
			answer = &fault.Error{Op: op, Kind: fault.Invalid, Code: CodeExpiredToken, Msg: "The device code has expired"}
		case g.Status == oidc.DeviceDenied:
			answer = &fault.Error{Op: op, Kind: fault.Forbidden, Code: CodeAccessDenied, Msg: "The user denied access"}
		case last != nil && now.Sub(*last) < g.Interval:
			g.Interval += 5 * time.Second
			answer = &fault.Error{Op: op, Kind: fault.RateLimited, Code: CodeSlowDown, Msg: "Polling too fast"}
		case g.Status == oidc.DevicePending:
			answer = &fault.Error{Op: op, Kind: fault.Invalid, Code: CodeAuthorizationPending, Msg: "The user has not answered yet"}
		case g.Status == oidc.DeviceApproved:
			g.Status = oidc.DeviceRedeemed
		}
		return g, nil
	})
	if err != nil {
		return oidc.DeviceGrant{}, fault.Wrap(op, fault.Unavailable, err)
	}
	if answer != nil {
		return oidc.DeviceGrant{}, answer
	}
	u, err := s.d.Users.UserByID(ctx, out.Subject)
	if err != nil || userBlocked(u) {
		return oidc.DeviceGrant{}, invalidGrant(op, "The device code is invalid")
	}
	return out, nil
}
