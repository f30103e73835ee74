package jobs

import (
	"cmp"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"sync"
	"time"
)

// QueueConfig configures one queue a client works.
type QueueConfig struct {
	// MaxWorkers is how many of the queue's jobs run at once in this
	// client (1 to 10,000).
	MaxWorkers int
}

// Retention says how long finished jobs are kept before the maintenance
// loop deletes them. Zero takes the default; negative keeps them forever.
type Retention struct {
	Completed time.Duration // default 24h
	Cancelled time.Duration // default 7 days
	Discarded time.Duration // default 7 days
}

// Hooks are called as runs end, for metrics (a Prometheus collector,
// logs). They run on the client's own goroutines (a worker's, the one
// writing completions, maintenance's) and must be quick.
type Hooks struct {
	// JobDone is called once for each run whose outcome is recorded: by the
	// client that ran it, once the outcome is written (a completion when
	// the batched write that records it is done); or, when the run's lease
	// expired first (its worker crashed, was cut off, or ignored
	// [ErrLeaseLost]), by the client whose maintenance rescued the job,
	// with Err [ErrLeaseExpired]. A run whose outcome was refused because
	// its job had been taken over is not reported (its rescue is), nor is a
	// run Stop handed back to the queue.
	JobDone func(JobEvent)
}

// JobEvent describes one finished run.
type JobEvent struct {
	// Job is the job as the run fetched it (state running).
	Job *JobRow
	// Outcome is the state the run left the job in (completed, retryable,
	// available for a retry due now, scheduled for a snooze, cancelled or
	// discarded).
	Outcome State
	// Err is the worker's error (nil on success), wrapped in
	// [ErrLeaseLost] when the run's lease was lost while it ran;
	// [ErrLeaseExpired] for a run rescued after its lease expired.
	Err error
	// Wait is from when the job was due to when it started (queue latency);
	// Duration is how long it ran (for a rescued run, until its lease's
	// end).
	Wait, Duration time.Duration
}

// Config configures a [Client]. The zero Config makes an insert-only
// client; add Queues and a Registry to run jobs.
type Config struct {
	// Registry holds the workers. Required when Queues is not empty.
	Registry *Registry
	// Queues this client works, by name. None: the client only enqueues
	// (and, when started, runs maintenance and periodic jobs).
	Queues map[string]QueueConfig
	// Periodic jobs this client schedules. Any number of clients may
	// schedule the same ones: each slot is enqueued once.
	Periodic []PeriodicJob
	// Lease is how long a fetched job is held before another worker may
	// rescue it; a heartbeat renews it every Lease/3 while the job runs. A
	// job whose lease could not be renewed has its context cancelled
	// Lease/5 before the lease ends (see At-least-once delivery in the
	// package doc). Default 30s.
	Lease time.Duration
	// PollInterval is how often an idle queue looks for jobs when no
	// wake-up arrives (PostgreSQL wakes workers at once with NOTIFY).
	// Default 1s.
	PollInterval time.Duration
	// MaintenanceInterval is how often due scheduled/retryable jobs are
	// made available and expired leases rescued. Default 1s.
	MaintenanceInterval time.Duration
	// Retention of finished jobs; checked every minute.
	Retention Retention
	// JobTimeout bounds one run unless the kind sets its own. Default 1
	// minute; negative means none.
	JobTimeout time.Duration
	// Backoff is the default retry delay (see DefaultBackoff).
	Backoff func(attempt int) time.Duration
	// FetchLimit caps the jobs taken in one fetch. Default 1,000.
	FetchLimit int
	// WorkerID names this client in locked_by. Default host-pid-random.
	WorkerID string
	// Logger; default slog.Default().
	Logger *slog.Logger
	// Hooks for metrics.
	Hooks Hooks
}

func (c *Config) setDefaults() error {
	if c.Lease == 0 {
		c.Lease = 30 * time.Second
	}
	if c.PollInterval == 0 {
		c.PollInterval = time.Second
	}
	if c.MaintenanceInterval == 0 {
		c.MaintenanceInterval = time.Second
	}
	if c.JobTimeout == 0 {
		c.JobTimeout = time.Minute
	}
	if c.Backoff == nil {
		c.Backoff = DefaultBackoff
	}
	if c.FetchLimit == 0 {
		c.FetchLimit = 1000
	}
	if c.Retention.Completed == 0 {
		c.Retention.Completed = 24 * time.Hour
	}
	if c.Retention.Cancelled == 0 {
		c.Retention.Cancelled = 7 * 24 * time.Hour
	}
	if c.Retention.Discarded == 0 {
		c.Retention.Discarded = 7 * 24 * time.Hour
	}
	if c.WorkerID == "" {
		host, _ := os.Hostname()
		var b [4]byte
		_, _ = rand.Read(b[:])
		c.WorkerID = fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b[:]))
		if len(c.WorkerID) > 100 {
			c.WorkerID = c.WorkerID[len(c.WorkerID)-100:]
		}
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	switch {
	case c.Lease < 100*time.Millisecond:
		return invalid("Lease %s: want at least 100ms", c.Lease)
	case c.PollInterval < time.Millisecond || c.MaintenanceInterval < time.Millisecond:
		return invalid("PollInterval and MaintenanceInterval: want at least 1ms")
	case c.FetchLimit < 1 || c.FetchLimit > 10000:
		return invalid("FetchLimit %d: want 1 to 10,000", c.FetchLimit)
	case len(c.WorkerID) > 100:
		return invalid("WorkerID: at most 100 characters")
	case len(c.Queues) > 0 && c.Registry == nil:
		return invalid("Queues set without a Registry")
	}
	for name, q := range c.Queues {
		if err := checkQueue(name); err != nil {
			return err
		}
		if q.MaxWorkers < 1 || q.MaxWorkers > 10000 {
			return invalid("queue %s: MaxWorkers %d: want 1 to 10,000", name, q.MaxWorkers)
		}
	}
	seen := map[string]bool{}
	c.Periodic = slices.Clone(c.Periodic) // check fills in names
	for i := range c.Periodic {
		p := &c.Periodic[i]
		if err := p.check(); err != nil {
			return err
		}
		if seen[p.name()] {
			return invalid("periodic job %q defined twice", p.name())
		}
		seen[p.name()] = true
	}
	return nil
}

// Client enqueues jobs and, once started, works its queues. One client per
// process is the norm; web processes may use an insert-only one.
type Client struct {
	backend Backend
	cfg     Config
	log     *slog.Logger
	now     func() time.Time

	mu        sync.Mutex
	started   bool
	stopped   bool
	producers map[string]*producer
	running   map[int64]*execution
	pending   map[JobAttempt]struct{} // completed, not yet written
	run       *runState
}

// New returns a client over backend. It checks cfg and fills in defaults.
func New(backend Backend, cfg Config) (*Client, error) {
	if backend == nil {
		return nil, invalid("nil backend")
	}
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	c := &Client{backend: backend, cfg: cfg, log: cfg.Logger, now: time.Now,
		producers: map[string]*producer{}, running: map[int64]*execution{}, pending: map[JobAttempt]struct{}{}}
	for name, q := range cfg.Queues {
		c.producers[name] = newProducer(c, name, q.MaxWorkers)
	}
	return c, nil
}

// Backend returns the client's backend.
func (c *Client) Backend() Backend { return c.backend }

// WorkerID is the name this client's runs carry in LockedBy.
func (c *Client) WorkerID() string { return c.cfg.WorkerID }

func (c *Client) clock() time.Time { return normalizeTime(c.now()) }

// normalizeTime is how every time enters the database: UTC, to the
// microsecond (MySQL's DATETIME(6) and PostgreSQL's precision).
func normalizeTime(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// EnqueueParams is one job for EnqueueMany.
type EnqueueParams struct {
	Args Args
	Opts *InsertOpts
}

// Result is what Enqueue did.
type Result struct {
	ID int64
	// Duplicate: the job was unique and an equal one exists; ID is that one.
	Duplicate bool
}

// Enqueue stores one job.
func (c *Client) Enqueue(ctx context.Context, args Args, opts *InsertOpts) (Result, error) {
	return c.enqueueOne(ctx, nil, args, opts)
}

// EnqueueTx stores one job inside the caller's transaction: it exists if
// and only if tx commits, and workers see it only after the commit.
func (c *Client) EnqueueTx(ctx context.Context, tx *sql.Tx, args Args, opts *InsertOpts) (Result, error) {
	if tx == nil {
		return Result{}, invalid("EnqueueTx: nil transaction")
	}
	return c.enqueueOne(ctx, tx, args, opts)
}

func (c *Client) enqueueOne(ctx context.Context, tx *sql.Tx, args Args, opts *InsertOpts) (Result, error) {
	rs, err := c.enqueue(ctx, tx, []EnqueueParams{{Args: args, Opts: opts}})
	if err != nil {
		return Result{}, err
	}
	return rs[0], nil
}

// EnqueueMany stores jobs in one transaction: all or none.
func (c *Client) EnqueueMany(ctx context.Context, jobs []EnqueueParams) ([]Result, error) {
	return c.enqueue(ctx, nil, jobs)
}

// EnqueueManyTx stores jobs inside the caller's transaction.
func (c *Client) EnqueueManyTx(ctx context.Context, tx *sql.Tx, jobs []EnqueueParams) ([]Result, error) {
	if tx == nil {
		return nil, invalid("EnqueueManyTx: nil transaction")
	}
	return c.enqueue(ctx, tx, jobs)
}

func (c *Client) enqueue(ctx context.Context, tx *sql.Tx, jobs []EnqueueParams) ([]Result, error) {
	if len(jobs) == 0 {
		return nil, nil
	}
	now := c.clock()
	ps := make([]*InsertParams, len(jobs))
	for i, j := range jobs {
		p, err := c.prepare(j.Args, j.Opts, now)
		if err != nil {
			if len(jobs) > 1 {
				return nil, fmt.Errorf("job %d: %w", i, err)
			}
			return nil, err
		}
		ps[i] = p
	}
	rs, err := c.backend.Insert(ctx, tx, ps)
	if err != nil {
		return nil, err
	}
	out := make([]Result, len(rs))
	for i, r := range rs {
		out[i] = Result(r)
	}
	if tx == nil {
		for _, p := range ps {
			if p.State == StateAvailable {
				c.wake(p.Queue)
			}
		}
	}
	return out, nil
}

// maxArgsBytes bounds a job's encoded arguments.
const maxArgsBytes = 1 << 20

func (c *Client) prepare(args Args, o *InsertOpts, now time.Time) (*InsertParams, error) {
	if args == nil {
		return nil, invalid("nil args")
	}
	name := args.Kind()
	if err := checkKind(name); err != nil {
		return nil, err
	}
	if o == nil {
		o = &InsertOpts{}
	}
	var ko KindOptions
	if k := c.cfg.Registry.lookup(name); k != nil {
		ko = k.opts
	}
	enc, err := json.Marshal(args)
	if err != nil {
		return nil, invalid("%s args: %v", name, err)
	}
	if len(enc) > maxArgsBytes {
		return nil, invalid("%s args: %d bytes encoded, at most %d", name, len(enc), maxArgsBytes)
	}
	p := &InsertParams{Kind: name, Args: enc, Queue: cmp.Or(o.Queue, ko.Queue, "default"),
		Priority: cmp.Or(o.Priority, ko.Priority), MaxAttempts: cmp.Or(o.MaxAttempts, ko.MaxAttempts, 5),
		CreatedAt: now, RunAt: now, State: StateAvailable, Tags: o.Tags}
	if err := checkQueue(p.Queue); err != nil {
		return nil, err
	}
	if p.Priority < -1000 || p.Priority > 1000 {
		return nil, invalid("Priority %d: want -1000 to 1000", p.Priority)
	}
	if p.MaxAttempts < 1 || p.MaxAttempts > 1000 {
		return nil, invalid("MaxAttempts %d: want 1 to 1000", p.MaxAttempts)
	}
	if len(o.Tags) > 20 {
		return nil, invalid("Tags: %d given, at most 20", len(o.Tags))
	}
	for _, t := range o.Tags {
		if t == "" || len(t) > 100 {
			return nil, invalid("tag %q: want 1 to 100 characters", t)
		}
	}
	switch {
	case !o.RunAt.IsZero() && o.Delay != 0:
		return nil, invalid("set RunAt or Delay, not both")
	case o.Delay < 0:
		return nil, invalid("Delay %s: want >= 0", o.Delay)
	case !o.RunAt.IsZero():
		p.RunAt = normalizeTime(o.RunAt)
	case o.Delay > 0:
		p.RunAt = normalizeTime(now.Add(o.Delay))
	}
	if p.RunAt.After(now) {
		p.State = StateScheduled
	}
	u := o.Unique
	if u == nil {
		u = ko.Unique
	}
	if u != nil {
		if err := u.check(); err != nil {
			return nil, err
		}
		p.UniqueKey, p.UniqueStates = u.key(name, p.Queue, enc, now)
	}
	return p, nil
}

// Get returns a job by id.
func (c *Client) Get(ctx context.Context, id int64) (*JobRow, error) {
	return c.backend.Get(ctx, id)
}

// Cancel cancels a job that has not started yet (available, scheduled or
// waiting to retry). ErrWrongState when it is running or finished.
func (c *Client) Cancel(ctx context.Context, id int64) error {
	return c.act(ctx, id, "cancel", c.backend.Cancel)
}

// Retry makes a job that is not running available now: a discarded,
// cancelled or completed job runs again, with one more attempt when it had
// used them all.
func (c *Client) Retry(ctx context.Context, id int64) error {
	if err := c.act(ctx, id, "retry", c.backend.Retry); err != nil {
		return err
	}
	c.wakeAll()
	return nil
}

// Delete removes a job that is not running.
func (c *Client) Delete(ctx context.Context, id int64) error {
	return c.act(ctx, id, "delete", func(ctx context.Context, id int64, _ time.Time) (bool, error) {
		return c.backend.Delete(ctx, id)
	})
}

func (c *Client) act(ctx context.Context, id int64, verb string, fn func(context.Context, int64, time.Time) (bool, error)) error {
	ok, err := fn(ctx, id, c.clock())
	if err != nil {
		return fmt.Errorf("%s job %d: %w", verb, id, err)
	}
	if ok {
		return nil
	}
	j, err := c.backend.Get(ctx, id)
	if err != nil {
		return err
	}
	return fmt.Errorf("%w: cannot %s job %d, it is %s", ErrWrongState, verb, id, j.State)
}

// Pause stops every client from starting jobs of queue (running ones
// finish). It lasts until Resume.
func (c *Client) Pause(ctx context.Context, queue string) error {
	if err := checkQueue(queue); err != nil {
		return err
	}
	return c.backend.SetPaused(ctx, queue, true, c.clock())
}

// Resume lets a paused queue run again.
func (c *Client) Resume(ctx context.Context, queue string) error {
	if err := checkQueue(queue); err != nil {
		return err
	}
	if err := c.backend.SetPaused(ctx, queue, false, c.clock()); err != nil {
		return err
	}
	c.wake(queue)
	return nil
}

// Counts returns the number of jobs by queue and state (for metrics).
func (c *Client) Counts(ctx context.Context) ([]Count, error) { return c.backend.Counts(ctx) }
