package admin

import (
	"fmt"
	"slices"
	"strings"

	"github.com/quarry-go/quarry/framework/records"

	"github.com/quarry-go/quarry/framework/introspect"
)

// model is one table as the admin shows it: the engine's table (the
// schema refined by options) and how its pages present it.
type model struct {
	*records.Table
	label     string
	group     string
	framework bool
	list      []*introspect.Column
	filters   []*introspect.Column
	perPage   int
	display   *introspect.Column
	fieldsets []fieldset
	actions   []Action
	// validators check form values by column (see Table.Validators).
	validators map[string]Validator
	// auditLog is the audit log, whose rows a user sees only for the
	// tables they may view (see request.scope).
	auditLog bool
	// managed tables are edited in the media library (Options.Media):
	// their generic pages lead there (see request.managedRoute).
	managed bool
	// keyOf is the table a view's rows link to (Table.KeyOf).
	keyOf string
}

type fieldset struct {
	Name, Description string
	Fields            []*introspect.Column
}

const (
	defaultPerPage = 50
	maxPerPage     = 500
)

var perPageChoices = []int{25, 50, 100, 200, 500}

var displayNames = []string{"name", "title", "username", "label", "email", "slug", "codename"}

// newModel builds the table's model; guess gives text columns the
// validators their names suggest. It fails when cfg names a column the
// table does not have (checkOptions has said which).
func newModel(t *introspect.Table, cfg Table, guess bool) (*model, error) {
	tbl, err := records.New(t, records.Options{Exclude: cfg.Exclude, ReadOnlyFields: cfg.ReadonlyFields,
		Search: cfg.SearchFields, Ordering: cfg.Ordering, ReadOnly: cfg.ReadOnly, Key: cfg.Key})
	if err != nil {
		return nil, fmt.Errorf("admin: %w", err)
	}
	m := &model{Table: tbl, label: cfg.Label, group: cfg.Group,
		framework: strings.HasPrefix(t.Name, "quarry_"), perPage: cfg.PerPage,
		actions: cfg.Actions, validators: map[string]Validator{}, auditLog: t.Name == auditTable, keyOf: cfg.KeyOf}
	if m.label == "" {
		m.label = strings.ReplaceAll(strings.TrimPrefix(t.Name, "quarry_"), "_", " ")
	}
	if m.group == "" {
		switch {
		case t.View:
			m.group = "Views"
		case m.framework:
			m.group = "Framework"
		default:
			m.group = "Application"
		}
	}
	if m.perPage == 0 {
		m.perPage = defaultPerPage
	}
	col := func(n string) *introspect.Column { c, _ := t.Column(n); return c }
	cols := func(names []string) []*introspect.Column {
		out := make([]*introspect.Column, 0, len(names))
		for _, n := range names {
			out = append(out, col(n))
		}
		return out
	}
	for _, c := range m.Columns {
		v, set := cfg.Validators[c.Name]
		if !set && guess {
			v = defaultValidator(c)
		}
		if v != nil {
			m.validators[c.Name] = v
		}
	}
	visible := func(c *introspect.Column) bool { return slices.Contains(m.Columns, c) }

	// The row's name.
	if cfg.Display != "" {
		m.display = col(cfg.Display)
	} else {
		for _, n := range displayNames {
			if c := col(n); c != nil && visible(c) {
				m.display = c
				break
			}
		}
		if m.display == nil {
			for _, c := range m.Columns {
				if c.Kind == introspect.KindText && !slices.Contains(t.PrimaryKey, c.Name) {
					m.display = c
					break
				}
			}
		}
	}

	if len(cfg.ListDisplay) > 0 {
		m.list = cols(cfg.ListDisplay)
	} else {
		m.list = append(m.list, m.PK...)
		for _, c := range m.Columns {
			if len(m.list) >= 6 {
				break
			}
			if !slices.Contains(m.list, c) && c.Kind != introspect.KindLongText && c.Kind != introspect.KindBinary && c.Kind != introspect.KindJSON {
				m.list = append(m.list, c)
			}
		}
	}
	if len(cfg.ListFilter) > 0 {
		m.filters = cols(cfg.ListFilter)
	} else {
		for _, c := range m.Columns {
			_, isFK := m.FKs[c.Name]
			switch {
			case c.Kind == introspect.KindBool, c.Kind == introspect.KindEnum, c.Kind == introspect.KindDate, c.Kind == introspect.KindDateTime, isFK:
				if len(m.filters) < 6 {
					m.filters = append(m.filters, c)
				}
			}
		}
	}

	placed := map[string]bool{}
	for _, fs := range cfg.Fieldsets {
		f := fieldset{Name: fs.Name, Description: fs.Description}
		for _, c := range cols(fs.Fields) {
			if visible(c) {
				f.Fields = append(f.Fields, c)
				placed[c.Name] = true
			}
		}
		m.fieldsets = append(m.fieldsets, f)
	}
	var rest []*introspect.Column
	for _, c := range m.Columns {
		if !placed[c.Name] {
			rest = append(rest, c)
		}
	}
	if len(rest) > 0 {
		name := ""
		if len(m.fieldsets) > 0 {
			name = "Other"
		}
		m.fieldsets = append(m.fieldsets, fieldset{Name: name, Fields: rest})
	}
	return m, nil
}

// action returns the named custom action.
func (m *model) action(name string) (Action, bool) {
	for _, a := range m.actions {
		if a.Name == name {
			return a, true
		}
	}
	return Action{}, false
}
