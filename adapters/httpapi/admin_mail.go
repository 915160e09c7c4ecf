package httpapi

import (
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/core/message"
)

// adminMailRoutes adds the platform admins' view of the email outbox.
// Only platform administrators may use them (the outbox use cases decide:
// 403 AUTHORIZATION_ERROR for anyone else).
func (h *handlers) adminMailRoutes(v1 fiber.Router) {
	if h.d.MailOutbox == nil {
		return
	}
	auth := h.requireSession
	g := v1.Group("/admin/mail/outbox")
	g.Get("", auth, h.adminListOutbox)
	g.Post("/:id/retry", auth, h.adminRetryOutbox)
}

// outboxMessageView is one outbox message as the API shows it: never its
// values (links with live tokens) and never the worker's claim token.
type outboxMessageView struct {
	ID                string     `json:"id"`
	Template          string     `json:"template"`
	To                string     `json:"to"`
	Status            string     `json:"status"`
	Attempts          int        `json:"attempts"`
	LastError         string     `json:"last_error"`
	NextAttemptAt     *time.Time `json:"next_attempt_at"`
	ClaimedUntil      *time.Time `json:"claimed_until"`
	ProviderMessageID string     `json:"provider_message_id"`
	CreatedAt         time.Time  `json:"created_at"`
	UpdatedAt         time.Time  `json:"updated_at"`
	SentAt            *time.Time `json:"sent_at"`
}

func viewOutboxMessage(q message.Queued) outboxMessageView {
	v := outboxMessageView{
		ID: q.ID, Template: q.Email.Template, To: q.Email.To, Status: string(q.Status), Attempts: q.Attempts,
		LastError: q.LastError, ClaimedUntil: q.ClaimedUntil, ProviderMessageID: q.ProviderID,
		CreatedAt: q.CreatedAt, UpdatedAt: q.UpdatedAt, SentAt: q.SentAt,
	}
	if q.Status == message.StatusPending {
		next := q.NextAttemptAt
		v.NextAttemptAt = &next
	}
	return v
}

// adminListOutbox answers GET /admin/mail/outbox?status=&limit=&cursor=:
// messages newest first, the counts per status and the next page's cursor.
func (h *handlers) adminListOutbox(c *fiber.Ctx) error {
	const op = "httpapi.adminListOutbox"
	f := message.OutboxFilter{Status: message.Status(c.Query("status")), Cursor: c.Query("cursor")}
	if raw := c.Query("limit"); raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil || n < 1 || n > 200 {
			return fail(c, &fault.Error{Op: op, Kind: fault.Invalid, Msg: "Validation failed",
				Fields: map[string][]string{"limit": {"Must be a whole number from 1 to 200"}}})
		}
		f.Limit = n
	}
	actor := principal(c).User
	qs, next, err := h.d.MailOutbox.ListFor(c.UserContext(), actor, f)
	if err != nil {
		return fail(c, err)
	}
	counts, err := h.d.MailOutbox.CountsFor(c.UserContext(), actor)
	if err != nil {
		return fail(c, err)
	}
	out := make([]outboxMessageView, len(qs))
	for i, q := range qs {
		out[i] = viewOutboxMessage(q)
	}
	return respond(c, fiber.StatusOK, "Email outbox", fiber.Map{
		"messages": out, "count": len(out), "next_cursor": next,
		"counts": fiber.Map{
			"pending": counts[message.StatusPending], "sent": counts[message.StatusSent], "dead": counts[message.StatusDead],
		},
	})
}

// adminRetryOutbox answers POST /admin/mail/outbox/{id}/retry: a dead
// message is queued again with a fresh set of attempts (404 unknown, 409
// already sent).
func (h *handlers) adminRetryOutbox(c *fiber.Ctx) error {
	q, err := h.d.MailOutbox.RetryFor(c.UserContext(), principal(c).User, c.Params("id"))
	if err != nil {
		return fail(c, err)
	}
	return respond(c, fiber.StatusOK, "Message queued again", fiber.Map{"message": viewOutboxMessage(q)})
}
