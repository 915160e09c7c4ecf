package tenancy

import (
	"context"
	"strings"

	"github.com/secuird/secuird/core/audit"
	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/core/org"
)

// APIKeyInput is the body of a key create (name required) or update (nil
// fields are left alone).
type APIKeyInput struct {
	Name        *string
	Description *string
}

func cleanKeyInput(v *fault.Validation, in APIKeyInput, create bool) (name, desc string) {
	if in.Name != nil || create {
		if in.Name != nil {
			name = strings.TrimSpace(*in.Name)
		}
		if p := org.NameProblem(name); p != "" {
			v.Add("name", p)
		}
	}
	if in.Description != nil {
		desc = strings.TrimSpace(*in.Description)
		if len([]rune(desc)) > org.MaxDescriptionLen {
			v.Add("description", "Must be at most 2000 characters")
		}
	}
	return name, desc
}

// CreateAPIKey creates an API key for the organization (owners and
// admins) and returns it with the key itself, which is shown this once:
// only its SHA-256 is stored. Keys look like sk_secuird_ followed by 43
// base64url characters (256 random bits).
func (s *Service) CreateAPIKey(ctx context.Context, a Actor, orgID string, in APIKeyInput, src audit.Source) (org.APIKey, string, error) {
	const op = "tenancy.CreateAPIKey"
	var (
		out org.APIKey
		raw string
	)
	err := s.d.Tx.InTx(ctx, func(ctx context.Context) error {
		if _, err := s.access(ctx, op, a, orgID, org.Admin, true); err != nil {
			return err
		}
		var v fault.Validation
		name, desc := cleanKeyInput(&v, in, true)
		if err := v.Err(op); err != nil {
			return err
		}
		raw = org.APIKeyPrefix + newSecret(s.d.Random)
		now := s.now()
		out = org.APIKey{
			ID: newID(s.d.Random), OrgID: orgID, Name: name, Description: desc, Hint: raw[:org.APIKeyHintLen],
			KeyHash: hashToken(raw), CreatedByID: a.User.ID, CreatedAt: now, UpdatedAt: now,
		}
		if err := s.d.Keys.CreateAPIKey(ctx, out); err != nil {
			return err
		}
		return s.record(ctx, src, audit.Entry{ActorID: a.User.ID, Action: audit.APIKeyCreated, Success: true,
			ResourceType: "api_key", ResourceID: out.ID, OrgID: orgID, Extra: map[string]any{"name": name}})
	})
	if err != nil {
		return org.APIKey{}, "", fault.Wrap(op, fault.Internal, err)
	}
	return out, raw, nil
}

// ListAPIKeys lists the organization's keys, revoked ones included, never
// the keys themselves (owners and admins).
func (s *Service) ListAPIKeys(ctx context.Context, a Actor, orgID string) ([]org.APIKey, error) {
	const op = "tenancy.ListAPIKeys"
	if _, err := s.access(ctx, op, a, orgID, org.Admin, false); err != nil {
		return nil, err
	}
	out, err := s.d.Keys.ListAPIKeys(ctx, orgID)
	return out, fault.Wrap(op, fault.Internal, err)
}

func errKeyNotFound(op string) error {
	return &fault.Error{Op: op, Kind: fault.NotFound, Msg: "API key not found"}
}

// UpdateAPIKey renames or re-describes a key (owners and admins).
func (s *Service) UpdateAPIKey(ctx context.Context, a Actor, orgID, keyID string, in APIKeyInput, src audit.Source) (org.APIKey, error) {
	const op = "tenancy.UpdateAPIKey"
	var out org.APIKey
	err := s.d.Tx.InTx(ctx, func(ctx context.Context) error {
		if _, err := s.access(ctx, op, a, orgID, org.Admin, true); err != nil {
			return err
		}
		var v fault.Validation
		name, desc := cleanKeyInput(&v, in, false)
		if err := v.Err(op); err != nil {
			return err
		}
		var changed []string
		k, err := s.d.Keys.UpdateAPIKey(ctx, orgID, keyID, func(k org.APIKey) (org.APIKey, error) {
			changed = changed[:0]
			if in.Name != nil && k.Name != name {
				k.Name = name
				changed = append(changed, "name")
			}
			if in.Description != nil && k.Description != desc {
				k.Description = desc
				changed = append(changed, "description")
			}
			k.UpdatedAt = s.now()
			return k, nil
		})
		if fault.Is(err, fault.NotFound) {
			return errKeyNotFound(op)
		}
		if err != nil {
			return err
		}
		out = k
		return s.record(ctx, src, audit.Entry{ActorID: a.User.ID, Action: audit.APIKeyUpdated, Success: true,
			ResourceType: "api_key", ResourceID: keyID, OrgID: orgID, Extra: map[string]any{"fields": changed}})
	})
	if err != nil {
		return org.APIKey{}, fault.Wrap(op, fault.Internal, err)
	}
	return out, nil
}

// RevokeAPIKey revokes a key at once (owners and admins). Revoking it
// again is 409 ALREADY_REVOKED.
func (s *Service) RevokeAPIKey(ctx context.Context, a Actor, orgID, keyID, reason string, src audit.Source) (org.APIKey, error) {
	const op = "tenancy.RevokeAPIKey"
	reason = strings.TrimSpace(reason)
	if len([]rune(reason)) > org.MaxNameLen {
		return org.APIKey{}, errInvalid(op, "reason", "Must be at most 255 characters")
	}
	var out org.APIKey
	err := s.d.Tx.InTx(ctx, func(ctx context.Context) error {
		if _, err := s.access(ctx, op, a, orgID, org.Admin, true); err != nil {
			return err
		}
		k, err := s.d.Keys.UpdateAPIKey(ctx, orgID, keyID, func(k org.APIKey) (org.APIKey, error) {
			if k.Revoked() {
				return k, &fault.Error{Op: op, Kind: fault.Conflict, Code: "ALREADY_REVOKED", Msg: "The API key is already revoked"}
			}
			now := s.now()
			k.RevokedAt, k.RevokeReason, k.UpdatedAt = &now, reason, now
			return k, nil
		})
		if fault.Is(err, fault.NotFound) {
			return errKeyNotFound(op)
		}
		if err != nil {
			return err
		}
		out = k
		return s.record(ctx, src, audit.Entry{ActorID: a.User.ID, Action: audit.APIKeyRevoked, Success: true,
			ResourceType: "api_key", ResourceID: keyID, OrgID: orgID, Extra: map[string]any{"reason": reason}})
	})
	if err != nil {
		return org.APIKey{}, fault.Wrap(op, fault.Internal, err)
	}
	return out, nil
}

// AuthenticateKey resolves an API key presented as a bearer token to the
// key (of a live organization, not revoked) and records its use at most
// once per KeyTouchInterval. Anything else is 401 INVALID_TOKEN.
func (s *Service) AuthenticateKey(ctx context.Context, raw string) (org.APIKey, error) {
	const op = "tenancy.AuthenticateKey"
	bad := &fault.Error{Op: op, Kind: fault.Unauthenticated, Code: "INVALID_TOKEN", Msg: "Invalid or revoked API key"}
	if !org.LooksLikeAPIKey(raw) {
		return org.APIKey{}, bad
	}
	k, err := s.d.Keys.APIKeyByHash(ctx, hashToken(raw))
	if fault.Is(err, fault.NotFound) {
		return org.APIKey{}, bad
	}
	if err != nil {
		return org.APIKey{}, fault.Wrap(op, fault.Unavailable, err)
	}
	now := s.now()
	if k.LastUsedAt == nil || now.Sub(*k.LastUsedAt) >= s.cfg.KeyTouchInterval {
		if err := s.d.Keys.TouchAPIKey(ctx, k.OrgID, k.ID, now); err != nil && !fault.Is(err, fault.NotFound) {
			return org.APIKey{}, fault.Wrap(op, fault.Unavailable, err)
		}
		k.LastUsedAt = &now
	}
	return k, nil
}
