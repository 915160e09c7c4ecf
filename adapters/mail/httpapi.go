package mail

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/secuird/secuird/core/fault"
)

// defaultHTTPTimeout bounds a provider's API call when the caller's context
// has no earlier deadline.
const defaultHTTPTimeout = 30 * time.Second

// maxProviderBody caps how much of a provider's answer is read.
const maxProviderBody = 64 << 10

// newHTTPClient returns c, or a client with the default timeout.
func newHTTPClient(c *http.Client) *http.Client {
	if c != nil {
		return c
	}
	return &http.Client{Timeout: defaultHTTPTimeout}
}

// providerStatusError classifies an HTTP API's error answer:
//
//   - 429 Too Many Requests and 408 Request Timeout: temporary
//     (Unavailable, with Retry-After when the provider sent one);
//   - 401: permanent, Unauthenticated (a wrong API key);
//   - 403: permanent, Forbidden (a key without the right, an unverified
//     sender or domain);
//   - other 4xx: permanent, Invalid (the request or the recipient was refused);
//   - 5xx and anything else: temporary, Unavailable.
//
// The provider's own message (which never holds the API key) is kept,
// shortened to one line, for the logs and the outbox's last error.
func providerStatusError(op, provider string, resp *http.Response, body []byte) error {
	detail := provider + " answered " + strconv.Itoa(resp.StatusCode)
	if m := providerMessage(body); m != "" {
		detail += ": " + m
	}
	cause := errors.New(detail)
	switch code := resp.StatusCode; {
	case code == http.StatusTooManyRequests || code == http.StatusRequestTimeout:
		return &fault.Error{Op: op, Kind: fault.Unavailable, Msg: "The email provider asks to slow down",
			RetryAfter: retryAfter(resp.Header.Get("Retry-After")), Err: cause}
	case code == http.StatusUnauthorized:
		return &fault.Error{Op: op, Kind: fault.Unauthenticated, Msg: "The email provider refused the API key", Err: cause}
	case code == http.StatusForbidden:
		return &fault.Error{Op: op, Kind: fault.Forbidden, Msg: "The email provider refused to send for this account", Err: cause}
	case code >= 400 && code < 500:
		return &fault.Error{Op: op, Kind: fault.Invalid, Msg: "The email provider refused the message", Err: cause}
	}
	return &fault.Error{Op: op, Kind: fault.Unavailable, Msg: "The email provider is unavailable", Err: cause}
}

// providerTransportError is a request that got no answer: temporary.
func providerTransportError(op, provider string, err error) error {
	return &fault.Error{Op: op, Kind: fault.Unavailable, Msg: "The email provider is unavailable",
		Err: errors.New(provider + ": " + redactURLError(err))}
}

// redactURLError drops the request URL from a client error's text: it is
// harmless for these APIs, but the rule is that request URLs stay out.
func redactURLError(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) && ue.Err != nil {
		return ue.Op + ": " + ue.Err.Error()
	}
	return err.Error()
}

// providerMessage extracts a provider's explanation from an error body:
// Mailgun's {"message": ...}, SendGrid's {"errors": [{"message", "field"}]},
// or the text itself, on one line and at most 300 characters.
func providerMessage(body []byte) string {
	var doc struct {
		Message string `json:"message"`
		Errors  []struct {
			Message string `json:"message"`
			Field   string `json:"field"`
		} `json:"errors"`
	}
	text := string(body)
	if json.Unmarshal(body, &doc) == nil {
		var parts []string
		if doc.Message != "" {
			parts = append(parts, doc.Message)
		}
		for _, e := range doc.Errors {
			if e.Field != "" {
				parts = append(parts, e.Field+": "+e.Message)
			} else {
				parts = append(parts, e.Message)
			}
		}
		if len(parts) > 0 {
			text = strings.Join(parts, "; ")
		}
	}
	return oneLine(text, 300)
}

// readBody reads at most maxProviderBody bytes of an answer.
func readBody(r io.Reader) []byte {
	b, _ := io.ReadAll(io.LimitReader(r, maxProviderBody))
	return b
}

// retryAfter parses a Retry-After header (seconds or an HTTP date); zero
// when absent or unreadable.
func retryAfter(v string) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil && n > 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := time.Until(t); d > 0 {
			return d
		}
	}
	return 0
}
