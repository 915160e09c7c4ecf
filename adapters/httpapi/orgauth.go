package httpapi

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/secuird/secuird/core/account"
	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/core/org"
	"github.com/secuird/secuird/core/tenancy"
)

// apiKeyLocal is the Locals key of an authenticated API key (not a secret).
const apiKeyLocal = "secuird.apikey" //nolint:gosec // a context key name, not a credential

// bearer returns the token of a well-formed `Authorization: Bearer` header,
// or an error envelope's fault (SEED-SPEC 3.4 steps 1 and 2).
func bearer(c *fiber.Ctx) (string, error) {
	const op = "httpapi.bearer"
	hdr := c.Get(fiber.HeaderAuthorization)
	if hdr == "" {
		return "", &fault.Error{Op: op, Kind: fault.Unauthenticated, Code: "AUTH_REQUIRED", Msg: "Authorization header is required"}
	}
	scheme, token, ok := strings.Cut(hdr, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" || strings.ContainsAny(token, " \t") {
		return "", &fault.Error{Op: op, Kind: fault.Unauthenticated, Code: "INVALID_AUTH_FORMAT", Msg: "Authorization header must be 'Bearer <token>'"}
	}
	return token, nil
}

// requireSessionOrKey authenticates either a session (as requireSession)
// or an organization API key: a bearer value with the sk_secuird_ prefix
// becomes a machine principal bound to its organization. It guards only
// the organization read endpoints that machines may call (see
// docs/README-orgs.md); every other route uses requireSession, where an
// API key is just an invalid session token (401 INVALID_TOKEN). The core
// answers 404 when the path's organization is not the key's.
func (h *handlers) requireSessionOrKey(c *fiber.Ctx) error {
	token, err := bearer(c)
	if err != nil {
		return fail(c, err)
	}
	if !strings.HasPrefix(token, org.APIKeyPrefix) {
		return h.requireSession(c)
	}
	k, err := h.d.Tenancy.AuthenticateKey(c.UserContext(), token)
	if err != nil {
		return fail(c, err)
	}
	c.Locals(apiKeyLocal, &k)
	return c.Next()
}

// optionalSession authenticates a session when an Authorization header is
// sent and otherwise lets the request through anonymously (invite
// acceptance, which works with or without one).
func (h *handlers) optionalSession(c *fiber.Ctx) error {
	if c.Get(fiber.HeaderAuthorization) == "" {
		return c.Next()
	}
	return h.requireSession(c)
}

// actor returns the caller of an organization use case: the API key set
// by requireSessionOrKey, else the session's user.
func actor(c *fiber.Ctx) tenancy.Actor {
	if k, ok := c.Locals(apiKeyLocal).(*org.APIKey); ok {
		return tenancy.KeyActor(*k)
	}
	return tenancy.UserActor(principal(c).User)
}

// maybeActor returns the session's user when there is one.
func maybeActor(c *fiber.Ctx) *tenancy.Actor {
	if _, ok := c.Locals(principalKey).(*account.Principal); !ok {
		return nil
	}
	a := actor(c)
	return &a
}
