package httpapi

import (
	"io/fs"
	"regexp"
	"strings"
	"testing"

	"github.com/secuird/secuird/adapters/i18n"
	"github.com/secuird/secuird/web"
)

// templateKey finds the literal keys templates translate: {{.T "key"}},
// {{$.T "key" ...}}, {{$.Tv "key" ...}}.
var templateKey = regexp.MustCompile(`\.Tv? "([^"]+)"`)

// templateCountKey finds the keys of counted texts: {{.N "key" .Count}},
// which need key.one and key.other.
var templateCountKey = regexp.MustCompile(`\.N "([^"]+)"`)

// Every key a page template uses literally is in the catalogue, in every
// language (Load checks that the languages agree).
func TestTemplatesUseOnlyCatalogueKeys(t *testing.T) {
	cat, err := i18n.Load(web.Locales())
	if err != nil {
		t.Fatal(err)
	}
	files, err := fs.Glob(web.Pages(), "*.html")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		b, err := fs.ReadFile(web.Pages(), f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range templateKey.FindAllStringSubmatch(string(b), -1) {
			if _, ok := cat.Lookup(i18n.Default, m[1]); !ok {
				t.Errorf("%s uses %q, which the catalogue lacks", f, m[1])
			}
		}
		for _, m := range templateCountKey.FindAllStringSubmatch(string(b), -1) {
			for _, form := range []string{".one", ".other"} {
				if _, ok := cat.Lookup(i18n.Default, m[1]+form); !ok {
					t.Errorf("%s counts with %q, but the catalogue lacks %q", f, m[1], m[1]+form)
				}
			}
		}
	}
}

// Texts that take arguments use explicit positions (%[1]s) so that a
// translation can reorder them; texts without arguments hold no verbs.
func TestCatalogueTextsUsePositionalArguments(t *testing.T) {
	cat, err := i18n.Load(web.Locales())
	if err != nil {
		t.Fatal(err)
	}
	bare := regexp.MustCompile(`%[^\[%]`)
	for _, lang := range cat.Languages() {
		for _, k := range cat.Keys() {
			s, _ := cat.Lookup(lang, k)
			if bare.MatchString(strings.ReplaceAll(s, "%%", "")) {
				t.Errorf("%s %s: %q has a verb without a position", lang, k, s)
			}
		}
	}
}
