// Package mail renders and delivers outgoing email for the core.
//
// Renderer (ports.MailRenderer) turns a message.Email into a subject, a
// plain-text part and an HTML part from the embedded templates of package
// web, with the configured brand. The providers implement
// ports.MailSender: SMTP (wneessen/go-mail: STARTTLS or implicit TLS, AUTH
// PLAIN/LOGIN, timeouts), Mailgun and SendGrid (their HTTP APIs), File
// (one RFC 5322 .eml file per message) and Console (the log, for
// development); Fallback tries a second provider when the first refuses a
// message for good. Every provider classifies its errors as permanent
// (Invalid, Unauthenticated, Forbidden) or temporary (Unavailable), which
// the outbox (core/outbox) turns into dead letters or retries.
//
// Console and Recorder also implement ports.Mailer directly (no outbox):
// Console for a quick look, Recorder for tests, which can as well plug it
// in as a provider behind the real outbox.
package mail

import (
	"maps"
	"strings"

	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/core/message"
)

// check returns Invalid when m lacks a recipient or a template.
func check(op string, m message.Email) error {
	var v fault.Validation
	if strings.TrimSpace(m.To) == "" {
		v.Add("to", "A recipient is required")
	}
	if strings.TrimSpace(m.Template) == "" {
		v.Add("template", "A template is required")
	}
	return v.Err(op)
}

// clone returns a copy of m that shares no map with it.
func clone(m message.Email) message.Email {
	m.Vars = maps.Clone(m.Vars)
	return m
}

// From is whom every message comes from.
type From struct {
	// Address is the sender address (EMAIL_FROM_ADDRESS).
	Address string
	// Name is the sender's display name (EMAIL_FROM_NAME).
	Name string
	// ReplyTo, when set, receives the replies (EMAIL_REPLY_TO).
	ReplyTo string
}

// Validate reports a missing or malformed address, or a name that could
// break a header.
func (f From) Validate() error {
	var v fault.Validation
	if !message.ValidAddress(f.Address) {
		v.Add("from_address", "Not a valid email address")
	}
	if strings.ContainsAny(f.Name, "\r\n\x00") {
		v.Add("from_name", "Must not contain control characters")
	}
	if f.ReplyTo != "" && !message.ValidAddress(f.ReplyTo) {
		v.Add("reply_to", "Not a valid email address")
	}
	return v.Err("mail.From")
}

// domain is the domain part of the sender address, used for Message-IDs.
func (f From) domain() string {
	if at := strings.LastIndexByte(f.Address, '@'); at >= 0 {
		return f.Address[at+1:]
	}
	return "localhost"
}

// messageID is the Message-ID of a rendered message: its outbox ID (the
// idempotency key) at the sender's domain, so a resend carries the same
// Message-ID and receivers can recognise it.
func (f From) messageID(r message.Rendered) string {
	id := r.ID
	if id == "" {
		id = "unqueued"
	}
	return id + "@" + f.domain()
}

// oneLineText strips CR, LF and other control characters from a value
// that goes into a header or a form field of a provider's API.
func oneLineText(s string) string { return oneLine(s, 998) }
