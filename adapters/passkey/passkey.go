// Package passkey implements ports.WebAuthn with go-webauthn (v0.18): the
// relying party side of registration and login ceremonies. Every check is
// the library's (signature, RP ID hash, configured origins, challenge,
// user presence and verification, backup flags); this adapter only maps
// types, serialises the credential record and the ceremony session, and
// turns the library's errors into fault kinds without their details.
package passkey

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/protocol/webauthncose"
	"github.com/go-webauthn/webauthn/webauthn"
	"github.com/google/uuid"

	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/core/mfa"
	"github.com/secuird/secuird/ports"
)

var _ ports.WebAuthn = (*RP)(nil)

// Config is the relying party's identity.
type Config struct {
	// RPID is the relying party ID: the site's domain (never an IP
	// address; "localhost" for development).
	RPID string
	// DisplayName is shown by authenticators (the brand name).
	DisplayName string
	// Origins are the exact origins ceremonies may come from
	// (e.g. "https://id.example.com").
	Origins []string
	// Timeout is how long a ceremony may take (60 s); the session expires
	// with it on the server as well.
	Timeout time.Duration
}

// RP is the ports.WebAuthn adapter.
type RP struct {
	w *webauthn.WebAuthn
}

// New validates the configuration and builds the relying party.
func New(c Config) (*RP, error) {
	if c.Timeout <= 0 {
		c.Timeout = 60 * time.Second
	}
	w, err := webauthn.New(&webauthn.Config{
		RPID: c.RPID, RPDisplayName: c.DisplayName, RPOrigins: c.Origins,
		AttestationPreference: protocol.PreferNoAttestation,
		Timeouts: webauthn.TimeoutsConfig{
			Login:        webauthn.TimeoutConfig{Enforce: true, Timeout: c.Timeout, TimeoutUVD: c.Timeout},
			Registration: webauthn.TimeoutConfig{Enforce: true, Timeout: c.Timeout, TimeoutUVD: c.Timeout},
		},
	})
	if err != nil {
		return nil, &fault.Error{Op: "passkey.New", Kind: fault.Invalid, Msg: "Invalid WebAuthn configuration", Err: err}
	}
	return &RP{w: w}, nil
}

// user adapts a ports.PasskeyUser to webauthn.User.
type user struct {
	u     ports.PasskeyUser
	creds []webauthn.Credential
}

// WebAuthnID returns the user handle.
func (u *user) WebAuthnID() []byte { return u.u.Handle }

// WebAuthnName returns the account name (the email).
func (u *user) WebAuthnName() string { return u.u.Name }

// WebAuthnDisplayName returns the display name.
func (u *user) WebAuthnDisplayName() string { return u.u.DisplayName }

// WebAuthnCredentials returns the user's credential records.
func (u *user) WebAuthnCredentials() []webauthn.Credential { return u.creds }

func wrap(u ports.PasskeyUser) (*user, error) {
	out := &user{u: u}
	for _, p := range u.Passkeys {
		var c webauthn.Credential
		if err := json.Unmarshal(p.Record, &c); err != nil {
			return nil, fault.Internalf("passkey.wrap", "decode credential record: %v", err)
		}
		out.creds = append(out.creds, c)
	}
	return out, nil
}

func uvReq(s string) protocol.UserVerificationRequirement {
	switch s {
	case "required":
		return protocol.VerificationRequired
	case "discouraged":
		return protocol.VerificationDiscouraged
	}
	return protocol.VerificationPreferred
}

// refused is the one answer to a response that does not verify; the cause
// stays in the log.
func refused(op string, err error) error {
	return &fault.Error{Op: op, Kind: fault.Unauthenticated, Code: "AUTHENTICATION_ERROR", Msg: "Passkey verification failed", Err: err}
}

func malformed(op string, err error) error {
	return &fault.Error{Op: op, Kind: fault.Invalid, Msg: "Malformed WebAuthn response",
		Fields: map[string][]string{"credential": {"Not a valid WebAuthn response"}}, Err: err}
}

// BeginRegistration returns creation options (ES256 and RS256, resident
// key preferred, no attestation, the user's passkeys excluded).
func (r *RP) BeginRegistration(pu ports.PasskeyUser, o ports.PasskeyOptions) ([]byte, []byte, error) {
	const op = "passkey.BeginRegistration"
	u, err := wrap(pu)
	if err != nil {
		return nil, nil, err
	}
	creation, session, err := r.w.BeginRegistration(u,
		webauthn.WithCredentialParameters([]protocol.CredentialParameter{
			{Type: protocol.PublicKeyCredentialType, Algorithm: webauthncose.AlgES256},
			{Type: protocol.PublicKeyCredentialType, Algorithm: webauthncose.AlgRS256},
		}),
		webauthn.WithAuthenticatorSelection(protocol.AuthenticatorSelection{
			ResidentKey: protocol.ResidentKeyRequirementPreferred, UserVerification: uvReq(o.UserVerification),
		}),
		webauthn.WithConveyancePreference(protocol.PreferNoAttestation),
		webauthn.WithExclusions(webauthn.Credentials(u.creds).CredentialDescriptors()),
		webauthn.WithExtensions(webauthn.WithExtensionCredProps()),
	)
	if err != nil {
		return nil, nil, fault.Wrap(op, fault.Internal, err)
	}
	return marshalPair(op, creation, session)
}

func marshalPair(op string, options, session any) ([]byte, []byte, error) {
	ob, err := json.Marshal(options)
	if err != nil {
		return nil, nil, fault.Wrap(op, fault.Internal, err)
	}
	sb, err := json.Marshal(session)
	if err != nil {
		return nil, nil, fault.Wrap(op, fault.Internal, err)
	}
	return ob, sb, nil
}

func decodeSession(op string, b []byte) (webauthn.SessionData, error) {
	var s webauthn.SessionData
	if err := json.Unmarshal(b, &s); err != nil {
		return s, fault.Internalf(op, "decode session: %v", err)
	}
	return s, nil
}

// FinishRegistration verifies an attestation response.
func (r *RP) FinishRegistration(pu ports.PasskeyUser, session, response []byte) (mfa.Passkey, error) {
	const op = "passkey.FinishRegistration"
	u, err := wrap(pu)
	if err != nil {
		return mfa.Passkey{}, err
	}
	sd, err := decodeSession(op, session)
	if err != nil {
		return mfa.Passkey{}, err
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes(response)
	if err != nil {
		return mfa.Passkey{}, malformed(op, err)
	}
	cred, err := r.w.CreateCredential(u, sd, parsed)
	if err != nil {
		return mfa.Passkey{}, refused(op, err)
	}
	rec, err := json.Marshal(cred)
	if err != nil {
		return mfa.Passkey{}, fault.Wrap(op, fault.Internal, err)
	}
	tr := make([]string, 0, len(cred.Transport))
	for _, t := range cred.Transport {
		tr = append(tr, string(t))
	}
	return mfa.Passkey{
		CredentialID: cred.ID, SignCount: cred.Authenticator.SignCount, Transports: tr,
		AAGUID: aaguid(cred.Authenticator.AAGUID), BackupEligible: cred.Flags.BackupEligible,
		Discoverable: cred.Extensions.RK != nil && *cred.Extensions.RK, Record: rec,
	}, nil
}

// aaguid renders an AAGUID as a UUID string ("" when absent or zero).
func aaguid(b []byte) string {
	id, err := uuid.FromBytes(b)
	if err != nil || id == uuid.Nil {
		return ""
	}
	return id.String()
}

// BeginLogin returns request options for u's passkeys, or for any
// discoverable credential (optionally with conditional mediation).
func (r *RP) BeginLogin(pu *ports.PasskeyUser, o ports.PasskeyOptions) ([]byte, []byte, error) {
	const op = "passkey.BeginLogin"
	uv := webauthn.WithUserVerification(uvReq(o.UserVerification))
	var (
		assertion *protocol.CredentialAssertion
		session   *webauthn.SessionData
		err       error
	)
	switch {
	case pu != nil:
		u, werr := wrap(*pu)
		if werr != nil {
			return nil, nil, werr
		}
		assertion, session, err = r.w.BeginLogin(u, uv)
	case o.Conditional:
		assertion, session, err = r.w.BeginDiscoverableMediatedLogin(protocol.MediationConditional, uv)
	default:
		assertion, session, err = r.w.BeginDiscoverableLogin(uv)
	}
	if err != nil {
		return nil, nil, fault.Wrap(op, fault.Internal, err)
	}
	return marshalPair(op, assertion, session)
}

// ParseAssertion reads the credential ID and user handle of a response.
func (r *RP) ParseAssertion(response []byte) ([]byte, []byte, error) {
	parsed, err := protocol.ParseCredentialRequestResponseBytes(response)
	if err != nil {
		return nil, nil, malformed("passkey.ParseAssertion", err)
	}
	return parsed.RawID, parsed.Response.UserHandle, nil
}

// FinishLogin verifies an assertion against u's passkeys.
func (r *RP) FinishLogin(pu ports.PasskeyUser, session, response []byte) (ports.Assertion, error) {
	const op = "passkey.FinishLogin"
	u, err := wrap(pu)
	if err != nil {
		return ports.Assertion{}, err
	}
	sd, err := decodeSession(op, session)
	if err != nil {
		return ports.Assertion{}, err
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes(response)
	if err != nil {
		return ports.Assertion{}, malformed(op, err)
	}
	var prev uint32
	for _, c := range u.creds {
		if bytes.Equal(c.ID, parsed.RawID) {
			prev = c.Authenticator.SignCount
		}
	}
	var cred *webauthn.Credential
	if len(sd.UserID) == 0 {
		_, cred, err = r.w.ValidatePasskeyLogin(func(_, handle []byte) (webauthn.User, error) {
			if !bytes.Equal(handle, pu.Handle) {
				return nil, errors.New("user handle of another account")
			}
			return u, nil
		}, sd, parsed)
	} else {
		cred, err = r.w.ValidateLogin(u, sd, parsed)
	}
	if err != nil {
		return ports.Assertion{}, refused(op, err)
	}
	out := ports.Assertion{
		CredentialID: cred.ID, UserHandle: parsed.Response.UserHandle, SignCount: cred.Authenticator.SignCount,
		CounterRegressed: cred.Authenticator.CloneWarning,
		UserVerified:     parsed.Response.AuthenticatorData.Flags.HasUserVerified(),
	}
	if out.CounterRegressed {
		// Keep the stored counter; the caller refuses the login.
		out.SignCount = prev
		return out, nil
	}
	if out.Record, err = json.Marshal(cred); err != nil {
		return ports.Assertion{}, fault.Wrap(op, fault.Internal, err)
	}
	return out, nil
}

// knownAuthenticators names common authenticator models by AAGUID (from
// the community passkey-authenticator-aaguids list).
var knownAuthenticators = map[string]string{
	"fbfc3007-154e-4ecc-8c0b-6e020557d7bd": "iCloud Keychain",
	"dd4ec289-e01d-41c9-bb89-70fa845d4bf2": "iCloud Keychain (Managed)",
	"ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4": "Google Password Manager",
	"adce0002-35bc-c60a-648b-0b25f1f05503": "Chrome on Mac",
	"08987058-cadc-4b81-b6e1-30de50dcbe96": "Windows Hello",
	"9ddd1817-af5a-4672-a2b9-3e3dd95000a9": "Windows Hello",
	"6028b017-b1d4-4c02-b4b3-afcdafc96bb2": "Windows Hello",
	"bada5566-a7aa-401f-bd96-45619a55120d": "1Password",
	"d548826e-79b4-db40-a3d8-11116f7e8349": "Bitwarden",
	"531126d6-e717-415c-9320-3d9aa6981239": "Dashlane",
	"b84e4048-15dc-4dd0-8640-f4f60813c8af": "NordPass",
	"0ea242b4-43c4-4a1b-8b17-dd6d0b6baec6": "Keeper",
	"cb69481e-8ff7-4039-93ec-0a2729a154a8": "YubiKey 5 Series",
	"ee882879-721c-4913-9775-3dfcce97072a": "YubiKey 5 Series",
	"fa2b99dc-9e39-4257-8f92-4a30d23c4118": "YubiKey 5 Series with NFC",
	"2fc0579f-8113-47ea-b116-bb5a8db9202a": "YubiKey 5 Series with NFC",
	"c5ef55ff-ad9a-4b9f-b580-adebafe026d0": "YubiKey 5Ci",
	"a4e9fc6d-4cbe-4758-b8ba-37598bb5bbaa": "Security Key NFC by Yubico",
	"53414d53-554e-4700-0000-000000000000": "Samsung Pass",
}

// AuthenticatorName names a known authenticator model, or returns "".
func (r *RP) AuthenticatorName(id string) string { return knownAuthenticators[strings.ToLower(id)] }
