package sqlstore_test

import (
	"testing"

	"github.com/secuird/secuird/ports/porttest"
)

func TestSQLiteOutboxConformance(t *testing.T) {
	t.Parallel()
	porttest.RunOutbox(t, func(t *testing.T) porttest.OutboxStore { return openSQLite(t) })
}

func TestPostgresOutboxConformance(t *testing.T) {
	t.Parallel()
	dbURL := postgresURL(t)
	porttest.RunOutbox(t, func(t *testing.T) porttest.OutboxStore { return openPostgres(t, dbURL) })
}
