package jobs

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/quarry-go/quarry/dialects"
	"github.com/quarry-go/quarry/framework"
	"github.com/quarry-go/quarry/queries"
)

// notifyChannel is the LISTEN/NOTIFY channel; the payload is a queue name.
const notifyChannel = "quarry_jobs"

// allQueues is the wake-up payload for every queue.
const allQueues = "*"

// SQLBackend keeps jobs in quarry_jobs through the framework's queries.
//
// The operations a request makes — Insert outside a transaction, Get,
// Cancel, Retry, Delete, SetPaused, Queues and Counts — run on the
// database of the request's context (framework.DatabaseFrom) when it
// carries one, as session.Store does: inside a tenant (package tenancy)
// a job is enqueued in, and looked up from, the tenant's database, even
// through a client built on the main database. The operations of workers
// (Fetch, Complete, SetOutcome, Heartbeat, ListExpired, Rescue, Promote,
// DeleteFinished, Wake) always run on the backend's own database: a
// client works the queues of the database it was made with
// (tenancy.Workers runs one client per tenant database).
type SQLBackend struct {
	db *framework.Database
}

var _ Backend = (*SQLBackend)(nil)

// NewSQL returns the backend over the app's database. Its migrations
// (quarry_jobs, quarry_job_queues) come with the framework's.
func NewSQL(db *framework.Database) *SQLBackend {
	return &SQLBackend{db: db}
}

// Database returns the database the backend was made with (its workers'
// database).
func (b *SQLBackend) Database() *framework.Database { return b.db }

// on returns the backend for ctx: over the context's database when it
// carries one other than b's, else b.
func (b *SQLBackend) on(ctx context.Context) *SQLBackend {
	if d := framework.DatabaseFrom(ctx); d != nil && d != b.db && d.DB != b.db.DB {
		return &SQLBackend{db: d}
	}
	return b
}

func (b *SQLBackend) q(db queries.DBTX) queries.Querier { return b.db.Dialect.Queries(db) }

// Insert implements Backend. Without tx, the jobs go to the context's
// database (see [SQLBackend]), several in one
// transaction of their own. On PostgreSQL each queue that gained an
// available job is notified, inside the same transaction.
func (b *SQLBackend) Insert(ctx context.Context, tx *sql.Tx, jobs []*InsertParams) ([]InsertResult, error) {
	if tx == nil {
		b = b.on(ctx)
	}
	if tx != nil {
		return b.insert(ctx, tx, jobs)
	}
	// Concurrent inserts of one unique key can deadlock on MySQL; outside a
	// caller's transaction the insert is simply tried again.
	for attempt := 1; ; attempt++ {
		out, err := b.insertOwn(ctx, jobs)
		if !errors.Is(err, queries.ErrConflict) || attempt == 3 {
			return out, err
		}
	}
}

func (b *SQLBackend) insertOwn(ctx context.Context, jobs []*InsertParams) ([]InsertResult, error) {
	if len(jobs) > 1 {
		var out []InsertResult
		err := b.inTx(ctx, func(tx *sql.Tx) error {
			var err error
			out, err = b.insert(ctx, tx, jobs)
			return err
		})
		return out, err
	}
	return b.insert(ctx, b.db.DB, jobs)
}

func (b *SQLBackend) insert(ctx context.Context, db queries.DBTX, jobs []*InsertParams) ([]InsertResult, error) {
	q := b.q(db)
	out := make([]InsertResult, len(jobs))
	var notify []string
	for i, j := range jobs {
		p := queries.JobInsertParams{
			Kind: j.Kind, Queue: j.Queue, Args: string(j.Args), State: string(j.State),
			Priority: int64(j.Priority), MaxAttempts: int64(j.MaxAttempts),
			RunAt: j.RunAt, CreatedAt: j.CreatedAt, Tags: encodeTags(j.Tags),
			UniqueKey: nullString(j.UniqueKey), UniqueStates: j.UniqueStates,
		}
		if j.UniqueKey == "" {
			id, err := q.JobInsert(ctx, p)
			if err != nil {
				return nil, fmt.Errorf("insert %s job: %w", j.Kind, err)
			}
			out[i] = InsertResult{ID: id}
		} else {
			r, err := b.insertUnique(ctx, q, p)
			if err != nil {
				return nil, fmt.Errorf("insert unique %s job: %w", j.Kind, err)
			}
			out[i] = r
			if r.Duplicate {
				continue
			}
		}
		if j.State == StateAvailable && !slices.Contains(notify, j.Queue) {
			notify = append(notify, j.Queue)
		}
	}
	for _, queue := range notify {
		if err := Notify(ctx, db, b.db.Dialect, queue); err != nil {
			return nil, fmt.Errorf("notify queue %s: %w", queue, err)
		}
	}
	return out, nil
}

// insertUnique inserts a unique job, or finds the one holding its key. A
// taken key inserts nothing (0 rows), or on MySQL fails with a duplicate-key
// error that leaves the transaction usable. The holder may finish and
// release the key between the two statements: then the insert is tried
// again.
func (b *SQLBackend) insertUnique(ctx context.Context, q queries.Querier, p queries.JobInsertParams) (InsertResult, error) {
	for attempt := 1; ; attempt++ {
		n, err := q.JobInsertUnique(ctx, queries.JobInsertUniqueParams(p))
		if errors.Is(err, queries.ErrUniqueViolation) {
			n, err = 0, nil
		}
		if err != nil {
			return InsertResult{}, err
		}
		row, err := q.JobGetByUniqueKey(ctx, p.UniqueKey)
		if err == nil {
			return InsertResult{ID: row.ID, Duplicate: n == 0}, nil
		}
		if !errors.Is(err, queries.ErrNotFound) {
			return InsertResult{}, err
		}
		if attempt == 3 {
			// In a caller's REPEATABLE READ transaction (MySQL) the holder
			// may stay invisible: the caller can retry the transaction.
			return InsertResult{}, fmt.Errorf("the job holding its unique key changed concurrently; try again: %w", queries.ErrConflict)
		}
	}
}

// Notify wakes the workers of queue ("" for every queue) on databases
// with LISTEN/NOTIFY; inside a transaction at its commit. Elsewhere it does
// nothing: workers poll. For code that changes quarry_jobs directly (the
// admin's actions).
func Notify(ctx context.Context, db queries.DBTX, d dialects.Dialect, queue string) error {
	if !d.Capabilities().ListenNotify {
		return nil
	}
	if queue == "" {
		queue = allQueues
	}
	return dialects.Notify(ctx, db, d, notifyChannel, queue)
}

// inTx runs fn in a transaction through framework.Database.InTx: errors
// classified, and a transaction that loses a deadlock or SQLite's busy
// lock run again.
func (b *SQLBackend) inTx(ctx context.Context, fn func(*sql.Tx) error) error {
	return b.db.InTx(ctx, nil, func(tx *framework.Tx) error { return fn(tx.Tx) })
}

// Fetch implements Backend: one short transaction that locks the next
// due jobs (FOR UPDATE SKIP LOCKED on PostgreSQL and MySQL; SQLite's
// IMMEDIATE transaction holds the write lock) and marks them running.
func (b *SQLBackend) Fetch(ctx context.Context, p FetchParams) ([]*JobRow, error) {
	var out []*JobRow
	err := b.inTx(ctx, func(tx *sql.Tx) error {
		q := b.q(tx)
		rows, err := q.JobLockAvailable(ctx, queries.JobLockAvailableParams{Queue: p.Queue, RunAt: p.Now, Limit: int64(p.Limit)})
		if err != nil || len(rows) == 0 {
			return err
		}
		ids := make([]int64, len(rows))
		for i, r := range rows {
			ids[i] = r.ID
		}
		if err := q.JobMarkRunning(ctx, queries.JobMarkRunningParams{
			AttemptedAt: nullTime(p.Now), LockedUntil: nullTime(p.LockedUntil),
			LockedBy: nullString(p.Worker), Ids: ids,
		}); err != nil {
			return err
		}
		out = make([]*JobRow, len(rows))
		for i, r := range rows {
			j, err := fromStore(r)
			if err != nil {
				return err
			}
			j.State, j.Attempt = StateRunning, j.Attempt+1
			j.AttemptedAt, j.LockedUntil, j.LockedBy = p.Now, p.LockedUntil, p.Worker
			j.UniqueKey = j.keyFor(StateRunning)
			out[i] = j
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("fetch from queue %s: %w", p.Queue, err)
	}
	return out, nil
}

// Complete implements Backend: one UPDATE per attempt number among runs
// (nearly always one).
func (b *SQLBackend) Complete(ctx context.Context, runs []JobAttempt, worker string, at time.Time) (int64, error) {
	q := b.db.Queries()
	var total int64
	for _, g := range byAttempt(runs) {
		n, err := q.JobComplete(ctx, queries.JobCompleteParams{FinishedAt: nullTime(at), Ids: g.ids, LockedBy: nullString(worker), Attempt: int64(g.attempt)})
		total += n
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

// attemptGroup is the ids of the runs on one attempt.
type attemptGroup struct {
	attempt int
	ids     []int64
}

// byAttempt groups runs by attempt, in ascending order.
func byAttempt(runs []JobAttempt) []attemptGroup {
	var groups []attemptGroup
	for _, r := range runs {
		i, found := slices.BinarySearchFunc(groups, r.Attempt, func(g attemptGroup, a int) int { return g.attempt - a })
		if !found {
			groups = slices.Insert(groups, i, attemptGroup{attempt: r.Attempt})
		}
		groups[i].ids = append(groups[i].ids, r.ID)
	}
	return groups
}

// SetOutcome implements Backend.
func (b *SQLBackend) SetOutcome(ctx context.Context, o Outcome) (bool, error) {
	errs, err := encodeErrors(o.Errors)
	if err != nil {
		return false, err
	}
	n, err := b.db.Queries().JobSetOutcome(ctx, queries.JobSetOutcomeParams{
		State: string(o.State), Attempt: int64(o.Attempt), RunAt: o.RunAt,
		FinishedAt: nullTime(o.FinishedAt), Errors: errs, UniqueKey: nullString(o.UniqueKey),
		ID: o.ID, LockedBy: nullString(o.Worker), RanAttempt: int64(o.RanAttempt),
	})
	return n == 1, err
}

func encodeErrors(errs []AttemptError) (string, error) {
	if errs == nil {
		return "[]", nil
	}
	b, err := json.Marshal(errs)
	return string(b), err
}

// Heartbeat implements Backend: one UPDATE per attempt number among runs;
// when one renews fewer rows than it was given, a SELECT says which runs
// worker still holds.
func (b *SQLBackend) Heartbeat(ctx context.Context, worker string, runs []JobAttempt, until time.Time) ([]JobAttempt, error) {
	q := b.db.Queries()
	renewed := make([]JobAttempt, 0, len(runs))
	for _, g := range byAttempt(runs) {
		n, err := q.JobHeartbeat(ctx, queries.JobHeartbeatParams{LockedUntil: nullTime(until), LockedBy: nullString(worker), Attempt: int64(g.attempt), Ids: g.ids})
		if err != nil {
			return nil, err
		}
		ids := g.ids
		if int(n) < len(g.ids) {
			if ids, err = q.JobListHeld(ctx, queries.JobListHeldParams{LockedBy: nullString(worker), Attempt: int64(g.attempt), Ids: g.ids}); err != nil {
				return nil, err
			}
		}
		for _, id := range ids {
			renewed = append(renewed, JobAttempt{ID: id, Attempt: g.attempt})
		}
	}
	return renewed, nil
}

// maintenanceBatch bounds the rows one maintenance statement changes.
const maintenanceBatch = 1000

// ListExpired implements Backend. It reads without locking; Rescue then
// changes each job by primary key, re-checking the lease.
func (b *SQLBackend) ListExpired(ctx context.Context, now time.Time, limit int) ([]*JobRow, error) {
	rows, err := b.db.Queries().JobListExpired(ctx, queries.JobListExpiredParams{LockedUntil: nullTime(now), Limit: int64(limit)})
	if err != nil {
		return nil, err
	}
	out := make([]*JobRow, len(rows))
	for i, r := range rows {
		if out[i], err = fromStore(r); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Rescue implements Backend.
func (b *SQLBackend) Rescue(ctx context.Context, o Outcome, now time.Time) (bool, error) {
	errs, err := encodeErrors(o.Errors)
	if err != nil {
		return false, err
	}
	n, err := b.db.Queries().JobRescue(ctx, queries.JobRescueParams{
		State: string(o.State), Attempt: int64(o.Attempt), RunAt: o.RunAt,
		FinishedAt: nullTime(o.FinishedAt), Errors: errs, UniqueKey: nullString(o.UniqueKey),
		ID: o.ID, LockedBy: nullString(o.Worker), RanAttempt: int64(o.RanAttempt), Now: nullTime(now),
	})
	return n == 1, err
}

// Promote implements Backend. On PostgreSQL, when it made jobs available
// it wakes the workers of every queue (payload "*").
func (b *SQLBackend) Promote(ctx context.Context, now time.Time) (int64, error) {
	q := b.db.Queries()
	total, err := b.byBatches(func() ([]int64, error) {
		return q.JobListDue(ctx, queries.JobListDueParams{RunAt: now, Limit: maintenanceBatch})
	}, func(ids []int64) (int64, error) {
		return q.JobPromote(ctx, queries.JobPromoteParams{Now: now, Ids: ids})
	})
	if err == nil && total > 0 {
		err = Notify(ctx, b.db.DB, b.db.Dialect, "")
	}
	return total, err
}

// byBatches lists candidate ids without locking and changes them by
// primary key (the change re-checks its condition), a batch at a time,
// until a list comes back short; it returns how many rows changed.
func (b *SQLBackend) byBatches(list func() ([]int64, error), change func(ids []int64) (int64, error)) (int64, error) {
	var total int64
	for {
		ids, err := list()
		if err != nil || len(ids) == 0 {
			return total, err
		}
		n, err := change(ids)
		total += n
		if err != nil || len(ids) < maintenanceBatch {
			return total, err
		}
	}
}

// DeleteFinished implements Backend.
func (b *SQLBackend) DeleteFinished(ctx context.Context, state State, before time.Time, limit int) (int64, error) {
	return b.db.Queries().JobDeleteFinished(ctx, queries.JobDeleteFinishedParams{State: string(state), FinishedAt: nullTime(before), Limit: int64(limit)})
}

// Get implements Backend.
func (b *SQLBackend) Get(ctx context.Context, id int64) (*JobRow, error) {
	b = b.on(ctx)
	r, err := b.db.Queries().JobGet(ctx, id)
	if errors.Is(err, queries.ErrNotFound) {
		return nil, fmt.Errorf("%w: id %d", ErrNotFound, id)
	} else if err != nil {
		return nil, err
	}
	return fromStore(r)
}

// Cancel implements Backend.
func (b *SQLBackend) Cancel(ctx context.Context, id int64, at time.Time) (bool, error) {
	return CancelOn(ctx, b.on(ctx).db, id, at)
}

// Retry implements Backend.
func (b *SQLBackend) Retry(ctx context.Context, id int64, at time.Time) (bool, error) {
	return RetryOn(ctx, b.on(ctx).db, id, at)
}

// CancelOn cancels the job id on h (a database, or the caller's
// transaction: a *framework.Tx) unless it has started, as at; it reports
// whether it did.
func CancelOn(ctx context.Context, h dialects.Handle, id int64, at time.Time) (bool, error) {
	db, d := h.Handle()
	n, err := d.Queries(db).JobCancel(ctx, queries.JobCancelParams{FinishedAt: nullTime(at), ID: id})
	return n == 1, err
}

// RetryOn makes the job id on h (a database, or the caller's
// transaction) run again at at, unless it is running; it reports whether
// it did. The workers are not woken: see Notify.
func RetryOn(ctx context.Context, h dialects.Handle, id int64, at time.Time) (bool, error) {
	db, d := h.Handle()
	n, err := d.Queries(db).JobRetry(ctx, queries.JobRetryParams{RunAt: at, ID: id})
	return n == 1, err
}

// Delete implements Backend.
func (b *SQLBackend) Delete(ctx context.Context, id int64) (bool, error) {
	b = b.on(ctx)
	n, err := b.db.Queries().JobDelete(ctx, id)
	return n == 1, err
}

// SetPaused implements Backend.
func (b *SQLBackend) SetPaused(ctx context.Context, queue string, paused bool, at time.Time) error {
	return SetPausedOn(ctx, b.on(ctx).db, queue, paused, at)
}

// SetPausedOn pauses or resumes queue on h (a database, or the caller's
// transaction), as at; resuming wakes its workers (PostgreSQL), when the
// transaction commits.
func SetPausedOn(ctx context.Context, h dialects.Handle, queue string, paused bool, at time.Time) error {
	db, d := h.Handle()
	p := queries.JobQueueSetPausedParams{Name: queue, UpdatedAt: at}
	if paused {
		p.PausedAt = nullTime(at)
	}
	if err := d.Queries(db).JobQueueSetPaused(ctx, p); err != nil {
		return err
	}
	if !paused {
		return Notify(ctx, db, d, queue)
	}
	return nil
}

// Queues implements Backend.
func (b *SQLBackend) Queues(ctx context.Context) ([]QueueInfo, error) {
	b = b.on(ctx)
	rows, err := b.db.Queries().JobQueueList(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]QueueInfo, len(rows))
	for i, r := range rows {
		out[i] = QueueInfo{Name: r.Name, Paused: r.PausedAt.Valid, UpdatedAt: r.UpdatedAt.UTC()}
	}
	return out, nil
}

// Counts implements Backend.
func (b *SQLBackend) Counts(ctx context.Context) ([]Count, error) {
	b = b.on(ctx)
	rows, err := b.db.Queries().JobCountByState(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Count, len(rows))
	for i, r := range rows {
		out[i] = Count{Queue: r.Queue, State: State(r.State), Jobs: r.Jobs}
	}
	return out, nil
}

// Wake implements Backend with LISTEN on PostgreSQL; elsewhere it returns
// ErrNoWake and clients poll.
func (b *SQLBackend) Wake(ctx context.Context, fn func(queue string)) error {
	if !b.db.Dialect.Capabilities().ListenNotify {
		return ErrNoWake
	}
	// Once listening, fetch what became available before the LISTEN.
	return dialects.Listen(ctx, b.db.DB, b.db.Dialect, notifyChannel, func() { fn(allQueues) }, fn)
}

func fromStore(r queries.QuarryJob) (*JobRow, error) {
	j := &JobRow{
		ID: r.ID, Kind: r.Kind, Queue: r.Queue, EncodedArgs: json.RawMessage(r.Args), State: State(r.State),
		Priority: int(r.Priority), Attempt: int(r.Attempt), MaxAttempts: int(r.MaxAttempts),
		RunAt: r.RunAt.UTC(), CreatedAt: r.CreatedAt.UTC(),
		AttemptedAt: timeOf(r.AttemptedAt), FinishedAt: timeOf(r.FinishedAt), LockedUntil: timeOf(r.LockedUntil),
		LockedBy: r.LockedBy.String, UniqueKey: r.UniqueKey.String, uniqueStates: r.UniqueStates,
	}
	if err := json.Unmarshal([]byte(r.Errors), &j.Errors); err != nil {
		return nil, fmt.Errorf("job %d: errors column: %w", r.ID, err)
	}
	if err := json.Unmarshal([]byte(r.Tags), &j.Tags); err != nil {
		return nil, fmt.Errorf("job %d: tags column: %w", r.ID, err)
	}
	return j, nil
}

func encodeTags(tags []string) string {
	if len(tags) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(tags)
	return string(b)
}

func nullString(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }

// timeOf is a nullable time in UTC, or the zero time for NULL.
func timeOf(t sql.NullTime) time.Time {
	if !t.Valid {
		return time.Time{}
	}
	return t.Time.UTC()
}

func nullTime(t time.Time) sql.NullTime { return sql.NullTime{Time: t, Valid: !t.IsZero()} }
