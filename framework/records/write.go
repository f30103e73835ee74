package records

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/quarry-go/quarry/dialects"
	"github.com/quarry-go/quarry/framework/introspect"
	"github.com/quarry-go/quarry/queries"
)

// stored are the columns a row is read with: every column but the
// secrets, so that Version sees what any write changed.
func (t *Table) stored() []*introspect.Column {
	secret := SecretColumns[t.Name]
	if len(secret) == 0 {
		return t.Schema.Columns
	}
	var out []*introspect.Column
	for _, c := range t.Schema.Columns {
		if !slices.Contains(secret, c.Name) {
			out = append(out, c)
		}
	}
	return out
}

func (t *Table) rowMap(r []Cell) map[string]Cell {
	cols := t.stored()
	row := make(map[string]Cell, len(cols))
	for i, c := range cols {
		row[c.Name] = r[i]
	}
	return row
}

// Get reads the row with key (every column but the secrets, by name), or
// queries.ErrNotFound. With lock it is locked for update until the
// transaction db belongs to ends. scope, when set, limits the rows it
// may find (see List.Scope).
func (t *Table) Get(ctx context.Context, db queries.DBTX, d dialects.Dialect, key []any, lock bool, scope func(*SQL)) (map[string]Cell, error) {
	cols := t.stored()
	q := NewSQL(d)
	q.W("SELECT ").Cols(cols).W(" FROM ", q.Ident(t.Name))
	q.And().KeyMatch(t.PK, key)
	if scope != nil {
		scope(q)
	}
	if lock && d.Capabilities().ConcurrentWriters { // else the write transaction already excludes writers
		q.W(" FOR UPDATE")
	}
	rows, err := q.Query(ctx, db, cols)
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, queries.ErrNotFound
	}
	return t.rowMap(rows[0]), nil
}

// chunk is how many keys one statement matches.
const chunk = 500

// GetMany reads the rows with keys, in key order; keys with no row are
// left out.
func (t *Table) GetMany(ctx context.Context, db queries.DBTX, d dialects.Dialect, keys [][]any, scope func(*SQL)) ([]map[string]Cell, error) {
	cols := t.stored()
	order := make([]Order, len(t.PK))
	for i, c := range t.PK {
		order[i] = Order{Col: c}
	}
	var out []map[string]Cell
	for start := 0; start < len(keys); start += chunk {
		q := NewSQL(d)
		q.W("SELECT ").Cols(cols).W(" FROM ", q.Ident(t.Name))
		q.And().KeysMatch(t.PK, keys[start:min(start+chunk, len(keys))])
		if scope != nil {
			scope(q)
		}
		WriteOrder(q, order, false)
		rows, err := q.Query(ctx, db, cols)
		if err != nil {
			return nil, err
		}
		for _, r := range rows {
			out = append(out, t.rowMap(r))
		}
	}
	return out, nil
}

// versionKey keys the versions of tables whose VersionKey is unset.
var versionKey = func() []byte {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return b
}()

// Version fingerprints a row read by Get, so that a write can tell that
// someone else changed it since it was read. It covers every column but
// the secrets, excluded ones too, and is an HMAC under VersionKey, so
// that it reveals nothing about the columns a caller may not read.
func (t *Table) Version(row map[string]Cell) string {
	key := t.VersionKey
	if key == nil {
		key = versionKey
	}
	h := hmac.New(sha256.New, key)
	for _, c := range t.stored() {
		v := row[c.Name]
		fmt.Fprintf(h, "%s\x00%t\x00%s\x00", c.Name, v.Null, v.Text)
	}
	return hex.EncodeToString(h.Sum(nil)[:12])
}

// Insert writes a new row with the values of cols (parsed by Parse) and
// returns its key.
func (t *Table) Insert(ctx context.Context, db queries.DBTX, d dialects.Dialect, cols []*introspect.Column, vals []any) ([]any, error) {
	q := NewSQL(d)
	q.W("INSERT INTO ", q.Ident(t.Name))
	if len(cols) == 0 {
		q.W(" ", d.InsertDefaultValues())
	} else {
		q.W(" (").Cols(cols).W(") VALUES (")
		for i, v := range vals {
			if i > 0 {
				q.W(", ")
			}
			q.W(q.Arg(v))
		}
		q.W(")")
	}
	if d.Capabilities().Returning {
		q.W(" RETURNING ").Cols(t.PK)
		rows, err := q.Query(ctx, db, t.PK)
		if err != nil {
			return nil, err
		}
		if len(rows) != 1 {
			return nil, errors.New("records: insert returned no key")
		}
		key := make([]any, len(t.PK))
		for i, c := range t.PK {
			if key[i], err = Parse(c, rows[0][i].Text); err != nil {
				return nil, err
			}
		}
		return key, nil
	}
	res, err := db.ExecContext(ctx, q.String(), q.Args()...)
	if err != nil {
		return nil, err
	}
	key := make([]any, len(t.PK))
	for i, c := range t.PK {
		if j := slices.Index(cols, c); j >= 0 {
			key[i] = vals[j]
			continue
		}
		if !c.Auto {
			return nil, fmt.Errorf("records: no value for key column %s", c.Name)
		}
		if key[i], err = res.LastInsertId(); err != nil {
			return nil, err
		}
	}
	return key, nil
}

// Update sets the values of cols on the row with key and returns the rows
// it changed (0 when there is none).
func (t *Table) Update(ctx context.Context, db queries.DBTX, d dialects.Dialect, key []any, cols []*introspect.Column, vals []any) (int64, error) {
	if len(cols) == 0 {
		return 0, nil
	}
	q := NewSQL(d)
	q.W("UPDATE ", q.Ident(t.Name), " SET ")
	for i, c := range cols {
		if i > 0 {
			q.W(", ")
		}
		q.W(q.Ident(c.Name), " = ", q.Arg(vals[i]))
	}
	q.W(" WHERE ").KeyMatch(t.PK, key)
	return q.Exec(ctx, db)
}

// Delete deletes the rows with keys and returns how many it deleted.
func (t *Table) Delete(ctx context.Context, db queries.DBTX, d dialects.Dialect, keys [][]any) (int64, error) {
	var n int64
	for start := 0; start < len(keys); start += chunk {
		q := NewSQL(d)
		q.W("DELETE FROM ", q.Ident(t.Name), " WHERE ").KeysMatch(t.PK, keys[start:min(start+chunk, len(keys))])
		m, err := q.Exec(ctx, db)
		if err != nil {
			return n, err
		}
		n += m
	}
	return n, nil
}

// Refusal explains a write the database refused for a reason the caller
// can fix: Cause is the queries sentinel (ErrUniqueViolation,
// ErrForeignKeyViolation, ErrCheckViolation, ErrNotNullViolation,
// ErrTooLong, ErrConflict), Msg says it for the whole row, and Fields
// by column, where it can tell which.
type Refusal struct {
	Cause  error
	Msg    string
	Fields map[string]string
}

func (r *Refusal) Error() string { return r.Msg }

func (r *Refusal) Unwrap() error { return r.Cause }

// Explain turns an error of a write into a Refusal, or returns nil for
// an error the caller cannot fix. values are the values written, by
// column; current the row before an update (nil for an insert); label
// names the table in messages.
func (t *Table) Explain(ctx context.Context, db queries.DBTX, d dialects.Dialect, err error, label string, values map[string]any, current map[string]Cell) *Refusal {
	err = d.ClassifyError(err)
	r := &Refusal{Fields: map[string]string{}}
	switch {
	case errors.Is(err, queries.ErrUniqueViolation):
		r.Cause, r.Msg = queries.ErrUniqueViolation, "Another row of "+label+" already has these values."
		for _, key := range t.Schema.UniqueKeys() {
			exposed := !slices.ContainsFunc(key, func(n string) bool { _, ok := t.Column(n); return !ok })
			if exposed && t.conflicts(ctx, db, d, key, values, current) {
				r.Fields[key[0]] = fmt.Sprintf("Another row of %s already has this %s.", label, strings.Join(key, " and "))
				break
			}
		}
	case errors.Is(err, queries.ErrForeignKeyViolation):
		r.Cause, r.Msg = queries.ErrForeignKeyViolation, "A value refers to a row that does not exist."
		for _, fk := range t.Schema.ForeignKeys {
			if len(fk.Columns) == 1 {
				if v, ok := values[fk.Columns[0]]; ok && v != nil && !exists(ctx, db, d, fk.RefTable, fk.RefColumns[0], v) {
					r.Fields[fk.Columns[0]] = "No " + strings.ReplaceAll(fk.RefTable, "_", " ") + " row has this value."
				}
			}
		}
	case errors.Is(err, queries.ErrCheckViolation):
		name := checkName(err)
		r.Cause, r.Msg = queries.ErrCheckViolation, "The values break a rule of the table"
		if name != "" {
			r.Msg += " (" + name + ")"
		}
		r.Msg += "."
		for c := range values {
			if name != "" && slices.Contains(strings.FieldsFunc(strings.ToLower(name), func(r rune) bool { return r == '_' || r == '.' }), strings.ToLower(c)) {
				r.Fields[c] = "This value is not allowed by the rule " + name + "."
			}
		}
	case errors.Is(err, queries.ErrNotNullViolation):
		r.Cause, r.Msg = queries.ErrNotNullViolation, "A required value is missing."
	case errors.Is(err, queries.ErrTooLong):
		r.Cause, r.Msg = queries.ErrTooLong, "A value is too long for its column."
	case errors.Is(err, queries.ErrConflict):
		r.Cause, r.Msg = queries.ErrConflict, "The database was busy with a conflicting change; try again."
	default:
		return nil
	}
	return r
}

var checkNameRe = regexp.MustCompile("(?i)constraint(?: failed:)? [\"`']?([A-Za-z_][A-Za-z0-9_.]*)[\"`']?")

// checkName extracts the violated check constraint's name from a driver
// message, when it is a plain identifier.
func checkName(err error) string {
	all := checkNameRe.FindAllStringSubmatch(err.Error(), -1)
	if len(all) == 0 {
		return ""
	}
	return all[len(all)-1][1]
}

// conflicts reports whether another row already holds values for the
// unique key cols.
func (t *Table) conflicts(ctx context.Context, db queries.DBTX, d dialects.Dialect, cols []string, values map[string]any, current map[string]Cell) bool {
	q := NewSQL(d)
	q.W("SELECT 1 FROM ", q.Ident(t.Name), " WHERE ")
	for i, name := range cols {
		c, _ := t.Schema.Column(name)
		v, ok := values[name]
		if !ok && current != nil && !current[name].Null {
			var err error
			if v, err = Parse(c, current[name].Text); err != nil {
				return false
			}
		} else if !ok || v == nil {
			return false
		}
		if i > 0 {
			q.W(" AND ")
		}
		q.W(q.Ident(name), " = ", q.TypedArg(c, v))
	}
	if current != nil {
		key, err := t.KeyOf(current)
		if err != nil {
			return false
		}
		q.W(" AND NOT ").KeyMatch(t.PK, key)
	}
	q.W(" LIMIT 1")
	var one int
	return db.QueryRowContext(ctx, q.String(), q.Args()...).Scan(&one) == nil
}

func exists(ctx context.Context, db queries.DBTX, d dialects.Dialect, table, col string, v any) bool {
	q := NewSQL(d)
	q.W("SELECT 1 FROM ", q.Ident(table), " WHERE ", q.Ident(col), " = ", q.Arg(v), " LIMIT 1")
	var one int
	return db.QueryRowContext(ctx, q.String(), q.Args()...).Scan(&one) == nil
}
