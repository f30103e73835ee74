package api

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/quarry-go/quarry/framework"
	"github.com/quarry-go/quarry/framework/audit"
	"github.com/quarry-go/quarry/framework/authhttp"
	"github.com/quarry-go/quarry/framework/introspect"
	"github.com/quarry-go/quarry/framework/records"
	"github.com/quarry-go/quarry/queries"
)

// JSONAPIType is the JSON:API media type: a request that accepts it is
// answered in JSON:API documents, and a write may send one.
const JSONAPIType = "application/vnd.api+json"

func wantsJSONAPI(r *http.Request) bool {
	for part := range strings.SplitSeq(r.Header.Get("Accept"), ",") {
		mt, _, _ := mime.ParseMediaType(strings.TrimSpace(part))
		if mt == JSONAPIType {
			return true
		}
	}
	return false
}

func writeJSONAPI(w http.ResponseWriter, status int, doc any) {
	w.Header().Set("Content-Type", JSONAPIType)
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true)
	_ = enc.Encode(doc)
}

// jsonAPIObject is a row as a JSON:API resource object: its key as id,
// the other fields as attributes, each expandable foreign key to its
// target's primary key as a relationship.
func jsonAPIObject(res *resource, row map[string]records.Cell, obj *object) map[string]any {
	attrs := &object{}
	obj.members(func(k string, v any) {
		if _, isExp := res.expand[k]; !isExp && !(len(res.t.PK) == 1 && k == res.t.PK[0].Name) {
			attrs.set(k, v)
		}
	})
	out := map[string]any{"type": res.Table, "id": res.t.RowKey(row), "attributes": attrs}
	rels := map[string]any{}
	for name, e := range res.expand {
		if len(e.target.t.PK) != 1 || e.target.t.PK[0] != e.ref {
			continue // the target's id is not this value
		}
		cell := row[e.col.Name]
		if cell.Null {
			rels[name] = map[string]any{"data": nil}
			continue
		}
		rels[name] = map[string]any{"data": map[string]any{"type": e.target.Table, "id": records.EncodeKey([]string{cell.Text})}}
	}
	if len(rels) > 0 {
		out["relationships"] = rels
	}
	return out
}

func b64url(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func unb64url(s string) ([]byte, error) { return base64.RawURLEncoding.DecodeString(s) }

// readBody reads a write's JSON object (or JSON:API document) into its
// fields, answering 415, 413 or 400 itself when it cannot.
func (c *call) readBody() (map[string]json.RawMessage, bool) {
	mt, _, _ := mime.ParseMediaType(c.r.Header.Get("Content-Type"))
	if mt != "application/json" && mt != JSONAPIType {
		writeProblem(c.w, c.r, http.StatusUnsupportedMediaType, "send the row as application/json (or "+JSONAPIType+")", nil)
		return nil, false
	}
	body, err := io.ReadAll(http.MaxBytesReader(c.w, c.r.Body, c.rs.o.MaxBodyBytes))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		writeProblem(c.w, c.r, http.StatusRequestEntityTooLarge, fmt.Sprintf("the body is over %d bytes", c.rs.o.MaxBodyBytes), nil)
		return nil, false
	case err != nil:
		writeProblem(c.w, c.r, http.StatusBadRequest, "the body could not be read", nil)
		return nil, false
	}
	var fields map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&fields); err != nil || fields == nil || dec.More() {
		writeProblem(c.w, c.r, http.StatusBadRequest, "the body is not one JSON object", nil)
		return nil, false
	}
	if mt == JSONAPIType {
		var doc struct {
			Data struct {
				Type       string                     `json:"type"`
				Attributes map[string]json.RawMessage `json:"attributes"`
			} `json:"data"`
		}
		if json.Unmarshal(body, &doc) != nil || doc.Data.Type != c.res.Table || doc.Data.Attributes == nil {
			writeProblem(c.w, c.r, http.StatusBadRequest, `a JSON:API body is {"data": {"type": "`+c.res.Table+`", "attributes": {...}}}`, nil)
			return nil, false
		}
		fields = doc.Data.Attributes
	}
	return fields, true
}

// values checks a body's fields against the table: each a writable
// column with a value of its type. With all (a create, or a PUT), the
// columns it leaves out must be able to: nullable (PUT: set to null) or
// filled by the database (create).
func (c *call) values(body map[string]json.RawMessage, adding, all bool) ([]*introspect.Column, []any, FieldErrors) {
	t := c.res.t
	errs := FieldErrors{}
	var cols []*introspect.Column
	var vals []any
	for name, raw := range body {
		col, ok := t.Column(name)
		if !ok {
			errs[name] = "no such field"
			continue
		}
		if !t.Writable(col, adding) {
			errs[name] = "read-only"
			continue
		}
		v, err := jsonValue(col, raw)
		if err != nil {
			errs[name] = err.Error()
			continue
		}
		cols, vals = append(cols, col), append(vals, v)
	}
	if all {
		for _, col := range t.Columns {
			if _, given := body[col.Name]; given || !t.Writable(col, adding) {
				continue
			}
			switch {
			case adding && (col.Nullable || col.HasDefault()):
			case !adding && col.Nullable:
				cols, vals = append(cols, col), append(vals, nil)
			case adding:
				errs[col.Name] = "required"
			default:
				errs[col.Name] = "required: PUT replaces every writable field (PATCH changes some)"
			}
		}
	}
	return cols, vals, errs
}

// jsonValue reads a JSON value for col: null, a number (integers,
// floats, decimals), a boolean, a string (text, decimals, dates and
// times, UUIDs, enums), any JSON for a JSON column; then checks it as
// the admin's forms do (records.Parse).
func jsonValue(col *introspect.Column, raw json.RawMessage) (any, error) {
	raw = bytes.TrimSpace(raw)
	if string(raw) == "null" {
		if !col.Nullable {
			return nil, errors.New("may not be null")
		}
		return nil, nil
	}
	var text string
	switch {
	case col.Kind == introspect.KindJSON:
		var buf bytes.Buffer
		if err := json.Compact(&buf, raw); err != nil {
			return nil, errors.New("not valid JSON")
		}
		text = buf.String()
	case col.Kind == introspect.KindInt || col.Kind == introspect.KindFloat || col.Kind == introspect.KindDecimal && raw[0] != '"':
		if raw[0] != '-' && (raw[0] < '0' || raw[0] > '9') {
			return nil, errors.New("must be a number")
		}
		text = string(raw)
	case col.Kind == introspect.KindBool:
		switch string(raw) {
		case "true", "false":
			text = string(raw)
		default:
			return nil, errors.New("must be true or false")
		}
	default:
		if raw[0] != '"' || json.Unmarshal(raw, &text) != nil {
			return nil, errors.New("must be a string")
		}
	}
	return records.Parse(col, text)
}

// fieldsOf reads a write's body and checks its fields (values), answering
// the request itself (400, 413, 415, 422) when it cannot be written.
func (c *call) fieldsOf(adding, all bool) ([]*introspect.Column, []any, bool) {
	body, ok := c.readBody()
	if !ok {
		return nil, nil, false
	}
	cols, vals, errs := c.values(body, adding, all)
	if len(errs) > 0 {
		writeProblem(c.w, c.r, http.StatusUnprocessableEntity, errs.Error(), errs)
		return nil, nil, false
	}
	return cols, vals, true
}

// create answers POST <prefix>/<table>/.
func (c *call) create() {
	cols, vals, ok := c.fieldsOf(true, true)
	if !ok {
		return
	}
	t := c.res.t
	var row map[string]records.Cell
	err := c.db.InTx(c.r.Context(), nil, func(tx *framework.Tx) error {
		key, err := t.Insert(c.r.Context(), tx.Tx, tx.Dialect, cols, vals)
		if err != nil {
			return err
		}
		if row, err = t.Get(c.r.Context(), tx.Tx, tx.Dialect, key, false, nil); err != nil {
			return err
		}
		return c.audit(tx, "create", t.RowKey(row), changes(t, nil, row))
	})
	if err != nil {
		c.writeError(err, cols, vals, nil)
		return
	}
	c.w.Header().Set("Location", framework.BasePath(c.r.Context())+c.res.path+"/"+url.PathEscape(t.RowKey(row)))
	c.answerRow(http.StatusCreated, row, nil, nil)
}

// ifMatch reports whether the request's If-Match lets a write to a row
// of version through: absent, *, or a list naming the version (strong or
// weak).
func ifMatch(r *http.Request, version string) bool {
	h := strings.TrimSpace(r.Header.Get("If-Match"))
	if h == "" || h == "*" {
		return true
	}
	for tag := range strings.SplitSeq(h, ",") {
		tag = strings.TrimPrefix(strings.TrimSpace(tag), "W/")
		if strings.Trim(tag, `"`) == version {
			return true
		}
	}
	return false
}

// cascadeError is a delete that would delete or change rows of a table
// the caller may not delete or change, through the database's ON DELETE
// rules.
type cascadeError struct{ msg string }

func (e *cascadeError) Error() string { return e.msg }

// cascadeAllowed checks, before the row with key is deleted from t, the
// rows the database would delete (ON DELETE CASCADE, followed as far as
// the caller may delete) or change (SET NULL, SET DEFAULT) with it
// (records.Cascade): the caller needs the delete or change permission of
// their tables. RESTRICT is left to the database (409).
func (c *call) cascadeAllowed(tx *framework.Tx, t *records.Table, key []any) error {
	can := func(table, action string) (bool, error) { return c.rs.o.Can(c.r, table+"."+action) }
	var canErr error
	effects, err := records.Cascade(c.r.Context(), tx.Tx, tx.Dialect, c.rs.o.Schema, t.Name,
		func(q *records.SQL) { q.KeyMatch(t.PK, key) },
		func(e records.Effect) bool {
			ok, err := can(e.Table, "delete")
			canErr = errors.Join(canErr, err)
			return ok
		})
	if err = errors.Join(err, canErr); err != nil {
		return err
	}
	for _, e := range effects {
		action := map[string]string{records.EffectDelete: "delete", records.EffectSetNull: "change", records.EffectSetDefault: "change"}[e.Action]
		if action == "" {
			continue
		}
		if e.TooDeep {
			return &cascadeError{fmt.Sprintf("deleting this row would delete rows of %s more than %d links away; delete those first", e.Table, records.MaxCascadeDepth)}
		}
		ok, err := can(e.Table, action)
		if err != nil {
			return err
		}
		if !ok {
			return &cascadeError{fmt.Sprintf("deleting this row would %s rows of %s, which needs the permission %s.%s", action, e.Table, e.Table, action)}
		}
	}
	return nil
}

// errStale is a write whose If-Match names another version of the row.
var errStale = errors.New("api: the row changed since the version in If-Match")

// update answers PATCH (replace false) and PUT <prefix>/<table>/{key}.
// With If-Match the write happens only if the row is still that version
// (its ETag), else 409.
func (c *call) update(replace bool) {
	key, ok := c.key()
	if !ok {
		return
	}
	cols, vals, ok := c.fieldsOf(false, replace)
	if !ok {
		return
	}
	t := c.res.t
	var before, after map[string]records.Cell
	err := c.db.InTx(c.r.Context(), nil, func(tx *framework.Tx) error {
		var err error
		if before, err = t.Get(c.r.Context(), tx.Tx, tx.Dialect, key, true, nil); err != nil {
			return err
		}
		if !ifMatch(c.r, t.Version(before)) {
			return errStale
		}
		if _, err := t.Update(c.r.Context(), tx.Tx, tx.Dialect, key, cols, vals); err != nil {
			return err
		}
		if after, err = t.Get(c.r.Context(), tx.Tx, tx.Dialect, key, false, nil); err != nil {
			return err
		}
		if ch := changes(t, before, after); len(ch) > 0 {
			return c.audit(tx, "update", t.RowKey(after), ch)
		}
		return nil
	})
	if err != nil {
		c.writeError(err, cols, vals, before)
		return
	}
	c.answerRow(http.StatusOK, after, nil, nil)
}

// delete answers DELETE <prefix>/<table>/{key}: 204, or 409 while other
// rows refer to it.
func (c *call) delete() {
	key, ok := c.key()
	if !ok {
		return
	}
	t := c.res.t
	err := c.db.InTx(c.r.Context(), nil, func(tx *framework.Tx) error {
		row, err := t.Get(c.r.Context(), tx.Tx, tx.Dialect, key, true, nil)
		if err != nil {
			return err
		}
		if !ifMatch(c.r, t.Version(row)) {
			return errStale
		}
		if err := c.cascadeAllowed(tx, t, key); err != nil {
			return err
		}
		if _, err := t.Delete(c.r.Context(), tx.Tx, tx.Dialect, [][]any{key}); err != nil {
			return err
		}
		return c.audit(tx, "delete", t.RowKey(row), changes(t, row, nil))
	})
	if errors.Is(c.db.Dialect.ClassifyError(err), queries.ErrForeignKeyViolation) {
		writeProblem(c.w, c.r, http.StatusConflict, "other rows still refer to this row", nil)
		return
	}
	if err != nil {
		c.writeError(err, nil, nil, nil)
		return
	}
	c.w.WriteHeader(http.StatusNoContent)
}

// writeError answers a failed write: 404, 409 (stale, a unique value
// taken, a conflicting concurrent change), 422 (a value the database
// refused) with the fields it can tell, or 500. No database text is in
// the answer.
func (c *call) writeError(err error, cols []*introspect.Column, vals []any, current map[string]records.Cell) {
	switch {
	case errors.Is(err, queries.ErrNotFound):
		writeProblem(c.w, c.r, http.StatusNotFound, "no "+c.res.Table+" row has this key", nil)
		return
	case errors.Is(err, errStale):
		writeProblem(c.w, c.r, http.StatusConflict, "the row changed since the version in If-Match: read it again", nil)
		return
	case errors.As(err, new(*cascadeError)):
		writeProblem(c.w, c.r, http.StatusForbidden, err.Error(), nil)
		return
	}
	values := map[string]any{}
	for i, col := range cols {
		values[col.Name] = vals[i]
	}
	r := c.res.t.Explain(c.r.Context(), c.db.DB, c.db.Dialect, err, c.res.Table, values, current)
	if r == nil {
		c.internal(err)
		return
	}
	status := http.StatusUnprocessableEntity
	if errors.Is(r, queries.ErrUniqueViolation) || errors.Is(r, queries.ErrConflict) {
		status = http.StatusConflict
	}
	var fields FieldErrors
	if len(r.Fields) > 0 {
		fields = FieldErrors(r.Fields)
	}
	writeProblem(c.w, c.r, status, r.Msg, fields)
}

// audit records a write in the audit log as api.<action>, by the
// request's user.
func (c *call) audit(tx *framework.Tx, action, objectID string, ch map[string][2]any) error {
	u, _ := authhttp.UserFrom(c.r.Context())
	return audit.Record(c.r.Context(), tx, audit.Entry{ActorID: u.ID, Action: "api." + action, Table: c.res.Table,
		ObjectID: objectID, Changes: ch}.FromRequest(c.r))
}

// changes are the exposed fields that differ between before and after
// (nil: the row did not exist).
func changes(t *records.Table, before, after map[string]records.Cell) map[string][2]any {
	out := map[string][2]any{}
	val := func(row map[string]records.Cell, name string) any {
		if row == nil || row[name].Null {
			return nil
		}
		return row[name].Text
	}
	for _, col := range t.Columns {
		b, a := val(before, col.Name), val(after, col.Name)
		if b != a {
			out[col.Name] = [2]any{b, a}
		}
	}
	return out
}
