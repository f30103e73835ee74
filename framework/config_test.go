package framework

import (
	"errors"
	"strings"
	"testing"
)

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	key := strings.Repeat("k", MinSecretKeyLen)
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
	t.Setenv("QUARRY_SECRET_KEY", strings.Repeat("s", 40))
	t.Setenv("QUARRY_ENV", " Prod ")
	c, err := ConfigFromEnv()
	if err != nil {
		t.Fatal(err)
	}
	if c.Env != EnvProd || c.Bind != ":9000" || c.DatabaseURL != "sqlite::memory:" || c.IsDev() {
		t.Errorf("config = %+v", c)
	}
}
