package oidc

import "testing"

func TestACRFor(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		amr  []string
		want string
	}{
		{"a password alone is single-factor", []string{"pwd"}, ACRSingleFactor},
		{"a passkey without user verification is single-factor", []string{"hwk"}, ACRSingleFactor},
		{"password and TOTP are multi-factor", []string{"pwd", "otp", "mfa"}, ACRMultiFactor},
		{"a user-verifying passkey is multi-factor", []string{"swk", "mfa"}, ACRMultiFactor},
		{"no amr is single-factor", nil, ACRSingleFactor},
	} {
		if got := ACRFor(tc.amr); got != tc.want {
			t.Errorf("%s: ACRFor(%v) = %q, want %q", tc.name, tc.amr, got, tc.want)
		}
	}
}

func TestRequestedACR(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		values []string
		want   string
	}{
		{"no acr_values asks for nothing", nil, ""},
		{"unknown values are ignored", []string{"urn:example:loa:4"}, ""},
		{"the multi-factor value asks for it", []string{ACRMultiFactor}, ACRMultiFactor},
		{"an unknown value next to a known one counts the known one", []string{"urn:example:loa:4", ACRMultiFactor}, ACRMultiFactor},
		{"the weakest accepted value is what must be reached", []string{ACRMultiFactor, ACRSingleFactor}, ACRSingleFactor},
	} {
		if got := (AuthRequest{ACRValues: tc.values}).RequestedACR(); got != tc.want {
			t.Errorf("%s: RequestedACR(%v) = %q, want %q", tc.name, tc.values, got, tc.want)
		}
	}
	if !ACRSatisfies(ACRMultiFactor, ACRSingleFactor) || !ACRSatisfies(ACRSingleFactor, "") || ACRSatisfies(ACRSingleFactor, ACRMultiFactor) {
		t.Error("ACRSatisfies does not order the levels")
	}
}
