package tenancy_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/secuird/secuird/adapters/mail"
	"github.com/secuird/secuird/adapters/memory"
	"github.com/secuird/secuird/adapters/passhash"
	"github.com/secuird/secuird/adapters/sqlstore"
	"github.com/secuird/secuird/adapters/system"
	"github.com/secuird/secuird/core/account"
	"github.com/secuird/secuird/core/audit"
	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/core/identity"
	"github.com/secuird/secuird/core/message"
	"github.com/secuird/secuird/core/org"
	"github.com/secuird/secuird/core/tenancy"
	"github.com/secuird/secuird/ports"
	"github.com/secuird/secuird/ports/porttest"
)

// hook records organization deletions and can refuse them.
type hook struct {
	mu      sync.Mutex
	deleted []string
	fail    error
}

func (h *hook) OrgDeleted(_ context.Context, orgID string, _ time.Time) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.fail != nil {
		return h.fail
	}
	h.deleted = append(h.deleted, orgID)
	return nil
}

type env struct {
	ten   *tenancy.Service
	acc   *account.Service
	store *sqlstore.Store
	mail  *mail.Recorder
	clock *porttest.Clock
	hook  *hook
	src   audit.Source
}

// lateOrgs lets the account service reach the tenancy service built after it.
type lateOrgs struct{ t *tenancy.Service }

func (l *lateOrgs) UserOrgs(ctx context.Context, id string) ([]org.UserOrg, error) {
	return l.t.UserOrgs(ctx, id)
}
func (l *lateOrgs) PendingInvites(ctx context.Context, u identity.User) ([]org.InviteSummary, error) {
	return l.t.PendingInvites(ctx, u)
}
func (l *lateOrgs) UserDeleting(ctx context.Context, u identity.User, at time.Time, src audit.Source) error {
	return l.t.UserDeleting(ctx, u, at, src)
}

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
	clk := porttest.NewClock(time.Now().UTC().Truncate(time.Second))
	late := &lateOrgs{}
	acc := account.New(account.Config{PublicURL: "https://id.example.com", SkipPasswordPolicy: true}, account.Deps{
		Tx: st, Users: st, Passwords: st, Links: st, Audit: st, Mailer: rec, Sessions: eph, Counter: eph,
		Hasher: passhash.New(4, 4), Clock: clk, Random: system.Random{}, Orgs: late,
	})
	h := &hook{}
	ten := tenancy.New(tenancy.Config{PublicURL: "https://id.example.com/"}, tenancy.Deps{
		Tx: st, Users: st, Orgs: st, Members: st, Invites: st, Keys: st, Audit: st, Mailer: rec,
		Accounts: acc, DeletionHooks: []ports.OrgDeletionHook{h}, Clock: clk, Random: system.Random{},
	})
	late.t = ten
	return &env{ten: ten, acc: acc, store: st, mail: rec, clock: clk, hook: h, src: audit.Source{IP: "192.0.2.1", RequestID: "req-1"}}
}

const password = "violet-harbor-71-quietly"

// user registers an account (email verified) and returns it as an actor.
func (e *env) user(t *testing.T, email string) tenancy.Actor {
	t.Helper()
	r, err := e.acc.Register(context.Background(), account.RegisterInput{Email: email, Password: password, PasswordConfirm: password,
		FullName: strings.Split(email, "@")[0], EmailVerified: true}, e.src)
	if err != nil {
		t.Fatalf("register %s: %v", email, err)
	}
	return tenancy.UserActor(r.User)
}

// org creates an organization owned by owner.
func (e *env) org(t *testing.T, owner tenancy.Actor, slug string) org.Organization {
	t.Helper()
	name := strings.ToUpper(slug[:1]) + slug[1:]
	d, err := e.ten.CreateOrg(context.Background(), owner, tenancy.OrgInput{Name: &name, Slug: &slug}, e.src)
	if err != nil {
		t.Fatalf("create org %s: %v", slug, err)
	}
	return d.Org
}

// join invites u to o as role (sent by inviter) and accepts it.
func (e *env) join(t *testing.T, inviter tenancy.Actor, o org.Organization, u tenancy.Actor, role org.Role) {
	t.Helper()
	ctx := context.Background()
	if _, err := e.ten.CreateInvite(ctx, inviter, o.ID, u.User.Email, string(role), e.src); err != nil {
		t.Fatalf("invite %s: %v", u.User.Email, err)
	}
	if _, err := e.ten.AcceptInvite(ctx, &u, e.inviteToken(t, u.User.Email), tenancy.SignUp{}, e.src); err != nil {
		t.Fatalf("accept %s: %v", u.User.Email, err)
	}
}

func (e *env) inviteToken(t *testing.T, to string) string {
	t.Helper()
	m, err := e.mail.Wait(context.Background(), to, message.OrgInvite)
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(m.Vars["link"])
	if err != nil {
		t.Fatal(err)
	}
	return u.Query().Get("token")
}

func wantKind(t *testing.T, err error, k fault.Kind, code string) {
	t.Helper()
	fe := fault.As(err)
	if fe == nil || fe.Kind != k || (code != "" && fe.Code != code) {
		t.Fatalf("want %v %s, got %v", k, code, err)
	}
}

func (e *env) role(t *testing.T, orgID, userID string) org.Role {
	t.Helper()
	r, err := e.store.Role(context.Background(), orgID, userID)
	if fault.Is(err, fault.NotFound) {
		return ""
	}
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func (e *env) audited(t *testing.T, orgID, action string) []audit.Entry {
	t.Helper()
	list, _, err := e.store.ListAudit(context.Background(), audit.Filter{OrgID: orgID, Action: action})
	if err != nil {
		t.Fatal(err)
	}
	return list
}

func TestOrganizations(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("the creator becomes owner, and the creation is audited with the org", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		alice := e.user(t, "alice@example.com")
		o := e.org(t, alice, "acme")
		if e.role(t, o.ID, alice.User.ID) != org.Owner {
			t.Fatal("creator is not the owner")
		}
		d, err := e.ten.GetOrg(ctx, alice, o.ID)
		if err != nil || d.MemberCount != 1 || d.Role != org.Owner || d.Org.Slug != "acme" {
			t.Fatalf("GetOrg = %+v, %v", d, err)
		}
		if got := e.audited(t, o.ID, audit.OrgCreate); len(got) != 1 || got[0].ActorID != alice.User.ID {
			t.Fatalf("org.create audit = %+v", got)
		}
	})

	t.Run("rejects bad names and slugs and a taken slug", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		alice := e.user(t, "alice@example.com")
		e.org(t, alice, "acme")
		for _, c := range []struct{ name, slug, field string }{
			{"", "fine", "name"}, {"Fine", "", "slug"}, {"Fine", "Upper", "slug"}, {"Fine", "-lead", "slug"},
			{"Fine", "a", "slug"}, {"Fine", "two--hyphens", "slug"}, {"Fine", "sp ace", "slug"},
		} {
			_, err := e.ten.CreateOrg(ctx, alice, tenancy.OrgInput{Name: &c.name, Slug: &c.slug}, e.src)
			fe := fault.As(err)
			if fe == nil || fe.Kind != fault.Invalid || len(fe.Fields[c.field]) == 0 {
				t.Errorf("name %q slug %q: %v", c.name, c.slug, err)
			}
		}
		name, slug := "Again", "acme"
		_, err := e.ten.CreateOrg(ctx, alice, tenancy.OrgInput{Name: &name, Slug: &slug}, e.src)
		wantKind(t, err, fault.Conflict, "")
	})

	t.Run("non-members get NotFound for everything under an org", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		alice, mallory := e.user(t, "alice@example.com"), e.user(t, "mallory@example.com")
		o := e.org(t, alice, "acme")
		e.org(t, mallory, "evil")
		name := "Pwned"
		calls := map[string]func() error{
			"get": func() error { _, err := e.ten.GetOrg(ctx, mallory, o.ID); return err },
			"update": func() error {
				_, err := e.ten.UpdateOrg(ctx, mallory, o.ID, tenancy.OrgInput{Name: &name}, e.src)
				return err
			},
			"delete": func() error { return e.ten.DeleteOrg(ctx, mallory, o.ID, true, e.src) },
			"members": func() error {
				_, _, err := e.ten.ListMembers(ctx, mallory, o.ID, "", tenancy.PageRequest{})
				return err
			},
			"roles": func() error { _, err := e.ten.Roles(ctx, mallory, o.ID); return err },
			"add": func() error {
				_, err := e.ten.AddMember(ctx, mallory, o.ID, "mallory@example.com", "owner", e.src)
				return err
			},
			"remove": func() error { return e.ten.RemoveMember(ctx, mallory, o.ID, alice.User.ID, e.src) },
			"role": func() error {
				_, err := e.ten.ChangeRole(ctx, mallory, o.ID, alice.User.ID, "guest", e.src)
				return err
			},
			"transfer": func() error { return e.ten.TransferOwnership(ctx, mallory, o.ID, mallory.User.ID, e.src) },
			"invite":   func() error { _, err := e.ten.CreateInvite(ctx, mallory, o.ID, "x@example.com", "", e.src); return err },
			"invites":  func() error { _, err := e.ten.ListInvites(ctx, mallory, o.ID); return err },
			"cancel":   func() error { return e.ten.CancelInvite(ctx, mallory, o.ID, "x", e.src) },
			"key": func() error {
				_, _, err := e.ten.CreateAPIKey(ctx, mallory, o.ID, tenancy.APIKeyInput{Name: &name}, e.src)
				return err
			},
			"keys":    func() error { _, err := e.ten.ListAPIKeys(ctx, mallory, o.ID); return err },
			"revoke":  func() error { _, err := e.ten.RevokeAPIKey(ctx, mallory, o.ID, "x", "", e.src); return err },
			"unknown": func() error { _, err := e.ten.GetOrg(ctx, alice, "no-such-org"); return err },
		}
		for name, call := range calls {
			if err := call(); !fault.Is(err, fault.NotFound) {
				t.Errorf("%s: %v, want NotFound", name, err)
			}
		}
		if d, _ := e.ten.GetOrg(ctx, alice, o.ID); d.Org.Name != "Acme" || d.MemberCount != 1 {
			t.Fatalf("the org changed: %+v", d)
		}
	})

	t.Run("deletion needs confirm with other members, then frees the slug and stops keys, invites and clients", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		alice, bob := e.user(t, "alice@example.com"), e.user(t, "bob@example.com")
		o := e.org(t, alice, "acme")
		e.join(t, alice, o, bob, org.Member)
		name := "ci"
		_, raw, err := e.ten.CreateAPIKey(ctx, alice, o.ID, tenancy.APIKeyInput{Name: &name}, e.src)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.ten.CreateInvite(ctx, alice, o.ID, "carol@example.com", "", e.src); err != nil {
			t.Fatal(err)
		}
		invite := e.inviteToken(t, "carol@example.com")

		wantKind(t, e.ten.DeleteOrg(ctx, bob, o.ID, true, e.src), fault.Forbidden, "AUTHORIZATION_ERROR")
		wantKind(t, e.ten.DeleteOrg(ctx, alice, o.ID, false, e.src), fault.Invalid, "CONFIRMATION_REQUIRED")
		e.hook.fail = errors.New("client store down")
		if err := e.ten.DeleteOrg(ctx, alice, o.ID, true, e.src); err == nil {
			t.Fatal("deletion succeeded although a hook failed")
		}
		if _, err := e.ten.GetOrg(ctx, alice, o.ID); err != nil {
			t.Fatalf("a failed hook did not roll the deletion back: %v", err)
		}
		e.hook.fail = nil
		if err := e.ten.DeleteOrg(ctx, alice, o.ID, true, e.src); err != nil {
			t.Fatal(err)
		}
		if len(e.hook.deleted) != 1 || e.hook.deleted[0] != o.ID {
			t.Fatalf("deletion hook calls: %v", e.hook.deleted)
		}
		_, err = e.ten.GetOrg(ctx, alice, o.ID)
		wantKind(t, err, fault.NotFound, "")
		_, err = e.ten.AuthenticateKey(ctx, raw)
		wantKind(t, err, fault.Unauthenticated, "INVALID_TOKEN")
		_, err = e.ten.LookupInvite(ctx, invite)
		wantKind(t, err, fault.NotFound, "")
		if orgs, _ := e.ten.UserOrgs(ctx, bob.User.ID); len(orgs) != 0 {
			t.Fatalf("bob still a member: %+v", orgs)
		}
		again := e.org(t, bob, "acme")
		if again.ID == o.ID {
			t.Fatal("slug not reusable")
		}
		if got := e.audited(t, o.ID, audit.OrgDelete); len(got) != 1 || fmt.Sprint(got[0].Extra["api_keys_revoked"]) != "1" {
			t.Fatalf("org.delete audit = %+v", got)
		}
	})

	t.Run("update changes only the given fields and refuses the slug", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		alice := e.user(t, "alice@example.com")
		o := e.org(t, alice, "acme")
		desc, slug, logo := "Anvils", "other", "ftp://x"
		d, err := e.ten.UpdateOrg(ctx, alice, o.ID, tenancy.OrgInput{Description: &desc}, e.src)
		if err != nil || d.Org.Description != "Anvils" || d.Org.Name != "Acme" {
			t.Fatalf("UpdateOrg = %+v %v", d, err)
		}
		_, err = e.ten.UpdateOrg(ctx, alice, o.ID, tenancy.OrgInput{Slug: &slug}, e.src)
		wantKind(t, err, fault.Invalid, "")
		_, err = e.ten.UpdateOrg(ctx, alice, o.ID, tenancy.OrgInput{LogoURL: &logo}, e.src)
		wantKind(t, err, fault.Invalid, "")
		if got := e.audited(t, o.ID, audit.OrgUpdate); len(got) != 1 {
			t.Fatalf("org.update audit = %+v", got)
		}
	})
}

func TestRoles(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	// team builds acme with an owner, an admin, a member and a guest.
	team := func(t *testing.T) (e *env, o org.Organization, owner, admin, member, guest tenancy.Actor) {
		e = newEnv(t)
		e.user(t, "first@example.com") // the platform admin, out of the way
		owner, admin, member, guest = e.user(t, "owner@example.com"), e.user(t, "admin@example.com"), e.user(t, "member@example.com"), e.user(t, "guest@example.com")
		o = e.org(t, owner, "acme")
		e.join(t, owner, o, admin, org.Admin)
		e.join(t, owner, o, member, org.Member)
		e.join(t, admin, o, guest, org.Guest)
		return
	}

	t.Run("only an owner grants or removes owner, and admins never act on owners", func(t *testing.T) {
		t.Parallel()
		e, o, owner, admin, member, _ := team(t)
		_, err := e.ten.ChangeRole(ctx, admin, o.ID, member.User.ID, "owner", e.src)
		wantKind(t, err, fault.Forbidden, "OWNER_PROTECTION")
		_, err = e.ten.ChangeRole(ctx, admin, o.ID, owner.User.ID, "member", e.src)
		wantKind(t, err, fault.Forbidden, "OWNER_PROTECTION")
		wantKind(t, e.ten.RemoveMember(ctx, admin, o.ID, owner.User.ID, e.src), fault.Forbidden, "OWNER_PROTECTION")
		_, err = e.ten.ChangeRole(ctx, admin, o.ID, admin.User.ID, "owner", e.src)
		wantKind(t, err, fault.Forbidden, "OWNER_PROTECTION")
		if e.role(t, o.ID, owner.User.ID) != org.Owner || e.role(t, o.ID, member.User.ID) != org.Member {
			t.Fatal("a refused change changed a role")
		}
		if _, err := e.ten.ChangeRole(ctx, owner, o.ID, member.User.ID, "owner", e.src); err != nil {
			t.Fatal(err)
		}
		if got := e.audited(t, o.ID, audit.OrgMemberRoleChange); len(got) != 1 || got[0].Extra["to"] != "owner" {
			t.Fatalf("role change audit = %+v", got)
		}
	})

	t.Run("an organization always keeps an owner", func(t *testing.T) {
		t.Parallel()
		e, o, owner, admin, _, _ := team(t)
		wantKind(t, e.ten.RemoveMember(ctx, owner, o.ID, owner.User.ID, e.src), fault.Forbidden, "OWNER_PROTECTION")
		_, err := e.ten.ChangeRole(ctx, owner, o.ID, owner.User.ID, "admin", e.src)
		wantKind(t, err, fault.Forbidden, "OWNER_PROTECTION")
		if _, err := e.ten.ChangeRole(ctx, owner, o.ID, admin.User.ID, "owner", e.src); err != nil {
			t.Fatal(err)
		}
		if _, err := e.ten.ChangeRole(ctx, owner, o.ID, owner.User.ID, "admin", e.src); err != nil {
			t.Fatalf("a second owner should let the first step down: %v", err)
		}
		_, err = e.ten.ChangeRole(ctx, admin, o.ID, admin.User.ID, "member", e.src)
		wantKind(t, err, fault.Forbidden, "OWNER_PROTECTION")
	})

	t.Run("concurrent demotions of the last two owners leave one owner", func(t *testing.T) {
		t.Parallel()
		e, o, owner, admin, _, _ := team(t)
		if _, err := e.ten.ChangeRole(ctx, owner, o.ID, admin.User.ID, "owner", e.src); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		for _, pair := range [][2]tenancy.Actor{{owner, admin}, {admin, owner}} {
			wg.Go(func() { _, _ = e.ten.ChangeRole(ctx, pair[0], o.ID, pair[1].User.ID, "member", e.src) })
		}
		wg.Wait()
		counts, err := e.store.CountMembers(ctx, o.ID)
		if err != nil || counts[org.Owner] != 1 {
			t.Fatalf("owners after the race: %v %v", counts, err)
		}
	})

	t.Run("nobody raises anyone above their own role; members and guests change nothing", func(t *testing.T) {
		t.Parallel()
		e, o, _, admin, member, guest := team(t)
		_, err := e.ten.ChangeRole(ctx, guest, o.ID, guest.User.ID, "member", e.src)
		wantKind(t, err, fault.Forbidden, "AUTHORIZATION_ERROR")
		_, err = e.ten.CreateInvite(ctx, admin, o.ID, "boss@example.com", "owner", e.src)
		wantKind(t, err, fault.Forbidden, "OWNER_PROTECTION")
		_, err = e.ten.CreateInvite(ctx, member, o.ID, "friend@example.com", "guest", e.src)
		wantKind(t, err, fault.Forbidden, "AUTHORIZATION_ERROR")
		_, _, err = e.ten.ListMembers(ctx, guest, o.ID, "", tenancy.PageRequest{})
		wantKind(t, err, fault.Forbidden, "AUTHORIZATION_ERROR")
		if _, err := e.ten.GetOrg(ctx, guest, o.ID); err != nil {
			t.Fatalf("a guest reads the overview: %v", err)
		}
		_, _, err = e.ten.ListMembers(ctx, member, o.ID, "", tenancy.PageRequest{})
		if err != nil {
			t.Fatalf("a member reads the members: %v", err)
		}
		_, err = e.ten.ChangeRole(ctx, member, o.ID, guest.User.ID, "member", e.src)
		wantKind(t, err, fault.Forbidden, "AUTHORIZATION_ERROR")
		if _, err := e.ten.ChangeRole(ctx, admin, o.ID, member.User.ID, "admin", e.src); err != nil {
			t.Fatalf("an admin may make an admin: %v", err)
		}
	})

	t.Run("anyone may leave; direct add is for platform admins", func(t *testing.T) {
		t.Parallel()
		e, o, owner, _, member, guest := team(t)
		if err := e.ten.RemoveMember(ctx, guest, o.ID, guest.User.ID, e.src); err != nil {
			t.Fatalf("a guest leaves: %v", err)
		}
		_, err := e.ten.AddMember(ctx, owner, o.ID, "guest@example.com", "member", e.src)
		wantKind(t, err, fault.Forbidden, "AUTHORIZATION_ERROR")
		root := e.user(t, "root@example.com")
		root.User.IsPlatformAdmin = true
		_, err = e.ten.AddMember(ctx, root, o.ID, "guest@example.com", "owner", e.src)
		wantKind(t, err, fault.Forbidden, "OWNER_PROTECTION")
		m, err := e.ten.AddMember(ctx, root, o.ID, "GUEST@example.com", "", e.src)
		if err != nil || m.Role != org.Member {
			t.Fatalf("platform admin add: %+v %v", m, err)
		}
		_, err = e.ten.AddMember(ctx, root, o.ID, member.User.Email, "guest", e.src)
		wantKind(t, err, fault.Conflict, "")
	})

	t.Run("ownership transfer swaps roles and mails both", func(t *testing.T) {
		t.Parallel()
		e, o, owner, admin, member, _ := team(t)
		wantKind(t, e.ten.TransferOwnership(ctx, admin, o.ID, admin.User.ID, e.src), fault.Forbidden, "AUTHORIZATION_ERROR")
		wantKind(t, e.ten.TransferOwnership(ctx, owner, o.ID, "nobody", e.src), fault.NotFound, "")
		if err := e.ten.TransferOwnership(ctx, owner, o.ID, member.User.ID, e.src); err != nil {
			t.Fatal(err)
		}
		if e.role(t, o.ID, member.User.ID) != org.Owner || e.role(t, o.ID, owner.User.ID) != org.Admin {
			t.Fatal("roles not swapped")
		}
		for _, to := range []string{owner.User.Email, member.User.Email} {
			if m, ok := e.mail.Last(to); !ok || m.Template != message.OwnershipTransfer || m.Vars["org_name"] != "Acme" {
				t.Errorf("no ownership mail to %s: %+v", to, m)
			}
		}
		if got := e.audited(t, o.ID, audit.OrgOwnershipTransferred); len(got) != 1 {
			t.Fatalf("transfer audit = %+v", got)
		}
	})

	t.Run("role endpoints take roles away without removing the member", func(t *testing.T) {
		t.Parallel()
		e, o, owner, admin, member, _ := team(t)
		m, err := e.ten.UnassignRole(ctx, owner, o.ID, "admin", admin.User.ID, e.src)
		if err != nil || m.Role != org.Member {
			t.Fatalf("UnassignRole = %+v %v", m, err)
		}
		_, err = e.ten.UnassignRole(ctx, owner, o.ID, "member", member.User.ID, e.src)
		wantKind(t, err, fault.Invalid, "")
		_, err = e.ten.UnassignRole(ctx, owner, o.ID, "admin", member.User.ID, e.src)
		wantKind(t, err, fault.NotFound, "")
		if _, err := e.ten.AssignRole(ctx, owner, o.ID, "guest", member.User.ID, e.src); err != nil {
			t.Fatal(err)
		}
		roles, err := e.ten.Roles(ctx, owner, o.ID)
		if err != nil || len(roles[org.Guest]) != 2 || len(roles[org.Member]) != 1 || len(roles[org.Owner]) != 1 {
			t.Fatalf("Roles = %+v %v", roles, err)
		}
	})
}

func TestInvites(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("an invite is mailed with a single-use token under the public URL", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		alice, bob := e.user(t, "alice@example.com"), e.user(t, "bob@example.com")
		o := e.org(t, alice, "acme")
		inv, err := e.ten.CreateInvite(ctx, alice, o.ID, "BOB@example.com", "admin", e.src)
		if err != nil || inv.Role != org.Admin || inv.Email != "bob@example.com" {
			t.Fatalf("CreateInvite = %+v %v", inv, err)
		}
		m, _ := e.mail.Last("bob@example.com")
		if !strings.HasPrefix(m.Vars["link"], "https://id.example.com/invite?token=") || m.Vars["org_name"] != "Acme" ||
			m.Vars["inviter_name"] != "alice" || m.Vars["role"] != "admin" || m.Vars["expires_in"] != "7 days" || len(m.Sensitive) != 1 {
			t.Fatalf("invite mail = %+v", m)
		}
		tok := e.inviteToken(t, "bob@example.com")
		if strings.Contains(inv.TokenHash, tok) || inv.TokenHash == tok {
			t.Fatal("the token is stored in clear")
		}
		info, err := e.ten.LookupInvite(ctx, tok)
		if err != nil || !info.UserExists || info.OrgName != "Acme" {
			t.Fatalf("LookupInvite = %+v %v", info, err)
		}
		acc, err := e.ten.AcceptInvite(ctx, &bob, tok, tenancy.SignUp{}, e.src)
		if err != nil || acc.Membership.Role != org.Admin || acc.Registration != nil {
			t.Fatalf("AcceptInvite = %+v %v", acc, err)
		}
		_, err = e.ten.AcceptInvite(ctx, &bob, tok, tenancy.SignUp{}, e.src)
		wantKind(t, err, fault.NotFound, "")
		if m, ok := e.mail.Last("alice@example.com"); !ok || m.Template != message.InviteAccepted || m.Vars["member_email"] != "bob@example.com" {
			t.Fatalf("no invite-accepted mail to the inviter: %+v", m)
		}
		for _, a := range []string{audit.InviteCreated, audit.InviteAccepted, audit.OrgMemberAdd} {
			if len(e.audited(t, o.ID, a)) == 0 {
				t.Errorf("%s not audited with the org", a)
			}
		}
	})

	t.Run("a session of another or an unverified email cannot accept", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		alice, mallory := e.user(t, "alice@example.com"), e.user(t, "mallory@example.com")
		o := e.org(t, alice, "acme")
		if _, err := e.ten.CreateInvite(ctx, alice, o.ID, "bob@example.com", "", e.src); err != nil {
			t.Fatal(err)
		}
		tok := e.inviteToken(t, "bob@example.com")
		_, err := e.ten.AcceptInvite(ctx, &mallory, tok, tenancy.SignUp{}, e.src)
		wantKind(t, err, fault.Forbidden, "EMAIL_MISMATCH")
		r, err := e.acc.Register(ctx, account.RegisterInput{Email: "bob@example.com", Password: password, PasswordConfirm: password}, e.src)
		if err != nil {
			t.Fatal(err)
		}
		unverified := tenancy.UserActor(r.User)
		_, err = e.ten.AcceptInvite(ctx, &unverified, tok, tenancy.SignUp{}, e.src)
		wantKind(t, err, fault.Forbidden, "EMAIL_MISMATCH")
		if e.role(t, o.ID, mallory.User.ID) != "" || e.role(t, o.ID, r.User.ID) != "" {
			t.Fatal("a refused accept added a member")
		}
	})

	t.Run("the link alone never signs into an existing account", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		alice, bob := e.user(t, "alice@example.com"), e.user(t, "bob@example.com")
		o := e.org(t, alice, "acme")
		if _, err := e.ten.CreateInvite(ctx, alice, o.ID, "bob@example.com", "", e.src); err != nil {
			t.Fatal(err)
		}
		tok := e.inviteToken(t, "bob@example.com")
		_, err := e.ten.AcceptInvite(ctx, nil, tok, tenancy.SignUp{FullName: "x", Password: password, PasswordConfirm: password}, e.src)
		wantKind(t, err, fault.Unauthenticated, "AUTH_REQUIRED")
		if fault.As(err).Details["user_exists"] != true {
			t.Fatalf("details = %v", fault.As(err).Details)
		}
		if e.role(t, o.ID, bob.User.ID) != "" {
			t.Fatal("membership added without bob's session")
		}
		if _, err := e.ten.AcceptInvite(ctx, &bob, tok, tenancy.SignUp{}, e.src); err != nil {
			t.Fatalf("the token was spent by the refused attempt: %v", err)
		}
	})

	t.Run("accepting without a session creates a verified account with a session", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		alice := e.user(t, "alice@example.com")
		o := e.org(t, alice, "acme")
		if _, err := e.ten.CreateInvite(ctx, alice, o.ID, "new@example.com", "guest", e.src); err != nil {
			t.Fatal(err)
		}
		tok := e.inviteToken(t, "new@example.com")
		_, err := e.ten.AcceptInvite(ctx, nil, tok, tenancy.SignUp{Password: "short", PasswordConfirm: "short"}, e.src)
		wantKind(t, err, fault.Invalid, "")
		acc, err := e.ten.AcceptInvite(ctx, nil, tok, tenancy.SignUp{FullName: "New Person", Password: password, PasswordConfirm: password}, e.src)
		if err != nil || acc.Registration == nil || !acc.Registration.User.EmailVerified || acc.Registration.Token == "" {
			t.Fatalf("AcceptInvite = %+v %v", acc, err)
		}
		if acc.Registration.RequiresOrgSetup {
			t.Fatal("the new member still needs org setup")
		}
		if e.role(t, o.ID, acc.Registration.User.ID) != org.Guest {
			t.Fatal("not a guest of acme")
		}
		if m, _ := e.mail.Last("new@example.com"); m.Template == message.VerifyEmail {
			t.Fatal("a verification mail was sent for a proven address")
		}
	})

	t.Run("expired, cancelled and outranked invites are refused", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		alice, carol, bob := e.user(t, "alice@example.com"), e.user(t, "carol@example.com"), e.user(t, "bob@example.com")
		dave := e.user(t, "dave@example.com")
		o := e.org(t, alice, "acme")
		e.join(t, alice, o, carol, org.Admin)

		if _, err := e.ten.CreateInvite(ctx, alice, o.ID, "bob@example.com", "", e.src); err != nil {
			t.Fatal(err)
		}
		expiring := e.inviteToken(t, "bob@example.com")
		e.clock.Advance(7*24*time.Hour + time.Second)
		_, err := e.ten.AcceptInvite(ctx, &bob, expiring, tenancy.SignUp{}, e.src)
		wantKind(t, err, fault.NotFound, "")

		inv, err := e.ten.CreateInvite(ctx, alice, o.ID, "bob@example.com", "", e.src)
		if err != nil {
			t.Fatal(err)
		}
		cancelled := e.inviteToken(t, "bob@example.com")
		if err := e.ten.CancelInvite(ctx, carol, o.ID, inv.ID, e.src); err != nil {
			t.Fatal(err)
		}
		_, err = e.ten.AcceptInvite(ctx, &bob, cancelled, tenancy.SignUp{}, e.src)
		wantKind(t, err, fault.NotFound, "")
		if len(e.audited(t, o.ID, audit.InviteCancelled)) != 1 {
			t.Fatal("invite.cancelled not audited")
		}

		if _, err := e.ten.CreateInvite(ctx, carol, o.ID, "dave@example.com", "admin", e.src); err != nil {
			t.Fatal(err)
		}
		fromCarol := e.inviteToken(t, "dave@example.com")
		if _, err := e.ten.ChangeRole(ctx, alice, o.ID, carol.User.ID, "member", e.src); err != nil {
			t.Fatal(err)
		}
		_, err = e.ten.AcceptInvite(ctx, &dave, fromCarol, tenancy.SignUp{}, e.src)
		wantKind(t, err, fault.NotFound, "")
		if e.role(t, o.ID, dave.User.ID) != "" {
			t.Fatal("an invite outlived its inviter's right to grant it")
		}
	})

	t.Run("an owner invite is cancelled only by an owner; another org's invite is NotFound", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		alice, carol, zed := e.user(t, "alice@example.com"), e.user(t, "carol@example.com"), e.user(t, "zed@example.com")
		o := e.org(t, alice, "acme")
		other := e.org(t, zed, "other")
		e.join(t, alice, o, carol, org.Admin)
		inv, err := e.ten.CreateInvite(ctx, alice, o.ID, "boss@example.com", "owner", e.src)
		if err != nil {
			t.Fatal(err)
		}
		wantKind(t, e.ten.CancelInvite(ctx, carol, o.ID, inv.ID, e.src), fault.Forbidden, "OWNER_PROTECTION")
		wantKind(t, e.ten.CancelInvite(ctx, zed, other.ID, inv.ID, e.src), fault.NotFound, "")
		list, err := e.ten.ListInvites(ctx, alice, o.ID)
		if err != nil || len(list) != 1 {
			t.Fatalf("the invite was cancelled: %+v %v", list, err)
		}
	})

	t.Run("pending invites show for verified emails only", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		alice := e.user(t, "alice@example.com")
		o := e.org(t, alice, "acme")
		if _, err := e.ten.CreateInvite(ctx, alice, o.ID, "bob@example.com", "", e.src); err != nil {
			t.Fatal(err)
		}
		r, err := e.acc.Register(ctx, account.RegisterInput{Email: "bob@example.com", Password: password, PasswordConfirm: password}, e.src)
		if err != nil || len(r.PendingInvites) != 0 || !r.RequiresOrgSetup {
			t.Fatalf("unverified registration: %+v %v", r.OrgSetup, err)
		}
		l, err := e.acc.Login(ctx, account.LoginInput{Email: "alice@example.com", Password: password}, e.src)
		if err != nil || l.RequiresOrgSetup {
			t.Fatalf("alice has an org: %+v %v", l.OrgSetup, err)
		}
		carol := e.user(t, "carol@example.com")
		if _, err := e.ten.CreateInvite(ctx, alice, o.ID, "carol@example.com", "", e.src); err != nil {
			t.Fatal(err)
		}
		l, err = e.acc.Login(ctx, account.LoginInput{Email: "carol@example.com", Password: password}, e.src)
		if err != nil || !l.RequiresOrgSetup || len(l.PendingInvites) != 1 || l.PendingInvites[0].OrgName != "Acme" {
			t.Fatalf("carol's login: %+v %v", l.OrgSetup, err)
		}
		mine, err := e.ten.MyInvites(ctx, carol)
		if err != nil || len(mine) != 1 {
			t.Fatalf("MyInvites = %+v %v", mine, err)
		}
	})
}

func TestAPIKeys(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("a key is shown once, prefixed, stored hashed and reads only its own org", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		alice, zed := e.user(t, "alice@example.com"), e.user(t, "zed@example.com")
		o, other := e.org(t, alice, "acme"), e.org(t, zed, "other")
		name := "deploy"
		k, raw, err := e.ten.CreateAPIKey(ctx, alice, o.ID, tenancy.APIKeyInput{Name: &name}, e.src)
		if err != nil || !org.LooksLikeAPIKey(raw) || k.Hint != raw[:org.APIKeyHintLen] || strings.Contains(k.KeyHash, raw) {
			t.Fatalf("CreateAPIKey = %+v %q %v", k, raw, err)
		}
		got, err := e.ten.AuthenticateKey(ctx, raw)
		if err != nil || got.ID != k.ID || got.LastUsedAt == nil {
			t.Fatalf("AuthenticateKey = %+v %v", got, err)
		}
		machine := tenancy.KeyActor(got)
		if _, err := e.ten.GetOrg(ctx, machine, o.ID); err != nil {
			t.Fatalf("the key reads its org: %v", err)
		}
		if _, _, err := e.ten.ListMembers(ctx, machine, o.ID, "", tenancy.PageRequest{}); err != nil {
			t.Fatalf("the key lists members: %v", err)
		}
		_, err = e.ten.GetOrg(ctx, machine, other.ID)
		wantKind(t, err, fault.NotFound, "")
		desc := "x"
		_, err = e.ten.UpdateOrg(ctx, machine, o.ID, tenancy.OrgInput{Description: &desc}, e.src)
		wantKind(t, err, fault.Forbidden, "")
		_, err = e.ten.CreateInvite(ctx, machine, o.ID, "x@example.com", "", e.src)
		wantKind(t, err, fault.Forbidden, "")
		for _, bad := range []string{"", raw + "x", strings.Replace(raw, "sk_secuird_", "sk_other___", 1), raw[:len(raw)-1] + "!"} {
			_, err := e.ten.AuthenticateKey(ctx, bad)
			wantKind(t, err, fault.Unauthenticated, "INVALID_TOKEN")
		}
		if len(e.audited(t, o.ID, audit.APIKeyCreated)) != 1 {
			t.Fatal("api_key.created not audited")
		}
	})

	t.Run("last use is written at most once a minute", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		alice := e.user(t, "alice@example.com")
		o := e.org(t, alice, "acme")
		name := "deploy"
		k, raw, _ := e.ten.CreateAPIKey(ctx, alice, o.ID, tenancy.APIKeyInput{Name: &name}, e.src)
		first, _ := e.ten.AuthenticateKey(ctx, raw)
		e.clock.Advance(30 * time.Second)
		if _, err := e.ten.AuthenticateKey(ctx, raw); err != nil {
			t.Fatal(err)
		}
		stored, _ := e.store.APIKey(ctx, o.ID, k.ID)
		if !stored.LastUsedAt.Equal(*first.LastUsedAt) {
			t.Fatalf("last use written twice within a minute: %v then %v", first.LastUsedAt, stored.LastUsedAt)
		}
		e.clock.Advance(31 * time.Second)
		if _, err := e.ten.AuthenticateKey(ctx, raw); err != nil {
			t.Fatal(err)
		}
		stored, _ = e.store.APIKey(ctx, o.ID, k.ID)
		if !stored.LastUsedAt.After(*first.LastUsedAt) {
			t.Fatal("last use not written after a minute")
		}
	})

	t.Run("update, revoke and revoke again", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		alice, bob := e.user(t, "alice@example.com"), e.user(t, "bob@example.com")
		o := e.org(t, alice, "acme")
		e.join(t, alice, o, bob, org.Member)
		name, renamed := "deploy", "deploy-2"
		k, raw, _ := e.ten.CreateAPIKey(ctx, alice, o.ID, tenancy.APIKeyInput{Name: &name}, e.src)
		_, err := e.ten.ListAPIKeys(ctx, bob, o.ID)
		wantKind(t, err, fault.Forbidden, "AUTHORIZATION_ERROR")
		u, err := e.ten.UpdateAPIKey(ctx, alice, o.ID, k.ID, tenancy.APIKeyInput{Name: &renamed}, e.src)
		if err != nil || u.Name != renamed {
			t.Fatalf("UpdateAPIKey = %+v %v", u, err)
		}
		r, err := e.ten.RevokeAPIKey(ctx, alice, o.ID, k.ID, "leaked", e.src)
		if err != nil || !r.Revoked() || r.RevokeReason != "leaked" {
			t.Fatalf("RevokeAPIKey = %+v %v", r, err)
		}
		_, err = e.ten.AuthenticateKey(ctx, raw)
		wantKind(t, err, fault.Unauthenticated, "INVALID_TOKEN")
		_, err = e.ten.RevokeAPIKey(ctx, alice, o.ID, k.ID, "", e.src)
		wantKind(t, err, fault.Conflict, "ALREADY_REVOKED")
		for _, a := range []string{audit.APIKeyUpdated, audit.APIKeyRevoked} {
			if len(e.audited(t, o.ID, a)) != 1 {
				t.Errorf("%s not audited once", a)
			}
		}
	})
}

func TestAccountDeletion(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	session := func(t *testing.T, e *env, email string) account.Principal {
		t.Helper()
		l, err := e.acc.Login(ctx, account.LoginInput{Email: email, Password: password}, e.src)
		if err != nil {
			t.Fatal(err)
		}
		return account.Principal{User: l.User, Session: l.Session}
	}

	t.Run("the sole owner of an org with members cannot delete the account", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		alice, bob := e.user(t, "alice@example.com"), e.user(t, "bob@example.com")
		o := e.org(t, alice, "acme")
		e.join(t, alice, o, bob, org.Member)
		err := e.acc.DeleteAccount(ctx, session(t, e, "alice@example.com"), e.src)
		wantKind(t, err, fault.Conflict, "USER_IS_SOLE_OWNER")
		if _, err := e.store.UserByID(ctx, alice.User.ID); err != nil || e.role(t, o.ID, alice.User.ID) != org.Owner {
			t.Fatal("a refused deletion changed something")
		}
	})

	t.Run("orgs owned alone go with the account; co-owned ones stay", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		alice, bob := e.user(t, "alice@example.com"), e.user(t, "bob@example.com")
		solo, shared := e.org(t, alice, "solo"), e.org(t, alice, "shared")
		e.join(t, alice, shared, bob, org.Owner)
		if err := e.acc.DeleteAccount(ctx, session(t, e, "alice@example.com"), e.src); err != nil {
			t.Fatal(err)
		}
		if _, err := e.store.OrgByID(ctx, solo.ID); !fault.Is(err, fault.NotFound) {
			t.Fatalf("the solo org survived: %v", err)
		}
		if _, err := e.store.OrgByID(ctx, shared.ID); err != nil {
			t.Fatalf("the shared org went too: %v", err)
		}
		if e.role(t, shared.ID, bob.User.ID) != org.Owner {
			t.Fatal("bob lost the shared org")
		}
		if len(e.audited(t, solo.ID, audit.OrgDelete)) != 1 {
			t.Fatal("the solo org's deletion is not audited")
		}
	})
}

func TestFirstUserIsPlatformAdmin(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	const n = 5
	var wg sync.WaitGroup
	res := make([]account.Registration, n)
	for i := range n {
		wg.Go(func() {
			email := "racer" + string(rune('a'+i)) + "@example.com"
			r, err := e.acc.Register(ctx, account.RegisterInput{Email: email, Password: password, PasswordConfirm: password}, e.src)
			if err != nil {
				t.Error(err)
			}
			res[i] = r
		})
	}
	wg.Wait()
	admins := 0
	for _, r := range res {
		if r.User.IsPlatformAdmin != r.IsFirstUser {
			t.Fatalf("is_first_user and the flag disagree: %+v", r)
		}
		if r.User.IsPlatformAdmin {
			admins++
		}
	}
	if admins != 1 {
		t.Fatalf("%d platform admins after %d concurrent first registrations", admins, n)
	}
}
