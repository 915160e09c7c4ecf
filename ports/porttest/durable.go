package porttest

// The durable suites (durable*.go) cover the ports that a database keeps:
// users, passwords, link tokens, the audit trail and transactions. Each
// suite takes an open function that returns a fresh, migrated and empty
// store for one test; it is called once per subtest, possibly from
// parallel subtests, and the adapter's test registers any clean-up with
// t.Cleanup.

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/core/identity"
	"github.com/secuird/secuird/ports"
)

// Durable is every port a durable store implements.
type Durable interface {
	ports.Transactor
	ports.UserStore
	ports.PasswordStore
	ports.LinkTokenStore
	ports.AuditLog
}

// UserPasswordStore is what the password suite needs: password rows
// belong to users.
type UserPasswordStore interface {
	ports.UserStore
	ports.PasswordStore
}

// UserLinkTokenStore is what the link token suite needs: tokens belong to
// users.
type UserLinkTokenStore interface {
	ports.UserStore
	ports.LinkTokenStore
}

// UserAuditLog is what the audit suite needs: it checks that entries
// outlive the users they name.
type UserAuditLog interface {
	ports.UserStore
	ports.AuditLog
}

// TxStore is what the transaction suite needs: a transactor and two
// stores whose writes it can roll back together.
type TxStore interface {
	ports.Transactor
	ports.UserStore
	ports.PasswordStore
}

// RunDurable runs every durable suite (RunUserStore, RunPasswordStore,
// RunLinkTokenStore, RunAuditLog, RunTransactor) against stores from
// open, in parallel subtests.
func RunDurable(t *testing.T, open func(t *testing.T) Durable) {
	t.Run("UserStore", func(t *testing.T) {
		t.Parallel()
		RunUserStore(t, func(t *testing.T) ports.UserStore { return open(t) })
	})
	t.Run("PasswordStore", func(t *testing.T) {
		t.Parallel()
		RunPasswordStore(t, func(t *testing.T) UserPasswordStore { return open(t) })
	})
	t.Run("LinkTokenStore", func(t *testing.T) {
		t.Parallel()
		RunLinkTokenStore(t, func(t *testing.T) UserLinkTokenStore { return open(t) })
	})
	t.Run("AuditLog", func(t *testing.T) {
		t.Parallel()
		RunAuditLog(t, func(t *testing.T) UserAuditLog { return open(t) })
	})
	t.Run("Transactor", func(t *testing.T) {
		t.Parallel()
		RunTransactor(t, func(t *testing.T) TxStore { return open(t) })
	})
}

// durBase is the suites' reference instant: nanoseconds, which stores may
// drop below a microsecond, and a non-UTC zone, which stores must not
// return.
var durBase = time.Date(2025, 3, 14, 15, 9, 26, 535897932, time.UTC).In(time.FixedZone("IST", 5*3600+1800))

// durID returns a random UUID-shaped ID (version 4).
func durID(t *testing.T) string {
	t.Helper()
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// durEmail returns a random lower-case address.
func durEmail(t *testing.T) string {
	t.Helper()
	return "u" + strings.ReplaceAll(durID(t), "-", "")[:12] + "@example.com"
}

// durSampleUser returns a user with every field set.
func durSampleUser(t *testing.T) identity.User {
	t.Helper()
	last := durBase.Add(-time.Hour)
	return identity.User{
		ID:              durID(t),
		Email:           durEmail(t),
		EmailVerified:   true,
		FullName:        "Ada Lovelace",
		AvatarURL:       "https://example.com/ada.png",
		Status:          identity.StatusActive,
		Activated:       true,
		IsPlatformAdmin: false,
		LastLoginAt:     &last,
		LastLoginIP:     "192.0.2.7",
		CreatedAt:       durBase.Add(-24 * time.Hour),
		UpdatedAt:       durBase.Add(-2 * time.Hour),
	}
}

// durCreateUser stores a fresh sample user and returns it.
func durCreateUser(t *testing.T, s ports.UserStore) identity.User {
	t.Helper()
	u := durSampleUser(t)
	if err := s.CreateUser(t.Context(), u); err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	return u
}

// durDeleteUser soft-deletes a user through UpdateUser, the only way the
// port offers.
func durDeleteUser(t *testing.T, s ports.UserStore, id string, at time.Time) {
	t.Helper()
	_, err := s.UpdateUser(t.Context(), id, func(u identity.User) (identity.User, error) {
		u.DeletedAt = &at
		u.UpdatedAt = at
		return u, nil
	})
	if err != nil {
		t.Fatalf("UpdateUser (delete): %v", err)
	}
}

// durWantKind fails unless err is a *fault.Error of kind k, with an operation
// name and a message free of SQL.
func durWantKind(t *testing.T, err error, k fault.Kind) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %v", k)
	}
	fe := fault.As(err)
	if fe == nil {
		t.Fatalf("got %T %q, want a *fault.Error of kind %v", err, err, k)
	}
	if fe.Kind != k {
		t.Fatalf("got kind %v (%v), want %v", fe.Kind, err, k)
	}
	if fe.Op == "" {
		t.Errorf("error %q has no Op", err)
	}
	low := strings.ToLower(fe.Msg)
	for _, w := range []string{"select ", "insert ", "update ", "delete ", " from ", "where ", "sqlstate", "syntax", "constraint"} {
		if strings.Contains(low, w) {
			t.Errorf("user-facing message %q looks like database text (%q)", fe.Msg, w)
		}
	}
}

// durOK fails on a non-nil error.
func durOK(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// durSameInstant reports whether a and b are equal to the microsecond, the
// precision every store keeps.
func durSameInstant(a, b time.Time) bool {
	d := a.Sub(b)
	return d < time.Microsecond && d > -time.Microsecond
}

// durCheckTime reports a time that is not in UTC or not the wanted instant.
func durCheckTime(t *testing.T, name string, got, want time.Time) {
	t.Helper()
	if got.Location() != time.UTC {
		t.Errorf("%s: location %v, want UTC", name, got.Location())
	}
	if !durSameInstant(got, want) {
		t.Errorf("%s: got %v, want %v", name, got, want.UTC())
	}
}

// durCheckTimePtr is checkTime for optional times.
func durCheckTimePtr(t *testing.T, name string, got, want *time.Time) {
	t.Helper()
	switch {
	case got == nil && want == nil:
	case got == nil || want == nil:
		t.Errorf("%s: got %v, want %v", name, got, want)
	default:
		durCheckTime(t, name, *got, *want)
	}
}

// durCheckUser compares every field of two users, times to the microsecond.
func durCheckUser(t *testing.T, got, want identity.User) {
	t.Helper()
	if got.ID != want.ID || got.Email != strings.ToLower(want.Email) ||
		got.EmailVerified != want.EmailVerified || got.FullName != want.FullName ||
		got.AvatarURL != want.AvatarURL || got.Status != want.Status ||
		got.Activated != want.Activated || got.IsPlatformAdmin != want.IsPlatformAdmin ||
		got.LastLoginIP != want.LastLoginIP {
		t.Errorf("user fields differ:\n got %+v\nwant %+v", got, want)
	}
	durCheckTime(t, "CreatedAt", got.CreatedAt, want.CreatedAt)
	durCheckTime(t, "UpdatedAt", got.UpdatedAt, want.UpdatedAt)
	durCheckTimePtr(t, "LastLoginAt", got.LastLoginAt, want.LastLoginAt)
	durCheckTimePtr(t, "DeletedAt", got.DeletedAt, want.DeletedAt)
}

// durSameJSON compares two values as JSON documents (numbers come back as
// float64 from a store); nil and empty maps are equal.
func durSameJSON(a, b map[string]any) bool {
	if len(a) == 0 && len(b) == 0 {
		return true
	}
	norm := func(m map[string]any) any {
		buf, err := json.Marshal(m)
		if err != nil {
			return err.Error()
		}
		var v any
		if err := json.Unmarshal(buf, &v); err != nil {
			return err.Error()
		}
		return v
	}
	return reflect.DeepEqual(norm(a), norm(b))
}
