package oidc

import (
	"strings"
	"time"
)

// ResponseTypeDevice marks the authorization request that carries a
// device authorization grant (RFC 8628) through the hosted login and
// consent pages. Its ID is the device grant's ID; it has no redirect URI.
const ResponseTypeDevice = "device"

// DeviceStatus is where a device authorization grant is in its life.
type DeviceStatus string

// Device grant states.
const (
	DevicePending  DeviceStatus = "pending"  // waiting for the user
	DeviceApproved DeviceStatus = "approved" // the user approved; the next poll gets tokens
	DeviceDenied   DeviceStatus = "denied"   // the user denied
	DeviceRedeemed DeviceStatus = "redeemed" // tokens were issued; further polls fail
)

// DeviceGrant is one device authorization (RFC 8628). Only hashes of the
// device code and of the normalised user code are stored.
type DeviceGrant struct {
	ID             string
	ClientID       string
	DeviceCodeHash string
	UserCodeHash   string
	Scopes         []string
	Status         DeviceStatus
	// Interval is the minimum time between polls; it grows by 5 s with
	// every slow_down answer.
	Interval     time.Duration
	LastPolledAt *time.Time
	CreatedAt    time.Time
	ExpiresAt    time.Time

	// Set when the user approved.
	Subject   string
	SessionID string
	AMR       []string
	ACR       string
	AuthTime  time.Time
}

// NormalizeUserCode returns a user code as stored: upper case, without the
// dashes and spaces people type (RFC 8628 6.1).
func NormalizeUserCode(code string) string {
	var b strings.Builder
	for _, r := range strings.ToUpper(code) {
		if r == '-' || r == ' ' || r == '\t' {
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
