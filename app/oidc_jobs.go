package app

import (
	"context"
	"time"
)

// oidcJobInterval is how often each node tries the provider's maintenance
// job (key rotation and retirement, purge of expired requests); the
// database lease lets one node at a time run it.
const oidcJobInterval = 10 * time.Minute

// startOIDCJobs runs provider.Maintain shortly after start-up and then
// every oidcJobInterval until stopped.
func (a *App) startOIDCJobs() (stop func()) {
	if a.Provider == nil {
		return func() {}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	holder := nodeID()
	go func() {
		defer close(done)
		wait := 30 * time.Second
		for {
			select {
			case <-ctx.Done():
				return
			case <-time.After(wait):
			}
			wait = oidcJobInterval
			rep, err := a.Provider.Maintain(ctx, holder)
			switch {
			case err != nil && ctx.Err() == nil:
				a.log.Error("oidc maintenance failed", "error", err.Error())
			case rep.Ran && (rep.AuthRequestsDeleted > 0 || rep.DeviceGrantsDeleted > 0):
				a.log.Info("oidc maintenance", "auth_requests_deleted", rep.AuthRequestsDeleted, "device_grants_deleted", rep.DeviceGrantsDeleted)
			}
		}
	}()
	bdone := make(chan struct{})
	go func() {
		defer close(bdone)
		for {
			select {
			case <-ctx.Done():
				return
			case <-time.After(backchannelInterval):
			}
			rep, err := a.Provider.DeliverBackchannel(ctx, 100)
			switch {
			case err != nil && ctx.Err() == nil:
				a.log.Error("back-channel logout delivery failed", "error", err.Error())
			case rep.Retrying > 0 || rep.Failed > 0:
				a.log.Warn("back-channel logout delivery", "delivered", rep.Delivered, "retrying", rep.Retrying, "failed", rep.Failed)
			}
		}
	}()
	return func() { cancel(); <-done; <-bdone }
}

// backchannelInterval is how often each node sends due back-channel
// logout tokens (deliveries are leased, so nodes do not send one twice).
const backchannelInterval = 2 * time.Second
