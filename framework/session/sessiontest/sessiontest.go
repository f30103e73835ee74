// Package sessiontest is the conformance suite every scs store Quarry
// offers must pass; run it once per store and dialect.
package sessiontest

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2"
)

// Run checks a store: missing tokens, commit and find, overwrite, delete
// (twice), expiry, iteration when supported, concurrent commits, and a
// whole request cycle through scs.SessionManager.
func Run(t *testing.T, s scs.CtxStore) {
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	find := func(token string) ([]byte, bool) {
		t.Helper()
		b, ok, err := s.FindCtx(ctx, token)
		must(err)
		return b, ok
	}
	if _, ok := find("missing"); ok {
		t.Error("found a token never committed")
	}
	must(s.CommitCtx(ctx, "tok1", []byte("one"), time.Now().Add(time.Hour)))
	if b, ok := find("tok1"); !ok || string(b) != "one" {
		t.Errorf("find tok1 = %q, %v", b, ok)
	}
	must(s.CommitCtx(ctx, "tok1", []byte{0, 1, 2, 255}, time.Now().Add(time.Hour)))
	if b, ok := find("tok1"); !ok || !bytes.Equal(b, []byte{0, 1, 2, 255}) {
		t.Errorf("overwritten tok1 = %v, %v", b, ok)
	}
	must(s.CommitCtx(ctx, "old", []byte("gone"), time.Now().Add(-time.Second)))
	if _, ok := find("old"); ok {
		t.Error("found an expired session")
	}
	if it, ok := s.(scs.IterableCtxStore); ok {
		all, err := it.AllCtx(ctx)
		must(err)
		if len(all) != 1 || !bytes.Equal(all["tok1"], []byte{0, 1, 2, 255}) {
			t.Errorf("AllCtx = %v", all)
		}
	}
	must(s.DeleteCtx(ctx, "tok1"))
	must(s.DeleteCtx(ctx, "tok1"))
	if _, ok := find("tok1"); ok {
		t.Error("found a deleted session")
	}

	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- s.CommitCtx(ctx, fmt.Sprintf("c%d", i%5), []byte(fmt.Sprint(i)), time.Now().Add(time.Hour))
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		must(err)
	}
	for i := range 5 {
		if _, ok := find(fmt.Sprintf("c%d", i)); !ok {
			t.Errorf("c%d lost under concurrent commits", i)
		}
	}

	sm := scs.New()
	sm.Store = s
	must(func() error {
		c, err := sm.Load(ctx, "")
		if err != nil {
			return err
		}
		sm.Put(c, "user_id", int64(42))
		token, _, err := sm.Commit(c)
		if err != nil {
			return err
		}
		c2, err := sm.Load(ctx, token)
		if err != nil {
			return err
		}
		if got := sm.GetInt64(c2, "user_id"); got != 42 {
			return fmt.Errorf("user_id after a round trip = %d", got)
		}
		return nil
	}())
}
