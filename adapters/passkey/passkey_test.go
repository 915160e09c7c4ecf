package passkey_test

import (
	"encoding/json"
	"testing"

	"github.com/descope/virtualwebauthn"

	"github.com/secuird/secuird/adapters/passkey"
	"github.com/secuird/secuird/adapters/passkey/passkeytest"
	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/core/mfa"
	"github.com/secuird/secuird/ports"
)

const origin = "http://localhost:8080"

func newRP(t *testing.T) *passkey.RP {
	t.Helper()
	rp, err := passkey.New(passkey.Config{RPID: "localhost", DisplayName: "Secuird", Origins: []string{origin}})
	if err != nil {
		t.Fatal(err)
	}
	return rp
}

// register runs a registration ceremony with a software authenticator.
func register(t *testing.T, rp *passkey.RP, u ports.PasskeyUser, vrp virtualwebauthn.RelyingParty, auth *virtualwebauthn.Authenticator) (mfa.Passkey, virtualwebauthn.Credential) {
	t.Helper()
	opts, session, err := rp.BeginRegistration(u, ports.PasskeyOptions{UserVerification: "preferred"})
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := virtualwebauthn.ParseAttestationOptions(string(opts))
	if err != nil {
		t.Fatal(err)
	}
	cred := passkeytest.NewEC2Credential(t)
	resp := virtualwebauthn.CreateAttestationResponse(vrp, *auth, cred, *parsed)
	p, err := rp.FinishRegistration(u, session, []byte(resp))
	if err != nil {
		return mfa.Passkey{}, cred
	}
	auth.AddCredential(cred)
	return p, cred
}

func login(t *testing.T, rp *passkey.RP, u ports.PasskeyUser, vrp virtualwebauthn.RelyingParty, auth virtualwebauthn.Authenticator, cred virtualwebauthn.Credential, discoverable bool) (ports.Assertion, error) {
	t.Helper()
	var target *ports.PasskeyUser
	if !discoverable {
		target = &u
	}
	opts, session, err := rp.BeginLogin(target, ports.PasskeyOptions{UserVerification: "required"})
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := virtualwebauthn.ParseAssertionOptions(string(opts))
	if err != nil {
		t.Fatal(err)
	}
	resp := virtualwebauthn.CreateAssertionResponse(vrp, auth, cred, *parsed)
	return rp.FinishLogin(u, session, []byte(resp))
}

func TestCeremonies(t *testing.T) {
	t.Parallel()
	good := virtualwebauthn.RelyingParty{ID: "localhost", Name: "Secuird", Origin: origin}
	user := ports.PasskeyUser{Handle: []byte("user-1"), Name: "ada@example.com", DisplayName: "Ada"}
	tests := []struct {
		name    string
		regRP   virtualwebauthn.RelyingParty
		loginRP virtualwebauthn.RelyingParty
		counter uint32 // the authenticator's counter at login
		uvOff   bool
		wantReg bool
		wantErr fault.Kind
		regress bool
	}{
		{name: "registers and logs in", regRP: good, loginRP: good, counter: 1, wantReg: true},
		{name: "refuses a registration from another origin", regRP: virtualwebauthn.RelyingParty{ID: "localhost", Origin: "http://evil.example"}},
		{name: "refuses a registration for another RP ID", regRP: virtualwebauthn.RelyingParty{ID: "evil.example", Origin: origin}},
		{name: "refuses a login from another origin", regRP: good, loginRP: virtualwebauthn.RelyingParty{ID: "localhost", Origin: "http://evil.example"}, wantReg: true, wantErr: fault.Unauthenticated},
		{name: "refuses a login for another RP ID", regRP: good, loginRP: virtualwebauthn.RelyingParty{ID: "evil.example", Origin: origin}, wantReg: true, wantErr: fault.Unauthenticated},
		{name: "refuses a login without user verification when required", regRP: good, loginRP: good, counter: 1, uvOff: true, wantReg: true, wantErr: fault.Unauthenticated},
		{name: "flags a sign counter that did not grow", regRP: good, loginRP: good, counter: 0, wantReg: true, regress: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rp := newRP(t)
			auth := virtualwebauthn.NewAuthenticatorWithOptions(virtualwebauthn.AuthenticatorOptions{UserHandle: user.Handle})
			p, cred := register(t, rp, user, tt.regRP, &auth)
			if (p.Record != nil) != tt.wantReg {
				t.Fatalf("registered = %v, want %v", p.Record != nil, tt.wantReg)
			}
			if !tt.wantReg {
				return
			}
			if string(p.CredentialID) != string(cred.ID) {
				t.Fatal("credential ID differs from the authenticator's")
			}
			u := user
			p.SignCount = 5
			if tt.regress {
				// Stored counter 5, the authenticator now says 0... or 3.
				cred.Counter = 3
			} else {
				cred.Counter = 6 + tt.counter
			}
			// The record holds the counter the library compares with.
			p2 := p
			p2.Record = withCounter(t, p.Record, 5)
			u.Passkeys = []mfa.Passkey{p2}
			auth.Options.UserNotVerified = tt.uvOff
			a, err := login(t, rp, u, tt.loginRP, auth, cred, false)
			if tt.wantErr != 0 || err != nil {
				if !fault.Is(err, tt.wantErr) || tt.wantErr == 0 {
					t.Fatalf("FinishLogin error %v, want kind %v", err, tt.wantErr)
				}
				return
			}
			if a.CounterRegressed != tt.regress {
				t.Fatalf("CounterRegressed = %v, want %v", a.CounterRegressed, tt.regress)
			}
			if !tt.regress && (a.SignCount != cred.Counter || !a.UserVerified || a.Record == nil) {
				t.Fatalf("assertion %+v", a)
			}
			// Discoverable login with the user handle works too.
			cred.Counter += 10
			u.Passkeys[0].Record = withCounter(t, p.Record, 5)
			if _, err := login(t, rp, u, tt.loginRP, auth, cred, true); err != nil && !tt.regress {
				t.Fatalf("discoverable login: %v", err)
			}
		})
	}
}

func TestDiscoverableLoginRefusesAnotherAccountsHandle(t *testing.T) {
	t.Parallel()
	rp := newRP(t)
	vrp := virtualwebauthn.RelyingParty{ID: "localhost", Name: "Secuird", Origin: origin}
	user := ports.PasskeyUser{Handle: []byte("user-1"), Name: "ada@example.com"}
	auth := virtualwebauthn.NewAuthenticatorWithOptions(virtualwebauthn.AuthenticatorOptions{UserHandle: []byte("user-2")})
	p, cred := register(t, rp, user, vrp, &auth)
	user.Passkeys = []mfa.Passkey{p}
	cred.Counter = 9
	if _, err := login(t, rp, user, vrp, auth, cred, true); !fault.Is(err, fault.Unauthenticated) {
		t.Fatalf("login with another account's handle: %v", err)
	}
}

func TestAuthenticatorNames(t *testing.T) {
	t.Parallel()
	rp := newRP(t)
	if got := rp.AuthenticatorName("FBFC3007-154E-4ECC-8C0B-6E020557D7BD"); got != "iCloud Keychain" {
		t.Fatalf("AuthenticatorName = %q", got)
	}
	if rp.AuthenticatorName("00000000-0000-0000-0000-000000000001") != "" {
		t.Fatal("unknown AAGUID named")
	}
}

// withCounter returns the credential record with its stored sign count set
// to n (what the store would hold after earlier logins).
func withCounter(t *testing.T, rec []byte, n uint32) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(rec, &m); err != nil {
		t.Fatal(err)
	}
	a, _ := m["authenticator"].(map[string]any)
	if a == nil {
		a = map[string]any{}
	}
	a["signCount"] = n
	m["authenticator"] = a
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
