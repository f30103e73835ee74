package admin

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
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
// against its primary-key column.
func (m *model) decodeKey(raw string) ([]any, []string, error) {
	if len(m.pk) == 0 {
		return nil, nil, errors.New("this table has no primary key")
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
		v, err := parseValue(m.pk[i], s)
		if err != nil {
			return nil, nil, fmt.Errorf("malformed row key: %s %s", m.pk[i].Name, err)
		}
		vals[i], texts[i] = v, s
	}
	return vals, texts, nil
}
