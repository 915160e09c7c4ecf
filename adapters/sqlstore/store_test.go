package sqlstore_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/secuird/secuird/adapters/sqlstore"
	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/core/identity"
	"github.com/secuird/secuird/ports/porttest"
	"github.com/secuird/secuird/ports/porttest/testenv"
)

// openSQLite returns a migrated store in a fresh temporary file.
func openSQLite(t *testing.T) *sqlstore.Store {
	t.Helper()
	return openMigrated(t, filepath.Join(t.TempDir(), "secuird.db"), sqlstore.Options{})
}

func openMigrated(t *testing.T, dsn string, opts sqlstore.Options) *sqlstore.Store {
	t.Helper()
	s, err := sqlstore.Open(t.Context(), dsn, opts)
	if err != nil {
		t.Fatalf("Open(%q): %v", dsn, err)
	}
	t.Cleanup(func() { _ = s.Close() })
	if err := s.Migrate(t.Context()); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	return s
}

// postgresURL returns the test database URL with a session time zone far
// from UTC, so the suites prove that times come back in UTC regardless.
func postgresURL(t *testing.T) string {
	t.Helper()
	raw := testenv.PostgresURL(t)
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatalf("%s: %v", testenv.DatabaseURLVar, err)
	}
	q := u.Query()
	if !q.Has("timezone") {
		q.Set("timezone", "Pacific/Chatham")
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// newSchema names a fresh schema and drops it when the test ends.
func newSchema(t *testing.T, dbURL string) string {
	t.Helper()
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "t_" + hex.EncodeToString(b[:])
	t.Cleanup(func() {
		db, err := sql.Open("pgx", dbURL)
		if err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
			return
		}
		defer db.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := db.ExecContext(ctx, "DROP SCHEMA IF EXISTS "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	return schema
}

// openPostgres returns a migrated store in its own schema.
func openPostgres(t *testing.T, dbURL string) *sqlstore.Store {
	t.Helper()
	return openMigrated(t, dbURL, sqlstore.Options{Schema: newSchema(t, dbURL), MaxOpenConns: 4})
}

func TestSQLiteConformance(t *testing.T) {
	t.Parallel()
	porttest.RunDurable(t, func(t *testing.T) porttest.Durable { return openSQLite(t) })
}

func TestPostgresConformance(t *testing.T) {
	t.Parallel()
	dbURL := postgresURL(t)
	porttest.RunDurable(t, func(t *testing.T) porttest.Durable { return openPostgres(t, dbURL) })
}

// dialects runs fn once per available dialect with a function that opens
// an unmigrated store on a fresh database; the second call of open in one
// test reaches the same database.
func dialects(t *testing.T, fn func(t *testing.T, open func(t *testing.T) *sqlstore.Store)) {
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		path := filepath.Join(t.TempDir(), "secuird.db")
		fn(t, func(t *testing.T) *sqlstore.Store { return openRaw(t, path, sqlstore.Options{}) })
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		dbURL := postgresURL(t)
		schema := newSchema(t, dbURL)
		fn(t, func(t *testing.T) *sqlstore.Store { return openRaw(t, dbURL, sqlstore.Options{Schema: schema}) })
	})
}

func openRaw(t *testing.T, dsn string, opts sqlstore.Options) *sqlstore.Store {
	t.Helper()
	s, err := sqlstore.Open(t.Context(), dsn, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func wantStatus(t *testing.T, s *sqlstore.Store, applied bool) {
	t.Helper()
	st, err := s.MigrationStatus(t.Context())
	if err != nil {
		t.Fatalf("MigrationStatus: %v", err)
	}
	if len(st) == 0 || st[0].Name != "00001" || st[0].Comment != "init" {
		t.Fatalf("MigrationStatus = %+v, want 00001_init first", st)
	}
	for _, m := range st {
		if m.Applied != applied {
			t.Fatalf("migration %s_%s applied = %v, want %v", m.Name, m.Comment, m.Applied, applied)
		}
		if applied && (m.GroupID != 1 || m.MigratedAt.IsZero() || m.MigratedAt.Location() != time.UTC) {
			t.Fatalf("migration %+v: want group 1 and a UTC time", m)
		}
	}
}

func TestMigrate(t *testing.T) {
	t.Parallel()
	dialects(t, func(t *testing.T, open func(t *testing.T) *sqlstore.Store) {
		s := open(t)
		wantStatus(t, s, false)
		for i := range 2 {
			if err := s.Migrate(t.Context()); err != nil {
				t.Fatalf("Migrate #%d: %v", i+1, err)
			}
		}
		// The second run applied nothing: still one group.
		wantStatus(t, s, true)
		if _, err := s.CountUsers(t.Context()); err != nil {
			t.Fatalf("CountUsers after Migrate: %v", err)
		}
	})
}

func TestMigrateDownThenUp(t *testing.T) {
	t.Parallel()
	dialects(t, func(t *testing.T, open func(t *testing.T) *sqlstore.Store) {
		s := open(t)
		if err := s.Migrate(t.Context()); err != nil {
			t.Fatal(err)
		}
		u := identity.User{ID: "u1", Email: "a@b.co", Status: identity.StatusActive, CreatedAt: time.Now(), UpdatedAt: time.Now()}
		if err := s.CreateUser(t.Context(), u); err != nil {
			t.Fatal(err)
		}
		if err := s.MigrateDown(t.Context()); err != nil {
			t.Fatalf("MigrateDown: %v", err)
		}
		wantStatus(t, s, false)
		if _, err := s.CountUsers(t.Context()); err == nil {
			t.Fatal("CountUsers worked after MigrateDown dropped the tables")
		} else if fault.As(err) == nil {
			t.Fatalf("CountUsers error %T is not a *fault.Error", err)
		}
		if err := s.MigrateDown(t.Context()); err != nil {
			t.Fatalf("MigrateDown with nothing applied: %v", err)
		}
		if err := s.Migrate(t.Context()); err != nil {
			t.Fatalf("Migrate after MigrateDown: %v", err)
		}
		wantStatus(t, s, true)
		if n, err := s.CountUsers(t.Context()); err != nil || n != 0 {
			t.Fatalf("CountUsers = %d, %v; want an empty table", n, err)
		}
	})
}

func TestConcurrentMigrate(t *testing.T) {
	t.Parallel()
	dialects(t, func(t *testing.T, open func(t *testing.T) *sqlstore.Store) {
		// Separate stores stand for separate processes starting at once.
		const n = 3
		stores := make([]*sqlstore.Store, n)
		for i := range stores {
			stores[i] = open(t)
		}
		errs := make([]error, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i, s := range stores {
			wg.Go(func() {
				<-start
				errs[i] = s.Migrate(t.Context())
			})
		}
		close(start)
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("Migrate #%d: %v", i, err)
			}
		}
		wantStatus(t, stores[0], true)
	})
}

func TestOpenRejectsBadInput(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		dsn  string
		opts sqlstore.Options
		kind fault.Kind
	}{
		{"unknown scheme", "mysql://localhost/db", sqlstore.Options{}, fault.Invalid},
		{"empty name", "", sqlstore.Options{}, fault.Invalid},
		{"empty sqlite URL", "sqlite://", sqlstore.Options{}, fault.Invalid},
		{"schema needing quotes", "postgres://127.0.0.1:1/x", sqlstore.Options{Schema: "Bad-Name"}, fault.Invalid},
		{"negative pool", "x.db", sqlstore.Options{MaxOpenConns: -1}, fault.Invalid},
		{"postgres not answering", "postgres://postgres@127.0.0.1:1/x?connect_timeout=2", sqlstore.Options{}, fault.Unavailable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, err := sqlstore.Open(t.Context(), tc.dsn, tc.opts)
			if err == nil {
				_ = s.Close()
				t.Fatalf("Open(%q) succeeded", tc.dsn)
			}
			if fault.KindOf(err) != tc.kind {
				t.Fatalf("Open(%q) = %v, want %v", tc.dsn, err, tc.kind)
			}
		})
	}
}

func TestSQLiteDSNForms(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, tc := range []struct {
		name, dsn, file string
	}{
		{"plain path", filepath.Join(dir, "plain.db"), "plain.db"},
		{"plain path in a new directory", filepath.Join(dir, "data", "nested.db"), "data/nested.db"},
		{"sqlite URL", "sqlite://" + filepath.Join(dir, "url.db"), "url.db"},
		{"sqlite URL with parameters", "sqlite://" + filepath.Join(dir, "params.db") + "?_pragma=cache_size(-4000)", "params.db"},
		{"file URI", "file:" + filepath.Join(dir, "uri.db") + "?cache=private", "uri.db"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := openMigrated(t, tc.dsn, sqlstore.Options{})
			if s.Dialect() != sqlstore.DialectSQLite {
				t.Fatalf("Dialect = %q", s.Dialect())
			}
			if err := s.Ping(t.Context()); err != nil {
				t.Fatalf("Ping: %v", err)
			}
			if _, err := os.Stat(filepath.Join(dir, tc.file)); err != nil {
				t.Fatalf("database file: %v", err)
			}
			checkPragma(t, filepath.Join(dir, tc.file), "journal_mode", "wal")
		})
	}
}

func TestSQLiteInMemory(t *testing.T) {
	t.Parallel()
	s := openMigrated(t, ":memory:", sqlstore.Options{})
	u := identity.User{ID: "u1", Email: "a@b.co", Status: identity.StatusActive, CreatedAt: time.Now(), UpdatedAt: time.Now()}
	if err := s.CreateUser(t.Context(), u); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UserByID(t.Context(), "u1"); err != nil {
		t.Fatalf("read after write in memory: %v", err)
	}
}

func checkPragma(t *testing.T, path, pragma, want string) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var got string
	if err := db.QueryRowContext(t.Context(), "PRAGMA "+pragma).Scan(&got); err != nil {
		t.Fatal(err)
	}
	if !strings.EqualFold(got, want) {
		t.Fatalf("PRAGMA %s = %q, want %q", pragma, got, want)
	}
}

// Reads outside a transaction use the read pool, so they go on while a
// transaction holds SQLite's one writer connection.
func TestSQLiteReadsDoNotWaitForTheWriter(t *testing.T) {
	t.Parallel()
	s := openSQLite(t)
	u := identity.User{ID: "u1", Email: "a@b.co", Status: identity.StatusActive, CreatedAt: time.Now(), UpdatedAt: time.Now()}
	if err := s.CreateUser(t.Context(), u); err != nil {
		t.Fatal(err)
	}
	outer := t.Context()
	err := s.InTx(t.Context(), func(ctx context.Context) error {
		if err := s.SetPasswordHash(ctx, "u1", "uncommitted", time.Now()); err != nil {
			return err
		}
		rctx, cancel := context.WithTimeout(outer, 5*time.Second)
		defer cancel()
		if _, err := s.UserByID(rctx, "u1"); err != nil {
			t.Errorf("read beside an open transaction: %v", err)
		}
		// Not committed yet, so invisible outside.
		if _, err := s.PasswordHash(rctx, "u1"); !fault.Is(err, fault.NotFound) {
			t.Errorf("uncommitted write seen outside the transaction: %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestClosedStoreIsUnavailable(t *testing.T) {
	t.Parallel()
	dialects(t, func(t *testing.T, open func(t *testing.T) *sqlstore.Store) {
		s := open(t)
		if err := s.Migrate(t.Context()); err != nil {
			t.Fatal(err)
		}
		if err := s.Ping(t.Context()); err != nil {
			t.Fatalf("Ping: %v", err)
		}
		if err := s.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		if err := s.Ping(t.Context()); !fault.Is(err, fault.Unavailable) {
			t.Errorf("Ping after Close = %v, want Unavailable", err)
		}
		if _, err := s.UserByID(t.Context(), "x"); !fault.Is(err, fault.Unavailable) {
			t.Errorf("UserByID after Close = %v, want Unavailable", err)
		}
		if err := s.InTx(t.Context(), func(context.Context) error { return nil }); !fault.Is(err, fault.Unavailable) {
			t.Errorf("InTx after Close = %v, want Unavailable", err)
		}
	})
}

func TestCancelledContextIsUnavailable(t *testing.T) {
	t.Parallel()
	dialects(t, func(t *testing.T, open func(t *testing.T) *sqlstore.Store) {
		s := open(t)
		if err := s.Migrate(t.Context()); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		if _, err := s.CountUsers(ctx); !fault.Is(err, fault.Unavailable) {
			t.Errorf("CountUsers with a cancelled context = %v, want Unavailable", err)
		}
	})
}
