package tenancy

import (
	"context"
	"crypto/rand"
	"os"
	"testing"
	"time"

	"github.com/quarry-go/quarry/framework/session"
)

// TestScopedStoreRedis keeps sessions of two tenants and the apex in one
// real Redis: a token committed in one is found in none of the others.
func TestScopedStoreRedis(t *testing.T) {
	url := os.Getenv("QUARRY_TEST_REDIS_URL")
	if url == "" {
		if os.Getenv("QUARRY_TEST_REQUIRE_ALL") == "1" {
			t.Fatal("QUARRY_TEST_REDIS_URL is not set and QUARRY_TEST_REQUIRE_ALL=1")
		}
		t.Skip("QUARRY_TEST_REDIS_URL not set; set it to run against Redis")
	}
	inner, pool, err := session.NewRedisStore(url, "quarry:test:"+rand.Text()[:8]+":")
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	s := ScopedStore(inner)
	a := WithTenant(context.Background(), &Tenant{ID: 1, Slug: "acme"})
	b := WithTenant(context.Background(), &Tenant{ID: 2, Slug: "globex"})
	apex := context.Background()
	c := s.(interface {
		CommitCtx(context.Context, string, []byte, time.Time) error
		FindCtx(context.Context, string) ([]byte, bool, error)
		DeleteCtx(context.Context, string) error
	})
	token := rand.Text()
	if err := c.CommitCtx(a, token, []byte("acme's"), time.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	defer c.DeleteCtx(a, token)
	if got, ok, err := c.FindCtx(a, token); err != nil || !ok || string(got) != "acme's" {
		t.Fatalf("in acme: %q %v %v", got, ok, err)
	}
	for name, ctx := range map[string]context.Context{"globex": b, "the apex": apex} {
		if _, ok, err := c.FindCtx(ctx, token); err != nil || ok {
			t.Errorf("acme's token found in %s (%v)", name, err)
		}
	}
	if _, ok, _ := inner.Find(token); ok {
		t.Error("the token is stored unscoped")
	}
	if err := c.DeleteCtx(b, token); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := c.FindCtx(a, token); !ok {
		t.Error("a delete in globex removed acme's session")
	}
}
