package admin

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/quarry-go/quarry/framework/textinput"
)

// A row's key in URLs and forms: its primary-key values as text, each
// query-escaped (so commas inside are %2C), joined by commas. The router
// path-unescapes the segment once; decodeKey splits and unescapes the parts.

func encodeKey(parts []string) string {
	esc := make([]string, len(parts))
	for i, p := range parts {
		esc[i] = url.QueryEscape(p)
	}
	return strings.Join(esc, ",")
}

// decodeKey parses an encoded key into values to bind, checking each part
// against its primary-key column. A key that is not storable text (see
// package textinput), escaped once or twice, is a *textinput.Error: a bad
// request rather than a row that does not exist.
func (m *model) decodeKey(raw string) ([]any, []string, error) {
	if len(m.pk) == 0 {
		return nil, nil, errors.New("this table has no primary key")
	}
	if err := textinput.Check("the row key", raw, 0); err != nil {
		return nil, nil, err
	}
	if raw == "" || len(raw) > 2048 {
		return nil, nil, errors.New("malformed row key")
	}
	parts := strings.Split(raw, ",")
	if len(parts) != len(m.pk) {
		return nil, nil, fmt.Errorf("malformed row key: want %d part(s)", len(m.pk))
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
		v, err := parseValue(m.pk[i], s)
		if err != nil {
			return nil, nil, fmt.Errorf("malformed row key: %s %s", m.pk[i].Name, err)
		}
		vals[i], texts[i] = v, s
	}
	return vals, texts, nil
}

// keyText is the canonical encoded key of decoded key values ("03" is
// row 3), as row URLs and the audit log write it.
func (m *model) keyText(key []any) string {
	return encodeKey(m.keyParts(key))
}

// keyParts are the canonical texts of decoded key values.
func (m *model) keyParts(key []any) []string {
	t := make([]string, len(key))
	for i, c := range m.pk {
		t[i] = toCell(c, key[i]).Text
	}
	return t
}
