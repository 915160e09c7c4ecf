package mail

import (
	"maps"

	"github.com/secuird/secuird/core/message"
)

// sampleTo is the recipient of every sample message.
const sampleTo = "ada@example.com"

// samples are realistic values for every template, for previews, golden
// tests and the operator's send-test. Links point at example.com and carry
// no real token.
var samples = map[string]map[string]string{
	message.VerifyEmail: {
		"link": "https://id.example.com/verify-email?token=sample-verification-token", "expires_in": "24 hours",
	},
	message.PasswordReset: {
		"link": "https://id.example.com/reset-password?token=sample-reset-token", "expires_in": "2 hours", "ip": "203.0.113.7",
	},
	message.PasswordChanged: {"link": "https://id.example.com/forgot-password"},
	message.NewSignIn: {
		"ip": "203.0.113.7", "user_agent": "Firefox 128 on Linux", "time": "14 March 2025, 15:09 UTC",
		"link": "https://id.example.com/account/security",
	},
	message.MFAEnabled:     {"method": "An authenticator app", "link": "https://id.example.com/account/security"},
	message.MFADisabled:    {"method": "A passkey", "link": "https://id.example.com/account/security"},
	message.BackupCodeUsed: {"remaining": "7", "link": "https://id.example.com/account/security"},
	message.MFAReminder: {
		"org_name": "Acme Corp", "deadline": "28 March 2025", "link": "https://id.example.com/account/security",
	},
	message.MFASuspended: {"org_name": "Acme Corp", "link": "https://id.example.com/account/security"},
	message.OrgInvite: {
		"org_name": "Acme Corp", "inviter_name": "Grace Hopper", "role": "admin",
		"link": "https://id.example.com/invite?token=sample-invite-token", "expires_in": "7 days",
	},
	message.InviteAccepted: {
		"org_name": "Acme Corp", "member_name": "Alan Turing", "member_email": "alan@example.com", "role": "member",
		"link": "https://id.example.com/organizations/acme-corp/members",
	},
	message.OwnershipTransfer: {"org_name": "Acme Corp", "from_name": "Grace Hopper", "to_name": "Ada Lovelace"},
	message.AccountSuspended: {
		"reason": "Repeated sign-in attempts from a compromised network", "support_email": "support@example.com",
	},
	message.TestMessage: {},
}

// sensitiveSamples marks the sample values that would be live secrets.
var sensitiveSamples = map[string][]string{
	message.VerifyEmail:   {"link"},
	message.PasswordReset: {"link"},
	message.OrgInvite:     {"link"},
}

// Sample returns a message of the given template filled with realistic
// sample values, and whether the template is known.
func Sample(template string) (message.Email, bool) {
	vars, ok := samples[template]
	if !ok {
		return message.Email{}, false
	}
	v := maps.Clone(vars)
	v["name"] = "Ada Lovelace"
	return message.Email{
		To: sampleTo, ToName: "Ada Lovelace", Template: template, Vars: v,
		Sensitive: append([]string(nil), sensitiveSamples[template]...),
	}, true
}
