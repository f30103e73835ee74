-- name: LoginFailureGet :one
SELECT * FROM quarry_login_failures WHERE throttle_key = sqlc.arg(throttle_key);

-- LoginFailureCount counts one attempt, atomically: it creates the row
-- for a new key, or adds one.
-- name: LoginFailureCount :exec
INSERT INTO quarry_login_failures (throttle_key, failures, window_start, locked_until)
VALUES (sqlc.arg(throttle_key), 1, sqlc.arg(window_start), NULL)
ON CONFLICT (throttle_key) DO UPDATE SET failures = quarry_login_failures.failures + 1;

-- LoginFailureResetWindow starts a new window for a key whose window began
-- before cutoff; of concurrent callers, one resets and the others match nothing.
-- name: LoginFailureResetWindow :exec
UPDATE quarry_login_failures SET failures = 0, window_start = sqlc.arg(window_start), locked_until = NULL
WHERE throttle_key = sqlc.arg(throttle_key) AND window_start < sqlc.arg(cutoff);

-- name: LoginFailureLock :exec
UPDATE quarry_login_failures SET locked_until = sqlc.arg(locked_until) WHERE throttle_key = sqlc.arg(throttle_key);

-- name: LoginFailureClear :exec
DELETE FROM quarry_login_failures WHERE throttle_key = sqlc.arg(throttle_key);

-- LoginFailureDecrement gives back an attempt counted before a login that
-- then succeeded.
-- name: LoginFailureDecrement :exec
UPDATE quarry_login_failures SET failures = failures - 1 WHERE throttle_key = sqlc.arg(throttle_key) AND failures > 0;

-- LoginFailureDeleteStale deletes what the throttle has forgotten: counts
-- whose window began before count_cutoff and whose last delay ended before
-- lock_cutoff, and marks of known addresses older than known_cutoff.
-- name: LoginFailureDeleteStale :execrows
DELETE FROM quarry_login_failures
WHERE (throttle_key NOT LIKE 'ok:%' AND window_start < sqlc.arg(count_cutoff)
       AND (locked_until IS NULL OR locked_until < sqlc.arg(lock_cutoff)))
   OR (throttle_key LIKE 'ok:%' AND window_start < sqlc.arg(known_cutoff));
