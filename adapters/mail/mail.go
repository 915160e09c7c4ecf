// Package mail delivers outgoing email (message.Email) for the core.
//
// For now it has two ports.Mailer implementations: Console, which writes
// each message to the log for development, and Recorder, which keeps
// messages in memory for tests. Real providers (SMTP, Mailgun, SendGrid)
// and the start-up factory that picks one come later.
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
