package httpapi

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/gofiber/fiber/v2"
)

// edgeLog is a goroutine-safe buffer of JSON log lines.
type edgeLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *edgeLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

// String returns everything logged so far.
func (l *edgeLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// lines decodes every log line.
func (l *edgeLog) lines(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, ln := range strings.Split(strings.TrimSpace(l.String()), "\n") {
		if ln == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(ln), &m); err != nil {
			t.Fatalf("log line %q: %v", ln, err)
		}
		out = append(out, m)
	}
	return out
}

// withMsg returns the log lines whose msg is msg.
func (l *edgeLog) withMsg(t *testing.T, msg string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, m := range l.lines(t) {
		if m["msg"] == msg {
			out = append(out, m)
		}
	}
	return out
}

// edgeApp builds the server with a capturing logger; routes registers the
// test's own routes.
func edgeApp(t *testing.T, o Options, routes func(app *fiber.App)) (*fiber.App, *edgeLog) {
	t.Helper()
	lg := &edgeLog{}
	o.Logger = slog.New(slog.NewJSONHandler(lg, &slog.HandlerOptions{Level: slog.LevelDebug}))
	app := newFiber(o)
	if routes != nil {
		routes(app)
	}
	return app, lg
}

// edgeResult is a response with its body read.
type edgeResult struct {
	status int
	header http.Header
	body   string
}

// json decodes the body as an object.
func (r edgeResult) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(r.body), &m); err != nil {
		t.Fatalf("body %q is not a JSON object: %v", r.body, err)
	}
	return m
}

// errorType returns error.type of an error envelope.
func (r edgeResult) errorType(t *testing.T) string {
	t.Helper()
	e, _ := r.json(t)["error"].(map[string]any)
	typ, _ := e["type"].(string)
	return typ
}

// details returns error.details of an error envelope.
func (r edgeResult) details(t *testing.T) map[string]any {
	t.Helper()
	e, _ := r.json(t)["error"].(map[string]any)
	d, ok := e["details"].(map[string]any)
	if !ok {
		t.Fatalf("error.details missing or not an object in %s", r.body)
	}
	return d
}

// edgeCall sends req to app.
func edgeCall(t *testing.T, app *fiber.App, req *http.Request) edgeResult {
	t.Helper()
	res, err := app.Test(req, 10000)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer func() { _ = res.Body.Close() }()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return edgeResult{status: res.StatusCode, header: res.Header, body: string(b)}
}

// edgeServe runs app on a loopback listener and returns a caller that
// sends requests to it over a real connection. app.Test cannot show errors
// that the server raises before routing (413, 431): it returns them as Go
// errors instead of reading the response.
func edgeServe(t *testing.T, app *fiber.App) func(req *http.Request) edgeResult {
	t.Helper()
	base := "http://" + edgeListen(t, app)
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	return func(req *http.Request) edgeResult {
		t.Helper()
		out, err := http.NewRequestWithContext(t.Context(), req.Method, base+req.URL.RequestURI(), req.Body)
		if err != nil {
			t.Fatal(err)
		}
		out.Header = req.Header.Clone()
		out.ContentLength = req.ContentLength
		res, err := client.Do(out)
		if err != nil {
			t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
		}
		defer func() { _ = res.Body.Close() }()
		b, err := io.ReadAll(res.Body)
		if err != nil {
			t.Fatal(err)
		}
		return edgeResult{status: res.StatusCode, header: res.Header, body: string(b)}
	}
}

// edgeListen serves app on a loopback port until the test ends and returns
// its address.
func edgeListen(t *testing.T, app *fiber.App) string {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = app.Listener(ln) }()
	t.Cleanup(func() { _ = app.Shutdown() })
	return ln.Addr().String()
}

// edgeRequest builds a request; a non-empty body is sent as JSON.
func edgeRequest(method, target, body string) *http.Request {
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, target, r)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	return req
}

// assertEnvelopeError checks the status, code, success flag and error type.
func assertEnvelopeError(t *testing.T, r edgeResult, status int, typ string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status = %d, want %d; body %s", r.status, status, r.body)
	}
	m := r.json(t)
	if m["version"] != "1.0" || m["success"] != false || m["code"] != float64(status) {
		t.Fatalf("not an error envelope for %d: %s", status, r.body)
	}
	if got := r.errorType(t); got != typ {
		t.Fatalf("error.type = %q, want %q; body %s", got, typ, r.body)
	}
	if id := r.header.Get("X-Request-ID"); id == "" || m["request_id"] != id {
		t.Fatalf("request_id %v does not match X-Request-ID %q", m["request_id"], id)
	}
	if !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") {
		t.Fatalf("Content-Type = %q", r.header.Get("Content-Type"))
	}
}

func TestServerRendersFrameworkErrorsAsEnvelopes(t *testing.T) {
	t.Parallel()
	app, lg := edgeApp(t, Options{BodyLimit: 64}, func(app *fiber.App) {
		app.Get("/api/v1/things", func(c *fiber.Ctx) error { return respond(c, 200, "ok", nil) })
		app.Post("/api/v1/things", func(c *fiber.Ctx) error { return respond(c, 201, "created", nil) })
	})
	tests := []struct {
		name    string
		req     *http.Request
		status  int
		typ     string
		message string
	}{
		{"answers an unknown route with 404", edgeRequest("GET", "/api/v1/nope", ""), 404, "NOT_FOUND", "Resource not found"},
		{"answers a wrong method on a known path with 405", edgeRequest("DELETE", "/api/v1/things", ""), 405, "METHOD_NOT_ALLOWED", "Method not allowed"},
		{"answers a body over the limit with 413", edgeRequest("POST", "/api/v1/things", `{"x":"`+strings.Repeat("a", 100)+`"}`), 413, "BAD_REQUEST", "Request body too large"},
		{"answers an oversized request line with 431", edgeRequest("GET", "/api/v1/things?q="+strings.Repeat("a", 20000), ""), 431, "BAD_REQUEST", "Request headers too large"},
	}
	call := edgeServe(t, app)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := call(tt.req)
			assertEnvelopeError(t, r, tt.status, tt.typ)
			if m := r.json(t); m["message"] != tt.message {
				t.Fatalf("message = %v, want %q", m["message"], tt.message)
			}
			if len(r.details(t)) != 0 {
				t.Fatalf("details = %v, want {}", r.details(t))
			}
			if r.header.Get("X-Content-Type-Options") != "nosniff" {
				t.Fatal("security headers missing on a framework error")
			}
		})
	}
	// fasthttp's own error text quotes the request line; it must not reach the log.
	if strings.Contains(lg.String(), "q=aaa") {
		t.Fatalf("the log holds a query string: %.300s", lg.String())
	}
}

func TestServerAcceptsLongAuthorizeURLs(t *testing.T) {
	t.Parallel()
	app, _ := edgeApp(t, Options{}, func(app *fiber.App) {
		app.Get("/oidc/authorize", func(c *fiber.Ctx) error { return c.SendString("ok") })
	})
	// Fiber's default 4 KB read buffer answered 431 here (trap 2).
	r := edgeCall(t, app, edgeRequest("GET", "/oidc/authorize?state="+strings.Repeat("s", 9000), ""))
	if r.status != 200 {
		t.Fatalf("status = %d, want 200", r.status)
	}
}

func TestServerAppliesDefaults(t *testing.T) {
	t.Parallel()
	app := newFiber(Options{})
	cfg := app.Config()
	if cfg.BodyLimit != DefaultBodyLimit || cfg.ReadBufferSize != 16384 || !cfg.DisableStartupMessage {
		t.Fatalf("BodyLimit %d, ReadBufferSize %d, DisableStartupMessage %v", cfg.BodyLimit, cfg.ReadBufferSize, cfg.DisableStartupMessage)
	}
	if cfg.ReadTimeout != DefaultReadTimeout || cfg.WriteTimeout != DefaultWriteTimeout || cfg.IdleTimeout != DefaultIdleTimeout {
		t.Fatalf("timeouts %v %v %v", cfg.ReadTimeout, cfg.WriteTimeout, cfg.IdleTimeout)
	}
	if !cfg.EnableTrustedProxyCheck || len(cfg.TrustedProxies) != 0 || cfg.ProxyHeader != "" {
		t.Fatalf("proxy trust: check %v, proxies %v, header %q", cfg.EnableTrustedProxyCheck, cfg.TrustedProxies, cfg.ProxyHeader)
	}
	cfg = newFiber(Options{TrustedProxies: []string{"10.0.0.0/8", "bogus", "192.0.2.1"}, Logger: slog.New(slog.DiscardHandler)}).Config()
	if cfg.ProxyHeader != fiber.HeaderXForwardedFor || len(cfg.TrustedProxies) != 2 {
		t.Fatalf("proxy trust with proxies: header %q, proxies %v", cfg.ProxyHeader, cfg.TrustedProxies)
	}
}

func TestServerAnswersUnparsableRequestsWithoutQuotingThem(t *testing.T) {
	t.Parallel()
	app, lg := edgeApp(t, Options{}, nil)
	conn, err := net.Dial("tcp4", edgeListen(t, app))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close() }()
	// An unreadable Content-Length: fasthttp's error text quotes the request.
	raw := "GET /api/v1/x?token=SECRET_QUERY HTTP/1.1\r\nHost: x\r\nContent-Length: zz\r\n\r\n"
	if _, err := io.WriteString(conn, raw); err != nil {
		t.Fatal(err)
	}
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = res.Body.Close() }()
	b, _ := io.ReadAll(res.Body)
	r := edgeResult{status: res.StatusCode, header: res.Header, body: string(b)}
	assertEnvelopeError(t, r, 400, "BAD_REQUEST")
	if strings.Contains(r.body, "SECRET") || strings.Contains(lg.String(), "SECRET") {
		t.Fatalf("the request was quoted; body %s log %s", r.body, lg.String())
	}
}
