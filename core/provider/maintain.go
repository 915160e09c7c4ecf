package provider

import (
	"context"
	"time"

	"github.com/secuird/secuird/core/fault"
)

// MaintenanceJob names the provider's lease.
const MaintenanceJob = "oidc-maintenance"

// MaintenanceReport says what a maintenance run did.
type MaintenanceReport struct {
	// Ran is false when another node held the lease.
	Ran                 bool
	AuthRequestsDeleted int
	DeviceGrantsDeleted int
}

// Maintain is the provider's scheduled job, run by one node at a time (a
// database lease held by holder): key maintenance (rotation of an active
// key past KeyRotation, retirement of keys retiring for KeyRetireAfter)
// and the purge of expired authorization requests and device grants.
// Without a lease port it runs unconditionally.
func (s *Service) Maintain(ctx context.Context, holder string) (MaintenanceReport, error) {
	const op = "provider.Maintain"
	now := s.now()
	if s.d.Lease != nil {
		ok, err := s.d.Lease.AcquireLease(ctx, MaintenanceJob, holder, now, now.Add(10*time.Minute))
		if err != nil {
			return MaintenanceReport{}, fault.Wrap(op, fault.Unavailable, err)
		}
		if !ok {
			return MaintenanceReport{}, nil
		}
		defer func() { _ = s.d.Lease.ReleaseLease(context.WithoutCancel(ctx), MaintenanceJob, holder) }()
	}
	rep := MaintenanceReport{Ran: true}
	if err := s.MaintainKeys(ctx); err != nil {
		return rep, err
	}
	n, err := s.d.Requests.DeleteExpiredAuthRequests(ctx, now)
	if err != nil {
		return rep, fault.Wrap(op, fault.Internal, err)
	}
	rep.AuthRequestsDeleted = n
	if s.d.Devices != nil {
		if rep.DeviceGrantsDeleted, err = s.d.Devices.DeleteExpiredDeviceGrants(ctx, now); err != nil {
			return rep, fault.Wrap(op, fault.Internal, err)
		}
	}
	return rep, nil
}
