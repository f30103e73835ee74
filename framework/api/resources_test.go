package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	validator "github.com/pb33f/libopenapi-validator"

	"github.com/quarry-go/quarry/dialects"
	"github.com/quarry-go/quarry/framework"
	"github.com/quarry-go/quarry/framework/api"
	"github.com/quarry-go/quarry/framework/api/apitest"
	"github.com/quarry-go/quarry/framework/audit"
	"github.com/quarry-go/quarry/framework/introspect"
	"github.com/quarry-go/quarry/framework/migrate"
	"github.com/quarry-go/quarry/framework/signing"
	"github.com/quarry-go/quarry/tests/dbtest"
)

// shopDDL is the resource tests' schema: makers, and parts referring to
// them, with most kinds of column.
var shopDDL = map[dialects.Name][]string{
	dialects.SQLite: {
		`CREATE TABLE makers (id INTEGER PRIMARY KEY AUTOINCREMENT, name VARCHAR(40) NOT NULL UNIQUE, country VARCHAR(2))`,
		`CREATE TABLE parts (id INTEGER PRIMARY KEY AUTOINCREMENT, maker_id INTEGER REFERENCES makers(id), sku VARCHAR(12) NOT NULL UNIQUE,
			price DECIMAL(8,2) NOT NULL CHECK (price >= 0), stock INTEGER NOT NULL DEFAULT 0, active BOOLEAN NOT NULL DEFAULT 1,
			added DATE, updated_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP, meta JSON, secret TEXT,
			mood TEXT CHECK (mood IN ('happy', 'sad')), weight DOUBLE PRECISION)`,
		`CREATE TABLE reviews (id INTEGER PRIMARY KEY AUTOINCREMENT, part_id INTEGER NOT NULL REFERENCES parts(id) ON DELETE CASCADE, stars INTEGER NOT NULL)`,
		`CREATE TABLE codes (code VARCHAR(20) PRIMARY KEY, label VARCHAR(20) NOT NULL)`,
	},
	dialects.Postgres: {
		`CREATE TYPE mood AS ENUM ('happy', 'sad')`,
		`CREATE TABLE makers (id BIGSERIAL PRIMARY KEY, name VARCHAR(40) NOT NULL UNIQUE, country VARCHAR(2))`,
		`CREATE TABLE parts (id BIGSERIAL PRIMARY KEY, maker_id BIGINT REFERENCES makers(id), sku VARCHAR(12) NOT NULL UNIQUE,
			price NUMERIC(8,2) NOT NULL CHECK (price >= 0), stock INTEGER NOT NULL DEFAULT 0, active BOOLEAN NOT NULL DEFAULT TRUE,
			added DATE, updated_at TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP, meta JSONB, secret TEXT,
			mood mood, weight DOUBLE PRECISION)`,
		`CREATE TABLE reviews (id BIGSERIAL PRIMARY KEY, part_id BIGINT NOT NULL REFERENCES parts(id) ON DELETE CASCADE, stars INTEGER NOT NULL)`,
		`CREATE TABLE codes (code VARCHAR(20) PRIMARY KEY, label VARCHAR(20) NOT NULL)`,
	},
	dialects.MySQL: {
		`CREATE TABLE makers (id BIGINT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(40) NOT NULL UNIQUE, country VARCHAR(2))`,
		`CREATE TABLE parts (id BIGINT AUTO_INCREMENT PRIMARY KEY, maker_id BIGINT, sku VARCHAR(12) NOT NULL UNIQUE,
			price DECIMAL(8,2) NOT NULL CHECK (price >= 0), stock INT NOT NULL DEFAULT 0, active BOOLEAN NOT NULL DEFAULT TRUE,
			added DATE, updated_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6), meta JSON, secret TEXT,
			mood ENUM('happy', 'sad'), weight DOUBLE,
			FOREIGN KEY (maker_id) REFERENCES makers(id))`,
		`CREATE TABLE reviews (id BIGINT AUTO_INCREMENT PRIMARY KEY, part_id BIGINT NOT NULL, stars INT NOT NULL,
			FOREIGN KEY (part_id) REFERENCES parts(id) ON DELETE CASCADE)`,
		`CREATE TABLE codes (code VARCHAR(20) PRIMARY KEY, label VARCHAR(20) NOT NULL)`,
	},
}

// canHeader is requireHeader's check, for expansions; X-Fail makes it
// fail as a broken permission store would.
func canHeader(r *http.Request, perm string) (bool, error) {
	if r.Header.Get("X-Fail") != "" {
		return false, errors.New("permission store down: SQLSTATE 08006")
	}
	return strings.Contains(","+r.Header.Get("X-Perms")+",", ","+perm+","), nil
}

// shop is an API over the shop tables of one dialect, with the framework's
// tables migrated (for the audit log).
type shop struct {
	t   *testing.T
	srv *httptest.Server
	db  *framework.Database
	v   validator.Validator
}

func newShop(t *testing.T, db *dbtest.DB) *shop {
	ctx := context.Background()
	d := db.Database()
	m, err := migrate.New(d, migrate.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Up(ctx); err != nil {
		t.Fatal(err)
	}
	for _, stmt := range shopDDL[db.Name] {
		if _, err := db.SQL.ExecContext(ctx, stmt); err != nil {
			t.Fatal(err)
		}
	}
	schema, err := introspect.Load(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	err = api.Mount(mux, nil, api.Options{Require: requireHeader, Can: canHeader, Schema: schema, Keys: signing.Random(),
		MaxBodyBytes: 2048, Logger: slog.New(slog.DiscardHandler), DocsPath: "/api", Info: api.Info{Title: "Shop"},
		Resources: []api.Resource{
			{Table: "makers", Search: []string{"name"}, Ordering: []string{"name"}},
			{Table: "parts", Exclude: []string{"secret"}, ReadOnlyFields: []string{"updated_at"}, Search: []string{"sku"}, PerPage: 2},
			{Table: "codes", Public: true},
			{Table: "reviews", Exclude: []string{"id"}, Public: true},
		}})
	if err != nil {
		t.Fatal(err)
	}
	s := &shop{t: t, db: d}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mux.ServeHTTP(w, r.WithContext(framework.WithDatabase(r.Context(), d)))
	}))
	t.Cleanup(s.srv.Close)
	s.v = apitest.Validator(t, s.do("GET", "/api/openapi.json", "", "", "", nil).body)
	return s
}

type answer struct {
	status int
	header http.Header
	body   []byte
}

// do sends a request with the permissions perms and checks the answer
// against the OpenAPI document and for leaks.
func (s *shop) do(method, path, ct, body, perms string, header map[string]string) answer {
	s.t.Helper()
	req, _ := http.NewRequest(method, s.srv.URL+path, strings.NewReader(body))
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	req.Header.Set("X-Perms", perms)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	a := answer{resp.StatusCode, resp.Header, b}
	for _, leak := range []string{"SQLSTATE", "Error 1", "constraint failed", "syntax"} {
		if bytes.Contains(b, []byte(leak)) {
			s.t.Errorf("%s %s: the answer holds %q\n%s", method, path, leak, b)
		}
	}
	if method == "GET" && a.status == 200 && bytes.Contains(b, []byte(`"secret"`)) {
		s.t.Errorf("GET %s answers an excluded column\n%s", path, b)
	}
	if a.status >= 400 && resp.Header.Get("Content-Type") != framework.ProblemContentType {
		s.t.Errorf("%s %s: %d as %q; want problem details", method, path, a.status, resp.Header.Get("Content-Type"))
	}
	if s.v != nil && resp.Header.Get("Content-Type") != api.JSONAPIType {
		req, _ = http.NewRequest(method, s.srv.URL+path, strings.NewReader(body))
		if ct != "" {
			req.Header.Set("Content-Type", ct)
		}
		resp.Body = io.NopCloser(bytes.NewReader(b))
		if ok, errs := s.v.ValidateHttpResponse(req, resp); !ok {
			for _, e := range errs {
				s.t.Errorf("%s %s: the answer does not match the OpenAPI document: %s (%s)\n%s", method, path, e.Message, e.Reason, b)
			}
		}
	}
	return a
}

const allPerms = "makers.view,makers.add,makers.change,makers.delete,parts.view,parts.add,parts.change,parts.delete,codes.view,codes.add,reviews.delete"

// TestResources drives the resource API on every dialect: writes with
// their checks and refusals, lists with filters, search, ordering,
// fields, expansions and both kinds of page, JSON:API, and the audit
// log of the writes. Every answer is checked against the OpenAPI
// document the API serves.
func TestResources(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *dbtest.DB) {
		s := newShop(t, db)
		js := "application/json"
		for _, c := range []struct {
			name, method, path, ct, body, perms string
			status                              int
			has                                 []string
		}{
			{"maker", "POST", "/api/makers/", js, `{"name":"Acme","country":"US"}`, allPerms, 201, []string{`"id":1`, `"name":"Acme"`}},
			{"maker 2", "POST", "/api/makers/", js, `{"name":"Bolt Co"}`, allPerms, 201, []string{`"country":null`}},
			{"part", "POST", "/api/parts/", js, `{"maker_id":1,"sku":"A-1","price":"12.50","stock":5,"added":"2026-01-02","meta":{"color":"red"}}`, allPerms, 201,
				[]string{`"price":"12.50"`, `"stock":5`, `"active":true`, `"added":"2026-01-02"`, `"meta":{"color":"red"}`, `"updated_at":"`}},
			{"part, price as a number", "POST", "/api/parts/", js, `{"maker_id":2,"sku":"B-1","price":3,"active":false}`, allPerms, 201, []string{`"price":"3.00"`, `"active":false`}},
			{"part 3", "POST", "/api/parts/", js, `{"maker_id":1,"sku":"A-2","price":"0.99","stock":100}`, allPerms, 201, nil},
			{"part 4", "POST", "/api/parts/", js, `{"sku":"Z-9","price":"7"}`, allPerms, 201, []string{`"maker_id":null`}},
			{"unique taken", "POST", "/api/parts/", js, `{"sku":"A-1","price":"1"}`, allPerms, 409, []string{`"sku":"Another row of parts already has this sku."`}},
			{"no such maker", "POST", "/api/parts/", js, `{"maker_id":99,"sku":"X","price":"1"}`, allPerms, 422, []string{`"maker_id":"No makers row has this value."`}},
			{"check", "POST", "/api/parts/", js, `{"sku":"N","price":"-1"}`, allPerms, 422, []string{"break a rule"}},
			{"field errors", "POST", "/api/parts/", js, `{"sku":7,"price":"x","stock":"5","active":"yes","added":"2026-02-30","id":9,"updated_at":"2026-01-01","secret":"s","nope":1}`, allPerms, 422,
				[]string{`"sku":"must be a string"`, `"price":"enter a decimal number`, `"stock":"must be a number"`, `"active":"must be true or false"`,
					`"added":"enter a date`, `"id":"read-only"`, `"updated_at":"read-only"`, `"secret":"no such field"`, `"nope":"no such field"`}},
			{"required", "POST", "/api/parts/", js, `{}`, allPerms, 422, []string{`"sku":"required"`, `"price":"required"`}},
			{"too long", "POST", "/api/parts/", js, `{"sku":"` + strings.Repeat("x", 13) + `","price":"1"}`, allPerms, 422, []string{`"sku":"at most 12 characters`}},
			{"null for not null", "POST", "/api/parts/", js, `{"sku":null,"price":"1"}`, allPerms, 422, []string{`"sku":"may not be null"`}},
			{"not JSON", "POST", "/api/parts/", js, `{"sku":`, allPerms, 400, []string{"not one JSON object"}},
			{"a form", "POST", "/api/parts/", "application/x-www-form-urlencoded", `sku=x`, allPerms, 415, nil},
			{"too large", "POST", "/api/parts/", js, `{"sku":"` + strings.Repeat("x", 3000) + `"}`, allPerms, 413, nil},
			{"without add", "POST", "/api/parts/", js, `{"sku":"Q","price":"1"}`, "parts.view", 403, nil},

			{"get", "GET", "/api/parts/1", "", "", allPerms, 200, []string{`"sku":"A-1"`, `"maker_id":1`}},
			{"get, fields", "GET", "/api/parts/1?fields=sku,price", "", "", allPerms, 200, []string{`{"sku":"A-1","price":"12.50"}`}},
			{"get, expanded", "GET", "/api/parts/1?expand=maker", "", "", allPerms, 200, []string{`"maker":{"id":1,"name":"Acme","country":"US"}`}},
			{"get, expand without view", "GET", "/api/parts/1?expand=maker", "", "", "parts.view", 400, []string{"needs the permission makers.view"}},
			{"get, no such expansion", "GET", "/api/parts/1?expand=sku", "", "", allPerms, 400, []string{`has no expansion \"sku\"`}},
			{"get missing", "GET", "/api/parts/99", "", "", allPerms, 404, nil},
			{"get a bad key", "GET", "/api/parts/abc", "", "", allPerms, 404, nil},
			{"get without view", "GET", "/api/parts/1", "", "", "makers.view", 403, nil},

			{"list: a page of 2, oldest last", "GET", "/api/parts/", "", "", allPerms, 200, []string{`"sku":"Z-9"`, `"sku":"A-2"`, `"next":"/api/parts/?cursor=`, `"previous":null`}},
			{"list: filter exact fk", "GET", "/api/parts/?maker_id=1&ordering=sku", "", "", allPerms, 200, []string{`"sku":"A-1"`, `"sku":"A-2"`, `"next":null`}},
			{"list: in", "GET", "/api/parts/?sku__in=A-1,B-1&ordering=sku", "", "", allPerms, 200, []string{`"sku":"A-1"`, `"sku":"B-1"`}},
			{"list: decimal gte", "GET", "/api/parts/?price__gte=7&ordering=-price", "", "", allPerms, 200, []string{`"items":[{"id":1,"maker_id":1,"sku":"A-1","price":"12.50"`}},
			{"list: isnull", "GET", "/api/parts/?maker_id__isnull=true", "", "", allPerms, 200, []string{`"sku":"Z-9"`}},
			{"list: icontains", "GET", "/api/parts/?sku__icontains=a-", "", "", allPerms, 200, []string{`"sku":"A-1"`}},
			{"list: bool", "GET", "/api/parts/?active=false", "", "", allPerms, 200, []string{`"sku":"B-1"`}},
			{"list: date lt", "GET", "/api/parts/?added__lt=2026-01-03", "", "", allPerms, 200, []string{`"sku":"A-1"`}},
			{"list: search", "GET", "/api/parts/?search=b-1", "", "", allPerms, 200, []string{`"sku":"B-1"`}},
			{"list: numbered pages", "GET", "/api/parts/?page=2", "", "", allPerms, 200, []string{`"count":4`, `"previous":"/api/parts/?page=1"`, `"next":null`}},
			{"list: page size", "GET", "/api/parts/?page_size=10&fields=sku", "", "", allPerms, 200, []string{`{"sku":"A-1"}`, `"next":null`}},
			{"list: expand", "GET", "/api/parts/?expand=maker&maker_id=2", "", "", allPerms, 200, []string{`"maker":{"id":2,"name":"Bolt Co","country":null}`}},
			{"list: fields and expand", "GET", "/api/parts/?fields=sku&expand=maker&maker_id=1&ordering=sku", "", "", allPerms, 200,
				[]string{`"items":[{"sku":"A-1","maker":{"id":1,"name":"Acme","country":"US"}},{"sku":"A-2","maker":{"id":1,`}},
			{"list: expand null", "GET", "/api/parts/?expand=maker&maker_id__isnull=true", "", "", allPerms, 200, []string{`"maker":null`}},
			{"list: unknown filter", "GET", "/api/parts/?color=red", "", "", allPerms, 400, []string{`"color":"no such parameter`}},
			{"list: excluded column", "GET", "/api/parts/?secret=x", "", "", allPerms, 400, []string{`"secret":"no such parameter`}},
			{"list: bad lookup", "GET", "/api/parts/?stock__regex=1", "", "", allPerms, 400, []string{`"stock__regex":"unknown lookup`}},
			{"list: bad value", "GET", "/api/parts/?stock__gte=many", "", "", allPerms, 400, []string{`"stock__gte":"enter a whole number"`}},
			{"list: bad ordering", "GET", "/api/parts/?ordering=secret", "", "", allPerms, 400, []string{`"ordering":"cannot sort by`}},
			{"list: twice", "GET", "/api/parts/?sku=a&sku=b", "", "", allPerms, 400, []string{"given more than once"}},
			{"list: forged cursor", "GET", "/api/parts/?cursor=WyIxIl0", "", "", allPerms, 400, []string{`"cursor":"the page link is not valid`}},
			{"list: page 0", "GET", "/api/parts/?page=0", "", "", allPerms, 400, []string{`"page":"a whole number from 1"`}},
			{"list: page size over", "GET", "/api/parts/?page_size=501", "", "", allPerms, 400, nil},
			{"list: past the end", "GET", "/api/parts/?page=9", "", "", allPerms, 200, []string{`"items":[]`}},
			{"list: deep expansion refused", "GET", "/api/parts/?expand=maker.x.y", "", "", allPerms, 400, []string{"at most 2 levels"}},

			{"patch", "PATCH", "/api/parts/2", js, `{"stock":7,"added":null}`, allPerms, 200, []string{`"stock":7`, `"added":null`, `"sku":"B-1"`}},
			{"patch the key", "PATCH", "/api/parts/2", js, `{"id":5}`, allPerms, 422, []string{`"id":"read-only"`}},
			{"patch to a taken sku", "PATCH", "/api/parts/2", js, `{"sku":"A-1"}`, allPerms, 409, []string{`"sku":"Another row`}},
			{"patch missing", "PATCH", "/api/parts/99", js, `{"stock":1}`, allPerms, 404, nil},
			{"patch stale", "PATCH", "/api/parts/2", js, `{"stock":8}`, allPerms, 409, []string{"changed since the version in If-Match"}},
			{"put incomplete", "PUT", "/api/parts/3", js, `{"stock":1}`, allPerms, 422, []string{`"sku":"required: PUT replaces`}},
			{"put", "PUT", "/api/parts/3", js, `{"sku":"A-3","price":"1.5","stock":1,"active":true}`, allPerms, 200, []string{`"sku":"A-3"`, `"maker_id":null`, `"meta":null`}},
			{"delete a maker still referred to", "DELETE", "/api/makers/2", "", "", allPerms, 409, []string{"still refer"}},
			{"delete", "DELETE", "/api/parts/4", "", "", allPerms, 204, nil},
			{"delete again", "DELETE", "/api/parts/4", "", "", allPerms, 404, nil},
			{"delete without the permission", "DELETE", "/api/parts/1", "", "", "parts.view,parts.change", 403, nil},
		} {
			var hdr map[string]string
			if c.name == "patch stale" {
				hdr = map[string]string{"If-Match": `"0123456789abcdef01234567"`}
			}
			a := s.do(c.method, c.path, c.ct, c.body, c.perms, hdr)
			if a.status != c.status {
				t.Errorf("%s: %s %s = %d, want %d\n%s", c.name, c.method, c.path, a.status, c.status, a.body)
			}
			for _, h := range c.has {
				if !bytes.Contains(a.body, []byte(h)) {
					t.Errorf("%s: the answer lacks %s\n%s", c.name, h, a.body)
				}
			}
		}

		// If-Match with the current ETag writes.
		got := s.do("GET", "/api/parts/1", "", "", allPerms, nil)
		etag := got.header.Get("ETag")
		if a := s.do("PATCH", "/api/parts/1", js, `{"stock":6}`, allPerms, map[string]string{"If-Match": etag}); a.status != 200 || a.header.Get("ETag") == etag {
			t.Errorf("PATCH with the current ETag: %d, ETag %q (was %q)", a.status, a.header.Get("ETag"), etag)
		}

		// Walking the cursor pages sees every part once, in order, and
		// back.
		var skus []string
		next := "/api/parts/?ordering=sku&fields=sku"
		var prev string
		for next != "" {
			a := s.do("GET", next, "", "", allPerms, nil)
			var page struct {
				Items          []map[string]any
				Next, Previous *string
			}
			if err := json.Unmarshal(a.body, &page); err != nil {
				t.Fatalf("%s: %v", a.body, err)
			}
			for _, it := range page.Items {
				skus = append(skus, it["sku"].(string))
			}
			next = ""
			if page.Next != nil {
				next = *page.Next
			}
			if page.Previous != nil {
				prev = *page.Previous
			}
		}
		if strings.Join(skus, " ") != "A-1 A-3 B-1" {
			t.Errorf("cursor walk: %v", skus)
		}
		if a := s.do("GET", prev, "", "", allPerms, nil); !bytes.Contains(a.body, []byte(`"items":[{"sku":"A-1"},{"sku":"A-3"}]`)) {
			t.Errorf("previous page %s: %s", prev, a.body)
		}
		// A cursor is for its ordering.
		u, _ := url.Parse(prev)
		if a := s.do("GET", "/api/parts/?ordering=-sku&cursor="+url.QueryEscape(u.Query().Get("cursor")), "", "", allPerms, nil); a.status != 400 {
			t.Errorf("a cursor under another ordering: %d %s", a.status, a.body)
		}

		// JSON:API.
		// fields= leaves maker_id out of the attributes, not out of the
		// relationships.
		a := s.do("GET", "/api/parts/?fields=sku&expand=maker&maker_id=1&ordering=sku", "", "", allPerms, map[string]string{"Accept": api.JSONAPIType})
		var doc struct {
			Data []struct {
				Type, ID      string
				Attributes    map[string]any
				Relationships map[string]struct{ Data *struct{ Type, ID string } }
			}
			Included []struct{ Type, ID string }
		}
		if a.header.Get("Content-Type") != api.JSONAPIType || json.Unmarshal(a.body, &doc) != nil || len(doc.Data) != 1 ||
			doc.Data[0].Type != "parts" || doc.Data[0].ID != "1" || doc.Data[0].Attributes["sku"] != "A-1" ||
			doc.Data[0].Relationships["maker"].Data == nil || doc.Data[0].Relationships["maker"].Data.ID != "1" ||
			len(doc.Data[0].Attributes) != 1 || len(doc.Included) != 1 || doc.Included[0].Type != "makers" {
			t.Errorf("JSON:API list: %s", a.body)
		}
		a = s.do("POST", "/api/makers/", api.JSONAPIType, `{"data":{"type":"makers","attributes":{"name":"Cog"}}}`, allPerms, map[string]string{"Accept": api.JSONAPIType})
		if a.status != 201 || !bytes.Contains(a.body, []byte(`"attributes":{"name":"Cog","country":null}`)) || a.header.Get("Location") != "/api/makers/3" {
			t.Errorf("JSON:API create: %d %s (Location %q)", a.status, a.body, a.header.Get("Location"))
		}

		// Each write is in the audit log.
		entries, err := audit.ListForObject(context.Background(), s.db, "parts", "2", 10)
		if err != nil || len(entries) != 2 || entries[0].Action != "api.update" || entries[1].Action != "api.create" {
			t.Fatalf("audit log of part 2: %+v, %v", entries, err)
		}
		var ch map[string][2]any
		if err := json.Unmarshal([]byte(entries[0].Changes), &ch); err != nil || ch["stock"] != [2]any{"0", "7"} || len(ch) != 1 {
			t.Errorf("audit log of the PATCH: %s", entries[0].Changes)
		}
	})
}

// TestResourceEdges covers the classes of input a hostile review found
// mishandled, on every dialect: keys that need escaping in Location,
// enums under case-insensitive lookups, date-times compared as instants
// (SQLite stores them as text in two formats), decimals at their scale,
// a failing permission check, cascading deletes into tables the caller
// may not delete from, deep numbered pages, JSON:API documents with
// shared targets, weak and listed If-Match values, and NaN.
func TestResourceEdges(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *dbtest.DB) {
		s := newShop(t, db)
		js := "application/json"
		ctx := context.Background()
		// A key with , + % and a space: Location names the row.
		a := s.do("POST", "/api/codes/", js, `{"code":"a,b+c%d e","label":"odd"}`, allPerms, nil)
		if a.status != 201 {
			t.Fatalf("create a code: %d %s", a.status, a.body)
		}
		// codes is public: read with no permission at all (written with).
		if got := s.do("GET", a.header.Get("Location"), "", "", "", nil); got.status != 200 || !bytes.Contains(got.body, []byte(`"code":"a,b+c%d e"`)) {
			t.Errorf("GET Location %q: %d %s", a.header.Get("Location"), got.status, got.body)
		}
		if got := s.do("GET", "/api/codes/", "", "", "", nil); got.status != 200 {
			t.Errorf("a public list without permissions: %d %s", got.status, got.body)
		}
		if got := s.do("POST", "/api/codes/", js, `{"code":"x","label":"y"}`, "", nil); got.status != 403 {
			t.Errorf("a write to a public resource without the permission: %d %s", got.status, got.body)
		}
		for _, body := range []string{
			`{"name":"Acme"}`,
			`{"maker_id":1,"sku":"E-1","price":"999999.99","mood":"happy"}`,
			`{"maker_id":1,"sku":"E-2","price":"0.5","mood":"sad"}`,
		} {
			path := "/api/parts/"
			if strings.Contains(body, "Acme") {
				path = "/api/makers/"
			}
			if a := s.do("POST", path, js, body, allPerms, nil); a.status != 201 {
				t.Fatalf("create %s: %d %s", body, a.status, a.body)
			}
		}
		for path, want := range map[string]string{
			"/api/parts/?mood__icontains=HAP":                `"sku":"E-1"`,
			"/api/parts/?mood__iexact=SAD":                   `"sku":"E-2"`,
			"/api/parts/?mood=happy":                         `"sku":"E-1"`,
			"/api/parts/?search=e-2":                         `"sku":"E-2"`,
			"/api/parts/?price=999999.99":                    `"price":"999999.99"`,
			"/api/parts/?price__lt=1":                        `"price":"0.50"`,
			"/api/parts/?updated_at__gte=2001-01-01&sku=E-1": `"sku":"E-1"`,
		} {
			if a := s.do("GET", path, "", "", allPerms, nil); a.status != 200 || !bytes.Contains(a.body, []byte(want)) {
				t.Errorf("GET %s: %d, lacks %s\n%s", path, a.status, want, a.body)
			}
		}
		// A date-time filter on the value read back finds the row: equal,
		// not less, not greater.
		var row map[string]any
		a = s.do("GET", "/api/parts/1", "", "", allPerms, nil)
		if err := json.Unmarshal(a.body, &row); err != nil {
			t.Fatal(err)
		}
		at := url.QueryEscape(row["updated_at"].(string))
		for q, n := range map[string]int{"updated_at=" + at: 1, "updated_at__gte=" + at: 1, "updated_at__lte=" + at: 1, "updated_at__lt=" + at: 0, "updated_at__gt=" + at: 0} {
			a := s.do("GET", "/api/parts/?id=1&"+q, "", "", allPerms, nil)
			var page struct{ Items []any }
			if json.Unmarshal(a.body, &page) != nil || len(page.Items) != n {
				t.Errorf("%s: %d rows, want %d\n%s", q, len(page.Items), n, a.body)
			}
		}
		// A permission check that fails is a 500 without its text.
		if a := s.do("GET", "/api/parts/1?expand=maker", "", "", allPerms, map[string]string{"X-Fail": "1"}); a.status != 500 || bytes.Contains(a.body, []byte("SQLSTATE")) {
			t.Errorf("a failing permission check: %d %s", a.status, a.body)
		}
		// Deep numbered pages are refused; the cursor walks further.
		if a := s.do("GET", "/api/parts/?page_size=500&page=202", "", "", allPerms, nil); a.status != 400 || !bytes.Contains(a.body, []byte("cursor")) {
			t.Errorf("a deep page: %d %s", a.status, a.body)
		}
		// Weak and listed If-Match values match.
		etag := s.do("GET", "/api/parts/2", "", "", allPerms, nil).header.Get("ETag")
		if a := s.do("PATCH", "/api/parts/2", js, `{"stock":9}`, allPerms, map[string]string{"If-Match": `"x", W/` + etag}); a.status != 200 {
			t.Errorf("PATCH with a weak ETag in a list: %d %s", a.status, a.body)
		}
		// JSON:API: a maker shared by two parts is included once.
		a = s.do("GET", "/api/parts/?maker_id=1&expand=maker", "", "", allPerms, map[string]string{"Accept": api.JSONAPIType})
		if n := bytes.Count(a.body, []byte(`"type":"makers"`)); n != 3 { // two relationships, one included
			t.Errorf("JSON:API with a shared maker names makers %d times: %s", n, a.body)
		}
		// Deleting a part with reviews deletes them: it needs reviews.delete.
		q := func(stmt string) {
			if _, err := s.db.DB.ExecContext(ctx, stmt); err != nil {
				t.Fatal(err)
			}
		}
		q(`INSERT INTO reviews (part_id, stars) VALUES (1, 5)`)
		// A list reads the key for its order and cursors; an excluded key
		// is still not answered, in JSON or JSON:API attributes.
		for _, accept := range []string{"application/json", api.JSONAPIType} {
			a := s.do("GET", "/api/reviews/?page_size=1", "", "", "", map[string]string{"Accept": accept})
			if a.status != 200 || !bytes.Contains(a.body, []byte(`"stars":5`)) || bytes.Contains(a.body, []byte(`"id":`)) && accept == "application/json" || bytes.Contains(a.body, []byte(`"attributes":{"id"`)) {
				t.Errorf("reviews, excluding id, as %s: %d %s", accept, a.status, a.body)
			}
		}
		if a := s.do("DELETE", "/api/parts/1", "", "", "parts.view,parts.delete", nil); a.status != 403 || !bytes.Contains(a.body, []byte("reviews.delete")) {
			t.Errorf("a cascading delete without reviews.delete: %d %s", a.status, a.body)
		}
		if a := s.do("DELETE", "/api/parts/1", "", "", "parts.view,parts.delete,reviews.delete", nil); a.status != 204 {
			t.Errorf("a cascading delete with reviews.delete: %d %s", a.status, a.body)
		}
		var left int
		if err := s.db.DB.QueryRowContext(ctx, `SELECT COUNT(*) FROM reviews`).Scan(&left); err != nil || left != 0 {
			t.Errorf("reviews left: %d, %v", left, err)
		}
		if db.Name == dialects.Postgres {
			q(`UPDATE parts SET weight = 'NaN' WHERE sku = 'E-2'`)
			if a := s.do("GET", "/api/parts/?sku=E-2", "", "", allPerms, nil); a.status != 200 || !bytes.Contains(a.body, []byte(`"weight":null`)) {
				t.Errorf("a NaN: %d %s", a.status, a.body)
			}
		}
	})
}

// TestResourceOptions: options that do not match the schema are refused
// with each problem named.
func TestResourceOptions(t *testing.T) {
	db := dbtest.New(t, dialects.SQLite)
	ctx := context.Background()
	for _, stmt := range shopDDL[dialects.SQLite] {
		if _, err := db.SQL.ExecContext(ctx, stmt); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.SQL.ExecContext(ctx, `CREATE TABLE quarry_users (id INTEGER PRIMARY KEY, username TEXT, password_hash TEXT)`); err != nil {
		t.Fatal(err)
	}
	schema, err := introspect.Load(ctx, db.Database())
	if err != nil {
		t.Fatal(err)
	}
	o := api.Options{Require: requireHeader, Can: canHeader, Schema: schema, Resources: []api.Resource{
		{Table: "nope"}, {Table: "quarry_users"}, {Table: "parts", Search: []string{"secret"}, Exclude: []string{"secret"}},
		{Table: "makers", Filter: []string{"color"}, Expand: []string{"name"}}, {Table: "makers"},
	}}
	err = api.Mount(http.NewServeMux(), nil, o)
	for _, want := range []string{"nope: no such table", "quarry_users: the framework's tables", `Search: column "secret" is excluded`,
		`makers: Filter: no column "color"`, "makers: listed twice"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Mount: %v\nlacks %q", err, want)
		}
	}
	o.Resources, o.Can = []api.Resource{{Table: "makers"}}, nil
	if err := api.Mount(http.NewServeMux(), nil, o); err == nil || !strings.Contains(err.Error(), "Options.Can") {
		t.Errorf("Mount without Can: %v", err)
	}
}
