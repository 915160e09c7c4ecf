// Package i18n is the hosted pages' message catalogue: one JSON object of
// key -> text per area and language (web/locales/<lang>/<area>.json),
// merged at start-up, with language negotiation from OIDC ui_locales, a
// cookie or Accept-Language.
//
// Texts are fmt formats: a text used with arguments names them by
// position (%[1]s, %[2]d) so that a translation may reorder them. English
// is the reference: every other language must have exactly its keys, and
// Load refuses a catalogue where they differ.
package i18n

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"sort"
	"strings"

	"golang.org/x/text/language"
)

// Default is the reference language and the fallback.
const Default = "en"

// Catalog holds every language's texts.
type Catalog struct {
	// Strict makes T panic on an unknown key (tests and CI turn it on so
	// that a page showing a raw key fails loudly).
	Strict  bool
	texts   map[string]map[string]string
	langs   []string
	tags    []language.Tag
	matcher language.Matcher
}

// Load reads <lang>/*.json under fsys. A key defined twice, a language
// missing a key of the reference language or holding one it lacks, or an
// unparsable file is an error.
func Load(fsys fs.FS) (*Catalog, error) {
	dirs, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("i18n: %w", err)
	}
	c := &Catalog{texts: map[string]map[string]string{}}
	for _, d := range dirs {
		if !d.IsDir() {
			continue
		}
		lang := d.Name()
		if _, err := language.Parse(lang); err != nil {
			return nil, fmt.Errorf("i18n: folder %q is not a language tag", lang)
		}
		texts := map[string]string{}
		files, err := fs.Glob(fsys, path.Join(lang, "*.json"))
		if err != nil {
			return nil, fmt.Errorf("i18n: %w", err)
		}
		for _, f := range files {
			b, err := fs.ReadFile(fsys, f)
			if err != nil {
				return nil, fmt.Errorf("i18n: %w", err)
			}
			var m map[string]string
			if err := json.Unmarshal(b, &m); err != nil {
				return nil, fmt.Errorf("i18n: %s: %w", f, err)
			}
			for k, v := range m {
				if _, dup := texts[k]; dup {
					return nil, fmt.Errorf("i18n: %s: key %q defined twice", f, k)
				}
				texts[k] = v
			}
		}
		c.texts[lang] = texts
	}
	ref, ok := c.texts[Default]
	if !ok {
		return nil, fmt.Errorf("i18n: no %q catalogue", Default)
	}
	c.langs = append(c.langs, Default)
	for lang := range c.texts {
		if lang != Default {
			c.langs = append(c.langs, lang)
		}
	}
	sort.Strings(c.langs[1:])
	var problems []string
	for _, lang := range c.langs[1:] {
		for k := range ref {
			if _, ok := c.texts[lang][k]; !ok {
				problems = append(problems, lang+": missing "+k)
			}
		}
		for k := range c.texts[lang] {
			if _, ok := ref[k]; !ok {
				problems = append(problems, lang+": unknown "+k)
			}
		}
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		return nil, fmt.Errorf("i18n: catalogues differ: %s", strings.Join(problems, "; "))
	}
	for _, l := range c.langs {
		c.tags = append(c.tags, language.MustParse(l))
	}
	c.matcher = language.NewMatcher(c.tags)
	return c, nil
}

// Languages lists the catalogue's languages, the reference first.
func (c *Catalog) Languages() []string { return slices.Clone(c.langs) }

// Has reports whether lang is one of the catalogue's languages.
func (c *Catalog) Has(lang string) bool { _, ok := c.texts[lang]; return ok }

// Keys lists the reference language's keys, sorted.
func (c *Catalog) Keys() []string {
	keys := make([]string, 0, len(c.texts[Default]))
	for k := range c.texts[Default] {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Lookup returns the raw text of key in lang and whether it exists.
func (c *Catalog) Lookup(lang, key string) (string, bool) {
	s, ok := c.texts[lang][key]
	return s, ok
}

// T is the text of key in lang, formatted with args. An unknown language
// falls back to the reference; an unknown key shows as the key itself, so
// a missing text is visible rather than blank (tests catch both).
func (c *Catalog) T(lang, key string, args ...any) string {
	s, ok := c.texts[lang][key]
	if !ok {
		if s, ok = c.texts[Default][key]; !ok {
			if c.Strict {
				panic("i18n: no text for key " + key)
			}
			return key
		}
	}
	if len(args) == 0 {
		return s
	}
	return fmt.Sprintf(s, args...)
}

// N is T for a count: the text of key+".one" when n is 1, else of
// key+".other" (the plural rule of English and German), formatted with n
// as %[1]d and then args.
func (c *Catalog) N(lang, key string, n int, args ...any) string {
	form := ".other"
	if n == 1 {
		form = ".one"
	}
	return c.T(lang, key+form, append([]any{n}, args...)...)
}

// Negotiate picks a language: the cookie's language (the person's own
// choice from the language switch), else the first of uiLocales (OIDC
// ui_locales, space separated, in order of preference: the application's
// hint) the catalogue has, else the best match for Accept-Language, else
// the reference language.
func (c *Catalog) Negotiate(uiLocales, cookie, acceptLanguage string) string {
	if c.Has(cookie) {
		return cookie
	}
	for _, l := range strings.Fields(uiLocales) {
		if lang := c.match(l); lang != "" {
			return lang
		}
	}
	if acceptLanguage != "" {
		if tags, _, err := language.ParseAcceptLanguage(acceptLanguage); err == nil && len(tags) > 0 {
			_, idx, conf := c.matcher.Match(tags...)
			if conf != language.No {
				return c.langs[idx]
			}
		}
	}
	return Default
}

// match maps one language tag to a catalogue language ("de-CH" -> "de"),
// or "".
func (c *Catalog) match(tag string) string {
	t, err := language.Parse(tag)
	if err != nil {
		return ""
	}
	_, idx, conf := c.matcher.Match(t)
	if conf == language.No || conf == language.Low {
		return ""
	}
	return c.langs[idx]
}
