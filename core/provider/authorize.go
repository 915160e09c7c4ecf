package provider

import (
	"context"
	"slices"
	"time"

	"github.com/secuird/secuird/core/audit"
	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/core/identity"
	"github.com/secuird/secuird/core/oidc"
)

// Codes refining Invalid and Forbidden errors of the authorize flow; the
// OIDC edge maps them to error codes of OIDC Core 3.1.2.6.
const (
	CodeLoginRequired       = "login_required"
	CodeConsentRequired     = "consent_required"
	CodeInteractionRequired = "interaction_required"
	CodeAccessDenied        = "access_denied"
	CodeInvalidScope        = "invalid_scope"
	CodeInvalidGrant        = "invalid_grant"
	CodeUnauthorizedClient  = "unauthorized_client"
)

// AuthorizeInput is a parsed authorization request whose client and
// redirect URI the edge has already matched.
type AuthorizeInput struct {
	ClientID            string
	RedirectURI         string
	State               string
	Nonce               string
	Scopes              []string
	ResponseType        string
	ResponseMode        string
	CodeChallenge       string
	CodeChallengeMethod string
	Prompt              []string
	MaxAge              *time.Duration
	LoginHint           string
	UILocales           []string
	ACRValues           []string
	IDTokenHintSubject  string
}

// CreateAuthRequest applies the authorization policy and stores the
// request: only response_type=code; PKCE with S256 only ("plain" refused),
// required for public and require_pkce clients; scopes filtered to the
// client's (openid required); prompt=none cannot be combined.
func (s *Service) CreateAuthRequest(ctx context.Context, in AuthorizeInput, src audit.Source) (oidc.AuthRequest, error) {
	const op = "provider.CreateAuthRequest"
	c, err := s.Client(ctx, in.ClientID)
	if err != nil {
		return oidc.AuthRequest{}, err
	}
	if !oidc.MatchRedirectURI(c.RedirectURIs, in.RedirectURI) {
		return oidc.AuthRequest{}, fault.E(op, fault.Invalid, "The redirect_uri is not registered for this client")
	}
	invalid := func(msg string) (oidc.AuthRequest, error) {
		_ = s.record(ctx, src, audit.Entry{Action: ActAuthorizationFailure, ResourceType: "oidc_client", ResourceID: c.ClientID, OrgID: c.OrgID, Error: msg})
		return oidc.AuthRequest{}, fault.E(op, fault.Invalid, msg)
	}
	if in.ResponseType != "code" {
		return invalid("Only response_type=code is supported")
	}
	if !c.HasGrant(oidc.GrantAuthorizationCode) {
		return oidc.AuthRequest{}, &fault.Error{Op: op, Kind: fault.Forbidden, Code: CodeUnauthorizedClient, Msg: "The client may not use the authorization code flow"}
	}
	switch {
	case in.CodeChallengeMethod != "" && in.CodeChallengeMethod != "S256":
		return invalid("code_challenge_method must be S256")
	case in.CodeChallenge != "" && in.CodeChallengeMethod == "":
		return invalid("code_challenge_method must be S256")
	case in.CodeChallenge == "" && c.NeedsPKCE():
		return invalid("This client must use PKCE (code_challenge with S256)")
	case in.CodeChallenge != "" && !oidc.ValidChallenge(in.CodeChallenge):
		return invalid("code_challenge is malformed")
	}
	scopes := oidc.FilterScopes(c, in.Scopes)
	if !slices.Contains(scopes, oidc.ScopeOpenID) {
		_ = s.record(ctx, src, audit.Entry{Action: ActAuthorizationFailure, ResourceType: "oidc_client", ResourceID: c.ClientID, OrgID: c.OrgID, Error: "invalid_scope"})
		return oidc.AuthRequest{}, &fault.Error{Op: op, Kind: fault.Invalid, Code: CodeInvalidScope, Msg: "The openid scope is required"}
	}
	if slices.Contains(in.Prompt, "none") && len(in.Prompt) > 1 {
		return invalid("prompt=none cannot be combined with other values")
	}
	if in.MaxAge != nil && *in.MaxAge < 0 {
		return invalid("max_age must not be negative")
	}
	now := s.now()
	a := oidc.AuthRequest{
		ID: s.newID(), ClientID: c.ClientID, RedirectURI: in.RedirectURI, State: in.State, Nonce: in.Nonce,
		Scopes: scopes, ResponseType: in.ResponseType, ResponseMode: in.ResponseMode, CodeChallenge: in.CodeChallenge,
		Prompt: in.Prompt, MaxAge: in.MaxAge, LoginHint: in.LoginHint, UILocales: in.UILocales, ACRValues: in.ACRValues,
		IDTokenHintSubject: in.IDTokenHintSubject, CreatedAt: now, ExpiresAt: now.Add(s.cfg.AuthRequestTTL),
	}
	if err := s.d.Requests.CreateAuthRequest(ctx, a); err != nil {
		return oidc.AuthRequest{}, fault.Wrap(op, fault.Internal, err)
	}
	_ = s.recordEvent(ctx, src, audit.Entry{Action: ActAuthorizationRequest, Success: true, ResourceType: "oidc_client", ResourceID: c.ClientID, OrgID: c.OrgID,
		Extra: map[string]any{"scopes": scopes, "prompt": in.Prompt}})
	return a, nil
}

// AuthRequest returns a pending request. NotFound when unknown or expired
// (codes are looked up with RedeemCode instead).
func (s *Service) AuthRequest(ctx context.Context, id string) (oidc.AuthRequest, error) {
	const op = "provider.AuthRequest"
	a, err := s.d.Requests.AuthRequestByID(ctx, id)
	if err != nil {
		if fault.Is(err, fault.NotFound) {
			return oidc.AuthRequest{}, fault.E(op, fault.NotFound, "The sign-in request is unknown or has expired")
		}
		return oidc.AuthRequest{}, fault.Wrap(op, fault.Unavailable, err)
	}
	if !s.now().Before(a.ExpiresAt) && a.CodeHash == "" {
		return oidc.AuthRequest{}, fault.E(op, fault.NotFound, "The sign-in request is unknown or has expired")
	}
	return a, nil
}

// Step is what the hosted pages do next with an authorization request.
type Step int

// Steps of the login flow.
const (
	StepLogin   Step = iota + 1 // show the login form
	StepConsent                 // show the consent page
	StepDone                    // redirect to the provider's callback
)

// Session is the browser's SSO session as the pages know it.
type Session struct {
	ID       string
	UserID   string
	AuthTime time.Time
	AMR      []string
}

// Decision is the outcome of Next.
type Decision struct {
	Step    Step
	Request oidc.AuthRequest
	Client  oidc.Client
	// Orgs are the organizations to choose from (StepOrg).
	Orgs []OrgChoice
}

// Next decides, for a request and the browser's SSO session (nil when
// there is none), whether to show the login form, the consent page, or to
// finish. prompt=none never shows a page: it finishes or fails with
// login_required / consent_required (Invalid with that Code). prompt=login
// and an exceeded max_age need a login newer than the request;
// prompt=consent always asks; an id_token_hint for another user needs a
// new login; acr_values asking for multi-factor (oidc.ACRMultiFactor) when
// the session's login used one factor needs a new login too, unless the
// login is already newer than the request.
func (s *Service) Next(ctx context.Context, id string, sess *Session, src audit.Source) (Decision, error) {
	const op = "provider.Next"
	a, err := s.AuthRequest(ctx, id)
	if err != nil {
		return Decision{}, err
	}
	if a.CodeHash != "" || a.Done() {
		return Decision{}, fault.E(op, fault.NotFound, "The sign-in request was already completed")
	}
	c, err := s.Client(ctx, a.ClientID)
	if err != nil {
		return Decision{}, err
	}
	d := Decision{Request: a, Client: c}
	now := s.now()
	usable := sess != nil
	if usable && (a.HasPrompt("login") || a.HasPrompt("select_account")) && sess.AuthTime.Before(a.CreatedAt) {
		usable = false
	}
	if usable && a.MaxAge != nil && now.Sub(sess.AuthTime) > *a.MaxAge {
		usable = false
	}
	if usable && a.IDTokenHintSubject != "" && a.IDTokenHintSubject != sess.UserID {
		usable = false
	}
	// Step-up: acr_values asking for more than the SSO session's login
	// reached needs a new login, which asks for the second factor. A login
	// newer than the request is taken with the acr it reached (acr_values
	// is voluntary, OIDC Core 3.1.2.1), so a user without a second factor
	// is not sent round in circles.
	stepUp := false
	if usable && sess.AuthTime.Before(a.CreatedAt) && !oidc.ACRSatisfies(oidc.ACRFor(sess.AMR), a.RequestedACR()) {
		usable, stepUp = false, true
	}
	var u identity.User
	if usable {
		if u, err = s.d.Users.UserByID(ctx, sess.UserID); err != nil || userBlocked(u) {
			usable = false
		}
	}
	if !usable {
		if a.HasPrompt("none") {
			msg := "The user is not signed in"
			if stepUp {
				msg = "A sign-in with a second factor is required"
			}
			return d, &fault.Error{Op: op, Kind: fault.Invalid, Code: CodeLoginRequired, Msg: msg}
		}
		d.Step = StepLogin
		return d, nil
	}
	// The organization scope: choose the organization before consent,
	// so that the consent page names it.
	od, stop, err := s.orgStep(ctx, d, u.ID, src)
	if stop || err != nil {
		return od, err
	}
	d, a = od, od.Request
	need, err := s.needsConsent(ctx, c, a, u.ID)
	if err != nil {
		return Decision{}, err
	}
	if need {
		if a.HasPrompt("none") {
			return d, &fault.Error{Op: op, Kind: fault.Invalid, Code: CodeConsentRequired, Msg: "The user has not consented"}
		}
		d.Step = StepConsent
		return d, nil
	}
	if d.Request, err = s.complete(ctx, a, c, *sess, src); err != nil {
		return Decision{}, err
	}
	d.Step = StepDone
	return d, nil
}

// needsConsent: first-party clients never ask; explicit ones ask unless a
// remembered consent covers the scopes, and always with prompt=consent.
func (s *Service) needsConsent(ctx context.Context, c oidc.Client, a oidc.AuthRequest, userID string) (bool, error) {
	if a.ResponseType == oidc.ResponseTypeDevice {
		return true, nil // see BeginDeviceLogin
	}
	if c.ConsentMode == oidc.ConsentFirstParty {
		return false, nil
	}
	if a.HasPrompt("consent") {
		return true, nil
	}
	cons, err := s.d.Consents.Consent(ctx, userID, c.ClientID)
	if fault.Is(err, fault.NotFound) {
		return true, nil
	}
	if err != nil {
		return false, fault.Wrap("provider.needsConsent", fault.Unavailable, err)
	}
	return !cons.Covers(a.Scopes), nil
}

// deniedKey names the ephemeral mark of a request refused after login.
func deniedKey(id string) string { return "oidc:denied:" + id }

// complete marks the request done for the session's user. A request with
// an org:<slug> scope of an organization the user is not a live member of
// is refused instead: a device request fails with access_denied; a code
// flow request is marked denied, so that the provider's callback (where
// the pages send the browser) answers the client with access_denied,
// state and iss (TakeDenial).
func (s *Service) complete(ctx context.Context, a oidc.AuthRequest, c oidc.Client, sess Session, src audit.Source) (oidc.AuthRequest, error) {
	const op = "provider.complete"
	if err := s.checkOrgScopes(ctx, sess.UserID, a.Scopes); err != nil {
		fe := fault.As(err)
		if fe == nil || fe.Code != CodeAccessDenied {
			return oidc.AuthRequest{}, err
		}
		_ = s.record(ctx, src, audit.Entry{ActorID: sess.UserID, Action: ActAuthorizationFailure, ResourceType: "oidc_client",
			ResourceID: c.ClientID, OrgID: c.OrgID, Error: "org_scope_not_member", Extra: map[string]any{"orgs": oidc.OrgSlugs(a.Scopes)}})
		if a.ResponseType == oidc.ResponseTypeDevice {
			_ = s.finishDevice(ctx, a, false)
			return oidc.AuthRequest{}, err
		}
		if perr := s.d.Replay.PutOnce(ctx, deniedKey(a.ID), []byte(fe.Msg), s.cfg.AuthRequestTTL); perr != nil && !fault.Is(perr, fault.Conflict) {
			return oidc.AuthRequest{}, fault.Wrap(op, fault.Unavailable, perr)
		}
		return a, nil
	}
	now := s.now()
	// acr reflects the factors the login actually used, whatever was asked.
	acr := oidc.ACRFor(sess.AMR)
	out, err := s.d.Requests.UpdateAuthRequest(ctx, a.ID, func(a oidc.AuthRequest) (oidc.AuthRequest, error) {
		if a.Done() || a.CodeHash != "" {
			return a, fault.E(op, fault.NotFound, "The sign-in request was already completed")
		}
		a.Subject, a.SessionID, a.AuthTime, a.AMR, a.ACR, a.DoneAt = sess.UserID, sess.ID, sess.AuthTime.UTC(), sess.AMR, acr, &now
		return a, nil
	})
	if err != nil {
		return oidc.AuthRequest{}, fault.Wrap(op, fault.Internal, err)
	}
	if out.ResponseType == oidc.ResponseTypeDevice {
		if err := s.finishDevice(ctx, out, true); err != nil {
			return oidc.AuthRequest{}, err
		}
		_ = s.record(ctx, src, audit.Entry{ActorID: sess.UserID, Action: ActDeviceApproved, Success: true,
			ResourceType: "oidc_client", ResourceID: c.ClientID, OrgID: c.OrgID, Extra: map[string]any{"scopes": a.Scopes}})
	}
	_ = s.recordEvent(ctx, src, audit.Entry{ActorID: sess.UserID, Action: ActAuthorizationResponse, Success: true,
		ResourceType: "oidc_client", ResourceID: c.ClientID, OrgID: c.OrgID, Extra: map[string]any{"scopes": a.Scopes}})
	return out, nil
}

// Consent records the user's answer on the consent page. Approving
// remembers the scopes for the client and finishes the request; denying
// deletes nothing but returns Forbidden with Code access_denied so the edge
// redirects with error=access_denied, the state and iss.
func (s *Service) Consent(ctx context.Context, id string, sess Session, approve bool, src audit.Source) (Decision, error) {
	const op = "provider.Consent"
	a, err := s.AuthRequest(ctx, id)
	if err != nil {
		return Decision{}, err
	}
	if a.Done() || a.CodeHash != "" {
		return Decision{}, fault.E(op, fault.NotFound, "The sign-in request was already completed")
	}
	c, err := s.Client(ctx, a.ClientID)
	if err != nil {
		return Decision{}, err
	}
	d := Decision{Request: a, Client: c}
	if !approve {
		if a.ResponseType == oidc.ResponseTypeDevice {
			_ = s.finishDevice(ctx, a, false)
		}
		_ = s.record(ctx, src, audit.Entry{ActorID: sess.UserID, Action: ActAuthorizationFailure, ResourceType: "oidc_client", ResourceID: c.ClientID, OrgID: c.OrgID, Error: "access_denied"})
		return d, &fault.Error{Op: op, Kind: fault.Forbidden, Code: CodeAccessDenied, Msg: "The user denied access"}
	}
	now := s.now()
	err = s.d.Tx.InTx(ctx, func(ctx context.Context) error {
		var merged []string
		if old, err := s.d.Consents.Consent(ctx, sess.UserID, c.ClientID); err == nil {
			merged = old.Scopes
		}
		for _, sc := range a.Scopes {
			if sc != oidc.ScopeOpenID && !slices.Contains(merged, sc) {
				merged = append(merged, sc)
			}
		}
		if err := s.d.Consents.PutConsent(ctx, oidc.Consent{UserID: sess.UserID, ClientID: c.ClientID, Scopes: merged, CreatedAt: now, UpdatedAt: now}); err != nil {
			return err
		}
		return s.record(ctx, src, audit.Entry{ActorID: sess.UserID, Action: ActConsentGranted, Success: true, ResourceType: "oidc_client", ResourceID: c.ClientID, OrgID: c.OrgID,
			Extra: map[string]any{"scopes": merged}})
	})
	if err != nil {
		return Decision{}, fault.Wrap(op, fault.Internal, err)
	}
	if d.Request, err = s.complete(ctx, a, c, sess, src); err != nil {
		return Decision{}, err
	}
	d.Step = StepDone
	return d, nil
}

// TakeDenial reports (once) whether the request was refused after login
// and why; the provider's callback then redirects with access_denied
// instead of issuing a code, and the request is aborted.
func (s *Service) TakeDenial(ctx context.Context, id string) (oidc.AuthRequest, string, bool) {
	if id == "" {
		return oidc.AuthRequest{}, "", false
	}
	msg, err := s.d.Replay.Take(ctx, deniedKey(id))
	if err != nil {
		return oidc.AuthRequest{}, "", false
	}
	a, err := s.d.Requests.AuthRequestByID(ctx, id)
	if err != nil {
		return oidc.AuthRequest{}, "", false
	}
	s.Abort(ctx, id)
	return a, string(msg), true
}

// Abort ends a request the user cannot finish (deny, prompt=none failure):
// it is deleted by expiring it now.
func (s *Service) Abort(ctx context.Context, id string) {
	now := s.now()
	_, _ = s.d.Requests.UpdateAuthRequest(ctx, id, func(a oidc.AuthRequest) (oidc.AuthRequest, error) {
		a.ExpiresAt = now
		return a, nil
	})
}

// ListConsents lists the user's remembered consents.
func (s *Service) ListConsents(ctx context.Context, userID string) ([]oidc.Consent, error) {
	l, err := s.d.Consents.ConsentsByUser(ctx, userID)
	return l, fault.Wrap("provider.ListConsents", fault.Internal, err)
}

// RevokeConsent forgets the user's consent for a client and revokes the
// refresh tokens that client holds for the user.
func (s *Service) RevokeConsent(ctx context.Context, userID, clientID string, src audit.Source) error {
	const op = "provider.RevokeConsent"
	if err := s.d.Consents.DeleteConsent(ctx, userID, clientID); err != nil {
		if fault.Is(err, fault.NotFound) {
			return fault.E(op, fault.NotFound, "Consent not found")
		}
		return fault.Wrap(op, fault.Internal, err)
	}
	if err := s.revokeUserTokens(ctx, userID, clientID, "", "consent_revoked"); err != nil {
		return err
	}
	return fault.Wrap(op, fault.Internal, s.record(ctx, src, audit.Entry{ActorID: userID, Action: ActConsentRevoked, Success: true, ResourceType: "oidc_client", ResourceID: clientID}))
}
