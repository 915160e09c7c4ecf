package oidcop

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"

	jose "github.com/go-jose/go-jose/v4"

	coreoidc "github.com/secuird/secuird/core/oidc"
	"github.com/secuird/secuird/core/provider"
	"github.com/secuird/secuird/ports"
)

// LogoutSigner signs back-channel logout tokens (typ logout+jwt) with the
// provider's active RS256 key, which every relying party accepts.
type LogoutSigner struct {
	// Keys returns the node's key set (provider.Service.Keys).
	Keys func(ctx context.Context) (*provider.KeySet, error)
}

var _ ports.LogoutTokenSigner = (*LogoutSigner)(nil)

// SignLogoutToken implements ports.LogoutTokenSigner.
func (l *LogoutSigner) SignLogoutToken(ctx context.Context, claims map[string]any) (string, error) {
	set, err := l.Keys(ctx)
	if err != nil {
		return "", err
	}
	m, ok := set.Active[coreoidc.AlgRS256]
	if !ok {
		return "", errors.New("no active RS256 key")
	}
	key, err := x509.ParsePKCS8PrivateKey(m.PrivateDER)
	if err != nil {
		return "", err
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: key, KeyID: m.ID}},
		(&jose.SignerOptions{}).WithType("logout+jwt"))
	if err != nil {
		return "", err
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		return "", err
	}
	return jws.CompactSerialize()
}
