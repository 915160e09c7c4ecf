package oidc

import "time"

// Event types of the high-volume protocol log (SEED-SPEC 10.6). They go to
// the separate, append-only oidc_events table through a batched writer,
// not to the hash-chained audit log: security-relevant events (failures,
// client changes, consent, registration, logout, revocation) stay there.
const (
	EventAuthorizationRequest  = "authorization_request"
	EventAuthorizationResponse = "authorization_response"
	EventTokenIssue            = "token_issue"
	EventTokenRefresh          = "token_refresh"
	EventTokenIntrospection    = "token_introspection"
	EventUserinfoAccess        = "userinfo_access"
	EventJWKSAccess            = "jwks_access"
	EventDeviceAuthorization   = "device_authorization"
)

// Event is one row of the protocol event log.
type Event struct {
	ID        string
	At        time.Time
	Type      string
	ClientID  string
	UserID    string
	OrgID     string
	Success   bool
	ErrorCode string
	IP        string
	UserAgent string
	RequestID string
	// Metadata is a small JSON object (grant, scopes, active...).
	Metadata map[string]any
}
