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
// whole request cycle through scs.SessionManager. Stores that take a
// context are called through their Ctx methods.
func Run(t *testing.T, store scs.Store) {
	ctx := context.Background()
	s := withCtx(store)
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
	if live, ok, err := all(ctx, store); ok {
		must(err)
		if len(live) != 1 || !bytes.Equal(live["tok1"], []byte{0, 1, 2, 255}) {
			t.Errorf("all live sessions = %v", live)
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
	sm.Store = store
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

// ctxStore adapts a plain scs.Store to the Ctx methods the suite calls.
type ctxStore struct{ scs.Store }

func (c ctxStore) FindCtx(_ context.Context, token string) ([]byte, bool, error) {
	return c.Find(token)
}
func (c ctxStore) CommitCtx(_ context.Context, token string, b []byte, expiry time.Time) error {
	return c.Commit(token, b, expiry)
}
func (c ctxStore) DeleteCtx(_ context.Context, token string) error { return c.Delete(token) }

func withCtx(s scs.Store) scs.CtxStore {
	if cs, ok := s.(scs.CtxStore); ok {
		return cs
	}
	return ctxStore{s}
}

// all lists the live sessions when the store can.
func all(ctx context.Context, s scs.Store) (map[string][]byte, bool, error) {
	switch it := s.(type) {
	case scs.IterableCtxStore:
		m, err := it.AllCtx(ctx)
		return m, true, err
	case scs.IterableStore:
		m, err := it.All()
		return m, true, err
	}
	return nil, false, nil
}
