package conformance

import (
	"testing"

	"github.com/quarry-go/quarry/dialects"
	"github.com/quarry-go/quarry/dialects/dialecttest"
	"github.com/quarry-go/quarry/framework"
	"github.com/quarry-go/quarry/tests/dbtest"
)

// TestDialectConformance runs the dialect conformance suite on every
// dialect, in parallel, each subtest on a fresh migrated database.
func TestDialectConformance(t *testing.T) {
	t.Parallel()
	for _, name := range dialects.All() {
		t.Run(string(name), func(t *testing.T) {
			t.Parallel()
			dialecttest.Run(t, func(t *testing.T) *framework.Database {
				db := migrated(t, dbtest.New(t, name))
				return db.Database()
			})
		})
	}
}
