package ports

import (
	"context"
	"time"

	"github.com/secuird/secuird/core/message"
)

// Outbox keeps email until a provider has accepted it (the durable
// outbox). Messages are written in the caller's transaction, so a change
// and the mail it causes commit together or not at all; workers on any
// number of nodes then claim due messages under a lease, and record the
// outcome only while they still hold the claim.
type Outbox interface {
	// AddMail stores q, which the caller fills (ID, Email, Status pending,
	// NextAttemptAt, CreatedAt, UpdatedAt). It joins the transaction in
	// ctx. Conflict when the ID exists.
	AddMail(ctx context.Context, q message.Queued) error
	// ClaimMail leases up to limit pending messages that are due at now
	// (NextAttemptAt <= now), oldest due first: each gets ClaimToken =
	// token, ClaimedUntil = NextAttemptAt = until, and one more attempt,
	// and is returned as stored. A claimed message is not due again until
	// its lease ends, so concurrent claims (on any node) never return the
	// same message while the lease lasts, and a crashed worker's messages
	// come back when it runs out.
	ClaimMail(ctx context.Context, now, until time.Time, token string, limit int) ([]message.Queued, error)
	// MarkMailSent records that the message claimed with token was
	// accepted at `at`: status sent, SentAt, ProviderID, the claim
	// cleared, and every Sensitive value replaced by message.Redacted.
	// NotFound when the ID is unknown; Conflict when the claim is no
	// longer held (another worker took the message over, or it is not
	// pending).
	MarkMailSent(ctx context.Context, id, token string, at time.Time, providerID string) error
	// MarkMailRetry puts the message claimed with token back in the queue,
	// due at next, with lastErr; the claim is cleared. NotFound, Conflict
	// as for MarkMailSent.
	MarkMailRetry(ctx context.Context, id, token string, next time.Time, lastErr string, at time.Time) error
	// MarkMailDead gives up on the message claimed with token: status
	// dead, lastErr, the claim cleared (values are kept for an operator's
	// retry). NotFound, Conflict as for MarkMailSent.
	MarkMailDead(ctx context.Context, id, token string, lastErr string, at time.Time) error
	// ReleaseMail hands back a message claimed with token that was not
	// attempted (a worker shutting down): due at `at`, its attempt
	// uncounted, the claim cleared. NotFound, Conflict as for MarkMailSent.
	ReleaseMail(ctx context.Context, id, token string, at time.Time) error
	// MailByID returns one message. NotFound when absent.
	MailByID(ctx context.Context, id string) (message.Queued, error)
	// ListMail returns messages matching f, newest first by (CreatedAt,
	// ID), and a cursor for the next page ("" when there is none).
	// Invalid for a malformed cursor or an unknown status.
	ListMail(ctx context.Context, f message.OutboxFilter) ([]message.Queued, string, error)
	// CountMail counts the messages in each status (absent statuses are 0).
	CountMail(ctx context.Context) (map[message.Status]int, error)
	// RetryMail puts a dead or pending message back in the queue: pending,
	// no attempts, due at now, the claim cleared (LastError stays as a
	// record until the next attempt). NotFound when absent;
	// Conflict when the message was sent (its values are redacted).
	RetryMail(ctx context.Context, id string, now time.Time) (message.Queued, error)
	// PurgeMail deletes sent and dead messages last updated before
	// `before` and returns how many it deleted. Pending messages stay.
	PurgeMail(ctx context.Context, before time.Time) (int, error)
}

// MailRenderer turns a message into its subject, plain text and HTML.
type MailRenderer interface {
	// Render renders m; the result's ID is left empty for the caller.
	// Invalid when the template is unknown or lacks a required value.
	Render(m message.Email) (message.Rendered, error)
}

// MailSender hands a rendered message to an email provider.
type MailSender interface {
	// Send delivers m and returns the provider's ID for it ("" when it
	// gives none). m.ID is the idempotency key: implementations pass it on
	// where the provider supports one. The error's kind tells the caller
	// what to do (message.IsPermanent): Invalid, NotFound, Unauthenticated
	// or Forbidden when the provider refused the message or the
	// credentials for good; Unavailable (with RetryAfter when known) or
	// RateLimited when a retry may succeed (timeouts, 5xx, 429). Send
	// honours ctx's deadline.
	Send(ctx context.Context, m message.Rendered) (string, error)
}
