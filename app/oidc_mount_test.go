package app_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/oauth2"
)

// The provider is mounted through a copying adaptor (STACK-NOTES trap 1):
// many authorization requests on one keep-alive connection must each be
// stored with exactly their own parameters.
func TestOIDCMountKeepsEachRequestOnOneConnection(t *testing.T) {
	t.Parallel()
	s := startOIDC(t, nil)
	tr := &http.Transport{MaxConnsPerHost: 1, MaxIdleConnsPerHost: 1}
	defer tr.CloseIdleConnections()
	cl := &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	type sent struct{ id, state, nonce, challenge string }
	var all []sent
	for i := range 40 {
		v := sent{
			state:     fmt.Sprintf("state-%03d-%s", i, strings.Repeat("s", i)),
			nonce:     fmt.Sprintf("nonce-%03d-%s", i, strings.Repeat("n", 40-i)),
			challenge: oauth2.S256ChallengeFromVerifier(oauth2.GenerateVerifier()),
		}
		q := url.Values{"client_id": {portalID}, "response_type": {"code"}, "scope": {"openid profile"}, "state": {v.state},
			"nonce": {v.nonce}, "redirect_uri": {portalRedirect}, "code_challenge": {v.challenge}, "code_challenge_method": {"S256"}}
		res, err := cl.Get(s.url + "/oidc/authorize?" + q.Encode())
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		loc, err := url.Parse(res.Header.Get("Location"))
		if err != nil || loc.Query().Get("id") == "" {
			t.Fatalf("request %d: status %d location %q", i, res.StatusCode, res.Header.Get("Location"))
		}
		v.id = loc.Query().Get("id")
		all = append(all, v)
	}
	for i, v := range all {
		a, err := s.app.Provider.AuthRequest(context.Background(), v.id)
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		if a.State != v.state || a.Nonce != v.nonce || a.CodeChallenge != v.challenge || a.ClientID != portalID ||
			a.RedirectURI != portalRedirect || a.ResponseType != "code" || strings.Join(a.Scopes, " ") != "openid profile" {
			t.Errorf("request %d stored as %+v, want state %q nonce %q challenge %q", i, a, v.state, v.nonce, v.challenge)
		}
	}
}
