package admin_test

import (
	"context"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/secuird/secuird/adapters/mail"
	"github.com/secuird/secuird/adapters/memory"
	"github.com/secuird/secuird/adapters/passhash"
	"github.com/secuird/secuird/adapters/sqlstore"
	"github.com/secuird/secuird/adapters/system"
	"github.com/secuird/secuird/core/account"
	"github.com/secuird/secuird/core/admin"
	"github.com/secuird/secuird/core/audit"
	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/core/identity"
	"github.com/secuird/secuird/core/message"
	"github.com/secuird/secuird/core/org"
	"github.com/secuird/secuird/core/tenancy"
)

type orgs struct{ t *tenancy.Service }

func (o *orgs) UserOrgs(ctx context.Context, id string) ([]org.UserOrg, error) {
	return o.t.UserOrgs(ctx, id)
}
func (o *orgs) PendingInvites(ctx context.Context, u identity.User) ([]org.InviteSummary, error) {
	return o.t.PendingInvites(ctx, u)
}
func (o *orgs) UserDeleting(ctx context.Context, u identity.User, at time.Time, src audit.Source) error {
	return o.t.UserDeleting(ctx, u, at, src)
}

type env struct {
	adm   *admin.Service
	ten   *tenancy.Service
	acc   *account.Service
	store *sqlstore.Store
	mail  *mail.Recorder
	src   audit.Source
	users map[string]identity.User
}

const password = "violet-harbor-71-quietly"

// newEnv builds two organizations:
//
//	acme:  owner ann, admin ada, member mel, guest gus, member cross
//	beta:  owner bea, member cross
//
// plus root (a platform admin) and loner (in no organization).
func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	st, err := sqlstore.Open(ctx, filepath.Join(t.TempDir(), "test.db"), sqlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	eph := memory.New()
	t.Cleanup(eph.Close)
	rec := mail.NewRecorder()
	clk := system.Clock{}
	o := &orgs{}
	hasher := passhash.New(4, 4)
	acc := account.New(account.Config{PublicURL: "https://id.example.com", SkipPasswordPolicy: true}, account.Deps{
		Tx: st, Users: st, Passwords: st, Links: st, Audit: st, Mailer: rec, Sessions: eph, Counter: eph,
		Hasher: hasher, Clock: clk, Random: system.Random{}, Orgs: o,
	})
	ten := tenancy.New(tenancy.Config{PublicURL: "https://id.example.com"}, tenancy.Deps{
		Tx: st, Users: st, Orgs: st, Members: st, Invites: st, Keys: st, Audit: st, Mailer: rec, Accounts: acc,
		Clock: clk, Random: system.Random{},
	})
	o.t = ten
	adm := admin.New(admin.Config{SupportEmail: "help@example.com"}, admin.Deps{
		Tx: st, Users: st, Members: st, Passwords: st, Sessions: eph, Hasher: hasher, Audit: st, Mailer: rec,
		Clock: clk, Random: system.Random{}, Stats: st,
	})
	e := &env{adm: adm, ten: ten, acc: acc, store: st, mail: rec, src: audit.Source{IP: "192.0.2.9"}, users: map[string]identity.User{}}
	for _, n := range []string{"root", "ann", "ada", "mel", "gus", "cross", "bea", "loner"} {
		r, err := acc.Register(ctx, account.RegisterInput{Email: n + "@example.com", Password: password, PasswordConfirm: password,
			FullName: n, EmailVerified: true}, e.src)
		if err != nil {
			t.Fatal(err)
		}
		e.users[n] = r.User
	}
	if !e.users["root"].IsPlatformAdmin {
		t.Fatal("the first user is not a platform admin")
	}
	acme := e.mkOrg(t, "ann", "acme", map[string]org.Role{"ada": org.Admin, "mel": org.Member, "gus": org.Guest, "cross": org.Member})
	e.mkOrg(t, "bea", "beta", map[string]org.Role{"cross": org.Member})
	_ = acme
	return e
}

func (e *env) mkOrg(t *testing.T, owner, slug string, members map[string]org.Role) org.Organization {
	t.Helper()
	ctx := context.Background()
	ow := tenancy.UserActor(e.users[owner])
	d, err := e.ten.CreateOrg(ctx, ow, tenancy.OrgInput{Name: &slug, Slug: &slug}, e.src)
	if err != nil {
		t.Fatal(err)
	}
	for name, r := range members {
		if _, err := e.ten.CreateInvite(ctx, ow, d.Org.ID, name+"@example.com", string(r), e.src); err != nil {
			t.Fatal(err)
		}
		m, _ := e.mail.Last(name + "@example.com")
		u, _ := url.Parse(m.Vars["link"])
		a := tenancy.UserActor(e.users[name])
		if _, err := e.ten.AcceptInvite(ctx, &a, u.Query().Get("token"), tenancy.SignUp{}, e.src); err != nil {
			t.Fatal(err)
		}
	}
	return d.Org
}

func (e *env) u(name string) identity.User { return e.users[name] }

func wantCode(t *testing.T, err error, k fault.Kind, code string) {
	t.Helper()
	fe := fault.As(err)
	if fe == nil || fe.Kind != k || (code != "" && fe.Code != code) {
		t.Fatalf("want %v %s, got %v", k, code, err)
	}
}

func emails(list []admin.UserEntry) []string {
	var out []string
	for _, e := range list {
		out = append(out, strings.TrimSuffix(e.User.Email, "@example.com"))
	}
	return out
}

func TestVisibility(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	t.Run("platform admins see every user", func(t *testing.T) {
		list, pi, err := e.adm.ListUsers(ctx, e.u("root"), admin.ListQuery{})
		if err != nil || pi.Count != 8 || len(list) != 8 {
			t.Fatalf("ListUsers = %v %+v %v", emails(list), pi, err)
		}
	})
	t.Run("org admins see their orgs' users with their orgs' roles only", func(t *testing.T) {
		list, pi, err := e.adm.ListUsers(ctx, e.u("ada"), admin.ListQuery{})
		got := strings.Join(emails(list), ",")
		if err != nil || pi.Count != 5 || got != "ada,ann,cross,gus,mel" {
			t.Fatalf("ListUsers(ada) = %s %+v %v", got, pi, err)
		}
		for _, u := range list {
			if u.User.Email == "cross@example.com" && len(u.Memberships) != 1 {
				t.Fatalf("ada sees cross's other org: %+v", u.Memberships)
			}
		}
		_, err = e.adm.GetUser(ctx, e.u("ada"), e.u("bea").ID)
		wantCode(t, err, fault.NotFound, "")
		_, err = e.adm.GetUser(ctx, e.u("ada"), e.u("loner").ID)
		wantCode(t, err, fault.NotFound, "")
	})
	t.Run("members and guests are refused", func(t *testing.T) {
		_, _, err := e.adm.ListUsers(ctx, e.u("mel"), admin.ListQuery{})
		wantCode(t, err, fault.Forbidden, "AUTHORIZATION_ERROR")
		_, err = e.adm.GetUser(ctx, e.u("loner"), e.u("mel").ID)
		wantCode(t, err, fault.Forbidden, "AUTHORIZATION_ERROR")
	})
	t.Run("search and paging", func(t *testing.T) {
		list, pi, err := e.adm.ListUsers(ctx, e.u("root"), admin.ListQuery{Search: "ME", PageRequest: tenancy.PageRequest{Page: 1, PerPage: 1}})
		if err != nil || pi.Count != 1 || pi.Pages != 1 || len(list) != 1 || list[0].User.FullName != "mel" {
			t.Fatalf("search = %v %+v %v", emails(list), pi, err)
		}
		list, pi, err = e.adm.ListUsers(ctx, e.u("root"), admin.ListQuery{PageRequest: tenancy.PageRequest{Page: 2, PerPage: 3}})
		if err != nil || pi.Count != 8 || pi.Pages != 3 || pi.Page != 2 || len(list) != 3 {
			t.Fatalf("page 2 = %v %+v %v", emails(list), pi, err)
		}
	})
}

func TestActions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("suspension ends every session at once and mails the user", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		l, err := e.acc.Login(ctx, account.LoginInput{Email: "mel@example.com", Password: password}, e.src)
		if err != nil {
			t.Fatal(err)
		}
		u, err := e.adm.Suspend(ctx, e.u("ada"), e.u("mel").ID, e.src)
		if err != nil || u.Status != identity.StatusSuspended {
			t.Fatalf("Suspend = %+v %v", u, err)
		}
		_, err = e.acc.Authenticate(ctx, l.Token)
		wantCode(t, err, fault.Unauthenticated, "INVALID_TOKEN")
		if m, ok := e.mail.Last("mel@example.com"); !ok || m.Template != message.AccountSuspended || m.Vars["support_email"] != "help@example.com" {
			t.Fatalf("suspension mail = %+v", m)
		}
		_, err = e.adm.Suspend(ctx, e.u("ada"), e.u("mel").ID, e.src)
		wantCode(t, err, fault.Conflict, "")
		if _, err := e.adm.Unsuspend(ctx, e.u("ada"), e.u("mel").ID, e.src); err != nil {
			t.Fatal(err)
		}
		_, err = e.adm.Unsuspend(ctx, e.u("ada"), e.u("mel").ID, e.src)
		wantCode(t, err, fault.Conflict, "")
		list, _, _ := e.store.ListAudit(ctx, audit.Filter{Action: audit.UserSuspend})
		if len(list) != 1 || list[0].ActorID != e.u("ada").ID || list[0].ResourceID != e.u("mel").ID || list[0].OrgID == "" {
			t.Fatalf("user.suspend audit = %+v", list)
		}
	})

	t.Run("org admins never act on owners, platform admins, themselves or outsiders", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		_, err := e.adm.Suspend(ctx, e.u("ada"), e.u("ann").ID, e.src)
		wantCode(t, err, fault.Forbidden, "OWNER_PROTECTION")
		_, err = e.adm.Suspend(ctx, e.u("root"), e.u("ann").ID, e.src)
		wantCode(t, err, fault.Forbidden, "OWNER_PROTECTION")
		err = e.adm.SetPassword(ctx, e.u("ada"), e.u("ann").ID, "another-long-pass", e.src)
		wantCode(t, err, fault.Forbidden, "OWNER_PROTECTION")
		_, err = e.adm.Suspend(ctx, e.u("ada"), e.u("ada").ID, e.src)
		wantCode(t, err, fault.Forbidden, "AUTHORIZATION_ERROR")
		_, err = e.adm.Suspend(ctx, e.u("ada"), e.u("bea").ID, e.src)
		wantCode(t, err, fault.NotFound, "")
		_, err = e.adm.VerifyEmail(ctx, e.u("mel"), e.u("gus").ID, e.src)
		wantCode(t, err, fault.Forbidden, "")
		if _, _, err := e.adm.SetPlatformAdmin(ctx, "gus@example.com", true, e.src); err != nil {
			t.Fatal(err)
		}
		_, err = e.adm.Suspend(ctx, e.u("ada"), e.u("gus").ID, e.src)
		wantCode(t, err, fault.Forbidden, "AUTHORIZATION_ERROR")
		u, _ := e.store.UserByID(ctx, e.u("ann").ID)
		if u.Status != identity.StatusActive {
			t.Fatal("a refused suspension changed the owner")
		}
	})

	t.Run("hard delete needs confirm and rights over every org of the user", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		err := e.adm.HardDelete(ctx, e.u("ada"), e.u("mel").ID, false, e.src)
		wantCode(t, err, fault.Invalid, "CONFIRMATION_REQUIRED")
		err = e.adm.HardDelete(ctx, e.u("ada"), e.u("cross").ID, true, e.src)
		wantCode(t, err, fault.Forbidden, "AUTHORIZATION_ERROR")
		if err := e.adm.HardDelete(ctx, e.u("ada"), e.u("mel").ID, true, e.src); err != nil {
			t.Fatal(err)
		}
		if _, err := e.store.UserByIDAny(ctx, e.u("mel").ID); !fault.Is(err, fault.NotFound) {
			t.Fatalf("mel survived: %v", err)
		}
		if err := e.adm.HardDelete(ctx, e.u("root"), e.u("cross").ID, true, e.src); err != nil {
			t.Fatalf("a platform admin deletes across orgs: %v", err)
		}
		list, _, _ := e.store.ListAudit(ctx, audit.Filter{Action: audit.UserHardDelete})
		if len(list) != 2 {
			t.Fatalf("user.hard_delete audit = %+v", list)
		}
	})

	t.Run("restore brings back a self-deleted user with the memberships", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		l, err := e.acc.Login(ctx, account.LoginInput{Email: "gus@example.com", Password: password}, e.src)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.acc.DeleteAccount(ctx, account.Principal{User: l.User, Session: l.Session}, e.src); err != nil {
			t.Fatal(err)
		}
		list, _, err := e.adm.ListUsers(ctx, e.u("ada"), admin.ListQuery{Search: "gus"})
		if err != nil || len(list) != 1 || !list[0].User.Deleted() || len(list[0].Memberships) != 1 {
			t.Fatalf("ada does not see deleted gus: %+v %v", list, err)
		}
		_, err = e.adm.Restore(ctx, e.u("bea"), e.u("gus").ID, e.src)
		wantCode(t, err, fault.NotFound, "")
		u, err := e.adm.Restore(ctx, e.u("ada"), e.u("gus").ID, e.src)
		if err != nil || u.Deleted() {
			t.Fatalf("Restore = %+v %v", u, err)
		}
		orgs, _ := e.ten.UserOrgs(ctx, e.u("gus").ID)
		if len(orgs) != 1 || orgs[0].Membership.Role != org.Guest {
			t.Fatalf("memberships not restored: %+v", orgs)
		}
		_, err = e.adm.Restore(ctx, e.u("ada"), e.u("gus").ID, e.src)
		wantCode(t, err, fault.NotFound, "")
	})

	t.Run("admin password set and email verification", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		l, err := e.acc.Login(ctx, account.LoginInput{Email: "mel@example.com", Password: password}, e.src)
		if err != nil {
			t.Fatal(err)
		}
		err = e.adm.SetPassword(ctx, e.u("ada"), e.u("mel").ID, "short", e.src)
		wantCode(t, err, fault.Invalid, "")
		if err := e.adm.SetPassword(ctx, e.u("ada"), e.u("mel").ID, "brand-new-password-9", e.src); err != nil {
			t.Fatal(err)
		}
		_, err = e.acc.Authenticate(ctx, l.Token)
		wantCode(t, err, fault.Unauthenticated, "INVALID_TOKEN")
		if _, err := e.acc.Login(ctx, account.LoginInput{Email: "mel@example.com", Password: "brand-new-password-9"}, e.src); err != nil {
			t.Fatalf("the new password does not work: %v", err)
		}
		r, err := e.acc.Register(ctx, account.RegisterInput{Email: "late@example.com", Password: password, PasswordConfirm: password}, e.src)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.adm.VerifyEmail(ctx, e.u("root"), r.User.ID, e.src); err != nil {
			t.Fatal(err)
		}
		u, _ := e.store.UserByID(ctx, r.User.ID)
		if !u.EmailVerified {
			t.Fatal("email not verified")
		}
		for _, a := range []string{audit.AdminPasswordSet, audit.AdminEmailVerify} {
			if list, _, _ := e.store.ListAudit(ctx, audit.Filter{Action: a}); len(list) != 1 {
				t.Errorf("%s audited %d times", a, len(list))
			}
		}
	})

	t.Run("the platform-admin flag moves only by the operator's use case", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		u, changed, err := e.adm.SetPlatformAdmin(ctx, "MEL@example.com", true, audit.Source{})
		if err != nil || !changed || !u.IsPlatformAdmin {
			t.Fatalf("grant = %+v %v %v", u, changed, err)
		}
		if _, changed, _ := e.adm.SetPlatformAdmin(ctx, "mel@example.com", true, audit.Source{}); changed {
			t.Fatal("a second grant changed something")
		}
		if _, _, err := e.adm.SetPlatformAdmin(ctx, "mel@example.com", false, audit.Source{}); err != nil {
			t.Fatal(err)
		}
		_, _, err = e.adm.SetPlatformAdmin(ctx, "ghost@example.com", true, audit.Source{})
		wantCode(t, err, fault.NotFound, "")
		for _, a := range []string{audit.PlatformAdminGranted, audit.PlatformAdminRevoked} {
			if list, _, _ := e.store.ListAudit(ctx, audit.Filter{Action: a}); len(list) != 1 || list[0].ResourceID != e.u("mel").ID {
				t.Errorf("%s audit = %+v", a, list)
			}
		}
	})
}
