package sqlstore_test

import (
	"testing"

	"github.com/secuird/secuird/ports/porttest"
)

func TestSQLiteTenancyConformance(t *testing.T) {
	t.Parallel()
	porttest.RunTenancy(t, func(t *testing.T) porttest.TenancyStore { return openSQLite(t) })
}

func TestPostgresTenancyConformance(t *testing.T) {
	t.Parallel()
	dbURL := postgresURL(t)
	porttest.RunTenancy(t, func(t *testing.T) porttest.TenancyStore { return openPostgres(t, dbURL) })
}
