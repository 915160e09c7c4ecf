package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"github.com/secuird/secuird/core/fault"
)

// bodyField names the request body as a whole in validation details, for
// problems that belong to no single field.
const bodyField = "body"

// maxFieldNameLen caps a client-chosen field name echoed in an error.
const maxFieldNameLen = 64

// decodeJSON reads the request body into dst, which must be a pointer. The
// body must be declared as `Content-Type: application/json` (an optional
// charset must be UTF-8), else it returns errUnsupportedMediaType (rendered
// by fail as 415 BAD_REQUEST). Otherwise every problem is an Invalid
// *fault.Error that fail renders as 400 VALIDATION_ERROR:
//
//   - an empty body: "Request body is required";
//   - malformed JSON or trailing data after the value: "Malformed JSON",
//     with the byte offset under details.body;
//   - an unknown field: details {name: ["Unknown field"]};
//   - a value of the wrong type: details {field: ["Must be a string"]}.
//
// The raw body is never copied into an error.
func decodeJSON(c *fiber.Ctx, dst any) error {
	const op = "httpapi.decodeJSON"
	if !isJSONContentType(c.Get(fiber.HeaderContentType)) {
		return errUnsupportedMediaType
	}
	body := c.Body()
	if len(bytes.TrimSpace(body)) == 0 {
		return &fault.Error{Op: op, Kind: fault.Invalid, Msg: "Request body is required",
			Fields: map[string][]string{bodyField: {"Required"}}}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return decodeError(op, err)
	}
	// Exactly one JSON value: anything but white space after it is refused,
	// so `{"a":1}{"a":2}` cannot smuggle a second object past a proxy.
	var extra json.RawMessage
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return &fault.Error{Op: op, Kind: fault.Invalid, Msg: "Malformed JSON",
			Fields: map[string][]string{bodyField: {"Unexpected data after the JSON value"}}}
	}
	return nil
}

// isJSONContentType reports whether ct declares UTF-8 JSON.
func isJSONContentType(ct string) bool {
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil || mt != fiber.MIMEApplicationJSON {
		return false
	}
	cs, ok := params["charset"]
	return !ok || strings.EqualFold(cs, "utf-8") || strings.EqualFold(cs, "utf8")
}

// decodeError translates an encoding/json error into an Invalid fault.
func decodeError(op string, err error) error {
	malformed := func(msg string) error {
		return &fault.Error{Op: op, Kind: fault.Invalid, Msg: "Malformed JSON",
			Fields: map[string][]string{bodyField: {msg}}, Err: err}
	}
	var (
		syn *json.SyntaxError
		typ *json.UnmarshalTypeError
		inv *json.InvalidUnmarshalError
	)
	switch {
	case errors.As(err, &syn):
		// The library's text quotes the offending character; the offset is
		// enough to find it and echoes nothing.
		return malformed("Syntax error at byte " + strconv.FormatInt(syn.Offset, 10))
	case errors.Is(err, io.ErrUnexpectedEOF):
		return malformed("Unexpected end of JSON input")
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = bodyField
		}
		return &fault.Error{Op: op, Kind: fault.Invalid, Msg: "Validation failed",
			Fields: map[string][]string{field: {"Must be " + jsonTypeName(typ.Type)}}, Err: err}
	case errors.As(err, &inv):
		// dst is not a pointer: a bug in the handler, not the client's fault.
		return fault.Internalf(op, "decode into %v: %w", inv.Type, err)
	}
	// DisallowUnknownFields reports an unknown field only as text.
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		if n, uerr := strconv.Unquote(name); uerr == nil {
			name = n
		}
		return &fault.Error{Op: op, Kind: fault.Invalid, Msg: "Validation failed",
			Fields: map[string][]string{truncateUTF8(name, maxFieldNameLen): {"Unknown field"}}, Err: err}
	}
	return malformed("Invalid JSON")
}

// jsonTypeName names the JSON type a Go type is decoded from, with its
// article: "a string", "an integer".
func jsonTypeName(t reflect.Type) string {
	if t == nil {
		return "a valid value"
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Implements(textUnmarshalerType) || reflect.PointerTo(t).Implements(textUnmarshalerType) {
		return "a string"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		if t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8 {
			return "a base64 string" // []byte travels as base64 text
		}
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	}
	return "a valid value"
}

// textUnmarshalerType is encoding.TextUnmarshaler, which JSON fills from strings.
var textUnmarshalerType = reflect.TypeFor[interface{ UnmarshalText([]byte) error }]()

// truncateUTF8 shortens s to at most n bytes without splitting a UTF-8 sequence.
func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
