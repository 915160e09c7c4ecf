// Package strength implements ports.PasswordPolicy with zxcvbn, the
// password strength estimator from Dropbox (the Go port
// github.com/trustelem/zxcvbn). It estimates how many guesses an attacker
// who knows common passwords, words, keyboard patterns and the user's own
// details would need, and turns that into a score from 0 to 4.
package strength

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/trustelem/zxcvbn"

	"github.com/secuird/secuird/ports"
)

// DefaultMinScore is the score a password needs by default: 3, "safely
// unguessable" (at least about 10^8 guesses), which zxcvbn's authors
// describe as moderate protection against offline attacks on a slow hash.
const DefaultMinScore = 3

// MaxScoredRunes is how much of a password is scored. zxcvbn's cost grows
// quickly with length, and a password this long is not weak for its length
// anyway.
const MaxScoredRunes = 100

// minHintWord is the shortest part of a hint scored as a word on its own;
// shorter fragments ("jo", "de") would penalise unrelated passwords.
const minHintWord = 3

// Reasons returned by Weakness.
const (
	ReasonPersonal = "This password is too easy to guess because it contains your email address or name; choose something else"
	ReasonPattern  = "This password is too easy to guess: keyboard patterns, sequences, repeats and dates are tried early; add more words or characters"
	ReasonCommon   = "This password is too common or easy to guess; add more words or characters"
)

var _ ports.PasswordPolicy = (*Zxcvbn)(nil)

// Zxcvbn judges passwords by their zxcvbn score. It is safe for concurrent use.
type Zxcvbn struct {
	minScore int
}

// New returns a policy that accepts passwords scoring at least minScore
// (0 accepts everything, 4 is the maximum; values outside 0..4 are clamped).
func New(minScore int) *Zxcvbn {
	return &Zxcvbn{minScore: max(0, min(4, minScore))}
}

// MinScore returns the score a password needs.
func (z *Zxcvbn) MinScore() int { return z.minScore }

// Score returns pw's zxcvbn score (0-4) given the user's own words, scoring
// at most the first MaxScoredRunes characters.
func (z *Zxcvbn) Score(pw string, hints []string) int {
	return zxcvbn.PasswordStrength(scored(pw), hintWords(hints)).Score
}

// Weakness returns "" when pw scores at least the minimum, else a reason to
// show the user. hints are the user's own words (email, name); they and
// their parts count as easy to guess.
func (z *Zxcvbn) Weakness(pw string, hints []string) string {
	if z.minScore == 0 {
		return ""
	}
	r := zxcvbn.PasswordStrength(scored(pw), hintWords(hints))
	if r.Score >= z.minScore {
		return ""
	}
	return reason(r)
}

// reason explains a low score by the kind of match that covers most of the
// password, preferring the user's own details when any appear.
func reason(r zxcvbn.Result) string {
	covered := map[string]int{}
	for _, m := range r.Sequence {
		n := m.J - m.I + 1
		switch {
		case m.Pattern == "dictionary" && m.DictionaryName == "user_inputs":
			return ReasonPersonal
		case m.Pattern == "spatial" || m.Pattern == "sequence" || m.Pattern == "repeat" || m.Pattern == "date":
			covered["pattern"] += n
		default:
			covered["other"] += n
		}
	}
	if covered["pattern"] > covered["other"] {
		return ReasonPattern
	}
	return ReasonCommon
}

// scored returns the part of pw that is scored: valid UTF-8 (zxcvbn would
// score anything else 0 without looking) and at most MaxScoredRunes long.
func scored(pw string) string {
	pw = strings.ToValidUTF8(pw, "\uFFFD")
	if utf8.RuneCountInString(pw) <= MaxScoredRunes {
		return pw
	}
	n := 0
	for i := range pw {
		if n == MaxScoredRunes {
			return pw[:i]
		}
		n++
	}
	return pw
}

// hintWords returns the hints and their parts: "Bob Builder" also yields
// "bob" and "builder", "bob.b@acme-corp.com" yields "bob.b", "bob", "acme"
// and "corp". zxcvbn matches each user input only as a whole word.
func hintWords(hints []string) []string {
	seen := map[string]bool{}
	var out []string
	add := func(w string) {
		w = strings.ToLower(strings.TrimSpace(w))
		if utf8.RuneCountInString(w) >= minHintWord && !seen[w] {
			seen[w] = true
			out = append(out, scored(w))
		}
	}
	for _, h := range hints {
		add(h)
		local, domain, isEmail := strings.Cut(h, "@")
		if isEmail {
			add(local)
			// The top-level domain says nothing about the user.
			if i := strings.LastIndexByte(domain, '.'); i >= 0 {
				domain = domain[:i]
			}
			h = local + " " + domain
		}
		for _, w := range strings.FieldsFunc(h, func(r rune) bool {
			return !unicode.IsLetter(r) && !unicode.IsDigit(r)
		}) {
			add(w)
		}
	}
	return out
}
