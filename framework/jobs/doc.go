// Package jobs runs background jobs stored in the app's own database
// (quarry_jobs on PostgreSQL, MySQL/MariaDB or SQLite) or in memory.
//
// A job kind is a Go type implementing [Args] and a [Worker] registered
// for it with [Register]. A [Client] enqueues jobs ([Client.Enqueue], or
// [Client.EnqueueTx] inside the caller's transaction so the job exists only
// if it commits) and, once started, works its queues: it fetches due jobs
// (FOR UPDATE SKIP LOCKED on PostgreSQL and MySQL; SQLite's single write
// transaction), holds each under a lease renewed by a heartbeat, retries
// failures with backoff, and discards a job after its last attempt. Any
// number of clients in any number of processes share one database.
//
// # Failures, retries and crashes
//
// Every failed attempt follows one rule, whatever failed: an error
// returned by the worker, a panic, a timeout, a lost lease (the run's
// error, wrapped in [ErrLeaseLost]) and a crash, that is a run whose lease
// expired before its worker recorded an outcome (the rescuer records
// [LeaseExpired] at the lease's end). The error is added to the job's
// Errors; while attempts remain (Attempt < MaxAttempts) the job becomes
// retryable after Backoff(attempt), counted from the failure (for a crash,
// from the lease's end, with the rescuing client's backoff for the kind);
// after its last attempt it is discarded. Only [Cancel] (cancelled at
// once) and [Snooze] (not an attempt) differ. [Hooks].JobDone reports each
// recorded outcome once, a crash with [ErrLeaseExpired] by the client that
// rescued the job.
//
// # At-least-once delivery
//
// A job runs at least once, and occasionally more. Each run holds the job
// under a lease ([Config].Lease), which a heartbeat renews every Lease/3.
// Once a lease has ended, any client's maintenance may rescue the job (a
// failed attempt, as above) and the job runs again. So:
//
//   - A worker that cannot renew a lease (its database unreachable, a
//     network partition, a long pause) cancels the run's context, with
//     cause [ErrLeaseLost], Lease/5 before the lease ends as that worker
//     measures it (Lease after the start of the fetch, or of the last
//     heartbeat that renewed it); a heartbeat that finds the job no longer
//     held by the run (taken over) cancels it at once.
//   - Every write of a run's outcome names the run (job, worker, attempt)
//     and changes the job only while that run still holds it: once a job is
//     rescued, its old run's completion or error is discarded, and cannot
//     overwrite or complete the newer run, even one in the same client.
//   - A worker that returns when its context is cancelled therefore never
//     runs at the same time as another run of the same job, as long as the
//     clocks of the clients sharing the database agree to within the margin
//     (less the time the worker takes to return).
//   - A worker that ignores its context, or a process frozen for longer
//     than the margin, can still be running when the rescued job runs
//     again: the two runs overlap, and the stale run's outcome is discarded,
//     but nothing undoes its effects.
//
// A job also runs twice when a worker process dies after a job's work but
// before its completion was recorded. Make workers idempotent: do the work
// and record that it was done in one transaction, and check that record
// first; or give the effect a unique key (an idempotency key sent to a
// payment API, a UNIQUE constraint on the row the job creates) so a second
// run changes nothing.
//
//	func (w *InvoiceWorker) Work(ctx context.Context, j *jobs.Job[InvoiceArgs]) error {
//		tx, err := w.db.BeginTx(ctx, nil)
//		if err != nil {
//			return err
//		}
//		defer tx.Rollback()
//		// The UNIQUE (order_id) constraint makes a second run a no-op.
//		res, err := tx.ExecContext(ctx, `INSERT INTO invoices (order_id, total) VALUES ($1, $2)
//			ON CONFLICT (order_id) DO NOTHING`, j.Args.OrderID, j.Args.Total)
//		if err != nil {
//			return err
//		}
//		if n, _ := res.RowsAffected(); n == 0 {
//			return nil // already done by an earlier run
//		}
//		return tx.Commit()
//	}
//
// # Maintenance and periodic jobs
//
// Every started client also makes scheduled and retryable jobs available
// when due, rescues expired leases and deletes finished jobs past
// [Retention]; each step is idempotent, so running it in every process is
// safe. [PeriodicJob] schedules (cron or fixed intervals) are enqueued once
// per slot however many clients define them.
package jobs
