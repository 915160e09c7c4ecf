// Package org holds the entities of multi-tenancy: organizations, their
// members and roles, invitations and API keys, with the rules that need no
// I/O (role ranks and who may grant what, slug syntax, key format).
package org

import (
	"strings"
	"time"
	"unicode/utf8"
)

// Organization is a tenant.
type Organization struct {
	ID          string
	Name        string
	Slug        string // unique among live organizations
	Description string
	LogoURL     string
	IsActive    bool
	CreatedAt   time.Time
	UpdatedAt   time.Time
	DeletedAt   *time.Time
}

// Deleted reports whether the organization was (soft-)deleted.
func (o Organization) Deleted() bool { return o.DeletedAt != nil }

// Membership ties a user to an organization with a role. There is at most
// one row per (organization, user); removing a member soft-deletes the row
// and adding the user again revives it.
type Membership struct {
	ID          string
	OrgID       string
	UserID      string
	Role        Role
	InvitedByID string // empty when unknown or the inviter's account is gone
	InvitedAt   *time.Time
	JoinedAt    time.Time
	CreatedAt   time.Time
	UpdatedAt   time.Time
	DeletedAt   *time.Time
}

// MemberUser is a live membership with the member's account, as listings
// show it. The user fields are copied so that this leaf needs no identity
// import.
type MemberUser struct {
	Membership
	Email         string
	FullName      string
	AvatarURL     string
	EmailVerified bool
	Status        string
}

// UserOrg is one organization of a user, with the user's membership.
type UserOrg struct {
	Org        Organization
	Membership Membership
}

// Name and description limits.
const (
	MaxNameLen        = 255
	MaxDescriptionLen = 2000
	MaxURLLen         = 2048
)

// NameProblem returns a user-facing problem with an organization or key
// name, or "" when it is acceptable.
func NameProblem(name string) string {
	switch n := utf8.RuneCountInString(name); {
	case strings.TrimSpace(name) == "":
		return "Name is required"
	case n > MaxNameLen:
		return "Must be at most 255 characters"
	case strings.ContainsAny(name, "\x00\r\n"):
		return "Must not contain control characters"
	}
	return ""
}

// Slug limits.
const (
	MinSlugLen = 2
	MaxSlugLen = 63
)

// SlugProblem returns a user-facing problem with a slug, or "" when it is
// acceptable: 2-63 characters of lower-case ASCII letters, digits and
// single hyphens, starting and ending with a letter or digit (a DNS label).
func SlugProblem(slug string) string {
	if len(slug) < MinSlugLen || len(slug) > MaxSlugLen {
		return "Must be 2-63 characters"
	}
	for i := 0; i < len(slug); i++ {
		c := slug[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case c == '-':
			if i == 0 || i == len(slug)-1 {
				return "Must start and end with a letter or digit"
			}
			if slug[i-1] == '-' {
				return "Must not contain consecutive hyphens"
			}
		default:
			return "Use lower-case letters, digits and hyphens only"
		}
	}
	return ""
}
