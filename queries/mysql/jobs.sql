-- Background jobs (framework/jobs). Every state change of a running job is
-- guarded by state = 'running', the worker that holds it (locked_by) and the
-- attempt that ran, so a worker whose lease was rescued cannot overwrite the
-- job's newer run, even when that newer run is its own.
-- unique_key is kept only while the new state is one of the job's
-- unique_states (bits: available 1, scheduled 2, running 4, retryable 8,
-- completed 16, cancelled 32, discarded 64).

-- name: JobInsert :execlastid
INSERT INTO quarry_jobs (kind, queue, args, state, priority, attempt, max_attempts, run_at, created_at, errors, tags, unique_key, unique_states)
VALUES (sqlc.arg(kind), sqlc.arg(queue), sqlc.arg(args), sqlc.arg(state), sqlc.arg(priority), 0, sqlc.arg(max_attempts), sqlc.arg(run_at), sqlc.arg(created_at), '[]', sqlc.arg(tags), sqlc.narg(unique_key), sqlc.arg(unique_states));

-- JobInsertUnique inserts a job with a unique_key. PostgreSQL and SQLite
-- skip a taken key (ON CONFLICT DO NOTHING, 0 rows); here a taken key is a
-- duplicate-key error, which rolls back only this statement, never the
-- caller's transaction. (ON DUPLICATE KEY UPDATE cannot tell the two apart:
-- the connection counts found rows, see dialects.)
-- name: JobInsertUnique :execrows
INSERT INTO quarry_jobs (kind, queue, args, state, priority, attempt, max_attempts, run_at, created_at, errors, tags, unique_key, unique_states)
VALUES (sqlc.arg(kind), sqlc.arg(queue), sqlc.arg(args), sqlc.arg(state), sqlc.arg(priority), 0, sqlc.arg(max_attempts), sqlc.arg(run_at), sqlc.arg(created_at), '[]', sqlc.arg(tags), sqlc.narg(unique_key), sqlc.arg(unique_states));

-- name: JobGet :one
SELECT * FROM quarry_jobs WHERE id = sqlc.arg(id);

-- name: JobGetByUniqueKey :one
SELECT * FROM quarry_jobs WHERE unique_key = sqlc.arg(unique_key);

-- JobLockAvailable locks the next due jobs of a queue that is not paused,
-- skipping rows other workers hold; JobMarkRunning then takes them, in the
-- same transaction (MySQL has no UPDATE … RETURNING). Positional
-- parameters, because LIMIT needs a bare ?.
-- name: JobLockAvailable :many
SELECT * FROM quarry_jobs
WHERE state = 'available' AND queue = ? AND run_at <= ?
  AND NOT EXISTS (SELECT 1 FROM quarry_job_queues q WHERE q.name = quarry_jobs.queue AND q.paused_at IS NOT NULL)
ORDER BY priority, run_at, id
LIMIT ?
FOR UPDATE SKIP LOCKED;

-- name: JobMarkRunning :exec
UPDATE quarry_jobs FORCE INDEX (PRIMARY)
SET state = 'running', attempt = attempt + 1, attempted_at = sqlc.arg(attempted_at),
    locked_until = sqlc.arg(locked_until), locked_by = sqlc.arg(locked_by),
    unique_key = CASE WHEN unique_states & 4 <> 0 THEN unique_key END
WHERE id IN (sqlc.slice(ids));

-- JobComplete marks completed the listed jobs a worker still holds on one
-- attempt (a job rescued and fetched again is on a newer attempt).
-- name: JobComplete :execrows
UPDATE quarry_jobs FORCE INDEX (PRIMARY)
SET state = 'completed', finished_at = sqlc.arg(finished_at), locked_until = NULL,
    unique_key = CASE WHEN unique_states & 16 <> 0 THEN unique_key END
-- The slice comes last: sqlc numbers the parameters after it wrongly.
WHERE state = 'running' AND locked_by = sqlc.arg(locked_by) AND attempt = sqlc.arg(attempt) AND id IN (sqlc.slice(ids));

-- JobSetOutcome records any other outcome of one run (retry, discard,
-- cancel, snooze, release at shutdown), with the unique_key the new state
-- keeps.
-- name: JobSetOutcome :execrows
UPDATE quarry_jobs
SET state = sqlc.arg(state), attempt = sqlc.arg(attempt), run_at = sqlc.arg(run_at),
    finished_at = sqlc.narg(finished_at), locked_until = NULL, errors = sqlc.arg(errors),
    unique_key = sqlc.narg(unique_key)
WHERE id = sqlc.arg(id) AND state = 'running' AND locked_by = sqlc.arg(locked_by) AND attempt = sqlc.arg(ran_attempt);

-- JobHeartbeat renews the lease of the jobs a worker is still running on
-- one attempt (only those: a job whose outcome it failed to record must
-- expire). When it renews fewer than listed, JobListHeld says which it
-- still holds; the others were taken from it.
-- name: JobHeartbeat :execrows
UPDATE quarry_jobs FORCE INDEX (PRIMARY) SET locked_until = sqlc.arg(locked_until)
WHERE state = 'running' AND locked_by = sqlc.arg(locked_by) AND attempt = sqlc.arg(attempt) AND id IN (sqlc.slice(ids));

-- name: JobListHeld :many
SELECT id FROM quarry_jobs
WHERE state = 'running' AND locked_by = sqlc.arg(locked_by) AND attempt = sqlc.arg(attempt) AND id IN (sqlc.slice(ids));

-- The UPDATEs by a list of ids FORCE the primary key: a plan over the
-- state index would lock every running row it examines (InnoDB locks what
-- it reads) and deadlock with other workers.
-- Maintenance reads candidates without locking (JobListExpired,
-- JobListDue), then changes them by primary key, re-checking the
-- condition: a statement scanning the state index would lock every running
-- or waiting row (InnoDB locks each row it examines) and deadlock with the
-- workers' own updates.
-- Positional parameters, because LIMIT needs a bare ?.
-- name: JobListExpired :many
SELECT * FROM quarry_jobs WHERE state = 'running' AND locked_until < ? ORDER BY id LIMIT ?;

-- name: JobListDue :many
SELECT id FROM quarry_jobs WHERE state IN ('scheduled', 'retryable') AND run_at <= ? ORDER BY id LIMIT ?;

-- JobRescue records the outcome of a run whose lease expired (its worker
-- crashed or was cut off), which the jobs package decides by the same rule
-- as a failed run's: retryable with backoff, or discarded after the last
-- attempt. Besides the run (state, locked_by, attempt) it re-checks that
-- the lease is still expired, so a lease renewed since it was listed is
-- left alone.
-- name: JobRescue :execrows
UPDATE quarry_jobs
SET state = sqlc.arg(state), attempt = sqlc.arg(attempt), run_at = sqlc.arg(run_at),
    finished_at = sqlc.narg(finished_at), locked_until = NULL, errors = sqlc.arg(errors),
    unique_key = sqlc.narg(unique_key)
WHERE id = sqlc.arg(id) AND state = 'running' AND locked_by = sqlc.arg(locked_by) AND attempt = sqlc.arg(ran_attempt)
  AND locked_until < sqlc.arg(now);

-- JobPromote makes scheduled and retryable jobs that are due available.
-- name: JobPromote :execrows
UPDATE quarry_jobs FORCE INDEX (PRIMARY)
SET state = 'available', unique_key = CASE WHEN unique_states & 1 <> 0 THEN unique_key END
WHERE state IN ('scheduled', 'retryable') AND run_at <= sqlc.arg(now) AND id IN (sqlc.slice(ids));

-- JobDeleteFinished deletes up to limit jobs in one final state that
-- finished before a time (retention).
-- name: JobDeleteFinished :execrows
-- (MySQL refuses LIMIT in an IN subquery, so the DELETE has its own.)
DELETE FROM quarry_jobs WHERE state = ? AND finished_at < ? LIMIT ?;

-- JobCancel cancels a job that has not started (or is waiting to retry).
-- name: JobCancel :execrows
UPDATE quarry_jobs
SET state = 'cancelled', finished_at = sqlc.arg(finished_at),
    unique_key = CASE WHEN unique_states & 32 <> 0 THEN unique_key END
WHERE id = sqlc.arg(id) AND state IN ('available', 'scheduled', 'retryable');

-- JobRetry makes a job that is not running available now, granting one
-- more attempt when it had used them all.
-- name: JobRetry :execrows
UPDATE quarry_jobs
SET state = 'available', run_at = sqlc.arg(run_at), finished_at = NULL,
    max_attempts = CASE WHEN attempt >= max_attempts THEN attempt + 1 ELSE max_attempts END
WHERE id = sqlc.arg(id) AND state <> 'running';

-- name: JobDelete :execrows
DELETE FROM quarry_jobs WHERE id = sqlc.arg(id) AND state <> 'running';

-- name: JobCountByState :many
SELECT queue, state, COUNT(*) AS jobs FROM quarry_jobs GROUP BY queue, state ORDER BY queue, state;

-- name: JobQueueSetPaused :exec
INSERT INTO quarry_job_queues (name, paused_at, updated_at) VALUES (sqlc.arg(name), sqlc.narg(paused_at), sqlc.arg(updated_at))
ON DUPLICATE KEY UPDATE paused_at = VALUES(paused_at), updated_at = VALUES(updated_at);

-- name: JobQueueList :many
SELECT * FROM quarry_job_queues ORDER BY name;
