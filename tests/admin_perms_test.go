package tests

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"github.com/quarry-go/quarry/tests/dbtest"
)

// TestAdminPermissionChangesApplyAtOnce: permission sets are cached per
// user, yet a grant or a revocation made in the admin applies to the
// user's very next request (the admin's write moves the permissions
// version in its transaction), on every dialect.
func TestAdminPermissionChangesApplyAtOnce(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *dbtest.DB) {
		s := newAdminSite(t, db)
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
	})
}
