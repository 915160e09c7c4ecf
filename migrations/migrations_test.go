package migrations

import (
	"io/fs"
	"slices"
	"strings"
	"testing"
)

func TestForKnowsBothDialects(t *testing.T) {
	t.Parallel()
	for _, d := range []string{Postgres, "postgres", SQLite} {
		ms, err := For(d)
		if err != nil {
			t.Fatalf("For(%q): %v", d, err)
		}
		sorted := ms.Sorted()
		if len(sorted) == 0 {
			t.Fatalf("For(%q): no migrations", d)
		}
		for _, m := range sorted {
			if m.Up == nil || m.Down == nil {
				t.Errorf("For(%q): migration %s lacks an up or a down file", d, m.Name)
			}
		}
	}
}

func TestForRejectsUnknownDialect(t *testing.T) {
	t.Parallel()
	if _, err := For("mysql"); err == nil {
		t.Fatal("For(mysql) succeeded")
	}
}

func TestDialectsHaveTheSameFiles(t *testing.T) {
	t.Parallel()
	names := func(d string) []string {
		sub, err := FS(d)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		err = fs.WalkDir(sub, ".", func(p string, e fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !e.IsDir() {
				if !strings.HasSuffix(p, ".tx.up.sql") && !strings.HasSuffix(p, ".tx.down.sql") {
					t.Errorf("%s/%s: want NNNNN_name.tx.up.sql or .tx.down.sql", d, p)
				}
				out = append(out, p)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	pg, lite := names(Postgres), names(SQLite)
	if !slices.Equal(pg, lite) {
		t.Fatalf("postgres files %v differ from sqlite files %v", pg, lite)
	}
}
