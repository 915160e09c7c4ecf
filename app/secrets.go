package app

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
)

// devSecrets is the file that keeps generated development secrets, so a
// restart does not invalidate what they protect.
type devSecrets struct {
	SecretKey     string `json:"secret_key"`
	EncryptionKey string `json:"encryption_key"`
}

// ensureSecrets fills missing SECRET_KEY / ENCRYPTION_KEY outside production
// from <data dir>/secrets.json, generating and persisting them (mode 0600)
// the first time, and says so in the log. Production never gets here with
// missing secrets: Validate refuses them.
func ensureSecrets(c *Config, log *slog.Logger) error {
	if c.SecretKey != "" && c.EncryptionKey != "" {
		return nil
	}
	if c.Env == EnvProduction {
		return errors.New("secrets missing in production")
	}
	path := filepath.Join(c.DataDir, "secrets.json")
	var s devSecrets
	raw, err := os.ReadFile(path)
	switch {
	case err == nil:
		if err := json.Unmarshal(raw, &s); err != nil {
			return fmt.Errorf("read %s: %w", path, err)
		}
	case errors.Is(err, fs.ErrNotExist):
	default:
		return fmt.Errorf("read %s: %w", path, err)
	}
	changed := false
	gen := func(dst *string) {
		if *dst == "" {
			var b [32]byte
			_, _ = rand.Read(b[:])
			*dst = base64.RawURLEncoding.EncodeToString(b[:])
			changed = true
		}
	}
	gen(&s.SecretKey)
	gen(&s.EncryptionKey)
	if changed {
		if err := os.MkdirAll(c.DataDir, 0o700); err != nil {
			return fmt.Errorf("create data dir: %w", err)
		}
		out, _ := json.MarshalIndent(s, "", "  ")
		if err := os.WriteFile(path, out, 0o600); err != nil {
			return fmt.Errorf("write %s: %w", path, err)
		}
		log.Warn("generated development secrets; set SECRET_KEY and ENCRYPTION_KEY in production", "file", path)
	} else {
		log.Info("using development secrets from the data dir", "file", path)
	}
	if c.SecretKey == "" {
		c.SecretKey = s.SecretKey
	}
	if c.EncryptionKey == "" {
		c.EncryptionKey = s.EncryptionKey
	}
	return nil
}
