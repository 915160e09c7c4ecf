// Package audit holds the audit trail's entry type, its filter and the
// action vocabulary (SEED-SPEC 14).
package audit

import "time"

// Actions written by the account use cases. Later features add theirs.
const (
	UserRegister       = "user.register"
	UserLogin          = "user.login"
	UserLogout         = "user.logout"
	UserUpdate         = "user.update"
	UserDelete         = "user.delete"
	UserPasswordChange = "user.password_change"
	UserPasswordReset  = "user.password_reset"
	UserEmailVerified  = "user.email_verified"
	SessionCreate      = "session.create"
	SessionRevoke      = "session.revoke"
)

// Source describes where a request came from; it is copied onto every entry.
type Source struct {
	IP        string
	UserAgent string
	RequestID string
}

// Entry is one append-only audit row.
type Entry struct {
	ID           string
	At           time.Time
	ActorID      string // the user who acted; empty for anonymous failures
	Action       string
	ResourceType string
	ResourceID   string
	OrgID        string
	Source
	Success     bool
	Error       string // a short safe reason on failure
	Description string
	Extra       map[string]any
}

// Filter selects entries. Zero fields do not filter.
type Filter struct {
	ActorID      string
	OrgID        string
	Action       string
	ResourceType string
	ResourceID   string
	Success      *bool
	Since        time.Time
	Until        time.Time
	// Cursor continues a previous page (opaque; returned by the store).
	Cursor string
	// Limit is the page size; stores cap it.
	Limit int
}
