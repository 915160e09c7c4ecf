package sqlstore_test

import (
	"testing"

	"github.com/secuird/secuird/ports/porttest"
)

func TestSQLiteMFAConformance(t *testing.T) {
	t.Parallel()
	porttest.RunMFA(t, func(t *testing.T) porttest.MFAStoreUnderTest { return openSQLite(t) })
}

func TestPostgresMFAConformance(t *testing.T) {
	t.Parallel()
	dbURL := postgresURL(t)
	porttest.RunMFA(t, func(t *testing.T) porttest.MFAStoreUnderTest { return openPostgres(t, dbURL) })
}
