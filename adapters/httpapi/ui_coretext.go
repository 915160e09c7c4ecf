package httpapi

import (
	"strings"

	"github.com/secuird/secuird/adapters/strength"
	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/core/identity"
)

// coreTexts maps the core's user-facing messages (English, from
// fault.Error.Msg and the per-field problems in fault.Error.Fields) to
// catalogue keys (web/locales/<lang>/core.json), so that the pages show
// them in the reader's language. It is the one table for every page;
// ui_coretext_test.go parses the core and fails on a message that is
// neither here nor on its ignore list.
var coreTexts = map[string]string{ //nolint:gosec // messages mapped to catalogue keys, no credentials
	// Passwords (identity.PasswordLengthProblem; the password policy's
	// reasons come from adapters/strength through a port).
	"Password is required":                  "core.password_required",
	"Password is incorrect":                 "core.password_wrong",
	"Current password is required":          "core.current_password_required",
	"Current password is incorrect":         "core.current_password_wrong",
	"Password or code is required":          "core.password_or_code_required",
	identity.PasswordLengthProblem("short"): "core.password_short",
	identity.PasswordLengthProblem(strings.Repeat("x", identity.PasswordMaxLen+1)): "core.password_long",
	"Passwords do not match":                        "core.password_mismatch",
	"New password must differ from the current one": "core.password_same",
	strength.ReasonPersonal:                         "core.password_personal",
	strength.ReasonPattern:                          "core.password_pattern",
	strength.ReasonCommon:                           "core.password_common",

	// Email addresses and emailed links.
	"Email is required":                         "core.email_required",
	"Not a valid email address":                 "core.email_invalid",
	"An account with this email already exists": "core.email_taken",
	"Another account uses this email now":       "core.email_in_use",
	"Token is required":                         "core.token_invalid",
	"Invalid or expired token":                  "core.token_invalid",

	// Sign-in, step-up and account state.
	"This account is suspended":                                                "core.account_suspended",
	"This account is not activated":                                            "core.account_not_activated",
	"Too many failed attempts. Try again later.":                               "core.too_many_attempts",
	"Too many wrong codes. Try again later.":                                   "core.too_many_codes",
	"The sign-in has expired or is invalid. Sign in again.":                    "core.signin_expired",
	"Session not found":                                                        "core.session_not_found",
	"Confirm it is you: sign in again with your password, a code or a passkey": "core.reauth_required",
	"Confirm it is you: enter your password or a current code":                 "core.reauth_enter",
	"Set up the second factor your organization requires to continue":          "core.mfa_setup_required",

	// Two-factor authentication and passkeys (mfaflow).
	"Code is required":                                       "core.code_required",
	"Enter the 6-digit code":                                 "core.code_six_digits",
	"Invalid verification code":                              "core.code_invalid",
	"Two-factor authentication is already enabled":           "core.totp_enabled",
	"Two-factor authentication is not enabled":               "core.totp_not_enabled",
	"Start the enrolment first":                              "core.totp_start_first",
	"Use your passkey to finish signing in":                  "core.passkey_use",
	"Passkeys are not available":                             "core.passkey_unavailable",
	"Passkey verification failed":                            "core.passkey_failed",
	"The passkey challenge expired or was used; start again": "core.passkey_challenge",
	"Unknown or expired challenge":                           "core.passkey_challenge",
	"This passkey is registered already":                     "core.passkey_exists",
	"Passkey not found":                                      "core.passkey_not_found",
	"You have no passkey":                                    "core.passkey_none",
	"Must be at most 100 characters on one line":             "core.passkey_name",
	"This passkey is your only way to sign in; set a password or add another passkey first": "core.passkey_last_method",
	"An organization you belong to requires a passkey; add another one first":               "core.passkey_org_requires",

	// Sign-in methods as managed by admins, and organization MFA policies.
	"Unknown MFA method":                                   "core.mfa_method_unknown",
	"The user has no such method":                          "core.mfa_method_absent",
	"Only with webauthn":                                   "core.mfa_passkey_only",
	"Use your own security settings":                       "core.mfa_own",
	"Organization owners' MFA cannot be reset by an admin": "core.mfa_owner_protected",
	"You cannot manage this user's MFA":                    "core.mfa_not_yours",
	"This member has nothing to set up":                    "core.mfa_nothing_to_set_up",
	"Must be one of disabled, optional, require_totp, require_webauthn, require_totp_or_webauthn": "core.mfa_policy_mode",
	"Must be one of inherit, required, exempt":                                                    "core.mfa_override_mode",
	"Must be between 0 and 365":                                                                   "core.range_0_365",
	"Must be between 0 and 30":                                                                    "core.range_0_30",

	// Names, descriptions, addresses (cleanName, org.NameProblem).
	"Name is required":                                  "core.name_required",
	"Must be at most 255 characters":                    "core.max_255",
	"Must be at most 2000 characters":                   "core.max_2000",
	"Must not contain control characters":               "core.control_chars",
	"Must be an http(s) URL of at most 2048 characters": "core.http_url",

	// Organization slugs (org.SlugProblem).
	"Slug is required":                                "core.slug_required",
	"Must be 2-63 characters":                         "core.slug_length",
	"Must start and end with a letter or digit":       "core.slug_ends",
	"Must not contain consecutive hyphens":            "core.slug_hyphens",
	"Use lower-case letters, digits and hyphens only": "core.slug_chars",
	"This slug is taken":                              "core.slug_taken",
	"An organization with this slug already exists":   "core.slug_taken",
	"The slug cannot be changed":                      "core.slug_fixed",

	// Organizations, members and invitations (tenancy).
	"Organization not found":                                                      "core.org_not_found",
	"Member not found":                                                            "core.member_not_found",
	"You are already a member of this organization":                               "core.already_member",
	"This person is already a member":                                             "core.person_already_member",
	"Already a member of this organization":                                       "core.person_already_member",
	"Invitation not found or no longer valid":                                     "core.invite_not_found",
	"This invitation is for another email address, or yours is not verified yet":  "core.invite_email_mismatch",
	"An account exists for this email: sign in, then accept the invitation":       "core.invite_sign_in",
	"Members join by invitation: send an invite instead":                          "core.invite_by_invitation",
	"Only people have invitations":                                                "core.people_only_invites",
	"Only people have organizations":                                              "core.people_only_orgs",
	"Must be one of owner, admin, member, guest":                                  "core.role_choice",
	"Role is required":                                                            "core.role_required",
	"User ID is required":                                                         "core.user_id_required",
	"You cannot give a role above your own":                                       "core.role_above_own",
	"You cannot invite with a role above your own":                                "core.invite_above_own",
	"Only an owner can invite an owner":                                           "core.owner_only_invite",
	"Only an owner can cancel an invitation to become owner":                      "core.owner_only_cancel",
	"Only an owner can grant the owner role":                                      "core.owner_only_grant",
	"Only an owner can grant or remove the owner role":                            "core.owner_only_change",
	"Only an owner can remove an owner":                                           "core.owner_only_remove",
	"An organization must keep at least one owner; transfer ownership first":      "core.keep_one_owner",
	"The member does not hold this role":                                          "core.role_not_held",
	"Only the owner and admin roles can be taken away; remove the member instead": "core.role_not_removable",
	"You already own this organization":                                           "core.already_owner",
	"You are the only owner of an organization with other members: transfer ownership or delete it first": "core.sole_owner",
	"Requires one of the following roles: owner, admin":                                                   "core.requires_admin",
	"Requires one of the following roles: owner, admin, member":                                           "core.requires_member",

	// API keys.
	"API key not found":              "core.api_key_not_found",
	"The API key is already revoked": "core.api_key_revoked",
	"Invalid or revoked API key":     "core.api_key_invalid",
	"API keys may only read":         "core.api_key_read_only",

	// Platform administration (admin, auditlog).
	"User not found":                    "core.user_not_found",
	"Requires a platform administrator": "core.admin_required",
	"Requires a platform admin or an owner or admin of an organization":                       "core.admin_or_org_admin",
	"You cannot do this to your own account":                                                  "core.not_own_account",
	"Organization owners are protected: transfer ownership first":                             "core.owners_protected",
	"Platform admins are managed by the operator":                                             "core.admins_by_operator",
	"You do not outrank this user in any of your organizations":                               "core.not_outranked",
	"The user belongs to organizations you do not administer: remove them from yours instead": "core.other_orgs",
	"Unknown status":                    "core.status_unknown",
	"Platform counts are not available": "core.counts_unavailable",
	"Only platform administrators may read the platform audit trail": "core.platform_audit",

	// Applications (OIDC clients) as managed by organization admins.
	"Client not found": "core.client_not_found",
	"Only organization owners and admins manage clients": "core.client_admins_only",
	"Only clients authenticating with a secret have one": "core.client_no_secret",
	"Must be 1-128 characters":                           "core.client_id_length",
	"At least one redirect URI is required":              "core.redirect_required",
	"Public clients cannot use client_credentials":       "core.public_no_client_credentials",
	"Public clients cannot use token exchange":           "core.public_no_token_exchange",
	"Unknown method":                                       "core.auth_method_unknown",
	"Must be jwt or opaque":                                "core.token_format",
	"Must be explicit or first_party":                      "core.consent_mode",
	"Must be RS256 or ES256":                               "core.id_token_alg",
	"Must be an https URL":                                 "core.https_url",
	"Must be an https URL (http only in development mode)": "core.https_url_dev",
	"Consent not found":                                    "core.consent_not_found",
	"private_key_jwt needs a JSON Web Key Set with at least one public key": "core.jwks_required",

	// Redirect URIs (oidc.RedirectURIProblem; "Must be at most 2000
	// characters" is above).
	"Must not be empty": "core.uri_empty",
	"Must not contain wildcards, backslashes or spaces":                   "core.uri_chars",
	"Must be an absolute URI":                                             "core.uri_absolute",
	"Must not contain a fragment":                                         "core.uri_fragment",
	"Must not contain user information":                                   "core.uri_userinfo",
	"Must name a host":                                                    "core.uri_host",
	"Must use https (http only for loopback addresses)":                   "core.uri_https",
	"Custom schemes must be reverse domain names such as com.example.app": "core.uri_custom_scheme",
	"Must not contain dot segments":                                       "core.uri_dot_segments",
}

// coreCodeKeys maps the core's machine codes to catalogue keys; a code
// wins over the message (whose wording may carry details).
var coreCodeKeys = map[string]string{
	"USER_IS_SOLE_OWNER": "core.sole_owner",
	"EMAIL_MISMATCH":     "core.invite_email_mismatch",
}

// coreFieldFallback is the text of a field problem the table lacks.
const coreFieldFallback = "core.field_invalid"

// coreTextKey is the catalogue key of one core message; ok is false when
// the table lacks it.
func coreTextKey(msg string) (key string, ok bool) {
	key, ok = coreTexts[msg]
	return key, ok
}

// coreFlashKey is the catalogue key of a core error as a whole (a flash
// message): by code, by message, else the kind's generic text.
func coreFlashKey(err error) string {
	fe := fault.As(err)
	if fe == nil {
		return "common.error.unavailable"
	}
	if k, ok := coreCodeKeys[fe.Code]; ok {
		return k
	}
	if k, ok := coreTextKey(fe.Msg); ok {
		return k
	}
	switch fe.Kind {
	case fault.RateLimited:
		return "common.error.rate_limited"
	case fault.Forbidden:
		return "common.error.forbidden"
	case fault.Invalid, fault.Conflict:
		return "common.error.invalid"
	}
	return "common.error.unavailable"
}

// coreFieldKeys turns the core's per-field problems into catalogue keys,
// field -> key of its first problem (coreFieldFallback when the table
// lacks it). Nil when err carries no field problems.
func coreFieldKeys(err error) map[string]string {
	fe := fault.As(err)
	if fe == nil || len(fe.Fields) == 0 {
		return nil
	}
	out := make(map[string]string, len(fe.Fields))
	for f, msgs := range fe.Fields {
		if len(msgs) == 0 {
			continue
		}
		if k, ok := coreTextKey(msgs[0]); ok {
			out[f] = k
		} else {
			out[f] = coreFieldFallback
		}
	}
	return out
}
