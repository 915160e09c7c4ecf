package i18n_test

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/secuird/secuird/adapters/i18n"
	"github.com/secuird/secuird/web"
)

func catalogue(t *testing.T) *i18n.Catalog {
	t.Helper()
	c, err := i18n.Load(fstest.MapFS{
		"en/a.json": {Data: []byte(`{"hello": "Hello %[1]s", "bye": "Bye", "n.one": "%[1]d member", "n.other": "%[1]d members"}`)},
		"de/a.json": {Data: []byte(`{"hello": "Hallo %[1]s", "bye": "Tschüss", "n.one": "%[1]d Mitglied", "n.other": "%[1]d Mitglieder"}`)},
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestNegotiatePrefersTheCookieThenUILocalesThenAcceptLanguage(t *testing.T) {
	c := catalogue(t)
	tests := []struct {
		name, uiLocales, cookie, accept, want string
	}{
		{"nothing means English", "", "", "", "en"},
		{"accept-language picks German", "", "", "de-DE,de;q=0.9,en;q=0.5", "de"},
		{"accept-language with an unknown language falls back", "", "", "fr-FR", "en"},
		{"cookie beats accept-language", "", "en", "de", "en"},
		{"the cookie (the person's own choice) beats ui_locales", "fr de", "en", "", "en"},
		{"ui_locales beat accept-language", "fr de", "", "en", "de"},
		{"unknown ui_locales fall through to accept-language", "fr ja", "", "de", "de"},
		{"a regional ui_locale matches its language", "de-CH", "", "", "de"},
		{"a bad cookie is ignored", "", "xx", "de", "de"},
		{"a malformed accept-language is ignored", "", "", ";;;q=x", "en"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := c.Negotiate(tt.uiLocales, tt.cookie, tt.accept); got != tt.want {
				t.Fatalf("Negotiate(%q, %q, %q) = %q, want %q", tt.uiLocales, tt.cookie, tt.accept, got, tt.want)
			}
		})
	}
}

func TestCountsPickTheirPluralForm(t *testing.T) {
	c := catalogue(t)
	for _, tt := range []struct {
		lang string
		n    int
		want string
	}{{"en", 0, "0 members"}, {"en", 1, "1 member"}, {"en", 2, "2 members"}, {"de", 1, "1 Mitglied"}, {"de", 5, "5 Mitglieder"}} {
		if got := c.N(tt.lang, "n", tt.n); got != tt.want {
			t.Errorf("N(%s, %d) = %q, want %q", tt.lang, tt.n, got, tt.want)
		}
	}
}

func TestTranslateFormatsAndFallsBack(t *testing.T) {
	c := catalogue(t)
	if got := c.T("de", "hello", "Ada"); got != "Hallo Ada" {
		t.Fatalf("got %q", got)
	}
	if got := c.T("fr", "bye"); got != "Bye" {
		t.Fatalf("unknown language: got %q", got)
	}
	if got := c.T("de", "missing.key"); got != "missing.key" {
		t.Fatalf("unknown key: got %q", got)
	}
	c.Strict = true
	defer func() {
		if recover() == nil {
			t.Fatal("strict catalogue did not panic on an unknown key")
		}
	}()
	c.T("en", "missing.key")
}

func TestLoadRefusesCataloguesThatDiffer(t *testing.T) {
	tests := []struct {
		name string
		fs   fstest.MapFS
		want string
	}{
		{"missing translation", fstest.MapFS{
			"en/a.json": {Data: []byte(`{"a": "A", "b": "B"}`)}, "de/a.json": {Data: []byte(`{"a": "A"}`)}}, "de: missing b"},
		{"extra translation", fstest.MapFS{
			"en/a.json": {Data: []byte(`{"a": "A"}`)}, "de/a.json": {Data: []byte(`{"a": "A", "z": "Z"}`)}}, "de: unknown z"},
		{"key defined twice", fstest.MapFS{
			"en/a.json": {Data: []byte(`{"a": "A"}`)}, "en/b.json": {Data: []byte(`{"a": "A"}`)}}, "defined twice"},
		{"no English", fstest.MapFS{"de/a.json": {Data: []byte(`{"a": "A"}`)}}, "no \"en\""},
		{"broken JSON", fstest.MapFS{"en/a.json": {Data: []byte(`{"a": `)}}, "en/a.json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := i18n.Load(tt.fs)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Load error = %v, want it to mention %q", err, tt.want)
			}
		})
	}
}

// The shipped catalogue loads: English and German have the same keys.
func TestShippedCatalogueIsComplete(t *testing.T) {
	c, err := i18n.Load(web.Locales())
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Languages(); len(got) < 2 || got[0] != "en" {
		t.Fatalf("languages %v", got)
	}
}
