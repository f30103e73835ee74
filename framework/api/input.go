package api

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/quarry-go/quarry/framework/textinput"
)

// MaxTextLen is the longest text parameter accepted, in characters.
const MaxTextLen = 65536

// Input is the parameters of one request to an endpoint. The generated
// Run reads each with the getter of its Go type; a missing required
// parameter or a malformed value is recorded, not returned, so that one
// answer names every field in error (Err).
type Input struct {
	e     Endpoint
	r     *http.Request
	query url.Values
	body  map[string]json.RawMessage
	errs  FieldErrors
}

// FieldErrors are the problems of a request's parameters, by name: the
// endpoint answers 422 with them.
type FieldErrors map[string]string

func (f FieldErrors) Error() string {
	names := make([]string, 0, len(f))
	for n := range f {
		names = append(names, n)
	}
	slices.Sort(names)
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = n + ": " + f[n]
	}
	return "invalid parameters: " + strings.Join(parts, "; ")
}

// requestError is a malformed request (400, 413 or 415).
type requestError struct {
	status int
	msg    string
}

func (e *requestError) Error() string { return e.msg }

// newInput reads the query string and, for an endpoint with body
// parameters, the JSON object body.
func newInput(w http.ResponseWriter, r *http.Request, e Endpoint, max int64) (*Input, error) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, &requestError{http.StatusBadRequest, "malformed query string"}
	}
	in := &Input{e: e, r: r, query: q, errs: FieldErrors{}}
	if !slices.ContainsFunc(e.Params, func(p Param) bool { return p.In == InBody }) {
		return in, nil
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct != "application/json" {
		return nil, &requestError{http.StatusUnsupportedMediaType, "send a JSON object (Content-Type: application/json)"}
	}
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, max))
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return nil, &requestError{http.StatusRequestEntityTooLarge, fmt.Sprintf("the body is larger than %d bytes", mbe.Limit)}
	case err != nil:
		return nil, &requestError{http.StatusBadRequest, "the body could not be read"}
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&in.body); err != nil || in.body == nil || dec.More() {
		return nil, &requestError{http.StatusBadRequest, "the body is not one JSON object"}
	}
	return in, nil
}

// QueryInput reads the parameters of e (each read from the query string)
// from values: what the admin's report pages run a query with. Values
// no parameter has are recorded as unknown (Err).
func QueryInput(r *http.Request, e Endpoint, values url.Values) *Input {
	in := &Input{e: e, r: r, query: values, errs: FieldErrors{}}
	in.unknown()
	return in
}

// unknown records the query-string and body names no parameter has.
func (in *Input) unknown() {
	known := func(name string, where In) bool {
		return slices.ContainsFunc(in.e.Params, func(p Param) bool { return p.Name == name && p.In == where })
	}
	for name := range in.query {
		if !known(name, InQuery) {
			in.errs[name] = "unknown parameter"
		}
	}
	for name := range in.body {
		if !known(name, InBody) {
			in.errs[name] = "unknown field"
		}
	}
}

// Err returns the problems recorded so far (FieldErrors), or nil.
func (in *Input) Err() error {
	if len(in.errs) == 0 {
		return nil
	}
	return in.errs
}

// value is a parameter as sent: text (a path or query value, or a JSON
// string), or a JSON number, boolean or null.
type value struct {
	text    string
	json    byte // 0: text; 's' string, 'n' number, 'b' boolean, 'z' null, 'o' anything else
	present bool
}

// raw finds parameter name where the endpoint reads it.
func (in *Input) raw(name string) value {
	where := InQuery
	for _, p := range in.e.Params {
		if p.Name == name {
			where = p.In
		}
	}
	switch where {
	case InPath:
		v := in.r.PathValue(name)
		return value{text: v, present: v != ""}
	case InBody:
		m, ok := in.body[name]
		if !ok {
			return value{}
		}
		var x any
		dec := json.NewDecoder(bytes.NewReader(m))
		dec.UseNumber()
		_ = dec.Decode(&x) // decoded once already
		switch x := x.(type) {
		case nil:
			return value{json: 'z', present: true}
		case string:
			return value{text: x, json: 's', present: true}
		case json.Number:
			return value{text: string(x), json: 'n', present: true}
		case bool:
			return value{text: strconv.FormatBool(x), json: 'b', present: true}
		}
		return value{json: 'o', present: true}
	}
	vs, ok := in.query[name]
	switch {
	case !ok:
		return value{}
	case len(vs) > 1:
		in.errs[name] = "given more than once"
		return value{}
	}
	return value{text: vs[0], present: true}
}

// get reads parameter name: parse turns its text into the value; want
// names what a JSON value must be ('s', 'n' or 'b'). It reports whether
// a value was given (not null).
func get[T any](in *Input, name string, want byte, parse func(string) (T, error)) (T, bool) {
	var zero T
	v := in.raw(name)
	switch {
	case !v.present || v.json == 'z':
		return zero, false
	case v.json != 0 && v.json != want:
		in.errs[name] = "want " + map[byte]string{'s': "a string", 'n': "a number", 'b': "true or false"}[want]
		return zero, false
	}
	x, err := parse(v.text)
	if err != nil {
		in.errs[name] = err.Error()
		return zero, false
	}
	return x, true
}

// required records a missing required parameter.
func (in *Input) required(name string, ok bool) {
	if !ok {
		if _, bad := in.errs[name]; !bad {
			in.errs[name] = "required"
		}
	}
}

func parseText(s string) (string, error) {
	if err := textinput.Check("", s, MaxTextLen); err != nil {
		var te *textinput.Error
		if errors.As(err, &te) {
			return "", errors.New(te.Problem)
		}
		return "", err
	}
	return s, nil
}

func parseInt(bits int) func(string) (int64, error) {
	return func(s string) (int64, error) {
		n, err := strconv.ParseInt(s, 10, bits)
		if err != nil {
			return 0, fmt.Errorf("want an integer of %d bits", bits)
		}
		return n, nil
	}
}

func parseFloat(s string) (float64, error) {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, errors.New("want a number")
	}
	return f, nil
}

func parseBool(s string) (bool, error) {
	b, err := strconv.ParseBool(s)
	if err != nil {
		return false, errors.New("want true or false")
	}
	return b, nil
}

func parseTime(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, errors.New("want a time (RFC 3339, such as 2026-11-29T10:00:00Z) or a date (2026-11-29)")
}

// String reads a required text parameter.
func (in *Input) String(name string) string {
	v, ok := get(in, name, 's', parseText)
	in.required(name, ok)
	return v
}

// Int64 reads a required integer parameter.
func (in *Input) Int64(name string) int64 {
	v, ok := get(in, name, 'n', parseInt(64))
	in.required(name, ok)
	return v
}

// Int32 reads a required 32-bit integer parameter.
func (in *Input) Int32(name string) int32 {
	v, ok := get(in, name, 'n', parseInt(32))
	in.required(name, ok)
	return int32(v)
}

// Float64 reads a required number parameter.
func (in *Input) Float64(name string) float64 {
	v, ok := get(in, name, 'n', parseFloat)
	in.required(name, ok)
	return v
}

// Bool reads a required boolean parameter.
func (in *Input) Bool(name string) bool {
	v, ok := get(in, name, 'b', parseBool)
	in.required(name, ok)
	return v
}

// Time reads a required time parameter.
func (in *Input) Time(name string) time.Time {
	v, ok := get(in, name, 's', parseTime)
	in.required(name, ok)
	return v
}

// NullString reads an optional text parameter.
func (in *Input) NullString(name string) sql.NullString {
	v, ok := get(in, name, 's', parseText)
	return sql.NullString{String: v, Valid: ok}
}

// NullInt64 reads an optional integer parameter ("" in a query string is
// null).
func (in *Input) NullInt64(name string) sql.NullInt64 {
	v, ok := get(in, name, 'n', emptyNull(parseInt(64)))
	return sql.NullInt64{Int64: v, Valid: ok && in.errs[name] == "" && in.raw(name).text != ""}
}

// NullInt32 reads an optional 32-bit integer parameter.
func (in *Input) NullInt32(name string) sql.NullInt32 {
	v, ok := get(in, name, 'n', emptyNull(parseInt(32)))
	return sql.NullInt32{Int32: int32(v), Valid: ok && in.errs[name] == "" && in.raw(name).text != ""}
}

// NullFloat64 reads an optional number parameter.
func (in *Input) NullFloat64(name string) sql.NullFloat64 {
	v, ok := get(in, name, 'n', emptyNull(parseFloat))
	return sql.NullFloat64{Float64: v, Valid: ok && in.errs[name] == "" && in.raw(name).text != ""}
}

// NullBool reads an optional boolean parameter.
func (in *Input) NullBool(name string) sql.NullBool {
	v, ok := get(in, name, 'b', emptyNull(parseBool))
	return sql.NullBool{Bool: v, Valid: ok && in.errs[name] == "" && in.raw(name).text != ""}
}

// NullTime reads an optional time parameter.
func (in *Input) NullTime(name string) sql.NullTime {
	v, ok := get(in, name, 's', emptyNull(parseTime))
	return sql.NullTime{Time: v, Valid: ok && in.errs[name] == "" && in.raw(name).text != ""}
}

// emptyNull lets an empty text stand for null (a query string's x=).
func emptyNull[T any](parse func(string) (T, error)) func(string) (T, error) {
	return func(s string) (T, error) {
		if s == "" {
			var zero T
			return zero, nil
		}
		return parse(s)
	}
}
