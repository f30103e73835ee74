package admin

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"

	"github.com/quarry-go/quarry/dialects"
	"github.com/quarry-go/quarry/framework"
	"github.com/quarry-go/quarry/framework/api"
	"github.com/quarry-go/quarry/framework/authhttp"
	"github.com/quarry-go/quarry/framework/introspect"
	"github.com/quarry-go/quarry/framework/media"
)

// Options configures [New].
type Options struct {
	// Auth is the identity layer's HTTP side: the admin's pages need a
	// logged-in, active staff user. Required.
	Auth *authhttp.Auth
	// Prefix is the path the admin is mounted at. Default: /admin.
	Prefix string
	// Title is shown in the header. Default: "Quarry admin".
	Title string
	// Branding, when set, is asked on every page for the request's title,
	// logo and accent colour, e.g. a tenant's (tenancy.AdminBranding).
	// Values that fail the checks of [Branding] are ignored.
	Branding func(r *http.Request) Branding
	// Banner, when set, is asked on every page shown to a signed-in user
	// for a notice above the page, e.g. that an operator is impersonating
	// a tenant's user (tenancy.ImpersonationBanner). It is plain text
	// (escaped), followed by " — sign out", a button that signs the user
	// out; "" shows no banner.
	Banner func(r *http.Request) string
	// Schema is the database whose schema the admin shows, introspected
	// at New and Reload. Default: the app's database. Requests are still
	// served on their own database (framework.DatabaseFrom); one served on
	// a database of another dialect gets that dialect's schema, read from
	// the first such request's database and kept until Reload. In a
	// multi-tenant app whose main database does not hold the app's tables,
	// pass a database migrated like every tenant's.
	Schema *framework.Database
	// ExcludeTables are left out of the admin entirely: not listed, not
	// counted, and 404 by URL. Names that are not in the schema are
	// allowed. The tenancy registry's tables (tenancy.RegistryTables) and
	// the framework's secrets (sessions, migrations) are left out
	// always.
	ExcludeTables []string
	// ExcludeTablesFor, when set, is asked on every page for more tables
	// to leave out of this request's admin, the way ExcludeTables does
	// (not listed, not counted, not linked to, 404 by URL), e.g. the
	// shared tables inside a tenant (tenancy.HideSharedTables). Names
	// that are not in the schema are allowed.
	ExcludeTablesFor func(r *http.Request) []string
	// Stylesheets are URLs of style sheets loaded after the admin's own,
	// to theme it: they may set the CSS variables of admin/static/admin.css
	// (--accent, --bg, --fg, --card, … for light and dark).
	Stylesheets []string
	// Reports are named queries shown as report pages at
	// <Prefix>/reports/<query>/ (listed under "Reports" for the users
	// holding each one's permission): pass the Reports quarry gen writes
	// for the queries annotated -- quarry:admin "Title" perm=<codename>.
	// A report's parameters are a form; its rows a list sorted by any
	// column and exported as CSV.
	Reports []api.Endpoint
	// Tables refines tables by name. Every table of the database is in the
	// admin whether or not it is named here.
	Tables map[string]Table
	// Logger receives the admin's log records, each with the request's id:
	// at ERROR the unexpected errors behind a 500 page or a CSV export cut
	// short; at WARN the failed side queries a page is still shown without
	// (foreign key labels and choices, filter values); at INFO the writes
	// the database refused (constraint violations, which the form reports
	// to the user); at DEBUG the failures that only mean the client went
	// away. Default: the App's logger.
	Logger *slog.Logger
	// NoDefaultValidators turns off the validators the admin guesses from
	// column names (see [Table.Validators]); the ones Tables name still
	// apply.
	NoDefaultValidators bool
	// Media, when set, adds the media library at <Prefix>/media/ (listed
	// as "Media" in the navigation and on the index, in a "Media" group
	// with the media collections and tags tables): a grid of the files
	// with thumbnails, filters, uploads (a form that works without
	// JavaScript, and files dropped on the page, sent straight to the
	// disk when it takes presigned uploads), a page per file to edit,
	// delete and restore it, and the trash. The generic pages of
	// quarry_media and quarry_media_tag_links then lead to the library
	// (their history pages stay). In add and change forms, a column that
	// is a foreign key to quarry_media(id) gets a picker: a preview and a
	// chooser of the library's files (the plain foreign-key input without
	// JavaScript). The permissions are quarry_media's (view, add, change,
	// delete). Serve the disks' signed URLs (media.Service.Disks()'s
	// Middleware, given to app.WrapRouter): the thumbnails are loaded from
	// them. Default: nil, no library; quarry_media is a table like any
	// other. A table named "media" conflicts with the library's URL: New
	// fails unless it is excluded or hidden.
	Media *media.Service
}

// Table refines how one table is shown and edited. Every column name in
// it is checked against the schema when the admin starts.
type Table struct {
	// Label is the table's name in pages. Default: from the table name.
	Label string
	// Group is the heading it is listed under on the index page. Default:
	// "Framework" for the framework's tables, else "Application".
	Group string
	// ListDisplay are the columns of the list view. Default: the primary
	// key and the first few columns worth showing.
	ListDisplay []string
	// SearchFields are searched, case-insensitively, by the search box.
	// Default: the first text columns.
	SearchFields []string
	// ListFilter are the columns offered as facet filters (booleans,
	// foreign keys, enums, dates and other columns with few values).
	// Default: booleans, foreign keys, enums and dates.
	ListFilter []string
	// Ordering is the default order, e.g. []string{"-created_at"}.
	// Default: the primary key, newest first.
	Ordering []string
	// PerPage is the default page size. Default: 50.
	PerPage int
	// ReadonlyFields are shown in the edit form but not written.
	ReadonlyFields []string
	// Exclude are never shown or written.
	Exclude []string
	// Fieldsets group the form's fields; fields in none follow at the end.
	Fieldsets []Fieldset
	// Display is the column that names a row, in foreign-key cells,
	// pickers and titles. Default: the first of name, title, username,
	// label, email, slug, codename; else the first short text column.
	Display string
	// Actions are bulk actions offered on the list besides "delete selected".
	Actions []Action
	// Validators check form values by column, beyond what the column's
	// type accepts: [Email], [Slug], [URL] or a function of your own. By
	// default a text column named email, email_address or *_email gets
	// Email, and one named slug or *_slug gets Slug; a nil entry turns a
	// column's default off.
	Validators map[string]Validator
	// Hidden leaves the table out of the admin.
	Hidden bool
	// ReadOnly shows the table but offers no add, change or delete.
	ReadOnly bool
	// Key names the columns that identify a row of a view (views are
	// listed read-only, with search, filters, sorting and export; a
	// table's key is its primary key). With it a row of the view has a
	// page: KeyOf's change page when set, else a read-only page of its
	// own.
	Key []string
	// KeyOf is the table whose primary key a view's Key columns hold, in
	// order: a row of the view links to that table's change page.
	KeyOf string
}

// Fieldset is a titled group of form fields.
type Fieldset struct {
	Name        string
	Description string
	Fields      []string
}

// Action is a bulk action on the rows selected in a list.
type Action struct {
	// Name identifies it in forms (letters, digits, '-' and '_').
	Name string
	// Label is the text of its menu entry.
	Label string
	// Permission is the table permission it needs: "view", "add",
	// "change" (default) or "delete".
	Permission string
	// Run does the work in tx, which commits when it returns a nil error.
	// Its message is shown to the user. A transaction that loses a deadlock
	// is run again from the start, so Run may be called more than once:
	// keep its effects inside tx (enqueue jobs with EnqueueTx).
	Run func(ctx context.Context, tx *sql.Tx, sel Selection) (string, error)
}

// Selection is the rows an action was applied to.
type Selection struct {
	Table string
	// Keys are the primary keys of the rows, each a value per primary-key
	// column, as text.
	Keys [][]string
	// Actor is the id of the user who ran the action.
	Actor int64
	// Dialect is the database's dialect, for placeholders and quoting.
	Dialect dialects.Dialect
}

// frameworkDefaults are the framework's own tables' refinements.
var frameworkDefaults = map[string]Table{
	"quarry_users": {Exclude: []string{"password_hash"}, ReadonlyFields: []string{"last_login", "password_changed_at", "created_at"},
		ListDisplay: []string{"id", "username", "email", "is_active", "is_staff", "is_superuser", "last_login"},
		ListFilter:  []string{"is_active", "is_staff", "is_superuser", "last_login"}, SearchFields: []string{"username", "email"}},
	// A session's key is its bearer token: never shown.
	"quarry_sessions":       {Hidden: true},
	"quarry_audit_log":      {ReadOnly: true, ListFilter: []string{"action", "table_name", "actor_id", "created_at"}, SearchFields: []string{"table_name", "object_id"}},
	"quarry_login_failures": {ReadOnly: true},
	"quarry_migrations":     {Hidden: true},
	"quarry_migrate_lock":   {Hidden: true},
	"goose_db_version":      {Hidden: true},
	"goose_lock":            {Hidden: true},
	// The tenancy registry (tenancy.RegistryTables): edited through the
	// registry (which invalidates the lookup caches), never here.
	"quarry_tenants":            {Hidden: true},
	"quarry_tenant_domains":     {Hidden: true},
	"quarry_tenancy_generation": {Hidden: true},
	"quarry_tenancy_migrations": {Hidden: true},
	// Redeemed impersonation grants: a nonce is half of a replay.
	"quarry_tenancy_grant_nonces": {Hidden: true},
	"quarry_jobs":                 jobsTable,
	"quarry_job_queues":           jobQueuesTable,
	// The media library's rows (framework/media); with Options.Media the
	// library edits them instead (see mediaConfig).
	"quarry_media": {Display: "filename", ListDisplay: []string{"id", "filename", "content_type", "size", "status", "created_at"},
		ListFilter: []string{"status", "collection_id", "owner_id", "created_at"}, SearchFields: []string{"filename", "alt_text"}},
}

// configFor merges the user's options over the framework's defaults for
// its own tables. What protects data cannot be undone by an option: the
// defaults' Exclude, ReadOnly and Hidden always apply.
func configFor(name string, user map[string]Table) Table {
	def, hasDef := frameworkDefaults[name]
	t, ok := user[name]
	switch {
	case !ok:
		return def
	case !hasDef:
		return t
	}
	pick := func(u, d []string) []string {
		if len(u) > 0 {
			return u
		}
		return d
	}
	t.ListDisplay = pick(t.ListDisplay, def.ListDisplay)
	t.SearchFields = pick(t.SearchFields, def.SearchFields)
	t.ListFilter = pick(t.ListFilter, def.ListFilter)
	t.ReadonlyFields = append(slices.Clone(def.ReadonlyFields), t.ReadonlyFields...)
	t.Exclude = append(slices.Clone(def.Exclude), t.Exclude...)
	t.Actions = append(slices.Clone(def.Actions), t.Actions...)
	if t.Label == "" {
		t.Label = def.Label
	}
	if t.Display == "" {
		t.Display = def.Display
	}
	if t.Group == "" {
		t.Group = def.Group
	}
	if len(t.Ordering) == 0 {
		t.Ordering = def.Ordering
	}
	t.ReadOnly = t.ReadOnly || def.ReadOnly
	t.Hidden = t.Hidden || def.Hidden
	return t
}

// checkOptions fails on option names that are not in the schema.
func checkOptions(s *introspect.Schema, opts map[string]Table) error {
	var errs []string
	for name, t := range opts {
		tbl, ok := s.Table(name)
		if !ok {
			tbl, ok = s.View(name)
		}
		if !ok {
			errs = append(errs, fmt.Sprintf("Tables[%q]: no such table or view", name))
			continue
		}
		check := func(field string, cols ...string) {
			for _, c := range cols {
				if _, ok := tbl.Column(strings.TrimPrefix(c, "-")); !ok {
					errs = append(errs, fmt.Sprintf("Tables[%q].%s: no column %q (columns: %s)", name, field, c, columnNames(tbl)))
				}
			}
		}
		check("Key", t.Key...)
		switch {
		case (len(t.Key) > 0 || t.KeyOf != "") && !tbl.View:
			errs = append(errs, fmt.Sprintf("Tables[%q]: Key and KeyOf are for views (a table's key is its primary key)", name))
		case t.KeyOf != "":
			if of, ok := s.Table(t.KeyOf); !ok || len(of.PrimaryKey) != len(t.Key) {
				errs = append(errs, fmt.Sprintf("Tables[%q].KeyOf: %q is no table whose primary key has the %d column(s) of Key", name, t.KeyOf, len(t.Key)))
			}
		}

		check("ListDisplay", t.ListDisplay...)
		check("SearchFields", t.SearchFields...)
		check("ListFilter", t.ListFilter...)
		check("Ordering", t.Ordering...)
		excluded := configFor(name, opts).Exclude
		for field, cols := range map[string][]string{"ListDisplay": t.ListDisplay, "SearchFields": t.SearchFields, "ListFilter": t.ListFilter, "Ordering": t.Ordering, "Display": {t.Display}} {
			for _, c := range cols {
				if slices.Contains(excluded, strings.TrimPrefix(c, "-")) {
					errs = append(errs, fmt.Sprintf("Tables[%q].%s: column %q is excluded", name, field, c))
				}
			}
		}
		check("ReadonlyFields", t.ReadonlyFields...)
		check("Exclude", t.Exclude...)
		for i, fs := range t.Fieldsets {
			check(fmt.Sprintf("Fieldsets[%d]", i), fs.Fields...)
		}
		if t.Display != "" {
			check("Display", t.Display)
		}
		for c := range t.Validators {
			check("Validators", c)
		}
		if t.PerPage < 0 || t.PerPage > maxPerPage {
			errs = append(errs, fmt.Sprintf("Tables[%q].PerPage: %d is outside 1..%d", name, t.PerPage, maxPerPage))
		}
		for i, a := range t.Actions {
			if !actionNameOK(a.Name) || a.Name == "delete" {
				errs = append(errs, fmt.Sprintf("Tables[%q].Actions[%d]: name %q must be letters, digits, - and _ (and not \"delete\")", name, i, a.Name))
			}
			if a.Run == nil {
				errs = append(errs, fmt.Sprintf("Tables[%q].Actions[%d]: Run is nil", name, i))
			}
			if a.Permission != "" && !slices.Contains([]string{"view", "add", "change", "delete"}, a.Permission) {
				errs = append(errs, fmt.Sprintf("Tables[%q].Actions[%d]: permission %q is not view, add, change or delete", name, i, a.Permission))
			}
		}
	}
	if len(errs) > 0 {
		slices.Sort(errs)
		return fmt.Errorf("admin: options do not match the schema:\n  %s", strings.Join(errs, "\n  "))
	}
	return nil
}

func actionNameOK(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

func columnNames(t *introspect.Table) string {
	names := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		names[i] = c.Name
	}
	return strings.Join(names, ", ")
}
