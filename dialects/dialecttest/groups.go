package dialecttest

import (
	"errors"
	"slices"

	"github.com/quarry-go/quarry/queries"
)

func groupNames(gs []queries.QuarryGroup) []string {
	var out []string
	for _, g := range gs {
		out = append(out, g.Name)
	}
	return out
}

// testGroups: groups are created, found, listed by name and deleted (with
// their memberships and grants); users join and leave them; groups are
// granted permissions, which reach their members.
func testGroups(e *env) {
	t, ctx, q := e.t, e.ctx, e.q
	editors, err := q.GroupCreate(ctx, "editors")
	e.must("GroupCreate editors", err)
	admins, err := q.GroupCreate(ctx, "admins")
	e.must("GroupCreate admins", err)
	if editors <= 0 || admins == editors {
		t.Errorf("GroupCreate ids %d, %d", editors, admins)
	}
	g, err := q.GroupGetByName(ctx, "editors")
	if err != nil || g.ID != editors || g.Name != "editors" {
		t.Errorf("GroupGetByName = %+v, %v", g, err)
	}
	gs, err := q.GroupList(ctx)
	e.must("GroupList", err)
	if !slices.Equal(groupNames(gs), []string{"admins", "editors"}) || gs[0].ID != admins {
		t.Errorf("GroupList = %+v; want admins, editors", gs)
	}

	uid := e.user("member")
	other := e.user("other")
	for range 2 { // adding twice is a no-op
		e.must("UserGroupAdd editors", q.UserGroupAdd(ctx, queries.UserGroupAddParams{UserID: uid, GroupID: editors}))
	}
	e.must("UserGroupAdd admins", q.UserGroupAdd(ctx, queries.UserGroupAddParams{UserID: uid, GroupID: admins}))
	gs, err = q.UserGroupList(ctx, uid)
	e.must("UserGroupList", err)
	if !slices.Equal(groupNames(gs), []string{"admins", "editors"}) {
		t.Errorf("UserGroupList = %+v; want admins, editors", gs)
	}
	if gs, err := q.UserGroupList(ctx, other); err != nil || len(gs) != 0 {
		t.Errorf("UserGroupList of a user in no group = %+v, %v", gs, err)
	}
	n, err := q.UserGroupRemove(ctx, queries.UserGroupRemoveParams{UserID: uid, GroupID: admins})
	e.rows("UserGroupRemove", n, err, 1)
	n, err = q.UserGroupRemove(ctx, queries.UserGroupRemoveParams{UserID: uid, GroupID: admins})
	e.rows("UserGroupRemove(again)", n, err, 0)
	if gs, err := q.UserGroupList(ctx, uid); err != nil || !slices.Equal(groupNames(gs), []string{"editors"}) {
		t.Errorf("UserGroupList after leaving admins = %+v, %v", gs, err)
	}

	e.must("PermissionEnsure", q.PermissionEnsure(ctx, queries.PermissionEnsureParams{Codename: "posts.change", Name: "Can change posts"}))
	perm, err := q.PermissionGetByCodename(ctx, "posts.change")
	e.must("PermissionGetByCodename", err)
	for range 2 { // granting twice is a no-op
		e.must("GroupPermissionAdd", q.GroupPermissionAdd(ctx, queries.GroupPermissionAddParams{GroupID: editors, PermissionID: perm.ID}))
	}
	codes, err := q.UserPermissionCodenames(ctx, uid)
	if err != nil || !slices.Equal(codes, []string{"posts.change"}) {
		t.Errorf("a member's permissions after a group grant = %v, %v; want [posts.change]", codes, err)
	}
	n, err = q.GroupPermissionRemove(ctx, queries.GroupPermissionRemoveParams{GroupID: editors, PermissionID: perm.ID})
	e.rows("GroupPermissionRemove", n, err, 1)
	n, err = q.GroupPermissionRemove(ctx, queries.GroupPermissionRemoveParams{GroupID: editors, PermissionID: perm.ID})
	e.rows("GroupPermissionRemove(again)", n, err, 0)
	if codes, err := q.UserPermissionCodenames(ctx, uid); err != nil || len(codes) != 0 {
		t.Errorf("a member's permissions after the group grant was removed = %v, %v", codes, err)
	}

	// Deleting a group ends its memberships and grants.
	e.must("GroupPermissionAdd", q.GroupPermissionAdd(ctx, queries.GroupPermissionAddParams{GroupID: editors, PermissionID: perm.ID}))
	n, err = q.GroupDelete(ctx, editors)
	e.rows("GroupDelete", n, err, 1)
	n, err = q.GroupDelete(ctx, editors)
	e.rows("GroupDelete(again)", n, err, 0)
	if _, err := q.GroupGetByName(ctx, "editors"); !errors.Is(err, queries.ErrNotFound) {
		t.Errorf("GroupGetByName(deleted) = %v; want ErrNotFound", err)
	}
	if gs, err := q.UserGroupList(ctx, uid); err != nil || len(gs) != 0 {
		t.Errorf("memberships of a deleted group remain: %+v, %v", gs, err)
	}
	if codes, err := q.UserPermissionCodenames(ctx, uid); err != nil || len(codes) != 0 {
		t.Errorf("grants of a deleted group remain: %v, %v", codes, err)
	}
	if gs, err := q.GroupList(ctx); err != nil || !slices.Equal(groupNames(gs), []string{"admins"}) {
		t.Errorf("GroupList after a delete = %+v, %v", gs, err)
	}
}
