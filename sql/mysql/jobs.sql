-- Background jobs (framework/jobs). One row per job; state moves
-- available → running → completed, or through retryable/scheduled back to
-- available, or ends discarded/cancelled. args, errors and tags are JSON
-- text written by the jobs package. unique_key is set while the job is in
-- one of its unique_states (a bit set, see jobs.State) and NULL otherwise,
-- so the unique index only holds the jobs that still count.

CREATE TABLE quarry_jobs (
    id            BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    kind          VARCHAR(200) NOT NULL COLLATE utf8mb4_bin,
    queue         VARCHAR(100) NOT NULL COLLATE utf8mb4_bin,
    args          MEDIUMTEXT   NOT NULL,
    state         VARCHAR(16)  NOT NULL,
    priority      BIGINT       NOT NULL,
    attempt       BIGINT       NOT NULL,
    max_attempts  BIGINT       NOT NULL,
    run_at        DATETIME(6)  NOT NULL,
    created_at    DATETIME(6)  NOT NULL,
    attempted_at  DATETIME(6)  NULL,
    finished_at   DATETIME(6)  NULL,
    locked_until  DATETIME(6)  NULL,
    locked_by     VARCHAR(100) NULL,
    errors        MEDIUMTEXT   NOT NULL,
    tags          MEDIUMTEXT   NOT NULL,
    unique_key    VARCHAR(64)  NULL COLLATE utf8mb4_bin,
    unique_states BIGINT       NOT NULL,
    CONSTRAINT quarry_jobs_state_check CHECK (state IN ('available', 'scheduled', 'running', 'retryable', 'completed', 'cancelled', 'discarded')),
    CONSTRAINT quarry_jobs_attempts_check CHECK (max_attempts >= 1 AND attempt >= 0),
    -- Fetching: the next available jobs of a queue in priority order.
    INDEX quarry_jobs_fetch_idx (state, queue, priority, run_at, id),
    -- Promoting scheduled/retryable jobs that are due, and retention.
    INDEX quarry_jobs_state_run_at_idx (state, run_at),
    UNIQUE INDEX quarry_jobs_unique_key_idx (unique_key)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

-- Queues that have been paused or resumed; a queue with no row runs.
CREATE TABLE quarry_job_queues (
    name       VARCHAR(100) NOT NULL PRIMARY KEY COLLATE utf8mb4_bin,
    paused_at  DATETIME(6)  NULL,
    updated_at DATETIME(6)  NOT NULL
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;
