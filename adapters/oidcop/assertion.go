package oidcop

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"

	coreoidc "github.com/secuird/secuird/core/oidc"
)

// assertionAlgs are the signature algorithms accepted in client assertions.
var assertionAlgs = []jose.SignatureAlgorithm{jose.RS256, jose.PS256, jose.ES256, jose.ES384, jose.EdDSA}

// maxAssertionLife bounds exp - now of a client assertion: assertions are
// for one request, not for keeping.
const maxAssertionLife = 5 * time.Minute

// checkClientAssertion applies Secuird's rules to a private_key_jwt client
// assertion before the library sees it (RFC 7523 3, OIDC Core 9): a
// private_key_jwt client; iss = sub = client_id; every aud value is the
// issuer or the token endpoint (RFC 7523 3; assertedAsBasic keeps the
// library's own check, which insists on the issuer, out of the way);
// exp present and at most five minutes away; iat not in the future; a
// signature by a key of the client's registered JWKS; and a jti never
// seen before (replay protection in the ephemeral store, so it holds
// across nodes with Redis). It returns nil when the request carries no
// assertion.
func (p *Provider) checkClientAssertion(ctx context.Context, r *http.Request) *oidc.Error {
	assertion := r.PostForm.Get("client_assertion")
	if assertion == "" && r.PostForm.Get("client_assertion_type") == "" {
		return nil
	}
	bad := func(msg string) *oidc.Error { return oidc.ErrInvalidClient().WithDescription("%s", msg) }
	if r.PostForm.Get("client_assertion_type") != oidc.ClientAssertionTypeJWTAssertion || assertion == "" || len(assertion) > 8192 {
		return bad("client_assertion is malformed")
	}
	parts := strings.Split(assertion, ".")
	if len(parts) != 3 {
		return bad("client_assertion is malformed")
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return bad("client_assertion is malformed")
	}
	var claims struct {
		Iss string          `json:"iss"`
		Sub string          `json:"sub"`
		Aud json.RawMessage `json:"aud"`
		Exp *float64        `json:"exp"`
		Iat *float64        `json:"iat"`
		Jti string          `json:"jti"`
	}
	if json.Unmarshal(payload, &claims) != nil {
		return bad("client_assertion is malformed")
	}
	var aud []string
	if json.Unmarshal(claims.Aud, &aud) != nil {
		var one string
		if json.Unmarshal(claims.Aud, &one) != nil {
			return bad("client_assertion aud is malformed")
		}
		aud = []string{one}
	}
	allowed := []string{p.issuer, p.issuer + PathToken}
	if len(aud) == 0 {
		return bad("client_assertion needs aud")
	}
	for _, a := range aud {
		if !slices.Contains(allowed, a) {
			return bad("client_assertion aud must be the issuer or the token endpoint")
		}
	}
	now := time.Now()
	if claims.Exp == nil {
		return bad("client_assertion needs exp")
	}
	exp := time.Unix(int64(*claims.Exp), 0)
	if !exp.After(now) || exp.Sub(now) > maxAssertionLife {
		return bad("client_assertion exp must be in the future and at most five minutes away")
	}
	if claims.Iat != nil && time.Unix(int64(*claims.Iat), 0).After(now.Add(time.Minute)) {
		return bad("client_assertion iat is in the future")
	}
	if claims.Iss == "" || claims.Iss != claims.Sub {
		return bad("client_assertion iss and sub must be the client_id")
	}
	if cid := r.PostForm.Get("client_id"); cid != "" && cid != claims.Iss {
		return bad("client_id does not match the client_assertion")
	}
	c, err := p.svc.Client(ctx, claims.Iss)
	if err != nil || c.AuthMethod != coreoidc.AuthPrivateKeyJWT || c.JWKS == "" {
		return bad("Client authentication failed")
	}
	jws, err := jose.ParseSignedCompact(assertion, assertionAlgs)
	if err != nil || len(jws.Signatures) != 1 {
		return bad("client_assertion is malformed")
	}
	var set jose.JSONWebKeySet
	if json.Unmarshal([]byte(c.JWKS), &set) != nil {
		return bad("Client authentication failed")
	}
	kid := jws.Signatures[0].Header.KeyID
	verified := false
	for _, k := range set.Keys {
		if !k.IsPublic() || (kid != "" && k.KeyID != kid) {
			continue
		}
		if _, err := jws.Verify(k.Key); err == nil {
			verified = true
			break
		}
	}
	if !verified {
		return bad("Client authentication failed")
	}
	if err := p.svc.CheckAssertionJTI(ctx, c.ClientID, claims.Jti, exp); err != nil {
		return toOIDC(err, oidc.ErrInvalidClient)
	}
	st := stateFrom(ctx)
	st.mu.Lock()
	st.asserted = c.ClientID
	st.mu.Unlock()
	return nil
}

// assertedAsBasic hands a request whose client assertion
// checkClientAssertion verified in full to the library as HTTP Basic
// authentication of that client with an empty secret, which the storage
// accepts for this request only (reqState.asserted). The library's own
// assertion check would insist on the issuer in aud, where RFC 7523 also
// allows the token endpoint. A request without a verified assertion is
// returned unchanged; one that also carries a secret is refused (RFC 6749
// 2.3: one authentication method per request).
func assertedAsBasic(r *http.Request) (*http.Request, *oidc.Error) {
	st := stateFrom(r.Context())
	st.mu.Lock()
	asserted := st.asserted
	st.mu.Unlock()
	if asserted == "" {
		return r, nil
	}
	if r.Header.Get("Authorization") != "" || r.PostForm.Get("client_secret") != "" {
		return r, oidc.ErrInvalidRequest().WithDescription("client authentication must not use more than one method")
	}
	r = r.Clone(r.Context())
	for _, k := range []string{"client_assertion", "client_assertion_type", "client_id"} {
		r.PostForm.Del(k)
		r.Form.Del(k)
	}
	r.SetBasicAuth(url.QueryEscape(asserted), "")
	return r, nil
}
