package strength_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/secuird/secuird/adapters/strength"
)

var bob = []string{"bob.builder@acme-corp.com", "Bob Builder"}

func TestWeakness(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		pw    string
		hints []string
		want  string // "" means accepted
	}{
		{"rejects a top common password", "password", nil, strength.ReasonCommon},
		{"rejects a run of digits", "12345678", nil, strength.ReasonCommon},
		{"rejects a keyboard row", "qwertyuiop", nil, strength.ReasonCommon},
		{"rejects a keyboard walk that is not a known password", "asdfghjkl;'", nil, strength.ReasonPattern},
		{"rejects an alphabetic sequence", "abcdefghijk", nil, strength.ReasonPattern},
		{"rejects a repeated character", "aaaaaaaaaaaa", nil, strength.ReasonPattern},
		{"rejects a common word with a l33t substitution", "P@ssw0rd123", nil, strength.ReasonCommon},
		{"rejects the empty password", "", nil, strength.ReasonCommon},
		{"rejects the user's email", "bob.builder@acme-corp.com", bob, strength.ReasonPersonal},
		{"rejects the user's email in another case", "Bob.Builder@ACME-corp.com", bob, strength.ReasonPersonal},
		{"rejects the user's name run together", "bobbuilder", bob, strength.ReasonPersonal},
		{"rejects the company name from the email", "acmecorp!", bob, strength.ReasonPersonal},
		{"accepts a passphrase of common words", "correct horse battery staple", nil, ""},
		{"accepts a passphrase that mentions nothing personal", "correct horse battery staple", bob, ""},
		{"accepts a long random string", "fT7#qL9!zR2@wX", nil, ""},
		{"accepts a password with invalid UTF-8 when strong", "correct horse \xff battery staple", nil, ""},
	}
	policy := strength.New(strength.DefaultMinScore)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := policy.Weakness(tc.pw, tc.hints); got != tc.want {
				t.Errorf("Weakness(%q) = %q (score %d), want %q", tc.pw, got, policy.Score(tc.pw, tc.hints), tc.want)
			}
		})
	}
}

func TestMinScore(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		minScore int
		pw       string
		accepted bool
	}{
		{"score 0 accepts anything", 0, "password", true},
		{"a negative minimum accepts anything", -1, "password", true},
		{"score 1 accepts a slightly unusual password", 1, "monkey123", true},
		{"score 2 rejects a slightly unusual password", 2, "monkey123", false},
		{"a minimum above 4 acts as 4", 9, "correct horse battery staple", true},
		{"score 4 rejects a moderately strong password", 4, "UserPass123!", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := strength.New(tc.minScore).Weakness(tc.pw, nil) == ""; got != tc.accepted {
				t.Errorf("accepted = %v, want %v", got, tc.accepted)
			}
		})
	}
}

func TestNewClampsMinScore(t *testing.T) {
	t.Parallel()
	for in, want := range map[int]int{-5: 0, 0: 0, 3: 3, 4: 4, 7: 4} {
		if got := strength.New(in).MinScore(); got != want {
			t.Errorf("New(%d).MinScore() = %d, want %d", in, got, want)
		}
	}
}

func TestOnlyTheFirst100CharactersCount(t *testing.T) {
	t.Parallel()
	policy := strength.New(strength.DefaultMinScore)
	strong := "correct horse battery staple"
	weakStart := strings.Repeat("a", strength.MaxScoredRunes) + strong
	if got := policy.Weakness(weakStart, nil); got == "" {
		t.Errorf("a password whose first %d characters repeat one letter was accepted", strength.MaxScoredRunes)
	}
	strongStart := strong + strings.Repeat("a", 10_000)
	if got := policy.Weakness(strongStart, nil); got != "" {
		t.Errorf("a long password with a strong start was rejected: %q", got)
	}
}

func BenchmarkWeakness(b *testing.B) {
	policy := strength.New(strength.DefaultMinScore)
	for _, n := range []int{12, 100, 10_000} {
		pw := strings.Repeat("Tr0ub4dor&3 ", n/12+1)[:n]
		b.Run(fmt.Sprintf("%d bytes", n), func(b *testing.B) {
			for b.Loop() {
				policy.Weakness(pw, bob)
			}
		})
	}
}
