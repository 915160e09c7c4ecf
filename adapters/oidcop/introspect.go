package oidcop

import (
	"net/http"
	"strings"

	httphelper "github.com/zitadel/oidc/v3/pkg/http"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// serveIntrospect answers introspection of refresh tokens (RFC 7662 and
// SEED-SPEC 10.4: the library knows only access tokens) for the client
// that owns them; everything else goes to the library.
func (p *Provider) serveIntrospect(w http.ResponseWriter, r *http.Request) {
	token := r.PostForm.Get("token")
	if r.Method != http.MethodPost || token == "" || strings.Count(token, ".") == 2 || r.PostForm.Get("token_type_hint") == "access_token" {
		p.op.ServeHTTP(w, r)
		return
	}
	ctx := op.ContextWithIssuer(r.Context(), p.issuer)
	r = r.WithContext(ctx)
	client, err := p.clientAuthenticated(r)
	if err != nil {
		op.RequestError(w, r, err, nil)
		return
	}
	st := stateFrom(ctx)
	rt, ok := p.svc.IntrospectRefreshToken(ctx, client.GetID(), token, st.src)
	if !ok {
		p.op.ServeHTTP(w, r) // perhaps an opaque access token
		return
	}
	resp := &oidc.IntrospectionResponse{Active: true, Scope: rt.Scopes, ClientID: rt.ClientID, TokenType: "refresh_token",
		Expiration: oidc.FromTime(rt.IdleExpiresAt), IssuedAt: oidc.FromTime(rt.CreatedAt), Subject: rt.Subject,
		Audience: []string{rt.ClientID}, Issuer: p.issuer}
	w.Header().Set("Cache-Control", "no-store")
	httphelper.MarshalJSON(w, resp)
}
