package mail

import (
	"context"

	"github.com/secuird/secuird/core/message"
	"github.com/secuird/secuird/ports"
)

// Fallback sends through Primary and, when Primary refuses a message for
// good (message.IsPermanent: a wrong key, an unverified sender, a rejected
// request), through Secondary. A temporary failure of Primary is returned
// as is: the outbox retries it later, still on Primary first.
type Fallback struct {
	Primary   ports.MailSender
	Secondary ports.MailSender
}

var _ ports.MailSender = (*Fallback)(nil)

// Send tries Primary, then Secondary after a permanent failure. When both
// fail, the error has Secondary's kind and both causes.
func (f *Fallback) Send(ctx context.Context, m message.Rendered) (string, error) {
	id, err := f.Primary.Send(ctx, m)
	if err == nil || !message.IsPermanent(err) {
		return id, err
	}
	id, err2 := f.Secondary.Send(ctx, m)
	if err2 != nil {
		return "", &fallbackError{primary: err, secondary: err2}
	}
	return id, nil
}

// fallbackError keeps both failures; its kind is the secondary's (errors.As
// finds that one first).
type fallbackError struct{ primary, secondary error }

func (e *fallbackError) Error() string {
	return "fallback provider failed: " + e.secondary.Error() + " (primary: " + e.primary.Error() + ")"
}

func (e *fallbackError) Unwrap() []error { return []error{e.secondary, e.primary} }
