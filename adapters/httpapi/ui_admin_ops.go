package httpapi

import (
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/secuird/secuird/core/identity"
	"github.com/secuird/secuird/core/message"
	"github.com/secuird/secuird/core/oidc"
)

// adminOutboxPerPage is the outbox list's page size.
const adminOutboxPerPage = 50

// adminOverviewView is the administration overview: cheap totals only.
type adminOverviewView struct {
	// Users is nil when the counts are unavailable.
	Users        *adminUserCounts
	Outbox       *adminOutboxCounts
	Keys         []adminKeyRow
	NextRotation time.Time
	// KeysUnavailable is set when the key set could not be read.
	KeysUnavailable bool
}

// adminUserCounts are the overview's user and organization totals.
type adminUserCounts struct {
	Users, Active, Suspended, Deleted, Orgs int
}

// adminOutboxCounts are the outbox totals per status.
type adminOutboxCounts struct {
	Pending, Sent, Dead int
}

// adminOverviewPage is GET /admin: user, organization and outbox totals,
// the active signing keys and the next scheduled rotation.
func (h *handlers) adminOverviewPage(c *fiber.Ctx) error {
	ctx, viewer := c.UserContext(), uiPrincipal(c).User
	v := adminOverviewView{}
	o, err := h.d.Admin.PlatformOverview(ctx, viewer)
	if err != nil {
		logger(c).Warn("admin overview: user counts unavailable", "error", err.Error())
	} else {
		v.Users = &adminUserCounts{Users: o.Users, Active: o.UsersByStatus[identity.StatusActive],
			Suspended: o.UsersByStatus[identity.StatusSuspended], Deleted: o.DeletedUsers, Orgs: o.Orgs}
	}
	if h.d.MailOutbox != nil {
		counts, err := h.d.MailOutbox.CountsFor(ctx, viewer)
		if err != nil {
			return h.adminFailPage(c, err)
		}
		v.Outbox = &adminOutboxCounts{Pending: counts[message.StatusPending], Sent: counts[message.StatusSent], Dead: counts[message.StatusDead]}
	}
	keys, err := h.d.OIDC.Provider.AdminKeys(ctx, viewer)
	if err != nil {
		logger(c).Warn("admin overview: signing keys unavailable", "error", err.Error())
		v.KeysUnavailable = true
	} else {
		for _, k := range keys.Keys {
			if k.State == oidc.KeyActive {
				v.Keys = append(v.Keys, adminKeyRow{ID: k.ID, Alg: k.Alg, StateKey: "admin.keys.state.active"})
			}
		}
		v.NextRotation = keys.NextRotation
	}
	return h.sendPage(c, fiber.StatusOK, pageAdminOverview, h.adminPage(c, "admin.overview.title", v, ""))
}

// adminMessageRow is one outbox message without its values: the link
// tokens of an undelivered message are live secrets and never shown.
type adminMessageRow struct {
	ID, Template, To, Status, StatusKey, BadgeClass string
	Attempts                                        int
	LastError                                       string
	ProviderID                                      string
	Created, Updated                                time.Time
	Sent                                            *time.Time
	// NextAttempt is when a pending message is next due.
	NextAttempt *time.Time
	// Retry offers a new set of attempts (dead messages).
	Retry bool
}

func adminViewMessage(q message.Queued) adminMessageRow {
	r := adminMessageRow{ID: q.ID, Template: q.Email.Template, To: q.Email.To, Status: string(q.Status),
		StatusKey: "admin.outbox.status." + string(q.Status), Attempts: q.Attempts, LastError: q.LastError,
		ProviderID: q.ProviderID, Created: q.CreatedAt, Updated: q.UpdatedAt, Sent: q.SentAt, Retry: q.Status == message.StatusDead}
	switch q.Status {
	case message.StatusSent:
		r.BadgeClass = "badge-success"
	case message.StatusDead:
		r.BadgeClass = "badge-danger"
	default:
		r.BadgeClass = "badge-info"
		next := q.NextAttemptAt
		r.NextAttempt = &next
	}
	return r
}

// adminOutboxView is the outbox page: counts, the status filter, a page
// of messages and the next page's link.
type adminOutboxView struct {
	Counts    adminOutboxCounts
	Statuses  []adminOption
	Status    string
	Rows      []adminMessageRow
	NextHref  string
	FirstHref string
	// Unavailable is set when the deployment has no outbox.
	Unavailable bool
}

// adminOutboxStatuses are the outbox filter's choices.
var adminOutboxStatuses = []struct{ Value, Label string }{
	{"", "admin.outbox.filter.all"},
	{string(message.StatusPending), "admin.outbox.status.pending"},
	{string(message.StatusDead), "admin.outbox.status.dead"},
	{string(message.StatusSent), "admin.outbox.status.sent"},
}

// adminOutboxPage is GET /admin/outbox?status=&cursor=: counts per status
// and the messages newest first, a keyset page at a time.
func (h *handlers) adminOutboxPage(c *fiber.Ctx) error {
	status := strings.Clone(c.Query("status"))
	v := adminOutboxView{Status: status}
	for _, f := range adminOutboxStatuses {
		v.Statuses = append(v.Statuses, adminOption{Value: f.Value, Label: f.Label, Selected: f.Value == status})
	}
	if h.d.MailOutbox == nil {
		v.Unavailable = true
		return h.sendPage(c, fiber.StatusOK, pageAdminOutbox, h.adminPage(c, "admin.outbox.title", v, ""))
	}
	ctx, viewer := c.UserContext(), uiPrincipal(c).User
	qs, next, err := h.d.MailOutbox.ListFor(ctx, viewer, message.OutboxFilter{Status: message.Status(status),
		Cursor: strings.Clone(c.Query("cursor")), Limit: adminOutboxPerPage})
	if err != nil {
		return h.adminFailPage(c, err)
	}
	counts, err := h.d.MailOutbox.CountsFor(ctx, viewer)
	if err != nil {
		return h.adminFailPage(c, err)
	}
	v.Counts = adminOutboxCounts{Pending: counts[message.StatusPending], Sent: counts[message.StatusSent], Dead: counts[message.StatusDead]}
	for _, q := range qs {
		v.Rows = append(v.Rows, adminViewMessage(q))
	}
	p := url.Values{}
	if status != "" {
		p.Set("status", status)
	}
	v.FirstHref = "/admin/outbox"
	if len(p) > 0 {
		v.FirstHref += "?" + p.Encode()
	}
	if next != "" {
		p.Set("cursor", next)
		v.NextHref = "/admin/outbox?" + p.Encode()
	}
	if c.Query("cursor") == "" {
		v.FirstHref = ""
	}
	return h.sendPage(c, fiber.StatusOK, pageAdminOutbox, h.adminPage(c, "admin.outbox.title", v, ""))
}

// adminMessagePage is GET /admin/outbox/:id: one message's delivery
// record (template, recipient, status, attempts, last error, times),
// never its values.
func (h *handlers) adminMessagePage(c *fiber.Ctx) error {
	if h.d.MailOutbox == nil {
		return h.uiNotFound(c)
	}
	q, err := h.d.MailOutbox.GetFor(c.UserContext(), uiPrincipal(c).User, strings.Clone(c.Params("id")))
	if err != nil {
		return h.adminFailPage(c, err)
	}
	return h.sendPage(c, fiber.StatusOK, pageAdminMessage, h.adminPage(c, "admin.message.title", adminViewMessage(q), "/admin/outbox"))
}

// adminRetrySubmit is POST /admin/outbox/:id/retry: a dead message gets a
// fresh set of attempts (a sent one is refused by the use case).
func (h *handlers) adminRetrySubmit(c *fiber.Ctx) error {
	if h.d.MailOutbox == nil {
		return h.uiNotFound(c)
	}
	id := strings.Clone(c.Params("id"))
	back := "/admin/outbox/" + url.PathEscape(id)
	if _, err := h.d.MailOutbox.RetryFor(c.UserContext(), uiPrincipal(c).User, id); err != nil {
		return h.adminRefusal(c, back, err, "admin.message.retry.sent")
	}
	return h.redirectFlash(c, back, "success", "admin.message.retry.done")
}

// adminKeyRow is one signing key: metadata only, never key material.
type adminKeyRow struct {
	ID, Alg, StateKey, BadgeClass string
	Created, ActivateAt           time.Time
	RetireAt, RetiredAt           *time.Time
	// Next is a published key that is not active yet.
	Next bool
}

// adminKeysView is the signing keys page.
type adminKeysView struct {
	Keys         []adminKeyRow
	NextRotation time.Time
}

// adminKeysPage is GET /admin/keys: every signing key with its state and
// schedule, and the rotate button.
func (h *handlers) adminKeysPage(c *fiber.Ctx) error {
	o, err := h.d.OIDC.Provider.AdminKeys(c.UserContext(), uiPrincipal(c).User)
	if err != nil {
		return h.adminFailPage(c, err)
	}
	v := adminKeysView{NextRotation: o.NextRotation}
	for _, k := range o.Keys {
		r := adminKeyRow{ID: k.ID, Alg: k.Alg, StateKey: "admin.keys.state." + string(k.State), Created: k.CreatedAt,
			ActivateAt: k.ActivateAt, RetireAt: k.RetireAt, RetiredAt: k.RetiredAt, Next: k.State == oidc.KeyNext}
		switch k.State {
		case oidc.KeyActive:
			r.BadgeClass = "badge-success"
		case oidc.KeyNext:
			r.BadgeClass = "badge-info"
		case oidc.KeyRetiring:
			r.BadgeClass = "badge-warn"
		default:
			r.BadgeClass = ""
		}
		v.Keys = append(v.Keys, r)
	}
	return h.sendPage(c, fiber.StatusOK, pageAdminKeys, h.adminPage(c, "admin.keys.title", v, ""))
}

// adminRotateSubmit is POST /admin/keys/rotate (after a confirmation):
// the next keys become active at once and the active ones start retiring.
func (h *handlers) adminRotateSubmit(c *fiber.Ctx) error {
	if !formConfirmed(c) {
		return h.uiConfirm(c, SectionAdmin, confirmView{Reversible: true, Message: "admin.keys.rotate.confirm", Button: "admin.keys.rotate.button",
			Action: "/admin/keys/rotate", Back: "/admin/keys"})
	}
	if err := h.d.OIDC.Provider.AdminRotateKeys(c.UserContext(), uiPrincipal(c).User, requestSource(c)); err != nil {
		return h.adminRefusal(c, "/admin/keys", err, "admin.refused.conflict")
	}
	return h.redirectFlash(c, "/admin/keys", "success", "admin.keys.rotate.done")
}
