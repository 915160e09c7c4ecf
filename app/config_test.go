package app

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestLoad(t *testing.T) {
	t.Parallel()
	t.Run("needs no settings at all", func(t *testing.T) {
		c, err := Load(env(nil))
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Validate(); err != nil {
			t.Fatal(err)
		}
		if c.Addr != ":8080" || c.PublicURL != "http://localhost:8080" || c.DatabaseURL != "" || c.RedisURL != "" || c.BcryptCost != 12 {
			t.Fatalf("defaults: %+v", c)
		}
	})
	t.Run("takes overrides from the environment", func(t *testing.T) {
		c, err := Load(env(map[string]string{
			"SECUIRD_ADDR": "127.0.0.1:9000", "SECUIRD_PUBLIC_URL": "https://id.example.com/", "BCRYPT_LOG_ROUNDS": "11",
			"CORS_ORIGINS": "https://a.example.com, https://b.example.com", "RATE_LIMIT_LOGIN": "5/min",
			"SECUIRD_SESSION_IDLE_TIMEOUT": "30m", "SECUIRD_AUTO_MIGRATE": "false",
		}))
		if err != nil {
			t.Fatal(err)
		}
		if c.Addr != "127.0.0.1:9000" || c.PublicURL != "https://id.example.com" || c.BcryptCost != 11 || len(c.CORSOrigins) != 2 ||
			c.RateLimit.Login != "5/min" || c.Session.IdleTimeout.Minutes() != 30 || c.AutoMigrate {
			t.Fatalf("overrides: %+v", c)
		}
	})
	t.Run("reports every malformed value at once", func(t *testing.T) {
		_, err := Load(env(map[string]string{"BCRYPT_LOG_ROUNDS": "many", "SECUIRD_AUTO_MIGRATE": "perhaps", "SECUIRD_SESSION_TTL": "forever"}))
		if err == nil {
			t.Fatal("accepted")
		}
		for _, name := range []string{"BCRYPT_LOG_ROUNDS", "SECUIRD_AUTO_MIGRATE", "SECUIRD_SESSION_TTL"} {
			if !strings.Contains(err.Error(), name) {
				t.Errorf("%s not reported: %v", name, err)
			}
		}
	})
	t.Run("test profile lowers bcrypt cost and disables rate limits", func(t *testing.T) {
		c, _ := Load(env(map[string]string{"SECUIRD_ENV": "test"}))
		if c.BcryptCost != 4 || c.RateLimit.Enabled {
			t.Fatalf("test profile: %+v", c)
		}
	})
}

func TestValidate(t *testing.T) {
	t.Parallel()
	t.Run("production refuses development shortcuts, naming each", func(t *testing.T) {
		c, _ := Load(env(map[string]string{"SECUIRD_ENV": "production", "BCRYPT_LOG_ROUNDS": "4", "SECUIRD_WEBAUTHN_PASSWORDLESS_UV": "discouraged"}))
		err := c.Validate()
		if err == nil {
			t.Fatal("production started without secrets")
		}
		for _, name := range []string{"SECRET_KEY", "ENCRYPTION_KEY", "SECUIRD_PUBLIC_URL", "BCRYPT_LOG_ROUNDS", "SECUIRD_WEBAUTHN_PASSWORDLESS_UV"} {
			if !strings.Contains(err.Error(), name) {
				t.Errorf("%s not reported: %v", name, err)
			}
		}
	})
	t.Run("production starts with real secrets", func(t *testing.T) {
		c, _ := Load(env(map[string]string{
			"SECUIRD_ENV": "production", "SECUIRD_PUBLIC_URL": "https://id.example.com",
			"SECRET_KEY": strings.Repeat("s", 40), "ENCRYPTION_KEY": strings.Repeat("e", 40),
		}))
		if err := c.Validate(); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("passkey user verification is required unless set", func(t *testing.T) {
		c, _ := Load(env(nil))
		if c.WebAuthnPasswordlessUV != "required" {
			t.Fatalf("default: %q", c.WebAuthnPasswordlessUV)
		}
		for _, v := range []string{"required", "preferred", "discouraged"} {
			c, _ := Load(env(map[string]string{"SECUIRD_WEBAUTHN_PASSWORDLESS_UV": v}))
			if err := c.Validate(); err != nil || c.WebAuthnPasswordlessUV != v {
				t.Fatalf("%s in development: %q, %v", v, c.WebAuthnPasswordlessUV, err)
			}
		}
		c, _ = Load(env(map[string]string{
			"SECUIRD_ENV": "production", "SECUIRD_PUBLIC_URL": "https://id.example.com", "SECUIRD_WEBAUTHN_PASSWORDLESS_UV": "preferred",
			"SECRET_KEY": strings.Repeat("s", 40), "ENCRYPTION_KEY": strings.Repeat("e", 40),
		}))
		if err := c.Validate(); err != nil {
			t.Fatalf("preferred in production: %v", err)
		}
	})
	bad := []struct{ name, key, value string }{
		{"unknown environment", "SECUIRD_ENV", "staging"},
		{"relative public URL", "SECUIRD_PUBLIC_URL", "id.example.com"},
		{"foreign database scheme", "DATABASE_URL", "mysql://x"},
		{"foreign redis scheme", "REDIS_URL", "memcache://x"},
		{"unparsable rate limit", "RATE_LIMIT_LOGIN", "lots"},
		{"CORS origin with a path", "CORS_ORIGINS", "https://a.example.com/app"},
		{"unknown log level", "SECUIRD_LOG_LEVEL", "loud"},
		{"unknown passkey user verification", "SECUIRD_WEBAUTHN_PASSWORDLESS_UV", "sometimes"},
	}
	for _, b := range bad {
		t.Run("rejects "+b.name, func(t *testing.T) {
			c, _ := Load(env(map[string]string{b.key: b.value}))
			if err := c.Validate(); err == nil || !strings.Contains(err.Error(), b.key) {
				t.Fatalf("%s=%q: %v", b.key, b.value, err)
			}
		})
	}
}

func TestDevelopmentSecretsPersist(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	c := Config{Env: EnvDevelopment, DataDir: dir}
	var logs bytes.Buffer
	log := NewLogger(Config{LogLevel: "info", LogFormat: "json"}, &logs)
	if err := ensureSecrets(&c, log); err != nil {
		t.Fatal(err)
	}
	if len(c.SecretKey) < 32 || len(c.EncryptionKey) < 32 || c.SecretKey == c.EncryptionKey {
		t.Fatalf("generated secrets: %q %q", c.SecretKey, c.EncryptionKey)
	}
	if strings.Contains(logs.String(), c.SecretKey) || !strings.Contains(logs.String(), "generated development secrets") {
		t.Fatalf("log: %s", logs.String())
	}
	st, err := os.Stat(filepath.Join(dir, "secrets.json"))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("secrets file: %v %v", st, err)
	}
	again := Config{Env: EnvDevelopment, DataDir: dir}
	if err := ensureSecrets(&again, log); err != nil {
		t.Fatal(err)
	}
	if again.SecretKey != c.SecretKey || again.EncryptionKey != c.EncryptionKey {
		t.Fatal("a restart generated new secrets")
	}
}
