package message

import (
	"net/mail"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/secuird/secuird/core/fault"
)

// Templates returns every template name, in a stable order. A renderer must
// have an HTML and a plain-text rendering for each; adding a constant above
// means adding it here and its files under web/templates/email.
func Templates() []string {
	return []string{
		VerifyEmail, PasswordReset, PasswordChanged, NewSignIn,
		MFAEnabled, MFADisabled, BackupCodeUsed, MFAReminder, MFASuspended,
		OrgInvite, InviteAccepted, OwnershipTransfer, AccountSuspended, TestMessage,
	}
}

// Known reports whether name is one of Templates.
func Known(name string) bool { return slices.Contains(Templates(), name) }

// Redacted is what a sensitive value becomes once its message is delivered.
const Redacted = "[redacted]"

// Limits on what a message may carry.
const (
	MaxAddressLen = 254  // RFC 5321 path limit
	MaxNameLen    = 255  // a display name
	MaxVars       = 32   // values per message
	MaxVarLen     = 4096 // bytes per value
)

// Check validates m before it is queued, so that nothing a user typed can
// reach a mail header: the recipient must be one plain address without
// control characters and the display name may hold no line break (CR/LF
// would inject headers); the template must be known; values must be valid
// UTF-8 without NUL bytes (providers make the subject one line). It returns an Invalid *fault.Error naming every bad field
// ("to", "to_name", "template", "vars.NAME").
func (m Email) Check(op string) error {
	var v fault.Validation
	switch {
	case strings.TrimSpace(m.To) == "":
		v.Add("to", "A recipient is required")
	case !ValidAddress(m.To):
		v.Add("to", "Not a valid email address")
	}
	if len(m.ToName) > MaxNameLen {
		v.Add("to_name", "Must be at most 255 characters")
	}
	if strings.ContainsAny(m.ToName, "\r\n\x00\u2028\u2029") || !utf8.ValidString(m.ToName) {
		// Line breaks would end the header; other controls are flattened
		// by the providers.
		v.Add("to_name", "Must not contain line breaks")
	}
	switch {
	case strings.TrimSpace(m.Template) == "":
		v.Add("template", "A template is required")
	case !Known(m.Template):
		v.Add("template", "Unknown template")
	}
	if len(m.Vars) > MaxVars {
		v.Add("vars", "Too many values")
	}
	for k, val := range m.Vars {
		field := "vars." + k
		if k == "" || hasControl(k) || len(k) > 64 {
			v.Add("vars", "Malformed value name")
			continue
		}
		if len(val) > MaxVarLen {
			v.Add(field, "Too long")
		}
		if !utf8.ValidString(val) || strings.ContainsRune(val, 0) {
			v.Add(field, "Must be valid UTF-8 text")
		}
	}
	return v.Err(op)
}

// ValidAddress reports whether s is one plain addr-spec (local@domain, no
// display name, no comments, no control characters) of at most
// MaxAddressLen bytes.
func ValidAddress(s string) bool {
	if s == "" || len(s) > MaxAddressLen || hasControl(s) || strings.ContainsAny(s, " <>\"") {
		return false
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Name != "" || a.Address != s {
		return false
	}
	at := strings.LastIndexByte(s, '@')
	return at > 0 && at < len(s)-1
}

// hasControl reports control characters: C0 (CR, LF, NUL, TAB...), DEL,
// C1 and the Unicode line and paragraph separators.
func hasControl(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool {
		return unicode.IsControl(r) || r == '\u2028' || r == '\u2029'
	}) >= 0
}

// Redact returns a copy of m whose Sensitive values are replaced by
// Redacted (values that are absent stay absent).
func (m Email) Redact() Email {
	vars := make(map[string]string, len(m.Vars))
	for k, v := range m.Vars {
		vars[k] = v
	}
	for _, k := range m.Sensitive {
		if _, ok := vars[k]; ok {
			vars[k] = Redacted
		}
	}
	m.Vars = vars
	m.Sensitive = slices.Clone(m.Sensitive)
	return m
}

// Status is where a message stands in the durable outbox.
type Status string

// Outbox statuses.
const (
	// StatusPending messages wait for their first or next attempt, or are
	// being sent right now (ClaimedUntil is then in the future).
	StatusPending Status = "pending"
	// StatusSent messages were accepted by a provider; their sensitive
	// values are redacted.
	StatusSent Status = "sent"
	// StatusDead messages were given up: a provider refused them for good,
	// they could not be rendered, or every attempt failed. An operator can
	// put them back with a retry.
	StatusDead Status = "dead"
)

// Valid reports whether s is a known status.
func (s Status) Valid() bool {
	return s == StatusPending || s == StatusSent || s == StatusDead
}

// Queued is one message in the durable outbox.
type Queued struct {
	// ID is unique and doubles as the idempotency key given to providers
	// (the Message-ID header, a custom variable or argument).
	ID     string
	Email  Email
	Status Status
	// Attempts counts the deliveries started, including the one in flight.
	Attempts int
	// NextAttemptAt is when the message is next due; while a worker holds
	// it, it is the end of that worker's lease.
	NextAttemptAt time.Time
	// ClaimedUntil is set while a worker holds the message; ClaimToken
	// proves which worker does.
	ClaimedUntil *time.Time
	ClaimToken   string
	// LastError is the latest failure, safe to show operators.
	LastError string
	// ProviderID is what the provider called the message once accepted.
	ProviderID string
	CreatedAt  time.Time
	UpdatedAt  time.Time
	SentAt     *time.Time
}

// OutboxFilter selects outbox messages for listing.
type OutboxFilter struct {
	// Status keeps only messages in that status ("" for all).
	Status Status
	// Limit caps the page (the store's default when 0).
	Limit int
	// Cursor continues from a previous page ("" for the first).
	Cursor string
}

// Rendered is a message ready for a provider.
type Rendered struct {
	// ID is the outbox ID: the idempotency key.
	ID string
	// Email is what was rendered (recipient, template, values).
	Email   Email
	Subject string
	Text    string
	HTML    string
}

// IsPermanent reports whether a provider's error means that sending the
// same message again cannot succeed: the message or the credentials were
// refused (Invalid, NotFound, Conflict, Unauthenticated, Forbidden).
// Everything else (Unavailable, RateLimited, Internal: timeouts, outages,
// surprises) is temporary and worth a retry.
func IsPermanent(err error) bool {
	if err == nil {
		return false
	}
	switch fault.KindOf(err) {
	case fault.Invalid, fault.NotFound, fault.Conflict, fault.Unauthenticated, fault.Forbidden:
		return true
	}
	return false
}
