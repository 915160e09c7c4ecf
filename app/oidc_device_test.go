package app_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/secuird/secuird/core/oidc"
	"github.com/secuird/secuird/core/provider"
)

const tvClient = "tv-001"

// deviceConf is an x/oauth2 device-flow client for the public TV client.
func deviceConf(s *server) oauth2.Config {
	return oauth2.Config{ClientID: tvClient, Scopes: []string{"openid", "profile", "offline_access"},
		Endpoint: oauth2.Endpoint{DeviceAuthURL: s.url + "/oidc/device_authorization", TokenURL: s.url + "/oidc/token", AuthStyle: oauth2.AuthStyleInParams}}
}

// postPage posts a form with the browser and returns the reply.
func (r *rp) postPage(u string, form url.Values) (reply, string) {
	r.t.Helper()
	res, err := r.browser.PostForm(u, form)
	if err != nil {
		r.t.Fatalf("POST %s: %v", u, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return reply{res.StatusCode, res.Header}, string(b)
}

// enterUserCode opens the verification link, submits the code, signs in
// and answers the consent page; it returns the final page.
func (r *rp) enterUserCode(link, action string) string {
	r.t.Helper()
	res, body := r.get(link)
	csrf := hiddenCSRF.FindStringSubmatch(body)
	if res.StatusCode != http.StatusOK || csrf == nil || !strings.Contains(body, `name="user_code"`) {
		r.t.Fatalf("device page: %d %.300s", res.StatusCode, body)
	}
	code := regexpValue(body, "user_code")
	res, body = r.postPage(r.s.url+"/oidc/device", url.Values{"user_code": {code}, "csrf_token": {csrf[1]}})
	if strings.Contains(body, `name="password"`) {
		id, csrf := hiddenID.FindStringSubmatch(body), hiddenCSRF.FindStringSubmatch(body)
		res, body = r.postPage(r.s.url+"/oidc/login", url.Values{"id": {id[1]}, "csrf_token": {csrf[1]}, "email": {bobEmail}, "password": {bobPassword}})
	}
	id, csrf := hiddenID.FindStringSubmatch(body), hiddenCSRF.FindStringSubmatch(body)
	if res.StatusCode != http.StatusOK || !strings.Contains(body, `action="/oidc/consent"`) || id == nil {
		r.t.Fatalf("want the consent page after the code: %d %.400s", res.StatusCode, body)
	}
	_, body = r.postPage(r.s.url+"/oidc/consent", url.Values{"id": {id[1]}, "csrf_token": {csrf[1]}, "action": {action}})
	return body
}

func regexpValue(body, name string) string {
	i := strings.Index(body, `name="`+name+`"`)
	if i < 0 {
		return ""
	}
	rest := body[i:]
	j := strings.Index(rest, `value="`)
	if j < 0 {
		return ""
	}
	rest = rest[j+len(`value="`):]
	return rest[:strings.Index(rest, `"`)]
}

// pollOnce makes one raw device token request.
func pollOnce(t *testing.T, s *server, deviceCode string) (int, map[string]any) {
	status, body, _ := postForm(t, s.url+"/oidc/token", "", "", url.Values{"grant_type": {oidc.GrantDeviceCode}, "device_code": {deviceCode}, "client_id": {tvClient}})
	return status, body
}

func TestOIDCDeviceFlow(t *testing.T) {
	t.Parallel()
	s := startOIDC(t, nil)
	ctx := context.Background()
	if _, err := s.app.Provider.ImportClients(ctx, []provider.ImportClient{{ClientID: tvClient, Name: "Living Room TV", Public: true,
		GrantTypes: []string{oidc.GrantDeviceCode, oidc.GrantRefreshToken}, Scopes: []string{"openid", "profile", "offline_access"},
		AccessTTL: time.Hour, RefreshTTL: 24 * time.Hour, IDTokenTTL: time.Hour, ConsentMode: oidc.ConsentFirstParty}}); err != nil {
		t.Fatal(err)
	}
	r := newRP(t, s)
	conf := deviceConf(s)

	t.Run("code entry, login and consent give the device tokens once", func(t *testing.T) {
		r := r.with(t)
		da, err := conf.DeviceAuth(ctx)
		if err != nil {
			t.Fatalf("device authorization: %v", err)
		}
		if da.UserCode == "" || !strings.HasPrefix(da.VerificationURI, s.url+"/oidc/device") || da.VerificationURIComplete == "" {
			t.Fatalf("device authorization response %+v", da)
		}
		if status, body := pollOnce(t, s, da.DeviceCode); status != http.StatusBadRequest || body["error"] != "authorization_pending" {
			t.Fatalf("poll before approval: %d %v", status, body)
		}
		// The first-party client still gets a consent page: device requests always ask.
		if body := r.enterUserCode(da.VerificationURIComplete, "approve"); !strings.Contains(body, "Your device is now signed in") {
			t.Fatalf("after approval: %.300s", body)
		}
		tok, err := conf.DeviceAccessToken(ctx, da)
		if err != nil {
			t.Fatalf("device access token: %v", err)
		}
		if tok.RefreshToken == "" {
			t.Error("no refresh token with offline_access")
		}
		raw, _ := tok.Extra("id_token").(string)
		if _, err := r.provider.Verifier(&gooidc.Config{ClientID: tvClient}).Verify(ctx, raw); err != nil {
			t.Errorf("id token: %v", err)
		}
		ui, err := r.provider.UserInfo(ctx, oauth2.StaticTokenSource(tok))
		if err != nil || ui.Subject == "" {
			t.Errorf("userinfo: %v", err)
		}
		// A redeemed code fails at once (before any slow_down).
		if status, body := pollOnce(t, s, da.DeviceCode); status != http.StatusBadRequest || body["error"] != "invalid_grant" {
			t.Errorf("second redemption: %d %v", status, body)
		}
	})

	t.Run("polling too fast answers slow_down", func(t *testing.T) {
		da, err := conf.DeviceAuth(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pollOnce(t, s, da.DeviceCode)
		if status, body := pollOnce(t, s, da.DeviceCode); status != http.StatusBadRequest || body["error"] != "slow_down" {
			t.Errorf("fast poll: %d %v", status, body)
		}
	})

	t.Run("a denied device gets access_denied", func(t *testing.T) {
		da, err := conf.DeviceAuth(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if body := r.with(t).enterUserCode(da.VerificationURIComplete, "deny"); !strings.Contains(body, "not given access") {
			t.Fatalf("after denial: %.300s", body)
		}
		if status, body := pollOnce(t, s, da.DeviceCode); status != http.StatusBadRequest || body["error"] != "access_denied" {
			t.Errorf("denied poll: %d %v", status, body)
		}
	})

	t.Run("a wrong user code re-renders the form", func(t *testing.T) {
		jar, _ := cookiejar.New(nil)
		b := &rp{t: t, s: s, browser: newBrowser(jar)}
		_, body := b.get(s.url + "/oidc/device")
		csrf := hiddenCSRF.FindStringSubmatch(body)
		res, body := b.postPage(s.url+"/oidc/device", url.Values{"user_code": {"BCDF-GHJK"}, "csrf_token": {csrf[1]}})
		if res.StatusCode != http.StatusBadRequest || !strings.Contains(body, "not valid") {
			t.Errorf("wrong code: %d %.300s", res.StatusCode, body)
		}
		res, _ = b.postPage(s.url+"/oidc/device", url.Values{"user_code": {"BCDF-GHJK"}})
		if res.StatusCode != http.StatusForbidden {
			t.Errorf("no CSRF token: %d", res.StatusCode)
		}
	})

	t.Run("a client without the grant cannot start the flow", func(t *testing.T) {
		status, body, _ := postForm(t, s.url+"/oidc/device_authorization", portalID, portalSecret, url.Values{"scope": {"openid"}})
		if status == http.StatusOK {
			t.Errorf("portal started a device flow: %v", body)
		}
	})
}
