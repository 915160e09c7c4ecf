// Package message describes outgoing email in terms of the product, not of a
// transport: which template, to whom, with which values. Rendering and
// delivery belong to the mail adapters.
package message

// Templates known to the core.
const (
	VerifyEmail     = "verify_email"
	PasswordReset   = "password_reset"
	PasswordChanged = "password_changed"
)

// Email is one message to one recipient.
type Email struct {
	To       string
	ToName   string
	Template string
	// Vars are the template's values (links, names, lifetimes); all of them
	// are escaped by the renderer.
	Vars map[string]string
}
