package app_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
)

func kidOf(t *testing.T, jwt string) string {
	t.Helper()
	h, err := base64.RawURLEncoding.DecodeString(strings.Split(jwt, ".")[0])
	if err != nil {
		t.Fatal(err)
	}
	var hdr struct {
		Kid string `json:"kid"`
	}
	_ = json.Unmarshal(h, &hdr)
	return hdr.Kid
}

// A rotation keeps old tokens verifiable at an RP that caches the JWKS,
// and new tokens carry the new kid.
func TestOIDCKeyRotationKeepsOldTokensValid(t *testing.T) {
	t.Parallel()
	s := startOIDC(t, nil)
	r := newRP(t, s)
	ctx := context.Background()
	verifier := r.provider.Verifier(&gooidc.Config{ClientID: portalID})

	tok1, _, _ := r.codeFlow(t)
	raw1, _ := tok1.Extra("id_token").(string)
	if err := s.app.Provider.RotateKeys(ctx, true); err != nil {
		t.Fatalf("rotate: %v", err)
	}
	tok2, _, _ := r.codeFlow(t)
	raw2, _ := tok2.Extra("id_token").(string)
	if kidOf(t, raw1) == kidOf(t, raw2) {
		t.Fatalf("the new token still carries the old kid %s", kidOf(t, raw1))
	}
	for name, raw := range map[string]string{"before": raw1, "after": raw2} {
		if _, err := verifier.Verify(ctx, raw); err != nil {
			t.Errorf("token signed %s the rotation: %v", name, err)
		}
	}
	keys, err := s.app.Provider.ListKeys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	states := map[string]int{}
	for _, k := range keys {
		states[string(k.State)]++
	}
	if states["active"] != 2 || states["retiring"] != 2 || states["next"] != 2 {
		t.Errorf("key states after one rotation: %v", states)
	}
	// Retiring the old key drops it from the JWKS: its tokens stop verifying.
	if err := s.app.Provider.RetireKey(ctx, kidOf(t, raw1)); err != nil {
		t.Fatalf("retire: %v", err)
	}
	fresh, err := gooidc.NewProvider(ctx, s.url)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fresh.Verifier(&gooidc.Config{ClientID: portalID}).Verify(ctx, raw1); err == nil {
		t.Error("a token of a retired key still verifies")
	}
}
