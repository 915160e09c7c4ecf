package core_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// module is the module path; every rule below is relative to it.
const module = "github.com/secuird/secuird"

// leaves are the core packages that hold entities and rules: they import the
// standard library and each other, nothing else (ARCHITECTURE.md 2). Listed
// here even before they exist, so a new leaf is checked from its first line.
var leaves = []string{
	module + "/core/fault",
	module + "/core/identity",
	module + "/core/audit",
	module + "/core/message",
	module + "/core/mfa",
	module + "/core/org",
	module + "/core/oidc",
}

// stdlibOnly are leaves that may not even import other leaves.
var stdlibOnly = []string{module + "/core/fault"}

// forbidden are import path prefixes no core package may depend on, directly
// or through another package: frameworks, storage and protocol libraries,
// database drivers, and the outer layers of this module.
var forbidden = []struct{ prefix, why string }{
	{"github.com/gofiber", "the HTTP framework belongs in adapters"},
	{"github.com/valyala/fasthttp", "the HTTP server belongs in adapters"},
	{"github.com/uptrace/bun", "the ORM belongs in adapters"},
	{"github.com/redis/rueidis", "the Redis client belongs in adapters"},
	{"github.com/redis/go-redis", "a Redis client belongs in adapters"},
	{"github.com/zitadel", "the OpenID Provider library belongs in adapters"},
	{"github.com/go-webauthn", "the WebAuthn library belongs in adapters"},
	{"github.com/pquerna", "the OTP library belongs in adapters"},
	{"github.com/jackc", "a database driver belongs in adapters"},
	{"github.com/lib/pq", "a database driver belongs in adapters"},
	{"modernc.org/sqlite", "a database driver belongs in adapters"},
	{"github.com/mattn/go-sqlite3", "a database driver belongs in adapters"},
	{"github.com/ncruces/go-sqlite3", "a database driver belongs in adapters"},
	{"github.com/glebarez/sqlite", "a database driver belongs in adapters"},
	{"github.com/go-sql-driver/mysql", "a database driver belongs in adapters"},
	{"database/sql", "storage belongs in adapters; they translate its errors to fault kinds"},
	{module + "/adapters", "the core never imports an adapter"},
	{module + "/app", "the core never imports the wiring"},
	{module + "/web", "the core never imports templates or assets"},
	{module + "/migrations", "the core never imports migrations"},
}

// pkg is the part of `go list -json` output the rules read.
type pkg struct {
	ImportPath string
	Standard   bool
	Imports    []string
	Deps       []string // transitive, without test-only imports
}

// under reports whether path is prefix or inside it.
func under(path, prefix string) bool {
	return path == prefix || strings.HasPrefix(path, prefix+"/")
}

// violations checks the dependency rules on pkgs (the output of
// `go list -deps`: the checked packages and everything they depend on) and
// returns one line per broken rule, sorted.
func violations(pkgs []pkg) []string {
	byPath := make(map[string]pkg, len(pkgs))
	for _, p := range pkgs {
		byPath[p.ImportPath] = p
	}
	std := func(path string) bool {
		if p, ok := byPath[path]; ok {
			return p.Standard
		}
		// Unknown to go list (it failed to resolve): standard library paths
		// have no dot in their first element.
		first, _, _ := strings.Cut(path, "/")
		return !strings.Contains(first, ".")
	}

	var out []string
	report := func(p, dep, why string) {
		out = append(out, fmt.Sprintf("%s depends on %s: %s", p, dep, why))
	}
	for _, p := range pkgs {
		path := p.ImportPath
		switch {
		case under(path, module+"/core"):
			for _, d := range p.Deps {
				for _, f := range forbidden {
					if under(d, f.prefix) {
						report(path, d, f.why)
					}
				}
				if under(d, module) && !under(d, module+"/core") && d != module+"/ports" {
					if !slices.ContainsFunc(forbidden, func(f struct{ prefix, why string }) bool { return under(d, f.prefix) }) {
						report(path, d, "the core imports only core packages and ports from this module")
					}
				}
			}
			switch {
			case slices.Contains(stdlibOnly, path):
				for _, d := range p.Deps {
					if !std(d) {
						report(path, d, "this leaf imports only the standard library")
					}
				}
			case slices.Contains(leaves, path):
				for _, d := range p.Deps {
					if !std(d) && !slices.Contains(leaves, d) {
						report(path, d, "a core leaf imports only the standard library and other leaves")
					}
				}
			}
		case path == module+"/ports":
			for _, d := range p.Deps {
				if !std(d) && !slices.Contains(leaves, d) {
					report(path, d, "ports imports only the standard library and core leaves")
				}
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// listDeps runs `go list -deps` over core and ports from the module root.
func listDeps(t *testing.T) []pkg {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("module root not found above core/: %v", err)
	}
	cmd := exec.CommandContext(t.Context(), "go", "list", "-e", "-deps",
		"-json=ImportPath,Standard,Imports,Deps", "./core/...", "./ports")
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	var pkgs []pkg
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p pkg
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("decoding go list output: %v", err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

func TestCoreAndPortsDependOnlyOnWhatTheArchitectureAllows(t *testing.T) {
	t.Parallel()
	pkgs := listDeps(t)
	// Guard against a vacuous pass: the listing must cover what we check.
	for _, want := range []string{module + "/core/fault", module + "/ports"} {
		if !slices.ContainsFunc(pkgs, func(p pkg) bool { return p.ImportPath == want }) {
			t.Fatalf("go list did not report %s; the check would prove nothing", want)
		}
	}
	for _, v := range violations(pkgs) {
		t.Error(v)
	}
}

func TestCheckerCatchesViolations(t *testing.T) {
	t.Parallel()
	std := func(paths ...string) []pkg {
		var out []pkg
		for _, p := range paths {
			out = append(out, pkg{ImportPath: p, Standard: true})
		}
		return out
	}
	// with returns a fresh graph of some standard packages plus ps.
	with := func(ps ...pkg) []pkg { return append(std("context", "errors", "time", "database/sql"), ps...) }
	third := func(path string, deps ...string) pkg { return pkg{ImportPath: path, Imports: deps, Deps: deps} }
	cases := []struct {
		name string
		pkgs []pkg
		want []string // substrings, one per expected violation
	}{
		{
			name: "accepts the intended layering",
			pkgs: with(
				third(module+"/core/fault", "errors"),
				third(module+"/core/identity", "time", module+"/core/fault"),
				third(module+"/ports", "context", module+"/core/identity", module+"/core/fault"),
				third(module+"/core/account", "context", module+"/ports", module+"/core/identity", "golang.org/x/text/cases"),
				third("golang.org/x/text/cases", "errors"),
			),
		},
		{
			name: "rejects a use case importing Fiber",
			pkgs: with(third(module+"/core/account", "github.com/gofiber/fiber/v2")),
			want: []string{"core/account depends on github.com/gofiber/fiber/v2"},
		},
		{
			name: "rejects a database driver reached through another library",
			pkgs: with(
				third(module+"/core/account", "example.com/helper", "modernc.org/sqlite"),
				third("example.com/helper", "modernc.org/sqlite"),
			),
			want: []string{"core/account depends on modernc.org/sqlite"},
		},
		{
			name: "rejects database/sql in the core",
			pkgs: with(third(module+"/core/account", "database/sql")),
			want: []string{"core/account depends on database/sql"},
		},
		{
			name: "rejects a core package importing an adapter",
			pkgs: with(third(module+"/core/account", module+"/adapters/sqlstore")),
			want: []string{"core/account depends on " + module + "/adapters/sqlstore"},
		},
		{
			name: "rejects a core package importing the port test suites",
			pkgs: with(third(module+"/core/account", module+"/ports/porttest")),
			want: []string{"only core packages and ports"},
		},
		{
			name: "rejects a leaf importing a third-party module",
			pkgs: with(third(module+"/core/identity", "github.com/google/uuid")),
			want: []string{"core/identity depends on github.com/google/uuid: a core leaf"},
		},
		{
			name: "rejects a leaf importing ports",
			pkgs: with(third(module+"/core/message", module+"/ports")),
			want: []string{"core/message depends on " + module + "/ports: a core leaf"},
		},
		{
			name: "rejects fault importing another leaf",
			pkgs: with(third(module+"/core/fault", module+"/core/identity")),
			want: []string{"core/fault depends on " + module + "/core/identity: this leaf"},
		},
		{
			name: "rejects ports importing a use case",
			pkgs: with(third(module+"/ports", module+"/core/account")),
			want: []string{"ports depends on " + module + "/core/account"},
		},
		{
			name: "rejects ports importing a third-party module",
			pkgs: with(third(module+"/ports", "github.com/uptrace/bun")),
			want: []string{"ports depends on github.com/uptrace/bun"},
		},
		{
			name: "matches prefixes on path boundaries only",
			pkgs: with(
				third(module+"/core/account", "github.com/jackcontrol/x", module+"/application"),
				third("github.com/jackcontrol/x"),
			),
			want: []string{"depends on " + module + "/application: the core imports only"},
		},
		{
			name: "treats an unresolved dotted path as third-party",
			pkgs: with(third(module+"/core/audit", "example.com/missing")),
			want: []string{"core/audit depends on example.com/missing"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := violations(tc.pkgs)
			if len(got) != len(tc.want) {
				t.Fatalf("violations = %q, want %d matching %q", got, len(tc.want), tc.want)
			}
			for i, w := range tc.want {
				if !strings.Contains(got[i], w) {
					t.Errorf("violation %q does not mention %q", got[i], w)
				}
			}
		})
	}
}
