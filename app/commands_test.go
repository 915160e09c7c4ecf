package app

import (
	"bytes"
	"strings"
	"testing"
)

func TestMain_Commands(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	vars := map[string]string{"SECUIRD_ENV": "test", "SECUIRD_DATA_DIR": dir}
	run := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := Main(args, env(vars), &out, &errb)
		return code, out.String(), errb.String()
	}
	t.Run("help lists every command", func(t *testing.T) {
		code, out, _ := run("--help")
		for _, c := range []string{"serve", "migrate up", "migrate down", "migrate status", "seed", "version"} {
			if !strings.Contains(out, c) {
				t.Errorf("help lacks %q", c)
			}
		}
		if code != 0 {
			t.Fatalf("exit %d", code)
		}
	})
	t.Run("each command has --help", func(t *testing.T) {
		for _, c := range []string{"serve", "migrate", "seed", "version"} {
			code, _, errOut := run(c, "--help")
			if code != 0 || !strings.Contains(errOut, "Usage: secuird "+c) {
				t.Errorf("%s --help: exit %d, %q", c, code, errOut)
			}
		}
	})
	t.Run("version prints the version", func(t *testing.T) {
		code, out, _ := run("version")
		if code != 0 || !strings.HasPrefix(out, "secuird ") {
			t.Fatalf("exit %d, %q", code, out)
		}
	})
	t.Run("unknown command fails with usage", func(t *testing.T) {
		code, _, errOut := run("frobnicate")
		if code != 2 || !strings.Contains(errOut, "unknown command") {
			t.Fatalf("exit %d, %q", code, errOut)
		}
	})
	t.Run("invalid configuration is reported and exits 2", func(t *testing.T) {
		var out, errb bytes.Buffer
		code := Main([]string{"migrate", "status"}, env(map[string]string{"BCRYPT_LOG_ROUNDS": "x"}), &out, &errb)
		if code != 2 || !strings.Contains(errb.String(), "BCRYPT_LOG_ROUNDS") {
			t.Fatalf("exit %d, %q", code, errb.String())
		}
	})
	t.Run("migrate status, down and up", func(t *testing.T) {
		if code, out, e := run("migrate", "status"); code != 0 || !strings.Contains(out, "pending") {
			t.Fatalf("status before: %d %q %q", code, out, e)
		}
		if code, _, e := run("migrate", "up"); code != 0 {
			t.Fatalf("up: %d %q", code, e)
		}
		if code, out, _ := run("migrate", "status"); code != 0 || !strings.Contains(out, "applied") || strings.Contains(out, "pending") {
			t.Fatalf("status after up: %q", out)
		}
		if code, _, e := run("migrate", "down"); code != 0 {
			t.Fatalf("down: %d %q", code, e)
		}
		if code, _, e := run("migrate", "sideways"); code != 1 || !strings.Contains(e, "unknown action") {
			t.Fatalf("bad action: %d %q", code, e)
		}
	})
	t.Run("seed creates the development accounts once", func(t *testing.T) {
		code, out, e := run("seed")
		// 12 users, 3 organizations and the 4 OIDC clients of SEED-SPEC 16.
		if code != 0 || strings.Count(out, "created") != 19 {
			t.Fatalf("first seed: %d %q %q", code, out, e)
		}
		code, out, _ = run("seed")
		if code != 0 || strings.Count(out, "exists") != 19 || strings.Contains(out, "created") {
			t.Fatalf("second seed: %d %q", code, out)
		}
	})
}
