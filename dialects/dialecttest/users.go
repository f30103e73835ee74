package dialecttest

import (
	"database/sql"
	"errors"

	"github.com/quarry-go/quarry/queries"
)

// testUsers: accounts are created, read by id and by name, listed in pages,
// counted, updated, given a password and a last login, and deleted.
func testUsers(e *env) {
	t, ctx, q := e.t, e.ctx, e.q
	n, err := q.UserCount(ctx)
	e.must("UserCount", err)
	if n != 0 {
		t.Fatalf("UserCount on an empty database = %d", n)
	}
	ada := queries.UserCreateParams{Username: "ada", Email: "ada@example.com", PasswordHash: "hash-1",
		IsActive: true, IsStaff: true, IsSuperuser: false, Data: `{"theme": "dark", "n": 1}`}
	adaID, err := q.UserCreate(ctx, ada)
	e.must("UserCreate ada", err)
	bobID, err := q.UserCreate(ctx, queries.UserCreateParams{Username: "bob", Data: "{}"})
	e.must("UserCreate bob", err)
	if adaID <= 0 || bobID <= adaID {
		t.Errorf("UserCreate ids %d, %d; want positive and increasing", adaID, bobID)
	}

	u, err := q.UserGetByID(ctx, adaID)
	e.must("UserGetByID", err)
	if u.ID != adaID || u.Username != ada.Username || u.Email != ada.Email || u.PasswordHash != ada.PasswordHash ||
		!u.IsActive || !u.IsStaff || u.IsSuperuser || u.LastLogin.Valid || u.PasswordChangedAt.Valid ||
		!recent(u.CreatedAt) || !sameJSON(u.Data, ada.Data) {
		t.Errorf("UserGetByID = %+v; want the fields of %+v, no last login, created now", u, ada)
	}
	b, err := q.UserGetByUsername(ctx, "bob")
	e.must("UserGetByUsername", err)
	if b.ID != bobID || b.Username != "bob" || b.IsActive || b.IsStaff || b.Email != "" || !sameJSON(b.Data, "{}") {
		t.Errorf("UserGetByUsername(bob) = %+v", b)
	}

	page, err := q.UserList(ctx, queries.UserListParams{Offset: 0, Limit: 1})
	e.must("UserList", err)
	if len(page) != 1 || page[0].ID != adaID {
		t.Errorf("UserList(0, 1) = %+v; want ada", page)
	}
	page, err = q.UserList(ctx, queries.UserListParams{Offset: 1, Limit: 10})
	e.must("UserList", err)
	if len(page) != 1 || page[0].ID != bobID || page[0].Username != "bob" {
		t.Errorf("UserList(1, 10) = %+v; want bob", page)
	}
	page, err = q.UserList(ctx, queries.UserListParams{Offset: 2, Limit: 10})
	if err != nil || len(page) != 0 {
		t.Errorf("UserList past the end = %+v, %v", page, err)
	}
	if n, err := q.UserCount(ctx); err != nil || n != 2 {
		t.Errorf("UserCount = %d, %v; want 2", n, err)
	}

	upd := queries.UserUpdateParams{Email: "ada@new.example", IsActive: false, IsStaff: false, IsSuperuser: true, Data: `{"a": [1, 2]}`, ID: adaID}
	n, err = q.UserUpdate(ctx, upd)
	e.rows("UserUpdate", n, err, 1)
	n, err = q.UserUpdate(ctx, queries.UserUpdateParams{ID: 987654, Data: "{}"})
	e.rows("UserUpdate(missing)", n, err, 0)
	u, err = q.UserGetByID(ctx, adaID)
	e.must("UserGetByID", err)
	if u.Email != upd.Email || u.IsActive || u.IsStaff || !u.IsSuperuser || !sameJSON(u.Data, upd.Data) || u.Username != "ada" {
		t.Errorf("after UserUpdate: %+v; want %+v", u, upd)
	}

	changed := now()
	n, err = q.UserSetPassword(ctx, queries.UserSetPasswordParams{PasswordHash: "hash-2", ChangedAt: sql.NullTime{Time: changed, Valid: true}, ID: adaID})
	e.rows("UserSetPassword", n, err, 1)
	login := changed.Add(-90e9)
	n, err = q.UserSetLastLogin(ctx, queries.UserSetLastLoginParams{LastLogin: sql.NullTime{Time: login, Valid: true}, ID: adaID})
	e.rows("UserSetLastLogin", n, err, 1)
	n, err = q.UserSetLastLogin(ctx, queries.UserSetLastLoginParams{LastLogin: sql.NullTime{Time: login, Valid: true}, ID: 987654})
	e.rows("UserSetLastLogin(missing)", n, err, 0)
	n, err = q.UserSetPassword(ctx, queries.UserSetPasswordParams{PasswordHash: "x", ID: 987654})
	e.rows("UserSetPassword(missing)", n, err, 0)
	u, err = q.UserGetByID(ctx, adaID)
	e.must("UserGetByID", err)
	if u.PasswordHash != "hash-2" || !u.PasswordChangedAt.Valid || !sameTime(u.PasswordChangedAt.Time, changed) ||
		!u.LastLogin.Valid || !sameTime(u.LastLogin.Time, login) {
		t.Errorf("after UserSetPassword and UserSetLastLogin: hash %q changed %v last login %v; want hash-2 %v %v",
			u.PasswordHash, u.PasswordChangedAt, u.LastLogin, changed, login)
	}
	// Clearing the last login writes NULL.
	n, err = q.UserSetLastLogin(ctx, queries.UserSetLastLoginParams{ID: adaID})
	e.rows("UserSetLastLogin(NULL)", n, err, 1)
	if u, err := q.UserGetByID(ctx, adaID); err != nil || u.LastLogin.Valid {
		t.Errorf("after clearing the last login: %v, %v", u.LastLogin, err)
	}

	n, err = q.UserDelete(ctx, bobID)
	e.rows("UserDelete", n, err, 1)
	n, err = q.UserDelete(ctx, bobID)
	e.rows("UserDelete(again)", n, err, 0)
	if _, err := q.UserGetByID(ctx, bobID); !errors.Is(err, queries.ErrNotFound) {
		t.Errorf("UserGetByID(deleted) = %v; want ErrNotFound", err)
	}
	if n, err := q.UserCount(ctx); err != nil || n != 1 {
		t.Errorf("UserCount after a delete = %d, %v; want 1", n, err)
	}
}
