// Package migrations embeds Secuird's SQL schema migrations, one folder per
// dialect (postgres/ and sqlite/) with identical migration IDs, and hands
// them to Bun's migrator.
//
// Files are named NNNNN_comment.tx.up.sql and NNNNN_comment.tx.down.sql:
// the ".tx" infix makes Bun run each file in one transaction, so a failed
// migration leaves no half-built schema behind (both Postgres and SQLite
// have transactional DDL). Statements inside a file are separated by a
// "--bun:split" line.
package migrations

import (
	"embed"
	"fmt"
	"io/fs"

	"github.com/uptrace/bun/migrate"
)

//go:embed postgres/*.sql sqlite/*.sql
var files embed.FS

// Dialect names accepted by For.
const (
	Postgres = "pg"
	SQLite   = "sqlite"
)

// FS returns the embedded migration files of a dialect ("pg", "postgres"
// or "sqlite"), rooted at the dialect's folder.
func FS(dialect string) (fs.FS, error) {
	var dir string
	switch dialect {
	case Postgres, "postgres", "postgresql":
		dir = "postgres"
	case SQLite, "sqlite3":
		dir = "sqlite"
	default:
		return nil, fmt.Errorf("migrations: unknown dialect %q", dialect)
	}
	return fs.Sub(files, dir)
}

// For returns the migrations of a dialect ("pg", "postgres" or "sqlite"),
// ready for migrate.NewMigrator.
func For(dialect string) (*migrate.Migrations, error) {
	sub, err := FS(dialect)
	if err != nil {
		return nil, err
	}
	ms := migrate.NewMigrations()
	if err := ms.Discover(sub); err != nil {
		return nil, fmt.Errorf("migrations: %s: %w", dialect, err)
	}
	return ms, nil
}
