// Package testenv decides whether tests that need external services run.
//
// Postgres suites run when SECUIRD_TEST_DATABASE_URL is set and Redis suites
// when SECUIRD_TEST_REDIS_URL is set. Otherwise they skip, unless
// SECUIRD_TEST_REQUIRE_SERVICES=1 (CI sets it), in which case a missing
// service fails the test instead.
package testenv

import (
	"os"
	"testing"
)

// Environment variable names.
const (
	DatabaseURLVar     = "SECUIRD_TEST_DATABASE_URL"
	RedisURLVar        = "SECUIRD_TEST_REDIS_URL"
	RequireServicesVar = "SECUIRD_TEST_REQUIRE_SERVICES"
)

// PostgresURL returns the test database URL or skips (or fails) the test.
func PostgresURL(t testing.TB) string { return lookup(t, DatabaseURLVar, "Postgres") }

// RedisURL returns the test Redis URL or skips (or fails) the test.
func RedisURL(t testing.TB) string { return lookup(t, RedisURLVar, "Redis") }

func lookup(t testing.TB, name, what string) string {
	t.Helper()
	if v := os.Getenv(name); v != "" {
		return v
	}
	if os.Getenv(RequireServicesVar) == "1" {
		t.Fatalf("%s is required (%s=1) but %s is not set", what, RequireServicesVar, name)
	}
	t.Skipf("%s suite skipped: set %s to run it", what, name)
	return ""
}
