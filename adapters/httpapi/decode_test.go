package httpapi

import (
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
)

// decodeTarget is a request body with nested and typed fields.
type decodeTarget struct {
	Email   string `json:"email"`
	Age     int    `json:"age"`
	Admin   bool   `json:"admin"`
	Profile struct {
		Tags []string `json:"tags"`
	} `json:"profile"`
}

func TestDecodeJSON(t *testing.T) {
	t.Parallel()
	app, _ := edgeApp(t, Options{}, func(app *fiber.App) {
		app.Post("/api/v1/echo", func(c *fiber.Ctx) error {
			var b decodeTarget
			if err := decodeJSON(c, &b); err != nil {
				return fail(c, err)
			}
			return respond(c, 200, "ok", b)
		})
	})
	tests := []struct {
		name        string
		contentType string
		body        string
		status      int
		typ         string
		message     string
		details     string // the expected error.details as JSON
	}{
		{"accepts a JSON object", "application/json", `{"email":"a@example.com","age":3}`, 200, "", "ok", ""},
		{"accepts a UTF-8 charset", "application/json; charset=UTF-8", `{"email":"a@example.com"}`, 200, "", "ok", ""},
		{"accepts trailing white space", "application/json", "{\"age\":1}\n\t ", 200, "", "ok", ""},
		{"refuses text/plain with 415", "text/plain", `{"email":"a"}`, 415, "BAD_REQUEST", "Content-Type must be application/json", `{}`},
		{"refuses a missing content type with 415", "", `{"email":"a"}`, 415, "BAD_REQUEST", "Content-Type must be application/json", `{}`},
		{"refuses a form with 415", "application/x-www-form-urlencoded", `email=a`, 415, "BAD_REQUEST", "Content-Type must be application/json", `{}`},
		{"refuses a non-UTF-8 charset with 415", "application/json; charset=latin1", `{"email":"a"}`, 415, "BAD_REQUEST", "Content-Type must be application/json", `{}`},
		{"requires a body", "application/json", "", 400, "VALIDATION_ERROR", "Request body is required", `{"body":["Required"]}`},
		{"requires more than white space", "application/json", "  \n ", 400, "VALIDATION_ERROR", "Request body is required", `{"body":["Required"]}`},
		{"names an unknown field", "application/json", `{"email":"a","is_admin":true}`, 400, "VALIDATION_ERROR", "Validation failed", `{"is_admin":["Unknown field"]}`},
		{"names a field of the wrong type", "application/json", `{"age":"three"}`, 400, "VALIDATION_ERROR", "Validation failed", `{"age":["Must be an integer"]}`},
		{"names a string field given a number", "application/json", `{"email":5}`, 400, "VALIDATION_ERROR", "Validation failed", `{"email":["Must be a string"]}`},
		{"names a boolean field given a string", "application/json", `{"admin":"yes"}`, 400, "VALIDATION_ERROR", "Validation failed", `{"admin":["Must be a boolean"]}`},
		{"names a nested field by its path", "application/json", `{"profile":{"tags":"x"}}`, 400, "VALIDATION_ERROR", "Validation failed", `{"profile.tags":["Must be an array"]}`},
		{"refuses a body that is not an object", "application/json", `["a"]`, 400, "VALIDATION_ERROR", "Validation failed", `{"body":["Must be an object"]}`},
		{"refuses trailing garbage", "application/json", `{"age":1} trailing`, 400, "VALIDATION_ERROR", "Malformed JSON", `{"body":["Unexpected data after the JSON value"]}`},
		{"refuses a second value", "application/json", `{"age":1}{"age":2}`, 400, "VALIDATION_ERROR", "Malformed JSON", `{"body":["Unexpected data after the JSON value"]}`},
		{"refuses malformed JSON with the offset", "application/json", `{"email": SECRET_MARKER}`, 400, "VALIDATION_ERROR", "Malformed JSON", `{"body":["Syntax error at byte 11"]}`},
		{"refuses truncated JSON", "application/json", `{"email": "a`, 400, "VALIDATION_ERROR", "Malformed JSON", `{"body":["Unexpected end of JSON input"]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req := httptest.NewRequest("POST", "/api/v1/echo", strings.NewReader(tt.body))
			if tt.contentType != "" {
				req.Header.Set("Content-Type", tt.contentType)
			}
			r := edgeCall(t, app, req)
			if tt.status == 200 {
				if r.status != 200 {
					t.Fatalf("status = %d; body %s", r.status, r.body)
				}
				return
			}
			assertEnvelopeError(t, r, tt.status, tt.typ)
			if m := r.json(t); m["message"] != tt.message {
				t.Fatalf("message = %v, want %q", m["message"], tt.message)
			}
			got, _ := json.Marshal(r.details(t))
			if string(got) != tt.details {
				t.Fatalf("details = %s, want %s", got, tt.details)
			}
			if strings.Contains(r.body, "SECRET_MARKER") || strings.Contains(r.body, "trailing") || strings.Contains(r.body, "three") {
				t.Fatalf("response echoes the body: %s", r.body)
			}
		})
	}
}

func TestDecodeJSONCutsLongUnknownFieldNames(t *testing.T) {
	t.Parallel()
	app, _ := edgeApp(t, Options{}, func(app *fiber.App) {
		app.Post("/api/v1/echo", func(c *fiber.Ctx) error {
			var b decodeTarget
			return fail(c, decodeJSON(c, &b))
		})
	})
	long := strings.Repeat("k", 5000)
	r := edgeCall(t, app, edgeRequest("POST", "/api/v1/echo", `{"`+long+`":1}`))
	assertEnvelopeError(t, r, 400, "VALIDATION_ERROR")
	if _, ok := r.details(t)[long[:maxFieldNameLen]]; !ok || len(r.body) > 1000 {
		t.Fatalf("long field name not cut: %d bytes", len(r.body))
	}
}

func TestDecodeJSONReportsABadTargetAsInternal(t *testing.T) {
	t.Parallel()
	app, _ := edgeApp(t, Options{}, func(app *fiber.App) {
		app.Post("/api/v1/echo", func(c *fiber.Ctx) error {
			var b decodeTarget
			return fail(c, decodeJSON(c, b)) // not a pointer: a handler bug
		})
	})
	r := edgeCall(t, app, edgeRequest("POST", "/api/v1/echo", `{}`))
	assertEnvelopeError(t, r, 500, "INTERNAL_ERROR")
}
