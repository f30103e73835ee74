package tests

import (
	"context"
	"testing"
	"time"

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
		s := session.NewStore(db.SQL, db.Dialect())
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
