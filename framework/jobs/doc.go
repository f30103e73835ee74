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
// # At-least-once delivery
//
// A job runs at least once, and occasionally more: when a worker process
// dies after a job's work but before its completion was recorded, the job
// is rescued when its lease expires and runs again. Make workers
// idempotent: do the work and record that it was done in one transaction,
// and check that record first; or give the effect a unique key (an
// idempotency key sent to a payment API, a UNIQUE constraint on the row
// the job creates) so a second run changes nothing.
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
