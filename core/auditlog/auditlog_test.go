package auditlog_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/secuird/secuird/adapters/sqlstore"
	"github.com/secuird/secuird/core/audit"
	"github.com/secuird/secuird/core/auditlog"
	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/core/identity"
	"github.com/secuird/secuird/core/org"
)

// roles is the one test double here: the membership lookup, so that these
// tests do not depend on how organizations are created.
type roles map[[2]string]org.Role

func (r roles) Role(_ context.Context, orgID, userID string) (org.Role, error) {
	if role, ok := r[[2]string{orgID, userID}]; ok {
		return role, nil
	}
	return "", fault.E("test.Role", fault.NotFound, "Member not found")
}

// world is a trail with two organizations and some users:
//
//	owner, admin, member, guest of org A; bob is admin of org B;
//	root is a platform admin in no organization; loner belongs nowhere.
type world struct {
	svc   *auditlog.Service
	store *sqlstore.Store
	users map[string]identity.User
	// ids of the entries by actor name, and by org ("" = platform).
	byActor map[string][]string
	byOrg   map[string][]string
	all     []string
}

const (
	orgA = "org-a"
	orgB = "org-b"
)

func newWorld(t *testing.T) *world {
	t.Helper()
	st, err := sqlstore.Open(t.Context(), filepath.Join(t.TempDir(), "audit.db"), sqlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	if err := st.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	w := &world{store: st, users: map[string]identity.User{}, byActor: map[string][]string{}, byOrg: map[string][]string{}}
	for _, name := range []string{"owner", "admin", "member", "guest", "bob", "root", "loner"} {
		w.users[name] = identity.User{ID: "u-" + name, Email: name + "@example.com", IsPlatformAdmin: name == "root"}
	}
	r := roles{
		{orgA, "u-owner"}: org.Owner, {orgA, "u-admin"}: org.Admin, {orgA, "u-member"}: org.Member,
		{orgA, "u-guest"}: org.Guest, {orgB, "u-bob"}: org.Admin,
	}
	w.svc = auditlog.New(auditlog.Deps{Log: st, Roles: r})

	base := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	n := 0
	add := func(actor, orgID, action string, ok bool) {
		n++
		e := audit.Entry{ID: fmt.Sprintf("e%03d", n), At: base.Add(time.Duration(n) * time.Minute), Action: action, OrgID: orgID, Success: ok}
		if actor != "" {
			e.ActorID = w.users[actor].ID
		}
		if err := st.AppendAudit(t.Context(), e); err != nil {
			t.Fatal(err)
		}
		// Newest first, as listings are.
		w.byActor[actor] = append([]string{e.ID}, w.byActor[actor]...)
		w.byOrg[orgID] = append([]string{e.ID}, w.byOrg[orgID]...)
		w.all = append([]string{e.ID}, w.all...)
	}
	add("owner", orgA, audit.OrgCreate, true)
	add("admin", orgA, audit.OrgMemberAdd, true)
	add("member", "", audit.UserLogin, true)
	add("member", orgA, audit.UserUpdate, false)
	add("bob", orgB, audit.OrgCreate, true)
	add("bob", "", audit.UserLogin, false)
	add("admin", "", audit.UserLogin, true)
	add("", "", audit.UserLogin, false)
	add("root", "", audit.UserLogin, true)
	add("bob", orgA, audit.UserLogin, true) // bob acted in org A (e.g. before leaving it)
	return w
}

func ids(es []audit.Entry) []string {
	out := []string{}
	for _, e := range es {
		out = append(out, e.ID)
	}
	return out
}

func filterIDs(all []string, keep ...[]string) []string {
	out := []string{}
	for _, id := range all {
		in := true
		for _, k := range keep {
			in = in && slices.Contains(k, id)
		}
		if in {
			out = append(out, id)
		}
	}
	return out
}

func TestListScopes(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	yes, no := true, false
	tests := []struct {
		name   string
		viewer string
		q      auditlog.Query
		want   func() []string
		kind   fault.Kind // checked when want is nil
	}{
		{"mine lists the viewer's own entries", "member", auditlog.Query{Scope: auditlog.Mine}, func() []string { return w.byActor["member"] }, 0},
		{"mine narrows by organization", "member", auditlog.Query{Scope: auditlog.Mine, OrgID: orgA}, func() []string { return filterIDs(w.byActor["member"], w.byOrg[orgA]) }, 0},
		{"mine with another actor matches nothing", "member", auditlog.Query{Scope: auditlog.Mine, ActorID: "u-owner"}, func() []string { return []string{} }, 0},
		{"mine with the viewer as actor", "member", auditlog.Query{Scope: auditlog.Mine, ActorID: "u-member", Success: &no}, func() []string { return filterIDs(w.byActor["member"], []string{"e004"}) }, 0},
		{"mine for a platform admin is still their own", "root", auditlog.Query{Scope: auditlog.Mine}, func() []string { return w.byActor["root"] }, 0},

		{"an org owner reads the organization", "owner", auditlog.Query{Scope: auditlog.Org, OrgID: orgA}, func() []string { return w.byOrg[orgA] }, 0},
		{"an org admin reads the organization", "admin", auditlog.Query{Scope: auditlog.Org, OrgID: orgA}, func() []string { return w.byOrg[orgA] }, 0},
		{"an org admin filters by actor", "admin", auditlog.Query{Scope: auditlog.Org, OrgID: orgA, ActorID: "u-bob"}, func() []string { return []string{"e010"} }, 0},
		{"an org admin filters by action and success", "admin", auditlog.Query{Scope: auditlog.Org, OrgID: orgA, Action: audit.UserUpdate, Success: &no}, func() []string { return []string{"e004"} }, 0},
		{"a platform admin reads any organization", "root", auditlog.Query{Scope: auditlog.Org, OrgID: orgB}, func() []string { return w.byOrg[orgB] }, 0},
		{"a member may not read the organization", "member", auditlog.Query{Scope: auditlog.Org, OrgID: orgA}, nil, fault.Forbidden},
		{"a guest may not read the organization", "guest", auditlog.Query{Scope: auditlog.Org, OrgID: orgA}, nil, fault.Forbidden},
		{"another organization's admin gets not found", "bob", auditlog.Query{Scope: auditlog.Org, OrgID: orgA}, nil, fault.NotFound},
		{"a non-member gets not found", "loner", auditlog.Query{Scope: auditlog.Org, OrgID: orgA}, nil, fault.NotFound},
		{"an unknown organization is not found", "owner", auditlog.Query{Scope: auditlog.Org, OrgID: "org-x"}, nil, fault.NotFound},

		{"a platform admin reads everything", "root", auditlog.Query{Scope: auditlog.Platform}, func() []string { return w.all }, 0},
		{"a platform admin filters by success", "root", auditlog.Query{Scope: auditlog.Platform, Success: &yes, Action: audit.UserLogin}, func() []string { return []string{"e010", "e009", "e007", "e003"} }, 0},
		{"an org owner may not read the platform trail", "owner", auditlog.Query{Scope: auditlog.Platform}, nil, fault.Forbidden},

		{"auto gives platform admins everything", "root", auditlog.Query{Scope: auditlog.Auto}, func() []string { return w.all }, 0},
		{"auto gives org admins only their own entries", "bob", auditlog.Query{Scope: auditlog.Auto}, func() []string { return w.byActor["bob"] }, 0},
		{"auto with their organization gives org admins its entries", "bob", auditlog.Query{Scope: auditlog.Auto, OrgID: orgB}, func() []string { return w.byOrg[orgB] }, 0},
		{"auto with another organization is not found", "bob", auditlog.Query{Scope: auditlog.Auto, OrgID: orgA}, nil, fault.NotFound},
		{"auto with an organization a member cannot read is forbidden", "member", auditlog.Query{Scope: auditlog.Auto, OrgID: orgA}, nil, fault.Forbidden},
		{"auto gives everybody else their own entries", "loner", auditlog.Query{Scope: auditlog.Auto}, func() []string { return []string{} }, 0},

		{"a negative limit is invalid", "member", auditlog.Query{Scope: auditlog.Mine, Limit: -1}, nil, fault.Invalid},
		{"until before since is invalid", "member", auditlog.Query{Scope: auditlog.Mine, Since: time.Now(), Until: time.Now().Add(-time.Hour)}, nil, fault.Invalid},
		{"an unknown scope is invalid", "root", auditlog.Query{Scope: "everything"}, nil, fault.Invalid},
		{"the org scope needs an organization", "root", auditlog.Query{Scope: auditlog.Org}, nil, fault.Invalid},
		{"a malformed cursor is invalid", "root", auditlog.Query{Scope: auditlog.Platform, Cursor: "nope!"}, nil, fault.Invalid},
		{"nobody is unauthenticated", "", auditlog.Query{Scope: auditlog.Mine}, nil, fault.Unauthenticated},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p, err := w.svc.List(t.Context(), w.users[tc.viewer], tc.q)
			if tc.want == nil {
				if !fault.Is(err, tc.kind) {
					t.Fatalf("List = %v, want %v", err, tc.kind)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got, want := ids(p.Entries), tc.want(); !slices.Equal(got, want) || p.Next != "" {
				t.Fatalf("List = %v (next %q), want %v", got, p.Next, want)
			}
			// The export of the same query holds the same entries.
			seq, err := w.svc.Export(t.Context(), w.users[tc.viewer], tc.q)
			if err != nil {
				t.Fatal(err)
			}
			var exported []audit.Entry
			for e, err := range seq {
				if err != nil {
					t.Fatal(err)
				}
				exported = append(exported, e)
			}
			if got := ids(exported); !slices.Equal(got, tc.want()) {
				t.Fatalf("Export = %v, want %v", got, tc.want())
			}
		})
	}
}

func TestExportRefusesBeforeStreaming(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	for _, tc := range []struct {
		viewer string
		q      auditlog.Query
		kind   fault.Kind
	}{
		{"member", auditlog.Query{Scope: auditlog.Org, OrgID: orgA}, fault.Forbidden},
		{"loner", auditlog.Query{Scope: auditlog.Org, OrgID: orgA}, fault.NotFound},
		{"owner", auditlog.Query{Scope: auditlog.Platform}, fault.Forbidden},
	} {
		seq, err := w.svc.Export(t.Context(), w.users[tc.viewer], tc.q)
		if seq != nil || !fault.Is(err, tc.kind) {
			t.Errorf("Export(%s, %+v) = %v, want %v before any entry", tc.viewer, tc.q, err, tc.kind)
		}
	}
}

func TestPagesAndExportsOfALongTrail(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	const n = 470
	base := time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC)
	for i := range n {
		// Several entries per second so that ties straddle pages.
		e := audit.Entry{ID: fmt.Sprintf("bulk-%04d", i), At: base.Add(time.Duration(i/4) * time.Second), Action: "bulk", OrgID: orgB, Success: true}
		if err := w.store.AppendAudit(t.Context(), e); err != nil {
			t.Fatal(err)
		}
	}
	bob := w.users["bob"]
	q := auditlog.Query{Scope: auditlog.Org, OrgID: orgB, Action: "bulk"}

	t.Run("the default page holds 50 and the limit is capped at 200", func(t *testing.T) {
		t.Parallel()
		for _, tc := range []struct{ limit, want int }{{0, 50}, {7, 7}, {200, 200}, {5000, 200}} {
			q := q
			q.Limit = tc.limit
			p, err := w.svc.List(t.Context(), bob, q)
			if err != nil || len(p.Entries) != tc.want || p.Next == "" {
				t.Errorf("limit %d: %d entries, next %q, %v; want %d and a cursor", tc.limit, len(p.Entries), p.Next, err, tc.want)
			}
		}
	})
	t.Run("cursors walk every entry once", func(t *testing.T) {
		t.Parallel()
		q := q
		q.Limit = 64
		seen := map[string]bool{}
		for pages := 0; ; pages++ {
			if pages > n {
				t.Fatal("too many pages")
			}
			p, err := w.svc.List(t.Context(), bob, q)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range p.Entries {
				if seen[e.ID] {
					t.Fatalf("%s listed twice", e.ID)
				}
				seen[e.ID] = true
			}
			if p.Next == "" {
				break
			}
			q.Cursor = p.Next
		}
		if len(seen) != n {
			t.Fatalf("walked %d entries, want %d", len(seen), n)
		}
	})
	t.Run("an export streams every entry newest first", func(t *testing.T) {
		t.Parallel()
		seq, err := w.svc.Export(t.Context(), bob, q)
		if err != nil {
			t.Fatal(err)
		}
		var got []audit.Entry
		for e, err := range seq {
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, e)
		}
		if len(got) != n || got[0].ID != fmt.Sprintf("bulk-%04d", n-1) {
			t.Fatalf("exported %d entries starting %s", len(got), got[0].ID)
		}
		for i := 1; i < len(got); i++ {
			if got[i].At.After(got[i-1].At) {
				t.Fatalf("entry %d is newer than the one before", i)
			}
		}
	})
	t.Run("a consumer may stop an export early", func(t *testing.T) {
		t.Parallel()
		seq, err := w.svc.Export(t.Context(), bob, q)
		if err != nil {
			t.Fatal(err)
		}
		count := 0
		for _, err := range seq {
			if err != nil {
				t.Fatal(err)
			}
			count++
			if count == 3 {
				break
			}
		}
		if count != 3 {
			t.Fatalf("stopped after %d", count)
		}
	})
	t.Run("a store failure ends the export with an error", func(t *testing.T) {
		t.Parallel()
		q := q
		q.Cursor = "broken!"
		seq, err := w.svc.Export(t.Context(), bob, q)
		if err != nil {
			t.Fatal(err)
		}
		var last error
		entries := 0
		for _, err := range seq {
			if err != nil {
				last = err
			} else {
				entries++
			}
		}
		if entries != 0 || !fault.Is(last, fault.Invalid) {
			t.Fatalf("%d entries, error %v; want an Invalid error only", entries, last)
		}
	})
}

func TestNoOrganizationsWired(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	svc := auditlog.New(auditlog.Deps{Log: w.store})
	if _, err := svc.List(t.Context(), w.users["owner"], auditlog.Query{Scope: auditlog.Org, OrgID: orgA}); !fault.Is(err, fault.NotFound) {
		t.Fatalf("List without a membership lookup = %v, want NotFound", err)
	}
}
