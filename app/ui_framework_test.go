package app_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/secuird/secuird/app"
)

func TestHostedPagesFramework(t *testing.T) {
	srv := startServer(t, func(c *app.Config) { c.Brand.PrimaryColor = "#7a1fa2"; c.Brand.Name = "Acme ID" })

	t.Run("an unknown page answers a browser with the HTML not-found page", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodGet, srv.url+"/no-such-page", nil)
		req.Header.Set("Accept", "text/html,application/xhtml+xml")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = res.Body.Close()
		if res.StatusCode != 404 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
			t.Fatalf("status %d, type %q", res.StatusCode, res.Header.Get("Content-Type"))
		}
		if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") || strings.Contains(csp, "unsafe-inline") {
			t.Fatalf("page CSP %q", csp)
		}
	})

	t.Run("an unknown API route stays an envelope even for a browser", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodGet, srv.url+"/api/v1/no-such-thing", nil)
		req.Header.Set("Accept", "text/html")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = res.Body.Close()
		if res.StatusCode != 404 || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
			t.Fatalf("status %d, type %q", res.StatusCode, res.Header.Get("Content-Type"))
		}
	})

	t.Run("the brand stylesheet carries the configured colour", func(t *testing.T) {
		b := newUIClient(t, srv).get("/static/brand.css")
		if b.status != 200 || !strings.Contains(b.body, "--brand: #7a1fa2") {
			t.Fatalf("brand.css %d %q", b.status, b.body)
		}
	})

	t.Run("a short brand colour is accepted too", func(t *testing.T) {
		short := startServer(t, func(c *app.Config) { c.Brand.PrimaryColor = "#f60" })
		b := newUIClient(t, short).get("/static/brand.css")
		if !strings.Contains(b.body, "--brand: #f60") {
			t.Fatalf("brand.css %q", b.body)
		}
	})

	t.Run("the language switch remembers the choice and stays on this site", func(t *testing.T) {
		u := newUIClient(t, srv)
		p := u.getNoFollow("/lang/de?next=//evil.example/x")
		if p.status != http.StatusSeeOther || p.location != "/" {
			t.Fatalf("status %d location %q", p.status, p.location)
		}
		nf := u.get("/no-such-page-either")
		if !strings.Contains(nf.body, `lang="de"`) {
			t.Fatalf("the language cookie did not apply: %s", nf.body)
		}
	})

	t.Run("German through Accept-Language and the brand name in the title", func(t *testing.T) {
		u := newUIClient(t, srv)
		u.lang = "de-DE,de;q=0.9"
		p := u.get("/nothing-here")
		p.mustContain(t, `lang="de"`, "Seite nicht gefunden", "Acme ID")
	})

	t.Run("the home page sends a signed-out browser to sign in", func(t *testing.T) {
		p := newUIClient(t, srv).getNoFollow("/")
		if p.status != http.StatusSeeOther || p.location != "/login" {
			t.Fatalf("status %d location %q", p.status, p.location)
		}
	})
}
