package api

import (
	"encoding/json"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/quarry-go/quarry/framework/introspect"
	"github.com/quarry-go/quarry/framework/records"
)

// object is a JSON object whose members keep their order: a row's
// columns in table order, written from its cells, then its other members
// (its expansions). It encodes itself without reflection (rows are most
// of a list's answer).
type object struct {
	shape rowShape
	cells []records.Cell // the row as read; shape says which are members
	keys  []string
	vals  []any
}

// rowShape is the columns a row's object answers, cols[i] being the
// row's cell at[i]: the same for every row of a list.
type rowShape struct {
	cols []*introspect.Column
	at   []int
}

// shapeOf is the shape of rows read as cols, answering the exposed
// columns among them (a list also reads the key and the order's columns,
// which the resource may exclude) that fields names (all when nil).
func shapeOf(exposed, cols []*introspect.Column, fields map[string]bool) rowShape {
	var s rowShape
	for i, c := range cols {
		if (fields == nil || fields[c.Name]) && slices.Contains(exposed, c) {
			s.cols = append(s.cols, c)
			s.at = append(s.at, i)
		}
	}
	return s
}

// object is the object of a row read as cells.
func (s rowShape) object(cells []records.Cell) *object { return &object{shape: s, cells: cells} }

// set sets key's value, adding the key at the end if it is new; key is
// not one of the row's columns.
func (o *object) set(key string, v any) {
	for i, k := range o.keys {
		if k == key {
			o.vals[i] = v
			return
		}
	}
	o.keys = append(o.keys, key)
	o.vals = append(o.vals, v)
}

// members calls fn with each member, in order.
func (o *object) members(fn func(key string, v any)) {
	for i, c := range o.shape.cols {
		fn(c.Name, cellValue(c, o.cells[o.shape.at[i]]))
	}
	for i, k := range o.keys {
		fn(k, o.vals[i])
	}
}

// MarshalJSON implements json.Marshaler.
func (o *object) MarshalJSON() ([]byte, error) { return o.appendJSON(nil) }

func (o *object) appendJSON(b []byte) ([]byte, error) {
	b = append(b, '{')
	for i, c := range o.shape.cols {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, c.Name)
		b = append(b, ':')
		if cell := o.cells[o.shape.at[i]]; cell.Null {
			b = append(b, "null"...)
		} else {
			b = appendCell(b, cellJSON{c, cell.Text})
		}
	}
	for i, k := range o.keys {
		if i > 0 || len(o.shape.cols) > 0 {
			b = append(b, ',')
		}
		b = appendString(b, k)
		b = append(b, ':')
		var err error
		if b, err = appendValue(b, o.vals[i]); err != nil {
			return nil, err
		}
	}
	return append(b, '}'), nil
}

// appendValue appends v's JSON: the values rows hold directly, anything
// else through encoding/json.
func appendValue(b []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case string:
		return appendString(b, x), nil
	case json.Number:
		return append(b, x...), nil
	case bool:
		return strconv.AppendBool(b, x), nil
	case json.RawMessage:
		return append(b, x...), nil
	case cellJSON:
		return appendCell(b, x), nil
	case *object:
		return x.appendJSON(b)
	case []any:
		b = append(b, '[')
		for i, e := range x {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = appendValue(b, e); err != nil {
				return nil, err
			}
		}
		return append(b, ']'), nil
	}
	j, err := json.Marshal(v)
	return append(b, j...), err
}

// appendString appends s as a JSON string, escaped as encoding/json
// escapes it with HTML escaping on (<, > and & too).
func appendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' || c >= utf8.RuneSelf {
			j, _ := json.Marshal(s) // the rare string that needs escaping or checking
			return append(b, j...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}
