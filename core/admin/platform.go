package admin

import (
	"context"

	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/core/identity"
	"github.com/secuird/secuird/core/org"
	"github.com/secuird/secuird/ports"
)

// StatusDeleted selects soft-deleted users in ListQuery.Status.
const StatusDeleted = "deleted"

// statusQuery turns a ListQuery status into the store's filter. Invalid
// for an unknown status.
func statusQuery(op, status string) (ports.UserQuery, error) {
	switch identity.UserStatus(status) {
	case "":
		return ports.UserQuery{}, nil
	case StatusDeleted:
		return ports.UserQuery{OnlyDeleted: true}, nil
	case identity.StatusActive, identity.StatusInactive, identity.StatusSuspended, identity.StatusPending,
		identity.StatusComplianceSuspended:
		return ports.UserQuery{Status: identity.UserStatus(status)}, nil
	}
	return ports.UserQuery{}, &fault.Error{Op: op, Kind: fault.Invalid, Msg: "Validation failed",
		Fields: map[string][]string{"status": {"Unknown status"}}}
}

// requirePlatformAdmin refuses anyone but a platform administrator.
func requirePlatformAdmin(op string, viewer identity.User) error {
	if !viewer.IsPlatformAdmin {
		return &fault.Error{Op: op, Kind: fault.Forbidden, Code: "AUTHORIZATION_ERROR", Msg: "Requires a platform administrator"}
	}
	return nil
}

// Overview is the platform's totals for its administrators.
type Overview struct {
	ports.PlatformCounts
	// Users counts live users of every status.
	Users int
}

// PlatformOverview counts users and organizations (platform admins only:
// Forbidden otherwise; Unavailable when the store cannot count).
func (s *Service) PlatformOverview(ctx context.Context, viewer identity.User) (Overview, error) {
	const op = "admin.PlatformOverview"
	if err := requirePlatformAdmin(op, viewer); err != nil {
		return Overview{}, err
	}
	if s.d.Stats == nil {
		return Overview{}, fault.E(op, fault.Unavailable, "Platform counts are not available")
	}
	c, err := s.d.Stats.PlatformCounts(ctx)
	if err != nil {
		return Overview{}, fault.Wrap(op, fault.Internal, err)
	}
	o := Overview{PlatformCounts: c}
	for _, n := range c.UsersByStatus {
		o.Users += n
	}
	return o, nil
}

// UserDetail is one user as the platform administration shows it: every
// organization with the user's role, and the number of live sessions.
type UserDetail struct {
	User identity.User
	// Orgs are the live organizations the user is a live member of.
	Orgs []org.UserOrg
	// Sessions counts the user's live sessions.
	Sessions int
	// Self is the viewer's own account (actions on it are refused).
	Self bool
}

// PlatformUser returns one user, deleted or not, for a platform admin
// (Forbidden for anyone else, NotFound when absent): three reads, whatever
// the number of organizations.
func (s *Service) PlatformUser(ctx context.Context, viewer identity.User, id string) (UserDetail, error) {
	const op = "admin.PlatformUser"
	if err := requirePlatformAdmin(op, viewer); err != nil {
		return UserDetail{}, err
	}
	u, err := s.d.Users.UserByIDAny(ctx, id)
	if fault.Is(err, fault.NotFound) {
		return UserDetail{}, errUserNotFound(op)
	}
	if err != nil {
		return UserDetail{}, fault.Wrap(op, fault.Internal, err)
	}
	d := UserDetail{User: u, Orgs: []org.UserOrg{}, Self: u.ID == viewer.ID}
	if u.Deleted() {
		return d, nil
	}
	if d.Orgs, err = s.d.Members.OrgsOfUser(ctx, id); err != nil {
		return UserDetail{}, fault.Wrap(op, fault.Internal, err)
	}
	sessions, err := s.d.Sessions.SessionsByUser(ctx, id)
	if err != nil {
		return UserDetail{}, fault.Wrap(op, fault.Internal, err)
	}
	d.Sessions = len(sessions)
	return d, nil
}
