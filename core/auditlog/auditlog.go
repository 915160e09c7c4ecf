// Package auditlog holds the use cases of the audit views: who may read
// which part of the audit trail, with filters, cursor pages and full
// exports (SEED-SPEC 4.2, 4.10).
//
// Four scopes:
//
//   - Mine: the viewer's own entries (those the viewer acted in).
//   - Org: one organization's entries, for its owners and admins and for
//     platform admins. Anybody else who is not a member gets NotFound, so
//     organization IDs cannot be probed; members with a lower role get
//     Forbidden.
//   - Platform: every entry, for platform admins only (Forbidden
//     otherwise).
//   - Auto: the system view (GET /audit-logs): Platform for platform
//     admins; with an organization filter, Org; otherwise Mine. It fixes
//     the previous system's defect of showing every tenant's rows to any
//     organization admin.
package auditlog

import (
	"context"
	"iter"
	"time"

	"github.com/secuird/secuird/core/audit"
	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/core/identity"
	"github.com/secuird/secuird/core/org"
	"github.com/secuird/secuird/ports"
)

// Scope names which part of the trail a query reads.
type Scope string

// The scopes (see the package comment).
const (
	Mine     Scope = "mine"
	Org      Scope = "org"
	Platform Scope = "platform"
	Auto     Scope = "auto"
)

// Page sizes.
const (
	DefaultLimit = 50
	MaxLimit     = 200
)

// Query asks for entries. Zero filter fields do not filter.
type Query struct {
	Scope Scope
	// OrgID is the organization of the Org scope (required there) and an
	// optional filter in the others.
	OrgID string
	// ActorID filters by the acting user. In the Mine scope any other
	// user's ID matches nothing.
	ActorID      string
	Action       string
	ResourceType string
	ResourceID   string
	Success      *bool
	// Since is inclusive and Until exclusive.
	Since, Until time.Time
	// Cursor continues a previous page (opaque, from Page.Next).
	Cursor string
	// Limit is the page size: 0 means DefaultLimit; above MaxLimit means
	// MaxLimit. Exports ignore it.
	Limit int
}

// Page is one page of entries, newest first.
type Page struct {
	Entries []audit.Entry
	// Next continues with the following page; "" on the last one.
	Next string
}

// Deps are the ports the audit views need.
type Deps struct {
	Log ports.AuditLog
	// Roles looks up the viewer's role in an organization.
	Roles ports.OrgRoles
}

// Service runs the audit views.
type Service struct {
	d Deps
}

// New builds the service.
func New(d Deps) *Service { return &Service{d: d} }

// List returns one page of the entries q selects that viewer may read.
// Errors: Invalid for a malformed query or cursor; NotFound for an
// organization the viewer is not a member of; Forbidden for a role too low
// or the Platform scope without being a platform admin.
func (s *Service) List(ctx context.Context, viewer identity.User, q Query) (Page, error) {
	const op = "auditlog.List"
	f, none, err := s.authorize(ctx, op, viewer, q)
	if err != nil || none {
		return Page{}, err
	}
	f.Limit = q.Limit
	if f.Limit == 0 {
		f.Limit = DefaultLimit
	}
	f.Limit = min(f.Limit, MaxLimit)
	es, next, err := s.d.Log.ListAudit(ctx, f)
	if err != nil {
		return Page{}, fault.Wrap(op, fault.Internal, err)
	}
	return Page{Entries: es, Next: next}, nil
}

// Export checks the query and the viewer's right to it at once, like List,
// and returns every selected entry, newest first, as a sequence that reads
// the trail a page of MaxLimit entries at a time while it is consumed (so
// memory stays flat however long the trail). It starts at q.Cursor when
// set; q.Limit is ignored. The sequence yields at most one error, last.
func (s *Service) Export(ctx context.Context, viewer identity.User, q Query) (iter.Seq2[audit.Entry, error], error) {
	const op = "auditlog.Export"
	f, none, err := s.authorize(ctx, op, viewer, q)
	if err != nil {
		return nil, err
	}
	return func(yield func(audit.Entry, error) bool) {
		if none {
			return
		}
		f.Limit = MaxLimit
		for {
			es, next, err := s.d.Log.ListAudit(ctx, f)
			if err != nil {
				yield(audit.Entry{}, fault.Wrap(op, fault.Internal, err))
				return
			}
			for _, e := range es {
				if !yield(e, nil) {
					return
				}
			}
			if next == "" {
				return
			}
			f.Cursor = next
		}
	}, nil
}

// authorize validates q and turns it into the store filter viewer may
// run. none is true when the query can match nothing (another user's
// entries in the Mine scope).
func (s *Service) authorize(ctx context.Context, op string, viewer identity.User, q Query) (f audit.Filter, none bool, err error) {
	var v fault.Validation
	if q.Limit < 0 {
		v.Add("limit", "Must be a positive number")
	}
	if !q.Since.IsZero() && !q.Until.IsZero() && !q.Until.After(q.Since) {
		v.Add("until", "Must be after since")
	}
	if q.Scope == Org && q.OrgID == "" {
		v.Add("organization_id", "Organization is required")
	}
	switch q.Scope {
	case Mine, Org, Platform, Auto:
	default:
		v.Add("scope", "Must be one of: mine, org, platform, auto")
	}
	if err := v.Err(op); err != nil {
		return audit.Filter{}, false, err
	}
	if viewer.ID == "" {
		return audit.Filter{}, false, fault.E(op, fault.Unauthenticated, "Authentication required")
	}

	f = audit.Filter{
		ActorID: q.ActorID, OrgID: q.OrgID, Action: q.Action,
		ResourceType: q.ResourceType, ResourceID: q.ResourceID, Success: q.Success,
		Since: q.Since, Until: q.Until, Cursor: q.Cursor,
	}
	scope := q.Scope
	if scope == Auto {
		switch {
		case viewer.IsPlatformAdmin:
			scope = Platform
		case q.OrgID != "":
			scope = Org
		default:
			scope = Mine
		}
	}
	switch scope {
	case Mine:
		if q.ActorID != "" && q.ActorID != viewer.ID {
			return f, true, nil
		}
		f.ActorID = viewer.ID
	case Org:
		if err := s.requireOrgAdmin(ctx, op, viewer, q.OrgID); err != nil {
			return audit.Filter{}, false, err
		}
	case Platform:
		if !viewer.IsPlatformAdmin {
			return audit.Filter{}, false, &fault.Error{Op: op, Kind: fault.Forbidden, Code: "AUTHORIZATION_ERROR",
				Msg: "Only platform administrators may read the platform audit trail"}
		}
	}
	return f, false, nil
}

// requireOrgAdmin lets platform admins and the organization's owners and
// admins through. Non-members (and unknown or deleted organizations) are
// NotFound; members below admin are Forbidden.
func (s *Service) requireOrgAdmin(ctx context.Context, op string, viewer identity.User, orgID string) error {
	if viewer.IsPlatformAdmin {
		return nil
	}
	if s.d.Roles == nil {
		// No organizations are wired in: nobody is a member of anything.
		return fault.E(op, fault.NotFound, "Organization not found")
	}
	r, err := s.d.Roles.Role(ctx, orgID, viewer.ID)
	switch {
	case fault.Is(err, fault.NotFound):
		return fault.E(op, fault.NotFound, "Organization not found")
	case err != nil:
		return fault.Wrap(op, fault.Internal, err)
	case !r.Manages():
		return &fault.Error{Op: op, Kind: fault.Forbidden, Code: "AUTHORIZATION_ERROR",
			Msg: "Requires one of the following roles: " + string(org.Owner) + ", " + string(org.Admin)}
	}
	return nil
}
