package jobs

import (
	"cmp"
	"context"
	"database/sql"
	"slices"
	"sync"
	"time"
)

// MemoryBackend keeps jobs in the process: for tests and development. It
// behaves as the SQL backend does, except that it has no transactions
// (EnqueueTx returns ErrNoTransactions) and forgets everything on exit.
type MemoryBackend struct {
	mu     sync.Mutex
	jobs   map[int64]*JobRow
	unique map[string]int64
	queues map[string]QueueInfo
	nextID int64
	wakers map[int]func(string)
	nextW  int
}

var _ Backend = (*MemoryBackend)(nil)

// NewMemory returns an empty in-memory backend.
func NewMemory() *MemoryBackend {
	return &MemoryBackend{jobs: map[int64]*JobRow{}, unique: map[string]int64{}, queues: map[string]QueueInfo{}, wakers: map[int]func(string){}}
}

// setState moves j to s, dropping its unique key when s does not count.
func (m *MemoryBackend) setState(j *JobRow, s State) {
	j.State = s
	if j.UniqueKey != "" && j.uniqueStates&s.bit() == 0 {
		delete(m.unique, j.UniqueKey)
		j.UniqueKey = ""
	}
}

func (m *MemoryBackend) wake(queue string) {
	for _, fn := range m.wakers {
		fn(queue)
	}
}

// Insert implements Backend.
func (m *MemoryBackend) Insert(_ context.Context, tx *sql.Tx, jobs []*InsertParams) ([]InsertResult, error) {
	if tx != nil {
		return nil, ErrNoTransactions
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]InsertResult, len(jobs))
	var woken []string
	for i, p := range jobs {
		if p.UniqueKey != "" {
			if id, ok := m.unique[p.UniqueKey]; ok {
				out[i] = InsertResult{ID: id, Duplicate: true}
				continue
			}
		}
		m.nextID++
		j := &JobRow{
			ID: m.nextID, Kind: p.Kind, Queue: p.Queue, EncodedArgs: append([]byte(nil), p.Args...), State: p.State,
			Priority: p.Priority, MaxAttempts: p.MaxAttempts, RunAt: p.RunAt, CreatedAt: p.CreatedAt,
			Tags: append([]string(nil), p.Tags...), UniqueKey: p.UniqueKey, uniqueStates: p.UniqueStates,
		}
		m.jobs[j.ID] = j
		if j.UniqueKey != "" {
			m.unique[j.UniqueKey] = j.ID
		}
		out[i] = InsertResult{ID: j.ID}
		if j.State == StateAvailable && !slices.Contains(woken, j.Queue) {
			woken = append(woken, j.Queue)
		}
	}
	for _, q := range woken {
		m.wake(q)
	}
	return out, nil
}

// Fetch implements Backend.
func (m *MemoryBackend) Fetch(_ context.Context, p FetchParams) ([]*JobRow, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.queues[p.Queue].Paused {
		return nil, nil
	}
	var due []*JobRow
	for _, j := range m.jobs {
		if j.State == StateAvailable && j.Queue == p.Queue && !j.RunAt.After(p.Now) {
			due = append(due, j)
		}
	}
	slices.SortFunc(due, func(a, b *JobRow) int {
		if a.Priority != b.Priority {
			return a.Priority - b.Priority
		}
		if c := a.RunAt.Compare(b.RunAt); c != 0 {
			return c
		}
		return int(a.ID - b.ID)
	})
	if len(due) > p.Limit {
		due = due[:p.Limit]
	}
	out := make([]*JobRow, len(due))
	for i, j := range due {
		m.setState(j, StateRunning)
		j.Attempt++
		j.AttemptedAt, j.LockedUntil, j.LockedBy = p.Now, p.LockedUntil, p.Worker
		out[i] = j.clone()
	}
	return out, nil
}

// Complete implements Backend.
func (m *MemoryBackend) Complete(_ context.Context, runs []JobAttempt, worker string, at time.Time) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var n int64
	for _, r := range runs {
		j := m.jobs[r.ID]
		if !held(j, worker, r.Attempt) {
			continue
		}
		m.setState(j, StateCompleted)
		j.FinishedAt, j.LockedUntil = at, time.Time{}
		n++
	}
	return n, nil
}

// held reports whether worker holds job j on attempt.
func held(j *JobRow, worker string, attempt int) bool {
	return j != nil && j.State == StateRunning && j.LockedBy == worker && j.Attempt == attempt
}

// SetOutcome implements Backend.
func (m *MemoryBackend) SetOutcome(_ context.Context, o Outcome) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	j := m.jobs[o.ID]
	if !held(j, o.Worker, o.RanAttempt) {
		return false, nil
	}
	m.setOutcome(j, o)
	return true, nil
}

func (m *MemoryBackend) setOutcome(j *JobRow, o Outcome) {
	if o.UniqueKey == "" && j.UniqueKey != "" {
		delete(m.unique, j.UniqueKey)
	}
	j.State, j.UniqueKey = o.State, o.UniqueKey
	j.Attempt, j.RunAt, j.FinishedAt, j.LockedUntil = o.Attempt, o.RunAt, o.FinishedAt, time.Time{}
	j.Errors = append([]AttemptError(nil), o.Errors...)
	if j.State == StateAvailable {
		m.wake(j.Queue)
	}
}

// Heartbeat implements Backend.
func (m *MemoryBackend) Heartbeat(_ context.Context, worker string, runs []JobAttempt, until time.Time) ([]JobAttempt, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	renewed := make([]JobAttempt, 0, len(runs))
	for _, r := range runs {
		if j := m.jobs[r.ID]; held(j, worker, r.Attempt) {
			j.LockedUntil = until
			renewed = append(renewed, r)
		}
	}
	return renewed, nil
}

// ListExpired implements Backend.
func (m *MemoryBackend) ListExpired(_ context.Context, now time.Time, limit int) ([]*JobRow, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []*JobRow
	for _, j := range m.jobs {
		if j.State == StateRunning && j.LockedUntil.Before(now) {
			out = append(out, j)
		}
	}
	slices.SortFunc(out, func(a, b *JobRow) int { return cmp.Compare(a.ID, b.ID) })
	if len(out) > limit {
		out = out[:limit]
	}
	for i, j := range out {
		out[i] = j.clone()
	}
	return out, nil
}

// Rescue implements Backend.
func (m *MemoryBackend) Rescue(_ context.Context, o Outcome, now time.Time) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	j := m.jobs[o.ID]
	if !held(j, o.Worker, o.RanAttempt) || !j.LockedUntil.Before(now) {
		return false, nil
	}
	m.setOutcome(j, o)
	return true, nil
}

// Promote implements Backend.
func (m *MemoryBackend) Promote(_ context.Context, now time.Time) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var n int64
	for _, j := range m.jobs {
		if (j.State == StateScheduled || j.State == StateRetryable) && !j.RunAt.After(now) {
			m.setState(j, StateAvailable)
			n++
		}
	}
	if n > 0 {
		m.wake(allQueues)
	}
	return n, nil
}

// DeleteFinished implements Backend.
func (m *MemoryBackend) DeleteFinished(_ context.Context, state State, before time.Time, limit int) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var n int64
	for id, j := range m.jobs {
		if int(n) >= limit {
			break
		}
		if j.State == state && !j.FinishedAt.IsZero() && j.FinishedAt.Before(before) {
			if j.UniqueKey != "" {
				delete(m.unique, j.UniqueKey)
			}
			delete(m.jobs, id)
			n++
		}
	}
	return n, nil
}

// Get implements Backend.
func (m *MemoryBackend) Get(_ context.Context, id int64) (*JobRow, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	j := m.jobs[id]
	if j == nil {
		return nil, ErrNotFound
	}
	return j.clone(), nil
}

// Cancel implements Backend.
func (m *MemoryBackend) Cancel(_ context.Context, id int64, at time.Time) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	j := m.jobs[id]
	if j == nil || !(j.State == StateAvailable || j.State == StateScheduled || j.State == StateRetryable) {
		return false, nil
	}
	m.setState(j, StateCancelled)
	j.FinishedAt = at
	return true, nil
}

// Retry implements Backend.
func (m *MemoryBackend) Retry(_ context.Context, id int64, at time.Time) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	j := m.jobs[id]
	if j == nil || j.State == StateRunning {
		return false, nil
	}
	j.State, j.RunAt, j.FinishedAt = StateAvailable, at, time.Time{}
	if j.Attempt >= j.MaxAttempts {
		j.MaxAttempts = j.Attempt + 1
	}
	m.wake(j.Queue)
	return true, nil
}

// Delete implements Backend.
func (m *MemoryBackend) Delete(_ context.Context, id int64) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	j := m.jobs[id]
	if j == nil || j.State == StateRunning {
		return false, nil
	}
	if j.UniqueKey != "" {
		delete(m.unique, j.UniqueKey)
	}
	delete(m.jobs, id)
	return true, nil
}

// SetPaused implements Backend.
func (m *MemoryBackend) SetPaused(_ context.Context, queue string, paused bool, at time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.queues[queue] = QueueInfo{Name: queue, Paused: paused, UpdatedAt: at}
	if !paused {
		m.wake(queue)
	}
	return nil
}

// Queues implements Backend.
func (m *MemoryBackend) Queues(context.Context) ([]QueueInfo, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]QueueInfo, 0, len(m.queues))
	for _, q := range m.queues {
		out = append(out, q)
	}
	slices.SortFunc(out, func(a, b QueueInfo) int { return cmp.Compare(a.Name, b.Name) })
	return out, nil
}

// Counts implements Backend.
func (m *MemoryBackend) Counts(context.Context) ([]Count, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	idx := map[[2]string]int{}
	var out []Count
	for _, j := range m.jobs {
		k := [2]string{j.Queue, string(j.State)}
		i, ok := idx[k]
		if !ok {
			i = len(out)
			idx[k] = i
			out = append(out, Count{Queue: j.Queue, State: j.State})
		}
		out[i].Jobs++
	}
	slices.SortFunc(out, func(a, b Count) int {
		if c := cmp.Compare(a.Queue, b.Queue); c != 0 {
			return c
		}
		return cmp.Compare(string(a.State), string(b.State))
	})
	return out, nil
}

// Wake implements Backend: fn is called (under the backend's lock, so it
// must not block) whenever jobs become available.
func (m *MemoryBackend) Wake(ctx context.Context, fn func(queue string)) error {
	m.mu.Lock()
	id := m.nextW
	m.nextW++
	m.wakers[id] = fn
	m.mu.Unlock()
	fn(allQueues)
	<-ctx.Done()
	m.mu.Lock()
	delete(m.wakers, id)
	m.mu.Unlock()
	return ctx.Err()
}
