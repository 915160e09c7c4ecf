package app_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/secuird/secuird/app"
)

// rawGet fetches path on s with no cookie jar and no redirects, so the
// test sees the response headers exactly as sent.
// rawResponse is what rawGet keeps of a response (its body is closed).
type rawResponse struct {
	StatusCode int
	Header     http.Header
}

func rawGet(t *testing.T, s *server, path string) rawResponse {
	t.Helper()
	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, err := http.NewRequest(http.MethodGet, s.url+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "text/html")
	res, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = res.Body.Close()
	return rawResponse{StatusCode: res.StatusCode, Header: res.Header}
}

// TestSelfLinkTokenCannotInjectHeaders checks that the GET of an emailed
// link moves only a well-formed token into its cookie: a "token" with CR
// LF or "; attribute" would otherwise be written into Set-Cookie as given
// (a header of the attacker's choosing, such as a session cookie, or
// cookie attributes such as Domain).
func TestSelfLinkTokenCannotInjectHeaders(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	evil := "abc\r\nSet-Cookie: " + selfSSOCookie + "=attacker-session; Path=/\r\nX-Injected: 1"
	attrs := "abc; Domain=example.com; Max-Age=99999999"
	for _, path := range []string{"/reset-password", "/verify-email", "/invite"} {
		for _, tok := range []string{evil, attrs} {
			res := rawGet(t, s, path+"?token="+url.QueryEscape(tok))
			if res.StatusCode != http.StatusSeeOther {
				t.Fatalf("%s: status %d, want 303", path, res.StatusCode)
			}
			if res.Header.Get("X-Injected") != "" {
				t.Fatalf("%s: a header was injected: %v", path, res.Header)
			}
			for _, sc := range res.Header.Values("Set-Cookie") {
				if strings.Contains(sc, "attacker-session") || strings.Contains(strings.ToLower(sc), "domain=") ||
					strings.Contains(sc, "99999999") || strings.HasPrefix(sc, selfSSOCookie+"=") {
					t.Fatalf("%s: injected cookie or attribute: %q", path, sc)
				}
			}
		}
	}
	// A well-formed token still moves into its cookie.
	res := rawGet(t, s, "/reset-password?token=well-formed_Token-0123456789")
	found := false
	for _, sc := range res.Header.Values("Set-Cookie") {
		if strings.HasPrefix(sc, "secuird_reset=well-formed_Token-0123456789;") {
			found = true
		}
	}
	if !found {
		t.Fatalf("a good token was not kept: %v", res.Header.Values("Set-Cookie"))
	}
}

// TestSecurityReauthOnlyOnPost checks that the step-up form checks a
// password only on its POST: the GET route also answers HEAD, which
// carries no CSRF token and skips the POST's rate limit, so a HEAD with
// ?password= must not re-authenticate the session.
func TestSecurityReauthOnlyOnPost(t *testing.T) {
	t.Parallel()
	s := startServer(t, func(c *app.Config) { c.Session.StepUpMaxAge = 2 * time.Second })
	reg := s.register(t, "review-head@example.com")
	u := newUIClient(t, s)
	u.setSession(reg.Token)
	time.Sleep(2100 * time.Millisecond)
	if r := u.getNoFollow("/account/password"); r.status != http.StatusSeeOther {
		t.Fatalf("an old proof is not asked again: %d", r.status)
	}
	h := u.do(http.MethodHead, "/account/reauth?"+url.Values{"password": {pw}, "next": {"/account/password"}}.Encode(), nil, false)
	if h.status != http.StatusOK {
		t.Fatalf("HEAD of the step-up form: %d (location %q)", h.status, h.location)
	}
	if r := u.getNoFollow("/account/password"); r.status != http.StatusSeeOther || !strings.HasPrefix(r.location, "/account/reauth") {
		t.Fatalf("a HEAD re-authenticated the session: %d %q", r.status, r.location)
	}
	// The form itself still works.
	u.get("/account/reauth?next=%2Faccount%2Fpassword")
	if r := u.postNoFollow("/account/reauth", url.Values{"password": {pw}, "next": {"/account/password"}}); r.status != http.StatusSeeOther ||
		r.location != "/account/password" {
		t.Fatalf("step-up POST: %d %q", r.status, r.location)
	}
}

// TestSecurityReauthSharesTheRESTLimit checks that the step-up page counts
// under the REST re-authentication's limit: guessing a password through
// both doors gets one budget, not two.
func TestSecurityReauthSharesTheRESTLimit(t *testing.T) {
	t.Parallel()
	s := startServer(t, func(c *app.Config) {
		c.RateLimit.Enabled = true
		c.RateLimit.Login = "3/min"
	})
	reg := s.register(t, "review-rl@example.com")
	for i := range 3 {
		if r := s.call(t, "POST", "/api/v1/auth/reauthenticate", reg.Token, map[string]any{"password": "wrong-password-1"}); r.status == 429 {
			t.Fatalf("REST attempt %d limited early", i+1)
		}
	}
	u := newUIClient(t, s)
	u.setSession(reg.Token)
	u.get("/account/reauth")
	p := u.postNoFollow("/account/reauth", url.Values{"password": {"wrong-password-2"}, "next": {"/account"}})
	if p.status != http.StatusTooManyRequests {
		t.Fatalf("page attempt after the REST budget: %d, want 429", p.status)
	}
}

// reviewInviteIDs lists the IDs of the invitations waiting for token's user.
func reviewInviteIDs(t *testing.T, s *server, token string) []string {
	t.Helper()
	r := s.call(t, "GET", "/api/v1/users/me/invites", token, nil)
	expect(t, r, 200, "")
	var d struct {
		Invites []struct {
			ID string `json:"id"`
		} `json:"invites"`
	}
	r.data(t, &d)
	ids := make([]string, len(d.Invites))
	for i, x := range d.Invites {
		ids[i] = x.ID
	}
	return ids
}

// TestAccountPagesRefuseAnotherUsersIDs posts the account pages' actions
// with real IDs that belong to another user (a session, an invitation):
// each is not found and nothing changes.
func TestAccountPagesRefuseAnotherUsersIDs(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	s.register(t, "review-root@example.com")
	owner, orgID := selfInviteSetup(t, s, "review-owner@example.com")
	alice := s.verifiedUser(t, "review-alice@example.com")
	bob := s.verifiedUser(t, "review-bob@example.com")
	s.inviteTo(t, owner.Token, orgID, bob.User.Email, "member")
	invites := reviewInviteIDs(t, s, bob.Token)
	if len(invites) != 1 {
		t.Fatalf("bob has %d invitations", len(invites))
	}
	bobSession := restSessionID(t, s, bob.Token)

	u := newUIClient(t, s)
	u.setSession(alice.Token)
	u.get("/account")
	for _, path := range []string{
		"/account/sessions/" + bobSession + "/revoke",
		"/account/invites/" + invites[0] + "/accept",
		"/account/invites/" + invites[0] + "/decline",
	} {
		if r := u.post(path, url.Values{"confirm": {"yes"}}); r.status != http.StatusNotFound {
			t.Fatalf("%s with another user's ID: %d", path, r.status)
		}
	}
	u.get("/account")
	if r := u.post("/invite/decline", url.Values{"invite_id": {invites[0]}, "confirm": {"yes"}}); r.status == http.StatusOK || r.status == http.StatusSeeOther {
		t.Fatalf("invite page declined another user's invitation: %d", r.status)
	}
	expect(t, s.call(t, "GET", "/api/v1/users/me", bob.Token, nil), 200, "")
	if ids := reviewInviteIDs(t, s, bob.Token); len(ids) != 1 || ids[0] != invites[0] {
		t.Fatalf("bob's invitation changed: %v", ids)
	}
	if selfMemberOf(t, s, alice.Token, orgID) {
		t.Fatal("alice joined with bob's invitation")
	}
}
