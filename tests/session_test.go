package tests

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"reflect"
	"testing"
	"time"

	"github.com/gomodule/redigo/redis"

	"github.com/quarry-go/quarry/framework/auth"
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

// TestSessionUser checks that a session found under session.WithUser
// carries its user exactly as package auth hands it out: the store
// converts the user columns of its own query, and must do it the way
// auth does.
func TestSessionUser(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *dbtest.DB) {
		migrated(t, db)
		ctx := context.Background()
		svc := auth.New(db.Database())
		if _, err := svc.CreateUser(ctx, auth.CreateUserParams{Username: "ada", Email: "ada@example.com", Password: "plenty-long-secret", Staff: true}); err != nil {
			t.Fatal(err)
		}
		u, err := svc.Authenticate(ctx, "ada", "plenty-long-secret") // sets LastLogin
		if err != nil {
			t.Fatal(err)
		}
		s := session.NewStore(db.Database())
		data, err := s.Codec.Encode(time.Now().Add(time.Hour), map[string]any{session.UserIDKey: u.ID})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.CommitCtx(ctx, "with-user", data, time.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		lctx, loaded := session.WithUser(ctx)
		if _, ok, err := s.FindCtx(lctx, "with-user"); !ok || err != nil {
			t.Fatalf("FindCtx = %v, %v", ok, err)
		}
		want, err := svc.UserByID(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !loaded.Found || !reflect.DeepEqual(loaded.User, want) {
			t.Errorf("the session's user\n%+v\nwant auth's\n%+v", loaded.User, want)
		}
		if want.LastLogin.IsZero() || want.PasswordChangedAt.IsZero() || want.CreatedAt.IsZero() || !want.IsStaff || want.Email != "ada@example.com" {
			t.Errorf("auth.User lacks a column: %+v", want)
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
