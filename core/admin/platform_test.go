package admin_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/secuird/secuird/core/account"
	"github.com/secuird/secuird/core/admin"
	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/core/identity"
	"github.com/secuird/secuird/core/mfa"
)

// newEnvSuspendedAndDeleted is newEnv with mel suspended (by root)
// and loner's account deleted (by loner).
func newEnvSuspendedAndDeleted(t *testing.T) *env {
	t.Helper()
	e := newEnv(t)
	ctx := context.Background()
	if _, err := e.adm.Suspend(ctx, e.u("root"), e.u("mel").ID, e.src); err != nil {
		t.Fatal(err)
	}
	if err := e.acc.DeleteAccount(ctx, account.Principal{User: e.u("loner")}, e.src); err != nil {
		t.Fatal(err)
	}
	return e
}

func TestStatusFilter(t *testing.T) {
	t.Parallel()
	e := newEnvSuspendedAndDeleted(t)
	ctx := context.Background()
	cases := []struct {
		name, status, want string
	}{
		{"suspended lists only suspended live users", "suspended", "mel"},
		{"deleted lists only soft-deleted users", admin.StatusDeleted, "loner"},
		{"active leaves out suspended and deleted users", "active", "ada,ann,bea,cross,gus,root"},
		{"no status lists everyone", "", "ada,ann,bea,cross,gus,loner,mel,root"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			list, pi, err := e.adm.ListUsers(ctx, e.u("root"), admin.ListQuery{Status: c.status})
			got := strings.Join(emails(list), ",")
			if err != nil || got != c.want || pi.Count != len(list) {
				t.Fatalf("ListUsers(%q) = %s %+v %v", c.status, got, pi, err)
			}
		})
	}
	t.Run("an unknown status is invalid", func(t *testing.T) {
		_, _, err := e.adm.ListUsers(ctx, e.u("root"), admin.ListQuery{Status: "asleep"})
		wantCode(t, err, fault.Invalid, "")
	})
	t.Run("search combines with the status", func(t *testing.T) {
		list, _, err := e.adm.ListUsers(ctx, e.u("root"), admin.ListQuery{Search: "me", Status: "active"})
		if err != nil || len(list) != 0 {
			t.Fatalf("search me, active = %v %v", emails(list), err)
		}
		list, _, err = e.adm.ListUsers(ctx, e.u("root"), admin.ListQuery{Search: "me", Status: "suspended"})
		if got := strings.Join(emails(list), ","); err != nil || got != "mel" {
			t.Fatalf("search me, suspended = %s %v", got, err)
		}
	})
}

func TestPlatformOverview(t *testing.T) {
	t.Parallel()
	e := newEnvSuspendedAndDeleted(t)
	ctx := context.Background()
	o, err := e.adm.PlatformOverview(ctx, e.u("root"))
	if err != nil {
		t.Fatal(err)
	}
	if o.Users != 7 || o.UsersByStatus[identity.StatusSuspended] != 1 || o.UsersByStatus[identity.StatusActive] != 6 ||
		o.DeletedUsers != 1 || o.Orgs != 2 {
		t.Fatalf("overview = %+v", o)
	}
	_, err = e.adm.PlatformOverview(ctx, e.u("ann"))
	wantCode(t, err, fault.Forbidden, "AUTHORIZATION_ERROR")
}

func TestPlatformUser(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	if _, err := e.acc.Login(ctx, account.LoginInput{Email: "cross@example.com", Password: password}, e.src); err != nil {
		t.Fatal(err)
	}
	d, err := e.adm.PlatformUser(ctx, e.u("root"), e.u("cross").ID)
	if err != nil {
		t.Fatal(err)
	}
	// Registration started one session, the login another.
	if len(d.Orgs) != 2 || d.Sessions != 2 || d.Self {
		t.Fatalf("detail = %d orgs, %d sessions, self %v", len(d.Orgs), d.Sessions, d.Self)
	}
	if d, err = e.adm.PlatformUser(ctx, e.u("root"), e.u("root").ID); err != nil || !d.Self {
		t.Fatalf("own detail: self %v, %v", d.Self, err)
	}
	_, err = e.adm.PlatformUser(ctx, e.u("ann"), e.u("mel").ID)
	wantCode(t, err, fault.Forbidden, "AUTHORIZATION_ERROR")
	_, err = e.adm.PlatformUser(ctx, e.u("root"), "no-such-user")
	wantCode(t, err, fault.NotFound, "")
}

func TestListShowsMFA(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	now := time.Now().UTC()
	for name, verified := range map[string]*time.Time{"mel": &now, "gus": nil} {
		if err := e.store.PutTOTPMethod(ctx, mfa.TOTP{UserID: e.u(name).ID, SealedSecret: []byte("x"), SealKeyID: "k",
			VerifiedAt: verified, CreatedAt: now, UpdatedAt: now}, nil); err != nil {
			t.Fatal(err)
		}
	}
	list, _, err := e.adm.ListUsers(ctx, e.u("root"), admin.ListQuery{})
	if err != nil {
		t.Fatal(err)
	}
	var with []string
	for _, u := range list {
		if u.MFA {
			with = append(with, u.User.FullName)
		}
	}
	// An unverified enrolment is no second factor.
	if strings.Join(with, ",") != "mel" {
		t.Fatalf("users with MFA = %v", with)
	}
}
