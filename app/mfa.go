package app

import (
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
	"net"
	"net/url"

	"github.com/secuird/secuird/adapters/keycrypt"
	"github.com/secuird/secuird/adapters/otp"
	"github.com/secuird/secuird/adapters/passkey"
	"github.com/secuird/secuird/adapters/system"
	"github.com/secuird/secuird/core/mfaflow"
	"github.com/secuird/secuird/ports"
)

// wireMFA builds the MFA use cases: TOTP secrets sealed under a key
// derived from ENCRYPTION_KEY, backup codes hashed under a key derived
// from SECRET_KEY, and the WebAuthn relying party named after the public
// URL (its host is the RP ID, its origin the only accepted origin).
func (a *App) wireMFA(cfg Config, hasher ports.PasswordHasher) (*mfaflow.Service, error) {
	sealer, err := keycrypt.NewSealer(cfg.EncryptionKey, "totp-secret")
	if err != nil {
		return nil, fmt.Errorf("mfa: %w", err)
	}
	pub, err := url.Parse(cfg.PublicURL)
	if err != nil || pub.Hostname() == "" {
		return nil, fmt.Errorf("mfa: public URL %q has no host", cfg.PublicURL)
	}
	rpID := pub.Hostname()
	if net.ParseIP(pub.Hostname()) != nil {
		// WebAuthn refuses IP addresses as RP ID (STACK-NOTES trap 17):
		// passkeys need a name; localhost is accepted for development.
		rpID = "localhost"
	}
	rp, err := passkey.New(passkey.Config{RPID: rpID, DisplayName: "Secuird", Origins: []string{pub.Scheme + "://" + pub.Host}})
	if err != nil {
		return nil, fmt.Errorf("mfa: %w", err)
	}
	m := hmac.New(sha256.New, []byte(cfg.SecretKey))
	m.Write([]byte("secuird/backup-codes/v1"))
	return mfaflow.New(mfaflow.Config{Issuer: "Secuird", PublicURL: cfg.PublicURL, CodeKey: m.Sum(nil),
		PasswordlessUV: cfg.WebAuthnPasswordlessUV}, mfaflow.Deps{
		Tx: a.store, Users: a.users, Passwords: a.store, Hasher: hasher, MFA: a.store, Policies: a.store,
		Orgs: a.store, Members: a.store, Sessions: a.eph, Tokens: &a.tokens, Lease: a.store, Audit: a.store,
		Mailer: a.Mailer, Sealer: sealer, OTP: otp.TOTP{}, WebAuthn: rp, OneTime: a.eph, Counter: a.eph,
		Clock: system.Clock{}, Random: system.Random{},
	}), nil
}
