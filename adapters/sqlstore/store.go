// Package sqlstore is Secuird's durable storage adapter: Bun repositories
// over Postgres (pgx's database/sql driver) or SQLite (modernc.org/sqlite),
// one code base for both dialects.
//
// A Store implements ports.Transactor, ports.Pinger, ports.UserStore,
// ports.PasswordStore, ports.LinkTokenStore and ports.AuditLog. Every error
// it returns is a *fault.Error whose message never contains SQL.
//
// On SQLite the Store keeps one writer connection (SQLite allows one writer
// at a time; queueing in Go is cheaper than SQLITE_BUSY) and a separate
// read-only pool for reads outside transactions. Inside InTx every call made
// with the transaction's context uses the transaction; a write made from
// inside fn with an unrelated context would wait for the one writer
// connection that fn itself holds, so always pass fn's context on.
package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"strings"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/dialect/sqlitedialect"

	// Database drivers: "pgx" for Postgres, "sqlite" for SQLite.
	_ "github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite"

	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/migrations"
	"github.com/secuird/secuird/ports"
)

// Dialect names returned by Store.Dialect (the same names the migrations
// package takes).
const (
	DialectPostgres = migrations.Postgres
	DialectSQLite   = migrations.SQLite
)

// Default pool sizes.
const (
	defaultPostgresConns = 10
	defaultSQLiteReaders = 4
)

// Options tune a Store. The zero value is usable.
type Options struct {
	// Logger receives migration and housekeeping messages (nil: discard).
	Logger *slog.Logger
	// MaxOpenConns bounds the Postgres pool (default 10) or, on SQLite, the
	// read-only pool (default 4); SQLite always has exactly one writer.
	MaxOpenConns int
	// Schema, on Postgres, is created if missing and becomes the
	// connections' search_path, so tables and migration bookkeeping live
	// in it. It must be a lower-case SQL identifier. Ignored on SQLite.
	Schema string
}

// Store is the durable store. It is safe for concurrent use.
type Store struct {
	dialect string
	w       *bun.DB // writes, transactions (and reads on Postgres)
	r       *bun.DB // reads outside transactions (== w on Postgres)
	log     *slog.Logger
}

// The ports a Store implements.
var (
	_ ports.Transactor     = (*Store)(nil)
	_ ports.Pinger         = (*Store)(nil)
	_ ports.UserStore      = (*Store)(nil)
	_ ports.PasswordStore  = (*Store)(nil)
	_ ports.LinkTokenStore = (*Store)(nil)
	_ ports.AuditLog       = (*Store)(nil)
)

// Open connects to the database named by dsn and checks that it answers.
// It does not migrate; call Migrate.
//
// dsn is either a Postgres URL (postgres://... or postgresql://...) or a
// SQLite database: a file path, sqlite://PATH or a file: URI. Query
// parameters of either form are passed to the driver. Errors are Invalid
// for a malformed dsn or option and Unavailable when the database does not
// answer.
func Open(ctx context.Context, dsn string, opts Options) (*Store, error) {
	const op = "sqlstore.Open"
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if opts.MaxOpenConns < 0 {
		return nil, fault.E(op, fault.Invalid, "MaxOpenConns must not be negative")
	}
	var (
		s   *Store
		err error
	)
	if isPostgresDSN(dsn) {
		s, err = openPostgres(ctx, dsn, opts)
	} else {
		s, err = openSQLite(ctx, dsn, opts)
	}
	if err != nil {
		return nil, err
	}
	s.log = log
	return s, nil
}

func openPostgres(ctx context.Context, dsn string, opts Options) (*Store, error) {
	const op = "sqlstore.Open"
	if opts.Schema != "" && !validSchema(opts.Schema) {
		return nil, fault.E(op, fault.Invalid, "Schema must be a lower-case SQL identifier")
	}
	conn, err := postgresDSN(dsn, opts.Schema)
	if err != nil {
		return nil, &fault.Error{Op: op, Kind: fault.Invalid, Msg: "Malformed Postgres URL", Err: err}
	}
	sqldb, err := sql.Open("pgx", conn)
	if err != nil {
		return nil, &fault.Error{Op: op, Kind: fault.Invalid, Msg: "Malformed Postgres URL", Err: err}
	}
	n := opts.MaxOpenConns
	if n == 0 {
		n = defaultPostgresConns
	}
	sqldb.SetMaxOpenConns(n)
	sqldb.SetMaxIdleConns(n)
	db := bun.NewDB(sqldb, pgdialect.New())
	s := &Store{dialect: DialectPostgres, w: db, r: db}
	if opts.Schema != "" {
		if err := createSchema(ctx, db, opts.Schema); err != nil {
			_ = db.Close()
			return nil, translate(op, err)
		}
	}
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close()
		return nil, unavailable(op, err)
	}
	return s, nil
}

// createSchema creates the schema if it is missing. Two processes doing so
// at once can collide on the catalog's unique index; the loser retries and
// then sees the schema.
func createSchema(ctx context.Context, db *bun.DB, schema string) error {
	var err error
	for range 3 {
		_, err = db.ExecContext(ctx, "CREATE SCHEMA IF NOT EXISTS ?", bun.Ident(schema))
		if err == nil || !isUniqueViolation(err) {
			return err
		}
	}
	return err
}

func openSQLite(ctx context.Context, dsn string, opts Options) (*Store, error) {
	const op = "sqlstore.Open"
	cfg, err := parseSQLiteDSN(dsn)
	if err != nil {
		return nil, &fault.Error{Op: op, Kind: fault.Invalid, Msg: "Malformed SQLite database name", Err: err}
	}
	if err := cfg.prepareDir(); err != nil {
		return nil, &fault.Error{Op: op, Kind: fault.Unavailable, Msg: "Cannot create the database directory", Err: err}
	}
	wsql, err := sql.Open("sqlite", cfg.writerDSN())
	if err != nil {
		return nil, &fault.Error{Op: op, Kind: fault.Invalid, Msg: "Malformed SQLite database name", Err: err}
	}
	// One writer connection, kept open: an in-memory database lives only as
	// long as its connection.
	wsql.SetMaxOpenConns(1)
	wsql.SetMaxIdleConns(1)
	wsql.SetConnMaxLifetime(0)
	wsql.SetConnMaxIdleTime(0)
	w := bun.NewDB(wsql, sqlitedialect.New())
	// Opening the writer first creates the file and switches it to WAL, so
	// the read-only connections find it ready.
	if err := w.PingContext(ctx); err != nil {
		_ = w.Close()
		return nil, unavailable(op, err)
	}
	s := &Store{dialect: DialectSQLite, w: w, r: w}
	if cfg.memory {
		// Each connection to ":memory:" is its own database: reads must
		// share the writer.
		return s, nil
	}
	rsql, err := sql.Open("sqlite", cfg.readerDSN())
	if err != nil {
		_ = w.Close()
		return nil, &fault.Error{Op: op, Kind: fault.Invalid, Msg: "Malformed SQLite database name", Err: err}
	}
	n := opts.MaxOpenConns
	if n == 0 {
		n = defaultSQLiteReaders
	}
	rsql.SetMaxOpenConns(n)
	rsql.SetMaxIdleConns(n)
	s.r = bun.NewDB(rsql, sqlitedialect.New())
	if err := s.r.PingContext(ctx); err != nil {
		_ = s.Close()
		return nil, unavailable(op, err)
	}
	return s, nil
}

// Close closes every connection. Calls after Close fail with Unavailable.
func (s *Store) Close() error {
	err := s.w.Close()
	if s.r != s.w {
		err = errors.Join(err, s.r.Close())
	}
	if err != nil {
		return fault.Wrap("sqlstore.Close", fault.Internal, err)
	}
	return nil
}

// Dialect returns "pg" or "sqlite".
func (s *Store) Dialect() string { return s.dialect }

// Ping reports whether the database answers: nil, or Unavailable.
func (s *Store) Ping(ctx context.Context) error {
	const op = "sqlstore.Ping"
	if err := s.w.PingContext(ctx); err != nil {
		return unavailable(op, err)
	}
	if s.r != s.w {
		if err := s.r.PingContext(ctx); err != nil {
			return unavailable(op, err)
		}
	}
	return nil
}

func (s *Store) postgres() bool { return s.dialect == DialectPostgres }

// db returns what writes go through: the context's transaction, else the
// writer.
func (s *Store) db(ctx context.Context) bun.IDB {
	if tx := s.txFrom(ctx); tx != nil {
		return tx.tx
	}
	return s.w
}

// reader returns what reads go through: the context's transaction (to see
// its own writes), else the read pool.
func (s *Store) reader(ctx context.Context) bun.IDB {
	if tx := s.txFrom(ctx); tx != nil {
		return tx.tx
	}
	return s.r
}

func unavailable(op string, err error) error {
	return &fault.Error{Op: op, Kind: fault.Unavailable, Msg: "The database is unavailable", Err: err}
}

// validSchema accepts lower-case identifiers that need no quoting, so the
// search_path value and the created schema name agree.
func validSchema(s string) bool {
	if s == "" || len(s) > 63 {
		return false
	}
	for i, c := range s {
		switch {
		case c == '_', c >= 'a' && c <= 'z':
		case c >= '0' && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return !strings.HasPrefix(s, "pg_")
}
