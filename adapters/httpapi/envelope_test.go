package httpapi

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/secuird/secuird/core/fault"
)

func TestEnvelopeBytes(t *testing.T) {
	t.Parallel()
	var nilMap map[string]any
	tests := []struct {
		name   string
		handle fiber.Handler
		status int
		want   string
	}{
		{
			name:   "success with data",
			handle: func(c *fiber.Ctx) error { return respond(c, 200, "Login successful", fiber.Map{"token": "t", "n": 1}) },
			status: 200,
			want:   `{"version":"1.0","success":true,"code":200,"message":"Login successful","request_id":"req-1","data":{"n":1,"token":"t"}}`,
		},
		{
			name:   "success without data omits data",
			handle: func(c *fiber.Ctx) error { return respond(c, 200, "Logged out", nil) },
			status: 200,
			want:   `{"version":"1.0","success":true,"code":200,"message":"Logged out","request_id":"req-1"}`,
		},
		{
			name:   "success with a typed nil omits data",
			handle: func(c *fiber.Ctx) error { return respond(c, 200, "Nothing", nilMap) },
			status: 200,
			want:   `{"version":"1.0","success":true,"code":200,"message":"Nothing","request_id":"req-1"}`,
		},
		{
			name:   "success keeps an empty object",
			handle: func(c *fiber.Ctx) error { return respond(c, 201, "Created", fiber.Map{}) },
			status: 201,
			want:   `{"version":"1.0","success":true,"code":201,"message":"Created","request_id":"req-1","data":{}}`,
		},
		{
			name: "success with meta",
			handle: func(c *fiber.Ctx) error {
				return respondMeta(c, 200, "Users", fiber.Map{"items": []int{}}, fiber.Map{"page": 1})
			},
			status: 200,
			want:   `{"version":"1.0","success":true,"code":200,"message":"Users","request_id":"req-1","data":{"items":[]},"meta":{"page":1}}`,
		},
		{
			name: "error with details",
			handle: func(c *fiber.Ctx) error {
				return fail(c, &fault.Error{Kind: fault.Forbidden, Code: "MFA_COMPLIANCE_REQUIRED",
					Msg: "MFA compliance required to access this resource", Details: map[string]any{"overall_status": "suspended"}})
			},
			status: 403,
			want:   `{"version":"1.0","success":false,"code":403,"message":"MFA compliance required to access this resource","request_id":"req-1","error":{"type":"MFA_COMPLIANCE_REQUIRED","details":{"overall_status":"suspended"}}}`,
		},
		{
			name:   "error without details has an empty details object",
			handle: func(c *fiber.Ctx) error { return fail(c, fault.E("op", fault.NotFound, "User not found")) },
			status: 404,
			want:   `{"version":"1.0","success":false,"code":404,"message":"User not found","request_id":"req-1","error":{"type":"NOT_FOUND","details":{}}}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			app, _ := edgeApp(t, Options{}, func(app *fiber.App) { app.Get("/api/v1/x", tt.handle) })
			req := edgeRequest("GET", "/api/v1/x", "")
			req.Header.Set("X-Request-ID", "req-1")
			r := edgeCall(t, app, req)
			if r.status != tt.status {
				t.Fatalf("status = %d, want %d", r.status, tt.status)
			}
			if r.body != tt.want {
				t.Fatalf("body\n got %s\nwant %s", r.body, tt.want)
			}
			if r.header.Get("Cache-Control") != "no-store" {
				t.Fatalf("Cache-Control = %q, want no-store", r.header.Get("Cache-Control"))
			}
		})
	}
}

func TestFailMapsEveryKind(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		err     error
		status  int
		typ     string
		message string
	}{
		{"maps Invalid to 400 VALIDATION_ERROR", fault.E("op", fault.Invalid, "Bad email"), 400, "VALIDATION_ERROR", "Bad email"},
		{"maps NotFound to 404 NOT_FOUND", fault.E("op", fault.NotFound, ""), 404, "NOT_FOUND", "Resource not found"},
		{"maps Conflict to 409 CONFLICT", fault.E("op", fault.Conflict, "Email taken"), 409, "CONFLICT", "Email taken"},
		{"maps Unauthenticated to 401 AUTH_REQUIRED", fault.E("op", fault.Unauthenticated, ""), 401, "AUTH_REQUIRED", "Authentication required"},
		{"maps Forbidden to 403 AUTHORIZATION_ERROR", fault.E("op", fault.Forbidden, "No"), 403, "AUTHORIZATION_ERROR", "No"},
		{"maps RateLimited to 429 RATE_LIMITED", fault.E("op", fault.RateLimited, ""), 429, "RATE_LIMITED", "Too many requests, please try again later"},
		{"maps Unavailable to 503 SERVER_ERROR", fault.E("op", fault.Unavailable, "redis down"), 503, "SERVER_ERROR", "Service temporarily unavailable"},
		{"maps Internal to 500 INTERNAL_ERROR", fault.E("op", fault.Internal, "nil map"), 500, "INTERNAL_ERROR", "An internal error occurred"},
		{"maps an unknown kind to 500 INTERNAL_ERROR", &fault.Error{Kind: fault.Kind(200)}, 500, "INTERNAL_ERROR", "An internal error occurred"},
		{"maps a plain error to 500 INTERNAL_ERROR", errors.New("pq: relation does not exist"), 500, "INTERNAL_ERROR", "An internal error occurred"},
		{"lets a code replace the type but not the status", &fault.Error{Kind: fault.Forbidden, Code: "ACCOUNT_SUSPENDED", Msg: "Account suspended"}, 403, "ACCOUNT_SUSPENDED", "Account suspended"},
		{"keeps the status of Unauthenticated with INVALID_TOKEN", &fault.Error{Kind: fault.Unauthenticated, Code: "INVALID_TOKEN"}, 401, "INVALID_TOKEN", "Authentication required"},
		{"finds a fault wrapped in another error", fmt.Errorf("handler: %w", fault.E("op", fault.Conflict, "Slug taken")), 409, "CONFLICT", "Slug taken"},
		{"maps a Fiber 415 to BAD_REQUEST", errUnsupportedMediaType, 415, "BAD_REQUEST", "Content-Type must be application/json"},
		{"maps a Fiber 400 to BAD_REQUEST without its text", fiber.NewError(400, "cannot parse <script>"), 400, "BAD_REQUEST", "Bad request"},
		{"maps another Fiber 4xx to BAD_REQUEST", fiber.ErrGone, 410, "BAD_REQUEST", "Bad request"},
		{"maps a Fiber 5xx to 500 INTERNAL_ERROR", fiber.ErrBadGateway, 500, "INTERNAL_ERROR", "An internal error occurred"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			app, _ := edgeApp(t, Options{}, func(app *fiber.App) {
				app.Get("/api/v1/x", func(c *fiber.Ctx) error { return fail(c, tt.err) })
			})
			r := edgeCall(t, app, edgeRequest("GET", "/api/v1/x", ""))
			assertEnvelopeError(t, r, tt.status, tt.typ)
			if m := r.json(t); m["message"] != tt.message {
				t.Fatalf("message = %v, want %q", m["message"], tt.message)
			}
		})
	}
}

func TestFailShowsFieldsAndDetails(t *testing.T) {
	t.Parallel()
	app, _ := edgeApp(t, Options{}, func(app *fiber.App) {
		app.Get("/api/v1/x", func(c *fiber.Ctx) error {
			var v fault.Validation
			v.Add("email", "Invalid email")
			v.Add("password", "Too short")
			v.Add("password", "Too common")
			err := fault.As(v.Err("account.Register"))
			err.Details = map[string]any{"hint": "see docs", "email": "ignored: fields win"}
			return fail(c, err)
		})
	})
	r := edgeCall(t, app, edgeRequest("GET", "/api/v1/x", ""))
	assertEnvelopeError(t, r, 400, "VALIDATION_ERROR")
	want := `"details":{"email":["Invalid email"],"hint":"see docs","password":["Too short","Too common"]}`
	if !strings.Contains(r.body, want) {
		t.Fatalf("body %s lacks %s", r.body, want)
	}
	if m := r.json(t); m["message"] != "Validation failed" {
		t.Fatalf("message = %v", m["message"])
	}
}

func TestFailHidesServerErrors(t *testing.T) {
	t.Parallel()
	const secret = "SELECT password_hash FROM users"
	tests := []struct {
		name string
		err  error
	}{
		{"hides an Internal cause and message", &fault.Error{Op: "sqlstore.User", Kind: fault.Internal, Msg: "query " + secret, Code: "SIGNING_FAILED", Details: map[string]any{"q": secret}, Err: errors.New(secret)}},
		{"hides an Unavailable cause and message", &fault.Error{Op: "redis.Incr", Kind: fault.Unavailable, Msg: secret, Err: errors.New(secret)}},
		{"hides a plain error", errors.New(secret)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			app, lg := edgeApp(t, Options{}, func(app *fiber.App) {
				app.Get("/api/v1/x", func(c *fiber.Ctx) error { return fail(c, tt.err) })
			})
			req := edgeRequest("GET", "/api/v1/x", "")
			req.Header.Set("X-Request-ID", "trace-42")
			r := edgeCall(t, app, req)
			if r.status < 500 {
				t.Fatalf("status = %d", r.status)
			}
			if strings.Contains(r.body, "SELECT") || strings.Contains(r.body, "password_hash") {
				t.Fatalf("response leaks the cause: %s", r.body)
			}
			if len(r.details(t)) != 0 {
				t.Fatalf("details = %v, want {}", r.details(t))
			}
			logged := lg.withMsg(t, "request failed")
			if len(logged) != 1 {
				t.Fatalf("want one error line, got %s", lg.String())
			}
			cause, _ := logged[0]["error"].(string)
			if logged[0]["level"] != "ERROR" || logged[0]["request_id"] != "trace-42" || !strings.Contains(cause, secret) {
				t.Fatalf("error line %v lacks level, request id or cause", logged[0])
			}
		})
	}
}

func TestFailSetsRetryAfter(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"rounds a rate limit up to whole seconds", &fault.Error{Kind: fault.RateLimited, RetryAfter: 1500 * time.Millisecond}, "2"},
		{"sends at least one second", &fault.Error{Kind: fault.RateLimited}, "1"},
		{"keeps exact seconds", &fault.Error{Kind: fault.RateLimited, RetryAfter: time.Minute}, "60"},
		{"tells an Unavailable caller when to retry", &fault.Error{Kind: fault.Unavailable, RetryAfter: 5 * time.Second}, "5"},
		{"sends none for an Unavailable without a hint", &fault.Error{Kind: fault.Unavailable}, ""},
		{"sends none for other kinds", &fault.Error{Kind: fault.Forbidden, RetryAfter: time.Second}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			app, _ := edgeApp(t, Options{}, func(app *fiber.App) {
				app.Get("/api/v1/x", func(c *fiber.Ctx) error { return fail(c, tt.err) })
			})
			r := edgeCall(t, app, edgeRequest("GET", "/api/v1/x", ""))
			if got := r.header.Get("Retry-After"); got != tt.want {
				t.Fatalf("Retry-After = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestReturnedErrorsAreRenderedLikeFail(t *testing.T) {
	t.Parallel()
	app, _ := edgeApp(t, Options{}, func(app *fiber.App) {
		app.Get("/api/v1/x", func(*fiber.Ctx) error { return fault.E("op", fault.Conflict, "Taken") })
	})
	r := edgeCall(t, app, edgeRequest("GET", "/api/v1/x", ""))
	assertEnvelopeError(t, r, 409, "CONFLICT")
}

func TestFailSurvivesUnencodableDetails(t *testing.T) {
	t.Parallel()
	app, _ := edgeApp(t, Options{}, func(app *fiber.App) {
		app.Get("/api/v1/x", func(c *fiber.Ctx) error {
			return fail(c, &fault.Error{Kind: fault.Forbidden, Details: map[string]any{"f": func() {}}})
		})
	})
	r := edgeCall(t, app, edgeRequest("GET", "/api/v1/x", ""))
	assertEnvelopeError(t, r, 403, "AUTHORIZATION_ERROR")
}
