package httpapi

import (
	"time"

	"github.com/secuird/secuird/core/account"
	"github.com/secuird/secuird/core/identity"
)

// userView is a user as the API shows it.
type userView struct {
	ID              string     `json:"id"`
	Email           string     `json:"email"`
	EmailVerified   bool       `json:"email_verified"`
	FullName        string     `json:"full_name"`
	AvatarURL       string     `json:"avatar_url"`
	Status          string     `json:"status"`
	Activated       bool       `json:"activated"`
	IsPlatformAdmin bool       `json:"is_platform_admin"`
	LastLoginAt     *time.Time `json:"last_login_at"`
	CreatedAt       time.Time  `json:"created_at"`
	UpdatedAt       time.Time  `json:"updated_at"`
}

func viewUser(u identity.User) userView {
	return userView{
		ID: u.ID, Email: u.Email, EmailVerified: u.EmailVerified, FullName: u.FullName, AvatarURL: u.AvatarURL,
		Status: string(u.Status), Activated: u.Activated, IsPlatformAdmin: u.IsPlatformAdmin,
		LastLoginAt: u.LastLoginAt, CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt,
	}
}

// profileView is GET /users/me and /auth/me.
type profileView struct {
	userView
	HasPassword bool `json:"has_password"`
	// Orgs are the user's organizations with roles (id, name, slug, role).
	Orgs []userOrgView `json:"orgs"`
}

// sessionView is one entry of GET /auth/sessions; it never holds the token.
type sessionView struct {
	ID             string    `json:"id"`
	Current        bool      `json:"current"`
	IPAddress      string    `json:"ip_address"`
	UserAgent      string    `json:"user_agent"`
	RememberMe     bool      `json:"remember_me"`
	CreatedAt      time.Time `json:"created_at"`
	LastActivityAt time.Time `json:"last_activity_at"`
	ExpiresAt      time.Time `json:"expires_at"`
}

func viewSession(s account.SessionInfo) sessionView {
	return sessionView{
		ID: s.ID, Current: s.Current, IPAddress: s.IP, UserAgent: s.UserAgent, RememberMe: s.RememberMe,
		CreatedAt: s.CreatedAt, LastActivityAt: s.LastSeenAt, ExpiresAt: s.EndsAt(),
	}
}
