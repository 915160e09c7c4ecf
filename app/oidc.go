package app

import (
	"context"
	"crypto/hkdf"
	"crypto/sha256"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/secuird/secuird/adapters/backchannel"
	"github.com/secuird/secuird/adapters/eventbatch"
	"github.com/secuird/secuird/adapters/httpapi"
	"github.com/secuird/secuird/adapters/keycrypt"
	"github.com/secuird/secuird/adapters/memory"
	"github.com/secuird/secuird/adapters/oidcop"
	"github.com/secuird/secuird/adapters/passhash"
	"github.com/secuird/secuird/adapters/system"
	"github.com/secuird/secuird/core/identity"
	"github.com/secuird/secuird/core/provider"
	"github.com/secuird/secuird/ports"
)

// oidcScopes are the scopes advertised in discovery.
var oidcScopes = []string{"openid", "profile", "email", "offline_access", "roles", "organization"}

// lateTokens lets the account service revoke OAuth tokens through the
// provider, which is built after it.
type lateTokens struct {
	mu sync.RWMutex
	p  *provider.Service
}

func (l *lateTokens) set(p *provider.Service) { l.mu.Lock(); l.p = p; l.mu.Unlock() }

// RevokeUser implements ports.UserTokenRevoker.
func (l *lateTokens) RevokeUser(ctx context.Context, userID, reason string) error {
	l.mu.RLock()
	p := l.p
	l.mu.RUnlock()
	if p == nil {
		return nil
	}
	return p.RevokeUser(ctx, userID, reason)
}

// EndSession implements ports.UserTokenRevoker.
func (l *lateTokens) EndSession(ctx context.Context, sess identity.Session) error {
	l.mu.RLock()
	p := l.p
	l.mu.RUnlock()
	if p == nil {
		return nil
	}
	return p.EndSession(ctx, sess)
}

// OrgDeleted implements ports.OrgDeletionHook: the provider deactivates
// the organization's clients and revokes their refresh tokens.
func (l *lateTokens) OrgDeleted(ctx context.Context, orgID string, at time.Time) error {
	l.mu.RLock()
	p := l.p
	l.mu.RUnlock()
	if p == nil {
		return nil
	}
	return p.OrgDeleted(ctx, orgID, at)
}

var (
	_ ports.UserTokenRevoker = (*lateTokens)(nil)
	_ ports.OrgDeletionHook  = (*lateTokens)(nil)
)

// oidcEventCloser flushes and stops the batched OIDC event writer.
type oidcEventCloser interface {
	Close(ctx context.Context) error
}

// closeOIDCEvents writes the buffered OIDC events (graceful shutdown; a
// crash loses at most the last flush interval, see adapters/eventbatch).
func (a *App) closeOIDCEvents() error {
	if a.oidcEvents == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := a.oidcEvents.Close(ctx)
	a.oidcEvents = nil
	return err
}

// deriveKey derives a 32-byte key for purpose from a configured secret.
func deriveKey(secret, purpose string) ([32]byte, error) {
	var out [32]byte
	k, err := hkdf.Key(sha256.New, []byte(secret), []byte("secuird"), "secuird/"+purpose, 32)
	if err != nil {
		return out, err
	}
	copy(out[:], k)
	return out, nil
}

// wireOIDC builds the provider use cases, makes sure signing keys exist
// (generated on first start, never on a restart) and returns what the HTTP
// edge mounts.
func (a *App) wireOIDC(ctx context.Context, cfg Config, hasher *passhash.Bcrypt) (*httpapi.OIDC, error) {
	sealer, err := keycrypt.NewSealer(cfg.EncryptionKey, "oidc-signing-key")
	if err != nil {
		return nil, fmt.Errorf("oidc key sealer: %w", err)
	}
	var denylist ports.TokenDenylist
	if d, ok := a.eph.(ports.TokenDenylist); ok {
		denylist = d
	} else {
		denylist = memory.NewDenylist(nil)
	}
	events := eventbatch.New(a.store, eventbatch.Options{Logger: a.log})
	a.oidcEvents = events
	signer := &oidcop.LogoutSigner{Keys: func(ctx context.Context) (*provider.KeySet, error) { return a.Provider.Keys(ctx) }}
	a.Provider = provider.New(provider.Config{Issuer: strings.TrimRight(cfg.PublicURL, "/"), KeyRotation: cfg.OIDCKeyRotation, RefreshGrace: cfg.OIDCRefreshGrace}, provider.Deps{
		Backchannel: a.store, LogoutSigner: signer, BackchannelSender: backchannel.New(backchannel.Options{AllowPrivate: cfg.OIDCAllowPrivateBackchannel}),
		Tx: a.store, Clients: a.store, Requests: a.store, Devices: a.store, Registrations: a.store, Lease: a.store, Refresh: a.store, Consents: a.store, Keys: a.store,
		Denylist: denylist, Replay: a.eph, Sessions: a.eph, Users: a.users, Orgs: a.store, Members: a.store, Audit: a.store, Events: events, Hasher: hasher,
		Sealer: sealer, KeyGen: keycrypt.Generator{}, Clock: system.Clock{}, Random: system.Random{},
	})
	if err := a.Provider.EnsureKeys(ctx); err != nil {
		return nil, fmt.Errorf("oidc signing keys: %w", err)
	}
	cryptoKey, err := deriveKey(cfg.SecretKey, "oidc-token-crypto")
	if err != nil {
		return nil, err
	}
	csrfKey, err := deriveKey(cfg.SecretKey, "page-csrf")
	if err != nil {
		return nil, err
	}
	op, err := oidcop.New(a.Provider, oidcop.Options{Issuer: cfg.PublicURL, CryptoKey: cryptoKey, Scopes: oidcScopes})
	if err != nil {
		return nil, fmt.Errorf("oidc provider: %w", err)
	}
	a.tokens.set(a.Provider)
	return &httpapi.OIDC{
		Provider: a.Provider,
		Handler: func(errPage func(http.ResponseWriter, *http.Request, int, string)) http.Handler {
			return op.Handler(errPage)
		},
		Context:     oidcop.RequestContext,
		Issuer:      op.Issuer(),
		CallbackURL: op.CallbackURL,
		SecretKey:   csrfKey[:],
		Brand:       "Secuird",
	}, nil
}
