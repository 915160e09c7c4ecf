package audit_test

import (
	"strings"
	"testing"
	"time"

	"github.com/secuird/secuird/core/audit"
)

// chain builds n properly linked entries of one chain, after legacy
// unhashed ones.
func chain(org string, legacy, n int) []audit.Entry {
	var out []audit.Entry
	at := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range legacy {
		out = append(out, audit.Entry{ID: "legacy" + string(rune('a'+i)), At: at, OrgID: org, Action: "x", Seq: int64(i + 1)})
	}
	prev := ""
	for i := range n {
		e := audit.Entry{ID: "e" + string(rune('a'+i)), At: at.Add(time.Duration(i) * time.Second), OrgID: org, Action: audit.UserLogin,
			Seq: int64(legacy + i + 1), PrevHash: prev}
		e.Hash = audit.ChainHash(e, "")
		prev = e.Hash
		out = append(out, e)
	}
	return out
}

func check(org string, es []audit.Entry) audit.ChainStatus {
	c := audit.NewChainCheck(org)
	for _, e := range es {
		c.Next(e, "")
	}
	return c.Status()
}

func TestChainCheck(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		entries func() []audit.Entry
		legacy  int64
		problem audit.Problem // "" for intact
		at      int64
	}{
		{"an intact chain passes", func() []audit.Entry { return chain("o", 0, 5) }, 0, "", 0},
		{"legacy rows at the start pass and are counted", func() []audit.Entry { return chain("o", 3, 2) }, 3, "", 0},
		{"a chain of only legacy rows passes", func() []audit.Entry { return chain("o", 2, 0) }, 2, "", 0},
		{"a legacy-looking row after hashed ones is unhashed", func() []audit.Entry {
			es := chain("o", 0, 3)
			return append(es, audit.Entry{ID: "late", OrgID: "o", Seq: 4})
		}, 0, audit.ProblemUnhashed, 4},
		{"a legacy row with a previous hash is unhashed", func() []audit.Entry {
			es := chain("o", 2, 1)
			es[1].PrevHash = "abc"
			return es
		}, 1, audit.ProblemUnhashed, 2},
		{"a changed field breaks the hash", func() []audit.Entry {
			es := chain("o", 0, 4)
			es[2].Description = "edited"
			return es
		}, 0, audit.ProblemHash, 3},
		{"a missing row is a gap", func() []audit.Entry {
			es := chain("o", 0, 4)
			return append(es[:1], es[2:]...)
		}, 0, audit.ProblemGap, 3},
		{"a chain not starting at 1 is a gap", func() []audit.Entry { return chain("o", 0, 4)[1:] }, 0, audit.ProblemGap, 2},
		{"a repeated sequence number is a duplicate", func() []audit.Entry {
			es := chain("o", 0, 3)
			return append(es, es[2])
		}, 0, audit.ProblemDuplicate, 3},
		{"a replaced predecessor breaks the link", func() []audit.Entry {
			es := chain("o", 0, 3)
			es[1].Action = "forged"
			es[1].Hash = audit.ChainHash(es[1], "")
			return es
		}, 0, audit.ProblemPrev, 3},
		{"a row of another organization breaks the chain key", func() []audit.Entry {
			es := chain("o", 0, 3)
			es[1].OrgID = "p"
			return es
		}, 0, audit.ProblemChainKey, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			es := tc.entries()
			st := check("o", es)
			if st.Rows != int64(len(es)) || st.Legacy != tc.legacy {
				t.Errorf("rows %d legacy %d, want %d and %d", st.Rows, st.Legacy, len(es), tc.legacy)
			}
			if last := es[len(es)-1]; st.HeadSeq != last.Seq || st.HeadHash != last.Hash {
				t.Errorf("head %d %q, want the last row's", st.HeadSeq, st.HeadHash)
			}
			if tc.problem == "" {
				if !st.Intact() {
					t.Fatalf("break %+v in an intact chain", *st.Break)
				}
				return
			}
			if st.Intact() || st.Break.Problem != tc.problem || st.Break.Seq != tc.at || st.Break.Detail == "" {
				t.Fatalf("status %+v, want %s at seq %d", st, tc.problem, tc.at)
			}
		})
	}
}

func TestChainCheckRejectsUnreadableExtra(t *testing.T) {
	t.Parallel()
	e := audit.Entry{ID: "a", OrgID: "", Action: "x", Seq: 1}
	e.Hash = audit.ChainHash(e, "")
	c := audit.NewChainCheck("")
	c.Next(e, "[1,2]")
	if st := c.Status(); st.Intact() || st.Break.Problem != audit.ProblemHash {
		t.Fatalf("status %+v, want a hash mismatch", st)
	}
}

func TestCanonicalJSON(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, in, want string
		bad            bool
	}{
		{"empty text is no data", "", "", false},
		{"null is no data", "null", "", false},
		{"an empty object is no data", " {} ", "", false},
		{"keys are sorted and space removed", `{"b": 1, "a": {"d": [1, 2], "c": "x"}}`, `{"a":{"c":"x","d":[1,2]},"b":1}`, false},
		{"numbers keep their text", `{"big": 12345678901234567890, "f": 1.50}`, `{"big":12345678901234567890,"f":1.50}`, false},
		{"HTML is not escaped", `{"h": "<a&b>"}`, `{"h":"<a&b>"}`, false},
		{"escapes are normalised", `{"u": "\u00e9"}`, `{"u":"é"}`, false},
		{"an array is refused", `[1]`, "", true},
		{"trailing data is refused", `{"a":1} {"b":2}`, "", true},
		{"malformed JSON is refused", `{"a":`, "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := audit.CanonicalJSON(tc.in)
			if (err != nil) != tc.bad || got != tc.want {
				t.Fatalf("CanonicalJSON(%q) = %q, %v; want %q (error %v)", tc.in, got, err, tc.want, tc.bad)
			}
		})
	}
}

func TestCanonicalExtraMatchesStoredText(t *testing.T) {
	t.Parallel()
	extra := map[string]any{"n": 3, "s": "x", "m": map[string]any{"b": true}}
	a, err := audit.CanonicalExtra(extra)
	if err != nil {
		t.Fatal(err)
	}
	b, err := audit.CanonicalJSON(a)
	if err != nil || a != b || !strings.HasPrefix(a, `{"m":`) {
		t.Fatalf("CanonicalExtra %q, re-canonicalised %q (%v)", a, b, err)
	}
	if _, err := audit.CanonicalExtra(map[string]any{"c": make(chan int)}); err == nil {
		t.Fatal("a channel was encoded")
	}
}

func TestChainHashIsUnambiguous(t *testing.T) {
	t.Parallel()
	// Moving text between adjacent fields changes the hash.
	a := audit.Entry{ID: "ab", Action: "c", Seq: 1}
	b := audit.Entry{ID: "a", Action: "bc", Seq: 1}
	if audit.ChainHash(a, "") == audit.ChainHash(b, "") {
		t.Fatal("adjacent fields run together")
	}
	// Time zones and sub-microsecond digits do not matter.
	at := time.Date(2025, 5, 6, 7, 8, 9, 123456789, time.UTC)
	c := audit.Entry{ID: "x", At: at, Seq: 1}
	d := audit.Entry{ID: "x", At: at.Truncate(time.Microsecond).In(time.FixedZone("X", 3600)), Seq: 1}
	if audit.ChainHash(c, "") != audit.ChainHash(d, "") {
		t.Fatal("the same instant hashes differently")
	}
	if got := audit.FormatTime(at); got != "2025-05-06T07:08:09.123456Z" {
		t.Fatalf("FormatTime = %q", got)
	}
}
