package mfaflow_test

import (
	"testing"

	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/core/mfa"
	"github.com/secuird/secuird/core/mfaflow"
	"github.com/secuird/secuird/core/org"
)

func TestMemberPolicy(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := t.Context()
	admin, member, stranger := e.user(t, "admin@example.com"), e.user(t, "member@example.com"), e.user(t, "stranger@example.com")
	e.org(t, "o1", map[string]org.Role{admin.ID: org.Admin, member.ID: org.Member})
	e.org(t, "o2", map[string]org.Role{stranger.ID: org.Owner})

	mp, err := e.svc.MemberPolicy(ctx, admin, "o1", member.ID)
	if err != nil || mp.Override.Mode != mfa.OverrideInherit || mp.User.Email != member.Email || mp.Record != nil {
		t.Fatalf("before any change: %+v, %v", mp, err)
	}
	mode := string(mfa.OverrideRequired)
	if _, err := e.svc.PutOverride(ctx, admin, "o1", member.ID, mfaflow.OverrideInput{Mode: &mode}, e.src); err != nil {
		t.Fatal(err)
	}
	mp, err = e.svc.MemberPolicy(ctx, admin, "o1", member.ID)
	if err != nil || mp.Override.Mode != mfa.OverrideRequired || mp.Record == nil || mp.Status == "" {
		t.Fatalf("after the override: %+v, %v", mp, err)
	}

	st, err := e.svc.MemberStatuses(ctx, admin, "o1", []string{member.ID, admin.ID, stranger.ID})
	if err != nil || st[member.ID] != mp.Status || len(st) > 2 {
		t.Fatalf("MemberStatuses = %v, %v", st, err)
	}
	if _, err := e.svc.MemberStatuses(ctx, member, "o1", []string{admin.ID}); !fault.Is(err, fault.Forbidden) {
		t.Fatalf("MemberStatuses by a member: %v", err)
	}
	if _, err := e.svc.MemberStatuses(ctx, stranger, "o1", []string{admin.ID}); !fault.Is(err, fault.NotFound) {
		t.Fatalf("MemberStatuses by another tenant: %v", err)
	}

	for name, tc := range map[string]struct {
		viewer, target, orgID string
		kind                  fault.Kind
	}{
		"a member below admin":     {member.ID, admin.ID, "o1", fault.Forbidden},
		"another tenant's admin":   {stranger.ID, member.ID, "o1", fault.NotFound},
		"a target of another org":  {admin.ID, stranger.ID, "o1", fault.NotFound},
		"an organization not mine": {admin.ID, stranger.ID, "o2", fault.NotFound},
	} {
		viewer := admin
		switch tc.viewer {
		case member.ID:
			viewer = member
		case stranger.ID:
			viewer = stranger
		}
		if _, err := e.svc.MemberPolicy(ctx, viewer, tc.orgID, tc.target); !fault.Is(err, tc.kind) {
			t.Errorf("%s: want %v, got %v", name, tc.kind, err)
		}
	}
}
