package tests

import (
	"context"
	"database/sql"
	"encoding/base64"
	"errors"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/quarry-go/quarry/admin"
	"github.com/quarry-go/quarry/framework"
	"github.com/quarry-go/quarry/tests/dbtest"
)

// The admin against the findings of an outside security probe: audit
// entries of tables a user may not view, values the admin accepted
// without checking their kind, text no database should receive, and
// clients that hang up.

// adminClient sends requests to an admin as a logged-in user and returns
// the status and body.
type adminClient interface {
	send(method, target string, form url.Values) (int, string)
}

// send is adminClient for a browser on the App's server (the App's URL
// checks apply); a POST carries the session's CSRF token.
func (b *adminBrowser) send(method, target string, form url.Values) (int, string) {
	b.t.Helper()
	if method == http.MethodPost && form.Get("csrf_token") == "" {
		form.Set("csrf_token", b.token())
	}
	resp, body := b.do(method, target, form, nil)
	return resp.StatusCode, body
}

// bareAdmin serves a handler in-process as a logged-in user: an admin
// mounted the way an application may mount it without the App's handler
// (only the database in the context and the identity middleware, so none
// of the App's URL checks apply), or the App's handler itself.
type bareAdmin struct {
	t       *testing.T
	h       http.Handler
	cookies []*http.Cookie
	token   string
}

// bare serves the admin adm of the site as the user b is logged in as.
func (s *adminSite) bare(adm http.Handler, b *adminBrowser) *bareAdmin {
	inner := s.auth.Middleware(adm)
	d := s.app.Database()
	return s.client(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		inner.ServeHTTP(w, r.WithContext(framework.WithDatabase(r.Context(), d)))
	}), b)
}

// client serves h in-process as the user b is logged in as.
func (s *adminSite) client(h http.Handler, b *adminBrowser) *bareAdmin {
	token := b.token()
	u, _ := url.Parse(b.base)
	return &bareAdmin{t: s.t, h: h, cookies: b.c.Jar.Cookies(u), token: token}
}

// request builds a request as the user, with ctx.
func (c *bareAdmin) request(ctx context.Context, method, target string, form url.Values) *http.Request {
	var body io.Reader
	if form != nil {
		if form.Get("csrf_token") == "" {
			form.Set("csrf_token", c.token)
		}
		body = strings.NewReader(form.Encode())
	}
	r := httptest.NewRequestWithContext(ctx, method, target, body)
	if form != nil {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for _, k := range c.cookies {
		r.AddCookie(k)
	}
	return r
}

func (c *bareAdmin) send(method, target string, form url.Values) (int, string) {
	rec := httptest.NewRecorder()
	c.h.ServeHTTP(rec, c.request(context.Background(), method, target, form))
	return rec.Code, rec.Body.String()
}

// logRecorder is a slog handler that keeps every record.
type logRecorder struct {
	mu   sync.Mutex
	recs []slog.Record
}

func (l *logRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (l *logRecorder) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l *logRecorder) WithGroup(string) slog.Handler            { return l }
func (l *logRecorder) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.recs = append(l.recs, r.Clone())
	return nil
}

// take returns the messages logged since the last take, with their levels.
func (l *logRecorder) take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, r := range l.recs {
		line := r.Level.String() + " " + r.Message
		r.Attrs(func(a slog.Attr) bool {
			if a.Key == "error" {
				line += ": " + a.Value.String()
			}
			return true
		})
		out = append(out, line)
	}
	l.recs = nil
	return out
}

// dbErrorTexts are fragments of database error messages (and of the
// admin's internal-error page), none of which a client may ever see.
var dbErrorTexts = []string{"SQLSTATE", "pq: ", "ERROR: ", "Error 1", "Incorrect string value", "invalid byte sequence",
	"invalid input syntax", "unsupported Unicode escape", "SQL logic error", "sql: ", "syntax error", "Something went wrong"}

// formFieldValue is the value a form page shows in the named input.
func formFieldValue(body, name string) (string, bool) {
	m := regexp.MustCompile(`id="f-` + name + `" name="` + name + `"[^>]*value="([^"]*)"`).FindStringSubmatch(body)
	if m == nil {
		return "", false
	}
	return html.UnescapeString(m[1]), true
}

// fieldErrorOf is the error a form page shows beside the named field.
func fieldErrorOf(body, name string) string {
	m := regexp.MustCompile(`id="f-` + name + `-err">([^<]*)<`).FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return html.UnescapeString(m[1])
}

func versionOf(t *testing.T, body string) string {
	t.Helper()
	m := regexp.MustCompile(`name="_version" value="([^"]+)"`).FindStringSubmatch(body)
	if m == nil {
		t.Fatal("no _version in the change form")
	}
	return m[1]
}

// TestAdminAuditLogScope: a user who may view the audit log sees the
// entries (and so the values before and after) of the tables they may
// view, and no others, wherever the admin shows audit entries.
func TestAdminAuditLogScope(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *dbtest.DB) {
		s := newAdminSite(t, db)
		root := s.as("root")
		root.post("/admin/products/add/", productForm("Secret Widget", "S1"), http.StatusSeeOther)
		root.post("/admin/categories/add/", url.Values{"name": {"Open Shelf"}, "_save": {"1"}}, http.StatusSeeOther)
		productEntry := s.str("SELECT id FROM quarry_audit_log WHERE table_name = 'products'")
		categoryEntry := s.str("SELECT id FROM quarry_audit_log WHERE table_name = 'categories'")
		productID := s.str("SELECT id FROM products WHERE sku = 'S1'")
		addAdminUser(t, s.app, db, "auditor", true, false, "quarry_audit_log.view", "categories.view")
		addAdminUser(t, s.app, db, "changer", true, false, "quarry_audit_log.view", "products.change")
		addAdminUser(t, s.app, db, "blind", true, false, "quarry_audit_log.view")

		for _, c := range []struct {
			user           string
			sees, unseen   []string // values in the entries
			entry, unentry string   // an entry id it may open, and one it may not
		}{
			{"root", []string{"Secret Widget", "Open Shelf"}, nil, productEntry, ""},
			{"auditor", []string{"Open Shelf"}, []string{"Secret Widget", "products"}, categoryEntry, productEntry},
			{"changer", []string{"Secret Widget"}, []string{"Open Shelf", "categories"}, productEntry, categoryEntry},
			{"blind", nil, []string{"Secret Widget", "Open Shelf", "products", "categories"}, "", categoryEntry},
		} {
			t.Run(c.user, func(t *testing.T) {
				b := s.as(c.user)
				list := b.get("/admin/quarry_audit_log/", http.StatusOK)
				if n := len(rows(list)); n != len(c.sees) {
					t.Errorf("list: %d entries, want %d\n%s", n, len(c.sees), excerpt(list))
				}
				wantAbsent(t, "list", list, c.unseen...)
				export := b.get("/admin/quarry_audit_log/export.csv", http.StatusOK)
				wantContains(t, "export", export, c.sees...)
				wantAbsent(t, "export", export, c.unseen...)
				index := b.get("/admin/", http.StatusOK)
				wantAbsent(t, "recent actions", index, c.unseen...)
				for _, table := range []string{"products", "categories"} {
					hits := rows(b.get("/admin/quarry_audit_log/?f.table_name="+table, http.StatusOK))
					hits = append(hits, rows(b.get("/admin/quarry_audit_log/?q="+table, http.StatusOK))...)
					if len(hits) > 0 && strings.Contains(strings.Join(c.unseen, " "), table) {
						t.Errorf("filtering and searching for %s found %v", table, hits)
					}
				}
				if c.entry != "" {
					wantContains(t, "an entry it may see", b.get("/admin/quarry_audit_log/"+c.entry+"/change/", http.StatusOK), "admin.create")
					wantContains(t, "lookup", b.get("/admin/quarry_audit_log/lookup?q="+c.entry, http.StatusOK), `"key":"`+c.entry+`"`)
				}
				if c.unentry != "" {
					b.get("/admin/quarry_audit_log/"+c.unentry+"/change/", http.StatusNotFound)
					wantAbsent(t, "history of an entry it may not see", b.get("/admin/quarry_audit_log/"+c.unentry+"/history/", http.StatusOK), c.unseen...)
					if got := b.get("/admin/quarry_audit_log/lookup?q="+c.unentry, http.StatusOK); strings.TrimSpace(got) != "[]" {
						t.Errorf("lookup of an entry it may not see: %s", got)
					}
				}
			})
		}
		// A row's own history needs its table's view permission.
		s.as("auditor").get("/admin/products/"+productID+"/history/", http.StatusForbidden)
		wantContains(t, "history", s.as("changer").get("/admin/products/"+productID+"/history/", http.StatusOK), "Secret Widget")
		wantContains(t, "recent actions", s.as("auditor").get("/admin/", http.StatusOK), "Recent actions", "admin.create · categories")
		wantContains(t, "recent actions", s.as("blind").get("/admin/", http.StatusOK), "None yet.")
	})
}

// contactsDDL is a table whose columns are named like email addresses,
// slugs and a web address.
var contactsDDL = map[string]string{
	"sqlite":   "id INTEGER PRIMARY KEY",
	"postgres": "id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
	"mysql":    "id BIGINT AUTO_INCREMENT PRIMARY KEY",
}

// TestAdminValidators: columns named like email addresses and slugs are
// checked as such by default; Options.Tables[…].Validators assigns or
// removes checks per column and Options.NoDefaultValidators turns the
// guess off. A refused value answers 422 with the field's error and keeps
// what was typed.
func TestAdminValidators(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *dbtest.DB) {
		s := newAdminSite(t, db)
		ctx := context.Background()
		if _, err := db.SQL.Exec(`CREATE TABLE contacts (` + contactsDDL[string(db.Name)] + `, email VARCHAR(254) NOT NULL,
			work_email VARCHAR(254) NULL, slug VARCHAR(60) NOT NULL, page_slug VARCHAR(60) NULL, homepage VARCHAR(200) NULL,
			notes VARCHAR(200) NULL, old_email VARCHAR(200) NULL)`); err != nil {
			t.Fatal(err)
		}
		if err := s.adm.Reload(ctx); err != nil {
			t.Fatal(err)
		}
		root := s.as("root")
		noSpam := func(v string) error {
			if strings.Contains(v, "spam") {
				return errors.New("no spam, please.")
			}
			return nil
		}
		custom, err := admin.New(ctx, s.app, admin.Options{Auth: s.auth, Tables: map[string]admin.Table{
			"contacts": {Validators: map[string]admin.Validator{"homepage": admin.URL, "notes": noSpam, "old_email": nil}}}})
		if err != nil {
			t.Fatal(err)
		}
		guessless, err := admin.New(ctx, s.app, admin.Options{Auth: s.auth, NoDefaultValidators: true, Tables: map[string]admin.Table{
			"contacts": {Validators: map[string]admin.Validator{"page_slug": admin.Slug}}}})
		if err != nil {
			t.Fatal(err)
		}
		_, err = admin.New(ctx, s.app, admin.Options{Auth: s.auth, Tables: map[string]admin.Table{"contacts": {Validators: map[string]admin.Validator{"phone": admin.Email}}}})
		if err == nil || !strings.Contains(err.Error(), `Tables["contacts"].Validators: no column "phone"`) {
			t.Errorf("a validator on a missing column: %v", err)
		}

		const (
			badEmail = "Enter a valid email address, such as name@example.com."
			badSlug  = "Enter a slug such as my-first-post: lowercase letters a-z and digits, with single hyphens between words."
			badURL   = "Enter a web address starting with http:// or https://."
		)
		type check struct{ field, value, want string } // want "": saved
		for _, site := range []struct {
			name   string
			c      adminClient
			checks []check
		}{
			{"default", root, []check{
				{"email", "ada@example.com", ""},
				{"email", "josé@bücher.example", ""},
				{"email", "first.last+tag@mail.example.co.uk", ""},
				{"email", "Ada <ada@example.com>", badEmail},
				{"email", "ada@localhost", badEmail},
				{"email", "ada", badEmail},
				{"email", "ada@@example.com", badEmail},
				{"email", " ada@example.com", badEmail},
				{"email", "ada@exa mple.com", badEmail},
				{"email", "ada@-example.com", badEmail},
				{"email", "ada@example..com", badEmail},
				{"email", "ada@[127.0.0.1]", badEmail},
				{"email", "ada@example.com (Ada)", badEmail},
				{"work_email", "not an address", badEmail},
				{"old_email", "nope", badEmail},
				{"slug", "my-first-post", ""},
				{"slug", "2024", ""},
				{"slug", "My-Post", badSlug},
				{"slug", "-post", badSlug},
				{"slug", "post-", badSlug},
				{"slug", "my--post", badSlug},
				{"slug", "my_post", badSlug},
				{"slug", "my post", badSlug},
				{"slug", "café", badSlug},
				{"page_slug", "About Us", badSlug},
				{"homepage", "not checked by default", ""},
			}},
			{"options", s.bare(custom, root), []check{
				{"homepage", "https://example.com/a?b=c", ""},
				{"homepage", "javascript:alert(1)", badURL},
				{"homepage", "//example.com/x", badURL},
				{"homepage", "https://exa mple.com", badURL},
				{"notes", "buy spam now", "No spam, please."},
				{"notes", "fine", ""},
				{"old_email", "a guess turned off", ""},
				{"email", "still guessed", badEmail},
			}},
			{"no default validators", s.bare(guessless, root), []check{
				{"email", "not an address", ""},
				{"slug", "Not A Slug", ""},
				{"page_slug", "Still Checked", badSlug},
			}},
		} {
			t.Run(site.name, func(t *testing.T) {
				for i, c := range site.checks {
					form := url.Values{"email": {"base@example.com"}, "slug": {"base"}, "_save": {"1"}}
					form.Set(c.field, c.value)
					before := s.count("SELECT COUNT(*) FROM contacts")
					status, body := site.c.send(http.MethodPost, "/admin/contacts/add/", form)
					after := s.count("SELECT COUNT(*) FROM contacts")
					if c.want == "" {
						if status != http.StatusSeeOther || after != before+1 {
							t.Errorf("%d: %s=%q: %d, rows %d→%d; want it saved\n%s", i, c.field, c.value, status, before, after, excerpt(body))
						}
						continue
					}
					if status != http.StatusUnprocessableEntity || after != before {
						t.Errorf("%d: %s=%q: %d, rows %d→%d; want 422 and nothing written", i, c.field, c.value, status, before, after)
						continue
					}
					if got := fieldErrorOf(body, c.field); got != c.want {
						t.Errorf("%d: %s=%q: field error %q, want %q", i, c.field, c.value, got, c.want)
					}
					if got, _ := formFieldValue(body, c.field); got != c.value {
						t.Errorf("%d: %s=%q: the form shows %q", i, c.field, c.value, got)
					}
				}
			})
		}

		// Changing a row is checked the same way, and leaves it alone.
		id := s.str("SELECT MIN(id) FROM contacts")
		body := root.get("/admin/contacts/"+id+"/change/", http.StatusOK)
		form := url.Values{"_version": {versionOf(t, body)}, "email": {"changed@example"}, "slug": {"base"}, "_save": {"1"}}
		_, body = root.post("/admin/contacts/"+id+"/change/", form, http.StatusUnprocessableEntity)
		if got := fieldErrorOf(body, "email"); got != badEmail {
			t.Errorf("change: field error %q", got)
		}
		if got := s.str("SELECT email FROM contacts WHERE id = " + id); got != "ada@example.com" {
			t.Errorf("a refused change wrote %q", got)
		}
		// The framework's users are people with email addresses too.
		_, body = root.post("/admin/quarry_users/add/", url.Values{"username": {"mailless"}, "email": {"mailless"}, "is_active": {"true"}, "data": {"{}"}, "_save": {"1"}}, http.StatusUnprocessableEntity)
		if got := fieldErrorOf(body, "email"); got != badEmail {
			t.Errorf("quarry_users.email: %q", got)
		}
	})
}

// hostileText is text no database may receive, as it is sent in a URL
// (escaped) and in a form (raw).
var hostileText = []struct{ name, esc, raw string }{
	{"NUL", "%00", "\x00"},
	{"invalid byte", "%ff", "\xff"},
	{"overlong encoding", "%c0%af", "\xc0\xaf"},
	{"lone surrogate", "%ed%a0%80", "\xed\xa0\x80"},
}

// TestAdminHostileInput: text that is not storable (NUL, invalid UTF-8)
// and text too long for its column, in every kind of value the admin
// reads from a request, is refused with 400 (URL parameters) or 422 (a
// field error) before any SQL runs, through the App's handler and with the
// admin mounted without it, never with 500, a database's error text, or a
// row half-written.
func TestAdminHostileInput(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *dbtest.DB) {
		s := newAdminSite(t, db)
		root := s.as("root")
		snapshot := func() string {
			var b strings.Builder
			for _, table := range []string{"products", "categories", "stock_levels", "reviews", "quarry_audit_log"} {
				b.WriteString(table + ":" + s.str("SELECT CAST(COUNT(*) AS CHAR(20)) FROM "+table) + " ")
			}
			return b.String() + s.str("SELECT name FROM products WHERE id = 2") + s.str("SELECT description FROM products WHERE id = 2")
		}
		before := snapshot()
		version := versionOf(t, root.get("/admin/products/2/change/", http.StatusOK))
		fields := []string{"name", "sku", "description", "price", "stock", "weight", "released", "updated_at", "status", "attrs", "category_id"}
		cursor := func(texts string) string { return base64.RawURLEncoding.EncodeToString([]byte(texts)) }
		want := func(t *testing.T, what string, status int, body string, codes ...int) {
			t.Helper()
			ok := false
			for _, c := range codes {
				ok = ok || status == c
			}
			if !ok {
				t.Errorf("%s: %d, want %v\n%s", what, status, codes, excerpt(body))
			}
			wantAbsent(t, what, body, dbErrorTexts...)
		}
		for _, client := range []struct {
			name string
			c    adminClient
		}{{"app", root}, {"bare", s.bare(s.adm, root)}} {
			t.Run(client.name, func(t *testing.T) {
				c := client.c
				for _, bad := range hostileText {
					twice := strings.ReplaceAll(bad.esc, "%", "%25") // passes the App's check, not the admin's
					for _, target := range []string{
						"/admin/products/?q=a" + bad.esc,
						"/admin/products/?f.name=" + bad.esc,
						"/admin/products/?f.stock=" + bad.esc,
						"/admin/products/?f.price__gte=" + bad.esc,
						"/admin/products/?f.released__lt=" + bad.esc,
						"/admin/products/?f.category_id=" + bad.esc,
						"/admin/products/?f.status=" + bad.esc,
						"/admin/products/?f.active=" + bad.esc,
						"/admin/products/?f.weight__isnull=" + bad.esc,
						"/admin/products/?o=" + bad.esc,
						"/admin/products/?o=name,-" + bad.esc,
						"/admin/products/?after=" + bad.esc,
						"/admin/products/?before=" + bad.esc,
						"/admin/products/?p=" + bad.esc,
						"/admin/products/?n=" + bad.esc,
						"/admin/products/export.csv?q=" + bad.esc,
						"/admin/products/export.csv?f.sku=" + bad.esc,
						"/admin/categories/lookup?q=" + bad.esc,
						"/admin/products/" + bad.esc + "/",
						"/admin/products/" + bad.esc + "/change/",
						"/admin/products/2" + bad.esc + "/history/",
						"/admin/products/" + bad.esc + "/delete/",
						"/admin/stock_levels/2," + bad.esc + "/change/",
						"/admin/products/" + twice + "/change/",
						"/admin/stock_levels/2,main" + twice + "/change/",
						"/admin/stock_levels/2," + twice + "/delete/",
					} {
						status, body := c.send(http.MethodGet, target, nil)
						want(t, "GET "+target, status, body, http.StatusBadRequest)
					}
					for _, target := range []string{"/admin/products/2" + bad.esc + "/delete/", "/admin/products/?q=" + bad.esc} {
						status, body := c.send(http.MethodPost, target, url.Values{"action": {"delete"}, "select_all": {"1"}, "confirm": {"yes"}})
						want(t, "POST "+target, status, body, http.StatusBadRequest)
					}
					for _, sel := range []string{bad.raw, "2" + bad.raw, url.QueryEscape(bad.raw)} {
						status, body := c.send(http.MethodPost, "/admin/products/", url.Values{"action": {"delete"}, "_selected": {"3", sel}, "confirm": {"yes"}})
						want(t, "bulk selection "+bad.name, status, body, http.StatusBadRequest)
					}
					status, body := c.send(http.MethodPost, "/admin/stock_levels/", url.Values{"action": {"delete"}, "_selected": {"2,main" + bad.raw}, "confirm": {"yes"}})
					want(t, "composite bulk selection "+bad.name, status, body, http.StatusBadRequest)

					wantError := map[string]string{"NUL": "This value contains a NUL byte."}[bad.name]
					if wantError == "" {
						wantError = "This value is not valid UTF-8."
					}
					for _, field := range fields {
						for _, path := range []string{"/admin/products/add/", "/admin/products/2/change/"} {
							form := productForm("Hostile", "HX1")
							form.Set("_version", version)
							form.Set(field, form.Get(field)+bad.raw)
							status, body := c.send(http.MethodPost, path, form)
							what := "POST " + path + " " + field + " " + bad.name
							want(t, what, status, body, http.StatusUnprocessableEntity)
							if got := fieldErrorOf(body, field); got != wantError {
								t.Errorf("%s: field error %q, want %q", what, got, wantError)
							}
						}
					}
					status, body = c.send(http.MethodPost, "/admin/stock_levels/add/", url.Values{"product_id": {"3"}, "warehouse": {"w" + bad.raw}, "qty": {"1"}, "_save": {"1"}})
					want(t, "a text primary key", status, body, http.StatusUnprocessableEntity)
				}

				// JSON may spell a NUL or half a surrogate pair in an escape;
				// PostgreSQL's jsonb cannot store either.
				for _, doc := range []string{`{"a": "\u0000"}`, `{"\u0000": 1}`, `["\ud800"]`, `["\udc00\ud800"]`, `["x\ud83d"]`} {
					form := productForm("Hostile", "HX1")
					form.Set("attrs", doc)
					status, body := c.send(http.MethodPost, "/admin/products/add/", form)
					want(t, "JSON "+doc, status, body, http.StatusUnprocessableEntity)
					if got := fieldErrorOf(body, "attrs"); !strings.HasPrefix(got, "Not storable JSON") {
						t.Errorf("JSON %s: field error %q", doc, got)
					}
				}
				for _, target := range []string{
					"/admin/products/?o=name&after=" + cursor(`["\u0000", "1"]`), // a page token carrying a NUL
					"/admin/products/?o=name&before=" + cursor(`["a", "1\u0000"]`),
					"/admin/products/?q=" + strings.Repeat("x", 201),
					"/admin/products/?f.name=" + strings.Repeat("é", 1001),
					"/admin/categories/lookup?q=" + strings.Repeat("é", 201),
					"/admin/products/?f.released=0000-01-01", // a year no dialect stores alike
					"/admin/products/?f.updated_at__gte=0000-01-01",
				} {
					status, body := c.send(http.MethodGet, target, nil)
					want(t, "GET "+target[:min(len(target), 60)], status, body, http.StatusBadRequest)
				}
				// Values too long for a VARCHAR(n) (counted in characters) or
				// out of the column's range.
				const badYear = "Enter a date between 0001-01-01 and 9999-12-31."
				for _, f := range []struct{ path, field, value, err string }{
					{"/admin/products/add/", "name", strings.Repeat("n", 101), "At most 100 characters (this has 101)."},
					{"/admin/products/add/", "sku", strings.Repeat("é", 21), "At most 20 characters (this has 21)."},
					{"/admin/categories/add/", "name", strings.Repeat("日", 51), "At most 50 characters (this has 51)."},
					{"/admin/products/add/", "price", "123456789", "At most 8 digits before the decimal point."}, // NUMERIC(10,2)
					{"/admin/products/add/", "price", "99999999.995", "At most 8 digits before the decimal point."},
					{"/admin/products/add/", "released", "0000-01-01", badYear},
					{"/admin/products/add/", "updated_at", "0000-12-31 23:00", badYear},
					{"/admin/products/add/", "updated_at", "0001-01-01T00:30:00+01:00", badYear},
				} {
					form := productForm("Long", "L1")
					form.Set(f.field, f.value)
					status, body := c.send(http.MethodPost, f.path, form)
					want(t, "long "+f.field, status, body, http.StatusUnprocessableEntity)
					if got := fieldErrorOf(body, f.field); got != f.err {
						t.Errorf("long %s: field error %q, want %q", f.field, got, f.err)
					}
				}
			})
		}
		if after := snapshot(); after != before {
			t.Errorf("hostile input changed the data:\nbefore %s\nafter  %s", before, after)
		}
	})
}

// hangupKey holds, in a request's context, the function that cancels it:
// the test's stand-in for a client that disconnects.
type hangupKey struct{}

func hangup(ctx context.Context) { ctx.Value(hangupKey{}).(context.CancelFunc)() }

// TestAdminClientGone: a client that disconnects while the admin works
// (the request's context cancelled before a query or between the queries
// of a transaction) is no server error: the request is served through the
// App's handler and answered 499, never 500, nothing is logged above
// DEBUG, and nothing is written.
func TestAdminClientGone(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *dbtest.DB) {
		logs := &logRecorder{}
		deactivate := func(ctx context.Context, tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, "UPDATE products SET active = FALSE")
			return err
		}
		var leave context.CancelFunc // called by a validator, for the request that sets it
		s := newAdminSite(t, db, func(o *admin.Options) {
			o.Logger = slog.New(logs)
			p := o.Tables["products"]
			p.Actions = append(p.Actions,
				admin.Action{Name: "leave-first", Label: "The client leaves, then the action writes", Run: func(ctx context.Context, tx *sql.Tx, _ admin.Selection) (string, error) {
					hangup(ctx)
					return "", deactivate(ctx, tx)
				}},
				admin.Action{Name: "leave-after", Label: "The action writes, then the client leaves", Run: func(ctx context.Context, tx *sql.Tx, _ admin.Selection) (string, error) {
					if err := deactivate(ctx, tx); err != nil {
						return "", err
					}
					hangup(ctx)
					return "done", nil
				}})
			o.Tables["products"] = p
			o.Tables["categories"] = admin.Table{Validators: map[string]admin.Validator{"name": func(string) error {
				if leave != nil {
					leave()
				}
				return nil
			}}}
		})
		client := s.client(s.app.Handler(), s.as("root"))
		state := func() string {
			return s.str("SELECT CAST(COUNT(*) AS CHAR(20)) FROM products WHERE active = TRUE") + "/" +
				s.str("SELECT CAST(COUNT(*) AS CHAR(20)) FROM categories") + "/" + s.str("SELECT CAST(COUNT(*) AS CHAR(20)) FROM quarry_audit_log")
		}
		before := state()
		for _, c := range []struct {
			name, path string
			form       url.Values
			validator  bool
		}{
			{"before an action's write", "/admin/products/", url.Values{"action": {"leave-first"}, "_selected": {"1", "2", "3"}}, false},
			{"between an action's write and the audit", "/admin/products/", url.Values{"action": {"leave-after"}, "_selected": {"1", "2", "3"}}, false},
			{"before a form's insert", "/admin/categories/add/", url.Values{"name": {"Left behind"}, "_save": {"1"}}, true},
		} {
			t.Run(c.name, func(t *testing.T) {
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				if c.validator {
					leave = cancel
					defer func() { leave = nil }()
				}
				rec := httptest.NewRecorder()
				client.h.ServeHTTP(rec, client.request(context.WithValue(ctx, hangupKey{}, cancel), http.MethodPost, c.path, c.form))
				if rec.Code != framework.StatusClientClosedRequest {
					t.Errorf("status %d, want %d\n%s", rec.Code, framework.StatusClientClosedRequest, excerpt(rec.Body.String()))
				}
				gone := false
				for _, l := range logs.take() {
					gone = gone || strings.HasPrefix(l, "DEBUG admin: client gone")
					if !strings.HasPrefix(l, "DEBUG") {
						t.Errorf("logged: %s", l)
					}
				}
				if !gone {
					t.Error("the client's leaving was not logged at DEBUG")
				}
				if after := state(); after != before {
					t.Errorf("active products/categories/audit entries: %s, was %s", after, before)
				}
			})
		}
	})
}
