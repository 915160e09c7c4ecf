package mfaflow

import (
	"context"
	"time"

	"github.com/secuird/secuird/core/audit"
	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/core/identity"
	"github.com/secuird/secuird/core/message"
	"github.com/secuird/secuird/core/mfa"
	"github.com/secuird/secuird/core/org"
)

// JobName is the lease name of the compliance job.
const JobName = "mfa-compliance"

// JobReport says what one run of the compliance job did.
type JobReport struct {
	// Ran is false when another node held the lease.
	Ran         bool
	Evaluated   int
	Suspended   int
	Reminded    int
	StaleDelete int
}

// RunComplianceJob runs the scheduled job (SEED-SPEC 9.6) if this node
// (holder) gets the lease: drop records of deleted organizations and ended
// memberships; re-evaluate every record; suspend the overdue (account
// status compliance_suspended, sessions and tokens revoked, audited,
// emailed); remind those inside the notify window at most once a day; and
// restore accounts that are compliant again.
func (s *Service) RunComplianceJob(ctx context.Context, holder string) (JobReport, error) {
	const op = "mfaflow.RunComplianceJob"
	now := s.now()
	ok, err := s.d.Lease.AcquireLease(ctx, JobName, holder, now, now.Add(s.cfg.JobLease))
	if err != nil {
		return JobReport{}, fault.Wrap(op, fault.Unavailable, err)
	}
	if !ok {
		return JobReport{}, nil
	}
	defer func() { _ = s.d.Lease.ReleaseLease(context.WithoutCancel(ctx), JobName, holder) }()
	rep := JobReport{Ran: true}
	if rep.StaleDelete, err = s.d.Policies.DeleteStaleMFACompliance(ctx); err != nil {
		return rep, fault.Wrap(op, fault.Internal, err)
	}
	src := audit.Source{UserAgent: "secuird compliance job"}
	users := map[string]bool{}
	policies := map[string]mfa.Policy{}
	orgs := map[string]org.Organization{}
	afterOrg, afterUser := "", ""
	for {
		page, err := s.d.Policies.ScanMFACompliance(ctx, afterOrg, afterUser, 200)
		if err != nil {
			return rep, fault.Wrap(op, fault.Internal, err)
		}
		for _, c := range page {
			users[c.UserID] = true
			afterOrg, afterUser = c.OrgID, c.UserID
		}
		if len(page) < 200 {
			break
		}
	}
	// Re-evaluate each user everywhere (this also creates records for
	// members who joined since), then act on each record.
	for userID := range users {
		agg, err := s.EvaluateUser(ctx, userID, src)
		if err != nil {
			return rep, err
		}
		rep.Evaluated++
		for _, row := range agg.Orgs {
			p, ok := policies[row.OrgID]
			if !ok {
				if p, err = s.policyOf(ctx, row.OrgID); err != nil {
					return rep, fault.Wrap(op, fault.Internal, err)
				}
				policies[row.OrgID] = p
			}
			if _, ok := orgs[row.OrgID]; !ok {
				orgs[row.OrgID] = org.Organization{ID: row.OrgID, Name: row.OrgName}
			}
			switch {
			case row.Status == mfa.StatusPastDue:
				if err := s.suspend(ctx, row.Record, orgs[row.OrgID], src); err != nil {
					return rep, err
				}
				rep.Suspended++
			case mfa.ReminderDue(row.Record, p, s.now()):
				if err := s.remind(ctx, row.Record, orgs[row.OrgID], "", src); err != nil {
					return rep, err
				}
				rep.Reminded++
			}
		}
	}
	return rep, nil
}

// suspend moves an overdue record to suspended, marks the account
// compliance_suspended, ends its sessions and tokens, audits and emails.
func (s *Service) suspend(ctx context.Context, c mfa.Compliance, o org.Organization, src audit.Source) error {
	const op = "mfaflow.suspend"
	now := s.now()
	c, ok := mfa.Suspend(c, now)
	if !ok {
		return nil
	}
	err := s.d.Tx.InTx(ctx, func(ctx context.Context) error {
		if err := s.d.Policies.PutMFACompliance(ctx, c); err != nil {
			return err
		}
		u, err := s.d.Users.UpdateUser(ctx, c.UserID, func(u identity.User) (identity.User, error) {
			if u.Status == identity.StatusActive {
				u.Status, u.UpdatedAt = identity.StatusComplianceSuspended, now
			}
			return u, nil
		})
		if err != nil {
			return err
		}
		if err := s.record(ctx, src, audit.Entry{ActorID: c.UserID, OrgID: c.OrgID, Action: ActPolicyUserSuspended, Success: true,
			ResourceType: "user", ResourceID: c.UserID}); err != nil {
			return err
		}
		return s.mail(ctx, u, message.MFASuspended, map[string]string{"org_name": o.Name})
	})
	if err != nil {
		return fault.Wrap(op, fault.Internal, err)
	}
	// Sessions live in the ephemeral store: ended after the commit. A new
	// login gets a compliance-only session.
	if err := s.revokeAll(ctx, c.UserID, "mfa_compliance_suspended"); err != nil {
		return fault.Wrap(op, fault.Internal, err)
	}
	return nil
}

// remind emails a deadline reminder and records it on the record.
func (s *Service) remind(ctx context.Context, c mfa.Compliance, o org.Organization, actorID string, src audit.Source) error {
	const op = "mfaflow.remind"
	now := s.now()
	c.LastNotifiedAt, c.NotificationCount, c.UpdatedAt = &now, c.NotificationCount+1, now
	deadline := ""
	if c.DeadlineAt != nil {
		deadline = c.DeadlineAt.UTC().Format(time.RFC1123)
	}
	err := s.d.Tx.InTx(ctx, func(ctx context.Context) error {
		if err := s.d.Policies.PutMFACompliance(ctx, c); err != nil {
			return err
		}
		u, err := s.d.Users.UserByID(ctx, c.UserID)
		if err != nil {
			return err
		}
		actor := actorID
		if actor == "" {
			actor = c.UserID
		}
		if err := s.record(ctx, src, audit.Entry{ActorID: actor, OrgID: c.OrgID, Action: ActPolicyReminderSent, Success: true,
			ResourceType: "user", ResourceID: c.UserID, Extra: map[string]any{"count": c.NotificationCount}}); err != nil {
			return err
		}
		return s.mail(ctx, u, message.MFAReminder, map[string]string{"org_name": o.Name, "deadline": deadline})
	})
	return fault.Wrap(op, fault.Internal, err)
}

// SendReminder is the admin's reminder button: the same email as the job's,
// for a member who still has to set up MFA. Conflict when nothing is due.
func (s *Service) SendReminder(ctx context.Context, viewer identity.User, orgID, userID string, src audit.Source) error {
	const op = "mfaflow.SendReminder"
	if err := s.requireRole(ctx, op, orgID, viewer, org.Admin); err != nil {
		return err
	}
	o, err := s.d.Orgs.OrgByID(ctx, orgID)
	if err != nil {
		return fault.Wrap(op, fault.Internal, err)
	}
	if _, err := s.d.Members.Member(ctx, orgID, userID); err != nil {
		if fault.Is(err, fault.NotFound) {
			return fault.E(op, fault.NotFound, "Member not found")
		}
		return fault.Wrap(op, fault.Internal, err)
	}
	agg, err := s.EvaluateUser(ctx, userID, src)
	if err != nil {
		return err
	}
	for _, row := range agg.Orgs {
		if row.OrgID != orgID {
			continue
		}
		switch row.Status {
		case mfa.StatusCompliant, mfa.StatusNotApplicable:
			return fault.E(op, fault.Conflict, "This member has nothing to set up")
		}
		return s.remind(ctx, row.Record, o, viewer.ID, src)
	}
	return fault.E(op, fault.NotFound, "Member not found")
}
