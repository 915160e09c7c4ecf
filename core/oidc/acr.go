package oidc

import "slices"

// Authentication context class references (the ID token's `acr`). Secuird
// issues two levels, ordered: a single factor, and multi-factor (two
// independent factors, or a passkey that verified the user). The values
// are advertised as `acr_values_supported` in discovery.
const (
	ACRSingleFactor = "1"
	ACRMultiFactor  = "2"
)

// ACRValuesSupported returns the acr values the provider issues, weakest
// first.
func ACRValuesSupported() []string { return []string{ACRSingleFactor, ACRMultiFactor} }

// amrMFA is the RFC 8176 `amr` value for multiple-factor authentication;
// the login state machine adds it (core/mfa.AMR) when two independent
// factors, or a user-verifying passkey, were used.
const amrMFA = "mfa"

// ACRFor returns the acr that a login with these amr values achieved.
func ACRFor(amr []string) string {
	if slices.Contains(amr, amrMFA) {
		return ACRMultiFactor
	}
	return ACRSingleFactor
}

// acrLevel orders the acr values; unknown values are 0.
func acrLevel(acr string) int { return slices.Index(ACRValuesSupported(), acr) + 1 }

// RequestedACR returns the weakest acr value of the request's acr_values
// that Secuird knows, or "" when it names none. acr_values lists the
// classes the client accepts, so the weakest known one is what the login
// must reach; unknown values are ignored (OIDC Core 3.1.2.1: acr_values
// is a voluntary request).
func (a AuthRequest) RequestedACR() string {
	best := ""
	for _, v := range a.ACRValues {
		if l := acrLevel(v); l > 0 && (best == "" || l < acrLevel(best)) {
			best = v
		}
	}
	return best
}

// ACRSatisfies reports whether a login that achieved acr have meets the
// requested acr want ("" is always met).
func ACRSatisfies(have, want string) bool {
	return want == "" || acrLevel(have) >= acrLevel(want)
}
