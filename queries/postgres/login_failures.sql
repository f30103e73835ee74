-- name: LoginFailureGet :one
SELECT * FROM quarry_login_failures WHERE throttle_key = sqlc.arg(throttle_key);

-- LoginFailureStart opens a new window with one failure.
-- name: LoginFailureStart :exec
INSERT INTO quarry_login_failures (throttle_key, failures, window_start, locked_until)
VALUES (sqlc.arg(throttle_key), 1, sqlc.arg(window_start), NULL)
ON CONFLICT (throttle_key) DO UPDATE SET failures = 1, window_start = EXCLUDED.window_start, locked_until = NULL;

-- LoginFailureIncrement counts one more failure in the current window.
-- name: LoginFailureIncrement :exec
UPDATE quarry_login_failures SET failures = failures + 1 WHERE throttle_key = sqlc.arg(throttle_key);

-- name: LoginFailureLock :exec
UPDATE quarry_login_failures SET locked_until = sqlc.arg(locked_until) WHERE throttle_key = sqlc.arg(throttle_key);

-- name: LoginFailureClear :exec
DELETE FROM quarry_login_failures WHERE throttle_key = sqlc.arg(throttle_key);
