package framework

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"strings"

	"github.com/quarry-go/quarry/dialects"
)

// Env is the deployment environment.
type Env string

// The environments. Dev relaxes defaults (SQLite under ./var, a throwaway
// secret key, non-Secure cookies); the others require explicit settings.
const (
	EnvDev     Env = "dev"
	EnvTest    Env = "test"
	EnvStaging Env = "staging"
	EnvProd    Env = "prod"
)

// Config is the application's configuration.
type Config struct {
	// DatabaseURL (DATABASE_URL) names the database; see package dialects.
	// Default in dev and test: sqlite:./var/app.db. Required otherwise.
	DatabaseURL string
	// Bind (QUARRY_BIND) is the listen address. Default: 127.0.0.1:8000.
	Bind string
	// SecretKey (QUARRY_SECRET_KEY) signs sessions and tokens; at least 32
	// characters. In dev and test a random key is made when unset (sessions
	// then do not survive a restart); required otherwise.
	SecretKey string
	// Env (QUARRY_ENV) is dev, test, staging or prod. Default: dev.
	Env Env
}

// MinSecretKeyLen is the shortest accepted QUARRY_SECRET_KEY.
const MinSecretKeyLen = 32

// ConfigFromEnv reads the configuration from the environment and validates it.
func ConfigFromEnv() (Config, error) {
	cfg := Config{
		DatabaseURL: os.Getenv("DATABASE_URL"),
		Bind:        os.Getenv("QUARRY_BIND"),
		SecretKey:   os.Getenv("QUARRY_SECRET_KEY"),
		Env:         Env(strings.ToLower(strings.TrimSpace(os.Getenv("QUARRY_ENV")))),
	}
	return cfg, cfg.Validate()
}

// Validate fills in defaults and reports the first invalid setting, naming
// its environment variable.
func (c *Config) Validate() error {
	if c.Env == "" {
		c.Env = EnvDev
	}
	switch c.Env {
	case EnvDev, EnvTest, EnvStaging, EnvProd:
	default:
		return fmt.Errorf("%w: QUARRY_ENV=%q: want dev, test, staging or prod", ErrConfig, c.Env)
	}
	relaxed := c.Env == EnvDev || c.Env == EnvTest
	if c.DatabaseURL == "" {
		if !relaxed {
			return fmt.Errorf("%w: DATABASE_URL is required when QUARRY_ENV=%s", ErrConfig, c.Env)
		}
		c.DatabaseURL = "sqlite:./var/app.db"
	}
	if _, err := dialects.ParseURL(c.DatabaseURL); err != nil {
		return fmt.Errorf("%w: DATABASE_URL: %w", ErrConfig, err)
	}
	if c.Bind == "" {
		c.Bind = "127.0.0.1:8000"
	}
	if _, port, err := net.SplitHostPort(c.Bind); err != nil || port == "" {
		return fmt.Errorf("%w: QUARRY_BIND=%q: want host:port, e.g. 127.0.0.1:8000 or :8000", ErrConfig, c.Bind)
	}
	switch {
	case c.SecretKey == "" && relaxed:
		var b [32]byte
		_, _ = rand.Read(b[:])
		c.SecretKey = hex.EncodeToString(b[:])
	case c.SecretKey == "":
		return fmt.Errorf("%w: QUARRY_SECRET_KEY is required when QUARRY_ENV=%s", ErrConfig, c.Env)
	case len(c.SecretKey) < MinSecretKeyLen:
		return fmt.Errorf("%w: QUARRY_SECRET_KEY is %d characters; use at least %d random characters", ErrConfig, len(c.SecretKey), MinSecretKeyLen)
	}
	return nil
}

// IsDev reports whether the app runs in the dev environment.
func (c Config) IsDev() bool { return c.Env == EnvDev }
