package oidcop

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/core/provider"
)

// serveEndSession answers RP-initiated logout (GET or POST
// /oidc/end_session). It verifies an id_token_hint's signature (an expired
// hint is accepted, as the specification allows) and lets the core decide:
// log out at once when the hint names the browser's current session,
// otherwise send the browser to the confirmation page, so a bare cross-site
// GET never logs anyone out. Invalid requests get the error page and are
// never redirected.
func (p *Provider) serveEndSession(w http.ResponseWriter, r *http.Request, errPage ErrorPage) {
	fail := func(msg string) {
		if errPage != nil {
			errPage(w, r, http.StatusBadRequest, msg)
			return
		}
		http.Error(w, msg, http.StatusBadRequest)
	}
	if err := r.ParseForm(); err != nil {
		fail("The logout request is not valid.")
		return
	}
	st := stateFrom(r.Context())
	in := provider.LogoutRequest{
		ClientID:              r.Form.Get("client_id"),
		PostLogoutRedirectURI: r.Form.Get("post_logout_redirect_uri"),
		State:                 r.Form.Get("state"),
		SessionTokenHash:      st.ssoSID,
	}
	if hint := r.Form.Get("id_token_hint"); hint != "" {
		ctx := op.ContextWithIssuer(r.Context(), p.issuer)
		claims, err := op.VerifyIDTokenHint[*oidc.IDTokenClaims](ctx, hint, p.op.IDTokenHintVerifier(ctx))
		if err != nil && !errors.As(err, &op.IDTokenHintExpiredError{}) {
			fail("The id_token_hint is not valid.")
			return
		}
		if in.ClientID != "" && in.ClientID != claims.GetAuthorizedParty() {
			fail("client_id does not match the id_token_hint.")
			return
		}
		in.ClientID = claims.GetAuthorizedParty()
		in.HintSubject, in.HintSID = claims.GetSubject(), claims.SessionID
	}
	d, err := p.svc.BeginLogout(r.Context(), in, st.src)
	if err != nil {
		if fe := fault.As(err); fe != nil && fe.Kind == fault.Invalid {
			fail(fe.Msg)
			return
		}
		if errPage != nil {
			errPage(w, r, http.StatusServiceUnavailable, "Signing out is unavailable right now. Try again later.")
			return
		}
		http.Error(w, "unavailable", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	if d.Confirm {
		q := url.Values{}
		for k, v := range map[string]string{"client_id": in.ClientID, "post_logout_redirect_uri": in.PostLogoutRedirectURI, "state": in.State} {
			if v != "" {
				q.Set(k, v)
			}
		}
		http.Redirect(w, r, PathLogoutConfirm+"?"+q.Encode(), http.StatusFound)
		return
	}
	http.Redirect(w, r, d.Redirect, http.StatusFound)
}
