package records

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/quarry-go/quarry/framework/textinput"
)

// A row's key in URLs and forms: its primary-key values as text, each
// query-escaped (so commas inside are %2C), joined by commas. A router
// path-unescapes the segment once; DecodeKey splits and unescapes the
// parts.

// EncodeKey joins a key's texts into one URL segment.
func EncodeKey(parts []string) string {
	esc := make([]string, len(parts))
	for i, p := range parts {
		esc[i] = url.QueryEscape(p)
	}
	return strings.Join(esc, ",")
}

// DecodeKey parses an encoded key into values to bind, checking each part
// against its primary-key column, and returns them with their texts. A
// key that is not storable text (see package textinput), escaped once or
// twice, is a *textinput.Error: a bad request rather than a row that does
// not exist.
func (t *Table) DecodeKey(raw string) ([]any, []string, error) {
	if len(t.PK) == 0 {
		return nil, nil, errors.New("this table has no primary key")
	}
	if err := textinput.Check("the row key", raw, 0); err != nil {
		return nil, nil, err
	}
	if raw == "" || len(raw) > 2048 {
		return nil, nil, errors.New("malformed row key")
	}
	parts := strings.Split(raw, ",")
	if len(parts) != len(t.PK) {
		return nil, nil, fmt.Errorf("malformed row key: want %d part(s)", len(t.PK))
	}
	vals := make([]any, len(parts))
	texts := make([]string, len(parts))
	for i, p := range parts {
		s, err := url.QueryUnescape(p)
		if err != nil {
			return nil, nil, errors.New("malformed row key")
		}
		if err := textinput.Check("the row key", s, 0); err != nil {
			return nil, nil, err
		}
		v, err := Parse(t.PK[i], s)
		if err != nil {
			return nil, nil, fmt.Errorf("malformed row key: %s %s", t.PK[i].Name, err)
		}
		vals[i], texts[i] = v, s
	}
	return vals, texts, nil
}

// KeyText is the canonical encoded key of decoded key values ("03" is
// row 3), as row URLs and the audit log write it.
func (t *Table) KeyText(key []any) string {
	return EncodeKey(t.KeyParts(key))
}

// KeyParts are the canonical texts of decoded key values.
func (t *Table) KeyParts(key []any) []string {
	out := make([]string, len(key))
	for i, c := range t.PK {
		out[i] = ToCell(c, key[i]).Text
	}
	return out
}

// RowKey is the encoded key of a row read by Get.
func (t *Table) RowKey(row map[string]Cell) string {
	parts := make([]string, len(t.PK))
	for i, c := range t.PK {
		parts[i] = row[c.Name].Text
	}
	return EncodeKey(parts)
}

// KeyOf parses the key of a row read by Get into values to bind.
func (t *Table) KeyOf(row map[string]Cell) ([]any, error) {
	key := make([]any, len(t.PK))
	for i, c := range t.PK {
		v, err := Parse(c, row[c.Name].Text)
		if err != nil {
			return nil, fmt.Errorf("records: key column %s: %w", c.Name, err)
		}
		key[i] = v
	}
	return key, nil
}
