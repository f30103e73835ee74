// Package api serves an app's sqlc queries as JSON endpoints.
//
// A query annotated in its SQL file
//
//	-- PostsByAuthor lists an author's posts, newest first.
//	-- quarry:endpoint GET /api/posts/by-author/{author_id} perm=posts.view
//	-- name: PostsByAuthor :many
//	SELECT ...
//
// becomes, when `quarry gen` runs, an [Endpoint] in the generated
// Endpoints of the app's types package: its parameters are read from the
// path's wildcards, then from the query string (GET, DELETE) or a JSON
// object body (POST, PUT, PATCH), checked against the query's Go types
// (422 with an error per field), the query runs on the request's database
// (framework.DatabaseFrom) through the dispatcher of its dialect, and its
// result is answered as JSON; every error is a problem details body
// (RFC 9457) and no database text reaches a client. The annotation names
// a permission (perm=<codename>, checked by Options.Require) or says
// public; quarry gen refuses an endpoint that says neither, and one whose
// annotation differs between dialects.
//
// Mount them on the app's router:
//
//	api.Mount(app.Router(), db.Endpoints, api.Options{Require: auth.RequirePerm})
package api

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"

	"github.com/quarry-go/quarry/dialects"
	"github.com/quarry-go/quarry/framework"
	"github.com/quarry-go/quarry/framework/authhttp"
	"github.com/quarry-go/quarry/framework/introspect"
	"github.com/quarry-go/quarry/framework/signing"
)

// Kind is what a query returns, from its sqlc command.
type Kind string

// The kinds of query an endpoint runs.
const (
	// One returns a row (or a value): 200 with it, 404 when there is none.
	One Kind = "one"
	// Many returns rows: 200 with {"items": [...]}.
	Many Kind = "many"
	// Exec returns nothing: 204.
	Exec Kind = "exec"
	// ExecRows returns the rows it changed: 200 with {"rows_affected": n}.
	ExecRows Kind = "execrows"
	// ExecLastID returns the id it inserted (MySQL's :execlastid): 201
	// with {"result": id}, as a :one that returns a value.
	ExecLastID Kind = "execlastid"
)

// In is where a parameter is read from.
type In string

// The places parameters come from.
const (
	InPath  In = "path"
	InQuery In = "query"
	InBody  In = "body"
)

// Param is one parameter of an endpoint.
type Param struct {
	// Name is the parameter's name in the path, query string or body:
	// the query's parameter in snake case.
	Name string
	In   In
	// Type is the Go type of the query's parameter ("int64",
	// "sql.NullString", "time.Time", ...).
	Type string
	// Required: the query's type has no null (a Null type may be left
	// out, or sent as null in a body).
	Required bool
}

// Field is a column of an endpoint's result rows.
type Field struct {
	Name string // in snake case, as answered
	Type string // the Go type
}

// Endpoint is a query served over HTTP. quarry gen writes them; their
// Run calls the query.
type Endpoint struct {
	// Query is the query's name.
	Query string
	// Doc is the query's comment.
	Doc    string
	Method string
	// Path is a net/http pattern path: wildcards name parameters.
	Path string
	// Permission is the codename the caller must hold ("" for a public
	// endpoint).
	Permission string
	// Title is an admin report's title (a query annotated quarry:admin,
	// in the generated Reports; such an endpoint has no Method or Path).
	Title  string
	Kind   Kind
	Params []Param
	// Result is the Go type of the result (a row struct, a slice of
	// them, or a value); ResultFields its columns when it is a row.
	Result       string
	ResultFields []Field
	// Run reads the parameters from in, runs the query on h and returns
	// its result.
	Run func(ctx context.Context, h dialects.Handle, in *Input) (any, error)
}

// Options configure Mount.
type Options struct {
	// Require returns the middleware that lets through the callers
	// holding a permission, answering 401/403 otherwise: pass
	// authhttp.Auth.RequirePerm. It is required when an endpoint names a
	// permission.
	Require func(codename string) func(http.Handler) http.Handler
	// MaxBodyBytes bounds a request body; default 1 MiB.
	MaxBodyBytes int64
	// Logger receives the errors behind a 500; default slog.Default().
	Logger *slog.Logger
	// DocsPath, when set (such as "/api"), serves the endpoints' OpenAPI
	// document at DocsPath/openapi.json and a page that renders it at
	// DocsPath/docs/ (no CDN: its script and style are embedded).
	DocsPath string
	// Info titles the OpenAPI document.
	Info Info

	// Resources are tables served as REST resources under Prefix (see
	// [Resource]), through the rows engine (package records).
	Resources []Resource
	// Schema is the app's schema, which Resources are checked against
	// and described from: introspect.Load of the app's database.
	// Required with Resources.
	Schema *introspect.Schema
	// Prefix is the path the resources are served under. Default: /api.
	Prefix string
	// Can reports whether the request's user holds a permission: pass
	// authhttp.Auth.Can. Required with Resources (an expansion needs
	// the view permission of the table it reads).
	Can func(r *http.Request, codename string) (bool, error)
	// Keys sign the list cursors (pass App.Keys()); default: a random
	// key, whose cursors do not survive a restart or reach another
	// instance.
	Keys *signing.Keyring
}

// Mount registers the endpoints and the resources on mux. It fails,
// registering nothing, when an endpoint names a permission and
// Options.Require is nil, two endpoints have the same method and path,
// or Options.Resources do not match Options.Schema.
func Mount(mux *http.ServeMux, endpoints []Endpoint, o Options) error {
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = 1 << 20
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	seen := map[string]string{}
	for _, e := range endpoints {
		pattern := e.Method + " " + e.Path
		if q, dup := seen[pattern]; dup {
			return fmt.Errorf("api: %s and %s are both %s", q, e.Query, pattern)
		}
		seen[pattern] = e.Query
		if e.Permission != "" && o.Require == nil {
			return fmt.Errorf("api: %s needs permission %s: set Options.Require (authhttp.Auth.RequirePerm)", e.Query, e.Permission)
		}
		if e.Run == nil {
			return fmt.Errorf("api: %s has no Run", e.Query)
		}
	}
	var rs *resources
	if len(o.Resources) > 0 {
		if o.Require == nil || o.Can == nil {
			return errors.New("api: Options.Resources needs Options.Require and Options.Can (authhttp.Auth's RequirePerm and Can)")
		}
		var err error
		if rs, err = newResources(o); err != nil {
			return err
		}
	}
	var spec []byte
	if o.DocsPath != "" {
		var err error
		if spec, err = document(o.Info, endpoints, rs); err != nil {
			return err
		}
	}
	if rs != nil {
		rs.mount(mux)
	}
	for _, e := range endpoints {
		var h http.Handler = handler(e, o)
		if e.Permission != "" {
			// An API answers 401 and 403 as problem details, never with a
			// redirect to the login page, whatever the client accepts.
			h = authhttp.JSONAnswers(o.Require(e.Permission)(h))
		}
		mux.Handle(e.Method+" "+e.Path, h)
	}
	if spec != nil {
		base := strings.TrimRight(o.DocsPath, "/")
		mux.HandleFunc("GET "+base+"/openapi.json", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(spec)
		})
		mux.Handle("GET "+base+"/docs/", http.StripPrefix(base+"/docs/", docsHandler(base)))
	}
	return nil
}

// Document returns the OpenAPI 3.1 document Mount serves at
// DocsPath/openapi.json: the endpoints' operations and those of
// o.Resources, checked against o.Schema as Mount checks them (Require,
// Can and Keys play no part in it). quarry openapi --tables writes it
// from the DDL with the resources' default options; an app whose
// resources have options can write its own with this.
func Document(endpoints []Endpoint, o Options) ([]byte, error) {
	var rs *resources
	if len(o.Resources) > 0 {
		var err error
		if rs, err = newResources(o); err != nil {
			return nil, err
		}
	}
	return document(o.Info, endpoints, rs)
}

//go:embed docs
var docsFS embed.FS

// docsHandler serves the page that renders the document (which it finds
// at base + "/openapi.json").
func docsHandler(base string) http.Handler {
	sub, _ := fs.Sub(docsFS, "docs")
	files := http.FileServerFS(sub)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "openapi.json":
			http.Redirect(w, r, framework.BasePath(r.Context())+base+"/openapi.json", http.StatusFound)
			return
		case "", "index.html", "docs.js", "docs.css":
		default:
			framework.WriteError(w, r, http.StatusNotFound, "not found")
			return
		}
		w.Header().Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		files.ServeHTTP(w, r)
	})
}

// handler serves one endpoint.
func handler(e Endpoint, o Options) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		db := framework.DatabaseFrom(r.Context())
		if db == nil {
			framework.ServerError(w, r, o.Logger, "api "+e.Query, errors.New("no database in the request's context (mount the endpoints on the App's router)"))
			return
		}
		in, err := newInput(w, r, e, o.MaxBodyBytes)
		if err != nil {
			answerError(w, r, o.Logger, e, err)
			return
		}
		in.unknown()
		out, err := e.Run(r.Context(), db, in)
		if err == nil {
			err = in.Err() // the unknown names, when Run read no parameter
		}
		if err != nil {
			answerError(w, r, o.Logger, e, err)
			return
		}
		answer(w, r, e, out)
	})
}

// answer writes a query's result.
func answer(w http.ResponseWriter, r *http.Request, e Endpoint, out any) {
	status := http.StatusOK
	if r.Method == http.MethodPost && (e.Kind == One || e.Kind == ExecLastID) {
		status = http.StatusCreated
	}
	switch e.Kind {
	case Exec:
		w.WriteHeader(http.StatusNoContent)
		return
	case ExecRows:
		framework.WriteJSON(w, status, map[string]any{"rows_affected": encodeValue(out)})
		return
	case Many:
		framework.WriteJSON(w, status, map[string]any{"items": encodeValue(out)})
		return
	}
	v := encodeValue(out)
	if _, row := v.(map[string]any); !row {
		v = map[string]any{"result": v}
	}
	framework.WriteJSON(w, status, v)
}

// SnakeCase turns a Go name into the snake case name of a parameter or
// field: AuthorID → author_id, CreatedAt → created_at, URLPath →
// url_path.
func SnakeCase(name string) string {
	var b strings.Builder
	rs := []rune(name)
	for i, r := range rs {
		upper := r >= 'A' && r <= 'Z'
		if upper && i > 0 {
			prevLower := rs[i-1] >= 'a' && rs[i-1] <= 'z' || rs[i-1] >= '0' && rs[i-1] <= '9'
			nextLower := i+1 < len(rs) && rs[i+1] >= 'a' && rs[i+1] <= 'z'
			if prevLower || (nextLower && rs[i-1] >= 'A' && rs[i-1] <= 'Z') {
				b.WriteByte('_')
			}
		}
		if upper {
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}
