package jobs

import (
	"context"
	"time"

	"github.com/robfig/cron/v3"
)

// Schedule says when a periodic job is due: the first slot after a time.
type Schedule interface {
	Next(after time.Time) time.Time
}

// Cron parses a standard five-field cron expression (minute hour
// day-of-month month day-of-week, with ranges, steps, lists and names), or
// a descriptor such as @hourly or @daily. Times are UTC unless the
// expression starts with CRON_TZ=<zone>.
func Cron(expr string) (Schedule, error) {
	s, err := cron.ParseStandard(expr)
	if err != nil {
		return nil, invalid("cron %q: %v", expr, err)
	}
	return cronSchedule{s}, nil
}

// MustCron is Cron that panics on a bad expression, for package-level
// schedules.
func MustCron(expr string) Schedule {
	s, err := Cron(expr)
	if err != nil {
		panic(err)
	}
	return s
}

type cronSchedule struct{ s cron.Schedule }

func (c cronSchedule) Next(after time.Time) time.Time { return c.s.Next(after.UTC()).UTC() }

// Every is a schedule of fixed intervals aligned to the Unix epoch, so
// every instance computes the same slots: Every(time.Hour) fires on the
// hour.
func Every(d time.Duration) Schedule { return every(d) }

type every time.Duration

func (e every) Next(after time.Time) time.Time {
	d := int64(e)
	ns := after.UnixNano()
	return time.Unix(0, (ns/d+1)*d).UTC()
}

// PeriodicJob is a job enqueued on a schedule. Every client that lists it
// tries to enqueue each slot, and the slot's unique key lets exactly one
// insert win, so three app instances do not fire three times.
type PeriodicJob struct {
	// Name identifies the schedule; default the args' kind. Two periodic
	// jobs of one kind need different names.
	Name     string
	Schedule Schedule
	// Args builds the job's arguments for a slot.
	Args func(slot time.Time) Args
	// Opts for the enqueued job (Unique is set by the scheduler).
	Opts *InsertOpts

	resolved string // Name, or the kind, once checked
}

func (p *PeriodicJob) name() string {
	if p.resolved != "" {
		return p.resolved
	}
	if p.Name != "" || p.Args == nil {
		return p.Name
	}
	return p.Args(time.Time{}).Kind()
}

func (p *PeriodicJob) check() error {
	if p.Schedule == nil || p.Args == nil {
		return invalid("periodic job %q: Schedule and Args are required", p.Name)
	}
	if e, ok := p.Schedule.(every); ok && time.Duration(e) < time.Millisecond {
		return invalid("periodic job %q: interval %s is below 1ms", p.name(), time.Duration(e))
	}
	if p.Opts != nil && (p.Opts.Unique != nil || !p.Opts.RunAt.IsZero() || p.Opts.Delay != 0) {
		return invalid("periodic job %q: Opts may not set Unique, RunAt or Delay (the scheduler sets them)", p.name())
	}
	if now := time.Now(); !p.Schedule.Next(now).After(now) {
		return invalid("periodic job %q: its schedule never fires", p.name())
	}
	p.resolved = p.name()
	return nil
}

// never is the next slot of a schedule that has no more.
var never = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)

// nextSlot is the schedule's first slot after t, or never.
func nextSlot(s Schedule, t time.Time) time.Time {
	n := s.Next(t)
	if !n.After(t) {
		return never
	}
	return n
}

// periodicLoop enqueues each periodic job's slots as they come due. A slot
// whose enqueue fails (the database is briefly away) is tried again every
// PollInterval until the following slot is due.
func (c *Client) periodicLoop(ctx context.Context) {
	n := len(c.cfg.Periodic)
	slot, wake := make([]time.Time, n), make([]time.Time, n)
	start := c.clock()
	for i := range c.cfg.Periodic {
		slot[i] = nextSlot(c.cfg.Periodic[i].Schedule, start)
		wake[i] = slot[i]
	}
	for {
		soonest := wake[0]
		for _, t := range wake[1:] {
			if t.Before(soonest) {
				soonest = t
			}
		}
		sleep(ctx, time.Until(soonest))
		if ctx.Err() != nil {
			return
		}
		now := c.clock()
		for i := range c.cfg.Periodic {
			if wake[i].After(now) {
				continue
			}
			p := &c.cfg.Periodic[i]
			following := nextSlot(p.Schedule, slot[i])
			if err := c.fire(ctx, p, slot[i]); err != nil && following.After(now) {
				wake[i] = now.Add(c.cfg.PollInterval)
				continue
			}
			slot[i] = nextSlot(p.Schedule, now)
			wake[i] = slot[i]
		}
	}
}

// fire enqueues one slot, unique on (name, slot) in every state.
func (c *Client) fire(ctx context.Context, p *PeriodicJob, slot time.Time) error {
	opts := InsertOpts{}
	if p.Opts != nil {
		opts = *p.Opts
	}
	opts.Unique = &UniqueOpts{Key: "periodic\x00" + p.name() + "\x00" + slot.UTC().Format(time.RFC3339Nano), States: States}
	r, err := c.Enqueue(ctx, p.Args(slot), &opts)
	if err != nil {
		if ctx.Err() == nil {
			c.log.Error("jobs: enqueueing periodic job failed; retrying", "name", p.name(), "slot", slot, "err", err)
		}
		return err
	}
	if !r.Duplicate {
		c.log.Debug("jobs: periodic job enqueued", "name", p.name(), "slot", slot, "job", r.ID)
	}
	return nil
}
