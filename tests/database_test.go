package tests

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/quarry-go/quarry/dialects"
	"github.com/quarry-go/quarry/framework"
	"github.com/quarry-go/quarry/framework/store"
	"github.com/quarry-go/quarry/tests/dbtest"
)

// TestInTx: the handle's transaction helper commits, rolls back on an
// error or a panic, classifies errors, and runs a transaction again when it
// loses a deadlock (PostgreSQL, MariaDB) or SQLite's write lock, on every
// dialect.
func TestInTx(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *dbtest.DB) {
		ctx := context.Background()
		d := &framework.Database{DB: db.SQL, Dialect: db.Dialect()}
		q := db.Dialect().QuoteIdent
		ph := db.Dialect().Placeholder
		if _, err := db.SQL.ExecContext(ctx, "CREATE TABLE counters (id INTEGER NOT NULL PRIMARY KEY, n INTEGER NOT NULL)"); err != nil {
			t.Fatal(err)
		}
		if _, err := db.SQL.ExecContext(ctx, "INSERT INTO counters (id, n) VALUES (1, 0), (2, 0)"); err != nil {
			t.Fatal(err)
		}
		bump := func(tx *framework.Tx, id int) error {
			_, err := tx.Tx.ExecContext(ctx, "UPDATE counters SET n = n + 1 WHERE "+q("id")+" = "+ph(1), id)
			return err
		}
		count := func(id int) (n int) {
			if err := db.SQL.QueryRowContext(ctx, "SELECT n FROM counters WHERE id = "+ph(1), id).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}

		if err := d.InTx(ctx, nil, func(tx *framework.Tx) error { return bump(tx, 1) }); err != nil || count(1) != 1 {
			t.Fatalf("commit: %v, n = %d", err, count(1))
		}
		boom := errors.New("boom")
		if err := d.InTx(ctx, nil, func(tx *framework.Tx) error { bump(tx, 1); return boom }); !errors.Is(err, boom) || count(1) != 1 {
			t.Fatalf("rollback on error: %v, n = %d", err, count(1))
		}
		func() {
			defer func() { _ = recover() }()
			d.InTx(ctx, nil, func(tx *framework.Tx) error { bump(tx, 1); panic("in fn") })
		}()
		if count(1) != 1 {
			t.Fatalf("a panic committed: n = %d", count(1))
		}
		// Typed queries in the transaction, errors classified.
		err := d.InTx(ctx, nil, func(tx *framework.Tx) error {
			_, err := tx.Queries().UserGetByUsername(ctx, "nobody")
			return err
		})
		if !errors.Is(err, store.ErrNotFound) && !strings.Contains(err.Error(), "quarry_users") {
			t.Fatalf("typed query in a transaction: %v", err)
		}

		// A lost conflict is run again.
		var calls atomic.Int32
		if db.Name == dialects.SQLite {
			testInTxBusy(t, db, d, bump, &calls)
		} else {
			// Two transactions take the rows in opposite orders: one loses
			// the deadlock and is run again; both end committed.
			var reached sync.WaitGroup
			reached.Add(2)
			var once [2]sync.Once
			run := func(i, first, second int) error {
				return d.InTx(ctx, nil, func(tx *framework.Tx) error {
					calls.Add(1)
					if err := bump(tx, first); err != nil {
						return err
					}
					once[i].Do(func() { reached.Done(); reached.Wait() }) // both hold a row, on the first try only
					return bump(tx, second)
				})
			}
			errs := make(chan error, 2)
			go func() { errs <- run(0, 1, 2) }()
			go func() { errs <- run(1, 2, 1) }()
			for range 2 {
				if err := <-errs; err != nil {
					t.Fatalf("a deadlocked transaction was not run again to success: %v", err)
				}
			}
		}
		// PostgreSQL, MariaDB: three tries in all, each row bumped by both
		// transactions. SQLite: two tries; the holder bumped row 1, the
		// retried transaction row 2 twice.
		wantCalls, want1, want2 := int32(3), 3, 2
		if db.Name == dialects.SQLite {
			wantCalls, want1, want2 = 2, 2, 2
		}
		if calls.Load() != wantCalls || count(1) != want1 || count(2) != want2 {
			t.Fatalf("after the conflict: %d calls (want %d), n = %d, %d (want %d, %d)", calls.Load(), wantCalls, count(1), count(2), want1, want2)
		}
	})
}

// testInTxBusy holds SQLite's write lock on one connection while InTx, on
// a pool that does not wait for it, writes: the first try fails busy and
// lets the holder commit, and the second succeeds.
func testInTxBusy(t *testing.T, db *dbtest.DB, d *framework.Database, bump func(*framework.Tx, int) error, calls *atomic.Int32) {
	t.Helper()
	ctx := context.Background()
	holder, err := db.SQL.BeginTx(ctx, nil) // IMMEDIATE: takes the write lock
	if err != nil {
		t.Fatal(err)
	}
	if _, err := holder.ExecContext(ctx, "UPDATE counters SET n = n + 1 WHERE id = 1"); err != nil {
		t.Fatal(err)
	}
	sep := "?"
	if strings.Contains(db.URL, "?") {
		sep = "&"
	}
	impatient, u, err := dialects.Open(ctx, db.URL+sep+"_pragma=busy_timeout(0)&_txlock=deferred")
	if err != nil {
		t.Fatal(err)
	}
	defer impatient.Close()
	other := &framework.Database{DB: impatient, Dialect: u.Dialect}
	err = other.InTx(ctx, nil, func(tx *framework.Tx) error {
		calls.Add(1)
		err := bump(tx, 2)
		if calls.Load() == 1 {
			if !errors.Is(other.Dialect.ClassifyError(err), store.ErrConflict) {
				t.Errorf("first try: %v, want busy", err)
			}
			if err := holder.Commit(); err != nil {
				t.Error(err)
			}
			return err
		}
		if err != nil {
			return err
		}
		return bump(tx, 2)
	})
	if err != nil {
		t.Fatalf("busy transaction not run again to success: %v", err)
	}
}
