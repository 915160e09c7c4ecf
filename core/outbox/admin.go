package outbox

import (
	"context"

	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/core/identity"
	"github.com/secuird/secuird/core/message"
)

// requireAdmin refuses anyone but a platform administrator: the outbox
// shows every recipient of the platform.
func requireAdmin(op string, actor identity.User) error {
	if !actor.IsPlatformAdmin {
		return &fault.Error{Op: op, Kind: fault.Forbidden, Code: "AUTHORIZATION_ERROR", Msg: "Requires a platform administrator"}
	}
	return nil
}

// ListFor is List on behalf of actor, who must be a platform administrator
// (Forbidden otherwise).
func (s *Service) ListFor(ctx context.Context, actor identity.User, f message.OutboxFilter) ([]message.Queued, string, error) {
	if err := requireAdmin("outbox.List", actor); err != nil {
		return nil, "", err
	}
	return s.List(ctx, f)
}

// CountsFor is Counts on behalf of a platform administrator.
func (s *Service) CountsFor(ctx context.Context, actor identity.User) (map[message.Status]int, error) {
	if err := requireAdmin("outbox.Counts", actor); err != nil {
		return nil, err
	}
	return s.Counts(ctx)
}

// RetryFor is Retry on behalf of a platform administrator.
func (s *Service) RetryFor(ctx context.Context, actor identity.User, id string) (message.Queued, error) {
	if err := requireAdmin("outbox.Retry", actor); err != nil {
		return message.Queued{}, err
	}
	return s.Retry(ctx, id)
}

// GetFor is Get on behalf of a platform administrator: one message, its
// secrets redacted.
func (s *Service) GetFor(ctx context.Context, actor identity.User, id string) (message.Queued, error) {
	if err := requireAdmin("outbox.Get", actor); err != nil {
		return message.Queued{}, err
	}
	return s.Get(ctx, id)
}
