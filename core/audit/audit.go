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

// Actions written by organizations (tenancy), invites, API keys and admin
// user management. Organization-scoped entries carry OrgID.
const (
	OrgCreate               = "org.create"
	OrgUpdate               = "org.update"
	OrgDelete               = "org.delete"
	OrgMemberAdd            = "org.member.add"
	OrgMemberRemove         = "org.member.remove"
	OrgMemberRoleChange     = "org.member.role_change"
	OrgOwnershipTransferred = "org.ownership.transferred"
	InviteCreated           = "invite.created"
	InviteCancelled         = "invite.cancelled"
	InviteAccepted          = "invite.accepted"
	APIKeyCreated           = "api_key.created"
	APIKeyRevoked           = "api_key.revoked"
	APIKeyUpdated           = "api_key.updated"
	UserSuspend             = "user.suspend"
	UserUnsuspend           = "user.unsuspend"
	UserHardDelete          = "user.hard_delete"
	UserRestore             = "user.restore"
	AdminPasswordSet        = "admin.password.set"
	AdminEmailVerify        = "admin.email.verify"
	PlatformAdminGranted    = "platform_admin.granted"
	PlatformAdminRevoked    = "platform_admin.revoked"
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
	Extra       map[string]any // a JSON object; stores return its numbers as json.Number

	// Seq, PrevHash and Hash link the entry into its hash chain (see
	// ChainHash). The store sets them on append; values given to
	// AppendAudit are ignored.
	Seq      int64  // position in the chain, from 1
	PrevHash string // Hash of the previous entry of the chain ("" for the first)
	Hash     string // hex SHA-256 of the entry's canonical encoding
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
