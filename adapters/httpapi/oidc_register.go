package httpapi

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/secuird/secuird/core/fault"
)

// registrationTokenBody creates an initial access token.
type registrationTokenBody struct {
	ExpiresIn int64 `json:"expires_in"`
	MaxUses   int   `json:"max_uses"`
}

// createRegistrationToken is POST /organizations/:org/clients/registration-tokens
// (owners and admins): the token is shown once.
func (h *handlers) createRegistrationToken(c *fiber.Ctx) error {
	var b registrationTokenBody
	if len(c.Body()) > 0 {
		if err := decodeJSON(c, &b); err != nil {
			return fail(c, err)
		}
	}
	if b.ExpiresIn < 0 || b.ExpiresIn > 365*24*3600 {
		var v fault.Validation
		v.Add("expires_in", "Must be between 60 seconds and 30 days")
		return fail(c, v.Err("httpapi.createRegistrationToken"))
	}
	t, raw, err := h.d.OIDC.Provider.CreateRegistrationToken(c.UserContext(), principal(c).User.ID, strings.Clone(c.Params("org")),
		time.Duration(b.ExpiresIn)*time.Second, b.MaxUses, requestSource(c))
	if err != nil {
		return fail(c, err)
	}
	return respond(c, fiber.StatusCreated, "Registration token created; copy it now, it is not shown again", fiber.Map{
		"registration_token": raw, "id": t.ID, "expires_at": t.ExpiresAt, "max_uses": t.MaxUses,
		"registration_endpoint": h.d.OIDC.Issuer + "/oidc/register"})
}

// registrationRequest is RFC 7591 client metadata.
type registrationRequest struct {
	RedirectURIs            []string        `json:"redirect_uris"`
	PostLogoutRedirectURIs  []string        `json:"post_logout_redirect_uris"`
	ClientName              *string         `json:"client_name"`
	GrantTypes              []string        `json:"grant_types"`
	ResponseTypes           []string        `json:"response_types"`
	TokenEndpointAuthMethod *string         `json:"token_endpoint_auth_method"`
	Scope                   *string         `json:"scope"`
	LogoURI                 *string         `json:"logo_uri"`
	ClientURI               *string         `json:"client_uri"`
	PolicyURI               *string         `json:"policy_uri"`
	TosURI                  *string         `json:"tos_uri"`
	JWKS                    json.RawMessage `json:"jwks"`
	BackchannelLogoutURI    *string         `json:"backchannel_logout_uri"`
	IDTokenSigningAlg       *string         `json:"id_token_signed_response_alg"`
}

// registrationError answers with an RFC 7591 error object.
func registrationError(c *fiber.Ctx, status int, code, desc string) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Status(status).JSON(fiber.Map{"error": code, "error_description": desc})
}

// register is POST /oidc/register (RFC 7591), with an initial access token
// as Bearer credential; never open.
func (h *handlers) register7591(c *fiber.Ctx) error {
	token := ""
	if scheme, tok, ok := strings.Cut(c.Get(fiber.HeaderAuthorization), " "); ok && strings.EqualFold(scheme, "Bearer") {
		token = strings.TrimSpace(tok)
	}
	if token == "" {
		c.Set(fiber.HeaderWWWAuthenticate, `Bearer error="invalid_token"`)
		return registrationError(c, fiber.StatusUnauthorized, "invalid_token", "An initial access token is required")
	}
	var req registrationRequest
	dec := json.NewDecoder(strings.NewReader(string(c.Body())))
	if err := dec.Decode(&req); err != nil {
		return registrationError(c, fiber.StatusBadRequest, "invalid_client_metadata", "The body must be a JSON object")
	}
	for _, rt := range req.ResponseTypes {
		if rt != "code" {
			return registrationError(c, fiber.StatusBadRequest, "invalid_client_metadata", "Only the code response type is supported")
		}
	}
	b := clientBody{Name: req.ClientName, LogoURI: req.LogoURI, ClientURI: req.ClientURI, PolicyURI: req.PolicyURI, TosURI: req.TosURI,
		BackchannelLogoutURI: req.BackchannelLogoutURI, IDTokenSigningAlg: req.IDTokenSigningAlg, TokenEndpointAuthMethod: req.TokenEndpointAuthMethod}
	if req.RedirectURIs != nil {
		l := uriList(req.RedirectURIs)
		b.RedirectURIs = &l
	}
	if req.PostLogoutRedirectURIs != nil {
		l := uriList(req.PostLogoutRedirectURIs)
		b.PostLogoutRedirectURIs = &l
	}
	if req.GrantTypes != nil {
		l := uriList(req.GrantTypes)
		b.GrantTypes = &l
	}
	if req.Scope != nil {
		l := uriList(strings.Fields(*req.Scope))
		b.Scopes = &l
	}
	if len(req.JWKS) > 0 {
		raw := json.RawMessage(req.JWKS)
		b.JWKS = &raw
	}
	in, err := b.input()
	if err != nil {
		return registrationError(c, fiber.StatusBadRequest, "invalid_client_metadata", "The client metadata is not valid")
	}
	cl, secret, err := h.d.OIDC.Provider.RegisterClient(c.UserContext(), token, in, requestSource(c))
	if err != nil {
		fe := fault.As(err)
		switch {
		case fault.Is(err, fault.Unauthenticated):
			c.Set(fiber.HeaderWWWAuthenticate, `Bearer error="invalid_token"`)
			return registrationError(c, fiber.StatusUnauthorized, "invalid_token", "The initial access token is not valid")
		case fe != nil && fe.Kind == fault.Invalid:
			code := "invalid_client_metadata"
			desc := fe.Msg
			for field, msgs := range fe.Fields {
				if field == "redirect_uris" || field == "post_logout_redirect_uris" {
					code = "invalid_redirect_uri"
				}
				if len(msgs) > 0 {
					desc = field + ": " + msgs[0]
				}
			}
			return registrationError(c, fiber.StatusBadRequest, code, desc)
		}
		logger(c).Error("dynamic registration failed", "error", err.Error())
		return registrationError(c, fiber.StatusInternalServerError, "server_error", "The client could not be registered")
	}
	v := viewClient(cl)
	out := fiber.Map{
		"client_id": cl.ClientID, "client_id_issued_at": cl.CreatedAt.Unix(), "client_name": cl.Name,
		"redirect_uris": v.RedirectURIs, "post_logout_redirect_uris": v.PostLogoutRedirectURIs, "grant_types": v.GrantTypes,
		"response_types": []string{"code"}, "token_endpoint_auth_method": v.TokenEndpointAuthMethod, "scope": strings.Join(v.Scopes, " "),
		"id_token_signed_response_alg": v.IDTokenSigningAlg,
	}
	for k, s := range map[string]string{"logo_uri": cl.LogoURI, "client_uri": cl.ClientURI, "policy_uri": cl.PolicyURI, "tos_uri": cl.TosURI,
		"backchannel_logout_uri": cl.BackchannelLogoutURI} {
		if s != "" {
			out[k] = s
		}
	}
	if secret != "" {
		out["client_secret"] = secret
		out["client_secret_expires_at"] = 0
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Status(fiber.StatusCreated).JSON(out)
}
