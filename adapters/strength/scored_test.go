package strength

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestScored(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		pw   string
		want string
	}{
		{"keeps a short password", "short", "short"},
		{"keeps exactly 100 characters", strings.Repeat("ab", 50), strings.Repeat("ab", 50)},
		{"cuts after 100 characters", strings.Repeat("a", 150), strings.Repeat("a", 100)},
		{"counts characters, not bytes", strings.Repeat("é", 101), strings.Repeat("é", 100)},
		{"replaces invalid UTF-8", "a\xffb", "a\uFFFDb"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := scored(tc.pw)
			if got != tc.want || !utf8.ValidString(got) {
				t.Errorf("scored(%q) = %q, want %q", tc.pw, got, tc.want)
			}
		})
	}
}

func TestHintWords(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		hints []string
		want  []string
	}{
		{"splits an email into its parts", []string{"Bob.B@Acme-Corp.com"}, []string{"bob.b@acme-corp.com", "bob.b", "bob", "acme", "corp"}},
		{"splits a name into words", []string{"Mary Ann O'Neil"}, []string{"mary ann o'neil", "mary", "ann", "neil"}},
		{"drops duplicates and short fragments", []string{"jo", "Jo Jo", "jo jo"}, []string{"jo jo"}},
		{"returns nothing for no hints", nil, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := hintWords(tc.hints)
			if strings.Join(got, "|") != strings.Join(tc.want, "|") {
				t.Errorf("hintWords(%q) = %q, want %q", tc.hints, got, tc.want)
			}
		})
	}
}
