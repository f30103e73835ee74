package admin

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"time"

	"github.com/quarry-go/quarry/dialects"
	"github.com/quarry-go/quarry/framework"
	"github.com/quarry-go/quarry/framework/jobs"
)

// The background-jobs tables (framework/jobs): jobs are listed by state,
// queue and kind; the actions keep the queue's rules (they never touch a
// running job). The form leaves only queue, priority, run_at and
// max_attempts editable.
var (
	jobsTable = Table{
		Label:        "Background jobs",
		ListDisplay:  []string{"id", "kind", "queue", "state", "attempt", "max_attempts", "run_at", "finished_at"},
		ListFilter:   []string{"state", "queue", "kind", "run_at"},
		SearchFields: []string{"kind", "args", "tags"},
		Ordering:     []string{"-id"},
		ReadonlyFields: []string{"kind", "args", "state", "attempt", "created_at", "attempted_at", "finished_at",
			"locked_until", "locked_by", "errors", "tags", "unique_key", "unique_states"},
		Actions: []Action{
			{Name: "retry", Label: "Run selected jobs again now", Run: jobAction("retried", jobs.RetryOn, true)},
			{Name: "cancel", Label: "Cancel selected jobs (not yet started)", Run: jobAction("cancelled", jobs.CancelOn, false)},
		},
	}
	jobQueuesTable = Table{
		Label: "Job queues",
		Actions: []Action{
			{Name: "pause", Label: "Pause selected queues", Run: queueAction(true)},
			{Name: "resume", Label: "Resume selected queues", Run: queueAction(false)},
		},
	}
)

// jobAction applies fn (the jobs package's, in the action's transaction)
// to each selected job and reports how many it changed; the others were
// in a state fn does not apply to. With wake, the workers are woken when
// the transaction commits (PostgreSQL).
func jobAction(verb string, fn func(context.Context, dialects.Handle, int64, time.Time) (bool, error), wake bool) func(context.Context, *sql.Tx, Selection) (string, error) {
	return func(ctx context.Context, tx *sql.Tx, sel Selection) (string, error) {
		h := &framework.Tx{Tx: tx, Dialect: sel.Dialect}
		now := time.Now().UTC().Truncate(time.Microsecond)
		var changed int64
		for _, k := range sel.Keys {
			id, err := strconv.ParseInt(k[0], 10, 64)
			if err != nil {
				return "", UserError{Msg: fmt.Sprintf("%q is not a job id", k[0])}
			}
			done, err := fn(ctx, h, id, now)
			if err != nil {
				return "", err
			}
			if done {
				changed++
			}
		}
		if wake && changed > 0 {
			if err := jobs.Notify(ctx, tx, sel.Dialect, ""); err != nil {
				return "", err
			}
		}
		msg := fmt.Sprintf("%s %d of %d jobs", verb, changed, len(sel.Keys))
		if skipped := int64(len(sel.Keys)) - changed; skipped > 0 {
			msg += fmt.Sprintf("; %d were running or already finished", skipped)
		}
		return msg + ".", nil
	}
}

func queueAction(pause bool) func(context.Context, *sql.Tx, Selection) (string, error) {
	return func(ctx context.Context, tx *sql.Tx, sel Selection) (string, error) {
		h := &framework.Tx{Tx: tx, Dialect: sel.Dialect}
		now := time.Now().UTC().Truncate(time.Microsecond)
		for _, k := range sel.Keys {
			if err := jobs.SetPausedOn(ctx, h, k[0], pause, now); err != nil {
				return "", err
			}
		}
		if pause {
			return fmt.Sprintf("Paused %d queues: no new jobs start in them until resumed.", len(sel.Keys)), nil
		}
		return fmt.Sprintf("Resumed %d queues.", len(sel.Keys)), nil
	}
}
