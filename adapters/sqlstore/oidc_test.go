package sqlstore_test

import (
	"testing"

	"github.com/secuird/secuird/ports/porttest"
)

func TestSQLiteOIDCConformance(t *testing.T) {
	t.Parallel()
	porttest.RunOIDCStore(t, func(t *testing.T) porttest.OIDCStore { return openSQLite(t) })
}

func TestPostgresOIDCConformance(t *testing.T) {
	t.Parallel()
	dbURL := postgresURL(t)
	porttest.RunOIDCStore(t, func(t *testing.T) porttest.OIDCStore { return openPostgres(t, dbURL) })
}
