package tests

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/quarry-go/quarry/admin"
	"github.com/quarry-go/quarry/dialects"
	"github.com/quarry-go/quarry/framework/api"
	"github.com/quarry-go/quarry/framework/auth"
	"github.com/quarry-go/quarry/framework/authhttp"
	"github.com/quarry-go/quarry/framework/session"
	"github.com/quarry-go/quarry/tests/dbtest"
)

// TestAdminViews: database views are listed read-only, with search,
// filters, sorting and export; a view with a Key and KeyOf links its rows
// to the table's change page; one without has no row pages; writes are
// refused; the view permission is needed. On every dialect.
func TestAdminViews(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *dbtest.DB) {
		s := newAdminSite(t, db, func(o *admin.Options) {
			for _, stmt := range []string{
				`CREATE VIEW product_prices AS SELECT id AS product_id, name, price, active FROM products`,
				`CREATE VIEW category_sizes AS SELECT category_id, COUNT(*) AS products FROM products GROUP BY category_id`,
			} {
				if _, err := db.SQL.ExecContext(context.Background(), stmt); err != nil {
					t.Fatal(err)
				}
			}
			o.Tables["product_prices"] = admin.Table{Key: []string{"product_id"}, KeyOf: "products", SearchFields: []string{"name"},
				ListFilter: []string{"active"}, Ordering: []string{"name"}}
		})
		root := s.as("root")
		index := root.get("/admin/", 200)
		wantContains(t, "index", index, "Views", `href="/admin/product_prices/"`, `href="/admin/category_sizes/"`)

		list := root.get("/admin/product_prices/", 200)
		wantContains(t, "view list", list, "Éclair Crème", "Hammer", "Widget", `href="/admin/products/1/change/"`)
		wantAbsent(t, "view list", list, `href="/admin/product_prices/add/"`, `href="/admin/product_prices/1/change/"`)
		got := column(rows(root.get("/admin/product_prices/?q="+url.QueryEscape("éclair"), 200)), 1)
		if len(got) != 1 || !strings.Contains(got[0], "Éclair") {
			t.Errorf("search: %q", got)
		}
		got = column(rows(root.get("/admin/product_prices/?f.active=false", 200)), 1)
		if len(got) != 1 || !strings.Contains(got[0], "Hammer") {
			t.Errorf("filter: %q", got)
		}
		got = column(rows(root.get("/admin/product_prices/?o=-price", 200)), 1)
		if len(got) != 3 || !strings.Contains(got[0], "Hammer") || !strings.Contains(got[2], "Widget") {
			t.Errorf("sorted by price: %q", got)
		}
		csv := root.get("/admin/product_prices/export.csv?o=name", 200)
		wantContains(t, "export", csv, "product_id,name,price,active", "Hammer")

		sizes := root.get("/admin/category_sizes/", 200)
		wantAbsent(t, "keyless view", sizes, `/admin/category_sizes/1/change/`, `href="/admin/category_sizes/add/"`)

		root.get("/admin/product_prices/add/", 403)
		root.post("/admin/product_prices/add/", url.Values{"name": {"x"}}, 403)
		if n := s.count("SELECT COUNT(*) FROM products"); n != 3 {
			t.Errorf("products after refused writes: %d", n)
		}
		s.as("viewer").get("/admin/product_prices/", 403)
		// SeedPermissions gives each view its view permission.
		if _, err := auth.New(s.app.Database()).SeedPermissions(context.Background()); err != nil {
			t.Fatal(err)
		}
		addAdminUser(t, s.app, db, "priceviewer", true, false, "product_prices.view")
		pv := s.as("priceviewer").get("/admin/product_prices/", 200)
		wantContains(t, "view list for its viewer", pv, "Hammer")
		wantAbsent(t, "view list for its viewer", pv, `href="/admin/products/`) // no view permission on products
	})
}

// TestAdminViewAndReportOptions: view keys on tables, a KeyOf whose key
// does not fit, unknown key columns and reports the admin cannot serve
// are refused by admin.New, each named.
func TestAdminViewAndReportOptions(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t, dialects.SQLite)
	s := newAdminSite(t, db, func(*admin.Options) {
		if _, err := db.SQL.ExecContext(context.Background(), `CREATE VIEW product_prices AS SELECT id AS product_id, name FROM products`); err != nil {
			t.Fatal(err)
		}
	})
	a, _ := authhttp.New(authhttp.Options{Sessions: authhttp.NewSessions(s.app.Config(), session.NewStore(s.app.Database()))})
	run := func(context.Context, dialects.Handle, *api.Input) (any, error) { return nil, nil }
	_, err := admin.New(context.Background(), s.app, admin.Options{Auth: a,
		Tables: map[string]admin.Table{
			"products":       {Key: []string{"id"}},
			"product_prices": {Key: []string{"product_id", "nope"}, KeyOf: "categories"},
		},
		Reports: []api.Endpoint{
			{Query: "NoTitle", Permission: "products.view", Kind: api.Many, Run: run},
			{Query: "Exec", Title: "Touch", Permission: "products.change", Kind: api.Exec, Run: run},
			{Query: "InPath", Title: "By id", Permission: "products.view", Kind: api.One, Run: run, Params: []api.Param{{Name: "id", In: api.InPath, Type: "int64"}}},
		}})
	if err == nil {
		t.Fatal("admin.New accepted them")
	}
	for _, want := range []string{"Reports[0] (NoTitle): a report has a Title", "kind exec is no report", "parameter id is read from the path"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	_, err = admin.New(context.Background(), s.app, admin.Options{Auth: a, Tables: map[string]admin.Table{
		"products":       {Key: []string{"id"}},
		"product_prices": {Key: []string{"product_id", "nope"}, KeyOf: "categories"},
	}})
	for _, want := range []string{`Tables["products"]: Key and KeyOf are for views`, `Tables["product_prices"].Key: no column "nope"`,
		`Tables["product_prices"].KeyOf: "categories" is no table whose primary key has the 2 column(s) of Key`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}
