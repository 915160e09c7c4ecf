package oidc

import "time"

// BackchannelStatus is where a back-channel logout delivery is.
type BackchannelStatus string

// Delivery states.
const (
	BackchannelPending   BackchannelStatus = "pending"
	BackchannelDelivered BackchannelStatus = "delivered"
	BackchannelFailed    BackchannelStatus = "failed" // gave up after the last retry
)

// BackchannelLogout is one logout token to deliver to a client's
// back-channel logout URI (OIDC Back-Channel Logout 1.0), kept in a
// durable queue and retried with backoff.
type BackchannelLogout struct {
	ID            string
	ClientID      string
	URI           string
	Subject       string
	SessionID     string
	Status        BackchannelStatus
	Attempts      int
	NextAttemptAt time.Time
	LastError     string
	CreatedAt     time.Time
	DeliveredAt   *time.Time
}

// EventBackchannelLogout is the member of a logout token's "events" claim.
const EventBackchannelLogout = "http://schemas.openid.net/event/backchannel-logout"
