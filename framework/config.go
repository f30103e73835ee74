package framework

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"

	"github.com/quarry-go/quarry/dialects"
	"github.com/quarry-go/quarry/framework/middleware"
	"github.com/quarry-go/quarry/framework/signing"
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
	// SecretKey (QUARRY_SECRET_KEY) signs what must come back unchanged
	// from clients (CSRF cookies, cursors, tokens; see [Config.Keys]); at
	// least 32 random characters. In dev and test a random key is made when
	// unset (signed values then do not survive a restart); required
	// otherwise, and a weak or placeholder key is refused.
	SecretKey string
	// SecretKeyFallbacks (QUARRY_SECRET_KEY_FALLBACKS, comma-separated) are
	// retired keys that still verify, so the key can be rotated without
	// logging everyone out: put the old key here and a new one in
	// SecretKey; drop it once what it signed has expired.
	SecretKeyFallbacks []string
	// TrustedProxies (QUARRY_TRUSTED_PROXIES, comma-separated CIDRs or
	// addresses, e.g. "10.0.0.0/8,127.0.0.1") are the reverse proxies whose
	// X-Forwarded-For header is believed when finding a request's client
	// address (see middleware.ClientIP). Default: none, so the header is
	// ignored and the connection's address is the client's.
	TrustedProxies []netip.Prefix
	// Env (QUARRY_ENV) is dev, test, staging or prod. Default: dev.
	Env Env

	databaseURL *dialects.URL // DatabaseURL, parsed once by Validate
}

// MinSecretKeyLen is the shortest accepted QUARRY_SECRET_KEY.
const MinSecretKeyLen = 32

// ConfigFromEnv reads the configuration from the environment and validates it.
func ConfigFromEnv() (Config, error) {
	cfg := Config{
		DatabaseURL:        os.Getenv("DATABASE_URL"),
		Bind:               os.Getenv("QUARRY_BIND"),
		SecretKey:          os.Getenv("QUARRY_SECRET_KEY"),
		SecretKeyFallbacks: splitList(os.Getenv("QUARRY_SECRET_KEY_FALLBACKS")),
		Env:                Env(strings.ToLower(strings.TrimSpace(os.Getenv("QUARRY_ENV")))),
	}
	proxies, err := middleware.ParseTrustedProxies(os.Getenv("QUARRY_TRUSTED_PROXIES"))
	if err != nil {
		return cfg, fmt.Errorf("%w: QUARRY_TRUSTED_PROXIES: %w", ErrConfig, err)
	}
	cfg.TrustedProxies = proxies
	return cfg, cfg.Validate()
}

// splitList splits a comma-separated setting, dropping blanks.
func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
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
	u, err := dialects.ParseURL(c.DatabaseURL)
	if err != nil {
		return fmt.Errorf("%w: DATABASE_URL: %w", ErrConfig, err)
	}
	c.databaseURL = u
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
	}
	if err := checkSecretKey("QUARRY_SECRET_KEY", c.SecretKey, !relaxed); err != nil {
		return err
	}
	for i, k := range c.SecretKeyFallbacks {
		if err := checkSecretKey(fmt.Sprintf("QUARRY_SECRET_KEY_FALLBACKS[%d]", i), k, !relaxed); err != nil {
			return err
		}
	}
	return nil
}

// weakSecretWords mark a placeholder key copied from an example.
var weakSecretWords = []string{"changeme", "change-me", "change_me", "secret", "password", "insecure", "example", "default", "your-", "your_", "xxxxxxxx", "12345678"}

// MinSecretKeyDistinct is the fewest distinct characters a secret key may
// have outside dev and test (a random key of 32 characters has far more).
const MinSecretKeyDistinct = 10

// checkSecretKey refuses a short key and, when strict (staging, prod), a
// weak one: a placeholder word, or too few distinct characters to be random.
func checkSecretKey(name, key string, strict bool) error {
	if len(key) < MinSecretKeyLen {
		return fmt.Errorf("%w: %s is %d characters; use at least %d random characters (e.g. openssl rand -hex 32)", ErrConfig, name, len(key), MinSecretKeyLen)
	}
	if !strict {
		return nil
	}
	lower := strings.ToLower(key)
	for _, w := range weakSecretWords {
		if strings.Contains(lower, w) {
			return fmt.Errorf("%w: %s looks like a placeholder (it contains %q); use a random key (e.g. openssl rand -hex 32)", ErrConfig, name, w)
		}
	}
	distinct := map[rune]bool{}
	for _, r := range key {
		distinct[r] = true
	}
	if len(distinct) < MinSecretKeyDistinct {
		return fmt.Errorf("%w: %s has only %d distinct characters; use a random key (e.g. openssl rand -hex 32)", ErrConfig, name, len(distinct))
	}
	return nil
}

// Keys returns the keyring that signs with SecretKey and also verifies
// with SecretKeyFallbacks. Call it on a validated config.
func (c Config) Keys() *signing.Keyring {
	k, err := signing.New(c.SecretKey, c.SecretKeyFallbacks...)
	if err != nil {
		return signing.Random() // unvalidated config without a key: nothing signed survives a restart
	}
	return k
}

// IsDev reports whether the app runs in the dev environment.
func (c Config) IsDev() bool { return c.Env == EnvDev }
