package admin

import (
	"slices"
	"strings"

	"github.com/quarry-go/quarry/framework/introspect"
)

// model is one table as the admin shows it: the schema refined by options.
type model struct {
	t         *introspect.Table
	name      string
	label     string
	group     string
	framework bool
	readOnly  bool
	pk        []*introspect.Column
	fields    []*introspect.Column // shown in forms and exports, in table order
	list      []*introspect.Column
	search    []*introspect.Column
	filters   []*introspect.Column
	ordering  []orderTerm
	perPage   int
	display   *introspect.Column
	readonly  map[string]bool
	fieldsets []fieldset
	fks       map[string]introspect.ForeignKey // single-column foreign keys by column
	actions   []Action
	// validators check form values by column (see Table.Validators).
	validators map[string]Validator
	// auditLog is the audit log, whose rows a user sees only for the
	// tables they may view (see request.scope).
	auditLog bool
	// managed tables are edited in the media library (Options.Media):
	// their generic pages lead there (see request.managedRoute).
	managed bool
}

type fieldset struct {
	Name, Description string
	Fields            []*introspect.Column
}

type orderTerm struct {
	col  *introspect.Column
	desc bool
}

const (
	defaultPerPage = 50
	maxPerPage     = 500
)

var perPageChoices = []int{25, 50, 100, 200, 500}

var displayNames = []string{"name", "title", "username", "label", "email", "slug", "codename"}

// newModel builds the table's model; guess gives text columns the
// validators their names suggest.
func newModel(t *introspect.Table, cfg Table, guess bool) *model {
	m := &model{t: t, name: t.Name, label: cfg.Label, group: cfg.Group, readOnly: cfg.ReadOnly || len(t.PrimaryKey) == 0,
		framework: strings.HasPrefix(t.Name, "quarry_"), perPage: cfg.PerPage, readonly: map[string]bool{},
		fks: map[string]introspect.ForeignKey{}, actions: cfg.Actions, validators: map[string]Validator{}, auditLog: t.Name == auditTable}
	if m.label == "" {
		m.label = strings.ReplaceAll(strings.TrimPrefix(t.Name, "quarry_"), "_", " ")
	}
	if m.group == "" {
		m.group = "Application"
		if m.framework {
			m.group = "Framework"
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
	for _, n := range t.PrimaryKey {
		m.pk = append(m.pk, col(n))
	}
	for _, fk := range t.ForeignKeys {
		if len(fk.Columns) == 1 {
			m.fks[fk.Columns[0]] = fk
		}
	}
	for _, c := range t.Columns {
		if !slices.Contains(cfg.Exclude, c.Name) {
			m.fields = append(m.fields, c)
		}
	}
	for _, n := range cfg.ReadonlyFields {
		m.readonly[n] = true
	}
	for _, c := range m.fields {
		v, set := cfg.Validators[c.Name]
		if !set && guess {
			v = defaultValidator(c)
		}
		if v != nil {
			m.validators[c.Name] = v
		}
	}
	visible := func(c *introspect.Column) bool { return slices.Contains(m.fields, c) }

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
			for _, c := range m.fields {
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
		m.list = append(m.list, m.pk...)
		for _, c := range m.fields {
			if len(m.list) >= 6 {
				break
			}
			if !slices.Contains(m.list, c) && c.Kind != introspect.KindLongText && c.Kind != introspect.KindBinary && c.Kind != introspect.KindJSON {
				m.list = append(m.list, c)
			}
		}
	}
	if len(cfg.SearchFields) > 0 {
		m.search = cols(cfg.SearchFields)
	} else {
		for _, c := range m.fields {
			if c.Kind == introspect.KindText && len(m.search) < 4 {
				m.search = append(m.search, c)
			}
		}
	}
	if len(cfg.ListFilter) > 0 {
		m.filters = cols(cfg.ListFilter)
	} else {
		for _, c := range m.fields {
			_, isFK := m.fks[c.Name]
			switch {
			case c.Kind == introspect.KindBool, c.Kind == introspect.KindEnum, c.Kind == introspect.KindDate, c.Kind == introspect.KindDateTime, isFK:
				if len(m.filters) < 6 {
					m.filters = append(m.filters, c)
				}
			}
		}
	}
	for _, o := range cfg.Ordering {
		m.ordering = append(m.ordering, orderTerm{col: col(strings.TrimPrefix(o, "-")), desc: strings.HasPrefix(o, "-")})
	}
	if len(m.ordering) == 0 {
		for _, c := range m.pk {
			m.ordering = append(m.ordering, orderTerm{col: c, desc: true})
		}
	}
	if len(m.ordering) == 0 && len(m.fields) > 0 {
		m.ordering = []orderTerm{{col: m.fields[0]}}
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
	for _, c := range m.fields {
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
	return m
}

// column returns a visible column by name: the check every column name
// from a request goes through.
func (m *model) column(name string) (*introspect.Column, bool) {
	for _, c := range m.fields {
		if c.Name == name {
			return c, true
		}
	}
	return nil, false
}

// writable reports whether a form may set the column.
func (m *model) writable(c *introspect.Column, adding bool) bool {
	if !editable(c) || m.readonly[c.Name] {
		return false
	}
	if c.Auto {
		return false // the database assigns it
	}
	if slices.Contains(m.t.PrimaryKey, c.Name) && !adding {
		return false // a key is fixed once the row exists
	}
	return true
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
