package admin

import (
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/quarry-go/quarry/framework/audit"
	"github.com/quarry-go/quarry/framework/records"

	"github.com/quarry-go/quarry/framework"
	"github.com/quarry-go/quarry/framework/auth"
	"github.com/quarry-go/quarry/framework/introspect"
	"github.com/quarry-go/quarry/framework/middleware"
	"github.com/quarry-go/quarry/framework/textinput"
	"github.com/quarry-go/quarry/queries"
)

// fkSelectLimit is the largest target table offered as a drop-down; past
// it a foreign key is a text input with suggestions.
const fkSelectLimit = 200

type formPage struct {
	*base
	Label       string
	Adding      bool
	Action      string
	Fieldsets   []formFieldset
	FormError   string
	Version     string
	CanDelete   bool
	DeleteURL   string
	HistoryURL  string
	PasswordURL string
	ListURL     string
	RowLabel    string
	CanChange   bool
}

type formFieldset struct {
	Name, Description string
	Fields            []formField
}

type formField struct {
	Name      string
	ID        string
	Widget    string // text, textarea, number, checkbox, nullbool, date, datetime, time, json, select, fk, readonly
	Value     string
	Display   string // readonly text
	Link      string
	Required  bool
	Error     string
	Help      string
	MaxLength int
	Step      string
	Options   []option
	LookupURL string
	ListURL   string
	Nullable  bool
	Type      string // the column's SQL type, shown as the label's tooltip
	// Media is the file a reference to the media library holds (widget
	// media, or readonly), and ChooseURL the picker's list of files.
	Media     *mediaPreview
	ChooseURL string
}

type option struct {
	Value, Label string
	Selected     bool
}

// formState is a form being shown or read back: the row's current cells
// (nil when adding), what the user typed and the errors.
type formState struct {
	adding  bool
	current map[string]records.Cell
	typed   map[string]string // raw input by column, when re-rendering
	errs    map[string]string
	formErr string
	version string
}

// loadRow reads one row by its decoded key (records.Table.Get), within
// the rows the user may see.
func (rq *request) loadRow(db queries.DBTX, key []any, lock bool) (map[string]records.Cell, error) {
	m := rq.m
	return m.Get(rq.ctx(), db, rq.db.Dialect, key, lock, func(q *records.SQL) { rq.scope(m, q) })
}

// rowLabel names a row for titles and messages.
func (m *model) rowLabel(row map[string]records.Cell) string {
	if m.display != nil {
		if v := row[m.display.Name]; !v.Null && strings.TrimSpace(v.Text) != "" {
			return truncate(v.Text, 60)
		}
	}
	parts := make([]string, len(m.PK))
	for i, c := range m.PK {
		parts[i] = row[c.Name].Text
	}
	if len(parts) == 1 {
		return m.label + " #" + parts[0]
	}
	return m.label + " (" + strings.Join(parts, ", ") + ")"
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// keyFromPath decodes the {key} path segment, answering 400 when it is
// not storable text and 404 when it is no key of the table.
func (rq *request) keyFromPath() ([]any, bool) {
	key, _, err := rq.m.DecodeKey(rq.r.PathValue("key"))
	switch {
	case errors.Is(err, textinput.ErrInvalid):
		rq.fail(http.StatusBadRequest, fieldError(err))
		return nil, false
	case err != nil:
		rq.fail(http.StatusNotFound, "No "+rq.m.label+" has that key ("+err.Error()+").")
		return nil, false
	}
	return key, true
}

// rowFromPath loads the row the {key} path segment names, answering 404
// when the key is malformed or no row has it.
func (rq *request) rowFromPath() ([]any, map[string]records.Cell, bool) {
	key, ok := rq.keyFromPath()
	if !ok {
		return nil, nil, false
	}
	row, err := rq.loadRow(rq.db.DB, key, false)
	if errors.Is(err, queries.ErrNotFound) {
		rq.fail(http.StatusNotFound, "No "+rq.m.label+" has that key. It may have been deleted.")
		return nil, nil, false
	} else if err != nil {
		rq.internal(err)
		return nil, nil, false
	}
	return key, row, true
}

func (rq *request) redirectToChange() {
	if key, ok := rq.keyFromPath(); ok {
		rq.redirect(rq.rowURL(rq.m, rq.m.KeyText(key), "change"))
	}
}

func (rq *request) addForm() {
	rq.showForm(http.StatusOK, &formState{adding: true})
}

func (rq *request) changeForm() {
	_, row, ok := rq.rowFromPath()
	if !ok {
		return
	}
	rq.showForm(http.StatusOK, &formState{current: row, version: rq.m.Version(row)})
}

func (rq *request) showForm(status int, fs *formState) {
	m := rq.m
	title := "Add " + m.label
	var crumbs []crumb
	crumbs = append(crumbs, crumb{m.label, rq.tableURL(m)})
	p := formPage{Label: m.label, Adding: fs.adding, FormError: fs.formErr, Version: fs.version, ListURL: rq.tableURL(m),
		CanChange: fs.adding || rq.can("change", m) && !rq.superuserRow(fs.current)}
	if fs.adding {
		p.Action = rq.tableURL(m) + "add/"
		crumbs = append(crumbs, crumb{"Add", ""})
	} else {
		key := rq.m.RowKey(fs.current)
		p.RowLabel = m.rowLabel(fs.current)
		title = p.RowLabel
		p.Action = rq.rowURL(m, key, "change")
		p.CanDelete = rq.can("delete", m) && !rq.superuserRow(fs.current)
		p.DeleteURL = rq.rowURL(m, key, "delete")
		p.HistoryURL = rq.rowURL(m, key, "history")
		if m.Name == usersTable && p.CanChange {
			p.PasswordURL = rq.rowURL(m, key, "password")
		}
		crumbs = append(crumbs, crumb{p.RowLabel, ""})
	}
	p.base = rq.base(title, crumbs...)
	for _, set := range m.fieldsets {
		fset := formFieldset{Name: set.Name, Description: set.Description}
		for _, c := range set.Fields {
			if c.Auto && !m.ReadOnlyField(c.Name) || fs.adding && !m.Writable(c, true) && (c.Generated || c.HasDefault()) {
				continue // filled by the database; the key is in the page's title and URL
			}
			fset.Fields = append(fset.Fields, rq.field(c, fs))
		}
		if len(fset.Fields) > 0 {
			p.Fieldsets = append(p.Fieldsets, fset)
		}
	}
	rq.render(status, "form", p)
}

// field builds one form field's widget from the column.
func (rq *request) field(c *introspect.Column, fs *formState) formField {
	m := rq.m
	f := formField{Name: c.Name, ID: "f-" + c.Name, Error: fs.errs[c.Name], Nullable: c.Nullable, Type: c.Type, MaxLength: c.MaxLength}
	cur, hasCur := fs.current[c.Name]
	switch {
	case fs.typed != nil:
		f.Value = textinput.Clean(fs.typed[c.Name], 0) // what was typed, as text a page can hold
	case hasCur && !cur.Null:
		f.Value = cur.Text
	case fs.adding && c.DefaultLiteral:
		f.Value = c.DefaultValue
	}
	fk, isFK := m.FKs[c.Name]
	picker := isFK && rq.mediaPicks(fk)
	if !m.Writable(c, fs.adding) || !fs.adding && (!rq.can("change", m) || rq.superuserRow(fs.current)) || rq.locked(c.Name) {
		f.Widget = "readonly"
		switch {
		case !hasCur:
			f.Display = "—"
		case cur.Null:
			f.Display = "—"
		case picker:
			rq.mediaReadonly(&f, cur.Text)
		case isFK:
			f.Display = rq.fkLabels(rq.ctx(), fk, []string{cur.Text})[cur.Text]
			if target, ok := rq.st.models[fk.RefTable]; ok && rq.can("view", target) {
				f.Link = rq.refURL(target, cur.Text)
			}
		case c.Kind == introspect.KindBool:
			f.Display = map[string]string{"true": "yes", "false": "no"}[cur.Text]
		case c.Kind == introspect.KindDateTime:
			f.Display = strings.Replace(cur.Text, "T", " ", 1) + " UTC"
		default:
			f.Display = cur.Text
		}
		return f
	}
	f.Required = !c.Nullable && !(fs.adding && c.HasDefault()) && c.Kind != introspect.KindBool
	if fs.adding && c.HasDefault() && !c.DefaultLiteral && c.Default != "" {
		f.Help = "Leave empty for the default (" + truncate(c.Default, 40) + ")."
	}
	switch c.Kind {
	case introspect.KindLongText:
		f.Widget = "textarea"
	case introspect.KindInt:
		f.Widget, f.Step = "number", "1"
	case introspect.KindFloat:
		f.Widget, f.Step = "number", "any"
	case introspect.KindDecimal:
		f.Widget = "decimal"
	case introspect.KindBool:
		f.Widget = "checkbox"
		if c.Nullable {
			f.Widget = "select"
			f.Options = []option{{"", "Unknown", f.Value == ""}, {"true", "Yes", f.Value == "true"}, {"false", "No", f.Value == "false"}}
		}
	case introspect.KindDate:
		f.Widget = "date"
	case introspect.KindDateTime:
		f.Widget = "datetime"
		if i := strings.LastIndex(f.Value, "."); i >= 0 && len(f.Value)-i-1 > 3 {
			f.Widget = "text" // the browser's picker keeps milliseconds at most
		}
		f.Help = strings.TrimSpace("Time in UTC. " + f.Help)
	case introspect.KindTime:
		f.Widget = "time"
	case introspect.KindJSON:
		f.Widget = "json"
	case introspect.KindEnum:
		f.Widget = "select"
		if c.Nullable || fs.adding && !c.DefaultLiteral {
			f.Options = append(f.Options, option{"", "—", f.Value == ""})
		}
		for _, v := range c.Enum {
			f.Options = append(f.Options, option{v, v, v == f.Value})
		}
	default:
		f.Widget = "text"
	}
	switch {
	case picker:
		rq.mediaWidget(&f)
	case isFK:
		rq.fkWidget(&f, fk)
	}
	return f
}

// fkWidget makes a foreign key a drop-down of the target's rows, or a
// text input with suggestions when the target is large.
func (rq *request) fkWidget(f *formField, fk introspect.ForeignKey) {
	target, ok := rq.st.models[fk.RefTable]
	if !ok || !rq.can("view", target) {
		return
	}
	ref, _ := target.Schema.Column(fk.RefColumns[0])
	f.ListURL = rq.tableURL(target)
	n, err := rq.count(target, nil, fkSelectLimit)
	if err != nil || n > fkSelectLimit {
		f.Widget = "fk"
		f.LookupURL = rq.tableURL(target) + "lookup"
		if f.Value != "" {
			f.Display = rq.fkLabels(rq.ctx(), fk, []string{f.Value})[f.Value]
		}
		return
	}
	cols := []*introspect.Column{ref}
	q := records.NewSQL(rq.db.Dialect)
	q.W("SELECT ", q.Ident(ref.Name))
	if target.display != nil {
		cols = append(cols, target.display)
		q.W(", ", q.Ident(target.display.Name))
	}
	q.W(" FROM ", q.Ident(target.Name))
	rq.scope(target, q)
	q.W(" ORDER BY ")
	if target.display != nil {
		q.W(q.Ident(target.display.Name), ", ")
	}
	q.W(q.Ident(ref.Name), " LIMIT ", fmt.Sprint(fkSelectLimit))
	rows, err := q.Query(rq.ctx(), rq.db.DB, cols)
	if err != nil {
		rq.logErr(slog.LevelWarn, "admin: foreign key choices", err, "table", target.Name)
		return
	}
	f.Widget = "select"
	f.Options = []option{{"", "—", f.Value == ""}}
	for _, r := range rows {
		label := target.label + " #" + r[0].Text
		if len(r) > 1 && !r[1].Null {
			label = truncate(r[1].Text, 80)
		}
		f.Options = append(f.Options, option{r[0].Text, label, r[0].Text == f.Value})
	}
}

// readForm reads the posted form into values to write, checking each
// against its column. On change, only columns whose value differs from
// current are returned.
func (rq *request) readForm(fs *formState) (cols []*introspect.Column, vals []any) {
	m := rq.m
	form := rq.r.PostForm
	fs.typed, fs.errs = map[string]string{}, map[string]string{}
	for _, c := range m.Columns {
		if !m.Writable(c, fs.adding) || rq.locked(c.Name) {
			continue
		}
		text, present := form.Get(c.Name), form.Has(c.Name)
		if c.Kind == introspect.KindBool && !c.Nullable {
			text = map[bool]string{true: "true", false: "false"}[present && text != "" && text != "false"]
		}
		fs.typed[c.Name] = text
		blank := strings.TrimSpace(text) == ""
		var val any
		switch {
		case blank && fs.adding && c.HasDefault():
			continue // the database's default
		case blank && c.Nullable:
			val = nil
		case text == "" && !fs.adding && fs.current[c.Name] == (records.Cell{}):
			val = "" // an empty text that is already stored
		case blank && c.Kind != introspect.KindText && c.Kind != introspect.KindLongText || text == "":
			fs.errs[c.Name] = "This field is required."
			continue
		default:
			v, err := records.Parse(c, text)
			if err == nil && m.Name == usersTable && c.Name == "username" {
				err = auth.CheckUsername(text)
			}
			if validate := m.validators[c.Name]; err == nil && validate != nil {
				err = validate(text)
			}
			if fk, ok := m.FKs[c.Name]; err == nil && ok && rq.mediaRef(fk) && (fs.adding || records.ToCell(c, v).Text != fs.current[c.Name].Text) {
				err = rq.checkMediaRef(v)
			}
			if err != nil {
				fs.errs[c.Name] = fieldError(err)
				continue
			}
			val = v
		}
		if !fs.adding {
			cur := fs.current[c.Name]
			if val == nil && cur.Null || val != nil && !cur.Null && records.ToCell(c, val).Text == cur.Text {
				continue
			}
		}
		cols = append(cols, c)
		vals = append(vals, val)
	}
	return cols, vals
}

// fieldError is err's message as a sentence for the page: capitalised,
// with one full stop.
func fieldError(err error) string {
	return upperFirst(strings.TrimSuffix(err.Error(), ".")) + "."
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func (rq *request) addSave() {
	fs := &formState{adding: true}
	cols, vals := rq.readForm(fs)
	if len(fs.errs) > 0 {
		fs.formErr = "Please correct the errors below."
		rq.showForm(http.StatusUnprocessableEntity, fs)
		return
	}
	m := rq.m
	var row map[string]records.Cell
	err := rq.inTx(func(ftx *framework.Tx) error {
		tx := ftx.Tx
		key, err := rq.insert(tx, cols, vals)
		if err != nil {
			return err
		}
		row, err = rq.loadRow(tx, key, false)
		if err != nil {
			return err
		}
		changes := map[string][2]any{}
		for _, c := range m.Columns {
			if v := row[c.Name]; !v.Null {
				changes[c.Name] = [2]any{nil, v.Text}
			}
		}
		return rq.audit(tx, "create", rq.m.RowKey(row), changes)
	})
	if err != nil {
		rq.saveError(fs, cols, vals, err)
		return
	}
	rq.flash(fmt.Sprintf("Added “%s” to %s.", m.rowLabel(row), m.label))
	rq.afterSave(row)
}

func (rq *request) changeSave() {
	key, current, ok := rq.rowFromPath()
	if !ok {
		return
	}
	m := rq.m
	if rq.superuserRow(current) {
		rq.fail(http.StatusForbidden, "Only a superuser may change a superuser.")
		return
	}
	fs := &formState{current: current, version: rq.r.PostForm.Get("_version")}
	cols, vals := rq.readForm(fs)
	if len(fs.errs) > 0 {
		fs.formErr = "Please correct the errors below."
		rq.showForm(http.StatusUnprocessableEntity, fs)
		return
	}
	var after map[string]records.Cell
	err := rq.inTx(func(ftx *framework.Tx) error {
		tx := ftx.Tx
		before, err := rq.loadRow(tx, key, true)
		if err != nil {
			return err
		}
		if fs.version != m.Version(before) {
			return errStale
		}
		if rq.superuserRow(before) {
			return errSuperusersOnly
		}
		if _, err := m.Update(rq.ctx(), tx, rq.db.Dialect, key, cols, vals); err != nil {
			return err
		}
		after, err = rq.loadRow(tx, key, false)
		if err != nil {
			return err
		}
		changes := map[string][2]any{}
		for _, c := range m.Columns {
			b, a := before[c.Name], after[c.Name]
			if b != a {
				changes[c.Name] = [2]any{cellJSON(b), cellJSON(a)}
			}
		}
		if len(changes) == 0 {
			return nil
		}
		return rq.audit(tx, "update", rq.m.RowKey(after), changes)
	})
	if errors.Is(err, errSuperusersOnly) {
		rq.fail(http.StatusForbidden, "Only a superuser may change a superuser.")
		return
	}
	if errors.Is(err, errStale) {
		fresh, lerr := rq.loadRow(rq.db.DB, key, false)
		if lerr != nil {
			rq.fail(http.StatusConflict, "This row of "+m.label+" was changed or deleted by someone else. Reload it and try again.")
			return
		}
		fs.current, fs.version = fresh, m.Version(fresh)
		fs.formErr = "Someone else changed this row while you were editing it. Their values are kept below next to what you typed; check them and save again."
		rq.showForm(http.StatusConflict, fs)
		return
	}
	if err != nil {
		rq.saveError(fs, cols, vals, err)
		return
	}
	if len(cols) == 0 {
		rq.flash(fmt.Sprintf("Nothing to save: “%s” in %s is unchanged.", m.rowLabel(after), m.label))
	} else {
		rq.flash(fmt.Sprintf("Changed “%s” in %s.", m.rowLabel(after), m.label))
	}
	rq.afterSave(after)
}

var errStale = errors.New("admin: row changed since the form was shown")

func cellJSON(c records.Cell) any {
	if c.Null {
		return nil
	}
	return c.Text
}

func (rq *request) afterSave(row map[string]records.Cell) {
	m := rq.m
	switch {
	case rq.r.PostForm.Has("_addanother"):
		rq.redirect(rq.tableURL(m) + "add/")
	case rq.r.PostForm.Has("_continue"):
		rq.redirect(rq.rowURL(m, rq.m.RowKey(row), "change"))
	case m.Name == usersTable && framework.BasePath(rq.ctx())+rq.r.URL.Path == rq.tableURL(m)+"add/" && rq.can("change", m):
		rq.flash("Now set a password: until then the user cannot log in.")
		rq.redirect(rq.rowURL(m, rq.m.RowKey(row), "password"))
	default:
		rq.redirect(rq.tableURL(m))
	}
}

// insert writes a new row and returns its key.
func (rq *request) insert(tx *sql.Tx, cols []*introspect.Column, vals []any) ([]any, error) {
	return rq.m.Insert(rq.ctx(), tx, rq.db.Dialect, cols, vals)
}

// inTx runs fn in a transaction of the request's database (see
// framework.Database.InTx: committed when fn returns nil, run again when
// it loses a deadlock). A write to a table that decides permissions moves
// the permissions version in the same transaction, once, so cached
// permission sets are read again.
func (rq *request) inTx(fn func(*framework.Tx) error) error {
	return rq.db.InTx(rq.ctx(), nil, func(tx *framework.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		if rq.m != nil && auth.DecidesPermissions(rq.m.Name) {
			return auth.New(tx).PermissionsChanged(rq.ctx())
		}
		return nil
	})
}

// audit records an admin write (audit.Record) in the write's transaction
// tx, with the changed fields' before and after.
func (rq *request) audit(tx *sql.Tx, action, objectID string, changes map[string][2]any) error {
	return audit.Record(rq.ctx(), &framework.Tx{Tx: tx, Dialect: rq.db.Dialect}, audit.Entry{ActorID: rq.user.ID,
		Action: "admin." + action, Table: rq.m.Name, ObjectID: objectID, Changes: changes}.FromRequest(rq.r))
}

// saveError turns a failed write into field or form errors (status 422),
// or an error page for what the user cannot fix.
func (rq *request) saveError(fs *formState, cols []*introspect.Column, vals []any, err error) {
	m := rq.m
	values := map[string]any{}
	for i, c := range cols {
		values[c.Name] = vals[i]
	}
	refusal := m.Explain(rq.ctx(), rq.db.DB, rq.db.Dialect, err, m.label, values, fs.current)
	if refusal == nil {
		rq.internal(err)
		return
	}
	if fs.errs == nil {
		fs.errs = map[string]string{}
	}
	fs.formErr = refusal.Msg
	if errors.Is(refusal, queries.ErrConflict) {
		fs.formErr = "The database was busy with a conflicting change; save again."
	}
	for name, msg := range refusal.Fields {
		fs.errs[name] = msg
		if !errors.Is(refusal, queries.ErrCheckViolation) {
			fs.formErr = "Please correct the errors below."
		}
	}
	rq.a.log.InfoContext(rq.ctx(), "admin: write refused by the database", "table", m.Name, "error", err, "request_id", middleware.RequestIDFrom(rq.ctx()))
	rq.showForm(http.StatusUnprocessableEntity, fs)
}
