package schemadiff

import (
	"context"
	"fmt"
	"io/fs"
	"regexp"
	"strconv"
	"strings"
	"testing/fstest"
)

var versionPrefix = regexp.MustCompile(`^(\d+)_`)

// verify applies the candidate file with goose on top of the existing
// migrations in s (which holds the current state): the schema must then
// equal to, and after the down it must equal from again.
func verify(ctx context.Context, s *scratch, table string, existing fs.FS, file string, states [2]state, skip, prefixes []string) error {
	from, to := states[0], states[1]
	files := fstest.MapFS{}
	var last int64
	if existing != nil {
		names, err := fs.Glob(existing, "*.sql")
		if err != nil {
			return err
		}
		for _, n := range names {
			b, err := fs.ReadFile(existing, n)
			if err != nil {
				return err
			}
			files[n] = &fstest.MapFile{Data: b}
			if m := versionPrefix.FindStringSubmatch(n); m != nil {
				if v, _ := strconv.ParseInt(m[1], 10, 64); v > last {
					last = v
				}
			}
		}
	}
	candidate := fmt.Sprintf("%05d_new_migration.sql", last+1)
	files[candidate] = &fstest.MapFile{Data: []byte(file)}
	p, log, err := s.goose(table, files)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrVerify, err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("%w: the up migration fails on %s: %w", ErrVerify, s.url.Dialect.Name(), log.Explain(err))
	}
	if err := s.sameAs(ctx, to, skip, prefixes, "after up, the schema differs from the DDL"); err != nil {
		return err
	}
	if to.rls != nil {
		if err := s.sameRLS(ctx, to.rls, "after up, row-level security differs from the DDL's -- quarry:tenant-scoped hints"); err != nil {
			return err
		}
	}
	if _, err := p.Down(ctx); err != nil {
		return fmt.Errorf("%w: the down migration fails on %s: %w", ErrVerify, s.url.Dialect.Name(), log.Explain(err))
	}
	if err := s.sameAs(ctx, from, skip, prefixes, "after down, the schema differs from the previous migrations'"); err != nil {
		return err
	}
	if from.rls != nil {
		return s.sameRLS(ctx, from.rls, "after down, row-level security differs from the previous migrations'")
	}
	return nil
}

// sameAs inspects s and fails with what differs from want.
func (s *scratch) sameAs(ctx context.Context, want state, skip, prefixes []string, what string) error {
	got, err := s.inspect(ctx, skip, prefixes)
	if err != nil {
		return err
	}
	changes, err := diff(s, got, want.schema)
	if err != nil {
		return err
	}
	changes, _ = withoutEnumNarrowing(changes) // values a down could not drop
	objects, err := s.objects(ctx)
	if err != nil {
		return err
	}
	problems := append(summarize(changes), diffObjects(objects, want.objects, nil).summary...)
	if len(problems) > 0 {
		return fmt.Errorf("%w: %s:\n  - %s", ErrVerify, what, strings.Join(problems, "\n  - "))
	}
	return nil
}
