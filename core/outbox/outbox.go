// Package outbox is the durable email outbox's policy: what may be queued,
// how a batch of due messages is claimed, rendered and handed to the
// provider, when a failure is retried (exponential backoff with jitter) and
// when a message is given up (dead), plus the operator's view (list, count,
// retry, purge).
//
// Service implements ports.Mailer: Enqueue validates the message and writes
// it through ports.Outbox, joining the caller's transaction, so a change and
// the mail it causes commit together or not at all. Deliver runs one round
// of delivery; the goroutine that calls it in a loop lives in app.
//
// Delivery is at least once: a message is marked sent only after the
// provider accepted it, so a crash between the two sends it again when the
// lease runs out (the outbox ID travels as the idempotency key so that
// providers and recipients can tell). A clean shutdown sends nothing twice:
// a send in flight completes under its own timeout and the rest of the batch
// is released unattempted.
package outbox

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/core/message"
	"github.com/secuird/secuird/ports"
)

// Policy tunes delivery. Zero fields take the defaults.
type Policy struct {
	// MaxAttempts is how many deliveries a message gets before it is dead (10).
	MaxAttempts int
	// BaseDelay is the wait after the first failure (30 s); it doubles per
	// further failure up to MaxDelay (1 h). Each wait is jittered to
	// between half and all of it, so a fleet of messages that failed
	// together does not retry together.
	BaseDelay time.Duration
	MaxDelay  time.Duration
	// SendTimeout bounds one provider call (30 s): a provider that hangs
	// costs one attempt, not the worker.
	SendTimeout time.Duration
	// Batch is how many messages one Deliver claims (10).
	Batch int
	// Lease is how long a claim lasts (Batch * SendTimeout + 1 min, so a
	// whole batch fits): a worker that dies leaves its messages to others
	// after that.
	Lease time.Duration
	// Retention is how long sent and dead messages are kept before Purge
	// deletes them (30 days).
	Retention time.Duration
}

func (p *Policy) setDefaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = 10
	}
	if p.Batch <= 0 {
		p.Batch = 10
	}
	def(&p.BaseDelay, 30*time.Second)
	def(&p.MaxDelay, time.Hour)
	def(&p.SendTimeout, 30*time.Second)
	def(&p.Lease, time.Duration(p.Batch)*p.SendTimeout+time.Minute)
	def(&p.Retention, 30*24*time.Hour)
	if p.MaxDelay < p.BaseDelay {
		p.MaxDelay = p.BaseDelay
	}
}

// Deps are the ports the outbox needs. Renderer and Sender are needed only
// by Deliver (an operator's command that lists or retries needs neither).
type Deps struct {
	Store    ports.Outbox
	Renderer ports.MailRenderer
	Sender   ports.MailSender
	Clock    ports.Clock
	Random   ports.Random
	// Wake, when set, is called after each message is queued so that a
	// worker can look sooner than its next poll. It must not block.
	Wake func()
}

// Service is the outbox. It is safe for concurrent use.
type Service struct {
	p Policy
	d Deps
}

var _ ports.Mailer = (*Service)(nil)

// New builds the service.
func New(p Policy, d Deps) *Service {
	p.setDefaults()
	return &Service{p: p, d: d}
}

// Policy returns the policy in force (defaults filled in).
func (s *Service) Policy() Policy { return s.p }

func (s *Service) now() time.Time { return s.d.Clock.Now().UTC() }

// Enqueue validates m (message.Email.Check: no header injection, a valid
// address, a known template) and queues it, due now. It writes through the
// transaction in ctx, so it commits or rolls back with the caller's change.
// It never talks to a provider. Invalid for a bad message.
func (s *Service) Enqueue(ctx context.Context, m message.Email) error {
	const op = "outbox.Enqueue"
	if err := m.Check(op); err != nil {
		return err
	}
	now := s.now()
	q := message.Queued{
		ID:            newID(s.d.Random),
		Email:         cloneEmail(m),
		Status:        message.StatusPending,
		NextAttemptAt: now,
		CreatedAt:     now,
		UpdatedAt:     now,
	}
	if err := s.d.Store.AddMail(ctx, q); err != nil {
		return fault.Wrap(op, fault.Internal, err)
	}
	if s.d.Wake != nil {
		s.d.Wake()
	}
	return nil
}

// Outcome is what became of one message in a round of delivery.
type Outcome string

// Outcomes.
const (
	Sent     Outcome = "sent"     // the provider accepted it
	Retry    Outcome = "retry"    // a temporary failure; due again at NextAttemptAt
	Dead     Outcome = "dead"     // given up
	Released Outcome = "released" // handed back unattempted (shutdown)
	Lost     Outcome = "lost"     // the claim ran out and another worker took the message over
)

// Result reports one message of a round.
type Result struct {
	ID       string
	Template string
	// Attempt is the number of this attempt (1 for the first).
	Attempt int
	Outcome Outcome
	// Err is the failure behind Retry, Dead and Lost (nil for Sent).
	Err error
	// NextAttemptAt is when a Retry is due.
	NextAttemptAt time.Time
	// ProviderID is the provider's ID for a Sent message.
	ProviderID string
}

// Deliver runs one round: it claims up to Batch due messages and, one after
// another, renders each and hands it to the provider, then records the
// outcome. A provider error of a permanent kind (message.IsPermanent) or a
// rendering error makes the message dead at once; a temporary one retries
// it after the backoff, until MaxAttempts. When ctx ends, the send in
// flight still completes (under SendTimeout), and the messages not yet
// attempted are released for the next worker. The error is the claim's
// (the store does not answer); per-message problems are in the results.
func (s *Service) Deliver(ctx context.Context) ([]Result, error) {
	const op = "outbox.Deliver"
	if s.d.Renderer == nil || s.d.Sender == nil {
		return nil, fault.Internalf(op, "outbox built without a renderer or a sender")
	}
	if err := ctx.Err(); err != nil {
		// Stopping: claim nothing more.
		return nil, nil //nolint:nilerr // a cancelled round is not a failure
	}
	now := s.now()
	token := newToken(s.d.Random)
	claimed, err := s.d.Store.ClaimMail(ctx, now, now.Add(s.p.Lease), token, s.p.Batch)
	if err != nil {
		return nil, fault.Wrap(op, fault.Internal, err)
	}
	out := make([]Result, 0, len(claimed))
	for i, q := range claimed {
		if ctx.Err() != nil {
			for _, rest := range claimed[i:] {
				out = append(out, s.release(ctx, rest, token))
			}
			break
		}
		out = append(out, s.deliverOne(ctx, q, token))
	}
	return out, nil
}

// markTimeout bounds the bookkeeping after a send: it runs even when the
// caller's context has ended, so an accepted message is recorded.
const markTimeout = 10 * time.Second

func (s *Service) deliverOne(ctx context.Context, q message.Queued, token string) Result {
	res := Result{ID: q.ID, Template: q.Email.Template, Attempt: q.Attempts}
	// Bookkeeping and the send itself outlive a shutdown: cutting a send
	// short after the provider accepted it would send it twice.
	base := context.WithoutCancel(ctx)
	mark := func(fn func(ctx context.Context) error) error {
		mctx, cancel := context.WithTimeout(base, markTimeout)
		defer cancel()
		return fn(mctx)
	}

	if q.Attempts > s.p.MaxAttempts {
		// Claimed more often than allowed without an outcome: workers died
		// on it (a poison message). Stop before it takes another one down.
		res.Outcome, res.Err = Dead, fmt.Errorf("abandoned by %d workers without an outcome", q.Attempts-1)
		return s.settle(res, mark(func(ctx context.Context) error {
			return s.d.Store.MarkMailDead(ctx, q.ID, token, errorText(res.Err), s.now())
		}))
	}

	pid, err := s.attempt(base, q)
	now := s.now()
	switch {
	case err == nil:
		res.Outcome, res.ProviderID = Sent, pid
		return s.settle(res, mark(func(ctx context.Context) error {
			return s.d.Store.MarkMailSent(ctx, q.ID, token, now, pid)
		}))
	case message.IsPermanent(err) || errors.Is(err, errRender):
		res.Outcome, res.Err = Dead, err
	case q.Attempts >= s.p.MaxAttempts:
		res.Outcome, res.Err = Dead, fmt.Errorf("gave up after %d attempts: %w", q.Attempts, err)
	default:
		wait := s.Backoff(q.Attempts)
		if fe := fault.As(err); fe != nil && fe.RetryAfter > wait {
			wait = min(fe.RetryAfter, s.p.MaxDelay)
		}
		res.Outcome, res.Err, res.NextAttemptAt = Retry, err, now.Add(wait)
		return s.settle(res, mark(func(ctx context.Context) error {
			return s.d.Store.MarkMailRetry(ctx, q.ID, token, res.NextAttemptAt, errorText(err), now)
		}))
	}
	return s.settle(res, mark(func(ctx context.Context) error {
		return s.d.Store.MarkMailDead(ctx, q.ID, token, errorText(res.Err), now)
	}))
}

// errRender marks rendering failures: a template that cannot render this
// message will not render it on the next try either.
var errRender = errors.New("cannot render the message")

// attempt renders and sends q, turning a panic in either into an error so
// that one poison message cannot stop the worker.
func (s *Service) attempt(ctx context.Context, q message.Queued) (pid string, err error) {
	defer func() {
		if r := recover(); r != nil {
			pid, err = "", &fault.Error{Op: "outbox.Deliver", Kind: fault.Invalid, Msg: "The message crashed its delivery", Err: fmt.Errorf("panic: %v", r)}
		}
	}()
	r, err := s.d.Renderer.Render(q.Email)
	if err != nil {
		return "", fmt.Errorf("%w: %w", errRender, err)
	}
	r.ID = q.ID
	sctx, cancel := context.WithTimeout(ctx, s.p.SendTimeout)
	defer cancel()
	pid, err = s.d.Sender.Send(sctx, r)
	if err != nil && sctx.Err() != nil && fault.As(err) == nil {
		// The provider hung until the deadline: temporary.
		err = &fault.Error{Op: "outbox.Deliver", Kind: fault.Unavailable, Msg: "The email provider timed out", Err: err}
	}
	return pid, err
}

// settle records a failure to write the outcome on the result: Conflict
// means the lease ran out and another worker owns the message now.
func (s *Service) settle(res Result, markErr error) Result {
	if markErr == nil {
		return res
	}
	if fault.Is(markErr, fault.Conflict) {
		res.Outcome = Lost
	}
	res.Err = errors.Join(res.Err, markErr)
	return res
}

func (s *Service) release(ctx context.Context, q message.Queued, token string) Result {
	res := Result{ID: q.ID, Template: q.Email.Template, Attempt: q.Attempts, Outcome: Released}
	mctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), markTimeout)
	defer cancel()
	if err := s.d.Store.ReleaseMail(mctx, q.ID, token, s.now()); err != nil {
		// The lease will hand it back anyway.
		res.Err = err
	}
	return res
}

// Backoff returns the jittered wait after the attempt-th failure:
// BaseDelay * 2^(attempt-1), capped at MaxDelay, then scaled to a random
// point between half and all of it.
func (s *Service) Backoff(attempt int) time.Duration {
	d := s.p.BaseDelay
	for i := 1; i < attempt && d < s.p.MaxDelay; i++ {
		d *= 2
	}
	d = min(d, s.p.MaxDelay)
	var b [8]byte
	s.d.Random.Read(b[:])
	// A uniform fraction in [0, 1) from the top 53 bits.
	frac := float64(binary.BigEndian.Uint64(b[:])>>11) / (1 << 53)
	half := d / 2
	return half + time.Duration(frac*float64(d-half))
}

// List returns outbox messages, newest first, without their values'
// secrets: every Sensitive value is shown as message.Redacted.
func (s *Service) List(ctx context.Context, f message.OutboxFilter) ([]message.Queued, string, error) {
	const op = "outbox.List"
	if f.Status != "" && !f.Status.Valid() {
		return nil, "", &fault.Error{Op: op, Kind: fault.Invalid, Msg: "Validation failed",
			Fields: map[string][]string{"status": {"Must be pending, sent or dead"}}}
	}
	qs, next, err := s.d.Store.ListMail(ctx, f)
	if err != nil {
		return nil, "", fault.Wrap(op, fault.Internal, err)
	}
	for i := range qs {
		qs[i] = redactQueued(qs[i])
	}
	return qs, next, nil
}

// Get returns one message, its secrets redacted. NotFound when absent.
func (s *Service) Get(ctx context.Context, id string) (message.Queued, error) {
	q, err := s.d.Store.MailByID(ctx, id)
	if err != nil {
		return message.Queued{}, fault.Wrap("outbox.Get", fault.Internal, err)
	}
	return redactQueued(q), nil
}

// Counts returns how many messages are in each status.
func (s *Service) Counts(ctx context.Context) (map[message.Status]int, error) {
	c, err := s.d.Store.CountMail(ctx)
	return c, fault.Wrap("outbox.Counts", fault.Internal, err)
}

// Retry puts a dead (or waiting) message back in the queue with a fresh
// set of attempts, due now. NotFound when absent; Conflict when it was sent.
func (s *Service) Retry(ctx context.Context, id string) (message.Queued, error) {
	const op = "outbox.Retry"
	q, err := s.d.Store.RetryMail(ctx, id, s.now())
	if err != nil {
		if fault.Is(err, fault.Conflict) {
			return message.Queued{}, &fault.Error{Op: op, Kind: fault.Conflict, Msg: "The message was already sent", Err: err}
		}
		return message.Queued{}, fault.Wrap(op, fault.Internal, err)
	}
	if s.d.Wake != nil {
		s.d.Wake()
	}
	return redactQueued(q), nil
}

// Purge deletes sent and dead messages older than the retention and
// returns how many.
func (s *Service) Purge(ctx context.Context) (int, error) {
	n, err := s.d.Store.PurgeMail(ctx, s.now().Add(-s.p.Retention))
	return n, fault.Wrap("outbox.Purge", fault.Internal, err)
}

// redactQueued hides the secrets of a message shown to an operator, and
// the claim token.
func redactQueued(q message.Queued) message.Queued {
	q.Email = q.Email.Redact()
	q.ClaimToken = ""
	return q
}

// maxErrorText caps the stored error text.
const maxErrorText = 1000

// errorText is the one-line, bounded form of err kept on the message.
func errorText(err error) string {
	if err == nil {
		return ""
	}
	s := strings.Join(strings.Fields(err.Error()), " ")
	if len(s) > maxErrorText {
		s = s[:maxErrorText]
		for len(s) > 0 && !utf8.ValidString(s) {
			s = s[:len(s)-1]
		}
	}
	return s
}

func cloneEmail(m message.Email) message.Email {
	vars := make(map[string]string, len(m.Vars))
	for k, v := range m.Vars {
		vars[k] = v
	}
	m.Vars = vars
	m.Sensitive = append([]string(nil), m.Sensitive...)
	return m
}

// newID returns a random (version 4) UUID.
func newID(r ports.Random) string {
	var b [16]byte
	r.Read(b[:])
	b[6] = (b[6] & 0x0f) | 0x40
	b[8] = (b[8] & 0x3f) | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// newToken returns a random claim token.
func newToken(r ports.Random) string {
	var b [18]byte
	r.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}
