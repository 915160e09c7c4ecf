package provider

import (
	"context"

	"github.com/secuird/secuird/core/audit"
	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/core/oidc"
)

// ActClientEnabled is the audit action of re-enabling a disabled client.
const ActClientEnabled = "oidc.client.enabled"

// EnableOrgClient re-activates a client that DisableOrgClient turned off
// (owners and admins). Its refresh tokens stay revoked: users sign in
// again. Deleted clients stay deleted (NotFound).
func (s *Service) EnableOrgClient(ctx context.Context, userID, orgID, clientID string, src audit.Source) (oidc.Client, error) {
	const op = "provider.EnableOrgClient"
	return s.changeClient(ctx, op, userID, orgID, clientID, ActClientEnabled, nil, src, func(c oidc.Client) (oidc.Client, error) {
		if c.DeletedAt != nil {
			return c, fault.E(op, fault.NotFound, "Client not found")
		}
		c.Active, c.UpdatedAt = true, s.now()
		return c, nil
	})
}
