package provider

import (
	"context"
	"time"

	"github.com/secuird/secuird/core/audit"
	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/core/identity"
	"github.com/secuird/secuird/core/oidc"
)

// ActKeysRotate is the audit action of a rotation started by a platform
// administrator.
const ActKeysRotate = "oidc.keys.rotate"

// KeyInfo is a signing key as the platform administration shows it: its
// metadata only, never the sealed private key.
type KeyInfo struct {
	ID, Alg    string
	State      oidc.KeyState
	CreatedAt  time.Time
	ActivateAt time.Time
	// RetireAt is when a retiring key leaves the key set (nil otherwise).
	RetireAt *time.Time
	// RetiredAt is when a retired key left it.
	RetiredAt *time.Time
}

// KeyOverview is the signing keys and the schedule of the next rotation.
type KeyOverview struct {
	// Keys are every key, newest first as the store lists them.
	Keys []KeyInfo
	// NextRotation is when the scheduled job next rotates (the oldest
	// active key's activation plus KeyRotation; zero when none is active).
	NextRotation time.Time
}

func requirePlatformAdmin(op string, actor identity.User) error {
	if !actor.IsPlatformAdmin {
		return &fault.Error{Op: op, Kind: fault.Forbidden, Code: "AUTHORIZATION_ERROR", Msg: "Requires a platform administrator"}
	}
	return nil
}

// AdminKeys lists the signing keys for a platform administrator
// (Forbidden for anyone else), without private key material.
func (s *Service) AdminKeys(ctx context.Context, actor identity.User) (KeyOverview, error) {
	const op = "provider.AdminKeys"
	if err := requirePlatformAdmin(op, actor); err != nil {
		return KeyOverview{}, err
	}
	keys, err := s.ListKeys(ctx)
	if err != nil {
		return KeyOverview{}, err
	}
	out := KeyOverview{Keys: make([]KeyInfo, len(keys))}
	for i, k := range keys {
		ki := KeyInfo{ID: k.ID, Alg: k.Alg, State: k.State, CreatedAt: k.CreatedAt, ActivateAt: k.ActivateAt, RetiredAt: k.RetiredAt}
		switch k.State {
		case oidc.KeyRetiring:
			at := k.UpdatedAt.Add(s.cfg.KeyRetireAfter)
			ki.RetireAt = &at
		case oidc.KeyActive:
			if next := k.ActivateAt.Add(s.cfg.KeyRotation); out.NextRotation.IsZero() || next.Before(out.NextRotation) {
				out.NextRotation = next
			}
		}
		out.Keys[i] = ki
	}
	return out, nil
}

// AdminRotateKeys rotates every algorithm's key now on behalf of a
// platform administrator (Forbidden for anyone else), as the operator
// command does, and audits it.
func (s *Service) AdminRotateKeys(ctx context.Context, actor identity.User, src audit.Source) error {
	const op = "provider.AdminRotateKeys"
	if err := requirePlatformAdmin(op, actor); err != nil {
		return err
	}
	if err := s.RotateKeys(ctx, true); err != nil {
		return err
	}
	return fault.Wrap(op, fault.Internal, s.record(ctx, src, audit.Entry{ActorID: actor.ID, Action: ActKeysRotate,
		ResourceType: "signing_key", Success: true}))
}
