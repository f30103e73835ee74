package schemadiff

import (
	"fmt"
	"slices"

	"ariga.io/atlas/sql/schema"
)

// enumNarrowing reports whether c only removes values from an enum type
// (PostgreSQL), and which: PostgreSQL cannot drop an enum value, so the
// down of a migration that added values leaves them in place.
func enumNarrowing(c schema.Change) (name string, removed []string, ok bool) {
	m, isMod := c.(*schema.ModifyObject)
	if !isMod {
		return "", nil, false
	}
	from, ok1 := m.From.(*schema.EnumType)
	to, ok2 := m.To.(*schema.EnumType)
	if !ok1 || !ok2 {
		return "", nil, false
	}
	for _, v := range to.Values {
		if !slices.Contains(from.Values, v) {
			return "", nil, false
		}
	}
	for _, v := range from.Values {
		if !slices.Contains(to.Values, v) {
			removed = append(removed, v)
		}
	}
	return to.T, removed, len(removed) > 0
}

// withoutEnumNarrowing drops the enum narrowings from changes and returns
// a note for each, to stand in the down migration.
func withoutEnumNarrowing(changes []schema.Change) ([]schema.Change, []string) {
	var kept []schema.Change
	var notes []string
	for _, c := range changes {
		if name, removed, ok := enumNarrowing(c); ok {
			notes = append(notes, fmt.Sprintf("PostgreSQL cannot drop enum values: %q stay in type %s", removed, name))
			continue
		}
		kept = append(kept, c)
	}
	return kept, notes
}
