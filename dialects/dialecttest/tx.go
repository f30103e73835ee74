package dialecttest

import (
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/quarry-go/quarry/framework"
	"github.com/quarry-go/quarry/queries"
)

// testTransactions: InTx commits, rolls back on an error and on a panic,
// its typed queries see the transaction's own writes, and a transaction
// that loses a conflict is run again to success.
func testTransactions(t *testing.T, open Open) {
	e := newEnv(t, open)
	ctx := e.ctx
	exists := func(name string) bool {
		t.Helper()
		_, err := e.q.UserGetByUsername(ctx, name)
		if err != nil && !errors.Is(err, queries.ErrNotFound) {
			t.Fatal(err)
		}
		return err == nil
	}
	create := func(tx *framework.Tx, name string) {
		t.Helper()
		if _, err := tx.Queries().UserCreate(ctx, queries.UserCreateParams{Username: name, Data: "{}"}); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("Commit", func(t *testing.T) {
		err := e.db.InTx(ctx, nil, func(tx *framework.Tx) error {
			create(tx, "committed")
			if _, err := tx.Queries().UserGetByUsername(ctx, "committed"); err != nil {
				return fmt.Errorf("the transaction does not see its own write: %w", err)
			}
			return nil
		})
		if err != nil || !exists("committed") {
			t.Fatalf("InTx: %v; committed row exists: %v", err, exists("committed"))
		}
	})
	t.Run("RollbackOnError", func(t *testing.T) {
		boom := errors.New("boom")
		err := e.db.InTx(ctx, nil, func(tx *framework.Tx) error { create(tx, "errored"); return boom })
		if !errors.Is(err, boom) {
			t.Errorf("InTx returned %v; want the function's error", err)
		}
		if exists("errored") {
			t.Error("a transaction whose function failed was committed")
		}
	})
	t.Run("RollbackOnPanic", func(t *testing.T) {
		var recovered any
		func() {
			defer func() { recovered = recover() }()
			_ = e.db.InTx(ctx, nil, func(tx *framework.Tx) error { create(tx, "panicked"); panic("in fn") })
		}()
		if recovered != "in fn" {
			t.Errorf("InTx did not pass the panic on: recovered %v", recovered)
		}
		if exists("panicked") {
			t.Error("a transaction whose function panicked was committed")
		}
		// The pool is still usable: the connection was given back.
		if err := e.db.InTx(ctx, nil, func(tx *framework.Tx) error { create(tx, "after-panic"); return nil }); err != nil || !exists("after-panic") {
			t.Errorf("after a panic: %v", err)
		}
	})
	t.Run("ReadOnly", func(t *testing.T) {
		err := e.db.InTx(ctx, &sql.TxOptions{ReadOnly: true}, func(tx *framework.Tx) error {
			n, err := tx.Queries().UserCount(ctx)
			if err == nil && n < 2 {
				err = fmt.Errorf("UserCount = %d", n)
			}
			return err
		})
		if err != nil {
			t.Errorf("read-only transaction: %v", err)
		}
	})
	t.Run("RetryConflict", func(t *testing.T) {
		first, calls := e.on(t).provokeConflict()
		if !errors.Is(first, queries.ErrConflict) {
			t.Errorf("the losing transaction's first try failed with %v; want ErrConflict", first)
		}
		if calls < 3 {
			t.Errorf("the transactions ran %d times in all; want one more than the two, for the retry", calls)
		}
	})
}

// provokeConflict makes one InTx lose a conflict and checks that it is run
// again to success. On a database with concurrent writers two transactions
// update two users' rows in opposite orders (a deadlock, which one loses);
// on a single-writer database (SQLite) a transaction that cannot wait for
// the write lock meets it held by another. It returns the loser's first
// error and how many times the transaction functions ran in all.
func (e *env) provokeConflict() (first error, calls int) {
	e.t.Helper()
	ctx := e.ctx
	var ids [2]int64
	for i := range ids {
		ids[i] = e.user(fmt.Sprintf("conflict-%d-%s", i, strings.ReplaceAll(e.t.Name(), "/", "-")))
	}
	touch := func(q queries.Querier, id int64) error {
		_, err := q.UserSetLastLogin(ctx, queries.UserSetLastLoginParams{LastLogin: sql.NullTime{Time: now(), Valid: true}, ID: id})
		return err
	}
	var (
		n        atomic.Int32
		mu       sync.Mutex
		firstErr error
	)
	record := func(err error) {
		if err != nil {
			mu.Lock()
			if firstErr == nil {
				firstErr = err
			}
			mu.Unlock()
		}
	}
	if e.db.Dialect.Capabilities().ConcurrentWriters {
		var reached sync.WaitGroup
		reached.Add(2)
		var once [2]sync.Once
		run := func(i int, a, b int64) error {
			return e.db.InTx(ctx, nil, func(tx *framework.Tx) error {
				n.Add(1)
				if err := touch(tx.Queries(), a); err != nil {
					record(err)
					return err
				}
				once[i].Do(func() { reached.Done(); reached.Wait() }) // both hold a row, on the first try only
				err := touch(tx.Queries(), b)
				record(err)
				return err
			})
		}
		errs := make(chan error, 2)
		go func() { errs <- run(0, ids[0], ids[1]) }()
		go func() { errs <- run(1, ids[1], ids[0]) }()
		for range 2 {
			if err := <-errs; err != nil {
				e.t.Fatalf("a deadlocked transaction was not run again to success: %v", err)
			}
		}
		return firstErr, int(n.Load())
	}

	// A single writer: hold the write lock on the handle's pool, and write
	// from a second pool on the same file that does not wait for it.
	impatient := e.impatientSQLite()
	holder, err := e.db.DB.BeginTx(ctx, nil)
	e.must("begin the holder", err)
	defer holder.Rollback()
	e.must("the holder writes", touch(e.db.Dialect.Queries(holder), ids[0]))
	n.Add(1)
	err = impatient.InTx(ctx, nil, func(tx *framework.Tx) error {
		try := n.Add(1)
		err := touch(tx.Queries(), ids[1])
		if try == 2 {
			record(err)
			if err := holder.Commit(); err != nil {
				e.t.Error(err)
			}
			if err == nil {
				e.t.Error("a write did not meet the write lock another connection held")
			}
		}
		return err
	})
	if err != nil {
		e.t.Fatalf("a transaction that met the write lock was not run again to success: %v", err)
	}
	return firstErr, int(n.Load())
}

// impatientSQLite opens a second handle on the handle's SQLite file whose
// transactions begin deferred and do not wait for the write lock. The file
// comes from the database itself (PRAGMA database_list), as the handle
// may carry no URL.
func (e *env) impatientSQLite() *framework.Database {
	e.t.Helper()
	var seq int
	var name, file string
	if err := e.db.DB.QueryRowContext(e.ctx, "PRAGMA database_list").Scan(&seq, &name, &file); err != nil {
		e.t.Fatalf("a database without concurrent writers that is not SQLite: %v", err)
	}
	if file == "" {
		e.t.Skip("an in-memory SQLite database is private to its pool: no second writer to conflict with")
	}
	db, err := framework.OpenDatabase(e.ctx, "sqlite:"+file+"?_pragma=busy_timeout(0)&_txlock=deferred")
	e.must("open a second pool on "+file, err)
	e.t.Cleanup(func() { db.DB.Close() })
	return db
}
