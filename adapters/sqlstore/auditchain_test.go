package sqlstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/secuird/secuird/adapters/sqlstore"
	"github.com/secuird/secuird/core/audit"
	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/ports/porttest"
)

func TestSQLiteAuditChain(t *testing.T) {
	t.Parallel()
	porttest.RunAuditChain(t, func(t *testing.T) (porttest.AuditChainStore, porttest.AuditTamper) {
		s := openSQLite(t)
		return s, s.AuditTamper()
	})
}

func TestPostgresAuditChain(t *testing.T) {
	t.Parallel()
	dbURL := postgresURL(t)
	porttest.RunAuditChain(t, func(t *testing.T) (porttest.AuditChainStore, porttest.AuditTamper) {
		// More connections than the conformance default, so parallel
		// appends really wait on the chain lock rather than the pool.
		s := openMigrated(t, dbURL, sqlstore.Options{Schema: newSchema(t, dbURL), MaxOpenConns: 16})
		return s, s.AuditTamper()
	})
}

// The database itself refuses to change or remove audit rows; only
// someone who can switch the refusal off gets past it, and verification
// is there for them.
func TestAuditLogRefusesUpdateAndDelete(t *testing.T) {
	t.Parallel()
	dialects(t, func(t *testing.T, open func(t *testing.T) *sqlstore.Store) {
		s := open(t)
		if err := s.Migrate(t.Context()); err != nil {
			t.Fatal(err)
		}
		e := audit.Entry{ID: "a1", At: time.Now(), Action: audit.UserLogin, Success: true}
		if err := s.AppendAudit(t.Context(), e); err != nil {
			t.Fatal(err)
		}
		statements := []string{
			"UPDATE audit_logs SET action = 'user.logout' WHERE id = 'a1'",
			"UPDATE audit_logs SET hash = '' WHERE id = 'a1'",
			"DELETE FROM audit_logs WHERE id = 'a1'",
			"DELETE FROM audit_logs",
		}
		if s.Dialect() == sqlstore.DialectPostgres {
			statements = append(statements, "TRUNCATE audit_logs")
		}
		for _, q := range statements {
			if err := s.ExecRaw(t.Context(), q); err == nil {
				t.Errorf("%s: succeeded", q)
			}
		}
		// The refusal holds inside a transaction too.
		err := s.InTx(t.Context(), func(ctx context.Context) error {
			return s.ExecRaw(ctx, "DELETE FROM audit_logs")
		})
		if err == nil {
			t.Error("DELETE inside a transaction succeeded")
		}
		got, _, err := s.ListAudit(t.Context(), audit.Filter{})
		if err != nil || len(got) != 1 || got[0].Action != audit.UserLogin || got[0].Hash == "" {
			t.Fatalf("after the refused statements: %+v, %v", got, err)
		}
		v, err := s.VerifyAudit(t.Context())
		if err != nil || !v.Intact() || v.Rows() != 1 {
			t.Fatalf("VerifyAudit = %+v, %v", v, err)
		}
	})
}

// Extra data that JSON cannot hold is refused before anything is stored.
func TestAppendAuditRefusesUnencodableExtra(t *testing.T) {
	t.Parallel()
	s := openSQLite(t)
	err := s.AppendAudit(t.Context(), audit.Entry{ID: "x", At: time.Now(), Action: audit.UserLogin, Extra: map[string]any{"c": make(chan int)}})
	if !fault.Is(err, fault.Invalid) {
		t.Fatalf("AppendAudit = %v, want Invalid", err)
	}
	v, err := s.VerifyAudit(t.Context())
	if err != nil || v.Rows() != 0 {
		t.Fatalf("VerifyAudit = %+v, %v; want nothing stored", v, err)
	}
}
