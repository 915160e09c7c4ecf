package porttest

import (
	"encoding/base64"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/secuird/secuird/core/audit"
	"github.com/secuird/secuird/core/fault"
)

// Audit page sizes the suite expects: Limit 0 means 50, and no page holds
// more than 200 entries.
const (
	durAuditDefaultLimit = 50
	durAuditMaxLimit     = 200
)

// RunAuditLog checks a ports.AuditLog: round trips in UTC, newest-first
// order, every Filter field (Since inclusive, Until exclusive), cursor
// pagination without duplicates or gaps, malformed cursors, page-size
// defaults and caps, and entries outliving the users they name.
func RunAuditLog(t *testing.T, open func(t *testing.T) UserAuditLog) {
	t.Run("round-trips every field with times in UTC", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		e := audit.Entry{
			ID:           durID(t),
			At:           durBase,
			ActorID:      durID(t),
			Action:       audit.UserLogin,
			ResourceType: "user",
			ResourceID:   durID(t),
			OrgID:        durID(t),
			Source:       audit.Source{IP: "198.51.100.4", UserAgent: "Mozilla/5.0 (X11)", RequestID: "req-1"},
			Success:      false,
			Error:        "invalid_credentials",
			Description:  "Login failed: wrong password",
			Extra:        map[string]any{"method": "password", "attempt": 3, "mfa": map[string]any{"required": true}},
		}
		durOK(t, "AppendAudit", s.AppendAudit(t.Context(), e))
		bare := audit.Entry{ID: durID(t), At: durBase.Add(time.Second), Action: audit.UserRegister, Success: true}
		durOK(t, "AppendAudit", s.AppendAudit(t.Context(), bare))

		got, next, err := s.ListAudit(t.Context(), audit.Filter{})
		durOK(t, "ListAudit", err)
		if next != "" {
			t.Errorf("cursor %q on the only page", next)
		}
		if len(got) != 2 {
			t.Fatalf("ListAudit returned %d entries, want 2", len(got))
		}
		durCheckEntry(t, got[0], bare)
		durCheckEntry(t, got[1], e)
	})

	t.Run("an empty log lists nothing and no cursor", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		got, next, err := s.ListAudit(t.Context(), audit.Filter{})
		durOK(t, "ListAudit", err)
		if len(got) != 0 || next != "" {
			t.Fatalf("ListAudit on an empty log = %d entries, cursor %q", len(got), next)
		}
	})

	t.Run("lists newest first", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		// Appended out of order, with ties.
		offsets := []int{3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5}
		for _, o := range offsets {
			durAppend(t, s, audit.Entry{At: durBase.Add(time.Duration(o) * time.Second)})
		}
		got, _, err := s.ListAudit(t.Context(), audit.Filter{})
		durOK(t, "ListAudit", err)
		if len(got) != len(offsets) {
			t.Fatalf("ListAudit returned %d entries, want %d", len(got), len(offsets))
		}
		for i := 1; i < len(got); i++ {
			if got[i].At.After(got[i-1].At) {
				t.Fatalf("entry %d (%v) is newer than entry %d (%v)", i, got[i].At, i-1, got[i-1].At)
			}
		}
	})

	t.Run("applies each filter", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		alice, bob, org1, org2 := durID(t), durID(t), durID(t), durID(t)
		at := func(sec int) time.Time { return durBase.Add(time.Duration(sec) * time.Second) }
		e := []audit.Entry{
			{At: at(1), ActorID: alice, OrgID: org1, Action: audit.UserLogin, ResourceType: "user", ResourceID: alice, Success: true},
			{At: at(2), ActorID: alice, OrgID: org2, Action: audit.UserLogout, ResourceType: "session", ResourceID: "s1", Success: false},
			{At: at(3), ActorID: bob, OrgID: org1, Action: audit.UserLogin, ResourceType: "user", ResourceID: bob, Success: false},
			{At: at(4), Action: audit.UserRegister, Success: false},
			{At: at(5), ActorID: bob, OrgID: org2, Action: audit.UserUpdate, ResourceType: "user", ResourceID: alice, Success: true},
		}
		for i := range e {
			e[i] = durAppend(t, s, e[i])
		}
		yes, no := true, false
		ids := func(idx ...int) []string {
			var out []string
			for _, i := range idx {
				out = append(out, e[i].ID)
			}
			return out
		}
		tests := []struct {
			name string
			f    audit.Filter
			want []string
		}{
			{"no filter", audit.Filter{}, ids(4, 3, 2, 1, 0)},
			{"actor", audit.Filter{ActorID: alice}, ids(1, 0)},
			{"organization", audit.Filter{OrgID: org1}, ids(2, 0)},
			{"action", audit.Filter{Action: audit.UserLogin}, ids(2, 0)},
			{"resource type", audit.Filter{ResourceType: "user"}, ids(4, 2, 0)},
			{"resource id", audit.Filter{ResourceID: alice}, ids(4, 0)},
			{"resource type and id", audit.Filter{ResourceType: "user", ResourceID: bob}, ids(2)},
			{"success", audit.Filter{Success: &yes}, ids(4, 0)},
			{"failure", audit.Filter{Success: &no}, ids(3, 2, 1)},
			{"since is inclusive", audit.Filter{Since: at(3)}, ids(4, 3, 2)},
			{"until is exclusive", audit.Filter{Until: at(3)}, ids(1, 0)},
			{"since and until", audit.Filter{Since: at(2), Until: at(5)}, ids(3, 2, 1)},
			{"since in another zone", audit.Filter{Since: at(4).In(time.FixedZone("PST", -8*3600))}, ids(4, 3)},
			{"all together", audit.Filter{ActorID: bob, OrgID: org1, Action: audit.UserLogin, ResourceType: "user", ResourceID: bob, Success: &no, Since: at(1), Until: at(4)}, ids(2)},
			{"nothing matches", audit.Filter{ActorID: alice, OrgID: org1, Success: &no}, nil},
			{"unknown actor", audit.Filter{ActorID: durID(t)}, nil},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				got, next, err := s.ListAudit(t.Context(), tc.f)
				durOK(t, "ListAudit", err)
				if g := durEntryIDs(got); !slices.Equal(g, tc.want) {
					t.Errorf("ListAudit(%s) = %v, want %v", tc.name, g, tc.want)
				}
				if next != "" {
					t.Errorf("cursor %q on the only page", next)
				}
			})
		}
	})

	t.Run("pages cover every entry exactly once", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		const n = 23
		for i := range n {
			// Three entries per second, so ties straddle page boundaries.
			durAppend(t, s, audit.Entry{At: durBase.Add(time.Duration(i/3) * time.Second)})
		}
		all, next, err := s.ListAudit(t.Context(), audit.Filter{Limit: 100})
		durOK(t, "ListAudit", err)
		if len(all) != n || next != "" {
			t.Fatalf("one big page: %d entries, cursor %q; want %d and none", len(all), next, n)
		}
		for _, size := range []int{1, 4, 5, 22, 23} {
			t.Run(fmt.Sprintf("pages of %d", size), func(t *testing.T) {
				var got []string
				f := audit.Filter{Limit: size}
				for pages := 0; ; pages++ {
					if pages > n {
						t.Fatal("too many pages")
					}
					page, next, err := s.ListAudit(t.Context(), f)
					durOK(t, "ListAudit", err)
					if len(page) > size {
						t.Fatalf("page of %d entries, limit %d", len(page), size)
					}
					if next != "" && len(page) != size {
						t.Fatalf("short page (%d of %d) with a cursor", len(page), size)
					}
					got = append(got, durEntryIDs(page)...)
					if next == "" {
						break
					}
					f.Cursor = next
				}
				if want := durEntryIDs(all); !slices.Equal(got, want) {
					t.Fatalf("paged listing\n %v\ndiffers from one page\n %v", got, want)
				}
			})
		}
	})

	t.Run("a cursor pages within a filter", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		actor := durID(t)
		var want []string
		for i := range 12 {
			e := audit.Entry{At: durBase.Add(time.Duration(i) * time.Second)}
			if i%2 == 0 {
				e.ActorID = actor
				e = durAppend(t, s, e)
				want = append([]string{e.ID}, want...)
			} else {
				durAppend(t, s, e)
			}
		}
		f := audit.Filter{ActorID: actor, Limit: 4}
		var got []string
		for {
			page, next, err := s.ListAudit(t.Context(), f)
			durOK(t, "ListAudit", err)
			got = append(got, durEntryIDs(page)...)
			if next == "" {
				break
			}
			f.Cursor = next
		}
		if !slices.Equal(got, want) {
			t.Fatalf("paged filtered listing = %v, want %v", got, want)
		}
	})

	t.Run("a malformed cursor is Invalid", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		durAppend(t, s, audit.Entry{At: durBase})
		for _, c := range []string{
			"not a cursor!",
			"%%%",
			base64.RawURLEncoding.EncodeToString([]byte("garbage")),
			base64.StdEncoding.EncodeToString([]byte{0xff, 0xfe, 0x00}),
		} {
			_, _, err := s.ListAudit(t.Context(), audit.Filter{Cursor: c})
			durWantKind(t, err, fault.Invalid)
		}
	})

	t.Run("Limit defaults to 50 and is capped at 200", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		const n = durAuditMaxLimit + 10
		for i := range n {
			durAppend(t, s, audit.Entry{At: durBase.Add(time.Duration(i) * time.Millisecond)})
		}
		for _, tc := range []struct {
			limit, want int
		}{
			{0, durAuditDefaultLimit},
			{-1, durAuditDefaultLimit},
			{7, 7},
			{durAuditMaxLimit, durAuditMaxLimit},
			{durAuditMaxLimit + 1, durAuditMaxLimit},
			{1 << 30, durAuditMaxLimit},
		} {
			page, next, err := s.ListAudit(t.Context(), audit.Filter{Limit: tc.limit})
			durOK(t, "ListAudit", err)
			if len(page) != tc.want || next == "" {
				t.Errorf("Limit %d: %d entries (cursor %q), want %d and a cursor", tc.limit, len(page), next, tc.want)
			}
		}
	})

	t.Run("entries outlive the users they name", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		u := durCreateUser(t, s)
		mine := durAppend(t, s, audit.Entry{At: durBase, ActorID: u.ID, Action: audit.UserLogin, Success: true})
		durDeleteUser(t, s, u.ID, durBase.Add(time.Minute))
		deleted := durAppend(t, s, audit.Entry{At: durBase.Add(time.Minute), ActorID: u.ID, Action: audit.UserDelete, Success: true})
		// An actor that never existed (e.g. imported history) is accepted too.
		ghost := durID(t)
		durAppend(t, s, audit.Entry{At: durBase, ActorID: ghost, Action: audit.UserLogin})

		got, _, err := s.ListAudit(t.Context(), audit.Filter{ActorID: u.ID})
		durOK(t, "ListAudit", err)
		if g := durEntryIDs(got); !slices.Equal(g, []string{deleted.ID, mine.ID}) {
			t.Fatalf("entries of a deleted user = %v, want %v", g, []string{deleted.ID, mine.ID})
		}
		got, _, err = s.ListAudit(t.Context(), audit.Filter{ActorID: ghost})
		durOK(t, "ListAudit", err)
		if len(got) != 1 {
			t.Fatalf("entries of an unknown actor = %d, want 1", len(got))
		}
	})

	t.Run("hostile request text is stored", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		e := durAppend(t, s, audit.Entry{
			At:     durBase,
			Source: audit.Source{UserAgent: "curl/8\x00\xff\xfe", RequestID: "r\x00"},
			Extra:  map[string]any{"ua": "\x00\xc3"},
		})
		got, _, err := s.ListAudit(t.Context(), audit.Filter{})
		durOK(t, "ListAudit", err)
		if len(got) != 1 || got[0].ID != e.ID {
			t.Fatalf("ListAudit = %v, want the one entry", durEntryIDs(got))
		}
	})
}

// durAppend fills in an ID and an action when missing, appends e and
// returns it.
func durAppend(t *testing.T, s UserAuditLog, e audit.Entry) audit.Entry {
	t.Helper()
	if e.ID == "" {
		e.ID = durID(t)
	}
	if e.Action == "" {
		e.Action = audit.SessionCreate
	}
	durOK(t, "AppendAudit", s.AppendAudit(t.Context(), e))
	return e
}

func durEntryIDs(es []audit.Entry) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.ID)
	}
	return out
}

// durCheckEntry compares every field of two entries, At to the microsecond.
// The chain fields (Seq, PrevHash, Hash) are the store's to set; the chain
// suite (RunAuditChain) checks them.
func durCheckEntry(t *testing.T, got, want audit.Entry) {
	t.Helper()
	g, w := got, want
	g.At, w.At, g.Extra, w.Extra = time.Time{}, time.Time{}, nil, nil
	g.Seq, g.PrevHash, g.Hash = 0, "", ""
	w.Seq, w.PrevHash, w.Hash = 0, "", ""
	if !reflect.DeepEqual(g, w) {
		t.Errorf("entry differs:\n got %+v\nwant %+v", got, want)
	}
	durCheckTime(t, "At", got.At, want.At)
	if !durSameJSON(got.Extra, want.Extra) {
		t.Errorf("Extra = %v, want %v", got.Extra, want.Extra)
	}
}
