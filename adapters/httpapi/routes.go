// Package httpapi is the HTTP edge of Secuird on Fiber: the REST API under
// /api/v1 with the JSON envelope, the health endpoint, and (as they arrive)
// the hosted pages and the OpenID Provider mount. Handlers decode, call one
// core use case and encode; they decide nothing.
package httpapi

import (
	"context"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/secuird/secuird/core/account"
	"github.com/secuird/secuird/core/admin"
	"github.com/secuird/secuird/core/auditlog"
	"github.com/secuird/secuird/core/mfaflow"
	"github.com/secuird/secuird/core/outbox"
	"github.com/secuird/secuird/core/tenancy"
	"github.com/secuird/secuird/core/throttle"
)

// Limits are the per-IP rate limits of the public endpoints (SEED-SPEC 15).
type Limits struct {
	Default        []throttle.Rule
	Register       []throttle.Rule
	Login          []throttle.Rule
	ForgotPassword []throttle.Rule
	ResetPassword  []throttle.Rule
	// TOTPVerify limits the second-factor steps (TOTP, backup code, passkey).
	TOTPVerify []throttle.Rule
}

// HealthCheck is one dependency probed by GET /api/health.
type HealthCheck struct {
	Name string
	Ping func(ctx context.Context) error
}

// Deps are the core services and settings behind the routes.
type Deps struct {
	Accounts *account.Service
	// Tenancy serves organizations, invites and API keys (nil: no such routes).
	Tenancy *tenancy.Service
	// Admin serves admin user management (nil: no such routes).
	Admin *admin.Service
	// Limiter enforces Limits; nil turns rate limiting off (test profile).
	Limiter *throttle.Limiter
	Limits  Limits
	Health  []HealthCheck
	Version string
	// OIDC mounts the OpenID Provider and its hosted pages (nil: none).
	OIDC *OIDC
	// UI configures the hosted pages (branding).
	UI UI
	// MailOutbox serves the platform admins' view of the email outbox
	// (nil: no such routes).
	MailOutbox *outbox.Service
	// Audit serves the audit views (nil: no such routes).
	Audit *auditlog.Service
	// MFA serves TOTP, passkeys, MFA policies and compliance (nil: no
	// such routes).
	MFA *mfaflow.Service
}

// New builds the Fiber application with every route.
func New(o Options, d Deps) *fiber.App {
	app := newFiber(o)
	h := &handlers{d: d}
	app.Use(h.htmlErrors)

	app.Get("/api/health", h.health)

	v1 := app.Group("/api/v1")
	lim := func(scope string, rules []throttle.Rule) fiber.Handler { return rateLimit(d.Limiter, scope, rules...) }
	// auth is level F (full access); allowed is level S, only for the
	// SEED-SPEC 3.5 allow-list of compliance-only sessions.
	auth, allowed := h.requireSession, h.requireAnySession

	a := v1.Group("/auth")
	a.Post("/register", lim("register", d.Limits.Register), h.register)
	a.Post("/login", lim("login", d.Limits.Login), h.login)
	a.Post("/logout", allowed, h.logout)
	a.Get("/me", allowed, h.me)
	a.Get("/sessions", allowed, h.listSessions)
	a.Delete("/sessions", auth, h.revokeOtherSessions)
	a.Post("/sessions/revoke-others", auth, h.revokeOtherSessions)
	a.Delete("/sessions/:id", allowed, h.revokeSession)
	a.Post("/verify-email", lim("verify-email", d.Limits.Default), h.verifyEmail)
	a.Post("/resend-verification", lim("resend-verification", d.Limits.Default), h.resendVerification)
	a.Post("/forgot-password", lim("forgot-password", d.Limits.ForgotPassword), h.forgotPassword)
	a.Post("/reset-password", lim("reset-password", d.Limits.ResetPassword), h.resetPassword)

	u := v1.Group("/users")
	u.Get("/me", allowed, h.me)
	u.Patch("/me", auth, h.updateMe)
	u.Delete("/me", auth, h.stepUp, h.deleteMe)
	u.Post("/me/password", auth, h.stepUp, h.changePassword)

	h.orgRoutes(v1, lim)
	h.oidcClientRoutes(app, v1, lim("oidc-register", d.Limits.Default))
	h.adminMailRoutes(v1)
	h.auditRoutes(v1)
	h.mfaRoutes(v1)
	h.loginStepRoutes(v1, lim)

	// The provider's catch-all mount comes after every native route.
	if err := h.oidcRoutes(app, v1); err != nil {
		// The templates are embedded: this is a build defect, not input.
		panic("httpapi: " + err.Error())
	}
	return app
}

type handlers struct {
	d     Deps
	pages *pages
}

// health answers GET /api/health with plain JSON (not the envelope): 200
// when every dependency answers within two seconds, else 503.
func (h *handlers) health(c *fiber.Ctx) error {
	ctx, cancel := context.WithTimeout(c.UserContext(), 2*time.Second)
	defer cancel()
	checks := fiber.Map{}
	healthy := true
	for _, hc := range h.d.Health {
		start := time.Now()
		err := hc.Ping(ctx)
		st := fiber.Map{"status": "ok", "latency_ms": float64(time.Since(start).Microseconds()) / 1000}
		if err != nil {
			healthy = false
			st["status"] = "unavailable"
			logger(c).Warn("health check failed", "dependency", hc.Name, "error", err.Error())
		}
		checks[hc.Name] = st
	}
	status, code := "healthy", fiber.StatusOK
	if !healthy {
		status, code = "unhealthy", fiber.StatusServiceUnavailable
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Status(code).JSON(fiber.Map{"status": status, "service": "secuird", "version": h.d.Version, "checks": checks})
}
