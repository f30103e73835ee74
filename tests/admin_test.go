package tests

import (
	"context"
	"database/sql"
	"encoding/csv"
	"fmt"
	"html"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/quarry-go/quarry/admin"
	"github.com/quarry-go/quarry/framework"
	"github.com/quarry-go/quarry/framework/auth"
	"github.com/quarry-go/quarry/framework/authhttp"
	"github.com/quarry-go/quarry/framework/session"
	"github.com/quarry-go/quarry/queries"
	"github.com/quarry-go/quarry/tests/dbtest"
)

// adminSite is an app with the admin test schema (categories, products
// with a column of every kind, reviews cascading from products, stock
// levels restricting their deletion), six users and the admin mounted.
type adminSite struct {
	t    *testing.T
	db   *dbtest.DB
	app  *framework.App
	auth *authhttp.Auth
	adm  *admin.Admin
	url  string
}

const adminPassword = "plenty-long-secret"

// newAdminSite builds the site; tweaks adjust the admin's options before
// it is made.
func newAdminSite(t *testing.T, db *dbtest.DB, tweaks ...func(*admin.Options)) *adminSite {
	t.Helper()
	migrated(t, db)
	ctx := context.Background()
	for _, file := range []string{string(db.Name) + ".sql", "seed.sql"} {
		ddl, err := os.ReadFile(filepath.Join("testdata", "admin", file))
		if err != nil {
			t.Fatal(err)
		}
		for _, stmt := range strings.Split(string(ddl), ";\n") {
			if strings.TrimSpace(stmt) != "" {
				if _, err := db.SQL.ExecContext(ctx, stmt); err != nil {
					t.Fatalf("%s: %v\n%s", file, err, stmt)
				}
			}
		}
	}
	app, err := framework.New(ctx, framework.Config{DatabaseURL: db.URL, Env: framework.EnvTest}, framework.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { app.Close() })
	svc := auth.New(app.Database())
	if _, err := svc.SeedPermissions(ctx); err != nil {
		t.Fatal(err)
	}
	users := []struct {
		name         string
		staff, super bool
		perms        []string
	}{
		{"root", true, true, nil},
		{"viewer", true, false, []string{"products.view"}},
		{"editor", true, false, []string{"products.change", "categories.view"}},
		{"outsider", false, false, []string{"products.view"}},
		{"deleter", true, false, []string{"products.view", "products.delete"}},
		{"usermgr", true, false, []string{"quarry_users.change"}},
	}
	for _, u := range users {
		addAdminUser(t, app, db, u.name, u.staff, u.super, u.perms...)
	}
	sm := authhttp.NewSessions(app.Config(), session.NewStore(app.Database()))
	a, err := authhttp.New(authhttp.Options{Sessions: sm, Keys: app.Keys()})
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.DiscardHandler)
	if os.Getenv("QUARRY_TEST_ADMIN_LOG") != "" {
		logger = slog.Default()
	}
	app.Use(a.Middleware)
	r := app.Router()
	a.Mount(r)
	opts := admin.Options{Auth: a, Logger: logger, Stylesheets: []string{"/static/brand.css"}, Tables: map[string]admin.Table{
		// An option on a framework table keeps the framework's protections
		// (password_hash stays excluded).
		"quarry_users": {Label: "people"},
		"products": {
			Display: "name", SearchFields: []string{"name", "sku"},
			ListDisplay: []string{"id", "name", "sku", "category_id", "price", "active", "released", "status"},
			ListFilter:  []string{"active", "category_id", "status", "released", "updated_at"},
			Actions: []admin.Action{{Name: "deactivate", Label: "Deactivate selected", Run: func(ctx context.Context, tx *sql.Tx, sel admin.Selection) (string, error) {
				for _, k := range sel.Keys {
					if _, err := tx.ExecContext(ctx, "UPDATE products SET active = "+db.Dialect().Placeholder(1)+" WHERE id = "+db.Dialect().Placeholder(2), false, k[0]); err != nil {
						return "", err
					}
				}
				return fmt.Sprintf("Deactivated %d product(s).", len(sel.Keys)), nil
			}}},
		},
	}}
	for _, tweak := range tweaks {
		tweak(&opts)
	}
	adm, err := admin.New(ctx, app, opts)
	if err != nil {
		t.Fatal(err)
	}
	r.Handle("/admin/", adm)
	srv := httptest.NewServer(app.Handler())
	t.Cleanup(srv.Close)
	return &adminSite{t: t, db: db, app: app, auth: a, adm: adm, url: srv.URL}
}

// addAdminUser creates a user (password adminPassword) granted perms.
func addAdminUser(t *testing.T, app *framework.App, db *dbtest.DB, name string, staff, super bool, perms ...string) {
	t.Helper()
	ctx := context.Background()
	created, err := auth.New(app.Database()).CreateUser(ctx, auth.CreateUserParams{Username: name, Password: adminPassword, Staff: staff, Superuser: super})
	if err != nil {
		t.Fatal(err)
	}
	q := db.Dialect().Queries(app.DB())
	for _, code := range perms {
		p, err := q.PermissionGetByCodename(ctx, code)
		if err != nil {
			t.Fatalf("permission %s: %v", code, err)
		}
		if err := q.UserPermissionSet(ctx, queries.UserPermissionSetParams{UserID: created.ID, PermissionID: p.ID, Granted: true}); err != nil {
			t.Fatal(err)
		}
	}
}

// as returns a browser logged in as user.
func (s *adminSite) as(user string) *adminBrowser {
	s.t.Helper()
	b := newBrowser(s.t, s.url)
	if resp := b.login(user, adminPassword, "/admin/"); resp.StatusCode != http.StatusSeeOther {
		s.t.Fatalf("login as %s: %d", user, resp.StatusCode)
	}
	return &adminBrowser{browser: b, site: s}
}

type adminBrowser struct {
	*browser
	site *adminSite
}

// get fetches path and checks its status.
func (b *adminBrowser) get(path string, status int) string {
	b.t.Helper()
	resp, body := b.do("GET", path, nil, nil)
	if resp.StatusCode != status {
		b.t.Fatalf("GET %s: %d, want %d\n%s", path, resp.StatusCode, status, excerpt(body))
	}
	return body
}

// post submits form (with the session's CSRF token) and checks the status.
func (b *adminBrowser) post(path string, form url.Values, status int) (*http.Response, string) {
	b.t.Helper()
	if form.Get("csrf_token") == "" {
		form.Set("csrf_token", b.token())
	}
	resp, body := b.do("POST", path, form, nil)
	if resp.StatusCode != status {
		b.t.Fatalf("POST %s: %d, want %d\n%s", path, resp.StatusCode, status, excerpt(body))
	}
	return resp, body
}

// excerpt is the <main> part of a page, for failure messages.
func excerpt(body string) string {
	if i := strings.Index(body, "<main"); i >= 0 {
		body = body[i:]
	}
	if len(body) > 3000 {
		body = body[:3000]
	}
	return body
}

func (s *adminSite) count(query string, args ...any) int {
	s.t.Helper()
	var n int
	if err := s.db.SQL.QueryRow(query, args...).Scan(&n); err != nil {
		s.t.Fatalf("%s: %v", query, err)
	}
	return n
}

func (s *adminSite) str(query string, args ...any) string {
	s.t.Helper()
	var v sql.NullString
	if err := s.db.SQL.QueryRow(query, args...).Scan(&v); err != nil {
		s.t.Fatalf("%s: %v", query, err)
	}
	return v.String
}

var rowRe = regexp.MustCompile(`(?s)<tr>\s*(?:<td class="check">.*?</td>)?\s*(.*?)</tr>`)
var cellRe = regexp.MustCompile(`(?s)<td[^>]*>(.*?)</td>`)
var tagRe = regexp.MustCompile(`<[^>]+>`)

// rows returns the list page's rows as cell texts.
func rows(body string) [][]string {
	i := strings.Index(body, "<tbody>")
	j := strings.Index(body, "</tbody>")
	if i < 0 || j < i {
		return nil
	}
	var out [][]string
	for _, m := range rowRe.FindAllStringSubmatch(body[i:j], -1) {
		var cells []string
		for _, c := range cellRe.FindAllStringSubmatch(m[1], -1) {
			cells = append(cells, html.UnescapeString(strings.TrimSpace(tagRe.ReplaceAllString(c[1], ""))))
		}
		if len(cells) > 0 && !strings.HasPrefix(cells[0], "No rows") {
			out = append(out, cells)
		}
	}
	return out
}

// column returns column i of rows (the list's columns: id, name, sku,
// category_id, price, active, released, status).
func column(rs [][]string, i int) []string {
	out := make([]string, len(rs))
	for j, r := range rs {
		out[j] = r[i]
	}
	return out
}

func wantContains(t *testing.T, what, body string, subs ...string) {
	t.Helper()
	for _, s := range subs {
		if !strings.Contains(body, s) {
			t.Errorf("%s: missing %q\n%s", what, s, excerpt(body))
		}
	}
}

func wantAbsent(t *testing.T, what, body string, subs ...string) {
	t.Helper()
	for _, s := range subs {
		if strings.Contains(body, s) {
			t.Errorf("%s: should not contain %q\n%s", what, s, excerpt(body))
		}
	}
}

func hrefOf(body, rel string) string {
	m := regexp.MustCompile(`href="([^"]*)" rel="` + rel + `"`).FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return html.UnescapeString(m[1])
}

// productForm is a valid new product.
func productForm(name, sku string) url.Values {
	return url.Values{"name": {name}, "sku": {sku}, "description": {"made in a test"}, "price": {"3.75"}, "stock": {"7"},
		"weight": {""}, "active": {"true"}, "released": {"2025-02-03"}, "updated_at": {""}, "status": {"live"}, "attrs": {`{"k": [1, 2]}`},
		"category_id": {"1"}, "_save": {"1"}}
}

// TestAdminPages drives every admin view over HTTP on every dialect.
func TestAdminPages(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *dbtest.DB) {
		s := newAdminSite(t, db)
		root := s.as("root")

		t.Run("access", func(t *testing.T) {
			anon := newBrowser(t, s.url)
			resp, _ := anon.do("GET", "/admin/products/", nil, nil)
			expect(t, "anonymous", resp, http.StatusSeeOther, "/login?next=%2Fadmin%2Fproducts%2F")
			out := s.as("outsider")
			body := out.get("/admin/", http.StatusForbidden)
			wantContains(t, "non-staff", body, "does not have access to the admin")
			idx := root.get("/admin/", http.StatusOK)
			wantContains(t, "index", idx, `<link rel="stylesheet" href="/static/brand.css">`, "Application", "Framework", `href="/admin/products/"`, `href="/admin/quarry_users/"`, "Recent actions")
			wantAbsent(t, "index", idx, "goose_db_version", "quarry_migrations")
			v := s.as("viewer").get("/admin/", http.StatusOK)
			wantContains(t, "viewer index", v, `href="/admin/products/"`)
			wantAbsent(t, "viewer index", v, `href="/admin/categories/"`, `href="/admin/quarry_users/"`, "+ Add")
		})

		t.Run("list", func(t *testing.T) {
			body := root.get("/admin/products/", http.StatusOK)
			rs := rows(body)
			if got := column(rs, 1); strings.Join(got, "|") != "Widget|Hammer|Éclair Crème" {
				t.Errorf("default order (-id): %v", got)
			}
			if rs[2][3] != "Pastry" || rs[0][3] != "—" {
				t.Errorf("foreign key labels: %v / %v", rs[2][3], rs[0][3])
			}
			if rs[2][5] != "✔ yes" || rs[1][5] != "✘ no" || rs[2][4] != "2.50" && rs[2][4] != "2.5" {
				t.Errorf("cells: %v", rs[2])
			}
			wantContains(t, "list", body, "3 rows", `href="/admin/categories/1/change/"`, "By active", "By category_id", "By status", "By released")
			// Facet counts: 2 active, 1 not.
			if !regexp.MustCompile(`>Yes</a> <span class="n">2</span>`).MatchString(body) || !regexp.MustCompile(`>No</a> <span class="n">1</span>`).MatchString(body) {
				t.Errorf("facet counts missing:\n%s", excerpt(body))
			}
		})

		t.Run("search", func(t *testing.T) {
			for _, q := range []string{"éclair", "ÉCLAIR", "crème", "e1"} {
				rs := rows(root.get("/admin/products/?q="+url.QueryEscape(q), http.StatusOK))
				if len(rs) != 1 || rs[0][1] != "Éclair Crème" {
					t.Errorf("search %q: %v", q, rs)
				}
			}
			for _, q := range []string{"%", "_", "' OR 1=1 --", "\"; DROP TABLE products; --", "!"} {
				if rs := rows(root.get("/admin/products/?q="+url.QueryEscape(q), http.StatusOK)); len(rs) != 0 {
					t.Errorf("search %q matched %v", q, rs)
				}
			}
			if n := s.count("SELECT COUNT(*) FROM products"); n != 3 {
				t.Errorf("products after hostile searches: %d", n)
			}
			root.get("/admin/products/?q="+strings.Repeat("x", 201), http.StatusBadRequest)
			root.get("/admin/products/?q=a%00", http.StatusBadRequest)
			root.get("/admin/products/?f.name=%00", http.StatusBadRequest)
		})

		t.Run("filters", func(t *testing.T) {
			cases := []struct {
				query string
				names string
			}{
				{"f.active=false", "Hammer"},
				{"f.active=true", "Widget|Éclair Crème"},
				{"f.category_id=1", "Éclair Crème"},
				{"f.category_id__isnull=1", "Widget"},
				{"f.status=retired", "Widget"},
				{"f.released__gte=2024-01-01&f.released__lt=2025-01-01", "Éclair Crème"},
				{"f.released__isnull=0", "Éclair Crème"},
				{"f.active=true&q=widget", "Widget"},
				{"f.updated_at__gte=2000-01-01", "Widget|Hammer|Éclair Crème"},
			}
			for _, c := range cases {
				rs := rows(root.get("/admin/products/?"+c.query, http.StatusOK))
				if got := strings.Join(column(rs, 1), "|"); got != c.names {
					t.Errorf("%s: %q, want %q", c.query, got, c.names)
				}
			}
			for _, bad := range []string{"f.nope=1", "f.stock=abc", "f.active__like=1", "f.released=2024-13-45", "f.id__isnull=maybe", "f.name%3B--=1"} {
				body := root.get("/admin/products/?"+bad, http.StatusBadRequest)
				wantAbsent(t, bad, body, "SQL", "syntax", "sql:")
			}
		})

		t.Run("ordering", func(t *testing.T) {
			for _, c := range []struct{ o, names string }{
				{"sku", "Éclair Crème|Hammer|Widget"},
				{"-price,name", "Hammer|Éclair Crème|Widget"},
				{"stock,-id", "Widget|Hammer|Éclair Crème"},
			} {
				body := root.get("/admin/products/?o="+url.QueryEscape(c.o), http.StatusOK)
				if got := strings.Join(column(rows(body), 1), "|"); got != c.names {
					t.Errorf("o=%s: %q, want %q", c.o, got, c.names)
				}
			}
			body := root.get("/admin/products/?o=-price,name", http.StatusOK)
			wantContains(t, "sort headers", body, `aria-sort="descending"`, "▼", "▲2")
			for _, bad := range []string{"bogus", "name,name", "name;DROP TABLE products", "attrs", "(SELECT 1)"} {
				root.get("/admin/products/?o="+url.QueryEscape(bad), http.StatusBadRequest)
			}
		})

		t.Run("pagination", func(t *testing.T) {
			for i := range 57 {
				if _, err := s.db.SQL.Exec(fmt.Sprintf("INSERT INTO products (name, sku, price) VALUES ('Bulk %02d', 'B%02d', 1)", i, i)); err != nil {
					t.Fatal(err)
				}
			}
			defer s.db.SQL.Exec("DELETE FROM products WHERE sku LIKE 'B%'")
			body := root.get("/admin/products/?n=25", http.StatusOK)
			first := rows(body)
			if len(first) != 25 || first[0][1] != "Bulk 56" {
				t.Fatalf("first page: %d rows, first %v", len(first), first[0])
			}
			next := hrefOf(body, "next")
			if next == "" || hrefOf(body, "prev") != "" {
				t.Fatalf("first page links: next %q prev %q", next, hrefOf(body, "prev"))
			}
			body = root.get(next, http.StatusOK)
			second := rows(body)
			if len(second) != 25 || second[0][1] != "Bulk 31" {
				t.Errorf("second page: %d rows, first %v", len(second), second[0])
			}
			prev := hrefOf(body, "prev")
			if back := rows(root.get(prev, http.StatusOK)); len(back) != 25 || back[0][1] != "Bulk 56" {
				t.Errorf("previous page from the second: first %v", back[0])
			}
			last := rows(root.get(hrefOf(body, "last"), http.StatusOK))
			if len(last) != 25 || last[len(last)-1][1] != "Éclair Crème" {
				t.Errorf("last page ends with %v", last[len(last)-1])
			}
			// Walk every page ordered by a datetime (keyset on PostgreSQL
			// and MySQL, numbered pages on SQLite): each row exactly once.
			for _, o := range []string{"-updated_at", "updated_at", "status,-id", "-price,sku"} {
				seen := map[string]bool{}
				path := "/admin/products/?n=25&o=" + url.QueryEscape(o)
				for pages := 0; path != "" && pages < 10; pages++ {
					body := root.get(path, http.StatusOK)
					for _, r := range rows(body) {
						if seen[r[0]] {
							t.Errorf("o=%s: row %s twice", o, r[0])
						}
						seen[r[0]] = true
					}
					path = hrefOf(body, "next")
				}
				if len(seen) != 60 {
					t.Errorf("o=%s: walked %d rows of 60", o, len(seen))
				}
			}
			// Offset pages with a nullable sort column.
			body = root.get("/admin/products/?o=released,id&n=25&p=3", http.StatusOK)
			if n := len(rows(body)); n != 10 {
				t.Errorf("page 3 of 60 by 25: %d rows", n)
			}
			wantContains(t, "numbered pages", body, `aria-current="page">3<`)
			root.get("/admin/products/?o=released&p=4", http.StatusNotFound)
			root.get("/admin/products/?p=99999999999", http.StatusNotFound)
			root.get("/admin/products/?p=9999999", http.StatusNotFound)
			root.get("/admin/products/?p=abc", http.StatusBadRequest)
			root.get("/admin/products/?p=-1", http.StatusBadRequest)
			root.get("/admin/products/?n=7", http.StatusBadRequest)
			root.get("/admin/products/?after=garbage", http.StatusBadRequest)
			root.get("/admin/products/?after=WyJ4Il0", http.StatusBadRequest) // ["x"]: not an id
		})

		t.Run("add form widgets", func(t *testing.T) {
			body := root.get("/admin/products/add/", http.StatusOK)
			wantContains(t, "add form", body,
				`id="f-name" name="name" value=""`, `maxlength="100"`,
				`<textarea id="f-description" name="description"`,
				`id="f-price" name="price" value=""`, `inputmode="decimal"`,
				`type="number" step="1"`, `type="number" step="any"`,
				`type="checkbox" id="f-active" name="active" value="true" checked`,
				`type="date"`, `type="datetime-local"`,
				`data-json`, `<select id="f-category_id" name="category_id"`, `<option value="1">Pastry</option>`,
				`name="_addanother"`, `name="_continue"`, `name="csrf_token"`)
			wantAbsent(t, "add form", body, `id="f-id"`, `f-stock_value`)
			wantContains(t, "time widget", root.get("/admin/categories/add/", http.StatusOK), `id="f-opens" name="opens" value=""`, `type="time" step="1"`)
			root.post("/admin/categories/add/", url.Values{"name": {"Timed"}, "opens": {"09:30"}, "_save": {"1"}}, http.StatusSeeOther)
			id := s.str("SELECT id FROM categories WHERE name = 'Timed'")
			wantContains(t, "time value", root.get("/admin/categories/"+id+"/change/", http.StatusOK), `name="opens" value="09:30`)
			_, bad := root.post("/admin/categories/add/", url.Values{"name": {"Late"}, "opens": {"25:00"}, "_save": {"1"}}, http.StatusUnprocessableEntity)
			wantContains(t, "time error", bad, "Enter a time as HH:MM[:SS].")
			if _, err := s.db.SQL.Exec("DELETE FROM categories WHERE name = 'Timed'"); err != nil {
				t.Fatal(err)
			}
			if db.Name != "sqlite" {
				wantContains(t, "enum", body, `<select id="f-status" name="status"`, `<option value="draft" selected>draft</option>`)
			} else {
				wantContains(t, "enum as text on SQLite", body, `id="f-status" name="status" value="draft"`)
			}
		})

		t.Run("create", func(t *testing.T) {
			resp, _ := root.post("/admin/products/add/", productForm("Teapot", "T1"), http.StatusSeeOther)
			if resp.Header.Get("Location") != "/admin/products/" {
				t.Errorf("save: Location %q", resp.Header.Get("Location"))
			}
			if got := s.str("SELECT name FROM products WHERE sku = 'T1'"); got != "Teapot" {
				t.Fatalf("created: %q", got)
			}
			if n := s.count("SELECT COUNT(*) FROM products WHERE sku = 'T1' AND stock = 7 AND active = TRUE AND category_id = 1 AND released = '2025-02-03'"); n != 1 {
				t.Errorf("created row's values differ")
			}
			if n := s.count("SELECT COUNT(*) FROM quarry_audit_log WHERE action = 'admin.create' AND table_name = 'products'"); n != 1 {
				t.Errorf("audit entries for the create: %d", n)
			}
			list := root.get("/admin/products/", http.StatusOK)
			wantContains(t, "flash", list, "Added “Teapot” to products.")
			f := productForm("Kettle", "K1")
			f.Del("_save")
			f.Set("_addanother", "1")
			resp, _ = root.post("/admin/products/add/", f, http.StatusSeeOther)
			expect(t, "save and add another", resp, http.StatusSeeOther, "/admin/products/add/")
			f = productForm("Mug", "M1")
			f.Del("_save")
			f.Set("_continue", "1")
			resp, _ = root.post("/admin/products/add/", f, http.StatusSeeOther)
			if !regexp.MustCompile(`^/admin/products/\d+/change/$`).MatchString(resp.Header.Get("Location")) {
				t.Errorf("save and continue: %q", resp.Header.Get("Location"))
			}
			// Defaults apply when left empty.
			f = url.Values{"name": {"Plain"}, "sku": {"P1"}, "price": {"0"}, "description": {""}, "stock": {""}, "status": {""}}
			f.Set("_save", "1")
			root.post("/admin/products/add/", f, http.StatusSeeOther)
			if n := s.count("SELECT COUNT(*) FROM products WHERE sku = 'P1' AND stock = 0 AND active = FALSE AND status = 'draft' AND description = ''"); n != 1 {
				t.Errorf("defaults were not applied to Plain")
			}
		})

		t.Run("validation", func(t *testing.T) {
			f := productForm(strings.Repeat("n", 101), "V1")
			f.Set("price", "abc")
			f.Set("stock", "99999999999999999999")
			f.Set("attrs", "{bad")
			f.Set("released", "2024-13-01")
			f.Set("updated_at", "yesterday")
			f.Set("status", "sold")
			f.Set("sku", "")
			_, body := root.post("/admin/products/add/", f, http.StatusUnprocessableEntity)
			wantContains(t, "errors", body, "Please correct the errors below.", "At most 100 characters", "Enter a decimal number",
				"Must be between -", "Not valid JSON", "Enter a date as YYYY-MM-DD", "Enter a date and time",
				"This field is required.", `value="`+strings.Repeat("n", 101)+`"`, `{bad</textarea>`)
			if db.Name != "sqlite" {
				wantContains(t, "enum error", body, "Choose one of: draft, live, retired")
			}
			if n := s.count("SELECT COUNT(*) FROM products WHERE sku = 'V1'"); n != 0 {
				t.Errorf("an invalid form wrote a row")
			}
		})

		t.Run("constraint errors", func(t *testing.T) {
			_, body := root.post("/admin/products/add/", productForm("Copy", "E1"), http.StatusUnprocessableEntity)
			wantContains(t, "unique", body, "Another row of products already has this sku.", `value="Copy"`)
			f := productForm("Negative", "N1")
			f.Set("price", "-1")
			_, body = root.post("/admin/products/add/", f, http.StatusUnprocessableEntity)
			wantContains(t, "check", body, "break a rule of the table", "This value is not allowed by the rule")
			f = productForm("Orphan", "O1")
			f.Set("category_id", "999")
			_, body = root.post("/admin/products/add/", f, http.StatusUnprocessableEntity)
			wantContains(t, "foreign key", body, "No categories row has this value.")
			_, body = root.post("/admin/categories/add/", url.Values{"name": {"Pastry"}, "_save": {"1"}}, http.StatusUnprocessableEntity)
			wantContains(t, "unique on categories", body, "Another row of categories already has this name.")
			for _, b := range []string{body} {
				wantAbsent(t, "no SQL errors", b, "duplicate key", "Duplicate entry", "UNIQUE constraint failed", "SQLSTATE")
			}
			if n := s.count("SELECT COUNT(*) FROM products WHERE sku IN ('N1', 'O1')"); n != 0 {
				t.Errorf("refused rows were written")
			}
		})

		t.Run("edit", func(t *testing.T) {
			body := root.get("/admin/products/2/change/", http.StatusOK)
			ver := regexp.MustCompile(`name="_version" value="([^"]+)"`).FindStringSubmatch(body)
			if ver == nil {
				t.Fatal("no _version in the change form")
			}
			wantContains(t, "generated column shown, not editable", body, `<div class="value" id="f-stock_value">36`)
			wantContains(t, "change form", body, `value="Hammer"`, `name="price" value="12`, "History", `href="/admin/products/2/delete/"`)
			form := url.Values{"_version": {ver[1]}, "_continue": {"1"}}
			for _, name := range []string{"category_id", "name", "sku", "description", "price", "stock", "weight", "released", "updated_at", "status", "attrs"} {
				v := regexp.MustCompile(`id="f-` + name + `" name="` + name + `"[^>]*value="([^"]*)"`).FindStringSubmatch(body)
				if v != nil {
					form.Set(name, html.UnescapeString(v[1]))
				}
			}
			form.Set("description", "Claw hammer")
			form.Set("status", "draft")
			form.Set("category_id", "2")
			form.Set("price", "13.50")
			resp, _ := root.post("/admin/products/2/change/", form, http.StatusSeeOther)
			expect(t, "save and continue", resp, http.StatusSeeOther, "/admin/products/2/change/")
			if got := s.str("SELECT CAST(price AS CHAR(20)) FROM products WHERE id = 2"); !strings.HasPrefix(got, "13.5") {
				t.Errorf("price after edit: %q", got)
			}
			changes := strings.ReplaceAll(s.str("SELECT changes FROM quarry_audit_log WHERE action = 'admin.update' AND table_name = 'products' AND object_id = '2'"), " ", "")
			if !strings.Contains(changes, `"price":["12.00","13.50"]`) && !strings.Contains(changes, `"price":["12","13.5"]`) {
				t.Errorf("audit of the edit: %s", changes)
			}
			if strings.Contains(changes, `"name"`) {
				t.Errorf("unchanged field in the audit: %s", changes)
			}
			// The same form again: someone else saved in between.
			_, body = root.post("/admin/products/2/change/", form, http.StatusConflict)
			wantContains(t, "stale form", body, "Someone else changed this")
			hist := root.get("/admin/products/2/history/", http.StatusOK)
			wantContains(t, "history", hist, "admin.update", "root", "price", "13.5")
			root.get("/admin/products/abc/change/", http.StatusNotFound)
			root.get("/admin/products/999999/change/", http.StatusNotFound)
			root.get("/admin/products/1%2C2/change/", http.StatusNotFound)
			root.get("/admin/products/99999999999999999999999/change/", http.StatusNotFound)
			root.get("/admin/stock_levels/2,main/change/", http.StatusOK)
			// A key the application assigns is asked for when adding.
			wantContains(t, "assigned key", root.get("/admin/codes/add/", http.StatusOK), `id="f-n" name="n"`)
			resp, _ = root.post("/admin/codes/add/", url.Values{"n": {"42"}, "label": {"answer"}, "_save": {"1"}}, http.StatusSeeOther)
			_, body = root.post("/admin/codes/add/", url.Values{"n": {"42"}, "label": {"other"}, "_save": {"1"}}, http.StatusUnprocessableEntity)
			wantContains(t, "duplicate key", body, "Another row of codes already has this n.")
			root.get("/admin/stock_levels/2/change/", http.StatusNotFound)
		})

		t.Run("xss", func(t *testing.T) {
			payload := `<script>alert("x")</script><img src=x onerror=alert(1)>`
			root.post("/admin/products/add/", productForm(payload, "X1"), http.StatusSeeOther)
			for _, path := range []string{"/admin/products/", "/admin/products/?q=script", "/admin/"} {
				body := root.get(path, http.StatusOK)
				wantAbsent(t, path, body, "<script>alert", "<img src=x")
			}
			body := root.get("/admin/products/", http.StatusOK)
			wantContains(t, "escaped", body, "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;")
			body = root.get("/admin/products/?q="+url.QueryEscape(`"><script>alert(2)</script>`), http.StatusOK)
			wantAbsent(t, "search echo", body, "<script>alert(2)")
		})

		t.Run("csv export", func(t *testing.T) {
			root.post("/admin/products/add/", productForm("=HYPERLINK(\"http://evil\")", "F1"), http.StatusSeeOther)
			resp, body := root.do("GET", "/admin/products/export.csv?q=e1", nil, nil)
			if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") || !strings.Contains(resp.Header.Get("Content-Disposition"), "attachment") {
				t.Fatalf("export: %d %v", resp.StatusCode, resp.Header)
			}
			recs, err := csv.NewReader(strings.NewReader(body)).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			if len(recs) != 2 || recs[0][0] != "id" || recs[1][2] != "Éclair Crème" {
				t.Errorf("filtered export: %v", recs)
			}
			_, body = root.do("GET", "/admin/products/export.csv", nil, nil)
			wantContains(t, "formula injection", body, `'=HYPERLINK`)
			recs, _ = csv.NewReader(strings.NewReader(body)).ReadAll()
			if want := s.count("SELECT COUNT(*) FROM products") + 1; len(recs) != want {
				t.Errorf("full export: %d records, want %d", len(recs), want)
			}
		})

		t.Run("delete", func(t *testing.T) {
			body := root.get("/admin/products/1/delete/", http.StatusOK)
			wantContains(t, "cascade preview", body, "Éclair Crème", "2 reviews</strong> will be deleted", "reviews #1", "Yes, delete")
			body = root.get("/admin/categories/2/delete/", http.StatusOK)
			wantContains(t, "set null preview", body, "will be have category_id cleared")
			body = root.get("/admin/products/2/delete/", http.StatusOK)
			wantContains(t, "blocked", body, "cannot be deleted", "stock levels")
			wantAbsent(t, "blocked", body, "Yes, delete")
			_, body = root.post("/admin/products/2/delete/", url.Values{}, http.StatusOK)
			wantContains(t, "blocked post", body, "cannot be deleted")
			if n := s.count("SELECT COUNT(*) FROM products WHERE id = 2"); n != 1 {
				t.Errorf("a blocked delete deleted")
			}
			// A user who may delete products but not reviews cannot delete
			// a product whose reviews would cascade.
			d := s.as("deleter")
			body = d.get("/admin/products/1/delete/", http.StatusOK)
			wantContains(t, "cascade without permission", body, "cannot be deleted", "you may not delete those")
			wantAbsent(t, "cascade without permission", body, "Yes, delete", "Delicious")
			d.post("/admin/products/1/delete/", url.Values{}, http.StatusOK)
			if n := s.count("SELECT COUNT(*) FROM reviews"); n != 2 {
				t.Errorf("a refused cascade deleted reviews")
			}
			resp, _ := root.post("/admin/products/1/delete/", url.Values{}, http.StatusSeeOther)
			expect(t, "delete", resp, http.StatusSeeOther, "/admin/products/")
			if n := s.count("SELECT COUNT(*) FROM reviews"); n != 0 {
				t.Errorf("reviews left after the cascade: %d", n)
			}
			if n := s.count("SELECT COUNT(*) FROM quarry_audit_log WHERE action = 'admin.delete' AND object_id = '1'"); n != 1 {
				t.Errorf("audit of the delete: %d", n)
			}
			hist := root.get("/admin/products/1/history/", http.StatusOK)
			wantContains(t, "history of a deleted row", hist, "admin.delete", "Éclair Crème")
			root.get("/admin/products/1/delete/", http.StatusNotFound)
		})

		t.Run("bulk actions", func(t *testing.T) {
			ids := func(where string) []string {
				rs, err := s.db.SQL.Query("SELECT id FROM products WHERE " + where + " ORDER BY id")
				if err != nil {
					t.Fatal(err)
				}
				defer rs.Close()
				var out []string
				for rs.Next() {
					var id string
					rs.Scan(&id)
					out = append(out, id)
				}
				return out
			}
			sel := ids("sku IN ('K1', 'M1')")
			_, body := root.post("/admin/products/", url.Values{"action": {"delete"}, "_selected": sel}, http.StatusOK)
			wantContains(t, "bulk confirm", body, "these 2 rows of products", "Kettle", "Mug", `name="confirm" value="yes"`)
			root.post("/admin/products/", url.Values{"action": {"delete"}, "_selected": sel, "confirm": {"yes"}}, http.StatusSeeOther)
			if n := len(ids("sku IN ('K1', 'M1')")); n != 0 {
				t.Errorf("bulk delete left %d", n)
			}
			page := root.get("/admin/products/?q=teapot", http.StatusOK)
			action := regexp.MustCompile(`<form method="post" action="([^"]*)" id="list-form">`).FindStringSubmatch(page)
			if action == nil {
				t.Fatal("no list form")
			}
			resp, _ := root.post(html.UnescapeString(action[1]), url.Values{"action": {"deactivate"}, "select_all": {"1"}}, http.StatusSeeOther)
			expect(t, "custom action", resp, http.StatusSeeOther, "/admin/products/?q=teapot")
			wantContains(t, "custom action message", root.get("/admin/products/", http.StatusOK), "Deactivated 1 product(s).")
			if n := s.count("SELECT COUNT(*) FROM products WHERE active = FALSE AND sku = 'T1'"); n != 1 {
				t.Errorf("deactivate did not run on the matching row")
			}
			if n := s.count("SELECT COUNT(*) FROM products WHERE active = TRUE AND sku = 'W1'"); n != 1 {
				t.Errorf("deactivate ran on a row outside the search")
			}
			// Rows referring to each other (or to themselves) go together;
			// a row others still refer to is refused by the database.
			_, body = root.post("/admin/nodes/", url.Values{"action": {"delete"}, "_selected": {"1"}, "confirm": {"yes"}}, http.StatusOK)
			wantContains(t, "restricted", body, "cannot be deleted")
			if db.Name == "mysql" { // InnoDB checks each row as it goes
				_, body = root.post("/admin/nodes/3/delete/", url.Values{}, http.StatusConflict)
				wantContains(t, "refused by MySQL", body, "The database refused")
				if _, err := s.db.SQL.Exec("UPDATE nodes SET parent_id = NULL"); err != nil {
					t.Fatal(err)
				}
			}
			root.post("/admin/nodes/3/delete/", url.Values{}, http.StatusSeeOther)
			root.post("/admin/nodes/", url.Values{"action": {"delete"}, "_selected": {"1", "2"}, "confirm": {"yes"}}, http.StatusSeeOther)
			if n := s.count("SELECT COUNT(*) FROM nodes"); n != 0 {
				t.Errorf("nodes left: %d", n)
			}
			root.post("/admin/products/", url.Values{"action": {"explode"}, "_selected": {"3"}}, http.StatusBadRequest)
			root.post("/admin/products/", url.Values{"action": {"delete"}, "_selected": {"x'; DROP TABLE products; --"}}, http.StatusBadRequest)
			resp, _ = root.post("/admin/products/", url.Values{"action": {"delete"}}, http.StatusSeeOther)
			expect(t, "nothing selected", resp, http.StatusSeeOther, "/admin/products/")
		})

		t.Run("permissions", func(t *testing.T) {
			v := s.as("viewer")
			body := v.get("/admin/products/", http.StatusOK)
			wantAbsent(t, "viewer list", body, "+ Add", `name="action"`)
			body = v.get("/admin/products/3/change/", http.StatusOK)
			wantAbsent(t, "viewer change page", body, `name="_save"`, "Delete</a>", `<input id="f-name"`)
			v.get("/admin/products/add/", http.StatusForbidden)
			v.get("/admin/products/3/delete/", http.StatusForbidden)
			v.get("/admin/categories/", http.StatusForbidden)
			v.post("/admin/products/3/change/", url.Values{"name": {"Hacked"}}, http.StatusForbidden)
			v.post("/admin/products/add/", productForm("Hack", "HK"), http.StatusForbidden)
			v.post("/admin/products/", url.Values{"action": {"delete"}, "_selected": {"3"}, "confirm": {"yes"}}, http.StatusForbidden)
			v.post("/admin/products/", url.Values{"action": {"deactivate"}, "_selected": {"3"}}, http.StatusForbidden)
			v.get("/admin/products/export.csv", http.StatusOK)
			body = v.get("/admin/products/", http.StatusOK)
			wantContains(t, "labels of an unviewable table", body, "categories #2")
			wantAbsent(t, "labels of an unviewable table", body, "Tools")
			resp, _ := v.do("POST", "/admin/products/3/change/", nil, map[string]string{"Content-Type": "application/json", "X-CSRF-Token": v.token()})
			expect(t, "JSON post", resp, http.StatusUnsupportedMediaType, "")
			e := s.as("editor")
			body = e.get("/admin/products/", http.StatusOK)
			wantContains(t, "editor list", body, "Deactivate selected")
			wantAbsent(t, "editor list", body, "Delete selected", "+ Add")
			body = e.get("/admin/products/3/change/", http.StatusOK)
			wantContains(t, "editor change page", body, `name="_save"`)
			wantAbsent(t, "editor change page", body, `/admin/products/3/delete/`)
			e.get("/admin/products/3/delete/", http.StatusForbidden)
			e.get("/admin/categories/", http.StatusOK)
			e.get("/admin/categories/add/", http.StatusForbidden)
			if n := s.count("SELECT COUNT(*) FROM products WHERE name = 'Hacked' OR sku = 'HK'"); n != 0 {
				t.Errorf("a refused write happened")
			}
			// Read-only framework tables offer no writes even to superusers.
			root.get("/admin/quarry_audit_log/add/", http.StatusForbidden)
			body = root.get("/admin/quarry_users/1/change/", http.StatusOK)
			wantAbsent(t, "password hash hidden", body, "password_hash", "argon2id")
		})

		t.Run("user passwords", func(t *testing.T) {
			id := s.str("SELECT id FROM quarry_users WHERE username = 'viewer'")
			path := "/admin/quarry_users/" + id + "/password/"
			wantContains(t, "set password link", root.get("/admin/quarry_users/"+id+"/change/", http.StatusOK), `href="`+path+`"`)
			_, body := root.post(path, url.Values{"password1": {"short"}, "password2": {"short"}}, http.StatusUnprocessableEntity)
			wantContains(t, "weak", body, "at least 10 characters")
			_, body = root.post(path, url.Values{"password1": {"a-new-long-secret"}, "password2": {"a-new-long-secreT"}}, http.StatusUnprocessableEntity)
			wantContains(t, "mismatch", body, "The two passwords differ.")
			s.as("viewer").get(path, http.StatusForbidden)
			resp, _ := root.post(path, url.Values{"password1": {"a-new-long-secret"}, "password2": {"a-new-long-secret"}}, http.StatusSeeOther)
			expect(t, "set password", resp, http.StatusSeeOther, "/admin/quarry_users/"+id+"/change/")
			if resp := newBrowser(t, s.url).login("viewer", "a-new-long-secret", "/admin/"); resp.StatusCode != http.StatusSeeOther {
				t.Errorf("login with the new password: %d", resp.StatusCode)
			}
			if changes := s.str("SELECT changes FROM quarry_audit_log WHERE action = 'admin.password'"); strings.Contains(changes, "argon2") {
				t.Errorf("the audit log holds the hash: %s", changes)
			}
			root.get("/admin/products/3/password/", http.StatusNotFound)
			// Only superusers make, change or take over superusers.
			um := s.as("usermgr")
			rootID := s.str("SELECT id FROM quarry_users WHERE username = 'root'")
			ownID := s.str("SELECT id FROM quarry_users WHERE username = 'usermgr'")
			um.post("/admin/quarry_users/"+rootID+"/password/", url.Values{"password1": {"taken-over-pass"}, "password2": {"taken-over-pass"}}, http.StatusForbidden)
			body = um.get("/admin/quarry_users/"+rootID+"/change/", http.StatusOK)
			wantAbsent(t, "a superuser's page for a non-superuser", body, `name="_save"`, "Set password")
			um.post("/admin/quarry_users/"+rootID+"/change/", url.Values{"username": {"root"}, "is_active": {""}}, http.StatusForbidden)
			body = um.get("/admin/quarry_users/"+ownID+"/change/", http.StatusOK)
			wantAbsent(t, "is_superuser locked", body, `name="is_superuser"`)
			ver := regexp.MustCompile(`name="_version" value="([^"]+)"`).FindStringSubmatch(body)
			um.post("/admin/quarry_users/"+ownID+"/change/", url.Values{"_version": {ver[1]}, "username": {"usermgr"}, "email": {""}, "is_active": {"true"}, "is_staff": {"true"}, "is_superuser": {"true"}, "data": {"{}"}}, http.StatusSeeOther)
			if n := s.count("SELECT COUNT(*) FROM quarry_users WHERE username = 'usermgr' AND is_superuser = FALSE"); n != 1 {
				t.Error("a non-superuser made itself superuser")
			}
			resp, _ = um.post("/admin/quarry_users/"+ownID+"/password/", url.Values{}, http.StatusSeeOther)
			expect(t, "own password", resp, http.StatusSeeOther, "/password")
			_, body = root.post("/admin/quarry_users/"+ownID+"/change/", url.Values{"_version": {"x"}, "username": {" bad name"}}, http.StatusUnprocessableEntity)
			wantContains(t, "username checked", body, "Invalid username")
			// A user added in the admin is sent on to set a password.
			resp, _ = root.post("/admin/quarry_users/add/", url.Values{"username": {"newbie"}, "email": {"n@example.com"}, "is_active": {"true"}, "is_staff": {"true"}, "data": {"{}"}, "_save": {"1"}}, http.StatusSeeOther)
			if !regexp.MustCompile(`^/admin/quarry_users/\d+/password/$`).MatchString(resp.Header.Get("Location")) {
				t.Errorf("after adding a user: %q", resp.Header.Get("Location"))
			}
		})

		t.Run("csrf", func(t *testing.T) {
			resp, _ := root.do("POST", "/admin/products/3/delete/", url.Values{}, nil)
			expect(t, "no token", resp, http.StatusForbidden, "")
			resp, _ = root.do("POST", "/admin/products/3/delete/", url.Values{"csrf_token": {"forged"}}, nil)
			expect(t, "wrong token", resp, http.StatusForbidden, "")
			resp, _ = root.do("POST", "/admin/products/3/delete/", url.Values{"csrf_token": {root.token()}}, map[string]string{"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"})
			expect(t, "cross-site", resp, http.StatusForbidden, "")
			if n := s.count("SELECT COUNT(*) FROM products WHERE id = 3"); n != 1 {
				t.Errorf("a refused delete deleted")
			}
		})

		t.Run("lookup and hostile paths", func(t *testing.T) {
			body := root.get("/admin/categories/lookup?q=past", http.StatusOK)
			if !strings.Contains(body, `"label":"Pastry"`) || strings.Contains(body, "Tools") {
				t.Errorf("lookup: %s", body)
			}
			root.get("/admin/no_such_table/", http.StatusNotFound)
			root.get("/admin/goose_db_version/", http.StatusNotFound)
			root.get("/admin/quarry_sessions/", http.StatusNotFound)
			root.get("/admin/products%3BDROP/", http.StatusNotFound)
			root.get("/admin/products/1/nothing/", http.StatusNotFound)
		})

		t.Run("database errors are not shown", func(t *testing.T) {
			if _, err := s.db.SQL.Exec("DROP TABLE reviews"); err != nil {
				t.Fatal(err)
			}
			body := root.get("/admin/reviews/", http.StatusInternalServerError)
			wantContains(t, "500 page", body, "Something went wrong", "reference")
			wantAbsent(t, "500 page", body, "does not exist", "doesn't exist", "no such table", "SELECT")
			if err := s.adm.Reload(context.Background()); err != nil {
				t.Fatal(err)
			}
			root.get("/admin/reviews/", http.StatusNotFound)
		})

		t.Run("large foreign-key target", func(t *testing.T) {
			for i := range 201 {
				if _, err := s.db.SQL.Exec(fmt.Sprintf("INSERT INTO categories (name) VALUES ('Category %03d')", i)); err != nil {
					t.Fatal(err)
				}
			}
			body := root.get("/admin/products/add/", http.StatusOK)
			wantContains(t, "picker", body, `id="f-category_id" name="category_id" value=""`, `data-lookup="/admin/categories/lookup"`, `<datalist id="f-category_id-list">`)
			body = root.get("/admin/products/3/change/", http.StatusOK)
			wantContains(t, "picker on change", body, `data-lookup="/admin/categories/lookup"`)
			body = root.get("/admin/categories/lookup?q=category+17", http.StatusOK)
			if strings.Count(body, `"key"`) != 10 {
				t.Errorf("lookup of 'category 17': %s", body)
			}
			f := productForm("Picked", "PK1")
			f.Set("category_id", s.str("SELECT id FROM categories WHERE name = 'Category 150'"))
			root.post("/admin/products/add/", f, http.StatusSeeOther)
			if n := s.count("SELECT COUNT(*) FROM products p JOIN categories c ON c.id = p.category_id WHERE p.sku = 'PK1' AND c.name = 'Category 150'"); n != 1 {
				t.Error("product saved through the picker lacks its category")
			}
			body = root.get("/admin/products/?f.category_id="+f.Get("category_id"), http.StatusOK)
			wantContains(t, "list label", body, "Category 150")
		})
	})
}

// TestAdminOptionsChecked: options naming columns the schema does not have
// fail at start-up, with every mistake named.
func TestAdminOptionsChecked(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *dbtest.DB) {
		s := newAdminSite(t, db)
		sm := authhttp.NewSessions(s.app.Config(), session.NewStore(s.app.Database()))
		a, _ := authhttp.New(authhttp.Options{Sessions: sm})
		_, err := admin.New(context.Background(), s.app, admin.Options{Auth: a, Tables: map[string]admin.Table{
			"products": {ListDisplay: []string{"name", "colour"}, Ordering: []string{"-size"}, Actions: []admin.Action{{Name: "bad name"}}},
			"nope":     {},
		}})
		if err == nil {
			t.Fatal("admin.New accepted unknown columns")
		}
		for _, want := range []string{`Tables["products"].ListDisplay: no column "colour"`, `Tables["products"].Ordering: no column "-size"`, `Tables["nope"]: no such table`, `Actions[0]: name "bad name"`, `Run is nil`} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error lacks %q:\n%v", want, err)
			}
		}
	})
}
