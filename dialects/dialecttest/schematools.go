package dialecttest

import (
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/quarry-go/quarry/dialects"
)

// testSchemaTools runs what the schema differ asks of the dialect's
// SchemaTools on the real database: a scratch database is created empty,
// private to it, and dropped even while a connection to it is open; a
// view listed by SchemaObjects is dropped by its Drop and created again,
// in another database too, by its Create; the framework's schema holds
// nothing SchemaObjects leaves out; and ImplicitForeignKeyIndex finds no
// index where the database has no reason to create one.
func testSchemaTools(t *testing.T, open Open) {
	e := newEnv(t, open)
	d := e.db.Dialect
	q := d.QuoteIdent
	exec := func(t *testing.T, db *sql.DB, stmt string) {
		t.Helper()
		_, err := db.ExecContext(e.ctx, stmt)
		e.must(stmt, d.ClassifyError(err))
	}
	if d.ProductName() == "" {
		t.Error("ProductName is empty")
	}

	// The scratch database.
	var admin *sql.DB
	var server *dialects.URL
	var name string
	if d.Capabilities().ServerDatabases {
		if e.db.URL == nil {
			t.Skip("the handle carries no URL: no server to create a scratch database on")
		}
		admin, server = e.db.DB, e.db.URL
		var b [6]byte
		_, _ = rand.Read(b[:])
		name = "quarry_dt_scratch_" + hex.EncodeToString(b[:])
	}
	u, err := d.CreateScratch(e.ctx, admin, server, name)
	t.Cleanup(func() {
		if err := d.DropScratch(e.ctx, admin, name); err != nil {
			t.Errorf("DropScratch at cleanup: %v", err)
		}
	})
	e.must("CreateScratch", err)
	scratch, err := dialects.OpenURL(e.ctx, u)
	e.must("open the scratch database", err)
	t.Cleanup(func() { scratch.Close() })
	tables, err := d.TableNames(e.ctx, scratch)
	e.must("TableNames of the scratch database", err)
	if len(tables) != 0 {
		t.Errorf("the scratch database is not empty: %v", tables)
	}

	// A view, listed with statements that drop it and create it again.
	for _, db := range []*sql.DB{e.db.DB, scratch} {
		exec(t, db, "CREATE TABLE "+q("dt_obj")+" ("+q("id")+" INTEGER NOT NULL PRIMARY KEY, "+q("label")+" VARCHAR(20) NOT NULL)")
	}
	exec(t, e.db.DB, "CREATE VIEW "+q("dt_obj_view")+" AS SELECT "+q("id")+", "+q("label")+" FROM "+q("dt_obj")+" WHERE "+q("id")+" > 1")
	view := func(t *testing.T, db *sql.DB) (dialects.SchemaObject, bool) {
		t.Helper()
		objs, err := d.SchemaObjects(e.ctx, db)
		e.must("SchemaObjects", err)
		i := slices.IndexFunc(objs, func(o dialects.SchemaObject) bool { return o.Kind == "view" && o.Name == "dt_obj_view" })
		if i < 0 {
			return dialects.SchemaObject{}, false
		}
		return objs[i], true
	}
	v, ok := view(t, e.db.DB)
	if !ok {
		t.Fatal("SchemaObjects does not list the view dt_obj_view")
	}
	if v.Create == "" || v.Drop == "" {
		t.Fatalf("view without statements: %+v", v)
	}
	if slices.Contains(d.UnlistedObjectKinds(), "VIEW") {
		t.Errorf("UnlistedObjectKinds %v names views, which SchemaObjects lists", d.UnlistedObjectKinds())
	}
	exec(t, e.db.DB, v.Drop)
	if _, ok := view(t, e.db.DB); ok {
		t.Errorf("the view is still listed after its Drop: %s", v.Drop)
	}
	exec(t, e.db.DB, v.Create)
	if again, ok := view(t, e.db.DB); !ok || again.Create != v.Create {
		t.Errorf("the view's Create does not create it as it was:\n%s\nlisted after as\n%s", v.Create, again.Create)
	}
	// The differ plans on one scratch database what runs on another: the
	// statement must not name its database, so that the view it creates
	// reads the table beside it.
	exec(t, scratch, v.Create)
	if there, ok := view(t, scratch); !ok || there.Create != v.Create {
		t.Errorf("the view's Create, run in the scratch database, lists as\n%s\nnot\n%s", there.Create, v.Create)
	}
	for db, label := range map[*sql.DB]string{e.db.DB: "here", scratch: "there"} {
		exec(t, db, "INSERT INTO "+q("dt_obj")+" ("+q("id")+", "+q("label")+") VALUES (2, '"+label+"')")
	}
	var label string
	e.must("read the view in the scratch database", scratch.QueryRowContext(e.ctx, "SELECT "+q("label")+" FROM "+q("dt_obj_view")).Scan(&label))
	if label != "there" {
		t.Errorf("the view created in the scratch database by its Create reads another database's table:\n%s", v.Create)
	}
	unlisted, err := d.UnlistedObjects(e.ctx, e.db.DB)
	e.must("UnlistedObjects", err)
	if unlisted != "" {
		t.Errorf("the framework's schema holds objects SchemaObjects leaves out: %s", unlisted)
	}

	// No index of a foreign key's name where one covers the key already.
	exec(t, e.db.DB, "CREATE TABLE "+q("dt_fk_child")+" ("+q("id")+" INTEGER NOT NULL PRIMARY KEY, "+q("obj_id")+" INTEGER NOT NULL, "+
		"CONSTRAINT "+q("dt_fk_child_obj")+" FOREIGN KEY ("+q("obj_id")+") REFERENCES "+q("dt_obj")+" ("+q("id")+"))")
	exec(t, e.db.DB, "CREATE INDEX "+q("dt_fk_child_obj_id")+" ON "+q("dt_fk_child")+" ("+q("obj_id")+")")
	for _, fk := range []string{"dt_fk_child_obj", "dt_no_such_key"} {
		has, err := d.ImplicitForeignKeyIndex(e.ctx, e.db.DB, "dt_fk_child", fk)
		e.must("ImplicitForeignKeyIndex", err)
		if has {
			t.Errorf("ImplicitForeignKeyIndex(dt_fk_child, %s) is true", fk)
		}
	}

	// Dropped while a connection to it is open, and gone.
	if !d.Capabilities().ServerDatabases {
		other, err := dialects.OpenURL(e.ctx, u)
		e.must("open the scratch URL again", err)
		defer other.Close()
		if tables, err := d.TableNames(e.ctx, other); err != nil || slices.Contains(tables, "dt_obj") {
			t.Errorf("a second pool on the scratch URL sees %v (%v): the database is not private to its pool", tables, err)
		}
		e.must("DropScratch", d.DropScratch(e.ctx, admin, name))
		return
	}
	conn, err := scratch.Conn(e.ctx)
	e.must("hold a connection to the scratch database", err)
	defer conn.Close()
	e.must("DropScratch", d.DropScratch(e.ctx, admin, name))
	if db, err := dialects.OpenURL(e.ctx, u); err == nil {
		db.Close()
		t.Errorf("the scratch database %s still answers after DropScratch", name)
	}
}

// testDatabases runs the dialect's Databases methods on the real server:
// a database CreateDatabase makes exists, opens empty at the URL naming
// it and cannot be created again; a pool on MaintenanceURL sees it and
// drops it with DropDatabase, even while a connection to it is open,
// after which it is gone, and dropping it again is no error; names that
// ValidateDatabaseName refuses are refused by every method. Without
// server databases every method refuses with ErrNoServerDatabases, but
// DatabaseSize, which every dialect answers (SchemaSize too where the
// dialect has schemas).
func testDatabases(t *testing.T, open Open) {
	e := newEnv(t, open)
	d := e.db.Dialect
	// The migrated database has tables, so it takes some room, on every
	// dialect; a PostgreSQL connection's current schema (public) too.
	if n, err := d.DatabaseSize(e.ctx, e.db.DB); err != nil || n <= 0 {
		t.Errorf("DatabaseSize of the migrated database = %d, %v; want bytes > 0", n, err)
	}
	if sd, ok := d.(dialects.Schemas); ok {
		if n, err := sd.SchemaSize(e.ctx, e.db.DB); err != nil || n <= 0 {
			t.Errorf("SchemaSize of the current schema = %d, %v; want bytes > 0", n, err)
		}
	}
	if !d.Capabilities().ServerDatabases {
		_, existsErr := d.DatabaseExists(e.ctx, e.db.DB, "quarry_dt_db")
		_, urlErr := d.MaintenanceURL(e.db.URL)
		for what, err := range map[string]error{
			"CreateDatabase": d.CreateDatabase(e.ctx, e.db.DB, "quarry_dt_db"),
			"DropDatabase":   d.DropDatabase(e.ctx, e.db.DB, "quarry_dt_db"),
			"RenameDatabase": d.RenameDatabase(e.ctx, e.db.DB, "quarry_dt_db", "quarry_dt_db2"),
			"DatabaseExists": existsErr,
			"MaintenanceURL": urlErr,
		} {
			if !errors.Is(err, dialects.ErrNoServerDatabases) {
				t.Errorf("%s without server databases: %v, want ErrNoServerDatabases", what, err)
			}
		}
		if err := d.RenameDatabase(e.ctx, e.db.DB, "quarry_dt_db", "quarry_dt_db2"); !errors.Is(err, dialects.ErrUnsupported) {
			t.Errorf("RenameDatabase without server databases: %v, want ErrUnsupported", err)
		}
		return
	}
	if e.db.URL == nil {
		t.Skip("the handle carries no URL: no server to create a database on")
	}
	admin := e.db.DB
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "quarry_dt_db_" + hex.EncodeToString(b[:])
	t.Cleanup(func() {
		if err := d.DropDatabase(e.ctx, admin, name); err != nil {
			t.Errorf("DropDatabase at cleanup: %v", err)
		}
	})
	exists := func(t *testing.T, db *sql.DB) bool {
		t.Helper()
		ok, err := d.DatabaseExists(e.ctx, db, name)
		e.must("DatabaseExists", err)
		return ok
	}
	if exists(t, admin) {
		t.Fatalf("DatabaseExists(%s) before CreateDatabase is true", name)
	}
	e.must("CreateDatabase", d.CreateDatabase(e.ctx, admin, name))
	if !exists(t, admin) {
		t.Fatalf("DatabaseExists(%s) after CreateDatabase is false", name)
	}
	if err := d.CreateDatabase(e.ctx, admin, name); err == nil {
		t.Errorf("CreateDatabase(%s) a second time succeeded", name)
	}
	u, err := e.db.URL.WithDatabase(name)
	e.must("URL of the new database", err)
	created, err := dialects.OpenURL(e.ctx, u)
	e.must("open the new database", err)
	defer created.Close()
	if tables, err := d.TableNames(e.ctx, created); err != nil || len(tables) != 0 {
		t.Errorf("the new database holds %v (%v), want nothing", tables, err)
	}

	// Renamed (where the dialect can) while another pool holds a
	// connection to it, then renamed back; elsewhere refused.
	renamed := name + "_r"
	if d.Capabilities().RenameDatabase {
		t.Cleanup(func() { _ = d.DropDatabase(e.ctx, admin, renamed) })
		other, err := dialects.OpenURL(e.ctx, u)
		e.must("open the new database again", err)
		held, err := other.Conn(e.ctx)
		e.must("hold a connection to the new database", err)
		e.must("RenameDatabase", d.RenameDatabase(e.ctx, admin, name, renamed))
		held.Close()
		other.Close()
		if exists(t, admin) {
			t.Errorf("DatabaseExists(%s) after RenameDatabase to %s is true", name, renamed)
		}
		if ok, err := d.DatabaseExists(e.ctx, admin, renamed); err != nil || !ok {
			t.Errorf("DatabaseExists(%s) after RenameDatabase = %v, %v", renamed, ok, err)
		}
		if err := d.RenameDatabase(e.ctx, admin, name, renamed); err == nil {
			t.Errorf("RenameDatabase of a database that is gone succeeded")
		}
		e.must("RenameDatabase back", d.RenameDatabase(e.ctx, admin, renamed, name))
	} else if err := d.RenameDatabase(e.ctx, admin, name, renamed); !errors.Is(err, dialects.ErrUnsupported) {
		t.Errorf("RenameDatabase without the capability: %v, want ErrUnsupported", err)
	}

	// Through the maintenance database, as on a server the caller has no
	// other database on.
	mu, err := d.MaintenanceURL(e.db.URL)
	e.must("MaintenanceURL", err)
	if mu.Dialect.Name() != d.Name() || mu.Database == e.db.URL.Database || mu.Database == "" {
		t.Errorf("MaintenanceURL(%s) = %s", dialects.Redact(e.db.URL.Raw), dialects.Redact(mu.Raw))
	}
	maint, err := dialects.OpenURL(e.ctx, mu)
	e.must("open the maintenance database", err)
	defer maint.Close()
	if !exists(t, maint) {
		t.Errorf("a pool on the maintenance database does not see %s", name)
	}
	conn, err := created.Conn(e.ctx)
	e.must("hold a connection to the new database", err)
	defer conn.Close()
	e.must("DropDatabase", d.DropDatabase(e.ctx, maint, name))
	if exists(t, admin) {
		t.Errorf("DatabaseExists(%s) after DropDatabase is true", name)
	}
	if db, err := dialects.OpenURL(e.ctx, u); err == nil {
		db.Close()
		t.Errorf("the database %s still answers after DropDatabase", name)
	}
	e.must("DropDatabase of a database that is gone", d.DropDatabase(e.ctx, admin, name))

	// Names refused before any SQL runs: the one checked by the
	// statements' quoting would be the only defence otherwise.
	for _, bad := range []string{"", "a b", "a;b", `a"b`, "a`b", "a-b", "a.b", "é", "a\x00", strings.Repeat("x", 64)} {
		_, existsErr := d.DatabaseExists(e.ctx, admin, bad)
		for what, err := range map[string]error{
			"CreateDatabase": d.CreateDatabase(e.ctx, admin, bad),
			"DropDatabase":   d.DropDatabase(e.ctx, admin, bad),
			"DatabaseExists": existsErr,
		} {
			if !errors.Is(err, dialects.ErrBadDatabaseName) {
				t.Errorf("%s(%q): %v, want ErrBadDatabaseName", what, bad, err)
			}
		}
	}
}
