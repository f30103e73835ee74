package jobs

import (
	"errors"
	"fmt"
	"time"
)

// Sentinel errors. Errors returned by the package wrap them, so test with
// errors.Is.
var (
	// ErrNotFound: no job has that id.
	ErrNotFound = errors.New("jobs: job not found")
	// ErrInvalid: enqueue options, a kind, a queue name or a client's
	// configuration is invalid; the message names the field.
	ErrInvalid = errors.New("jobs: invalid")
	// ErrUnknownKind: a fetched job's kind has no worker in this client's
	// registry. The job is retried (another deployment may know it).
	ErrUnknownKind = errors.New("jobs: no worker registered for kind")
	// ErrWrongState: the job is not in a state the operation applies to
	// (cancelling a running or finished job, retrying or deleting a running one).
	ErrWrongState = errors.New("jobs: job is not in a state that allows this")
	// ErrNoTransactions: the backend cannot enqueue inside a *sql.Tx (the
	// in-memory backend).
	ErrNoTransactions = errors.New("jobs: this backend has no transactions")
	// ErrStopped: the client was stopped, or Start was called twice.
	ErrStopped = errors.New("jobs: client stopped")
	// ErrNoWake: the backend cannot push wake-ups; the client polls.
	ErrNoWake = errors.New("jobs: backend has no wake-ups")
	// ErrLeaseLost is the cause ([context.Cause]) of a job's context
	// cancelled because its worker lost the job's lease: the heartbeat could
	// not renew it before it ends (a database outage, a network partition,
	// a long pause), or found the job taken over. The job may be rescued and
	// run again elsewhere; a worker should return promptly. An error the run
	// then returns is recorded wrapped in it.
	ErrLeaseLost = errors.New("jobs: lease lost")
	// ErrLeaseExpired is the failure of a run whose lease expired before
	// its worker recorded an outcome (the worker crashed, was cut off, or
	// ignored ErrLeaseLost): the error the rescuer records for the attempt
	// ([LeaseExpired]) and reports to [Hooks].JobDone.
	ErrLeaseExpired = errors.New(LeaseExpired)
)

// Causes of ErrLeaseLost.
var (
	errNotRenewed = fmt.Errorf("%w: the heartbeat could not renew it before it ends", ErrLeaseLost)
	errTakenOver  = fmt.Errorf("%w: the job was taken over (rescued after its lease expired, or released)", ErrLeaseLost)
)

func invalid(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, a...))
}

// cancelError is returned by a worker through [Cancel].
type cancelError struct{ err error }

func (e *cancelError) Error() string { return "job cancelled: " + e.err.Error() }
func (e *cancelError) Unwrap() error { return e.err }

// Cancel, returned from a worker, ends the job as cancelled: it is not
// retried whatever attempts remain. err is recorded as the reason.
func Cancel(err error) error {
	if err == nil {
		err = errors.New("cancelled by the worker")
	}
	return &cancelError{err}
}

// snoozeError is returned by a worker through [Snooze].
type snoozeError struct{ d time.Duration }

func (e *snoozeError) Error() string { return fmt.Sprintf("job snoozed for %s", e.d) }

// Snooze, returned from a worker, puts the job back to run again after d.
// The attempt does not count against MaxAttempts and no error is recorded.
func Snooze(d time.Duration) error {
	if d < 0 {
		d = 0
	}
	return &snoozeError{d}
}

// PanicError is the error recorded when a worker panics: the panic value
// and the goroutine's stack.
type PanicError struct {
	Value any
	Stack string
}

func (e *PanicError) Error() string { return fmt.Sprintf("job panicked: %v", e.Value) }
