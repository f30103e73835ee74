package jobs

import (
	"encoding/json"
	"time"
)

// State is where a job is in its life. Waiting states are available,
// scheduled (RunAt in the future) and retryable (failed, waiting for its
// backoff); running is held by one worker under a lease; completed,
// cancelled and discarded are final and kept until retention deletes them.
type State string

// Job states.
const (
	StateAvailable State = "available"
	StateScheduled State = "scheduled"
	StateRunning   State = "running"
	StateRetryable State = "retryable"
	StateCompleted State = "completed"
	StateCancelled State = "cancelled"
	StateDiscarded State = "discarded"
)

// States lists every state in life order.
var States = []State{StateAvailable, StateScheduled, StateRunning, StateRetryable, StateCompleted, StateCancelled, StateDiscarded}

// bit is the state's bit in a unique_states set (the order of [States];
// the SQL queries spell these numbers out).
func (s State) bit() int64 {
	for i, st := range States {
		if st == s {
			return 1 << i
		}
	}
	return 0
}

func (s State) valid() bool { return s.bit() != 0 }

func stateMask(ss []State) int64 {
	var m int64
	for _, s := range ss {
		m |= s.bit()
	}
	return m
}

// LeaseExpired is the error recorded for an attempt whose worker stopped
// renewing its lease (the rescuer's entry; the SQL queries spell it out).
const LeaseExpired = "lease expired: the worker stopped renewing it (crashed or cut off)"

// AttemptError is one failed attempt, as recorded on the job.
type AttemptError struct {
	Attempt int       `json:"attempt"`
	At      time.Time `json:"at"`
	Error   string    `json:"error"`
	// Trace is the stack of a panic.
	Trace string `json:"trace,omitempty"`
}

// JobRow is a job as stored, without decoded arguments.
type JobRow struct {
	ID          int64
	Kind        string
	Queue       string
	EncodedArgs json.RawMessage
	State       State
	// Priority: lower values run first within a queue.
	Priority int
	// Attempt counts the runs started so far (1 while the first runs).
	Attempt     int
	MaxAttempts int
	// RunAt is when the job is due (or was due).
	RunAt       time.Time
	CreatedAt   time.Time
	AttemptedAt time.Time // zero before the first attempt
	FinishedAt  time.Time // zero until completed, cancelled or discarded
	// LockedUntil is the running job's lease; LockedBy is the worker client
	// that ran it last.
	LockedUntil time.Time
	LockedBy    string
	Errors      []AttemptError
	Tags        []string
	// UniqueKey is set while the job counts for uniqueness.
	UniqueKey    string
	uniqueStates int64
}

// keyFor is the unique_key the job keeps in state s.
func (j *JobRow) keyFor(s State) string {
	if j.uniqueStates&s.bit() == 0 {
		return ""
	}
	return j.UniqueKey
}

func (j *JobRow) clone() *JobRow {
	c := *j
	c.Errors = append([]AttemptError(nil), j.Errors...)
	c.Tags = append([]string(nil), j.Tags...)
	c.EncodedArgs = append(json.RawMessage(nil), j.EncodedArgs...)
	return &c
}

// Args is a job's arguments: a struct encoded as JSON, whose Kind names
// the worker that runs it.
type Args interface {
	Kind() string
}

// Job is a fetched job with its decoded arguments, as a worker sees it.
type Job[T Args] struct {
	*JobRow
	Args T
}
