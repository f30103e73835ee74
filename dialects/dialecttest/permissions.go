package dialecttest

import (
	"errors"
	"slices"

	"github.com/quarry-go/quarry/queries"
)

// testPermissions: permissions are seeded idempotently, found and listed;
// a user's effective set is the direct grants and the groups' grants minus
// explicit denials.
func testPermissions(e *env) {
	t, ctx, q := e.t, e.ctx, e.q
	for _, p := range []queries.PermissionEnsureParams{
		{Codename: "posts.view", Name: "Can view posts"},
		{Codename: "posts.add", Name: "Can add posts"},
		{Codename: "posts.delete", Name: "Can delete posts"},
		{Codename: "posts.view", Name: "Another name"}, // a no-op: the first name stays
	} {
		e.must("PermissionEnsure "+p.Codename, q.PermissionEnsure(ctx, p))
	}
	view, err := q.PermissionGetByCodename(ctx, "posts.view")
	if err != nil || view.Codename != "posts.view" || view.Name != "Can view posts" || view.ID <= 0 {
		t.Errorf("PermissionGetByCodename(posts.view) = %+v, %v", view, err)
	}
	ps, err := q.PermissionList(ctx)
	e.must("PermissionList", err)
	var codes []string
	byCode := map[string]int64{}
	for _, p := range ps {
		codes = append(codes, p.Codename)
		byCode[p.Codename] = p.ID
	}
	if !slices.Equal(codes, []string{"posts.add", "posts.delete", "posts.view"}) || byCode["posts.view"] != view.ID {
		t.Errorf("PermissionList = %+v; want add, delete, view once each", ps)
	}

	uid := e.user("perm-user")
	other := e.user("perm-other")
	gid, err := q.GroupCreate(ctx, "perm-group")
	e.must("GroupCreate", err)
	e.must("UserGroupAdd", q.UserGroupAdd(ctx, queries.UserGroupAddParams{UserID: uid, GroupID: gid}))
	e.must("GroupPermissionAdd view", q.GroupPermissionAdd(ctx, queries.GroupPermissionAddParams{GroupID: gid, PermissionID: byCode["posts.view"]}))
	e.must("GroupPermissionAdd delete", q.GroupPermissionAdd(ctx, queries.GroupPermissionAddParams{GroupID: gid, PermissionID: byCode["posts.delete"]}))
	set := func(code string, granted bool) {
		t.Helper()
		e.must("UserPermissionSet "+code, q.UserPermissionSet(ctx, queries.UserPermissionSetParams{UserID: uid, PermissionID: byCode[code], Granted: granted}))
	}
	effective := func(what string, want ...string) {
		t.Helper()
		got, err := q.UserPermissionCodenames(ctx, uid)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("%s: UserPermissionCodenames = %v, %v; want %v", what, got, err, want)
		}
	}
	effective("through the group", "posts.delete", "posts.view")
	set("posts.add", true)
	effective("with a direct grant", "posts.add", "posts.delete", "posts.view")
	set("posts.delete", false)
	effective("with a denial over a group grant", "posts.add", "posts.view")
	set("posts.add", false) // replaces the grant
	effective("with a grant replaced by a denial", "posts.view")
	set("posts.add", true)
	effective("with the denial replaced by a grant", "posts.add", "posts.view")
	n, err := q.UserPermissionRemove(ctx, queries.UserPermissionRemoveParams{UserID: uid, PermissionID: byCode["posts.delete"]})
	e.rows("UserPermissionRemove(denial)", n, err, 1)
	n, err = q.UserPermissionRemove(ctx, queries.UserPermissionRemoveParams{UserID: uid, PermissionID: byCode["posts.delete"]})
	e.rows("UserPermissionRemove(again)", n, err, 0)
	effective("with the denial removed", "posts.add", "posts.delete", "posts.view")
	if got, err := q.UserPermissionCodenames(ctx, other); err != nil || len(got) != 0 {
		t.Errorf("a user with no grants has %v, %v", got, err)
	}
	if got, err := q.UserPermissionCodenames(ctx, 987654); err != nil || len(got) != 0 {
		t.Errorf("a missing user has %v, %v", got, err)
	}
}

// testAuthVersion: the permissions version is absent until the first
// change, then counts changes.
func testAuthVersion(e *env) {
	t, ctx, q := e.t, e.ctx, e.q
	if v, err := q.AuthVersionGet(ctx); !errors.Is(err, queries.ErrNotFound) {
		t.Errorf("AuthVersionGet before any change = %d, %v; want ErrNotFound", v, err)
	}
	for want := int64(1); want <= 3; want++ {
		e.must("AuthVersionBump", q.AuthVersionBump(ctx))
		v, err := q.AuthVersionGet(ctx)
		if err != nil || v != want {
			t.Errorf("AuthVersionGet after %d bumps = %d, %v", want, v, err)
		}
	}
}
