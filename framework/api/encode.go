package api

import (
	"database/sql/driver"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"reflect"
	"time"

	"github.com/quarry-go/quarry/framework"
	"github.com/quarry-go/quarry/framework/middleware"
	"github.com/quarry-go/quarry/queries"
)

// encodeValue turns a query's result into what encoding/json writes: a
// row struct into an object with snake case keys, a slice into an array,
// a sql.Null* into its value or null, a time into RFC 3339 UTC.
func encodeValue(v any) any {
	return encode(reflect.ValueOf(v))
}

var (
	timeType   = reflect.TypeFor[time.Time]()
	valuerType = reflect.TypeFor[driver.Valuer]()
	bytesType  = reflect.TypeFor[[]byte]()
	rawType    = reflect.TypeFor[json.RawMessage]()
)

func encode(v reflect.Value) any {
	if !v.IsValid() {
		return nil
	}
	t := v.Type()
	switch {
	case t == timeType:
		return v.Interface().(time.Time).UTC().Format(time.RFC3339Nano)
	case t == rawType, t == bytesType:
		return v.Interface()
	case t.Kind() == reflect.Struct && t.Implements(valuerType):
		// sql.NullString and friends: the value, or null.
		x, err := v.Interface().(driver.Valuer).Value()
		if err != nil || x == nil {
			return nil
		}
		return encode(reflect.ValueOf(x))
	}
	switch t.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil
		}
		return encode(v.Elem())
	case reflect.Slice, reflect.Array:
		out := make([]any, v.Len())
		for i := range out {
			out[i] = encode(v.Index(i))
		}
		return out
	case reflect.Struct:
		out := make(map[string]any, t.NumField())
		for i := range t.NumField() {
			if f := t.Field(i); f.IsExported() {
				out[SnakeCase(f.Name)] = encode(v.Field(i))
			}
		}
		return out
	}
	return v.Interface()
}

// answerError answers an endpoint's error: the request's own problems with
// their status and message, the store's sentinel errors with a status and
// a message that says what happened (never the database's text), anything
// else as a 500 logged with the request id.
func answerError(w http.ResponseWriter, r *http.Request, log *slog.Logger, e Endpoint, err error) {
	var fe FieldErrors
	var re *requestError
	switch {
	case errors.As(err, &fe):
		writeProblem(w, r, http.StatusUnprocessableEntity, "invalid parameters", fe)
	case errors.As(err, &re):
		writeProblem(w, r, re.status, re.msg, nil)
	case errors.Is(err, queries.ErrNotFound):
		writeProblem(w, r, http.StatusNotFound, "not found", nil)
	case errors.Is(err, queries.ErrUniqueViolation):
		writeProblem(w, r, http.StatusConflict, "conflicts with an existing row (a unique value is taken)", nil)
	case errors.Is(err, queries.ErrConflict):
		writeProblem(w, r, http.StatusConflict, "conflicted with a concurrent change; try again", nil)
	case errors.Is(err, queries.ErrForeignKeyViolation):
		writeProblem(w, r, http.StatusUnprocessableEntity, "refers to a row that does not exist, or is still referred to", nil)
	case errors.Is(err, queries.ErrNotNullViolation), errors.Is(err, queries.ErrCheckViolation), errors.Is(err, queries.ErrTooLong):
		writeProblem(w, r, http.StatusUnprocessableEntity, "a value is missing, too long or not allowed", nil)
	case framework.ClientGone(r, err):
	default:
		framework.ServerError(w, r, log, "api "+e.Query, err)
	}
}

// Problem is a problem details body (RFC 9457) with the errors of each
// field, for 422 answers.
type Problem struct {
	framework.Problem
	Errors FieldErrors `json:"errors,omitempty"`
}

func writeProblem(w http.ResponseWriter, r *http.Request, status int, msg string, fields FieldErrors) {
	w.Header().Set("Content-Type", framework.ProblemContentType)
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true)
	_ = enc.Encode(Problem{Problem: framework.Problem{Type: "about:blank", Title: http.StatusText(status), Status: status,
		Detail: msg, Error: msg, RequestID: middleware.RequestIDFrom(r.Context())}, Errors: fields})
}

// Table is a query's result as columns and rows, in the order of its
// result fields (one column "result" for a query that returns a value):
// what the admin's report pages show and export. Values are as the JSON
// answers hold them (times RFC 3339, nulls nil).
func Table(e Endpoint, out any) (cols []string, rows [][]any) {
	v := encodeValue(out)
	var items []any
	switch x := v.(type) {
	case []any:
		items = x
	case nil:
	default:
		items = []any{x}
	}
	if len(e.ResultFields) == 0 {
		cols = []string{"result"}
		for _, it := range items {
			rows = append(rows, []any{it})
		}
		return cols, rows
	}
	for _, f := range e.ResultFields {
		cols = append(cols, f.Name)
	}
	for _, it := range items {
		obj, _ := it.(map[string]any)
		row := make([]any, len(cols))
		for i, c := range cols {
			row[i] = obj[c]
		}
		rows = append(rows, row)
	}
	return cols, rows
}
