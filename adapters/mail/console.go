package mail

import (
	"context"
	"log/slog"
	"maps"
	"slices"
	"strings"

	"github.com/secuird/secuird/core/message"
	"github.com/secuird/secuird/ports"
)

// ConsoleLogMessage is the log message under which Console writes each email.
const ConsoleLogMessage = "email (console provider)"

var (
	_ ports.Mailer     = (*Console)(nil)
	_ ports.MailSender = (*Console)(nil)
)

// Console "delivers" email by logging it at INFO: the template, the
// recipient and every value, links included, because in development the
// console is where a developer finds and clicks them. As a provider behind
// the outbox (Send) it also logs the subject and the plain-text rendering.
// Never show its secrets where logs are shared: the links are live
// credentials (reset, verification); HideSecrets replaces them.
type Console struct {
	log  *slog.Logger
	hide bool
}

// NewConsole returns a Console that logs to log (slog.Default() when nil).
func NewConsole(log *slog.Logger) *Console {
	if log == nil {
		log = slog.Default()
	}
	return &Console{log: log}
}

// HideSecrets returns a Console that logs every Sensitive value, wherever it
// appears, as message.Redacted: for any environment but development.
func (c *Console) HideSecrets() *Console { return &Console{log: c.log, hide: true} }

// Send logs the rendered message (see Console) and returns "console".
func (c *Console) Send(ctx context.Context, m message.Rendered) (string, error) {
	if err := check("mail.Console.Send", m.Email); err != nil {
		return "", err
	}
	text := m.Text
	e := m.Email
	if c.hide {
		for _, k := range m.Email.Sensitive {
			if v := m.Email.Vars[k]; v != "" {
				text = strings.ReplaceAll(text, v, message.Redacted)
			}
		}
		e = e.Redact()
	}
	c.log.LogAttrs(ctx, slog.LevelInfo, ConsoleLogMessage,
		slog.String("id", m.ID),
		slog.String("template", e.Template),
		slog.String("to", recipient(e)),
		slog.String("subject", m.Subject),
		varsAttr(e),
		slog.String("text", text),
	)
	return "console", nil
}

// Enqueue logs m. It returns Invalid when m has no recipient or template.
func (c *Console) Enqueue(ctx context.Context, m message.Email) error {
	if err := check("mail.Console.Enqueue", m); err != nil {
		return err
	}
	if c.hide {
		m = m.Redact()
	}
	c.log.LogAttrs(ctx, slog.LevelInfo, ConsoleLogMessage,
		slog.String("template", m.Template),
		slog.String("to", recipient(m)),
		varsAttr(m),
	)
	return nil
}

// recipient is the To of m as a reader writes it: "Name <address>".
func recipient(m message.Email) string {
	if name := strings.TrimSpace(m.ToName); name != "" {
		return name + " <" + m.To + ">"
	}
	return m.To
}

// varsAttr is m's values as a log group, sorted by name.
func varsAttr(m message.Email) slog.Attr {
	vars := make([]slog.Attr, 0, len(m.Vars))
	for _, k := range slices.Sorted(maps.Keys(m.Vars)) {
		vars = append(vars, slog.String(k, m.Vars[k]))
	}
	return slog.Attr{Key: "vars", Value: slog.GroupValue(vars...)}
}
