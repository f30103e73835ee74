package jobs

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"
)

// Worker runs jobs of one kind. Work may run more than once for the same
// job (delivery is at least once), so it should be idempotent; see the
// package documentation.
type Worker[T Args] interface {
	Work(ctx context.Context, job *Job[T]) error
}

// WorkFunc adapts a function to a [Worker].
type WorkFunc[T Args] func(ctx context.Context, job *Job[T]) error

// Work calls f.
func (f WorkFunc[T]) Work(ctx context.Context, job *Job[T]) error { return f(ctx, job) }

// KindOptions are a kind's defaults, set when it is registered. Enqueue
// options override the insert-time ones.
type KindOptions struct {
	// Queue the kind's jobs go to. Default "default".
	Queue string
	// Priority: lower runs first. Default 0; -1000 to 1000.
	Priority int
	// MaxAttempts before a failing job is discarded. Default 5.
	MaxAttempts int
	// Timeout bounds one run (its context is cancelled). Default: the
	// client's JobTimeout; negative means none.
	Timeout time.Duration
	// Backoff gives the wait before retry number attempt (1 after the first
	// failure). Default: the client's Backoff.
	Backoff func(attempt int) time.Duration
	// Unique makes every job of the kind unique (see [UniqueOpts]).
	Unique *UniqueOpts
}

type kind struct {
	name string
	opts KindOptions
	run  func(ctx context.Context, row *JobRow) error
}

// Registry maps kinds to their workers. Build one at start-up with
// [Register] and hand it to every client that runs jobs.
type Registry struct {
	mu    sync.RWMutex
	kinds map[string]*kind
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{kinds: map[string]*kind{}} }

// Register adds the worker for T's kind, with optional defaults. It panics
// on a programming error: an invalid kind name or options, or a kind
// registered twice (as http.Handle does).
func Register[T Args](r *Registry, w Worker[T], opts ...KindOptions) {
	var zero T
	name := zero.Kind()
	if err := checkKind(name); err != nil {
		panic(err)
	}
	var o KindOptions
	if len(opts) > 1 {
		panic(invalid("Register(%q): at most one KindOptions", name))
	}
	if len(opts) == 1 {
		o = opts[0]
	}
	if err := o.check(); err != nil {
		panic(fmt.Errorf("Register(%q): %w", name, err))
	}
	run := func(ctx context.Context, row *JobRow) error {
		job := &Job[T]{JobRow: row}
		if err := json.Unmarshal(row.EncodedArgs, &job.Args); err != nil {
			return fmt.Errorf("decode %s args: %w", name, err)
		}
		return w.Work(ctx, job)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.kinds[name]; dup {
		panic(invalid("kind %q registered twice", name))
	}
	r.kinds[name] = &kind{name: name, opts: o, run: run}
}

func (r *Registry) lookup(name string) *kind {
	if r == nil {
		return nil
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.kinds[name]
}

func checkKind(name string) error {
	if name == "" || len(name) > 200 {
		return invalid("kind %q: want 1 to 200 characters", name)
	}
	if strings.ContainsFunc(name, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		return invalid("kind %q: no spaces or control characters", name)
	}
	return nil
}

func checkQueue(name string) error {
	if name == "" || len(name) > 100 {
		return invalid("queue %q: want 1 to 100 characters", name)
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-' || r == '.') {
			return invalid("queue %q: use letters, digits, '_', '-' and '.'", name)
		}
	}
	return nil
}

func (o KindOptions) check() error {
	if o.Queue != "" {
		if err := checkQueue(o.Queue); err != nil {
			return err
		}
	}
	if o.Priority < -1000 || o.Priority > 1000 {
		return invalid("Priority %d: want -1000 to 1000", o.Priority)
	}
	if o.MaxAttempts < 0 || o.MaxAttempts > 1000 {
		return invalid("MaxAttempts %d: want 1 to 1000 (0 for the default)", o.MaxAttempts)
	}
	if o.Unique != nil {
		return o.Unique.check()
	}
	return nil
}
