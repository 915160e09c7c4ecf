package sqlstore

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/uptrace/bun/migrate"

	"github.com/secuird/secuird/core/audit"
	"github.com/secuird/secuird/migrations"
	"github.com/secuird/secuird/ports/porttest/testenv"
)

// Rows written before migration 00004 join their chains as legacy rows:
// numbered in time order, unhashed, reported as such, and followed by
// properly chained rows.
func TestAuditChainMigrationKeepsLegacyRows(t *testing.T) {
	t.Parallel()
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		s, err := Open(t.Context(), filepath.Join(t.TempDir(), "legacy.db"), Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close() })
		testLegacyRows(t, s)
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		dbURL := testenv.PostgresURL(t)
		var b [6]byte
		_, _ = rand.Read(b[:])
		schema := "t_" + hex.EncodeToString(b[:])
		t.Cleanup(func() {
			db, err := sql.Open("pgx", dbURL)
			if err != nil {
				return
			}
			defer db.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			_, _ = db.ExecContext(ctx, "DROP SCHEMA IF EXISTS "+schema+" CASCADE")
		})
		s, err := Open(t.Context(), dbURL, Options{Schema: schema})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close() })
		testLegacyRows(t, s)
	})
}

func testLegacyRows(t *testing.T, s *Store) {
	ctx := t.Context()
	// Migrate to 00001 only: the schema before chaining.
	all, err := migrations.FS(s.dialect)
	if err != nil {
		t.Fatal(err)
	}
	first := fstest.MapFS{}
	for _, name := range []string{"00001_init.tx.up.sql", "00001_init.tx.down.sql"} {
		b, err := fs.ReadFile(all, name)
		if err != nil {
			t.Fatal(err)
		}
		first[name] = &fstest.MapFile{Data: b}
	}
	ms := migrate.NewMigrations()
	if err := ms.Discover(first); err != nil {
		t.Fatal(err)
	}
	m := migrate.NewMigrator(s.w, ms)
	if err := m.Init(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	base := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	legacy := []struct {
		id, org string
		sec     int
	}{
		{"l3", "org-a", 3}, {"l1", "", 1}, {"l2", "org-a", 2}, {"l4", "", 4}, {"l0", "org-a", 0},
	}
	for _, l := range legacy {
		var org any
		if l.org != "" {
			org = l.org
		}
		err := s.ExecRaw(ctx, "INSERT INTO audit_logs (id, created_at, action, organization_id, success, extra_data) VALUES (?, ?, ?, ?, ?, ?)",
			l.id, base.Add(time.Duration(l.sec)*time.Second), audit.UserLogin, org, true, `{"old": true}`)
		if err != nil {
			t.Fatal(err)
		}
	}

	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("Migrate over legacy rows: %v", err)
	}
	v, err := s.VerifyAudit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !v.Intact() || len(v.Chains) != 2 || v.Chains[0].Legacy != 2 || v.Chains[1].Legacy != 3 || v.Chains[1].HeadSeq != 3 {
		t.Fatalf("VerifyAudit after the migration = %+v", v)
	}
	// Legacy rows are numbered in time order per chain.
	got, _, err := s.ListAudit(ctx, audit.Filter{OrgID: "org-a"})
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, e := range got {
		order = append(order, e.ID+":"+strconv.FormatInt(e.Seq, 10))
		if e.Hash != "" || e.PrevHash != "" || e.Extra["old"] != true {
			t.Errorf("legacy entry %+v", e)
		}
	}
	if strings.Join(order, " ") != "l3:3 l2:2 l0:1" {
		t.Fatalf("legacy order (newest first) = %v", order)
	}

	// New rows continue each chain.
	for _, org := range []string{"org-a", "", "org-a"} {
		if err := s.AppendAudit(ctx, audit.Entry{ID: "n-" + org + time.Now().String(), At: time.Now(), OrgID: org, Action: audit.UserLogout}); err != nil {
			t.Fatal(err)
		}
	}
	v, err = s.VerifyAudit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !v.Intact() || v.Chains[0].HeadSeq != 3 || v.Chains[1].HeadSeq != 5 || v.Chains[1].Legacy != 3 {
		t.Fatalf("VerifyAudit after new rows = %+v", v)
	}
	got, _, err = s.ListAudit(ctx, audit.Filter{OrgID: "org-a", Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	if got[1].Seq != 4 || got[1].PrevHash != "" || got[0].PrevHash != got[1].Hash {
		t.Fatalf("first chained rows after legacy ones: %+v", got)
	}
}
