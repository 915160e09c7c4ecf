package httpapi

import (
	"testing"

	"github.com/secuird/secuird/core/fault"
)

// TestDeviceSummary names browsers and systems from real user agents.
func TestDeviceSummary(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, ua, browser, os string
	}{
		{"Firefox on Linux", "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0", "Firefox", "Linux"},
		{"Chrome on Windows", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36", "Chrome", "Windows"},
		{"Edge is not Chrome", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.2592.87", "Edge", "Windows"},
		{"Opera is not Chrome", "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 OPR/112.0.0.0", "Opera", "macOS"},
		{"Safari on macOS", "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15", "Safari", "macOS"},
		{"Safari on iPhone is iOS, not macOS", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1", "Safari", "iOS"},
		{"Chrome on iPad", "Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/126.0.6478.54 Mobile/15E148 Safari/604.1", "Chrome", "iOS"},
		{"Android is not Linux", "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36", "Chrome", "Android"},
		{"Samsung Internet", "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/25.0 Chrome/121.0.0.0 Mobile Safari/537.36", "Samsung Internet", "Android"},
		{"ChromeOS", "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36", "Chrome", "ChromeOS"},
		{"headless Chromium is Chrome on Linux", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/126.0.0.0 Safari/537.36", "Chrome", "Linux"},
		{"curl has no system", "curl/8.5.0", "curl", ""},
		{"a Go client is unknown", "Go-http-client/1.1", "", ""},
		{"empty", "", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if b, o := deviceSummary(tc.ua); b != tc.browser || o != tc.os {
				t.Errorf("deviceSummary = %q, %q; want %q, %q", b, o, tc.browser, tc.os)
			}
		})
	}
}

// TestCoreKey maps the core's refusals to their own texts, by code or
// message, and anything else to the kind's generic text.
func TestCoreKey(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"the last way to sign in", &fault.Error{Kind: fault.Conflict, Msg: "This passkey is your only way to sign in; set a password or add another passkey first"},
			"core.passkey_last_method"},
		{"a passkey the organization requires", &fault.Error{Kind: fault.Conflict, Msg: "An organization you belong to requires a passkey; add another one first"},
			"core.passkey_org_requires"},
		{"sole owner by code", &fault.Error{Kind: fault.Conflict, Code: "USER_IS_SOLE_OWNER", Msg: "You own: Acme"}, "core.sole_owner"},
		{"unknown conflict", &fault.Error{Kind: fault.Conflict, Msg: "something new"}, "common.error.invalid"},
		{"rate limited", &fault.Error{Kind: fault.RateLimited}, "common.error.rate_limited"},
		{"forbidden", &fault.Error{Kind: fault.Forbidden, Msg: "no"}, "common.error.forbidden"},
		{"internal", &fault.Error{Kind: fault.Internal, Msg: "disk on fire"}, "common.error.unavailable"},
	} {
		if got := coreFlashKey(tc.err); got != tc.want {
			t.Errorf("%s: coreFlashKey = %q, want %q", tc.name, got, tc.want)
		}
	}
	keys := coreFieldKeys(&fault.Error{Kind: fault.Invalid, Fields: map[string][]string{
		"new_password": {"Password must be at least 8 characters"}, "slug": {"never seen before"}}})
	if keys["new_password"] != "core.password_short" || keys["slug"] != "core.field_invalid" {
		t.Errorf("coreFieldKeys = %v", keys)
	}
}

// TestStepUpAndContinueTargets keeps the redirects after step-up and
// enrolment on this site's own pages.
func TestStepUpAndContinueTargets(t *testing.T) {
	t.Parallel()
	for raw, want := range map[string]string{"/account": "/account", "/account/password": "/account/password", "": "/account/security",
		"https://evil.example/": "/account/security", "//evil.example/account": "/account/security", "/admin": "/account/security"} {
		if got := reauthNext(raw); got != want {
			t.Errorf("reauthNext(%q) = %q, want %q", raw, got, want)
		}
	}
	for raw, want := range map[string]string{"/oidc/login?id=abc": "/oidc/login?id=abc", "/login?id=abc": "/login?id=abc",
		"https://evil.example/oidc/login?id=1": "", "/account": "/login?next=%2Faccount", "/orgs/acme": "/login?next=%2Forgs%2Facme",
		"/account/security": "", "//evil.example/": "", "/oidc/login?id=a\r\nx": ""} {
		if got := continueURL(raw); got != want {
			t.Errorf("continueURL(%q) = %q, want %q", raw, got, want)
		}
	}
}
