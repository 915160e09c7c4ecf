package oidcop

import (
	"net/url"
	"testing"
)

func TestWithIssuer(t *testing.T) {
	t.Parallel()
	const iss = "https://id.example.com"
	cases := []struct{ name, in, want string }{
		{"adds iss to a code response", "https://rp.example/cb?code=abc&state=s", "https://rp.example/cb?code=abc&state=s&iss=https%3A%2F%2Fid.example.com"},
		{"adds iss to a query error", "https://rp.example/cb?error=access_denied", "https://rp.example/cb?error=access_denied&iss=https%3A%2F%2Fid.example.com"},
		{"adds iss to a fragment error", "https://rp.example/cb#error=unsupported_response_type&state=s", "https://rp.example/cb#error=unsupported_response_type&state=s&iss=https%3A%2F%2Fid.example.com"},
		{"keeps an existing iss", "https://rp.example/cb?code=abc&iss=x", "https://rp.example/cb?code=abc&iss=x"},
		{"leaves other redirects alone", "https://rp.example/page#section", "https://rp.example/page#section"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			u, err := url.Parse(c.in)
			if err != nil {
				t.Fatal(err)
			}
			if got := withIssuer(u, c.in, iss); got != c.want {
				t.Fatalf("got %s\nwant %s", got, c.want)
			}
		})
	}
}
