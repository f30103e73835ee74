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

	"github.com/quarry-go/quarry/framework/store"
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
	// claimed is set by whichever comes first: the run recording its
	// outcome, or Stop handing the job back to the queue.
	claimed atomic.Bool
}

// Start begins working the configured queues, maintenance (promotion of
// due jobs, rescue of expired leases, retention) and periodic jobs, in
// goroutines; it returns at once. Stop ends them.
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

// leased lists the jobs whose lease this client must renew: those running
// and those whose completion is not yet written.
func (c *Client) leased() []int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	ids := make([]int64, 0, len(c.running)+len(c.pending))
	for id := range c.running {
		ids = append(ids, id)
	}
	for id := range c.pending {
		if c.running[id] == nil {
			ids = append(ids, id)
		}
	}
	return ids
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
		now := c.clock()
		rows, err := c.backend.Fetch(ctx, FetchParams{Queue: p.queue, Limit: limit, Now: now,
			LockedUntil: now.Add(c.cfg.Lease), Worker: c.cfg.WorkerID})
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
			e := &execution{row: row}
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
		ctx, cancel := c.run.workCtx, context.CancelFunc(func() {})
		if timeout > 0 {
			ctx, cancel = context.WithTimeout(ctx, timeout)
		}
		err = runSafely(ctx, k, row)
		cancel()
	}
	if !e.claimed.CompareAndSwap(false, true) {
		return // Stop handed the job back to the queue
	}
	ev := JobEvent{Job: row, Err: err, Wait: row.AttemptedAt.Sub(row.RunAt), Duration: time.Since(started)}
	ev.Outcome = c.finish(k, e, err)
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

// finish records a run's outcome and returns the job's new state.
func (c *Client) finish(k *kind, e *execution, err error) State {
	j := e.row
	if err == nil {
		c.mu.Lock()
		c.pending[j.ID] = struct{}{}
		c.mu.Unlock()
		c.run.completer.add(j.ID)
		return StateCompleted
	}
	now := c.clock()
	o := Outcome{ID: j.ID, Worker: c.cfg.WorkerID, RanAttempt: j.Attempt, Attempt: j.Attempt, Errors: j.Errors, RunAt: j.RunAt}
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
		ae := AttemptError{Attempt: j.Attempt, At: now, Error: err.Error()}
		var pe *PanicError
		if errors.As(err, &pe) {
			ae.Trace = pe.Stack
		}
		o.Errors = append(append([]AttemptError(nil), j.Errors...), ae)
		switch {
		case errors.As(err, &cancelled):
			o.State, o.FinishedAt = StateCancelled, now
		case j.Attempt >= j.MaxAttempts:
			o.State, o.FinishedAt = StateDiscarded, now
		default:
			backoff := c.cfg.Backoff
			if k != nil && k.opts.Backoff != nil {
				backoff = k.opts.Backoff
			}
			o.RunAt = normalizeTime(now.Add(backoff(j.Attempt)))
			o.State = StateRetryable
			if !o.RunAt.After(now) {
				o.State = StateAvailable
			}
		}
	}
	o.UniqueKey = j.keyFor(o.State)
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
		c.log.Warn("jobs: job was taken over before its outcome was recorded", "job", j.ID, "kind", j.Kind)
	case o.State == StateAvailable:
		c.wake(j.Queue)
	}
	if o.State != StateScheduled {
		c.log.Warn("jobs: job failed", "job", j.ID, "kind", j.Kind, "attempt", j.Attempt, "state", o.State, "err", err)
	}
	return o.State
}

// maxSnooze bounds Snooze (a larger duration would overflow a time).
const maxSnooze = 10 * 365 * 24 * time.Hour

// completer marks successful jobs completed in batches: one UPDATE for
// every id that arrived while the previous one ran.
type completer struct {
	c      *Client
	mu     sync.RWMutex // guards closed against sends on the closed channel
	closed bool
	ids    chan int64
	done   chan struct{}
}

// completeBatch caps one completion UPDATE.
const completeBatch = 2000

func newCompleter(c *Client) *completer {
	cp := &completer{c: c, ids: make(chan int64, 4*completeBatch), done: make(chan struct{})}
	go cp.loop()
	return cp
}

// add queues a completion. After close (a job that ignored its
// cancellation finished after Stop) it is dropped: the job's lease expires
// and it runs again.
func (cp *completer) add(id int64) {
	cp.mu.RLock()
	defer cp.mu.RUnlock()
	if cp.closed {
		cp.c.log.Warn("jobs: job finished after Stop; it will run again when its lease expires", "job", id)
		return
	}
	cp.ids <- id
}

// close flushes what is pending and waits.
func (cp *completer) close() {
	cp.mu.Lock()
	cp.closed = true
	close(cp.ids)
	cp.mu.Unlock()
	<-cp.done
}

func (cp *completer) loop() {
	defer close(cp.done)
	batch := make([]int64, 0, completeBatch)
	for id := range cp.ids {
		batch = append(batch[:0], id)
	drain:
		for len(batch) < completeBatch {
			select {
			case id, ok := <-cp.ids:
				if !ok {
					break drain
				}
				batch = append(batch, id)
			default:
				break drain
			}
		}
		cp.flush(batch)
	}
}

func (cp *completer) flush(ids []int64) {
	c := cp.c
	defer func() {
		c.mu.Lock()
		for _, id := range ids {
			delete(c.pending, id)
		}
		c.mu.Unlock()
	}()
	err := retryConflicts(func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_, err := c.backend.Complete(ctx, ids, c.cfg.WorkerID, c.clock())
		return err
	})
	if err != nil {
		c.log.Error("jobs: marking jobs completed failed; they will run again when their lease expires", "jobs", len(ids), "err", err)
	}
}

// retryConflicts runs fn again, with a growing jittered pause, while it
// loses deadlocks or lock timeouts (store.ErrConflict: MySQL picks a victim
// when workers and maintenance touch the same rows), up to 10 times; any
// other error is retried twice.
func retryConflicts(fn func() error) error {
	for attempt := 1; ; attempt++ {
		err := fn()
		if err == nil {
			return nil
		}
		limit := 3
		if errors.Is(err, store.ErrConflict) {
			limit = 10
		}
		if attempt >= limit {
			return err
		}
		time.Sleep(time.Duration(attempt)*20*time.Millisecond + time.Duration(rand.Int64N(int64(20*time.Millisecond))))
	}
}

// heartbeatLoop renews the lease of this client's running jobs.
func (c *Client) heartbeatLoop(ctx context.Context) {
	t := time.NewTicker(c.cfg.Lease / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		ids := c.leased()
		if len(ids) == 0 {
			continue
		}
		if _, err := c.backend.Heartbeat(ctx, c.cfg.WorkerID, ids, c.clock().Add(c.cfg.Lease)); err != nil && ctx.Err() == nil {
			c.log.Error("jobs: heartbeat failed", "err", err)
		}
	}
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
	if n, err := c.backend.Rescue(ctx, now); err != nil {
		c.logMaintenance(ctx, "rescue", err)
	} else if n > 0 {
		c.log.Warn("jobs: rescued jobs whose worker stopped renewing its lease", "jobs", n)
		c.wakeAll()
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
	case errors.Is(err, store.ErrConflict):
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
