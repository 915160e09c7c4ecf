package ports

import (
	"context"
	"time"

	"github.com/secuird/secuird/core/mfa"
)

// MFAStore keeps users' second factors: the TOTP method, its backup codes
// and passkeys. Rows belong to users and go when the user is hard-deleted.
type MFAStore interface {
	// TOTPMethod returns the user's TOTP method, verified or not. NotFound
	// when there is none.
	TOTPMethod(ctx context.Context, userID string) (mfa.TOTP, error)
	// PutTOTPMethod stores t as the user's TOTP method, replacing any
	// earlier one, and replaces the user's backup codes with codeHashes.
	// NotFound when the user does not exist.
	PutTOTPMethod(ctx context.Context, t mfa.TOTP, codeHashes []string) error
	// MarkTOTPVerified marks the unverified method verified at `at` with
	// step as its last accepted step. NotFound when there is no
	// unverified method.
	MarkTOTPVerified(ctx context.Context, userID string, step int64, at time.Time) error
	// AcceptTOTPStep records step as the last accepted step of the
	// verified method if it is later than the stored one. It is one
	// conditional update: of concurrent calls with the same step exactly
	// one succeeds. Conflict when step is not later (a replay); NotFound
	// when there is no verified method.
	AcceptTOTPStep(ctx context.Context, userID string, step int64, at time.Time) error
	// DeleteTOTPMethod removes the method and its backup codes. NotFound
	// when there is none.
	DeleteTOTPMethod(ctx context.Context, userID string) error
	// ReplaceBackupCodes replaces the user's backup codes. NotFound when
	// the user has no TOTP method.
	ReplaceBackupCodes(ctx context.Context, userID string, codeHashes []string, at time.Time) error
	// UseBackupCode marks the user's unused code with that hash used at
	// `at` and returns how many unused codes remain. One conditional
	// update: of concurrent calls exactly one succeeds. NotFound when no
	// unused code has that hash.
	UseBackupCode(ctx context.Context, userID, codeHash string, at time.Time) (remaining int, err error)
	// CountBackupCodes counts the user's unused backup codes.
	CountBackupCodes(ctx context.Context, userID string) (int, error)

	// AddPasskey stores p. Conflict when the credential ID is registered
	// already (to anyone); NotFound when the user does not exist.
	AddPasskey(ctx context.Context, p mfa.Passkey) error
	// Passkeys lists the user's passkeys, oldest first.
	Passkeys(ctx context.Context, userID string) ([]mfa.Passkey, error)
	// PasskeyByCredentialID finds a passkey by the authenticator's
	// credential ID. NotFound when unknown.
	PasskeyByCredentialID(ctx context.Context, credentialID []byte) (mfa.Passkey, error)
	// RecordPasskeyUse stores the new sign count and record after a login
	// at `at`, if the stored sign count is still `prev` (so two concurrent
	// logins cannot both move the counter from the same value). NotFound
	// when the passkey is not the user's; Conflict when the count moved.
	RecordPasskeyUse(ctx context.Context, userID, id string, prev, signCount uint32, record []byte, at time.Time) error
	// RenamePasskey renames one of the user's passkeys. NotFound when it is
	// not the user's.
	RenamePasskey(ctx context.Context, userID, id, name string, at time.Time) (mfa.Passkey, error)
	// DeletePasskey removes one of the user's passkeys. NotFound when it is
	// not the user's.
	DeletePasskey(ctx context.Context, userID, id string) error
	// DeletePasskeys removes every passkey of the user and returns how many.
	DeletePasskeys(ctx context.Context, userID string) (int, error)
}

// MFAPolicyStore keeps organizations' MFA policies, per-user overrides and
// compliance records. Every method about one organization takes its ID.
type MFAPolicyStore interface {
	// OrgMFAPolicy returns the organization's stored policy. NotFound when
	// it never set one (the caller uses mfa.DefaultPolicy).
	OrgMFAPolicy(ctx context.Context, orgID string) (mfa.Policy, error)
	// PutOrgMFAPolicy creates or replaces the organization's policy.
	// NotFound when the organization does not exist.
	PutOrgMFAPolicy(ctx context.Context, p mfa.Policy) error
	// MFAOverride returns a user's override in an organization. NotFound
	// when there is none.
	MFAOverride(ctx context.Context, orgID, userID string) (mfa.Override, error)
	// PutMFAOverride creates or replaces a user's override. NotFound when
	// the organization or the user does not exist.
	PutMFAOverride(ctx context.Context, o mfa.Override) error
	// MFACompliance returns one compliance record. NotFound when absent.
	MFACompliance(ctx context.Context, orgID, userID string) (mfa.Compliance, error)
	// PutMFACompliance creates or replaces a compliance record. NotFound
	// when the organization or the user does not exist.
	PutMFACompliance(ctx context.Context, c mfa.Compliance) error
	// ListMFACompliance returns one page of the organization's records
	// (of live members), by user ID, and the total count. An empty
	// status lists every status.
	ListMFACompliance(ctx context.Context, orgID string, q ComplianceQuery) ([]mfa.Compliance, int, error)
	// ListMFAComplianceMembers is ListMFACompliance with each member's
	// email and name, read in the same query (the compliance report; no
	// lookup per row).
	ListMFAComplianceMembers(ctx context.Context, orgID string, q ComplianceQuery) ([]ComplianceMember, int, error)
	// MFAComplianceOfUsers returns the organization's records of the given
	// users in one query, by user ID (users without a record are absent).
	MFAComplianceOfUsers(ctx context.Context, orgID string, userIDs []string) (map[string]mfa.Compliance, error)
	// UserMFACompliance lists the user's records in live organizations.
	UserMFACompliance(ctx context.Context, userID string) ([]mfa.Compliance, error)
	// ScanMFACompliance returns up to limit records of live organizations
	// ordered by (organization ID, user ID), after the given pair ("" for
	// the start): the compliance job pages through everyone with it.
	ScanMFACompliance(ctx context.Context, afterOrgID, afterUserID string, limit int) ([]mfa.Compliance, error)
	// DeleteStaleMFACompliance deletes the records of deleted
	// organizations and of memberships that ended, and returns how many.
	DeleteStaleMFACompliance(ctx context.Context) (int, error)
}

// ComplianceQuery selects compliance records.
type ComplianceQuery struct {
	Status        mfa.Status
	Offset, Limit int
}

// ComplianceMember is a compliance record with the member's account as
// the compliance report shows it.
type ComplianceMember struct {
	mfa.Compliance
	Email    string
	FullName string
}

// Lease elects one node for a periodic job: a named lease held by one
// holder until it expires.
type Lease interface {
	// AcquireLease gives the lease to holder until `until` if it is free,
	// expired at now, or already held by holder, and reports whether it
	// did. Of concurrent calls by different holders at most one wins.
	AcquireLease(ctx context.Context, name, holder string, now, until time.Time) (bool, error)
	// ReleaseLease frees the lease if holder holds it.
	ReleaseLease(ctx context.Context, name, holder string) error
}

// OTP is the TOTP algorithm (RFC 6238, SHA-1, 6 digits, 30 s).
type OTP interface {
	// NewKey makes a random 20-byte secret and returns it base32-encoded
	// with its otpauth:// provisioning URI for issuer and account.
	NewKey(issuer, account string) (secret, uri string, err error)
	// Code returns the code of secret at t.
	Code(secret string, t time.Time) (string, error)
	// QRCode renders uri as a PNG data URI.
	QRCode(uri string) (string, error)
}

// PasskeyUser is the account a WebAuthn ceremony is about.
type PasskeyUser struct {
	// Handle is the WebAuthn user handle (opaque, at most 64 bytes).
	Handle      []byte
	Name        string
	DisplayName string
	Passkeys    []mfa.Passkey
}

// PasskeyOptions tune one ceremony.
type PasskeyOptions struct {
	// UserVerification is "required", "preferred" or "discouraged".
	UserVerification string
	// Conditional asks for conditional mediation (autofill UI).
	Conditional bool
}

// Assertion is the result of a verified WebAuthn login.
type Assertion struct {
	// CredentialID is the credential the authenticator used.
	CredentialID []byte
	// UserHandle is the user handle it returned ("" for non-discoverable).
	UserHandle []byte
	SignCount  uint32
	// CounterRegressed is true when the sign count did not grow although
	// it is in use (a cloned authenticator may exist).
	CounterRegressed bool
	// UserVerified is true when this ceremony verified the user.
	UserVerified bool
	// Record is the updated credential record to store.
	Record []byte
}

// WebAuthn runs the relying party side of WebAuthn ceremonies. Options
// and responses are the JSON the browser API takes and gives; session is
// the state the finish step needs, kept by the caller server-side and
// used once. Errors: Invalid for a malformed response; Unauthenticated
// for one that does not verify (wrong origin, RP ID, challenge,
// signature, user verification); the message never carries details.
type WebAuthn interface {
	// BeginRegistration returns creation options for u (its passkeys are
	// excluded) and the session.
	BeginRegistration(u PasskeyUser, o PasskeyOptions) (options, session []byte, err error)
	// FinishRegistration verifies the attestation response and returns the
	// new passkey (ID, UserID, Name and times left for the caller).
	FinishRegistration(u PasskeyUser, session, response []byte) (mfa.Passkey, error)
	// BeginLogin returns request options and the session: for u's
	// passkeys, or for any discoverable credential when u is nil.
	BeginLogin(u *PasskeyUser, o PasskeyOptions) (options, session []byte, err error)
	// ParseAssertion reads the credential ID and user handle of an
	// assertion response without verifying it (to find the user).
	ParseAssertion(response []byte) (credentialID, userHandle []byte, err error)
	// FinishLogin verifies the assertion response against u's passkeys.
	FinishLogin(u PasskeyUser, session, response []byte) (Assertion, error)
	// AuthenticatorName names a known authenticator model by AAGUID (hex),
	// or returns "".
	AuthenticatorName(aaguid string) string
}
