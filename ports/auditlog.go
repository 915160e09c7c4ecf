package ports

import (
	"context"

	"github.com/secuird/secuird/core/audit"
	"github.com/secuird/secuird/core/org"
)

// AuditVerifier checks the audit trail's hash chains (see core/audit).
type AuditVerifier interface {
	// VerifyAudit walks every chain (one per organization, plus the
	// platform chain) in sequence order, recomputing each row's hash, and
	// reports each chain's length, head and first broken row. It reads in
	// pages, so memory does not grow with the trail. A broken chain is
	// not an error: the report says so.
	VerifyAudit(ctx context.Context) (audit.Verification, error)
}

// OrgRoles answers "what is this user in this organization?" for
// authorization decisions outside the organization use cases (the audit
// views). It is the one MembershipStore method they need.
type OrgRoles interface {
	// Role returns the role of the user's live membership in the live
	// organization orgID. NotFound when the organization does not exist
	// (or is deleted) or the user is not a member of it.
	Role(ctx context.Context, orgID, userID string) (org.Role, error)
}
