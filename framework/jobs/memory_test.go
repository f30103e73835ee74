package jobs_test

import (
	"testing"

	"github.com/quarry-go/quarry/framework/jobs"
	"github.com/quarry-go/quarry/framework/jobs/jobstest"
)

func TestMemoryConformance(t *testing.T) {
	t.Parallel()
	jobstest.Run(t, jobstest.Harness{Backend: jobs.NewMemory()})
}
