package tests

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/gomodule/redigo/redis"

	"github.com/quarry-go/quarry/framework/session"
	"github.com/quarry-go/quarry/framework/session/sessiontest"
	"github.com/quarry-go/quarry/tests/dbtest"
)

// TestSessionStore runs the scs store conformance suite on every dialect,
// then checks the cleanup of expired rows.
func TestSessionStore(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *dbtest.DB) {
		migrated(t, db)
		s := session.NewStore(db.Database())
		sessiontest.Run(t, s)

		ctx := context.Background()
		if err := s.CommitCtx(ctx, "soon", []byte("x"), time.Now().Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		s.Now = func() time.Time { return time.Now().Add(2 * time.Minute) }
		n, err := s.DeleteExpired(ctx)
		if err != nil || n < 2 { // "old" from the suite and "soon"
			t.Errorf("DeleteExpired = %d, %v; want at least 2", n, err)
		}
		if _, ok, _ := s.FindCtx(ctx, "soon"); ok {
			t.Error("an expired session survived the cleanup")
		}
	})
}

// TestSessionRedisStore runs the conformance suite on the Redis store
// (QUARRY_TEST_REDIS_URL), under a prefix of its own.
func TestSessionRedisStore(t *testing.T) {
	t.Parallel()
	redisURL := os.Getenv("QUARRY_TEST_REDIS_URL")
	if redisURL == "" {
		if os.Getenv(dbtest.EnvRequireAll) == "1" {
			t.Fatal("QUARRY_TEST_REDIS_URL is not set and QUARRY_TEST_REQUIRE_ALL=1")
		}
		t.Skip("QUARRY_TEST_REDIS_URL not set; set it (e.g. redis://127.0.0.1:6379/0) to test the Redis store")
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	prefix := "quarry:test:" + hex.EncodeToString(b[:]) + ":"
	s, pool, err := session.NewRedisStore(redisURL, prefix)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	defer func() { // leave nothing behind in the shared Redis
		c := pool.Get()
		defer c.Close()
		keys, _ := redis.Strings(c.Do("KEYS", prefix+"*"))
		for _, k := range keys {
			c.Do("DEL", k)
		}
	}()
	sessiontest.Run(t, s)
	if _, _, err := session.NewRedisStore("http://nope", ""); !errors.Is(err, session.ErrBadRedisURL) {
		t.Errorf("bad URL: %v", err)
	}
}
