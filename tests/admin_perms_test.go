package tests

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"github.com/quarry-go/quarry/admin"
	"github.com/quarry-go/quarry/tests/dbtest"
)

// TestAdminPermissionChangesApplyAtOnce: permission sets are cached per
// user, yet a grant or a revocation made in the admin applies to the
// user's very next request (the admin's write moves the permissions
// version in its transaction), and so does one made by a custom action's
// own SQL, on every dialect.
func TestAdminPermissionChangesApplyAtOnce(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *dbtest.DB) {
		// A custom action on users that writes grants with its own SQL.
		grantGroupsView := admin.Action{Name: "grant_groups_view", Label: "Let them view groups", Run: func(ctx context.Context, tx *sql.Tx, sel admin.Selection) (string, error) {
			d := sel.Dialect
			for _, k := range sel.Keys {
				if _, err := tx.ExecContext(ctx, "INSERT INTO quarry_user_permissions (user_id, permission_id, granted) SELECT "+d.Placeholder(1)+
					", id, "+d.Placeholder(2)+" FROM quarry_permissions WHERE codename = 'quarry_groups.view'", k[0], true); err != nil {
					return "", err
				}
			}
			return "granted", nil
		}}
		s := newAdminSite(t, db, func(o *admin.Options) {
			tbl := o.Tables["quarry_users"]
			tbl.Actions = append(tbl.Actions, grantGroupsView)
			o.Tables["quarry_users"] = tbl
		})
		root, editor := s.as("root"), s.as("editor")
		editor.get("/admin/products/", http.StatusOK) // products.change shows the list
		editor.get("/admin/categories/", http.StatusOK)
		editor.get("/admin/quarry_groups/", http.StatusForbidden) // cached without quarry_groups.view

		var uid, pid int64
		if err := db.SQL.QueryRow("SELECT id FROM quarry_users WHERE username = 'editor'").Scan(&uid); err != nil {
			t.Fatal(err)
		}
		if err := db.SQL.QueryRow("SELECT id FROM quarry_permissions WHERE codename = 'quarry_groups.view'").Scan(&pid); err != nil {
			t.Fatal(err)
		}
		root.post("/admin/quarry_user_permissions/add/", url.Values{
			"user_id": {fmt.Sprint(uid)}, "permission_id": {fmt.Sprint(pid)}, "granted": {"on"}, "_save": {"1"}}, http.StatusSeeOther)
		editor.get("/admin/quarry_groups/", http.StatusOK)

		root.post(fmt.Sprintf("/admin/quarry_user_permissions/%d,%d/delete/", uid, pid), url.Values{}, http.StatusSeeOther)
		editor.get("/admin/quarry_groups/", http.StatusForbidden)

		// The same grant through a custom action's own SQL on another table.
		root.post("/admin/quarry_users/", url.Values{"action": {"grant_groups_view"}, "_selected": {fmt.Sprint(uid)}}, http.StatusSeeOther)
		editor.get("/admin/quarry_groups/", http.StatusOK)
	})
}
