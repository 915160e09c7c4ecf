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

var _ ports.Mailer = (*Console)(nil)

// Console "delivers" email by logging it at INFO: the template, the
// recipient and every value, links included, because in development the
// console is where a developer finds and clicks them. Never use it where
// logs are shared: the links are live credentials (reset, verification).
type Console struct {
	log *slog.Logger
}

// NewConsole returns a Console that logs to log (slog.Default() when nil).
func NewConsole(log *slog.Logger) *Console {
	if log == nil {
		log = slog.Default()
	}
	return &Console{log: log}
}

// Enqueue logs m. It returns Invalid when m has no recipient or template.
func (c *Console) Enqueue(ctx context.Context, m message.Email) error {
	if err := check("mail.Console.Enqueue", m); err != nil {
		return err
	}
	vars := make([]slog.Attr, 0, len(m.Vars))
	for _, k := range slices.Sorted(maps.Keys(m.Vars)) {
		vars = append(vars, slog.String(k, m.Vars[k]))
	}
	to := m.To
	if name := strings.TrimSpace(m.ToName); name != "" {
		to = name + " <" + m.To + ">"
	}
	c.log.LogAttrs(ctx, slog.LevelInfo, ConsoleLogMessage,
		slog.String("template", m.Template),
		slog.String("to", to),
		slog.Attr{Key: "vars", Value: slog.GroupValue(vars...)},
	)
	return nil
}
