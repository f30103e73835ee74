// Package api is the blog's JSON API, built on its sqlc queries (package
// db) and mounted beside the framework's router:
//
//	method path                     permission    what
//	GET    /api/authors             -             list authors
//	POST   /api/authors             authors.add   create {name, email, bio}
//	GET    /api/authors/{id}        -             one author
//	GET    /api/posts?limit&offset  -             page of posts, newest first
//	POST   /api/posts               posts.add     create {author_id, title, slug, body, published, tags}
//	GET    /api/posts/{slug}        -             one post with its tags
//	DELETE /api/posts/{id}          posts.delete  delete a post
//	GET    /api/tags                -             tags with post counts
//
// Reads are public. A write needs a logged-in user (the session cookie
// that POST /login sets) holding the table's permission, a codename
// "<table>.<action>" seeded by the auth service and granted in the admin:
// it is answered 401 without a login and 403 without the permission, as
// problem JSON whatever the client's Accept header. The auth middleware
// protects writes against cross-site request forgery: a request another
// site's page makes (Origin or Sec-Fetch-Site say so) is refused 403, and
// a write without a JSON body (DELETE) must either say Content-Type:
// application/json too or carry in X-CSRF-Token the CSRF token the site's
// forms hold (the csrf_token field of GET /login).
//
// Every text field goes through textinput.Check (valid UTF-8, no NUL
// byte, bounded) and a body that is not valid UTF-8 is refused, so a
// hostile value gets a 400 or a 422 naming the field on every dialect and
// never reaches SQL. Handlers take the database from the request
// (framework.DatabaseFrom) and run the queries of its dialect through
// db.Queries; the program links the adapters in (see the blog's main).
package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/quarry-go/quarry/examples/blog/db"
	"github.com/quarry-go/quarry/framework"
	qapi "github.com/quarry-go/quarry/framework/api"
	"github.com/quarry-go/quarry/framework/authhttp"
	"github.com/quarry-go/quarry/framework/introspect"
	"github.com/quarry-go/quarry/framework/middleware"
	"github.com/quarry-go/quarry/framework/textinput"
)

// maxBody bounds request bodies; maxText bounds a post's body and an
// author's bio (MySQL's MEDIUMTEXT holds far more, SQLite and PostgreSQL
// have no limit: the API sets the same one everywhere).
const (
	maxBody = 1 << 20
	maxText = 100_000
)

// endpoints are the API's routes. perm is the permission a write needs;
// reads have none and are public.
var endpoints = []struct {
	method, path, query, perm string
	handle                    func(*handlers, http.ResponseWriter, *http.Request)
}{
	{http.MethodGet, "/api/authors", "", "", (*handlers).authorList},
	{http.MethodPost, "/api/authors", "", "authors.add", (*handlers).authorCreate},
	{http.MethodGet, "/api/authors/{id}", "", "", (*handlers).authorGet},
	{http.MethodGet, "/api/posts", "?limit=20&offset=0", "", (*handlers).postList},
	{http.MethodPost, "/api/posts", "", "posts.add", (*handlers).postCreate},
	{http.MethodGet, "/api/posts/{slug}", "", "", (*handlers).postGet},
	{http.MethodDelete, "/api/posts/{id}", "", "posts.delete", (*handlers).postDelete},
	{http.MethodGet, "/api/tags", "", "", (*handlers).tagList},
}

// Mount registers the API on r. Its writes go through a's RequirePerm, so
// r must also run a's Middleware (which loads the user and checks CSRF).
// log receives unexpected errors.
func Mount(r *http.ServeMux, log *slog.Logger, a *authhttp.Auth) {
	if a == nil {
		panic("api.Mount: the auth layer is required: the API's writes need permissions")
	}
	h := &handlers{log: log}
	r.HandleFunc("GET /{$}", h.index)
	// The endpoints quarry gen wrote from the queries annotated with
	// quarry:endpoint (queries/<dialect>/blog.sql), under /api/q/, with
	// their OpenAPI document and its page.
	if err := qapi.Mount(r, db.Endpoints, qapi.Options{Require: a.RequirePerm, Logger: log, DocsPath: "/api/q",
		Info: qapi.Info{Title: "Quarry blog demo: endpoints from queries", Version: "1"}}); err != nil {
		panic("api.Mount: " + err.Error())
	}
	for _, e := range endpoints {
		var next http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { e.handle(h, w, r) })
		if e.perm != "" {
			next = authhttp.JSONAnswers(a.RequirePerm(e.perm)(next))
		}
		r.Handle(e.method+" "+e.path, next)
	}
}

type handlers struct{ log *slog.Logger }

func (h *handlers) index(w http.ResponseWriter, r *http.Request) {
	list := make([]string, 0, len(endpoints)+len(db.Endpoints)+6)
	for _, e := range endpoints {
		s := e.method + " " + e.path + e.query
		if e.perm != "" {
			s += " (login with permission " + e.perm + ")"
		}
		list = append(list, s)
	}
	for _, e := range db.Endpoints {
		s := e.Method + " " + e.Path + " (generated from query " + e.Query
		if e.Permission != "" {
			s += "; login with permission " + e.Permission
		}
		list = append(list, s+")")
	}
	list = append(list, "GET /api/q/openapi.json", "GET /api/q/docs/",
		"GET|POST "+TablesPrefix+"/{authors,posts,tags,post_tags}/ and GET|PATCH|PUT|DELETE …/{key} (the tables as resources; login with the table's permission)",
		"GET "+TablesPrefix+"/openapi.json", "GET "+TablesPrefix+"/docs/")
	framework.WriteJSON(w, http.StatusOK, map[string]any{
		"name":      "Quarry blog demo",
		"auth":      "reads are public; writes need a user logged in at POST /login holding the permission named",
		"endpoints": append(list, "GET /healthz", "GET /readyz", "GET /login", "GET /admin/"),
	})
}

// validationError is answered with 422 and one message per field.
type validationError map[string]string

func (v validationError) Error() string { return "validation failed" }

// text records field's problem when s is not storable text of at most
// maxChars characters (see textinput.Check), and reports whether it is.
func (v validationError) text(field, s string, maxChars int) bool {
	if err := textinput.Check(field, s, maxChars); err != nil {
		v[field] = err.Error()
		return false
	}
	return true
}

func writeValidation(w http.ResponseWriter, r *http.Request, v validationError) {
	framework.WriteJSON(w, http.StatusUnprocessableEntity, map[string]any{
		"error": "validation failed", "fields": v, "request_id": middleware.RequestIDFrom(r.Context()),
	})
}

// internalError logs err with the request id and answers 500 without
// revealing it, unless the client went away (see framework.ServerError).
func (h *handlers) internalError(w http.ResponseWriter, r *http.Request, err error) {
	framework.ServerError(w, r, h.log, "blog api", err)
}

// decodeJSON reads a JSON object into dst, answering 415, 413 or 400 itself
// when the body is not acceptable. It returns false when it answered.
//
// The body must be valid UTF-8 (RFC 8259): encoding/json would otherwise
// turn each invalid byte into U+FFFD and store text the client never sent.
func decodeJSON(w http.ResponseWriter, r *http.Request, dst any) bool {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != "application/json" {
			framework.WriteError(w, r, http.StatusUnsupportedMediaType, "Content-Type must be application/json")
			return false
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err == nil {
		err = textinput.Check("the request body", string(body), 0)
	}
	var dec *json.Decoder
	if err == nil {
		dec = json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		err = dec.Decode(dst)
	}
	if err == nil && dec.More() {
		err = errors.New("trailing data after the JSON object")
	}
	if err == nil {
		if _, extra := dec.Token(); extra != io.EOF {
			err = errors.New("trailing data after the JSON object")
		}
	}
	var tooBig *http.MaxBytesError
	switch {
	case err == nil:
		return true
	case errors.As(err, &tooBig):
		framework.WriteError(w, r, http.StatusRequestEntityTooLarge, fmt.Sprintf("body larger than %d bytes", maxBody))
	case errors.Is(err, textinput.ErrInvalid):
		framework.WriteError(w, r, http.StatusBadRequest, err.Error())
	case errors.Is(err, io.EOF):
		framework.WriteError(w, r, http.StatusBadRequest, "empty body: send a JSON object")
	default:
		framework.WriteError(w, r, http.StatusBadRequest, "malformed JSON: "+jsonErrorText(err))
	}
	return false
}

// jsonErrorText describes a decoding error without echoing the body.
func jsonErrorText(err error) string {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return fmt.Sprintf("syntax error at byte %d", syntax.Offset)
	case errors.As(err, &typ):
		return fmt.Sprintf("field %q must be %s", typ.Field, typ.Type)
	}
	return err.Error()
}

// pathID parses the {id} path variable.
func pathID(w http.ResponseWriter, r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		framework.WriteError(w, r, http.StatusBadRequest, "id must be a positive integer")
		return 0, false
	}
	return id, true
}

// queryInt parses an optional integer query parameter within [lo, hi]. A
// malformed query string is an error, not silently ignored.
func queryInt(r *http.Request, name string, def, lo, hi int64) (int64, error) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return 0, fmt.Errorf("malformed query string: %v", err)
	}
	s := q.Get(name)
	if s == "" {
		return def, nil
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || v < lo || v > hi {
		return 0, fmt.Errorf("%s must be an integer from %d to %d", name, lo, hi)
	}
	return v, nil
}

func timeJSON(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// TablesPrefix is where the blog's tables are served as REST resources.
const TablesPrefix = "/api/tables"

// MountTables serves the blog's tables as REST resources under
// TablesPrefix (framework/api's Resources, over the rows engine): lists
// with filters, search, ordering and pages, reads, writes, each needing
// the table's permission, with their OpenAPI document at
// /api/tables/openapi.json and its page at /api/tables/docs/.
func MountTables(ctx context.Context, app *framework.App, a *authhttp.Auth) error {
	schema, err := introspect.Load(ctx, app.Database())
	if err != nil {
		return fmt.Errorf("api: %w", err)
	}
	return qapi.Mount(app.Router(), nil, qapi.Options{Require: a.RequirePerm, Can: a.Can, Schema: schema, Keys: app.Keys(),
		Logger: app.Logger(), Prefix: TablesPrefix, DocsPath: TablesPrefix,
		Info: qapi.Info{Title: "Quarry blog demo: tables as resources", Version: "1"},
		Resources: []qapi.Resource{
			{Table: "authors", Search: []string{"name", "email"}, Ordering: []string{"name"}},
			{Table: "posts", Search: []string{"title", "slug"}, Ordering: []string{"-created_at"}, ReadOnlyFields: []string{"created_at"}},
			{Table: "tags", Ordering: []string{"name"}},
			{Table: "post_tags"},
		}})
}
