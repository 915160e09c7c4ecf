package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"net"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/secuird/secuird/core/fault"
)

// msgs are the user-safe messages for the kinds an operation expects.
type msgs struct {
	notFound string
	conflict string
}

// translate classifies a database error at the boundary (ARCHITECTURE
// section 4): no rows -> NotFound, unique violation -> Conflict, foreign-key
// violation -> NotFound (the referenced row is missing), bad data ->
// Invalid, an unreachable or overloaded database or an expired context ->
// Unavailable, anything else -> Internal. An error that already is a
// *fault.Error is returned unchanged. The driver's text stays in Err, for
// logs only.
func translate(op string, err error) error { return translateMsg(op, err, msgs{}) }

func translateMsg(op string, err error, m msgs) error {
	if err == nil {
		return nil
	}
	if fault.As(err) != nil {
		return err
	}
	k := classify(err)
	e := &fault.Error{Op: op, Kind: k, Err: err}
	switch k {
	case fault.NotFound:
		e.Msg = m.notFound
	case fault.Conflict:
		e.Msg = m.conflict
	case fault.Unavailable:
		e.Msg = "The database is unavailable"
	}
	return e
}

func classify(err error) fault.Kind {
	if errors.Is(err, sql.ErrNoRows) {
		return fault.NotFound
	}
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return pgKind(pg.Code)
	}
	var lite *sqlite.Error
	if errors.As(err, &lite) {
		return sqliteKind(lite.Code())
	}
	if unreachable(err) {
		return fault.Unavailable
	}
	return fault.Internal
}

// pgKind maps a SQLSTATE (https://www.postgresql.org/docs/current/errcodes-appendix.html).
func pgKind(code string) fault.Kind {
	switch code {
	case "23505": // unique_violation
		return fault.Conflict
	case "23503": // foreign_key_violation
		return fault.NotFound
	case "40001", "40P01": // serialization_failure, deadlock_detected (after retries)
		return fault.Conflict
	case "57014", "57P01", "57P02", "57P03", "55P03": // canceled, shutdown, cannot connect now, lock not available
		return fault.Unavailable
	}
	switch code[:2] {
	case "22", "23": // data exception, other integrity violations (not null, check)
		return fault.Invalid
	case "08", "53": // connection exception, insufficient resources
		return fault.Unavailable
	}
	return fault.Internal
}

// sqliteKind maps a SQLite extended result code (https://sqlite.org/rescode.html).
func sqliteKind(code int) fault.Kind {
	switch code {
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		return fault.Conflict
	case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
		return fault.NotFound
	}
	switch code & 0xff {
	case sqlite3.SQLITE_CONSTRAINT, sqlite3.SQLITE_MISMATCH, sqlite3.SQLITE_TOOBIG, sqlite3.SQLITE_RANGE:
		return fault.Invalid
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_INTERRUPT,
		sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_FULL, sqlite3.SQLITE_NOLFS:
		return fault.Unavailable
	}
	return fault.Internal
}

// unreachable reports errors that mean "try again later": the server is
// down or refuses, the pool is closed, or the caller's deadline passed.
func unreachable(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) ||
		errors.Is(err, sql.ErrConnDone) || errors.Is(err, driver.ErrBadConn) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) {
		return true
	}
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) || pgconn.Timeout(err) {
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return true
	}
	// database/sql does not export its "closed" sentinel.
	return strings.Contains(err.Error(), "sql: database is closed")
}

// isUniqueViolation reports a unique-constraint error of either dialect.
func isUniqueViolation(err error) bool { return classify(err) == fault.Conflict && !isRetryable(err) }

// isRetryable reports a Postgres serialization failure or deadlock: the
// transaction lost a race and may succeed when run again.
func isRetryable(err error) bool {
	var pg *pgconn.PgError
	return errors.As(err, &pg) && (pg.Code == "40001" || pg.Code == "40P01")
}
