package dialecttest

import (
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/quarry-go/quarry/framework"
	"github.com/quarry-go/quarry/queries"
)

// jobParams is a job of one attempt on queue q, due at runAt.
func jobParams(q, state string, runAt time.Time) queries.JobInsertParams {
	return queries.JobInsertParams{Kind: "dialecttest", Queue: q, Args: `{"n": 1}`, State: state, Priority: 1,
		MaxAttempts: 1, RunAt: runAt, CreatedAt: runAt, Tags: `["a"]`}
}

func nullTime(t time.Time) sql.NullTime  { return sql.NullTime{Time: t, Valid: true} }
func nullString(s string) sql.NullString { return sql.NullString{String: s, Valid: true} }
func sortedIDs(ids []int64) []int64      { return slices.Sorted(slices.Values(ids)) }
func jobIDs(js []queries.QuarryJob) []int64 {
	var out []int64
	for _, j := range js {
		out = append(out, j.ID)
	}
	return out
}

// job reads a job back.
func (e *env) job(id int64) queries.QuarryJob {
	e.t.Helper()
	j, err := e.q.JobGet(e.ctx, id)
	e.must(fmt.Sprintf("JobGet %d", id), err)
	return j
}

// lock takes the due jobs of a queue for worker, as a worker's fetch does:
// JobLockAvailable and JobMarkRunning in one transaction.
func (e *env) lock(queue, worker string, at, until time.Time) []int64 {
	e.t.Helper()
	var ids []int64
	err := e.db.InTx(e.ctx, nil, func(tx *framework.Tx) error {
		js, err := tx.Queries().JobLockAvailable(e.ctx, queries.JobLockAvailableParams{Queue: queue, RunAt: at, Limit: 10})
		if err != nil || len(js) == 0 {
			ids = nil
			return err
		}
		ids = jobIDs(js)
		return tx.Queries().JobMarkRunning(e.ctx, queries.JobMarkRunningParams{AttemptedAt: nullTime(at),
			LockedUntil: nullTime(until), LockedBy: nullString(worker), Ids: ids})
	})
	e.must("lock jobs", err)
	return ids
}

// testJobs follows jobs through their states with the queries the jobs
// package runs: insert (unique or not), fetch, heartbeat, complete, record
// an outcome, promote, rescue, cancel, retry, count, delete.
func testJobs(e *env) {
	t, ctx, q := e.t, e.ctx, e.q
	t0 := now()
	ins := func(state string, prio int64, runAt time.Time, maxAttempts int64) int64 {
		t.Helper()
		p := jobParams("jq", state, runAt)
		p.Priority, p.MaxAttempts = prio, maxAttempts
		id, err := q.JobInsert(ctx, p)
		e.must("JobInsert", err)
		return id
	}
	a := ins("available", 2, t0.Add(-time.Minute), 1)
	b := ins("available", 1, t0.Add(-time.Minute), 3)
	c := ins("available", 1, t0.Add(time.Hour), 1) // not due
	d := ins("scheduled", 3, t0.Add(-time.Minute), 2)

	j := e.job(a)
	want := jobParams("jq", "available", t0.Add(-time.Minute))
	if j.ID != a || j.Kind != want.Kind || j.Queue != "jq" || !sameJSON(j.Args, want.Args) || j.State != "available" ||
		j.Priority != 2 || j.Attempt != 0 || j.MaxAttempts != 1 || !sameTime(j.RunAt, want.RunAt) || !sameTime(j.CreatedAt, want.CreatedAt) ||
		j.AttemptedAt.Valid || j.FinishedAt.Valid || j.LockedUntil.Valid || j.LockedBy.Valid || !sameJSON(j.Errors, "[]") ||
		!sameJSON(j.Tags, want.Tags) || j.UniqueKey.Valid || j.UniqueStates != 0 {
		t.Errorf("JobGet after JobInsert = %+v; want the inserted fields, attempt 0, no lease", j)
	}

	// Unique jobs: one insert, then a duplicate that reports 0 rows (or a
	// unique violation, which the jobs package takes for the same).
	u := jobParams("uq", "available", t0)
	u.UniqueKey, u.UniqueStates = nullString("only-one"), 127
	n, err := q.JobInsertUnique(ctx, queries.JobInsertUniqueParams(u))
	e.rows("JobInsertUnique", n, err, 1)
	n, err = q.JobInsertUnique(ctx, queries.JobInsertUniqueParams(u))
	if err != nil && !errors.Is(err, queries.ErrUniqueViolation) || err == nil && n != 0 {
		t.Errorf("JobInsertUnique(duplicate) = %d, %v; want 0 rows or ErrUniqueViolation", n, err)
	}
	uj, err := q.JobGetByUniqueKey(ctx, nullString("only-one"))
	if err != nil || uj.Queue != "uq" || uj.UniqueKey != nullString("only-one") || uj.UniqueStates != 127 {
		t.Errorf("JobGetByUniqueKey = %+v, %v", uj, err)
	}

	// Fetch: due available jobs by priority, then run_at, then id.
	got := e.lock("jq", "w1", t0, t0.Add(time.Minute))
	if !slices.Equal(got, []int64{b, a}) {
		t.Fatalf("JobLockAvailable took %v; want [%d %d] (priority order, due only)", got, b, a)
	}
	if again := e.lock("jq", "w1", t0, t0.Add(time.Minute)); len(again) != 0 {
		t.Errorf("JobLockAvailable took running jobs again: %v", again)
	}
	j = e.job(a)
	if j.State != "running" || j.Attempt != 1 || !j.AttemptedAt.Valid || !sameTime(j.AttemptedAt.Time, t0) ||
		j.LockedBy != nullString("w1") || !sameTime(j.LockedUntil.Time, t0.Add(time.Minute)) {
		t.Errorf("after JobMarkRunning: %+v", j)
	}

	// Heartbeat and what the worker still holds.
	held := queries.JobHeartbeatParams{LockedUntil: nullTime(t0.Add(2 * time.Minute)), LockedBy: nullString("w1"), Attempt: 1, Ids: []int64{a, b}}
	n, err = q.JobHeartbeat(ctx, held)
	e.rows("JobHeartbeat", n, err, 2)
	held.Attempt = 2
	n, err = q.JobHeartbeat(ctx, held)
	e.rows("JobHeartbeat(other attempt)", n, err, 0)
	if j := e.job(b); !sameTime(j.LockedUntil.Time, t0.Add(2*time.Minute)) {
		t.Errorf("JobHeartbeat did not renew the lease: %v", j.LockedUntil)
	}
	ids, err := q.JobListHeld(ctx, queries.JobListHeldParams{LockedBy: nullString("w1"), Attempt: 1, Ids: []int64{a, b, c}})
	if err != nil || !slices.Equal(sortedIDs(ids), sortedIDs([]int64{a, b})) {
		t.Errorf("JobListHeld = %v, %v; want [%d %d]", ids, err, a, b)
	}
	if ids, err := q.JobListHeld(ctx, queries.JobListHeldParams{LockedBy: nullString("w2"), Attempt: 1, Ids: []int64{a, b}}); err != nil || len(ids) != 0 {
		t.Errorf("JobListHeld of another worker = %v, %v", ids, err)
	}

	// Complete one; record a retry for the other.
	done := queries.JobCompleteParams{FinishedAt: nullTime(t0), Ids: []int64{a}, LockedBy: nullString("w1"), Attempt: 1}
	n, err = q.JobComplete(ctx, done)
	e.rows("JobComplete", n, err, 1)
	n, err = q.JobComplete(ctx, done)
	e.rows("JobComplete(again)", n, err, 0)
	if j := e.job(a); j.State != "completed" || !sameTime(j.FinishedAt.Time, t0) || j.LockedUntil.Valid {
		t.Errorf("after JobComplete: %+v", j)
	}
	outcome := queries.JobSetOutcomeParams{State: "retryable", Attempt: 1, RunAt: t0.Add(-time.Second), Errors: `[{"error": "boom"}]`,
		ID: b, LockedBy: nullString("w1"), RanAttempt: 1}
	n, err = q.JobSetOutcome(ctx, outcome)
	e.rows("JobSetOutcome", n, err, 1)
	n, err = q.JobSetOutcome(ctx, outcome)
	e.rows("JobSetOutcome(not running)", n, err, 0)
	if j := e.job(b); j.State != "retryable" || !sameJSON(j.Errors, outcome.Errors) || j.LockedUntil.Valid || j.FinishedAt.Valid || !sameTime(j.RunAt, outcome.RunAt) {
		t.Errorf("after JobSetOutcome: %+v", j)
	}

	// Due scheduled and retryable jobs are promoted.
	due, err := q.JobListDue(ctx, queries.JobListDueParams{RunAt: t0, Limit: 10})
	if err != nil || !slices.Equal(due, []int64{b, d}) {
		t.Errorf("JobListDue = %v, %v; want [%d %d]", due, err, b, d)
	}
	if due, err := q.JobListDue(ctx, queries.JobListDueParams{RunAt: t0, Limit: 1}); err != nil || !slices.Equal(due, []int64{b}) {
		t.Errorf("JobListDue(limit 1) = %v, %v", due, err)
	}
	n, err = q.JobPromote(ctx, queries.JobPromoteParams{Now: t0, Ids: []int64{b, d, c}})
	e.rows("JobPromote", n, err, 2)
	if j := e.job(d); j.State != "available" {
		t.Errorf("after JobPromote: %s", j.State)
	}

	// A lease that expired is listed and rescued, unless renewed since.
	got = e.lock("jq", "w2", t0, t0.Add(-time.Minute))
	if !slices.Equal(got, []int64{b, d}) {
		t.Fatalf("second fetch took %v; want [%d %d]", got, b, d)
	}
	expired, err := q.JobListExpired(ctx, queries.JobListExpiredParams{LockedUntil: nullTime(t0), Limit: 10})
	if err != nil || !slices.Equal(jobIDs(expired), []int64{b, d}) || expired[0].Attempt != 2 || expired[0].LockedBy != nullString("w2") {
		t.Errorf("JobListExpired = %+v, %v; want jobs %d, %d on their second attempt", expired, err, b, d)
	}
	if expired, err := q.JobListExpired(ctx, queries.JobListExpiredParams{LockedUntil: nullTime(t0.Add(-time.Hour)), Limit: 10}); err != nil || len(expired) != 0 {
		t.Errorf("JobListExpired(an hour ago) = %v, %v", jobIDs(expired), err)
	}
	rescue := queries.JobRescueParams{State: "discarded", Attempt: 1, RunAt: t0, FinishedAt: nullTime(t0), Errors: `[{"error": "lost"}]`,
		ID: d, LockedBy: nullString("w2"), RanAttempt: 1, Now: nullTime(t0)}
	n, err = q.JobRescue(ctx, rescue)
	e.rows("JobRescue", n, err, 1)
	if j := e.job(d); j.State != "discarded" || !j.FinishedAt.Valid || j.LockedUntil.Valid || !sameJSON(j.Errors, rescue.Errors) {
		t.Errorf("after JobRescue: %+v", j)
	}
	rescue.ID, rescue.RanAttempt, rescue.Now = b, 2, nullTime(t0.Add(-time.Hour)) // renewed since: left alone
	n, err = q.JobRescue(ctx, rescue)
	e.rows("JobRescue(lease not expired)", n, err, 0)

	// Cancel a waiting job, retry a finished one.
	n, err = q.JobCancel(ctx, queries.JobCancelParams{FinishedAt: nullTime(t0), ID: c})
	e.rows("JobCancel", n, err, 1)
	n, err = q.JobCancel(ctx, queries.JobCancelParams{FinishedAt: nullTime(t0), ID: a})
	e.rows("JobCancel(completed)", n, err, 0)
	if j := e.job(c); j.State != "cancelled" || !sameTime(j.FinishedAt.Time, t0) {
		t.Errorf("after JobCancel: %+v", j)
	}
	n, err = q.JobRetry(ctx, queries.JobRetryParams{RunAt: t0, ID: a})
	e.rows("JobRetry", n, err, 1)
	n, err = q.JobRetry(ctx, queries.JobRetryParams{RunAt: t0, ID: b})
	e.rows("JobRetry(running)", n, err, 0)
	if j := e.job(a); j.State != "available" || j.FinishedAt.Valid || j.MaxAttempts != 2 || !sameTime(j.RunAt, t0) {
		t.Errorf("after JobRetry of a job that used its one attempt: %+v; want available with 2 attempts", j)
	}

	// Counts by queue and state match the jobs' own states.
	wantCounts := map[[2]string]int64{}
	for _, id := range []int64{a, b, c, d, uj.ID} {
		j := e.job(id)
		wantCounts[[2]string{j.Queue, j.State}]++
	}
	counts, err := q.JobCountByState(ctx)
	e.must("JobCountByState", err)
	gotCounts := map[[2]string]int64{}
	for i, r := range counts {
		gotCounts[[2]string{r.Queue, r.State}] = r.Jobs
		if i > 0 && (counts[i-1].Queue > r.Queue || counts[i-1].Queue == r.Queue && counts[i-1].State >= r.State) {
			t.Errorf("JobCountByState not ordered by queue and state: %+v", counts)
		}
	}
	if fmt.Sprint(gotCounts) != fmt.Sprint(wantCounts) {
		t.Errorf("JobCountByState = %v; want %v", gotCounts, wantCounts)
	}

	// Retention and deletion.
	n, err = q.JobDeleteFinished(ctx, queries.JobDeleteFinishedParams{State: "cancelled", FinishedAt: nullTime(t0), Limit: 10})
	e.rows("JobDeleteFinished(not before)", n, err, 0)
	n, err = q.JobDeleteFinished(ctx, queries.JobDeleteFinishedParams{State: "cancelled", FinishedAt: nullTime(t0.Add(time.Second)), Limit: 10})
	e.rows("JobDeleteFinished", n, err, 1)
	n, err = q.JobDelete(ctx, b)
	e.rows("JobDelete(running)", n, err, 0)
	n, err = q.JobDelete(ctx, a)
	e.rows("JobDelete", n, err, 1)
	for _, id := range []int64{a, c} {
		if _, err := q.JobGet(ctx, id); !errors.Is(err, queries.ErrNotFound) {
			t.Errorf("JobGet(deleted %d) = %v", id, err)
		}
	}
}

// testJobQueues: pausing a queue hides its jobs from fetching; resuming
// shows them again; the queue list reads the state back.
func testJobQueues(e *env) {
	t, ctx, q := e.t, e.ctx, e.q
	t0 := now()
	id, err := q.JobInsert(ctx, jobParams("pq", "available", t0.Add(-time.Minute)))
	e.must("JobInsert", err)
	e.must("JobQueueSetPaused(pause)", q.JobQueueSetPaused(ctx, queries.JobQueueSetPausedParams{Name: "pq", PausedAt: nullTime(t0), UpdatedAt: t0}))
	e.must("JobQueueSetPaused(other)", q.JobQueueSetPaused(ctx, queries.JobQueueSetPausedParams{Name: "apq", UpdatedAt: t0}))
	qs, err := q.JobQueueList(ctx)
	e.must("JobQueueList", err)
	if len(qs) != 2 || qs[0].Name != "apq" || qs[0].PausedAt.Valid || qs[1].Name != "pq" || !sameTime(qs[1].PausedAt.Time, t0) || !sameTime(qs[1].UpdatedAt, t0) {
		t.Errorf("JobQueueList = %+v; want apq running, pq paused", qs)
	}
	if got := e.lock("pq", "w", t0, t0.Add(time.Minute)); len(got) != 0 {
		t.Errorf("JobLockAvailable took %v from a paused queue", got)
	}
	later := t0.Add(time.Second)
	e.must("JobQueueSetPaused(resume)", q.JobQueueSetPaused(ctx, queries.JobQueueSetPausedParams{Name: "pq", UpdatedAt: later}))
	qs, err = q.JobQueueList(ctx)
	if err != nil || len(qs) != 2 || qs[1].PausedAt.Valid || !sameTime(qs[1].UpdatedAt, later) {
		t.Errorf("JobQueueList after resuming = %+v, %v", qs, err)
	}
	if got := e.lock("pq", "w", t0, t0.Add(time.Minute)); !slices.Equal(got, []int64{id}) {
		t.Errorf("JobLockAvailable on the resumed queue took %v; want [%d]", got, id)
	}
}
