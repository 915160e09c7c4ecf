package app_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/secuird/secuird/adapters/mail"
	"github.com/secuird/secuird/core/message"
)

// adminSignIn signs the browser in with a REST session token by setting
// the SSO cookie (plain http: secuird_session), as a finished sign-in
// would.
func adminSignIn(t *testing.T, c *uiClient, token string) {
	t.Helper()
	u, err := url.Parse(c.base)
	if err != nil {
		t.Fatal(err)
	}
	c.hc.Jar.SetCookies(u, []*http.Cookie{{Name: "secuird_session", Value: token, Path: "/", HttpOnly: true}})
}

// adminEnv is a server with a platform admin (the first user) and a
// plain user, each with a browser signed in.
type adminEnv struct {
	s           *server
	root, user  authData
	admin, peer *uiClient
}

func newAdminEnv(t *testing.T, s *server) *adminEnv {
	t.Helper()
	e := &adminEnv{s: s}
	e.root = s.register(t, "root@example.com")
	if !e.root.IsFirstUser {
		t.Fatal("the first user is not the platform admin")
	}
	e.user = s.register(t, "plain.user@example.com")
	e.admin, e.peer = newUIClient(t, s), newUIClient(t, s)
	adminSignIn(t, e.admin, e.root.Token)
	adminSignIn(t, e.peer, e.user.Token)
	return e
}

// userStatus reads a user's status through the REST admin API.
// wantStillActive fails unless the account is still active and its
// session still works (after what refused posts).
func (e *adminEnv) wantStillActive(t *testing.T, u authData, after string) {
	t.Helper()
	if got := e.userStatus(t, u.User.ID); got != "active" {
		t.Fatalf("the account is %s after %s", got, after)
	}
	expect(t, e.s.call(t, "GET", "/api/v1/auth/me", u.Token, nil), 200, "")
}

// eachAdminEnv runs test as a subtest per storage backend (see backends)
// with a new server and adminEnv.
func eachAdminEnv(t *testing.T, test func(t *testing.T, e *adminEnv)) {
	for name, backend := range backends(t) {
		t.Run(name, func(t *testing.T) {
			test(t, newAdminEnv(t, startServer(t, backend)))
		})
	}
}

func (e *adminEnv) userStatus(t *testing.T, id string) string {
	t.Helper()
	r := e.s.call(t, "GET", "/api/v1/admin/users/"+id, e.root.Token, nil)
	expect(t, r, 200, "")
	var d struct {
		User struct {
			Status        string `json:"status"`
			EmailVerified bool   `json:"email_verified"`
			IsDeleted     bool   `json:"is_deleted"`
		} `json:"user"`
	}
	r.data(t, &d)
	st := d.User.Status
	if d.User.IsDeleted {
		st = "deleted"
	}
	return st
}

func TestAdminPagesRenderForPlatformAdmins(t *testing.T) {
	eachAdminEnv(t, func(t *testing.T, e *adminEnv) {
		for _, tc := range []struct {
			path string
			want []string
		}{
			{"/admin", []string{`data-test="admin-user-counts"`, `data-test="count-users">2<`, `data-test="admin-outbox-counts"`, "RS256", "ES256"}},
			{"/admin/users", []string{`data-test="user-table"`, "root@example.com", "plain.user@example.com", `aria-current="page">Users`}},
			{"/admin/users/" + e.user.User.ID, []string{"plain.user@example.com", `data-test="suspend"`, `data-test="delete-confirm-email"`, `data-test="mfa-panel"`}},
			{"/admin/users/" + e.root.User.ID, []string{"root@example.com", "your own account"}},
			{"/admin/outbox", []string{`data-test="outbox-table"`, "verify_email"}},
			{"/admin/keys", []string{`data-test="keys-table"`, `data-test="rotate-keys"`, "RS256"}},
		} {
			p := e.admin.get(tc.path)
			if p.status != 200 {
				t.Fatalf("GET %s = %d:\n%s", tc.path, p.status, p.body)
			}
			p.mustContain(t, tc.want...)
			p.mustNotContain(t, "PrivateEnc", "PRIVATE KEY", "token=")
		}
		// Own account: no actions are offered.
		e.admin.get("/admin/users/"+e.root.User.ID).mustNotContain(t, `data-test="suspend"`, `data-test="delete"`)
		// A message page shows the record, never the body.
		qs, _, err := e.s.app.Outbox().List(t.Context(), message.OutboxFilter{})
		if err != nil || len(qs) == 0 {
			t.Fatalf("outbox: %d, %v", len(qs), err)
		}
		p := e.admin.get("/admin/outbox/" + qs[0].ID)
		if p.status != 200 {
			t.Fatalf("message page %d", p.status)
		}
		p.mustContain(t, qs[0].Email.To, qs[0].Email.Template)
		p.mustNotContain(t, "token=", "verify-email?")
		if p := e.admin.get("/admin/users/no-such-user"); p.status != 404 {
			t.Fatalf("unknown user = %d", p.status)
		}
		if p := e.admin.get("/admin/outbox/no-such-message"); p.status != 404 {
			t.Fatalf("unknown message = %d", p.status)
		}
	})
}

func TestAdminPagesAreNotFoundForEveryoneElse(t *testing.T) {
	s := startServer(t)
	e := newAdminEnv(t, s)
	id := e.user.User.ID
	routes := []struct{ method, path string }{ // :id is a real user's ID
		{"GET", "/admin"},
		{"GET", "/admin/users"},
		{"GET", "/admin/users/" + id},
		{"GET", "/admin/outbox"},
		{"GET", "/admin/outbox/x"},
		{"GET", "/admin/keys"},
		{"POST", "/admin/users/" + e.root.User.ID + "/suspend"},
		{"POST", "/admin/users/" + id + "/unsuspend"},
		{"POST", "/admin/users/" + id + "/verify-email"},
		{"POST", "/admin/users/" + id + "/mfa-reset"},
		{"POST", "/admin/users/" + id + "/delete"},
		{"POST", "/admin/users/" + id + "/restore"},
		{"POST", "/admin/outbox/x/retry"},
		{"POST", "/admin/keys/rotate"},
	}
	// The not-found page of a signed-in user carries a CSRF token (the
	// sign-out form), so the POSTs below pass the CSRF check and meet the
	// admin guard.
	if p := e.peer.get("/admin"); p.status != 404 || e.peer.csrf == "" {
		t.Fatalf("GET /admin as a user = %d (csrf %q)", p.status, e.peer.csrf)
	}
	for _, r := range routes {
		name := strings.NewReplacer(id, ":id", e.root.User.ID, ":self").Replace(r.path)
		t.Run("a signed-in user gets 404 for "+r.method+" "+name, func(t *testing.T) {
			var p page
			if r.method == "GET" {
				p = e.peer.get(r.path)
			} else {
				p = e.peer.postNoFollow(r.path, url.Values{"confirm": {"yes"}, "method": {"all"}, "confirm_email": {"root@example.com"}})
			}
			if p.status != 404 {
				t.Fatalf("%s %s = %d, want 404", r.method, r.path, p.status)
			}
			p.mustNotContain(t, "admin.", "Signing keys")
		})
	}
	t.Run("an anonymous browser is sent to sign in", func(t *testing.T) {
		anon := newUIClient(t, s)
		p := anon.getNoFollow("/admin/users")
		if p.status != 303 || !strings.HasPrefix(p.location, "/login?next=") {
			t.Fatalf("anonymous GET = %d %s", p.status, p.location)
		}
		if p := anon.postNoFollow("/admin/keys/rotate", url.Values{"confirm": {"yes"}}); p.status == 303 || p.status == 200 {
			t.Fatalf("anonymous POST = %d", p.status)
		}
	})
	if got := e.userStatus(t, e.root.User.ID); got != "active" {
		t.Fatalf("the admin is %s after the refused posts", got)
	}
}

func TestAdminSuspendEndsTheUsersSessions(t *testing.T) {
	eachAdminEnv(t, func(t *testing.T, e *adminEnv) {
		s := e.s
		id := e.user.User.ID
		expect(t, s.call(t, "GET", "/api/v1/auth/me", e.user.Token, nil), 200, "")
		e.admin.get("/admin/users/" + id)

		// Without confirm=yes the action asks first and changes nothing.
		p := e.admin.post("/admin/users/"+id+"/suspend", nil)
		p.mustContain(t, `data-test="confirm"`, `name="confirm" value="yes"`, "plain.user@example.com")
		if got := e.userStatus(t, id); got != "active" {
			t.Fatalf("status before confirming = %s", got)
		}
		p = e.admin.postNoFollow("/admin/users/"+id+"/suspend", url.Values{"confirm": {"yes"}})
		if p.status != 303 || p.location != "/admin/users/"+id {
			t.Fatalf("suspend = %d %s", p.status, p.location)
		}
		if got := e.userStatus(t, id); got != "suspended" {
			t.Fatalf("status = %s", got)
		}
		r := s.call(t, "GET", "/api/v1/auth/me", e.user.Token, nil)
		if r.status != 401 {
			t.Fatalf("the suspended user's token still works: %d", r.status)
		}
		e.admin.get("/admin/users/"+id).mustContain(t, `data-test="flash"`, "is suspended", `data-test="unsuspend"`)

		// Suspending twice is refused by the use case, shown as a flash.
		e.admin.post("/admin/users/"+id+"/suspend", url.Values{"confirm": {"yes"}}).mustContain(t, "already suspended")

		e.admin.post("/admin/users/"+id+"/unsuspend", nil).mustContain(t, "can sign in again")
		if got := e.userStatus(t, id); got != "active" {
			t.Fatalf("status after unsuspend = %s", got)
		}
	})
}

func TestAdminCannotActOnThemselves(t *testing.T) {
	e := newAdminEnv(t, startServer(t))
	id := e.root.User.ID
	e.admin.get("/admin/users/" + id)
	e.admin.post("/admin/users/"+id+"/suspend", url.Values{"confirm": {"yes"}}).mustContain(t, `data-test="flash"`, "Refused: you cannot do this to your own account")
	e.admin.post("/admin/users/"+id+"/delete", url.Values{"confirm_email": {"root@example.com"}}).mustContain(t, "Refused: you cannot do this to your own account")
	e.admin.post("/admin/users/"+id+"/mfa-reset", url.Values{"confirm": {"yes"}, "method": {"all"}}).mustContain(t, "Refused: you cannot do this to your own account")
	e.wantStillActive(t, e.root, "the refused posts")
}

func TestAdminActionsOnOrganizationOwnersAreRefused(t *testing.T) {
	e := newAdminEnv(t, startServer(t))
	id := e.user.User.ID
	expect(t, e.s.call(t, "POST", "/api/v1/organizations", e.user.Token, map[string]any{"name": "Owned", "slug": "owned-by-user"}), 201, "")
	e.admin.get("/admin/users/"+id).mustContain(t, "Owned", "Owner")
	e.admin.post("/admin/users/"+id+"/suspend", url.Values{"confirm": {"yes"}}).mustContain(t, `data-test="flash"`, "owns an organization")
	e.admin.post("/admin/users/"+id+"/delete", url.Values{"confirm_email": {"plain.user@example.com"}}).mustContain(t, "owns an organization")
	e.wantStillActive(t, e.user, "the refused posts")
}

func TestAdminVerifiesEmail(t *testing.T) {
	e := newAdminEnv(t, startServer(t))
	id := e.user.User.ID
	e.admin.get("/admin/users/"+id).mustContain(t, `data-test="email-unverified"`, `data-test="verify-email"`)
	p := e.admin.post("/admin/users/"+id+"/verify-email", nil)
	p.mustContain(t, "is now verified", `data-test="email-verified"`)
	p.mustNotContain(t, `data-test="verify-email"`)
	r := e.s.call(t, "GET", "/api/v1/auth/me", e.user.Token, nil)
	expect(t, r, 200, "")
	if !strings.Contains(string(r.raw), `"email_verified":true`) {
		t.Fatalf("me after verify: %s", r.raw)
	}
}

func TestAdminResetsMFA(t *testing.T) {
	eachAdminEnv(t, func(t *testing.T, e *adminEnv) {
		s := e.s
		id := e.user.User.ID
		r := s.call(t, "POST", "/api/v1/auth/totp/enroll", e.user.Token, nil)
		expect(t, r, 200, "")
		var en struct {
			Secret string `json:"secret"`
		}
		r.data(t, &en)
		code, _ := totp.GenerateCode(en.Secret, time.Now())
		expect(t, s.call(t, "POST", "/api/v1/auth/totp/verify-enrollment", e.user.Token, map[string]any{"code": code}), 200, "")

		e.admin.get("/admin/users").mustContain(t, ">On<")
		e.admin.get("/admin/users/"+id).mustContain(t, `data-test="mfa-reset-totp"`, "10 backup codes left")
		p := e.admin.post("/admin/users/"+id+"/mfa-reset", url.Values{"method": {"totp"}})
		p.mustContain(t, `data-test="confirm"`, `name="method" value="totp"`)
		p = e.admin.post("/admin/users/"+id+"/mfa-reset", url.Values{"method": {"totp"}, "confirm": {"yes"}})
		p.mustContain(t, "second factors were removed")
		p.mustNotContain(t, `data-test="mfa-reset-totp"`)

		st := s.call(t, "GET", "/api/v1/admin/users/"+id+"/mfa", e.root.Token, nil)
		if strings.Contains(string(st.raw), `"totp_enabled":true`) {
			t.Fatalf("TOTP still on: %s", st.raw)
		}
		if r := s.call(t, "GET", "/api/v1/auth/me", e.user.Token, nil); r.status != 401 {
			t.Fatalf("the user's session survived the reset: %d", r.status)
		}
		if _, err := s.mail.Wait(waitCtx(t), "plain.user@example.com", message.MFADisabled); err != nil {
			t.Fatalf("no MFA mail: %v", err)
		}
		// Nothing left to remove: told so, nothing breaks.
		e.admin.post("/admin/users/"+id+"/mfa-reset", url.Values{"method": {"totp"}, "confirm": {"yes"}}).mustContain(t, "nothing was removed")
		// An unknown method is refused without a change.
		e.admin.post("/admin/users/"+id+"/mfa-reset", url.Values{"method": {"sms"}, "confirm": {"yes"}}).mustContain(t, `data-test="flash"`)
	})
}

func TestAdminDeleteAndRestore(t *testing.T) {
	eachAdminEnv(t, func(t *testing.T, e *adminEnv) {
		s := e.s
		id := e.user.User.ID
		// The user deletes their own account (soft); the admin restores it.
		expect(t, s.call(t, "DELETE", "/api/v1/users/me", e.user.Token, nil), 200, "")
		e.admin.get("/admin/users?status=deleted").mustContain(t, "plain.user@example.com")
		e.admin.get("/admin/users/"+id).mustContain(t, `data-test="restore"`)
		e.admin.post("/admin/users/"+id+"/restore", nil).mustContain(t, "was restored")
		if got := e.userStatus(t, id); got != "active" {
			t.Fatalf("status after restore = %s", got)
		}

		// A permanent deletion needs the email typed again.
		e.admin.get("/admin/users/" + id)
		e.admin.post("/admin/users/"+id+"/delete", url.Values{"confirm_email": {"someone@example.com"}}).mustContain(t, "does not match")
		if got := e.userStatus(t, id); got != "active" {
			t.Fatalf("a mismatched confirmation changed the user: %s", got)
		}
		p := e.admin.post("/admin/users/"+id+"/delete", url.Values{"confirm_email": {"Plain.User@example.com"}})
		p.mustContain(t, "deleted permanently")
		if p.url != s.url+"/admin/users" {
			t.Fatalf("after delete at %s", p.url)
		}
		if p := e.admin.get("/admin/users/" + id); p.status != 404 {
			t.Fatalf("deleted user page = %d", p.status)
		}
	})
}

func TestAdminUserSearchAndFilter(t *testing.T) {
	eachAdminEnv(t, func(t *testing.T, e *adminEnv) {
		s := e.s
		s.register(t, "zebra.keeper@example.com")
		rootRow := `href="/admin/users/` + e.root.User.ID + `"`
		cases := []struct {
			name, query string
			want, not   []string
		}{
			{"an email substring finds the user", "?q=ZEBRA", []string{"zebra.keeper@example.com", "Users found: 1"}, []string{rootRow}},
			{"a name substring finds users", "?q=api+pers", []string{"zebra.keeper@example.com", rootRow, "Users found: 3"}, nil},
			{"no match says so", "?q=nobody-here", []string{`data-test="user-empty"`}, []string{"zebra.keeper"}},
			{"the status filter keeps suspended users only", "?status=suspended", []string{`data-test="user-empty"`}, []string{"zebra.keeper"}},
			{"active users", "?status=active", []string{"zebra.keeper@example.com", "Users found: 3"}, nil},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				p := e.admin.get("/admin/users" + c.query)
				if p.status != 200 {
					t.Fatalf("status %d", p.status)
				}
				p.mustContain(t, c.want...)
				p.mustNotContain(t, c.not...)
			})
		}
		if p := e.admin.get("/admin/users?status=asleep"); p.status != 400 {
			t.Fatalf("unknown status = %d", p.status)
		}
	})
}

func TestAdminOutboxRetry(t *testing.T) {
	rec := mail.NewRecorder()
	s := startMailServer(t, &deadOnce{rec: rec})
	e := newAdminEnv(t, s)
	deadID := s.onlyDeadMail(t)
	p := e.admin.get("/admin/outbox?status=dead")
	p.mustContain(t, `data-test="outbox-dead">1<`, "recipient refused", `data-test="outbox-retry"`, "root@example.com")
	p.mustNotContain(t, "token=")
	e.admin.get("/admin").mustContain(t, `data-test="count-dead">1<`)
	e.admin.get("/admin/outbox/"+deadID).mustContain(t, `data-test="message-retry"`, "recipient refused")
	p = e.admin.post("/admin/outbox/"+deadID+"/retry", nil)
	p.mustContain(t, "queued again")
	if _, err := rec.Wait(waitCtx(t), "root@example.com", message.VerifyEmail); err != nil {
		t.Fatalf("the retried message was not sent: %v", err)
	}
	eventually(t, "the message is sent", func() bool {
		q, err := s.app.Outbox().Get(t.Context(), deadID)
		return err == nil && q.Status == message.StatusSent
	})
	// A sent message is not sent again: the use case refuses.
	p = e.admin.post("/admin/outbox/"+deadID+"/retry", nil)
	p.mustContain(t, "already sent")
	p.mustNotContain(t, `data-test="message-retry"`)
}

func TestAdminKeysRotate(t *testing.T) {
	eachAdminEnv(t, func(t *testing.T, e *adminEnv) {
		s := e.s
		before, err := s.app.Provider.ListKeys(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		p := e.admin.get("/admin/keys")
		for _, k := range before {
			p.mustContain(t, k.ID)
		}
		p = e.admin.post("/admin/keys/rotate", nil)
		p.mustContain(t, `data-test="confirm"`)
		if after, _ := s.app.Provider.ListKeys(t.Context()); len(after) != len(before) {
			t.Fatalf("asking to confirm rotated the keys: %d -> %d", len(before), len(after))
		}
		p = e.admin.post("/admin/keys/rotate", url.Values{"confirm": {"yes"}})
		p.mustContain(t, "were rotated", "Retiring", "Next")
		after, err := s.app.Provider.ListKeys(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range before {
			for _, a := range after {
				if a.ID == k.ID && a.State != "retiring" {
					t.Fatalf("old key %s is %s after the rotation", k.ID, a.State)
				}
			}
		}
	})
}

func TestAdminFormsRefuseMissingCSRF(t *testing.T) {
	s := startServer(t)
	e := newAdminEnv(t, s)
	id := e.user.User.ID
	e.admin.get("/admin/users/" + id)
	for _, path := range []string{"/admin/users/" + id + "/suspend", "/admin/users/" + id + "/delete", "/admin/keys/rotate"} {
		p := e.admin.postNoFollow(path, url.Values{"csrf_token": {"forged"}, "confirm": {"yes"}, "confirm_email": {"plain.user@example.com"}})
		if p.status != 403 {
			t.Fatalf("POST %s with a forged token = %d", path, p.status)
		}
	}
	e.wantStillActive(t, e.user, "the forged posts")
}

func TestAdminPagesSpeakGerman(t *testing.T) {
	e := newAdminEnv(t, startServer(t))
	e.admin.lang = "de-DE,de;q=0.9"
	e.admin.get("/admin").mustContain(t, `lang="de"`, "Plattformverwaltung", "Übersicht")
	e.admin.get("/admin/users").mustContain(t, "E-Mail-Adresse oder Name", "Letzte Anmeldung")
	e.admin.get("/admin/users/"+e.user.User.ID).mustContain(t, "Konto sperren", "Endgültig löschen")
	e.admin.get("/admin/outbox").mustContain(t, "E-Mail-Warteschlange")
	e.admin.get("/admin/keys").mustContain(t, "Schlüssel jetzt rotieren")
}

func TestAdminRemovesOnePasskey(t *testing.T) {
	s := startServer(t)
	e := newAdminEnv(t, s)
	id := e.user.User.ID
	s.addPasskey(t, e.user.Token, id)
	s.addPasskey(t, e.user.Token, id)
	p := e.admin.get("/admin/users/" + id)
	p.mustContain(t, "2 registered", `data-test="mfa-remove-passkey"`, `data-test="mfa-reset-webauthn"`)
	m := regexp.MustCompile(`name="credential_id" value="([^"]+)"`).FindStringSubmatch(p.body)
	if m == nil {
		t.Fatal("no passkey form")
	}
	p = e.admin.post("/admin/users/"+id+"/mfa-reset", url.Values{"method": {"webauthn"}, "credential_id": {m[1]}})
	p.mustContain(t, `data-test="confirm"`, `name="credential_id" value="`+m[1]+`"`)
	p = e.admin.post("/admin/users/"+id+"/mfa-reset", url.Values{"method": {"webauthn"}, "credential_id": {m[1]}, "confirm": {"yes"}})
	p.mustContain(t, "second factors were removed", "1 registered")
	p.mustNotContain(t, m[1])
}
