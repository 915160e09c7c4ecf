// Package fault is Secuird's single error model: every error that crosses a
// layer carries a Kind, the operation that failed, a message that is safe to
// show to a user and, for logs only, the wrapped cause.
//
// Adapters translate their technology's errors into a Kind at the boundary;
// each edge (REST envelope, hosted pages, OIDC endpoints) maps Kinds to its
// own vocabulary with exactly one table.
package fault

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Kind classifies an error by what the caller can do about it.
type Kind uint8

// The kinds of error. Internal is the zero value so that an unclassified
// error is never mistaken for a client error.
const (
	Internal        Kind = iota // a bug or an unexpected failure; details only in logs
	Invalid                     // the input is malformed or breaks a rule
	NotFound                    // the thing does not exist (or the caller may not know it does)
	Conflict                    // the thing exists already or changed underneath
	Unauthenticated             // credentials are missing, wrong or expired
	Forbidden                   // authenticated, but not allowed
	RateLimited                 // too many attempts; retry later
	Unavailable                 // a dependency does not answer; retry later
)

var kindNames = [...]string{
	Internal:        "internal",
	Invalid:         "invalid",
	NotFound:        "not_found",
	Conflict:        "conflict",
	Unauthenticated: "unauthenticated",
	Forbidden:       "forbidden",
	RateLimited:     "rate_limited",
	Unavailable:     "unavailable",
}

// String returns the kind's lower-case name.
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", k)
}

// Error is the error type used throughout Secuird.
type Error struct {
	Kind Kind
	// Op names the operation that failed, e.g. "account.Register".
	Op string
	// Msg is safe to show to the user. Empty means a generic text for the kind.
	Msg string
	// Code is an optional machine-readable refinement shown to API clients
	// (e.g. "ACCOUNT_SUSPENDED"); empty means the edge's default for the kind.
	Code string
	// Fields holds per-field validation messages (Invalid only).
	Fields map[string][]string
	// Details holds extra safe values for the client (e.g. overall_status).
	Details map[string]any
	// RetryAfter tells RateLimited and Unavailable callers when to retry.
	RetryAfter time.Duration
	// Err is the underlying cause; it is logged, never shown.
	Err error
}

// Error renders the error for logs: op, kind, message and cause.
func (e *Error) Error() string {
	var b strings.Builder
	if e.Op != "" {
		b.WriteString(e.Op)
		b.WriteString(": ")
	}
	b.WriteString(e.Kind.String())
	if e.Msg != "" {
		b.WriteString(": ")
		b.WriteString(e.Msg)
	}
	if len(e.Fields) > 0 {
		keys := make([]string, 0, len(e.Fields))
		for k := range e.Fields {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b.WriteString(" [")
		for i, k := range keys {
			if i > 0 {
				b.WriteString("; ")
			}
			b.WriteString(k)
			b.WriteString(": ")
			b.WriteString(strings.Join(e.Fields[k], ", "))
		}
		b.WriteString("]")
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// E builds an error of the given kind with a user-safe message.
func E(op string, k Kind, msg string) *Error {
	return &Error{Op: op, Kind: k, Msg: msg}
}

// Wrap classifies err as kind k. If err is already a *Error its kind, message
// and details are kept and op is recorded in front of it.
func Wrap(op string, k Kind, err error) error {
	if err == nil {
		return nil
	}
	var fe *Error
	if errors.As(err, &fe) {
		return &Error{Op: op, Kind: fe.Kind, Msg: fe.Msg, Code: fe.Code, Fields: fe.Fields, Details: fe.Details, RetryAfter: fe.RetryAfter, Err: err}
	}
	return &Error{Op: op, Kind: k, Err: err}
}

// Internalf wraps an unexpected error as Internal.
func Internalf(op string, format string, args ...any) error {
	return &Error{Op: op, Kind: Internal, Err: fmt.Errorf(format, args...)}
}

// KindOf returns the Kind of err: the kind of the outermost *Error in its
// chain, Internal for any other non-nil error.
func KindOf(err error) Kind {
	var fe *Error
	if errors.As(err, &fe) {
		return fe.Kind
	}
	return Internal
}

// Is reports whether err has kind k.
func Is(err error, k Kind) bool { return err != nil && KindOf(err) == k }

// As returns the outermost *Error in err's chain, or nil.
func As(err error) *Error {
	var fe *Error
	if errors.As(err, &fe) {
		return fe
	}
	return nil
}

// Validation collects per-field problems and turns them into one Invalid error.
type Validation struct {
	fields map[string][]string
}

// Add records a problem with field.
func (v *Validation) Add(field, msg string) {
	if v.fields == nil {
		v.fields = map[string][]string{}
	}
	v.fields[field] = append(v.fields[field], msg)
}

// Has reports whether field already has a problem.
func (v *Validation) Has(field string) bool { return len(v.fields[field]) > 0 }

// Err returns nil when nothing was added, else an Invalid error with every field.
func (v *Validation) Err(op string) error {
	if len(v.fields) == 0 {
		return nil
	}
	return &Error{Op: op, Kind: Invalid, Msg: "Validation failed", Fields: v.fields}
}
