package httpapi

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/core/oidc"
	"github.com/secuird/secuird/core/provider"
)

// uriList accepts a JSON list of strings or one string of URIs separated
// by newlines or commas (the previous system's form).
type uriList []string

// UnmarshalJSON implements json.Unmarshaler.
func (l *uriList) UnmarshalJSON(b []byte) error {
	var list []string
	if err := json.Unmarshal(b, &list); err == nil {
		*l = list
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	out := []string{}
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' || r == ',' }) {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	*l = out
	return nil
}

// clientBody is the JSON of a client create or update; absent fields take
// the defaults (create) or stay unchanged (update). Lifetimes are seconds.
type clientBody struct {
	Name                    *string          `json:"name"`
	RedirectURIs            *uriList         `json:"redirect_uris"`
	PostLogoutRedirectURIs  *uriList         `json:"post_logout_redirect_uris"`
	GrantTypes              *uriList         `json:"grant_types"`
	Scopes                  *uriList         `json:"scopes"`
	TokenEndpointAuthMethod *string          `json:"token_endpoint_auth_method"`
	AccessTokenLifetime     *int64           `json:"access_token_lifetime"`
	RefreshTokenLifetime    *int64           `json:"refresh_token_lifetime"`
	RefreshIdleLifetime     *int64           `json:"refresh_token_idle_lifetime"`
	IDTokenLifetime         *int64           `json:"id_token_lifetime"`
	AccessTokenType         *string          `json:"access_token_type"`
	IDTokenSigningAlg       *string          `json:"id_token_signed_response_alg"`
	RequirePKCE             *bool            `json:"require_pkce"`
	ConsentMode             *string          `json:"consent_mode"`
	LogoURI                 *string          `json:"logo_uri"`
	ClientURI               *string          `json:"client_uri"`
	PolicyURI               *string          `json:"policy_uri"`
	TosURI                  *string          `json:"tos_uri"`
	BackchannelLogoutURI    *string          `json:"backchannel_logout_uri"`
	JWKS                    *json.RawMessage `json:"jwks"`
	TokenExchange           *bool            `json:"token_exchange"`
	DevMode                 *bool            `json:"dev_mode"`
}

func (b clientBody) input() (provider.ClientInput, error) {
	in := provider.ClientInput{Name: b.Name, RequirePKCE: b.RequirePKCE, LogoURI: b.LogoURI, ClientURI: b.ClientURI, PolicyURI: b.PolicyURI,
		TosURI: b.TosURI, BackchannelLogoutURI: b.BackchannelLogoutURI, TokenExchange: b.TokenExchange, DevMode: b.DevMode, IDTokenAlg: b.IDTokenSigningAlg}
	list := func(l *uriList) *[]string {
		if l == nil {
			return nil
		}
		s := []string(*l)
		return &s
	}
	in.RedirectURIs, in.PostLogoutRedirectURIs, in.GrantTypes, in.Scopes = list(b.RedirectURIs), list(b.PostLogoutRedirectURIs), list(b.GrantTypes), list(b.Scopes)
	var v fault.Validation
	secs := func(field string, n *int64) *time.Duration {
		if n == nil {
			return nil
		}
		if *n <= 0 || *n > 10*365*24*3600 {
			v.Add(field, "Must be a positive number of seconds")
			return nil
		}
		d := time.Duration(*n) * time.Second
		return &d
	}
	in.AccessTokenTTL = secs("access_token_lifetime", b.AccessTokenLifetime)
	in.RefreshTokenTTL = secs("refresh_token_lifetime", b.RefreshTokenLifetime)
	in.RefreshIdleTTL = secs("refresh_token_idle_lifetime", b.RefreshIdleLifetime)
	in.IDTokenTTL = secs("id_token_lifetime", b.IDTokenLifetime)
	if b.TokenEndpointAuthMethod != nil {
		m := oidc.AuthMethod(*b.TokenEndpointAuthMethod)
		in.AuthMethod = &m
	}
	if b.AccessTokenType != nil {
		f := oidc.TokenFormat(*b.AccessTokenType)
		in.AccessTokenFormat = &f
	}
	if b.ConsentMode != nil {
		m := oidc.ConsentMode(*b.ConsentMode)
		in.ConsentMode = &m
	}
	if b.JWKS != nil {
		s := string(*b.JWKS)
		if s == "null" {
			s = ""
		}
		in.JWKS = &s
	}
	return in, v.Err("httpapi.clientBody")
}

// clientView is a client as the API shows it: never the secret or its hash.
type clientView struct {
	ClientID                string          `json:"client_id"`
	OrganizationID          string          `json:"organization_id"`
	Name                    string          `json:"name"`
	RedirectURIs            []string        `json:"redirect_uris"`
	PostLogoutRedirectURIs  []string        `json:"post_logout_redirect_uris"`
	GrantTypes              []string        `json:"grant_types"`
	Scopes                  []string        `json:"scopes"`
	TokenEndpointAuthMethod string          `json:"token_endpoint_auth_method"`
	Confidential            bool            `json:"is_confidential"`
	AccessTokenLifetime     int64           `json:"access_token_lifetime"`
	RefreshTokenLifetime    int64           `json:"refresh_token_lifetime"`
	RefreshIdleLifetime     int64           `json:"refresh_token_idle_lifetime"`
	IDTokenLifetime         int64           `json:"id_token_lifetime"`
	AccessTokenType         string          `json:"access_token_type"`
	IDTokenSigningAlg       string          `json:"id_token_signed_response_alg"`
	RequirePKCE             bool            `json:"require_pkce"`
	ConsentMode             string          `json:"consent_mode"`
	LogoURI                 string          `json:"logo_uri"`
	ClientURI               string          `json:"client_uri"`
	PolicyURI               string          `json:"policy_uri"`
	TosURI                  string          `json:"tos_uri"`
	BackchannelLogoutURI    string          `json:"backchannel_logout_uri"`
	JWKS                    json.RawMessage `json:"jwks,omitempty"`
	TokenExchange           bool            `json:"token_exchange"`
	DevMode                 bool            `json:"dev_mode"`
	Active                  bool            `json:"is_active"`
	CreatedAt               time.Time       `json:"created_at"`
	UpdatedAt               time.Time       `json:"updated_at"`
}

func viewClient(c oidc.Client) clientView {
	nz := func(l []string) []string {
		if l == nil {
			return []string{}
		}
		return l
	}
	v := clientView{ClientID: c.ClientID, OrganizationID: c.OrgID, Name: c.Name, RedirectURIs: nz(c.RedirectURIs),
		PostLogoutRedirectURIs: nz(c.PostLogoutRedirectURIs), GrantTypes: nz(c.GrantTypes), Scopes: nz(c.Scopes),
		TokenEndpointAuthMethod: string(c.AuthMethod), Confidential: !c.Public(),
		AccessTokenLifetime: int64(c.AccessTokenTTL / time.Second), RefreshTokenLifetime: int64(c.RefreshTokenTTL / time.Second),
		RefreshIdleLifetime: int64(c.RefreshIdleTTL / time.Second), IDTokenLifetime: int64(c.IDTokenTTL / time.Second),
		AccessTokenType: string(c.AccessTokenFormat), IDTokenSigningAlg: c.IDTokenAlg, RequirePKCE: c.RequirePKCE,
		ConsentMode: string(c.ConsentMode), LogoURI: c.LogoURI, ClientURI: c.ClientURI, PolicyURI: c.PolicyURI, TosURI: c.TosURI,
		BackchannelLogoutURI: c.BackchannelLogoutURI, TokenExchange: c.TokenExchange, DevMode: c.DevMode, Active: c.Active,
		CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt}
	if json.Valid([]byte(c.JWKS)) {
		v.JWKS = json.RawMessage(c.JWKS)
	}
	return v
}

func (h *handlers) createClient(c *fiber.Ctx) error {
	var b clientBody
	if err := decodeJSON(c, &b); err != nil {
		return fail(c, err)
	}
	in, err := b.input()
	if err != nil {
		return fail(c, err)
	}
	cl, secret, err := h.d.OIDC.Provider.CreateOrgClient(c.UserContext(), principal(c).User.ID, strings.Clone(c.Params("org")), in, requestSource(c))
	if err != nil {
		return fail(c, err)
	}
	data := fiber.Map{"client": viewClient(cl)}
	msg := "Client created"
	if secret != "" {
		data["client_secret"] = secret
		msg = "Client created; copy the secret now, it is not shown again"
	}
	return respond(c, fiber.StatusCreated, msg, data)
}

func (h *handlers) listClients(c *fiber.Ctx) error {
	l, err := h.d.OIDC.Provider.ListOrgClients(c.UserContext(), principal(c).User.ID, strings.Clone(c.Params("org")))
	if err != nil {
		return fail(c, err)
	}
	out := make([]clientView, len(l))
	for i, cl := range l {
		out[i] = viewClient(cl)
	}
	return respond(c, fiber.StatusOK, "Clients", fiber.Map{"clients": out, "count": len(out)})
}

func (h *handlers) getClient(c *fiber.Ctx) error {
	cl, err := h.d.OIDC.Provider.OrgClient(c.UserContext(), principal(c).User.ID, strings.Clone(c.Params("org")), strings.Clone(c.Params("id")))
	if err != nil {
		return fail(c, err)
	}
	return respond(c, fiber.StatusOK, "Client", fiber.Map{"client": viewClient(cl)})
}

func (h *handlers) updateClient(c *fiber.Ctx) error {
	var b clientBody
	if err := decodeJSON(c, &b); err != nil {
		return fail(c, err)
	}
	in, err := b.input()
	if err != nil {
		return fail(c, err)
	}
	cl, err := h.d.OIDC.Provider.UpdateOrgClient(c.UserContext(), principal(c).User.ID, strings.Clone(c.Params("org")), strings.Clone(c.Params("id")), in, requestSource(c))
	if err != nil {
		return fail(c, err)
	}
	return respond(c, fiber.StatusOK, "Client updated", fiber.Map{"client": viewClient(cl)})
}

func (h *handlers) rotateClientSecret(c *fiber.Ctx) error {
	cl, secret, err := h.d.OIDC.Provider.RotateClientSecret(c.UserContext(), principal(c).User.ID, strings.Clone(c.Params("org")), strings.Clone(c.Params("id")), requestSource(c))
	if err != nil {
		return fail(c, err)
	}
	return respond(c, fiber.StatusOK, "Secret rotated; copy it now, it is not shown again", fiber.Map{"client": viewClient(cl), "client_secret": secret})
}

func (h *handlers) disableClient(c *fiber.Ctx) error {
	cl, err := h.d.OIDC.Provider.DisableOrgClient(c.UserContext(), principal(c).User.ID, strings.Clone(c.Params("org")), strings.Clone(c.Params("id")), requestSource(c))
	if err != nil {
		return fail(c, err)
	}
	return respond(c, fiber.StatusOK, "Client disabled", fiber.Map{"client": viewClient(cl)})
}

func (h *handlers) deleteClient(c *fiber.Ctx) error {
	if err := h.d.OIDC.Provider.DeleteOrgClient(c.UserContext(), principal(c).User.ID, strings.Clone(c.Params("org")), strings.Clone(c.Params("id")), requestSource(c)); err != nil {
		return fail(c, err)
	}
	return respond(c, fiber.StatusOK, "Client deleted", nil)
}

// oidcClientRoutes registers the organization-scoped client management
// API (owners and admins; sessions only, never API keys).
func (h *handlers) oidcClientRoutes(app *fiber.App, v1 fiber.Router, lim fiber.Handler) {
	if h.d.OIDC == nil {
		return
	}
	// Dynamic registration (RFC 7591) needs an initial access token; it
	// is registered before the provider's /oidc/* mount.
	app.Post("/oidc/register", lim, h.register7591)
	o := v1.Group("/organizations")
	auth := h.requireSession
	o.Post("/:org/clients/registration-tokens", auth, h.createRegistrationToken)
	o.Get("/:org/clients", auth, h.listClients)
	o.Post("/:org/clients", auth, h.createClient)
	o.Get("/:org/clients/:id", auth, h.getClient)
	o.Patch("/:org/clients/:id", auth, h.updateClient)
	o.Delete("/:org/clients/:id", auth, h.deleteClient)
	o.Post("/:org/clients/:id/rotate-secret", auth, h.rotateClientSecret)
	o.Post("/:org/clients/:id/disable", auth, h.disableClient)
}
