package media

import (
	"context"
	"errors"
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/quarry-go/quarry/dialects"
	"github.com/quarry-go/quarry/framework"
	"github.com/quarry-go/quarry/framework/jobs"
	"github.com/quarry-go/quarry/framework/storage"
	"github.com/quarry-go/quarry/queries"
)

// PurgeResult counts what a purge removed.
type PurgeResult struct {
	// Pending is the uploads never finalized, Deleted the media deleted
	// longer ago than the retention; both removed with their objects.
	Pending, Deleted int
	// Failed is the media that could not be removed (an app row still
	// references the row, which then keeps its objects; or the row went
	// and some of its objects could not be deleted: Orphans finds them).
	Failed int
}

// Purge removes the uploads pending for longer than
// Options.PendingRetention and the media deleted longer ago than
// Options.DeletedRetention: each row (if it is still in that status: a
// restore or a finalize meanwhile keeps it), then its objects. A row an
// app row still references stays, with its objects, and is tried again
// at the next purge.
func (s *Service) Purge(ctx context.Context, h dialects.Handle) (PurgeResult, error) {
	now := s.now()
	params := queries.MediaListStaleParams{PendingBefore: now.Add(-s.opts.PendingRetention),
		DeletedBefore: nullTime(now.Add(-s.opts.DeletedRetention))}
	var res PurgeResult
	var errs []error
	for {
		rows, err := q(h).MediaListStale(ctx, params)
		if err != nil {
			return res, err
		}
		for _, r := range rows {
			if err := ctx.Err(); err != nil {
				return res, err
			}
			params.AfterID = r.ID
			m := fromRow(r)
			removed, err := s.remove(ctx, h, m)
			switch {
			case err != nil:
				res.Failed++
				if len(errs) < 5 {
					errs = append(errs, err)
				}
			case !removed:
			case m.Status == Pending:
				res.Pending++
			default:
				res.Deleted++
			}
		}
		if len(rows) < staleBatch {
			break
		}
	}
	if res.Failed > 0 {
		s.opts.Logger.WarnContext(ctx, "media purge: some media could not be removed", "failed", res.Failed, "errors", errors.Join(errs...))
	}
	return res, nil
}

// staleBatch is MediaListStale's LIMIT.
const staleBatch = 500

// Orphans returns the objects under the request's prefix
// (framework.KeyPrefix) + "media/" on the disk named disk that no media
// row of h names: left behind when a row went and some of its objects
// could not be deleted, or copied there by hand. An object younger than
// Options.PendingRetention is never one: it may belong to an upload whose
// row is in a transaction not yet committed.
func (s *Service) Orphans(ctx context.Context, h dialects.Handle, disk string) ([]storage.Object, error) {
	d, err := s.disk(disk)
	if err != nil {
		return nil, err
	}
	dirs := map[string]bool{}
	for after := int64(0); ; {
		rows, err := q(h).MediaListKeys(ctx, queries.MediaListKeysParams{Disk: disk, AfterID: after})
		if err != nil {
			return nil, err
		}
		for _, r := range rows {
			dirs[path.Dir(r.ObjectKey)] = true
			after = r.ID
		}
		if len(rows) < keysBatch {
			break
		}
	}
	prefix := framework.KeyPrefix(ctx) + "media/"
	young := s.now().Add(-s.opts.PendingRetention)
	var out []storage.Object
	for obj, err := range d.List(ctx, prefix) {
		if err != nil {
			return nil, fmt.Errorf("media: listing %s on disk %q: %w", prefix, disk, err)
		}
		if obj.ModTime.After(young) {
			continue
		}
		rest := strings.TrimPrefix(obj.Key, prefix)
		dir, _, _ := strings.Cut(rest, "/")
		if !dirs[prefix+dir] {
			out = append(out, obj)
		}
	}
	return out, nil
}

// keysBatch is MediaListKeys's LIMIT.
const keysBatch = 1000

// DeleteOrphans deletes the objects Orphans returned, checking each
// again just before (a row may have appeared since), and returns how many
// it deleted.
func (s *Service) DeleteOrphans(ctx context.Context, h dialects.Handle, disk string, orphans []storage.Object) (int, error) {
	again, err := s.Orphans(ctx, h, disk)
	if err != nil {
		return 0, err
	}
	still := map[string]bool{}
	for _, o := range again {
		still[o.Key] = true
	}
	d, err := s.disk(disk)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, o := range orphans {
		if !still[o.Key] {
			continue
		}
		if err := d.Delete(ctx, o.Key); err != nil {
			return n, fmt.Errorf("media: deleting orphan %s: %w", o.Key, err)
		}
		n++
	}
	return n, nil
}

// PurgeArgs is the job that runs Purge (see PurgeJob).
type PurgeArgs struct{}

// Kind names the job.
func (PurgeArgs) Kind() string { return "quarry.media.purge" }

// purgeWorker runs Purge on the job's database: the tenant's in a
// tenant's worker (framework.DatabaseFrom), else db.
type purgeWorker struct {
	s  *Service
	db dialects.Handle
}

func (w purgeWorker) Work(ctx context.Context, _ *jobs.Job[PurgeArgs]) error {
	var h dialects.Handle = w.db
	if d := framework.DatabaseFrom(ctx); d != nil {
		h = d
	}
	if h == nil {
		return errors.New("media purge: no database (give RegisterPurge the app's)")
	}
	res, err := w.s.Purge(ctx, h)
	if err == nil && res.Pending+res.Deleted > 0 {
		w.s.opts.Logger.InfoContext(ctx, "media purged", "pending", res.Pending, "deleted", res.Deleted)
	}
	return err
}

// RegisterPurge registers the purge job's worker in reg, running on db
// (the app's database; a tenant's worker uses the tenant's), and returns
// the periodic job that enqueues it every interval (default hourly): put
// it in jobs.Config.Periodic.
func (s *Service) RegisterPurge(reg *jobs.Registry, db dialects.Handle, every time.Duration) jobs.PeriodicJob {
	if every <= 0 {
		every = time.Hour
	}
	jobs.Register(reg, jobs.Worker[PurgeArgs](purgeWorker{s: s, db: db}))
	return jobs.PeriodicJob{Schedule: jobs.Every(every), Args: func(time.Time) jobs.Args { return PurgeArgs{} }}
}
