package app_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestOIDCWithNodeOpenIDClient runs an independent relying party written
// with the npm package openid-client (app/testdata/rp-node, installed by
// .ci/run with npm ci) against a running server: discovery, code + PKCE
// through the hosted login form, userinfo, refresh and revocation. It
// skips when node or node_modules are missing, unless
// SECUIRD_TEST_REQUIRE_SERVICES=1.
func TestOIDCWithNodeOpenIDClient(t *testing.T) {
	t.Parallel()
	dir := filepath.Join("testdata", "rp-node")
	node, err := exec.LookPath("node")
	missing := ""
	switch {
	case err != nil:
		missing = "node is not installed"
	default:
		if _, err := os.Stat(filepath.Join(dir, "node_modules", "openid-client")); err != nil {
			missing = "run (cd app/testdata/rp-node && npm ci)"
		}
	}
	if missing != "" {
		if os.Getenv("SECUIRD_TEST_REQUIRE_SERVICES") == "1" {
			t.Fatalf("openid-client relying party: %s", missing)
		}
		t.Skipf("openid-client relying party: %s", missing)
	}
	s := startOIDC(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "rp.mjs", s.url, portalID, portalSecret, portalRedirect, bobEmail, bobPassword) // #nosec G204 -- test fixture
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.HasSuffix(strings.TrimSpace(string(out)), "OK") {
		t.Fatalf("openid-client relying party failed: %v\n%s", err, out)
	}
	t.Logf("%s", out)
}
