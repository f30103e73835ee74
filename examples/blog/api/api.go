// Package api is the blog's JSON API, built on its sqlc queries (package
// db) and mounted beside the framework's router:
//
//	GET    /api/authors             list authors
//	POST   /api/authors             create {name, email, bio}
//	GET    /api/authors/{id}        one author
//	GET    /api/posts?limit&offset  page of posts, newest first
//	POST   /api/posts               create {author_id, title, slug, body, published, tags}
//	GET    /api/posts/{slug}        one post with its tags
//	DELETE /api/posts/{id}          delete a post
//	GET    /api/tags                tags with post counts
//
// Handlers take the database from the request (framework.DatabaseFrom).
package api

import (
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

	"github.com/gorilla/mux"

	"github.com/quarry-go/quarry/dialects"
	"github.com/quarry-go/quarry/examples/blog/db"
	"github.com/quarry-go/quarry/examples/blog/db/mysql"
	"github.com/quarry-go/quarry/examples/blog/db/postgres"
	"github.com/quarry-go/quarry/examples/blog/db/sqlite"
	"github.com/quarry-go/quarry/framework"
	"github.com/quarry-go/quarry/framework/middleware"
)

// maxBody bounds request bodies; maxText bounds a post's body and an
// author's bio (MySQL's MEDIUMTEXT holds far more, SQLite and PostgreSQL
// have no limit: the API sets the same one everywhere).
const (
	maxBody = 1 << 20
	maxText = 100_000
)

// Mount registers the API on r. log receives unexpected database errors.
func Mount(r *mux.Router, log *slog.Logger) {
	h := &handlers{log: log}
	r.HandleFunc("/", h.index).Methods(http.MethodGet)
	// Full paths on r rather than a PathPrefix subrouter: gorilla/mux
	// subrouters answer a wrong method with 404 instead of 405.
	r.HandleFunc("/api/authors", h.authorList).Methods(http.MethodGet)
	r.HandleFunc("/api/authors", h.authorCreate).Methods(http.MethodPost)
	r.HandleFunc("/api/authors/{id}", h.authorGet).Methods(http.MethodGet)
	r.HandleFunc("/api/posts", h.postList).Methods(http.MethodGet)
	r.HandleFunc("/api/posts", h.postCreate).Methods(http.MethodPost)
	r.HandleFunc("/api/posts/{slug}", h.postGet).Methods(http.MethodGet)
	r.HandleFunc("/api/posts/{id}", h.postDelete).Methods(http.MethodDelete)
	r.HandleFunc("/api/tags", h.tagList).Methods(http.MethodGet)
}

// Queries returns the blog's queries for the dialect of d, over x (the
// pool or a transaction).
func Queries(d dialects.Dialect, x db.DBTX) db.Querier {
	switch d.Name() {
	case dialects.Postgres:
		return postgres.New(x)
	case dialects.MySQL:
		return mysql.New(x)
	default:
		return sqlite.New(x)
	}
}

type handlers struct{ log *slog.Logger }

func (h *handlers) index(w http.ResponseWriter, r *http.Request) {
	framework.WriteJSON(w, http.StatusOK, map[string]any{
		"name": "Quarry blog demo",
		"endpoints": []string{
			"GET /api/authors", "POST /api/authors", "GET /api/authors/{id}",
			"GET /api/posts?limit=20&offset=0", "POST /api/posts", "GET /api/posts/{slug}",
			"DELETE /api/posts/{id}", "GET /api/tags", "GET /healthz", "GET /readyz", "GET /login", "GET /admin/",
		},
	})
}

// validationError is answered with 422 and one message per field.
type validationError map[string]string

func (v validationError) Error() string { return "validation failed" }

func writeValidation(w http.ResponseWriter, r *http.Request, v validationError) {
	framework.WriteJSON(w, http.StatusUnprocessableEntity, map[string]any{
		"error": "validation failed", "fields": v, "request_id": middleware.RequestIDFrom(r.Context()),
	})
}

// internalError logs err with the request id and answers 500 without
// revealing it.
func (h *handlers) internalError(w http.ResponseWriter, r *http.Request, err error) {
	h.log.ErrorContext(r.Context(), "blog api", "error", err, "request_id", middleware.RequestIDFrom(r.Context()))
	framework.WriteError(w, r, http.StatusInternalServerError, "internal error")
}

// decodeJSON reads a JSON object into dst, answering 415, 413 or 400 itself
// when the body is not acceptable. It returns false when it answered.
func decodeJSON(w http.ResponseWriter, r *http.Request, dst any) bool {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != "application/json" {
			framework.WriteError(w, r, http.StatusUnsupportedMediaType, "Content-Type must be application/json")
			return false
		}
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	dec.DisallowUnknownFields()
	err := dec.Decode(dst)
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
	id, err := strconv.ParseInt(mux.Vars(r)["id"], 10, 64)
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
