package oidc

import "testing"

func TestRedirectURIProblem(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		uri string
		dev bool
		ok  bool
	}{
		{"https://app.example/cb", false, true},
		{"http://localhost:3000/cb", false, true},
		{"http://127.0.0.1:8080/cb", false, true},
		{"com.example.app://oauth/callback", false, true},
		{"http://app.example/cb", false, false},
		{"http://app.example/cb", true, true},
		{"https://*.example/cb", false, false},
		{"https://app.example/cb#frag", false, false},
		{"https://user@app.example/cb", false, false},
		{"javascript:alert(1)", false, false},
		{"data:text/html,hi", false, false},
		{"myapp://cb", false, false},
		{"https://app.example/a/../cb", false, false},
		{"/relative", false, false},
		{"", false, false},
	} {
		if got := RedirectURIProblem(tc.uri, tc.dev) == ""; got != tc.ok {
			t.Errorf("RedirectURIProblem(%q, dev=%v) accepted=%v, want %v", tc.uri, tc.dev, got, tc.ok)
		}
	}
}

func TestMatchRedirectURIIsExact(t *testing.T) {
	t.Parallel()
	reg := []string{"https://app.example/cb", "http://localhost:3000/cb"}
	for uri, want := range map[string]bool{
		"https://app.example/cb": true, "https://APP.example/cb": false, "https://app.example/cb/": false,
		"https://app.example/cb?x=1": false, "http://localhost:3001/cb": false, "https://app.example/%63b": false, "": false,
	} {
		if MatchRedirectURI(reg, uri) != want {
			t.Errorf("MatchRedirectURI(%q) = %v, want %v", uri, !want, want)
		}
	}
}

func TestScopesAndConsent(t *testing.T) {
	t.Parallel()
	c := Client{Scopes: []string{"openid", "profile"}}
	if got := FilterScopes(c, []string{"openid", "email", "profile", "openid", "org:acme"}); len(got) != 3 || got[2] != "org:acme" {
		t.Errorf("FilterScopes = %v", got)
	}
	if !(Consent{Scopes: []string{"profile"}}).Covers([]string{"openid", "profile"}) || (Consent{}).Covers([]string{"email"}) {
		t.Error("Covers is wrong")
	}
	if !ValidChallenge("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM") || ValidChallenge("short") || ValidChallenge("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw+cM") {
		t.Error("ValidChallenge is wrong")
	}
}
