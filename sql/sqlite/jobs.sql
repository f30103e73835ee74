-- Background jobs (framework/jobs). One row per job; state moves
-- available → running → completed, or through retryable/scheduled back to
-- available, or ends discarded/cancelled. args, errors and tags are JSON
-- text written by the jobs package. unique_key is set while the job is in
-- one of its unique_states (a bit set, see jobs.State) and NULL otherwise,
-- so the unique index only holds the jobs that still count.

CREATE TABLE quarry_jobs (
    id            INTEGER      NOT NULL PRIMARY KEY AUTOINCREMENT,
    kind          VARCHAR(200) NOT NULL,
    queue         VARCHAR(100) NOT NULL,
    args          TEXT         NOT NULL,
    state         VARCHAR(16)  NOT NULL,
    priority      INTEGER      NOT NULL,
    attempt       INTEGER      NOT NULL,
    max_attempts  INTEGER      NOT NULL,
    run_at        DATETIME     NOT NULL,
    created_at    DATETIME     NOT NULL,
    attempted_at  DATETIME,
    finished_at   DATETIME,
    locked_until  DATETIME,
    locked_by     VARCHAR(100),
    errors        TEXT         NOT NULL,
    tags          TEXT         NOT NULL,
    unique_key    VARCHAR(64) ,
    unique_states INTEGER      NOT NULL,
    CONSTRAINT quarry_jobs_state_check CHECK (state IN ('available', 'scheduled', 'running', 'retryable', 'completed', 'cancelled', 'discarded')),
    CONSTRAINT quarry_jobs_attempts_check CHECK (max_attempts >= 1 AND attempt >= 0)
);

-- Fetching: the next available jobs of a queue in priority order.
CREATE INDEX quarry_jobs_fetch_idx ON quarry_jobs (state, queue, priority, run_at, id);
-- Promoting scheduled/retryable jobs that are due, and retention.
CREATE INDEX quarry_jobs_state_run_at_idx ON quarry_jobs (state, run_at);
CREATE UNIQUE INDEX quarry_jobs_unique_key_idx ON quarry_jobs (unique_key);

-- Queues that have been paused or resumed; a queue with no row runs.
CREATE TABLE quarry_job_queues (
    name       VARCHAR(100) NOT NULL PRIMARY KEY,
    paused_at  DATETIME,
    updated_at DATETIME     NOT NULL
);
