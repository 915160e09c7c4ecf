package sqlstore

import (
	"context"
	"errors"
	"time"

	"github.com/uptrace/bun/migrate"

	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/migrations"
)

// migrationLockWait bounds how long Migrate waits for another migrator's
// lock. A lock older than that is most likely left by a crashed process:
// delete its row from bun_migration_locks.
const migrationLockWait = 2 * time.Minute

// MigrationInfo describes one migration and whether it is applied.
type MigrationInfo struct {
	// Name is the migration's ID (the numeric file prefix).
	Name string
	// Comment is the rest of the file name, e.g. "init".
	Comment string
	// Applied reports whether the migration has run.
	Applied bool
	// GroupID is the batch it was applied in (0 when not applied);
	// MigrateDown rolls back the latest group.
	GroupID int64
	// MigratedAt is when it was applied (zero when not applied), in UTC.
	MigratedAt time.Time
}

func (s *Store) migrator() (*migrate.Migrator, error) {
	ms, err := migrations.For(s.dialect)
	if err != nil {
		return nil, err
	}
	return migrate.NewMigrator(s.w, ms), nil
}

// Migrate applies every pending migration, as one group, holding the
// migrator's lock so that several processes starting at once migrate one
// after another (the others then find nothing to do). Running it again is
// a no-op. It fails with Unavailable when the lock stays taken.
func (s *Store) Migrate(ctx context.Context) error {
	const op = "sqlstore.Migrate"
	return s.locked(ctx, op, func(m *migrate.Migrator) error {
		group, err := m.Migrate(ctx)
		if err != nil {
			return err
		}
		if !group.IsZero() {
			s.log.InfoContext(ctx, "database migrated", "dialect", s.dialect, "group", group.ID, "migrations", group.Migrations.String())
		}
		return nil
	})
}

// MigrateDown rolls back the last applied group of migrations (under the
// same lock as Migrate). With nothing applied it does nothing.
func (s *Store) MigrateDown(ctx context.Context) error {
	const op = "sqlstore.MigrateDown"
	return s.locked(ctx, op, func(m *migrate.Migrator) error {
		group, err := m.Rollback(ctx)
		if err != nil {
			return err
		}
		if !group.IsZero() {
			s.log.InfoContext(ctx, "database migrations rolled back", "dialect", s.dialect, "group", group.ID, "migrations", group.Migrations.String())
		}
		return nil
	})
}

// MigrationStatus lists every known migration in order, with whether it is
// applied. It creates the migrator's bookkeeping tables when missing.
func (s *Store) MigrationStatus(ctx context.Context) ([]MigrationInfo, error) {
	const op = "sqlstore.MigrationStatus"
	m, err := s.migrator()
	if err != nil {
		return nil, fault.Wrap(op, fault.Internal, err)
	}
	if err := s.initMigrator(ctx, m); err != nil {
		return nil, translate(op, err)
	}
	ms, err := m.MigrationsWithStatus(ctx)
	if err != nil {
		return nil, translate(op, err)
	}
	out := make([]MigrationInfo, 0, len(ms))
	for _, x := range ms {
		info := MigrationInfo{Name: x.Name, Comment: x.Comment, Applied: x.IsApplied(), GroupID: x.GroupID}
		if info.Applied {
			info.MigratedAt = x.MigratedAt.UTC()
		}
		out = append(out, info)
	}
	return out, nil
}

// locked runs fn under the migrator's lock.
func (s *Store) locked(ctx context.Context, op string, fn func(*migrate.Migrator) error) error {
	m, err := s.migrator()
	if err != nil {
		return fault.Wrap(op, fault.Internal, err)
	}
	if err := s.initMigrator(ctx, m); err != nil {
		return translate(op, err)
	}
	if err := s.lock(ctx, op, m); err != nil {
		return translate(op, err)
	}
	defer func() {
		// Unlock even when ctx is cancelled, or the next start would wait.
		uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if err := m.Unlock(uctx); err != nil {
			s.log.ErrorContext(ctx, "cannot release the migration lock", "err", err)
		}
	}()
	if err := fn(m); err != nil {
		return translate(op, err)
	}
	return nil
}

// initMigrator creates the bookkeeping tables. Concurrent CREATE TABLE IF
// NOT EXISTS can still collide on Postgres's catalog, so it retries.
func (s *Store) initMigrator(ctx context.Context, m *migrate.Migrator) error {
	var err error
	for i := range 5 {
		if err = m.Init(ctx); err == nil {
			return nil
		}
		if e := sleep(ctx, time.Duration(i+1)*20*time.Millisecond); e != nil {
			return errors.Join(err, e)
		}
	}
	return err
}

// lock takes the migrator's lock (a row in bun_migration_locks), waiting
// while another migrator holds it.
func (s *Store) lock(ctx context.Context, op string, m *migrate.Migrator) error {
	deadline := time.Now().Add(migrationLockWait)
	wait := 10 * time.Millisecond
	for {
		err := m.Lock(ctx)
		if err == nil {
			return nil
		}
		if !isUniqueViolation(err) {
			return err
		}
		if time.Now().After(deadline) {
			return &fault.Error{Op: op, Kind: fault.Unavailable, Msg: "The migration lock is held by another process", Err: err}
		}
		s.log.DebugContext(ctx, "migration lock is taken; waiting", "wait", wait)
		if e := sleep(ctx, wait); e != nil {
			return &fault.Error{Op: op, Kind: fault.Unavailable, Msg: "Gave up waiting for the migration lock", Err: e}
		}
		wait = min(2*wait, 500*time.Millisecond)
	}
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
