package provider

import (
	"context"
	"encoding/base64"
	"sync"
	"time"

	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/core/oidc"
)

// Algorithms every deployment has keys for: RS256 (what every RP accepts
// for ID tokens) and ES256 (cheap to sign, for access tokens).
var Algorithms = []string{oidc.AlgRS256, oidc.AlgES256}

func encodeB64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// KeyMaterial is an opened signing key: its metadata and private key.
type KeyMaterial struct {
	oidc.SigningKey
	PrivateDER []byte
}

// KeySet is the keys a node uses: the active key per algorithm (signing)
// and every published key (next, active, retiring: the JWKS).
type KeySet struct {
	Active    map[string]KeyMaterial
	Published []oidc.SigningKey
	LoadedAt  time.Time
}

type keyCache struct {
	mu  sync.Mutex
	set *KeySet
}

// keyAAD binds a sealed private key to its kid and algorithm.
func keyAAD(k oidc.SigningKey) []byte { return []byte("oidc-signing-key|" + k.ID + "|" + k.Alg) }

// EnsureKeys creates an active key for every algorithm that has none
// (first start). Two nodes starting at once cannot both create one: the
// store refuses a second active key and the loser reads the winner's.
// Keys are never regenerated while one exists.
func (s *Service) EnsureKeys(ctx context.Context) error {
	const op = "provider.EnsureKeys"
	keys, err := s.d.Keys.SigningKeys(ctx)
	if err != nil {
		return fault.Wrap(op, fault.Unavailable, err)
	}
	for _, alg := range Algorithms {
		has := false
		for _, k := range keys {
			if k.Alg == alg && k.State == oidc.KeyActive {
				has = true
			}
		}
		if has {
			continue
		}
		k, err := s.newKey(alg, oidc.KeyActive, s.now())
		if err != nil {
			return err
		}
		if err := s.d.Keys.CreateSigningKey(ctx, k); err != nil && !fault.Is(err, fault.Conflict) {
			return fault.Wrap(op, fault.Internal, err)
		}
	}
	_, err = s.reloadKeys(ctx)
	return err
}

func (s *Service) newKey(alg string, st oidc.KeyState, activateAt time.Time) (oidc.SigningKey, error) {
	const op = "provider.newKey"
	der, jwk, kid, err := s.d.KeyGen.GenerateSigningKey(alg)
	if err != nil {
		return oidc.SigningKey{}, fault.Wrap(op, fault.Internal, err)
	}
	now := s.now()
	k := oidc.SigningKey{ID: kid, Alg: alg, State: st, PublicJWK: jwk, CreatedAt: now, ActivateAt: activateAt, UpdatedAt: now}
	sealed, sealID, err := s.d.Sealer.Seal(der, keyAAD(k))
	if err != nil {
		return oidc.SigningKey{}, fault.Wrap(op, fault.Internal, err)
	}
	k.PrivateEnc, k.SealKeyID = sealed, sealID
	return k, nil
}

// Keys returns the node's key set, re-read from the store every KeyReload
// (so every node sees a rotation within a minute) and after a rotation.
func (s *Service) Keys(ctx context.Context) (*KeySet, error) {
	s.keys.mu.Lock()
	set := s.keys.set
	s.keys.mu.Unlock()
	if set != nil && s.now().Sub(set.LoadedAt) < s.cfg.KeyReload {
		return set, nil
	}
	fresh, err := s.reloadKeys(ctx)
	if err != nil && set != nil {
		// Keep signing with what we have when the store hiccups.
		return set, nil
	}
	return fresh, err
}

func (s *Service) reloadKeys(ctx context.Context) (*KeySet, error) {
	const op = "provider.reloadKeys"
	keys, err := s.d.Keys.SigningKeys(ctx)
	if err != nil {
		return nil, fault.Wrap(op, fault.Unavailable, err)
	}
	now := s.now()
	set := &KeySet{Active: map[string]KeyMaterial{}, LoadedAt: now}
	s.keys.mu.Lock()
	old := s.keys.set
	s.keys.mu.Unlock()
	for _, k := range keys {
		if !k.State.Published() {
			continue
		}
		set.Published = append(set.Published, k)
		if k.State != oidc.KeyActive {
			continue
		}
		if old != nil {
			if m, ok := old.Active[k.Alg]; ok && m.ID == k.ID {
				set.Active[k.Alg] = m
				continue
			}
		}
		der, err := s.d.Sealer.Open(k.PrivateEnc, k.SealKeyID, keyAAD(k))
		if err != nil {
			return nil, fault.Wrap(op, fault.Internal, err)
		}
		set.Active[k.Alg] = KeyMaterial{SigningKey: k, PrivateDER: der}
	}
	for _, alg := range Algorithms {
		if _, ok := set.Active[alg]; !ok {
			return nil, fault.Internalf(op, "no active %s signing key", alg)
		}
	}
	s.keys.mu.Lock()
	s.keys.set = set
	s.keys.mu.Unlock()
	return set, nil
}

// ListKeys returns every key, retired ones included (operator command).
func (s *Service) ListKeys(ctx context.Context) ([]oidc.SigningKey, error) {
	l, err := s.d.Keys.AllSigningKeys(ctx)
	return l, fault.Wrap("provider.ListKeys", fault.Internal, err)
}

// RotateKeys moves every algorithm one step: a published next key becomes
// active and the active one starts retiring (still published, so tokens it
// signed verify); then a new next key is published for the following
// rotation. With no next key yet (first rotation), one is created and
// activated at once only when force is set; otherwise it is published and
// becomes active at the next rotation, KeyPublishAhead later.
func (s *Service) RotateKeys(ctx context.Context, force bool) error {
	const op = "provider.RotateKeys"
	keys, err := s.d.Keys.SigningKeys(ctx)
	if err != nil {
		return fault.Wrap(op, fault.Unavailable, err)
	}
	now := s.now()
	for _, alg := range Algorithms {
		var active, next *oidc.SigningKey
		for i := range keys {
			k := &keys[i]
			if k.Alg != alg {
				continue
			}
			switch k.State {
			case oidc.KeyActive:
				active = k
			case oidc.KeyNext:
				next = k
			}
		}
		if next == nil {
			k, err := s.newKey(alg, oidc.KeyNext, now.Add(s.cfg.KeyPublishAhead))
			if err != nil {
				return err
			}
			if err := s.d.Keys.CreateSigningKey(ctx, k); err != nil {
				return fault.Wrap(op, fault.Internal, err)
			}
			if !force {
				continue
			}
			next = &k
		}
		err := s.d.Tx.InTx(ctx, func(ctx context.Context) error {
			if active != nil {
				if _, err := s.d.Keys.UpdateSigningKey(ctx, active.ID, func(k oidc.SigningKey) (oidc.SigningKey, error) {
					k.State, k.UpdatedAt = oidc.KeyRetiring, now
					return k, nil
				}); err != nil {
					return err
				}
			}
			_, err := s.d.Keys.UpdateSigningKey(ctx, next.ID, func(k oidc.SigningKey) (oidc.SigningKey, error) {
				k.State, k.ActivateAt, k.UpdatedAt = oidc.KeyActive, now, now
				return k, nil
			})
			return err
		})
		if err != nil {
			return fault.Wrap(op, fault.Internal, err)
		}
		k, err := s.newKey(alg, oidc.KeyNext, now.Add(s.cfg.KeyRotation))
		if err != nil {
			return err
		}
		if err := s.d.Keys.CreateSigningKey(ctx, k); err != nil {
			return fault.Wrap(op, fault.Internal, err)
		}
	}
	_, err = s.reloadKeys(ctx)
	return err
}

// RetireKey removes a retiring key from the key set (tokens it signed no
// longer verify). Invalid for keys in another state.
func (s *Service) RetireKey(ctx context.Context, kid string) error {
	const op = "provider.RetireKey"
	now := s.now()
	_, err := s.d.Keys.UpdateSigningKey(ctx, kid, func(k oidc.SigningKey) (oidc.SigningKey, error) {
		if k.State != oidc.KeyRetiring {
			return k, fault.E(op, fault.Invalid, "Only a retiring key can be retired; rotate first")
		}
		k.State, k.RetiredAt, k.UpdatedAt = oidc.KeyRetired, &now, now
		return k, nil
	})
	if err != nil {
		return fault.Wrap(op, fault.Internal, err)
	}
	_, err = s.reloadKeys(ctx)
	return err
}

// MaintainKeys is the scheduled job: it rotates when an active key is
// older than KeyRotation (its next key was published long before) and
// retires keys that have been retiring for KeyRetireAfter.
func (s *Service) MaintainKeys(ctx context.Context) error {
	keys, err := s.d.Keys.SigningKeys(ctx)
	if err != nil {
		return fault.Wrap("provider.MaintainKeys", fault.Unavailable, err)
	}
	now := s.now()
	rotate := false
	for _, k := range keys {
		switch {
		case k.State == oidc.KeyActive && now.Sub(k.ActivateAt) >= s.cfg.KeyRotation:
			rotate = true
		case k.State == oidc.KeyRetiring && now.Sub(k.UpdatedAt) >= s.cfg.KeyRetireAfter:
			if err := s.RetireKey(ctx, k.ID); err != nil && !fault.Is(err, fault.Invalid) {
				return err
			}
		}
	}
	if rotate {
		return s.RotateKeys(ctx, true)
	}
	return nil
}
