package httpapi

import (
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/secuird/secuird/core/fault"
)

// envelopeVersion is the "version" of every enveloped response.
const envelopeVersion = "1.0"

// envelope is the body of every /api/v1 response (SEED-SPEC 3.1). The field
// order here is the key order on the wire.
type envelope struct {
	Version   string         `json:"version"`
	Success   bool           `json:"success"`
	Code      int            `json:"code"`
	Message   string         `json:"message"`
	RequestID string         `json:"request_id"`
	Data      any            `json:"data,omitempty"`
	Meta      any            `json:"meta,omitempty"`
	Error     *envelopeError `json:"error,omitempty"`
}

// envelopeError is the "error" member of a failed response.
type envelopeError struct {
	Type string `json:"type"`
	// Details is always an object ({} when there is nothing to add).
	Details map[string]any `json:"details"`
}

// respond writes a success envelope with the given status (2xx), message and
// data; data is omitted from the body when nil.
func respond(c *fiber.Ctx, status int, message string, data any) error {
	return respondMeta(c, status, message, data, nil)
}

// respondMeta is respond with a "meta" member (omitted when nil).
func respondMeta(c *fiber.Ctx, status int, message string, data, meta any) error {
	return writeEnvelope(c, status, envelope{
		Version:   envelopeVersion,
		Success:   true,
		Code:      status,
		Message:   message,
		RequestID: requestID(c),
		Data:      nilToNone(data),
		Meta:      nilToNone(meta),
	})
}

// writeEnvelope encodes env as the response body. Envelopes can carry
// tokens and personal data, so they are never cached.
func writeEnvelope(c *fiber.Ctx, status int, env envelope) error {
	b, err := json.Marshal(env)
	if err != nil {
		return fault.Internalf("httpapi.respond", "encode envelope: %w", err)
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSONCharsetUTF8)
	return c.Status(status).Send(b)
}

// nilToNone turns a typed nil (a nil map, slice or pointer in an interface)
// into a true nil so that omitempty drops it instead of writing null.
func nilToNone(v any) any {
	if v == nil {
		return nil
	}
	switch rv := reflect.ValueOf(v); rv.Kind() {
	case reflect.Map, reflect.Slice, reflect.Pointer, reflect.Interface:
		if rv.IsNil() {
			return nil
		}
	}
	return v
}

// kindRule is one row of the fault-kind mapping table.
type kindRule struct {
	status int
	typ    string
	msg    string // the generic message when the error carries none
}

// kindTable is the REST edge's single mapping from fault kinds to envelopes
// (ARCHITECTURE.md 4). Kinds missing from it are treated as Internal.
var kindTable = [...]kindRule{
	fault.Internal:        {fiber.StatusInternalServerError, "INTERNAL_ERROR", "An internal error occurred"},
	fault.Invalid:         {fiber.StatusBadRequest, "VALIDATION_ERROR", "Validation failed"},
	fault.NotFound:        {fiber.StatusNotFound, "NOT_FOUND", "Resource not found"},
	fault.Conflict:        {fiber.StatusConflict, "CONFLICT", "Resource conflicts with the current state"},
	fault.Unauthenticated: {fiber.StatusUnauthorized, "AUTH_REQUIRED", "Authentication required"},
	fault.Forbidden:       {fiber.StatusForbidden, "AUTHORIZATION_ERROR", "You do not have permission to perform this action"},
	fault.RateLimited:     {fiber.StatusTooManyRequests, "RATE_LIMITED", "Too many requests, please try again later"},
	fault.Unavailable:     {fiber.StatusServiceUnavailable, "SERVER_ERROR", "Service temporarily unavailable"},
}

// statusTable maps the HTTP-level errors raised by Fiber, fasthttp and the
// request decoder (*fiber.Error) to envelopes. Their own messages may quote
// the request, so they are replaced by these fixed texts.
var statusTable = map[int]kindRule{
	fiber.StatusBadRequest:                  {fiber.StatusBadRequest, "BAD_REQUEST", "Bad request"},
	fiber.StatusNotFound:                    {fiber.StatusNotFound, "NOT_FOUND", "Resource not found"},
	fiber.StatusMethodNotAllowed:            {fiber.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED", "Method not allowed"},
	fiber.StatusRequestTimeout:              {fiber.StatusRequestTimeout, "BAD_REQUEST", "Request timed out"},
	fiber.StatusRequestEntityTooLarge:       {fiber.StatusRequestEntityTooLarge, "BAD_REQUEST", "Request body too large"},
	fiber.StatusUnsupportedMediaType:        {fiber.StatusUnsupportedMediaType, "BAD_REQUEST", "Content-Type must be application/json"},
	fiber.StatusRequestHeaderFieldsTooLarge: {fiber.StatusRequestHeaderFieldsTooLarge, "BAD_REQUEST", "Request headers too large"},
	fiber.StatusTooManyRequests:             kindTable[fault.RateLimited],
	fiber.StatusServiceUnavailable:          kindTable[fault.Unavailable],
}

// errUnsupportedMediaType is returned by decodeJSON for a body that is not
// declared as JSON; fail renders it as 415 BAD_REQUEST.
var errUnsupportedMediaType = fiber.NewError(fiber.StatusUnsupportedMediaType, "unsupported media type")

// problem is an error ready to be rendered.
type problem struct {
	rule       kindRule
	details    map[string]any
	retryAfter time.Duration
	// server is true for 5xx: the cause is logged and never shown.
	server bool
}

// classify turns any error into the envelope it is shown as.
func classify(err error) problem {
	if fe := fault.As(err); fe != nil {
		k := fe.Kind
		if int(k) >= len(kindTable) {
			k = fault.Internal
		}
		p := problem{rule: kindTable[k], details: map[string]any{}, retryAfter: fe.RetryAfter}
		if fe.Code != "" {
			p.rule.typ = fe.Code
		}
		if k == fault.Internal || k == fault.Unavailable {
			// The message and details of a server error may describe the
			// failure; only the generic text goes out.
			p.server = true
			return p
		}
		if fe.Msg != "" {
			p.rule.msg = fe.Msg
		}
		for f, msgs := range fe.Fields {
			p.details[f] = msgs
		}
		for key, v := range fe.Details {
			if _, taken := p.details[key]; !taken {
				p.details[key] = v
			}
		}
		return p
	}
	var fbe *fiber.Error
	if errors.As(err, &fbe) {
		if r, ok := statusTable[fbe.Code]; ok {
			return problem{rule: r, details: map[string]any{}, server: r.status >= 500}
		}
		if fbe.Code >= 400 && fbe.Code < 500 {
			return problem{rule: kindRule{fbe.Code, "BAD_REQUEST", "Bad request"}, details: map[string]any{}}
		}
	}
	return problem{rule: kindTable[fault.Internal], details: map[string]any{}, server: true}
}

// fail renders err as an error envelope and returns nil once it is written,
// so a handler can end with `return fail(c, err)`. The status and type come
// from the error's fault kind (kindTable) or HTTP status (statusTable); a
// non-empty fault Code replaces the type. For Internal and Unavailable only
// a generic message is shown and the full error is logged at ERROR with the
// request id. RateLimited (and Unavailable with a RetryAfter) set Retry-After.
func fail(c *fiber.Ctx, err error) error {
	if err == nil {
		err = errors.New("fail called without an error")
	}
	p := classify(err)
	lg := logger(c)
	cause := logText(err)
	if p.server {
		attrs := []any{"status", p.rule.status, "method", strings.Clone(c.Method()), "path", logPath(c), "error", cause}
		var pe *panicError
		if errors.As(err, &pe) {
			attrs = append(attrs, "stack", string(pe.stack))
		}
		lg.Error("request failed", attrs...)
	} else {
		lg.Debug("request refused", "status", p.rule.status, "type", p.rule.typ, "error", cause)
	}
	if p.rule.status == fiber.StatusTooManyRequests || (p.rule.status == fiber.StatusServiceUnavailable && p.retryAfter > 0) {
		c.Set(fiber.HeaderRetryAfter, strconv.FormatInt(ceilSeconds(p.retryAfter, 1), 10))
	}
	env := envelope{
		Version:   envelopeVersion,
		Success:   false,
		Code:      p.rule.status,
		Message:   p.rule.msg,
		RequestID: requestID(c),
		Error:     &envelopeError{Type: p.rule.typ, Details: p.details},
	}
	if werr := writeEnvelope(c, p.rule.status, env); werr != nil {
		// A detail value that cannot be encoded must not cost the client
		// its answer: drop the details and try once more.
		lg.Error("cannot encode error details", "error", werr.Error())
		env.Error.Details = map[string]any{}
		return writeEnvelope(c, p.rule.status, env)
	}
	return nil
}

// logText is how err appears in logs. A *fiber.Error raised by the server
// while parsing can quote the raw request (query strings hold tokens), so
// only its status is logged.
func logText(err error) string {
	var fbe *fiber.Error
	if fault.As(err) == nil && errors.As(err, &fbe) {
		return "http status " + strconv.Itoa(fbe.Code)
	}
	return err.Error()
}

// ceilSeconds rounds d up to whole seconds, at least floor.
func ceilSeconds(d time.Duration, floor int64) int64 {
	s := int64(math.Ceil(d.Seconds()))
	if s < floor {
		return floor
	}
	return s
}
