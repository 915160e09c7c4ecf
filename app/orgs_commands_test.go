package app

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/secuird/secuird/core/audit"
	"github.com/secuird/secuird/core/org"
	"github.com/secuird/secuird/ports"
)

func TestAdminCommandAndOrgSeed(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	vars := map[string]string{"SECUIRD_ENV": "test", "SECUIRD_DATA_DIR": dir}
	run := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := Main(args, env(vars), &out, &errb)
		return code, out.String(), errb.String()
	}

	t.Run("help and usage", func(t *testing.T) {
		if code, out, _ := run("--help"); code != 0 || !strings.Contains(out, "admin grant") || !strings.Contains(out, "admin revoke") {
			t.Fatalf("help: %d %q", code, out)
		}
		if code, _, e := run("admin", "--help"); code != 0 || !strings.Contains(e, "Usage: secuird admin grant|revoke EMAIL") {
			t.Fatalf("admin --help: %d %q", code, e)
		}
		for _, args := range [][]string{{"admin"}, {"admin", "grant"}, {"admin", "promote", "x@example.com"}, {"admin", "grant", "a@example.com", "b@example.com"}} {
			if code, _, _ := run(args...); code != 2 {
				t.Errorf("%v: exit %d, want 2", args, code)
			}
		}
	})

	t.Run("seed creates the organizations and memberships once", func(t *testing.T) {
		code, out, e := run("seed")
		if code != 0 || strings.Count(out, "org  ") != 3 || !strings.Contains(out, "acme-corp") {
			t.Fatalf("seed: %d %q %q", code, out, e)
		}
		code, out, _ = run("seed")
		if code != 0 || strings.Contains(out, "created") || strings.Count(out, "(0 memberships added)") != 3 {
			t.Fatalf("second seed: %d %q", code, out)
		}
	})

	t.Run("grant and revoke the platform-admin flag", func(t *testing.T) {
		if code, _, e := run("admin", "grant", "nobody@example.com"); code != 1 || !strings.Contains(e, "not found") {
			t.Fatalf("unknown account: %d %q", code, e)
		}
		if code, out, e := run("admin", "grant", "BOB@acme-corp.com"); code != 0 || !strings.Contains(out, "bob@acme-corp.com is now a platform admin") {
			t.Fatalf("grant: %d %q %q", code, out, e)
		}
		if code, out, _ := run("admin", "grant", "bob@acme-corp.com"); code != 0 || !strings.Contains(out, "already") {
			t.Fatalf("grant again: %d %q", code, out)
		}
		if code, out, _ := run("admin", "revoke", "bob@acme-corp.com"); code != 0 || !strings.Contains(out, "no longer") {
			t.Fatalf("revoke: %d %q", code, out)
		}
	})

	t.Run("the seeded state matches SEED-SPEC 16 and the grants are audited", func(t *testing.T) {
		cfg, err := Load(env(vars))
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		a, err := New(ctx, cfg, WithLogger(NewLogger(cfg, &bytes.Buffer{})))
		if err != nil {
			t.Fatal(err)
		}
		defer a.Close()
		st := a.Store()
		want := map[string]map[string]org.Role{
			"acme-corp":    {"admin@acme-corp.com": org.Owner, "carol@acme-corp.com": org.Admin, "bob@acme-corp.com": org.Member, "charlie@cross-org.com": org.Guest},
			"tech-startup": {"superadmin@acme-corp.com": org.Owner, "frank@tech-startup.com": org.Admin, "grace@tech-startup.com": org.Member, "charlie@cross-org.com": org.Member},
			"data-systems": {"admin@acme-corp.com": org.Owner, "iris@data-systems.com": org.Member, "jack@data-systems.com": org.Member},
		}
		for slug, members := range want {
			o, err := st.OrgBySlug(ctx, slug)
			if err != nil {
				t.Fatalf("%s: %v", slug, err)
			}
			list, n, err := st.ListMembers(ctx, o.ID, ports.MemberQuery{})
			if err != nil || n != len(members) {
				t.Fatalf("%s members: %d %v", slug, n, err)
			}
			var ownerID string
			for _, m := range list {
				if m.Role == org.Owner {
					ownerID = m.UserID
				}
			}
			for _, m := range list {
				if members[m.Email] != m.Role {
					t.Errorf("%s: %s is %s, want %s", slug, m.Email, m.Role, members[m.Email])
				}
				if m.Role != org.Owner && m.InvitedByID != ownerID {
					t.Errorf("%s: %s was not invited by the owner", slug, m.Email)
				}
			}
		}
		if o, _ := st.OrgBySlug(ctx, "acme-corp"); o.Name != "Acme Corporation" || o.Description != "Leading provider of innovative enterprise solutions" {
			t.Errorf("acme-corp: %+v", o)
		}
		for _, action := range []string{audit.PlatformAdminGranted, audit.PlatformAdminRevoked} {
			list, _, err := st.ListAudit(ctx, audit.Filter{Action: action})
			if err != nil || len(list) != 1 || list[0].ActorID != "" {
				t.Errorf("%s audit: %+v %v", action, list, err)
			}
		}
		super, _ := st.UserByEmail(ctx, "superadmin@acme-corp.com")
		bob, _ := st.UserByEmail(ctx, "bob@acme-corp.com")
		if !super.IsPlatformAdmin || bob.IsPlatformAdmin {
			t.Errorf("platform admins: superadmin %v, bob %v", super.IsPlatformAdmin, bob.IsPlatformAdmin)
		}
	})
}
