package tenancy

import (
	"context"
	"fmt"
	"sync"
)

// MigrateAll migrates every active and suspended tenant, at most
// concurrency at a time (at least 1), calling report once per tenant with
// its slug and its error (nil when it is up to date); report calls never
// overlap. A failure does not stop the others. The error counts the
// failures (nil when there are none).
func (r *Registry) MigrateAll(ctx context.Context, concurrency int, report func(slug string, err error)) error {
	tenants, err := r.List(ctx)
	if err != nil {
		return err
	}
	if concurrency < 1 {
		concurrency = 1
	}
	var (
		mu     sync.Mutex
		failed int
		wg     sync.WaitGroup
		sem    = make(chan struct{}, concurrency)
	)
	total := 0
	for _, t := range tenants {
		if t.Status == StatusProvisioning {
			continue
		}
		total++
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			err := r.MigrateTenant(ctx, t)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				failed++
			}
			if report != nil {
				report(t.Slug, err)
			}
		})
	}
	wg.Wait()
	if failed > 0 {
		return fmt.Errorf("tenancy: %d of %d tenants failed to migrate", failed, total)
	}
	return nil
}
