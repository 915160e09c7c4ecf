package httpapi

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/core/oidc"
	"github.com/secuird/secuird/core/org"
	"github.com/secuird/secuird/core/provider"
	"github.com/secuird/secuird/core/tenancy"
)

// clientGrantChoices are the grant types the client form offers.
var clientGrantChoices = []string{oidc.GrantAuthorizationCode, oidc.GrantRefreshToken, oidc.GrantClientCredentials, oidc.GrantDeviceCode}

// clientTypeChoices are the client types the form offers (token endpoint
// authentication methods; private_key_jwt needs a key set, which the REST
// API takes).
var clientTypeChoices = []oidc.AuthMethod{oidc.AuthSecretBasic, oidc.AuthSecretPost, oidc.AuthNone}

// clientFieldErrors maps the core's client field names to the form's
// messages.
var clientFieldErrors = map[string]string{ //nolint:gosec // field names and catalogue keys, not credentials
	"name":                       "org.clients.error.name",
	"token_endpoint_auth_method": "org.clients.error.type",
	"redirect_uris":              "org.clients.error.redirect_uris",
	"post_logout_redirect_uris":  "org.clients.error.post_logout_redirect_uris",
	"grant_types":                "org.clients.error.grant_types",
	"scopes":                     "org.clients.error.scopes",
	"access_token_format":        "org.clients.error.access_token_format",
	"consent_mode":               "org.clients.error.consent_mode",
	"logo_uri":                   "org.clients.error.https_uri",
	"client_uri":                 "org.clients.error.https_uri",
	"policy_uri":                 "org.clients.error.https_uri",
	"tos_uri":                    "org.clients.error.https_uri",
	"backchannel_logout_uri":     "org.clients.error.backchannel_logout_uri",
	"access_token_ttl":           "org.clients.error.minutes",
	"id_token_ttl":               "org.clients.error.minutes",
	"refresh_token_ttl":          "org.clients.error.days",
	"refresh_idle_ttl":           "org.clients.error.days",
}

// clientForm is the client form's values (as typed, for re-rendering).
type clientForm struct {
	Name, Type, RedirectURIs, PostLogoutURIs, Scopes string
	Grants                                           []string
	TokenFormat, ConsentMode                         string
	RequirePKCE                                      bool
	LogoURI, ClientURI, PolicyURI, TosURI            string
	BackchannelLogoutURI                             string
	// Lifetimes as typed: access and ID tokens in minutes, refresh tokens
	// (absolute and idle) in days.
	AccessTTL, IDTTL, RefreshTTL, RefreshIdleTTL string
}

// HasGrant reports whether grant g is ticked.
func (f clientForm) HasGrant(g string) bool { return slices.Contains(f.Grants, g) }

// formOfClient fills the form from a stored client.
func formOfClient(cl oidc.Client) clientForm {
	return clientForm{Name: cl.Name, Type: string(cl.AuthMethod), RedirectURIs: strings.Join(cl.RedirectURIs, "\n"),
		PostLogoutURIs: strings.Join(cl.PostLogoutRedirectURIs, "\n"), Scopes: strings.Join(cl.Scopes, " "),
		Grants: slices.Clone(cl.GrantTypes), TokenFormat: string(cl.AccessTokenFormat), ConsentMode: string(cl.ConsentMode),
		RequirePKCE: cl.RequirePKCE, LogoURI: cl.LogoURI, ClientURI: cl.ClientURI, PolicyURI: cl.PolicyURI, TosURI: cl.TosURI,
		BackchannelLogoutURI: cl.BackchannelLogoutURI,
		AccessTTL:            strconv.Itoa(int(cl.AccessTokenTTL / time.Minute)), IDTTL: strconv.Itoa(int(cl.IDTokenTTL / time.Minute)),
		RefreshTTL: strconv.Itoa(int(cl.RefreshTokenTTL / day)), RefreshIdleTTL: strconv.Itoa(int(cl.RefreshIdleTTL / day))}
}

// day is the unit of the refresh token lifetimes in the form.
const day = 24 * time.Hour

// newClientForm is an empty form with the core's defaults.
func newClientForm() clientForm {
	return clientForm{Type: string(oidc.AuthSecretBasic), Grants: []string{oidc.GrantAuthorizationCode, oidc.GrantRefreshToken},
		Scopes: "openid profile email", TokenFormat: string(oidc.TokenJWT), ConsentMode: string(oidc.ConsentExplicit), RequirePKCE: true,
		AccessTTL: "60", IDTTL: "60", RefreshTTL: "30", RefreshIdleTTL: "30"}
}

// readClientForm reads the posted form.
func readClientForm(c *fiber.Ctx) clientForm {
	f := clientForm{
		Name: c.FormValue("name"), Type: c.FormValue("token_endpoint_auth_method"), RedirectURIs: c.FormValue("redirect_uris"),
		PostLogoutURIs: c.FormValue("post_logout_redirect_uris"), Scopes: c.FormValue("scopes"),
		TokenFormat: c.FormValue("access_token_format"), ConsentMode: c.FormValue("consent_mode"),
		RequirePKCE: c.FormValue("require_pkce") != "", LogoURI: c.FormValue("logo_uri"), ClientURI: c.FormValue("client_uri"),
		PolicyURI: c.FormValue("policy_uri"), TosURI: c.FormValue("tos_uri"), BackchannelLogoutURI: c.FormValue("backchannel_logout_uri"),
	}
	f.AccessTTL, f.IDTTL = strings.Clone(c.FormValue("access_token_ttl")), strings.Clone(c.FormValue("id_token_ttl"))
	f.RefreshTTL, f.RefreshIdleTTL = strings.Clone(c.FormValue("refresh_token_ttl")), strings.Clone(c.FormValue("refresh_idle_ttl"))
	for _, g := range c.Request().PostArgs().PeekMulti("grant_types") {
		f.Grants = append(f.Grants, string(g))
	}
	f.Name, f.Type, f.RedirectURIs, f.PostLogoutURIs, f.Scopes = strings.Clone(f.Name), strings.Clone(f.Type), strings.Clone(f.RedirectURIs),
		strings.Clone(f.PostLogoutURIs), strings.Clone(f.Scopes)
	f.TokenFormat, f.ConsentMode, f.LogoURI, f.ClientURI = strings.Clone(f.TokenFormat), strings.Clone(f.ConsentMode), strings.Clone(f.LogoURI), strings.Clone(f.ClientURI)
	f.PolicyURI, f.TosURI, f.BackchannelLogoutURI = strings.Clone(f.PolicyURI), strings.Clone(f.TosURI), strings.Clone(f.BackchannelLogoutURI)
	return f
}

// lines splits a textarea into its non-empty lines (commas separate too,
// as in the REST API).
func lines(s string) []string {
	out := []string{}
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' || r == ',' }) {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// input is the form as the core's ClientInput: every field set, so an
// update stores exactly what the form shows (an empty lifetime keeps the
// default or the stored value). A lifetime that is not a whole number is
// the form's own message; the core checks the range.
func (f clientForm) input() (provider.ClientInput, formErrors) {
	redirects, postLogout, scopes := lines(f.RedirectURIs), lines(f.PostLogoutURIs), strings.Fields(f.Scopes)
	grants := slices.Clone(f.Grants)
	if grants == nil {
		grants = []string{}
	}
	method, format, consent := oidc.AuthMethod(f.Type), oidc.TokenFormat(f.TokenFormat), oidc.ConsentMode(f.ConsentMode)
	name, logo, clientURI, policy, tos, bcl := f.Name, f.LogoURI, f.ClientURI, f.PolicyURI, f.TosURI, f.BackchannelLogoutURI
	pkce := f.RequirePKCE
	in := provider.ClientInput{Name: &name, RedirectURIs: &redirects, PostLogoutRedirectURIs: &postLogout, GrantTypes: &grants,
		Scopes: &scopes, AuthMethod: &method, AccessTokenFormat: &format, ConsentMode: &consent, RequirePKCE: &pkce,
		LogoURI: &logo, ClientURI: &clientURI, PolicyURI: &policy, TosURI: &tos, BackchannelLogoutURI: &bcl}
	errs := formErrors{Fields: map[string]string{}}
	ttl := func(field, raw string, unit time.Duration, key string) *time.Duration {
		if strings.TrimSpace(raw) == "" {
			return nil // the default (create) or unchanged (update)
		}
		n, err := strconv.Atoi(strings.TrimSpace(raw))
		if err != nil || n < 1 || n > 100000 {
			errs.Fields[field] = key
			return nil
		}
		d := time.Duration(n) * unit
		return &d
	}
	in.AccessTokenTTL = ttl("access_token_ttl", f.AccessTTL, time.Minute, "org.clients.error.minutes")
	in.IDTokenTTL = ttl("id_token_ttl", f.IDTTL, time.Minute, "org.clients.error.minutes")
	in.RefreshTokenTTL = ttl("refresh_token_ttl", f.RefreshTTL, day, "org.clients.error.days")
	in.RefreshIdleTTL = ttl("refresh_idle_ttl", f.RefreshIdleTTL, day, "org.clients.error.days")
	return in, errs
}

// orgClientsView is the applications list.
type orgClientsView struct {
	Org     *orgScope
	Clients []oidc.Client
}

// orgClients is GET /orgs/:slug/clients.
func (h *handlers) orgClients(c *fiber.Ctx) error {
	o := orgOf(c)
	list, err := h.d.OIDC.Provider.ListOrgClients(c.UserContext(), uiPrincipal(c).User.ID, o.Org.ID)
	if err != nil {
		return h.orgFail(c, o.Base, err)
	}
	return h.sendPage(c, fiber.StatusOK, "org_clients", h.orgPage(c, "org.clients.title", orgClientsView{Org: o, Clients: list}))
}

// orgClientFormView is the create and edit form.
type orgClientFormView struct {
	Org *orgScope
	// Client is the stored client when editing (nil when creating).
	Client *oidc.Client
	Form   clientForm
	Errors formErrors
	// The choices the form offers.
	Types   []oidc.AuthMethod
	Grants  []string
	Formats []oidc.TokenFormat
	Consent []oidc.ConsentMode
}

// ExtraGrants are grant types the client has that the form does not
// offer (token exchange): kept as hidden fields so that saving keeps them.
func (v orgClientFormView) ExtraGrants() []string {
	var out []string
	for _, g := range v.Form.Grants {
		if !slices.Contains(clientGrantChoices, g) {
			out = append(out, g)
		}
	}
	return out
}

// CanRotate reports whether the edited client has a secret to rotate.
func (v orgClientFormView) CanRotate() bool {
	return v.Client != nil && (v.Client.AuthMethod == oidc.AuthSecretBasic || v.Client.AuthMethod == oidc.AuthSecretPost)
}

func (h *handlers) showClientForm(c *fiber.Ctx, v orgClientFormView, status int) error {
	v.Org = orgOf(c)
	v.Types, v.Grants = clientTypeChoices, clientGrantChoices
	if m := oidc.AuthMethod(v.Form.Type); m == oidc.AuthPrivateKeyJWT {
		// Set up through the REST API (with its key set): kept as it is.
		v.Types = append(slices.Clone(clientTypeChoices), m)
	}
	v.Formats = []oidc.TokenFormat{oidc.TokenJWT, oidc.TokenOpaque}
	v.Consent = []oidc.ConsentMode{oidc.ConsentExplicit, oidc.ConsentFirstParty}
	title := "org.clients.new_title"
	if v.Client != nil {
		title = "org.clients.edit_title"
	}
	pg := h.orgPage(c, title, v)
	if v.Client != nil {
		pg.Title = pg.T(title, v.Client.Name)
	}
	return h.sendPage(c, status, "org_client_form", pg)
}

// orgClientNew is GET /orgs/:slug/clients/new.
func (h *handlers) orgClientNew(c *fiber.Ctx) error {
	return h.showClientForm(c, orgClientFormView{Form: newClientForm()}, fiber.StatusOK)
}

// orgSecretView shows a secret once: right after it was made, in the
// response to the POST that made it (never in a URL, a flash or a later
// page; the response is not stored: Cache-Control no-store).
type orgSecretView struct {
	Org *orgScope
	// Intro is a catalogue key saying what the secret is.
	Intro string
	// Label is the catalogue key of the secret's caption.
	Label string
	// Name and ID identify the client or key.
	Name, ID string
	Secret   string
	// Back is where "done" leads.
	Back string
}

func (h *handlers) showSecret(c *fiber.Ctx, title string, v orgSecretView) error {
	v.Org = orgOf(c)
	pg := h.orgPage(c, title, v)
	pg.Scripts = []string{"/static/js/ui.js"}
	return h.sendPage(c, fiber.StatusOK, "org_secret", pg)
}

// orgClientCreate is POST /orgs/:slug/clients: creates the client and
// shows its secret once.
func (h *handlers) orgClientCreate(c *fiber.Ctx) error {
	o := orgOf(c)
	f := readClientForm(c)
	in, ferr := f.input()
	if ferr.Has() {
		return h.showClientForm(c, orgClientFormView{Form: f, Errors: ferr}, fiber.StatusUnprocessableEntity)
	}
	cl, secret, err := h.d.OIDC.Provider.CreateOrgClient(c.UserContext(), uiPrincipal(c).User.ID, o.Org.ID, in, requestSource(c))
	if fault.Is(err, fault.Invalid) {
		return h.showClientForm(c, orgClientFormView{Form: f, Errors: orgFieldErrors(err, clientFieldErrors)}, fiber.StatusUnprocessableEntity)
	}
	if err != nil {
		return h.orgFail(c, o.Base+"/clients", err)
	}
	back := o.Base + "/clients/" + cl.ClientID
	if secret == "" {
		return h.redirectFlash(c, back, "success", "org.clients.created")
	}
	return h.showSecret(c, "org.clients.secret_title", orgSecretView{Intro: "org.clients.secret_intro", Label: "org.clients.secret_label",
		Name: cl.Name, ID: cl.ClientID, Secret: secret, Back: back})
}

// orgClientEdit is GET /orgs/:slug/clients/:id.
func (h *handlers) orgClientEdit(c *fiber.Ctx) error {
	o := orgOf(c)
	cl, err := h.d.OIDC.Provider.OrgClient(c.UserContext(), uiPrincipal(c).User.ID, o.Org.ID, strings.Clone(c.Params("id")))
	if err == nil && cl.DeletedAt != nil {
		err = fault.E("httpapi.orgClientEdit", fault.NotFound, "Client not found")
	}
	if err != nil {
		return h.orgFail(c, o.Base+"/clients", err)
	}
	return h.showClientForm(c, orgClientFormView{Client: &cl, Form: formOfClient(cl)}, fiber.StatusOK)
}

// orgClientUpdate is POST /orgs/:slug/clients/:id.
func (h *handlers) orgClientUpdate(c *fiber.Ctx) error {
	o := orgOf(c)
	id := strings.Clone(c.Params("id"))
	f := readClientForm(c)
	me := uiPrincipal(c).User.ID
	in, ferr := f.input()
	var err error
	if !ferr.Has() {
		_, err = h.d.OIDC.Provider.UpdateOrgClient(c.UserContext(), me, o.Org.ID, id, in, requestSource(c))
		if fault.Is(err, fault.Invalid) {
			ferr = orgFieldErrors(err, clientFieldErrors)
		}
	}
	if ferr.Has() {
		cl, gerr := h.d.OIDC.Provider.OrgClient(c.UserContext(), me, o.Org.ID, id)
		if gerr != nil {
			return h.orgFail(c, o.Base+"/clients", gerr)
		}
		return h.showClientForm(c, orgClientFormView{Client: &cl, Form: f, Errors: ferr}, fiber.StatusUnprocessableEntity)
	}
	if err != nil {
		return h.orgFail(c, o.Base+"/clients", err)
	}
	return h.redirectFlash(c, o.Base+"/clients/"+id, "success", "org.clients.saved")
}

// orgClientRotate is POST /orgs/:slug/clients/:id/rotate (confirmed):
// the new secret is shown once.
func (h *handlers) orgClientRotate(c *fiber.Ctx) error {
	o := orgOf(c)
	id := strings.Clone(c.Params("id"))
	back := o.Base + "/clients/" + id
	if !formConfirmed(c) {
		return h.uiConfirm(c, SectionOrgs, confirmView{Message: "org.clients.rotate_confirm", Args: []any{formLabel(c)},
			Button: "org.clients.rotate", Action: c.Path(), Back: back})
	}
	cl, secret, err := h.d.OIDC.Provider.RotateClientSecret(c.UserContext(), uiPrincipal(c).User.ID, o.Org.ID, id, requestSource(c))
	if err != nil {
		return h.orgFail(c, back, err)
	}
	return h.showSecret(c, "org.clients.secret_title", orgSecretView{Intro: "org.clients.rotated_intro", Label: "org.clients.secret_label",
		Name: cl.Name, ID: cl.ClientID, Secret: secret, Back: back})
}

// orgClientDisable is POST /orgs/:slug/clients/:id/disable (confirmed):
// the client stops working and its refresh tokens are revoked.
func (h *handlers) orgClientDisable(c *fiber.Ctx) error {
	o := orgOf(c)
	id := strings.Clone(c.Params("id"))
	back := o.Base + "/clients/" + id
	if !formConfirmed(c) {
		return h.uiConfirm(c, SectionOrgs, confirmView{Reversible: true, Message: "org.clients.disable_confirm", Args: []any{formLabel(c)},
			Button: "org.clients.disable", Action: c.Path(), Back: back})
	}
	if _, err := h.d.OIDC.Provider.DisableOrgClient(c.UserContext(), uiPrincipal(c).User.ID, o.Org.ID, id, requestSource(c)); err != nil {
		return h.orgFail(c, back, err)
	}
	return h.redirectFlash(c, back, "success", "org.clients.disabled")
}

// orgClientEnable is POST /orgs/:slug/clients/:id/enable.
func (h *handlers) orgClientEnable(c *fiber.Ctx) error {
	o := orgOf(c)
	id := strings.Clone(c.Params("id"))
	back := o.Base + "/clients/" + id
	if _, err := h.d.OIDC.Provider.EnableOrgClient(c.UserContext(), uiPrincipal(c).User.ID, o.Org.ID, id, requestSource(c)); err != nil {
		return h.orgFail(c, back, err)
	}
	return h.redirectFlash(c, back, "success", "org.clients.enabled")
}

// orgClientDelete is POST /orgs/:slug/clients/:id/delete (confirmed).
func (h *handlers) orgClientDelete(c *fiber.Ctx) error {
	o := orgOf(c)
	id := strings.Clone(c.Params("id"))
	if !formConfirmed(c) {
		return h.uiConfirm(c, SectionOrgs, confirmView{Message: "org.clients.delete_confirm", Args: []any{formLabel(c)},
			Button: "org.clients.delete", Action: c.Path(), Back: o.Base + "/clients/" + id})
	}
	if err := h.d.OIDC.Provider.DeleteOrgClient(c.UserContext(), uiPrincipal(c).User.ID, o.Org.ID, id, requestSource(c)); err != nil {
		return h.orgFail(c, o.Base+"/clients", err)
	}
	return h.redirectFlash(c, o.Base+"/clients", "success", "org.clients.deleted")
}

// orgAPIKeysView is the API keys page: the keys (never the keys
// themselves, only their first characters) and the create form.
type orgAPIKeysView struct {
	Org               *orgScope
	Keys              []org.APIKey
	Name, Description string
	Errors            formErrors
}

// orgAPIKeys is GET /orgs/:slug/api-keys.
func (h *handlers) orgAPIKeys(c *fiber.Ctx) error {
	return h.showAPIKeys(c, orgAPIKeysView{}, fiber.StatusOK)
}

func (h *handlers) showAPIKeys(c *fiber.Ctx, v orgAPIKeysView, status int) error {
	o := orgOf(c)
	list, err := h.d.Tenancy.ListAPIKeys(c.UserContext(), tenancy.UserActor(uiPrincipal(c).User), o.Org.ID)
	if err != nil {
		return h.orgFail(c, o.Base, err)
	}
	v.Org, v.Keys = o, list
	return h.sendPage(c, status, "org_api_keys", h.orgPage(c, "org.keys.title", v))
}

// orgAPIKeyCreate is POST /orgs/:slug/api-keys (name, description): the
// key is shown once.
func (h *handlers) orgAPIKeyCreate(c *fiber.Ctx) error {
	o := orgOf(c)
	name, desc := strings.Clone(c.FormValue("name")), strings.Clone(c.FormValue("description"))
	k, raw, err := h.d.Tenancy.CreateAPIKey(c.UserContext(), tenancy.UserActor(uiPrincipal(c).User), o.Org.ID,
		tenancy.APIKeyInput{Name: &name, Description: &desc}, requestSource(c))
	if fault.Is(err, fault.Invalid) {
		return h.showAPIKeys(c, orgAPIKeysView{Name: name, Description: desc,
			Errors: orgFieldErrors(err, map[string]string{"name": "org.keys.error.name", "description": "org.keys.error.description"})},
			fiber.StatusUnprocessableEntity)
	}
	if err != nil {
		return h.orgFail(c, o.Base+"/api-keys", err)
	}
	return h.showSecret(c, "org.keys.secret_title", orgSecretView{Intro: "org.keys.secret_intro", Label: "org.keys.secret_label",
		Name: k.Name, ID: k.Hint, Secret: raw, Back: o.Base + "/api-keys"})
}

// orgAPIKeyRevoke is POST /orgs/:slug/api-keys/:id/revoke (confirmed).
func (h *handlers) orgAPIKeyRevoke(c *fiber.Ctx) error {
	o := orgOf(c)
	back := o.Base + "/api-keys"
	if !formConfirmed(c) {
		return h.uiConfirm(c, SectionOrgs, confirmView{Message: "org.keys.revoke_confirm", Args: []any{formLabel(c)},
			Button: "org.keys.revoke", Action: c.Path(), Back: back})
	}
	_, err := h.d.Tenancy.RevokeAPIKey(c.UserContext(), tenancy.UserActor(uiPrincipal(c).User), o.Org.ID, strings.Clone(c.Params("id")), "", requestSource(c))
	if fault.Is(err, fault.Conflict) {
		return h.redirectFlash(c, back, "info", "org.keys.already_revoked")
	}
	if err != nil {
		return h.orgFail(c, back, err)
	}
	return h.redirectFlash(c, back, "success", "org.keys.revoked")
}
