// Package message describes outgoing email in terms of the product, not of a
// transport: which template, to whom, with which values. Rendering and
// delivery belong to the mail adapters.
package message

// Templates. Each has an HTML and a plain-text rendering under
// web/templates/email. Vars every template may use: "name" (recipient's
// display name); the rest are listed per template.
const (
	VerifyEmail       = "verify_email"          // link, expires_in
	PasswordReset     = "password_reset"        // link, expires_in, ip
	PasswordChanged   = "password_changed"      // link (to reset, in case it was not them)
	NewSignIn         = "new_sign_in"           // ip, user_agent, time, link
	MFAEnabled        = "mfa_enabled"           // method, link
	MFADisabled       = "mfa_disabled"          // method, link
	BackupCodeUsed    = "backup_code_used"      // remaining, link
	MFAReminder       = "mfa_reminder"          // org_name, deadline, link
	MFASuspended      = "mfa_suspended"         // org_name, link
	OrgInvite         = "org_invite"            // org_name, inviter_name, role, link, expires_in
	InviteAccepted    = "invite_accepted"       // org_name, member_name, member_email, role
	OwnershipTransfer = "ownership_transferred" // org_name, from_name, to_name
	AccountSuspended  = "account_suspended"     // reason, support_email
	TestMessage       = "test_message"          // (operator's send-test)
)

// Email is one message to one recipient.
type Email struct {
	To       string
	ToName   string
	Template string
	// Vars are the template's values (links, names, lifetimes); all of them
	// are escaped by the renderer.
	Vars map[string]string
	// Sensitive names the Vars that hold live secrets (links with tokens);
	// a durable outbox redacts them once the message is delivered.
	Sensitive []string
}
