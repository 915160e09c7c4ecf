package mail

import (
	"context"
	"strconv"
	"strings"
	"sync"

	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/core/message"
	"github.com/secuird/secuird/ports"
)

var (
	_ ports.Mailer     = (*Recorder)(nil)
	_ ports.MailSender = (*Recorder)(nil)
)

// Recorder keeps every message in memory, for tests that need to read
// what was sent (for instance the link in a verification email). It is a
// ports.Mailer (Enqueue: no outbox) and a ports.MailSender (Send: a
// provider behind the real outbox, which records the rendered message
// too). The zero value is ready to use; it is safe for concurrent use.
type Recorder struct {
	mu       sync.Mutex
	msgs     []message.Email
	rendered []message.Rendered
	// arrived is closed, and replaced, whenever a message is recorded.
	arrived chan struct{}
}

// NewRecorder returns an empty Recorder.
func NewRecorder() *Recorder { return &Recorder{} }

// Enqueue records m. It returns Invalid when m has no recipient or template.
func (r *Recorder) Enqueue(_ context.Context, m message.Email) error {
	if err := check("mail.Recorder.Enqueue", m); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.msgs = append(r.msgs, clone(m))
	if r.arrived != nil {
		close(r.arrived)
		r.arrived = nil
	}
	return nil
}

// Send records the rendered message (its Email is what Messages, Last and
// Wait return) and returns "recorded-N". It returns Invalid when the
// message has no recipient or template.
func (r *Recorder) Send(_ context.Context, m message.Rendered) (string, error) {
	if err := check("mail.Recorder.Send", m.Email); err != nil {
		return "", err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	m.Email = clone(m.Email)
	r.rendered = append(r.rendered, m)
	r.msgs = append(r.msgs, clone(m.Email))
	if r.arrived != nil {
		close(r.arrived)
		r.arrived = nil
	}
	return "recorded-" + strconv.Itoa(len(r.rendered)), nil
}

// Rendered returns a copy of every message received through Send, oldest
// first, as rendered.
func (r *Recorder) Rendered() []message.Rendered {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]message.Rendered, len(r.rendered))
	for i, m := range r.rendered {
		m.Email = clone(m.Email)
		out[i] = m
	}
	return out
}

// Messages returns a copy of every recorded message, oldest first.
func (r *Recorder) Messages() []message.Email {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]message.Email, len(r.msgs))
	for i, m := range r.msgs {
		out[i] = clone(m)
	}
	return out
}

// Last returns the newest message to the address to (compared without
// regard to case), and whether there is one.
func (r *Recorder) Last(to string) (message.Email, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.lastLocked(to, "")
}

// Wait returns the newest message to the address to with the given template
// ("" matches any template), waiting until one is recorded if there is none
// yet. It returns ctx's error, wrapped as Unavailable, when ctx ends first.
func (r *Recorder) Wait(ctx context.Context, to, template string) (message.Email, error) {
	for {
		r.mu.Lock()
		m, ok := r.lastLocked(to, template)
		if ok {
			r.mu.Unlock()
			return m, nil
		}
		if r.arrived == nil {
			r.arrived = make(chan struct{})
		}
		arrived := r.arrived
		r.mu.Unlock()

		select {
		case <-arrived:
		case <-ctx.Done():
			what := "email"
			if template != "" {
				what = template + " email"
			}
			return message.Email{}, &fault.Error{
				Op:   "mail.Recorder.Wait",
				Kind: fault.Unavailable,
				Msg:  "no " + what + " to " + to + " arrived",
				Err:  ctx.Err(),
			}
		}
	}
}

// Reset forgets every recorded message.
func (r *Recorder) Reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.msgs = nil
	r.rendered = nil
}

func (r *Recorder) lastLocked(to, template string) (message.Email, bool) {
	for i := len(r.msgs) - 1; i >= 0; i-- {
		m := r.msgs[i]
		if strings.EqualFold(m.To, to) && (template == "" || m.Template == template) {
			return clone(m), true
		}
	}
	return message.Email{}, false
}
