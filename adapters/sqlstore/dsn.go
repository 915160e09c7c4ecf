package sqlstore

import (
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

// isPostgresDSN reports whether dsn names a Postgres server.
func isPostgresDSN(dsn string) bool {
	l := strings.ToLower(dsn)
	return strings.HasPrefix(l, "postgres://") || strings.HasPrefix(l, "postgresql://")
}

// postgresDSN returns the URL handed to pgx: bun renders arguments into the
// SQL text itself, so pgx's default of preparing every statement only fills
// its cache; the simple protocol is one round trip (STACK-NOTES trap 14).
// A schema becomes the session's search_path.
func postgresDSN(dsn, schema string) (string, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return "", err
	}
	if u.Host == "" && !strings.Contains(u.RawQuery, "host=") {
		return "", errors.New("postgres URL without a host")
	}
	q := u.Query()
	if !q.Has("default_query_exec_mode") {
		q.Set("default_query_exec_mode", "simple_protocol")
	}
	if schema != "" {
		q.Set("search_path", schema)
	}
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// sqliteConfig is a parsed SQLite database name.
type sqliteConfig struct {
	name   string // a file path, or a file: URI without its query
	query  string // the caller's query parameters, raw
	uri    bool   // name is a file: URI
	memory bool   // an in-memory database
}

// parseSQLiteDSN accepts a plain file path, sqlite://PATH (sqlite:///abs
// for an absolute path) and file: URIs, each with optional query
// parameters for the driver (or, in a file: URI, for SQLite itself).
func parseSQLiteDSN(dsn string) (sqliteConfig, error) {
	var c sqliteConfig
	rest := dsn
	switch {
	case strings.HasPrefix(strings.ToLower(dsn), "sqlite://"):
		rest = dsn[len("sqlite://"):]
	case strings.HasPrefix(dsn, "file:"):
		c.uri = true
	case strings.Contains(dsn, "://"):
		return c, errors.New("unknown database URL scheme")
	}
	c.name, c.query, _ = strings.Cut(rest, "?")
	if c.name == "" || c.name == "file:" {
		return c, errors.New("empty SQLite database name")
	}
	if _, err := url.ParseQuery(c.query); err != nil {
		return c, err
	}
	q, _ := url.ParseQuery(c.query)
	c.memory = c.name == ":memory:" || c.name == "file::memory:" || (c.uri && q.Get("mode") == "memory")
	return c, nil
}

// prepareDir creates the parent directory of a plain database path, so
// the default "./data/secuird.db" works on a fresh machine, and creates the
// database file readable by its owner only: it holds password hashes.
// (SQLite creates the -wal and -shm files with the main file's mode.)
func (c sqliteConfig) prepareDir() error {
	if c.uri || c.memory {
		return nil
	}
	if dir := filepath.Dir(c.name); dir != "." && dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return err
		}
	}
	f, err := os.OpenFile(c.name, os.O_CREATE|os.O_RDONLY, 0o600)
	if err != nil {
		return err
	}
	return f.Close()
}

// writerDSN configures the one writer connection: WAL so readers never
// block it, a busy timeout for other processes, foreign keys on, NORMAL
// sync (durable in WAL mode except across power loss) and BEGIN IMMEDIATE
// so a transaction takes the write lock up front instead of failing to
// upgrade later (STACK-NOTES trap 15).
func (c sqliteConfig) writerDSN() string {
	q, _ := url.ParseQuery(c.query)
	add := url.Values{}
	if !hasPragma(q, "busy_timeout") && !q.Has("_busy_timeout") && !q.Has("_timeout") {
		add.Add("_pragma", "busy_timeout(10000)")
	}
	if !hasPragma(q, "foreign_keys") && !q.Has("_foreign_keys") && !q.Has("_fk") {
		add.Add("_pragma", "foreign_keys(1)")
	}
	if !c.memory && !hasPragma(q, "journal_mode") && !q.Has("_journal_mode") && !q.Has("_journal") {
		add.Add("_pragma", "journal_mode(WAL)")
	}
	if !hasPragma(q, "synchronous") && !q.Has("_synchronous") && !q.Has("_sync") {
		add.Add("_pragma", "synchronous(NORMAL)")
	}
	if !q.Has("_txlock") {
		add.Set("_txlock", "immediate")
	}
	return c.join(add)
}

// readerDSN configures the read pool: the same file, refusing writes.
func (c sqliteConfig) readerDSN() string {
	q, _ := url.ParseQuery(c.query)
	add := url.Values{}
	if !hasPragma(q, "busy_timeout") && !q.Has("_busy_timeout") && !q.Has("_timeout") {
		add.Add("_pragma", "busy_timeout(10000)")
	}
	add.Add("_pragma", "query_only(1)")
	return c.join(add)
}

func (c sqliteConfig) join(add url.Values) string {
	q := c.query
	if extra := add.Encode(); extra != "" {
		if q != "" {
			q += "&"
		}
		q += extra
	}
	if q == "" {
		return c.name
	}
	return c.name + "?" + q
}

func hasPragma(q url.Values, name string) bool {
	for _, v := range q["_pragma"] {
		if strings.HasPrefix(strings.ToLower(strings.TrimSpace(v)), name) {
			return true
		}
	}
	return false
}
