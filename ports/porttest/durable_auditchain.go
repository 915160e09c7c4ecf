package porttest

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/secuird/secuird/core/audit"
	"github.com/secuird/secuird/ports"
)

// AuditChainStore is what the audit chain suite needs: the trail, its
// verifier, and transactions to append inside.
type AuditChainStore interface {
	ports.Transactor
	ports.AuditLog
	ports.AuditVerifier
}

// AuditTamper edits a store's audit trail behind its back, as someone with
// write access to the database would: it bypasses whatever refusal of
// updates and deletes the store installs. The chain suite uses it to prove
// that VerifyAudit notices.
type AuditTamper interface {
	// Overwrite replaces every stored field of the entry with ID e.ID by
	// e's (Seq, PrevHash and Hash included) but leaves the row's chain key
	// as it was.
	Overwrite(ctx context.Context, e audit.Entry) error
	// Delete removes the entry with that ID.
	Delete(ctx context.Context, id string) error
	// Insert stores e as given (Seq, PrevHash and Hash included) in the
	// chain of e.OrgID.
	Insert(ctx context.Context, e audit.Entry) error
}

// RunAuditChain checks the hash chains of a ports.AuditLog and its
// ports.AuditVerifier: sequence numbers per organization from 1, each
// entry's hash over every field and the previous hash, serialised
// concurrent appends, appends inside transactions (committed, rolled back,
// nested), and that verification reports each kind of tampering at the
// first broken row while other chains stay intact. open returns a fresh,
// empty store and a tamperer for it.
func RunAuditChain(t *testing.T, open func(t *testing.T) (AuditChainStore, AuditTamper)) {
	t.Run("an empty trail verifies with no chains", func(t *testing.T) {
		t.Parallel()
		s, _ := open(t)
		v, err := s.VerifyAudit(t.Context())
		durOK(t, "VerifyAudit", err)
		if len(v.Chains) != 0 || !v.Intact() || v.Rows() != 0 {
			t.Fatalf("VerifyAudit on an empty trail = %+v", v)
		}
	})

	t.Run("links each entry to the one before in its own chain", func(t *testing.T) {
		t.Parallel()
		s, _ := open(t)
		orgA, orgB := durID(t), durID(t)
		// Interleaved: each chain numbers its own entries.
		orgs := []string{orgA, "", orgB, orgA, orgA, "", orgB, orgA}
		for i, o := range orgs {
			chainAppend(t, s, audit.Entry{At: durBase.Add(time.Duration(i) * time.Second), OrgID: o})
		}
		want := map[string]int{orgA: 4, "": 2, orgB: 2}
		heads := map[string]audit.Entry{}
		for org, n := range want {
			got := chainEntries(t, s, org)
			if len(got) != n {
				t.Fatalf("chain %q holds %d entries, want %d", org, len(got), n)
			}
			prev := ""
			for i, e := range got {
				if e.Seq != int64(i+1) || e.PrevHash != prev || len(e.Hash) != 64 {
					t.Fatalf("chain %q entry %d: seq %d prev %q hash %q; want seq %d prev %q and a hex SHA-256", org, i, e.Seq, e.PrevHash, e.Hash, i+1, prev)
				}
				if h := chainHashOf(t, e); h != e.Hash {
					t.Fatalf("chain %q entry %d: stored hash %s, recomputed %s", org, i, e.Hash, h)
				}
				prev = e.Hash
			}
			heads[org] = got[len(got)-1]
		}
		v, err := s.VerifyAudit(t.Context())
		durOK(t, "VerifyAudit", err)
		if !v.Intact() || len(v.Chains) != 3 || v.Rows() != int64(len(orgs)) {
			t.Fatalf("VerifyAudit = %+v, want 3 intact chains of %d rows", v, len(orgs))
		}
		if !slices.IsSortedFunc(v.Chains, func(a, b audit.ChainStatus) int { return cmp.Compare(a.Chain, b.Chain) }) || v.Chains[0].Chain != audit.PlatformChain {
			t.Errorf("chains not ordered by key, platform first: %+v", v.Chains)
		}
		for _, c := range v.Chains {
			h := heads[c.Chain]
			if c.Rows != int64(want[c.Chain]) || c.Legacy != 0 || c.HeadSeq != h.Seq || c.HeadHash != h.Hash {
				t.Errorf("chain %q = %+v, want %d rows and head %d %s", c.Chain, c, want[c.Chain], h.Seq, h.Hash)
			}
		}
	})

	t.Run("the hash covers every field, extra data canonically", func(t *testing.T) {
		t.Parallel()
		s, _ := open(t)
		e := chainAppend(t, s, audit.Entry{
			At: durBase, ActorID: durID(t), Action: audit.UserLogin, ResourceType: "user", ResourceID: durID(t),
			OrgID: durID(t), Source: audit.Source{IP: "2001:db8::1", UserAgent: "agent <&>", RequestID: "req-9"},
			Success: false, Error: "bad_password", Description: "Login failed",
			Extra: map[string]any{
				"big": uint64(12345678901234567890), "frac": 0.1, "html": "<b>&amp;</b>",
				"nested": map[string]any{"z": 1, "a": []any{true, nil, "x"}}, "unicode": "é\u2028",
			},
		})
		got := chainEntries(t, s, e.OrgID)
		if len(got) != 1 {
			t.Fatalf("%d entries, want 1", len(got))
		}
		if h := chainHashOf(t, got[0]); h != got[0].Hash {
			t.Fatalf("stored hash %s, recomputed from the listed entry %s", got[0].Hash, h)
		}
		// Every field changes the hash.
		base := got[0]
		extra, err := audit.CanonicalExtra(base.Extra)
		durOK(t, "CanonicalExtra", err)
		for name, change := range map[string]func(*audit.Entry){
			"id":            func(e *audit.Entry) { e.ID = durID(t) },
			"time":          func(e *audit.Entry) { e.At = e.At.Add(time.Microsecond) },
			"actor":         func(e *audit.Entry) { e.ActorID = "" },
			"action":        func(e *audit.Entry) { e.Action = audit.UserLogout },
			"resource type": func(e *audit.Entry) { e.ResourceType = "session" },
			"resource id":   func(e *audit.Entry) { e.ResourceID = "x" },
			"organization":  func(e *audit.Entry) { e.OrgID = "" },
			"ip":            func(e *audit.Entry) { e.IP = "192.0.2.1" },
			"user agent":    func(e *audit.Entry) { e.UserAgent = "" },
			"request id":    func(e *audit.Entry) { e.RequestID = "req-8" },
			"success":       func(e *audit.Entry) { e.Success = true },
			"error":         func(e *audit.Entry) { e.Error = "" },
			"description":   func(e *audit.Entry) { e.Description = "Login succeeded" },
			"seq":           func(e *audit.Entry) { e.Seq = 2 },
			"prev hash":     func(e *audit.Entry) { e.PrevHash = base.Hash },
		} {
			c := base
			change(&c)
			if audit.ChainHash(c, extra) == base.Hash {
				t.Errorf("changing the %s keeps the hash", name)
			}
		}
		if audit.ChainHash(base, `{"big":1}`) == base.Hash {
			t.Error("changing the extra data keeps the hash")
		}
		v, err := s.VerifyAudit(t.Context())
		durOK(t, "VerifyAudit", err)
		if !v.Intact() {
			t.Fatalf("VerifyAudit = %+v", v)
		}
	})

	t.Run("50 parallel appends to one chain number it 1 to 50", func(t *testing.T) {
		t.Parallel()
		s, _ := open(t)
		org := durID(t)
		const n = 50
		var wg sync.WaitGroup
		errs := make(chan error, 2*n)
		start := make(chan struct{})
		for i := range n {
			wg.Go(func() {
				<-start
				errs <- s.AppendAudit(t.Context(), audit.Entry{ID: durID(t), At: durBase.Add(time.Duration(i) * time.Millisecond), OrgID: org, Action: audit.SessionCreate, Success: true})
				// Platform-chain appends race alongside.
				if i%5 == 0 {
					errs <- s.AppendAudit(t.Context(), audit.Entry{ID: durID(t), At: durBase, Action: audit.UserLogin})
				}
			})
		}
		close(start)
		wg.Wait()
		close(errs)
		for err := range errs {
			durOK(t, "parallel AppendAudit", err)
		}
		got := chainEntries(t, s, org)
		if len(got) != n {
			t.Fatalf("%d entries, want %d", len(got), n)
		}
		for i, e := range got {
			if e.Seq != int64(i+1) {
				t.Fatalf("entry %d has seq %d", i, e.Seq)
			}
		}
		v, err := s.VerifyAudit(t.Context())
		durOK(t, "VerifyAudit", err)
		if !v.Intact() || len(v.Chains) != 2 || chainStatus(t, v, org).HeadSeq != n || chainStatus(t, v, "").HeadSeq != n/5 {
			t.Fatalf("VerifyAudit = %+v", v)
		}
	})

	t.Run("appends join the caller's transaction", func(t *testing.T) {
		t.Parallel()
		s, _ := open(t)
		org := durID(t)
		boom := errors.New("boom")
		err := s.InTx(t.Context(), func(ctx context.Context) error {
			for range 2 {
				if err := s.AppendAudit(ctx, audit.Entry{ID: durID(t), At: durBase, OrgID: org, Action: audit.SessionCreate}); err != nil {
					return err
				}
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("InTx = %v, want the callback's error", err)
		}
		if got := chainEntries(t, s, org); len(got) != 0 {
			t.Fatalf("a rolled-back transaction left %d entries", len(got))
		}
		// Committed: consecutive, starting at 1 (the rollback left no gap).
		err = s.InTx(t.Context(), func(ctx context.Context) error {
			for range 3 {
				if err := s.AppendAudit(ctx, audit.Entry{ID: durID(t), At: durBase, OrgID: org, Action: audit.SessionCreate}); err != nil {
					return err
				}
			}
			// A nested transaction that fails takes its entry with it.
			_ = s.InTx(ctx, func(ctx context.Context) error {
				if err := s.AppendAudit(ctx, audit.Entry{ID: durID(t), At: durBase, OrgID: org, Action: audit.SessionRevoke}); err != nil {
					return err
				}
				return boom
			})
			return s.AppendAudit(ctx, audit.Entry{ID: durID(t), At: durBase, OrgID: org, Action: audit.UserLogout})
		})
		durOK(t, "InTx", err)
		got := chainEntries(t, s, org)
		if len(got) != 4 || got[3].Action != audit.UserLogout {
			t.Fatalf("chain after commit = %d entries (%v)", len(got), chainActions(got))
		}
		for i, e := range got {
			if e.Seq != int64(i+1) {
				t.Fatalf("entry %d has seq %d", i, e.Seq)
			}
		}
		// Transactions appending to the same chain at once serialise.
		var wg sync.WaitGroup
		errs := make([]error, 8)
		for i := range errs {
			wg.Go(func() {
				errs[i] = s.InTx(t.Context(), func(ctx context.Context) error {
					for range 3 {
						if err := s.AppendAudit(ctx, audit.Entry{ID: durID(t), At: durBase, OrgID: org, Action: audit.SessionCreate}); err != nil {
							return err
						}
					}
					return nil
				})
			})
		}
		wg.Wait()
		for _, err := range errs {
			durOK(t, "concurrent InTx", err)
		}
		v, err := s.VerifyAudit(t.Context())
		durOK(t, "VerifyAudit", err)
		if !v.Intact() || chainStatus(t, v, org).HeadSeq != 4+3*int64(len(errs)) {
			t.Fatalf("VerifyAudit = %+v", v)
		}
	})

	t.Run("long chains verify across pages", func(t *testing.T) {
		t.Parallel()
		s, x := open(t)
		org := durID(t)
		const n = 1201
		for batch := 0; batch < n; batch += 100 {
			err := s.InTx(t.Context(), func(ctx context.Context) error {
				for i := batch; i < min(batch+100, n); i++ {
					e := audit.Entry{ID: fmt.Sprintf("%s-%05d", org, i), At: durBase.Add(time.Duration(i) * time.Millisecond), OrgID: org, Action: audit.SessionCreate}
					if err := s.AppendAudit(ctx, e); err != nil {
						return err
					}
				}
				return nil
			})
			durOK(t, "InTx", err)
		}
		v, err := s.VerifyAudit(t.Context())
		durOK(t, "VerifyAudit", err)
		if c := chainStatus(t, v, org); !v.Intact() || c.Rows != n || c.HeadSeq != n {
			t.Fatalf("VerifyAudit = %+v", v)
		}
		es := chainEntries(t, s, org)
		e := es[776]
		e.Action = audit.UserLogout
		durOK(t, "Overwrite", x.Overwrite(t.Context(), e))
		v, err = s.VerifyAudit(t.Context())
		durOK(t, "VerifyAudit", err)
		c := chainStatus(t, v, org)
		if c.Break == nil || c.Break.Seq != 777 || c.Break.Problem != audit.ProblemHash || c.Rows != n || c.HeadSeq != n {
			t.Fatalf("after tampering with row 777: %+v", c)
		}
	})

	t.Run("verification reports tampering at the first broken row", func(t *testing.T) {
		t.Parallel()
		tests := []struct {
			name string
			// tamper edits the org chain's entries (seq 1..6, oldest
			// first) and returns the seq and ID of the first broken row.
			tamper  func(t *testing.T, ctx context.Context, x AuditTamper, es []audit.Entry) (int64, string)
			problem audit.Problem
		}{
			{"a changed action", func(t *testing.T, ctx context.Context, x AuditTamper, es []audit.Entry) (int64, string) {
				e := es[2]
				e.Action = "user.nothing_to_see"
				durOK(t, "Overwrite", x.Overwrite(ctx, e))
				return 3, e.ID
			}, audit.ProblemHash},
			{"a changed time", func(t *testing.T, ctx context.Context, x AuditTamper, es []audit.Entry) (int64, string) {
				e := es[0]
				e.At = e.At.Add(-time.Hour)
				durOK(t, "Overwrite", x.Overwrite(ctx, e))
				return 1, e.ID
			}, audit.ProblemHash},
			{"changed extra data", func(t *testing.T, ctx context.Context, x AuditTamper, es []audit.Entry) (int64, string) {
				e := es[4]
				e.Extra = map[string]any{"n": 2}
				durOK(t, "Overwrite", x.Overwrite(ctx, e))
				return 5, e.ID
			}, audit.ProblemHash},
			{"a changed row with a recomputed hash", func(t *testing.T, ctx context.Context, x AuditTamper, es []audit.Entry) (int64, string) {
				e := es[1]
				e.Success = !e.Success
				e.Hash = chainHashOf(t, e)
				durOK(t, "Overwrite", x.Overwrite(ctx, e))
				return 3, es[2].ID
			}, audit.ProblemPrev},
			{"a deleted row", func(t *testing.T, ctx context.Context, x AuditTamper, es []audit.Entry) (int64, string) {
				durOK(t, "Delete", x.Delete(ctx, es[2].ID))
				return 4, es[3].ID
			}, audit.ProblemGap},
			{"the first row deleted", func(t *testing.T, ctx context.Context, x AuditTamper, es []audit.Entry) (int64, string) {
				durOK(t, "Delete", x.Delete(ctx, es[0].ID))
				return 2, es[1].ID
			}, audit.ProblemGap},
			{"a deleted row with the rest renumbered", func(t *testing.T, ctx context.Context, x AuditTamper, es []audit.Entry) (int64, string) {
				durOK(t, "Delete", x.Delete(ctx, es[2].ID))
				for _, e := range es[3:] {
					e.Seq--
					durOK(t, "Overwrite", x.Overwrite(ctx, e))
				}
				return 3, es[3].ID
			}, audit.ProblemHash},
			{"reordered rows", func(t *testing.T, ctx context.Context, x AuditTamper, es []audit.Entry) (int64, string) {
				a, b := es[1], es[3]
				a.Seq, b.Seq = b.Seq, a.Seq
				tmp := a
				tmp.Seq = -1
				durOK(t, "Overwrite", x.Overwrite(ctx, tmp))
				durOK(t, "Overwrite", x.Overwrite(ctx, b))
				durOK(t, "Overwrite", x.Overwrite(ctx, a))
				return 2, b.ID
			}, audit.ProblemHash},
			{"a forged row at the end", func(t *testing.T, ctx context.Context, x AuditTamper, es []audit.Entry) (int64, string) {
				head := es[len(es)-1]
				f := audit.Entry{ID: durID(t), At: head.At.Add(time.Second), OrgID: head.OrgID, Action: audit.UserLogin, Success: true,
					Seq: head.Seq + 1, PrevHash: head.Hash, Hash: head.Hash}
				durOK(t, "Insert", x.Insert(ctx, f))
				return 7, f.ID
			}, audit.ProblemHash},
			{"a well-formed forged row in the middle", func(t *testing.T, ctx context.Context, x AuditTamper, es []audit.Entry) (int64, string) {
				for i := len(es) - 1; i >= 3; i-- {
					e := es[i]
					e.Seq++
					durOK(t, "Overwrite", x.Overwrite(ctx, e))
				}
				f := audit.Entry{ID: durID(t), At: es[2].At, OrgID: es[2].OrgID, Action: audit.UserLogin, Success: true,
					Seq: 4, PrevHash: es[2].Hash}
				f.Hash = chainHashOf(t, f)
				durOK(t, "Insert", x.Insert(ctx, f))
				return 5, es[3].ID
			}, audit.ProblemHash},
			{"an unhashed row after the chain began", func(t *testing.T, ctx context.Context, x AuditTamper, es []audit.Entry) (int64, string) {
				f := audit.Entry{ID: durID(t), At: durBase, OrgID: es[0].OrgID, Action: audit.UserLogin, Seq: 7}
				durOK(t, "Insert", x.Insert(ctx, f))
				return 7, f.ID
			}, audit.ProblemUnhashed},
			{"a row moved to another organization", func(t *testing.T, ctx context.Context, x AuditTamper, es []audit.Entry) (int64, string) {
				e := es[3]
				e.OrgID = durID(t)
				durOK(t, "Overwrite", x.Overwrite(ctx, e))
				return 4, e.ID
			}, audit.ProblemChainKey},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				s, x := open(t)
				org := durID(t)
				for i := range 6 {
					chainAppend(t, s, audit.Entry{At: durBase.Add(time.Duration(i) * time.Second), OrgID: org, ActorID: durID(t),
						Success: i%2 == 0, Extra: map[string]any{"n": i}})
					chainAppend(t, s, audit.Entry{At: durBase.Add(time.Duration(i) * time.Second)})
				}
				es := chainEntries(t, s, org)
				wantSeq, wantID := tc.tamper(t, t.Context(), x, es)

				v, err := s.VerifyAudit(t.Context())
				durOK(t, "VerifyAudit", err)
				if v.Intact() {
					t.Fatalf("VerifyAudit found nothing: %+v", v)
				}
				if p := chainStatus(t, v, ""); !p.Intact() || p.Rows != 6 {
					t.Errorf("the untouched platform chain = %+v, want 6 intact rows", p)
				}
				c := chainStatus(t, v, org)
				if c.Break == nil {
					t.Fatalf("chain %s reported intact: %+v", org, c)
				}
				if b := c.Break; b.Seq != wantSeq || b.ID != wantID || b.Problem != tc.problem || b.Detail == "" {
					t.Fatalf("break = %+v, want seq %d id %s problem %s", *b, wantSeq, wantID, tc.problem)
				}
			})
		}
	})
}

// chainAppend fills in an ID and an action when missing and appends e.
func chainAppend(t *testing.T, s ports.AuditLog, e audit.Entry) audit.Entry {
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

// chainEntries lists one chain (an organization's, or the platform's when
// org is ""), oldest first.
func chainEntries(t *testing.T, s ports.AuditLog, org string) []audit.Entry {
	t.Helper()
	var out []audit.Entry
	f := audit.Filter{OrgID: org, Limit: 200}
	for {
		page, next, err := s.ListAudit(t.Context(), f)
		durOK(t, "ListAudit", err)
		for _, e := range page {
			if e.OrgID == org {
				out = append(out, e)
			}
		}
		if next == "" {
			break
		}
		f.Cursor = next
	}
	slices.SortFunc(out, func(a, b audit.Entry) int { return cmp.Compare(a.Seq, b.Seq) })
	return out
}

// chainHashOf recomputes e's hash from its fields.
func chainHashOf(t *testing.T, e audit.Entry) string {
	t.Helper()
	extra, err := audit.CanonicalExtra(e.Extra)
	durOK(t, "CanonicalExtra", err)
	return audit.ChainHash(e, extra)
}

// chainStatus returns the status of one chain from a verification.
func chainStatus(t *testing.T, v audit.Verification, chain string) audit.ChainStatus {
	t.Helper()
	for _, c := range v.Chains {
		if c.Chain == chain {
			return c
		}
	}
	t.Fatalf("chain %q missing from %+v", chain, v)
	return audit.ChainStatus{}
}

func chainActions(es []audit.Entry) []string {
	out := make([]string, 0, len(es))
	for _, e := range es {
		out = append(out, fmt.Sprintf("%d:%s", e.Seq, e.Action))
	}
	return out
}
