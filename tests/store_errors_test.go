package tests

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"testing"
	"time"

	gomysql "github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5/pgconn"
	gosqlite "modernc.org/sqlite"

	"github.com/quarry-go/quarry/dialects"
	blogdb "github.com/quarry-go/quarry/examples/blog/db"
	"github.com/quarry-go/quarry/examples/blog/migrations"
	"github.com/quarry-go/quarry/framework/migrate"
	"github.com/quarry-go/quarry/queries"
	"github.com/quarry-go/quarry/tests/dbtest"
)

// wantSentinel fails unless err matches sentinel with errors.Is and still
// reaches the driver's own error type with errors.As (or sql.ErrNoRows
// with errors.Is, for ErrNotFound), and matches none of the other
// sentinels.
func wantSentinel(t *testing.T, db *dbtest.DB, what string, err, sentinel error) {
	t.Helper()
	if !errors.Is(err, sentinel) {
		t.Errorf("%s: %v (%T); want errors.Is %v", what, err, err, sentinel)
		return
	}
	for _, other := range []error{queries.ErrNotFound, queries.ErrUniqueViolation, queries.ErrForeignKeyViolation,
		queries.ErrNotNullViolation, queries.ErrCheckViolation, queries.ErrConflict, queries.ErrTooLong} {
		if other != sentinel && errors.Is(err, other) {
			t.Errorf("%s: %v also matches %v", what, err, other)
		}
	}
	if sentinel == queries.ErrNotFound {
		if !errors.Is(err, sql.ErrNoRows) {
			t.Errorf("%s: %v does not wrap sql.ErrNoRows", what, err)
		}
		return
	}
	var found bool
	switch db.Name {
	case dialects.Postgres:
		var e *pgconn.PgError
		found = errors.As(err, &e)
	case dialects.MySQL:
		var e *gomysql.MySQLError
		found = errors.As(err, &e)
	case dialects.SQLite:
		var e *gosqlite.Error
		found = errors.As(err, &e)
	}
	if !found {
		t.Errorf("%s: the %s driver's error is not reachable with errors.As in %v (%T)", what, db.Name, err, err)
	}
}

// TestStoreAdapterErrors provokes each sentinel of package queries through
// the generated adapters alone, the framework's (on the pool and in a
// transaction) and the demo app's: no caller classifies anything.
func TestStoreAdapterErrors(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *dbtest.DB) {
		migrated(t, db)
		ctx := context.Background()
		q := db.Dialect().Queries(db.SQL)
		enforcesLength := db.Name != dialects.SQLite

		_, err := q.UserGetByID(ctx, 999999)
		wantSentinel(t, db, "UserGetByID(missing)", err, queries.ErrNotFound)
		_, err = q.UserGetByUsername(ctx, "nobody")
		wantSentinel(t, db, "UserGetByUsername(missing)", err, queries.ErrNotFound)

		uid, err := q.UserCreate(ctx, queries.UserCreateParams{Username: "ada", Data: "{}"})
		if err != nil {
			t.Fatal(err)
		}
		_, err = q.UserCreate(ctx, queries.UserCreateParams{Username: "ada", Data: "{}"})
		wantSentinel(t, db, "UserCreate(duplicate)", err, queries.ErrUniqueViolation)

		gid, err := q.GroupCreate(ctx, "editors")
		if err != nil {
			t.Fatal(err)
		}
		err = q.UserGroupAdd(ctx, queries.UserGroupAddParams{UserID: 999999, GroupID: gid})
		wantSentinel(t, db, "UserGroupAdd(missing user)", err, queries.ErrForeignKeyViolation)

		now := time.Now().UTC()
		_, err = q.JobInsert(ctx, queries.JobInsertParams{Kind: "k", Queue: "q", Args: "{}", State: "bogus",
			Priority: 1, MaxAttempts: 1, RunAt: now, CreatedAt: now, Tags: "[]"})
		wantSentinel(t, db, "JobInsert(bad state)", err, queries.ErrCheckViolation)

		long := strings.Repeat("x", 151) // username is VARCHAR(150)
		if enforcesLength {
			_, err = q.UserCreate(ctx, queries.UserCreateParams{Username: long, Data: "{}"})
			wantSentinel(t, db, "UserCreate(151-character username)", err, queries.ErrTooLong)
		}

		// Through a transaction, and wrapped by the caller: the same.
		tx, err := db.SQL.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
		_, err = db.Dialect().Queries(tx).UserGetByID(ctx, uid+1000)
		wantSentinel(t, db, "UserGetByID(missing) in a transaction", err, queries.ErrNotFound)
		_, err = db.Dialect().Queries(tx).UserCreate(ctx, queries.UserCreateParams{Username: "ada", Data: "{}"})
		wantSentinel(t, db, "UserCreate(duplicate) in a transaction, wrapped", errors.Join(errors.New("context"), err), queries.ErrUniqueViolation)
		if err := tx.Rollback(); err != nil {
			t.Fatal(err)
		}

		// The demo app's adapters, generated in its module's layout, call
		// the dialect package's ClassifyError too.
		blog, err := migrations.For(db.Name)
		if err != nil {
			t.Fatal(err)
		}
		m, err := migrate.New(db.Database(), migrate.Options{AppFS: blog})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := m.Up(ctx); err != nil {
			t.Fatal(err)
		}
		bq := blogdb.Queries(db.Database())
		_, err = bq.AuthorGet(ctx, 999999)
		wantSentinel(t, db, "blog AuthorGet(missing)", err, queries.ErrNotFound)
		_, err = bq.PostGetBySlug(ctx, "nowhere")
		wantSentinel(t, db, "blog PostGetBySlug(missing)", err, queries.ErrNotFound)
		if _, err := bq.AuthorCreate(ctx, blogdb.AuthorCreateParams{Name: "Ada", Email: "ada@example.com"}); err != nil {
			t.Fatal(err)
		}
		_, err = bq.AuthorCreate(ctx, blogdb.AuthorCreateParams{Name: "Ada again", Email: "ada@example.com"})
		wantSentinel(t, db, "blog AuthorCreate(duplicate email)", err, queries.ErrUniqueViolation)
		_, err = bq.PostCreate(ctx, blogdb.PostCreateParams{AuthorID: 999999, Title: "t", Slug: "t", Body: "b"})
		wantSentinel(t, db, "blog PostCreate(missing author)", err, queries.ErrForeignKeyViolation)
		if enforcesLength {
			_, err = bq.AuthorCreate(ctx, blogdb.AuthorCreateParams{Name: strings.Repeat("x", 201), Email: "long@example.com"})
			wantSentinel(t, db, "blog AuthorCreate(201-character name)", err, queries.ErrTooLong)
		}
	})
}
