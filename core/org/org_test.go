package org_test

import (
	"strings"
	"testing"

	"github.com/secuird/secuird/core/org"
)

func TestRoles(t *testing.T) {
	t.Parallel()
	t.Run("parses the four roles in any case and nothing else", func(t *testing.T) {
		for in, want := range map[string]org.Role{"owner": org.Owner, " Admin ": org.Admin, "MEMBER": org.Member, "guest": org.Guest} {
			if r, ok := org.ParseRole(in); !ok || r != want {
				t.Errorf("ParseRole(%q) = %q %v", in, r, ok)
			}
		}
		for _, in := range []string{"", "superuser", "root", "owners", "own er"} {
			if r, ok := org.ParseRole(in); ok {
				t.Errorf("ParseRole(%q) accepted as %q", in, r)
			}
		}
	})
	t.Run("orders owner > admin > member > guest", func(t *testing.T) {
		rs := org.Roles()
		for i := 1; i < len(rs); i++ {
			if rs[i-1].Rank() <= rs[i].Rank() || rs[i].AtLeast(rs[i-1]) || !rs[i-1].AtLeast(rs[i]) {
				t.Errorf("%s does not outrank %s", rs[i-1], rs[i])
			}
		}
		if org.Role("root").AtLeast(org.Guest) || org.Role("").Valid() {
			t.Error("an unknown role ranks")
		}
	})
	t.Run("who may act on and grant what", func(t *testing.T) {
		cases := []struct {
			actor, target org.Role
			act, grant    bool
		}{
			{org.Owner, org.Owner, true, true},
			{org.Owner, org.Guest, true, true},
			{org.Admin, org.Owner, false, false},
			{org.Admin, org.Admin, true, true},
			{org.Admin, org.Member, true, true},
			{org.Admin, org.Guest, true, true},
			{org.Member, org.Guest, false, false},
			{org.Member, org.Member, false, false},
			{org.Guest, org.Guest, false, false},
			{org.Role("x"), org.Guest, false, false},
		}
		for _, c := range cases {
			if got := org.CanActOn(c.actor, c.target); got != c.act {
				t.Errorf("CanActOn(%s, %s) = %v", c.actor, c.target, got)
			}
			if got := org.CanGrant(c.actor, c.target); got != c.grant {
				t.Errorf("CanGrant(%s, %s) = %v", c.actor, c.target, got)
			}
		}
		if org.CanGrant(org.Owner, "superuser") {
			t.Error("granted an unknown role")
		}
	})
}

func TestSlugs(t *testing.T) {
	t.Parallel()
	for _, ok := range []string{"acme", "acme-corp", "a1", "x-y-z", strings.Repeat("a", 63)} {
		if p := org.SlugProblem(ok); p != "" {
			t.Errorf("%q refused: %s", ok, p)
		}
	}
	for _, bad := range []string{"", "a", "Acme", "-acme", "acme-", "ac--me", "ac me", "acmé", "ac_me", strings.Repeat("a", 64)} {
		if org.SlugProblem(bad) == "" {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestNames(t *testing.T) {
	t.Parallel()
	for _, bad := range []string{"", "  ", strings.Repeat("é", 256), "a\nb", "a\x00"} {
		if org.NameProblem(bad) == "" {
			t.Errorf("%q accepted", bad)
		}
	}
	if p := org.NameProblem("Acme Corporation"); p != "" {
		t.Error(p)
	}
}

func TestAPIKeyShape(t *testing.T) {
	t.Parallel()
	good := org.APIKeyPrefix + strings.Repeat("aZ0-_", 8) + "abc"
	if len(good) != org.APIKeyLen || !org.LooksLikeAPIKey(good) {
		t.Fatalf("%q (%d) not recognised", good, len(good))
	}
	for _, bad := range []string{"", good[:len(good)-1], good + "a", "sk_other__" + good[len(org.APIKeyPrefix)-1:], good[:20] + "!" + good[21:], strings.TrimPrefix(good, org.APIKeyPrefix)} {
		if org.LooksLikeAPIKey(bad) {
			t.Errorf("%q recognised", bad)
		}
	}
}
