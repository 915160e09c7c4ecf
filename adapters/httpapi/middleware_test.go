package httpapi

import (
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/secuird/secuird/core/audit"
)

func TestRequestID(t *testing.T) {
	t.Parallel()
	app, _ := edgeApp(t, Options{}, func(app *fiber.App) {
		app.Get("/api/v1/ok", func(c *fiber.Ctx) error { return respond(c, 200, "ok", fiber.Map{"id": requestID(c)}) })
	})
	tests := []struct {
		name     string
		path     string
		incoming string
		keep     bool
	}{
		{"keeps a safe client id", "/api/v1/ok", "abc-DEF_123.x", true},
		{"keeps a 128-character id", "/api/v1/ok", strings.Repeat("a", 128), true},
		{"replaces a missing id", "/api/v1/ok", "", false},
		{"replaces a 129-character id", "/api/v1/ok", strings.Repeat("a", 129), false},
		{"replaces an id with spaces", "/api/v1/ok", "abc def", false},
		{"replaces an id with markup", "/api/v1/ok", "<script>", false},
		{"replaces an id with a slash", "/api/v1/ok", "a/b", false},
		{"echoes the id on an error", "/api/v1/missing", "err-7", true},
		{"replaces a bad id on an error", "/api/v1/missing", "bad id", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req := edgeRequest("GET", tt.path, "")
			if tt.incoming != "" {
				req.Header.Set("X-Request-ID", tt.incoming)
			}
			r := edgeCall(t, app, req)
			got := r.header.Get("X-Request-ID")
			if tt.keep {
				if got != tt.incoming {
					t.Fatalf("X-Request-ID = %q, want %q", got, tt.incoming)
				}
			} else if u, err := uuid.Parse(got); err != nil || u.Version() != 4 {
				t.Fatalf("X-Request-ID = %q, want a fresh UUIDv4", got)
			}
			if m := r.json(t); m["request_id"] != got {
				t.Fatalf("envelope request_id %v != header %q", m["request_id"], got)
			}
		})
	}
}

func TestAccessLog(t *testing.T) {
	t.Parallel()
	app, lg := edgeApp(t, Options{}, func(app *fiber.App) {
		app.Get("/api/v1/ok", func(c *fiber.Ctx) error {
			logger(c).Info("handler ran")
			return respond(c, 200, "ok", nil)
		})
	})
	req := edgeRequest("GET", "/api/v1/ok?token=SECRET_QUERY", "")
	req.Header.Set("Authorization", "Bearer SECRET_HEADER")
	req.Header.Set("X-Request-ID", "log-1")
	r := edgeCall(t, app, req)
	if r.status != 200 {
		t.Fatalf("status = %d", r.status)
	}
	if strings.Contains(lg.String(), "SECRET") {
		t.Fatalf("log holds the query or a header: %s", lg.String())
	}
	lines := lg.withMsg(t, "request")
	if len(lines) != 1 {
		t.Fatalf("want one access line, got %s", lg.String())
	}
	l := lines[0]
	want := map[string]any{"level": "INFO", "method": "GET", "path": "/api/v1/ok", "status": float64(200), "ip": "0.0.0.0", "request_id": "log-1", "bytes": float64(len(r.body))}
	for k, v := range want {
		if l[k] != v {
			t.Fatalf("access line %v: %s = %v, want %v", l, k, l[k], v)
		}
	}
	if _, ok := l["duration_ms"].(float64); !ok {
		t.Fatalf("access line %v lacks duration_ms", l)
	}
	if h := lg.withMsg(t, "handler ran"); len(h) != 1 || h[0]["request_id"] != "log-1" {
		t.Fatalf("handler line lacks the request id: %s", lg.String())
	}
}

func TestAccessLogWritesOneLinePerOutcome(t *testing.T) {
	t.Parallel()
	app, lg := edgeApp(t, Options{BodyLimit: 16, CORSOrigins: []string{"https://app.example"}}, func(app *fiber.App) {
		app.Get("/api/v1/boom", func(*fiber.Ctx) error { panic("kaboom") })
		app.Post("/api/v1/x", func(c *fiber.Ctx) error { return respond(c, 200, "ok", nil) })
	})
	preflight := edgeRequest("OPTIONS", "/api/v1/x", "")
	preflight.Header.Set("Origin", "https://app.example")
	preflight.Header.Set("Access-Control-Request-Method", "POST")
	tests := []struct {
		name   string
		call   func() edgeResult
		status float64
	}{
		{"logs an unknown route", func() edgeResult { return edgeCall(t, app, edgeRequest("GET", "/nope", "")) }, 404},
		{"logs a panic", func() edgeResult { return edgeCall(t, app, edgeRequest("GET", "/api/v1/boom", "")) }, 500},
		{"logs a body over the limit", func() edgeResult {
			return edgeServe(t, app)(edgeRequest("POST", "/api/v1/x", `{"a":"`+strings.Repeat("x", 64)+`"}`))
		}, 413},
		{"logs a preflight", func() edgeResult { return edgeCall(t, app, preflight) }, 204},
	}
	for _, tt := range tests { // sequential: they share the log
		before := len(lg.withMsg(t, "request"))
		r := tt.call()
		lines := lg.withMsg(t, "request")
		if len(lines) != before+1 {
			t.Fatalf("%s: want one more access line, log:\n%s", tt.name, lg.String())
		}
		if last := lines[len(lines)-1]; last["status"] != tt.status || last["request_id"] != r.header.Get("X-Request-ID") {
			t.Fatalf("%s: access line %v, response status %d id %q", tt.name, last, r.status, r.header.Get("X-Request-ID"))
		}
	}
}

func TestRecoverRendersPanicsAsEnvelopes(t *testing.T) {
	t.Parallel()
	app, lg := edgeApp(t, Options{}, func(app *fiber.App) {
		app.Get("/api/v1/boom", func(*fiber.Ctx) error { panic("SECRET_PANIC_VALUE") })
	})
	req := edgeRequest("GET", "/api/v1/boom", "")
	req.Header.Set("X-Request-ID", "panic-1")
	r := edgeCall(t, app, req)
	assertEnvelopeError(t, r, 500, "INTERNAL_ERROR")
	if strings.Contains(r.body, "SECRET_PANIC_VALUE") {
		t.Fatalf("response leaks the panic: %s", r.body)
	}
	if r.header.Get("X-Content-Type-Options") != "nosniff" || r.header.Get("X-Request-ID") != "panic-1" {
		t.Fatalf("panic response lacks headers: %v", r.header)
	}
	lines := lg.withMsg(t, "request failed")
	if len(lines) != 1 {
		t.Fatalf("want one error line, got %s", lg.String())
	}
	l := lines[0]
	stack, _ := l["stack"].(string)
	cause, _ := l["error"].(string)
	if l["level"] != "ERROR" || l["request_id"] != "panic-1" || !strings.Contains(cause, "SECRET_PANIC_VALUE") || !strings.Contains(stack, "middleware_test.go") {
		t.Fatalf("panic line lacks level, request id, value or stack: %v", l)
	}
}

func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	common := map[string]string{
		"X-Content-Type-Options":     "nosniff",
		"X-Frame-Options":            "DENY",
		"Referrer-Policy":            "strict-origin-when-cross-origin",
		"Permissions-Policy":         "camera=(), microphone=(), geolocation=(), payment=()",
		"X-XSS-Protection":           "0",
		"Cross-Origin-Opener-Policy": "same-origin",
	}
	apiCSP := "default-src 'none'; frame-ancestors 'none'"
	hsts := "max-age=63072000; includeSubDomains"
	tests := []struct {
		name      string
		proxies   []string
		path      string
		forwarded string // X-Forwarded-Proto
		csp       string
		hsts      string
		cache     string
	}{
		{"sets the API CSP and no-store on API JSON", nil, "/api/v1/json", "", apiCSP, "", "no-store"},
		{"sets the API CSP on errors", nil, "/api/v1/missing", "", apiCSP, "", "no-store"},
		{"matches the API prefix without case", nil, "/API/v1/json", "", apiCSP, "", "no-store"},
		{"leaves the page CSP to pages", nil, "/page", "", "", "", ""},
		{"sets no-store on non-API JSON without its own caching", nil, "/jwks", "", "", "", "no-store"},
		{"keeps a JSON response's own caching", nil, "/cached", "", "", "", "public, max-age=60"},
		{"omits HSTS over plain HTTP", nil, "/page", "", "", "", ""},
		{"ignores X-Forwarded-Proto from an untrusted peer", nil, "/page", "https", "", "", ""},
		{"sets HSTS when a trusted proxy forwards HTTPS", []string{"0.0.0.0"}, "/page", "https", "", hsts, ""},
		{"omits HSTS when a trusted proxy forwards HTTP", []string{"0.0.0.0"}, "/page", "http", "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			app, _ := edgeApp(t, Options{TrustedProxies: tt.proxies}, func(app *fiber.App) {
				app.Get("/api/v1/json", func(c *fiber.Ctx) error { return respond(c, 200, "ok", nil) })
				app.Get("/page", func(c *fiber.Ctx) error { return c.Type("html").SendString("<p>hi</p>") })
				app.Get("/jwks", func(c *fiber.Ctx) error { return c.JSON(fiber.Map{"keys": []int{}}) })
				app.Get("/cached", func(c *fiber.Ctx) error {
					c.Set("Cache-Control", "public, max-age=60")
					return c.JSON(fiber.Map{})
				})
			})
			req := edgeRequest("GET", tt.path, "")
			if tt.forwarded != "" {
				req.Header.Set("X-Forwarded-Proto", tt.forwarded)
			}
			r := edgeCall(t, app, req)
			for k, v := range common {
				if got := r.header.Get(k); got != v {
					t.Fatalf("%s = %q, want %q", k, got, v)
				}
			}
			if got := r.header.Get("Content-Security-Policy"); got != tt.csp {
				t.Fatalf("CSP = %q, want %q", got, tt.csp)
			}
			if got := r.header.Get("Strict-Transport-Security"); got != tt.hsts {
				t.Fatalf("HSTS = %q, want %q", got, tt.hsts)
			}
			if got := r.header.Get("Cache-Control"); got != tt.cache {
				t.Fatalf("Cache-Control = %q, want %q", got, tt.cache)
			}
		})
	}
}

func TestCORS(t *testing.T) {
	t.Parallel()
	listed := []string{"https://app.example", "https://admin.example/"}
	tests := []struct {
		name        string
		origins     []string
		method      string
		origin      string
		preflight   bool
		status      int
		allowOrigin string
		credentials string
		vary        bool
		exposed     bool
		methods     bool
	}{
		{"reflects a listed origin with credentials", listed, "GET", "https://app.example", false, 200, "https://app.example", "true", true, true, false},
		{"matches a listed origin written with a trailing slash", listed, "GET", "https://admin.example", false, 200, "https://admin.example", "true", true, true, false},
		{"gives an unlisted origin no CORS headers", listed, "GET", "https://evil.example", false, 200, "", "", true, false, false},
		{"gives a request without Origin no CORS headers", listed, "GET", "", false, 200, "", "", true, false, false},
		{"answers a listed preflight with 204", listed, "OPTIONS", "https://app.example", true, 204, "https://app.example", "true", true, false, true},
		{"answers an unlisted preflight without CORS headers", listed, "OPTIONS", "https://evil.example", true, 204, "", "", true, false, false},
		{"answers any origin with * and no credentials", []string{"*"}, "GET", "https://any.example", false, 200, "*", "", false, true, false},
		{"answers a wildcard preflight", []string{"*"}, "OPTIONS", "https://any.example", true, 204, "*", "", false, false, true},
		{"sends no CORS headers when none are configured", nil, "GET", "https://app.example", false, 200, "", "", false, false, false},
		{"leaves a preflight to routing when CORS is off", nil, "OPTIONS", "https://app.example", true, 405, "", "", false, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			app, _ := edgeApp(t, Options{CORSOrigins: tt.origins}, func(app *fiber.App) {
				app.Get("/api/v1/x", func(c *fiber.Ctx) error { return respond(c, 200, "ok", nil) })
			})
			req := edgeRequest(tt.method, "/api/v1/x", "")
			if tt.origin != "" {
				req.Header.Set("Origin", tt.origin)
			}
			if tt.preflight {
				req.Header.Set("Access-Control-Request-Method", "POST")
				req.Header.Set("Access-Control-Request-Headers", "Authorization, Content-Type")
			}
			r := edgeCall(t, app, req)
			if r.status != tt.status {
				t.Fatalf("status = %d, want %d", r.status, tt.status)
			}
			h := r.header
			if got := h.Get("Access-Control-Allow-Origin"); got != tt.allowOrigin {
				t.Fatalf("Allow-Origin = %q, want %q", got, tt.allowOrigin)
			}
			if got := h.Get("Access-Control-Allow-Credentials"); got != tt.credentials {
				t.Fatalf("Allow-Credentials = %q, want %q", got, tt.credentials)
			}
			if got := strings.Contains(h.Get("Vary"), "Origin"); got != tt.vary {
				t.Fatalf("Vary = %q, want Origin: %v", h.Get("Vary"), tt.vary)
			}
			wantExpose := ""
			if tt.exposed {
				wantExpose = "X-Request-ID, Retry-After, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset"
			}
			if got := h.Get("Access-Control-Expose-Headers"); got != wantExpose {
				t.Fatalf("Expose-Headers = %q, want %q", got, wantExpose)
			}
			wantMethods, wantHeaders, wantAge := "", "", ""
			if tt.methods {
				wantMethods = "GET, POST, PUT, PATCH, DELETE, OPTIONS"
				wantHeaders = "Authorization, Content-Type, X-Request-ID, X-WebAuthn-Session-Token"
				wantAge = "600"
			}
			if h.Get("Access-Control-Allow-Methods") != wantMethods || h.Get("Access-Control-Allow-Headers") != wantHeaders || h.Get("Access-Control-Max-Age") != wantAge {
				t.Fatalf("preflight headers: methods %q, headers %q, max-age %q", h.Get("Access-Control-Allow-Methods"), h.Get("Access-Control-Allow-Headers"), h.Get("Access-Control-Max-Age"))
			}
			if tt.status == 204 && r.body != "" {
				t.Fatalf("204 with a body %q", r.body)
			}
		})
	}
}

func TestCORSHeadersOnFrameworkErrors(t *testing.T) {
	t.Parallel()
	app, _ := edgeApp(t, Options{BodyLimit: 8, CORSOrigins: []string{"https://app.example"}}, func(app *fiber.App) {
		app.Post("/api/v1/x", func(c *fiber.Ctx) error { return respond(c, 200, "ok", nil) })
	})
	req := edgeRequest("POST", "/api/v1/x", `{"a":"0123456789"}`)
	req.Header.Set("Origin", "https://app.example")
	r := edgeServe(t, app)(req)
	assertEnvelopeError(t, r, 413, "BAD_REQUEST")
	if r.header.Get("Access-Control-Allow-Origin") != "https://app.example" {
		t.Fatalf("a browser could not read the 413: %v", r.header)
	}
}

func TestRequestSource(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		proxies []string
		xff     []string
		ua      string
		wantIP  string
		wantUA  string
	}{
		{"uses the peer when no proxy is trusted", nil, []string{"203.0.113.9"}, "curl/8", "0.0.0.0", "curl/8"},
		{"uses the forwarded client behind a trusted proxy", []string{"0.0.0.0"}, []string{"203.0.113.9"}, "", "203.0.113.9", ""},
		{"takes the rightmost untrusted hop, not a forged leftmost one", []string{"0.0.0.0"}, []string{"198.51.100.66, 203.0.113.9"}, "", "203.0.113.9", ""},
		{"skips every trusted hop", []string{"0.0.0.0", "10.0.0.0/8"}, []string{"203.0.113.9, 10.1.2.3, 10.0.0.1"}, "", "203.0.113.9", ""},
		{"reads several X-Forwarded-For lines as one list", []string{"0.0.0.0", "10.0.0.0/8"}, []string{"198.51.100.66", "203.0.113.9, 10.0.0.1"}, "", "203.0.113.9", ""},
		{"accepts IPv6 and ports", []string{"0.0.0.0"}, []string{"[2001:db8::1]:443"}, "", "2001:db8::1", ""},
		{"stops at an unreadable hop", []string{"0.0.0.0"}, []string{"203.0.113.9, garbage"}, "", "0.0.0.0", ""},
		{"uses the proxy when there is no header", []string{"0.0.0.0"}, nil, "", "0.0.0.0", ""},
		{"cuts a long user agent to 512 bytes", nil, nil, strings.Repeat("u", 600), "0.0.0.0", strings.Repeat("u", 512)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var got audit.Source
			app, _ := edgeApp(t, Options{TrustedProxies: tt.proxies}, func(app *fiber.App) {
				app.Get("/api/v1/src", func(c *fiber.Ctx) error {
					got = requestSource(c)
					return respond(c, 200, "ok", nil)
				})
			})
			req := edgeRequest("GET", "/api/v1/src", "")
			for _, v := range tt.xff {
				req.Header.Add("X-Forwarded-For", v)
			}
			req.Header.Set("User-Agent", tt.ua)
			req.Header.Set("X-Request-ID", "src-1")
			edgeCall(t, app, req)
			want := audit.Source{IP: tt.wantIP, UserAgent: tt.wantUA, RequestID: "src-1"}
			if got != want {
				t.Fatalf("requestSource = %+v, want %+v", got, want)
			}
		})
	}
}
