package framework

import (
	"errors"
	"strings"
	"testing"
)

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	key := "9f8a7c6b5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a"
	tests := []struct {
		name   string
		cfg    Config
		errHas string // empty: valid
		check  func(t *testing.T, c Config)
	}{
		{name: "dev defaults", cfg: Config{}, check: func(t *testing.T, c Config) {
			if c.Env != EnvDev || c.DatabaseURL != "sqlite:./var/app.db" || c.Bind != "127.0.0.1:8000" || len(c.SecretKey) < MinSecretKeyLen {
				t.Errorf("defaults = %+v", c)
			}
		}},
		{name: "prod complete", cfg: Config{Env: EnvProd, DatabaseURL: "postgres://u@h/db", SecretKey: key, Bind: ":8080"}},
		{name: "unknown env", cfg: Config{Env: "production"}, errHas: `QUARRY_ENV="production"`},
		{name: "prod without database", cfg: Config{Env: EnvProd, SecretKey: key}, errHas: "DATABASE_URL is required when QUARRY_ENV=prod"},
		{name: "prod without secret", cfg: Config{Env: EnvProd, DatabaseURL: "sqlite::memory:"}, errHas: "QUARRY_SECRET_KEY is required"},
		{name: "short secret", cfg: Config{Env: EnvStaging, DatabaseURL: "sqlite::memory:", SecretKey: "short"}, errHas: "QUARRY_SECRET_KEY is 5 characters"},
		{name: "placeholder secret in prod", cfg: Config{Env: EnvProd, DatabaseURL: "sqlite::memory:", SecretKey: "changeme-changeme-changeme-changeme"}, errHas: `looks like a placeholder (it contains "changeme")`},
		{name: "repetitive secret in prod", cfg: Config{Env: EnvProd, DatabaseURL: "sqlite::memory:", SecretKey: strings.Repeat("ab", 20)}, errHas: "only 2 distinct characters"},
		{name: "django-style insecure key", cfg: Config{Env: EnvStaging, DatabaseURL: "sqlite::memory:", SecretKey: "django-insecure-q8#w9e0r1t2y3u4i5o6p7a8s9d"}, errHas: "placeholder"},
		{name: "weak key allowed in dev", cfg: Config{Env: EnvDev, SecretKey: strings.Repeat("k", MinSecretKeyLen)}},
		{name: "short fallback", cfg: Config{Env: EnvProd, DatabaseURL: "sqlite::memory:", SecretKey: key, SecretKeyFallbacks: []string{"old"}}, errHas: "QUARRY_SECRET_KEY_FALLBACKS[0] is 3 characters"},
		{name: "bad database url", cfg: Config{DatabaseURL: "oracle://x"}, errHas: "DATABASE_URL: unknown database dialect"},
		{name: "bad bind", cfg: Config{Bind: "8000"}, errHas: `QUARRY_BIND="8000"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := tt.cfg
			err := c.Validate()
			if tt.errHas == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				if tt.check != nil {
					tt.check(t, c)
				}
				return
			}
			if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), tt.errHas) {
				t.Errorf("Validate = %v; want ErrConfig mentioning %q", err, tt.errHas)
			}
		})
	}
}

func TestConfigFromEnv(t *testing.T) {
	t.Setenv("DATABASE_URL", "sqlite::memory:")
	t.Setenv("QUARRY_BIND", ":9000")
	t.Setenv("QUARRY_SECRET_KEY", "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c")
	t.Setenv("QUARRY_SECRET_KEY_FALLBACKS", " 1f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c ,")
	t.Setenv("QUARRY_TRUSTED_PROXIES", "10.0.0.0/8, 127.0.0.1")
	t.Setenv("QUARRY_ENV", " Prod ")
	c, err := ConfigFromEnv()
	if err != nil {
		t.Fatal(err)
	}
	if c.Env != EnvProd || c.Bind != ":9000" || c.DatabaseURL != "sqlite::memory:" || c.IsDev() ||
		len(c.SecretKeyFallbacks) != 1 || len(c.TrustedProxies) != 2 {
		t.Errorf("config = %+v", c)
	}
	signed := c.Keys().SignString("test", "v")
	old := Config{SecretKey: c.SecretKeyFallbacks[0]}
	if _, err := c.Keys().Unsign("test", old.Keys().SignString("test", "v")); err != nil {
		t.Errorf("a value signed with the fallback key does not verify: %v", err)
	}
	if _, err := old.Keys().Unsign("test", signed); err == nil {
		t.Error("a value signed with the new key verifies under the old one alone")
	}

	t.Setenv("QUARRY_TRUSTED_PROXIES", "10.0.0.0/8, proxy.example")
	if _, err := ConfigFromEnv(); !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), `QUARRY_TRUSTED_PROXIES: "proxy.example"`) {
		t.Errorf("bad proxies: %v", err)
	}
}
