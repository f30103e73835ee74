package records

import (
	"context"

	"github.com/quarry-go/quarry/dialects"
	"github.com/quarry-go/quarry/framework/introspect"
	"github.com/quarry-go/quarry/queries"
)

// MaxCascadeDepth bounds how far Cascade follows ON DELETE CASCADE.
const MaxCascadeDepth = 10

// Actions of an Effect: what the database does to the rows referring to
// deleted rows.
const (
	EffectDelete     = "delete"      // ON DELETE CASCADE
	EffectSetNull    = "set null"    // ON DELETE SET NULL
	EffectSetDefault = "set default" // ON DELETE SET DEFAULT
	EffectRestrict   = "restrict"    // RESTRICT, NO ACTION: the delete fails while they exist
)

// Effect is what deleting a set of rows does to the rows of another table
// that refer to them through one foreign key.
type Effect struct {
	Table  string
	FK     introspect.ForeignKey
	Action string // one of the Effect* constants
	Count  int64
	// Set writes the condition selecting those rows (to show some).
	Set func(*SQL)
	// Depth counts the foreign keys between them and the deleted rows
	// (1: they refer to them directly).
	Depth int
	// TooDeep marks a cascade MaxCascadeDepth keys away: not followed.
	TooDeep bool
}

// Cascade previews deleting the rows of table root that set selects: the
// rows of every table whose foreign keys refer to them (and, through ON
// DELETE CASCADE, to the rows deleted with them), by what the database
// would do to them, with their counts; tables with no such row are left
// out. follow, when set, is asked before a cascade is followed into the
// rows it deletes (the admin stops where the user may not delete).
func Cascade(ctx context.Context, db queries.DBTX, d dialects.Dialect, s *introspect.Schema, root string, set func(*SQL), follow func(Effect) bool) ([]Effect, error) {
	var out []Effect
	var walk func(table string, set func(*SQL), depth int) error
	walk = func(table string, parentSet func(*SQL), depth int) error {
		for _, ref := range s.ReferencesTo(table) {
			childSet := func(q *SQL) {
				// (child.fk...) IN (SELECT parent.ref... FROM parent WHERE set)
				if len(ref.FK.Columns) == 1 {
					q.W(q.Ident(ref.FK.Columns[0]))
				} else {
					q.W("(")
					for i, c := range ref.FK.Columns {
						if i > 0 {
							q.W(", ")
						}
						q.W(q.Ident(c))
					}
					q.W(")")
				}
				q.W(" IN (SELECT ")
				for i, c := range ref.FK.RefColumns {
					if i > 0 {
						q.W(", ")
					}
					q.W(q.Ident(c))
				}
				q.W(" FROM ", q.Ident(table), " WHERE ")
				parentSet(q)
				q.W(")")
				if ref.Table == root {
					q.W(" AND NOT ") // rows being deleted anyway (self-references)
					set(q)
				}
			}
			q := NewSQL(d)
			q.W("SELECT COUNT(*) FROM ", q.Ident(ref.Table), " WHERE ")
			childSet(q)
			var n int64
			if err := db.QueryRowContext(ctx, q.String(), q.Args()...).Scan(&n); err != nil {
				return err
			}
			if n == 0 {
				continue
			}
			e := Effect{Table: ref.Table, FK: ref.FK, Count: n, Set: childSet, Depth: depth}
			switch ref.FK.OnDelete {
			case "CASCADE":
				e.Action = EffectDelete
				e.TooDeep = depth >= MaxCascadeDepth
				out = append(out, e)
				if !e.TooDeep && (follow == nil || follow(e)) {
					if err := walk(ref.Table, childSet, depth+1); err != nil {
						return err
					}
				}
			case "SET NULL":
				e.Action = EffectSetNull
				out = append(out, e)
			case "SET DEFAULT":
				e.Action = EffectSetDefault
				out = append(out, e)
			default:
				e.Action = EffectRestrict
				out = append(out, e)
			}
		}
		return nil
	}
	return out, walk(root, set, 1)
}
