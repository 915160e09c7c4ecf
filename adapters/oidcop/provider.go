// Package oidcop is the zitadel/oidc glue: an op.Storage over the core's
// provider use cases (core/provider), the library's OpenID Provider built
// with explicit, safe options, and a thin http.Handler around it that
// adds what the library lacks (RFC 9207 iss on authorization responses,
// an accurate discovery document) and hands error pages back to the host.
// It translates; every decision is in the core.
package oidcop

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/secuird/secuird/core/audit"
	coreoidc "github.com/secuird/secuird/core/oidc"
	"github.com/secuird/secuird/core/provider"
)

// Paths of the provider, relative to the issuer.
const (
	PathAuthorize  = "/oidc/authorize"
	PathCallback   = "/oidc/authorize/callback"
	PathToken      = "/oidc/token"
	PathUserinfo   = "/oidc/userinfo"
	PathJWKS       = "/oidc/jwks"
	PathIntrospect = "/oidc/introspect"
	PathRevoke     = "/oidc/revoke"
	PathEndSession = "/oidc/end_session"
	PathDevice     = "/oidc/device_authorization"
	PathDiscovery  = "/.well-known/openid-configuration"
	PathLogin      = "/oidc/login"
	PathLoggedOut  = "/oidc/logged-out"
	// PathLogoutConfirm is the hosted logout confirmation page.
	PathLogoutConfirm = "/oidc/logout"
)

// Options configure the provider.
type Options struct {
	// Issuer is SECUIRD_PUBLIC_URL: static, never taken from a request
	// (STACK-NOTES trap 8).
	Issuer string
	// CryptoKey seals opaque access tokens and codes (derived from
	// SECRET_KEY by the caller).
	CryptoKey [32]byte
	// Scopes are the scopes advertised in discovery.
	Scopes []string
}

// Provider is the mounted OpenID Provider.
type Provider struct {
	op     *op.Provider
	issuer string
	svc    *provider.Service
	// tokens serves the token endpoint grants (tokenServer).
	tokens http.Handler

	discOnce sync.Once
	disc     []byte
}

// ErrorPage renders an error page for a request the provider refused
// without a redirect (an unknown client or redirect URI).
type ErrorPage func(w http.ResponseWriter, r *http.Request, status int, message string)

// New builds the provider over the core service.
func New(svc *provider.Service, o Options) (*Provider, error) {
	issuer := strings.TrimRight(o.Issuer, "/")
	st := &storage{p: svc, loginURL: PathLogin + "?id="}
	cfg := &op.Config{
		CryptoKey:                o.CryptoKey,
		DefaultLogoutRedirectURI: PathLoggedOut,
		CodeMethodS256:           true,
		AuthMethodPost:           true,
		AuthMethodPrivateKeyJWT:  true,
		GrantTypeRefreshToken:    true,
		SupportedScopes:          o.Scopes,
		DeviceAuthorization:      deviceConfig(),
		SupportedClaims: []string{"sub", "aud", "exp", "iat", "iss", "auth_time", "nonce", "acr", "amr", "at_hash", "azp", "sid",
			"name", "preferred_username", "picture", "updated_at", "email", "email_verified", "scope", "client_id",
			"roles", "org_id", "org_slug", "org_name", "org_role"},
	}
	opts := []op.Option{
		op.WithCustomEndpoints(
			op.NewEndpoint(strings.TrimPrefix(PathAuthorize, "/")),
			op.NewEndpoint(strings.TrimPrefix(PathToken, "/")),
			op.NewEndpoint(strings.TrimPrefix(PathUserinfo, "/")),
			op.NewEndpoint(strings.TrimPrefix(PathRevoke, "/")),
			op.NewEndpoint(strings.TrimPrefix(PathEndSession, "/")),
			op.NewEndpoint(strings.TrimPrefix(PathJWKS, "/")),
		),
		op.WithCustomIntrospectionEndpoint(op.NewEndpoint(strings.TrimPrefix(PathIntrospect, "/"))),
		op.WithCustomDeviceAuthorizationEndpoint(op.NewEndpoint(strings.TrimPrefix(PathDevice, "/"))),
		// The library's default CORS reflects any origin with credentials
		// on every endpoint (trap 3); the host applies its own, only where
		// it belongs.
		op.WithCORSOptions(nil),
	}
	if strings.HasPrefix(issuer, "http://") {
		opts = append(opts, op.WithAllowInsecure())
	}
	p, err := op.NewProvider(cfg, st, op.StaticIssuer(issuer), opts...)
	if err != nil {
		return nil, err
	}
	prov := &Provider{op: p, issuer: issuer, svc: svc}
	endpoints := op.Endpoints{Token: op.NewEndpoint(strings.TrimPrefix(PathToken, "/"))}
	prov.tokens = op.RegisterServer(&tokenServer{LegacyServer: op.NewLegacyServer(p, endpoints), p: prov}, endpoints,
		op.WithServerCORSOptions(nil))
	return prov, nil
}

// Issuer returns the issuer URL.
func (p *Provider) Issuer() string { return p.issuer }

// CallbackURL is where the login pages send the browser once the core has
// finished the request.
func (p *Provider) CallbackURL(id string) string {
	return p.issuer + PathCallback + "?id=" + url.QueryEscape(id)
}

// RequestContext carries what the host knows about a request into the
// provider: the audit source and the hash of the SSO session token (for
// end_session).
func RequestContext(ctx context.Context, src audit.Source, ssoTokenHash string) context.Context {
	return context.WithValue(ctx, stateKey{}, &reqState{src: src, ssoSID: ssoTokenHash})
}

// Handler returns the http.Handler to mount at the root. Requests must
// carry a context made with RequestContext.
func (p *Provider) Handler(errPage ErrorPage) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := r.Context().Value(stateKey{}).(*reqState); !ok {
			r = r.WithContext(RequestContext(r.Context(), audit.Source{}, ""))
		}
		switch r.URL.Path {
		case PathToken, PathIntrospect, PathRevoke, PathDevice:
			if r.Method == http.MethodPost && r.ParseForm() == nil {
				if oe := p.checkClientAssertion(r.Context(), r); oe != nil {
					op.RequestError(w, r, oe, nil)
					return
				}
				var oe *oidc.Error
				if r, oe = assertedAsBasic(r); oe != nil {
					op.RequestError(w, r, oe, nil)
					return
				}
			}
		}
		switch r.URL.Path {
		case PathDiscovery:
			p.serveDiscovery(w, r)
		case PathAuthorize, PathCallback:
			p.serveAuthorize(w, r, errPage)
		case PathEndSession:
			p.serveEndSession(w, r, errPage)
		case PathDevice:
			p.serveDeviceAuthorization(w, r)
		case PathIntrospect:
			p.serveIntrospect(w, r)
		case PathJWKS:
			p.svc.JWKSAccessed(r.Context(), stateFrom(r.Context()).src)
			p.op.ServeHTTP(w, r)
		case PathToken:
			if r.Method == http.MethodPost && r.PostForm.Get("grant_type") == string(oidc.GrantTypeDeviceCode) {
				p.serveDeviceToken(w, r)
				return
			}
			if r.Method == http.MethodPost && r.PostForm.Get("grant_type") == string(oidc.GrantTypeTokenExchange) {
				if oe := checkExchangeForm(r); oe != nil {
					op.RequestError(w, r, oe, nil)
					return
				}
			}
			if r.Method == http.MethodPost {
				p.tokens.ServeHTTP(w, r.WithContext(op.ContextWithIssuer(r.Context(), p.issuer)))
				return
			}
			p.op.ServeHTTP(w, r)
		default:
			p.op.ServeHTTP(w, r)
		}
	})
}

// serveAuthorize runs the library's authorize or callback handler, then
// adds RFC 9207 "iss" to an authorization response redirect (trap 6) and
// turns a refusal without redirect into the host's error page.
func (p *Provider) serveAuthorize(w http.ResponseWriter, r *http.Request, errPage ErrorPage) {
	if r.URL.Path == PathCallback {
		if a, msg, denied := p.svc.TakeDenial(r.Context(), r.URL.Query().Get("id")); denied {
			// Refused after login (an org:<slug> scope of an organization
			// the user is not a member of): access_denied to the client.
			q := url.Values{"error": {"access_denied"}, "error_description": {msg}, "iss": {p.issuer}}
			if a.State != "" {
				q.Set("state", a.State)
			}
			sep := "?"
			if strings.Contains(a.RedirectURI, "?") {
				sep = "&"
			}
			w.Header().Set("Location", a.RedirectURI+sep+q.Encode())
			w.Header().Set("Cache-Control", "no-store")
			w.WriteHeader(http.StatusFound)
			return
		}
	}
	rec := httptest.NewRecorder()
	p.op.ServeHTTP(rec, r)
	res := rec.Result()
	defer res.Body.Close()
	if loc := res.Header.Get("Location"); loc != "" && (res.StatusCode == http.StatusFound || res.StatusCode == http.StatusSeeOther) {
		if u, err := url.Parse(loc); err == nil && !strings.HasPrefix(loc, PathLogin) {
			loc = withIssuer(u, loc, p.issuer)
		}
		w.Header().Set("Location", loc)
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(res.StatusCode)
		return
	}
	if res.StatusCode >= 400 && errPage != nil {
		msg := strings.TrimSpace(rec.Body.String())
		if msg == "" || len(msg) > 300 {
			msg = "The sign-in request is not valid."
		}
		errPage(w, r, res.StatusCode, msg)
		return
	}
	for k, v := range res.Header {
		w.Header()[k] = v
	}
	w.WriteHeader(res.StatusCode)
	_, _ = w.Write(rec.Body.Bytes())
}

// withIssuer adds iss (RFC 9207) to an authorization response, in the
// query or, for a response carried in the fragment (the library answers a
// refused implicit/hybrid request that way), in the fragment. Other
// redirects are returned unchanged.
func withIssuer(u *url.URL, loc, issuer string) string {
	if q := u.Query(); (q.Has("code") || q.Has("error")) && !q.Has("iss") {
		return AddIssuer(loc, issuer)
	}
	if f, err := url.ParseQuery(u.Fragment); err == nil && (f.Has("code") || f.Has("error")) && !f.Has("iss") {
		return loc + "&iss=" + url.QueryEscape(issuer)
	}
	return loc
}

// AddIssuer appends iss (RFC 9207) to an authorization response URI.
func AddIssuer(loc, issuer string) string {
	sep := "?"
	if strings.Contains(loc, "?") {
		sep = "&"
	}
	return loc + sep + "iss=" + url.QueryEscape(issuer)
}

// serveDiscovery serves the library's discovery document corrected to
// what Secuird offers: code flow only, query response mode, RFC 9207, the
// acr values issued.
func (p *Provider) serveDiscovery(w http.ResponseWriter, r *http.Request) {
	p.discOnce.Do(func() {
		rec := httptest.NewRecorder()
		req := r.Clone(r.Context())
		req.Method = http.MethodGet
		p.op.ServeHTTP(rec, req)
		var doc map[string]any
		if json.Unmarshal(rec.Body.Bytes(), &doc) != nil {
			return
		}
		doc["response_types_supported"] = []string{"code"}
		doc["response_modes_supported"] = []string{"query"}
		doc["authorization_response_iss_parameter_supported"] = true
		doc["code_challenge_methods_supported"] = []string{"S256"}
		doc["grant_types_supported"] = []string{"authorization_code", "refresh_token", "client_credentials", string(oidc.GrantTypeDeviceCode), string(oidc.GrantTypeTokenExchange)}
		doc["token_endpoint_auth_methods_supported"] = []string{"client_secret_basic", "client_secret_post", "private_key_jwt", "none"}
		doc["registration_endpoint"] = p.issuer + "/oidc/register"
		doc["backchannel_logout_supported"] = true
		doc["backchannel_logout_session_supported"] = true
		doc["request_parameter_supported"] = false
		doc["claims_parameter_supported"] = false
		doc["prompt_values_supported"] = []string{"none", "login", "consent", "select_account"}
		// The acr levels the ID token carries (acr_values can ask for step-up).
		doc["acr_values_supported"] = coreoidc.ACRValuesSupported()
		delete(doc, "check_session_iframe")
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if enc.Encode(doc) == nil {
			p.disc = buf.Bytes()
		}
	})
	if p.disc == nil {
		http.Error(w, "discovery unavailable", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	_, _ = w.Write(p.disc)
}
