package mfa

import (
	"slices"
	"time"
)

// Mode is an organization's MFA policy mode (SEED-SPEC 9.3).
type Mode string

// The policy modes.
const (
	ModeDisabled              Mode = "disabled"
	ModeOptional              Mode = "optional"
	ModeRequireTOTP           Mode = "require_totp"
	ModeRequireWebAuthn       Mode = "require_webauthn"
	ModeRequireTOTPOrWebAuthn Mode = "require_totp_or_webauthn"
)

// Modes lists every mode.
func Modes() []Mode {
	return []Mode{ModeDisabled, ModeOptional, ModeRequireTOTP, ModeRequireWebAuthn, ModeRequireTOTPOrWebAuthn}
}

// Valid reports whether m is a known mode.
func (m Mode) Valid() bool { return slices.Contains(Modes(), m) }

// Policy limits and defaults.
const (
	DefaultGraceDays  = 14
	DefaultNotifyDays = 7
	MaxGraceDays      = 365
	MaxNotifyDays     = 30
)

// Policy is an organization's MFA policy. Version grows by one with every
// change; compliance records remember the version they were computed for.
type Policy struct {
	OrgID            string
	Mode             Mode
	GraceDays        int
	NotifyDaysBefore int
	Version          int
	UpdatedByID      string
	CreatedAt        time.Time
	UpdatedAt        time.Time
}

// DefaultPolicy is the policy of an organization that never set one.
func DefaultPolicy(orgID string) Policy {
	return Policy{OrgID: orgID, Mode: ModeOptional, GraceDays: DefaultGraceDays, NotifyDaysBefore: DefaultNotifyDays}
}

// OverrideMode is a per-user exception to an organization's policy.
type OverrideMode string

// The override modes.
const (
	OverrideInherit  OverrideMode = "inherit"
	OverrideRequired OverrideMode = "required" // at least require_totp_or_webauthn
	OverrideExempt   OverrideMode = "exempt"   // nothing required
)

// Valid reports whether o is a known override mode.
func (o OverrideMode) Valid() bool {
	return o == OverrideInherit || o == OverrideRequired || o == OverrideExempt
}

// Override is one user's exception in one organization. ForceTOTP and
// ForceWebAuthn add that factor to whatever else is required.
type Override struct {
	OrgID         string
	UserID        string
	Mode          OverrideMode
	ForceTOTP     bool
	ForceWebAuthn bool
	UpdatedByID   string
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// Need is what a user must have set up: every factor marked All, and at
// least one second factor when Either is set.
type Need struct {
	TOTP     bool
	WebAuthn bool
	Either   bool
}

// None reports whether nothing is required.
func (n Need) None() bool { return !n.TOTP && !n.WebAuthn && !n.Either }

// Merge combines two needs: the result demands everything either demands.
func (n Need) Merge(o Need) Need {
	return Need{TOTP: n.TOTP || o.TOTP, WebAuthn: n.WebAuthn || o.WebAuthn, Either: n.Either || o.Either}
}

// SatisfiedBy reports whether the methods meet the need. Either is met by
// TOTP or a passkey alone (the previous system wrongly demanded both).
func (n Need) SatisfiedBy(m Methods) bool {
	if n.TOTP && !m.TOTP {
		return false
	}
	if n.WebAuthn && !m.WebAuthn {
		return false
	}
	if n.Either && !m.Any() {
		return false
	}
	return true
}

// Missing names what is still to set up: "totp", "webauthn", or
// "totp_or_webauthn".
func (n Need) Missing(m Methods) []string {
	out := []string{}
	if n.TOTP && !m.TOTP {
		out = append(out, "totp")
	}
	if n.WebAuthn && !m.WebAuthn {
		out = append(out, "webauthn")
	}
	if n.Either && !m.Any() && len(out) == 0 {
		out = append(out, "totp_or_webauthn")
	}
	return out
}

// NeedOf is the requirement a policy and an optional override place on a
// user (SEED-SPEC 9.3): exempt requires nothing; required adds "either";
// the force flags add their factor.
func NeedOf(p Policy, o *Override) Need {
	var n Need
	switch p.Mode {
	case ModeRequireTOTP:
		n.TOTP = true
	case ModeRequireWebAuthn:
		n.WebAuthn = true
	case ModeRequireTOTPOrWebAuthn:
		n.Either = true
	}
	if o == nil {
		return n
	}
	switch o.Mode {
	case OverrideExempt:
		return Need{}
	case OverrideRequired:
		n.Either = true
	}
	n.TOTP = n.TOTP || o.ForceTOTP
	n.WebAuthn = n.WebAuthn || o.ForceWebAuthn
	return n
}

// Status is a compliance state (SEED-SPEC 9.4).
type Status string

// The compliance states.
const (
	StatusNotApplicable Status = "not_applicable"
	StatusPending       Status = "pending"
	StatusInGrace       Status = "in_grace"
	StatusCompliant     Status = "compliant"
	StatusPastDue       Status = "past_due"
	StatusSuspended     Status = "suspended"
)

// Valid reports whether s is a known status.
func (s Status) Valid() bool {
	switch s {
	case StatusNotApplicable, StatusPending, StatusInGrace, StatusCompliant, StatusPastDue, StatusSuspended:
		return true
	}
	return false
}

// Severity orders statuses for the aggregate (SEED-SPEC 9.5): suspended >
// past_due > in_grace > pending > compliant > not_applicable.
func (s Status) Severity() int {
	switch s {
	case StatusSuspended:
		return 5
	case StatusPastDue:
		return 4
	case StatusInGrace:
		return 3
	case StatusPending:
		return 2
	case StatusCompliant:
		return 1
	}
	return 0
}

// Restricts reports whether a user in this state gets only a
// compliance-only session (SEED-SPEC 9.5).
func (s Status) Restricts() bool { return s == StatusPastDue || s == StatusSuspended }

// Compliance is one user's standing against one organization's policy.
type Compliance struct {
	OrgID             string
	UserID            string
	Status            Status
	PolicyVersion     int
	AppliedAt         time.Time
	DeadlineAt        *time.Time
	CompliantAt       *time.Time
	SuspendedAt       *time.Time
	LastNotifiedAt    *time.Time
	NotificationCount int
	CreatedAt         time.Time
	UpdatedAt         time.Time
}

// At returns the status as it stands at now: a record waiting for its
// deadline (in_grace or pending) is past_due once the deadline has come.
func (c Compliance) At(now time.Time) Status {
	if (c.Status == StatusInGrace || c.Status == StatusPending) && c.DeadlineAt != nil && !now.Before(*c.DeadlineAt) {
		return StatusPastDue
	}
	return c.Status
}

// Evaluate computes a user's compliance with one organization at now from
// the previous record (nil when there is none), the requirement and the
// methods the user has (SEED-SPEC 9.4):
//
//   - nothing required: not_applicable;
//   - requirement met: compliant (and no longer suspended);
//   - otherwise a deadline applies: kept while the policy version is
//     unchanged, else now + grace; with grace the record is in_grace
//     until the deadline, without grace pending with the deadline now;
//     past the deadline past_due; a suspended record stays suspended
//     until the requirement is met.
//
// Notification bookkeeping is kept. The result's UpdatedAt is now.
func Evaluate(prev *Compliance, orgID, userID string, p Policy, need Need, has Methods, now time.Time) Compliance {
	c := Compliance{OrgID: orgID, UserID: userID, PolicyVersion: p.Version, AppliedAt: now, CreatedAt: now, UpdatedAt: now}
	if prev != nil {
		c.CreatedAt = prev.CreatedAt
		c.LastNotifiedAt, c.NotificationCount = prev.LastNotifiedAt, prev.NotificationCount
		if prev.PolicyVersion == p.Version {
			c.AppliedAt = prev.AppliedAt
		}
	}
	switch {
	case need.None():
		c.Status = StatusNotApplicable
		return c
	case need.SatisfiedBy(has):
		c.Status = StatusCompliant
		c.CompliantAt = &now
		if prev != nil && prev.Status == StatusCompliant && prev.CompliantAt != nil {
			c.CompliantAt = prev.CompliantAt
		}
		return c
	}
	waiting := prev != nil && prev.DeadlineAt != nil &&
		(prev.Status == StatusInGrace || prev.Status == StatusPending || prev.Status == StatusPastDue || prev.Status == StatusSuspended)
	if waiting && prev.PolicyVersion == p.Version {
		d := *prev.DeadlineAt
		c.DeadlineAt = &d
	} else if waiting && prev.Status == StatusSuspended {
		// A policy change does not lift a suspension: only compliance does.
		d := *prev.DeadlineAt
		c.DeadlineAt = &d
	} else {
		d := now.Add(time.Duration(p.GraceDays) * 24 * time.Hour)
		c.DeadlineAt = &d
	}
	if prev != nil && prev.Status == StatusSuspended {
		c.Status = StatusSuspended
		c.SuspendedAt = prev.SuspendedAt
		return c
	}
	switch {
	case now.Before(*c.DeadlineAt):
		c.Status = StatusInGrace
	case p.GraceDays == 0 && !waiting:
		c.Status = StatusPending
	default:
		c.Status = StatusPastDue
	}
	return c
}

// Suspend moves an overdue record to suspended at now. ok is false when
// the record is not overdue (nothing changes).
func Suspend(c Compliance, now time.Time) (Compliance, bool) {
	if c.At(now) != StatusPastDue {
		return c, false
	}
	c.Status = StatusSuspended
	c.SuspendedAt = &now
	c.UpdatedAt = now
	return c, true
}

// ReminderDue reports whether a reminder should go out at now: the record
// waits for its deadline, the deadline is within the notify window, and no
// reminder went out in the last 24 hours.
func ReminderDue(c Compliance, p Policy, now time.Time) bool {
	if c.DeadlineAt == nil {
		return false
	}
	switch c.At(now) {
	case StatusInGrace, StatusPending:
	default:
		return false
	}
	window := time.Duration(p.NotifyDaysBefore) * 24 * time.Hour
	if now.Before(c.DeadlineAt.Add(-window)) {
		return false
	}
	return c.LastNotifiedAt == nil || !now.Before(c.LastNotifiedAt.Add(24*time.Hour))
}

// OrgStanding is one organization's row of a user's aggregate.
type OrgStanding struct {
	OrgID   string
	OrgName string
	Need    Need
	Record  Compliance
	Status  Status // Record.At(now)
	Missing []string
}

// Aggregate is a user's standing across all organizations (SEED-SPEC 9.5).
type Aggregate struct {
	Overall Status
	// Missing is the union of what is still to set up.
	Missing []string
	// Deadline is the earliest deadline of a record still waiting.
	Deadline *time.Time
	Orgs     []OrgStanding
}

// Restricted reports whether the user gets only a compliance-only session.
func (a Aggregate) Restricted() bool { return a.Overall.Restricts() }

// Combine builds the aggregate: the strictest status wins.
func Combine(rows []OrgStanding) Aggregate {
	a := Aggregate{Overall: StatusNotApplicable, Missing: []string{}, Orgs: rows}
	if a.Orgs == nil {
		a.Orgs = []OrgStanding{}
	}
	for _, r := range rows {
		if r.Status.Severity() > a.Overall.Severity() {
			a.Overall = r.Status
		}
		for _, m := range r.Missing {
			if !slices.Contains(a.Missing, m) {
				a.Missing = append(a.Missing, m)
			}
		}
		if r.Status != StatusCompliant && r.Status != StatusNotApplicable && r.Record.DeadlineAt != nil {
			if a.Deadline == nil || r.Record.DeadlineAt.Before(*a.Deadline) {
				d := *r.Record.DeadlineAt
				a.Deadline = &d
			}
		}
	}
	// "either" is implied by a concrete missing factor.
	if len(a.Missing) > 1 && slices.Contains(a.Missing, "totp_or_webauthn") {
		a.Missing = slices.DeleteFunc(a.Missing, func(s string) bool { return s == "totp_or_webauthn" })
	}
	return a
}
