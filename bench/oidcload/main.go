// Command oidcload is a small, bounded load generator for Secuird's OpenID
// Provider endpoints, for local benchmarks only: it refuses any target
// that is not on 127.0.0.1 (or localhost), stops after -n requests or -d,
// whichever comes first, and reports requests per second with p50, p99
// and max latency.
//
// Scenarios (seed data of `secuird seed`):
//
//	cc          client_credentials (data-api-001)
//	introspect  introspection of a client_credentials token
//	refresh     refresh-token rotation (acme-portal-001; one login per worker)
//	userinfo    /userinfo with a user's access token
//
// Example:
//
//	go run ./bench/oidcload -url http://127.0.0.1:8080 -scenario cc -c 16 -n 50000 -d 20s
package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

type config struct {
	target      string
	scenario    string
	concurrency int
	requests    int64
	duration    time.Duration
	ccClient    string
	ccSecret    string
	rpClient    string
	rpSecret    string
	rpRedirect  string
	user        string
	password    string
}

func main() {
	var c config
	flag.StringVar(&c.target, "url", "http://127.0.0.1:8080", "server base URL (127.0.0.1 or localhost only)")
	flag.StringVar(&c.scenario, "scenario", "cc", "cc, introspect, refresh or userinfo")
	flag.IntVar(&c.concurrency, "c", 8, "concurrent workers (1-256)")
	flag.Int64Var(&c.requests, "n", 20000, "maximum number of requests (1-1000000)")
	flag.DurationVar(&c.duration, "d", 10*time.Second, "maximum duration (at most 5m)")
	flag.StringVar(&c.ccClient, "cc-client", "data-api-001", "client_credentials client")
	flag.StringVar(&c.ccSecret, "cc-secret", "data_secret_api_2024", "client_credentials secret")
	flag.StringVar(&c.rpClient, "rp-client", "acme-portal-001", "code-flow client")
	flag.StringVar(&c.rpSecret, "rp-secret", "acme_secret_portal_2024", "code-flow client secret")
	flag.StringVar(&c.rpRedirect, "rp-redirect", "http://localhost:3000/auth/callback", "code-flow redirect URI")
	flag.StringVar(&c.user, "user", "bob@acme-corp.com", "user for the code flow")
	flag.StringVar(&c.password, "password", "UserPass123!", "password for the code flow")
	flag.Parse()
	if err := run(c, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "oidcload:", err)
		os.Exit(1)
	}
}

// checkTarget allows only loopback targets on 127.0.0.1 or localhost.
func checkTarget(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("bad -url %q", raw)
	}
	if h := u.Hostname(); h != "127.0.0.1" && h != "localhost" {
		return fmt.Errorf("refusing target host %q: only 127.0.0.1 or localhost", h)
	}
	return nil
}

func run(c config, out io.Writer) error {
	if err := checkTarget(c.target); err != nil {
		return err
	}
	if c.concurrency < 1 || c.concurrency > 256 || c.requests < 1 || c.requests > 1_000_000 || c.duration <= 0 || c.duration > 5*time.Minute {
		return errors.New("bounds: 1 <= -c <= 256, 1 <= -n <= 1000000, 0 < -d <= 5m")
	}
	c.target = strings.TrimRight(c.target, "/")
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		MaxIdleConns: c.concurrency * 2, MaxIdleConnsPerHost: c.concurrency * 2, IdleConnTimeout: 30 * time.Second,
		DialContext: (&net.Dialer{Timeout: 3 * time.Second}).DialContext,
	}}
	workers := make([]func() error, c.concurrency)
	for i := range workers {
		w, err := newWorker(c, client)
		if err != nil {
			return fmt.Errorf("prepare worker %d: %w", i, err)
		}
		workers[i] = w
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.duration)
	defer cancel()
	var issued, failed atomic.Int64
	lat := make([][]time.Duration, c.concurrency)
	var firstErr atomic.Value
	start := time.Now()
	var wg sync.WaitGroup
	for i, w := range workers {
		wg.Go(func() {
			for ctx.Err() == nil && issued.Add(1) <= c.requests {
				t := time.Now()
				if err := w(); err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
					continue
				}
				lat[i] = append(lat[i], time.Since(t))
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	all := slices.Concat(lat...)
	slices.Sort(all)
	pct := func(p float64) time.Duration {
		if len(all) == 0 {
			return 0
		}
		return all[min(len(all)-1, int(float64(len(all))*p))]
	}
	fmt.Fprintf(out, "scenario=%s workers=%d ok=%d failed=%d elapsed=%s rps=%.0f p50=%s p99=%s max=%s\n",
		c.scenario, c.concurrency, len(all), failed.Load(), elapsed.Round(time.Millisecond),
		float64(len(all))/elapsed.Seconds(), pct(0.50).Round(time.Microsecond), pct(0.99).Round(time.Microsecond), pct(1).Round(time.Microsecond))
	if e, ok := firstErr.Load().(string); ok {
		fmt.Fprintln(out, "first error:", e)
	}
	return nil
}

// newWorker prepares one worker's state and returns its request function.
func newWorker(c config, hc *http.Client) (func() error, error) {
	switch c.scenario {
	case "cc":
		return func() error { _, err := ccToken(c, hc); return err }, nil
	case "introspect":
		tok, err := ccToken(c, hc)
		if err != nil {
			return nil, err
		}
		return func() error {
			var res struct {
				Active bool `json:"active"`
			}
			if err := postJSON(hc, c.target+"/oidc/introspect", c.ccClient, c.ccSecret, url.Values{"token": {tok}}, &res); err != nil {
				return err
			}
			if !res.Active {
				return errors.New("token inactive")
			}
			return nil
		}, nil
	case "refresh", "userinfo":
		rt, err := login(c)
		if err != nil {
			return nil, err
		}
		if c.scenario == "refresh" {
			return func() error {
				tok, err := refresh(c, hc, rt)
				if err == nil {
					rt = tok.RefreshToken
				}
				return err
			}, nil
		}
		tok, err := refresh(c, hc, rt)
		if err != nil {
			return nil, err
		}
		return func() error {
			req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, c.target+"/oidc/userinfo", nil)
			req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
			return do(hc, req, nil)
		}, nil
	}
	return nil, fmt.Errorf("unknown scenario %q", c.scenario)
}

type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
}

func ccToken(c config, hc *http.Client) (string, error) {
	var tok tokenResponse
	err := postJSON(hc, c.target+"/oidc/token", c.ccClient, c.ccSecret, url.Values{"grant_type": {"client_credentials"}, "scope": {"api:read"}}, &tok)
	return tok.AccessToken, err
}

func refresh(c config, hc *http.Client, rt string) (tokenResponse, error) {
	var tok tokenResponse
	err := postJSON(hc, c.target+"/oidc/token", c.rpClient, c.rpSecret, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}, &tok)
	if err == nil && tok.RefreshToken == "" {
		err = errors.New("no refresh token")
	}
	return tok, err
}

func postJSON(hc *http.Client, u, user, pass string, form url.Values, v any) error {
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(user), url.QueryEscape(pass))
	return do(hc, req, v)
}

func do(hc *http.Client, req *http.Request, v any) error {
	res, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("%s %s: status %d", req.Method, req.URL.Path, res.StatusCode)
	}
	if v != nil {
		return json.Unmarshal(body, v)
	}
	return nil
}

var (
	hiddenID   = regexp.MustCompile(`name="id" value="([^"]+)"`)
	hiddenCSRF = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)
)

// login runs code+PKCE through the hosted login form (and consent, if
// asked) and returns a refresh token.
func login(c config) (string, error) {
	jar, _ := cookiejar.New(nil)
	redirect, _ := url.Parse(c.rpRedirect)
	hc := &http.Client{Jar: jar, Timeout: 30 * time.Second, CheckRedirect: func(req *http.Request, _ []*http.Request) error {
		if req.URL.Host == redirect.Host && req.URL.Path == redirect.Path {
			return http.ErrUseLastResponse
		}
		return nil
	}}
	var b [32]byte
	_, _ = rand.Read(b[:])
	verifier := base64.RawURLEncoding.EncodeToString(b[:])
	sum := sha256.Sum256([]byte(verifier))
	q := url.Values{"client_id": {c.rpClient}, "response_type": {"code"}, "scope": {"openid profile email offline_access"},
		"redirect_uri": {c.rpRedirect}, "state": {"load"}, "code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])},
		"code_challenge_method": {"S256"}}
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, c.target+"/oidc/authorize?"+q.Encode(), nil)
	res, err := hc.Do(req)
	if err != nil {
		return "", err
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	for range 3 {
		if res.StatusCode == http.StatusFound {
			break
		}
		id, csrf := hiddenID.FindSubmatch(body), hiddenCSRF.FindSubmatch(body)
		if id == nil || csrf == nil {
			return "", fmt.Errorf("no login or consent form (status %d)", res.StatusCode)
		}
		form := url.Values{"id": {string(id[1])}, "csrf_token": {string(csrf[1])}}
		path := "/oidc/login"
		if strings.Contains(string(body), `action="/oidc/consent"`) {
			path = "/oidc/consent"
			form.Set("action", "approve")
		} else {
			form.Set("email", c.user)
			form.Set("password", c.password)
		}
		post, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, c.target+path, strings.NewReader(form.Encode()))
		post.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if res, err = hc.Do(post); err != nil {
			return "", err
		}
		body, _ = io.ReadAll(res.Body)
		res.Body.Close()
	}
	loc, err := url.Parse(res.Header.Get("Location"))
	if err != nil || loc.Query().Get("code") == "" {
		return "", fmt.Errorf("login did not return a code (status %d)", res.StatusCode)
	}
	var tok tokenResponse
	err = postJSON(http.DefaultClient, c.target+"/oidc/token", c.rpClient, c.rpSecret, url.Values{"grant_type": {"authorization_code"},
		"code": {loc.Query().Get("code")}, "redirect_uri": {c.rpRedirect}, "code_verifier": {verifier}}, &tok)
	if err == nil && tok.RefreshToken == "" {
		err = errors.New("no refresh token")
	}
	return tok.RefreshToken, err
}
