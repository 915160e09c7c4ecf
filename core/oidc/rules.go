package oidc

import (
	"net"
	"net/url"
	"slices"
	"strings"
)

// RedirectURIProblem returns why uri may not be registered as a redirect
// (or post-logout redirect) URI, or "" when it is acceptable. Rules:
// absolute, no fragment, no wildcard, no userinfo; https, or http on a
// loopback host (native apps), or any http in development mode; a private
// custom scheme with a dot (reverse domain, RFC 8252) for native apps;
// never javascript:, data:, file: or similar.
func RedirectURIProblem(uri string, devMode bool) string {
	if uri == "" {
		return "Must not be empty"
	}
	if len(uri) > 2000 {
		return "Must be at most 2000 characters"
	}
	if strings.ContainsAny(uri, "*\\ \t\r\n") {
		return "Must not contain wildcards, backslashes or spaces"
	}
	u, err := url.Parse(uri)
	if err != nil || u.Scheme == "" {
		return "Must be an absolute URI"
	}
	if u.Fragment != "" || strings.Contains(uri, "#") {
		return "Must not contain a fragment"
	}
	if u.User != nil {
		return "Must not contain user information"
	}
	scheme := strings.ToLower(u.Scheme)
	switch scheme {
	case "https":
		if u.Host == "" {
			return "Must name a host"
		}
	case "http":
		if u.Host == "" {
			return "Must name a host"
		}
		if !devMode && !IsLoopback(u.Hostname()) {
			return "Must use https (http only for loopback addresses)"
		}
	case "javascript", "data", "file", "vbscript", "about", "blob", "ftp", "ws", "wss", "mailto", "tel", "chrome", "filesystem":
		return "Scheme " + scheme + " is not allowed"
	default:
		// A private-use scheme (RFC 8252 7.1) must look like a reversed
		// domain name so it is unlikely to clash with another app.
		if !strings.Contains(scheme, ".") {
			return "Custom schemes must be reverse domain names such as com.example.app"
		}
	}
	if strings.Contains(u.Path, "/../") || strings.HasSuffix(u.Path, "/..") || strings.Contains(u.Path, "/./") {
		return "Must not contain dot segments"
	}
	return ""
}

// IsLoopback reports whether host is localhost or a loopback IP.
func IsLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// MatchRedirectURI reports whether got is exactly one of registered, byte
// for byte: no case folding, no normalisation, no prefix, glob or port
// variance.
func MatchRedirectURI(registered []string, got string) bool {
	return got != "" && slices.Contains(registered, got)
}

// FilterScopes keeps the requested scopes the client may have, in order
// and without duplicates; unknown ones are dropped (SEED-SPEC 10.2).
func FilterScopes(c Client, requested []string) []string {
	out := make([]string, 0, len(requested))
	for _, s := range requested {
		if s != "" && c.AllowsScope(s) && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// Subset reports whether every scope in a is in b.
func Subset(a, b []string) bool {
	for _, s := range a {
		if !slices.Contains(b, s) {
			return false
		}
	}
	return true
}

// OrgSlugs returns the slugs of the "org:<slug>" scopes.
func OrgSlugs(scopes []string) []string {
	var out []string
	for _, s := range scopes {
		if slug, ok := strings.CutPrefix(s, ScopeOrgPrefix); ok && slug != "" {
			out = append(out, slug)
		}
	}
	return out
}

// ValidChallenge reports whether an S256 code challenge has the right
// shape: 43 characters of base64url (a SHA-256 digest).
func ValidChallenge(ch string) bool {
	if len(ch) != 43 {
		return false
	}
	for _, c := range ch {
		switch {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '-', c == '_':
		default:
			return false
		}
	}
	return true
}
