package httpapi

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/secuird/secuird/adapters/i18n"
	"github.com/secuird/secuird/core/account"
	"github.com/secuird/secuird/core/identity"
	"github.com/secuird/secuird/core/throttle"
	"github.com/secuird/secuird/web"
)

// UI configures the hosted pages.
type UI struct {
	Brand Brand
}

// Brand is what every hosted page shows of the operator (BRAND_*).
type Brand struct {
	// Name is the product name ("Secuird").
	Name string
	// LogoURL is an absolute http(s) URL of a logo; empty shows the name.
	LogoURL string
	// PrimaryColor is a #rrggbb colour for buttons, links and focus rings.
	PrimaryColor string
	// SupportEmail is shown in the footer when set.
	SupportEmail string
}

// OrgBrand is an organization's name and logo on its invite and
// org-scoped sign-in pages.
type OrgBrand struct {
	Name, LogoURL string
}

// Cookie names of the hosted pages (the SSO cookie is in oidc_pages.go).
const (
	csrfCookie  = "secuird_csrf"
	flashCookie = "secuird_flash"
	langCookie  = "secuird_lang"
)

// Locals keys of the hosted pages.
const (
	uiPrincipalKey = "ui_principal"
	// uiLocalesKey holds an OIDC request's ui_locales for newPage.
	uiLocalesKey = "ui_locales"
)

// Page sections: which top navigation entry is current.
const (
	SectionAccount = "account"
	SectionOrgs    = "orgs"
	SectionAdmin   = "admin"
)

// page is the data every hosted page template receives: the layout's
// fields plus the page's own view in Page. Templates translate with
// {{.T "key"}} ({{$.T "key"}} inside range/with).
type page struct {
	Lang  string
	Langs []langChoice
	Brand Brand
	// Title is the translated page title.
	Title string
	// User is the signed-in user on shell pages, else nil.
	User *identity.User
	// Admin shows the administration entry.
	Admin bool
	// Shell selects the signed-in layout (top bar, section navigation);
	// false is the centred card of the sign-in pages.
	Shell bool
	// Section is SectionAccount, SectionOrgs or SectionAdmin.
	Section string
	// SubNav is the section's own navigation.
	SubNav []NavItem
	Flash  *flashMsg
	// CSRF is the token every form posts as csrf_token.
	CSRF string
	// Scripts are /static/js/ files the page loads (script-src 'self').
	Scripts []string
	// OrgBrand shows an organization's name and logo on the card.
	OrgBrand *OrgBrand
	// Path is the current path and query (the language links return here).
	Path string
	// Page is the page's own view.
	Page any

	cat *i18n.Catalog
}

// NavItem is one entry of a section navigation.
type NavItem struct {
	// Href is the link; Label a catalogue key.
	Href, Label string
	Current     bool
}

type langChoice struct {
	Code, Label, Href string
	Current           bool
}

type flashMsg struct {
	// Kind is "success", "info" or "error".
	Kind string `json:"k"`
	Key  string `json:"m"`
	// Args fill the text's %[n]s.
	Args []string `json:"a,omitempty"`
	// Text is the translated message.
	Text string `json:"-"`
}

// T translates key into the page's language.
func (p *page) T(key string, args ...any) string { return p.cat.T(p.Lang, key, args...) }

// N translates a count: key+".one" or key+".other" with n as %[1]d.
func (p *page) N(key string, n int, args ...any) string { return p.cat.N(p.Lang, key, n, args...) }

// Tv is T with the arguments as one list (for views that carry them).
func (p *page) Tv(key string, args []any) string { return p.cat.T(p.Lang, key, args...) }

// pages renders the hosted pages: every web/templates/pages/*.html but
// the layout, each parsed once with the layout.
type pages struct {
	brand Brand
	cat   *i18n.Catalog
	tmpl  map[string]*template.Template
	css   []byte
	js    map[string][]byte
}

// pageTimeLayout shows times the same way in every language (no month
// names to translate): 2026-11-27 14:05 UTC.
const pageTimeLayout = "2006-01-02 15:04 UTC"

var funcs = template.FuncMap{
	// dict builds a map for passing several values to a sub-template.
	"dict": func(kv ...any) map[string]any {
		m := map[string]any{}
		for i := 0; i+1 < len(kv); i += 2 {
			if k, ok := kv[i].(string); ok {
				m[k] = kv[i+1]
			}
		}
		return m
	},
	// date formats a time as pageTimeLayout; zero is "".
	"date": func(t any) string {
		switch v := t.(type) {
		case time.Time:
			if v.IsZero() {
				return ""
			}
			return v.UTC().Format(pageTimeLayout)
		case *time.Time:
			if v == nil || v.IsZero() {
				return ""
			}
			return v.UTC().Format(pageTimeLayout)
		}
		return ""
	},
	// isoDate is a machine-readable time for <time datetime>.
	"isoDate": func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
}

// loadPages parses every page with the layout, the catalogue, the
// stylesheets (web/static/css/*.css in name order, served as one file) and
// the scripts; a broken template or catalogue fails start-up.
func loadPages(brand Brand) (*pages, error) {
	cat, err := i18n.Load(web.Locales())
	if err != nil {
		return nil, err
	}
	cat.Strict = os.Getenv("SECUIRD_I18N_STRICT") == "1"
	if brand.Name == "" {
		brand.Name = "Secuird"
	}
	if !hexColor.MatchString(brand.PrimaryColor) {
		brand.PrimaryColor = ""
	}
	if !strings.HasPrefix(brand.LogoURL, "https://") && !strings.HasPrefix(brand.LogoURL, "http://") {
		brand.LogoURL = ""
	}
	p := &pages{brand: brand, cat: cat, tmpl: map[string]*template.Template{}, js: map[string][]byte{}}
	fsys := web.Pages()
	names, err := fs.Glob(fsys, "*.html")
	if err != nil {
		return nil, err
	}
	for _, f := range names {
		name := strings.TrimSuffix(f, ".html")
		if name == "layout" || name == "partials" {
			continue
		}
		t, err := template.New(f).Funcs(funcs).ParseFS(fsys, "layout.html", "partials.html", f)
		if err != nil {
			return nil, fmt.Errorf("hosted page %s: %w", name, err)
		}
		p.tmpl[name] = t
	}
	static := web.Static()
	cssFiles, err := fs.Glob(static, "css/*.css")
	if err != nil {
		return nil, err
	}
	sort.Strings(cssFiles)
	for _, f := range cssFiles {
		b, err := fs.ReadFile(static, f)
		if err != nil {
			return nil, err
		}
		p.css = append(append(p.css, b...), '\n')
	}
	jsFiles, err := fs.Glob(static, "js/*.js")
	if err != nil {
		return nil, err
	}
	for _, f := range jsFiles {
		b, err := fs.ReadFile(static, f)
		if err != nil {
			return nil, err
		}
		p.js[strings.TrimPrefix(f, "js/")] = b
	}
	return p, nil
}

var hexColor = regexp.MustCompile(`^#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$`)

// base is a page with the layout's fields for the language lang.
func (p *pages) base(lang, path string) *page {
	pg := &page{Lang: lang, Brand: p.brand, cat: p.cat, Path: path}
	for _, l := range p.cat.Languages() {
		pg.Langs = append(pg.Langs, langChoice{Code: l, Label: p.cat.T(l, "common.lang."+l), Current: l == lang,
			Href: "/lang/" + l + "?next=" + url.QueryEscape(path)})
	}
	return pg
}

// render executes page name with pg.
func (p *pages) render(name string, pg *page) ([]byte, error) {
	t, ok := p.tmpl[name]
	if !ok {
		return nil, fmt.Errorf("hosted page %q does not exist", name)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", pg); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// pageCSP is the hosted pages' policy: styles and images from here
// (client and organization logos over https, the TOTP QR code as a data:
// image); scripts only from here and only on pages that load one.
func pageCSP(scripts bool) string {
	if scripts {
		return "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self' https: data:; form-action 'self' https: http:; frame-ancestors 'none'; base-uri 'none'"
	}
	return "default-src 'none'; style-src 'self'; img-src 'self' https: data:; form-action 'self' https: http:; frame-ancestors 'none'; base-uri 'none'"
}

// write sends a rendered page with the page headers.
func writePage(c *fiber.Ctx, status int, body []byte, scripts bool) error {
	c.Set(fiber.HeaderContentSecurityPolicy, pageCSP(scripts))
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	return c.Status(status).Send(body)
}

// newPage starts a page for this request: language, CSRF token, flash
// message, and the signed-in user when a ui guard put one in Locals. The
// title is a catalogue key (an unknown key is shown as given).
func (h *handlers) newPage(c *fiber.Ctx, titleKey string, view any) *page {
	lang := h.lang(c)
	pg := h.pages.base(lang, safePath(string(c.Request().URI().RequestURI())))
	pg.Title = pg.T(titleKey)
	pg.Page = view
	pg.CSRF = h.uiCSRF(c)
	if p, ok := c.Locals(uiPrincipalKey).(*account.Principal); ok {
		u := p.User
		pg.User = &u
		pg.Admin = u.IsPlatformAdmin
	}
	if f := h.takeFlash(c); f != nil {
		f.Text = pg.T(f.Key, stringsToAny(f.Args)...)
		pg.Flash = f
	}
	return pg
}

// shellPage is newPage for the signed-in layout of section.
func (h *handlers) shellPage(c *fiber.Ctx, section, titleKey string, view any, subnav ...NavItem) *page {
	pg := h.newPage(c, titleKey, view)
	pg.Shell, pg.Section = true, section
	path := c.Path()
	for i := range subnav {
		subnav[i].Current = subnav[i].Href == path
	}
	pg.SubNav = subnav
	return pg
}

func stringsToAny(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

// sendPage renders page name with pg and writes it.
func (h *handlers) sendPage(c *fiber.Ctx, status int, name string, pg *page) error {
	body, err := h.pages.render(name, pg)
	if err != nil {
		return err
	}
	return writePage(c, status, body, len(pg.Scripts) > 0)
}

// lang is the request's language: the language cookie (the person's
// choice), the OIDC request's ui_locales (put in Locals by the OIDC
// pages), Accept-Language.
func (h *handlers) lang(c *fiber.Ctx) string {
	uiLocales, _ := c.Locals(uiLocalesKey).(string)
	return h.pages.cat.Negotiate(uiLocales, c.Cookies(langCookie), c.Get(fiber.HeaderAcceptLanguage))
}

// secureCookies reports whether cookies get the Secure attribute (the
// public URL is https).
func (h *handlers) secureCookies() bool {
	return h.d.OIDC != nil && strings.HasPrefix(h.d.OIDC.Issuer, "https://")
}

// csrfNonce returns the browser's CSRF nonce cookie, setting one first.
func (h *handlers) csrfNonce(c *fiber.Ctx) string {
	if n, ok := c.Locals(csrfCookie).(string); ok {
		return n
	}
	nonce := strings.Clone(c.Cookies(csrfCookie))
	if len(nonce) < 16 {
		var b [18]byte
		_, _ = rand.Read(b[:])
		nonce = base64.RawURLEncoding.EncodeToString(b[:])
		c.Cookie(&fiber.Cookie{Name: csrfCookie, Value: nonce, Path: "/", HTTPOnly: true,
			Secure: h.secureCookies(), SameSite: fiber.CookieSameSiteLaxMode})
	}
	c.Locals(csrfCookie, nonce)
	return nonce
}

// uiCSRF is the token of the hosted forms: an HMAC under the page key of
// the browser's nonce cookie (double submit) and, when signed in, the
// session ID (synchronizer token), so a token from before a sign-in or
// from another session is refused.
func (h *handlers) uiCSRF(c *fiber.Ctx) string {
	return base64.RawURLEncoding.EncodeToString(h.uiCSRFMac(c, h.csrfNonce(c)))
}

func (h *handlers) uiCSRFMac(c *fiber.Ctx, nonce string) []byte {
	sid := ""
	if p, ok := c.Locals(uiPrincipalKey).(*account.Principal); ok {
		sid = p.Session.ID
	}
	m := hmac.New(sha256.New, h.d.OIDC.SecretKey)
	m.Write([]byte("secuird-ui|" + nonce + "|" + sid))
	return m.Sum(nil)
}

// uiCSRFValid checks the posted csrf_token.
func (h *handlers) uiCSRFValid(c *fiber.Ctx) bool {
	nonce := c.Cookies(csrfCookie)
	if len(nonce) < 16 {
		return false
	}
	got, err := base64.RawURLEncoding.DecodeString(c.FormValue("csrf_token"))
	return err == nil && hmac.Equal(got, h.uiCSRFMac(c, nonce))
}

// uiAuth guards the signed-in pages: a full-access SSO session, else (GET)
// a redirect to /login?next=<this page> or, for a compliance-only session,
// to the security page where the required method is set up. POSTs must
// carry a valid CSRF token. The principal is in Locals for uiPrincipal and
// newPage.
func (h *handlers) uiAuth(c *fiber.Ctx) error { return h.uiGuard(c, true) }

// uiAuthAny is uiAuth that also admits a compliance-only session (the
// security page and sign-out: SEED-SPEC 3.5's allow-list).
func (h *handlers) uiAuthAny(c *fiber.Ctx) error { return h.uiGuard(c, false) }

// uiGuard is uiAuth (full) and uiAuthAny.
func (h *handlers) uiGuard(c *fiber.Ctx, full bool) error {
	tok := h.ssoToken(c)
	var p account.Principal
	var err error
	if tok != "" {
		p, err = h.d.Accounts.Authenticate(c.UserContext(), tok)
	}
	if tok == "" || err != nil {
		if c.Method() != fiber.MethodGet && c.Method() != fiber.MethodHead {
			return h.uiError(c, fiber.StatusUnauthorized, "common.error.csrf")
		}
		c.Set(fiber.HeaderCacheControl, "no-store")
		return c.Redirect("/login?next="+url.QueryEscape(safePath(string(c.Request().URI().RequestURI()))), fiber.StatusSeeOther)
	}
	c.Locals(uiPrincipalKey, &p)
	if c.Method() == fiber.MethodPost && !h.uiCSRFValid(c) {
		return h.uiError(c, fiber.StatusForbidden, "common.error.csrf")
	}
	if full && !p.FullAccess() {
		c.Set(fiber.HeaderCacheControl, "no-store")
		return c.Redirect("/account/security", fiber.StatusSeeOther)
	}
	return c.Next()
}

// uiPlatformAdmin follows uiAuth on the platform administration pages:
// anyone else gets the not-found page (the pages' existence is not
// confirmed).
func (h *handlers) uiPlatformAdmin(c *fiber.Ctx) error {
	if p, ok := c.Locals(uiPrincipalKey).(*account.Principal); !ok || !p.User.IsPlatformAdmin {
		return h.uiNotFound(c)
	}
	return c.Next()
}

// uiForm checks the CSRF token of an anonymous form (sign-in pages).
func (h *handlers) uiForm(c *fiber.Ctx) error {
	if c.Method() == fiber.MethodPost && !h.uiCSRFValid(c) {
		return h.uiError(c, fiber.StatusForbidden, "common.error.csrf")
	}
	return c.Next()
}

// uiPrincipal is the signed-in user of a page behind uiAuth or uiAuthAny.
func uiPrincipal(c *fiber.Ctx) account.Principal {
	p, ok := c.Locals(uiPrincipalKey).(*account.Principal)
	if !ok {
		panic("httpapi: uiPrincipal used on a page without uiAuth")
	}
	return *p
}

// errorView is the error page's body.
type errorView struct {
	// Message and Detail are catalogue keys; Text, when set, is shown
	// instead of Message as given (the provider's own words).
	Message, Detail, Text string
}

// uiError shows the error page with the catalogue message msgKey.
func (h *handlers) uiError(c *fiber.Ctx, status int, msgKey string) error {
	pg := h.newPage(c, "common.error.title", errorView{Message: msgKey})
	if _, ok := c.Locals(uiPrincipalKey).(*account.Principal); ok && pg.User != nil {
		pg.Shell = true
	}
	return h.sendPage(c, status, "error", pg)
}

// uiNotFound is the not-found page (also for pages of another tenant).
func (h *handlers) uiNotFound(c *fiber.Ctx) error {
	pg := h.newPage(c, "common.error.not_found_title", errorView{Message: "common.error.not_found"})
	pg.Shell = pg.User != nil
	return h.sendPage(c, fiber.StatusNotFound, "error", pg)
}

// setFlash shows a message on the next page this browser renders (after
// a redirect): signed, so only the server's own keys are shown.
func (h *handlers) setFlash(c *fiber.Ctx, kind, key string, args ...string) {
	b, _ := json.Marshal(flashMsg{Kind: kind, Key: key, Args: args})
	v := base64.RawURLEncoding.EncodeToString(b)
	m := hmac.New(sha256.New, h.d.OIDC.SecretKey)
	m.Write([]byte("secuird-flash|" + v))
	c.Cookie(&fiber.Cookie{Name: flashCookie, Value: v + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil)), Path: "/",
		MaxAge: 120, HTTPOnly: true, Secure: h.secureCookies(), SameSite: fiber.CookieSameSiteLaxMode})
}

// takeFlash reads and clears the flash cookie.
func (h *handlers) takeFlash(c *fiber.Ctx) *flashMsg {
	raw := c.Cookies(flashCookie)
	if raw == "" {
		return nil
	}
	c.Cookie(&fiber.Cookie{Name: flashCookie, Value: "", Path: "/", Expires: time.Unix(1, 0), MaxAge: -1, HTTPOnly: true,
		Secure: h.secureCookies(), SameSite: fiber.CookieSameSiteLaxMode})
	v, sig, ok := strings.Cut(raw, ".")
	if !ok {
		return nil
	}
	m := hmac.New(sha256.New, h.d.OIDC.SecretKey)
	m.Write([]byte("secuird-flash|" + v))
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, m.Sum(nil)) {
		return nil
	}
	b, err := base64.RawURLEncoding.DecodeString(v)
	if err != nil {
		return nil
	}
	var f flashMsg
	if json.Unmarshal(b, &f) != nil {
		return nil
	}
	switch f.Kind {
	case "success", "info", "error":
	default:
		f.Kind = "info"
	}
	return &f
}

// redirectFlash sets a flash message and redirects (303) to a local path.
func (h *handlers) redirectFlash(c *fiber.Ctx, to, kind, key string, args ...string) error {
	h.setFlash(c, kind, key, args...)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Redirect(to, fiber.StatusSeeOther)
}

// safePath returns raw when it is a local path (starts with one "/", no
// scheme, no backslash, no control character), else "/".
func safePath(raw string) string {
	if !strings.HasPrefix(raw, "/") || strings.HasPrefix(raw, "//") || strings.ContainsAny(raw, "\\\r\n\t") || len(raw) > 2048 {
		return "/"
	}
	for _, r := range raw {
		if r < 0x20 || r == 0x7f {
			return "/"
		}
	}
	return raw
}

// confirmView asks before a destructive action: the form posts Fields
// back to Action with confirm=yes.
type confirmView struct {
	// Message is a catalogue key, Args its arguments; Button the submit
	// button's key; Back where cancel leads.
	Message string
	Args    []any
	Button  string
	Action  string
	Fields  map[string]string
	Back    string
	// Reversible drops the "cannot be undone" warning (suspend, rotate).
	Reversible bool
}

// uiConfirm renders the confirmation page for a destructive POST that
// arrived without confirm=yes (no JavaScript needed).
func (h *handlers) uiConfirm(c *fiber.Ctx, section string, v confirmView) error {
	pg := h.shellPage(c, section, "common.confirm_title", v)
	return h.sendPage(c, fiber.StatusOK, "confirm", pg)
}

// formConfirmed reports whether a destructive form carries confirm=yes.
func formConfirmed(c *fiber.Ctx) bool { return c.FormValue("confirm") == "yes" }

// htmlErrors answers a browser (Accept: text/html) that asks for a page
// that does not exist, outside the API, with the not-found page instead
// of the JSON envelope.
func (h *handlers) htmlErrors(c *fiber.Ctx) error {
	err := c.Next()
	if err == nil || h.pages == nil {
		return err
	}
	var fe *fiber.Error
	if !errors.As(err, &fe) || (fe.Code != fiber.StatusNotFound && fe.Code != fiber.StatusMethodNotAllowed) {
		return err
	}
	p := c.Path()
	if isAPIPath(p) || strings.HasPrefix(p, "/.well-known/") || !strings.Contains(c.Get(fiber.HeaderAccept), "text/html") {
		return err
	}
	return h.uiNotFound(c)
}

// uiRoutes registers the pages' shared routes: assets, the language
// switch, the home redirect and sign-out; then each area's pages.
func (h *handlers) uiRoutes(app *fiber.App) {
	app.Get("/static/secuird.css", h.stylesheet)
	app.Get("/static/brand.css", h.brandStylesheet)
	app.Get("/static/js/:file", h.script)
	app.Get("/lang/:lang", h.switchLanguage)
	app.Get("/", h.home)
	app.Post("/logout", h.uiAuthAny, h.uiLogout)
	h.mountLoginPages(app)
	h.mountSelfServicePages(app)
	h.mountAccountPages(app)
	h.mountOrgPages(app)
	h.mountAdminPages(app)
}

// stylesheet serves the pages' CSS.
func (h *handlers) stylesheet(c *fiber.Ctx) error {
	c.Set(fiber.HeaderContentType, "text/css; charset=utf-8")
	c.Set(fiber.HeaderCacheControl, "public, max-age=3600")
	return c.Send(h.pages.css)
}

// brandStylesheet sets the brand colour from BRAND_PRIMARY_COLOR (a
// validated #rrggbb, so nothing else reaches the CSS).
func (h *handlers) brandStylesheet(c *fiber.Ctx) error {
	c.Set(fiber.HeaderContentType, "text/css; charset=utf-8")
	c.Set(fiber.HeaderCacheControl, "public, max-age=3600")
	if h.pages.brand.PrimaryColor == "" {
		return c.SendString("/* default brand */\n")
	}
	return c.SendString(":root { --brand: " + h.pages.brand.PrimaryColor + "; }\n")
}

// script serves one embedded web/static/js file.
func (h *handlers) script(c *fiber.Ctx) error {
	b, ok := h.pages.js[c.Params("file")]
	if !ok {
		return h.uiNotFound(c)
	}
	c.Set(fiber.HeaderContentType, "text/javascript; charset=utf-8")
	c.Set(fiber.HeaderCacheControl, "public, max-age=3600")
	return c.Send(b)
}

// switchLanguage is GET /lang/:lang?next=: remembers the choice in a
// cookie for a year and returns to the local page next.
func (h *handlers) switchLanguage(c *fiber.Ctx) error {
	lang := c.Params("lang")
	if h.pages.cat.Has(lang) {
		c.Cookie(&fiber.Cookie{Name: langCookie, Value: strings.Clone(lang), Path: "/", MaxAge: 365 * 24 * 3600,
			Secure: h.secureCookies(), SameSite: fiber.CookieSameSiteLaxMode})
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Redirect(safePath(strings.Clone(c.Query("next"))), fiber.StatusSeeOther)
}

// home is GET /: the account for a signed-in browser, else sign-in.
func (h *handlers) home(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	if _, sess := h.ssoSession(c); sess != nil {
		return c.Redirect("/account", fiber.StatusSeeOther)
	}
	return c.Redirect("/login", fiber.StatusSeeOther)
}

// uiLogout is POST /logout from the shell's sign-out button: ends the
// session (its refresh tokens and back-channel logout included, as the
// REST logout), clears the cookie, and shows the sign-in page.
func (h *handlers) uiLogout(c *fiber.Ctx) error {
	if err := h.d.Accounts.Logout(c.UserContext(), uiPrincipal(c), requestSource(c)); err != nil {
		logger(c).Error("hosted sign-out failed", "error", err.Error())
		return h.uiError(c, fiber.StatusInternalServerError, "common.error.unavailable")
	}
	h.clearSSOCookie(c)
	// A page may ask to come back after sign-out (the invitation page of
	// someone signed in with another account).
	to := "/login"
	if next := safePath(strings.Clone(c.FormValue("next"))); next != "/" {
		to = next
	}
	return h.redirectFlash(c, to, "success", "common.signed_out")
}

// errorPageHTTP is the error page for the provider's net/http side: msg
// is shown as given (the provider's own words).
func (p *pages) errorPageHTTP(w http.ResponseWriter, r *http.Request, status int, msg string) {
	pg := p.base(p.cat.Negotiate("", cookieValue(r, langCookie), r.Header.Get("Accept-Language")), "/")
	pg.Title = pg.T("common.error.title")
	pg.Page = errorView{Text: msg, Detail: "common.error.return"}
	body, err := p.render("error", pg)
	if err != nil {
		http.Error(w, "error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Security-Policy", pageCSP(false))
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(body) //nolint:gosec // html/template output: every value is escaped

}

func cookieValue(r *http.Request, name string) string {
	if ck, err := r.Cookie(name); err == nil {
		return ck.Value
	}
	return ""
}

// pageLimit is rateLimit for pages: the same per-IP counters (scope and
// key) as the REST route, but a refusal is the error page (429, with
// Retry-After) instead of the JSON envelope. A failing counter store
// refuses the request (fail closed).
func (h *handlers) pageLimit(scope string, rules []throttle.Rule) fiber.Handler {
	if h.d.Limiter == nil || len(rules) == 0 {
		return func(c *fiber.Ctx) error { return c.Next() }
	}
	for _, r := range rules {
		if r.Limit <= 0 || r.Window <= 0 {
			panic("httpapi: rate limit " + scope + " has an invalid rule " + r.String())
		}
	}
	rules = slices.Clone(rules)
	prefix := rateLimitKeyPrefix + scope + ":"
	return func(c *fiber.Ctx) error {
		d, err := h.d.Limiter.Check(c.UserContext(), prefix+rateLimitSubject(clientIP(c)), rules...)
		if err != nil {
			logger(c).Error("rate limit store failed", "scope", scope, "error", err.Error())
			return h.uiError(c, fiber.StatusServiceUnavailable, "common.error.unavailable")
		}
		setRateLimitHeaders(c, d)
		if !d.Allowed {
			c.Set(fiber.HeaderRetryAfter, strconv.FormatInt(ceilSeconds(d.RetryAfter, 1), 10))
			return h.uiError(c, fiber.StatusTooManyRequests, "common.error.rate_limited")
		}
		return c.Next()
	}
}
