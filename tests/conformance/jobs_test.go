package conformance

import (
	"testing"

	"github.com/quarry-go/quarry/framework/jobs"
	"github.com/quarry-go/quarry/framework/jobs/jobstest"
	"github.com/quarry-go/quarry/tests/dbtest"
)

// TestJobsConformance runs the jobs conformance suite on the SQL backend
// on every dialect (the in-memory backend runs it in framework/jobs).
func TestJobsConformance(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *dbtest.DB) {
		migrated(t, db)
		jobstest.Run(t, jobstest.Harness{Backend: jobs.NewSQL(db.Database()), DB: db.SQL})
	})
}
