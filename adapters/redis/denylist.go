package redis

import (
	"context"
	"time"

	"github.com/redis/rueidis"

	"github.com/secuird/secuird/ports"
)

var _ ports.TokenDenylist = (*Store)(nil)

// denyKey is where a denied token or family is recorded: deny:<key>.
func (s *Store) denyKey(key string) string { return s.prefix + "deny:" + key }

// Deny records key for ttl (SET with PX; nothing for ttl <= 0).
func (s *Store) Deny(ctx context.Context, key string, ttl time.Duration) error {
	if ttl <= 0 {
		return nil
	}
	cmd := s.client.B().Set().Key(s.denyKey(key)).Value("1").PxMilliseconds(millisCeil(ttl)).Build()
	return replyErr("redis.Deny", s.client.Do(ctx, cmd).Error())
}

// AnyDenied reports whether any key is recorded. It sends one EXISTS per
// key in a pipeline (single-key commands, so it works on Redis Cluster).
func (s *Store) AnyDenied(ctx context.Context, keys ...string) (bool, error) {
	const op = "redis.AnyDenied"
	if len(keys) == 0 {
		return false, nil
	}
	cmds := make([]rueidis.Completed, len(keys))
	for i, k := range keys {
		cmds[i] = s.client.B().Exists().Key(s.denyKey(k)).Build()
	}
	for _, r := range s.client.DoMulti(ctx, cmds...) {
		n, err := r.AsInt64()
		if err != nil {
			return false, convErr(op, r, err)
		}
		if n > 0 {
			return true, nil
		}
	}
	return false, nil
}
