package jobs

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/quarry-go/quarry/queries"
)

// runState is what a started client runs.
type runState struct {
	fetchCtx   context.Context // producers and maintenance; cancelled first at Stop
	stopFetch  context.CancelFunc
	workCtx    context.Context // parent of every job's context; cancelled when Stop gives up waiting
	cancelWork context.CancelFunc
	producers  sync.WaitGroup
	jobs       sync.WaitGroup
	background sync.WaitGroup // heartbeat, maintenance, periodic, wake listener
	stopBg     context.CancelFunc
	completer  *completer
}

// execution is one running job.
type execution struct {
	row *JobRow
	// ctx is the run's context; cancel ends it, with ErrLeaseLost as the
	// cause when the lease is lost.
	ctx    context.Context
	cancel context.CancelCauseFunc
	// claimed is set by whichever comes first: the run recording its
	// outcome, or Stop handing the job back to the queue.
	claimed atomic.Bool

	mu sync.Mutex
	// expires is the lease's end as this client measures it (monotonic):
	// when the fetch or the last heartbeat that renewed it began, plus the
	// lease. The stored lease ends no earlier.
	expires time.Time
	// timer cancels ctx leaseMargin before expires.
	timer *time.Timer
	ended bool
}

// leaseMargin is how long before a lease's end, as its worker measures
// it, a run whose lease was not renewed has its context cancelled: time to
// return and record an outcome before another client may rescue the job,
// and slack for clocks that disagree a little.
func leaseMargin(lease time.Duration) time.Duration { return lease / 5 }

// newExecution starts tracking a fetched run whose lease ends at expires.
func (c *Client) newExecution(row *JobRow, expires time.Time) *execution {
	ctx, cancel := context.WithCancelCause(c.run.workCtx)
	e := &execution{row: row, ctx: ctx, cancel: cancel, expires: expires}
	e.timer = time.AfterFunc(time.Until(expires)-leaseMargin(c.cfg.Lease), func() { e.cancel(errNotRenewed) })
	return e
}

// attempt names the run.
func (e *execution) attempt() JobAttempt { return JobAttempt{ID: e.row.ID, Attempt: e.row.Attempt} }

// renewed moves the lease's end to expires, when that is later, and the
// cancellation with it.
func (e *execution) renewed(expires time.Time, margin time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.ended || e.ctx.Err() != nil || !expires.After(e.expires) {
		return
	}
	e.expires = expires
	e.timer.Reset(time.Until(expires) - margin)
}

// lose cancels the run because its lease is lost; false when its context
// had already ended.
func (e *execution) lose(cause error) bool {
	if e.ctx.Err() != nil {
		return false
	}
	e.cancel(cause)
	return true
}

// end stops the lease's timer and cancels the context once the run
// returned.
func (e *execution) end() {
	e.mu.Lock()
	e.ended = true
	e.timer.Stop()
	e.mu.Unlock()
	e.cancel(nil)
}

// Start begins working the configured queues, maintenance (promotion of
// due jobs, rescue of expired leases, retention) and periodic jobs, in
// goroutines; it returns at once. Stop ends them. The values of ctx (not
// its cancellation) reach every job's context: a client started on
// framework.WithDatabase(ctx, db) — and, inside a tenant,
// tenancy.WithTenant — runs its jobs with that database and tenant, as a
// request handler has them.
func (c *Client) Start(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.started || c.stopped {
		return fmt.Errorf("%w: Start called twice", ErrStopped)
	}
	c.started = true
	rs := &runState{}
	base := context.WithoutCancel(ctx)
	rs.fetchCtx, rs.stopFetch = context.WithCancel(base)
	rs.workCtx, rs.cancelWork = context.WithCancel(base)
	var bgCtx context.Context
	bgCtx, rs.stopBg = context.WithCancel(base)
	rs.completer = newCompleter(c)
	c.run = rs

	for _, p := range c.producers {
		rs.producers.Add(1)
		go func() {
			defer rs.producers.Done()
			p.loop(rs.fetchCtx)
		}()
	}
	c.goBackground(bgCtx, c.heartbeatLoop)
	c.goBackground(rs.fetchCtx, c.maintenanceLoop)
	if len(c.cfg.Periodic) > 0 {
		c.goBackground(rs.fetchCtx, c.periodicLoop)
	}
	if len(c.producers) > 0 {
		c.goBackground(rs.fetchCtx, c.wakeLoop)
	}
	return nil
}

func (c *Client) goBackground(ctx context.Context, fn func(context.Context)) {
	c.run.background.Add(1)
	go func() {
		defer c.run.background.Done()
		fn(ctx)
	}()
}

// Stop shuts the client down gracefully: it stops fetching, waits for
// running jobs until ctx ends, then cancels the jobs still running and
// hands them back to the queue (their attempt does not count), flushes
// completions and stops maintenance. Cancelled jobs get up to a second to
// return; one that ignores its context is left running (it was handed
// back). It returns ctx's error if it had to give up on running jobs.
func (c *Client) Stop(ctx context.Context) error {
	c.mu.Lock()
	if !c.started || c.stopped {
		c.stopped = true
		c.mu.Unlock()
		return nil
	}
	c.stopped = true
	rs := c.run
	c.mu.Unlock()

	rs.stopFetch()
	rs.producers.Wait()
	done := make(chan struct{})
	go func() { rs.jobs.Wait(); close(done) }()
	var gaveUp error
	select {
	case <-done:
	default:
		select {
		case <-done:
		case <-ctx.Done():
			gaveUp = ctx.Err()
			c.releaseRunning()
			rs.cancelWork()
			// Cancelled jobs get a moment to return; one that ignores its
			// context is left running, already handed back.
			t := time.NewTimer(time.Second)
			select {
			case <-done:
			case <-t.C:
			}
			t.Stop()
		}
	}
	rs.completer.close()
	rs.stopBg()
	rs.background.Wait()
	rs.cancelWork()
	return gaveUp
}

// Run starts the client, waits for ctx to end, then stops it, giving
// running jobs up to grace to finish.
func (c *Client) Run(ctx context.Context, grace time.Duration) error {
	if err := c.Start(ctx); err != nil {
		return err
	}
	<-ctx.Done()
	stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), grace)
	defer cancel()
	err := c.Stop(stopCtx)
	if errors.Is(err, context.DeadlineExceeded) {
		c.log.Warn("jobs: shutdown grace ended; running jobs were handed back to the queue", "grace", grace)
		return nil
	}
	return err
}

// releaseRunning hands every running job back to its queue, undoing the
// attempt, so another worker may take it at once.
func (c *Client) releaseRunning() {
	c.mu.Lock()
	var execs []*execution
	for _, e := range c.running {
		execs = append(execs, e)
	}
	c.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	now := c.clock()
	for _, e := range execs {
		if !e.claimed.CompareAndSwap(false, true) {
			continue // its outcome is being recorded
		}
		j := e.row
		_, err := c.backend.SetOutcome(ctx, Outcome{ID: j.ID, Worker: c.cfg.WorkerID, RanAttempt: j.Attempt,
			State: StateAvailable, Attempt: j.Attempt - 1, RunAt: now, Errors: j.Errors, UniqueKey: j.keyFor(StateAvailable)})
		if err != nil {
			c.log.Error("jobs: releasing job at shutdown; it returns when its lease expires", "job", j.ID, "err", err)
		}
	}
}

func (c *Client) track(e *execution) {
	c.mu.Lock()
	c.running[e.row.ID] = e
	c.mu.Unlock()
}

func (c *Client) untrack(e *execution) {
	c.mu.Lock()
	if c.running[e.row.ID] == e { // not a newer run of the same job
		delete(c.running, e.row.ID)
	}
	c.mu.Unlock()
}

// leased lists the runs whose lease this client must renew: those running
// (also returned by run, with their execution) and those whose completion
// is not yet written.
func (c *Client) leased() ([]JobAttempt, map[JobAttempt]*execution) {
	c.mu.Lock()
	defer c.mu.Unlock()
	runs := make([]JobAttempt, 0, len(c.running)+len(c.pending))
	execs := make(map[JobAttempt]*execution, len(c.running))
	for _, e := range c.running {
		r := e.attempt()
		runs = append(runs, r)
		execs[r] = e
	}
	for r := range c.pending {
		if execs[r] == nil {
			runs = append(runs, r)
		}
	}
	return runs, execs
}

// wake tells the producer of queue to fetch now.
func (c *Client) wake(queue string) {
	if queue == allQueues {
		c.wakeAll()
		return
	}
	if p := c.producers[queue]; p != nil {
		p.poke()
	}
}

func (c *Client) wakeAll() {
	for _, p := range c.producers {
		p.poke()
	}
}

// wakeLoop listens for the backend's wake-ups, reconnecting after errors.
func (c *Client) wakeLoop(ctx context.Context) {
	for ctx.Err() == nil {
		err := c.backend.Wake(ctx, c.wake)
		if errors.Is(err, ErrNoWake) || ctx.Err() != nil {
			return
		}
		c.log.Warn("jobs: wake-up listener failed; polling until it reconnects", "err", err)
		sleep(ctx, c.cfg.PollInterval)
	}
}

// producer fetches jobs of one queue while it has free workers.
type producer struct {
	c       *Client
	queue   string
	max     int
	active  atomic.Int64
	freed   chan struct{}
	wakeups chan struct{}
}

func newProducer(c *Client, queue string, max int) *producer {
	return &producer{c: c, queue: queue, max: max, freed: make(chan struct{}, 1), wakeups: make(chan struct{}, 1)}
}

func (p *producer) poke() {
	select {
	case p.wakeups <- struct{}{}:
	default:
	}
}

func (p *producer) loop(ctx context.Context) {
	c := p.c
	timer := time.NewTimer(0)
	<-timer.C
	failures := 0
	for ctx.Err() == nil {
		free := p.max - int(p.active.Load())
		if free <= 0 {
			select {
			case <-p.freed:
			case <-ctx.Done():
			}
			continue
		}
		limit := min(free, c.cfg.FetchLimit)
		fetched := time.Now() // the lease, as this client measures it, starts no later
		now := c.clock()
		// Stop does not cancel a fetch under way: the database may have
		// leased the jobs already, and a fetch abandoned while its rows
		// are read would leave them running with no worker until their
		// lease ran out. Stop waits for it instead (a fetch is short;
		// bounded by the lease), and the jobs it returns run or are
		// handed back like any other.
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.cfg.Lease)
		rows, err := c.backend.Fetch(fctx, FetchParams{Queue: p.queue, Limit: limit, Now: now,
			LockedUntil: now.Add(c.cfg.Lease), Worker: c.cfg.WorkerID})
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			failures++
			c.log.Error("jobs: fetch failed", "queue", p.queue, "err", err)
			sleep(ctx, min(c.cfg.PollInterval*time.Duration(failures), 30*time.Second))
			continue
		}
		failures = 0
		for _, row := range rows {
			p.active.Add(1)
			e := c.newExecution(row, fetched.Add(c.cfg.Lease))
			c.track(e)
			c.run.jobs.Add(1)
			go c.execute(p, e)
		}
		if len(rows) == limit {
			continue
		}
		timer.Reset(c.cfg.PollInterval)
		select {
		case <-p.wakeups:
			if !timer.Stop() {
				<-timer.C
			}
		case <-timer.C:
		case <-ctx.Done():
			return
		}
	}
}

func (p *producer) done() {
	p.active.Add(-1)
	select {
	case p.freed <- struct{}{}:
	default:
	}
}

// execute runs one job and records its outcome.
func (c *Client) execute(p *producer, e *execution) {
	defer c.run.jobs.Done()
	defer p.done()
	defer c.untrack(e)
	row := e.row
	started := time.Now()
	k := c.cfg.Registry.lookup(row.Kind)
	var err error
	if k == nil {
		err = fmt.Errorf("%w: %q", ErrUnknownKind, row.Kind)
	} else {
		timeout := c.cfg.JobTimeout
		if k.opts.Timeout != 0 {
			timeout = k.opts.Timeout
		}
		ctx, cancel := e.ctx, context.CancelFunc(func() {})
		if timeout > 0 {
			ctx, cancel = context.WithTimeout(ctx, timeout)
		}
		err = runSafely(ctx, k, row)
		cancel()
	}
	lost := context.Cause(e.ctx)
	e.end()
	if err != nil && errors.Is(lost, ErrLeaseLost) && !errors.Is(err, ErrLeaseLost) {
		err = fmt.Errorf("%w: %w", lost, err)
	}
	if !e.claimed.CompareAndSwap(false, true) {
		return // Stop handed the job back to the queue
	}
	c.finish(k, e, JobEvent{Job: row, Err: err, Wait: row.AttemptedAt.Sub(row.RunAt), Duration: time.Since(started)})
}

// report calls the JobDone hook, if any.
func (c *Client) report(ev JobEvent) {
	if h := c.cfg.Hooks.JobDone; h != nil {
		c.callHook(h, ev)
	}
}

// callHook calls a metrics hook; a panic in it is logged, not fatal.
func (c *Client) callHook(h func(JobEvent), ev JobEvent) {
	defer func() {
		if v := recover(); v != nil {
			c.log.Error("jobs: JobDone hook panicked", "panic", v)
		}
	}()
	h(ev)
}

func runSafely(ctx context.Context, k *kind, row *JobRow) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = &PanicError{Value: v, Stack: string(debug.Stack())}
		}
	}()
	return k.run(ctx, row)
}

// finish records a run's outcome. JobDone hears of it once it is
// recorded: a completion after the completer wrote it, any other outcome
// here; an outcome refused because the job was taken over is not
// reported (the rescue that took it is).
func (c *Client) finish(k *kind, e *execution, ev JobEvent) {
	j := e.row
	if ev.Err == nil {
		ev.Outcome = StateCompleted
		c.mu.Lock()
		c.pending[e.attempt()] = struct{}{}
		c.mu.Unlock()
		c.run.completer.add(completion{run: e.attempt(), ev: ev})
		return
	}
	now := c.clock()
	o := c.outcome(k, j, ev.Err, now, now)
	var ok bool
	serr := retryConflicts(func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		var err error
		ok, err = c.backend.SetOutcome(ctx, o)
		return err
	})
	switch {
	case serr != nil:
		c.log.Error("jobs: recording outcome failed; the job returns when its lease expires", "job", j.ID, "kind", j.Kind, "state", o.State, "err", serr)
	case !ok:
		c.log.Warn("jobs: job was taken over before its outcome was recorded; the outcome is discarded", "job", j.ID, "kind", j.Kind, "attempt", j.Attempt)
	case o.State == StateAvailable:
		c.wake(j.Queue)
	}
	if o.State != StateScheduled {
		c.log.Warn("jobs: job failed", "job", j.ID, "kind", j.Kind, "attempt", j.Attempt, "state", o.State, "err", ev.Err)
	}
	if serr == nil && ok {
		ev.Outcome = o.State
		c.report(ev)
	}
}

// outcome decides what a failed run leaves its job in. It is the one rule
// for every failure: an error return, a panic, a timeout, a lost lease, and
// a lease that expired before the worker recorded anything (the rescuer's
// ErrLeaseExpired). err failed attempt j.Attempt at the time at; now tells
// whether a retry is due already. Snooze puts the job back without counting
// the attempt; Cancel ends it; any other error is recorded and the job is
// retried after the kind's backoff (else the client's) while attempts
// remain, and discarded after its last.
func (c *Client) outcome(k *kind, j *JobRow, err error, at, now time.Time) Outcome {
	o := Outcome{ID: j.ID, Worker: j.LockedBy, RanAttempt: j.Attempt, Attempt: j.Attempt, Errors: j.Errors, RunAt: j.RunAt}
	var snooze *snoozeError
	var cancelled *cancelError
	switch {
	case errors.As(err, &snooze):
		o.Attempt = j.Attempt - 1
		o.RunAt = normalizeTime(now.Add(min(snooze.d, maxSnooze)))
		o.State = StateScheduled
		if !o.RunAt.After(now) {
			o.State = StateAvailable
		}
	default:
		ae := AttemptError{Attempt: j.Attempt, At: at, Error: err.Error()}
		var pe *PanicError
		if errors.As(err, &pe) {
			ae.Trace = pe.Stack
		}
		o.Errors = append(append([]AttemptError(nil), j.Errors...), ae)
		switch {
		case errors.As(err, &cancelled):
			o.State, o.FinishedAt = StateCancelled, at
		case j.Attempt >= j.MaxAttempts:
			o.State, o.FinishedAt = StateDiscarded, at
		default:
			backoff := c.cfg.Backoff
			if k != nil && k.opts.Backoff != nil {
				backoff = k.opts.Backoff
			}
			o.RunAt = normalizeTime(at.Add(backoff(j.Attempt)))
			o.State = StateRetryable
			if !o.RunAt.After(now) {
				o.State = StateAvailable
			}
		}
	}
	o.UniqueKey = j.keyFor(o.State)
	return o
}

// maxSnooze bounds Snooze (a larger duration would overflow a time).
const maxSnooze = 10 * 365 * 24 * time.Hour

// completer marks successful runs completed in batches: one UPDATE for
// every run that arrived while the previous one ran.
type completer struct {
	c      *Client
	mu     sync.RWMutex // guards closed against sends on the closed channel
	closed bool
	runs   chan completion
	done   chan struct{}
}

// completion is a successful run waiting to be marked completed, with the
// event JobDone gets once it is.
type completion struct {
	run JobAttempt
	ev  JobEvent
}

// completeBatch caps one completion UPDATE.
const completeBatch = 2000

func newCompleter(c *Client) *completer {
	cp := &completer{c: c, runs: make(chan completion, 4*completeBatch), done: make(chan struct{})}
	go cp.loop()
	return cp
}

// add queues a completion. After close (a job that ignored its
// cancellation finished after Stop) it is dropped: the job's lease expires
// and it runs again.
func (cp *completer) add(r completion) {
	cp.mu.RLock()
	defer cp.mu.RUnlock()
	if cp.closed {
		cp.c.log.Warn("jobs: job finished after Stop; it will run again when its lease expires", "job", r.run.ID)
		cp.c.mu.Lock()
		delete(cp.c.pending, r.run)
		cp.c.mu.Unlock()
		return
	}
	cp.runs <- r
}

// close flushes what is pending and waits.
func (cp *completer) close() {
	cp.mu.Lock()
	cp.closed = true
	close(cp.runs)
	cp.mu.Unlock()
	<-cp.done
}

func (cp *completer) loop() {
	defer close(cp.done)
	batch := make([]completion, 0, completeBatch)
	for r := range cp.runs {
		batch = append(batch[:0], r)
	drain:
		for len(batch) < completeBatch {
			select {
			case r, ok := <-cp.runs:
				if !ok {
					break drain
				}
				batch = append(batch, r)
			default:
				break drain
			}
		}
		cp.flush(batch)
	}
}

// flush marks a batch completed, then reports the completions that were
// recorded to JobDone. A completion is refused when its run no longer
// holds the job (its lease expired and the job was rescued).
func (cp *completer) flush(batch []completion) {
	c := cp.c
	runs := make([]JobAttempt, len(batch))
	for i, r := range batch {
		runs[i] = r.run
	}
	var n int64
	err := retryConflicts(func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		var err error
		n, err = c.backend.Complete(ctx, runs, c.cfg.WorkerID, c.clock())
		return err
	})
	c.mu.Lock()
	for _, r := range runs {
		delete(c.pending, r)
	}
	c.mu.Unlock()
	switch {
	case err != nil:
		c.log.Error("jobs: marking jobs completed failed; they will run again when their lease expires", "jobs", len(runs), "err", err)
	case int(n) < len(runs):
		c.log.Warn("jobs: completions refused: those jobs were taken over (rescued after their lease expired)", "jobs", len(runs)-int(n))
	}
	h := c.cfg.Hooks.JobDone
	if h == nil {
		return
	}
	if err == nil && int(n) == len(runs) {
		for _, r := range batch {
			c.callHook(h, r.ev)
		}
		return
	}
	// Some were not recorded (or an error hides which): ask for each.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, r := range batch {
		j, err := c.backend.Get(ctx, r.run.ID)
		if err == nil && j.State == StateCompleted && j.LockedBy == c.cfg.WorkerID && j.Attempt == r.run.Attempt {
			c.callHook(h, r.ev)
		}
	}
}

// retryConflicts runs fn again, with a growing jittered pause, while it
// loses deadlocks or lock timeouts (queries.ErrConflict: MySQL picks a victim
// when workers and maintenance touch the same rows), up to 10 times; any
// other error is retried twice.
func retryConflicts(fn func() error) error {
	for attempt := 1; ; attempt++ {
		err := fn()
		if err == nil {
			return nil
		}
		limit := 3
		if errors.Is(err, queries.ErrConflict) {
			limit = 10
		}
		if attempt >= limit {
			return err
		}
		time.Sleep(time.Duration(attempt)*20*time.Millisecond + time.Duration(rand.Int64N(int64(20*time.Millisecond))))
	}
}

// heartbeatLoop renews the lease of this client's runs every Lease/3,
// and again after Lease/10 when a renewal failed. A run whose lease is not
// renewed has its context cancelled leaseMargin before the lease ends, as
// this client measures it (the run's own timer, whatever the heartbeat is
// doing); a run the backend no longer has under this worker, at once.
func (c *Client) heartbeatLoop(ctx context.Context) {
	every := c.cfg.Lease / 3
	t := time.NewTimer(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		next := every
		if err := c.heartbeat(ctx); err != nil && ctx.Err() == nil {
			c.log.Error("jobs: heartbeat failed; a job whose lease cannot be renewed in time is cancelled", "err", err)
			next = c.cfg.Lease / 10
		}
		t.Reset(next)
	}
}

// heartbeat renews the leases once.
func (c *Client) heartbeat(ctx context.Context) error {
	runs, execs := c.leased()
	if len(runs) == 0 {
		return nil
	}
	start := time.Now()
	hctx, cancel := context.WithTimeout(ctx, c.cfg.Lease/3)
	defer cancel()
	renewed, err := c.backend.Heartbeat(hctx, c.cfg.WorkerID, runs, c.clock().Add(c.cfg.Lease))
	if err != nil {
		return fmt.Errorf("renew %d leases: %w", len(runs), err)
	}
	held := make(map[JobAttempt]bool, len(renewed))
	for _, r := range renewed {
		held[r] = true
	}
	expires, margin := start.Add(c.cfg.Lease), leaseMargin(c.cfg.Lease)
	lost := 0
	for _, r := range runs {
		e := execs[r]
		switch {
		case e == nil: // a completion not yet written: it will be refused
		case held[r]:
			e.renewed(expires, margin)
		case e.lose(errTakenOver):
			lost++
		}
	}
	if lost > 0 {
		c.log.Warn("jobs: running jobs were taken over; their contexts are cancelled", "jobs", lost)
	}
	return nil
}

// retentionEvery is how often finished jobs past retention are deleted.
const retentionEvery = time.Minute

// maintenanceLoop promotes due jobs, rescues expired leases and applies
// retention. Every started client runs it; each step is one idempotent
// statement, so several clients doing it at once is harmless.
func (c *Client) maintenanceLoop(ctx context.Context) {
	t := time.NewTicker(c.cfg.MaintenanceInterval)
	defer t.Stop()
	var lastRetention time.Time
	for {
		c.maintain(ctx, &lastRetention)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (c *Client) maintain(ctx context.Context, lastRetention *time.Time) {
	now := c.clock()
	if n, err := c.backend.Promote(ctx, now); err != nil {
		c.logMaintenance(ctx, "promote", err)
	} else if n > 0 {
		c.wakeAll()
	}
	if _, err := c.rescue(ctx, now); err != nil {
		c.logMaintenance(ctx, "rescue", err)
	}
	if now.Sub(*lastRetention) < retentionEvery {
		return
	}
	*lastRetention = now
	for state, keep := range map[State]time.Duration{StateCompleted: c.cfg.Retention.Completed,
		StateCancelled: c.cfg.Retention.Cancelled, StateDiscarded: c.cfg.Retention.Discarded} {
		if keep < 0 {
			continue
		}
		if _, err := c.DeleteFinished(ctx, state, now.Add(-keep)); err != nil {
			c.logMaintenance(ctx, "retention", err)
		}
	}
}

// rescue records the failure of every run whose lease ended before now
// (its worker crashed, was cut off, or ignored the cancellation of a lost
// lease): the attempt failed with ErrLeaseExpired at the lease's end, and,
// by the rule for any failure (see outcome), the job is retried after
// its backoff while attempts remain and discarded after its last. Every
// client may rescue at once: each run is rescued by one, which reports it
// to JobDone. It returns how many runs it rescued.
func (c *Client) rescue(ctx context.Context, now time.Time) (int64, error) {
	var total int64
	for {
		rows, err := c.backend.ListExpired(ctx, now, maintenanceBatch)
		if err != nil {
			return total, err
		}
		var n int64
		for _, j := range rows {
			o := c.outcome(c.cfg.Registry.lookup(j.Kind), j, ErrLeaseExpired, j.LockedUntil, now)
			ok, err := c.backend.Rescue(ctx, o, now)
			if err != nil {
				return total + n, err
			}
			if !ok {
				continue // renewed since, or rescued by another client
			}
			n++
			c.log.Warn("jobs: rescued a job whose worker stopped renewing its lease", "job", j.ID, "kind", j.Kind,
				"attempt", j.Attempt, "worker", j.LockedBy, "state", o.State)
			if o.State == StateAvailable {
				c.wake(j.Queue)
			}
			c.report(JobEvent{Job: j, Outcome: o.State, Err: ErrLeaseExpired,
				Wait: j.AttemptedAt.Sub(j.RunAt), Duration: j.LockedUntil.Sub(j.AttemptedAt)})
		}
		total += n
		if len(rows) < maintenanceBatch || n == 0 {
			return total, nil
		}
	}
}

// DeleteFinished deletes every job in the final state that finished
// before a time, in batches, and returns how many. The maintenance loop
// calls it with the Retention settings.
func (c *Client) DeleteFinished(ctx context.Context, state State, before time.Time) (int64, error) {
	if state != StateCompleted && state != StateCancelled && state != StateDiscarded {
		return 0, invalid("DeleteFinished: %q is not a final state", state)
	}
	const batch = 1000
	var total int64
	for {
		n, err := c.backend.DeleteFinished(ctx, state, normalizeTime(before), batch)
		total += n
		if err != nil || n < batch {
			return total, err
		}
	}
}

func (c *Client) logMaintenance(ctx context.Context, step string, err error) {
	switch {
	case ctx.Err() != nil:
	case errors.Is(err, queries.ErrConflict):
		// Clients maintaining at once may deadlock; the next tick retries.
		c.log.Debug("jobs: maintenance step lost a lock conflict; retrying next tick", "step", step, "err", err)
	default:
		c.log.Error("jobs: maintenance failed", "step", step, "err", err)
	}
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}
