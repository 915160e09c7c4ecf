package app_test

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// uiClient is a cookie-keeping HTTP client for hosted-page tests: it
// fetches pages, remembers the last page's CSRF token and posts forms the
// way a browser without JavaScript does.
type uiClient struct {
	t    *testing.T
	base string
	hc   *http.Client
	// lang is sent as Accept-Language when set.
	lang string
	// csrf is the csrf_token of the last page fetched.
	csrf string
}

// page is a fetched page: status, final URL and HTML.
type page struct {
	status int
	url    string
	body   string
	// location is the redirect target when redirects were not followed.
	location string
}

var csrfField = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// newUIClient starts a browser-like client against the server s.
func newUIClient(t *testing.T, s *server) *uiClient {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &uiClient{t: t, base: s.url, hc: &http.Client{Jar: jar}}
}

func (u *uiClient) do(method, path string, form url.Values, follow bool) page {
	u.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	target := path
	if strings.HasPrefix(path, "/") {
		target = u.base + path
	}
	req, err := http.NewRequest(method, target, body)
	if err != nil {
		u.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("Accept", "text/html,application/xhtml+xml,*/*;q=0.8")
	if u.lang != "" {
		req.Header.Set("Accept-Language", u.lang)
	}
	hc := *u.hc
	if !follow {
		hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	}
	res, err := hc.Do(req)
	if err != nil {
		u.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer func() { _ = res.Body.Close() }()
	b, _ := io.ReadAll(res.Body)
	p := page{status: res.StatusCode, url: res.Request.URL.String(), body: string(b), location: res.Header.Get("Location")}
	if m := csrfField.FindStringSubmatch(p.body); m != nil {
		u.csrf = m[1]
	}
	return p
}

// get fetches path (following redirects).
func (u *uiClient) get(path string) page { u.t.Helper(); return u.do(http.MethodGet, path, nil, true) }

// getNoFollow fetches path without following a redirect.
func (u *uiClient) getNoFollow(path string) page {
	u.t.Helper()
	return u.do(http.MethodGet, path, nil, false)
}

// post submits form to path with the last page's CSRF token (unless the
// form sets csrf_token itself), following redirects.
func (u *uiClient) post(path string, form url.Values) page {
	u.t.Helper()
	return u.do(http.MethodPost, path, u.withCSRF(form), true)
}

// postNoFollow is post without following a redirect.
func (u *uiClient) postNoFollow(path string, form url.Values) page {
	u.t.Helper()
	return u.do(http.MethodPost, path, u.withCSRF(form), false)
}

func (u *uiClient) withCSRF(form url.Values) url.Values {
	if form == nil {
		form = url.Values{}
	}
	if _, ok := form["csrf_token"]; !ok {
		form.Set("csrf_token", u.csrf)
	}
	return form
}

// mustContain fails unless the page holds every one of want.
func (p page) mustContain(t *testing.T, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(p.body, w) {
			t.Fatalf("page %s (status %d) lacks %q:\n%s", p.url, p.status, w, p.body)
		}
	}
}

// mustNotContain fails if the page holds any of bad.
func (p page) mustNotContain(t *testing.T, bad ...string) {
	t.Helper()
	for _, w := range bad {
		if strings.Contains(p.body, w) {
			t.Fatalf("page %s (status %d) holds %q", p.url, p.status, w)
		}
	}
}
