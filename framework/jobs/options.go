package jobs

import (
	"crypto/sha256"
	"encoding/hex"
	"math"
	"math/rand/v2"
	"strconv"
	"time"
)

// InsertOpts are per-job options for Enqueue. Zero fields take the kind's
// defaults ([KindOptions]), then the package's.
type InsertOpts struct {
	// Queue: default the kind's, else "default".
	Queue string
	// Priority: lower runs first; -1000 to 1000. Zero keeps the kind's.
	Priority int
	// RunAt schedules the job; Delay is the same relative to now. Set at
	// most one.
	RunAt time.Time
	Delay time.Duration
	// MaxAttempts before a failing job is discarded (1 to 1000).
	MaxAttempts int
	// Unique refuses a second job with the same key while the first is in
	// one of the counted states; Enqueue then returns the first job's id
	// with Duplicate set.
	Unique *UniqueOpts
	// Tags are free-form labels shown in the admin (at most 20, each up to
	// 100 characters).
	Tags []string
}

// UniqueOpts says what makes a job unique.
type UniqueOpts struct {
	// Key identifies the job within its kind. Default: its encoded args.
	Key string
	// ByQueue adds the queue to the key.
	ByQueue bool
	// Period makes the job unique per window of this length (aligned to
	// the Unix epoch, UTC): one per hour, one per day. Zero: no window.
	Period time.Duration
	// States that count besides the pending ones: while the first job is
	// available, scheduled, running or retryable a second is always
	// refused; list StateCompleted (and StateCancelled, StateDiscarded) to
	// keep refusing it after it finished: with Period, "once per window".
	States []State
}

// pendingStates always count for uniqueness: a job's key can then only be
// dropped when it finishes, never taken back.
var pendingStates = []State{StateAvailable, StateScheduled, StateRunning, StateRetryable}

func (u *UniqueOpts) check() error {
	if u.Period < 0 {
		return invalid("Unique.Period %s: want >= 0", u.Period)
	}
	for _, s := range u.States {
		if !s.valid() {
			return invalid("Unique.States: unknown state %q", s)
		}
	}
	return nil
}

// key is the unique_key: a SHA-256 of kind, key, queue and window.
func (u *UniqueOpts) key(kind, queue string, args []byte, now time.Time) (string, int64) {
	h := sha256.New()
	h.Write([]byte(kind))
	h.Write([]byte{0})
	if u.Key != "" {
		h.Write([]byte("k:" + u.Key))
	} else {
		h.Write([]byte("a:"))
		h.Write(args)
	}
	if u.ByQueue {
		h.Write([]byte("\x00q:" + queue))
	}
	if u.Period > 0 {
		slot := now.UnixNano() / int64(u.Period)
		h.Write([]byte("\x00p:" + strconv.FormatInt(slot, 10)))
	}
	return hex.EncodeToString(h.Sum(nil)), stateMask(pendingStates) | stateMask(u.States)
}

// DefaultBackoff waits 2^(attempt-1) seconds before retry number attempt,
// capped at 24 hours, with ±10% jitter so failed jobs do not retry in step.
func DefaultBackoff(attempt int) time.Duration {
	if attempt < 1 {
		attempt = 1
	}
	d := time.Duration(math.Min(math.Pow(2, float64(attempt-1)), 24*3600) * float64(time.Second))
	jitter := (rand.Float64()*0.2 - 0.1) * float64(d)
	return d + time.Duration(jitter)
}
