package jobs

import (
	"context"
	"database/sql"
	"time"
)

// Backend stores jobs. [NewSQL] keeps them in the framework's tables on
// PostgreSQL, MySQL/MariaDB or SQLite; [NewMemory] keeps them in the
// process for tests and development. Both pass the conformance suite in
// package jobstest. Clients call it; applications use [Client].
type Backend interface {
	// Insert stores jobs, inside tx when it is not nil. A unique job whose
	// key is taken is not stored; its result names the existing job.
	Insert(ctx context.Context, tx *sql.Tx, jobs []*InsertParams) ([]InsertResult, error)
	// Fetch takes up to Limit due jobs of a queue that is not paused, in
	// priority order, marking them running under Worker's lease.
	Fetch(ctx context.Context, p FetchParams) ([]*JobRow, error)
	// Complete marks completed the listed runs that worker still holds
	// (running, locked by worker, on that attempt) and returns how many; a
	// run that was rescued, or released, is left alone, even when the job
	// was fetched again by the same worker.
	Complete(ctx context.Context, runs []JobAttempt, worker string, at time.Time) (int64, error)
	// SetOutcome records any other outcome of a run; false when the job is
	// no longer the run it was (rescued, released).
	SetOutcome(ctx context.Context, o Outcome) (bool, error)
	// Heartbeat extends to until the lease of the listed runs that worker
	// still holds, and returns those runs; a run it leaves out was taken
	// from worker (rescued or released), or has just ended.
	Heartbeat(ctx context.Context, worker string, runs []JobAttempt, until time.Time) ([]JobAttempt, error)
	// ListExpired lists up to limit running jobs whose lease ended before
	// now, by id.
	ListExpired(ctx context.Context, now time.Time, limit int) ([]*JobRow, error)
	// Rescue records o, the outcome of a run whose lease ended before now
	// (its worker crashed or was cut off), as SetOutcome does; false when
	// the run is over or its lease no longer ends before now (renewed
	// since it was listed).
	Rescue(ctx context.Context, o Outcome, now time.Time) (bool, error)
	// Promote makes scheduled and retryable jobs due by now available.
	Promote(ctx context.Context, now time.Time) (int64, error)
	// DeleteFinished deletes up to limit jobs in a final state that
	// finished before a time.
	DeleteFinished(ctx context.Context, state State, before time.Time, limit int) (int64, error)
	// Get returns one job, or ErrNotFound.
	Get(ctx context.Context, id int64) (*JobRow, error)
	// Cancel, Retry and Delete act on one job from outside a worker; false
	// when the job is not in a state that allows it.
	Cancel(ctx context.Context, id int64, at time.Time) (bool, error)
	Retry(ctx context.Context, id int64, at time.Time) (bool, error)
	Delete(ctx context.Context, id int64) (bool, error)
	// SetPaused pauses or resumes a queue.
	SetPaused(ctx context.Context, queue string, paused bool, at time.Time) error
	// Queues lists the queues that were ever paused or resumed.
	Queues(ctx context.Context) ([]QueueInfo, error)
	// Counts counts jobs by queue and state.
	Counts(ctx context.Context) ([]Count, error)
	// Wake calls fn with a queue's name when jobs become available in it,
	// until ctx ends; ErrNoWake when the backend cannot tell. Once it is
	// listening it calls fn("*") (every queue), so jobs that became
	// available before it listened are fetched too.
	Wake(ctx context.Context, fn func(queue string)) error
}

// InsertParams is one job ready to store.
type InsertParams struct {
	Kind         string
	Queue        string
	Args         []byte
	State        State // available or scheduled
	Priority     int
	MaxAttempts  int
	RunAt        time.Time
	CreatedAt    time.Time
	Tags         []string
	UniqueKey    string // "" for none
	UniqueStates int64
}

// InsertResult says what Insert did with one job.
type InsertResult struct {
	ID int64
	// Duplicate: a unique job with the same key existed; ID is its id.
	Duplicate bool
}

// FetchParams selects and leases jobs.
type FetchParams struct {
	Queue       string
	Limit       int
	Now         time.Time
	LockedUntil time.Time
	Worker      string
}

// JobAttempt names one run of a job: the job and the attempt it is on
// (1 for the first run). A worker's writes name the run, so a run that
// lost its lease cannot change the job's later runs.
type JobAttempt struct {
	ID      int64
	Attempt int
}

// Outcome is a run's result other than success.
type Outcome struct {
	ID         int64
	Worker     string
	RanAttempt int // the attempt that ran (guards against a newer run)
	State      State
	Attempt    int // the attempt count to store
	RunAt      time.Time
	FinishedAt time.Time // zero unless State is final
	Errors     []AttemptError
	UniqueKey  string
}

// QueueInfo is a queue's stored status.
type QueueInfo struct {
	Name      string
	Paused    bool
	UpdatedAt time.Time
}

// Count is the number of jobs in one queue and state.
type Count struct {
	Queue string
	State State
	Jobs  int64
}
