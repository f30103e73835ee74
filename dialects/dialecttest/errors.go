package dialecttest

import (
	"database/sql"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/quarry-go/quarry/framework"
	"github.com/quarry-go/quarry/queries"
)

// testErrors provokes each sentinel of package queries on the real database
// through the generated adapter, on the pool and in a transaction.
func testErrors(t *testing.T, open Open) {
	e := newEnv(t, open)
	t.Run("NotFound", func(t *testing.T) { e.on(t).errNotFound() })
	t.Run("Unique", func(t *testing.T) { e.on(t).errUnique() })
	t.Run("ForeignKey", func(t *testing.T) { e.on(t).errForeignKey() })
	t.Run("Check", func(t *testing.T) { e.on(t).errCheck() })
	t.Run("NotNull", func(t *testing.T) { e.on(t).errNotNull() })
	t.Run("TooLong", func(t *testing.T) { e.on(t).errTooLong() })
	t.Run("Conflict", func(t *testing.T) {
		first, _ := e.on(t).provokeConflict()
		wantSentinel(t, "the losing transaction's first try", first, queries.ErrConflict)
	})
	t.Run("InTransaction", func(t *testing.T) { e.on(t).errInTx() })
}

// on is e for a subtest.
func (e *env) on(t *testing.T) *env {
	c := *e
	c.t = t
	return &c
}

func (e *env) user(name string) int64 {
	e.t.Helper()
	id, err := e.q.UserCreate(e.ctx, queries.UserCreateParams{Username: name, Email: name + "@example.com", IsActive: true, Data: "{}"})
	e.must("UserCreate "+name, err)
	return id
}

func (e *env) errNotFound() {
	ctx, q := e.ctx, e.q
	notFound := func(what string, err error) {
		e.t.Helper()
		wantSentinel(e.t, what, err, queries.ErrNotFound)
		if !errors.Is(err, sql.ErrNoRows) {
			e.t.Errorf("%s: %v does not wrap sql.ErrNoRows", what, err)
		}
	}
	_, err := q.UserGetByID(ctx, 987654)
	notFound("UserGetByID(missing)", err)
	_, err = q.UserGetByUsername(ctx, "nobody")
	notFound("UserGetByUsername(missing)", err)
	_, err = q.GroupGetByName(ctx, "nobody")
	notFound("GroupGetByName(missing)", err)
	_, err = q.PermissionGetByCodename(ctx, "nothing.view")
	notFound("PermissionGetByCodename(missing)", err)
	_, err = q.JobGet(ctx, 987654)
	notFound("JobGet(missing)", err)
	_, err = q.JobGetByUniqueKey(ctx, sql.NullString{String: "nope", Valid: true})
	notFound("JobGetByUniqueKey(missing)", err)
	_, err = q.LoginFailureGet(ctx, "nobody")
	notFound("LoginFailureGet(missing)", err)
	_, err = q.SessionFind(ctx, queries.SessionFindParams{Token: "nope", Now: now()})
	notFound("SessionFind(missing)", err)
	_, err = q.SessionFindUser(ctx, queries.SessionFindUserParams{Token: "nope", Now: now()})
	notFound("SessionFindUser(missing)", err)
}

func (e *env) errUnique() {
	e.user("uniq")
	_, err := e.q.UserCreate(e.ctx, queries.UserCreateParams{Username: "uniq", Data: "{}"})
	wantSentinel(e.t, "UserCreate(duplicate username)", err, queries.ErrUniqueViolation)
	_, err = e.q.GroupCreate(e.ctx, "uniq-group")
	e.must("GroupCreate", err)
	_, err = e.q.GroupCreate(e.ctx, "uniq-group")
	wantSentinel(e.t, "GroupCreate(duplicate name)", err, queries.ErrUniqueViolation)
	j := jobParams("uniq", "available", now())
	_, err = e.q.JobInsert(e.ctx, j)
	e.must("JobInsert", err)
	j.UniqueKey = sql.NullString{String: "uniq-key", Valid: true}
	_, err = e.q.JobInsert(e.ctx, j)
	e.must("JobInsert with a unique key", err)
	_, err = e.q.JobInsert(e.ctx, j)
	wantSentinel(e.t, "JobInsert(duplicate unique key)", err, queries.ErrUniqueViolation)
}

func (e *env) errForeignKey() {
	uid := e.user("fk")
	gid, err := e.q.GroupCreate(e.ctx, "fk-group")
	e.must("GroupCreate", err)
	err = e.q.UserGroupAdd(e.ctx, queries.UserGroupAddParams{UserID: 987654, GroupID: gid})
	wantSentinel(e.t, "UserGroupAdd(missing user)", err, queries.ErrForeignKeyViolation)
	err = e.q.UserGroupAdd(e.ctx, queries.UserGroupAddParams{UserID: uid, GroupID: 987654})
	wantSentinel(e.t, "UserGroupAdd(missing group)", err, queries.ErrForeignKeyViolation)
	err = e.q.GroupPermissionAdd(e.ctx, queries.GroupPermissionAddParams{GroupID: gid, PermissionID: 987654})
	wantSentinel(e.t, "GroupPermissionAdd(missing permission)", err, queries.ErrForeignKeyViolation)
	err = e.q.UserPermissionSet(e.ctx, queries.UserPermissionSetParams{UserID: 987654, PermissionID: 987654, Granted: true})
	wantSentinel(e.t, "UserPermissionSet(missing user)", err, queries.ErrForeignKeyViolation)
	err = e.q.SessionCommit(e.ctx, queries.SessionCommitParams{Token: "fk", Data: []byte("x"), Expiry: now(),
		UserID: sql.NullInt64{Int64: 987654, Valid: true}})
	wantSentinel(e.t, "SessionCommit(missing user)", err, queries.ErrForeignKeyViolation)
}

func (e *env) errCheck() {
	_, err := e.q.JobInsert(e.ctx, jobParams("check", "bogus", now()))
	wantSentinel(e.t, "JobInsert(state bogus)", err, queries.ErrCheckViolation)
	p := jobParams("check", "available", now())
	p.MaxAttempts = 0
	_, err = e.q.JobInsert(e.ctx, p)
	wantSentinel(e.t, "JobInsert(max_attempts 0)", err, queries.ErrCheckViolation)
}

// errNotNull writes a nil session payload (bound as NULL) into the NOT NULL
// data column: the one framework query whose parameters can carry a NULL
// to a NOT NULL column.
func (e *env) errNotNull() {
	err := e.q.SessionCommit(e.ctx, queries.SessionCommitParams{Token: "null-data", Data: nil, Expiry: now()})
	if err == nil {
		// A driver may bind a nil []byte as an empty value; then the
		// row must hold exactly that, and the constraint is checked with
		// hand-written SQL classified by the dialect.
		row, ferr := e.q.SessionFind(e.ctx, queries.SessionFindParams{Token: "null-data", Now: now().Add(-time.Hour)})
		if ferr != nil || len(row.Data) != 0 {
			e.t.Fatalf("SessionCommit(nil data) accepted: then %+v, %v", row, ferr)
		}
		e.t.Logf("the %s driver binds a nil []byte as an empty value; checking NOT NULL with hand-written SQL", e.db.Dialect.Name())
		q := e.db.Dialect.QuoteIdent
		_, err = e.db.DB.ExecContext(e.ctx, "UPDATE "+q("quarry_sessions")+" SET "+q("data")+" = NULL WHERE "+q("token")+" = "+e.db.Dialect.Placeholder(1), "null-data")
		err = e.db.Dialect.ClassifyError(err)
	}
	wantSentinel(e.t, "NULL session data", err, queries.ErrNotNullViolation)
}

// errTooLong writes a username longer than its VARCHAR(150). A dialect
// that enforces declared lengths must refuse it with ErrTooLong; one that
// does not must store it whole (never truncate it silently).
func (e *env) errTooLong() {
	long := strings.Repeat("x", 151)
	id, err := e.q.UserCreate(e.ctx, queries.UserCreateParams{Username: long, Data: "{}"})
	if err == nil {
		u, err := e.q.UserGetByID(e.ctx, id)
		e.must("UserGetByID", err)
		if u.Username != long {
			e.t.Fatalf("a 151-character username was accepted and stored as %d characters", len(u.Username))
		}
		e.t.Skipf("%s does not enforce declared lengths (the 151-character username was stored whole)", e.db.Dialect.Name())
	}
	wantSentinel(e.t, "UserCreate(151-character username)", err, queries.ErrTooLong)
	_, err = e.q.GroupCreate(e.ctx, strings.Repeat("g", 151))
	wantSentinel(e.t, "GroupCreate(151-character name)", err, queries.ErrTooLong)
}

// errInTx: the adapter classifies inside a transaction too, and InTx
// returns the classified error, wrapped or not.
func (e *env) errInTx() {
	e.user("in-tx")
	err := e.db.InTx(e.ctx, nil, func(tx *framework.Tx) error {
		_, err := tx.Queries().UserGetByID(e.ctx, 987654)
		wantSentinel(e.t, "UserGetByID(missing) in a transaction", err, queries.ErrNotFound)
		_, err = tx.Queries().UserCreate(e.ctx, queries.UserCreateParams{Username: "in-tx", Data: "{}"})
		return errors.Join(errors.New("context"), err)
	})
	wantSentinel(e.t, "UserCreate(duplicate) in InTx, wrapped", err, queries.ErrUniqueViolation)
}
