package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/ports/porttest/testenv"
)

func TestClassify(t *testing.T) {
	t.Parallel()
	pg := func(code string) error {
		return fmt.Errorf("exec: %w", &pgconn.PgError{Code: code, Message: `duplicate key value violates unique constraint "users_email_live_key"`})
	}
	for _, tc := range []struct {
		name string
		err  error
		want fault.Kind
	}{
		{"no rows", sql.ErrNoRows, fault.NotFound},
		{"pg unique", pg("23505"), fault.Conflict},
		{"pg foreign key", pg("23503"), fault.NotFound},
		{"pg not null", pg("23502"), fault.Invalid},
		{"pg bad text", pg("22021"), fault.Invalid},
		{"pg serialization", pg("40001"), fault.Conflict},
		{"pg deadlock", pg("40P01"), fault.Conflict},
		{"pg shutting down", pg("57P01"), fault.Unavailable},
		{"pg too many connections", pg("53300"), fault.Unavailable},
		{"pg connection failure", pg("08006"), fault.Unavailable},
		{"pg syntax error", pg("42601"), fault.Internal},
		{"pg undefined table", pg("42P01"), fault.Internal},
		{"deadline", fmt.Errorf("q: %w", context.DeadlineExceeded), fault.Unavailable},
		{"cancelled", context.Canceled, fault.Unavailable},
		{"connection refused", &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}, fault.Unavailable},
		{"bad connection", driver.ErrBadConn, fault.Unavailable},
		{"connection done", sql.ErrConnDone, fault.Unavailable},
		{"closed pool", errors.New("sql: database is closed"), fault.Unavailable},
		{"anything else", errors.New("surprise"), fault.Internal},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := translate("sqlstore.Test", tc.err)
			fe := fault.As(err)
			if fe == nil || fe.Kind != tc.want || fe.Op != "sqlstore.Test" || !errors.Is(err, tc.err) {
				t.Fatalf("translate(%v) = %#v, want kind %v wrapping the cause", tc.err, err, tc.want)
			}
			if strings.Contains(fe.Msg, "constraint") || strings.Contains(fe.Msg, "users_") {
				t.Fatalf("message %q leaks database text", fe.Msg)
			}
		})
	}
	if translate("op", nil) != nil {
		t.Fatal("translate(nil) != nil")
	}
	keep := fault.E("inner", fault.Forbidden, "no")
	if got := translate("op", keep); got != error(keep) { //nolint:errorlint // identity is the point: translate must return the same value
		t.Fatalf("translate changed a *fault.Error: %v", got)
	}
}

func TestSQLiteKinds(t *testing.T) {
	t.Parallel()
	for code, want := range map[int]fault.Kind{
		2067: fault.Conflict,    // SQLITE_CONSTRAINT_UNIQUE
		1555: fault.Conflict,    // SQLITE_CONSTRAINT_PRIMARYKEY
		787:  fault.NotFound,    // SQLITE_CONSTRAINT_FOREIGNKEY
		1299: fault.Invalid,     // SQLITE_CONSTRAINT_NOTNULL
		275:  fault.Invalid,     // SQLITE_CONSTRAINT_CHECK
		5:    fault.Unavailable, // SQLITE_BUSY
		517:  fault.Unavailable, // SQLITE_BUSY_SNAPSHOT
		6:    fault.Unavailable, // SQLITE_LOCKED
		9:    fault.Unavailable, // SQLITE_INTERRUPT
		14:   fault.Unavailable, // SQLITE_CANTOPEN
		1:    fault.Internal,    // SQLITE_ERROR (e.g. no such table)
		11:   fault.Internal,    // SQLITE_CORRUPT
	} {
		if got := sqliteKind(code); got != want {
			t.Errorf("sqliteKind(%d) = %v, want %v", code, got, want)
		}
	}
}

func TestPostgresDSN(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in, schema string
		want       []string
		notWant    []string
	}{
		{"postgres://u:p@db:5432/app?sslmode=disable", "", []string{"default_query_exec_mode=simple_protocol", "sslmode=disable", "u:p@db:5432/app"}, []string{"search_path"}},
		{"postgresql://db/app?default_query_exec_mode=exec", "", []string{"default_query_exec_mode=exec"}, []string{"simple_protocol"}},
		{"postgres://db/app", "t_1", []string{"search_path=t_1", "simple_protocol"}, nil},
	} {
		got, err := postgresDSN(tc.in, tc.schema)
		if err != nil {
			t.Fatalf("postgresDSN(%q): %v", tc.in, err)
		}
		for _, w := range tc.want {
			if !strings.Contains(got, w) {
				t.Errorf("postgresDSN(%q) = %q, want it to contain %q", tc.in, got, w)
			}
		}
		for _, w := range tc.notWant {
			if strings.Contains(got, w) {
				t.Errorf("postgresDSN(%q) = %q, want no %q", tc.in, got, w)
			}
		}
	}
	if _, err := postgresDSN("postgres://", ""); err == nil {
		t.Error("postgresDSN accepted a URL without a host")
	}
}

func TestParseSQLiteDSN(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in         string
		name, q    string
		uri, mem   bool
		wantWriter []string
	}{
		{in: "data/secuird.db", name: "data/secuird.db", wantWriter: []string{"data/secuird.db?", "journal_mode%28WAL%29", "_txlock=immediate", "foreign_keys%281%29", "busy_timeout", "synchronous%28NORMAL%29"}},
		{in: "sqlite:///var/lib/s.db", name: "/var/lib/s.db"},
		{in: "sqlite://rel/s.db?_pragma=busy_timeout(1)", name: "rel/s.db", q: "_pragma=busy_timeout(1)", wantWriter: []string{"_pragma=busy_timeout(1)&"}},
		{in: "file:/tmp/s.db?mode=rwc", name: "file:/tmp/s.db", q: "mode=rwc", uri: true},
		{in: "file::memory:", name: "file::memory:", uri: true, mem: true},
		{in: "file:x?mode=memory&cache=shared", name: "file:x", q: "mode=memory&cache=shared", uri: true, mem: true},
		{in: ":memory:", name: ":memory:", mem: true},
	} {
		c, err := parseSQLiteDSN(tc.in)
		if err != nil {
			t.Fatalf("parseSQLiteDSN(%q): %v", tc.in, err)
		}
		if c.name != tc.name || c.query != tc.q || c.uri != tc.uri || c.memory != tc.mem {
			t.Errorf("parseSQLiteDSN(%q) = %+v", tc.in, c)
		}
		w := c.writerDSN()
		for _, s := range tc.wantWriter {
			if !strings.Contains(w, s) {
				t.Errorf("writerDSN(%q) = %q, want %q in it", tc.in, w, s)
			}
		}
		if strings.Count(w, "busy_timeout") != 1 {
			t.Errorf("writerDSN(%q) = %q: want exactly one busy_timeout", tc.in, w)
		}
		if r := c.readerDSN(); !strings.Contains(r, "query_only%281%29") || strings.Contains(r, "journal_mode") {
			t.Errorf("readerDSN(%q) = %q", tc.in, r)
		}
	}
	for _, bad := range []string{"", "sqlite://", "mysql://x/y", "file:", "x.db?%zz"} {
		if _, err := parseSQLiteDSN(bad); err == nil {
			t.Errorf("parseSQLiteDSN(%q) succeeded", bad)
		}
	}
}

func TestCursor(t *testing.T) {
	t.Parallel()
	at := time.Date(2025, 1, 2, 3, 4, 5, 678901000, time.UTC)
	c := encodeKeyset("1", at, "id:with:colons")
	gotAt, gotID, ok := decodeKeyset("1", c)
	if !ok || !gotAt.Equal(at) || gotID != "id:with:colons" || gotAt.Location() != time.UTC {
		t.Fatalf("decodeKeyset(encodeKeyset) = %v %q %v", gotAt, gotID, ok)
	}
	if _, _, ok := decodeKeyset("m1", c); ok {
		t.Fatal("a cursor of one listing was accepted by another")
	}
}

func TestValidSchema(t *testing.T) {
	t.Parallel()
	for s, want := range map[string]bool{
		"t_abc123": true, "_x": true, "public": true,
		"": false, "1abc": false, "Upper": false, "a-b": false, "a;drop": false, "pg_temp": false,
		strings.Repeat("a", 64): false,
	} {
		if got := validSchema(s); got != want {
			t.Errorf("validSchema(%q) = %v, want %v", s, got, want)
		}
	}
}

// InTx runs fn again after a serialization failure on Postgres and gives
// up after the last attempt.
func TestInTxRetriesSerializationFailures(t *testing.T) {
	t.Parallel()
	dbURL := testenv.PostgresURL(t)
	s, err := Open(t.Context(), dbURL, Options{MaxOpenConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })

	calls := 0
	err = s.InTx(t.Context(), func(ctx context.Context) error {
		calls++
		if calls < 3 {
			return translate("test", &pgconn.PgError{Code: "40001"})
		}
		return nil
	})
	if err != nil || calls != 3 {
		t.Fatalf("InTx = %v after %d calls, want success on the third", err, calls)
	}

	calls = 0
	err = s.InTx(t.Context(), func(ctx context.Context) error {
		calls++
		return &pgconn.PgError{Code: "40P01"}
	})
	if calls != txAttempts || !isRetryable(err) {
		t.Fatalf("InTx = %v after %d calls, want the deadlock after %d", err, calls, txAttempts)
	}

	calls = 0
	boom := errors.New("boom")
	err = s.InTx(t.Context(), func(ctx context.Context) error {
		calls++
		// A nested call does not retry on its own; the outer one does.
		return s.InTx(ctx, func(context.Context) error { return boom })
	})
	if !errors.Is(err, boom) || calls != 1 {
		t.Fatalf("InTx = %v after %d calls, want boom once", err, calls)
	}
}
