package provider

import (
	"context"
	"net/url"
	"strings"

	"github.com/secuird/secuird/core/audit"
	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/core/identity"
	"github.com/secuird/secuird/core/oidc"
)

// LoggedOutPath is where a logout lands when the client named no
// post-logout redirect URI.
const LoggedOutPath = "/oidc/logged-out"

// LogoutRequest is an RP-initiated logout request (OIDC RP-Initiated
// Logout 1.0) as the edge parsed it. HintSubject and HintSID come from an
// id_token_hint whose signature the edge verified (an expired hint still
// names its session); both are empty without a hint.
type LogoutRequest struct {
	ClientID              string
	PostLogoutRedirectURI string
	State                 string
	HintSubject           string
	HintSID               string
	// SessionTokenHash is the hash of the browser's SSO cookie; "" when none.
	SessionTokenHash string
}

// LogoutDecision says what the edge does with a logout request.
type LogoutDecision struct {
	// Confirm is set when the user must confirm on a page first (a bare
	// cross-site GET must not log anyone out).
	Confirm bool
	// Redirect is where to send the browser when no confirmation is due
	// (the logout, if any, is already done): the post-logout redirect URI
	// with state, or LoggedOutPath.
	Redirect string
	// ClientName names the client on the confirmation page.
	ClientName string
}

// BeginLogout validates an RP-initiated logout and decides whether it may
// proceed at once. The post-logout redirect URI must be registered for the
// client (exact match); otherwise Invalid, and the edge shows an error
// without redirecting. With no SSO session there is nothing to end. An
// id_token_hint for the browser's current session (same subject and, when
// the hint carries one, same sid) logs out directly; anything else needs
// the user's confirmation.
func (s *Service) BeginLogout(ctx context.Context, in LogoutRequest, src audit.Source) (LogoutDecision, error) {
	const op = "provider.BeginLogout"
	name, err := s.checkLogout(ctx, in)
	if err != nil {
		return LogoutDecision{}, err
	}
	d := LogoutDecision{Redirect: LogoutRedirect(in.PostLogoutRedirectURI, in.State), ClientName: name}
	sess, ok, err := s.ssoSession(ctx, in.SessionTokenHash)
	if err != nil {
		return LogoutDecision{}, fault.Wrap(op, fault.Unavailable, err)
	}
	if !ok {
		return d, nil
	}
	if in.HintSubject == "" || in.HintSubject != sess.UserID || (in.HintSID != "" && in.HintSID != sess.ID) {
		d.Confirm = true
		return d, nil
	}
	return d, s.endSSOSession(ctx, sess, in.ClientID, src)
}

// ConfirmLogout ends the browser's SSO session after the user confirmed
// on the logout page (the edge checked the form's CSRF token). The
// redirect URI is validated again. It returns where to send the browser.
func (s *Service) ConfirmLogout(ctx context.Context, in LogoutRequest, src audit.Source) (string, error) {
	const op = "provider.ConfirmLogout"
	if _, err := s.checkLogout(ctx, in); err != nil {
		return "", err
	}
	sess, ok, err := s.ssoSession(ctx, in.SessionTokenHash)
	if err != nil {
		return "", fault.Wrap(op, fault.Unavailable, err)
	}
	if ok {
		if err := s.endSSOSession(ctx, sess, in.ClientID, src); err != nil {
			return "", err
		}
	}
	return LogoutRedirect(in.PostLogoutRedirectURI, in.State), nil
}

// LogoutClientName validates a logout request for the confirmation page and
// returns the client's name ("" without a client).
func (s *Service) LogoutClientName(ctx context.Context, in LogoutRequest) (string, error) {
	return s.checkLogout(ctx, in)
}

// checkLogout validates the client and post-logout redirect URI.
func (s *Service) checkLogout(ctx context.Context, in LogoutRequest) (string, error) {
	const op = "provider.checkLogout"
	if in.ClientID == "" {
		if in.PostLogoutRedirectURI != "" {
			return "", fault.E(op, fault.Invalid, "post_logout_redirect_uri needs client_id or id_token_hint")
		}
		return "", nil
	}
	c, err := s.Client(ctx, in.ClientID)
	if err != nil {
		if fault.Is(err, fault.NotFound) {
			return "", fault.E(op, fault.Invalid, "Unknown client")
		}
		return "", err
	}
	if in.PostLogoutRedirectURI != "" && !oidc.MatchRedirectURI(c.PostLogoutRedirectURIs, in.PostLogoutRedirectURI) {
		return "", fault.E(op, fault.Invalid, "The post_logout_redirect_uri is not registered for this client")
	}
	return c.Name, nil
}

// ssoSession returns the live session of the SSO cookie, if any.
func (s *Service) ssoSession(ctx context.Context, hash string) (identity.Session, bool, error) {
	if hash == "" {
		return identity.Session{}, false, nil
	}
	sess, err := s.d.Sessions.SessionByTokenHash(ctx, hash)
	if fault.Is(err, fault.NotFound) {
		return identity.Session{}, false, nil
	}
	if err != nil {
		return identity.Session{}, false, err
	}
	return sess, true, nil
}

// endSSOSession deletes the session, revokes the refresh tokens issued
// under it and records the logout.
func (s *Service) endSSOSession(ctx context.Context, sess identity.Session, clientID string, src audit.Source) error {
	const op = "provider.endSSOSession"
	if err := s.d.Sessions.DeleteSession(ctx, sess.TokenHash); err != nil && !fault.Is(err, fault.NotFound) {
		return fault.Wrap(op, fault.Unavailable, err)
	}
	if err := s.queueBackchannel(ctx, sess); err != nil {
		return err
	}
	if err := s.revokeUserTokens(ctx, sess.UserID, "", sess.ID, "logout"); err != nil {
		return err
	}
	return fault.Wrap(op, fault.Internal, s.record(ctx, src, audit.Entry{ActorID: sess.UserID, Action: ActLogout, Success: true,
		ResourceType: "session", ResourceID: sess.ID, Extra: map[string]any{"client_id": clientID}}))
}

// EndSession ends the OAuth side of a session that was signed out
// elsewhere (the REST API's logout): back-channel logout tokens are queued
// and the refresh tokens issued under the session are revoked. The session
// itself is deleted by the caller.
func (s *Service) EndSession(ctx context.Context, sess identity.Session) error {
	if err := s.queueBackchannel(ctx, sess); err != nil {
		return err
	}
	return s.revokeUserTokens(ctx, sess.UserID, "", sess.ID, "logout")
}

// LogoutRedirect is where a finished logout sends the browser: the
// (already validated) post-logout redirect URI with state, or
// LoggedOutPath.
func LogoutRedirect(uri, state string) string {
	if uri == "" {
		return LoggedOutPath
	}
	if state == "" {
		return uri
	}
	sep := "?"
	if strings.Contains(uri, "?") {
		sep = "&"
	}
	return uri + sep + "state=" + url.QueryEscape(state)
}
