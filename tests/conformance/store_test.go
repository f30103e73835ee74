package conformance

import (
	"context"
	"database/sql"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/quarry-go/quarry/queries"
	"github.com/quarry-go/quarry/tests/dbtest"
)

// TestStoreUsersAndPermissions runs the framework's identity queries on
// every dialect: the effective permission set is granted through groups or
// directly, and an explicit denial wins.
func TestStoreUsersAndPermissions(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *dbtest.DB) {
		migrated(t, db)
		ctx := context.Background()
		q := db.Dialect().Queries(db.SQL)
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		uid, err := q.UserCreate(ctx, queries.UserCreateParams{Username: "ada", Email: "ada@example.com",
			PasswordHash: "x", IsActive: true, IsStaff: true, Data: `{"theme":"dark"}`})
		must(err)
		u, err := q.UserGetByUsername(ctx, "ada")
		must(err)
		if u.ID != uid || !u.IsActive || !u.IsStaff || u.IsSuperuser || u.LastLogin.Valid || u.CreatedAt.IsZero() {
			t.Errorf("user = %+v", u)
		}
		if time.Since(u.CreatedAt) > time.Hour || time.Since(u.CreatedAt) < -time.Hour {
			t.Errorf("created_at %v is not now (time zone handling?)", u.CreatedAt)
		}

		// Usernames compare exactly on every dialect (MySQL columns use utf8mb4_bin).
		if _, err := q.UserGetByUsername(ctx, "ADA"); !errors.Is(err, queries.ErrNotFound) {
			t.Errorf("UserGetByUsername(ADA) found ada: %v", err)
		}
		other, err := q.UserCreate(ctx, queries.UserCreateParams{Username: "Ada", Data: "{}"})
		must(err)
		if _, err := q.UserDelete(ctx, other); err != nil {
			t.Fatal(err)
		}

		// An update that changes nothing still reports the matched row
		// (MySQL connections use clientFoundRows).
		n, err := q.UserUpdate(ctx, queries.UserUpdateParams{ID: uid, Email: u.Email, IsActive: u.IsActive, IsStaff: u.IsStaff, IsSuperuser: u.IsSuperuser, Data: u.Data})
		if err != nil || n != 1 {
			t.Errorf("no-op UserUpdate affected %d rows, %v; want 1", n, err)
		}

		// Duplicate usernames are a unique violation, classified by the adapter.
		_, err = q.UserCreate(ctx, queries.UserCreateParams{Username: "ada", Data: "{}"})
		if !errors.Is(err, queries.ErrUniqueViolation) {
			t.Errorf("duplicate username: %v; want ErrUniqueViolation", err)
		}
		_, err = q.UserGetByUsername(ctx, "nobody")
		if !errors.Is(err, queries.ErrNotFound) || !errors.Is(err, sql.ErrNoRows) {
			t.Errorf("missing user: %v; want ErrNotFound wrapping sql.ErrNoRows", err)
		}

		for _, c := range []string{"posts.add", "posts.change", "posts.delete", "posts.view"} {
			must(q.PermissionEnsure(ctx, queries.PermissionEnsureParams{Codename: c, Name: "Can " + c}))
			must(q.PermissionEnsure(ctx, queries.PermissionEnsureParams{Codename: c, Name: "again"})) // idempotent
		}
		perms, err := q.PermissionList(ctx)
		must(err)
		if len(perms) != 4 || perms[0].Name != "Can posts.add" {
			t.Fatalf("permissions = %+v", perms)
		}
		perm := func(code string) int64 {
			p, err := q.PermissionGetByCodename(ctx, code)
			must(err)
			return p.ID
		}
		gid, err := q.GroupCreate(ctx, "editors")
		must(err)
		must(q.GroupPermissionAdd(ctx, queries.GroupPermissionAddParams{GroupID: gid, PermissionID: perm("posts.change")}))
		must(q.GroupPermissionAdd(ctx, queries.GroupPermissionAddParams{GroupID: gid, PermissionID: perm("posts.delete")}))
		must(q.UserGroupAdd(ctx, queries.UserGroupAddParams{UserID: uid, GroupID: gid}))
		must(q.UserGroupAdd(ctx, queries.UserGroupAddParams{UserID: uid, GroupID: gid})) // idempotent
		must(q.UserPermissionSet(ctx, queries.UserPermissionSetParams{UserID: uid, PermissionID: perm("posts.view"), Granted: true}))
		must(q.UserPermissionSet(ctx, queries.UserPermissionSetParams{UserID: uid, PermissionID: perm("posts.delete"), Granted: false}))

		got, err := q.UserPermissionCodenames(ctx, uid)
		must(err)
		if want := []string{"posts.change", "posts.view"}; !reflect.DeepEqual(got, want) {
			t.Errorf("effective permissions = %v; want %v (group grant + direct grant - denial)", got, want)
		}
		// Turning the denial into a grant replaces it.
		must(q.UserPermissionSet(ctx, queries.UserPermissionSetParams{UserID: uid, PermissionID: perm("posts.delete"), Granted: true}))
		got, err = q.UserPermissionCodenames(ctx, uid)
		must(err)
		if want := []string{"posts.change", "posts.delete", "posts.view"}; !reflect.DeepEqual(got, want) {
			t.Errorf("after re-grant = %v; want %v", got, want)
		}
		groups, err := q.UserGroupList(ctx, uid)
		must(err)
		if len(groups) != 1 || groups[0].Name != "editors" {
			t.Errorf("groups = %+v", groups)
		}

		// A link to a missing user is a foreign key violation, classified by the adapter.
		err = q.UserGroupAdd(ctx, queries.UserGroupAddParams{UserID: 999999, GroupID: gid})
		if !errors.Is(err, queries.ErrForeignKeyViolation) {
			t.Errorf("link to missing user: %v; want ErrForeignKeyViolation", err)
		}

		// Password change and last login.
		now := time.Now().UTC().Truncate(time.Millisecond)
		n, err = q.UserSetPassword(ctx, queries.UserSetPasswordParams{ID: uid, PasswordHash: "y", ChangedAt: sql.NullTime{Time: now, Valid: true}})
		must(err)
		if n != 1 {
			t.Errorf("UserSetPassword affected %d rows", n)
		}
		u, err = q.UserGetByID(ctx, uid)
		must(err)
		if u.PasswordHash != "y" || !u.PasswordChangedAt.Valid || !u.PasswordChangedAt.Time.Equal(now) {
			t.Errorf("after password change: %+v (want changed at %v)", u, now)
		}
		users, err := q.UserList(ctx, queries.UserListParams{Limit: 10, Offset: 0})
		must(err)
		count, err := q.UserCount(ctx)
		must(err)
		if len(users) != 1 || count != 1 {
			t.Errorf("UserList %d rows, UserCount %d", len(users), count)
		}

		// Audit log, and deleting the actor keeps the entry with no actor.
		must(q.AuditLogInsert(ctx, queries.AuditLogInsertParams{ActorID: sql.NullInt64{Int64: uid, Valid: true},
			Action: "change", TableName: "posts", ObjectID: "7", Changes: `{"title":["a","b"]}`, RequestID: "r1"}))
		deleted, err := q.UserDelete(ctx, uid)
		must(err)
		if deleted != 1 {
			t.Errorf("UserDelete affected %d rows", deleted)
		}
		entries, err := q.AuditLogListForObject(ctx, queries.AuditLogListForObjectParams{TableName: "posts", ObjectID: "7", Limit: 10})
		must(err)
		if len(entries) != 1 || entries[0].ActorID.Valid || entries[0].Action != "change" {
			t.Errorf("audit entries = %+v", entries)
		}
		// Link rows cascaded away with the user.
		if groups, _ := q.UserGroupList(ctx, uid); len(groups) != 0 {
			t.Errorf("user groups survived the user: %+v", groups)
		}
		// A cut-off in another time zone means the same instant on every
		// dialect (SQLite compares times as text: Quarry stores them in UTC).
		tokyo := time.FixedZone("JST", 9*3600)
		if purged, err := q.AuditLogDeleteBefore(ctx, time.Now().Add(-30*time.Minute).In(tokyo)); err != nil || purged != 0 {
			t.Errorf("AuditLogDeleteBefore(30 minutes ago, JST) purged %d, %v; want 0", purged, err)
		}
		purged, err := q.AuditLogDeleteBefore(ctx, time.Now().Add(time.Hour).In(tokyo))
		must(err)
		if purged != 1 {
			t.Errorf("AuditLogDeleteBefore purged %d", purged)
		}
	})
}

// TestStoreTransactions checks that the adapters run inside a caller's
// transaction and that a rollback leaves nothing.
func TestStoreTransactions(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *dbtest.DB) {
		migrated(t, db)
		ctx := context.Background()
		tx, err := db.SQL.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Dialect().Queries(tx).GroupCreate(ctx, "temp"); err != nil {
			t.Fatal(err)
		}
		if err := tx.Rollback(); err != nil {
			t.Fatal(err)
		}
		groups, err := db.Dialect().Queries(db.SQL).GroupList(ctx)
		if err != nil || len(groups) != 0 {
			t.Errorf("after rollback: %v groups, %v", len(groups), err)
		}
	})
}
