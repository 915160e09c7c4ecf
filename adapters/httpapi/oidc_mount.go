package httpapi

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/secuird/secuird/core/audit"
	"github.com/secuird/secuird/core/provider"
)

// OIDC is what the OpenID Provider mount and its hosted pages need.
type OIDC struct {
	Provider *provider.Service
	// Handler builds the provider's http.Handler, given the page renderer
	// for requests it refuses without a redirect.
	Handler func(errPage func(w http.ResponseWriter, r *http.Request, status int, msg string)) http.Handler
	// Context puts the audit source and the SSO session's token hash into
	// a provider request's context.
	Context func(ctx context.Context, src audit.Source, ssoTokenHash string) context.Context
	// Issuer is the public URL (RFC 9207 iss).
	Issuer string
	// CallbackURL is where a finished login continues.
	CallbackURL func(id string) string
	// SecretKey keys the CSRF tokens of the hosted forms.
	SecretKey []byte
	// Brand is the product name on the pages ("Secuird").
	Brand string
}

// oidcCORSPaths are the only provider endpoints that answer cross-origin
// requests (never authorize or end_session).
var oidcCORSPaths = map[string]bool{
	"/.well-known/openid-configuration": true,
	"/oidc/token":                       true,
	"/oidc/userinfo":                    true,
	"/oidc/jwks":                        true,
	"/oidc/introspect":                  true,
	"/oidc/revoke":                      true,
}

// corsApplies reports whether CORS headers belong on path: the REST API
// and the provider endpoints above.
func corsApplies(path string) bool { return isAPIPath(path) || oidcCORSPaths[path] }

// mountOIDC routes the provider's paths to its http.Handler through a
// copying adaptor. Fiber's stock adaptor hands net/http strings that point
// into fasthttp's reused buffers, which the provider keeps in stored auth
// requests (STACK-NOTES trap 1); here the method, URI, host, every header
// and the body are copied into fresh Go memory first.
func (h *handlers) mountOIDC(app *fiber.App) {
	o := h.d.OIDC
	handler := o.Handler(h.pages.errorPageHTTP)
	serve := func(c *fiber.Ctx) error {
		req, err := copyRequest(c)
		if err != nil {
			return fiber.ErrBadRequest
		}
		ssoHash := ""
		if tok := h.ssoToken(c); tok != "" {
			ssoHash = provider.HashToken(tok)
		}
		req = req.WithContext(o.Context(c.UserContext(), requestSource(c), ssoHash))
		w := &responseWriter{header: http.Header{}}
		handler.ServeHTTP(w, req)
		// A finished logout clears the SSO cookie; a detour to the
		// confirmation page keeps it.
		if c.Path() == "/oidc/end_session" && w.status < 400 && w.status != 0 && !strings.HasPrefix(w.header.Get("Location"), "/oidc/logout") {
			h.clearSSOCookie(c)
		}
		return w.flush(c)
	}
	app.All("/.well-known/openid-configuration", serve)
	app.All("/oidc/*", serve)
}

// copyRequest builds a net/http request that shares no memory with
// fasthttp's buffers.
func copyRequest(c *fiber.Ctx) (*http.Request, error) {
	fr := c.Request()
	method := string(fr.Header.Method())
	uri := string(fr.RequestURI())
	u, err := url.ParseRequestURI(uri)
	if err != nil {
		return nil, err
	}
	body := bytes.Clone(fr.Body())
	req, err := http.NewRequestWithContext(c.UserContext(), method, uri, io.NopCloser(bytes.NewReader(body)))
	if err != nil {
		return nil, err
	}
	req.URL = u
	req.RequestURI = uri
	req.Host = string(fr.Header.Host())
	req.ContentLength = int64(len(body))
	req.RemoteAddr = strings.Clone(c.Context().RemoteAddr().String())
	fr.Header.VisitAll(func(k, v []byte) {
		req.Header.Add(string(k), string(v))
	})
	if c.Protocol() == "https" {
		req.URL.Scheme = "https"
	}
	return req, nil
}

// responseWriter collects a net/http response for Fiber.
type responseWriter struct {
	header http.Header
	status int
	body   bytes.Buffer
}

// Header implements http.ResponseWriter.
func (w *responseWriter) Header() http.Header { return w.header }

// WriteHeader implements http.ResponseWriter.
func (w *responseWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
}

// Write implements http.ResponseWriter.
func (w *responseWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.body.Write(b)
}

// flush implements http.ResponseWriter.
func (w *responseWriter) flush(c *fiber.Ctx) error {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	for k, vs := range w.header {
		for i, v := range vs {
			if i == 0 {
				c.Set(k, v)
			} else {
				c.Append(k, v)
			}
		}
	}
	c.Status(w.status)
	return c.Send(w.body.Bytes())
}
