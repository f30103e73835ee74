// Package jobstest is the conformance suite every jobs backend must pass:
// run it once per backend and dialect (the in-memory backend, and the SQL
// backend on SQLite, PostgreSQL and MySQL/MariaDB).
package jobstest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/quarry-go/quarry/framework/jobs"
)

// Harness is the backend under test. DB is the database it stores jobs in,
// for transactional enqueue; nil for a backend without transactions (which
// must then refuse EnqueueTx with jobs.ErrNoTransactions).
type Harness struct {
	Backend jobs.Backend
	DB      *sql.DB
}

// Args is the suite's job: N is echoed into the record, Queue routes it.
type Args struct {
	N    int    `json:"n"`
	Name string `json:"name,omitempty"`
}

// Kind implements jobs.Args.
func (Args) Kind() string { return "jobstest" }

// recorder collects the runs of the suite's worker.
type recorder struct {
	mu   sync.Mutex
	runs []run
	// behave decides a run's result from its job (default: success).
	behave func(ctx context.Context, j *jobs.Job[Args]) error
}

type run struct {
	id      int64
	n       int
	attempt int
	at      time.Time
}

func (r *recorder) Work(ctx context.Context, j *jobs.Job[Args]) error {
	r.mu.Lock()
	r.runs = append(r.runs, run{id: j.ID, n: j.Args.N, attempt: j.Attempt, at: time.Now()})
	b := r.behave
	r.mu.Unlock()
	if b != nil {
		return b(ctx, j)
	}
	return nil
}

// set replaces the behaviour while jobs may be running.
func (r *recorder) set(b func(ctx context.Context, j *jobs.Job[Args]) error) {
	r.mu.Lock()
	r.behave = b
	r.mu.Unlock()
}

func (r *recorder) snapshot() []run {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.runs)
}

// fast is a configuration with short intervals so the suite runs quickly.
func fast(reg *jobs.Registry, queue string, workers int) jobs.Config {
	return jobs.Config{Registry: reg, Queues: map[string]jobs.QueueConfig{queue: {MaxWorkers: workers}},
		PollInterval: 20 * time.Millisecond, MaintenanceInterval: 20 * time.Millisecond, Lease: 10 * time.Second,
		Backoff: func(int) time.Duration { return 0 }}
}

type env struct {
	t     *testing.T
	h     Harness
	queue string
	rec   *recorder
	reg   *jobs.Registry
}

func (e *env) client(mod func(*jobs.Config)) *jobs.Client {
	e.t.Helper()
	return e.clientOn(e.h.Backend, mod)
}

// clientOn is a client over b (the backend under test, or a wrapper of it).
func (e *env) clientOn(b jobs.Backend, mod func(*jobs.Config)) *jobs.Client {
	e.t.Helper()
	cfg := fast(e.reg, e.queue, 10)
	if mod != nil {
		mod(&cfg)
	}
	c, err := jobs.New(b, cfg)
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

func (e *env) start(c *jobs.Client) {
	e.t.Helper()
	if err := c.Start(context.Background()); err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = c.Stop(ctx)
	})
}

func (e *env) enqueue(c *jobs.Client, a Args, o *jobs.InsertOpts) int64 {
	e.t.Helper()
	if o == nil {
		o = &jobs.InsertOpts{}
	}
	if o.Queue == "" {
		o.Queue = e.queue
	}
	r, err := c.Enqueue(context.Background(), a, o)
	if err != nil {
		e.t.Fatal(err)
	}
	return r.ID
}

// wait polls job id until cond holds, for up to 10 s.
func (e *env) wait(c *jobs.Client, id int64, what string, cond func(*jobs.JobRow) bool) *jobs.JobRow {
	e.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		j, err := c.Get(context.Background(), id)
		if err != nil {
			e.t.Fatal(err)
		}
		if cond(j) {
			return j
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("job %d never %s: state %s, attempt %d, errors %v", id, what, j.State, j.Attempt, j.Errors)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (e *env) waitState(c *jobs.Client, id int64, s jobs.State) *jobs.JobRow {
	e.t.Helper()
	return e.wait(c, id, string(s), func(j *jobs.JobRow) bool { return j.State == s })
}

// eventually polls cond until it holds, for up to 10 s.
func (e *env) eventually(what string, cond func() bool) {
	e.t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			e.t.Fatalf("never %s", what)
		}
	}
}

// receive waits up to 10 s for a value from ch.
func receive[T any](e *env, ch <-chan T, what string) T {
	e.t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		e.t.Fatalf("never %s", what)
		panic("unreachable")
	}
}

// flakyHeartbeats wraps the backend under test with a Heartbeat that
// fails while fail is set: a test double of the heartbeat call only (the
// database cut off from one worker's heartbeats, or the worker paused);
// every call, and Heartbeat when not failing, goes to the real backend.
// It also notes the runs whose completion or outcome the client wrote.
type flakyHeartbeats struct {
	jobs.Backend
	fail  atomic.Bool
	calls atomic.Int64 // heartbeats attempted

	mu      sync.Mutex
	written map[jobs.JobAttempt]bool
}

func (f *flakyHeartbeats) Heartbeat(ctx context.Context, worker string, runs []jobs.JobAttempt, until time.Time) ([]jobs.JobAttempt, error) {
	f.calls.Add(1)
	if f.fail.Load() {
		return nil, errors.New("jobstest: heartbeat made to fail")
	}
	return f.Backend.Heartbeat(ctx, worker, runs, until)
}

func (f *flakyHeartbeats) Complete(ctx context.Context, runs []jobs.JobAttempt, worker string, at time.Time) (int64, error) {
	n, err := f.Backend.Complete(ctx, runs, worker, at)
	f.wrote(runs...)
	return n, err
}

func (f *flakyHeartbeats) SetOutcome(ctx context.Context, o jobs.Outcome) (bool, error) {
	ok, err := f.Backend.SetOutcome(ctx, o)
	f.wrote(jobs.JobAttempt{ID: o.ID, Attempt: o.RanAttempt})
	return ok, err
}

func (f *flakyHeartbeats) wrote(runs ...jobs.JobAttempt) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.written == nil {
		f.written = map[jobs.JobAttempt]bool{}
	}
	for _, r := range runs {
		f.written[r] = true
	}
}

// hasWritten reports whether the client wrote run's completion or outcome.
func (f *flakyHeartbeats) hasWritten(r jobs.JobAttempt) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.written[r]
}

// overlap counts the runs of each job going on at once, and the most seen.
type overlap struct {
	mu       sync.Mutex
	now, max map[int64]int
}

func (o *overlap) enter(id int64) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.now == nil {
		o.now, o.max = map[int64]int{}, map[int64]int{}
	}
	o.now[id]++
	o.max[id] = max(o.max[id], o.now[id])
}

func (o *overlap) leave(id int64) {
	o.mu.Lock()
	o.now[id]--
	o.mu.Unlock()
}

func (o *overlap) most(id int64) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.max[id]
}

// hookLog records JobDone events.
type hookLog struct {
	mu  sync.Mutex
	evs []jobs.JobEvent
}

func (h *hookLog) add(ev jobs.JobEvent) {
	h.mu.Lock()
	h.evs = append(h.evs, ev)
	h.mu.Unlock()
}

// of lists the events of job id by attempt (they may arrive out of order:
// a retry can run and be reported before its failure's report is made).
func (h *hookLog) of(id int64) []jobs.JobEvent {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []jobs.JobEvent
	for _, ev := range h.evs {
		if ev.Job.ID == id {
			out = append(out, ev)
		}
	}
	slices.SortStableFunc(out, func(a, b jobs.JobEvent) int { return a.Job.Attempt - b.Job.Attempt })
	return out
}

// quiet is a logger for tests that make the client log errors on purpose.
var quiet = slog.New(slog.DiscardHandler)

var queueSeq atomic.Int64

// Run runs every conformance test on h, one after another (they share the
// backend; each uses its own queue).
func Run(t *testing.T, h Harness) {
	for _, tc := range []struct {
		name string
		fn   func(e *env)
	}{
		{"EnqueueWorkComplete", testComplete},
		{"Transactional", testTransactional},
		{"RetryBackoff", testRetryBackoff},
		{"DiscardAndRetry", testDiscard},
		{"Panic", testPanic},
		{"CancelAndSnoozeFromWorker", testCancelSnooze},
		{"CancelFromOutside", testCancelOutside},
		{"Unique", testUnique},
		{"Scheduled", testScheduled},
		{"Priority", testPriority},
		{"PauseResume", testPause},
		{"Timeout", testTimeout},
		{"GracefulShutdown", testShutdown},
		{"Rescue", testRescue},
		{"Fencing", testFencing},
		{"LeaseLost", testLeaseLost},
		{"StaleRun", testStaleRun},
		{"TakenOver", testTakenOver},
		{"Retention", testRetention},
		{"Periodic", testPeriodic},
		{"WakeUp", testWakeUp},
		{"InvalidInput", testInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := &recorder{}
			reg := jobs.NewRegistry()
			jobs.Register[Args](reg, rec)
			tc.fn(&env{t: t, h: h, queue: fmt.Sprintf("q%d_%d", time.Now().UnixNano()%1e6, queueSeq.Add(1)), rec: rec, reg: reg})
		})
	}
}

func testComplete(e *env) {
	var done []jobs.JobEvent
	var mu sync.Mutex
	c := e.client(func(cfg *jobs.Config) {
		cfg.Hooks.JobDone = func(ev jobs.JobEvent) { mu.Lock(); done = append(done, ev); mu.Unlock() }
	})
	ids := make([]int64, 5)
	for i := range ids {
		ids[i] = e.enqueue(c, Args{N: i}, &jobs.InsertOpts{Tags: []string{"t1"}})
	}
	j, _ := c.Get(context.Background(), ids[0])
	if j.State != jobs.StateAvailable || j.Attempt != 0 || j.Queue != e.queue || j.Kind != "jobstest" || j.MaxAttempts != 5 || !slices.Equal(j.Tags, []string{"t1"}) {
		e.t.Errorf("enqueued job = %+v", j)
	}
	e.start(c)
	for i, id := range ids {
		j := e.waitState(c, id, jobs.StateCompleted)
		if j.Attempt != 1 || j.FinishedAt.IsZero() || j.AttemptedAt.IsZero() || j.LockedBy != c.WorkerID() || len(j.Errors) != 0 {
			e.t.Errorf("completed job %d = %+v", i, j)
		}
	}
	runs := e.rec.snapshot()
	if len(runs) != 5 {
		e.t.Fatalf("%d runs, want 5", len(runs))
	}
	seen := map[int]bool{}
	for _, r := range runs {
		seen[r.n] = true
	}
	if len(seen) != 5 {
		e.t.Errorf("args not delivered: %v", runs)
	}
	// The hook runs just after the outcome is handed to the completer, so
	// it may trail the state change a little.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		mu.Lock()
		n := len(done)
		mu.Unlock()
		if n >= 5 || time.Now().After(deadline) {
			break
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(done) != 5 || done[0].Outcome != jobs.StateCompleted || done[0].Err != nil {
		e.t.Errorf("hooks saw %d events (%+v)", len(done), done)
	}
	counts, err := c.Counts(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	found := false
	for _, n := range counts {
		if n.Queue == e.queue && n.State == jobs.StateCompleted && n.Jobs == 5 {
			found = true
		}
	}
	if !found {
		e.t.Errorf("counts %v lack 5 completed in %s", counts, e.queue)
	}
}

func testTransactional(e *env) {
	c := e.client(nil)
	ctx := context.Background()
	if e.h.DB == nil {
		if _, err := c.EnqueueTx(ctx, &sql.Tx{}, Args{}, &jobs.InsertOpts{Queue: e.queue}); !errors.Is(err, jobs.ErrNoTransactions) {
			e.t.Fatalf("EnqueueTx without transactions: %v", err)
		}
		return
	}
	tx, err := e.h.DB.BeginTx(ctx, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	rolled, err := c.EnqueueTx(ctx, tx, Args{N: 1}, &jobs.InsertOpts{Queue: e.queue})
	if err != nil {
		e.t.Fatal(err)
	}
	if err := tx.Rollback(); err != nil {
		e.t.Fatal(err)
	}
	if _, err := c.Get(ctx, rolled.ID); !errors.Is(err, jobs.ErrNotFound) {
		e.t.Fatalf("job of a rolled-back transaction: %v", err)
	}
	e.start(c)
	tx, err = e.h.DB.BeginTx(ctx, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	rs, err := c.EnqueueManyTx(ctx, tx, []jobs.EnqueueParams{{Args: Args{N: 2}, Opts: &jobs.InsertOpts{Queue: e.queue}}, {Args: Args{N: 3}, Opts: &jobs.InsertOpts{Queue: e.queue}}})
	if err != nil {
		e.t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	if n := len(e.rec.snapshot()); n != 0 {
		e.t.Fatalf("%d jobs ran before their transaction committed", n)
	}
	if err := tx.Commit(); err != nil {
		e.t.Fatal(err)
	}
	for _, r := range rs {
		e.waitState(c, r.ID, jobs.StateCompleted)
	}
}

func testRetryBackoff(e *env) {
	var delays []int
	e.reg = jobs.NewRegistry()
	jobs.Register[Args](e.reg, e.rec, jobs.KindOptions{MaxAttempts: 4, Backoff: func(attempt int) time.Duration {
		delays = append(delays, attempt)
		return time.Duration(attempt) * 150 * time.Millisecond
	}})
	e.rec.behave = func(_ context.Context, j *jobs.Job[Args]) error {
		if j.Attempt < 3 {
			return fmt.Errorf("boom %d", j.Attempt)
		}
		return nil
	}
	c := e.client(nil)
	e.start(c)
	id := e.enqueue(c, Args{}, nil)
	// The job is retryable only until its backoff ends; a slow poll may
	// first see it later, so only the first error is checked here (the run
	// gaps below check the backoff itself).
	j := e.wait(c, id, "failed once", func(j *jobs.JobRow) bool { return len(j.Errors) >= 1 })
	if j.Errors[0].Error != "boom 1" || j.Errors[0].Attempt != 1 {
		e.t.Errorf("after the first failure: %+v", j)
	}
	if j.State == jobs.StateRetryable && len(j.Errors) == 1 && !j.RunAt.After(j.Errors[0].At) {
		e.t.Errorf("retryable job's run_at %s is not after its failure %s", j.RunAt, j.Errors[0].At)
	}
	j = e.waitState(c, id, jobs.StateCompleted)
	if j.Attempt != 3 || len(j.Errors) != 2 || j.Errors[1].Error != "boom 2" {
		e.t.Errorf("after success: attempt %d, errors %+v", j.Attempt, j.Errors)
	}
	runs := e.rec.snapshot()
	if len(runs) != 3 {
		e.t.Fatalf("%d runs, want 3", len(runs))
	}
	for i, want := range []time.Duration{150 * time.Millisecond, 300 * time.Millisecond} {
		if gap := runs[i+1].at.Sub(runs[i].at); gap < want {
			e.t.Errorf("retry %d ran %s after the failure, before its backoff %s", i+1, gap, want)
		}
	}
	if !slices.Equal(delays, []int{1, 2}) {
		e.t.Errorf("backoff asked for attempts %v, want [1 2]", delays)
	}
}

func testDiscard(e *env) {
	e.reg = jobs.NewRegistry()
	jobs.Register[Args](e.reg, e.rec, jobs.KindOptions{MaxAttempts: 2})
	var fail atomic.Bool
	fail.Store(true)
	e.rec.behave = func(context.Context, *jobs.Job[Args]) error {
		if fail.Load() {
			return errors.New("always")
		}
		return nil
	}
	c := e.client(nil)
	e.start(c)
	id := e.enqueue(c, Args{}, nil)
	j := e.waitState(c, id, jobs.StateDiscarded)
	if j.Attempt != 2 || len(j.Errors) != 2 || j.FinishedAt.IsZero() {
		e.t.Errorf("discarded job = %+v", j)
	}
	time.Sleep(100 * time.Millisecond)
	if n := len(e.rec.snapshot()); n != 2 {
		e.t.Errorf("%d runs, want 2", n)
	}
	fail.Store(false)
	if err := c.Retry(context.Background(), id); err != nil {
		e.t.Fatal(err)
	}
	j = e.waitState(c, id, jobs.StateCompleted)
	if j.Attempt != 3 || j.MaxAttempts != 3 {
		e.t.Errorf("retried job: attempt %d of %d", j.Attempt, j.MaxAttempts)
	}
}

func testPanic(e *env) {
	e.rec.behave = func(context.Context, *jobs.Job[Args]) error { panic("kaboom") }
	c := e.client(nil)
	e.start(c)
	id := e.enqueue(c, Args{}, &jobs.InsertOpts{MaxAttempts: 1})
	j := e.waitState(c, id, jobs.StateDiscarded)
	if len(j.Errors) != 1 || !strings.Contains(j.Errors[0].Error, "kaboom") || !strings.Contains(j.Errors[0].Trace, "jobstest") {
		e.t.Errorf("panic recorded as %+v", j.Errors)
	}
}

func testCancelSnooze(e *env) {
	var snoozed atomic.Bool
	e.rec.behave = func(_ context.Context, j *jobs.Job[Args]) error {
		switch {
		case j.Args.Name == "cancel":
			return jobs.Cancel(errors.New("no longer wanted"))
		case j.Args.Name == "snooze" && snoozed.CompareAndSwap(false, true):
			return jobs.Snooze(300 * time.Millisecond)
		}
		return nil
	}
	c := e.client(nil)
	e.start(c)
	cid := e.enqueue(c, Args{Name: "cancel"}, nil)
	sid := e.enqueue(c, Args{Name: "snooze"}, nil)
	j := e.waitState(c, cid, jobs.StateCancelled)
	if j.Attempt != 1 || len(j.Errors) != 1 || !strings.Contains(j.Errors[0].Error, "no longer wanted") || j.FinishedAt.IsZero() {
		e.t.Errorf("cancelled job = %+v", j)
	}
	j = e.wait(c, sid, "snoozed", func(j *jobs.JobRow) bool { return j.State == jobs.StateScheduled || j.State == jobs.StateCompleted })
	if j.State != jobs.StateScheduled || j.Attempt != 0 || len(j.Errors) != 0 {
		e.t.Errorf("snoozed job = state %s attempt %d errors %v", j.State, j.Attempt, j.Errors)
	}
	j = e.waitState(c, sid, jobs.StateCompleted)
	if j.Attempt != 1 {
		e.t.Errorf("snoozed job completed at attempt %d, want 1 (a snooze does not count)", j.Attempt)
	}
	runs := e.rec.snapshot()
	var snoozeRuns []run
	for _, r := range runs {
		if r.id == sid {
			snoozeRuns = append(snoozeRuns, r)
		}
	}
	if len(snoozeRuns) != 2 || snoozeRuns[1].at.Sub(snoozeRuns[0].at) < 300*time.Millisecond {
		e.t.Errorf("snoozed job ran %v", snoozeRuns)
	}
}

func testCancelOutside(e *env) {
	c := e.client(nil)
	e.start(c)
	ctx := context.Background()
	id := e.enqueue(c, Args{}, &jobs.InsertOpts{Delay: time.Hour})
	if j, _ := c.Get(ctx, id); j.State != jobs.StateScheduled {
		e.t.Fatalf("delayed job is %s", j.State)
	}
	if err := c.Cancel(ctx, id); err != nil {
		e.t.Fatal(err)
	}
	if j, _ := c.Get(ctx, id); j.State != jobs.StateCancelled || j.FinishedAt.IsZero() {
		e.t.Errorf("cancelled job = %+v", j)
	}
	if err := c.Cancel(ctx, id); !errors.Is(err, jobs.ErrWrongState) {
		e.t.Errorf("cancelling twice: %v", err)
	}
	done := e.enqueue(c, Args{}, nil)
	e.waitState(c, done, jobs.StateCompleted)
	if err := c.Cancel(ctx, done); !errors.Is(err, jobs.ErrWrongState) || !strings.Contains(err.Error(), "completed") {
		e.t.Errorf("cancelling a completed job: %v", err)
	}
	if err := c.Delete(ctx, id); err != nil {
		e.t.Fatal(err)
	}
	if _, err := c.Get(ctx, id); !errors.Is(err, jobs.ErrNotFound) {
		e.t.Errorf("deleted job: %v", err)
	}
	if err := c.Cancel(ctx, id); !errors.Is(err, jobs.ErrNotFound) {
		e.t.Errorf("cancelling a deleted job: %v", err)
	}
	if n := len(e.rec.snapshot()); n != 1 {
		e.t.Errorf("%d runs, want 1 (the cancelled job ran)", n)
	}
}

func testUnique(e *env) {
	c := e.client(nil)
	ctx := context.Background()
	u := &jobs.UniqueOpts{}
	a, err := c.Enqueue(ctx, Args{N: 1}, &jobs.InsertOpts{Queue: e.queue, Unique: u})
	if err != nil {
		e.t.Fatal(err)
	}
	b, err := c.Enqueue(ctx, Args{N: 1}, &jobs.InsertOpts{Queue: e.queue, Unique: u})
	if err != nil {
		e.t.Fatal(err)
	}
	other, err := c.Enqueue(ctx, Args{N: 2}, &jobs.InsertOpts{Queue: e.queue, Unique: u})
	if err != nil {
		e.t.Fatal(err)
	}
	if a.Duplicate || !b.Duplicate || b.ID != a.ID || other.Duplicate || other.ID == a.ID {
		e.t.Fatalf("unique enqueues: %+v %+v %+v", a, b, other)
	}
	e.start(c)
	e.waitState(c, a.ID, jobs.StateCompleted)
	// Completed does not count by default: the same job may run again.
	again, err := c.Enqueue(ctx, Args{N: 1}, &jobs.InsertOpts{Queue: e.queue, Unique: u})
	if err != nil || again.Duplicate {
		e.t.Fatalf("after completion: %+v %v", again, err)
	}
	e.waitState(c, again.ID, jobs.StateCompleted)
	// Counting completed within a period: once per window.
	once := &jobs.UniqueOpts{Key: "report", Period: 100 * 365 * 24 * time.Hour, States: []jobs.State{jobs.StateAvailable, jobs.StateRunning, jobs.StateCompleted}}
	first, err := c.Enqueue(ctx, Args{N: 7}, &jobs.InsertOpts{Queue: e.queue, Unique: once})
	if err != nil {
		e.t.Fatal(err)
	}
	e.waitState(c, first.ID, jobs.StateCompleted)
	second, err := c.Enqueue(ctx, Args{N: 8}, &jobs.InsertOpts{Queue: e.queue, Unique: once})
	if err != nil || !second.Duplicate || second.ID != first.ID {
		e.t.Errorf("same key, same window, after completion: %+v %v", second, err)
	}
	// Concurrent enqueues of one unique job make one job.
	var wg sync.WaitGroup
	results := make([]jobs.Result, 8)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := c.Enqueue(ctx, Args{N: 99}, &jobs.InsertOpts{Queue: e.queue, Unique: &jobs.UniqueOpts{}, Delay: time.Hour})
			if err != nil {
				e.t.Error(err)
			}
			results[i] = r
		}()
	}
	wg.Wait()
	fresh := 0
	for _, r := range results {
		if !r.Duplicate {
			fresh++
		}
		if r.ID != results[0].ID {
			e.t.Errorf("concurrent unique enqueues gave ids %v", results)
			break
		}
	}
	if fresh != 1 {
		e.t.Errorf("%d concurrent unique enqueues inserted, want 1", fresh)
	}
	if err := c.Cancel(ctx, results[0].ID); err != nil {
		e.t.Fatal(err)
	}
	r, err := c.Enqueue(ctx, Args{N: 99}, &jobs.InsertOpts{Queue: e.queue, Unique: &jobs.UniqueOpts{}, Delay: time.Hour})
	if err != nil || r.Duplicate {
		e.t.Errorf("after cancelling the unique job: %+v %v", r, err)
	}
}

func testScheduled(e *env) {
	c := e.client(nil)
	at := time.Now().Add(300 * time.Millisecond)
	id := e.enqueue(c, Args{}, &jobs.InsertOpts{RunAt: at})
	later := e.enqueue(c, Args{}, &jobs.InsertOpts{Delay: 400 * time.Millisecond})
	if j, _ := c.Get(context.Background(), id); j.State != jobs.StateScheduled {
		e.t.Fatalf("future job is %s", j.State)
	}
	e.start(c)
	j := e.waitState(c, id, jobs.StateCompleted)
	if j.AttemptedAt.Before(at.Truncate(time.Microsecond)) {
		e.t.Errorf("scheduled for %s, started %s", at, j.AttemptedAt)
	}
	j = e.waitState(c, later, jobs.StateCompleted)
	if j.AttemptedAt.Sub(j.CreatedAt) < 400*time.Millisecond {
		e.t.Errorf("delayed 400ms, started after %s", j.AttemptedAt.Sub(j.CreatedAt))
	}
}

func testPriority(e *env) {
	c := e.client(func(cfg *jobs.Config) { cfg.Queues[e.queue] = jobs.QueueConfig{MaxWorkers: 1}; cfg.FetchLimit = 1 })
	ctx := context.Background()
	var ids []int64
	for i, p := range []int{5, -3, 0, 5, -3} {
		r, err := c.Enqueue(ctx, Args{N: i}, &jobs.InsertOpts{Queue: e.queue, Priority: p})
		if err != nil {
			e.t.Fatal(err)
		}
		ids = append(ids, r.ID)
	}
	e.start(c)
	for _, id := range ids {
		e.waitState(c, id, jobs.StateCompleted)
	}
	var order []int
	for _, r := range e.rec.snapshot() {
		order = append(order, r.n)
	}
	if !slices.Equal(order, []int{1, 4, 2, 0, 3}) {
		e.t.Errorf("ran in order %v, want [1 4 2 0 3] (priority, then age)", order)
	}
}

func testPause(e *env) {
	c := e.client(nil)
	ctx := context.Background()
	e.start(c)
	if err := c.Pause(ctx, e.queue); err != nil {
		e.t.Fatal(err)
	}
	id := e.enqueue(c, Args{}, nil)
	time.Sleep(300 * time.Millisecond)
	if j, _ := c.Get(ctx, id); j.State != jobs.StateAvailable {
		e.t.Fatalf("job in a paused queue is %s", j.State)
	}
	qs, err := c.Backend().Queues(ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	if !slices.ContainsFunc(qs, func(q jobs.QueueInfo) bool { return q.Name == e.queue && q.Paused }) {
		e.t.Errorf("queues %+v do not show %s paused", qs, e.queue)
	}
	if err := c.Resume(ctx, e.queue); err != nil {
		e.t.Fatal(err)
	}
	e.waitState(c, id, jobs.StateCompleted)
}

func testTimeout(e *env) {
	e.reg = jobs.NewRegistry()
	jobs.Register[Args](e.reg, e.rec, jobs.KindOptions{Timeout: 100 * time.Millisecond, MaxAttempts: 1})
	e.rec.behave = func(ctx context.Context, _ *jobs.Job[Args]) error {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(5 * time.Second):
			return nil
		}
	}
	c := e.client(nil)
	e.start(c)
	id := e.enqueue(c, Args{}, nil)
	j := e.waitState(c, id, jobs.StateDiscarded)
	if len(j.Errors) != 1 || !strings.Contains(j.Errors[0].Error, "deadline exceeded") {
		e.t.Errorf("timed-out job errors %+v", j.Errors)
	}
}

func testShutdown(e *env) {
	ctx := context.Background()
	release := make(chan struct{})
	var cancelled atomic.Int64
	quickStarted := make(chan struct{})
	var quickOnce sync.Once
	e.rec.behave = func(ctx context.Context, j *jobs.Job[Args]) error {
		if j.Args.Name == "quick" {
			quickOnce.Do(func() { close(quickStarted) })
			time.Sleep(200 * time.Millisecond)
			return nil
		}
		select {
		case <-release:
			return nil
		case <-ctx.Done():
			cancelled.Add(1)
			return ctx.Err()
		}
	}
	// A job that ends within the grace period completes.
	c := e.client(nil)
	quick := e.enqueue(c, Args{Name: "quick"}, nil)
	if err := c.Start(ctx); err != nil {
		e.t.Fatal(err)
	}
	select {
	case <-quickStarted:
	case <-time.After(10 * time.Second):
		e.t.Fatal("the quick job never started")
	}
	stopCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	if err := c.Stop(stopCtx); err != nil {
		e.t.Fatal(err)
	}
	cancel()
	if j, _ := c.Get(ctx, quick); j.State != jobs.StateCompleted {
		e.t.Errorf("job finished during shutdown is %s", j.State)
	}
	// A job still running at the deadline is cancelled and handed back.
	c = e.client(nil)
	slow := e.enqueue(c, Args{Name: "slow"}, nil)
	if err := c.Start(ctx); err != nil {
		e.t.Fatal(err)
	}
	e.waitState(c, slow, jobs.StateRunning)
	stopCtx, cancel = context.WithTimeout(ctx, 200*time.Millisecond)
	err := c.Stop(stopCtx)
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) {
		e.t.Errorf("Stop past its deadline: %v", err)
	}
	j, _ := c.Get(ctx, slow)
	if j.State != jobs.StateAvailable || j.Attempt != 0 || !j.LockedUntil.IsZero() {
		e.t.Errorf("job handed back at shutdown = state %s attempt %d locked until %s", j.State, j.Attempt, j.LockedUntil)
	}
	if cancelled.Load() != 1 {
		e.t.Errorf("the running job's context was cancelled %d times, want 1", cancelled.Load())
	}
	if err := c.Start(ctx); !errors.Is(err, jobs.ErrStopped) {
		e.t.Errorf("Start after Stop: %v", err)
	}
	// Another client takes it at once.
	close(release)
	c2 := e.client(nil)
	e.start(c2)
	j = e.waitState(c2, slow, jobs.StateCompleted)
	if j.Attempt != 1 || j.LockedBy != c2.WorkerID() {
		e.t.Errorf("rerun after shutdown: attempt %d by %s", j.Attempt, j.LockedBy)
	}
	// A job that ignores its context does not hold Stop past its deadline.
	if err := c2.Stop(ctx); err != nil {
		e.t.Fatal(err)
	}
	var stubbornDone atomic.Bool
	stubborn := make(chan struct{})
	e.rec.set(func(ctx context.Context, j *jobs.Job[Args]) error {
		<-stubborn
		stubbornDone.Store(true)
		return nil
	})
	c3 := e.client(nil)
	sid := e.enqueue(c3, Args{Name: "stubborn"}, nil)
	if err := c3.Start(ctx); err != nil {
		e.t.Fatal(err)
	}
	e.waitState(c3, sid, jobs.StateRunning)
	stopCtx, cancel = context.WithTimeout(ctx, 100*time.Millisecond)
	err = c3.Stop(stopCtx)
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) || stubbornDone.Load() {
		e.t.Errorf("Stop with a job ignoring its context: %v (job finished first: %v)", err, stubbornDone.Load())
	}
	close(stubborn)
	if j, _ := c3.Get(ctx, sid); j.State != jobs.StateAvailable {
		e.t.Errorf("stubborn job after Stop is %s, want available (handed back)", j.State)
	}
}

// testRescue: a run whose worker died (its lease expired) is a failed
// attempt, ruled as an error return is: retried after the kind's backoff
// while attempts remain, discarded after the last; JobDone reports it once.
func testRescue(e *env) {
	ctx := context.Background()
	const backoff = 700 * time.Millisecond
	var mu sync.Mutex
	var asked []int
	e.reg = jobs.NewRegistry()
	jobs.Register[Args](e.reg, e.rec, jobs.KindOptions{Backoff: func(attempt int) time.Duration {
		mu.Lock()
		asked = append(asked, attempt)
		mu.Unlock()
		return time.Duration(attempt) * backoff
	}})
	e.rec.behave = func(_ context.Context, j *jobs.Job[Args]) error {
		if j.Args.Name == "fails" {
			return errors.New("failed by error")
		}
		return nil
	}
	var hooks hookLog
	c := e.client(func(cfg *jobs.Config) { cfg.Hooks.JobDone = hooks.add })
	id := e.enqueue(c, Args{Name: "crash"}, nil)
	last := e.enqueue(c, Args{Name: "crash on the last attempt"}, &jobs.InsertOpts{MaxAttempts: 1})
	// A worker takes both and dies: its lease runs out.
	now := time.Now().UTC()
	leaseEnd := now.Add(300 * time.Millisecond)
	rows, err := e.h.Backend.Fetch(ctx, jobs.FetchParams{Queue: e.queue, Limit: 10, Now: now, LockedUntil: leaseEnd, Worker: "dead-worker"})
	if err != nil || len(rows) != 2 {
		e.t.Fatalf("fetch: %d rows, %v", len(rows), err)
	}
	// An error on the last attempt, for comparison.
	failed := e.enqueue(c, Args{Name: "fails"}, &jobs.InsertOpts{MaxAttempts: 1})
	e.start(c)

	// Attempts remain: retried after backoff(1), counted from the lease's end.
	j := e.waitState(c, id, jobs.StateCompleted)
	if j.Attempt != 2 || j.LockedBy != c.WorkerID() {
		e.t.Errorf("rescued job: attempt %d by %s, want attempt 2 by %s", j.Attempt, j.LockedBy, c.WorkerID())
	}
	if len(j.Errors) != 1 || j.Errors[0].Attempt != 1 || j.Errors[0].Error != jobs.LeaseExpired ||
		j.Errors[0].At.Sub(leaseEnd).Abs() > time.Millisecond {
		e.t.Fatalf("rescued job's errors = %+v, want attempt 1 %q at the lease's end %s", j.Errors, jobs.LeaseExpired, leaseEnd)
	}
	if due := j.Errors[0].At.Add(backoff); j.RunAt.Sub(due).Abs() > time.Millisecond || j.AttemptedAt.Before(due.Add(-time.Millisecond)) {
		e.t.Errorf("rescued job retried at %s (due %s), want due and run after the lease's end + backoff(1) = %s", j.AttemptedAt, j.RunAt, due)
	}
	// The last attempt: discarded, as after an error.
	j = e.waitState(c, last, jobs.StateDiscarded)
	if j.Attempt != 1 || j.FinishedAt.Sub(leaseEnd).Abs() > time.Millisecond || len(j.Errors) != 1 || j.Errors[0].Error != jobs.LeaseExpired {
		e.t.Errorf("job rescued on its last attempt = attempt %d finished %s errors %+v, want discarded at the lease's end %s", j.Attempt, j.FinishedAt, j.Errors, leaseEnd)
	}
	f := e.waitState(c, failed, jobs.StateDiscarded)
	if f.Attempt != j.Attempt || len(f.Errors) != len(j.Errors) || f.FinishedAt.IsZero() {
		e.t.Errorf("an error on the last attempt left attempt %d errors %+v; a crash left attempt %d errors %+v", f.Attempt, f.Errors, j.Attempt, j.Errors)
	}
	mu.Lock()
	if !slices.Equal(asked, []int{1}) {
		e.t.Errorf("backoff asked for attempts %v, want [1] (the crash that left attempts)", asked)
	}
	mu.Unlock()
	// JobDone heard of each attempt once: the crashes with ErrLeaseExpired.
	e.eventually("reported every attempt", func() bool {
		return len(hooks.of(id)) >= 2 && len(hooks.of(last)) >= 1 && len(hooks.of(failed)) >= 1
	})
	evs := hooks.of(id)
	if len(evs) != 2 || !errors.Is(evs[0].Err, jobs.ErrLeaseExpired) || evs[0].Job.Attempt != 1 ||
		(evs[0].Outcome != jobs.StateRetryable && evs[0].Outcome != jobs.StateAvailable) || evs[1].Outcome != jobs.StateCompleted {
		e.t.Errorf("events of the rescued job = %+v, want a retry after ErrLeaseExpired, then completed", evs)
	}
	if evs := hooks.of(last); len(evs) != 1 || !errors.Is(evs[0].Err, jobs.ErrLeaseExpired) || evs[0].Outcome != jobs.StateDiscarded {
		e.t.Errorf("events of the job rescued on its last attempt = %+v, want one: discarded, ErrLeaseExpired", evs)
	}
	if evs := hooks.of(failed); len(evs) != 1 || evs[0].Err == nil || evs[0].Outcome != jobs.StateDiscarded {
		e.t.Errorf("events of the job failed on its last attempt = %+v, want one: discarded", evs)
	}
	// The dead worker's late outcomes do not overwrite the new run.
	if n, err := e.h.Backend.Complete(ctx, []jobs.JobAttempt{{ID: id, Attempt: 1}, {ID: last, Attempt: 1}}, "dead-worker", time.Now()); err != nil || n != 0 {
		e.t.Errorf("stale completion changed %d rows (%v)", n, err)
	}
	if ok, err := e.h.Backend.SetOutcome(ctx, jobs.Outcome{ID: id, Worker: "dead-worker", RanAttempt: 1, State: jobs.StateAvailable, Attempt: 1, RunAt: now}); err != nil || ok {
		e.t.Errorf("stale outcome recorded: %v %v", ok, err)
	}
}

// testFencing: a run's writes (heartbeat, completion, outcome, rescue)
// change the job only while that run holds it: not once it was rescued,
// not when the same worker fetched the job again, not before its lease
// ended.
func testFencing(e *env) {
	ctx := context.Background()
	b := e.h.Backend
	c := e.client(nil) // never started: the test is the worker
	x := e.enqueue(c, Args{N: 1}, nil)
	y := e.enqueue(c, Args{N: 2}, nil)
	now := time.Now().UTC().Truncate(time.Microsecond)
	rows, err := b.Fetch(ctx, jobs.FetchParams{Queue: e.queue, Limit: 10, Now: now, LockedUntil: now.Add(time.Hour), Worker: "w"})
	if err != nil || len(rows) != 2 {
		e.t.Fatalf("fetch: %d rows, %v", len(rows), err)
	}
	x1, x2, y1 := jobs.JobAttempt{ID: x, Attempt: 1}, jobs.JobAttempt{ID: x, Attempt: 2}, jobs.JobAttempt{ID: y, Attempt: 1}
	heartbeat := func(worker string, runs ...jobs.JobAttempt) []jobs.JobAttempt {
		e.t.Helper()
		got, err := b.Heartbeat(ctx, worker, runs, now.Add(2*time.Hour))
		if err != nil {
			e.t.Fatal(err)
		}
		return got
	}
	if got := heartbeat("w", x1, x2); !slices.Equal(got, []jobs.JobAttempt{x1}) {
		e.t.Errorf("heartbeat of x on attempts 1 and 2 renewed %v, want attempt 1 only", got)
	}
	if got := heartbeat("other", x1); len(got) != 0 {
		e.t.Errorf("another worker's heartbeat renewed %v", got)
	}
	expired, err := b.ListExpired(ctx, now.Add(90*time.Minute), 1000)
	if err != nil {
		e.t.Fatal(err)
	}
	var xs, ys int
	for _, j := range expired {
		switch j.ID {
		case x:
			xs++
		case y:
			ys++
			if j.State != jobs.StateRunning || j.Attempt != 1 || j.LockedBy != "w" || j.Kind != "jobstest" {
				e.t.Errorf("expired job as listed = %+v", j)
			}
		}
	}
	if xs != 0 || ys != 1 {
		e.t.Errorf("expired at +90m: x listed %d times (renewed to +2h), y %d (lease to +1h)", xs, ys)
	}
	rescue := jobs.Outcome{ID: x, Worker: "w", RanAttempt: 1, State: jobs.StateAvailable, Attempt: 1, RunAt: now,
		Errors: []jobs.AttemptError{{Attempt: 1, At: now.Add(2 * time.Hour), Error: jobs.LeaseExpired}}}
	if ok, err := b.Rescue(ctx, rescue, now.Add(90*time.Minute)); err != nil || ok {
		e.t.Errorf("rescue of a lease that has not ended: %v %v", ok, err)
	}
	if ok, err := b.Rescue(ctx, rescue, now.Add(3*time.Hour)); err != nil || !ok {
		e.t.Fatalf("rescue of an expired lease: %v %v", ok, err)
	}
	if ok, err := b.Rescue(ctx, rescue, now.Add(3*time.Hour)); err != nil || ok {
		e.t.Errorf("second rescue of one run: %v %v", ok, err)
	}
	stale := func(when string) {
		e.t.Helper()
		if got := heartbeat("w", x1); len(got) != 0 {
			e.t.Errorf("%s: the old run's heartbeat renewed %v", when, got)
		}
		if n, err := b.Complete(ctx, []jobs.JobAttempt{x1}, "w", now); err != nil || n != 0 {
			e.t.Errorf("%s: the old run's completion changed %d rows (%v)", when, n, err)
		}
		if ok, err := b.SetOutcome(ctx, jobs.Outcome{ID: x, Worker: "w", RanAttempt: 1, State: jobs.StateDiscarded, Attempt: 1, RunAt: now, FinishedAt: now}); err != nil || ok {
			e.t.Errorf("%s: the old run's outcome recorded: %v %v", when, ok, err)
		}
	}
	stale("rescued")
	// The same worker fetches x again: its old run still cannot touch it.
	rows, err = b.Fetch(ctx, jobs.FetchParams{Queue: e.queue, Limit: 10, Now: now, LockedUntil: now.Add(time.Hour), Worker: "w"})
	if err != nil || len(rows) != 1 || rows[0].ID != x || rows[0].Attempt != 2 {
		e.t.Fatalf("fetch again: %+v, %v", rows, err)
	}
	stale("fetched again")
	if got := heartbeat("w", x1, x2, y1); len(got) != 2 || !slices.Contains(got, x2) || !slices.Contains(got, y1) {
		e.t.Errorf("heartbeat renewed %v, want x's attempt 2 and y's 1", got)
	}
	if j, err := b.Get(ctx, x); err != nil || j.State != jobs.StateRunning || j.Attempt != 2 || len(j.Errors) != 1 {
		e.t.Fatalf("x after the stale writes = %+v, %v", j, err)
	}
	if n, err := b.Complete(ctx, []jobs.JobAttempt{x2, y1}, "w", now); err != nil || n != 2 {
		e.t.Errorf("completing two runs on different attempts changed %d rows (%v)", n, err)
	}
	for _, id := range []int64{x, y} {
		if j, err := b.Get(ctx, id); err != nil || j.State != jobs.StateCompleted {
			e.t.Errorf("job %d after completion = %+v, %v", id, j, err)
		}
	}
}

// testLeaseLost: a worker whose heartbeats fail cancels the run's context
// (cause ErrLeaseLost) before its lease ends, so a worker that returns on
// cancellation never overlaps with the run that follows; the attempt
// failed, and the job completes on the next.
func testLeaseLost(e *env) {
	fb := &flakyHeartbeats{Backend: e.h.Backend}
	fb.fail.Store(true)
	var ov overlap
	var hooks hookLog
	type loss struct {
		cause    error
		at       time.Time
		leaseEnd time.Time
	}
	lost := make(chan loss, 1)
	e.rec.behave = func(ctx context.Context, j *jobs.Job[Args]) error {
		ov.enter(j.ID)
		defer ov.leave(j.ID)
		if j.Attempt > 1 {
			return nil
		}
		<-ctx.Done()
		lost <- loss{context.Cause(ctx), time.Now(), j.LockedUntil}
		return ctx.Err()
	}
	c := e.clientOn(fb, func(cfg *jobs.Config) {
		cfg.Lease, cfg.Logger, cfg.Hooks.JobDone = time.Second, quiet, hooks.add
	})
	e.start(c)
	id := e.enqueue(c, Args{}, nil)
	l := receive(e, lost, "cancelled the run whose lease could not be renewed")
	fb.fail.Store(false)
	if !errors.Is(l.cause, jobs.ErrLeaseLost) {
		e.t.Errorf("run cancelled with cause %v, want ErrLeaseLost", l.cause)
	}
	if !l.at.Before(l.leaseEnd) {
		e.t.Errorf("run cancelled at %s, not before its lease's end %s", l.at, l.leaseEnd)
	}
	if fb.calls.Load() == 0 {
		e.t.Error("no heartbeat was tried")
	}
	j := e.waitState(c, id, jobs.StateCompleted)
	// The worker recorded the failure itself (its lease had not ended), or,
	// on a slow machine, the rescuer did: either way one failed attempt.
	if j.Attempt != 2 || len(j.Errors) != 1 || j.Errors[0].Attempt != 1 ||
		!(strings.Contains(j.Errors[0].Error, jobs.ErrLeaseLost.Error()) || j.Errors[0].Error == jobs.LeaseExpired) {
		e.t.Errorf("job = attempt %d errors %+v, want completed on attempt 2 after a lost lease", j.Attempt, j.Errors)
	}
	if n := ov.most(id); n != 1 {
		e.t.Errorf("%d runs of the job at once, want 1", n)
	}
	if n := len(e.rec.snapshot()); n != 2 {
		e.t.Errorf("%d runs, want 2", n)
	}
	e.eventually("reported both runs", func() bool { return len(hooks.of(id)) >= 2 })
	evs := hooks.of(id)
	if len(evs) != 2 || !(errors.Is(evs[0].Err, jobs.ErrLeaseLost) || errors.Is(evs[0].Err, jobs.ErrLeaseExpired)) ||
		evs[0].Outcome != jobs.StateAvailable || evs[1].Outcome != jobs.StateCompleted {
		e.t.Errorf("events = %+v, want the lost run retried, then completed", evs)
	}
}

// testStaleRun: a worker that ignores its context keeps running after its
// lease is lost; the job is rescued and runs again in the same client, the
// two runs overlap, and the stale run's outcome (a completion or an error),
// written while the newer run still holds the job, is refused: the job
// completes once, on the rescue's attempt.
func testStaleRun(e *env) {
	fb := &flakyHeartbeats{Backend: e.h.Backend}
	fb.fail.Store(true)
	var ov overlap
	var hooks hookLog
	staleRelease, newRelease := make(chan struct{}), make(chan struct{})
	newStarted := make(chan int64, 2)
	e.rec.behave = func(_ context.Context, j *jobs.Job[Args]) error {
		ov.enter(j.ID)
		defer ov.leave(j.ID)
		if j.Attempt > 1 {
			newStarted <- j.ID
			<-newRelease
			return nil
		}
		<-staleRelease // ignores its context
		if j.Args.Name == "fails" {
			return errors.New("stale failure")
		}
		return nil
	}
	c := e.clientOn(fb, func(cfg *jobs.Config) {
		cfg.Lease, cfg.Logger, cfg.Hooks.JobDone = time.Second, quiet, hooks.add
	})
	e.start(c)
	ids := []int64{e.enqueue(c, Args{Name: "succeeds"}, nil), e.enqueue(c, Args{Name: "fails"}, nil)}
	// Both are rescued once their lease expires, and run again here.
	receive(e, newStarted, "ran the first job again")
	receive(e, newStarted, "ran the second job again")
	fb.fail.Store(false) // the new runs keep their lease
	ctx := context.Background()
	close(staleRelease)
	for _, id := range ids {
		e.eventually("wrote the stale run's outcome", func() bool { return fb.hasWritten(jobs.JobAttempt{ID: id, Attempt: 1}) })
		j, err := c.Get(ctx, id)
		if err != nil {
			e.t.Fatal(err)
		}
		if j.State != jobs.StateRunning || j.Attempt != 2 || len(j.Errors) != 1 || j.Errors[0].Error != jobs.LeaseExpired {
			e.t.Errorf("job %d after its stale run's outcome = state %s attempt %d errors %+v, want still running attempt 2", id, j.State, j.Attempt, j.Errors)
		}
	}
	close(newRelease)
	for _, id := range ids {
		j := e.waitState(c, id, jobs.StateCompleted)
		if j.Attempt != 2 || len(j.Errors) != 1 || j.Errors[0].Attempt != 1 || j.Errors[0].Error != jobs.LeaseExpired {
			e.t.Errorf("job %d = attempt %d errors %+v, want completed on attempt 2 after a lease that expired", id, j.Attempt, j.Errors)
		}
		if n := ov.most(id); n != 2 {
			e.t.Errorf("job %d: %d runs at once, want 2 (the stale run ignored its context)", id, n)
		}
	}
	stopCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := c.Stop(stopCtx); err != nil {
		e.t.Fatal(err)
	}
	for _, id := range ids {
		evs := hooks.of(id)
		if len(evs) != 2 || !errors.Is(evs[0].Err, jobs.ErrLeaseExpired) || evs[0].Job.Attempt != 1 ||
			evs[1].Outcome != jobs.StateCompleted || evs[1].Job.Attempt != 2 {
			e.t.Errorf("job %d events = %+v, want the rescue, then the completion of attempt 2 (the stale outcome is not reported)", id, evs)
		}
	}
	if n := len(e.rec.snapshot()); n != 4 {
		e.t.Errorf("%d runs, want 4", n)
	}
}

// testTakenOver: when the job is taken from a run whose heartbeats work
// (a rescuer whose clock runs ahead), the next heartbeat finds it missing
// and cancels the run at once, and the run's outcome is refused.
func testTakenOver(e *env) {
	ctx := context.Background()
	started := make(chan *jobs.JobRow, 1)
	causes := make(chan error, 1)
	e.rec.behave = func(ctx context.Context, j *jobs.Job[Args]) error {
		started <- j.JobRow
		<-ctx.Done()
		causes <- context.Cause(ctx)
		return ctx.Err()
	}
	c := e.client(func(cfg *jobs.Config) { cfg.Lease, cfg.Logger = 3*time.Second, quiet })
	e.start(c)
	id := e.enqueue(c, Args{}, nil)
	run := receive(e, started, "started the job")
	ahead := time.Now().Add(time.Hour)
	rows, err := e.h.Backend.ListExpired(ctx, ahead, 1000)
	if err != nil {
		e.t.Fatal(err)
	}
	i := slices.IndexFunc(rows, func(j *jobs.JobRow) bool { return j.ID == id })
	if i < 0 {
		e.t.Fatal("the running job is not listed as expired an hour ahead")
	}
	row := rows[i]
	takeover := jobs.Outcome{ID: id, Worker: row.LockedBy, RanAttempt: row.Attempt, State: jobs.StateScheduled, Attempt: row.Attempt, RunAt: ahead.UTC(),
		Errors: []jobs.AttemptError{{Attempt: row.Attempt, At: row.LockedUntil, Error: jobs.LeaseExpired}}}
	if ok, err := e.h.Backend.Rescue(ctx, takeover, ahead); err != nil || !ok {
		e.t.Fatalf("take-over: %v %v", ok, err)
	}
	cause := receive(e, causes, "cancelled the run that was taken over")
	if !errors.Is(cause, jobs.ErrLeaseLost) || !strings.Contains(cause.Error(), "taken over") {
		e.t.Errorf("run cancelled with cause %v, want ErrLeaseLost (taken over)", cause)
	}
	if !time.Now().Before(run.LockedUntil) {
		e.t.Errorf("the taken-over run was cancelled after its first lease's end %s", run.LockedUntil)
	}
	stopCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := c.Stop(stopCtx); err != nil {
		e.t.Fatal(err)
	}
	j, err := c.Get(ctx, id)
	if err != nil {
		e.t.Fatal(err)
	}
	if j.State != jobs.StateScheduled || j.Attempt != 1 || len(j.Errors) != 1 || j.Errors[0].Error != jobs.LeaseExpired {
		e.t.Errorf("job after its taken-over run returned = state %s attempt %d errors %+v, want as the take-over left it", j.State, j.Attempt, j.Errors)
	}
}

func testRetention(e *env) {
	ctx := context.Background()
	c := e.client(nil)
	e.start(c)
	done := e.enqueue(c, Args{}, nil)
	waiting := e.enqueue(c, Args{}, &jobs.InsertOpts{Delay: time.Hour})
	e.waitState(c, done, jobs.StateCompleted)
	if _, err := c.DeleteFinished(ctx, jobs.StateCompleted, time.Now().Add(-time.Hour)); err != nil {
		e.t.Fatal(err)
	}
	if _, err := c.Get(ctx, done); err != nil {
		e.t.Errorf("job finished within retention was deleted: %v", err)
	}
	n, err := c.DeleteFinished(ctx, jobs.StateCompleted, time.Now().Add(time.Second))
	if err != nil || n < 1 {
		e.t.Fatalf("DeleteFinished: %d, %v", n, err)
	}
	if _, err := c.Get(ctx, done); !errors.Is(err, jobs.ErrNotFound) {
		e.t.Errorf("job past retention: %v", err)
	}
	if _, err := c.Get(ctx, waiting); err != nil {
		e.t.Errorf("waiting job deleted by retention: %v", err)
	}
	if _, err := c.DeleteFinished(ctx, jobs.StateRunning, time.Now()); !errors.Is(err, jobs.ErrInvalid) {
		e.t.Errorf("DeleteFinished(running): %v", err)
	}
}

// PeriodicArgs is the periodic job of the suite.
type PeriodicArgs struct {
	Slot time.Time `json:"slot"`
}

// Kind implements jobs.Args.
func (PeriodicArgs) Kind() string { return "jobstest_periodic" }

func testPeriodic(e *env) {
	var mu sync.Mutex
	slots := map[time.Time]int{}
	reg := jobs.NewRegistry()
	jobs.Register[PeriodicArgs](reg, jobs.WorkFunc[PeriodicArgs](func(_ context.Context, j *jobs.Job[PeriodicArgs]) error {
		mu.Lock()
		slots[j.Args.Slot]++
		mu.Unlock()
		return nil
	}))
	name := "tick-" + e.queue
	// Three schedulers (as three app instances would run) on one backend.
	for i := 0; i < 3; i++ {
		c, err := jobs.New(e.h.Backend, jobs.Config{Registry: reg, Queues: map[string]jobs.QueueConfig{e.queue: {MaxWorkers: 5}},
			PollInterval: 20 * time.Millisecond, MaintenanceInterval: 50 * time.Millisecond,
			Periodic: []jobs.PeriodicJob{{Name: name, Schedule: jobs.Every(100 * time.Millisecond),
				Args: func(slot time.Time) jobs.Args { return PeriodicArgs{Slot: slot} }, Opts: &jobs.InsertOpts{Queue: e.queue}}}})
		if err != nil {
			e.t.Fatal(err)
		}
		e.start(c)
	}
	// Wait for 8 slots (0.8 s unloaded; a loaded machine may take longer).
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		mu.Lock()
		n := len(slots)
		mu.Unlock()
		if n >= 8 {
			break
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("%d slots of a 100 ms schedule ran in 30 s", n)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	for slot, n := range slots {
		if n != 1 {
			e.t.Errorf("slot %s ran %d times", slot.Format(time.RFC3339Nano), n)
		}
		if slot.Nanosecond()%int(100*time.Millisecond) != 0 {
			e.t.Errorf("slot %s is not on the 100 ms grid", slot)
		}
	}
	if _, err := jobs.Cron("61 * * * *"); !errors.Is(err, jobs.ErrInvalid) {
		e.t.Errorf("bad cron: %v", err)
	}
	// February 30th parses but never comes: refused, not a busy loop.
	if _, err := jobs.New(e.h.Backend, jobs.Config{Periodic: []jobs.PeriodicJob{{Name: "never", Schedule: jobs.MustCron("0 0 30 2 *"),
		Args: func(time.Time) jobs.Args { return PeriodicArgs{} }}}}); !errors.Is(err, jobs.ErrInvalid) {
		e.t.Errorf("a schedule that never fires: %v", err)
	}
	// Intervals are aligned to the Unix epoch (a Thursday).
	if got := jobs.Every(7 * 24 * time.Hour).Next(time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)); got.Weekday() != time.Thursday || got.Hour() != 0 {
		e.t.Errorf("weekly slot = %s, want a Thursday midnight", got)
	}
	s, err := jobs.Cron("*/15 9-17 * * MON-FRI")
	if err != nil {
		e.t.Fatal(err)
	}
	from := time.Date(2026, 11, 27, 17, 50, 0, 0, time.UTC) // a Friday
	if got := s.Next(from); !got.Equal(time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)) {
		e.t.Errorf("cron next after Friday 17:50 = %s", got)
	}
}

func testInvalid(e *env) {
	ctx := context.Background()
	c := e.client(nil)
	for _, o := range []*jobs.InsertOpts{
		{Queue: "has space"}, {Queue: strings.Repeat("q", 101)}, {Priority: 5000}, {MaxAttempts: -1},
		{RunAt: time.Now(), Delay: time.Second}, {Delay: -time.Second}, {Tags: []string{""}},
		{Unique: &jobs.UniqueOpts{States: []jobs.State{"nope"}}},
	} {
		if _, err := c.Enqueue(ctx, Args{}, o); !errors.Is(err, jobs.ErrInvalid) {
			e.t.Errorf("Enqueue(%+v): %v, want ErrInvalid", o, err)
		}
	}
	big := Args{Name: strings.Repeat("x", 1<<20)}
	if _, err := c.Enqueue(ctx, big, &jobs.InsertOpts{Queue: e.queue}); !errors.Is(err, jobs.ErrInvalid) {
		e.t.Errorf("1 MiB args: %v", err)
	}
	for _, cfg := range []jobs.Config{
		{Queues: map[string]jobs.QueueConfig{"a": {MaxWorkers: 1}}},
		{Registry: e.reg, Queues: map[string]jobs.QueueConfig{"a": {MaxWorkers: 0}}},
		{Lease: time.Millisecond},
		{Periodic: []jobs.PeriodicJob{{Name: "x"}}},
	} {
		if _, err := jobs.New(e.h.Backend, cfg); !errors.Is(err, jobs.ErrInvalid) {
			e.t.Errorf("New(%+v): %v, want ErrInvalid", cfg, err)
		}
	}
	if _, err := c.Get(ctx, 1<<60); !errors.Is(err, jobs.ErrNotFound) {
		e.t.Errorf("Get(missing): %v", err)
	}
}

// testWakeUp: a backend with wake-ups (PostgreSQL's LISTEN/NOTIFY, the
// in-memory backend) starts a job enqueued by another client at once, with
// polling all but off; one without says ErrNoWake.
func testWakeUp(e *env) {
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	err := e.h.Backend.Wake(ctx, func(string) {})
	if errors.Is(err, jobs.ErrNoWake) {
		return
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		e.t.Fatalf("Wake: %v", err)
	}
	worker := e.client(func(cfg *jobs.Config) { cfg.PollInterval = time.Hour; cfg.MaintenanceInterval = time.Hour })
	e.start(worker)
	// Usually time for the worker's first fetch and its LISTEN; if the LISTEN
	// comes later, the fetch it makes once listening picks job 0 up, and the
	// later jobs can only start through a wake-up.
	time.Sleep(200 * time.Millisecond)
	inserter := e.client(func(cfg *jobs.Config) { cfg.Queues = nil })
	for i := 0; i < 3; i++ {
		id := e.enqueue(inserter, Args{N: i}, nil)
		e.waitState(worker, id, jobs.StateCompleted)
	}
	if err := inserter.Pause(context.Background(), e.queue); err != nil {
		e.t.Fatal(err)
	}
	id := e.enqueue(inserter, Args{N: 9}, nil)
	if err := inserter.Resume(context.Background(), e.queue); err != nil {
		e.t.Fatal(err)
	}
	e.waitState(worker, id, jobs.StateCompleted)
}
